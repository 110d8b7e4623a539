/* The end of the container ops: exec.fifo, find-exec, ready, the wait for start, and exec. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "ops.h"

/* `open-exec-fifo`: the fifo itself as an O_PATH fd, taken before the root change. Not its directory,
 * which would be a way out: no path walks through a fifo's fd, and an O_PATH fd gives no access. */
void op_open_exec_fifo(struct ctx *ctx, const struct op *op)
{
	int fd = open(op->argv[0], O_PATH | O_CLOEXEC);
	struct stat st;

	if (fd < 0)
		fail(ctx, errno, "open exec.fifo %s", op->argv[0]);
	if (fstat(fd, &st) < 0)
		fail(ctx, errno, "fstat exec.fifo %s", op->argv[0]);
	if (!S_ISFIFO(st.st_mode))
		fail(ctx, 0, "%s is not a fifo", op->argv[0]);
	if (ctx->fifo_path_fd >= 0)
		close(ctx->fifo_path_fd);
	ctx->fifo_path_fd = fd;
}

void op_find_exec(struct ctx *ctx, const struct op *op)
{
	int err = ENOENT;

	for (int i = 0; i < op->argc; i++) {
		const char *path = op->argv[i];
		struct stat st;

		if (stat(path, &st) < 0)
			err = errno;
		else if (!S_ISREG(st.st_mode))
			err = EACCES;
		/* With the effective ids and capabilities the process will exec with (access() would ask
		 * with the real uid, for which root may execute anything with an x bit). */
		else if (faccessat(AT_FDCWD, path, X_OK, AT_EACCESS) < 0)
			err = errno;
		else {
			ctx->program = path;
			return;
		}
	}
	fail(ctx, err, "find-exec: no executable among %d candidates, first %s", op->argc,
	     op->argc ? op->argv[0] : "(none)");
}

void op_ready(struct ctx *ctx, const struct op *op)
{
	(void)op;
	if (send_line(ctx, "ready\n") < 0)
		fail(ctx, errno, "send ready");
	close(ctx->sync_fd);
	ctx->sync_fd = -1;
}

void op_report_start(struct ctx *ctx, const struct op *op)
{
	(void)op;
	if (ctx->fifo_fd < 0 || ctx->start_reported)
		fail(ctx, 0, "report-start without `wait-start hold`");
	if (write(ctx->fifo_fd, "0", 1) != 1)
		fail(ctx, errno, "write to exec.fifo");
	ctx->start_reported = 1;
}

static void exit_on_signal(int sig)
{
	_exit(128 + sig);
}

/*
 * As a pid namespace's init, C ignores every signal it has no handler for (SIGKILL aside), so a
 * `kill ID` of a created container would do nothing. Until execve resets them, the signals that end a
 * process by default end C too, with 128+N (runc's waiting init dies of them as well). Best effort:
 * a filter in force may refuse rt_sigaction, and waiting goes on without.
 */
static void end_on_terminating_signals(void)
{
	static const int signals[] = { SIGHUP, SIGINT, SIGQUIT, SIGTERM, SIGUSR1, SIGUSR2, SIGALRM };
	struct sigaction sa;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = exit_on_signal;
	sigemptyset(&sa.sa_mask);
	for (size_t i = 0; i < sizeof(signals) / sizeof(signals[0]); i++)
		sigaction(signals[i], &sa, NULL);
}

/* Opens exec.fifo for writing, which blocks until `start` opens it for reading: the fd of
 * `open-exec-fifo` reopened through the container's /proc. The fd stays open (close-on-exec) until the
 * execve, so `start` can wait for the EOF that says the program runs. Then says "0", or with `hold`
 * leaves that to `report-start`; with `release` says nothing (start waits for its open alone), and a
 * later failure goes to stderr as after "0". */
void op_wait_start(struct ctx *ctx, const struct op *op)
{
	char path[32];
	int fd;
	int release = op->argc == 1 && strcmp(op->argv[0], "release") == 0;

	if (op->argc == 1 && strcmp(op->argv[0], "hold") != 0 && !release)
		fail(ctx, 0, "wait-start: bad argument \"%s\"", op->argv[0]);
	if (ctx->fifo_path_fd < 0)
		fail(ctx, 0, "wait-start without open-exec-fifo");
	fd_path(ctx->fifo_path_fd, path, sizeof(path));
	end_on_terminating_signals();
	do
		fd = open(path, O_WRONLY | O_CLOEXEC);
	while (fd < 0 && errno == EINTR);
	if (fd < 0 && errno == ENOENT && access("/proc/self/fd", F_OK) < 0)
		fail(ctx, 0, "cannot open exec.fifo: the container has no /proc (tsrunc reopens the fifo through "
			     "/proc/self/fd; mount proc at /proc)");
	if (fd < 0)
		fail(ctx, errno, "open exec.fifo (%s) for writing", path);
	close(ctx->fifo_path_fd);
	ctx->fifo_path_fd = -1;
	ctx->fifo_fd = fd;
	if (release)
		ctx->start_reported = 1;
	else if (op->argc == 0)
		op_report_start(ctx, op);
}

/* exec's argv: its first n arguments, NULL-terminated. */
char **exec_argv(struct ctx *ctx, const struct op *op)
{
	int n = num_int(ctx, op->argv[0]);
	char **args = calloc((size_t)n + 1, sizeof(char *));

	if (!args)
		fail(ctx, errno, "allocate %d arguments", n);
	memcpy(args, op->argv + 1, (size_t)n * sizeof(char *));
	return args;
}

void op_exec(struct ctx *ctx, const struct op *op)
{
	int n = num_int(ctx, op->argv[0]);
	char **args = op == ctx->exec_op ? ctx->exec_args : exec_argv(ctx, op);
	char *const *env = op->argv + 1 + n;
	const char *program;

	ctx->exit_code = 127;
	program = ctx->program ? ctx->program : args[0];
	if (!program)
		fail(ctx, 0, "exec: no program");
	execve(program, args, env);
	fail(ctx, errno, "exec %s", program);
}

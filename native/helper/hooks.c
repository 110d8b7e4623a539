/* The hook ops: `hooks` (run by tsrunc on the host) and `run-hook` (run by the helper where it stands). */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "ops.h"

/* Asks tsrunc to run the hooks of a phase in the runtime namespace, and waits for its answer. */
void op_hooks(struct ctx *ctx, const struct op *op)
{
	char reply[16];

	if (ctx->sync_fd < 0)
		fail(ctx, 0, "hooks %s after ready", op->argv[0]);
	if (send_line(ctx, "hooks %s\n", op->argv[0]) < 0)
		fail(ctx, errno, "send hooks %s", op->argv[0]);
	read_answer(ctx, reply, sizeof(reply), "hooks", op->argv[0]);
	if (strcmp(reply, "ok") != 0)
		fail(ctx, 0, "the %s hooks failed", op->argv[0]);
}

/* A memfd (close-on-exec) numbered 3 or above, so that moving it onto 0-2 in the hook never clobbers. */
static int hook_memfd(struct ctx *ctx, const char *name)
{
	int fd = (int)syscall(SYS_memfd_create, name, MFD_CLOEXEC), high;

	if (fd < 0)
		fail(ctx, errno, "memfd_create %s", name);
	if (fd >= 3)
		return fd;
	high = fcntl(fd, F_DUPFD_CLOEXEC, 3);
	if (high < 0)
		fail(ctx, errno, "fcntl F_DUPFD_CLOEXEC");
	close(fd);
	return high;
}

static void write_fd_all(struct ctx *ctx, int fd, const char *s, size_t len)
{
	while (len > 0) {
		ssize_t n = write(fd, s, len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			fail(ctx, errno, "write the hook's stdin");
		s += n;
		len -= (size_t)n;
	}
}

/* The end of what the hook wrote (at most len-1 bytes; a NUL ends it early). */
static void hook_output(int fd, char *buf, size_t len)
{
	struct stat st;
	off_t from = 0;
	ssize_t n;

	buf[0] = '\0';
	if (fstat(fd, &st) < 0)
		return;
	if (st.st_size > (off_t)(len - 1))
		from = st.st_size - (off_t)(len - 1);
	n = pread(fd, buf, len - 1, from);
	if (n <= 0)
		return;
	buf[n] = '\0';
}

/* s with every byte that would end a field (a blank, a control character) or is '%' as %XX. */
static char *escape_field(const char *s, char *out, char *end)
{
	static const char hex[] = "0123456789ABCDEF";

	for (; *s && out + 4 < end; s++) {
		unsigned char c = (unsigned char)*s;

		if (c <= 0x20 || c == 0x7f || c == '%') {
			*out++ = '%';
			*out++ = hex[c >> 4];
			*out++ = hex[c & 15];
		} else {
			*out++ = (char)c;
		}
	}
	*out = '\0';
	return out;
}

/* Reports how the hook failed, as data for tsrunc to word (docs/plan-format.md "Messages"), and exits:
 * `hook <index> <outcome> <n> <label> <path> <output>`. */
static _Noreturn void fail_hook(struct ctx *ctx, const char *outcome, long long n, const char *label, const char *path,
				const char *output)
{
	char report[REPORT_MAX], *p = report, *end = report + sizeof(report);

	p += snprintf(p, (size_t)(end - p), "hook %d %s %lld ", ctx->index, outcome, n);
	p = escape_field(label, p, end);
	if (p + 1 < end)
		*p++ = ' ';
	p = escape_field(path, p, end);
	if (p + 1 < end)
		*p++ = ' ';
	escape_field(output, p, end);
	fail_report(ctx, report);
}

/* Waits for the hook; 0 when it exited, -1 when timeout_ms (> 0) passed first. */
static int wait_hook(struct ctx *ctx, pid_t pid, int pidfd, long long timeout_ms, int *status)
{
	struct timespec start, now;

	clock_gettime(CLOCK_MONOTONIC, &start);
	for (;;) {
		struct pollfd p = { .fd = pidfd, .events = POLLIN };
		int wait_ms = -1, r;

		if (timeout_ms > 0) {
			long long spent;

			clock_gettime(CLOCK_MONOTONIC, &now);
			spent = (now.tv_sec - start.tv_sec) * 1000LL + (now.tv_nsec - start.tv_nsec) / 1000000;
			if (spent >= timeout_ms)
				return -1;
			wait_ms = (int)(timeout_ms - spent > INT_MAX ? INT_MAX : timeout_ms - spent);
		}
		r = poll(&p, 1, wait_ms);
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0)
			fail(ctx, errno, "poll the hook's pidfd");
		if (r > 0)
			break;
	}
	while (waitpid(pid, status, 0) < 0) {
		if (errno != EINTR)
			fail(ctx, errno, "waitpid %d", (int)pid);
	}
	return 0;
}

/* run-hook label timeout state-before-pid state-after-pid path argc arg... (inherit | envc env...) */
void op_run_hook(struct ctx *ctx, const struct op *op)
{
	char *const *a = op->argv;
	const char *label = a[0], *path = a[4];
	long long timeout_ms = (long long)num_max(ctx, a[1], 1u << 30) * 1000;
	int argc = num_int(ctx, a[5]);
	char **args = calloc((size_t)argc + 1, sizeof(char *));
	char *const *env = strcmp(a[6 + argc], "inherit") == 0 ? environ : a + 7 + argc;
	char pidtext[16], output[1001];
	int in, out, errpipe[2], pidfd, status, exec_err = 0;
	long pid;

	if (!args)
		fail(ctx, errno, "allocate %d arguments", argc);
	memcpy(args, a + 6, (size_t)argc * sizeof(char *));
	snprintf(pidtext, sizeof(pidtext), "%d", getpid());
	in = hook_memfd(ctx, "tsrunc-hook-state");
	write_fd_all(ctx, in, a[2], strlen(a[2]));
	write_fd_all(ctx, in, pidtext, strlen(pidtext));
	write_fd_all(ctx, in, a[3], strlen(a[3]));
	if (lseek(in, 0, SEEK_SET) < 0)
		fail(ctx, errno, "lseek the hook's stdin");
	out = hook_memfd(ctx, "tsrunc-hook-output");
	/* The child reports a failed execve here; a successful one closes it. */
	if (pipe2(errpipe, O_CLOEXEC) < 0)
		fail(ctx, errno, "pipe2");

	pid = syscall(SYS_clone, SIGCHLD, 0, 0, 0, 0);
	if (pid < 0)
		fail(ctx, errno, "fork for %s", label);
	if (pid == 0) {
		int e;

		/* The hook gets the state on stdin, stdout and stderr in `out`, and no other fd (not even
		 * --preserve-fds): the execve closes every fd above 2. */
		if (dup2(in, 0) < 0 || dup2(out, 1) < 0 || dup2(out, 2) < 0 ||
		    close_range(3, ~0U, CLOSE_RANGE_CLOEXEC) < 0)
			e = errno;
		else {
			execve(path, args, env);
			e = errno;
		}
		if (write(errpipe[1], &e, sizeof(e)) < 0) {
			/* nothing more to do */
		}
		_exit(127);
	}
	close(errpipe[1]);
	close(in);
	free(args);
	pidfd = (int)syscall(SYS_pidfd_open, (pid_t)pid, 0);
	if (pidfd < 0) {
		int e = errno;
		kill((pid_t)pid, SIGKILL);
		waitpid((pid_t)pid, NULL, 0);
		fail(ctx, e, "pidfd_open of the hook %s", label);
	}
	if (wait_hook(ctx, (pid_t)pid, pidfd, timeout_ms, &status) < 0) {
		kill((pid_t)pid, SIGKILL);
		while (waitpid((pid_t)pid, NULL, 0) < 0 && errno == EINTR)
			;
		hook_output(out, output, sizeof(output));
		fail_hook(ctx, "timed-out", timeout_ms / 1000, label, path, output);
	}
	close(pidfd);
	if (read(errpipe[0], &exec_err, sizeof(exec_err)) == (ssize_t)sizeof(exec_err))
		fail_hook(ctx, "exec-failed", exec_err, label, path, "");
	close(errpipe[0]);
	hook_output(out, output, sizeof(output));
	close(out);
	if (WIFEXITED(status) && WEXITSTATUS(status) == 0)
		return;
	if (WIFEXITED(status))
		fail_hook(ctx, "exited", WEXITSTATUS(status), label, path, output);
	fail_hook(ctx, "signaled", WTERMSIG(status), label, path, output);
}

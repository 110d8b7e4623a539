/* tsrunc-init <syncfd>: runs the plan read from syncfd (docs/plan-format.md). */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <unistd.h>

#include "helper.h"

#define TEXT_MAX 2048

static int write_all(int fd, const char *buf, size_t len)
{
	while (len > 0) {
		ssize_t n = write(fd, buf, len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -1;
		buf += n;
		len -= (size_t)n;
	}
	return 0;
}

/* MSG_NOSIGNAL instead of ignoring SIGPIPE, because an ignored signal would survive into the
 * container process. */
static int send_all(int fd, const char *buf, size_t len)
{
	while (len > 0) {
		ssize_t n = send(fd, buf, len, MSG_NOSIGNAL);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return errno == ENOTSOCK ? write_all(fd, buf, len) : -1;
		buf += n;
		len -= (size_t)n;
	}
	return 0;
}

int send_line(struct ctx *ctx, const char *fmt, ...)
{
	char line[TEXT_MAX + 64];
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	if (n < 0)
		return -1;
	if ((size_t)n >= sizeof(line)) {
		n = sizeof(line) - 1;
		line[n - 1] = '\n';
	}
	return send_all(ctx->sync_fd, line, (size_t)n);
}

void read_answer(struct ctx *ctx, char *reply, size_t len, const char *question, const char *arg)
{
	size_t n = 0;

	for (;;) {
		char c;
		ssize_t r = read(ctx->sync_fd, &c, 1);

		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0)
			fail(ctx, errno, "read the answer to %s%s%s", question, *arg ? " " : "", arg);
		if (r == 0)
			fail(ctx, 0, "no answer to %s%s%s", question, *arg ? " " : "", arg);
		if (c == '\n')
			break;
		if (n < len - 1)
			reply[n++] = c;
	}
	reply[n] = '\0';
}

int set_failure(struct failure *f, int err, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(f->text, sizeof(f->text), fmt, ap);
	va_end(ap);
	f->err = err;
	return -1;
}

/*
 * Sends a report (a line of the sync protocol, without its newline) where tsrunc reads it, then exits:
 * on the sync fd; while `start` waits on exec.fifo (`wait-start hold`), there, after "e" and whether the
 * seccomp filter is in force ("e1 ", "e0 "). Else nobody reads the helper but the user: `human` goes
 * to fd 2, as the one line runc writes there ("exec /run.sh: no such file or directory").
 */
static _Noreturn void report_and_exit(struct ctx *ctx, const char *report, const char *human)
{
	char line[REPORT_MAX + 64];
	int n;

	if (ctx->child > 0)
		kill(ctx->child, SIGKILL);
	if (ctx->sync_fd >= 0)
		n = snprintf(line, sizeof(line), "%s\n", report);
	else if (ctx->fifo_fd >= 0 && !ctx->start_reported)
		n = snprintf(line, sizeof(line), "e%d %s\n", ctx->seccomp_loaded, report);
	else
		n = snprintf(line, sizeof(line), "%s\n", human);
	if (n > 0 && (size_t)n >= sizeof(line)) {
		n = sizeof(line) - 1;
		line[n - 1] = '\n';
	}
	if (n > 0) {
		if (ctx->sync_fd >= 0)
			send_all(ctx->sync_fd, line, (size_t)n);
		else
			write_all(ctx->fifo_fd >= 0 && !ctx->start_reported ? ctx->fifo_fd : STDERR_FILENO, line, (size_t)n);
	}
	_exit(ctx->exit_code);
}

_Noreturn void fail(struct ctx *ctx, int err, const char *fmt, ...)
{
	char text[TEXT_MAX], report[TEXT_MAX + 64], human[TEXT_MAX + 256];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(text, sizeof(text), fmt, ap);
	va_end(ap);
	for (char *c = text; *c; c++)
		if (*c == '\n' || *c == '\r')
			*c = ' ';
	snprintf(report, sizeof(report), "error %d %d %s", ctx->index, err, text);
	/* Only for fd 2, where tsrunc does not read (a failing `exec` after `report-start`): worded here,
	 * as TypeScript words the reports, and as runc words it: the errno in lower case, as Go's are. */
	snprintf(human, sizeof(human), "%s%s%s%s", text, err ? ": " : "", err ? strerror(err) : "",
		 ctx->seccomp_loaded ? " (with the linux.seccomp filter in force)" : "");
	if (err) {
		char *why = human + strlen(text) + 2;

		if (*why >= 'A' && *why <= 'Z' && (why[1] < 'A' || why[1] > 'Z'))
			*why = (char)(*why - 'A' + 'a');
	}
	report_and_exit(ctx, report, human);
}

_Noreturn void fail_report(struct ctx *ctx, const char *report)
{
	report_and_exit(ctx, report, report);
}

void report_fallback(struct ctx *ctx, const char *what, int err)
{
	/* Best effort: a sync fd that fails here fails the next report too, which is not ignored. */
	if (ctx->sync_fd >= 0 && send_line(ctx, "fallback %d %s %d\n", ctx->index, what, err) < 0) {
		/* nothing more to do */
	}
}

void make_undumpable(struct ctx *ctx)
{
	if (prctl(PR_SET_DUMPABLE, 0, 0, 0, 0) < 0)
		fail(ctx, errno, "prctl(PR_SET_DUMPABLE, 0)");
}

void dump_plan(const char *head, size_t head_len, const char *rest, size_t rest_len)
{
	const char *file = getenv("TSRUNC_INIT_PLAN_DUMP");
	int fd;

	if (!file || !*file)
		return;
	fd = open(file, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	if (fd < 0)
		return;
	write_all(fd, head, head_len);
	if (rest)
		write_all(fd, rest, rest_len);
	close(fd);
}

static _Noreturn void fail_early(struct ctx *ctx, const struct failure *f)
{
	ctx->index = f->index;
	fail(ctx, f->err, "%s", f->text);
}

static int parse_fd(const char *s)
{
	char *end;
	long v;

	errno = 0;
	v = strtol(s, &end, 10);
	if (errno || end == s || *end || v < 0 || v > 1 << 20)
		return -1;
	return (int)v;
}

int main(int argc, char **argv, char **envp)
{
	struct ctx ctx = {
		.sync_fd = -1, .index = -1, .release_rd = -1, .release_wr = -1, .fifo_path_fd = -1,
		.fifo_fd = -1, .exit_code = 1, .console_fd = -1, .pidfd_sock = -1, .cgroup_fd = -1, .seccomp_listener_fd = -1,
	};
	struct failure f = { .index = -1 };
	struct plan plan;

	if (argc != 2 || (ctx.sync_fd = parse_fd(argv[1])) < 0) {
		static const char usage[] = "usage: tsrunc-init <syncfd>\n";
		write_all(STDERR_FILENO, usage, sizeof(usage) - 1);
		return 2;
	}
	if (ensure_sealed(&ctx, argv, envp, &f) < 0)
		fail_early(&ctx, &f);
	/* Only fds below the sync fd (stdio, --preserve-fds) are the container's: anything else the engine
	 * let through goes now, not only at the execve. */
	if (close_range((unsigned int)ctx.sync_fd + 1, ~0U, 0) < 0)
		fail(&ctx, errno, "close_range(%d, ~0U, 0)", ctx.sync_fd + 1);
	/* Until the execve, /proc shows this process (fds, cwd, environment, memory) only to those with
	 * CAP_SYS_PTRACE over it, never to the container it enters; the execve makes the program dumpable. */
	make_undumpable(&ctx);
	/* The sync fd must not survive into the container process even without a `ready` op. */
	if (fcntl(ctx.sync_fd, F_SETFD, FD_CLOEXEC) < 0)
		fail(&ctx, errno, "fcntl(%d, F_SETFD, FD_CLOEXEC)", ctx.sync_fd);
	if (plan_read(ctx.sync_fd, &plan, &f) < 0 || ops_validate(&plan, &f) < 0)
		fail_early(&ctx, &f);
	if (plan.head) {
		/* A head (the cgroup joins, say) runs while tsrunc still computes the rest. */
		int head_count = plan.n;

		ops_run_head(&plan, &ctx);
		f.index = -1;
		if (plan_read_rest(ctx.sync_fd, &plan, &f) < 0 || ops_validate(&plan, &f) < 0)
			fail_early(&ctx, &f);
		ops_run(&plan, &ctx, head_count);
	}
	ops_run(&plan, &ctx, 0);
}

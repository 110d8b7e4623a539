/* The warm path (docs/warm-path.md): connect to the server of the state root, wait for a worker's
 * `hello`, spawn the helper for create/run/exec as the cold path's Node would (so the container's
 * init is this process's child, with its cgroup, namespaces, rlimits and descriptors), send the
 * request with the descriptors, then do what the worker asks (reap a child and say how it ended),
 * forward run's and exec's signals, and exit with the status the worker sends. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "front.h"

#define SOCKET_NAME "tsrunc@daemon.sock"
#define PROTOCOL "tsrunc-warm-2"
/* How long a server may take to hand the connection to a worker (TSRUNC_DAEMON_TIMEOUT_MS): a
 * socket-activated server starts its first worker then. */
#define ANSWER_MS 5000

static int answer_ms(void)
{
	const char *s = getenv("TSRUNC_DAEMON_TIMEOUT_MS");
	char *end;
	long ms = s ? strtol(s, &end, 10) : 0;

	return s && *s && !*end && ms > 0 && ms <= 600000 ? (int)ms : ANSWER_MS;
}
/* SCM_MAX_FD is 253: stdio, the preserved fds and the helper's socket in one message. */
#define MAX_PRESERVED 249

/* The signals run and exec forward to the container (src/runtime/commands/run.ts FORWARDED). */
static const int FORWARDED[] = { SIGINT, SIGTERM, SIGHUP, SIGQUIT, SIGUSR1, SIGUSR2, SIGWINCH };

struct front {
	int conn;
	const struct front_args *args;
	pid_t helper;
	char buf[4096];
	size_t have;
	/* The pids the worker waits for: only those are reaped here (the container's init and an exec'd
	 * process exit to the caller's subreaper when this front has exited first, as on the cold path). */
	pid_t waiting[64];
	int waiting_count;
};

/* fd moved to the lowest free number at or above min (close-on-exec): the front's own descriptors stay
 * out of 3..3+N-1, which the worker reads as the caller's --preserve-fds ones in /proc/<front>/fd. */
static int above(int fd, int min)
{
	int moved;

	if (fd < 0 || fd >= min)
		return fd;
	moved = fcntl(fd, F_DUPFD_CLOEXEC, min);
	close(fd);
	return moved;
}

static void say(const char *fmt, ...)
{
	va_list ap;

	fputs("tsrunc: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
}

static long now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* A connected socket to the server, or -1 when there is none to talk to (no socket, a stale one). */
static int connect_server(const char *path)
{
	struct sockaddr_un addr = { .sun_family = AF_UNIX };
	int fd;

	if (strlen(path) >= sizeof(addr.sun_path))
		return -1;
	strcpy(addr.sun_path, path);
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -1;
	if (connect(fd, (struct sockaddr *)&addr, sizeof(addr)) < 0) {
		close(fd);
		return -1;
	}
	return fd;
}

/* Reads one line (without its '\n') into line; 1, 0 at EOF or on an error, -1 when deadline_ms (on
 * CLOCK_MONOTONIC; < 0: none) has passed with no whole line, after a last look at what has come. */
static int read_line(struct front *f, char *line, size_t len, long deadline_ms)
{
	for (;;) {
		char *nl = memchr(f->buf, '\n', f->have);
		struct pollfd p = { .fd = f->conn, .events = POLLIN };
		ssize_t n;

		if (nl) {
			size_t l = (size_t)(nl - f->buf);

			if (l >= len)
				l = len - 1;
			memcpy(line, f->buf, l);
			line[l] = '\0';
			f->have -= (size_t)(nl - f->buf) + 1;
			memmove(f->buf, nl + 1, f->have);
			return 1;
		}
		if (f->have == sizeof(f->buf))
			return 0;
		if (deadline_ms >= 0) {
			long left = deadline_ms - now_ms();
			int r = poll(&p, 1, left > 0 ? (int)left : 0);

			if (r < 0 && errno == EINTR)
				continue;
			if (r == 0)
				return -1;
		}
		n = read(f->conn, f->buf + f->have, sizeof(f->buf) - f->have);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return 0;
		f->have += (size_t)n;
	}
}

static int write_all(int fd, const char *data, size_t len)
{
	while (len > 0) {
		ssize_t n = send(fd, data, len, MSG_NOSIGNAL);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -1;
		data += n;
		len -= (size_t)n;
	}
	return 0;
}

static int send_line(struct front *f, const char *fmt, ...)
{
	char line[128];
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	return write_all(f->conn, line, (size_t)n);
}

/*
 * The helper as the cold path's addon starts it (native/addon spawnHelper): a socketpair whose other
 * end is its fd 3+N, stdio and the preserved fds 3..3+N-1 as this process has them and nothing else,
 * every signal at its default and none blocked. Returns its pid; *ctl is this side of the socketpair.
 */
static pid_t spawn_helper(int preserve, const sigset_t *mask, int *ctl)
{
	int sync_fd = 3 + preserve;
	char sync_arg[16], path[PATH_MAX];
	int sv[2];
	pid_t pid;

	snprintf(path, sizeof(path), "%s/build/Release/tsrunc-init", package_root());
	snprintf(sync_arg, sizeof(sync_arg), "%d", sync_fd);
	if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) < 0)
		return -1;
	sv[0] = above(sv[0], sync_fd + 1);
	sv[1] = above(sv[1], sync_fd + 1);
	if (sv[0] < 0 || sv[1] < 0)
		return -1;
	pid = fork();
	if (pid < 0) {
		close(sv[0]);
		close(sv[1]);
		return -1;
	}
	if (pid == 0) {
		char *argv[] = { "tsrunc-init", sync_arg, NULL };
		int child = sv[1];

		for (int s = 1; s < NSIG; s++)
			signal(s, SIG_DFL);
		sigprocmask(SIG_SETMASK, mask, NULL);
		if (child == sync_fd)
			child = fcntl(sv[1], F_DUPFD_CLOEXEC, sync_fd + 1);
		if (child < 0 || dup2(child, sync_fd) < 0)
			_exit(127);
		syscall(SYS_close_range, (unsigned)sync_fd + 1, ~0U, 0);
		execv(path, argv);
		_exit(127);
	}
	close(sv[1]);
	*ctl = sv[0];
	return pid;
}

/* Appends s and its NUL to the request body. */
static int put(char **body, size_t *len, size_t *cap, const char *s)
{
	size_t n = strlen(s) + 1;

	if (*len + n > *cap) {
		size_t want = (*cap ? *cap * 2 : 4096) + n;
		char *more = realloc(*body, want);

		if (!more)
			return -1;
		*body = more;
		*cap = want;
	}
	memcpy(*body + *len, s, n);
	*len += n;
	return 0;
}

/*
 * The request: a little-endian u32 length, then NUL-terminated fields (protocol, the deadline (ms on
 * CLOCK_MONOTONIC) after which a worker must not take it, cwd, umask in octal,
 * the helper's pid or "", N of --preserve-fds, which of fds 0..2+N are open as '1'/'0', argc and argv,
 * envc and the environment), in one sendmsg with the open ones of fds 0..2+N and then the helper's
 * socket as SCM_RIGHTS; what does not fit follows as plain bytes.
 */
static int send_request(struct front *f, int argc, char **argv, int ctl, long deadline_ms)
{
	extern char **environ;
	int nfds = 3 + f->args->preserve_fds;
	int fds[MAX_PRESERVED + 4], count = 0;
	char cwd[PATH_MAX], num[32], open_mask[MAX_PRESERVED + 4];
	char *body = NULL;
	size_t len = 4, cap = 0;
	mode_t mask = umask(0);
	int envc = 0, rc = -1;

	umask(mask);
	if (!getcwd(cwd, sizeof(cwd)))
		return -1;
	for (int fd = 0; fd < nfds; fd++) {
		int open = fcntl(fd, F_GETFD) >= 0;

		open_mask[fd] = open ? '1' : '0';
		if (open)
			fds[count++] = fd;
	}
	open_mask[nfds] = '\0';
	if (ctl >= 0)
		fds[count++] = ctl;
	while (environ[envc])
		envc++;
	body = malloc(4);
	cap = 4;
	if (!body)
		return -1;
	snprintf(num, sizeof(num), "%ld", deadline_ms);
	if (put(&body, &len, &cap, PROTOCOL) || put(&body, &len, &cap, num) || put(&body, &len, &cap, cwd))
		goto out;
	snprintf(num, sizeof(num), "%o", (unsigned)mask);
	if (put(&body, &len, &cap, num))
		goto out;
	snprintf(num, sizeof(num), "%d", f->helper > 0 ? (int)f->helper : 0);
	if (put(&body, &len, &cap, f->helper > 0 ? num : ""))
		goto out;
	snprintf(num, sizeof(num), "%d", f->args->preserve_fds);
	if (put(&body, &len, &cap, num) || put(&body, &len, &cap, open_mask))
		goto out;
	snprintf(num, sizeof(num), "%d", argc - 1);
	if (put(&body, &len, &cap, num))
		goto out;
	for (int i = 1; i < argc; i++)
		if (put(&body, &len, &cap, argv[i]))
			goto out;
	snprintf(num, sizeof(num), "%d", envc);
	if (put(&body, &len, &cap, num))
		goto out;
	for (int i = 0; i < envc; i++)
		if (put(&body, &len, &cap, environ[i]))
			goto out;
	{
		uint32_t n = (uint32_t)(len - 4);
		char control[CMSG_SPACE(sizeof(fds))];
		struct iovec iov = { .iov_base = body, .iov_len = len };
		struct msghdr msg = { .msg_iov = &iov, .msg_iovlen = 1 };
		struct cmsghdr *cmsg;
		ssize_t sent;

		body[0] = (char)(n & 0xff);
		body[1] = (char)((n >> 8) & 0xff);
		body[2] = (char)((n >> 16) & 0xff);
		body[3] = (char)((n >> 24) & 0xff);
		memset(control, 0, sizeof(control));
		msg.msg_control = control;
		msg.msg_controllen = CMSG_SPACE(sizeof(int) * (size_t)count);
		cmsg = CMSG_FIRSTHDR(&msg);
		cmsg->cmsg_level = SOL_SOCKET;
		cmsg->cmsg_type = SCM_RIGHTS;
		cmsg->cmsg_len = CMSG_LEN(sizeof(int) * (size_t)count);
		memcpy(CMSG_DATA(cmsg), fds, sizeof(int) * (size_t)count);
		do
			sent = sendmsg(f->conn, &msg, MSG_NOSIGNAL);
		while (sent < 0 && errno == EINTR);
		if (sent < 0)
			goto out;
		rc = write_all(f->conn, body + sent, len - (size_t)sent);
	}
out:
	free(body);
	return rc;
}

/* Answers st of pid to the worker. */
static int answer(struct front *f, pid_t pid, int st)
{
	return WIFSIGNALED(st) ? send_line(f, "signaled %d %d\n", pid, WTERMSIG(st)) : send_line(f, "exited %d %d\n", pid, WEXITSTATUS(st));
}

/* Answers the waits whose child has exited. */
static int answer_waits(struct front *f)
{
	for (int w = 0; w < f->waiting_count; w++) {
		int st;
		pid_t pid = f->waiting[w];
		pid_t r = waitpid(pid, &st, WNOHANG);

		if (r == 0)
			continue;
		if ((r < 0 ? send_line(f, "unknown %d\n", pid) : answer(f, pid, st)) < 0)
			return -1;
		f->waiting[w--] = f->waiting[--f->waiting_count];
	}
	return 0;
}

/* The worker's requests until `exit <status>`; -2 when the connection ended before it. */
static int relay(struct front *f, int sigfd)
{
	for (;;) {
		struct pollfd p[2] = { { .fd = f->conn, .events = POLLIN }, { .fd = sigfd, .events = POLLIN } };
		char line[128];

		if (f->have == 0 && poll(p, 2, -1) < 0) {
			if (errno == EINTR)
				continue;
			return -2;
		}
		if (p[1].revents & POLLIN) {
			struct signalfd_siginfo si;

			while (read(sigfd, &si, sizeof(si)) == (ssize_t)sizeof(si)) {
				if (si.ssi_signo != SIGCHLD && send_line(f, "signal %u\n", si.ssi_signo) < 0)
					return -2;
			}
			if (answer_waits(f) < 0)
				return -2;
		}
		if (f->have == 0 && !(p[0].revents & (POLLIN | POLLHUP | POLLERR)))
			continue;
		switch (read_line(f, line, sizeof(line), -1)) {
		case 1:
			break;
		default:
			return -2;
		}
		if (strncmp(line, "exit ", 5) == 0)
			return atoi(line + 5) & 0xff;
		if (strncmp(line, "wait ", 5) == 0) {
			pid_t pid = (pid_t)atoi(line + 5);

			if (f->waiting_count == (int)(sizeof(f->waiting) / sizeof(f->waiting[0]))) {
				if (send_line(f, "unknown %d\n", pid) < 0)
					return -2;
				continue;
			}
			f->waiting[f->waiting_count++] = pid;
			if (answer_waits(f) < 0)
				return -2;
			continue;
		}
		if (strcmp(line, "cold") == 0)
			return -1;
	}
}

/* Whether pid was reaped for the worker already (it is no longer this process's child). */
static int reaped(pid_t pid)
{
	siginfo_t info = { 0 };

	return waitid(P_PID, (id_t)pid, &info, WEXITED | WNOHANG | WNOWAIT) < 0 && errno == ECHILD;
}

/* The helper this front spawned, gone: its socket end is with the worker (or closed), so it exits. */
static void forget_helper(struct front *f)
{
	if (f->helper > 0) {
		kill(f->helper, SIGKILL);
		waitpid(f->helper, NULL, 0);
		f->helper = 0;
	}
}

int run_warm(int argc, char **argv, const struct front_args *args)
{
	char path[PATH_MAX], line[128];
	struct front f = { .args = args, .helper = 0 };
	sigset_t blocked, old;
	int sigfd, ctl = -1, status, answer;
	long deadline;

	if (args->preserve_fds > MAX_PRESERVED)
		return -1;
	if (snprintf(path, sizeof(path), "%s/%s", args->root, SOCKET_NAME) >= (int)sizeof(path))
		return -1;
	f.conn = above(connect_server(path), 3 + args->preserve_fds + 1);
	if (f.conn < 0)
		return -1;
	/* Children and forwarded signals come through a signalfd from here on; the helper gets the old mask. */
	sigemptyset(&blocked);
	sigaddset(&blocked, SIGCHLD);
	if (spawns_helper(args->command))
		for (size_t i = 0; i < sizeof(FORWARDED) / sizeof(FORWARDED[0]); i++)
			sigaddset(&blocked, FORWARDED[i]);
	sigprocmask(SIG_BLOCK, &blocked, &old);
	sigfd = above(signalfd(-1, &blocked, SFD_CLOEXEC | SFD_NONBLOCK), 3 + args->preserve_fds + 1);
	if (sigfd < 0) {
		say("signalfd: %s", strerror(errno));
		return 1;
	}
	if (spawns_helper(args->command)) {
		f.helper = spawn_helper(args->preserve_fds, &old, &ctl);
		if (f.helper < 0) {
			say("cannot start %s/build/Release/tsrunc-init: %s", package_root(), strerror(errno));
			return 1;
		}
	}
	/* The request goes at once, before any worker has the connection (no round trip first). A worker
	 * answers `hello` before it runs anything, and runs nothing once the deadline has passed: a front
	 * that has had no `hello` by then may say the command was not run. */
	deadline = now_ms() + answer_ms();
	if (send_request(&f, argc, argv, ctl, deadline) < 0) {
		forget_helper(&f);
		close(f.conn);
		sigprocmask(SIG_SETMASK, &old, NULL);
		if (is_read_only(args->command))
			return -1;
		say("cannot send the command to the tsrunc daemon at %s: %s; %s was not run", path, strerror(errno), args->command);
		return 1;
	}
	if (ctl >= 0)
		close(ctl);
	answer = read_line(&f, line, sizeof(line), deadline);
	if (answer != 1 || strcmp(line, "hello") != 0) {
		forget_helper(&f);
		close(f.conn);
		close(sigfd);
		sigprocmask(SIG_SETMASK, &old, NULL);
		/* `cold`, or the connection closed before any worker said hello (a server going away with it in
		 * its backlog): nothing ran it, as with a stale socket. */
		if (answer == 0 || (answer == 1 && strcmp(line, "cold") == 0) || is_read_only(args->command))
			return -1;
		say("the tsrunc daemon at %s did not answer within %d ms; %s was not run (stop the daemon, or remove the socket to use tsrunc without it)",
		    path, answer_ms(), args->command);
		return 1;
	}
	status = relay(&f, sigfd);
	/* A command that ends without the worker having had its helper reaped did not use it (it failed
	 * before, or was not one of the helper's): the helper gets EOF on its socket and is reaped here. */
	if (f.helper > 0 && !reaped(f.helper))
		forget_helper(&f);
	if (status == -1) {
		/* The worker read the request and left it to the cold path before running anything. */
		forget_helper(&f);
		close(f.conn);
		close(sigfd);
		sigprocmask(SIG_SETMASK, &old, NULL);
		return -1;
	}
	if (status == -2) {
		if (is_read_only(args->command)) {
			close(f.conn);
			close(sigfd);
			sigprocmask(SIG_SETMASK, &old, NULL);
			return -1;
		}
		say("the tsrunc daemon at %s went away during %s: its outcome is unknown (see `tsrunc state`, or remove what it made with `tsrunc delete --force`)",
		    path, args->command);
		return 1;
	}
	return status;
}

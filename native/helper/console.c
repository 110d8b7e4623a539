/* The terminal ops: console-connect (the console socket) and console (the pty). */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mount.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/un.h>
#include <termios.h>
#include <unistd.h>

#include "ops.h"

#ifndef TIOCGPTPEER
#define TIOCGPTPEER _IO('T', 0x41)
#endif

/* A connected AF_UNIX stream socket to path (close-on-exec), from the runtime's view. */
static int connect_unix(struct ctx *ctx, const char *path, const char *what)
{
	struct sockaddr_un addr = { .sun_family = AF_UNIX };
	int fd, r;

	if (!*path || strlen(path) >= sizeof(addr.sun_path))
		fail(ctx, ENAMETOOLONG, "%s path \"%s\"", what, path);
	memcpy(addr.sun_path, path, strlen(path) + 1);
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		fail(ctx, errno, "socket(AF_UNIX, SOCK_STREAM)");
	do
		r = connect(fd, (struct sockaddr *)&addr, sizeof(addr));
	while (r < 0 && errno == EINTR);
	if (r < 0)
		fail(ctx, errno, "connect to the %s %s", what, path);
	return fd;
}

/* Host op: connects to the console socket from the runtime's view (before any setns or root change). */
void op_console_connect(struct ctx *ctx, const struct op *op)
{
	if (ctx->console_fd >= 0)
		fail(ctx, 0, "console-connect: already connected");
	ctx->console_fd = connect_unix(ctx, op->argv[0], "console socket");
}

/* Host op: connects to the --pidfd-socket, as `console-connect` does; C inherits it through clone. */
void op_pidfd_connect(struct ctx *ctx, const struct op *op)
{
	if (ctx->pidfd_sock >= 0)
		fail(ctx, 0, "pidfd-connect: already connected");
	ctx->pidfd_sock = connect_unix(ctx, op->argv[0], "pidfd socket");
}

/* Sends `name` with exactly one fd (SCM_RIGHTS) in one sendmsg. */
static int send_fd(int sock, const char *name, int fd)
{
	char buf[CMSG_SPACE(sizeof(int))];
	struct iovec iov = { .iov_base = (void *)name, .iov_len = strlen(name) };
	struct msghdr msg = { .msg_iov = &iov, .msg_iovlen = 1, .msg_control = buf, .msg_controllen = sizeof(buf) };
	struct cmsghdr *cmsg;
	ssize_t n;

	memset(buf, 0, sizeof(buf));
	cmsg = CMSG_FIRSTHDR(&msg);
	cmsg->cmsg_level = SOL_SOCKET;
	cmsg->cmsg_type = SCM_RIGHTS;
	cmsg->cmsg_len = CMSG_LEN(sizeof(int));
	memcpy(CMSG_DATA(cmsg), &fd, sizeof(int));
	do
		n = sendmsg(sock, &msg, MSG_NOSIGNAL);
	while (n < 0 && errno == EINTR);
	if (n < 0)
		return -1;
	if ((size_t)n != iov.iov_len) {
		errno = EIO;
		return -1;
	}
	return 0;
}

/*
 * console <ptmx> <rows> <cols> <uid or empty> <console path or empty> <onlcr>: a new pty from ptmx (in
 * the container's devpts), its size, ONLCR cleared when onlcr is "clear", the slave owned by uid, bound
 * onto the console path, the master sent on the console socket, the slave made the controlling
 * terminal and fds 0, 1 and 2.
 */
void op_console(struct ctx *ctx, const struct op *op)
{
	const char *ptmx = op->argv[0];
	unsigned short rows = (unsigned short)num_max(ctx, op->argv[1], 65535);
	unsigned short cols = (unsigned short)num_max(ctx, op->argv[2], 65535);
	const char *uid_arg = op->argv[3], *console = op->argv[4];
	char slave_path[64];
	unsigned int ptn;
	int unlock = 0, master, slave;

	if (ctx->console_fd < 0)
		fail(ctx, 0, "console without console-connect");
	master = open(ptmx, O_RDWR | O_NOCTTY | O_CLOEXEC);
	if (master < 0)
		fail(ctx, errno, "open %s", ptmx);
	if (ioctl(master, TIOCSPTLCK, &unlock) < 0)
		fail(ctx, errno, "ioctl(%s, TIOCSPTLCK)", ptmx);
	if (ioctl(master, TIOCGPTN, &ptn) < 0)
		fail(ctx, errno, "ioctl(%s, TIOCGPTN)", ptmx);
	snprintf(slave_path, sizeof(slave_path), "/dev/pts/%u", ptn);
	if (rows || cols) {
		struct winsize ws = { .ws_row = rows, .ws_col = cols };

		if (ioctl(master, TIOCSWINSZ, &ws) < 0)
			fail(ctx, errno, "ioctl(%s, TIOCSWINSZ, %u x %u)", ptmx, rows, cols);
	}
	/* The peer of this very master, not whatever the path names (TIOCGPTPEER needs Linux 4.13). */
	slave = ioctl(master, TIOCGPTPEER, O_RDWR | O_NOCTTY | O_CLOEXEC);
	if (slave < 0 && (errno == EINVAL || errno == ENOTTY)) {
		report_fallback(ctx, "pty-slave-by-path", errno);
		slave = open(slave_path, O_RDWR | O_NOCTTY | O_CLOEXEC);
	}
	if (slave < 0)
		fail(ctx, errno, "open the pty slave %s", slave_path);
	if (strcmp(op->argv[5], "clear") == 0) {
		struct termios t;

		if (tcgetattr(slave, &t) < 0)
			fail(ctx, errno, "tcgetattr(%s)", slave_path);
		t.c_oflag &= ~(tcflag_t)ONLCR;
		if (tcsetattr(slave, TCSANOW, &t) < 0)
			fail(ctx, errno, "tcsetattr(%s, ONLCR off)", slave_path);
	}
	if (*uid_arg) {
		uid_t uid = (uid_t)num_max(ctx, uid_arg, 0xffffffffULL);

		if (fchown(slave, uid, (gid_t)-1) < 0)
			fail(ctx, errno, "fchown(%s, %u)", slave_path, (unsigned)uid);
	}
	if (*console) {
		int fd = open(console, O_WRONLY | O_CREAT | O_NOFOLLOW | O_NOCTTY | O_CLOEXEC, 0666);

		if (fd < 0)
			fail(ctx, errno, "create %s", console);
		close(fd);
		if (mount(slave_path, console, NULL, MS_BIND, NULL) < 0)
			fail(ctx, errno, "bind %s onto %s", slave_path, console);
	}
	if (send_fd(ctx->console_fd, ptmx, master) < 0)
		fail(ctx, errno, "send the pty master on the console socket");
	close(master);
	close(ctx->console_fd);
	ctx->console_fd = -1;
	if (ioctl(slave, TIOCSCTTY, 0) < 0)
		fail(ctx, errno, "ioctl(%s, TIOCSCTTY)", slave_path);
	for (int i = 0; i <= 2; i++) {
		if (slave == i ? fcntl(i, F_SETFD, 0) < 0 : dup3(slave, i, 0) < 0)
			fail(ctx, errno, "make %s fd %d", slave_path, i);
	}
	if (slave > 2)
		close(slave);
}

/* `send-pidfd <name>`: a pidfd of this process (Linux 5.3), sent with name (runc's words: "standard",
 * "setns") on the --pidfd-socket, which is closed then. */
void op_send_pidfd(struct ctx *ctx, const struct op *op)
{
	int pidfd;

	if (ctx->pidfd_sock < 0)
		fail(ctx, 0, "send-pidfd without pidfd-connect");
	pidfd = (int)syscall(SYS_pidfd_open, getpid(), 0);
	if (pidfd < 0)
		fail(ctx, errno, errno == ENOSYS ? "pidfd_open (--pidfd-socket needs Linux 5.3 or later)" : "pidfd_open");
	if (send_fd(ctx->pidfd_sock, op->argv[0], pidfd) < 0)
		fail(ctx, errno, "send the pidfd on the pidfd socket");
	close(pidfd);
	close(ctx->pidfd_sock);
	ctx->pidfd_sock = -1;
}

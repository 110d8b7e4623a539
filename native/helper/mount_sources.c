/* Mount sources P opens for C, as runc's host side does: P still has the host root's rights, which C
 * (in a user namespace) lacks, and only the host's root may id-map a mount. P joins C's mount namespace
 * (so that C may bind from what it opens) and sends each source on the release socket, one message
 * with one SCM_RIGHTS fd each, before the release byte; C keeps them in order at `wait-release`. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "newmount.h"
#include "ops.h"

#define SOURCE_BYTE 'f'
#define RELEASE_BYTE '1'
#define MNTNS_BYTE 'm'

static void join_child_mntns(struct ctx *ctx, const struct op *op)
{
	char path[64];
	int fd;

	if (ctx->in_child_mntns)
		return;
	if (ctx->child <= 0 || ctx->release_wr < 0)
		fail(ctx, 0, "%s before clone or after release", op->name);
	snprintf(path, sizeof(path), "/proc/%d/ns/mnt", ctx->child);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		fail(ctx, errno, "open %s", path);
	if (setns(fd, CLONE_NEWNS) < 0)
		fail(ctx, errno, "setns(%s, CLONE_NEWNS)", path);
	close(fd);
	ctx->in_child_mntns = 1;
}

/* One message on a release socket end: the byte and exactly one fd (SCM_RIGHTS); the fd is closed. */
static void send_byte_fd(struct ctx *ctx, int sock, char byte, int fd, const char *what)
{
	struct iovec iov = { .iov_base = &byte, .iov_len = 1 };
	union {
		char buf[CMSG_SPACE(sizeof(int))];
		struct cmsghdr align;
	} u;
	struct msghdr msg = { .msg_iov = &iov, .msg_iovlen = 1, .msg_control = u.buf, .msg_controllen = sizeof(u.buf) };
	struct cmsghdr *c = CMSG_FIRSTHDR(&msg);
	ssize_t n;

	memset(u.buf, 0, sizeof(u.buf));
	c->cmsg_level = SOL_SOCKET;
	c->cmsg_type = SCM_RIGHTS;
	c->cmsg_len = CMSG_LEN(sizeof(int));
	memcpy(CMSG_DATA(c), &fd, sizeof(int));
	do
		n = sendmsg(sock, &msg, MSG_NOSIGNAL);
	while (n < 0 && errno == EINTR);
	if (n != 1)
		fail(ctx, n < 0 ? errno : EIO, "send %s", what);
	close(fd);
}

/* The next message on a release socket end: its byte, and its fd (close-on-exec) or -1. */
static int recv_byte_fd(struct ctx *ctx, int sock, char *byte)
{
	struct iovec iov = { .iov_base = byte, .iov_len = 1 };
	union {
		char buf[CMSG_SPACE(sizeof(int))];
		struct cmsghdr align;
	} u;
	struct msghdr msg = { .msg_iov = &iov, .msg_iovlen = 1, .msg_control = u.buf, .msg_controllen = sizeof(u.buf) };
	struct cmsghdr *c;
	ssize_t n;
	int fd = -1;

	*byte = 0;
	do
		n = recvmsg(sock, &msg, MSG_CMSG_CLOEXEC);
	while (n < 0 && errno == EINTR);
	if (n < 0)
		fail(ctx, errno, "read the release socket");
	if (n == 0)
		fail(ctx, 0, "the other side of the release socket is gone");
	c = CMSG_FIRSTHDR(&msg);
	if (c && c->cmsg_level == SOL_SOCKET && c->cmsg_type == SCM_RIGHTS && c->cmsg_len == CMSG_LEN(sizeof(int)))
		memcpy(&fd, CMSG_DATA(c), sizeof(int));
	if (msg.msg_flags & MSG_CTRUNC)
		fail(ctx, 0, "unexpected message on the release socket");
	return fd;
}

/* `send-mntns` (C, before `wait-release`): C's mount namespace to P, which may open /proc/C/ns no
 * more once it has joined a user namespace by path (C is not dumpable). */
void op_send_mntns(struct ctx *ctx, const struct op *op)
{
	int fd = open("/proc/self/ns/mnt", O_RDONLY | O_CLOEXEC);

	if (fd < 0)
		fail(ctx, errno, "%s: open /proc/self/ns/mnt", op->name);
	send_byte_fd(ctx, ctx->release_rd, MNTNS_BYTE, fd, "the mount namespace to the host side");
}

/* `child-mntns` (P): joins the mount namespace `send-mntns` sent, for the mount sources after it. */
void op_child_mntns(struct ctx *ctx, const struct op *op)
{
	char byte;
	int fd;

	if (ctx->child <= 0 || ctx->release_wr < 0)
		fail(ctx, 0, "%s before clone or after release", op->name);
	fd = recv_byte_fd(ctx, ctx->release_wr, &byte);
	if (byte != MNTNS_BYTE || fd < 0)
		fail(ctx, 0, "%s: the container sent no mount namespace", op->name);
	if (setns(fd, CLONE_NEWNS) < 0)
		fail(ctx, errno, "%s: setns(CLONE_NEWNS)", op->name);
	close(fd);
	ctx->in_child_mntns = 1;
}

static void send_fd(struct ctx *ctx, int fd, const char *what)
{
	char text[4200];

	snprintf(text, sizeof(text), "the mount source %s to the container", what);
	send_byte_fd(ctx, ctx->release_wr, SOURCE_BYTE, fd, text);
}

void op_send_mount_source(struct ctx *ctx, const struct op *op)
{
	const char *path = op->argv[0];
	int fd;

	join_child_mntns(ctx, op);
	fd = open(path, O_PATH | O_CLOEXEC);
	if (fd < 0)
		fail(ctx, errno, "open %s", path);
	send_fd(ctx, fd, path);
}

/* A user namespace with these maps: a child made in one, blocked on a pipe while P writes its maps and
 * opens its namespace, then let go and reaped. */
static int new_userns(struct ctx *ctx, const char *uid_map, const char *gid_map)
{
	char path[64];
	int hold[2], fd;
	long pid;

	if (pipe2(hold, O_CLOEXEC) < 0)
		fail(ctx, errno, "pipe2 for an id-mapping user namespace");
	pid = syscall(SYS_clone, CLONE_NEWUSER | SIGCHLD, 0, 0, 0, 0);
	if (pid < 0)
		fail(ctx, errno, "clone(CLONE_NEWUSER) for an id-mapping user namespace");
	if (pid == 0) {
		char byte;

		close(hold[1]);
		while (read(hold[0], &byte, 1) < 0 && errno == EINTR)
			;
		_exit(0);
	}
	close(hold[0]);
	snprintf(path, sizeof(path), "/proc/%ld/uid_map", pid);
	if (write_file(path, uid_map, strlen(uid_map)) < 0)
		goto fail;
	snprintf(path, sizeof(path), "/proc/%ld/gid_map", pid);
	if (write_file(path, gid_map, strlen(gid_map)) < 0)
		goto fail;
	snprintf(path, sizeof(path), "/proc/%ld/ns/user", pid);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		goto fail;
	close(hold[1]);
	waitpid((pid_t)pid, NULL, 0);
	return fd;
fail: {
	int err = errno;

	kill((pid_t)pid, SIGKILL);
	waitpid((pid_t)pid, NULL, 0);
	fail(ctx, err, "id-mapping user namespace with uid map \"%s\" and gid map \"%s\": %s", uid_map, gid_map, path);
}
}

void op_send_idmapped_mount(struct ctx *ctx, const struct op *op)
{
	char *const *a = op->argv;
	const char *path = a[0];
	int tree_rec = strcmp(a[1], "recursive") == 0, idmap_rec = strcmp(a[2], "recursive") == 0;
	int from_container = strcmp(a[3], "container") == 0;
	struct tsr_mount_attr slave = { .propagation = MS_SLAVE };
	struct tsr_mount_attr idmap = { .attr_set = MOUNT_ATTR_IDMAP };
	char ns[64];
	int userns, fd;

	if (from_container) {
		if (ctx->child <= 0)
			fail(ctx, 0, "%s before clone", op->name);
		snprintf(ns, sizeof(ns), "/proc/%d/ns/user", ctx->child);
		userns = open(ns, O_RDONLY | O_CLOEXEC);
		if (userns < 0)
			fail(ctx, errno, "open %s", ns);
	} else {
		userns = new_userns(ctx, a[4], a[5]);
	}
	join_child_mntns(ctx, op);
	fd = sys_open_tree(AT_FDCWD, path, OPEN_TREE_CLONE | OPEN_TREE_CLOEXEC | (tree_rec ? AT_RECURSIVE : 0));
	if (fd < 0)
		fail(ctx, errno, errno == ENOSYS ? "open_tree %s (Linux 5.2 or later)" : "open_tree(OPEN_TREE_CLONE) %s", path);
	/* A peer of a shared source would carry mounts made under it in the container back to the host:
	 * a slave, as a bind in C's (rslave) namespace is. */
	if (sys_mount_setattr(fd, "", AT_EMPTY_PATH | AT_RECURSIVE, &slave) < 0)
		fail(ctx, errno, errno == ENOSYS ? "mount_setattr on %s (Linux 5.12 or later)" : "make the tree of %s a slave (mount_setattr)", path);
	idmap.userns_fd = (uint64_t)userns;
	if (sys_mount_setattr(fd, "", AT_EMPTY_PATH | (idmap_rec ? AT_RECURSIVE : 0), &idmap) < 0)
		fail(ctx, errno, errno == EINVAL ? "id-map %s (MOUNT_ATTR_IDMAP): its filesystem may not support id-mapped mounts"
						 : "id-map %s (MOUNT_ATTR_IDMAP)", path);
	close(userns);
	send_fd(ctx, fd, path);
}

void receive_until_release(struct ctx *ctx)
{
	for (;;) {
		char byte;
		int fd = recv_byte_fd(ctx, ctx->release_rd, &byte);

		if (byte == RELEASE_BYTE && fd < 0)
			return;
		if (byte != SOURCE_BYTE || fd < 0)
			fail(ctx, 0, "unexpected message on the release socket");
		if (ctx->host_fd_count == (int)(sizeof(ctx->host_fd) / sizeof(ctx->host_fd[0])))
			fail(ctx, 0, "too many mount sources from the host side");
		ctx->host_fd[ctx->host_fd_count++] = fd;
	}
}

int take_host_fd(struct ctx *ctx)
{
	if (ctx->host_fd_next >= ctx->host_fd_count)
		fail(ctx, 0, "no mount source left from the host side");
	return ctx->host_fd[ctx->host_fd_next++];
}

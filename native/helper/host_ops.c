/* The host ops P runs: fds, cgroup, namespaces, clone (and its release socket), id maps, report-pid. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "ops.h"

void op_cloexec_from(struct ctx *ctx, const struct op *op)
{
	unsigned int fd = (unsigned int)num_int(ctx, op->argv[0]);

	if (close_range(fd, ~0U, CLOSE_RANGE_CLOEXEC) < 0)
		fail(ctx, errno, "close_range(%u, ~0U, CLOSE_RANGE_CLOEXEC)", fd);
}

void op_join_cgroup(struct ctx *ctx, const struct op *op)
{
	char pid[16];
	int n = snprintf(pid, sizeof(pid), "%d", getpid());

	if (write_file(op->argv[0], pid, (size_t)n) < 0)
		fail(ctx, errno, "write %s to %s", pid, op->argv[0]);
}

/* `open-ns`: a namespace file opened ahead, while P still has the runtime's rights: once it is in a
 * container's user namespace, the /proc/<pid>/ns files of a non-dumpable init are closed to it. */
void op_open_ns(struct ctx *ctx, const struct op *op)
{
	int fd;

	if (ctx->ns_count == (int)(sizeof(ctx->ns_fd) / sizeof(ctx->ns_fd[0])))
		fail(ctx, 0, "open-ns: too many namespaces");
	fd = open(op->argv[0], O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		fail(ctx, errno, "open %s", op->argv[0]);
	ctx->ns_path[ctx->ns_count] = op->argv[0];
	ctx->ns_fd[ctx->ns_count++] = fd;
}

/* The fd `open-ns` opened for path (taken out of the table), else -1; *slot is where it was. */
static int take_opened_ns(struct ctx *ctx, const char *path, int *slot)
{
	for (int i = 0; i < ctx->ns_count; i++) {
		if (ctx->ns_fd[i] >= 0 && strcmp(ctx->ns_path[i], path) == 0) {
			int fd = ctx->ns_fd[i];

			ctx->ns_fd[i] = -1;
			*slot = i;
			return fd;
		}
	}
	return -1;
}

/*
 * `setns PATH NSTYPE [try|pending]`. With `try`, EPERM leaves the namespace for a later `pending`
 * (one owned by a user namespace P joins after it); with `pending`, a namespace joined already by
 * `try` is left as it is.
 */
void op_setns(struct ctx *ctx, const struct op *op)
{
	int nstype = num_int(ctx, op->argv[1]);
	const char *attempt = op->argc > 2 ? op->argv[2] : "";
	int slot = -1;
	int fd = take_opened_ns(ctx, op->argv[0], &slot);

	if (fd < 0 && strcmp(attempt, "pending") == 0)
		return;
	if (fd < 0)
		fd = open(op->argv[0], O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		fail(ctx, errno, "open %s", op->argv[0]);
	if (setns(fd, nstype) < 0) {
		if (errno == EPERM && strcmp(attempt, "try") == 0 && slot >= 0) {
			ctx->ns_fd[slot] = fd;
			return;
		}
		fail(ctx, errno, "setns(%s, 0x%x)", op->argv[0], nstype);
	}
	close(fd);
}

void op_unshare(struct ctx *ctx, const struct op *op)
{
	int flags = num_int(ctx, op->argv[0]);

	if (unshare(flags) < 0)
		fail(ctx, errno, "unshare(0x%x)", flags);
}

void op_write_file(struct ctx *ctx, const struct op *op)
{
	if (write_file(op->argv[0], op->argv[1], strlen(op->argv[1])) < 0)
		fail(ctx, errno, "write %s", op->argv[0]);
}

#ifndef CLONE_INTO_CGROUP
#define CLONE_INTO_CGROUP 0x200000000ULL
#endif

/* struct clone_args up to `cgroup` (CLONE_ARGS_SIZE_VER2), spelled out for older headers. */
struct clone_args_v2 {
	uint64_t flags, pidfd, child_tid, parent_tid, exit_signal, stack, stack_size, tls, set_tid, set_tid_size, cgroup;
};

/* `open-cgroup`: the cgroup2 directory the next `clone` creates C in. Opened before any setns, since
 * its path is the runtime's. */
void op_open_cgroup(struct ctx *ctx, const struct op *op)
{
	if (ctx->cgroup_fd >= 0)
		close(ctx->cgroup_fd);
	ctx->cgroup_fd = open(op->argv[0], O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (ctx->cgroup_fd < 0)
		fail(ctx, errno, "open cgroup %s", op->argv[0]);
}

/*
 * clone3 with CLONE_INTO_CGROUP: C starts in the cgroup of `open-cgroup` and nothing is migrated (a
 * migration makes the kernel wait for an RCU grace period). A kernel without clone3 (ENOSYS, before
 * 5.3) or without CLONE_INTO_CGROUP (E2BIG: it does not know the `cgroup` field, before 5.7) gets P
 * joined to that cgroup and a plain clone instead (reported as a fallback). clone3 refuses an exit signal with CLONE_PARENT:
 * the child then gets P's own, which is the SIGCHLD the flags ask for.
 */
static long clone_into(struct ctx *ctx, unsigned long flags)
{
	struct clone_args_v2 args = { 0 };
	char pid[16];
	long child;
	int procs, n;

	args.flags = (flags & ~0xffUL) | CLONE_INTO_CGROUP;
	args.exit_signal = flags & CLONE_PARENT ? 0 : flags & 0xff;
	args.cgroup = (uint64_t)ctx->cgroup_fd;
	child = syscall(SYS_clone3, &args, sizeof(args));
	if (child >= 0 || (errno != ENOSYS && errno != E2BIG))
		return child;
	report_fallback(ctx, "join-cgroup-and-clone", errno);
	n = snprintf(pid, sizeof(pid), "%d", getpid());
	procs = openat(ctx->cgroup_fd, "cgroup.procs", O_WRONLY | O_CLOEXEC);
	if (procs < 0 || write(procs, pid, (size_t)n) != n)
		fail(ctx, errno, "write %s to cgroup.procs of the cgroup to clone into", pid);
	close(procs);
	return syscall(SYS_clone, flags, 0, 0, 0, 0);
}

void op_clone(struct ctx *ctx, const struct op *op)
{
	unsigned long flags = num(ctx, op->argv[0]);
	int release[2];
	long pid;

	/* A socket rather than a pipe: before the release byte, P may send C mount sources on it. */
	if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, release) < 0)
		fail(ctx, errno, "socketpair for the release socket");
	pid = ctx->cgroup_fd >= 0 ? clone_into(ctx, flags) : syscall(SYS_clone, flags, 0, 0, 0, 0);
	if (pid < 0)
		fail(ctx, errno, "clone(0x%lx)", flags);
	if (ctx->cgroup_fd >= 0) {
		close(ctx->cgroup_fd);
		ctx->cgroup_fd = -1;
	}
	if (pid == 0) {
		/* C: without P's end the socket sees EOF if P dies before `release`. */
		close(release[0]);
		ctx->release_rd = release[1];
		run_container(ctx);
	}
	close(release[1]);
	ctx->child = (pid_t)pid;
	ctx->release_wr = release[0];
}

static pid_t need_child(struct ctx *ctx, const struct op *op)
{
	if (ctx->child <= 0)
		fail(ctx, 0, "%s before clone", op->name);
	return ctx->child;
}

static void write_child_file(struct ctx *ctx, const struct op *op, const char *file)
{
	char path[64];

	snprintf(path, sizeof(path), "/proc/%d/%s", need_child(ctx, op), file);
	if (write_file(path, op->argv[0], strlen(op->argv[0])) < 0)
		fail(ctx, errno, "write \"%s\" to %s", op->argv[0], path);
}

void op_uid_map(struct ctx *ctx, const struct op *op)
{
	write_child_file(ctx, op, "uid_map");
}

void op_gid_map(struct ctx *ctx, const struct op *op)
{
	write_child_file(ctx, op, "gid_map");
}

void op_report_pid(struct ctx *ctx, const struct op *op)
{
	if (send_line(ctx, "pid %d\n", need_child(ctx, op)) < 0)
		fail(ctx, errno, "send pid");
}

void op_release(struct ctx *ctx, const struct op *op)
{
	need_child(ctx, op);
	if (ctx->release_wr < 0)
		fail(ctx, 0, "release: already released");
	if (write(ctx->release_wr, "1", 1) != 1)
		fail(ctx, errno, "write to the release socket");
	close(ctx->release_wr);
	ctx->release_wr = -1;
}

void op_wait_release(struct ctx *ctx, const struct op *op)
{
	(void)op;
	if (ctx->release_rd < 0)
		fail(ctx, 0, "wait-release without clone");
	receive_until_release(ctx);
	close(ctx->release_rd);
	ctx->release_rd = -1;
}

/* The ops of docs/plan-format.md. Each handler either succeeds or calls fail(), which exits. */
#define _GNU_SOURCE
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <limits.h>
#include <sched.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/mount.h>
#include <sys/personality.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/sysmacros.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <termios.h>
#include <poll.h>
#include <time.h>
#include <unistd.h>

#include <linux/capability.h>
#include <linux/openat2.h>

#include "helper.h"

/* HEAD: may run in a head, before the rest of the plan is known (it touches only P). */
enum side { HOST = 1, CONTAINER = 2, BOTH = HOST | CONTAINER, HEAD = 4 };
enum create { CREATE_NONE, CREATE_DIR, CREATE_FILE };

#define VARIADIC INT_MAX

struct op_def {
	const char *name;
	int side;
	int min_args, max_args;
	void (*run)(struct ctx *ctx, const struct op *op);
};

/* ---- argument helpers ---- */

static const char *nullable(const char *s)
{
	return *s ? s : NULL;
}

static int parse_u64(const char *s, int base, unsigned long long *out)
{
	char *end;

	if (base == 16 && s[0] == '0' && (s[1] == 'x' || s[1] == 'X'))
		s += 2;
	/* strtoull would accept leading blanks and a sign. */
	if (base == 16 ? !isxdigit((unsigned char)*s) : !isdigit((unsigned char)*s))
		return -1;
	errno = 0;
	*out = strtoull(s, &end, base);
	return errno || *end ? -1 : 0;
}

static unsigned long long num_max(struct ctx *ctx, const char *s, unsigned long long max)
{
	unsigned long long v;

	if (parse_u64(s, 10, &v) < 0 || v > max)
		fail(ctx, 0, "bad number \"%s\" (at most %llu)", s, max);
	return v;
}

static unsigned long num(struct ctx *ctx, const char *s)
{
	return (unsigned long)num_max(ctx, s, ULONG_MAX);
}

static int num_int(struct ctx *ctx, const char *s)
{
	return (int)num_max(ctx, s, INT_MAX);
}

static unsigned long long hex64(struct ctx *ctx, const char *s)
{
	unsigned long long v;

	if (parse_u64(s, 16, &v) < 0)
		fail(ctx, 0, "bad hex number \"%s\"", s);
	return v;
}

static int write_file(const char *path, const char *content, size_t len)
{
	int fd = open(path, O_WRONLY | O_CLOEXEC), saved;
	ssize_t n = 0;

	if (fd < 0)
		return -1;
	while (len > 0) {
		n = write(fd, content, len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		content += n;
		len -= (size_t)n;
	}
	saved = errno;
	close(fd);
	if (len > 0) {
		errno = n == 0 ? EIO : saved;
		return -1;
	}
	return 0;
}

static void fd_path(int fd, char *buf, size_t len)
{
	snprintf(buf, len, "/proc/self/fd/%d", fd);
}

/* ---- host ops ---- */

static void op_cloexec_from(struct ctx *ctx, const struct op *op)
{
	unsigned int fd = (unsigned int)num_int(ctx, op->argv[0]);

	if (close_range(fd, ~0U, CLOSE_RANGE_CLOEXEC) < 0)
		fail(ctx, errno, "close_range(%u, ~0U, CLOSE_RANGE_CLOEXEC)", fd);
}

static void op_join_cgroup(struct ctx *ctx, const struct op *op)
{
	char pid[16];
	int n = snprintf(pid, sizeof(pid), "%d", getpid());

	if (write_file(op->argv[0], pid, (size_t)n) < 0)
		fail(ctx, errno, "write %s to %s", pid, op->argv[0]);
}

/* `open-ns`: a namespace file opened ahead, while P still has the runtime's rights: once it is in a
 * container's user namespace, the /proc/<pid>/ns files of a non-dumpable init are closed to it. */
static void op_open_ns(struct ctx *ctx, const struct op *op)
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

/* The fd `open-ns` opened for path (taken out of the table), else -1. */
static int take_opened_ns(struct ctx *ctx, const char *path)
{
	for (int i = 0; i < ctx->ns_count; i++) {
		if (ctx->ns_fd[i] >= 0 && strcmp(ctx->ns_path[i], path) == 0) {
			int fd = ctx->ns_fd[i];

			ctx->ns_fd[i] = -1;
			return fd;
		}
	}
	return -1;
}

static void op_setns(struct ctx *ctx, const struct op *op)
{
	int nstype = num_int(ctx, op->argv[1]);
	int fd = take_opened_ns(ctx, op->argv[0]);

	if (fd < 0)
		fd = open(op->argv[0], O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		fail(ctx, errno, "open %s", op->argv[0]);
	if (setns(fd, nstype) < 0)
		fail(ctx, errno, "setns(%s, 0x%x)", op->argv[0], nstype);
	close(fd);
}

static void op_unshare(struct ctx *ctx, const struct op *op)
{
	int flags = num_int(ctx, op->argv[0]);

	if (unshare(flags) < 0)
		fail(ctx, errno, "unshare(0x%x)", flags);
}

static void op_write_file(struct ctx *ctx, const struct op *op)
{
	if (write_file(op->argv[0], op->argv[1], strlen(op->argv[1])) < 0)
		fail(ctx, errno, "write %s", op->argv[0]);
}

static _Noreturn void run_container(struct ctx *ctx);

#ifndef CLONE_INTO_CGROUP
#define CLONE_INTO_CGROUP 0x200000000ULL
#endif

/* struct clone_args up to `cgroup` (CLONE_ARGS_SIZE_VER2), spelled out for older headers. */
struct clone_args_v2 {
	uint64_t flags, pidfd, child_tid, parent_tid, exit_signal, stack, stack_size, tls, set_tid, set_tid_size, cgroup;
};

/* `open-cgroup`: the cgroup2 directory the next `clone` creates C in. Opened before any setns, since
 * its path is the runtime's. */
static void op_open_cgroup(struct ctx *ctx, const struct op *op)
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
 * joined to that cgroup and a plain clone instead. clone3 refuses an exit signal with CLONE_PARENT:
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
	n = snprintf(pid, sizeof(pid), "%d", getpid());
	procs = openat(ctx->cgroup_fd, "cgroup.procs", O_WRONLY | O_CLOEXEC);
	if (procs < 0 || write(procs, pid, (size_t)n) != n)
		fail(ctx, errno, "write %s to cgroup.procs of the cgroup to clone into", pid);
	close(procs);
	return syscall(SYS_clone, flags, 0, 0, 0, 0);
}

static void op_clone(struct ctx *ctx, const struct op *op)
{
	unsigned long flags = num(ctx, op->argv[0]);
	int release[2];
	long pid;

	if (pipe2(release, O_CLOEXEC) < 0)
		fail(ctx, errno, "pipe2 for the release pipe");
	pid = ctx->cgroup_fd >= 0 ? clone_into(ctx, flags) : syscall(SYS_clone, flags, 0, 0, 0, 0);
	if (pid < 0)
		fail(ctx, errno, "clone(0x%lx)", flags);
	if (ctx->cgroup_fd >= 0) {
		close(ctx->cgroup_fd);
		ctx->cgroup_fd = -1;
	}
	if (pid == 0) {
		/* C: without P's write end the read end sees EOF if P dies before `release`. */
		close(release[1]);
		ctx->release_rd = release[0];
		run_container(ctx);
	}
	close(release[0]);
	ctx->child = (pid_t)pid;
	ctx->release_wr = release[1];
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

static void op_uid_map(struct ctx *ctx, const struct op *op)
{
	write_child_file(ctx, op, "uid_map");
}

static void op_gid_map(struct ctx *ctx, const struct op *op)
{
	write_child_file(ctx, op, "gid_map");
}

static void op_setgroups(struct ctx *ctx, const struct op *op)
{
	write_child_file(ctx, op, "setgroups");
}

static void op_report_pid(struct ctx *ctx, const struct op *op)
{
	if (send_line(ctx, "pid %d\n", need_child(ctx, op)) < 0)
		fail(ctx, errno, "send pid");
}

static void op_release(struct ctx *ctx, const struct op *op)
{
	need_child(ctx, op);
	if (ctx->release_wr < 0)
		fail(ctx, 0, "release: already released");
	if (write(ctx->release_wr, "1", 1) != 1)
		fail(ctx, errno, "write to the release pipe");
	close(ctx->release_wr);
	ctx->release_wr = -1;
}

/* ---- paths in root ---- */

static int open_in_root(int rootfd, const char *rel, int flags)
{
	struct open_how how = {
		.flags = (unsigned long long)(O_PATH | O_CLOEXEC | flags),
		.resolve = RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS,
	};

	return (int)syscall(SYS_openat2, rootfd, rel, &how, sizeof(how));
}

static int open_root(struct ctx *ctx, const char *root)
{
	int fd = open(root, O_PATH | O_DIRECTORY | O_CLOEXEC);

	if (fd < 0)
		fail(ctx, errno, "open root %s", root);
	return fd;
}

#define MAX_SYMLINKS 40

/* The next component of *p ("" at the end), its length in *clen; *p is moved past it. */
static const char *next_component(const char **p, size_t *clen)
{
	const char *c = *p;

	while (*c == '/')
		c++;
	*clen = strcspn(c, "/");
	*p = c + *clen;
	return c;
}

static int is_last(const char *p)
{
	while (*p == '/')
		p++;
	return *p == '\0';
}

/*
 * Copies path into rel, relative to root ("" for the root itself), with "." and empty components
 * dropped and every symlink on the part that exists replaced by its target, read the way openat2
 * RESOLVE_IN_ROOT would follow it (an absolute target from the root, ".." never above it). The rest is
 * kept as written, to be created there: a path through a dangling symlink is made inside the rootfs,
 * where the symlink points (as runc does), never where mkdir would trip over the link. A magic link is
 * refused (ELOOP), as openat2 refuses it. With follow_last 0, a last component that is a symlink stays.
 */
static void expand_in_root(struct ctx *ctx, int rootfd, const char *path, char *rel, size_t len, int follow_last)
{
	char pending[PATH_MAX], target[PATH_MAX];
	const char *p = pending;
	size_t n = 0;
	int links = 0, missing = 0;

	if (strlen(path) >= sizeof(pending))
		fail(ctx, ENAMETOOLONG, "path %s", path);
	strcpy(pending, path);
	rel[0] = '\0';
	for (;;) {
		size_t clen, start = n;
		const char *comp = next_component(&p, &clen);
		struct stat st;
		ssize_t tlen;
		int fd, check;

		if (clen == 0)
			break;
		if (clen == 1 && comp[0] == '.')
			continue;
		if (clen == 2 && comp[0] == '.' && comp[1] == '.') {
			char *slash = strrchr(rel, '/');

			n = slash ? (size_t)(slash - rel) : 0;
			rel[n] = '\0';
			continue;
		}
		if (n + clen + 2 > len)
			fail(ctx, ENAMETOOLONG, "path %s", path);
		if (n > 0)
			rel[n++] = '/';
		memcpy(rel + n, comp, clen);
		n += clen;
		rel[n] = '\0';
		if (missing || (!follow_last && is_last(p)))
			continue;
		fd = open_in_root(rootfd, rel, O_NOFOLLOW);
		if (fd < 0 && errno == ENOENT) {
			missing = 1;
			continue;
		}
		if (fd < 0)
			fail(ctx, errno, "openat2 %s in root", rel);
		if (fstat(fd, &st) < 0)
			fail(ctx, errno, "fstat %s in root", rel);
		if (!S_ISLNK(st.st_mode)) {
			close(fd);
			continue;
		}
		/* Following it tells a magic link (ELOOP) from a plain one, dangling (ENOENT) or not. */
		check = open_in_root(rootfd, rel, 0);
		if (check < 0 && errno != ENOENT)
			fail(ctx, errno, "openat2 %s in root", rel);
		if (check >= 0)
			close(check);
		if (++links > MAX_SYMLINKS)
			fail(ctx, ELOOP, "path %s", path);
		tlen = readlinkat(fd, "", target, sizeof(target));
		if (tlen < 0)
			fail(ctx, errno, "readlink %s in root", rel);
		close(fd);
		if ((size_t)tlen + 1 + strlen(p) + 1 > sizeof(target))
			fail(ctx, ENAMETOOLONG, "path %s", path);
		/* The target takes the link's place in what is left to walk. */
		memcpy(target + tlen, "/", 1);
		strcpy(target + tlen + 1, p);
		strcpy(pending, target);
		p = pending;
		n = target[0] == '/' ? 0 : start;
		rel[n] = '\0';
	}
}

/* Opens (creating missing directories) every proper prefix of rel in root, and returns an O_PATH fd
 * of the directory that holds the last component, which *last points to ("" for the root itself). */
static int resolve_parent(struct ctx *ctx, int rootfd, char *rel, const char **last)
{
	char *comp = rel, *slash;
	int dirfd = open_in_root(rootfd, ".", O_DIRECTORY);

	if (dirfd < 0)
		fail(ctx, errno, "openat2 . in root");
	while ((slash = strchr(comp, '/'))) {
		int fd;

		*slash = '\0';
		fd = open_in_root(rootfd, rel, O_DIRECTORY);
		if (fd < 0 && errno == ENOENT) {
			if (mkdirat(dirfd, comp, 0755) < 0)
				fail(ctx, errno, "mkdirat %s in root", rel);
			fd = open_in_root(rootfd, rel, O_DIRECTORY);
		}
		if (fd < 0)
			fail(ctx, errno, "openat2 %s in root", rel);
		close(dirfd);
		dirfd = fd;
		*slash = '/';
		comp = slash + 1;
	}
	*last = comp;
	return dirfd;
}

static void create_last(struct ctx *ctx, int dirfd, const char *name, const char *rel, enum create create)
{
	int fd;

	if (create == CREATE_DIR) {
		if (mkdirat(dirfd, name, 0755) < 0)
			fail(ctx, errno, "mkdirat %s in root", rel);
		return;
	}
	/* O_EXCL|O_NOFOLLOW: never create through a (dangling) symlink. */
	fd = openat(dirfd, name, O_CREAT | O_EXCL | O_NOFOLLOW | O_WRONLY | O_CLOEXEC, 0644);
	if (fd < 0)
		fail(ctx, errno, "create file %s in root", rel);
	close(fd);
}

/* Returns an O_PATH fd of path resolved in root, creating it as `create` says when missing. */
static int resolve_in_root(struct ctx *ctx, int rootfd, const char *path, enum create create)
{
	char rel[PATH_MAX];
	const char *name;
	int dirfd, fd;

	expand_in_root(ctx, rootfd, path, rel, sizeof(rel), 1);
	dirfd = resolve_parent(ctx, rootfd, rel, &name);
	if (!*name)
		return dirfd;
	fd = open_in_root(rootfd, rel, 0);
	if (fd < 0 && errno == ENOENT && create != CREATE_NONE) {
		create_last(ctx, dirfd, name, rel, create);
		fd = open_in_root(rootfd, rel, 0);
	}
	if (fd < 0)
		fail(ctx, errno, "openat2 %s in root", rel);
	close(dirfd);
	return fd;
}

static enum create parse_create(struct ctx *ctx, const char *s)
{
	if (strcmp(s, "dir") == 0)
		return CREATE_DIR;
	if (strcmp(s, "file") == 0)
		return CREATE_FILE;
	if (strcmp(s, "none") == 0)
		return CREATE_NONE;
	fail(ctx, 0, "bad create mode \"%s\"", s);
}

/* ---- mounts ---- */

/* The flags a bind remount must repeat: the kernel refuses to clear them in a user namespace. */
static unsigned long locked_flags(struct ctx *ctx, const char *path)
{
	static const struct { unsigned long st, ms; } map[] = {
		{ ST_NOSUID, MS_NOSUID },     { ST_NODEV, MS_NODEV },
		{ ST_NOEXEC, MS_NOEXEC },     { ST_NOATIME, MS_NOATIME },
		{ ST_NODIRATIME, MS_NODIRATIME }, { ST_RELATIME, MS_RELATIME },
	};
	struct statvfs sv;
	unsigned long flags = 0;

	if (statvfs(path, &sv) < 0)
		fail(ctx, errno, "statvfs %s", path);
	for (size_t i = 0; i < sizeof(map) / sizeof(map[0]); i++)
		if (sv.f_flag & map[i].st)
			flags |= map[i].ms;
	return flags;
}

static void remount(struct ctx *ctx, const char *path, const char *shown, unsigned long extra)
{
	unsigned long flags = MS_REMOUNT | MS_BIND | extra | locked_flags(ctx, path);

	if (mount(NULL, path, NULL, flags, NULL) < 0)
		fail(ctx, errno, "remount %s with 0x%lx", shown, flags);
}

/* stat() that treats a missing path as "nothing to do". */
static int exists(struct ctx *ctx, const char *path, struct stat *st)
{
	if (stat(path, st) == 0)
		return 1;
	if (errno == ENOENT)
		return 0;
	fail(ctx, errno, "stat %s", path);
}

static void op_mount(struct ctx *ctx, const struct op *op)
{
	char *const *a = op->argv;
	unsigned long flags = num(ctx, a[3]);

	if (mount(nullable(a[0]), a[1], nullable(a[2]), flags, nullable(a[4])) < 0)
		fail(ctx, errno, "mount(\"%s\", \"%s\", \"%s\", 0x%lx, \"%s\")", a[0], a[1], a[2], flags, a[4]);
}

static void op_mount_in_root(struct ctx *ctx, const struct op *op)
{
	char *const *a = op->argv;
	const char *dest = a[2];
	unsigned long flags = num(ctx, a[4]);
	enum create create = parse_create(ctx, a[6]);
	unsigned long remount_flags = num(ctx, a[7]), propagation = num(ctx, a[8]);
	int rootfd = open_root(ctx, a[0]);
	int fd = resolve_in_root(ctx, rootfd, dest, create);
	char path[32];

	fd_path(fd, path, sizeof(path));
	if (mount(nullable(a[1]), path, nullable(a[3]), flags, nullable(a[5])) < 0)
		fail(ctx, errno, "mount(\"%s\", \"%s\" = %s in root, \"%s\", 0x%lx, \"%s\")", a[1], path, dest,
		     a[3], flags, a[5]);
	close(fd);
	if (remount_flags || propagation) {
		/* The old fd still names the directory under the new mount; look the mount itself up. */
		fd = resolve_in_root(ctx, rootfd, dest, CREATE_NONE);
		fd_path(fd, path, sizeof(path));
		if (remount_flags)
			remount(ctx, path, dest, remount_flags);
		if (propagation && mount(NULL, path, NULL, propagation, NULL) < 0)
			fail(ctx, errno, "mount(NULL, \"%s\" = %s in root, NULL, 0x%lx, NULL)", path, dest,
			     propagation);
		close(fd);
	}
	close(rootfd);
}

static void op_mknod_in_root(struct ctx *ctx, const struct op *op)
{
	char *const *a = op->argv;
	mode_t mode = (mode_t)num_max(ctx, a[2], UINT_MAX);
	dev_t dev = makedev(num_max(ctx, a[3], UINT_MAX), num_max(ctx, a[4], UINT_MAX));
	uid_t uid = (uid_t)num_max(ctx, a[5], UINT_MAX);
	gid_t gid = (gid_t)num_max(ctx, a[6], UINT_MAX);
	int rootfd = open_root(ctx, a[0]);
	char rel[PATH_MAX];
	const char *name;
	mode_t old_umask;
	int dirfd, r;

	expand_in_root(ctx, rootfd, a[1], rel, sizeof(rel), 0);
	dirfd = resolve_parent(ctx, rootfd, rel, &name);
	if (!*name)
		fail(ctx, EEXIST, "mknod %s: is the root", a[1]);
	if (unlinkat(dirfd, name, 0) < 0 && errno != ENOENT)
		fail(ctx, errno, "unlinkat %s in root", rel);
	/* The mode is the config's, exactly. */
	old_umask = umask(0);
	r = mknodat(dirfd, name, mode, dev);
	umask(old_umask);
	if (r < 0)
		fail(ctx, errno, "mknodat %s in root, mode 0%o, %s:%s", rel, mode, a[3], a[4]);
	if (fchownat(dirfd, name, uid, gid, AT_SYMLINK_NOFOLLOW) < 0)
		fail(ctx, errno, "fchownat %s in root to %u:%u", rel, uid, gid);
	close(dirfd);
	close(rootfd);
}

static void op_symlink_in_root(struct ctx *ctx, const struct op *op)
{
	char *const *a = op->argv;
	int rootfd = open_root(ctx, a[0]);
	char rel[PATH_MAX];
	const char *name;
	int dirfd;

	expand_in_root(ctx, rootfd, a[2], rel, sizeof(rel), 0);
	dirfd = resolve_parent(ctx, rootfd, rel, &name);
	if (*name && symlinkat(a[1], dirfd, name) < 0 && errno != EEXIST)
		fail(ctx, errno, "symlinkat %s -> %s in root", rel, a[1]);
	close(dirfd);
	close(rootfd);
}

static void op_pivot_root(struct ctx *ctx, const struct op *op)
{
	const char *root = op->argv[0];
	int oldroot = open("/", O_DIRECTORY | O_RDONLY | O_CLOEXEC);
	int newroot = open(root, O_DIRECTORY | O_RDONLY | O_CLOEXEC);

	if (oldroot < 0 || newroot < 0)
		fail(ctx, errno, "open %s", oldroot < 0 ? "/" : root);
	if (fchdir(newroot) < 0)
		fail(ctx, errno, "fchdir %s", root);
	/* Stacks the old root on top of the new one; it is then found at "." and detached. */
	if (syscall(SYS_pivot_root, ".", ".") < 0)
		fail(ctx, errno, "pivot_root(\".\", \".\") in %s", root);
	if (fchdir(oldroot) < 0)
		fail(ctx, errno, "fchdir to the old root");
	if (mount(NULL, ".", NULL, MS_SLAVE | MS_REC, NULL) < 0)
		fail(ctx, errno, "make the old root rslave");
	if (umount2(".", MNT_DETACH) < 0)
		fail(ctx, errno, "umount2 the old root");
	if (chdir("/") < 0)
		fail(ctx, errno, "chdir /");
	close(oldroot);
	close(newroot);
}

static void op_move_root(struct ctx *ctx, const struct op *op)
{
	const char *root = op->argv[0];

	if (chdir(root) < 0)
		fail(ctx, errno, "chdir %s", root);
	if (mount(root, "/", NULL, MS_MOVE, NULL) < 0)
		fail(ctx, errno, "mount(\"%s\", \"/\", NULL, MS_MOVE, NULL)", root);
	if (chroot(".") < 0)
		fail(ctx, errno, "chroot %s", root);
	if (chdir("/") < 0)
		fail(ctx, errno, "chdir /");
}

static void op_mask(struct ctx *ctx, const struct op *op)
{
	const char *path = op->argv[0];
	struct stat st;

	if (!exists(ctx, path, &st))
		return;
	if (S_ISDIR(st.st_mode)) {
		if (mount("tmpfs", path, "tmpfs", MS_RDONLY, NULL) < 0)
			fail(ctx, errno, "mount a read-only tmpfs on %s", path);
	} else if (mount("/dev/null", path, NULL, MS_BIND, NULL) < 0) {
		fail(ctx, errno, "bind /dev/null on %s", path);
	}
}

static void op_readonly(struct ctx *ctx, const struct op *op)
{
	const char *path = op->argv[0];
	struct stat st;

	if (!exists(ctx, path, &st))
		return;
	if (mount(path, path, NULL, MS_BIND | MS_REC, NULL) < 0)
		fail(ctx, errno, "bind %s on itself", path);
	remount(ctx, path, path, MS_RDONLY);
}

static void op_remount_ro(struct ctx *ctx, const struct op *op)
{
	remount(ctx, op->argv[0], op->argv[0], MS_RDONLY);
}

/* ---- container ops: process state ---- */

static void op_wait_release(struct ctx *ctx, const struct op *op)
{
	char byte;
	ssize_t n;

	(void)op;
	if (ctx->release_rd < 0)
		fail(ctx, 0, "wait-release without clone");
	do
		n = read(ctx->release_rd, &byte, 1);
	while (n < 0 && errno == EINTR);
	if (n < 0)
		fail(ctx, errno, "read the release pipe");
	if (n == 0)
		fail(ctx, 0, "the parent exited before release");
	close(ctx->release_rd);
	ctx->release_rd = -1;
}

static void op_setsid(struct ctx *ctx, const struct op *op)
{
	(void)op;
	if (setsid() < 0)
		fail(ctx, errno, "setsid");
}

static void op_become_root(struct ctx *ctx, const struct op *op)
{
	(void)op;
	if (setresgid(0, 0, 0) < 0)
		fail(ctx, errno, "setresgid(0, 0, 0)");
	if (setresuid(0, 0, 0) < 0)
		fail(ctx, errno, "setresuid(0, 0, 0)");
	if (setgroups(0, NULL) < 0)
		fail(ctx, errno, "setgroups(0, NULL)");
}

static void op_sethostname(struct ctx *ctx, const struct op *op)
{
	if (sethostname(op->argv[0], strlen(op->argv[0])) < 0)
		fail(ctx, errno, "sethostname(\"%s\")", op->argv[0]);
}

static void op_setdomainname(struct ctx *ctx, const struct op *op)
{
	if (setdomainname(op->argv[0], strlen(op->argv[0])) < 0)
		fail(ctx, errno, "setdomainname(\"%s\")", op->argv[0]);
}

/* `open-exec-fifo`: the fifo itself as an O_PATH fd, taken before the root change. Not its directory,
 * which would be a way out: no path walks through a fifo's fd, and an O_PATH fd gives no access. */
static void op_open_exec_fifo(struct ctx *ctx, const struct op *op)
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

static void op_rlimit(struct ctx *ctx, const struct op *op)
{
	int resource = num_int(ctx, op->argv[0]);
	struct rlimit rl = {
		.rlim_cur = (rlim_t)num_max(ctx, op->argv[1], ULLONG_MAX),
		.rlim_max = (rlim_t)num_max(ctx, op->argv[2], ULLONG_MAX),
	};

	if (setrlimit(resource, &rl) < 0)
		fail(ctx, errno, "setrlimit(%d, %s, %s)", resource, op->argv[1], op->argv[2]);
}

static void op_umask(struct ctx *ctx, const struct op *op)
{
	umask((mode_t)num_max(ctx, op->argv[0], 0777));
}

/* sched_setattr(2) has no glibc wrapper; the layout of <linux/sched/types.h> (size 56: with util clamps). */
struct tsrunc_sched_attr {
	unsigned int size;
	unsigned int sched_policy;
	unsigned long long sched_flags;
	int sched_nice;
	unsigned int sched_priority;
	unsigned long long sched_runtime;
	unsigned long long sched_deadline;
	unsigned long long sched_period;
	unsigned int sched_util_min;
	unsigned int sched_util_max;
};

static void op_personality(struct ctx *ctx, const struct op *op)
{
	unsigned long persona = num_max(ctx, op->argv[0], 0xffffffffUL);

	if (personality(persona) < 0)
		fail(ctx, errno, "personality(0x%lx)", persona);
}

static void op_sched_setattr(struct ctx *ctx, const struct op *op)
{
	const char *const *a = (const char *const *)op->argv;
	const char *nice = a[2];
	int negative = nice[0] == '-';
	struct tsrunc_sched_attr attr;

	memset(&attr, 0, sizeof(attr));
	attr.size = sizeof(attr);
	attr.sched_policy = (unsigned int)num_max(ctx, a[0], UINT_MAX);
	attr.sched_flags = num_max(ctx, a[1], ULLONG_MAX);
	attr.sched_nice = (int)num_max(ctx, nice + negative, 20);
	if (negative)
		attr.sched_nice = -attr.sched_nice;
	attr.sched_priority = (unsigned int)num_max(ctx, a[3], UINT_MAX);
	attr.sched_runtime = num_max(ctx, a[4], ULLONG_MAX);
	attr.sched_deadline = num_max(ctx, a[5], ULLONG_MAX);
	attr.sched_period = num_max(ctx, a[6], ULLONG_MAX);
	if (syscall(SYS_sched_setattr, 0, &attr, 0) < 0)
		fail(ctx, errno, "sched_setattr(policy %s, flags %s, nice %s, priority %s, runtime %s, deadline %s, period %s)",
		     a[0], a[1], a[2], a[3], a[4], a[5], a[6]);
}

static void op_ioprio(struct ctx *ctx, const struct op *op)
{
	int value = (int)num_max(ctx, op->argv[0], 0xffff);

	/* IOPRIO_WHO_PROCESS (1), who 0: the calling thread. */
	if (syscall(SYS_ioprio_set, 1, 0, value) < 0)
		fail(ctx, errno, "ioprio_set(IOPRIO_WHO_PROCESS, 0, 0x%x)", value);
}

static void op_keep_caps(struct ctx *ctx, const struct op *op)
{
	(void)op;
	if (prctl(PR_SET_KEEPCAPS, 1, 0, 0, 0) < 0)
		fail(ctx, errno, "prctl(PR_SET_KEEPCAPS, 1)");
}

static void op_drop_bounding(struct ctx *ctx, const struct op *op)
{
	for (int i = 0; i < op->argc; i++) {
		int cap = num_int(ctx, op->argv[i]);
		if (prctl(PR_CAPBSET_DROP, cap, 0, 0, 0) < 0)
			fail(ctx, errno, "prctl(PR_CAPBSET_DROP, %d)", cap);
	}
}

static void op_setgroups_list(struct ctx *ctx, const struct op *op)
{
	gid_t *gids = calloc((size_t)op->argc + 1, sizeof(gid_t));

	if (!gids)
		fail(ctx, errno, "allocate %d groups", op->argc);
	for (int i = 0; i < op->argc; i++)
		gids[i] = (gid_t)num_max(ctx, op->argv[i], UINT_MAX);
	if (setgroups((size_t)op->argc, gids) < 0)
		fail(ctx, errno, "setgroups(%d groups)", op->argc);
	free(gids);
}

static void op_setresgid(struct ctx *ctx, const struct op *op)
{
	gid_t gid = (gid_t)num_max(ctx, op->argv[0], UINT_MAX);

	if (setresgid(gid, gid, gid) < 0)
		fail(ctx, errno, "setresgid(%u)", gid);
}

static void op_setresuid(struct ctx *ctx, const struct op *op)
{
	uid_t uid = (uid_t)num_max(ctx, op->argv[0], UINT_MAX);

	if (setresuid(uid, uid, uid) < 0)
		fail(ctx, errno, "setresuid(%u)", uid);
}

static void op_capset(struct ctx *ctx, const struct op *op)
{
	unsigned long long eff = hex64(ctx, op->argv[0]), perm = hex64(ctx, op->argv[1]),
			   inh = hex64(ctx, op->argv[2]);
	struct __user_cap_header_struct hdr = { .version = _LINUX_CAPABILITY_VERSION_3, .pid = 0 };
	struct __user_cap_data_struct data[2] = {
		{ .effective = (__u32)eff, .permitted = (__u32)perm, .inheritable = (__u32)inh },
		{ .effective = (__u32)(eff >> 32), .permitted = (__u32)(perm >> 32),
		  .inheritable = (__u32)(inh >> 32) },
	};

	if (syscall(SYS_capset, &hdr, data) < 0)
		fail(ctx, errno, "capset(eff %s, perm %s, inh %s)", op->argv[0], op->argv[1], op->argv[2]);
}

static void op_ambient(struct ctx *ctx, const struct op *op)
{
	if (prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0) < 0)
		fail(ctx, errno, "prctl(PR_CAP_AMBIENT_CLEAR_ALL)");
	for (int i = 0; i < op->argc; i++) {
		int cap = num_int(ctx, op->argv[i]);
		if (prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_RAISE, cap, 0, 0) < 0)
			fail(ctx, errno, "prctl(PR_CAP_AMBIENT_RAISE, %d)", cap);
	}
}

static void op_no_new_privs(struct ctx *ctx, const struct op *op)
{
	(void)op;
	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0)
		fail(ctx, errno, "prctl(PR_SET_NO_NEW_PRIVS, 1)");
}

/* The cwd must be a place under the process's root: a cwd reached through a magic link (an fd of a
 * host directory, say) is outside it, and getcwd then answers "(unreachable)..." (ENOENT in glibc). */
static void op_chdir(struct ctx *ctx, const struct op *op)
{
	char cwd[PATH_MAX];
	const char *at;

	if (chdir(op->argv[0]) < 0)
		fail(ctx, errno, "chdir %s", op->argv[0]);
	at = getcwd(cwd, sizeof(cwd));
	if (!at && errno != ENOENT)
		fail(ctx, errno, "getcwd after chdir %s", op->argv[0]);
	if (!at || cwd[0] != '/')
		fail(ctx, 0, "chdir %s: current working directory is outside of container mount namespace root "
			     "-- possible container breakout detected", op->argv[0]);
}

/* ---- container ops: the end ---- */

static void op_find_exec(struct ctx *ctx, const struct op *op)
{
	int err = ENOENT;

	for (int i = 0; i < op->argc; i++) {
		const char *path = op->argv[i];
		struct stat st;

		if (stat(path, &st) < 0)
			err = errno;
		else if (!S_ISREG(st.st_mode))
			err = EACCES;
		else if (access(path, X_OK) < 0)
			err = errno;
		else {
			ctx->program = path;
			return;
		}
	}
	fail(ctx, err, "find-exec: no executable among %d candidates, first %s", op->argc,
	     op->argc ? op->argv[0] : "(none)");
}

static void op_ready(struct ctx *ctx, const struct op *op)
{
	(void)op;
	if (send_line(ctx, "ready\n") < 0)
		fail(ctx, errno, "send ready");
	close(ctx->sync_fd);
	ctx->sync_fd = -1;
}

static void op_report_start(struct ctx *ctx, const struct op *op)
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
 * execve, so `start` can wait for the EOF that says the program runs. */
static void op_wait_start(struct ctx *ctx, const struct op *op)
{
	char path[32];
	int fd;

	if (op->argc == 1 && strcmp(op->argv[0], "hold") != 0)
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
	if (op->argc == 0)
		op_report_start(ctx, op);
}

/* ---- hooks ---- */

/* Asks tsrunc to run the hooks of a phase in the runtime namespace, and waits for its answer. */
static void op_hooks(struct ctx *ctx, const struct op *op)
{
	char reply[16];
	size_t n = 0;

	if (ctx->sync_fd < 0)
		fail(ctx, 0, "hooks %s after ready", op->argv[0]);
	if (send_line(ctx, "hooks %s\n", op->argv[0]) < 0)
		fail(ctx, errno, "send hooks %s", op->argv[0]);
	for (;;) {
		char c;
		ssize_t r = read(ctx->sync_fd, &c, 1);

		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0)
			fail(ctx, errno, "read the answer to hooks %s", op->argv[0]);
		if (r == 0)
			fail(ctx, 0, "no answer to hooks %s", op->argv[0]);
		if (c == '\n')
			break;
		if (n < sizeof(reply) - 1)
			reply[n++] = c;
	}
	reply[n] = '\0';
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

/* The end of what the hook wrote (at most len-1 bytes), trimmed; "" when nothing. */
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
	while (n > 0 && isspace((unsigned char)buf[n - 1]))
		buf[--n] = '\0';
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
static void op_run_hook(struct ctx *ctx, const struct op *op)
{
	char *const *a = op->argv;
	const char *label = a[0], *path = a[4];
	long long timeout_ms = (long long)num_max(ctx, a[1], 1u << 30) * 1000;
	int argc = num_int(ctx, a[5]);
	char **args = calloc((size_t)argc + 1, sizeof(char *));
	char *const *env = strcmp(a[6 + argc], "inherit") == 0 ? environ : a + 7 + argc;
	char pidtext[16], output[1024];
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
		fail(ctx, 0, "%s: %s timed out after %s s and was killed%s%s", label, path, a[1],
		     *output ? ": " : "", output);
	}
	close(pidfd);
	if (read(errpipe[0], &exec_err, sizeof(exec_err)) == (ssize_t)sizeof(exec_err))
		fail(ctx, 0, "%s: exec %s: %s", label, path, strerror(exec_err));
	close(errpipe[0]);
	hook_output(out, output, sizeof(output));
	close(out);
	if (WIFEXITED(status) && WEXITSTATUS(status) == 0)
		return;
	if (WIFEXITED(status))
		fail(ctx, 0, "%s: %s exited with status %d%s%s", label, path, WEXITSTATUS(status),
		     *output ? ": " : "", output);
	fail(ctx, 0, "%s: %s was killed by signal %d (%s)%s%s", label, path, WTERMSIG(status),
	     strsignal(WTERMSIG(status)), *output ? ": " : "", output);
}

/* exec's argv: its first n arguments, NULL-terminated. */
static char **exec_argv(struct ctx *ctx, const struct op *op)
{
	int n = num_int(ctx, op->argv[0]);
	char **args = calloc((size_t)n + 1, sizeof(char *));

	if (!args)
		fail(ctx, errno, "allocate %d arguments", n);
	memcpy(args, op->argv + 1, (size_t)n * sizeof(char *));
	return args;
}

static void op_exec(struct ctx *ctx, const struct op *op)
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

/* ---- the table and the interpreter ---- */

/* ---- terminal ---- */

#ifndef TIOCGPTPEER
#define TIOCGPTPEER _IO('T', 0x41)
#endif

/* Host op: connects to the console socket from the runtime's view (before any setns or root change). */
static void op_console_connect(struct ctx *ctx, const struct op *op)
{
	struct sockaddr_un addr = { .sun_family = AF_UNIX };
	const char *path = op->argv[0];
	int fd, r;

	if (ctx->console_fd >= 0)
		fail(ctx, 0, "console-connect: already connected");
	if (!*path || strlen(path) >= sizeof(addr.sun_path))
		fail(ctx, ENAMETOOLONG, "console socket path \"%s\"", path);
	memcpy(addr.sun_path, path, strlen(path) + 1);
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		fail(ctx, errno, "socket(AF_UNIX, SOCK_STREAM)");
	do
		r = connect(fd, (struct sockaddr *)&addr, sizeof(addr));
	while (r < 0 && errno == EINTR);
	if (r < 0)
		fail(ctx, errno, "connect to the console socket %s", path);
	ctx->console_fd = fd;
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
 * console <ptmx> <rows> <cols> <uid or empty> <console path or empty>: a new pty from ptmx (in the
 * container's devpts), its size, the slave owned by uid, bound onto the console path, the master sent
 * on the console socket, the slave made the controlling terminal and fds 0, 1 and 2.
 */
static void op_console(struct ctx *ctx, const struct op *op)
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
	if (slave < 0 && (errno == EINVAL || errno == ENOTTY))
		slave = open(slave_path, O_RDWR | O_NOCTTY | O_CLOEXEC);
	if (slave < 0)
		fail(ctx, errno, "open the pty slave %s", slave_path);
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

static const struct op_def defs[] = {
	{ "cloexec-from", HOST | HEAD, 1, 1, op_cloexec_from },
	{ "join-cgroup", HOST | HEAD, 1, 1, op_join_cgroup },
	{ "open-ns", HOST, 1, 1, op_open_ns },
	{ "setns", HOST, 2, 2, op_setns },
	{ "unshare", HOST, 1, 1, op_unshare },
	{ "write-file", BOTH, 2, 2, op_write_file },
	{ "open-cgroup", HOST | HEAD, 1, 1, op_open_cgroup },
	{ "clone", HOST, 1, 1, op_clone },
	{ "uid-map", HOST, 1, 1, op_uid_map },
	{ "gid-map", HOST, 1, 1, op_gid_map },
	{ "setgroups", HOST, 1, 1, op_setgroups },
	{ "report-pid", HOST, 0, 0, op_report_pid },
	{ "release", HOST, 0, 0, op_release },
	{ "console-connect", HOST, 1, 1, op_console_connect },
	{ "wait-release", CONTAINER, 0, 0, op_wait_release },
	{ "setsid", CONTAINER, 0, 0, op_setsid },
	{ "become-root", CONTAINER, 0, 0, op_become_root },
	{ "sethostname", CONTAINER, 1, 1, op_sethostname },
	{ "setdomainname", CONTAINER, 1, 1, op_setdomainname },
	{ "mount", CONTAINER, 5, 5, op_mount },
	{ "open-exec-fifo", CONTAINER, 1, 1, op_open_exec_fifo },
	{ "mount-in-root", CONTAINER, 9, 9, op_mount_in_root },
	{ "mknod-in-root", CONTAINER, 7, 7, op_mknod_in_root },
	{ "symlink-in-root", CONTAINER, 3, 3, op_symlink_in_root },
	{ "pivot-root", CONTAINER, 1, 1, op_pivot_root },
	{ "move-root", CONTAINER, 1, 1, op_move_root },
	{ "mask", CONTAINER, 1, 1, op_mask },
	{ "readonly", CONTAINER, 1, 1, op_readonly },
	{ "remount-ro", CONTAINER, 1, 1, op_remount_ro },
	{ "rlimit", CONTAINER, 3, 3, op_rlimit },
	{ "umask", CONTAINER, 1, 1, op_umask },
	{ "personality", CONTAINER, 1, 1, op_personality },
	{ "sched-setattr", CONTAINER, 7, 7, op_sched_setattr },
	{ "ioprio", CONTAINER, 1, 1, op_ioprio },
	{ "keep-caps", CONTAINER, 0, 0, op_keep_caps },
	{ "drop-bounding", CONTAINER, 0, VARIADIC, op_drop_bounding },
	{ "setgroups-list", CONTAINER, 0, VARIADIC, op_setgroups_list },
	{ "setresgid", CONTAINER, 1, 1, op_setresgid },
	{ "setresuid", CONTAINER, 1, 1, op_setresuid },
	{ "capset", CONTAINER, 3, 3, op_capset },
	{ "ambient", CONTAINER, 0, VARIADIC, op_ambient },
	{ "no-new-privs", CONTAINER, 0, 0, op_no_new_privs },
	{ "seccomp", CONTAINER, 1, VARIADIC, op_seccomp },
	{ "seccomp-load", CONTAINER, 0, 0, op_seccomp_load },
	{ "chdir", CONTAINER, 1, 1, op_chdir },
	{ "find-exec", CONTAINER, 0, VARIADIC, op_find_exec },
	{ "ready", CONTAINER, 0, 0, op_ready },
	{ "wait-start", CONTAINER, 0, 1, op_wait_start },
	{ "report-start", CONTAINER, 0, 0, op_report_start },
	{ "hooks", CONTAINER, 1, 1, op_hooks },
	{ "run-hook", CONTAINER, 7, VARIADIC, op_run_hook },
	{ "console", CONTAINER, 5, 5, op_console },
	{ "exec", CONTAINER, 1, VARIADIC, op_exec },
};

static const struct op_def *lookup(const char *name)
{
	for (size_t i = 0; i < sizeof(defs) / sizeof(defs[0]); i++)
		if (strcmp(defs[i].name, name) == 0)
			return &defs[i];
	return NULL;
}

/* exec's first argument counts the program arguments that follow; the rest is the environment. */
static int exec_args_ok(const struct op *op)
{
	unsigned long long n;

	return parse_u64(op->argv[0], 10, &n) == 0 && n <= (unsigned long long)op->argc - 1;
}

/* run-hook: argc arguments after the first six, then `inherit` alone or a count of what is left. */
static int run_hook_args_ok(const struct op *op)
{
	unsigned long long argc, envc;
	const char *env;

	if (parse_u64(op->argv[5], 10, &argc) < 0 || argc > (unsigned long long)op->argc - 7)
		return 0;
	env = op->argv[6 + argc];
	if (strcmp(env, "inherit") == 0)
		return (unsigned long long)op->argc == 7 + argc;
	return parse_u64(env, 10, &envc) == 0 && (unsigned long long)op->argc == 7 + argc + envc;
}

int ops_validate(const struct plan *plan, struct failure *f)
{
	for (int i = 0; i < plan->n; i++) {
		const struct op *op = &plan->ops[i];
		const struct op_def *def = lookup(op->name);
		int side = plan->head ? HEAD : i < plan->host_count ? HOST : CONTAINER;

		if (!def)
			return set_failure(f, 0, "op %d: unknown op \"%.64s\"", i, op->name);
		if (!(def->side & side))
			return set_failure(f, 0, "op %d: %s is not a %s op", i, op->name,
					   side == HEAD ? "head" : side == HOST ? "host" : "container");
		if (op->argc < def->min_args || op->argc > def->max_args ||
		    (def->run == op_exec && !exec_args_ok(op)) || (def->run == op_run_hook && !run_hook_args_ok(op)))
			return set_failure(f, 0, "op %d: wrong argument count %d for %s", i, op->argc, op->name);
	}
	return 0;
}

static void run_range(struct ctx *ctx, int from, int to)
{
	for (int i = from; i < to; i++) {
		const struct op *op = &ctx->plan->ops[i];

		ctx->index = i;
		lookup(op->name)->run(ctx, op);
	}
}

static _Noreturn void run_container(struct ctx *ctx)
{
	/* Built now: once a seccomp filter is in force, `exec` must need nothing but execve. */
	for (int i = ctx->plan->host_count; i < ctx->plan->n && !ctx->exec_op; i++) {
		const struct op *op = &ctx->plan->ops[i];

		if (lookup(op->name)->run == op_exec) {
			ctx->index = i;
			ctx->exec_args = exec_argv(ctx, op);
			ctx->exec_op = op;
		}
	}
	run_range(ctx, ctx->plan->host_count, ctx->plan->n);
	_exit(0);
}

void ops_run_head(const struct plan *plan, struct ctx *ctx)
{
	ctx->plan = plan;
	run_range(ctx, 0, plan->n);
}

_Noreturn void ops_run(const struct plan *plan, struct ctx *ctx, int from)
{
	ctx->plan = plan;
	run_range(ctx, from, plan->host_count);
	_exit(0);
}

/* The mount ops: mounts (in root or not), device nodes and symlinks in root, the root change, masked and read-only paths. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <sys/syscall.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include "newmount.h"
#include "ops.h"

/* The flags a bind remount must repeat: the kernel refuses to clear them in a user namespace. */
static unsigned long locked_flags(struct ctx *ctx, const char *path)
{
	static const struct { unsigned long st, ms; } map[] = {
		{ ST_RDONLY, MS_RDONLY },
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
	unsigned long flags = MS_REMOUNT | MS_BIND | extra | (locked_flags(ctx, path) & ~MS_RDONLY);

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

void op_mount(struct ctx *ctx, const struct op *op)
{
	char *const *a = op->argv;
	unsigned long flags = num(ctx, a[3]);

	if (mount(nullable(a[0]), a[1], nullable(a[2]), flags, nullable(a[4])) < 0)
		fail(ctx, errno, "mount(\"%s\", \"%s\", \"%s\", 0x%lx, \"%s\")", a[0], a[1], a[2], flags, a[4]);
}

/* After a mount at dest: the remount with remount_flags (≠ 0) and the propagation (≠ 0) of the new mount. */
static void finish_mount(struct ctx *ctx, int rootfd, const char *dest, unsigned long remount_flags, unsigned long propagation)
{
	char path[32];
	int fd;

	if (!remount_flags && !propagation)
		return;
	/* An fd taken before still names the directory under the new mount; look the mount itself up. */
	fd = resolve_in_root(ctx, rootfd, dest, CREATE_NONE);
	fd_path(fd, path, sizeof(path));
	if (remount_flags)
		remount(ctx, path, dest, remount_flags);
	if (propagation && mount(NULL, path, NULL, propagation, NULL) < 0)
		fail(ctx, errno, "mount(NULL, \"%s\" = %s in root, NULL, 0x%lx, NULL)", path, dest, propagation);
	close(fd);
}

/* `as-source`: a bind source an earlier mount made in the rootfs, seen now in C's mount namespace. */
static enum create create_as_source(struct ctx *ctx, const char *source)
{
	struct stat st;

	if (stat(source, &st) < 0)
		fail(ctx, errno, "bind source %s (in the rootfs, where no earlier mount made it)", source);
	return S_ISDIR(st.st_mode) ? CREATE_DIR : CREATE_FILE;
}

void op_mount_in_root(struct ctx *ctx, const struct op *op)
{
	char *const *a = op->argv;
	const char *dest = a[2];
	unsigned long flags = num(ctx, a[4]);
	enum create create = strcmp(a[6], "as-source") == 0 ? create_as_source(ctx, a[1]) : parse_create(ctx, a[6]);
	int inherit_mode = op->argc > 9; /* `mode` is "inherit" (checked with the plan) */
	int rootfd = open_root(ctx, a[0]);
	int created = 0;
	int fd = resolve_in_root_created(ctx, rootfd, dest, create, &created);
	const char *data = a[5];
	char path[32], with_mode[4096];
	struct stat st;

	/* A tmpfs over a directory that was there takes its mode, as runc gives it; a mode= of data wins. */
	if (inherit_mode && !created) {
		if (fstat(fd, &st) < 0)
			fail(ctx, errno, "fstat %s in root", dest);
		if (snprintf(with_mode, sizeof(with_mode), "mode=%04o%s%s", st.st_mode & 07777, *data ? "," : "", data) >=
		    (int)sizeof(with_mode))
			fail(ctx, E2BIG, "tmpfs data for %s", dest);
		data = with_mode;
	}
	fd_path(fd, path, sizeof(path));
	if (mount(nullable(a[1]), path, nullable(a[3]), flags, nullable(data)) < 0)
		fail(ctx, errno, "mount(\"%s\", \"%s\" = %s in root, \"%s\", 0x%lx, \"%s\")", a[1], path, dest,
		     a[3], flags, data);
	close(fd);
	finish_mount(ctx, rootfd, dest, num(ctx, a[7]), num(ctx, a[8]));
	close(rootfd);
}

void op_mount_from_host(struct ctx *ctx, const struct op *op)
{
	char *const *a = op->argv;
	const char *source = a[1], *dest = a[2];
	enum create create = parse_create(ctx, a[3]);
	int move = strcmp(a[4], "move") == 0;
	unsigned long flags = num(ctx, a[5]);
	int src = take_host_fd(ctx);
	int rootfd = open_root(ctx, a[0]);
	int fd = resolve_in_root(ctx, rootfd, dest, create);
	char src_path[32], path[32];

	fd_path(src, src_path, sizeof(src_path));
	fd_path(fd, path, sizeof(path));
	if (move) {
		if (sys_move_mount(src, "", fd, "", MOVE_MOUNT_F_EMPTY_PATH | MOVE_MOUNT_T_EMPTY_PATH) < 0)
			fail(ctx, errno, "move_mount(the tree of %s, %s in root)", source, dest);
	} else if (mount(src_path, path, NULL, flags, NULL) < 0) {
		fail(ctx, errno, "mount(%s = %s, \"%s\" = %s in root, NULL, 0x%lx, NULL)", src_path, source, path, dest, flags);
	}
	close(src);
	close(fd);
	finish_mount(ctx, rootfd, dest, num(ctx, a[6]), num(ctx, a[7]));
	close(rootfd);
}

#define ATIME_FLAGS (MS_NOATIME | MS_RELATIME | MS_STRICTATIME | MS_NODIRATIME)

/*
 * `bind-remount root dest set clear`, as runc: the bind at dest remounted with exactly `set` (its
 * source's flags go); where the kernel refuses (flags a user namespace may not clear), again with the
 * mount's own lockable flags kept, unless `clear` or an atime flag of `set` asks to change one of them.
 */
void op_bind_remount(struct ctx *ctx, const struct op *op)
{
	char *const *a = op->argv;
	unsigned long set = num(ctx, a[2]), clear = num(ctx, a[3]), locked;
	int rootfd = open_root(ctx, a[0]);
	int fd = resolve_in_root(ctx, rootfd, a[1], CREATE_NONE);
	char path[32];

	fd_path(fd, path, sizeof(path));
	if (mount(NULL, path, NULL, MS_REMOUNT | MS_BIND | set, NULL) < 0) {
		if (errno != EPERM)
			fail(ctx, errno, "remount %s with 0x%lx", a[1], MS_REMOUNT | MS_BIND | set);
		locked = locked_flags(ctx, path);
		if (locked & clear)
			fail(ctx, EPERM, "cannot clear the flags 0x%lx of %s: its source has them, and the kernel keeps them here", locked & clear, a[1]);
		if ((set & ATIME_FLAGS) && (set & ATIME_FLAGS) != (locked & ATIME_FLAGS))
			fail(ctx, EPERM, "cannot change the atime flags 0x%lx of %s: its source has them, and the kernel keeps them here", locked & ATIME_FLAGS, a[1]);
		if (mount(NULL, path, NULL, MS_REMOUNT | MS_BIND | set | locked, NULL) < 0)
			fail(ctx, errno, "remount %s with 0x%lx (its source's flags kept)", a[1], MS_REMOUNT | MS_BIND | set | locked);
	}
	close(fd);
	close(rootfd);
}

/* An O_RDONLY directory fd of what the O_PATH fd names. */
static int open_dir_of(struct ctx *ctx, int fd, const char *shown)
{
	int dir = openat(fd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);

	if (dir < 0)
		fail(ctx, errno, "open %s in root as a directory", shown);
	return dir;
}

void op_tmpfs_copyup(struct ctx *ctx, const struct op *op)
{
	char *const *a = op->argv;
	const char *dest = a[2];
	unsigned long flags = num(ctx, a[3]);
	int rootfd = open_root(ctx, a[0]);
	int fd = resolve_in_root(ctx, rootfd, dest, CREATE_DIR);
	int src = open_dir_of(ctx, fd, dest), dst;
	char path[32], data[4096];
	struct stat st;

	if (fstat(src, &st) < 0)
		fail(ctx, errno, "fstat %s in root", dest);
	/* The tmpfs takes the mode of the directory it covers, as runc gives it; a mode= of data wins. */
	if (snprintf(data, sizeof(data), "mode=%04o%s%s", st.st_mode & 07777, *a[4] ? "," : "", a[4]) >= (int)sizeof(data))
		fail(ctx, E2BIG, "tmpfs data for %s", dest);
	fd_path(fd, path, sizeof(path));
	if (mount(nullable(a[1]), path, "tmpfs", flags, data) < 0)
		fail(ctx, errno, "mount(\"%s\", \"%s\" = %s in root, \"tmpfs\", 0x%lx, \"%s\")", a[1], path, dest, flags, data);
	close(fd);
	fd = resolve_in_root(ctx, rootfd, dest, CREATE_NONE);
	dst = open_dir_of(ctx, fd, dest);
	copy_tree(ctx, src, dst, dest);
	close(src);
	close(dst);
	close(fd);
	finish_mount(ctx, rootfd, dest, num(ctx, a[5]), num(ctx, a[6]));
	close(rootfd);
}

void op_mount_setattr(struct ctx *ctx, const struct op *op)
{
	char *const *a = op->argv;
	const char *dest = a[1];
	struct tsr_mount_attr attr = { .attr_set = num(ctx, a[2]), .attr_clr = num(ctx, a[3]) };
	int rootfd = open_root(ctx, a[0]);
	int fd = resolve_in_root(ctx, rootfd, dest, CREATE_NONE);

	if (sys_mount_setattr(fd, "", AT_EMPTY_PATH | AT_RECURSIVE, &attr) < 0) {
		if (errno == ENOSYS)
			fail(ctx, errno, "mount_setattr on %s in root (Linux 5.12 or later)", dest);
		fail(ctx, errno, "mount_setattr(%s in root, AT_RECURSIVE, set 0x%llx, clear 0x%llx)", dest,
		     (unsigned long long)attr.attr_set, (unsigned long long)attr.attr_clr);
	}
	close(fd);
	close(rootfd);
}

void op_mknod_in_root(struct ctx *ctx, const struct op *op)
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

void op_symlink_in_root(struct ctx *ctx, const struct op *op)
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

void op_pivot_root(struct ctx *ctx, const struct op *op)
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

/* `hide-host-mount`: a full procfs or sysfs of the host, outside the rootfs, made unreachable before
 * `move-root` (see plan-builder.ts rootChangeOps): detached, with the detach kept from the host's
 * namespace (slave first); covered with an empty tmpfs where it cannot be detached (a locked mount). */
void op_hide_host_mount(struct ctx *ctx, const struct op *op)
{
	const char *path = op->argv[0];

	if (mount(NULL, path, NULL, MS_SLAVE | MS_REC, NULL) < 0) {
		if (errno == ENOENT)
			return;
		fail(ctx, errno, "make %s a slave mount", path);
	}
	if (umount2(path, MNT_DETACH) == 0)
		return;
	if (errno != EINVAL && errno != EPERM)
		fail(ctx, errno, "detach %s", path);
	report_fallback(ctx, "cover-host-mount", errno);
	if (mount("tmpfs", path, "tmpfs", MS_RDONLY | MS_NOSUID | MS_NODEV | MS_NOEXEC, NULL) < 0)
		fail(ctx, errno, "cover %s with a tmpfs", path);
}

void op_move_root(struct ctx *ctx, const struct op *op)
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

void op_chroot(struct ctx *ctx, const struct op *op)
{
	const char *root = op->argv[0];

	if (chdir(root) < 0)
		fail(ctx, errno, "chdir %s", root);
	if (chroot(".") < 0)
		fail(ctx, errno, "chroot %s", root);
	if (chdir("/") < 0)
		fail(ctx, errno, "chdir /");
}

void op_mask(struct ctx *ctx, const struct op *op)
{
	const char *path = op->argv[0];
	struct stat st;

	if (!exists(ctx, path, &st))
		return;
	if (S_ISDIR(st.st_mode) && ctx->mask_dir[0]) {
		if (mount(ctx->mask_dir, path, NULL, MS_BIND, NULL) < 0)
			fail(ctx, errno, "bind the masking tmpfs of %s onto %s", ctx->mask_dir, path);
		remount(ctx, path, path, MS_RDONLY);
	} else if (S_ISDIR(st.st_mode)) {
		if (mount("tmpfs", path, "tmpfs", MS_RDONLY, NULL) < 0)
			fail(ctx, errno, "mount a read-only tmpfs on %s", path);
		if (strlen(path) < sizeof(ctx->mask_dir))
			strcpy(ctx->mask_dir, path);
	} else if (mount("/dev/null", path, NULL, MS_BIND, NULL) < 0) {
		fail(ctx, errno, "bind /dev/null on %s", path);
	}
}

void op_readonly(struct ctx *ctx, const struct op *op)
{
	const char *path = op->argv[0];
	struct stat st;

	if (!exists(ctx, path, &st))
		return;
	if (mount(path, path, NULL, MS_BIND | MS_REC, NULL) < 0)
		fail(ctx, errno, "bind %s on itself", path);
	remount(ctx, path, path, MS_RDONLY);
}

void op_remount_ro(struct ctx *ctx, const struct op *op)
{
	remount(ctx, op->argv[0], op->argv[0], MS_RDONLY);
}

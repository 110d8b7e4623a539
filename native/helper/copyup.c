/* `tmpfs-copyup`'s copy: what a directory of the rootfs holds, into the tmpfs mounted over it, the way
 * runc copies it (fileutils.CopyDirectory): directories, regular files, symlinks and special files, each
 * with its owner and mode (set last, so that set-id bits survive the chown); no times, no extended
 * attributes, and hard links become copies. Nothing is followed: every name is opened O_NOFOLLOW below
 * a directory fd. */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "ops.h"

static char data[65536];

static void copy_data(struct ctx *ctx, int in, int out, const char *shown)
{
	for (;;) {
		ssize_t n = read(in, data, sizeof(data));

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			fail(ctx, errno, "tmpcopyup: read %s", shown);
		if (n == 0)
			return;
		for (char *p = data; n > 0;) {
			ssize_t w = write(out, p, (size_t)n);

			if (w < 0 && errno == EINTR)
				continue;
			if (w < 0)
				fail(ctx, errno, "tmpcopyup: write %s", shown);
			p += w;
			n -= w;
		}
	}
}

static void own(struct ctx *ctx, int fd, const struct stat *st, const char *shown)
{
	if (fchown(fd, st->st_uid, st->st_gid) < 0)
		fail(ctx, errno, "tmpcopyup: chown %s to %u:%u", shown, st->st_uid, st->st_gid);
	if (fchmod(fd, st->st_mode & 07777) < 0)
		fail(ctx, errno, "tmpcopyup: chmod %s to 0%o", shown, st->st_mode & 07777);
}

static int open_below(struct ctx *ctx, int dir, const char *name, int flags, const char *shown)
{
	int fd = openat(dir, name, flags | O_NOFOLLOW | O_CLOEXEC);

	if (fd < 0)
		fail(ctx, errno, "tmpcopyup: open %s", shown);
	return fd;
}

static void copy_dir(struct ctx *ctx, int src, int dst, char *shown, size_t len);

static void copy_entry(struct ctx *ctx, int src, int dst, const char *name, char *shown, size_t len)
{
	struct stat st;
	int in, out;

	if (fstatat(src, name, &st, AT_SYMLINK_NOFOLLOW) < 0)
		fail(ctx, errno, "tmpcopyup: stat %s", shown);
	switch (st.st_mode & S_IFMT) {
	case S_IFDIR:
		if (mkdirat(dst, name, 0700) < 0)
			fail(ctx, errno, "tmpcopyup: mkdir %s", shown);
		in = open_below(ctx, src, name, O_RDONLY | O_DIRECTORY, shown);
		out = open_below(ctx, dst, name, O_RDONLY | O_DIRECTORY, shown);
		copy_dir(ctx, in, out, shown, len);
		own(ctx, out, &st, shown);
		break;
	case S_IFREG:
		/* O_NONBLOCK: should it have become a fifo since the stat, the open must not wait for a writer. */
		in = open_below(ctx, src, name, O_RDONLY | O_NONBLOCK, shown);
		out = openat(dst, name, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
		if (out < 0)
			fail(ctx, errno, "tmpcopyup: create %s", shown);
		copy_data(ctx, in, out, shown);
		own(ctx, out, &st, shown);
		break;
	case S_IFLNK: {
		char target[PATH_MAX];
		ssize_t n = readlinkat(src, name, target, sizeof(target) - 1);

		if (n < 0)
			fail(ctx, errno, "tmpcopyup: readlink %s", shown);
		target[n] = '\0';
		if (symlinkat(target, dst, name) < 0)
			fail(ctx, errno, "tmpcopyup: symlink %s -> %s", shown, target);
		if (fchownat(dst, name, st.st_uid, st.st_gid, AT_SYMLINK_NOFOLLOW) < 0)
			fail(ctx, errno, "tmpcopyup: chown %s to %u:%u", shown, st.st_uid, st.st_gid);
		return;
	}
	default:
		/* Devices, fifos, sockets: a node of the same kind (mknod of a device needs CAP_MKNOD). */
		if (mknodat(dst, name, (st.st_mode & S_IFMT) | 0600, st.st_rdev) < 0)
			fail(ctx, errno, "tmpcopyup: mknod %s", shown);
		if (fchownat(dst, name, st.st_uid, st.st_gid, AT_SYMLINK_NOFOLLOW) < 0)
			fail(ctx, errno, "tmpcopyup: chown %s to %u:%u", shown, st.st_uid, st.st_gid);
		if (fchmodat(dst, name, st.st_mode & 07777, 0) < 0)
			fail(ctx, errno, "tmpcopyup: chmod %s to 0%o", shown, st.st_mode & 07777);
		return;
	}
	close(in);
	close(out);
}

/* shown holds the path of src for messages, len its length; each entry's name is appended to it. */
static void copy_dir(struct ctx *ctx, int src, int dst, char *shown, size_t len)
{
	int listfd = openat(src, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	DIR *dir = listfd < 0 ? NULL : fdopendir(listfd);
	struct dirent *e;

	if (!dir)
		fail(ctx, errno, "tmpcopyup: list %s", shown);
	for (errno = 0; (e = readdir(dir)); errno = 0) {
		size_t n = strlen(e->d_name);

		if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0)
			continue;
		if (len + 1 + n >= PATH_MAX)
			fail(ctx, ENAMETOOLONG, "tmpcopyup: %s/%s", shown, e->d_name);
		shown[len] = '/';
		memcpy(shown + len + 1, e->d_name, n + 1);
		copy_entry(ctx, src, dst, e->d_name, shown, len + 1 + n);
		shown[len] = '\0';
	}
	if (errno)
		fail(ctx, errno, "tmpcopyup: list %s", shown);
	closedir(dir);
}

void copy_tree(struct ctx *ctx, int src, int dst, const char *where)
{
	char shown[PATH_MAX];
	size_t len = strlen(where);

	if (len >= sizeof(shown))
		fail(ctx, ENAMETOOLONG, "tmpcopyup: %s", where);
	memcpy(shown, where, len + 1);
	/* "/" + name for the root itself would start with "//". */
	if (len > 0 && shown[len - 1] == '/')
		shown[--len] = '\0';
	copy_dir(ctx, src, dst, shown, len);
}

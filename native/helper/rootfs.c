/* Paths inside the rootfs, resolved without following a symlink out of it (openat2 RESOLVE_IN_ROOT). */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <linux/openat2.h>

#include "ops.h"

static int open_in_root(int rootfd, const char *rel, int flags)
{
	struct open_how how = {
		.flags = (unsigned long long)(O_PATH | O_CLOEXEC | flags),
		.resolve = RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS,
	};

	return (int)syscall(SYS_openat2, rootfd, rel, &how, sizeof(how));
}

int open_root(struct ctx *ctx, const char *root)
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
void expand_in_root(struct ctx *ctx, int rootfd, const char *path, char *rel, size_t len, int follow_last)
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
int resolve_parent(struct ctx *ctx, int rootfd, char *rel, const char **last)
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

/* Returns an O_PATH fd of path resolved in root, creating it as `create` says when missing; *created
 * (when not NULL) says whether it was. */
int resolve_in_root_created(struct ctx *ctx, int rootfd, const char *path, enum create create, int *created)
{
	char rel[PATH_MAX];
	const char *name;
	int dirfd, fd;

	int ordinary = create == CREATE_ORDINARY_DIR;
	int nofollow = ordinary ? O_NOFOLLOW : 0;
	struct stat st;

	expand_in_root(ctx, rootfd, path, rel, sizeof(rel), !ordinary);
	dirfd = resolve_parent(ctx, rootfd, rel, &name);
	if (!*name)
		return dirfd;
	fd = open_in_root(rootfd, rel, nofollow);
	if (fd < 0 && errno == ENOENT && create != CREATE_NONE) {
		create_last(ctx, dirfd, name, rel, ordinary ? CREATE_DIR : create);
		fd = open_in_root(rootfd, rel, nofollow);
		if (created)
			*created = 1;
	}
	if (fd < 0)
		fail(ctx, errno, "openat2 %s in root", rel);
	if (ordinary && (fstat(fd, &st) < 0 || !S_ISDIR(st.st_mode)))
		fail(ctx, 0, "not-ordinary-dir");
	close(dirfd);
	return fd;
}

int resolve_in_root(struct ctx *ctx, int rootfd, const char *path, enum create create)
{
	return resolve_in_root_created(ctx, rootfd, path, create, NULL);
}

enum create parse_create(struct ctx *ctx, const char *s)
{
	if (strcmp(s, "dir") == 0)
		return CREATE_DIR;
	if (strcmp(s, "file") == 0)
		return CREATE_FILE;
	if (strcmp(s, "none") == 0)
		return CREATE_NONE;
	if (strcmp(s, "ordinary-dir") == 0)
		return CREATE_ORDINARY_DIR;
	fail(ctx, 0, "bad create mode \"%s\"", s);
}

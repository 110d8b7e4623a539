/* Argument helpers shared by the ops: numbers as the plan spells them, file writes, /proc fd paths. */
#define _GNU_SOURCE
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "ops.h"

const char *nullable(const char *s)
{
	return *s ? s : NULL;
}

int parse_u64(const char *s, int base, unsigned long long *out)
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

unsigned long long num_max(struct ctx *ctx, const char *s, unsigned long long max)
{
	unsigned long long v;

	if (parse_u64(s, 10, &v) < 0 || v > max)
		fail(ctx, 0, "bad number \"%s\" (at most %llu)", s, max);
	return v;
}

unsigned long num(struct ctx *ctx, const char *s)
{
	return (unsigned long)num_max(ctx, s, ULONG_MAX);
}

int num_int(struct ctx *ctx, const char *s)
{
	return (int)num_max(ctx, s, INT_MAX);
}

unsigned long long hex64(struct ctx *ctx, const char *s)
{
	unsigned long long v;

	if (parse_u64(s, 16, &v) < 0)
		fail(ctx, 0, "bad hex number \"%s\"", s);
	return v;
}

int write_file(const char *path, const char *content, size_t len)
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

void fd_path(int fd, char *buf, size_t len)
{
	snprintf(buf, len, "/proc/self/fd/%d", fd);
}

/* Reading and parsing the wire format: u32-LE length, then NUL-terminated records. */
#define _GNU_SOURCE
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "helper.h"

/* Reads exactly len bytes; on failure returns -1 with errno set (0 for an early EOF). */
static int read_full(int fd, void *buf, size_t len)
{
	char *p = buf;

	while (len > 0) {
		ssize_t r = read(fd, p, len);
		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0) {
			if (r == 0)
				errno = 0;
			return -1;
		}
		p += r;
		len -= (size_t)r;
	}
	return 0;
}

/* Returns the NUL-terminated field at *p and advances past it, or NULL when the buffer ends first. */
static char *next_field(char **p, char *end)
{
	char *s = *p, *nul;

	if (s >= end)
		return NULL;
	nul = memchr(s, '\0', (size_t)(end - s));
	if (!nul)
		return NULL;
	*p = nul + 1;
	return s;
}

static int parse_argc(const char *s, size_t limit, int *out)
{
	size_t v = 0;

	if (!*s)
		return -1;
	for (; *s; s++) {
		if (*s < '0' || *s > '9')
			return -1;
		v = v * 10 + (size_t)(*s - '0');
		if (v > limit)
			return -1;
	}
	*out = (int)v;
	return 0;
}

static int malformed(struct failure *f, const char *what, size_t offset)
{
	return set_failure(f, 0, "malformed plan: %s at byte %zu", what, offset);
}

static int plan_parse(char *buf, size_t len, int head_allowed, struct plan *plan, struct failure *f)
{
	char *p = buf, *end = buf + len;
	size_t head_bytes = 0;
	int head = 0;
	/* A record takes at least 4 bytes ("x\0" "0\0"), which bounds the number of records. */
	size_t max_ops = len / 4 + 1;
	int n = 0, host_count = -1;
	struct op *ops = calloc(max_ops, sizeof(*ops));

	if (!ops)
		return set_failure(f, errno, "allocate the op table");
	while (p < end) {
		size_t at = (size_t)(p - buf);
		char *name = next_field(&p, end);
		char *count = name ? next_field(&p, end) : NULL;
		int argc;

		if (!count)
			return malformed(f, "truncated record", at);
		if (!*name)
			return malformed(f, "empty op name", at);
		/* Each argument takes at least its NUL byte. */
		if (parse_argc(count, (size_t)(end - p), &argc) < 0)
			return malformed(f, "bad argument count", at);
		if (strcmp(name, "container") == 0) {
			if (argc != 0 || host_count >= 0)
				return malformed(f, "bad `container` separator", at);
			host_count = n;
			continue;
		}
		if (strcmp(name, "more") == 0) {
			if (argc != 0 || !head_allowed || host_count >= 0 || p != end)
				return malformed(f, "bad `more` (only at the end of a first payload without `container`)", at);
			head_bytes = at;
			head = 1;
			host_count = n;
			continue;
		}
		ops[n].name = name;
		ops[n].argc = argc;
		ops[n].argv = calloc((size_t)argc + 1, sizeof(char *));
		if (!ops[n].argv)
			return set_failure(f, errno, "allocate the arguments of op %d", n);
		for (int i = 0; i < argc; i++) {
			ops[n].argv[i] = next_field(&p, end);
			if (!ops[n].argv[i])
				return malformed(f, "truncated arguments", at);
		}
		n++;
	}
	if (host_count < 0)
		return malformed(f, "no `container` separator", len);
	plan->buf = buf;
	plan->ops = ops;
	plan->n = n;
	plan->host_count = host_count;
	plan->head = head;
	plan->head_bytes = head_bytes;
	return 0;
}

/* Reads one length-prefixed payload into a new NUL-terminated buffer. */
static char *read_payload(int fd, uint32_t *out_len, struct failure *f)
{
	unsigned char hdr[4];
	uint32_t len;
	char *buf;

	if (read_full(fd, hdr, sizeof(hdr)) < 0) {
		set_failure(f, errno, "read the plan length from fd %d", fd);
		return NULL;
	}
	len = (uint32_t)hdr[0] | (uint32_t)hdr[1] << 8 | (uint32_t)hdr[2] << 16 | (uint32_t)hdr[3] << 24;
	if (len > PLAN_MAX_BYTES) {
		set_failure(f, 0, "plan length %u exceeds %u", len, PLAN_MAX_BYTES);
		return NULL;
	}
	buf = malloc((size_t)len + 1);
	if (!buf) {
		set_failure(f, errno, "allocate %u bytes for the plan", len);
		return NULL;
	}
	if (read_full(fd, buf, len) < 0) {
		set_failure(f, errno, "read the plan payload of %u bytes", len);
		free(buf);
		return NULL;
	}
	buf[len] = '\0';
	*out_len = len;
	return buf;
}

int plan_read(int fd, struct plan *plan, struct failure *f)
{
	uint32_t len;
	char *buf = read_payload(fd, &len, f);

	if (!buf || plan_parse(buf, len, 1, plan, f) < 0)
		return -1;
	if (!plan->head)
		dump_plan(buf, len, NULL, 0);
	return 0;
}

int plan_read_rest(int fd, struct plan *plan, struct failure *f)
{
	struct plan rest;
	struct op *ops;
	uint32_t len;
	char *buf = read_payload(fd, &len, f);

	if (!buf || plan_parse(buf, len, 0, &rest, f) < 0)
		return -1;
	ops = realloc(plan->ops, (size_t)(plan->n + rest.n + 1) * sizeof(*ops));
	if (!ops)
		return set_failure(f, errno, "allocate the op table");
	memcpy(ops + plan->n, rest.ops, (size_t)rest.n * sizeof(*ops));
	free(rest.ops);
	dump_plan(plan->buf, plan->head_bytes, buf, len);
	plan->ops = ops;
	plan->host_count = plan->n + rest.host_count;
	plan->n += rest.n;
	plan->head = 0;
	return 0;
}

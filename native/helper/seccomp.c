/* The `seccomp`, `seccomp-load` and `seccomp-listener` ops (docs/plan-format.md). `seccomp` compiles the
 * items TypeScript translated from linux.seccomp (every name already a number) with libseccomp into a
 * BPF program kept in ctx, after the `prefix` instructions TypeScript made (the -ENOSYS stub), while
 * failures can still be reported on the sync fd; `seccomp-load` installs it with seccomp(2), doing
 * nothing else, so that no allocation or other system call follows the filter inside the helper;
 * `seccomp-listener` hands the notification fd it got to tsrunc and closes it. */
#define _GNU_SOURCE
#include <errno.h>
#include <limits.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <linux/filter.h>
#include <linux/seccomp.h>
#include <seccomp.h>

#include "ops.h"

/* A rule has at most one condition per system call argument. */
#define MAX_CONDS 6
/* "rule" syscall action, then four tokens per condition. */
#define MAX_TOKENS (3 + 4 * MAX_CONDS + 1)

struct item {
	int index;  /* its place among the op's arguments, for messages */
	char *buf;  /* a copy of the item the tokens point into */
	char *tok[MAX_TOKENS];
	int n;
};

static void split(struct ctx *ctx, const char *text, int index, struct item *it)
{
	char *save = NULL, *t;

	it->index = index;
	it->n = 0;
	it->buf = strdup(text);
	if (!it->buf)
		fail(ctx, errno, "seccomp item %d: allocate a copy", index);
	for (t = strtok_r(it->buf, " ", &save); t; t = strtok_r(NULL, " ", &save)) {
		if (it->n == MAX_TOKENS)
			fail(ctx, 0, "seccomp item %d: too many fields", index);
		it->tok[it->n++] = t;
	}
}

static _Noreturn void malformed(struct ctx *ctx, const struct item *it)
{
	fail(ctx, 0, "seccomp item %d: malformed", it->index);
}

static uint64_t u64(struct ctx *ctx, const struct item *it, const char *s, uint64_t max)
{
	unsigned long long v;

	if (parse_u64(s, 10, &v) < 0 || v > max)
		fail(ctx, 0, "seccomp item %d: bad number \"%s\"", it->index, s);
	return (uint64_t)v;
}

/* A system call number: libseccomp's pseudo numbers (calls the native architecture lacks) are negative. */
static int syscall_number(struct ctx *ctx, const struct item *it, const char *s)
{
	int negative = s[0] == '-';

	return negative ? -(int)u64(ctx, it, s + 1, INT_MAX) : (int)u64(ctx, it, s, INT_MAX);
}

static void add_arch(struct ctx *ctx, scmp_filter_ctx f, const struct item *it)
{
	uint32_t arch;
	int rc;

	if (it->n != 2)
		malformed(ctx, it);
	arch = (uint32_t)u64(ctx, it, it->tok[1], UINT32_MAX);
	/* The native architecture is in the filter from the start. */
	rc = seccomp_arch_add(f, arch);
	if (rc < 0 && rc != -EEXIST)
		fail(ctx, -rc, "seccomp item %d: add the architecture", it->index);
}

static void add_rule(struct ctx *ctx, scmp_filter_ctx f, const struct item *it)
{
	struct scmp_arg_cmp conds[MAX_CONDS];
	unsigned int n = 0;
	uint32_t act;
	int nr, rc;

	if (it->n < 3 || (it->n - 3) % 4 != 0)
		malformed(ctx, it);
	nr = syscall_number(ctx, it, it->tok[1]);
	act = (uint32_t)u64(ctx, it, it->tok[2], UINT32_MAX);
	for (int t = 3; t < it->n; t += 4) {
		conds[n].arg = (unsigned int)u64(ctx, it, it->tok[t], MAX_CONDS - 1);
		conds[n].op = (enum scmp_compare)u64(ctx, it, it->tok[t + 1], _SCMP_CMP_MAX - 1);
		conds[n].datum_a = u64(ctx, it, it->tok[t + 2], UINT64_MAX);
		conds[n].datum_b = u64(ctx, it, it->tok[t + 3], UINT64_MAX);
		n++;
	}
	rc = seccomp_rule_add_array(f, act, nr, n, conds);
	if (rc < 0)
		fail(ctx, -rc, "seccomp item %d: add the rule", it->index);
}

static void set_attr(struct ctx *ctx, scmp_filter_ctx f, const struct item *it)
{
	uint32_t attr, value;
	int rc;

	if (it->n != 3)
		malformed(ctx, it);
	attr = (uint32_t)u64(ctx, it, it->tok[1], UINT32_MAX);
	value = (uint32_t)u64(ctx, it, it->tok[2], UINT32_MAX);
	rc = seccomp_attr_set(f, (enum scmp_filter_attr)attr, value);
	if (rc < 0)
		fail(ctx, -rc, "seccomp item %d: set the attribute", it->index);
}

/* `prefix <code> <jt> <jf> <k>`: one instruction of what goes before libseccomp's program. */
static void add_prefix(struct ctx *ctx, const struct item *it)
{
	struct sock_filter *grown;

	if (it->n != 5)
		malformed(ctx, it);
	if (ctx->seccomp_prefix_len >= BPF_MAXINSNS)
		fail(ctx, E2BIG, "seccomp item %d: too many prefix instructions", it->index);
	grown = realloc(ctx->seccomp_prefix, (ctx->seccomp_prefix_len + 1) * sizeof(*grown));
	if (!grown)
		fail(ctx, errno, "seccomp item %d: allocate", it->index);
	ctx->seccomp_prefix = grown;
	grown[ctx->seccomp_prefix_len++] = (struct sock_filter){
		.code = (uint16_t)u64(ctx, it, it->tok[1], UINT16_MAX),
		.jt = (uint8_t)u64(ctx, it, it->tok[2], UINT8_MAX),
		.jf = (uint8_t)u64(ctx, it, it->tok[3], UINT8_MAX),
		.k = (uint32_t)u64(ctx, it, it->tok[4], UINT32_MAX),
	};
}

/* The filter as the kernel takes it: the prefix, then libseccomp's export read back. */
static struct sock_fprog *export_program(struct ctx *ctx, scmp_filter_ctx f)
{
	struct sock_fprog *prog = calloc(1, sizeof(*prog));
	int fd = memfd_create("tsrunc-seccomp", MFD_CLOEXEC), rc;
	off_t size;
	size_t count;

	if (!prog)
		fail(ctx, errno, "seccomp: allocate the program");
	if (fd < 0)
		fail(ctx, errno, "seccomp: memfd_create for the BPF program");
	rc = seccomp_export_bpf(f, fd);
	if (rc < 0)
		fail(ctx, -rc, "seccomp: export the BPF program");
	size = lseek(fd, 0, SEEK_END);
	if (size < 0)
		fail(ctx, errno, "seccomp: size of the BPF program");
	count = (size_t)size / sizeof(struct sock_filter);
	if (count == 0 || (size_t)size % sizeof(struct sock_filter) != 0)
		fail(ctx, 0, "seccomp: libseccomp exported a BPF program of %lld bytes", (long long)size);
	count += ctx->seccomp_prefix_len;
	/* The kernel's limit (BPF_MAXINSNS): better refused now than after `ready`. */
	if (count > BPF_MAXINSNS)
		fail(ctx, E2BIG, "seccomp: the filter has %zu BPF instructions; the kernel takes at most %d", count,
		     BPF_MAXINSNS);
	prog->filter = malloc(count * sizeof(struct sock_filter));
	if (!prog->filter)
		fail(ctx, errno, "seccomp: allocate %zu instructions", count);
	if (ctx->seccomp_prefix_len > 0)
		memcpy(prog->filter, ctx->seccomp_prefix, ctx->seccomp_prefix_len * sizeof(struct sock_filter));
	for (size_t done = 0; done < (size_t)size;) {
		ssize_t r = pread(fd, (char *)(prog->filter + ctx->seccomp_prefix_len) + done, (size_t)size - done, (off_t)done);
		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0)
			fail(ctx, r < 0 ? errno : EIO, "seccomp: read the BPF program back");
		done += (size_t)r;
	}
	close(fd);
	prog->len = (unsigned short)count;
	return prog;
}

void op_seccomp(struct ctx *ctx, const struct op *op)
{
	scmp_filter_ctx f = NULL;
	unsigned int flags = 0;
	struct item it;

	if (ctx->seccomp_prog)
		fail(ctx, 0, "seccomp: a filter is already compiled");
	for (int i = 0; i < op->argc; i++) {
		split(ctx, op->argv[i], i, &it);
		if (it.n == 0)
			malformed(ctx, &it);
		if (strcmp(it.tok[0], "default") == 0) {
			if (f || it.n != 2)
				fail(ctx, 0, "seccomp item %d: \"default\" must come once, first, with an action", i);
			f = seccomp_init((uint32_t)u64(ctx, &it, it.tok[1], UINT32_MAX));
			if (!f)
				fail(ctx, 0, "seccomp item %d: seccomp_init failed", i);
		} else if (!f) {
			fail(ctx, 0, "seccomp item %d: the first item must be \"default\"", i);
		} else if (strcmp(it.tok[0], "arch") == 0) {
			add_arch(ctx, f, &it);
		} else if (strcmp(it.tok[0], "flags") == 0) {
			if (it.n != 2)
				malformed(ctx, &it);
			flags = (unsigned int)u64(ctx, &it, it.tok[1], UINT32_MAX);
		} else if (strcmp(it.tok[0], "attr") == 0) {
			set_attr(ctx, f, &it);
		} else if (strcmp(it.tok[0], "rule") == 0) {
			add_rule(ctx, f, &it);
		} else if (strcmp(it.tok[0], "prefix") == 0) {
			add_prefix(ctx, &it);
		} else {
			fail(ctx, 0, "seccomp item %d: unknown item \"%s\"", i, it.tok[0]);
		}
		free(it.buf);
	}
	if (!f)
		fail(ctx, 0, "seccomp: no \"default\" item");
	ctx->seccomp_prog = export_program(ctx, f);
	seccomp_release(f);

	/* The kernel checks the flags before it reads the program: with none it fails with EFAULT when
	 * the flags are acceptable, EINVAL when not, so `seccomp-load` cannot fail on them later. */
	if (syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, flags, NULL) == 0 || errno != EFAULT)
		fail(ctx, errno, "seccomp: the kernel refuses the filter flags 0x%x", flags);
	ctx->seccomp_flags = flags;
}

void op_seccomp_load(struct ctx *ctx, const struct op *op)
{
	long rc;

	(void)op;
	if (!ctx->seccomp_prog)
		fail(ctx, 0, "seccomp-load before seccomp");
	rc = syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, ctx->seccomp_flags, ctx->seccomp_prog);
	if (rc < 0)
		fail(ctx, errno, "seccomp: install the filter");
	if (ctx->seccomp_flags & SECCOMP_FILTER_FLAG_NEW_LISTENER)
		ctx->seccomp_listener_fd = (int)rc; /* close-on-exec, as the kernel makes it */
	else if (rc != 0)
		fail(ctx, 0, "seccomp: install the filter (thread sync failed)");
	ctx->seccomp_loaded = 1;
}

/* Tells tsrunc the notification fd's number (with write(2), the one call a profile may not notify:
 * no agent has the fd yet), so that it takes a copy (pidfd_getfd) for the agent, waits for its answer
 * and closes the fd: the container's process never has it. */
void op_seccomp_listener(struct ctx *ctx, const struct op *op)
{
	char line[64], reply[16];
	int len;

	(void)op;
	if (ctx->seccomp_listener_fd < 0)
		fail(ctx, 0, "seccomp-listener without a notification fd (seccomp-load with NEW_LISTENER)");
	if (ctx->sync_fd < 0)
		fail(ctx, 0, "seccomp-listener after ready");
	len = snprintf(line, sizeof(line), "seccomp-listener %d\n", ctx->seccomp_listener_fd);
	for (int done = 0; done < len;) {
		ssize_t w = write(ctx->sync_fd, line + done, (size_t)(len - done));
		if (w < 0 && errno == EINTR)
			continue;
		if (w < 0)
			fail(ctx, errno, "send seccomp-listener");
		done += (int)w;
	}
	read_answer(ctx, reply, sizeof(reply), "seccomp-listener", "");
	close(ctx->seccomp_listener_fd);
	ctx->seccomp_listener_fd = -1;
	if (strcmp(reply, "ok") != 0)
		fail(ctx, 0, "the seccomp agent did not get the notification fd");
}

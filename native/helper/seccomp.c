/* The `seccomp` and `seccomp-load` ops (docs/plan-format.md). `seccomp` compiles the items TypeScript
 * translated from linux.seccomp with libseccomp into a BPF program kept in ctx, while failures can
 * still be reported on the sync fd; `seccomp-load` installs it with seccomp(2), doing nothing else, so
 * that no allocation or other system call follows the filter inside the helper. */
#define _GNU_SOURCE
#include <errno.h>
#include <limits.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <linux/filter.h>
#include <linux/seccomp.h>
#include <seccomp.h>

#include "ops.h"

#ifndef SECCOMP_FILTER_FLAG_SPEC_ALLOW
#define SECCOMP_FILTER_FLAG_SPEC_ALLOW (1UL << 2)
#endif
#ifndef SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV
#define SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV (1UL << 5)
#endif

/* A rule has at most one condition per system call argument. */
#define MAX_CONDS 6
/* "rule" name action errno, then four tokens per condition. */
#define MAX_TOKENS (4 + 4 * MAX_CONDS + 1)

static const struct { const char *name; unsigned int bit; } flag_names[] = {
	{ "SECCOMP_FILTER_FLAG_TSYNC", SECCOMP_FILTER_FLAG_TSYNC },
	{ "SECCOMP_FILTER_FLAG_LOG", SECCOMP_FILTER_FLAG_LOG },
	{ "SECCOMP_FILTER_FLAG_SPEC_ALLOW", SECCOMP_FILTER_FLAG_SPEC_ALLOW },
	{ "SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV", SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV },
};

static const struct { const char *name; enum scmp_compare op; } op_names[] = {
	{ "ne", SCMP_CMP_NE }, { "lt", SCMP_CMP_LT }, { "le", SCMP_CMP_LE }, { "eq", SCMP_CMP_EQ },
	{ "ge", SCMP_CMP_GE }, { "gt", SCMP_CMP_GT }, { "masked-eq", SCMP_CMP_MASKED_EQ },
};

struct item {
	const char *text; /* as in the plan, for messages */
	char *buf;        /* the copy the tokens point into */
	char *tok[MAX_TOKENS];
	int n;
};

static void split(struct ctx *ctx, const char *text, struct item *it)
{
	char *save = NULL, *t;

	it->text = text;
	it->n = 0;
	it->buf = strdup(text);
	if (!it->buf)
		fail(ctx, errno, "seccomp: allocate a copy of \"%s\"", text);
	for (t = strtok_r(it->buf, " ", &save); t; t = strtok_r(NULL, " ", &save)) {
		if (it->n == MAX_TOKENS)
			fail(ctx, 0, "seccomp: too many fields in \"%s\"", text);
		it->tok[it->n++] = t;
	}
}

static uint64_t u64(struct ctx *ctx, const struct item *it, const char *s, uint64_t max)
{
	unsigned long long v;
	char *end;

	errno = 0;
	v = strtoull(s, &end, 10);
	if (*s < '0' || *s > '9' || errno || *end || v > max)
		fail(ctx, 0, "seccomp: bad number \"%s\" in \"%s\"", s, it->text);
	return (uint64_t)v;
}

static uint32_t action(struct ctx *ctx, const struct item *it, const char *name, const char *errno_s)
{
	uint32_t err = (uint32_t)u64(ctx, it, errno_s, 0xffff);

	if (strcmp(name, "kill-thread") == 0)
		return SCMP_ACT_KILL_THREAD;
	if (strcmp(name, "kill-process") == 0)
		return SCMP_ACT_KILL_PROCESS;
	if (strcmp(name, "trap") == 0)
		return SCMP_ACT_TRAP;
	if (strcmp(name, "errno") == 0)
		return SCMP_ACT_ERRNO(err);
	if (strcmp(name, "trace") == 0)
		return SCMP_ACT_TRACE(err);
	if (strcmp(name, "allow") == 0)
		return SCMP_ACT_ALLOW;
	if (strcmp(name, "log") == 0)
		return SCMP_ACT_LOG;
	fail(ctx, 0, "seccomp: unknown action \"%s\" in \"%s\"", name, it->text);
}

static void add_arch(struct ctx *ctx, scmp_filter_ctx f, const struct item *it)
{
	uint32_t arch;
	int rc;

	if (it->n != 2)
		fail(ctx, 0, "seccomp: malformed \"%s\"", it->text);
	arch = seccomp_arch_resolve_name(it->tok[1]);
	if (arch == 0)
		fail(ctx, 0, "seccomp: architecture %s is unknown to libseccomp %u.%u.%u", it->tok[1],
		     seccomp_version()->major, seccomp_version()->minor, seccomp_version()->micro);
	/* The native architecture is in the filter from the start. */
	rc = seccomp_arch_add(f, arch);
	if (rc < 0 && rc != -EEXIST)
		fail(ctx, -rc, "seccomp: add architecture %s", it->tok[1]);
}

static unsigned int flag_bit(struct ctx *ctx, const struct item *it)
{
	if (it->n != 2)
		fail(ctx, 0, "seccomp: malformed \"%s\"", it->text);
	for (size_t i = 0; i < sizeof(flag_names) / sizeof(flag_names[0]); i++)
		if (strcmp(flag_names[i].name, it->tok[1]) == 0)
			return flag_names[i].bit;
	fail(ctx, 0, "seccomp: unknown flag %s", it->tok[1]);
}

static void add_rule(struct ctx *ctx, scmp_filter_ctx f, const struct item *it)
{
	struct scmp_arg_cmp conds[MAX_CONDS];
	unsigned int n = 0;
	uint32_t act;
	int nr, rc;

	if (it->n < 4 || (it->n - 4) % 4 != 0 || (it->n - 4) / 4 > MAX_CONDS)
		fail(ctx, 0, "seccomp: malformed \"%s\"", it->text);
	act = action(ctx, it, it->tok[2], it->tok[3]);
	for (int t = 4; t < it->n; t += 4) {
		enum scmp_compare op = 0;

		for (size_t i = 0; i < sizeof(op_names) / sizeof(op_names[0]); i++)
			if (strcmp(op_names[i].name, it->tok[t + 1]) == 0)
				op = op_names[i].op;
		if (!op)
			fail(ctx, 0, "seccomp: unknown operator \"%s\" in \"%s\"", it->tok[t + 1], it->text);
		conds[n].arg = (unsigned int)u64(ctx, it, it->tok[t], MAX_CONDS - 1);
		conds[n].op = op;
		conds[n].datum_a = u64(ctx, it, it->tok[t + 2], UINT64_MAX);
		conds[n].datum_b = u64(ctx, it, it->tok[t + 3], UINT64_MAX);
		n++;
	}
	/* A name this libseccomp does not know cannot be filtered on this system: skipped, as runc does. */
	nr = seccomp_syscall_resolve_name(it->tok[1]);
	if (nr == __NR_SCMP_ERROR)
		return;
	rc = seccomp_rule_add_array(f, act, nr, n, conds);
	if (rc < 0)
		fail(ctx, -rc, "seccomp: add the rule \"%s\"", it->text);
}

static void set_attr(struct ctx *ctx, scmp_filter_ctx f, const struct item *it)
{
	uint32_t value;
	int rc;

	if (it->n != 3 || strcmp(it->tok[1], "optimize") != 0)
		fail(ctx, 0, "seccomp: malformed \"%s\"", it->text);
	value = (uint32_t)u64(ctx, it, it->tok[2], 2);
	rc = seccomp_attr_set(f, SCMP_FLTATR_CTL_OPTIMIZE, value);
	if (rc < 0)
		fail(ctx, -rc, "seccomp: set optimization level %u", value);
}

/* The filter as the kernel takes it, read back from libseccomp's export. */
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
	/* The kernel's limit (BPF_MAXINSNS): better refused now than after `ready`. */
	if (count > BPF_MAXINSNS)
		fail(ctx, E2BIG, "seccomp: the filter has %zu BPF instructions; the kernel takes at most %d", count,
		     BPF_MAXINSNS);
	prog->filter = malloc((size_t)size);
	if (!prog->filter)
		fail(ctx, errno, "seccomp: allocate %lld bytes", (long long)size);
	for (size_t done = 0; done < (size_t)size;) {
		ssize_t r = pread(fd, (char *)prog->filter + done, (size_t)size - done, (off_t)done);
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
		split(ctx, op->argv[i], &it);
		if (it.n == 0)
			fail(ctx, 0, "seccomp: empty item %d", i);
		if (strcmp(it.tok[0], "default") == 0) {
			if (f || it.n != 3)
				fail(ctx, 0, "seccomp: \"%s\" must come once, first, with an action and an errno", it.text);
			f = seccomp_init(action(ctx, &it, it.tok[1], it.tok[2]));
			if (!f)
				fail(ctx, 0, "seccomp: seccomp_init(%s) failed", it.tok[1]);
		} else if (!f) {
			fail(ctx, 0, "seccomp: the first item must be \"default\", not \"%s\"", it.text);
		} else if (strcmp(it.tok[0], "arch") == 0) {
			add_arch(ctx, f, &it);
		} else if (strcmp(it.tok[0], "flag") == 0) {
			flags |= flag_bit(ctx, &it);
		} else if (strcmp(it.tok[0], "attr") == 0) {
			set_attr(ctx, f, &it);
		} else if (strcmp(it.tok[0], "rule") == 0) {
			add_rule(ctx, f, &it);
		} else {
			fail(ctx, 0, "seccomp: unknown item \"%s\"", it.text);
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
	if (rc != 0)
		fail(ctx, rc < 0 ? errno : 0, "seccomp: install the filter%s", rc > 0 ? " (thread sync failed)" : "");
	ctx->seccomp_loaded = 1;
}

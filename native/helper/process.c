/* The container ops that set up the process: session, names, rlimits, umask, personality, scheduling, credentials, capabilities, cwd. */
#define _GNU_SOURCE
#include <sched.h>
#include <errno.h>
#include <grp.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/personality.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <linux/capability.h>

#include "ops.h"

void op_setsid(struct ctx *ctx, const struct op *op)
{
	(void)op;
	if (setsid() < 0)
		fail(ctx, errno, "setsid");
}

void op_become_root(struct ctx *ctx, const struct op *op)
{
	(void)op;
	if (setresgid(0, 0, 0) < 0)
		fail(ctx, errno, "setresgid(0, 0, 0)");
	if (setresuid(0, 0, 0) < 0)
		fail(ctx, errno, "setresuid(0, 0, 0)");
	if (setgroups(0, NULL) < 0)
		fail(ctx, errno, "setgroups(0, NULL)");
}

void op_sethostname(struct ctx *ctx, const struct op *op)
{
	if (sethostname(op->argv[0], strlen(op->argv[0])) < 0)
		fail(ctx, errno, "sethostname(\"%s\")", op->argv[0]);
}

void op_setdomainname(struct ctx *ctx, const struct op *op)
{
	if (setdomainname(op->argv[0], strlen(op->argv[0])) < 0)
		fail(ctx, errno, "setdomainname(\"%s\")", op->argv[0]);
}

void op_rlimit(struct ctx *ctx, const struct op *op)
{
	int resource = num_int(ctx, op->argv[0]);
	struct rlimit rl = {
		.rlim_cur = (rlim_t)num_max(ctx, op->argv[1], ULLONG_MAX),
		.rlim_max = (rlim_t)num_max(ctx, op->argv[2], ULLONG_MAX),
	};

	if (setrlimit(resource, &rl) < 0)
		fail(ctx, errno, "setrlimit(%d, %s, %s)", resource, op->argv[1], op->argv[2]);
}

void op_umask(struct ctx *ctx, const struct op *op)
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

void op_personality(struct ctx *ctx, const struct op *op)
{
	unsigned long persona = num_max(ctx, op->argv[0], 0xffffffffUL);

	if (personality(persona) < 0)
		fail(ctx, errno, "personality(0x%lx)", persona);
}

/* `cpu-affinity <mask words>`: the CPUs of the mask (64 bits a word, lowest first); no words: every
 * CPU (the kernel keeps those of the cgroup's cpuset). */
void op_cpu_affinity(struct ctx *ctx, const struct op *op)
{
	cpu_set_t set;

	CPU_ZERO(&set);
	for (int cpu = 0; op->argc == 0 && cpu < CPU_SETSIZE; cpu++)
		CPU_SET(cpu, &set);
	for (int word = 0; word < op->argc && word < CPU_SETSIZE / 64; word++) {
		unsigned long long bits = hex64(ctx, op->argv[word]);

		for (int bit = 0; bit < 64; bit++)
			if (bits >> bit & 1)
				CPU_SET(word * 64 + bit, &set);
	}
	if (sched_setaffinity(0, sizeof(set), &set) < 0)
		fail(ctx, errno, errno == EINVAL ? "sched_setaffinity: none of these CPUs is allowed here (the cgroup's cpuset)" : "sched_setaffinity");
}

void op_sched_setattr(struct ctx *ctx, const struct op *op)
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

void op_ioprio(struct ctx *ctx, const struct op *op)
{
	int value = (int)num_max(ctx, op->argv[0], 0xffff);

	/* IOPRIO_WHO_PROCESS (1), who 0: the calling thread. */
	if (syscall(SYS_ioprio_set, 1, 0, value) < 0)
		fail(ctx, errno, "ioprio_set(IOPRIO_WHO_PROCESS, 0, 0x%x)", value);
}

void op_set_mempolicy(struct ctx *ctx, const struct op *op)
{
	unsigned long mode = num_max(ctx, op->argv[0], UINT_MAX);
	int words = op->argc - 1;
	unsigned long *mask = calloc((size_t)words + 1, sizeof(unsigned long));

	if (!mask)
		fail(ctx, errno, "allocate a node mask of %d words", words);
	for (int i = 0; i < words; i++)
		mask[i] = (unsigned long)hex64(ctx, op->argv[1 + i]);
	/* maxnode: the bits of the mask (the kernel reads maxnode - 1 of them, as set_mempolicy(2) has it). */
	if (syscall(SYS_set_mempolicy, (int)mode, words ? mask : NULL, words ? (unsigned long)words * 64 + 1 : 0) < 0)
		fail(ctx, errno, "set_mempolicy(mode 0x%lx, %d mask words)", mode, words);
	free(mask);
}

void op_keep_caps(struct ctx *ctx, const struct op *op)
{
	(void)op;
	if (prctl(PR_SET_KEEPCAPS, 1, 0, 0, 0) < 0)
		fail(ctx, errno, "prctl(PR_SET_KEEPCAPS, 1)");
}

void op_drop_bounding(struct ctx *ctx, const struct op *op)
{
	for (int i = 0; i < op->argc; i++) {
		int cap = num_int(ctx, op->argv[i]);
		if (prctl(PR_CAPBSET_DROP, cap, 0, 0, 0) < 0)
			fail(ctx, errno, "prctl(PR_CAPBSET_DROP, %d)", cap);
	}
}

void op_setgroups_list(struct ctx *ctx, const struct op *op)
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

void op_setresgid(struct ctx *ctx, const struct op *op)
{
	gid_t gid = (gid_t)num_max(ctx, op->argv[0], UINT_MAX);

	if (setresgid(gid, gid, gid) < 0)
		fail(ctx, errno, "setresgid(%u)", gid);
}

void op_setresuid(struct ctx *ctx, const struct op *op)
{
	uid_t uid = (uid_t)num_max(ctx, op->argv[0], UINT_MAX);

	if (setresuid(uid, uid, uid) < 0)
		fail(ctx, errno, "setresuid(%u)", uid);
}

void op_capset(struct ctx *ctx, const struct op *op)
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

void op_ambient(struct ctx *ctx, const struct op *op)
{
	if (prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0) < 0)
		fail(ctx, errno, "prctl(PR_CAP_AMBIENT_CLEAR_ALL)");
	for (int i = 0; i < op->argc; i++) {
		int cap = num_int(ctx, op->argv[i]);
		if (prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_RAISE, cap, 0, 0) < 0)
			fail(ctx, errno, "prctl(PR_CAP_AMBIENT_RAISE, %d)", cap);
	}
}

void op_no_new_privs(struct ctx *ctx, const struct op *op)
{
	(void)op;
	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0)
		fail(ctx, errno, "prctl(PR_SET_NO_NEW_PRIVS, 1)");
}

/* The cwd must be a place under the process's root: a cwd reached through a magic link (an fd of a
 * host directory, say) is outside it, and getcwd then answers "(unreachable)..." (ENOENT in glibc). */
/* mkdir -p, each missing level 0755; called under the container's root, so ".." and symlinks stay in it. */
static int make_dirs(const char *path)
{
	char buf[PATH_MAX];
	size_t n = strlen(path);

	if (n >= sizeof(buf)) {
		errno = ENAMETOOLONG;
		return -1;
	}
	memcpy(buf, path, n + 1);
	for (char *p = buf + 1; ; p++) {
		if (*p != '/' && *p != '\0')
			continue;
		char end = *p;

		*p = '\0';
		if (mkdir(buf, 0755) < 0 && errno != EEXIST)
			return -1;
		if (end == '\0')
			return 0;
		*p = '/';
	}
}

void op_chdir(struct ctx *ctx, const struct op *op)
{
	char cwd[PATH_MAX];
	const char *at;
	int create = op->argc == 2; /* `missing` is "create" (checked with the plan) */

	if (chdir(op->argv[0]) < 0 && !(create && errno == ENOENT && make_dirs(op->argv[0]) == 0 && chdir(op->argv[0]) == 0))
		fail(ctx, errno, "chdir %s", op->argv[0]);
	at = getcwd(cwd, sizeof(cwd));
	if (!at && errno != ENOENT)
		fail(ctx, errno, "getcwd after chdir %s", op->argv[0]);
	if (!at || cwd[0] != '/')
		fail(ctx, 0, "cwd-outside-root"); /* a condition, for TypeScript to word */
}

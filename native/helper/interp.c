/* The op table, the plan's checks against it, and the loop that runs the ops. Each handler either
 * succeeds or calls fail(), which exits. */
#define _GNU_SOURCE
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "ops.h"

/* HEAD: may run in a head, before the rest of the plan is known (it touches only P). */
enum side { HOST = 1, CONTAINER = 2, BOTH = HOST | CONTAINER, HEAD = 4 };

#define VARIADIC INT_MAX

struct op_def {
	const char *name;
	int side;
	int min_args, max_args;
	void (*run)(struct ctx *ctx, const struct op *op);
};

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

_Noreturn void run_container(struct ctx *ctx)
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

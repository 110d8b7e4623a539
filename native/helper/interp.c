/* The op table, the plan's checks against it, and the loop that runs the ops. Each handler either
 * succeeds or calls fail(), which exits. */
#define _GNU_SOURCE
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "ops.h"

#include "op_table.h"

struct op_def {
	const char *name;
	int side;
	const struct arg_spec *args;
	void (*run)(struct ctx *ctx, const struct op *op);
};

static const struct op_def defs[] = {
#define OP_DEF(name, id, side) { name, side, op_args_##id, op_##id },
	OP_TABLE(OP_DEF)
#undef OP_DEF
};

static const struct op_def *lookup(const char *name)
{
	for (size_t i = 0; i < sizeof(defs) / sizeof(defs[0]); i++)
		if (strcmp(defs[i].name, name) == 0)
			return &defs[i];
	return NULL;
}

/* Why s is not of kind (spec's max and values), or NULL when it is. */
static const char *bad_value(const struct arg_spec *spec, enum arg_kind kind, const char *s, char *why, size_t len)
{
	unsigned long long v;

	switch (kind) {
	case ARG_INT:
		if (*s == '\0' && (spec->flags & ARG_NULLABLE))
			return NULL;
		if (parse_u64(s, 10, &v) == 0 && v <= spec->max)
			return NULL;
		snprintf(why, len, "must be a number, at most %llu", spec->max);
		return why;
	case ARG_SIGNED:
		if (parse_u64(s + (*s == '-'), 10, &v) == 0 && v <= spec->max)
			return NULL;
		snprintf(why, len, "must be a number from -%llu to %llu", spec->max, spec->max);
		return why;
	case ARG_U64:
		return parse_u64(s, 10, &v) == 0 ? NULL : "must be a 64-bit number";
	case ARG_HEX64:
		return (s[0] == '0' && s[1] == 'x' && parse_u64(s, 16, &v) == 0) ? NULL : "must be 0x and a 64-bit hex number";
	case ARG_PATH:
		return *s == '/' ? NULL : "must be an absolute path";
	case ARG_ENUM:
		for (const char *const *e = spec->values; *e; e++)
			if (strcmp(*e, s) == 0)
				return NULL;
		return "is not one of the values the op takes";
	default:
		return NULL;
	}
}

/* Checks op's arguments against its specs; 0, or -1 with f set. */
static int check_args(int index, const struct op *op, const struct arg_spec *args, struct failure *f)
{
	char why[64];
	int at = 0;

	for (const struct arg_spec *spec = args; spec->name; spec++) {
		unsigned long long n = 0;
		int from, to;

		switch (spec->kind) {
		case ARG_LIST:
			from = at;
			to = op->argc;
			if ((unsigned long long)(to - from) < spec->min)
				goto count;
			break;
		case ARG_COUNTED:
		case ARG_ENV_OR_INHERIT:
			if (at >= op->argc)
				goto count;
			if (spec->kind == ARG_ENV_OR_INHERIT && strcmp(op->argv[at], "inherit") == 0) {
				from = to = ++at;
				break;
			}
			if (parse_u64(op->argv[at], 10, &n) < 0 || n > (unsigned long long)(op->argc - at - 1))
				goto count;
			from = ++at;
			to = from + (int)n;
			break;
		default:
			if (at >= op->argc) {
				if (spec->flags & ARG_OPTIONAL)
					return 0;
				goto count;
			}
			from = at;
			to = at + 1;
		}
		for (int i = from; i < to; i++) {
			const char *bad = bad_value(spec, spec->item, op->argv[i], why, sizeof(why));

			if (bad)
				return set_failure(f, 0, "op %d: %s: bad %s \"%.64s\" (argument %d): %s", index, op->name,
						   spec->name, op->argv[i], i + 1, bad);
		}
		at = to;
	}
	if (at == op->argc)
		return 0;
count:
	return set_failure(f, 0, "op %d: wrong argument count %d for %s", index, op->argc, op->name);
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
		if (check_args(i, op, def->args, f) < 0)
			return -1;
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

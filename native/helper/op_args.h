/* How the op table (op_table.h, generated from src/linux/op-schema.ts) describes an op's arguments,
 * and the sides an op may be on. ops_validate (interp.c) checks every op of a plan against it before
 * the first one runs. */
#ifndef TSRUNC_OP_ARGS_H
#define TSRUNC_OP_ARGS_H

#include <stddef.h>

/* HEAD: may run in a head, before the rest of the plan is known (it touches only P). */
enum side { HOST = 1, CONTAINER = 2, BOTH = HOST | CONTAINER, HEAD = 4 };

enum arg_kind {
	ARG_INT,     /* unsigned decimal, at most max */
	ARG_SIGNED,  /* decimal with an optional '-', absolute value at most max */
	ARG_U64,     /* unsigned 64-bit decimal */
	ARG_HEX64,   /* 0x and 64-bit hex */
	ARG_STRING,  /* anything */
	ARG_PATH,    /* starts with '/' */
	ARG_ENUM,    /* one of values */
	ARG_LIST,    /* every argument left, each of the item kind; at least min */
	ARG_COUNTED, /* a decimal count, then that many of the item kind */
	ARG_ENV_OR_INHERIT, /* `inherit` alone, or a count and that many strings; the last argument */
};

enum arg_flag {
	ARG_NULLABLE = 1, /* "" stands for NULL */
	ARG_OPTIONAL = 2, /* may be left out (only the last) */
};

struct arg_spec {
	const char *name;
	enum arg_kind kind;
	/* The kind of each item of a list or counted argument; the kind itself otherwise. */
	enum arg_kind item;
	unsigned long long max;
	unsigned min;
	int flags;
	const char *const *values;
};

#endif

/* tsrunc's front: the executable engines call. It runs no runtime logic: it finds a warm tsrunc server
 * (`tsrunc daemon`) for the state root, hands it the command (argv, environment, working directory,
 * umask, stdio and the --preserve-fds descriptors) and relays until the server says how it ended; with
 * no server, it starts the Node code as bin/tsrunc-node (the cold path). docs/warm-path.md. */
#ifndef TSRUNC_FRONT_H
#define TSRUNC_FRONT_H

#include <stddef.h>
#include <sys/types.h>

/* What the front reads of its command line (the server parses it again, in full). */
struct front_args {
	const char *root;    /* --root, or the default */
	const char *command; /* the first positional, NULL when there is none */
	int preserve_fds;    /* --preserve-fds N of create, run and exec (0 when absent or odd) */
};

/* args.c */
void scan_args(int argc, char **argv, struct front_args *out);
/* The commands whose container process is started by a helper the front spawns. */
int spawns_helper(const char *command);
/* The commands that change nothing, which may run again on the cold path when the server fails. */
int is_read_only(const char *command);

/* cold.c: execs the Node entry with the same argv; returns only on failure (errno set). */
void exec_cold(char **argv);
/* The package root: two levels above the directory of /proc/self/exe (build/Release/tsrunc). */
const char *package_root(void);

/* warm.c: the exit status of the command the server ran, or -1 when the cold path must run it. */
int run_warm(int argc, char **argv, const struct front_args *args);

#endif

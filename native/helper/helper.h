/* tsrunc-init: interpreter of the plan described in docs/plan-format.md. */
#ifndef TSRUNC_HELPER_H
#define TSRUNC_HELPER_H

#include <stddef.h>
#include <stdint.h>
#include <limits.h>
#include <sys/types.h>

/* Upper bound on the payload length, so a corrupt length prefix cannot make us allocate gigabytes. */
#define PLAN_MAX_BYTES (16u << 20)

struct sock_fprog;
struct sock_filter;

struct op {
	const char *name;
	int argc;
	char **argv;
};

struct plan {
	char *buf;         /* the payload; every string below points into it */
	struct op *ops;    /* host ops, then container ops; the separator is not stored */
	int n;
	int host_count;    /* index of the first container op */
	int head;          /* 1 while the plan is only a head: host ops ended by `more`, the rest to come */
	size_t head_bytes; /* the head's records, without `more`, at the start of buf (for the dump) */
};

/* Run-time state shared by the ops of one process (P, then C after clone). */
struct ctx {
	const struct plan *plan;
	int sync_fd;          /* -1 once closed by `ready` */
	int index;            /* wire index of the op being run, for error messages */
	pid_t child;          /* C's pid in P after `clone`, else 0 */
	int release_rd;       /* release socket (SOCK_SEQPACKET), created by `clone`: C's end ... */
	int release_wr;       /* ... and P's, which also carries the mount sources P sends C */
	int in_child_mntns;   /* P: joined C's mount namespace (for the mount sources) */
	int host_fd[512];     /* C: the mount sources P sent, received by `wait-release`, in order ... */
	int host_fd_count;
	int host_fd_next;     /* ... and the next one a `mount-from-host` takes */
	int fifo_path_fd;     /* exec.fifo as an O_PATH fd, from `open-exec-fifo`, until `wait-start` reopens it */
	int fifo_fd;          /* exec.fifo, opened by `wait-start`; closed by the execve (close-on-exec) */
	int start_reported;   /* "0" written to exec.fifo: `start` goes on; failures no longer go there */
	const char *program;  /* from `find-exec` */
	int exit_code;        /* exit status on failure: 1, or 127 for `exec` */
	struct sock_fprog *seccomp_prog; /* from `seccomp`, for `seccomp-load` */
	unsigned int seccomp_flags;
	int seccomp_loaded;       /* after `seccomp-load`: failures say the filter may be the cause */
	int seccomp_listener_fd;  /* the notification fd `seccomp-load` got (NEW_LISTENER), until `seccomp-listener` */
	struct sock_filter *seccomp_prefix; /* `prefix` items: put before libseccomp's program */
	unsigned int seccomp_prefix_len;
	const struct op *exec_op; /* the first `exec` op, whose argv ... */
	char **exec_args;         /* ... is built before any op runs (no allocation after a filter) */
	int console_fd;           /* from `console-connect`: the console socket, until `console` sends the master */
	int pidfd_sock;           /* from `pidfd-connect`: the --pidfd-socket, until `send-pidfd` */
	int cgroup_fd;            /* from `open-cgroup`: the cgroup2 directory `clone` creates C in */
	int ns_count;             /* namespace files `open-ns` opened for a later `setns` of the same path */
	const char *ns_path[16];
	int ns_fd[16];
	/* The first masked directory, whose read-only tmpfs the others share (a path, not an fd: nothing
	 * of the container runs between the masks, and no fd outlives them into the wait for start). */
	char mask_dir[PATH_MAX];
};

/* A failure found before any op runs, reported by main. */
struct failure {
	int index;  /* -1, or the index of the op at fault */
	int err;    /* errno, 0 when no system call failed */
	char text[512];
};

/* plan.c */
/* Reads one payload: a whole plan, or a head (plan->head set) whose rest plan_read_rest appends. */
int plan_read(int fd, struct plan *plan, struct failure *f);
int plan_read_rest(int fd, struct plan *plan, struct failure *f);

/* interp.c */
/* Checks every op's name, side and argc (and refuses reserved ops) before anything runs; a head
 * may hold only the ops that can run before the rest of the plan is known. */
int ops_validate(const struct plan *plan, struct failure *f);
/* Runs a head's ops (P). */
void ops_run_head(const struct plan *plan, struct ctx *ctx);
/* Runs the host ops from `from` on, then exits; C continues into the container ops and never returns. */
_Noreturn void ops_run(const struct plan *plan, struct ctx *ctx, int from);

/* main.c */
/* When TSRUNC_INIT_PLAN_DUMP names a file, writes the plan's records to it as one payload would
 * carry them (a head's without its `more`, then the rest's), for comparing with `tsrunc explain`;
 * any failure to do so is ignored. */
void dump_plan(const char *head, size_t head_len, const char *rest, size_t rest_len);
/* Fills f (index unchanged) and returns -1. */
int set_failure(struct failure *f, int err, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
/* Reads tsrunc's one-line answer (without its newline, cut to len - 1) to the question sent on the sync
 * fd (`question arg`, named in the failures: a read error, or EOF before an answer). */
void read_answer(struct ctx *ctx, char *reply, size_t len, const char *question, const char *arg);
/* Sends one line on the sync fd in a single write; returns -1 with errno set on failure. */
int send_line(struct ctx *ctx, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Tells tsrunc that the current op took a fallback (`what`, after a failure with errno err), on the
 * sync fd when it is open: `fallback <index> <what> <errno>`. */
void report_fallback(struct ctx *ctx, const char *what, int err);
/* Makes the process non-dumpable (its /proc entries closed to the container) until its execve. */
void make_undumpable(struct ctx *ctx);
/* Reports the failure of the current op (errno value err, 0 if no system call failed) and exits. */
_Noreturn void fail(struct ctx *ctx, int err, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
/* Longest report fail_report sends. */
#define REPORT_MAX 16384
/* Sends a failure report other than `error` (a line of the sync protocol without its newline, at most
 * REPORT_MAX bytes) where tsrunc reads it, as fail() does, and exits. */
_Noreturn void fail_report(struct ctx *ctx, const char *report);

/* seal.c */
/* Returns 0 when already running from a sealed memfd, else re-executes from one; -1 on failure. */
int ensure_sealed(struct ctx *ctx, char **argv, char **envp, struct failure *f);

#endif

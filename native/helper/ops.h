/* What the helper's op files share: the argument helpers, path resolution in the rootfs, and the
 * op handlers the table in interp.c dispatches to. */
#ifndef TSRUNC_OPS_H
#define TSRUNC_OPS_H

#include <stddef.h>
#include <sys/types.h>

#include "helper.h"

/* args.c */
/* The string, or NULL when it is empty (an optional argument left out). */
const char *nullable(const char *s);
/* Parses a whole unsigned number in base 10 or 16 (an optional 0x); -1 when s is not one. */
int parse_u64(const char *s, int base, unsigned long long *out);
/* Numbers from the plan; each fails the op on a bad one. */
unsigned long long num_max(struct ctx *ctx, const char *s, unsigned long long max);
unsigned long num(struct ctx *ctx, const char *s);
int num_int(struct ctx *ctx, const char *s);
unsigned long long hex64(struct ctx *ctx, const char *s);
/* Writes content to the existing file path; -1 with errno set on failure. */
int write_file(const char *path, const char *content, size_t len);
/* "/proc/self/fd/<fd>" into buf. */
void fd_path(int fd, char *buf, size_t len);

/* rootfs.c */
/* CREATE_ORDINARY_DIR: a directory, made when missing, and refused ("not-ordinary-dir") when the last
 * component is a symlink or anything but a directory (where procfs and sysfs go, as runc). */
enum create { CREATE_NONE, CREATE_DIR, CREATE_FILE, CREATE_ORDINARY_DIR };
/* An O_PATH fd of the root directory. */
int open_root(struct ctx *ctx, const char *root);
void expand_in_root(struct ctx *ctx, int rootfd, const char *path, char *rel, size_t len, int follow_last);
int resolve_parent(struct ctx *ctx, int rootfd, char *rel, const char **last);
int resolve_in_root(struct ctx *ctx, int rootfd, const char *path, enum create create);
int resolve_in_root_created(struct ctx *ctx, int rootfd, const char *path, enum create create, int *created);
/* "dir", "file", "none" or "ordinary-dir". */
enum create parse_create(struct ctx *ctx, const char *s);

/* mount_sources.c */
/* C, at `wait-release`: keeps the mount sources P sends until the release byte; EOF first fails. */
void receive_until_release(struct ctx *ctx);
/* C: the next mount source P sent (the caller closes it); none left fails the op. */
int take_host_fd(struct ctx *ctx);

/* copyup.c */
/* Copies what directory src holds into directory dst: files, directories, symlinks and special files,
 * with their owners and modes (not their times, as runc). `shown` names src in errors. */
void copy_tree(struct ctx *ctx, int src, int dst, const char *shown);

/* interp.c */
/* C's side of `clone`: runs the container ops, never returns. */
_Noreturn void run_container(struct ctx *ctx);

/* exec.c */
/* exec's argv: its first n arguments, NULL-terminated. */
char **exec_argv(struct ctx *ctx, const struct op *op);

/* The op handlers (docs/plan-format.md), by file. */
/* host_ops.c */
void op_cloexec_from(struct ctx *ctx, const struct op *op);
void op_join_cgroup(struct ctx *ctx, const struct op *op);
void op_open_ns(struct ctx *ctx, const struct op *op);
void op_setns(struct ctx *ctx, const struct op *op);
void op_unshare(struct ctx *ctx, const struct op *op);
void op_write_file(struct ctx *ctx, const struct op *op);
void op_open_cgroup(struct ctx *ctx, const struct op *op);
void op_clone(struct ctx *ctx, const struct op *op);
void op_uid_map(struct ctx *ctx, const struct op *op);
void op_gid_map(struct ctx *ctx, const struct op *op);
void op_report_pid(struct ctx *ctx, const struct op *op);
void op_release(struct ctx *ctx, const struct op *op);
void op_wait_release(struct ctx *ctx, const struct op *op);
/* mount_sources.c */
void op_send_mount_source(struct ctx *ctx, const struct op *op);
void op_send_mntns(struct ctx *ctx, const struct op *op);
void op_child_mntns(struct ctx *ctx, const struct op *op);
void op_send_idmapped_mount(struct ctx *ctx, const struct op *op);
/* console.c */
void op_console_connect(struct ctx *ctx, const struct op *op);
void op_pidfd_connect(struct ctx *ctx, const struct op *op);
void op_send_pidfd(struct ctx *ctx, const struct op *op);
void op_console(struct ctx *ctx, const struct op *op);
/* mounts.c */
void op_mount(struct ctx *ctx, const struct op *op);
void op_mount_in_root(struct ctx *ctx, const struct op *op);
void op_mount_from_host(struct ctx *ctx, const struct op *op);
void op_bind_remount(struct ctx *ctx, const struct op *op);
void op_tmpfs_copyup(struct ctx *ctx, const struct op *op);
void op_mount_setattr(struct ctx *ctx, const struct op *op);
void op_mknod_in_root(struct ctx *ctx, const struct op *op);
void op_symlink_in_root(struct ctx *ctx, const struct op *op);
void op_pivot_root(struct ctx *ctx, const struct op *op);
void op_hide_host_mount(struct ctx *ctx, const struct op *op);
void op_move_root(struct ctx *ctx, const struct op *op);
void op_chroot(struct ctx *ctx, const struct op *op);
void op_mask(struct ctx *ctx, const struct op *op);
void op_readonly(struct ctx *ctx, const struct op *op);
void op_remount_ro(struct ctx *ctx, const struct op *op);
/* process.c */
void op_setsid(struct ctx *ctx, const struct op *op);
void op_become_root(struct ctx *ctx, const struct op *op);
void op_sethostname(struct ctx *ctx, const struct op *op);
void op_setdomainname(struct ctx *ctx, const struct op *op);
void op_rlimit(struct ctx *ctx, const struct op *op);
void op_umask(struct ctx *ctx, const struct op *op);
void op_personality(struct ctx *ctx, const struct op *op);
void op_cpu_affinity(struct ctx *ctx, const struct op *op);
void op_sched_setattr(struct ctx *ctx, const struct op *op);
void op_ioprio(struct ctx *ctx, const struct op *op);
void op_set_mempolicy(struct ctx *ctx, const struct op *op);
void op_keep_caps(struct ctx *ctx, const struct op *op);
void op_drop_bounding(struct ctx *ctx, const struct op *op);
void op_setgroups_list(struct ctx *ctx, const struct op *op);
void op_setresgid(struct ctx *ctx, const struct op *op);
void op_setresuid(struct ctx *ctx, const struct op *op);
void op_capset(struct ctx *ctx, const struct op *op);
void op_ambient(struct ctx *ctx, const struct op *op);
void op_no_new_privs(struct ctx *ctx, const struct op *op);
void op_chdir(struct ctx *ctx, const struct op *op);
/* exec.c */
void op_open_exec_fifo(struct ctx *ctx, const struct op *op);
void op_find_exec(struct ctx *ctx, const struct op *op);
void op_ready(struct ctx *ctx, const struct op *op);
void op_report_start(struct ctx *ctx, const struct op *op);
void op_wait_start(struct ctx *ctx, const struct op *op);
void op_exec(struct ctx *ctx, const struct op *op);
/* hooks.c */
void op_hooks(struct ctx *ctx, const struct op *op);
void op_run_hook(struct ctx *ctx, const struct op *op);
/* seccomp.c */
void op_seccomp(struct ctx *ctx, const struct op *op);
void op_seccomp_load(struct ctx *ctx, const struct op *op);
void op_seccomp_listener(struct ctx *ctx, const struct op *op);

#endif

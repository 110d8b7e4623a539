/* Generated from src/linux/op-schema.ts by scripts/gen-op-table.mjs: do not edit. */
#ifndef TSRUNC_OP_TABLE_H
#define TSRUNC_OP_TABLE_H

#include "op_args.h"

static const struct arg_spec op_args_cloexec_from[] = {
	{ "fd", ARG_INT, ARG_INT, 2147483647ULL, 0, 0, NULL },
	{ NULL },
};

static const struct arg_spec op_args_join_cgroup[] = {
	{ "procsFile", ARG_PATH, ARG_PATH, 0, 0, 0, NULL },
	{ NULL },
};

static const struct arg_spec op_args_open_cgroup[] = {
	{ "directory", ARG_PATH, ARG_PATH, 0, 0, 0, NULL },
	{ NULL },
};

static const struct arg_spec op_args_open_ns[] = {
	{ "path", ARG_PATH, ARG_PATH, 0, 0, 0, NULL },
	{ NULL },
};

static const char *const op_values_setns_attempt[] = { "try", "pending", NULL };
static const struct arg_spec op_args_setns[] = {
	{ "path", ARG_PATH, ARG_PATH, 0, 0, 0, NULL },
	{ "nstype", ARG_INT, ARG_INT, 4294967295ULL, 0, 0, NULL },
	{ "attempt", ARG_ENUM, ARG_ENUM, 0, 0, ARG_OPTIONAL, op_values_setns_attempt },
	{ NULL },
};

static const struct arg_spec op_args_unshare[] = {
	{ "flags", ARG_INT, ARG_INT, 4294967295ULL, 0, 0, NULL },
	{ NULL },
};

static const struct arg_spec op_args_write_file[] = {
	{ "path", ARG_PATH, ARG_PATH, 0, 0, 0, NULL },
	{ "content", ARG_STRING, ARG_STRING, 0, 0, 0, NULL },
	{ NULL },
};

static const struct arg_spec op_args_clone[] = {
	{ "flags", ARG_INT, ARG_INT, 4294967295ULL, 0, 0, NULL },
	{ NULL },
};

static const struct arg_spec op_args_uid_map[] = {
	{ "content", ARG_STRING, ARG_STRING, 0, 0, 0, NULL },
	{ NULL },
};

static const struct arg_spec op_args_gid_map[] = {
	{ "content", ARG_STRING, ARG_STRING, 0, 0, 0, NULL },
	{ NULL },
};

static const struct arg_spec op_args_report_pid[] = {
	{ NULL },
};

static const struct arg_spec op_args_child_mntns[] = {
	{ NULL },
};

static const struct arg_spec op_args_release[] = {
	{ NULL },
};

static const struct arg_spec op_args_console_connect[] = {
	{ "socket", ARG_PATH, ARG_PATH, 0, 0, 0, NULL },
	{ NULL },
};

static const struct arg_spec op_args_pidfd_connect[] = {
	{ "socket", ARG_PATH, ARG_PATH, 0, 0, 0, NULL },
	{ NULL },
};

static const char *const op_values_send_pidfd_name[] = { "standard", "setns", NULL };
static const struct arg_spec op_args_send_pidfd[] = {
	{ "name", ARG_ENUM, ARG_ENUM, 0, 0, 0, op_values_send_pidfd_name },
	{ NULL },
};

static const struct arg_spec op_args_send_mount_source[] = {
	{ "path", ARG_PATH, ARG_PATH, 0, 0, 0, NULL },
	{ NULL },
};

static const char *const op_values_send_idmapped_mount_tree[] = { "single", "recursive", NULL };
static const char *const op_values_send_idmapped_mount_idmap[] = { "single", "recursive", NULL };
static const char *const op_values_send_idmapped_mount_userns[] = { "container", "new", NULL };
static const struct arg_spec op_args_send_idmapped_mount[] = {
	{ "path", ARG_PATH, ARG_PATH, 0, 0, 0, NULL },
	{ "tree", ARG_ENUM, ARG_ENUM, 0, 0, 0, op_values_send_idmapped_mount_tree },
	{ "idmap", ARG_ENUM, ARG_ENUM, 0, 0, 0, op_values_send_idmapped_mount_idmap },
	{ "userns", ARG_ENUM, ARG_ENUM, 0, 0, 0, op_values_send_idmapped_mount_userns },
	{ "uidMap", ARG_STRING, ARG_STRING, 0, 0, ARG_NULLABLE, NULL },
	{ "gidMap", ARG_STRING, ARG_STRING, 0, 0, ARG_NULLABLE, NULL },
	{ NULL },
};

static const struct arg_spec op_args_send_mntns[] = {
	{ NULL },
};

static const struct arg_spec op_args_wait_release[] = {
	{ NULL },
};

static const struct arg_spec op_args_setsid[] = {
	{ NULL },
};

static const struct arg_spec op_args_become_root[] = {
	{ NULL },
};

static const struct arg_spec op_args_sethostname[] = {
	{ "name", ARG_STRING, ARG_STRING, 0, 0, 0, NULL },
	{ NULL },
};

static const struct arg_spec op_args_setdomainname[] = {
	{ "name", ARG_STRING, ARG_STRING, 0, 0, 0, NULL },
	{ NULL },
};

static const struct arg_spec op_args_mount[] = {
	{ "source", ARG_STRING, ARG_STRING, 0, 0, ARG_NULLABLE, NULL },
	{ "target", ARG_PATH, ARG_PATH, 0, 0, 0, NULL },
	{ "fstype", ARG_STRING, ARG_STRING, 0, 0, ARG_NULLABLE, NULL },
	{ "flags", ARG_INT, ARG_INT, 4294967295ULL, 0, 0, NULL },
	{ "data", ARG_STRING, ARG_STRING, 0, 0, ARG_NULLABLE, NULL },
	{ NULL },
};

static const struct arg_spec op_args_open_exec_fifo[] = {
	{ "path", ARG_PATH, ARG_PATH, 0, 0, 0, NULL },
	{ NULL },
};

static const char *const op_values_mount_in_root_create[] = { "dir", "file", "none", "ordinary-dir", "as-source", NULL };
static const char *const op_values_mount_in_root_mode[] = { "inherit", NULL };
static const struct arg_spec op_args_mount_in_root[] = {
	{ "root", ARG_PATH, ARG_PATH, 0, 0, 0, NULL },
	{ "source", ARG_STRING, ARG_STRING, 0, 0, ARG_NULLABLE, NULL },
	{ "dest", ARG_PATH, ARG_PATH, 0, 0, 0, NULL },
	{ "fstype", ARG_STRING, ARG_STRING, 0, 0, ARG_NULLABLE, NULL },
	{ "flags", ARG_INT, ARG_INT, 4294967295ULL, 0, 0, NULL },
	{ "data", ARG_STRING, ARG_STRING, 0, 0, ARG_NULLABLE, NULL },
	{ "create", ARG_ENUM, ARG_ENUM, 0, 0, 0, op_values_mount_in_root_create },
	{ "remountFlags", ARG_INT, ARG_INT, 4294967295ULL, 0, 0, NULL },
	{ "propagation", ARG_INT, ARG_INT, 4294967295ULL, 0, 0, NULL },
	{ "mode", ARG_ENUM, ARG_ENUM, 0, 0, ARG_OPTIONAL, op_values_mount_in_root_mode },
	{ NULL },
};

static const struct arg_spec op_args_bind_remount[] = {
	{ "root", ARG_PATH, ARG_PATH, 0, 0, 0, NULL },
	{ "dest", ARG_PATH, ARG_PATH, 0, 0, 0, NULL },
	{ "set", ARG_INT, ARG_INT, 4294967295ULL, 0, 0, NULL },
	{ "clear", ARG_INT, ARG_INT, 4294967295ULL, 0, 0, NULL },
	{ NULL },
};

static const char *const op_values_mount_from_host_create[] = { "dir", "file", "none", NULL };
static const char *const op_values_mount_from_host_how[] = { "bind", "move", NULL };
static const struct arg_spec op_args_mount_from_host[] = {
	{ "root", ARG_PATH, ARG_PATH, 0, 0, 0, NULL },
	{ "source", ARG_PATH, ARG_PATH, 0, 0, 0, NULL },
	{ "dest", ARG_PATH, ARG_PATH, 0, 0, 0, NULL },
	{ "create", ARG_ENUM, ARG_ENUM, 0, 0, 0, op_values_mount_from_host_create },
	{ "how", ARG_ENUM, ARG_ENUM, 0, 0, 0, op_values_mount_from_host_how },
	{ "flags", ARG_INT, ARG_INT, 4294967295ULL, 0, 0, NULL },
	{ "remountFlags", ARG_INT, ARG_INT, 4294967295ULL, 0, 0, NULL },
	{ "propagation", ARG_INT, ARG_INT, 4294967295ULL, 0, 0, NULL },
	{ NULL },
};

static const struct arg_spec op_args_tmpfs_copyup[] = {
	{ "root", ARG_PATH, ARG_PATH, 0, 0, 0, NULL },
	{ "source", ARG_STRING, ARG_STRING, 0, 0, ARG_NULLABLE, NULL },
	{ "dest", ARG_PATH, ARG_PATH, 0, 0, 0, NULL },
	{ "flags", ARG_INT, ARG_INT, 4294967295ULL, 0, 0, NULL },
	{ "data", ARG_STRING, ARG_STRING, 0, 0, ARG_NULLABLE, NULL },
	{ "remountFlags", ARG_INT, ARG_INT, 4294967295ULL, 0, 0, NULL },
	{ "propagation", ARG_INT, ARG_INT, 4294967295ULL, 0, 0, NULL },
	{ NULL },
};

static const struct arg_spec op_args_mount_setattr[] = {
	{ "root", ARG_PATH, ARG_PATH, 0, 0, 0, NULL },
	{ "dest", ARG_PATH, ARG_PATH, 0, 0, 0, NULL },
	{ "attrSet", ARG_INT, ARG_INT, 4294967295ULL, 0, 0, NULL },
	{ "attrClr", ARG_INT, ARG_INT, 4294967295ULL, 0, 0, NULL },
	{ NULL },
};

static const struct arg_spec op_args_mknod_in_root[] = {
	{ "root", ARG_PATH, ARG_PATH, 0, 0, 0, NULL },
	{ "dest", ARG_PATH, ARG_PATH, 0, 0, 0, NULL },
	{ "mode", ARG_INT, ARG_INT, 4294967295ULL, 0, 0, NULL },
	{ "major", ARG_INT, ARG_INT, 4294967295ULL, 0, 0, NULL },
	{ "minor", ARG_INT, ARG_INT, 4294967295ULL, 0, 0, NULL },
	{ "uid", ARG_INT, ARG_INT, 4294967295ULL, 0, 0, NULL },
	{ "gid", ARG_INT, ARG_INT, 4294967295ULL, 0, 0, NULL },
	{ NULL },
};

static const struct arg_spec op_args_symlink_in_root[] = {
	{ "root", ARG_PATH, ARG_PATH, 0, 0, 0, NULL },
	{ "target", ARG_STRING, ARG_STRING, 0, 0, 0, NULL },
	{ "linkpath", ARG_PATH, ARG_PATH, 0, 0, 0, NULL },
	{ NULL },
};

static const struct arg_spec op_args_pivot_root[] = {
	{ "root", ARG_PATH, ARG_PATH, 0, 0, 0, NULL },
	{ NULL },
};

static const struct arg_spec op_args_hide_host_mount[] = {
	{ "path", ARG_PATH, ARG_PATH, 0, 0, 0, NULL },
	{ NULL },
};

static const struct arg_spec op_args_move_root[] = {
	{ "root", ARG_PATH, ARG_PATH, 0, 0, 0, NULL },
	{ NULL },
};

static const struct arg_spec op_args_chroot[] = {
	{ "root", ARG_PATH, ARG_PATH, 0, 0, 0, NULL },
	{ NULL },
};

static const struct arg_spec op_args_mask[] = {
	{ "path", ARG_PATH, ARG_PATH, 0, 0, 0, NULL },
	{ NULL },
};

static const struct arg_spec op_args_readonly[] = {
	{ "path", ARG_PATH, ARG_PATH, 0, 0, 0, NULL },
	{ NULL },
};

static const struct arg_spec op_args_remount_ro[] = {
	{ "path", ARG_PATH, ARG_PATH, 0, 0, 0, NULL },
	{ NULL },
};

static const struct arg_spec op_args_rlimit[] = {
	{ "resource", ARG_INT, ARG_INT, 63ULL, 0, 0, NULL },
	{ "soft", ARG_U64, ARG_U64, 0, 0, 0, NULL },
	{ "hard", ARG_U64, ARG_U64, 0, 0, 0, NULL },
	{ NULL },
};

static const struct arg_spec op_args_umask[] = {
	{ "mask", ARG_INT, ARG_INT, 511ULL, 0, 0, NULL },
	{ NULL },
};

static const struct arg_spec op_args_personality[] = {
	{ "persona", ARG_INT, ARG_INT, 4294967295ULL, 0, 0, NULL },
	{ NULL },
};

static const struct arg_spec op_args_cpu_affinity[] = {
	{ "mask", ARG_LIST, ARG_HEX64, 0, 0, 0, NULL },
	{ NULL },
};

static const struct arg_spec op_args_sched_setattr[] = {
	{ "policy", ARG_INT, ARG_INT, 4294967295ULL, 0, 0, NULL },
	{ "flags", ARG_U64, ARG_U64, 0, 0, 0, NULL },
	{ "nice", ARG_SIGNED, ARG_SIGNED, 20ULL, 0, 0, NULL },
	{ "priority", ARG_INT, ARG_INT, 4294967295ULL, 0, 0, NULL },
	{ "runtime", ARG_U64, ARG_U64, 0, 0, 0, NULL },
	{ "deadline", ARG_U64, ARG_U64, 0, 0, 0, NULL },
	{ "period", ARG_U64, ARG_U64, 0, 0, 0, NULL },
	{ NULL },
};

static const struct arg_spec op_args_ioprio[] = {
	{ "value", ARG_INT, ARG_INT, 65535ULL, 0, 0, NULL },
	{ NULL },
};

static const struct arg_spec op_args_set_mempolicy[] = {
	{ "mode", ARG_INT, ARG_INT, 4294967295ULL, 0, 0, NULL },
	{ "nodemask", ARG_LIST, ARG_HEX64, 0, 0, 0, NULL },
	{ NULL },
};

static const struct arg_spec op_args_keep_caps[] = {
	{ NULL },
};

static const struct arg_spec op_args_drop_bounding[] = {
	{ "caps", ARG_LIST, ARG_INT, 63ULL, 0, 0, NULL },
	{ NULL },
};

static const struct arg_spec op_args_setgroups_list[] = {
	{ "gids", ARG_LIST, ARG_INT, 4294967295ULL, 0, 0, NULL },
	{ NULL },
};

static const struct arg_spec op_args_setresgid[] = {
	{ "gid", ARG_INT, ARG_INT, 4294967295ULL, 0, 0, NULL },
	{ NULL },
};

static const struct arg_spec op_args_setresuid[] = {
	{ "uid", ARG_INT, ARG_INT, 4294967295ULL, 0, 0, NULL },
	{ NULL },
};

static const struct arg_spec op_args_capset[] = {
	{ "effective", ARG_HEX64, ARG_HEX64, 0, 0, 0, NULL },
	{ "permitted", ARG_HEX64, ARG_HEX64, 0, 0, 0, NULL },
	{ "inheritable", ARG_HEX64, ARG_HEX64, 0, 0, 0, NULL },
	{ NULL },
};

static const struct arg_spec op_args_ambient[] = {
	{ "caps", ARG_LIST, ARG_INT, 63ULL, 0, 0, NULL },
	{ NULL },
};

static const struct arg_spec op_args_no_new_privs[] = {
	{ NULL },
};

static const struct arg_spec op_args_seccomp[] = {
	{ "items", ARG_LIST, ARG_STRING, 0, 1, 0, NULL },
	{ NULL },
};

static const struct arg_spec op_args_seccomp_load[] = {
	{ NULL },
};

static const struct arg_spec op_args_seccomp_listener[] = {
	{ NULL },
};

static const char *const op_values_chdir_missing[] = { "create", NULL };
static const struct arg_spec op_args_chdir[] = {
	{ "path", ARG_PATH, ARG_PATH, 0, 0, 0, NULL },
	{ "missing", ARG_ENUM, ARG_ENUM, 0, 0, ARG_OPTIONAL, op_values_chdir_missing },
	{ NULL },
};

static const struct arg_spec op_args_find_exec[] = {
	{ "candidates", ARG_LIST, ARG_STRING, 0, 1, 0, NULL },
	{ NULL },
};

static const struct arg_spec op_args_ready[] = {
	{ NULL },
};

static const char *const op_values_wait_start_mode[] = { "hold", "release", NULL };
static const struct arg_spec op_args_wait_start[] = {
	{ "mode", ARG_ENUM, ARG_ENUM, 0, 0, ARG_OPTIONAL, op_values_wait_start_mode },
	{ NULL },
};

static const struct arg_spec op_args_report_start[] = {
	{ NULL },
};

static const char *const op_values_hooks_phase[] = { "prestart", "createRuntime", NULL };
static const struct arg_spec op_args_hooks[] = {
	{ "phase", ARG_ENUM, ARG_ENUM, 0, 0, 0, op_values_hooks_phase },
	{ NULL },
};

static const struct arg_spec op_args_run_hook[] = {
	{ "label", ARG_STRING, ARG_STRING, 0, 0, 0, NULL },
	{ "timeout", ARG_INT, ARG_INT, 1073741824ULL, 0, 0, NULL },
	{ "stateBeforePid", ARG_STRING, ARG_STRING, 0, 0, 0, NULL },
	{ "stateAfterPid", ARG_STRING, ARG_STRING, 0, 0, 0, NULL },
	{ "path", ARG_PATH, ARG_PATH, 0, 0, 0, NULL },
	{ "argv", ARG_COUNTED, ARG_STRING, 0, 0, 0, NULL },
	{ "env", ARG_ENV_OR_INHERIT, ARG_STRING, 0, 0, 0, NULL },
	{ NULL },
};

static const char *const op_values_console_onlcr[] = { "keep", "clear", NULL };
static const struct arg_spec op_args_console[] = {
	{ "ptmx", ARG_PATH, ARG_PATH, 0, 0, 0, NULL },
	{ "rows", ARG_INT, ARG_INT, 65535ULL, 0, 0, NULL },
	{ "cols", ARG_INT, ARG_INT, 65535ULL, 0, 0, NULL },
	{ "uid", ARG_INT, ARG_INT, 4294967295ULL, 0, ARG_NULLABLE, NULL },
	{ "consolePath", ARG_STRING, ARG_STRING, 0, 0, ARG_NULLABLE, NULL },
	{ "onlcr", ARG_ENUM, ARG_ENUM, 0, 0, 0, op_values_console_onlcr },
	{ NULL },
};

static const struct arg_spec op_args_exec[] = {
	{ "argv", ARG_COUNTED, ARG_STRING, 0, 0, 0, NULL },
	{ "env", ARG_LIST, ARG_STRING, 0, 0, 0, NULL },
	{ NULL },
};

#define OP_TABLE(OP) \
	OP("cloexec-from", cloexec_from, HOST | HEAD) \
	OP("join-cgroup", join_cgroup, HOST | HEAD) \
	OP("open-cgroup", open_cgroup, HOST | HEAD) \
	OP("open-ns", open_ns, HOST) \
	OP("setns", setns, BOTH) \
	OP("unshare", unshare, HOST) \
	OP("write-file", write_file, BOTH) \
	OP("clone", clone, HOST) \
	OP("uid-map", uid_map, HOST) \
	OP("gid-map", gid_map, HOST) \
	OP("report-pid", report_pid, HOST) \
	OP("child-mntns", child_mntns, HOST) \
	OP("release", release, HOST) \
	OP("console-connect", console_connect, HOST) \
	OP("pidfd-connect", pidfd_connect, HOST) \
	OP("send-pidfd", send_pidfd, CONTAINER) \
	OP("send-mount-source", send_mount_source, HOST) \
	OP("send-idmapped-mount", send_idmapped_mount, HOST) \
	OP("send-mntns", send_mntns, CONTAINER) \
	OP("wait-release", wait_release, CONTAINER) \
	OP("setsid", setsid, CONTAINER) \
	OP("become-root", become_root, CONTAINER) \
	OP("sethostname", sethostname, CONTAINER) \
	OP("setdomainname", setdomainname, CONTAINER) \
	OP("mount", mount, CONTAINER) \
	OP("open-exec-fifo", open_exec_fifo, CONTAINER) \
	OP("mount-in-root", mount_in_root, CONTAINER) \
	OP("bind-remount", bind_remount, CONTAINER) \
	OP("mount-from-host", mount_from_host, CONTAINER) \
	OP("tmpfs-copyup", tmpfs_copyup, CONTAINER) \
	OP("mount-setattr", mount_setattr, CONTAINER) \
	OP("mknod-in-root", mknod_in_root, CONTAINER) \
	OP("symlink-in-root", symlink_in_root, CONTAINER) \
	OP("pivot-root", pivot_root, CONTAINER) \
	OP("hide-host-mount", hide_host_mount, CONTAINER) \
	OP("move-root", move_root, CONTAINER) \
	OP("chroot", chroot, CONTAINER) \
	OP("mask", mask, CONTAINER) \
	OP("readonly", readonly, CONTAINER) \
	OP("remount-ro", remount_ro, CONTAINER) \
	OP("rlimit", rlimit, CONTAINER) \
	OP("umask", umask, CONTAINER) \
	OP("personality", personality, CONTAINER) \
	OP("cpu-affinity", cpu_affinity, CONTAINER) \
	OP("sched-setattr", sched_setattr, CONTAINER) \
	OP("ioprio", ioprio, CONTAINER) \
	OP("set-mempolicy", set_mempolicy, CONTAINER) \
	OP("keep-caps", keep_caps, CONTAINER) \
	OP("drop-bounding", drop_bounding, CONTAINER) \
	OP("setgroups-list", setgroups_list, CONTAINER) \
	OP("setresgid", setresgid, CONTAINER) \
	OP("setresuid", setresuid, CONTAINER) \
	OP("capset", capset, CONTAINER) \
	OP("ambient", ambient, CONTAINER) \
	OP("no-new-privs", no_new_privs, CONTAINER) \
	OP("seccomp", seccomp, CONTAINER) \
	OP("seccomp-load", seccomp_load, CONTAINER) \
	OP("seccomp-listener", seccomp_listener, CONTAINER) \
	OP("chdir", chdir, CONTAINER) \
	OP("find-exec", find_exec, CONTAINER) \
	OP("ready", ready, CONTAINER) \
	OP("wait-start", wait_start, CONTAINER) \
	OP("report-start", report_start, CONTAINER) \
	OP("hooks", hooks, CONTAINER) \
	OP("run-hook", run_hook, CONTAINER) \
	OP("console", console, CONTAINER) \
	OP("exec", exec, CONTAINER)

#endif

// The one definition of tsrunc's command line. The fast parser (parse.ts) and the help
// (help.ts) are both built from it, so they cannot drift.

export type FlagType = 'boolean' | 'string' | 'number' | 'array';

export interface FlagDef {
  name: string;
  type: FlagType;
  describe: string;
  alias?: string[];
  default?: string | number | boolean;
  /** Accepted for compatibility, left out of help. */
  hidden?: boolean;
}

export interface PositionalDef {
  name: string;
  required: boolean;
  /** Takes every remaining argument (exec's command). */
  variadic?: boolean;
}

export interface CommandDef {
  name: string;
  describe: string;
  flags: FlagDef[];
  positionals: PositionalDef[];
}

export const VERSION = '0.1.0';
export const SPEC_VERSION = '1.3.0';

export const GLOBAL_FLAGS: FlagDef[] = [
  { name: 'root', type: 'string', default: '/run/tsrunc', describe: 'root directory for storage of container state' },
  { name: 'log', type: 'string', describe: 'file to append logs to (default: stderr)' },
  { name: 'log-format', type: 'string', default: 'text', describe: "log format: 'text' or 'json'" },
  { name: 'debug', type: 'boolean', describe: 'enable debug logging' },
  { name: 'systemd-cgroup', type: 'boolean', describe: 'make each container\'s cgroup a systemd unit (linux.cgroupsPath is "slice:prefix:name"; cgroup v2)' },
  { name: 'rootless', type: 'string', hidden: true, describe: "ignored; 'true', 'false' or 'auto'" },
  { name: 'criu', type: 'string', hidden: true, describe: 'ignored: path to criu' },
  { name: 'version', type: 'boolean', alias: ['v'], describe: 'print the version' },
  { name: 'help', type: 'boolean', alias: ['h'], describe: 'show help' },
];

const bundle: FlagDef = {
  name: 'bundle', type: 'string', alias: ['b'], describe: 'path to the bundle directory (default: current directory)',
};
const pidFile: FlagDef = { name: 'pid-file', type: 'string', describe: 'file to write the container init pid to' };
const createFlags: FlagDef[] = [
  bundle,
  pidFile,
  { name: 'console-socket', type: 'string', describe: 'AF_UNIX socket to receive the pty master (with process.terminal)' },
  { name: 'no-pivot', type: 'boolean', describe: 'do not use pivot_root (move mount + chroot instead)' },
  { name: 'no-new-keyring', type: 'boolean', describe: 'do not create a new session keyring' },
  { name: 'preserve-fds', type: 'number', default: 0, describe: 'pass N additional fds (from 3) to the container' },
  { name: 'pidfd-socket', type: 'string', describe: 'AF_UNIX socket to receive a pidfd of the new process (Linux 5.3)' },
];

const id: PositionalDef = { name: 'container-id', required: true };

/** runc's checkpoint and restore options, accepted so that the error is CRIU's absence, not a flag. */
const CRIU_FLAGS = ['image-path', 'work-path', 'parent-path', 'leave-running', 'tcp-established', 'ext-unix-sk', 'shell-job',
  'lazy-pages', 'status-fd', 'page-server', 'file-locks', 'pre-dump', 'manage-cgroups-mode', 'empty-ns', 'auto-dedup',
  'lsm-profile', 'lsm-mount-context'];
const CRIU_STRING_FLAGS = ['image-path', 'work-path', 'parent-path', 'status-fd', 'page-server', 'manage-cgroups-mode', 'empty-ns', 'lsm-profile', 'lsm-mount-context'];

export const COMMANDS: CommandDef[] = [
  { name: 'create', describe: 'create a container from a bundle', flags: createFlags, positionals: [id] },
  { name: 'start', describe: 'start a created container', flags: [], positionals: [id] },
  {
    name: 'run', describe: 'create and start a container, and wait for it',
    flags: [
      ...createFlags,
      { name: 'detach', type: 'boolean', alias: ['d'], describe: 'do not wait for the container' },
      { name: 'keep', type: 'boolean', describe: 'do not delete the container after it exits' },
      { name: 'no-subreaper', type: 'boolean', hidden: true, describe: 'ignored' },
    ],
    positionals: [id],
  },
  { name: 'state', describe: "print a container's OCI state", flags: [], positionals: [id] },
  {
    name: 'kill', describe: "send a signal to a container's init (default SIGTERM)",
    flags: [{ name: 'all', type: 'boolean', alias: ['a'], describe: 'signal every process in the container' }],
    positionals: [id, { name: 'signal', required: false }],
  },
  {
    name: 'delete', describe: 'delete a container and everything the runtime made for it',
    flags: [{ name: 'force', type: 'boolean', alias: ['f'], describe: 'kill the container first if it is running' }],
    positionals: [id],
  },
  {
    name: 'exec', describe: 'run a new process inside a container (the command, or --process)',
    flags: [
      { name: 'process', type: 'string', alias: ['p'], describe: 'file holding the process as a JSON OCI process object' },
      { name: 'detach', type: 'boolean', alias: ['d'], describe: 'do not wait for the process' },
      { name: 'pid-file', type: 'string', describe: 'file to write the process id to' },
      { name: 'cwd', type: 'string', describe: 'working directory in the container' },
      { name: 'env', type: 'array', alias: ['e'], describe: 'add an environment variable NAME=value (repeatable)' },
      { name: 'user', type: 'string', alias: ['u'], describe: 'UID[:GID] to run as' },
      { name: 'additional-gids', type: 'array', alias: ['g'], describe: 'add a supplementary group id (repeatable)' },
      { name: 'cap', type: 'array', alias: ['c'], describe: 'add a capability to the bounding, effective and permitted sets (repeatable)' },
      { name: 'no-new-privs', type: 'boolean', describe: 'set no_new_privs for the process' },
      { name: 'preserve-fds', type: 'number', default: 0, describe: 'pass N additional fds (from 3) to the process' },
      { name: 'ignore-paused', type: 'boolean', describe: 'exec in a paused container (the process waits until it is resumed)' },
      { name: 'tty', type: 'boolean', alias: ['t'], describe: 'allocate a pseudo-terminal' },
      { name: 'console-socket', type: 'string', describe: 'AF_UNIX socket to receive the pty master (with process.terminal)' },
      { name: 'pidfd-socket', type: 'string', describe: 'AF_UNIX socket to receive a pidfd of the new process (Linux 5.3)' },
      { name: 'cgroup', type: 'array', describe: 'run the process in an existing sub-cgroup: [controller[,controller]:]path (repeatable)' },
      { name: 'process-label', type: 'string', hidden: true, describe: 'ignored (SELinux)' },
      { name: 'apparmor', type: 'string', hidden: true, describe: 'ignored (AppArmor)' },
    ],
    positionals: [id, { name: 'command', required: false, variadic: true }],
  },
  {
    name: 'ps', describe: "list the processes in a container's cgroup",
    flags: [{ name: 'format', type: 'string', alias: ['f'], default: 'table', describe: "'table' (the host's ps output) or 'json' (pids)" }],
    positionals: [id, { name: 'ps-options', required: false, variadic: true }],
  },
  { name: 'pause', describe: 'suspend every process in a container (freeze its cgroup)', flags: [], positionals: [id] },
  { name: 'resume', describe: 'resume the processes of a paused container', flags: [], positionals: [id] },
  {
    name: 'list', describe: 'list containers under --root',
    flags: [
      { name: 'format', type: 'string', alias: ['f'], default: 'table', describe: "'table' or 'json'" },
      { name: 'quiet', type: 'boolean', alias: ['q'], describe: 'print only container ids' },
    ],
    positionals: [],
  },
  {
    name: 'check', describe: 'report every problem in a bundle, and what this host cannot do for it',
    flags: [bundle, { name: 'json', type: 'boolean', describe: 'print the report as JSON' }],
    positionals: [],
  },
  {
    name: 'explain', describe: 'print, creating nothing, the plan create would carry out',
    flags: [
      bundle,
      { name: 'json', type: 'boolean', describe: 'print the plan as JSON' },
      { name: 'no-pivot', type: 'boolean', describe: 'plan for --no-pivot' },
      { name: 'preserve-fds', type: 'number', default: 0, describe: 'plan for --preserve-fds N' },
      { name: 'console-socket', type: 'string', describe: 'plan for --console-socket PATH (a process.terminal)' },
    ],
    positionals: [{ name: 'container-id', required: false }],
  },
  {
    name: 'update', describe: "change a running container's cgroup limits (a LinuxResources JSON, and flags over it)",
    flags: [
      { name: 'resources', type: 'string', alias: ['r'], describe: "file holding a runtime-spec LinuxResources JSON ('-': stdin)" },
      { name: 'memory', type: 'string', describe: 'memory limit in bytes (512m, 1g; -1: none)' },
      { name: 'memory-reservation', type: 'string', describe: 'memory soft limit in bytes' },
      { name: 'memory-swap', type: 'string', describe: 'memory plus swap limit in bytes (-1: unlimited swap)' },
      { name: 'kernel-memory', type: 'string', hidden: true, describe: 'deprecated kernel memory limit' },
      { name: 'kernel-memory-tcp', type: 'string', hidden: true, describe: 'deprecated kernel TCP memory limit' },
      { name: 'cpu-share', type: 'string', alias: ['cpu-shares'], describe: 'CPU shares (relative weight)' },
      { name: 'cpu-quota', type: 'string', describe: 'CPU CFS quota in microseconds per period (-1: none)' },
      { name: 'cpu-period', type: 'string', describe: 'CPU CFS period in microseconds' },
      { name: 'cpu-burst', type: 'string', describe: 'CPU CFS burst in microseconds (run time a period may borrow from earlier ones)' },
      { name: 'cpu-rt-period', type: 'string', describe: 'CPU real-time period in microseconds' },
      { name: 'cpu-rt-runtime', type: 'string', describe: 'CPU real-time runtime in microseconds per period' },
      { name: 'cpu-idle', type: 'string', describe: 'cgroup v2 cpu.idle (0 or 1)' },
      { name: 'cpuset-cpus', type: 'string', describe: 'CPUs to run on (0-3, 0,1)' },
      { name: 'cpuset-mems', type: 'string', describe: 'memory nodes to allocate from (0-3, 0,1)' },
      { name: 'pids-limit', type: 'string', describe: 'maximum number of tasks' },
      { name: 'blkio-weight', type: 'string', describe: 'block I/O weight (10 to 1000)' },
    ],
    positionals: [id],
  },
  { name: 'features', describe: 'print what this runtime supports, as runtime-spec features JSON', flags: [], positionals: [] },
  {
    name: 'spec', describe: 'write a default config.json',
    flags: [bundle, { name: 'rootless', type: 'boolean', describe: "write runc's config for a container without privileges (user namespace)" }],
    positionals: [],
  },
  {
    name: 'events', describe: "print a container's resource usage (and OOM events) as runc's JSON lines",
    flags: [
      { name: 'stats', type: 'boolean', describe: 'print the usage once and exit' },
      { name: 'interval', type: 'string', default: '5s', describe: 'time between two stats lines (1s, 500ms, 2m)' },
    ],
    positionals: [id],
  },
  {
    name: 'checkpoint', describe: 'checkpoint a running container (needs CRIU)',
    flags: CRIU_FLAGS.map((name) => ({ name, type: CRIU_STRING_FLAGS.includes(name) ? 'string' as const : 'boolean' as const, describe: 'as runc (CRIU)' })),
    positionals: [id],
  },
  {
    name: 'restore', describe: 'restore a container from a checkpoint (needs CRIU)',
    flags: [...createFlags.filter((f) => f.name !== 'preserve-fds'), { name: 'detach', type: 'boolean', alias: ['d'], describe: 'do not wait for the container' },
      ...CRIU_FLAGS.map((name) => ({ name, type: CRIU_STRING_FLAGS.includes(name) ? 'string' as const : 'boolean' as const, describe: 'as runc (CRIU)' }))],
    positionals: [id],
  },
  {
    name: 'daemon', describe: 'serve this --root warm: the tsrunc executable hands its commands to this server (docs/warm-path.md)',
    flags: [
      { name: 'idle-timeout', type: 'number', describe: 'stop after this many seconds without a request (0: never)' },
      { name: 'idle-workers', type: 'number', describe: 'worker processes kept ready (default 2)' },
      { name: 'max-workers', type: 'number', describe: 'worker processes at most (default 64)' },
      { name: 'worker', type: 'boolean', hidden: true, describe: 'run as one of the server\'s workers' },
    ],
    positionals: [],
  },
  { name: 'help', describe: 'show the commands, or one command\'s options', flags: [], positionals: [{ name: 'command', required: false }] },
];

export function findCommand(name: string): CommandDef | undefined {
  return COMMANDS.find((c) => c.name === name);
}

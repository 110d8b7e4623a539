// What `tsrunc explain` prints: the plan create would hand to the helper and the cgroup writes it
// would make, grouped for reading. Every section is read off the plan's ops (and the cgroup write
// list), never off the config, so it cannot say something other than what runs; the raw op list
// follows, and `--json` is the plan object itself (encodePlan of it is the helper's input).
import type { Plan, PlanOp } from '../linux/plan';
import { fieldsOf, type OpName } from '../linux/op-schema';
import type { Hook, Hooks } from '../oci/types';
import { describeProgramRule, formatDbusValue, notAppliedText, type CgroupDriver, type CgroupWrite, type NotApplied, type PlannedDeviceProgram, type SystemdUnitPlan } from '../linux/cgroups';
import { describeInsn } from '../linux/bpf-insn';
import { capabilityName } from '../linux/capabilities';
import { CLONE_NEWTIME, CLONE_PARENT, MS, RLIMITS, S_IFBLK, S_IFCHR, S_IFIFO } from '../linux/constants';
import { NAMESPACE_FLAGS } from '../linux/namespaces';
import { describeMountAttrs, describeMountFlags } from '../linux/mount-options';
import { describeIoprio, describePersonality, describeSchedAttr } from '../linux/process-attrs';
import { decodeSeccomp } from '../linux/seccomp';
import { formatProblem, type Problem } from '../common/errors';

export interface ExplainData {
  id: string;
  bundle: string;
  plan: Plan;
  cgroup: {
    driver: CgroupDriver; paths: Record<string, string>; writes: CgroupWrite[]; deviceProgram?: PlannedDeviceProgram; unsupported: NotApplied[];
    systemd?: SystemdUnitPlan;
  };
  /** The host's highest capability number: drop-bounding lists what is dropped, this says what is kept. */
  capLastCap: number;
  warnings: Problem[];
  /**
   * The config's hooks: the plan has a `hooks <phase>` op where tsrunc runs prestart and createRuntime,
   * but not the hooks themselves, and poststart and poststop are not in the plan at all.
   */
  hooks?: Hooks;
}

/** The device program's JSON form: where, its rules in order, what no rule decides, its instructions. */
function deviceProgramJson(d: PlannedDeviceProgram): object {
  const { rules, otherwise, insns } = d.program;
  return {
    directory: d.dir,
    origin: d.origin,
    rules: rules.map((r) => ({ allow: r.allow, type: r.type, major: r.major ?? null, minor: r.minor ?? null, access: r.access, origin: r.origin })),
    otherwise: { allow: otherwise.allow, origin: otherwise.origin ?? null },
    instructions: insns.map(describeInsn),
  };
}

/** The stable JSON form: { id, bundle, plan: { host, container }, cgroup, warnings }. */
export function explainJson(d: ExplainData): object {
  const op = (o: PlanOp) => ({ op: o.op, args: o.args, ...(o.origin !== undefined ? { origin: o.origin } : {}) });
  return {
    id: d.id,
    bundle: d.bundle,
    plan: { host: d.plan.host.map(op), container: d.plan.container.map(op) },
    cgroup: {
      driver: d.cgroup.driver,
      paths: d.cgroup.paths,
      writes: d.cgroup.writes.map((w) => ({ file: w.file, value: w.value, origin: w.origin })),
      ...(d.cgroup.deviceProgram !== undefined ? { deviceProgram: deviceProgramJson(d.cgroup.deviceProgram) } : {}),
      unsupported: d.cgroup.unsupported.map(notAppliedText),
      ...(d.cgroup.systemd ? {
        systemd: {
          unit: d.cgroup.systemd.unit.name,
          type: d.cgroup.systemd.unit.type,
          slice: d.cgroup.systemd.unit.slice,
          properties: d.cgroup.systemd.properties.map((p) => ({ name: p.name, signature: p.sig, value: formatDbusValue(p.sig, p.value), origin: p.origin })),
        },
      } : {}),
    },
    warnings: d.warnings.map(problemJson),
  };
}

/** A Problem with every field present (null when unknown), in a fixed order: stable for tools. */
export function problemJson(p: Problem): object {
  return {
    severity: p.severity,
    path: p.path,
    line: p.line ?? null,
    column: p.column ?? null,
    message: p.message,
    found: p.found ?? null,
    expected: p.expected ?? null,
    hint: p.hint ?? null,
  };
}

// ---------------------------------------------------------------------------------------------
// Decoding op arguments

export interface Style {
  heading(s: string): string;
  dim(s: string): string;
  warn(s: string): string;
}

export const PLAIN: Style = { heading: (s) => s, dim: (s) => s, warn: (s) => s };
export const ANSI: Style = {
  heading: (s) => `\x1b[1m${s}\x1b[0m`,
  dim: (s) => `\x1b[2m${s}\x1b[0m`,
  warn: (s) => `\x1b[33m${s}\x1b[0m`,
};

const NAMESPACE_NAMES = Object.entries(NAMESPACE_FLAGS) as [string, number][];

function namespaceNames(flags: number): string[] {
  return NAMESPACE_NAMES.filter(([, bit]) => (flags & bit) !== 0).map(([name]) => name);
}

function cloneFlagNames(flags: number): string {
  const names = NAMESPACE_NAMES.filter(([, bit]) => (flags & bit) !== 0).map(([name]) => `CLONE_NEW${name === 'network' ? 'NET' : name === 'mount' ? 'NS' : name.toUpperCase()}`);
  if (flags & CLONE_PARENT) names.push('CLONE_PARENT');
  const signal = flags & 0xff;
  if (signal !== 0) names.push(signal === 17 ? 'SIGCHLD' : `signal ${signal}`);
  return names.join('|');
}

function capNames(numbers: number[]): string {
  return numbers.length === 0 ? '(none)' : numbers.map(capabilityName).join(' ');
}

function maskBits(bits: bigint): number[] {
  let mask = bits;
  const out: number[] = [];
  for (let n = 0; mask !== 0n; n++, mask >>= 1n) if (mask & 1n) out.push(n);
  return out;
}

function limit(v: bigint): string {
  return v === 2n ** 64n - 1n ? 'unlimited' : String(v);
}

function quote(s: string): string {
  return /^[A-Za-z0-9_@%+=:,./-]+$/.test(s) ? s : JSON.stringify(s);
}

function idMap(content: string): string[] {
  return content.split('\n').filter(Boolean).map((line) => {
    const [inside, outside, size] = line.split(/\s+/);
    return `${inside}-${Number(inside) + Number(size) - 1} → host ${outside}-${Number(outside) + Number(size) - 1} (${size} ids)`;
  });
}

function deviceType(mode: number): string {
  const fmt = mode & 0o170000;
  return fmt === S_IFCHR ? 'c' : fmt === S_IFBLK ? 'b' : fmt === S_IFIFO ? 'p' : '?';
}

/** A `seccomp` op's items, read back into names. */
function seccompSummary(op: PlanOp<'seccomp'>, loadAt: string): string[] {
  const withErrno = (action: string, errno: number) => (action === 'errno' || action === 'trace' ? `${action} (${errno})` : action);
  const lines: string[] = [];
  const groups = new Map<string, { rules: number; names: string[] }>();
  const arches: string[] = [];
  const flags: string[] = [];
  for (const item of decodeSeccomp(fieldsOf(op).items)) {
    if (item.kind === 'default') lines.push(`default action: ${withErrno(item.action, item.errno)}`);
    else if (item.kind === 'arch') arches.push(item.name);
    else if (item.kind === 'flags') flags.push(...item.names);
    else if (item.kind === 'rule') {
      const key = withErrno(item.action, item.errno);
      const g = groups.get(key) ?? { rules: 0, names: [] };
      g.rules++;
      const label = item.conditions.length > 0 ? `${item.syscall}(if …)` : item.syscall;
      if (!g.names.includes(label)) g.names.push(label);
      groups.set(key, g);
    }
  }
  lines.push(`architectures: ${arches.length > 0 ? `${arches.join(', ')} (and this machine's own)` : "this machine's own"}`);
  if (flags.length > 0) lines.push(`flags: ${flags.join(', ')}`);
  for (const [action, g] of groups) {
    const shown = g.names.slice(0, 12).join(' ') + (g.names.length > 12 ? ` and ${g.names.length - 12} more` : '');
    lines.push(`${action}: ${g.rules} rule${g.rules === 1 ? '' : 's'}: ${shown}`);
  }
  if (groups.size === 0) lines.push('no rules: every system call gets the default action');
  lines.push(`installed: ${loadAt}`);
  return lines;
}

/** One hook: its path, argv (when not just the path), environment and timeout. */
function hookText(path: string, argv: readonly string[], env: string, timeout: number): string {
  const args = argv.length === 1 && argv[0] === path ? '' : `  argv ${argv.map(quote).join(' ')}`;
  return `${path}${args}  env: ${env}${timeout !== 0 ? `  timeout ${timeout} s` : ''}`;
}

const entries = (n: number) => `${n} ${n === 1 ? 'entry' : 'entries'}`;

function configHookText(h: Hook): string {
  const argv = h.args && h.args.length > 0 ? h.args : [h.path];
  return hookText(h.path, argv, h.env ? entries(h.env.length) : "tsrunc's", h.timeout ?? 0);
}

function runHookText(o: PlanOp<'run-hook'>): string {
  const { timeout, path, argv, env } = fieldsOf(o);
  return hookText(path, argv, env === 'inherit' ? "tsrunc's" : entries(env.length), timeout);
}

function hookLines(d: ExplainData, st: Style): string[] {
  const { plan } = d;
  const lines: string[] = [];
  const at = (o: PlanOp) => plan.host.length + plan.container.indexOf(o as (typeof plan.container)[number]);
  const before = (o: PlanOp) => {
    const i = plan.container.indexOf(o as (typeof plan.container)[number]);
    const isHookStep = (x: PlanOp) => x.op === 'hooks' || x.op === 'run-hook' || x.op === 'report-start' || (x.origin ?? '') === 'hooks.createContainer';
    const next = plan.container.slice(i + 1).find((x) => !isHookStep(x));
    return next ? `before ${next.op}` : 'at the end';
  };
  for (const o of plan.container) {
    if (o.op === 'hooks') {
      const { phase } = fieldsOf(o);
      lines.push(withOrigin(st, `${phase}: run by tsrunc in the runtime namespace when the init reaches op ${at(o)} (${before(o)}); state "creating"`, o));
      for (const h of d.hooks?.[phase] ?? []) lines.push(`  ${configHookText(h)}`);
    } else if (o.op === 'run-hook') {
      const { label } = fieldsOf(o);
      const where = label.startsWith('hooks.startContainer')
        ? `in the container after start, op ${at(o)} (${before(o)}); path in the container; state "created"`
        : `in the container's namespaces, op ${at(o)} (${before(o)}); path in the runtime's view; cwd the rootfs; state "creating"`;
      lines.push(withOrigin(st, `${label.slice('hooks.'.length)}: run by the helper ${where}`, o));
      lines.push(`  ${runHookText(o)}`);
    }
  }
  const later: [keyof Hooks, string][] = [
    ['poststart', 'run by tsrunc itself in start, once the program runs (not in the plan); a failure stops the container; state "running"'],
    ['poststop', 'run by tsrunc itself in delete, after the container is gone (not in the plan); a failure is a warning; state "stopped"'],
  ];
  for (const [phase, text] of later) {
    const list = d.hooks?.[phase] ?? [];
    if (list.length === 0) continue;
    lines.push(`${phase}: ${text}  ${st.dim(`[hooks.${phase}]`)}`);
    for (const h of list) lines.push(`  ${configHookText(h)}`);
  }
  return lines;
}

// ---------------------------------------------------------------------------------------------
// The text

function section(out: string[], st: Style, title: string, lines: string[]): void {
  out.push('', st.heading(title));
  for (const l of lines.length > 0 ? lines : ['(none)']) out.push(`  ${l}`);
}

function withOrigin(st: Style, text: string, op: { origin?: string } | undefined): string {
  return op?.origin ? `${text}  ${st.dim(`[${op.origin}]`)}` : text;
}

/** The device program create attaches on cgroup v2, as the rules it decides by. */
function deviceProgramLines(st: Style, d: PlannedDeviceProgram): string[] {
  const { rules, otherwise, insns } = d.program;
  const lines = [
    withOrigin(st, `device program: BPF_PROG_TYPE_CGROUP_DEVICE, ${insns.length} instructions, attached to ${d.dir} (BPF_F_ALLOW_MULTI)`, d),
    st.dim('  for each access asked (r, w, m), the last rule naming the device and that access decides:'),
  ];
  const width = Math.max(0, ...rules.map((r) => describeProgramRule(r).length));
  for (const r of rules) lines.push(withOrigin(st, `  ${describeProgramRule(r).padEnd(width)}`, r));
  lines.push(withOrigin(st, `  otherwise ${otherwise.allow ? 'allow' : 'deny'}`, otherwise.origin !== undefined ? { origin: otherwise.origin } : undefined));
  return lines;
}

export function explainText(d: ExplainData, st: Style = PLAIN): string {
  const { plan } = d;
  const host = plan.host;
  const all: PlanOp[] = [...plan.host, ...plan.container];
  const ops = <N extends OpName>(name: N, side: readonly PlanOp[] = plan.container) => side.filter((o): o is PlanOp<N> => o.op === name);
  const out: string[] = [];
  out.push(st.heading(`tsrunc explain: what create would do for container ${JSON.stringify(d.id)}, bundle ${d.bundle}`));
  out.push(st.dim('Nothing has been created. Every section below is read off the plan the helper would execute (raw ops at the end).'));

  // Namespaces
  const nsLines: string[] = [];
  for (const o of ops('setns', host)) {
    const { path, nstype } = fieldsOf(o);
    const type = namespaceNames(nstype)[0] ?? String(nstype);
    nsLines.push(withOrigin(st, `join ${type.padEnd(8)} ${path}`, o));
  }
  for (const o of ops('unshare', host)) {
    const { flags } = fieldsOf(o);
    nsLines.push(withOrigin(st, `new  ${(flags & CLONE_NEWTIME ? 'time' : namespaceNames(flags).join(', ')).padEnd(8)} (unshare, before clone)`, o));
  }
  for (const o of ops('write-file', host)) {
    const { path, content } = fieldsOf(o);
    nsLines.push(withOrigin(st, `write ${path}: ${JSON.stringify(content)}`, o));
  }
  for (const o of ops('clone', host)) {
    const { flags } = fieldsOf(o);
    nsLines.push(withOrigin(st, `new  ${namespaceNames(flags).join(', ') || '(none)'}`, o));
    nsLines.push(st.dim(`     clone flags 0x${flags.toString(16)} = ${cloneFlagNames(flags)}`));
  }
  for (const o of ops('chroot')) {
    nsLines.push(withOrigin(st, "shared mount: the runtime's (no mount entry); the mounts are made there, the rootfs entered with chroot, and delete detaches them", o));
  }
  section(out, st, 'Namespaces', nsLines);

  // ID maps
  const mapLines: string[] = [];
  for (const o of [...ops('uid-map', host), ...ops('gid-map', host)]) {
    const kind = o.op === 'uid-map' ? 'uid' : 'gid';
    for (const m of idMap(fieldsOf(o).content)) mapLines.push(withOrigin(st, `${kind} ${m}`, o));
  }
  if (mapLines.length === 0) mapLines.push('(none: no new user namespace)');
  section(out, st, 'User and group ID maps', mapLines);

  // Cgroup
  const cgLines: string[] = [d.cgroup.driver === 'systemd' ? 'driver: systemd (cgroup v2)' : `driver: cgroup ${d.cgroup.driver}`];
  const sd = d.cgroup.systemd;
  if (sd) {
    cgLines.push(`unit: ${sd.unit.name}, a ${sd.unit.type} ${sd.unit.type === 'scope' ? 'in' : 'wanted by'} ${sd.unit.slice}, started with StartTransientUnit(name, "replace", properties, []):`);
    for (const p of sd.properties) {
      const value = p.name === 'PIDs' ? '[the helper\'s pid]' : formatDbusValue(p.sig, p.value);
      cgLines.push(`  ${p.name} = ${value}  ${st.dim(`[${p.origin}]`)}`);
    }
  }
  for (const [key, dir] of Object.entries(d.cgroup.paths)) cgLines.push(`path ${key.padEnd(12)} ${dir}`);
  const joins = ops('join-cgroup', host);
  const eachPath = new Set(Object.values(d.cgroup.paths).map((dir) => `${dir}/cgroup.procs`));
  if (joins.length > 1 && joins.length === eachPath.size && joins.every((o) => eachPath.has(fieldsOf(o).procsFile))) {
    cgLines.push(withOrigin(st, `join: the pid is written to cgroup.procs in each of these ${joins.length} directories`, joins[0]));
  } else {
    for (const o of joins) cgLines.push(withOrigin(st, `join: write the pid to ${fieldsOf(o).procsFile}`, o));
  }
  for (const o of ops('open-cgroup', host)) {
    cgLines.push(withOrigin(st, `entry: the process is cloned into ${fieldsOf(o).directory} (clone3 CLONE_INTO_CGROUP: nothing migrates; before Linux 5.7 the helper joins it and clones, and reports that)`, o));
  }
  if (d.cgroup.writes.length === 0) cgLines.push('writes: (none)');
  else {
    cgLines.push('writes, in order:');
    for (const w of d.cgroup.writes) {
      cgLines.push(withOrigin(st, `  ${w.file} = ${JSON.stringify(w.value)}`, w));
      if (w.onEinval) cgLines.push(`    refused (EINVAL): then ${w.onEinval.map((o) => `${o.file} = ${JSON.stringify(o.value)}`).join(', then ')}`);
    }
  }
  if (d.cgroup.deviceProgram !== undefined) cgLines.push(...deviceProgramLines(st, d.cgroup.deviceProgram));
  for (const u of d.cgroup.unsupported) cgLines.push(st.warn(`not applied: ${notAppliedText(u)}`));
  section(out, st, 'Cgroup', cgLines);

  // Host and domain name, user namespace root
  const utsLines: string[] = [];
  for (const o of ops('sethostname')) utsLines.push(withOrigin(st, `hostname ${JSON.stringify(fieldsOf(o).name)}`, o));
  for (const o of ops('setdomainname')) utsLines.push(withOrigin(st, `domainname ${JSON.stringify(fieldsOf(o).name)}`, o));
  if (utsLines.length > 0) section(out, st, 'Host name', utsLines);

  // Mounts, in plan order (devices bound from the host are under Devices)
  const isDevice = (o: PlanOp) => o.origin === 'default device' || (o.origin ?? '').startsWith('linux.devices');
  const mountLines: string[] = [];
  // P sends the sources in the order C's mount-from-host ops take them.
  const fromHost = host.filter((o) => o.op === 'send-mount-source' || o.op === 'send-idmapped-mount');
  let n = 0;
  for (const o of plan.container) {
    if (o.op === 'mount') {
      const { source, target, fstype, flags, data } = fieldsOf(o);
      const what = source === '' && fstype === '' ? `propagation of ${target}: ${describeMountFlags(flags)}`
        : `${source || '(none)'} → ${target}${fstype ? `  type ${fstype}` : ''}  flags ${describeMountFlags(flags)}${data ? `  data ${JSON.stringify(data)}` : ''}`;
      mountLines.push(withOrigin(st, `${String(++n).padStart(2)}. ${what}`, o));
    } else if (o.op === 'mount-in-root' && !isDevice(o)) {
      const { source, dest, fstype, flags, data, create, remountFlags, propagation, mode } = fieldsOf(o);
      const extra: string[] = [];
      if (data) extra.push(`data ${JSON.stringify(data)}`);
      if (mode === 'inherit') extra.push("mode of the directory it covers, if there");
      if (remountFlags !== 0) extra.push(`then remount ${describeMountFlags(remountFlags)}`);
      if (propagation !== 0) extra.push(`then ${describeMountFlags(propagation)}`);
      if (create !== 'none') extra.push(`mount point made as ${create}`);
      mountLines.push(withOrigin(st, `${String(++n).padStart(2)}. ${source} → ${dest} (in root)  type ${fstype || 'bind'}  flags ${describeMountFlags(flags)}${extra.length > 0 ? `  ${extra.join(', ')}` : ''}`, o));
    } else if (o.op === 'mount-from-host') {
      const { source, dest, flags, create, remountFlags, propagation } = fieldsOf(o);
      const sent = fromHost.shift();
      const extra: string[] = [];
      let shownFlags = flags;
      if (sent?.op === 'send-idmapped-mount') {
        const f = fieldsOf(sent);
        shownFlags = MS.BIND | (f.tree === 'recursive' ? MS.REC : 0);
        const maps = f.userns === 'container' ? "the container's user namespace" : `uid ${idMap(f.uidMap).join(', ')}; gid ${idMap(f.gidMap).join(', ')}`;
        extra.push(`id-mapped${f.idmap === 'recursive' ? ' recursively' : ''} (${maps}), ${f.tree === 'recursive' ? 'the tree' : 'the mount'} made by the host side and moved in`);
      } else {
        extra.push('source opened by the host side (before the user namespace)');
      }
      if (remountFlags !== 0) extra.push(`then remount ${describeMountFlags(remountFlags)}`);
      if (propagation !== 0) extra.push(`then ${describeMountFlags(propagation)}`);
      if (create !== 'none') extra.push(`mount point made as ${create}`);
      mountLines.push(withOrigin(st, `${String(++n).padStart(2)}. ${source} → ${dest} (in root)  type bind  flags ${describeMountFlags(shownFlags)}  ${extra.join(', ')}`, o));
    } else if (o.op === 'tmpfs-copyup') {
      const { source, dest, flags, data, remountFlags, propagation } = fieldsOf(o);
      const extra = [`data "mode=<the directory's>${data ? `,${data}` : ''}"`, "the directory's files copied up into it (tmpcopyup)"];
      if (remountFlags !== 0) extra.push(`then remount ${describeMountFlags(remountFlags)}`);
      if (propagation !== 0) extra.push(`then ${describeMountFlags(propagation)}`);
      mountLines.push(withOrigin(st, `${String(++n).padStart(2)}. ${source || 'tmpfs'} → ${dest} (in root)  type tmpfs  flags ${describeMountFlags(flags)}  ${extra.join(', ')}`, o));
    } else if (o.op === 'mount-setattr') {
      const { dest, attrSet, attrClr } = fieldsOf(o);
      mountLines.push(withOrigin(st, `${String(++n).padStart(2)}. ${dest} and every mount below it (mount_setattr AT_RECURSIVE): ${describeMountAttrs(attrSet, attrClr)}`, o));
    } else if (o.op === 'remount-ro') {
      mountLines.push(withOrigin(st, `${String(++n).padStart(2)}. remount ${fieldsOf(o).path} read-only (after the root change)`, o));
    }
  }
  section(out, st, 'Mounts', mountLines);

  // Devices
  const devLines: string[] = [];
  for (const o of plan.container) {
    if (o.op === 'mknod-in-root') {
      const { dest, mode, major, minor, uid, gid } = fieldsOf(o);
      devLines.push(withOrigin(st, `mknod ${dest}  ${deviceType(mode)} ${major}:${minor}  mode 0${(mode & 0o7777).toString(8)}  owner ${uid}:${gid}`, o));
    } else if (o.op === 'mount-in-root' && isDevice(o)) {
      const { source, dest } = fieldsOf(o);
      devLines.push(withOrigin(st, `bind ${source} from the host onto ${dest} (no mknod in a user namespace)`, o));
    } else if (o.op === 'symlink-in-root') {
      const { target, linkpath } = fieldsOf(o);
      devLines.push(withOrigin(st, `link ${linkpath} → ${target}`, o));
    }
  }
  if (devLines.length === 0) devLines.push('(none: /dev is bind-mounted, no device nodes are made)');
  section(out, st, 'Devices', devLines);

  // Root change
  const rootLines: string[] = [];
  for (const o of plan.container) {
    if (o.op === 'pivot-root') rootLines.push(withOrigin(st, `pivot_root into ${fieldsOf(o).root}; the old root is detached`, o));
    if (o.op === 'move-root') rootLines.push(withOrigin(st, `move ${fieldsOf(o).root} onto / and chroot (--no-pivot)`, o));
  }
  section(out, st, 'Root', rootLines);

  // Sysctls and other files
  const writes = ops('write-file').map((o) => ({ o, ...fieldsOf(o) }));
  const sysctlLines = writes.filter((w) => w.path.startsWith('/proc/sys/'))
    .map((w) => withOrigin(st, `${w.path.slice('/proc/sys/'.length).replace(/\//g, '.')} = ${JSON.stringify(w.content)}`, w.o));
  section(out, st, 'Sysctls', sysctlLines);
  const fileLines = writes.filter((w) => !w.path.startsWith('/proc/sys/'))
    .map((w) => withOrigin(st, `${w.path} = ${JSON.stringify(w.content)}`, w.o));
  if (fileLines.length > 0) section(out, st, 'Other writes', fileLines);

  // Masked and read-only paths
  section(out, st, 'Masked paths', ops('mask').map((o) => withOrigin(st, fieldsOf(o).path, o)));
  section(out, st, 'Read-only paths', ops('readonly').map((o) => withOrigin(st, fieldsOf(o).path, o)));

  // Rlimits
  section(out, st, 'Rlimits', ops('rlimit').map((o) => {
    const { resource, soft, hard } = fieldsOf(o);
    return withOrigin(st, `RLIMIT_${RLIMITS[resource] ?? resource}  soft ${limit(soft)}  hard ${limit(hard)}`, o);
  }));

  // Capabilities
  const capLines: string[] = [];
  for (const o of ops('drop-bounding')) {
    const dropped = new Set(fieldsOf(o).caps);
    const kept: number[] = [];
    for (let c = 0; c <= d.capLastCap; c++) if (!dropped.has(c)) kept.push(c);
    capLines.push(withOrigin(st, `bounding:    ${capNames(kept)}`, o));
  }
  for (const o of ops('capset')) {
    const { effective, permitted, inheritable } = fieldsOf(o);
    capLines.push(withOrigin(st, `effective:   ${capNames(maskBits(effective))}`, o));
    capLines.push(withOrigin(st, `permitted:   ${capNames(maskBits(permitted))}`, o));
    capLines.push(withOrigin(st, `inheritable: ${capNames(maskBits(inheritable))}`, o));
  }
  for (const o of ops('ambient')) capLines.push(withOrigin(st, `ambient:     ${capNames([...fieldsOf(o).caps])}`, o));
  if (capLines.length === 0) capLines.push('(unchanged: the process keeps the capabilities of its user)');
  for (const o of ops('no-new-privs')) capLines.push(withOrigin(st, 'no_new_privs: set', o));
  section(out, st, 'Capabilities', capLines);

  // Seccomp
  const seccomp = ops('seccomp')[0];
  if (seccomp !== undefined) {
    const loadIndex = plan.container.findIndex((o) => o.op === 'seccomp-load');
    const next = plan.container[loadIndex + 1]?.op;
    const loadAt = loadIndex < 0 ? 'never (no seccomp-load op)' : `op ${plan.host.length + loadIndex}, right before ${next ?? 'the end'}`;
    section(out, st, 'Seccomp', seccompSummary(seccomp, loadAt).map((l) => withOrigin(st, l, l.startsWith('default') ? seccomp : undefined)));
  } else {
    section(out, st, 'Seccomp', ['(no filter)']);
  }

  section(out, st, 'Hooks', hookLines(d, st));

  // User
  const userLines: string[] = [];
  for (const o of ops('setresuid')) userLines.push(withOrigin(st, `uid ${fieldsOf(o).uid}`, o));
  for (const o of ops('setresgid')) userLines.push(withOrigin(st, `gid ${fieldsOf(o).gid}`, o));
  for (const o of ops('setgroups-list')) {
    const { gids } = fieldsOf(o);
    userLines.push(withOrigin(st, `additional groups: ${gids.length > 0 ? gids.join(' ') : '(none)'}`, o));
  }
  for (const o of ops('umask')) userLines.push(withOrigin(st, `umask 0${fieldsOf(o).mask.toString(8).padStart(3, '0')}`, o));
  section(out, st, 'User', userLines);

  // Scheduling and personality (process.scheduler, process.ioPriority, linux.personality)
  const attrLines: string[] = [];
  for (const o of ops('sched-setattr')) {
    const f = fieldsOf(o);
    const attr = { ...f, flags: Number(f.flags), runtime: Number(f.runtime), deadline: Number(f.deadline), period: Number(f.period) };
    attrLines.push(withOrigin(st, `scheduler: ${describeSchedAttr(attr)}`, o));
  }
  for (const o of ops('ioprio')) attrLines.push(withOrigin(st, `I/O priority: ${describeIoprio(fieldsOf(o).value)}`, o));
  for (const o of ops('personality')) attrLines.push(withOrigin(st, `personality: ${describePersonality(fieldsOf(o).persona)}`, o));
  if (attrLines.length > 0) section(out, st, 'Scheduling and personality', attrLines);

  // Terminal (process.terminal with --console-socket)
  const ttyLines: string[] = [];
  for (const o of ops('console-connect', host)) ttyLines.push(withOrigin(st, `console socket: ${fieldsOf(o).socket} (connected before any setns)`, o));
  for (const o of ops('console')) {
    const { ptmx, rows, cols, uid, consolePath } = fieldsOf(o);
    const size = rows === 0 && cols === 0 ? 'size left as it is' : `${rows} rows x ${cols} columns`;
    ttyLines.push(withOrigin(st, `pty from ${ptmx}, ${size}, slave owned by uid ${uid}${consolePath ? `, bound on ${consolePath}` : ''}; its master goes to the socket, the slave becomes stdio`, o));
  }
  if (ttyLines.length > 0) section(out, st, 'Terminal', ttyLines);

  // Process
  const procLines: string[] = [];
  for (const o of ops('chdir').filter((c) => c.origin === 'process.cwd')) procLines.push(withOrigin(st, `cwd: ${fieldsOf(o).path} (verified to be inside the container's root)`, o));
  for (const o of ops('open-exec-fifo')) procLines.push(withOrigin(st, `waits for start on: ${fieldsOf(o).path} (the fifo alone, taken before the root change)`, o));
  for (const o of ops('find-exec')) {
    const { candidates } = fieldsOf(o);
    procLines.push(withOrigin(st, candidates.length === 1 ? `program: ${candidates[0]}` : 'program: the first executable of', o));
    if (candidates.length > 1) for (const c of candidates) procLines.push(`  ${c}`);
  }
  for (const o of ops('exec')) {
    const { argv: args, env } = fieldsOf(o);
    procLines.push('env:');
    for (const e of env) procLines.push(`  ${e}`);
    procLines.push(withOrigin(st, `args: ${args.map(quote).join(' ')}`, o));
  }
  section(out, st, 'Process', procLines);

  if (d.warnings.length > 0) section(out, st, 'Warnings', d.warnings.map((p) => st.warn(formatProblem(p))));

  // The plan itself
  out.push('', st.heading(`Plan: ${plan.host.length} host ops (0-${plan.host.length - 1}), then ${plan.container.length} container ops (${plan.host.length}-${all.length - 1})`));
  const width = String(all.length - 1).length;
  all.forEach((o, i) => {
    const side = i < plan.host.length ? 'host' : 'ctr ';
    const args = o.args.map((a) => JSON.stringify(a)).join(' ');
    out.push(`  ${String(i).padStart(width)} ${st.dim(side)} ${o.op}${args ? ` ${args}` : ''}${o.origin ? `  ${st.dim(`[${o.origin}]`)}` : ''}`);
  });
  return `${out.join('\n')}\n`;
}

// The container process as it sees itself: namespaces, hostname, args/env/cwd, user, umask, rlimits,
// capabilities, no_new_privs, a user namespace, oom_score_adj.
import { ChildProcess, spawn, spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Spec } from '../../src/oci/types';
import { TestEnv, TSRUNC } from '../support/env';
import { withCgroupNamespace } from '../support/base-spec';
import { detectCgroupLayout } from '../../src/linux/cgroups/layout';
import { output, reap, runSpec, setConfig, specWith, waitFor } from './helpers';

let env: TestEnv;
let bundle: string;

beforeAll(() => {
  env = new TestEnv('proc');
  // A container root in a user namespace must be able to reach the rootfs through this folder.
  fs.chmodSync(env.tmp, 0o755);
  bundle = env.bundle('b', specWith(['true']));
});

afterAll(async () => {
  expect(await env.cleanup()).toEqual([]);
});

const NS = ['pid', 'net', 'ipc', 'uts', 'mnt', 'cgroup'];

/** "key: value" lines of a file read inside, by key. */
function fields(text: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const line of text.split('\n')) {
    const m = /^([^:]+):\s*(.*)$/.exec(line);
    if (m) out[m[1]] = m[2];
  }
  return out;
}

/** A running container in a user namespace of its own (uids from 100000, gids from gidBase): its id and init pid. */
function userNamespaceHolder(label: string, gidBase: number): { target: string; pid: number } {
  const target = env.id(label);
  setConfig(bundle, specWith(['sleep', '100'], (s) => {
    s.linux!.namespaces!.push({ type: 'user' });
    s.linux!.uidMappings = [{ containerID: 0, hostID: 100000, size: 65536 }];
    s.linux!.gidMappings = [{ containerID: 0, hostID: gidBase, size: 65536 }];
  }));
  env.ok(['run', '--detach', '--bundle', bundle, target]);
  return { target, pid: env.state(target).pid };
}

describe('namespaces', () => {
  it('new namespaces differ from the host\'s', () => {
    const inside = output(env, bundle, specWith(['sh', '-c', NS.map((n) => `readlink /proc/self/ns/${n}`).join('; ')], withCgroupNamespace))
      .trim().split('\n');
    expect(inside).toHaveLength(NS.length);
    NS.forEach((n, i) => {
      expect(inside[i]).toMatch(new RegExp(`^${n}:\\[\\d+\\]$`));
      expect(inside[i], n).not.toBe(fs.readlinkSync(`/proc/self/ns/${n}`));
    });
  });

  it('the init is pid 1 of its pid namespace and sees only its own processes', () => {
    const out = output(env, bundle, specWith(['sh', '-c', 'echo $$; ls /proc | grep -E "^[0-9]+$" | wc -l']));
    const [pid, count] = out.trim().split('\n');
    expect(pid).toBe('1');
    // sh, ls, grep and wc (or fewer once some exited).
    expect(Number(count)).toBeLessThanOrEqual(4);
  });

  it('a namespace without a path is shared with the runtime', () => {
    const inside = output(env, bundle, specWith(['readlink', '/proc/self/ns/ipc'], (s) => {
      s.linux!.namespaces = s.linux!.namespaces!.filter((n) => n.type !== 'ipc');
    })).trim();
    expect(inside).toBe(fs.readlinkSync('/proc/self/ns/ipc'));
  });

  it('a namespace given by path is joined', async () => {
    // A network namespace of its own, held by a sleep.
    let holder: ChildProcess | undefined;
    try {
      holder = spawn('unshare', ['--net', 'sleep', '30'], { stdio: 'ignore' });
      const pid = holder.pid!;
      const hostNet = fs.readlinkSync('/proc/self/ns/net');
      const nsPath = `/proc/${pid}/ns/net`;
      const target = await waitFor('the sleep\'s own netns', () => {
        try {
          const link = fs.readlinkSync(nsPath);
          return link !== hostNet && fs.readFileSync(`/proc/${pid}/comm`, 'utf8').trim() === 'sleep' ? link : undefined;
        } catch {
          return undefined;
        }
      });
      const inside = output(env, bundle, specWith(['readlink', '/proc/self/ns/net'], (s) => {
        s.linux!.namespaces = s.linux!.namespaces!.map((n) => (n.type === 'network' ? { type: 'network', path: nsPath } : n));
      })).trim();
      expect(inside).toBe(target);

      // The host's own network namespace, by path (this process's: /proc/1/ns is not open to us here).
      const host = output(env, bundle, specWith(['readlink', '/proc/self/ns/net'], (s) => {
        s.linux!.namespaces = s.linux!.namespaces!.map((n) => (n.type === 'network' ? { type: 'network', path: `/proc/${process.pid}/ns/net` } : n));
      })).trim();
      expect(host).toBe(hostNet);
    } finally {
      holder?.kill('SIGKILL');
      if (holder && holder.exitCode === null && holder.signalCode === null) await new Promise((r) => holder!.once('exit', r));
    }
  });

  it("another container's user namespace joined by path: root of that namespace, /dev made and its devices bound", () => {
    const { target, pid } = userNamespaceHolder('userns-target', 200000);
    try {
      // Its mount namespace is new: /dev is a tmpfs made in the joined namespace, devpts mounted on it.
      const out = output(env, bundle, specWith(['sh', '-c', 'cat /proc/self/uid_map /proc/self/gid_map; id -u; stat -c "%u %F" /dev/null /dev/pts; echo x > /dev/null && echo wrote'], (s) => {
        s.linux!.namespaces!.push({ type: 'user', path: `/proc/${pid}/ns/user` });
      }));
      const lines = out.trim().split('\n').map((l) => l.trim().split(/\s+/).join(' '));
      expect(lines).toEqual(['0 100000 65536', '0 200000 65536', '0', '65534 character special file', '0 directory', 'wrote']);
    } finally {
      env.tsrunc(['delete', '--force', target]);
    }
  });

  it("a container's user namespace and a network namespace the host's owns, both joined: the network one first, with the runtime's rights (as runc)", async () => {
    const { target, pid } = userNamespaceHolder('userns-owner', 100000);
    let holder: ChildProcess | undefined;
    try {
      holder = spawn('unshare', ['--net', 'sleep', '30'], { stdio: 'ignore' });
      const hostNet = fs.readlinkSync('/proc/self/ns/net');
      const netPath = `/proc/${holder.pid}/ns/net`;
      const net = await waitFor('the sleep\'s own netns', () => {
        try {
          const link = fs.readlinkSync(netPath);
          return link !== hostNet && fs.readFileSync(`/proc/${holder!.pid}/comm`, 'utf8').trim() === 'sleep' ? link : undefined;
        } catch {
          return undefined;
        }
      });
      const out = output(env, bundle, specWith(['sh', '-c', 'readlink /proc/self/ns/net; cat /proc/self/uid_map; test -d /sys/kernel && echo sys'], (s) => {
        s.linux!.namespaces = s.linux!.namespaces!.map((n) => (n.type === 'network' ? { type: 'network', path: netPath } : n));
        s.linux!.namespaces!.push({ type: 'user', path: `/proc/${pid}/ns/user` });
        // No rights over that network namespace from the container's user namespace: no sysfs of it (as
        // runc's test of this, the host's /sys bound instead; the helper opens that source for C).
        s.mounts = s.mounts!.map((m) => (m.destination === '/sys' ? { destination: '/sys', type: 'bind', source: '/sys', options: ['rbind', 'nosuid', 'noexec', 'nodev', 'ro'] } : m));
      }));
      const [netInside, map, sys] = out.trim().split('\n');
      expect(netInside).toBe(net);
      expect(map.trim().split(/\s+/)).toEqual(['0', '100000', '65536']);
      expect(sys).toBe('sys');
    } finally {
      holder?.kill('SIGKILL');
      if (holder && holder.exitCode === null && holder.signalCode === null) await new Promise((r) => holder!.once('exit', r));
      env.tsrunc(['delete', '--force', target]);
    }
  });

  it('hostname and domainname are set in the new uts namespace', () => {
    const out = output(env, bundle, specWith(['cat', '/proc/sys/kernel/hostname', '/proc/sys/kernel/domainname'], (s) => {
      s.hostname = 'conformance-host';
      s.domainname = 'example.test';
    }));
    expect(out).toBe('conformance-host\nexample.test\n');
    expect(fs.readFileSync('/proc/sys/kernel/hostname', 'utf8')).not.toBe('conformance-host\n');
  });
});

describe('process', () => {
  it('args are passed as given, without a shell', () => {
    const out = output(env, bundle, specWith(['sh', '-c', 'printf "[%s]" "$0" "$@"', 'zero', 'a b', '', '$HOME', '*']));
    expect(out).toBe('[zero][a b][][$HOME][*]');
  });

  it('env is exactly process.env, plus HOME from /etc/passwd when unset', () => {
    const out = output(env, bundle, specWith(['env'], (s) => {
      s.process!.env = ['PATH=/bin', 'FOO=bar baz', 'EMPTY=', 'MULTI=a=b'];
    }));
    expect(out.trim().split('\n').sort()).toEqual(['EMPTY=', 'FOO=bar baz', 'HOME=/root', 'MULTI=a=b', 'PATH=/bin']);

    const user = output(env, bundle, specWith(['env'], (s) => {
      s.process!.env = ['PATH=/bin'];
      s.process!.user = { uid: 1000, gid: 1000 };
    }));
    expect(user.trim().split('\n').sort()).toEqual(['HOME=/home/user', 'PATH=/bin']);

    const own = output(env, bundle, specWith(['env'], (s) => {
      s.process!.env = ['PATH=/bin', 'HOME=/elsewhere'];
    }));
    expect(own.trim().split('\n').sort()).toEqual(['HOME=/elsewhere', 'PATH=/bin']);
  });

  it('env as runc prepares it: each name once (the last value wins), an empty HOME filled from /etc/passwd', async () => {
    const out = output(env, bundle, specWith(['env'], (s) => {
      s.process!.env = ['ONE=two', 'HOME=/override', 'PATH=/bin', 'ONE=', 'HOME=', 'TWO=1', 'TWO=2'];
      s.process!.user = { uid: 1000, gid: 1000 };
    }));
    expect(out.trim().split('\n')).toEqual(['PATH=/bin', 'ONE=', 'TWO=2', 'HOME=/home/user']);

    // exec prepares its process's environment the same way.
    const id = env.id('envx');
    setConfig(bundle, specWith(['sleep', '100']));
    env.ok(['run', '--detach', '--bundle', bundle, id]);
    const { pid } = env.state(id);
    try {
      const r = env.tsrunc(['exec', '--env', 'HOME=', '--env', 'X=1', '--env', 'X=2', id, 'env']);
      expect(r.status).toBe(0);
      const lines = r.stdout.trim().split('\n');
      expect(lines.filter((l) => l.startsWith('HOME=') || l.startsWith('X='))).toEqual(['X=2', 'HOME=/root']);
    } finally {
      env.tsrunc(['delete', '--force', id]);
      await reap(pid);
    }
  });

  it('PATH from process.env is used to find args[0]', () => {
    fs.mkdirSync(`${bundle}/rootfs/opt/tools`, { recursive: true });
    fs.writeFileSync(`${bundle}/rootfs/opt/tools/hello`, '#!/bin/sh\necho hello from tools\n', { mode: 0o755 });
    const out = output(env, bundle, specWith(['hello'], (s) => {
      s.process!.env = ['PATH=/nonexistent:/opt/tools:/bin'];
    }));
    expect(out).toBe('hello from tools\n');
  });

  it("args[0] is looked up with the process's capabilities: root without CAP_DAC_OVERRIDE passes over a program it cannot run", () => {
    for (const [dir, mode] of [['/opt/private', 0o700], ['/opt/public', 0o755]] as const) {
      fs.mkdirSync(`${bundle}/rootfs${dir}`, { recursive: true });
      fs.writeFileSync(`${bundle}/rootfs${dir}/which-one`, `#!/bin/sh\necho ${dir}\n`, { mode });
      fs.chownSync(`${bundle}/rootfs${dir}/which-one`, 1000, 1000);
    }
    const out = output(env, bundle, specWith(['which-one'], (s) => {
      s.process!.env = ['PATH=/opt/private:/opt/public:/bin'];
    }));
    expect(out).toBe('/opt/public\n');
  });

  it('cwd is the working directory', () => {
    expect(output(env, bundle, specWith(['pwd'], (s) => {
      s.process!.cwd = '/tmp';
    }))).toBe('/tmp\n');
    expect(output(env, bundle, specWith(['pwd']))).toBe('/\n');
  });

  it('uid, gid and additionalGids', () => {
    const out = fields(output(env, bundle, specWith(['cat', '/proc/self/status'], (s) => {
      s.process!.user = { uid: 1000, gid: 1000, additionalGids: [10, 65534] };
    })));
    expect(out.Uid.split(/\s+/)).toEqual(['1000', '1000', '1000', '1000']);
    expect(out.Gid.split(/\s+/)).toEqual(['1000', '1000', '1000', '1000']);
    expect(out.Groups.trim().split(/\s+/)).toEqual(['10', '65534']);

    const id = output(env, bundle, specWith(['id'], (s) => {
      s.process!.user = { uid: 1000, gid: 1000 };
    }));
    expect(id.trim()).toBe('uid=1000(user) gid=1000(user)');
    const root = fields(output(env, bundle, specWith(['cat', '/proc/self/status'])));
    expect(root.Groups.trim()).toBe('');
  });

  it('umask: 0022 by default, process.user.umask when set', () => {
    expect(output(env, bundle, specWith(['sh', '-c', 'umask']))).toBe('0022\n');
    expect(output(env, bundle, specWith(['sh', '-c', 'umask; touch /tmp/f; stat -c %a /tmp/f'], (s) => {
      s.process!.user.umask = 0o077;
    }))).toBe('0077\n600\n');
  });

  it('rlimits', () => {
    const out = output(env, bundle, specWith(['sh', '-c', 'ulimit -Sn; ulimit -Hn; grep -E "^Max (open files|core file size)" /proc/self/limits'], (s) => {
      s.process!.rlimits = [
        { type: 'RLIMIT_NOFILE', soft: 512, hard: 2048 },
        { type: 'RLIMIT_CORE', soft: 0, hard: 4096 },
      ];
    }));
    const lines = out.trim().split('\n');
    expect(lines.slice(0, 2)).toEqual(['512', '2048']);
    expect(lines.slice(2).map((l) => l.split(/\s{2,}/).slice(0, 3))).toEqual([
      ['Max core file size', '0', '4096'],
      ['Max open files', '512', '2048'],
    ]);
  });

  it('capabilities: the default sets, exactly', () => {
    // CAP_KILL (5), CAP_NET_BIND_SERVICE (10), CAP_AUDIT_WRITE (29).
    const mask = ((1n << 5n) | (1n << 10n) | (1n << 29n)).toString(16).padStart(16, '0');
    const st = fields(output(env, bundle, specWith(['cat', '/proc/self/status'])));
    expect({ CapInh: st.CapInh, CapPrm: st.CapPrm, CapEff: st.CapEff, CapBnd: st.CapBnd, CapAmb: st.CapAmb }).toEqual({
      CapInh: '0000000000000000', CapPrm: mask, CapEff: mask, CapBnd: mask, CapAmb: '0000000000000000',
    });
  });

  it('capabilities: a non-root user keeps what the config gives it, ambient included', () => {
    const st = fields(output(env, bundle, specWith(['cat', '/proc/self/status'], (s) => {
      s.process!.user = { uid: 1000, gid: 1000 };
      const caps = ['CAP_NET_BIND_SERVICE', 'CAP_CHOWN'];
      s.process!.capabilities = { bounding: caps, effective: caps, permitted: caps, inheritable: caps, ambient: caps };
    })));
    // CAP_CHOWN (0), CAP_NET_BIND_SERVICE (10).
    const mask = ((1n << 0n) | (1n << 10n)).toString(16).padStart(16, '0');
    expect([st.CapInh, st.CapPrm, st.CapEff, st.CapBnd, st.CapAmb]).toEqual([mask, mask, mask, mask, mask]);
  });

  it('noNewPrivileges sets no_new_privs; false leaves it clear', () => {
    expect(fields(output(env, bundle, specWith(['cat', '/proc/self/status']))).NoNewPrivs).toBe('1');
    expect(fields(output(env, bundle, specWith(['cat', '/proc/self/status'], (s) => {
      s.process!.noNewPrivileges = false;
    }))).NoNewPrivs).toBe('0');
  });

  it('oomScoreAdj', () => {
    expect(output(env, bundle, specWith(['cat', '/proc/self/oom_score_adj'], (s) => {
      s.process!.oomScoreAdj = 500;
    }))).toBe('500\n');
  });

  it('oomScoreAdj in a new user namespace (set on the host side, inherited through clone)', () => {
    // Lowering it below the runtime's needs CAP_SYS_RESOURCE, which this sandbox's root lacks.
    expect(output(env, bundle, specWith(['cat', '/proc/self/oom_score_adj'], (s) => {
      s.process!.oomScoreAdj = 300;
      s.linux!.namespaces!.push({ type: 'user' });
      s.linux!.uidMappings = [{ containerID: 0, hostID: 100000, size: 65536 }];
      s.linux!.gidMappings = [{ containerID: 0, hostID: 100000, size: 65536 }];
    }))).toBe('300\n');
  });

  it('stdin, stdout and stderr are the runtime\'s', () => {
    setConfig(bundle, specWith(['sh', '-c', 'read line; echo "out:$line"; echo err >&2']));
    const r = env.tsrunc(['run', '--bundle', bundle, env.id('stdio')], { input: 'from stdin\n' });
    expect(r).toMatchObject({ status: 0, stdout: 'out:from stdin\n', stderr: 'err\n' });
  });
});

describe('user namespace', () => {
  it('maps uids and gids and makes the process root inside', () => {
    const out = output(env, bundle, specWith(
      ['sh', '-c', 'cat /proc/self/uid_map /proc/self/gid_map; id -u; id -g; grep CapEff /proc/self/status; readlink /proc/self/ns/user'],
      (s) => {
        s.linux!.namespaces!.push({ type: 'user' });
        s.linux!.uidMappings = [{ containerID: 0, hostID: 100000, size: 65536 }];
        s.linux!.gidMappings = [{ containerID: 0, hostID: 100000, size: 65536 }];
      },
    ));
    const lines = out.trim().split('\n').map((l) => l.trim().split(/\s+/).join(' '));
    expect(lines.slice(0, 4)).toEqual(['0 100000 65536', '0 100000 65536', '0', '0']);
    expect(lines[4]).toBe('CapEff: 0000000020000420');
    expect(lines[5]).not.toBe(fs.readlinkSync('/proc/self/ns/user'));
  });

  it('files the container creates belong to the mapped host ids', () => {
    const r = runSpec(env, bundle, specWith(['sh', '-c', 'touch /tmp/owned; chown 1:2 /tmp/owned'], (s) => {
      s.linux!.namespaces!.push({ type: 'user' });
      s.linux!.uidMappings = [{ containerID: 0, hostID: 100000, size: 65536 }];
      s.linux!.gidMappings = [{ containerID: 0, hostID: 100000, size: 65536 }];
      s.process!.capabilities!.effective!.push('CAP_CHOWN');
      s.process!.capabilities!.bounding!.push('CAP_CHOWN');
      s.process!.capabilities!.permitted!.push('CAP_CHOWN');
    }));
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    const st = fs.statSync(`${bundle}/rootfs/tmp/owned`);
    expect([st.uid, st.gid]).toEqual([100001, 100002]);
    fs.rmSync(`${bundle}/rootfs/tmp/owned`);
  });
});

describe('personality, scheduler, I/O priority', () => {
  it('linux.personality LINUX32: uname -m says i686 inside', () => {
    const out = output(env, bundle, specWith(['uname', '-m'], (s) => {
      s.linux!.personality = { domain: 'LINUX32' };
    }));
    expect(out.trim()).toBe(process.arch === 'x64' ? 'i686' : out.trim());
  });

  it('process.scheduler: the policy (field 41) and nice (field 19) of /proc/self/stat', () => {
    // The comm field (2) has no spaces here (cat), so splitting on spaces finds the fields.
    const stat = (s: Parameters<typeof specWith>[1]) => output(env, bundle, specWith(['cat', '/proc/self/stat'], s)).trim().split(' ');
    const batch = stat((s) => {
      s.process!.scheduler = { policy: 'SCHED_BATCH', nice: 7 };
    });
    expect([batch[40], batch[18]]).toEqual(['3', '7']);
    const other = stat((s) => {
      s.process!.scheduler = { policy: 'SCHED_OTHER', nice: -5 };
    });
    expect([other[40], other[18]]).toEqual(['0', '-5']);
    const rr = stat((s) => {
      s.process!.scheduler = { policy: 'SCHED_RR', priority: 5 };
      // With RT group scheduling a cgroup gets no real-time time unless given some (runc: the same).
      if (fs.existsSync('/sys/fs/cgroup/cpu/cpu.rt_runtime_us')) {
        s.linux!.resources = { ...s.linux!.resources, cpu: { realtimeRuntime: 10000, realtimePeriod: 1000000 } };
      }
    });
    // policy 2; field 18 (priority) is -1 - rt_priority for a real-time task.
    expect([rr[40], rr[17]]).toEqual(['2', '-6']);
  });

  it('process.scheduler that the kernel cannot meet is refused by create, naming the field', () => {
    const r = runSpec(env, bundle, specWith(['true'], (s) => {
      s.process!.scheduler = { policy: 'SCHED_OTHER', priority: 4 };
    }));
    expect(r.status).not.toBe(0);
    expect(r.stderr).toContain('process.scheduler.priority');
  });

  it.runIf(fs.readFileSync('/sys/devices/system/cpu/online', 'utf8').trim() !== '0')('the runtime\'s CPU affinity is not kept (tsrunc under taskset): every CPU, or the cpuset; execCPUAffinity.final for exec', async () => {
    const online = fs.readFileSync('/sys/devices/system/cpu/online', 'utf8').trim();
    const last = online.split(/[-,]/).pop()!;
    const allowed = (extra: string[], args: string[]) => {
      const r = spawnSync('taskset', ['-c', '0', TSRUNC, '--root', env.root, ...extra, ...args], { encoding: 'utf8' });
      expect(r.status, r.stderr).toBe(0);
      return /Cpus_allowed_list:\s*(\S+)/.exec(r.stdout)?.[1];
    };
    setConfig(bundle, specWith(['grep', 'Cpus_allowed_list', '/proc/self/status']));
    expect(allowed([], ['run', '--bundle', bundle, env.id('aff')])).toBe(online);
    if (detectCgroupLayout().mode !== 'v2' || fs.existsSync('/sys/fs/cgroup/cpuset.cpus.effective')) {
      setConfig(bundle, specWith(['grep', 'Cpus_allowed_list', '/proc/self/status'], (s) => {
        s.linux!.resources = { ...s.linux!.resources, cpu: { cpus: last, mems: '0' } };
      }));
      expect(allowed([], ['run', '--bundle', bundle, env.id('affcs')])).toBe(last);
    }
    setConfig(bundle, specWith(['sleep', '100']));
    const id = env.id('affexec');
    env.ok(['run', '--detach', '--bundle', bundle, id]);
    try {
      expect(allowed([], ['exec', id, 'grep', 'Cpus_allowed_list', '/proc/self/status'])).toBe(online);
      const procFile = `${env.tmp}/affinity-process.json`;
      fs.writeFileSync(procFile, JSON.stringify({
        args: ['grep', 'Cpus_allowed_list', '/proc/self/status'], cwd: '/', env: ['PATH=/bin:/usr/bin'], user: { uid: 0, gid: 0 },
        execCPUAffinity: { initial: '0', final: last },
      }));
      expect(allowed([], ['exec', '--process', procFile, id])).toBe(last);
    } finally {
      env.tsrunc(['delete', '--force', id]);
    }
  });

  it('process.ioPriority: ionice inside shows the class and priority', () => {
    const out = output(env, bundle, specWith(['ionice', '-p', '1'], (s) => {
      s.process!.ioPriority = { class: 'IOPRIO_CLASS_BE', priority: 6 };
    }));
    expect(out.trim()).toBe('best-effort: prio 6');
    const idle = output(env, bundle, specWith(['ionice', '-p', '1'], (s) => {
      s.process!.ioPriority = { class: 'IOPRIO_CLASS_IDLE', priority: 0 };
    }));
    expect(idle.trim()).toMatch(/^idle/);
  });
});


describe('a bundle made by runc spec', () => {
  it('runs: its ambient capabilities, which are not inheritable, are left out with a warning (as runc does)', () => {
    const made = env.bundle('runc-spec', '{}');
    fs.rmSync(`${made}/config.json`);
    const r = spawnSync('runc', ['spec'], { cwd: made, encoding: 'utf8' });
    expect(r.status, r.stderr).toBe(0);
    const spec = JSON.parse(fs.readFileSync(`${made}/config.json`, 'utf8')) as Spec;
    expect(spec.process!.capabilities!.ambient).toContain('CAP_AUDIT_WRITE');
    expect(spec.process!.capabilities!.inheritable).toBeUndefined();
    spec.process!.terminal = false;
    spec.process!.args = ['sh', '-c', 'grep -E "^Cap(Eff|Amb)" /proc/self/status'];
    const run = runSpec(env, made, spec);
    expect(run.status, run.stderr).toBe(0);
    // Its warnings stay off the stderr the container may share (no --log: they are not written at all).
    expect(run.stderr).toBe('');
    // CAP_AUDIT_WRITE, CAP_KILL and CAP_NET_BIND_SERVICE effective; none ambient.
    expect(fields(run.stdout)).toEqual({ CapEff: '0000000020000420', CapAmb: '0000000000000000' });
    const check = env.tsrunc(['check', '--bundle', made]);
    expect(check.status, check.stdout).toBe(0);
    expect(check.stdout + check.stderr).toMatch(/can't raise ambient capability CAP_AUDIT_WRITE: CAP_AUDIT_WRITE is ambient but not inheritable/);
  });

  it('runs a config runc reads with other spellings: keys in another case, a namespace path of ""; check names each', () => {
    const text = JSON.stringify(specWith(['sh', '-c', 'echo $WHO; hostname'], (s) => {
      s.process!.env = ['WHO=folded'];
      s.hostname = 'folded-host';
      s.linux!.namespaces!.find((n) => n.type === 'uts')!.path = '';
    })).replace('"process":', '"Process":').replace('"hostname":', '"HostName":');
    const made = env.bundle('folded', text);
    const id = env.id('fold');
    const r = env.tsrunc(['run', '--bundle', made, id]);
    expect({ status: r.status, out: r.stdout, err: r.stderr }).toEqual({ status: 0, out: 'folded\nfolded-host\n', err: '' });
    const check = env.tsrunc(['check', '--json', '--bundle', made]);
    const warned = (JSON.parse(check.stdout) as { problems: { path: string; severity: string }[] }).problems.filter((p) => /Process|HostName|namespaces\[\d\]\.path/.test(p.path));
    expect(warned.map((p) => [p.severity, p.path])).toEqual([['warning', 'Process'], ['warning', 'HostName'], ['warning', expect.stringMatching(/^linux\.namespaces\[\d\]\.path$/)]]);
  });

  it.each([[[]], [['--rootless']]])('tsrunc spec %j writes what runc spec writes, but for the ociVersion; a cgroup namespace only on a cgroup v2 host', (flags) => {
    const ours = env.bundle(`spec-ours${flags.join('')}`, '{}');
    const theirs = env.bundle(`spec-runc${flags.join('')}`, '{}');
    for (const dir of [ours, theirs]) fs.rmSync(`${dir}/config.json`);
    env.ok(['spec', ...flags, '--bundle', ours]);
    const r = spawnSync('runc', ['spec', ...flags], { cwd: theirs, encoding: 'utf8' });
    expect(r.status, r.stderr).toBe(0);
    const read = (dir: string) => JSON.parse(fs.readFileSync(`${dir}/config.json`, 'utf8')) as Spec;
    const [mine, runc] = [read(ours), read(theirs)];
    expect(mine.linux!.namespaces!.some((ns) => ns.type === 'cgroup')).toBe(detectCgroupLayout().mode === 'v2');
    expect({ ...mine, ociVersion: runc.ociVersion }).toEqual(runc);
  });
});

describe('the working directory', () => {
  it("is made when missing for the init (0755, inside the root), as runc makes it; an exec'd process's must exist", () => {
    // run --detach returns once the init is ready, which is after its chdir.
    const made = env.bundle('cwd', specWith(['sh', '-c', 'while :; do sleep 0.1; done'], (s) => { s.process!.cwd = '/made/here'; }));
    const id = env.id('cwd');
    env.ok(['run', '--detach', '--bundle', made, id]);
    expect(fs.statSync(`${made}/rootfs/made/here`).mode & 0o7777).toBe(0o755);
    expect(env.ok(['exec', '--cwd', '/made/here', id, 'pwd']).stdout).toBe('/made/here\n');
    const r = env.tsrunc(['exec', '--cwd', '/not/made', id, 'pwd']);
    expect(r.status).not.toBe(0);
    expect(r.stderr).toMatch(/cannot change to directory \/not\/made: no such file or directory/);
    expect(fs.existsSync(`${made}/rootfs/not`)).toBe(false);
    env.ok(['delete', '--force', id]);
  });
});

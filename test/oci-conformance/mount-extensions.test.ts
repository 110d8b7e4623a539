// runc's mount extensions, as a container sees them: tmpcopyup, the recursive attributes (rro, …),
// bind sources a container's user namespace could not reach (opened by the host side), and id-mapped
// bind mounts (idmap, ridmap, a mount's own uidMappings/gidMappings).
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Spec } from '../../src/oci/types';
import { TestEnv } from '../support/env';
import { hostMounts, mountAt, output, parseMountinfo, specWith } from './helpers';

let env: TestEnv;
let bundle: string;
let rootfs: string;

beforeAll(() => {
  env = new TestEnv('mount-ext');
  // The rootfs must be reachable from a container's user namespace (uid 100000 on the host).
  fs.chmodSync(env.tmp, 0o755);
  bundle = env.bundle('b', specWith(['true']));
  rootfs = path.join(bundle, 'rootfs');
});

afterAll(async () => {
  expect(await env.cleanup()).toEqual([]);
});

const MAPPING = [{ containerID: 0, hostID: 100000, size: 65536 }];

function withUserns(s: Spec): void {
  s.linux!.namespaces!.push({ type: 'user' });
  s.linux!.uidMappings = MAPPING;
  s.linux!.gidMappings = MAPPING;
}

/** A directory of the host in the test's folder. */
function hostDir(name: string, mode = 0o755): string {
  const dir = path.join(env.tmp, name);
  fs.mkdirSync(dir, { recursive: true });
  fs.chmodSync(dir, mode);
  return dir;
}

/** Mount points in the rootfs made beforehand: root in a user namespace cannot create them in a rootfs of the host's root. */
function mountPoints(...dirs: string[]): void {
  for (const d of dirs) fs.mkdirSync(path.join(rootfs, d), { recursive: true });
}

describe('tmpcopyup', () => {
  it('a tmpfs with tmpcopyup holds the image\'s files with their owners and modes, and is writable while the root is read-only', () => {
    const app = path.join(rootfs, 'srv/app');
    fs.mkdirSync(path.join(app, 'sub'), { recursive: true });
    fs.writeFileSync(path.join(app, 'conf'), 'from the image\n');
    fs.chownSync(path.join(app, 'conf'), 1000, 1001);
    fs.writeFileSync(path.join(app, 'sub/deep'), 'deep\n', { mode: 0o600 });
    fs.chownSync(path.join(app, 'sub/deep'), 5, 6);
    fs.chownSync(path.join(app, 'sub'), 2, 3);
    fs.chmodSync(path.join(app, 'sub'), 0o2755);
    fs.symlinkSync('conf', path.join(app, 'link'));
    fs.lchownSync(path.join(app, 'link'), 7, 8);
    execFileSync('mkfifo', ['-m', '620', path.join(app, 'pipe')]);
    fs.chmodSync(app, 0o711);
    const ro = path.join(rootfs, 'srv/ro');
    fs.mkdirSync(ro, { recursive: true });
    fs.writeFileSync(path.join(ro, 'kept'), 'read-only copy\n');

    const out = output(env, bundle, specWith(['sh', '-c', [
      'cd /srv/app',
      "for f in . conf sub sub/deep link pipe; do stat -c '%n %F %a %u:%g' $f; done",
      'readlink link; cat conf',
      'echo new >new && echo wrote',
      'cat /srv/ro/kept; touch /srv/ro/x 2>&1',
      'touch /x 2>&1',
      'ls -A /srv/none; echo none-listed',
      'grep -E " /srv/(app|ro|none) " /proc/self/mountinfo',
    ].join('; ')], (s) => {
      s.root!.readonly = true;
      s.mounts!.push(
        { destination: '/srv/app', type: 'tmpfs', source: 'tmpfs', options: ['nosuid', 'nodev', 'tmpcopyup', 'size=1m'] },
        { destination: '/srv/ro', type: 'tmpfs', source: 'tmpfs', options: ['ro', 'tmpcopyup'] },
        // Not in the image: made, and empty.
        { destination: '/srv/none', type: 'tmpfs', source: 'tmpfs', options: ['tmpcopyup'] },
      );
    }));
    const lines = out.trim().split('\n');
    expect(lines.slice(0, 13)).toEqual([
      '. directory 711 0:0',
      'conf regular file 644 1000:1001',
      'sub directory 2755 2:3',
      'sub/deep regular file 600 5:6',
      'link symbolic link 777 7:8',
      'pipe fifo 620 0:0',
      'conf',
      'from the image',
      'wrote',
      'read-only copy',
      'touch: /srv/ro/x: Read-only file system',
      'touch: /x: Read-only file system',
      'none-listed',
    ]);
    const entries = parseMountinfo(lines.slice(13).join('\n'));
    const appMount = mountAt(entries, '/srv/app')!;
    expect(appMount.fstype).toBe('tmpfs');
    expect(appMount.options).toEqual(expect.arrayContaining(['rw', 'nosuid', 'nodev']));
    // The tmpfs has the mode of the directory it covers, as runc gives it.
    expect(appMount.superOptions).toEqual(expect.arrayContaining(['size=1024k', 'mode=711']));
    expect(mountAt(entries, '/srv/ro')!.options).toContain('ro');
    expect(mountAt(entries, '/srv/none')!.fstype).toBe('tmpfs');
    // The image is as it was.
    expect(fs.existsSync(path.join(app, 'new'))).toBe(false);
    expect(fs.readFileSync(path.join(app, 'conf'), 'utf8')).toBe('from the image\n');
    expect(fs.readdirSync(path.join(rootfs, 'srv/none'))).toEqual([]);
  });
});

describe('recursive mount attributes', () => {
  it('rbind with rro: the bind and the mounts below it refuse writes; with ro only the top one does', () => {
    const src = hostDir('rro-src');
    const sub = path.join(src, 'sub');
    fs.mkdirSync(sub);
    execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=64k', 'tsrunc-test-sub', sub]);
    try {
      const out = output(env, bundle, specWith(['sh', '-c', [
        'for d in /rro /rro/sub /ro /ro/sub; do touch $d/f 2>/dev/null && echo "$d writable" || echo "$d refused"; done',
        'grep -E " /(rro|ro)(/sub)? " /proc/self/mountinfo',
      ].join('; ')], (s) => {
        s.mounts!.push(
          { destination: '/rro', type: 'bind', source: src, options: ['rbind', 'rro', 'rnosuid', 'rnoexec'] },
          { destination: '/ro', type: 'bind', source: src, options: ['rbind', 'ro'] },
        );
      }));
      const lines = out.trim().split('\n');
      expect(lines.slice(0, 4)).toEqual(['/rro refused', '/rro/sub refused', '/ro refused', '/ro/sub writable']);
      const entries = parseMountinfo(lines.slice(4).join('\n'));
      for (const p of ['/rro', '/rro/sub']) expect(mountAt(entries, p)!.options, p).toEqual(expect.arrayContaining(['ro', 'nosuid', 'noexec']));
      expect(mountAt(entries, '/ro/sub')!.options).toContain('rw');
      expect(fs.existsSync(path.join(src, 'f'))).toBe(false);
    } finally {
      execFileSync('umount', ['-l', sub]);
    }
    expect(hostMounts(src)).toEqual([]);
  });
});

describe('with a user namespace', () => {
  it('binds a directory and a file from a directory of the host\'s root with mode 0700, which only the host side can open', () => {
    const priv = hostDir('private', 0o700);
    fs.mkdirSync(path.join(priv, 'data'));
    fs.writeFileSync(path.join(priv, 'data/file'), 'behind a 0700 directory\n');
    fs.writeFileSync(path.join(priv, 'single'), 'a file bound alone\n');
    mountPoints('private-data');
    fs.writeFileSync(path.join(rootfs, 'etc/private-single'), '');
    const out = output(env, bundle, specWith(['sh', '-c', [
      'cat /private-data/file /etc/private-single',
      'touch /private-data/x 2>&1',
      'grep -E " /(private-data|etc/private-single) " /proc/self/mountinfo',
    ].join('; ')], (s) => {
      withUserns(s);
      s.mounts!.push(
        { destination: '/private-data', type: 'bind', source: path.join(priv, 'data'), options: ['rbind', 'ro'] },
        { destination: '/etc/private-single', type: 'bind', source: path.join(priv, 'single'), options: ['bind'] },
      );
    }));
    const lines = out.trim().split('\n');
    expect(lines.slice(0, 3)).toEqual(['behind a 0700 directory', 'a file bound alone', 'touch: /private-data/x: Read-only file system']);
    const entries = parseMountinfo(lines.slice(3).join('\n'));
    expect(mountAt(entries, '/private-data')!.options).toContain('ro');
    expect(mountAt(entries, '/etc/private-single')!.root).toBe(path.join(priv, 'single'));
    expect(hostMounts(priv)).toEqual([]);
  });
});

describe('id-mapped mounts', () => {
  let ids: string;

  beforeAll(() => {
    ids = hostDir('ids');
    fs.writeFileSync(path.join(ids, 'root-owned'), 'r');
    fs.writeFileSync(path.join(ids, 'user-owned'), 'u');
    fs.chownSync(path.join(ids, 'user-owned'), 1000, 1000);
  });

  it('idmap with the container\'s mapping: the files show the owners they have on disk, and what the container writes is its root\'s on disk', () => {
    mountPoints('ids', 'plain');
    const out = output(env, bundle, specWith(['sh', '-c', [
      "stat -c '%n %u:%g' /ids/root-owned /ids/user-owned /plain/root-owned /plain/user-owned",
      'echo w >/ids/written && echo wrote',
      'grep " /ids " /proc/self/mountinfo',
    ].join('; ')], (s) => {
      withUserns(s);
      s.mounts!.push(
        { destination: '/ids', type: 'bind', source: ids, options: ['bind', 'idmap'] },
        { destination: '/plain', type: 'bind', source: ids, options: ['bind'] },
      );
    }));
    const lines = out.trim().split('\n');
    expect(lines.slice(0, 5)).toEqual([
      '/ids/root-owned 0:0', '/ids/user-owned 1000:1000',
      // Without the id-mapping the host's ids are outside the container's mapping.
      '/plain/root-owned 65534:65534', '/plain/user-owned 65534:65534',
      'wrote',
    ]);
    expect(parseMountinfo(lines[5])[0].options).toContain('idmapped');
    const st = fs.statSync(path.join(ids, 'written'));
    expect([st.uid, st.gid]).toEqual([0, 0]);
    fs.rmSync(path.join(ids, 'written'));
  });

  it('ridmap with the mount\'s own uidMappings and gidMappings, in a container without a user namespace: the mounts below are mapped too', () => {
    const sub = path.join(ids, 'sub');
    fs.mkdirSync(sub);
    execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=64k,mode=755', 'tsrunc-test-ids', sub]);
    let out: string;
    try {
      out = output(env, bundle, specWith(['sh', '-c', "stat -c '%n %u:%g' /mapped/root-owned /mapped/user-owned /mapped/sub; grep -E ' /mapped(/sub)? ' /proc/self/mountinfo"], (s) => {
        s.mounts!.push({
          destination: '/mapped', type: 'bind', source: ids, options: ['rbind', 'ridmap'],
          uidMappings: [{ containerID: 0, hostID: 4242, size: 1 }], gidMappings: [{ containerID: 0, hostID: 4343, size: 1 }],
        });
      }));
    } finally {
      execFileSync('umount', ['-l', sub]);
      fs.rmdirSync(sub);
    }
    const lines = out.trim().split('\n');
    // On disk 0 is 4242:4343 through the mapping; 1000 is outside it.
    expect(lines.slice(0, 3)).toEqual(['/mapped/root-owned 4242:4343', '/mapped/user-owned 65534:65534', '/mapped/sub 4242:4343']);
    const entries = parseMountinfo(lines.slice(3).join('\n'));
    for (const p of ['/mapped', '/mapped/sub']) expect(mountAt(entries, p)!.options, p).toContain('idmapped');
    expect(hostMounts(ids)).toEqual([]);
  });
});

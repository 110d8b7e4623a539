import { describe, expect, it } from 'vitest';
import { detachAdded, MountHost, mountIdsUnder, nextToDetach, parseMountinfoEntries } from '../../src/runtime/host-mounts';

const line = (id: number, parent: number, point: string) => `${id} ${parent} 0:1 / ${point} rw - tmpfs tmpfs rw`;

/** A mount table that detachMount changes as the kernel does: the topmost mount at the path goes, with what is below it. */
function table(entries: [number, number, string][]): MountHost & { detached: string[]; rows: [number, number, string][] } {
  const rows = [...entries];
  const detached: string[] = [];
  return {
    rows, detached,
    readFile: () => rows.map(([id, parent, point]) => line(id, parent, point)).join('\n'),
    detachMount(path: string) {
      const at = rows.filter((r) => r[2] === path);
      const top = at.find((r) => !at.some((o) => o[1] === r[0]));
      if (!top) throw Object.assign(new Error('EINVAL'), { code: 'EINVAL' });
      detached.push(path);
      const gone = new Set([top[0]]);
      for (let grew = true; grew;) {
        grew = false;
        for (const r of rows) if (!gone.has(r[0]) && gone.has(r[1])) { gone.add(r[0]); grew = true; }
      }
      for (let i = rows.length - 1; i >= 0; i--) if (gone.has(rows[i][0])) rows.splice(i, 1);
    },
  };
}

describe('the mounts of a container in the runtime\'s mount namespace', () => {
  it('reads ids, parents and unescaped mount points from mountinfo', () => {
    expect(parseMountinfoEntries(`${line(30, 1, '/a\\040b')}\n\n`)).toEqual([{ id: 30, parent: 1, mountPoint: '/a b' }]);
  });

  it('keeps what was there before create and detaches the rest, the nearest to the rootfs first', () => {
    const before: [number, number, string][] = [[1, 0, '/'], [20, 1, '/b/rootfs'], [21, 20, '/b/rootfs/data'], [22, 1, '/b/rootfs2']];
    const kept = mountIdsUnder(parseMountinfoEntries(table(before).readFile('/proc/self/mountinfo')), '/b/rootfs');
    expect(kept).toEqual([20, 21]);
    const host = table([...before, [40, 20, '/b/rootfs'], [41, 40, '/b/rootfs/proc'], [42, 40, '/b/rootfs/dev'], [43, 42, '/b/rootfs/dev/pts']]);
    expect(nextToDetach(parseMountinfoEntries(host.readFile('/proc/self/mountinfo')), '/b/rootfs', kept)).toBe('/b/rootfs');
    detachAdded(host, '/b/rootfs', kept);
    expect(host.detached).toEqual(['/b/rootfs']);
    expect(host.rows.map((r) => r[0])).toEqual([1, 20, 21, 22]);
    // Nothing left to do: nothing is detached again (the engine's own mounts stay).
    detachAdded(host, '/b/rootfs', kept);
    expect(host.detached).toEqual(['/b/rootfs']);
  });

  it('detaches mounts added later below a kept one too, and stacked ones one by one', () => {
    const host = table([[1, 0, '/'], [20, 1, '/r'], [50, 20, '/r/x'], [51, 50, '/r/x']]);
    detachAdded(host, '/r', [20]);
    expect(host.detached).toEqual(['/r/x', '/r/x']);
    expect(host.rows.map((r) => r[0])).toEqual([1, 20]);
  });
});

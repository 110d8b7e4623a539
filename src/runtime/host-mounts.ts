// A container without a mount namespace of its own has its mounts made in the runtime's (as runc 1.2+
// makes them), where nothing takes them away when it stops. create records which mounts at or below
// the rootfs were there before it (their mountinfo ids: a new mount never gets the id of one that
// exists), and delete, or an undone create, detaches every other one, so none of the container's stays.

/** A mountinfo line's id, parent id and mount point (unescaped). */
export interface MountinfoEntry {
  id: number;
  parent: number;
  mountPoint: string;
}

export function parseMountinfoEntries(text: string): MountinfoEntry[] {
  return text.split('\n').flatMap((line) => {
    const fields = line.split(' ');
    if (fields.length < 5) return [];
    const mountPoint = fields[4].replace(/\\([0-7]{3})/g, (_m, o: string) => String.fromCharCode(parseInt(o, 8)));
    return [{ id: Number(fields[0]), parent: Number(fields[1]), mountPoint }];
  });
}

const atOrBelow = (dir: string, p: string) => p === dir || p.startsWith(dir.endsWith('/') ? dir : `${dir}/`);

/** The ids of the mounts at or below dir. */
export function mountIdsUnder(entries: readonly MountinfoEntry[], dir: string): number[] {
  return entries.filter((e) => atOrBelow(dir, e.mountPoint)).map((e) => e.id);
}

/**
 * Where to detach next: the mount point of a mount at or below dir that is not one of `kept` and whose
 * parent is not new either (a detach takes what is below it along), the one nearest dir first;
 * undefined when there is none.
 */
export function nextToDetach(entries: readonly MountinfoEntry[], dir: string, kept: readonly number[]): string | undefined {
  const keep = new Set(kept);
  const added = entries.filter((e) => atOrBelow(dir, e.mountPoint) && !keep.has(e.id));
  const addedIds = new Set(added.map((e) => e.id));
  const top = added.filter((e) => !addedIds.has(e.parent)).sort((a, b) => a.mountPoint.length - b.mountPoint.length);
  return top[0]?.mountPoint;
}

/** What a host with mounts must do for detachAdded. */
export interface MountHost {
  readFile(file: string): string;
  detachMount(path: string): void;
}

/** The ids of the mounts at or below rootfs now, for detachAdded. */
export function mountsBefore(host: MountHost, rootfs: string): number[] {
  return mountIdsUnder(parseMountinfoEntries(host.readFile('/proc/self/mountinfo')), rootfs);
}

/** Detaches every mount at or below rootfs that is not one of `kept`; throws when one cannot go. */
export function detachAdded(host: MountHost, rootfs: string, kept: readonly number[]): void {
  let last: string | undefined;
  for (let i = 0; i < 1000; i++) {
    const next = nextToDetach(parseMountinfoEntries(host.readFile('/proc/self/mountinfo')), rootfs, kept);
    if (next === undefined) return;
    try {
      host.detachMount(next);
    } catch (err) {
      // Gone meanwhile (EINVAL: not a mount point any more) is what was wanted; anything else twice is not.
      if (next === last) throw err;
    }
    last = next;
  }
  throw new Error(`the mounts below ${rootfs} do not go away`);
}

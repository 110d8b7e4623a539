// The systemd driver's unit for a container, from linux.cgroupsPath (pure).
//
// Rules, as runc has them (read in opencontainers/runc@76d9cf5 libcontainer/specconv/spec_linux.go
// CreateCgroupConfig, and opencontainers/cgroups@30a2293 systemd/common.go ExpandSlice, getUnitName,
// systemd/v2.go Apply, getSliceFull, initPath; runc's docs/systemd.md):
// - cgroupsPath is "slice:prefix:name": exactly three parts split at ':'. Empty or absent, it is
//   ":runc:<id>".
// - slice "" means system.slice (root; tsrunc has no rootless cgroups). "-.slice" is the root slice.
//   Otherwise it must end in ".slice", have no '/', and each '-'-separated component of its name must be
//   non-empty; "a-b.slice" lives at /a.slice/a-b.slice.
// - a name ending in ".slice" is a slice unit of that name (prefix ignored), placed with Wants=<slice>;
//   any other is the scope "<prefix>-<name>.scope", placed with Slice=<slice> and Delegate=yes.
// - the cgroup is <cgroup2 mount><expanded slice>/<unit>.
// What tsrunc checks beyond runc (which leaves it to systemd, or computes a wrong path): an empty name,
// a unit name systemd would refuse (its characters and length), and a slice unit that is not a direct
// child of the given slice (systemd places a slice by its name, so the path runc computes would be wrong).

import { posix } from 'node:path';
import { RuntimeError } from '../../../common/errors';

export type UnitType = 'scope' | 'slice';

export interface SystemdUnit {
  /** "runc-<id>.scope", "docker-1234.scope", "mine.slice". */
  name: string;
  type: UnitType;
  /** The slice it goes in (Slice= for a scope, Wants= for a slice): "system.slice", "-.slice", ... */
  slice: string;
  /** The cgroup below the cgroup2 mount: "/system.slice/runc-<id>.scope". */
  cgroup: string;
  /** The Description property. */
  description: string;
}

const FIELD = 'linux.cgroupsPath';
const SUFFIX = '.slice';
/** systemd's UNIT_NAME_MAX is 256, the terminating NUL included. */
const UNIT_NAME_MAX = 255;
/** The characters systemd allows in a unit name (unit_name_is_valid: letters, digits, ":-_.\" and one '@'). */
const UNIT_NAME_CHARS = /^[A-Za-z0-9:_.\\@-]+$/;

/** One line naming the field; as a problem of the field (check, create's refusal), without the name. */
function malformed(cgroupsPath: string, why: string): RuntimeError {
  const message = `${JSON.stringify(cgroupsPath)} ${why}`;
  return new RuntimeError(`${FIELD}: ${message}`, [{ severity: 'error', path: FIELD, message }]);
}

/**
 * "a-b.slice" → "/a.slice/a-b.slice", "-.slice" → "/"; undefined for a name that is not a slice
 * (no ".slice" suffix, a '/', an empty component as in "a--b.slice" or "-a.slice", or just ".slice").
 */
export function expandSlice(slice: string): string | undefined {
  if (!slice.endsWith(SUFFIX) || slice.includes('/')) return undefined;
  const stem = slice.slice(0, -SUFFIX.length);
  if (stem === '-') return '/';
  let path = '';
  let prefix = '';
  for (const component of stem.split('-')) {
    if (component === '') return undefined;
    path += `/${prefix}${component}${SUFFIX}`;
    prefix += `${component}-`;
  }
  return path;
}

function checkUnitName(cgroupsPath: string, name: string): void {
  if (!UNIT_NAME_CHARS.test(name)) {
    const bad = [...new Set([...name].filter((ch) => !UNIT_NAME_CHARS.test(ch)))].map((ch) => JSON.stringify(ch)).join(', ');
    throw malformed(cgroupsPath, `makes the unit name ${JSON.stringify(name)}, which has ${bad}: systemd allows only letters, digits and ":-_.\\@" in unit names`);
  }
  if (name.length > UNIT_NAME_MAX) {
    throw malformed(cgroupsPath, `makes a unit name of ${name.length} characters; systemd allows at most ${UNIT_NAME_MAX}`);
  }
  if ((name.match(/@/g) ?? []).length > 1 || name.startsWith('@')) {
    throw malformed(cgroupsPath, `makes the unit name ${JSON.stringify(name)}, which systemd refuses ('@' only once, after a name)`);
  }
}

/** The container's unit: from cgroupsPath in runc's "slice:prefix:name" form, or runc's default for none. */
export function systemdUnitFor(id: string, cgroupsPath: string | undefined): SystemdUnit {
  const given = cgroupsPath !== undefined && cgroupsPath !== '';
  const shown = given ? cgroupsPath : `:runc:${id}`;
  const parts = given ? cgroupsPath.split(':') : ['', 'runc', id];
  if (parts.length !== 3) {
    throw malformed(shown, 'is not in the systemd driver\'s "slice:prefix:name" form (for example "system.slice:docker:1234", or ":runc:<id>" for the default)');
  }
  const [sliceGiven, prefix, name] = parts;
  if (name === '') throw malformed(shown, 'has an empty name (the part after the second ":")');
  const slice = sliceGiven === '' ? 'system.slice' : sliceGiven;
  const sliceDir = expandSlice(slice);
  if (sliceDir === undefined) {
    throw malformed(shown, `has the slice ${JSON.stringify(slice)}, which is not a systemd slice name: it must end in ".slice", have no "/", and no empty part between "-"s (as in "a--b.slice" or "-a.slice"); "-.slice" is the root slice`);
  }
  const type: UnitType = name.endsWith(SUFFIX) ? 'slice' : 'scope';
  const unit = type === 'slice' ? name : `${prefix}-${name}.scope`;
  checkUnitName(shown, unit);
  if (type === 'slice') {
    const own = expandSlice(unit);
    if (own === undefined || own !== posix.join(sliceDir, unit)) {
      throw malformed(shown, `names the slice unit ${JSON.stringify(unit)}, which systemd does not place directly in ${JSON.stringify(slice)} (it would be at ${own ?? 'no valid place'}); name it as a child of the slice, e.g. ${JSON.stringify(slice === '-.slice' ? 'mine.slice' : `${slice.slice(0, -SUFFIX.length)}-mine.slice`)}`);
    }
  }
  return { name: unit, type, slice, cgroup: posix.join(sliceDir, unit), description: `libcontainer container ${name}` };
}

// The config as runc reads it, where that differs from the spec's letter without being an error:
//   - Go's JSON decoding matches object keys case-insensitively, so runc reads "Process" as process
//     (of several keys naming one field, the last in the document wins, as Go decodes them in order);
//   - a null value of a known key is no value (Go leaves the field as it was: its zero value);
//   - a field runc's Go types do not make optional has its zero value when left out: process.user
//     and its uid and gid are 0 (root), process.ioPriority.priority is 0;
//   - a namespace "path" of "" is no path: the namespace is made new.
// Each reading is made (the document is changed in place, before it is validated) and reported as a
// warning naming the spelling the spec uses, so that check says what runc would silently do.
import type { Problem } from '../../common/errors';
import { formatPath } from './schema-problems';
import { SHAPE, type Shape } from './config-shape';

type Path = (string | number)[];
const isObject = (v: unknown): v is Record<string, unknown> => v !== null && typeof v === 'object' && !Array.isArray(v);

/** Paths are the document's own spelling (the key that was read), so that problems are found in it. */
function foldKeys(value: unknown, shape: Shape, path: Path, out: Problem[]): void {
  if (!isObject(value)) return;
  const spelledAs: Record<string, string> = {};
  for (const field of shape.keys) {
    const spelled = Object.keys(value).filter((k) => k !== field && k.toLowerCase() === field.toLowerCase());
    if (spelled.length === 0) continue;
    const last = [field, ...spelled].filter((k) => k in value).reduce((a, k) => (Object.keys(value).indexOf(k) > Object.keys(value).indexOf(a) ? k : a));
    const read = value[last];
    for (const k of spelled) {
      out.push({
        severity: 'warning', path: formatPath([...path, k]), aboutKey: true,
        message: `is read as ${JSON.stringify(field)}, as runc reads it (its JSON keys match case-insensitively)${k === last ? '' : ', but a later key of the same name wins'}`,
        hint: `spell it "${field}", as the runtime-spec does`,
      });
      delete value[k];
    }
    value[field] = read;
    spelledAs[field] = last;
  }
  for (const [key, child] of Object.entries(shape.children ?? {})) {
    const v = value[key];
    const at = [...path, spelledAs[key] ?? key];
    if ('each' in child) {
      if (Array.isArray(v)) v.forEach((item: unknown, i) => foldKeys(item, child.each, [...at, i], out));
    } else if ('values' in child) {
      if (isObject(v)) for (const [k, item] of Object.entries(v)) foldKeys(item, child.values, [...at, k], out);
    } else {
      foldKeys(v, child, at, out);
    }
  }
}

/** A known key whose value is null is taken out, as if not given (in objects only: not array items or map values). */
function nullKeys(value: unknown, shape: Shape, path: Path, out: Problem[]): void {
  if (!isObject(value)) return;
  for (const key of shape.keys) {
    if (value[key] !== null) continue;
    delete value[key];
    out.push({
      severity: 'warning', path: formatPath([...path, key]),
      message: 'is null: read as not given, as runc reads it', hint: `leave "${key}" out`,
    });
  }
  for (const [key, child] of Object.entries(shape.children ?? {})) {
    const v = value[key];
    if ('each' in child) {
      if (Array.isArray(v)) v.forEach((item: unknown, i) => nullKeys(item, child.each, [...path, key, i], out));
    } else if ('values' in child) {
      if (isObject(v)) for (const [k, item] of Object.entries(v)) nullKeys(item, child.values, [...path, key, k], out);
    } else {
      nullKeys(v, child, [...path, key], out);
    }
  }
}

/** Fields runc reads as 0 when they are left out (its Go types have no "absent" for them). */
function zeroDefaults(config: Record<string, unknown>, out: Problem[]): void {
  const process = config.process;
  if (!isObject(process)) return;
  const missing = (path: Path, what: string, key: string) => out.push({
    severity: 'warning', path: formatPath(path),
    message: `is missing: read as ${what}, as runc reads it`, hint: `give "${key}", which the runtime-spec requires`,
  });
  if (process.user === undefined) {
    process.user = { uid: 0, gid: 0 };
    missing(['process', 'user'], '{"uid": 0, "gid": 0} (root)', 'user');
  } else if (isObject(process.user)) {
    const user = process.user;
    if (user.uid === undefined) {
      user.uid = 0;
      missing(['process', 'user', 'uid'], '0 (root)', 'uid');
    }
    if (user.gid === undefined) {
      user.gid = 0;
      missing(['process', 'user', 'gid'], "0 (root's group)", 'gid');
    }
  }
  if (isObject(process.ioPriority) && process.ioPriority.priority === undefined) {
    process.ioPriority.priority = 0;
    missing(['process', 'ioPriority', 'priority'], '0', 'priority');
  }
}

function emptyNamespacePaths(config: Record<string, unknown>, out: Problem[]): void {
  const namespaces = isObject(config.linux) ? config.linux.namespaces : undefined;
  if (!Array.isArray(namespaces)) return;
  namespaces.forEach((ns: unknown, i) => {
    if (!isObject(ns) || ns.path !== '') return;
    delete ns.path;
    out.push({
      severity: 'warning', path: formatPath(['linux', 'namespaces', i, 'path']),
      message: 'is "": read as no path, so the namespace is made new, as runc reads it', hint: 'leave "path" out',
    });
  });
}

/** Reads config (in place) as runc does; the warnings say what was read differently from the spec's letter. */
export function readAsRunc(config: unknown): Problem[] {
  const out: Problem[] = [];
  if (!isObject(config)) return out;
  foldKeys(config, SHAPE, [], out);
  nullKeys(config, SHAPE, [], out);
  zeroDefaults(config, out);
  emptyNamespacePaths(config, out);
  return out;
}

/** A process object (exec --process) read (in place) as runc reads config.json's process; the warnings' paths start with "process". */
export function readProcessAsRunc(process: unknown): Problem[] {
  return isObject(process) ? readAsRunc({ process }) : [];
}

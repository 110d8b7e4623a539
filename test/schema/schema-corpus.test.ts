// Runs every config in test/schema/corpus/{valid,invalid} through our generated validator and
// through the official runtime-spec schema installed on this machine (draft-04, 1.0.2-dev), and
// checks that the verdicts agree but for the exceptions listed (and justified) below.
//
// Needs the generated validators: node scripts/gen-validators.mjs

import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import Ajv04 from 'ajv-draft-04';
import { describe, expect, test } from 'vitest';
import { validateConfig, validateState } from '../../src/generated/validators';
import { schemaProblems } from '../../src/runtime/bundle/schema-problems';
import { formatProblem } from '../../src/common/errors';

const CORPUS = join(__dirname, 'corpus');
const OFFICIAL_DIR = '/usr/share/gocode/src/github.com/opencontainers/runtime-spec/schema';
const OFFICIAL_BASE = 'https://opencontainers.org/schema/';

type Kind = 'valid' | 'invalid';

function corpus(kind: Kind): { name: string; data: unknown }[] {
  const dir = join(CORPUS, kind);
  return readdirSync(dir)
    .filter((f) => f.endsWith('.json'))
    .sort()
    .map((f) => ({ name: `${kind}/${f}`, data: JSON.parse(readFileSync(join(dir, f), 'utf8')) as unknown }));
}

/**
 * The official config schema: every file of the schema directory is added with an id named after
 * its file, so that the relative references between them ("defs.json#/definitions/uint32") resolve.
 */
function officialValidator(): ((data: unknown) => boolean) & { errors?: unknown } {
  const ajv = new Ajv04({ strict: false, allErrors: true });
  for (const file of readdirSync(OFFICIAL_DIR).filter((f) => f.endsWith('.json'))) {
    const schema = JSON.parse(readFileSync(join(OFFICIAL_DIR, file), 'utf8')) as Record<string, unknown>;
    schema.id = OFFICIAL_BASE + file;
    ajv.addSchema(schema);
  }
  const validate = ajv.getSchema(`${OFFICIAL_BASE}config-schema.json`);
  if (!validate) throw new Error('official config-schema.json did not compile');
  return validate;
}

/**
 * Files where our verdict differs from the installed official schema, on purpose. Each one is
 * either a MUST of the spec text that the official schema does not encode (section named), or a
 * feature newer than the installed schema (1.0.2-dev, a snapshot from before 1.1.0).
 */
const EXCEPTIONS: Record<string, string> = {
  // --- Rules of the spec text that the official schema leaves out -----------------------------
  // config.md, "Specification version": ociVersion MUST be in SemVer 2.0.0 form. Official: any string.
  'invalid/ociversion-not-semver.json': 'config.md Specification version: ociVersion must be SemVer 2.0.0',
  'invalid/ociversion-v-prefix.json': 'config.md Specification version: ociVersion must be SemVer 2.0.0 (no "v")',
  // config.md, "Root": root is REQUIRED on every platform but Windows (a config without a
  // `windows` section targets a POSIX platform). Official: root optional.
  'invalid/root-missing.json': 'config.md Root: root is required on non-Windows platforms',
  // config.md, "Process": cwd MUST be an absolute path. Official: any string.
  'invalid/process-cwd-relative.json': 'config.md Process: cwd must be absolute',
  // config.md, "Process": args needs at least one entry on non-Windows platforms. Official: may be empty.
  'invalid/args-empty.json': 'config.md Process: args must have at least one entry (non-Windows)',
  // config.md, "POSIX-platform User": uid and gid are REQUIRED, so the user object is too.
  // Official: neither user nor its uid/gid are required.
  'invalid/process-missing-user.json': 'config.md POSIX-platform User: uid and gid are required, so user is',
  'invalid/user-missing-uid.json': 'config.md POSIX-platform User: uid is required',
  // config.md, "POSIX-platform Hooks": a hook's path MUST be absolute. Official: any string.
  'invalid/hook-path-relative.json': 'config.md POSIX-platform Hooks: path must be absolute',
  // config.md, "POSIX-platform Mounts": uidMappings MUST be given along with gidMappings (and back).
  'invalid/mount-uidmappings-without-gidmappings.json': 'config.md POSIX-platform Mounts: uidMappings needs gidMappings',
  // config-linux.md, "Namespaces": path MUST be an absolute path. Official: any string.
  'invalid/namespace-path-relative.json': 'config-linux.md Namespaces: path must be absolute',
  // config-linux.md, "Masked Paths": entries MUST be absolute paths. Official: any strings.
  'invalid/masked-path-relative.json': 'config-linux.md Masked Paths: entries must be absolute',
  // config-linux.md, "Devices": major and minor are REQUIRED unless type is p. Official: optional.
  'invalid/device-char-without-major.json': 'config-linux.md Devices: major/minor required unless type is p',
  // config-linux.md, "Seccomp": listenerMetadata MUST NOT be set without listenerPath.
  'invalid/seccomp-metadata-without-listener.json': 'config-linux.md Seccomp: listenerMetadata needs listenerPath',
  // config-linux.md, "Block IO": a weightDevice entry MUST give weight or leafWeight (or both).
  'invalid/weight-device-without-weight.json': 'config-linux.md Block IO: weightDevice needs weight or leafWeight',

  // --- Features newer than the installed official schema --------------------------------------
  // The time namespace type and linux.timeOffsets were added in spec 1.1.0 (#1151); the
  // installed NamespaceType enum lacks "time" and it has no timeOffsets.
  'valid/time-namespace.json': 'time namespace: spec 1.1.0, newer than the installed schema',
  'invalid/time-offsets-negative-nanosecs.json': 'linux.timeOffsets (nanosecs is uint32): spec 1.1.0, unknown to the installed schema',
  // process.ioPriority (#1191) and process.scheduler (#1188): spec 1.1.0.
  'invalid/io-priority-bad-class.json': 'process.ioPriority: spec 1.1.0, unknown to the installed schema',
  'invalid/scheduler-missing-policy.json': 'process.scheduler: spec 1.1.0, unknown to the installed schema',
  // process.execCPUAffinity: spec 1.2.1 (#1253).
  'invalid/exec-cpu-affinity-bad.json': 'process.execCPUAffinity: spec 1.2.1, unknown to the installed schema',
  // linux.memoryPolicy: spec 1.3.0 (#1282).
  'invalid/memory-policy-bad-mode.json': 'linux.memoryPolicy: spec 1.3.0, unknown to the installed schema',
  // config-linux.md, "PIDs": since 1.3.0 (#1279) pids.limit is OPTIONAL; the installed schema
  // still requires it.
  'valid/pids-without-limit.json': 'pids.limit optional since spec 1.3.0',

  // --- Compatibility (neither of the above; kept deliberately) --------------------------------
  // config-linux.md lists shared, slave, private and unbindable for rootfsPropagation, but runc
  // accepts the recursive forms and real producers write them (containerd's CRI and moby's
  // plugins set "rshared"/"rslave"). Refusing them would refuse bundles runc runs.
  'valid/rootfs-propagation-rslave.json': 'runc compatibility: rslave/rshared/rprivate/runbindable accepted',
};

const valid = corpus('valid');
const invalid = corpus('invalid');
const official = officialValidator();

function ours(data: unknown): boolean {
  return validateConfig(data);
}

describe('schema corpus', () => {
  test('has enough cases', () => {
    expect(valid.length).toBeGreaterThanOrEqual(25);
    expect(invalid.length).toBeGreaterThanOrEqual(35);
  });

  test('every exception names a corpus file', () => {
    for (const name of Object.keys(EXCEPTIONS)) expect(existsSync(join(CORPUS, name)), name).toBe(true);
  });

  describe.each(valid)('$name', ({ name, data }) => {
    test('passes our schema', () => {
      const problems = schemaProblems(data).map(formatProblem);
      expect(problems, name).toEqual([]);
      expect(ours(data)).toBe(true);
    });
  });

  describe.each(invalid)('$name', ({ name, data }) => {
    test('fails our schema, with at least one problem', () => {
      expect(ours(data), name).toBe(false);
      const problems = schemaProblems(data);
      expect(problems.length).toBeGreaterThan(0);
      for (const p of problems) {
        expect(p.severity).toBe('error');
        expect(p.message).not.toMatch(/^must (match|NOT|have required|be equal)/); // ajv's wording was replaced
      }
    });
  });

  describe.each([...valid, ...invalid])('$name vs the official schema', ({ name, data }) => {
    test(EXCEPTIONS[name] !== undefined ? `differs on purpose: ${EXCEPTIONS[name]}` : 'same verdict', () => {
      const theirs = official(data);
      if (EXCEPTIONS[name] !== undefined) {
        // A listed exception that stopped being one must be removed from the list.
        expect(theirs, `${name} is listed as an exception but the verdicts agree`).not.toBe(ours(data));
      } else {
        expect(theirs, `${name}: official ${theirs}, ours ${ours(data)}; errors ${JSON.stringify(official.errors)}`).toBe(ours(data));
      }
    });
  });
});

/** The first problem of each invalid file: where it points and what it says. */
const FIRST_PROBLEM: Record<string, [path: string, message: RegExp]> = {
  'annotations-non-string.json': ['annotations["com.example.count"]', /must be a string/],
  'args-empty.json': ['process.args', /at least one entry/],
  'device-bad-type.json': ['linux.devices[0].type', /must be one of: c, b, u, p/],
  'device-char-without-major.json': ['linux.devices[0].major', /is required/],
  'hook-without-path.json': ['hooks.poststart[0].path', /is required/],
  'idmapping-missing-size.json': ['linux.uidMappings[0].size', /is required/],
  'missing-ociversion.json': ['ociVersion', /is required/],
  'mount-uidmappings-without-gidmappings.json': ['mounts[0].gidMappings', /required when uidMappings is set/],
  'mount-without-destination.json': ['mounts[0].destination', /is required/],
  'namespace-bad-type.json': ['linux.namespaces[0].type', /must be one of: pid, network, mount, ipc, uts, user, cgroup, time/],
  'namespace-without-type.json': ['linux.namespaces[0].type', /is required/],
  'not-an-object.json': ['', /must be an object/],
  'ociversion-not-semver.json': ['ociVersion', /SemVer/],
  'process-missing-cwd.json': ['process.cwd', /is required/],
  'rlimit-bad-type.json': ['process.rlimits[0].type', /RLIMIT_NOFILE/],
  'root-missing.json': ['root', /is required/],
  'sysctl-non-string.json': ['linux.sysctl["net.ipv4.ip_forward"]', /must be a string/],
  'user-negative-uid.json': ['process.user.uid', /unsigned 32-bit integer/],
  'weight-device-without-weight.json': ['linux.resources.blockIO.weightDevice[0]', /at least one of: weight, leafWeight/],
};

describe('problems of invalid corpus files', () => {
  test.each(Object.entries(FIRST_PROBLEM))('%s', (file, [path, message]) => {
    const data = JSON.parse(readFileSync(join(CORPUS, 'invalid', file), 'utf8')) as unknown;
    const problems = schemaProblems(data);
    expect(problems).toHaveLength(1);
    expect(problems[0].path).toBe(path);
    expect(problems[0].message).toMatch(message);
  });
});

describe('state schema', () => {
  const good = { ociVersion: '1.2.0', id: 'c1', status: 'running', pid: 4422, bundle: '/containers/redis' };
  test.each([
    ['the spec example', good],
    ['creating, no pid', { ociVersion: '1.0.2', id: 'c1', status: 'creating', bundle: '/b' }],
    ['stopped, no pid', { ...good, status: 'stopped', pid: undefined }],
    ['runc extras', { ...good, rootfs: '/b/rootfs', created: '2024-05-01T10:00:00.123456789Z', owner: '', annotations: { a: 'b' } }],
    ['created with an offset', { ...good, created: '2024-05-01T10:00:00+02:00' }],
    ['paused', { ...good, status: 'paused' }],
    ['unknown extra property', { ...good, vendorExtra: { x: 1 } }],
  ])('accepts %s', (_name, state) => {
    const clean = JSON.parse(JSON.stringify(state)) as unknown;
    expect(validateState(clean), JSON.stringify(validateState.errors)).toBe(true);
  });

  test.each([
    ['missing id', { ...good, id: undefined }],
    ['empty id', { ...good, id: '' }],
    ['unknown status', { ...good, status: 'exited' }],
    ['running without pid', { ...good, pid: undefined }],
    ['negative pid', { ...good, pid: -1 }],
    ['relative bundle', { ...good, bundle: 'containers/redis' }],
    ['bad created time', { ...good, created: '2024-05-01 10:00' }],
    ['non-string annotation', { ...good, annotations: { a: 1 } }],
    ['ociVersion not SemVer', { ...good, ociVersion: '1.0' }],
  ])('rejects %s', (_name, state) => {
    const clean = JSON.parse(JSON.stringify(state)) as unknown;
    expect(validateState(clean)).toBe(false);
  });
});

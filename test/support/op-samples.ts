// A valid value of every argument kind of the op schema, and values each kind refuses: what the op
// schema tests feed the TypeScript constructors and the helper's table.
import { OPS, type ArgKind, type ArgSpec, type OpName } from '../../src/linux/op-schema';

function sampleValue(kind: ArgKind): unknown {
  switch (kind.kind) {
    case 'int': return kind.max;
    case 'signed': return -kind.max;
    case 'u64': return 2n ** 64n - 1n;
    case 'hex64': return 0xabcn;
    case 'string': return 'some text';
    case 'path': return '/a/path';
    case 'enum': return kind.values[kind.values.length - 1];
  }
}

/** Fields of op name with a valid value for each argument. */
export function sampleFields(name: OpName): Record<string, unknown> {
  const fields: Record<string, unknown> = {};
  for (const spec of OPS[name].args as readonly ArgSpec[]) {
    if (spec.kind === 'list' || spec.kind === 'counted') fields[spec.name] = [sampleValue(spec.item), sampleValue(spec.item)];
    else if (spec.kind === 'env-or-inherit') fields[spec.name] = ['A=1'];
    else fields[spec.name] = sampleValue(spec);
  }
  return fields;
}

/** Wire texts the kind refuses (none for a string). */
export function badTexts(kind: ArgKind): string[] {
  switch (kind.kind) {
    case 'int': return [String(kind.max + 1), '-1', '1x', ...(kind.nullable ? [] : [''])];
    case 'signed': return [`-${kind.max + 1}`, String(kind.max + 1), '+1'];
    case 'u64': return ['18446744073709551616', '0x10', ''];
    case 'hex64': return ['10', '0x', '0xg1'];
    case 'path': return ['relative/path', ''];
    case 'enum': return [`${kind.values[0]}x`, ''];
    case 'string': return [];
  }
}

// linux.memoryPolicy as runc reads it: the node list, what each mode takes, runc's words, the op's numbers.
import { describe, expect, it } from 'vitest';
import { memoryPolicyArgs, memoryPolicyProblems, parseNodes } from '../../src/linux/memory-policy';
import { schemaProblems } from '../../src/runtime/bundle/schema-problems';
import { semanticProblems } from '../../src/runtime/bundle/semantic-checks';
import type { Spec } from '../../src/oci/types';

const problems = (memoryPolicy: unknown) => {
  const doc = { ociVersion: '1.3.0', linux: { memoryPolicy } } as unknown as Spec;
  return [...schemaProblems(doc), ...semanticProblems(doc)].filter((p) => p.path.startsWith('linux.memoryPolicy')).map((p) => `${p.path}: ${p.message}`);
};

describe('linux.memoryPolicy', () => {
  it('reads a node list like a CPU list: ranges, blanks and empty elements; at most node 1023', () => {
    expect(parseNodes('0-3, 7,,9')).toEqual([0, 1, 2, 3, 7, 9]);
    expect(parseNodes('1023')).toEqual([1023]);
    expect(parseNodes('0-9876543210')).toBe('node 9876543210 is larger than 1023');
    expect(parseNodes('3-1')).toBe('3-1 is not a range (its start is after its end)');
    expect(parseNodes('x')).toBe('"x" is not a node number');
    expect(parseNodes(',')).toBe('names no node');
  });

  it("refuses in runc's words: no or unknown mode, unknown flag, bad nodes, nodes the mode does not take", () => {
    expect(problems({})).toEqual([expect.stringMatching(/^linux\.memoryPolicy\.mode: invalid memory policy mode: is required/)]);
    expect(problems({ mode: 'INTERLEAVE', nodes: '0' })).toEqual([expect.stringMatching(/^linux\.memoryPolicy\.mode: invalid memory policy mode: /)]);
    expect(problems({ mode: 'MPOL_PREFERRED', nodes: '0', flags: ['MPOL_F_RELATIVE_NODES', 'badflag'] }))
      .toEqual([expect.stringMatching(/^linux\.memoryPolicy\.flags\[1\]: invalid memory policy flag: /)]);
    expect(problems({ mode: 'MPOL_BIND', nodes: '0-9876543210', flags: [] }))
      .toEqual(['linux.memoryPolicy.nodes: invalid memory policy nodes "0-9876543210": node 9876543210 is larger than 1023']);
    expect(problems({ mode: 'MPOL_DEFAULT', nodes: '0-7' })).toEqual(['linux.memoryPolicy.nodes: MPOL_DEFAULT: memory policy mode requires 0 nodes but got 8']);
    expect(problems({ mode: 'MPOL_BIND' })).toEqual(['linux.memoryPolicy.nodes: MPOL_BIND: memory policy mode requires at least one node but got 0']);
    expect(problems({ mode: 'MPOL_DEFAULT' })).toEqual([]);
    expect(problems({ mode: 'MPOL_PREFERRED' })).toEqual([]);
    expect(problems({ mode: 'MPOL_PREFERRED', nodes: '0', flags: ['MPOL_F_RELATIVE_NODES'] })).toEqual([]);
    expect(memoryPolicyProblems({ mode: 'MPOL_LOCAL', nodes: '' })).toEqual([]);
  });

  it("gives set_mempolicy the mode or-ed with its flags and the nodes as 64-bit words, lowest first", () => {
    expect(memoryPolicyArgs({ mode: 'MPOL_INTERLEAVE', nodes: '0' })).toEqual({ mode: 3, words: [1n] });
    expect(memoryPolicyArgs({ mode: 'MPOL_PREFERRED', nodes: '1', flags: ['MPOL_F_RELATIVE_NODES'] })).toEqual({ mode: 1 | (1 << 14), words: [2n] });
    expect(memoryPolicyArgs({ mode: 'MPOL_BIND', nodes: '0,63-64', flags: ['MPOL_F_STATIC_NODES'] })).toEqual({ mode: 2 | (1 << 15), words: [(1n << 63n) | 1n, 1n] });
    expect(memoryPolicyArgs({ mode: 'MPOL_DEFAULT' })).toEqual({ mode: 0, words: [] });
  });
});

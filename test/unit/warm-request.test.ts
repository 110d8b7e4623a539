// A front's request as the worker reads it (src/runtime/warm/request.ts); native/front/warm.c writes it.
import { describe, expect, it } from 'vitest';
import { parseRequest, PROTOCOL, receivedFds } from '../../src/runtime/warm/request';

/** A body as the front sends it after its length: NUL-terminated fields. */
const body = (fields: string[]) => Buffer.from(fields.map((f) => `${f}\0`).join(''), 'utf8');

const fields = (o: { helper?: string; preserve?: string; open?: string; argv?: string[]; env?: string[] } = {}) => [
  PROTOCOL, '123456789', '/tmp/ü dir', '22', o.helper ?? '', o.preserve ?? '0', o.open ?? '110',
  String((o.argv ?? ['state', 'c1']).length), ...(o.argv ?? ['state', 'c1']),
  String((o.env ?? ['PATH=/bin', 'A=b=c']).length), ...(o.env ?? ['PATH=/bin', 'A=b=c']),
];

describe('parseRequest', () => {
  it('reads every field, UTF-8 included', () => {
    expect(parseRequest(body(fields()))).toEqual({
      deadlineMs: 123456789, cwd: '/tmp/ü dir', umask: 0o22, preserveFds: 0, open: [true, true, false],
      argv: ['state', 'c1'], env: { PATH: '/bin', A: 'b=c' },
    });
  });

  it('a helper, preserved fds, empty arguments, and environment entries as Node reads its own', () => {
    const r = parseRequest(body(fields({ helper: '4242', preserve: '2', open: '11101', argv: ['run', '', 'x'], env: ['NOEQ', 'A=1', 'A=2', '=x'] })));
    expect(r.helperPid).toBe(4242);
    expect(r.preserveFds).toBe(2);
    expect(r.open).toEqual([true, true, true, false, true]);
    expect(r.argv).toEqual(['run', '', 'x']);
    expect(r.env).toEqual({ A: '1' });
  });

  it('says what is malformed', () => {
    expect(() => parseRequest(Buffer.alloc(0))).toThrow('no protocol');
    expect(() => parseRequest(Buffer.from(`${PROTOCOL}\u0000123`))).toThrow('a field without its NUL');
    expect(() => parseRequest(body(['tsrunc-warm-1', ...fields().slice(1)]))).toThrow('protocol "tsrunc-warm-1", not tsrunc-warm-2');
    expect(() => parseRequest(body(fields({ open: '11' })))).toThrow('bad open mask "11"');
    expect(() => parseRequest(body(fields({ helper: '0' })))).toThrow('bad helper pid "0"');
    expect(() => parseRequest(body(fields().slice(0, -1)))).toThrow('no environment entry');
    expect(() => parseRequest(body([...fields(), 'extra']))).toThrow('fields after the environment');
  });
});

describe('receivedFds', () => {
  it('maps the descriptors that came, in order, to the front\'s fd numbers, the helper\'s socket last', () => {
    const r = parseRequest(body(fields({ helper: '7', preserve: '1', open: '1011' })));
    expect(receivedFds(r, [20, 21, 22, 23])).toEqual({ byFrontFd: new Map([[0, 20], [2, 21], [3, 22]]), helperFd: 23 });
    expect(() => receivedFds(r, [20, 21])).toThrow('2 descriptors came with the request, not 4');
  });
});

// --preserve-fds: the range must be the caller's descriptors, every one open and none of Node's own.
import { describe, expect, it } from 'vitest';
import { checkPreservedFds } from '../../src/runtime/preserved-fds';

const fds = (links: Record<number, string>) => ({
  readlink: (link: string) => {
    const target = links[Number(link.replace('/proc/self/fd/', ''))];
    if (target === undefined) throw Object.assign(new Error(`readlink ${link}`), { code: 'ENOENT' });
    return target;
  },
});

describe('--preserve-fds', () => {
  it('takes a range the caller filled, of any kind of file', () => {
    expect(() => checkPreservedFds(fds({ 3: '/dev/null', 4: 'socket:[12]', 5: 'pipe:[7]' }), 3)).not.toThrow();
    expect(() => checkPreservedFds(fds({}), 0)).not.toThrow();
  });

  it('refuses a descriptor that is not open, or one Node\'s event loop took because it was free', () => {
    expect(() => checkPreservedFds(fds({ 3: '/dev/null' }), 2)).toThrow('--preserve-fds 2: file descriptor 4 is not open');
    expect(() => checkPreservedFds(fds({ 3: '/dev/null', 4: 'anon_inode:[eventpoll]' }), 2)).toThrow('--preserve-fds 2: file descriptor 4 is not open');
    expect(() => checkPreservedFds(fds({ 3: 'anon_inode:[eventfd]' }), 1)).toThrow('file descriptor 3 is not open');
    expect(() => checkPreservedFds(fds({}), -1)).toThrow('invalid --preserve-fds -1: must not be negative');
  });
});

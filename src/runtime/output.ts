// Writes to stdout with a plain write(2): process.stdout would load Node's stream machinery, a few ms
// of every command's start.
import * as fs from 'node:fs';
import { errnoOf } from '../common/errors';
import { sleepMs } from '../linux/proc';

export function print(text: string | Buffer): void {
  const buf = typeof text === 'string' ? Buffer.from(text) : text;
  let off = 0;
  while (off < buf.length) {
    try {
      off += fs.writeSync(1, buf, off);
    } catch (err) {
      // stdout may be a non-blocking pipe that is full for a moment.
      if (errnoOf(err) !== 'EAGAIN') throw err;
      sleepMs(1);
    }
  }
}

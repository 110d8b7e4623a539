// Lists of small ids as the kernel prints them ("0-3,7"): NUMA nodes (linux.memoryPolicy.nodes) and
// CPUs (process.execCPUAffinity), both read as runc reads them, at most id 1023 (the kernel's and
// runc's 1024-bit sets). Pure.

/** Ids a list can name: MAX_NUMNODES and CPU_SETSIZE on common builds, as runc's sets. */
export const MAX_IDS = 1024;

/**
 * "0-3,7" → [0, 1, 2, 3, 7] (blanks around elements and empty elements allowed, as runc has it); a string
 * saying what is wrong otherwise, naming the ids as `noun` ("node", "CPU").
 */
export function parseIdList(list: string, noun: string): number[] | string {
  const ids = new Set<number>();
  const value = (text: string): number | string => {
    if (!/^\d+$/.test(text)) return `${JSON.stringify(text)} is not a ${noun} number`;
    const n = Number(text);
    return n >= MAX_IDS ? `${noun} ${text} is larger than ${MAX_IDS - 1}` : n;
  };
  for (const raw of list.split(',')) {
    const element = raw.trim();
    if (element === '') continue;
    const dash = element.indexOf('-');
    const [first, last] = dash < 0 ? [value(element), value(element)] : [value(element.slice(0, dash)), value(element.slice(dash + 1))];
    if (typeof first === 'string') return first;
    if (typeof last === 'string') return last;
    if (first > last) return `${element} is not a range (its start is after its end)`;
    for (let n = first; n <= last; n++) ids.add(n);
  }
  if (ids.size === 0) return `names no ${noun}`;
  return [...ids].sort((a, b) => a - b);
}

/** The ids as a bit mask in words of 64 bits, lowest first (as set_mempolicy and sched_setaffinity take it). */
export function idMask(ids: readonly number[]): bigint[] {
  const words: bigint[] = [];
  for (const n of ids) {
    const w = Math.floor(n / 64);
    while (words.length <= w) words.push(0n);
    words[w] |= 1n << BigInt(n % 64);
  }
  return words;
}

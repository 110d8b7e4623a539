// "Did you mean": the allowed word a given one most likely misspells, for the hints of bundle checks
// and of the plan builder.

/**
 * Edit distance (insertions, deletions, substitutions, and swaps of two adjacent letters, the
 * commonest typo: "pdi" is one edit from "pid") between two strings.
 */
export function levenshtein(a: string, b: string): number {
  if (a === b) return 0;
  if (a.length === 0) return b.length;
  if (b.length === 0) return a.length;
  let before: number[] = [];
  let prev = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const cur = [i];
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      cur[j] = Math.min(prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + cost);
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) cur[j] = Math.min(cur[j], before[j - 2] + 1);
    }
    before = prev;
    prev = cur;
  }
  return prev[b.length];
}

/** The largest edit distance still taken for a typo of a word this long. */
export function typoBudget(length: number): number {
  if (length <= 3) return 1;
  if (length <= 8) return 2;
  return 3;
}

/** The prefix all candidates share, up to and including its last '_' or '.' ("SCMP_ARCH_"). */
function sharedPrefix(candidates: readonly string[]): string {
  if (candidates.length < 2) return '';
  let prefix = candidates[0].toUpperCase();
  for (const c of candidates) {
    const u = c.toUpperCase();
    let i = 0;
    while (i < prefix.length && i < u.length && prefix[i] === u[i]) i++;
    prefix = prefix.slice(0, i);
  }
  const cut = Math.max(prefix.lastIndexOf('_'), prefix.lastIndexOf('.'));
  return cut < 0 ? '' : prefix.slice(0, cut + 1);
}

/**
 * The candidate `word` most likely misspells, or undefined when none is close. A prefix shared by
 * all candidates ("SCMP_ARCH_") is set aside, so "x86_64" finds SCMP_ARCH_X86_64 and the typo
 * budget applies to the part that differs. A match ignoring case wins; then, with `prefix`, the
 * one candidate the word abbreviates ("net" → network) or extends ("EQUAL" → EQ); otherwise the
 * nearest one within `maxDistance` (default: by the word's length).
 */
export function closestMatch(
  word: string,
  candidates: readonly string[],
  options: { maxDistance?: number; prefix?: boolean } = {},
): string | undefined {
  if (candidates.includes(word)) return undefined;
  const shared = sharedPrefix(candidates);
  const strip = (s: string) => (shared !== '' && s.toUpperCase().startsWith(shared) ? s.slice(shared.length) : s).toLowerCase();
  const w = strip(word);
  const stripped = candidates.map(strip);
  const same = stripped.indexOf(w);
  if (same >= 0) return candidates[same];
  let best: string | undefined;
  let bestDistance = Infinity;
  candidates.forEach((c, i) => {
    const d = levenshtein(w, stripped[i]);
    if (d < bestDistance) {
      best = c;
      bestDistance = d;
    }
  });
  // A one-letter slip beats the prefix rules ("X86_65" is X86_64, not X86).
  if (bestDistance <= 1 && w.length >= 2) return best;
  if (options.prefix && w.length >= 2) {
    const abbreviated = candidates.filter((_, i) => w.length >= 3 && stripped[i].startsWith(w));
    if (abbreviated.length === 1) return abbreviated[0];
    const extended = candidates.filter((_, i) => stripped[i].length >= 2 && w.startsWith(stripped[i]));
    if (extended.length === 1) return extended[0];
  }
  const budget = options.maxDistance ?? typoBudget(w.length);
  // A distance as large as the word itself means a different word, however short.
  return best !== undefined && bestDistance <= budget && bestDistance < w.length ? best : undefined;
}

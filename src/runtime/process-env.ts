// The environment a container's process gets from process.env, as runc's init prepares it
// (libcontainer/env.go prepareEnv): each name once, HOME from the user's passwd entry when unset or empty.

/** The environment with each name once (its last value wins, at its last place), as runc does. */
export function dedupEnv(env: readonly string[]): string[] {
  const seen = new Set<string>();
  const out: string[] = [];
  for (let i = env.length - 1; i >= 0; i--) {
    const eq = env[i].indexOf('=');
    const name = eq < 0 ? env[i] : env[i].slice(0, eq);
    if (seen.has(name)) continue;
    seen.add(name);
    out.push(env[i]);
  }
  return out.reverse();
}

/**
 * process.env as runc passes it to the program: de-duplicated (the last value of a name wins); an
 * empty HOME (the last one given) is dropped and, as when there is none, HOME=<home> is added at the
 * end, `home()` being the user's passwd entry's home, else "/". No process.env at all stays empty
 * (runc adds nothing to a nil environment).
 */
export function processEnv(env: readonly string[] | undefined, home: () => string): string[] {
  if (env === undefined) return [];
  const out = dedupEnv(env).filter((e) => e !== 'HOME=');
  if (out.some((e) => e.startsWith('HOME='))) return out;
  return [...out, `HOME=${home()}`];
}

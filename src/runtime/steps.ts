// Steps that each undo what they did: runSteps runs them in order and, when one fails, undoes the ones
// done before it, last first, then rethrows the failure. A step that fails leaves nothing of its own.
import type { Logger } from './log';

export interface Step<C> {
  /** What the step does, as a log line names it ("make the cgroup"). */
  readonly name: string;
  run(c: C): void;
  /** Undoes run(c) after a later step failed; absent when what it did goes with an earlier step's undo. */
  undo?(c: C): void;
}

/**
 * Runs `steps` in order, appending each to `done` once it succeeded. When one fails, every step in
 * `done` (from earlier calls too) is undone and the failure rethrown.
 */
export function runSteps<C>(steps: readonly Step<C>[], c: C, log: Logger, done: Step<C>[] = []): void {
  for (const step of steps) {
    try {
      step.run(c);
    } catch (err) {
      undoSteps(done, c, log);
      throw err;
    }
    done.push(step);
  }
}

/** Undoes the steps in `done`, last first, emptying it; an undo that fails is logged and the others still run. */
export function undoSteps<C>(done: Step<C>[], c: C, log: Logger): void {
  for (let step = done.pop(); step !== undefined; step = done.pop()) {
    try {
      step.undo?.(c);
    } catch (err) {
      log.warn(`cannot undo "${step.name}": ${(err as Error).message}`);
    }
  }
}

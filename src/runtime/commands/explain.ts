// explain: the plan create would run, and the cgroup files it would write, built by the same code as
// create (prepareCreate) and printed, creating nothing: no state, no cgroup, no process.
import * as path from 'node:path';
import type { CommandHandler } from './types';
import { prepareCreate } from '../create';
import { checkId } from '../state-store';
import { print } from '../output';
import { ANSI, explainJson, explainText, PLAIN, type ExplainData } from '../explain';
import { colourWanted } from '../bundle/report';
import { isRuntimeError, type Problem } from '../../common/errors';
import { checkTerminal } from '../terminal';

/** The id explained when none is given (it only shows in the state dir and the default cgroup path). */
export const DEFAULT_EXPLAIN_ID = 'container';

export const explain: CommandHandler = async (ctx) => {
  const id = ctx.positionals[0] ?? DEFAULT_EXPLAIN_ID;
  checkId(id);
  const bundleDir = path.resolve((ctx.flags.bundle as string | undefined) ?? process.cwd());
  const consoleSocket = ctx.flags['console-socket'] as string | undefined;
  const prepared = prepareCreate(bundleDir, {
    id,
    stateDir: ctx.store.dir(id),
    noPivot: Boolean(ctx.flags['no-pivot']),
    preserveFds: (ctx.flags['preserve-fds'] as number | undefined) ?? 0,
    ...(consoleSocket !== undefined ? { consoleSocket } : {}),
    cgroupFor: (o) => ctx.host.cgroupFor(o),
  });
  const warnings: Problem[] = prepared.problems.filter((p) => p.severity === 'warning');
  // What create (which detaches) would refuse about the terminal, as a warning: the plan is still shown.
  try {
    checkTerminal(prepared.bundle.spec.process?.terminal === true, consoleSocket, true);
  } catch (err) {
    if (!isRuntimeError(err)) throw err;
    warnings.push({ severity: 'warning', path: 'process.terminal', message: `create would refuse this: ${err.message}` });
  }
  if (ctx.store.exists(id)) {
    warnings.push({ severity: 'warning', path: '', message: `a container ${JSON.stringify(id)} exists under ${ctx.store.root}: create would refuse this id` });
  }
  const data: ExplainData = {
    id,
    bundle: prepared.bundle.dir,
    plan: prepared.plan,
    cgroup: {
      driver: prepared.cgroup.driver, paths: prepared.cgroup.paths, writes: prepared.writes,
      ...(prepared.deviceProgram !== undefined ? { deviceProgram: prepared.deviceProgram } : {}),
      unsupported: prepared.unsupported,
      ...(prepared.cgroup.unitPlan ? { systemd: prepared.cgroup.unitPlan() } : {}),
    },
    capLastCap: prepared.host.capLastCap,
    warnings,
    ...(prepared.bundle.spec.hooks ? { hooks: prepared.bundle.spec.hooks } : {}),
  };
  if (ctx.flags.json) print(`${JSON.stringify(explainJson(data), null, 2)}\n`);
  else print(explainText(data, colourWanted() ? ANSI : PLAIN));
  return 0;
};

// check: every problem of a bundle, with where it is in config.json, found before anything is made
// (the same diagnosis create refuses a bundle with). Exit 0 when there is no error, 1 otherwise.
import * as path from 'node:path';
import type { CommandHandler } from './types';
import { diagnoseBundle } from '../create';
import { problemsOf } from '../../common/errors';
import { print } from '../output';
import { ANSI_REPORT, checkJson, CheckReport, checkText, colourWanted, PLAIN_REPORT } from '../bundle/report';

/** The id used for paths that depend on one (cgroup, state dir): check has no container. */
const CHECK_ID = 'check';

export const check: CommandHandler = async (ctx) => {
  const bundleDir = path.resolve((ctx.flags.bundle as string | undefined) ?? process.cwd());
  let report: CheckReport;
  try {
    const d = diagnoseBundle(bundleDir, { id: CHECK_ID, stateDir: ctx.store.dir(CHECK_ID), noPivot: false, preserveFds: 0, cgroupFor: (o) => ctx.host.cgroupFor(o) });
    report = { bundle: d.bundle.dir, config: d.bundle.configPath, source: d.bundle.source, problems: d.problems };
  } catch (err) {
    // No document to look at (no bundle, no config.json, not JSON): that is the one problem.
    report = { bundle: bundleDir, config: path.join(bundleDir, 'config.json'), problems: problemsOf(err, '') };
  }
  if (ctx.flags.json) print(`${JSON.stringify(checkJson(report), null, 2)}\n`);
  else print(checkText(report, colourWanted() ? ANSI_REPORT : PLAIN_REPORT));
  return report.problems.some((p) => p.severity === 'error') ? 1 : 0;
};

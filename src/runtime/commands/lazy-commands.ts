// The commands that read a config, a process or resources (validators, plan builder, helper client), and
// ps's table: a dist file of their own (dist/lazy-commands.js), loaded only by them, so that state,
// start, kill and delete do not compile it.
export { create } from './create';
export { run } from './run';
export { check } from './check';
export { explain } from './explain';
export { exec } from './exec';
export { psTable } from './ps-table';
export { update } from './update';
export { featuresCommand as features } from './features';
export { events } from './events';

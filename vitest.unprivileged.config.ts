// The suites that need neither root nor containers (`npm run test:unprivileged`, README): the unit
// tests (the fake host's among them), the schema and `check` corpora, the cgroup planners. Each was
// checked to pass as an unprivileged user; `npm run build` must have run (check runs bin/tsrunc).
import { defineConfig } from 'vitest/config';
import base from './vitest.config';

export default defineConfig({
  ...base,
  test: {
    ...base.test,
    include: [
      'test/unit/**/*.test.ts',
      'test/schema/**/*.test.ts',
      'test/check/check.test.ts',
      // create of each broken bundle is refused before anything is made.
      'test/check/broken-bundles.test.ts',
      'test/cgroups/layout.test.ts',
      'test/cgroups/paths.test.ts',
      // The systemd driver's names, properties and calls, on a fake bus.
      'test/cgroups/systemd.test.ts',
      'test/cgroups/resource-writes.test.ts',
    ],
    // The real tsrunc-init, as root.
    exclude: ['test/unit/helper-client.test.ts'],
  },
});

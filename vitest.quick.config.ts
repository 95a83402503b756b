import { defineConfig } from 'vitest/config';
import base from './vitest.config.js';

/**
 * `npm run test:quick`: the tests that need no sandbox, no root and no network of their own (parsers, planners,
 * signers, presenters, wizard screens), for a check in well under a minute. `npm test` runs these and the rest.
 */
export default defineConfig({
  test: {
    ...base.test,
    include: [
      'src/**/*.test.ts',
      'src/**/*.test.tsx',
      'test/integration/archive/profile.test.ts',
      'test/integration/archive/lvm-plan.test.ts',
      'test/integration/export/manifest.test.ts',
      'test/integration/export/sigv2.test.ts',
      'test/integration/ssh/host-key.test.ts',
      'test/integration/wizard/screens.test.tsx',
      'test/integration/ui/phase-lists.test.ts',
      'test/architecture/imports.test.ts',
    ],
  },
});

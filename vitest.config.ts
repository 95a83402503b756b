import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['src/**/*.test.ts', 'src/**/*.test.tsx', 'test/**/*.test.ts', 'test/**/*.test.tsx'],
    pool: 'forks',
    testTimeout: 120_000,
    hookTimeout: 120_000,
    // Integration files each start their own sandbox (moto + sshd); two at a time suits a 2-core machine.
    maxWorkers: 2,
  },
});

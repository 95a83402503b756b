import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['src/**/*.test.ts', 'src/**/*.test.tsx', 'test/**/*.test.ts', 'test/**/*.test.tsx'],
    pool: 'forks',
    testTimeout: 600_000, // an upper bound for a condition that never comes, not a speed target
    hookTimeout: 600_000,
    // Integration files each start their own sandbox (moto + sshd) and mostly wait on it, on ssh and on disks:
    // four files at a time keep a 2-core machine busy without starving any one of them.
    maxWorkers: 4,
  },
});

import { defineConfig } from 'vitest/config';

// The GitOps suite (`npm run test:gitops`, scripts/gitops/run.ts): test/gitops/ against Argo CD managing the
// pod suite's control plane and node and a second control plane, all started by test/gitops/global-setup.ts
// inside the suite's network namespace. The main suite (vitest.config.ts) excludes these files.
export default defineConfig({
  test: {
    include: ['test/gitops/**/*.test.ts'],
    globalSetup: ['test/gitops/global-setup.ts'],
    // One file at a time: one Argo CD and one 2-core node serve every test. Two at a time (any two fit the
    // node's CPU requests) was slower on a loaded machine (each waits on the same CPUs) and made databases'
    // readiness probes miss.
    fileParallelism: false,
    // 10 syncs of five Applications, each running its hooks on one 2-core node, took 13-20 minutes on a
    // 2-core machine at load averages of 10-30.
    testTimeout: 1_800_000,
    hookTimeout: 900_000,
    // Never retry: a flaky GitOps test is a bug to fix, not to hide.
    retry: 0,
  },
});

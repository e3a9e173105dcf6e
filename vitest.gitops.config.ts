import { defineConfig } from 'vitest/config';

// The GitOps suite (`npm run test:gitops`, scripts/gitops/run.ts): test/gitops/ against Argo CD managing the
// pod suite's control plane and node and a second control plane, all started by test/gitops/global-setup.ts
// inside the suite's network namespace. The main suite (vitest.config.ts) excludes these files.
export default defineConfig({
  test: {
    include: ['test/gitops/**/*.test.ts'],
    globalSetup: ['test/gitops/global-setup.ts'],
    // Two files at a time: each spends most of its time waiting on Argo CD (its requeue delays, hook Jobs
    // on the node), and any two of them fit the node's 2 CPUs in requests (the applications file ~0.95 CPU,
    // the upgrades ~0.5 at their peak, the others 0.15 each); all four at once would come close.
    fileParallelism: true,
    maxWorkers: 2,
    // 10 syncs of five Applications, each running its hooks on one 2-core node, took 20 minutes on a 2-core
    // machine at a load average of ~30.
    testTimeout: 1_800_000,
    hookTimeout: 900_000,
    // Never retry: a flaky GitOps test is a bug to fix, not to hide.
    retry: 0,
  },
});

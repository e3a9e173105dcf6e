import { defineConfig } from 'vitest/config';

// The pod suite (`npm run test:pods`, scripts/node/run.ts): test/pods/ against a control plane and a real
// node (kubelet, containerd) that test/pods/global-setup.ts starts inside the suite's network namespace.
// The main suite (vitest.config.ts) excludes these files.
export default defineConfig({
  test: {
    include: ['test/pods/**/*.test.ts'],
    globalSetup: ['test/pods/global-setup.ts'],
    // One file at a time: one 2-core node runs every pod.
    fileParallelism: false,
    testTimeout: 600_000,
    hookTimeout: 900_000,
    // Never retry: a flaky pod test is a bug to fix, not to hide.
    retry: 0,
  },
});

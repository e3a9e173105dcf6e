import { defineConfig } from 'vitest/config';

// The cluster suite (`npm run test:cluster`): test/cluster/ against a real control plane that
// test/cluster/global-setup.ts brings up (or finds through KUBECONFIG) and tears down. The main
// suite (vitest.config.ts) excludes these files.
export default defineConfig({
  test: {
    include: ['test/cluster/**/*.test.ts'],
    globalSetup: ['test/cluster/global-setup.ts'],
    // One file at a time: every file installs releases into one shared 2-core control plane.
    fileParallelism: false,
    testTimeout: 600_000,
    hookTimeout: 900_000,
    // Never retry: a flaky cluster test is a bug to fix, not to hide.
    retry: 0,
  },
});

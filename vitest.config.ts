import * as path from 'node:path';
import { defineConfig } from 'vitest/config';

export default defineConfig({
  // The examples import the package by its name, as a platform team's code does.
  resolve: { alias: { 'chart-as-code': path.resolve(__dirname, 'lib/index.ts') } },
  test: {
    include: ['test/**/*.test.ts'],
    // The cluster suite needs a control plane (`npm run test:cluster`), the pod suite a node (`npm run test:pods`), the GitOps suite Argo CD (`npm run test:gitops`).
    exclude: ['test/cluster/**', 'test/pods/**', 'test/gitops/**', 'node_modules/**'],
    testTimeout: 600_000,
    hookTimeout: 600_000,
  },
});

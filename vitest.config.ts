import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    // The cluster suite needs a control plane: `npm run test:cluster`.
    exclude: ['test/cluster/**', 'node_modules/**'],
    testTimeout: 600_000,
    hookTimeout: 600_000,
  },
});

/**
 * `npm run test:gitops`: the GitOps suite (test/gitops/), Argo CD deploying the charts and dist/ for real.
 *
 * Everything the pod suite prepares (scripts/node/run.ts: the node's packages, binaries and images, its
 * network namespace, the leak check), plus Argo CD, the git server and Redis built from Go modules and
 * cached (scripts/gitops/binaries.ts). test/gitops/global-setup.ts starts the pod suite's control plane
 * and node, a second control plane (kwok nodes) for the fleet, the chart repository and Argo CD.
 *
 * Ends with a plain "gitops: N passed, N failed" line.
 */
import { runNodeSuite } from '../node/run';
import { ensureGitopsBinaries } from './binaries';

runNodeSuite({
  label: 'gitops',
  config: 'vitest.gitops.config.ts',
  args: process.argv.slice(2),
  prepare: async () => {
    await ensureGitopsBinaries();
  },
})
  .then((code) => process.exit(code))
  .catch((err: unknown) => {
    process.stderr.write(`${err instanceof Error ? err.message : String(err)}\n`);
    process.exit(1);
  });

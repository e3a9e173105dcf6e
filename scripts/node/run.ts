/**
 * `npm run test:pods`: the pod suite (test/pods/), where the charts' pods really run.
 *
 *  1. what the node needs: Debian's containerd, runc, CNI plugins and iptables (installed if missing),
 *     the control plane, kubelet, kube-proxy and CoreDNS binaries (built once, cached), the images
 *     (built once per content from Debian packages, cached): all before any namespace exists, since
 *     apt needs the network;
 *  2. a network namespace of its own, where vitest runs (test/pods/global-setup.ts starts the control
 *     plane and the node in it; every address of the suite is in it and nothing leaves it);
 *  3. the leak check: no process may be left in that namespace, in the node's mount namespace or
 *     cgroups, nor of the control plane; anything left is killed and fails the run.
 *
 * Ends with a plain "pods: N passed, N failed" line (scripts/cluster/run.ts's runSuite).
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { ensureBinaries } from '../cluster/binaries';
import { clusterLeaks, runSuite } from '../cluster/run';
import { ensureImages, IMAGES_ENV } from './images';
import { createNetworkNamespace, membersOf, namespaceInode, nsenterArgs, releaseNamespace } from './namespaces';
import { ensureDebianPackages, nodeStateRoot, orphanedNodeProcesses, sweepNodes } from './node';

const log = (line: string): void => {
  process.stdout.write(`${line}\n`);
};

/**
 * A suite on the pod suite's node: `label`, vitest `config`, and what else it needs prepared (after the
 * node's packages, binaries and images; before the network namespace exists). The GitOps suite
 * (scripts/gitops/run.ts) is one.
 */
export async function runNodeSuite(opts: { label: string; config: string; args: string[]; prepare?: () => Promise<void> }): Promise<number> {
  fs.mkdirSync(nodeStateRoot(), { recursive: true });
  const netns = path.join(nodeStateRoot(), `net-${process.pid}`);
  const imagesFile = path.join(nodeStateRoot(), `images-${process.pid}.json`);
  let inode = 0;
  try {
    return await runSuite({
      label: opts.label,
      config: opts.config,
      args: opts.args,
      prepare: async () => {
        await sweepNodes(log);
        ensureDebianPackages(log);
        await ensureBinaries(log, { node: true });
        const started = Date.now();
        fs.writeFileSync(imagesFile, JSON.stringify(ensureImages(log)));
        log(`[images] ready in ${Math.round((Date.now() - started) / 1000)}s`);
        await opts.prepare?.();
        createNetworkNamespace(netns);
        inode = namespaceInode(netns);
        process.env[IMAGES_ENV] = imagesFile;
      },
      wrap: (cmd, args) => nsenterArgs({ net: netns }, cmd, args),
      leaks: async () => {
        const leaked = [
          ...orphanedNodeProcesses().map((p) => `node ${p.node} pid ${p.pid}`),
          ...(inode ? membersOf('net', inode).map((pid) => `pid ${pid} in the suite's network namespace`) : []),
        ];
        await sweepNodes(log);
        for (const pid of inode ? membersOf('net', inode) : []) process.kill(pid, 'SIGKILL');
        return [...leaked, ...(await clusterLeaks())];
      },
    });
  } finally {
    releaseNamespace(netns);
    fs.rmSync(imagesFile, { force: true });
  }
}

if (require.main === module) {
  runNodeSuite({ label: 'pods', config: 'vitest.pods.config.ts', args: process.argv.slice(2) })
    .then((code) => process.exit(code))
    .catch((err: unknown) => {
      process.stderr.write(`${err instanceof Error ? err.message : String(err)}\n`);
      process.exit(1);
    });
}

/**
 * vitest globalSetup of the GitOps suite (run by scripts/gitops/run.ts inside the suite's network namespace):
 * the pod suite's control plane and real node (test/pods/global-setup.ts: `inject('cluster')`,
 * `inject('pods')`), a second control plane with kwok nodes (the fleet's other cluster), the charts
 * packaged into an HTTP chart repository (`npm run package`'s code, served on loopback) and pushed to an OCI
 * registry (`npm run publish:oci`'s code, Debian's docker-registry on loopback), and Argo CD
 * (scripts/gitops/argocd.ts) installed into the first control plane, managing both. Hands them to the
 * tests through `inject('gitops')`; stops Argo CD, the repository, the second control plane, then the node's.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import type { TestProject } from 'vitest/node';
import { ociCommand, packageCommand } from '../../lib/publish/commands';
import { down, up } from '../../scripts/cluster/cluster';
import { startArgoCD } from '../../scripts/gitops/argocd';
import { NODE_IP } from '../../scripts/node/namespaces';
import { gitopsBinaryPaths } from '../../scripts/gitops/binaries';
import podsSetup from '../pods/global-setup';
import { captureOutput, helmHome, serveStatic, startRegistry } from '../publish/support';
import type { ProvidedCluster } from '../cluster/global-setup';

export interface ProvidedGitops {
  argocdVersion: string;
  /** Base URL of the git server (`<git>/<name>.git`). */
  git: string;
  /** The HTTP chart repository holding every chart of charts/ (index.yaml at its root). */
  chartRepo: string;
  /**
   * The OCI registry holding every chart of charts/, as an Argo CD Helm source names it (`<host>/charts`, no
   * scheme; `npm run publish:oci`'s code pushed them to `oci://<host>/charts/<chart>`). Registered in Argo CD
   * as a Helm repository with OCI enabled over plain HTTP (loopback).
   */
  ociRepo: string;
  /** API server URL of each cluster Argo CD manages, by its name there: `pods` (the real node), `fleet` (kwok). */
  servers: Record<'pods' | 'fleet', string>;
  /** The second control plane (kwok nodes). */
  fleet: Pick<ProvidedCluster, 'kubeconfig' | 'kubectl' | 'serverVersion'>;
  /** Argo CD's state directory (component logs: <dir>/<component>.log). */
  dir: string;
}

declare module 'vitest' {
  export interface ProvidedContext {
    gitops: ProvidedGitops;
  }
}

const log = (l: string): void => {
  process.stdout.write(`${l}\n`);
};

export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  const stopPods = await podsSetup(project);
  const teardown: (() => Promise<void>)[] = [stopPods];
  const stopAll = async (): Promise<void> => {
    for (const t of teardown.splice(0).reverse()) await t();
  };
  try {
    const mgmt = project.getProvidedContext().cluster;
    const fleetName = `fleet-${process.pid}`;
    // The suite's network namespace has no default route: the apiserver advertises the node address.
    const fleet = await up({ name: fleetName, log, apiserverArgs: [{ key: 'advertise-address', value: NODE_IP }] });
    teardown.push(() => down(fleetName, log));

    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'gitops-'));
    teardown.push(async () => fs.rmSync(dir, { recursive: true, force: true }));
    const www = path.join(dir, 'www');
    const server = await serveStatic(www);
    teardown.push(() => server.close());
    const out = captureOutput();
    await packageCommand(['--out', www, '--url', server.url], { helmEnv: helmHome(path.join(dir, 'helm-package')), out });
    fs.mkdirSync(path.join(dir, 'registry'));
    const registry = await startRegistry(path.join(dir, 'registry'));
    teardown.push(() => registry.stop());
    const ociRepo = `${registry.host}/charts`;
    await ociCommand([`oci://${ociRepo}`, '--plain-http', '--helm', '4'], { helmEnv: helmHome(path.join(dir, 'helm-oci')), out });

    const argocd = await startArgoCD({
      dir: path.join(dir, 'argocd'),
      management: mgmt,
      clusters: [
        { name: 'pods', kube: mgmt },
        { name: 'fleet', kube: fleet },
      ],
      bins: gitopsBinaryPaths(),
      helmOciRepos: [ociRepo],
      log,
    });
    teardown.push(async () => {
      // GITOPS_KEEP_LOGS=<dir>: the components' logs outlive the run (the state directory is removed), to read a failure.
      const keep = process.env.GITOPS_KEEP_LOGS;
      if (keep) {
        fs.mkdirSync(keep, { recursive: true });
        for (const f of fs.readdirSync(path.join(dir, 'argocd')).filter((f) => f.endsWith('.log'))) fs.copyFileSync(path.join(dir, 'argocd', f), path.join(keep, f));
        log(`[gitops] Argo CD's logs kept in ${keep}`);
      }
      await argocd.stop();
    });
    project.provide('gitops', {
      argocdVersion: argocd.version,
      git: argocd.git,
      chartRepo: server.url,
      ociRepo,
      servers: argocd.servers as Record<'pods' | 'fleet', string>,
      fleet: { kubeconfig: fleet.kubeconfig, kubectl: fleet.kubectl, serverVersion: fleet.serverVersion },
      dir: path.join(dir, 'argocd'),
    });
  } catch (err) {
    await stopAll();
    throw err;
  }
  return stopAll;
}

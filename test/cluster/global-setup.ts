/**
 * vitest globalSetup of the cluster suite: brings the control plane up (or uses the cluster KUBECONFIG
 * points at) before any test file runs, hands its kubeconfig and kubectl to the tests through
 * `inject('cluster')`, and tears it down afterwards, leaving nothing running.
 */
import type { TestProject } from 'vitest/node';
import { ClusterInfo, componentPids, down, up } from '../../scripts/cluster/cluster';

export interface ProvidedCluster {
  kubeconfig: string;
  kubectl: string;
  external: boolean;
  serverVersion: string;
  /** Component pids of our cluster, for the loopback-only check (empty when external). */
  pids: { component: string; pid: number }[];
}

declare module 'vitest' {
  export interface ProvidedContext {
    cluster: ProvidedCluster;
  }
}

let info: ClusterInfo | undefined;

export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  info = await up({ log: (l) => process.stdout.write(`${l}\n`) });
  project.provide('cluster', {
    kubeconfig: info.kubeconfig,
    kubectl: info.kubectl,
    external: info.external,
    serverVersion: info.serverVersion,
    pids: info.name ? componentPids(info.name) : [],
  });
  return async () => {
    if (info && !info.external && info.name) await down(info.name);
  };
}

/**
 * vitest globalSetup of the pod suite (run by scripts/node/run.ts inside the suite's network namespace):
 * starts a control plane whose apiserver advertises the node address, then a real node (kubelet,
 * containerd, kube-proxy, CoreDNS) with the suite's images imported; hands both to the tests through
 * `inject('cluster')` (the cluster suite's helpers work unchanged) and `inject('pods')`; stops the node,
 * then the control plane.
 */
import * as fs from 'node:fs';
import type { TestProject } from 'vitest/node';
import { ensureBinaries } from '../../scripts/cluster/binaries';
import { componentPids, down, up } from '../../scripts/cluster/cluster';
import { BuiltImage, BuiltImages, ImageName, IMAGES_ENV } from '../../scripts/node/images';
import { NODE_IP } from '../../scripts/node/namespaces';
import { KUBERNETES_SERVICE_IP, NODE_NAME, SERVICE_CIDR, startNode, stopNode, volumesDir } from '../../scripts/node/node';
import type { ProvidedCluster } from '../cluster/global-setup';

export interface ProvidedPods {
  /** Every image of the suite, by name. */
  images: Record<ImageName, BuiltImage>;
  node: string;
  /** Directory of the node's `local` PersistentVolumes (one directory per volume). */
  volumes: string;
}

declare module 'vitest' {
  export interface ProvidedContext {
    pods: ProvidedPods;
  }
}

const log = (l: string): void => {
  process.stdout.write(`${l}\n`);
};

export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  const imagesFile = process.env[IMAGES_ENV];
  if (!imagesFile) throw new Error(`${IMAGES_ENV} is not set: run the pod suite with \`npm run test:pods\``);
  const built = JSON.parse(fs.readFileSync(imagesFile, 'utf8')) as BuiltImages;
  // Pods need the suite's images in the node's runtime: a cluster KUBECONFIG points at is never used.
  delete process.env.KUBECONFIG;
  const name = `pods-${process.pid}`;
  const info = await up({
    name,
    log,
    realNodes: {
      // Pods reach the apiserver through the `kubernetes` Service (its ClusterIP must be in the certificate).
      options: { kubeApiserverCertSANs: [KUBERNETES_SERVICE_IP, NODE_IP] },
      componentsPatches: [
        {
          name: 'kube-apiserver',
          extraArgs: [
            { key: 'bind-address', value: '0.0.0.0' }, // every address of the suite's namespace, not only loopback
            { key: 'advertise-address', value: NODE_IP },
            { key: 'service-cluster-ip-range', value: SERVICE_CIDR },
            // logs, exec: dial the kubelet at the node address (its host name resolves nowhere here)
            { key: 'kubelet-preferred-address-types', value: 'InternalIP' },
          ],
        },
      ],
      provisionerArgs: ['--local', volumesDir(name), '--node', NODE_NAME],
    },
  });
  try {
    const { paths } = await ensureBinaries(log, { node: true });
    await startNode({ name, kube: info, bins: paths, images: built, log });
  } catch (err) {
    await down(name, log);
    throw err;
  }
  const cluster: ProvidedCluster = { kubeconfig: info.kubeconfig, kubectl: info.kubectl, external: false, serverVersion: info.serverVersion, pids: componentPids(name) };
  project.provide('cluster', cluster);
  project.provide('pods', { images: built.images, node: NODE_NAME, volumes: volumesDir(name) });
  return async () => {
    await stopNode(name, log);
    await down(name, log);
  };
}

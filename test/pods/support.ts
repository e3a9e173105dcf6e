/**
 * Helpers of the pod suite: the cluster suite's helpers (the same `inject('cluster')`), the suite's images
 * as chart values, values that fit the one 2-core node, and reading what pods really did (logs, exec).
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { inject } from 'vitest';
import YAML from 'yaml';
import { HelmMajor } from '../../lib/tooling/helm';
import type { ImageName } from '../../scripts/node/images';
import { cluster, getJson, helm, K8sObject, kubectl, REPO } from '../cluster/support';
import type { ProvidedPods } from './global-setup';

export * from '../cluster/support';

export function pods(): ProvidedPods {
  return inject('pods');
}

/** The main image of each chart's product, by chart. */
const PRODUCT_IMAGE: Record<string, ImageName> = { 'md-core': 'md-standin', 'md-icapsrv': 'md-standin', 'sv-server': 'sv-server' };

/** Which of the suite's images each image value takes (`image` is the product's, see PRODUCT_IMAGE). */
const IMAGE_VALUES: Record<string, ImageName | 'product'> = {
  image: 'product',
  'database.inCluster.image': 'postgres',
  'hotBackup.image': 'toolbox',
  'credentialGenerator.image': 'toolbox',
  'tests.image': 'toolbox',
  'consumer.image': 'toolbox',
  'multisite.image': 'multisite-init',
};

/** Values that make every pod fit the node (2 CPUs) next to the others, and start without long delays. */
const FIT_VALUES: Record<string, string[]> = {
  'md-core': ['resources.requests.cpu=100m', 'resources.requests.memory=128Mi', 'database.inCluster.resources.requests.cpu=50m', 'readinessProbe.initialDelaySeconds=2'],
  'md-icapsrv': ['resources.requests.cpu=100m', 'resources.requests.memory=128Mi', 'database.inCluster.resources.requests.cpu=50m', 'readinessProbe.initialDelaySeconds=2'],
  'sv-server': ['resources.requests.cpu=100m', 'resources.requests.memory=128Mi', 'database.inCluster.resources.requests.cpu=50m', 'startupProbe.initialDelaySeconds=2', 'startupProbe.periodSeconds=2'],
  'multisite-init': [],
};

function valueAt(values: unknown, dotted: string): unknown {
  return dotted.split('.').reduce<unknown>((o, k) => (o !== null && typeof o === 'object' ? (o as Record<string, unknown>)[k] : undefined), values);
}

/** Every image value (a non-empty string or an object with a repository) of a values tree, by dotted path. */
function imagePaths(values: unknown, at = ''): string[] {
  if (values === null || typeof values !== 'object' || Array.isArray(values)) return [];
  return Object.entries(values as Record<string, unknown>).flatMap(([k, v]) => {
    const p = at ? `${at}.${k}` : k;
    if (k === 'image' && ((typeof v === 'string' && v !== '') || (v !== null && typeof v === 'object' && 'repository' in v))) return [p];
    return imagePaths(v, p);
  });
}

/**
 * `--set` values pointing every image value of `chart` (charts/<chart>/values.yaml) at the suite's images.
 * An image value the suite has no image for fails here, before any pod waits for a pull that cannot work.
 */
export function imageValues(chart: string): string[] {
  const values = YAML.parse(fs.readFileSync(path.join(REPO, 'charts', chart, 'values.yaml'), 'utf8')) as unknown;
  const { images } = pods();
  return imagePaths(values).flatMap((p) => {
    const which = IMAGE_VALUES[p];
    if (!which) throw new Error(`charts/${chart}: image value ${p} has no image in the pod suite (test/pods/support.ts IMAGE_VALUES)`);
    const name = which === 'product' ? PRODUCT_IMAGE[chart] : which;
    if (!name) throw new Error(`charts/${chart}: no product image in the pod suite (test/pods/support.ts PRODUCT_IMAGE)`);
    const image = images[name];
    return typeof valueAt(values, p) === 'string' ? [`${p}=${image.ref}`] : [`${p}.repository=${image.repository}`, `${p}.tag=${image.tag}`];
  });
}

/** Image values and resource values for `chart` on the suite's node. */
export function podValues(chart: string): string[] {
  return [...imageValues(chart), ...(FIT_VALUES[chart] ?? [])];
}

export type Pod = K8sObject & {
  metadata: { uid: string; labels?: Record<string, string>; deletionTimestamp?: string };
  spec: { nodeName?: string; containers: { name: string; image: string }[]; initContainers?: { name: string }[] };
  status?: {
    phase?: string;
    podIP?: string;
    conditions?: { type: string; status: string }[];
    containerStatuses?: { name: string; ready: boolean; restartCount: number; state?: Record<string, { exitCode?: number; reason?: string }> }[];
  };
};

export function podsIn(ns: string, selector?: string): Pod[] {
  return getJson<{ items: Pod[] }>(cluster(), ['pods', '-n', ns, ...(selector ? ['-l', selector] : [])]).items;
}

export const isReady = (p: Pod): boolean => (p.status?.conditions ?? []).some((c) => c.type === 'Ready' && c.status === 'True');

/** `kubectl exec` in a container; never throws on the command's failure. */
export function exec(ns: string, pod: string, container: string, command: string[], env: Record<string, string> = {}): { code: number; stdout: string; stderr: string } {
  const withEnv = Object.keys(env).length > 0 ? ['env', ...Object.entries(env).map(([k, v]) => `${k}=${v}`), ...command] : command;
  return kubectl(cluster(), ['exec', '-n', ns, pod, '-c', container, '--', ...withEnv], { timeoutMs: 60_000 });
}

/** A container's log (the current run, or the previous one). */
export function logs(ns: string, pod: string, container: string, previous = false): string {
  return kubectl(cluster(), ['logs', '-n', ns, pod, '-c', container, ...(previous ? ['--previous'] : [])]).stdout;
}

/** Pods, their containers' states and the namespace's events: what to read when a pod did not come up. */
export function diagnostics(ns: string): string {
  const k = cluster();
  return [
    kubectl(k, ['get', 'pods', '-n', ns, '-o', 'wide']).stdout,
    kubectl(k, ['get', 'events', '-n', ns, '--sort-by=.lastTimestamp']).stdout,
    ...podsIn(ns).flatMap((p) =>
      [...(p.spec.initContainers ?? []), ...p.spec.containers].map((c) => `--- ${p.metadata.name}/${c.name}\n${logs(ns, p.metadata.name, c.name).split('\n').slice(-15).join('\n')}`),
    ),
  ].join('\n');
}

/** helm with `args`; throws with helm's output and the namespace's diagnostics unless it exits 0. */
export function helmPods(major: HelmMajor, ns: string, args: string[]): string {
  const r = helm(major, [...args, '-n', ns]);
  if (r.code !== 0) throw new Error(`helm ${args.join(' ')} failed (exit ${r.code}):\n${r.stderr}\n${r.stdout}\n${diagnostics(ns)}`);
  return r.stdout;
}

/**
 * Waits until every Deployment of `ns` has rolled out (all replicas updated and available). `helm --wait`
 * alone is not that: it counts a Deployment ready once no more pods are unavailable than its
 * rollingUpdate.maxUnavailable allows, and md-core / md-icapsrv default to maxUnavailable 1, so with one
 * replica Helm returns before the pod is Ready.
 */
export function waitRolledOut(ns: string): void {
  const names = kubectl(cluster(), ['get', 'deployments', '-n', ns, '-o', 'name']).stdout.split('\n').filter(Boolean);
  for (const d of names) {
    const r = kubectl(cluster(), ['rollout', 'status', d, '-n', ns, '--timeout=300s'], { timeoutMs: 320_000 });
    if (r.code !== 0) throw new Error(`${d} did not roll out: ${r.stderr}${r.stdout}\n${diagnostics(ns)}`);
  }
}

/** Decoded data of a Secret. */
export function secretData(ns: string, name: string): Record<string, string> {
  const s = getJson<{ data?: Record<string, string> }>(cluster(), ['secret', name, '-n', ns]);
  return Object.fromEntries(Object.entries(s.data ?? {}).map(([k, v]) => [k, Buffer.from(v, 'base64').toString('utf8')]));
}

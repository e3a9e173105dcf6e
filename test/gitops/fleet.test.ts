/**
 * The fleet: one ApplicationSet (list generator) deploys the stack's md-icapsrv to the two control planes
 * Argo CD manages, each with its own values file from git (`values/<cluster>.yaml`: a different replica
 * count). Both Applications converge (Synced, Healthy) and each cluster runs what its own values say.
 * `pods` is the real node; `fleet` has kwok nodes (its pods are simulated, its objects real).
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import YAML from 'yaml';
import { profiles } from '../cluster/profiles';
import {
  ARGOCD_NAMESPACE,
  applyObjects,
  chartDirs,
  cluster,
  fleetCluster,
  getJson,
  GitRepo,
  gitops,
  Kube,
  kubectl,
  kubectlOk,
  mgmt,
  nodeValuesFile,
  waitFor,
  waitAllSynced,
} from './support';

const CHART = 'md-icapsrv';
const NAMESPACE = 'fleet-icap';
const REPLICAS: Record<'pods' | 'fleet', number> = { pods: 1, fleet: 3 };
let repo: GitRepo;

/**
 * The ApplicationSet as README shows it, with the suite's URLs: one Application per element, the chart from
 * the chart repository, the cluster's values file from git.
 */
export function applicationSet(chartRepo: string, valuesRepo: string, version: string, servers: Record<string, string>): unknown {
  return {
    apiVersion: 'argoproj.io/v1alpha1',
    kind: 'ApplicationSet',
    metadata: { name: 'icap-fleet', namespace: ARGOCD_NAMESPACE },
    spec: {
      goTemplate: true,
      goTemplateOptions: ['missingkey=error'],
      generators: [{ list: { elements: Object.entries(servers).map(([name, server]) => ({ cluster: name, server })) } }],
      template: {
        metadata: { name: 'icap-{{.cluster}}', finalizers: ['resources-finalizer.argocd.argoproj.io'] },
        spec: {
          project: 'default',
          sources: [
            { repoURL: chartRepo, chart: CHART, targetRevision: version, helm: { releaseName: 'icap', valueFiles: ['$values/values/common.yaml', '$values/values/{{.cluster}}.yaml'] } },
            { repoURL: valuesRepo, targetRevision: 'master', ref: 'values' },
          ],
          destination: { server: '{{.server}}', namespace: NAMESPACE },
          syncPolicy: { automated: { prune: true, selfHeal: true } },
        },
      },
    },
  };
}

beforeAll(() => {
  repo = new GitRepo('fleet');
  repo.commit('fleet values', {
    'values/common.yaml': nodeValuesFile(CHART),
    ...Object.fromEntries(Object.entries(REPLICAS).map(([c, n]) => [`values/${c}.yaml`, YAML.stringify({ replicaCount: n })])),
  });
  for (const kube of [cluster(), fleetCluster()]) {
    kubectlOk(kube, ['create', 'namespace', NAMESPACE]);
    profiles[CHART]!.prepareDefaults!(kube, NAMESPACE);
  }
});

afterAll(() => {
  repo?.remove();
  kubectl(mgmt(), ['delete', 'applicationset', 'icap-fleet', '-n', ARGOCD_NAMESPACE, '--ignore-not-found', '--wait=true', '--timeout=180s'], { timeoutMs: 200_000 });
  for (const kube of [cluster(), fleetCluster()]) kubectl(kube, ['delete', 'namespace', NAMESPACE, '--wait=false', '--ignore-not-found']);
});

function deploymentReplicas(kube: Kube): { spec: number; ready: number } {
  const d = getJson<{ spec: { replicas: number }; status?: { readyReplicas?: number } }>(kube, ['deployment', CHART, '-n', NAMESPACE]);
  return { spec: d.spec.replicas, ready: d.status?.readyReplicas ?? 0 };
}

it('one ApplicationSet deploys md-icapsrv to both control planes with per-cluster values; both converge', async () => {
  const chart = chartDirs().find((c) => c.name === CHART)!;
  const version = /^version:\s*(\S+)/m.exec(fs.readFileSync(path.join(chart.dir, 'Chart.yaml'), 'utf8'))![1]!;
  const { chartRepo, servers } = gitops();
  applyObjects(mgmt(), [applicationSet(chartRepo, repo.url, version, servers)]);
  await waitFor('the ApplicationSet to generate both Applications', () => {
    const r = kubectl(mgmt(), ['get', 'applications', '-n', ARGOCD_NAMESPACE, 'icap-pods', 'icap-fleet', '-o', 'name']);
    return r.code === 0 ? true : undefined;
  });
  await waitAllSynced(['icap-pods', 'icap-fleet'], { timeoutMs: 600_000 });
  const kubes: Record<'pods' | 'fleet', Kube> = { pods: cluster(), fleet: fleetCluster() };
  for (const [name, kube] of Object.entries(kubes) as ['pods' | 'fleet', Kube][]) {
    await waitFor(`${name}: ${REPLICAS[name]} ready replicas`, () => {
      const r = deploymentReplicas(kube);
      return r.spec === REPLICAS[name] && r.ready === REPLICAS[name] ? r : undefined;
    });
    expect(deploymentReplicas(kube), name).toEqual({ spec: REPLICAS[name], ready: REPLICAS[name] });
  }
  // Each Application's tracking annotation names it: Argo CD owns each cluster's objects through its own Application.
  const tracking = (kube: Kube) => getJson<{ metadata: { annotations?: Record<string, string> } }>(kube, ['deployment', CHART, '-n', NAMESPACE]).metadata.annotations?.['argocd.argoproj.io/tracking-id'];
  expect(tracking(kubes.pods)).toMatch(/^icap-pods:/);
  expect(tracking(kubes.fleet)).toMatch(/^icap-fleet:/);
});

/**
 * Deleting an Application (with Argo CD's resources finalizer, i.e. cascading) prunes its workloads and
 * keeps the generated Secrets (`argocd.argoproj.io/sync-options: Delete=false`); recreating it adopts them:
 * the same Secrets, unchanged, and the product reads the same credentials.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { profiles } from '../cluster/profiles';
import {
  applicationObject,
  applyObjects,
  chartDirs,
  cluster,
  deleteApplication,
  deleteNamespaces,
  expectGenerated,
  forgetApplications,
  generatedSecrets,
  getJson,
  GitRepo,
  gitops,
  mgmt,
  newNamespace,
  nodeValuesFile,
  waitRolledOut,
  waitSynced,
} from './support';

const CHART = 'md-core';
const APP = 'delete-adopt';
let repo: GitRepo;
let ns: string;

function app(): ReturnType<typeof applicationObject> {
  const chart = chartDirs().find((c) => c.name === CHART)!;
  const version = /^version:\s*(\S+)/m.exec(fs.readFileSync(path.join(chart.dir, 'Chart.yaml'), 'utf8'))![1]!;
  const { chartRepo, servers } = gitops();
  return applicationObject(APP, {
    sources: [
      { repoURL: chartRepo, chart: CHART, targetRevision: version, helm: { releaseName: 'rel', valueFiles: ['$values/values.yaml'] } },
      { repoURL: repo.url, targetRevision: 'master', ref: 'values' },
    ],
    destination: { server: servers.pods, namespace: ns },
    syncPolicy: { automated: { prune: true, selfHeal: true } },
  });
}

beforeAll(() => {
  ns = newNamespace('argo-adopt');
  profiles[CHART]!.prepareDefaults!(cluster(), ns);
  repo = new GitRepo('delete-adopt');
  repo.commit('md-core values', { 'values.yaml': nodeValuesFile(CHART) });
});

afterAll(() => {
  forgetApplications([APP]);
  repo?.remove();
  deleteNamespaces();
});

/** Names of the objects of a kind in the namespace. */
function names(kind: string): string[] {
  return getJson<{ items: { metadata: { name: string } }[] }>(cluster(), [kind, '-n', ns]).items.map((o) => o.metadata.name).sort();
}

it('deleting the Application prunes the workloads and keeps the Secrets; recreating it adopts them unchanged', async () => {
  const kube = cluster();
  applyObjects(mgmt(), [app()]);
  await waitSynced(APP, { timeoutMs: 600_000 });
  const secrets = generatedSecrets(kube, ns);
  expectGenerated(secrets, kube, ns);
  expect(names('deployments').length).toBeGreaterThan(0);
  expect(names('services').length).toBeGreaterThan(0);

  deleteApplication(APP);
  // Pruned: everything Argo CD deployed but the Secrets that say Delete=false.
  expect(names('deployments'), 'Deployments after delete').toEqual([]);
  expect(names('statefulsets'), 'StatefulSets after delete').toEqual([]);
  expect(names('services'), 'Services after delete').toEqual([]);
  expect(generatedSecrets(kube, ns), 'generated Secrets after delete').toEqual(secrets);
  const kept = getJson<{ metadata: { annotations?: Record<string, string> } }>(kube, ['secret', Object.keys(secrets)[0]!, '-n', ns]);
  expect(kept.metadata.annotations?.['argocd.argoproj.io/sync-options']).toBe('Delete=false');

  applyObjects(mgmt(), [app()]);
  const again = await waitSynced(APP, { timeoutMs: 600_000 });
  // Adopted: the same objects (same resourceVersion: not even rewritten), tracked by the new Application.
  expect(generatedSecrets(kube, ns), 'generated Secrets after recreating').toEqual(secrets);
  for (const name of Object.keys(secrets)) {
    expect(again.resources.find((r) => r.kind === 'Secret' && r.name === name)?.status, `${name} in the Application`).toBe('Synced');
  }
  expect(names('deployments').length).toBeGreaterThan(0);
  waitRolledOut(ns);
});

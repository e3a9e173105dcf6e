/**
 * Argo CD deploys every chart (Helm source: the suite's HTTP chart repository; values: a file in git, a
 * second source `$values`) and dist/ (plain manifests in git, as `npm run synth` writes them) onto the real
 * node, with automated sync, prune and selfHeal and no `ignoreDifferences`:
 *
 *  - each Application is Synced and Healthy; the credential generator (a `Sync` hook in wave -1) filled
 *    every generated key;
 *  - 10 hard refreshes, 10 syncs (each re-running the generator hook) and a selfHeal after a manual edit
 *    change no credential (the generated Secrets keep their resourceVersion: nothing wrote them at all) and
 *    leave every Application Synced and Healthy.
 */
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import YAML from 'yaml';
import { profiles } from '../cluster/profiles';
import {
  application,
  applicationObject,
  applyObjects,
  AppStatus,
  chartDirs,
  cluster,
  deleteNamespaces,
  expectGenerated,
  forgetApplications,
  generatedSecrets,
  getJson,
  GitRepo,
  gitops,
  hardRefreshAll,
  kubectl,
  kubectlOk,
  mgmt,
  newNamespace,
  nodeValuesFile,
  podValues,
  REPO,
  syncAll,
  valuesOf,
  waitAllSynced,
  waitFor,
} from './support';

const RELEASE = 'rel';
/** Parts switched on so the chart has pods that run (as the pod suite does). */
const EXTRA_VALUES: Record<string, string[]> = { 'multisite-init': ['consumer.enabled=true', 'consumer.runWriter=true'] };
const DIST_NAMESPACE = 'metadefender';
/** The chart Argo CD takes from the suite's OCI registry; the others come from its HTTP chart repository. */
const FROM_OCI = 'sv-server';

let repo: GitRepo;
/** Application name -> the namespace it deploys to. */
const apps = new Map<string, string>();

function chartVersion(dir: string): string {
  return /^version:\s*(\S+)/m.exec(fs.readFileSync(path.join(dir, 'Chart.yaml'), 'utf8'))![1]!.replace(/["']/g, '');
}

/** dist/ as `npm run synth` writes it, with STACK_VALUES giving every system the suite's images and sizes. */
function synthDist(): Record<string, string> {
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'gitops-dist-'));
  const stackValues = path.join(tmp, 'stack-values.yaml');
  fs.writeFileSync(stackValues, YAML.stringify(Object.fromEntries(chartDirs().map((c) => [c.name, valuesOf(podValues(c.name))]))));
  const out = path.join(tmp, 'dist');
  // `npm run synth`'s command: the package's command line on apps/stack.ts.
  const r = spawnSync(process.execPath, ['--require', 'tsx/cjs', path.join(REPO, 'lib', 'cli', 'index.ts'), 'synth', '--charts', 'apps/stack.ts', '--out', out], {
    cwd: REPO,
    env: { ...process.env, STACK_VALUES: stackValues },
    encoding: 'utf8',
  });
  if (r.status !== 0) throw new Error(`npm run synth failed: ${r.stderr}`);
  const files = Object.fromEntries(fs.readdirSync(out).map((f) => [`dist/${f}`, fs.readFileSync(path.join(out, f), 'utf8')]));
  fs.rmSync(tmp, { recursive: true, force: true });
  return files;
}

beforeAll(() => {
  const { chartRepo, ociRepo, servers } = gitops();
  const kube = cluster();
  repo = new GitRepo('applications');
  const files: Record<string, string> = {};
  const objects: unknown[] = [];
  for (const chart of chartDirs()) {
    const ns = newNamespace(`argo-${chart.name}`);
    profiles[chart.name]?.prepareDefaults?.(kube, ns);
    files[`values/${chart.name}.yaml`] = nodeValuesFile(chart.name, EXTRA_VALUES[chart.name]);
    apps.set(chart.name, ns);
    objects.push(
      applicationObject(chart.name, {
        sources: [
          {
            repoURL: chart.name === FROM_OCI ? ociRepo : chartRepo,
            chart: chart.name,
            targetRevision: chartVersion(chart.dir),
            helm: { releaseName: RELEASE, valueFiles: [`$values/values/${chart.name}.yaml`] },
          },
          { repoURL: repo.url, targetRevision: 'master', ref: 'values' },
        ],
        destination: { server: servers.pods, namespace: ns },
        syncPolicy: { automated: { prune: true, selfHeal: true } },
      }),
    );
  }
  // dist/: the stack's namespace and the Secrets it expects to exist (apps/stack.ts: licence keys managed outside).
  kubectlOk(kube, ['create', 'namespace', DIST_NAMESPACE]);
  for (const chart of chartDirs()) profiles[chart.name]?.prepareRaw?.(kube, DIST_NAMESPACE);
  Object.assign(files, synthDist());
  apps.set('dist', DIST_NAMESPACE);
  objects.push(
    applicationObject('dist', {
      source: { repoURL: repo.url, targetRevision: 'master', path: 'dist' },
      destination: { server: servers.pods, namespace: DIST_NAMESPACE },
      syncPolicy: { automated: { prune: true, selfHeal: true } },
    }),
  );
  repo.commit('the charts and dist/', files);
  applyObjects(mgmt(), objects);
});

afterAll(() => {
  forgetApplications([...apps.keys()]);
  repo?.remove();
  deleteNamespaces();
  kubectl(cluster(), ['delete', 'namespace', DIST_NAMESPACE, '--wait=false', '--ignore-not-found']);
});

/** Logs how long each step took since the previous one (the suite's figures in README come from these lines). */
function timer(): (step: string) => void {
  let last = Date.now();
  return (step) => {
    process.stdout.write(`[gitops] applications: ${step} in ${Math.round((Date.now() - last) / 1000)}s\n`);
    last = Date.now();
  };
}

type Job = { metadata: { name: string; uid: string; annotations?: Record<string, string> }; status?: { succeeded?: number; failed?: number } };

function generatorJobs(ns: string): Job[] {
  return getJson<{ items: Job[] }>(cluster(), ['jobs', '-n', ns, '-l', 'app.kubernetes.io/component=credential-generator']).items;
}

function allSecrets(): Record<string, ReturnType<typeof generatedSecrets>> {
  return Object.fromEntries([...apps].map(([app, ns]) => [app, generatedSecrets(cluster(), ns)]));
}

function expectAllSynced(statuses: AppStatus[], what: string): void {
  for (const [i, app] of [...apps.keys()].entries()) {
    expect({ app, sync: statuses[i]!.sync, health: statuses[i]!.health }, what).toEqual({ app, sync: 'Synced', health: 'Healthy' });
  }
}

it('every chart and dist/ Synced and Healthy; 10 hard refreshes, 10 syncs and a selfHeal change no credential', async () => {
  const kube = cluster();
  const names = [...apps.keys()];
  const timed = timer();
  const first = await waitAllSynced(names, { timeoutMs: 600_000 });
  expectAllSynced(first, 'first sync');
  timed('first sync (every Application deployed)');
  const fromOci = application(FROM_OCI)!.spec.sources as { repoURL: string }[];
  expect(fromOci[0]!.repoURL, `${FROM_OCI} from the OCI registry`).toBe(gitops().ociRepo);
  for (const n of names) expect(application(n)!.spec.ignoreDifferences, `${n} ignoreDifferences`).toBeUndefined();

  // The generator ran as Argo CD's Sync hook and filled every key.
  const before = allSecrets();
  // multisite-init has no credential to generate; every other chart and dist/ do.
  expect(names.filter((n) => Object.keys(before[n]!).length > 0).sort()).toEqual(names.filter((n) => n !== 'multisite-init').sort());
  for (const [app, ns] of [...apps].filter(([app]) => app !== 'multisite-init')) {
    expectGenerated(before[app]!, kube, ns);
    const jobs = generatorJobs(ns);
    expect(jobs.length, `${app} generator Jobs`).toBeGreaterThan(0);
    for (const j of jobs) {
      expect(j.metadata.annotations?.['argocd.argoproj.io/hook'], `${app} ${j.metadata.name}`).toBe('Sync');
      expect(j.status?.succeeded, `${app} ${j.metadata.name} succeeded`).toBe(1);
    }
  }

  for (let i = 1; i <= 10; i++) {
    // The comparison right after the refresh finds nothing to sync; health is the pods' (a database's readiness
    // probe can miss under load), so it is waited for rather than taken at that instant.
    const refreshed = await hardRefreshAll(names);
    expect(refreshed.map((s, k) => ({ app: names[k], sync: s.sync })), `hard refresh ${i}`).toEqual(names.map((app) => ({ app, sync: 'Synced' })));
    expectAllSynced(await waitAllSynced(names), `hard refresh ${i}`);
  }
  expect(allSecrets(), 'after 10 hard refreshes').toEqual(before);
  timed('10 hard refreshes');

  const jobsBefore = new Map([...apps].map(([app, ns]) => [app, generatorJobs(ns).map((j) => j.metadata.uid)]));
  for (let i = 1; i <= 10; i++) {
    const synced = await syncAll(names);
    for (const [k, s] of synced.entries()) expect({ app: names[k], phase: s.operation?.phase, message: s.operation?.message }, `sync ${i}`).toMatchObject({ phase: 'Succeeded' });
    expectAllSynced(await waitAllSynced(names), `sync ${i}`);
  }
  timed('10 syncs');
  // Each sync re-created the generator (a new Job: BeforeHookCreation) and it succeeded, writing nothing.
  for (const [app, ns] of [...apps].filter(([app]) => app !== 'multisite-init')) {
    const jobs = generatorJobs(ns);
    expect(jobs.map((j) => j.metadata.uid).filter((u) => jobsBefore.get(app)!.includes(u)), `${app}: generator Jobs re-created by the syncs`).toEqual([]);
    for (const j of jobs) expect(j.status?.succeeded, `${app} ${j.metadata.name}`).toBe(1);
  }
  expect(allSecrets(), 'after 10 syncs').toEqual(before);

  // selfHeal: a manual edit of a managed Deployment in every Application at once is reverted by Argo CD on its own.
  const edited = [...apps].flatMap(([app, ns]) => {
    const d = kubectlOk(kube, ['get', 'deployments', '-n', ns, '-o', 'name']).split('\n').find(Boolean);
    if (!d) return [];
    const original = getJson<{ spec: { replicas: number } }>(kube, [d, '-n', ns]).spec.replicas;
    kubectlOk(kube, ['scale', d, '-n', ns, `--replicas=${original + 1}`]);
    return [{ app, ns, d, original }];
  });
  expect(edited.map((e) => e.app), 'Applications with a Deployment to edit').toEqual(names);
  await waitFor(
    'selfHeal to put every edited Deployment back',
    () => (edited.every(({ ns, d, original }) => getJson<{ spec: { replicas: number } }>(kube, [d, '-n', ns]).spec.replicas === original) ? true : undefined),
    120_000,
    1000,
  );
  expectAllSynced(await waitAllSynced(names), 'after selfHeal');
  expect(allSecrets(), 'after selfHeal').toEqual(before);
  timed('selfHeal of every Application');
});

/**
 * Every chart in charts/, installed for real with helm 3 and helm 4: with default values and, where its
 * profile says how, with every optional part switched on. The release's objects must be in the cluster
 * exactly as rendered (`helm get manifest` vs `kubectl get` of each), its workloads rolled out, what its
 * pods reference present, and `helm test` must pass. An upgrade with unchanged values must leave every
 * Secret of the release byte for byte as it was (generated values are kept, not rotated).
 */
import { afterAll, describe, expect, it } from 'vitest';
import { HELM_MAJORS } from '../../lib/tooling/helm';
import { profiles } from './profiles';
import {
  assertHelmTestPasses,
  assertLiveMatchesManifest,
  assertPodReferencesResolve,
  chartDirs,
  cluster,
  deleteNamespaces,
  getJson,
  helm,
  helmOk,
  install,
  K8sObject,
  key,
  Kube,
  newNamespace,
  releaseManifest,
  systemNames,
  waitWorkloadsReady,
} from './support';

afterAll(deleteNamespaces);

const RELEASE = 'rel';

/** Checks shared by every install: objects as rendered, workloads up, pod references, helm test. */
async function assertInstalled(major: 3 | 4, kube: Kube, ns: string): Promise<K8sObject[]> {
  const objects = releaseManifest(major, RELEASE, ns);
  const live = assertLiveMatchesManifest(kube, ns, objects);
  for (const o of objects.filter((x) => x.kind === 'PersistentVolumeClaim')) {
    expect((live.get(key(o)) as { status?: { phase?: string } }).status?.phase, key(o)).toBe('Bound');
  }
  const workloads = objects.filter((o) => o.kind === 'Deployment' || o.kind === 'StatefulSet');
  expect(await waitWorkloadsReady(kube, ns, objects)).toHaveLength(workloads.length);
  const references = assertPodReferencesResolve(kube, ns);
  if (workloads.length > 0) expect(references).toBeGreaterThan(0);
  expect(await assertHelmTestPasses(major, RELEASE, ns)).not.toEqual([]);
  const status = JSON.parse(helmOk(major, ['status', RELEASE, '-n', ns, '-o', 'json']).stdout) as { info: { status: string } };
  expect(status.info.status).toBe('deployed');
  return objects;
}

function secretsOf(kube: Kube, ns: string, objects: K8sObject[]): Record<string, unknown> {
  const names = objects.filter((o) => o.kind === 'Secret').map((o) => o.metadata.name);
  return Object.fromEntries(names.map((n) => [n, getJson<{ data?: Record<string, string> }>(kube, ['secret', n, '-n', ns]).data ?? {}]));
}

describe('charts under test', () => {
  it('charts/ holds exactly one chart per system of lib/systems', () => {
    expect(chartDirs().map((c) => c.name)).toEqual([...systemNames()].sort());
    expect(chartDirs().length).toBeGreaterThan(0);
  });

  it('lists what each chart is tested for beyond the generic tests', () => {
    for (const { name } of chartDirs()) {
      const p = profiles[name];
      const parts = p ? Object.keys(p) : [];
      process.stdout.write(`[coverage] ${name}: generic tests${parts.length > 0 ? ` + profile ${parts.join(', ')}` : ' only (no profile in test/cluster/profiles.ts)'}\n`);
    }
    for (const name of Object.keys(profiles)) expect(chartDirs().map((c) => c.name), `profile ${name} has no chart`).toContain(name);
  });
});

for (const chart of chartDirs()) {
  const profile = profiles[chart.name];
  for (const major of HELM_MAJORS) {
    describe(`${chart.name}, helm ${major}`, () => {
      it('installs with default values (--wait): objects as rendered, workloads up, helm test passes; a same-values upgrade keeps every Secret', async () => {
        const kube = cluster();
        const ns = newNamespace(`${chart.name}-h${major}-defaults`);
        profile?.prepareDefaults?.(kube, ns);
        install(major, chart.dir, RELEASE, ns);
        const objects = await assertInstalled(major, kube, ns);
        const before = secretsOf(kube, ns, objects);
        helmOk(major, ['upgrade', RELEASE, chart.dir, '-n', ns, '--reuse-values', '--wait', '--timeout', '3m']);
        expect(secretsOf(kube, ns, objects)).toEqual(before);
        const status = JSON.parse(helm(major, ['status', RELEASE, '-n', ns, '-o', 'json']).stdout) as { info: { status: string }; version: number };
        expect(status.version).toBe(2);
        expect(status.info.status).toBe('deployed');
      });

      const need = profile?.defaultsNeed;
      if (need) {
        it(`without its prerequisite, pods would wait for ${need} (what kwok does not check, the suite does)`, () => {
          const kube = cluster();
          const ns = newNamespace(`${chart.name}-h${major}-noprereq`);
          install(major, chart.dir, RELEASE, ns);
          expect(() => assertPodReferencesResolve(kube, ns)).toThrow(need.split(' ')[1]!);
        });
      }

      const optional = profile?.optional;
      if (optional) {
        it(`installs with every optional part on (${optional.set.join(',')})`, async () => {
          const kube = cluster();
          const ns = newNamespace(`${chart.name}-h${major}-optional`);
          optional.prepare(kube, ns);
          install(major, chart.dir, RELEASE, ns, optional.set);
          const objects = await assertInstalled(major, kube, ns);
          const keys = objects.map(key);
          for (const added of optional.adds) expect(keys).toContain(added);
          // Every pod the release made is labelled as the release's.
          const pods = getJson<{ items: { metadata: { labels?: Record<string, string> } }[] }>(kube, ['pods', '-n', ns]).items;
          expect(pods.length).toBeGreaterThan(0);
          for (const p of pods) expect(p.metadata.labels?.['app.kubernetes.io/instance']).toBe(RELEASE);
        });
      }
    });
  }
}

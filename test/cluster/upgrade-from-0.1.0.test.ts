/**
 * `helm upgrade` from the 0.1.0 charts (as they were released: test/fixtures/charts-0.1.0) to the current
 * ones succeeds on the cluster for every chart, with helm 3 and helm 4: no object is renamed (every 0.1.0
 * object is still in the release), the upgraded objects are live as rendered, and what the pods reference
 * exists. Issue 12 rewrote every template; this is the proof that releases in the field can follow.
 */
import * as path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { GENERATE_ANNOTATION } from '../../lib/constructs/secret';
import { HELM_MAJORS } from '../../lib/tooling/helm';
import { profiles } from './profiles';
import {
  assertLiveMatchesManifest,
  assertPodReferencesResolve,
  chartDirs,
  cluster,
  deleteNamespaces,
  helmOk,
  K8sObject,
  key,
  newNamespace,
  releaseManifest,
  REPO,
  runCredentialJobs,
} from './support';

const RELEASE = 'rel010';

/**
 * The upgraded manifest carries each credential 0.1.0 generated as `previous.<key>` (Helm's three-way
 * merge deletes the key itself); the credential generator restores `<key>` from it and removes it. Returns
 * the manifest without those keys and, per Secret, the values the generator must have restored.
 */
function withoutCarriedOver(manifest: K8sObject[]): { manifest: K8sObject[]; values: Map<string, Record<string, string>> } {
  const values = new Map<string, Record<string, string>>();
  const rest = manifest.map((o) => {
    const data = (o as { data?: Record<string, string> }).data;
    if (o.kind !== 'Secret' || !data) return o;
    const previous = Object.entries(data).filter(([k]) => k.startsWith('previous.'));
    if (previous.length === 0) return o;
    values.set(key(o), Object.fromEntries(previous.map(([k, v]) => [k.slice('previous.'.length), v])));
    return { ...o, data: Object.fromEntries(Object.entries(data).filter(([k]) => !k.startsWith('previous.'))) };
  });
  return { manifest: rest, values };
}

afterAll(() => deleteNamespaces());

for (const chart of chartDirs()) {
  for (const major of HELM_MAJORS) {
    describe(`${chart.name}, helm ${major}`, () => {
      it('upgrades from 0.1.0 with every object keeping its name', () => {
        const kube = cluster();
        const ns = newNamespace(`${chart.name}-h${major}-from010`);
        profiles[chart.name]?.prepareDefaults?.(kube, ns);
        helmOk(major, ['install', RELEASE, path.join(REPO, 'test', 'fixtures', 'charts-0.1.0', `${chart.name}-0.1.0.tgz`), '-n', ns, '--wait', '--timeout', '3m']);
        const before = releaseManifest(major, RELEASE, ns).map(key);

        helmOk(major, ['upgrade', RELEASE, chart.dir, '-n', ns, '--wait', '--timeout', '3m']);
        runCredentialJobs(kube, ns);
        const after = releaseManifest(major, RELEASE, ns);
        expect(after.map(key)).toEqual(expect.arrayContaining(before));
        const carried = withoutCarriedOver(after);
        // Every generated Secret that 0.1.0 already had carries its 0.1.0 values over.
        const generatedBefore = after.filter((o) => o.kind === 'Secret' && before.includes(key(o)) && GENERATE_ANNOTATION in ((o.metadata as { annotations?: object }).annotations ?? {}));
        expect([...carried.values.keys()].sort()).toEqual(generatedBefore.map(key).sort());
        const live = assertLiveMatchesManifest(kube, ns, carried.manifest);
        for (const [secret, values] of carried.values) {
          const data = (live.get(secret) as { data?: Record<string, string> }).data ?? {};
          for (const [k, value] of Object.entries(values)) {
            expect(data[k], `${secret} ${k} restored from 0.1.0`).toBe(value);
            expect(data, `${secret} previous.${k} consumed`).not.toHaveProperty([`previous.${k}`]);
          }
        }
        assertPodReferencesResolve(kube, ns);
      });
    });
  }
}

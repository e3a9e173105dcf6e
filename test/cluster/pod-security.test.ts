/**
 * Pod Security admission: every chart installs, with helm 3 and helm 4, into a namespace that enforces,
 * warns about and audits the `restricted` Pod Security Standard, with default values and (where its
 * profile says how) with every optional part on: the apiserver admits every pod, including the test
 * hook, and helm's output carries no warning. A chart whose defaults are documented not to meet
 * `restricted` (profile.restricted) is installed that way with the values under which it does, and its
 * defaults must still meet `baseline`. The level of the defaults is the one the chart declares (Chart.yaml
 * annotation chart-as-code/pod-security-level, the podSecurityLevel default).
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import YAML from 'yaml';
import { afterAll, describe, expect, it } from 'vitest';
import { HELM_MAJORS } from '../../lib/tooling/helm';
import { profiles } from './profiles';
import { assertHelmTestPasses, chartDirs, cluster, deleteNamespaces, getJson, helmOk, newNamespace, releaseManifest, waitWorkloadsReady, warningLines } from './support';

afterAll(deleteNamespaces);

type Level = 'restricted' | 'baseline';

function labels(level: Level): Record<string, string> {
  const out: Record<string, string> = {};
  for (const mode of ['enforce', 'warn', 'audit']) {
    out[`pod-security.kubernetes.io/${mode}`] = level;
    out[`pod-security.kubernetes.io/${mode}-version`] = 'latest';
  }
  return out;
}

for (const chart of chartDirs()) {
  const profile = profiles[chart.name];
  const prepareDefaults = (ns: string): void => profile?.prepareDefaults?.(cluster(), ns);
  const variants: { name: string; level: Level; set: string[]; prepare: (ns: string) => void }[] = profile?.restricted
    ? [
        { name: `default values (baseline: ${profile.restricted.why})`, level: 'baseline', set: [], prepare: prepareDefaults },
        { name: profile.restricted.set.join(','), level: 'restricted', set: profile.restricted.set, prepare: prepareDefaults },
      ]
    : [{ name: 'default values', level: 'restricted', set: [], prepare: prepareDefaults }];
  it(`${chart.name} declares the level its defaults are installed under`, () => {
    const meta = YAML.parse(fs.readFileSync(path.join(chart.dir, 'Chart.yaml'), 'utf8')) as { annotations: Record<string, string> };
    expect(meta.annotations['chart-as-code/pod-security-level']).toBe(variants[0]!.level);
  });
  const optional = profile?.optional;
  if (optional) {
    variants.push({
      name: 'every optional part on',
      level: 'restricted',
      set: [...(profile.restricted?.set ?? []), ...optional.set],
      prepare: (ns) => optional.prepare(cluster(), ns),
    });
  }
  for (const major of HELM_MAJORS) {
    describe(`${chart.name}, helm ${major}`, () => {
      for (const v of variants) {
        it(`installs under enforce=${v.level} with ${v.name}, without warnings`, async () => {
          const kube = cluster();
          const ns = newNamespace(`${chart.name}-h${major}-psa`, labels(v.level));
          v.prepare(ns);
          const r = helmOk(major, ['install', 'rel', chart.dir, '-n', ns, '--wait', '--timeout', '3m', ...(v.set.length ? ['--set', v.set.join(',')] : [])]);
          expect(warningLines(r.stdout + r.stderr)).toEqual([]);
          // Enforcement rejects pods at creation: rolled-out workloads mean every pod was admitted.
          const objects = releaseManifest(major, 'rel', ns);
          const workloads = objects.filter((o) => o.kind === 'Deployment' || o.kind === 'StatefulSet');
          expect(await waitWorkloadsReady(kube, ns, objects)).toHaveLength(workloads.length);
          const pods = getJson<{ items: unknown[] }>(kube, ['pods', '-n', ns]).items;
          if (workloads.length > 0) expect(pods.length).toBeGreaterThan(0);
          // The test hook pod is admitted too.
          expect(await assertHelmTestPasses(major, 'rel', ns)).not.toEqual([]);
        });
      }
    });
  }
}

/**
 * Both renderings of a system for the same values, synchronously, for the tests that walk the objects (the
 * proof itself, batched and random: lib/proof).
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { ChartDefinition } from '../../lib/core/chart';
import { renderHelmChart } from '../../lib/core/helm-chart';
import { rawManifestsYaml } from '../../lib/proof/checks';
import { compareRenderings, K8sObject, parseStream, RELEASE } from '../../lib/proof/compare';
import { HelmMajor, runHelm } from '../../lib/tooling/helm';

// The comparison ships in the package (chart-as-code/proof); the tests that walk renderings import it from here.
export { compareRenderings, type K8sObject, normalize, parseStream, RELEASE } from '../../lib/proof/compare';

const chartDirs = new Map<string, string>();

/** The chart rendered fresh from the current code into a temp dir (not the committed charts/). */
export function chartDir(system: ChartDefinition): string {
  let dir = chartDirs.get(system.name);
  if (!dir) {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), `chart-${system.name}-`));
    for (const [rel, content] of renderHelmChart(system)) {
      fs.mkdirSync(path.dirname(path.join(dir, rel)), { recursive: true });
      fs.writeFileSync(path.join(dir, rel), content);
    }
    chartDirs.set(system.name, dir);
  }
  return dir;
}

export interface HelmResult {
  code: number;
  stdout: string;
  stderr: string;
}

/** `helm template` with values given as a file (JSON is YAML). */
export function helmTemplate(major: HelmMajor, chart: string, values: unknown, extraArgs: string[] = []): HelmResult {
  const file = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'values-')), 'values.json');
  fs.writeFileSync(file, JSON.stringify(values));
  try {
    return runHelm(major, ['template', RELEASE.name, chart, '--namespace', RELEASE.namespace, '-f', file, ...extraArgs]);
  } finally {
    fs.rmSync(path.dirname(file), { recursive: true, force: true });
  }
}

export function helmObjects(major: HelmMajor, system: ChartDefinition, values: unknown): K8sObject[] {
  const r = helmTemplate(major, chartDir(system), values);
  if (r.code !== 0) throw new Error(`helm ${major} template failed for ${JSON.stringify(values)}:\n${r.stderr}`);
  return parseStream(r.stdout);
}

/** Raw synthesis for the same release, serialized as `npm run synth` writes it and parsed back as Kubernetes reads it. */
export function rawObjects(system: ChartDefinition, values: unknown): { objects: K8sObject[] } {
  return { objects: parseStream(rawManifestsYaml(system, values)) };
}

/** Render both ways and return the differences (plus the objects, for further assertions). */
export function equivalence(major: HelmMajor, system: ChartDefinition, values: unknown) {
  const raw = rawObjects(system, values);
  const helm = helmObjects(major, system, values);
  return { differences: compareRenderings(raw.objects, helm), raw: raw.objects, helm };
}

/** A manifest as tests walk it: any field. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type Obj = { apiVersion: string; kind: string; metadata: any; [field: string]: any };

/** Raw objects of a system for `values`, with lookups that name what exists when one is missing. */
export function renderSystem(system: ChartDefinition, values: unknown = {}) {
  const objects = rawObjects(system, values).objects as Obj[];
  const find = (kind: string, name: string): Obj | undefined => objects.find((o) => o.kind === kind && o.metadata.name === name);
  const get = (kind: string, name: string): Obj => {
    const o = find(kind, name);
    if (!o) throw new Error(`no ${kind} ${name} in ${objects.map((x) => `${x.kind}/${x.metadata.name}`).join(', ')}`);
    return o;
  };
  const all = (kind: string) => objects.filter((o) => o.kind === kind);
  return { objects, find, get, all };
}

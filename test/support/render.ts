/**
 * Both renderings of a system for the same values, and the object-by-object comparison that is the
 * project's core guarantee.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { synthObjects, ChartDefinition } from '../../lib/core/chart';
import { renderChart } from '../../lib/core/helm-chart';
import { manifestsToYaml } from '../../lib/core/yaml';
import { HelmMajor, runHelm } from '../../lib/tooling/helm';
import { k8sYamlToJson } from '../../lib/tooling/yaml2json';

export type K8sObject = Record<string, unknown> & {
  apiVersion: string;
  kind: string;
  metadata: { name: string; namespace?: string; labels?: Record<string, string>; annotations?: Record<string, string> };
};

export const RELEASE = { name: 'rel', namespace: 'team-ns' };

/** Parse a multi-document YAML stream the way Kubernetes reads it. */
export function parseStream(text: string): K8sObject[] {
  return k8sYamlToJson(text).filter((d): d is K8sObject => d !== null && typeof d === 'object');
}

const chartDirs = new Map<string, string>();

/** The chart rendered fresh from the current code into a temp dir (not the committed charts/). */
export function chartDir(system: ChartDefinition): string {
  let dir = chartDirs.get(system.name);
  if (!dir) {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), `chart-${system.name}-`));
    for (const [rel, content] of renderChart(system)) {
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
  const { objects } = synthObjects({
    chart: system,
    values: values as never,
    releaseName: RELEASE.name,
    namespace: RELEASE.namespace,
    managedBy: 'Helm',
    includeTests: true,
  });
  return { objects: parseStream(manifestsToYaml(objects)) };
}

/**
 * null, [] and {} under a key mean "not set" to the API server; Helm templates cannot always avoid
 * writing an empty key (e.g. `env:` with all items conditional), so both sides drop them.
 */
export function normalize(v: unknown): unknown {
  if (Array.isArray(v)) return v.map(normalize);
  if (v !== null && typeof v === 'object') {
    const out: Record<string, unknown> = {};
    for (const [k, child] of Object.entries(v)) {
      const n = normalize(child);
      if (n === null || n === undefined) continue;
      if (Array.isArray(n) && n.length === 0) continue;
      if (typeof n === 'object' && !Array.isArray(n) && Object.keys(n).length === 0) continue;
      out[k] = n;
    }
    return out;
  }
  return v;
}

function objectKey(o: K8sObject): string {
  return `${o.apiVersion}/${o.kind}/${o.metadata?.namespace ?? ''}/${o.metadata?.name}`;
}

function diff(raw: unknown, helm: unknown, at: string, out: string[]): void {
  if (out.length > 10) return;
  if (Array.isArray(raw) && Array.isArray(helm)) {
    if (raw.length !== helm.length) out.push(`${at}: list of ${raw.length} (raw) vs ${helm.length} (helm)`);
    for (let i = 0; i < Math.min(raw.length, helm.length); i++) diff(raw[i], helm[i], `${at}[${i}]`, out);
    return;
  }
  if (raw && helm && typeof raw === 'object' && typeof helm === 'object' && !Array.isArray(raw) && !Array.isArray(helm)) {
    const keys = new Set([...Object.keys(raw), ...Object.keys(helm)]);
    for (const k of keys) diff((raw as Record<string, unknown>)[k], (helm as Record<string, unknown>)[k], `${at}.${k}`, out);
    return;
  }
  if (raw !== helm) out.push(`${at}: raw ${JSON.stringify(raw)} vs helm ${JSON.stringify(helm)}`);
}

/** Differences between the two renderings, object by object; empty when they are equal. */
export function compareRenderings(raw: K8sObject[], helm: K8sObject[]): string[] {
  const out: string[] = [];
  const rawByKey = new Map(raw.map((o) => [objectKey(o), normalize(o)]));
  const helmByKey = new Map(helm.map((o) => [objectKey(o), normalize(o)]));
  if (rawByKey.size !== raw.length) out.push('raw rendering has duplicate objects');
  if (helmByKey.size !== helm.length) out.push('helm rendering has duplicate objects');
  for (const k of rawByKey.keys()) if (!helmByKey.has(k)) out.push(`${k}: only in raw`);
  for (const k of helmByKey.keys()) if (!rawByKey.has(k)) out.push(`${k}: only in helm`);
  for (const [k, r] of rawByKey) {
    const h = helmByKey.get(k);
    if (h !== undefined) diff(r, h, k, out);
  }
  return out;
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

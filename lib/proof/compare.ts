/**
 * The object-by-object comparison of the two renderings of a chart (raw synthesis and `helm template`),
 * the project's core guarantee, after both are read as Kubernetes reads YAML.
 */
import { k8sYamlToJson } from '../tooling/yaml2json';

export type K8sObject = Record<string, unknown> & {
  apiVersion: string;
  kind: string;
  metadata: { name: string; namespace?: string; labels?: Record<string, string>; annotations?: Record<string, string> };
};

/** The release both renderings are made for. */
export const RELEASE = { name: 'rel', namespace: 'team-ns' };

/** Parse a multi-document YAML stream the way Kubernetes reads it. */
export function parseStream(text: string): K8sObject[] {
  return k8sYamlToJson(text).filter((d): d is K8sObject => d !== null && typeof d === 'object');
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

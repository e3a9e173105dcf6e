/**
 * Kubernetes objects as rendered by `helm template`: parsing, identity, structural comparison, and
 * masking of values that differ between two renders of the same chart (randAlphaNum passwords, ...).
 */
import YAML from 'yaml';

export interface K8sObject {
  apiVersion?: string;
  kind?: string;
  metadata?: { name?: string; namespace?: string; labels?: Record<string, string>; annotations?: Record<string, string> };
  [key: string]: unknown;
}

/** Placeholder for a value that is different on every render of the same chart and values. */
export const NONDETERMINISTIC = '<nondeterministic>';

/** Parse a multi-document YAML stream the way Kubernetes reads it (YAML 1.1); empty documents dropped. */
export function parseManifests(text: string, source = 'manifest'): K8sObject[] {
  const out: K8sObject[] = [];
  for (const doc of YAML.parseAllDocuments(text, { version: '1.1' })) {
    if (doc.errors.length > 0) throw new Error(`${source}: invalid YAML: ${doc.errors[0]!.message}`);
    const value = doc.toJS({ maxAliasCount: -1 }) as unknown;
    if (value === null || value === undefined) continue;
    if (typeof value !== 'object' || Array.isArray(value)) throw new Error(`${source}: a document is not a Kubernetes object`);
    out.push(value as K8sObject);
  }
  return out;
}

/** API group of an apiVersion ("apps/v1" -> "apps", "v1" -> ""). */
export function apiGroup(apiVersion: string | undefined): string {
  if (!apiVersion) return '';
  const slash = apiVersion.indexOf('/');
  return slash === -1 ? '' : apiVersion.slice(0, slash);
}

/**
 * Identity of an object across chart versions: kind, namespace and name. The apiVersion is left out on
 * purpose (policy/v1beta1 -> policy/v1 is the same object); a missing namespace means the release's.
 */
export function objectKey(o: K8sObject, releaseNamespace = ''): string {
  return `${o.kind ?? '?'}/${o.metadata?.namespace ?? releaseNamespace}/${o.metadata?.name ?? '?'}`;
}

/** "Deployment team/web" (or "ClusterRole web" when there is no namespace). */
export function describeObject(o: K8sObject, releaseNamespace = ''): string {
  const ns = o.metadata?.namespace ?? releaseNamespace;
  return `${o.kind ?? '?'} ${ns ? `${ns}/` : ''}${o.metadata?.name ?? '?'}`;
}

/** True for Helm hooks (tests, pre-install jobs, ...): Helm creates them per hook, it never upgrades them in place. */
export function isHook(o: K8sObject): boolean {
  return o.metadata?.annotations?.['helm.sh/hook'] !== undefined;
}

function isPlainObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** Structural equality of JSON-like values (key order ignored; undefined members ignored). */
export function deepEqual(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (Array.isArray(a) || Array.isArray(b)) {
    if (!Array.isArray(a) || !Array.isArray(b) || a.length !== b.length) return false;
    return a.every((x, i) => deepEqual(x, b[i]));
  }
  if (isPlainObject(a) && isPlainObject(b)) {
    const keys = new Set([...Object.keys(a), ...Object.keys(b)]);
    for (const k of keys) if (!deepEqual(a[k], b[k])) return false;
    return true;
  }
  if (a instanceof Date && b instanceof Date) return a.getTime() === b.getTime();
  return false;
}

/** Appends a member to a dotted path, bracketing keys that are not plain identifiers. */
export function joinPath(base: string, key: string | number): string {
  if (typeof key === 'number') return `${base}[${key}]`;
  if (/^[A-Za-z_$][\w$-]*$/.test(key)) return base ? `${base}.${key}` : key;
  return `${base}[${JSON.stringify(key)}]`;
}

export interface Difference {
  path: string;
  old: unknown;
  new: unknown;
}

/** Leaf-level differences between two values (a missing member shows as undefined). */
export function differences(a: unknown, b: unknown, base = '', limit = Infinity): Difference[] {
  const out: Difference[] = [];
  const walk = (x: unknown, y: unknown, p: string): void => {
    if (out.length >= limit || deepEqual(x, y)) return;
    if (isPlainObject(x) && isPlainObject(y)) {
      for (const k of [...new Set([...Object.keys(x), ...Object.keys(y)])].sort()) walk(x[k], y[k], joinPath(p, k));
      return;
    }
    if (Array.isArray(x) && Array.isArray(y) && x.length === y.length) {
      x.forEach((v, i) => walk(v, y[i], joinPath(p, i)));
      return;
    }
    out.push({ path: p, old: x, new: y });
  };
  walk(a, b, base);
  return out;
}

/** Short one-line rendering of a value for messages. */
export function brief(v: unknown, max = 80): string {
  if (v === undefined) return '(unset)';
  const s = JSON.stringify(v) ?? String(v);
  return s.length > max ? `${s.slice(0, max - 3)}...` : s;
}

/** "a.b: 1 -> 2; c: (unset) -> 3" for the first few differences. */
export function describeDifferences(diffs: Difference[], max = 3): string {
  const shown = diffs.slice(0, max).map((d) => `${d.path || '(whole)'}: ${brief(d.old)} -> ${brief(d.new)}`);
  if (diffs.length > max) shown.push(`... ${diffs.length - max} more`);
  return shown.join('; ');
}

/**
 * Values that differ between two renders of the same chart with the same values (generated passwords,
 * random suffixes, timestamps) replaced by NONDETERMINISTIC, so that comparisons only see real changes.
 * `first` and `second` are the two renders; the result is `first` masked. Objects are paired by key.
 */
export function maskNondeterministic(first: K8sObject[], second: K8sObject[], releaseNamespace = ''): K8sObject[] {
  const others = new Map(second.map((o) => [objectKey(o, releaseNamespace), o]));
  const mask = (x: unknown, y: unknown): unknown => {
    if (deepEqual(x, y)) return x;
    if (isPlainObject(x) && isPlainObject(y)) {
      const out: Record<string, unknown> = {};
      for (const k of Object.keys(x)) out[k] = k in y ? mask(x[k], y[k]) : NONDETERMINISTIC;
      return out;
    }
    if (Array.isArray(x) && Array.isArray(y) && x.length === y.length) return x.map((v, i) => mask(v, y[i]));
    return NONDETERMINISTIC;
  };
  return first.map((o) => {
    const other = others.get(objectKey(o, releaseNamespace));
    return other === undefined ? o : (mask(o, other) as K8sObject);
  });
}

/**
 * Applies the mask found by maskNondeterministic to another render (of another source of the same chart):
 * every path that is NONDETERMINISTIC in `masked` is set to NONDETERMINISTIC in `target` too.
 */
export function applyMask(target: K8sObject[], masked: K8sObject[], releaseNamespace = ''): K8sObject[] {
  const masks = new Map(masked.map((o) => [objectKey(o, releaseNamespace), o]));
  const apply = (t: unknown, m: unknown): unknown => {
    if (m === NONDETERMINISTIC) return NONDETERMINISTIC;
    if (isPlainObject(t) && isPlainObject(m)) {
      const out: Record<string, unknown> = {};
      for (const k of Object.keys(t)) out[k] = k in m ? apply(t[k], m[k]) : t[k];
      return out;
    }
    if (Array.isArray(t) && Array.isArray(m) && t.length === m.length) return t.map((v, i) => apply(v, m[i]));
    return t;
  };
  return target.map((o) => {
    const m = masks.get(objectKey(o, releaseNamespace));
    return m === undefined ? o : (apply(o, m) as K8sObject);
  });
}

export interface ObjectChanges {
  added: string[];
  removed: string[];
  changed: { object: string; diffs: Difference[] }[];
}

/** Object-level comparison of two renders: added, removed and changed objects with their differences. */
export function compareObjects(before: K8sObject[], after: K8sObject[], releaseNamespace = ''): ObjectChanges {
  const b = new Map(before.map((o) => [objectKey(o, releaseNamespace), o]));
  const a = new Map(after.map((o) => [objectKey(o, releaseNamespace), o]));
  const changes: ObjectChanges = { added: [], removed: [], changed: [] };
  for (const [key, o] of a) {
    const old = b.get(key);
    if (old === undefined) changes.added.push(describeObject(o, releaseNamespace));
    else if (!deepEqual(old, o)) changes.changed.push({ object: describeObject(o, releaseNamespace), diffs: differences(old, o) });
  }
  for (const [key, o] of b) if (!a.has(key)) changes.removed.push(describeObject(o, releaseNamespace));
  return changes;
}

/**
 * The ApiObject every construct of this library creates. cdk8s' own serialization rejects maps that
 * have a key named "constructor" (its sanitizer reads `obj.constructor.name`), which is a legal label,
 * annotation or nodeSelector key; this class serializes the same way without that flaw.
 */
import { ApiObject, ApiObjectProps, JsonPatch, resolve } from 'cdk8s';
import { Construct } from 'constructs';

function isPlainMap(v: unknown): v is Record<string, unknown> {
  if (v === null || typeof v !== 'object' || Array.isArray(v)) return false;
  const proto = Object.getPrototypeOf(v) as unknown;
  return proto === Object.prototype || proto === null;
}

/** Drop null/undefined, sort keys (as cdk8s does), and optionally drop empty maps and lists. */
function sanitize(v: unknown, dropEmpty: boolean): unknown {
  if (v === null || v === undefined) return undefined;
  if (Array.isArray(v)) {
    const items = v.map((x) => sanitize(x, false));
    return dropEmpty && items.length === 0 ? undefined : items;
  }
  if (typeof v !== 'object') return v;
  if (!isPlainMap(v)) throw new Error(`can't render a non-plain object (${Object.prototype.toString.call(v)})`);
  const out: Record<string, unknown> = {};
  for (const key of Object.keys(v).sort()) {
    const child = sanitize(v[key], false);
    if (child !== undefined) out[key] = child;
  }
  return dropEmpty && Object.keys(out).length === 0 ? undefined : out;
}

export class Manifest extends ApiObject {
  private readonly body: ApiObjectProps;

  constructor(scope: Construct, id: string, props: ApiObjectProps) {
    // cdk8s keeps name and namespace (and the chart's labels); the rest of the metadata stays with us.
    super(scope, id, { apiVersion: props.apiVersion, kind: props.kind, metadata: { name: props.metadata?.name, namespace: props.metadata?.namespace } });
    this.body = props;
  }

  public override toJson(): any {
    const base = this.metadata.toJson() as Record<string, unknown>;
    const own = (this.body.metadata ?? {}) as Record<string, unknown>;
    const metadata: Record<string, unknown> = { ...base, ...own, name: base.name, namespace: base.namespace };
    if (base.labels) metadata.labels = { ...(base.labels as object), ...((own.labels as object | undefined) ?? {}) };
    const resolved = resolve([], { ...this.body, metadata }, this) as Record<string, unknown>;
    const json = sanitize(resolved, false) as Record<string, unknown>;
    json.metadata = Object.fromEntries(
      Object.entries(json.metadata as Record<string, unknown>)
        .map(([k, x]) => [k, sanitize(x, true)] as const)
        .filter(([, x]) => x !== undefined),
    );
    const patches = (this as unknown as { patches: JsonPatch[] }).patches;
    const patched = JsonPatch.apply(json, ...patches) as Record<string, unknown>;
    const ordered: Record<string, unknown> = {};
    for (const k of ['apiVersion', 'kind', 'metadata', ...Object.keys(patched)]) if (k in patched) ordered[k] = patched[k];
    return ordered;
  }
}

/**
 * The ApiObject every construct of this library creates. cdk8s' own serialization rejects maps that
 * have a key named "constructor" (its sanitizer reads `obj.constructor.name`), which is a legal label,
 * annotation or nodeSelector key; this class serializes the same way without that flaw.
 */
import { ApiObject, App, ImplicitTokenResolver, JsonPatch, LazyResolver, NumberStringUnionResolver, resolve } from 'cdk8s';
import { Construct } from 'constructs';
import { text, ValueOrConstant } from './template';

/** An object literal (or `Object.create(null)`): what a map of a Kubernetes object is. */
function isObjectLiteral(v: unknown): v is Record<string, unknown> {
  if (v === null || typeof v !== 'object' || Array.isArray(v)) return false;
  const proto = Object.getPrototypeOf(v) as unknown;
  return proto === Object.prototype || proto === null;
}

/** Drop null/undefined (keeping the order fields were written in: Kubernetes' usual order, not cdk8s' sorted one), and optionally drop empty maps and lists. */
function sanitize(v: unknown, dropEmpty: boolean): unknown {
  if (v === null || v === undefined) return undefined;
  if (Array.isArray(v)) {
    const items = v.map((x) => sanitize(x, false));
    return dropEmpty && items.length === 0 ? undefined : items;
  }
  if (typeof v !== 'object') return v;
  if (!isObjectLiteral(v)) throw new Error(`can't render an object that is not an object literal (${Object.prototype.toString.call(v)})`);
  const out: Record<string, unknown> = {};
  for (const key of Object.keys(v)) {
    const child = sanitize(v[key], false);
    if (child !== undefined) out[key] = child;
  }
  return dropEmpty && Object.keys(out).length === 0 ? undefined : out;
}

/**
 * `sanitize(resolve([], v, obj), false)` in one walk, for apps with only cdk8s' built-in resolvers. Those
 * replace nothing but Lazy values, objects with a `resolve()` method and number-or-string union classes, so
 * object literals, lists and scalars pass through them unchanged: they are copied directly (cdk8s' resolve calls
 * every resolver on every value with a fresh context and key path, a large share of synthesis), and only
 * other objects go through cdk8s. Unlike cdk8s, a map with a "constructor" key is walked like any other.
 */
function resolveWithBuiltIns(v: unknown, obj: ApiObject): unknown {
  if (v === null || v === undefined) return undefined;
  if (typeof v !== 'object') return v;
  if (Array.isArray(v)) return v.map((x) => resolveWithBuiltIns(x, obj));
  if (Object.getPrototypeOf(v) !== Object.prototype || typeof (v as { resolve?: unknown }).resolve === 'function') return sanitize(resolve([], v, obj), false);
  const out: Record<string, unknown> = {};
  for (const key of Object.keys(v)) {
    const child = resolveWithBuiltIns((v as Record<string, unknown>)[key], obj);
    if (child !== undefined) out[key] = child;
  }
  return out;
}

function onlyBuiltInResolvers(obj: ApiObject): boolean {
  return App.of(obj).resolvers.every((r) => r instanceof LazyResolver || r instanceof ImplicitTokenResolver || r instanceof NumberStringUnionResolver);
}

/** A Kubernetes object as construct code writes it: any field may hold values (Value<T>). */
export interface KubeObjectProps {
  readonly apiVersion: string;
  readonly kind: string;
  readonly metadata?: {
    readonly name?: ValueOrConstant<string>;
    readonly namespace?: ValueOrConstant<string>;
    readonly labels?: Record<string, ValueOrConstant<string>>;
    readonly annotations?: Record<string, ValueOrConstant<string>>;
  };
  readonly [field: string]: unknown;
}

/** cdk8s' metadata fields as version 2.x keeps them (private there). */
interface CdkMetadataFields {
  readonly name?: unknown;
  readonly namespace?: unknown;
  readonly labels?: object;
  readonly annotations?: object;
  readonly finalizers?: unknown[];
  readonly ownerReferences?: unknown[];
  readonly _additionalAttributes?: object;
}

function isEmptyMap(v: object | undefined): boolean {
  if (v === undefined) return false;
  for (const _ in v) return false;
  return true;
}

/**
 * What `metadata.toJson()` gives when cdk8s holds only a name and namespace given as strings (no chart labels, nothing
 * added through its metadata API), without its resolve and sanitize passes over the whole definition (a
 * large share of synthesis); undefined otherwise, or when cdk8s keeps its metadata differently.
 */
function nameAndNamespaceOnly(metadata: unknown): Record<string, unknown> | undefined {
  const m = metadata as CdkMetadataFields;
  if (typeof m.name !== 'string' || (m.namespace !== undefined && typeof m.namespace !== 'string')) return undefined;
  if (!isEmptyMap(m.labels) || !isEmptyMap(m.annotations) || m.finalizers?.length !== 0 || m.ownerReferences?.length !== 0) return undefined;
  if (m._additionalAttributes === undefined || Object.keys(m._additionalAttributes).some((k) => k !== 'name' && k !== 'namespace' && k !== 'labels')) return undefined;
  return m.namespace === undefined ? { name: m.name } : { name: m.name, namespace: m.namespace };
}

export class KubeObject extends ApiObject {
  private readonly body: KubeObjectProps;

  constructor(scope: Construct, id: string, props: KubeObjectProps) {
    // cdk8s keeps name and namespace (and the chart's labels); the rest of the metadata stays with us.
    const name = props.metadata?.name;
    const namespace = props.metadata?.namespace;
    super(scope, id, {
      apiVersion: props.apiVersion,
      kind: props.kind,
      metadata: { name: name === undefined ? undefined : text(name), namespace: namespace === undefined ? undefined : text(namespace) },
    });
    this.body = props;
  }

  public override toJson(): any {
    const builtInResolversOnly = onlyBuiltInResolvers(this);
    const base = ((builtInResolversOnly && nameAndNamespaceOnly(this.metadata)) || this.metadata.toJson()) as Record<string, unknown>;
    const own = (this.body.metadata ?? {}) as Record<string, unknown>;
    const metadata: Record<string, unknown> = { ...base, ...own, name: base.name, namespace: base.namespace };
    // Labels and annotations added through cdk8s' metadata API (or the chart's labels) join the object's own.
    for (const field of ['labels', 'annotations'] as const) {
      if (base[field]) metadata[field] = { ...(base[field] as object), ...((own[field] as object | undefined) ?? {}) };
    }
    const whole = { ...this.body, metadata };
    const json = (builtInResolversOnly ? resolveWithBuiltIns(whole, this) : sanitize(resolve([], whole, this), false)) as Record<string, unknown>;
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

/**
 * The rendering context every construct of this library is written against.
 *
 * The same construct code runs in two modes:
 * - `raw`: values are concrete; the context evaluates conditions and expressions in JavaScript, so the
 *   construct tree holds concrete Kubernetes objects that cdk8s synthesizes as usual.
 * - `helm`: values are *tokens* (short marker strings that stand for a Go template expression such as
 *   `$.Values.image.tag`). Conditions and expressions become template markers, and the Helm emitter turns
 *   the object tree into `templates/*.yaml` with `{{ }}`.
 *
 * Construct code therefore never branches on a value or computes with one directly: values are typed
 * `Value<T>`, which TypeScript will not branch on (`if`, `? :`, `&&`), add, or compare, and construct code
 * goes through `when`, `fieldsIf`, `itemsIf`, `ifElse`, `and`, `add`, `eq`, ... instead. What TypeScript
 * cannot catch (a number or boolean put into a string) stops helm-mode synthesis, naming the object; the
 * equivalence proof (helm template vs raw synthesis on random values) covers the rest.
 */
import { createHash } from 'node:crypto';
import { ApiObject, Chart } from 'cdk8s';
import { Construct, IConstruct } from 'constructs';
import { z } from 'zod';
import { ChartError } from './errors';
import type { OptionalHelper } from './helpers-tpl';
import { MAX_ANNOTATIONS_BYTES, parseValues } from './schema';

/** Where a release lands; in Helm these are `.Release.*`, in raw mode they are given. */
export interface ReleaseInfo {
  /** Release name; the `app.kubernetes.io/instance` label. */
  readonly name: Value<string>;
  /** Namespace every namespaced object is created in. */
  readonly namespace: Value<string>;
  /** The tool that manages the objects (`app.kubernetes.io/managed-by`); Helm says "Helm". */
  readonly service: Value<string>;
}

/** A release given concretely (raw synthesis). */
export function release(name: string, namespace: string, service: string): ReleaseInfo {
  return { name: constant(name), namespace: constant(namespace), service: constant(service) };
}

declare const VALUE: unique symbol;

/**
 * A value from the chart's values as construct code sees it: in raw synthesis the value itself, in a Helm
 * chart a template expression. TypeScript does not take it for a boolean, number or string, so branching
 * on it (`if`, `? :`, `&&`), computing with it (`+`, `-`) or comparing it (`===`) is a compile error: use
 * Render's `when`, `fieldsIf`, `ifElse`, `add`, `eq`, ... A string value may be interpolated into a string.
 */
export interface Value<T> {
  /**
   * A value is not a function; TypeScript's "did you mean to call it?" on `if (value)` means: use
   * `render.when(value, …)` or `render.ifElse(value, …)` instead. Calling it says so.
   */
  (this: UseRenderInstead): never;
  readonly [VALUE]: T;
  /** Not a property: its name is what TypeScript shows where a value is misused. */
  readonly 'use render.when(value, …) or render.ifElse(…) instead of if/?:/&&, render.add/eq/str instead of +/===/`${}`': never;
}

/**
 * What TypeScript names where construct code branches on or computes with a value: the Render call to use.
 * In a Helm chart a value is a template expression, so `if`, `? :`, `&&`, `+` and `===` cannot see it.
 */
export type UseRenderInstead = 'use render.when(value, …) or render.ifElse(…) instead of if/?:/&&, render.add/eq/str instead of +/===/`${}`';

/** What Render accepts: a constant (a T written in construct code) or a value (a Value<T> from the values). */
export type ValueOrConstant<T> = T | Value<T>;

type Leaf = string | number | boolean | null | undefined;

/**
 * A chart's values (of type T) as construct code sees them: objects stay objects (so `values.tls.https`
 * works), and every leaf, list and map is one Value.
 */
export type ValueTree<T> = [T] extends [Leaf]
  ? Value<T>
  : T extends readonly unknown[]
    ? Value<T>
    : string extends keyof T
      ? Value<T>
      : { readonly [K in keyof T]-?: ValueTree<T[K]> };

/**
 * The string that stands for a string value inside objects: the value itself in raw mode, a token that
 * the Helm emitter turns into a template expression in helm mode. For engine code that hands names to
 * cdk8s; construct code puts values into objects as they are.
 */
export function text(v: ValueOrConstant<string>): string {
  return v as unknown as string;
}

/** A constant as a value (it is one: a value that does not depend on the chart's values). */
export function constant<T>(v: T): Value<T> {
  return v as unknown as Value<T>;
}

/** The chart being rendered: its name and version make the `helm.sh/chart` label and name its templates. */
export interface ChartRef {
  readonly name: string;
  readonly version: string;
}

/** A JSON-like value that may hold tokens and template markers (helm mode). */
export type Json = string | number | boolean | null | undefined | Json[] | { [key: string]: Json };

const TOKEN_RE = /\u27e6(\d+)\u27e7/g;
const WHOLE_TOKEN_RE = /^\u27e6(\d+)\u27e7$/;
const MARKER_RE = /^\u27e6m(\d+)\u27e7$/;

/** What a token stands for. `shape` decides how it is written into YAML. */
export interface TokenInfo {
  readonly expr: string;
  /** `yaml`: the expression yields YAML text (an included named template), written as it is. */
  readonly shape: 'scalar' | 'map' | 'list' | 'yaml';
  /** What a scalar is, where known: a number or boolean must not be put into a string. */
  readonly kind?: 'string' | 'number' | 'boolean' | 'other';
  /** Printed as it is, without `toJson`, reads back as the same value (bounded integers, booleans, safe enums, names). */
  readonly printsAsIs?: boolean;
  /** For list-valued tokens: the element schema, so `each` can build element tokens. */
  readonly element?: z.ZodType;
}

/** Structural markers: keys (in maps) or single-key items (in lists) that the emitter expands. */
export type Marker =
  | { readonly type: 'if'; readonly cond: string }
  | { readonly type: 'merge'; readonly expr: string }
  | { readonly type: 'include'; readonly template: string; readonly args: string }
  | { readonly type: 'splice'; readonly expr: string }
  | { readonly type: 'range'; readonly variable: string; readonly expr: string };

/** Go template truthiness, which is what `{{ if }}` uses: empty strings, 0, false, nil and empty collections are false. */
export function goTruthy(v: unknown): boolean {
  if (v === undefined || v === null || v === false || v === 0 || v === '') return false;
  if (Array.isArray(v)) return v.length > 0;
  if (typeof v === 'object') return Object.keys(v as object).length > 0;
  return true;
}

/** A Go template literal for a JavaScript constant. */
export function goLiteral(v: unknown): string {
  if (typeof v === 'string') return JSON.stringify(v);
  if (typeof v === 'number' || typeof v === 'boolean') return String(v);
  if (v === null || v === undefined) return 'nil';
  throw new Error(`cannot express ${JSON.stringify(v)} as a Go template literal`);
}

/**
 * JSON as Go's encoding/json (Helm's `toJson`) writes it: map keys in UTF-8 byte order (JavaScript would
 * put integer-like keys first), `<`, `>`, `&`, U+2028 and U+2029 escaped, `-0` kept. Hashes of it must
 * match the ones templates compute.
 */
export function goJson(v: unknown): string {
  if (v === null || v === undefined) return 'null';
  if (typeof v === 'number') return Object.is(v, -0) ? '-0' : JSON.stringify(v);
  if (typeof v === 'string') return JSON.stringify(v).replace(/[<>&\u2028\u2029]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
  if (typeof v === 'boolean') return String(v);
  if (Array.isArray(v)) return `[${v.map(goJson).join(',')}]`;
  const entries = Object.entries(v as Record<string, unknown>).filter(([, x]) => x !== undefined);
  entries.sort(([a], [b]) => Buffer.compare(Buffer.from(a, 'utf8'), Buffer.from(b, 'utf8')));
  return `{${entries.map(([k, x]) => `${goJson(k)}:${goJson(x)}`).join(',')}}`;
}

/** The schema inside default/optional/nullable/... wrappers and a pipe's input. */
export function unwrapSchema(s: z.ZodType): z.ZodType {
  let cur: z.ZodType = s;
  for (;;) {
    const def = (cur as unknown as { _zod: { def: { type: string; innerType?: z.ZodType; in?: z.ZodType } } })._zod.def;
    if (def.innerType && ['default', 'optional', 'nullable', 'prefault', 'catch', 'readonly', 'nonoptional'].includes(def.type)) {
      cur = def.innerType;
    } else if (def.type === 'pipe' && def.in) {
      cur = def.in;
    } else {
      return cur;
    }
  }
}

function schemaType(s: z.ZodType): string {
  return (unwrapSchema(s) as unknown as { _zod: { def: { type: string } } })._zod.def.type;
}

const IDENT_RE = /^[A-Za-z_][A-Za-z0-9_]*$/;

/** Words a YAML 1.1 reader takes for something other than a string. */
const YAML_WORDS = /^(y|n|yes|no|on|off|true|false|null|nan|inf)$/i;

/**
 * Whether a values leaf printed as it is (no `toJson`) always reads back as the same value: booleans,
 * integers below 1e6 (Go prints larger floats as 1e+06), enums of simple words.
 */
function leafPrintsAsIs(schema: z.ZodType): boolean {
  const type = schemaType(schema);
  if (type === 'boolean') return true;
  if (type === 'number') {
    const n = schema as z.ZodNumber;
    return n.isInt && n.maxValue !== null && n.maxValue < 1e6 && n.minValue !== null && n.minValue > -1e6;
  }
  if (type === 'enum') return (schema as z.ZodEnum).options.every((o) => typeof o === 'string' && /^[A-Za-z][A-Za-z0-9]*$/.test(o) && !YAML_WORDS.test(o));
  return false;
}

/** The token kind of a values leaf, by its schema type. */
const LEAF_KINDS: Record<string, TokenInfo['kind']> = { string: 'string', enum: 'string', number: 'number', int: 'number', boolean: 'boolean' };

/** `$.Values.a.b`, or `(index $.Values "a-b")` where a key is not a Go identifier. */
/** The Go expression of `key` of the map at `base` (`index` for a key that is not an identifier). */
export function fieldExpr(base: string, key: string): string {
  return IDENT_RE.test(key) ? `${base}.${key}` : `(index ${base} ${JSON.stringify(key)})`;
}

/**
 * The context a construct renders through. Use `Render.of(scope)` to find it from any construct.
 */
export abstract class Render {
  private static readonly KEY = Symbol.for('chart-as-code.Render');

  /** Attach a render context to a construct subtree (usually the chart). */
  public static attach(scope: IConstruct, render: Render): void {
    (scope as unknown as Record<symbol, Render>)[Render.KEY] = render;
  }

  /**
   * The context of the nearest ancestor that has one. A construct used in a cdk8s Chart of its own (not a
   * RawChart) gets a raw
   * context for that chart: release name = the chart's id, namespace = the chart's (or "default").
   */
  public static of(scope: IConstruct): Render {
    for (let cur: IConstruct | undefined = scope; cur; cur = cur.node.scope) {
      const found = (cur as unknown as Record<symbol, Render | undefined>)[Render.KEY];
      if (found) return found;
    }
    const chart = Chart.of(scope);
    const render = new RawRender(release(chart.node.id, chart.namespace ?? 'default', 'cdk8s'));
    Render.attach(chart, render);
    return render;
  }

  abstract readonly mode: 'raw' | 'helm';
  /** Release name, namespace and managing tool. */
  abstract readonly release: ReleaseInfo;
  /** The chart being rendered; undefined for constructs used in a cdk8s Chart of their own (not a RawChart). */
  abstract readonly chart: ChartRef | undefined;

  /**
   * The values a construct renders with. Raw mode: `props` coalesced over the schema's defaults and
   * checked (a ValuesError names each wrong value). Helm mode: `props` as given, normally the chart's
   * values (or a part of them, e.g. `values.icap` in a bigger chart), whose leaves are template
   * expressions; keys `props` lacks are the schema's defaults, as constants.
   */
  abstract values<S extends z.ZodType>(what: string, schema: S, props: unknown): ValueTree<z.output<S>>;
  /** Where a values object comes from in the chart's values (`icap` for `$.Values.icap`, '' for the root); undefined when it is not one. */
  abstract valuesPath(values: unknown): string | undefined;

  /** Create the objects `body` makes only when `cond` holds (a whole `{{- if }}` around each object). */
  abstract when(cond: unknown, body: () => void): void;
  /** Fields to spread into an object, present only when `cond` holds. */
  abstract fieldsIf<T extends object>(cond: unknown, fields: T): Partial<T>;
  /** Items to spread into a list, present only when `cond` holds. */
  abstract itemsIf<T>(cond: unknown, items: T[]): T[];
  /** The items of a list value, to spread into a list. */
  abstract itemsOf<T>(list: ValueOrConstant<readonly T[]>): T[];
  /**
   * The items of a list value of the values whose items' names must all differ (env: Kubernetes keeps
   * only the last of a repeated name). zod refuses a repeat before raw synthesis; JSON Schema draft-07
   * cannot say it, so a Helm chart checks it where it spreads the list, failing with the item's path.
   */
  abstract itemsOfUniqueNames<T extends { name: string }>(list: ValueOrConstant<readonly T[]>): T[];
  /** A list built by mapping each element of a list value (a `range` in Helm). */
  abstract each<E, T>(list: ValueOrConstant<readonly E[]>, fn: (element: ValueTree<E>) => T): T[];
  /**
   * Objects made by `body` once per item of a list of the values, each name once (a chart checks it, as
   * itemsOfUniqueNames does): raw, `body` runs per item with the item's name for construct ids; in a chart
   * once, and its objects' template ranges over the list.
   */
  abstract eachObject<E extends { name: string }>(list: ValueOrConstant<readonly E[]>, body: (item: ValueTree<E>, id: string) => void): void;
  /** `base` with the entries of a map value added (keys must not collide with base's own). */
  abstract withEntriesOf<T extends object>(base: T, map: ValueOrConstant<Record<string, unknown>> | undefined): T;
  /** Map values combined; later maps win on equal keys. */
  abstract mergeMaps(...maps: ValueOrConstant<Record<string, string>>[]): Value<Record<string, string>>;
  /** `a` when `cond` holds, else `b` (scalars only). */
  abstract ifElse<T extends string | number | boolean>(cond: unknown, a: ValueOrConstant<T>, b: ValueOrConstant<T>): Value<T>;
  /** The first of the arguments that is non-empty. */
  abstract coalesce(...values: ValueOrConstant<string>[]): Value<string>;
  abstract not(cond: unknown): Value<boolean>;
  abstract and(...conds: unknown[]): Value<boolean>;
  abstract or(...conds: unknown[]): Value<boolean>;
  /** String equality (both sides strings). */
  abstract eq(a: ValueOrConstant<string>, b: ValueOrConstant<string>): Value<boolean>;
  /** The sum of integers (e.g. a grace period made of a drain delay and a shutdown budget). */
  abstract add(...values: ValueOrConstant<number>[]): Value<number>;
  /** A number or boolean as its JSON text (e.g. a port in a ConfigMap, or in a string). */
  abstract str(v: ValueOrConstant<number | boolean>): Value<string>;
  /** Base64 of a string, for Secret `data`. */
  abstract b64(v: ValueOrConstant<string>): Value<string>;
  /** JSON text of a value as Helm's `toJson` writes it (map keys sorted), e.g. a list written into one env var. */
  abstract json(v: unknown): Value<string>;
  /**
   * SHA-256 (hex) of a string map as Helm's `toJson` writes it (keys sorted): a pod annotation that
   * changes when the ConfigMap it reads changes, so `helm upgrade` and `kubectl apply` roll the pods.
   * With `length`, only the first `length` hex digits (e.g. a name suffix); with `name`, a Helm chart
   * computes it in that named template (one line per entry) rather than in one long expression.
   */
  abstract checksum(data: Record<string, ValueOrConstant<string>>, opts?: { length?: number; name?: string }): Value<string>;
  /**
   * The base64 value of `key` in the live Secret `name` when that Secret was written by an older chart
   * version of this release, one that rendered generated values into its manifest; empty otherwise, and
   * always empty where nothing can be looked up (raw synthesis, `helm template`, GitOps tools). It lets
   * the upgrade from such a version carry the value over instead of losing it (see CredentialGenerator).
   */
  abstract olderChartValue(name: ValueOrConstant<string>, key: string): Value<string>;
  /**
   * Non-empty when rendered against a cluster (`helm install`/`upgrade`: the namespace's kube-root-ca.crt
   * ConfigMap can be looked up); empty where nothing can be looked up (raw synthesis, `helm template`, GitOps
   * tools). Helm 3's three-way merge (and its rollback) deletes a whole `data` map one revision renders and
   * the next does not, so a chart renders `data: {}` in every revision Helm applies.
   */
  abstract againstCluster(): Value<string>;
  /**
   * A map written once and used in several places: in a Helm chart a named template `name` in
   * `_helpers.tpl` taking `params`, included where the map is used (a whole value, or spread into an
   * object); in raw synthesis `build(params)`. `build` runs once, on the parameters' tokens, so it must
   * give the same structure whatever their values. A parameter given as `undefined` is left out of the
   * include, where the template reads it as nil (empty, false), as raw synthesis reads `undefined`.
   */
  abstract sharedMap<P extends Record<string, unknown>, T extends object>(name: string, params: P, build: (params: P) => T): T;
  /**
   * Text written once and used in several places (a name, say), as `sharedMap`. `printsAsIs`: it always
   * reads back as a string when printed without quotes, so the chart prints it as it is.
   */
  abstract sharedText<P extends Record<string, unknown>>(name: string, params: P, build: (params: P) => ValueOrConstant<string>, opts?: { printsAsIs?: boolean }): Value<string>;
  /** A list written once and used in several places (spliced into lists), as `sharedMap`. */
  abstract sharedList<P extends Record<string, unknown>, T>(name: string, params: P, build: (params: P) => T[]): T[];
  /** A condition written once (a long one, used by several objects), as `sharedMap`: use it only as a condition. */
  abstract sharedCondition(name: string, build: () => unknown): Value<boolean>;
  /**
   * Whether the cluster serves an API version (`group/version`): Helm's `.Capabilities.APIVersions.Has`,
   * which `helm install` fills from the cluster's discovery and `helm template` from `--api-versions`;
   * raw synthesis answers from the versions it was given (RawChartProps.apiVersions), as `helm template` does.
   */
  abstract hasApiVersion(version: string): Value<boolean>;
  /** `map` without `keys` when `cond` holds, else `map` as it is (a map value, or an object of constants and values). */
  abstract omitKeysIf<T extends object>(cond: unknown, map: ValueOrConstant<T>, keys: readonly string[]): ValueOrConstant<T>;
  /**
   * An object's whole annotations map, refused when its keys and values total more than Kubernetes' 256 KiB
   * (the API server would refuse the object): JSON Schema cannot sum, so a Helm chart checks it in a named
   * template that `fail`s, and raw synthesis here, with the same message naming `from` (the values it holds).
   */
  abstract checkAnnotations(map: ValueOrConstant<Record<string, string>>, from: string): Value<Record<string, string>>;
  /** A name unique to the release, as `helm create` makes them: `<release>-<base>`, at most 63 characters. */
  abstract releaseScopedName(base: ValueOrConstant<string>): Value<string>;
}

/**
 * Concrete evaluation. Values are the JavaScript values themselves, typed as Value<T>; this class is where they
 * are used as what they are.
 */
export class RawRender extends Render {
  public readonly mode = 'raw' as const;
  public readonly chart: ChartRef | undefined;

  /**
   * @param apiVersions the API versions the target cluster serves, as `helm template --api-versions`
   * takes them (only those construct code asks about through hasApiVersion matter)
   */
  constructor(
    public readonly release: ReleaseInfo,
    chart?: ChartRef,
    private readonly apiVersions: readonly string[] = [],
  ) {
    super();
    this.chart = chart;
  }

  values<S extends z.ZodType>(what: string, schema: S, props: unknown): ValueTree<z.output<S>> {
    return parseValues(what, schema, props) as ValueTree<z.output<S>>;
  }
  valuesPath(_values: unknown): string | undefined {
    return undefined;
  }
  when(cond: unknown, body: () => void): void {
    if (goTruthy(cond)) body();
  }
  fieldsIf<T extends object>(cond: unknown, fields: T): Partial<T> {
    return goTruthy(cond) ? fields : {};
  }
  itemsIf<T>(cond: unknown, items: T[]): T[] {
    return goTruthy(cond) ? items : [];
  }
  itemsOf<T>(list: ValueOrConstant<readonly T[]>): T[] {
    return [...(concrete(list) ?? [])];
  }
  itemsOfUniqueNames<T extends { name: string }>(list: ValueOrConstant<readonly T[]>): T[] {
    return this.itemsOf(list);
  }
  eachObject<E extends { name: string }>(list: ValueOrConstant<readonly E[]>, body: (item: ValueTree<E>, id: string) => void): void {
    for (const item of concrete(list) ?? []) body(item as unknown as ValueTree<E>, item.name);
  }
  each<E, T>(list: ValueOrConstant<readonly E[]>, fn: (element: ValueTree<E>) => T): T[] {
    return (concrete(list) ?? []).map((e) => fn(e as ValueTree<E>));
  }
  withEntriesOf<T extends object>(base: T, map: ValueOrConstant<Record<string, unknown>> | undefined): T {
    return { ...base, ...(concrete(map) ?? {}) };
  }
  mergeMaps(...maps: ValueOrConstant<Record<string, string>>[]): Value<Record<string, string>> {
    return constant(Object.assign({}, ...maps.map(concrete)) as Record<string, string>);
  }
  ifElse<T extends string | number | boolean>(cond: unknown, a: ValueOrConstant<T>, b: ValueOrConstant<T>): Value<T> {
    return (goTruthy(cond) ? a : b) as Value<T>;
  }
  coalesce(...values: ValueOrConstant<string>[]): Value<string> {
    return constant(values.map(concrete).find(goTruthy) ?? '');
  }
  not(cond: unknown): Value<boolean> {
    return constant(!goTruthy(cond));
  }
  and(...conds: unknown[]): Value<boolean> {
    return constant(conds.every(goTruthy));
  }
  or(...conds: unknown[]): Value<boolean> {
    return constant(conds.some(goTruthy));
  }
  eq(a: ValueOrConstant<string>, b: ValueOrConstant<string>): Value<boolean> {
    return constant(concrete(a) === concrete(b));
  }
  add(...values: ValueOrConstant<number>[]): Value<number> {
    return constant(values.map(concrete).reduce((x, y) => x + y, 0));
  }
  str(v: ValueOrConstant<number | boolean>): Value<string> {
    return constant(JSON.stringify(concrete(v)));
  }
  b64(v: ValueOrConstant<string>): Value<string> {
    return constant(Buffer.from(concrete(v) ?? '', 'utf8').toString('base64'));
  }
  json(v: unknown): Value<string> {
    return constant(goJson(v));
  }
  checksum(data: Record<string, ValueOrConstant<string>>, opts: { length?: number; name?: string } = {}): Value<string> {
    const hex = createHash('sha256').update(goJson(data), 'utf8').digest('hex');
    return constant(opts.length === undefined ? hex : hex.slice(0, opts.length));
  }
  olderChartValue(_name: ValueOrConstant<string>, _key: string): Value<string> {
    return constant('');
  }
  againstCluster(): Value<string> {
    return constant('');
  }
  sharedMap<P extends Record<string, unknown>, T extends object>(_name: string, params: P, build: (params: P) => T): T {
    return build(params);
  }
  sharedText<P extends Record<string, unknown>>(_name: string, params: P, build: (params: P) => ValueOrConstant<string>): Value<string> {
    return build(params) as Value<string>;
  }
  sharedList<P extends Record<string, unknown>, T>(_name: string, params: P, build: (params: P) => T[]): T[] {
    return build(params);
  }
  sharedCondition(_name: string, build: () => unknown): Value<boolean> {
    return constant(goTruthy(build()));
  }
  hasApiVersion(version: string): Value<boolean> {
    return constant(this.apiVersions.includes(version));
  }
  omitKeysIf<T extends object>(cond: unknown, map: ValueOrConstant<T>, keys: readonly string[]): ValueOrConstant<T> {
    if (!goTruthy(cond)) return map;
    return Object.fromEntries(Object.entries(concrete(map) ?? {}).filter(([k]) => !keys.includes(k))) as T;
  }
  checkAnnotations(map: ValueOrConstant<Record<string, string>>, from: string): Value<Record<string, string>> {
    checkAnnotationsSize(concrete(map), from);
    return map as Value<Record<string, string>>;
  }
  releaseScopedName(base: ValueOrConstant<string>): Value<string> {
    return constant(`${concrete(this.release.name)}-${concrete(base)}`.slice(0, 63).replace(/-+$/, ''));
  }
}

/** The message of Render.checkAnnotations, word for word the chart's `fail` (helpers-tpl.ts). */
export function annotationsTooLarge(total: number, from: string): string {
  return `annotations total ${total} bytes (from ${from}), over Kubernetes' limit of ${MAX_ANNOTATIONS_BYTES} bytes of keys and values per object`;
}

/** Throws a ChartError when the keys and values of `map` total more than MAX_ANNOTATIONS_BYTES bytes (UTF-8, as Kubernetes counts). */
function checkAnnotationsSize(map: Record<string, unknown> | undefined, from: string): void {
  let total = 0;
  for (const [k, v] of Object.entries(map ?? {})) total += Buffer.byteLength(k) + (typeof v === 'string' ? Buffer.byteLength(v) : 0);
  if (total > MAX_ANNOTATIONS_BYTES) throw new ChartError(annotationsTooLarge(total, from));
}

/** In raw mode a Value<T> is the T itself. */
function concrete<T>(v: ValueOrConstant<T>): T {
  return v as T;
}

/** A named template collected for `_helpers.tpl`. */
export interface NamedTemplate {
  readonly name: string;
  /** Parameters it takes besides the chart's root context (`$p.<name>` inside), if any. */
  readonly params: readonly string[];
  /** A map or list body, the expression of a text body, or the entries of a checksum. */
  readonly body:
    | { readonly map: Json }
    | { readonly list: Json[] }
    | { readonly text: string }
    | { readonly condition: string }
    | { readonly checksum: readonly [string, string][]; readonly length?: number };
}

/** Symbolic evaluation: records Go template expressions behind tokens and markers. */
export class HelmRender extends Render {
  public readonly mode = 'helm' as const;
  public readonly release: ReleaseInfo;
  private readonly tokens: TokenInfo[] = [];
  private readonly markers: Marker[] = [];
  private readonly conditions = new WeakMap<ApiObject, string[]>();
  private readonly ranges = new WeakMap<ApiObject, { readonly variable: string; readonly expr: string }>();
  public readonly namedTemplates = new Map<string, NamedTemplate>();
  /** The optional helpers of `_helpers.tpl` (helpers-tpl.ts) the templates call. */
  public readonly helpers = new Set<OptionalHelper>();
  /** The values expression each mirrored object stands for. */
  private readonly mirrors = new WeakMap<object, string>();
  private rangeVars = 0;

  /**
   * @param chart the chart: its name prefixes the named templates (`<chart>.labels`, ...)
   * @param scope the construct whose ApiObjects `when` tags with conditions
   */
  constructor(public readonly chart: ChartRef, private readonly scope: Construct) {
    super();
    this.release = {
      name: this.value('$.Release.Name', 'string'),
      namespace: this.value('$.Release.Namespace', 'string'),
      service: this.value('$.Release.Service', 'string'),
    };
  }

  /** A fresh token standing for `expr`. */
  public token(expr: string, shape: TokenInfo['shape'] = 'scalar', element?: z.ZodType, kind: TokenInfo['kind'] = 'other', printsAsIs = false): string {
    this.tokens.push({ expr, shape, element, kind, printsAsIs });
    return `\u27e6${this.tokens.length - 1}\u27e7`;
  }

  /** A scalar token of a known kind, typed as the value it stands for. */
  private value<T>(expr: string, kind: TokenInfo['kind'], printsAsIs = kind === 'boolean'): Value<T> {
    return this.token(expr, 'scalar', undefined, kind, printsAsIs) as unknown as Value<T>;
  }

  /** The token behind a whole-token string, if it is one. */
  public tokenInfo(v: unknown): TokenInfo | undefined {
    if (typeof v !== 'string') return undefined;
    const m = WHOLE_TOKEN_RE.exec(v);
    return m ? this.tokens[Number(m[1])] : undefined;
  }

  public marker(m: Marker): string {
    this.markers.push(m);
    return `\u27e6m${this.markers.length - 1}\u27e7`;
  }

  /** The marker behind a map key or single-key list item, if it is one. */
  public markerOf(key: string): Marker | undefined {
    const m = MARKER_RE.exec(key);
    return m ? this.markers[Number(m[1])] : undefined;
  }

  /** Conditions (Go expressions, outermost first) an ApiObject is rendered under. */
  public conditionsOf(obj: ApiObject): string[] {
    return this.conditions.get(obj) ?? [];
  }

  /**
   * The Go expression for any value: constants become literals, a whole token its expression, and a
   * string with embedded tokens a `printf`.
   */
  public expr(v: unknown): string {
    if (typeof v === 'string') {
      const whole = this.tokenInfo(v);
      if (whole) return whole.expr;
      if (!v.includes('\u27e6')) return goLiteral(v);
      const args: string[] = [];
      const format = v.split(TOKEN_RE).map((part, i) => {
        if (i % 2 === 1) {
          const token = this.tokens[Number(part)]!;
          if (token.kind === 'number' || token.kind === 'boolean') {
            throw new ChartError(
              `the ${token.kind} ${token.expr} is put into a string, where a Helm chart would print it as Go formats it (8000 as 8e+03): use render.str() for it`,
            );
          }
          args.push(token.expr);
          return '%v';
        }
        return part.replace(/%/g, '%%');
      });
      return `(printf ${JSON.stringify(format.join(''))} ${args.join(' ')})`;
    }
    // A structure holding tokens (e.g. an object of values) as Go builds it: a dict or a list.
    if (Array.isArray(v)) return `(list ${v.map((x) => this.expr(x)).join(' ')})`;
    if (v !== null && typeof v === 'object') {
      const entries = Object.entries(v).map(([k, x]) => ` ${goLiteral(k)} ${this.expr(x)}`);
      return `(dict${entries.join('')})`;
    }
    return goLiteral(v);
  }

  /** The name of the chart: the prefix of its named templates. */
  public get chartName(): string {
    return this.chart.name;
  }

  /** The chart's values, from the root: every leaf a template expression. */
  public rootValues<S extends z.ZodType>(schema: S): ValueTree<z.output<S>> {
    return this.mirror(schema, '$.Values') as ValueTree<z.output<S>>;
  }

  values<S extends z.ZodType>(_what: string, schema: S, props: unknown): ValueTree<z.output<S>> {
    return this.resolve(schema, props) as ValueTree<z.output<S>>;
  }

  valuesPath(values: unknown): string | undefined {
    const expr = values !== null && typeof values === 'object' ? this.mirrors.get(values) : undefined;
    return expr === undefined ? undefined : expr.replace(/^\$\.Values\.?/, '');
  }

  /** `props` against `schema`: mirrored parts and tokens as they are, missing keys as the schema's defaults. */
  private resolve(schema: z.ZodType, props: unknown): unknown {
    if (props === undefined) {
      const d = schema.safeParse(undefined);
      return d.success ? d.data : undefined;
    }
    if (this.tokenInfo(props) || (props !== null && typeof props === 'object' && this.mirrors.has(props))) return props;
    const inner = unwrapSchema(schema);
    if (schemaType(inner) !== 'object' || props === null || typeof props !== 'object' || Array.isArray(props)) return props;
    const shape = (inner as z.ZodObject).shape as Record<string, z.ZodType>;
    const given = props as Record<string, unknown>;
    const unknownKeys = Object.keys(given).filter((k) => !(k in shape));
    if (unknownKeys.length > 0) throw new Error(`unknown values ${unknownKeys.join(', ')}`);
    return Object.fromEntries(Object.entries(shape).map(([key, child]) => [key, this.resolve(child, given[key])]));
  }

  private mirror(schema: z.ZodType, expr: string): unknown {
    const inner = unwrapSchema(schema);
    const type = schemaType(inner);
    if (type === 'object') {
      const shape = (inner as z.ZodObject).shape as Record<string, z.ZodType>;
      const out: Record<string, unknown> = {};
      for (const [key, child] of Object.entries(shape)) out[key] = this.mirror(child, fieldExpr(expr, key));
      this.mirrors.set(out, expr);
      return out;
    }
    if (type === 'array') {
      return this.token(expr, 'list', (inner as z.ZodArray<z.ZodType>).element);
    }
    if (type === 'record') return this.token(expr, 'map');
    return this.token(expr, 'scalar', undefined, LEAF_KINDS[type] ?? 'other', leafPrintsAsIs(inner));
  }

  when(cond: unknown, body: () => void): void {
    if (!this.isSymbolic(cond)) {
      if (goTruthy(cond)) body();
      return;
    }
    const before = new Set(this.scope.node.findAll().filter(ApiObject.isApiObject));
    body();
    const condition = this.expr(cond);
    for (const c of this.scope.node.findAll()) {
      if (ApiObject.isApiObject(c) && !before.has(c)) this.conditions.set(c, [condition, ...this.conditionsOf(c)]);
    }
  }

  fieldsIf<T extends object>(cond: unknown, fields: T): Partial<T> {
    if (!this.isSymbolic(cond)) return goTruthy(cond) ? fields : {};
    return { [this.marker({ type: 'if', cond: this.expr(cond) })]: fields } as unknown as Partial<T>;
  }

  itemsIf<T>(cond: unknown, items: T[]): T[] {
    if (!this.isSymbolic(cond)) return goTruthy(cond) ? items : [];
    return [{ [this.marker({ type: 'if', cond: this.expr(cond) })]: items } as unknown as T];
  }

  itemsOf<T>(list: ValueOrConstant<readonly T[]>): T[] {
    return [{ [this.marker({ type: 'splice', expr: this.expr(list) })]: true } as unknown as T];
  }

  itemsOfUniqueNames<T extends { name: string }>(list: ValueOrConstant<readonly T[]>): T[] {
    return this.itemsOf(this.uniquelyNamed(list, 'itemsOfUniqueNames') as unknown as Value<readonly T[]>);
  }

  /** The list's expression, checked by the uniqueNames helper: it prints nothing or fails, and `and` then gives the list itself. */
  private uniquelyNamed(list: unknown, caller: string): string {
    const info = this.tokenInfo(list);
    if (!info?.expr.startsWith('$.Values.')) throw new Error(`${caller}() needs a list of the values`);
    this.helpers.add('uniqueNames');
    const path = info.expr.slice('$.Values.'.length);
    return this.token(`(and (not (include "${this.chartName}.uniqueNames" (dict "list" ${info.expr} "path" ${goLiteral(path)}))) ${info.expr})`, 'list', info.element);
  }

  eachObject<E extends { name: string }>(list: ValueOrConstant<readonly E[]>, body: (item: ValueTree<E>, id: string) => void): void {
    const checked = this.tokenInfo(this.uniquelyNamed(list, 'eachObject'))!;
    const variable = `$e${this.rangeVars++}`;
    const before = new Set(this.scope.node.findAll().filter(ApiObject.isApiObject));
    body(this.mirror(checked.element!, variable) as ValueTree<E>, 'Each');
    for (const c of this.scope.node.findAll()) {
      if (ApiObject.isApiObject(c) && !before.has(c)) this.ranges.set(c, { variable, expr: checked.expr });
    }
  }

  /** The list an ApiObject's template ranges over (`eachObject`), if any. */
  public rangeOf(obj: ApiObject): { readonly variable: string; readonly expr: string } | undefined {
    return this.ranges.get(obj);
  }

  each<E, T>(list: ValueOrConstant<readonly E[]>, fn: (element: ValueTree<E>) => T): T[] {
    const info = this.tokenInfo(list);
    if (!info?.element) throw new Error('each() needs a list-valued value');
    const variable = `$e${this.rangeVars++}`;
    const element = this.mirror(info.element, variable) as ValueTree<E>;
    return [{ [this.marker({ type: 'range', variable, expr: info.expr })]: fn(element) } as unknown as T];
  }

  withEntriesOf<T extends object>(base: T, map: ValueOrConstant<Record<string, unknown>> | undefined): T {
    if (!this.isSymbolic(map)) return { ...base, ...(map as Record<string, unknown> | undefined) };
    return { ...base, [this.marker({ type: 'merge', expr: this.expr(map) })]: true } as T;
  }

  mergeMaps(...maps: ValueOrConstant<Record<string, string>>[]): Value<Record<string, string>> {
    // Not sprig's merge/mergeOverwrite: both let an empty string lose to another map's value.
    const args = maps.map((m) => this.expr(m)).join(' ');
    return this.token(`(fromJson (include "${this.chartName}.mergeMaps" (list ${args})))`, 'map') as unknown as Value<Record<string, string>>;
  }

  ifElse<T extends string | number | boolean>(cond: unknown, a: ValueOrConstant<T>, b: ValueOrConstant<T>): Value<T> {
    if (!this.isSymbolic(cond)) return (goTruthy(cond) ? a : b) as Value<T>;
    return this.value(`(ternary ${this.expr(a)} ${this.expr(b)} ${this.bool(cond)})`, this.kindOf(a, b));
  }

  coalesce(...values: ValueOrConstant<string>[]): Value<string> {
    return this.value(`(coalesce ${values.map((v) => this.expr(v)).join(' ')})`, 'string');
  }

  not(cond: unknown): Value<boolean> {
    const e = this.expr(cond);
    // `not (eq a b)` reads better as `ne a b`.
    const eq = /^\(eq (.*)\)$/.exec(e);
    return this.value(eq && !eq[1]!.includes('(eq ') ? `(ne ${eq[1]})` : `(not ${e})`, 'boolean');
  }

  and(...conds: unknown[]): Value<boolean> {
    return this.logic('and', conds);
  }

  or(...conds: unknown[]): Value<boolean> {
    return this.logic('or', conds);
  }

  /**
   * `and`/`or` with constant arguments folded away (`and true x` is `x`). Like Go's, the result is the
   * deciding argument, not a boolean: use it as a condition.
   */
  private logic(op: 'and' | 'or', conds: unknown[]): Value<boolean> {
    const decides = op === 'and' ? (c: unknown) => !goTruthy(c) : goTruthy;
    const symbolic = conds.filter((c) => this.isSymbolic(c));
    if (conds.some((c) => !this.isSymbolic(c) && decides(c))) return constant(op === 'or');
    if (symbolic.length === 0) return constant(op === 'and');
    if (symbolic.length === 1) return this.value(this.expr(symbolic[0]), 'other');
    return this.value(`(${op} ${symbolic.map((c) => this.expr(c)).join(' ')})`, 'other');
  }

  eq(a: ValueOrConstant<string>, b: ValueOrConstant<string>): Value<boolean> {
    // A string value compares as it is; anything else (a number given where a string was expected) as its text.
    const side = (v: ValueOrConstant<string>) => (typeof v === 'string' && !this.isSymbolic(v)) || this.tokenInfo(v)?.kind === 'string' ? this.expr(v) : `(toString ${this.expr(v)})`;
    return this.value(`(eq ${side(a)} ${side(b)})`, 'boolean');
  }

  add(...values: ValueOrConstant<number>[]): Value<number> {
    return this.value(`(add ${values.map((v) => this.expr(v)).join(' ')})`, 'number');
  }

  str(v: ValueOrConstant<number | boolean>): Value<string> {
    return this.value(`(toJson ${this.expr(v)})`, 'string');
  }

  b64(v: ValueOrConstant<string>): Value<string> {
    return this.value(`(b64enc (toString ${this.expr(v)}))`, 'string');
  }

  json(v: unknown): Value<string> {
    return this.value(`(toJson ${this.expr(v)})`, 'string');
  }

  checksum(data: Record<string, ValueOrConstant<string>>, opts: { length?: number; name?: string } = {}): Value<string> {
    const entries = Object.entries(data).map(([k, v]) => [k, this.expr(v)] as [string, string]);
    if (opts.name) {
      if (!this.namedTemplates.has(opts.name)) this.namedTemplates.set(opts.name, { name: opts.name, params: [], body: { checksum: entries, length: opts.length } });
      return this.value(`(include "${opts.name}" $)`, 'string', true);
    }
    const hash = `(sha256sum (toJson (dict ${entries.map(([k, e]) => `${goLiteral(k)} ${e}`).join(' ')})))`;
    return this.value(opts.length === undefined ? hash : `(trunc ${opts.length} ${hash})`, 'string');
  }

  olderChartValue(name: ValueOrConstant<string>, key: string): Value<string> {
    return this.value(`(include "${this.chartName}.olderChartValue" (dict "root" $ "name" ${this.expr(name)} "key" ${goLiteral(key)}))`, 'string');
  }

  againstCluster(): Value<string> {
    return this.value(`(include "${this.chartName}.againstCluster" $)`, 'string');
  }

  sharedMap<P extends Record<string, unknown>, T extends object>(name: string, params: P, build: (params: P) => T): T {
    const args = this.defineShared(name, params, (tokens) => ({ map: build(tokens) as Json }));
    return { [this.marker({ type: 'include', template: name, args })]: true } as unknown as T;
  }

  sharedText<P extends Record<string, unknown>>(name: string, params: P, build: (params: P) => ValueOrConstant<string>, opts: { printsAsIs?: boolean } = {}): Value<string> {
    const args = this.defineShared(name, params, (tokens) => ({ text: this.expr(build(tokens)) }));
    return this.value(`(include "${name}" ${args})`, 'string', opts.printsAsIs ?? false);
  }

  sharedList<P extends Record<string, unknown>, T>(name: string, params: P, build: (params: P) => T[]): T[] {
    const args = this.defineShared(name, params, (tokens) => ({ list: build(tokens) as Json[] }));
    return [{ [this.marker({ type: 'include', template: name, args })]: true } as unknown as T];
  }

  sharedCondition(name: string, build: () => unknown): Value<boolean> {
    const cond = build();
    if (!this.isSymbolic(cond)) return constant(goTruthy(cond));
    this.defineShared(name, {}, () => ({ condition: this.expr(cond) }));
    return this.value(`(include "${name}" $)`, 'other');
  }

  hasApiVersion(version: string): Value<boolean> {
    return this.value(`($.Capabilities.APIVersions.Has ${goLiteral(version)})`, 'boolean');
  }

  omitKeysIf<T extends object>(cond: unknown, map: ValueOrConstant<T>, keys: readonly string[]): ValueOrConstant<T> {
    const constantCond = !this.isSymbolic(cond);
    if (constantCond && !goTruthy(cond)) return map;
    if (this.tokenInfo(map)) {
      const m = this.expr(map);
      const omitted = `(omit ${m} ${keys.map(goLiteral).join(' ')})`;
      return this.token(constantCond ? omitted : `(ternary ${omitted} ${m} ${this.bool(cond)})`, 'map') as unknown as Value<T>;
    }
    // An object built here: its keys are known, so those to leave out become fields under the negated condition.
    const entries = Object.entries(map as object);
    const kept = Object.fromEntries(entries.filter(([k]) => !keys.includes(k)));
    const omitted = entries.filter(([k]) => keys.includes(k));
    if (constantCond || omitted.length === 0) return (constantCond ? kept : map) as T;
    return { ...kept, ...this.fieldsIf(this.not(cond), Object.fromEntries(omitted)) } as T;
  }

  /** Defines the named template on first use (checking later uses pass the same parameters); the arguments to include it with. */
  private defineShared<P extends Record<string, unknown>>(name: string, params: P, body: (tokens: P) => NamedTemplate['body']): string {
    const keys = Object.keys(params);
    const defined = this.namedTemplates.get(name);
    if (!defined) {
      const tokens = Object.fromEntries(keys.map((k) => [k, this.paramToken(k, params[k])])) as P;
      this.namedTemplates.set(name, { name, params: keys, body: body(tokens) });
    } else if (defined.params.join() !== keys.join()) {
      throw new Error(`named template ${name} is used with parameters ${keys.join(', ')} and ${defined.params.join(', ')}`);
    }
    const given = keys.filter((k) => params[k] !== undefined);
    return keys.length === 0 ? '$' : `(dict "root" $${given.map((k) => ` ${goLiteral(k)} ${this.expr(params[k])}`).join('')})`;
  }

  /** The token a named template's body sees for a parameter: `$p.<name>`, shaped like the argument. */
  private paramToken(key: string, arg: unknown): string {
    const expr = `$p.${key}`;
    const info = this.tokenInfo(arg);
    if (info) return this.token(expr, info.shape, info.element, info.kind, info.printsAsIs);
    if (Array.isArray(arg)) return this.token(expr, 'list');
    if (arg !== null && typeof arg === 'object') return this.token(expr, 'map');
    return this.token(expr, 'scalar', undefined, typeof arg === 'number' ? 'number' : typeof arg === 'boolean' ? 'boolean' : 'string', typeof arg !== 'string');
  }

  checkAnnotations(map: ValueOrConstant<Record<string, string>>, from: string): Value<Record<string, string>> {
    if (!this.isSymbolic(map)) {
      checkAnnotationsSize(map as Record<string, string>, from);
      return map as Value<Record<string, string>>;
    }
    return this.token(`(fromJson (include "${this.chartName}.checkAnnotations" (list ${this.expr(map)} ${goLiteral(from)})))`, 'map') as unknown as Value<Record<string, string>>;
  }

  releaseScopedName(base: ValueOrConstant<string>): Value<string> {
    return this.value(`(include "${this.chartName}.releaseScopedName" (dict "root" $ "name" ${this.expr(base)}))`, 'string');
  }

  /** The kind of what `ifElse` picks from: the kind of its constants or tokens, when they agree. */
  private kindOf(...vs: unknown[]): TokenInfo['kind'] {
    const kinds = new Set(vs.map((v) => this.tokenInfo(v)?.kind ?? (typeof v === 'number' ? 'number' : typeof v === 'boolean' ? 'boolean' : 'string')));
    return kinds.size === 1 ? [...kinds][0]! : 'other';
  }

  /** A boolean Go expression for a condition (Go's `ternary` wants a real bool). */
  private bool(cond: unknown): string {
    const e = this.expr(cond);
    // eq, ne and not always give a bool.
    return /^\((eq|ne|not) /.test(e) ? e : `(not (empty ${e}))`;
  }

  /** Whether `v` holds a token anywhere (a constant otherwise). */
  private isSymbolic(v: unknown): boolean {
    if (typeof v === 'string') return v.includes('\u27e6');
    if (Array.isArray(v)) return v.some((x) => this.isSymbolic(x));
    if (v !== null && typeof v === 'object') return Object.entries(v).some(([k, x]) => this.isSymbolic(k) || this.isSymbolic(x));
    return false;
  }
}

/**
 * The rendering context every construct of this library is written against.
 *
 * The same construct code runs in two modes:
 * - `raw`: values are concrete; the context evaluates conditions and expressions in JavaScript, so the
 *   construct tree holds plain Kubernetes objects that cdk8s synthesizes as usual.
 * - `helm`: values are *tokens* (short marker strings that stand for a Go template expression such as
 *   `$.Values.image.tag`). Conditions and expressions become template markers, and the Helm emitter turns
 *   the object tree into `templates/*.yaml` with `{{ }}`.
 *
 * Construct code must therefore never branch on a value or compute with one directly; it goes through
 * `when`, `fields`, `items`, `choose`, `and`, ... The equivalence tests (helm template vs raw synthesis on
 * random values) are what prove a construct kept to that rule.
 */
import { createHash } from 'node:crypto';
import { ApiObject, Chart } from 'cdk8s';
import { Construct, IConstruct } from 'constructs';
import { z } from 'zod';

/** Where a release lands; in Helm these are `.Release.*`, in raw mode they are given. */
export interface ReleaseInfo {
  /** Release name; the `app.kubernetes.io/instance` label. */
  readonly name: string;
  /** Namespace every namespaced object is created in. */
  readonly namespace: string;
  /** The tool that manages the objects (`app.kubernetes.io/managed-by`); Helm says "Helm". */
  readonly service: string;
}

/** A JSON-like value that may hold tokens and template markers (helm mode). */
export type Json = string | number | boolean | null | undefined | Json[] | { [key: string]: Json };

const TOKEN_RE = /\u27e6(\d+)\u27e7/g;
const WHOLE_TOKEN_RE = /^\u27e6(\d+)\u27e7$/;
const MARKER_RE = /^\u27e6m(\d+)\u27e7$/;

/** What a token stands for. `shape` decides how it is written into YAML. */
export interface TokenInfo {
  readonly expr: string;
  readonly shape: 'scalar' | 'map' | 'list';
  /** For list-valued tokens: the element schema, so `each` can build element tokens. */
  readonly element?: z.ZodType;
}

/** Structural markers: keys (in maps) or single-key items (in lists) that the emitter expands. */
export type Marker =
  | { readonly type: 'if'; readonly cond: string }
  | { readonly type: 'merge'; readonly expr: string }
  | { readonly type: 'include'; readonly template: string }
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

/** `$.Values.a.b`, or `(index $.Values "a-b")` where a key is not a Go identifier. */
function fieldExpr(base: string, key: string): string {
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
   * The context of the nearest ancestor that has one. A construct used in a plain cdk8s Chart gets a raw
   * context for that chart: release name = the chart's id, namespace = the chart's (or "default").
   */
  public static of(scope: IConstruct): Render {
    for (let cur: IConstruct | undefined = scope; cur; cur = cur.node.scope) {
      const found = (cur as unknown as Record<symbol, Render | undefined>)[Render.KEY];
      if (found) return found;
    }
    const chart = Chart.of(scope);
    const render = new RawRender({ name: chart.node.id, namespace: chart.namespace ?? 'default', service: 'cdk8s' });
    Render.attach(chart, render);
    return render;
  }

  abstract readonly mode: 'raw' | 'helm';
  /** Release name, namespace and managing tool. */
  abstract readonly release: ReleaseInfo;

  /** Values under `root` typed as T: concrete in raw mode, token mirrors in helm mode. */
  abstract values<T>(schema: z.ZodType<T>, data: unknown): T;

  /** Create the objects `body` makes only when `cond` holds (a whole `{{- if }}` around each object). */
  abstract when(cond: unknown, body: () => void): void;
  /** Fields to spread into an object, present only when `cond` holds. */
  abstract fields<T extends object>(cond: unknown, fields: T): Partial<T>;
  /** Items to spread into a list, present only when `cond` holds. */
  abstract items<T>(cond: unknown, items: T[]): T[];
  /** Items of a list-valued value, spliced into a list. */
  abstract splice<T>(list: T[]): T[];
  /** A list built by mapping each element of a list-valued value (a `range` in Helm). */
  abstract each<E, T>(list: E[], fn: (element: E) => T): T[];
  /** Entries of a map-valued value merged into an object. Keys must not collide with the object's own. */
  abstract merge<T extends object>(base: T, extra: Record<string, string> | undefined): T;
  /** Map-valued values combined; later maps win on equal keys. */
  abstract mergeMaps(...maps: Record<string, string>[]): Record<string, string>;
  /** `a` when `cond` holds, else `b` (scalars only). */
  abstract choose<T extends string | number | boolean>(cond: unknown, a: T, b: T): T;
  /** The first of the arguments that is non-empty. */
  abstract coalesce(...values: string[]): string;
  abstract not(cond: unknown): boolean;
  abstract and(...conds: unknown[]): boolean;
  abstract or(...conds: unknown[]): boolean;
  /** String equality (both sides strings). */
  abstract eq(a: string, b: string): boolean;
  /** The sum of integers (e.g. a grace period made of a drain delay and a shutdown budget). */
  abstract add(...values: number[]): number;
  /** A number as its decimal string (e.g. a port in a ConfigMap). */
  abstract str(v: number | boolean): string;
  /** Base64 of a string, for Secret `data`. */
  abstract b64(v: string): string;
  /** JSON text of a value as Helm's `toJson` writes it (map keys sorted), e.g. a list written into one env var. */
  abstract json(v: unknown): string;
  /**
   * SHA-256 (hex) of a string map as Helm's `toJson` writes it (keys sorted): a pod annotation that
   * changes when the ConfigMap it reads changes, so `helm upgrade` and `kubectl apply` roll the pods.
   * With `length`, only the first `length` hex digits (e.g. a name suffix).
   */
  abstract checksum(data: Record<string, string>, length?: number): string;
  /**
   * The base64 value of `key` in the live Secret `name` when that Secret was written by an older chart
   * version of this release, one that rendered generated values into its manifest; empty otherwise, and
   * always empty where nothing can be looked up (raw synthesis, `helm template`, GitOps tools). It lets
   * the upgrade from such a version carry the value over instead of losing it (see CredentialGenerator).
   */
  abstract olderChartValue(name: string, key: string): string;
  /** A map defined once as a named template (`_helpers.tpl`) and included where used. */
  abstract namedMap(name: string, build: () => Record<string, string>): Record<string, string>;
  /** An object's name: the product's default name behind the release's optional name prefix. */
  abstract objectName(prefix: string, base: string): string;
}

/** Concrete evaluation. */
export class RawRender extends Render {
  public readonly mode = 'raw' as const;

  constructor(public readonly release: ReleaseInfo) {
    super();
  }

  values<T>(schema: z.ZodType<T>, data: unknown): T {
    return schema.parse(data);
  }
  when(cond: unknown, body: () => void): void {
    if (goTruthy(cond)) body();
  }
  fields<T extends object>(cond: unknown, fields: T): Partial<T> {
    return goTruthy(cond) ? fields : {};
  }
  items<T>(cond: unknown, items: T[]): T[] {
    return goTruthy(cond) ? items : [];
  }
  splice<T>(list: T[]): T[] {
    return list ?? [];
  }
  each<E, T>(list: E[], fn: (element: E) => T): T[] {
    return (list ?? []).map(fn);
  }
  merge<T extends object>(base: T, extra: Record<string, string> | undefined): T {
    return { ...base, ...(extra ?? {}) };
  }
  mergeMaps(...maps: Record<string, string>[]): Record<string, string> {
    return Object.assign({}, ...maps);
  }
  choose<T extends string | number | boolean>(cond: unknown, a: T, b: T): T {
    return goTruthy(cond) ? a : b;
  }
  coalesce(...values: string[]): string {
    return values.find(goTruthy) ?? '';
  }
  not(cond: unknown): boolean {
    return !goTruthy(cond);
  }
  and(...conds: unknown[]): boolean {
    return conds.every(goTruthy);
  }
  or(...conds: unknown[]): boolean {
    return conds.some(goTruthy);
  }
  eq(a: string, b: string): boolean {
    return a === b;
  }
  add(...values: number[]): number {
    return values.reduce((a, b) => a + b, 0);
  }
  str(v: number | boolean): string {
    return JSON.stringify(v);
  }
  b64(v: string): string {
    return Buffer.from(v ?? '', 'utf8').toString('base64');
  }
  json(v: unknown): string {
    return goJson(v);
  }
  checksum(data: Record<string, string>, length?: number): string {
    const hex = createHash('sha256').update(goJson(data), 'utf8').digest('hex');
    return length === undefined ? hex : hex.slice(0, length);
  }
  olderChartValue(_name: string, _key: string): string {
    return '';
  }
  namedMap(_name: string, build: () => Record<string, string>): Record<string, string> {
    return build();
  }
  objectName(prefix: string, base: string): string {
    return `${prefix}${base}`;
  }
}

/** A named template collected for `_helpers.tpl`. */
export interface NamedTemplate {
  readonly name: string;
  readonly body: Json;
}

/** Symbolic evaluation: records Go template expressions behind tokens and markers. */
export class HelmRender extends Render {
  public readonly mode = 'helm' as const;
  public readonly release: ReleaseInfo;
  private readonly tokens: TokenInfo[] = [];
  private readonly markers: Marker[] = [];
  private readonly conditions = new WeakMap<ApiObject, string[]>();
  public readonly namedTemplates = new Map<string, NamedTemplate>();
  private rangeVars = 0;

  /**
   * @param chartName prefix of the named templates (`<chartName>.labels`, ...)
   * @param scope the construct whose ApiObjects `when` tags with conditions
   */
  constructor(public readonly chartName: string, private readonly scope: Construct) {
    super();
    this.release = {
      name: this.token('$.Release.Name'),
      namespace: this.token('$.Release.Namespace'),
      service: this.token('$.Release.Service'),
    };
  }

  /** A fresh token standing for `expr`. */
  public token(expr: string, shape: TokenInfo['shape'] = 'scalar', element?: z.ZodType): string {
    this.tokens.push({ expr, shape, element });
    return `\u27e6${this.tokens.length - 1}\u27e7`;
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
          args.push(this.tokens[Number(part)]!.expr);
          return '%v';
        }
        return part.replace(/%/g, '%%');
      });
      return `(printf ${JSON.stringify(format.join(''))} ${args.join(' ')})`;
    }
    // A structure holding tokens (e.g. an object of values) as Go builds it: a dict or a list.
    if (Array.isArray(v)) return `(list ${v.map((x) => this.expr(x)).join(' ')})`;
    if (v !== null && typeof v === 'object') {
      return `(dict ${Object.entries(v).map(([k, x]) => `${goLiteral(k)} ${this.expr(x)}`).join(' ')})`;
    }
    return goLiteral(v);
  }

  values<T>(schema: z.ZodType<T>, _data: unknown): T {
    return this.mirror(schema, '$.Values') as T;
  }

  private mirror(schema: z.ZodType, expr: string): unknown {
    const inner = unwrapSchema(schema);
    const type = schemaType(inner);
    if (type === 'object') {
      const shape = (inner as z.ZodObject).shape as Record<string, z.ZodType>;
      const out: Record<string, unknown> = {};
      for (const [key, child] of Object.entries(shape)) out[key] = this.mirror(child, fieldExpr(expr, key));
      return out;
    }
    if (type === 'array') {
      return this.token(expr, 'list', (inner as z.ZodArray<z.ZodType>).element);
    }
    if (type === 'record') return this.token(expr, 'map');
    return this.token(expr, 'scalar');
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

  fields<T extends object>(cond: unknown, fields: T): Partial<T> {
    if (!this.isSymbolic(cond)) return goTruthy(cond) ? fields : {};
    return { [this.marker({ type: 'if', cond: this.expr(cond) })]: fields } as unknown as Partial<T>;
  }

  items<T>(cond: unknown, items: T[]): T[] {
    if (!this.isSymbolic(cond)) return goTruthy(cond) ? items : [];
    return [{ [this.marker({ type: 'if', cond: this.expr(cond) })]: items } as unknown as T];
  }

  splice<T>(list: T[]): T[] {
    return [{ [this.marker({ type: 'splice', expr: this.expr(list) })]: true } as unknown as T];
  }

  each<E, T>(list: E[], fn: (element: E) => T): T[] {
    const info = this.tokenInfo(list);
    if (!info?.element) throw new Error('each() needs a list-valued value');
    const variable = `$e${this.rangeVars++}`;
    const element = this.mirror(info.element, variable) as E;
    return [{ [this.marker({ type: 'range', variable, expr: info.expr })]: fn(element) } as unknown as T];
  }

  merge<T extends object>(base: T, extra: Record<string, string> | undefined): T {
    return { ...base, [this.marker({ type: 'merge', expr: this.expr(extra) })]: true } as T;
  }

  mergeMaps(...maps: Record<string, string>[]): Record<string, string> {
    // Not sprig's merge/mergeOverwrite: both let an empty string lose to another map's value.
    const args = maps.map((m) => this.expr(m)).join(' ');
    return this.token(`(fromJson (include "${this.chartName}.mergeMaps" (list ${args})))`, 'map') as unknown as Record<string, string>;
  }

  choose<T extends string | number | boolean>(cond: unknown, a: T, b: T): T {
    if (!this.isSymbolic(cond)) return goTruthy(cond) ? a : b;
    return this.token(`(ternary ${this.expr(a)} ${this.expr(b)} ${this.bool(cond)})`) as T;
  }

  coalesce(...values: string[]): string {
    return this.token(`(coalesce ${values.map((v) => this.expr(v)).join(' ')})`);
  }

  not(cond: unknown): boolean {
    return this.token(`(not ${this.expr(cond)})`) as unknown as boolean;
  }

  and(...conds: unknown[]): boolean {
    return this.token(`(and ${conds.map((c) => this.expr(c)).join(' ')})`) as unknown as boolean;
  }

  or(...conds: unknown[]): boolean {
    return this.token(`(or ${conds.map((c) => this.expr(c)).join(' ')})`) as unknown as boolean;
  }

  eq(a: string, b: string): boolean {
    return this.token(`(eq (toString ${this.expr(a)}) ${this.expr(b)})`) as unknown as boolean;
  }

  add(...values: number[]): number {
    return this.token(`(add ${values.map((v) => this.expr(v)).join(' ')})`) as unknown as number;
  }

  str(v: number | boolean): string {
    return this.token(`(toJson ${this.expr(v)})`);
  }

  b64(v: string): string {
    return this.token(`(b64enc (toString ${this.expr(v)}))`);
  }

  json(v: unknown): string {
    return this.token(`(toJson ${this.expr(v)})`);
  }

  checksum(data: Record<string, string>, length?: number): string {
    const entries = Object.entries(data).map(([k, v]) => `${goLiteral(k)} ${this.expr(v)}`);
    const hash = `(sha256sum (toJson (dict ${entries.join(' ')})))`;
    return this.token(length === undefined ? hash : `(trunc ${length} ${hash})`);
  }

  olderChartValue(name: string, key: string): string {
    return this.token(`(include "${this.chartName}.olderChartValue" (dict "root" $ "name" ${this.expr(name)} "key" ${goLiteral(key)}))`);
  }

  namedMap(name: string, build: () => Record<string, string>): Record<string, string> {
    const template = `${this.chartName}.${name}`;
    if (!this.namedTemplates.has(template)) this.namedTemplates.set(template, { name: template, body: build() as Json });
    return { [this.marker({ type: 'include', template })]: 'true' };
  }

  objectName(prefix: string, base: string): string {
    return this.token(`(include "${this.chartName}.objectName" (dict "root" $ "prefix" ${this.expr(prefix)} "name" ${this.expr(base)}))`);
  }

  /** A boolean Go expression for a condition (Go's `ternary` wants a real bool). */
  private bool(cond: unknown): string {
    return `(not (empty ${this.expr(cond)}))`;
  }

  private isSymbolic(v: unknown): boolean {
    return typeof v === 'string' && v.includes('\u27e6');
  }
}

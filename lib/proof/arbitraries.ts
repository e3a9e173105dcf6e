/**
 * Property-based test inputs derived from a zod 4 values schema, the single source of truth for a chart's
 * values. `validValues` makes sparse, user-style values (what someone writes in a values file: each key
 * set or left to its default, even odds), valid once coalesced over the defaults as Helm and raw synthesis
 * coalesce them (a request is held to the default limits); `invalidValues` makes one of those with exactly
 * one mutation that both zod and the chart (values.schema.json, draft-07, checked by Helm on the coalesced
 * values, and the template rules of values-rules.yaml) reject. A schema given examples (k8sObject,
 * withK8sExamples) is drawn from them: free-form Kubernetes fragments, and resource names (never huge pages,
 * whose quantities Kubernetes wants a multiple of the page size, which the schemas do not state).
 *
 * The generators read zod internals (`_zod.def`), so every access goes through the small typed helpers
 * in the first section; nothing else here touches `_zod`.
 */
import YAML from 'yaml';
import { z } from 'zod';
import { coalesceValues, k8sObjectExamples, ruleCounterexamples } from '../core/schema';
import { type Arbitrary, fc, type WeightedArbitrary } from './fast-check';

export type InvalidKind =
  | 'wrong-type'
  | 'out-of-range'
  | 'malformed-string'
  | 'unknown-key'
  | 'bad-enum'
  | 'rule'
  | 'too-many'
  | 'too-few';

export const INVALID_KINDS: readonly InvalidKind[] = [
  'wrong-type',
  'out-of-range',
  'malformed-string',
  'unknown-key',
  'bad-enum',
  'rule',
  'too-many',
  'too-few',
];

/**
 * Valid sparse values with one mutation at `path` (the mutated value, or for `unknown-key` and record-key
 * mutations the inserted key). Kinds: `wrong-type` (JSON type not accepted, or a fraction for an integer),
 * `out-of-range` (number beyond minimum/maximum), `malformed-string` (pattern violated), `unknown-key`
 * (key outside a strict object), `bad-enum` (value outside an enum/const list), `rule` (a `rule()`
 * counterexample merged in), `too-many` / `too-few` (array items or string characters beyond
 * maxItems/maxLength or below minItems/minLength).
 */
export interface InvalidCase {
  values: Record<string, unknown>;
  path: (string | number)[];
  kind: InvalidKind;
}

/** A mutation target: a schema position (`.key`, `[]` = any array item, `{}` = any record entry) and what can break there. */
export interface SchemaPath {
  pattern: string;
  kinds: InvalidKind[];
}

type Schema = z.ZodType;
type JsonPath = (string | number)[];
type Arb<T> = Arbitrary<T>;

// ---------------------------------------------------------------------------------------------------
// zod internals, behind typed helpers
// ---------------------------------------------------------------------------------------------------

/** The parts of `_zod.def` this module reads; which are set depends on `type`. */
interface DefView {
  type: string;
  innerType?: Schema;
  in?: Schema;
  getter?: () => Schema;
  shape?: Record<string, Schema>;
  catchall?: Schema;
  element?: Schema;
  keyType?: Schema;
  valueType?: Schema;
  options?: readonly Schema[];
  entries?: Record<string, string | number>;
  values?: readonly unknown[];
  items?: readonly Schema[];
}

/** The parts of a check's `_zod.def` this module reads. */
interface CheckView {
  check: string;
  value?: unknown;
  inclusive?: boolean;
  minimum?: number;
  maximum?: number;
  length?: number;
  format?: string;
  pattern?: RegExp | string;
}

const defOf = (s: Schema): DefView => s._zod.def as unknown as DefView;
const checksOf = (s: Schema): CheckView[] => (s._zod.def.checks ?? []).map((c) => c._zod.def as unknown as CheckView);
/** Whether an object key may be left out of the input (optional, default, prefault). */
const omittable = (s: Schema): boolean => s._zod.optin !== undefined;
/** `.refine`/`.superRefine` checks: JSON Schema cannot see them, so generated values are filtered on them. */
const hasCustomCheck = (s: Schema): boolean => checksOf(s).some((c) => c.check === 'custom');

const WRAPPERS = new Set(['optional', 'default', 'prefault', 'nullable', 'readonly', 'catch', 'nonoptional']);

/**
 * Strip wrappers (optional/default/nullable/pipe input/lazy...). `rule()` counterexamples are looked up on
 * every layer because `.default()`/`.describe()` wrap or clone the refined schema they are registered on.
 */
function unwrap(s: Schema): { node: Schema; counterexamples: unknown[] } {
  let node = s;
  const counterexamples = new Set(ruleCounterexamples(node));
  for (let i = 0; i < 64; i++) {
    const d = defOf(node);
    const next = WRAPPERS.has(d.type) ? d.innerType : d.type === 'pipe' ? d.in : d.type === 'lazy' ? d.getter?.() : undefined;
    if (!next) break;
    node = next;
    for (const c of ruleCounterexamples(node)) counterexamples.add(c);
  }
  return { node, counterexamples: [...counterexamples] };
}

interface Bound {
  value: number;
  inclusive: boolean;
}

interface Field {
  key: string;
  schema: Schema;
  optional: boolean;
}

/** A schema node reduced to what generation needs. */
type View =
  | { type: 'object'; fields: Field[]; strict: boolean }
  | { type: 'record'; key: Schema; value: Schema }
  | { type: 'array'; element: Schema; min: number; max: number | undefined }
  | { type: 'tuple'; items: Schema[] }
  | { type: 'string'; min: number; max: number | undefined; patterns: RegExp[] }
  | { type: 'number'; int: boolean; lo: Bound | undefined; hi: Bound | undefined }
  | { type: 'boolean' }
  | { type: 'enum'; values: (string | number | boolean)[] }
  | { type: 'union'; options: Schema[] }
  | { type: 'unknown' }
  | { type: 'unsupported'; zodType: string };

function regexOf(p: RegExp | string): RegExp {
  // A global/sticky flag would make `.test` stateful.
  return typeof p === 'string' ? new RegExp(p) : new RegExp(p.source, p.flags.replace(/[gy]/g, ''));
}

const INT_FORMATS: Record<string, [number, number]> = {
  safeint: [Number.MIN_SAFE_INTEGER, Number.MAX_SAFE_INTEGER],
  int32: [-(2 ** 31), 2 ** 31 - 1],
  uint32: [0, 2 ** 32 - 1],
};

function viewOf(node: Schema): View {
  const d = defOf(node);
  const checks = checksOf(node);
  switch (d.type) {
    case 'object':
      return {
        type: 'object',
        fields: Object.entries(d.shape ?? {}).map(([key, schema]) => ({ key, schema, optional: omittable(schema) })),
        strict: d.catchall !== undefined && defOf(d.catchall).type === 'never',
      };
    case 'record':
      return { type: 'record', key: d.keyType!, value: d.valueType! };
    case 'array': {
      let min = 0;
      let max: number | undefined;
      for (const c of checks) {
        if (c.check === 'min_length') min = Math.max(min, c.minimum ?? 0);
        if (c.check === 'max_length') max = Math.min(max ?? Infinity, c.maximum ?? Infinity);
        if (c.check === 'length_equals') [min, max] = [c.length ?? 0, c.length ?? 0];
      }
      return { type: 'array', element: d.element!, min, max };
    }
    case 'tuple':
      return { type: 'tuple', items: [...(d.items ?? [])] };
    case 'string': {
      let min = 0;
      let max: number | undefined;
      const patterns: RegExp[] = [];
      for (const c of checks) {
        if (c.check === 'min_length') min = Math.max(min, c.minimum ?? 0);
        if (c.check === 'max_length') max = Math.min(max ?? Infinity, c.maximum ?? Infinity);
        if (c.check === 'length_equals') [min, max] = [c.length ?? 0, c.length ?? 0];
        if (c.check === 'string_format' && c.pattern !== undefined) patterns.push(regexOf(c.pattern));
      }
      return { type: 'string', min, max, patterns };
    }
    case 'number':
    case 'int': {
      let int = d.type === 'int';
      let lo: Bound | undefined;
      let hi: Bound | undefined;
      for (const c of checks) {
        if (c.check === 'number_format' && c.format !== undefined && c.format in INT_FORMATS) int = true;
        if (c.check === 'greater_than' && typeof c.value === 'number' && (!lo || c.value > lo.value)) lo = { value: c.value, inclusive: c.inclusive ?? false };
        if (c.check === 'less_than' && typeof c.value === 'number' && (!hi || c.value < hi.value)) hi = { value: c.value, inclusive: c.inclusive ?? false };
      }
      return { type: 'number', int, lo, hi };
    }
    case 'boolean':
      return { type: 'boolean' };
    case 'enum':
      return { type: 'enum', values: [...new Set(Object.values(d.entries ?? {}))] };
    case 'literal': {
      // null/undefined literals are never generated: Helm treats a null value as "delete this key".
      const values = (d.values ?? []).filter((v): v is string | number | boolean => ['string', 'number', 'boolean'].includes(typeof v));
      return values.length > 0 ? { type: 'enum', values } : { type: 'unsupported', zodType: 'literal(null/undefined)' };
    }
    case 'union':
      return { type: 'union', options: [...(d.options ?? [])] };
    case 'unknown':
    case 'any':
      return { type: 'unknown' };
    default:
      return { type: 'unsupported', zodType: d.type };
  }
}

/** View of a schema after unwrapping, plus its union members flattened (for per-member candidates). */
function leafViews(s: Schema): View[] {
  const v = viewOf(unwrap(s).node);
  return v.type === 'union' ? v.options.flatMap(leafViews) : [v];
}

// ---------------------------------------------------------------------------------------------------
// Plain-value helpers
// ---------------------------------------------------------------------------------------------------

type Obj = Record<string, unknown>;
const isObj = (x: unknown): x is Obj => typeof x === 'object' && x !== null && !Array.isArray(x);

/** Merge `patch` into `base` the way Helm coalesces user values: objects recursively, everything else replaced. */
function deepMerge(base: unknown, patch: unknown): unknown {
  if (!isObj(base) || !isObj(patch)) return structuredClone(patch);
  const out: Obj = { ...base };
  for (const [k, v] of Object.entries(patch)) out[k] = deepMerge(base[k], v);
  return out;
}

/** The characters the renderer reserves for its own placeholders (⟦n⟧): user values never contain them. */
const FORBIDDEN_CHARS = /[\u27e6\u27e7]/;

/** True when no string (key or value) holds a reserved character and no value is null. */
function isCleanValue(x: unknown): boolean {
  if (x === null) return false;
  if (typeof x === 'string') return !FORBIDDEN_CHARS.test(x);
  if (Array.isArray(x)) return x.every(isCleanValue);
  if (isObj(x)) return Object.entries(x).every(([k, v]) => !FORBIDDEN_CHARS.test(k) && isCleanValue(v));
  return true;
}

/**
 * Text from regex or free generators: no reserved characters, control characters, YAML line separators,
 * BOM or lone surrogates (the curated TRICKY strings are the only place for deliberate oddities).
 */
const UNSAFE_TEXT = /[\u0000-\u001f\u007f-\u009f\u2028\u2029\ufeff\u27e6\u27e7]|[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/;
const isSafeText = (s: string): boolean => !UNSAFE_TEXT.test(s);
/** Length in code points, as JSON Schema's minLength/maxLength count (zod counts UTF-16 units). */
const codePoints = (s: string): number => [...s].length;

/** Valid-but-tricky strings for YAML, Go templates and printf: each is used wherever the schema accepts it. */
const TRICKY = [
  'true', 'false', 'yes', 'no', 'on', 'off', 'null', '~', '123', '0', '007', '1e3', '0x1F', '-1', '1.50',
  // Plain strings in YAML 1.2 that YAML 1.1 readers (Helm, Kubernetes) may take for booleans, numbers or dates.
  '', 'y', 'N', 'True', 'OFF', '1_000', '0b101', '0o17', '+1', '.5', '.inf', '2001-12-14', '1:20',
  'a: b', '#x', 'a #b', '%s', '%d', ' lead', 'trail ', ' ', '"quoted"', "it's", "'", '"', 'é', 'naïve', '日本語',
  '{{', '}}', '{{ .Values.x }}', '[a]', '{a}', '*', '&a', '!t', '|', '>', '- x', '@x', '`x`', '\\', 'a\\nb',
  '$HOME', '${X}', '<none>', 'a,b', 'k=v', 'multi\nline',
];

/** Strings that break typical patterns using only ASCII, so JS and Go (RE2) regexes agree that they fail. */
const MALFORMED = ['Not Valid!', 'UPPER', 'has space', '-dash-', 'a..b', 'trailing-', '_x', 'x{y}', 'no/slash/', 'abc', '50', '101%', '1.5%', '%', '.'];

/** Unconstrained text (z.string()), for record keys and JSON leaves. */
const FREE_STRING: Schema = z.string();
const UNICODE_UNIT = fc.constantFrom('é', 'ü', 'ß', 'ñ', '日', '本', 'ж', 'Ω', '€', '🚀', 'a', 'Z', '0', ' ', '-', '.');
const WORD = fc.stringMatching(/^[a-z][a-z0-9-]{0,11}$/);
const JSON_KEY = fc.stringMatching(/^[a-zA-Z][a-zA-Z0-9]{0,7}$/);

/** fc.stringMatching is costly to build (seconds for a schema's worth), and schemas repeat patterns: share them. */
const matchingCache = new Map<string, Arb<string>>();
function matching(pattern: RegExp, size: 'xsmall' | 'small', maxLength: number | undefined): Arb<string> {
  const key = JSON.stringify([pattern.source, pattern.flags, size, maxLength]);
  let arb = matchingCache.get(key);
  if (!arb) matchingCache.set(key, (arb = fc.stringMatching(pattern, { size, maxLength })));
  return arb;
}
/** Free text is kept short so failures stay readable. */
const FREE_TEXT_MAX = 30;
/** Numbers without bounds stay within ±UNBOUNDED. */
const UNBOUNDED = 1e6;

const capitalize = (s: string): string => s.charAt(0).toUpperCase() + s.slice(1);
const unique = <T>(xs: T[]): T[] => [...new Set(xs)];

// ---------------------------------------------------------------------------------------------------
// Valid values
// ---------------------------------------------------------------------------------------------------

/** Marks an omitted key while a sparse object is assembled. */
const ABSENT: unique symbol = Symbol('absent');

/** Builds (and memoizes) valid arbitraries for the nodes of one schema. */
class ValidGen {
  private readonly memo = new Map<Schema, Map<number, Arb<unknown>>>();
  private freeTextArb: Arb<string> | undefined;

  constructor(private readonly maxDepth: number) {}

  valid(schema: Schema, depth: number): Arb<unknown> {
    let byDepth = this.memo.get(schema);
    if (!byDepth) this.memo.set(schema, (byDepth = new Map()));
    const key = Math.min(depth, this.maxDepth + 1);
    let arb = byDepth.get(key);
    if (!arb) {
      // Built on first use, so recursive (lazy) schemas don't recurse while the arbitraries are assembled.
      let built: Arb<unknown> | undefined;
      arb = fc.constant(null).chain(() => (built ??= this.build(schema, key)));
      byDepth.set(key, arb);
    }
    return arb;
  }

  private build(schema: Schema, depth: number): Arb<unknown> {
    const { node } = unwrap(schema);
    // A free-form Kubernetes fragment (k8sObject): one of its valid examples, not an arbitrary map.
    const examples = k8sObjectExamples(node);
    if (examples) return fc.constantFrom(...examples).map((x) => structuredClone(x));
    const v = viewOf(node);
    const shallow = depth >= this.maxDepth;
    let arb: Arb<unknown>;
    switch (v.type) {
      case 'object': {
        // Sparse: every optional key is independently present or absent (absent = the default applies), even
        // odds, shrinking towards absent. (fc.record's own optional keys are present ~5 times in 6.)
        const model: Record<string, Arb<unknown>> = {};
        for (const f of v.fields) {
          if (shallow && f.optional) continue;
          const value = this.valid(f.schema, depth + 1);
          model[f.key] = f.optional ? fc.option(value, { nil: ABSENT, freq: 2 }) : value;
        }
        arb = fc
          .record(model, { noNullPrototype: true })
          .map((o) => Object.fromEntries(Object.entries(o).filter(([, x]) => x !== ABSENT)));
        break;
      }
      case 'record': {
        const keyView = viewOf(unwrap(v.key).node);
        const value = this.valid(v.value, depth + 1);
        if (keyView.type === 'enum') {
          // zod 4 records over enum keys are exhaustive.
          arb = fc.record(Object.fromEntries(keyView.values.map((k) => [String(k), value])), { noNullPrototype: true });
        } else {
          const key = this.valid(v.key, depth + 1).filter((k): k is string => typeof k === 'string' && k !== '' && k !== '__proto__');
          arb = fc.dictionary(key, value, { maxKeys: shallow ? 0 : 3, noNullPrototype: true });
        }
        break;
      }
      case 'array': {
        const maxLength = shallow ? v.min : Math.max(v.min, Math.min(v.max ?? 3, 3));
        arb = fc.array(this.valid(v.element, depth + 1), { minLength: v.min, maxLength });
        break;
      }
      case 'tuple':
        arb = fc.tuple(...v.items.map((i) => this.valid(i, depth + 1)));
        break;
      case 'string':
        arb = this.string(node, v);
        break;
      case 'number':
        arb = numberArb(v);
        break;
      case 'boolean':
        arb = fc.boolean();
        break;
      case 'enum':
        arb = fc.constantFrom(...v.values);
        break;
      case 'union': {
        const options = v.options.filter((o) => leafViews(o).some((lv) => lv.type !== 'unsupported'));
        if (options.length === 0) throw new Error('validValues: union without a generatable member');
        arb = fc.oneof(...options.map((o) => this.valid(o, depth)));
        break;
      }
      case 'unknown':
        arb = this.unknownValue(shallow);
        break;
      case 'unsupported':
        throw new Error(`validValues: unsupported zod type "${v.zodType}"`);
    }
    // Refinements (rule()): generate structurally, keep what the refined node accepts once coalesced over
    // its defaults, as Helm and parseValues coalesce it (a request checked against the default limits).
    if (hasCustomCheck(node)) {
      const defaults = schema.safeParse(undefined);
      const coalesced = (x: unknown) => (defaults.success ? coalesceValues(defaults.data, x) : x);
      return arb.filter((x) => node.safeParse(coalesced(x)).success);
    }
    return v.type === 'number' || v.type === 'union' ? arb.filter((x) => node.safeParse(x).success) : arb;
  }

  /** Strings within the length bounds and patterns, mixed with the TRICKY strings the node accepts. */
  private string(node: Schema, v: Extract<View, { type: 'string' }>): Arb<string> {
    const max = v.max ?? Infinity;
    const ok = (s: string): boolean =>
      s.length <= max && codePoints(s) >= v.min && isSafeText(s) && node.safeParse(s).success;
    let base: Arb<string>;
    if (v.patterns.length > 0) {
      const pattern = v.patterns[0]!;
      const maxLength = Number.isFinite(max) ? max : undefined;
      base = fc.oneof({ weight: 3, arbitrary: matching(pattern, 'xsmall', maxLength) }, { weight: 1, arbitrary: matching(pattern, 'small', maxLength) });
    } else {
      const cap = Math.max(v.min, Math.min(max, FREE_TEXT_MAX));
      base = fc.oneof(
        { weight: 4, arbitrary: WORD },
        { weight: 2, arbitrary: fc.string({ unit: 'grapheme-ascii', minLength: v.min, maxLength: cap }) },
        { weight: 1, arbitrary: fc.string({ unit: UNICODE_UNIT, minLength: v.min, maxLength: Math.max(v.min, Math.min(cap, 8)) }) },
      );
    }
    const tricky = TRICKY.filter((s) => s.length <= max && codePoints(s) >= v.min && node.safeParse(s).success);
    const filtered = base.filter(ok);
    return tricky.length > 0 ? fc.oneof({ weight: 4, arbitrary: filtered }, { weight: 1, arbitrary: fc.constantFrom(...tricky) }) : filtered;
  }

  /** Unconstrained text (record keys of z.string(), JSON leaves). */
  freeText(): Arb<string> {
    this.freeTextArb ??= this.string(FREE_STRING, { type: 'string', min: 0, max: undefined, patterns: [] });
    return this.freeTextArb;
  }

  /** z.unknown(): small JSON, depth ≤ 2, no null, short ASCII keys with string/int/boolean leaves. */
  private unknownValue(shallow: boolean): Arb<unknown> {
    const leaf = fc.oneof(this.freeText(), fc.integer({ min: -1000, max: UNBOUNDED }), fc.boolean());
    if (shallow) return leaf;
    const inner = fc.oneof(leaf, fc.array(leaf, { maxLength: 3 }), fc.dictionary(JSON_KEY, leaf, { maxKeys: 3, noNullPrototype: true }));
    return fc.oneof(
      { weight: 4, arbitrary: fc.dictionary(JSON_KEY, inner, { maxKeys: 3, noNullPrototype: true }) },
      { weight: 1, arbitrary: leaf },
      { weight: 1, arbitrary: fc.array(leaf, { maxLength: 3 }) },
    );
  }
}

function numberArb(v: Extract<View, { type: 'number' }>): Arb<number> {
  if (v.int) {
    let min = v.lo ? (v.lo.inclusive ? Math.ceil(v.lo.value) : Math.floor(v.lo.value) + 1) : undefined;
    let max = v.hi ? (v.hi.inclusive ? Math.floor(v.hi.value) : Math.ceil(v.hi.value) - 1) : undefined;
    min ??= Math.min(-UNBOUNDED, max ?? -UNBOUNDED);
    max ??= Math.max(UNBOUNDED, min);
    min = Math.max(min, Number.MIN_SAFE_INTEGER);
    max = Math.min(max, Number.MAX_SAFE_INTEGER);
    const lo = min;
    const hi = max;
    // Boundaries and small numbers often: off-by-one and "0 means unset" bugs live there.
    const special = unique([lo, hi, lo + 1, hi - 1, 0, 1, -1].filter((n) => n >= lo && n <= hi));
    return fc.oneof(
      { weight: 2, arbitrary: fc.constantFrom(...special) },
      { weight: 3, arbitrary: fc.integer({ min: lo, max: hi }) },
      { weight: 1, arbitrary: fc.integer({ min: Math.max(lo, -100), max: Math.max(Math.max(lo, -100), Math.min(hi, 100)) }) },
    );
  }
  const min = v.lo?.value ?? Math.min(-UNBOUNDED, v.hi?.value ?? -UNBOUNDED);
  const max = v.hi?.value ?? Math.max(UNBOUNDED, min);
  const minExcluded = v.lo ? !v.lo.inclusive : false;
  const maxExcluded = v.hi ? !v.hi.inclusive : false;
  const inRange = (n: number): boolean => (minExcluded ? n > min : n >= min) && (maxExcluded ? n < max : n <= max);
  const special = [min, max, 0, 1, 0.5].filter(inRange);
  const arbs: WeightedArbitrary<number>[] = [
    // Any double (tiny, long mantissas: exponent notation in templates) now and then.
    { weight: 1, arbitrary: fc.double({ min, max, minExcluded, maxExcluded, noNaN: true, noDefaultInfinity: true }) },
  ];
  // Quarters: exact in binary and in YAML, but not integers.
  if (Math.ceil(min * 4) <= Math.floor(max * 4)) arbs.push({ weight: 2, arbitrary: fc.integer({ min: Math.ceil(min * 4), max: Math.floor(max * 4) }).map((n) => n / 4) });
  if (Math.ceil(min) <= Math.floor(max)) arbs.push({ weight: 3, arbitrary: fc.integer({ min: Math.ceil(min), max: Math.floor(max) }) });
  if (special.length > 0) arbs.push({ weight: 2, arbitrary: fc.constantFrom(...special) });
  return fc.oneof(...arbs).filter((n) => inRange(n) && !Object.is(n, -0));
}

/** Whether `values` are valid as raw synthesis and Helm read them: coalesced over the schema's defaults (maps merge), then parsed. */
const parses = (schema: Schema, values: unknown): boolean => {
  const defaults = schema.safeParse({});
  return schema.safeParse(defaults.success ? coalesceValues(defaults.data, values) : values).success;
};

/**
 * Sparse, user-style values valid for `schema` (a zod object schema): optional keys independently present or
 * absent, short strings (with YAML/template-tricky ones where free text is allowed), boundary numbers, ≤ 3
 * array items and record entries, small JSON for `unknown`. Never null, never ⟦ or ⟧.
 */
export function validValues(schema: Schema, opts: { maxDepth?: number } = {}): Arb<Record<string, unknown>> {
  if (viewOf(unwrap(schema).node).type !== 'object') throw new Error('validValues: the schema must be an object schema');
  return new ValidGen(opts.maxDepth ?? 12)
    .valid(schema, 0)
    .filter((v): v is Record<string, unknown> => isObj(v) && isCleanValue(v) && parses(schema, v));
}

// ---------------------------------------------------------------------------------------------------
// Invalid values
// ---------------------------------------------------------------------------------------------------

type Seg = { kind: 'key'; key: string } | { kind: 'item' } | { kind: 'entry' };

/** One container on the way to a target: its (unwrapped) schema and the step taken into it. */
interface Level {
  node: Schema;
  view: View;
  seg: Seg;
}

/** A mutated value for the target position, and the path below the target it lands on (keys added). */
interface Placed {
  value: unknown;
  path: JsonPath;
}

interface Mutation {
  kind: InvalidKind;
  /** Replacement mutations don't look at the current value (and can't apply at the root). */
  replaces: boolean;
  apply: (current: unknown) => Arb<Placed>;
}

interface Target {
  pattern: string;
  levels: Level[];
  mutations: Mutation[];
}

type JsonType = 'string' | 'integer' | 'number' | 'boolean' | 'object' | 'array';

/** JSON types a node accepts (as the exported JSON Schema says), or 'any'. */
function jsonTypes(s: Schema): Set<JsonType> | 'any' {
  const out = new Set<JsonType>();
  for (const v of leafViews(s)) {
    switch (v.type) {
      case 'string':
        out.add('string');
        break;
      case 'number':
        out.add('integer');
        if (!v.int) out.add('number');
        break;
      case 'boolean':
        out.add('boolean');
        break;
      case 'enum':
        for (const e of v.values) {
          if (typeof e === 'number') out.add('number').add('integer');
          else out.add(typeof e === 'string' ? 'string' : 'boolean');
        }
        break;
      case 'object':
      case 'record':
        out.add('object');
        break;
      case 'array':
      case 'tuple':
        out.add('array');
        break;
      case 'union':
        break; // flattened by leafViews
      case 'unknown':
      case 'unsupported':
        return 'any';
    }
  }
  return out;
}

/** Strings that break a string node's pattern, and its length bounds, each within the other constraints. */
function stringViolations(v: Extract<View, { type: 'string' }>): { malformed: string[]; tooFew: string[]; tooMany: string[] } {
  const max = v.max ?? Infinity;
  const malformed = MALFORMED.filter((s) => s.length >= v.min && s.length <= max && v.patterns.some((p) => !p.test(s)));
  // Pad with a character the patterns accept when there is one, so only the length is wrong.
  const fill = (n: number): string =>
    ['a', '0', 'A', 'x'].map((c) => c.repeat(n)).find((s) => v.patterns.every((p) => p.test(s))) ?? 'a'.repeat(n);
  return {
    malformed,
    tooFew: v.min >= 1 ? [fill(v.min - 1)] : [],
    tooMany: v.max !== undefined && v.max < 100_000 ? [fill(v.max + 1)] : [],
  };
}

/** Every mutation the JSON Schema forbids too, for one schema position. */
function mutationsAt(gen: ValidGen, raw: Schema): Mutation[] {
  const { node, counterexamples } = unwrap(raw);
  const view = viewOf(node);
  const out: Mutation[] = [];
  const fails = (x: unknown): boolean => !node.safeParse(x).success;
  const ensure = (current: unknown): Arb<unknown> => (current !== undefined ? fc.constant(current) : gen.valid(node, 1));
  const replace = (kind: InvalidKind, candidates: unknown[]): void => {
    const kept = candidates.filter(fails);
    if (kept.length > 0) out.push({ kind, replaces: true, apply: () => fc.constantFrom(...kept).map((c) => ({ value: structuredClone(c), path: [] })) });
  };
  const leaves = leafViews(raw);

  // wrong-type: a JSON type no member accepts; strings that look right ("1", "true") are the realistic mistake.
  const types = jsonTypes(raw);
  if (types !== 'any') {
    const c: unknown[] = [];
    if (!types.has('string')) c.push(types.has('integer') ? '1' : types.has('boolean') ? 'true' : 'oops');
    if (!types.has('integer')) c.push(42);
    if (types.has('integer') && !types.has('number')) c.push(1.5);
    if (!types.has('boolean')) c.push(true);
    if (!types.has('array')) c.push(['x']);
    if (!types.has('object')) c.push({ unexpected: 'x' });
    replace('wrong-type', c);
  }

  // out-of-range: just past an explicit minimum/maximum of a number member (and failing every other member).
  const ranges: number[] = [];
  for (const v of leaves) {
    if (v.type !== 'number') continue;
    const step = v.int ? 1 : 0.5;
    if (v.lo) ranges.push(v.lo.inclusive ? v.lo.value - step : v.lo.value);
    if (v.hi) ranges.push(v.hi.inclusive ? v.hi.value + step : v.hi.value);
  }
  replace('out-of-range', ranges.filter((n) => Number.isSafeInteger(Math.trunc(n))));

  // Strings: pattern (malformed) and length (too-few/too-many) of any string member.
  const malformed: string[] = [];
  const tooFew: string[] = [];
  const tooMany: string[] = [];
  for (const v of leaves) {
    if (v.type !== 'string') continue;
    const sv = stringViolations(v);
    malformed.push(...sv.malformed);
    tooFew.push(...sv.tooFew);
    tooMany.push(...sv.tooMany);
  }
  replace('malformed-string', unique(malformed));
  replace('too-few', unique(tooFew));
  replace('too-many', unique(tooMany));

  // bad-enum: only where every string/number the node takes comes from a fixed list.
  const enumValues = leaves.flatMap((v) => (v.type === 'enum' ? v.values : []));
  const freeString = leaves.some((v) => v.type === 'string');
  const freeNumber = leaves.some((v) => v.type === 'number');
  const badEnum: unknown[] = [];
  if (!freeString) {
    for (const e of enumValues) if (typeof e === 'string') badEnum.push(e.toLowerCase(), e.toUpperCase(), `${e}x`);
    if (enumValues.some((e) => typeof e === 'string')) badEnum.push('Invalid');
  }
  const nums = enumValues.filter((e): e is number => typeof e === 'number');
  if (!freeNumber && nums.length > 0) badEnum.push(Math.max(...nums) + 1);
  replace('bad-enum', unique(badEnum).filter((b) => !enumValues.includes(b as string | number | boolean)));

  if (view.type === 'object' && view.strict) {
    // Typos of real keys are the realistic unknown key; `global` is reserved by Helm at the root.
    const keys = view.fields.map((f) => f.key);
    const candidates = unique([...keys.slice(0, 3).map(capitalize), 'unexpected', 'extraKey']).filter(
      (k) => !keys.includes(k) && k !== 'global' && k !== '__proto__',
    );
    if (candidates.length > 0) {
      out.push({
        kind: 'unknown-key',
        replaces: false,
        apply: (current) =>
          ensure(current).chain((obj) =>
            fc.tuple(fc.constantFrom(...candidates), fc.constantFrom<unknown>('x', 1, true)).map(([k, v]) => ({ value: { ...(obj as Obj), [k]: v }, path: [k] })),
          ),
      });
    }
  }

  if (view.type === 'array') {
    const element = gen.valid(view.element, 1);
    const sized = (kind: InvalidKind, minLength: number, maxLength: number): void => {
      out.push({ kind, replaces: true, apply: () => fc.array(element, { minLength, maxLength }).map((value) => ({ value, path: [] })) });
    };
    if (view.min >= 1) sized('too-few', 0, view.min - 1);
    if (view.max !== undefined && view.max <= 20) sized('too-many', view.max + 1, view.max + 1);
  }

  if (view.type === 'record') {
    // Record keys: insert a bad key (with a valid value) — JSON Schema checks keys with propertyNames.
    const { node: keyNode, counterexamples: keyCounterexamples } = unwrap(view.key);
    const keyView = viewOf(keyNode);
    const value = gen.valid(view.value, 1);
    const insertKey = (kind: InvalidKind, keys: string[]): void => {
      const kept = unique(keys).filter((k) => k !== '__proto__' && !keyNode.safeParse(k).success);
      if (kept.length === 0) return;
      out.push({
        kind,
        replaces: false,
        apply: (current) =>
          ensure(current).chain((rec) => fc.tuple(fc.constantFrom(...kept), value).map(([k, v]) => ({ value: { ...(rec as Obj), [k]: v }, path: [k] }))),
      });
    };
    insertKey('rule', keyCounterexamples.filter((k): k is string => typeof k === 'string'));
    if (keyView.type === 'string') {
      const sv = stringViolations(keyView);
      insertKey('malformed-string', sv.malformed);
      insertKey('too-few', sv.tooFew);
      insertKey('too-many', sv.tooMany);
    }
  }

  if (view.type === 'object' || view.type === 'record') {
    const patches = counterexamples.filter(isObj);
    if (patches.length > 0) {
      // Merged, as Helm merges user values: the counterexample's keys win, the rest stays valid.
      out.push({
        kind: 'rule',
        replaces: false,
        apply: (current) => fc.tuple(ensure(current), fc.constantFrom(...patches)).map(([obj, patch]) => ({ value: deepMerge(obj, patch), path: [] })),
      });
    }
  } else {
    replace('rule', counterexamples);
  }
  return out;
}

const segText = (seg: Seg): string => (seg.kind === 'key' ? `.${seg.key}` : seg.kind === 'item' ? '[]' : '{}');

function collectTargets(gen: ValidGen, schema: Schema, maxDepth: number): Target[] {
  const targets: Target[] = [];
  const walk = (raw: Schema, levels: Level[]): void => {
    const root = levels.length === 0;
    const mutations = mutationsAt(gen, raw).filter((m) => !(root && m.replaces));
    const pattern = levels.map((l) => segText(l.seg)).join('').replace(/^\./, '') || '(root)';
    if (mutations.length > 0) targets.push({ pattern, levels, mutations });
    if (levels.length >= maxDepth) return;
    const { node } = unwrap(raw);
    const view = viewOf(node);
    // Unions are mutation targets as a whole but not descended into: which member a value takes is not fixed.
    if (view.type === 'object') for (const f of view.fields) walk(f.schema, [...levels, { node, view, seg: { kind: 'key', key: f.key } }]);
    if (view.type === 'array') walk(view.element, [...levels, { node, view, seg: { kind: 'item' } }]);
    if (view.type === 'record') walk(view.value, [...levels, { node, view, seg: { kind: 'entry' } }]);
  };
  walk(schema, []);
  return targets;
}

/** The mutation targets of a schema, e.g. `ingress.paths[].path` or `commonLabels{}`, with the kinds possible there. */
export function schemaPaths(schema: Schema, opts: { maxDepth?: number } = {}): SchemaPath[] {
  const maxDepth = opts.maxDepth ?? 12;
  return collectTargets(new ValidGen(maxDepth), schema, maxDepth).map((t) => ({ pattern: t.pattern, kinds: unique(t.mutations.map((m) => m.kind)) }));
}

/**
 * Walk `current` down `levels`, creating what a sparse value left out (a valid value for the container, or a
 * valid array item / record entry to land on), and apply the mutation at the end.
 */
function placeAt(gen: ValidGen, current: unknown, levels: Level[], i: number, m: Mutation): Arb<Placed> {
  const level = levels[i];
  if (!level) return m.apply(current);
  const present = current !== undefined ? fc.constant(current) : gen.valid(level.node, i);
  return present.chain((c): Arb<Placed> => {
    const { seg, view } = level;
    if (seg.kind === 'key') {
      const obj = isObj(c) ? c : {};
      return placeAt(gen, obj[seg.key], levels, i + 1, m).map((r) => ({ value: { ...obj, [seg.key]: r.value }, path: [seg.key, ...r.path] }));
    }
    if (seg.kind === 'item' && view.type === 'array') {
      const arr = Array.isArray(c) ? c : [];
      const items =
        arr.length > 0
          ? fc.constant(arr)
          : fc.array(gen.valid(view.element, i + 1), { minLength: Math.max(1, view.min), maxLength: Math.max(1, view.min, Math.min(view.max ?? 3, 3)) });
      return items.chain((a) =>
        fc.nat(a.length - 1).chain((idx) =>
          placeAt(gen, a[idx], levels, i + 1, m).map((r) => {
            const copy = [...a];
            copy[idx] = r.value;
            return { value: copy, path: [idx, ...r.path] };
          }),
        ),
      );
    }
    if (seg.kind === 'entry' && view.type === 'record') {
      const rec = isObj(c) ? c : {};
      const keys = Object.keys(rec);
      // An existing entry when there is one: a new key could be impossible (enum keys, tiny key patterns).
      const key =
        keys.length > 0
          ? fc.constantFrom(...keys)
          : gen.valid(view.key, i + 1).filter((k): k is string => typeof k === 'string' && k !== '' && k !== '__proto__');
      return key.chain((k) => placeAt(gen, rec[k], levels, i + 1, m).map((r) => ({ value: { ...rec, [k]: r.value }, path: [k, ...r.path] })));
    }
    throw new Error(`invalidValues: step ${segText(seg)} does not match a ${view.type}`);
  });
}

/**
 * A valid sparse value with exactly one mutation that zod and the exported JSON Schema both reject. The target
 * position is uniform over `schemaPaths(schema)` (inside arrays and records too), then the kind is uniform over
 * those possible there. Never `null` (Helm deletes null keys) and never `{}` for an object (defaults fill it).
 */
export function invalidValues(schema: Schema): Arb<InvalidCase> {
  const maxDepth = 12;
  const gen = new ValidGen(maxDepth);
  const targets = collectTargets(gen, schema, maxDepth);
  if (targets.length === 0) throw new Error('invalidValues: nothing in the schema can be made invalid');
  return fc
    .tuple(validValues(schema, { maxDepth }), fc.constantFrom(...targets))
    .chain(([base, target]) =>
      fc.constantFrom(...target.mutations).chain((m) => placeAt(gen, base, target.levels, 0, m).map((r) => ({ values: r.value, path: r.path, kind: m.kind }))),
    )
    .filter((c): c is InvalidCase => isObj(c.values) && isCleanValue(c.values) && !parses(schema, c.values));
}

// ---------------------------------------------------------------------------------------------------
// Values files
// ---------------------------------------------------------------------------------------------------

/**
 * How a values file gets written: by a YAML 1.2 writer (the JavaScript `yaml` package; it leaves `on`,
 * `yes`, `1_000` or a key `on` unquoted, which Helm reads as booleans and numbers), block or flow style;
 * by a YAML 1.1 writer (quotes most of those, not all: `0o17` stays plain); or as JSON.
 */
export type ValuesFileStyle = 'yaml-1.2-block' | 'yaml-1.2-flow' | 'yaml-1.1' | 'json';

const VALUES_FILE_STYLES: readonly ValuesFileStyle[] = ['yaml-1.2-block', 'yaml-1.2-flow', 'yaml-1.1', 'json'];

function writeValuesFile(values: Record<string, unknown>, style: ValuesFileStyle): string {
  switch (style) {
    case 'yaml-1.2-block':
      return YAML.stringify(values);
    case 'yaml-1.2-flow':
      return YAML.stringify(values, { collectionStyle: 'flow' });
    case 'yaml-1.1':
      return YAML.stringify(values, { version: '1.1' });
    case 'json':
      return `${JSON.stringify(values, null, 2)}\n`;
  }
}

/**
 * The text of a values file someone could write for `schema`: sparse valid values (with the TRICKY strings,
 * awkward scalars among them, as values and record keys) in one of the VALUES_FILE_STYLES. Whether it is
 * still valid once read as Helm reads it depends on the style: that is the point.
 */
export function valuesFile(schema: Schema): Arb<{ text: string; style: ValuesFileStyle }> {
  return fc.tuple(validValues(schema), fc.constantFrom(...VALUES_FILE_STYLES)).map(([values, style]) => ({ text: writeValuesFile(values, style), style }));
}

/**
 * Zod building blocks shared by every product's values schema, and the one rule for cross-field checks:
 * a refinement always carries its JSON Schema twin, so values.schema.json enforces what zod enforces.
 */
import { z } from 'zod';

/** JSON Schema (draft-07) fragment merged into a schema's output. */
export type JsonSchemaFragment = Record<string, unknown>;

/**
 * Stands for the JSON Schema of a rule that JSON Schema draft-07 cannot state, which the chart's templates
 * enforce instead where they use the value (e.g. names unique in a list: `Render.itemsOfUniqueNames`).
 */
export const CHECKED_BY_TEMPLATE = Symbol('checked by the chart templates');

/**
 * A zod refinement together with the JSON Schema that enforces the same rule in Helm.
 * zod's JSON Schema export drops refinements; `.meta()` keys are merged into the exported node, and
 * every rule of a node goes into its `allOf`, so several rules on one object all reach the schema.
 * JSON Schema draft-07 cannot compare two fields: a rule that needs that must be designed away
 * (derive the value instead, e.g. `Render.add`), or be CHECKED_BY_TEMPLATE.
 */
export function rule<T extends z.ZodType>(
  schema: T,
  check: (value: z.output<T>) => boolean,
  opts: {
    message: string | ((value: z.output<T>) => string);
    path?: (string | number)[];
    jsonSchema: JsonSchemaFragment | typeof CHECKED_BY_TEMPLATE;
    counterexample: Partial<z.input<T>>;
  },
): T {
  const { message, jsonSchema } = opts;
  const error = typeof message === 'string' ? message : (issue: { input: unknown }) => message(issue.input as z.output<T>);
  const checked = schema.refine(check, { error, path: opts.path });
  const previous = (z.globalRegistry.get(schema)?.allOf as JsonSchemaFragment[] | undefined) ?? [];
  const allOf = jsonSchema === CHECKED_BY_TEMPLATE ? previous : [...previous, jsonSchema];
  const refined = (allOf.length > 0 ? checked.meta({ allOf }) : checked) as unknown as T;
  ruleCounterexampleLists.set(refined, [...(ruleCounterexampleLists.get(schema) ?? []), opts.counterexample]);
  return refined;
}

const ruleCounterexampleLists = new WeakMap<z.ZodType, unknown[]>();

/**
 * For a schema made by `rule`: partial values that each break one of its rules (merged over valid values
 * by the schema-parity tests, which check zod and values.schema.json both reject them).
 */
export function ruleCounterexamples(schema: z.ZodType): unknown[] {
  return ruleCounterexampleLists.get(schema) ?? [];
}

/** The first of `ruleCounterexamples`. */
export function ruleCounterexample(schema: z.ZodType): unknown {
  return ruleCounterexamples(schema)[0];
}

export const DNS_LABEL = '^[a-z0-9]([-a-z0-9]*[a-z0-9])?$';
export const DNS_SUBDOMAIN = '^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$';
const QUANTITY = '^[+]?([0-9]+(\\.[0-9]*)?|\\.[0-9]+)([eE][-+]?[0-9]+|[KMGTPE]i|[mkMGTPE])?$';
export const LABEL_KEY = '^([a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*/)?[A-Za-z0-9]([-A-Za-z0-9_.]*[A-Za-z0-9])?$';
export const LABEL_VALUE = '^(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?$';
/** Kubernetes' qualified-name lengths, checked apart from the syntax: an optional prefix of at most 253, a name of at most 63. */
export const LABEL_KEY_LENGTHS = '^([^/]{1,253}/)?[^/]{1,63}$';
const ENV_NAME = '^[-._a-zA-Z][-._a-zA-Z0-9]*$';
const RESERVED_LABEL_PREFIX = '^(app\\.kubernetes\\.io|helm\\.sh|chart-as-code)/';

/** A Kubernetes object name (RFC 1123 subdomain), at most `max` characters. */
export const dnsName = (max = 253) => z.string().min(1).max(max).regex(new RegExp(DNS_SUBDOMAIN));
/** A DNS label (Service names, port names' owners, container names). */
export const dnsLabel = (max = 63) => z.string().min(1).max(max).regex(new RegExp(DNS_LABEL));
/** An optional Secret name: empty means "not set". */
export const optionalSecretName = () => z.union([z.literal(''), dnsName()]);
export const port = () => z.number().int().min(1).max(65535);
export const nodePort = () => z.number().int().min(30000).max(32767);
export const quantity = () => z.union([z.string().regex(new RegExp(QUANTITY)), z.number().nonnegative()]);
export const envName = () => z.string().min(1).max(253).regex(new RegExp(ENV_NAME));

/**
 * A label key as Kubernetes checks it (nodeSelector keys are node labels). The lengths are a rule, not a
 * second `.regex()`: zod exports two patterns as an `allOf`, which a later rule's `allOf` would replace.
 */
const qualifiedName = () =>
  rule(z.string().max(317).regex(new RegExp(LABEL_KEY)), (k) => new RegExp(LABEL_KEY_LENGTHS).test(k), {
    message: 'a key is an optional prefix of at most 253 characters, "/", and a name of at most 63',
    jsonSchema: { pattern: LABEL_KEY_LENGTHS },
    counterexample: `example.com/${'a'.repeat(64)}`,
  });
/** A label value as Kubernetes checks it. */
export const labelValue = () => z.string().max(63).regex(new RegExp(LABEL_VALUE));

const labelKey = () =>
  rule(qualifiedName(), (k) => !new RegExp(RESERVED_LABEL_PREFIX).test(k), {
    message: 'app.kubernetes.io/*, helm.sh/* and chart-as-code/* keys are set by the chart',
    jsonSchema: { not: { pattern: RESERVED_LABEL_PREFIX } },
    counterexample: 'helm.sh/chart',
  });

/** Extra labels: valid keys and values, never one of the chart's own `app.kubernetes.io/*` or `helm.sh/*` labels. */
export const extraLabels = () =>
  z.record(labelKey(), labelValue()).default({});

/** Node labels pods must run on: label keys and values, as the API server checks a pod's nodeSelector. */
export const nodeSelector = () => z.record(qualifiedName(), labelValue()).default({});

/**
 * Kubernetes refuses an object whose annotations (keys and values, in bytes) total more than 256 KiB. One
 * map can be checked against it here; the sum over the maps an object combines is checked where they meet
 * (Render.checkAnnotations), in raw synthesis and in the chart alike.
 */
export const MAX_ANNOTATIONS_BYTES = 262144;

/**
 * Extra annotations: valid keys, any string values; never one of the chart's own `helm.sh/*` annotations.
 * A value is bounded by the per-object total (JSON Schema counts characters, not bytes: the exact byte
 * total is the template's check), so a 10 MB value is refused with its path before anything is built.
 */
export const extraAnnotations = () => z.record(labelKey(), z.string().max(MAX_ANNOTATIONS_BYTES)).default({});

/** Free-form Kubernetes fragments (affinity, security contexts, ...), passed through as given. */
export const k8sObject = () =>
  z.record(
    rule(z.string(), (k) => k !== '__proto__', { message: UNHOLDABLE_KEY_MESSAGE, jsonSchema: { not: { const: '__proto__' } }, counterexample: '__proto__' }),
    z.unknown(),
  );

export const resources = (requests: Record<string, string>, limits: Record<string, string>) =>
  z
    .object({
      requests: z.record(z.string().min(1), quantity()).default(requests).describe('Resource requests (cpu, memory, ephemeral-storage).'),
      limits: z.record(z.string().min(1), quantity()).default(limits).describe('Resource limits.'),
    })
    .strict()
    .default({ requests, limits });

/**
 * A tag that names one release: at least major.minor (PostgreSQL's and the SV server's own full versions
 * have two parts, so three would refuse the vendors' tags), optionally a suffix (`-alpine`, `-1`). Refused:
 * `latest`, `stable`, a bare major (`14`), which move to new images under the same name. A major.minor that
 * a vendor also re-tags (`busybox:1.36`) cannot be told apart: `digest` is the pin that cannot move.
 */
const PINNED_TAG = 'v?[0-9]+\\.[0-9]+([._-][A-Za-z0-9]+)*';
const DIGEST = 'sha256:[a-f0-9]{64}';
const REPOSITORY = '[a-z0-9]+([._/:-][a-z0-9]+)*';

export const imageTag = () =>
  z.string().min(1).max(63).regex(new RegExp(`^${PINNED_TAG}$`), 'a full version (e.g. 14.20 or 5.14.1), never latest or a bare major');

/** An image given as one string, pinned: `repository:tag` with a full version, optionally `@sha256:<digest>`. */
export const imageReference = () =>
  z
    .string()
    .min(1)
    .max(255)
    .regex(new RegExp(`^${REPOSITORY}:${PINNED_TAG}(@${DIGEST})?$`), 'repository:tag with a full version (e.g. busybox:1.36.1), optionally @sha256:<digest>');

export const image = (repository: string, tag: string) =>
  z
    .object({
      repository: z.string().min(1).max(255).regex(new RegExp(`^${REPOSITORY}$`)).default(repository).describe('Image repository.'),
      tag: imageTag().default(tag).describe('Image tag, a full version (latest or a bare major is refused); the chart appVersion.'),
      digest: z
        .union([z.literal(''), z.string().regex(new RegExp(`^${DIGEST}$`))])
        .default('')
        .describe('Image digest (sha256:<64 hex>): the image runs as repository:tag@digest, which the registry cannot move; empty for the tag alone.'),
      pullPolicy: z.enum(['IfNotPresent', 'Always', 'Never']).default('IfNotPresent').describe('Image pull policy. Tags are full versions (and a digest cannot move), so IfNotPresent.'),
    })
    .strict()
    .default({ repository, tag, digest: '', pullPolicy: 'IfNotPresent' });

export interface ProbeDefaults {
  initialDelaySeconds: number;
  periodSeconds: number;
  timeoutSeconds: number;
  failureThreshold: number;
}

export const probe = (d: ProbeDefaults, what: string) =>
  z
    .object({
      enabled: z.boolean().default(true).describe(`Run the ${what} probe.`),
      initialDelaySeconds: z.number().int().min(0).max(3600).default(d.initialDelaySeconds).describe('Seconds before the first probe.'),
      periodSeconds: z.number().int().min(1).max(3600).default(d.periodSeconds).describe('Seconds between probes.'),
      timeoutSeconds: z.number().int().min(1).max(3600).default(d.timeoutSeconds).describe('Seconds before a probe times out.'),
      failureThreshold: z.number().int().min(1).max(100).default(d.failureThreshold).describe('Failures before the probe gives up.'),
    })
    .strict()
    .default({ enabled: true, ...d });

/**
 * Extra env of a container: each name at most once, and never one the chart sets from a Secret
 * (`secretEnv`: what → env name, the table the container's env is built from). Extra env comes after the
 * chart's, so such a name would silently replace the managed credential.
 */
export const extraEnv = (secretEnv: Readonly<Record<string, string>>) => {
  const managed = [...new Set(Object.values(secretEnv))].sort();
  if (managed.length === 0) throw new Error('extraEnv: no env set from a Secret to reserve');
  const name = rule(envName(), (n) => !managed.includes(n), {
    message: `set by the chart from a Secret (${managed.join(', ')}): use the value that feeds it`,
    jsonSchema: { not: { enum: managed } },
    counterexample: managed[0]!,
  });
  const list = z.array(z.object({ name, value: z.string().optional(), valueFrom: k8sObject().optional() }).strict());
  return rule(list, (env) => repeatedName(env) === undefined, {
    message: (env) => `${repeatedName(env)} is given twice: Kubernetes would keep only the last`,
    jsonSchema: CHECKED_BY_TEMPLATE,
    counterexample: [
      { name: 'GIVEN_TWICE', value: '1' },
      { name: 'GIVEN_TWICE', value: '2' },
    ],
  })
    .default([])
    .describe(`Extra environment variables for the main container (name with value or valueFrom); each name once, none of ${managed.join(', ')}.`);
};

/** The first name that an earlier item has too. */
function repeatedName(items: readonly { name: string }[]): string | undefined {
  const seen = new Set<string>();
  for (const { name } of items) {
    if (seen.has(name)) return name;
    seen.add(name);
  }
  return undefined;
}

/** Fields every chart of this library has at its root. */
export const commonFields = () => ({
  namePrefix: z
    // A letter first: Service names are DNS-1035 labels, which cannot start with a digit.
    .union([z.literal(''), z.string().max(20).regex(/^[a-z][-a-z0-9]*$/)])
    .default('')
    .describe('Prefix for every object name, so two releases can share a namespace (e.g. "team-a-").'),
  commonLabels: extraLabels().describe('Labels added to every object.'),
  commonAnnotations: extraAnnotations().describe('Annotations added to every object.'),
  global: globalValues(),
});

/** How the pods' security contexts are adapted to OpenShift (lib/constructs/openshift.ts). */
export const ADAPT_SECURITY_CONTEXT = ['auto', 'force', 'disabled'] as const;

/**
 * Helm's global values: shared with a parent chart when this one is a subchart, so other keys are accepted.
 * The OpenShift switch sits where Bitnami's charts have it, so a parent chart sets it for all of them at once.
 */
const globalValues = () =>
  z
    .looseObject({
      compatibility: z
        .looseObject({
          openshift: z
            .looseObject({
              adaptSecurityContext: z
                .enum(ADAPT_SECURITY_CONTEXT)
                .default('auto')
                .describe(
                  'Leave runAsUser, runAsGroup and fsGroup out of every security context, so OpenShift\'s restricted-v2 SCC assigns them from the namespace\'s range: auto on a cluster that serves security.openshift.io/v1 (helm template: --api-versions security.openshift.io/v1), force always, disabled never.',
                ),
            })
            .prefault({})
            .describe('OpenShift compatibility.'),
        })
        .prefault({})
        .describe('Compatibility with platforms that assign security contexts themselves.'),
    })
    .prefault({})
    .describe('Helm\'s global values, shared with a parent chart (other keys are accepted and unused).');

/**
 * The error a user sees for invalid values: every offending path with its rule, no stack trace. `subject`
 * is what the values are for (a chart, a product, the stack).
 */
export class ValuesError extends Error {
  constructor(public readonly subject: string, public readonly issues: { path: string; message: string }[]) {
    super(`invalid values for ${subject}:\n${issues.map((i) => `  - ${i.path || '(root)'}: ${i.message}`).join('\n')}`);
    this.name = 'ValuesError';
  }

  static fromZod(subject: string, error: z.ZodError): ValuesError {
    return new ValuesError(
      subject,
      error.issues.flatMap((i) => {
        const path = i.path.map(String);
        // Name each unknown key itself, not just the object holding it.
        if (i.code === 'unrecognized_keys') return i.keys.map((k) => ({ path: [...path, k].join('.'), message: 'unknown key' }));
        return [{ path: path.join('.'), message: i.message }];
      }),
    );
  }
}

function isMap(v: unknown): v is Record<string, unknown> {
  return v !== null && typeof v === 'object' && !Array.isArray(v);
}

/**
 * `__proto__` is an ordinary key to Helm (a strict object's schema refuses it as unknown, a free map keeps
 * it), but JavaScript code that copies values (`out[key] = v`, spreads into new objects) turns it into the
 * copy's prototype and drops it: raw synthesis would read a different values file than Helm does. JSON.parse
 * keeps it as an own key, so it is found here and refused, in values files and values given in code alike.
 * (`constructor` and `prototype` are ordinary own keys in JavaScript too: strict objects refuse them in both,
 * free maps keep them in both.)
 */
const UNHOLDABLE_KEY = '__proto__';

/** The message for a `__proto__` key. */
export const UNHOLDABLE_KEY_MESSAGE = `"${UNHOLDABLE_KEY}" is not accepted as a key: JavaScript would drop it where Helm reads it`;

/**
 * How deep values may nest. Helm's YAML reader allows 10000 levels; JavaScript's recursive walks (JSON
 * text, zod, coalescing) overflow the stack a few thousand levels down, with a bare RangeError. The deepest
 * values here (affinity terms) nest about ten levels.
 */
export const MAX_VALUES_DEPTH = 100;

/**
 * The first thing in `input` that values cannot hold here: a `__proto__` key, or nesting deeper than
 * MAX_VALUES_DEPTH; with its path (`image.__proto__`, `tolerations[0]`). Walked without recursion, so any
 * depth is reported rather than overflowing the stack.
 */
export function unholdableValue(input: unknown): { path: string; message: string } | undefined {
  interface Node { v: unknown; key: string | number; parent: Node | undefined; depth: number }
  const pathOf = (n: Node | undefined): string => {
    const parts: string[] = [];
    for (let x = n; x?.parent; x = x.parent) parts.push(typeof x.key === 'number' ? `[${x.key}]` : x.parent.parent ? `.${x.key}` : x.key);
    return parts.reverse().join('');
  };
  const stack: Node[] = [{ v: input, key: '', parent: undefined, depth: 0 }];
  for (let n = stack.pop(); n; n = stack.pop()) {
    const v = n.v;
    if (v === null || typeof v !== 'object') continue;
    if (n.depth >= MAX_VALUES_DEPTH) return { path: pathOf(n), message: `nested more than ${MAX_VALUES_DEPTH} levels deep` };
    const children: Node[] = Array.isArray(v) ? v.map((x, i) => ({ v: x, key: i, parent: n, depth: n.depth + 1 })) : Object.keys(v).map((k) => ({ v: (v as Record<string, unknown>)[k], key: k, parent: n, depth: n.depth + 1 }));
    for (const c of children) if (c.key === UNHOLDABLE_KEY) return { path: pathOf(c), message: UNHOLDABLE_KEY_MESSAGE };
    for (let i = children.length - 1; i >= 0; i--) stack.push(children[i]!);
  }
  return undefined;
}

/** Throws a ValuesError for what unholdableValue finds. */
export function assertHoldableValues(subject: string, input: unknown): void {
  const found = unholdableValue(input);
  if (found) throw new ValuesError(subject, [found]);
}

/**
 * User values over defaults the way Helm coalesces them: maps merge key by key, anything else (lists,
 * scalars) replaces, and a null deletes the key. Raw synthesis uses the same rule, so a partial
 * `resources.requests` or `podSecurityContext` means the same in both outputs.
 */
export function coalesceValues(defaults: unknown, user: unknown): unknown {
  if (!isMap(defaults) || !isMap(user)) return user === undefined ? defaults : user;
  const out: Record<string, unknown> = { ...defaults };
  for (const [key, value] of Object.entries(user)) {
    if (value === null) delete out[key];
    // An own data property even for `__proto__` (never the copy's prototype), so parseValues still refuses it.
    else Object.defineProperty(out, key, { value: coalesceValues(Object.hasOwn(defaults, key) ? defaults[key] : undefined, value), enumerable: true, writable: true, configurable: true });
  }
  return out;
}

/**
 * Values already parsed, per schema, by the JSON text of the input: N instances of a chart with the same
 * values (one per tenant namespace, say) are validated once, where zod's validation of the whole values
 * tree is the largest single cost of synthesizing a chart. Every caller gets the same frozen values (maps
 * and lists), so none can change another's. At most PARSED_VALUES_KEPT inputs are kept per schema.
 */
const parsedValues = new WeakMap<z.ZodType, Map<string, unknown>>();
const PARSED_VALUES_KEPT = 64;

/** The input as JSON text, or undefined when JSON would lose something parsing may see (NaN, a function, a class instance, undefined in a list). */
function jsonKey(input: unknown): string | undefined {
  let faithful = true;
  let text: string;
  try {
    text = JSON.stringify(input, function (this: unknown, _key: string, v: unknown) {
      if (v === undefined ? Array.isArray(this) : typeof v === 'function' || typeof v === 'bigint' || typeof v === 'symbol' || (typeof v === 'number' && !Number.isFinite(v))) faithful = false;
      else if (v !== null && typeof v === 'object' && !Array.isArray(v) && !isPlainData(v)) faithful = false;
      return v;
    });
  } catch (e) {
    // Nested too deep for JSON.stringify: assertHoldableValues reports where.
    if (e instanceof RangeError) return undefined;
    throw e;
  }
  return faithful ? text : undefined;
}

function isPlainData(v: object): boolean {
  const proto = Object.getPrototypeOf(v) as unknown;
  return proto === Object.prototype || proto === null;
}

/** The maps and lists of parsed values frozen, in place (anything else, e.g. a class instance a transform made, is left alone). */
function freezeValues<T>(v: T): T {
  if (v === null || typeof v !== 'object' || Object.isFrozen(v) || !(Array.isArray(v) || isPlainData(v))) return v;
  for (const child of Object.values(v)) freezeValues(child);
  return Object.freeze(v);
}

/**
 * Parse values (coalesced over the schema's defaults like Helm does) or throw a ValuesError naming each
 * wrong value. The same input again gives the same frozen result without parsing it again.
 */
export function parseValues<S extends z.ZodType>(subject: string, schema: S, input: unknown): z.output<S> {
  // Values this function gave for this schema (a chart's values, handed on to its product) are parsed already.
  if (input !== null && typeof input === 'object' && parsedBy.get(input) === schema) return input as z.output<S>;
  const key = jsonKey(input ?? {});
  const memo = parsedValues.get(schema) ?? new Map<string, unknown>();
  // A remembered input passed the check below when it was first parsed (its JSON text keeps `__proto__` keys).
  if (key !== undefined && memo.has(key)) return memo.get(key) as z.output<S>;
  assertHoldableValues(subject, input);
  const result = schema.safeParse(coalesceValues(schema.parse({}), input ?? {}));
  if (!result.success) throw ValuesError.fromZod(subject, result.error);
  if (key !== undefined) {
    if (memo.size >= PARSED_VALUES_KEPT) memo.delete(memo.keys().next().value!);
    memo.set(key, parsedOutput(schema, freezeValues(result.data)));
    parsedValues.set(schema, memo);
  }
  return parsedOutput(schema, result.data);
}

/** Which schema gave each values object parseValues returned. */
const parsedBy = new WeakMap<object, z.ZodType>();

function parsedOutput<T>(schema: z.ZodType, values: T): T {
  if (values !== null && typeof values === 'object') parsedBy.set(values, schema);
  return values;
}

/** values.schema.json for a values schema. */
export function valuesJsonSchema(schema: z.ZodType): Record<string, unknown> {
  return z.toJSONSchema(schema, { target: 'draft-7', io: 'input', unrepresentable: 'any' }) as Record<string, unknown>;
}

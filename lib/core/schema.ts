/**
 * Zod building blocks shared by every system's values schema, and the one rule for cross-field checks:
 * a refinement always carries its JSON Schema twin, so values.schema.json enforces what zod enforces.
 */
import { z } from 'zod';

/** JSON Schema (draft-07) fragment merged into a schema's output. */
export type JsonSchemaFragment = Record<string, unknown>;

/**
 * A zod refinement together with the JSON Schema that enforces the same rule in Helm.
 * zod's JSON Schema export drops refinements; `.meta()` keys are merged into the exported node, and
 * every rule of a node goes into its `allOf`, so several rules on one object all reach the schema.
 * JSON Schema draft-07 cannot compare two fields: a rule that needs that must be designed away
 * (derive the value instead, e.g. `Render.add`).
 */
export function rule<T extends z.ZodType>(
  schema: T,
  check: (value: z.output<T>) => boolean,
  opts: { message: string; path?: (string | number)[]; jsonSchema: JsonSchemaFragment; counterexample: Partial<z.input<T>> },
): T {
  const previous = (z.globalRegistry.get(schema)?.allOf as JsonSchemaFragment[] | undefined) ?? [];
  const refined = schema.refine(check, { message: opts.message, path: opts.path }).meta({ allOf: [...previous, opts.jsonSchema] }) as unknown as T;
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

const DNS_LABEL = '^[a-z0-9]([-a-z0-9]*[a-z0-9])?$';
const DNS_SUBDOMAIN = '^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$';
const QUANTITY = '^[+]?([0-9]+(\\.[0-9]*)?|\\.[0-9]+)([eE][-+]?[0-9]+|[KMGTPE]i|[mkMGTPE])?$';
const LABEL_KEY = '^([a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*/)?[A-Za-z0-9]([-A-Za-z0-9_.]*[A-Za-z0-9])?$';
const LABEL_VALUE = '^(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?$';
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

const labelKey = () =>
  rule(z.string().max(317).regex(new RegExp(LABEL_KEY)), (k) => !new RegExp(RESERVED_LABEL_PREFIX).test(k), {
    message: 'app.kubernetes.io/*, helm.sh/* and chart-as-code/* keys are set by the chart',
    jsonSchema: { not: { pattern: RESERVED_LABEL_PREFIX } },
    counterexample: 'helm.sh/chart',
  });

/** Extra labels: valid keys and values, never one of the chart's own `app.kubernetes.io/*` or `helm.sh/*` labels. */
export const extraLabels = () =>
  z.record(labelKey(), z.string().max(63).regex(new RegExp(LABEL_VALUE))).default({});

/** Extra annotations: any string values; never one of the chart's own `helm.sh/*` annotations. */
export const extraAnnotations = () => z.record(labelKey(), z.string()).default({});

/** Free-form Kubernetes fragments (affinity, security contexts, ...), passed through as given. */
export const k8sObject = () => z.record(z.string(), z.unknown());

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

export const extraEnv = () =>
  z
    .array(
      z
        .object({
          name: envName(),
          value: z.string().optional(),
          valueFrom: k8sObject().optional(),
        })
        .strict(),
    )
    .default([])
    .describe('Extra environment variables for the main container (name with value or valueFrom).');

/** Fields every chart of this library has at its root. */
export const commonFields = () => ({
  namePrefix: z
    .union([z.literal(''), z.string().max(20).regex(/^[a-z0-9]([-a-z0-9]*[-a-z0-9])?$/)])
    .default('')
    .describe('Prefix for every object name, so two releases can share a namespace (e.g. "team-a-").'),
  commonLabels: extraLabels().describe('Labels added to every object.'),
  commonAnnotations: extraAnnotations().describe('Annotations added to every object.'),
  global: z.record(z.string(), z.unknown()).optional().describe('Set by Helm when this chart is a subchart; unused.'),
});

/** The error a user sees for invalid values: every offending path with its rule, no stack trace. */
export class ValuesError extends Error {
  constructor(public readonly system: string, public readonly issues: { path: string; message: string }[]) {
    super(`invalid values for ${system}:\n${issues.map((i) => `  - ${i.path || '(root)'}: ${i.message}`).join('\n')}`);
    this.name = 'ValuesError';
  }

  static fromZod(system: string, error: z.ZodError): ValuesError {
    return new ValuesError(
      system,
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
 * User values over defaults the way Helm coalesces them: maps merge key by key, anything else (lists,
 * scalars) replaces, and a null deletes the key. Raw synthesis uses the same rule, so a partial
 * `resources.requests` or `podSecurityContext` means the same in both outputs.
 */
export function coalesceValues(defaults: unknown, user: unknown): unknown {
  if (!isMap(defaults) || !isMap(user)) return user === undefined ? defaults : user;
  const out: Record<string, unknown> = { ...defaults };
  for (const [key, value] of Object.entries(user)) {
    if (value === null) delete out[key];
    else out[key] = coalesceValues(defaults[key], value);
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
  const text = JSON.stringify(input, function (this: unknown, _key: string, v: unknown) {
    if (v === undefined ? Array.isArray(this) : typeof v === 'function' || typeof v === 'bigint' || typeof v === 'symbol' || (typeof v === 'number' && !Number.isFinite(v))) faithful = false;
    else if (v !== null && typeof v === 'object' && !Array.isArray(v) && !isPlainData(v)) faithful = false;
    return v;
  });
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
export function parseValues<S extends z.ZodType>(system: string, schema: S, input: unknown): z.output<S> {
  // Values this function gave for this schema (a chart's values, handed on to its system) are parsed already.
  if (input !== null && typeof input === 'object' && parsedBy.get(input) === schema) return input as z.output<S>;
  const key = jsonKey(input ?? {});
  const memo = parsedValues.get(schema) ?? new Map<string, unknown>();
  if (key !== undefined && memo.has(key)) return memo.get(key) as z.output<S>;
  const result = schema.safeParse(coalesceValues(schema.parse({}), input ?? {}));
  if (!result.success) throw ValuesError.fromZod(system, result.error);
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

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
 * The Helm side of a rule that JSON Schema draft-07 cannot state (it compares fields): a named template,
 * `<chart>.rule.<name>` in `_helpers.tpl`, that the chart's `templates/values-rules.yaml` calls for every
 * place of the values the rule applies to, with `.value` (the value there, coalesced as Helm coalesces it)
 * and `.path` (its values path, "" at the root). `body` is the template's text: where the value breaks the
 * rule it calls `refuse(reason, at)`, which fails as the generic `<chart>.refuse` does, with the words of
 * Helm's schema errors ("values don't meet the schema: <path>.<at>: <reason>"). `reason` and `at` are Go
 * template expressions; `at` is relative to `.path`. `helpers`: optional helpers the body includes.
 */
export class TemplateRule {
  constructor(
    readonly name: string,
    readonly body: (ctx: { chart: string; refuse: (reason: string, at?: string) => string }) => string,
    readonly helpers: readonly ('quantity')[] = [],
  ) {}
}

/**
 * A zod refinement together with the JSON Schema that enforces the same rule in Helm.
 * zod's JSON Schema export drops refinements; `.meta()` keys are merged into the exported node, and
 * every rule of a node goes into its `allOf`, so several rules on one object all reach the schema.
 * JSON Schema draft-07 cannot compare two fields: a rule that needs that must be designed away
 * (derive the value instead, e.g. `Render.add`), be a TemplateRule, or be CHECKED_BY_TEMPLATE where the
 * chart's templates use the value.
 */
export function rule<T extends z.ZodType>(
  schema: T,
  check: (value: z.output<T>) => boolean,
  opts: {
    message: string | ((value: z.output<T>) => string);
    path?: (string | number)[];
    jsonSchema: JsonSchemaFragment | TemplateRule | typeof CHECKED_BY_TEMPLATE;
    counterexample: Partial<z.input<T>>;
  },
): T {
  const { message, jsonSchema } = opts;
  const error = typeof message === 'string' ? message : (issue: { input: unknown }) => message(issue.input as z.output<T>);
  const checked = schema.refine(check, { error, path: opts.path });
  const previous = (z.globalRegistry.get(schema)?.allOf as JsonSchemaFragment[] | undefined) ?? [];
  const inSchema = jsonSchema !== CHECKED_BY_TEMPLATE && !(jsonSchema instanceof TemplateRule);
  const allOf = inSchema ? [...previous, jsonSchema] : previous;
  const refined = (allOf.length > 0 ? checked.meta({ allOf }) : checked) as unknown as T;
  ruleCounterexampleLists.set(refined, [...(ruleCounterexampleLists.get(schema) ?? []), opts.counterexample]);
  const templates = ruleTemplateLists.get(schema) ?? [];
  ruleTemplateLists.set(refined, jsonSchema instanceof TemplateRule ? [...templates, jsonSchema] : templates);
  return refined;
}

const ruleCounterexampleLists = new WeakMap<z.ZodType, unknown[]>();
const ruleTemplateLists = new WeakMap<z.ZodType, TemplateRule[]>();

/** For a schema made by `rule`: the TemplateRules among its rules (the chart's values-rules.yaml calls them). */
export function ruleTemplates(schema: z.ZodType): readonly TemplateRule[] {
  return ruleTemplateLists.get(schema) ?? [];
}

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
/**
 * A non-negative quantity as Kubernetes parses one, with at most 18 digits before the point, 9 after, and a
 * two-digit exponent: Kubernetes' decoder spends unbounded time on exponents like `e-62676722794`.
 */
const QUANTITY = '^[+]?([0-9]{1,18}(\\.[0-9]{0,9})?|\\.[0-9]{1,9})([eE][-+]?[0-9]{1,2}|[KMGTPE]i|[mkMGTPE])?$';
/**
 * The resources a container's requests and limits may name, as Kubernetes checks them: cpu, memory,
 * ephemeral-storage, huge pages of a size (`hugepages-2Mi`), or an extended resource, a qualified name with a
 * prefix (`nvidia.com/gpu`; not kubernetes.io's, whose names are Kubernetes' own).
 */
const CONTAINER_RESOURCE = `^(cpu|memory|ephemeral-storage|hugepages-[0-9]{1,18}([KMGTPE]i|[kMGTPE])?|${DNS_SUBDOMAIN.slice(1, -1)}/[A-Za-z0-9]([-A-Za-z0-9_.]*[A-Za-z0-9])?)$`;
/** Prefixes an extended resource may not have: Kubernetes' own, and `requests.` (its quota names). */
const RESERVED_RESOURCE_PREFIX = '^(requests\\.|([^/]*\\.)?kubernetes\\.io/)';
/** An extended resource's lengths: `requests.<prefix>` is a DNS subdomain (so the prefix at most 244), the name at most 63. */
const RESOURCE_NAME_LENGTHS = '^([^/]{1,244}/)?[^/]{1,63}$';
/**
 * An extended resource's quantity: a whole number (Kubernetes counts devices), of at most 15 digits, as
 * Kubernetes checks it in thousandths within an int64 (a larger one, 440485488Gi say, it calls not whole).
 */
const WHOLE_QUANTITY = '^[+]?[0-9]{1,15}$';
const MAX_WHOLE = 999_999_999_999_999;
export const LABEL_KEY = '^([a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*/)?[A-Za-z0-9]([-A-Za-z0-9_.]*[A-Za-z0-9])?$';
export const LABEL_VALUE = '^(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?$';
/** Kubernetes' qualified-name lengths, checked apart from the syntax: an optional prefix of at most 253, a name of at most 63. */
export const LABEL_KEY_LENGTHS = '^([^/]{1,253}/)?[^/]{1,63}$';
/** Kubernetes' env var names: not `.`, `..`, nor starting with `..` (stated without look-ahead, which Helm's schema regexes lack). */
const ENV_NAME = '^([-_a-zA-Z][-._a-zA-Z0-9]*|\\.[-_a-zA-Z0-9][-._a-zA-Z0-9]*)$';
/** A ConfigMap or Secret key (Kubernetes' rule: not `.`, `..`, nor starting with `..`): the env name rule with digits first allowed. */
export const CONFIG_KEY = '^([-_a-zA-Z0-9][-._a-zA-Z0-9]*|\\.[-_a-zA-Z0-9][-._a-zA-Z0-9]*)$';
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
const ZERO_QUANTITY = '^[+]?(0+(\\.0*)?|\\.0+)([eE][-+]?[0-9]{1,2}|[KMGTPE]i|[mkMGTPE])?$';
/** A quantity above zero (a claim's size). */
export const positiveQuantity = () =>
  z.union([
    rule(z.string().regex(new RegExp(QUANTITY)), (q) => !new RegExp(ZERO_QUANTITY).test(q), {
      message: 'must be greater than zero',
      jsonSchema: { not: { pattern: ZERO_QUANTITY } },
      counterexample: '0Gi',
    }),
    z.number().positive(),
  ]);
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

/** An optional object name (priorityClassName, storageClassName, ...): empty means "not set". */
export const optionalDnsName = () => z.union([z.literal(''), dnsName()]);

const TOLERATION_EFFECTS = ['NoSchedule', 'PreferNoSchedule', 'NoExecute'] as const;
const isExists = { required: ['operator'], properties: { operator: { const: 'Exists' } } };

/**
 * A pod toleration as Kubernetes validates it: a label key (or none with operator Exists, which tolerates
 * every taint), a label value (none with Exists), one of the three effects (none for all), and
 * tolerationSeconds only for NoExecute.
 */
export const toleration = () => {
  const t = z
    .object({
      key: z.union([z.literal(''), qualifiedName()]).optional(),
      operator: z.enum(['Exists', 'Equal']).optional(),
      value: labelValue().optional(),
      effect: z.enum(TOLERATION_EFFECTS).optional(),
      tolerationSeconds: z.number().int().min(0).max(2147483647).optional(),
    })
    .strict();
  const keyed = rule(t, (x) => (x.key ?? '') !== '' || x.operator === 'Exists', {
    message: 'a toleration without a key must have operator Exists',
    jsonSchema: { anyOf: [{ required: ['key'], properties: { key: { minLength: 1 } } }, isExists] },
    counterexample: { key: '', operator: 'Equal' },
  });
  const valued = rule(keyed, (x) => x.operator !== 'Exists' || (x.value ?? '') === '', {
    message: 'a toleration with operator Exists has no value',
    jsonSchema: { anyOf: [{ not: isExists }, { not: { required: ['value'], properties: { value: { minLength: 1 } } } }] },
    counterexample: { key: 'k', operator: 'Exists', value: 'v' },
  });
  return rule(valued, (x) => x.tolerationSeconds === undefined || x.effect === 'NoExecute', {
    message: 'tolerationSeconds is for effect NoExecute only',
    jsonSchema: { anyOf: [{ not: { required: ['tolerationSeconds'] } }, { required: ['effect'], properties: { effect: { const: 'NoExecute' } } }] },
    counterexample: { key: 'k', tolerationSeconds: 60, effect: 'NoSchedule' },
  });
};

const keyRef = () =>
  z.object({ name: dnsName(), key: z.string().min(1).max(253).regex(new RegExp(CONFIG_KEY)), optional: z.boolean().optional() }).strict();
const ENV_FIELD_PATHS = ['metadata.name', 'metadata.namespace', 'metadata.uid', 'spec.nodeName', 'spec.serviceAccountName', 'status.hostIP', 'status.podIP', 'status.podIPs'] as const;
const ENV_RESOURCES = ['limits.cpu', 'limits.memory', 'limits.ephemeral-storage', 'requests.cpu', 'requests.memory', 'requests.ephemeral-storage'] as const;

/** An env var's valueFrom: exactly one source, each with the fields Kubernetes requires. */
export const envValueFrom = () =>
  z.union([
    z.object({ secretKeyRef: keyRef() }).strict(),
    z.object({ configMapKeyRef: keyRef() }).strict(),
    z.object({ fieldRef: z.object({ fieldPath: z.enum(ENV_FIELD_PATHS), apiVersion: z.literal('v1').optional() }).strict() }).strict(),
    z.object({ resourceFieldRef: z.object({ resource: z.enum(ENV_RESOURCES) }).strict() }).strict(),
  ]);

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

/**
 * Free-form Kubernetes fragments (affinity, security contexts, ...), passed through as given: the schema
 * checks only that they are maps; their fields are Kubernetes' to validate (the API server refuses a
 * misspelt or wrong one on apply). `examples` are valid fragments of the kind: the proof's random valid
 * values (validValues) draw the fragment from them, not from arbitrary maps, so the Kubernetes validation of
 * random values proves the chart's own fields and the placement of the fragment, not the fragment's content.
 */
export const k8sObject = (examples: readonly Record<string, unknown>[] = [{}]) => {
  const s = z.record(
    rule(z.string(), (k) => k !== '__proto__', { message: UNHOLDABLE_KEY_MESSAGE, jsonSchema: { not: { const: '__proto__' } }, counterexample: '__proto__' }),
    z.unknown(),
  );
  return withK8sExamples(s, examples);
};

const isTrue = (key: string) => ({ required: [key], properties: { [key]: { const: true } } });
const addsSysAdmin = (sc: Record<string, unknown>): boolean => {
  const caps = sc.capabilities as { add?: unknown } | undefined;
  return isMap(caps) && Array.isArray(caps.add) && caps.add.includes('CAP_SYS_ADMIN');
};

/**
 * A container security context (coalesced over its defaults) as Kubernetes checks it: allowPrivilegeEscalation
 * false does not go with privileged true nor with capabilities.add CAP_SYS_ADMIN, which escalate anyway.
 */
export function withEscalationRule<T extends z.ZodType<Record<string, unknown>>>(schema: T): T {
  return rule(schema, (sc) => !(sc.allowPrivilegeEscalation === false && (sc.privileged === true || addsSysAdmin(sc))), {
    message: 'allowPrivilegeEscalation false cannot go with privileged true or capabilities.add CAP_SYS_ADMIN: set allowPrivilegeEscalation true for such a container',
    jsonSchema: {
      not: {
        required: ['allowPrivilegeEscalation'],
        properties: { allowPrivilegeEscalation: { const: false } },
        anyOf: [isTrue('privileged'), { required: ['capabilities'], properties: { capabilities: { type: 'object', required: ['add'], properties: { add: { type: 'array', contains: { const: 'CAP_SYS_ADMIN' } } } } } }],
      },
    },
    counterexample: { privileged: true, allowPrivilegeEscalation: false } as never,
  });
}

/** A container's security context: free-form (k8sObject), with the rule Kubernetes checks across its fields. */
export const containerSecurityContext = () => withEscalationRule(k8sObject(K8S_EXAMPLES.securityContext));

/** Registers valid values (Kubernetes fragments, names) the proof draws a schema's random values from (see k8sObject). */
export function withK8sExamples<T extends z.ZodType>(schema: T, examples: readonly unknown[]): T {
  k8sObjectExampleLists.set(schema, examples);
  return schema;
}

const k8sObjectExampleLists = new WeakMap<z.ZodType, readonly unknown[]>();

/** For a schema made by `k8sObject` or given examples by withK8sExamples (or a copy of one, e.g. described): its valid examples. */
export function k8sObjectExamples(schema: z.ZodType): readonly unknown[] | undefined {
  for (let n: z.ZodType | undefined = schema; n; n = (n as unknown as { _zod: { parent?: z.ZodType } })._zod.parent) {
    const found = k8sObjectExampleLists.get(n);
    if (found) return found;
  }
  return undefined;
}

/** Valid fragments for the proof's random values (k8sObject's `examples`). */
export const K8S_EXAMPLES = {
  podSecurityContext: [{}, { runAsNonRoot: true, runAsUser: 1000, runAsGroup: 1000, fsGroup: 1000 }, { seccompProfile: { type: 'RuntimeDefault' } }, { supplementalGroups: [4000], fsGroupChangePolicy: 'OnRootMismatch' }],
  securityContext: [
    {},
    { allowPrivilegeEscalation: false, capabilities: { drop: ['ALL'] } },
    { readOnlyRootFilesystem: true, runAsNonRoot: true },
    { runAsUser: 1000, privileged: false },
    { readOnlyRootFilesystem: true },
    { allowPrivilegeEscalation: false, seccompProfile: { type: 'RuntimeDefault' } },
  ],
  affinity: [
    {},
    { nodeAffinity: { requiredDuringSchedulingIgnoredDuringExecution: { nodeSelectorTerms: [{ matchExpressions: [{ key: 'kubernetes.io/arch', operator: 'In', values: ['amd64'] }] }] } } },
    { podAntiAffinity: { preferredDuringSchedulingIgnoredDuringExecution: [{ weight: 100, podAffinityTerm: { topologyKey: 'kubernetes.io/hostname', labelSelector: { matchLabels: { app: 'web' } } } }] } },
  ],
  hpaBehavior: [{}, { scaleDown: { stabilizationWindowSeconds: 300, policies: [{ type: 'Percent', value: 50, periodSeconds: 60 }] } }, { scaleUp: { selectPolicy: 'Max', policies: [{ type: 'Pods', value: 4, periodSeconds: 15 }] } }],
  labelSelector: [{}, { matchLabels: { app: 'web' } }, { matchExpressions: [{ key: 'tier', operator: 'In', values: ['a', 'b'] }] }],
  hpaMetric: [
    { type: 'Resource', resource: { name: 'cpu', target: { type: 'Utilization', averageUtilization: 70 } } },
    { type: 'Pods', pods: { metric: { name: 'requests_per_second' }, target: { type: 'AverageValue', averageValue: '10' } } },
    { type: 'External', external: { metric: { name: 'queue_depth' }, target: { type: 'Value', value: '100' } } },
  ],
  ipBlock: [{ cidr: '10.0.0.0/8' }, { cidr: '192.168.0.0/16', except: ['192.168.1.0/24'] }],
} satisfies Record<string, readonly Record<string, unknown>[]>;

const DECIMAL_EXPONENT: Record<string, number> = { '': 0, m: -3, k: 3, M: 6, G: 9, T: 12, P: 15, E: 18 };
const BINARY_EXPONENT: Record<string, number> = { Ki: 10, Mi: 20, Gi: 30, Ti: 40, Pi: 50, Ei: 60 };

/**
 * A quantity's value as a float64, computed exactly as the chart's `quantity` helper computes it (the digits
 * with a decimal suffix parsed as one number, `1.5e6` for 1.5M; times 2^10n for a binary suffix, exact), so a
 * rule comparing quantities decides alike in zod and in Helm. Two quantities that differ only beyond a
 * float64's 15-17 significant digits compare equal here, where Kubernetes tells them apart.
 */
export function quantityValue(q: string | number): number {
  if (typeof q === 'number') return q;
  const digits = /^[+]?[0-9]*[.]?[0-9]*/.exec(q)![0];
  const suffix = q.slice(digits.length);
  if (suffix in BINARY_EXPONENT) return Number(digits) * 2 ** BINARY_EXPONENT[suffix]!;
  if (suffix in DECIMAL_EXPONENT) return Number(`${digits}e${DECIMAL_EXPONENT[suffix]}`);
  return Number(q);
}

/** Huge pages and extended resources: Kubernetes takes no overcommit of them, a request must equal its limit. */
const fixedResource = (name: string): boolean => name.includes('/') || name.startsWith('hugepages-');

/** The first request Kubernetes refuses next to the limits: above its limit, or of a fixed resource, not equal to one. */
function resourceProblem(r: { requests: Record<string, string | number>; limits: Record<string, string | number> }): string | undefined {
  for (const name of Object.keys(r.requests).sort()) {
    const request = r.requests[name]!;
    const limit = r.limits[name];
    if (limit === undefined) {
      if (fixedResource(name)) return `${name}: an extended resource or huge pages need a limit equal to the request`;
    } else if (fixedResource(name) ? quantityValue(request) !== quantityValue(limit) : quantityValue(request) > quantityValue(limit)) {
      return fixedResource(name) ? `${name}: ${request} must equal its limit ${limit} (extended resources and huge pages)` : `${name}: ${request} is above its limit ${limit}`;
    }
  }
  return undefined;
}

/** The resources rule's Helm side (resourceProblem, same order: names sorted, the first problem). */
const RESOURCES_RULE = new TemplateRule(
  'resources',
  ({ chart, refuse }) => `
{{- $limits := $.value.limits | default dict -}}
{{- range $name, $request := $.value.requests -}}
{{- $fixed := or (contains "/" $name) (hasPrefix "hugepages-" $name) -}}
{{- if not (hasKey $limits $name) -}}
{{- if $fixed -}}
${refuse('(printf "%s: an extended resource or huge pages need a limit equal to the request" $name)', '"requests"')}
{{- end -}}
{{- else -}}
{{- $limit := get $limits $name -}}
{{- $r := float64 (include "${chart}.quantity" $request) -}}
{{- $l := float64 (include "${chart}.quantity" $limit) -}}
{{- if and $fixed (ne $r $l) -}}
${refuse('(printf "%s: %v must equal its limit %v (extended resources and huge pages)" $name $request $limit)', '"requests"')}
{{- else if gt $r $l -}}
${refuse('(printf "%s: %v is above its limit %v" $name $request $limit)', '"requests"')}
{{- end -}}
{{- end -}}
{{- end -}}`,
  ['quantity'],
);

/** A container resource's name, as Kubernetes checks it (CONTAINER_RESOURCE and its prefix and length rules). */
const resourceName = () => {
  const syntax = rule(z.string().max(317).regex(new RegExp(CONTAINER_RESOURCE)), (k) => !new RegExp(RESERVED_RESOURCE_PREFIX).test(k), {
    message: 'kubernetes.io/* and requests.* are not extended resource names',
    jsonSchema: { not: { pattern: RESERVED_RESOURCE_PREFIX } },
    counterexample: 'example.kubernetes.io/gpu',
  });
  const named = rule(syntax, (k) => new RegExp(RESOURCE_NAME_LENGTHS).test(k), {
    message: 'an extended resource is a prefix of at most 244 characters, "/", and a name of at most 63',
    jsonSchema: { pattern: RESOURCE_NAME_LENGTHS },
    counterexample: `example.com/${'a'.repeat(64)}`,
  });
  // Random values name cpu, memory and ephemeral-storage mostly, and an extended resource now and then.
  // Never huge pages: Kubernetes wants their quantities a multiple of the page size, which no schema here states.
  return withK8sExamples(named, ['cpu', 'memory', 'ephemeral-storage', 'cpu', 'memory', 'ephemeral-storage', 'example.com/gpu']);
};

/** Requests or limits: quantities by resource name, whole numbers for extended resources. */
const resourceList = (defaults: Record<string, string>) =>
  rule(z.record(resourceName(), quantity()), (list) => Object.entries(list).every(([k, q]) => !k.includes('/') || (typeof q === 'number' ? Number.isInteger(q) && q <= MAX_WHOLE : new RegExp(WHOLE_QUANTITY).test(q))), {
    message: 'an extended resource (a name with a "/") is counted in whole numbers of at most 15 digits',
    jsonSchema: { patternProperties: { '/': { anyOf: [{ type: 'string', pattern: WHOLE_QUANTITY }, { type: 'integer', minimum: 0, maximum: MAX_WHOLE }] } } },
    counterexample: { 'example.com/gpu': '1.5' },
  }).default(defaults);

export const resources = (requests: Record<string, string>, limits: Record<string, string>) =>
  rule(
    z
      .object({
        requests: resourceList(requests).describe('Resource requests: cpu, memory, ephemeral-storage, huge pages (hugepages-<size>) or extended resources (nvidia.com/gpu: whole numbers of at most 15 digits).'),
        limits: resourceList(limits).describe('Resource limits; each request at most its limit, and for huge pages and extended resources equal to it.'),
      })
      .strict(),
    (r) => resourceProblem(r) === undefined,
    {
      message: (r) => resourceProblem(r)!,
      path: ['requests'],
      jsonSchema: RESOURCES_RULE,
      counterexample: { requests: { cpu: '2' }, limits: { cpu: '1' } },
    },
  ).prefault({});

/**
 * A tag that names one release: at least major.minor (PostgreSQL's and the SV server's own full versions
 * have two parts, so three would refuse the vendors' tags), optionally a suffix (`-alpine`, `-1`). Refused:
 * `latest`, `stable`, a bare major (`14`), which move to new images under the same name. A major.minor that
 * a vendor also re-tags (`busybox:1.36`) cannot be told apart: `digest` is the pin that cannot move.
 * Red Hat's images name a build as version-release (`registry.redhat.io/rhel8/postgresql-12:1-54`): a
 * number, a dash and a number is taken as pinned too.
 */
const PINNED_TAG = 'v?[0-9]+(\\.[0-9]+|-[0-9]+)([._-][A-Za-z0-9]+)*';
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
    .prefault({});

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
    .prefault({});

/**
 * Extra env of a container: each name at most once, and never one the chart sets from a Secret
 * (`secretEnv`: what → env name, the table the container's env is built from). Extra env comes after the
 * chart's, so such a name would silently replace the managed credential.
 */
/** An env var of a container: a name (`name`: its schema) with a value or a valueFrom, not both. */
export const envVar = (name: z.ZodType<string> = envName()) =>
  rule(z.object({ name, value: z.string().optional(), valueFrom: envValueFrom().optional() }).strict(), (e) => !(e.value && e.valueFrom), {
    message: 'value or valueFrom, not both',
    jsonSchema: { not: { required: ['value', 'valueFrom'], properties: { value: { minLength: 1 } } } },
    counterexample: { name: 'BOTH', value: 'x', valueFrom: { fieldRef: { fieldPath: 'metadata.name' } } },
  });

export const extraEnv = (secretEnv: Readonly<Record<string, string>>) => {
  const managed = [...new Set(Object.values(secretEnv))].sort();
  if (managed.length === 0) throw new Error('extraEnv: no env set from a Secret to reserve');
  const name = rule(envName(), (n) => !managed.includes(n), {
    message: `set by the chart from a Secret (${managed.join(', ')}): use the value that feeds it`,
    jsonSchema: { not: { enum: managed } },
    counterexample: managed[0]!,
  });
  const list = z.array(envVar(name));
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

/**
 * A list of named items whose names must all differ (a pod's volumes, its containers): zod refuses a repeat,
 * and the chart where it spreads the list (`Render.itemsOfUniqueNames`), as JSON Schema cannot say it.
 */
export function uniquelyNamed<T extends z.ZodType<readonly { name: string }[]>>(list: T, counterexample: z.input<T>): T {
  return rule(list, (items) => repeatedName(items) === undefined, {
    message: (items) => `${repeatedName(items)} is given twice: each name once`,
    jsonSchema: CHECKED_BY_TEMPLATE,
    counterexample,
  });
}

/** The first name that an earlier item has too. */
export function repeatedName(items: readonly { name: string }[]): string | undefined {
  const seen = new Set<string>();
  for (const { name } of items) {
    if (seen.has(name)) return name;
    seen.add(name);
  }
  return undefined;
}

/**
 * `schema` (an object) with the rule that its number `high` is at least its number `low` (an autoscaler's
 * maxReplicas and minReplicas), in zod and in the chart's template rules.
 */
export function atLeast<T extends z.ZodType<Record<string, unknown>>>(schema: T, high: string, low: string, counterexample: Partial<z.input<T>>): T {
  const broken = (v: Record<string, unknown>) => (v[high] as number) < (v[low] as number);
  return rule(schema, (v) => !broken(v), {
    message: (v) => `${String(v[high])} is below ${low} ${String(v[low])}`,
    path: [high],
    jsonSchema: new TemplateRule(
      `${high}AtLeast${low.charAt(0).toUpperCase()}${low.slice(1)}`,
      ({ refuse }) => `
{{- $high := index $.value ${JSON.stringify(high)} -}}
{{- $low := index $.value ${JSON.stringify(low)} -}}
{{- if lt (float64 $high) (float64 $low) -}}
${refuse(`(printf "%v is below ${low} %v" $high $low)`, JSON.stringify(high))}
{{- end -}}`,
    ),
    counterexample,
  });
}

/** The first two keys of `v` (sorted) with the same number, `except` aside. */
function sameNumber(v: Record<string, unknown>, except: number | undefined): [string, string] | undefined {
  const seen = new Map<unknown, string>();
  for (const key of Object.keys(v).sort()) {
    const n = v[key];
    if (n === except) continue;
    const first = seen.get(n);
    if (first !== undefined) return [first, key];
    seen.set(n, key);
  }
  return undefined;
}

/**
 * `schema` (an object of numbers: ports) with the rule that no two of them are equal (`except` aside: 0 for
 * "Kubernetes chooses"), in zod and in the chart's template rules: a Service refuses a port twice.
 */
export function distinctNumbers<T extends z.ZodType<Record<string, unknown>>>(schema: T, name: string, counterexample: Partial<z.input<T>>, except?: number): T {
  const set = '{{- $_ := set $seen $text $key -}}';
  const remember = except === undefined ? set : `{{- if ne (float64 $n) ${except}.0 -}}\n${set}\n{{- end -}}`;
  return rule(schema, (v) => sameNumber(v, except) === undefined, {
    message: (v) => {
      const [first, second] = sameNumber(v, except)!;
      return `${second} is ${String(v[second])}, as ${first} is: each must differ`;
    },
    jsonSchema: new TemplateRule(
      name,
      ({ refuse }) => `
{{- $seen := dict -}}
{{- range $key, $n := $.value -}}
{{- $text := toString (float64 $n) -}}
{{- if hasKey $seen $text -}}
${refuse(`(printf "%s is %v, as %s is: each must differ" $key $n (get $seen $text))`)}
{{- end -}}
${remember}
{{- end -}}`,
    ),
    counterexample,
  });
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

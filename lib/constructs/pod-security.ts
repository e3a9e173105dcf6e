/**
 * The Pod Security Standard a chart's pods meet (https://kubernetes.io/docs/concepts/security/pod-security-standards/),
 * declared by the `podSecurityLevel` value, and the values that would break it refused, with their path,
 * by zod and values.schema.json alike: before a namespace labelled `pod-security.kubernetes.io/enforce`
 * refuses the pods one by one at creation (a Deployment then rolls out nothing, with no word in helm).
 *
 * Only the free-form values can break a level (security contexts, extra volumes, extra containers):
 * host namespaces, host ports of the chart's own containers and the chart's volumes are not values.
 * Each rule is one JSON Schema fragment: Helm checks it in values.schema.json, and `matches` below
 * checks the same fragment for zod, so the two cannot disagree.
 *
 * Stricter than the standard in one place, to stay checkable path by path: under `restricted` the pod
 * security context must say runAsNonRoot: true and a RuntimeDefault/Localhost seccomp profile (the
 * standard also accepts every container saying so).
 */
import { z } from 'zod';
import { JsonSchemaFragment, rule } from '../core/schema';

export const POD_SECURITY_LEVELS = ['restricted', 'baseline', 'privileged'] as const;
export type PodSecurityLevel = (typeof POD_SECURITY_LEVELS)[number];

/** The `podSecurityLevel` value: the chart's default is the level its pods meet as shipped. */
export const podSecurityLevelValue = (level: PodSecurityLevel, why: string) =>
  z
    .enum(POD_SECURITY_LEVELS)
    .default(level)
    .describe(
      `Pod Security Standard the pods meet: label the namespace pod-security.kubernetes.io/enforce=<this level>. Values that break it are refused; lower it (baseline, privileged) only on purpose. ${why}`,
    );

/** Capabilities `baseline` lets a container add; `restricted` only NET_BIND_SERVICE. */
const BASELINE_CAPABILITIES = ['AUDIT_WRITE', 'CHOWN', 'DAC_OVERRIDE', 'FOWNER', 'FSETID', 'KILL', 'MKNOD', 'NET_BIND_SERVICE', 'SETFCAP', 'SETGID', 'SETPCAP', 'SETUID', 'SYS_CHROOT'];
const SAFE_SYSCTLS = [
  'kernel.shm_rmid_forced',
  'net.ipv4.ip_local_port_range',
  'net.ipv4.ip_unprivileged_port_start',
  'net.ipv4.tcp_syncookies',
  'net.ipv4.ping_group_range',
  'net.ipv4.ip_local_reserved_ports',
  'net.ipv4.tcp_keepalive_time',
  'net.ipv4.tcp_fin_timeout',
  'net.ipv4.tcp_keepalive_intvl',
  'net.ipv4.tcp_keepalive_probes',
];
export const RESTRICTED_VOLUME_TYPES = ['configMap', 'csi', 'downwardAPI', 'emptyDir', 'ephemeral', 'persistentVolumeClaim', 'projected', 'secret'] as const;
const CONFINED_PROFILES = ['RuntimeDefault', 'Localhost'];

const notTrue = { not: { const: true } };

/** What both a pod and a container security context must not say under `baseline`. */
const contextBaseline: JsonSchemaFragment = {
  properties: {
    seccompProfile: { properties: { type: { not: { const: 'Unconfined' } } } },
    seLinuxOptions: { properties: { type: { enum: ['', 'container_t', 'container_init_t', 'container_kvm_t', 'container_engine_t'] }, user: { const: '' }, role: { const: '' } } },
    windowsOptions: { properties: { hostProcess: notTrue } },
    appArmorProfile: { properties: { type: { enum: CONFINED_PROFILES } } },
  },
};

const containerBaseline: JsonSchemaFragment = {
  allOf: [
    contextBaseline,
    { properties: { privileged: notTrue, procMount: { enum: ['Default'] }, capabilities: { properties: { add: { items: { enum: BASELINE_CAPABILITIES } } } } } },
  ],
};

// What `restricted` adds: its rules apply together with baseline's (see LEVELS_ENFORCING).
const containerRestricted: JsonSchemaFragment = {
  required: ['allowPrivilegeEscalation', 'capabilities'],
  properties: {
    allowPrivilegeEscalation: { const: false },
    capabilities: { required: ['drop'], properties: { drop: { contains: { const: 'ALL' } }, add: { items: { const: 'NET_BIND_SERVICE' } } } },
    runAsNonRoot: { not: { const: false } },
    runAsUser: { not: { const: 0 } },
    seccompProfile: { properties: { type: { enum: CONFINED_PROFILES } } },
  },
};

const podBaseline: JsonSchemaFragment = { allOf: [contextBaseline, { properties: { sysctls: { items: { properties: { name: { enum: SAFE_SYSCTLS } } } } } }] };

const podRestricted: JsonSchemaFragment = {
  required: ['runAsNonRoot', 'seccompProfile'],
  properties: {
    runAsNonRoot: { const: true },
    runAsUser: { not: { const: 0 } },
    seccompProfile: { required: ['type'], properties: { type: { enum: CONFINED_PROFILES } } },
  },
};

/** A fragment without the keys the chart sets itself (they are refused as values, e.g. the SV server's runAsUser). */
function without(fragment: JsonSchemaFragment, keys: readonly string[]): JsonSchemaFragment {
  if (keys.length === 0) return fragment;
  const out: JsonSchemaFragment = { ...fragment };
  if (Array.isArray(fragment.allOf)) out.allOf = (fragment.allOf as JsonSchemaFragment[]).map((f) => without(f, keys));
  if (Array.isArray(fragment.required)) out.required = (fragment.required as string[]).filter((k) => !keys.includes(k));
  if (fragment.properties) out.properties = Object.fromEntries(Object.entries(fragment.properties as JsonSchemaFragment).filter(([k]) => !keys.includes(k)));
  return out;
}

type Enforced = Exclude<PodSecurityLevel, 'privileged'>;

/** One place in the values that ends up in a pod: what each level requires of it, and a value breaking each. */
export interface PodSecurityPlace {
  readonly path: readonly string[];
  readonly what: string;
  readonly require: Record<Enforced, JsonSchemaFragment>;
  readonly breaks: Record<Enforced, unknown>;
}

/** A pod security context value (`keysSetByChart`: keys the chart decides, not in the value). */
export const podContext = (path: string[], keysSetByChart: readonly string[] = []): PodSecurityPlace => ({
  path,
  what: 'pod security context: no Unconfined seccomp, SELinux user/role, host process or unsafe sysctl; restricted also needs runAsNonRoot: true, a RuntimeDefault/Localhost seccomp profile, runAsUser not 0',
  require: { baseline: without(podBaseline, keysSetByChart), restricted: without(podRestricted, keysSetByChart) },
  breaks: { baseline: { seccompProfile: { type: 'Unconfined' } }, restricted: keysSetByChart.includes('runAsNonRoot') ? { seccompProfile: { type: 'Unconfined' } } : { runAsNonRoot: false } },
});

/** A container security context value. */
export const containerContext = (path: string[], keysSetByChart: readonly string[] = []): PodSecurityPlace => ({
  path,
  what:
    'container security context: not privileged, no added capability beyond the baseline set, no Unconfined seccomp, no host process, default procMount; restricted also needs allowPrivilegeEscalation: false, capabilities.drop with ALL, only NET_BIND_SERVICE added, runAsNonRoot not false, runAsUser not 0',
  require: { baseline: without(containerBaseline, keysSetByChart), restricted: without(containerRestricted, keysSetByChart) },
  breaks: { baseline: { privileged: true }, restricted: { allowPrivilegeEscalation: true } },
});

/** A list of volume values. */
export const volumeList = (path: string[]): PodSecurityPlace => ({
  path,
  what: 'volumes: no hostPath; restricted allows only configMap, csi, downwardAPI, emptyDir, ephemeral, persistentVolumeClaim, projected and secret',
  require: {
    baseline: { items: { not: { required: ['hostPath'] } } },
    // additionalProperties rather than propertyNames: helm's validators name the volume then, not some other path.
    restricted: { items: { properties: Object.fromEntries(['name', ...RESTRICTED_VOLUME_TYPES].map((k) => [k, {}])), additionalProperties: false } },
  },
  breaks: { baseline: [{ name: 'host', hostPath: { path: '/' } }], restricted: [{ name: 'nfs', nfs: { server: 'nfs.example.com', path: '/' } }] },
});

/** A list of container values (extra init containers): their security contexts and host ports. */
export const containerList = (path: string[]): PodSecurityPlace => ({
  path,
  what: 'containers: each security context as for the main container (restricted: one is required) and no hostPort',
  require: {
    baseline: { items: { properties: { securityContext: containerBaseline, ports: { items: { properties: { hostPort: { const: 0 } } } } } } },
    restricted: { items: { required: ['securityContext'], properties: { securityContext: containerRestricted } } },
  },
  breaks: {
    baseline: [{ name: 'x', image: 'busybox:1.36.1', securityContext: { capabilities: { add: ['SYS_ADMIN'] } } }],
    restricted: [{ name: 'x', image: 'busybox:1.36.1' }],
  },
});

/** A switch that must be `value` under `level` and stricter (e.g. the SV server's runAsRoot, false under restricted). */
export const requiredSetting = (path: string[], level: Enforced, value: boolean, what: string): PodSecurityPlace => ({
  path,
  what,
  require: { baseline: level === 'baseline' ? { const: value } : {}, restricted: { const: value } },
  breaks: { baseline: !value, restricted: !value },
});

const LEVELS_ENFORCING: Record<Enforced, PodSecurityLevel[]> = { baseline: ['baseline', 'restricted'], restricted: ['restricted'] };

function nested(path: readonly string[], leaf: JsonSchemaFragment): JsonSchemaFragment {
  return path.reduceRight<JsonSchemaFragment>((inner, key) => ({ properties: { [key]: inner } }), leaf);
}

function at(value: unknown, path: readonly string[]): unknown {
  return path.reduce<unknown>((v, k) => (isMap(v) ? v[k] : undefined), value);
}

/**
 * `schema` (a chart's root values, with `podSecurityLevel`) with a rule per place and enforced level:
 * the place must meet the level whenever podSecurityLevel is that level or a stricter one (so a
 * restricted place meets baseline's rule and restricted's additions).
 */
export function withPodSecurity<T extends z.ZodType<{ podSecurityLevel: PodSecurityLevel }>>(schema: T, places: readonly PodSecurityPlace[]): T {
  let out = schema;
  for (const place of places) {
    for (const level of ['baseline', 'restricted'] as const) {
      const fragment = place.require[level];
      if (Object.keys(fragment).length === 0) continue;
      const levels = LEVELS_ENFORCING[level];
      out = rule(out, (v) => !levels.includes(v.podSecurityLevel) || matches(fragment, at(v, place.path)), {
        message: `breaks Pod Security ${level} (podSecurityLevel: ${level === 'baseline' ? 'privileged' : 'baseline'} allows it, on purpose only): ${place.what}`,
        path: [...place.path],
        counterexample: { podSecurityLevel: level, ...setAt(place.path, place.breaks[level]) } as never,
        jsonSchema: { if: { properties: { podSecurityLevel: { enum: levels } }, required: ['podSecurityLevel'] }, then: nested(place.path, fragment) },
      });
    }
  }
  return out;
}

function setAt(path: readonly string[], value: unknown): Record<string, unknown> {
  return path.reduceRight<unknown>((inner, key) => ({ [key]: inner }), value) as Record<string, unknown>;
}

const has = (o: object, key: string) => Object.prototype.hasOwnProperty.call(o, key);

function isMap(v: unknown): v is Record<string, unknown> {
  return v !== null && typeof v === 'object' && !Array.isArray(v);
}

/**
 * Whether `value` meets a fragment, by JSON Schema's rules for the keywords the fragments above use
 * (object keywords ignore non-objects, list keywords ignore non-lists), so zod refuses what Helm refuses.
 */
function matches(schema: JsonSchemaFragment, value: unknown): boolean {
  const s = schema as {
    allOf?: JsonSchemaFragment[];
    not?: JsonSchemaFragment;
    const?: unknown;
    enum?: unknown[];
    properties?: Record<string, JsonSchemaFragment>;
    required?: string[];
    additionalProperties?: false;
    items?: JsonSchemaFragment;
    contains?: JsonSchemaFragment;
  };
  if (s.allOf && !s.allOf.every((f) => matches(f, value))) return false;
  if (s.not && matches(s.not, value)) return false;
  if ('const' in s && value !== s.const) return false;
  if (s.enum && !s.enum.includes(value)) return false;
  if (isMap(value)) {
    if (s.required && !s.required.every((k) => has(value, k))) return false;
    if (s.properties && !Object.entries(s.properties).every(([k, f]) => !has(value, k) || matches(f, value[k]))) return false;
    if (s.additionalProperties === false && !Object.keys(value).every((k) => has(s.properties ?? {}, k))) return false;
  }
  if (Array.isArray(value)) {
    if (s.items && !value.every((x) => matches(s.items!, x))) return false;
    if (s.contains && !value.some((x) => matches(s.contains!, x))) return false;
  }
  return true;
}

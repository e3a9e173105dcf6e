/**
 * Parts every product chart offers the same way: Ingress to the REST port, HorizontalPodAutoscaler,
 * PodDisruptionBudget (each its own construct), and the graceful-shutdown budget of licence deactivation.
 */
import { Construct } from 'constructs';
import { z } from 'zod';
import { atLeast, dnsLabel, extraAnnotations, extraEnv, imageReference, K8S_EXAMPLES, k8sObject, optionalDnsName, optionalSecretName, rule, TemplateRule, uniquelyNamed, withK8sExamples } from '../core/schema';
import { testValues } from './test-hook';
import { productNetworkPolicyValues } from './network-policy';
import { containerContext, containerList, podContext, podSecurityLevelValue, volumeList } from './pod-security';
import { databasePodSecurity } from './postgres';
import { KubeObject } from '../core/kube-object';
import { Render, ValueOrConstant, Value, ValueTree } from '../core/template';
import { Identity } from './identity';
import { podValues, restrictedContainerSecurity, restrictedPodSecurity } from './pod';
import { compatibilityValues } from './vendor-compat';

/** What Kubernetes refuses in an Ingress path (of pathType Prefix and Exact; refused here for every type). */
const UNCLEAN_PATH = '(//|/\\.\\.?/|%2[fF]|/\\.\\.?$)';

export const ingressValues = (name: string) => {
  return z
    .object({
      enabled: z.boolean().default(false).describe(`Create the Ingress ${name} to the REST port.`),
      className: optionalDnsName().default('').describe('IngressClass; empty for the cluster default.'),
      host: z
        .string()
        .max(253)
        .regex(/^((\*\.)?[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*)?$/)
        .default('')
        .describe('Host name; empty matches every host.'),
      paths: z
        .array(
          z
            .object({
              path: rule(z.string().regex(/^\/[^\s{}]*$/), (p) => !new RegExp(UNCLEAN_PATH).test(p), {
                message: "a path has no //, /./, /../ or %2f, and does not end with /. or /.. (Kubernetes refuses them)",
                jsonSchema: { not: { pattern: UNCLEAN_PATH } },
                counterexample: '/a/./b',
              }).describe('URL path (no //, /./, /../ or %2f, not ending with /. or /..).'),
              pathType: z.enum(['Prefix', 'Exact', 'ImplementationSpecific']).describe('How the path matches (list items have no defaults: Helm replaces lists whole).'),
            })
            .strict(),
        )
        .min(1)
        .default([{ path: '/', pathType: 'Prefix' }])
        .describe('Paths routed to the REST port.'),
      annotations: extraAnnotations().describe('Annotations of the Ingress.'),
      tls: z
        .object({ secretName: optionalSecretName().default('').describe('TLS Secret for the host; empty for no TLS at the Ingress.') })
        .strict()
        .prefault({}),
    })
    .strict()
    .prefault({});
};

/** An autoscaling/v2 metric; its type decides which other field it needs, which the API server checks. */
const hpaMetric = () =>
  withK8sExamples(
    z.object({ type: z.enum(['Resource', 'Pods', 'Object', 'External', 'ContainerResource']).describe('Metric source type.') }).catchall(z.unknown()),
    K8S_EXAMPLES.hpaMetric,
  );

export const autoscalingValues = () => {
  return atLeast(
    z
    .object({
      enabled: z.boolean().default(false).describe('Create a HorizontalPodAutoscaler (autoscaling/v2); replicaCount is then ignored.'),
      minReplicas: z.number().int().min(1).max(100).default(1).describe('Fewest pods.'),
      maxReplicas: z.number().int().min(1).max(100).default(10).describe('Most pods, at least minReplicas; mind the licence activations.'),
      targetCPUUtilizationPercentage: z.number().int().min(1).max(100).default(60).describe('Average CPU utilisation to aim for (when metrics is empty).'),
      targetMemoryUtilizationPercentage: z.number().int().min(1).max(100).default(60).describe('Average memory utilisation to aim for (when metrics is empty).'),
      metrics: z
        .array(hpaMetric())
        .default([])
        .describe('autoscaling/v2 metrics (Resource, Pods, Object, External, ContainerResource) instead of the CPU and memory targets above.'),
      behavior: k8sObject(K8S_EXAMPLES.hpaBehavior).default({}).describe('autoscaling/v2 scaling behavior (scaleUp/scaleDown policies and stabilization windows); empty for the defaults.'),
    })
    .strict(),
    'maxReplicas',
    'minReplicas',
    { minReplicas: 5, maxReplicas: 2 },
  ).prefault({});
};

export const disruptionBudgetValues = () =>
  z
    .object({
      enabled: z.boolean().default(false).describe('Create a PodDisruptionBudget.'),
      maxUnavailable: z.union([z.number().int().min(0), z.string().regex(/^(100|[1-9]?[0-9])%$/)]).default(1).describe('Pods a voluntary disruption may take down at once.'),
    })
    .strict()
    .prefault({});


const passThrough = <S extends z.ZodRawShape>(shape: S) => z.object(shape).catchall(z.unknown());

/** The names the product pod has whatever the values (its features' and its own): extra ones take others. */
export interface ReservedPodNames {
  readonly volumes: readonly string[];
  readonly containers: readonly string[];
}

/** A DNS label that is none of `taken` (names the chart gives in the same pod). */
export const notOneOf = (taken: readonly string[], why: string, name: z.ZodString = dnsLabel()) =>
  taken.length === 0
    ? name
    : rule(name, (n) => !taken.includes(n), {
        message: `${why} (${taken.join(', ')})`,
        jsonSchema: { not: { enum: [...taken] } },
        counterexample: taken[0]!,
      });

/** extraVolumes, extraVolumeMounts and extraInitContainers of the product pod, passed through as given. */
export const extraPodFields = (reserved: ReservedPodNames) => ({
  extraVolumes: uniquelyNamed(z.array(passThrough({ name: notOneOf(reserved.volumes, 'the product pod has a volume of this name') })), [
    { name: 'twice', emptyDir: {} },
    { name: 'twice', emptyDir: {} },
  ])
    .default([])
    .describe(`Extra volumes of the product pod (Kubernetes volume objects), each name once${reserved.volumes.length === 0 ? '' : `, none of ${reserved.volumes.join(', ')}`}.`),
  extraVolumeMounts: z
    .array(passThrough({ name: dnsLabel(), mountPath: z.string().min(1).max(1024).regex(/^\//) }))
    .default([])
    .describe('Extra volume mounts of the product container: each names one of extraVolumes, each at a mountPath of its own.'),
  extraInitContainers: extraContainers(reserved.containers).describe(`Init containers run after the wait for the database (Kubernetes container objects), each name once, none of ${reserved.containers.join(', ')}.`),
});

/** Containers the user adds to the product pod (Kubernetes container objects, passed through): each name once, none of `reserved`, each image pinned. */
export const extraContainers = (reserved: readonly string[]) =>
  uniquelyNamed(z.array(passThrough({ name: notOneOf(reserved, 'the product pod has a container of this name'), image: imageReference() })), [
    { name: 'twice', image: 'busybox:1.36.1' },
    { name: 'twice', image: 'busybox:1.36.1' },
  ]).default([]);

interface ExtraPodRoot {
  extraVolumes: readonly { name: string }[];
  extraVolumeMounts: readonly { name: string; mountPath: string }[];
}

/** The value at `path` of the values (a directory the chart mounts, e.g. storagePath). */
const valueAt = (v: unknown, path: readonly string[]): unknown => path.reduce<unknown>((x, k) => (x as Record<string, unknown> | undefined)?.[k], v);

/**
 * The first extra mount Kubernetes refuses: of a volume extraVolumes lacks, or at a mountPath taken already,
 * by an earlier item or by the chart at a directory a value names (`chartMounts`).
 */
function extraMountProblem(v: ExtraPodRoot, chartMounts: readonly (readonly string[])[]): string | undefined {
  const volumes = new Set(v.extraVolumes.map((x) => x.name));
  const paths = new Map<unknown, string>(chartMounts.map((p) => [valueAt(v, p), `the chart (${p.join('.')})`]));
  for (const [i, m] of v.extraVolumeMounts.entries()) {
    if (!volumes.has(m.name)) return `item ${i}: ${m.name} is not the name of one of extraVolumes`;
    if (paths.has(m.mountPath)) return `item ${i}: ${m.mountPath} is mounted by ${paths.get(m.mountPath)} already`;
    paths.set(m.mountPath, `item ${i}`);
  }
  return undefined;
}

/**
 * The root schema of a product with the rules between its extraVolumes and extraVolumeMounts, in zod and in
 * the chart's template rules (`name`, one per product): every mount names one of extraVolumes, at a path
 * of its own, none of the directories the chart mounts where a value says (`chartMounts`: their paths in
 * the values). The chart's fixed mount paths (/https_cert, ...) are not checked here.
 */
export function withExtraPodRules<T extends z.ZodType<ExtraPodRoot>>(schema: T, name: string, chartMounts: readonly (readonly string[])[]): T {
  const seeds = chartMounts.map((p) => `{{- $_ := set $paths (toString (index $.value ${p.map((k) => JSON.stringify(k)).join(' ')})) "the chart (${p.join('.')})" -}}`);
  return rule(schema, (v) => extraMountProblem(v, chartMounts) === undefined, {
    message: (v) => extraMountProblem(v, chartMounts)!,
    path: ['extraVolumeMounts'],
    counterexample: { extraVolumeMounts: [{ name: 'not-a-volume', mountPath: '/mnt' }] } as never,
    jsonSchema: new TemplateRule(
      name,
      ({ refuse }) => `
{{- $volumes := dict -}}
{{- range $.value.extraVolumes -}}
{{- $_ := set $volumes .name true -}}
{{- end -}}
{{- $paths := dict -}}
${seeds.join('\n')}
{{- range $i, $m := $.value.extraVolumeMounts -}}
{{- if not (hasKey $volumes $m.name) -}}
${refuse('(printf "item %d: %s is not the name of one of extraVolumes" $i $m.name)', '"extraVolumeMounts"')}
{{- end -}}
{{- if hasKey $paths $m.mountPath -}}
${refuse('(printf "item %d: %s is mounted by %s already" $i $m.mountPath (get $paths $m.mountPath))', '"extraVolumeMounts"')}
{{- end -}}
{{- $_ := set $paths $m.mountPath (printf "item %d" $i) -}}
{{- end -}}`,
    ),
  });
}

/** The first sidecar named as one of extraInitContainers: a pod's containers of both kinds share one namespace of names. */
function sharedContainerName(v: { extraInitContainers: readonly { name: string }[]; sidecars: readonly { name: string }[] }): string | undefined {
  const init = new Set(v.extraInitContainers.map((c) => c.name));
  return v.sidecars.find((c) => init.has(c.name))?.name;
}

/** The root schema of a product with sidecars: none named as one of extraInitContainers (checked in zod and by the chart's template rule `name`). */
export function withDistinctContainerNames<T extends z.ZodType<{ extraInitContainers: readonly { name: string }[]; sidecars: readonly { name: string }[] }>>(schema: T, name: string): T {
  return rule(schema, (v) => sharedContainerName(v) === undefined, {
    message: (v) => `${sharedContainerName(v)} names a sidecar and one of extraInitContainers: the pod's containers need names of their own`,
    path: ['sidecars'],
    counterexample: { extraInitContainers: [{ name: 'twice', image: 'busybox:1.36.1' }], sidecars: [{ name: 'twice', image: 'busybox:1.36.1' }] } as never,
    jsonSchema: new TemplateRule(
      name,
      ({ refuse }) => `
{{- $init := dict -}}
{{- range $.value.extraInitContainers -}}
{{- $_ := set $init .name true -}}
{{- end -}}
{{- range $.value.sidecars -}}
{{- if hasKey $init .name -}}
${refuse(`(printf "%s names a sidecar and one of extraInitContainers: the pod's containers need names of their own" .name)`, '"sidecars"')}
{{- end -}}
{{- end -}}`,
    ),
  });
}

export type ExtraPodValues = ValueTree<z.output<z.ZodObject<ReturnType<typeof extraPodFields>>>>;

/** Where a product's values (productFields and its database) reach its pods (see pod-security.ts). */
export const productPodSecurity = [
  podContext(['podSecurityContext']),
  containerContext(['securityContext']),
  volumeList(['extraVolumes']),
  containerList(['extraInitContainers']),
  containerList(['sidecars']),
  ...databasePodSecurity,
];

/**
 * Values every MetaDefender product chart has at its root, besides its own: its ServiceAccount, pod
 * scheduling and security (non-root uid 1000, restricted profile), extra env (none of `secretEnv`, the
 * env its container takes from Secrets), volumes, mounts and init containers (none named as one of
 * `reserved`), autoscaling, disruption
 * budget, the `helm test` image and the vendor-chart compatibility.
 */
export const productFields = (secretEnv: Readonly<Record<string, string>>, reserved: ReservedPodNames) => ({
  serviceAccount: z
    .object({ annotations: extraAnnotations().describe('Annotations of the ServiceAccount (e.g. workload identity).') })
    .strict()
    .prefault({}),
  ...podValues(restrictedPodSecurity(1000), restrictedContainerSecurity(false)),
  extraEnv: extraEnv(secretEnv),
  ...extraPodFields(reserved),
  autoscaling: autoscalingValues(),
  podDisruptionBudget: disruptionBudgetValues(),
  tests: testValues('nc'),
  networkPolicy: productNetworkPolicyValues(),
  podSecurityLevel: podSecurityLevelValue('restricted', 'Every pod of the chart meets restricted as shipped.'),
  compatibility: compatibilityValues(),
});

/** The type and annotations of a Service a chart exposes (e.g. for a cloud load balancer). */
export const serviceTypeFields = () => ({
  type: z.enum(['ClusterIP', 'NodePort', 'LoadBalancer']).default('ClusterIP').describe('Service type.'),
  annotations: extraAnnotations().describe('Annotations of the Service (e.g. for a cloud load balancer).'),
});

/** Session affinity of a product Service: none, or by client IP for a while. */
export const sessionAffinityFields = () => ({
  sessionAffinity: z.enum(['None', 'ClientIP']).default('None').describe('Session affinity of the Service: ClientIP sends a client to the same pod.'),
  sessionAffinityTimeoutSeconds: z.number().int().min(1).max(86400).default(10800).describe('How long a ClientIP affinity lasts, in seconds.'),
});

/** Service spec fields for `sessionAffinityFields` values. */
export function sessionAffinitySpec(render: Render, service: ValueTree<{ sessionAffinity: string; sessionAffinityTimeoutSeconds: number }>) {
  return {
    sessionAffinity: service.sessionAffinity,
    ...render.fieldsIf(render.eq(service.sessionAffinity, 'ClientIP'), { sessionAffinityConfig: { clientIP: { timeoutSeconds: service.sessionAffinityTimeoutSeconds } } }),
  };
}

/** The product's dedicated ServiceAccount; its token is mounted only by pods that call the API. */
export function productServiceAccount(scope: Construct, identity: Identity, base: string, component: string, annotations: ValueOrConstant<Record<string, string>>): Value<string> {
  new KubeObject(scope, 'ServiceAccount', {
    apiVersion: 'v1',
    kind: 'ServiceAccount',
    metadata: identity.meta(base, component, { extraAnnotations: annotations }),
    automountServiceAccountToken: false,
  });
  return identity.name(base);
}

/** A Service port by name, with a fixed node port when one is given and the type has node ports. */
export function servicePort(render: Render, name: string, port: ValueOrConstant<number>, serviceType: ValueOrConstant<string>, nodePort: ValueOrConstant<number>) {
  return {
    name,
    port,
    targetPort: name,
    protocol: 'TCP',
    ...render.fieldsIf(render.and(render.not(render.eq(serviceType, 'ClusterIP')), nodePort), { nodePort }),
  };
}

/** Fields of a licence-deactivation budget: drain, then SIGTERM and time to deactivate. */
export const shutdownFields = (shutdownSeconds: number) => ({
  drainSeconds: z.number().int().min(1).max(300).default(5).describe('preStop sleep: time for the Service to stop sending traffic before SIGTERM.'),
  shutdownSeconds: z
    .number()
    .int()
    .min(10)
    .max(3600)
    .default(shutdownSeconds)
    .describe('Time after SIGTERM for the server to deactivate its licence and stop; with drainSeconds it makes terminationGracePeriodSeconds.'),
});

export interface RestIngressProps {
  readonly identity: Identity;
  readonly component: string;
  /** Product name of the Ingress ("icap-ingress"). */
  readonly name: string;
  /** The Service it routes to, and the name of its REST port. */
  readonly serviceName: ValueOrConstant<string>;
  readonly portName: string;
  readonly values: ValueTree<z.output<ReturnType<typeof ingressValues>>>;
}

/** The optional Ingress to a product's REST port (`ingress.*`). */
export class RestIngress extends Construct {
  constructor(scope: Construct, id: string, props: RestIngressProps) {
    super(scope, id);
    const render = Render.of(this);
    const { identity, values: ingress } = props;
    render.when(ingress.enabled, () => {
      new KubeObject(this, 'Ingress', {
        apiVersion: 'networking.k8s.io/v1',
        kind: 'Ingress',
        metadata: identity.meta(props.name, props.component, { extraAnnotations: ingress.annotations }),
        spec: {
          ...render.fieldsIf(ingress.className, { ingressClassName: ingress.className }),
          rules: [
            {
              ...render.fieldsIf(ingress.host, { host: ingress.host }),
              http: {
                paths: render.each(ingress.paths, (p) => ({
                  path: p.path,
                  pathType: p.pathType,
                  backend: { service: { name: props.serviceName, port: { name: props.portName } } },
                })),
              },
            },
          ],
          ...render.fieldsIf(ingress.tls.secretName, {
            tls: [{ ...render.fieldsIf(ingress.host, { hosts: [ingress.host] }), secretName: ingress.tls.secretName }],
          }),
        },
      });
    });
  }
}

export interface AutoscalerProps {
  readonly identity: Identity;
  readonly component: string;
  /** Product name of the Deployment it scales, and of the HorizontalPodAutoscaler. */
  readonly name: string;
  readonly values: ValueTree<z.output<ReturnType<typeof autoscalingValues>>>;
}

/** The optional HorizontalPodAutoscaler of a product's Deployment (`autoscaling.*`), on CPU and memory. */
export class Autoscaler extends Construct {
  constructor(scope: Construct, id: string, props: AutoscalerProps) {
    super(scope, id);
    const render = Render.of(this);
    const { identity, values: autoscaling } = props;
    render.when(autoscaling.enabled, () => {
      new KubeObject(this, 'Autoscaler', {
        apiVersion: 'autoscaling/v2',
        kind: 'HorizontalPodAutoscaler',
        metadata: identity.meta(props.name, props.component),
        spec: {
          scaleTargetRef: { apiVersion: 'apps/v1', kind: 'Deployment', name: identity.name(props.name) },
          minReplicas: autoscaling.minReplicas,
          maxReplicas: autoscaling.maxReplicas,
          metrics: [
            ...render.itemsIf(render.not(autoscaling.metrics), [
              { type: 'Resource', resource: { name: 'cpu', target: { type: 'Utilization', averageUtilization: autoscaling.targetCPUUtilizationPercentage } } },
              { type: 'Resource', resource: { name: 'memory', target: { type: 'Utilization', averageUtilization: autoscaling.targetMemoryUtilizationPercentage } } },
            ]),
            ...render.itemsOf(autoscaling.metrics),
          ],
          ...render.fieldsIf(autoscaling.behavior, { behavior: autoscaling.behavior }),
        },
      });
    });
  }
}

export interface DisruptionBudgetProps {
  readonly identity: Identity;
  readonly component: string;
  /** Product name of the PodDisruptionBudget. */
  readonly name: string;
  readonly values: ValueTree<z.output<ReturnType<typeof disruptionBudgetValues>>>;
}

/** The optional PodDisruptionBudget of a product's pods, all slots together (`podDisruptionBudget.*`). */
export class DisruptionBudget extends Construct {
  constructor(scope: Construct, id: string, props: DisruptionBudgetProps) {
    super(scope, id);
    const render = Render.of(this);
    const { identity, values: pdb } = props;
    render.when(pdb.enabled, () => {
      new KubeObject(this, 'DisruptionBudget', {
        apiVersion: 'policy/v1',
        kind: 'PodDisruptionBudget',
        metadata: identity.meta(props.name, props.component),
        // All slots: a disruption counts against the product, whichever slot is live.
        spec: { maxUnavailable: pdb.maxUnavailable, selector: { matchLabels: identity.selector(props.component) } },
      });
    });
  }
}

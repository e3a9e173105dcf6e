/**
 * Pod-level pieces every workload shares: security contexts, probes, scheduling, image pull secrets.
 *
 * cdk8s-plus defaults, each decided on purpose here (we build objects directly, so none applies silently):
 * - runAsNonRoot: kept wherever the image allows it (ICAP uid 1000, Core, Postgres uid 999); the SV server
 *   runs as root by the vendor's instructions, which its values say.
 * - readOnlyRootFilesystem: on for helper containers (wait-for-db, tests); off for product containers,
 *   which write under their install directories; a value turns it on.
 * - resource requests/limits: always set, from the vendor's sizing, never cdk8s-plus' generic ones.
 * - startup probe on the first port: not used; the vendor's readiness/liveness timings already allow
 *   for slow starts, and a TCP probe would pass before the app is ready.
 * - imagePullPolicy Always: replaced by IfNotPresent, because tags are full versions (image.digest pins for good).
 * - automountServiceAccountToken false: kept, except where the pod talks to the API (licensing clean-up).
 * - hashed names and the cdk8s.io/metadata.addr selector: replaced by product names and
 *   app.kubernetes.io/* selector labels, which existing runbooks and scripts expect.
 */
import { z } from 'zod';
import { containerSecurityContext, extraAnnotations, extraLabels, K8S_EXAMPLES, k8sObject, nodeSelector, optionalDnsName, ProbeDefaults, probe, toleration } from '../core/schema';
import { Render, ValueOrConstant, ValueTree } from '../core/template';
import { Identity } from './identity';

/** One container env var: a value, or a reference (Secret key, pod field). */
export interface EnvVar {
  readonly name: string;
  readonly value?: ValueOrConstant<string>;
  readonly valueFrom?: object;
}

/** An env var from a key of a Secret. */
export function secretEnv(name: string, secretName: ValueOrConstant<string>, key: string): EnvVar {
  return { name, valueFrom: { secretKeyRef: { name: secretName, key } } };
}

/** An env var from a field of the pod (downward API). */
export function fieldEnv(name: string, fieldPath: string): EnvVar {
  return { name, valueFrom: { fieldRef: { fieldPath } } };
}

export const restrictedPodSecurity = (uid: number, gid = uid) => ({
  runAsNonRoot: true,
  runAsUser: uid,
  runAsGroup: gid,
  fsGroup: gid,
  seccompProfile: { type: 'RuntimeDefault' },
});

export const restrictedContainerSecurity = (readOnlyRootFilesystem: boolean) => ({
  allowPrivilegeEscalation: false,
  capabilities: { drop: ['ALL'] },
  readOnlyRootFilesystem,
  runAsNonRoot: true,
  seccompProfile: { type: 'RuntimeDefault' },
});

/** The restricted container security context of a chart's helper containers, written once (a named template in a Helm chart). */
export function restrictedContainerSecurityContext(render: Render, readOnlyRootFilesystem: boolean) {
  return render.sharedMap(`${render.chart?.name ?? 'chart'}.restrictedSecurityContext`, { readOnlyRootFilesystem }, (p) =>
    restrictedContainerSecurity(p.readOnlyRootFilesystem),
  );
}

/**
 * The image a container runs: `repository:tag`, with `@digest` when one is given. The tag stays for people
 * reading the manifest; the runtime pulls by the digest, which the registry cannot move.
 */
export function imageRef(render: Render, image: { readonly repository: ValueOrConstant<string>; readonly digest: ValueOrConstant<string> }, tag: ValueOrConstant<string>): string {
  return `${image.repository}:${tag}${render.ifElse(image.digest, '@', '')}${image.digest}`;
}

/** Scheduling and pod-level values shared by all product workloads. */
export const podValues = (podSecurityContext: Record<string, unknown>, securityContext: Record<string, unknown>) => ({
  podSecurityContext: k8sObject(K8S_EXAMPLES.podSecurityContext).default(podSecurityContext).describe('Pod security context.'),
  securityContext: containerSecurityContext().default(securityContext).describe('Security context of the main container.'),
  podAnnotations: extraAnnotations().describe('Annotations of the pods.'),
  podLabels: extraLabels().describe('Extra labels of the pods (not used in selectors).'),
  imagePullSecrets: z.array(z.object({ name: z.string().min(1) }).strict()).default([]).describe('Secrets for pulling images from a private registry.'),
  nodeSelector: nodeSelector().describe('Node labels the pods must run on.'),
  tolerations: z.array(toleration()).default([]).describe('Tolerations of the pods.'),
  affinity: k8sObject(K8S_EXAMPLES.affinity).default({}).describe('Affinity rules of the pods.'),
  priorityClassName: optionalDnsName().default('').describe('Priority class of the pods; empty for the cluster default.'),
});

export interface PodValues {
  readonly podSecurityContext: ValueOrConstant<Record<string, unknown>>;
  readonly imagePullSecrets: ValueOrConstant<{ name: string }[]>;
  readonly nodeSelector: ValueOrConstant<Record<string, string>>;
  readonly tolerations: ValueOrConstant<z.output<ReturnType<typeof toleration>>[]>;
  readonly affinity: ValueOrConstant<Record<string, unknown>>;
  readonly priorityClassName: ValueOrConstant<string>;
}

/** Pod spec fields for scheduling, pull secrets and the pod security context. */
export function podSpecFields(identity: Identity, v: PodValues) {
  return { securityContext: identity.securityContextValue(v.podSecurityContext), ...schedulingFields(identity, v) };
}

/**
 * Pod spec fields for scheduling and pull secrets, for pods that set their own security context: the
 * same for every pod of a component, so written once (a named template in a Helm chart).
 */
export function schedulingFields(identity: Identity, v: Omit<PodValues, 'podSecurityContext'>) {
  const render = identity.render;
  return render.sharedMap(`${identity.props.templatePrefix}.scheduling`, {}, () => ({
    ...render.fieldsIf(v.imagePullSecrets, { imagePullSecrets: v.imagePullSecrets }),
    ...render.fieldsIf(v.nodeSelector, { nodeSelector: v.nodeSelector }),
    ...render.fieldsIf(v.tolerations, { tolerations: v.tolerations }),
    ...render.fieldsIf(v.affinity, { affinity: v.affinity }),
    ...render.fieldsIf(v.priorityClassName, { priorityClassName: v.priorityClassName }),
  }));
}

export type ProbeValues = ValueTree<z.output<ReturnType<typeof probe>>>;
export { probe, ProbeDefaults };

/** An HTTP GET probe under `key`, present only when enabled. */
export function httpProbe(
  render: Render,
  key: 'readinessProbe' | 'livenessProbe' | 'startupProbe',
  p: ProbeValues,
  action: { path: string; port: ValueOrConstant<number | string>; scheme: ValueOrConstant<string> },
) {
  return render.fieldsIf(p.enabled, {
    [key]: {
      httpGet: action,
      initialDelaySeconds: p.initialDelaySeconds,
      periodSeconds: p.periodSeconds,
      timeoutSeconds: p.timeoutSeconds,
      failureThreshold: p.failureThreshold,
    },
  });
}

/** A TCP probe under `key`, present only when enabled: for servers without an HTTP health endpoint. */
export function tcpProbe(render: Render, key: 'readinessProbe' | 'livenessProbe' | 'startupProbe', p: ProbeValues, port: number | string) {
  return render.fieldsIf(p.enabled, {
    [key]: {
      tcpSocket: { port },
      initialDelaySeconds: p.initialDelaySeconds,
      periodSeconds: p.periodSeconds,
      timeoutSeconds: p.timeoutSeconds,
      failureThreshold: p.failureThreshold,
    },
  });
}

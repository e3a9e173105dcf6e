/**
 * Workloads of the user's next to the product (the vendor's Cloud SQL proxy case): per item of
 * `extraWorkloads`, a Deployment of the user's image and, when it has a port, a ClusterIP (or other) Service,
 * both named `<namePrefix><name>` as every object of the chart (none of the chart's own names) and labelled app.kubernetes.io/* with component `extra-<name>`
 * (no chart component starts so: a selector never takes the product's pods). Restricted by default: a
 * security context left out is the restricted one, with a numeric non-root uid (65532, distroless'
 * "nonroot") so the kubelet can verify runAsNonRoot whatever the image's USER; what the user gives is held
 * to podSecurityLevel like every other container value.
 *
 * List items get no defaults from Helm (it replaces lists whole), so every optional field is rendered only
 * when given and the restricted contexts are the chart's, not defaults in the values.
 */
import { z } from 'zod';
import { containerSecurityContext, envVar, imageReference, k8sObject, K8S_EXAMPLES, port, uniquelyNamed } from '../../core/schema';
import { KubeObject } from '../../core/kube-object';
import { Value } from '../../core/template';
import { defineFeature, ProductNames } from '../feature';
import { containerContext, podContext, PodSecurityPlace } from '../pod-security';
import { restrictedContainerSecurity, restrictedPodSecurity } from '../pod';
import { vendorContainers } from './sidecars';
import { notOneOf } from '../product';
import { Context, int, isMap, Key, Map, Rule, str, VendorValueError } from '../../convert/engine';

/** The uid and group an extra workload runs as when its podSecurityContext is left out. */
const NONROOT = 65532;

const workload = (taken: readonly string[]) =>
  z
  .object({
    // A DNS-1035 label (a Service name) within 63 characters behind the longest namePrefix (20).
    name: notOneOf(taken, 'the chart has a Deployment or Service of this name', z.string().min(1).max(43).regex(/^[a-z]([-a-z0-9]*[a-z0-9])?$/)).describe('Its name: the Deployment and Service are <namePrefix><name>.'),
    image: imageReference().describe('Image, repository:tag with a full version, optionally @sha256:<digest>.'),
    replicas: z.number().int().min(1).max(100).optional().describe('Pods to run; 1 when left out (remove the item to stop it).'),
    command: z.array(z.string()).optional().describe('Entrypoint; the image\'s when left out.'),
    args: z.array(z.string()).optional().describe('Arguments; the image\'s when left out.'),
    env: z
      .array(envVar())
      .optional()
      .describe('Environment variables (name with value or valueFrom: keep secrets in Secrets, read with secretKeyRef).'),
    port: port().optional().describe('Port the container listens on; with one, a Service of the same name offers it.'),
    protocol: z.enum(['TCP', 'UDP', 'SCTP']).optional().describe('Protocol of the port; TCP when left out.'),
    serviceType: z.enum(['ClusterIP', 'NodePort', 'LoadBalancer']).optional().describe('Type of its Service; ClusterIP when left out.'),
    resources: k8sObject([{}, { requests: { cpu: '50m', memory: '64Mi' }, limits: { memory: '256Mi' } }]).optional().describe('Resource requests and limits.'),
    podSecurityContext: k8sObject(K8S_EXAMPLES.podSecurityContext).optional().describe(`Pod security context; when left out restricted, as uid and group ${NONROOT}.`),
    securityContext: containerSecurityContext().optional().describe('Container security context; when left out restricted with a read-only root file system.'),
  })
  .strict();

const extraWorkloadsValue = (taken: readonly string[]) =>
  uniquelyNamed(z.array(workload(taken)), [
    { name: 'twice', image: 'busybox:1.36.1' },
    { name: 'twice', image: 'busybox:1.36.1' },
  ])
    .default([])
    .describe('Workloads next to the product (e.g. a database proxy): per item a Deployment and, with a port, a Service named <namePrefix><name>; each name once, none of the chart\'s.');

const container = containerContext([]);
const pod = podContext([]);
/** Their security contexts, held to podSecurityLevel where given (left out, they are restricted). */
export const extraWorkloadsPodSecurity: PodSecurityPlace = {
  path: ['extraWorkloads'],
  what: 'extra workloads: each podSecurityContext and securityContext given, as for the product pod',
  require: {
    baseline: { items: { properties: { podSecurityContext: pod.require.baseline, securityContext: container.require.baseline } } },
    restricted: { items: { properties: { podSecurityContext: pod.require.restricted, securityContext: container.require.restricted } } },
  },
  breaks: {
    baseline: [{ name: 'x', image: 'busybox:1.36.1', securityContext: { privileged: true } }],
    restricted: [{ name: 'x', image: 'busybox:1.36.1', securityContext: { allowPrivilegeEscalation: true } }],
  },
};

// ------------------------------------------------------------------------------------------------
// Vendor rules: an extra entry of `<parent>` (core_components.cloud-sql-proxy) becomes an item
// ------------------------------------------------------------------------------------------------

/** The items of a conversion by vendor component, and the components left out (an unpinned image). */
const items = new WeakMap<Context, { byComponent: globalThis.Map<string, Map>; dropped: Set<string> }>();

/** The item of component `c` in the converted values (made on first use), or undefined once left out. */
function itemOf(k: Key, c: string): Map | undefined {
  const state = items.get(k.ctx) ?? { byComponent: new globalThis.Map<string, Map>(), dropped: new Set<string>() };
  items.set(k.ctx, state);
  if (state.dropped.has(c)) return undefined;
  let item = state.byComponent.get(c);
  if (!item) {
    item = { name: c };
    state.byComponent.set(c, item);
    k.ctx.set('extraWorkloads', [...((k.ctx.values.extraWorkloads as Map[] | undefined) ?? []), item]);
  }
  return item;
}

/** Leaves component `c` out of the converted values. */
function drop(k: Key, c: string, item: Map): void {
  items.get(k.ctx)!.dropped.add(c);
  k.ctx.set('extraWorkloads', (k.ctx.values.extraWorkloads as Map[]).filter((i) => i !== item));
}

/** Converts one field of an extra vendor component; `own` are the product's components (their fields need a rule of their own). */
function field(parent: string, own: readonly string[], convert: (k: Key, item: Map, c: string) => void): Rule {
  return (k) => {
    const c = k.path.split('.')[1]!;
    if (own.includes(c)) return k.action(`${k.path.split('.').slice(2).join('.')} of ${c} has no value of ours`);
    // Without an image their chart renders a Deployment the API server refuses: nothing to carry over.
    const image = k.ctx.get(`${parent}.${c}.image`);
    if (typeof image !== 'string' || image === '') return k.action(`${c} has no image (their chart cannot deploy it either): give it one in extraWorkloads (name ${c}) if you need it`);
    const item = itemOf(k, c);
    if (!item) return k.notNeeded(`${c} is left out (see its image)`);
    convert(k, item, c);
  };
}

/** Rules of `<parent>.*.<field>` for the fields the vendor deployments template reads of an extra component. */
function extraComponentRules(parent: string, own: readonly string[]): Record<string, Rule> {
  const f = (name: string, convert: (k: Key, item: Map, c: string) => void): [string, Rule] => [`${parent}.*.${name}`, field(parent, own, convert)];
  const list = (k: Key) => {
    if (!Array.isArray(k.value)) throw new VendorValueError(k.path, 'expected a list');
    return (k.value as unknown[]).map(String);
  };
  return Object.fromEntries([
    f('name', (k, item) => {
      item.name = str(k);
      k.mapped(['extraWorkloads'], k.value, 'ours names it <namePrefix><name>, as the vendor without a prefix');
    }),
    f('image', (k, item, c) => {
      const image = str(k);
      const custom = k.ctx.get(`${parent}.${c}.custom_repo`) === true;
      const repo = k.ctx.get(parent.startsWith('core') ? 'core_docker_repo' : 'icap_docker_repo');
      item.image = custom && typeof repo === 'string' && repo ? `${repo}/${image}` : image;
      // The container's security context is completed as a sidecar's is; an unpinned image drops the item.
      vendorContainers(k, 'extraWorkloads', [{ name: item.name, image: item.image, securityContext: k.ctx.get(`${parent}.${c}.securityContext`) ?? {} }], {
        what: `the extra workload ${c} (a Deployment and a Service; the vendor's also read the product's env ConfigMap, ours does not)`,
        set: ([converted]) => {
          item.securityContext = converted!.securityContext;
        },
      });
      if (item.securityContext === undefined) drop(k, c, item);
    }),
    f('securityContext', (k) => k.mapped(['extraWorkloads'], k.value, 'completed with what restricted requires (see the image of this component)')),
    f('custom_repo', (k) => k.notNeeded('part of the image (see the image of this component)')),
    f('replicas', (k, item) => {
      const n = int(k);
      if (n < 1) return k.action('ours runs at least one pod: leave the component out instead');
      item.replicas = n;
      k.mapped(['extraWorkloads']);
    }),
    f('command', (k, item) => {
      item.command = list(k);
      k.mapped(['extraWorkloads']);
    }),
    f('args', (k, item) => {
      item.args = list(k);
      k.mapped(['extraWorkloads']);
    }),
    f('ports', (k, item) => {
      if (!Array.isArray(k.value)) throw new VendorValueError(k.path, 'expected a list');
      const ports = k.value as Map[];
      if (ports.length === 0) return k.notNeeded('empty: no Service');
      item.port = int({ ...k, path: `${k.path}[0].port`, value: ports[0]!.port });
      if (ports.length > 1) return k.action(`ours offers one port per extra workload (${String(item.port)}): run a workload per port`, { to: ['extraWorkloads'] });
      k.mapped(['extraWorkloads']);
    }),
    f('service_type', (k, item) => {
      item.serviceType = str(k);
      k.mapped(['extraWorkloads']);
    }),
    f('resources', (k, item) => {
      if (!isMap(k.value)) throw new VendorValueError(k.path, 'expected requests and limits');
      item.resources = k.value;
      k.mapped(['extraWorkloads']);
    }),
    f('env', (k) => k.action('set the env of the extra workload in extraWorkloads[].env, secrets read from a Secret with valueFrom.secretKeyRef (never a literal)', { to: ['extraWorkloads'] })),
    f('tls', (k) => (isMap(k.value) && k.value.enabled !== true ? k.notNeeded('TLS off') : k.action('ours mounts no certificates into an extra workload: mount them yourself (a sidecar-free image reading a Secret)'))),
  ]);
}

/** `taken`: the names of the product's Deployments and Services, which an extra workload may not take. */
export const extraWorkloads = (p: ProductNames, ownComponents: readonly string[], taken: readonly string[]) =>
  defineFeature({
    name: 'extra workloads',
    values: { extraWorkloads: extraWorkloadsValue(taken) },
    objects: ({ scope, render, identity, own, values }) => {
      render.eachObject(own.extraWorkloads, (w, id) => {
        const component = `extra-${w.name}`;
        const meta = identity.meta(w.name, component);
        const protocol = render.fieldsIf(w.protocol, { protocol: w.protocol });
        new KubeObject(scope, `ExtraWorkload-${id}`, {
          apiVersion: 'apps/v1',
          kind: 'Deployment',
          metadata: meta,
          spec: {
            ...render.fieldsIf(w.replicas, { replicas: w.replicas }),
            selector: { matchLabels: identity.selector(component) },
            template: {
              metadata: { labels: identity.labels(component) },
              spec: {
                automountServiceAccountToken: false,
                ...render.fieldsIf(w.podSecurityContext, { securityContext: identity.securityContextValue(w.podSecurityContext) }),
                ...render.fieldsIf(render.not(w.podSecurityContext), { securityContext: identity.securityContext(restrictedPodSecurity(NONROOT)) }),
                ...render.fieldsIf(values.imagePullSecrets, { imagePullSecrets: values.imagePullSecrets }),
                containers: [
                  {
                    name: w.name,
                    image: w.image,
                    ...render.fieldsIf(w.command, { command: w.command }),
                    ...render.fieldsIf(w.args, { args: w.args }),
                    ...render.fieldsIf(w.env, { env: w.env }),
                    ...render.fieldsIf(w.port, { ports: [{ containerPort: w.port, ...protocol }] }),
                    ...render.fieldsIf(w.resources, { resources: w.resources }),
                    ...render.fieldsIf(w.securityContext, { securityContext: identity.securityContextValue(w.securityContext) }),
                    ...render.fieldsIf(render.not(w.securityContext), { securityContext: identity.securityContext(restrictedContainerSecurity(true)) }),
                  },
                ],
              },
            },
          },
        });
        render.when(w.port, () => {
          new KubeObject(scope, `ExtraWorkloadService-${id}`, {
            apiVersion: 'v1',
            kind: 'Service',
            metadata: meta,
            spec: {
              type: render.coalesce(w.serviceType as Value<string>, 'ClusterIP'),
              selector: identity.selector(component),
              ports: [{ port: w.port, targetPort: w.port, ...protocol }],
            },
          });
        });
      });
    },
    vendorRules: extraComponentRules(p.vendorKey.slice(0, p.vendorKey.lastIndexOf('.')), ownComponents),
    cases: [
      {
        name: 'a database proxy next to the product, restricted by default',
        values: { extraWorkloads: [{ name: 'cloud-sql-proxy', image: 'gcr.io/cloud-sql-connectors/cloud-sql-proxy:2.14.1', args: ['--address=0.0.0.0', '--port=5432', 'project:region:instance'], port: 5432 }] },
      },
      {
        name: 'two extra workloads: one with its own contexts, env from a Secret and a UDP NodePort; one without a port',
        values: {
          extraWorkloads: [
            {
              name: 'metrics',
              image: 'prom/statsd-exporter:0.28.0',
              replicas: 2,
              command: ['/bin/statsd_exporter'],
              env: [{ name: 'TOKEN', valueFrom: { secretKeyRef: { name: 'metrics', key: 'token' } } }, { name: 'MODE', value: 'relay' }],
              port: 9125,
              protocol: 'UDP',
              serviceType: 'NodePort',
              resources: { requests: { cpu: '50m', memory: '64Mi' }, limits: { memory: '256Mi' } },
              podSecurityContext: { runAsNonRoot: true, runAsUser: 1001, seccompProfile: { type: 'RuntimeDefault' } },
              securityContext: { allowPrivilegeEscalation: false, capabilities: { drop: ['ALL'] }, readOnlyRootFilesystem: true },
            },
            { name: 'worker', image: 'busybox:1.36.1', command: ['sh', '-c', 'sleep infinity'] },
          ],
        },
      },
    ],
  });

/**
 * ONAP's multisite kubeconfig writer: a container that runs once, reads the API address, CA and its
 * ServiceAccount token, and patches a kubeconfig (one cluster and context named after the location, one
 * user) into an existing ConfigMap. It never creates the ConfigMap; the chart ships it empty so Helm owns
 * it and deletes it on uninstall.
 *
 * The token caveat: since Kubernetes 1.21 a pod's token is a bound token. It expires (an hour, or a year
 * where the API server extends automounted tokens) and is invalid as soon as its pod is deleted, so a
 * kubeconfig holding it goes stale; a Job's pod is deleted right after it succeeds. `longLivedToken` (the
 * default) therefore gives the writer the token of a Secret of type kubernetes.io/service-account-token:
 * it lasts until that Secret is deleted (uninstall revokes it) and grants only what its ServiceAccount is
 * granted. Either way the token reaches the writer container alone, through its own volume at the
 * standard path: `automountServiceAccountToken` stays false, so no other container of the pod gets it.
 *
 * The kubeconfig's user is that ServiceAccount, which this construct lets patch the one ConfigMap and
 * nothing else; grant it what the kubeconfig's users need with your own RoleBindings. The kubeconfig is a
 * credential in a ConfigMap (the image's design): whoever may read ConfigMaps there may use it.
 */
import { Construct } from 'constructs';
import { z } from 'zod';
import { KubeObject } from '../core/kube-object';
import { containerSecurityContext, dnsLabel, dnsName, extraAnnotations, image, resources } from '../core/schema';
import { Render, ValueOrConstant, Value, ValueTree } from '../core/template';
import { Identity, MetaOptions } from './identity';
import { imageRef, podSpecFields, PodValues, restrictedContainerSecurity } from './pod';

/** The writer image's tag. */
export const MULTISITE_IMAGE_TAG = '1.0.0';
/** Where consumers mount the kubeconfig ConfigMap by default (ONAP's path). */
export const MULTISITE_MOUNT_PATH = '/opt/onap/kube';
/** Where the writer (the Kubernetes Python client's in-cluster config) reads the token, CA and namespace. */
const TOKEN_DIR = '/var/run/secrets/kubernetes.io/serviceaccount';
const TOKEN_VOLUME = 'multisite-token';
/** The lifetime the API server recognises as an automounted token's, so it treats this one the same. */
const BOUND_TOKEN_SECONDS = 3607;

const kubeconfigName = () => z.string().min(1).max(253).regex(/^[A-Za-z0-9]([-A-Za-z0-9_.]*[A-Za-z0-9])?$/);

/** Values of the kubeconfig writer: its arguments, token, ServiceAccount and container. */
export const multisiteValues = () => {
  const securityContext = { ...restrictedContainerSecurity(true), runAsUser: 1000, runAsGroup: 1000 };
  const d = {
    location: 'central',
    user: 'user00',
    configMap: 'multisite-kubeconfig-configmap',
    key: 'kubeconfig',
    image: { repository: 'onap/org.onap.dcaegen2.deployments.multisite-init-container', tag: MULTISITE_IMAGE_TAG, digest: '', pullPolicy: 'IfNotPresent' as const },
    resources: { requests: { cpu: '50m', memory: '64Mi' }, limits: { cpu: '200m', memory: '128Mi' } },
  };
  return z
    .object({
      namespace: z
        .union([z.literal(''), dnsLabel()])
        .default('')
        .describe('--namespace: namespace of the kubeconfig ConfigMap and of the objects that write and read it; empty for the release namespace.'),
      location: kubeconfigName().default(d.location).describe('--location: the central location, name of the kubeconfig\'s cluster and context (its current-context).'),
      user: kubeconfigName().default(d.user).describe('--user: the user name in the kubeconfig.'),
      configMap: dnsName()
        .default(d.configMap)
        .describe('--configmap: the ConfigMap the chart creates empty (so Helm owns and deletes it) and the writer patches.'),
      key: z
        .string()
        .min(1)
        .max(253)
        .regex(/^[-._a-zA-Z0-9]+$/)
        .default(d.key)
        .describe('--key: key of the kubeconfig in the ConfigMap, its file name where mounted.'),
      longLivedToken: z
        .boolean()
        .default(true)
        .describe(
          'Write the token of Secret multisite-init-token (type kubernetes.io/service-account-token): valid until the Secret is deleted (uninstall revokes it). false writes the pod\'s bound token, which expires and dies with the pod (a Job\'s pod is deleted once it succeeds), so the kubeconfig goes stale.',
        ),
      serviceAccount: z
        .object({
          create: z.boolean().default(true).describe('Create the ServiceAccount; false uses an existing one named `name` (it is bound to the patch Role all the same).'),
          name: dnsName().default('multisite-init').describe('ServiceAccount the writer runs as: the kubeconfig\'s identity.'),
          annotations: extraAnnotations().describe('Annotations of a created ServiceAccount.'),
        })
        .strict()
        .prefault({}),
      image: image(d.image.repository, d.image.tag),
      resources: resources(d.resources.requests, d.resources.limits),
      securityContext: containerSecurityContext()
        .default(securityContext)
        .describe('Security context of the writer container; it sets its own uid so it runs non-root in any pod it is added to.'),
    })
    .strict()
    .prefault({});
};

export type MultisiteValues = ValueTree<z.output<ReturnType<typeof multisiteValues>>>;

/** Values of the writer's standalone Job. */
export const multisiteJobValues = () =>
  z
    .object({
      enabled: z.boolean().default(true).describe('Run the writer as a Job: a Helm post-install/post-upgrade hook, deleted once it succeeds.'),
      hookWeight: z.number().int().min(-100).max(100).default(0).describe('helm.sh/hook-weight of the Job among the release\'s other hooks.'),
      backoffLimit: z.number().int().min(0).max(20).default(6).describe('Retries of the Job (e.g. while its RoleBinding or token is not there yet).'),
      activeDeadlineSeconds: z.number().int().min(30).max(3600).default(300).describe('Seconds after which the Job fails (and Helm with it).'),
    })
    .strict()
    .prefault({});

export type MultisiteJobValues = ValueTree<z.output<ReturnType<typeof multisiteJobValues>>>;

export interface MultisiteKubeconfigProps {
  readonly identity: Identity;
  readonly values: MultisiteValues;
  /** `app.kubernetes.io/component` of the objects. @default "multisite-init" */
  readonly component?: string;
}

/** A pod spec the writer can be added to. */
export interface PodSpecLike {
  readonly initContainers?: unknown[];
  readonly volumes?: unknown[];
  readonly [field: string]: unknown;
}

export interface MultisiteJobProps {
  readonly job: MultisiteJobValues;
  /** Scheduling, pull secrets and pod security context of the Job's pod. */
  readonly pod: PodValues;
  /** Extra labels of the Job's pod (never in selectors). @default {} */
  readonly podLabels?: ValueOrConstant<Record<string, string>>;
  /** Annotations of the Job's pod. @default {} */
  readonly podAnnotations?: ValueOrConstant<Record<string, string>>;
}

/** Where the kubeconfig is: the ConfigMap, its namespace and the key. */
export interface KubeconfigLocation {
  readonly namespace: Value<string>;
  readonly configMapName: Value<string>;
  readonly key: Value<string>;
}

export interface KubeconfigMountOptions {
  /** Directory the ConfigMap is mounted at; the kubeconfig is `<mountPath>/<key>`. @default MULTISITE_MOUNT_PATH */
  readonly mountPath?: ValueOrConstant<string>;
  /** Name of the pod volume. @default "multisite-kubeconfig" */
  readonly volumeName?: string;
}

/**
 * The kubeconfig ConfigMap (empty), the writer's ServiceAccount, a Role that may only `patch` that one
 * ConfigMap (the writer's only API call) with its RoleBinding, and with `longLivedToken` the token Secret.
 * Run the writer with `addTo(podSpec)` (an init container of any workload), `initContainer()` and
 * `volumes()` (the same, piecewise), or `addJob()` (a standalone Job); mount the result read-only with
 * `mount()`. Everything lives in one namespace (`namespace`, by default the release's): consumers must too.
 */
export class MultisiteKubeconfig extends Construct {
  /**
   * Where the kubeconfig is, without creating anything: for code that only reads it, e.g. a `helm test`
   * pod or a consumer built in another construct tree from the same values.
   */
  public static locate(render: Render, identity: Identity, values: Pick<MultisiteValues, 'namespace' | 'configMap' | 'key'>): KubeconfigLocation {
    return {
      namespace: render.coalesce(values.namespace, render.release.namespace),
      configMapName: identity.name(values.configMap),
      key: values.key,
    };
  }

  /** The ConfigMap holding the kubeconfig. */
  public readonly configMapName: Value<string>;
  /** Its key: the kubeconfig's file name where mounted. */
  public readonly key: Value<string>;
  /** Namespace of the ConfigMap and of every object here. */
  public readonly namespace: Value<string>;
  /** The ServiceAccount the writer runs as (created here, or the user's). */
  public readonly serviceAccountName: Value<string>;
  private readonly values: MultisiteValues;
  private readonly identity: Identity;
  private readonly component: string;
  private readonly tokenSecretName: Value<string>;

  constructor(scope: Construct, id: string, props: MultisiteKubeconfigProps) {
    super(scope, id);
    const render = Render.of(this);
    const { identity, values: v } = props;
    this.values = v;
    this.identity = identity;
    this.component = props.component ?? 'multisite-init';
    const location = MultisiteKubeconfig.locate(render, identity, v);
    this.key = location.key;
    this.namespace = location.namespace;
    this.configMapName = location.configMapName;
    this.serviceAccountName = render.sharedText(`${identity.props.templatePrefix}.writerServiceAccount`, {}, () =>
      render.ifElse(v.serviceAccount.create, identity.name(v.serviceAccount.name), v.serviceAccount.name),
    );
    this.tokenSecretName = identity.name('multisite-init-token');
    const meta = (base: ValueOrConstant<string>, opts: MetaOptions = {}) => identity.meta(base, this.component, { ...opts, namespace: this.namespace });

    // No data: the writer patches it in, and Helm's three-way merge leaves a key it never rendered alone.
    new KubeObject(this, 'ConfigMap', { apiVersion: 'v1', kind: 'ConfigMap', metadata: meta(v.configMap) });
    render.when(v.serviceAccount.create, () => {
      new KubeObject(this, 'ServiceAccount', {
        apiVersion: 'v1',
        kind: 'ServiceAccount',
        metadata: meta(v.serviceAccount.name, { extraAnnotations: v.serviceAccount.annotations }),
        automountServiceAccountToken: false,
      });
    });
    new KubeObject(this, 'Role', {
      apiVersion: 'rbac.authorization.k8s.io/v1',
      kind: 'Role',
      metadata: meta('multisite-init'),
      // The writer only calls patch_namespaced_config_map: no get, no create, one name.
      rules: [{ apiGroups: [''], resources: ['configmaps'], resourceNames: [this.configMapName], verbs: ['patch'] }],
    });
    new KubeObject(this, 'RoleBinding', {
      apiVersion: 'rbac.authorization.k8s.io/v1',
      kind: 'RoleBinding',
      metadata: meta('multisite-init'),
      roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'Role', name: identity.name('multisite-init') },
      subjects: [{ kind: 'ServiceAccount', name: this.serviceAccountName, namespace: this.namespace }],
    });
    render.when(v.longLivedToken, () => {
      new KubeObject(this, 'TokenSecret', {
        apiVersion: 'v1',
        kind: 'Secret',
        // The token controller fills in token, ca.crt and namespace: the layout the writer reads.
        metadata: meta('multisite-init-token', { annotations: { 'kubernetes.io/service-account.name': this.serviceAccountName } }),
        type: 'kubernetes.io/service-account-token',
      });
    });
  }

  /** The writer container, with its arguments and its own read-only token mount (a one-item list to spread into containers or initContainers). */
  public initContainer(): Record<string, unknown>[] {
    const v = this.values;
    return Render.of(this).sharedList(`${this.identity.props.templatePrefix}.writerContainer`, {}, () => [
      {
        name: 'multisite-init',
        image: imageRef(Render.of(this), v.image, v.image.tag),
        imagePullPolicy: v.image.pullPolicy,
        args: ['--namespace', this.namespace, '--location', v.location, '--user', v.user, '--configmap', this.configMapName, '--key', v.key],
        resources: v.resources,
        securityContext: this.identity.securityContextValue(v.securityContext),
        volumeMounts: [{ name: TOKEN_VOLUME, mountPath: TOKEN_DIR, readOnly: true }],
      },
    ]);
  }

  /**
   * The volume the writer's token comes from: the long-lived token Secret, or a bound token projected the
   * way automounting would (token, cluster CA, namespace). World-readable inside the writer's container
   * only, so it reads it under whatever uid and fsGroup the host pod has.
   */
  public volumes(): Record<string, unknown>[] {
    const render = Render.of(this);
    const v = this.values;
    return render.sharedList(`${this.identity.props.templatePrefix}.writerVolumes`, {}, () => [
      ...render.itemsIf(v.longLivedToken, [{ name: TOKEN_VOLUME, secret: { secretName: this.tokenSecretName, defaultMode: 0o444 } }]),
      ...render.itemsIf(render.not(v.longLivedToken), [
        {
          name: TOKEN_VOLUME,
          projected: {
            defaultMode: 0o444,
            sources: [
              { serviceAccountToken: { path: 'token', expirationSeconds: BOUND_TOKEN_SECONDS } },
              { configMap: { name: 'kube-root-ca.crt', items: [{ key: 'ca.crt', path: 'ca.crt' }] } },
              { downwardAPI: { items: [{ path: 'namespace', fieldRef: { apiVersion: 'v1', fieldPath: 'metadata.namespace' } }] } },
            ],
          },
        },
      ]),
    ]);
  }

  /**
   * `pod` with the writer as its last init container, its token volume, and the writer's ServiceAccount
   * (which a bound token is issued for). The pod must run in `namespace`.
   */
  public addTo<T extends PodSpecLike>(pod: T): T & { serviceAccountName: Value<string>; initContainers: unknown[]; volumes: unknown[] } {
    return {
      ...pod,
      serviceAccountName: this.serviceAccountName,
      initContainers: [...(pod.initContainers ?? []), ...this.initContainer()],
      volumes: [...(pod.volumes ?? []), ...this.volumes()],
    };
  }

  /** The writer as a standalone Job: a Helm post-install/post-upgrade hook (the same object in raw output). */
  public addJob(id: string, props: MultisiteJobProps): KubeObject {
    const render = Render.of(this);
    const { identity, component } = this;
    const { job } = props;
    return new KubeObject(this, id, {
      apiVersion: 'batch/v1',
      kind: 'Job',
      metadata: identity.meta('multisite-init', component, {
        annotations: {
          // After the install/upgrade has created the ConfigMap, RBAC and token; deleted once it succeeded,
          // kept on failure for its logs until the next attempt replaces it.
          'helm.sh/hook': 'post-install,post-upgrade',
          'helm.sh/hook-weight': render.str(job.hookWeight),
          'helm.sh/hook-delete-policy': 'before-hook-creation,hook-succeeded',
        },
        namespace: this.namespace,
      }),
      spec: {
        backoffLimit: job.backoffLimit,
        activeDeadlineSeconds: job.activeDeadlineSeconds,
        template: {
          metadata: {
            labels: props.podLabels ? identity.labels(component, props.podLabels) : identity.labels(component),
            ...(props.podAnnotations ? render.fieldsIf(props.podAnnotations, { annotations: render.checkAnnotations(props.podAnnotations, 'podAnnotations') }) : {}),
          },
          spec: {
            restartPolicy: 'Never',
            serviceAccountName: this.serviceAccountName,
            automountServiceAccountToken: false,
            ...podSpecFields(identity, props.pod),
            containers: this.initContainer(),
            volumes: this.volumes(),
          },
        },
      },
    });
  }

  /**
   * What a consumer needs to read the kubeconfig: the whole ConfigMap as a read-only volume (the key
   * appears once the writer has run; naming it in `items` would keep the pod from starting before), its
   * mount, and KUBECONFIG pointing at the file. The consumer must run in `namespace`.
   */
  public mount(opts: KubeconfigMountOptions = {}) {
    const mountPath = opts.mountPath ?? MULTISITE_MOUNT_PATH;
    const volumeName = opts.volumeName ?? 'multisite-kubeconfig';
    return {
      volume: { name: volumeName, configMap: { name: this.configMapName } },
      volumeMount: { name: volumeName, mountPath, readOnly: true },
      env: { name: 'KUBECONFIG', value: `${mountPath}/${this.key}` },
    };
  }
}

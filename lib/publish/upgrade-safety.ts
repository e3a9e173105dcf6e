/**
 * Upgrade safety: changes between two renders of a chart (previous published version -> new version, same
 * values) that the Kubernetes API server rejects, or silently ignores, on `helm upgrade`, because the field
 * is immutable once the object exists.
 *
 * Objects are paired by kind, namespace and name: an object whose apiVersion changed is the same object
 * (policy/v1beta1 -> policy/v1), one whose kind or name changed is a delete plus a create (fine). Hooks
 * (helm.sh/hook) are skipped: Helm creates them per hook run, it never patches them.
 *
 * The comparison is between rendered manifests, not live objects, so a few server-side defaults are
 * normalised (e.g. volumeMode Filesystem); spelling out any other default in a previously unset immutable
 * field is reported, which errs on the safe side.
 */
import { parseQuantity } from './quantity';
import {
  apiGroup,
  brief,
  deepEqual,
  describeDifferences,
  describeObject,
  differences,
  isHook,
  joinPath,
  K8sObject,
  objectKey,
} from './objects';

export interface Violation {
  /** "Deployment team/web" */
  object: string;
  kind: string;
  namespace: string;
  name: string;
  /** Dotted path of the immutable field, e.g. "spec.selector". */
  field: string;
  /** Why Kubernetes refuses it, and what changed. */
  message: string;
  old: unknown;
  new: unknown;
}

export interface UpgradeSafetyOptions {
  /** Namespace the chart is rendered into; objects without metadata.namespace live there. */
  releaseNamespace?: string;
}

type Spec = Record<string, unknown>;

function get(o: unknown, ...keys: (string | number)[]): unknown {
  let cur: unknown = o;
  for (const k of keys) {
    if (cur === null || typeof cur !== 'object') return undefined;
    cur = (cur as Record<string | number, unknown>)[k];
  }
  return cur;
}

function specOf(o: K8sObject): Spec {
  const s = o.spec;
  return s !== null && typeof s === 'object' && !Array.isArray(s) ? (s as Spec) : {};
}

const WORKLOAD_GROUPS = new Set(['apps', 'extensions']);

/** PVC spec with server defaults that cannot matter filled in (volumeMode). */
function normalizePvcSpec(spec: unknown): Spec {
  const s: Spec = spec !== null && typeof spec === 'object' && !Array.isArray(spec) ? { ...(spec as Spec) } : {};
  if (s.volumeMode === undefined) s.volumeMode = 'Filesystem';
  return s;
}

/** volumeClaimTemplates with defaults normalised (volumeMode; apiVersion/kind of each template). */
function normalizeClaimTemplates(v: unknown): unknown {
  if (!Array.isArray(v)) return v;
  return v.map((t) => {
    if (t === null || typeof t !== 'object') return t;
    const { apiVersion: _a, kind: _k, status: _s, ...rest } = t as Record<string, unknown>;
    return { ...rest, spec: normalizePvcSpec(rest.spec) };
  });
}

const STATEFULSET_MUTABLE = new Set([
  'replicas',
  'template',
  'updateStrategy',
  'minReadySeconds',
  'ordinals',
  'revisionHistoryLimit',
  'persistentVolumeClaimRetentionPolicy',
]);

const PV_SOURCES = [
  'awsElasticBlockStore', 'azureDisk', 'azureFile', 'cephfs', 'cinder', 'csi', 'fc', 'flexVolume', 'flocker',
  'gcePersistentDisk', 'glusterfs', 'hostPath', 'iscsi', 'local', 'nfs', 'photonPersistentDisk', 'portworxVolume',
  'quobyte', 'rbd', 'scaleIO', 'storageos', 'vsphereVolume',
];

/** Effective requested cluster IP of a Service spec: "None", an address, or undefined (allocated by the server). */
function requestedClusterIP(spec: Spec): string | undefined {
  const ip = spec.clusterIP ?? get(spec, 'clusterIPs', 0);
  return typeof ip === 'string' && ip !== '' ? ip : undefined;
}

/** Pod spec without the fields Kubernetes lets you change on a running Pod. */
function podSpecImmutablePart(spec: Spec): Spec {
  const strip = (containers: unknown): unknown =>
    Array.isArray(containers)
      ? containers.map((c) => (c !== null && typeof c === 'object' ? { ...(c as Spec), image: undefined } : c))
      : containers;
  return {
    ...spec,
    containers: strip(spec.containers),
    initContainers: strip(spec.initContainers),
    activeDeadlineSeconds: undefined,
    tolerations: undefined,
    schedulingGates: undefined,
  };
}

/** Violations for one object present in both renders. */
function checkPair(oldObj: K8sObject, newObj: K8sObject, ns: string): Violation[] {
  const out: Violation[] = [];
  const kind = newObj.kind ?? '';
  const group = apiGroup(newObj.apiVersion);
  const oldGroup = apiGroup(oldObj.apiVersion);
  const sameFamily = (groups: Set<string> | string): boolean => {
    const ok = (g: string): boolean => (typeof groups === 'string' ? g === groups : groups.has(g));
    return ok(group) && ok(oldGroup);
  };
  const add = (field: string, why: string, oldValue: unknown, newValue: unknown, detail = true): void => {
    const diff = detail ? differences(oldValue, newValue, field) : [];
    const what =
      diff.length > 0 && !(diff.length === 1 && diff[0]!.path === field)
        ? describeDifferences(diff)
        : `${brief(oldValue)} -> ${brief(newValue)}`;
    out.push({
      object: describeObject(newObj, ns),
      kind,
      namespace: newObj.metadata?.namespace ?? ns,
      name: newObj.metadata?.name ?? '',
      field,
      message: `${why} (${what})`,
      old: oldValue,
      new: newValue,
    });
  };
  const compare = (field: string, why: string, oldValue: unknown, newValue: unknown): void => {
    if (!deepEqual(oldValue, newValue)) add(field, why, oldValue, newValue);
  };
  const oldSpec = specOf(oldObj);
  const newSpec = specOf(newObj);

  switch (kind) {
    case 'Deployment':
    case 'ReplicaSet':
    case 'DaemonSet':
      if (sameFamily(WORKLOAD_GROUPS)) {
        compare('spec.selector', `${kind} spec.selector is immutable in apps/v1`, oldSpec.selector, newSpec.selector);
      }
      break;

    case 'StatefulSet':
      if (sameFamily(WORKLOAD_GROUPS)) {
        const keys = [...new Set([...Object.keys(oldSpec), ...Object.keys(newSpec)])].filter((k) => !STATEFULSET_MUTABLE.has(k));
        for (const k of keys.sort()) {
          let a = oldSpec[k];
          let b = newSpec[k];
          if (k === 'volumeClaimTemplates') {
            a = normalizeClaimTemplates(a);
            b = normalizeClaimTemplates(b);
          }
          if (k === 'podManagementPolicy') {
            a ??= 'OrderedReady';
            b ??= 'OrderedReady';
          }
          compare(
            joinPath('spec', k),
            `StatefulSet spec.${k} cannot be updated (only replicas, template, updateStrategy, minReadySeconds, ordinals, revisionHistoryLimit and persistentVolumeClaimRetentionPolicy can)`,
            a,
            b,
          );
        }
      }
      break;

    case 'Job':
      if (sameFamily('batch')) {
        compare('spec.selector', 'Job spec.selector is immutable', oldSpec.selector, newSpec.selector);
        compare('spec.manualSelector', 'Job spec.manualSelector is immutable', oldSpec.manualSelector, newSpec.manualSelector);
        compare(
          'spec.template',
          'Job spec.template is immutable (make the Job a Helm hook, or give it a new name per version)',
          oldSpec.template,
          newSpec.template,
        );
        compare('spec.completionMode', 'Job spec.completionMode is immutable', oldSpec.completionMode ?? 'NonIndexed', newSpec.completionMode ?? 'NonIndexed');
        compare('spec.podFailurePolicy', 'Job spec.podFailurePolicy is immutable', oldSpec.podFailurePolicy, newSpec.podFailurePolicy);
        const elastic = newSpec.completionMode === 'Indexed' && newSpec.completions === newSpec.parallelism;
        if (!elastic) {
          compare('spec.completions', 'Job spec.completions is immutable (except for elastic Indexed Jobs)', oldSpec.completions, newSpec.completions);
        }
      }
      break;

    case 'Service':
      if (sameFamily('')) {
        const oldType = (oldSpec.type as string | undefined) ?? 'ClusterIP';
        const newType = (newSpec.type as string | undefined) ?? 'ClusterIP';
        const oldIP = requestedClusterIP(oldSpec);
        const newIP = requestedClusterIP(newSpec);
        if (newType === 'ExternalName') {
          if (newIP !== undefined && newIP !== 'None') {
            add('spec.clusterIP', 'an ExternalName Service may not have a clusterIP', oldIP, newIP, false);
          }
        } else if (oldType !== 'ExternalName') {
          if (oldIP !== undefined && newIP !== undefined && oldIP !== newIP) {
            add('spec.clusterIP', 'Service spec.clusterIP may not change once set', oldIP, newIP, false);
          } else if (oldIP === 'None' && newIP === undefined) {
            add(
              'spec.clusterIP',
              'a headless Service (clusterIP None) cannot become a normal one in place; the live Service keeps None (delete and recreate it)',
              oldIP,
              newIP,
              false,
            );
          } else if (oldIP === undefined && newIP !== undefined) {
            add(
              'spec.clusterIP',
              newIP === 'None'
                ? 'a Service with an allocated clusterIP cannot become headless (clusterIP None) in place'
                : 'Service spec.clusterIP may not change once allocated; setting it is rejected unless it equals the allocated address',
              oldIP,
              newIP,
              false,
            );
          }
          const oldFamily = get(oldSpec, 'ipFamilies', 0);
          const newFamily = get(newSpec, 'ipFamilies', 0);
          if (oldFamily !== undefined && newFamily !== undefined && oldFamily !== newFamily) {
            add('spec.ipFamilies[0]', "a Service's primary IP family cannot change", oldFamily, newFamily, false);
          }
        }
      }
      break;

    case 'PersistentVolumeClaim':
      if (sameFamily('')) {
        const a = normalizePvcSpec(oldSpec);
        const b = normalizePvcSpec(newSpec);
        if (a.storageClassName !== b.storageClassName) {
          add(
            'spec.storageClassName',
            a.storageClassName === undefined
              ? 'PersistentVolumeClaim spec.storageClassName is immutable; the live claim already got the default class, so setting one is rejected unless it is that class'
              : 'PersistentVolumeClaim spec.storageClassName is immutable',
            a.storageClassName,
            b.storageClassName,
            false,
          );
        }
        const oldSize = get(a, 'resources', 'requests', 'storage');
        const newSize = get(b, 'resources', 'requests', 'storage');
        const oldBytes = parseQuantity(oldSize);
        const newBytes = parseQuantity(newSize);
        if (oldBytes !== undefined && newBytes !== undefined && newBytes < oldBytes) {
          add('spec.resources.requests.storage', 'a PersistentVolumeClaim cannot shrink', oldSize, newSize, false);
        }
        const rest = [...new Set([...Object.keys(a), ...Object.keys(b)])].filter(
          (k) => k !== 'storageClassName' && k !== 'resources' && k !== 'volumeAttributesClassName',
        );
        for (const k of rest.sort()) {
          compare(joinPath('spec', k), 'PersistentVolumeClaim spec is immutable after creation except resources.requests', a[k], b[k]);
        }
        compare(
          'spec.resources.limits',
          'PersistentVolumeClaim spec is immutable after creation except resources.requests',
          get(a, 'resources', 'limits'),
          get(b, 'resources', 'limits'),
        );
      }
      break;

    case 'PersistentVolume':
      if (sameFamily('')) {
        const source = (s: Spec): Spec => Object.fromEntries(PV_SOURCES.filter((k) => s[k] !== undefined).map((k) => [k, s[k]]));
        compare('spec (volume source)', 'PersistentVolume spec.persistentVolumeSource is immutable after creation', source(oldSpec), source(newSpec));
        compare('spec.volumeMode', 'PersistentVolume spec.volumeMode is immutable', oldSpec.volumeMode ?? 'Filesystem', newSpec.volumeMode ?? 'Filesystem');
        compare('spec.nodeAffinity', 'PersistentVolume spec.nodeAffinity is immutable', oldSpec.nodeAffinity, newSpec.nodeAffinity);
      }
      break;

    case 'Pod':
      if (sameFamily('')) {
        compare(
          'spec',
          'Pod spec is immutable except container images, activeDeadlineSeconds and tolerations',
          podSpecImmutablePart(oldSpec),
          podSpecImmutablePart(newSpec),
        );
      }
      break;

    case 'Secret':
    case 'ConfigMap':
      if (sameFamily('') && oldObj.immutable === true) {
        if (newObj.immutable !== true) {
          add('immutable', `an immutable ${kind} cannot be made mutable`, oldObj.immutable, newObj.immutable, false);
        }
        for (const k of ['data', 'stringData', 'binaryData']) {
          compare(k, `${kind} is immutable (immutable: true); its ${k} cannot change (give it a new name instead)`, oldObj[k], newObj[k]);
        }
      }
      break;

    case 'RoleBinding':
    case 'ClusterRoleBinding':
      if (sameFamily('rbac.authorization.k8s.io')) {
        compare('roleRef', `${kind} roleRef is immutable (delete and recreate the binding, e.g. under a new name)`, oldObj.roleRef, newObj.roleRef);
      }
      break;

    case 'StorageClass':
      if (sameFamily('storage.k8s.io')) {
        for (const k of ['provisioner', 'parameters', 'reclaimPolicy', 'volumeBindingMode']) {
          let a = oldObj[k];
          let b = newObj[k];
          if (k === 'reclaimPolicy') {
            a ??= 'Delete';
            b ??= 'Delete';
          }
          if (k === 'volumeBindingMode') {
            a ??= 'Immediate';
            b ??= 'Immediate';
          }
          compare(k, `StorageClass ${k} is immutable`, a, b);
        }
      }
      break;

    case 'PriorityClass':
      if (sameFamily('scheduling.k8s.io')) {
        compare('value', 'PriorityClass value is immutable', oldObj.value, newObj.value);
        compare('preemptionPolicy', 'PriorityClass preemptionPolicy is immutable', oldObj.preemptionPolicy ?? 'PreemptLowerPriority', newObj.preemptionPolicy ?? 'PreemptLowerPriority');
      }
      break;

    case 'IngressClass':
      if (sameFamily('networking.k8s.io')) {
        compare('spec.controller', 'IngressClass spec.controller is immutable', oldSpec.controller, newSpec.controller);
      }
      break;

    case 'CustomResourceDefinition':
      if (sameFamily('apiextensions.k8s.io')) {
        compare('spec.scope', 'CustomResourceDefinition spec.scope is immutable', oldSpec.scope, newSpec.scope);
      }
      break;

    default:
      break;
  }
  return out;
}

/**
 * Changes from `oldObjects` (previous release) to `newObjects` (this release), both rendered with the same
 * values, that `helm upgrade` cannot apply. Empty when the upgrade is safe as far as immutable fields go.
 */
export function upgradeSafety(oldObjects: K8sObject[], newObjects: K8sObject[], options: UpgradeSafetyOptions = {}): Violation[] {
  const ns = options.releaseNamespace ?? '';
  const previous = new Map<string, K8sObject>();
  for (const o of oldObjects) if (!isHook(o)) previous.set(objectKey(o, ns), o);
  const out: Violation[] = [];
  for (const o of newObjects) {
    if (isHook(o)) continue;
    const old = previous.get(objectKey(o, ns));
    if (old !== undefined) out.push(...checkPair(old, o, ns));
  }
  return out;
}

/** "Deployment team/web: spec.selector: ..." */
export function formatViolation(v: Violation): string {
  return `${v.object}: ${v.field}: ${v.message}`;
}

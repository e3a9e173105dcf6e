/**
 * What the cluster suite needs to know about a chart beyond what it can discover: prerequisites of an
 * install with default values, the values that switch the optional parts on, the upgrade to test, the
 * Secrets the chart generates, its RBAC promises, its blue-green slots and hot backup (blue-green.test.ts,
 * hooks.test.ts) and its multisite kubeconfig writer (multisite.test.ts).
 *
 * The generic tests run for every chart in charts/ whether or not it has a profile: install with
 * default values (helm 3 and 4), manifest vs cluster, workloads rolled out, pod references resolve,
 * `helm test`, an upgrade with the same values keeps every Secret, restricted Pod Security without
 * warnings. Each part of a profile adds the tests named after it; a chart without one gets only the
 * generic tests (helm-install.test.ts prints which).
 */
import type { Slot } from '../../lib/constructs/strategy';
import { Kube, kubectlOk } from './support';

export interface Can {
  verb: string;
  /** Resource, optionally with a name: "secrets", "secrets/mdicap-licensing". */
  resource: string;
  /** true: in the release namespace (-n); false: cluster-wide (-A, or a cluster-scoped resource). */
  namespaced: boolean;
}

export interface ChartProfile {
  /**
   * Creates what an install with default values needs and does not create itself (a documented
   * prerequisite), so the pods could start on a real kubelet.
   */
  prepareDefaults?(kube: Kube, ns: string): void;
  /**
   * Creates what the raw manifests of this system (dist/<name>.k8s.yaml from apps/stack.ts) expect to
   * exist in their namespace `ns` beforehand, if anything.
   */
  prepareRaw?(kube: Kube, ns: string): void;
  /**
   * When the chart's defaults do not meet the `restricted` Pod Security Standard (a documented choice,
   * e.g. a vendor image that runs as root): the values under which it does, and why the defaults do not.
   * Its defaults must then still meet `baseline`.
   */
  restricted?: { set: string[]; why: string };
  /** Object a missing prerequisite leaves a pod waiting for (checked by the reference test), if any. */
  defaultsNeed?: string;
  optional?: {
    /** `--set` values switching every optional part on. */
    set: string[];
    /** Creates what those parts need from the cluster (e.g. a PersistentVolume for the claim). */
    prepare(kube: Kube, ns: string): void;
    /** Objects ("Kind/name") those values must add to the release. */
    adds: string[];
  };
  upgrade?: {
    /** Values of the first install (several replicas, so the rollout has steps to watch). */
    set: string[];
    replicas: number;
    /** Deployment rolled by the upgrade and its container whose image changes. */
    deployment: string;
    container: string;
    /** `--set` of the upgrade and the image the container must then run. */
    upgradeSet: string[];
    fromImage: string;
    toImage: string;
    /** Secrets whose values the chart generates; an upgrade must keep them byte for byte. */
    generatedSecrets: string[];
  };
  rbac?: {
    serviceAccount: string;
    /** Values of the install the RBAC is checked on. */
    set: string[];
    allowed: Can[];
    denied: Can[];
  };
  /**
   * Blue-green (UpgradableDeployment, `strategy.type=BlueGreen`): installed on top of the default values
   * (after prepareDefaults) with both slots running, the new tag in the green slot.
   */
  blueGreen?: {
    /** Service of the active slot and preview Service of the idle one. */
    service: string;
    previewService: string;
    deployments: Record<Slot, string>;
    /** Container whose image tells the slots apart: the default image, and the new one with `newTag`. */
    container: string;
    fromImage: string;
    newTag: string;
    toImage: string;
    /** HotBackup: values switching it on, its claim, and its pre-upgrade export and post-upgrade import Jobs. */
    hotBackup?: { set: string[]; claim: string; exportJob: string; importJob: string };
  };
  /**
   * MultisiteKubeconfig's writer as a hook Job: its name and the ConfigMap it patches. Its arguments,
   * ServiceAccount and token Secret are read from the rendered Job; the ServiceAccount must be
   * rbac.serviceAccount.
   */
  multisite?: { job: string; configMap: string };
}

/** `kubectl create secret generic <name> --from-literal=value=…` in `ns`: a licence key Secret kept outside the chart. */
const licenseSecret =
  (name: string) =>
  (kube: Kube, ns: string): void => {
    kubectlOk(kube, ['create', 'secret', 'generic', name, '-n', ns, '--from-literal=value=TEST-LICENSE']);
  };

export const profiles: Record<string, ChartProfile> = {
  'md-core': {
    // Like md-icapsrv: without license.key / license.existingSecret the pods wait for mdcore-license-key,
    // and apps/stack.ts names it as existingSecret.
    prepareDefaults: licenseSecret('mdcore-license-key'),
    prepareRaw: licenseSecret('mdcore-license-key'),
    defaultsNeed: 'Secret mdcore-license-key',
    blueGreen: {
      service: 'md-core',
      previewService: 'md-core-preview',
      deployments: { blue: 'md-core-blue', green: 'md-core-green' },
      container: 'md-core',
      fromImage: 'opswat/metadefendercore-debian:5.20.0',
      newTag: '5.21.0',
      toImage: 'opswat/metadefendercore-debian:5.21.0',
      hotBackup: { set: ['hotBackup.enabled=true'], claim: 'md-core-backup', exportJob: 'md-core-config-export', importJob: 'md-core-config-import' },
    },
  },
  'sv-server': {
    restricted: {
      set: ['runAsRoot=false', 'podSecurityLevel=restricted'],
      why: 'runAsRoot: true (default) is the vendor\'s documented setup (values.yaml, README "Security"); runAsRoot=false is the non-root mode for newer images',
    },
  },
  'multisite-init': {
    multisite: { job: 'multisite-init', configMap: 'multisite-kubeconfig-configmap' },
    // The writer calls patch_namespaced_config_map on its one ConfigMap and nothing else (README: "may
    // `patch` that one ConfigMap and nothing else"): not even a get of it, nor its own token Secret.
    rbac: {
      serviceAccount: 'multisite-init',
      set: [],
      allowed: [{ verb: 'patch', resource: 'configmaps/multisite-kubeconfig-configmap', namespaced: true }],
      denied: [
        { verb: 'get', resource: 'configmaps/multisite-kubeconfig-configmap', namespaced: true },
        { verb: 'update', resource: 'configmaps/multisite-kubeconfig-configmap', namespaced: true },
        { verb: 'delete', resource: 'configmaps/multisite-kubeconfig-configmap', namespaced: true },
        { verb: 'patch', resource: 'configmaps/kube-root-ca.crt', namespaced: true },
        { verb: 'patch', resource: 'configmaps/another-configmap', namespaced: true },
        { verb: 'get', resource: 'configmaps/kube-root-ca.crt', namespaced: true },
        { verb: 'update', resource: 'configmaps/kube-root-ca.crt', namespaced: true },
        { verb: 'delete', resource: 'configmaps/kube-root-ca.crt', namespaced: true },
        { verb: 'list', resource: 'configmaps', namespaced: true },
        { verb: 'watch', resource: 'configmaps', namespaced: true },
        { verb: 'create', resource: 'configmaps', namespaced: true },
        { verb: 'get', resource: 'secrets/multisite-init-token', namespaced: true },
        { verb: 'list', resource: 'secrets', namespaced: true },
        { verb: 'list', resource: 'configmaps', namespaced: false },
        { verb: 'patch', resource: 'configmaps', namespaced: false },
        { verb: 'list', resource: 'secrets', namespaced: false },
        { verb: 'get', resource: 'nodes', namespaced: false },
        { verb: 'list', resource: 'namespaces', namespaced: false },
        { verb: 'create', resource: 'pods', namespaced: true },
      ],
    },
  },
  'md-icapsrv': {
    // values.yaml: "Without a key or existingSecret the pods wait for that Secret [mdicapsrv-license-key]";
    // apps/stack.ts: "The licence key lives in a Secret managed outside this repository."
    prepareDefaults: licenseSecret('mdicapsrv-license-key'),
    prepareRaw: licenseSecret('mdicapsrv-license-key'),
    defaultsNeed: 'Secret mdicapsrv-license-key',
    optional: {
      set: [
        'ingress.enabled=true',
        'autoscaling.enabled=true',
        'podDisruptionBudget.enabled=true',
        'license.key=TEST',
        'acceptEula=true',
        'database.inCluster.persistence.enabled=true',
        'persistence.enabled=true',
        'databaseCleanup.enabled=true',
        'databaseCleanup.sql=SELECT 1',
        'olms.enabled=true',
        'olms.hostUrl=olms',
        'olms.restPort=8000',
        'olms.socketPort=3000',
        'olms.token=TEST',
        'proxy.enabled=true',
        'proxy.host=proxy.internal',
        'proxy.username=svc',
        'proxy.password=TEST',
        'ignition.values.db/private_user=usr_icap',
        'service.sessionAffinity=ClientIP',
      ],
      // database.inCluster.persistence and persistence: the claims bind through the cluster's default
      // StorageClass (scripts/cluster/provisioner.ts); nothing to prepare.
      prepare: () => undefined,
      adds: [
        'Ingress/icap-ingress',
        'HorizontalPodAutoscaler/md-icapsrv',
        'PodDisruptionBudget/md-icapsrv',
        'Secret/mdicapsrv-license-key',
        'PersistentVolumeClaim/postgres-mdicapsrv',
        'PersistentVolumeClaim/md-icapsrv-data',
        'CronJob/mdicapsrv-db-cleanup',
        'ConfigMap/mdicapsrv-db-cleanup-sql',
        'Secret/mdicapsrv-settings',
      ],
    },
    upgrade: {
      set: ['replicaCount=3', 'license.key=TEST', 'acceptEula=true'],
      replicas: 3,
      deployment: 'md-icapsrv',
      container: 'md-icapsrv',
      upgradeSet: ['image.tag=5.14.2'],
      fromImage: 'opswat/metadefendericapsrv-debian:5.14.1',
      toImage: 'opswat/metadefendericapsrv-debian:5.14.2',
      generatedSecrets: ['mdicapsrv-cred', 'mdicapsrv-api-key', 'mdicapsrv-postgres-cred'],
    },
    blueGreen: {
      service: 'md-icapsrv',
      previewService: 'md-icapsrv-preview',
      deployments: { blue: 'md-icapsrv-blue', green: 'md-icapsrv-green' },
      container: 'md-icapsrv',
      fromImage: 'opswat/metadefendericapsrv-debian:5.14.1',
      newTag: '5.14.2',
      toImage: 'opswat/metadefendericapsrv-debian:5.14.2',
    },
    rbac: {
      serviceAccount: 'mdicapsrv-service-account',
      set: ['license.key=TEST', 'acceptEula=true'],
      allowed: [
        { verb: 'get', resource: 'secrets/mdicap-licensing', namespaced: true },
        { verb: 'update', resource: 'secrets/mdicap-licensing', namespaced: true },
        { verb: 'patch', resource: 'secrets/mdicap-licensing', namespaced: true },
      ],
      denied: [
        { verb: 'get', resource: 'secrets/mdicapsrv-cred', namespaced: true },
        { verb: 'get', resource: 'secrets/mdicapsrv-api-key', namespaced: true },
        { verb: 'update', resource: 'secrets/mdicapsrv-postgres-cred', namespaced: true },
        { verb: 'delete', resource: 'secrets/mdicap-licensing', namespaced: true },
        { verb: 'list', resource: 'secrets', namespaced: true },
        { verb: 'create', resource: 'secrets', namespaced: true },
        { verb: 'list', resource: 'secrets', namespaced: false },
        { verb: 'get', resource: 'nodes', namespaced: false },
        { verb: 'list', resource: 'namespaces', namespaced: false },
        { verb: 'create', resource: 'pods', namespaced: true },
      ],
    },
  },
};

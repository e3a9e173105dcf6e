/**
 * Hand-written values per chart that switch on each optional part, so every `{{- if }}` branch is
 * rendered both ways at least once (the random cases cover the combinations). The OPSWAT products' feature
 * cases live beside each feature (lib/constructs/features/) and are gathered here.
 */
import { featureCases } from '../lib/constructs/opswat-product';
import { mdCoreSpec } from '../lib/systems/md-core';
import { mdIcapsrvSpec } from '../lib/systems/md-icapsrv';
import type { NamedCase } from '../lib/constructs/feature';

export type { NamedCase };

/** A digest to pin images by in the cases (any sha256 will do: nothing is pulled). */
export const DIGEST = `sha256:${'0123456789abcdef'.repeat(4)}`;
/** NetworkPolicy peers a user adds: a backup tool in the namespace, Prometheus in its own, an address range. */
export const EXTRA_PEERS = [
  { podSelector: { matchLabels: { 'app.kubernetes.io/name': 'pg-backup' } } },
  { namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': 'monitoring' } }, podSelector: { matchExpressions: [{ key: 'app', operator: 'In', values: ['prometheus'] }] } },
  { ipBlock: { cidr: '10.20.0.0/16', except: ['10.20.1.0/24'] } },
];
const RESTRICTED_CONTAINER = { allowPrivilegeEscalation: false, capabilities: { drop: ['ALL'] } };

/** Cases of the posture features (NetworkPolicies, digests, Pod Security levels) every OPSWAT product has. */
const opswatPostureCases = (slotTag: string): NamedCase[] => [
  { name: 'database NetworkPolicy with extra peers', values: { database: { inCluster: { networkPolicy: { from: EXTRA_PEERS } } } } },
  { name: 'database NetworkPolicy off', values: { database: { inCluster: { networkPolicy: { enabled: false } } } } },
  { name: 'product NetworkPolicy, every source on its ports', values: { networkPolicy: { enabled: true } } },
  { name: 'product NetworkPolicy from given peers, blue-green', values: { networkPolicy: { enabled: true, from: EXTRA_PEERS.slice(0, 2) }, strategy: { type: 'BlueGreen' } } },
  {
    name: 'every image pinned by digest, a slot on its own tag',
    values: {
      image: { digest: DIGEST },
      database: { inCluster: { image: { digest: DIGEST } } },
      credentialGenerator: { image: { digest: DIGEST } },
      tests: { image: `busybox:1.36.1@${DIGEST}` },
      extraInitContainers: [{ name: 'pinned', image: `busybox:1.36.1@${DIGEST}`, securityContext: RESTRICTED_CONTAINER }],
      strategy: { type: 'BlueGreen', blueGreen: { green: { imageTag: slotTag, replicas: 1 } } },
    },
  },
  {
    name: 'Pod Security lowered to baseline: capabilities and a root database',
    values: {
      podSecurityLevel: 'baseline',
      securityContext: { capabilities: { drop: ['ALL'], add: ['CHOWN', 'SETUID'] }, allowPrivilegeEscalation: true },
      database: { inCluster: { podSecurityContext: { runAsNonRoot: false, runAsUser: 0 } } },
      extraVolumes: [{ name: 'nfs', nfs: { server: 'nfs.example.com', path: '/exports' } }],
      extraVolumeMounts: [{ name: 'nfs', mountPath: '/nfs' }],
      extraInitContainers: [{ name: 'plain', image: 'busybox:1.36.1' }],
    },
  },
  {
    name: 'Pod Security lowered to privileged: privileged, SYS_ADMIN, hostPath /',
    values: {
      podSecurityLevel: 'privileged',
      securityContext: { privileged: true, allowPrivilegeEscalation: true, capabilities: { add: ['SYS_ADMIN'] } },
      podSecurityContext: { seccompProfile: { type: 'Unconfined' } },
      extraVolumes: [{ name: 'host', hostPath: { path: '/' } }],
      extraVolumeMounts: [{ name: 'host', mountPath: '/host' }],
      extraInitContainers: [{ name: 'debug', image: 'busybox:1.36.1', ports: [{ containerPort: 8080, hostPort: 8080 }], securityContext: { privileged: true } }],
    },
  },
];

export const handCases: Record<string, NamedCase[]> = {
  'md-icapsrv': [
    ...featureCases(mdIcapsrvSpec),
    {
      name: 'ingress with host, TLS, class and annotations',
      values: {
        ingress: {
          enabled: true,
          className: 'nginx',
          host: 'icap.example.com',
          paths: [
            { path: '/', pathType: 'Prefix' },
            { path: '/readyz', pathType: 'Exact' },
          ],
          annotations: { 'nginx.ingress.kubernetes.io/backend-protocol': 'HTTPS' },
          tls: { secretName: 'icap-tls' },
        },
      },
    },
    { name: 'ingress without host', values: { ingress: { enabled: true } } },
    { name: 'nginx without TLS', values: { nginx: { enabled: true } } },
    { name: 'autoscaling', values: { autoscaling: { enabled: true, minReplicas: 2, maxReplicas: 5 } } },
    { name: 'pod disruption budget', values: { podDisruptionBudget: { enabled: true, maxUnavailable: '50%' } } },
    { name: 'external database', values: { database: { host: 'db.example.internal', port: 6432, inCluster: { enabled: false }, waitForReady: false } } },
    { name: 'in-cluster database on a new claim', values: { database: { inCluster: { persistence: { enabled: true, size: '20Gi', storageClass: 'fast' } } } } },
    { name: 'in-cluster database on an existing claim', values: { database: { inCluster: { persistence: { enabled: true, existingClaim: 'pg-data' } } } } },
    { name: 'deactivation sidecar', values: { deactivation: { drainSeconds: 10, shutdownSeconds: 90, sidecar: { enabled: true, image: 'example/deactivate:1.0.0', command: ['/deactivate'] } } } },
    { name: 'NodePort with fixed ports', values: { service: { type: 'NodePort', nodePorts: { rest: 30048, icap: 31344, icaps: 31345 } }, tls: { icaps: { enabled: true } } } },
    { name: 'LoadBalancer with annotations', values: { service: { type: 'LoadBalancer', annotations: { 'service.beta.kubernetes.io/aws-load-balancer-type': 'nlb' }, sessionAffinity: 'ClientIP' } } },
    {
      name: 'every secret from an existing Secret',
      values: {
        credentials: { existingSecret: 'my-cred' },
        apiKey: { existingSecret: 'my-api-key' },
        license: { existingSecret: 'my-license' },
        database: { existingSecret: 'my-db-cred' },
      },
    },
    {
      name: 'every secret given',
      values: {
        credentials: { user: 'root', password: 'p@ss: "word"' },
        apiKey: { value: 'abcdefghijklmnopqrstuvwxyz0123456789' },
        license: { key: 'LICENSE-123' },
        database: { user: 'icap', password: 'x' },
      },
    },
    { name: 'licensing clean-up off', values: { licensing: { cleanup: false } } },
    { name: 'vendor licensing rules', values: { licensing: { vendorRules: true, secretName: 'custom-licensing' } } },
    { name: 'probes off (Recreate)', values: { strategy: { type: 'Recreate' }, readinessProbe: { enabled: false }, livenessProbe: { enabled: false } } },
    { name: 'blue-green, blue live', values: { strategy: { type: 'BlueGreen' } } },
    {
      name: 'blue-green, green live with its own tag, blue scaled to zero',
      values: { strategy: { type: 'BlueGreen', blueGreen: { activeSlot: 'green', blue: { replicas: 0 }, green: { imageTag: '5.15.0', replicas: 2 } } } },
    },
    { name: 'Recreate strategy', values: { strategy: { type: 'Recreate' } } },
    { name: 'rolling update in percent', values: { strategy: { rollingUpdate: { maxSurge: '25%', maxUnavailable: 0 } }, replicaCount: 3 } },
    {
      name: 'prefix, labels, annotations, scheduling and extra env',
      values: {
        namePrefix: 'team-a-',
        commonLabels: { team: 'a', 'example.com/cost-center': '42' },
        commonAnnotations: { 'example.com/owner': 'team a' },
        podLabels: { tier: 'scan' },
        podAnnotations: { 'prometheus.io/scrape': 'true' },
        nodeSelector: { 'kubernetes.io/os': 'linux' },
        tolerations: [{ key: 'dedicated', operator: 'Equal', value: 'icap', effect: 'NoSchedule' }],
        affinity: { nodeAffinity: { requiredDuringSchedulingIgnoredDuringExecution: { nodeSelectorTerms: [{ matchExpressions: [{ key: 'zone', operator: 'In', values: ['a'] }] }] } } },
        priorityClassName: 'high',
        imagePullSecrets: [{ name: 'regcred' }],
        extraEnv: [
          { name: 'HTTP_PROXY', value: 'http://proxy:3128' },
          { name: 'NODE', valueFrom: { fieldRef: { fieldPath: 'spec.nodeName' } } },
        ],
        serviceAccount: { annotations: { 'iam.example.com/role': 'icap' } },
      },
    },
    {
      name: 'image, resources and security contexts',
      values: {
        image: { repository: 'registry.example.com/opswat/icap', tag: '5.14.2', pullPolicy: 'Always' },
        resources: { requests: { cpu: '500m' }, limits: { memory: '8Gi', 'ephemeral-storage': '10Gi' } },
        podSecurityContext: { fsGroupChangePolicy: 'OnRootMismatch' },
        securityContext: { readOnlyRootFilesystem: true },
        replicaCount: 0,
      },
    },
    { name: 'EULA accepted, debug logs', values: { acceptEula: true, logLevel: 'debug', activationServer: 'activation.example.com' } },
    {
      name: 'extra volumes, mounts and init containers',
      values: {
        extraVolumes: [{ name: 'scratch', emptyDir: { sizeLimit: '1Gi' } }, { name: 'rules', configMap: { name: 'icap-rules' } }],
        extraVolumeMounts: [{ name: 'scratch', mountPath: '/scratch' }, { name: 'rules', mountPath: '/rules', readOnly: true }],
        extraInitContainers: [{ name: 'fetch-rules', image: 'busybox:1.36', command: ['sh', '-c', 'true'], securityContext: { allowPrivilegeEscalation: false, capabilities: { drop: ['ALL'] } } }],
      },
    },
    { name: 'extra init container without the database wait', values: { database: { waitForReady: false }, extraInitContainers: [{ name: 'warm-up', image: 'busybox:1.36', securityContext: { allowPrivilegeEscalation: false, capabilities: { drop: ['ALL'] } } }] } },
    { name: 'ClientIP session affinity with a timeout', values: { service: { sessionAffinity: 'ClientIP', sessionAffinityTimeoutSeconds: 600 } } },
    {
      name: 'autoscaling on custom metrics with behavior',
      values: {
        autoscaling: {
          enabled: true,
          maxReplicas: 4,
          metrics: [{ type: 'Pods', pods: { metric: { name: 'icap_requests' }, target: { type: 'AverageValue', averageValue: '100' } } }],
          behavior: { scaleDown: { stabilizationWindowSeconds: 300, policies: [{ type: 'Percent', value: 100, periodSeconds: 15 }] } },
        },
      },
    },
    { name: 'vendor selectors and database layout (migrated release)', values: { compatibility: { vendorSelectors: true, vendorDatabaseLayout: true }, database: { inCluster: { persistence: { enabled: true, existingClaim: 'pg-data' } } } } },
    { name: 'vendor selectors with blue-green', values: { compatibility: { vendorSelectors: true }, strategy: { type: 'BlueGreen' } } },
    ...opswatPostureCases('5.15.0'),
    {
      name: 'database NetworkPolicy admits the clean-up CronJob, vendor selectors',
      values: { databaseCleanup: { enabled: true, sql: 'SELECT 1;' }, compatibility: { vendorSelectors: true }, database: { inCluster: { networkPolicy: { from: EXTRA_PEERS.slice(2) } } } },
    },
  ],
  'md-core': [
    ...featureCases(mdCoreSpec),
    { name: 'rolling update with surge', values: { replicaCount: 3, strategy: { rollingUpdate: { maxSurge: 1, maxUnavailable: 0 } } } },
    { name: 'recreate', values: { strategy: { type: 'Recreate' } } },
    { name: 'database upgrade', values: { upgrade: { upgradeDb: true, fromDbName: 'metadefender_core', retryUpgrade: 5 } } },
    { name: 'history migration (recreate, no liveness probe)', values: { strategy: { type: 'Recreate' }, upgrade: { upgradeDb: true, migrateHistory: true } } },
    { name: 'blue-green, blue live', values: { strategy: { type: 'BlueGreen' } } },
    {
      name: 'blue-green switched to green, blue idle at zero',
      values: { strategy: { type: 'BlueGreen', blueGreen: { activeSlot: 'green', blue: { imageTag: '5.19.0', replicas: 0 }, green: { imageTag: '5.20.0', replicas: 2 } } } },
    },
    { name: 'ingress', values: { ingress: { enabled: true, host: 'core.example.com', tls: { secretName: 'core-tls' } } } },
    { name: 'autoscaling and disruption budget', values: { autoscaling: { enabled: true, maxReplicas: 3 }, podDisruptionBudget: { enabled: true } } },
    { name: 'external database from an existing Secret', values: { database: { host: 'pg.example.internal', existingSecret: 'core-db', inCluster: { enabled: false } } } },
    { name: 'in-cluster database without a claim', values: { database: { inCluster: { persistence: { enabled: false } } } } },
    { name: 'NodePort', values: { service: { type: 'NodePort', nodePort: 30808 } } },
    { name: 'existing secrets and given licence', values: { credentials: { existingSecret: 'c' }, apiKey: { existingSecret: 'k' }, license: { key: 'KEY' } } },
    { name: 'licensing clean-up off', values: { licensing: { cleanup: false } } },
    ...opswatPostureCases('5.21.0'),
    {
      name: 'database NetworkPolicy with hot backup between slots',
      values: { strategy: { type: 'BlueGreen', blueGreen: { green: { replicas: 1, imageTag: '5.21.0' } } }, hotBackup: { enabled: true, image: `curlimages/curl:8.11.1@${DIGEST}` }, networkPolicy: { enabled: true } },
    },
    { name: 'prefix and scheduling', values: { namePrefix: 'eu-', nodeSelector: { pool: 'scan' }, tolerations: [{ key: 'scan', operator: 'Exists' }], extraEnv: [{ name: 'X', value: '1' }] } },
    { name: 'licence comment', values: { licenseComment: 'core eu-1' } },
    { name: 'HPA with behavior, ClientIP affinity and service annotations', values: { autoscaling: { enabled: true, behavior: { scaleUp: { stabilizationWindowSeconds: 60 } } }, service: { sessionAffinity: 'ClientIP', annotations: { 'example.com/lb': 'internal' } } } },
    {
      name: 'extra volumes, mounts and init containers',
      values: { extraVolumes: [{ name: 'cache', emptyDir: {} }], extraVolumeMounts: [{ name: 'cache', mountPath: '/cache' }], extraInitContainers: [{ name: 'prepare', image: 'busybox:1.36', securityContext: { allowPrivilegeEscalation: false, capabilities: { drop: ['ALL'] } } }] },
    },
    {
      name: 'vendor selectors and database layout on the vendor claim',
      values: { compatibility: { vendorSelectors: true, vendorDatabaseLayout: true }, database: { inCluster: { persistence: { existingClaim: 'postgres-core' } } }, podLabels: { 'aws-type': 'fargate' } },
    },
  ],
  'sv-server': [
    { name: 'external Postgres on another port', values: { database: { inCluster: { enabled: false }, host: 'pg.example.internal', port: 6432, name: 'sv_db', user: 'sv' } } },
    {
      name: 'external Oracle from an existing Secret, no wait',
      values: { database: { type: 'oracle', inCluster: { enabled: false }, host: 'oracledb-service', port: 1521, name: 'XEPDB1', existingSecret: 'sv-oracle', waitForReady: false } },
    },
    { name: 'in-cluster database on an existing claim', values: { database: { inCluster: { persistence: { existingClaim: 'sv-pg-data' } } } } },
    { name: 'in-cluster database without a claim, given password', values: { database: { password: 's3cret: "x"', inCluster: { persistence: { enabled: false } } } } },
    { name: 'work and logs on new claims with a storage class', values: { persistence: { work: { size: '50Gi', storageClass: 'fast' }, logs: { size: '1Gi', storageClass: 'slow' } } } },
    { name: 'work and logs on existing claims', values: { persistence: { work: { existingClaim: 'sv-work' }, logs: { existingClaim: 'sv-logs' } } } },
    { name: 'work and logs without claims', values: { persistence: { work: { enabled: false }, logs: { enabled: false } } } },
    { name: 'non-root image with extra security fields', values: { runAsRoot: false, podSecurityContext: { fsGroupChangePolicy: 'OnRootMismatch' }, securityContext: { readOnlyRootFilesystem: false } } },
    { name: 'lifecycle timings', values: { lifecycle: { lockWaitSeconds: 0, stopTimeoutSeconds: 300, graceMarginSeconds: 5 } } },
    { name: 'NodePort with a node port base', values: { service: { type: 'NodePort', nodePortBase: 30085 } } },
    { name: 'NodePort with ports chosen by Kubernetes', values: { service: { type: 'NodePort' } } },
    { name: 'LoadBalancer with annotations and a port base', values: { service: { type: 'LoadBalancer', annotations: { 'service.beta.kubernetes.io/aws-load-balancer-type': 'nlb' }, nodePortBase: 32757 } } },
    { name: 'credentials given, host name set', values: { hostname: 'sv.example.com', credentials: { user: 'svadmin', password: 'p@ss word' } } },
    { name: 'credentials from an existing Secret', values: { credentials: { existingSecret: 'sv-admin' } } },
    { name: 'probes off', values: { startupProbe: { enabled: false }, readinessProbe: { enabled: false }, livenessProbe: { enabled: false } } },
    {
      name: 'prefix, labels, scheduling, pull secrets and extra env',
      values: {
        namePrefix: 'qa-',
        commonLabels: { team: 'qa' },
        commonAnnotations: { 'example.com/owner': 'qa team' },
        podLabels: { tier: 'sv' },
        podAnnotations: { 'prometheus.io/scrape': 'false' },
        nodeSelector: { 'kubernetes.io/os': 'linux' },
        tolerations: [{ key: 'sv', operator: 'Exists', effect: 'NoSchedule' }],
        affinity: { podAntiAffinity: { preferredDuringSchedulingIgnoredDuringExecution: [] } },
        priorityClassName: 'low',
        imagePullSecrets: [{ name: 'regcred' }],
        extraEnv: [{ name: 'SV_DB_DATASOURCE', value: ';Host=custom;Database=x;' }, { name: 'NODE', valueFrom: { fieldRef: { fieldPath: 'spec.nodeName' } } }],
        serviceAccount: { annotations: { 'iam.example.com/role': 'sv' } },
      },
    },
    { name: 'image and resources', values: { image: { repository: 'registry.example.com/virtualization/sv-server', tag: '24.2', pullPolicy: 'Always' }, resources: { limits: { memory: '8Gi' } } } },
    { name: 'restricted Pod Security with the non-root image', values: { podSecurityLevel: 'restricted', runAsRoot: false } },
    { name: 'Pod Security lowered to privileged', values: { podSecurityLevel: 'privileged', securityContext: { privileged: true, allowPrivilegeEscalation: true }, podSecurityContext: { seccompProfile: { type: 'Unconfined' } } } },
    {
      name: 'NetworkPolicies with peers, images pinned by digest',
      values: {
        networkPolicy: { enabled: true, from: EXTRA_PEERS },
        database: { inCluster: { networkPolicy: { from: EXTRA_PEERS.slice(0, 1) }, image: { digest: DIGEST } } },
        image: { digest: DIGEST },
        credentialGenerator: { image: { digest: DIGEST } },
        tests: { image: `busybox:1.36.1@${DIGEST}` },
      },
    },
    { name: 'database NetworkPolicy off', values: { database: { inCluster: { networkPolicy: { enabled: false } } } } },
  ],
  'multisite-init': [
    { name: 'custom arguments', values: { multisite: { location: 'edge-1', user: 'user01', configMap: 'kubeconfigs', key: 'central.yaml' } } },
    { name: 'another namespace', values: { multisite: { namespace: 'onap' }, consumer: { enabled: true } } },
    { name: 'bound pod token', values: { multisite: { longLivedToken: false } } },
    { name: 'existing ServiceAccount', values: { multisite: { serviceAccount: { create: false, name: 'cloudify-manager' } } } },
    { name: 'ServiceAccount annotations, image, resources, security', values: { multisite: { serviceAccount: { annotations: { 'iam.example.com/role': 'x' } }, image: { tag: '1.0.1', pullPolicy: 'Always' }, resources: { requests: { cpu: '100m' } }, securityContext: { runAsUser: 2000 } } } },
    { name: 'Job timings and hook weight', values: { job: { hookWeight: -5, backoffLimit: 0, activeDeadlineSeconds: 60 } } },
    { name: 'no Job: the consumer writes it as an init container', values: { job: { enabled: false }, consumer: { enabled: true, runWriter: true, mountPath: '/etc/kube' } } },
    { name: 'consumer with the init container and a bound token', values: { multisite: { longLivedToken: false }, consumer: { enabled: true, runWriter: true } } },
    { name: 'consumer reading what the Job wrote', values: { consumer: { enabled: true, image: 'registry.example.com/busybox:1.37', resources: { limits: { cpu: '50m' } } } } },
    {
      name: 'prefix, labels, scheduling and pod settings',
      values: {
        namePrefix: 'site-a-',
        commonLabels: { site: 'a' },
        commonAnnotations: { 'example.com/owner': 'onap' },
        podLabels: { tier: 'init' },
        podAnnotations: { 'sidecar.istio.io/inject': 'false' },
        nodeSelector: { 'kubernetes.io/os': 'linux' },
        tolerations: [{ key: 'onap', operator: 'Exists' }],
        priorityClassName: 'high',
        imagePullSecrets: [{ name: 'nexus' }],
        podSecurityContext: { runAsUser: 1001, fsGroup: 1001 },
        securityContext: { readOnlyRootFilesystem: true },
        consumer: { enabled: true, runWriter: true },
      },
    },
    {
      name: 'images pinned by digest, Pod Security lowered to privileged',
      values: {
        multisite: { image: { digest: DIGEST }, securityContext: { privileged: true, allowPrivilegeEscalation: true } },
        consumer: { enabled: true, image: `busybox:1.36.1@${DIGEST}` },
        tests: { image: `busybox:1.36.1@${DIGEST}` },
        podSecurityLevel: 'privileged',
        podSecurityContext: { seccompProfile: { type: 'Unconfined' } },
      },
    },
  ],
};

/** `global.compatibility.openshift.adaptSecurityContext` set to `mode`. */
export const adaptSecurityContext = (mode: 'auto' | 'force' | 'disabled') => ({ global: { compatibility: { openshift: { adaptSecurityContext: mode } } } });

/** Parts of each chart with pods of their own, to see every security context adapted (or not) at once. */
const everyPod: Record<string, Record<string, unknown>> = {
  'md-icapsrv': {
    databaseCleanup: { enabled: true, sql: 'DELETE FROM instances' },
    deactivation: { sidecar: { enabled: true, image: 'example/deactivate:1.0' } },
    podSecurityContext: { runAsNonRoot: true, runAsUser: 1000, fsGroup: 1000, supplementalGroups: [5000], seccompProfile: { type: 'RuntimeDefault' } },
    securityContext: { ...RESTRICTED_CONTAINER, runAsUser: 1000 },
  },
  'md-core': {
    strategy: { type: 'BlueGreen', blueGreen: { green: { replicas: 1, imageTag: '5.21.0' } } },
    hotBackup: { enabled: true },
    database: { inCluster: { securityContext: { ...RESTRICTED_CONTAINER, runAsUser: 999, runAsGroup: 999 } } },
  },
  'sv-server': { runAsRoot: false, podSecurityLevel: 'restricted', podSecurityContext: { supplementalGroups: [5000] } },
  'multisite-init': { consumer: { enabled: true, runWriter: true }, multisite: { securityContext: { ...RESTRICTED_CONTAINER, runAsUser: 2000 } } },
};

/**
 * Values rendered for a cluster that serves security.openshift.io/v1 (`helm template --api-versions`, raw
 * synthesis's apiVersions), besides the defaults: adaptation on (auto) with every pod, and turned off.
 */
export const openshiftCases: Record<string, NamedCase[]> = Object.fromEntries(
  Object.entries(everyPod).map(([name, values]) => [
    name,
    [
      { name: 'every pod, adapted (auto)', values },
      { name: 'every pod, adaptation disabled', values: { ...values, ...adaptSecurityContext('disabled') } },
    ],
  ]),
);

// Off OpenShift: adaptation forced, and auto (which then adapts nothing).
for (const [name, values] of Object.entries(everyPod)) {
  handCases[name]!.push(
    { name: 'every pod, OpenShift adaptation forced', values: { ...values, ...adaptSecurityContext('force') } },
    { name: 'every pod, OpenShift adaptation auto off OpenShift', values },
  );
}

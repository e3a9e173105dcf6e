/**
 * Hand-written values per chart that switch on each optional part, so every `{{- if }}` branch is
 * rendered both ways at least once (the random cases cover the combinations).
 */
export interface NamedCase {
  readonly name: string;
  readonly values: Record<string, unknown>;
}

export const handCases: Record<string, NamedCase[]> = {
  'md-icapsrv': [
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
    { name: 'REST over TLS (probes switch to HTTPS)', values: { tls: { https: { enabled: true, protocols: ['TLSv1.3', 'TLSv1.2'] } } } },
    { name: 'ICAPS endpoint', values: { tls: { icaps: { enabled: true }, fileMode: 0o400 } } },
    { name: 'nginx with TLS', values: { nginx: { enabled: true }, tls: { nginxs: { enabled: true } } } },
    { name: 'nginx without TLS', values: { nginx: { enabled: true } } },
    { name: 'autoscaling', values: { autoscaling: { enabled: true, minReplicas: 2, maxReplicas: 5 } } },
    { name: 'pod disruption budget', values: { podDisruptionBudget: { enabled: true, maxUnavailable: '50%' } } },
    { name: 'external database', values: { database: { host: 'db.example.internal', port: 6432, inCluster: { enabled: false }, waitForReady: false } } },
    { name: 'in-cluster database on a new claim', values: { database: { inCluster: { persistence: { enabled: true, size: '20Gi', storageClass: 'fast' } } } } },
    { name: 'in-cluster database on an existing claim', values: { database: { inCluster: { persistence: { enabled: true, existingClaim: 'pg-data' } } } } },
    { name: 'deactivation sidecar', values: { deactivation: { drainSeconds: 10, shutdownSeconds: 90, sidecar: { enabled: true, image: 'example/deactivate:1', command: ['/deactivate'] } } } },
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
  ],
  'md-core': [
    { name: 'rolling update with surge', values: { replicaCount: 3, strategy: { rollingUpdate: { maxSurge: 1, maxUnavailable: 0 } } } },
    { name: 'recreate', values: { strategy: { type: 'Recreate' } } },
    { name: 'database upgrade', values: { upgrade: { upgradeDb: true, fromDbName: 'metadefender_core', retryUpgrade: 5 } } },
    { name: 'history migration (recreate, no liveness probe)', values: { strategy: { type: 'Recreate' }, upgrade: { upgradeDb: true, migrateHistory: true } } },
    { name: 'blue-green, blue live', values: { strategy: { type: 'BlueGreen' } } },
    {
      name: 'blue-green switched to green, blue idle at zero',
      values: { strategy: { type: 'BlueGreen', blueGreen: { activeSlot: 'green', blue: { imageTag: '5.19.0', replicas: 0 }, green: { imageTag: '5.20.0', replicas: 2 } } } },
    },
    {
      name: 'blue-green with hot backup',
      values: { strategy: { type: 'BlueGreen', blueGreen: { green: { replicas: 1, imageTag: '5.21.0' } } }, hotBackup: { enabled: true, storage: { size: '2Gi', storageClass: 'fast' }, waitSeconds: 900 } },
    },
    { name: 'REST over TLS', values: { tls: { https: { enabled: true } } } },
    { name: 'ingress', values: { ingress: { enabled: true, host: 'core.example.com', tls: { secretName: 'core-tls' } } } },
    { name: 'autoscaling and disruption budget', values: { autoscaling: { enabled: true, maxReplicas: 3 }, podDisruptionBudget: { enabled: true } } },
    { name: 'external database from an existing Secret', values: { database: { host: 'pg.example.internal', existingSecret: 'core-db', inCluster: { enabled: false } } } },
    { name: 'in-cluster database without a claim', values: { database: { inCluster: { persistence: { enabled: false } } } } },
    { name: 'NodePort', values: { service: { type: 'NodePort', nodePort: 30808 } } },
    { name: 'existing secrets and given licence', values: { credentials: { existingSecret: 'c' }, apiKey: { existingSecret: 'k' }, license: { key: 'KEY' } } },
    { name: 'licensing clean-up off', values: { licensing: { cleanup: false } } },
    { name: 'prefix and scheduling', values: { namePrefix: 'eu-', nodeSelector: { pool: 'scan' }, tolerations: [{ key: 'scan', operator: 'Exists' }], extraEnv: [{ name: 'X', value: '1' }] } },
  ],
};

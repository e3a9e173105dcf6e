/**
 * The baseline: what one md-icapsrv instance renders with its defaults, written as a plain cdk8s app
 * with cdk8s-plus-28, the way a team without this library would. The same 16 objects (4 Secrets, the
 * credential generator's ServiceAccount, Role, RoleBinding and Job, 2 Deployments, 2 Services, the
 * ServiceAccount, Role and RoleBinding for licensing, a ConfigMap) with the same names, labels,
 * annotations, images, ports, probes, env, resources and security contexts. cdk8s-plus adds a few things
 * of its own (a selector label, `immutable: false`, pod defaults; its startup probes are switched off
 * here), so the bytes are close, not identical: `npm run bench` prints both sizes and object counts.
 */
import { createHash } from 'node:crypto';
import { ApiObject, Chart, Duration, JsonPatch, Size } from 'cdk8s';
import * as kplus from 'cdk8s-plus-28';
import { Construct } from 'constructs';
// Data, not synthesis: the generator's shell script is the same text the library's Job runs.
import { CREDENTIAL_GENERATOR_SCRIPT } from '../lib/constructs/credentials';

const LABELS = (component: string) => ({
  'app.kubernetes.io/component': component,
  'app.kubernetes.io/instance': 'md-icapsrv',
  'app.kubernetes.io/managed-by': 'cdk8s',
  'app.kubernetes.io/name': 'md-icapsrv',
  'app.kubernetes.io/part-of': 'metadefender',
  'app.kubernetes.io/version': '5.14.1',
  'helm.sh/chart': 'md-icapsrv-0.1.0',
});
const KEEP = { 'argocd.argoproj.io/sync-options': 'Delete=false', 'helm.sh/resource-policy': 'keep', 'kustomize.toolkit.fluxcd.io/prune': 'disabled' };
const BEFORE_GENERATOR = { 'argocd.argoproj.io/sync-wave': '-2' };
const generated = (spec: string) => ({ ...KEEP, ...BEFORE_GENERATOR, 'chart-as-code/generate': spec });

const restricted = (user?: number): kplus.ContainerSecurityContextProps => ({
  ensureNonRoot: true,
  allowPrivilegeEscalation: false,
  readOnlyRootFilesystem: true,
  capabilities: { drop: [kplus.Capability.ALL] },
  seccompProfile: { type: kplus.SeccompProfileType.RUNTIME_DEFAULT },
  ...(user === undefined ? {} : { user, group: user }),
});

/** cdk8s-plus has no pod-level seccomp profile: patch it in, as the library's pods have it. */
function podSeccomp(workload: kplus.Workload): void {
  ApiObject.of(workload).addJsonPatch(JsonPatch.add('/spec/template/spec/securityContext/seccompProfile', { type: 'RuntimeDefault' }));
}

/** One md-icapsrv instance with cdk8s-plus, under `scope` (a Chart with its namespace). */
export class PlainIcapsrv extends Construct {
  constructor(scope: Construct, id: string) {
    super(scope, id);
    const icap = LABELS('icap-server');
    const db = LABELS('database');

    // Credentials: the chart creates the Secrets; the generator Job fills in the generated keys in the cluster.
    const cred = new kplus.Secret(this, 'Cred', { metadata: { name: 'mdicapsrv-cred', labels: icap, annotations: generated('password:alphanumeric:24') }, type: 'Opaque', stringData: { user: 'admin' } });
    const apiKey = new kplus.Secret(this, 'ApiKey', { metadata: { name: 'mdicapsrv-api-key', labels: icap, annotations: generated('value:numeric:36') }, type: 'Opaque' });
    const dbCred = new kplus.Secret(this, 'DbCred', { metadata: { name: 'mdicapsrv-postgres-cred', labels: db, annotations: generated('password:alphanumeric:24') }, type: 'Opaque', stringData: { user: 'postgres' } });
    const licensing = new kplus.Secret(this, 'Licensing', { metadata: { name: 'mdicap-licensing', labels: icap, annotations: KEEP }, type: 'Opaque' });
    const licenseKey = kplus.Secret.fromSecretName(this, 'LicenseKey', 'mdicapsrv-license-key');

    // In-cluster Postgres.
    const pgData = kplus.Volume.fromEmptyDir(this, 'PgData', 'data');
    const pgRun = kplus.Volume.fromEmptyDir(this, 'PgRun', 'run');
    const pgTmp = kplus.Volume.fromEmptyDir(this, 'PgTmp', 'tmp');
    const pgReady = ['sh', '-c', 'pg_isready -h 127.0.0.1 -U "$POSTGRES_USER"'];
    const postgres = new kplus.Deployment(this, 'Postgres', {
      metadata: { name: 'postgres-mdicapsrv', labels: db },
      replicas: 1,
      strategy: kplus.DeploymentStrategy.recreate(),
      automountServiceAccountToken: false,
      securityContext: { ensureNonRoot: true, user: 999, group: 999, fsGroup: 999 },
      podMetadata: { labels: db },
      select: false,
      containers: [
        {
          name: 'postgres',
          image: 'postgres:16.6',
          imagePullPolicy: kplus.ImagePullPolicy.IF_NOT_PRESENT,
          ports: [{ name: 'postgres', number: 5432, protocol: kplus.Protocol.TCP }],
          envVariables: {
            POSTGRES_USER: kplus.EnvValue.fromSecretValue({ secret: dbCred, key: 'user' }),
            POSTGRES_PASSWORD: kplus.EnvValue.fromSecretValue({ secret: dbCred, key: 'password' }),
            PGDATA: kplus.EnvValue.fromValue('/var/lib/postgresql/data/pgdata'),
          },
          liveness: kplus.Probe.fromCommand(pgReady, { initialDelaySeconds: Duration.seconds(30), periodSeconds: Duration.seconds(10), timeoutSeconds: Duration.seconds(5), failureThreshold: 6 }),
          readiness: kplus.Probe.fromCommand(pgReady, { initialDelaySeconds: Duration.seconds(5), periodSeconds: Duration.seconds(5), timeoutSeconds: Duration.seconds(3), failureThreshold: 6 }),
          resources: {
            cpu: { request: kplus.Cpu.millis(250), limit: kplus.Cpu.units(1) },
            memory: { request: Size.mebibytes(512), limit: Size.mebibytes(1024) },
          },
          securityContext: restricted(),
          volumeMounts: [
            { volume: pgData, path: '/var/lib/postgresql/data' },
            { volume: pgRun, path: '/var/run/postgresql' },
            { volume: pgTmp, path: '/tmp' },
          ],
        },
      ],
    });
    postgres.select(kplus.LabelSelector.of({ labels: selectorOf(db) }));
    new kplus.Service(this, 'PostgresService', {
      metadata: { name: 'postgres-mdicapsrv', labels: db },
      type: kplus.ServiceType.CLUSTER_IP,
      selector: postgres,
      ports: [{ name: 'postgres', port: 5432, targetPort: 5432, protocol: kplus.Protocol.TCP }],
    });

    const serviceAccount = new kplus.ServiceAccount(this, 'ServiceAccount', {
      metadata: { name: 'mdicapsrv-service-account', labels: icap },
      automountToken: false,
    });
    const role = new kplus.Role(this, 'Role', { metadata: { name: 'md-icapsrv-licensing', labels: icap } });
    role.allow(['get', 'update', 'patch'], licensing);
    role.allow(['get', 'list'], kplus.ApiResource.PODS);
    new kplus.RoleBinding(this, 'RoleBinding', { metadata: { name: 'md-icapsrv-licensing', labels: icap }, role }).addSubjects(serviceAccount);

    // The credential generator, a component of its own: a Job that may get and patch exactly the three Secrets.
    const generator = LABELS('credential-generator');
    const generatorMeta = { name: 'mdicapsrv-credentials', labels: generator, annotations: BEFORE_GENERATOR };
    const generatorAccount = new kplus.ServiceAccount(this, 'GeneratorAccount', { metadata: generatorMeta, automountToken: false });
    const generatorRole = new kplus.Role(this, 'GeneratorRole', { metadata: generatorMeta });
    generatorRole.allow(['get', 'patch'], cred, apiKey, dbCred);
    new kplus.RoleBinding(this, 'GeneratorBinding', { metadata: generatorMeta, role: generatorRole }).addSubjects(generatorAccount);
    const generatorTmp = kplus.Volume.fromEmptyDir(this, 'GeneratorTmp', 'tmp');
    const secretNames = [cred.name, apiKey.name, dbCred.name];
    const jobHash = createHash('sha256').update(JSON.stringify([CREDENTIAL_GENERATOR_SCRIPT, secretNames])).digest('hex').slice(0, 8);
    const job = new kplus.Job(this, 'Generator', {
      metadata: {
        name: `mdicapsrv-credentials-${jobHash}`,
        labels: generator,
        annotations: { 'argocd.argoproj.io/hook': 'Sync', 'argocd.argoproj.io/hook-delete-policy': 'BeforeHookCreation', 'argocd.argoproj.io/sync-wave': '-1' },
      },
      backoffLimit: 6,
      activeDeadline: Duration.seconds(600),
      ttlAfterFinished: Duration.seconds(86400),
      serviceAccount: generatorAccount,
      automountServiceAccountToken: true,
      securityContext: { ensureNonRoot: true, user: 65534, group: 65534 },
      podMetadata: { labels: selectorOf(generator) },
      containers: [
        {
          name: 'generate',
          image: 'alpine/k8s:1.33.4',
          imagePullPolicy: kplus.ImagePullPolicy.IF_NOT_PRESENT,
          command: ['sh', '-c', CREDENTIAL_GENERATOR_SCRIPT, 'credential-generator'],
          args: secretNames,
          envVariables: { HOME: kplus.EnvValue.fromValue('/tmp') },
          resources: { cpu: { request: kplus.Cpu.millis(10), limit: kplus.Cpu.millis(200) }, memory: { request: Size.mebibytes(32), limit: Size.mebibytes(128) } },
          securityContext: restricted(),
          volumeMounts: [{ volume: generatorTmp, path: '/tmp' }],
        },
      ],
    });
    podSeccomp(job);

    const envData = {
      ACCEPT_EULA: 'false',
      ACTIVATION_SERVER: 'activation.dl.opswat.com',
      CUSTOM_SECRET: 'mdicap-licensing',
      DB_HOST: 'postgres-mdicapsrv',
      DB_MODE: '4',
      DB_PORT: '5432',
      DB_TYPE: 'remote',
      ENABLE_HEALTHCHECK: 'true',
      ENABLE_NGINX: 'false',
      HTTPS_CERT_PATH: '/https_cert',
      HTTPS_SSL_PROTOCOLS: '["TLSv1.3"]',
      ICAPS_CERT_PATH: '/icaps_cert',
      ICAPS_PORT: '11344',
      ICAPS_SSL_PROTOCOLS: '["TLSv1.3"]',
      ICAP_PORT: '1344',
      LOG_LEVEL: 'info',
      MDICAPSRV_DB_NAME: 'metadefender_icapsrv',
      NGINXS_CERT_PATH: '/nginxs_cert',
      NGINXS_PORT: '8443',
      NGINXS_SSL_PROTOCOLS: '["TLSv1.3"]',
      NGINX_PORT: '8043',
      REST_PORT: '8048',
    };
    const env = new kplus.ConfigMap(this, 'Env', { metadata: { name: 'mdicapsrv-env', labels: icap }, data: envData });

    const readyz = (delay: number, period: number, timeout: number) =>
      kplus.Probe.fromHttpGet('/readyz', { port: 8048, scheme: kplus.ConnectionScheme.HTTP, initialDelaySeconds: Duration.seconds(delay), periodSeconds: Duration.seconds(period), timeoutSeconds: Duration.seconds(timeout), failureThreshold: 3 });
    const server = new kplus.Deployment(this, 'Server', {
      metadata: { name: 'md-icapsrv', labels: icap },
      replicas: 1,
      strategy: kplus.DeploymentStrategy.rollingUpdate({ maxSurge: kplus.PercentOrAbsolute.absolute(0), maxUnavailable: kplus.PercentOrAbsolute.absolute(1) }),
      serviceAccount,
      automountServiceAccountToken: true,
      terminationGracePeriod: Duration.seconds(65),
      securityContext: { ensureNonRoot: true, user: 1000, group: 1000, fsGroup: 1000 },
      // Pods roll when the ConfigMap they read changes.
      podMetadata: { labels: icap, annotations: { 'chart-as-code/config-checksum': createHash('sha256').update(JSON.stringify(envData)).digest('hex') } },
      select: false,
      initContainers: [
        {
          name: 'wait-for-database',
          image: 'postgres:16.6',
          imagePullPolicy: kplus.ImagePullPolicy.IF_NOT_PRESENT,
          command: ['sh', '-c', 'until pg_isready -h "$DB_HOST" -p "$DB_PORT"; do echo waiting for database; sleep 2; done'],
          envVariables: { DB_HOST: kplus.EnvValue.fromValue('postgres-mdicapsrv'), DB_PORT: kplus.EnvValue.fromValue('5432') },
          resources: { cpu: { request: kplus.Cpu.millis(50), limit: kplus.Cpu.millis(100) }, memory: { request: Size.mebibytes(64), limit: Size.mebibytes(128) } },
          securityContext: restricted(999),
        },
      ],
      containers: [
        {
          name: 'md-icapsrv',
          image: 'opswat/metadefendericapsrv-debian:5.14.1',
          imagePullPolicy: kplus.ImagePullPolicy.IF_NOT_PRESENT,
          envFrom: [kplus.Env.fromConfigMap(env)],
          envVariables: {
            MD_USER: kplus.EnvValue.fromSecretValue({ secret: cred, key: 'user' }),
            MD_PWD: kplus.EnvValue.fromSecretValue({ secret: cred, key: 'password' }),
            APIKEY: kplus.EnvValue.fromSecretValue({ secret: apiKey, key: 'value' }),
            LICENSE_KEY: kplus.EnvValue.fromSecretValue({ secret: licenseKey, key: 'value' }),
            DB_USER: kplus.EnvValue.fromSecretValue({ secret: dbCred, key: 'user' }),
            DB_PWD: kplus.EnvValue.fromSecretValue({ secret: dbCred, key: 'password' }),
            MDICAPSRV_INSTANCE_NAME: kplus.EnvValue.fromFieldRef(kplus.EnvFieldPaths.POD_NAME),
            MY_POD_NAMESPACE: kplus.EnvValue.fromFieldRef(kplus.EnvFieldPaths.POD_NAMESPACE),
            LICENSING_CLEANUP: kplus.EnvValue.fromValue('true'),
          },
          ports: [
            { name: 'rest', number: 8048, protocol: kplus.Protocol.TCP },
            { name: 'icap', number: 1344, protocol: kplus.Protocol.TCP },
          ],
          readiness: readyz(10, 3, 3),
          liveness: readyz(30, 10, 10),
          lifecycle: { preStop: kplus.Handler.fromCommand(['sleep', '5']) },
          resources: { cpu: { request: kplus.Cpu.units(2), limit: kplus.Cpu.units(4) }, memory: { request: Size.mebibytes(2048), limit: Size.mebibytes(4096) } },
          securityContext: { ...restricted(), readOnlyRootFilesystem: false },
        },
      ],
    });
    server.select(kplus.LabelSelector.of({ labels: selectorOf(icap) }));
    new kplus.Service(this, 'Service', {
      metadata: { name: 'md-icapsrv', labels: icap },
      type: kplus.ServiceType.CLUSTER_IP,
      selector: server,
      ports: [
        { name: 'rest', port: 8048, targetPort: 8048, protocol: kplus.Protocol.TCP },
        { name: 'icap', port: 1344, targetPort: 1344, protocol: kplus.Protocol.TCP },
      ],
    });
    for (const d of [postgres, server]) {
      podSeccomp(d);
      // cdk8s-plus adds a TCP startup probe to the first port of every container; the product has none.
      ApiObject.of(d).addJsonPatch(JsonPatch.remove('/spec/template/spec/containers/0/startupProbe'));
    }
  }
}

function selectorOf(labels: Record<string, string>): Record<string, string> {
  const keys = ['app.kubernetes.io/component', 'app.kubernetes.io/instance', 'app.kubernetes.io/name'];
  return Object.fromEntries(keys.map((k) => [k, labels[k]!]));
}

/** One chart per instance, as the library path does: chart `tenant-<i>` in namespace `tenant-<i>`. */
export function plainChart(scope: Construct, i: number): Chart {
  const chart = new Chart(scope, `tenant-${i}`, { namespace: `tenant-${i}`, disableResourceNameHashes: true });
  new PlainIcapsrv(chart, 'md-icapsrv');
  return chart;
}

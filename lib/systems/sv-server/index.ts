/**
 * Service Virtualization server: Deployment and Service `sv-server`, the server credentials Secret, the
 * work and logs volumes, and its database (in-cluster Postgres `sv-postgres-db-service`, or an external
 * Postgres or Oracle).
 *
 * Choices where cdk8s-plus would default otherwise (see lib/constructs/pod.ts for the shared ones):
 * - runAsNonRoot: off by default, because the vendor runs the server as root so files it creates on
 *   persistent volumes stay writable across pods; `runAsRoot: false` selects the newer images' uid/gid 1234
 *   with fsGroup 1234, non-root, all capabilities dropped. As root the runtime's default capabilities stay:
 *   root without them could not write files the image's own sv-server user owns.
 * - readOnlyRootFilesystem: off; the server writes under its install directory.
 * - replicas and strategy: one pod, Recreate. The work directory belongs to one server at a time (the
 *   lock file only bridges a stopping pod and its successor), so there is no rolling update or scaling.
 * - probes: TCP on the API port, with a startup probe covering the lock wait and the first start; the
 *   server has no documented HTTP health endpoint.
 * - automountServiceAccountToken: false; the server never calls the Kubernetes API.
 */
import { Construct } from 'constructs';
import { KubeObject } from '../../core/kube-object';
import { defineChart } from '../../core/chart';
import { Value, ValueTree } from '../../core/template';
import { ProductInfo, openProduct } from '../../constructs/identity';
import { imageRef, schedulingFields, secretEnv, tcpProbe } from '../../constructs/pod';
import { SecretHandle, secretHandle, ServiceHandle } from '../../constructs/handles';
import { PostgresDatabase } from '../../constructs/postgres';
import { ManagedSecret } from '../../constructs/secret';
import { CredentialGenerator } from '../../constructs/credentials';
import { PortCheckTest } from '../../constructs/test-hook';
import { REQUIRED_SCC_ANYUID } from '../../constructs/openshift';
import { IngressPolicy } from '../../constructs/network-policy';
import { claimVolume } from '../../constructs/volume';
import { SV_HOME, SV_LIFECYCLE_ENV, SV_RUN_DIR, svLifecycleScripts } from './lifecycle';
import { SV_IMAGE_TAG, SV_SECRET_ENV, svServerValues, SvServerValues, SvServerValuesInput } from './values';
import { CHANGES_0_2_0, CREDENTIALS_IN_CLUSTER, DATABASE_NETWORK_POLICY } from '../changes';

export * from './lifecycle';
export * from './values';

const CHART = 'sv-server';
const CHART_VERSION = '0.2.0';
const COMPONENT = 'sv-server';

/** The server API port (HTTPS). */
export const SV_API_PORT = 6085;
/** The agent ports the image serves (SV_SERVER_AGENT_PORTS). */
export const SV_AGENT_PORTS: readonly number[] = Array.from({ length: 10 }, (_, i) => 7000 + i);

/** Props of SvServer: exactly the chart's values (all optional, defaults as in values.yaml). */
export type SvServerProps = SvServerValuesInput | ValueTree<SvServerValues>;

/** What the SvServer component is, in its own chart or composed into another. */
export const svServerInfo: ProductInfo<typeof svServerValues> = { name: CHART, chartVersion: CHART_VERSION, partOf: 'service-virtualization', schema: svServerValues, version: (v) => v.image.tag };

/** The Service SV clients and agents connect to, with the API port and the agent ports. */
export class SvServer extends Construct {
  /** Name of the Service. */
  /** Name of the Service. */
  public readonly serviceName: Value<string>;
  /** The Service: its name, the API and agent ports, the server's pods. */
  public readonly service: ServiceHandle;
  /** Its Secrets: server credentials (user, password) and database credentials (user, password). */
  public readonly secrets: { readonly credentials: SecretHandle; readonly database: SecretHandle };

  constructor(scope: Construct, id: string, props: SvServerProps = {}) {
    super(scope, id);
    const { render, v, identity } = openProduct(this, svServerInfo, props);
    const name = identity.name('sv-server');
    this.serviceName = name;
    const selector = identity.selector(COMPONENT);

    const credentials = new ManagedSecret(this, 'Credentials', {
      identity,
      name: 'sv-server-cred',
      component: COMPONENT,
      existingSecret: v.credentials.existingSecret,
      keys: { user: { given: v.credentials.user }, password: { given: v.credentials.password, generate: { charset: 'alphanumeric', length: 24 } } },
    });
    const database = new PostgresDatabase(this, 'Database', {
      identity,
      serviceName: 'sv-postgres-db-service',
      workloadName: 'sv-postgres-db',
      credentialsSecretName: 'sv-postgres-db-cred',
      database: v.database,
      pod: v,
    });
    this.service = {
      name,
      ports: Object.fromEntries([['api', SV_API_PORT], ...SV_AGENT_PORTS.map((p) => [`agent-${p}`, p])]),
      selector,
    };
    new IngressPolicy(this, 'NetworkPolicy', { identity, name: 'sv-server', component: COMPONENT, podSelector: selector, ports: Object.keys(this.service.ports), values: v.networkPolicy, openWhenFromEmpty: true });
    this.secrets = { credentials: secretHandle(credentials, ['user', 'password']), database: secretHandle(database.credentials, ['user', 'password']) };
    new CredentialGenerator(this, 'CredentialGenerator', {
      identity,
      name: 'sv-server-credentials',
      secrets: [credentials, database.credentials],
      values: v.credentialGenerator,
      pod: v,
    });
    const workVolume = claimVolume(this, 'WorkClaim', { identity, name: 'sv-server-work', component: COMPONENT, persistence: v.persistence.work, volumeName: 'work' });
    const logsVolume = claimVolume(this, 'LogsClaim', { identity, name: 'sv-server-logs', component: COMPONENT, persistence: v.persistence.logs, volumeName: 'logs' });

    const serviceAccountName = identity.name('sv-server');
    new KubeObject(this, 'ServiceAccount', {
      apiVersion: 'v1',
      kind: 'ServiceAccount',
      metadata: identity.meta('sv-server', COMPONENT, { extraAnnotations: v.serviceAccount.annotations }),
      automountServiceAccountToken: false,
    });

    // Postgres: ";Host=...;Port=...;Database=...;" (the vendor's form, with the port so an external server
    // on another port works); Oracle: EZConnect "host:port/service".
    const dbPort = render.str(v.database.port);
    const dataSource = render.ifElse(
      render.eq(v.database.type, 'oracle'),
      `${database.host}:${dbPort}/${v.database.name}`,
      `;Host=${database.host};Port=${dbPort};Database=${v.database.name};`,
    );
    const scripts = svLifecycleScripts({ home: SV_HOME, runDir: SV_RUN_DIR });
    const lifecycle = v.lifecycle;

    // Root as the vendor documents, or the newer images' sv-server user (on OpenShift the uid and groups
    // it assigns); the user's extra fields are merged in (the schema keeps them off the keys decided here).
    const podSecurityContext = render.withEntriesOf(
      {
        ...render.fieldsIf(v.runAsRoot, { runAsUser: 0, runAsGroup: 0, runAsNonRoot: false }),
        ...render.fieldsIf(render.not(v.runAsRoot), identity.securityContext({ runAsUser: 1234, runAsGroup: 1234, fsGroup: 1234, runAsNonRoot: true })),
      },
      v.podSecurityContext,
    );
    // Root is not OpenShift's to assign: restricted-v2 refuses uid 0, so the pod names the SCC it needs
    // (OpenShift 4.14+ admits it only with that SCC and says so), rather than failing on whichever SCC matched.
    const needsAnyuid = render.and(v.runAsRoot, identity.adaptsSecurityContext());
    const podAnnotations = render.mergeMaps(render.ifElse(needsAnyuid, REQUIRED_SCC_ANYUID as never, {} as never), v.podAnnotations);
    const containerSecurityContext = render.withEntriesOf(
      {
        ...render.fieldsIf(v.runAsRoot, { runAsNonRoot: false }),
        ...render.fieldsIf(render.not(v.runAsRoot), { runAsNonRoot: true, capabilities: { drop: ['ALL'] } }),
      },
      v.securityContext,
    );

    new KubeObject(this, 'Deployment', {
      apiVersion: 'apps/v1',
      kind: 'Deployment',
      metadata: identity.meta('sv-server', COMPONENT),
      spec: {
        replicas: 1,
        strategy: { type: 'Recreate' },
        selector: { matchLabels: selector },
        template: {
          metadata: {
            labels: identity.labels(COMPONENT, v.podLabels),
            ...render.fieldsIf(render.or(v.podAnnotations, needsAnyuid), { annotations: render.checkAnnotations(podAnnotations, 'podAnnotations') }),
          },
          spec: {
            serviceAccountName,
            automountServiceAccountToken: false,
            // Derived, never set: always longer than the preStop wait, so the server is not SIGKILLed
            // while it is still allowed to shut down.
            terminationGracePeriodSeconds: render.add(lifecycle.stopTimeoutSeconds, lifecycle.graceMarginSeconds),
            // Adapted above: root stays root (the anyuid SCC), where podSpecFields would leave the uid to OpenShift.
            securityContext: podSecurityContext,
            ...schedulingFields(identity, v),
            containers: [
              {
                name: 'sv-server',
                image: imageRef(render, v.image, v.image.tag),
                imagePullPolicy: v.image.pullPolicy,
                // bash, not the image's sh: see ./lifecycle.ts.
                command: ['/bin/bash', '-c'],
                args: [scripts.start],
                env: [
                  // Needed for agents served over HTTPS.
                  { name: 'MONO_TLS_PROVIDER', value: 'legacy' },
                  { name: 'SV_HOSTNAME', value: render.coalesce(v.hostname, `${name}.${render.release.namespace}.svc`) },
                  { name: 'SV_SERVER_AGENT_PORTS', value: `${SV_AGENT_PORTS[0]}-${SV_AGENT_PORTS[SV_AGENT_PORTS.length - 1]}` },
                  secretEnv(SV_SECRET_ENV.user, credentials.secretName, 'user'),
                  secretEnv(SV_SECRET_ENV.password, credentials.secretName, 'password'),
                  { name: 'SV_DB_TYPE', value: v.database.type },
                  { name: 'SV_DB_DATASOURCE', value: dataSource },
                  { name: 'SV_DB_NAME', value: v.database.name },
                  secretEnv(SV_SECRET_ENV.dbUser, database.credentials.secretName, 'user'),
                  secretEnv(SV_SECRET_ENV.dbPassword, database.credentials.secretName, 'password'),
                  ...render.itemsIf(v.database.waitForReady, [{ name: 'SV_DB_WAIT_FOR', value: `${database.host}:${dbPort}` }]),
                  { name: SV_LIFECYCLE_ENV.lockWaitSeconds.name, value: render.str(lifecycle.lockWaitSeconds) },
                  { name: SV_LIFECYCLE_ENV.stopTimeoutSeconds.name, value: render.str(lifecycle.stopTimeoutSeconds) },
                  ...render.itemsOfUniqueNames(v.extraEnv),
                ],
                ports: [
                  { name: 'api', containerPort: SV_API_PORT, protocol: 'TCP' },
                  ...SV_AGENT_PORTS.map((p) => ({ name: `agent-${p}`, containerPort: p, protocol: 'TCP' })),
                ],
                ...tcpProbe(render, 'startupProbe', v.startupProbe, 'api'),
                ...tcpProbe(render, 'readinessProbe', v.readinessProbe, 'api'),
                ...tcpProbe(render, 'livenessProbe', v.livenessProbe, 'api'),
                lifecycle: { preStop: { exec: { command: ['/bin/bash', '-c', scripts.preStop] } } },
                resources: v.resources,
                securityContext: containerSecurityContext,
                volumeMounts: [
                  { name: 'work', mountPath: `${SV_HOME}/work` },
                  { name: 'logs', mountPath: `${SV_HOME}/logs` },
                  { name: 'lifecycle', mountPath: SV_RUN_DIR },
                ],
              },
            ],
            volumes: [...workVolume, ...logsVolume, { name: 'lifecycle', emptyDir: { medium: 'Memory', sizeLimit: '1Mi' } }],
          },
        },
      },
    });

    const nodePorts = render.and(render.not(render.eq(v.service.type, 'ClusterIP')), v.service.nodePortBase);
    const servicePort = (portName: string, port: number, offset: number) => ({
      name: portName,
      port,
      targetPort: portName,
      protocol: 'TCP',
      ...render.fieldsIf(nodePorts, { nodePort: render.add(v.service.nodePortBase, offset) }),
    });
    new KubeObject(this, 'Service', {
      apiVersion: 'v1',
      kind: 'Service',
      metadata: identity.meta('sv-server', COMPONENT, { extraAnnotations: v.service.annotations }),
      spec: {
        type: v.service.type,
        selector,
        ports: [servicePort('api', SV_API_PORT, 0), ...SV_AGENT_PORTS.map((p, i) => servicePort(`agent-${p}`, p, i + 1))],
      },
    });
  }
}

/** The `helm test` hook: the API port of the Service answers. */
export class SvServerTest extends Construct {
  constructor(scope: Construct, id: string, props: SvServerProps = {}) {
    super(scope, id);
    const { v, identity } = openProduct(this, svServerInfo, props);
    new PortCheckTest(this, 'PortCheck', { identity, name: 'sv-server-test', host: identity.name('sv-server'), port: SV_API_PORT, image: v.tests.image });
  }
}

export const svServerChart = defineChart({
  name: svServerInfo.name,
  schema: svServerInfo.schema,
  metadata: {
    version: svServerInfo.chartVersion,
    changes: [CREDENTIALS_IN_CLUSTER, DATABASE_NETWORK_POLICY, ...CHANGES_0_2_0],
    appVersion: SV_IMAGE_TAG,
    description: 'Service Virtualization server: API and agents, persistent work and logs, SIGTERM-safe shutdown, in-cluster Postgres or an external Postgres/Oracle database.',
    kubeVersion: '>=1.30.0-0',
    category: 'integration-delivery',
    home: 'https://www.microfocus.com/en-us/products/service-virtualization',
    sources: ['https://admhelp.microfocus.com/sv/'],
    maintainers: [{ name: 'Platform Team', email: 'platform@example.com' }],
    keywords: ['service-virtualization', 'sv-server', 'testing'],
    readmeIntro: `The server listens on ${SV_API_PORT} (API, HTTPS) and ${SV_AGENT_PORTS[0]}-${SV_AGENT_PORTS[SV_AGENT_PORTS.length - 1]} (agents,
one named Service port each). Its work directory (configuration, agents, virtual services) and its logs are on
PersistentVolumeClaims \`sv-server-work\` and \`sv-server-logs\` (kept on uninstall), or on \`existingClaim\`s.

**Shutdown.** The image starts the server under \`sh\`, which does not pass SIGTERM on; the chart runs it under
\`/bin/bash -c\` with a script that forwards SIGTERM to the server's process group. A lock file \`work/lock\`
keeps two servers off one work directory: a starting server waits up to \`lifecycle.lockWaitSeconds\` while
another pod holds it, then takes it over (a pod killed without SIGTERM leaves it behind). The preStop hook
sends SIGTERM to the server, waits up to \`lifecycle.stopTimeoutSeconds\` and frees the lock;
\`terminationGracePeriodSeconds\` is \`stopTimeoutSeconds + graceMarginSeconds\` (120 by default), so it always
outlasts that wait. One pod at a time (\`Recreate\`).

**Database.** By default an in-cluster Postgres: Service \`sv-postgres-db-service\`, Deployment
\`sv-postgres-db\` on a claim. Set \`database.inCluster.enabled: false\` and \`database.host\` for an external
Postgres, and \`database.type: oracle\` for an external Oracle (\`database.name\` is then the service name, and
\`database.port\` usually 1521). \`SV_DB_TYPE\`, \`SV_DB_DATASOURCE\`, \`SV_DB_NAME\` and \`SV_DB_WAIT_FOR\` are
derived from these; the credentials come from \`sv-postgres-db-cred\` (or \`database.existingSecret\`). A
variable in \`extraEnv\` comes last and so overrides a derived one.

**Security.** \`runAsRoot: true\` (default) is the vendor's documented setup; newer images run as sv-server:
set \`runAsRoot: false\` for uid/gid 1234, fsGroup 1234, non-root with all capabilities dropped. On OpenShift
(\`global.compatibility.openshift.adaptSecurityContext\`) root needs the \`anyuid\` SCC, which the pod names
(\`openshift.io/required-scc\`): \`oc adm policy add-scc-to-user anyuid -z sv-server -n <namespace>\`; with
\`runAsRoot: false\` the server runs under the user OpenShift assigns.

Passwords you do not give are generated once, inside the cluster, by the Job \`sv-server-credentials-<hash>\`
(it may only read and patch \`sv-server-cred\` and \`sv-postgres-db-cred\`), and never change afterwards; the
Secrets are kept on uninstall. With \`*.existingSecret\` the chart creates no Secret and references yours.`,
    notes: `Service Virtualization server {{ .Chart.AppVersion }} is deployed as {{ .Release.Name }} in {{ .Release.Namespace }}.

API:    https://{{ printf "%ssv-server" .Values.namePrefix }}.{{ .Release.Namespace }}.svc:${SV_API_PORT}
Agents: {{ printf "%ssv-server" .Values.namePrefix }}.{{ .Release.Namespace }}.svc:${SV_AGENT_PORTS[0]}-${SV_AGENT_PORTS[SV_AGENT_PORTS.length - 1]}
{{- if not .Values.credentials.existingSecret }}

The server user and password are in Secret {{ printf "%ssv-server-cred" .Values.namePrefix }}:
  kubectl -n {{ .Release.Namespace }} get secret {{ printf "%ssv-server-cred" .Values.namePrefix }} -o jsonpath='{.data.password}' | base64 -d
{{- end }}
{{- if and .Values.runAsRoot (include "sv-server.adaptSecurityContext" .) }}

On OpenShift the server runs as root (runAsRoot: true): its pod is admitted only once its ServiceAccount may use the anyuid SCC:
  oc adm policy add-scc-to-user anyuid -z {{ printf "%ssv-server" .Values.namePrefix }} -n {{ .Release.Namespace }}
{{- end }}
`,
  },
  build: (scope, values) => new SvServer(scope, CHART, values),
  tests: (scope, values) => new SvServerTest(scope, `${CHART}-test`, values),
});

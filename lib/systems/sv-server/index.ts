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
import { Render, Value, ValueOrConstant, ValueTree } from '../../core/template';
import { Identity, ProductInfo, openProduct } from '../../constructs/identity';
import { imageRef, schedulingFields, secretEnv, singlePodDeployment, tcpProbe } from '../../constructs/pod';
import { SecretHandle, secretHandle, ServiceHandle } from '../../constructs/handles';
import { PostgresDatabase } from '../../constructs/postgres';
import { ManagedSecret } from '../../constructs/secret';
import { CredentialGenerator } from '../../constructs/credentials';
import { PortCheckTest } from '../../constructs/test-hook';
import { productServiceAccount } from '../../constructs/product';
import { IngressPolicy } from '../../constructs/network-policy';
import { claimVolume } from '../../constructs/volume';
import { SV_HOME, svLifecycle } from './lifecycle';
import { svSecurity } from './security';
import { svDatabaseEnv } from './database';
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
/** The agent ports as the image and the chart's texts give them: first-last. */
const AGENT_PORT_RANGE = `${SV_AGENT_PORTS[0]}-${SV_AGENT_PORTS[SV_AGENT_PORTS.length - 1]}`;
/** The server's ports by name, API first: the container's, the Service's (node ports in this order) and the NetworkPolicy's. */
const SV_PORTS = [{ name: 'api', port: SV_API_PORT }, ...SV_AGENT_PORTS.map((port) => ({ name: `agent-${port}`, port }))];

/** Props of SvServer: exactly the chart's values (all optional, defaults as in values.yaml). */
export type SvServerProps = SvServerValuesInput | ValueTree<SvServerValues>;

/** What the SvServer component is, in its own chart or composed into another. */
export const svServerInfo: ProductInfo<typeof svServerValues> = { name: CHART, chartVersion: CHART_VERSION, partOf: 'service-virtualization', schema: svServerValues, version: (v) => v.image.tag };

/** The Service SV clients and agents connect to, with the API port and the agent ports. */
export class SvServer extends Construct {
  /** Name of the Service. */
  public readonly serviceName: Value<string>;
  /** The Service: its name, the API and agent ports, the server's pods. */
  public readonly service: ServiceHandle;
  /** Its Secrets: server credentials (user, password) and database credentials (user, password). */
  public readonly secrets: { readonly credentials: SecretHandle; readonly database: SecretHandle };

  constructor(scope: Construct, id: string, props: SvServerProps = {}) {
    super(scope, id);
    const { render, v, identity } = openProduct(this, svServerInfo, props);
    const name = identity.name(COMPONENT);
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
    this.service = { name, ports: Object.fromEntries(SV_PORTS.map((p) => [p.name, p.port])), selector };
    new IngressPolicy(this, 'NetworkPolicy', { identity, name: COMPONENT, component: COMPONENT, podSelector: selector, ports: Object.keys(this.service.ports), values: v.networkPolicy, openWhenFromEmpty: true });
    this.secrets = { credentials: secretHandle(credentials, ['user', 'password']), database: secretHandle(database.credentials, ['user', 'password']) };
    new CredentialGenerator(this, 'CredentialGenerator', { identity, name: 'sv-server-credentials', secrets: [credentials, database.credentials], values: v.credentialGenerator, pod: v });
    const volumes = [
      ...claimVolume(this, 'WorkClaim', { identity, name: 'sv-server-work', component: COMPONENT, persistence: v.persistence.work, volumeName: 'work' }),
      ...claimVolume(this, 'LogsClaim', { identity, name: 'sv-server-logs', component: COMPONENT, persistence: v.persistence.logs, volumeName: 'logs' }),
    ];
    const serviceAccountName = productServiceAccount(this, identity, COMPONENT, COMPONENT, v.serviceAccount.annotations);
    const lifecycle = svLifecycle(render, v.lifecycle);
    const security = svSecurity(render, identity, v);

    singlePodDeployment(this, {
      identity,
      name: COMPONENT,
      component: COMPONENT,
      selector,
      template: {
        metadata: { labels: identity.labels(COMPONENT, v.podLabels), ...security.podMetadata },
        spec: {
          serviceAccountName,
          automountServiceAccountToken: false,
          terminationGracePeriodSeconds: lifecycle.terminationGracePeriodSeconds,
          // Adapted in svSecurity: root stays root (the anyuid SCC), where podSpecFields would leave the uid to OpenShift.
          securityContext: security.pod,
          ...schedulingFields(identity, v),
          containers: [svContainer(render, v, { name, credentials, database, lifecycle, securityContext: security.container })],
          volumes: [...volumes, lifecycle.volume],
        },
      },
    });
    svService(this, render, identity, v.service, selector);
  }
}

/** The server container: the image under the lifecycle scripts, its env, ports, TCP probes and volumes. */
function svContainer(
  render: Render,
  v: ValueTree<SvServerValues>,
  parts: { name: Value<string>; credentials: ManagedSecret; database: PostgresDatabase; lifecycle: ReturnType<typeof svLifecycle>; securityContext: unknown },
) {
  const { lifecycle } = parts;
  return {
    name: COMPONENT,
    image: imageRef(render, v.image, v.image.tag),
    imagePullPolicy: v.image.pullPolicy,
    command: lifecycle.command,
    args: lifecycle.args,
    env: [
      // Needed for agents served over HTTPS.
      { name: 'MONO_TLS_PROVIDER', value: 'legacy' },
      { name: 'SV_HOSTNAME', value: render.coalesce(v.hostname, `${parts.name}.${render.release.namespace}.svc`) },
      { name: 'SV_SERVER_AGENT_PORTS', value: AGENT_PORT_RANGE },
      secretEnv(SV_SECRET_ENV.user, parts.credentials.secretName, 'user'),
      secretEnv(SV_SECRET_ENV.password, parts.credentials.secretName, 'password'),
      ...svDatabaseEnv(render, v.database, parts.database),
      ...lifecycle.env,
      ...render.itemsOfUniqueNames(v.extraEnv),
    ],
    ports: SV_PORTS.map((p) => ({ name: p.name, containerPort: p.port, protocol: 'TCP' })),
    ...tcpProbe(render, 'startupProbe', v.startupProbe, 'api'),
    ...tcpProbe(render, 'readinessProbe', v.readinessProbe, 'api'),
    ...tcpProbe(render, 'livenessProbe', v.livenessProbe, 'api'),
    lifecycle: { preStop: lifecycle.preStop },
    resources: v.resources,
    securityContext: parts.securityContext,
    volumeMounts: [{ name: 'work', mountPath: `${SV_HOME}/work` }, { name: 'logs', mountPath: `${SV_HOME}/logs` }, lifecycle.volumeMount],
  };
}

/** The Service: the API and agent ports, with node ports from `nodePortBase` up when the type has them. */
function svService(scope: Construct, render: Render, identity: Identity, service: ValueTree<SvServerValues>['service'], selector: Record<string, ValueOrConstant<string>>) {
  const nodePorts = render.and(render.not(render.eq(service.type, 'ClusterIP')), service.nodePortBase);
  new KubeObject(scope, 'Service', {
    apiVersion: 'v1',
    kind: 'Service',
    metadata: identity.meta(COMPONENT, COMPONENT, { extraAnnotations: service.annotations }),
    spec: {
      type: service.type,
      selector,
      ports: SV_PORTS.map((p, offset) => ({
        name: p.name,
        port: p.port,
        targetPort: p.name,
        protocol: 'TCP',
        ...render.fieldsIf(nodePorts, { nodePort: render.add(service.nodePortBase, offset) }),
      })),
    },
  });
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
    readmeIntro: `The server listens on ${SV_API_PORT} (API, HTTPS) and ${AGENT_PORT_RANGE} (agents,
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
Agents: {{ printf "%ssv-server" .Values.namePrefix }}.{{ .Release.Namespace }}.svc:${AGENT_PORT_RANGE}
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

import { Construct } from 'constructs';
import { defineChart } from '../../core/chart';
import { Render, ValueOrConstant, Value, ValueTree } from '../../core/template';
import { ProductInfo, openProduct } from '../../constructs/identity';
import { OPSWAT_SECRET_ENV, opswatProductBase, opswatPodTemplate } from '../../constructs/opswat';
import { DatabaseCleanup } from '../../constructs/database-cleanup';
import { configImport, ignitionEnv, olmsEnv, productDataVolume, proxyPassword, SettingsSecret } from '../../constructs/opswat-features';
import { EnvVar, fieldEnv } from '../../constructs/pod';
import { compatibleSelector } from '../../constructs/vendor-compat';
import { SecretHandle, secretHandle, ServiceHandle, WorkloadHandle } from '../../constructs/handles';
import { Autoscaler, DisruptionBudget, RestIngress, servicePort, sessionAffinitySpec } from '../../constructs/product';
import { PortCheckTest } from '../../constructs/test-hook';
import { IngressPolicy } from '../../constructs/network-policy';
import { tlsVolume } from '../../constructs/tls';
import { UpgradableDeployment } from '../../constructs/upgradable-deployment';
import { ICAP_IMAGE_TAG, MDICAPSRV_SECRET_ENV, mdIcapsrvValues, MdIcapsrvValues, MdIcapsrvValuesInput } from './values';
import { KubeObject } from '../../core/kube-object';
import { CHANGES_0_2_0, CREDENTIALS_IN_CLUSTER, DATABASE_NETWORK_POLICY } from '../changes';

export * from './values';

const CHART = 'md-icapsrv';
const CHART_VERSION = '0.2.0';
const COMPONENT = 'icap-server';

/** Props of MdIcapsrv: exactly the chart's values (all optional, defaults as in values.yaml). */
export type MdIcapsrvProps = MdIcapsrvValuesInput | ValueTree<MdIcapsrvValues>;

/** What the MdIcapsrv component is, in its own chart or composed into another. */
export const mdIcapsrvInfo: ProductInfo<typeof mdIcapsrvValues> = { name: CHART, chartVersion: CHART_VERSION, partOf: 'metadefender', schema: mdIcapsrvValues, version: (v) => v.image.tag };

/**
 * MetaDefender ICAP Server: Deployment and Service `md-icapsrv`, ConfigMap `mdicapsrv-env`, optional
 * Ingress `icap-ingress`, the API key / admin / licence / database Secrets, licensing clean-up with its
 * least-privilege RBAC, graceful licence deactivation, optional in-cluster Postgres, HPA and PDB; and what
 * OPSWAT's own chart offers besides: OLMS, the outbound proxy, trusted CA certificates, configuration
 * import, ignition JSON, data retention, persistent server data, the database clean-up CronJob, and the
 * selectors of a release of that chart taken over in place (secret settings in `mdicapsrv-settings`).
 */
export class MdIcapsrv extends Construct {
  /** Name of the Service clients connect to. */
  /** Name of the Service clients connect to. */
  public readonly serviceName: Value<string>;
  /** The Service: its name, ports and the selector of the serving pods. */
  public readonly service: ServiceHandle;
  /** Its Secrets: admin credentials (user, password), API key (value), licence key (value), database credentials (user, password). */
  public readonly secrets: { readonly credentials: SecretHandle; readonly apiKey: SecretHandle; readonly license: SecretHandle; readonly database: SecretHandle };
  /** Its Deployment, ServiceAccount and pods. */
  public readonly workload: WorkloadHandle;

  constructor(scope: Construct, id: string, props: MdIcapsrvProps = {}) {
    super(scope, id);
    const { render, v, identity } = openProduct(this, mdIcapsrvInfo, props);
    const name = identity.name('md-icapsrv');
    this.serviceName = name;
    const tls = v.tls;

    const { secrets, database, serviceAccountName, licensing } = opswatProductBase(this, {
      identity,
      component: COMPONENT,
      prefix: 'mdicapsrv',
      databaseName: 'postgres-mdicapsrv',
      values: v,
    });

    const certDir = { https: '/https_cert', icaps: '/icaps_cert', nginxs: '/nginxs_cert' } as const;
    const configMapName = identity.name('mdicapsrv-env');
    const envData: Record<string, ValueOrConstant<string>> = {
      ACCEPT_EULA: render.str(v.acceptEula),
      ACTIVATION_SERVER: v.activationServer,
      REST_PORT: render.str(v.ports.rest),
      ICAP_PORT: render.str(v.ports.icap),
      ICAPS_PORT: render.str(v.ports.icaps),
      NGINX_PORT: render.str(v.ports.nginx),
      NGINXS_PORT: render.str(v.ports.nginxs),
      ENABLE_NGINX: render.str(v.nginx.enabled),
      HTTPS_CERT_PATH: certDir.https,
      ICAPS_CERT_PATH: certDir.icaps,
      NGINXS_CERT_PATH: certDir.nginxs,
      HTTPS_SSL_PROTOCOLS: render.json(tls.https.protocols),
      ICAPS_SSL_PROTOCOLS: render.json(tls.icaps.protocols),
      NGINXS_SSL_PROTOCOLS: render.json(tls.nginxs.protocols),
      DB_MODE: '4',
      DB_TYPE: 'remote',
      DB_HOST: database.host,
      DB_PORT: render.str(database.port),
      MDICAPSRV_DB_NAME: v.database.name,
      ENABLE_HEALTHCHECK: 'true',
      LOG_LEVEL: v.logLevel,
      CUSTOM_SECRET: licensing.secretName,
      AUDIT_DATA_RETENTION: render.str(v.dataRetention.auditHours),
      HISTORY_DATA_RETENTION: render.str(v.dataRetention.historyHours),
      ICAP_CONF_JSON: render.json(v.config),
    };
    new KubeObject(this, 'Env', {
      apiVersion: 'v1',
      kind: 'ConfigMap',
      metadata: identity.meta('mdicapsrv-env', COMPONENT),
      data: envData,
    });

    const settings = new SettingsSecret(this, identity, COMPONENT, 'mdicapsrv-settings');
    const featureEnv = [...olmsEnv(this, settings, v.olms), ...proxyEnv(this, settings, v.proxy), ...ignitionEnv(this, settings, v.ignition)];
    const configImported = configImport(this, settings, v.configImport, MDICAPSRV_SECRET_ENV.configImportPassword);
    settings.build('Settings');
    const trusted = v.trustedCertificates;
    const productData = productDataVolume(this, identity, COMPONENT, 'md-icapsrv-data', v.persistence, ICAP_DATA_DIR);
    const vendorSelector = compatibleSelector(render, v.compatibility.vendorSelectors, name, identity.selector(COMPONENT));

    const tlsVolumeOf = (endpoint: 'https' | 'icaps' | 'nginxs') => tlsVolume('mdicapsrv', endpoint, tls[endpoint], tls.fileMode);
    const nginxsOn = render.and(v.nginx.enabled, tls.nginxs.enabled);
    const restScheme = render.ifElse(tls.https.enabled, 'HTTPS', 'HTTP');

    const workload = new UpgradableDeployment(this, 'Workload', {
      identity,
      component: COMPONENT,
      name: 'md-icapsrv',
      strategy: v.strategy,
      replicas: v.replicaCount,
      autoscaled: v.autoscaling.enabled,
      imageTag: v.image.tag,
      imageDigest: v.image.digest,
      selector: vendorSelector.selector,
      slotPorts: [
        { name: 'rest', port: v.ports.rest },
        { name: 'icap', port: v.ports.icap },
      ],
      podTemplate: (pods) =>
        opswatPodTemplate(
          render,
          {
            identity,
            component: COMPONENT,
            values: v,
            containerName: 'md-icapsrv',
            serviceAccountName,
            configMapName,
            configChecksum: render.checksum(envData, { name: `${identity.props.templatePrefix}.envChecksum` }),
            secrets,
            database,
            env: [
              fieldEnv('MDICAPSRV_INSTANCE_NAME', 'metadata.name'),
              fieldEnv('MY_POD_NAMESPACE', 'metadata.namespace'),
              ...render.itemsIf(v.licensing.cleanup, [{ name: 'LICENSING_CLEANUP', value: 'true' }]),
              ...featureEnv,
              ...render.itemsIf(trusted.certificates, [{ name: 'ICAP_TRUST_CERTS_PATH', value: trusted.mountPath }]),
              ...render.itemsIf(v.configImport.enabled, [
                { name: 'IMPORT_CONF_FILE', value: configImported.path },
                { name: 'IMPORT_CONF_FILE_TARGET', value: render.json(v.configImport.targets) },
              ]),
              ...configImported.env,
            ],
            podLabels: vendorSelector.podLabels,
            ports: [
              { name: 'rest', containerPort: v.ports.rest, protocol: 'TCP' },
              { name: 'icap', containerPort: v.ports.icap, protocol: 'TCP' },
              ...render.itemsIf(tls.icaps.enabled, [{ name: 'icaps', containerPort: v.ports.icaps, protocol: 'TCP' }]),
              ...render.itemsIf(v.nginx.enabled, [{ name: 'nginx', containerPort: v.ports.nginx, protocol: 'TCP' }]),
              ...render.itemsIf(nginxsOn, [{ name: 'nginxs', containerPort: v.ports.nginxs, protocol: 'TCP' }]),
            ],
            probe: { port: 'rest', scheme: restScheme },
            volumeMounts: [
              ...render.itemsIf(tls.https.enabled, [{ name: 'https-tls', mountPath: certDir.https, readOnly: true }]),
              ...render.itemsIf(tls.icaps.enabled, [{ name: 'icaps-tls', mountPath: certDir.icaps, readOnly: true }]),
              ...render.itemsIf(nginxsOn, [{ name: 'nginxs-tls', mountPath: certDir.nginxs, readOnly: true }]),
              ...render.itemsIf(trusted.certificates, [{ name: 'trusted-certificates', mountPath: trusted.mountPath, readOnly: true }]),
              ...configImported.volumeMounts,
              ...productData.volumeMounts,
            ],
            volumes: [
              ...render.itemsIf(tls.https.enabled, [tlsVolumeOf('https')]),
              ...render.itemsIf(tls.icaps.enabled, [tlsVolumeOf('icaps')]),
              ...render.itemsIf(nginxsOn, [tlsVolumeOf('nginxs')]),
              ...render.itemsIf(trusted.certificates, [
                {
                  name: 'trusted-certificates',
                  projected: {
                    // CA certificates are public: readable by every user of the pod.
                    defaultMode: 0o444,
                    sources: render.each(trusted.certificates, (c) => ({ secret: { name: c.secret, items: [{ key: c.key, path: `${c.secret}-${c.key}` }] } })),
                  },
                },
              ]),
              ...configImported.volumes,
              ...productData.volumes,
            ],
            sidecars: render.itemsIf(v.deactivation.sidecar.enabled, [
              {
                name: 'deactivation',
                image: v.deactivation.sidecar.image,
                imagePullPolicy: v.image.pullPolicy,
                ...render.fieldsIf(v.deactivation.sidecar.command, { command: v.deactivation.sidecar.command }),
                envFrom: [{ configMapRef: { name: configMapName } }],
                env: [...secrets.env().filter((e) => e.name === OPSWAT_SECRET_ENV.apiKey || e.name === OPSWAT_SECRET_ENV.license), fieldEnv('MDICAPSRV_INSTANCE_NAME', 'metadata.name')],
                resources: { requests: { cpu: '10m', memory: '32Mi' }, limits: { cpu: '100m', memory: '64Mi' } },
                securityContext: identity.securityContextValue(v.securityContext),
              },
            ]),
          },
          pods,
        ),
    });

    const port = (portName: string, number: ValueOrConstant<number>, nodePort: ValueOrConstant<number>) => servicePort(render, portName, number, v.service.type, nodePort);
    this.service = { name, ports: { rest: v.ports.rest, icap: v.ports.icap, icaps: v.ports.icaps }, selector: workload.serviceSelector };
    this.secrets = {
      credentials: secretHandle(secrets.credentials, ['user', 'password']),
      apiKey: secretHandle(secrets.apiKey, ['value']),
      license: secretHandle(secrets.license, ['value']),
      database: secretHandle(database.credentials, ['user', 'password']),
    };
    this.workload = { name, serviceAccountName, podSelector: identity.selector(COMPONENT) };
    new KubeObject(this, 'Service', {
      apiVersion: 'v1',
      kind: 'Service',
      metadata: identity.meta('md-icapsrv', COMPONENT, { extraAnnotations: v.service.annotations }),
      spec: {
        type: v.service.type,
        ...sessionAffinitySpec(render, v.service),
        selector: workload.serviceSelector,
        ports: [
          port('rest', v.ports.rest, v.service.nodePorts.rest),
          port('icap', v.ports.icap, v.service.nodePorts.icap),
          ...render.itemsIf(tls.icaps.enabled, [port('icaps', v.ports.icaps, v.service.nodePorts.icaps)]),
        ],
      },
    });

    new RestIngress(this, 'Ingress', { identity, component: COMPONENT, name: 'icap-ingress', serviceName: name, portName: 'rest', values: v.ingress });
    new Autoscaler(this, 'Autoscaler', { identity, component: COMPONENT, name: 'md-icapsrv', values: v.autoscaling });
    new DisruptionBudget(this, 'DisruptionBudget', { identity, component: COMPONENT, name: 'md-icapsrv', values: v.podDisruptionBudget });
    new IngressPolicy(this, 'NetworkPolicy', {
      identity,
      name: 'md-icapsrv',
      component: COMPONENT,
      podSelector: identity.selector(COMPONENT),
      // Named ports: one the pods do not have (nginx off, say) opens nothing.
      ports: ['rest', 'icap', 'icaps', 'nginx', 'nginxs'],
      values: v.networkPolicy,
      openWhenFromEmpty: true,
    });
    new DatabaseCleanup(this, 'DatabaseCleanup', {
      identity,
      component: COMPONENT,
      name: 'mdicapsrv-db-cleanup',
      database: v.database,
      host: database.host,
      credentialsSecret: database.credentials.secretName,
      values: v.databaseCleanup,
      pod: v,
    });
  }
}

/** Where the server keeps its data (the vendor chart's persistent path). */
const ICAP_DATA_DIR = '/opt/mdicapsrv/icap_data/var/lib/mdicapsrv';

/**
 * http_proxy, https_proxy and NO_PROXY. A user and password go into the URL through Kubernetes' $(VAR)
 * expansion of PROXY_PASSWORD, read from the Secret, so no manifest holds the password.
 */
function proxyEnv(scope: Construct, settings: SettingsSecret, proxy: ValueTree<MdIcapsrvValues['proxy']>): EnvVar[] {
  const render = Render.of(scope);
  const password = proxyPassword(scope, settings, proxy);
  // Written once (a named template in a Helm chart): both URLs carry it.
  const userinfo = render.sharedText(`${settings.templatePrefix}.proxyUserinfo`, {}, () =>
    render.ifElse(proxy.username, render.ifElse(password.given, `${proxy.username}:$(${MDICAPSRV_SECRET_ENV.proxyPassword})@`, `${proxy.username}@`), ''),
  );
  const httpsHost = render.coalesce(proxy.https.host, proxy.host);
  const httpsPort = render.ifElse(proxy.https.port, proxy.https.port, proxy.port);
  return [
    ...render.itemsIf(password.given, [{ name: MDICAPSRV_SECRET_ENV.proxyPassword, valueFrom: password.ref }]),
    ...render.itemsIf(proxy.enabled, [
      { name: 'http_proxy', value: `http://${userinfo}${proxy.host}:${render.str(proxy.port)}` },
      { name: 'https_proxy', value: `http://${userinfo}${httpsHost}:${render.str(httpsPort)}` },
      { name: 'NO_PROXY', value: proxy.noProxy },
    ]),
  ];
}

/** The `helm test` hook: the ICAP port of the Service accepts connections. */
export class MdIcapsrvTest extends Construct {
  constructor(scope: Construct, id: string, props: MdIcapsrvProps = {}) {
    super(scope, id);
    const { v, identity } = openProduct(this, mdIcapsrvInfo, props);
    new PortCheckTest(this, 'PortCheck', { identity, name: 'md-icapsrv-test', host: identity.name('md-icapsrv'), port: v.ports.icap, image: v.tests.image });
  }
}

export const mdIcapsrvChart = defineChart({
  name: mdIcapsrvInfo.name,
  schema: mdIcapsrvInfo.schema,
  metadata: {
    version: mdIcapsrvInfo.chartVersion,
    changes: [
      CREDENTIALS_IN_CLUSTER,
      DATABASE_NETWORK_POLICY,
      ...CHANGES_0_2_0,
      { kind: 'added', description: 'The features of OPSWAT\'s icap chart as typed values: OLMS, outbound proxy, trusted CA certificates, configuration import, ignition, data retention, database clean-up CronJob, persistence, extra volumes and init containers; secrets only in Secrets.' },
      { kind: 'added', description: 'compatibility.vendorSelectors / vendorDatabaseLayout and `chart-as-code convert-values` to replace a release of OPSWAT\'s chart in place.' },
    ],
    appVersion: ICAP_IMAGE_TAG,
    description: 'MetaDefender ICAP Server: ICAP/ICAPS scanning service with licence activation, licensing clean-up and optional in-cluster Postgres.',
    kubeVersion: '>=1.30.0-0',
    category: 'security',
    home: 'https://www.opswat.com/products/metadefender/icap',
    sources: ['https://github.com/OPSWAT/metadefender-k8s'],
    maintainers: [{ name: 'Platform Team', email: 'platform@example.com' }],
    keywords: ['opswat', 'metadefender', 'icap', 'antivirus'],
    readmeIntro: `Each pod activates one licence on start (LICENSE_KEY from \`mdicapsrv-license-key\`) and
deactivates it on SIGTERM: the pod's grace period is \`deactivation.drainSeconds + deactivation.shutdownSeconds\`.
With \`licensing.cleanup\` the server records its activation in the pre-created Secret \`mdicap-licensing\` so
activations of pods killed without SIGTERM can be cleaned up; its Role may only read and update that one
Secret and read pods (\`licensing.vendorRules: true\` restores the vendor's broad rules).

Passwords and the API key you do not give are generated once, inside the cluster, by the Job
\`mdicapsrv-credentials-<hash>\` (it may only read and patch \`mdicapsrv-cred\`, \`mdicapsrv-api-key\` and
\`mdicapsrv-postgres-cred\`): nothing random is rendered, so \`helm template\`, Argo CD and Flux see the same
manifests every time, and no upgrade, sync or re-apply ever changes a generated value. The Secrets are kept on
uninstall. With \`*.existingSecret\` the chart creates no Secret and references yours.`,
    notes: `MetaDefender ICAP Server {{ .Chart.AppVersion }} is deployed as {{ .Release.Name }} in {{ .Release.Namespace }}.

ICAP:  {{ printf "%smd-icapsrv" .Values.namePrefix }}.{{ .Release.Namespace }}.svc:{{ .Values.ports.icap }}
REST:  {{ printf "%smd-icapsrv" .Values.namePrefix }}.{{ .Release.Namespace }}.svc:{{ .Values.ports.rest }}
{{- if not .Values.acceptEula }}

WARNING: acceptEula is false; the server will not start until you accept the EULA (--set acceptEula=true).
{{- end }}
{{- if and (not .Values.license.key) (not .Values.license.existingSecret) }}

WARNING: no licence key given. Pods wait until Secret {{ printf "%smdicapsrv-license-key" .Values.namePrefix }} (key "value") exists:
  kubectl -n {{ .Release.Namespace }} create secret generic {{ printf "%smdicapsrv-license-key" .Values.namePrefix }} --from-literal=value=<KEY>
{{- end }}
`,
  },
  build: (scope, values) => new MdIcapsrv(scope, CHART, values),
  tests: (scope, values) => new MdIcapsrvTest(scope, `${CHART}-test`, values),
});

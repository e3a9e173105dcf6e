import { Construct } from 'constructs';
import { defineChart } from '../../core/chart';
import { Render, ValueOrConstant, Value, ValueTree } from '../../core/template';
import { ProductInfo, openProduct } from '../../constructs/identity';
import { opswatProductBase, opswatPodTemplate } from '../../constructs/opswat';
import { ScanSlotScaler } from '../../constructs/keda';
import { configImport, ignitionEnv, olmsEnv, productDataVolume, proxyPassword, SETTINGS_KEYS, SettingsSecret } from '../../constructs/opswat-features';
import { EnvVar, fieldEnv } from '../../constructs/pod';
import { compatibleSelector } from '../../constructs/vendor-compat';
import { SecretHandle, secretHandle, ServiceHandle, WorkloadHandle } from '../../constructs/handles';
import { Autoscaler, DisruptionBudget, RestIngress, servicePort, sessionAffinitySpec } from '../../constructs/product';
import { PortCheckTest } from '../../constructs/test-hook';
import { IngressPolicy } from '../../constructs/network-policy';
import { tlsVolume } from '../../constructs/tls';
import { HotBackup } from '../../constructs/hot-backup';
import { UpgradableDeployment } from '../../constructs/upgradable-deployment';
import { CORE_IMAGE_TAG, MDCORE_SECRET_ENV, mdCoreValues, MdCoreValues, MdCoreValuesInput } from './values';
import { KubeObject } from '../../core/kube-object';
import { CHANGES_0_2_0, CREDENTIALS_IN_CLUSTER, DATABASE_NETWORK_POLICY } from '../changes';

export * from './values';

const CHART = 'md-core';
const CHART_VERSION = '0.2.0';
const COMPONENT = 'core';

/** Props of MdCore: exactly the chart's values (all optional, defaults as in values.yaml). */
export type MdCoreProps = MdCoreValuesInput | ValueTree<MdCoreValues>;

/** What the MdCore component is, in its own chart or composed into another. */
export const mdCoreInfo: ProductInfo<typeof mdCoreValues> = { name: CHART, chartVersion: CHART_VERSION, partOf: 'metadefender', schema: mdCoreValues, version: (v) => v.image.tag };

/**
 * MetaDefender Core: Deployment `md-core` (or blue/green slots), Service `md-core`, ConfigMap
 * `mdcore-env` with the upgrade variables, the product Secrets, licensing clean-up RBAC, the database
 * `postgres-core` with its claim, and the upgrade strategies including the hot-backup Jobs; and what
 * OPSWAT's own chart offers besides: health thresholds, OLMS, the outbound proxy, configuration import,
 * ignition JSON, TLS settings, the storage path on a claim, KEDA scaling on scan slots, and the selectors
 * of a release of that chart taken over in place (secret settings in `mdcore-settings`).
 */
export class MdCore extends Construct {
  /** Name of the Service that serves the live version. */
  /** Name of the Service clients connect to. */
  public readonly serviceName: Value<string>;
  /** The Service: its name, ports and the selector of the serving pods. */
  public readonly service: ServiceHandle;
  /** Its Secrets: admin credentials (user, password), API key (value), licence key (value), database credentials (user, password). */
  public readonly secrets: { readonly credentials: SecretHandle; readonly apiKey: SecretHandle; readonly license: SecretHandle; readonly database: SecretHandle };
  /** Its Deployment, ServiceAccount and pods. */
  public readonly workload: WorkloadHandle;

  constructor(scope: Construct, id: string, props: MdCoreProps = {}) {
    super(scope, id);
    const { render, v, identity } = openProduct(this, mdCoreInfo, props);
    const name = identity.name('md-core');
    this.serviceName = name;

    const { secrets, database, serviceAccountName, licensing } = opswatProductBase(this, {
      identity,
      component: COMPONENT,
      prefix: 'mdcore',
      databaseName: 'postgres-core',
      values: v,
    });

    const configMapName = identity.name('mdcore-env');
    const envData: Record<string, ValueOrConstant<string>> = {
      ACCEPT_EULA: render.str(v.acceptEula),
      ACTIVATION_SERVER: v.activationServer,
      REST_PORT: render.str(v.ports.rest),
      MDCORE_REST_PORT: render.str(v.ports.rest),
      MDCORE_DB_MODE: '4',
      MDCORE_DB_TYPE: 'remote',
      MDCORE_DB_HOST: database.host,
      MDCORE_DB_PORT: render.str(database.port),
      MDCORE_UPGRADE_FROM_DB_NAME: v.upgrade.fromDbName,
      UPGRADE_DB: render.str(v.upgrade.upgradeDb),
      MIGRATE_HISTORY: render.str(v.upgrade.migrateHistory),
      RETRY_UPGRADE: render.str(v.upgrade.retryUpgrade),
      LICENSING_CLEANUP: render.str(v.licensing.cleanup),
      CUSTOM_SECRET: licensing.secretName,
      HTTPS_CERT_PATH: CERT_DIR,
      HTTPS_SSL_PROTOCOLS: render.json(v.tls.https.protocols),
      MDCORE_CERT_PATH: CERT_DIR,
      MDCORE_SSL_PROTOCOLS: v.tls.sslProtocols,
      MDCORE_SSL_ADVANCED_CONFIGS: v.tls.sslAdvancedConfigs,
      MDCORE_HEALTH_CHECK: render.str(v.healthCheck.enabled),
      MDCORE_QUEUE_THRESHOLD: render.str(v.healthCheck.queueThreshold),
      MDCORE_MINIMUM_NUMBER_AV: render.str(v.healthCheck.minimumAvEngines),
      MDCORE_REQUIRED_ENGINES: v.healthCheck.requiredEngines,
      MDCORE_REQUIRED_ENGINES_THRESHOLD: render.ifElse(v.healthCheck.requiredEnginesThreshold, render.json(v.healthCheck.requiredEnginesThreshold), ''),
      MDCORE_DISK_SPACE_THRESHOLD: render.str(v.healthCheck.diskSpaceThreshold),
      MDCORE_LICENSE_COMMENT: v.licenseComment,
      STORAGE_PATH: v.storagePath,
      CORE_CONF_JSON: render.json(v.config),
    };
    new KubeObject(this, 'Env', {
      apiVersion: 'v1',
      kind: 'ConfigMap',
      metadata: identity.meta('mdcore-env', COMPONENT),
      data: envData,
    });

    const scheme = render.ifElse(v.tls.https.enabled, 'HTTPS', 'HTTP');
    const settings = new SettingsSecret(this, identity, COMPONENT, 'mdcore-settings');
    const configImported = configImport(this, settings, v.configImport, MDCORE_SECRET_ENV.configImportPassword);
    const passphrase = v.tls.certPassphrase;
    const featureEnv = [
      ...olmsEnv(this, settings, v.olms),
      ...proxyEnv(this, settings, v.proxy),
      ...ignitionEnv(this, settings, v.ignition),
      ...render.itemsIf(v.configImport.enabled, [{ name: 'MDCORE_CONFIG_IMPORT_FILE', value: configImported.path }]),
      ...render.itemsIf(render.and(v.configImport.enabled, v.configImport.forceUpdateYara), [{ name: 'MDCORE_IMPORT_FORCE_UPDATE_YARA', value: 'true' }]),
      ...configImported.env,
      ...render.itemsIf(render.or(passphrase.value, passphrase.existingSecret), [
        { name: MDCORE_SECRET_ENV.certPassphrase, valueFrom: settings.ref(SETTINGS_KEYS.certPassphrase, { value: passphrase.value, enabled: true, existingSecret: passphrase.existingSecret }) },
      ]),
    ];
    settings.build('Settings');
    const productData = productDataVolume(this, identity, COMPONENT, 'md-core-storage', v.persistence, v.storagePath);
    const vendorSelector = compatibleSelector(render, v.compatibility.vendorSelectors, name, identity.selector(COMPONENT));

    const workload = new UpgradableDeployment(this, 'Workload', {
      identity,
      component: COMPONENT,
      name: 'md-core',
      strategy: v.strategy,
      replicas: v.replicaCount,
      autoscaled: render.or(v.autoscaling.enabled, v.keda.enabled),
      imageTag: v.image.tag,
      imageDigest: v.image.digest,
      selector: vendorSelector.selector,
      slotPorts: [{ name: 'rest', port: v.ports.rest }],
      podTemplate: (pods) =>
        opswatPodTemplate(
          render,
          {
            identity,
            component: COMPONENT,
            values: v,
            containerName: 'md-core',
            serviceAccountName,
            configMapName,
            configChecksum: render.checksum(envData, { name: `${identity.props.templatePrefix}.envChecksum` }),
            secrets,
            database,
            env: [fieldEnv('MD_INSTANCE_NAME', 'metadata.name'), fieldEnv('MY_POD_NAME', 'metadata.name'), fieldEnv('MY_POD_NAMESPACE', 'metadata.namespace'), ...featureEnv],
            podLabels: vendorSelector.podLabels,
            ports: [{ name: 'rest', containerPort: v.ports.rest, protocol: 'TCP' }],
            probe: { port: 'rest', scheme },
            // A history migration can run for hours: a liveness probe would kill it (vendor pre-step).
            withoutLiveness: v.upgrade.migrateHistory,
            volumeMounts: [
              ...render.itemsIf(v.tls.https.enabled, [{ name: 'https-tls', mountPath: CERT_DIR, readOnly: true }]),
              ...configImported.volumeMounts,
              ...productData.volumeMounts,
            ],
            volumes: [...render.itemsIf(v.tls.https.enabled, [tlsVolume('mdcore', 'https', v.tls.https, v.tls.fileMode)]), ...configImported.volumes, ...productData.volumes],
          },
          pods,
        ),
    });

    this.service = { name, ports: { rest: v.ports.rest }, selector: workload.serviceSelector };
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
      metadata: identity.meta('md-core', COMPONENT, { extraAnnotations: v.service.annotations }),
      spec: {
        type: v.service.type,
        ...sessionAffinitySpec(render, v.service),
        selector: workload.serviceSelector,
        ports: [servicePort(render, 'rest', v.ports.rest, v.service.type, v.service.nodePort)],
      },
    });

    new HotBackup(this, 'HotBackup', {
      identity,
      component: COMPONENT,
      name: 'md-core',
      service: name,
      workload,
      port: v.ports.rest,
      scheme,
      tls: v.tls.https,
      apiKeySecret: secrets.apiKey.secretName,
      credentialsSecret: secrets.credentials.secretName,
      values: v.hotBackup,
      enabled: v.hotBackup.enabled,
    });

    new RestIngress(this, 'Ingress', { identity, component: COMPONENT, name: 'core-ingress', serviceName: name, portName: 'rest', values: v.ingress });
    new Autoscaler(this, 'Autoscaler', { identity, component: COMPONENT, name: 'md-core', values: v.autoscaling });
    new DisruptionBudget(this, 'DisruptionBudget', { identity, component: COMPONENT, name: 'md-core', values: v.podDisruptionBudget });
    new IngressPolicy(this, 'NetworkPolicy', { identity, name: 'md-core', component: COMPONENT, podSelector: identity.selector(COMPONENT), ports: ['rest'], values: v.networkPolicy, openWhenFromEmpty: true });
    new ScanSlotScaler(this, 'Keda', {
      identity,
      component: COMPONENT,
      name: 'md-core',
      service: name,
      port: v.ports.rest,
      scheme: render.ifElse(v.tls.https.enabled, 'https', 'http'),
      apiKeySecret: secrets.apiKey.secretName,
      values: v.keda,
    });
  }
}

/** Where the REST certificate and key are mounted (MDCORE_CERT_PATH). */
const CERT_DIR = '/https_cert';

/** PROXY, PROXY_HOST, PROXY_PORT, PROXY_USER, PROXY_PWD (from the Secret) and PROXY_EXCLUSION. */
function proxyEnv(scope: Construct, settings: SettingsSecret, proxy: ValueTree<MdCoreValues['proxy']>): EnvVar[] {
  const render = Render.of(scope);
  const password = proxyPassword(scope, settings, proxy);
  return [
    ...render.itemsIf(proxy.enabled, [
      { name: 'PROXY', value: 'true' },
      { name: 'PROXY_HOST', value: proxy.host },
      { name: 'PROXY_PORT', value: render.str(proxy.port) },
      { name: 'PROXY_USER', value: proxy.username },
      { name: 'PROXY_EXCLUSION', value: proxy.exclusions },
    ]),
    ...render.itemsIf(password.given, [{ name: MDCORE_SECRET_ENV.proxyPassword, valueFrom: password.ref }]),
  ];
}

/** The `helm test` hook: the REST port of the Service accepts connections. */
export class MdCoreTest extends Construct {
  constructor(scope: Construct, id: string, props: MdCoreProps = {}) {
    super(scope, id);
    const { v, identity } = openProduct(this, mdCoreInfo, props);
    new PortCheckTest(this, 'PortCheck', { identity, name: 'md-core-test', host: identity.name('md-core'), port: v.ports.rest, image: v.tests.image });
  }
}

export const mdCoreChart = defineChart({
  name: mdCoreInfo.name,
  schema: mdCoreInfo.schema,
  metadata: {
    version: mdCoreInfo.chartVersion,
    changes: [
      CREDENTIALS_IN_CLUSTER,
      DATABASE_NETWORK_POLICY,
      ...CHANGES_0_2_0,
      { kind: 'added', description: 'The features of OPSWAT\'s mdcore chart as typed values: OLMS, outbound proxy, configuration import, ignition, health thresholds, TLS settings, storage path, KEDA scaling on scan slots, HPA metrics and behavior; secrets only in Secrets.' },
      { kind: 'added', description: 'compatibility.vendorSelectors / vendorDatabaseLayout and `chart-as-code convert-values` to replace a release of OPSWAT\'s chart in place.' },
      { kind: 'fixed', description: 'Hot backup: the import Job reaches the new live slot through a Service of that slot alone (md-core-blue / md-core-green), never the old slot.' },
      { kind: 'security', description: 'Hot backup: the API key and password reach curl on its stdin from a Secret volume, never in its arguments or env; over HTTPS the REST certificate is verified (hotBackup.tls: the certificate itself, a CA Secret, or insecureSkipVerify).' },
      { kind: 'changed', description: 'The in-cluster database image postgres:14, a tag that moves to each new 14.x, is pinned to postgres:14.20.' },
    ],
    appVersion: CORE_IMAGE_TAG,
    description: 'MetaDefender Core: multi-engine file scanning with its database, licence activation and rolling, recreate or blue-green upgrades.',
    kubeVersion: '>=1.30.0-0',
    category: 'security',
    home: 'https://www.opswat.com/products/metadefender/core',
    sources: ['https://github.com/OPSWAT/metadefender-k8s'],
    maintainers: [{ name: 'Platform Team', email: 'platform@example.com' }],
    keywords: ['opswat', 'metadefender', 'core', 'antivirus', 'blue-green'],
    readmeIntro: `Upgrades follow \`strategy.type\`:

- **RollingUpdate** (default): new pods take traffic only when ready; \`maxSurge 0, maxUnavailable 1\`
  needs no extra licence activation. Roll back with \`helm rollback\` (or \`kubectl rollout undo
  deployments/md-core\` for raw manifests): the previous image and \`mdcore-env\` come back.
- **Recreate**: every old pod stops before the new version starts. Required with
  \`upgrade.migrateHistory=true\`, which also drops the liveness probe while the migration runs; make
  sure the database has room for a second copy of the history first.
- **BlueGreen**: two Deployments \`md-core-blue\` and \`md-core-green\`, each with its own image tag and
  replicas. \`md-core\` serves \`strategy.blueGreen.activeSlot\`, \`md-core-preview\` the other slot, so a
  new version is tested before \`helm upgrade --reuse-values --set strategy.blueGreen.activeSlot=green\`
  switches traffic. Both slots hold licence activations while they run: scale the idle one to 0 after
  the switch. Roll back by switching \`activeSlot\` back.
- **BlueGreen with hot backup** (\`hotBackup.enabled\`): a pre-upgrade Job exports the configuration of
  the live slot (\`GET /admin/export/v2\`) to a claim, a post-upgrade Job imports it into the new live slot
  once ready (\`POST /admin/import/v2\`); API key and password come from the Secrets, as files handed to curl
  on its stdin. Over HTTPS the Jobs verify the REST certificate: by default it is trusted itself
  (\`tls.https.certSecret\`), or the CA in \`hotBackup.tls.caSecret\`; it must name the Services the Jobs call
  (\`md-core\`, \`md-core-blue\`, \`md-core-green\`), else set \`hotBackup.tls.insecureSkipVerify\`.

Set \`upgrade.upgradeDb=true\` (and \`upgrade.fromDbName\`) when the new version must migrate the database.`,
    notes: `MetaDefender Core {{ .Chart.AppVersion }} is deployed as {{ .Release.Name }} in {{ .Release.Namespace }}.

REST:  {{ printf "%smd-core" .Values.namePrefix }}.{{ .Release.Namespace }}.svc:{{ .Values.ports.rest }}
{{- if eq .Values.strategy.type "BlueGreen" }}
Live slot: {{ .Values.strategy.blueGreen.activeSlot }}; preview: {{ printf "%smd-core-preview" .Values.namePrefix }}.{{ .Release.Namespace }}.svc:{{ .Values.ports.rest }}
Both slots use licence activations while they run.
{{- end }}
{{- if not .Values.acceptEula }}

WARNING: acceptEula is false; the server will not start until you accept the EULA (--set acceptEula=true).
{{- end }}
{{- if and (not .Values.license.key) (not .Values.license.existingSecret) }}

WARNING: no licence key given. Pods wait until Secret {{ printf "%smdcore-license-key" .Values.namePrefix }} (key "value") exists.
{{- end }}
`,
  },
  build: (scope, values) => new MdCore(scope, CHART, values),
  tests: (scope, values) => new MdCoreTest(scope, `${CHART}-test`, values),
});

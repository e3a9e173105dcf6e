/**
 * The features of OPSWAT's own charts, done here (issue 16), asserted on the rendered objects: the env vars
 * the products read, the volumes, the objects, and that every secret value is read from a Secret (given
 * values in a Secret the chart creates only when given, or the user's existingSecret) and never sits in a
 * ConfigMap.
 */
import { describe, expect, it } from 'vitest';
import { parseValues, ValuesError } from '../lib/core/schema';
import { CRON_SCHEDULE } from '../lib/constructs/features/database-cleanup';
import { mdCoreChart, mdCoreValues } from '../lib/systems/md-core';
import { mdIcapsrvChart, mdIcapsrvValues } from '../lib/systems/md-icapsrv';
import { Obj, RELEASE, renderSystem } from './support/render';

const icap = (values: unknown = {}) => renderSystem(mdIcapsrvChart, values);
const core = (values: unknown = {}) => renderSystem(mdCoreChart, values);
const decode = (s: string) => Buffer.from(s, 'base64').toString('utf8');

type Rendering = ReturnType<typeof icap>;

function main(r: Rendering, name: string): any {
  return r.get('Deployment', name).spec.template.spec.containers.find((c: any) => c.name === name);
}
function env(r: Rendering, name: string): Record<string, any> {
  return Object.fromEntries(main(r, name).env.map((e: any) => [e.name, e.value ?? e.valueFrom]));
}
const secretRef = (name: string, key: string) => ({ secretKeyRef: { name, key } });

/** Every value of every ConfigMap, to check no secret lands in one. */
function configMapText(r: Rendering): string {
  return r.all('ConfigMap').map((c) => JSON.stringify(c.data ?? {})).join('\n');
}

function rejects(schema: typeof mdIcapsrvValues | typeof mdCoreValues, values: unknown): ValuesError {
  try {
    parseValues('x', schema, values);
  } catch (e) {
    if (e instanceof ValuesError) return e;
    throw e;
  }
  throw new Error(`accepted ${JSON.stringify(values)}`);
}

const olmsBase = { enabled: true, hostUrl: 'https://olms.example.com', restPort: 8000, socketPort: 3000 };

describe('OLMS licence server', () => {
  it('is off by default: no OLMS env, no OLMS Secret', () => {
    for (const [r, name] of [[icap(), 'md-icapsrv'], [core(), 'md-core']] as const) {
      expect(Object.keys(env(r, name)).filter((k) => k.startsWith('OLMS_'))).toEqual([]);
      expect(r.all('Secret').map((s) => s.metadata.name).filter((n) => n.endsWith('-settings'))).toEqual([]);
    }
  });

  it('sets the OLMS env, the token and proxy password from the chart-created settings Secret (never a ConfigMap)', () => {
    const r = icap({ olms: { ...olmsBase, rule: 'Scanners', comment: 'eu', token: 'TOKEN-1', proxy: { enabled: true, server: 'proxy.internal', port: 3128, type: 'http', username: 'svc', password: 'PROXY-PW' } } });
    const e = env(r, 'md-icapsrv');
    expect(e).toMatchObject({
      OLMS_HOST_URL: 'https://olms.example.com',
      OLMS_REST_PORT: '8000',
      OLMS_SOCKET_PORT: '3000',
      OLMS_RULE: 'Scanners',
      OLMS_COMMENT: 'eu',
      OLMS_USE_PROXY: 'true',
      OLMS_PROXY_SERVER: 'proxy.internal',
      OLMS_PROXY_PORT: '3128',
      OLMS_PROXY_TYPE: 'http',
      OLMS_PROXY_USERNAME: 'svc',
      OLMS_TOKEN: secretRef('mdicapsrv-settings', 'olmsToken'),
      OLMS_PROXY_PASSWORD: secretRef('mdicapsrv-settings', 'olmsProxyPassword'),
    });
    // The product reads OLMS_PROXY_TYPE; the vendor chart's OLMS_PROXY_PROXY_TYPE is not repeated.
    expect(e.OLMS_PROXY_PROXY_TYPE).toBeUndefined();
    const secret = r.get('Secret', 'mdicapsrv-settings');
    expect(Object.keys(secret.data).sort()).toEqual(['olmsProxyPassword', 'olmsToken']);
    expect(decode(secret.data.olmsToken)).toBe('TOKEN-1');
    expect(decode(secret.data.olmsProxyPassword)).toBe('PROXY-PW');
    expect(configMapText(r)).not.toMatch(/TOKEN-1|PROXY-PW/);
  });

  it('reads an existing Secret and creates none; md-core also gets OLMS_CONNECTION_TYPE', () => {
    const r = core({ olms: { ...olmsBase, connectionType: 'socket', existingSecret: 'olms' } });
    expect(r.find('Secret', 'mdcore-settings')).toBeUndefined();
    expect(env(r, 'md-core')).toMatchObject({ OLMS_TOKEN: secretRef('olms', 'olmsToken'), OLMS_CONNECTION_TYPE: 'socket', OLMS_USE_PROXY: 'false' });
    expect(env(r, 'md-core').OLMS_PROXY_SERVER).toBeUndefined();
  });

  it('refuses incomplete settings, naming the value', () => {
    expect(rejects(mdIcapsrvValues, { olms: { enabled: true, token: 't' } }).message).toContain('olms.hostUrl');
    expect(rejects(mdCoreValues, { olms: { ...olmsBase } }).message).toContain('olms.token: give olms.token or olms.existingSecret');
    expect(rejects(mdIcapsrvValues, { olms: { ...olmsBase, token: 't', proxy: { enabled: true } } }).message).toContain('olms.proxy.server');
    expect(rejects(mdIcapsrvValues, { olms: { ...olmsBase, token: 't', proxy: { enabled: true, server: 'p', port: 1, username: 'u' } } }).message).toContain('olms.proxy.password');
    expect(rejects(mdIcapsrvValues, { olms: { ...olmsBase, hostUrl: 'https://user:pw@olms' } }).message).toContain('olms.hostUrl');
    expect(rejects(mdIcapsrvValues, { olms: { restPort: 70000 } }).message).toContain('olms.restPort');
  });
});

describe('outbound proxy', () => {
  it('md-icapsrv: composes the proxy URLs with the password from the Secret by $(VAR) expansion', () => {
    const r = icap({ proxy: { enabled: true, host: 'proxy.internal', port: 3128, username: 'svc', password: 'pa%40ss', noProxy: 'localhost,.svc', https: { host: 'tls-proxy.internal', port: 3129 } } });
    const names = main(r, 'md-icapsrv').env.map((x: any) => x.name);
    // $(PROXY_PASSWORD) expands only to a variable defined before it.
    expect(names.indexOf('PROXY_PASSWORD')).toBeLessThan(names.indexOf('http_proxy'));
    expect(env(r, 'md-icapsrv')).toMatchObject({
      PROXY_PASSWORD: secretRef('mdicapsrv-settings', 'proxyPassword'),
      http_proxy: 'http://svc:$(PROXY_PASSWORD)@proxy.internal:3128',
      https_proxy: 'http://svc:$(PROXY_PASSWORD)@tls-proxy.internal:3129',
      NO_PROXY: 'localhost,.svc',
    });
    expect(decode(r.get('Secret', 'mdicapsrv-settings').data.proxyPassword)).toBe('pa%40ss');
    expect(configMapText(r)).not.toContain('pa%40ss');
  });

  it('md-icapsrv: no credentials without a user, the user\'s Secret when given', () => {
    expect(env(icap({ proxy: { enabled: true, host: '10.1.2.3' } }), 'md-icapsrv')).toMatchObject({ http_proxy: 'http://10.1.2.3:3128', https_proxy: 'http://10.1.2.3:3128', NO_PROXY: 'localhost' });
    const r = icap({ proxy: { enabled: true, host: 'p', username: 'u', existingSecret: 'proxy-cred' } });
    expect(env(r, 'md-icapsrv').PROXY_PASSWORD).toEqual(secretRef('proxy-cred', 'proxyPassword'));
    expect(r.find('Secret', 'mdicapsrv-settings')).toBeUndefined();
  });

  it('md-core: PROXY_* settings, PROXY_PWD from the Secret', () => {
    const r = core({ proxy: { enabled: true, host: 'proxy.internal', port: 3128, username: 'svc', password: 'P W', exclusions: 'localhost,10.0.0.0/8' } });
    expect(env(r, 'md-core')).toMatchObject({
      PROXY: 'true',
      PROXY_HOST: 'proxy.internal',
      PROXY_PORT: '3128',
      PROXY_USER: 'svc',
      PROXY_EXCLUSION: 'localhost,10.0.0.0/8',
      PROXY_PWD: secretRef('mdcore-settings', 'proxyPassword'),
    });
    expect(configMapText(r)).not.toContain('P W');
    expect(env(core(), 'md-core').PROXY).toBeUndefined();
  });

  it('refuses a proxy without host and a user name that cannot go into a URL', () => {
    expect(rejects(mdCoreValues, { proxy: { enabled: true } }).message).toContain('proxy.host');
    expect(rejects(mdIcapsrvValues, { proxy: { enabled: true, host: 'p', username: 'a:b@c' } }).message).toContain('proxy.username');
  });
});

describe('the settings Secret', () => {
  it('holds every secret setting given, one key each, and only those; existingSecret takes a key\'s place', () => {
    const r = core({
      olms: { ...olmsBase, token: 'T', proxy: { enabled: true, server: 'p', port: 1, username: 'u', password: 'OP' } },
      proxy: { enabled: true, host: 'p', password: 'PP' },
      configImport: { enabled: true, source: { name: 'x' }, password: 'CP' },
      ignition: { values: { 'a/b': 'c' } },
      tls: { certPassphrase: { value: 'KP' } },
    });
    const data = r.get('Secret', 'mdcore-settings').data;
    expect(Object.fromEntries(Object.entries(data).map(([k, v]) => [k, decode(v as string)]))).toEqual({
      olmsToken: 'T',
      olmsProxyPassword: 'OP',
      proxyPassword: 'PP',
      configImportPassword: 'CP',
      IGNITION_JSON: '{"a/b":"c"}',
      certPassphrase: 'KP',
    });
    const partly = core({ proxy: { enabled: true, host: 'p', password: 'PP' }, olms: { ...olmsBase, existingSecret: 'olms' } });
    expect(Object.keys(partly.get('Secret', 'mdcore-settings').data)).toEqual(['proxyPassword']);
    // A value given for a feature that is off is not stored.
    expect(core({ proxy: { password: 'PP' } }).find('Secret', 'mdcore-settings')).toBeUndefined();
  });
});

describe('md-icapsrv settings', () => {
  it('mounts private CA certificates and tells the server where (ICAP_TRUST_CERTS_PATH)', () => {
    const r = icap({ trustedCertificates: { certificates: [{ secret: 'corp-ca', key: 'ca.crt' }, { secret: 'partner-ca', key: 'root.pem' }] } });
    const d = r.get('Deployment', 'md-icapsrv').spec.template.spec;
    expect(env(r, 'md-icapsrv').ICAP_TRUST_CERTS_PATH).toBe('/trust_certs');
    expect(main(r, 'md-icapsrv').volumeMounts).toContainEqual({ name: 'trusted-certificates', mountPath: '/trust_certs', readOnly: true });
    const volume = d.volumes.find((v: any) => v.name === 'trusted-certificates');
    expect(volume.projected.defaultMode).toBe(0o444);
    expect(volume.projected.sources).toEqual([
      { secret: { name: 'corp-ca', items: [{ key: 'ca.crt', path: 'corp-ca-ca.crt' }] } },
      { secret: { name: 'partner-ca', items: [{ key: 'root.pem', path: 'partner-ca-root.pem' }] } },
    ]);
    expect(env(icap(), 'md-icapsrv').ICAP_TRUST_CERTS_PATH).toBeUndefined();
  });

  it('imports a configuration file from a ConfigMap at start, with its password from a Secret', () => {
    const r = icap({ configImport: { enabled: true, source: { name: 'icap-settings' }, targets: ['settings', 'policies'], password: 'ZIP-PW' } });
    expect(env(r, 'md-icapsrv')).toMatchObject({
      IMPORT_CONF_FILE: '/opt/opswat/settings_export_package.zip',
      IMPORT_CONF_FILE_TARGET: '["settings","policies"]',
      IMPORT_CONFIG_FILE_PASS: secretRef('mdicapsrv-settings', 'configImportPassword'),
    });
    // Only the file is mounted, so /opt/opswat keeps what the image has there.
    expect(main(r, 'md-icapsrv').volumeMounts).toContainEqual({ name: 'config-import', mountPath: '/opt/opswat/settings_export_package.zip', subPath: 'settings_export_package.zip', readOnly: true });
    const volume = r.get('Deployment', 'md-icapsrv').spec.template.spec.volumes.find((v: any) => v.name === 'config-import');
    expect(volume).toEqual({ name: 'config-import', configMap: { name: 'icap-settings', items: [{ key: 'settings_export_package.zip', path: 'settings_export_package.zip' }] } });
    expect(configMapText(r)).not.toContain('ZIP-PW');
    expect(rejects(mdIcapsrvValues, { configImport: { enabled: true } }).message).toContain('configImport.source.name');
  });

  it('passes the ignition JSON from a Secret', () => {
    const r = icap({ ignition: { values: { 'db/private_user': 'usr_icap', 'db/private_password': 'PRIVATE-PW' } } });
    expect(env(r, 'md-icapsrv').IGNITION_JSON).toEqual(secretRef('mdicapsrv-settings', 'IGNITION_JSON'));
    expect(JSON.parse(decode(r.get('Secret', 'mdicapsrv-settings').data.IGNITION_JSON))).toEqual({ 'db/private_password': 'PRIVATE-PW', 'db/private_user': 'usr_icap' });
    expect(configMapText(r)).not.toContain('PRIVATE-PW');
    const existing = icap({ ignition: { existingSecret: 'stack-configs', existingSecretKey: 'ignition.json' } });
    expect(env(existing, 'md-icapsrv').IGNITION_JSON).toEqual(secretRef('stack-configs', 'ignition.json'));
    expect(existing.find('Secret', 'mdicapsrv-settings')).toBeUndefined();
  });

  it('writes data retention and config file settings into mdicapsrv-env', () => {
    const cm = icap({ dataRetention: { auditHours: 24, historyHours: 720 }, config: { 'internal/sso_cross_instance_enabled': 'true' } }).get('ConfigMap', 'mdicapsrv-env');
    expect(cm.data).toMatchObject({ AUDIT_DATA_RETENTION: '24', HISTORY_DATA_RETENTION: '720', ICAP_CONF_JSON: '{"internal/sso_cross_instance_enabled":"true"}' });
    expect(icap().get('ConfigMap', 'mdicapsrv-env').data).toMatchObject({ AUDIT_DATA_RETENTION: '168', HISTORY_DATA_RETENTION: '168', ICAP_CONF_JSON: '{}' });
  });

  it('keeps the server data on a claim only when asked (nothing mounted otherwise)', () => {
    const r = icap({ persistence: { enabled: true, size: '20Gi' } });
    expect(r.get('PersistentVolumeClaim', 'md-icapsrv-data').spec.resources.requests.storage).toBe('20Gi');
    expect(main(r, 'md-icapsrv').volumeMounts).toContainEqual({ name: 'product-data', mountPath: '/opt/mdicapsrv/icap_data/var/lib/mdicapsrv' });
    expect(r.get('Deployment', 'md-icapsrv').spec.template.spec.volumes).toContainEqual({ name: 'product-data', persistentVolumeClaim: { claimName: 'md-icapsrv-data' } });
    const off = icap();
    expect(off.find('PersistentVolumeClaim', 'md-icapsrv-data')).toBeUndefined();
    expect(main(off, 'md-icapsrv').volumeMounts ?? []).toEqual([]);
  });
});

describe('md-core settings', () => {
  it('writes health thresholds, licence comment, SSL settings, storage path and config file settings into mdcore-env', () => {
    const r = core({
      healthCheck: { queueThreshold: 500, minimumAvEngines: 2, requiredEngines: 'clamav,eset', requiredEnginesThreshold: [{ id: 'clamav', enable: true, threshold: 7 }], diskSpaceThreshold: 10 },
      licenseComment: 'core eu-1',
      tls: { sslProtocols: 'TLSv1.2 TLSv1.3', sslAdvancedConfigs: 'x' },
      storagePath: '/data/core',
      config: { 'global/restaddress': '0.0.0.0' },
    });
    expect(r.get('ConfigMap', 'mdcore-env').data).toMatchObject({
      MDCORE_HEALTH_CHECK: 'true',
      MDCORE_QUEUE_THRESHOLD: '500',
      MDCORE_MINIMUM_NUMBER_AV: '2',
      MDCORE_REQUIRED_ENGINES: 'clamav,eset',
      MDCORE_REQUIRED_ENGINES_THRESHOLD: '[{"enable":true,"id":"clamav","threshold":7}]',
      MDCORE_DISK_SPACE_THRESHOLD: '10',
      MDCORE_LICENSE_COMMENT: 'core eu-1',
      MDCORE_SSL_PROTOCOLS: 'TLSv1.2 TLSv1.3',
      MDCORE_SSL_ADVANCED_CONFIGS: 'x',
      STORAGE_PATH: '/data/core',
      CORE_CONF_JSON: '{"global/restaddress":"0.0.0.0"}',
    });
    expect(rejects(mdCoreValues, { healthCheck: { minimumAvEngines: -1 } }).message).toContain('healthCheck.minimumAvEngines');
    expect(rejects(mdCoreValues, { healthCheck: { requiredEngines: 'clamav, eset' } }).message).toContain('healthCheck.requiredEngines');
    expect(rejects(mdCoreValues, { healthCheck: { requiredEnginesThreshold: [{ id: 'x', enable: true, threshold: 101 }] } }).message).toContain('threshold');
  });

  it('reads the certificate passphrase from a Secret', () => {
    const r = core({ tls: { certPassphrase: { value: 'KEY-PASS' } } });
    expect(env(r, 'md-core').MDCORE_CERT_PASSPHRASE).toEqual(secretRef('mdcore-settings', 'certPassphrase'));
    expect(decode(r.get('Secret', 'mdcore-settings').data.certPassphrase)).toBe('KEY-PASS');
    expect(configMapText(r)).not.toContain('KEY-PASS');
    expect(env(core(), 'md-core').MDCORE_CERT_PASSPHRASE).toBeUndefined();
  });

  it('imports a configuration .zip at start, with its password and YARA force-update', () => {
    const r = core({ configImport: { enabled: true, source: { kind: 'Secret', name: 'core-export' }, password: 'ZIP', forceUpdateYara: true } });
    expect(env(r, 'md-core')).toMatchObject({
      MDCORE_CONFIG_IMPORT_FILE: '/opt/opswat/config.zip',
      MDCORE_IMPORT_FORCE_UPDATE_YARA: 'true',
      MDCORE_CONFIG_IMPORT_PASSWORD: secretRef('mdcore-settings', 'configImportPassword'),
    });
    const volume = r.get('Deployment', 'md-core').spec.template.spec.volumes.find((v: any) => v.name === 'config-import');
    expect(volume.secret).toEqual({ secretName: 'core-export', items: [{ key: 'config.zip', path: 'config.zip' }] });
  });

  it('keeps the storage path on a claim when asked', () => {
    const r = core({ persistence: { enabled: true }, storagePath: '/data/core' });
    expect(r.get('PersistentVolumeClaim', 'md-core-storage')).toBeDefined();
    expect(main(r, 'md-core').volumeMounts).toContainEqual({ name: 'product-data', mountPath: '/data/core' });
  });
});

describe('KEDA on scan slots (md-core)', () => {
  it('renders nothing unless enabled', () => {
    expect(core().objects.filter((o) => o.apiVersion.startsWith('keda.sh/'))).toEqual([]);
  });

  it('polls /stat/nodes with the API key and scales on the used-slot percentage', () => {
    const r = core({ keda: { enabled: true } });
    expect(r.get('TriggerAuthentication', 'md-core-api-auth').spec).toEqual({ secretTargetRef: [{ parameter: 'apiKey', name: 'mdcore-api-key', key: 'value' }] });
    const so = r.get('ScaledObject', 'md-core');
    expect(so.apiVersion).toBe('keda.sh/v1alpha1');
    expect(so.spec).toMatchObject({
      scaleTargetRef: { name: 'md-core' },
      pollingInterval: 30,
      cooldownPeriod: 300,
      minReplicaCount: 1,
      maxReplicaCount: 3,
      advanced: { scalingModifiers: { formula: 'total_slots > 0 ? ((total_slots - available_slots) * 100) / total_slots : 0', target: '80', metricType: 'Value' } },
    });
    const url = `http://md-core.${RELEASE.namespace}.svc.cluster.local:8008/stat/nodes`;
    expect(so.spec.triggers).toEqual(
      [
        ['available_slots', 'statuses.0.scan_queue_details.available_slots'],
        ['total_slots', 'statuses.0.scan_queue_details.total_scan_queue'],
      ].map(([name, valueLocation]) => ({
        type: 'metrics-api',
        name,
        metadata: { url, format: 'json', valueLocation, authMode: 'apiKey', method: 'header', keyParamName: 'apikey', unsafeSsl: 'false' },
        authenticationRef: { name: 'md-core-api-auth' },
      })),
    );
    // KEDA owns the replica count.
    expect(r.get('Deployment', 'md-core').spec.replicas).toBeUndefined();
  });

  it('polls over HTTPS with REST TLS, and the API key of an existing Secret', () => {
    const r = core({ tls: { https: { enabled: true } }, apiKey: { existingSecret: 'my-key' }, keda: { enabled: true } });
    expect(r.get('ScaledObject', 'md-core').spec.triggers[0].metadata.url).toMatch(/^https:\/\/md-core\./);
    expect(r.get('TriggerAuthentication', 'md-core-api-auth').spec.secretTargetRef[0].name).toBe('my-key');
  });

  it('is not combined with the HPA or blue-green', () => {
    expect(rejects(mdCoreValues, { keda: { enabled: true }, autoscaling: { enabled: true } }).message).toContain('keda.enabled: keda and autoscaling');
    expect(rejects(mdCoreValues, { keda: { enabled: true }, strategy: { type: 'BlueGreen' } }).message).toContain('keda.enabled');
  });
});

describe('pods, Services and HPA (both products)', () => {
  it('adds extra init containers after the database wait, extra volumes and mounts after the chart\'s', () => {
    const r = icap({
      extraVolumes: [{ name: 'scratch', emptyDir: {} }],
      extraVolumeMounts: [{ name: 'scratch', mountPath: '/scratch' }],
      extraInitContainers: [{ name: 'fetch', image: 'busybox:1.36', securityContext: { allowPrivilegeEscalation: false, capabilities: { drop: ['ALL'] } } }],
      tls: { https: { enabled: true } },
    });
    const pod = r.get('Deployment', 'md-icapsrv').spec.template.spec;
    expect(pod.initContainers.map((c: any) => c.name)).toEqual(['wait-for-database', 'fetch']);
    expect(pod.volumes.map((v: any) => v.name)).toEqual(['https-tls', 'scratch']);
    expect(main(r, 'md-icapsrv').volumeMounts.map((m: any) => m.name)).toEqual(['https-tls', 'scratch']);
    expect(rejects(mdCoreValues, { extraVolumeMounts: [{ name: 'x', mountPath: 'relative' }] }).message).toContain('extraVolumeMounts.0.mountPath');
  });

  it('sets ClientIP session affinity with its timeout on both Services', () => {
    for (const [r, name] of [[icap({ service: { sessionAffinity: 'ClientIP', sessionAffinityTimeoutSeconds: 600 } }), 'md-icapsrv'], [core({ service: { sessionAffinity: 'ClientIP', sessionAffinityTimeoutSeconds: 600 } }), 'md-core']] as const) {
      expect(r.get('Service', name).spec).toMatchObject({ sessionAffinity: 'ClientIP', sessionAffinityConfig: { clientIP: { timeoutSeconds: 600 } } });
    }
    expect(core().get('Service', 'md-core').spec.sessionAffinityConfig).toBeUndefined();
  });

  it('takes custom HPA metrics and behavior', () => {
    const metrics = [{ type: 'Pods', pods: { metric: { name: 'icap_requests' }, target: { type: 'AverageValue', averageValue: '100' } } }];
    const behavior = { scaleDown: { stabilizationWindowSeconds: 300 } };
    const hpa = icap({ autoscaling: { enabled: true, metrics, behavior } }).get('HorizontalPodAutoscaler', 'md-icapsrv');
    expect(hpa.spec.metrics).toEqual(metrics);
    expect(hpa.spec.behavior).toEqual(behavior);
    const plain = core({ autoscaling: { enabled: true } }).get('HorizontalPodAutoscaler', 'md-core');
    expect(plain.spec.metrics.map((m: any) => m.resource.name)).toEqual(['cpu', 'memory']);
    expect(plain.spec.behavior).toBeUndefined();
  });
});

describe('database clean-up CronJob (md-icapsrv)', () => {
  const r = icap({ databaseCleanup: { enabled: true, sql: "DELETE FROM instances WHERE last_seen < now() - interval '1 day';" } });
  const cron = r.get('CronJob', 'mdicapsrv-db-cleanup');
  const pod = cron.spec.jobTemplate.spec.template.spec;

  it('runs the given SQL with psql on the vendor schedule, never two at once', () => {
    expect(cron.spec).toMatchObject({ schedule: '0 */12 * * *', concurrencyPolicy: 'Forbid', successfulJobsHistoryLimit: 1, failedJobsHistoryLimit: 1 });
    expect(r.get('ConfigMap', 'mdicapsrv-db-cleanup-sql').data['cleanup.sql']).toContain('DELETE FROM instances');
    const c = pod.containers[0];
    expect(c.command).toEqual(['psql', '-v', 'ON_ERROR_STOP=1', '-f', '/etc/db-cleanup/cleanup.sql']);
    expect(Object.fromEntries(c.env.map((e: any) => [e.name, e.value ?? e.valueFrom]))).toEqual({
      PGHOST: 'postgres-mdicapsrv',
      PGPORT: '5432',
      PGDATABASE: 'metadefender_icapsrv',
      PGUSER: secretRef('mdicapsrv-postgres-cred', 'user'),
      PGPASSWORD: secretRef('mdicapsrv-postgres-cred', 'password'),
    });
    // The volume it mounts is declared (the vendor's CronJob mounts one it never declares).
    expect(pod.volumes.map((v: any) => v.name)).toEqual(c.volumeMounts.map((m: any) => m.name));
  });

  it('meets the restricted Pod Security profile', () => {
    expect(pod.securityContext).toMatchObject({ runAsNonRoot: true, seccompProfile: { type: 'RuntimeDefault' } });
    expect(pod.automountServiceAccountToken).toBe(false);
    expect(pod.containers[0].securityContext).toMatchObject({ allowPrivilegeEscalation: false, capabilities: { drop: ['ALL'] }, readOnlyRootFilesystem: true, runAsNonRoot: true });
  });

  it('is not rendered by default, and needs SQL and a valid schedule', () => {
    expect(icap().find('CronJob', 'mdicapsrv-db-cleanup')).toBeUndefined();
    expect(rejects(mdIcapsrvValues, { databaseCleanup: { enabled: true } }).message).toContain('databaseCleanup.sql');
    expect(rejects(mdIcapsrvValues, { databaseCleanup: { enabled: true, sql: ' \n ' } }).message).toContain('databaseCleanup.sql');
    // As Kubernetes' cron parser: days of the week are 0-6, and a range starts at most where it ends (a rule besides the pattern).
    for (const bad of ['61 * * * *', '* * * *', '0 24 * * *', '0 0 32 * *', '*/0 * * * *', 'every day', '0 0 * * 7', '0 0 * * 5-7']) {
      expect(CRON_SCHEDULE.test(bad), bad).toBe(false);
      expect(rejects(mdIcapsrvValues, { databaseCleanup: { schedule: bad } }).message).toContain('databaseCleanup.schedule');
    }
    for (const backwards of ['0 20-08 * * *', '59-5 * * * *', '0 0 1,20-3 * *']) {
      expect(rejects(mdIcapsrvValues, { databaseCleanup: { schedule: backwards } }).message).toContain(`databaseCleanup.schedule: the range ${backwards.split(' ').flatMap((f) => f.split(',')).find((i) => i.includes('-'))} starts after it ends`);
    }
    for (const good of ['0 */12 * * *', '@daily', '*/5 0-6 * * 1,3', '30 2 1 1 0', '0,30 9-17/2 * 1-12 6', '0 08-20 * * *', '5-5 * * * *']) expect(CRON_SCHEDULE.test(good), good).toBe(true);
  });
});

describe('taking over a release of the vendor charts (compatibility.vendorSelectors)', () => {
  const selected = (o: Obj) => o.spec.selector.matchLabels ?? o.spec.selector;

  it('selects pods by app: <name>, as the vendor charts do, and labels the pods with it too', () => {
    for (const [r, name, db] of [
      [icap({ compatibility: { vendorSelectors: true } }), 'md-icapsrv', 'postgres-mdicapsrv'],
      [core({ compatibility: { vendorSelectors: true } }), 'md-core', 'postgres-core'],
    ] as const) {
      for (const workload of [name, db]) {
        const d = r.get('Deployment', workload);
        expect(selected(d)).toEqual({ app: workload });
        expect(d.spec.template.metadata.labels).toMatchObject({ app: workload, 'app.kubernetes.io/name': name });
        expect(selected(r.get('Service', workload))).toEqual({ app: workload });
      }
    }
  });

  it('keeps the standard selectors by default', () => {
    const d = icap().get('Deployment', 'md-icapsrv');
    expect(Object.keys(d.spec.selector.matchLabels).sort()).toEqual(['app.kubernetes.io/component', 'app.kubernetes.io/instance', 'app.kubernetes.io/name']);
    expect(d.spec.template.metadata.labels.app).toBeUndefined();
  });

  it('keeps Postgres data at the root of the vendor\'s claim with vendorDatabaseLayout', () => {
    const r = core({ compatibility: { vendorDatabaseLayout: true }, database: { inCluster: { persistence: { existingClaim: 'postgres-core' } } } });
    const pg = r.get('Deployment', 'postgres-core').spec.template.spec;
    expect(pg.containers[0].env.find((e: any) => e.name === 'PGDATA').value).toBe('/var/lib/postgresql/data');
    expect(pg.volumes).toContainEqual({ name: 'data', persistentVolumeClaim: { claimName: 'postgres-core' } });
    expect(r.find('PersistentVolumeClaim', 'postgres-core')).toBeUndefined();
    expect(core().get('Deployment', 'postgres-core').spec.template.spec.containers[0].env.find((e: any) => e.name === 'PGDATA').value).toBe('/var/lib/postgresql/data/pgdata');
  });

  it('owns the pods\' app label then', () => {
    expect(rejects(mdIcapsrvValues, { compatibility: { vendorSelectors: true }, podLabels: { app: 'x' } }).message).toContain('podLabels.app');
  });
});

/**
 * Vendor-key rules both OPSWAT products share (their charts spell these keys alike): credentials and the
 * literal env that holds them, probes, autoscaling, strategy, resources, image, init containers, claims.
 */
import { equal, isMap, Key, literalEnv, Map, Rule, secretValue, shellWords, splitImage, str, to, toBool, toInt, toStr, VendorValueError } from './engine';

/**
 * The credential rules of a product whose vendor keys are `<prefix>_user`, `<prefix>_password`, ..., and the
 * converters of literal env values of its container (MD_PWD, APIKEY, ... are those credentials) and of its
 * database container (POSTGRES_USER and POSTGRES_PASSWORD are the database's).
 */
export function credentialsOf(prefix: string) {
  const [user, password, apiKey, license] = ['user', 'password', 'api_key', 'license_key'].map((k) => `${prefix}_${k}`) as [string, string, string, string];
  const credentials = credentialRules(prefix, user, password, apiKey, license);
  return {
    credentials,
    literal: literalEnv(prefix, credentials, { MD_USER: user, MD_PWD: password, APIKEY: apiKey, LICENSE_KEY: license, DB_USER: 'db_user', DB_PWD: 'db_password' }),
    // Both PostgreSQL images' names (official POSTGRES_*, Red Hat's POSTGRESQL_*) hold the same two credentials.
    databaseLiteral: literalEnv(prefix, credentials, { POSTGRES_USER: 'db_user', POSTGRES_PASSWORD: 'db_password', POSTGRESQL_USER: 'db_user', POSTGRESQL_PASSWORD: 'db_password', POSTGRESQL_ADMIN_PASSWORD: 'db_password' }),
  };
}

const PLACEHOLDER = /^<[A-Z_]+>$/;

function licenseRule(secret: string): Rule {
  return (k) => {
    if (k.value === '' || k.value === null || (typeof k.value === 'string' && PLACEHOLDER.test(k.value))) {
      k.action(`no licence key set: the pods wait for the Secret ${secret} (key "value").`, {
        command: shellWords(['kubectl', '-n', k.ctx.opts.namespace, 'create', 'secret', 'generic', secret, '--from-file=value=<file holding the licence key>']),
      });
      return;
    }
    secretValue({ secret, key: 'value', existingSecret: 'license.existingSecret', what: 'licence key', vendorSecretExists: true })(k);
  };
}

function credentialRules(prefix: string, userKey: string, passwordKey: string, apiKeyKey: string, licenseKey: string): Record<string, Rule> {
  return {
    [userKey]: toStr('credentials.user'),
    [passwordKey]: secretValue({
      secret: `${prefix}-cred`,
      key: 'password',
      existingSecret: 'credentials.existingSecret',
      extraData: (ctx) => [{ key: 'user', value: String(ctx.get(userKey) ?? 'admin'), from: userKey, secret: false }],
      what: 'admin password',
      vendorSecretExists: true,
    }),
    [apiKeyKey]: secretValue({ secret: `${prefix}-api-key`, key: 'value', existingSecret: 'apiKey.existingSecret', what: 'API key', vendorSecretExists: true }),
    [licenseKey]: licenseRule(`${prefix}-license-key`),
    activation_server: toStr('activationServer'),
    db_user: toStr('database.user'),
    db_password: secretValue({
      secret: `${prefix}-postgres-cred`,
      key: 'password',
      existingSecret: 'database.existingSecret',
      extraData: (ctx) => [{ key: 'user', value: String(ctx.get('db_user') ?? 'postgres'), from: 'db_user', secret: false }],
      what: 'database password',
      vendorSecretExists: true,
    }),
    imagePullSecrets: to('imagePullSecrets'),
  };
}

export function probeRules(base: string, to_: string): Record<string, Rule> {
  return Object.fromEntries(['initialDelaySeconds', 'periodSeconds', 'timeoutSeconds', 'failureThreshold'].map((f) => [`${base}.${f}`, toInt(`${to_}.${f}`)]));
}

export function autoscalingRules(): Record<string, Rule> {
  const resourceTarget = (name: string) => ({ type: 'Resource', resource: { name, target: { type: 'Utilization' } } });
  return {
    'autoscaling.enabled': toBool('autoscaling.enabled'),
    'autoscaling.minReplicas': toInt('autoscaling.minReplicas'),
    'autoscaling.maxReplicas': toInt('autoscaling.maxReplicas'),
    'autoscaling.metrics': (k) => {
      const metrics = k.value as Map[];
      if (!Array.isArray(metrics)) throw new VendorValueError(k.path, 'expected a list');
      // The CPU and memory utilisation pair is what our targets render; anything else goes as it is.
      const util = (name: string) => metrics.find((m) => equal({ ...m, resource: { ...(m.resource as Map), target: { type: 'Utilization' } } }, resourceTarget(name)));
      const cpu = util('cpu');
      const memory = util('memory');
      if (metrics.length === 2 && cpu && memory) {
        const pct = (m: Map) => ((m.resource as Map).target as Map).averageUtilization;
        k.ctx.set('autoscaling.targetCPUUtilizationPercentage', pct(cpu));
        k.ctx.set('autoscaling.targetMemoryUtilizationPercentage', pct(memory));
        k.mapped(['autoscaling.targetCPUUtilizationPercentage', 'autoscaling.targetMemoryUtilizationPercentage']);
      } else {
        k.mapped('autoscaling.metrics');
      }
    },
    'autoscaling.behavior': to('autoscaling.behavior'),
  };
}

export function strategyRules(base: string): Record<string, Rule> {
  return {
    [`${base}.strategy.type`]: toStr('strategy.type'),
    [`${base}.strategy.rollingUpdate.maxSurge`]: to('strategy.rollingUpdate.maxSurge', (k) => k.value, 'maxUnavailable stays 1 (the vendor left it to Kubernetes\' 25%)'),
    [`${base}.strategy.rollingUpdate.maxUnavailable`]: to('strategy.rollingUpdate.maxUnavailable'),
  };
}

export function resourcesRule(target: string): Rule {
  return (k) => {
    if (!isMap(k.value)) throw new VendorValueError(k.path, 'expected requests and limits');
    const { requests, limits } = k.value as { requests?: Map; limits?: Map };
    k.ctx.set(`${target}.requests`, requests ?? {});
    if (limits) k.ctx.set(`${target}.limits`, limits);
    k.mapped(target, k.value, limits ? '' : 'no limits in the vendor values: ours keeps its default limits (memory and ephemeral storage caps)');
  };
}

/** The image of a component: `<docker repo>/<image>` when custom_repo, else the image as it is. */
export function imageRule(repoKey: string, customRepoKey: string | undefined): Rule {
  return (k) => {
    const custom = customRepoKey === undefined ? false : k.ctx.get(customRepoKey) === true;
    const repo = k.ctx.get(repoKey);
    const full = custom && typeof repo === 'string' && repo !== '' ? `${repo}/${str(k)}` : str(k);
    const { repository, tag } = splitImage(k.path, full);
    k.ctx.set('image.repository', repository);
    k.ctx.set('image.tag', tag);
    k.mapped(['image.repository', 'image.tag'], full);
  };
}

export function initContainersRule(): Rule {
  return (k) => {
    if (!Array.isArray(k.value)) throw new VendorValueError(k.path, 'expected a list');
    const extra = (k.value as Map[]).filter((c) => c.name !== 'check-db-ready');
    if (extra.length === 0) return k.notNeeded('the vendor\'s database wait: ours is database.waitForReady');
    const unconfined = extra.filter((c) => c.securityContext === undefined).map((c) => String(c.name));
    if (unconfined.length === 0) return k.mapped('extraInitContainers', extra, 'check-db-ready is replaced by database.waitForReady');
    // The vendor chart ran them without a security context, which Pod Security restricted (our charts'
    // declared level) refuses: keep them running as before under baseline, and say how to get back.
    k.ctx.set('extraInitContainers', extra);
    k.ctx.set('podSecurityLevel', 'baseline');
    k.action(
      `init containers without a security context (${unconfined.join(', ')}): podSecurityLevel is set to baseline so they run as in the vendor chart; ` +
        'give each a restricted securityContext (allowPrivilegeEscalation: false, capabilities.drop: [ALL], runAsNonRoot: true, seccompProfile.type: RuntimeDefault) and remove podSecurityLevel to run restricted',
      { to: ['extraInitContainers', 'podSecurityLevel'] },
    );
  };
}

export function pvcRule(target: string): (k: Key, pvc: Map) => void {
  return (k, pvc) => {
    if (pvc.enabled !== undefined) k.ctx.set(`${target}.enabled`, pvc.enabled === true);
    const storage = ((pvc.resources as Map | undefined)?.requests as Map | undefined)?.storage;
    if (storage !== undefined) k.ctx.set(`${target}.size`, storage);
    if (typeof pvc.storageClassName === 'string') k.ctx.set(`${target}.storageClass`, pvc.storageClassName);
  };
}

/**
 * The env items the vendor chart's deployment template gives the product container, in its order: the
 * credentials from the `<prefix>-*` Secrets (as ours reads them), the rest from pod fields.
 */
export function vendorEnvItems(prefix: string, names: readonly string[]): Map[] {
  const secrets: Record<string, [string, string]> = {
    MD_USER: [`${prefix}-cred`, 'user'],
    MD_PWD: [`${prefix}-cred`, 'password'],
    APIKEY: [`${prefix}-api-key`, 'value'],
    LICENSE_KEY: [`${prefix}-license-key`, 'value'],
    DB_USER: [`${prefix}-postgres-cred`, 'user'],
    DB_PWD: [`${prefix}-postgres-cred`, 'password'],
  };
  return names.map((name) => {
    const secret = secrets[name];
    if (secret) return { name, valueFrom: { secretKeyRef: { name: secret[0], key: secret[1] } } };
    return { name, valueFrom: { fieldRef: { fieldPath: name === 'MY_POD_NAMESPACE' ? 'metadata.namespace' : 'metadata.name' } } };
  });
}

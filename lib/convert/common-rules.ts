/**
 * Vendor-key rules both OPSWAT products share (their charts spell these keys alike): credentials and the
 * literal env that holds them, probes, autoscaling, strategy, resources, image, init containers, claims.
 */
import { imageReference } from '../core/schema';
import { RESTRICTED_VOLUME_TYPES } from '../constructs/pod-security';
import { bool, equal, imageTo, isMap, Json, Key, literalEnv, Map, nullable, Rule, secretValue, shellWords, str, to, toBool, toInt, toStr, VendorValueError } from './engine';

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
    imageTo(k, full, 'image.repository', 'image.tag');
  };
}

const FIXED_IDS = ['runAsUser', 'runAsGroup', 'fsGroup'] as const;

/**
 * A vendor security context laid over ours, as Helm lays values over defaults: entries equal to ours are not
 * needed, others are set, and a null (the vendor's OpenShift examples null the fixed UID and GID so that
 * restricted-v2 assigns them) removes that entry from ours; a fixed ID nulled in the container context is
 * removed from the pod's too, where ours pins it.
 */
function securityContextOver(k: Key, target: string, pod: string): void {
  if (!isMap(k.value)) throw new VendorValueError(k.path, `expected a security context (a map), got ${k.shown}`);
  const set: string[] = [];
  for (const [key, v] of Object.entries(k.value)) {
    const ours = k.ctx.ours(`${target}.${key}`);
    if (v === null && (FIXED_IDS as readonly string[]).includes(key)) {
      for (const at of new Set([target, pod])) if (k.ctx.ours(`${at}.${key}`) !== undefined) set.push(`${at}.${key}`);
    } else if (v === null ? ours !== undefined : !equal(v, ours)) set.push(`${target}.${key}`);
    for (const p of set.filter((s) => s.endsWith(`.${key}`))) k.ctx.set(p, v);
  }
  if (set.length === 0) return k.notNeeded(`ours sets the same (${target})`);
  const nulled = set.filter((p) => (FIXED_IDS as readonly string[]).some((id) => p.endsWith(`.${id}`)));
  k.mapped(set, k.value, nulled.length > 0 ? 'no fixed UID/GID on any cluster, as in the vendor chart (on OpenShift ours leaves them to restricted-v2 anyway: global.compatibility.openshift.adaptSecurityContext); runAsNonRoot stays' : '');
}

/**
 * A component's container security context (`<base>.securityContext`) and pod security context
 * (`<base>.customPodDefinitions.securityContext`; null: no pod context, so no fixed IDs) over ours.
 */
export function securityContextRules(base: string, ours: { container: string; pod: string }): Record<string, Rule> {
  return {
    [`${base}.securityContext`]: (k) => securityContextOver(k, ours.container, ours.pod),
    [`${base}.customPodDefinitions.securityContext`]: nullable(
      (k) => {
        for (const id of FIXED_IDS) if (k.ctx.ours(`${ours.pod}.${id}`) !== undefined) k.ctx.set(`${ours.pod}.${id}`, null);
        k.mapped(
          FIXED_IDS.map((id) => `${ours.pod}.${id}`),
          null,
          'null drops the pod\'s fixed UID, GID and fsGroup (OpenShift restricted-v2 assigns them); ours keeps runAsNonRoot and the RuntimeDefault seccomp profile',
        );
      },
      (k) => securityContextOver(k, ours.pod, ours.pod),
    ),
  };
}

/** Sets podSecurityLevel to `level` unless it is lower already (privileged below baseline below restricted). */
function lowerPodSecurity(k: Key, level: 'baseline' | 'privileged'): void {
  const now = k.ctx.values.podSecurityLevel;
  if (now !== 'privileged') k.ctx.set('podSecurityLevel', level);
}

/**
 * Extra volumes: a list, or (the vendor mdcore chart ranges over a map) a map of volumes by a label of their
 * own. A volume Pod Security restricted refuses (nfs, ...; hostPath even under baseline), which the vendor
 * chart mounted as it was, lowers podSecurityLevel as far as it needs, with the step back.
 */
export function volumesRule(target: string): Rule {
  return (k) => {
    if (!Array.isArray(k.value) && !isMap(k.value)) throw new VendorValueError(k.path, `expected a list or a map of volumes, got ${k.shown}`);
    const volumes = (Array.isArray(k.value) ? k.value : Object.values(k.value)) as Json[];
    const note = Array.isArray(k.value) ? '' : 'the map\'s values, as the vendor template lists them';
    const kinds = (v: Json) => (isMap(v) ? Object.keys(v).filter((x) => x !== 'name') : []);
    const unrestricted = [...new Set(volumes.flatMap(kinds).filter((x) => !(RESTRICTED_VOLUME_TYPES as readonly string[]).includes(x)))];
    k.ctx.set(target, volumes);
    if (unrestricted.length === 0) return k.mapped([target], k.value, note);
    const level = unrestricted.includes('hostPath') ? 'privileged' : 'baseline';
    lowerPodSecurity(k, level);
    k.action(
      `volumes of kind ${unrestricted.join(', ')}, which Pod Security restricted (our charts' level) refuses: podSecurityLevel is set to ${level} so they mount as in the vendor chart; ` +
        'to run restricted, mount such storage through a PersistentVolume and a claim (persistentVolumeClaim) and remove podSecurityLevel',
      { to: [target, 'podSecurityLevel'] },
    );
  };
}

/**
 * The vendor's init containers: check-db-ready is ours already (database.waitForReady), others go into
 * extraInitContainers. `vendorConfigMaps` are ConfigMaps their chart makes and ours does not, each with
 * the command that creates it, for init containers that read one (envFrom).
 */
export function initContainersRule(vendorConfigMaps: Record<string, (k: Key) => string> = {}): Rule {
  // null removes the vendor's database wait too (their sidecar-proxy example: the database starts with the pod).
  const none: Rule = (k) => k.mapped('database.waitForReady', false, 'null: no init containers, not even the vendor\'s database wait');
  return nullable(none, (k) => {
    if (!Array.isArray(k.value)) throw new VendorValueError(k.path, 'expected a list');
    const all = (k.value as Map[]).filter((c) => c.name !== 'check-db-ready');
    if (all.length === 0) return k.notNeeded('the vendor\'s database wait: ours is database.waitForReady');
    // Ours runs only images pinned to a full version: an init container on `latest` is left to the user.
    const floating = all.filter((c) => !imageReference().safeParse(c.image).success);
    const extra = all.filter((c) => !floating.includes(c));
    const unconfined = extra.filter((c) => c.securityContext === undefined).map((c) => String(c.name));
    const to = extra.length > 0 ? ['extraInitContainers'] : [];
    if (extra.length > 0) k.ctx.set('extraInitContainers', extra);
    const reads = (c: Json) => (isMap(c) && Array.isArray(c.envFrom) ? c.envFrom.map((e) => (isMap(e) && isMap(e.configMapRef) ? e.configMapRef.name : undefined)) : []);
    const needsConfigMap = extra.flatMap(reads).some((n) => typeof n === 'string' && n in vendorConfigMaps);
    if (floating.length === 0 && unconfined.length === 0 && !needsConfigMap) return k.mapped(to, extra, 'check-db-ready is replaced by database.waitForReady');
    const steps: string[] = [];
    if (unconfined.length > 0) {
      // The vendor chart ran them without a security context, which Pod Security restricted (our charts'
      // declared level) refuses: keep them running as before under baseline, and say how to get back.
      lowerPodSecurity(k, 'baseline');
      to.push('podSecurityLevel');
      steps.push(
        `init containers without a security context (${unconfined.join(', ')}): podSecurityLevel is set to baseline so they run as in the vendor chart; ` +
          'give each a restricted securityContext (allowPrivilegeEscalation: false, capabilities.drop: [ALL], runAsNonRoot: true, seccompProfile.type: RuntimeDefault) and remove podSecurityLevel to run restricted',
      );
    }
    const missing = [...new Set(extra.flatMap(reads).filter((n): n is string => typeof n === 'string' && n in vendorConfigMaps))];
    for (const name of missing) steps.push(`ours does not make the vendor chart's ConfigMap ${name}, which an init container reads: create it (${vendorConfigMaps[name]!(k)})`);
    for (const c of floating) steps.push(`init container ${String(c.name)} runs ${JSON.stringify(c.image)}, not pinned to a full version, which ours refuses (left out): add it to extraInitContainers with a pinned image (e.g. busybox:1.36.1)`);
    k.action(steps.join('; '), { to });
  });
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

/**
 * The switch of the in-cluster database (`switchKey`). Off with no host of another database (`hostKey`
 * unset or naming the in-cluster one, `inCluster`), the vendor chart still connects to `inCluster` (a
 * database the user runs under that name): ours needs the host, so it is set to that name, with the step.
 */
export function inClusterDatabaseRule(hostKey: string, inCluster: string): Rule {
  return (k) => {
    const on = bool(k);
    const host = k.ctx.get(hostKey);
    if (on || (typeof host === 'string' && host !== '' && host !== inCluster)) return k.mapped('database.inCluster.enabled', on);
    k.ctx.set('database.inCluster.enabled', false);
    k.ctx.set('database.host', inCluster);
    k.action(`no in-cluster database and no other host (${hostKey}): the vendor chart connects to ${inCluster} all the same, and so does ours (database.host); set database.host to your database`, {
      to: ['database.inCluster.enabled', 'database.host'],
    });
  };
}
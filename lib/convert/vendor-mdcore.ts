/** The vendor mdcore chart's keys of md-core itself (its features' rules stand beside each feature). */
import { MDCORE_FEATURES, MDCORE_NAMES } from '../systems/md-core/values';
import { credentialsOf, imageRule, inClusterDatabaseRule, initContainersRule, probeRules, pvcRule, resourcesRule, securityContextRules, strategyRules, vendorEnvItems, volumesRule } from './common-rules';
import { bool, envList, equal, fixed, int, isMap, Json, Key, Map, notCarriedOver, notNeeded, nullable, Rule, shellWords, str, to, toBool, toInt, toStr, toUnlessEmpty, VendorValueError } from './engine';
import { withFeatureRules } from './features';

const CORE = MDCORE_NAMES.vendorKey;
const CORE_DB = 'core_components.postgres-core';


/** md-core's own vendor keys, and its features'. */
export function coreRules(): Record<string, Rule> {
  const { credentials, literal } = credentialsOf('mdcore');
  const mdhub = (k: Key) => (k.ctx.get('ENABLED_MODULES') ? k.action('the MDHub module is not deployed by this chart; run it separately') : k.notNeeded('the MDHub module is off (ENABLED_MODULES empty); this chart does not deploy it'));
  const env = (name: string) => `env.${name}`;
  const pvcEntry = (k: Key, pvc: Map, path: string) => {
    if (pvc.name === 'postgres-core') {
      pvcRule('database.inCluster.persistence')(k, pvc);
      if (k.ctx.opts.inPlace) k.ctx.set('database.inCluster.persistence.existingClaim', 'postgres-core');
      return 'database.inCluster.persistence';
    }
    if (pvc.name === 'md-core-storage') {
      pvcRule('persistence')(k, pvc);
      if (k.ctx.opts.inPlace && pvc.enabled === true) k.ctx.set('persistence.existingClaim', 'md-core-storage');
      return 'persistence';
    }
    throw new VendorValueError(path, `unknown claim ${JSON.stringify(pvc.name)} (expected postgres-core or md-core-storage)`);
  };
  return withFeatureRules(
    {
      ...credentials,
      MDCORE_REST_PORT: toInt('ports.rest'),
      MDCORE_DB_MODE: fixed('4', 'ours sets MDCORE_DB_MODE 4', 'ours runs with MDCORE_DB_MODE 4'),
      MDCORE_DB_TYPE: fixed('remote', 'ours sets MDCORE_DB_TYPE remote', 'ours runs with MDCORE_DB_TYPE remote'),
      MDCORE_DB_HOST: (k) => (str(k) === 'postgres-core' ? k.notNeeded('the in-cluster database: ours connects to it by name') : k.mapped('database.host', str(k), 'an external database (set deploy_with_core_db false too)')),
      MDCORE_DB_PORT: toInt('database.port'),
      deploy_with_core_db: inClusterDatabaseRule('MDCORE_DB_HOST', 'postgres-core'),
      mdcore_generate_secrets: (k) =>
        bool(k) ? k.notNeeded('ours generates missing credentials once in the cluster and keeps them') : k.action('create mdcore-cred, mdcore-api-key and mdcore-postgres-cred yourself and set credentials/apiKey/database.existingSecret'),
      RABBITMQ_DEFAULT_USER: mdhub,
      RABBITMQ_DEFAULT_PASS: mdhub,
      CERT_KEY: mdhub,
      CERT: mdhub,
      ENABLED_MODULES: (k) => (k.value ? k.action('the MDHub module is not deployed by this chart; run it separately') : k.notNeeded('empty: no modules')),
      pvc: (k) => {
        // A single claim is laid over the vendor's default one, postgres-core (their OpenShift example sets only enabled).
        const entries = Array.isArray(k.value) ? (k.value as Map[]) : [{ name: 'postgres-core', ...(k.value as Map) }];
        const targets = entries.map((pvc, i) => pvcEntry(k, pvc, `${k.path}[${i}]`));
        k.mapped(targets, k.value, k.ctx.opts.inPlace ? 'in place: the vendor\'s claims are used as existingClaim' : 'accessModes ReadWriteOnce and volumeMode Filesystem as ours; labels and annotations are ours');
      },
      storage_provisioner: (k) =>
        str(k) === 'hostPath'
          ? k.action('hostPath storage keeps data in a directory of one node; ours keeps it on claims (database.inCluster.persistence, persistence): copy that data onto the claims (or run with the vendor\'s PVC, storage_provisioner custom, before replacing the release)')
          : k.notNeeded('ours mounts claims'),
      storage_name: (k) => {
        // Their templates mount this claim for every component with a persistentDir and no storage_name of its own.
        const claims = k.ctx.get('storage_provisioner') !== undefined && k.ctx.get('storage_provisioner') !== 'hostPath';
        const dbDir = k.ctx.get(`${CORE_DB}.persistentDir`);
        if (!claims || k.ctx.get('deploy_with_core_db') === false || dbDir === null || k.ctx.get(`${CORE_DB}.storage_name`) !== undefined)
          return k.notNeeded('ours names its claims (postgres-core, md-core-storage) or takes existingClaim');
        k.mapped('database.inCluster.persistence.existingClaim', str(k), 'the claim their chart mounts for the database (storage_provisioner is not hostPath)');
      },
      persistance_enabled: notNeeded('no template of the vendor chart reads it (a misspelling left in their examples): their storage follows persistentDir and storage_provisioner'),
      app_name: notNeeded('no template of the vendor chart reads it: the namespace is the release\'s'),
      environment: notNeeded('no template of the vendor chart reads it'),
      NAS_CONNECTION_KEY: mdhub,
      hostPathPrefix: notNeeded('ours uses no hostPath'),
      'core_ingress.enabled': toBool('ingress.enabled'),
      'core_ingress.host': (k) => {
        const host = str(k).replace('<APP_NAMESPACE>', k.ctx.opts.namespace);
        if (/[<>]/.test(host)) return k.action(`the host holds <APP_NAMESPACE>: pass --namespace, or set ingress.host (${JSON.stringify(str(k))})`, { to: ['ingress.host'] });
        k.mapped('ingress.host', host);
      },
      'core_ingress.service': fixed('md-core', 'ours routes to the md-core Service', 'ours always routes to its md-core Service'),
      'core_ingress.port': (k) => (int(k) === Number(k.ctx.get('MDCORE_REST_PORT') ?? 8008) ? k.notNeeded('ours routes to the REST port by name') : k.action('ours routes the Ingress to the REST port (ports.rest)')),
      'core_ingress.spec_className': (k) =>
        bool(k) ? k.notNeeded('ours sets spec.ingressClassName') : k.action('the class goes into spec.ingressClassName; for a controller that wants the kubernetes.io/ingress.class annotation, set it in ingress.annotations'),
      'core_ingress.class': toUnlessEmpty('ingress.className'),
      'core_ingress.tls': (k) => (bool(k) ? k.mapped('ingress.tls.secretName', k.ctx.get('core_ingress.secret')) : k.notNeeded('false: no TLS at the Ingress')),
      'core_ingress.secret': (k) => (k.ctx.get('core_ingress.tls') === true ? k.mapped('ingress.tls.secretName') : k.notNeeded('core_ingress.tls is false')),
      'core_ingress.ingress_annotations': to('ingress.annotations'),
      'core_ingress.rules': (k) => (equal(k.value, []) ? k.notNeeded('empty') : k.action('ours builds the rules from ingress.host and ingress.paths: express them there')),
      imagePullPolicy: toStr('image.pullPolicy'),
      core_docker_repo: notNeeded('the md-core image names its repository (see core_components.md-core.image)'),
      [env('LICENSING_CLEANUP')]: to('licensing.cleanup', bool, 'ours pre-creates the licensing Secret and grants access to it alone when on'),
      [env('MDCORE_UPGRADE_FROM_DB_NAME')]: toStr('upgrade.fromDbName'),
      [env('UPGRADE_DB')]: toBool('upgrade.upgradeDb'),
      [env('MIGRATE_HISTORY')]: (k) => (bool(k) ? k.action('set strategy.type Recreate as well: ours requires it for the history migration', { to: ['upgrade.migrateHistory'] }) : k.mapped('upgrade.migrateHistory', false)),
      [env('RETRY_UPGRADE')]: toInt('upgrade.retryUpgrade'),
      [env('MDCORE_LICENSE_COMMENT')]: toUnlessEmpty('licenseComment'),
      'env.*': (k) => literal(k, k.path.slice('env.'.length)),
      'hpa.enabled': toBool('autoscaling.enabled'),
      'hpa.deployment': fixed('md-core', 'ours scales md-core', 'ours scales its md-core Deployment'),
      'hpa.minReplicas': toInt('autoscaling.minReplicas'),
      'hpa.maxReplicas': toInt('autoscaling.maxReplicas'),
      'hpa.cpuTargetUtilization': toInt('autoscaling.targetCPUUtilizationPercentage'),
      [`${CORE_DB}.name`]: fixed('postgres-core', 'ours is named postgres-core too', 'ours names the database postgres-core'),
      [`${CORE_DB}.ports`]: (k) => k.mapped('database.port', ((k.value as Map[])[0]?.port as number | undefined) ?? 5432),
      [`${CORE_DB}.is_db`]: notNeeded('ours knows which component is the database'),
      [`${CORE_DB}.persistentDir`]: nullable((k) => k.mapped('database.inCluster.persistence.enabled', false, 'null: no volume, the database is lost with its pod (as in the vendor example)'), fixed('/var/lib/postgresql/data', 'ours mounts the data at /var/lib/postgresql/data', 'ours mounts the database volume at /var/lib/postgresql/data')),
      [`${CORE_DB}.storage_name`]: (k) => {
        k.ctx.set('database.inCluster.persistence.existingClaim', str(k));
        k.mapped('database.inCluster.persistence.existingClaim');
      },
      [`${CORE_DB}.tls.enabled`]: fixed(false, 'off', 'ours does not serve the in-cluster database over TLS'),
      [`${CORE_DB}.customPodDefinitions.*`]: (k) => k.action('ours schedules the database with the product\'s nodeSelector, tolerations and affinity; set those'),
      [`${CORE}.name`]: fixed('md-core', 'ours is named md-core too', 'ours names the Deployment and Service md-core (namePrefix adds a prefix)'),
      [`${CORE}.image`]: imageRule('core_docker_repo', undefined),
      [`${CORE}.replicas`]: toInt('replicaCount'),
      [`${CORE}.env`]: envList(vendorEnvItems('mdcore', ['MD_USER', 'MD_PWD', 'MD_INSTANCE_NAME', 'MY_POD_NAME', 'MY_POD_NAMESPACE', 'APIKEY', 'LICENSE_KEY', 'DB_USER', 'DB_PWD']), 'ours sets the same env from the same Secrets and pod fields', literal, {
        IGNITION_JSON: (k) => {
          const ref = ((k.value as Map).valueFrom as Map | undefined)?.secretKeyRef as Map | undefined;
          if (!ref) throw new VendorValueError(k.path, 'expected IGNITION_JSON from a secretKeyRef');
          k.ctx.set('ignition.existingSecret', ref.name);
          k.ctx.set('ignition.existingSecretKey', ref.key);
          k.mapped(['ignition.existingSecret', 'ignition.existingSecretKey']);
        },
      }),
      [`${CORE}.ports`]: (k) => k.mapped('ports.rest', ((k.value as Map[])[0]?.port as number | undefined) ?? 8008),
      [`${CORE}.service_type`]: toStr('service.type'),
      [`${CORE}.sessionAffinity`]: toStr('service.sessionAffinity'),
      [`${CORE}.service_annotations`]: to('service.annotations'),
      [`${CORE}.extra_labels`]: (k) => {
        const labels = { ...(k.value as Map) };
        // The vendor's ingress found the Service by this label; ours routes by Service name.
        if (labels.name === 'md-core') delete labels.name;
        k.mapped('podLabels', labels);
      },
      [`${CORE}.resources`]: resourcesRule('resources'),
      [`${CORE}.readinessProbe.httpGet`]: fixed({ path: '/readyz', port: 8008 }, 'ours probes GET /readyz on the REST port', 'ours probes GET /readyz on the REST port'),
      [`${CORE}.livenessProbe.httpGet`]: fixed({ path: '/readyz', port: 8008 }, 'ours probes GET /readyz on the REST port', 'ours probes GET /readyz on the REST port'),
      ...probeRules(`${CORE}.readinessProbe`, 'readinessProbe'),
      ...probeRules(`${CORE}.livenessProbe`, 'livenessProbe'),
      ...strategyRules(CORE),
      [`${CORE}.initContainers`]: initContainersRule({
        // Their config template makes it from the older CONFIG_IMPORT_FILE (and its password, in plain text): the file name is enough to copy it.
        'mdcore-import-zip-config': (k) =>
          shellWords(['kubectl', '-n', k.ctx.opts.namespace, 'create', 'configmap', 'mdcore-import-zip-config', `--from-literal=CONFIG_IMPORT_FILE=${typeof k.ctx.get('CONFIG_IMPORT_FILE') === 'string' ? String(k.ctx.get('CONFIG_IMPORT_FILE')) : '<file name>'}`]),
      }),
      [`${CORE}.extraVolumes`]: volumesRule('extraVolumes'),
      ...securityContextRules(CORE, { container: 'securityContext', pod: 'podSecurityContext' }),
      ...securityContextRules(CORE_DB, { container: 'database.inCluster.securityContext', pod: 'database.inCluster.podSecurityContext' }),
      [`${CORE}.extraVolumeMounts`]: (k) => {
        if (!Array.isArray(k.value)) throw new VendorValueError(k.path, `expected a list of volume mounts, got ${k.shown}`);
        // Their OpenShift example mounts a writable emptyDir at the storage path, which ours mounts itself.
        const dir = k.ctx.get(`${CORE}.persistentDir`);
        const storagePath = typeof dir === 'string' && dir !== '' ? dir : k.ctx.ours('storagePath');
        const kept = (k.value as Json[]).filter((m) => !(isMap(m) && m.mountPath === storagePath));
        if (kept.length === k.value.length) return k.mapped('extraVolumeMounts');
        const note = `the mount at ${String(storagePath)} is left out: ours mounts its storage path there itself (storagePath; the claim of persistence.* or else an emptyDir)`;
        if (kept.length === 0) return k.notNeeded(note);
        k.mapped('extraVolumeMounts', kept, note);
      },
      [`${CORE}.customPodDefinitions.nodeSelector`]: to('nodeSelector'),
      [`${CORE}.customPodDefinitions.tolerations`]: to('tolerations'),
      [`${CORE}.customPodDefinitions.affinity`]: to('affinity'),
      'core_components.md-hub': mdhub,
      'core_components.md-nas': mdhub,
      'core_components.redis': mdhub,
      'core_components.rabbitmq': mdhub,
    },
    MDCORE_FEATURES,
  );
}

/**
 * Keys the vendor mdcore templates read that its values.yaml does not list, and no rule maps yet: each an
 * action with the step that carries it over by hand (a rule for the key, in a product's or a feature's
 * table, takes it over).
 */
export function coreReads(): Record<string, Rule> {
  const ns = (k: Key) => k.ctx.opts.namespace;
  return {
    // Their newest OpenShift example exposes md-core through a Route (templates/route-template.yml).
    core_route: notCarriedOver('an OpenShift Route to md-core', (k) => {
      const route = isMap(k.value) ? k.value : {};
      const tls = isMap(route.tls) ? route.tls : {};
      const termination = typeof tls.termination === 'string' ? tls.termination : 'edge';
      return {
        note: 'create the Route with oc (or set ingress.* where the cluster runs an Ingress controller)',
        command: shellWords([
          'oc', '-n', ns(k), 'create', 'route', termination, typeof route.name === 'string' ? route.name : 'md-core', '--service=md-core', '--port=rest',
          ...(typeof route.host === 'string' && route.host !== '' ? [`--hostname=${route.host.replace('<APP_NAMESPACE>', ns(k))}`] : []),
          ...(typeof tls.insecureEdgeTerminationPolicy === 'string' ? [`--insecure-policy=${tls.insecureEdgeTerminationPolicy}`] : []),
        ]),
      };
    }),
  };
}

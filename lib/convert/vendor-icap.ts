/** The vendor icap chart's keys of md-icapsrv itself (its features' rules stand beside each feature). */
import { MDICAPSRV_FEATURES, MDICAPSRV_NAMES } from '../systems/md-icapsrv/values';
import { autoscalingRules, credentialsOf, imageRule, inClusterDatabaseRule, initContainersRule, probeRules, resourcesRule, securityContextRules, strategyRules, vendorEnvItems, volumesRule } from './common-rules';
import { envList, fixed, int, isMap, Map, notNeeded, Rule, str, to, toBool, toInt, toStr } from './engine';
import { withFeatureRules } from './features';

const ICAP = MDICAPSRV_NAMES.vendorKey;


/** md-icapsrv's own vendor keys, and its features'. */
export function icapRules(): Record<string, Rule> {
  const { credentials, literal } = credentialsOf('mdicapsrv');
  return withFeatureRules(
    {
      ACCEPT_EULA: toBool('acceptEula'),
      ...credentials,
      db_name: toStr('database.name'),
      mdicapsrv_private_user: (k) =>
        k.action('the private database user goes into the ignition JSON: create a Secret with key IGNITION_JSON holding the ignition entries your ICAP version documents for it and set ignition.existingSecret (or ignition.values)', { to: ['ignition.existingSecret'] }),
      mdicapsrv_private_password: (k) =>
        k.action('the private database password goes into the ignition JSON (a Secret): see mdicapsrv_private_user', { to: ['ignition.existingSecret'], secret: true }),
      'icap_ingress.enabled': toBool('ingress.enabled'),
      'icap_ingress.host': toStr('ingress.host'),
      'icap_ingress.class': toStr('ingress.className'),
      'icap_ingress.name': notNeeded('ours is named icap-ingress (a replaced release gets it instead of the vendor\'s)'),
      'icap_ingress.service': fixed('md-icapsrv', 'ours routes to the md-icapsrv Service', 'ours always routes to its md-icapsrv Service'),
      'icap_ingress.rest_port': (k) =>
        int(k) === Number(k.ctx.get(`${ICAP}.ports.rest`) ?? 8048) ? k.notNeeded('ours routes to the REST port by name') : k.action('ours routes the Ingress to the REST port (ports.rest); a different port is not offered'),
      'postgres_mdicapsrv.enabled': inClusterDatabaseRule(`${ICAP}.database.db_host`, 'postgres-mdicapsrv'),
      'postgres_mdicapsrv.name': fixed('postgres-mdicapsrv', 'ours is named postgres-mdicapsrv too', 'ours names the database postgres-mdicapsrv'),
      'postgres_mdicapsrv.ports.rest': toInt('database.port'),
      'postgres_mdicapsrv.service_type': fixed('ClusterIP', 'ours is ClusterIP too', 'ours exposes the database as ClusterIP only'),
      'postgres_mdicapsrv.customPodDefinitions.*': (k) => k.action('ours schedules the database with the product\'s nodeSelector, tolerations and affinity; set those'),
      icap_docker_repo: notNeeded('part of image.repository (see icap_components.md_icapsrv.image)'),
      'env.*': (k) => literal(k, k.path.slice('env.'.length)),
      'storage_configs.enabled': toBool('database.inCluster.persistence.enabled'),
      'storage_configs.accessModes': fixed(['ReadWriteOnce'], 'ours claims ReadWriteOnce', 'ours claims ReadWriteOnce; for another mode create the claim and set database.inCluster.persistence.existingClaim'),
      'storage_configs.resources.requests.storage': to('database.inCluster.persistence.size'),
      'storage_configs.storageClassName': toStr('database.inCluster.persistence.storageClass'),
      extra_storage_configs: (k) =>
        isMap(k.value) && Object.keys(k.value).length === 0
          ? k.notNeeded('empty')
          : k.action('create these claims yourself (kubectl apply -f), then mount them with extraVolumes and extraVolumeMounts'),
      'healthcheck.enabled': fixed(true, 'ours always enables the health check (ENABLE_HEALTHCHECK)', 'ours always enables the health check: the readiness probe relies on it'),
      [`${ICAP}.initContainers`]: initContainersRule(),
      [`${ICAP}.name`]: fixed('md-icapsrv', 'ours is named md-icapsrv too', 'ours names the Deployment and Service md-icapsrv (namePrefix adds a prefix)'),
      [`${ICAP}.custom_repo`]: notNeeded('part of image.repository (see image)'),
      [`${ICAP}.image`]: imageRule('icap_docker_repo', `${ICAP}.custom_repo`),
      [`${ICAP}.replicas`]: toInt('replicaCount'),
      [`${ICAP}.env`]: envList(vendorEnvItems('mdicapsrv', ['MD_USER', 'MD_PWD', 'MDICAPSRV_INSTANCE_NAME', 'APIKEY', 'LICENSE_KEY', 'DB_USER', 'DB_PWD', 'MY_POD_NAMESPACE']), 'ours sets the same env from the same Secrets and pod fields', literal, {
        LICENSING_CLEANUP: (k) => k.mapped('licensing.cleanup', (k.value as Map).value === 'true'),
      }),
      [`${ICAP}.service_account_name`]: fixed('mdicapsrv-service-account', 'ours is named mdicapsrv-service-account too', 'ours names its ServiceAccount mdicapsrv-service-account'),
      [`${ICAP}.custom_secret`]: toStr('licensing.secretName'),
      [`${ICAP}.nginx_support.enabled`]: toBool('nginx.enabled'),
      [`${ICAP}.ports.rest`]: toInt('ports.rest'),
      [`${ICAP}.ports.icap`]: toInt('ports.icap'),
      [`${ICAP}.ports.icaps`]: toInt('ports.icaps'),
      [`${ICAP}.ports.nginx`]: toInt('ports.nginx'),
      [`${ICAP}.ports.nginxs`]: toInt('ports.nginxs'),
      [`${ICAP}.database.db_mode`]: fixed('4', 'ours sets DB_MODE 4', 'ours runs with DB_MODE 4 (remote PostgreSQL)'),
      [`${ICAP}.database.db_type`]: fixed('remote', 'ours sets DB_TYPE remote', 'ours runs with DB_TYPE remote'),
      [`${ICAP}.database.db_host`]: (k) =>
        str(k) === 'postgres-mdicapsrv' ? k.notNeeded('the in-cluster database: ours connects to it by name') : k.mapped('database.host', str(k), 'an external database (set postgres_mdicapsrv.enabled false too)'),
      [`${ICAP}.database.db_port`]: toInt('database.port'),
      [`${ICAP}.service_type`]: toStr('service.type'),
      [`${ICAP}.sessionAffinity`]: toStr('service.sessionAffinity'),
      [`${ICAP}.service_annotations`]: to('service.annotations'),
      ...securityContextRules(ICAP, { container: 'securityContext', pod: 'podSecurityContext' }),
      ...securityContextRules('postgres_mdicapsrv', { container: 'database.inCluster.securityContext', pod: 'database.inCluster.podSecurityContext' }),
      [`${ICAP}.extra_labels`]: to('podLabels'),
      [`${ICAP}.customPodDefinitions.nodeSelector`]: to('nodeSelector'),
      [`${ICAP}.customPodDefinitions.tolerations`]: to('tolerations'),
      [`${ICAP}.customPodDefinitions.affinity`]: to('affinity'),
      [`${ICAP}.extraVolumeMounts`]: to('extraVolumeMounts'),
      [`${ICAP}.extraVolumes`]: volumesRule('extraVolumes'),
      [`${ICAP}.resources`]: resourcesRule('resources'),
      [`${ICAP}.imagePullPolicy`]: toStr('image.pullPolicy'),
      ...probeRules(`${ICAP}.livenessProbe`, 'livenessProbe'),
      ...probeRules(`${ICAP}.readinessProbe`, 'readinessProbe'),
      ...strategyRules(ICAP),
      nodeSelector: to('nodeSelector'),
      ...autoscalingRules(),
    },
    MDICAPSRV_FEATURES,
  );
}

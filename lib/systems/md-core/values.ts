/**
 * MetaDefender Core values: the single source of truth for the construct's props type, values.yaml,
 * values.schema.json and the chart README's values table.
 */
import { z } from 'zod';
import type { MdCoreValues } from './values.generated';
import { commonFields, image, nodePort, port, probe, resources, rule } from '../../core/schema';
import { keda } from '../../constructs/features/keda';
import { hotBackup } from '../../constructs/features/hot-backup';
import { coreTls } from '../../constructs/features/tls';
import { healthCheck } from '../../constructs/features/health';
import { olms, OLMS_CONNECTION_TYPE } from '../../constructs/features/olms';
import { coreProxy } from '../../constructs/features/proxy';
import { configFile } from '../../constructs/features/config-file';
import { ignition, VENDOR_IGNITION_SWITCH } from '../../constructs/features/ignition';
import { configImportPodSecurity, coreConfigImport } from '../../constructs/features/config-import';
import { corePersistence } from '../../constructs/features/persistence';
import { serviceOverride, serviceValues } from '../../constructs/features/service';
import { sidecars } from '../../constructs/features/sidecars';
import { databaseFlavour } from '../../constructs/features/database-flavour';
import { extraWorkloads, extraWorkloadsPodSecurity } from '../../constructs/features/extra-workloads';
import { featureSecretEnv, reservedPodNames } from '../../constructs/opswat-product';
import { valuesOf } from '../../constructs/feature';
import { withCompatibilityRules } from '../../constructs/vendor-compat';
import { withPodSecurity } from '../../constructs/pod-security';
import { licensingValues } from '../../constructs/licensing-rbac';
import { OPSWAT_SECRET_ENV, opswatSecretValues } from '../../constructs/opswat';
import { databaseValues } from '../../constructs/postgres';
import { ingressValues, productFields, productPodSecurity, shutdownFields, withDistinctContainerNames, withExtraPodRules } from '../../constructs/product';
import { upgradeStrategyValues, withStrategyRules } from '../../constructs/strategy';

export const CORE_IMAGE_TAG = '5.20.0';

/** md-core's names: of its objects, and the ones it gives its features. */
export const MDCORE_NAMES = { prefix: 'mdcore', name: 'md-core', component: 'core', vendorKey: 'core_components.md-core', database: 'postgres-core', configMap: 'mdcore-env', ingress: 'core-ingress' } as const;

/** md-core's features, each placed in the values below; the pod takes their parts in this order. */
const PLACED_FEATURES = {
  tls: coreTls(MDCORE_NAMES),
  olms: olms(MDCORE_NAMES, OLMS_CONNECTION_TYPE, { on: 'env.OLMS_HOST_URL', key: (n) => `env.OLMS_${n.toUpperCase()}`, hostSwitches: true }),
  proxy: coreProxy(MDCORE_NAMES),
  ignition: ignition(MDCORE_NAMES, VENDOR_IGNITION_SWITCH),
  configImport: coreConfigImport(MDCORE_NAMES),
  healthCheck: healthCheck(),
  persistence: corePersistence(MDCORE_NAMES),
  config: configFile('CORE_CONF_JSON', '"global/restaddress": "0.0.0.0"'),
  hotBackup: hotBackup(),
  keda: keda(),
  extraWorkloads: extraWorkloads(MDCORE_NAMES, ['md-core', 'postgres-core'], ['md-core', 'md-core-blue', 'md-core-green', 'md-core-preview', 'postgres-core']),
  databaseFlavour: databaseFlavour(MDCORE_NAMES, 'core_components.postgres-core'),
  service: serviceOverride(MDCORE_NAMES, (get) => ({ [Number(get('MDCORE_REST_PORT') ?? 8008)]: 'service.nodePort' }), { nodePort: { nodePort: 30808 } }),
};

/** The names the product pod has whatever the values (its own and its features'): extra containers and volumes may not take them. */
const RESERVED = reservedPodNames(MDCORE_NAMES, Object.values(PLACED_FEATURES));

/** Last, as its containers' names are held apart from those the other features reserve. */
export const MDCORE_FEATURES = { ...PLACED_FEATURES, sidecars: sidecars(MDCORE_NAMES, RESERVED.containers) };
const f = MDCORE_FEATURES;

/** The env the Core container takes from Secrets, by what it holds (extraEnv may not name one). */
export const MDCORE_SECRET_ENV = { ...OPSWAT_SECRET_ENV, ...featureSecretEnv(Object.values(f)) };

const root = withStrategyRules(
  z
    .object({
      ...commonFields(),
      acceptEula: z.boolean().default(false).describe('Accept the OPSWAT End-User Licence Agreement (ACCEPT_EULA); the server does not start otherwise.'),
      image: image('opswat/metadefendercore-debian', CORE_IMAGE_TAG),
      replicaCount: z.number().int().min(0).max(100).default(1).describe('Pods to run (RollingUpdate/Recreate) when autoscaling is off. Each pod uses one licence activation.'),
      strategy: upgradeStrategyValues(0, 1).describe(
        'How a new version replaces the old: RollingUpdate (readiness-gated), Recreate (required by upgrade.migrateHistory), or BlueGreen (two slots; needs one licence activation per running pod of both slots).',
      ),
      upgrade: z
        .object({
          fromDbName: z
            .string()
            .min(1)
            .max(63)
            .regex(/^[a-z_][a-z0-9_]*$/)
            .default('metadefender_core')
            .describe('Database to migrate from (MDCORE_UPGRADE_FROM_DB_NAME); metadefender_core after the first installation.'),
          upgradeDb: z.boolean().default(false).describe('Create metadefender_core<new version> and migrate the configuration into it (UPGRADE_DB).'),
          migrateHistory: z
            .boolean()
            .default(false)
            .describe(
              'Also migrate the scan history (MIGRATE_HISTORY). Needs strategy.type Recreate (every old pod stopped, every DB connection closed); the liveness probe is left out while it runs; check the database has room for a second copy first.',
            ),
          retryUpgrade: z.number().int().min(0).max(100).default(0).describe('Times to retry a failed database upgrade (RETRY_UPGRADE).'),
        })
        .strict()
        .prefault({}),
      ...f.hotBackup.values,
      ports: z.object({ rest: port().default(8008).describe('REST API and web console port.') }).strict().prefault({}),
      service: serviceValues({
        nodePort: z.union([z.literal(0), nodePort()]).default(0).describe('Fixed node port for REST (NodePort/LoadBalancer); 0 lets Kubernetes choose.'),
      }),
      ingress: ingressValues('core-ingress'),
      ...f.tls.values,
      ...f.healthCheck.values,
      licenseComment: z.string().max(256).default('').describe('Comment recorded with the licence activation of each pod (MDCORE_LICENSE_COMMENT).'),
      ...valuesOf(f.olms, f.proxy, f.config, f.ignition, f.configImport, f.persistence, f.keda),
      ...opswatSecretValues('mdcore'),
      activationServer: z.string().min(1).max(253).default('activation.dl.opswat.com').describe('OPSWAT activation server (ACTIVATION_SERVER); leave as is.'),
      licensing: licensingValues('mdcore-licensing'),
      deactivation: z.object({ ...shutdownFields(120) }).strict().prefault({}),
      database: databaseValues({ serviceName: 'postgres-core', databaseName: 'metadefender_core', imageTag: '14.20', inCluster: true, persistence: true }),
      resources: resources({ cpu: '4', memory: '4Gi', 'ephemeral-storage': '60Gi' }, { memory: '8Gi', 'ephemeral-storage': '80Gi' }),
      readinessProbe: probe({ initialDelaySeconds: 60, periodSeconds: 10, timeoutSeconds: 10, failureThreshold: 3 }, 'readiness (GET /readyz)'),
      livenessProbe: probe({ initialDelaySeconds: 90, periodSeconds: 10, timeoutSeconds: 10, failureThreshold: 3 }, 'liveness (GET /readyz); left out while upgrade.migrateHistory runs'),
      ...productFields(MDCORE_SECRET_ENV, RESERVED),
      ...valuesOf(f.sidecars, f.extraWorkloads),
    })
    .strict(),
);

/** MIGRATE_HISTORY needs every old pod stopped: only Recreate guarantees it. */
const migrateNeedsRecreate = rule(root, (v) => !v.upgrade.migrateHistory || v.strategy.type === 'Recreate', {
  message: 'upgrade.migrateHistory needs strategy.type Recreate: every old pod must stop (closing its database connections) before the new version starts',
  path: ['strategy', 'type'],
  counterexample: { upgrade: { migrateHistory: true }, strategy: { type: 'RollingUpdate' } } as never,
  jsonSchema: {
    if: { properties: { upgrade: { properties: { migrateHistory: { const: true } }, required: ['migrateHistory'] } }, required: ['upgrade'] },
    then: { properties: { strategy: { properties: { type: { const: 'Recreate' } } } } },
  },
});

const hotBackupNeedsBlueGreen = rule(migrateNeedsRecreate, (v) => !v.hotBackup.enabled || v.strategy.type === 'BlueGreen', {
  message: 'hotBackup carries the configuration between blue-green slots: it needs strategy.type BlueGreen',
  path: ['hotBackup', 'enabled'],
  counterexample: { hotBackup: { enabled: true }, strategy: { type: 'Recreate' } } as never,
  jsonSchema: {
    if: { properties: { hotBackup: { properties: { enabled: { const: true } }, required: ['enabled'] } }, required: ['hotBackup'] },
    then: { properties: { strategy: { properties: { type: { const: 'BlueGreen' } } } } },
  },
});

const kedaOn = { if: { properties: { keda: { properties: { enabled: { const: true } }, required: ['enabled'] } }, required: ['keda'] } };

/** KEDA makes its own HorizontalPodAutoscaler: two autoscalers would fight over the replica count. */
const kedaNotWithHpa = rule(hotBackupNeedsBlueGreen, (v) => !v.keda.enabled || !v.autoscaling.enabled, {
  message: 'keda and autoscaling both scale md-core: enable one of them',
  path: ['keda', 'enabled'],
  counterexample: { keda: { enabled: true }, autoscaling: { enabled: true } } as never,
  jsonSchema: { ...kedaOn, then: { properties: { autoscaling: { properties: { enabled: { const: false } } } } } },
});

/** The schema as zod types it; chart code uses mdCoreValues, the same schema typed with the documented interfaces. */
export const mdCoreValuesSchema = withPodSecurity(
  withDistinctContainerNames(withExtraPodRules(withCompatibilityRules(
  rule(kedaNotWithHpa, (v) => !v.keda.enabled || v.strategy.type !== 'BlueGreen', {
    message: 'keda scales the md-core Deployment, which BlueGreen replaces by two slots: set each slot\'s replicas instead',
    path: ['keda', 'enabled'],
    counterexample: { keda: { enabled: true }, strategy: { type: 'BlueGreen' } } as never,
    jsonSchema: { ...kedaOn, then: { properties: { strategy: { properties: { type: { not: { const: 'BlueGreen' } } } } } } },
  }),
  ), 'mdCoreExtraMounts', [['storagePath']]), 'mdCoreContainerNames'),
  [...productPodSecurity, extraWorkloadsPodSecurity, configImportPodSecurity],
);

/** Values as a user writes them (every key optional): the props type of the MdCore construct. */
export type MdCoreValuesInput = z.input<typeof mdCoreValuesSchema>;

/** The values schema, typed with the documented interfaces (values.generated.ts), so a chart's values hover with each field's description and default. */
export const mdCoreValues: z.ZodType<MdCoreValues, MdCoreValuesInput> = mdCoreValuesSchema;
// The values a chart gets (defaults applied), each field documented: values.generated.ts, from mdCoreValues by `npm run types`.
export type { MdCoreValues };

/**
 * MetaDefender ICAP Server values: the single source of truth for the construct's props type,
 * values.yaml, values.schema.json and the chart README's values table.
 */
import { z } from 'zod';
import type { MdIcapsrvValues } from './values.generated';
import { commonFields, distinctNumbers, image, imageReference, nodePort, port, probe, resources, rule } from '../../core/schema';
import { databaseCleanup } from '../../constructs/features/database-cleanup';
import { icapTls } from '../../constructs/features/tls';
import { olms } from '../../constructs/features/olms';
import { icapProxy } from '../../constructs/features/proxy';
import { ignition } from '../../constructs/features/ignition';
import { trustedCertificates } from '../../constructs/features/trusted-cas';
import { configImportPodSecurity, icapConfigImport } from '../../constructs/features/config-import';
import { dataRetention } from '../../constructs/features/retention';
import { configFile } from '../../constructs/features/config-file';
import { icapPersistence } from '../../constructs/features/persistence';
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
import { ingressValues, productFields, productPodSecurity, shutdownFields, withDistinctContainerNames, withExtraPodRules } from '../../constructs/product';
import { upgradeStrategyValues, withStrategyRules } from '../../constructs/strategy';
import { databaseValues } from '../../constructs/postgres';

export const ICAP_IMAGE_TAG = '5.14.1';

const servicePorts = { rest: 8048, icap: 1344, icaps: 11344, nginx: 8043, nginxs: 8443 };

/** md-icapsrv's names: of its objects, and the ones it gives its features. */
export const MDICAPSRV_NAMES = { prefix: 'mdicapsrv', name: 'md-icapsrv', component: 'icap-server', vendorKey: 'icap_components.md_icapsrv', database: 'postgres-mdicapsrv', configMap: 'mdicapsrv-env', ingress: 'icap-ingress' } as const;

/** Where the server keeps its data (the vendor chart's persistent path). */
const ICAP_DATA_DIR = '/opt/mdicapsrv/icap_data/var/lib/mdicapsrv';

/** The licence-deactivation sidecar of md-icapsrv's pod (deactivation.sidecar). */
export const DEACTIVATION_CONTAINER = 'deactivation';

/** md-icapsrv's features, each placed in the values below; the pod takes their parts in this order. */
const PLACED_FEATURES = {
  tls: icapTls(MDICAPSRV_NAMES),
  olms: olms(MDICAPSRV_NAMES, {}, { on: 'olms.enabled', switchKey: 'olms.enabled', key: (n) => `olms.olms_${n}`, hostSwitches: false }),
  proxy: icapProxy(MDICAPSRV_NAMES),
  ignition: ignition(MDICAPSRV_NAMES),
  trustedCertificates: trustedCertificates(MDICAPSRV_NAMES),
  configImport: icapConfigImport(MDICAPSRV_NAMES),
  dataRetention: dataRetention(MDICAPSRV_NAMES),
  config: configFile('ICAP_CONF_JSON', '"internal/sso_cross_instance_enabled": "true"'),
  persistence: icapPersistence(ICAP_DATA_DIR),
  databaseCleanup: databaseCleanup(),
  extraWorkloads: extraWorkloads(MDICAPSRV_NAMES, ['md_icapsrv'], ['md-icapsrv', 'md-icapsrv-blue', 'md-icapsrv-green', 'md-icapsrv-preview', 'postgres-mdicapsrv']),
  databaseFlavour: databaseFlavour(MDICAPSRV_NAMES, 'postgres_mdicapsrv'),
  service: serviceOverride(
    MDICAPSRV_NAMES,
    (get) => Object.fromEntries((['rest', 'icap', 'icaps'] as const).map((n) => [Number(get(`${MDICAPSRV_NAMES.vendorKey}.ports.${n}`) ?? servicePorts[n]), `service.nodePorts.${n}`])),
    { nodePort: { nodePorts: { rest: 30848, icap: 31344 } } },
  ),
};

/** The names the product pod has whatever the values (its own and its features'): extra containers and volumes may not take them. */
const RESERVED = reservedPodNames(MDICAPSRV_NAMES, Object.values(PLACED_FEATURES), { containers: [DEACTIVATION_CONTAINER] });

/** Last, as its containers' names are held apart from those the other features reserve. */
export const MDICAPSRV_FEATURES = { ...PLACED_FEATURES, sidecars: sidecars(MDICAPSRV_NAMES, RESERVED.containers) };
const f = MDICAPSRV_FEATURES;

/** The env the server container takes from Secrets, by what it holds (extraEnv may not name one). */
export const MDICAPSRV_SECRET_ENV = { ...OPSWAT_SECRET_ENV, ...featureSecretEnv(Object.values(f)) };

/** The schema as zod types it; chart code uses mdIcapsrvValues, the same schema typed with the documented interfaces. */
export const mdIcapsrvValuesSchema = withPodSecurity(withDistinctContainerNames(withExtraPodRules(withCompatibilityRules(withStrategyRules(
  z
  .object({
    ...commonFields(),
    acceptEula: z.boolean().default(false).describe('Accept the OPSWAT End-User Licence Agreement (ACCEPT_EULA); the server does not start otherwise.'),
    image: image('opswat/metadefendericapsrv-debian', ICAP_IMAGE_TAG),
    replicaCount: z.number().int().min(0).max(100).default(1).describe('Pods to run when autoscaling is off. Each pod uses one licence activation.'),
    strategy: upgradeStrategyValues(0, 1).describe('How pods are replaced on upgrade. The vendor default surges no extra pod (maxSurge 0), so no extra activation is needed; BlueGreen needs one activation per running pod of both slots.'),
    ports: distinctNumbers(
      z
        .object({
          rest: port().default(servicePorts.rest).describe('REST API and web console port.'),
          icap: port().default(servicePorts.icap).describe('ICAP port.'),
          icaps: port().default(servicePorts.icaps).describe('ICAPS (ICAP over TLS) port, served when tls.icaps.enabled.'),
          nginx: port().default(servicePorts.nginx).describe('Built-in nginx port, served when nginx.enabled.'),
          nginxs: port().default(servicePorts.nginxs).describe('Built-in nginx TLS port, served when nginx.enabled and tls.nginxs.enabled.'),
        })
        .strict(),
      'distinctPorts',
      { rest: 1344, icap: 1344 },
    )
      .prefault({})
      .describe('Ports of the server, each a different one (the pod listens on each, the Service refuses one twice).'),
    nginx: z
      .object({ enabled: z.boolean().default(false).describe('Run the built-in nginx front (ENABLE_NGINX) and expose its ports.') })
      .strict()
      .prefault({}),
    service: serviceValues({
        nodePorts: distinctNumbers(
          z
            .object({
              rest: z.union([z.literal(0), nodePort()]).default(0).describe('Fixed node port for REST (NodePort/LoadBalancer); 0 lets Kubernetes choose.'),
              icap: z.union([z.literal(0), nodePort()]).default(0).describe('Fixed node port for ICAP; 0 lets Kubernetes choose.'),
              icaps: z.union([z.literal(0), nodePort()]).default(0).describe('Fixed node port for ICAPS; 0 lets Kubernetes choose.'),
            })
            .strict(),
          'distinctNodePorts',
          { rest: 30080, icap: 30080 },
          0,
        )
          .prefault({})
          .describe('Fixed node ports, each a different one (0 aside).'),
      }),
    ingress: ingressValues('icap-ingress'),
    ...f.tls.values,
    ...opswatSecretValues('mdicapsrv'),
    activationServer: z.string().min(1).max(253).default('activation.dl.opswat.com').describe('OPSWAT activation server (ACTIVATION_SERVER); leave as is.'),
    licensing: licensingValues('mdicap-licensing'),
    deactivation: z
      .object({
        ...shutdownFields(60),
        sidecar: rule(
          z
            .object({
              enabled: z.boolean().default(false).describe('Run a deactivation sidecar (older releases) beside the server.'),
              image: z.union([z.literal(''), imageReference()]).default('').describe('Sidecar image (repository:tag with a full version, optionally @sha256:<digest>); required when enabled.'),
              command: z.array(z.string()).default([]).describe('Sidecar command; the image default when empty.'),
            })
            .strict(),
          (s) => !s.enabled || s.image !== '',
          {
            message: 'set deactivation.sidecar.image when the sidecar is enabled',
            path: ['image'],
            counterexample: { enabled: true, image: '' },
            jsonSchema: {
              if: { properties: { enabled: { const: true } }, required: ['enabled'] },
              then: { properties: { image: { minLength: 1 } } },
            },
          },
        ).prefault({}),
      })
      .strict()
      .prefault({}),
    database: databaseValues({ serviceName: 'postgres-mdicapsrv', databaseName: 'metadefender_icapsrv', imageTag: '16.6', inCluster: true, persistence: false }),
    ...f.databaseCleanup.values,
    ...valuesOf(f.olms, f.proxy, f.trustedCertificates, f.configImport, f.ignition, f.dataRetention, f.config, f.persistence),
    logLevel: z.enum(['debug', 'info', 'warning', 'error']).default('info').describe('Server log level (LOG_LEVEL).'),
    resources: resources({ cpu: '2', memory: '2Gi' }, { cpu: '4', memory: '4Gi' }),
    readinessProbe: probe({ initialDelaySeconds: 10, periodSeconds: 3, timeoutSeconds: 3, failureThreshold: 3 }, 'readiness (GET /readyz)'),
    livenessProbe: probe({ initialDelaySeconds: 30, periodSeconds: 10, timeoutSeconds: 10, failureThreshold: 3 }, 'liveness (GET /readyz)'),
    ...productFields(MDICAPSRV_SECRET_ENV, RESERVED),
    ...valuesOf(f.sidecars, f.extraWorkloads),
  })
  .strict(),
)), 'mdIcapsrvExtraMounts', [['trustedCertificates', 'mountPath']]), 'mdIcapsrvContainerNames'), [...productPodSecurity, extraWorkloadsPodSecurity, configImportPodSecurity]);

/** Values as a user writes them (every key optional): the props type of the MdIcapsrv construct. */
export type MdIcapsrvValuesInput = z.input<typeof mdIcapsrvValuesSchema>;

/** The values schema, typed with the documented interfaces (values.generated.ts), so a chart's values hover with each field's description and default. */
export const mdIcapsrvValues: z.ZodType<MdIcapsrvValues, MdIcapsrvValuesInput> = mdIcapsrvValuesSchema;
// The values a chart gets (defaults applied), each field documented: values.generated.ts, from mdIcapsrvValues by `npm run types`.
export type { MdIcapsrvValues };

/**
 * MetaDefender ICAP Server values: the single source of truth for the construct's props type,
 * values.yaml, values.schema.json and the chart README's values table.
 */
import { z } from 'zod';
import type { MdIcapsrvValues } from './values.generated';
import {
  commonFields,
  CONFIG_KEY,
  distinctNumbers,
  dnsName,
  extraAnnotations,
  image,
  imageReference,
  nodePort,
  port,
  probe,
  resources,
  rule,
} from '../../core/schema';
import { databaseCleanupValues } from '../../constructs/database-cleanup';
import { configFileValues, configImportValues, FEATURE_SECRET_ENV, ignitionValues, olmsValues, productPersistenceValues, proxyValues, withExtraPodRules } from '../../constructs/opswat-features';
import { withCompatibilityRules } from '../../constructs/vendor-compat';
import { withPodSecurity } from '../../constructs/pod-security';
import { licensingValues } from '../../constructs/licensing-rbac';
import { OPSWAT_SECRET_ENV, opswatSecretValues } from '../../constructs/opswat';
import { ingressValues, productFields, productPodSecurity, sessionAffinityFields, shutdownFields } from '../../constructs/product';
import { tlsEndpointValues, tlsFileMode } from '../../constructs/tls';
import { upgradeStrategyValues, withStrategyRules } from '../../constructs/strategy';
import { databaseValues } from '../../constructs/postgres';

export const ICAP_IMAGE_TAG = '5.14.1';

const servicePorts = { rest: 8048, icap: 1344, icaps: 11344, nginx: 8043, nginxs: 8443 };

/** The env the server container takes from Secrets, by what it holds: index.ts sets each by this name. */
export const MDICAPSRV_SECRET_ENV = { ...OPSWAT_SECRET_ENV, ...FEATURE_SECRET_ENV, proxyPassword: 'PROXY_PASSWORD', configImportPassword: 'IMPORT_CONFIG_FILE_PASS' } as const;

/** The schema as zod types it; chart code uses mdIcapsrvValues, the same schema typed with the documented interfaces. */
export const mdIcapsrvValuesSchema = withPodSecurity(withExtraPodRules(withCompatibilityRules(withStrategyRules(
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
      .default(servicePorts)
      .describe('Ports of the server, each a different one (the pod listens on each, the Service refuses one twice).'),
    nginx: z
      .object({ enabled: z.boolean().default(false).describe('Run the built-in nginx front (ENABLE_NGINX) and expose its ports.') })
      .strict()
      .default({ enabled: false }),
    service: z
      .object({
        type: z.enum(['ClusterIP', 'NodePort', 'LoadBalancer']).default('ClusterIP').describe('Service type.'),
        annotations: extraAnnotations().describe('Annotations of the Service (e.g. for a cloud load balancer).'),
        ...sessionAffinityFields(),
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
          .default({ rest: 0, icap: 0, icaps: 0 })
          .describe('Fixed node ports, each a different one (0 aside).'),
      })
      .strict()
      .default({ type: 'ClusterIP', annotations: {}, sessionAffinity: 'None', sessionAffinityTimeoutSeconds: 10800, nodePorts: { rest: 0, icap: 0, icaps: 0 } }),
    ingress: ingressValues('icap-ingress'),
    tls: z
      .object({
        https: tlsEndpointValues('mdicapsrv', 'https', 'the REST API (probes switch to HTTPS)'),
        icaps: tlsEndpointValues('mdicapsrv', 'icaps', 'ICAPS on ports.icaps'),
        nginxs: tlsEndpointValues('mdicapsrv', 'nginxs', 'the built-in nginx'),
        fileMode: tlsFileMode(),
      })
      .strict()
      .default({
        https: { enabled: false, certSecret: 'mdicapsrv-https-tls-cert', certSecretKey: 'mdicapsrv-https.crt', keySecret: 'mdicapsrv-https-tls-cert-key', keySecretKey: 'mdicapsrv-https.key', protocols: ['TLSv1.3'] },
        icaps: { enabled: false, certSecret: 'mdicapsrv-icaps-tls-cert', certSecretKey: 'mdicapsrv-icaps.crt', keySecret: 'mdicapsrv-icaps-tls-cert-key', keySecretKey: 'mdicapsrv-icaps.key', protocols: ['TLSv1.3'] },
        nginxs: { enabled: false, certSecret: 'mdicapsrv-nginxs-tls-cert', certSecretKey: 'mdicapsrv-nginxs.crt', keySecret: 'mdicapsrv-nginxs-tls-cert-key', keySecretKey: 'mdicapsrv-nginxs.key', protocols: ['TLSv1.3'] },
        fileMode: 0o440,
      }),
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
        ).default({ enabled: false, image: '', command: [] }),
      })
      .strict()
      .default({ drainSeconds: 5, shutdownSeconds: 60, sidecar: { enabled: false, image: '', command: [] } }),
    database: databaseValues({ serviceName: 'postgres-mdicapsrv', databaseName: 'metadefender_icapsrv', imageTag: '16.6', inCluster: true, persistence: false }),
    databaseCleanup: databaseCleanupValues(),
    olms: olmsValues('mdicapsrv', {}),
    proxy: proxyValues('mdicapsrv', 3128, 'Percent-encode reserved characters: it is put into the proxy URL.', {
      noProxy: z.string().max(4096).regex(/^[-A-Za-z0-9.*:/_,]*$/).default('localhost').describe('Hosts not to reach through the proxy, comma-separated (NO_PROXY).'),
      https: z
        .object({
          host: z.union([z.literal(''), z.string().max(253).regex(/^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/)]).default('').describe('Proxy for HTTPS URLs (https_proxy); empty for the same proxy as HTTP.'),
          port: z.union([z.literal(0), port()]).default(0).describe('Its port; 0 for proxy.port.'),
        })
        .strict()
        .prefault({}),
    }).describe('Outbound proxy (http_proxy, https_proxy and NO_PROXY, with the user and password composed into the URL from the Secret).'),
    trustedCertificates: z
      .object({
        certificates: z
          .array(
            z
              .object({
                secret: dnsName().describe('Secret holding a CA certificate (PEM).'),
                key: z.string().min(1).max(253).regex(new RegExp(CONFIG_KEY)).describe('Key of the certificate in the Secret.'),
              })
              .strict(),
          )
          .default([])
          .describe('Private CA certificates the server trusts when it connects to other servers (ICAP_TRUST_CERTS_PATH); each mounted as <secret>-<key>.'),
        mountPath: z.string().max(253).regex(/^\/[-A-Za-z0-9._/]*$/).default('/trust_certs').describe('Directory the certificates are mounted into.'),
      })
      .strict()
      .prefault({}),
    configImport: configImportValues(
      'mdicapsrv',
      { key: 'settings_export_package.zip', directory: '/opt/opswat' },
      {
        targets: z
          .array(z.string().min(1).max(64).regex(/^[a-z][a-z0-9_]*$/))
          .min(1)
          .default(['settings'])
          .describe('Parts of the export to import (IMPORT_CONF_FILE_TARGET), e.g. settings.'),
      },
    ).describe('Import a configuration export at every start (IMPORT_CONF_FILE, IMPORT_CONF_FILE_TARGET, IMPORT_CONFIG_FILE_PASS).'),
    ignition: ignitionValues('mdicapsrv'),
    dataRetention: z
      .object({
        auditHours: z.number().int().min(1).max(87600).default(168).describe('Hours the configuration (audit) history is kept (AUDIT_DATA_RETENTION).'),
        historyHours: z.number().int().min(1).max(87600).default(168).describe('Hours the processing history is kept (HISTORY_DATA_RETENTION).'),
      })
      .strict()
      .prefault({}),
    config: configFileValues('ICAP_CONF_JSON', '"internal/sso_cross_instance_enabled": "true"'),
    persistence: productPersistenceValues('the server data (/opt/mdicapsrv/icap_data/var/lib/mdicapsrv)'),
    logLevel: z.enum(['debug', 'info', 'warning', 'error']).default('info').describe('Server log level (LOG_LEVEL).'),
    resources: resources({ cpu: '2', memory: '2Gi' }, { cpu: '4', memory: '4Gi' }),
    readinessProbe: probe({ initialDelaySeconds: 10, periodSeconds: 3, timeoutSeconds: 3, failureThreshold: 3 }, 'readiness (GET /readyz)'),
    livenessProbe: probe({ initialDelaySeconds: 30, periodSeconds: 10, timeoutSeconds: 10, failureThreshold: 3 }, 'liveness (GET /readyz)'),
    ...productFields(MDICAPSRV_SECRET_ENV),
  })
  .strict(),
)), 'mdIcapsrvExtraMounts', [['trustedCertificates', 'mountPath']]), productPodSecurity);

/** Values as a user writes them (every key optional): the props type of the MdIcapsrv construct. */
export type MdIcapsrvValuesInput = z.input<typeof mdIcapsrvValuesSchema>;

/** The values schema, typed with the documented interfaces (values.generated.ts), so a chart's values hover with each field's description and default. */
export const mdIcapsrvValues: z.ZodType<MdIcapsrvValues, MdIcapsrvValuesInput> = mdIcapsrvValuesSchema;
// The values a chart gets (defaults applied), each field documented: values.generated.ts, from mdIcapsrvValues by `npm run types`.
export type { MdIcapsrvValues };

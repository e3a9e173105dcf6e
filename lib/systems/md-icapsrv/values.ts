/**
 * MetaDefender ICAP Server values: the single source of truth for the construct's props type,
 * values.yaml, values.schema.json and the chart README's values table.
 */
import { z } from 'zod';
import {
  commonFields,
  extraAnnotations,
  image,
  nodePort,
  port,
  probe,
  resources,
  rule,
} from '../../core/schema';
import { licensingValues } from '../../constructs/licensing-rbac';
import { opswatSecretValues } from '../../constructs/opswat';
import { ingressValues, productFields, shutdownFields } from '../../constructs/product';
import { tlsEndpointValues, tlsFileMode } from '../../constructs/tls';
import { upgradeStrategyValues, withStrategyRules } from '../../constructs/strategy';
import { databaseValues } from '../../constructs/postgres';

export const ICAP_IMAGE_TAG = '5.14.1';

const servicePorts = { rest: 8048, icap: 1344, icaps: 11344, nginx: 8043, nginxs: 8443 };

export const mdIcapsrvValues = withStrategyRules(
  z
  .object({
    ...commonFields(),
    acceptEula: z.boolean().default(false).describe('Accept the OPSWAT End-User Licence Agreement (ACCEPT_EULA); the server does not start otherwise.'),
    image: image('opswat/metadefendericapsrv-debian', ICAP_IMAGE_TAG),
    replicaCount: z.number().int().min(0).max(100).default(1).describe('Pods to run when autoscaling is off. Each pod uses one licence activation.'),
    strategy: upgradeStrategyValues(0, 1).describe('How pods are replaced on upgrade. The vendor default surges no extra pod (maxSurge 0), so no extra activation is needed; BlueGreen needs one activation per running pod of both slots.'),
    ports: z
      .object({
        rest: port().default(servicePorts.rest).describe('REST API and web console port.'),
        icap: port().default(servicePorts.icap).describe('ICAP port.'),
        icaps: port().default(servicePorts.icaps).describe('ICAPS (ICAP over TLS) port, served when tls.icaps.enabled.'),
        nginx: port().default(servicePorts.nginx).describe('Built-in nginx port, served when nginx.enabled.'),
        nginxs: port().default(servicePorts.nginxs).describe('Built-in nginx TLS port, served when nginx.enabled and tls.nginxs.enabled.'),
      })
      .strict()
      .default(servicePorts),
    nginx: z
      .object({ enabled: z.boolean().default(false).describe('Run the built-in nginx front (ENABLE_NGINX) and expose its ports.') })
      .strict()
      .default({ enabled: false }),
    service: z
      .object({
        type: z.enum(['ClusterIP', 'NodePort', 'LoadBalancer']).default('ClusterIP').describe('Service type.'),
        annotations: extraAnnotations().describe('Annotations of the Service (e.g. for a cloud load balancer).'),
        sessionAffinity: z.enum(['None', 'ClientIP']).default('None').describe('Session affinity of the Service.'),
        nodePorts: z
          .object({
            rest: z.union([z.literal(0), nodePort()]).default(0).describe('Fixed node port for REST (NodePort/LoadBalancer); 0 lets Kubernetes choose.'),
            icap: z.union([z.literal(0), nodePort()]).default(0).describe('Fixed node port for ICAP; 0 lets Kubernetes choose.'),
            icaps: z.union([z.literal(0), nodePort()]).default(0).describe('Fixed node port for ICAPS; 0 lets Kubernetes choose.'),
          })
          .strict()
          .default({ rest: 0, icap: 0, icaps: 0 }),
      })
      .strict()
      .default({ type: 'ClusterIP', annotations: {}, sessionAffinity: 'None', nodePorts: { rest: 0, icap: 0, icaps: 0 } }),
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
              image: z.string().max(255).default('').describe('Sidecar image (repository:tag); required when enabled.'),
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
    logLevel: z.enum(['debug', 'info', 'warning', 'error']).default('info').describe('Server log level (LOG_LEVEL).'),
    resources: resources({ cpu: '2', memory: '2Gi' }, { cpu: '4', memory: '4Gi' }),
    readinessProbe: probe({ initialDelaySeconds: 10, periodSeconds: 3, timeoutSeconds: 3, failureThreshold: 3 }, 'readiness (GET /readyz)'),
    livenessProbe: probe({ initialDelaySeconds: 30, periodSeconds: 10, timeoutSeconds: 10, failureThreshold: 3 }, 'liveness (GET /readyz)'),
    ...productFields(),
  })
  .strict(),
);

/** Values as a user writes them (every key optional): the props type of the MdIcapsrv construct. */
export type MdIcapsrvValuesInput = z.input<typeof mdIcapsrvValues>;
/** Values with every default applied. */
export type MdIcapsrvValues = z.output<typeof mdIcapsrvValues>;

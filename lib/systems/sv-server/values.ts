/**
 * Service Virtualization server values: the single source of truth for the construct's props type,
 * values.yaml, values.schema.json and the chart README's values table.
 */
import { z } from 'zod';
import type { SvServerValues } from './values.generated';
import { commonFields, extraAnnotations, extraEnv, image, K8S_EXAMPLES, optionalSecretName, probe, resources, rule, withEscalationRule, withK8sExamples } from '../../core/schema';
import { testValues } from '../../constructs/test-hook';
import { productNetworkPolicyValues } from '../../constructs/network-policy';
import { credentialGeneratorValues } from '../../constructs/credentials';
import { podValues } from '../../constructs/pod';
import { databasePodSecurity, databaseValuesWithEngine } from '../../constructs/postgres';
import { containerContext, podContext, podSecurityLevelValue, requiredSetting, withPodSecurity } from '../../constructs/pod-security';
import { persistenceValues } from '../../constructs/volume';
import { serviceTypeFields } from '../../constructs/product';

/** The server image tag: the chart's appVersion. */
export const SV_IMAGE_TAG = '24.4';

/** Security context keys that `runAsRoot` decides, so the extra fields below never contradict it. */
export const POD_SECURITY_MANAGED = ['runAsUser', 'runAsGroup', 'fsGroup', 'runAsNonRoot'] as const;
export const CONTAINER_SECURITY_MANAGED = ['runAsUser', 'runAsGroup', 'runAsNonRoot', 'capabilities'] as const;

/** Extra security context fields: free-form, except the keys `runAsRoot` sets. */
const securityExtras = (managed: readonly string[], examples: readonly Record<string, unknown>[]) =>
  withK8sExamples(
    z.record(
      rule(z.string().min(1).max(253), (k) => !managed.includes(k), {
        message: `${managed.join(', ')} follow runAsRoot`,
        jsonSchema: { not: { enum: [...managed] } },
        counterexample: managed[0]!,
      }),
      z.unknown(),
    ),
    // The proof's random values: valid security contexts without the keys runAsRoot sets.
    examples.filter((e) => !Object.keys(e).some((k) => managed.includes(k))),
  );

const persistence = (enabledDescription: string, size: string) => persistenceValues({ enabled: true, size, enabledDescription });

/** The env the server container takes from Secrets, by what it holds: index.ts sets each by this name. */
export const SV_SECRET_ENV = { user: 'SV_USER', password: 'SV_PASSWORD', dbUser: 'SV_DB_USERNAME', dbPassword: 'SV_DB_PASSWORD' } as const;

/** The schema as zod types it; chart code uses svServerValues, the same schema typed with the documented interfaces. */
export const svServerValuesSchema = withPodSecurity(
  z
    .object({
      ...commonFields(),
      image: image('virtualization/sv-server', SV_IMAGE_TAG),
      hostname: z
        .string()
        .max(253)
        .regex(/^([a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*)?$/)
        .default('')
        .describe('Host name clients reach the server and its agents by (SV_HOSTNAME); empty for the Service, <name>.<namespace>.svc.'),
      credentials: z
        .object({
          user: z.string().min(1).max(64).default('admin').describe('Server user (SV_USER).'),
          password: z.string().max(256).default('').describe('Server password (SV_PASSWORD); when empty, generated once in the cluster by the credential generator Job and never changed.'),
          existingSecret: optionalSecretName().default('').describe('Secret with keys "user" and "password" to use instead of sv-server-cred.'),
        })
        .strict()
        .prefault({}),
      credentialGenerator: credentialGeneratorValues(),
      database: databaseValuesWithEngine({
        serviceName: 'sv-postgres-db-service',
        databaseName: 'postgres',
        imageTag: '16.6',
        inCluster: true,
        persistence: true,
        waitForReadyDescription: 'Have the server wait until the database port accepts connections before it starts (SV_DB_WAIT_FOR).',
      }),
      persistence: z
        .object({
          work: persistence('Keep the work directory (configuration, agents, virtual services) on a PersistentVolumeClaim; otherwise an emptyDir, lost with the pod.', '10Gi'),
          logs: persistence('Keep the logs on a PersistentVolumeClaim, so those of a crashed pod can still be read; otherwise an emptyDir, lost with the pod.', '5Gi'),
        })
        .strict()
        .prefault({}),
      lifecycle: z
        .object({
          lockWaitSeconds: z
            .number()
            .int()
            .min(0)
            .max(600)
            .default(60)
            .describe('On start, seconds to wait while another server holds work/lock before taking the lock over (a pod killed without SIGTERM leaves it behind).'),
          stopTimeoutSeconds: z
            .number()
            .int()
            .min(1)
            .max(3600)
            .default(100)
            .describe('preStop: seconds to wait for the server to exit after SIGTERM before Kubernetes signals the container.'),
          graceMarginSeconds: z
            .number()
            .int()
            .min(5)
            .max(600)
            .default(20)
            .describe('Seconds on top of stopTimeoutSeconds for the rest of the shutdown; the two make terminationGracePeriodSeconds, so it always outlasts the preStop wait.'),
        })
        .strict()
        .prefault({}),
      service: z
        .object({
          ...serviceTypeFields(),
          nodePortBase: z
            .union([z.literal(0), z.number().int().min(30000).max(32757)])
            .default(0)
            .describe('NodePort/LoadBalancer: the API gets this node port and agents 7000-7009 the next ten; 0 lets Kubernetes choose.'),
        })
        .strict()
        .prefault({}),
      resources: resources({ cpu: '1', memory: '2Gi' }, { cpu: '4', memory: '4Gi' }),
      startupProbe: probe({ initialDelaySeconds: 10, periodSeconds: 10, timeoutSeconds: 5, failureThreshold: 60 }, 'startup (TCP on the API port; covers the lock wait and the first start)'),
      readinessProbe: probe({ initialDelaySeconds: 0, periodSeconds: 10, timeoutSeconds: 5, failureThreshold: 3 }, 'readiness (TCP on the API port)'),
      livenessProbe: probe({ initialDelaySeconds: 0, periodSeconds: 20, timeoutSeconds: 10, failureThreshold: 3 }, 'liveness (TCP on the API port)'),
      serviceAccount: z
        .object({ annotations: extraAnnotations().describe('Annotations of the ServiceAccount sv-server (the server does not call the API; no token is mounted).') })
        .strict()
        .prefault({}),
      runAsRoot: z
        .boolean()
        .default(true)
        .describe(
          'Run as root (uid 0), as the vendor documents, so files the server creates on volumes stay writable. false for newer images that run as sv-server: uid/gid 1234, fsGroup 1234, non-root with all capabilities dropped.',
        ),
      ...podValues({}, {}),
      podSecurityContext: securityExtras(POD_SECURITY_MANAGED, K8S_EXAMPLES.podSecurityContext)
        .default({ seccompProfile: { type: 'RuntimeDefault' } })
        .describe(`More fields of the pod security context (${POD_SECURITY_MANAGED.join(', ')} follow runAsRoot).`),
      securityContext: withEscalationRule(securityExtras(CONTAINER_SECURITY_MANAGED, K8S_EXAMPLES.securityContext))
        .default({ allowPrivilegeEscalation: false })
        .describe(`More fields of the server container security context (${CONTAINER_SECURITY_MANAGED.join(', ')} follow runAsRoot).`),
      extraEnv: extraEnv(SV_SECRET_ENV),
      tests: testValues('nc'),
      networkPolicy: productNetworkPolicyValues(),
      podSecurityLevel: podSecurityLevelValue(
        'baseline',
        'baseline as shipped: the server runs as root (runAsRoot), which restricted refuses and baseline allows; with runAsRoot: false every pod meets restricted.',
      ),
    })
    .strict(),
  [
    podContext(['podSecurityContext'], POD_SECURITY_MANAGED),
    containerContext(['securityContext'], CONTAINER_SECURITY_MANAGED),
    requiredSetting(['runAsRoot'], 'restricted', false, 'runAsRoot: restricted refuses a root server (runAsNonRoot); set runAsRoot: false (a newer image) or podSecurityLevel: baseline'),
    ...databasePodSecurity,
  ],
);

/** Values as a user writes them (every key optional): the props type of the SvServer construct. */
export type SvServerValuesInput = z.input<typeof svServerValuesSchema>;

/** The values schema, typed with the documented interfaces (values.generated.ts), so a chart's values hover with each field's description and default. */
export const svServerValues: z.ZodType<SvServerValues, SvServerValuesInput> = svServerValuesSchema;
// The values a chart gets (defaults applied), each field documented: values.generated.ts, from svServerValues by `npm run types`.
export type { SvServerValues };

/**
 * What every OPSWAT MetaDefender product shares: the admin credentials, the REST API key and the licence
 * key, each given, generated-and-kept, or taken from an existing Secret; and the env that feeds them to
 * the container (MD_USER, MD_PWD, APIKEY, LICENSE_KEY).
 */
import { Construct } from 'constructs';
import { z } from 'zod';
import { optionalSecretName } from '../core/schema';
import { CredentialGenerator, CredentialGeneratorValues, credentialGeneratorValues } from './credentials';
import { Render, ValueOrConstant, ValueTree } from '../core/template';
import { Identity } from './identity';
import { EnvVar, httpProbe, imageRef, podSpecFields, PodValues, ProbeValues, secretEnv } from './pod';
import { DatabaseValues, PostgresDatabase } from './postgres';
import { LicensingRbac, LicensingValues } from './licensing-rbac';
import { ExtraPodValues, productServiceAccount } from './product';
import { ManagedSecret } from './secret';
import { SLOT_LABEL } from './strategy';
import { SlotPods } from './upgradable-deployment';

/** The env every OPSWAT product container takes from its Secrets, by what it holds (extraEnv may not name one). */
export const OPSWAT_SECRET_ENV = { user: 'MD_USER', password: 'MD_PWD', apiKey: 'APIKEY', license: 'LICENSE_KEY', dbUser: 'DB_USER', dbPassword: 'DB_PWD' } as const;

/** Values of the product's secrets; `prefix` is the product's secret prefix ("mdicapsrv", "mdcore"). */
export const opswatSecretValues = (prefix: string) => ({
  credentials: z
    .object({
      user: z.string().min(1).max(64).default('admin').describe('Initial admin user of the web console (MD_USER).'),
      password: z.string().max(256).default('').describe('Initial admin password (MD_PWD); when empty, generated once in the cluster by the credential generator Job and never changed.'),
      existingSecret: optionalSecretName().default('').describe(`Secret with keys "user" and "password" to use instead of ${prefix}-cred.`),
    })
    .strict()
    .prefault({}),
  apiKey: z
    .object({
      value: z.string().regex(/^([A-Za-z0-9]{36})?$/).default('').describe('REST API key (APIKEY), 36 letters or digits; when empty, generated once in the cluster by the credential generator Job and never changed.'),
      existingSecret: optionalSecretName().default('').describe(`Secret with key "value" to use instead of ${prefix}-api-key.`),
    })
    .strict()
    .prefault({}),
  license: z
    .object({
      key: z.string().max(256).default('').describe(`Licence key (LICENSE_KEY), stored in ${prefix}-license-key. Without a key or existingSecret the pods wait for that Secret.`),
      existingSecret: optionalSecretName().default('').describe('Secret with key "value" holding the licence key.'),
    })
    .strict()
    .prefault({}),
  credentialGenerator: credentialGeneratorValues(),
});

type SecretValues = { [K in keyof ReturnType<typeof opswatSecretValues>]: ValueTree<z.output<ReturnType<typeof opswatSecretValues>[K]>> };

export interface OpswatSecretsProps {
  readonly identity: Identity;
  readonly component: string;
  /** "mdicapsrv" or "mdcore": Secrets are <prefix>-cred, <prefix>-api-key, <prefix>-license-key. */
  readonly prefix: string;
  readonly values: SecretValues;
}

export class OpswatSecrets extends Construct {
  public readonly credentials: ManagedSecret;
  public readonly apiKey: ManagedSecret;
  public readonly license: ManagedSecret;

  constructor(scope: Construct, id: string, props: OpswatSecretsProps) {
    super(scope, id);
    const { identity, component, prefix, values: v } = props;
    this.credentials = new ManagedSecret(this, 'Credentials', {
      identity,
      name: `${prefix}-cred`,
      component,
      existingSecret: v.credentials.existingSecret,
      keys: { user: { given: v.credentials.user }, password: { given: v.credentials.password, generate: { charset: 'alphanumeric', length: 24 } } },
    });
    this.apiKey = new ManagedSecret(this, 'ApiKey', {
      identity,
      name: `${prefix}-api-key`,
      component,
      existingSecret: v.apiKey.existingSecret,
      keys: { value: { given: v.apiKey.value, generate: { charset: 'numeric', length: 36 } } },
    });
    // Without a key the Secret is not created: pods wait for it (CreateContainerConfigError) rather than
    // burning restarts on a failing activation.
    this.license = new ManagedSecret(this, 'License', {
      identity,
      name: `${prefix}-license-key`,
      component,
      existingSecret: v.license.existingSecret,
      enabled: v.license.key,
      keys: { value: { given: v.license.key } },
    });
  }

  /** MD_USER, MD_PWD, APIKEY and LICENSE_KEY from the Secrets. */
  public env(): EnvVar[] {
    return [
      secretEnv(OPSWAT_SECRET_ENV.user, this.credentials.secretName, 'user'),
      secretEnv(OPSWAT_SECRET_ENV.password, this.credentials.secretName, 'password'),
      secretEnv(OPSWAT_SECRET_ENV.apiKey, this.apiKey.secretName, 'value'),
      secretEnv(OPSWAT_SECRET_ENV.license, this.license.secretName, 'value'),
    ];
  }
}

/** The values an OPSWAT product pod is built from (a subset of its chart values). */
export type OpswatPodValues = PodValues &
  ValueTree<{
    image: { repository: string; pullPolicy: string };
    podLabels: Record<string, string>;
    podAnnotations: Record<string, string>;
    licensing: { cleanup: boolean };
    deactivation: { drainSeconds: number; shutdownSeconds: number };
    resources: { requests: Record<string, string | number>; limits: Record<string, string | number> };
    securityContext: Record<string, unknown>;
    extraEnv: { name: string; value?: string; valueFrom?: object }[];
  }> &
  ExtraPodValues & {
    readonly database: DatabaseValues;
    readonly readinessProbe: ProbeValues;
    readonly livenessProbe: ProbeValues;
  };

export interface OpswatPodProps {
  readonly identity: Identity;
  readonly component: string;
  readonly values: OpswatPodValues;
  readonly containerName: string;
  readonly serviceAccountName: ValueOrConstant<string>;
  /** ConfigMap with the product's non-secret settings (envFrom). */
  readonly configMapName: ValueOrConstant<string>;
  /** Render.checksum of that ConfigMap's data: pods roll when it changes (env is read at start only). */
  readonly configChecksum: ValueOrConstant<string>;
  readonly secrets: OpswatSecrets;
  readonly database: PostgresDatabase;
  /** Product env after the secrets and DB credentials (instance name, pod namespace, ...). */
  readonly env: EnvVar[];
  readonly ports: unknown[];
  /** Where the probes GET /readyz: port name and scheme. */
  readonly probe: { port: string; scheme: ValueOrConstant<string> };
  /** Condition under which the liveness probe is left out (e.g. a long migration). @default never */
  readonly withoutLiveness?: unknown;
  readonly volumeMounts?: unknown[];
  readonly volumes?: unknown[];
  /** Init containers after the wait for the database, before the user's. */
  readonly initContainers?: unknown[];
  readonly sidecars?: unknown[];
  /** Labels the chart adds to the pods besides the standard ones (e.g. the vendor's `app` selector label). */
  readonly podLabels?: Record<string, ValueOrConstant<string>>;
}

/**
 * The pod template of an OPSWAT product: its ServiceAccount (token only for licensing clean-up), the
 * grace period that lets the server deactivate its licence after the preStop drain, the wait for the
 * database, Secrets and DB credentials as env, /readyz probes, and the product's own parts.
 */
export function opswatPodTemplate(render: Render, props: OpswatPodProps, pods: SlotPods): Record<string, unknown> {
  const { identity, values: v } = props;
  const probeAction = { path: '/readyz', port: props.probe.port, scheme: props.probe.scheme };
  const liveness = props.withoutLiveness === undefined ? v.livenessProbe : { ...v.livenessProbe, enabled: render.and(v.livenessProbe.enabled, render.not(props.withoutLiveness)) };
  return {
    metadata: {
      labels: { ...identity.labels(props.component, v.podLabels), ...props.podLabels, ...render.fieldsIf(pods.slot, { [SLOT_LABEL]: pods.slot }) },
      // The checksum counts towards the pod's annotation limit too: checked together.
      annotations: render.withEntriesOf({}, render.checkAnnotations(render.mergeMaps({ 'chart-as-code/config-checksum': props.configChecksum } as ValueOrConstant<Record<string, string>>, v.podAnnotations), 'podAnnotations')),
    },
    spec: {
      serviceAccountName: props.serviceAccountName,
      // The token is mounted only for licensing clean-up, the one feature that calls the API.
      automountServiceAccountToken: v.licensing.cleanup,
      // preStop drain, then SIGTERM: the server deactivates its licence within shutdownSeconds.
      terminationGracePeriodSeconds: render.add(v.deactivation.drainSeconds, v.deactivation.shutdownSeconds),
      ...podSpecFields(identity, v),
      initContainers: [...render.itemsIf(v.database.waitForReady, [props.database.waitContainer(v.database)]), ...(props.initContainers ?? []), ...render.itemsOfUniqueNames(v.extraInitContainers)],
      containers: [
        {
          name: props.containerName,
          image: imageRef(render, { repository: v.image.repository, digest: pods.imageDigest }, pods.imageTag),
          imagePullPolicy: v.image.pullPolicy,
          envFrom: [{ configMapRef: { name: props.configMapName } }],
          env: [
            ...props.secrets.env(),
            secretEnv(OPSWAT_SECRET_ENV.dbUser, props.database.credentials.secretName, 'user'),
            secretEnv(OPSWAT_SECRET_ENV.dbPassword, props.database.credentials.secretName, 'password'),
            ...props.env,
            ...render.itemsOfUniqueNames(v.extraEnv),
          ],
          ports: props.ports,
          ...httpProbe(render, 'readinessProbe', v.readinessProbe, probeAction),
          ...httpProbe(render, 'livenessProbe', liveness, probeAction),
          lifecycle: { preStop: { sleep: { seconds: v.deactivation.drainSeconds } } },
          resources: v.resources,
          securityContext: identity.securityContextValue(v.securityContext),
          volumeMounts: [...(props.volumeMounts ?? []), ...render.itemsOf(v.extraVolumeMounts)],
        },
        ...(props.sidecars ?? []),
      ],
      volumes: [...(props.volumes ?? []), ...render.itemsOfUniqueNames(v.extraVolumes)],
    },
  };
}

export interface OpswatProductBaseProps {
  readonly identity: Identity;
  readonly component: string;
  /** "mdicapsrv" or "mdcore": names the Secrets, the database credentials and the ServiceAccount. */
  readonly prefix: string;
  /** Product name of the in-cluster database ("postgres-mdicapsrv", "postgres-core"). */
  readonly databaseName: string;
  readonly values: OpswatPodValues &
    SecretValues & {
      serviceAccount: ValueTree<{ annotations: Record<string, string> }>;
      licensing: LicensingValues;
      credentialGenerator: CredentialGeneratorValues;
      compatibility: ValueTree<{ vendorSelectors: boolean; vendorDatabaseLayout: boolean }>;
    };
}

/**
 * What every OPSWAT product stands on, made directly under `scope`: its Secrets, its database, its own
 * ServiceAccount, the licensing clean-up RBAC bound to it, and the Job that generates its credentials.
 */
export function opswatProductBase(scope: Construct, props: OpswatProductBaseProps) {
  const { identity, component, prefix, values: v } = props;
  const secrets = new OpswatSecrets(scope, 'Secrets', { identity, component, prefix, values: v });
  const database = new PostgresDatabase(scope, 'Database', {
    identity,
    serviceName: props.databaseName,
    credentialsSecretName: `${prefix}-postgres-cred`,
    database: v.database,
    pod: v,
    vendor: { selector: v.compatibility.vendorSelectors, dataAtVolumeRoot: v.compatibility.vendorDatabaseLayout },
  });
  const serviceAccountName = productServiceAccount(scope, identity, `${prefix}-service-account`, component, v.serviceAccount.annotations);
  const licensing = new LicensingRbac(scope, 'Licensing', { identity, component, serviceAccountName, licensing: v.licensing });
  new CredentialGenerator(scope, 'CredentialGenerator', {
    identity,
    name: `${prefix}-credentials`,
    secrets: [secrets.credentials, secrets.apiKey, database.credentials],
    values: v.credentialGenerator,
    pod: v,
  });
  return { secrets, database, serviceAccountName, licensing };
}

import { Construct } from 'constructs';
import { z } from 'zod';
import { containerSecurityContext, image, K8S_EXAMPLES, k8sObject, optionalSecretName, port, resources, rule } from '../core/schema';
import { Render, ValueOrConstant, Value, ValueTree } from '../core/template';
import { Identity } from './identity';
import { ManagedSecret } from './secret';
import { imageRef, podSpecFields, PodValues, restrictedContainerSecurity, restrictedContainerSecurityContext, restrictedPodSecurity, singlePodDeployment } from './pod';
import { compatibleSelector } from './vendor-compat';
import { claimVolume, persistenceValues } from './volume';
import { KubeObject } from '../core/kube-object';
import { IngressPolicy, networkPolicyValues } from './network-policy';
import { containerContext, podContext } from './pod-security';

export interface DatabaseDefaults {
  /** In-cluster database object name, e.g. "postgres-mdicapsrv". */
  readonly serviceName: string;
  readonly databaseName: string;
  readonly imageTag: string;
  readonly inCluster: boolean;
  readonly persistence: boolean;
  /**
   * What `waitForReady` does in this product, for its description.
   * @default "Run an init container that waits until the database accepts connections."
   */
  readonly waitForReadyDescription?: string;
}

/** Engines an external database may run; the in-cluster database is always PostgreSQL. */
export const DATABASE_ENGINES = ['postgresql', 'oracle'] as const;
export type DatabaseEngine = (typeof DATABASE_ENGINES)[number];

const HOST_RE = /^([a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*)?$/;

function inClusterDefaults(d: DatabaseDefaults) {
  return {
    enabled: d.inCluster,
    image: { repository: 'postgres', tag: d.imageTag, digest: '', pullPolicy: 'IfNotPresent' as const },
    resources: { requests: { cpu: '250m', memory: '512Mi' }, limits: { cpu: '1', memory: '1Gi' } },
    persistence: { enabled: d.persistence, size: '10Gi', storageClass: '', existingClaim: '' },
    // OnRootMismatch: the kubelet re-owns the volume only when its root is not the fsGroup's yet. The default
    // (Always) makes every later mount of the claim group-writable recursively, and Postgres then refuses its
    // data directory ("invalid permissions"): a restarted or re-created database pod could not start.
    podSecurityContext: { ...restrictedPodSecurity(999), fsGroupChangePolicy: 'OnRootMismatch' },
    securityContext: restrictedContainerSecurity(true),
    networkPolicy: { enabled: true, from: [] },
  };
}

/** The fields every product database has; `name` differs by the engines offered. */
function databaseShape(d: DatabaseDefaults, name: { schema: z.ZodString; description: string }, portDescription: string) {
  const inCluster = inClusterDefaults(d);
  return {
    host: z.string().max(253).regex(HOST_RE).default('').describe('Host of an external database; leave empty to use the in-cluster one.'),
    port: port().default(5432).describe(portDescription),
    name: name.schema.default(d.databaseName).describe(name.description),
    user: z.string().min(1).max(63).default('postgres').describe('Database user (ignored when existingSecret is set).'),
    password: z.string().max(256).default('').describe('Database password; when empty, generated once in the cluster by the credential generator Job and never changed.'),
    existingSecret: optionalSecretName().default('').describe('Secret with keys "user" and "password" to use instead of creating one.'),
    waitForReady: z
      .boolean()
      .default(true)
      .describe(d.waitForReadyDescription ?? 'Run an init container that waits until the database accepts connections.'),
    inCluster: z
      .object({
        enabled: z.boolean().default(d.inCluster).describe(`Deploy Postgres in the release (${d.serviceName}).`),
        flavour: z
          .enum(DATABASE_FLAVOURS)
          .default('official')
          .describe(
            'Which PostgreSQL image the in-cluster database runs: official (Docker Hub postgres: POSTGRES_* env, data in /var/lib/postgresql/data) or rhel (registry.redhat.io/rhelN/postgresql-NN: POSTGRESQL_ADMIN_PASSWORD, data in /var/lib/pgsql/data; the products then log in as the superuser postgres). Set image.repository and image.tag to match.',
          ),
        image: image('postgres', d.imageTag),
        resources: resources(inCluster.resources.requests, inCluster.resources.limits),
        persistence: persistenceValues({
          enabled: d.persistence,
          size: '10Gi',
          enabledDescription: 'Keep the data on a PersistentVolumeClaim (otherwise an emptyDir: data is lost with the pod).',
        }),
        podSecurityContext: k8sObject(K8S_EXAMPLES.podSecurityContext).default(inCluster.podSecurityContext).describe('Pod security context (the postgres image runs as uid 999).'),
        securityContext: containerSecurityContext().default(inCluster.securityContext).describe('Container security context.'),
        networkPolicy: networkPolicyValues({ enabled: true, what: `${d.serviceName}: only this product's pods in this release (and \`from\`) may connect`, openWhenFromEmpty: false }),
      })
      .strict()
      .prefault({}),
  };
}

/** The PostgreSQL images the in-cluster database can run, each with its own env names and data path. */
export const DATABASE_FLAVOURS = ['official', 'rhel'] as const;

/**
 * The RHEL image sets up only its superuser from POSTGRESQL_ADMIN_PASSWORD (its POSTGRESQL_USER may not create
 * databases, which the products do, on install and on upgrade): the products log in as postgres.
 */
function rhelUserRule<T extends z.ZodType<{ user: string; existingSecret: string; inCluster: { enabled: boolean; flavour: string } }>>(schema: T): T {
  return rule(schema, (v) => !v.inCluster.enabled || v.inCluster.flavour !== 'rhel' || v.existingSecret !== '' || v.user === 'postgres', {
    message: 'database.inCluster.flavour rhel sets up the superuser postgres alone (POSTGRESQL_ADMIN_PASSWORD): set database.user to postgres (an existingSecret must hold user postgres too)',
    path: ['user'],
    counterexample: { user: 'core', inCluster: { enabled: true, flavour: 'rhel' } } as unknown as Partial<z.input<T>>,
    jsonSchema: {
      if: {
        properties: { existingSecret: { const: '' }, inCluster: { properties: { enabled: { const: true }, flavour: { const: 'rhel' } }, required: ['enabled', 'flavour'] } },
        required: ['existingSecret', 'inCluster'],
      },
      then: { properties: { user: { const: 'postgres' } } },
    },
  });
}

/** An external database needs its host. */
function hostRule<T extends z.ZodType<{ host: string; inCluster: { enabled: boolean } }>>(schema: T): T {
  return rule(schema, (v) => v.inCluster.enabled || v.host !== '', {
    message: 'set database.host when database.inCluster.enabled is false',
    path: ['host'],
    counterexample: { host: '', inCluster: { enabled: false } } as unknown as Partial<z.input<T>>,
    jsonSchema: {
      if: { properties: { inCluster: { properties: { enabled: { const: false } }, required: ['enabled'] } }, required: ['inCluster'] },
      then: { properties: { host: { minLength: 1 } } },
    },
  });
}

/** Where a product's database values reach the in-cluster database's pod (see pod-security.ts). */
/** The init container that waits for the database, in every pod that does. */
export const WAIT_CONTAINER = 'wait-for-database';

export const databasePodSecurity = [podContext(['database', 'inCluster', 'podSecurityContext']), containerContext(['database', 'inCluster', 'securityContext'])];

/** Values of a product's database: an in-cluster Postgres (one switch) or an external one. */
export const databaseValues = (d: DatabaseDefaults) =>
  rhelUserRule(hostRule(
    z
      .object(databaseShape(d, { schema: z.string().min(1).max(63).regex(/^[a-z_][a-z0-9_]*$/), description: 'Database name.' }, 'Database port.'))
      .strict(),
  )).prefault({});

/**
 * Values of a database that may also be an external Oracle one: `databaseValues` plus `type`. Oracle is
 * external only (there is no in-cluster Oracle), which values.schema.json enforces too.
 */
export const databaseValuesWithEngine = (d: DatabaseDefaults) =>
  rule(
    rhelUserRule(hostRule(
      z
        .object({
          type: z
            .enum(DATABASE_ENGINES)
            .default('postgresql')
            .describe('Database engine: postgresql, or oracle for an external Oracle database (the in-cluster database is PostgreSQL).'),
          ...databaseShape(
            d,
            { schema: z.string().min(1).max(128).regex(/^[A-Za-z_][A-Za-z0-9_.-]*$/), description: 'Database name (PostgreSQL) or service name (Oracle, e.g. XEPDB1).' },
            'Database port (PostgreSQL listens on 5432, Oracle on 1521).',
          ),
        })
        .strict(),
    )),
    (v) => v.type !== 'oracle' || !v.inCluster.enabled,
    {
      message: 'an oracle database is external: set database.inCluster.enabled to false (and database.host)',
      path: ['type'],
      counterexample: { type: 'oracle', inCluster: { enabled: true } },
      jsonSchema: {
        if: { properties: { type: { const: 'oracle' } }, required: ['type'] },
        then: { properties: { inCluster: { properties: { enabled: { const: false } }, required: ['enabled'] } }, required: ['inCluster'] },
      },
    },
  ).prefault({});

export type DatabaseValues = ValueTree<z.output<ReturnType<typeof databaseValues>>>;

export interface PostgresDatabaseProps {
  readonly identity: Identity;
  /** Product name of the in-cluster Service (the host products connect to), e.g. "postgres-mdicapsrv". */
  readonly serviceName: string;
  /**
   * Product name of the in-cluster Deployment and its claim, where the product's documentation names them
   * apart from the Service (e.g. "sv-postgres-db" behind "sv-postgres-db-service").
   * @default serviceName
   */
  readonly workloadName?: string;
  /** Product name of the credentials Secret, e.g. "mdicapsrv-postgres-cred". */
  readonly credentialsSecretName: string;
  readonly database: DatabaseValues;
  /** Pod values used for scheduling the database next to the product. */
  readonly pod: Omit<PodValues, 'podSecurityContext'>;
  /**
   * Compatibility with a vendor chart's database taken over in place: `selector` (a condition) selects the
   * pods by `app: <name>` (see vendor-compat.ts); `dataAtVolumeRoot` (a condition) keeps PGDATA at the root
   * of the volume, where the vendor's postgres wrote it. @default neither
   */
  readonly vendor?: { readonly selector: unknown; readonly dataAtVolumeRoot: unknown };
}

const COMPONENT = 'database';

/** What differs between the official PostgreSQL image and Red Hat's: env names, data path, probe user, home volume. */
function flavourParts(render: Render, flavour: ValueOrConstant<string>, credentialsSecret: ValueOrConstant<string>, dataAtVolumeRoot: unknown) {
  const secretRef = (key: string) => ({ secretKeyRef: { name: credentialsSecret, key } });
  const rhel = render.eq(flavour, 'rhel');
  return {
    env: [
      ...render.itemsIf(render.not(rhel), [
        { name: 'POSTGRES_USER', valueFrom: secretRef('user') },
        { name: 'POSTGRES_PASSWORD', valueFrom: secretRef('password') },
        // A subdirectory, so a volume's lost+found never makes initdb refuse the directory.
        { name: 'PGDATA', value: render.ifElse(dataAtVolumeRoot, '/var/lib/postgresql/data', '/var/lib/postgresql/data/pgdata') },
      ]),
      // The RHEL image keeps its data in userdata/ below the mount already.
      ...render.itemsIf(rhel, [{ name: 'POSTGRESQL_ADMIN_PASSWORD', valueFrom: secretRef('password') }]),
    ],
    dataPath: render.ifElse(rhel, '/var/lib/pgsql/data', '/var/lib/postgresql/data'),
    // Any user name does: the server answers before authentication (the RHEL image has no POSTGRES_USER).
    ready: ['sh', '-c', render.ifElse(rhel, 'pg_isready -h 127.0.0.1 -U postgres', 'pg_isready -h 127.0.0.1 -U "$POSTGRES_USER"')],
    // The RHEL image writes its passwd file for an arbitrary uid into its home, on a read-only root.
    mounts: render.itemsIf(rhel, [{ name: 'home', mountPath: '/var/lib/pgsql' }]),
    volumes: render.itemsIf(rhel, [{ name: 'home', emptyDir: {} }]),
  };
}

/** The postgres container: the flavour's env and probe, non-root on a read-only root with its data, run and tmp mounts. */
function postgresContainer(render: Render, identity: Identity, inCluster: DatabaseValues['inCluster'], flavour: ReturnType<typeof flavourParts>) {
  return {
    name: 'postgres',
    image: imageRef(render, inCluster.image, inCluster.image.tag),
    imagePullPolicy: inCluster.image.pullPolicy,
    env: flavour.env,
    ports: [{ name: 'postgres', containerPort: 5432, protocol: 'TCP' }],
    readinessProbe: { exec: { command: flavour.ready }, initialDelaySeconds: 5, periodSeconds: 5, timeoutSeconds: 3, failureThreshold: 6 },
    livenessProbe: { exec: { command: flavour.ready }, initialDelaySeconds: 30, periodSeconds: 10, timeoutSeconds: 5, failureThreshold: 6 },
    resources: inCluster.resources,
    securityContext: identity.securityContextValue(inCluster.securityContext),
    volumeMounts: [...flavour.mounts, { name: 'data', mountPath: flavour.dataPath }, { name: 'run', mountPath: '/var/run/postgresql' }, { name: 'tmp', mountPath: '/tmp' }],
  };
}

/**
 * A product's database: the credentials Secret (given, generated or existing), and when enabled an
 * in-cluster Postgres (Deployment with Recreate, Service, optional PVC), non-root on a read-only root.
 */
export class PostgresDatabase extends Construct {
  /** Host the product connects to. */
  public readonly host: Value<string>;
  public readonly port: ValueOrConstant<number>;
  public readonly credentials: ManagedSecret;
  private readonly identity: Identity;

  constructor(scope: Construct, id: string, props: PostgresDatabaseProps) {
    super(scope, id);
    const render = Render.of(this);
    const { identity, database: db } = props;
    this.identity = identity;
    const inCluster = db.inCluster;
    const name = identity.name(props.serviceName);
    const workloadName = props.workloadName ?? props.serviceName;
    this.host = render.sharedText(`${identity.props.templatePrefix}.databaseHost`, {}, () => render.ifElse(inCluster.enabled, name, db.host));
    this.port = db.port;
    this.credentials = new ManagedSecret(this, 'Credentials', {
      identity,
      name: props.credentialsSecretName,
      component: COMPONENT,
      existingSecret: db.existingSecret,
      keys: { user: { given: db.user }, password: { given: db.password, generate: { charset: 'alphanumeric', length: 24 } } },
    });

    render.when(inCluster.enabled, () => {
      const compat = compatibleSelector(render, props.vendor?.selector ?? false, name, identity.selector(COMPONENT));
      const selector = compat.selector;
      const dataVolume = claimVolume(this, 'Claim', {
        identity,
        name: workloadName,
        component: COMPONENT,
        persistence: inCluster.persistence,
        volumeName: 'data',
      });
      const flavour = flavourParts(render, inCluster.flavour, this.credentials.secretName, props.vendor?.dataAtVolumeRoot ?? false);
      singlePodDeployment(this, {
        identity,
        name: workloadName,
        component: COMPONENT,
        selector,
        template: {
          metadata: { labels: { ...identity.labels(COMPONENT), ...compat.podLabels } },
          spec: {
            automountServiceAccountToken: false,
            ...podSpecFields(identity, { ...props.pod, podSecurityContext: inCluster.podSecurityContext }),
            containers: [postgresContainer(render, identity, inCluster, flavour)],
            volumes: [...dataVolume, ...flavour.volumes, { name: 'run', emptyDir: {} }, { name: 'tmp', emptyDir: {} }],
          },
        },
      });
      new IngressPolicy(this, 'NetworkPolicy', {
        identity,
        name: workloadName,
        component: COMPONENT,
        podSelector: identity.selector(COMPONENT),
        ports: ['postgres'],
        values: inCluster.networkPolicy,
        openWhenFromEmpty: false,
      });
      new KubeObject(this, 'Service', {
        apiVersion: 'v1',
        kind: 'Service',
        metadata: identity.meta(props.serviceName, COMPONENT),
        spec: {
          type: 'ClusterIP',
          selector,
          // The Service listens on database.port, so `port` is the one port products connect to either way.
          ports: [{ name: 'postgres', port: db.port, targetPort: 'postgres', protocol: 'TCP' }],
        },
      });
    });
  }

  /** An init container (named WAIT_CONTAINER) that waits until the database accepts connections. */
  public waitContainer(database: DatabaseValues, hostEnv = 'DB_HOST', portEnv = 'DB_PORT') {
    return {
      name: WAIT_CONTAINER,
      image: imageRef(Render.of(this), database.inCluster.image, database.inCluster.image.tag),
      imagePullPolicy: database.inCluster.image.pullPolicy,
      // -U: without a user libpq looks the process's uid up in passwd, which an arbitrary uid (OpenShift's)
      // is not in, and pg_isready never tries ("no attempt"). Any name does: the server answers before authentication.
      command: ['sh', '-c', `until pg_isready -h "$${hostEnv}" -p "$${portEnv}" -U postgres; do echo waiting for database; sleep 2; done`],
      env: [
        { name: hostEnv, value: this.host },
        { name: portEnv, value: Render.of(this).str(this.port) },
      ],
      resources: { requests: { cpu: '50m', memory: '64Mi' }, limits: { cpu: '100m', memory: '128Mi' } },
      securityContext: this.identity.securityContext({ ...restrictedContainerSecurityContext(Render.of(this), true), runAsUser: 999, runAsGroup: 999 }),
    };
  }
}

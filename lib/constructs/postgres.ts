import { ApiObject } from 'cdk8s';
import { Construct } from 'constructs';
import { z } from 'zod';
import { dnsName, image, k8sObject, optionalSecretName, port, quantity, resources, rule } from '../core/schema';
import { Render } from '../core/template';
import { Identity } from './identity';
import { ManagedSecret } from './secret';
import { podSpecFields, PodValues, restrictedContainerSecurity, restrictedPodSecurity } from './pod';

export interface DatabaseDefaults {
  /** In-cluster database object name, e.g. "postgres-mdicapsrv". */
  readonly serviceName: string;
  readonly databaseName: string;
  readonly imageTag: string;
  readonly inCluster: boolean;
  readonly persistence: boolean;
}

/** Values of a product's database: an in-cluster Postgres (one switch) or an external one. */
export const databaseValues = (d: DatabaseDefaults) => {
  const persistence = { enabled: d.persistence, size: '10Gi', storageClass: '', existingClaim: '' };
  const inCluster = {
    enabled: d.inCluster,
    image: { repository: 'postgres', tag: d.imageTag, pullPolicy: 'IfNotPresent' as const },
    resources: { requests: { cpu: '250m', memory: '512Mi' }, limits: { cpu: '1', memory: '1Gi' } },
    persistence,
    podSecurityContext: restrictedPodSecurity(999),
    securityContext: restrictedContainerSecurity(true),
  };
  return rule(
    z
      .object({
        host: z
          .string()
          .max(253)
          .regex(/^([a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*)?$/)
          .default('')
          .describe('Host of an external database; leave empty to use the in-cluster one.'),
        port: port().default(5432).describe('Database port.'),
        name: z.string().min(1).max(63).regex(/^[a-z_][a-z0-9_]*$/).default(d.databaseName).describe('Database name.'),
        user: z.string().min(1).max(63).default('postgres').describe('Database user (ignored when existingSecret is set).'),
        password: z.string().max(256).default('').describe('Database password; generated (and kept across upgrades) when empty.'),
        existingSecret: optionalSecretName().default('').describe('Secret with keys "user" and "password" to use instead of creating one.'),
        waitForReady: z.boolean().default(true).describe('Run an init container that waits until the database accepts connections.'),
        inCluster: z
          .object({
            enabled: z.boolean().default(d.inCluster).describe(`Deploy Postgres in the release (${d.serviceName}).`),
            image: image('postgres', d.imageTag),
            resources: resources(inCluster.resources.requests, inCluster.resources.limits),
            persistence: z
              .object({
                enabled: z.boolean().default(d.persistence).describe('Keep the data on a PersistentVolumeClaim (otherwise an emptyDir: data is lost with the pod).'),
                size: quantity().default('10Gi').describe('Size of the claim.'),
                storageClass: z.string().default('').describe('Storage class of the claim; empty for the cluster default.'),
                existingClaim: z.union([z.literal(''), dnsName()]).default('').describe('Use this existing claim instead of creating one.'),
              })
              .strict()
              .default(persistence),
            podSecurityContext: k8sObject().default(inCluster.podSecurityContext).describe('Pod security context (the postgres image runs as uid 999).'),
            securityContext: k8sObject().default(inCluster.securityContext).describe('Container security context.'),
          })
          .strict()
          .default(inCluster),
      })
      .strict(),
    (v) => v.inCluster.enabled || v.host !== '',
    {
      message: 'set database.host when database.inCluster.enabled is false',
      path: ['host'],
      counterexample: { host: '', inCluster: { enabled: false } },
      jsonSchema: {
        if: { properties: { inCluster: { properties: { enabled: { const: false } }, required: ['enabled'] } }, required: ['inCluster'] },
        then: { properties: { host: { minLength: 1 } } },
      },
    },
  ).default({
    host: '',
    port: 5432,
    name: d.databaseName,
    user: 'postgres',
    password: '',
    existingSecret: '',
    waitForReady: true,
    inCluster,
  });
};

export type DatabaseValues = z.output<ReturnType<typeof databaseValues>>;

export interface PostgresDatabaseProps {
  readonly identity: Identity;
  /** Product name of the in-cluster objects, e.g. "postgres-mdicapsrv". */
  readonly serviceName: string;
  /** Product name of the credentials Secret, e.g. "mdicapsrv-postgres-cred". */
  readonly credentialsSecretName: string;
  readonly database: DatabaseValues;
  /** Pod values used for scheduling the database next to the product. */
  readonly pod: Omit<PodValues, 'podSecurityContext'>;
}

const COMPONENT = 'database';

/**
 * A product's database: the credentials Secret (given, generated or existing), and when enabled an
 * in-cluster Postgres (Deployment with Recreate, Service, optional PVC), non-root on a read-only root.
 */
export class PostgresDatabase extends Construct {
  /** Host the product connects to. */
  public readonly host: string;
  public readonly port: number;
  public readonly credentials: ManagedSecret;

  constructor(scope: Construct, id: string, props: PostgresDatabaseProps) {
    super(scope, id);
    const render = Render.of(this);
    const { identity, database: db } = props;
    const inCluster = db.inCluster;
    const name = identity.name(props.serviceName);
    this.host = render.choose(inCluster.enabled, name, db.host);
    this.port = db.port;
    this.credentials = new ManagedSecret(this, 'Credentials', {
      identity,
      name: props.credentialsSecretName,
      component: COMPONENT,
      existingSecret: db.existingSecret,
      keys: { user: { given: db.user }, password: { given: db.password, generate: { charset: 'alphanumeric', length: 24 } } },
    });

    render.when(inCluster.enabled, () => {
      const selector = identity.selector(COMPONENT);
      const claimName = render.coalesce(inCluster.persistence.existingClaim, name);
      render.when(render.and(inCluster.persistence.enabled, render.not(inCluster.persistence.existingClaim)), () => {
        new ApiObject(this, 'Claim', {
          apiVersion: 'v1',
          kind: 'PersistentVolumeClaim',
          metadata: identity.meta(props.serviceName, COMPONENT, { annotations: { 'helm.sh/resource-policy': 'keep' } }),
          spec: {
            accessModes: ['ReadWriteOnce'],
            resources: { requests: { storage: inCluster.persistence.size } },
            ...render.fields(inCluster.persistence.storageClass, { storageClassName: inCluster.persistence.storageClass }),
          },
        });
      });
      const secretRef = (key: string) => ({ secretKeyRef: { name: this.credentials.secretName, key } });
      new ApiObject(this, 'Deployment', {
        apiVersion: 'apps/v1',
        kind: 'Deployment',
        metadata: identity.meta(props.serviceName, COMPONENT),
        spec: {
          replicas: 1,
          // One pod owns the data directory: never two at once.
          strategy: { type: 'Recreate' },
          selector: { matchLabels: selector },
          template: {
            metadata: { labels: identity.labels(COMPONENT) },
            spec: {
              automountServiceAccountToken: false,
              ...podSpecFields(render, { ...props.pod, podSecurityContext: inCluster.podSecurityContext }),
              containers: [
                {
                  name: 'postgres',
                  image: `${inCluster.image.repository}:${inCluster.image.tag}`,
                  imagePullPolicy: inCluster.image.pullPolicy,
                  env: [
                    { name: 'POSTGRES_USER', valueFrom: secretRef('user') },
                    { name: 'POSTGRES_PASSWORD', valueFrom: secretRef('password') },
                    // A subdirectory, so a volume's lost+found never makes initdb refuse the directory.
                    { name: 'PGDATA', value: '/var/lib/postgresql/data/pgdata' },
                  ],
                  ports: [{ name: 'postgres', containerPort: 5432, protocol: 'TCP' }],
                  readinessProbe: {
                    exec: { command: ['sh', '-c', 'pg_isready -h 127.0.0.1 -U "$POSTGRES_USER"'] },
                    initialDelaySeconds: 5,
                    periodSeconds: 5,
                    timeoutSeconds: 3,
                    failureThreshold: 6,
                  },
                  livenessProbe: {
                    exec: { command: ['sh', '-c', 'pg_isready -h 127.0.0.1 -U "$POSTGRES_USER"'] },
                    initialDelaySeconds: 30,
                    periodSeconds: 10,
                    timeoutSeconds: 5,
                    failureThreshold: 6,
                  },
                  resources: inCluster.resources,
                  securityContext: inCluster.securityContext,
                  volumeMounts: [
                    { name: 'data', mountPath: '/var/lib/postgresql/data' },
                    { name: 'run', mountPath: '/var/run/postgresql' },
                    { name: 'tmp', mountPath: '/tmp' },
                  ],
                },
              ],
              volumes: [
                ...render.items(inCluster.persistence.enabled, [{ name: 'data', persistentVolumeClaim: { claimName } }]),
                ...render.items(render.not(inCluster.persistence.enabled), [{ name: 'data', emptyDir: {} }]),
                { name: 'run', emptyDir: {} },
                { name: 'tmp', emptyDir: {} },
              ],
            },
          },
        },
      });
      new ApiObject(this, 'Service', {
        apiVersion: 'v1',
        kind: 'Service',
        metadata: identity.meta(props.serviceName, COMPONENT),
        spec: {
          type: 'ClusterIP',
          selector,
          ports: [{ name: 'postgres', port: 5432, targetPort: 'postgres', protocol: 'TCP' }],
        },
      });
    });
  }

  /** An init container that waits until the database accepts connections. */
  public waitContainer(database: DatabaseValues, hostEnv = 'DB_HOST', portEnv = 'DB_PORT') {
    return {
      name: 'wait-for-database',
      image: `${database.inCluster.image.repository}:${database.inCluster.image.tag}`,
      imagePullPolicy: database.inCluster.image.pullPolicy,
      command: ['sh', '-c', `until pg_isready -h "$${hostEnv}" -p "$${portEnv}"; do echo waiting for database; sleep 2; done`],
      env: [
        { name: hostEnv, value: this.host },
        { name: portEnv, value: Render.of(this).str(this.port) },
      ],
      resources: { requests: { cpu: '50m', memory: '64Mi' }, limits: { cpu: '100m', memory: '128Mi' } },
      securityContext: { ...restrictedContainerSecurity(true), runAsUser: 999, runAsGroup: 999 },
    };
  }
}

/**
 * The in-cluster database on either PostgreSQL image: the official one or Red Hat's (`database.inCluster.flavour`,
 * a field of the database values in postgres.ts, where the Deployment picks each flavour's env names, data
 * path and probe). This feature holds what converts the vendor charts' database image and env to it, and its
 * cases: the vendor's OpenShift examples run registry.redhat.io/rhel8/postgresql-12 with POSTGRESQL_* env.
 */
import { defineFeature, ProductNames } from '../feature';
import { credentialsOf } from '../../convert/common-rules';
import { envList, imageTo, Rule, str } from '../../convert/engine';

/** Red Hat's PostgreSQL images (registry.redhat.io/rhel8/postgresql-12, quay.io/sclorg/postgresql-15-c9s). */
const RHEL_IMAGE = /(^|\/)(rhel[0-9]+\/postgresql-[0-9]+|sclorg\/postgresql-[0-9]+-c[0-9]+s)$/;

/** The vendor's database image: repository and tag (a moving tag is an action), and for a Red Hat image the rhel flavour. */
const imageRule: Rule = (k) => {
  const image = str(k);
  const rhel = RHEL_IMAGE.test(image.replace(/@sha256:[a-f0-9]+$/, '').replace(/:[^/:]*$/, ''));
  if (rhel) k.ctx.set('database.inCluster.flavour', 'rhel');
  const flavour = rhel ? 'a Red Hat image: database.inCluster.flavour rhel (POSTGRESQL_ADMIN_PASSWORD from the Secret, data in /var/lib/pgsql/data, login as postgres); its registry needs imagePullSecrets' : '';
  imageTo(k, image, 'database.inCluster.image.repository', 'database.inCluster.image.tag', flavour);
};

/** The env the vendor's database container reads from its Secret, in either flavour's names: ours sets the same. */
const databaseEnvDefaults = (secret: string) =>
  [
    ['POSTGRES_PASSWORD', 'password'],
    ['POSTGRES_USER', 'user'],
    ['POSTGRESQL_ADMIN_PASSWORD', 'password'],
    ['POSTGRESQL_PASSWORD', 'password'],
    ['POSTGRESQL_USER', 'user'],
  ].map(([name, key]) => ({ name, valueFrom: { secretKeyRef: { name: secret, key } } }));

/** The database flavour of a product whose vendor chart keeps its database component at `databaseKey`. */
export const databaseFlavour = (p: ProductNames, databaseKey: string) =>
  defineFeature({
    name: 'database image flavour',
    values: {},
    vendorRules: {
      [`${databaseKey}.image`]: imageRule,
      [`${databaseKey}.env`]: envList(databaseEnvDefaults(`${p.prefix}-postgres-cred`), 'ours reads the database user and password from the same Secret, in the env names of the image\'s flavour', credentialsOf(p.prefix).databaseLiteral),
    },
    cases: [
      {
        name: 'in-cluster database on the RHEL image',
        values: { database: { inCluster: { flavour: 'rhel', image: { repository: 'registry.redhat.io/rhel8/postgresql-12', tag: '1-54' } } }, imagePullSecrets: [{ name: 'redhat-registry' }] },
      },
      {
        name: 'in-cluster database on the RHEL image, persistent, credentials from an existing Secret',
        values: { database: { existingSecret: 'db-admin', inCluster: { flavour: 'rhel', image: { repository: 'registry.redhat.io/rhel9/postgresql-16', tag: '1-25' }, persistence: { enabled: true, existingClaim: 'pg-data' } } } },
      },
    ],
  });

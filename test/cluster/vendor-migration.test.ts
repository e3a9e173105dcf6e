/**
 * Replacing a running release of OPSWAT's mdcore and icap charts (the stand-ins of
 * test/fixtures/vendor-charts) by charts/md-core and charts/md-icapsrv in place, on the real control
 * plane, with the steps the README documents:
 *
 *   helm get values <release> --all -o yaml > vendor-values.yaml
 *   npx chart-as-code convert-values --from vendor-mdcore|vendor-icap vendor-values.yaml --in-place --out values.yaml --report report.md
 *   then the steps the report lists (inPlaceSteps): mark the Secrets (and md-core's database claim)
 *   helm.sh/resource-policy=keep, make the database Deployment Recreate, helm upgrade with values.yaml
 *
 * Afterwards the Secrets (admin credentials, API key, licence key, database credentials; icap's licensing
 * Secret) hold exactly what they held, byte for byte; md-core's database claim is the same object bound
 * to the same volume, whose files (a marker written before) are untouched; our Deployments select the
 * vendor's pods' label and run with those credentials; and the ReplicaSets never asked for more product
 * pods (licence activations) at once than replicas. kwok runs no containers: the credential generator's script runs on this machine
 * (runCredentialJobs).
 */
import { randomBytes } from 'node:crypto';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import YAML from 'yaml';
import { main } from '../../lib/cli';
import { inPlaceSteps, type VendorChart } from '../../lib/convert/vendor-values';
import { HELM_MAJORS, type HelmMajor } from '../../lib/tooling/helm';
import {
  assertPodReferencesResolve,
  assertWorkloadsReady,
  chartDirs,
  cluster,
  deleteNamespaces,
  getJson,
  helmOk,
  install,
  K8sObject,
  kubectl,
  kubectlOk,
  newNamespace,
  REPO,
  runCredentialJobs,
  watchCollection,
} from './support';

const RELEASE = 'scan';

const cleanups: (() => void)[] = [];
afterAll(() => {
  deleteNamespaces();
  for (const c of cleanups.splice(0)) c();
});

type Pod = K8sObject & { metadata: { deletionTimestamp?: string; labels?: Record<string, string> } };
type ReplicaSet = K8sObject & { metadata: { labels?: Record<string, string> }; spec: { replicas?: number } };

/**
 * From watches of the namespace's ReplicaSets and pods, for the product's `app` label: the most pods its
 * ReplicaSets asked for at once (the sum of their spec.replicas after each event), and every pod name seen.
 * The bound is on ReplicaSets, as the Deployment controller keeps it: with maxSurge 0 it scales the new
 * ReplicaSet up once the old one is scaled to 0, while the old pod's deletion and the new pod's creation
 * are separate calls of the ReplicaSet controller that may land in either order.
 */
function rolloutBounds(rs: { initial: ReplicaSet[]; events: { type: string; object: ReplicaSet }[] }, pods: { initial: Pod[]; events: { type: string; object: Pod }[] }, app: string) {
  const asked = new Map(rs.initial.filter((r) => r.metadata.labels?.app === app).map((r) => [r.metadata.name, r.spec.replicas ?? 0]));
  const total = () => [...asked.values()].reduce((a, b) => a + b, 0);
  let most = total();
  for (const e of rs.events) {
    if (e.object.metadata.labels?.app !== app) continue;
    if (e.type === 'DELETED') asked.delete(e.object.metadata.name);
    else asked.set(e.object.metadata.name, e.object.spec.replicas ?? 0);
    most = Math.max(most, total());
  }
  const seen = new Set([...pods.initial.filter((p) => !p.metadata.deletionTimestamp), ...pods.events.map((e) => e.object)].filter((p) => p.metadata.labels?.app === app).map((p) => p.metadata.name));
  return { most, seen };
}

/** What differs between the two vendor charts' migrations. */
interface Migration {
  readonly from: VendorChart;
  /** The stand-in's directory under test/fixtures/vendor-charts, and its `<name>-<version>` in the release history. */
  readonly vendorDir: string;
  readonly vendorChart: string;
  readonly ours: string;
  /** The vendor's `--set` at install: a licence key, as a user has. */
  readonly set: string;
  /** Every Secret the vendor release holds, and the product and database Deployments (named as the vendor's). */
  readonly secrets: readonly string[];
  readonly product: string;
  readonly database: string;
  /** The credentials' env of the product container: variable → Secret name/key. */
  readonly env: Record<string, { name: string; key: string }>;
  /** The Roles left after the switch. */
  readonly roles: readonly string[];
  /** What the in-place conversion must give. */
  readonly converted: Record<string, unknown>;
}

const credentialEnv = (prefix: string) => ({
  MD_USER: { name: `${prefix}-cred`, key: 'user' },
  MD_PWD: { name: `${prefix}-cred`, key: 'password' },
  APIKEY: { name: `${prefix}-api-key`, key: 'value' },
  LICENSE_KEY: { name: `${prefix}-license-key`, key: 'value' },
  DB_PWD: { name: `${prefix}-postgres-cred`, key: 'password' },
});

/** The helm major that installed the vendor release, and the one that runs the migration. */
interface Majors {
  readonly install: HelmMajor;
  readonly upgrade: HelmMajor;
}

/** Each major on its own, and a helm 3 release migrated with helm 4 (a team moving to helm 4 at the same time). */
const MAJORS: Majors[] = [...HELM_MAJORS.map((m) => ({ install: m, upgrade: m })), { install: 3, upgrade: 4 }];
const majorsName = (h: Majors) => (h.install === h.upgrade ? `helm ${h.install}` : `installed with helm ${h.install}, migrated with helm ${h.upgrade}`);

/**
 * Install the vendor stand-in, run the documented steps, and check what every migration must keep: the
 * Secrets byte for byte, the vendor's selectors, the credentials the pods read, readiness, and at most one
 * product pod (licence activation) at a time. Returns the namespace for the chart's own checks.
 */
async function migrate(helm: Majors, m: Migration, hooks: { beforeInstall?: (ns: string) => void; afterInstall?: (ns: string) => void } = {}): Promise<string> {
  const kube = cluster();
  const ns = newNamespace(`vendor-${m.ours}-h${helm.install}${helm.upgrade}`);
  const ours = chartDirs().find((c) => c.name === m.ours)!;
  hooks.beforeInstall?.(ns);

  install(helm.install, path.join(REPO, 'test', 'fixtures', 'vendor-charts', m.vendorDir), RELEASE, ns, [m.set]);
  hooks.afterInstall?.(ns);
  const secretsBefore = Object.fromEntries(m.secrets.map((n) => [n, getJson<{ data?: Record<string, string> }>(kube, ['secret', n, '-n', ns]).data]));
  for (const name of m.secrets) expect(Object.keys(secretsBefore[name] ?? {}), `${name} holds data to keep`).not.toHaveLength(0);
  expect(getJson<{ spec: { selector: unknown } }>(kube, ['deployment', m.product, '-n', ns]).spec.selector).toEqual({ matchLabels: { app: m.product } });

  // The documented steps.
  const work = fs.mkdtempSync(path.join(os.tmpdir(), 'migration-'));
  cleanups.push(() => fs.rmSync(work, { recursive: true, force: true }));
  const vendorValues = path.join(work, 'vendor-values.yaml');
  fs.writeFileSync(vendorValues, helmOk(helm.upgrade, ['get', 'values', RELEASE, '-n', ns, '--all', '-o', 'yaml']).stdout);
  const converted = path.join(work, 'values.yaml');
  const report = path.join(work, 'report.md');
  let stderr = '';
  const code = main(['convert-values', '--from', m.from, vendorValues, '--in-place', '--namespace', ns, '--out', converted, '--report', report], {
    stdout: () => undefined,
    stderr: (s) => (stderr += s),
  });
  expect(code, stderr).toBe(0);
  expect(YAML.parse(fs.readFileSync(converted, 'utf8'))).toMatchObject({ compatibility: { vendorSelectors: true, vendorDatabaseLayout: true }, ...m.converted });
  expect(fs.readFileSync(report, 'utf8')).toContain('## Replacing the running release in place');

  // The steps the report gives, as they are.
  const pods = watchCollection<Pod>(kube, `/api/v1/namespaces/${ns}/pods`);
  const replicaSets = watchCollection<ReplicaSet>(kube, `/apis/apps/v1/namespaces/${ns}/replicasets`);
  try {
    for (const step of inPlaceSteps(m.from, { release: RELEASE, namespace: ns, valuesFile: converted, chartDir: ours.dir })) {
      if (step.tool === 'kubectl') kubectlOk(kube, [...step.args]);
      else helmOk(helm.upgrade, [...step.args, '--timeout', '3m']);
    }
    runCredentialJobs(kube, ns);
  } finally {
    await Promise.all([pods.stop(), replicaSets.stop()]);
  }

  // Secrets: every key the vendor chart wrote, byte for byte (the generated ones carried over by the
  // upgrade and put back by the credential generator; the licence key kept as the vendor's).
  for (const name of m.secrets) {
    const data = getJson<{ data?: Record<string, string> }>(kube, ['secret', name, '-n', ns]).data;
    expect(data, name).toEqual(secretsBefore[name]);
  }

  // Our workloads: the vendor's selectors, the same Secrets read by the running pods.
  const release = helmOk(helm.upgrade, ['history', RELEASE, '-n', ns, '-o', 'json']).stdout;
  expect((JSON.parse(release) as { chart: string }[]).map((r) => r.chart)).toEqual([m.vendorChart, expect.stringMatching(new RegExp(`^${m.ours}-`))]);
  const product = getJson<K8sObject & { spec: any }>(kube, ['deployment', m.product, '-n', ns]);
  expect(product.spec.selector).toEqual({ matchLabels: { app: m.product } });
  expect(product.spec.template.metadata.labels).toMatchObject({ app: m.product, 'app.kubernetes.io/name': m.ours, 'app.kubernetes.io/instance': RELEASE });
  const env = Object.fromEntries(product.spec.template.spec.containers[0].env.map((e: any) => [e.name, e.valueFrom?.secretKeyRef]));
  expect(env).toMatchObject(m.env);
  const db = getJson<K8sObject & { spec: any }>(kube, ['deployment', m.database, '-n', ns]);
  expect(db.spec.selector).toEqual({ matchLabels: { app: m.database } });
  expect(db.spec.strategy).toEqual({ type: 'Recreate' });
  assertWorkloadsReady(kube, ns, [product, db]);
  const running = getJson<{ items: Pod[] }>(kube, ['pods', '-n', ns, '-l', `app=${m.product}`]).items.filter((p) => !p.metadata.deletionTimestamp);
  expect(running).toHaveLength(1);
  expect(running[0]!.metadata.labels?.['app.kubernetes.io/name']).toBe(m.ours);
  assertPodReferencesResolve(kube, ns);
  expect(kubectl(kube, ['get', 'role', '-n', ns, '-o', 'name']).stdout.split('\n').filter(Boolean).sort()).toEqual(m.roles.map((r) => `role.rbac.authorization.k8s.io/${r}`).sort());

  // Licence activations: maxSurge 0, so the old pod is told to stop (and deactivates) before its
  // replacement is asked for: the ReplicaSets never ask for more product pods than replicas (1), and the
  // switch makes one new pod (one new activation).
  const { most, seen } = rolloutBounds(replicaSets, pods, m.product);
  expect(most, JSON.stringify(replicaSets.events.map((e) => [e.type, e.object.metadata.name, e.object.spec.replicas]))).toBe(1);
  expect([...seen], 'product pods seen').toHaveLength(2);
  return ns;
}

describe.each(MAJORS.map((h) => [majorsName(h), h] as const))('replacing a vendor mdcore release in place (%s)', (_, helm) => {
  it('keeps the Secrets, the database claim and its data, and runs with the same credentials', async () => {
    const kube = cluster();
    // The vendor's database volume: a directory on this machine with a marker file, statically bound
    // to the vendor chart's claim (storage class "default", 100Gi, as its values ask).
    const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'vendor-pg-'));
    const marker = randomBytes(16).toString('hex');
    fs.writeFileSync(path.join(dataDir, 'PG_VERSION'), '14\n');
    fs.writeFileSync(path.join(dataDir, 'marker'), marker);
    const pv = `vendor-pg-${randomBytes(4).toString('hex')}`;
    cleanups.push(() => {
      kubectl(kube, ['delete', 'pv', pv, '--wait=false', '--ignore-not-found']);
      fs.rmSync(dataDir, { recursive: true, force: true });
    });
    type Claim = K8sObject & { metadata: { uid: string }; spec: { volumeName: string }; status: { phase: string } };
    let claimBefore: Claim | undefined;
    let pvUid = '';

    const ns = await migrate(
      helm,
      {
        from: 'vendor-mdcore',
        vendorDir: 'mdcore',
        vendorChart: 'mdcore-0.0.1-standin',
        ours: 'md-core',
        set: 'mdcore_license_key=TEST-LICENSE',
        secrets: ['mdcore-cred', 'mdcore-api-key', 'mdcore-license-key', 'mdcore-postgres-cred'],
        product: 'md-core',
        database: 'postgres-core',
        env: credentialEnv('mdcore'),
        // The vendor values had licensing clean-up off (LICENSING_CLEANUP "false"), and so has ours: the
        // only Role left is the credential generator's, which may patch its named Secrets.
        roles: ['mdcore-credentials'],
        converted: { license: { existingSecret: 'mdcore-license-key' }, database: { inCluster: { persistence: { existingClaim: 'postgres-core' } } } },
      },
      {
        beforeInstall: (ns) =>
          kubectlOk(kube, ['create', '-f', '-'], {
            input: JSON.stringify({
              apiVersion: 'v1',
              kind: 'PersistentVolume',
              metadata: { name: pv },
              spec: {
                capacity: { storage: '100Gi' },
                accessModes: ['ReadWriteOnce'],
                persistentVolumeReclaimPolicy: 'Retain',
                storageClassName: 'default',
                hostPath: { path: dataDir, type: 'Directory' },
                claimRef: { namespace: ns, name: 'postgres-core' },
              },
            }),
          }),
        afterInstall: (ns) => {
          claimBefore = getJson<Claim>(kube, ['pvc', 'postgres-core', '-n', ns]);
          expect(claimBefore.spec.volumeName).toBe(pv);
          pvUid = getJson<{ metadata: { uid: string } }>(kube, ['pv', pv]).metadata.uid;
        },
      },
    );

    // The claim: the same object, bound to the same volume, its files untouched.
    const claimAfter = getJson<Claim>(kube, ['pvc', 'postgres-core', '-n', ns]);
    expect(claimAfter.metadata.uid).toBe(claimBefore!.metadata.uid);
    expect(claimAfter.spec.volumeName).toBe(pv);
    expect(claimAfter.status.phase).toBe('Bound');
    expect(getJson<{ metadata: { uid: string } }>(kube, ['pv', pv]).metadata.uid).toBe(pvUid);
    expect(fs.readFileSync(path.join(dataDir, 'marker'), 'utf8')).toBe(marker);
    expect(fs.readdirSync(dataDir).sort()).toEqual(['PG_VERSION', 'marker']);
    // The claim's data at PGDATA as the vendor's postgres wrote it.
    const pg = getJson<K8sObject & { spec: any }>(kube, ['deployment', 'postgres-core', '-n', ns]);
    expect(pg.spec.template.spec.volumes).toContainEqual({ name: 'data', persistentVolumeClaim: { claimName: 'postgres-core' } });
    expect(pg.spec.template.spec.containers[0].env).toContainEqual({ name: 'PGDATA', value: '/var/lib/postgresql/data' });
  });
});

describe.each(MAJORS.map((h) => [majorsName(h), h] as const))('replacing a vendor icap release in place (%s)', (_, helm) => {
  it('keeps the Secrets, the licensing Secret and its data, and runs with the same credentials', async () => {
    const kube = cluster();
    // Licensing state the vendor's worker wrote into its Secret (the stand-in renders it empty).
    const licensing = { activation: Buffer.from(randomBytes(12).toString('hex')).toString('base64') };
    await migrate(
      helm,
      {
        from: 'vendor-icap',
        vendorDir: 'icap',
        vendorChart: 'icap-0.0.1-standin',
        ours: 'md-icapsrv',
        set: 'mdicapsrv_license_key=TEST-LICENSE',
        secrets: ['mdicapsrv-cred', 'mdicapsrv-api-key', 'mdicapsrv-license-key', 'mdicapsrv-postgres-cred', 'mdicap-licensing'],
        product: 'md-icapsrv',
        database: 'postgres-mdicapsrv',
        env: credentialEnv('mdicapsrv'),
        // Licensing clean-up is on in the vendor's defaults, and so in ours (its Role, named Secrets only),
        // next to the credential generator's; the vendor's broad worker Role is gone.
        roles: ['mdicapsrv-credentials', 'md-icapsrv-licensing'],
        converted: { licensing: { cleanup: true, secretName: 'mdicap-licensing' }, database: { existingSecret: 'mdicapsrv-postgres-cred' } },
      },
      {
        afterInstall: (ns) => kubectlOk(kube, ['-n', ns, 'patch', 'secret', 'mdicap-licensing', '-p', JSON.stringify({ data: licensing })]),
      },
    );
  });
});

/**
 * Replacing a running release of OPSWAT's mdcore chart (the stand-in of test/fixtures/vendor-charts) by
 * charts/md-core in place, on the real control plane, with the steps the README documents:
 *
 *   helm get values <release> --all -o yaml > vendor-values.yaml
 *   npx chart-as-code convert-values --from vendor-mdcore vendor-values.yaml --in-place --out values.yaml --report report.md
 *   then the steps the report lists (inPlaceSteps): mark the Secrets and the database claim
 *   helm.sh/resource-policy=keep, make the database Deployment Recreate, helm upgrade with values.yaml
 *
 * Afterwards the Secrets (admin credentials, API key, licence key, database credentials) hold exactly
 * what they held, byte for byte; the database claim is the same object bound to the same volume, whose
 * files (a marker written before) are untouched; our Deployments select the vendor's pods' label and run
 * with those credentials; and no more md-core pods (licence activations) ran at once than replicas.
 * kwok runs no containers: the credential generator's script runs on this machine (runCredentialJobs).
 */
import { randomBytes } from 'node:crypto';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import YAML from 'yaml';
import { main } from '../../lib/cli';
import { inPlaceSteps } from '../../lib/convert/vendor-values';
import { HELM_MAJORS } from '../../lib/tooling/helm';
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
const VENDOR_CHART = path.join(REPO, 'test', 'fixtures', 'vendor-charts', 'mdcore');
const SECRETS = ['mdcore-cred', 'mdcore-api-key', 'mdcore-license-key', 'mdcore-postgres-cred'];

const cleanups: (() => void)[] = [];
afterAll(() => {
  deleteNamespaces();
  for (const c of cleanups.splice(0)) c();
});

type Pod = K8sObject & { metadata: { deletionTimestamp?: string; labels?: Record<string, string> } };

/** The most md-core pods that existed at once, not terminating, from a pod watch; and every pod name seen. */
function concurrentPods(initial: Pod[], events: { type: string; object: Pod }[], app: string) {
  const alive = new Set(initial.filter((p) => p.metadata.labels?.app === app && !p.metadata.deletionTimestamp).map((p) => p.metadata.name));
  const seen = new Set(alive);
  let most = alive.size;
  for (const e of events) {
    if (e.object.metadata.labels?.app !== app) continue;
    const name = e.object.metadata.name;
    seen.add(name);
    if (e.type === 'DELETED' || e.object.metadata.deletionTimestamp) alive.delete(name);
    else alive.add(name);
    most = Math.max(most, alive.size);
  }
  return { most, seen };
}

describe.each(HELM_MAJORS)('replacing a vendor mdcore release in place (helm %i)', (major) => {
  it('keeps the Secrets, the database claim and its data, and runs with the same credentials', async () => {
    const kube = cluster();
    const ns = newNamespace(`vendor-migration-h${major}`);
    const ours = chartDirs().find((c) => c.name === 'md-core')!;

    // The vendor's database volume: a directory on this machine with a marker file, statically bound
    // to the vendor chart's claim (storage class "default", 100Gi, as its values ask).
    const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'vendor-pg-'));
    const marker = randomBytes(16).toString('hex');
    fs.writeFileSync(path.join(dataDir, 'PG_VERSION'), '14\n');
    fs.writeFileSync(path.join(dataDir, 'marker'), marker);
    const pv = `vendor-pg-${ns}`;
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
    });
    cleanups.push(() => {
      kubectl(kube, ['delete', 'pv', pv, '--wait=false', '--ignore-not-found']);
      fs.rmSync(dataDir, { recursive: true, force: true });
    });

    install(major, VENDOR_CHART, RELEASE, ns, ['mdcore_license_key=TEST-LICENSE']);
    const secretsBefore = Object.fromEntries(SECRETS.map((n) => [n, getJson<{ data: Record<string, string> }>(kube, ['secret', n, '-n', ns]).data]));
    const claimBefore = getJson<K8sObject & { metadata: { uid: string }; spec: { volumeName: string } }>(kube, ['pvc', 'postgres-core', '-n', ns]);
    expect(claimBefore.spec.volumeName).toBe(pv);
    const pvUid = getJson<{ metadata: { uid: string } }>(kube, ['pv', pv]).metadata.uid;
    expect(getJson<{ spec: { selector: unknown } }>(kube, ['deployment', 'md-core', '-n', ns]).spec.selector).toEqual({ matchLabels: { app: 'md-core' } });

    // The documented steps.
    const work = fs.mkdtempSync(path.join(os.tmpdir(), 'migration-'));
    cleanups.push(() => fs.rmSync(work, { recursive: true, force: true }));
    const vendorValues = path.join(work, 'vendor-values.yaml');
    fs.writeFileSync(vendorValues, helmOk(major, ['get', 'values', RELEASE, '-n', ns, '--all', '-o', 'yaml']).stdout);
    const converted = path.join(work, 'values.yaml');
    const report = path.join(work, 'report.md');
    let stderr = '';
    const code = main(['convert-values', '--from', 'vendor-mdcore', vendorValues, '--in-place', '--namespace', ns, '--out', converted, '--report', report], {
      stdout: () => undefined,
      stderr: (s) => (stderr += s),
    });
    expect(code, stderr).toBe(0);
    expect(YAML.parse(fs.readFileSync(converted, 'utf8'))).toMatchObject({
      compatibility: { vendorSelectors: true, vendorDatabaseLayout: true },
      license: { existingSecret: 'mdcore-license-key' },
      database: { inCluster: { persistence: { existingClaim: 'postgres-core' } } },
    });
    expect(fs.readFileSync(report, 'utf8')).toContain('## Replacing the running release in place');

    // The steps the report gives, as they are.
    const pods = watchCollection<Pod>(kube, `/api/v1/namespaces/${ns}/pods`);
    try {
      for (const step of inPlaceSteps('vendor-mdcore', { release: RELEASE, namespace: ns, valuesFile: converted, chartDir: ours.dir })) {
        if (step.tool === 'kubectl') kubectlOk(kube, [...step.args]);
        else helmOk(major, [...step.args, '--timeout', '3m']);
      }
      runCredentialJobs(kube, ns);
    } finally {
      await pods.stop();
    }

    // Secrets: every key the vendor chart wrote, byte for byte (the generated ones carried over by the
    // upgrade and put back by the credential generator; the licence key kept as the vendor's).
    for (const name of SECRETS) {
      const data = getJson<{ data: Record<string, string> }>(kube, ['secret', name, '-n', ns]).data;
      expect(data, name).toEqual(secretsBefore[name]);
    }
    // The claim: the same object, bound to the same volume, its files untouched.
    const claimAfter = getJson<K8sObject & { metadata: { uid: string }; spec: { volumeName: string }; status: { phase: string } }>(kube, ['pvc', 'postgres-core', '-n', ns]);
    expect(claimAfter.metadata.uid).toBe(claimBefore.metadata.uid);
    expect(claimAfter.spec.volumeName).toBe(pv);
    expect(claimAfter.status.phase).toBe('Bound');
    expect(getJson<{ metadata: { uid: string } }>(kube, ['pv', pv]).metadata.uid).toBe(pvUid);
    expect(fs.readFileSync(path.join(dataDir, 'marker'), 'utf8')).toBe(marker);
    expect(fs.readdirSync(dataDir).sort()).toEqual(['PG_VERSION', 'marker']);

    // Our workloads: the vendor's selectors, the claim's data at PGDATA as the vendor's postgres wrote it,
    // the same Secrets read by the running pods.
    const release = helmOk(major, ['history', RELEASE, '-n', ns, '-o', 'json']).stdout;
    expect((JSON.parse(release) as { chart: string }[]).map((r) => r.chart)).toEqual(['mdcore-0.0.1-standin', expect.stringMatching(/^md-core-/)]);
    const core = getJson<K8sObject & { spec: any }>(kube, ['deployment', 'md-core', '-n', ns]);
    expect(core.spec.selector).toEqual({ matchLabels: { app: 'md-core' } });
    expect(core.spec.template.metadata.labels).toMatchObject({ app: 'md-core', 'app.kubernetes.io/name': 'md-core', 'app.kubernetes.io/instance': RELEASE });
    const env = Object.fromEntries(core.spec.template.spec.containers[0].env.map((e: any) => [e.name, e.valueFrom?.secretKeyRef]));
    expect(env).toMatchObject({
      MD_USER: { name: 'mdcore-cred', key: 'user' },
      MD_PWD: { name: 'mdcore-cred', key: 'password' },
      APIKEY: { name: 'mdcore-api-key', key: 'value' },
      LICENSE_KEY: { name: 'mdcore-license-key', key: 'value' },
      DB_PWD: { name: 'mdcore-postgres-cred', key: 'password' },
    });
    const pg = getJson<K8sObject & { spec: any }>(kube, ['deployment', 'postgres-core', '-n', ns]);
    expect(pg.spec.selector).toEqual({ matchLabels: { app: 'postgres-core' } });
    expect(pg.spec.template.spec.volumes).toContainEqual({ name: 'data', persistentVolumeClaim: { claimName: 'postgres-core' } });
    expect(pg.spec.template.spec.containers[0].env).toContainEqual({ name: 'PGDATA', value: '/var/lib/postgresql/data' });
    assertWorkloadsReady(kube, ns, [core, pg]);
    const running = getJson<{ items: Pod[] }>(kube, ['pods', '-n', ns, '-l', 'app=md-core']).items.filter((p) => !p.metadata.deletionTimestamp);
    expect(running).toHaveLength(1);
    expect(running[0]!.metadata.labels?.['app.kubernetes.io/name']).toBe('md-core');
    assertPodReferencesResolve(kube, ns);
    // The vendor values had licensing clean-up off (LICENSING_CLEANUP "false"), and so has ours: the only
    // Role left is the credential generator's, which may patch its named Secrets.
    expect(kubectl(kube, ['get', 'role', '-n', ns, '-o', 'name']).stdout.split('\n').filter(Boolean)).toEqual(['role.rbac.authorization.k8s.io/mdcore-credentials']);

    // Licence activations: maxSurge 0, so the old pod stops (and deactivates) before the new one starts:
    // never more md-core pods at once than replicas (1), one new activation for the switch.
    const { most, seen } = concurrentPods(pods.initial, pods.events, 'md-core');
    expect(most).toBe(1);
    expect(seen.size).toBe(2);
  });
});

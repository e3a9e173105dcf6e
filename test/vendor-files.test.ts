/**
 * Every values file OPSWAT publishes beside its mdcore and icap charts converts (restated in
 * test/fixtures/vendor-values/, with files of ours in their style): the command exits 0, the report accounts
 * for every key set, our values pass our schema and render with the real helm, and no credential reaches
 * our values or the report. Random combinations of their keys convert too, and the README table of the
 * files is the one the converter's reports give today.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import YAML from 'yaml';
import { main, readVendorValues } from '../lib/cli';
import { applyRules, Rule } from '../lib/convert/engine';
import { Conversion, convertVendorValues, KeyReport, reportMarkdown, VendorChart } from '../lib/convert/vendor-values';
import { coreReads, coreRules } from '../lib/convert/vendor-mdcore';
import { parseValues } from '../lib/core/schema';
import { mdCoreChart } from '../lib/systems/md-core';
import { mdCoreValues } from '../lib/systems/md-core/values';
import { mdIcapsrvChart } from '../lib/systems/md-icapsrv';
import { mdIcapsrvValues } from '../lib/systems/md-icapsrv/values';
import { vendorFiles, withVendorFilesTable } from '../lib/tooling/vendor-files';
import { helmObjects, Obj } from './support/render';

const REPO = path.resolve(__dirname, '..');
const DIR = path.join(__dirname, 'fixtures', 'vendor-values');
const FILES = vendorFiles(DIR);
const NAMESPACE = 'md';

// FC_SEED=<n> replays a run; otherwise fast-check picks a seed and prints it on failure.
const seed = process.env.FC_SEED === undefined ? undefined : Number(process.env.FC_SEED);

type Map = Record<string, unknown>;
const isMap = (v: unknown): v is Map => v !== null && typeof v === 'object' && !Array.isArray(v);

/** The keys a values file sets, as paths (a null, Helm's "remove the default", is set too). */
function leafPaths(v: unknown, at: string[] = []): string[][] {
  if (v === undefined) return [];
  if (!isMap(v) || Object.keys(v).length === 0) return [at];
  return Object.entries(v).flatMap(([k, x]) => leafPaths(x, [...at, k]));
}
const setLeaves = (v: unknown) => leafPaths(v).map((p) => p.join('.'));

/** Every key set is reported (itself or a map holding it), and every report names a key that is set. */
function expectAccounted(vendor: unknown, report: readonly KeyReport[]): void {
  const reported = report.map((r) => r.path.replace(/\[.*\]$/, ''));
  for (const leaf of setLeaves(vendor)) expect(reported.some((r) => leaf === r || leaf.startsWith(`${r}.`)), `${leaf} is not reported`).toBe(true);
  for (const r of reported) expect(setLeaves(vendor).some((l) => l === r || l.startsWith(`${r}.`)), `${r} is reported but not set`).toBe(true);
}

const SYSTEM = { 'vendor-icap': { chart: mdIcapsrvChart, schema: mdIcapsrvValues }, 'vendor-mdcore': { chart: mdCoreChart, schema: mdCoreValues } } as const;

interface Converted {
  readonly vendor: unknown;
  readonly conversion: Conversion;
  readonly objects: Obj[];
}

/** Each file converted once (by the library, as the command does) and our chart rendered by helm 3 with the values. */
const converted = new Map<string, Converted>();
function get(name: string): Converted {
  const f = FILES.find((x) => path.basename(x.file) === name);
  if (!f) throw new Error(`no fixture ${name}`);
  let c = converted.get(name);
  if (!c) {
    const vendor = readVendorValues(f.file);
    const conversion = convertVendorValues(f.chart, vendor, { namespace: NAMESPACE });
    c = { vendor, conversion, objects: helmObjects(3, SYSTEM[f.chart].chart, conversion.values) as Obj[] };
    converted.set(name, c);
  }
  return c;
}

const entry = (c: Converted, p: string): KeyReport => {
  const r = c.conversion.report.find((x) => x.path === p);
  if (!r) throw new Error(`${p} is not in the report: ${c.conversion.report.map((x) => x.path).join(', ')}`);
  return r;
};
const object = (c: Converted, kind: string, name: string): Obj => {
  const o = c.objects.find((x) => x.kind === kind && x.metadata.name === name);
  if (!o) throw new Error(`no ${kind} ${name}`);
  return o;
};

describe('the vendor\'s example values files', () => {
  it('are all here: their eleven mdcore examples (two versions of the OpenShift one), their two icap ones, and ours', () => {
    expect(FILES.map((f) => path.basename(f.file))).toEqual([
      'mdcore-aws-eks-values.yaml',
      'mdcore-azure-aks-values.yaml',
      'mdcore-custom-definitions.yaml',
      'mdcore-custom-svc.yaml',
      'mdcore-gcloud-sidecarproxy-values.yaml',
      'mdcore-gcloud-sqlproxy-values.yaml',
      'mdcore-gcloud-values.yaml',
      'mdcore-generic-values.yaml',
      'mdcore-import-config-from-nfs-non-root.yaml',
      'mdcore-mdhub-module.yaml',
      'mdcore-openshift-rhel.yaml',
      'mdcore-openshift.yaml',
      'mdicapsrv-custom-definitions.yaml',
      'mdicapsrv-openshift.yaml',
      'own-icap-combined.yaml',
      'own-mdcore-combined.yaml',
    ]);
  });

  describe.each(FILES.map((f) => ({ name: path.basename(f.file), ...f })))('$name', ({ name, file, chart }) => {
    it('converts with exit 0, writing values, report and Secrets', () => {
      const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'vendor-file-'));
      const out = path.join(dir, 'values.yaml');
      let stderr = '';
      const code = main(['convert-values', '--from', chart, file, '--namespace', NAMESPACE, '--out', out, '--report', path.join(dir, 'report.md'), '--secrets-out', path.join(dir, 'secrets.yaml')], {
        stdout: () => undefined,
        stderr: (s) => (stderr += s),
      });
      expect(stderr).toMatch(/keys set: \d+ mapped, \d+ not needed, \d+ need action/);
      expect(code).toBe(0);
      expect(YAML.parse(fs.readFileSync(out, 'utf8'), { version: '1.1' })).toEqual(get(name).conversion.values);
      fs.rmSync(dir, { recursive: true, force: true });
    });

    it('reports every key set, each action with its step', () => {
      const { vendor, conversion } = get(name);
      expectAccounted(vendor, conversion.report);
      for (const r of conversion.report) expect(r.note, r.path).not.toBe(r.status === 'mapped' ? undefined : '');
    });

    it('gives values our schema accepts, which helm renders, holding no credential', () => {
      const { conversion, objects } = get(name);
      expect(() => parseValues(conversion.target, SYSTEM[chart].schema, conversion.values)).not.toThrow();
      expect(objects.some((o) => o.kind === 'Deployment' && o.metadata.name === conversion.target)).toBe(true);
      const shown = JSON.stringify(conversion.values) + reportMarkdown(conversion, name);
      for (const s of conversion.secrets) for (const e of s.entries.filter((x) => x.secret)) expect(shown, `${s.name} ${e.key}`).not.toContain(e.value);
    });
  });

  it('their keys no template reads had no effect there, and are reported so', () => {
    for (const name of ['mdcore-aws-eks-values.yaml', 'mdcore-azure-aks-values.yaml', 'mdcore-gcloud-values.yaml', 'mdcore-gcloud-sidecarproxy-values.yaml', 'mdcore-gcloud-sqlproxy-values.yaml', 'mdcore-generic-values.yaml'])
      expect(entry(get(name), 'persistance_enabled'), name).toMatchObject({ status: 'not needed', note: expect.stringContaining('no template of the vendor chart reads it') });
    const generic = get('mdcore-generic-values.yaml');
    expect([entry(generic, 'app_name').status, entry(generic, 'environment').status]).toEqual(['not needed', 'not needed']);
    // A near miss of a real key is an action naming it.
    expect(entry(get('own-icap-combined.yaml'), 'icap_components.md_icapsrv.replica')).toMatchObject({ status: 'action', note: expect.stringContaining('icap_components.md_icapsrv.replicas') });
  });

  it('EKS and AKS: the load balancer Service with its annotations and affinity', () => {
    const eks = get('mdcore-aws-eks-values.yaml');
    const svc = object(eks, 'Service', 'md-core');
    expect(svc.spec).toMatchObject({ type: 'LoadBalancer', sessionAffinity: 'ClientIP' });
    expect(svc.metadata.annotations).toMatchObject({ 'service.beta.kubernetes.io/aws-load-balancer-scheme': 'internal' });
    expect(object(get('mdcore-azure-aks-values.yaml'), 'Service', 'md-core').metadata.annotations).toMatchObject({ 'service.beta.kubernetes.io/azure-load-balancer-internal': 'true' });
  });

  it('a custom Service spec: our Service with its type, node port and traffic policies, its selector left to ours', () => {
    const c = get('mdcore-custom-svc.yaml');
    expect(entry(c, 'core_components.md-core.serviceSpec')).toMatchObject({ status: 'mapped', to: expect.arrayContaining(['service.type', 'service.nodePort', 'service.externalTrafficPolicy', 'service.internalTrafficPolicy']) });
    const svc = object(c, 'Service', 'md-core');
    expect(svc.spec).toMatchObject({ type: 'NodePort', externalTrafficPolicy: 'Local', internalTrafficPolicy: 'Local', ports: [{ port: 8008, nodePort: 31008 }] });
    expect(svc.spec.selector).toEqual(object(c, 'Deployment', 'md-core').spec.selector.matchLabels);
  });

  it('Cloud SQL through a sidecar: its unpinned image an action naming sidecars, no database wait, the database at 127.0.0.1', () => {
    const c = get('mdcore-gcloud-sidecarproxy-values.yaml');
    expect(entry(c, 'core_components.md-core.sidecars')).toMatchObject({ status: 'action', note: expect.stringMatching(/pin the image of cloud-sql-proxy \(gcr\.io\/cloudsql-docker\/gce-proxy:latest\) to a version .*then add it to sidecars/) });
    expect(c.conversion.values).toMatchObject({ database: { host: '127.0.0.1', waitForReady: false, inCluster: { enabled: false } } });
    expect(c.conversion.values).not.toHaveProperty('sidecars');
    expect(object(c, 'Deployment', 'md-core').spec.template.spec.initContainers ?? []).toEqual([]);
  });

  it('Cloud SQL through a workload of its own: its unpinned image an action naming extraWorkloads, the database at its Service', () => {
    const c = get('mdcore-gcloud-sqlproxy-values.yaml');
    expect(entry(c, 'core_components.cloud-sql-proxy.image')).toMatchObject({ status: 'action', note: expect.stringMatching(/pin the image of cloud-sql-proxy .* then add it to extraWorkloads/) });
    expect(c.conversion.values).toMatchObject({ extraWorkloads: [], database: { host: 'cloud-sql-proxy', inCluster: { enabled: false } } });
  });

  it('a pinned Cloud SQL proxy becomes a sidecar or a workload of its own, restricted', () => {
    const pin = (v: Map, at: string[]): Map => {
      const copy = structuredClone(v) as any;
      let o = copy;
      for (const k of at) o = o[k];
      for (const x of Array.isArray(o) ? o : [o]) x.image = 'gcr.io/cloudsql-docker/gce-proxy:1.37.0';
      return copy;
    };
    const sidecar = convertVendorValues('vendor-mdcore', pin(get('mdcore-gcloud-sidecarproxy-values.yaml').vendor as Map, ['core_components', 'md-core', 'sidecars']), { namespace: NAMESPACE });
    expect((sidecar.values.sidecars as Map[]).map((x) => [x.name, x.image, (x.securityContext as Map).runAsNonRoot])).toEqual([['cloud-sql-proxy', 'gcr.io/cloudsql-docker/gce-proxy:1.37.0', true]]);
    const workload = convertVendorValues('vendor-mdcore', pin(get('mdcore-gcloud-sqlproxy-values.yaml').vendor as Map, ['core_components', 'cloud-sql-proxy']), { namespace: NAMESPACE });
    expect((workload.values.extraWorkloads as Map[]).map((x) => [x.name, x.image])).toEqual([['cloud-sql-proxy', 'gcr.io/cloudsql-docker/gce-proxy:1.37.0']]);
    const objects = helmObjects(3, SYSTEM['vendor-mdcore'].chart, workload.values) as Obj[];
    expect(objects.filter((o) => o.metadata.name === 'cloud-sql-proxy').map((o) => o.kind).sort()).toEqual(['Deployment', 'Service']);
  });

  it('configuration import from NFS: the older top-level keys, the volumes of their map, an unpinned init container left to the user', () => {
    const c = get('mdcore-import-config-from-nfs-non-root.yaml');
    expect(c.conversion.values).toMatchObject({
      configImport: { enabled: true, directory: '/opt/ometascan/system/export_config', source: { key: 'core-settings-export.zip' }, forceUpdateYara: true, existingSecret: 'mdcore-config-import' },
      extraVolumes: [{ name: 'nfs-store-volume' }, { name: 'md-core-store-config' }],
      database: { inCluster: { persistence: { enabled: false } } },
    });
    expect(c.conversion.secrets.find((s) => s.name === 'mdcore-config-import')?.entries.map((e) => e.from)).toEqual(['CONFIG_IMPORT_PASSWORD']);
    expect(entry(c, 'core_components.md-core.initContainers').note).toContain('md-core-set-permission runs "busybox:latest", not pinned to a full version');
    expect(entry(c, 'core_components.md-core.initContainers').note).toContain(
      "ours does not make the vendor chart's ConfigMap mdcore-import-zip-config, which an init container reads: create it (kubectl -n md create configmap mdcore-import-zip-config --from-literal=CONFIG_IMPORT_FILE=core-settings-export.zip)",
    );
    const pod = object(c, 'Deployment', 'md-core').spec.template.spec;
    expect((pod.initContainers as Map[]).map((x) => x.name)).toContain('copy-config-zip-file');
    expect((pod.initContainers as Map[]).map((x) => x.name)).not.toContain('md-core-set-permission');
  });

  it('the MD Hub module: every key of it an action, its null keys reported', () => {
    const c = get('mdcore-mdhub-module.yaml');
    for (const p of ['ENABLED_MODULES', 'RABBITMQ_DEFAULT_USER', 'CERT', 'CERT_KEY', 'core_components.md-hub']) expect(entry(c, p).note, p).toContain('MDHub module is not deployed');
    expect(entry(c, 'NAS_CONNECTION_KEY').status).toBe('not needed');
    expect(entry(c, 'RABBITMQ_DEFAULT_PASS').status).toBe('not needed');
  });

  it('OpenShift, newest: the Route to create, an ephemeral database, their restricted contexts the same as ours', () => {
    const c = get('mdcore-openshift.yaml');
    expect(entry(c, 'core_route').command).toBe('oc -n md create route edge core-route --service=md-core --port=rest --insecure-policy=Redirect');
    expect(c.objects.some((o) => o.kind === 'PersistentVolumeClaim')).toBe(false);
    expect(entry(c, 'core_components.md-core.securityContext').status).toBe('not needed');
    expect(entry(c, 'core_components.md-core.extraVolumeMounts')).toMatchObject({ status: 'not needed', note: expect.stringContaining('ours mounts its storage path there itself') });
    expect(object(c, 'Deployment', 'md-core').spec.template.spec.containers[0].livenessProbe).toMatchObject({ initialDelaySeconds: 600, failureThreshold: 10 });
  });

  it('OpenShift with the RHEL database: the untagged image, its env and a placeholder password are actions, the admin password in a Secret only, their claim used', () => {
    const c = get('mdcore-openshift-rhel.yaml');
    expect(entry(c, 'core_components.postgres-core.image')).toMatchObject({ status: 'action', note: expect.stringContaining('the image has no tag') });
    expect(entry(c, 'env.POSTGRESQL_ADMIN_PASSWORD')).toMatchObject({ status: 'action', note: expect.stringContaining('not carried over yet') });
    // Their placeholder is no password: nothing kept, ours generates one.
    expect(entry(c, 'db_password')).toMatchObject({ status: 'action', command: "kubectl -n md create secret generic mdcore-postgres-cred '--from-file=password=<file holding the database password>'" });
    expect(c.conversion.secrets.map((s) => s.name)).toEqual(['mdcore-extra-env']);
    expect(c.conversion.secrets.find((s) => s.name === 'mdcore-extra-env')?.entries).toEqual([{ key: 'POSTGRESQL_ADMIN_PASSWORD', value: 'not-a-real-admin-password', from: 'env.POSTGRESQL_ADMIN_PASSWORD', secret: true }]);
    expect(JSON.stringify(c.conversion.values)).not.toContain('POSTGRESQL_ADMIN_PASSWORD');
    expect(c.conversion.values).toMatchObject({ database: { inCluster: { persistence: { existingClaim: 'mdcore-data' } } } });
    expect(object(c, 'Deployment', 'postgres-core').spec.template.spec.containers[0].image).toMatch(/^postgres:/);
  });

  it('OpenShift ICAP overlay: no fixed UID, GID or fsGroup left, for the product and its database', () => {
    const c = get('mdicapsrv-openshift.yaml');
    for (const name of ['md-icapsrv', 'postgres-mdicapsrv']) {
      const pod = object(c, 'Deployment', name).spec.template.spec;
      for (const ctx of [pod.securityContext ?? {}, ...(pod.containers as Obj[]).map((x) => x.securityContext ?? {})]) {
        expect(ctx, name).not.toHaveProperty('runAsUser');
        expect(ctx, name).not.toHaveProperty('runAsGroup');
        expect(ctx, name).not.toHaveProperty('fsGroup');
      }
      expect(pod.securityContext, name).toMatchObject({ runAsNonRoot: true });
    }
  });

  it('env credentials become Secret references: MD_PWD and LICENSE_KEY as our credentials, others through extraEnv', () => {
    const c = get('own-mdcore-combined.yaml');
    expect(c.conversion.values).toMatchObject({ credentials: { existingSecret: 'mdcore-cred' }, license: { existingSecret: 'mdcore-license-key' } });
    const icap = get('own-icap-combined.yaml');
    const env = object(icap, 'Deployment', 'md-icapsrv').spec.template.spec.containers[0].env as Map[];
    expect(env.find((e) => e.name === 'EXTRA_TOKEN')).toEqual({ name: 'EXTRA_TOKEN', valueFrom: { secretKeyRef: { name: 'mdicapsrv-extra-env', key: 'EXTRA_TOKEN' } } });
  });

  it('random combinations of their keys convert, every key accounted for', () => {
    // Units as their files set them: a component's key (with extraVolumes and extraVolumeMounts together), an env var, a top-level key.
    const unitOf = (p: string[]) => {
      if (p[0] === 'core_components' || p[0] === 'icap_components') return p.slice(0, 3).join('.').replace(/extraVolume(Mount)?s$/, 'extraVolumes*');
      return p.slice(0, ['env', 'postgres_mdicapsrv', 'core_ingress', 'core_route'].includes(p[0]!) ? 2 : 1).join('.');
    };
    for (const chart of ['vendor-mdcore', 'vendor-icap'] as VendorChart[]) {
      const units = new Map<string, { file: string; paths: string[][] }[]>();
      for (const f of FILES.filter((x) => x.chart === chart)) {
        const byUnit = new Map<string, string[][]>();
        for (const leaf of leafPaths(readVendorValues(f.file))) byUnit.set(unitOf(leaf), [...(byUnit.get(unitOf(leaf)) ?? []), leaf]);
        for (const [u, paths] of byUnit) units.set(u, [...(units.get(u) ?? []), { file: f.file, paths }]);
      }
      const values = new Map(FILES.map((f) => [f.file, readVendorValues(f.file)]));
      const at = (v: unknown, p: string[]) => p.reduce<unknown>((x, k) => (isMap(x) ? x[k] : undefined), v);
      const build = (picks: [string, number][]) => {
        const out: Map = {};
        for (const [u, i] of picks) {
          const choice = units.get(u)![i % units.get(u)!.length]!;
          for (const keys of choice.paths) {
            let cur = out;
            for (const k of keys.slice(0, -1)) cur = (isMap(cur[k]) ? cur[k] : (cur[k] = {})) as Map;
            cur[keys[keys.length - 1]!] = structuredClone(at(values.get(choice.file), keys));
          }
        }
        return out;
      };
      const arbitrary = fc.subarray([...units.keys()], { minLength: 1 }).chain((us) => fc.tuple(...us.map((u) => fc.tuple(fc.constant(u), fc.nat()))));
      fc.assert(
        fc.property(arbitrary, (picks) => {
          const vendor = build(picks);
          const c = convertVendorValues(chart, vendor, { namespace: NAMESPACE });
          expectAccounted(vendor, c.report);
        }),
        seed === undefined ? { numRuns: 60 } : { numRuns: 60, seed },
      );
    }
  });

  it('a rule added later for a key their templates read takes it over from the fallback action, md-core\'s own keys untouched', () => {
    const vendor = { core_route: { enabled: true, host: 'core.apps.example' }, core_components: { 'md-core': { replicas: 2 } } };
    const opts = { namespace: NAMESPACE, inPlace: false };
    const status = (table: Record<string, Rule>) => {
      const report = applyRules(table, vendor, opts, coreReads()).report;
      return Object.fromEntries(['core_route', 'core_components.md-core.replicas'].map((p) => [p, report.find((r) => r.path === p)?.status]));
    };
    // core_route: read by their templates, ruled by no feature (OpenShift makes Routes from our Ingress).
    expect(status(coreRules())).toEqual({ core_route: 'action', 'core_components.md-core.replicas': 'mapped' });
    // As a feature would add one (the Service override, sidecars and extra workloads took theirs over so).
    const feature: Record<string, Rule> = { core_route: (k) => k.mapped(['ingress.enabled']) };
    expect(Object.values(status({ ...coreRules(), ...feature }))).toEqual(['mapped', 'mapped']);
  });

  it('the README table is the one the converter gives today (npm run readme writes it)', () => {
    const readme = fs.readFileSync(path.join(REPO, 'README.md'), 'utf8');
    expect(withVendorFilesTable(readme, DIR)).toBe(readme);
  });
});

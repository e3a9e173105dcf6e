/**
 * `chart-as-code convert-values`: values of OPSWAT's own charts converted to ours. The vendor charts are
 * stood in for by test/fixtures/vendor-charts (written from REFERENCE.md; their values.yaml is the vendor
 * default values). Converting the vendor defaults and rendering ours must give the same workload facts
 * (image, ports, env, probes, resources, replicas, ingress) as `helm template` of the vendor chart; the
 * differences that remain are listed here, each with its reason.
 */
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { describe, expect, it } from 'vitest';
import YAML from 'yaml';
import { main } from '../lib/cli';
import { convertVendorValues, reportMarkdown, secretCommands, VendorChart } from '../lib/convert/vendor-values';
import { ChartDefinition } from '../lib/core/chart';
import { mdCoreChart } from '../lib/systems/md-core';
import { mdIcapsrvChart } from '../lib/systems/md-icapsrv';
import { helmTemplate, Obj, parseStream, RELEASE, renderSystem } from './support/render';

const FIXTURES = path.join(__dirname, 'fixtures', 'vendor-charts');
const REPO = path.resolve(__dirname, '..');

const vendors: { chart: VendorChart; dir: string; ours: ChartDefinition; workload: string }[] = [
  { chart: 'vendor-icap', dir: path.join(FIXTURES, 'icap'), ours: mdIcapsrvChart, workload: 'md-icapsrv' },
  { chart: 'vendor-mdcore', dir: path.join(FIXTURES, 'mdcore'), ours: mdCoreChart, workload: 'md-core' },
];

const vendorDefaults = (dir: string) => YAML.parse(fs.readFileSync(path.join(dir, 'values.yaml'), 'utf8'), { version: '1.1' }) as Record<string, unknown>;

/** Every leaf path of a values map that is set (non-null), lists counting as leaves. */
/** The keys a values file sets, as dotted paths: a null (Helm: remove the default) is set too, and reported. */
function setLeaves(v: unknown, at = ''): string[] {
  if (v === undefined) return [];
  if (v === null) return [at];
  if (typeof v !== 'object' || Array.isArray(v)) return [at];
  const entries = Object.entries(v as Record<string, unknown>);
  return entries.length === 0 ? [at] : entries.flatMap(([k, x]) => setLeaves(x, at ? `${at}.${k}` : k));
}

function tmpDir(): string {
  return fs.mkdtempSync(path.join(os.tmpdir(), 'convert-'));
}

const QUANTITY: Record<string, number> = { '': 1, m: 1e-3, Ki: 2 ** 10, Mi: 2 ** 20, Gi: 2 ** 30, Ti: 2 ** 40, k: 1e3, M: 1e6, G: 1e9 };
const quantity = (q: unknown) => {
  const m = /^([0-9.]+)([A-Za-z]*)$/.exec(String(q));
  return m ? Number(m[1]) * QUANTITY[m[2]!]! : NaN;
};

type EnvValue = string | { secretKeyRef: unknown } | { fieldRef: unknown };

/** The workload facts of a rendering: image, ports, env (envFrom ConfigMaps resolved), probes, resources, replicas, ingress. */
function facts(objects: Obj[], workload: string) {
  const deployment = objects.find((o) => o.kind === 'Deployment' && o.metadata.name === workload)!;
  const container = deployment.spec.template.spec.containers.find((c: any) => c.name === workload);
  const env: Record<string, EnvValue> = {};
  for (const from of container.envFrom ?? []) {
    const cm = objects.find((o) => o.kind === 'ConfigMap' && o.metadata.name === from.configMapRef.name)!;
    Object.assign(env, cm.data ?? {});
  }
  for (const e of container.env ?? []) env[e.name] = e.value ?? e.valueFrom;
  const ports: number[] = (container.ports ?? []).map((p: any) => p.containerPort).sort();
  const portNumber = (p: number | string) => (typeof p === 'number' ? p : container.ports.find((x: any) => x.name === p).containerPort);
  const probe = (p: any) =>
    p && {
      path: p.httpGet.path,
      port: portNumber(p.httpGet.port),
      scheme: p.httpGet.scheme ?? 'HTTP',
      initialDelaySeconds: p.initialDelaySeconds ?? 0,
      periodSeconds: p.periodSeconds ?? 10,
      timeoutSeconds: p.timeoutSeconds ?? 1,
      // Kubernetes' default when a probe leaves it out.
      failureThreshold: p.failureThreshold ?? 3,
    };
  const numbers = (m: Record<string, unknown> = {}) => Object.fromEntries(Object.entries(m).map(([k, q]) => [k, quantity(q)]));
  const ingress = objects
    .filter((o) => o.kind === 'Ingress')
    .map((i) => ({
      className: i.spec.ingressClassName,
      rules: i.spec.rules.map((r: any) => ({
        host: r.host,
        paths: r.http.paths.map((p: any) => ({ path: p.path, pathType: p.pathType, service: p.backend.service.name, port: portNumber(p.backend.service.port.number ?? p.backend.service.port.name) })),
      })),
      tls: i.spec.tls ?? [],
    }));
  return {
    image: container.image,
    ports,
    env,
    readinessProbe: probe(container.readinessProbe),
    livenessProbe: probe(container.livenessProbe),
    requests: numbers(container.resources?.requests),
    limits: numbers(container.resources?.limits),
    replicas: deployment.spec.replicas ?? 1,
    ingress,
  };
}

/** JSON settings compare as JSON (the vendor writes them as the user typed them, ours as toJson does). */
const JSON_VARS = new Set(['CORE_CONF_JSON', 'ICAP_CONF_JSON']);

/**
 * Env the vendor chart sets that ours sets differently or not at all, and why. Empty vendor values ("")
 * are "not set" to the products and are left out of the comparison.
 */
const ENV_DIFFERENCES: Record<VendorChart, Record<string, string>> = {
  'vendor-icap': {},
  'vendor-mdcore': {
    PROXY: 'the proxy is off: ours leaves PROXY out instead of setting it to false',
    PROXY_PORT: 'the proxy is off: ours sets PROXY_PORT only with the proxy',
    OLMS_USE_PROXY: 'OLMS is off: ours sets OLMS_* only with OLMS',
    MDCORE_CERT_PATH: 'ours mounts the REST certificate at /https_cert (and says so); REST TLS is off here anyway',
  },
};

/** Env only ours sets (settings the vendor chart leaves to the image's defaults), so a change here is noticed. */
const OURS_ONLY: Record<VendorChart, string[]> = {
  'vendor-icap': [
    'ENABLE_HEALTHCHECK',
    'ENABLE_NGINX',
    'HTTPS_CERT_PATH',
    'HTTPS_SSL_PROTOCOLS',
    'ICAPS_CERT_PATH',
    'ICAPS_SSL_PROTOCOLS',
    'LOG_LEVEL',
    'MDICAPSRV_DB_NAME',
    'NGINXS_CERT_PATH',
    'NGINXS_SSL_PROTOCOLS',
  ],
  'vendor-mdcore': [
    'ACCEPT_EULA',
    'CUSTOM_SECRET',
    'HTTPS_CERT_PATH',
    'HTTPS_SSL_PROTOCOLS',
    'REST_PORT',
    'RETRY_UPGRADE',
  ],
};

describe.each(vendors)('$chart: converting the vendor defaults', ({ chart, dir, ours, workload }) => {
  const vendorValues = vendorDefaults(dir);
  const conversion = convertVendorValues(chart, vendorValues, { namespace: RELEASE.namespace });
  const vendorRender = helmTemplate(3, dir, {});
  if (vendorRender.code !== 0) throw new Error(vendorRender.stderr);
  const theirs = facts(parseStream(vendorRender.stdout) as Obj[], workload);
  const mine = facts(renderSystem(ours, conversion.values).objects, workload);

  it('reports every vendor key that is set, once or more, and nothing else', () => {
    const reported = new Set(conversion.report.map((r) => r.path.replace(/\[.*\]$/, '')));
    const leaves = setLeaves(vendorValues);
    expect(leaves.length).toBeGreaterThan(50);
    for (const leaf of leaves) expect([...reported].some((r) => leaf === r || leaf.startsWith(`${r}.`)), leaf).toBe(true);
    for (const r of reported) expect(leaves.some((l) => l === r || l.startsWith(`${r}.`)), r).toBe(true);
  });

  it('gives the same image, ports, replicas, probes and ingress', () => {
    expect(mine.image).toBe(theirs.image);
    expect(mine.ports).toEqual(theirs.ports);
    expect(mine.replicas).toBe(theirs.replicas);
    expect(mine.readinessProbe).toEqual(theirs.readinessProbe);
    expect(mine.livenessProbe).toEqual(theirs.livenessProbe);
    expect(mine.ingress).toEqual(theirs.ingress);
  });

  it('gives the same resource requests, and the vendor\'s limits where it has them', () => {
    expect(mine.requests).toEqual(theirs.requests);
    for (const [k, v] of Object.entries(theirs.limits)) expect(mine.limits[k], `limit ${k}`).toBe(v);
  });

  it('sets every env var the vendor sets, to the same value or the same Secret key, but for the listed differences', () => {
    const differences = ENV_DIFFERENCES[chart];
    const mismatched: string[] = [];
    for (const [name, value] of Object.entries(theirs.env)) {
      if (value === '' || name in differences) continue;
      const same = JSON_VARS.has(name) ? equalJson(mine.env[name], value) : JSON.stringify(mine.env[name]) === JSON.stringify(value);
      if (!same) mismatched.push(`${name}: vendor ${JSON.stringify(value)}, ours ${JSON.stringify(mine.env[name])}`);
    }
    expect(mismatched).toEqual([]);
    // Each listed difference is real (a stale entry would hide nothing).
    for (const name of Object.keys(differences)) expect(mine.env[name], name).not.toEqual(theirs.env[name]);
    expect(Object.keys(mine.env).filter((n) => !(n in theirs.env)).sort()).toEqual(OURS_ONLY[chart]);
  });
});

function equalJson(a: unknown, b: unknown): boolean {
  try {
    return JSON.stringify(JSON.parse(String(a))) === JSON.stringify(JSON.parse(String(b)));
  } catch {
    return false;
  }
}

describe('converting set features', () => {
  it('maps the ingress of both charts to the same routes', () => {
    for (const { chart, dir, ours, workload } of vendors) {
      const overrides =
        chart === 'vendor-icap'
          ? { icap_ingress: { enabled: true, host: 'icap.example.com', class: 'nginx' } }
          : { core_ingress: { enabled: true, host: '<APP_NAMESPACE>-mdcore.example.com', class: 'nginx', tls: true, secret: 'core-tls' } };
      const values = { ...vendorDefaults(dir), ...overrides };
      const vendorRender = helmTemplate(3, dir, overrides);
      if (vendorRender.code !== 0) throw new Error(vendorRender.stderr);
      const converted = convertVendorValues(chart, values, { namespace: RELEASE.namespace }).values;
      const mine = facts(renderSystem(ours, converted).objects, workload).ingress;
      expect(mine).toHaveLength(1);
      expect(mine).toEqual(facts(parseStream(vendorRender.stdout) as Obj[], workload).ingress);
    }
  });

  it('moves plain-text secrets into Secrets: our values name them, the report gives the command, never the secret', () => {
    const values = {
      ...vendorDefaults(path.join(FIXTURES, 'mdcore')),
      mdcore_password: 'Admin-PW-1',
      mdcore_license_key: 'LICENSE-1',
      env: { ...(vendorDefaults(path.join(FIXTURES, 'mdcore')).env as object), OLMS_HOST_URL: 'olms.example.com', OLMS_TOKEN: 'OLMS-TOKEN-1', OLMS_REST_PORT: '8000', OLMS_SOCKET_PORT: '3000', PROXY: true, PROXY_HOST: 'proxy.internal', PROXY_PWD: 'PROXY-PW-1' },
    };
    const c = convertVendorValues('vendor-mdcore', values, { namespace: 'scan' });
    expect(c.values).toMatchObject({
      credentials: { existingSecret: 'mdcore-cred' },
      license: { existingSecret: 'mdcore-license-key' },
      olms: { enabled: true, hostUrl: 'olms.example.com', restPort: 8000, socketPort: 3000, existingSecret: 'mdcore-olms' },
      proxy: { enabled: true, host: 'proxy.internal', existingSecret: 'mdcore-proxy' },
    });
    const text = JSON.stringify(c.values) + reportMarkdown(c, 'v.yaml');
    for (const secret of ['Admin-PW-1', 'LICENSE-1', 'OLMS-TOKEN-1', 'PROXY-PW-1']) expect(text).not.toContain(secret);
    // The credentials go to the Secrets the values name, with the keys our pods read.
    expect(c.secrets).toHaveLength(4);
    expect(c.secrets).toEqual(expect.arrayContaining([
      { name: 'mdcore-cred', entries: [{ key: 'user', value: 'admin', from: 'mdcore_user', secret: false }, { key: 'password', value: 'Admin-PW-1', from: 'mdcore_password', secret: true }] },
      { name: 'mdcore-license-key', entries: [{ key: 'value', value: 'LICENSE-1', from: 'mdcore_license_key', secret: true }] },
      { name: 'mdcore-olms', entries: [{ key: 'olmsToken', value: 'OLMS-TOKEN-1', from: 'env.OLMS_TOKEN', secret: true }] },
      { name: 'mdcore-proxy', entries: [{ key: 'proxyPassword', value: 'PROXY-PW-1', from: 'env.PROXY_PWD', secret: true }] },
    ]));
    expect(secretCommands(c).find((x) => x.includes('mdcore-cred '))).toBe("kubectl -n scan create secret generic mdcore-cred --from-literal=user=admin '--from-file=password=<file holding mdcore_password>'");
    expect(c.report.find((r) => r.path === 'env.OLMS_TOKEN')!.status).toBe('action');
  });

  it('splits an ICAP proxy URL, keeping its password out of the values and the report', () => {
    const values = { ...vendorDefaults(path.join(FIXTURES, 'icap')), proxy: { enabled: true, http_proxy: 'http://svc:S3cret@proxy.internal:3128', https_proxy: 'http://svc:S3cret@proxy.internal:3128', no_proxy: 'localhost,.svc' } };
    const c = convertVendorValues('vendor-icap', values);
    expect(c.values.proxy).toEqual({ enabled: true, host: 'proxy.internal', port: 3128, username: 'svc', existingSecret: 'mdicapsrv-proxy', noProxy: 'localhost,.svc' });
    expect(JSON.stringify(c.values) + reportMarkdown(c, 'v.yaml')).not.toContain('S3cret');
    expect(c.secrets).toContainEqual({ name: 'mdicapsrv-proxy', entries: [{ key: 'proxyPassword', value: 'S3cret', from: 'proxy.http_proxy', secret: true }] });
    expect(c.report.find((r) => r.path === 'proxy.https_proxy')!.note).toContain('the same proxy');
  });

  it('runs the vendor\'s init containers without a security context under baseline, as the vendor chart did, and says how to get back to restricted', () => {
    const sidecar = { name: 'fetch-defs', image: 'busybox:1.36.1', command: ['true'] };
    const confined = { ...sidecar, name: 'confined', securityContext: { allowPrivilegeEscalation: false, capabilities: { drop: ['ALL'] }, runAsNonRoot: true, seccompProfile: { type: 'RuntimeDefault' } } };
    const open = convertVendorValues('vendor-icap', { ...vendorDefaults(path.join(FIXTURES, 'icap')), icap_components: { md_icapsrv: { initContainers: [sidecar] } } });
    expect(open.values).toMatchObject({ podSecurityLevel: 'baseline', extraInitContainers: [sidecar] });
    const entry = open.report.find((r) => r.path.endsWith('initContainers'))!;
    expect(entry).toMatchObject({ status: 'action', to: ['extraInitContainers', 'podSecurityLevel'] });
    expect(entry.note).toContain('fetch-defs');
    const closed = convertVendorValues('vendor-icap', { ...vendorDefaults(path.join(FIXTURES, 'icap')), icap_components: { md_icapsrv: { initContainers: [confined] } } });
    expect(closed.values).not.toHaveProperty('podSecurityLevel');
    expect(closed.values).toMatchObject({ extraInitContainers: [confined] });
  });

  it('reads `helm get values` output (maps with sorted keys) as the values file it came from', () => {
    const sorted = (v: unknown): unknown =>
      Array.isArray(v) ? v.map(sorted) : v && typeof v === 'object' ? Object.fromEntries(Object.keys(v).sort().map((k) => [k, sorted((v as Record<string, unknown>)[k])])) : v;
    for (const [chart, dir] of [['vendor-icap', 'icap'], ['vendor-mdcore', 'mdcore']] as const) {
      const values = vendorDefaults(path.join(FIXTURES, dir));
      const asHelmPrintsThem = convertVendorValues(chart, sorted(values) as typeof values, { inPlace: true, namespace: 'ns' });
      expect(asHelmPrintsThem.values).toEqual(convertVendorValues(chart, values, { inPlace: true, namespace: 'ns' }).values);
      expect(asHelmPrintsThem.values).not.toHaveProperty('extraEnv');
    }
  });

  it('in place: vendor selectors and database layout, and the vendor\'s database claim', () => {
    const c = convertVendorValues('vendor-mdcore', vendorDefaults(path.join(FIXTURES, 'mdcore')), { inPlace: true });
    expect(c.values).toMatchObject({ compatibility: { vendorSelectors: true, vendorDatabaseLayout: true }, database: { inCluster: { persistence: { existingClaim: 'postgres-core' } } } });
  });

  it('reports keys no vendor template reads as having no effect (a near miss of a real key as an action), and refuses values it cannot convert', () => {
    const odd = { ...vendorDefaults(path.join(FIXTURES, 'icap')), icap_components: { md_icapsrv: { replicas: 1, replica: 2 } }, surprise: { x: 1 } };
    const report = convertVendorValues('vendor-icap', odd).report;
    expect(report.find((r) => r.path === 'icap_components.md_icapsrv.replica')).toMatchObject({ status: 'action', note: expect.stringContaining('if you meant icap_components.md_icapsrv.replicas') });
    expect(report.find((r) => r.path === 'surprise')).toMatchObject({ status: 'not needed', note: expect.stringContaining('no template of the vendor chart reads this key') });
    expect(() => convertVendorValues('vendor-mdcore', { MDCORE_REST_PORT: 'eighty' })).toThrow('MDCORE_REST_PORT: expected an integer');
    // Our schema has the last word on what converts.
    expect(() => convertVendorValues('vendor-mdcore', { core_components: { 'md-core': { replicas: 500 } } })).toThrow('replicaCount');
  });
});

describe('the command line', () => {
  const run = (argv: string[]) => {
    let stdout = '';
    let stderr = '';
    const code = main(argv, { stdout: (s) => (stdout += s), stderr: (s) => (stderr += s) });
    return { code, stdout, stderr };
  };

  it('writes our values and the report', () => {
    const dir = tmpDir();
    const out = path.join(dir, 'values.yaml');
    const report = path.join(dir, 'report.md');
    const r = run(['convert-values', '--from', 'vendor-mdcore', path.join(FIXTURES, 'mdcore', 'values.yaml'), '--out', out, '--report', report, '--namespace', 'scan']);
    expect(r.code).toBe(0);
    expect(r.stderr).toMatch(/\d+ keys set: \d+ mapped, \d+ not needed, \d+ need action/);
    const values = YAML.parse(fs.readFileSync(out, 'utf8'));
    expect(values.image).toEqual({ repository: 'opswat/metadefendercore-debian', tag: '5.20.0', pullPolicy: 'IfNotPresent' });
    const text = fs.readFileSync(report, 'utf8');
    expect(text).toContain('## Needs action');
    expect(text).toContain('| `keda.formula` |');
  });

  it('fails on a value no chart could mean, naming its key, without a stack trace and without writing anything', () => {
    const dir = tmpDir();
    const input = path.join(dir, 'vendor.yaml');
    fs.writeFileSync(input, 'ACCEPT_EULA: true\nicap_components:\n  md_icapsrv:\n    replicas: many\n');
    const out = path.join(dir, 'values.yaml');
    const r = run(['convert-values', '--from', 'vendor-icap', input, '--out', out, '--report', path.join(dir, 'report.md')]);
    expect(r.code).toBe(1);
    expect(r.stderr).toBe(`chart-as-code: ${input}: icap_components.md_icapsrv.replicas: expected an integer, got "many"\n`);
    expect(fs.readdirSync(dir)).toEqual(['vendor.yaml']);
  });

  it('explains its usage', () => {
    expect(run(['convert-values', '--from', 'vendor-x', 'f']).code).toBe(2);
    expect(run(['convert-values', '--from', 'vendor-icap']).stderr).toBe('chart-as-code: give exactly one values file (see chart-as-code --help)\n');
    expect(run(['convert-values', '--help']).stdout).toContain('usage: chart-as-code convert-values');
    expect(run(['convert-values', '--from', 'vendor-icap', '/nonexistent.yaml']).stderr).toContain('/nonexistent.yaml: no such file');
  });

  it('runs as a program (tsx), with the exit code of the outcome', () => {
    const dir = tmpDir();
    const input = path.join(dir, 'vendor.yaml');
    fs.writeFileSync(input, 'icap_components: 1\n');
    const tsx = path.join(REPO, 'node_modules', '.bin', 'tsx');
    const ok = spawnSync(tsx, ['lib/cli/index.ts', 'convert-values', '--from', 'vendor-icap', path.join(FIXTURES, 'icap', 'values.yaml')], { cwd: REPO, encoding: 'utf8' });
    expect(ok.status).toBe(0);
    expect(YAML.parse(ok.stdout).image.tag).toBe('5.14.1');
    const bad = spawnSync(tsx, ['lib/cli/index.ts', 'convert-values', '--from', 'vendor-icap', input], { cwd: REPO, encoding: 'utf8' });
    expect(bad.status).toBe(1);
    expect(bad.stderr).toContain('icap_components: expected a map of keys');
  });
});

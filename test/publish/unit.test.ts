/**
 * Pure publishing logic: semver, quantities, tar reading, object comparison and masking, upgrade safety
 * rules, version discipline, metadata checks, argument parsing.
 */
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { parseArgs, PublishError } from '../../lib/publish/cli';
import {
  compareObjects,
  differences,
  K8sObject,
  maskNondeterministic,
  applyMask,
  NONDETERMINISTIC,
  parseManifests,
} from '../../lib/publish/objects';
import { parseQuantity } from '../../lib/publish/quantity';
import { compareSemVer, previousVersion, sortVersionsDesc } from '../../lib/publish/semver';
import { chartPackageFiles, readTgz } from '../../lib/publish/tar';
import { formatViolation, upgradeSafety } from '../../lib/publish/upgrade-safety';
import {
  appVersionProblems,
  artifactHubProblems,
  ChartContent,
  planVersion,
  versionDiscipline,
} from '../../lib/publish/version-discipline';
import { parseIndex } from '../../lib/publish/sources';
import { tempDir } from './support';

function obj(kind: string, name: string, extra: Record<string, unknown> = {}, apiVersion = 'v1'): K8sObject {
  return { apiVersion, kind, metadata: { name, namespace: 'ns' }, ...extra };
}
const deploy = (selector: unknown, extra: Record<string, unknown> = {}, apiVersion = 'apps/v1'): K8sObject =>
  obj('Deployment', 'web', { spec: { selector, replicas: 1, template: { metadata: { labels: { a: '1' } } }, ...extra } }, apiVersion);

describe('semver', () => {
  it('orders versions by SemVer precedence', () => {
    expect(compareSemVer('1.2.3', '1.2.4')).toBeLessThan(0);
    expect(compareSemVer('1.10.0', '1.9.9')).toBeGreaterThan(0);
    expect(compareSemVer('1.0.0-rc.1', '1.0.0')).toBeLessThan(0);
    expect(compareSemVer('1.0.0-rc.2', '1.0.0-rc.10')).toBeLessThan(0);
    expect(compareSemVer('1.0.0-alpha', '1.0.0-alpha.1')).toBeLessThan(0);
    expect(compareSemVer('1.0.0+build.1', '1.0.0')).toBe(0);
    expect(() => compareSemVer('1.0', '1.0.0')).toThrow(/not a semantic version/);
    expect(sortVersionsDesc(['0.1.0', '0.10.0', '0.2.0', 'junk', '0.2.0'])).toEqual(['0.10.0', '0.2.0', '0.1.0']);
    expect(previousVersion('0.2.0', ['0.1.0', '0.1.5', '0.3.0'])).toBe('0.1.5');
    expect(previousVersion('0.1.0', ['0.1.0', '0.3.0'])).toBeUndefined();
  });
});

describe('quantities', () => {
  it('parses binary, decimal and exponent suffixes', () => {
    expect(parseQuantity('10Gi')).toBe(10 * 2 ** 30);
    expect(parseQuantity('500M')).toBe(5e8);
    expect(parseQuantity('1.5e3')).toBe(1500);
    expect(parseQuantity('250m')).toBeCloseTo(0.25);
    expect(parseQuantity(42)).toBe(42);
    expect(parseQuantity('10 GB')).toBeUndefined();
    expect(parseQuantity('1Gi')! > parseQuantity('1G')!).toBe(true);
  });
});

describe('tar reading', () => {
  const dir = tempDir('tar');
  afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

  it('reads long names (GNU and PAX) and nested chart packages', () => {
    const long = `chart/${'d'.repeat(60)}/${'f'.repeat(70)}.yaml`;
    fs.mkdirSync(path.join(dir, path.dirname(long)), { recursive: true });
    fs.writeFileSync(path.join(dir, long), 'long: true\n');
    fs.writeFileSync(path.join(dir, 'chart', 'Chart.yaml'), 'name: chart\n');
    for (const format of ['gnu', 'pax']) {
      const archive = path.join(dir, `${format}.tgz`);
      const r = spawnSync('tar', ['-czf', archive, `--format=${format}`, '-C', dir, 'chart'], { encoding: 'utf8' });
      expect(r.status, r.stderr).toBe(0);
      const files = readTgz(fs.readFileSync(archive));
      expect(files.get(long)?.toString()).toBe('long: true\n');
      expect(files.get('chart/Chart.yaml')?.toString()).toBe('name: chart\n');
    }
    // A dependency package inside charts/ is expanded, so archive timestamps never count as a change.
    fs.mkdirSync(path.join(dir, 'outer', 'charts'), { recursive: true });
    fs.copyFileSync(path.join(dir, 'gnu.tgz'), path.join(dir, 'outer', 'charts', 'dep.tgz'));
    fs.writeFileSync(path.join(dir, 'outer', 'Chart.yaml'), 'name: outer\n');
    const outer = path.join(dir, 'outer.tgz');
    expect(spawnSync('tar', ['-czf', outer, '-C', dir, 'outer']).status).toBe(0);
    const files = chartPackageFiles(fs.readFileSync(outer));
    expect([...files.keys()]).toContain('charts/dep.tgz!/Chart.yaml');
    expect(files.get('Chart.yaml')?.toString()).toBe('name: outer\n');
  });

  it('rejects garbage', () => {
    expect(() => readTgz(Buffer.from([0x1f, 0x8b, 1, 2, 3]))).toThrow(/gzip/);
  });
});

describe('object comparison', () => {
  it('masks values that differ between two renders, and applies the mask elsewhere', () => {
    const a = [obj('Secret', 's', { data: { password: 'abc', user: 'YWRtaW4=' } })];
    const b = [obj('Secret', 's', { data: { password: 'xyz', user: 'YWRtaW4=' } })];
    const masked = maskNondeterministic(a, b, 'ns');
    expect(masked[0]!.data).toEqual({ password: NONDETERMINISTIC, user: 'YWRtaW4=' });
    const other = [obj('Secret', 's', { data: { password: 'qqq', user: 'YWRtaW4=' } })];
    expect(applyMask(other, masked, 'ns')).toEqual(masked);
  });

  it('reports added, removed and changed objects with paths', () => {
    const c = compareObjects(
      [obj('ConfigMap', 'a', { data: { x: '1' } }), obj('ConfigMap', 'gone')],
      [obj('ConfigMap', 'a', { data: { x: '2' } }), obj('ConfigMap', 'new')],
      'ns',
    );
    expect(c.added).toEqual(['ConfigMap ns/new']);
    expect(c.removed).toEqual(['ConfigMap ns/gone']);
    expect(c.changed[0]!.diffs).toEqual([{ path: 'data.x', old: '1', new: '2' }]);
    expect(differences({ 'a.b': 1 }, { 'a.b': 2 })[0]!.path).toBe('["a.b"]');
  });

  it('parses manifests as YAML 1.1 and drops empty documents', () => {
    const objs = parseManifests('---\n# Source: x\n---\napiVersion: v1\nkind: ConfigMap\nmetadata: {name: a}\ndata: {on: yes}\n');
    expect(objs).toHaveLength(1);
    expect(() => parseManifests('a: [')).toThrow(/invalid YAML/);
  });
});

describe('upgradeSafety', () => {
  const sel = { matchLabels: { app: 'web' } };

  it('passes identical renders and mutable changes', () => {
    const newer = deploy(sel, { replicas: 3, template: { metadata: { labels: { a: '2' } } } });
    expect(upgradeSafety([deploy(sel)], [newer])).toEqual([]);
  });

  it('fails a changed Deployment selector, naming object and field', () => {
    const v = upgradeSafety([deploy(sel)], [deploy({ matchLabels: { app: 'web', tier: 'front' } })], { releaseNamespace: 'ns' });
    expect(v).toHaveLength(1);
    expect(v[0]!.object).toBe('Deployment ns/web');
    expect(v[0]!.field).toBe('spec.selector');
    expect(formatViolation(v[0]!)).toMatch(/Deployment ns\/web: spec\.selector: .*immutable.*matchLabels\.tier: \(unset\) -> "front"/);
  });

  it('ignores kind, name and apiVersion changes (delete + create, or the same object)', () => {
    expect(upgradeSafety([deploy(sel)], [obj('StatefulSet', 'web', { spec: { selector: { matchLabels: { x: '1' } } } }, 'apps/v1')])).toEqual([]);
    expect(upgradeSafety([deploy(sel)], [{ ...deploy({ matchLabels: { x: '1' } }), metadata: { name: 'web2', namespace: 'ns' } }])).toEqual([]);
    const pdb = (apiVersion: string): K8sObject => obj('PodDisruptionBudget', 'p', { spec: { minAvailable: 1 } }, apiVersion);
    expect(upgradeSafety([pdb('policy/v1beta1')], [pdb('policy/v1')])).toEqual([]);
  });

  it('skips Helm hooks', () => {
    const hook = (image: string): K8sObject => ({
      ...obj('Job', 'migrate', { spec: { template: { spec: { containers: [{ image }] } } } }, 'batch/v1'),
      metadata: { name: 'migrate', annotations: { 'helm.sh/hook': 'pre-upgrade' } },
    });
    expect(upgradeSafety([hook('a:1')], [hook('a:2')])).toEqual([]);
  });

  it('StatefulSet: serviceName, volumeClaimTemplates, selector and podManagementPolicy', () => {
    const vct = (size: string, extra: Record<string, unknown> = {}): unknown[] => [
      { metadata: { name: 'data' }, spec: { accessModes: ['ReadWriteOnce'], resources: { requests: { storage: size } }, ...extra } },
    ];
    const sts = (spec: Record<string, unknown>): K8sObject =>
      obj('StatefulSet', 'db', { spec: { selector: sel, serviceName: 'db', volumeClaimTemplates: vct('1Gi'), replicas: 1, ...spec } }, 'apps/v1');
    expect(upgradeSafety([sts({})], [sts({ replicas: 3, updateStrategy: { type: 'OnDelete' }, revisionHistoryLimit: 2 })])).toEqual([]);
    // Defaults spelled out are no change.
    expect(upgradeSafety([sts({})], [sts({ podManagementPolicy: 'OrderedReady', volumeClaimTemplates: vct('1Gi', { volumeMode: 'Filesystem' }) })])).toEqual([]);
    const fields = upgradeSafety(
      [sts({})],
      [sts({ serviceName: 'db-headless', volumeClaimTemplates: vct('2Gi'), selector: { matchLabels: { app: 'db' } }, podManagementPolicy: 'Parallel' })],
    ).map((v) => v.field);
    expect(fields).toEqual(['spec.podManagementPolicy', 'spec.selector', 'spec.serviceName', 'spec.volumeClaimTemplates']);
  });

  it('Job: template and selector are immutable', () => {
    const job = (image: string, selector?: unknown): K8sObject =>
      obj('Job', 'once', { spec: { selector, template: { spec: { containers: [{ name: 'c', image }], restartPolicy: 'Never' } } } }, 'batch/v1');
    expect(upgradeSafety([job('a:1')], [job('a:1')])).toEqual([]);
    const v = upgradeSafety([job('a:1')], [job('a:2', { matchLabels: { x: 'y' } })]);
    expect(v.map((x) => x.field)).toEqual(['spec.selector', 'spec.template']);
    expect(v[1]!.message).toMatch(/containers\[0\]\.image: "a:1" -> "a:2"/);
  });

  it('Service: clusterIP set -> different, headless transitions, ExternalName', () => {
    const svc = (spec: Record<string, unknown>): K8sObject => obj('Service', 'web', { spec: { ports: [{ port: 80 }], ...spec } });
    expect(upgradeSafety([svc({})], [svc({ type: 'NodePort' })])).toEqual([]);
    expect(upgradeSafety([svc({ clusterIP: '10.0.0.10' })], [svc({ clusterIP: '10.0.0.10', type: 'LoadBalancer' })])).toEqual([]);
    expect(upgradeSafety([svc({ type: 'ExternalName', externalName: 'x.example' })], [svc({})])).toEqual([]);
    expect(upgradeSafety([svc({})], [svc({ type: 'ExternalName', externalName: 'x.example' })])).toEqual([]);
    expect(upgradeSafety([svc({ clusterIP: '10.0.0.10' })], [svc({ clusterIP: '10.0.0.11' })])[0]!.field).toBe('spec.clusterIP');
    expect(upgradeSafety([svc({ clusterIP: 'None' })], [svc({})])[0]!.message).toMatch(/headless/);
    expect(upgradeSafety([svc({})], [svc({ clusterIP: 'None' })])[0]!.message).toMatch(/headless/);
    expect(upgradeSafety([svc({})], [svc({ clusterIPs: ['10.0.0.12'] })])[0]!.field).toBe('spec.clusterIP');
    expect(upgradeSafety([svc({})], [svc({ type: 'ExternalName', externalName: 'x', clusterIP: '10.0.0.1' })])[0]!.message).toMatch(/ExternalName/);
    expect(upgradeSafety([svc({ ipFamilies: ['IPv4'] })], [svc({ ipFamilies: ['IPv6', 'IPv4'] })])[0]!.field).toBe('spec.ipFamilies[0]');
  });

  it('PersistentVolumeClaim: storage class change and shrinking; growing is fine', () => {
    const pvc = (spec: Record<string, unknown>): K8sObject =>
      obj('PersistentVolumeClaim', 'data', { spec: { accessModes: ['ReadWriteOnce'], resources: { requests: { storage: '10Gi' } }, ...spec } });
    expect(upgradeSafety([pvc({})], [pvc({ resources: { requests: { storage: '20Gi' } } })])).toEqual([]);
    expect(upgradeSafety([pvc({})], [pvc({ volumeMode: 'Filesystem' })])).toEqual([]);
    const shrink = upgradeSafety([pvc({})], [pvc({ resources: { requests: { storage: '10G' } } })]);
    expect(shrink.map((v) => v.field)).toEqual(['spec.resources.requests.storage']);
    expect(shrink[0]!.message).toMatch(/cannot shrink.*"10Gi" -> "10G"/);
    expect(upgradeSafety([pvc({ storageClassName: 'fast' })], [pvc({ storageClassName: 'slow' })])[0]!.field).toBe('spec.storageClassName');
    expect(upgradeSafety([pvc({})], [pvc({ storageClassName: 'slow' })])[0]!.message).toMatch(/default class/);
    expect(upgradeSafety([pvc({})], [pvc({ accessModes: ['ReadWriteMany'] })])[0]!.field).toBe('spec.accessModes');
  });

  it('PersistentVolume, Pod, immutable Secret, RoleBinding, StorageClass, PriorityClass', () => {
    const pv = (spec: Record<string, unknown>): K8sObject => obj('PersistentVolume', 'pv', { spec: { capacity: { storage: '1Gi' }, ...spec } });
    expect(upgradeSafety([pv({ nfs: { server: 'a', path: '/x' } })], [pv({ nfs: { server: 'a', path: '/x' }, capacity: { storage: '2Gi' } })])).toEqual([]);
    expect(upgradeSafety([pv({ nfs: { server: 'a', path: '/x' } })], [pv({ nfs: { server: 'b', path: '/x' } })])[0]!.field).toBe('spec (volume source)');

    const pod = (image: string, extra: Record<string, unknown> = {}): K8sObject => obj('Pod', 'p', { spec: { containers: [{ name: 'c', image, ...extra }] } });
    expect(upgradeSafety([pod('a:1')], [pod('a:2')])).toEqual([]);
    expect(upgradeSafety([pod('a:1')], [pod('a:1', { env: [{ name: 'X', value: '1' }] })])[0]!.field).toBe('spec');

    const secret = (data: Record<string, string>, immutable?: boolean): K8sObject => obj('Secret', 's', { data, immutable });
    expect(upgradeSafety([secret({ a: 'MQ==' })], [secret({ a: 'Mg==' })])).toEqual([]);
    expect(upgradeSafety([secret({ a: 'MQ==' }, true)], [secret({ a: 'Mg==' }, true)])[0]!.field).toBe('data');
    expect(upgradeSafety([secret({ a: 'MQ==' }, true)], [secret({ a: 'MQ==' })])[0]!.field).toBe('immutable');

    const rb = (role: string): K8sObject =>
      obj('RoleBinding', 'rb', { roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'Role', name: role }, subjects: [] }, 'rbac.authorization.k8s.io/v1');
    expect(upgradeSafety([rb('a')], [rb('b')])[0]!.field).toBe('roleRef');

    const sc = (params: Record<string, string>, reclaimPolicy?: string): K8sObject =>
      obj('StorageClass', 'fast', { provisioner: 'x', parameters: params, reclaimPolicy }, 'storage.k8s.io/v1');
    expect(upgradeSafety([sc({ type: 'ssd' })], [sc({ type: 'ssd' }, 'Delete')])).toEqual([]);
    expect(upgradeSafety([sc({ type: 'ssd' })], [sc({ type: 'hdd' })])[0]!.field).toBe('parameters');

    const pc = (value: number): K8sObject => obj('PriorityClass', 'high', { value }, 'scheduling.k8s.io/v1');
    expect(upgradeSafety([pc(1000)], [pc(2000)])[0]!.field).toBe('value');
  });
});

describe('version discipline', () => {
  const content = (template: string, label = 'a'): ChartContent => ({
    files: new Map([
      ['Chart.yaml', Buffer.from('name: c\nversion: 1.0.0\n')],
      ['templates/x.yaml', Buffer.from(template)],
    ]),
    objects: [obj('ConfigMap', 'x', { metadata: { name: 'x', namespace: 'ns', labels: { l: label } } })],
  });

  it('plans a version against the published ones', () => {
    expect(planVersion('1.0.0', [])).toEqual({ kind: 'first' });
    expect(planVersion('1.0.0', ['1.0.0', '0.9.0'])).toEqual({ kind: 'published' });
    expect(planVersion('1.1.0', ['1.0.0', '0.9.0'])).toEqual({ kind: 'bumped', previous: '1.0.0' });
    expect(planVersion('0.9.5', ['1.0.0', '0.9.0'])).toEqual({ kind: 'older', latest: '1.0.0', previous: '0.9.0' });
  });

  it('passes an unchanged published version and a bumped one', () => {
    const r = versionDiscipline({ chart: 'c', version: '1.0.0', published: ['1.0.0'], publishedContent: content('t'), local: content('t') });
    expect(r).toMatchObject({ status: 'unchanged', problems: [] });
    // Chart.yaml is compared as data: helm package rewrites its formatting.
    const reformatted = content('t');
    reformatted.files.set('Chart.yaml', Buffer.from('version: "1.0.0"\nname: c\n'));
    expect(versionDiscipline({ chart: 'c', version: '1.0.0', published: ['1.0.0'], publishedContent: content('t'), local: reformatted }).status).toBe('unchanged');
    expect(versionDiscipline({ chart: 'c', version: '1.0.1', published: ['1.0.0'], local: content('u') })).toMatchObject({
      status: 'bumped',
      previous: '1.0.0',
      problems: [],
    });
  });

  it('fails changed content under a published version, naming the chart, files and objects', () => {
    const r = versionDiscipline({
      chart: 'c',
      version: '1.0.0',
      published: ['1.0.0'],
      publishedContent: content('t'),
      local: content('t2', 'b'),
      where: 'repo/index.yaml',
    });
    expect(r.status).toBe('changed-without-bump');
    expect(r.problems[0]).toMatch(/^c: content changed but version 1\.0\.0 is already published at repo\/index\.yaml; bump the version/);
    expect(r.problems[0]).toMatch(/files changed: templates\/x\.yaml/);
    expect(r.problems[0]).toMatch(/ConfigMap ns\/x \(metadata\.labels\.l: "a" -> "b"\)/);
  });

  it('fails a new version older than the latest unless allowed', () => {
    expect(versionDiscipline({ chart: 'c', version: '0.9.5', published: ['1.0.0'], local: content('t') }).problems[0]).toMatch(/older than the latest published version 1\.0\.0/);
    expect(versionDiscipline({ chart: 'c', version: '0.9.5', published: ['1.0.0'], local: content('t'), allowOlder: true }).problems).toEqual([]);
  });
});

describe('metadata checks', () => {
  const values = { image: { repository: 'opswat/app', tag: '5.1.0' } };

  it('appVersion must equal image.tag', () => {
    expect(appVersionProblems('c', { appVersion: '5.1.0' }, values)).toEqual([]);
    expect(appVersionProblems('c', { appVersion: '5.0.0' }, values)[0]).toMatch(/^c: appVersion "5\.0\.0" .* default image tag "5\.1\.0"/);
    expect(appVersionProblems('c', {}, values)[0]).toMatch(/no appVersion/);
    expect(appVersionProblems('c', { appVersion: '1' }, {})).toEqual([]);
  });

  it('Artifact Hub annotations must be well formed and list the default image', () => {
    const good = {
      annotations: {
        'artifacthub.io/images': '- name: app\n  image: docker.io/opswat/app:5.1.0\n',
        'artifacthub.io/license': 'Apache-2.0',
        'artifacthub.io/links': '- name: source\n  url: https://example.com\n',
        'artifacthub.io/changes': '- kind: added\n  description: thing\n- plain text change\n',
        'artifacthub.io/containsSecurityUpdates': 'false',
      },
    };
    expect(artifactHubProblems('c', good, values)).toEqual([]);
    const stale = { annotations: { ...good.annotations, 'artifacthub.io/images': '- name: app\n  image: opswat/app:5.0.0\n' } };
    expect(artifactHubProblems('c', stale, values)[0]).toMatch(/does not list the default image opswat\/app:5\.1\.0/);
    const bad = { annotations: { 'artifacthub.io/changes': 'not a list', 'artifacthub.io/prerelease': 'yes' } };
    expect(artifactHubProblems('c', bad, values)).toHaveLength(2);
  });
});

describe('index and arguments', () => {
  it('parses a repository index', () => {
    const idx = parseIndex('apiVersion: v1\nentries:\n  c:\n  - version: 1.0.0\n    urls: [c-1.0.0.tgz]\n    digest: abc\n', 'index.yaml');
    expect(idx.get('c')).toEqual([{ name: 'c', version: '1.0.0', urls: ['c-1.0.0.tgz'], digest: 'abc' }]);
    expect(() => parseIndex('entries: [', 'index.yaml')).toThrow(PublishError);
  });

  it('parses options strictly', () => {
    const spec = { values: ['out', 'values'], flags: ['sign'], repeatable: ['values'] };
    const a = parseArgs(['--out=x', '--values', 'a', '--values', 'b', '--sign', 'pos'], spec, 'usage');
    expect(a.values.get('out')).toEqual(['x']);
    expect(a.values.get('values')).toEqual(['a', 'b']);
    expect(a.flags.has('sign')).toBe(true);
    expect(a.positional).toEqual(['pos']);
    expect(() => parseArgs(['--bogus'], spec, 'usage')).toThrow(/unknown option --bogus/);
    expect(() => parseArgs(['--out'], spec, 'usage')).toThrow(/needs a value/);
    expect(() => parseArgs(['--out', 'a', '--out', 'b'], spec, 'usage')).toThrow(/more than once/);
  });
});

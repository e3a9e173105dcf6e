/**
 * One behaviour on every path a chart is synthesized by: `new RawChart(app)` + `app.synth()` (what
 * `npx cdk8s synth` runs), `synthManifests` and `writeHelmCharts` refuse the same colliding names and write
 * nothing then, and write the same objects; and a platform team's values file per environment
 * (examples/platform-chart/main.ts, VALUES) is read as `helm -f` reads it.
 */
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { App, Testing } from 'cdk8s';
import { describe, expect, it } from 'vitest';
import YAML from 'yaml';
import { z } from 'zod';
import { defineChart, RawChart } from '../lib/core/chart';
import { writeHelmCharts } from '../lib/core/helm-chart';
import { synthManifests } from '../lib/core/synth';
import { MdIcapsrv, mdIcapsrvValues } from '../lib/systems/md-icapsrv';
import { HELM_MAJORS, runHelm } from '../lib/tooling/helm';
import { platformChart } from '../examples/platform-chart/chart';
import { chartDir, K8sObject, parseStream } from './support/render';

const root = path.join(__dirname, '..');
const tmp = (prefix: string) => fs.mkdtempSync(path.join(os.tmpdir(), prefix));

/** Two ICAP servers without a namePrefix of their own: every object of one has the name of one of the other. */
const collidingChart = defineChart({
  name: 'two-icaps',
  schema: z.object({ eu: mdIcapsrvValues.prefault({}), us: mdIcapsrvValues.prefault({}) }).strict(),
  metadata: { version: '1.0.0', appVersion: '1', description: 'Two ICAP servers, one set of names' },
  build: (scope, values) => {
    new MdIcapsrv(scope, 'eu', values.eu);
    new MdIcapsrv(scope, 'us', values.us);
  },
});

const PATHS: [string, (chart: typeof collidingChart, outdir: string) => void][] = [
  [
    'app.synth() (npx cdk8s synth)',
    (chart, outdir) => {
      const app = new App({ outdir });
      new RawChart(app, chart.name, { chart });
      app.synth();
    },
  ],
  ['synthManifests', (chart, outdir) => synthManifests([{ chart }], outdir)],
  ['writeHelmCharts', (chart, outdir) => writeHelmCharts([chart], outdir)],
];

describe('every synthesis path', () => {
  it.each(PATHS)('%s refuses two objects of one name, naming both and the fix, and writes nothing', (_, synth) => {
    const outdir = path.join(tmp('paths-'), 'out');
    expect(() => synth(collidingChart, outdir)).toThrow(/two objects are the same v1 Secret default\/mdicapsrv-cred: two-icaps\/eu\/.* and two-icaps\/us\/.*; give each use of a product its own namePrefix/);
    expect(fs.existsSync(outdir) ? fs.readdirSync(outdir) : []).toEqual([]);
  });

  it('app.synth() writes what synthManifests writes, byte for byte, and the same on every run', () => {
    const instance = { chart: platformChart, namespace: 'scanning', releaseName: 'team-a', values: { web: { image: { tag: '1.27.3' } } } };
    const viaApp = () => {
      const outdir = tmp('app-');
      const app = new App({ outdir });
      new RawChart(app, 'scanning-platform', instance);
      app.synth();
      return fs.readFileSync(path.join(outdir, 'scanning-platform.k8s.yaml'), 'utf8');
    };
    const outdir = tmp('instances-');
    synthManifests([instance], outdir, { yaml: 'cdk8s' });
    const first = viaApp();
    expect(first).toBe(fs.readFileSync(path.join(outdir, 'scanning-platform.k8s.yaml'), 'utf8'));
    expect(viaApp()).toBe(first);
  });

  it('Testing.synth() of a RawChart (objects in a test, as README says) gives the objects synthManifests writes', () => {
    const instance = { chart: platformChart, namespace: 'scanning', releaseName: 'team-a', values: { web: { enabled: false } } };
    const outdir = tmp('testing-');
    const [file] = synthManifests([instance], outdir);
    const objects = Testing.synth(new RawChart(Testing.app(), 'test', instance));
    expect(objects.map((o) => `${o.kind}/${o.metadata.name}`)).toContain('Deployment/md-icapsrv');
    expect(objects).toEqual(parseStream(fs.readFileSync(path.join(outdir, file!), 'utf8')));
  });
});

describe('a values file per environment (examples/platform-chart/main.ts, VALUES=<file>)', () => {
  const file = path.join(tmp('values-'), 'prod.yaml');
  // YAML 1.1, as Helm reads values files: `off` is false (the `yaml` package keeps the string "off").
  fs.writeFileSync(file, 'web:\n  enabled: off\n');

  /** `npx cdk8s synth` in examples/platform-chart: main.ts with VALUES, its objects as Kubernetes reads them. */
  function synth(values?: string): K8sObject[] {
    const outdir = tmp('cdk8s-out-');
    const r = spawnSync(path.join(root, 'node_modules', '.bin', 'tsx'), ['examples/platform-chart/main.ts'], {
      cwd: root,
      encoding: 'utf8',
      env: { ...process.env, CDK8S_OUTDIR: outdir, ...(values ? { VALUES: values } : {}) },
    });
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    return parseStream(fs.readFileSync(path.join(outdir, 'scanning-platform.k8s.yaml'), 'utf8'));
  }
  const names = (objects: K8sObject[]) => objects.map((o) => `${o.kind}/${o.metadata.name}`).sort();
  let synthesized: { all: string[]; raw: string[] } | undefined;
  // Both runs once, for both helm majors (each starts the app).
  const runs = () => (synthesized ??= { all: names(synth()), raw: names(synth(file)) });

  it.each(HELM_MAJORS.map((m) => [m] as const))('`enabled: off` removes the web front-end from the raw manifests, as `helm %i template -f` does', (major) => {
    const { all, raw } = runs();
    expect(all).toContain('Deployment/scanning-platform-web');
    expect(raw).not.toContain('Deployment/scanning-platform-web');
    expect(raw).not.toContain('Service/scanning-platform-web-service');
    const helm = runHelm(major, ['template', 'scanning-platform', chartDir(platformChart), '--namespace', 'scanning', '-f', file]);
    expect(helm.stderr).toBe('');
    expect(names(parseStream(helm.stdout))).toEqual(raw);
  });

  it('is what the `yaml` package would refuse', () => {
    const app = new App({ outdir: tmp('yaml-') });
    expect(() => new RawChart(app, 'p', { chart: platformChart, overrides: YAML.parse(fs.readFileSync(file, 'utf8')) })).toThrow(/web\.enabled/);
  });
});

/**
 * One behaviour on every path a chart is synthesized by: `new RawChart(app)` + `app.synth()` (what a team's
 * own cdk8s app runs under `npx cdk8s synth`, as examples/platform-chart/main.ts), `synthManifests`,
 * `writeHelmCharts` and the command line's `chart-as-code synth` (what this repository's `npm run synth` and
 * `npx cdk8s synth` run) refuse the same colliding names and the same objects Kubernetes would refuse, and
 * write nothing then; they write the same bytes on every run; and a platform team's values file per
 * environment (examples/platform-chart/main.ts, VALUES) is read as `helm -f` reads it.
 */
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { App, Testing } from 'cdk8s';
import { describe, expect, it } from 'vitest';
import YAML from 'yaml';
import { ChartDefinition, RawChart } from '../lib/core/chart';
import { writeHelmCharts } from '../lib/core/helm-chart';
import { OUTPUT_MARKER } from '../lib/core/output';
import { synthManifests } from '../lib/core/synth';
import { HELM_MAJORS, runHelm } from '../lib/tooling/helm';
import { platformChart } from '../examples/platform-chart/chart';
import { chartDir, K8sObject, parseStream } from './support/render';
import { collidingChart, invalidLabelChart } from './fixtures/synth-paths-charts';

const root = path.join(__dirname, '..');
const tmp = (prefix: string) => fs.mkdtempSync(path.join(os.tmpdir(), prefix));
/** A directory's files by name, with their content. */
const contents = (dir: string) => Object.fromEntries(fs.readdirSync(dir).map((f) => [f, fs.readFileSync(path.join(dir, f), 'utf8')]));

const FIXTURES = 'test/fixtures/synth-paths-charts.ts';

/**
 * `chart-as-code synth` (what `npm run synth` and `npx cdk8s synth` run) of one chart of FIXTURES, or of
 * `--charts <module>`: throws its one-line error (exit 1) as the in-process paths throw theirs.
 */
function cliSynth(args: string[], outdir: string): string {
  const r = spawnSync(process.execPath, ['--require', 'tsx/cjs', 'lib/cli/index.ts', 'synth', ...args, '--out', outdir], { cwd: root, encoding: 'utf8' });
  if (r.status === 0) return r.stdout;
  expect(r.status).toBe(1);
  expect(r.stderr.trimEnd().split('\n'), r.stderr).toHaveLength(1);
  throw new Error(r.stderr);
}

type Path = [string, (chart: ChartDefinition, outdir: string) => unknown];
const PATHS: Path[] = [
  [
    'app.synth()',
    (chart, outdir) => {
      const app = new App({ outdir });
      new RawChart(app, chart.name, { chart });
      app.synth();
    },
  ],
  ['synthManifests', (chart, outdir) => synthManifests([{ chart }], outdir)],
  ['writeHelmCharts', (chart, outdir) => writeHelmCharts([chart], outdir)],
  ['chart-as-code synth (npm run synth, npx cdk8s synth)', (chart, outdir) => cliSynth(['--charts', FIXTURES, '--chart', chart.name], outdir)],
];

describe('every synthesis path', () => {
  it.each(PATHS)('%s refuses two objects of one name, naming both and the fix, and writes nothing', (_, synth) => {
    const outdir = path.join(tmp('paths-'), 'out');
    expect(() => synth(collidingChart, outdir)).toThrow(/two objects are the same v1 Secret default\/mdicapsrv-cred: two-icaps\/eu\/.* and two-icaps\/us\/.*; give each use of a product its own namePrefix/);
    expect(fs.existsSync(outdir) ? fs.readdirSync(outdir) : []).toEqual([]);
  });

  it.each(PATHS)('%s refuses an object Kubernetes would refuse (an image as a label value), naming object, field and rule, and writes nothing', (_, synth) => {
    const outdir = path.join(tmp('paths-'), 'out');
    expect(() => synth(invalidLabelChart, outdir)).toThrow(
      'chart "bad-label": ConfigMap settings: metadata.labels["app.kubernetes.io/version"]: the value "nginx:1.27" is not a label value',
    );
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

  it('chart-as-code synth writes what synthManifests writes, byte for byte (marker included), and the same on every run', () => {
    const expected = path.join(tmp('instances-'), 'out');
    synthManifests([{ chart: platformChart, namespace: 'scanning', releaseName: 'team-a' }], expected);
    const viaCli = () => {
      const outdir = path.join(tmp('cli-'), 'out');
      expect(cliSynth(['--charts', 'examples/platform-chart/chart.ts', '--namespace', 'scanning', '--release', 'team-a'], outdir)).toBe(`wrote ${path.relative(root, outdir)}/scanning-platform.k8s.yaml\n`);
      return contents(outdir);
    };
    const first = viaCli();
    expect(Object.keys(first).sort()).toEqual([OUTPUT_MARKER, 'scanning-platform.k8s.yaml']);
    expect(first).toEqual(contents(expected));
    expect(viaCli()).toEqual(first);
  });

  it('`npx cdk8s synth` runs `npm run synth`: both write the same files, to dist/ and to the cdk8s CLI\'s output', () => {
    const dirs = { npm: tmp('npm-'), cdk8sDist: tmp('cdk8s-dist-'), cdk8sOut: path.join(tmp('cdk8s-out-'), 'out') };
    const npm = spawnSync('npm', ['run', '--silent', 'synth'], { cwd: root, encoding: 'utf8', env: { ...process.env, CHART_AS_CODE_DIST: dirs.npm } });
    expect(npm.stderr).toBe('');
    expect(npm.status).toBe(0);
    const cdk8s = spawnSync('npx', ['cdk8s', 'synth', '--check-upgrade', 'false', '--output', dirs.cdk8sOut], {
      cwd: root,
      encoding: 'utf8',
      env: { ...process.env, CHART_AS_CODE_DIST: dirs.cdk8sDist, CDK8S_CHECK_UPGRADE: 'false' },
    });
    expect(cdk8s.status, cdk8s.stderr).toBe(0);
    const written = contents(dirs.npm);
    expect(Object.keys(written).length).toBeGreaterThanOrEqual(5);
    expect(contents(dirs.cdk8sDist)).toEqual(written);
    expect(contents(dirs.cdk8sOut)).toEqual(written);
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

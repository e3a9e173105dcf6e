/**
 * lib/core/synth.ts: one App per chart writes the same files and objects as `App.synth()` of one App
 * holding every chart (byte for byte with cdk8s' writer; with the Kubernetes-safe writer exactly what
 * `npm run synth` writes), and visits each chart's constructs a constant number of times.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { ApiObject, App, Chart, Names } from 'cdk8s';
import * as kplus from 'cdk8s-plus-28';
import { afterAll, describe, expect, it } from 'vitest';
import { OUTPUT_MARKER } from '../lib/core/output';
import { ChartInstance, ChartSource, synthManifestFiles, synthManifests } from '../lib/core/synth';
import { RawChart } from '../lib/core/chart';
import { manifestsToYaml } from '../lib/core/yaml';
import { mdCoreChart } from '../lib/systems/md-core';
import { MdIcapsrv, mdIcapsrvChart } from '../lib/systems/md-icapsrv';
import { systems } from '../lib/systems';
import { parseStream } from './support/render';

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'synth-test-'));
afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));
let dirs = 0;
const newDir = () => path.join(tmp, `out-${dirs++}`);

/** The files of `dir` but the output marker (which App.synth() does not write). */
function readDir(dir: string): Record<string, string> {
  return Object.fromEntries(fs.readdirSync(dir).filter((f) => f !== OUTPUT_MARKER).sort().map((f) => [f, fs.readFileSync(path.join(dir, f), 'utf8')]));
}

/** One App holding every chart. */
function oneApp(sources: ChartSource[], outdir = '/nonexistent'): App {
  const app = new App({ outdir });
  for (const s of sources) {
    if ('chart' in s) new RawChart(app, s.id ?? s.chart.name, s);
    else {
      const { id, build, ...props } = s;
      build(new Chart(app, id, props));
    }
  }
  return app;
}

/** What `App.synth()` writes for one App holding every chart. */
function appSynth(sources: ChartSource[]): Record<string, string> {
  const outdir = newDir();
  oneApp(sources, outdir).synth();
  return readDir(outdir);
}

/** What `npm run synth` writes: the charts of one App, each serialized with the Kubernetes-safe writer. */
function mainTsWay(sources: ChartSource[]): Record<string, string> {
  const app = oneApp(sources);
  return Object.fromEntries(app.charts.map((c) => [`${Names.toDnsLabel(c)}.k8s.yaml`, manifestsToYaml(c.toJson() as unknown[])]));
}

const icap = mdIcapsrvChart;

function tenants(n: number): ChartInstance[] {
  return Array.from({ length: n }, (_, i) => ({
    id: `tenant-${i}`,
    chart: icap,
    namespace: `tenant-${i}`,
    values: i % 2 === 0 ? {} : { acceptEula: true, replicaCount: i, ingress: { enabled: true, host: `t${i}.example.com` }, podDisruptionBudget: { enabled: true } },
  }));
}

/**
 * cdk8s and cdk8s-plus charts built by specs: hashed object names, a non-DNS chart id (upper case: its objects'
 * names, lowercased, are still ones Kubernetes accepts, which synthesis checks), explicit dependencies.
 */
function specCharts(): ChartSource[] {
  return [
    {
      id: 'Plain-Chart-One',
      namespace: 'plain',
      labels: { team: 'a' },
      build: (chart) => {
        const cm = new kplus.ConfigMap(chart, 'Config', { data: { a: '1' } });
        const d = new kplus.Deployment(chart, 'Web', { containers: [{ image: 'nginx:1.27', envFrom: [kplus.Env.fromConfigMap(cm)], portNumber: 8080 }] });
        d.exposeViaService();
        const first = new ApiObject(chart, 'First', { apiVersion: 'v1', kind: 'ConfigMap' });
        ApiObject.of(d).addDependency(first);
      },
    },
    { id: 'empty', build: () => undefined },
  ];
}

describe('synthManifests', () => {
  it('with yaml: "cdk8s", writes the files App.synth() writes, byte for byte (system charts)', () => {
    const instances = tenants(6);
    const expected = appSynth(instances);
    const outdir = newDir();
    const written = synthManifests(tenants(6), outdir, { yaml: 'cdk8s' });
    expect(written).toEqual(instances.map((t) => `${t.id}.k8s.yaml`));
    expect(readDir(outdir)).toEqual(expected);
    expect(Object.keys(expected)).toHaveLength(6);
    expect(fs.readdirSync(outdir)).toContain(OUTPUT_MARKER);
  });

  it('with yaml: "cdk8s", writes the files App.synth() writes for every system and for cdk8s and cdk8s-plus charts built by specs, mixed', () => {
    const sources = (): ChartSource[] => [
      ...systems.map((system, i) => ({ chart: system, namespace: `ns-${i}`, includeTests: true })),
      ...specCharts(),
    ];
    const expected = appSynth(sources());
    expect(synthManifestFiles(sources(), { yaml: 'cdk8s' })).toEqual(new Map(Object.entries(expected)));
    expect(Object.keys(expected)).toContain('empty.k8s.yaml');
    expect(Object.keys(expected).some((f) => /^plain-chart-one-[0-9a-f]{8}\.k8s\.yaml$/.test(f))).toBe(true);
  });

  it('by default, writes what `npm run synth` writes: App.synth()\'s files and objects, Kubernetes-safe quoting', () => {
    const sources = (): ChartSource[] => [
      ...tenants(3),
      ...systems.map((system, i) => ({ chart: system, namespace: `ns-${i}`, includeTests: true })),
      ...specCharts(),
    ];
    const files = synthManifestFiles(sources());
    expect(Object.fromEntries(files)).toEqual(mainTsWay(sources()));
    const synthesized = appSynth(sources());
    expect([...files.keys()].sort()).toEqual(Object.keys(synthesized).sort());
    for (const [file, yaml] of files) expect(parseStream(yaml), file).toEqual(parseStream(synthesized[file]!));
  });

  it('honours outputFileExtension', () => {
    const files = synthManifestFiles([{ id: 'x', build: (c) => new ApiObject(c, 'o', { apiVersion: 'v1', kind: 'ConfigMap' }) }], { outputFileExtension: '.yml' });
    expect([...files.keys()]).toEqual(['x.yml']);
  });

  it('validates each construct once, not once per chart (linear, where App.synth() is quadratic)', () => {
    const counted = (counter: { n: number }): ChartSource[] =>
      Array.from({ length: 20 }, (_, i) => ({
        id: `c${i}`,
        build: (chart: Chart) => {
          chart.node.addValidation({ validate: () => (counter.n++, []) });
          new MdIcapsrv(chart, 'icap');
        },
      }));
    const perChart = { n: 0 };
    synthManifestFiles(counted(perChart));
    expect(perChart.n).toBe(20);
    const oneApp = { n: 0 };
    appSynth(counted(oneApp));
    expect(oneApp.n).toBe(20 * 21); // once up front, then once per chart for every chart
  });

  it('replaces the output directory whole, and leaves it as it was on an error', () => {
    const outdir = newDir();
    fs.mkdirSync(outdir);
    fs.writeFileSync(path.join(outdir, 'stale.k8s.yaml'), 'old');
    expect(synthManifests(tenants(2), outdir)).toEqual(['tenant-0.k8s.yaml', 'tenant-1.k8s.yaml']);
    const good = readDir(outdir);
    expect(Object.keys(good)).toEqual(['tenant-0.k8s.yaml', 'tenant-1.k8s.yaml']);

    const bad = [...tenants(3), { id: 'broken', chart: icap, values: { replicaCount: 'two' } as never }];
    expect(() => synthManifests(bad, outdir)).toThrow(/replicaCount/);
    expect(readDir(outdir)).toEqual(good);
  });

  it('rejects what App.synth() would write differently or lose', () => {
    const cm = (c: Chart) => new ApiObject(c, 'o', { apiVersion: 'v1', kind: 'ConfigMap' });
    expect(() => synthManifestFiles([{ id: 'a', build: cm }, { id: 'a', build: cm }])).toThrow(/two charts have the id "a"/);
    // An instance's id defaults to its chart's name, which a spec may not take either.
    expect(() => synthManifestFiles([{ chart: icap }, { id: 'md-icapsrv', build: cm }])).toThrow(/two charts have the id "md-icapsrv"/);
    expect(() => synthManifestFiles([{ id: 'nested', build: (c) => cm(new Chart(c, 'inner')) }])).toThrow(/nested charts/);
  });

  it('types each instance\'s values by its own chart, in one list of several charts and specs', () => {
    const mixed = () => [
      { chart: icap, values: { replicaCount: 2 } },
      { chart: mdCoreChart, values: { replicaCount: 3 }, namespace: 'core' },
      { id: 'own', build: (c: Chart) => new ApiObject(c, 'o', { apiVersion: 'v1', kind: 'ConfigMap' }) },
    ];
    expect(synthManifests(mixed(), newDir())).toEqual(['md-icapsrv.k8s.yaml', 'md-core.k8s.yaml', 'own.k8s.yaml']);
    // @ts-expect-error md-core's replicaCount is a number: a compile error, and a ValuesError when forced.
    const wrong = () => synthManifests([{ chart: icap }, { chart: mdCoreChart, values: { replicaCount: 'three' } }], newDir());
    expect(wrong).toThrow(/replicaCount/);
  });
});

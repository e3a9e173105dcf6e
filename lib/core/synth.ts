/**
 * Synthesizing many charts in time linear in their number.
 *
 * cdk8s prepares the whole App for every chart it synthesizes: `App.synth()` calls `Chart.toJson()` once
 * per chart, and each call resolves dependencies and validates every construct of every chart in the
 * App. An App of N charts therefore costs O(N²) construct visits, and its time grows with the square of N
 * (figures in bench/README.md). Here each chart is built in an App of its own and
 * synthesized there, so every chart costs the same whatever N is, and only the finished YAML is kept.
 * The objects are the ones `App.synth()` writes for one App holding all the charts, in the same files,
 * written as `npm run synth` writes raw manifests (Kubernetes-safe quoting, lib/core/yaml.ts); with
 * `yaml: 'cdk8s'` the files are `App.synth()`'s byte for byte (test/synth.test.ts).
 */
import * as path from 'node:path';
import { App, Chart, ChartProps, IResolver, Names, Yaml } from 'cdk8s';
import { z } from 'zod';
import { onlyFilesEndingWith, replaceDirectory } from './output';
import { assertUniqueNames, RawChart, RawChartProps } from './chart';
import { checkObjectLimits } from './limits';
import { manifestsToYaml } from './yaml';

/** A chart to synthesize: a plain cdk8s Chart made from these props, then `build` adds its constructs. */
export interface ChartSpec extends ChartProps {
  /** The chart's construct id, unique among the charts; its file is `<id>.k8s.yaml` (cdk8s' own naming). */
  readonly id: string;
  /** Add the chart's constructs. */
  build(chart: Chart): void;
}

/** A chart to synthesize that creates its Chart itself (a Chart subclass such as RawChart). */
export interface ChartFactory {
  /** The chart's construct id, unique among the charts; its file is `<id>.k8s.yaml` (cdk8s' own naming). */
  readonly id: string;
  /** Create the chart directly under `app` with construct id `id`, with all its constructs. */
  create(app: App, id: string): Chart;
}

export type ChartSource = ChartSpec | ChartFactory;

export interface SynthOptions {
  /** File name suffix, as `AppProps.outputFileExtension`. @default ".k8s.yaml" */
  readonly outputFileExtension?: string;
  /** Custom resolvers, as `AppProps.resolvers` (given to every chart's App). @default none */
  readonly resolvers?: IResolver[];
  /**
   * How objects are written: `kubernetes-safe` as `npm run synth` writes raw manifests, every string that
   * Kubernetes' YAML reader could take for a number or boolean quoted (lib/core/yaml.ts); `cdk8s` with
   * cdk8s' own writer, byte for byte what `App.synth()` writes (about 15 times the time to write: bench/README.md).
   * @default "kubernetes-safe"
   */
  readonly yaml?: 'kubernetes-safe' | 'cdk8s';
}

/** One instance of a chart definition: RawChart props and the chart's id. */
export type ChartInstance<S extends z.ZodType> = RawChartProps<S> & {
  /** The chart's construct id (file `<id>.k8s.yaml`). @default the system's name */
  readonly id?: string;
};

/** A ChartFactory for one chart instance (a RawChart), to mix charts in one `synthesizeCharts` call. */
export function chartInstance<S extends z.ZodType>(instance: ChartInstance<S>): ChartFactory {
  const id = instance.id ?? instance.chart.name;
  return { id, create: (app, chartId) => new RawChart(app, chartId, instance) };
}

function createChart(source: ChartSource, app: App): Chart {
  if ('create' in source) return source.create(app, source.id);
  const { id, build, ...props } = source;
  const chart = new Chart(app, id, props);
  build(chart);
  return chart;
}

/** Synthesize one chart in an App of its own: its file name (as `App.synth()` names it) and YAML. */
function synthOne(source: ChartSource, options: SynthOptions): [string, string] {
  const app = new App({ outdir: '/nonexistent', outputFileExtension: options.outputFileExtension, resolvers: options.resolvers });
  const chart = createChart(source, app);
  const where = `chart "${source.id}"`;
  if (chart.node.scope !== app || chart.node.id !== source.id) throw new Error(`${where}: create() must return a Chart made directly under the App with id "${source.id}"`);
  if (app.node.children.length !== 1) throw new Error(`${where}: create() made ${app.node.children.length} constructs under the App; make exactly one Chart`);
  // Dependency resolution, validation and ordering of this chart alone: what App.synth() does per chart.
  assertUniqueNames(chart);
  const objects = chart.toJson();
  for (const obj of objects) checkObjectLimits(obj as Record<string, unknown>, where);
  // cdk8s records nested charts and cross-chart dependencies as dependencies of the chart; App.synth()
  // then writes every file of the App under an index prefix (0000-...), which one chart alone cannot know.
  if (chart.node.dependencies.length > 0) {
    throw new Error(`${where} has nested charts or depends on another chart: synthesize it with App.synth()`);
  }
  const yaml = options.yaml === 'cdk8s' ? Yaml.stringify(...objects) : manifestsToYaml(objects as unknown[]);
  return [`${Names.toDnsLabel(chart)}${app.outputFileExtension}`, yaml];
}

/**
 * Synthesize charts one at a time, each in an App of its own, into file name → YAML: the files and objects
 * `App.synth()` writes for one App holding all of them (byte for byte with `yaml: 'cdk8s'`). Time and
 * memory grow linearly in the number of charts: pass a generator to keep even the specs from piling up.
 *
 * Differences from `App.synth()`: two charts that map to the same file name are an error (cdk8s silently
 * keeps the last), and a chart with nested charts or a dependency on another chart is an error (cdk8s
 * prefixes every file name with an index then: use `App.synth()` for such apps).
 */
export function synthChartFiles(charts: Iterable<ChartSource>, options: SynthOptions = {}): Map<string, string> {
  return new Map(chartFiles(charts, options));
}

/** `synthChartFiles` one chart at a time: each file name and YAML as soon as its chart is synthesized. */
function* chartFiles(charts: Iterable<ChartSource>, options: SynthOptions): Generator<[string, string]> {
  const files = new Set<string>();
  const ids = new Set<string>();
  for (const source of charts) {
    if (ids.has(source.id)) throw new Error(`two charts have the id "${source.id}"`);
    ids.add(source.id);
    const [file, yaml] = synthOne(source, options);
    if (files.has(file)) throw new Error(`chart "${source.id}": another chart is also written to ${file}`);
    files.add(file);
    yield [file, yaml];
  }
}

/**
 * **The way to synthesize many charts** (tenants, environments, regions): each chart is built and
 * synthesized in an App of its own, so time and memory grow linearly with the number of charts, where one
 * cdk8s App with `App.synth()` grows quadratically (2000 md-icapsrv instances: see bench/README.md).
 *
 * `outdir` ends up holding exactly one `<id>.k8s.yaml` per chart: the files and objects `App.synth()` writes,
 * with the Kubernetes-safe quoting of `npm run synth` (or byte for byte cdk8s' with `yaml: 'cdk8s'`), and
 * the marker `.chart-as-code-output`. Each file is written to a staging directory as soon as its chart is
 * synthesized (no chart's YAML is kept in memory), and the directory is swapped in whole at the end
 * (`replaceDirectory`), so an error (bad values, a bug) leaves `outdir` as it was; unlike `App.synth()`,
 * files of charts no longer given are removed. `outdir` must be new, empty, or written by chart-as-code
 * (the marker, or only `*<outputFileExtension>` files): any other directory is refused (`OutputError`).
 *
 * ```ts
 * synthesizeCharts(
 *   tenants.map((t) => ({ id: t.name, namespace: t.name, disableResourceNameHashes: true, build: (chart) => new MdIcapsrv(chart, 'icap', t.values) })),
 *   'dist',
 * );
 * ```
 *
 * @returns the file names written, in the order of `charts`
 */
export function synthesizeCharts(charts: Iterable<ChartSource>, outdir: string, options: SynthOptions = {}): string[] {
  const written: string[] = [];
  function* files(): Generator<[string, string]> {
    for (const entry of chartFiles(charts, options)) {
      written.push(entry[0]);
      yield entry;
    }
  }
  replaceDirectory(path.resolve(outdir), files(), { previousOutput: onlyFilesEndingWith(options.outputFileExtension ?? '.k8s.yaml') });
  return written;
}

function* chartInstances<S extends z.ZodType>(instances: Iterable<ChartInstance<S>>): Generator<ChartFactory> {
  for (const instance of instances) yield chartInstance(instance);
}

/**
 * `synthesizeCharts` for instances of a chart definition: one RawChart each (its own id, namespace, values),
 * as `new RawChart(app, id, props)` in one App followed by `app.synth()` would write them, in linear time.
 *
 * ```ts
 * synthInstances(tenants.map((t) => ({ id: t.name, chart: mdIcapsrvChart, namespace: t.name, values: t.values })), 'dist');
 * ```
 *
 * To mix charts in one output directory, use `synthesizeCharts(instances.map(chartInstance), outdir)`.
 */
export function synthInstances<S extends z.ZodType>(instances: Iterable<ChartInstance<S>>, outdir: string, options: SynthOptions = {}): string[] {
  return synthesizeCharts(chartInstances(instances), outdir, options);
}

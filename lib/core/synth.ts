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
import { assertUniqueNames, ChartDefinition, RawChart, RawChartProps } from './chart';
import { checkObjectLimits } from './limits';
import { manifestsToYaml } from './yaml';

/**
 * One chart to synthesize, by id, written as any cdk8s app writes it: a cdk8s `Chart` made from these props
 * (no chart definition, no values), then `build` adds its constructs (cdk8s-plus objects, say).
 */
export interface ChartSpec extends ChartProps {
  /** The chart's construct id, unique among the charts; its file is `<id>.k8s.yaml` (cdk8s' own naming). */
  readonly id: string;
  /** Add the chart's constructs under `scope`, the cdk8s Chart made from these props. */
  build(scope: Chart): void;
}

/**
 * One instance of a chart definition: its values, namespace and release name, as `RawChartProps`, and the
 * id of its file. Raw manifests' counterpart of a Helm release.
 */
export type ChartInstance<S extends z.ZodType = z.ZodType> = RawChartProps<S> & {
  /** The chart's construct id (file `<id>.k8s.yaml`). @default the chart definition's name */
  readonly id?: string;
};

/** What `synthManifests` takes: instances of chart definitions, and cdk8s charts built by a function. */
// `any`: each instance's values are checked against its own chart's schema by `InstanceChecked`.
export type ChartSource = ChartInstance<any> | ChartSpec;

/** An instance with its values typed by its own chart definition, so one list may mix definitions. */
type InstanceChecked<T> = T extends { readonly chart: ChartDefinition<infer S> } ? ChartInstance<S> : T;

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

/** The construct id of a chart to synthesize, which names its file. */
export function idOf(source: ChartSource): string {
  return 'chart' in source ? (source.id ?? source.chart.name) : source.id;
}

/** The chart directly under `app`: a RawChart for an instance, a cdk8s Chart built by the spec otherwise. */
function createChart(source: ChartSource, app: App, id: string): Chart {
  if ('chart' in source) return new RawChart(app, id, source);
  const { id: _id, build, ...props } = source;
  const chart = new Chart(app, id, props);
  build(chart);
  return chart;
}

/** Synthesize one chart in an App of its own: its file name (as `App.synth()` names it) and YAML. */
function synthOne(source: ChartSource, id: string, options: SynthOptions): [string, string] {
  const app = new App({ outdir: '/nonexistent', outputFileExtension: options.outputFileExtension, resolvers: options.resolvers });
  const chart = createChart(source, app, id);
  const where = `chart "${id}"`;
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
 * `synthManifests` without writing: file name → YAML, for callers that write the files themselves
 * (apps/main.ts writes them to two directories).
 */
export function synthManifestFiles(charts: Iterable<ChartSource>, options: SynthOptions = {}): Map<string, string> {
  return new Map(manifestFiles(charts, options));
}

/** Each chart's file name and YAML as soon as the chart is synthesized. */
function* manifestFiles(charts: Iterable<ChartSource>, options: SynthOptions): Generator<[string, string]> {
  const files = new Set<string>();
  const ids = new Set<string>();
  for (const source of charts) {
    const id = idOf(source);
    if (ids.has(id)) throw new Error(`two charts have the id "${id}"`);
    ids.add(id);
    const [file, yaml] = synthOne(source, id, options);
    if (files.has(file)) throw new Error(`chart "${id}": another chart is also written to ${file}`);
    files.add(file);
    yield [file, yaml];
  }
}

/**
 * **Raw manifests of many charts** (tenants, environments, regions, a stack) into `outdir`: instances of
 * chart definitions (`{ chart, values, namespace, releaseName, id }`, each one RawChart) and cdk8s charts
 * built by a function (`{ id, build }`), in one list. Each chart is built and synthesized in an App of its
 * own, so time and memory grow linearly with the number of charts, where one cdk8s App with `App.synth()`
 * grows quadratically (2000 md-icapsrv instances: see bench/README.md).
 *
 * `outdir` ends up holding exactly one `<id>.k8s.yaml` per chart: the files and objects `App.synth()` writes
 * for one App holding all of them, with the Kubernetes-safe quoting of `npm run synth` (or byte for byte
 * cdk8s' with `yaml: 'cdk8s'`), and the marker `.chart-as-code-output`. Each file is written to a staging
 * directory as soon as its chart is synthesized (no chart's YAML is kept in memory; pass a generator to keep
 * even the instances from piling up), and the directory is swapped in whole at the end
 * (`replaceDirectory`), so an error (bad values, a bug) leaves `outdir` as it was; unlike `App.synth()`,
 * files of charts no longer given are removed. `outdir` must be new, empty, or written by chart-as-code
 * (the marker, or only `*<outputFileExtension>` files): any other directory is refused (`OutputError`).
 * Two charts of one id or file, and a chart with nested charts or a dependency on another chart, are
 * errors (`App.synth()` would keep the last, or prefix every file name with an index).
 *
 * ```ts
 * synthManifests(tenants.map((t) => ({ id: t.name, chart: mdIcapsrvChart, namespace: t.name, values: t.values })), 'dist');
 * ```
 *
 * @returns the file names written, in the order of `charts`
 */
export function synthManifests<T extends ChartSource>(charts: Iterable<T & InstanceChecked<T>>, outdir: string, options: SynthOptions = {}): string[] {
  const written: string[] = [];
  function* files(): Generator<[string, string]> {
    for (const entry of manifestFiles(charts, options)) {
      written.push(entry[0]);
      yield entry;
    }
  }
  replaceDirectory(path.resolve(outdir), files(), { previousOutput: onlyFilesEndingWith(options.outputFileExtension ?? '.k8s.yaml') });
  return written;
}

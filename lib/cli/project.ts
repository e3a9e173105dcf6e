/**
 * How the command line finds a project's charts: a module exporting ChartDefinitions, named by
 * `--charts <module>` or by the "chart-as-code" entry of ./package.json:
 *
 *   "chart-as-code": { "charts": "src/charts.ts", "dist": "dist", "out": "charts" }
 *
 * The module's charts are its `charts` export (a ChartDefinition or an array), else its default export,
 * else every exported ChartDefinition (or array of them). `synth` writes its `instances` export instead when
 * it has one (charts with their own values and namespaces: this repository's stack, apps/stack.ts). A .ts module is loaded through tsx's register
 * API when tsx is installed in the project (or already loaded: `npx tsx ...`); otherwise compile it first.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { ChartDefinition } from '../core/chart';
import type { ChartSource } from '../core/synth';
import { PublishError } from '../publish/cli';

export interface ProjectConfig {
  /** The chart module (relative to the project root). */
  charts?: string;
  /** Output folder of raw manifests (`synth`). @default "dist" */
  dist?: string;
  /** Output folder of the Helm charts (`charts`). @default "charts" */
  out?: string;
}

export interface Project {
  /** The project root: the working directory. */
  root: string;
  config: ProjectConfig;
  /** Where the config came from, for messages. */
  configSource?: string;
}

export interface LoadedCharts {
  module: string;
  definitions: ChartDefinition[];
  /** Chart name -> "in <file> (metadata.version of defineChart({ name: '<chart>' }))": where to bump a version. */
  versionSources: Map<string, string>;
}

const KEYS = ['charts', 'dist', 'out'] as const;

/** The project's configuration: the "chart-as-code" entry of <root>/package.json, if any. */
export function readProject(root = process.cwd()): Project {
  const file = path.join(root, 'package.json');
  if (!fs.existsSync(file)) return { root, config: {} };
  let pkg: unknown;
  try {
    pkg = JSON.parse(fs.readFileSync(file, 'utf8'));
  } catch (e) {
    throw new PublishError(`${file}: not valid JSON: ${(e as Error).message.split('\n')[0]}`);
  }
  const entry = (pkg as Record<string, unknown> | null)?.['chart-as-code'];
  if (entry === undefined) return { root, config: {} };
  const where = `${path.relative(process.cwd(), file) || file} "chart-as-code"`;
  if (typeof entry !== 'object' || entry === null || Array.isArray(entry)) throw new PublishError(`${where}: must be an object such as {"charts": "src/charts.ts"}`);
  const config: ProjectConfig = {};
  for (const [k, v] of Object.entries(entry)) {
    if (!(KEYS as readonly string[]).includes(k)) throw new PublishError(`${where}: unknown key ${JSON.stringify(k)} (known: ${KEYS.join(', ')})`);
    if (typeof v !== 'string' || v === '') throw new PublishError(`${where}.${k}: must be a non-empty path`);
    config[k as (typeof KEYS)[number]] = v;
  }
  return { root, config, configSource: where };
}

const MODULE_EXT = /\.(ts|mts|cts|tsx|js|cjs|mjs)$/;

/** True when `value` names a chart module (a script file) rather than a folder of chart folders. */
export function isModulePath(root: string, value: string): boolean {
  const p = path.resolve(root, value);
  if (fs.existsSync(p) && fs.statSync(p).isDirectory()) return false;
  return MODULE_EXT.test(value);
}

function isChartDefinition(v: unknown): v is ChartDefinition {
  const d = v as Partial<ChartDefinition> | null;
  return (
    typeof d === 'object' && d !== null && typeof d.name === 'string' && typeof d.build === 'function' && typeof d.metadata?.version === 'string' && d.schema !== undefined
  );
}

function definitionsIn(value: unknown): ChartDefinition[] | undefined {
  if (isChartDefinition(value)) return [value];
  if (Array.isArray(value) && value.length > 0 && value.every(isChartDefinition)) return value;
  return undefined;
}

/** Makes `require` load TypeScript: already so under tsx; else tsx's register API from the project or this package. */
function ensureTypeScript(root: string, module: string): void {
  if (require.extensions['.ts']) return;
  let api: string;
  try {
    api = require.resolve('tsx/cjs/api', { paths: [root, __dirname] });
  } catch {
    throw new PublishError(`${module} is TypeScript: install tsx in the project (npm install --save-dev tsx) or give the compiled .js module`);
  }
  (require(api) as { register: () => unknown }).register();
}

/** The file that defines `def`: among the loaded modules exporting it, the one calling defineChart (else the last loaded). */
function definingFile(def: ChartDefinition, fallback: string): string {
  const exporting: string[] = [];
  for (const [file, m] of Object.entries(require.cache)) {
    const exports = m?.exports as unknown;
    if (exports === null || typeof exports !== 'object') continue;
    if (Object.values(exports as Record<string, unknown>).includes(def)) exporting.push(file);
  }
  const defining = exporting.filter((f) => {
    try {
      return fs.readFileSync(f, 'utf8').includes('defineChart(');
    } catch {
      return false;
    }
  });
  return defining.at(-1) ?? exporting.at(-1) ?? fallback;
}

/** Loads a chart module (a .ts module through tsx) and returns its exports; its own errors become PublishErrors. */
export function loadModule(root: string, modulePath: string): { file: string; exports: Record<string, unknown> } {
  const file = path.resolve(root, modulePath);
  if (!fs.existsSync(file)) throw new PublishError(`chart module ${modulePath} not found`);
  if (/\.(ts|mts|cts|tsx)$/.test(file)) ensureTypeScript(root, modulePath);
  try {
    return { file, exports: require(file) as Record<string, unknown> };
  } catch (e) {
    const err = e as Error;
    // The chart's own checks (defineChart's ChartError, bad values) are the user's to fix: their message.
    const what = err?.name === 'ChartError' || err?.name === 'ValuesError' ? '' : `cannot load: `;
    throw new PublishError(`${modulePath}: ${what}${(err?.message ?? String(e)).split('\n')[0]}`);
  }
}

function isChartSource(v: unknown): v is ChartSource {
  const s = v as Partial<{ id: unknown; chart: { name?: unknown }; build: unknown }> | null;
  if (typeof s !== 'object' || s === null) return false;
  if (typeof s.build === 'function') return typeof s.id === 'string';
  return typeof s.chart === 'object' && s.chart !== null && typeof s.chart.name === 'string' && (s.id === undefined || typeof s.id === 'string');
}

/**
 * The module's `instances` export, if it has one: the charts `synth` writes, each with its own id, values
 * and namespace (`{ chart, values, namespace }` instances or `{ id, build }` specs, as `synthManifests` takes), or a function
 * returning them, called once per run (so it may read per-environment files).
 */
export function moduleInstances(modulePath: string, exports: Record<string, unknown>): ChartSource[] | undefined {
  if (!('instances' in exports)) return undefined;
  const given = exports.instances;
  const list = typeof given === 'function' ? (given as () => unknown)() : given;
  const items = list !== null && typeof list === 'object' && Symbol.iterator in list ? [...(list as Iterable<unknown>)] : undefined;
  if (!items || items.length === 0 || !items.every(isChartSource)) {
    throw new PublishError(`${modulePath}: "instances" must be a non-empty list of chart instances ({ chart, values, namespace }) or { id, build } specs, or a function returning one`);
  }
  return items;
}

/** Loads the chart module and returns its chart definitions (at least one, names unique). */
export function loadCharts(root: string, modulePath: string): LoadedCharts {
  const { file, exports } = loadModule(root, modulePath);
  const definitions =
    definitionsIn(exports.charts) ??
    definitionsIn(exports.default) ??
    [...new Set(Object.values(exports).flatMap((v) => definitionsIn(v) ?? []))];
  if (definitions.length === 0) throw new PublishError(`${modulePath}: exports no chart (export a defineChart(...) result, or an array of them as "charts")`);
  const names = new Map<string, ChartDefinition>();
  for (const d of definitions) {
    if (names.has(d.name) && names.get(d.name) !== d) throw new PublishError(`${modulePath}: two charts are named ${d.name}`);
    names.set(d.name, d);
  }
  const versionSources = new Map<string, string>();
  for (const d of names.values()) {
    const where = path.relative(process.cwd(), definingFile(d, file)) || file;
    versionSources.set(d.name, `in ${where} (metadata.version of defineChart({ name: '${d.name}' }))`);
  }
  return { module: file, definitions: [...names.values()], versionSources };
}

/**
 * Where each chart's version is set, from the project's chart module (package.json "chart-as-code".charts),
 * for the messages of commands that package chart folders (`npm run package` of this repository, whose
 * charts/ are generated from lib/systems); undefined when there is no module or it cannot be loaded.
 */
export function projectVersionSources(root = process.cwd()): Map<string, string> | undefined {
  try {
    const { config } = readProject(root);
    return config.charts === undefined ? undefined : loadCharts(root, config.charts).versionSources;
  } catch {
    return undefined;
  }
}

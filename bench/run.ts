/**
 * `npm run bench [-- options]`: synthesis speed and scaling, measured against plain cdk8s (bench/README.md).
 *
 * Every measurement runs in a fresh child process, one at a time, and is repeated; the tables show medians
 * with min–max, and the load average seen by each run, because the machine may be shared. Results go to
 * bench/results/latest.json (gitignored) and, for a complete default run, bench/latest.md.
 */
import { spawnSync, SpawnSyncReturns } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import type { ChildResult } from './child';

const ROOT = path.join(__dirname, '..');
const CHILD = path.join(__dirname, 'child.ts');
const SECTIONS = ['app', 'charts', 'equivalence', 'scale'] as const;
type Section = (typeof SECTIONS)[number];

const USAGE = `usage: npm run bench -- [options]
  --runs <n>           runs per measurement (default 5; the full app: 7)
  --plain-runs <n>     runs of plain cdk8s App.synth() and of the library through App.synth() (default 3)
  --sizes <a,b,...>    instance counts for the scale benchmark (default 100,1000,2000,5000)
  --plain-max <n>      largest N for plain cdk8s App.synth() (default 2000; it is quadratic)
  --app-synth <a,...>  N for the library's charts through one App.synth() (default 100,1000; "" for none)
  --helm-renders <n>   helm template calls per helm version (default 30)
  --only <a,b>         sections: ${SECTIONS.join(', ')} (default all)
  --quick              smoke run: --runs 2 --plain-runs 1 --sizes 100,1000 --plain-max 1000 --app-synth 100 --helm-renders 5
  --out <file>         JSON results (default bench/results/latest.json)`;

interface Options {
  runs: number;
  appRuns: number;
  plainRuns: number;
  sizes: number[];
  plainMax: number;
  appSynthSizes: number[];
  helmRenders: number;
  only: Set<Section>;
  out: string;
  /** A run with the default settings: only then is bench/latest.md rewritten. */
  complete: boolean;
}

function parseOptions(argv: string[]): Options {
  const o: Options = {
    runs: 5,
    appRuns: 7,
    plainRuns: 3,
    sizes: [100, 1000, 2000, 5000],
    plainMax: 2000,
    appSynthSizes: [100, 1000],
    helmRenders: 30,
    only: new Set(SECTIONS),
    out: path.join(__dirname, 'results', 'latest.json'),
    complete: true,
  };
  const list = (v: string) => v.split(',').filter((x) => x.trim() !== '').map((x) => positive(x, 'a size'));
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    const value = () => {
      const v = argv[++i];
      if (v === undefined) fail(`${arg} needs a value`);
      return v!;
    };
    switch (arg) {
      case '--runs':
        o.runs = positive(value(), arg);
        o.appRuns = o.runs;
        break;
      case '--plain-runs':
        o.plainRuns = positive(value(), arg);
        break;
      case '--sizes':
        o.sizes = list(value());
        break;
      case '--plain-max':
        o.plainMax = positive(value(), arg);
        break;
      case '--app-synth':
        o.appSynthSizes = list(value());
        break;
      case '--helm-renders':
        o.helmRenders = positive(value(), arg);
        break;
      case '--only':
        o.only = new Set(
          value()
            .split(',')
            .map((s) => {
              if (!(SECTIONS as readonly string[]).includes(s)) fail(`unknown section ${s}`);
              return s as Section;
            }),
        );
        break;
      case '--quick':
        Object.assign(o, { runs: 2, appRuns: 2, plainRuns: 1, sizes: [100, 1000], plainMax: 1000, appSynthSizes: [100], helmRenders: 5 });
        break;
      case '--out':
        o.out = path.resolve(value());
        continue; // where the JSON goes does not make the run partial
      case '--help':
        process.stdout.write(`${USAGE}\n`);
        process.exit(0);
        break;
      default:
        fail(`unknown option ${arg}`);
    }
    o.complete = false;
  }
  return o;
}

function positive(v: string, what: string): number {
  const n = Number(v);
  if (!Number.isInteger(n) || n <= 0) fail(`${what}: expected a positive integer, not ${v}`);
  return n;
}

function fail(message: string): never {
  process.stderr.write(`error: ${message}\n${USAGE}\n`);
  process.exit(2);
}

// ---------------------------------------------------------------------------------------------------
// Measuring

const loads: number[] = [];
const log = (line: string) => process.stderr.write(`${line}\n`);
const scratch = fs.mkdtempSync(path.join(os.tmpdir(), 'chart-as-code-bench-'));
process.on('exit', () => fs.rmSync(scratch, { recursive: true, force: true }));
let dirs = 0;
const freshDir = (name: string) => path.join(scratch, `${name}-${dirs++}`);

function tail(r: SpawnSyncReturns<string>): string {
  return `${r.stdout ?? ''}\n${r.stderr ?? ''}`.trim().split('\n').slice(-15).join('\n');
}

/** One child measurement (bench/child.ts). */
function child(task: string, args: string[] = [], timeoutMin = 20): ChildResult {
  const r = spawnSync(process.execPath, ['--import', 'tsx', CHILD, task, ...args], {
    cwd: ROOT,
    encoding: 'utf8',
    timeout: timeoutMin * 60_000,
    maxBuffer: 64 * 1024 * 1024,
  });
  const line = r.stdout?.split('\n').find((l) => l.startsWith('BENCH_RESULT '));
  if (r.status !== 0 || !line) throw new Error(`bench/child.ts ${task} ${args.join(' ')} failed (${r.error?.message ?? `exit ${r.status}`}):\n${tail(r)}`);
  const result = JSON.parse(line.slice('BENCH_RESULT '.length)) as ChildResult;
  loads.push(result.load);
  return result;
}

const GNU_TIME = fs.existsSync('/usr/bin/time') ? '/usr/bin/time' : undefined;

/** Wall time and peak RSS (of the largest process in the tree, by GNU time) of a command. */
function command(cmd: string, args: string[], env: Record<string, string> = {}): { ms: number; peakRssMB: number | null; load: number } {
  const load = os.loadavg()[0]!;
  loads.push(load);
  const timeFile = path.join(scratch, `time-${dirs++}`);
  const [bin, argv] = GNU_TIME ? [GNU_TIME, ['-f', '%M', '-o', timeFile, cmd, ...args]] : [cmd, args];
  const t0 = performance.now();
  const r = spawnSync(bin, argv, { cwd: ROOT, encoding: 'utf8', env: { ...process.env, ...env }, timeout: 10 * 60_000, maxBuffer: 64 * 1024 * 1024 });
  const ms = performance.now() - t0;
  if (r.status !== 0) throw new Error(`${cmd} ${args.join(' ')} failed (${r.error?.message ?? `exit ${r.status}`}):\n${tail(r)}`);
  const peak = GNU_TIME ? Number(fs.readFileSync(timeFile, 'utf8').trim().split('\n').pop()) / 1024 : null;
  return { ms, peakRssMB: peak, load };
}

export interface Stats {
  n: number;
  median: number;
  min: number;
  max: number;
  /** (max - min) / median, percent. */
  spreadPct: number;
  values: number[];
}

function stats(values: number[]): Stats {
  const v = [...values].sort((a, b) => a - b);
  const mid = v.length / 2;
  const median = v.length % 2 === 1 ? v[Math.floor(mid)]! : (v[mid - 1]! + v[mid]!) / 2;
  return { n: v.length, median, min: v[0]!, max: v[v.length - 1]!, spreadPct: median === 0 ? 0 : ((v[v.length - 1]! - v[0]!) / median) * 100, values };
}

const rss = (runs: { peakRssMB: number | null }[]): Stats | null => (runs.every((r) => r.peakRssMB !== null) ? stats(runs.map((r) => r.peakRssMB!)) : null);
const ms = (runs: { ms: number }[]): Stats => stats(runs.map((r) => r.ms));

function progress(what: string, r: { ms: number; peakRssMB: number | null; load: number }): void {
  log(`  ${what.padEnd(44)} ${(r.ms / 1000).toFixed(2).padStart(8)} s  ${r.peakRssMB === null ? '' : `${r.peakRssMB.toFixed(0).padStart(5)} MB`}  load ${r.load.toFixed(2)}`);
}

// ---------------------------------------------------------------------------------------------------
// Sections

interface AppResults {
  coldProcess: Stats;
  coldProcessRss: Stats | null;
  emptyTsxCache: Stats;
  emptyTsxCacheRss: Stats | null;
  files: string[];
}

/** `npx cdk8s synth` of the project's app, output redirected to a scratch directory. */
function benchApp(o: Options): AppResults {
  log('full app: npx cdk8s synth (apps/main.ts), output in a scratch directory');
  const run = (label: string, emptyCache: boolean) => {
    const dir = freshDir('app');
    fs.mkdirSync(dir, { recursive: true });
    const env: Record<string, string> = { CDK8S_CHECK_UPGRADE: 'false', CHART_AS_CODE_DIST: path.join(dir, 'dist') };
    if (emptyCache) {
      // tsx keeps compiled files under os.tmpdir(): a fresh TMPDIR is a first run after a change.
      env.TMPDIR = path.join(dir, 'tmp');
      fs.mkdirSync(env.TMPDIR, { recursive: true });
    }
    const r = command('npx', ['cdk8s', 'synth', '--check-upgrade', 'false', '--output', path.join(dir, 'out')], env);
    const files = fs.readdirSync(path.join(dir, 'dist')).sort();
    if (files.length === 0) throw new Error('npx cdk8s synth wrote no manifests');
    progress(label, r);
    fs.rmSync(dir, { recursive: true, force: true });
    return { ...r, files };
  };
  const cold = Array.from({ length: o.appRuns }, () => run('cold process', false));
  const empty = Array.from({ length: Math.max(3, o.runs) }, () => run('cold process, empty tsx cache', true));
  return { coldProcess: ms(cold), coldProcessRss: rss(cold), emptyTsxCache: ms(empty), emptyTsxCacheRss: rss(empty), files: cold[0]!.files };
}

interface ChartsResults {
  writeCharts: Stats;
  writeChartsRss: Stats;
  npmRunCharts: Stats;
  packaging: Stats | null;
  packagingRss: Stats | null;
  charts: number;
  files: number;
  note?: string;
}

function helmInstalled(): boolean {
  return ['3', '4'].some((m) => fs.existsSync(path.join(ROOT, '.tools', `helm-v${m}`, 'helm'))) || spawnSync('helm', ['version'], { encoding: 'utf8' }).status === 0;
}

/** writeCharts into a scratch directory, `npm run charts`, and `npm run package` of those charts. */
function benchCharts(o: Options): ChartsResults {
  log('charts: writeCharts (in process), npm run charts, npm run package');
  const inProcess: ChildResult[] = [];
  const npmCharts: { ms: number; peakRssMB: number | null; load: number }[] = [];
  const packaging: { ms: number; peakRssMB: number | null; load: number }[] = [];
  const canPackage = helmInstalled();
  for (let i = 0; i < o.runs; i++) {
    const dir = freshDir('charts');
    const r = child('charts', [path.join(dir, 'charts')]);
    progress('writeCharts', r);
    inProcess.push(r);
    const e2e = command('npm', ['run', '--silent', 'charts', '--', path.join(dir, 'charts-npm')]);
    progress('npm run charts', e2e);
    npmCharts.push(e2e);
    if (canPackage) {
      const p = command('npm', ['run', '--silent', 'package', '--', '--charts', path.join(dir, 'charts'), '--out', path.join(dir, 'packages')]);
      progress('npm run package', p);
      packaging.push(p);
    }
    fs.rmSync(dir, { recursive: true, force: true });
  }
  return {
    writeCharts: ms(inProcess),
    writeChartsRss: rss(inProcess)!,
    npmRunCharts: ms(npmCharts),
    packaging: canPackage ? ms(packaging) : null,
    packagingRss: canPackage ? rss(packaging) : null,
    charts: inProcess[0]!.charts as number,
    files: inProcess[0]!.files as number,
    ...(canPackage ? {} : { note: 'no helm: run `npm run helm:setup` to measure packaging' }),
  };
}

interface HelmStats {
  version: string;
  rendersPerSecond: Stats;
  msPerRender: Stats;
  equivalenceMsPerCase: Stats;
}
interface EquivalenceResults {
  cases: number;
  renders: number;
  helm: Record<string, HelmStats>;
  rawRenderMsPerCase: Stats;
  compareMsPerCase: Stats | null;
  note?: string;
}

/** The equivalence suite's unit costs, md-icapsrv: defaults plus every hand-written case. */
function benchEquivalence(o: Options): EquivalenceResults {
  log(`equivalence: ${o.helmRenders} helm template calls per helm version, raw render and comparison per case`);
  const runs = Array.from({ length: Math.min(o.runs, 3) }, () => {
    const r = child('equivalence', [String(o.helmRenders)]);
    progress('equivalence unit costs', r);
    return r;
  });
  const helm: Record<string, HelmStats> = {};
  const first = runs[0]!.helm as Record<string, { version: string }>;
  for (const key of Object.keys(first)) {
    const pick = (f: string) => stats(runs.map((r) => (r.helm as Record<string, Record<string, number>>)[key]![f]!));
    helm[key] = { version: first[key]!.version, rendersPerSecond: pick('rendersPerSecond'), msPerRender: pick('msPerRender'), equivalenceMsPerCase: pick('equivalenceMsPerCase') };
  }
  const compare = runs.map((r) => r.compareMsPerCase as number | null);
  return {
    cases: runs[0]!.cases as number,
    renders: o.helmRenders,
    helm,
    rawRenderMsPerCase: stats(runs.map((r) => r.rawRenderMsPerCase as number)),
    compareMsPerCase: compare.every((c) => c !== null) ? stats(compare as number[]) : null,
    ...(Object.keys(helm).length === 0 ? { note: 'no helm: run `npm run helm:setup`' } : {}),
  };
}

interface ScaleRow {
  n: number;
  lib: Stats;
  libRss: Stats;
  bytesPerChart: number;
  objectsPerChart: number;
  plain?: Stats;
  plainRss?: Stats;
  plainBytesPerChart?: number;
  plainObjectsPerChart?: number;
  /** plain median / lib median. */
  speedup?: number;
  libApp?: Stats;
  libAppRss?: Stats;
}
interface ScaleResults {
  baselineRssMB: { lib: number; plain: number };
  rows: ScaleRow[];
}

/**
 * N md-icapsrv instances, chart and namespace tenant-<i> each: the library's synthSystems (one App per
 * chart), plain cdk8s-plus with one App.synth(), and the library's own charts through one App.synth().
 * Runs are interleaved by round, so a burst of load from elsewhere lands on one run of each N.
 */
function benchScale(o: Options): ScaleResults {
  log(`scale: N = ${o.sizes.join(', ')} md-icapsrv instances; plain cdk8s up to ${o.plainMax}`);
  const base = (task: string) => stats(Array.from({ length: 3 }, () => child(task).peakRssMB)).median;
  const baselineRssMB = { lib: base('baseline-lib'), plain: base('baseline-plain') };
  const lib = new Map<number, ChildResult[]>();
  const plain = new Map<number, ChildResult[]>();
  const libApp = new Map<number, ChildResult[]>();
  const measure = (into: Map<number, ChildResult[]>, task: string, n: number, label: string) => {
    const dir = freshDir(task);
    const r = child(task, [String(n), dir], 60);
    if (r.files !== n) throw new Error(`${task} ${n}: wrote ${String(r.files)} files`);
    progress(`${label} N=${n}`, r);
    fs.rmSync(dir, { recursive: true, force: true });
    into.set(n, [...(into.get(n) ?? []), r]);
  };
  const rounds = Math.max(o.runs, o.plainRuns);
  for (let round = 0; round < rounds; round++) {
    log(` round ${round + 1}/${rounds}`);
    if (round < o.runs) for (const n of o.sizes) measure(lib, 'scale-lib', n, 'synthSystems');
    if (round < o.plainRuns) {
      for (const n of o.appSynthSizes) measure(libApp, 'scale-lib-app', n, 'library charts, one App.synth()');
      for (const n of o.sizes.filter((s) => s <= o.plainMax)) measure(plain, 'scale-plain', n, 'plain cdk8s-plus, one App.synth()');
    }
  }
  const rows = o.sizes.map((n): ScaleRow => {
    const l = lib.get(n)!;
    const row: ScaleRow = { n, lib: ms(l), libRss: rss(l)!, bytesPerChart: (l[0]!.bytes as number) / n, objectsPerChart: l[0]!.objectsPerChart as number };
    const p = plain.get(n);
    if (p) Object.assign(row, { plain: ms(p), plainRss: rss(p)!, plainBytesPerChart: (p[0]!.bytes as number) / n, plainObjectsPerChart: p[0]!.objectsPerChart, speedup: ms(p).median / row.lib.median });
    const a = libApp.get(n);
    if (a) Object.assign(row, { libApp: ms(a), libAppRss: rss(a)! });
    return row;
  });
  for (const n of o.appSynthSizes.filter((s) => !o.sizes.includes(s))) log(`  (library charts through App.synth() at N=${n} not reported: not in --sizes)`);
  return { baselineRssMB, rows };
}

// ---------------------------------------------------------------------------------------------------
// Targets and report

interface Target {
  name: string;
  target: string;
  value: string;
  met: boolean | null;
}

function targets(r: Results): Target[] {
  const out: Target[] = [];
  const row = (n: number) => r.scale?.rows.find((x) => x.n === n);
  const ratio = (a: number, b: number, f: (x: ScaleRow) => number | undefined) => {
    const ra = row(a);
    const rb = row(b);
    const va = ra && f(ra);
    const vb = rb && f(rb);
    return va !== undefined && vb !== undefined ? va / vb : undefined;
  };
  const add = (name: string, target: string, v: number | undefined, ok: (v: number) => boolean, fmt: (v: number) => string) =>
    out.push({ name, target, value: v === undefined ? 'not measured' : fmt(v), met: v === undefined ? null : ok(v) });
  const x = (v: number) => `${v.toFixed(2)}×`;
  if (r.scale) {
    const base = r.scale.baselineRssMB.lib;
    add('time linear: t(2000) / t(1000)', '≤ 2.3', ratio(2000, 1000, (s) => s.lib.median), (v) => v <= 2.3, x);
    add('time linear: t(5000) / t(1000)', '≤ 6', ratio(5000, 1000, (s) => s.lib.median), (v) => v <= 6, x);
    add('plain cdk8s App.synth() / synthSystems at 2000', '≥ 10×', row(2000)?.speedup, (v) => v >= 10, x);
    add('memory linear: RSS growth (2000) / (1000)', '≤ 2.3', ratio(2000, 1000, (s) => s.libRss.median - base), (v) => v <= 2.3, x);
    add('memory linear: RSS growth (5000) / (1000)', '≤ 6', ratio(5000, 1000, (s) => s.libRss.median - base), (v) => v <= 6, x);
  }
  if (r.app) {
    add('full app, cold npx cdk8s synth (median)', '< 3 s', r.app.coldProcess.median / 1000, (v) => v < 3, (v) => `${v.toFixed(2)} s`);
    add('full app, same with an empty tsx cache (median)', '< 3 s', r.app.emptyTsxCache.median / 1000, (v) => v < 3, (v) => `${v.toFixed(2)} s`);
  }
  if (r.charts) add('every chart: writeCharts (median)', '< 2 s', r.charts.writeCharts.median / 1000, (v) => v < 2, (v) => `${v.toFixed(2)} s`);
  return out;
}

interface Results {
  date: string;
  command: string;
  git: { commit: string; dirty: boolean };
  machine: { cpus: number; model: string; node: string; totalMemoryMB: number };
  options: Omit<Options, 'only'> & { only: Section[] };
  load: { start: number; end: number; min: number; max: number };
  app?: AppResults;
  charts?: ChartsResults;
  equivalence?: EquivalenceResults;
  scale?: ScaleResults;
  noise?: { medianSpreadPct: number; worst: { what: string; spreadPct: number } };
  targets?: Target[];
}

const sec = (s: Stats) => `${(s.median / 1000).toFixed(2)} s`;
const range = (s: Stats, div = 1000, digits = 2) => `${(s.min / div).toFixed(digits)}–${(s.max / div).toFixed(digits)}`;
const mb = (s: Stats | null | undefined) => (s ? `${s.median.toFixed(0)} MB` : 'n/a');

/** Every timing with its spread, to say how noisy the run was. */
function spreads(r: Results): { what: string; spreadPct: number; n: number }[] {
  const out: { what: string; spreadPct: number; n: number }[] = [];
  const add = (what: string, s: Stats | null | undefined) => s && s.n > 1 && out.push({ what, spreadPct: s.spreadPct, n: s.n });
  add('full app, cold process', r.app?.coldProcess);
  add('full app, empty tsx cache', r.app?.emptyTsxCache);
  add('writeCharts', r.charts?.writeCharts);
  add('npm run charts', r.charts?.npmRunCharts);
  add('npm run package', r.charts?.packaging);
  for (const row of r.scale?.rows ?? []) {
    add(`synthSystems N=${row.n}`, row.lib);
    add(`plain App.synth() N=${row.n}`, row.plain);
    add(`library App.synth() N=${row.n}`, row.libApp);
  }
  return out;
}

function markdown(r: Results): string {
  const L: string[] = [];
  const cpu = `${r.machine.cpus} CPU${r.machine.cpus === 1 ? '' : 's'} (${r.machine.model})`;
  L.push(`Measured ${r.date} with \`${r.command}\` at ${r.git.commit}${r.git.dirty ? ' (with uncommitted changes)' : ''}; Node ${r.machine.node}, ${cpu}.`);
  L.push(
    `Load average (1 min) seen by the runs: ${r.load.min.toFixed(1)}–${r.load.max.toFixed(1)} on ${r.machine.cpus} CPUs` +
      (r.noise ? `; run-to-run spread (max−min)/median: median ${r.noise.medianSpreadPct.toFixed(0)}%, worst ${r.noise.worst.spreadPct.toFixed(0)}% (${r.noise.worst.what}).` : '.') +
      ` Times are medians (min–max) of separate processes; peak RSS is per process.`,
  );
  L.push('');
  if (r.scale) {
    const s = r.scale;
    L.push(`### Scale: N md-icapsrv instances, one chart and namespace (\`tenant-<i>\`) each`);
    L.push('');
    L.push('| N | chart-as-code `synthSystems` | peak RSS | plain cdk8s-plus `App.synth()` | peak RSS | plain ÷ ours | chart-as-code charts in one `App.synth()` |');
    L.push('| ---: | ---: | ---: | ---: | ---: | ---: | ---: |');
    for (const row of s.rows) {
      L.push(
        `| ${row.n} | ${sec(row.lib)} (${range(row.lib)}) | ${mb(row.libRss)} | ${row.plain ? `${sec(row.plain)} (${range(row.plain)})` : 'not run (minutes)'} | ${row.plainRss ? mb(row.plainRss) : '–'} | ${row.speedup ? `${row.speedup.toFixed(1)}×` : '–'} | ${row.libApp ? `${sec(row.libApp)} (${mb(row.libAppRss)})` : '–'} |`,
      );
    }
    L.push('');
    const first = s.rows[0];
    const withPlain = s.rows.find((x) => x.plain);
    L.push(
      `Runs: ${s.rows[0]?.lib.n ?? 0} per N for \`synthSystems\`, ${withPlain?.plain?.n ?? 0} for \`App.synth()\`. Process RSS after loading the modules, before any work: ${s.baselineRssMB.lib.toFixed(0)} MB (library), ${s.baselineRssMB.plain.toFixed(0)} MB (cdk8s-plus).` +
        (first ? ` Per instance: ${first.objectsPerChart} objects, ${(first.bytesPerChart / 1024).toFixed(1)} KiB of YAML (library)` : '') +
        (withPlain ? `; ${withPlain.plainObjectsPerChart} objects, ${(withPlain.plainBytesPerChart! / 1024).toFixed(1)} KiB (cdk8s-plus baseline).` : '.'),
    );
    const perChart = s.rows.map((row) => `${((row.lib.median / row.n) * 1000).toFixed(0)} µs at ${row.n}`).join(', ');
    L.push(`Time per chart with \`synthSystems\`: ${perChart}.`);
    L.push('');
  }
  if (r.app || r.charts) {
    L.push('### Full app, charts, packaging');
    L.push('');
    L.push('| What | Median | Min–max | Peak RSS | Runs |');
    L.push('| --- | ---: | ---: | ---: | ---: |');
    if (r.app) {
      L.push(`| \`npx cdk8s synth\` of apps/main.ts (${r.app.files.length} charts), cold process | ${sec(r.app.coldProcess)} | ${range(r.app.coldProcess)} s | ${mb(r.app.coldProcessRss)} | ${r.app.coldProcess.n} |`);
      L.push(`| the same, empty tsx compile cache (first run after a change) | ${sec(r.app.emptyTsxCache)} | ${range(r.app.emptyTsxCache)} s | ${mb(r.app.emptyTsxCacheRss)} | ${r.app.emptyTsxCache.n} |`);
    }
    if (r.charts) {
      L.push(`| \`writeCharts\`: all ${r.charts.charts} charts (${r.charts.files} files), in process | ${sec(r.charts.writeCharts)} | ${range(r.charts.writeCharts)} s | ${mb(r.charts.writeChartsRss)} | ${r.charts.writeCharts.n} |`);
      L.push(`| \`npm run charts\`, whole command | ${sec(r.charts.npmRunCharts)} | ${range(r.charts.npmRunCharts)} s | | ${r.charts.npmRunCharts.n} |`);
      if (r.charts.packaging) L.push(`| \`npm run package\` of those charts (helm package + checks + index.yaml) | ${sec(r.charts.packaging)} | ${range(r.charts.packaging)} s | ${mb(r.charts.packagingRss)} | ${r.charts.packaging.n} |`);
      else L.push(`| \`npm run package\` | not measured: ${r.charts.note} | | | |`);
    }
    L.push('');
  }
  if (r.equivalence) {
    const e = r.equivalence;
    L.push(`### Equivalence suite unit costs (md-icapsrv: defaults + ${e.cases - 1} hand-written cases)`);
    L.push('');
    L.push('| What | Median | Min–max |');
    L.push('| --- | ---: | ---: |');
    for (const h of Object.values(e.helm)) {
      L.push(`| helm ${h.version}: \`helm template\` renders per second (${e.renders} calls, values file each) | ${h.rendersPerSecond.median.toFixed(1)}/s | ${range(h.rendersPerSecond, 1, 1)} |`);
      L.push(`| helm ${h.version}: one \`equivalence()\` case (raw + helm + compare) | ${h.equivalenceMsPerCase.median.toFixed(0)} ms | ${range(h.equivalenceMsPerCase, 1, 0)} ms |`);
    }
    L.push(`| raw render of one case (\`rawObjects\`: synth + YAML + parse as Kubernetes does) | ${e.rawRenderMsPerCase.median.toFixed(1)} ms | ${range(e.rawRenderMsPerCase, 1, 1)} ms |`);
    if (e.compareMsPerCase) L.push(`| comparison of one case (\`compareRenderings\`) | ${e.compareMsPerCase.median.toFixed(2)} ms | ${range(e.compareMsPerCase, 1, 2)} ms |`);
    if (e.note) L.push(`| helm | ${e.note} | |`);
    L.push('');
  }
  if (r.targets && r.targets.length > 0) {
    L.push('### Targets');
    L.push('');
    L.push('| Target | Goal | Measured | Met |');
    L.push('| --- | ---: | ---: | :---: |');
    for (const t of r.targets) L.push(`| ${t.name} | ${t.target} | ${t.value} | ${t.met === null ? '–' : t.met ? 'yes' : '**no**'} |`);
    L.push('');
  }
  return L.join('\n');
}

function git(args: string[]): string {
  const r = spawnSync('git', args, { cwd: ROOT, encoding: 'utf8' });
  return r.status === 0 ? r.stdout.trim() : '';
}

function main(): void {
  const o = parseOptions(process.argv.slice(2));
  const argv = process.argv.slice(2);
  const results: Results = {
    date: new Date().toISOString().replace(/\.\d+Z$/, 'Z'),
    command: `npm run bench${argv.length ? ` -- ${argv.join(' ')}` : ''}`,
    git: { commit: git(['rev-parse', '--short', 'HEAD']) || 'unknown', dirty: git(['status', '--porcelain']) !== '' },
    machine: { cpus: os.cpus().length, model: os.cpus()[0]?.model.trim() ?? 'unknown', node: process.version, totalMemoryMB: Math.round(os.totalmem() / 2 ** 20) },
    options: { ...o, only: [...o.only] },
    load: { start: os.loadavg()[0]!, end: 0, min: 0, max: 0 },
  };
  log(`chart-as-code bench: ${results.machine.cpus} CPUs, load average ${os.loadavg().map((l) => l.toFixed(2)).join(' ')}; every run is a fresh process, one at a time`);
  if (o.only.has('app')) results.app = benchApp(o);
  if (o.only.has('charts')) results.charts = benchCharts(o);
  if (o.only.has('equivalence')) results.equivalence = benchEquivalence(o);
  if (o.only.has('scale')) results.scale = benchScale(o);
  loads.push(os.loadavg()[0]!);
  results.load = { start: results.load.start, end: os.loadavg()[0]!, min: Math.min(...loads), max: Math.max(...loads) };
  const sp = spreads(results);
  if (sp.length > 0) {
    const worst = sp.reduce((a, b) => (b.spreadPct > a.spreadPct ? b : a));
    results.noise = { medianSpreadPct: stats(sp.map((s) => s.spreadPct)).median, worst: { what: worst.what, spreadPct: worst.spreadPct } };
  }
  results.targets = targets(results);

  const md = markdown(results);
  process.stdout.write(`\n${md}\n`);
  fs.mkdirSync(path.dirname(o.out), { recursive: true });
  fs.writeFileSync(o.out, `${JSON.stringify(results, null, 2)}\n`);
  log(`results: ${path.relative(process.cwd(), o.out)}`);
  if (o.complete) {
    const latest = path.join(__dirname, 'latest.md');
    fs.writeFileSync(latest, `<!-- Written by \`npm run bench\` (bench/run.ts); do not edit. -->\n# Latest benchmark figures\n\n${md}`);
    log(`summary: ${path.relative(process.cwd(), latest)}`);
  } else {
    log('bench/latest.md not rewritten: only a run with the default options writes it');
  }
  const missed = results.targets.filter((t) => t.met === false);
  if (missed.length > 0) log(`targets missed: ${missed.map((t) => t.name).join('; ')}`);
}

main();

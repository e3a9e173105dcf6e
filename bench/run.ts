/**
 * `npm run bench [-- options]`: synthesis speed and scaling, measured against plain cdk8s (bench/README.md).
 *
 * Every measurement runs in a fresh child process, one at a time, and is repeated; the tables show medians
 * with min–max, the load average seen by each run and the CPU other processes used meanwhile, because the
 * machine may be shared. Targets are ratios within one run where they can be. Results go to
 * bench/results/latest.json (gitignored) and, for a complete default run, bench/latest.md.
 */
import { spawnSync, SpawnSyncReturns } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import type { ChildResult } from './child';

const ROOT = path.join(__dirname, '..');
const CHILD = path.join(__dirname, 'child.ts');
const SECTIONS = ['app', 'charts', 'equivalence', 'proof', 'scale', 'writer'] as const;
type Section = (typeof SECTIONS)[number];

const USAGE = `usage: npm run bench -- [options]
  --runs <n>           runs per measurement (default 5; the full app: 7)
  --plain-runs <n>     runs of plain cdk8s with one App holding every chart (default 3; it is quadratic)
  --sizes <a,b,...>    instance counts for the scale benchmark (default 100,1000,2000,5000)
  --fair-max <n>       largest N for plain cdk8s-plus with one App per chart (default 5000)
  --plain-max <n>      largest N for plain cdk8s with one App holding every chart (default 1000)
  --writer-charts <n>  md-icapsrv charts whose objects the writer benchmark writes (default 100)
  --helm-renders <n>   helm template calls per helm version (default 30)
  --proof-runs <n>     random valid and as many invalid values of the platform example's proof (default 50)
  --only <a,b>         sections: ${SECTIONS.join(', ')} (default all)
  --note <text>        what else the machine was doing, for bench/latest.md (default: only what /proc shows)
  --quick              smoke run: --runs 2 --plain-runs 1 --sizes 100,1000 --fair-max 1000 --plain-max 1000 --writer-charts 30 --helm-renders 5 --proof-runs 10
  --out <file>         JSON results (default bench/results/latest.json)`;

interface Options {
  runs: number;
  appRuns: number;
  plainRuns: number;
  sizes: number[];
  fairMax: number;
  plainMax: number;
  writerCharts: number;
  helmRenders: number;
  proofRuns: number;
  only: Set<Section>;
  note: string;
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
    fairMax: 5000,
    plainMax: 1000,
    writerCharts: 100,
    helmRenders: 30,
    proofRuns: 50,
    only: new Set(SECTIONS),
    note: '',
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
      case '--fair-max':
        o.fairMax = positive(value(), arg);
        break;
      case '--plain-max':
        o.plainMax = positive(value(), arg);
        break;
      case '--writer-charts':
        o.writerCharts = positive(value(), arg);
        break;
      case '--helm-renders':
        o.helmRenders = positive(value(), arg);
        break;
      case '--proof-runs':
        o.proofRuns = positive(value(), arg);
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
        Object.assign(o, { runs: 2, appRuns: 2, plainRuns: 1, sizes: [100, 1000], fairMax: 1000, plainMax: 1000, writerCharts: 30, helmRenders: 5, proofRuns: 10 });
        break;
      case '--note':
        o.note = value();
        continue; // a note does not make the run partial
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

/**
 * Every count is bounded: a mistyped `--sizes 1e9` would otherwise run for days and fill memory before
 * saying anything. 50000 is ten times the largest default, far past any size the README reports.
 */
const MAX_COUNT = 50_000;

function positive(v: string, what: string): number {
  const n = Number(v);
  if (!Number.isInteger(n) || n <= 0 || n > MAX_COUNT) fail(`${what}: expected an integer from 1 to ${MAX_COUNT}, not ${v}`);
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
// Every measurement writes into a directory of its own, and the outputs stay until the bench exits (~3 GB
// with the default sizes): deleting a run's files would bill the next runs for it. On a file system
// without a journal (this machine's ext4), the inode allocator skips every inode deleted in the last
// minute or more, one by one, so each file created after deleting thousands of them costs up to a few
// hundred µs of system time (0.6 s at N = 1000 after deleting a previous run's output, either side's).
const freshDir = (name: string) => path.join(scratch, `${name}-${dirs++}`);

// What else used the CPU: per command name, the CPU time that processes other than this bench and its
// ancestors used between consecutive samples of /proc (taken before every measurement, when no child of
// the bench runs). Processes that start and end between two samples are missed; their parents' reaped
// children time (cutime/cstime) is counted.
const TICKS_PER_SECOND = 100;
const ownLineage = new Set<number>();
for (let pid = process.pid; pid > 1; ) {
  ownLineage.add(pid);
  const stat = readProcStat(pid);
  if (!stat) break;
  pid = stat.ppid;
}
function readProcStat(pid: number): { comm: string; ppid: number; ticks: number } | undefined {
  let text: string;
  try {
    text = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
  } catch {
    return undefined; // gone, or no /proc (not Linux)
  }
  const close = text.lastIndexOf(')');
  const f = text.slice(close + 2).split(' ');
  const ticks = [11, 12, 13, 14].reduce((a, i) => a + Number(f[i]), 0); // utime stime cutime cstime
  return { comm: text.slice(text.indexOf('(') + 1, close), ppid: Number(f[1]), ticks };
}
const otherCpuByCommand = new Map<string, number>();
let lastCpuSample: Map<number, { comm: string; ticks: number }> | undefined;
let cpuSampledFrom = 0;
let cpuSampledTo = 0;
function sampleOtherCpu(): void {
  let pids: number[];
  try {
    pids = fs.readdirSync('/proc').filter((d) => /^\d+$/.test(d)).map(Number);
  } catch {
    return;
  }
  const sample = new Map<number, { comm: string; ticks: number }>();
  for (const pid of pids) {
    if (ownLineage.has(pid)) continue;
    const stat = readProcStat(pid);
    if (stat) sample.set(pid, stat);
  }
  const now = performance.now();
  if (lastCpuSample) {
    for (const [pid, { comm, ticks }] of sample) {
      const before = lastCpuSample.get(pid)?.ticks ?? 0;
      if (ticks > before) otherCpuByCommand.set(comm, (otherCpuByCommand.get(comm) ?? 0) + (ticks - before) / TICKS_PER_SECOND);
    }
  } else cpuSampledFrom = now;
  cpuSampledTo = now;
  lastCpuSample = sample;
}

function tail(r: SpawnSyncReturns<string>): string {
  return `${r.stdout ?? ''}\n${r.stderr ?? ''}`.trim().split('\n').slice(-15).join('\n');
}

/** One child measurement (bench/child.ts). */
function child(task: string, args: string[] = [], timeoutMin = 20): ChildResult {
  sampleOtherCpu();
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
interface Measured {
  ms: number;
  /** CPU time (user + system) of the work, ms; for commands, of the whole process tree (null without GNU time). */
  cpuMs?: number | null;
  peakRssMB: number | null;
  load: number;
}

function command(cmd: string, args: string[], env: Record<string, string> = {}): Measured {
  sampleOtherCpu();
  const load = os.loadavg()[0]!;
  loads.push(load);
  const timeFile = path.join(scratch, `time-${dirs++}`);
  const [bin, argv] = GNU_TIME ? [GNU_TIME, ['-f', '%M %U %S', '-o', timeFile, cmd, ...args]] : [cmd, args];
  const t0 = performance.now();
  const r = spawnSync(bin, argv, { cwd: ROOT, encoding: 'utf8', env: { ...process.env, ...env }, timeout: 10 * 60_000, maxBuffer: 64 * 1024 * 1024 });
  const ms = performance.now() - t0;
  if (r.status !== 0) throw new Error(`${cmd} ${args.join(' ')} failed (${r.error?.message ?? `exit ${r.status}`}):\n${tail(r)}`);
  if (!GNU_TIME) return { ms, cpuMs: null, peakRssMB: null, load };
  const [maxRssKB, user, system] = fs.readFileSync(timeFile, 'utf8').trim().split('\n').pop()!.split(' ').map(Number);
  return { ms, cpuMs: (user! + system!) * 1000, peakRssMB: maxRssKB! / 1024, load };
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
const cpu = (runs: { cpuMs?: number | null }[]): Stats | null => (runs.every((r) => typeof r.cpuMs === 'number') ? stats(runs.map((r) => r.cpuMs!)) : null);

function progress(what: string, r: Measured): void {
  const cpuText = typeof r.cpuMs === 'number' ? `cpu ${(r.cpuMs / 1000).toFixed(2).padStart(6)} s` : '';
  log(`  ${what.padEnd(44)} ${(r.ms / 1000).toFixed(2).padStart(8)} s  ${cpuText}  ${r.peakRssMB === null ? '' : `${r.peakRssMB.toFixed(0).padStart(5)} MB`}  load ${r.load.toFixed(2)}`);
}

// ---------------------------------------------------------------------------------------------------
// Sections

interface AppResults {
  /** The command `npm run synth` runs (package.json), run directly. */
  appCommand: string;
  app: Stats;
  appCpu: Stats | null;
  appRss: Stats | null;
  npmRunSynth: Stats;
  npmRunSynthCpu: Stats | null;
  npmRunSynthRss: Stats | null;
  emptyTsxCache: Stats;
  cdk8sCli: Stats;
  cdk8sCliCpu: Stats | null;
  cdk8sCliRss: Stats | null;
  files: string[];
}

/**
 * The project's app as whole commands, output in a scratch directory (dist/ and .cdk8s.out/ are never
 * touched): `npm run synth`; the command it runs, without npm; the same with an empty tsx compile cache
 * (the first run after a change); and `npx cdk8s synth`, the cdk8s CLI running the app of cdk8s.yaml.
 * Rounds interleave the four, so load from elsewhere is shared between them.
 */
function benchApp(o: Options): AppResults {
  const pkg = JSON.parse(fs.readFileSync(path.join(ROOT, 'package.json'), 'utf8')) as { scripts: Record<string, string> };
  const appCommand = pkg.scripts.synth!;
  log(`full app: npm run synth (${appCommand}), the same without npm, and npx cdk8s synth; output in a scratch directory`);
  const run = (label: string, cmd: string, args: string[], opts: { emptyCache?: boolean; cliOut?: boolean } = {}) => {
    const dir = freshDir('app');
    fs.mkdirSync(dir, { recursive: true });
    const env: Record<string, string> = { CDK8S_CHECK_UPGRADE: 'false', CHART_AS_CODE_DIST: path.join(dir, 'dist') };
    if (opts.emptyCache) {
      // tsx keeps compiled files under os.tmpdir(): a fresh TMPDIR is a first run after a change.
      env.TMPDIR = path.join(dir, 'tmp');
      fs.mkdirSync(env.TMPDIR, { recursive: true });
    }
    const r = command(cmd, opts.cliOut ? [...args, '--output', path.join(dir, 'out')] : args, env);
    const files = fs.readdirSync(path.join(dir, 'dist')).sort();
    if (files.length === 0) throw new Error(`${label} wrote no manifests`);
    progress(label, r);
    return { ...r, files };
  };
  const app: ReturnType<typeof run>[] = [];
  const npmRun: ReturnType<typeof run>[] = [];
  const empty: ReturnType<typeof run>[] = [];
  const cli: ReturnType<typeof run>[] = [];
  for (let i = 0; i < o.appRuns; i++) {
    npmRun.push(run('npm run synth', 'npm', ['run', '--silent', 'synth']));
    app.push(run('the same command without npm', 'sh', ['-c', appCommand]));
    cli.push(run('npx cdk8s synth', 'npx', ['cdk8s', 'synth', '--check-upgrade', 'false'], { cliOut: true }));
    if (i < Math.max(3, o.runs)) empty.push(run('npm run synth, empty tsx cache', 'npm', ['run', '--silent', 'synth'], { emptyCache: true }));
  }
  const files = npmRun[0]!.files;
  for (const r of [...app, ...cli, ...empty]) if (r.files.join() !== files.join()) throw new Error(`the app wrote ${r.files.join(', ')}, not ${files.join(', ')}`);
  return {
    appCommand,
    app: ms(app),
    appCpu: cpu(app),
    appRss: rss(app),
    npmRunSynth: ms(npmRun),
    npmRunSynthCpu: cpu(npmRun),
    npmRunSynthRss: rss(npmRun),
    emptyTsxCache: ms(empty),
    cdk8sCli: ms(cli),
    cdk8sCliCpu: cpu(cli),
    cdk8sCliRss: rss(cli),
    files,
  };
}

interface ChartsResults {
  writeHelmCharts: Stats;
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

/** writeHelmCharts into a scratch directory, `npm run charts`, and `npm run package` of those charts. */
function benchCharts(o: Options): ChartsResults {
  log('charts: writeHelmCharts (in process), npm run charts, npm run package');
  const inProcess: ChildResult[] = [];
  const npmCharts: Measured[] = [];
  const packaging: Measured[] = [];
  const canPackage = helmInstalled();
  for (let i = 0; i < o.runs; i++) {
    const dir = freshDir('charts');
    const r = child('charts', [path.join(dir, 'charts')]);
    progress('writeHelmCharts', r);
    inProcess.push(r);
    const e2e = command('npm', ['run', '--silent', 'charts', '--', path.join(dir, 'charts-npm')]);
    progress('npm run charts', e2e);
    npmCharts.push(e2e);
    if (canPackage) {
      const p = command('npm', ['run', '--silent', 'package', '--', '--charts', path.join(dir, 'charts'), '--out', path.join(dir, 'packages')]);
      progress('npm run package', p);
      packaging.push(p);
    }
  }
  return {
    writeHelmCharts: ms(inProcess),
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

interface ProofMode {
  renderers: string[];
  casesPerSecond: Stats;
  ms: Stats;
  cpuMs: Stats;
  validMs: Stats;
  invalidMs: Stats;
}
interface ProofResults {
  /** Random valid values, and as many invalid ones, per proof. */
  runs: number;
  /** Non-blank, non-comment lines of examples/platform-chart/*.ts: the team's own code. */
  userLines: { file: string; lines: number }[];
  inProcess: ProofMode;
  cli: ProofMode;
}

/** Lines of code of a TypeScript file that are neither blank nor comments. */
function codeLines(file: string): number {
  return fs
    .readFileSync(file, 'utf8')
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l !== '' && !l.startsWith('//') && !l.startsWith('/*') && !l.startsWith('*')).length;
}

/**
 * The README platform example's proof as a team runs it (examples/platform-chart, expectEquivalent and
 * expectSchemaParity, helm 3 and 4, same seed): with the in-process renderers and with the helm CLIs, in turn.
 */
function benchProof(o: Options): ProofResults {
  const dir = path.join(ROOT, 'examples', 'platform-chart');
  const userLines = fs.readdirSync(dir).filter((f) => f.endsWith('.ts')).sort().map((file) => ({ file, lines: codeLines(path.join(dir, file)) }));
  log(`proof: the platform example (${userLines.reduce((a, f) => a + f.lines, 0)} lines of code), ${o.proofRuns} valid + ${o.proofRuns} invalid values, in-process renderers and helm CLIs in turn`);
  const modes = { inProcess: [] as ChildResult[], cli: [] as ChildResult[] };
  for (let i = 0; i < Math.min(o.runs, 3); i++) {
    for (const [mode, arg] of [['inProcess', 'in-process'], ['cli', 'cli']] as const) {
      const r = child('proof', [String(o.proofRuns), arg], 60);
      progress(`proof, ${arg}`, r);
      modes[mode].push(r);
    }
  }
  const summary = (runs: ChildResult[]): ProofMode => ({
    renderers: runs[0]!.renderers as string[],
    casesPerSecond: stats(runs.map((r) => (r.cases as number) / (r.ms / 1000))),
    ms: stats(runs.map((r) => r.ms)),
    cpuMs: stats(runs.map((r) => r.cpuMs!)),
    validMs: stats(runs.map((r) => r.validMs as number)),
    invalidMs: stats(runs.map((r) => r.invalidMs as number)),
  });
  return { runs: o.proofRuns, userLines, inProcess: summary(modes.inProcess), cli: summary(modes.cli) };
}

interface ScaleRow {
  n: number;
  lib: Stats;
  libCpu: Stats;
  libRss: Stats;
  /** The library with values of its own per tenant (no two charts share parsed values). */
  libDistinct: Stats;
  libDistinctCpu: Stats;
  libDistinctRss: Stats;
  bytesPerChart: number;
  objectsPerChart: number;
  /** Plain cdk8s-plus, one App per chart: the fair baseline. */
  fair?: Stats;
  fairCpu?: Stats;
  fairRss?: Stats;
  plainBytesPerChart?: number;
  plainObjectsPerChart?: number;
  /** fair / lib, medians of CPU time (the target) and of wall time; fair / libDistinct, CPU time. */
  fairSpeedup?: number;
  fairSpeedupWall?: number;
  distinctSpeedup?: number;
  /** Plain cdk8s-plus, one App holding every chart (quadratic). */
  plain?: Stats;
  plainCpu?: Stats;
  plainRss?: Stats;
  /** plain / lib, medians of CPU time. */
  plainSpeedup?: number;
}
interface ScaleResults {
  baselineRssMB: { lib: number; plain: number };
  rows: ScaleRow[];
}

/**
 * N md-icapsrv instances, chart and namespace tenant-<i> each: the library's synthManifests (one App per
 * chart), plain cdk8s-plus with one App per chart and `app.synth()` each (the fair baseline), and plain
 * cdk8s-plus with one App holding every chart and one App.synth() (quadratic). Runs are interleaved by
 * round, so a burst of load from elsewhere lands on one run of each N.
 */
function benchScale(o: Options): ScaleResults {
  log(`scale: N = ${o.sizes.join(', ')} md-icapsrv instances; cdk8s-plus one App per chart up to ${o.fairMax}, one App for all up to ${o.plainMax}`);
  const base = (task: string) => stats(Array.from({ length: 3 }, () => child(task).peakRssMB)).median;
  const baselineRssMB = { lib: base('baseline-lib'), plain: base('baseline-plain') };
  const lib = new Map<number, ChildResult[]>();
  const libDistinct = new Map<number, ChildResult[]>();
  const fair = new Map<number, ChildResult[]>();
  const plain = new Map<number, ChildResult[]>();
  const measure = (into: Map<number, ChildResult[]>, task: string, n: number, label: string, extra: string[] = []) => {
    const dir = freshDir(task);
    const r = child(task, [String(n), dir, ...extra], 60);
    if (r.files !== n) throw new Error(`${task} ${n}: wrote ${String(r.files)} files`);
    progress(`${label} N=${n}`, r);
    into.set(n, [...(into.get(n) ?? []), r]);
  };
  const rounds = Math.max(o.runs, o.plainRuns);
  for (let round = 0; round < rounds; round++) {
    log(` round ${round + 1}/${rounds}`);
    for (const n of o.sizes) {
      if (round >= o.runs) continue;
      measure(lib, 'scale-lib', n, 'synthManifests');
      measure(libDistinct, 'scale-lib', n, 'synthManifests, distinct values', ['distinct']);
      if (n <= o.fairMax) measure(fair, 'scale-plain-apps', n, 'cdk8s-plus, one App per chart');
    }
    if (round < o.plainRuns) for (const n of o.sizes.filter((s) => s <= o.plainMax)) measure(plain, 'scale-plain', n, 'cdk8s-plus, one App for all');
  }
  const rows = o.sizes.map((n): ScaleRow => {
    const l = lib.get(n)!;
    const d = libDistinct.get(n)!;
    const row: ScaleRow = { n, lib: ms(l), libCpu: cpu(l)!, libRss: rss(l)!, libDistinct: ms(d), libDistinctCpu: cpu(d)!, libDistinctRss: rss(d)!, bytesPerChart: (l[0]!.bytes as number) / n, objectsPerChart: l[0]!.objectsPerChart as number };
    const f = fair.get(n);
    if (f) {
      Object.assign(row, { fair: ms(f), fairCpu: cpu(f)!, fairRss: rss(f)!, plainBytesPerChart: (f[0]!.bytes as number) / n, plainObjectsPerChart: f[0]!.objectsPerChart });
      Object.assign(row, {
        fairSpeedup: cpu(f)!.median / row.libCpu.median,
        fairSpeedupWall: ms(f).median / row.lib.median,
        distinctSpeedup: cpu(f)!.median / row.libDistinctCpu.median,
      });
    }
    const p = plain.get(n);
    if (p) Object.assign(row, { plain: ms(p), plainCpu: cpu(p)!, plainRss: rss(p)!, plainBytesPerChart: (p[0]!.bytes as number) / n, plainObjectsPerChart: p[0]!.objectsPerChart, plainSpeedup: cpu(p)!.median / row.libCpu.median });
    return row;
  });
  return { baselineRssMB, rows };
}

interface WriterResults {
  charts: number;
  objectsPerChart: number;
  /** Per way (writer, json, yamlPackage): microseconds per chart, over the runs' medians. */
  usPerChart: Record<string, Stats>;
  bytesPerChart: Record<string, number>;
  /** writer / json, per run (a ratio within one process), over the runs. */
  writerVsJson: Stats;
}

/** The objects of the same md-icapsrv charts written by the Kubernetes-safe writer, JSON.stringify and cdk8s' writer. */
function benchWriter(o: Options): WriterResults {
  log(`writer: the objects of ${o.writerCharts} md-icapsrv charts, written by manifestsToYaml, JSON.stringify and the yaml package`);
  const runs = Array.from({ length: o.runs }, () => {
    const r = child('writer', [String(o.writerCharts), '9']);
    const us = r.usPerChart as Record<string, number>;
    log(`  writer ${us.writer!.toFixed(0)} µs, JSON.stringify ${us.json!.toFixed(0)} µs, yaml package ${us.yamlPackage!.toFixed(0)} µs per chart  load ${r.load.toFixed(2)}`);
    return r;
  });
  const ways = Object.keys(runs[0]!.usPerChart as object);
  return {
    charts: o.writerCharts,
    objectsPerChart: runs[0]!.objectsPerChart as number,
    usPerChart: Object.fromEntries(ways.map((w) => [w, stats(runs.map((r) => (r.usPerChart as Record<string, number>)[w]!))])),
    bytesPerChart: runs[0]!.bytesPerChart as Record<string, number>,
    writerVsJson: stats(runs.map((r) => (r.usPerChart as Record<string, number>).writer! / (r.usPerChart as Record<string, number>).json!)),
  };
}

// ---------------------------------------------------------------------------------------------------
// Targets and report

interface Target {
  name: string;
  target: string;
  value: string;
  pass: boolean | null;
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
    out.push({ name, target, value: v === undefined ? 'not measured' : fmt(v), pass: v === undefined ? null : ok(v) });
  const x = (v: number) => `${v.toFixed(2)}×`;
  const s = (v: number) => `${v.toFixed(2)} s`;
  if (r.scale) {
    const base = r.scale.baselineRssMB.lib;
    const wall = row(1000)?.fairSpeedupWall;
    add(`faster than cdk8s-plus, one App per chart, at N = 1000 (their CPU time ÷ ours; wall time: ${wall === undefined ? '–' : x(wall)})`, '≥ 3×', row(1000)?.fairSpeedup, (v) => v >= 3, x);
    add('time linear: CPU t(2000) / t(1000)', '≤ 2.3', ratio(2000, 1000, (q) => q.libCpu.median), (v) => v <= 2.3, x);
    add('time linear: CPU t(5000) / t(1000)', '≤ 5.5', ratio(5000, 1000, (q) => q.libCpu.median), (v) => v <= 5.5, x);
    add('memory linear: RSS growth (2000) / (1000)', '≤ 2.3', ratio(2000, 1000, (q) => q.libRss.median - base), (v) => v <= 2.3, x);
    add('memory linear: RSS growth (5000) / (1000)', '≤ 5.5', ratio(5000, 1000, (q) => q.libRss.median - base), (v) => v <= 5.5, x);
    add('faster than cdk8s-plus, one App for all, at N = 1000 (quadratic; CPU time)', '≥ 10×', row(1000)?.plainSpeedup, (v) => v >= 10, x);
  }
  if (r.writer) add('Kubernetes-safe writer ÷ JSON.stringify of the same objects (median of runs)', '≤ 5×', r.writer.writerVsJson.median, (v) => v <= 5, x);
  if (r.app) {
    add('`npm run synth` of the app, whole command (median)', '< 1.2 s', r.app.npmRunSynth.median / 1000, (v) => v < 1.2, s);
    add('`npm run synth`, empty tsx cache (median)', '< 2 s', r.app.emptyTsxCache.median / 1000, (v) => v < 2, s);
    add('`npx cdk8s synth` of the app, whole command (median)', '< 3 s', r.app.cdk8sCli.median / 1000, (v) => v < 3, s);
  }
  if (r.charts) add('every chart: writeHelmCharts (median)', '< 2 s', r.charts.writeHelmCharts.median / 1000, (v) => v < 2, s);
  return out;
}

interface Results {
  date: string;
  command: string;
  git: { commit: string; dirty: boolean };
  machine: { cpus: number; model: string; node: string; totalMemoryMB: number };
  options: Omit<Options, 'only'> & { only: Section[] };
  load: { start: number; end: number; min: number; max: number };
  /** CPU seconds other processes used while the bench ran, by command name (largest first), over `wallSeconds`. */
  otherCpu?: { wallSeconds: number; totalSeconds: number; byCommand: [string, number][] };
  app?: AppResults;
  charts?: ChartsResults;
  equivalence?: EquivalenceResults;
  proof?: ProofResults;
  scale?: ScaleResults;
  writer?: WriterResults;
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
  add('npm run synth', r.app?.npmRunSynth);
  add('the app without npm', r.app?.app);
  add('npm run synth, empty tsx cache', r.app?.emptyTsxCache);
  add('npx cdk8s synth', r.app?.cdk8sCli);
  add('writeHelmCharts', r.charts?.writeHelmCharts);
  add('npm run charts', r.charts?.npmRunCharts);
  add('npm run package', r.charts?.packaging);
  for (const row of r.scale?.rows ?? []) {
    add(`synthManifests N=${row.n}`, row.lib);
    add(`synthManifests, distinct values N=${row.n}`, row.libDistinct);
    add(`cdk8s-plus one App per chart N=${row.n}`, row.fair);
    add(`cdk8s-plus one App for all N=${row.n}`, row.plain);
  }
  for (const [way, st] of Object.entries(r.writer?.usPerChart ?? {})) add(`writer benchmark: ${way}`, st);
  add('proof, in-process renderers', r.proof?.inProcess.ms);
  add('proof, helm CLIs', r.proof?.cli.ms);
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
  if (r.otherCpu && r.otherCpu.wallSeconds > 0) {
    const busy = r.otherCpu.totalSeconds / r.otherCpu.wallSeconds;
    const top = r.otherCpu.byCommand.slice(0, 6).map(([c, t]) => `${c} ${t.toFixed(0)} s`).join(', ');
    L.push(`Meanwhile other processes used ${r.otherCpu.totalSeconds.toFixed(0)} CPU-seconds in ${r.otherCpu.wallSeconds.toFixed(0)} s (${busy.toFixed(1)} of ${r.machine.cpus} CPUs on average)${top ? `: ${top}` : ''}.`);
  }
  if (r.options.note) L.push(`What else ran: ${r.options.note}`);
  L.push('');
  if (r.targets && r.targets.length > 0) {
    L.push('### Targets');
    L.push('');
    L.push('| Target | Goal | Measured | Result |');
    L.push('| --- | ---: | ---: | :---: |');
    for (const t of r.targets) L.push(`| ${t.name} | ${t.target} | ${t.value} | ${t.pass === null ? '–' : t.pass ? 'pass' : '**FAIL**'} |`);
    L.push('');
  }
  if (r.scale) {
    const s = r.scale;
    L.push(`### Scale: N md-icapsrv instances, one chart and namespace (\`tenant-<i>\`) each`);
    L.push('');
    L.push(
      'Each cell: wall time, median (min–max); CPU time (user + system), median; peak RSS. "÷ ours": their CPU time ÷ ours. ' +
        'Every tenant has the default values, except in the column "distinct values", where each has an annotation of its own, so no two charts share parsed values.',
    );
    L.push('');
    L.push('| N | chart-as-code (`synthManifests`) | cdk8s-plus, one App per chart | ÷ ours | cdk8s-plus, one App for all | ÷ ours | chart-as-code, distinct values | one App per chart ÷ this |');
    L.push('| ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |');
    const cell = (wall: Stats | undefined, cpuSt: Stats | undefined, rssSt: Stats | undefined) => (wall ? `${sec(wall)} (${range(wall)}); CPU ${sec(cpuSt!)}; ${mb(rssSt)}` : 'not run');
    const times = (v: number | undefined) => (v === undefined ? '–' : `${v.toFixed(1)}×`);
    for (const row of s.rows) {
      L.push(
        `| ${row.n} | ${cell(row.lib, row.libCpu, row.libRss)} | ${cell(row.fair, row.fairCpu, row.fairRss)} | ${times(row.fairSpeedup)} | ${cell(row.plain, row.plainCpu, row.plainRss)} | ${times(row.plainSpeedup)} | ${cell(row.libDistinct, row.libDistinctCpu, row.libDistinctRss)} | ${times(row.distinctSpeedup)} |`,
      );
    }
    L.push('');
    const first = s.rows[0];
    const withPlain = s.rows.find((x) => x.plainObjectsPerChart !== undefined);
    L.push(
      `Runs: ${first?.lib.n ?? 0} per N for \`synthManifests\` and one App per chart, ${s.rows.find((x) => x.plain)?.plain?.n ?? 0} for one App for all. Process RSS after loading the modules, before any work: ${s.baselineRssMB.lib.toFixed(0)} MB (library), ${s.baselineRssMB.plain.toFixed(0)} MB (cdk8s-plus).` +
        (first ? ` Per instance: ${first.objectsPerChart} objects, ${(first.bytesPerChart / 1024).toFixed(1)} KiB of YAML (library)` : '') +
        (withPlain ? `; ${withPlain.plainObjectsPerChart} objects, ${(withPlain.plainBytesPerChart! / 1024).toFixed(1)} KiB (cdk8s-plus baseline, its own defaults included).` : '.'),
    );
    const perChart = (pick: (row: ScaleRow) => Stats | undefined) =>
      s.rows
        .filter((row) => pick(row))
        .map((row) => `${((pick(row)!.median / row.n) * 1000).toFixed(0)} µs at ${row.n}`)
        .join(', ');
    L.push(`CPU time per chart: chart-as-code ${perChart((row) => row.libCpu)}; cdk8s-plus, one App per chart, ${perChart((row) => row.fairCpu)}.`);
    L.push('');
  }
  if (r.writer) {
    const w = r.writer;
    const json = w.usPerChart.json!;
    L.push(`### Writing the objects of one chart (md-icapsrv, ${w.objectsPerChart} objects; ${w.charts} different charts per round)`);
    L.push('');
    L.push('| Writer | CPU µs per chart | Min–max | ÷ JSON.stringify | Bytes per chart |');
    L.push('| --- | ---: | ---: | ---: | ---: |');
    const names: Record<string, string> = {
      writer: 'Kubernetes-safe YAML, `manifestsToYaml` (lib/core/yaml.ts)',
      json: '`JSON.stringify`',
      yamlPackage: "the `yaml` package, as cdk8s' `Yaml.stringify` (App.synth()'s writer)",
    };
    for (const [way, st] of Object.entries(w.usPerChart)) {
      L.push(`| ${names[way] ?? way} | ${st.median.toFixed(0)} | ${range(st, 1, 0)} | ${(st.median / json.median).toFixed(1)}× | ${(w.bytesPerChart[way] ?? 0).toFixed(0)} |`);
    }
    L.push('');
    L.push(`Runs: ${json.n} processes, each the median of 9 rounds (CPU time of the round ÷ charts). The writer ÷ JSON.stringify ratio within each process: median ${w.writerVsJson.median.toFixed(2)}× (${range(w.writerVsJson, 1, 2)}).`);
    L.push('');
  }
  if (r.app || r.charts) {
    L.push('### Full app, charts, packaging');
    L.push('');
    L.push('| What | Median | Min–max | Peak RSS | Runs |');
    L.push('| --- | ---: | ---: | ---: | ---: |');
    if (r.app) {
      const a = r.app;
      const withCpu = (wall: Stats, cpuSt: Stats | null) => `${sec(wall)}${cpuSt ? ` (CPU ${sec(cpuSt)})` : ''}`;
      L.push(`| \`npm run synth\` (chart-as-code synth of apps/stack.ts, ${a.files.length} charts), whole command | ${withCpu(a.npmRunSynth, a.npmRunSynthCpu)} | ${range(a.npmRunSynth)} s | ${mb(a.npmRunSynthRss)} | ${a.npmRunSynth.n} |`);
      L.push(`| the command it runs, \`${a.appCommand}\`, without npm | ${withCpu(a.app, a.appCpu)} | ${range(a.app)} s | ${mb(a.appRss)} | ${a.app.n} |`);
      L.push(`| \`npm run synth\`, empty tsx compile cache (first run after a change) | ${sec(a.emptyTsxCache)} | ${range(a.emptyTsxCache)} s | | ${a.emptyTsxCache.n} |`);
      L.push(`| \`npx cdk8s synth\` (the cdk8s CLI running cdk8s.yaml's app) | ${withCpu(a.cdk8sCli, a.cdk8sCliCpu)} | ${range(a.cdk8sCli)} s | ${mb(a.cdk8sCliRss)} | ${a.cdk8sCli.n} |`);
    }
    if (r.charts) {
      L.push(`| \`writeHelmCharts\`: all ${r.charts.charts} charts (${r.charts.files} files), in process | ${sec(r.charts.writeHelmCharts)} | ${range(r.charts.writeHelmCharts)} s | ${mb(r.charts.writeChartsRss)} | ${r.charts.writeHelmCharts.n} |`);
      L.push(`| \`npm run charts\`, whole command | ${sec(r.charts.npmRunCharts)} | ${range(r.charts.npmRunCharts)} s | | ${r.charts.npmRunCharts.n} |`);
      if (r.charts.packaging) L.push(`| \`npm run package\` of those charts (helm package + checks + index.yaml) | ${sec(r.charts.packaging)} | ${range(r.charts.packaging)} s | ${mb(r.charts.packagingRss)} | ${r.charts.packaging.n} |`);
      else L.push(`| \`npm run package\` | not measured: ${r.charts.note} | | | |`);
    }
    L.push('');
    if (r.app) {
      const a = r.app;
      L.push(
        `What the wrappers add (difference of medians, wall${a.appCpu && a.npmRunSynthCpu && a.cdk8sCliCpu ? ' / CPU' : ''}): npm ${((a.npmRunSynth.median - a.app.median) / 1000).toFixed(2)} s` +
          (a.appCpu && a.npmRunSynthCpu ? ` / ${((a.npmRunSynthCpu.median - a.appCpu.median) / 1000).toFixed(2)} s` : '') +
          `; the cdk8s CLI ${((a.cdk8sCli.median - a.app.median) / 1000).toFixed(2)} s` +
          (a.appCpu && a.cdk8sCliCpu ? ` / ${((a.cdk8sCliCpu.median - a.appCpu.median) / 1000).toFixed(2)} s` : '') +
          ' over the app it runs. ' +
          'cdk8s.yaml runs the same command, so `npx cdk8s synth` writes the same files.',
      );
      L.push('');
    }
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
  if (r.proof) {
    const p = r.proof;
    const lines = p.userLines.reduce((a, f) => a + f.lines, 0);
    L.push(`### The platform example's proof (examples/platform-chart: ${lines} lines of code, ${p.userLines.map((f) => `${f.file} ${f.lines}`).join(', ')})`);
    L.push('');
    L.push(
      `${p.runs} random valid values (\`expectEquivalent\`, unvalidated) and ${p.runs} invalid ones (\`expectSchemaParity\`), helm 3 and 4 each, same seed; ` +
        'a case is one set of values checked with both majors. CPU includes the helm and renderer processes.',
    );
    L.push('');
    L.push('| Renderers | Cases per second | Whole proof | Valid | Invalid | CPU |');
    L.push('| --- | ---: | ---: | ---: | ---: | ---: |');
    for (const m of [p.inProcess, p.cli]) {
      L.push(`| ${m.renderers.join(', ')} | ${m.casesPerSecond.median.toFixed(2)}/s (${range(m.casesPerSecond, 1, 2)}) | ${sec(m.ms)} | ${sec(m.validMs)} | ${sec(m.invalidMs)} | ${sec(m.cpuMs)} |`);
    }
    L.push('');
    L.push(`In-process: ${(p.inProcess.casesPerSecond.median / p.cli.casesPerSecond.median).toFixed(1)}× the cases per second of the helm CLIs, ${(p.cli.cpuMs.median / p.inProcess.cpuMs.median).toFixed(1)}× less CPU.`);
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
    command: `npm run bench${o.complete ? '' : ` -- ${argv.join(' ')}`}${o.note ? ' (with --note)' : ''}`,
    git: { commit: git(['rev-parse', '--short', 'HEAD']) || 'unknown', dirty: git(['status', '--porcelain']) !== '' },
    machine: { cpus: os.cpus().length, model: os.cpus()[0]?.model.trim() ?? 'unknown', node: process.version, totalMemoryMB: Math.round(os.totalmem() / 2 ** 20) },
    options: { ...o, only: [...o.only] },
    load: { start: os.loadavg()[0]!, end: 0, min: 0, max: 0 },
  };
  log(`chart-as-code bench: ${results.machine.cpus} CPUs, load average ${os.loadavg().map((l) => l.toFixed(2)).join(' ')}; every run is a fresh process, one at a time`);
  if (o.only.has('app')) results.app = benchApp(o);
  if (o.only.has('charts')) results.charts = benchCharts(o);
  if (o.only.has('equivalence')) results.equivalence = benchEquivalence(o);
  if (o.only.has('proof')) results.proof = benchProof(o);
  if (o.only.has('scale')) results.scale = benchScale(o);
  if (o.only.has('writer')) results.writer = benchWriter(o);
  sampleOtherCpu();
  results.otherCpu = {
    wallSeconds: (cpuSampledTo - cpuSampledFrom) / 1000,
    totalSeconds: [...otherCpuByCommand.values()].reduce((a, b) => a + b, 0),
    byCommand: [...otherCpuByCommand].sort((a, b) => b[1] - a[1]),
  };
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
  const missed = results.targets.filter((t) => t.pass === false);
  if (missed.length > 0) log(`targets missed: ${missed.map((t) => t.name).join('; ')}`);
}

main();

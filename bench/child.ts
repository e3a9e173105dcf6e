/**
 * One measurement in a fresh process (run by bench/run.ts): `node --import tsx bench/child.ts <task> ...`.
 * Prints one line `BENCH_RESULT <json>`: the time of the work itself (module loading excluded) and the
 * process's peak RSS. Task-specific modules are loaded inside the task, so a baseline run loads exactly
 * what the measured run loads.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';

const ROOT = path.join(__dirname, '..');

export interface ChildResult {
  /** Time of the measured work, ms. */
  ms: number;
  /** CPU time (user + system, all threads) of the measured work, ms: what load from other processes does not inflate. */
  cpuMs?: number;
  /** Peak resident set size of this process, MB. */
  peakRssMB: number;
  /** 1-minute load average when the task started. */
  load: number;
  [extra: string]: unknown;
}

/** Wall and CPU time of `work`, ms. */
function timed(work: () => void): { ms: number; cpuMs: number } {
  const cpu = process.cpuUsage();
  const t0 = performance.now();
  work();
  const ms = performance.now() - t0;
  const used = process.cpuUsage(cpu);
  return { ms, cpuMs: (used.user + used.system) / 1000 };
}

/**
 * CPU time (user + system) of this process and of its children that have ended and been waited for, ms
 * (/proc/self/stat): the proof's helm CLIs and renderer processes do most of its work.
 */
function treeCpuMs(): number {
  const fields = fs.readFileSync('/proc/self/stat', 'utf8').replace(/^.*\) /, '').split(' ');
  // utime, stime, cutime, cstime: fields 14-17 of proc(5), indexes 11-14 once the pid and command are cut off; 100 ticks a second.
  const ticks = [11, 12, 13, 14].reduce((sum, i) => sum + Number(fields[i]), 0);
  return (ticks / 100) * 1000;
}

function report(result: { ms: number; [k: string]: unknown }, load: number): void {
  const out: ChildResult = { ...result, peakRssMB: process.resourceUsage().maxRSS / 1024, load };
  process.stdout.write(`BENCH_RESULT ${JSON.stringify(out)}\n`);
}

/** Files of a synthesized directory: count, bytes, and objects in the first file. */
function outputStats(dir: string): { files: number; bytes: number; objectsPerChart: number } {
  const names = fs.readdirSync(dir).filter((f) => f.endsWith('.k8s.yaml')).sort();
  let bytes = 0;
  for (const f of names) bytes += fs.statSync(path.join(dir, f)).size;
  const first = names[0] === undefined ? '' : fs.readFileSync(path.join(dir, names[0]), 'utf8');
  const objectsPerChart = first === '' ? 0 : first.split(/^---$/m).length;
  return { files: names.length, bytes, objectsPerChart };
}

async function main(): Promise<void> {
  const [task, ...args] = process.argv.slice(2);
  const load = os.loadavg()[0]!;
  const n = Number(args[0]);
  const outdir = args[1] ?? '';

  switch (task) {
    // Modules only: the RSS every scale run starts from.
    case 'baseline-lib': {
      await import('../lib/core/synth');
      await import('../lib/systems/md-icapsrv');
      return report({ ms: 0 }, load);
    }
    case 'baseline-plain': {
      await import('cdk8s');
      await import('./plain');
      return report({ ms: 0 }, load);
    }

    // The library's documented path for many charts: one App per chart (lib/core/synth.ts). With
    // "distinct", every tenant has values of its own (an annotation naming it), so no two charts share
    // parsed values.
    case 'scale-lib': {
      const { synthManifests } = await import('../lib/core/synth');
      const { mdIcapsrvChart } = await import('../lib/systems/md-icapsrv');
      const distinct = args[2] === 'distinct';
      function* tenants() {
        for (let i = 0; i < n; i++) {
          const values = distinct ? { commonAnnotations: { 'example.com/tenant': `tenant-${i}` } } : undefined;
          yield { id: `tenant-${i}`, chart: mdIcapsrvChart, namespace: `tenant-${i}`, values };
        }
      }
      const time = timed(() => synthManifests(tenants(), outdir));
      return report({ ...time, ...outputStats(outdir) }, load);
    }

    // The fair baseline: the same objects with cdk8s-plus, one App per chart, `app.synth()` each (linear).
    case 'scale-plain-apps': {
      const { App } = await import('cdk8s');
      const { plainChart } = await import('./plain');
      const time = timed(() => {
        for (let i = 0; i < n; i++) {
          const app = new App({ outdir });
          plainChart(app, i);
          app.synth();
        }
      });
      return report({ ...time, ...outputStats(outdir) }, load);
    }

    // The quadratic baseline: the same objects with cdk8s-plus, one App holding every chart, App.synth().
    case 'scale-plain': {
      const { App } = await import('cdk8s');
      const { plainChart } = await import('./plain');
      const time = timed(() => {
        const app = new App({ outdir });
        for (let i = 0; i < n; i++) plainChart(app, i);
        app.synth();
      });
      return report({ ...time, ...outputStats(outdir) }, load);
    }

    // Writing the objects of n md-icapsrv charts: the Kubernetes-safe writer, JSON.stringify, and cdk8s'
    // writer (the `yaml` package), in rounds with the order rotating; the median round per way, in CPU time.
    case 'writer': {
      const rounds = Number(args[1] ?? 15);
      const { Yaml } = await import('cdk8s');
      const { synthObjects } = await import('../lib/core/chart');
      const { manifestsToYaml } = await import('../lib/core/yaml');
      const { mdIcapsrvChart } = await import('../lib/systems/md-icapsrv');
      const system = mdIcapsrvChart;
      const charts = Array.from({ length: n }, (_, i) => synthObjects({ chart: system, namespace: `tenant-${i}` }).objects as unknown[]);
      const ways: Record<string, (objects: unknown[]) => string> = {
        writer: (objects) => manifestsToYaml(objects),
        json: (objects) => JSON.stringify(objects),
        yamlPackage: (objects) => Yaml.stringify(...objects),
      };
      const names = Object.keys(ways);
      const bytesPerChart = Object.fromEntries(names.map((w) => [w, charts.reduce((a, c) => a + Buffer.byteLength(ways[w]!(c)), 0) / n]));
      const usPerRound: Record<string, number[]> = Object.fromEntries(names.map((w) => [w, []]));
      const t0 = performance.now();
      for (let r = 0; r < rounds; r++) {
        for (let k = 0; k < names.length; k++) {
          const w = names[(r + k) % names.length]!;
          const write = ways[w]!;
          const { cpuMs } = timed(() => {
            for (const c of charts) write(c);
          });
          usPerRound[w]!.push((cpuMs / n) * 1000);
        }
      }
      const ms = performance.now() - t0;
      const median = (v: number[]) => [...v].sort((a, b) => a - b)[Math.floor(v.length / 2)]!;
      const usPerChart = Object.fromEntries(names.map((w) => [w, median(usPerRound[w]!)]));
      return report({ ms, charts: n, objectsPerChart: charts[0]!.length, usPerChart, bytesPerChart }, load);
    }

    // Every Helm chart, as `npm run charts` writes them.
    case 'charts': {
      const { writeHelmCharts } = await import('../lib/core/helm-chart');
      const { systems } = await import('../lib/systems');
      const t0 = performance.now();
      const written = writeHelmCharts(systems, args[0]!);
      const ms = performance.now() - t0;
      return report({ ms, charts: written.length, files: written.reduce((a, w) => a + w.files, 0) }, load);
    }

    // The equivalence suite's unit costs: helm template, raw render, comparison, whole case.
    case 'equivalence': {
      const renders = Number(args[0] ?? 20);
      const { availableHelms } = await import('../lib/tooling/helm');
      const { compareRenderings, equivalence, helmTemplate, parseStream, rawObjects } = await import('../test/support/render');
      const { handCases } = await import('../test/cases');
      const { mdIcapsrvChart } = await import('../lib/systems/md-icapsrv');
      const system = mdIcapsrvChart;
      const chart = path.join(ROOT, 'charts', 'md-icapsrv');
      const cases: unknown[] = [{}, ...(handCases['md-icapsrv'] ?? []).map((c) => c.values)];
      const time = (fn: () => void): number => {
        const t0 = performance.now();
        fn();
        return performance.now() - t0;
      };
      const helms = availableHelms();
      const perMajor: Record<string, unknown> = {};
      for (const h of helms) {
        helmTemplate(h.major, chart, {}); // warm the page cache
        const ms = time(() => {
          for (let i = 0; i < renders; i++) {
            const r = helmTemplate(h.major, chart, cases[i % cases.length]);
            if (r.code !== 0) throw new Error(`helm ${h.major} template failed:\n${r.stderr}`);
          }
        });
        const equivalenceMs = time(() => {
          for (const values of cases) {
            const r = equivalence(h.major, system, values);
            if (r.differences.length > 0) throw new Error(`equivalence differs for ${JSON.stringify(values)}:\n${r.differences.join('\n')}`);
          }
        });
        perMajor[`helm${h.major}`] = {
          version: h.version,
          renders,
          rendersPerSecond: renders / (ms / 1000),
          msPerRender: ms / renders,
          equivalenceMsPerCase: equivalenceMs / cases.length,
        };
      }
      // Raw render and comparison, per case (helm 3's objects, or helm 4's when only that is installed).
      const major = helms[0]?.major;
      const helmObjects = major === undefined ? [] : cases.map((v) => parseStream(helmTemplate(major, chart, v).stdout));
      const raws: ReturnType<typeof rawObjects>[] = [];
      const rounds = Math.max(1, Math.ceil(renders / cases.length));
      const rawMs = time(() => {
        for (let r = 0; r < rounds; r++) for (const v of cases) raws.push(rawObjects(system, v));
      });
      let compareMs = 0;
      if (major !== undefined) {
        compareMs = time(() => {
          raws.forEach((raw, i) => {
            const differences = compareRenderings(raw.objects, helmObjects[i % cases.length]!);
            if (differences.length > 0) throw new Error(`comparison differs:\n${differences.join('\n')}`);
          });
        });
      }
      return report(
        {
          ms: rawMs + compareMs,
          cases: cases.length,
          helm: perMajor,
          rawRenderMsPerCase: rawMs / raws.length,
          compareMsPerCase: major === undefined ? null : compareMs / raws.length,
        },
        load,
      );
    }

    // The README platform example's proof as a team runs it: random valid values (expectEquivalent) and random
    // invalid ones (expectSchemaParity), helm 3 and 4, with the in-process renderers or the helm CLIs.
    case 'proof': {
      const runs = Number(args[0]);
      const inProcess = args[1] === 'in-process';
      const { expectEquivalent, expectSchemaParity } = await import('../lib/proof');
      const { platformChart } = await import('../examples/platform-chart/chart');
      // Unvalidated, as the example's own proof runs random values (test/package.test.ts): this measures the renderers.
      const options = { runs, seed: 1, inProcess, log: () => undefined };
      const cpu0 = treeCpuMs();
      const t0 = performance.now();
      const valid = await expectEquivalent(platformChart, { ...options, validate: false });
      const validMs = performance.now() - t0;
      const invalid = await expectSchemaParity(platformChart, options);
      const ms = performance.now() - t0;
      return report({ ms, cpuMs: treeCpuMs() - cpu0, validMs, invalidMs: ms - validMs, cases: valid.runs + invalid.runs, renderers: valid.renderers }, load);
    }

    default:
      throw new Error(`unknown task ${task}`);
  }
}

main().catch((e: unknown) => {
  process.stderr.write(`${(e as Error)?.stack ?? String(e)}\n`);
  process.exit(1);
});

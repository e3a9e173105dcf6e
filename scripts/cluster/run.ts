/**
 * `npm run test:cluster`: the cluster test suite, end to end.
 *
 *  1. helm 3 and 4 (and kubectl 1.33) via `npm run helm:setup`, as `npm test` does;
 *  2. vitest with vitest.cluster.config.ts: its globalSetup (test/cluster/global-setup.ts) brings the
 *     control plane up (or uses KUBECONFIG) and tears it down;
 *  3. a leak check: no component of any cluster of ours may still be running afterwards (one left by
 *     a killed run is torn down here and fails the run).
 *
 * Steps 1-3 run once per Kubernetes version of scripts/cluster/binaries.ts (the oldest the charts claim
 * and the newest), each ending with "cluster-<version>: N passed, N failed"; then a plain
 * "cluster: N passed, N failed" line sums them. CHART_AS_CODE_KUBERNETES=1.30 runs one version only; with
 * KUBECONFIG set, the suite runs once, on that cluster.
 *
 * Exits with vitest's status, or 1 if anything was left running, no test ran, or any test was skipped.
 * Ctrl-C is passed on to vitest, whose teardown stops the cluster. `runSuite` does the same for the pod
 * suite (scripts/node/run.ts).
 */
import { spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { kubernetesVersion, kubernetesVersions } from './binaries';
import { orphanedComponents, sweep } from './cluster';

const root = path.resolve(__dirname, '..', '..');

function run(cmd: string, args: string[]): Promise<number> {
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, { cwd: root, stdio: 'inherit', env: process.env });
    const forward = (sig: NodeJS.Signals): void => {
      child.kill(sig);
    };
    process.on('SIGINT', forward);
    process.on('SIGTERM', forward);
    child.on('error', reject);
    child.on('exit', (code, signal) => {
      process.off('SIGINT', forward);
      process.off('SIGTERM', forward);
      resolve(code ?? (signal ? 1 : 0));
    });
  });
}

export interface SuiteOptions {
  /** Prefix of messages and of the summary line: "cluster", "pods". */
  label: string;
  /** vitest config file. */
  config: string;
  /** Extra vitest arguments (e.g. test files). */
  args: string[];
  /** Runs before vitest (after helm:setup). */
  prepare?: () => Promise<void>;
  /** Wraps the vitest command, e.g. to run it inside a network namespace. */
  wrap?: (cmd: string, args: string[]) => [string, string[]];
  /** After vitest has exited: tears down what is left and returns a description of each thing that was. */
  leaks: () => Promise<string[]>;
  /** Receives the test counts of the run (when vitest wrote them). */
  onCounts?: (counts: { passed: number; failed: number }) => void;
}

/** helm:setup, vitest with `config`, the leak check, the summary line; the exit status. */
export async function runSuite(opts: SuiteOptions): Promise<number> {
  const { label } = opts;
  const started = Date.now();
  const setup = await run('npm', ['run', '--silent', 'helm:setup']);
  if (setup !== 0) {
    process.stderr.write(`[${label}] npm run helm:setup failed\n`);
    return setup;
  }
  await opts.prepare?.();
  const reportDir = fs.mkdtempSync(path.join(os.tmpdir(), `${label}-report-`));
  const report = path.join(reportDir, 'vitest.json');
  const vitest: [string, string[]] = [
    path.join(root, 'node_modules', '.bin', 'vitest'),
    ['run', '--config', opts.config, '--reporter=default', '--reporter=json', `--outputFile.json=${report}`, ...opts.args],
  ];
  const code = await run(...(opts.wrap ? opts.wrap(...vitest) : vitest));
  let counts: { numPassedTests: number; numFailedTests: number; numPendingTests: number; numTodoTests: number } | undefined;
  try {
    counts = JSON.parse(fs.readFileSync(report, 'utf8')) as typeof counts;
  } catch {
    // vitest died before writing its report; its exit code says so
  }
  fs.rmSync(reportDir, { recursive: true, force: true });
  let exit = code;
  const leaked = await opts.leaks();
  if (leaked.length > 0) {
    process.stderr.write(`[${label}] left running after the suite: ${leaked.join(', ')}\n`);
    exit = exit || 1;
  }
  if (counts && counts.numPassedTests + counts.numFailedTests === 0) {
    process.stderr.write(`[${label}] no test ran\n`);
    exit = exit || 1;
  }
  process.stdout.write(`[${label}] finished in ${Math.round((Date.now() - started) / 1000)}s (exit ${exit})\n`);
  if (counts) {
    const skipped = counts.numPendingTests + counts.numTodoTests;
    opts.onCounts?.({ passed: counts.numPassedTests, failed: counts.numFailedTests });
    process.stdout.write(`${label}: ${counts.numPassedTests} passed, ${counts.numFailedTests} failed${skipped > 0 ? `, ${skipped} skipped` : ''}\n`);
    if (skipped > 0) exit = exit || 1; // nothing in these suites may be skipped
  }
  return exit;
}

/** Components of our clusters left running by an exited owner (each torn down here), as descriptions. */
export async function clusterLeaks(): Promise<string[]> {
  // Our vitest has exited: a cluster it owned whose components still run was not torn down.
  const leaked = orphanedComponents().map((p) => `${p.cluster}/${p.component} pid ${p.pid}`);
  await sweep();
  const still = orphanedComponents().map((p) => `${p.cluster}/${p.component} pid ${p.pid} (STILL running after the sweep)`);
  return [...leaked, ...still];
}

/** The cluster suite on each Kubernetes version (or on KUBECONFIG's cluster), then the summed counts. */
async function clusterSuites(args: string[]): Promise<number> {
  const suite = { config: 'vitest.cluster.config.ts', args, leaks: clusterLeaks };
  if (process.env.KUBECONFIG) return runSuite({ label: 'cluster', ...suite });
  const versions = process.env.CHART_AS_CODE_KUBERNETES ? [kubernetesVersion()] : kubernetesVersions();
  const total = { passed: 0, failed: 0 };
  let exit = 0;
  for (const version of versions) {
    process.env.CHART_AS_CODE_KUBERNETES = version; // read by the suite's globalSetup (scripts/cluster/cluster.ts)
    process.stdout.write(`[cluster] Kubernetes ${version} (${versions.join(', ')})\n`);
    const code = await runSuite({
      label: `cluster-${version}`,
      ...suite,
      onCounts: (c) => {
        total.passed += c.passed;
        total.failed += c.failed;
      },
    });
    exit = exit || code;
  }
  process.stdout.write(`[cluster] ran on Kubernetes ${versions.join(' and ')}\ncluster: ${total.passed} passed, ${total.failed} failed\n`);
  return exit;
}

if (require.main === module) {
  clusterSuites(process.argv.slice(2))
    .then((code) => process.exit(code))
    .catch((err: unknown) => {
      process.stderr.write(`${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
      process.exit(1);
    });
}

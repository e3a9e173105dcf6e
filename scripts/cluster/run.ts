/**
 * `npm run test:cluster`: the cluster test suite, end to end.
 *
 *  1. helm 3 and 4 (and kubectl 1.33) via `npm run helm:setup`, as `npm test` does;
 *  2. vitest with vitest.cluster.config.ts: its globalSetup (test/cluster/global-setup.ts) brings the
 *     control plane up (or uses KUBECONFIG) and tears it down;
 *  3. a leak check: no component of any cluster of ours may still be running afterwards (one left by
 *     a killed run is torn down here and fails the run).
 *
 * Ends with a plain "cluster: N passed, N failed" line. Exits with vitest's status, or 1 if anything
 * was left running, no test ran, or any test was skipped. Ctrl-C is passed on to vitest, whose
 * teardown stops the cluster.
 */
import { spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
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

async function main(): Promise<number> {
  const started = Date.now();
  const setup = await run('npm', ['run', '--silent', 'helm:setup']);
  if (setup !== 0) {
    process.stderr.write('[cluster] npm run helm:setup failed\n');
    return setup;
  }
  const reportDir = fs.mkdtempSync(path.join(os.tmpdir(), 'cluster-report-'));
  const report = path.join(reportDir, 'vitest.json');
  const code = await run(path.join(root, 'node_modules', '.bin', 'vitest'), [
    'run',
    '--config',
    'vitest.cluster.config.ts',
    '--reporter=default',
    '--reporter=json',
    `--outputFile.json=${report}`,
    ...process.argv.slice(2),
  ]);
  let counts: { numPassedTests: number; numFailedTests: number; numPendingTests: number; numTodoTests: number } | undefined;
  try {
    counts = JSON.parse(fs.readFileSync(report, 'utf8')) as typeof counts;
  } catch {
    // vitest died before writing its report; its exit code says so
  }
  fs.rmSync(reportDir, { recursive: true, force: true });
  // Our vitest has exited: a cluster it owned whose components still run was not torn down.
  const leaked = orphanedComponents();
  await sweep();
  let exit = code;
  if (leaked.length > 0) {
    process.stderr.write(`[cluster] left running after the suite (now killed): ${leaked.map((p) => `${p.cluster}/${p.component} pid ${p.pid}`).join(', ')}\n`);
    exit = exit || 1;
  }
  const still = orphanedComponents();
  if (still.length > 0) {
    process.stderr.write(`[cluster] STILL running: ${still.map((p) => `${p.cluster}/${p.component} pid ${p.pid}`).join(', ')}\n`);
    exit = exit || 1;
  }
  if (counts && counts.numPassedTests + counts.numFailedTests === 0) {
    process.stderr.write('[cluster] no test ran\n');
    exit = exit || 1;
  }
  process.stdout.write(`[cluster] test:cluster finished in ${Math.round((Date.now() - started) / 1000)}s (exit ${exit})\n`);
  if (counts) {
    const skipped = counts.numPendingTests + counts.numTodoTests;
    process.stdout.write(`cluster: ${counts.numPassedTests} passed, ${counts.numFailedTests} failed${skipped > 0 ? `, ${skipped} skipped` : ''}\n`);
    if (skipped > 0) exit = exit || 1; // nothing in this suite may be skipped
  }
  return exit;
}

main()
  .then((code) => process.exit(code))
  .catch((err: unknown) => {
    process.stderr.write(`${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
    process.exit(1);
  });

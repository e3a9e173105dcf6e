/**
 * Runs the credential generator's script (the one the chart's Job runs) on this machine under sh, with
 * a kubectl and a kubeconfig holding the Job's identity: the stand-in API in the main suite, a real
 * ServiceAccount token against the kube-apiserver in the cluster suite.
 */
import { spawn, spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { CREDENTIAL_GENERATOR_SCRIPT } from '../../lib/constructs/credentials';

export interface GeneratorRun {
  code: number | null;
  stdout: string;
  stderr: string;
}

export interface GeneratorOptions {
  kubectl: string;
  /** Kubeconfig text: the server, its CA, the Job's token and namespace. */
  kubeconfig: string;
  /** The Job's arguments: the Secret names. */
  names: string[];
  env?: Record<string, string>;
}

/** A private HOME with the kubeconfig and `kubectl` (whose file name may carry a version), and the command. */
function prepare(opts: GeneratorOptions) {
  const home = fs.mkdtempSync(path.join(os.tmpdir(), 'generator-home-'));
  const config = path.join(home, 'kubeconfig');
  fs.writeFileSync(config, opts.kubeconfig);
  fs.symlinkSync(path.resolve(opts.kubectl), path.join(home, 'kubectl'));
  return {
    args: ['-c', CREDENTIAL_GENERATOR_SCRIPT, 'credential-generator', ...opts.names],
    env: { PATH: `${home}:/usr/bin:/bin`, HOME: home, KUBECONFIG: config, TMPDIR: home, ...opts.env },
    cleanup: () => fs.rmSync(home, { recursive: true, force: true }),
  };
}

/** Asynchronous, for an API served by this very process (the stand-in). */
export function runCredentialGenerator(opts: GeneratorOptions): Promise<GeneratorRun> {
  const p = prepare(opts);
  return new Promise((resolve, reject) => {
    const child = spawn('sh', p.args, { env: p.env });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (c: Buffer) => (stdout += c.toString()));
    child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
    child.on('error', reject);
    child.on('exit', (code) => {
      p.cleanup();
      resolve({ code, stdout, stderr });
    });
  });
}

/** Synchronous, for a real API server in other processes. */
export function runCredentialGeneratorSync(opts: GeneratorOptions): GeneratorRun {
  const p = prepare(opts);
  try {
    const r = spawnSync('sh', p.args, { env: p.env, encoding: 'utf8', timeout: 180_000 });
    return { code: r.status, stdout: r.stdout, stderr: r.stderr };
  } finally {
    p.cleanup();
  }
}

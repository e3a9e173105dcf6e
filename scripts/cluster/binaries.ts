/**
 * The control-plane binaries of the cluster test suite, built from Go modules and cached outside the
 * repository by version: `<cache>/bin/<name>-<version>` (cache: $CHART_AS_CODE_CACHE, else
 * $XDG_CACHE_HOME/chart-as-code, else ~/.cache/chart-as-code). Only the first run on a machine builds.
 *
 * Kubernetes comes in every version of `kubernetesVersions()`, one wrapper module each
 * (cluster/k8s-X.Y/go.mod, written by gen-gomod.ts); a process works with `kubernetesVersion()`.
 *
 *   kube-apiserver, kube-controller-manager, kube-scheduler, kubectl  k8s.io/kubernetes (cluster/k8s-X.Y/go.mod)
 *   etcd                                                              go.etcd.io/etcd/server/v3 (cluster/etcd/go.mod)
 *   kwok, kwokctl                                                     sigs.k8s.io/kwok (`go install …@KWOK_VERSION`)
 *   kubelet, kube-proxy (node only)                                   k8s.io/kubernetes (cluster/k8s-X.Y/go.mod)
 *   coredns (node only)                                               github.com/coredns/coredns (scripts/node/coredns/go.mod)
 *
 * The node binaries are built only for the pod suite (`ensureBinaries(log, { node: true })`).
 * `tsx scripts/cluster/binaries.ts [--node]` builds whatever is missing and prints the paths.
 */
import { spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { cacheDir, cachedBinDir as binDir } from '../../lib/tooling/cache';
import { goBinary } from '../../lib/tooling/go-build';
import { isAlive } from '../../lib/tooling/process';

export { binDir, cacheDir, goBinary };

export const REPO_ROOT = path.resolve(__dirname, '..', '..');
export const CLUSTER_MODULE = path.join(REPO_ROOT, 'cluster');
export const ETCD_MODULE = path.join(CLUSTER_MODULE, 'etcd');
/** CoreDNS with the plugins the pod suite's node uses (cluster DNS for its pods). */
export const COREDNS_MODULE = path.join(REPO_ROOT, 'scripts', 'node', 'coredns');

/** kwok release used for kwok (the fake kubelet) and kwokctl (the cluster launcher). */
export const KWOK_VERSION = 'v0.8.0';

export type BinaryName =
  | 'kube-apiserver'
  | 'kube-controller-manager'
  | 'kube-scheduler'
  | 'kubectl'
  | 'etcd'
  | 'kwok'
  | 'kwokctl'
  | 'kubelet'
  | 'kube-proxy'
  | 'coredns';

export type Binaries = Record<BinaryName, string>;


function requiredVersion(goMod: string, module: string): string {
  const text = fs.readFileSync(goMod, 'utf8');
  const escaped = module.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&');
  const m = new RegExp(`^\\s*(?:require\\s+)?${escaped}\\s+(v\\S+)`, 'm').exec(text);
  if (!m) throw new Error(`${goMod} does not require ${module}`);
  return m[1]!;
}

/** The wrapper module that builds Kubernetes `version` (v1.30.14 -> cluster/k8s-1.30). */
export function kubernetesModule(version: string): string {
  const m = /^v?(\d+\.\d+)(\.\d+)?$/.exec(version);
  if (!m) throw new Error(`expected a Kubernetes version like v1.35.4, got ${version}`);
  return path.join(CLUSTER_MODULE, `k8s-${m[1]}`);
}

/** Every Kubernetes version the cluster suite runs on, oldest first: what cluster/k8s-X.Y/go.mod require. */
export function kubernetesVersions(): string[] {
  return fs
    .readdirSync(CLUSTER_MODULE)
    .filter((d) => /^k8s-\d+\.\d+$/.test(d))
    .map((d) => requiredVersion(path.join(CLUSTER_MODULE, d, 'go.mod'), 'k8s.io/kubernetes'))
    .sort((a, b) => a.localeCompare(b, 'en', { numeric: true }));
}

/**
 * The Kubernetes version this process builds and runs: $CHART_AS_CODE_KUBERNETES (a version of
 * kubernetesVersions(), or its minor, e.g. "1.30"; `npm run test:cluster` sets it for each run), else the newest.
 */
export function kubernetesVersion(): string {
  const versions = kubernetesVersions();
  const wanted = process.env.CHART_AS_CODE_KUBERNETES;
  if (!wanted) return versions[versions.length - 1]!;
  const found = versions.find((v) => v === wanted || v === `v${wanted}` || v.startsWith(`v${wanted.replace(/^v/, '')}.`));
  if (!found) throw new Error(`CHART_AS_CODE_KUBERNETES=${wanted} is none of the built versions (${versions.join(', ')}; cluster/k8s-X.Y/)`);
  return found;
}

/** etcd version built, from cluster/etcd/go.mod (e.g. "v3.6.5"). */
export function etcdVersion(): string {
  return requiredVersion(path.join(ETCD_MODULE, 'go.mod'), 'go.etcd.io/etcd/server/v3');
}

/** CoreDNS version built, from scripts/node/coredns/go.mod. */
export function corednsVersion(): string {
  return requiredVersion(path.join(COREDNS_MODULE, 'go.mod'), 'github.com/coredns/coredns');
}

interface BuildGroup {
  /** What is printed. */
  label: string;
  /** Needed only by a real node (the pod suite), not by the control plane. */
  node?: boolean;
  names: BinaryName[];
  version: string;
  /** Runs the build, writing every binary of `names` into `outDir`. */
  build(outDir: string): Promise<void>;
}

/** -X flags that make the binaries report the real version (as hack/lib/version.sh does), not v0.0.0. */
function kubernetesLdflags(version: string): string {
  const m = /^v(\d+)\.(\d+)\./.exec(version);
  if (!m) throw new Error(`unexpected Kubernetes version ${version}`);
  const flags = ['-s', '-w'];
  for (const pkg of ['k8s.io/component-base/version', 'k8s.io/client-go/pkg/version']) {
    flags.push(
      `-X ${pkg}.gitVersion=${version}`,
      `-X ${pkg}.gitMajor=${m[1]}`,
      `-X ${pkg}.gitMinor=${m[2]}`,
      `-X ${pkg}.gitTreeState=clean`,
      `-X ${pkg}.buildDate=1970-01-01T00:00:00Z`,
    );
  }
  return flags.join(' ');
}

export function goEnv(extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  return {
    ...process.env,
    CGO_ENABLED: '0', // static binaries, as Kubernetes releases its server binaries
    GOFLAGS: '-mod=readonly -buildvcs=false',
    ...extra,
  };
}

/** `cmd args` under `nice`; rejects unless it exits 0. */
export function run(cmd: string, args: string[], opts: { cwd: string; env: NodeJS.ProcessEnv }): Promise<void> {
  return new Promise((resolve, reject) => {
    // nice: builds take minutes of both cores; keep the machine usable for everything else.
    const child = spawn('nice', ['-n', '10', cmd, ...args], { cwd: opts.cwd, env: opts.env, stdio: ['ignore', 'inherit', 'inherit'] });
    child.on('error', reject);
    child.on('exit', (code, signal) => {
      if (code === 0) resolve();
      else reject(new Error(`${cmd} ${args.join(' ')} failed (${signal ?? `exit ${code}`}) in ${opts.cwd}`));
    });
  });
}

/** `go build` of commands of k8s.io/kubernetes at `version`, from its wrapper module. */
function kubernetesGroup(names: BinaryName[], version: string, node: boolean): BuildGroup {
  return {
    label: `${names.join(', ')} ${version} (k8s.io/kubernetes via ${path.relative(REPO_ROOT, kubernetesModule(version))}/go.mod)`,
    names,
    version,
    node,
    build: (out) =>
      run(goBinary(), ['build', '-trimpath', '-ldflags', kubernetesLdflags(version), '-o', out + path.sep, ...names.map((c) => `k8s.io/kubernetes/cmd/${c}`)], {
        cwd: kubernetesModule(version),
        env: goEnv(),
      }),
  };
}

function groups(): BuildGroup[] {
  const k8s = kubernetesVersion();
  const etcd = etcdVersion();
  const coredns = corednsVersion();
  return [
    kubernetesGroup(['kube-apiserver', 'kube-controller-manager', 'kube-scheduler', 'kubectl'], k8s, false),
    {
      label: `etcd ${etcd} (go.etcd.io/etcd/server/v3 via cluster/etcd/go.mod)`,
      names: ['etcd'],
      version: etcd,
      build: (out) => run(goBinary(), ['build', '-trimpath', '-ldflags', '-s -w', '-o', path.join(out, 'etcd'), '.'], { cwd: ETCD_MODULE, env: goEnv() }),
    },
    {
      label: `kwok, kwokctl ${KWOK_VERSION} (go install sigs.k8s.io/kwok/cmd/...@${KWOK_VERSION})`,
      names: ['kwok', 'kwokctl'],
      version: KWOK_VERSION,
      build: (out) =>
        run(
          goBinary(),
          ['install', '-trimpath', '-ldflags', '-s -w', `sigs.k8s.io/kwok/cmd/kwok@${KWOK_VERSION}`, `sigs.k8s.io/kwok/cmd/kwokctl@${KWOK_VERSION}`],
          // GOFLAGS=-mod=… is not allowed with `go install pkg@version`.
          { cwd: os.tmpdir(), env: goEnv({ GOBIN: out, GOFLAGS: '-buildvcs=false' }) },
        ),
    },
    kubernetesGroup(['kubelet', 'kube-proxy'], k8s, true),
    {
      label: `coredns ${coredns} (github.com/coredns/coredns via scripts/node/coredns/go.mod)`,
      names: ['coredns'],
      version: coredns,
      node: true,
      build: (out) => run(goBinary(), ['build', '-trimpath', '-ldflags', '-s -w', '-o', path.join(out, 'coredns'), '.'], { cwd: COREDNS_MODULE, env: goEnv() }),
    },
  ];
}

/** Where each binary lives once built (whether or not it is built yet). */
export function binaryPaths(): Binaries {
  const out = {} as Binaries;
  for (const g of groups()) for (const n of g.names) out[n] = path.join(binDir(), `${n}-${g.version}`);
  return out;
}

/** A lock directory holding the owner's pid; a lock whose owner is gone is taken over. */
export async function withLock<T>(lockDir: string, fn: () => Promise<T>): Promise<T> {
  let announced = false;
  for (;;) {
    try {
      fs.mkdirSync(lockDir);
      fs.writeFileSync(path.join(lockDir, 'pid'), String(process.pid));
      break;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
      let owner = NaN;
      try {
        owner = Number(fs.readFileSync(path.join(lockDir, 'pid'), 'utf8'));
      } catch {
        // being created or removed right now
      }
      if (Number.isInteger(owner) && owner > 0 && !isAlive(owner)) {
        fs.rmSync(lockDir, { recursive: true, force: true });
        continue;
      }
      if (!announced) {
        process.stdout.write(`[cluster] waiting for another build (${lockDir}, pid ${owner})\n`);
        announced = true;
      }
      await new Promise((r) => setTimeout(r, 2000));
    }
  }
  try {
    return await fn();
  } finally {
    fs.rmSync(lockDir, { recursive: true, force: true });
  }
}

export function fmtSeconds(ms: number): string {
  const s = Math.round(ms / 1000);
  return s >= 60 ? `${Math.floor(s / 60)}m${String(s % 60).padStart(2, '0')}s` : `${s}s`;
}

export interface BuildReport {
  label: string;
  seconds: number;
}

/**
 * Every control-plane binary (and with `node`, the node's too), building the missing ones (one group at
 * a time; concurrent callers wait on a lock). Prints what it builds and how long each build took.
 */
export async function ensureBinaries(
  log: (line: string) => void = (l) => process.stdout.write(`${l}\n`),
  opts: { node?: boolean } = {},
): Promise<{ paths: Binaries; built: BuildReport[] }> {
  const dir = binDir();
  fs.mkdirSync(dir, { recursive: true });
  const paths = binaryPaths();
  const built: BuildReport[] = [];
  for (const g of groups().filter((x) => opts.node || !x.node)) {
    if (g.names.every((n) => fs.existsSync(paths[n]))) continue;
    await withLock(path.join(dir, `.lock-${g.names[0]}-${g.version}`), async () => {
      if (g.names.every((n) => fs.existsSync(paths[n]))) return; // another process built it meanwhile
      const out = fs.mkdtempSync(path.join(dir, '.build-'));
      const started = Date.now();
      log(`[cluster] building ${g.label}: first run on this machine, this takes a while`);
      const ticker = setInterval(() => log(`[cluster]   still building ${g.names.join(', ')} (${fmtSeconds(Date.now() - started)})`), 60_000);
      try {
        await g.build(out);
        for (const n of g.names) {
          const from = path.join(out, n);
          if (!fs.existsSync(from)) throw new Error(`build of ${g.label} produced no ${n}`);
          fs.renameSync(from, paths[n]); // atomic: a cached binary is always complete
        }
      } finally {
        clearInterval(ticker);
        fs.rmSync(out, { recursive: true, force: true });
      }
      const ms = Date.now() - started;
      built.push({ label: g.label, seconds: Math.round(ms / 1000) });
      log(`[cluster] built ${g.names.join(', ')} in ${fmtSeconds(ms)} -> ${dir}`);
    });
  }
  if (built.length === 0) log(`[cluster] binaries cached in ${dir} (nothing to build)`);
  return { paths, built };
}

if (require.main === module) {
  ensureBinaries(undefined, { node: process.argv.includes('--node') })
    .then(({ paths }) => {
      for (const [name, p] of Object.entries(paths)) process.stdout.write(`${name}\t${p}\n`);
    })
    .catch((err: unknown) => {
      process.stderr.write(`${err instanceof Error ? err.message : String(err)}\n`);
      process.exit(1);
    });
}

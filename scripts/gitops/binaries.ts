/**
 * What the GitOps suite runs besides the pod suite's cluster, built from Go modules and cached like the
 * control plane (`<cache>/bin/<name>-<version>`, see scripts/cluster/binaries.ts):
 *
 *   argocd-<v>        github.com/argoproj/argo-cd/v3/cmd (scripts/gitops/argocd/go.mod): one binary that is
 *                     the application controller, repo-server or ApplicationSet controller by the name it
 *                     is run under; no UI (the server is not run).
 *   argocd-<v>.d/     what the binary needs beside it, from the same module: hack/git-verify-wrapper.sh
 *                     (the repo-server runs it) and manifests/crds/*.yaml.
 *   gitserver-<v>-<h> github.com/fluxcd/pkg/gittestserver, served (scripts/gitops/gitserver): the git host.
 *   miniredis-<v>-<h> github.com/alicebob/miniredis/v2 (scripts/gitops/redis): Argo CD's cache. Argo CD keeps
 *                     only caches in Redis; miniredis is the in-memory Redis Argo CD's own tests and
 *                     `argocd --core` use, a Go module like everything else here, so no apt package and no
 *                     persistence to clean up.
 *
 * `tsx scripts/gitops/binaries.ts` builds whatever is missing and prints the paths.
 */
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { binDir, fmtSeconds, goBinary, goEnv, run, withLock } from '../cluster/binaries';

const MODULES = path.resolve(__dirname);
export const ARGOCD_MODULE = path.join(MODULES, 'argocd');
const ARGOCD = 'github.com/argoproj/argo-cd/v3';

function requiredVersion(moduleDir: string, module: string): string {
  const text = fs.readFileSync(path.join(moduleDir, 'go.mod'), 'utf8');
  const m = new RegExp(`^\\s*(?:require\\s+)?${module.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')}\\s+(v\\S+)`, 'm').exec(text);
  if (!m) throw new Error(`${moduleDir}/go.mod does not require ${module}`);
  return m[1]!;
}

/** The Argo CD version built (from scripts/gitops/argocd/go.mod), e.g. "v3.6.2". */
export function argocdVersion(): string {
  return requiredVersion(ARGOCD_MODULE, ARGOCD);
}

/** The Go toolchain Argo CD needs (go.mod's `toolchain` line): fetched through the module proxy. */
function argocdToolchain(): string {
  const m = /^toolchain\s+(go\S+)/m.exec(fs.readFileSync(path.join(ARGOCD_MODULE, 'go.mod'), 'utf8'));
  if (!m) throw new Error(`${ARGOCD_MODULE}/go.mod has no toolchain line`);
  return m[1]!;
}

/** Short hash of a small tool's own sources (main.go, go.mod, go.sum): a changed tool is a new cached binary. */
function sourceHash(tool: string): string {
  const h = createHash('sha256');
  for (const f of ['main.go', 'go.mod', 'go.sum']) h.update(fs.readFileSync(path.join(MODULES, tool, f)));
  return h.digest('hex').slice(0, 12);
}

export interface GitopsBinaries {
  argocd: string;
  /** hack/git-verify-wrapper.sh of the argo-cd module. */
  gitVerifyWrapper: string;
  /** manifests/crds of the argo-cd module. */
  crds: string[];
  gitserver: string;
  redis: string;
}

export function gitopsBinaryPaths(): GitopsBinaries {
  const dir = binDir();
  const argocd = path.join(dir, `argocd-${argocdVersion()}`);
  return {
    argocd,
    gitVerifyWrapper: path.join(`${argocd}.d`, 'git-verify-wrapper.sh'),
    crds: ['application-crd.yaml', 'applicationset-crd.yaml', 'appproject-crd.yaml'].map((f) => path.join(`${argocd}.d`, 'crds', f)),
    gitserver: path.join(dir, `gitserver-${requiredVersion(path.join(MODULES, 'gitserver'), 'github.com/fluxcd/pkg/gittestserver')}-${sourceHash('gitserver')}`),
    redis: path.join(dir, `miniredis-${requiredVersion(path.join(MODULES, 'redis'), 'github.com/alicebob/miniredis/v2')}-${sourceHash('redis')}`),
  };
}

/** -X flags that make `argocd version` report the release (as argo-cd's Makefile sets them). */
function argocdLdflags(version: string): string {
  const p = `${ARGOCD}/common`;
  return ['-s', '-w', `-X ${p}.version=${version.replace(/^v/, '')}`, `-X ${p}.gitTreeState=clean`, `-X ${p}.buildDate=1970-01-01T00:00:00Z`].join(' ');
}

interface Build {
  label: string;
  /** Cached outputs; all present = nothing to build. */
  outputs: string[];
  build(tmp: string): Promise<void>;
  /** Moves what `build` wrote in `tmp` into the cache (atomically, last output last). */
  install(tmp: string): void;
}

function builds(): Build[] {
  const p = gitopsBinaryPaths();
  const version = argocdVersion();
  const argocdEnv = goEnv({ GOTOOLCHAIN: argocdToolchain() });
  const small = (name: string, target: string, dir: string): Build => ({
    label: `${name} (${path.relative(path.resolve(MODULES, '..', '..'), dir)}/go.mod)`,
    outputs: [target],
    build: (tmp) => run(goBinary(), ['build', '-trimpath', '-ldflags', '-s -w', '-o', path.join(tmp, name), '.'], { cwd: dir, env: goEnv() }),
    install: (tmp) => fs.renameSync(path.join(tmp, name), target),
  });
  return [
    {
      label: `Argo CD ${version} (${ARGOCD}/cmd via scripts/gitops/argocd/go.mod, ${argocdToolchain()})`,
      outputs: [p.gitVerifyWrapper, ...p.crds, p.argocd],
      build: async (tmp) => {
        await run(goBinary(), ['build', '-trimpath', '-ldflags', argocdLdflags(version), '-o', path.join(tmp, 'argocd'), `${ARGOCD}/cmd`], { cwd: ARGOCD_MODULE, env: argocdEnv });
        // The module's own files, from the module cache the build just filled.
        const src = execFileSync(goBinary(), ['list', '-m', '-f', '{{.Dir}}', ARGOCD], { cwd: ARGOCD_MODULE, env: argocdEnv, encoding: 'utf8' }).trim();
        fs.mkdirSync(path.join(tmp, 'argocd.d', 'crds'), { recursive: true });
        fs.copyFileSync(path.join(src, 'hack', 'git-verify-wrapper.sh'), path.join(tmp, 'argocd.d', 'git-verify-wrapper.sh'));
        fs.chmodSync(path.join(tmp, 'argocd.d', 'git-verify-wrapper.sh'), 0o755);
        for (const crd of p.crds) fs.copyFileSync(path.join(src, 'manifests', 'crds', path.basename(crd)), path.join(tmp, 'argocd.d', 'crds', path.basename(crd)));
      },
      install: (tmp) => {
        fs.rmSync(`${p.argocd}.d`, { recursive: true, force: true });
        fs.renameSync(path.join(tmp, 'argocd.d'), `${p.argocd}.d`);
        fs.renameSync(path.join(tmp, 'argocd'), p.argocd); // last: its presence means the whole build is cached
      },
    },
    small('gitserver', p.gitserver, path.join(MODULES, 'gitserver')),
    small('miniredis', p.redis, path.join(MODULES, 'redis')),
  ];
}

/** Every GitOps binary, building the missing ones (concurrent callers wait on a lock); the seconds each build took. */
export async function ensureGitopsBinaries(log: (line: string) => void = (l) => process.stdout.write(`${l}\n`)): Promise<{ paths: GitopsBinaries; built: { label: string; seconds: number }[] }> {
  const dir = binDir();
  fs.mkdirSync(dir, { recursive: true });
  const built: { label: string; seconds: number }[] = [];
  for (const b of builds()) {
    if (b.outputs.every((o) => fs.existsSync(o))) continue;
    await withLock(path.join(dir, `.lock-${path.basename(b.outputs[b.outputs.length - 1]!)}`), async () => {
      if (b.outputs.every((o) => fs.existsSync(o))) return;
      const tmp = fs.mkdtempSync(path.join(dir, '.build-'));
      const started = Date.now();
      log(`[gitops] building ${b.label}: first run on this machine, this takes a while`);
      const ticker = setInterval(() => log(`[gitops]   still building (${fmtSeconds(Date.now() - started)})`), 60_000);
      try {
        await b.build(tmp);
        b.install(tmp);
      } finally {
        clearInterval(ticker);
        fs.rmSync(tmp, { recursive: true, force: true });
      }
      const ms = Date.now() - started;
      built.push({ label: b.label, seconds: Math.round(ms / 1000) });
      log(`[gitops] built ${b.label} in ${fmtSeconds(ms)}`);
    });
  }
  if (built.length === 0) log(`[gitops] Argo CD, git server and Redis cached in ${dir} (nothing to build)`);
  return { paths: gitopsBinaryPaths(), built };
}

if (require.main === module) {
  ensureGitopsBinaries()
    .then(({ paths }) => {
      for (const [name, p] of Object.entries(paths)) process.stdout.write(`${name}\t${Array.isArray(p) ? p.join(' ') : p}\n`);
    })
    .catch((err: unknown) => {
      process.stderr.write(`${err instanceof Error ? err.message : String(err)}\n`);
      process.exit(1);
    });
}

/**
 * The in-process `helm template` renderers (tools/helm-render/helm3 and /helm4): Helm's own engine, built
 * from the Go modules of the newest release of each major, which loads a chart once and renders thousands
 * of values files in one process. They ship in the package as Go source and are built on first use into
 * `<cache>/bin/helm-render-v<version>-<hash of their sources>` (as tools/yaml2json is), so the proof in a
 * team's own project runs at this repository's speed.
 */
import { createHash } from 'node:crypto';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { cachedBinDir } from './cache';
import { buildGoTool, goBinary } from './go-build';
import { HelmMajor, HelmRelease, helmRenderModule, newestHelm, repoRoot } from './helm';

function go(args: string[], cwd: string, env: Record<string, string> = {}): string {
  const r = spawnSync(goBinary(), args, { cwd, encoding: 'utf8', env: { ...process.env, CGO_ENABLED: '0', GOFLAGS: '-buildvcs=false', ...env } });
  if (r.error || r.status !== 0) throw new Error(`go ${args.join(' ')} failed${r.stderr ? `:\n${r.stderr}` : ''}`);
  return r.stdout;
}

/**
 * The -X flags of helm's own Makefile: the version `helm version` reports and, for helm 3, the Kubernetes
 * version `helm template` assumes (that of the k8s.io/client-go in helm's go.mod; helm 4 reads it from the
 * build info by itself). Without them helm 3 assumes Kubernetes 1.20 and refuses kubeVersion ">=1.30".
 */
export function helmLdflags(release: HelmRelease, goModule: string): string {
  const mod = `${goModule}@v${release.version}`;
  const info = JSON.parse(go(['mod', 'download', '-json', mod], os.tmpdir())) as { GoMod: string };
  const clientGo = /^\s*k8s\.io\/client-go\s+v0\.(\d+)\./m.exec(fs.readFileSync(info.GoMod, 'utf8'));
  if (!clientGo) throw new Error(`${mod}: no k8s.io/client-go in its go.mod`);
  const flags = [`-X ${goModule}/internal/version.version=v${release.version}`];
  if (release.major === 3) {
    for (const p of [`${goModule}/pkg/chartutil`, `${goModule}/pkg/lint/rules`]) flags.push(`-X ${p}.k8sVersionMajor=1`, `-X ${p}.k8sVersionMinor=${clientGo[1]}`);
  }
  return flags.join(' ');
}

/** The directories a renderer is built from: its main package, the shared request loop and the YAML reader. */
export function helmRenderSources(major: HelmMajor): { moduleDir: string; sourceDirs: string[] } {
  const tools = path.join(repoRoot(), 'tools');
  return { moduleDir: helmRenderModule(major), sourceDirs: [path.join(tools, 'helm-render'), path.join(tools, 'yaml2json')] };
}

/** sha256 of every Go source of the renderer of `major` (the other major's directory left out). */
function sourceHash(major: HelmMajor): string {
  const tools = path.join(repoRoot(), 'tools');
  const hash = createHash('sha256');
  for (const dir of helmRenderSources(major).sourceDirs) {
    const files = fs
      .readdirSync(dir, { recursive: true, encoding: 'utf8' })
      .filter((f) => /\.go$|(^|\/)go\.(mod|sum)$/.test(f))
      .filter((f) => !/^helm\d\//.test(f) || f.startsWith(`helm${major}/`))
      .sort();
    for (const f of files) hash.update(`${path.relative(tools, path.join(dir, f))}\0`).update(fs.readFileSync(path.join(dir, f))).update('\0');
  }
  return hash.digest('hex').slice(0, 16);
}

/** Where the renderer of `major` is cached: `<cache>/bin/helm-render-v<version>-<source hash>`. */
export function cachedHelmRendererPath(major: HelmMajor): string {
  return path.join(cachedBinDir(), `helm-render-v${newestHelm(major).version}-${sourceHash(major)}`);
}

/** True when Go is found (the renderers can be built). */
export function goAvailable(): boolean {
  try {
    goBinary();
    return true;
  } catch {
    return false;
  }
}

/**
 * The renderer binary of `major`, built with Go into the cache unless it is there (the first build downloads
 * helm's Go modules and takes minutes; later ones are instant). Throws when Go is missing or the build fails.
 */
export function ensureHelmRenderer(major: HelmMajor): { binary: string; release: HelmRelease; built: boolean; ms: number } {
  const release = newestHelm(major);
  const binary = cachedHelmRendererPath(major);
  if (fs.existsSync(binary)) return { binary, release, built: false, ms: 0 };
  const started = Date.now();
  const { source } = release;
  if (!('goModule' in source)) throw new Error(`the newest helm ${major} must be built from Go`);
  buildGoTool({ ...helmRenderSources(major), binary, ldflags: helmLdflags(release, source.goModule) });
  return { binary, release, built: true, ms: Date.now() - started };
}

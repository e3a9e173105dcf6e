/**
 * The offline validator: tools/kube-validate, one Go source built against each supported Kubernetes
 * release (`go build -modfile=k8s-X.Y.mod`), checks objects as that release's API server checks a create
 * request (strict decoding, defaulting, the kind's registry strategy and validation), without a cluster.
 * Like yaml2json it is shipped as Go source and built once into the cache, one binary per release and
 * source version: `<cache>/bin/kube-validate-<X.Y>-<hash>`.
 */
import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { cachedBinDir } from './cache';
import { buildGoTool, goBinary } from './go-build';
import { repoRoot } from './helm';

/** tools/kube-validate, shipped in the package as Go source. */
export function kubeValidateSource(): string {
  return path.join(repoRoot(), 'tools', 'kube-validate');
}

/** The Kubernetes minors the validator is built for (its k8s-X.Y.mod files), oldest first, e.g. ["1.30", "1.37"]. */
export function kubeValidateVersions(): string[] {
  return fs
    .readdirSync(kubeValidateSource())
    .map((f) => /^k8s-(\d+\.\d+)\.mod$/.exec(f)?.[1])
    .filter((v): v is string => v !== undefined)
    .sort((a, b) => a.localeCompare(b, 'en', { numeric: true }));
}

/** The release a minor's modfile requires, e.g. "v1.30.14". */
export function kubeValidateRelease(minor: string): string {
  const text = fs.readFileSync(modFile(minor), 'utf8');
  const m = /^\s*(?:require\s+)?k8s\.io\/kubernetes\s+(v\S+)/m.exec(text);
  if (!m) throw new Error(`${modFile(minor)}: no k8s.io/kubernetes requirement`);
  return m[1]!;
}

function modFile(minor: string): string {
  const file = path.join(kubeValidateSource(), `k8s-${minor}.mod`);
  if (!fs.existsSync(file)) {
    throw new Error(`Kubernetes ${minor}: the validator is built only for ${kubeValidateVersions().join(', ')} (tools/kube-validate/k8s-X.Y.mod)`);
  }
  return file;
}

/** Normalizes "1.30", "v1.30" or "1.30.14" to a minor the validator is built for. */
export function kubeValidateMinor(version: string): string {
  const m = /^v?(\d+\.\d+)(\.\d+)?$/.exec(version.trim());
  const minor = m?.[1];
  if (minor === undefined || !kubeValidateVersions().includes(minor)) {
    throw new Error(`kubernetes: ${JSON.stringify(version)} is none of the versions validated offline (${kubeValidateVersions().join(', ')})`);
  }
  return minor;
}

const built = new Map<string, string>();

/**
 * The validator binary of a minor: $CHART_AS_CODE_KUBE_VALIDATE_<X>_<Y> if set (e.g. CHART_AS_CODE_KUBE_VALIDATE_1_30,
 * a prebuilt tools/kube-validate), else the cached build of its sources, built with Go on first use.
 */
export function kubeValidateBinary(version: string): string {
  const minor = kubeValidateMinor(version);
  const variable = `CHART_AS_CODE_KUBE_VALIDATE_${minor.replace('.', '_')}`;
  const given = process.env[variable];
  if (given) {
    if (!fs.existsSync(given)) throw new Error(`${variable}=${given}: no such file`);
    return given;
  }
  let binary = built.get(minor);
  if (binary === undefined) {
    binary = buildKubeValidate(minor).binary;
    built.set(minor, binary);
  }
  return binary;
}

/**
 * Builds the validator of a minor unless it is in the cache (needs Go and the Go module proxy, once;
 * `npm run helm:setup` does it up front). A cold build compiles a few hundred packages of k8s.io/kubernetes
 * and its staging modules: minutes on 2 cores; the Go build cache is shared with the cluster suite's.
 */
export function buildKubeValidate(version: string): { binary: string; built: boolean } {
  const minor = kubeValidateMinor(version);
  const src = kubeValidateSource();
  const files = fs
    .readdirSync(src)
    .filter((f) => f.endsWith('.go') || f === 'go.mod' || f === `k8s-${minor}.mod` || f === `k8s-${minor}.sum`)
    .sort();
  const hash = createHash('sha256');
  for (const f of files) hash.update(`${f}\0`).update(fs.readFileSync(path.join(src, f))).update('\0');
  const binary = path.join(cachedBinDir(), `kube-validate-${minor}-${hash.digest('hex').slice(0, 16)}`);
  if (fs.existsSync(binary)) return { binary, built: false };
  try {
    goBinary();
  } catch {
    throw new Error(
      `chart-as-code validates objects offline with a Go program built from Kubernetes ${kubeValidateRelease(minor)} (${src}), built once into ${cachedBinDir()}: ` +
        `install Go (https://go.dev/dl/), set CHART_AS_CODE_KUBE_VALIDATE_${minor.replace('.', '_')} to a prebuilt one, or turn the validation off (\`validate: false\`)`,
    );
  }
  return { binary, built: buildGoTool({ moduleDir: src, sourceDirs: [src], binary, modFile: `k8s-${minor}.mod`, nice: true }) };
}

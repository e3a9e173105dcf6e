/**
 * `tsx scripts/cluster/gen-gomod.ts vX.Y.Z [--check]`: (re)writes the wrapper module that builds the
 * Kubernetes binaries of k8s.io/kubernetes at a release, cluster/k8s-X.Y/ (go.mod, go.sum, tools.go). One
 * module per Kubernetes minor: the cluster suite runs on each (scripts/cluster/binaries.ts lists them).
 * To move a minor to another patch release, run it with that release; to drop a minor, delete its directory.
 *
 * k8s.io/kubernetes requires its staging modules (k8s.io/api, k8s.io/apiserver, …) at v0.0.0 and
 * replaces them with ./staging/src/... paths that exist only in its own repository. A module that
 * depends on it must replace each of them with the published module of the same release
 * (v1.35.4 -> v0.35.4). The list comes from that release's go.mod, read from the module cache
 * (`go mod download -json`). Then `go mod tidy` completes go.mod and go.sum.
 *
 * The same release also gets tools/kube-validate/k8s-X.Y.mod (and .sum): the offline validator
 * (lib/tooling/kube-validate.ts) is one Go source built against each release with `go build -modfile=`,
 * with the same staging replacements, so its packages hit the Go build cache of the cluster binaries.
 *
 * `--kube-validate` (no version): rewrites only tools/kube-validate/k8s-X.Y.mod for every cluster module.
 * `--check` (no version): only verifies that every cluster/k8s-X.Y/go.mod and tools/kube-validate/k8s-X.Y.mod
 * replaces exactly the staging modules of the release it requires, at that version.
 */
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { goBinary, kubernetesModule, kubernetesVersions, REPO_ROOT } from './binaries';

/** The offline validator's module: one main package, one modfile per Kubernetes minor. */
const KUBE_VALIDATE = path.join(REPO_ROOT, 'tools', 'kube-validate');

/** Every k8s.io/kubernetes command scripts/cluster/binaries.ts builds (control plane, and the pod suite's node). */
const COMMANDS = ['kube-apiserver', 'kube-controller-manager', 'kube-scheduler', 'kubectl', 'kubelet', 'kube-proxy'];

function go(args: string[], cwd: string): string {
  const r = spawnSync(goBinary(), args, { cwd, encoding: 'utf8', env: { ...process.env, GOFLAGS: '-buildvcs=false' } });
  if (r.status !== 0) throw new Error(`go ${args.join(' ')} failed:\n${r.stderr}`);
  return r.stdout;
}

/** Staging modules that k8s.io/kubernetes@version requires at v0.0.0. */
export function stagingModules(version: string): string[] {
  const info = JSON.parse(go(['mod', 'download', '-json', `k8s.io/kubernetes@${version}`], os.tmpdir())) as { GoMod: string };
  const text = fs.readFileSync(info.GoMod, 'utf8');
  return [...text.matchAll(/^\s+(k8s\.io\/\S+)\s+v0\.0\.0\s*$/gm)].map((m) => m[1]!).sort();
}

function stagingVersion(version: string): string {
  const m = /^v1\.(\d+\.\d+)$/.exec(version);
  if (!m) throw new Error(`expected a Kubernetes release like v1.35.4, got ${version}`);
  return `v0.${m[1]}`;
}

function minorOf(version: string): string {
  return version.replace(/^v(\d+\.\d+)\..*$/, '$1');
}

/** The `replace` block both kinds of module need: every staging module at its published release. */
function replaceBlock(staging: string[], sv: string): string[] {
  return ['replace (', ...staging.map((m) => `\t${m} => ${m} ${sv}`), ')', ''];
}

function check(version: string): string[] {
  const staging = stagingModules(version);
  return [path.join(kubernetesModule(version), 'go.mod'), path.join(KUBE_VALIDATE, `k8s-${minorOf(version)}.mod`)].map((goMod) =>
    checkModFile(goMod, version, staging),
  );
}

function checkModFile(goMod: string, version: string, staging: string[]): string {
  const sv = stagingVersion(version);
  const text = fs.readFileSync(goMod, 'utf8');
  const replaced = [...text.matchAll(/^\s+(k8s\.io\/\S+) => (k8s\.io\/\S+) (v\S+)\s*$/gm)];
  const problems = [
    ...staging.filter((m) => !replaced.some((r) => r[1] === m && r[2] === m && r[3] === sv)).map((m) => `missing: ${m} => ${m} ${sv}`),
    ...replaced.filter((r) => !staging.includes(r[1]!)).map((r) => `not a staging module of ${version}: ${r[1]}`),
  ];
  if (problems.length > 0) throw new Error(`${goMod} is out of date (run tsx scripts/cluster/gen-gomod.ts ${version}):\n${problems.join('\n')}`);
  return `${path.relative(process.cwd(), goMod)} replaces all ${staging.length} staging modules of k8s.io/kubernetes ${version} with ${sv}`;
}

function write(version: string): string {
  const staging = stagingModules(version);
  const sv = stagingVersion(version);
  const dir = kubernetesModule(version);
  fs.mkdirSync(dir, { recursive: true });
  const goMod = [
    `// Wrapper module: builds the Kubernetes binaries of k8s.io/kubernetes ${version} from Go modules`,
    `// (${COMMANDS.join(', ')}),`,
    '// for the cluster test suite (scripts/cluster/, test/cluster/) and the pod suite (scripts/node/).',
    '//',
    '// k8s.io/kubernetes requires its staging modules at v0.0.0 and replaces them with ./staging/... paths',
    `// that do not exist outside its own repository, so each one is replaced here by its published ${sv}`,
    `// module. Generated from k8s.io/kubernetes@${version}'s go.mod by scripts/cluster/gen-gomod.ts.`,
    `module chart-as-code/cluster/k8s-${minorOf(version)}`,
    '',
    'go 1.25.0',
    '',
    `require k8s.io/kubernetes ${version}`,
    '',
    ...replaceBlock(staging, sv),
  ].join('\n');
  fs.writeFileSync(path.join(dir, 'go.mod'), goMod);
  const tools = [
    '//go:build tools',
    '',
    '// Package tools pins the upstream main packages scripts/cluster/binaries.ts builds from this module',
    "// (`go build k8s.io/kubernetes/cmd/<name>`), so `go mod tidy` records every dependency they need. The",
    '// build tag keeps it out of normal builds: main packages cannot really be imported.',
    'package tools',
    '',
    'import (',
    ...COMMANDS.map((c) => `\t_ "k8s.io/kubernetes/cmd/${c}"`),
    ')',
    '',
  ].join('\n');
  fs.writeFileSync(path.join(dir, 'tools.go'), tools);
  go(['mod', 'tidy'], dir);
  const validator = writeKubeValidate(version, staging, sv);
  return `wrote ${path.relative(process.cwd(), dir)} and ${validator} for k8s.io/kubernetes ${version} (${staging.length} staging modules at ${sv}); go mod tidy done`;
}

/** tools/kube-validate/k8s-X.Y.mod: the validator's requirements at this release, tidied for its imports. */
function writeKubeValidate(version: string, staging: string[], sv: string): string {
  const modFile = `k8s-${minorOf(version)}.mod`;
  const text = [
    `// The offline validator (main.go) built against k8s.io/kubernetes ${version}: \`go build -modfile=${modFile}\`.`,
    `// Its staging modules are replaced by their published ${sv} releases, as in cluster/k8s-${minorOf(version)}/go.mod.`,
    '// Generated by scripts/cluster/gen-gomod.ts.',
    'module chart-as-code/tools/kube-validate',
    '',
    'go 1.22',
    '',
    `require k8s.io/kubernetes ${version}`,
    '',
    ...replaceBlock(staging, sv),
  ].join('\n');
  fs.writeFileSync(path.join(KUBE_VALIDATE, modFile), text);
  fs.rmSync(path.join(KUBE_VALIDATE, `k8s-${minorOf(version)}.sum`), { force: true });
  go(['mod', 'tidy', `-modfile=${modFile}`], KUBE_VALIDATE);
  return path.relative(process.cwd(), path.join(KUBE_VALIDATE, modFile));
}

function main(): void {
  const args = process.argv.slice(2);
  const version = args.find((a) => a.startsWith('v'));
  if (args.includes('--kube-validate')) {
    // Only the validator's modfiles, for every release the cluster modules require.
    for (const v of kubernetesVersions()) process.stdout.write(`wrote ${writeKubeValidate(v, stagingModules(v), stagingVersion(v))}\n`);
    return;
  }
  if (args.includes('--check')) {
    for (const v of kubernetesVersions()) process.stdout.write(`${check(v).join('\n')}\n`);
    return;
  }
  if (!version) throw new Error('usage: tsx scripts/cluster/gen-gomod.ts vX.Y.Z | --kube-validate | --check');
  process.stdout.write(`${write(version)}\n`);
}

if (require.main === module) {
  try {
    main();
  } catch (err) {
    process.stderr.write(`${err instanceof Error ? err.message : String(err)}\n`);
    process.exit(1);
  }
}

/**
 * `tsx scripts/cluster/gen-gomod.ts [vX.Y.Z] [--check]`: (re)writes cluster/go.mod for building the
 * control plane of k8s.io/kubernetes at a version (default: the one cluster/go.mod requires now).
 *
 * k8s.io/kubernetes requires its staging modules (k8s.io/api, k8s.io/apiserver, …) at v0.0.0 and
 * replaces them with ./staging/src/... paths that exist only in its own repository. A module that
 * depends on it must replace each of them with the published module of the same release
 * (v1.35.4 -> v0.35.4). The list comes from that release's go.mod, read from the module cache
 * (`go mod download -json`). Then `go mod tidy` completes go.mod and go.sum.
 *
 * --check: only verifies that cluster/go.mod replaces exactly those modules, at that version.
 */
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { CLUSTER_MODULE, goBinary, kubernetesVersion } from './binaries';

function go(args: string[], cwd: string): string {
  const r = spawnSync(goBinary(), args, { cwd, encoding: 'utf8', env: { ...process.env, GOFLAGS: '-buildvcs=false' } });
  if (r.status !== 0) throw new Error(`go ${args.join(' ')} failed:\n${r.stderr}`);
  return r.stdout;
}

/** Staging modules that k8s.io/kubernetes@version requires at v0.0.0. */
export function stagingModules(version: string): string[] {
  const info = JSON.parse(go(['mod', 'download', '-json', `k8s.io/kubernetes@${version}`], CLUSTER_MODULE)) as { GoMod: string };
  const text = fs.readFileSync(info.GoMod, 'utf8');
  return [...text.matchAll(/^\s+(k8s\.io\/\S+)\s+v0\.0\.0\s*$/gm)].map((m) => m[1]!).sort();
}

function stagingVersion(version: string): string {
  const m = /^v1\.(\d+\.\d+)$/.exec(version);
  if (!m) throw new Error(`expected a Kubernetes release like v1.35.4, got ${version}`);
  return `v0.${m[1]}`;
}

function main(): void {
  const args = process.argv.slice(2);
  const check = args.includes('--check');
  const version = args.find((a) => a.startsWith('v')) ?? kubernetesVersion();
  const staging = stagingModules(version);
  const sv = stagingVersion(version);
  const goMod = path.join(CLUSTER_MODULE, 'go.mod');
  if (check) {
    const text = fs.readFileSync(goMod, 'utf8');
    const replaced = [...text.matchAll(/^\s+(k8s\.io\/\S+) => (k8s\.io\/\S+) (v\S+)\s*$/gm)];
    const problems = [
      ...staging.filter((m) => !replaced.some((r) => r[1] === m && r[2] === m && r[3] === sv)).map((m) => `missing: ${m} => ${m} ${sv}`),
      ...replaced.filter((r) => !staging.includes(r[1]!)).map((r) => `not a staging module of ${version}: ${r[1]}`),
    ];
    if (problems.length > 0) throw new Error(`cluster/go.mod is out of date (run tsx scripts/cluster/gen-gomod.ts ${version}):\n${problems.join('\n')}`);
    process.stdout.write(`cluster/go.mod replaces all ${staging.length} staging modules of k8s.io/kubernetes ${version} with ${sv}\n`);
    return;
  }
  const header = fs.readFileSync(goMod, 'utf8').split('\n').filter((l) => l.startsWith('//')).join('\n');
  const body = [
    'module chart-as-code/cluster',
    '',
    'go 1.25.0',
    '',
    `require k8s.io/kubernetes ${version}`,
    '',
    'replace (',
    ...staging.map((m) => `\t${m} => ${m} ${sv}`),
    ')',
    '',
  ].join('\n');
  fs.writeFileSync(goMod, `${header}\n${body}`);
  go(['mod', 'tidy'], CLUSTER_MODULE);
  process.stdout.write(`wrote cluster/go.mod for k8s.io/kubernetes ${version} (${staging.length} staging modules at ${sv}); go mod tidy done\n`);
}

if (require.main === module) {
  try {
    main();
  } catch (err) {
    process.stderr.write(`${err instanceof Error ? err.message : String(err)}\n`);
    process.exit(1);
  }
}

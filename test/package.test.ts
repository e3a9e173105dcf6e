/**
 * The library in a platform team's hands (issue 10), outside this repository: `npm pack`, install the
 * tarball into a fresh project with npm (cdk8s, constructs, cdk8s-plus-28, zod, typescript), type-check a
 * strict TypeScript app that composes the constructs (CommonJS and ESM `nodenext`), `npx cdk8s synth` it,
 * write its Helm chart, lint it with helm 3 and 4 and prove it equal to raw synthesis with the exported checks.
 */
import { spawnSync, SpawnSyncReturns } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { HELM_MAJORS, runHelm } from '../lib/tooling/helm';
import { parseStream } from './support/render';

const root = path.resolve(__dirname, '..');
const lock = JSON.parse(fs.readFileSync(path.join(root, 'package-lock.json'), 'utf8')) as { packages: Record<string, { version: string }> };
/** The versions this repository is tested with, so the project installs what the npm cache already holds. */
const pinned = (name: string) => `${name}@${lock.packages[`node_modules/${name}`]!.version}`;

let work = '';
let project = '';

function run(cmd: string, args: string[], cwd = project, env: Record<string, string> = {}): SpawnSyncReturns<string> {
  return spawnSync(cmd, args, { cwd, encoding: 'utf8', env: { ...process.env, ...env }, timeout: 600_000 });
}

function ok(r: SpawnSyncReturns<string>, what: string): string {
  if (r.status !== 0) throw new Error(`${what} failed (exit ${r.status}):\n${r.stderr}\n${r.stdout}`);
  return r.stdout;
}

beforeAll(() => {
  work = fs.mkdtempSync(path.join(os.tmpdir(), 'chart-as-code-package-'));
  project = path.join(work, 'platform');
  fs.mkdirSync(project);
  const packed = ok(run('npm', ['pack', '--pack-destination', work, '--json'], root), 'npm pack');
  const tarball = path.join(work, (JSON.parse(packed) as { filename: string }[])[0]!.filename);
  fs.writeFileSync(path.join(project, 'package.json'), JSON.stringify({ name: 'platform', private: true, type: 'commonjs' }));
  const deps = ['cdk8s', 'constructs', 'cdk8s-plus-28', 'zod', 'typescript', 'tsx', 'fast-check', 'cdk8s-cli', '@types/node'].map(pinned);
  ok(run('npm', ['install', '--no-audit', '--no-fund', '--prefer-offline', tarball, ...deps]), 'npm install');
  for (const f of fs.readdirSync(path.join(root, 'examples', 'platform-chart'))) fs.copyFileSync(path.join(root, 'examples', 'platform-chart', f), path.join(project, f));
}, 900_000);

afterAll(() => {
  if (work) fs.rmSync(work, { recursive: true, force: true });
});

describe('the packed library, installed into a fresh project', () => {
  it('holds compiled JavaScript and declarations only: no sources, tests, bench or scripts', () => {
    const files = ok(run('npm', ['pack', '--dry-run', '--json'], root), 'npm pack --dry-run');
    const listed = (JSON.parse(files) as { files: { path: string }[] }[])[0]!.files.map((f) => f.path);
    expect(listed).toContain('build/lib/index.js');
    expect(listed).toContain('build/lib/index.d.ts');
    expect(listed.filter((f) => !/^build\/lib\/.*\.(js|d\.ts)$/.test(f) && !['package.json', 'README.md'].includes(f))).toEqual([]);
    const manifest = JSON.parse(fs.readFileSync(path.join(project, 'node_modules', 'chart-as-code', 'package.json'), 'utf8')) as Record<string, unknown>;
    expect(manifest.private).toBeUndefined();
    expect(Object.keys(manifest.peerDependencies as object).sort()).toEqual(['cdk8s', 'constructs', 'zod']);
  });

  it('type-checks a strict app that composes the constructs (CommonJS)', () => {
    ok(run(path.join(project, 'node_modules', '.bin', 'tsc'), ['-p', 'tsconfig.json']), 'tsc (commonjs)');
  });

  it('type-checks and runs from an ESM project (module nodenext)', () => {
    fs.writeFileSync(
      path.join(project, 'esm.mts'),
      `import { defineChart, MdIcapsrv, mdIcapsrvValues, synthObjects } from 'chart-as-code';
import { z } from 'zod';
const chart = defineChart({
  name: 'esm',
  schema: z.object({ icap: mdIcapsrvValues.prefault({}) }).strict(),
  metadata: { version: '1.0.0', appVersion: '1', description: 'ESM' },
  build: (scope, values) => { new MdIcapsrv(scope, 'icap', values.icap); },
});
console.log(synthObjects({ chart }).objects.length);
`,
    );
    fs.writeFileSync(
      path.join(project, 'tsconfig.esm.json'),
      JSON.stringify({ compilerOptions: { target: 'ES2022', module: 'nodenext', moduleResolution: 'nodenext', strict: true, outDir: 'esm-out', skipLibCheck: false, types: ['node'] }, files: ['esm.mts'] }),
    );
    ok(run(path.join(project, 'node_modules', '.bin', 'tsc'), ['-p', 'tsconfig.esm.json']), 'tsc (nodenext)');
    const out = ok(run(process.execPath, [path.join(project, 'esm-out', 'esm.mjs')]), 'node esm.mjs');
    expect(Number(out.trim())).toBeGreaterThan(10);
  });

  it('synthesizes with npx cdk8s synth', () => {
    ok(run('npx', ['cdk8s', 'synth', '--check-upgrade', 'false']), 'npx cdk8s synth');
    const objects = parseStream(fs.readFileSync(path.join(project, 'dist', 'scanning-platform.k8s.yaml'), 'utf8'));
    const names = objects.map((o) => `${o.kind}/${o.metadata.name}`);
    expect(names).toContain('Deployment/md-icapsrv');
    expect(names).toContain('Deployment/md-core');
    expect(names).toContain('Deployment/scanning-platform-web');
    for (const o of objects) expect(o.metadata.namespace, `${o.kind}/${o.metadata.name}`).toBe('scanning');
  });

  it.each(HELM_MAJORS.map((m) => [m] as const))('writes a Helm chart that helm %i lints', (major) => {
    ok(run('npx', ['tsx', 'write-chart.ts', 'charts']), 'write-chart.ts');
    const lint = runHelm(major, ['lint', '--strict', path.join(project, 'charts', 'scanning-platform')]);
    expect(lint.stdout + lint.stderr).toContain('0 chart(s) failed');
  });
});

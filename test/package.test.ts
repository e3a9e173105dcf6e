/**
 * The library in a platform team's hands (issue 10), outside this repository: `npm pack`, install the
 * tarball into a fresh project with npm (cdk8s, constructs, cdk8s-plus-28, zod, typescript), type-check a
 * strict TypeScript app that composes the constructs (CommonJS and ESM `nodenext`) with the TypeScript this
 * repository pins (5.9) and the newest major (7), `npx cdk8s synth` it, write its Helm chart, lint it with
 * helm 3 and 4 and prove it equal to raw synthesis with the exported checks (chart-as-code/proof under
 * node:test, with the in-process renderers and the YAML reader built with Go from the package's sources into
 * the project's own cache, and with helm CLIs from the npm packages that ship them).
 */
import { spawnSync, SpawnSyncReturns } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { HELM_MAJORS, HELM_PACKAGES, helmName, newestHelm, runHelm } from '../lib/tooling/helm';
import { parseStream } from './support/render';

const root = path.resolve(__dirname, '..');
const lock = JSON.parse(fs.readFileSync(path.join(root, 'package-lock.json'), 'utf8')) as { packages: Record<string, { version: string }> };
/** The versions this repository is tested with, so the project installs what the npm cache already holds. */
const pinned = (name: string) => `${name}@${lock.packages[`node_modules/${name}`]!.version}`;

/** Random cases per proof in the fresh project: in-process renderers (the default), and helm CLIs (one process per case and major). */
const PROOF_RUNS = 100;
const CLI_PROOF_RUNS = 20;

/**
 * The consumer project's TypeScript: the version this repository pins (installed in the project) and the
 * newest major (TypeScript 7, the native compiler: it removed `moduleResolution: node10`), installed next to
 * it and run on the same project.
 */
const TYPESCRIPTS = [lock.packages['node_modules/typescript']!.version, '7.0.2'] as const;
/** The in-process renderers' names, as the proof logs them. */
const IN_PROCESS = HELM_MAJORS.map((m) => `in-process ${helmName(newestHelm(m))}`).join(', ');

let work = '';
let project = '';

/** The tsc of a TypeScript version: the project's own (the pinned one), or one installed beside the project. */
function tsc(version: string): string {
  return version === TYPESCRIPTS[0] ? path.join(project, 'node_modules', '.bin', 'tsc') : path.join(work, `typescript-${version}`, 'node_modules', '.bin', 'tsc');
}

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
  const deps = [
    'cdk8s',
    'constructs',
    'cdk8s-plus-28',
    'zod',
    'typescript',
    'tsx',
    'fast-check',
    'cdk8s-cli',
    '@types/node',
    ...Object.values(HELM_PACKAGES),
  ].map(pinned);
  ok(run('npm', ['install', '--no-audit', '--no-fund', '--prefer-offline', tarball, ...deps]), 'npm install');
  for (const version of TYPESCRIPTS.slice(1)) {
    const dir = path.join(work, `typescript-${version}`);
    fs.mkdirSync(dir);
    fs.writeFileSync(path.join(dir, 'package.json'), JSON.stringify({ name: `typescript-${version}`, private: true }));
    ok(run('npm', ['install', '--no-audit', '--no-fund', '--prefer-offline', `typescript@${version}`], dir), `npm install typescript@${version}`);
  }
  for (const f of fs.readdirSync(path.join(root, 'examples', 'platform-chart'))) fs.copyFileSync(path.join(root, 'examples', 'platform-chart', f), path.join(project, f));
}, 900_000);

afterAll(() => {
  if (work) fs.rmSync(work, { recursive: true, force: true });
});

describe('the packed library, installed into a fresh project', () => {
  it('holds compiled JavaScript, declarations, the shell scripts, the Go sources of its tools, the example and the documents its README links to: no tests, bench or scripts', () => {
    const files = ok(run('npm', ['pack', '--dry-run', '--json'], root), 'npm pack --dry-run');
    const listed = (JSON.parse(files) as { files: { path: string }[] }[])[0]!.files.map((f) => f.path);
    expect(listed).toContain('build/lib/index.js');
    expect(listed).toContain('build/lib/index.d.ts');
    expect(listed).toContain('build/lib/proof/index.d.ts');
    // The Go tools built on first use: the YAML reader, the in-process renderers, the one-step swap of output
    // directories, and the validator (one modfile per Kubernetes version).
    const validator = fs
      .readdirSync(path.join(root, 'tools', 'kube-validate'))
      .filter((f) => /\.go$|^go\.mod$|^k8s-\d+\.\d+\.(mod|sum)$/.test(f))
      .map((f) => `tools/kube-validate/${f}`);
    expect(validator.length).toBeGreaterThanOrEqual(6);
    expect(listed.filter((f) => f.startsWith('tools/')).sort()).toEqual(
      [
        'tools/helm-render/go.mod',
        'tools/helm-render/go.sum',
        'tools/helm-render/helm3/go.mod',
        'tools/helm-render/helm3/go.sum',
        'tools/helm-render/helm3/main.go',
        'tools/helm-render/helm4/go.mod',
        'tools/helm-render/helm4/go.sum',
        'tools/helm-render/helm4/main.go',
        'tools/helm-render/serve.go',
        'tools/rename-exchange/go.mod',
        'tools/rename-exchange/main.go',
        'tools/yaml2json/go.mod',
        'tools/yaml2json/go.sum',
        'tools/yaml2json/k8syaml/k8syaml.go',
        'tools/yaml2json/main.go',
        ...validator,
      ].sort(),
    );
    // The shell scripts the constructs embed, read at synthesis from lib/ (lib/core/shell-script.ts).
    expect(listed).toContain('lib/constructs/credentials-generate.sh');
    expect(listed.filter((f) => f.startsWith('examples/')).sort()).toEqual([
      'examples/platform-app.ts',
      'examples/platform-chart/cdk8s.yaml',
      'examples/platform-chart/chart.ts',
      'examples/platform-chart/main.ts',
      'examples/platform-chart/tsconfig.json',
      'examples/platform-chart/write-chart.ts',
    ]);
    const documents = (f: string) => /^(charts\/[^/]+\/README\.md|docs\/[^/]+\.md|bench\/(README|latest)\.md|cluster\/README\.md)$/.test(f);
    expect(
      listed.filter(
        (f) => !/^build\/lib\/.*\.(js|d\.ts)$/.test(f) && !/^lib\/.*\.sh$/.test(f) && !/^(tools|examples)\//.test(f) && !documents(f) && !['package.json', 'README.md', 'LICENSE', 'CHANGELOG.md'].includes(f),
      ),
    ).toEqual([]);
    const manifest = JSON.parse(fs.readFileSync(path.join(project, 'node_modules', 'chart-as-code', 'package.json'), 'utf8')) as Record<string, unknown>;
    expect(manifest.private).toBeUndefined();
    expect(Object.keys(manifest.peerDependencies as object).sort()).toEqual(['cdk8s', 'constructs', 'fast-check', 'zod']);
    expect(manifest.peerDependenciesMeta).toEqual({ 'fast-check': { optional: true } });
  });

  it('links from its README only to files it holds', () => {
    const installed = path.join(project, 'node_modules', 'chart-as-code');
    const readme = fs.readFileSync(path.join(installed, 'README.md'), 'utf8');
    const links = [...readme.matchAll(/\]\(([^)#\s]+)(?:#[^)]*)?\)/g)].map((m) => m[1]!).filter((l) => !/^[a-z]+:/.test(l));
    expect(links.length).toBeGreaterThan(5);
    expect(links.filter((l) => !fs.existsSync(path.join(installed, l)))).toEqual([]);
  });

  it.each(TYPESCRIPTS.map((v) => [v] as const))('type-checks the shipped example, a strict app that composes the constructs (CommonJS), with TypeScript %s', (version) => {
    expect(ok(run(tsc(version), ['-v']), `tsc ${version} -v`)).toContain(`Version ${version}`);
    // The example's own tsconfig.json, as shipped (copied into the project).
    ok(run(tsc(version), ['-p', 'tsconfig.json']), `tsc ${version} (commonjs)`);
  });

  it.each(TYPESCRIPTS.map((v) => [v] as const))('type-checks and runs from an ESM project (module nodenext) with TypeScript %s', (version) => {
    fs.writeFileSync(
      path.join(project, 'esm.mts'),
      `import * as fs from 'node:fs';
import { defineChart, MdIcapsrv, mdIcapsrvValues, synthManifests } from 'chart-as-code';
import { expectEquivalent, type EquivalenceOptions } from 'chart-as-code/proof';
import { z } from 'zod';
const chart = defineChart({
  name: 'esm',
  schema: z.object({ icap: mdIcapsrvValues.prefault({}) }).strict(),
  metadata: { version: '1.0.0', appVersion: '1', description: 'ESM' },
  build: (scope, values) => { new MdIcapsrv(scope, 'icap', values.icap); },
});
const options: EquivalenceOptions = { runs: 1 };
const [file] = synthManifests([{ chart, values: { icap: { replicaCount: 2 } } }], 'esm-dist');
console.log(fs.readFileSync(\`esm-dist/\${file}\`, 'utf8').match(/^kind: /gm)?.length, typeof expectEquivalent, options.runs);
`,
    );
    fs.writeFileSync(
      path.join(project, 'tsconfig.esm.json'),
      JSON.stringify({ compilerOptions: { target: 'ES2022', module: 'nodenext', moduleResolution: 'nodenext', strict: true, outDir: 'esm-out', skipLibCheck: false, types: ['node'] }, files: ['esm.mts'] }),
    );
    const outDir = `esm-out-${version}`;
    ok(run(tsc(version), ['-p', 'tsconfig.esm.json', '--outDir', outDir]), `tsc ${version} (nodenext)`);
    const out = ok(run(process.execPath, [path.join(project, outDir, 'esm.mjs')]), 'node esm.mjs');
    const [objects, proof, runs] = out.trim().split(' ');
    expect(Number(objects)).toBeGreaterThan(10);
    expect([proof, runs]).toEqual(['function', '1']);
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

  it('is the whole tool: npx chart-as-code synth, charts, package and check on the project\'s own chart module', () => {
    const cli = (args: string[]) => run('npx', ['chart-as-code', ...args]);
    expect(ok(cli(['--version']), 'chart-as-code --version').trim()).toMatch(/^\d+\.\d+\.\d+/);
    // The .ts chart module is loaded with the project's tsx; the charts import the package by its name.
    ok(cli(['synth', '--charts', 'chart.ts', '--out', 'cli-dist']), 'chart-as-code synth');
    expect(fs.existsSync(path.join(project, 'cli-dist', 'scanning-platform.k8s.yaml'))).toBe(true);
    ok(cli(['charts', '--charts', 'chart.ts', '--out', 'cli-charts']), 'chart-as-code charts');
    expect(fs.existsSync(path.join(project, 'cli-charts', 'scanning-platform', 'values.schema.json'))).toBe(true);
    expect(ok(cli(['package', '--charts', 'chart.ts', '--out', 'cli-packages']), 'chart-as-code package')).toContain('scanning-platform 1.0.0: new chart');
    // An unbumped change is refused, naming the file that defines the chart.
    const source = fs.readFileSync(path.join(project, 'chart.ts'), 'utf8');
    try {
      fs.writeFileSync(path.join(project, 'chart.ts'), source.replace("replicas: 2,", 'replicas: 3,'));
      const refused = cli(['check', '--charts', 'chart.ts', '--against', 'cli-packages']);
      expect(refused.status).toBe(1);
      expect(refused.stderr).toContain("bump the version in chart.ts (metadata.version of defineChart({ name: 'scanning-platform' }))");
      const diff = cli(['diff', '--charts', 'chart.ts', '--against', 'cli-packages']);
      expect(diff.status).toBe(1);
      expect(diff.stdout).toMatch(/~ Deployment default\/release-web\n\s+spec\.replicas: 2 -> 3\n/);
    } finally {
      fs.writeFileSync(path.join(project, 'chart.ts'), source);
    }
  });

  it('loads no fast-check from the main entry, and names the package when the proof needs it', () => {
    const loaded = ok(
      run(process.execPath, ['-e', "require('chart-as-code'); console.log(Object.keys(require.cache).filter((f) => f.includes('/node_modules/fast-check/')).length)"]),
      'require chart-as-code',
    );
    expect(loaded.trim()).toBe('0');
    const fastCheck = path.join(project, 'node_modules', 'fast-check');
    const hidden = path.join(project, 'node_modules', '.fast-check-hidden');
    fs.renameSync(fastCheck, hidden);
    try {
      const r = run(process.execPath, ['-e', "require('chart-as-code/proof')"]);
      expect(r.status).toBe(1);
      expect(r.stderr).toContain('chart-as-code/proof needs fast-check (an optional peer dependency): npm install --save-dev fast-check');
    } finally {
      fs.renameSync(hidden, fastCheck);
    }
  });

  it('proves its chart with expectEquivalent and expectSchemaParity under node:test with the in-process renderers it builds, and catches broken charts', () => {
    fs.writeFileSync(
      path.join(project, 'proof.test.ts'),
      `import assert from 'node:assert/strict';
import { test } from 'node:test';
import { defineChart, KubeObject, Render, rule, text } from 'chart-as-code';
import { expectEquivalent, expectSchemaParity } from 'chart-as-code/proof';
import { z } from 'zod';
import { platformChart } from './chart';

// PROOF_CLI=1: the helm CLIs, one process per case (what the proof falls back to without Go).
const inProcess = process.env.PROOF_CLI !== '1';
const RUNS = Number(process.env.PROOF_RUNS ?? 20);

test('the platform chart renders the same objects with helm as raw synthesis', async () => {
  // Every object of the defaults and of the random values validated for Kubernetes (the default).
  const r = await expectEquivalent(platformChart, { runs: RUNS, inProcess });
  console.log(\`proof: \${r.runs} random valid values, \${r.renderers.join(', ')}, valid for Kubernetes \${r.kubernetes?.join(', ')}\`);
});

test('zod and values.schema.json refuse the same values', async () => {
  const r = await expectSchemaParity(platformChart, { runs: RUNS, inProcess });
  console.log(\`proof: \${r.runs} random invalid values, \${r.renderers.join(', ')}\`);
});

const greeting = z.object({ greeting: z.string().min(1).max(20).default('hi'), replicas: z.number().int().min(0).max(10).default(1) }).strict();
const metadata = { version: '1.0.0', appVersion: '1', description: 'broken on purpose' };

test('a chart that computes a string from a value in JavaScript fails the equivalence proof', async () => {
  const shouting = defineChart({
    name: 'shouting',
    schema: greeting,
    metadata,
    build: (scope, values) => {
      const namespace = text(Render.of(scope).release.namespace);
      new KubeObject(scope, 'cm', { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'greeting', namespace }, data: { greeting: text(values.greeting).toUpperCase() } });
    },
  });
  await assert.rejects(expectEquivalent(shouting, { runs: RUNS, inProcess }), /greeting\\.data\\.greeting: raw "HI" vs helm "hi"/);
});

test('a rule whose JSON Schema does not say what its zod check says fails the schema-parity proof', async () => {
  const lenient = defineChart({
    name: 'lenient',
    schema: rule(greeting, (v) => v.replicas <= v.greeting.length, { message: 'no more replicas than letters', jsonSchema: {}, counterexample: { greeting: 'a', replicas: 2 } }),
    metadata,
    build: () => undefined,
  });
  // 1 in 6 random invalid values breaks the rule; this seed's 60 include some.
  await assert.rejects(expectSchemaParity(lenient, { runs: 60, seed: 1, inProcess }), /\\(seed 1: [\\s\\S]*\\n(in-process )?helm 4\\.\\d+\\.\\d+ accepted the values/);
});
`,
    );
    for (const version of TYPESCRIPTS) ok(run(tsc(version), ['-p', 'tsconfig.json']), `tsc ${version} (with proof.test.ts)`);
    // A cache of the project's own: the YAML reader and the renderers are built there from the package's Go sources.
    const started = Date.now();
    const r = run(path.join(project, 'node_modules', '.bin', 'tsx'), ['--test', 'proof.test.ts'], project, {
      CHART_AS_CODE_CACHE: path.join(work, 'cache'),
      PROOF_RUNS: String(PROOF_RUNS),
    });
    const output = `${r.stdout}\n${r.stderr}`;
    expect(r.status, output).toBe(0);
    expect(output).toMatch(/# pass 4\n/);
    expect(output).toContain(`proof: ${PROOF_RUNS} random valid values, ${IN_PROCESS}, valid for Kubernetes 1.30, 1.37`);
    expect(output).toContain(`proof: ${PROOF_RUNS} random invalid values, ${IN_PROCESS}`);
    // The log line names the renderers it proved with.
    expect(output).toContain(`[proof] scanning-platform: raw synthesis vs helm template (${IN_PROCESS}), validated for Kubernetes 1.30, 1.37, random valid values: ${PROOF_RUNS} cases`);
    expect(output).toMatch(/\[proof\] built the in-process renderer of helm 3\.\d+\.\d+ in \d+ s \(once\)/);
    const bin = fs.readdirSync(path.join(work, 'cache', 'bin'));
    // The validator, built from the package's Go sources for each Kubernetes version (expectEquivalent validates).
    expect(fs.readdirSync(path.join(work, 'cache', 'bin')).filter((f) => f.startsWith('kube-validate-')).map((f) => f.replace(/-[0-9a-f]{16}$/, ''))).toEqual([
      'kube-validate-1.30',
      'kube-validate-1.37',
    ]);
    expect(bin.filter((f) => f.startsWith('yaml2json-'))).toHaveLength(1);
    expect(bin.filter((f) => f.startsWith('helm-render-')).sort()).toEqual(HELM_MAJORS.map((m) => expect.stringMatching(new RegExp(`^helm-render-v${newestHelm(m).version.replace(/\./g, '\\.')}-[0-9a-f]{16}$`))));
    console.log(`in-process proof, renderers built (cold cache): ${((Date.now() - started) / 1000).toFixed(0)} s\n${output.split('\n').filter((l) => l.includes('[proof]')).join('\n')}`);
  });

  it('falls back to the helm CLIs when told to (as without Go), naming them and why in the log line', () => {
    const r = run(path.join(project, 'node_modules', '.bin', 'tsx'), ['--test', 'proof.test.ts'], project, {
      CHART_AS_CODE_CACHE: path.join(work, 'cache'),
      PROOF_CLI: '1',
      PROOF_RUNS: String(CLI_PROOF_RUNS),
    });
    const output = `${r.stdout}\n${r.stderr}`;
    expect(r.status, output).toBe(0);
    expect(output).toMatch(/# pass 4\n/);
    expect(output).toContain(`proof: ${CLI_PROOF_RUNS} random valid values, helm 3.17.2, helm 4.1.4`);
    expect(output).toContain(
      `[proof] scanning-platform: raw synthesis vs helm template (helm 3.17.2, helm 4.1.4; helm CLIs, one process per case: inProcess: false), validated for Kubernetes 1.30, 1.37, random valid values: ${CLI_PROOF_RUNS} cases`,
    );
    console.log(output.split('\n').filter((l) => l.includes('[proof]')).join('\n'));
  });

  it('names the YAML reader it cannot find', () => {
    fs.writeFileSync(
      path.join(project, 'no-reader.ts'),
      `import { expectEquivalent } from 'chart-as-code/proof';
import { platformChart } from './chart';
expectEquivalent(platformChart, { runs: 1 }).then(
  () => process.exit(0),
  (e: Error) => {
    console.error(e.message);
    process.exit(1);
  },
);
`,
    );
    const missing = path.join(work, 'no-such-yaml2json');
    const r = run(path.join(project, 'node_modules', '.bin', 'tsx'), ['no-reader.ts'], project, { CHART_AS_CODE_YAML2JSON: missing, CHART_AS_CODE_CACHE: path.join(work, 'cache') });
    expect(r.status).toBe(1);
    expect(r.stderr.trim()).toBe(`CHART_AS_CODE_YAML2JSON=${missing}: no such file`);
  });
});

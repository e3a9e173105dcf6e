/**
 * The `chart-as-code` command line as a platform team runs it on its own charts: the real CLI in a child
 * process (`tsx lib/cli/index.ts ...`), in a project folder holding a chart module and a package.json entry,
 * through synth -> charts -> package -> check (an unbumped change refused, naming defineChart) -> diff.
 */
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const root = path.join(__dirname, '..');
const tsx = path.join(root, 'node_modules', '.bin', 'tsx');
const cliEntry = path.join(root, 'lib', 'cli', 'index.ts');
const COMMANDS = ['synth', 'charts', 'package', 'publish', 'check', 'diff'];

function cli(args: string[], cwd = root) {
  const r = spawnSync(tsx, [cliEntry, ...args], { cwd, encoding: 'utf8', timeout: 120_000, env: { ...process.env, CHART_AS_CODE_DEBUG: '' } });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

/** A tiny chart module: a ConfigMap whose greeting is a value, and a Deployment selecting pods by `selector`. */
function chartSource(version: string, greeting: string, selector = 'tiny'): string {
  return `import { z } from 'zod';
import { defineChart, KubeObject, Render, text } from '../lib/index';

export const tiny = defineChart({
  name: 'tiny',
  schema: z.object({ greeting: z.string().default('${greeting}').describe('What the ConfigMap says.') }).strict(),
  metadata: { version: '${version}', appVersion: '1.0', description: 'A tiny chart.' },
  build: (scope, values) => {
    const namespace = text(Render.of(scope).release.namespace);
    new KubeObject(scope, 'cm', { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'tiny', namespace }, data: { greeting: text(values.greeting) } });
    const labels = { app: '${selector}' };
    new KubeObject(scope, 'web', {
      apiVersion: 'apps/v1',
      kind: 'Deployment',
      metadata: { name: 'tiny', namespace },
      spec: { selector: { matchLabels: labels }, template: { metadata: { labels }, spec: { containers: [{ name: 'web', image: 'nginx:1.27' }] } } },
    });
  },
});
`;
}

describe('chart-as-code CLI', () => {
  // Inside the repository, so the module's imports (zod, ../lib) resolve as in a project that installed the package.
  let project: string;
  beforeAll(() => {
    project = fs.mkdtempSync(path.join(root, '.cli-test-'));
    fs.writeFileSync(path.join(project, 'package.json'), JSON.stringify({ name: 'platform', private: true, 'chart-as-code': { charts: 'charts.ts', out: 'helm' } }));
    fs.writeFileSync(path.join(project, 'charts.ts'), chartSource('1.0.0', 'hello'));
  });
  afterAll(() => fs.rmSync(project, { recursive: true, force: true }));

  it('--version and --help, for every command', () => {
    const version = (JSON.parse(fs.readFileSync(path.join(root, 'package.json'), 'utf8')) as { version: string }).version;
    expect(cli(['--version'])).toMatchObject({ code: 0, stdout: `${version}\n` });
    const help = cli(['--help']);
    expect(help.code).toBe(0);
    for (const c of [...COMMANDS, 'convert-values']) expect(help.stdout).toContain(`  ${c} `);
    for (const c of COMMANDS) {
      const r = cli([c, '--help']);
      expect(r.code, c).toBe(0);
      expect(r.stdout, c).toMatch(new RegExp(`^usage: chart-as-code ${c} `));
      expect(r.stdout, c).toMatch(/\nExit: /);
    }
  });

  it('usage mistakes and a missing module: one line, no stack, exit 2 (1 for a missing module)', () => {
    const bogus = cli(['synth', '--bogus'], project);
    expect(bogus).toMatchObject({ code: 2, stderr: 'error: unknown option --bogus (see chart-as-code synth --help)\n' });
    expect(cli(['nonsense'], project).code).toBe(2);
    const missing = cli(['charts', '--charts', 'nope.ts'], project);
    expect(missing).toMatchObject({ code: 1, stderr: 'error: chart module nope.ts not found\n' });
    const diffMissing = cli(['diff', '--charts', 'nope.ts'], project);
    expect(diffMissing.code).toBe(2);
    const noConfig = cli(['synth'], path.join(root, 'lib'));
    expect(noConfig.code).toBe(2);
    expect(noConfig.stderr).toMatch(/^error: no charts: give --charts <module>.*\n$/);
  });

  it('synth and charts write the module\'s charts where package.json says', () => {
    const synth = cli(['synth', '--namespace', 'web'], project);
    expect(synth).toMatchObject({ code: 0, stderr: '' });
    expect(synth.stdout).toContain('dist/tiny.k8s.yaml');
    expect(fs.readFileSync(path.join(project, 'dist', 'tiny.k8s.yaml'), 'utf8')).toMatch(/namespace: web[\s\S]*greeting: hello/);
    fs.writeFileSync(path.join(project, 'prod.yaml'), 'greeting: howdy\n');
    expect(cli(['synth', '--values', 'prod.yaml', '--out', 'prod'], project)).toMatchObject({ code: 0, stderr: '' });
    expect(fs.readFileSync(path.join(project, 'prod', 'tiny.k8s.yaml'), 'utf8')).toContain('greeting: howdy');
    const charts = cli(['charts'], project);
    expect(charts).toMatchObject({ code: 0, stderr: '' });
    expect(charts.stdout).toMatch(/wrote .*helm\/tiny\/ \(\d+ files\)/);
    expect(fs.readFileSync(path.join(project, 'helm', 'tiny', 'Chart.yaml'), 'utf8')).toContain('version: 1.0.0');
  });

  it('synth writes the instances a module exports, each with its own values and namespace, from a function called per run', () => {
    fs.writeFileSync(
      path.join(project, 'environments.ts'),
      `import { tiny } from './charts';

export const instances = () => ['staging', 'prod'].map((env) => ({ id: \`tiny-\${env}\`, chart: tiny, namespace: env, values: { greeting: env } }));
`,
    );
    const r = cli(['synth', '--charts', 'environments.ts', '--out', 'environments'], project);
    expect(r).toMatchObject({ code: 0, stderr: '', stdout: 'wrote environments/tiny-staging.k8s.yaml\nwrote environments/tiny-prod.k8s.yaml\n' });
    for (const env of ['staging', 'prod']) expect(fs.readFileSync(path.join(project, 'environments', `tiny-${env}.k8s.yaml`), 'utf8')).toMatch(new RegExp(`namespace: ${env}[\\s\\S]*greeting: ${env}`));
    expect(cli(['synth', '--charts', 'environments.ts', '--out', 'environments', '--chart', 'tiny-prod'], project).stdout).toBe('wrote environments/tiny-prod.k8s.yaml\n');
    expect(fs.readdirSync(path.join(project, 'environments')).filter((f) => f.endsWith('.k8s.yaml'))).toEqual(['tiny-prod.k8s.yaml']);
    expect(cli(['synth', '--charts', 'environments.ts', '--values', 'prod.yaml'], project)).toMatchObject({
      code: 2,
      stderr: 'error: --values: environments.ts exports instances, which give their own values, namespace and release (see chart-as-code synth --help)\n',
    });
    fs.writeFileSync(path.join(project, 'no-instances.ts'), 'export const instances = [];\n');
    expect(cli(['synth', '--charts', 'no-instances.ts'], project)).toMatchObject({ code: 1, stderr: expect.stringMatching(/^error: no-instances.ts: "instances" must be a non-empty list of chart instances/) });
  });

  it('package, check (an unbumped change is refused, naming defineChart), diff between versions with a values file', () => {
    const first = cli(['package'], project);
    expect(first.stderr).toBe('');
    expect(first.code).toBe(0);
    expect(first.stdout).toContain('tiny 1.0.0: new chart');
    expect(fs.existsSync(path.join(project, 'packages', 'tiny-1.0.0.tgz'))).toBe(true);
    expect(cli(['check'], project)).toMatchObject({ code: 0 });

    // A change without a version bump: refused, pointing at the code that sets the version, with the field.
    fs.writeFileSync(path.join(project, 'charts.ts'), chartSource('1.0.0', 'hi'));
    const refused = cli(['check'], project);
    expect(refused.code).toBe(1);
    expect(refused.stderr).toContain("bump the version in charts.ts (metadata.version of defineChart({ name: 'tiny' }))");
    expect(refused.stderr).toContain('ConfigMap default/tiny (data.greeting: "hello" -> "hi")');
    expect(refused.stderr).not.toContain('Chart.yaml');
    expect(refused.stderr.trimEnd().split('\n').at(-1)).toBe('error: 1 problem(s) found; fix them before publishing');

    // The current code against the published version: what a reviewer sees.
    const pending = cli(['diff'], project);
    expect(pending.code).toBe(1);
    expect(pending.stdout).toContain('~ ConfigMap default/tiny\n    data.greeting: "hello" -> "hi"\n');

    fs.writeFileSync(path.join(project, 'charts.ts'), chartSource('1.1.0', 'hi'));
    const second = cli(['package'], project);
    expect(second.code).toBe(0);
    expect(second.stdout).toContain('tiny 1.1.0: new version (upgrade from 1.0.0 checked)');

    // Between two published versions: different with the defaults, equal with a values file setting the greeting.
    const between = cli(['diff', '--from', '1.0.0', '--to', '1.1.0'], project);
    expect(between.code).toBe(1);
    expect(between.stdout).toContain('tiny: 1 changed, 0 added, 0 removed');
    fs.writeFileSync(path.join(project, 'greeting.yaml'), 'greeting: good day\n');
    const withValues = cli(['diff', '--from', '1.0.0', '--to', '1.1.0', '--values', 'greeting.yaml'], project);
    expect(withValues).toMatchObject({ code: 0, stderr: '' });
    expect(withValues.stdout).toContain('tiny: no difference');
    // The code now equals the latest published version.
    expect(cli(['diff'], project).code).toBe(0);
    // Upgrade safety: a new version that changes the Deployment's (immutable) selector is blocked.
    fs.writeFileSync(path.join(project, 'charts.ts'), chartSource('1.2.0', 'hi', 'tiny-web'));
    const blocked = cli(['check'], project);
    expect(blocked.code).toBe(1);
    expect(blocked.stdout).toContain('tiny 1.2.0: new version (upgrade from 1.1.0 BLOCKED)');
    expect(blocked.stderr).toMatch(/tiny 1\.1\.0 -> 1\.2\.0: helm upgrade would fail or not apply: Deployment default\/tiny.*selector/);
    expect(cli(['diff', '--from', '9.9.9'], project)).toMatchObject({ code: 2, stderr: expect.stringMatching(/^error: tiny 9\.9\.9 is not published at .*\n$/) });
  });
});

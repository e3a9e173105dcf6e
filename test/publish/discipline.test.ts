/**
 * Version discipline and upgrade safety through the real commands, against a chart repository folder:
 * a copy of charts/md-icapsrv is published, modified, and published again.
 */
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import YAML from 'yaml';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { checkCommand, packageCommand } from '../../lib/publish/commands';
import { PublishError } from '../../lib/publish/cli';
import {
  addObjectLabel,
  addSelectorLabel,
  captureOutput,
  copyChart,
  edit,
  helmHome,
  ROOT,
  setChartVersion,
  tempDir,
  templateRendering,
} from './support';

const CHART = 'md-icapsrv';

describe('version discipline and upgrade safety (chart repository folder)', () => {
  let dir: string;
  let env: Record<string, string>;
  let repo: string;
  let baseVersion: string;

  /** Runs `npm run package` in-process; returns the captured output, or the PublishError. */
  async function pkg(chartsDir: string, ...extra: string[]): Promise<{ ok: boolean; text: string }> {
    const out = captureOutput();
    try {
      await packageCommand(['--charts', chartsDir, '--out', repo, ...extra], { helmEnv: env, out });
      return { ok: true, text: out.text() };
    } catch (e) {
      if (!(e instanceof PublishError)) throw e;
      return { ok: false, text: `${out.text()}\n${e.message}` };
    }
  }

  function snapshot(): Map<string, string> {
    return new Map(fs.readdirSync(repo).map((f) => [f, fs.readFileSync(path.join(repo, f)).toString('base64')]));
  }

  function indexVersions(): string[] {
    const idx = YAML.parse(fs.readFileSync(path.join(repo, 'index.yaml'), 'utf8')) as { entries: Record<string, { version: string }[]> };
    return idx.entries[CHART]!.map((e) => e.version).sort();
  }

  beforeAll(async () => {
    dir = tempDir('discipline');
    env = helmHome(path.join(dir, 'helm'));
    repo = path.join(dir, 'repo');
    const { chartsDir, chartDir } = copyChart(CHART, dir);
    baseVersion = (YAML.parse(fs.readFileSync(path.join(chartDir, 'Chart.yaml'), 'utf8')) as { version: string }).version;
    const first = await pkg(chartsDir);
    expect(first.ok, first.text).toBe(true);
    expect(first.text).toMatch(new RegExp(`${CHART} ${baseVersion}: new chart`));
  });

  afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

  it('re-packaging unchanged content is a no-op', async () => {
    const before = snapshot();
    const r = await pkg(copyChart(CHART, dir).chartsDir);
    expect(r.ok, r.text).toBe(true);
    expect(r.text).toMatch(/already published, unchanged \(skipped\)/);
    expect(snapshot()).toEqual(before);
  });

  it('fails when rendered output changed but the version did not, writing nothing', async () => {
    const { chartsDir, chartDir } = copyChart(CHART, dir);
    // One more label on the Deployment: a real change of the rendered output.
    const template = templateRendering(chartDir, 'Deployment', env);
    addObjectLabel(template, 'example.com/team: icap');
    const before = snapshot();
    const r = await pkg(chartsDir);
    expect(r.ok).toBe(false);
    expect(r.text).toMatch(new RegExp(`${CHART}: content changed but version ${baseVersion.replace(/\./g, '\\.')} is already published`));
    expect(r.text).toMatch(/bump the version in Chart\.yaml/);
    expect(r.text).toContain(`files changed: ${path.relative(chartDir, template)}`);
    expect(r.text).toMatch(/rendered objects changed: Deployment default\/\S+ \(metadata\.labels\["example\.com\/team"\]: \(unset\) -> "icap"\)/);
    expect(r.text).toMatch(/nothing was written/);
    expect(snapshot()).toEqual(before);
    // No staging leftovers next to the repository folder.
    expect(fs.readdirSync(dir).filter((f) => f.includes('staging'))).toEqual([]);

    // The same verdict from publish:check, which never writes.
    const out = captureOutput();
    await expect(checkCommand(['--charts', chartsDir, '--against', repo], { helmEnv: env, out })).rejects.toThrow(/1 problem\(s\) found/);
    expect(out.text()).toMatch(/CHANGED WITHOUT A VERSION BUMP/);
  });

  it('fails a non-template content change too (README), with rendered output unchanged', async () => {
    const { chartsDir, chartDir } = copyChart(CHART, dir);
    fs.appendFileSync(path.join(chartDir, 'README.md'), '\nOne more line.\n');
    const r = await pkg(chartsDir);
    expect(r.ok).toBe(false);
    expect(r.text).toMatch(/files changed: README\.md; rendered output \(default values\) unchanged/);
  });

  it('fails a changed Deployment selector even with a version bump, naming object and field', async () => {
    const { chartsDir, chartDir } = copyChart(CHART, dir);
    setChartVersion(chartDir, '99.0.0-selector');
    // Only the selector changes, not the pod labels, like a careless refactor.
    addSelectorLabel(templateRendering(chartDir, 'Deployment', env), 'example.com/tier: front');
    const before = snapshot();
    const r = await pkg(chartsDir);
    expect(r.ok).toBe(false);
    expect(r.text).toMatch(
      /md-icapsrv .* -> 99\.0\.0-selector: helm upgrade would fail or not apply: Deployment default\/\S+: spec\.selector: Deployment spec\.selector is immutable in apps\/v1 \(spec\.selector\.matchLabels\["example\.com\/tier"\]: \(unset\) -> "front"\)/,
    );
    expect(snapshot()).toEqual(before);
  });

  it('fails when appVersion differs from the default image tag', async () => {
    const { chartsDir, chartDir } = copyChart(CHART, dir);
    setChartVersion(chartDir, '99.0.0-appversion');
    edit(path.join(chartDir, 'Chart.yaml'), /^appVersion:.*$/m, 'appVersion: 0.0.1-wrong');
    const r = await pkg(chartsDir);
    expect(r.ok).toBe(false);
    expect(r.text).toMatch(/md-icapsrv: appVersion "0\.0\.1-wrong" in Chart\.yaml differs from the default image tag/);
  });

  it('checks extra values scenarios: a shrinking PVC is refused', async () => {
    // A claim rendered only in a values scenario (a commonLabels entry switches it on, as the chart's
    // schema admits no unknown values), published at 10Gi in a repository of its own.
    const claim = (size: string): string =>
      [
        '{{- if (index .Values.commonLabels "publish-test-claim") }}',
        'apiVersion: v1',
        'kind: PersistentVolumeClaim',
        'metadata:',
        '  name: publish-test-claim',
        'spec:',
        '  accessModes: [ReadWriteOnce]',
        '  resources:',
        '    requests:',
        `      storage: ${size}`,
        '{{- end }}',
        '',
      ].join('\n');
    const claimRepo = path.join(dir, 'claim-repo');
    const base = copyChart(CHART, dir);
    fs.writeFileSync(path.join(base.chartDir, 'templates', 'zz-publish-test-claim.yaml'), claim('10Gi'));
    await packageCommand(['--charts', base.chartsDir, '--out', claimRepo], { helmEnv: env, out: captureOutput() });

    const { chartsDir, chartDir } = copyChart(CHART, dir);
    setChartVersion(chartDir, '99.0.0-pvc');
    fs.writeFileSync(path.join(chartDir, 'templates', 'zz-publish-test-claim.yaml'), claim('5Gi'));
    const scenario = path.join(dir, 'claim-values.yaml');
    fs.writeFileSync(scenario, 'commonLabels:\n  publish-test-claim: "on"\n');
    // Default values do not render the claim, so without the scenario the bump is fine...
    const check = captureOutput();
    await checkCommand(['--charts', chartsDir, '--against', claimRepo], { helmEnv: env, out: check });
    expect(check.text()).toMatch(/all checks passed/);
    // ...with it, the claim would shrink from 10Gi to 5Gi.
    const out = captureOutput();
    await expect(
      packageCommand(['--charts', chartsDir, '--out', claimRepo, '--values', scenario], { helmEnv: env, out }),
    ).rejects.toThrow(/nothing was written/);
    expect(out.text()).toMatch(
      /PersistentVolumeClaim default\/publish-test-claim: spec\.resources\.requests\.storage: a PersistentVolumeClaim cannot shrink \("10Gi" -> "5Gi"\) \[with values .*claim-values\.yaml\]/,
    );
  });

  it('accepts a bumped version, merging it into the index and keeping the existing entry', async () => {
    const indexBefore = YAML.parse(fs.readFileSync(path.join(repo, 'index.yaml'), 'utf8')) as { entries: Record<string, Record<string, unknown>[]> };
    const { chartsDir, chartDir } = copyChart(CHART, dir);
    setChartVersion(chartDir, '99.1.0');
    addObjectLabel(templateRendering(chartDir, 'Deployment', env), 'example.com/team: icap');
    const r = await pkg(chartsDir);
    expect(r.ok, r.text).toBe(true);
    expect(r.text).toMatch(new RegExp(`${CHART} 99\\.1\\.0: new version \\(upgrade from ${baseVersion.replace(/\./g, '\\.')} checked\\)`));
    expect(indexVersions()).toEqual([baseVersion, '99.1.0'].sort());
    const indexAfter = YAML.parse(fs.readFileSync(path.join(repo, 'index.yaml'), 'utf8')) as { entries: Record<string, Record<string, unknown>[]> };
    const oldEntry = (i: typeof indexAfter): unknown => i.entries[CHART]!.find((e) => e.version === baseVersion);
    expect(oldEntry(indexAfter)).toEqual(oldEntry(indexBefore));
    expect(fs.existsSync(path.join(repo, `${CHART}-99.1.0.tgz`))).toBe(true);

    // An older, unpublished version is refused unless it is a deliberate maintenance release.
    const older = copyChart(CHART, dir);
    setChartVersion(older.chartDir, '99.0.5');
    const refused = await pkg(older.chartsDir);
    expect(refused.ok).toBe(false);
    expect(refused.text).toMatch(/version 99\.0\.5 is not published .* older than the latest published version 99\.1\.0/);
    const allowed = await pkg(older.chartsDir, '--allow-older');
    expect(allowed.ok, allowed.text).toBe(true);
    expect(indexVersions()).toEqual([baseVersion, '99.0.5', '99.1.0'].sort());
  });

  it('refuses a published package that does not match its index digest', async () => {
    const tampered = path.join(dir, 'tampered');
    fs.cpSync(repo, tampered, { recursive: true });
    const tgz = fs.readdirSync(tampered).find((f) => f === `${CHART}-${baseVersion}.tgz`)!;
    fs.appendFileSync(path.join(tampered, tgz), Buffer.from([0]));
    const out = captureOutput();
    await expect(checkCommand(['--charts', copyChart(CHART, dir).chartsDir, '--against', tampered], { helmEnv: env, out })).rejects.toThrow(
      /does not match the digest in .*index\.yaml \(corrupt or replaced\)/,
    );
  });

  it('the npm scripts exit 1 with a message and no stack trace on user errors', () => {
    const run = (args: string[]): { code: number | null; stderr: string } => {
      const r = spawnSync('npm', ['run', '--silent', ...args], { cwd: ROOT, encoding: 'utf8', timeout: 120_000, env: { ...process.env, ...env } });
      return { code: r.status, stderr: r.stderr };
    };
    const bogus = run(['package', '--', '--bogus']);
    expect(bogus.code).toBe(1);
    expect(bogus.stderr).toMatch(/error: unknown option --bogus\nusage: npm run package/);
    expect(bogus.stderr).not.toMatch(/\n\s+at /);

    const { chartsDir, chartDir } = copyChart(CHART, dir);
    fs.appendFileSync(path.join(chartDir, 'README.md'), '\nchanged\n');
    const changed = run(['publish:check', '--', '--charts', chartsDir, '--against', repo]);
    expect(changed.code).toBe(1);
    expect(changed.stderr).toMatch(/md-icapsrv: content changed but version .* is already published/);
    expect(changed.stderr).not.toMatch(/\n\s+at /);

    const oci = run(['publish:oci', '--', 'http://not-oci']);
    expect(oci.code).toBe(1);
    expect(oci.stderr).toMatch(/oci:\/\/<host>\[:port\]\/<path>/);
  });
});

/**
 * HTTP chart repository: `npm run package` into a folder served over HTTP on 127.0.0.1, then with helm 3 and
 * helm 4: repo add, search, pull and template from the repository, compared with the source charts.
 */
import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import YAML from 'yaml';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { HelmMajor } from '../../lib/tooling/helm';
import { packageCommand } from '../../lib/publish/commands';
import { deepEqual } from '../../lib/publish/objects';
import { chartPackageFiles } from '../../lib/publish/tar';
import {
  captureOutput,
  copyChart,
  helmHome,
  helmOk,
  serveStatic,
  setChartVersion,
  sourceCharts,
  stableRender,
  StaticServer,
  tempDir,
} from './support';

const ANNOTATED = '99.0.0-annotated';

/** The Artifact Hub annotations recommended for Chart.yaml (see docs/publishing.md). */
function artifactHubAnnotations(image: string): string {
  return [
    'annotations:',
    '  artifacthub.io/license: Apache-2.0',
    '  artifacthub.io/images: |',
    '    - name: md-icapsrv',
    `      image: docker.io/${image}`,
    '  artifacthub.io/links: |',
    '    - name: Source',
    '      url: https://github.com/OPSWAT/metadefender-k8s',
    '  artifacthub.io/changes: |',
    '    - kind: added',
    '      description: Artifact Hub metadata',
    '  artifacthub.io/containsSecurityUpdates: "false"',
    '  artifacthub.io/prerelease: "true"',
    '',
  ].join('\n');
}

interface IndexFile {
  entries: Record<string, { version: string; digest: string; urls: string[]; annotations?: Record<string, string> }[]>;
}

describe('HTTP chart repository', () => {
  let dir: string;
  let repo: string;
  let server: StaticServer;
  let url: string;
  const charts = sourceCharts();

  beforeAll(async () => {
    dir = tempDir('http');
    const www = path.join(dir, 'www');
    repo = path.join(www, 'charts');
    server = await serveStatic(www);
    url = `${server.url}/charts`;
    const env = helmHome(path.join(dir, 'helm-package'));
    const out = captureOutput();
    await packageCommand(['--out', repo, '--url', url], { helmEnv: env, out });
    for (const c of charts) expect(out.text()).toContain(`${c.name} ${c.version}: new chart`);

    // A second release of md-icapsrv carrying Artifact Hub annotations, merged without --url (relative URL).
    const { chartsDir, chartDir } = copyChart('md-icapsrv', dir);
    setChartVersion(chartDir, ANNOTATED);
    const values = YAML.parse(fs.readFileSync(path.join(chartDir, 'values.yaml'), 'utf8')) as { image: { repository: string; tag: string } };
    const chartYamlFile = path.join(chartDir, 'Chart.yaml');
    const chartYaml = YAML.parse(fs.readFileSync(chartYamlFile, 'utf8')) as { annotations?: Record<string, string> };
    const recommended = YAML.parse(artifactHubAnnotations(`${values.image.repository}:${values.image.tag}`)) as { annotations: Record<string, string> };
    chartYaml.annotations = { ...chartYaml.annotations, ...recommended.annotations };
    fs.writeFileSync(chartYamlFile, YAML.stringify(chartYaml));
    const second = captureOutput();
    await packageCommand(['--charts', chartsDir, '--out', repo], { helmEnv: env, out: second });
    expect(second.text()).toMatch(new RegExp(`md-icapsrv ${ANNOTATED.replace(/\./g, '\\.')}: new version`));
  });

  afterAll(async () => {
    await server?.close();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it('writes one index.yaml with every chart, absolute and merged relative URLs, and Artifact Hub annotations', () => {
    const index = YAML.parse(fs.readFileSync(path.join(repo, 'index.yaml'), 'utf8')) as IndexFile;
    for (const c of charts) {
      const entry = index.entries[c.name]!.find((e) => e.version === c.version)!;
      expect(entry.urls).toEqual([`${url}/${c.name}-${c.version}.tgz`]);
      expect(entry.digest).toBe(createHash('sha256').update(fs.readFileSync(path.join(repo, `${c.name}-${c.version}.tgz`))).digest('hex'));
    }
    const annotated = index.entries['md-icapsrv']!.find((e) => e.version === ANNOTATED)!;
    expect(annotated.urls).toEqual([`md-icapsrv-${ANNOTATED}.tgz`]);
    expect(annotated.annotations?.['artifacthub.io/license']).toBe('Apache-2.0');
    expect(annotated.annotations?.['artifacthub.io/images']).toMatch(/image: docker\.io\/opswat\//);
    expect(fs.readdirSync(repo).filter((f) => f.startsWith('.'))).toEqual([]);
  });

  it('checks against and merges into a remote repository (--against <URL>) from an empty output folder', async () => {
    const env = helmHome(path.join(dir, 'helm-against'));
    const remoteIndex = YAML.parse(fs.readFileSync(path.join(repo, 'index.yaml'), 'utf8')) as IndexFile;

    // Changed content under a published version: the published package is downloaded over HTTP and compared.
    const changed = copyChart('md-icapsrv', dir);
    fs.appendFileSync(path.join(changed.chartDir, 'README.md'), '\nchanged\n');
    const fresh = path.join(dir, 'fresh-out');
    const refused = captureOutput();
    await expect(
      packageCommand(['--charts', changed.chartsDir, '--out', fresh, '--against', url], { helmEnv: env, out: refused }),
    ).rejects.toThrow(/nothing was written/);
    expect(refused.text()).toMatch(new RegExp(`content changed but version .* is already published at ${url}/index\\.yaml`));
    expect(fs.existsSync(fresh)).toBe(false);

    // A bump is written with an index that keeps every remote entry: upload the folder's files to publish.
    const bumped = copyChart('md-icapsrv', dir);
    setChartVersion(bumped.chartDir, '99.2.0');
    const out = captureOutput();
    await packageCommand(['--charts', bumped.chartsDir, '--out', fresh, '--against', url, '--url', url], { helmEnv: env, out });
    expect(out.text()).toMatch(/99\.2\.0: new version \(upgrade from .* checked\)/);
    expect(out.text()).toMatch(/merging into the index of/);
    expect(fs.readdirSync(fresh).sort()).toEqual(['index.yaml', 'md-icapsrv-99.2.0.tgz']);
    const merged = YAML.parse(fs.readFileSync(path.join(fresh, 'index.yaml'), 'utf8')) as IndexFile;
    for (const [name, entries] of Object.entries(remoteIndex.entries)) {
      for (const e of entries) expect(merged.entries[name]).toContainEqual(e);
    }
    expect(merged.entries['md-icapsrv']!.map((e) => e.version)).toContain('99.2.0');

    // A wrong repository URL is an error, never "nothing published yet" (that index would replace the real one).
    const wrong = path.join(dir, 'wrong-out');
    await expect(
      packageCommand(['--charts', bumped.chartsDir, '--out', wrong, '--against', `${server.url}/typo`], { helmEnv: env, out: captureOutput() }),
    ).rejects.toThrow(/typo\/index\.yaml not found \(HTTP 404\)/);
    expect(fs.existsSync(wrong)).toBe(false);
  });

  describe.each([3, 4] as HelmMajor[])('helm %i', (major) => {
    it('repo add, search repo, pull and template from the repository', () => {
      const env = helmHome(path.join(dir, `helm${major}`));
      helmOk(major, ['repo', 'add', 'local', url], env);

      const found = JSON.parse(helmOk(major, ['search', 'repo', 'local/', '--versions', '--devel', '-o', 'json'], env)) as { name: string; version: string }[];
      for (const c of charts) expect(found).toContainEqual(expect.objectContaining({ name: `local/${c.name}`, version: c.version }));
      expect(found).toContainEqual(expect.objectContaining({ name: 'local/md-icapsrv', version: ANNOTATED }));

      const pulled = path.join(dir, `pulled${major}`);
      fs.mkdirSync(pulled);
      for (const c of charts) {
        helmOk(major, ['pull', `local/${c.name}`, '--version', c.version, '--destination', pulled], env);
        const tgz = fs.readFileSync(path.join(pulled, `${c.name}-${c.version}.tgz`));
        expect(tgz.equals(fs.readFileSync(path.join(repo, `${c.name}-${c.version}.tgz`)))).toBe(true);

        const fromRepo = stableRender(major, [`local/${c.name}`, '--version', c.version], env);
        const fromSource = stableRender(major, [c.dir], env);
        expect(fromRepo.length).toBeGreaterThan(0);
        expect(fromRepo.map((o) => `${o.kind}/${o.metadata?.name}`)).toEqual(fromSource.map((o) => `${o.kind}/${o.metadata?.name}`));
        expect(deepEqual(fromRepo, fromSource)).toBe(true);
      }

      // The merged entry with a relative URL resolves against the repository URL.
      helmOk(major, ['pull', 'local/md-icapsrv', '--version', ANNOTATED, '--destination', pulled], env);
      const files = chartPackageFiles(fs.readFileSync(path.join(pulled, `md-icapsrv-${ANNOTATED}.tgz`)));
      expect(files.get('Chart.yaml')!.toString()).toContain('artifacthub.io/license: Apache-2.0');
      const shown = YAML.parse(helmOk(major, ['show', 'chart', 'local/md-icapsrv', '--version', ANNOTATED], env)) as { annotations: Record<string, string> };
      expect(shown.annotations['artifacthub.io/changes']).toContain('Artifact Hub metadata');
    });
  });
});

/**
 * The constructs in a platform team's own chart (issue 10): products under keys of a bigger chart's values,
 * several side by side, next to the team's own cdk8s-plus objects; the composed chart's values.yaml,
 * values.schema.json and README nest them; a product used twice never collides in names; the chart lints with
 * helm 3 and 4 and `helm template` equals raw synthesis.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { describe, expect, it } from 'vitest';
import YAML from 'yaml';
import { z } from 'zod';
import { defineChart, synthObjects } from '../lib/core/chart';
import { renderHelmChart } from '../lib/core/helm-chart';
import { MdIcapsrv, mdIcapsrvValues } from '../lib/systems/md-icapsrv';
import { HELM_MAJORS, runHelm } from '../lib/tooling/helm';
import { platformChart } from '../examples/platform-chart/chart';
import { equivalence, RELEASE } from './support/render';

function writeChart(files: Map<string, string>): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'composed-'));
  for (const [rel, content] of files) {
    fs.mkdirSync(path.dirname(path.join(dir, rel)), { recursive: true });
    fs.writeFileSync(path.join(dir, rel), content);
  }
  return dir;
}

describe('a platform chart composing ICAP, Core and its own web front-end (examples/platform-chart)', () => {
  const files = renderHelmChart(platformChart);
  const dir = writeChart(files);

  it('is the example the README shows, verbatim', () => {
    const readme = fs.readFileSync(path.join(__dirname, '..', 'README.md'), 'utf8');
    expect(readme).toContain(fs.readFileSync(path.join(__dirname, '..', 'examples', 'platform-chart', 'chart.ts'), 'utf8').trim());
  });

  it('nests each product\'s values under its key in values.yaml, values.schema.json and the README table', () => {
    const values = YAML.parse(files.get('values.yaml')!) as Record<string, Record<string, unknown>>;
    expect(Object.keys(values)).toEqual(['web', 'icap', 'core']);
    expect(values.icap!.acceptEula).toBe(true);
    expect((values.core!.image as { repository: string }).repository).toBe('opswat/metadefendercore-debian');
    const schema = JSON.parse(files.get('values.schema.json')!) as { properties: Record<string, { properties: Record<string, unknown>; allOf?: unknown[] }> };
    expect(Object.keys(schema.properties)).toEqual(['web', 'icap', 'core']);
    // The products' cross-field rules stay on their part of the values.
    expect(schema.properties.icap!.allOf!.length).toBeGreaterThan(0);
    expect(files.get('README.md')).toContain('| `icap.replicaCount` |');
    expect(files.get('README.md')).toContain('| `core.strategy.type` |');
  });

  it('puts each part\'s templates in its own folder and names its templates after where its values are', () => {
    const templates = [...files.keys()].filter((f) => f.startsWith('templates/'));
    expect(templates).toContain('templates/icap/deployment.yaml');
    expect(templates).toContain('templates/core/deployment-blue.yaml');
    expect(files.get('templates/_helpers.tpl')).toContain('define "scanning-platform.icap.labels"');
    expect(files.get('templates/_helpers.tpl')).toContain('define "scanning-platform.core.podTemplate"');
    expect(files.get('templates/icap/deployment.yaml')).toContain('$.Values.icap.replicaCount');
  });

  it.each(HELM_MAJORS.map((m) => [m] as const))('lints with helm %i and renders exactly what raw synthesis renders, defaults and changed values', (major) => {
    const lint = runHelm(major, ['lint', '--strict', dir]);
    expect(lint.stdout + lint.stderr).toContain('0 chart(s) failed');
    for (const values of [{}, { web: { enabled: false }, icap: { replicaCount: 3, namePrefix: 'scan-' }, core: { strategy: { type: 'BlueGreen' } } }]) {
      const r = equivalence(major, platformChart, values);
      expect(r.differences).toEqual([]);
      expect(r.raw.length).toBeGreaterThan(20);
    }
  });

  it('gives the team\'s own objects release-scoped names, the standard labels and a release-scoped selector', () => {
    const { objects } = synthObjects({ chart: platformChart, releaseName: RELEASE.name, namespace: RELEASE.namespace });
    type O = { kind: string; metadata: { name: string; namespace?: string; labels: Record<string, string> }; spec: { selector: { matchLabels: Record<string, string> } } };
    const web = (objects as O[]).find((o) => o.kind === 'Deployment' && o.metadata.name === `${RELEASE.name}-web`)!;
    expect(web.metadata.namespace).toBe(RELEASE.namespace);
    expect(web.metadata.labels).toMatchObject({ 'app.kubernetes.io/name': 'web', 'app.kubernetes.io/instance': RELEASE.name, 'helm.sh/chart': 'scanning-platform-1.0.0' });
    expect(web.spec.selector.matchLabels).toEqual({ 'cdk8s.io/metadata.addr': expect.stringMatching(new RegExp(`^${RELEASE.name}-[0-9a-f]{8}$`)) });
    // Beside the products' own database policies (postgres-mdicapsrv, postgres-core).
    const policies = (objects as O[]).filter((o) => o.kind === 'NetworkPolicy').map((o) => o.metadata.name);
    expect(policies).toContain(`${RELEASE.name}-icap-from-web`);
  });
});

describe('a product used twice in one chart', () => {
  const twoIcaps = (namePrefix: string) =>
    defineChart({
      name: 'two-icaps',
      schema: z.object({ eu: mdIcapsrvValues.prefault({}), us: mdIcapsrvValues.prefault({ namePrefix }) }).strict(),
      metadata: { version: '1.0.0', appVersion: '1', description: 'Two ICAP servers' },
      build: (scope, values) => {
        new MdIcapsrv(scope, 'eu', values.eu);
        new MdIcapsrv(scope, 'us', values.us);
      },
    });

  it('is refused when the names collide, naming both constructs and the fix', () => {
    expect(() => synthObjects({ chart: twoIcaps('') })).toThrow(/two objects are the same v1 Secret default\/mdicapsrv-cred: two-icaps\/eu\/.* and two-icaps\/us\/.*; give each use of a product its own namePrefix/);
  });

  it.each(HELM_MAJORS.map((m) => [m] as const))('lives side by side with a namePrefix per use, in raw and helm output alike (helm %i)', (major) => {
    const chart = twoIcaps('us-');
    const r = equivalence(major, chart, { eu: { replicaCount: 2 } });
    expect(r.differences).toEqual([]);
    const deployments = r.helm.filter((o) => o.kind === 'Deployment').map((o) => o.metadata.name).sort();
    expect(deployments).toEqual(['md-icapsrv', 'postgres-mdicapsrv', 'us-md-icapsrv', 'us-postgres-mdicapsrv']);
  });
});

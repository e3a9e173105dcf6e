/**
 * Two releases of a platform team's chart (examples/platform-chart: a cdk8s-plus Deployment exposed with
 * `exposeViaService()`, next to ICAP and Core) in one namespace: every Service and every workload selects
 * only its own release's pods, no two objects share a name, and the exposed Service carries labels, in raw
 * synthesis and in `helm template` alike, which still render the same objects.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { describe, expect, it } from 'vitest';
import { App } from 'cdk8s';
import * as kplus from 'cdk8s-plus-28';
import { Construct } from 'constructs';
import { z } from 'zod';
import { defineChart, RawChart, synthObjects } from '../lib/core/chart';
import { CDK8S_ADDRESS_LABEL } from '../lib/core/release-scope';
import { formatViolation, upgradeSafety } from '../lib/publish/upgrade-safety';
import { manifestsToYaml } from '../lib/core/yaml';
import { expectEquivalent } from '../lib/proof';
import { HELM_MAJORS, runHelm } from '../lib/tooling/helm';
import { platformChart } from '../examples/platform-chart/chart';
import { chartDir, compareRenderings, helmObjects, K8sObject, parseStream, rawObjects, RELEASE } from './support/render';

const NAMESPACE = 'scanning';
/** Two teams' releases; the products' own names are not release-scoped, so the second has its namePrefix. */
const RELEASES = [
  { name: 'team-a', values: {} },
  { name: 'team-b', values: { icap: { namePrefix: 'b-' }, core: { namePrefix: 'b-' } } },
] as const;

type Tagged = { release: string; obj: K8sObject };
type Selectable = K8sObject & { spec?: { selector?: Record<string, unknown>; template?: { metadata?: { labels?: Record<string, string> } } } };

function raw(release: (typeof RELEASES)[number]): K8sObject[] {
  const { objects } = synthObjects({ chart: platformChart, values: release.values, releaseName: release.name, namespace: NAMESPACE, managedBy: 'Helm' });
  return parseStream(manifestsToYaml(objects));
}

function helm(major: 3 | 4, release: (typeof RELEASES)[number]): K8sObject[] {
  const file = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'values-')), 'values.json');
  fs.writeFileSync(file, JSON.stringify(release.values));
  const r = runHelm(major, ['template', release.name, chartDir(platformChart), '--namespace', NAMESPACE, '-f', file]);
  expect(r.stderr).toBe('');
  return parseStream(r.stdout);
}

/** The label selector of a Service (`spec.selector`) or of a workload (`spec.selector.matchLabels`). */
function selectorOf(o: Selectable): Record<string, string> | undefined {
  const s = o.spec?.selector;
  if (!s) return undefined;
  return (o.kind === 'Service' ? s : s.matchLabels) as Record<string, string> | undefined;
}

/** Pod templates whose labels `selector` matches, as Kubernetes evaluates an equality selector. */
function selected(selector: Record<string, string>, all: Tagged[]): Tagged[] {
  return all.filter(({ obj }) => {
    const labels = (obj as Selectable).spec?.template?.metadata?.labels;
    return labels !== undefined && Object.entries(selector).every(([k, v]) => labels[k] === v);
  });
}

/** What is wrong with two releases' objects in one namespace: shared names, selectors reaching the other release. */
function crossings(renderings: Tagged[]): string[] {
  const problems: string[] = [];
  const names = new Map<string, string>();
  for (const { release, obj } of renderings) {
    const key = `${obj.kind} ${obj.metadata.namespace}/${obj.metadata.name}`;
    const other = names.get(key);
    if (other) problems.push(`${key} is in ${other} and ${release}`);
    names.set(key, release);
    const selector = selectorOf(obj as Selectable);
    if (!selector || obj.kind === 'Job') continue;
    const pods = selected(selector, renderings);
    if (pods.length === 0) problems.push(`${release} ${key} selects no pods`);
    for (const p of pods.filter((p) => p.release !== release)) problems.push(`${release} ${key} selects the pods of ${p.release} ${p.obj.kind}/${p.obj.metadata.name}`);
  }
  return problems;
}

const tag = (release: string, objects: K8sObject[]): Tagged[] => objects.map((obj) => ({ release, obj }));

describe('two releases of a chart with cdk8s-plus objects in one namespace', () => {
  it('select only their own pods and share no name (raw synthesis)', () => {
    const both = RELEASES.flatMap((r) => tag(r.name, raw(r)));
    expect(crossings(both)).toEqual([]);
    // The Service exposeViaService() made: a release-scoped name, its workload's labels.
    const services = both.filter(({ obj }) => obj.kind === 'Service' && obj.metadata.name.endsWith('-web-service'));
    expect(services.map(({ obj }) => obj.metadata.name)).toEqual(['team-a-web-service', 'team-b-web-service']);
    for (const { release, obj } of services) expect(obj.metadata.labels).toMatchObject({ 'app.kubernetes.io/instance': release, 'app.kubernetes.io/name': 'web' });
  });

  it.each(HELM_MAJORS.map((m) => [m] as const))('select only their own pods and share no name (helm %i template), and render what raw synthesis renders', (major) => {
    const rendered = RELEASES.map((r) => ({ release: r, helm: helm(major, r) }));
    expect(crossings(rendered.flatMap(({ release, helm }) => tag(release.name, helm)))).toEqual([]);
    for (const { release, helm } of rendered) expect(compareRenderings(raw(release), helm)).toEqual([]);
  });

  it('is proven equivalent by the library proof, the web front-end on and off', async () => {
    const r = await expectEquivalent(platformChart, { runs: 5, helm: [4], values: [{ web: { enabled: false } }, RELEASES[1].values], log: () => undefined });
    expect(r.renderers).toHaveLength(1);
    expect(r.kubernetes).toEqual(['1.30', '1.37']);
  }, 600_000);
});

describe('a bare cdk8s-plus Deployment in a chart (no names, no labels given)', () => {
  const bare = defineChart({
    name: 'bare',
    schema: z.object({}).strict(),
    metadata: { version: '1.0.0', appVersion: '1', description: 'One cdk8s-plus Deployment, exposed' },
    build: (scope) => {
      new kplus.Deployment(scope, 'api', { containers: [{ image: 'nginx:1.27', portNumber: 8080, securityContext: { user: 101 } }] }).exposeViaService();
    },
  });
  const both = ['team-a', 'team-b'].flatMap((releaseName) => tag(releaseName, synthObjects({ chart: bare, releaseName, namespace: NAMESPACE }).objects as K8sObject[]));

  it('gets release-scoped names and selectors, and its Service the release label', () => {
    expect(crossings(both)).toEqual([]);
    expect(both.map(({ obj }) => `${obj.kind}/${obj.metadata.name}`)).toEqual(['Deployment/team-a-api', 'Service/team-a-api-service', 'Deployment/team-b-api', 'Service/team-b-api-service']);
    for (const { release, obj } of both.filter(({ obj }) => obj.kind === 'Service')) expect(obj.metadata.labels).toEqual({ 'app.kubernetes.io/instance': release });
  });

  it.each(HELM_MAJORS.map((m) => [m] as const))('renders the same through helm %i (objects without a namespace installed in the release\'s)', (major) => {
    // cdk8s-plus gives no namespace (the raw chart's is its default); `helm install -n` puts such objects in the release's.
    const helm = helmObjects(major, bare, {}).map((o) => ({ ...o, metadata: { namespace: RELEASE.namespace, ...o.metadata } }));
    expect(compareRenderings(rawObjects(bare, {}).objects, helm)).toEqual([]);
  });
});

describe('the release-scoped selector is the same wherever the chart is synthesized from', () => {
  /** cdk8s-plus' `api` Deployment in `below` constructs under the chart, exposed, named by the user (so only its selector can move). */
  const api = (name: string, below: string[] = []) =>
    defineChart({
      name,
      schema: z.object({}).strict(),
      metadata: { version: '1.0.0', appVersion: '1', description: 'One cdk8s-plus Deployment, exposed' },
      build: (scope) => {
        const parent = below.reduce<Construct>((s, id) => new Construct(s, id), scope);
        new kplus.Deployment(parent, 'api', { metadata: { name: `${name}-api` }, containers: [{ image: 'nginx:1.27', portNumber: 8080, securityContext: { user: 101 } }] }).exposeViaService();
      },
    });
  const chart = api('api');
  const deploymentOf = (objects: K8sObject[]) => objects.find((o) => o.kind === 'Deployment') as Selectable;
  const selectorAt = (objects: K8sObject[]) => selectorOf(deploymentOf(objects));
  /** `new RawChart(scope, id)` + `app.synth()` (what `npx cdk8s synth` runs), the chart anywhere in the App. */
  const viaApp = (place: (app: App) => Construct, id: string, releaseName = 'team-a') => {
    const app = new App({ outdir: fs.mkdtempSync(path.join(os.tmpdir(), 'scope-')) });
    const raw = new RawChart(place(app), id, { chart, releaseName, namespace: NAMESPACE });
    return parseStream(manifestsToYaml(raw.toJson()));
  };

  it('whatever the RawChart is called or nested in, and as the Helm chart renders it', () => {
    const expected = selectorAt(synthObjects({ chart, releaseName: 'team-a', namespace: NAMESPACE }).objects as K8sObject[]);
    expect(expected).toEqual({ [CDK8S_ADDRESS_LABEL]: expect.stringMatching(/^team-a-[0-9a-f]{8}$/) });
    expect(selectorAt(viaApp((app) => app, 'eu'))).toEqual(expected);
    expect(selectorAt(viaApp((app) => new Construct(app, 'tenants'), 'api'))).toEqual(expected);
    for (const major of HELM_MAJORS) {
      const r = runHelm(major, ['template', 'team-a', chartDir(chart), '--namespace', NAMESPACE]);
      expect(r.stderr).toBe('');
      expect(selectorAt(parseStream(r.stdout))).toEqual(expected);
    }
  });

  it('differs between two charts of one release with the same construct path, and between releases', () => {
    const selector = (c: ReturnType<typeof api>, releaseName: string) => selectorAt(synthObjects({ chart: c, releaseName, namespace: NAMESPACE }).objects as K8sObject[]);
    const values = [selector(chart, 'team-a'), selector(api('other'), 'team-a'), selector(chart, 'team-b')].map((s) => s?.[CDK8S_ADDRESS_LABEL]);
    expect(new Set(values).size).toBe(3);
  });

  it('moves with the workload inside the chart, which the upgrade check refuses as a Deployment selector change', () => {
    const before = synthObjects({ chart, releaseName: 'team-a', namespace: NAMESPACE }).objects as K8sObject[];
    const moved = synthObjects({ chart: api('api', ['frontend']), releaseName: 'team-a', namespace: NAMESPACE }).objects as K8sObject[];
    expect(deploymentOf(moved).metadata.name).toBe(deploymentOf(before).metadata.name);
    const violations = upgradeSafety(before, moved).map(formatViolation);
    expect(violations).toEqual([expect.stringMatching(/^Deployment scanning\/api-api: spec\.selector: /)]);
  });

  it('refuses an object selecting the pods of another chart, naming it', () => {
    const app = new App({ outdir: fs.mkdtempSync(path.join(os.tmpdir(), 'scope-')) });
    const a = new RawChart(app, 'a', { chart, releaseName: 'team-a', namespace: NAMESPACE });
    const b = new RawChart(app, 'b', { chart: api('other'), releaseName: 'team-b', namespace: NAMESPACE });
    const theirs = a.node.findAll().find((c): c is kplus.Deployment => c instanceof kplus.Deployment)!;
    new kplus.Service(b, 'theirs', { selector: theirs, ports: [{ port: 80 }] });
    expect(() => b.toJson()).toThrow(/b\/theirs\/Resource: label cdk8s\.io\/metadata\.addr=\S+ is the address of no construct in chart b: a chart's objects can select only its own pods$/);
  });
});

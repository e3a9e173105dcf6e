/**
 * The README's platform example (examples/platform-chart: a cdk8s-plus web front-end exposed with
 * `exposeViaService()`, next to ICAP and Core), deployed as a platform team deploys it: its Helm chart written
 * by the example's own write-chart.ts, installed twice in one namespace (helm 3 as release team-a, helm 4 as
 * team-b, with the products' namePrefix the README asks for), and its raw manifests from the example's own
 * main.ts (what its `npx cdk8s synth` runs) applied in their namespace. The API server takes every object;
 * each release's Services send traffic only to that release's pods (their EndpointSlices, which the real
 * EndpointSlice controller fills from the selectors: kwok gives every pod an IP and marks it Ready); an
 * upgrade with changed values rolls the front-end to a new image under the same (immutable) selector, or
 * removes it; uninstalling a release removes what it created and leaves the other release as it was.
 */
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CDK8S_ADDRESS_LABEL } from '../../lib/core/release-scope';
import { HelmMajor } from '../../lib/tooling/helm';
import {
  assertLiveMatchesManifest,
  assertPodReferencesResolve,
  cluster,
  deleteNamespaces,
  getJson,
  helmOk,
  install,
  K8sObject,
  key,
  Kube,
  kubectl,
  kubectlOk,
  newNamespace,
  parseStream,
  releaseManifest,
  REPO,
  runCredentialJobs,
  serviceEndpoints,
  upgrade,
  waitFor,
  waitWorkloadsReady,
} from './support';

const EXAMPLE = path.join(REPO, 'examples', 'platform-chart');
const CHART = 'scanning-platform';
/** The namespace examples/platform-chart/main.ts puts its raw manifests in. */
const RAW_NAMESPACE = 'scanning';
/** Two teams' releases in one namespace, one per helm major; the products' own names need a namePrefix each. */
const RELEASES: { name: string; major: HelmMajor; set: string[] }[] = [
  { name: 'team-a', major: 3, set: [] },
  { name: 'team-b', major: 4, set: ['icap.namePrefix=b-', 'core.namePrefix=b-'] },
];
/** The licence Secrets the example's values name (existingSecret), kept outside the chart as a team keeps them. */
const LICENSES = ['icap-license', 'core-license'];

let work = '';
let chartDir = '';
let rawText = '';

/** Runs one of the example's own entry points with tsx, as its cdk8s.yaml does (`npx tsx main.ts`). */
function runExample(file: string, args: string[], env: Record<string, string> = {}): void {
  const r = spawnSync(path.join(REPO, 'node_modules', '.bin', 'tsx'), [path.join(EXAMPLE, file), ...args], { cwd: REPO, encoding: 'utf8', env: { ...process.env, ...env }, timeout: 5 * 60_000 });
  if (r.status !== 0) throw new Error(`${file} failed (exit ${r.status}):\n${r.stderr}${r.stdout}`);
}

beforeAll(() => {
  work = fs.mkdtempSync(path.join(os.tmpdir(), 'platform-example-'));
  runExample('write-chart.ts', [path.join(work, 'charts')]);
  chartDir = path.join(work, 'charts', CHART);
  runExample('main.ts', [], { CDK8S_OUTDIR: path.join(work, 'dist') });
  rawText = fs.readFileSync(path.join(work, 'dist', `${CHART}.k8s.yaml`), 'utf8');
});

afterAll(() => {
  deleteNamespaces();
  kubectl(cluster(), ['delete', 'namespace', RAW_NAMESPACE, '--wait=false', '--ignore-not-found']);
  if (work) fs.rmSync(work, { recursive: true, force: true });
});

interface Pod {
  metadata: { name: string; labels?: Record<string, string>; deletionTimestamp?: string };
  spec: { containers: { name: string; image: string }[] };
  status?: { phase?: string };
}

function createLicenses(kube: Kube, ns: string): void {
  for (const name of LICENSES) kubectlOk(kube, ['create', 'secret', 'generic', name, '-n', ns, '--from-literal=value=TEST-LICENSE']);
}

/** Running pods of `ns` by name (not those of finished Jobs, which no Service sends to). */
function podsOf(kube: Kube, ns: string): Map<string, Pod> {
  const running = getJson<{ items: Pod[] }>(kube, ['pods', '-n', ns]).items.filter((p) => !p.metadata.deletionTimestamp && p.status?.phase === 'Running');
  return new Map(running.map((p) => [p.metadata.name, p]));
}

/** Pods a label selector picks, as Kubernetes evaluates an equality selector. */
function matching(pods: Map<string, Pod>, selector: Record<string, string>): string[] {
  return [...pods.values()].filter((p) => Object.entries(selector).every(([k, v]) => p.metadata.labels?.[k] === v)).map((p) => p.metadata.name).sort();
}

/**
 * Waits until every Service of `objects` with a selector has exactly the pods its selector picks as its
 * endpoints, at least one, all of them the release's (`app.kubernetes.io/instance`); returns "Service/name: n pods".
 */
async function assertServicesSelectOwnPods(kube: Kube, ns: string, release: string, objects: K8sObject[]): Promise<string[]> {
  const services = objects.filter((o) => o.kind === 'Service' && (o.spec as { selector?: unknown }).selector !== undefined) as (K8sObject & { spec: { selector: Record<string, string> } })[];
  expect(services.length).toBeGreaterThan(0);
  return waitFor(
    `the Services of ${release} to send to its pods only`,
    () => {
      const pods = podsOf(kube, ns);
      return services.map((s) => {
        const endpoints = serviceEndpoints(kube, ns, s.metadata.name).map((e) => e.pod ?? `(no pod: ${e.ip})`).sort();
        const selected = matching(pods, s.spec.selector);
        if (selected.length === 0) throw new Error(`${key(s)} selects no pod`);
        const foreign = selected.filter((p) => pods.get(p)!.metadata.labels?.['app.kubernetes.io/instance'] !== release);
        if (foreign.length > 0) throw new Error(`${key(s)} of ${release} selects pods of another release: ${foreign.join(', ')}`);
        if (JSON.stringify(endpoints) !== JSON.stringify(selected)) throw new Error(`${key(s)}: endpoints ${endpoints.join(', ') || '(none)'}, want ${selected.join(', ')}`);
        return `${key(s)}: ${endpoints.length} pods`;
      });
    },
    90_000,
  );
}

/** The web front-end's Deployment (the cdk8s-plus one) among `objects`. */
function web(objects: K8sObject[], release: string): K8sObject & { spec: { selector: { matchLabels: Record<string, string> } } } {
  const found = objects.find((o) => o.kind === 'Deployment' && o.metadata.name === `${release}-web`);
  if (!found) throw new Error(`no Deployment ${release}-web among ${objects.map(key).join(', ')}`);
  return found as K8sObject & { spec: { selector: { matchLabels: Record<string, string> } } };
}

/** Objects of `objects` still in the cluster ("Kind/name"). */
function present(kube: Kube, ns: string, objects: K8sObject[]): string[] {
  return objects.filter((o) => kubectl(kube, ['get', '-n', ns, '-f', '-'], { input: JSON.stringify(o) }).code === 0).map(key);
}

const KEEP = (o: K8sObject) => o.metadata.annotations?.['helm.sh/resource-policy'] === 'keep';

describe('the README platform example on a real API server', () => {
  it('two releases in one namespace (helm 3 and helm 4): accepted, rolled out, each Service sending to its own release\'s pods; upgraded with changed values; uninstalled', async () => {
    const kube = cluster();
    const ns = newNamespace('platform');
    createLicenses(kube, ns);

    const manifests = new Map<string, K8sObject[]>();
    for (const r of RELEASES) {
      install(r.major, chartDir, r.name, ns, r.set);
      const objects = releaseManifest(r.major, r.name, ns);
      assertLiveMatchesManifest(kube, ns, objects);
      await waitWorkloadsReady(kube, ns, objects);
      // The cdk8s-plus selector carries the release: the immutable field two releases must not share.
      expect(web(objects, r.name).spec.selector.matchLabels[CDK8S_ADDRESS_LABEL]).toMatch(new RegExp(`^${r.name}-[0-9a-f]{8}$`));
      manifests.set(r.name, objects);
    }
    runCredentialJobs(kube, ns);
    assertPodReferencesResolve(kube, ns);
    const names = RELEASES.map((r) => manifests.get(r.name)!.map(key));
    expect(names[0]!.filter((n) => names[1]!.includes(n)), 'objects of both releases').toEqual([]);
    for (const r of RELEASES) {
      const served = await assertServicesSelectOwnPods(kube, ns, r.name, manifests.get(r.name)!);
      expect(served).toContain(`Service/${r.name}-web-service: 2 pods`);
      process.stdout.write(`[platform] ${r.name} (helm ${r.major}): ${served.join('; ')}\n`);
    }

    // team-a: a new front-end image, rolled out under the same selector; team-b: the front-end switched off.
    const [a, b] = RELEASES as [(typeof RELEASES)[number], (typeof RELEASES)[number]];
    upgrade(a.major, chartDir, a.name, ns, ['web.image.tag=1.27.4']);
    const upgraded = releaseManifest(a.major, a.name, ns);
    expect(web(upgraded, a.name).spec.selector).toEqual(web(manifests.get(a.name)!, a.name).spec.selector);
    await waitWorkloadsReady(kube, ns, upgraded);
    await waitFor('team-a web pods to run nginx:1.27.4', () => {
      const images = matching(podsOf(kube, ns), web(upgraded, a.name).spec.selector.matchLabels).map((p) => podsOf(kube, ns).get(p)!.spec.containers[0]!.image);
      return images.length === 2 && images.every((i) => i === 'nginx:1.27.4') ? true : undefined;
    });
    upgrade(b.major, chartDir, b.name, ns, ['web.enabled=false']);
    const withoutWeb = releaseManifest(b.major, b.name, ns);
    const gone = manifests.get(b.name)!.map(key).filter((k) => !withoutWeb.map(key).includes(k));
    expect(gone.sort()).toEqual(['Deployment/team-b-web', 'NetworkPolicy/team-b-icap-from-web', 'Service/team-b-web-service']);
    await waitFor('team-b front-end objects to be deleted', () => (present(kube, ns, manifests.get(b.name)!.filter((o) => gone.includes(key(o)))).length === 0 ? true : undefined));
    // The other release is as it was: still served by its own pods only.
    expect(await assertServicesSelectOwnPods(kube, ns, a.name, upgraded)).toContain(`Service/${a.name}-web-service: 2 pods`);
    await assertServicesSelectOwnPods(kube, ns, b.name, withoutWeb);

    // Uninstall team-b: its objects go (but the Secrets and claims it keeps on purpose), team-a's stay.
    helmOk(b.major, ['uninstall', b.name, '-n', ns, '--wait', '--timeout', '2m']);
    const kept = withoutWeb.filter(KEEP);
    expect(kept.map((o) => o.kind).filter((k) => k !== 'Secret' && k !== 'PersistentVolumeClaim')).toEqual([]);
    await waitFor('team-b objects to be deleted', () => (present(kube, ns, withoutWeb.filter((o) => !KEEP(o))).length === 0 ? true : undefined));
    expect(present(kube, ns, kept)).toEqual(kept.map(key));
    expect(present(kube, ns, upgraded)).toEqual(upgraded.map(key));
    await assertServicesSelectOwnPods(kube, ns, a.name, upgraded);
    helmOk(a.major, ['uninstall', a.name, '-n', ns, '--wait', '--timeout', '2m']);
    await waitFor('team-a objects to be deleted', () => (present(kube, ns, upgraded.filter((o) => !KEEP(o))).length === 0 ? true : undefined));
    await waitFor('every pod of both releases to be gone', () => (getJson<{ items: Pod[] }>(kube, ['pods', '-n', ns]).items.length === 0 ? true : undefined));
  });

  it('its raw manifests (main.ts, what the example\'s `npx cdk8s synth` runs): a server-side dry run, then applied, rolled out, the front-end served by its own pods', async () => {
    const kube = cluster();
    const objects = parseStream(rawText);
    expect(new Set(objects.map((o) => o.metadata.namespace))).toEqual(new Set([RAW_NAMESPACE]));
    // A namespace left by an earlier run on a reused cluster may still be terminating.
    await waitFor(`namespace ${RAW_NAMESPACE} to be absent`, () => (kubectl(kube, ['get', 'namespace', RAW_NAMESPACE]).code !== 0 ? true : undefined), 120_000);
    kubectlOk(kube, ['create', 'namespace', RAW_NAMESPACE]);
    createLicenses(kube, RAW_NAMESPACE);

    const dry = kubectl(kube, ['apply', '--server-side', '--dry-run=server', '-f', '-'], { input: rawText });
    expect(dry.code, dry.stderr).toBe(0);
    expect(dry.stderr, 'warnings on the dry run').toBe('');
    expect(present(kube, RAW_NAMESPACE, objects), 'created by the dry run').toEqual([]);
    const applied = kubectl(kube, ['apply', '--server-side', '-f', '-'], { input: rawText });
    expect(applied.code, applied.stderr).toBe(0);
    expect(applied.stderr, 'warnings on apply').toBe('');
    assertLiveMatchesManifest(kube, RAW_NAMESPACE, objects);
    await waitWorkloadsReady(kube, RAW_NAMESPACE, objects);
    runCredentialJobs(kube, RAW_NAMESPACE);
    assertPodReferencesResolve(kube, RAW_NAMESPACE);
    const served = await assertServicesSelectOwnPods(kube, RAW_NAMESPACE, CHART, objects);
    expect(served).toContain(`Service/${CHART}-web-service: 2 pods`);
    process.stdout.write(`[platform] raw manifests: ${served.join('; ')}\n`);
  });
});

/**
 * Blue-green switches for real, with helm 3 and helm 4, for every chart whose profile has `blueGreen`:
 * both slots run (the chart's image in blue, the new tag in green, as after "deploy the new version to the
 * idle slot"); the main Service's EndpointSlices hold exactly the active slot's pod IPs and the preview
 * Service's exactly the idle slot's; `helm upgrade --reuse-values --set strategy.blueGreen.activeSlot=green`
 * moves the traffic to green and the preview to blue, switching back restores both, and neither switch
 * changes a Deployment (same object, same generation) or replaces a pod.
 *
 * kwok gives every pod a (fake) IP and marks it Ready, so the real EndpointSlice controller fills the slices
 * from the Services' selectors; nothing is dialled.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { SLOT_LABEL, SLOTS, Slot } from '../../lib/constructs/strategy';
import { HELM_MAJORS } from '../../lib/tooling/helm';
import { ChartProfile, profiles } from './profiles';
import { chartDirs, cluster, deleteNamespaces, Endpoint, getJson, helmOk, install, Kube, newNamespace, serviceEndpoints, upgrade, waitFor } from './support';

afterAll(deleteNamespaces);

const RELEASE = 'rel';
type BlueGreen = NonNullable<ChartProfile['blueGreen']>;

interface Pod {
  metadata: { name: string; uid: string; labels?: Record<string, string>; deletionTimestamp?: string };
  spec: { containers: { name: string; image: string }[] };
  status?: { podIP?: string; conditions?: { type: string; status: string }[] };
}
interface Deployment {
  metadata: { uid: string; generation: number };
  spec: { replicas: number; selector: { matchLabels: Record<string, string> }; template: { spec: { containers: { name: string; image: string }[] } } };
  status?: { observedGeneration?: number; readyReplicas?: number };
}
interface Service {
  spec: { selector: Record<string, string> };
}

const other = (slot: Slot): Slot => (slot === 'blue' ? 'green' : 'blue');

function deployment(kube: Kube, ns: string, name: string): Deployment {
  return getJson<Deployment>(kube, ['deployment', name, '-n', ns]);
}

/** The live (not terminating) pods of a slot's Deployment, by its selector. */
function slotPods(kube: Kube, ns: string, name: string): Pod[] {
  const selector = Object.entries(deployment(kube, ns, name).spec.selector.matchLabels).map(([k, v]) => `${k}=${v}`).join(',');
  return getJson<{ items: Pod[] }>(kube, ['pods', '-n', ns, '-l', selector]).items.filter((p) => !p.metadata.deletionTimestamp);
}

/** What a switch must leave alone: each slot's Deployment (uid, generation) and its pods (uids). */
function slotState(kube: Kube, ns: string, bg: BlueGreen): Record<Slot, { uid: string; generation: number; observedGeneration?: number; pods: string[] }> {
  const state = (slot: Slot) => {
    const d = deployment(kube, ns, bg.deployments[slot]);
    return { uid: d.metadata.uid, generation: d.metadata.generation, observedGeneration: d.status?.observedGeneration, pods: slotPods(kube, ns, bg.deployments[slot]).map((p) => p.metadata.uid).sort() };
  };
  return { blue: state('blue'), green: state('green') };
}

function describeEndpoints(e: Endpoint[]): string {
  return e.length === 0 ? '(none)' : e.map((x) => `${x.ip}${x.pod ? `=${x.pod}` : ''}${x.ready ? '' : ' (not ready)'}`).join(', ');
}

/** Throws unless `endpoints` are exactly `pods`: the same IPs, each backed by its pod, all ready. */
function assertEndpointsArePods(service: string, endpoints: Endpoint[], pods: Pod[], slot: Slot): void {
  const want = pods.map((p) => ({ ip: p.status?.podIP ?? '', pod: p.metadata.name, ready: true })).sort((a, b) => a.ip.localeCompare(b.ip));
  if (JSON.stringify(endpoints) !== JSON.stringify(want)) {
    throw new Error(`Service ${service}: endpoints ${describeEndpoints(endpoints)}; want the ${slot} pods ${describeEndpoints(want)}`);
  }
}

/**
 * Waits (bounded) until `bg.service` sends traffic to exactly the pods of `active` and `bg.previewService`
 * to exactly those of the other slot; returns how long that took.
 */
async function expectTraffic(kube: Kube, ns: string, bg: BlueGreen, active: Slot): Promise<number> {
  const idle = other(active);
  const pods = { blue: slotPods(kube, ns, bg.deployments.blue), green: slotPods(kube, ns, bg.deployments.green) };
  for (const slot of SLOTS) {
    expect(pods[slot].length, `${slot} pods`).toBeGreaterThanOrEqual(1);
    for (const p of pods[slot]) {
      expect(p.metadata.labels?.[SLOT_LABEL], p.metadata.name).toBe(slot);
      expect(p.status?.podIP, `${p.metadata.name} has an IP`).toBeTruthy();
      expect(p.status?.conditions?.find((c) => c.type === 'Ready')?.status, `${p.metadata.name} Ready`).toBe('True');
    }
  }
  // Otherwise "the endpoints are the blue pods" would not tell the slots apart.
  const ips = [...pods.blue, ...pods.green].map((p) => p.status?.podIP);
  expect(new Set(ips).size, `pod IPs ${ips.join(', ')} are distinct`).toBe(ips.length);

  expect(getJson<Service>(kube, ['service', bg.service, '-n', ns]).spec.selector[SLOT_LABEL]).toBe(active);
  expect(getJson<Service>(kube, ['service', bg.previewService, '-n', ns]).spec.selector[SLOT_LABEL]).toBe(idle);
  const started = Date.now();
  await waitFor(
    `${bg.service} -> ${active} pods and ${bg.previewService} -> ${idle} pods`,
    () => {
      assertEndpointsArePods(bg.service, serviceEndpoints(kube, ns, bg.service), pods[active], active);
      assertEndpointsArePods(bg.previewService, serviceEndpoints(kube, ns, bg.previewService), pods[idle], idle);
      return true;
    },
    60_000,
    250,
  );
  return Date.now() - started;
}

for (const chart of chartDirs()) {
  const profile = profiles[chart.name];
  const bg = profile?.blueGreen;
  if (!bg) continue; // no blue-green slots in this chart (see profiles.ts)
  for (const major of HELM_MAJORS) {
    describe(`${chart.name}, helm ${major}`, () => {
      it(`switching strategy.blueGreen.activeSlot moves ${bg.service} and ${bg.previewService} between the slots' pods, and back, without touching a Deployment`, async () => {
        const kube = cluster();
        const ns = newNamespace(`${chart.name}-h${major}-bluegreen`);
        profile.prepareDefaults?.(kube, ns);
        install(major, chart.dir, RELEASE, ns, ['strategy.type=BlueGreen', 'strategy.blueGreen.green.replicas=1', `strategy.blueGreen.green.imageTag=${bg.newTag}`]);

        // Each slot runs its version: blue the chart's image, green the new tag.
        const image = (slot: Slot): string[] => slotPods(kube, ns, bg.deployments[slot]).map((p) => p.spec.containers.find((c) => c.name === bg.container)?.image ?? '');
        expect(image('blue')).toEqual([bg.fromImage]);
        expect(image('green')).toEqual([bg.toImage]);
        const before = slotState(kube, ns, bg);
        for (const slot of SLOTS) expect(before[slot].observedGeneration, `${slot} rolled out`).toBe(before[slot].generation);

        const initial = await expectTraffic(kube, ns, bg, 'blue');

        upgrade(major, chart.dir, RELEASE, ns, ['strategy.blueGreen.activeSlot=green']);
        const toGreen = await expectTraffic(kube, ns, bg, 'green');
        expect(slotState(kube, ns, bg)).toEqual(before);

        upgrade(major, chart.dir, RELEASE, ns, ['strategy.blueGreen.activeSlot=blue']);
        const toBlue = await expectTraffic(kube, ns, bg, 'blue');
        expect(slotState(kube, ns, bg)).toEqual(before);

        const history = JSON.parse(helmOk(major, ['history', RELEASE, '-n', ns, '-o', 'json']).stdout) as { revision: number; status: string }[];
        expect(history.map((h) => [h.revision, h.status])).toEqual([[1, 'superseded'], [2, 'superseded'], [3, 'deployed']]);
        process.stdout.write(
          `[blue-green] ${chart.name} helm ${major}: endpoints seen on blue ${initial} ms after the install returned, on green ${toGreen} ms after the switch returned, back on blue ${toBlue} ms after switching back; Deployments at generation ${before.blue.generation}/${before.green.generation} throughout\n`,
        );
      });
    });
  }
}

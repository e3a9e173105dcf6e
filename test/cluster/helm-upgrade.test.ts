/**
 * Upgrades for real: `helm upgrade` to a new image rolls the pods per the Deployment's strategy (watched
 * event by event), the Secrets the chart generates survive byte for byte, and `helm rollback` brings the
 * previous image back. With helm 3 and helm 4, for every chart that has a profile.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { HELM_MAJORS } from '../../lib/tooling/helm';
import { kubectlAsync } from '../../scripts/cluster/kube';
import { profiles } from './profiles';
import { chartDirs, cluster, deleteNamespaces, getJson, helmOk, install, Kube, kubectlOk, newNamespace, waitFor } from './support';

afterAll(deleteNamespaces);

const RELEASE = 'rel';

interface Deployment {
  metadata: { generation: number };
  spec: {
    replicas: number;
    selector: { matchLabels: Record<string, string> };
    strategy: { type: string; rollingUpdate?: { maxSurge: number | string; maxUnavailable: number | string } };
    template: { spec: { containers: { name: string; image: string }[] } };
  };
}

/** An intOrString of a rolling update ("25%" or 1) resolved against `replicas`, as the controller does. */
function resolve(v: number | string, replicas: number, roundUp: boolean): number {
  if (typeof v === 'number') return v;
  const pct = Number(v.replace('%', ''));
  return roundUp ? Math.ceil((pct * replicas) / 100) : Math.floor((pct * replicas) / 100);
}

interface RsState {
  spec: number;
  available: number;
  image: string;
}
interface PodState {
  terminating: boolean;
  ready: boolean;
  image: string;
}

/**
 * Watches the ReplicaSets and pods of a Deployment (one `kubectl get -w` each, every event in order)
 * and records, after each event, the totals the rolling-update strategy bounds.
 */
function watchRollout(kube: Kube, ns: string, selector: string) {
  const rs = new Map<string, RsState>();
  const pods = new Map<string, PodState>();
  const rsHistory: { total: number; available: number; byRs: Record<string, number> }[] = [];
  const podHistory: { live: number; ready: number }[] = [];
  // "|"-separated: kubectl's watch output goes through a tabwriter that turns tabs into spaces.
  const field = (f: string): string => `{${f}}{"|"}`;
  const rsWatch = kubectlAsync(
    kube,
    ['get', 'rs', '-n', ns, '-l', selector, '-w', '--output-watch-events', '-o',
      `jsonpath=${field('.type')}${field('.object.metadata.name')}${field('.object.spec.replicas')}${field('.object.status.availableReplicas')}{.object.spec.template.spec.containers[0].image}{"\\n"}`],
    (line) => {
      const [type, name, spec, available, image] = line.split('|') as [string, string, string, string, string];
      if (type === 'DELETED') rs.delete(name);
      else rs.set(name, { spec: Number(spec || 0), available: Number(available || 0), image });
      const states = [...rs.values()];
      rsHistory.push({
        total: states.reduce((a, s) => a + s.spec, 0),
        available: states.reduce((a, s) => a + s.available, 0),
        byRs: Object.fromEntries([...rs].map(([n, s]) => [s.image || n, s.spec])),
      });
    },
  );
  const podWatch = kubectlAsync(
    kube,
    ['get', 'pods', '-n', ns, '-l', selector, '-w', '--output-watch-events', '-o',
      `jsonpath=${field('.type')}${field('.object.metadata.name')}${field('.object.metadata.deletionTimestamp')}${field('.object.status.conditions[?(@.type=="Ready")].status')}{.object.spec.containers[0].image}{"\\n"}`],
    (line) => {
      const [type, name, deletion, ready, image] = line.split('|') as [string, string, string, string, string];
      if (type === 'DELETED') pods.delete(name);
      else pods.set(name, { terminating: deletion !== '', ready: ready === 'True', image });
      const live = [...pods.values()].filter((p) => !p.terminating);
      podHistory.push({ live: live.length, ready: live.filter((p) => p.ready).length });
    },
  );
  return {
    rs,
    pods,
    rsHistory,
    podHistory,
    async stop(): Promise<void> {
      rsWatch.kill();
      podWatch.kill();
      await Promise.all([rsWatch.done, podWatch.done]);
    },
  };
}

function secretData(kube: Kube, ns: string, names: string[]): Record<string, Record<string, string>> {
  return Object.fromEntries(names.map((n) => [n, (getJson<{ data: Record<string, string> }>(kube, ['secret', n, '-n', ns]).data)]));
}

function deployment(kube: Kube, ns: string, name: string): Deployment {
  return getJson<Deployment>(kube, ['deployment', name, '-n', ns]);
}

for (const chart of chartDirs()) {
  const profile = profiles[chart.name];
  const u = profile?.upgrade;
  if (!u) continue; // no upgrade profile: helm-install.test.ts's same-values upgrade still runs
  for (const major of HELM_MAJORS) {
    describe(`${chart.name}, helm ${major}`, () => {
      it(`upgrade (${u.upgradeSet.join(',')}) rolls ${u.replicas} pods per the strategy, keeps generated Secrets, rollback restores the image`, async () => {
        const kube = cluster();
        const ns = newNamespace(`${chart.name}-h${major}-upgrade`);
        install(major, chart.dir, RELEASE, ns, u.set);
        const before = deployment(kube, ns, u.deployment);
        expect(before.spec.replicas).toBe(u.replicas);
        expect(before.spec.template.spec.containers.find((c) => c.name === u.container)?.image).toBe(u.fromImage);
        const secretsBefore = secretData(kube, ns, u.generatedSecrets);
        for (const [name, data] of Object.entries(secretsBefore)) expect(Object.keys(data).length, name).toBeGreaterThan(0);

        const strategy = before.spec.strategy;
        expect(strategy.type).toBe('RollingUpdate');
        const maxSurge = resolve(strategy.rollingUpdate!.maxSurge, u.replicas, true);
        const maxUnavailable = resolve(strategy.rollingUpdate!.maxUnavailable, u.replicas, false);
        const selector = Object.entries(before.spec.selector.matchLabels).map(([k, v]) => `${k}=${v}`).join(',');

        const watch = watchRollout(kube, ns, selector);
        // The watches have listed the current state: one ReplicaSet, all pods ready.
        await waitFor('the watches to list the current state', () =>
          watch.rs.size === 1 && [...watch.pods.values()].filter((p) => p.ready).length === u.replicas ? true : undefined);
        const startRs = watch.rsHistory.length;
        const startPods = watch.podHistory.length;

        helmOk(major, ['upgrade', RELEASE, chart.dir, '-n', ns, '--wait', '--timeout', '3m', '--set', [...u.set, ...u.upgradeSet].join(',')]);
        kubectlOk(kube, ['rollout', 'status', `deployment/${u.deployment}`, '-n', ns, '--timeout=120s']);
        // Wait until the watches have seen the end of the rollout: only new pods, all ready.
        await waitFor('the watches to see the rollout finish', () => {
          const live = [...watch.pods.values()].filter((p) => !p.terminating);
          return live.length === u.replicas && live.every((p) => p.ready && p.image === u.toImage) ? true : undefined;
        });
        await watch.stop();

        const rsSteps = watch.rsHistory.slice(startRs);
        const podSteps = watch.podHistory.slice(startPods);
        expect(rsSteps.length).toBeGreaterThan(0);
        expect(podSteps.length).toBeGreaterThan(0);
        // The strategy's bounds, at every event: ReplicaSets never ask for more than replicas + maxSurge
        // pods, and never fewer than replicas - maxUnavailable are available / ready.
        for (const s of rsSteps) expect(s.total, JSON.stringify(s)).toBeLessThanOrEqual(u.replicas + maxSurge);
        for (const s of rsSteps) expect(s.available, JSON.stringify(s)).toBeGreaterThanOrEqual(u.replicas - maxUnavailable);
        for (const s of podSteps) expect(s.ready, JSON.stringify(s)).toBeGreaterThanOrEqual(u.replicas - maxUnavailable);
        // A rolling update, not a recreate: old and new pods ran side by side, and the new ReplicaSet grew
        // by at most maxSurge + maxUnavailable pods per step up to replicas.
        expect(rsSteps.some((s) => (s.byRs[u.fromImage] ?? 0) > 0 && (s.byRs[u.toImage] ?? 0) > 0)).toBe(true);
        const newSizes = rsSteps.map((s) => s.byRs[u.toImage] ?? 0).filter((n, i, a) => i === 0 || n !== a[i - 1]);
        for (let i = 1; i < newSizes.length; i++) expect(newSizes[i]! - newSizes[i - 1]!).toBeLessThanOrEqual(maxSurge + maxUnavailable);
        expect(newSizes[newSizes.length - 1]).toBe(u.replicas);
        expect(newSizes.length).toBeGreaterThanOrEqual(Math.ceil(u.replicas / (maxSurge + maxUnavailable)));
        const maxLive = Math.max(...podSteps.map((s) => s.live));
        process.stdout.write(`[upgrade] helm ${major}: new ReplicaSet sizes ${newSizes.join(' -> ')}; at most ${maxLive} non-terminating pods at once\n`);

        const after = deployment(kube, ns, u.deployment);
        expect(after.spec.template.spec.containers.find((c) => c.name === u.container)?.image).toBe(u.toImage);
        expect(secretData(kube, ns, u.generatedSecrets)).toEqual(secretsBefore);

        helmOk(major, ['rollback', RELEASE, '1', '-n', ns, '--wait', '--timeout', '3m']);
        kubectlOk(kube, ['rollout', 'status', `deployment/${u.deployment}`, '-n', ns, '--timeout=120s']);
        const rolledBack = deployment(kube, ns, u.deployment);
        expect(rolledBack.spec.template.spec.containers.find((c) => c.name === u.container)?.image).toBe(u.fromImage);
        await waitFor('only pods of the previous image', () => {
          const pods = getJson<{ items: { metadata: { deletionTimestamp?: string }; spec: { containers: { name: string; image: string }[] } }[] }>(kube, ['pods', '-n', ns, '-l', selector]).items.filter(
            (p) => !p.metadata.deletionTimestamp,
          );
          return pods.length === u.replicas && pods.every((p) => p.spec.containers.find((c) => c.name === u.container)?.image === u.fromImage) ? true : undefined;
        });
        expect(secretData(kube, ns, u.generatedSecrets)).toEqual(secretsBefore);
        const history = JSON.parse(helmOk(major, ['history', RELEASE, '-n', ns, '-o', 'json']).stdout) as { revision: number; status: string; description: string }[];
        expect(history.map((h) => h.revision)).toEqual([1, 2, 3]);
        expect(history[2]!.status).toBe('deployed');
        expect(history[2]!.description).toMatch(/Rollback to 1/);
      });
    });
  }
}

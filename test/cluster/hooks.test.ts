/**
 * The hot-backup hook Jobs for real, with helm 3 and helm 4, for every chart whose profile has
 * `blueGreen.hotBackup` (md-core: strategy.type=BlueGreen, hotBackup.enabled=true). An install runs
 * neither Job (they are upgrade hooks). On each `helm upgrade` of the README's blue-green flow, the
 * pre-upgrade export Job completes before the upgrade changes anything, the post-upgrade import Job is
 * created only once the upgrade is applied and rolled out, and both complete and stay (hook-delete-policy
 * before-hook-creation: the next upgrade replaces them).
 *
 * How the order is proven: a watch is one stream in the order the apiserver committed its changes, so
 * 1. deploying the new version to the idle slot (pods change): in the namespace's pod watch, the export
 *    pod succeeds before the first pod of the new version appears, and the import pod appears after the
 *    last of them is Ready;
 * 2. switching activeSlot (only the Services change): in the Job watch, the export completes before the
 *    import is created; the Service changes after the export completed and before the import is created
 *    by resourceVersion (on our control plane: etcd's revision, one counter for every write, see
 *    resourceVersionsOrderWrites), and, coarser, by the apiserver's timestamps (one-second resolution,
 *    hence ≤): the export's completionTime ≤ the time Helm changed the Service ≤ the import's
 *    creationTimestamp.
 *
 * kwok completes a Job's pod without running its container (cluster/kwok/stages.yaml, pod-complete), so
 * what this proves is Helm's ordering and the Jobs' lifecycle, not the export/import scripts: those run
 * for real under sh and curl in test/hot-backup-scripts.test.ts.
 */
import * as fs from 'node:fs';
import { afterAll, describe, expect, it } from 'vitest';
import { SLOT_LABEL } from '../../lib/constructs/strategy';
import { HELM_MAJORS } from '../../lib/tooling/helm';
import { profiles } from './profiles';
import {
  assertPodReferencesResolve,
  chartDirs,
  cluster,
  deleteNamespaces,
  getJson,
  install,
  K8sObject,
  Kube,
  newNamespace,
  parseStream,
  helmOk,
  upgrade,
  waitFor,
  Watch,
  watchCollection,
  WatchEvent,
} from './support';

afterAll(deleteNamespaces);

const RELEASE = 'rel';
const JOB_UID_LABEL = 'batch.kubernetes.io/controller-uid';

type Job = K8sObject & {
  metadata: { uid: string; creationTimestamp: string };
  status?: { succeeded?: number; completionTime?: string; conditions?: { type: string; status: string }[] };
};
type Pod = K8sObject & {
  metadata: { uid: string; deletionTimestamp?: string };
  spec: { containers: { name: string; image: string }[] };
  status?: { phase?: string; conditions?: { type: string; status: string }[] };
};
type Service = K8sObject & { metadata: { managedFields?: { manager: string; operation: string; time: string }[] }; spec: { selector: Record<string, string> } };

type Hooks = { exportJob: string; importJob: string };

const complete = (j: Job): boolean => (j.status?.succeeded ?? 0) >= 1 && (j.status?.conditions ?? []).some((c) => c.type === 'Complete' && c.status === 'True');
const ready = (p: Pod): boolean => (p.status?.conditions ?? []).some((c) => c.type === 'Ready' && c.status === 'True');
const seconds = (t: string | undefined): number => {
  if (!t) throw new Error('missing timestamp');
  return Date.parse(t);
};

/**
 * Whether resourceVersions order writes across kinds here. The API calls them opaque; in fact each is
 * the etcd revision of the object's last write, one counter for all writes to one etcd, unless the
 * apiserver keeps some resources in another etcd (--etcd-servers-overrides). That can be checked only for
 * a control plane we started (its kube-apiserver's command line), not for one KUBECONFIG points at.
 */
function resourceVersionsOrderWrites(): boolean | 'unknown' {
  const c = cluster();
  const apiserver = c.pids.find((p) => p.component === 'kube-apiserver');
  if (c.external || !apiserver) return 'unknown';
  const args = fs.readFileSync(`/proc/${apiserver.pid}/cmdline`, 'utf8').split('\0');
  if (!args.some((a) => a.startsWith('--etcd-servers='))) throw new Error(`kube-apiserver (pid ${apiserver.pid}) has no --etcd-servers: ${args.join(' ')}`);
  return !args.some((a) => a.startsWith('--etcd-servers-overrides'));
}

const rv = (o: K8sObject): bigint => BigInt(String(o.metadata.resourceVersion));

/** Index of the first event at or after `from` matching `pred`; throws naming `what` if there is none. */
function indexOf<T extends K8sObject>(events: WatchEvent<T>[], from: number, what: string, pred: (e: WatchEvent<T>) => boolean): number {
  for (let i = from; i < events.length; i++) if (pred(events[i]!)) return i;
  throw new Error(`no watch event: ${what}\n${events.slice(from).map((e) => `${e.type} ${e.object.kind ?? ''}/${e.object.metadata.name}`).join('\n')}`);
}

function job(kube: Kube, ns: string, name: string): Job {
  return getJson<Job>(kube, ['job', name, '-n', ns]);
}

/** Waits (bounded) until the Job watch since `from` has seen the import complete; the uids of the Jobs that upgrade created. */
async function hooksOfUpgrade(watch: Watch<Job>, from: number, hb: Hooks): Promise<{ exportUid: string; importUid: string }> {
  await waitFor(`the Job watch to see ${hb.importJob} complete`, () =>
    watch.events.slice(from).some((e) => e.type !== 'DELETED' && e.object.metadata.name === hb.importJob && complete(e.object)) ? true : undefined, 60_000);
  const created = (name: string): string => watch.events[indexOf(watch.events, from, `${name} created`, (e) => e.type === 'ADDED' && e.object.metadata.name === name)]!.object.metadata.uid;
  return { exportUid: created(hb.exportJob), importUid: created(hb.importJob) };
}

/**
 * In the Job watch since `from`: the export Job is created and completes, and only then is the import Job
 * created (and completes), each once. With `replaces`, the previous Job of each name is deleted before its
 * replacement is created (hook-delete-policy before-hook-creation).
 */
function assertJobOrder(watch: Watch<Job>, from: number, hb: Hooks, uids: { exportUid: string; importUid: string }, replaces: boolean): void {
  const ev = watch.events;
  const is = (uid: string) => (e: WatchEvent<Job>) => e.object.metadata.uid === uid;
  const exportAdded = indexOf(ev, from, `${hb.exportJob} created`, (e) => e.type === 'ADDED' && is(uids.exportUid)(e));
  const exportDone = indexOf(ev, exportAdded, `${hb.exportJob} complete`, (e) => is(uids.exportUid)(e) && complete(e.object));
  const importAdded = indexOf(ev, from, `${hb.importJob} created`, (e) => e.type === 'ADDED' && is(uids.importUid)(e));
  indexOf(ev, importAdded, `${hb.importJob} complete`, (e) => is(uids.importUid)(e) && complete(e.object));
  expect(exportDone, `${hb.exportJob} completes before ${hb.importJob} is created`).toBeLessThan(importAdded);
  for (const [name, uid, added] of [[hb.exportJob, uids.exportUid, exportAdded], [hb.importJob, uids.importUid, importAdded]] as const) {
    const previous = ev.map((e, i) => ({ e, i })).filter(({ e, i }) => i >= from && e.object.metadata.name === name && e.object.metadata.uid !== uid);
    if (replaces) {
      const deleted = previous.find(({ e }) => e.type === 'DELETED');
      expect(deleted, `the previous ${name} is deleted`).toBeDefined();
      expect(deleted!.i, `the previous ${name} is deleted before the new one is created`).toBeLessThan(added);
    }
    expect(previous.filter(({ i }) => i > added), `no earlier ${name} after the new one is created`).toEqual([]);
  }
  // Each hook ran once.
  expect(ev.slice(from).filter((e) => e.type === 'ADDED').map((e) => e.object.metadata.name).sort()).toEqual([hb.exportJob, hb.importJob].sort());
}

/** Both Jobs are there after the upgrade, completed (the delete policy keeps them until the next one). */
function assertJobsRemainComplete(kube: Kube, ns: string, hb: Hooks, uids: { exportUid: string; importUid: string }): { exp: Job; imp: Job } {
  const exp = job(kube, ns, hb.exportJob);
  const imp = job(kube, ns, hb.importJob);
  expect(exp.metadata.uid).toBe(uids.exportUid);
  expect(imp.metadata.uid).toBe(uids.importUid);
  for (const j of [exp, imp]) {
    expect(j.status?.succeeded ?? 0, `${j.metadata.name} succeeded`).toBeGreaterThanOrEqual(1);
    expect(j.status?.conditions?.find((c) => c.type === 'Complete')?.status, `${j.metadata.name} Complete`).toBe('True');
    expect(j.status?.conditions?.some((c) => c.type === 'Failed' && c.status === 'True'), `${j.metadata.name} not Failed`).toBe(false);
  }
  return { exp, imp };
}

for (const chart of chartDirs()) {
  const profile = profiles[chart.name];
  const bg = profile?.blueGreen;
  const hb = bg?.hotBackup;
  if (!bg || !hb) continue; // no hot backup in this chart (see profiles.ts)
  for (const major of HELM_MAJORS) {
    describe(`${chart.name}, helm ${major}`, () => {
      it(`on each upgrade ${hb.exportJob} (pre-upgrade) completes before the upgrade is applied and ${hb.importJob} (post-upgrade) runs after it, and completes`, async () => {
        const kube = cluster();
        const ns = newNamespace(`${chart.name}-h${major}-hooks`);
        profile.prepareDefaults?.(kube, ns);
        // The README's starting point: BlueGreen, blue live, green empty; hot backup on.
        install(major, chart.dir, RELEASE, ns, ['strategy.type=BlueGreen', ...hb.set]);

        // The hooks Helm holds for the release: exactly these two Jobs, pre- and post-upgrade, in that order of weight.
        const hooks = parseStream(helmOk(major, ['get', 'hooks', RELEASE, '-n', ns]).stdout).filter((h) => h.kind === 'Job');
        const annotation = (name: string, a: string): string | undefined => hooks.find((h) => h.metadata.name === name)?.metadata.annotations?.[a];
        expect(hooks.map((h) => h.metadata.name).sort()).toEqual([hb.exportJob, hb.importJob].sort());
        expect(annotation(hb.exportJob, 'helm.sh/hook')).toBe('pre-upgrade');
        expect(annotation(hb.importJob, 'helm.sh/hook')).toBe('post-upgrade');
        for (const name of [hb.exportJob, hb.importJob]) expect(annotation(name, 'helm.sh/hook-delete-policy')).toBe('before-hook-creation');

        // An install runs neither (only the credential generator, a plain Job); the claim they share is there (and Bound) from the install on.
        expect(getJson<{ items: Job[] }>(kube, ['jobs', '-n', ns]).items.map((j) => j.metadata.name).filter((n) => !/-credentials-[0-9a-f]{8}$/.test(n))).toEqual([]);
        expect(getJson<{ status: { phase: string } }>(kube, ['pvc', hb.claim, '-n', ns]).status.phase).toBe('Bound');

        const jobs = watchCollection<Job>(kube, `/apis/batch/v1/namespaces/${ns}/jobs`);
        const pods = watchCollection<Pod>(kube, `/api/v1/namespaces/${ns}/pods`);
        const services = watchCollection<Service>(kube, `/api/v1/namespaces/${ns}/services`);
        try {
          // 1. Deploy the new version to the idle slot: the upgrade creates pods.
          const started1 = Date.now();
          upgrade(major, chart.dir, RELEASE, ns, [`strategy.blueGreen.green.imageTag=${bg.newTag}`, 'strategy.blueGreen.green.replicas=1']);
          const took1 = Date.now() - started1;
          const first = await hooksOfUpgrade(jobs, 0, hb);
          assertJobOrder(jobs, 0, hb, first, false);
          assertJobsRemainComplete(kube, ns, hb, first);

          await waitFor('the pod watch to see the import pod', () =>
            pods.events.some((e) => e.object.metadata.labels?.[JOB_UID_LABEL] === first.importUid && e.object.status?.phase === 'Succeeded') ? true : undefined, 60_000);
          const pe = pods.events;
          const ofJob = (uid: string) => (e: WatchEvent<Pod>) => e.object.metadata.labels?.[JOB_UID_LABEL] === uid;
          const isNew = (e: WatchEvent<Pod>) => e.object.metadata.labels?.[SLOT_LABEL] === 'green' && e.object.spec.containers.some((c) => c.image === bg.toImage);
          const exportSucceeded = indexOf(pe, 0, 'the export pod Succeeded', (e) => ofJob(first.exportUid)(e) && e.object.status?.phase === 'Succeeded');
          const firstNew = indexOf(pe, 0, `a ${bg.toImage} pod in the green slot`, isNew);
          const newPods = [...new Set(pe.filter(isNew).map((e) => e.object.metadata.uid))];
          const lastNewReady = Math.max(...newPods.map((uid) => indexOf(pe, 0, `green pod ${uid} Ready`, (e) => e.object.metadata.uid === uid && ready(e.object))));
          const importCreated = indexOf(pe, 0, 'the import pod created', (e) => e.type === 'ADDED' && ofJob(first.importUid)(e));
          expect(exportSucceeded, 'the export pod succeeds before the first pod of the upgrade').toBeLessThan(firstNew);
          expect(lastNewReady, 'the import pod is created after the upgraded pods are Ready').toBeLessThan(importCreated);
          // Nothing of the upgrade (no pod created, changed or deleted outside the Jobs) before the export succeeded.
          const beforeExport = pe.slice(0, exportSucceeded).filter((e) => !e.object.metadata.labels?.[JOB_UID_LABEL]);
          expect(beforeExport.map((e) => `${e.type} ${e.object.metadata.name}`)).toEqual([]);
          expect(newPods.length).toBe(1);

          // 2. Switch the traffic to the new version: only the Services change.
          const mark = jobs.events.length;
          const serviceMark = services.events.length;
          const started2 = Date.now();
          upgrade(major, chart.dir, RELEASE, ns, ['strategy.blueGreen.activeSlot=green']);
          const took2 = Date.now() - started2;
          const second = await hooksOfUpgrade(jobs, mark, hb);
          expect(second.exportUid, 'before-hook-creation: a new export Job').not.toBe(first.exportUid);
          expect(second.importUid, 'before-hook-creation: a new import Job').not.toBe(first.importUid);
          assertJobOrder(jobs, mark, hb, second, true);
          const { exp, imp } = assertJobsRemainComplete(kube, ns, hb, second);

          const svc = getJson<Service>(kube, ['service', bg.service, '-n', ns, '--show-managed-fields']);
          expect(svc.spec.selector[SLOT_LABEL], 'the upgrade was applied').toBe('green');
          const helmFields = (svc.metadata.managedFields ?? []).filter((f) => f.manager.toLowerCase().startsWith('helm'));
          expect(helmFields.length, `a field manager of Helm on Service ${bg.service}`).toBeGreaterThan(0);
          const changed = Math.max(...helmFields.map((f) => seconds(f.time)));
          const exportDone = seconds(exp.status?.completionTime);
          const importCreated2 = seconds(imp.metadata.creationTimestamp);
          expect(changed, `Service ${bg.service} changed by Helm (upgrade 2) after ${hb.exportJob} was created`).toBeGreaterThanOrEqual(seconds(exp.metadata.creationTimestamp));
          expect(exportDone, `${hb.exportJob} completed (${exp.status?.completionTime}) no later than Helm changed ${bg.service} (${new Date(changed).toISOString()})`).toBeLessThanOrEqual(changed);
          expect(changed, `Helm changed ${bg.service} no later than ${hb.importJob} was created (${imp.metadata.creationTimestamp})`).toBeLessThanOrEqual(importCreated2);

          // The same order, strictly, by resourceVersion: the write that completed the export, the write
          // that switched the Service, the write that created the import.
          const switched = await waitFor(`the Service watch to see ${bg.service} switch to green`, () =>
            services.events.slice(serviceMark).find((e) => e.type === 'MODIFIED' && e.object.metadata.name === bg.service && e.object.spec.selector[SLOT_LABEL] === 'green'), 60_000);
          const exportCompleteRv = rv(jobs.events[indexOf(jobs.events, mark, `${hb.exportJob} complete`, (e) => e.object.metadata.uid === second.exportUid && complete(e.object))]!.object);
          const importCreatedRv = rv(jobs.events[indexOf(jobs.events, mark, `${hb.importJob} created`, (e) => e.type === 'ADDED' && e.object.metadata.uid === second.importUid)]!.object);
          const global = resourceVersionsOrderWrites();
          let order = `resourceVersions ${exportCompleteRv} < ${rv(switched.object)} < ${importCreatedRv}`;
          if (global === 'unknown') {
            order = 'resourceVersion order not checked (a cluster we did not start)';
          } else {
            expect(global, 'kube-apiserver keeps every resource in one etcd').toBe(true);
            expect(exportCompleteRv < rv(switched.object), `${hb.exportJob} completed (rv ${exportCompleteRv}) before ${bg.service} switched (rv ${rv(switched.object)})`).toBe(true);
            expect(rv(switched.object) < importCreatedRv, `${bg.service} switched (rv ${rv(switched.object)}) before ${hb.importJob} was created (rv ${importCreatedRv})`).toBe(true);
          }

          // What a kubelet would need for the hook pods: the backup claim Bound, the Secrets and keys they read.
          expect(assertPodReferencesResolve(kube, ns, ['Succeeded'])).toBeGreaterThan(0);
          await jobs.stop();
          await pods.stop();
          await services.stop();
          process.stdout.write(
            `[hooks] ${chart.name} helm ${major}: new version to green ${took1} ms (pod watch: export pod Succeeded #${exportSucceeded} < first new pod #${firstNew}, last new pod Ready #${lastNewReady} < import pod #${importCreated}); ` +
              `switch ${took2} ms (${order}; ${hb.exportJob} completed ${exp.status?.completionTime}, ${bg.service} changed ${new Date(changed).toISOString()}, ${hb.importJob} created ${imp.metadata.creationTimestamp})\n`,
          );
        } finally {
          jobs.kill();
          pods.kill();
          services.kill();
        }
      });
    });
  }
}

/**
 * Upgrades through git, every pod and Job on the real node:
 *
 *  - an image bump of md-icapsrv (RollingUpdate) is a commit: the Deployment rolls to the new image; reverting
 *    the commit rolls it back;
 *  - md-core blue-green with hot backup: a first sync (nothing to export yet), a commit deploying the new
 *    version to the green slot, then a commit switching the live slot. Under Argo CD the export Job is a Sync
 *    hook in wave -1 (after its claim and the Secrets, before the Service moves) and the import a PostSync
 *    hook: the green pod ends up holding the configuration exported from the blue one, so the export ran
 *    before the Service moved.
 *
 * The two run at the same time (their own namespaces, Applications and git repositories): each spends most
 * of its time waiting on Argo CD and the node.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { afterAll, expect, it } from 'vitest';
import YAML from 'yaml';
import { SLOT_LABEL } from '../../lib/constructs/strategy';
import { profiles } from '../cluster/profiles';
import {
  application,
  applicationObject,
  applyObjects,
  chartDirs,
  cluster,
  deleteNamespaces,
  forgetApplications,
  diagnostics,
  generatedSecrets,
  getJson,
  GitRepo,
  gitops,
  hardRefresh,
  isReady,
  logs,
  mgmt,
  newNamespace,
  nodeValuesFile,
  pods,
  podsIn,
  waitFor,
  waitRolledOut,
  waitSynced,
} from './support';

// Argo CD 3.6.2 keys its manifest cache on a Helm source's chart version, not on the commit of the `ref`
// source holding the values file: a values commit is seen only after a hard refresh (what the README tells
// users to configure). Each commit here is followed by one.
const repos: GitRepo[] = [];
afterAll(() => {
  forgetApplications(['rolling', 'blue-green']);
  for (const r of repos.splice(0)) r.remove();
  deleteNamespaces();
});

/** An Application of `chart` from the chart repository with values.yaml of `repo`, deploying to `ns` on the node. */
function chartApp(name: string, chart: string, repo: GitRepo, ns: string): unknown {
  const dir = chartDirs().find((c) => c.name === chart)!.dir;
  const version = /^version:\s*(\S+)/m.exec(fs.readFileSync(path.join(dir, 'Chart.yaml'), 'utf8'))![1]!;
  const { chartRepo, servers } = gitops();
  return applicationObject(name, {
    sources: [
      { repoURL: chartRepo, chart, targetRevision: version, helm: { releaseName: 'rel', valueFiles: ['$values/values.yaml'] } },
      { repoURL: repo.url, targetRevision: 'master', ref: 'values' },
    ],
    destination: { server: servers.pods, namespace: ns },
    syncPolicy: { automated: { prune: true, selfHeal: true } },
  });
}

function deploymentImage(ns: string, name: string): string {
  return getJson<{ spec: { template: { spec: { containers: { image: string }[] } } } }>(cluster(), ['deployment', name, '-n', ns]).spec.template.spec.containers[0]!.image;
}

it.concurrent('md-icapsrv: an image bump in git rolls the Deployment; reverting the commit rolls it back', async () => {
  const ns = newNamespace('argo-rolling');
  profiles['md-icapsrv']!.prepareDefaults!(cluster(), ns);
  const repo = new GitRepo('rolling');
  repos.push(repo);
  const { images } = pods();
  const first = repo.commit('md-icapsrv', { 'values.yaml': nodeValuesFile('md-icapsrv') });
  applyObjects(mgmt(), [chartApp('rolling', 'md-icapsrv', repo, ns)]);
  await waitSynced('rolling', { revision: first, timeoutMs: 600_000 });
  waitRolledOut(ns);
  expect(deploymentImage(ns, 'md-icapsrv')).toBe(images['md-standin'].ref);
  const secrets = generatedSecrets(cluster(), ns);

  const bump = repo.commit('md-icapsrv: the next image', { 'values.yaml': nodeValuesFile('md-icapsrv', [`image.tag=${images['md-standin-next'].tag}`]) });
  await hardRefresh('rolling');
  await waitSynced('rolling', { revision: bump });
  waitRolledOut(ns);
  expect(getJson<{ spec: { strategy: { type: string } } }>(cluster(), ['deployment', 'md-icapsrv', '-n', ns]).spec.strategy.type).toBe('RollingUpdate');
  expect(deploymentImage(ns, 'md-icapsrv')).toBe(images['md-standin-next'].ref);
  const running = podsIn(ns, 'app.kubernetes.io/name=md-icapsrv,app.kubernetes.io/component!=database').filter((p) => p.status?.phase === 'Running' && !p.metadata.deletionTimestamp);
  expect(running.map((p) => p.spec.containers[0]!.image), diagnostics(ns)).toContain(images['md-standin-next'].ref);

  const back = repo.revert(bump);
  await hardRefresh('rolling');
  await waitSynced('rolling', { revision: back });
  waitRolledOut(ns);
  expect(deploymentImage(ns, 'md-icapsrv')).toBe(images['md-standin'].ref);
  // The Secrets' labels carry the image's version (app.kubernetes.io/version), so their metadata changed with
  // each sync; the credentials must not have.
  const data = (all: ReturnType<typeof generatedSecrets>) => Object.fromEntries(Object.entries(all).map(([name, x]) => [name, x.data]));
  expect(data(generatedSecrets(cluster(), ns)), 'credentials across the upgrade and the rollback').toEqual(data(secrets));
});

type Job = { metadata: { name: string }; status?: { succeeded?: number; failed?: number; startTime?: string; completionTime?: string } };
type SyncResource = { kind: string; name: string; hookType?: string; hookPhase?: string; syncPhase?: string; status?: string };

function job(ns: string, name: string): Job {
  return getJson<Job>(cluster(), ['job', name, '-n', ns]);
}

function jobLog(ns: string, name: string, container: string): string {
  const [pod] = podsIn(ns, `job-name=${name}`);
  if (!pod) throw new Error(`no pod of Job ${name}`);
  return logs(ns, pod.metadata.name, container);
}

function slotPod(ns: string, slot: 'blue' | 'green'): string {
  const ready = podsIn(ns, `app.kubernetes.io/component=core,${SLOT_LABEL}=${slot}`).filter((p) => isReady(p) && !p.metadata.deletionTimestamp);
  expect(ready.map((p) => p.metadata.name), `${slot} slot pods`).toHaveLength(1);
  return ready[0]!.metadata.name;
}

/** The last sync's hook results of Application `app`: Job name -> Argo CD phase. */
function hookPhases(app: string): Record<string, string | undefined> {
  const resources = ((application(app)?.status?.operationState as { syncResult?: { resources?: SyncResource[] } } | undefined)?.syncResult?.resources ?? []).filter((r) => r.kind === 'Job');
  return Object.fromEntries(resources.map((r) => [r.name, r.hookType ?? r.syncPhase]));
}

it.concurrent('md-core blue-green: switching slots in git moves the Service with the hot-backup export and import in order', async () => {
  const APP = 'blue-green';
  const ns = newNamespace('argo-blue-green');
  profiles['md-core']!.prepareDefaults!(cluster(), ns);
  const repo = new GitRepo('blue-green');
  repos.push(repo);
  const { images } = pods();
  const base = ['strategy.type=BlueGreen', 'hotBackup.enabled=true'];
  const values = (extra: string[]): Record<string, string> => ({ 'values.yaml': nodeValuesFile('md-core', [...base, ...extra]) });
  const first = repo.commit('md-core blue-green', values([]));
  applyObjects(mgmt(), [chartApp(APP, 'md-core', repo, ns)]);
  await waitSynced(APP, { revision: first, timeoutMs: 600_000 });
  waitRolledOut(ns);
  // The first sync ran both hooks too: nothing was deployed to export from, so nothing was imported.
  expect(jobLog(ns, 'md-core-config-export', 'export')).toMatch(/nothing deployed at HTTP:\/\/md-core:8008 yet: nothing to export/);
  expect(jobLog(ns, 'md-core-config-import', 'import')).toMatch(/nothing was exported \(a first deploy\): nothing to import/);
  const blue = slotPod(ns, 'blue');
  const selector = () => getJson<{ spec: { selector: Record<string, string> } }>(cluster(), ['service', 'md-core', '-n', ns]).spec.selector[SLOT_LABEL];
  expect(selector()).toBe('blue');

  // 1. The new version in the idle (green) slot.
  const green1 = repo.commit('md-core: next version in green', values([`strategy.blueGreen.green.imageTag=${images['md-standin-next'].tag}`, 'strategy.blueGreen.green.replicas=1']));
  await hardRefresh(APP);
  await waitSynced(APP, { revision: green1 });
  waitRolledOut(ns);
  const green = slotPod(ns, 'green');
  expect(podsIn(ns).find((p) => p.metadata.name === green)!.spec.containers[0]!.image).toBe(images['md-standin-next'].ref);
  expect(selector(), 'still blue before the switch').toBe('blue');

  // 2. The switch.
  const switched = repo.commit('md-core: green is live', values([`strategy.blueGreen.green.imageTag=${images['md-standin-next'].tag}`, 'strategy.blueGreen.green.replicas=1', 'strategy.blueGreen.activeSlot=green']));
  await hardRefresh(APP);
  await waitSynced(APP, { revision: switched });
  waitRolledOut(ns);
  expect(selector(), 'the Service moved').toBe('green');
  const phases = hookPhases(APP);
  expect(phases['md-core-config-export'], JSON.stringify(phases)).toBe('Sync');
  expect(phases['md-core-config-import'], JSON.stringify(phases)).toBe('PostSync');
  const exp = job(ns, 'md-core-config-export');
  const imp = job(ns, 'md-core-config-import');
  expect(exp.status?.succeeded, 'export succeeded').toBe(1);
  expect(imp.status?.succeeded, 'import succeeded').toBe(1);
  expect(Date.parse(exp.status!.completionTime!), 'export finished before the import started').toBeLessThanOrEqual(Date.parse(imp.status!.startTime!));
  expect(jobLog(ns, 'md-core-config-export', 'export')).toMatch(/exported the configuration of HTTP:\/\/md-core:8008/);
  expect(jobLog(ns, 'md-core-config-import', 'import')).toMatch(/imported the configuration into HTTP:\/\/md-core-green:8008/);
  await waitFor('the green pod to log the import', () => (logs(ns, green, 'md-core').includes(`imported the configuration exported from ${blue}`) ? true : undefined), 60_000);
  expect(YAML.parse(repo.read('values.yaml')).strategy.blueGreen.activeSlot).toBe('green');
});

/**
 * md-core's blue-green upgrade with hot backup, with every pod and Job running for real (README
 * "Blue-green with hot backup"): install BlueGreen with hotBackup on; deploy the new version to the green
 * slot; switch the live slot to green. On each upgrade the pre-upgrade Job exports the live slot's
 * configuration (curl, apikey and password from the Secrets) to the claim md-core-backup, and the
 * post-upgrade Job imports it into the live slot once it is ready (through that slot's own Service);
 * after the switch the green pod holds the configuration exported from the blue one.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { afterAll, expect, it } from 'vitest';
import { SLOT_LABEL } from '../../lib/constructs/strategy';
import { profiles } from '../cluster/profiles';
import { chartDirs, cluster, deleteNamespaces, diagnostics, getJson, helmPods, isReady, logs, newNamespace, pods, podsIn, podValues, waitRolledOut } from './support';

afterAll(deleteNamespaces);

const RELEASE = 'rel';
const EXPORT_JOB = 'md-core-config-export';
const IMPORT_JOB = 'md-core-config-import';
const CLAIM = 'md-core-backup';

type Job = { status?: { succeeded?: number; failed?: number } };

function jobSucceeded(ns: string, name: string): void {
  const job = getJson<Job>(cluster(), ['job', name, '-n', ns]);
  expect(job.status?.succeeded, `${name} succeeded`).toBe(1);
  expect(job.status?.failed ?? 0, `${name} failed pods`).toBe(0);
}

/** The log of the (one) pod of Job `name`. */
function jobLog(ns: string, name: string, container: string): string {
  const [pod] = podsIn(ns, `job-name=${name}`);
  if (!pod) throw new Error(`no pod of Job ${name}`);
  return logs(ns, pod.metadata.name, container);
}

/** The one Ready pod of the given slot. */
function slotPod(ns: string, slot: 'blue' | 'green'): string {
  const ready = podsIn(ns, `app.kubernetes.io/component=core,${SLOT_LABEL}=${slot}`).filter((p) => isReady(p) && !p.metadata.deletionTimestamp);
  expect(ready.map((p) => p.metadata.name), `${slot} slot pods`).toHaveLength(1);
  return ready[0]!.metadata.name;
}

it('md-core: each upgrade exports the live slot and imports into the new live slot through the real Jobs and claim', () => {
  const chart = chartDirs().find((c) => c.name === 'md-core')!;
  const kube = cluster();
  const ns = newNamespace('pods-hot-backup');
  profiles['md-core']!.prepareDefaults!(kube, ns);
  const { images } = pods();
  const set = (values: string[]): string[] => ['--set', values.join(',')];
  helmPods(3, ns, ['install', RELEASE, chart.dir, '--wait', '--timeout', '5m', ...set([...podValues('md-core'), 'strategy.type=BlueGreen', 'hotBackup.enabled=true'])]);
  waitRolledOut(ns);
  const blue = slotPod(ns, 'blue');

  // 1. The new version in the idle (green) slot: export from blue, import into the live slot (still blue).
  const next = images['md-standin-next'];
  helmPods(3, ns, ['upgrade', RELEASE, chart.dir, '--reuse-values', '--wait', '--timeout', '5m', ...set([`strategy.blueGreen.green.imageTag=${next.tag}`, 'strategy.blueGreen.green.replicas=1'])]);
  waitRolledOut(ns);
  jobSucceeded(ns, EXPORT_JOB);
  jobSucceeded(ns, IMPORT_JOB);
  const green = slotPod(ns, 'green');
  const greenPod = podsIn(ns).find((p) => p.metadata.name === green)!;
  expect(greenPod.spec.containers[0]!.image).toBe(next.ref);
  expect(jobLog(ns, IMPORT_JOB, 'import')).toMatch(/imported the configuration into HTTP:\/\/md-core-blue:8008/);
  expect(logs(ns, blue, 'md-core')).toContain(`imported the configuration exported from ${blue}`);

  // 2. Switch: export from blue (live until now), import into green (live from now).
  helmPods(3, ns, ['upgrade', RELEASE, chart.dir, '--reuse-values', '--wait', '--timeout', '5m', ...set(['strategy.blueGreen.activeSlot=green'])]);
  waitRolledOut(ns);
  jobSucceeded(ns, EXPORT_JOB);
  jobSucceeded(ns, IMPORT_JOB);
  expect(jobLog(ns, EXPORT_JOB, 'export')).toMatch(/exported the configuration of HTTP:\/\/md-core:8008/);
  // Through the new live slot's own Service: md-core may still send to blue when the post-upgrade hook starts.
  expect(jobLog(ns, IMPORT_JOB, 'import')).toMatch(/imported the configuration into HTTP:\/\/md-core-green:8008/);
  expect(logs(ns, green, 'md-core'), `green ${green}; the blue pod logged:\n${logs(ns, blue, 'md-core')}\n${diagnostics(ns)}`).toContain(`imported the configuration exported from ${blue}`);

  // The claim, as the node mounted it: written by the Jobs' uid 100 with the pod's fsGroup 101; the import
  // removed the export's marker.
  const pv = getJson<{ spec: { volumeName: string } }>(kube, ['pvc', CLAIM, '-n', ns]).spec.volumeName;
  const dir = path.join(pods().volumes, pv);
  const zip = fs.statSync(path.join(dir, 'config.zip'));
  expect({ uid: zip.uid, gid: zip.gid }).toEqual({ uid: 100, gid: 101 });
  expect(fs.existsSync(path.join(dir, 'export.done'))).toBe(false);
});

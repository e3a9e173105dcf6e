/**
 * The SV server's stop sequence on a real node: the chart's start script runs the (stand-in) server
 * under bash in its own process group and holds work/lock; when the pod is deleted, the preStop hook
 * sends SIGTERM to that group and waits for the server, so the pod is gone within its grace period, the
 * server has finished its writes (logs/server.log) and the lock is released on the work volume. The next
 * pod then starts without waiting for it.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { afterAll, expect, it } from 'vitest';
import { chartDirs, cluster, deleteNamespaces, getJson, helmPods, isReady, kubectlOk, logs, newNamespace, Pod, pods, podsIn, podValues, waitFor, watchCollection } from './support';

afterAll(deleteNamespaces);

const RELEASE = 'rel';
const SELECTOR = 'app.kubernetes.io/component=sv-server';

/** Host directory of the claim mounted as volume `volume` of `pod`. */
function volumeDir(ns: string, pod: Pod & { spec: { volumes?: { name: string; persistentVolumeClaim?: { claimName: string } }[] } }, volume: string): string {
  const claim = pod.spec.volumes?.find((v) => v.name === volume)?.persistentVolumeClaim?.claimName;
  if (!claim) throw new Error(`${pod.metadata.name} has no claim as volume ${volume}`);
  return path.join(pods().volumes, getJson<{ spec: { volumeName: string } }>(cluster(), ['pvc', claim, '-n', ns]).spec.volumeName);
}

it('sv-server: a deleted pod stops within its grace period, the server exits cleanly and work/lock is released', async () => {
  const chart = chartDirs().find((c) => c.name === 'sv-server')!;
  const kube = cluster();
  const ns = newNamespace('pods-sv');
  helmPods(3, ns, ['install', RELEASE, chart.dir, '--wait', '--timeout', '5m', '--set', podValues('sv-server').join(',')]);
  const [pod] = podsIn(ns, SELECTOR) as (Pod & { spec: { terminationGracePeriodSeconds: number; volumes?: { name: string; persistentVolumeClaim?: { claimName: string } }[] } })[];
  const name = pod!.metadata.name;
  const work = volumeDir(ns, pod!, 'work');
  const logsDir = volumeDir(ns, pod!, 'logs');
  expect(fs.readFileSync(path.join(work, 'lock'), 'utf8').trim()).toBe(name);
  expect(fs.readFileSync(path.join(work, 'server.state'), 'utf8')).toContain(`running ${name}`);

  const watch = watchCollection<Pod>(kube, `/api/v1/namespaces/${ns}/pods`);
  try {
    const started = Date.now();
    kubectlOk(kube, ['scale', 'deployment/sv-server', '-n', ns, '--replicas=0']);
    await waitFor(`${name} to be deleted`, () => (watch.events.some((e) => e.type === 'DELETED' && e.object.metadata.name === name) ? true : undefined), 200_000, 250);
    const seconds = (Date.now() - started) / 1000;
    expect(seconds, 'stopped within terminationGracePeriodSeconds').toBeLessThan(pod!.spec.terminationGracePeriodSeconds);
    // Never SIGKILLed (137). 143: the image's start script is a shell that SIGTERM ends while the server it
    // started finishes (its log says so below); the chart's script then exits with that shell's status.
    const last = watch.events.filter((e) => e.object.metadata.name === name && e.object.status?.containerStatuses?.[0]?.state?.terminated).pop();
    expect([0, 143], 'the container exit code').toContain(last?.object.status?.containerStatuses?.[0]?.state?.terminated?.exitCode);
  } finally {
    watch.kill();
  }
  expect(fs.existsSync(path.join(work, 'lock')), 'work/lock released').toBe(false);
  expect(fs.existsSync(path.join(work, 'server.state')), 'the server removed its state').toBe(false);
  expect(fs.readFileSync(path.join(logsDir, 'server.log'), 'utf8')).toMatch(new RegExp(`\\[sv-standin ${name}\\] stopped cleanly`));

  kubectlOk(kube, ['scale', 'deployment/sv-server', '-n', ns, '--replicas=1']);
  const next = await waitFor('the next sv-server pod to be Ready', () => podsIn(ns, SELECTOR).find((p) => p.metadata.name !== name && isReady(p))?.metadata.name, 180_000, 1000);
  expect(logs(ns, next, 'sv-server')).not.toMatch(/waiting up to|taking over the lock/);
  expect(fs.readFileSync(path.join(work, 'lock'), 'utf8').trim()).toBe(next);
});

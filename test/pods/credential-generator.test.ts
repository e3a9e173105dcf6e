/**
 * The credential generator Job on a real node, where its old failure mode left its mark: a Secret whose
 * generated key is empty (what the generator wrote when its random source failed) gets a full value when
 * the Job runs again; a key cut short is refused: the Job fails, says why, and the Secret keeps its bytes.
 * Each rerun is a copy of the chart's Job (same pod, new name, no retries), as `kubectl create job --from`
 * would make from a CronJob.
 */
import { afterAll, expect, it } from 'vitest';
import { chartDirs, cluster, deleteNamespaces, diagnostics, getJson, helmPods, K8sObject, kubectl, kubectlOk, logs, newNamespace, podsIn, podValues, secretData } from './support';

afterAll(deleteNamespaces);

const CHART = 'sv-server';
const SECRET = 'sv-server-cred';

type Job = K8sObject & { spec: { selector?: unknown; backoffLimit?: number; template: { metadata?: { labels?: Record<string, string> } } } };

function generatorJob(ns: string): Job {
  const [job] = getJson<{ items: Job[] }>(cluster(), ['jobs', '-n', ns, '-l', 'app.kubernetes.io/component=credential-generator']).items;
  if (!job) throw new Error(`no credential generator Job in ${ns}\n${diagnostics(ns)}`);
  return job;
}

/** Waits for the Job's `condition` (complete or failed); throws with the diagnostics otherwise. */
function waitJob(ns: string, name: string, condition: 'complete' | 'failed'): void {
  const r = kubectl(cluster(), ['wait', `--for=condition=${condition}`, `job/${name}`, '-n', ns, '--timeout=180s'], { timeoutMs: 200_000 });
  if (r.code !== 0) throw new Error(`job ${name} not ${condition}: ${r.stderr}${r.stdout}\n${diagnostics(ns)}`);
}

/** Runs the chart's generator Job again as `name`, once, and waits for `condition`; returns its log. */
function rerun(ns: string, name: string, condition: 'complete' | 'failed'): string {
  const job = generatorJob(ns);
  const labels = { ...job.spec.template.metadata?.labels };
  // The controller's own labels and selector: a new Job gets its own.
  for (const k of Object.keys(labels)) if (/controller-uid|job-name/.test(k)) delete labels[k];
  const copy = {
    apiVersion: 'batch/v1',
    kind: 'Job',
    metadata: { name, namespace: ns },
    spec: { ...job.spec, selector: undefined, backoffLimit: 0, template: { ...job.spec.template, metadata: { labels } } },
  };
  kubectlOk(cluster(), ['create', '-f', '-'], { input: JSON.stringify(copy) });
  waitJob(ns, name, condition);
  const [pod] = podsIn(ns, `batch.kubernetes.io/job-name=${name}`);
  return logs(ns, pod!.metadata.name, 'generate');
}

// The test's own throwaway values on argv (Node's stdin pipes are sockets, which /dev/stdin cannot open).
const patchPassword = (ns: string, value: string) =>
  kubectlOk(cluster(), ['patch', 'secret', SECRET, '-n', ns, '--type', 'merge', '-p', JSON.stringify({ data: { password: Buffer.from(value).toString('base64') } })]);

it('sv-server: the real Job regenerates an empty password and refuses a short one, writing nothing', () => {
  const chart = chartDirs().find((c) => c.name === CHART)!;
  const ns = newNamespace('pods-generator');
  // Only the Secrets and the generator matter here: no --wait for the server.
  helmPods(3, ns, ['install', 'rel', chart.dir, '--set', podValues(CHART).join(',')]);
  const job = generatorJob(ns);
  waitJob(ns, job.metadata.name, 'complete');
  expect(secretData(ns, SECRET).password).toMatch(/^[A-Za-z0-9]{24}$/);
  // Its pod names the Secrets only: no value in its command or arguments.
  expect(JSON.stringify(job.spec.template)).not.toContain(secretData(ns, SECRET).password);

  patchPassword(ns, '');
  expect(rerun(ns, 'generator-after-empty', 'complete')).toContain(`${SECRET}: generated password;`);
  expect(secretData(ns, SECRET).password).toMatch(/^[A-Za-z0-9]{24}$/);

  patchPassword(ns, 'short');
  expect(rerun(ns, 'generator-after-short', 'failed')).toContain(`${SECRET}: refused: password is shorter than 24 characters`);
  expect(secretData(ns, SECRET).password).toBe('short');
});

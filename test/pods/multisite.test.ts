/**
 * The multisite kubeconfig writer for real: the writer (a stand-in speaking ONAP's protocol: the
 * Kubernetes Python client's in-cluster configuration, one patch of the ConfigMap) runs as the chart's
 * post-install Job, and the consumer pod, mounting the ConfigMap, becomes Ready once the kubeconfig is
 * there and can use it: it reaches the API through the `kubernetes` Service as the writer's
 * ServiceAccount, which may patch that ConfigMap and nothing else.
 *
 * Installed without --wait: Helm runs post-install hooks only after --wait has seen every resource
 * Ready, and the consumer is Ready only after the hook has run.
 */
import { afterAll, expect, it } from 'vitest';
import { chartDirs, deleteNamespaces, exec, helmPods, isReady, logs, newNamespace, podsIn, podValues, waitFor } from './support';

afterAll(deleteNamespaces);

const RELEASE = 'rel';
const CONFIGMAP = 'multisite-kubeconfig-configmap';

it('multisite-init: the writer Job patches a kubeconfig the consumer pod reads and uses', async () => {
  const chart = chartDirs().find((c) => c.name === 'multisite-init')!;
  const ns = newNamespace('pods-multisite');
  helmPods(3, ns, ['install', RELEASE, chart.dir, '--timeout', '5m', '--set', [...podValues('multisite-init'), 'consumer.enabled=true'].join(',')]);
  const consumer = await waitFor(
    'the consumer pod to be Ready',
    () => podsIn(ns, 'app.kubernetes.io/component=consumer').find(isReady)?.metadata.name,
    120_000,
    1000,
  );
  // Ready (the probe saw the file) may come before the consumer's own loop, which checks every 5s, logs it.
  await waitFor('the consumer to log the kubeconfig', () => (logs(ns, consumer, 'consumer').includes('kubeconfig present at /opt/onap/kube/kubeconfig') ? true : undefined), 30_000, 1000);

  // kubectl in the consumer, with nothing but the mounted kubeconfig (KUBECONFIG) and a writable HOME.
  const kubectlIn = (args: string[]) => exec(ns, consumer, 'consumer', ['kubectl', ...args], { HOME: '/tmp' });
  expect(kubectlIn(['config', 'current-context']).stdout.trim()).toBe('central');
  expect(kubectlIn(['config', 'view', '--minify', '-o', 'jsonpath={.clusters[0].cluster.server}']).stdout).toBe('https://10.96.0.1:443');
  expect(kubectlIn(['auth', 'whoami', '-o', 'jsonpath={.status.userInfo.username}']).stdout).toBe(`system:serviceaccount:${ns}:multisite-init`);
  expect(kubectlIn(['auth', 'can-i', 'patch', `configmap/${CONFIGMAP}`]).stdout.trim()).toBe('yes');
  const get = kubectlIn(['get', 'configmap', CONFIGMAP]);
  expect(get.code).not.toBe(0);
  expect(get.stderr).toMatch(/forbidden/);

  const out = helmPods(3, ns, ['test', RELEASE, '--timeout', '2m']);
  expect(out).toMatch(/Phase:\s+Succeeded/);
});

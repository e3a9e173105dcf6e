/**
 * The multisite kubeconfig writer for real, with helm 3 and helm 4, for every chart whose profile has
 * `multisite` (multisite-init, default values): `helm install --wait --wait-for-jobs` runs the writer's
 * post-install hook Job to completion (and Helm then deletes it: hook-succeeded); the ConfigMap is there,
 * empty, the release's; and the writer's identity (its ServiceAccount, through the long-lived token
 * Secret the chart creates) PATCHes that ConfigMap with a real request while the same PATCH of any other
 * ConfigMap is Forbidden. The kubeconfig so written works, survives `helm upgrade`, and `helm uninstall`
 * revokes it.
 *
 * kwok runs no container, so the ONAP writer never runs here (the ConfigMap stays empty until the test
 * writes it): the test makes the writer's one API call (PATCH of the ConfigMap, no GET) itself, with
 * the writer's credentials: the token and CA of the Secret mounted into the Job at the in-cluster path.
 * What the ServiceAccount may and may not do, asked of the authorizer with `kubectl auth can-i --as` and
 * with a bound token, is the profile's `rbac` (profiles.ts), checked by rbac.test.ts; here the rendered
 * Job is shown to run as that ServiceAccount.
 */
import { afterAll, describe, expect, it } from 'vitest';
import YAML from 'yaml';
import { HELM_MAJORS } from '../../lib/tooling/helm';
import { profiles } from './profiles';
import {
  apiRequest,
  apiServer,
  chartDirs,
  cluster,
  deleteNamespaces,
  getJson,
  helmOk,
  install,
  K8sObject,
  Kube,
  kubeconfigKube,
  kubectl,
  kubectlOk,
  newNamespace,
  parseStream,
  releaseManifest,
  upgrade,
  waitFor,
  Watch,
  watchCollection,
} from './support';

afterAll(deleteNamespaces);

const RELEASE = 'rel';
/** Where the Kubernetes client's in-cluster config reads the token, CA and namespace. */
const TOKEN_DIR = '/var/run/secrets/kubernetes.io/serviceaccount';

type Job = K8sObject & {
  metadata: { uid: string };
  spec: {
    template: {
      spec: {
        serviceAccountName?: string;
        automountServiceAccountToken?: boolean;
        containers: { name: string; args?: string[]; volumeMounts?: { name: string; mountPath: string }[] }[];
        volumes?: { name: string; secret?: { secretName: string } }[];
      };
    };
  };
  status?: { succeeded?: number; conditions?: { type: string; status: string }[] };
};
type ConfigMap = K8sObject & { data?: Record<string, string>; binaryData?: Record<string, string> };
type Secret = K8sObject & { type: string; data?: Record<string, string> };

const complete = (j: Job): boolean => (j.status?.succeeded ?? 0) >= 1 && (j.status?.conditions ?? []).some((c) => c.type === 'Complete' && c.status === 'True');
const decode = (b64: string | undefined): string => Buffer.from(b64 ?? '', 'base64').toString('utf8');

/** The writer as Helm rendered it: its hook Job, arguments, ServiceAccount and token Secret. */
function renderedWriter(major: 3 | 4, ns: string, jobName: string) {
  const job = parseStream(helmOk(major, ['get', 'hooks', RELEASE, '-n', ns]).stdout).find((h): h is Job => h.kind === 'Job' && h.metadata.name === jobName);
  if (!job) throw new Error(`release has no hook Job ${jobName}`);
  const pod = job.spec.template.spec;
  const writer = pod.containers.find((c) => (c.volumeMounts ?? []).some((m) => m.mountPath === TOKEN_DIR));
  if (!writer) throw new Error(`no container of Job ${jobName} mounts a token at ${TOKEN_DIR}`);
  const args = writer.args ?? [];
  const arg = (flag: string): string => {
    const i = args.indexOf(flag);
    if (i < 0 || i + 1 >= args.length) throw new Error(`writer has no ${flag} argument: ${args.join(' ')}`);
    return args[i + 1]!;
  };
  const tokenVolume = writer.volumeMounts!.find((m) => m.mountPath === TOKEN_DIR)!.name;
  return {
    job,
    hook: (job.metadata.annotations?.['helm.sh/hook'] ?? '').split(','),
    deletePolicy: (job.metadata.annotations?.['helm.sh/hook-delete-policy'] ?? '').split(','),
    serviceAccount: pod.serviceAccountName,
    automount: pod.automountServiceAccountToken,
    tokenSecret: pod.volumes?.find((v) => v.name === tokenVolume)?.secret?.secretName,
    namespace: arg('--namespace'),
    location: arg('--location'),
    user: arg('--user'),
    configMap: arg('--configmap'),
    key: arg('--key'),
  };
}

/** In the Job watch since `from`: `name` created, then complete, then deleted (hook-succeeded); its uid. */
async function hookRanAndWasDeleted(watch: Watch<Job>, from: number, name: string): Promise<string> {
  const events = await waitFor(`the hook Job ${name} to complete and be deleted`, () => {
    const ev = watch.events.slice(from).filter((e) => e.object.metadata.name === name);
    return ev.some((e) => e.type === 'DELETED') ? ev : undefined;
  }, 60_000);
  const types = events.map((e) => `${e.type}${complete(e.object) ? '(Complete)' : ''}`);
  expect(events[0]?.type, types.join(' ')).toBe('ADDED');
  const uid = events[0]!.object.metadata.uid;
  expect(events.every((e) => e.object.metadata.uid === uid), `one Job: ${types.join(' ')}`).toBe(true);
  const done = events.findIndex((e) => e.type !== 'DELETED' && complete(e.object));
  const deleted = events.findIndex((e) => e.type === 'DELETED');
  expect(done, `completes: ${types.join(' ')}`).toBeGreaterThan(0);
  expect(done, `completes, then is deleted: ${types.join(' ')}`).toBeLessThan(deleted);
  expect(events.some((e) => (e.object.status?.conditions ?? []).some((c) => c.type === 'Failed' && c.status === 'True')), 'never Failed').toBe(false);
  return uid;
}

/** The kubeconfig the writer builds: this cluster's API server and CA, the token, one context named after the location. */
function writerKubeconfig(server: string, ca: string, token: string, w: { location: string; user: string; namespace: string }): string {
  return YAML.stringify({
    apiVersion: 'v1',
    kind: 'Config',
    clusters: [{ name: w.location, cluster: { server, 'certificate-authority-data': Buffer.from(ca).toString('base64') } }],
    users: [{ name: w.user, user: { token } }],
    contexts: [{ name: w.location, context: { cluster: w.location, user: w.user, namespace: w.namespace } }],
    'current-context': w.location,
  });
}

function whoami(kube: Kube): ReturnType<typeof kubectl> {
  return kubectl(kube, ['auth', 'whoami', '-o', 'jsonpath={.status.userInfo.username}']);
}

for (const chart of chartDirs()) {
  const profile = profiles[chart.name];
  const ms = profile?.multisite;
  if (!ms) continue; // no multisite kubeconfig writer in this chart (see profiles.ts)
  for (const major of HELM_MAJORS) {
    describe(`${chart.name}, helm ${major}`, () => {
      it(`install --wait-for-jobs runs the writer Job ${ms.job}; its token may PATCH ${ms.configMap} and no other ConfigMap; the kubeconfig survives upgrades, uninstall revokes it`, async () => {
        const admin = cluster();
        const ns = newNamespace(`${chart.name}-h${major}-multisite`);
        const jobs = watchCollection<Job>(admin, `/apis/batch/v1/namespaces/${ns}/jobs`);
        try {
          install(major, chart.dir, RELEASE, ns, [], ['--wait-for-jobs']);

          // The writer as rendered: a post-install/post-upgrade hook deleted once it succeeded, writing
          // ConfigMap ms.configMap of this namespace, as the ServiceAccount whose RBAC profiles.ts states.
          const w = renderedWriter(major, ns, ms.job);
          expect(w.hook).toEqual(expect.arrayContaining(['post-install', 'post-upgrade']));
          expect(w.deletePolicy).toContain('hook-succeeded');
          expect(w.namespace).toBe(ns);
          expect(w.configMap).toBe(ms.configMap);
          expect(w.serviceAccount, 'the Job runs as a ServiceAccount of the chart').toBeTruthy();
          expect(w.serviceAccount, 'the ServiceAccount whose RBAC rbac.test.ts checks').toBe(profile.rbac?.serviceAccount);
          expect(w.automount, 'no automounted token: only the writer container gets one').toBe(false);
          expect(w.tokenSecret, 'the writer reads the long-lived token Secret (multisite.longLivedToken, the default)').toBeTruthy();

          // The hook Job ran to completion during the install, then Helm deleted it.
          await hookRanAndWasDeleted(jobs, 0, ms.job);
          expect(kubectl(admin, ['get', 'job', ms.job, '-n', ns]).stderr).toMatch(/NotFound/);

          // The ConfigMap: rendered without data, in the cluster, the release's, and empty (no writer ran).
          const rendered = releaseManifest(major, RELEASE, ns).find((o) => o.kind === 'ConfigMap' && o.metadata.name === ms.configMap) as ConfigMap | undefined;
          expect(rendered, `ConfigMap ${ms.configMap} in the release manifest`).toBeDefined();
          expect(rendered!.data ?? {}).toEqual({});
          const cm = getJson<ConfigMap>(admin, ['configmap', ms.configMap, '-n', ns]);
          expect(cm.metadata.annotations?.['meta.helm.sh/release-name']).toBe(RELEASE);
          expect(cm.metadata.labels?.['app.kubernetes.io/managed-by']).toBe('Helm');
          expect({ ...cm.data, ...cm.binaryData }).toEqual({});

          // The token Secret, filled in by the token controller with what the writer reads.
          const secret = await waitFor(`the token controller to fill Secret ${w.tokenSecret}`, () => {
            const s = getJson<Secret>(admin, ['secret', w.tokenSecret!, '-n', ns]);
            return s.data?.token && s.data['ca.crt'] && s.data.namespace ? s : undefined;
          }, 60_000);
          expect(secret.type).toBe('kubernetes.io/service-account-token');
          expect(secret.metadata.annotations?.['kubernetes.io/service-account.name']).toBe(w.serviceAccount);
          expect(decode(secret.data!.namespace)).toBe(ns);
          const token = decode(secret.data!.token);
          const ca = decode(secret.data!['ca.crt']);
          const sa = `system:serviceaccount:${ns}:${w.serviceAccount}`;

          // The writer's call, for real: PATCH, checked against the Secret's CA, with its token (no GET first:
          // the Role grants patch only).
          const patchConfigMap = (namespace: string, name: string, data: Record<string, string>) =>
            apiRequest(admin, {
              method: 'PATCH',
              path: `/api/v1/namespaces/${namespace}/configmaps/${name}?fieldManager=multisite-init`,
              token,
              ca,
              contentType: 'application/strategic-merge-patch+json',
              body: JSON.stringify({ data }),
            });
          const kubeconfig = writerKubeconfig(apiServer(admin), ca, token, w);
          const written = await patchConfigMap(ns, w.configMap, { [w.key]: kubeconfig });
          expect(written.status, written.body).toBe(200);
          expect(getJson<ConfigMap>(admin, ['configmap', ms.configMap, '-n', ns]).data).toEqual({ [w.key]: kubeconfig });

          // The same PATCH of any other ConfigMap is Forbidden, and changes nothing.
          kubectlOk(admin, ['create', 'configmap', 'another-configmap', '-n', ns, '--from-literal=keep=this']);
          for (const [namespace, name] of [[ns, 'another-configmap'], [ns, 'kube-root-ca.crt'], ['default', 'kube-root-ca.crt']] as const) {
            const before = getJson<ConfigMap>(admin, ['configmap', name, '-n', namespace]).data;
            const r = await patchConfigMap(namespace, name, { [w.key]: kubeconfig });
            expect(r.status, `PATCH ${namespace}/${name}: ${r.body}`).toBe(403);
            expect((JSON.parse(r.body) as { reason?: string }).reason).toBe('Forbidden');
            expect(r.body).toContain(sa);
            expect(getJson<ConfigMap>(admin, ['configmap', name, '-n', namespace]).data, `${namespace}/${name} unchanged`).toEqual(before);
          }
          // Not even a GET of its own ConfigMap.
          const read = await apiRequest(admin, { method: 'GET', path: `/api/v1/namespaces/${ns}/configmaps/${w.configMap}`, token, ca });
          expect(read.status, read.body).toBe(403);

          // The kubeconfig as a consumer reads it from the ConfigMap works, and is that ServiceAccount.
          const consumer = kubeconfigKube(admin, getJson<ConfigMap>(admin, ['configmap', ms.configMap, '-n', ns]).data![w.key]!);
          try {
            expect(kubectlOk(consumer, ['config', 'current-context']).trim()).toBe(w.location);
            const me = whoami(consumer);
            expect(me.stdout, me.stderr).toBe(sa);

            // An upgrade runs the hook again and leaves the written key alone (Helm never rendered it); the
            // token is kept, so the kubeconfig stays valid.
            const mark = jobs.events.length;
            upgrade(major, chart.dir, RELEASE, ns, [], ['--wait-for-jobs']);
            await hookRanAndWasDeleted(jobs, mark, ms.job);
            expect(getJson<ConfigMap>(admin, ['configmap', ms.configMap, '-n', ns]).data).toEqual({ [w.key]: kubeconfig });
            expect(decode(getJson<Secret>(admin, ['secret', w.tokenSecret!, '-n', ns]).data?.token)).toBe(token);
            expect(whoami(consumer).stdout).toBe(sa);

            // Uninstalling deletes the ConfigMap and the token Secret, and the kubeconfig's token is rejected.
            helmOk(major, ['uninstall', RELEASE, '-n', ns, '--wait', '--timeout', '2m']);
            expect(kubectl(admin, ['get', 'configmap', ms.configMap, '-n', ns]).stderr).toMatch(/NotFound/);
            expect(kubectl(admin, ['get', 'secret', w.tokenSecret!, '-n', ns]).stderr).toMatch(/NotFound/);
            // Bounded wait: the apiserver caches a successful token authentication for 10 s.
            const revoked = await waitFor('the token to be rejected after uninstall', () => {
              const r = whoami(consumer);
              return r.code !== 0 ? r : undefined;
            }, 60_000);
            expect(revoked.stderr).toMatch(/Unauthorized|must be logged in/);
          } finally {
            consumer.cleanup();
          }
          await jobs.stop();
          process.stdout.write(`[multisite] ${chart.name} helm ${major}: ${sa} patched ${ns}/${w.configMap} (200), other ConfigMaps 403; kubeconfig valid through an upgrade, revoked by uninstall\n`);
        } finally {
          jobs.kill();
        }
      });
    });
  }
}

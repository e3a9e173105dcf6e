/** The fields that make the multisite kubeconfig writer work: chart multisite-init and the reusable construct. */
import { ApiObject, App, Chart } from 'cdk8s';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { parseValues } from '../lib/core/schema';
import { Render } from '../lib/core/template';
import { productIdentity } from '../lib/constructs/identity';
import { MULTISITE_MOUNT_PATH, MultisiteKubeconfig, multisiteValues } from '../lib/constructs/multisite';
import { multisiteInitChart, multisiteInitValues } from '../lib/systems/multisite-init';
import { validValues } from '../lib/proof/arbitraries';
import { Obj, RELEASE, renderSystem } from './support/render';

const system = multisiteInitChart;
const TOKEN_DIR = '/var/run/secrets/kubernetes.io/serviceaccount';

const render = (values: unknown = {}) => renderSystem(system, values);

/** Every container of a pod spec that mounts the token volume, by name. */
function tokenHolders(pod: any): string[] {
  return [...(pod.initContainers ?? []), ...pod.containers]
    .filter((c: any) => (c.volumeMounts ?? []).some((m: any) => m.mountPath === TOKEN_DIR))
    .map((c: any) => c.name);
}

describe('multisite-init with defaults', () => {
  const r = render();
  const job = r.get('Job', 'multisite-init');
  const pod = job.spec.template.spec;
  const writer = pod.containers[0];

  it('creates the kubeconfig ConfigMap empty, so Helm owns it and the writer only patches it', () => {
    const cm = r.get('ConfigMap', 'multisite-kubeconfig-configmap');
    expect(cm.data).toBeUndefined();
    expect(cm.metadata.annotations?.['helm.sh/resource-policy']).toBeUndefined();
    for (const o of r.objects) expect(o.metadata.namespace, `${o.kind}/${o.metadata.name}`).toBe(RELEASE.namespace);
  });

  it('lets the writer patch that one ConfigMap and nothing else', () => {
    expect(r.get('Role', 'multisite-init').rules).toEqual([
      { apiGroups: [''], resources: ['configmaps'], resourceNames: ['multisite-kubeconfig-configmap'], verbs: ['patch'] },
    ]);
    const binding = r.get('RoleBinding', 'multisite-init');
    expect(binding.roleRef).toEqual({ apiGroup: 'rbac.authorization.k8s.io', kind: 'Role', name: 'multisite-init' });
    expect(binding.subjects).toEqual([{ kind: 'ServiceAccount', name: 'multisite-init', namespace: RELEASE.namespace }]);
    expect(r.objects.filter((o) => o.kind.startsWith('Cluster'))).toEqual([]);
  });

  it('runs the writer as a post-install/post-upgrade hook Job with the documented arguments', () => {
    expect(job.metadata.annotations).toMatchObject({
      'helm.sh/hook': 'post-install,post-upgrade',
      'helm.sh/hook-weight': '0',
      'helm.sh/hook-delete-policy': 'before-hook-creation,hook-succeeded',
    });
    expect(job.spec).toMatchObject({ backoffLimit: 6, activeDeadlineSeconds: 300 });
    expect(pod.restartPolicy).toBe('Never');
    expect(writer.image).toBe('onap/org.onap.dcaegen2.deployments.multisite-init-container:1.0.0');
    expect(writer.args).toEqual([
      '--namespace', RELEASE.namespace,
      '--location', 'central',
      '--user', 'user00',
      '--configmap', 'multisite-kubeconfig-configmap',
      '--key', 'kubeconfig',
    ]);
  });

  it('gives the writer, and only the writer, the long-lived token of its ServiceAccount', () => {
    const sa = r.get('ServiceAccount', 'multisite-init');
    expect(sa.automountServiceAccountToken).toBe(false);
    expect(pod.serviceAccountName).toBe('multisite-init');
    expect(pod.automountServiceAccountToken).toBe(false);
    const token = r.get('Secret', 'multisite-init-token');
    expect(token.type).toBe('kubernetes.io/service-account-token');
    expect(token.metadata.annotations['kubernetes.io/service-account.name']).toBe('multisite-init');
    expect(token.data).toBeUndefined();
    expect(pod.volumes).toEqual([{ name: 'multisite-token', secret: { secretName: 'multisite-init-token', defaultMode: 0o444 } }]);
    expect(writer.volumeMounts).toEqual([{ name: 'multisite-token', mountPath: TOKEN_DIR, readOnly: true }]);
  });

  it('runs the writer non-root on a read-only root filesystem', () => {
    expect(pod.securityContext).toMatchObject({ runAsNonRoot: true, runAsUser: 1000, seccompProfile: { type: 'RuntimeDefault' } });
    expect(writer.securityContext).toMatchObject({ runAsNonRoot: true, runAsUser: 1000, readOnlyRootFilesystem: true, allowPrivilegeEscalation: false, capabilities: { drop: ['ALL'] } });
  });

  it('deploys no consumer unless asked, and tests the kubeconfig like a consumer', () => {
    expect(r.find('Deployment', 'multisite-consumer')).toBeUndefined();
    const test = r.get('Pod', 'multisite-init-test');
    expect(test.metadata.annotations['helm.sh/hook']).toBe('test');
    expect(test.spec.volumes).toEqual([{ name: 'kubeconfig', configMap: { name: 'multisite-kubeconfig-configmap' } }]);
    expect(test.spec.containers[0].env).toEqual([{ name: 'KUBECONFIG', value: '/kube/kubeconfig' }]);
  });
});

describe('multisite-init options', () => {
  it('with longLivedToken false, projects a bound token as automounting would, still to the writer only', () => {
    const r = render({ multisite: { longLivedToken: false } });
    expect(r.find('Secret', 'multisite-init-token')).toBeUndefined();
    const pod = r.get('Job', 'multisite-init').spec.template.spec;
    expect(pod.automountServiceAccountToken).toBe(false);
    expect(pod.volumes).toEqual([
      {
        name: 'multisite-token',
        projected: {
          defaultMode: 0o444,
          sources: [
            { serviceAccountToken: { path: 'token', expirationSeconds: 3607 } },
            { configMap: { name: 'kube-root-ca.crt', items: [{ key: 'ca.crt', path: 'ca.crt' }] } },
            { downwardAPI: { items: [{ path: 'namespace', fieldRef: { apiVersion: 'v1', fieldPath: 'metadata.namespace' } }] } },
          ],
        },
      },
    ]);
  });

  it('passes the typed arguments through, with the name prefix on the ConfigMap', () => {
    const r = render({ namePrefix: 'a-', multisite: { location: 'edge-1', user: 'user01', configMap: 'kc', key: 'central.yaml' } });
    expect(r.get('Job', 'a-multisite-init').spec.template.spec.containers[0].args).toEqual([
      '--namespace', RELEASE.namespace, '--location', 'edge-1', '--user', 'user01', '--configmap', 'a-kc', '--key', 'central.yaml',
    ]);
    expect(r.get('Role', 'a-multisite-init').rules[0].resourceNames).toEqual(['a-kc']);
  });

  it('puts the ConfigMap and everything that writes or reads it in multisite.namespace', () => {
    const r = render({ multisite: { namespace: 'onap' }, consumer: { enabled: true } });
    for (const o of r.objects) expect(o.metadata.namespace, `${o.kind}/${o.metadata.name}`).toBe('onap');
    expect(r.get('Job', 'multisite-init').spec.template.spec.containers[0].args.slice(0, 2)).toEqual(['--namespace', 'onap']);
    expect(r.get('RoleBinding', 'multisite-init').subjects[0].namespace).toBe('onap');
  });

  it('binds an existing ServiceAccount instead of creating one', () => {
    const r = render({ multisite: { serviceAccount: { create: false, name: 'cloudify-manager' } } });
    expect(r.objects.filter((o) => o.kind === 'ServiceAccount')).toEqual([]);
    expect(r.get('RoleBinding', 'multisite-init').subjects[0].name).toBe('cloudify-manager');
    expect(r.get('Secret', 'multisite-init-token').metadata.annotations['kubernetes.io/service-account.name']).toBe('cloudify-manager');
    expect(r.get('Job', 'multisite-init').spec.template.spec.serviceAccountName).toBe('cloudify-manager');
  });

  it('mounts the kubeconfig read-only into the demo consumer, without a token', () => {
    const r = render({ consumer: { enabled: true } });
    const pod = r.get('Deployment', 'multisite-consumer').spec.template.spec;
    const c = pod.containers[0];
    expect(pod.volumes).toEqual([{ name: 'multisite-kubeconfig', configMap: { name: 'multisite-kubeconfig-configmap' } }]);
    expect(c.volumeMounts).toEqual([{ name: 'multisite-kubeconfig', mountPath: MULTISITE_MOUNT_PATH, readOnly: true }]);
    expect(c.env).toEqual([{ name: 'KUBECONFIG', value: `${MULTISITE_MOUNT_PATH}/kubeconfig` }]);
    expect(c.readinessProbe.exec.command).toEqual(['sh', '-c', 'test -s "$KUBECONFIG"']);
    expect(pod.automountServiceAccountToken).toBe(false);
    expect(pod.serviceAccountName).toBeUndefined();
    expect(tokenHolders(pod)).toEqual([]);
  });

  it('runs the writer as the consumer\'s init container when asked, the token reaching the writer alone', () => {
    const r = render({ job: { enabled: false }, consumer: { enabled: true, runWriter: true } });
    expect(r.find('Job', 'multisite-init')).toBeUndefined();
    const pod = r.get('Deployment', 'multisite-consumer').spec.template.spec;
    expect(pod.initContainers.map((c: any) => c.name)).toEqual(['multisite-init']);
    expect(pod.serviceAccountName).toBe('multisite-init');
    expect(pod.automountServiceAccountToken).toBe(false);
    expect(tokenHolders(pod)).toEqual(['multisite-init']);
    expect(pod.volumes.map((v: any) => v.name)).toEqual(['multisite-kubeconfig', 'multisite-token']);
  });

  it('sets the hook weight and the Job limits from values', () => {
    const job = render({ job: { hookWeight: -5, backoffLimit: 1, activeDeadlineSeconds: 60 } }).get('Job', 'multisite-init');
    expect(job.metadata.annotations['helm.sh/hook-weight']).toBe('-5');
    expect(job.spec).toMatchObject({ backoffLimit: 1, activeDeadlineSeconds: 60 });
  });
});

describe('MultisiteKubeconfig in any cdk8s app', () => {
  // A platform team's own chart: a workload that runs the writer first and reads the result.
  const app = new App({ outdir: '/nonexistent' });
  const chart = new Chart(app, 'dcae', { namespace: 'onap', disableResourceNameHashes: true });
  const render = Render.of(chart);
  const identity = productIdentity(chart, { name: 'cloudify', partOf: 'dcae', version: '19.3' });
  const kubeconfig = new MultisiteKubeconfig(chart, 'Kubeconfig', { identity, values: render.values('multisite', multisiteValues(), { location: 'site-1' }) });
  const mount = kubeconfig.mount();
  const podSpec = kubeconfig.addTo({
    automountServiceAccountToken: false,
    initContainers: [{ name: 'setup', image: 'busybox:1.36' }],
    containers: [{ name: 'cloudify', image: 'cloudify:19.3', env: [mount.env], volumeMounts: [mount.volumeMount] }],
    volumes: [mount.volume],
  });
  new ApiObject(chart, 'Workload', {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name: 'cloudify', namespace: 'onap' },
    spec: { selector: { matchLabels: { app: 'cloudify' } }, template: { metadata: { labels: { app: 'cloudify' } }, spec: podSpec } },
  });
  const objects = chart.toJson() as Obj[];

  it('adds the writer after the workload\'s own init containers, with its token volume and ServiceAccount', () => {
    const pod = objects.find((o) => o.kind === 'Deployment')!.spec.template.spec;
    expect(pod.initContainers.map((c: any) => c.name)).toEqual(['setup', 'multisite-init']);
    expect(pod.initContainers[1].args).toEqual(['--namespace', 'onap', '--location', 'site-1', '--user', 'user00', '--configmap', 'multisite-kubeconfig-configmap', '--key', 'kubeconfig']);
    expect(pod.serviceAccountName).toBe('multisite-init');
    expect(pod.automountServiceAccountToken).toBe(false);
    expect(tokenHolders(pod)).toEqual(['multisite-init']);
    expect(pod.volumes.map((v: any) => v.name)).toEqual(['multisite-kubeconfig', 'multisite-token']);
  });

  it('mounts the result read-only for the workload', () => {
    const c = objects.find((o) => o.kind === 'Deployment')!.spec.template.spec.containers[0];
    expect(c.volumeMounts).toEqual([{ name: 'multisite-kubeconfig', mountPath: '/opt/onap/kube', readOnly: true }]);
    expect(c.env).toEqual([{ name: 'KUBECONFIG', value: '/opt/onap/kube/kubeconfig' }]);
  });

  it('creates the empty ConfigMap, the patch-only RBAC and the token in the chart\'s namespace', () => {
    expect(objects.filter((o) => o.kind !== 'Deployment').map((o) => `${o.kind}/${o.metadata.namespace}/${o.metadata.name}`)).toEqual([
      'ConfigMap/onap/multisite-kubeconfig-configmap',
      'ServiceAccount/onap/multisite-init',
      'Role/onap/multisite-init',
      'RoleBinding/onap/multisite-init',
      'Secret/onap/multisite-init-token',
    ]);
    expect(MultisiteKubeconfig.locate(render, identity, render.values('multisite', multisiteValues(), {}))).toEqual({
      namespace: 'onap',
      configMapName: 'multisite-kubeconfig-configmap',
      key: 'kubeconfig',
    });
  });
});

describe('multisite-init on random values', () => {
  it('keeps its invariants: patch-only RBAC on the ConfigMap it names, token for the writer only, one namespace', () => {
    fc.assert(
      fc.property(validValues(system.schema), (values) => {
        const v = parseValues('multisite-init', multisiteInitValues, values);
        const ns = v.multisite.namespace || RELEASE.namespace;
        const cmName = `${v.namePrefix}${v.multisite.configMap}`;
        const r = render(values);
        for (const o of r.objects) expect(o.metadata.namespace).toBe(ns);
        expect(r.get('ConfigMap', cmName).data).toBeUndefined();
        const role = r.get('Role', `${v.namePrefix}multisite-init`);
        expect(role.rules).toEqual([{ apiGroups: [''], resources: ['configmaps'], resourceNames: [cmName], verbs: ['patch'] }]);
        for (const o of r.objects.filter((x) => x.kind === 'Job' || x.kind === 'Deployment')) {
          const pod = o.spec.template.spec;
          expect(pod.automountServiceAccountToken).toBe(false);
          const writers = [...(pod.initContainers ?? []), ...pod.containers].filter((c: any) => c.name === 'multisite-init');
          expect(tokenHolders(pod)).toEqual(writers.map((c: any) => c.name));
          for (const c of writers) {
            expect(c.args).toEqual(['--namespace', ns, '--location', v.multisite.location, '--user', v.multisite.user, '--configmap', cmName, '--key', v.multisite.key]);
          }
        }
        expect(r.objects.some((o) => o.kind === 'Secret' && o.type === 'kubernetes.io/service-account-token')).toBe(v.multisite.longLivedToken);
      }),
      { numRuns: 200 },
    );
  });
});

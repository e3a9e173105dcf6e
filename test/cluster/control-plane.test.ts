/**
 * The control plane itself: the Kubernetes version built, nodes, and the apiserver features charts
 * rely on (RBAC, ServiceAccount tokens, Pod Security admission), plus loopback-only listeners.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { kubernetesVersion } from '../../scripts/cluster/binaries';
import { listeningAddresses, NODE_COUNT } from '../../scripts/cluster/cluster';
import { cluster, deleteNamespaces, getJson, kubectl, kubectlOk, newNamespace, waitFor } from './support';

afterAll(deleteNamespaces);

describe('control plane', () => {
  it('serves the Kubernetes version it was built from', () => {
    const c = cluster();
    const version = JSON.parse(kubectlOk(c, ['get', '--raw', '/version'])) as { gitVersion: string; major: string; minor: string };
    if (c.external) {
      expect(version.gitVersion).toMatch(/^v1\.\d+\.\d+/);
    } else {
      expect(version.gitVersion).toBe(kubernetesVersion());
      expect(version.major).toBe('1');
      expect(version.minor).toBe(kubernetesVersion().split('.')[1]);
    }
  });

  it('has ready nodes', () => {
    const c = cluster();
    const nodes = getJson<{ items: { metadata: { name: string }; status: { conditions: { type: string; status: string }[] } }[] }>(c, ['nodes']).items;
    const ready = nodes.filter((n) => n.status.conditions.some((k) => k.type === 'Ready' && k.status === 'True'));
    expect(ready.length).toBeGreaterThan(0);
    if (!c.external) expect(ready.map((n) => n.metadata.name).sort()).toEqual(Array.from({ length: NODE_COUNT }, (_, i) => `kwok-node-${i}`));
  });

  it('authorizes with RBAC: a ServiceAccount with no bindings may do nothing', () => {
    const c = cluster();
    const ns = newNamespace('cp-rbac');
    for (const args of [['get', 'secrets'], ['list', 'pods'], ['create', 'deployments']]) {
      const r = kubectl(c, ['auth', 'can-i', ...args, '-n', ns, `--as=system:serviceaccount:${ns}:default`]);
      expect(r.stdout.trim(), args.join(' ')).toBe('no');
      expect(r.code).toBe(1);
    }
    expect(kubectlOk(c, ['auth', 'can-i', 'get', 'secrets', '-n', ns]).trim()).toBe('yes'); // the admin
  });

  it('issues ServiceAccount tokens the apiserver authenticates', async () => {
    const c = cluster();
    const ns = newNamespace('cp-token');
    // The ServiceAccount controller creates `default` shortly after the namespace.
    await waitFor('the default ServiceAccount', () => (kubectl(c, ['get', 'serviceaccount', 'default', '-n', ns]).code === 0 ? true : undefined), 30_000);
    const token = kubectlOk(c, ['create', 'token', 'default', '-n', ns, '--duration=10m']).trim();
    expect(token.split('.')).toHaveLength(3);
    const review = { apiVersion: 'authentication.k8s.io/v1', kind: 'TokenReview', spec: { token } };
    const status = (JSON.parse(kubectlOk(c, ['create', '-f', '-', '-o', 'json'], { input: JSON.stringify(review) })) as {
      status: { authenticated?: boolean; user?: { username?: string } };
    }).status;
    expect(status.authenticated).toBe(true);
    expect(status.user?.username).toBe(`system:serviceaccount:${ns}:default`);
  });

  it('enforces Pod Security admission per namespace label', () => {
    const c = cluster();
    const ns = newNamespace('cp-psa', { 'pod-security.kubernetes.io/enforce': 'restricted' });
    const pod = {
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: { name: 'privileged' },
      spec: { containers: [{ name: 'c', image: 'busybox:1.36', securityContext: { privileged: true } }] },
    };
    const r = kubectl(c, ['create', '-n', ns, '--dry-run=server', '-f', '-'], { input: JSON.stringify(pod) });
    expect(r.code).not.toBe(0);
    expect(r.stderr).toMatch(/violates PodSecurity "restricted:latest"/);
    // warn mode: the apiserver answers with a warning (what the Pod Security test looks for in helm's output).
    const warnNs = newNamespace('cp-psa-warn', { 'pod-security.kubernetes.io/warn': 'restricted' });
    const w = kubectl(c, ['create', '-n', warnNs, '--dry-run=server', '-f', '-'], { input: JSON.stringify(pod) });
    expect(w.code).toBe(0);
    expect(w.stderr).toMatch(/Warning: would violate PodSecurity "restricted:latest"/);
  });

  it('binds PersistentVolumeClaims of the default StorageClass (the test provisioner)', async () => {
    const c = cluster();
    const ns = newNamespace('cp-pvc');
    const claim = { apiVersion: 'v1', kind: 'PersistentVolumeClaim', metadata: { name: 'data' }, spec: { accessModes: ['ReadWriteOnce'], resources: { requests: { storage: '3Gi' } } } };
    kubectlOk(c, ['create', '-n', ns, '-f', '-'], { input: JSON.stringify(claim) });
    kubectlOk(c, ['wait', '-n', ns, '--for=jsonpath={.status.phase}=Bound', 'pvc/data', '--timeout=60s'], { timeoutMs: 90_000 });
    const bound = getJson<{ spec: { storageClassName: string; volumeName: string }; status: { capacity: { storage: string } } }>(c, ['pvc', 'data', '-n', ns]);
    expect(bound.spec.storageClassName).toBeTruthy(); // the default class was applied
    expect(bound.status.capacity.storage).toBe('3Gi');
  });

  it('listens on loopback only', () => {
    const c = cluster();
    if (c.external) {
      // Not ours to inspect: a cluster we did not start.
      expect(c.pids).toEqual([]);
      return;
    }
    expect(c.pids.map((p) => p.component).sort()).toEqual(['etcd', 'kube-apiserver', 'kube-controller-manager', 'kube-scheduler', 'kwok-controller', 'provisioner']);
    const server = new URL(
      (JSON.parse(kubectlOk(c, ['config', 'view', '--minify', '-o', 'json'])) as { clusters: { cluster: { server: string } }[] }).clusters[0]!.cluster.server,
    );
    expect(server.hostname).toBe('127.0.0.1');
    const listening = listeningAddresses(c.pids.map((p) => p.pid));
    // Every server listens somewhere (etcd, apiserver, controller-manager, scheduler, kwok; the
    // provisioner is only a client)…
    expect(new Set(listening.map((l) => l.pid)).size).toBe(c.pids.filter((p) => p.component !== 'provisioner').length);
    // …and only on 127.0.0.1.
    expect(listening.filter((l) => !l.address.startsWith('127.0.0.1:'))).toEqual([]);
  });
});

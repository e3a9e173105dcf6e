/** The fields that make md-icapsrv work, asserted on the rendered objects. */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { mdIcapsrvChart } from '../lib/systems/md-icapsrv';
import { validValues } from '../lib/proof/arbitraries';
import { Obj, RELEASE, renderSystem } from './support/render';

const system = mdIcapsrvChart;

const render = (values: unknown = {}) => renderSystem(system, values);

const container = (d: Obj, name = 'md-icapsrv') => d.spec.template.spec.containers.find((c: any) => c.name === name);
const env = (c: any, name: string) => c.env.find((e: any) => e.name === name);
const decode = (s: string) => Buffer.from(s, 'base64').toString('utf8');

describe('md-icapsrv with defaults', () => {
  const r = render();
  const deployment = r.get('Deployment', 'md-icapsrv');
  const main = container(deployment);

  it('puts every object in the release namespace with the standard labels', () => {
    for (const o of r.objects) {
      expect(o.metadata.namespace, `${o.kind}/${o.metadata.name}`).toBe(RELEASE.namespace);
      expect(o.metadata.labels['app.kubernetes.io/name']).toBe('md-icapsrv');
      expect(o.metadata.labels['app.kubernetes.io/instance']).toBe(RELEASE.name);
      expect(o.metadata.labels['app.kubernetes.io/managed-by']).toBe('Helm');
    }
  });

  it('serves ICAP and REST from the md-icapsrv Service, selecting the server pods only', () => {
    const svc = r.get('Service', 'md-icapsrv');
    expect(svc.spec.type).toBe('ClusterIP');
    expect(svc.spec.ports.map((p: any) => [p.name, p.port])).toEqual([
      ['rest', 8048],
      ['icap', 1344],
    ]);
    const podLabels = deployment.spec.template.metadata.labels;
    for (const [k, v] of Object.entries(svc.spec.selector)) expect(podLabels[k]).toBe(v);
    expect(svc.spec.selector).toEqual(deployment.spec.selector.matchLabels);
    // The selector never holds a label that changes between releases (it is immutable).
    expect(Object.keys(svc.spec.selector)).not.toContain('app.kubernetes.io/version');
  });

  it('configures the server from mdicapsrv-env', () => {
    const cm = r.get('ConfigMap', 'mdicapsrv-env');
    expect(cm.data).toMatchObject({
      REST_PORT: '8048',
      ICAP_PORT: '1344',
      ICAPS_PORT: '11344',
      DB_HOST: 'postgres-mdicapsrv',
      DB_PORT: '5432',
      DB_TYPE: 'remote',
      DB_MODE: '4',
      ACCEPT_EULA: 'false',
      CUSTOM_SECRET: 'mdicap-licensing',
      HTTPS_SSL_PROTOCOLS: '["TLSv1.3"]',
    });
    expect(main.envFrom).toEqual([{ configMapRef: { name: 'mdicapsrv-env' } }]);
  });

  it('has its admin password and API key generated in the cluster (never rendered), kept on uninstall', () => {
    const cred = r.get('Secret', 'mdicapsrv-cred');
    expect(decode(cred.data.user)).toBe('admin');
    expect(cred.data.password).toBeUndefined();
    expect(cred.metadata.annotations['chart-as-code/generate']).toBe('password:alphanumeric:24');
    expect(cred.metadata.annotations['helm.sh/resource-policy']).toBe('keep');
    const key = r.get('Secret', 'mdicapsrv-api-key');
    // No data at all, not an empty map: Argo CD would diff `data: {}` against the key the generator filled.
    expect(key.data).toBeUndefined();
    expect(key.metadata.annotations['chart-as-code/generate']).toBe('value:numeric:36');
    expect(env(main, 'MD_PWD').valueFrom.secretKeyRef).toEqual({ name: 'mdicapsrv-cred', key: 'password' });
    expect(env(main, 'APIKEY').valueFrom.secretKeyRef).toEqual({ name: 'mdicapsrv-api-key', key: 'value' });
  });

  it('reads LICENSE_KEY from mdicapsrv-license-key and creates no empty licence Secret', () => {
    expect(env(main, 'LICENSE_KEY').valueFrom.secretKeyRef).toEqual({ name: 'mdicapsrv-license-key', key: 'value' });
    expect(r.find('Secret', 'mdicapsrv-license-key')).toBeUndefined();
  });

  it('enables licensing clean-up with the pod namespace and a pre-created licensing Secret', () => {
    expect(env(main, 'LICENSING_CLEANUP').value).toBe('true');
    expect(env(main, 'MY_POD_NAMESPACE').valueFrom.fieldRef.fieldPath).toBe('metadata.namespace');
    expect(env(main, 'MDICAPSRV_INSTANCE_NAME').valueFrom.fieldRef.fieldPath).toBe('metadata.name');
    const secret = r.get('Secret', 'mdicap-licensing');
    expect(secret.data).toBeUndefined();
    expect(secret.metadata.annotations['helm.sh/resource-policy']).toBe('keep');
  });

  it('grants the dedicated ServiceAccount access to the licensing Secret by name only', () => {
    const sa = r.get('ServiceAccount', 'mdicapsrv-service-account');
    expect(deployment.spec.template.spec.serviceAccountName).toBe(sa.metadata.name);
    expect(deployment.spec.template.spec.automountServiceAccountToken).toBe(true);
    const role = r.get('Role', 'md-icapsrv-licensing');
    expect(role.rules).toEqual([
      { apiGroups: [''], resources: ['secrets'], resourceNames: ['mdicap-licensing'], verbs: ['get', 'update', 'patch'] },
      { apiGroups: [''], resources: ['pods'], verbs: ['get', 'list'] },
    ]);
    const binding = r.get('RoleBinding', 'md-icapsrv-licensing');
    expect(binding.roleRef).toEqual({ apiGroup: 'rbac.authorization.k8s.io', kind: 'Role', name: 'md-icapsrv-licensing' });
    expect(binding.subjects).toEqual([{ kind: 'ServiceAccount', name: 'mdicapsrv-service-account', namespace: RELEASE.namespace }]);
    expect(r.objects.filter((o) => o.kind.startsWith('Cluster'))).toEqual([]);
  });

  it('gives the server time to deactivate its licence on SIGTERM', () => {
    expect(main.lifecycle.preStop).toEqual({ sleep: { seconds: 5 } });
    expect(deployment.spec.template.spec.terminationGracePeriodSeconds).toBe(65);
  });

  it('probes /readyz on the REST port with the vendor timings', () => {
    expect(main.readinessProbe).toEqual({
      httpGet: { path: '/readyz', port: 'rest', scheme: 'HTTP' },
      initialDelaySeconds: 10,
      periodSeconds: 3,
      timeoutSeconds: 3,
      failureThreshold: 3,
    });
    expect(main.livenessProbe).toMatchObject({ initialDelaySeconds: 30, periodSeconds: 10, timeoutSeconds: 10, failureThreshold: 3 });
    expect(main.startupProbe).toBeUndefined();
  });

  it('runs every container non-root under the restricted Pod Security profile', () => {
    for (const d of r.objects.filter((o) => o.kind === 'Deployment')) {
      const pod = d.spec.template.spec;
      expect(pod.securityContext.runAsNonRoot).toBe(true);
      expect(pod.securityContext.seccompProfile).toEqual({ type: 'RuntimeDefault' });
      for (const c of [...pod.containers, ...(pod.initContainers ?? [])]) {
        expect(c.securityContext.allowPrivilegeEscalation, c.name).toBe(false);
        expect(c.securityContext.capabilities.drop).toEqual(['ALL']);
        expect(c.imagePullPolicy).toBe('IfNotPresent');
        expect(c.resources.limits).toBeDefined();
      }
    }
    expect(deployment.spec.template.spec.securityContext.runAsUser).toBe(1000);
  });

  it('waits for the in-cluster Postgres before starting', () => {
    const init = deployment.spec.template.spec.initContainers;
    expect(init.map((c: any) => c.name)).toEqual(['wait-for-database']);
    expect(init[0].command.join(' ')).toContain('pg_isready');
    expect(init[0].env).toEqual([
      { name: 'DB_HOST', value: 'postgres-mdicapsrv' },
      { name: 'DB_PORT', value: '5432' },
    ]);
    const pg = r.get('Deployment', 'postgres-mdicapsrv');
    expect(pg.spec.strategy).toEqual({ type: 'Recreate' });
    expect(container(pg, 'postgres').env[1].valueFrom.secretKeyRef).toEqual({ name: 'mdicapsrv-postgres-cred', key: 'password' });
    expect(r.get('Service', 'postgres-mdicapsrv').spec.ports[0].port).toBe(5432);
  });

  it('leaves the optional parts out', () => {
    for (const kind of ['Ingress', 'HorizontalPodAutoscaler', 'PodDisruptionBudget', 'PersistentVolumeClaim']) {
      expect(r.objects.filter((o) => o.kind === kind)).toEqual([]);
    }
    expect(deployment.spec.template.spec.containers.map((c: any) => c.name)).toEqual(['md-icapsrv']);
    expect(deployment.spec.strategy).toEqual({ type: 'RollingUpdate', rollingUpdate: { maxSurge: 0, maxUnavailable: 1 } });
  });

  it('has a helm test hook that checks the ICAP port', () => {
    const pod = r.get('Pod', 'md-icapsrv-test');
    expect(pod.metadata.annotations['helm.sh/hook']).toBe('test');
    expect(pod.spec.containers[0].command).toEqual(['nc', '-z', '-w', '5', 'md-icapsrv', '1344']);
  });
});

describe('md-icapsrv options', () => {
  it('switches probes to HTTPS and mounts the REST certificate when REST TLS is on', () => {
    const r = render({ tls: { https: { enabled: true }, fileMode: 0o400 } });
    const d = r.get('Deployment', 'md-icapsrv');
    const main = container(d);
    expect(main.readinessProbe.httpGet.scheme).toBe('HTTPS');
    expect(main.livenessProbe.httpGet.scheme).toBe('HTTPS');
    expect(main.volumeMounts).toEqual([{ name: 'https-tls', mountPath: '/https_cert', readOnly: true }]);
    const volume = d.spec.template.spec.volumes[0];
    expect(volume.projected.defaultMode).toBe(0o400);
    expect(volume.projected.sources.map((s: any) => s.secret.name)).toEqual(['mdicapsrv-https-tls-cert', 'mdicapsrv-https-tls-cert-key']);
  });

  it('exposes ICAPS on 11344 only when enabled, with fixed node ports', () => {
    const r = render({ tls: { icaps: { enabled: true } }, service: { type: 'NodePort', nodePorts: { icaps: 31344 } } });
    const svc = r.get('Service', 'md-icapsrv');
    expect(svc.spec.ports.find((p: any) => p.name === 'icaps')).toMatchObject({ port: 11344, nodePort: 31344 });
    expect(svc.spec.ports.find((p: any) => p.name === 'icap').nodePort).toBeUndefined();
  });

  it('routes icap-ingress to the REST port', () => {
    const r = render({ ingress: { enabled: true, host: 'icap.example.com', className: 'nginx', tls: { secretName: 'icap-tls' } } });
    const ing = r.get('Ingress', 'icap-ingress');
    expect(ing.spec.ingressClassName).toBe('nginx');
    expect(ing.spec.rules[0].host).toBe('icap.example.com');
    expect(ing.spec.rules[0].http.paths[0].backend).toEqual({ service: { name: 'md-icapsrv', port: { name: 'rest' } } });
    expect(ing.spec.tls).toEqual([{ hosts: ['icap.example.com'], secretName: 'icap-tls' }]);
  });

  it('creates no Secret for values taken from existing Secrets', () => {
    const r = render({
      credentials: { existingSecret: 'my-cred' },
      apiKey: { existingSecret: 'my-key' },
      license: { existingSecret: 'my-license' },
      database: { existingSecret: 'my-db' },
    });
    expect(r.objects.filter((o) => o.kind === 'Secret').map((o) => o.metadata.name)).toEqual(['mdicap-licensing']);
    const main = container(r.get('Deployment', 'md-icapsrv'));
    expect(env(main, 'MD_USER').valueFrom.secretKeyRef.name).toBe('my-cred');
    expect(env(main, 'APIKEY').valueFrom.secretKeyRef.name).toBe('my-key');
    expect(env(main, 'LICENSE_KEY').valueFrom.secretKeyRef.name).toBe('my-license');
    expect(env(main, 'DB_PWD').valueFrom.secretKeyRef.name).toBe('my-db');
  });

  it('stores given secrets as given, with no generated value', () => {
    const r = render({ license: { key: 'KEY-1' }, credentials: { password: 'pw' }, apiKey: { value: 'a'.repeat(36) } });
    expect(decode(r.get('Secret', 'mdicapsrv-license-key').data.value)).toBe('KEY-1');
    expect(decode(r.get('Secret', 'mdicapsrv-cred').data.password)).toBe('pw');
    expect(decode(r.get('Secret', 'mdicapsrv-api-key').data.value)).toBe('a'.repeat(36));
  });

  it('switches to the vendor\'s broad licensing rules only when asked', () => {
    const role = render({ licensing: { vendorRules: true } }).get('Role', 'md-icapsrv-licensing');
    expect(role.rules[0]).toEqual({ apiGroups: [''], resources: ['secrets'], verbs: ['create', 'update', 'get', 'list', 'patch'] });
  });

  it('drops RBAC, the licensing Secret and the API token without licensing clean-up', () => {
    const r = render({ licensing: { cleanup: false } });
    expect(r.objects.filter((o) => ['Role', 'RoleBinding'].includes(o.kind)).map((o) => o.metadata.name)).toEqual(['mdicapsrv-credentials', 'mdicapsrv-credentials']);
    expect(r.find('Secret', 'mdicap-licensing')).toBeUndefined();
    const d = r.get('Deployment', 'md-icapsrv');
    expect(d.spec.template.spec.automountServiceAccountToken).toBe(false);
    expect(env(container(d), 'LICENSING_CLEANUP')).toBeUndefined();
  });

  it('hands replicas to the autoscaler when autoscaling is on', () => {
    const r = render({ autoscaling: { enabled: true, minReplicas: 2, maxReplicas: 4 } });
    expect(r.get('Deployment', 'md-icapsrv').spec.replicas).toBeUndefined();
    const hpa = r.get('HorizontalPodAutoscaler', 'md-icapsrv');
    expect(hpa.spec).toMatchObject({ minReplicas: 2, maxReplicas: 4, scaleTargetRef: { kind: 'Deployment', name: 'md-icapsrv' } });
  });

  it('connects to an external database without deploying one', () => {
    const r = render({ database: { host: 'db.internal', inCluster: { enabled: false } } });
    expect(r.find('Deployment', 'postgres-mdicapsrv')).toBeUndefined();
    expect(r.get('ConfigMap', 'mdicapsrv-env').data.DB_HOST).toBe('db.internal');
  });

  it('adds the deactivation sidecar and lengthens the grace period with the shutdown budget', () => {
    const d = render({ deactivation: { shutdownSeconds: 120, sidecar: { enabled: true, image: 'example/deactivate:1.0.0' } } }).get('Deployment', 'md-icapsrv');
    expect(d.spec.template.spec.containers.map((c: any) => c.name)).toEqual(['md-icapsrv', 'deactivation']);
    expect(d.spec.template.spec.terminationGracePeriodSeconds).toBe(125);
  });
});

describe('md-icapsrv configuration changes', () => {
  const checksum = (values: unknown) => render(values).get('Deployment', 'md-icapsrv').spec.template.metadata.annotations['chart-as-code/config-checksum'];

  it('rolls the pods when mdicapsrv-env changes (env is read at start only), and only then', () => {
    const base = checksum({});
    expect(base).toMatch(/^[0-9a-f]{64}$/);
    expect(checksum({ logLevel: 'debug' })).not.toBe(base);
    expect(checksum({ ports: { icap: 1345 } })).not.toBe(base);
    expect(checksum({ replicaCount: 3, podAnnotations: { team: 'a' } })).toBe(base);
  });

  it('keeps chart-owned pod labels and annotations out of the user\'s reach', () => {
    expect(() => render({ podLabels: { 'app.kubernetes.io/name': 'x' } })).toThrow(/podLabels/);
    expect(() => render({ podAnnotations: { 'chart-as-code/config-checksum': 'x' } })).toThrow(/podAnnotations/);
  });
});

describe('md-icapsrv on random values', () => {
  it('keeps its invariants: prefixed names, one namespace, selectors matching pods, no collisions', () => {
    fc.assert(
      fc.property(validValues(system.schema), (values) => {
        const prefix = (values as { namePrefix?: string }).namePrefix ?? '';
        const r = render(values);
        const keys = new Set<string>();
        for (const o of r.objects) {
          expect(o.metadata.namespace).toBe(RELEASE.namespace);
          const key = `${o.kind}/${o.metadata.name}`;
          expect(keys.has(key), key).toBe(false);
          keys.add(key);
          expect(o.metadata.name.startsWith(prefix), key).toBe(true);
          if (o.kind === 'Deployment') {
            const podLabels = o.spec.template.metadata.labels;
            for (const [k, v] of Object.entries(o.spec.selector.matchLabels)) expect(podLabels[k]).toBe(v);
          }
        }
        // Every Service selects the pods of some Deployment (the live slot, under blue-green).
        for (const svc of r.objects.filter((o) => o.kind === 'Service')) {
          const matches = r.objects.filter(
            (d) => d.kind === 'Deployment' && Object.entries(svc.spec.selector).every(([k, v]) => d.spec.template.metadata.labels[k] === v),
          );
          expect(matches.length, `Service ${svc.metadata.name}`).toBe(1);
        }
      }),
      { numRuns: 200 },
    );
  });

  it('lets two releases share a namespace when their prefixes differ', () => {
    const a = render({ namePrefix: 'a-' }).objects.map((o) => `${o.kind}/${o.metadata.name}`);
    const b = render({ namePrefix: 'b-' }).objects.map((o) => `${o.kind}/${o.metadata.name}`);
    expect(a.filter((k) => b.includes(k))).toEqual([]);
  });
});

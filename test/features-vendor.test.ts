/**
 * What the vendor's example values files need (issue 23), as our charts render it with the real helm binary:
 * the Service override, sidecars, extra workloads, configuration import from a volume, the user's claim for
 * product storage and the RHEL database image; the values the schemas refuse (zod and values.schema.json
 * alike); and the vendor keys of these features converted.
 */
import { describe, expect, it } from 'vitest';
import { parseValues, ValuesError } from '../lib/core/schema';
import { convertVendorValues } from '../lib/convert/vendor-values';
import { mdCoreChart, mdCoreValues } from '../lib/systems/md-core';
import { mdIcapsrvChart, mdIcapsrvValues } from '../lib/systems/md-icapsrv';
import { chartDir, helmObjects, helmTemplate, Obj, RELEASE } from './support/render';

const core = (values: unknown) => helmObjects(4, mdCoreChart, values) as Obj[];
const icap = (values: unknown) => helmObjects(4, mdIcapsrvChart, values) as Obj[];
const get = (objects: Obj[], kind: string, name: string): Obj => {
  const o = objects.find((x) => x.kind === kind && x.metadata.name === name);
  if (!o) throw new Error(`no ${kind} ${name} in ${objects.map((x) => `${x.kind}/${x.metadata.name}`).join(', ')}`);
  return o;
};
const podOf = (objects: Obj[], name: string) => get(objects, 'Deployment', name).spec.template.spec;
const secretRef = (name: string, key: string) => ({ secretKeyRef: { name, key } });
const RESTRICTED = { allowPrivilegeEscalation: false, capabilities: { drop: ['ALL'] }, runAsNonRoot: true, seccompProfile: { type: 'RuntimeDefault' } };

/** The one-line reason zod gives, and that helm refuses the same values (exit code and the path in its message). */
function refusedByBoth(chart: typeof mdCoreChart | typeof mdIcapsrvChart, schema: typeof mdCoreValues | typeof mdIcapsrvValues, values: unknown, path: RegExp): string {
  let message = '';
  try {
    parseValues('values', schema, values);
  } catch (e) {
    if (!(e instanceof ValuesError)) throw e;
    message = e.message;
  }
  expect(message, JSON.stringify(values)).not.toBe('');
  const r = helmTemplate(4, chartDir(chart), values);
  expect(r.code).not.toBe(0);
  expect(r.stderr).toMatch(path);
  return message;
}

describe('Service override', () => {
  it('md-core: NodePort with a fixed node port, both traffic policies and client-IP affinity', () => {
    const svc = get(core({ service: { type: 'NodePort', nodePort: 30808, externalTrafficPolicy: 'Local', internalTrafficPolicy: 'Local', sessionAffinity: 'ClientIP', sessionAffinityTimeoutSeconds: 600 } }), 'Service', 'md-core');
    expect(svc.spec).toMatchObject({ type: 'NodePort', externalTrafficPolicy: 'Local', internalTrafficPolicy: 'Local', sessionAffinity: 'ClientIP', sessionAffinityConfig: { clientIP: { timeoutSeconds: 600 } } });
    expect(svc.spec.ports).toEqual([expect.objectContaining({ name: 'rest', port: 8008, nodePort: 30808 })]);
  });

  it('md-icapsrv: LoadBalancer with annotations, address, source ranges and class', () => {
    const svc = get(
      icap({ service: { type: 'LoadBalancer', annotations: { 'lb.example.com/internal': 'true' }, loadBalancerIP: '10.0.0.40', loadBalancerSourceRanges: ['10.0.0.0/8'], loadBalancerClass: 'service.k8s.aws/nlb', nodePorts: { icap: 31344 } } }),
      'Service',
      'md-icapsrv',
    );
    expect(svc.metadata.annotations['lb.example.com/internal']).toBe('true');
    expect(svc.spec).toMatchObject({ type: 'LoadBalancer', loadBalancerIP: '10.0.0.40', loadBalancerSourceRanges: ['10.0.0.0/8'], loadBalancerClass: 'service.k8s.aws/nlb' });
    expect(svc.spec.ports.find((p: Obj) => p.name === 'icap').nodePort).toBe(31344);
  });

  it('leaves every new field out by default (Kubernetes defaults them)', () => {
    const spec = get(core({}), 'Service', 'md-core').spec;
    for (const f of ['externalTrafficPolicy', 'internalTrafficPolicy', 'loadBalancerIP', 'loadBalancerSourceRanges', 'loadBalancerClass']) expect(spec).not.toHaveProperty(f);
  });

  it('refuses what Kubernetes refuses or ignores: a node port out of range, external policy on ClusterIP, load-balancer fields on NodePort', () => {
    expect(refusedByBoth(mdCoreChart, mdCoreValues, { service: { type: 'NodePort', nodePort: 8080 } }, /service.nodePort/)).toMatch(/service\.nodePort/);
    expect(refusedByBoth(mdCoreChart, mdCoreValues, { service: { externalTrafficPolicy: 'Local' } }, /externalTrafficPolicy/)).toMatch(/NodePort or LoadBalancer only/);
    expect(refusedByBoth(mdIcapsrvChart, mdIcapsrvValues, { service: { type: 'NodePort', loadBalancerSourceRanges: ['10.0.0.0/8'] } }, /service/)).toMatch(/LoadBalancer only/);
    expect(refusedByBoth(mdIcapsrvChart, mdIcapsrvValues, { service: { type: 'LoadBalancer', loadBalancerSourceRanges: ['10.0.0.0/33'] } }, /loadBalancerSourceRanges/)).toMatch(/loadBalancerSourceRanges/);
  });
});

describe('sidecars', () => {
  const proxy = { name: 'cloud-sql-proxy', image: 'gcr.io/cloud-sql-connectors/cloud-sql-proxy:2.14.1', args: ['--port=5432', 'p:r:i'], securityContext: RESTRICTED };

  it('runs a sidecar beside the product container as given (md-core, and after the deactivation sidecar in md-icapsrv)', () => {
    expect(podOf(core({ sidecars: [proxy] }), 'md-core').containers.map((c: Obj) => c.name)).toEqual(['md-core', 'cloud-sql-proxy']);
    const containers = podOf(icap({ sidecars: [proxy], deactivation: { sidecar: { enabled: true, image: 'busybox:1.36.1' } } }), 'md-icapsrv').containers;
    expect(containers.map((c: Obj) => c.name)).toEqual(['md-icapsrv', 'deactivation', 'cloud-sql-proxy']);
    expect(containers[2]).toEqual(proxy);
  });

  it('holds each sidecar to podSecurityLevel: without a restricted context it is refused until the level is lowered', () => {
    const plain = { name: 'shipper', image: 'fluent/fluent-bit:3.1.9' };
    expect(refusedByBoth(mdCoreChart, mdCoreValues, { sidecars: [plain] }, /sidecars/)).toMatch(/breaks Pod Security restricted/);
    expect(podOf(core({ podSecurityLevel: 'baseline', sidecars: [plain] }), 'md-core').containers[1]).toEqual(plain);
    expect(refusedByBoth(mdCoreChart, mdCoreValues, { sidecars: [{ name: 'md-core', image: 'busybox:1.36.1', securityContext: RESTRICTED }] }, /sidecars/)).toMatch(/has a container of this name/);
    expect(refusedByBoth(mdCoreChart, mdCoreValues, { sidecars: [{ ...proxy, image: 'gcr.io/cloud-sql-connectors/cloud-sql-proxy:latest' }] }, /image/)).toMatch(/full version/);
  });
});

describe('extra workloads', () => {
  it('a Deployment and a Service of the user\'s image, prefixed, labelled, restricted by default', () => {
    const objects = core({ namePrefix: 'eu-', extraWorkloads: [{ name: 'cloud-sql-proxy', image: 'gcr.io/cloud-sql-connectors/cloud-sql-proxy:2.14.1', args: ['--address=0.0.0.0', '--port=5432', 'p:r:i'], port: 5432 }] });
    const name = 'eu-cloud-sql-proxy';
    const deployment = get(objects, 'Deployment', name);
    const labels = { 'app.kubernetes.io/name': 'md-core', 'app.kubernetes.io/instance': RELEASE.name, 'app.kubernetes.io/component': 'extra-cloud-sql-proxy' };
    expect(deployment.metadata.labels).toMatchObject({ ...labels, 'app.kubernetes.io/part-of': 'metadefender', 'app.kubernetes.io/managed-by': 'Helm' });
    expect(deployment.spec.selector.matchLabels).toEqual(labels);
    const pod = deployment.spec.template.spec;
    expect(pod.automountServiceAccountToken).toBe(false);
    expect(pod.securityContext).toEqual({ runAsNonRoot: true, runAsUser: 65532, runAsGroup: 65532, fsGroup: 65532, seccompProfile: { type: 'RuntimeDefault' } });
    expect(pod.containers).toEqual([
      {
        name: 'cloud-sql-proxy',
        image: 'gcr.io/cloud-sql-connectors/cloud-sql-proxy:2.14.1',
        args: ['--address=0.0.0.0', '--port=5432', 'p:r:i'],
        ports: [{ containerPort: 5432 }],
        securityContext: { ...RESTRICTED, readOnlyRootFilesystem: true },
      },
    ]);
    const service = get(objects, 'Service', name);
    expect(service.spec).toEqual({ type: 'ClusterIP', selector: labels, ports: [{ port: 5432, targetPort: 5432 }] });
  });

  it('takes the user\'s contexts, env (secrets by reference), replicas and Service type; no Service without a port', () => {
    const objects = core({
      podSecurityLevel: 'restricted',
      extraWorkloads: [
        {
          name: 'metrics',
          image: 'prom/statsd-exporter:0.28.0',
          replicas: 2,
          env: [{ name: 'TOKEN', valueFrom: secretRef('metrics', 'token') }],
          port: 9125,
          protocol: 'UDP',
          serviceType: 'NodePort',
          podSecurityContext: { runAsNonRoot: true, runAsUser: 1001, seccompProfile: { type: 'RuntimeDefault' } },
          securityContext: { allowPrivilegeEscalation: false, capabilities: { drop: ['ALL'] } },
        },
        { name: 'worker', image: 'busybox:1.36.1', command: ['sleep', 'infinity'] },
      ],
    });
    const metrics = get(objects, 'Deployment', 'metrics');
    expect(metrics.spec.replicas).toBe(2);
    expect(metrics.spec.template.spec.securityContext).toEqual({ runAsNonRoot: true, runAsUser: 1001, seccompProfile: { type: 'RuntimeDefault' } });
    expect(metrics.spec.template.spec.containers[0]).toMatchObject({ env: [{ name: 'TOKEN', valueFrom: secretRef('metrics', 'token') }], ports: [{ containerPort: 9125, protocol: 'UDP' }], securityContext: { allowPrivilegeEscalation: false, capabilities: { drop: ['ALL'] } } });
    expect(get(objects, 'Service', 'metrics').spec).toMatchObject({ type: 'NodePort', ports: [{ port: 9125, targetPort: 9125, protocol: 'UDP' }] });
    expect(get(objects, 'Deployment', 'worker').spec).not.toHaveProperty('replicas');
    expect(objects.find((o) => o.kind === 'Service' && o.metadata.name === 'worker')).toBeUndefined();
  });

  it('refuses a name given twice or taken by the chart, a context that breaks the level, and value with valueFrom', () => {
    const w = { name: 'twice', image: 'busybox:1.36.1' };
    expect(refusedByBoth(mdIcapsrvChart, mdIcapsrvValues, { extraWorkloads: [w, w] }, /extraWorkloads/)).toMatch(/twice is given twice/);
    expect(refusedByBoth(mdCoreChart, mdCoreValues, { extraWorkloads: [{ ...w, name: 'postgres-core' }] }, /extraWorkloads/)).toMatch(/the chart has a Deployment or Service of this name/);
    expect(refusedByBoth(mdCoreChart, mdCoreValues, { extraWorkloads: [{ ...w, securityContext: { allowPrivilegeEscalation: true } }] }, /extraWorkloads/)).toMatch(/breaks Pod Security restricted/);
    expect(refusedByBoth(mdCoreChart, mdCoreValues, { extraWorkloads: [{ ...w, env: [{ name: 'A', value: 'x', valueFrom: secretRef('s', 'k') }] }] }, /extraWorkloads/)).toMatch(/value or valueFrom, not both/);
  });
});

describe('configuration import from a volume', () => {
  it('mounts the file read-only from the user\'s claim, as the non-root product user', () => {
    const pod = podOf(core({ configImport: { enabled: true, source: { kind: 'PersistentVolumeClaim', name: 'exports', key: 'settings_export_package.zip' } } }), 'md-core');
    expect(pod.volumes).toContainEqual({ name: 'config-import', persistentVolumeClaim: { claimName: 'exports', readOnly: true } });
    expect(pod.containers[0].volumeMounts).toContainEqual({ name: 'config-import', mountPath: '/opt/opswat/settings_export_package.zip', subPath: 'settings_export_package.zip', readOnly: true });
    expect(pod.containers[0].env).toContainEqual({ name: 'MDCORE_CONFIG_IMPORT_FILE', value: '/opt/opswat/settings_export_package.zip' });
    expect(pod.securityContext).toMatchObject({ runAsNonRoot: true, runAsUser: 1000 });
  });

  it('mounts an NFS export under baseline, and refuses it under restricted or without a server', () => {
    const pod = podOf(icap({ podSecurityLevel: 'baseline', configImport: { enabled: true, source: { kind: 'NFS', server: 'nfs.example.com', path: '/exports' } } }), 'md-icapsrv');
    expect(pod.volumes).toContainEqual({ name: 'config-import', nfs: { server: 'nfs.example.com', path: '/exports', readOnly: true } });
    expect(refusedByBoth(mdIcapsrvChart, mdIcapsrvValues, { configImport: { enabled: true, source: { kind: 'NFS', server: 'nfs.example.com' } } }, /configImport/)).toMatch(/restricted refuses/);
    expect(refusedByBoth(mdCoreChart, mdCoreValues, { podSecurityLevel: 'baseline', configImport: { enabled: true, source: { kind: 'NFS' } } }, /configImport/)).toMatch(/source.server for kind NFS/);
  });
});

describe('the user\'s claim for product storage', () => {
  it('mounts persistence.existingClaim at storagePath and creates no claim', () => {
    const objects = core({ storagePath: '/home/metascan', persistence: { enabled: true, existingClaim: 'mdcore-nfs-claim' } });
    const pod = podOf(objects, 'md-core');
    expect(pod.volumes).toContainEqual({ name: 'product-data', persistentVolumeClaim: { claimName: 'mdcore-nfs-claim' } });
    expect(pod.containers[0].volumeMounts).toContainEqual({ name: 'product-data', mountPath: '/home/metascan' });
    expect(objects.filter((o) => o.kind === 'PersistentVolumeClaim').map((o) => o.metadata.name)).toEqual(['postgres-core']);
  });
});

describe('database image flavour', () => {
  it('RHEL: POSTGRESQL_ADMIN_PASSWORD from the Secret, no POSTGRES_* or PGDATA, data at /var/lib/pgsql/data, a writable home, probes as postgres', () => {
    const objects = core({ database: { inCluster: { flavour: 'rhel', image: { repository: 'registry.redhat.io/rhel8/postgresql-12', tag: '1-54' } } } });
    const container = podOf(objects, 'postgres-core').containers[0];
    expect(container.image).toBe('registry.redhat.io/rhel8/postgresql-12:1-54');
    expect(container.env).toEqual([{ name: 'POSTGRESQL_ADMIN_PASSWORD', valueFrom: secretRef('mdcore-postgres-cred', 'password') }]);
    expect(container.volumeMounts).toEqual(expect.arrayContaining([{ name: 'data', mountPath: '/var/lib/pgsql/data' }, { name: 'home', mountPath: '/var/lib/pgsql' }]));
    expect(container.readinessProbe.exec.command).toEqual(['sh', '-c', 'pg_isready -h 127.0.0.1 -U postgres']);
    expect(JSON.stringify(objects.filter((o) => o.kind === 'ConfigMap'))).not.toMatch(/POSTGRES/);
  });

  it('official (default): POSTGRES_USER and POSTGRES_PASSWORD from the Secret, PGDATA below the mount', () => {
    const container = podOf(icap({}), 'postgres-mdicapsrv').containers[0];
    expect(container.env).toEqual([
      { name: 'POSTGRES_USER', valueFrom: secretRef('mdicapsrv-postgres-cred', 'user') },
      { name: 'POSTGRES_PASSWORD', valueFrom: secretRef('mdicapsrv-postgres-cred', 'password') },
      { name: 'PGDATA', value: '/var/lib/postgresql/data/pgdata' },
    ]);
    expect(container.volumeMounts).toContainEqual({ name: 'data', mountPath: '/var/lib/postgresql/data' });
  });

  it('refuses a database user other than postgres on RHEL (its POSTGRESQL_USER could not create databases)', () => {
    expect(refusedByBoth(mdCoreChart, mdCoreValues, { database: { user: 'core', inCluster: { flavour: 'rhel' } } }, /database/)).toMatch(/superuser postgres alone/);
  });
});

describe('vendor keys of these features', () => {
  it('maps a whole serviceSpec: type, node port of the REST port, policies, affinity; the selector is ours', () => {
    const c = convertVendorValues('vendor-mdcore', {
      core_components: {
        'md-core': {
          serviceSpec: { ports: [{ name: '8008', port: 8008, targetPort: 8008, nodePort: 30808 }], type: 'NodePort', sessionAffinity: 'None', externalTrafficPolicy: 'Local', internalTrafficPolicy: 'Local', selector: { app: 'md-core' } },
        },
      },
    });
    expect(c.values.service).toEqual({ type: 'NodePort', nodePort: 30808, sessionAffinity: 'None', externalTrafficPolicy: 'Local', internalTrafficPolicy: 'Local' });
    expect(c.report.find((r) => r.path === 'core_components.md-core.serviceSpec')?.status).toBe('mapped');
  });

  it('turns an extra core_components entry into an extra workload and a sidecar into a sidecar, both completed to restricted', () => {
    const proxy = { name: 'cloud-sql-proxy', image: 'gcr.io/cloud-sql-connectors/cloud-sql-proxy:2.14.1', command: ['/cloud-sql-proxy', 'p:r:i'], securityContext: { runAsNonRoot: true } };
    const c = convertVendorValues('vendor-mdcore', {
      core_components: { 'md-core': { sidecars: [proxy] }, 'cloud-sql-proxy': { ...proxy, service_type: 'ClusterIP', ports: [{ port: 5432 }], tls: { enabled: false } } },
    });
    expect(c.values.sidecars).toEqual([{ ...proxy, securityContext: RESTRICTED }]);
    expect(c.values.extraWorkloads).toEqual([{ name: 'cloud-sql-proxy', image: proxy.image, command: proxy.command, serviceType: 'ClusterIP', port: 5432, securityContext: RESTRICTED }]);
    expect(c.values).not.toHaveProperty('podSecurityLevel');
  });

  it('leaves out a container whose image is not pinned, and says how to add it', () => {
    const c = convertVendorValues('vendor-mdcore', { core_components: { 'cloud-sql-proxy': { name: 'cloud-sql-proxy', image: 'gcr.io/cloudsql-docker/gce-proxy:latest', ports: [{ port: 5432 }] } } });
    expect(c.values.extraWorkloads ?? []).toEqual([]);
    expect(c.report.find((r) => r.path === 'core_components.cloud-sql-proxy.image')).toMatchObject({ status: 'action', note: expect.stringMatching(/pin the image of cloud-sql-proxy/) });
  });

  it('RHEL database image: the rhel flavour, its admin password read from the same Secret; an untagged image asks for a tag', () => {
    const c = convertVendorValues('vendor-mdcore', {
      core_components: { 'postgres-core': { image: 'registry.redhat.io/rhel8/postgresql-12', env: [{ name: 'POSTGRESQL_ADMIN_PASSWORD', valueFrom: secretRef('mdcore-postgres-cred', 'password') }] } },
    });
    // The flavour is set; the image waits for a tag the user picks (ours never runs a moving one).
    expect((c.values.database as any).inCluster).toEqual({ flavour: 'rhel' });
    expect(c.report.find((r) => r.path === 'core_components.postgres-core.image')).toMatchObject({ status: 'action', note: expect.stringMatching(/no tag/) });
    expect(c.report.find((r) => r.path === 'core_components.postgres-core.env')?.status).toBe('not needed');
    const literal = convertVendorValues('vendor-icap', { postgres_mdicapsrv: { env: [{ name: 'POSTGRESQL_ADMIN_PASSWORD', value: 'pw-1' }] } }, { secretsFile: 'secrets.yaml' });
    expect((literal.values.database as any).existingSecret).toBe('mdicapsrv-postgres-cred');
    expect(literal.secrets.find((s) => s.name === 'mdicapsrv-postgres-cred')?.entries).toContainEqual(expect.objectContaining({ key: 'password', value: 'pw-1' }));
    expect(JSON.stringify(literal.values) + JSON.stringify(literal.report)).not.toMatch(/pw-1/);
  });

  it('the user\'s claim of storage_configs becomes md-core\'s existing claim; the older CONFIG_IMPORT_FILE a configuration import', () => {
    const c = convertVendorValues('vendor-mdcore', {
      storage_configs: { nfs: { apiVersion: 'v1', kind: 'PersistentVolumeClaim', metadata: { name: 'mdcore-nfs-claim' }, spec: { accessModes: ['ReadWriteMany'] } } },
      storage_name: 'mdcore-nfs-claim',
      core_components: { 'md-core': { persistentDir: '/home/metascan' } },
      CONFIG_IMPORT_FILE: 'settings_export_package.zip',
    });
    expect(c.values).toMatchObject({ storagePath: '/home/metascan', persistence: { enabled: true, existingClaim: 'mdcore-nfs-claim' }, configImport: { enabled: true, source: { key: 'settings_export_package.zip', name: 'mdcore-config-import' } } });
    expect(c.report.find((r) => r.path === 'storage_configs')).toMatchObject({ status: 'action', command: expect.stringMatching(/kubectl -n .* apply -f/) });
  });
});

describe('container names across sidecars and init containers', () => {
  it('refuses a sidecar named as one of extraInitContainers, in zod and in the chart', () => {
    const c = { name: 'helper', image: 'busybox:1.36.1', securityContext: RESTRICTED };
    expect(refusedByBoth(mdIcapsrvChart, mdIcapsrvValues, { extraInitContainers: [c], sidecars: [c] }, /sidecars.*helper names a sidecar/)).toMatch(/helper names a sidecar and one of extraInitContainers/);
  });
});

/** The fields that make sv-server work, asserted on the rendered objects. */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { parseValues, ValuesError } from '../lib/core/schema';
import { HELM_MAJORS } from '../lib/tooling/helm';
import { SV_AGENT_PORTS, SV_HOME, SV_RUN_DIR, svServerChart, svServerValues } from '../lib/systems/sv-server';
import { validValues } from '../lib/proof/arbitraries';
import { chartDir, helmTemplate, RELEASE, renderSystem } from './support/render';

const system = svServerChart;

const render = (values: unknown = {}) => renderSystem(system, values);

const server = (r: ReturnType<typeof render>, prefix = '') => {
  const d = r.get('Deployment', `${prefix}sv-server`);
  return { d, pod: d.spec.template.spec, c: d.spec.template.spec.containers[0] };
};
const env = (c: any, name: string) => c.env.find((e: any) => e.name === name);
const envValue = (c: any, name: string): string | undefined => env(c, name)?.value;
const decode = (s: string) => Buffer.from(s, 'base64').toString('utf8');

describe('sv-server with defaults', () => {
  const r = render();
  const { d, pod, c } = server(r);

  it('puts every object in the release namespace with the standard labels', () => {
    // The credential generator Job's name ends in a hash of its pod.
    expect(r.objects.map((o) => `${o.kind}/${o.metadata.name.replace(/^(sv-server-credentials)-[0-9a-f]{8}$/, '$1')}`).sort()).toEqual(
      [
        'Deployment/sv-postgres-db',
        'Deployment/sv-server',
        'Job/sv-server-credentials',
        'NetworkPolicy/sv-postgres-db',
        'PersistentVolumeClaim/sv-postgres-db',
        'PersistentVolumeClaim/sv-server-logs',
        'PersistentVolumeClaim/sv-server-work',
        'Pod/sv-server-test',
        'Secret/sv-postgres-db-cred',
        'Secret/sv-server-cred',
        'Service/sv-postgres-db-service',
        'Service/sv-server',
        'Role/sv-server-credentials',
        'RoleBinding/sv-server-credentials',
        'ServiceAccount/sv-server',
        'ServiceAccount/sv-server-credentials',
      ].sort(),
    );
    for (const o of r.objects) {
      expect(o.metadata.namespace, `${o.kind}/${o.metadata.name}`).toBe(RELEASE.namespace);
      expect(o.metadata.labels['app.kubernetes.io/name']).toBe('sv-server');
      expect(o.metadata.labels['app.kubernetes.io/instance']).toBe(RELEASE.name);
    }
  });

  it('serves the API on 6085 and each agent port 7000-7009 under its own name', () => {
    const svc = r.get('Service', 'sv-server');
    expect(svc.spec.type).toBe('ClusterIP');
    expect(svc.spec.ports.map((p: any) => [p.name, p.port, p.targetPort])).toEqual([
      ['api', 6085, 'api'],
      ...SV_AGENT_PORTS.map((p) => [`agent-${p}`, p, `agent-${p}`]),
    ]);
    expect(svc.spec.ports.every((p: any) => p.nodePort === undefined)).toBe(true);
    expect(c.ports.map((p: any) => [p.name, p.containerPort])).toEqual(svc.spec.ports.map((p: any) => [p.name, p.port]));
    expect(svc.spec.selector).toEqual(d.spec.selector.matchLabels);
    for (const [k, val] of Object.entries(svc.spec.selector)) expect(d.spec.template.metadata.labels[k]).toBe(val);
  });

  it('runs one server at a time on its work directory', () => {
    expect(d.spec.replicas).toBe(1);
    expect(d.spec.strategy).toEqual({ type: 'Recreate' });
    expect(c.image).toBe('virtualization/sv-server:24.4');
  });

  it('runs the server under bash with the lock-file start script and a preStop hook', () => {
    expect(c.command).toEqual(['/bin/bash', '-c']);
    expect(c.args).toHaveLength(1);
    expect(c.args[0]).toContain(`'${SV_HOME}/bin/start-server.sh' &`);
    expect(c.args[0]).toContain(`lock='${SV_HOME}/work/lock'`);
    expect(c.args[0]).toContain('trap on_term TERM');
    expect(c.lifecycle.preStop.exec.command.slice(0, 2)).toEqual(['/bin/bash', '-c']);
    expect(c.lifecycle.preStop.exec.command[2]).toContain('kill -TERM -- "-$pid"');
    expect(envValue(c, 'SV_LOCK_WAIT_SECONDS')).toBe('60');
    expect(envValue(c, 'SV_STOP_TIMEOUT_SECONDS')).toBe('100');
    // The PID file lives in a container-private memory volume, never on the shared work volume.
    expect(c.volumeMounts).toContainEqual({ name: 'lifecycle', mountPath: SV_RUN_DIR });
    expect(pod.volumes).toContainEqual({ name: 'lifecycle', emptyDir: { medium: 'Memory', sizeLimit: '1Mi' } });
  });

  it('gives the server 120 s to stop: the preStop wait plus a margin', () => {
    expect(pod.terminationGracePeriodSeconds).toBe(120);
  });

  it('configures the server environment', () => {
    expect(envValue(c, 'MONO_TLS_PROVIDER')).toBe('legacy');
    expect(envValue(c, 'SV_HOSTNAME')).toBe(`sv-server.${RELEASE.namespace}.svc`);
    expect(envValue(c, 'SV_SERVER_AGENT_PORTS')).toBe('7000-7009');
    expect(env(c, 'SV_USER').valueFrom.secretKeyRef).toEqual({ name: 'sv-server-cred', key: 'user' });
    expect(env(c, 'SV_PASSWORD').valueFrom.secretKeyRef).toEqual({ name: 'sv-server-cred', key: 'password' });
    const cred = r.get('Secret', 'sv-server-cred');
    expect(decode(cred.data.user)).toBe('admin');
    // Generated in the cluster, never rendered.
    expect(cred.data.password).toBeUndefined();
    expect(cred.metadata.annotations['chart-as-code/generate']).toBe('password:alphanumeric:24');
    expect(cred.metadata.annotations['helm.sh/resource-policy']).toBe('keep');
  });

  it('connects to the in-cluster Postgres sv-postgres-db-service and waits for it', () => {
    expect(envValue(c, 'SV_DB_TYPE')).toBe('postgresql');
    expect(envValue(c, 'SV_DB_DATASOURCE')).toBe(';Host=sv-postgres-db-service;Port=5432;Database=postgres;');
    expect(envValue(c, 'SV_DB_NAME')).toBe('postgres');
    expect(envValue(c, 'SV_DB_WAIT_FOR')).toBe('sv-postgres-db-service:5432');
    expect(env(c, 'SV_DB_USERNAME').valueFrom.secretKeyRef).toEqual({ name: 'sv-postgres-db-cred', key: 'user' });
    expect(env(c, 'SV_DB_PASSWORD').valueFrom.secretKeyRef).toEqual({ name: 'sv-postgres-db-cred', key: 'password' });
    const svc = r.get('Service', 'sv-postgres-db-service');
    expect(svc.spec.ports).toEqual([{ name: 'postgres', port: 5432, targetPort: 'postgres', protocol: 'TCP' }]);
    const pg = r.get('Deployment', 'sv-postgres-db');
    expect(svc.spec.selector).toEqual(pg.spec.selector.matchLabels);
    expect(pg.spec.template.spec.volumes).toContainEqual({ name: 'data', persistentVolumeClaim: { claimName: 'sv-postgres-db' } });
    expect(pg.spec.template.spec.containers[0].env[1].valueFrom.secretKeyRef).toEqual({ name: 'sv-postgres-db-cred', key: 'password' });
    expect(r.get('PersistentVolumeClaim', 'sv-postgres-db').metadata.annotations['helm.sh/resource-policy']).toBe('keep');
  });

  it('keeps work and logs on claims of their own', () => {
    expect(c.volumeMounts).toContainEqual({ name: 'work', mountPath: '/opt/microfocus/sv-server/work' });
    expect(c.volumeMounts).toContainEqual({ name: 'logs', mountPath: '/opt/microfocus/sv-server/logs' });
    expect(pod.volumes).toContainEqual({ name: 'work', persistentVolumeClaim: { claimName: 'sv-server-work' } });
    expect(pod.volumes).toContainEqual({ name: 'logs', persistentVolumeClaim: { claimName: 'sv-server-logs' } });
    for (const [name, size] of [
      ['sv-server-work', '10Gi'],
      ['sv-server-logs', '5Gi'],
    ] as const) {
      const pvc = r.get('PersistentVolumeClaim', name);
      expect(pvc.spec).toEqual({ accessModes: ['ReadWriteOnce'], resources: { requests: { storage: size } } });
      expect(pvc.metadata.annotations['helm.sh/resource-policy']).toBe('keep');
    }
  });

  it('runs as root, as the vendor documents, with the runtime\'s default capabilities', () => {
    expect(pod.securityContext).toEqual({ runAsUser: 0, runAsGroup: 0, runAsNonRoot: false, seccompProfile: { type: 'RuntimeDefault' } });
    expect(c.securityContext).toEqual({ runAsNonRoot: false, allowPrivilegeEscalation: false });
  });

  it('never mounts an API token', () => {
    expect(pod.automountServiceAccountToken).toBe(false);
    expect(pod.serviceAccountName).toBe('sv-server');
    expect(r.get('ServiceAccount', 'sv-server').automountServiceAccountToken).toBe(false);
  });

  it('probes the API port over TCP, startup first', () => {
    expect(c.startupProbe).toEqual({ tcpSocket: { port: 'api' }, initialDelaySeconds: 10, periodSeconds: 10, timeoutSeconds: 5, failureThreshold: 60 });
    expect(c.readinessProbe.tcpSocket).toEqual({ port: 'api' });
    expect(c.livenessProbe.tcpSocket).toEqual({ port: 'api' });
  });

  it('has a helm test hook that checks the API port', () => {
    const p = r.get('Pod', 'sv-server-test');
    expect(p.metadata.annotations['helm.sh/hook']).toBe('test');
    expect(p.spec.containers[0].command).toEqual(['nc', '-z', '-w', '5', 'sv-server', '6085']);
  });
});

describe('sv-server options', () => {
  it('runs the newer images as sv-server (uid/gid 1234, fsGroup 1234), non-root with no capabilities', () => {
    const { pod, c } = server(render({ runAsRoot: false, podSecurityContext: { fsGroupChangePolicy: 'OnRootMismatch' } }));
    expect(pod.securityContext).toEqual({
      runAsUser: 1234,
      runAsGroup: 1234,
      fsGroup: 1234,
      runAsNonRoot: true,
      seccompProfile: { type: 'RuntimeDefault' },
      fsGroupChangePolicy: 'OnRootMismatch',
    });
    expect(c.securityContext).toEqual({ runAsNonRoot: true, capabilities: { drop: ['ALL'] }, allowPrivilegeEscalation: false });
  });

  it('connects to an external Oracle by EZConnect, without an in-cluster database', () => {
    const r = render({ database: { type: 'oracle', inCluster: { enabled: false }, host: 'oracledb-service', port: 1521, name: 'XEPDB1', user: 'sv' } });
    const { c } = server(r);
    expect(envValue(c, 'SV_DB_TYPE')).toBe('oracle');
    expect(envValue(c, 'SV_DB_DATASOURCE')).toBe('oracledb-service:1521/XEPDB1');
    expect(envValue(c, 'SV_DB_NAME')).toBe('XEPDB1');
    expect(envValue(c, 'SV_DB_WAIT_FOR')).toBe('oracledb-service:1521');
    expect(decode(r.get('Secret', 'sv-postgres-db-cred').data.user)).toBe('sv');
    expect(r.objects.filter((o) => o.metadata.labels['app.kubernetes.io/component'] === 'database').map((o) => o.kind)).toEqual(['Secret']);
  });

  it('connects to an external Postgres on its port, from an existing Secret, without waiting', () => {
    const r = render({ database: { inCluster: { enabled: false }, host: 'pg.internal', port: 6432, name: 'sv_db', existingSecret: 'sv-db', waitForReady: false } });
    const { c } = server(r);
    expect(envValue(c, 'SV_DB_DATASOURCE')).toBe(';Host=pg.internal;Port=6432;Database=sv_db;');
    expect(env(c, 'SV_DB_WAIT_FOR')).toBeUndefined();
    expect(env(c, 'SV_DB_PASSWORD').valueFrom.secretKeyRef.name).toBe('sv-db');
    expect(r.find('Secret', 'sv-postgres-db-cred')).toBeUndefined();
  });

  it('serves the in-cluster Postgres on database.port, so the port the server uses is always right', () => {
    const r = render({ database: { port: 15432 } });
    expect(r.get('Service', 'sv-postgres-db-service').spec.ports[0]).toMatchObject({ port: 15432, targetPort: 'postgres' });
    expect(envValue(server(r).c, 'SV_DB_WAIT_FOR')).toBe('sv-postgres-db-service:15432');
  });

  it('uses existing claims, or emptyDirs without persistence', () => {
    const existing = render({ persistence: { work: { existingClaim: 'w' }, logs: { existingClaim: 'l' } } });
    expect(existing.objects.filter((o) => o.kind === 'PersistentVolumeClaim').map((o) => o.metadata.name)).toEqual(['sv-postgres-db']);
    expect(server(existing).pod.volumes.slice(0, 2)).toEqual([
      { name: 'work', persistentVolumeClaim: { claimName: 'w' } },
      { name: 'logs', persistentVolumeClaim: { claimName: 'l' } },
    ]);
    const ephemeral = render({ persistence: { work: { enabled: false }, logs: { enabled: false } } });
    expect(server(ephemeral).pod.volumes.slice(0, 2)).toEqual([
      { name: 'work', emptyDir: {} },
      { name: 'logs', emptyDir: {} },
    ]);
  });

  it('gives NodePorts from one base: the API the base, agents the next ten', () => {
    const svc = render({ service: { type: 'NodePort', nodePortBase: 30100 } }).get('Service', 'sv-server');
    expect(svc.spec.ports.map((p: any) => [p.name, p.nodePort])).toEqual([['api', 30100], ...SV_AGENT_PORTS.map((p, i) => [`agent-${p}`, 30101 + i])]);
    const chosen = render({ service: { type: 'NodePort' } }).get('Service', 'sv-server');
    expect(chosen.spec.type).toBe('NodePort');
    expect(chosen.spec.ports.every((p: any) => p.nodePort === undefined)).toBe(true);
    // A base on a ClusterIP Service means nothing and is not rendered.
    expect(render({ service: { nodePortBase: 30100 } }).get('Service', 'sv-server').spec.ports[0].nodePort).toBeUndefined();
  });

  it('lets the host name and credentials be given, or taken from an existing Secret', () => {
    const given = render({ hostname: 'sv.example.com', credentials: { user: 'u', password: 'p' } });
    expect(envValue(server(given).c, 'SV_HOSTNAME')).toBe('sv.example.com');
    expect(decode(given.get('Secret', 'sv-server-cred').data.password)).toBe('p');
    const existing = render({ credentials: { existingSecret: 'sv-admin' } });
    expect(existing.find('Secret', 'sv-server-cred')).toBeUndefined();
    expect(env(server(existing).c, 'SV_PASSWORD').valueFrom.secretKeyRef.name).toBe('sv-admin');
  });

  it('lets extraEnv override a derived variable (it comes last)', () => {
    const { c } = server(render({ extraEnv: [{ name: 'SV_DB_DATASOURCE', value: 'custom' }] }));
    const names = c.env.map((e: any) => e.name);
    expect(names.lastIndexOf('SV_DB_DATASOURCE')).toBe(names.length - 1);
  });
});

describe('sv-server rules, in zod and in values.schema.json', () => {
  const rejected: [string, Record<string, unknown>, string][] = [
    ['an in-cluster Oracle', { database: { type: 'oracle' } }, 'database.type'],
    ['an external database without a host', { database: { inCluster: { enabled: false } } }, 'database.host'],
    ['a security field runAsRoot decides', { securityContext: { runAsUser: 1000 } }, 'securityContext.runAsUser'],
    ['a pod security field runAsRoot decides', { podSecurityContext: { fsGroup: 0 } }, 'podSecurityContext.fsGroup'],
    ['a grace margin under 5 s', { lifecycle: { graceMarginSeconds: 4 } }, 'lifecycle.graceMarginSeconds'],
    ['a node port base whose agent ports would pass 32767', { service: { nodePortBase: 32758 } }, 'service.nodePortBase'],
  ];

  it.each(rejected)('rejects %s', (_what, values, path) => {
    let error: unknown;
    try {
      parseValues('sv-server', svServerValues, values);
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(ValuesError);
    expect((error as ValuesError).issues.map((i) => i.path)).toContain(path);
    for (const major of HELM_MAJORS) {
      const h = helmTemplate(major, chartDir(system), values);
      expect(h.code, `helm ${major} accepted ${JSON.stringify(values)}`).not.toBe(0);
      expect(h.stderr).toMatch(/schema/i);
    }
  });
});

describe('sv-server on random values', () => {
  it('keeps its invariants: grace outlasts the preStop wait, prefixed names, selectors, one namespace', () => {
    fc.assert(
      fc.property(validValues(system.schema), (values) => {
        const v = parseValues('sv-server', svServerValues, values);
        const prefix = v.namePrefix;
        const r = render(values);
        const { d, pod, c } = server(r, prefix);
        expect(pod.terminationGracePeriodSeconds).toBe(v.lifecycle.stopTimeoutSeconds + v.lifecycle.graceMarginSeconds);
        expect(pod.terminationGracePeriodSeconds).toBeGreaterThanOrEqual(v.lifecycle.stopTimeoutSeconds + 5);
        expect(envValue(c, 'SV_STOP_TIMEOUT_SECONDS')).toBe(String(v.lifecycle.stopTimeoutSeconds));
        expect(c.command).toEqual(['/bin/bash', '-c']);
        expect(d.spec.strategy).toEqual({ type: 'Recreate' });
        const keys = new Set<string>();
        for (const o of r.objects) {
          expect(o.metadata.namespace).toBe(RELEASE.namespace);
          const key = `${o.kind}/${o.metadata.name}`;
          expect(keys.has(key), key).toBe(false);
          keys.add(key);
          expect(o.metadata.name.startsWith(prefix), key).toBe(true);
        }
        const svc = r.get('Service', `${prefix}sv-server`);
        for (const [k, val] of Object.entries(svc.spec.selector)) expect(d.spec.template.metadata.labels[k]).toBe(val);
        const nodePorts = svc.spec.ports.map((p: any) => p.nodePort).filter((p: unknown) => p !== undefined);
        expect(new Set(nodePorts).size).toBe(nodePorts.length);
        for (const p of nodePorts) expect(p).toBeLessThanOrEqual(32767);
      }),
      { numRuns: 200 },
    );
  });
});

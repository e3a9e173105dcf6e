/** The objects that make each upgrade strategy work, for md-core and (the same construct) md-icapsrv. */
import { describe, expect, it } from 'vitest';
import { parseValues, ValuesError } from '../lib/core/schema';
import { SLOT_LABEL } from '../lib/constructs/strategy';
import { mdCoreChart, mdCoreValues } from '../lib/systems/md-core';
import { mdIcapsrvChart } from '../lib/systems/md-icapsrv';
import { Obj, renderSystem } from './support/render';

const render = renderSystem;

const core = mdCoreChart;
const icap = mdIcapsrvChart;
const container = (d: Obj) => d.spec.template.spec.containers[0];

function rejects(values: unknown): ValuesError {
  try {
    parseValues('md-core', mdCoreValues, values);
  } catch (e) {
    if (e instanceof ValuesError) return e;
    throw e;
  }
  throw new Error(`accepted ${JSON.stringify(values)}`);
}

describe('rolling update', () => {
  it('rolls one Deployment gated by readiness, with the vendor surge settings', () => {
    const r = render(core, {});
    expect(r.all('Deployment').map((d) => d.metadata.name).sort()).toEqual(['md-core', 'postgres-core']);
    const d = r.get('Deployment', 'md-core');
    expect(d.spec.strategy).toEqual({ type: 'RollingUpdate', rollingUpdate: { maxSurge: 0, maxUnavailable: 1 } });
    expect(container(d).readinessProbe.httpGet).toEqual({ path: '/readyz', port: 'rest', scheme: 'HTTP' });
    expect(container(d).readinessProbe.initialDelaySeconds).toBe(60);
    expect(r.get('Service', 'md-core').spec.selector[SLOT_LABEL]).toBeUndefined();
  });

  it('takes percentages and refuses maxSurge and maxUnavailable both zero', () => {
    const d = render(core, { strategy: { rollingUpdate: { maxSurge: '25%', maxUnavailable: 0 } } }).get('Deployment', 'md-core');
    expect(d.spec.strategy.rollingUpdate).toEqual({ maxSurge: '25%', maxUnavailable: 0 });
    expect(rejects({ strategy: { rollingUpdate: { maxSurge: 0, maxUnavailable: '0%' } } }).message).toContain('strategy.rollingUpdate.maxUnavailable: maxSurge and maxUnavailable cannot both be zero');
  });

  it('refuses to roll without a readiness probe', () => {
    expect(rejects({ readinessProbe: { enabled: false } }).message).toContain('readinessProbe.enabled');
  });
});

describe('recreate', () => {
  it('stops every old pod first', () => {
    const d = render(core, { strategy: { type: 'Recreate' } }).get('Deployment', 'md-core');
    expect(d.spec.strategy).toEqual({ type: 'Recreate' });
  });
});

describe('MIGRATE_HISTORY', () => {
  it('sets the upgrade variables as the image expects them', () => {
    const cm = render(core, { strategy: { type: 'Recreate' }, upgrade: { upgradeDb: true, migrateHistory: true, retryUpgrade: 5, fromDbName: 'metadefender_core' } }).get('ConfigMap', 'mdcore-env');
    expect(cm.data).toMatchObject({ UPGRADE_DB: 'true', MIGRATE_HISTORY: 'true', RETRY_UPGRADE: '5', MDCORE_UPGRADE_FROM_DB_NAME: 'metadefender_core' });
  });

  it('drops the liveness probe while migrating and keeps readiness', () => {
    const with_ = container(render(core, { strategy: { type: 'Recreate' }, upgrade: { migrateHistory: true } }).get('Deployment', 'md-core'));
    expect(with_.livenessProbe).toBeUndefined();
    expect(with_.readinessProbe).toBeDefined();
    const without = container(render(core, {}).get('Deployment', 'md-core'));
    expect(without.livenessProbe.initialDelaySeconds).toBe(90);
  });

  it('refuses strategies that keep old pods running', () => {
    for (const type of ['RollingUpdate', 'BlueGreen']) {
      const e = rejects({ strategy: { type }, upgrade: { migrateHistory: true } });
      expect(e.issues).toContainEqual({ path: 'strategy.type', message: expect.stringContaining('needs strategy.type Recreate') });
    }
  });
});

describe.each([
  ['md-core', core, 'md-core'],
  ['md-icapsrv', icap, 'md-icapsrv'],
] as const)('blue-green (%s)', (_n, system, name) => {
  const blue = render(system, { strategy: { type: 'BlueGreen', blueGreen: { blue: { imageTag: '1.0.0', replicas: 2 }, green: { imageTag: '2.0.0', replicas: 1 } } } });
  const green = render(system, { strategy: { type: 'BlueGreen', blueGreen: { activeSlot: 'green', blue: { imageTag: '1.0.0', replicas: 2 }, green: { imageTag: '2.0.0', replicas: 1 } } } });

  it('runs one Deployment per slot, each with its own tag, replicas and slot selector', () => {
    expect(blue.all('Deployment').map((d) => d.metadata.name).filter((n) => n.startsWith(name)).sort()).toEqual([`${name}-blue`, `${name}-green`]);
    for (const [slot, tag, replicas] of [
      ['blue', '1.0.0', 2],
      ['green', '2.0.0', 1],
    ] as const) {
      const d = blue.get('Deployment', `${name}-${slot}`);
      expect(d.spec.replicas).toBe(replicas);
      expect(d.spec.selector.matchLabels[SLOT_LABEL]).toBe(slot);
      expect(d.spec.template.metadata.labels[SLOT_LABEL]).toBe(slot);
      expect(container(d).image.endsWith(`:${tag}`)).toBe(true);
    }
  });

  it('sends traffic to the active slot and the preview Service to the other', () => {
    expect(blue.get('Service', name).spec.selector[SLOT_LABEL]).toBe('blue');
    expect(blue.get('Service', `${name}-preview`).spec.selector[SLOT_LABEL]).toBe('green');
    expect(green.get('Service', name).spec.selector[SLOT_LABEL]).toBe('green');
    expect(green.get('Service', `${name}-preview`).spec.selector[SLOT_LABEL]).toBe('blue');
  });

  it('switches with one value: only the two Service selectors change', () => {
    const changed = blue.objects.filter((o) => {
      const other = green.objects.find((x) => x.kind === o.kind && x.metadata.name === o.metadata.name);
      return JSON.stringify(other) !== JSON.stringify(o) && !(o.kind === 'Secret' && o.metadata.annotations?.['helm.sh/resource-policy']);
    });
    expect(changed.map((o) => `${o.kind}/${o.metadata.name}`).sort()).toEqual([`Service/${name}`, `Service/${name}-preview`]);
  });

  it('uses image.tag for a slot without its own tag', () => {
    const r = render(system, { image: { tag: '9.9.9' }, strategy: { type: 'BlueGreen' } });
    expect(container(r.get('Deployment', `${name}-green`)).image.endsWith(':9.9.9')).toBe(true);
    expect(r.get('Deployment', `${name}-green`).spec.replicas).toBe(0);
  });
});

describe('blue-green with hot backup', () => {
  const r = render(core, { strategy: { type: 'BlueGreen' }, hotBackup: { enabled: true } });
  const exportJob = r.get('Job', 'md-core-config-export');
  const importJob = r.get('Job', 'md-core-config-import');

  it('exports before the switch and imports after it, as ordered Helm hooks', () => {
    expect(exportJob.metadata.annotations).toMatchObject({ 'helm.sh/hook': 'pre-upgrade', 'helm.sh/hook-weight': '-5' });
    expect(importJob.metadata.annotations).toMatchObject({ 'helm.sh/hook': 'post-upgrade', 'helm.sh/hook-weight': '5' });
    const script = (j: Obj) => container(j).command[2] as string;
    expect(script(exportJob)).toContain('/admin/export/v2');
    expect(script(importJob)).toContain('/admin/import/v2');
    expect(script(importJob)).toContain('Content-Type: application/octet-stream');
    // In raw mode the import waits for the export's marker, so the Jobs run in order there too.
    expect(script(importJob)).toMatch(/until \[ -f \/backup\/export.done \]/);
  });

  it('takes the API key and password from the Secrets as files (never env, arguments or values)', () => {
    for (const job of [exportJob, importJob]) {
      const [claim, credentials] = job.spec.template.spec.volumes;
      expect(claim.persistentVolumeClaim.claimName).toBe('md-core-backup');
      expect(credentials.projected).toEqual({
        defaultMode: 0o440,
        sources: [
          { secret: { name: 'mdcore-api-key', items: [{ key: 'value', path: 'apikey' }] } },
          { secret: { name: 'mdcore-cred', items: [{ key: 'password', path: 'password' }] } },
        ],
      });
      expect(container(job).volumeMounts).toContainEqual({ name: 'credentials', mountPath: '/secrets', readOnly: true });
      expect(container(job).env.filter((e: Obj) => e.valueFrom)).toEqual([]);
    }
  });

  it('verifies the REST certificate over HTTPS: the certificate itself, a CA given, or not at all when told', () => {
    const tls = (values: { tls?: object; hotBackup?: object }) => {
      const job = render(core, { strategy: { type: 'BlueGreen' }, hotBackup: { enabled: true, ...values.hotBackup }, tls: values.tls }).get('Job', 'md-core-config-export');
      return { curl: container(job).env.find((e: Obj) => e.name === 'CURL_TLS').value, ca: job.spec.template.spec.volumes.find((v: Obj) => v.name === 'ca')?.secret };
    };
    const https = { https: { enabled: true } };
    expect(tls({})).toEqual({ curl: '--cacert /tls/ca.crt', ca: undefined });
    expect(tls({ tls: https })).toEqual({ curl: '--cacert /tls/ca.crt', ca: { secretName: 'mdcore-https-tls-cert', items: [{ key: 'mdcore-https.crt', path: 'ca.crt' }] } });
    expect(tls({ tls: https, hotBackup: { tls: { caSecret: 'corp-ca' } } }).ca).toEqual({ secretName: 'corp-ca', items: [{ key: 'ca.crt', path: 'ca.crt' }] });
    expect(tls({ tls: https, hotBackup: { tls: { insecureSkipVerify: true } } })).toEqual({ curl: '--insecure', ca: undefined });
  });

  it('exports from the live Service and imports into the new active slot through a Service of that slot alone', () => {
    // The live Service may still send to the old slot when the post-upgrade hook starts (a race the pod
    // suite found), so the import never goes through it.
    const target = (j: Obj) => container(j).env.find((e: Obj) => e.name === 'TARGET').value;
    expect(target(exportJob)).toBe('md-core');
    expect(target(importJob)).toBe('md-core-blue');
    const green = render(core, { strategy: { type: 'BlueGreen', blueGreen: { activeSlot: 'green' } }, hotBackup: { enabled: true } });
    expect(target(green.get('Job', 'md-core-config-import'))).toBe('md-core-green');
    for (const slot of ['blue', 'green']) {
      const service = r.get('Service', `md-core-${slot}`);
      expect(service.spec.selector['chart-as-code/slot']).toBe(slot);
      expect(service.spec.selector).toMatchObject(r.get('Deployment', `md-core-${slot}`).spec.selector.matchLabels);
    }
    expect(r.get('PersistentVolumeClaim', 'md-core-backup').metadata.annotations['helm.sh/resource-policy']).toBe('keep');
  });

  it('is refused without blue-green', () => {
    expect(rejects({ hotBackup: { enabled: true } }).message).toContain('hotBackup.enabled');
  });
});

describe('autoscaling and blue-green', () => {
  it('cannot be combined', () => {
    expect(rejects({ strategy: { type: 'BlueGreen' }, autoscaling: { enabled: true } }).message).toContain('autoscaling.enabled');
  });
});

/**
 * md-core's KEDA objects (ScaledObject and TriggerAuthentication, keda.sh/v1alpha1) against the real
 * apiserver with KEDA's own CRDs installed (from the github.com/kedacore/keda/v2 Go module): the raw
 * manifests pass a server-side dry run and apply, the CRDs' schemas are enforced (a wrong field is
 * refused), and the chart installs with keda.enabled. No KEDA operator runs: the objects are checked as
 * the apiserver stores them.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import YAML from 'yaml';
import { synthObjects } from '../../lib/core/chart';
import { mdCoreChart } from '../../lib/systems/md-core';
import { kedaCrdFiles } from './keda-crds';
import { chartDirs, cluster, deleteNamespaces, getJson, install, kubectl, kubectlOk, newNamespace } from './support';

afterAll(() => deleteNamespaces());

beforeAll(() => {
  const kube = cluster();
  for (const file of kedaCrdFiles()) kubectlOk(kube, ['apply', '--server-side', '-f', file]);
  for (const crd of ['scaledobjects.keda.sh', 'triggerauthentications.keda.sh']) kubectlOk(kube, ['wait', '--for=condition=Established', `crd/${crd}`, '--timeout=60s']);
});

type KedaObject = { apiVersion: string; kind: string; metadata: { name: string }; spec: Record<string, any> };

function kedaObjects(ns: string, values: Record<string, unknown>): KedaObject[] {
  const { objects } = synthObjects({ chart: mdCoreChart, values: values as never, releaseName: 'core', namespace: ns });
  return (objects as KedaObject[]).filter((o) => o.apiVersion.startsWith('keda.sh/'));
}

const stream = (objects: unknown[]) => objects.map((o) => YAML.stringify(o)).join('---\n');

describe('KEDA objects of md-core', () => {
  it('pass a server-side dry run and apply with the CRDs\' schemas, as rendered', () => {
    const kube = cluster();
    const ns = newNamespace('keda-raw');
    const objects = kedaObjects(ns, { keda: { enabled: true, maxReplicas: 4 }, tls: { https: { enabled: true } } });
    expect(objects.map((o) => `${o.kind}/${o.metadata.name}`).sort()).toEqual(['ScaledObject/md-core', 'TriggerAuthentication/md-core-api-auth']);
    kubectlOk(kube, ['apply', '--server-side', '--dry-run=server', '-n', ns, '-f', '-'], { input: stream(objects) });
    kubectlOk(kube, ['apply', '--server-side', '-n', ns, '-f', '-'], { input: stream(objects) });
    const so = getJson<KedaObject>(kube, ['scaledobject', 'md-core', '-n', ns]);
    expect(so.spec.maxReplicaCount).toBe(4);
    expect(so.spec.advanced.scalingModifiers).toMatchObject({ target: '80', metricType: 'Value' });
    expect(so.spec.triggers.map((t: any) => [t.name, t.metadata.valueLocation, t.authenticationRef.name])).toEqual([
      ['available_slots', 'statuses.0.scan_queue_details.available_slots', 'md-core-api-auth'],
      ['total_slots', 'statuses.0.scan_queue_details.total_scan_queue', 'md-core-api-auth'],
    ]);
    expect(so.spec.triggers[0].metadata.url).toBe(`https://md-core.${ns}.svc.cluster.local:8008/stat/nodes`);
    const auth = getJson<KedaObject>(kube, ['triggerauthentication', 'md-core-api-auth', '-n', ns]);
    expect(auth.spec.secretTargetRef).toEqual([{ parameter: 'apiKey', name: 'mdcore-api-key', key: 'value' }]);
  });

  it('are checked by the CRD schemas (a metricType KEDA does not know is refused)', () => {
    const kube = cluster();
    const ns = newNamespace('keda-bad');
    const objects = kedaObjects(ns, { keda: { enabled: true } });
    const auth = objects.find((o) => o.kind === 'TriggerAuthentication')!;
    const so = objects.find((o) => o.kind === 'ScaledObject')!;
    const bad = { ...so, spec: { ...so.spec, advanced: { scalingModifiers: { ...so.spec.advanced.scalingModifiers, metricType: 'Utilization' } } } };
    const r = kubectl(kube, ['apply', '--server-side', '--dry-run=server', '-n', ns, '-f', '-'], { input: stream([auth, bad]) });
    expect(r.code).not.toBe(0);
    expect(r.stderr).toContain('metricType');
  });

  it('install with the chart (keda.enabled), which leaves the replica count to KEDA', () => {
    const kube = cluster();
    const ns = newNamespace('keda-helm');
    const chart = chartDirs().find((c) => c.name === 'md-core')!;
    kubectlOk(kube, ['create', 'secret', 'generic', 'mdcore-license-key', '-n', ns, '--from-literal=value=TEST-LICENSE']);
    install(3, chart.dir, 'core', ns, ['keda.enabled=true', 'keda.minReplicas=2']);
    expect(getJson<KedaObject>(kube, ['scaledobject', 'md-core', '-n', ns]).spec.minReplicaCount).toBe(2);
    expect(kubectl(kube, ['get', 'triggerauthentication', 'md-core-api-auth', '-n', ns]).code).toBe(0);
    expect(kubectl(kube, ['get', 'hpa', '-n', ns, '-o', 'name']).stdout.trim()).toBe('');
  });
});

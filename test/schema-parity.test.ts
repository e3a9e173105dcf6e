/**
 * zod and values.schema.json agree (expectSchemaParity of chart-as-code/proof): random invalid values are
 * rejected by both, each naming the offending path (SCHEMA_PARITY_RUNS, default 1000 per chart, through the in-process renderers of the newest helm 3
 * and 4, plus a few through the CLI of the oldest); on every helm release proven, a subchart's `global`
 * passes helm's schema check and `helm lint --strict` is clean.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseValues } from '../lib/core/schema';
import { cliRenderer, cliTemplate, expectEquivalent, expectSchemaParity, fc, InvalidValues, invalidValues } from '../lib/proof';
import { systems } from '../lib/systems';
import { mdIcapsrvChart } from '../lib/systems/md-icapsrv';
import { HELM_MAJORS, HelmRelease, helmBinary, helmName, helmReleases, newestHelm, runHelmAsync } from '../lib/tooling/helm';
import { HelmRenderer } from './support/helm-render';
import { chartDir } from './support/render';

const RANDOM_RUNS = Number(process.env.SCHEMA_PARITY_RUNS ?? 1000);
/** Random invalid values through the CLI of releases without an in-process renderer (the oldest ones). */
const CLI_RUNS = Number(process.env.SCHEMA_PARITY_CLI_RUNS ?? 10);

const newest = HELM_MAJORS.map(newestHelm);
/** By version: newestHelm() makes a new object on every call. */
const isNewest = (release: HelmRelease) => newest.some((n) => n.version === release.version);
const newestNames = newest.map(helmName).join(' and ');

describe.each(systems.map((s) => [s.name, s] as const))('%s: values schema parity', (_name, system) => {
  // The CLI cases run a few helm processes at a time (one per core).
  describe.concurrent.each(helmReleases().map((r) => [helmName(r), r] as const))('%s', (helm, release) => {
    it('lint --strict passes', async () => {
      const r = await runHelmAsync(release, ['lint', '--strict', chartDir(system)]);
      expect(r.stdout + r.stderr).toContain('0 chart(s) failed');
      expect(r.code).toBe(0);
    });

    it("accepts a subchart's global key", async () => {
      const { result } = await cliTemplate(helmBinary(release), chartDir(system), JSON.stringify({ global: { imageRegistry: 'registry.example.com', x: { y: 1 } } }));
      expect(result.stderr).toBe('');
      expect(result.code).toBe(0);
      expect(() => parseValues(system.name, system.schema, { global: { imageRegistry: 'x' } })).not.toThrow();
    });

    if (!isNewest(release)) {
      it(`rejects ${CLI_RUNS} random invalid values in zod and in helm, naming the path`, async () => {
        const { runs } = await expectSchemaParity(system, { renderers: [cliRenderer(helmBinary(release), chartDir(system), helm)], runs: CLI_RUNS });
        expect(runs).toBe(CLI_RUNS);
      });
    }
  });

  describe(`in-process ${newestNames}`, () => {
    let renderers: HelmRenderer[] = [];
    beforeAll(() => {
      renderers = newest.map((r) => new HelmRenderer(r, chartDir(system)));
    });
    afterAll(async () => {
      await Promise.all(renderers.map((r) => r.close()));
    });

    it(`rejects ${RANDOM_RUNS} random invalid values in zod and in helm, naming the path`, async () => {
      const { runs, seed } = await expectSchemaParity(system, { renderers, runs: RANDOM_RUNS });
      expect(runs).toBe(RANDOM_RUNS);
      // The generator must have exercised the different ways values go wrong, not one kind every time:
      // the same seed gives the same cases.
      const kinds = new Set(fc.sample(invalidValues(system.schema), { seed, numRuns: RANDOM_RUNS }).map((c) => c.kind));
      expect(kinds.size, [...kinds].join(', ')).toBeGreaterThanOrEqual(5);
    });
  });
});

/** Rules between fields Kubernetes checks: refused by zod and by the chart (values.schema.json or values-rules.yaml), each naming the path. */
const crossFieldCases: InvalidValues[] = [
  { values: { resources: { requests: { cpu: '5' } } }, path: ['resources', 'requests'] },
  { values: { database: { inCluster: { resources: { requests: { memory: '2Gi' }, limits: { memory: '1536Mi' } } } } }, path: ['database', 'inCluster', 'resources', 'requests'] },
  { values: { resources: { requests: { 'example.com/gpu': 1 } } }, path: ['resources', 'requests'] },
  { values: { resources: { requests: { 'example.com/gpu': '2' }, limits: { 'example.com/gpu': '1' } } }, path: ['resources', 'requests'] },
  { values: { resources: { limits: { 'example.com/gpu': '1.5' } } }, path: ['resources', 'limits'] },
  // A bad key is named by itself (helm: "invalid propertyName 'example.kubernetes.io/gpu'").
  { values: { resources: { limits: { 'example.kubernetes.io/gpu': '1' } } }, path: ['resources', 'limits', 'example.kubernetes.io/gpu'] },
  { values: { autoscaling: { minReplicas: 5, maxReplicas: 2 } }, path: ['autoscaling', 'maxReplicas'] },
  { values: { ports: { rest: 1344 } }, path: ['ports'] },
  { values: { service: { type: 'NodePort', nodePorts: { rest: 30080, icap: 30080 } } }, path: ['service', 'nodePorts'] },
  { values: { extraVolumeMounts: [{ name: 'missing', mountPath: '/x' }] }, path: ['extraVolumeMounts'] },
  { values: { extraVolumes: [{ name: 'x', emptyDir: {} }], extraVolumeMounts: [{ name: 'x', mountPath: '/x' }, { name: 'x', mountPath: '/x', readOnly: true }] }, path: ['extraVolumeMounts'] },
  { values: { extraVolumes: [{ name: 'x', emptyDir: {} }], extraVolumeMounts: [{ name: 'x', mountPath: '/etc/trust' }], trustedCertificates: { mountPath: '/etc/trust' } }, path: ['extraVolumeMounts'] },
  { values: { extraVolumes: [{ name: 'x', emptyDir: {} }, { name: 'x', emptyDir: {} }] }, path: ['extraVolumes'] },
  { values: { extraInitContainers: [{ name: 'wait-for-database', image: 'busybox:1.36.1' }] }, path: ['extraInitContainers', 0, 'name'] },
  { values: { strategy: { type: 'BlueGreen', rollingUpdate: { maxSurge: 0, maxUnavailable: '0%' } } }, path: ['strategy'] },
  { values: { extraVolumes: [{ name: 'product-data', emptyDir: {} }] }, path: ['extraVolumes', 0, 'name'] },
  { values: { databaseCleanup: { schedule: '0 20-08 * * *' } }, path: ['databaseCleanup', 'schedule'] },
  { values: { securityContext: { privileged: true } }, path: ['securityContext'] },
  { values: { podSecurityLevel: 'privileged', securityContext: { capabilities: { add: ['CAP_SYS_ADMIN'] } } }, path: ['securityContext'] },
  { values: { ingress: { enabled: true, paths: [{ path: '/api/..', pathType: 'Prefix' }] } }, path: ['ingress', 'paths', 0, 'path'] },
];

describe(`md-icapsrv: the rules between fields, in-process ${newestNames}`, () => {
  let renderers: HelmRenderer[] = [];
  beforeAll(() => {
    renderers = newest.map((r) => new HelmRenderer(r, chartDir(mdIcapsrvChart)));
  });
  afterAll(async () => {
    await Promise.all(renderers.map((r) => r.close()));
  });

  it('refuses each broken rule in zod and in helm, naming the path', async () => {
    await expectSchemaParity(mdIcapsrvChart, { renderers, runs: 0, cases: crossFieldCases, log: () => undefined });
  });

  it('accepts what keeps the rules: quantities compared by value, extended resources equal, ranges in order, privileged with escalation', async () => {
    const r = await expectEquivalent(mdIcapsrvChart, {
      renderers,
      runs: 0,
      log: () => undefined,
      values: [
        { resources: { requests: { cpu: '1500m', memory: '1Gi' }, limits: { cpu: '1.5', memory: 1073741824 } } },
        { resources: { requests: { 'nvidia.com/gpu': '1' }, limits: { 'nvidia.com/gpu': 1 } } },
        { resources: { limits: { 'example.com/fpga': '2' } } },
        { autoscaling: { enabled: true, minReplicas: 3, maxReplicas: 3 } },
        { service: { type: 'NodePort', nodePorts: { rest: 30080, icap: 30081 } } },
        { databaseCleanup: { enabled: true, sql: 'select 1;', schedule: '0 08-20 * * 1-5' } },
        { podSecurityLevel: 'privileged', securityContext: { privileged: true, allowPrivilegeEscalation: true } },
        { extraVolumes: [{ name: 'a', emptyDir: {} }], extraVolumeMounts: [{ name: 'a', mountPath: '/a' }, { name: 'a', mountPath: '/b', subPath: 'b' }] },
      ],
    });
    expect(r.kubernetes).toEqual(['1.30', '1.37']);
  });
});

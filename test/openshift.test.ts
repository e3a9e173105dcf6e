/**
 * OpenShift: on a cluster serving security.openshift.io/v1 (raw synthesis's apiVersions, `helm template
 * --api-versions`, `helm install` through discovery) every security context leaves runAsUser, runAsGroup and
 * fsGroup to restricted-v2 and keeps the rest of the restricted profile; `adaptSecurityContext` forces it
 * either way; the SV server, root by design, names the anyuid SCC instead. The equivalence proof renders
 * the same cases through helm (test/equivalence.test.ts); test/cluster/openshift.test.ts installs them past
 * an admission stand-in for restricted-v2, test/pods/openshift.test.ts runs them under an arbitrary uid.
 */
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { describe, expect, it } from 'vitest';
import { synthObjects } from '../lib/core/chart';
import { ASSIGNED_BY_OPENSHIFT, OPENSHIFT_SECURITY_API } from '../lib/constructs/openshift';
import { systems } from '../lib/systems';
import { svServerChart } from '../lib/systems/sv-server';
import { adaptSecurityContext, openshiftCases } from './cases';
import { chartDir, helmTemplate, Obj, parseStream } from './support/render';

const OPENSHIFT = [OPENSHIFT_SECURITY_API];

function objects(system: (typeof systems)[number], values: Record<string, unknown>, apiVersions: string[] = []): Obj[] {
  return synthObjects({ chart: system, values: values as never, apiVersions, includeTests: true }).objects as Obj[];
}

/** Every pod spec of the objects (Deployments, Jobs, CronJobs, Pods), with where it is. */
function podSpecs(objs: Obj[]): { where: string; spec: Obj; annotations: Record<string, string> }[] {
  return objs.flatMap((o) => {
    const where = `${o.kind}/${o.metadata.name}`;
    if (o.kind === 'Pod') return [{ where, spec: o.spec, annotations: o.metadata.annotations ?? {} }];
    const template = o.kind === 'CronJob' ? o.spec.jobTemplate.spec.template : o.spec?.template;
    return template?.spec ? [{ where, spec: template.spec, annotations: template.metadata?.annotations ?? {} }] : [];
  });
}

/** Each security context of the pods: the pod's and every (init) container's. */
function contexts(objs: Obj[]): { where: string; level: 'pod' | 'container'; context: Record<string, unknown> }[] {
  return podSpecs(objs).flatMap(({ where, spec }) => [
    { where, level: 'pod' as const, context: spec.securityContext ?? {} },
    ...[...(spec.initContainers ?? []), ...spec.containers].map((c: Obj) => ({ where: `${where} ${c.name}`, level: 'container' as const, context: c.securityContext ?? {} })),
  ]);
}

const assigned = (c: Record<string, unknown>) => ASSIGNED_BY_OPENSHIFT.filter((k) => k in c);

describe.each(systems.map((s) => [s.name, s] as const))('%s on OpenShift', (name, system) => {
  const everyPod = openshiftCases[name]![0]!.values;
  const isSv = system === svServerChart;

  it('fixes the user and groups off OpenShift (auto), as before', () => {
    const fixed = contexts(objects(system, everyPod)).filter((c) => assigned(c.context).length > 0);
    expect(fixed.length).toBeGreaterThan(0);
    expect(fixed.some((c) => c.level === 'pod' && c.context.fsGroup !== undefined)).toBe(true);
  });

  it('leaves runAsUser, runAsGroup and fsGroup to restricted-v2 on every pod and container, keeping the rest of the restricted profile', () => {
    // The SV server's own pod is root by default (below): with the non-root image it is adapted too.
    for (const values of [everyPod, isSv ? { runAsRoot: false } : {}]) {
      const all = contexts(objects(system, values, OPENSHIFT));
      expect(all.length).toBeGreaterThan(3);
      for (const c of all) expect({ where: c.where, assigned: assigned(c.context) }).toEqual({ where: c.where, assigned: [] });
      for (const c of all.filter((x) => x.level === 'pod')) {
        expect(c.context, c.where).toMatchObject({ runAsNonRoot: true, seccompProfile: { type: 'RuntimeDefault' } });
      }
    }
    // What the user sets beside them stays (supplementalGroups: restricted-v2 lets any through).
    const user = contexts(objects(system, everyPod, OPENSHIFT)).filter((c) => c.context.supplementalGroups !== undefined);
    expect(user.length).toBe(name === 'md-icapsrv' || isSv ? 1 : 0);
  });

  it('keeps the containers restricted: no privilege escalation, every capability dropped', () => {
    for (const c of contexts(objects(system, everyPod, OPENSHIFT)).filter((x) => x.level === 'container')) {
      expect(c.context, c.where).toMatchObject({ allowPrivilegeEscalation: false, capabilities: { drop: ['ALL'] } });
    }
  });

  it('adapts the same with force off OpenShift, and not at all when disabled on OpenShift', () => {
    expect(objects(system, { ...everyPod, ...adaptSecurityContext('force') })).toEqual(objects(system, everyPod, OPENSHIFT));
    expect(objects(system, { ...everyPod, ...adaptSecurityContext('disabled') }, OPENSHIFT)).toEqual(objects(system, everyPod));
  });

  it('helm template --api-versions security.openshift.io/v1 adapts as raw synthesis does', () => {
    const r = helmTemplate(4, chartDir(system), everyPod, ['--api-versions', OPENSHIFT_SECURITY_API]);
    expect(r.stderr).toBe('');
    const all = contexts(parseStream(r.stdout) as Obj[]);
    expect(all.length).toBe(contexts(objects(system, everyPod, OPENSHIFT)).length);
    for (const c of all) expect({ where: c.where, assigned: assigned(c.context) }).toEqual({ where: c.where, assigned: [] });
  });
});

describe('sv-server, root by design, on OpenShift', () => {
  const svPod = (values: Record<string, unknown>, apiVersions: string[] = []) => podSpecs(objects(svServerChart, values, apiVersions)).find((p) => p.where === 'Deployment/sv-server')!;

  it('stays root and names the anyuid SCC its ServiceAccount needs, where restricted-v2 would refuse uid 0', () => {
    const pod = svPod({}, OPENSHIFT);
    expect(pod.spec.securityContext).toMatchObject({ runAsUser: 0, runAsGroup: 0, runAsNonRoot: false });
    expect(pod.annotations).toEqual({ 'openshift.io/required-scc': 'anyuid' });
    expect(pod.spec.serviceAccountName).toBe('sv-server');
    // The other pods of the release (database, credential generator) are adapted: they need no SCC of their own.
    const others = podSpecs(objects(svServerChart, {}, OPENSHIFT)).filter((p) => p.where !== 'Deployment/sv-server');
    expect(others.length).toBeGreaterThan(1);
    for (const p of others) expect(assigned(p.spec.securityContext), p.where).toEqual([]);
  });

  it('names no SCC off OpenShift, with the non-root image, or when adaptation is disabled; the user\'s annotation wins', () => {
    expect(svPod({}).annotations).toEqual({});
    expect(svPod({ runAsRoot: false }, OPENSHIFT).annotations).toEqual({});
    expect(svPod(adaptSecurityContext('disabled'), OPENSHIFT).annotations).toEqual({});
    expect(svPod({ podAnnotations: { 'openshift.io/required-scc': 'sv-root', a: 'b' } }, OPENSHIFT).annotations).toEqual({ 'openshift.io/required-scc': 'sv-root', a: 'b' });
  });
});

describe('chart-as-code synth --api-versions', () => {
  const root = path.join(__dirname, '..');
  const cli = (args: string[]) => {
    const r = spawnSync(path.join(root, 'node_modules', '.bin', 'tsx'), [path.join(root, 'lib', 'cli', 'index.ts'), ...args], { cwd: root, encoding: 'utf8', timeout: 120_000 });
    return { code: r.status, stdout: r.stdout, stderr: r.stderr };
  };

  it('writes the OpenShift rendering, and refuses what is not an API version in one line', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'openshift-synth-'));
    try {
      const out = path.join(dir, 'dist');
      expect(cli(['synth', '--chart', 'md-icapsrv', '--out', out, '--api-versions', `apps/v1,${OPENSHIFT_SECURITY_API}`])).toMatchObject({ code: 0, stderr: '' });
      const written = parseStream(fs.readFileSync(path.join(out, 'md-icapsrv.k8s.yaml'), 'utf8')) as Obj[];
      const icap = systems.find((s) => s.name === 'md-icapsrv')!;
      expect(written).toEqual(synthObjects({ chart: icap, apiVersions: OPENSHIFT }).objects);
      expect(contexts(written).flatMap((c) => assigned(c.context))).toEqual([]);

      const bad = cli(['synth', '--chart', 'md-icapsrv', '--out', path.join(dir, 'bad'), '--api-versions', 'openshift please']);
      expect(bad).toMatchObject({ code: 2, stdout: '' });
      expect(bad.stderr).toMatch(/^error: --api-versions "openshift please": not an API version \(group\/version, e\.g\. security\.openshift\.io\/v1\)/);
      expect(bad.stderr.trim().split('\n')).toHaveLength(1);
      expect(fs.existsSync(path.join(dir, 'bad'))).toBe(false);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});

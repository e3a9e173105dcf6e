/**
 * OpenShift, as far as core Kubernetes can stand in for it: a CustomResourceDefinition serves
 * security.openshift.io/v1 (so `helm install` sees the API version through discovery, as on OpenShift),
 * and a ValidatingAdmissionPolicy refuses what restricted-v2 refuses of a pod's user and groups: a
 * runAsUser (pod or container) outside the namespace's `openshift.io/sa.scc.uid-range`, an fsGroup outside
 * its `openshift.io/sa.scc.supplemental-groups`. It admits a pod that names the anyuid SCC
 * (`openshift.io/required-scc`) when its ServiceAccount was granted it, which the namespace annotation
 * `chart-as-code.test/anyuid` stands for (`oc adm policy add-scc-to-user anyuid -z <sa>`). It does not
 * assign a user as OpenShift's admission does: the pods run as their image's user here (the pod suite,
 * test/pods/openshift.test.ts, runs them under an arbitrary uid and group 0).
 *
 * Every chart, with helm 3 and 4: installed with defaults (adaptSecurityContext auto), every pod is
 * admitted and rolls out; with adaptation disabled, the fixed uids are refused. The SV server, root by
 * design, is admitted only with anyuid granted to its ServiceAccount.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ASSIGNED_BY_OPENSHIFT, OPENSHIFT_SECURITY_API } from '../../lib/constructs/openshift';
import { HELM_MAJORS, HelmMajor } from '../../lib/tooling/helm';
import { profiles } from './profiles';
import { chartDirs, cluster, deleteNamespaces, getJson, helmOk, install, K8sObject, kubectl, kubectlOk, newNamespace, releaseManifest, waitFor, waitWorkloadsReady } from './support';

const POLICY = 'restricted-v2-stand-in';
const SELECTOR = { 'chart-as-code.test/restricted-v2': 'true' };
/** A range as OpenShift gives each namespace: 10000 ids from a block far from any image's own uid. */
const RANGE = { first: 1000680000, size: 10000 };

const crd = {
  apiVersion: 'apiextensions.k8s.io/v1',
  kind: 'CustomResourceDefinition',
  metadata: { name: 'securitycontextconstraints.security.openshift.io' },
  spec: {
    group: 'security.openshift.io',
    scope: 'Cluster',
    names: { plural: 'securitycontextconstraints', singular: 'securitycontextconstraints', kind: 'SecurityContextConstraints', shortNames: ['scc'] },
    versions: [{ name: 'v1', served: true, storage: true, schema: { openAPIV3Schema: { type: 'object', 'x-kubernetes-preserve-unknown-fields': true } } }],
  },
};

/** In range, or unset: `field` of an object that may lack it. */
const inRange = (obj: string, field: string, range: string) =>
  `!has(${obj}.${field}) || (${obj}.${field} >= variables.${range}[0] && ${obj}.${field} < variables.${range}[0] + variables.${range}[1])`;

const policy = {
  apiVersion: 'admissionregistration.k8s.io/v1',
  kind: 'ValidatingAdmissionPolicy',
  metadata: { name: POLICY },
  spec: {
    failurePolicy: 'Fail',
    matchConstraints: { resourceRules: [{ apiGroups: [''], apiVersions: ['v1'], operations: ['CREATE', 'UPDATE'], resources: ['pods'] }] },
    variables: [
      { name: 'annotations', expression: "has(namespaceObject.metadata.annotations) ? namespaceObject.metadata.annotations : {}" },
      { name: 'uids', expression: "variables.annotations['openshift.io/sa.scc.uid-range'].split('/').map(x, int(x))" },
      { name: 'groups', expression: "variables.annotations['openshift.io/sa.scc.supplemental-groups'].split('/').map(x, int(x))" },
      {
        name: 'anyuid',
        expression:
          "has(object.metadata.annotations) && 'openshift.io/required-scc' in object.metadata.annotations && object.metadata.annotations['openshift.io/required-scc'] == 'anyuid' && " +
          "'chart-as-code.test/anyuid' in variables.annotations && (has(object.spec.serviceAccountName) ? object.spec.serviceAccountName : 'default') in variables.annotations['chart-as-code.test/anyuid'].split(',')",
      },
      { name: 'containers', expression: 'object.spec.containers + (has(object.spec.initContainers) ? object.spec.initContainers : [])' },
    ],
    validations: [
      {
        expression: `variables.anyuid || !has(object.spec.securityContext) || (${inRange('object.spec.securityContext', 'runAsUser', 'uids')})`,
        message: 'restricted-v2: spec.securityContext.runAsUser must be in the namespace\'s range (openshift.io/sa.scc.uid-range)',
      },
      {
        expression: `variables.anyuid || !has(object.spec.securityContext) || (${inRange('object.spec.securityContext', 'fsGroup', 'groups')})`,
        message: 'restricted-v2: spec.securityContext.fsGroup must be in the namespace\'s range (openshift.io/sa.scc.supplemental-groups)',
      },
      {
        expression: `variables.anyuid || variables.containers.all(c, !has(c.securityContext) || (${inRange('c.securityContext', 'runAsUser', 'uids')}))`,
        message: 'restricted-v2: a container\'s securityContext.runAsUser must be in the namespace\'s range (openshift.io/sa.scc.uid-range)',
      },
    ],
  },
};

const binding = {
  apiVersion: 'admissionregistration.k8s.io/v1',
  kind: 'ValidatingAdmissionPolicyBinding',
  metadata: { name: POLICY },
  spec: { policyName: POLICY, validationActions: ['Deny'], matchResources: { namespaceSelector: { matchLabels: SELECTOR } } },
};

const openshiftServed = () => kubectlOk(cluster(), ['api-versions']).split('\n').includes(OPENSHIFT_SECURITY_API);

/** A namespace as OpenShift annotates a project: its uid and group ranges; `anyuid`: ServiceAccounts granted that SCC. */
function project(prefix: string, anyuid: string[] = []): string {
  const ns = newNamespace(prefix, SELECTOR);
  const range = `${RANGE.first}/${RANGE.size}`;
  const annotations = [`openshift.io/sa.scc.uid-range=${range}`, `openshift.io/sa.scc.supplemental-groups=${range}`];
  if (anyuid.length > 0) annotations.push(`chart-as-code.test/anyuid=${anyuid.join(',')}`);
  kubectlOk(cluster(), ['annotate', 'namespace', ns, ...annotations]);
  return ns;
}

/** A pod with this pod security context, created for real (dry run on the server): the policy's answer. */
function admits(ns: string, securityContext: Record<string, unknown>): { admitted: boolean; message: string } {
  const pod = { apiVersion: 'v1', kind: 'Pod', metadata: { name: 'probe', namespace: ns }, spec: { securityContext, containers: [{ name: 'c', image: 'busybox:1.36.1' }] } };
  const r = kubectl(cluster(), ['create', '--dry-run=server', '-f', '-'], { input: JSON.stringify(pod) });
  return { admitted: r.code === 0, message: r.stderr };
}

beforeAll(async () => {
  const kube = cluster();
  kubectlOk(kube, ['apply', '--server-side', '-f', '-'], { input: JSON.stringify(crd) });
  kubectlOk(kube, ['wait', '--for=condition=Established', `crd/${crd.metadata.name}`, '--timeout=60s']);
  await waitFor(`discovery to serve ${OPENSHIFT_SECURITY_API}`, () => (openshiftServed() ? true : undefined), 60_000);
  kubectlOk(kube, ['apply', '--server-side', '-f', '-'], { input: JSON.stringify({ apiVersion: 'v1', kind: 'List', items: [policy, binding] }) });
  // The policy takes effect once the apiserver has compiled it: until a pod out of range is refused.
  const ns = project('openshift-policy');
  await waitFor('the policy to refuse a uid out of range', () => (admits(ns, { runAsUser: 1000 }).admitted ? undefined : true), 60_000);
});

afterAll(async () => {
  deleteNamespaces();
  // The other files of the suite must not see OpenShift: helm asks discovery afresh on every install.
  const kube = cluster();
  kubectl(kube, ['delete', 'validatingadmissionpolicybinding', POLICY, '--ignore-not-found']);
  kubectl(kube, ['delete', 'validatingadmissionpolicy', POLICY, '--ignore-not-found']);
  kubectl(kube, ['delete', 'crd', crd.metadata.name, '--ignore-not-found']);
  await waitFor(`discovery to stop serving ${OPENSHIFT_SECURITY_API}`, () => (openshiftServed() ? undefined : true), 60_000);
});

describe('the restricted-v2 stand-in', () => {
  it('refuses a runAsUser or fsGroup out of the namespace\'s ranges and admits them inside or unset', () => {
    const ns = project('openshift-ranges');
    expect(admits(ns, { runAsUser: RANGE.first, fsGroup: RANGE.first + RANGE.size - 1 }).admitted).toBe(true);
    expect(admits(ns, { runAsNonRoot: true }).admitted).toBe(true);
    const refused = admits(ns, { runAsUser: 1000 });
    expect(refused.admitted).toBe(false);
    expect(refused.message).toContain('restricted-v2: spec.securityContext.runAsUser');
    expect(admits(ns, { fsGroup: RANGE.first + RANGE.size }).message).toContain('restricted-v2: spec.securityContext.fsGroup');
    expect(admits(ns, { runAsUser: 0 }).admitted).toBe(false);
  });
});

/** Every security context of the pod templates of `objects`, with where it is. */
function securityContexts(objects: K8sObject[]): { where: string; context: Record<string, unknown> }[] {
  return objects.flatMap((o) => {
    const spec = o.kind === 'Pod' ? (o as any).spec : o.kind === 'CronJob' ? (o as any).spec.jobTemplate.spec.template.spec : (o as any).spec?.template?.spec;
    if (!spec) return [];
    const where = `${o.kind}/${o.metadata.name}`;
    return [{ where, context: spec.securityContext ?? {} }, ...[...(spec.initContainers ?? []), ...spec.containers].map((c: any) => ({ where: `${where} ${c.name}`, context: c.securityContext ?? {} }))];
  });
}

/** Waits until a ReplicaSet of `deployment` reports its pods refused, and returns the message. */
function refusal(ns: string, deployment: string): Promise<string> {
  type RS = { metadata: { ownerReferences?: { name: string }[] }; status?: { conditions?: { type: string; message?: string }[] } };
  return waitFor(`the pods of ${deployment} to be refused`, () => {
    const sets = getJson<{ items: RS[] }>(cluster(), ['replicasets', '-n', ns]).items.filter((rs) => rs.metadata.ownerReferences?.some((r) => r.name === deployment));
    return sets.flatMap((rs) => rs.status?.conditions ?? []).find((c) => c.type === 'ReplicaFailure')?.message;
  }, 90_000);
}

const DISABLED = 'global.compatibility.openshift.adaptSecurityContext=disabled';

for (const chart of chartDirs()) {
  const profile = profiles[chart.name];
  const isSv = chart.name === 'sv-server';
  const deploymentOf = (objects: K8sObject[]) => objects.filter((o) => o.kind === 'Deployment').map((o) => o.metadata.name);
  for (const major of HELM_MAJORS as readonly HelmMajor[]) {
    describe(`${chart.name}, helm ${major}, on the OpenShift stand-in`, () => {
      it(`installs with defaults: no fixed uid, gid or fsGroup${isSv ? ' but the SV server\'s root, admitted with anyuid granted to its ServiceAccount' : ''}, every pod admitted`, async () => {
        const kube = cluster();
        const ns = project(`${chart.name}-h${major}-os`, isSv ? ['sv-server'] : []);
        profile?.prepareDefaults?.(kube, ns);
        const r = install(major, chart.dir, 'rel', ns);
        // The SV server's notes say what its pod needs; no other chart needs anything.
        if (isSv) expect(r.stdout).toContain(`oc adm policy add-scc-to-user anyuid -z sv-server -n ${ns}`);
        else expect(r.stdout).not.toContain('anyuid');
        const objects = releaseManifest(major, 'rel', ns);
        const fixed = securityContexts(objects).filter((c) => ASSIGNED_BY_OPENSHIFT.some((k) => k in c.context));
        expect(fixed.map((c) => c.where)).toEqual(isSv ? ['Deployment/sv-server'] : []);
        const workloads = objects.filter((o) => o.kind === 'Deployment');
        expect(await waitWorkloadsReady(kube, ns, objects)).toHaveLength(workloads.length);
      });

      it('with adaptation disabled, its fixed uids are refused', async () => {
        const kube = cluster();
        const ns = project(`${chart.name}-h${major}-os-off`, isSv ? ['sv-server'] : []);
        profile?.prepareDefaults?.(kube, ns);
        // multisite-init's writer is a hook Job by default, which helm would wait for: here it runs in the consumer.
        const set = [DISABLED, ...(chart.name === 'multisite-init' ? ['job.enabled=false', 'consumer.enabled=true', 'consumer.runWriter=true'] : [])];
        helmOk(major, ['install', 'rel', chart.dir, '-n', ns, '--set', set.join(',')]);
        // The SV server's own pod is root, granted anyuid; every other Deployment fixes a uid.
        const refused = deploymentOf(releaseManifest(major, 'rel', ns)).filter((d) => !(isSv && d === 'sv-server'));
        expect(refused.length).toBeGreaterThan(0);
        for (const d of refused) expect(await refusal(ns, d)).toContain('restricted-v2');
      });
    });
  }
}

describe('sv-server as root without anyuid', () => {
  it('is refused where restricted-v2 refuses it (uid 0), naming the SCC it needs, while the rest of the release is admitted', async () => {
    const kube = cluster();
    const chart = chartDirs().find((c) => c.name === 'sv-server')!;
    const ns = project('sv-server-os-noanyuid');
    profiles['sv-server']?.prepareDefaults?.(kube, ns);
    helmOk(3, ['install', 'rel', chart.dir, '-n', ns]);
    expect(await refusal(ns, 'sv-server')).toContain('restricted-v2');
    const template = getJson<{ spec: { template: { metadata: { annotations?: Record<string, string> } } } }>(kube, ['deployment', 'sv-server', '-n', ns]).spec.template;
    expect(template.metadata.annotations?.['openshift.io/required-scc']).toBe('anyuid');
    expect(await waitWorkloadsReady(kube, ns, releaseManifest(3, 'rel', ns).filter((o) => o.metadata.name !== 'sv-server'))).not.toEqual([]);
  });
});

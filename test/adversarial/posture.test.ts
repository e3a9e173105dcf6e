/**
 * Posture, attacked: what may reach each pod, what each pod runs, and what it may do.
 *
 * - NetworkPolicies: every chart rendered over the equivalence cases (raw synthesis and the in-process
 *   renderers of the newest helm 3 and 4); every pod template (Deployments, StatefulSets, Jobs, CronJobs,
 *   test Pods) evaluated against every policy's podSelector and `from` peers with Kubernetes' selector
 *   semantics (matchLabels, matchExpressions, namespaceSelector). Each pod that uses the database (it reads
 *   the database credentials: the product, blue/green slots, the clean-up CronJob) is admitted to it; an
 *   unrelated pod, and every pod of a second release in the namespace (its own release name and
 *   namePrefix), are refused.
 * - Images: every image of every rendered object has a full version tag or a digest; image.digest renders
 *   `repository:tag@sha256:…` alike in both outputs; floating tags and malformed digests are refused.
 * - Pod Security: values breaking the chart's declared level are refused by zod and by helm 3 and 4,
 *   naming the path, and accepted once `podSecurityLevel` is lowered on purpose.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ChartDefinition, declaredPodSecurityLevel, synthObjects } from '../../lib/core/chart';
import { parseValues, ValuesError } from '../../lib/core/schema';
import { manifestsToYaml } from '../../lib/core/yaml';
import { fc, helmNamesPath } from '../../lib/proof';
import { systems } from '../../lib/systems';
import { HELM_MAJORS, newestHelm } from '../../lib/tooling/helm';
import { DIGEST, EXTRA_PEERS, handCases } from '../cases';
import { HelmRenderer } from '../support/helm-render';
import { chartDir, compareRenderings, K8sObject, parseStream, RELEASE } from '../support/render';

// ---------------------------------------------------------------------------------------------------
// Kubernetes' selector and NetworkPolicy semantics, for the rendered objects
// ---------------------------------------------------------------------------------------------------

type Labels = Record<string, string>;
interface Selector {
  matchLabels?: Labels;
  matchExpressions?: { key: string; operator: 'In' | 'NotIn' | 'Exists' | 'DoesNotExist'; values?: string[] }[];
}
interface Peer {
  podSelector?: Selector;
  namespaceSelector?: Selector;
  ipBlock?: unknown;
}
interface Policy {
  metadata: { name: string; namespace: string };
  spec: { podSelector: Selector; ingress?: { from?: Peer[]; ports?: unknown[] }[] };
}
/** A pod as a NetworkPolicy sees it: its labels and its namespace's labels. */
interface PodView {
  readonly owner: string;
  readonly labels: Labels;
  readonly namespace: string;
  readonly spec: { containers?: Container[]; initContainers?: Container[] };
}
interface Container {
  image: string;
  env?: { name: string; valueFrom?: { secretKeyRef?: { name: string } } }[];
  envFrom?: { secretRef?: { name: string } }[];
}

/** metav1.LabelSelector: every matchLabels entry and every expression must hold; an empty selector selects all. */
function selects(selector: Selector, labels: Labels): boolean {
  const labelsOk = Object.entries(selector.matchLabels ?? {}).every(([k, v]) => labels[k] === v);
  const expressionsOk = (selector.matchExpressions ?? []).every((e) => {
    const has = Object.prototype.hasOwnProperty.call(labels, e.key);
    switch (e.operator) {
      case 'In':
        return has && (e.values ?? []).includes(labels[e.key]!);
      case 'NotIn':
        return !has || !(e.values ?? []).includes(labels[e.key]!);
      case 'Exists':
        return has;
      case 'DoesNotExist':
        return !has;
    }
  });
  return labelsOk && expressionsOk;
}

const namespaceLabels = (ns: string): Labels => ({ 'kubernetes.io/metadata.name': ns });

/** Whether a NetworkPolicyPeer matches a pod: podSelector alone is the policy's namespace; ipBlock is no pod. */
function peerMatches(peer: Peer, policyNamespace: string, pod: PodView): boolean {
  if (peer.ipBlock) return false;
  const namespaceOk = peer.namespaceSelector ? selects(peer.namespaceSelector, namespaceLabels(pod.namespace)) : pod.namespace === policyNamespace;
  return namespaceOk && (peer.podSelector ? selects(peer.podSelector, pod.labels) : true);
}

/** Whether `policy` lets `source` connect to its pods (on the rule's ports); no rule with a match refuses. */
function admits(policy: Policy, source: PodView): boolean {
  return (policy.spec.ingress ?? []).some((rule) => !rule.from || rule.from.length === 0 || rule.from.some((p) => peerMatches(p, policy.metadata.namespace, source)));
}

function protects(policy: Policy, pod: PodView): boolean {
  return pod.namespace === policy.metadata.namespace && selects(policy.spec.podSelector, pod.labels);
}

/** Every pod an object makes (workload templates, CronJob job templates, bare Pods such as test hooks). */
function pods(objects: readonly K8sObject[]): PodView[] {
  return objects.flatMap((o): PodView[] => {
    const obj = o as unknown as { kind: string; metadata: { name: string; namespace: string; labels?: Labels }; spec: Record<string, any> };
    const template =
      obj.kind === 'CronJob'
        ? obj.spec.jobTemplate.spec.template
        : ['Deployment', 'StatefulSet', 'DaemonSet', 'Job', 'ReplicaSet'].includes(obj.kind)
          ? obj.spec.template
          : obj.kind === 'Pod'
            ? { metadata: obj.metadata, spec: obj.spec }
            : undefined;
    if (!template) return [];
    return [{ owner: `${obj.kind}/${obj.metadata.name}`, labels: template.metadata?.labels ?? {}, namespace: obj.metadata.namespace, spec: template.spec }];
  });
}

const containersOf = (pod: PodView): Container[] => [...(pod.spec.initContainers ?? []), ...(pod.spec.containers ?? [])];

/** Secrets a pod reads through env or envFrom. */
function secretsRead(pod: PodView): Set<string> {
  const names = containersOf(pod).flatMap((c) => [
    ...(c.env ?? []).flatMap((e) => (e.valueFrom?.secretKeyRef ? [e.valueFrom.secretKeyRef.name] : [])),
    ...(c.envFrom ?? []).flatMap((e) => (e.secretRef ? [e.secretRef.name] : [])),
  ]);
  return new Set(names);
}

/** The in-cluster database pods with the Secret their credentials come from (POSTGRES_PASSWORD). */
function databases(all: PodView[]): { pod: PodView; credentials: string }[] {
  return all.flatMap((pod) => {
    const ref = (pod.spec.containers ?? []).flatMap((c) => c.env ?? []).find((e) => e.name === 'POSTGRES_PASSWORD')?.valueFrom?.secretKeyRef?.name;
    return ref ? [{ pod, credentials: ref }] : [];
  });
}

const policiesOf = (objects: readonly K8sObject[]) => objects.filter((o) => o.kind === 'NetworkPolicy') as unknown as Policy[];

/** A pod of the same namespace nothing of the chart selects. */
const UNRELATED: PodView = { owner: 'Pod/unrelated', labels: { app: 'unrelated', 'app.kubernetes.io/name': 'web' }, namespace: RELEASE.namespace, spec: {} };

/** The release's rendering: every database has a policy that admits exactly who must pass. */
function checkPolicies(objects: readonly K8sObject[], otherRelease: readonly K8sObject[], values: Record<string, any>): string[] {
  const problems: string[] = [];
  const all = pods(objects);
  const policies = policiesOf(objects);
  const dbPolicyOn = values.database?.inCluster?.networkPolicy?.enabled !== false;
  for (const db of databases(all)) {
    const guarding = policies.filter((p) => protects(p, db.pod));
    if (!dbPolicyOn) {
      if (guarding.length > 0) problems.push(`${db.pod.owner}: a policy although database.inCluster.networkPolicy.enabled is false`);
      continue;
    }
    if (guarding.length !== 1) {
      problems.push(`${db.pod.owner}: ${guarding.length} policies protect it, expected 1`);
      continue;
    }
    const policy = guarding[0]!;
    const users = all.filter((p) => p !== db.pod && secretsRead(p).has(db.credentials));
    if (users.length === 0) problems.push(`${db.pod.owner}: no pod reads ${db.credentials}: the must-pass set is empty`);
    for (const user of users) if (!admits(policy, user)) problems.push(`${policy.metadata.name} refuses ${user.owner}, which uses the database`);
    if (admits(policy, UNRELATED)) problems.push(`${policy.metadata.name} admits an unrelated pod`);
    for (const foreign of pods(otherRelease)) if (admits(policy, foreign)) problems.push(`${policy.metadata.name} admits ${foreign.owner} of another release`);
  }
  // The product policy (optional): it protects the product's pods and admits the chart's own test hook.
  for (const policy of policies.filter((p) => !databases(all).some((db) => protects(p, db.pod)))) {
    const protectedPods = all.filter((p) => protects(policy, p));
    if (protectedPods.length === 0) problems.push(`${policy.metadata.name} protects no pod`);
    for (const test of all.filter((p) => p.owner.startsWith('Pod/'))) if (!admits(policy, test)) problems.push(`${policy.metadata.name} refuses the test hook ${test.owner}`);
    const restricted = (values.networkPolicy?.from ?? []).length > 0;
    if (restricted) {
      if (admits(policy, UNRELATED)) problems.push(`${policy.metadata.name} admits an unrelated pod although from is set`);
      for (const foreign of pods(otherRelease)) if (admits(policy, foreign)) problems.push(`${policy.metadata.name} admits ${foreign.owner} of another release`);
    }
  }
  return problems;
}

// ---------------------------------------------------------------------------------------------------
// Rendering every case both ways, and the second release
// ---------------------------------------------------------------------------------------------------

const OTHER = { name: 'other', namePrefix: 'other-' };

function raw(system: ChartDefinition, values: unknown, release = RELEASE.name): K8sObject[] {
  const { objects } = synthObjects({ chart: system, values: values as never, releaseName: release, namespace: RELEASE.namespace, managedBy: 'Helm', includeTests: true });
  return parseStream(manifestsToYaml(objects));
}

async function helm(renderer: HelmRenderer, values: unknown): Promise<K8sObject[]> {
  const r = await renderer.render(JSON.stringify(values));
  if (!('docs' in r)) throw new Error(`${renderer.name} refused ${JSON.stringify(values)}: ${JSON.stringify(r)}`);
  return r.docs;
}

/** Every image of every container of every rendered object. */
function images(objects: readonly K8sObject[]): { owner: string; image: string }[] {
  return pods(objects).flatMap((p) => containersOf(p).map((c) => ({ owner: p.owner, image: c.image })));
}

const PINNED_IMAGE = /^[a-z0-9]+([._/:-][a-z0-9]+)*(:v?[0-9]+\.[0-9]+([._-][A-Za-z0-9]+)*)?(@sha256:[a-f0-9]{64})?$/;
const pinned = (image: string) => PINNED_IMAGE.test(image) && (/:v?[0-9]+(\.[0-9]+|-[0-9]+)[^/]*$/.test(image.replace(/@sha256:.*/, '')) || image.includes('@sha256:'));

function zodIssues(system: ChartDefinition, values: unknown): { path: string; message: string }[] {
  try {
    parseValues(system.name, system.schema, values);
    return [];
  } catch (e) {
    if (e instanceof ValuesError) return e.issues;
    throw e;
  }
}

describe.each(systems.map((s) => [s.name, s] as const))('%s', (name, system) => {
  const cases = [{ name: 'defaults', values: {} as Record<string, any> }, ...(handCases[name] ?? [])];
  let renderers: HelmRenderer[] = [];
  beforeAll(() => {
    renderers = HELM_MAJORS.map((m) => new HelmRenderer(newestHelm(m), chartDir(system)));
  });
  afterAll(async () => {
    await Promise.all(renderers.map((r) => r.close()));
  });

  describe('NetworkPolicies admit who must pass and refuse the rest', () => {
    it.each(cases.map((c) => [c.name, c.values] as const))('%s (raw and helm)', async (_case, values) => {
      // The second release: its own name and namePrefix, the same values otherwise, in the same namespace.
      const other = raw(system, { ...values, namePrefix: OTHER.namePrefix }, OTHER.name);
      const renderings = [raw(system, values), ...(await Promise.all(renderers.map((r) => helm(r, values))))];
      for (const objects of renderings) expect(checkPolicies(objects, other, values)).toEqual([]);
    });

    it('refuses every label set but the release\'s own product labels, and admits the extra peers only where they point (fast-check)', () => {
      const objects = raw(system, {});
      const policy = policiesOf(objects).find((p) => databases(pods(objects)).some((db) => protects(p, db.pod)));
      if (!policy) return expect(databases(pods(objects))).toEqual([]);
      const productName = (objects.find((o) => o.kind === 'NetworkPolicy')!.metadata as { labels: Labels }).labels['app.kubernetes.io/name']!;
      const key = fc.constantFrom('app.kubernetes.io/name', 'app.kubernetes.io/instance', 'app.kubernetes.io/component', 'app', 'team');
      const value = fc.constantFrom(productName, RELEASE.name, OTHER.name, 'database', 'web', 'pg-backup', '');
      fc.assert(
        fc.property(fc.dictionary(key, value), fc.constantFrom(RELEASE.namespace, 'monitoring'), (labels, namespace) => {
          const own = labels['app.kubernetes.io/name'] === productName && labels['app.kubernetes.io/instance'] === RELEASE.name && namespace === RELEASE.namespace;
          expect(admits(policy, { owner: 'Pod/x', labels, namespace, spec: {} })).toBe(own);
        }),
        { numRuns: 300 },
      );
      const withPeers = raw(system, { database: { inCluster: { networkPolicy: { from: EXTRA_PEERS } } } });
      const widened = policiesOf(withPeers).find((p) => p.metadata.name === policy.metadata.name)!;
      const at = (labels: Labels, namespace: string): PodView => ({ owner: 'Pod/x', labels, namespace, spec: {} });
      expect(admits(widened, at({ 'app.kubernetes.io/name': 'pg-backup' }, RELEASE.namespace))).toBe(true);
      expect(admits(widened, at({ 'app.kubernetes.io/name': 'pg-backup' }, 'monitoring'))).toBe(false);
      expect(admits(widened, at({ app: 'prometheus' }, 'monitoring'))).toBe(true);
      expect(admits(widened, at({ app: 'prometheus' }, RELEASE.namespace))).toBe(false);
      expect(admits(widened, UNRELATED)).toBe(false);
    });
  });

  describe('images', () => {
    it('every container of every case runs a full version tag or a digest (raw and helm)', async () => {
      for (const c of cases) {
        const renderings = [raw(system, c.values), ...(await Promise.all(renderers.map((r) => helm(r, c.values))))];
        for (const objects of renderings) expect(images(objects).filter((i) => !pinned(i.image)), c.name).toEqual([]);
      }
    });

    it('image.digest renders repository:tag@digest alike in both outputs, for every image value (fast-check)', async () => {
      const defaults = parseValues(system.name, system.schema, {}) as Record<string, unknown>;
      const imagePaths = findImageValues(defaults);
      expect(imagePaths.length).toBeGreaterThan(0);
      await fc.assert(
        fc.asyncProperty(fc.stringMatching(/^[a-f0-9]{64}$/), async (hex) => {
          const digest = `sha256:${hex}`;
          const values = imagePaths.reduce<Record<string, unknown>>((v, p) => merge(v, setAt([...p, 'digest'], digest)), {});
          const rawObjects = raw(system, values);
          for (const p of imagePaths) {
            const image = get(defaults, p) as { repository: string; tag: string };
            const refs = images(rawObjects).filter((i) => i.image.startsWith(`${image.repository}:`));
            expect(refs.length, p.join('.')).toBeGreaterThan(0);
            for (const r of refs) expect(r.image, r.owner).toBe(`${image.repository}:${image.tag}@${digest}`);
          }
          for (const renderer of renderers) expect(compareRenderings(rawObjects, await helm(renderer, values)), renderer.name).toEqual([]);
        }),
        { numRuns: 5 },
      );
    });

    it('refuses floating tags, bare majors and malformed digests in zod and helm, naming the path', async () => {
      const defaults = parseValues(system.name, system.schema, {}) as Record<string, unknown>;
      const path = findImageValues(defaults)[0]!;
      const bad = [
        [[...path, 'tag'], 'latest'],
        [[...path, 'tag'], '14'],
        [[...path, 'tag'], 'stable-alpine'],
        [[...path, 'digest'], 'sha256:abc'],
        [[...path, 'digest'], `md5:${'0'.repeat(32)}`],
        [['tests', 'image'], 'busybox:latest'],
        ...(system.name.startsWith('md-') ? ([[['strategy', 'blueGreen', 'green', 'imageTag'], 'latest']] as const) : []),
        [['tests', 'image'], 'busybox'],
        [['tests', 'image'], `busybox@${DIGEST.slice(0, 20)}`],
      ] as const;
      for (const [p, value] of bad) await expectRefused(system, renderers, setAt([...p], value), [...p]);
    });
  });

  describe(`Pod Security: the declared level (${declaredPodSecurityLevel(system)}) is kept unless lowered on purpose`, () => {
    const level = declaredPodSecurityLevel(system)!;
    const attacks = podSecurityAttacks(name);

    it('declares a level, the one the README and the namespace label use', () => {
      expect(['restricted', 'baseline']).toContain(level);
      expect(level).toBe(name === 'sv-server' ? 'baseline' : 'restricted');
    });

    it.each(attacks.map((a) => [a.name, a] as const))('%s', async (_n, attack) => {
      // Refused at every level that forbids it, the declared one included when it does.
      for (const at of ['restricted', 'baseline'] as const) {
        if (attack.allowedAt === 'baseline' && at === 'baseline') continue;
        await expectRefused(system, renderers, { ...attack.values, podSecurityLevel: at, ...attack.with?.[at] }, attack.path);
      }
      if (levelRank(attack.allowedAt) > levelRank(level)) {
        await expectRefused(system, renderers, attack.values, attack.path);
      }
      // Accepted once lowered on purpose, and rendered alike.
      const lowered = { ...attack.values, podSecurityLevel: attack.allowedAt };
      expect(zodIssues(system, lowered)).toEqual([]);
      const rawObjects = raw(system, lowered);
      for (const renderer of renderers) expect(compareRenderings(rawObjects, await helm(renderer, lowered)), renderer.name).toEqual([]);
    });

    it('refuses host namespaces: not values at all', () => {
      for (const key of ['hostNetwork', 'hostPID', 'hostIPC']) expect(zodIssues(system, { [key]: true, podSecurityLevel: 'privileged' }).map((i) => i.path)).toEqual([key]);
    });

    it('added capabilities: restricted allows NET_BIND_SERVICE only, baseline its list, privileged any (fast-check, zod)', () => {
      if (name === 'sv-server') return; // capabilities follow runAsRoot there; not a value.
      const baseline = ['AUDIT_WRITE', 'CHOWN', 'DAC_OVERRIDE', 'FOWNER', 'FSETID', 'KILL', 'MKNOD', 'NET_BIND_SERVICE', 'SETFCAP', 'SETGID', 'SETPCAP', 'SETUID', 'SYS_CHROOT'];
      const capability = fc.constantFrom(...baseline, 'SYS_ADMIN', 'NET_ADMIN', 'SYS_PTRACE', 'NET_RAW', 'ALL', 'BPF');
      fc.assert(
        fc.property(fc.array(capability, { maxLength: 4 }), fc.constantFrom('restricted', 'baseline', 'privileged'), (add, lvl) => {
          const values = { podSecurityLevel: lvl, securityContext: { capabilities: { drop: ['ALL'], add } } };
          const ok = lvl === 'privileged' || add.every((c) => (lvl === 'restricted' ? c === 'NET_BIND_SERVICE' : baseline.includes(c)));
          const issues = zodIssues(system, values);
          expect(issues.length === 0, JSON.stringify(issues)).toBe(ok);
          if (!ok) expect(issues.map((i) => i.path)).toContain('securityContext');
        }),
        { numRuns: 200 },
      );
    });
  });
});

async function expectRefused(system: ChartDefinition, renderers: HelmRenderer[], values: unknown, path: readonly (string | number)[]): Promise<void> {
  const what = `${JSON.stringify(values)} at ${path.join('.')}`;
  const issues = zodIssues(system, values);
  expect(
    issues.some((i) => i.path === path.join('.') || i.path.startsWith(`${path.join('.')}.`) || path.join('.').startsWith(`${i.path}.`)),
    `zod: ${what}: ${JSON.stringify(issues)}`,
  ).toBe(true);
  for (const renderer of renderers) {
    const r = await renderer.render(JSON.stringify(values));
    expect('error' in r && helmNamesPath(r.error, path), `${renderer.name}: ${what}: ${JSON.stringify(r).slice(0, 400)}`).toBe(true);
  }
}

type Level = 'restricted' | 'baseline' | 'privileged';
const levelRank = (l: string) => ['restricted', 'baseline', 'privileged'].indexOf(l);

interface Attack {
  readonly name: string;
  readonly values: Record<string, unknown>;
  readonly path: string[];
  /** The strictest level that accepts it. */
  readonly allowedAt: Exclude<Level, 'restricted'>;
  /** Values an attack needs to be otherwise valid at a level (the SV server under restricted runs non-root). */
  readonly with?: Partial<Record<Level, Record<string, unknown>>>;
}

/** Values breaking baseline (allowed only at privileged) or restricted (allowed at baseline), where each system has them. */
// A privileged container also sets allowPrivilegeEscalation: Kubernetes (and so the schemas) refuse privileged with it false.
function podSecurityAttacks(name: string): Attack[] {
  const nonRoot = name === 'sv-server' ? { restricted: { runAsRoot: false } } : undefined;
  const common: Attack[] = [
    { name: 'a privileged container', values: { securityContext: { privileged: true, allowPrivilegeEscalation: true } }, path: ['securityContext'], allowedAt: 'privileged', with: nonRoot },
    { name: 'an Unconfined seccomp profile', values: { podSecurityContext: { seccompProfile: { type: 'Unconfined' } } }, path: ['podSecurityContext'], allowedAt: 'privileged', with: nonRoot },
    { name: 'a host process (Windows)', values: { securityContext: { windowsOptions: { hostProcess: true } } }, path: ['securityContext'], allowedAt: 'privileged', with: nonRoot },
    { name: 'an unsafe sysctl', values: { podSecurityContext: { sysctls: [{ name: 'kernel.msgmax', value: '65536' }] } }, path: ['podSecurityContext'], allowedAt: 'privileged', with: nonRoot },
    { name: 'allowPrivilegeEscalation', values: { securityContext: { allowPrivilegeEscalation: true } }, path: ['securityContext'], allowedAt: 'baseline', with: nonRoot },
  ];
  const database: Attack[] = [
    { name: 'a privileged database', values: { database: { inCluster: { securityContext: { privileged: true, allowPrivilegeEscalation: true } } } }, path: ['database', 'inCluster', 'securityContext'], allowedAt: 'privileged', with: nonRoot },
    { name: 'a root database', values: { database: { inCluster: { podSecurityContext: { runAsNonRoot: false } } } }, path: ['database', 'inCluster', 'podSecurityContext'], allowedAt: 'baseline', with: nonRoot },
  ];
  const product: Attack[] = [
    { name: 'SYS_ADMIN added', values: { securityContext: { capabilities: { drop: ['ALL'], add: ['SYS_ADMIN'] } } }, path: ['securityContext'], allowedAt: 'privileged' },
    { name: 'CHOWN added', values: { securityContext: { capabilities: { drop: ['ALL'], add: ['CHOWN'] } } }, path: ['securityContext'], allowedAt: 'baseline' },
    { name: 'capabilities not dropped', values: { securityContext: { capabilities: { drop: [] } } }, path: ['securityContext'], allowedAt: 'baseline' },
    { name: 'runAsNonRoot false', values: { podSecurityContext: { runAsNonRoot: false } }, path: ['podSecurityContext'], allowedAt: 'baseline' },
    { name: 'runAsUser 0', values: { securityContext: { runAsUser: 0 } }, path: ['securityContext'], allowedAt: 'baseline' },
  ];
  const extras: Attack[] = [
    { name: 'a hostPath / volume', values: { extraVolumes: [{ name: 'host', hostPath: { path: '/' } }] }, path: ['extraVolumes'], allowedAt: 'privileged' },
    { name: 'an nfs volume', values: { extraVolumes: [{ name: 'nfs', nfs: { server: 'nfs.example.com', path: '/' } }] }, path: ['extraVolumes'], allowedAt: 'baseline' },
    {
      name: 'a privileged extra init container',
      values: { extraInitContainers: [{ name: 'x', image: 'busybox:1.36.1', securityContext: { privileged: true, allowPrivilegeEscalation: false, capabilities: { drop: ['ALL'] } } }] },
      path: ['extraInitContainers'],
      allowedAt: 'privileged',
    },
    {
      name: 'a host port on an extra init container',
      values: { extraInitContainers: [{ name: 'x', image: 'busybox:1.36.1', ports: [{ containerPort: 80, hostPort: 80 }], securityContext: { allowPrivilegeEscalation: false, capabilities: { drop: ['ALL'] } } }] },
      path: ['extraInitContainers'],
      allowedAt: 'privileged',
    },
    { name: 'an extra init container without a security context', values: { extraInitContainers: [{ name: 'x', image: 'busybox:1.36.1' }] }, path: ['extraInitContainers'], allowedAt: 'baseline' },
  ];
  switch (name) {
    case 'md-icapsrv':
    case 'md-core':
      return [...common, ...database, ...product, ...extras];
    case 'sv-server':
      return [...common, ...database, { name: 'the server as root', values: { runAsRoot: true }, path: ['runAsRoot'], allowedAt: 'baseline' }];
    default:
      return [
        ...common,
        ...product,
        { name: 'a privileged writer container', values: { multisite: { securityContext: { privileged: true, allowPrivilegeEscalation: true } } }, path: ['multisite', 'securityContext'], allowedAt: 'privileged' },
      ];
  }
}

/** Paths of every structured image value (repository, tag, digest) in a values tree. */
function findImageValues(v: unknown, path: string[] = []): string[][] {
  if (v === null || typeof v !== 'object' || Array.isArray(v)) return [];
  const o = v as Record<string, unknown>;
  if ('repository' in o && 'tag' in o && 'digest' in o) return [path];
  return Object.entries(o).flatMap(([k, child]) => findImageValues(child, [...path, k]));
}

function setAt(path: readonly (string | number)[], value: unknown): Record<string, unknown> {
  return path.reduceRight<unknown>((inner, key) => ({ [key]: inner }), value) as Record<string, unknown>;
}

function get(v: unknown, path: readonly string[]): unknown {
  return path.reduce<unknown>((x, k) => (x as Record<string, unknown>)?.[k], v);
}

function merge(a: Record<string, unknown>, b: Record<string, unknown>): Record<string, unknown> {
  const out = { ...a };
  for (const [k, v] of Object.entries(b)) {
    const prev = out[k];
    out[k] = prev && typeof prev === 'object' && !Array.isArray(prev) && v && typeof v === 'object' && !Array.isArray(v) ? merge(prev as Record<string, unknown>, v as Record<string, unknown>) : v;
  }
  return out;
}

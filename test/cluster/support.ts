/**
 * Helpers of the cluster suite: the cluster from globalSetup, helm and kubectl against it, throwaway
 * namespaces, and the checks that compare what Helm rendered with what the apiserver holds.
 */
import { randomBytes } from 'node:crypto';
import * as fs from 'node:fs';
import * as https from 'node:https';
import * as os from 'node:os';
import * as path from 'node:path';
import { inject } from 'vitest';
import YAML from 'yaml';
import { CREDENTIAL_GENERATOR_SCRIPT } from '../../lib/constructs/credentials';
import { systems } from '../../lib/systems';
import { runCredentialGeneratorSync } from '../support/credential-generator';
import { HelmMajor, HelmResult, runHelm } from '../../lib/tooling/helm';
import { getJson, Kube, kubectl, kubectlAsync, kubectlOk, waitFor } from '../../scripts/cluster/kube';

export { getJson, kubectl, kubectlOk, waitFor } from '../../scripts/cluster/kube';
export type { Kube } from '../../scripts/cluster/kube';

export const REPO = path.resolve(__dirname, '..', '..');

export type K8sObject = Record<string, unknown> & {
  apiVersion: string;
  kind: string;
  metadata: { name: string; namespace?: string; labels?: Record<string, string>; annotations?: Record<string, string>; [k: string]: unknown };
};

/** The cluster globalSetup brought up (or found through KUBECONFIG). */
export function cluster(): Kube & { external: boolean; serverVersion: string; pids: { component: string; pid: number }[] } {
  return inject('cluster');
}

/** `helm <args>` with the given major against the test cluster. */
export function helm(major: HelmMajor, args: string[]): HelmResult {
  return runHelm(major, args, { env: { KUBECONFIG: cluster().kubeconfig } });
}

/** `helm <args>`; throws with helm's output unless it exits 0. */
export function helmOk(major: HelmMajor, args: string[]): HelmResult {
  const r = helm(major, args);
  if (r.code !== 0) throw new Error(`helm ${major}: helm ${args.join(' ')} failed (exit ${r.code}):\n${r.stderr}\n${r.stdout}`);
  return r;
}

/** Chart directories under charts/ (each with a Chart.yaml), by name. */
export function chartDirs(): { name: string; dir: string }[] {
  const root = path.join(REPO, 'charts');
  if (!fs.existsSync(root)) return [];
  return fs
    .readdirSync(root)
    .filter((d) => fs.existsSync(path.join(root, d, 'Chart.yaml')))
    .sort()
    .map((name) => ({ name, dir: path.join(root, name) }));
}

/** Names of the systems in lib/systems/index.ts. */
export function systemNames(): string[] {
  return systems.map((s) => s.name);
}

/** Parse a multi-document YAML stream the way Kubernetes reads it (YAML 1.1). */
export function parseStream(text: string): K8sObject[] {
  return YAML.parseAllDocuments(text, { version: '1.1' })
    .map((d) => {
      if (d.errors.length > 0) throw new Error(`YAML error: ${d.errors[0]!.message}`);
      return d.toJS() as K8sObject | null;
    })
    .filter((d): d is K8sObject => d !== null && typeof d === 'object');
}

const namespaces: string[] = [];

/** A new namespace with a unique name (deleted by deleteNamespaces()). */
export function newNamespace(prefix: string, labels: Record<string, string> = {}): string {
  const name = `${prefix}-${randomBytes(3).toString('hex')}`.slice(0, 63);
  const ns = { apiVersion: 'v1', kind: 'Namespace', metadata: { name, labels } };
  kubectlOk(cluster(), ['create', '-f', '-'], { input: JSON.stringify(ns) });
  namespaces.push(name);
  return name;
}

/** Deletes the namespaces this file created (without waiting: the cluster is torn down anyway). */
export function deleteNamespaces(): void {
  if (namespaces.length === 0) return;
  kubectl(cluster(), ['delete', 'namespace', '--wait=false', '--ignore-not-found', ...namespaces.splice(0)]);
}

export function key(o: { kind: string; metadata: { name: string } }): string {
  return `${o.kind}/${o.metadata.name}`;
}

/** Live objects for `objects` (same kind/name/namespace), via `kubectl get -f -`. */
export function liveObjects(kube: Kube, ns: string, objects: K8sObject[]): Map<string, K8sObject> {
  const out = kubectlOk(kube, ['get', '-n', ns, '-f', '-', '-o', 'json'], { input: objects.map((o) => JSON.stringify(o)).join('\n') });
  const parsed = JSON.parse(out) as K8sObject & { items?: K8sObject[] };
  const items = parsed.kind === 'List' && Array.isArray(parsed.items) ? parsed.items : [parsed];
  return new Map(items.map((o) => [key(o), o]));
}

const QUANTITY = /^([+-]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?)(m|k|M|G|T|P|E|Ki|Mi|Gi|Ti|Pi|Ei)?$/;
const SUFFIX: Record<string, number> = {
  '': 1, m: 1e-3, k: 1e3, M: 1e6, G: 1e9, T: 1e12, P: 1e15, E: 1e18,
  Ki: 2 ** 10, Mi: 2 ** 20, Gi: 2 ** 30, Ti: 2 ** 40, Pi: 2 ** 50, Ei: 2 ** 60,
};

/** A resource quantity's value ("500m" -> 0.5, "1Gi" -> 1073741824, 2 -> 2), or undefined. */
export function quantity(v: unknown): number | undefined {
  if (typeof v === 'number') return v;
  if (typeof v !== 'string') return undefined;
  const m = QUANTITY.exec(v);
  return m ? Number(m[1]) * SUFFIX[m[2] ?? '']! : undefined;
}

function isEmpty(v: unknown): boolean {
  return v === null || v === undefined || (Array.isArray(v) && v.length === 0) || (typeof v === 'object' && Object.keys(v as object).length === 0);
}

/**
 * Where `actual` does not contain `expected`: every field that `expected` sets must be in `actual` with
 * the same value (the apiserver adds defaults, so extra fields are fine). Lists must match element by
 * element. Under resources/capacity, quantities compare by value ("1" == 1, "1024Mi" == "1Gi"); empty
 * maps and lists and zero values (0, false, "") the apiserver drops count as absent.
 */
export function subsetDiff(expected: unknown, actual: unknown, at = ''): string[] {
  if (expected === actual) return [];
  if (Array.isArray(expected)) {
    if (!Array.isArray(actual)) return isEmpty(expected) && actual === undefined ? [] : [`${at}: expected a list, got ${JSON.stringify(actual)}`];
    if (expected.length !== actual.length) return [`${at}: expected ${expected.length} items, got ${actual.length}`];
    return expected.flatMap((e, i) => subsetDiff(e, actual[i], `${at}[${i}]`));
  }
  if (expected !== null && typeof expected === 'object') {
    if (actual === undefined && isEmpty(expected)) return [];
    if (actual === null || typeof actual !== 'object' || Array.isArray(actual)) return [`${at}: expected an object, got ${JSON.stringify(actual)}`];
    return Object.entries(expected as Record<string, unknown>).flatMap(([k, v]) => subsetDiff(v, (actual as Record<string, unknown>)[k], `${at}.${k}`));
  }
  // The apiserver omits zero values of omitempty fields (initialDelaySeconds: 0, readOnly: false, ""),
  // so a rendered zero value and an absent field are the same object.
  if (actual === undefined && (expected === null || expected === 0 || expected === false || expected === '')) return [];
  if (/\.(limits|requests|capacity|allocatable)\.[^.]+$|\.storage$/.test(at)) {
    const e = quantity(expected);
    const a = quantity(actual);
    if (e !== undefined && a !== undefined && Math.abs(e - a) <= Math.abs(e) * 1e-9) return [];
  }
  return [`${at}: expected ${JSON.stringify(expected)}, got ${JSON.stringify(actual)}`];
}

/**
 * Asserts every object of `manifest` (e.g. `helm get manifest`) exists in the cluster with every field
 * it was rendered with; returns the live objects.
 */
export function assertLiveMatchesManifest(kube: Kube, ns: string, objects: K8sObject[]): Map<string, K8sObject> {
  if (objects.length === 0) throw new Error('empty manifest');
  const live = liveObjects(kube, ns, objects);
  const problems: string[] = [];
  for (const o of objects) {
    const l = live.get(key(o));
    if (!l) {
      problems.push(`${key(o)}: not in the cluster`);
      continue;
    }
    problems.push(...subsetDiff(o, l).map((p) => `${key(o)} ${p}`));
  }
  if (problems.length > 0) throw new Error(`live objects differ from the manifest:\n${problems.join('\n')}`);
  return live;
}

interface PodSpecLike {
  containers?: ContainerLike[];
  initContainers?: ContainerLike[];
  volumes?: { name: string; secret?: { secretName: string; optional?: boolean }; configMap?: { name: string; optional?: boolean }; persistentVolumeClaim?: { claimName: string }; projected?: { sources?: { secret?: { name: string; optional?: boolean }; configMap?: { name: string; optional?: boolean } }[] } }[];
  serviceAccountName?: string;
  imagePullSecrets?: { name: string }[];
}
interface ContainerLike {
  name: string;
  env?: { name: string; valueFrom?: { secretKeyRef?: { name: string; key: string; optional?: boolean }; configMapKeyRef?: { name: string; key: string; optional?: boolean } } }[];
  envFrom?: { secretRef?: { name: string; optional?: boolean }; configMapRef?: { name: string; optional?: boolean } }[];
}

/**
 * kwok marks pods Ready without checking what they reference, where a kubelet would hold them in
 * CreateContainerConfigError or ContainerCreating. This does the kubelet's part: every Secret, Secret
 * key, ConfigMap, ConfigMap key, PVC and ServiceAccount each running pod of `ns` needs must exist
 * (unless marked optional). Returns how many references it checked. `phases`: the pods to check by
 * status.phase, e.g. ['Succeeded'] for the pods of hook Jobs that kwok completed.
 */
export function assertPodReferencesResolve(kube: Kube, ns: string, phases: string[] = ['Running']): number {
  const pods = getJson<{ items: (K8sObject & { spec: PodSpecLike; status?: { phase?: string } })[] }>(kube, ['pods', '-n', ns]).items.filter(
    (p) => phases.includes(p.status?.phase ?? '') && p.metadata.deletionTimestamp === undefined,
  );
  const secrets = new Map(getJson<{ items: (K8sObject & { data?: Record<string, string> })[] }>(kube, ['secrets', '-n', ns]).items.map((s) => [s.metadata.name, s]));
  const configMaps = new Map(getJson<{ items: (K8sObject & { data?: Record<string, string> })[] }>(kube, ['configmaps', '-n', ns]).items.map((c) => [c.metadata.name, c]));
  const claims = new Map(getJson<{ items: (K8sObject & { status?: { phase?: string } })[] }>(kube, ['pvc', '-n', ns]).items.map((c) => [c.metadata.name, c]));
  const accounts = new Set(getJson<{ items: K8sObject[] }>(kube, ['serviceaccounts', '-n', ns]).items.map((a) => a.metadata.name));
  const problems: string[] = [];
  let checked = 0;
  for (const pod of pods) {
    const where = `pod ${pod.metadata.name}`;
    const need = (ok: boolean, what: string): void => {
      checked++;
      if (!ok) problems.push(`${where}: ${what}`);
    };
    const spec = pod.spec;
    need(accounts.has(spec.serviceAccountName ?? 'default'), `ServiceAccount ${spec.serviceAccountName} missing`);
    for (const c of [...(spec.containers ?? []), ...(spec.initContainers ?? [])]) {
      for (const e of c.env ?? []) {
        const s = e.valueFrom?.secretKeyRef;
        if (s && !s.optional) need(secrets.get(s.name)?.data?.[s.key] !== undefined, `${c.name} env ${e.name}: Secret ${s.name} key ${s.key} missing`);
        const m = e.valueFrom?.configMapKeyRef;
        if (m && !m.optional) need(configMaps.get(m.name)?.data?.[m.key] !== undefined, `${c.name} env ${e.name}: ConfigMap ${m.name} key ${m.key} missing`);
      }
      for (const f of c.envFrom ?? []) {
        if (f.secretRef && !f.secretRef.optional) need(secrets.has(f.secretRef.name), `${c.name} envFrom: Secret ${f.secretRef.name} missing`);
        if (f.configMapRef && !f.configMapRef.optional) need(configMaps.has(f.configMapRef.name), `${c.name} envFrom: ConfigMap ${f.configMapRef.name} missing`);
      }
    }
    for (const v of spec.volumes ?? []) {
      if (v.secret && !v.secret.optional) need(secrets.has(v.secret.secretName), `volume ${v.name}: Secret ${v.secret.secretName} missing`);
      if (v.configMap && !v.configMap.optional) need(configMaps.has(v.configMap.name), `volume ${v.name}: ConfigMap ${v.configMap.name} missing`);
      if (v.persistentVolumeClaim) need(claims.get(v.persistentVolumeClaim.claimName)?.status?.phase === 'Bound', `volume ${v.name}: PVC ${v.persistentVolumeClaim.claimName} not Bound`);
      for (const src of v.projected?.sources ?? []) {
        if (src.secret && !src.secret.optional) need(secrets.has(src.secret.name), `volume ${v.name}: Secret ${src.secret.name} missing`);
        if (src.configMap && !src.configMap.optional) need(configMaps.has(src.configMap.name), `volume ${v.name}: ConfigMap ${src.configMap.name} missing`);
      }
    }
  }
  if (problems.length > 0) throw new Error(`pods reference what does not exist:\n${problems.join('\n')}`);
  return checked;
}

/**
 * Lines of helm/kubectl output carrying apiserver warnings (e.g. PodSecurity "would violate …"): client-go
 * logs them as `W… warnings.go:NN] …` (helm) or prints `Warning: …` (kubectl). A chart's NOTES.txt
 * "WARNING:" lines are not apiserver warnings and do not match.
 */
export function warningLines(text: string): string[] {
  return text.split('\n').filter((l) => /warnings\.go:\d+\]|would violate|PodSecurity|level=WARN|^\s*Warning: /.test(l));
}

type Workload = K8sObject & {
  metadata: { generation?: number };
  spec: { replicas?: number };
  status?: { observedGeneration?: number; replicas?: number; readyReplicas?: number; updatedReplicas?: number; availableReplicas?: number };
};

/**
 * Every Deployment/StatefulSet among `objects` has rolled out: observed its latest generation and runs
 * spec.replicas updated, ready and available pods. Returns "Kind/name: n/n" lines.
 */
export function assertWorkloadsReady(kube: Kube, ns: string, objects: K8sObject[]): string[] {
  const workloads = objects.filter((o) => o.kind === 'Deployment' || o.kind === 'StatefulSet');
  const live = liveObjects(kube, ns, workloads);
  const out: string[] = [];
  const problems: string[] = [];
  for (const w of workloads) {
    const l = live.get(key(w)) as Workload;
    const want = l.spec.replicas ?? 1;
    const s = l.status ?? {};
    out.push(`${key(w)}: ${s.readyReplicas ?? 0}/${want}`);
    if ((s.observedGeneration ?? 0) < (l.metadata.generation ?? 0)) problems.push(`${key(w)}: generation ${l.metadata.generation} not observed yet`);
    if ((s.readyReplicas ?? 0) !== want || (s.updatedReplicas ?? 0) !== want || (s.availableReplicas ?? 0) !== want || (s.replicas ?? 0) !== want) {
      problems.push(`${key(w)}: want ${want}, status ${JSON.stringify(s)}`);
    }
  }
  if (problems.length > 0) throw new Error(`workloads not rolled out:\n${problems.join('\n')}`);
  return out;
}

/**
 * assertWorkloadsReady, retried for up to `timeoutMs`: `helm install --wait` counts a Deployment ready at
 * replicas − maxUnavailable ready pods, so a 1-replica Deployment that may lose one pod is "ready" with none.
 */
export function waitWorkloadsReady(kube: Kube, ns: string, objects: K8sObject[], timeoutMs = 60_000): Promise<string[]> {
  return waitFor(`workloads in ${ns} to roll out`, () => assertWorkloadsReady(kube, ns, objects), timeoutMs);
}

/** Objects of `helm get manifest`. */
export function releaseManifest(major: HelmMajor, release: string, ns: string): K8sObject[] {
  return parseStream(helmOk(major, ['get', 'manifest', release, '-n', ns]).stdout);
}

/** `helm install --wait` of a chart directory with `--set` values (and `extra` flags, e.g. `--wait-for-jobs`). */
export function install(major: HelmMajor, chartDir: string, release: string, ns: string, set: string[] = [], extra: string[] = []): HelmResult {
  const r = helmOk(major, ['install', release, chartDir, '-n', ns, '--wait', '--timeout', '3m', ...(set.length > 0 ? ['--set', set.join(',')] : []), ...extra]);
  runCredentialJobs(cluster(), ns);
  return r;
}

/** `helm upgrade --reuse-values --wait` of a chart directory with `--set` values (and `extra` flags). */
export function upgrade(major: HelmMajor, chartDir: string, release: string, ns: string, set: string[] = [], extra: string[] = []): HelmResult {
  const r = helmOk(major, ['upgrade', release, chartDir, '-n', ns, '--reuse-values', '--wait', '--timeout', '3m', ...(set.length > 0 ? ['--set', set.join(',')] : []), ...extra]);
  runCredentialJobs(cluster(), ns);
  return r;
}

interface GeneratorJob {
  metadata: { name: string };
  spec: { template: { spec: { serviceAccountName: string; containers: { name: string; command?: string[]; args?: string[] }[] } } };
}

/**
 * Does what kwok cannot: runs each credential generator Job of `ns` (its script, found in the Job's
 * command) on this machine, with a token of the Job's own ServiceAccount and the cluster CA a pod
 * gets, so the script meets exactly the RBAC its pod would. Throws with the script's output unless it
 * succeeds. Returns what each run printed, by Job name.
 */
export function runCredentialJobs(kube: Kube, ns: string): Record<string, string> {
  const jobs = getJson<{ items: GeneratorJob[] }>(kube, ['jobs', '-n', ns]).items.filter((j) =>
    j.spec.template.spec.containers.some((c) => c.command?.[2] === CREDENTIAL_GENERATOR_SCRIPT),
  );
  const out: Record<string, string> = {};
  for (const job of jobs) {
    const container = job.spec.template.spec.containers.find((c) => c.command?.[2] === CREDENTIAL_GENERATOR_SCRIPT)!;
    const run = runCredentialGeneratorSync({ kubectl: kube.kubectl, kubeconfig: podKubeconfig(kube, ns, job.spec.template.spec.serviceAccountName), names: container.args ?? [] });
    if (run.code !== 0) throw new Error(`credential generator ${job.metadata.name} failed (exit ${run.code}):\n${run.stderr}${run.stdout}`);
    out[job.metadata.name] = run.stdout;
  }
  return out;
}

/** The kubeconfig a pod of `serviceAccount` in `ns` has in effect: the API server, kube-root-ca.crt, a token for it. */
export function podKubeconfig(kube: Kube, ns: string, serviceAccount: string): string {
  const token = kubectlOk(kube, ['create', 'token', serviceAccount, '-n', ns, '--duration', '10m']).trim();
  const ca = getJson<{ data: Record<string, string> }>(kube, ['configmap', 'kube-root-ca.crt', '-n', ns]).data['ca.crt']!;
  return JSON.stringify({
    apiVersion: 'v1',
    kind: 'Config',
    clusters: [{ name: 'cluster', cluster: { server: apiServer(kube), 'certificate-authority-data': Buffer.from(ca).toString('base64') } }],
    users: [{ name: serviceAccount, user: { token } }],
    contexts: [{ name: 'pod', context: { cluster: 'cluster', user: serviceAccount, namespace: ns } }],
    'current-context': 'pod',
  });
}

/**
 * `helm test` passes: every test hook pod reached phase Succeeded (with kwok: Running, then Succeeded by
 * the pod-complete-unowned stage; the command is not executed) and, per its hook-delete-policy
 * hook-succeeded, is gone afterwards. Returns the test pod names.
 */
export async function assertHelmTestPasses(major: HelmMajor, release: string, ns: string): Promise<string[]> {
  const hooks = parseStream(helmOk(major, ['get', 'hooks', release, '-n', ns]).stdout).filter(
    (h) => h.kind === 'Pod' && (h.metadata.annotations?.['helm.sh/hook'] ?? '').split(',').includes('test'),
  );
  if (hooks.length === 0) throw new Error(`release ${release} has no test hook pod`);
  const r = helmOk(major, ['test', release, '-n', ns, '--timeout', '2m']);
  const out = r.stdout + r.stderr;
  for (const h of hooks) {
    const phase = new RegExp(`TEST SUITE:\\s+${h.metadata.name}\\s[\\s\\S]*?Phase:\\s+(\\w+)`).exec(out)?.[1];
    if (phase !== 'Succeeded') throw new Error(`helm test reported ${h.metadata.name} ${phase ?? 'nowhere'}, not Succeeded:\n${out}`);
  }
  const names = hooks.map((h) => h.metadata.name);
  const deletePolicy = (h: K8sObject): string[] => (h.metadata.annotations?.['helm.sh/hook-delete-policy'] ?? '').split(',');
  for (const h of hooks.filter((x) => deletePolicy(x).includes('hook-succeeded'))) {
    await waitFor(`test pod ${h.metadata.name} to be deleted after success`, () =>
      kubectl(cluster(), ['get', 'pod', h.metadata.name, '-n', ns]).code !== 0 ? true : undefined, 60_000);
  }
  return names;
}

export interface WatchEvent<T extends K8sObject = K8sObject> {
  type: 'ADDED' | 'MODIFIED' | 'DELETED' | 'ERROR' | 'BOOKMARK';
  object: T;
}

export interface Watch<T extends K8sObject = K8sObject> {
  /** The collection as it was listed just before the watch. */
  readonly initial: T[];
  /** Every change since that list, in the order the apiserver made them. */
  readonly events: WatchEvent<T>[];
  /** Stops the watch; throws if it had ended on its own or reported an ERROR event (events may be missing). */
  stop(): Promise<void>;
  /** Stops the watch without checks (for `finally`). */
  kill(): void;
}

/**
 * Watches the collection at `apiPath` (e.g. `/apis/batch/v1/namespaces/<ns>/jobs`) from the
 * resourceVersion of a list taken first, so every change after that list arrives, in order, however long
 * the watch takes to connect: `kubectl get --raw '<apiPath>?watch=1&resourceVersion=<rv>'`, one JSON
 * event a line. One watch is one ordered stream; two watches are not ordered against each other.
 */
export function watchCollection<T extends K8sObject = K8sObject>(kube: Kube, apiPath: string): Watch<T> {
  const list = JSON.parse(kubectlOk(kube, ['get', '--raw', apiPath])) as { metadata: { resourceVersion: string }; items: T[] };
  const events: WatchEvent<T>[] = [];
  let ended = false;
  let killed = false;
  const watch = kubectlAsync(kube, ['get', '--raw', `${apiPath}?watch=1&resourceVersion=${list.metadata.resourceVersion}`], (line) => {
    if (line.trim()) events.push(JSON.parse(line) as WatchEvent<T>);
  });
  const done = watch.done.then((r) => {
    ended = true;
    return r;
  });
  const kill = (): void => {
    if (!killed) watch.kill();
    killed = true;
  };
  return {
    initial: list.items,
    events,
    kill,
    async stop() {
      const endedEarly = ended;
      kill();
      const r = await done;
      if (endedEarly) throw new Error(`the watch of ${apiPath} ended on its own (exit ${r.code}): ${r.stderr}`);
      const errors = events.filter((e) => e.type === 'ERROR');
      if (errors.length > 0) throw new Error(`the watch of ${apiPath} reported errors: ${JSON.stringify(errors)}`);
    },
  };
}

export interface Endpoint {
  ip: string;
  /** The pod behind the address (targetRef), if any. */
  pod?: string;
  ready: boolean;
}

interface EndpointSlice {
  endpoints?: { addresses: string[]; conditions?: { ready?: boolean }; targetRef?: { kind: string; name: string } }[];
}

/**
 * The endpoints of Service `service` as its EndpointSlices (discovery.k8s.io/v1, label
 * kubernetes.io/service-name) list them, sorted by IP. `ready` unset counts as ready, as the API says.
 */
export function serviceEndpoints(kube: Kube, ns: string, service: string): Endpoint[] {
  const slices = getJson<{ items: EndpointSlice[] }>(kube, ['endpointslices.discovery.k8s.io', '-n', ns, '-l', `kubernetes.io/service-name=${service}`]).items;
  return slices
    .flatMap((s) =>
      (s.endpoints ?? []).flatMap((e) =>
        e.addresses.map((ip) => ({ ip, ...(e.targetRef?.kind === 'Pod' ? { pod: e.targetRef.name } : {}), ready: e.conditions?.ready !== false })),
      ),
    )
    .sort((a, b) => a.ip.localeCompare(b.ip));
}

/** The apiserver URL of `kube` ("https://127.0.0.1:NNNN"). */
export function apiServer(kube: Kube): string {
  return kubectlOk(kube, ['config', 'view', '--minify', '-o', 'jsonpath={.clusters[0].cluster.server}']).trim();
}

/**
 * One HTTPS request to the apiserver of `kube` as a pod's client makes it: a bearer token, the server
 * checked against `ca`, no client certificate (so it is the token's identity, never the admin's).
 */
export function apiRequest(
  kube: Kube,
  req: { method: string; path: string; token: string; ca: string; body?: string; contentType?: string },
): Promise<{ status: number; body: string }> {
  const url = new URL(req.path, apiServer(kube));
  const headers: Record<string, string | number> = { Authorization: `Bearer ${req.token}`, Accept: 'application/json' };
  if (req.body !== undefined) {
    headers['Content-Type'] = req.contentType ?? 'application/json';
    headers['Content-Length'] = Buffer.byteLength(req.body);
  }
  return new Promise((resolve, reject) => {
    const r = https.request(url, { method: req.method, ca: req.ca, headers, timeout: 30_000 }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => (body += chunk));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
      res.on('error', reject);
    });
    r.on('timeout', () => r.destroy(new Error(`${req.method} ${req.path}: no answer in 30s`)));
    r.on('error', reject);
    r.end(req.body);
  });
}

/** kubectl with the kubeconfig `text` (written to a private temporary file that cleanup() removes). */
export function kubeconfigKube(admin: Kube, text: string): Kube & { cleanup(): void } {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'kubeconfig-'));
  const file = path.join(dir, 'kubeconfig');
  fs.writeFileSync(file, text, { mode: 0o600 });
  return { kubeconfig: file, kubectl: admin.kubectl, cleanup: () => fs.rmSync(dir, { recursive: true, force: true }) };
}

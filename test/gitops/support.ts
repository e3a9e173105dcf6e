/**
 * Helpers of the GitOps suite: the pod suite's helpers (the same `inject('cluster')` is the cluster Argo CD
 * runs in and deploys to), `inject('gitops')`, a git working copy that commits and pushes to the suite's git
 * server, and Applications driven the way users drive them: objects applied, annotations and `operation`
 * set, status read.
 */
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { expect, inject } from 'vitest';
import YAML from 'yaml';
import { ARGOCD_NAMESPACE } from '../../scripts/gitops/argocd';
import { cluster, getJson, K8sObject, Kube, kubectl, kubectlOk, podValues, waitFor } from '../pods/support';
import type { ProvidedGitops } from './global-setup';

export * from '../pods/support';
export { ARGOCD_NAMESPACE };

export function gitops(): ProvidedGitops {
  return inject('gitops');
}

/** The second control plane (kwok nodes) as a Kube. */
export function fleetCluster(): Kube {
  const f = gitops().fleet;
  return { kubeconfig: f.kubeconfig, kubectl: f.kubectl };
}

/** Last lines of each Argo CD component's log. */
export function argocdLogs(lines = 30): string {
  const dir = gitops().dir;
  return ['argocd-application-controller', 'argocd-repo-server', 'argocd-applicationset-controller']
    .map((c) => {
      const text = fs.readFileSync(path.join(dir, `${c}.log`), 'utf8').trimEnd().split('\n');
      return `--- ${c}\n${text.slice(-lines).join('\n')}`;
    })
    .join('\n');
}

// ---- git ---------------------------------------------------------------------------------------------------

/** A working copy of `<git>/<name>.git` (created on the first push) that commits and pushes on branch master. */
export class GitRepo {
  readonly url: string;
  readonly dir: string;
  private readonly env: NodeJS.ProcessEnv;

  constructor(name: string) {
    this.url = `${gitops().git}/${name}.git`;
    this.dir = fs.mkdtempSync(path.join(os.tmpdir(), `gitops-${name}-`));
    // No user or system git configuration: only what the suite sets.
    this.env = { ...process.env, HOME: this.dir, GIT_CONFIG_NOSYSTEM: '1', GIT_AUTHOR_NAME: 'suite', GIT_AUTHOR_EMAIL: 'suite@chart-as-code.test', GIT_COMMITTER_NAME: 'suite', GIT_COMMITTER_EMAIL: 'suite@chart-as-code.test' };
    this.git(['init', '-q', '-b', 'master', 'work']);
  }

  private get work(): string {
    return path.join(this.dir, 'work');
  }

  git(args: string[]): string {
    const r = spawnSync('git', args, { cwd: fs.existsSync(path.join(this.dir, 'work')) ? this.work : this.dir, env: this.env, encoding: 'utf8' });
    if (r.status !== 0) throw new Error(`git ${args.join(' ')} failed (exit ${r.status}): ${r.stderr}${r.stdout}`);
    return r.stdout;
  }

  /** Writes `files` (path -> content; null removes it), commits them and pushes; returns the commit. */
  commit(message: string, files: Record<string, string | null>): string {
    for (const [rel, content] of Object.entries(files)) {
      const file = path.join(this.work, rel);
      if (content === null) fs.rmSync(file, { recursive: true, force: true });
      else {
        fs.mkdirSync(path.dirname(file), { recursive: true });
        fs.writeFileSync(file, content);
      }
    }
    this.git(['add', '-A', '.']);
    this.git(['commit', '-q', '-m', message]);
    return this.push();
  }

  /** `git revert` of `commit`, pushed; returns the new commit. */
  revert(commit: string): string {
    this.git(['revert', '--no-edit', commit]);
    return this.push();
  }

  private push(): string {
    this.git(['push', '-q', this.url, 'HEAD:master']);
    return this.git(['rev-parse', 'HEAD']).trim();
  }

  read(rel: string): string {
    return fs.readFileSync(path.join(this.work, rel), 'utf8');
  }

  remove(): void {
    fs.rmSync(this.dir, { recursive: true, force: true });
  }
}

// ---- values ------------------------------------------------------------------------------------------------

/** `a.b.c=v` settings (as for `helm --set`, plain scalars only) as a values tree. */
export function valuesOf(settings: string[]): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const s of settings) {
    const eq = s.indexOf('=');
    const keys = s.slice(0, eq).split('.');
    const raw = s.slice(eq + 1);
    const value: unknown = /^-?\d+$/.test(raw) ? Number(raw) : raw === 'true' ? true : raw === 'false' ? false : raw;
    let at = out;
    for (const k of keys.slice(0, -1)) at = (at[k] ??= {}) as Record<string, unknown>;
    at[keys[keys.length - 1]!] = value;
  }
  return out;
}

/** A values file for `chart` on the suite's node (its images, resources that fit) plus `extra` settings. */
export function nodeValuesFile(chart: string, extra: string[] = []): string {
  return YAML.stringify(valuesOf([...podValues(chart), ...extra]));
}

// ---- Applications ------------------------------------------------------------------------------------------

export interface AppStatus {
  sync?: string;
  health?: string;
  revisions: string[];
  operation?: { phase?: string; message?: string; startedAt?: string; finishedAt?: string; revisions: string[] };
  reconciledAt?: string;
  resources: { kind: string; name: string; namespace?: string; status?: string; health?: { status?: string } }[];
  conditions: { type: string; message: string }[];
}

type AppObject = K8sObject & {
  metadata: { name: string; annotations?: Record<string, string> };
  spec: Record<string, unknown>;
  status?: {
    sync?: { status?: string; revision?: string; revisions?: string[] };
    health?: { status?: string };
    reconciledAt?: string;
    operationState?: { phase?: string; message?: string; startedAt?: string; finishedAt?: string; syncResult?: { revision?: string; revisions?: string[] } };
    resources?: AppStatus['resources'];
    conditions?: AppStatus['conditions'];
  };
};

export function mgmt(): Kube {
  return cluster();
}

export function application(name: string): AppObject | undefined {
  const r = kubectl(mgmt(), ['get', 'application', name, '-n', ARGOCD_NAMESPACE, '-o', 'json']);
  return r.code === 0 ? (JSON.parse(r.stdout) as AppObject) : undefined;
}

function statusOf(app: AppObject | undefined): AppStatus {
  const s = app?.status;
  const op = s?.operationState;
  return {
    sync: s?.sync?.status,
    health: s?.health?.status,
    revisions: s?.sync?.revisions ?? (s?.sync?.revision ? [s.sync.revision] : []),
    operation: op && { phase: op.phase, message: op.message, startedAt: op.startedAt, finishedAt: op.finishedAt, revisions: op.syncResult?.revisions ?? (op.syncResult?.revision ? [op.syncResult.revision] : []) },
    reconciledAt: s?.reconciledAt,
    resources: s?.resources ?? [],
    conditions: s?.conditions ?? [],
  };
}

export function appStatus(name: string): AppStatus {
  return statusOf(application(name));
}

/**
 * Every Application of namespace argocd by name, in one request: the waits below poll all the Applications
 * they wait for at once, so a test's polling costs one kubectl a second however many it waits for (each
 * kubectl is a process start, CPU taken from Argo CD and the node on a 2-core machine).
 */
function applications(): Map<string, AppObject> {
  const list = JSON.parse(kubectlOk(mgmt(), ['get', 'applications', '-n', ARGOCD_NAMESPACE, '-o', 'json'])) as { items: AppObject[] };
  return new Map(list.items.map((a) => [a.metadata.name, a]));
}

/** Polls every Application of `names` once a second until `done` gives a value for each; returns them in order. */
async function waitEach<T>(what: string, names: string[], done: (app: AppObject | undefined, name: string) => T | undefined, timeoutMs: number): Promise<T[]> {
  const results = new Map<string, T>();
  try {
    return await waitFor(
      `${what}: ${names.join(', ')}`,
      () => {
        const apps = applications();
        for (const n of names) {
          if (results.has(n)) continue;
          const v = done(apps.get(n), n);
          if (v !== undefined) results.set(n, v);
        }
        return results.size === names.length ? names.map((n) => results.get(n)!) : undefined;
      },
      timeoutMs,
      1000,
    );
  } catch (err) {
    const pending = names.filter((n) => !results.has(n));
    throw new Error(`${err instanceof Error ? err.message : String(err)} (still waiting for ${pending.join(', ')})\n${pending.map(describeApp).join('\n')}\n${argocdLogs()}`);
  }
}

function describeApp(name: string): string {
  const s = appStatus(name);
  const bad = s.resources.filter((r) => r.status !== 'Synced' || (r.health?.status && r.health.status !== 'Healthy'));
  return [
    `${name}: sync ${s.sync}, health ${s.health}, revisions ${s.revisions.join(',')}, operation ${s.operation?.phase}: ${s.operation?.message ?? ''}`,
    ...s.conditions.map((c) => `  condition ${c.type}: ${c.message}`),
    ...bad.map((r) => `  ${r.kind}/${r.name}: ${r.status}, ${r.health?.status ?? '-'}`),
  ].join('\n');
}

/**
 * Waits until every Application of `names` is Synced and Healthy (at `revision` when given: an entry of its
 * revision list) with no sync operation running; throws with their status and Argo CD's logs.
 */
export function waitAllSynced(names: string[], opts: { revision?: string; timeoutMs?: number; health?: string } = {}): Promise<AppStatus[]> {
  const health = opts.health ?? 'Healthy';
  return waitEach(
    `Synced and ${health}${opts.revision ? ` at ${opts.revision.slice(0, 8)}` : ''}`,
    names,
    (app) => {
      const s = statusOf(app);
      const atRevision = !opts.revision || s.revisions.includes(opts.revision);
      return app && s.sync === 'Synced' && s.health === health && s.operation?.phase !== 'Running' && atRevision ? s : undefined;
    },
    opts.timeoutMs ?? 300_000,
  );
}

export async function waitSynced(name: string, opts: { revision?: string; timeoutMs?: number; health?: string } = {}): Promise<AppStatus> {
  return (await waitAllSynced([name], opts))[0]!;
}

/**
 * A hard refresh of each of `names` (as `argocd app get --hard-refresh`: the annotation the API server sets):
 * Argo CD drops its manifest cache, renders again and compares. Done when the controller removed the
 * annotation, which it does once the comparison is written.
 */
export async function hardRefreshAll(names: string[]): Promise<AppStatus[]> {
  kubectlOk(mgmt(), ['annotate', '--overwrite', 'application', ...names, '-n', ARGOCD_NAMESPACE, 'argocd.argoproj.io/refresh=hard']);
  return waitEach('the hard refresh', names, (app) => (app && !app.metadata.annotations?.['argocd.argoproj.io/refresh'] && app.status?.reconciledAt !== undefined ? statusOf(app) : undefined), 300_000);
}

export async function hardRefresh(name: string): Promise<AppStatus> {
  return (await hardRefreshAll([name]))[0]!;
}

/** A sync of each of `names` (as `argocd app sync`: the API server sets the Application's operation); waits for each to finish. */
export async function syncAll(names: string[]): Promise<AppStatus[]> {
  const before = applications();
  const startedBefore = new Map(names.map((n) => [n, statusOf(before.get(n)).operation?.startedAt]));
  const op = JSON.stringify({ operation: { initiatedBy: { username: 'gitops-suite' }, sync: { syncStrategy: { hook: {} } } } });
  for (const n of names) kubectlOk(mgmt(), ['patch', 'application', n, '-n', ARGOCD_NAMESPACE, '--type', 'merge', '-p', op]);
  return waitEach(
    'the sync',
    names,
    (app, n) => {
      const s = statusOf(app);
      return app && s.operation && s.operation.startedAt !== startedBefore.get(n) && s.operation.phase !== 'Running' && !app.spec.operation ? s : undefined;
    },
    300_000,
  );
}

export function applyObjects(kube: Kube, objects: unknown[]): void {
  kubectlOk(kube, ['apply', '-f', '-'], { input: JSON.stringify({ apiVersion: 'v1', kind: 'List', items: objects }) });
}

/** An Application in namespace argocd, deleting its resources when it is deleted (the finalizer). */
export function applicationObject(name: string, spec: Record<string, unknown>): AppObject {
  return {
    apiVersion: 'argoproj.io/v1alpha1',
    kind: 'Application',
    metadata: { name, namespace: ARGOCD_NAMESPACE, finalizers: ['resources-finalizer.argocd.argoproj.io'] } as AppObject['metadata'],
    spec: { project: 'default', ...spec },
  };
}

/** Deletes Applications a test file made, without waiting (its namespaces go too), so Argo CD stops managing them. */
export function forgetApplications(names: string[]): void {
  if (names.length > 0) kubectl(mgmt(), ['delete', 'application', '-n', ARGOCD_NAMESPACE, '--ignore-not-found', '--wait=false', ...names]);
}

export function deleteApplication(name: string): void {
  kubectlOk(mgmt(), ['delete', 'application', name, '-n', ARGOCD_NAMESPACE, '--wait=true', '--timeout=300s'], { timeoutMs: 320_000 });
}

/** resourceVersion and data of the Secrets of `ns` that the charts generate into (annotation chart-as-code/generate). */
export function generatedSecrets(kube: Kube, ns: string): Record<string, { resourceVersion: string; data: Record<string, string> }> {
  const list = getJson<{ items: (K8sObject & { metadata: { name: string; resourceVersion: string; annotations?: Record<string, string> }; data?: Record<string, string> })[] }>(kube, [
    'secrets',
    '-n',
    ns,
  ]).items;
  return Object.fromEntries(
    list.filter((s) => s.metadata.annotations?.['chart-as-code/generate']).map((s) => [s.metadata.name, { resourceVersion: s.metadata.resourceVersion, data: s.data ?? {} }]),
  );
}

/** Every key each generated Secret's annotation lists is present and as long as it says. */
export function expectGenerated(secrets: ReturnType<typeof generatedSecrets>, kube: Kube, ns: string): void {
  expect(Object.keys(secrets).length, `generated Secrets in ${ns}`).toBeGreaterThan(0);
  for (const [name, s] of Object.entries(secrets)) {
    const spec = getJson<{ metadata: { annotations: Record<string, string> } }>(kube, ['secret', name, '-n', ns]).metadata.annotations['chart-as-code/generate']!;
    for (const item of spec.split(',')) {
      const [k, , len] = item.split(':');
      expect(Buffer.from(s.data[k!] ?? '', 'base64').toString('utf8'), `${name}.${k}`).toHaveLength(Number(len));
    }
  }
}

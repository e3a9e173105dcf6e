/**
 * Argo CD on loopback for the GitOps suite (test/gitops/): a git server, Redis, and Argo CD's repo-server,
 * application controller and ApplicationSet controller as local processes (scripts/gitops/binaries.ts),
 * installed into a "management" control plane (namespace `argocd`: the CRDs, AppProject `default`) and
 * managing every control plane it is given through cluster Secrets, as `argocd cluster add` registers
 * them: a ServiceAccount `argocd-manager` bound to cluster-admin in each, its token and the cluster's CA.
 *
 * What Argo CD needs outside a container, found the hard way: helm (Argo CD 3.6 ships helm 4.3.2) and
 * git-verify-wrapper.sh on the repo-server's PATH, ARGOCD_GPG_ENABLED=false, an askpass socket and TMPDIR of
 * its own, `--disable-tls` and an empty `--client-ca-path` on the repo-server, `--repo-server-plaintext`
 * on both controllers. No UI and no API server: the tests drive Argo CD through its CRDs, as GitOps does.
 *
 * State lives in `dir`; every process's pid is in `<dir>/<name>.pid` and its log in `<dir>/<name>.log`.
 */
import { ChildProcess, spawn, spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as net from 'node:net';
import * as path from 'node:path';
import { helmBinary } from '../../lib/tooling/helm';
import { Kube, kubectl, kubectlOk, waitFor } from '../cluster/kube';
import { argocdVersion, GitopsBinaries } from './binaries';

export const ARGOCD_NAMESPACE = 'argocd';

type Log = (line: string) => void;

export interface ManagedCluster {
  /** Name of the cluster in Argo CD (an ApplicationSet's `{{.name}}`). */
  name: string;
  kube: Kube;
}

export interface Gitops {
  version: string;
  /** Base URL of the git server: repositories are `<git>/<name>.git`, created on first push. */
  git: string;
  /** Each managed cluster's API server URL (an Application's destination.server), by name. */
  servers: Record<string, string>;
  /** Last lines of every component's log, for failure reports. */
  logs(lines?: number): string;
  stop(): Promise<void>;
}

export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = net.createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const port = (s.address() as net.AddressInfo).port;
      s.close(() => resolve(port));
    });
  });
}

/** The API server URL and CA (base64) of a kubeconfig's current cluster. */
function serverOf(kube: Kube): { server: string; caData: string } {
  const cfg = JSON.parse(kubectlOk(kube, ['config', 'view', '--minify', '--raw', '--flatten', '-o', 'json'])) as {
    clusters: { cluster: { server: string; 'certificate-authority-data'?: string } }[];
  };
  const c = cfg.clusters[0]!.cluster;
  if (!c['certificate-authority-data']) throw new Error(`${kube.kubeconfig}: the cluster has no certificate-authority-data`);
  return { server: c.server, caData: c['certificate-authority-data'] };
}

/** What `argocd cluster add` creates in a managed cluster: argocd-manager, cluster-admin; a token for it. */
function registerCluster(mgmt: Kube, c: ManagedCluster): string {
  const objects = [
    { apiVersion: 'v1', kind: 'ServiceAccount', metadata: { name: 'argocd-manager', namespace: 'kube-system' } },
    {
      apiVersion: 'rbac.authorization.k8s.io/v1',
      kind: 'ClusterRoleBinding',
      metadata: { name: 'argocd-manager' },
      roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: 'cluster-admin' },
      subjects: [{ kind: 'ServiceAccount', name: 'argocd-manager', namespace: 'kube-system' }],
    },
  ];
  kubectlOk(c.kube, ['apply', '-f', '-'], { input: JSON.stringify({ apiVersion: 'v1', kind: 'List', items: objects }) });
  const token = kubectlOk(c.kube, ['create', 'token', 'argocd-manager', '-n', 'kube-system', '--duration=24h']).trim();
  const { server, caData } = serverOf(c.kube);
  const secret = {
    apiVersion: 'v1',
    kind: 'Secret',
    metadata: { name: `cluster-${c.name}`, namespace: ARGOCD_NAMESPACE, labels: { 'argocd.argoproj.io/secret-type': 'cluster', 'chart-as-code/cluster': c.name } },
    stringData: { name: c.name, server, config: JSON.stringify({ bearerToken: token, tlsClientConfig: { insecure: false, caData } }) },
  };
  kubectlOk(mgmt, ['apply', '-f', '-'], { input: JSON.stringify(secret) });
  return server;
}

/**
 * A Helm repository in an OCI registry, as `argocd repo add <host>/<path> --type helm --enable-oci
 * --insecure-oci-force-http` registers it: Argo CD then pulls `oci://<url>/<chart>` with `--plain-http`.
 */
function registerOciRepo(mgmt: Kube, name: string, url: string): void {
  const secret = {
    apiVersion: 'v1',
    kind: 'Secret',
    metadata: { name: `repo-${name}`, namespace: ARGOCD_NAMESPACE, labels: { 'argocd.argoproj.io/secret-type': 'repository' } },
    stringData: { name, type: 'helm', url, enableOCI: 'true', insecureOCIForceHttp: 'true' },
  };
  kubectlOk(mgmt, ['apply', '-f', '-'], { input: JSON.stringify(secret) });
}

/** Argo CD's own objects in the management cluster: CRDs (server-side: the ApplicationSet CRD is 1.5 MB), config, project. */
async function install(mgmt: Kube, bins: GitopsBinaries): Promise<void> {
  kubectlOk(mgmt, ['create', 'namespace', ARGOCD_NAMESPACE]);
  kubectlOk(mgmt, ['apply', '--server-side', ...bins.crds.flatMap((f) => ['-f', f])], { timeoutMs: 120_000 });
  await waitFor('the Argo CD CRDs to be established', () => {
    // Polled: `kubectl wait` fails outright on a CRD whose status has no conditions yet.
    const r = kubectl(mgmt, ['wait', '--for', 'condition=Established', 'crd/applications.argoproj.io', 'crd/appprojects.argoproj.io', 'crd/applicationsets.argoproj.io', '--timeout=10s'], { timeoutMs: 30_000 });
    return r.code === 0 ? true : undefined;
  });
  const labels = (name: string) => ({ 'app.kubernetes.io/name': name, 'app.kubernetes.io/part-of': 'argocd' });
  const objects = [
    // Only the clusters registered below: no implicit in-cluster destination.
    { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'argocd-cm', namespace: ARGOCD_NAMESPACE, labels: labels('argocd-cm') }, data: { 'cluster.inClusterEnabled': 'false' } },
    { apiVersion: 'v1', kind: 'Secret', metadata: { name: 'argocd-secret', namespace: ARGOCD_NAMESPACE, labels: labels('argocd-secret') } },
    {
      apiVersion: 'argoproj.io/v1alpha1',
      kind: 'AppProject',
      metadata: { name: 'default', namespace: ARGOCD_NAMESPACE },
      spec: { sourceRepos: ['*'], destinations: [{ server: '*', namespace: '*' }], clusterResourceWhitelist: [{ group: '*', kind: '*' }] },
    },
  ];
  kubectlOk(mgmt, ['apply', '-f', '-'], { input: JSON.stringify({ apiVersion: 'v1', kind: 'List', items: objects }) });
}

/** Starts `cmd` with its output in `<dir>/<name>.log` and its pid in `<dir>/<name>.pid`. */
function start(dir: string, name: string, cmd: string, args: string[], env: NodeJS.ProcessEnv): ChildProcess {
  const out = fs.openSync(path.join(dir, `${name}.log`), 'a');
  const child = spawn(cmd, args, { cwd: dir, env, stdio: ['ignore', out, out] });
  fs.closeSync(out);
  if (child.pid === undefined) throw new Error(`could not start ${name} (${cmd})`);
  fs.writeFileSync(path.join(dir, `${name}.pid`), String(child.pid));
  return child;
}

async function waitListening(what: string, port: number, child: ChildProcess, logFile: string): Promise<void> {
  await waitFor(
    `${what} on 127.0.0.1:${port}`,
    () => {
      if (child.exitCode !== null) throw new Error(`${what} exited (${child.exitCode}):\n${fs.readFileSync(logFile, 'utf8').slice(-3000)}`);
      const r = spawnSync('bash', ['-c', `exec 3<>/dev/tcp/127.0.0.1/${port}`]);
      return r.status === 0 ? true : undefined;
    },
    60_000,
    250,
  );
}

/**
 * Installs Argo CD into `management` and starts it managing `clusters`; returns once the git server,
 * Redis and all three components listen. `stop()` ends every process it started.
 */
export async function startArgoCD(opts: {
  dir: string;
  management: Kube;
  clusters: ManagedCluster[];
  bins: GitopsBinaries;
  /** Helm chart repositories in OCI registries over plain HTTP (`<host>/<path>`, as a Helm source's repoURL names them). */
  helmOciRepos?: string[];
  log?: Log;
}): Promise<Gitops> {
  const { dir, management: mgmt, bins } = opts;
  const log = opts.log ?? ((l: string) => process.stdout.write(`${l}\n`));
  const started = Date.now();
  fs.mkdirSync(path.join(dir, 'tmp'), { recursive: true });
  fs.mkdirSync(path.join(dir, 'repos'), { recursive: true });
  fs.mkdirSync(path.join(dir, 'bin'), { recursive: true });
  // The component is chosen by the name the binary runs under; the repo-server runs helm and the wrapper by name.
  for (const component of ['argocd-repo-server', 'argocd-application-controller', 'argocd-applicationset-controller']) fs.symlinkSync(bins.argocd, path.join(dir, 'bin', component));
  fs.symlinkSync(bins.gitVerifyWrapper, path.join(dir, 'bin', 'git-verify-wrapper.sh'));
  fs.symlinkSync(helmBinary(4), path.join(dir, 'bin', 'helm'));
  // The management cluster's kubeconfig with namespace argocd: where the components look for their objects.
  const kubeconfig = path.join(dir, 'kubeconfig');
  fs.copyFileSync(mgmt.kubeconfig, kubeconfig);
  kubectlOk({ ...mgmt, kubeconfig }, ['config', 'set-context', '--current', `--namespace=${ARGOCD_NAMESPACE}`]);

  await install(mgmt, bins);
  const servers: Record<string, string> = {};
  for (const c of opts.clusters) servers[c.name] = registerCluster(mgmt, c);
  for (const [i, url] of (opts.helmOciRepos ?? []).entries()) registerOciRepo(mgmt, `oci-${i}`, url);

  const children: { name: string; child: ChildProcess }[] = [];
  const stop = async (): Promise<void> => {
    for (const { child } of children.reverse()) if (child.exitCode === null) child.kill('SIGTERM');
    const deadline = Date.now() + 15_000;
    while (children.some((c) => c.child.exitCode === null && c.child.signalCode === null) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
    for (const { name, child } of children) {
      if (child.exitCode === null && child.signalCode === null) {
        log(`[gitops] ${name} (pid ${child.pid}) ignored SIGTERM; SIGKILL`);
        child.kill('SIGKILL');
      }
    }
  };
  const logs = (lines = 40): string =>
    children
      .map(({ name }) => {
        const text = fs.readFileSync(path.join(dir, `${name}.log`), 'utf8').trimEnd().split('\n');
        return `--- ${name} (last ${Math.min(lines, text.length)} lines)\n${text.slice(-lines).join('\n')}`;
      })
      .join('\n');
  const env: NodeJS.ProcessEnv = {
    PATH: `${path.join(dir, 'bin')}:${process.env.PATH ?? '/usr/bin:/bin'}`,
    HOME: dir,
    TMPDIR: path.join(dir, 'tmp'),
    KUBECONFIG: kubeconfig,
    ARGOCD_GPG_ENABLED: 'false',
    ARGOCD_ASK_PASS_SOCK: path.join(dir, 'askpass.sock'),
    ARGOCD_TLS_DATA_PATH: path.join(dir, 'tls'),
    ARGOCD_SSH_DATA_PATH: path.join(dir, 'ssh'),
    ARGOCD_GNUPGHOME: path.join(dir, 'gnupg'),
  };
  try {
    const git = start(dir, 'gitserver', bins.gitserver, ['-root', path.join(dir, 'repos')], env);
    children.push({ name: 'gitserver', child: git });
    const gitUrl = await waitFor(
      'the git server',
      () => {
        if (git.exitCode !== null) throw new Error(`the git server exited (${git.exitCode}):\n${fs.readFileSync(path.join(dir, 'gitserver.log'), 'utf8')}`);
        return /^listening (http:\/\/127\.0\.0\.1:\d+)$/m.exec(fs.readFileSync(path.join(dir, 'gitserver.log'), 'utf8'))?.[1];
      },
      30_000,
      100,
    );

    const redisPort = await freePort();
    const redis = start(dir, 'redis', bins.redis, ['-addr', `127.0.0.1:${redisPort}`], env);
    children.push({ name: 'redis', child: redis });
    await waitListening('Redis', redisPort, redis, path.join(dir, 'redis.log'));
    const redisAddr = `127.0.0.1:${redisPort}`;

    const [repoPort, repoMetrics, ctlMetrics, setMetrics, setProbe, setWebhook] = await Promise.all([freePort(), freePort(), freePort(), freePort(), freePort(), freePort()]);
    const repoServer = `127.0.0.1:${repoPort}`;
    const common = ['--logformat', 'text', '--loglevel', 'info'];
    const components: [string, string[], number][] = [
      [
        'argocd-repo-server',
        [
          ...['--address', '127.0.0.1', '--port', String(repoPort), '--metrics-address', '127.0.0.1', '--metrics-port', String(repoMetrics)],
          ...['--redis', redisAddr, '--disable-tls', '--client-ca-path='],
          // A commit is seen within seconds, as a git webhook makes Argo CD see it (the default caches a branch's
          // head for 3 minutes).
          ...['--revision-cache-expiration', '5s'],
          ...common,
        ],
        repoPort,
      ],
      [
        'argocd-application-controller',
        // --app-resync: how often Argo CD compares live with git without being asked (default 120 s).
        ['--redis', redisAddr, '--repo-server', repoServer, '--repo-server-plaintext', '--metrics-port', String(ctlMetrics), '--app-resync', '30', '--self-heal-timeout-seconds', '2', ...common],
        ctlMetrics,
      ],
      [
        'argocd-applicationset-controller',
        [
          '--argocd-repo-server',
          repoServer,
          '--repo-server-plaintext',
          '--metrics-addr',
          `127.0.0.1:${setMetrics}`,
          '--probe-addr',
          `127.0.0.1:${setProbe}`,
          '--webhook-addr',
          `127.0.0.1:${setWebhook}`,
          ...common,
        ],
        setProbe,
      ],
    ];
    for (const [name, args, port] of components) {
      const child = start(dir, name, path.join(dir, 'bin', name), args, env);
      children.push({ name, child });
      await waitListening(name, port, child, path.join(dir, `${name}.log`));
    }
    log(`[gitops] Argo CD ${argocdVersion()} up in ${Math.round((Date.now() - started) / 1000)}s, managing ${opts.clusters.map((c) => `${c.name} (${servers[c.name]})`).join(', ')}; git ${gitUrl}`);
    return { version: argocdVersion(), git: gitUrl, servers, logs, stop };
  } catch (err) {
    log(`[gitops] start failed: ${err instanceof Error ? err.message : String(err)}\n${logs()}`);
    await stop();
    throw err;
  }
}

/** An Application's sync and health status (undefined while it has none). */
export function appStatus(mgmt: Kube, name: string): { sync?: string; health?: string; revision?: string; operation?: string } {
  const r = kubectl(mgmt, ['get', 'application', name, '-n', ARGOCD_NAMESPACE, '-o', 'json']);
  if (r.code !== 0) return {};
  const app = JSON.parse(r.stdout) as {
    status?: { sync?: { status?: string; revision?: string; revisions?: string[] }; health?: { status?: string }; operationState?: { phase?: string } };
  };
  return {
    sync: app.status?.sync?.status,
    health: app.status?.health?.status,
    revision: app.status?.sync?.revision ?? app.status?.sync?.revisions?.join(','),
    operation: app.status?.operationState?.phase,
  };
}


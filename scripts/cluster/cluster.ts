/**
 * A real Kubernetes control plane on loopback for the cluster test suite.
 *
 * etcd, kube-apiserver, kube-controller-manager and kube-scheduler (Kubernetes built by
 * ./binaries.ts) run as local processes launched by `kwokctl --runtime binary`; kwok-controller plays
 * the kubelet of a few fake nodes (cluster/kwok/stages.yaml). Every listener binds 127.0.0.1 on a
 * random free port. The apiserver runs with RBAC (Node,RBAC authorization), its default admission
 * plugins (ServiceAccount, PodSecurity, …) and service-account token signing, so charts meet the same
 * checks as on a real cluster; only containers never run. A default StorageClass with a small
 * provisioner (./provisioner.ts) binds PersistentVolumeClaims.
 *
 * State lives in <tmp>/chart-as-code-cluster-<uid>/<name>/ (kwokctl's work dir, the kubeconfig, a
 * state.json naming the owning process). A cluster whose owner process is gone is torn down by the
 * next up() or sweep(), so a crashed run leaves nothing running for long.
 *
 * If KUBECONFIG points at a reachable cluster, up() uses it as it is and builds and starts nothing.
 */
import { spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { ensureBinaries, Binaries, BuildReport, CLUSTER_MODULE, etcdVersion, kubernetesVersion, KWOK_VERSION, REPO_ROOT } from './binaries';
import { storageClassManifest } from './provisioner';
import { existingKubectl, getJson, Kube, kubectl, kubectlOk, waitFor } from './kube';

export interface ClusterInfo extends Kube {
  /** True when KUBECONFIG pointed at a reachable cluster that we use as is. */
  external: boolean;
  /** gitVersion the apiserver reports. */
  serverVersion: string;
  /** Our cluster's name (absent when external). */
  name?: string;
  /** Our cluster's state directory (absent when external). */
  dir?: string;
  /** Seconds spent building binaries / starting the control plane (0 when external). */
  buildSeconds: number;
  startSeconds: number;
  built: BuildReport[];
}

interface State {
  name: string;
  /** Process that owns the cluster; 0 for one started by `up.ts` (lives until `down.ts`). */
  owner: number;
  kubeconfig: string;
  kubectl: string;
  kwokctl: string;
}

/** Fake nodes: enough room for every chart's requests (md-icapsrv asks 2 CPUs / 2Gi per pod). */
export const NODE_COUNT = 2;
const NODE_CAPACITY = { cpu: '32', memory: '128Gi', pods: '110', 'ephemeral-storage': '500Gi' };

type Log = (line: string) => void;
const defaultLog: Log = (l) => process.stdout.write(`${l}\n`);

export function stateRoot(): string {
  return path.join(os.tmpdir(), `chart-as-code-cluster-${process.getuid?.() ?? 'user'}`);
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
  // A zombie (exited, not yet reaped by init: kwokctl detaches its components) is not running.
  try {
    const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3) !== 'Z';
  } catch {
    return true; // no /proc: trust kill(0)
  }
}

function readState(dir: string): State | undefined {
  try {
    return JSON.parse(fs.readFileSync(path.join(dir, 'state.json'), 'utf8')) as State;
  } catch {
    return undefined;
  }
}

/** Whether `kubeconfig` reaches an apiserver that answers /readyz; the reason when not. */
function reachable(kube: Kube): { ok: true } | { ok: false; why: string } {
  const r = kubectl(kube, ['get', '--raw', '/readyz', '--request-timeout=10s'], { timeoutMs: 30_000 });
  return r.code === 0 && r.stdout.trim() === 'ok' ? { ok: true } : { ok: false, why: (r.stderr || r.stdout).trim().split('\n').pop() ?? `exit ${r.code}` };
}

function serverVersion(kube: Kube): string {
  const v = JSON.parse(kubectlOk(kube, ['get', '--raw', '/version'])) as { gitVersion: string };
  return v.gitVersion;
}

/**
 * How a control plane for real nodes differs from the default one (the pod suite, scripts/node/): no fake
 * nodes and no kwok-controller, kwokctl options and component flags on top of ours, and the volume
 * provisioner's own arguments (e.g. `--local <dir> --node <name>`).
 */
export interface RealNodesOptions {
  options: Record<string, unknown>;
  componentsPatches: { name: string; extraArgs: { key: string; value: string }[] }[];
  provisionerArgs: string[];
}

function kwokctlConfig(bins: Binaries, dir: string, realNodes?: RealNodesOptions, apiserverArgs: { key: string; value: string }[] = []): string {
  const stages = fs.readFileSync(path.join(CLUSTER_MODULE, 'kwok', 'stages.yaml'), 'utf8');
  const options = {
    runtime: 'binary',
    // Every component listens on loopback only (kwokctl's default is 0.0.0.0).
    bindAddress: '127.0.0.1',
    kubeVersion: kubernetesVersion(),
    etcdVersion: etcdVersion().replace(/^v/, ''),
    kwokVersion: KWOK_VERSION,
    securePort: true,
    kubeAuthorization: true, // --authorization-mode=Node,RBAC
    kubeAdmission: true, // the apiserver's default admission plugins, PodSecurity and ServiceAccount among them
    kubeApiserverBinary: bins['kube-apiserver'],
    kubeControllerManagerBinary: bins['kube-controller-manager'],
    kubeSchedulerBinary: bins['kube-scheduler'],
    kubectlBinary: bins.kubectl,
    etcdBinary: bins.etcd,
    kwokControllerBinary: bins.kwok,
    cacheDir: path.join(dir, 'cache'),
    quietPull: true,
    ...(realNodes ? { disable: ['kwok-controller'], ...realNodes.options } : {}),
  };
  const patches = [...(realNodes?.componentsPatches ?? []), ...(apiserverArgs.length > 0 ? [{ name: 'kube-apiserver', extraArgs: apiserverArgs }] : [])];
  const conf = [
    'apiVersion: config.kwok.x-k8s.io/v1alpha1',
    'kind: KwokctlConfiguration',
    `options: ${JSON.stringify(options)}`,
    ...(patches.length > 0 ? [`componentsPatches: ${JSON.stringify(patches)}`] : []),
  ].join('\n');
  return `${conf}\n---\n${stages}`;
}

function nodeManifest(): string {
  const nodes = [];
  for (let i = 0; i < NODE_COUNT; i++) {
    const name = `kwok-node-${i}`;
    nodes.push({
      apiVersion: 'v1',
      kind: 'Node',
      metadata: {
        name,
        annotations: { 'kwok.x-k8s.io/node': 'fake', 'node.alpha.kubernetes.io/ttl': '0' },
        labels: {
          type: 'kwok',
          'kubernetes.io/arch': 'amd64',
          'kubernetes.io/os': 'linux',
          'kubernetes.io/hostname': name,
          'topology.kubernetes.io/zone': `zone-${i}`,
        },
      },
      status: { allocatable: NODE_CAPACITY, capacity: NODE_CAPACITY },
    });
  }
  return JSON.stringify({ apiVersion: 'v1', kind: 'List', items: nodes });
}

function runKwokctl(kwokctl: string, dir: string, args: string[], log: Log, timeoutMs = 5 * 60_000): Promise<number> {
  return new Promise((resolve, reject) => {
    const child = spawn(kwokctl, args, {
      env: { ...process.env, KWOK_WORKDIR: path.join(dir, 'kwok') },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    // kwokctl logs JSON when not on a terminal: print its message, duration and any attributes.
    const forward = (chunk: Buffer): void => {
      for (const line of chunk.toString('utf8').split('\n')) {
        if (!line.trim()) continue;
        try {
          const { time: _t, source: _s, level, msg, elapsed, cluster: _c, ...rest } = JSON.parse(line) as Record<string, unknown>;
          const took = (elapsed as { human?: string } | undefined)?.human;
          const extra = Object.keys(rest).length > 0 ? ` ${JSON.stringify(rest)}` : '';
          log(`[kwokctl] ${level === 'INFO' ? '' : `${String(level)} `}${String(msg)}${took ? ` (${took})` : ''}${extra}`);
        } catch {
          log(`[kwokctl] ${line}`);
        }
      }
    };
    child.stdout.on('data', forward);
    child.stderr.on('data', forward);
    child.on('error', (err) => {
      clearTimeout(timer);
      reject(err);
    });
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve(code ?? 1);
    });
  });
}

function componentDir(dir: string, name: string): string {
  return path.join(dir, 'kwok', 'clusters', name);
}

/** Last lines of every component log, for failure reports. */
export function componentLogs(dir: string, name: string, lines = 40): string {
  const logs = path.join(componentDir(dir, name), 'logs');
  if (!fs.existsSync(logs)) return '(no component logs)';
  return fs
    .readdirSync(logs)
    .map((f) => {
      const text = fs.readFileSync(path.join(logs, f), 'utf8').trimEnd().split('\n');
      return `--- ${f} (last ${Math.min(lines, text.length)} lines)\n${text.slice(-lines).join('\n')}`;
    })
    .join('\n');
}

/** Component processes still alive: kwokctl's pid files, and our volume provisioner's. */
function livePids(dir: string, name: string): { component: string; pid: number }[] {
  const pids = path.join(componentDir(dir, name), 'pids');
  const files = fs.existsSync(pids) ? fs.readdirSync(pids).map((f) => path.join(pids, f)) : [];
  files.push(path.join(dir, 'provisioner.pid'));
  const out: { component: string; pid: number }[] = [];
  for (const f of files.filter((x) => fs.existsSync(x))) {
    const pid = Number(fs.readFileSync(f, 'utf8').trim());
    if (Number.isInteger(pid) && pid > 0 && isAlive(pid)) out.push({ component: path.basename(f).replace(/\.pid$/, ''), pid });
  }
  return out;
}

/** Starts scripts/cluster/provisioner.ts detached (it must outlive up.ts), logging to <dir>/provisioner.log. */
function startProvisioner(dir: string, kubeconfig: string, args: string[]): number {
  const out = fs.openSync(path.join(dir, 'provisioner.log'), 'a');
  const child = spawn(process.execPath, ['--import', 'tsx', path.join(__dirname, 'provisioner.ts'), kubeconfig, ...args], {
    cwd: REPO_ROOT,
    detached: true,
    stdio: ['ignore', out, out],
  });
  fs.closeSync(out);
  if (child.pid === undefined) throw new Error('could not start the volume provisioner');
  fs.writeFileSync(path.join(dir, 'provisioner.pid'), String(child.pid));
  child.unref();
  return child.pid;
}

/** Stops our cluster `name`: kwokctl delete, then any component still alive is killed. Removes its directory. */
export async function down(name: string, log: Log = defaultLog): Promise<void> {
  const dir = path.join(stateRoot(), name);
  const state = readState(dir);
  if (!fs.existsSync(dir)) {
    log(`[cluster] ${name}: nothing to tear down`);
    return;
  }
  const started = Date.now();
  if (state && fs.existsSync(state.kwokctl)) {
    const code = await runKwokctl(state.kwokctl, dir, ['delete', 'cluster', '--name', name, '--kubeconfig', state.kubeconfig], log, 2 * 60_000);
    if (code !== 0) log(`[cluster] kwokctl delete cluster exited ${code}; killing the components directly`);
  }
  // Belt and braces: nothing kwokctl started may outlive us.
  let left = livePids(dir, name);
  for (const { pid } of left) process.kill(pid, 'SIGTERM');
  const deadline = Date.now() + 15_000;
  while ((left = livePids(dir, name)).length > 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 200));
  for (const { component, pid } of left) {
    log(`[cluster] ${component} (pid ${pid}) ignored SIGTERM; SIGKILL`);
    process.kill(pid, 'SIGKILL');
  }
  fs.rmSync(dir, { recursive: true, force: true });
  log(`[cluster] ${name} torn down in ${((Date.now() - started) / 1000).toFixed(1)}s`);
}

/** Tears down clusters whose owning process is gone (a crashed or killed test run). */
export async function sweep(log: Log = defaultLog): Promise<void> {
  const root = stateRoot();
  if (!fs.existsSync(root)) return;
  for (const name of fs.readdirSync(root)) {
    const state = readState(path.join(root, name));
    // A directory without state.json is a start that died before writing it: also stale if old.
    const stale = state ? state.owner > 0 && !isAlive(state.owner) : Date.now() - fs.statSync(path.join(root, name)).mtimeMs > 10 * 60_000;
    if (stale) {
      log(`[cluster] tearing down stale cluster ${name} (owner ${state?.owner ?? 'unknown'} is gone)`);
      await down(name, log);
    }
  }
}

export interface UpOptions {
  /** Cluster name; default `test-<pid>`. */
  name?: string;
  /** Owning process (its death makes the cluster stale); 0 = lives until down(). Default: this process. */
  owner?: number;
  log?: Log;
  /** A control plane that real nodes join (see RealNodesOptions); default: NODE_COUNT fake kwok nodes. */
  realNodes?: RealNodesOptions;
  /**
   * kube-apiserver flags on top of ours, e.g. an `advertise-address` inside a network namespace that has
   * no default route (the GitOps suite's second control plane).
   */
  apiserverArgs?: { key: string; value: string }[];
}

/**
 * Uses the cluster KUBECONFIG points at if it is reachable; otherwise builds (first time) and starts
 * our own, with NODE_COUNT ready fake nodes, and returns how to reach it.
 */
export async function up(opts: UpOptions = {}): Promise<ClusterInfo> {
  const log = opts.log ?? defaultLog;
  const external = process.env.KUBECONFIG;
  if (external) {
    const kubectlBin = existingKubectl();
    if (!kubectlBin) throw new Error('KUBECONFIG is set but no kubectl was found (PATH, the cache, or .tools/ from `npm run helm:setup`)');
    const kube = { kubeconfig: external, kubectl: kubectlBin };
    const r = reachable(kube);
    if (r.ok) {
      const version = serverVersion(kube);
      log(`[cluster] using the cluster KUBECONFIG points at (${external}, ${version}); building and starting nothing`);
      return { ...kube, external: true, serverVersion: version, buildSeconds: 0, startSeconds: 0, built: [] };
    }
    log(`[cluster] KUBECONFIG=${external} is not reachable (${r.why}); starting a local control plane instead`);
  }

  await sweep(log);
  const buildStarted = Date.now();
  const { paths: bins, built } = await ensureBinaries(log);
  const buildSeconds = Math.round((Date.now() - buildStarted) / 1000);

  const name = opts.name ?? `test-${process.pid}`;
  const dir = path.join(stateRoot(), name);
  if (fs.existsSync(dir)) await down(name, log);
  fs.mkdirSync(dir, { recursive: true, mode: 0o700 });
  const kubeconfig = path.join(dir, 'kubeconfig');
  const state: State = { name, owner: opts.owner ?? process.pid, kubeconfig, kubectl: bins.kubectl, kwokctl: bins.kwokctl };
  fs.writeFileSync(path.join(dir, 'state.json'), JSON.stringify(state, null, 2));
  const configPath = path.join(dir, 'kwokctl.yaml');
  fs.writeFileSync(configPath, kwokctlConfig(bins, dir, opts.realNodes, opts.apiserverArgs));
  const fakeNodes = opts.realNodes ? 0 : NODE_COUNT;

  const started = Date.now();
  log(`[cluster] starting ${name}: etcd ${etcdVersion()}, Kubernetes ${kubernetesVersion()}, kwok ${KWOK_VERSION} on 127.0.0.1`);
  const kube: Kube = { kubeconfig, kubectl: bins.kubectl };
  try {
    const code = await runKwokctl(
      bins.kwokctl,
      dir,
      ['--config', configPath, 'create', 'cluster', '--name', name, '--kubeconfig', kubeconfig, '--wait', '2m', '--timeout', '5m'],
      log,
    );
    if (code !== 0) throw new Error(`kwokctl create cluster exited ${code}`);
    await waitFor('the apiserver to be ready', () => (reachable(kube).ok ? true : undefined), 120_000);
    if (fakeNodes > 0) {
      kubectlOk(kube, ['apply', '-f', '-'], { input: nodeManifest() });
      kubectlOk(kube, ['wait', '--for=condition=Ready', 'node', '--all', '--timeout=120s'], { timeoutMs: 150_000 });
    }
    // Storage: a default StorageClass and the provisioner that serves it, so claims bind.
    kubectlOk(kube, ['apply', '-f', '-'], { input: JSON.stringify(storageClassManifest()) });
    startProvisioner(dir, kubeconfig, opts.realNodes?.provisionerArgs ?? []);
    // Namespaces are usable once the service-account controllers run: the default ServiceAccount and the
    // kube-root-ca.crt ConfigMap appear in every namespace, and token signing works.
    await waitFor('the default ServiceAccount', () => (kubectl(kube, ['get', 'serviceaccount', 'default', '-n', 'default']).code === 0 ? true : undefined));
    await waitFor('kube-root-ca.crt', () => (kubectl(kube, ['get', 'configmap', 'kube-root-ca.crt', '-n', 'default']).code === 0 ? true : undefined));
    await waitFor('a service-account token', () => (kubectl(kube, ['create', 'token', 'default', '-n', 'default', '--duration=10m']).code === 0 ? true : undefined));
    const nodes = getJson<{ items: unknown[] }>(kube, ['nodes']).items.length;
    if (nodes !== fakeNodes) throw new Error(`expected ${fakeNodes} nodes, found ${nodes}`);
  } catch (err) {
    log(`[cluster] start failed: ${err instanceof Error ? err.message : String(err)}\n${componentLogs(dir, name)}`);
    await down(name, log);
    throw err;
  }
  const startSeconds = Math.round((Date.now() - started) / 1000);
  const version = serverVersion(kube);
  log(`[cluster] ${name} up in ${startSeconds}s: apiserver ${version}, ${fakeNodes} kwok nodes; KUBECONFIG=${kubeconfig}`);
  return { ...kube, external: false, serverVersion: version, name, dir, buildSeconds, startSeconds, built };
}

/** Components still running of clusters whose owning process has exited (what a test run left behind). */
export function orphanedComponents(): { cluster: string; component: string; pid: number }[] {
  const root = stateRoot();
  if (!fs.existsSync(root)) return [];
  return fs
    .readdirSync(root)
    .filter((name) => {
      const owner = readState(path.join(root, name))?.owner;
      return owner !== undefined && owner > 0 && !isAlive(owner);
    })
    .flatMap((name) => livePids(path.join(root, name), name).map((p) => ({ cluster: name, ...p })));
}

/** Our cluster `name` as recorded in its state, if it exists. */
export function existing(name: string): State | undefined {
  return readState(path.join(stateRoot(), name));
}

/**
 * Components of our clusters still running (for leak checks). Clusters started by up.ts to stay up
 * (owner 0) count only with `includePersistent`.
 */
export function runningComponents(includePersistent = false): { cluster: string; component: string; pid: number }[] {
  const root = stateRoot();
  if (!fs.existsSync(root)) return [];
  return fs
    .readdirSync(root)
    .filter((name) => includePersistent || readState(path.join(root, name))?.owner !== 0)
    .flatMap((name) => livePids(path.join(root, name), name).map((p) => ({ cluster: name, ...p })));
}

function hexToAddress(hex: string): string {
  const [ip, port] = hex.split(':') as [string, string];
  const bytes = (ip.match(/../g) ?? []).map((b) => parseInt(b, 16));
  const addr =
    bytes.length === 4
      ? [...bytes].reverse().join('.') // IPv4, little-endian
      : Array.from({ length: 4 }, (_, w) => bytes.slice(w * 4, w * 4 + 4).reverse().map((b) => b.toString(16).padStart(2, '0')).join(''))
          .join('')
          .replace(/(.{4})(?!$)/g, '$1:'); // IPv6 as 8 groups
  return `${bytes.length === 4 ? addr : `[${addr}]`}:${parseInt(port, 16)}`;
}

/**
 * TCP sockets that `pids` listen on ("127.0.0.1:6443", "[0000:…:0001]:2379"), from /proc: each
 * process's socket inodes matched against /proc/net/tcp{,6} rows in LISTEN state.
 */
export function listeningAddresses(pids: number[]): { pid: number; address: string }[] {
  const listening = new Map<string, string>(); // inode -> address
  for (const table of ['/proc/net/tcp', '/proc/net/tcp6']) {
    if (!fs.existsSync(table)) continue;
    for (const row of fs.readFileSync(table, 'utf8').split('\n').slice(1)) {
      const f = row.trim().split(/\s+/);
      if (f.length > 9 && f[3] === '0A') listening.set(f[9]!, hexToAddress(f[1]!));
    }
  }
  const out: { pid: number; address: string }[] = [];
  for (const pid of pids) {
    for (const fd of fs.readdirSync(`/proc/${pid}/fd`)) {
      let target: string;
      try {
        target = fs.readlinkSync(`/proc/${pid}/fd/${fd}`);
      } catch {
        continue; // closed meanwhile
      }
      const inode = /^socket:\[(\d+)\]$/.exec(target)?.[1];
      const address = inode === undefined ? undefined : listening.get(inode);
      if (address !== undefined) out.push({ pid, address });
    }
  }
  return out;
}

/** Component pids of our cluster `name`. */
export function componentPids(name: string): { component: string; pid: number }[] {
  return livePids(path.join(stateRoot(), name), name);
}

/**
 * A real Kubernetes node for the pod suite: containerd (Debian's 1.6) with runc and the CNI bridge
 * plugin, the kubelet and kube-proxy built from k8s.io/kubernetes at the control plane's version
 * (../cluster/binaries.ts), and CoreDNS as the cluster DNS (a host process serving the node address).
 *
 * Where it runs: in the network namespace the suite created (./namespaces.ts; the caller must already be
 * in it), plus a mount namespace of its own, so every mount of the node (container root filesystems,
 * volumes, pod network namespaces) is gone with it, and so the kubelet's kernel tunables
 * (vm.overcommit_memory, kernel.panic, …; the kubelet would rewrite the machine's) read as expected from
 * files bound over /proc/sys inside that namespace, leaving the machine's untouched. Its cgroups live under
 * one root of its own, `/chart-as-code-<name>`, in every hierarchy (cgroup v1 here: `failCgroupV1: false`
 * and the cgroupfs driver).
 *
 * State: <tmp>/chart-as-code-node-<uid>/<name>/ (configs, logs, pids, the containerd and kubelet
 * directories, volumes of the `local` PersistentVolumes). stop() kills every process of the node (by mount
 * namespace and by cgroup), removes its cgroups and its directory.
 */
import { spawn, spawnSync } from 'node:child_process';
import * as dns from 'node:dns';
import * as fs from 'node:fs';
import * as net from 'node:net';
import * as os from 'node:os';
import * as path from 'node:path';
import { isAlive } from '../../lib/tooling/process';
import { Kube, kubectl, waitFor } from '../cluster/kube';
import { BuiltImage, BuiltImages } from './images';
import { createMountNamespace, membersOf, namespaceInode, NODE_IP, nsenterArgs, releaseNamespace, run } from './namespaces';

export const NODE_NAME = 'pod-node';
export const POD_CIDR = '10.244.0.0/24';
export const SERVICE_CIDR = '10.96.0.0/16';
/** The `kubernetes` Service's ClusterIP: the first address of SERVICE_CIDR. */
export const KUBERNETES_SERVICE_IP = '10.96.0.1';
export const CLUSTER_DOMAIN = 'cluster.local';

/** Debian packages the node uses, each with a file that tells it is installed. */
const DEBIAN_PACKAGES: Record<string, string> = {
  containerd: '/usr/bin/containerd',
  runc: '/usr/sbin/runc',
  'containernetworking-plugins': '/usr/lib/cni/bridge',
  iptables: '/usr/sbin/iptables',
};
const CNI_BIN_DIR = '/usr/lib/cni';

/** What the kubelet checks (and would otherwise set on the machine), and the values it expects. */
const KUBELET_SYSCTLS: Record<string, number> = {
  'vm/overcommit_memory': 1,
  'vm/panic_on_oom': 0,
  'kernel/panic': 10,
  'kernel/panic_on_oops': 1,
  'kernel/keys/root_maxkeys': 1000000,
  'kernel/keys/root_maxbytes': 25000000,
};

type Log = (line: string) => void;

export interface NodeBinaries {
  kubelet: string;
  'kube-proxy': string;
  coredns: string;
}

interface State {
  name: string;
  /** Process that owns the node; its death makes the node stale. */
  owner: number;
  mntInode: number;
  cgroupRoot: string;
}

export function nodeStateRoot(): string {
  return path.join(os.tmpdir(), `chart-as-code-node-${process.getuid?.() ?? 'user'}`);
}

/** Where the provisioner puts the node's volumes (`local` PersistentVolumes), before the node exists. */
export function volumesDir(name: string): string {
  return path.join(nodeStateRoot(), name, 'volumes');
}

/** Installs the Debian packages the node needs that are missing (containerd, runc, CNI plugins, iptables). */
export function ensureDebianPackages(log: Log): void {
  const missing = Object.entries(DEBIAN_PACKAGES)
    .filter(([, file]) => !fs.existsSync(file))
    .map(([pkg]) => pkg);
  if (missing.length === 0) return;
  log(`[node] installing Debian packages ${missing.join(', ')}`);
  run('apt-get', ['update', '-q']);
  const r = spawnSync('apt-get', ['install', '-y', '-q', '--no-install-recommends', ...missing], {
    encoding: 'utf8',
    env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive' },
  });
  if (r.status !== 0) throw new Error(`apt-get install ${missing.join(' ')} failed:\n${r.stderr}${r.stdout}`);
}

/** 'v1' (this machine: per-controller hierarchies) or 'v2' (one unified hierarchy). */
function cgroupVersion(): 'v1' | 'v2' {
  return run('stat', ['-f', '-c', '%T', '/sys/fs/cgroup']).trim() === 'cgroup2fs' ? 'v2' : 'v1';
}

/** Every cgroup hierarchy mounted under /sys/fs/cgroup (one directory per v1 hierarchy, or the v2 root). */
function hierarchies(): string[] {
  if (cgroupVersion() === 'v2') return ['/sys/fs/cgroup'];
  return fs
    .readFileSync('/proc/self/mountinfo', 'utf8')
    .split('\n')
    .map((l) => l.split(' '))
    .filter((f) => f.length > 9 && /^cgroup2?$/.test(f[f.indexOf('-') + 1] ?? '') && f[4]!.startsWith('/sys/fs/cgroup/'))
    .map((f) => f[4]!);
}

/** Creates the node's cgroup root in every hierarchy (the kubelet requires it to exist). */
function createCgroupRoot(root: string): void {
  for (const h of hierarchies()) {
    const dir = path.join(h, root);
    fs.mkdirSync(dir, { recursive: true });
    // A v1 cpuset cgroup takes no task until it has CPUs and memory nodes: those of its parent.
    for (const f of ['cpuset.cpus', 'cpuset.mems']) {
      if (fs.existsSync(path.join(h, f)) && fs.readFileSync(path.join(dir, f), 'utf8').trim() === '') {
        fs.writeFileSync(path.join(dir, f), fs.readFileSync(path.join(h, f), 'utf8'));
      }
    }
  }
}

/** Reads `file`, or undefined when it is gone: cgroups come and go while containers start and stop. */
function readIfThere(file: string): string | undefined {
  try {
    return fs.readFileSync(file, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw err;
  }
}

/** Every cgroup directory under the node's root, deepest first. */
function cgroupDirs(root: string): string[] {
  const out: string[] = [];
  const walk = (dir: string): void => {
    let entries: fs.Dirent[];
    try {
      entries = fs.readdirSync(dir, { withFileTypes: true });
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return;
      throw err;
    }
    for (const e of entries) if (e.isDirectory()) walk(path.join(dir, e.name));
    out.push(dir);
  };
  for (const h of hierarchies()) walk(path.join(h, root));
  return out;
}

/** Pids in the node's cgroups (the containers, and anything else the kubelet or runc put there). */
export function cgroupMembers(root: string): number[] {
  const pids = new Set<number>();
  for (const dir of cgroupDirs(root)) {
    for (const line of (readIfThere(path.join(dir, 'cgroup.procs')) ?? '').split('\n')) if (line.trim()) pids.add(Number(line));
  }
  return [...pids];
}

function containerdConfig(dir: string, pause: BuiltImage): string {
  const cri = 'plugins."io.containerd.grpc.v1.cri"';
  return `version = 2
root = "${dir}/containerd/root"
state = "${dir}/containerd/state"
disabled_plugins = ["io.containerd.snapshotter.v1.aufs", "io.containerd.snapshotter.v1.btrfs", "io.containerd.snapshotter.v1.zfs", "io.containerd.snapshotter.v1.devmapper"]

[grpc]
  address = "${dir}/containerd.sock"

[plugins."io.containerd.internal.v1.opt"]
  path = "${dir}/containerd/opt"

[${cri}]
  sandbox_image = "${pause.ref}"
  # Exec and attach streams, proxied by the kubelet: on the namespace's loopback.
  stream_server_address = "127.0.0.1"
  stream_server_port = "0"
  # Root here lacks CAP_SYS_RESOURCE, so no process may lower its oom_score_adj (the kubelet asks -998 for
  # sandboxes, -997 for Guaranteed pods): keep every container at containerd's own or above.
  restrict_oom_score_adj = true

[${cri}.containerd]
  snapshotter = "overlayfs"
  default_runtime_name = "runc"

[${cri}.containerd.runtimes.runc]
  runtime_type = "io.containerd.runc.v2"

[${cri}.containerd.runtimes.runc.options]
  SystemdCgroup = false
  Root = "${dir}/runc"

[${cri}.cni]
  bin_dir = "${CNI_BIN_DIR}"
  conf_dir = "${dir}/cni"
`;
}

function cniConfig(dir: string): string {
  return JSON.stringify({
    cniVersion: '1.0.0',
    name: 'chart-as-code',
    plugins: [
      {
        type: 'bridge',
        bridge: 'cac0',
        isGateway: true,
        ipMasq: false,
        // A pod may reach itself through its own Service.
        hairpinMode: true,
        ipam: { type: 'host-local', ranges: [[{ subnet: POD_CIDR }]], routes: [{ dst: '0.0.0.0/0' }], dataDir: `${dir}/cni-ipam` },
      },
      { type: 'portmap', capabilities: { portMappings: true } },
    ],
  });
}

function kubeletConfig(dir: string, cgroupRoot: string): string {
  return JSON.stringify({
    apiVersion: 'kubelet.config.k8s.io/v1beta1',
    kind: 'KubeletConfiguration',
    address: NODE_IP,
    port: 10250,
    readOnlyPort: 0,
    healthzBindAddress: '127.0.0.1',
    // The apiserver reaches the kubelet (logs, exec) inside the namespace; no other client can.
    authentication: { anonymous: { enabled: true }, webhook: { enabled: false } },
    authorization: { mode: 'AlwaysAllow' },
    containerRuntimeEndpoint: `unix://${dir}/containerd.sock`,
    cgroupDriver: 'cgroupfs',
    cgroupRoot,
    // This machine mounts cgroup v1, which the kubelet 1.35 refuses unless told (it still runs there).
    failCgroupV1: false,
    failSwapOn: false,
    clusterDNS: [NODE_IP],
    clusterDomain: CLUSTER_DOMAIN,
    // Pods get the cluster DNS only, never the machine's resolvers.
    resolvConf: `${dir}/resolv.conf`,
    podLogsDir: `${dir}/pod-logs`,
    volumePluginDir: `${dir}/volume-plugins`,
    // ConfigMap and Secret volumes follow changes within seconds (the multisite consumer waits for one).
    syncFrequency: '10s',
    serializeImagePulls: false,
    // No eviction or image garbage collection for a busy shared disk: the suite's pods must stay.
    evictionHard: { 'memory.available': '100Mi', 'nodefs.available': '1%', 'imagefs.available': '1%', 'nodefs.inodesFree': '1%' },
    imageGCHighThresholdPercent: 100,
    imageGCLowThresholdPercent: 99,
    rotateCertificates: false,
  });
}

function kubeProxyConfig(kubeconfig: string): string {
  return JSON.stringify({
    apiVersion: 'kubeproxy.config.k8s.io/v1alpha1',
    kind: 'KubeProxyConfiguration',
    clientConnection: { kubeconfig },
    mode: 'iptables',
    clusterCIDR: POD_CIDR,
    hostnameOverride: NODE_NAME,
    bindAddress: NODE_IP,
    healthzBindAddress: '127.0.0.1:10256',
    metricsBindAddress: '127.0.0.1:10249',
    // 0: leave the conntrack sysctls alone (some are the machine's, not the namespace's).
    conntrack: { maxPerCore: 0, min: 0, tcpEstablishedTimeout: '0s', tcpCloseWaitTimeout: '0s' },
  });
}

function corefile(kubeconfig: string): string {
  return `.:53 {
    bind ${NODE_IP}
    errors
    cache 30
    kubernetes ${CLUSTER_DOMAIN} in-addr.arpa ip6.arpa {
        kubeconfig ${kubeconfig}
        pods insecure
        fallthrough in-addr.arpa ip6.arpa
    }
}
`;
}

function readState(dir: string): State | undefined {
  try {
    return JSON.parse(fs.readFileSync(path.join(dir, 'state.json'), 'utf8')) as State;
  } catch {
    return undefined;
  }
}

/** Starts `cmd` detached inside the node's mount namespace, logging to logs/<name>.log; records its pid. */
function startComponent(dir: string, name: string, cmd: string, args: string[]): number {
  const out = fs.openSync(path.join(dir, 'logs', `${name}.log`), 'a');
  const [c, a] = nsenterArgs({ mnt: path.join(dir, 'mnt') }, cmd, args);
  const child = spawn(c, a, { detached: true, stdio: ['ignore', out, out] });
  fs.closeSync(out);
  if (child.pid === undefined) throw new Error(`could not start ${name}`);
  child.unref();
  fs.writeFileSync(path.join(dir, 'pids', `${name}.pid`), String(child.pid));
  return child.pid;
}

/** Throws with the component's log if it has exited. */
function assertRunning(dir: string, name: string): void {
  const pid = Number(fs.readFileSync(path.join(dir, 'pids', `${name}.pid`), 'utf8'));
  if (!isAlive(pid)) throw new Error(`${name} exited:\n${tail(path.join(dir, 'logs', `${name}.log`))}`);
}

function tail(file: string, lines = 40): string {
  if (!fs.existsSync(file)) return `(no ${file})`;
  return fs.readFileSync(file, 'utf8').trimEnd().split('\n').slice(-lines).join('\n');
}

/** Last lines of every node log, for failure reports. */
export function nodeLogs(name: string, lines = 40): string {
  const logs = path.join(nodeStateRoot(), name, 'logs');
  if (!fs.existsSync(logs)) return '(no node logs)';
  return fs
    .readdirSync(logs)
    .map((f) => `--- ${f}\n${tail(path.join(logs, f), lines)}`)
    .join('\n');
}

function tcpOpen(host: string, port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = net.connect({ host, port, timeout: 2000 });
    s.once('connect', () => {
      s.destroy();
      resolve(true);
    });
    s.once('error', () => resolve(false));
    s.once('timeout', () => {
      s.destroy();
      resolve(false);
    });
  });
}

async function waitAsync(what: string, check: () => Promise<boolean>, timeoutMs: number, onTimeout: () => string): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs / 1000}s waiting for ${what}\n${onTimeout()}`);
    await new Promise((r) => setTimeout(r, 500));
  }
}

/**
 * Starts the node `name` against the control plane of `kube` (whose kubeconfig the node's components
 * use), imports `images` into containerd, and waits until the node is Ready, the cluster DNS answers and
 * kube-proxy routes the `kubernetes` Service. Must run inside the suite's network namespace.
 */
export async function startNode(opts: { name: string; kube: Kube; bins: NodeBinaries; images: BuiltImages; log: Log }): Promise<void> {
  const { name, kube, bins, log } = opts;
  const dir = path.join(nodeStateRoot(), name);
  await stopNode(name, log); // a previous run's leftovers of the same name
  await sweepNodes(log);
  for (const d of ['logs', 'pids', 'cni', 'volumes', 'kubelet', 'pod-logs', 'volume-plugins', 'sysctl']) fs.mkdirSync(path.join(dir, d), { recursive: true });
  const cgroupRoot = `/chart-as-code-${name}`;
  const started = Date.now();
  log(`[node] starting ${NODE_NAME} (${name}): cgroup ${cgroupVersion()}, containerd ${run('containerd', ['--version']).split(' ')[2]}, kubelet ${path.basename(bins.kubelet)}`);

  fs.writeFileSync(path.join(dir, 'containerd.toml'), containerdConfig(dir, opts.images.images.pause));
  fs.writeFileSync(path.join(dir, 'cni', '10-chart-as-code.conflist'), cniConfig(dir));
  fs.writeFileSync(path.join(dir, 'kubelet.json'), kubeletConfig(dir, cgroupRoot));
  fs.writeFileSync(path.join(dir, 'kube-proxy.json'), kubeProxyConfig(kube.kubeconfig));
  fs.writeFileSync(path.join(dir, 'Corefile'), corefile(kube.kubeconfig));
  fs.writeFileSync(path.join(dir, 'resolv.conf'), '');

  const mnt = path.join(dir, 'mnt');
  createMountNamespace(mnt);
  // From here on stopNode() finds everything it must undo through state.json.
  const state: State = { name, owner: process.pid, mntInode: namespaceInode(mnt), cgroupRoot };
  fs.writeFileSync(path.join(dir, 'state.json'), JSON.stringify(state, null, 2));
  try {
    createCgroupRoot(cgroupRoot);
    for (const [key, value] of Object.entries(KUBELET_SYSCTLS)) {
      const file = path.join(dir, 'sysctl', key.replace(/\//g, '.'));
      fs.writeFileSync(file, `${value}\n`);
      run(...nsenterArgs({ mnt }, 'mount', ['--bind', file, `/proc/sys/${key}`]));
    }

    const socket = path.join(dir, 'containerd.sock');
    startComponent(dir, 'containerd', 'containerd', ['--config', path.join(dir, 'containerd.toml')]);
    await waitFor('containerd', () => {
      assertRunning(dir, 'containerd');
      return spawnSync('ctr', ['--address', socket, 'version']).status === 0 ? true : undefined;
    }, 60_000);

    const importStarted = Date.now();
    run('ctr', ['--address', socket, '--namespace', 'k8s.io', 'images', 'import', opts.images.archive]);
    const importSeconds = Math.round((Date.now() - importStarted) / 1000);
    log(`[node] imported ${Object.keys(opts.images.images).length} images in ${importSeconds}s`);

    startComponent(dir, 'kubelet', bins.kubelet, [
      `--config=${path.join(dir, 'kubelet.json')}`,
      `--kubeconfig=${kube.kubeconfig}`,
      `--root-dir=${path.join(dir, 'kubelet')}`,
      `--hostname-override=${NODE_NAME}`,
      `--node-ip=${NODE_IP}`,
    ]);
    await waitFor('the node to register', () => {
      assertRunning(dir, 'kubelet');
      return kubectl(kube, ['get', 'node', NODE_NAME]).code === 0 ? true : undefined;
    }, 120_000);
    startComponent(dir, 'kube-proxy', bins['kube-proxy'], [`--config=${path.join(dir, 'kube-proxy.json')}`]);
    startComponent(dir, 'coredns', bins.coredns, ['-conf', path.join(dir, 'Corefile')]);
    // The namespace has no default route: the node (and the tests) reach Services through this one.
    run('ip', ['route', 'replace', SERVICE_CIDR, 'dev', 'lo', 'src', NODE_IP]);
    const r = kubectl(kube, ['wait', '--for=condition=Ready', `node/${NODE_NAME}`, '--timeout=120s'], { timeoutMs: 150_000 });
    if (r.code !== 0) throw new Error(`node ${NODE_NAME} not Ready: ${r.stderr}`);

    const resolver = new dns.promises.Resolver({ timeout: 2000, tries: 1 });
    resolver.setServers([NODE_IP]);
    const kubernetesName = `kubernetes.default.svc.${CLUSTER_DOMAIN}`;
    await waitAsync(
      `the cluster DNS to resolve ${kubernetesName}`,
      async () => {
        assertRunning(dir, 'coredns');
        return (await resolver.resolve4(kubernetesName).catch((): string[] => [])).includes(KUBERNETES_SERVICE_IP);
      },
      60_000,
      () => tail(path.join(dir, 'logs', 'coredns.log')),
    );
    await waitAsync(
      `kube-proxy to route ${KUBERNETES_SERVICE_IP}:443`,
      async () => {
        assertRunning(dir, 'kube-proxy');
        return tcpOpen(KUBERNETES_SERVICE_IP, 443);
      },
      60_000,
      () => tail(path.join(dir, 'logs', 'kube-proxy.log')),
    );
    const startSeconds = Math.round((Date.now() - started) / 1000);
    log(`[node] ${NODE_NAME} Ready in ${startSeconds}s (pods ${POD_CIDR}, services ${SERVICE_CIDR}, DNS ${NODE_IP})`);
  } catch (err) {
    log(`[node] start failed: ${err instanceof Error ? err.message : String(err)}\n${nodeLogs(name)}`);
    await stopNode(name, log);
    throw err;
  }
}

/** Processes of the node: in its mount namespace (components, shims) or its cgroups (containers). */
export function nodeProcesses(state: { mntInode: number; cgroupRoot: string }): number[] {
  return [...new Set([...membersOf('mnt', state.mntInode), ...cgroupMembers(state.cgroupRoot)])].filter((p) => p !== process.pid);
}

function kill(pids: number[], signal: NodeJS.Signals): void {
  for (const pid of pids) {
    try {
      process.kill(pid, signal);
    } catch {
      // already gone
    }
  }
}

/**
 * Stops node `name`: SIGTERM to the kubelet first (so it restarts nothing), then every process of the
 * node, SIGKILL to what is left after 10s; releases the mount namespace (and with it every mount of
 * the node), removes the cgroups and the state directory. Throws if a process survives.
 */
export async function stopNode(name: string, log: Log = (l) => process.stdout.write(`${l}\n`)): Promise<void> {
  const dir = path.join(nodeStateRoot(), name);
  const state = readState(dir);
  if (!fs.existsSync(dir)) return;
  const started = Date.now();
  if (state) {
    const kubeletPid = path.join(dir, 'pids', 'kubelet.pid');
    if (fs.existsSync(kubeletPid)) kill([Number(fs.readFileSync(kubeletPid, 'utf8'))], 'SIGTERM');
    kill(nodeProcesses(state), 'SIGTERM');
    const deadline = Date.now() + 10_000;
    while (nodeProcesses(state).length > 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 200));
    for (let i = 0; i < 20 && nodeProcesses(state).length > 0; i++) {
      kill(nodeProcesses(state), 'SIGKILL');
      await new Promise((r) => setTimeout(r, 250));
    }
    const left = nodeProcesses(state);
    if (left.length > 0) throw new Error(`node ${name}: processes survive SIGKILL: ${left.join(', ')}`);
    releaseNamespace(path.join(dir, 'mnt'));
    for (const cg of cgroupDirs(state.cgroupRoot)) {
      try {
        fs.rmdirSync(cg);
      } catch (err) {
        log(`[node] could not remove cgroup ${cg}: ${(err as Error).message}`);
      }
    }
  }
  fs.rmSync(dir, { recursive: true, force: true });
  log(`[node] ${name} stopped in ${((Date.now() - started) / 1000).toFixed(1)}s`);
}

/** Stops nodes whose owning process is gone (a crashed or killed run). */
export async function sweepNodes(log: Log): Promise<void> {
  const root = nodeStateRoot();
  if (!fs.existsSync(root)) return;
  for (const name of fs.readdirSync(root)) {
    const state = readState(path.join(root, name));
    if (state && !isAlive(state.owner)) {
      log(`[node] stopping stale node ${name} (owner ${state.owner} is gone)`);
      await stopNode(name, log);
    }
  }
}

/** Processes still running of nodes whose owner has exited (what a run left behind), for leak checks. */
export function orphanedNodeProcesses(): { node: string; pid: number }[] {
  const root = nodeStateRoot();
  if (!fs.existsSync(root)) return [];
  return fs.readdirSync(root).flatMap((name) => {
    const state = readState(path.join(root, name));
    if (!state || isAlive(state.owner)) return [];
    return nodeProcesses(state).map((pid) => ({ node: name, pid }));
  });
}

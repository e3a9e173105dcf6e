/**
 * A dynamic volume provisioner for the test cluster, as a cloud or CSI provisioner would be on a real
 * one: the default StorageClass `standard` names provisioner chart-as-code.test/hostpath, and this
 * process creates a PersistentVolume for every claim of that class waiting for one (the
 * kube-controller-manager's PV controller marks them with volume.kubernetes.io/storage-provisioner, and
 * binds them once the volume exists). It deletes the volumes it made once their claim is gone
 * (reclaimPolicy Delete). With kwok no node mounts anything: the volumes are hostPath stubs. For a real
 * node (`--local <dir> --node <name>`, the pod suite) each volume is a directory under <dir>, served as a
 * `local` PersistentVolume of that node: the kubelet mounts it and applies the pod's fsGroup, as it does
 * for the volumes of a real storage driver; the directory goes with the volume.
 *
 * Run detached by cluster.ts (`tsx provisioner.ts <kubeconfig> [--local <dir> --node <name>]`); it talks to the apiserver directly
 * (HTTPS with the kubeconfig's client certificate, a watch per resource) and exits once the apiserver
 * has been unreachable for a minute.
 */
import * as fs from 'node:fs';
import * as https from 'node:https';
import YAML from 'yaml';

export const PROVISIONER = 'chart-as-code.test/hostpath';
export const STORAGE_CLASS = 'standard';

/** The default StorageClass the provisioner serves (created by cluster.ts). */
export function storageClassManifest(): Record<string, unknown> {
  return {
    apiVersion: 'storage.k8s.io/v1',
    kind: 'StorageClass',
    metadata: { name: STORAGE_CLASS, annotations: { 'storageclass.kubernetes.io/is-default-class': 'true' } },
    provisioner: PROVISIONER,
    reclaimPolicy: 'Delete',
    volumeBindingMode: 'Immediate',
    allowVolumeExpansion: true,
  };
}

interface Conn {
  server: URL;
  agent: https.Agent;
}

function connect(kubeconfigPath: string): Conn {
  const kc = YAML.parse(fs.readFileSync(kubeconfigPath, 'utf8')) as {
    'current-context': string;
    contexts: { name: string; context: { cluster: string; user: string } }[];
    clusters: { name: string; cluster: Record<string, string> }[];
    users: { name: string; user: Record<string, string> }[];
  };
  const ctx = kc.contexts.find((c) => c.name === kc['current-context'])!.context;
  const cluster = kc.clusters.find((c) => c.name === ctx.cluster)!.cluster;
  const user = kc.users.find((u) => u.name === ctx.user)!.user;
  const pem = (data?: string, file?: string): Buffer | undefined => (data ? Buffer.from(data, 'base64') : file ? fs.readFileSync(file) : undefined);
  return {
    server: new URL(cluster.server!),
    agent: new https.Agent({
      ca: pem(cluster['certificate-authority-data'], cluster['certificate-authority']),
      cert: pem(user['client-certificate-data'], user['client-certificate']),
      key: pem(user['client-key-data'], user['client-key']),
      keepAlive: true,
    }),
  };
}

function request(conn: Conn, method: string, path: string, body?: unknown): Promise<{ status: number; json: unknown }> {
  return new Promise((resolve, reject) => {
    const req = https.request(
      new URL(path, conn.server),
      { method, agent: conn.agent, headers: { 'content-type': 'application/json', accept: 'application/json' }, timeout: 30_000 },
      (res) => {
        let text = '';
        res.setEncoding('utf8');
        res.on('data', (c: string) => (text += c));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, json: text ? (JSON.parse(text) as unknown) : undefined }));
      },
    );
    req.on('error', reject);
    req.on('timeout', () => req.destroy(new Error('timeout')));
    if (body !== undefined) req.write(JSON.stringify(body));
    req.end();
  });
}

/** Streams watch events of `path` (a list URL) to `onEvent` until the connection ends. */
function watch(conn: Conn, path: string, onEvent: (type: string, obj: Record<string, any>) => void): Promise<void> {
  return new Promise((resolve, reject) => {
    const req = https.request(new URL(`${path}?watch=1&allowWatchBookmarks=false`, conn.server), { agent: conn.agent }, (res) => {
      if (res.statusCode !== 200) {
        res.resume();
        reject(new Error(`watch ${path}: HTTP ${res.statusCode}`));
        return;
      }
      let pending = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => {
        pending += chunk;
        let i: number;
        while ((i = pending.indexOf('\n')) >= 0) {
          const line = pending.slice(0, i);
          pending = pending.slice(i + 1);
          if (!line.trim()) continue;
          const ev = JSON.parse(line) as { type: string; object: Record<string, any> };
          onEvent(ev.type, ev.object);
        }
      });
      res.on('end', resolve);
      res.on('error', reject);
    });
    req.on('error', reject);
    req.end();
  });
}

function log(line: string): void {
  process.stdout.write(`${new Date().toISOString()} ${line}\n`);
}

/** Where volumes live on a real node: a directory per volume under `dir`, on node `node`. */
interface LocalVolumes {
  dir: string;
  node: string;
}

function volumeSource(pvName: string, local: LocalVolumes | undefined): Record<string, unknown> {
  if (!local) return { hostPath: { path: `/var/lib/chart-as-code-test/${pvName}`, type: 'DirectoryOrCreate' } };
  const dir = `${local.dir}/${pvName}`;
  fs.mkdirSync(dir, { recursive: true, mode: 0o755 });
  return {
    local: { path: dir },
    nodeAffinity: { required: { nodeSelectorTerms: [{ matchExpressions: [{ key: 'kubernetes.io/hostname', operator: 'In', values: [local.node] }] }] } },
  };
}

async function provision(conn: Conn, pvc: Record<string, any>, local: LocalVolumes | undefined): Promise<void> {
  const ns = pvc.metadata.namespace as string;
  const name = pvc.metadata.name as string;
  const ann = (pvc.metadata.annotations ?? {}) as Record<string, string>;
  const by = ann['volume.kubernetes.io/storage-provisioner'] ?? ann['volume.beta.kubernetes.io/storage-provisioner'];
  if (by !== PROVISIONER || pvc.status?.phase !== 'Pending' || pvc.spec.volumeName || pvc.metadata.deletionTimestamp) return;
  const pvName = `pvc-${pvc.metadata.uid as string}`;
  const pv = {
    apiVersion: 'v1',
    kind: 'PersistentVolume',
    metadata: { name: pvName, annotations: { 'pv.kubernetes.io/provisioned-by': PROVISIONER } },
    spec: {
      capacity: { storage: pvc.spec.resources?.requests?.storage ?? '1Gi' },
      accessModes: pvc.spec.accessModes ?? ['ReadWriteOnce'],
      volumeMode: pvc.spec.volumeMode ?? 'Filesystem',
      persistentVolumeReclaimPolicy: 'Delete',
      storageClassName: pvc.spec.storageClassName,
      claimRef: { apiVersion: 'v1', kind: 'PersistentVolumeClaim', namespace: ns, name, uid: pvc.metadata.uid },
      ...volumeSource(pvName, local),
    },
  };
  const r = await request(conn, 'POST', '/api/v1/persistentvolumes', pv);
  if (r.status === 201) log(`provisioned ${pvName} for ${ns}/${name} (${pv.spec.capacity.storage})`);
  else if (r.status !== 409) log(`creating ${pvName} for ${ns}/${name}: HTTP ${r.status} ${JSON.stringify(r.json)}`);
}

async function reclaim(conn: Conn, pv: Record<string, any>): Promise<void> {
  if (pv.metadata.annotations?.['pv.kubernetes.io/provisioned-by'] !== PROVISIONER) return;
  if (pv.status?.phase !== 'Released' || pv.spec.persistentVolumeReclaimPolicy !== 'Delete' || pv.metadata.deletionTimestamp) return;
  const r = await request(conn, 'DELETE', `/api/v1/persistentvolumes/${pv.metadata.name as string}`);
  if (r.status === 200 || r.status === 202) {
    if (pv.spec.local?.path) fs.rmSync(pv.spec.local.path as string, { recursive: true, force: true });
    log(`deleted released ${pv.metadata.name as string}`);
  }
}

async function loop(kind: 'persistentvolumeclaims' | 'persistentvolumes', conn: Conn, handle: (obj: Record<string, any>) => Promise<void>): Promise<never> {
  let lastOk = Date.now();
  for (;;) {
    try {
      await watch(conn, `/api/v1/${kind}`, (type, obj) => {
        lastOk = Date.now();
        if (type === 'ADDED' || type === 'MODIFIED') handle(obj).catch((err: unknown) => log(`${kind}: ${String(err)}`));
      });
      lastOk = Date.now(); // the apiserver closed the watch normally; start another
    } catch (err) {
      if (Date.now() - lastOk > 60_000) {
        log(`apiserver unreachable for a minute (${String(err)}); exiting`);
        process.exit(0);
      }
      await new Promise((r) => setTimeout(r, 1000));
    }
  }
}

if (require.main === module) {
  const [kubeconfig, ...rest] = process.argv.slice(2);
  const flag = (name: string): string | undefined => {
    const i = rest.indexOf(name);
    return i >= 0 ? rest[i + 1] : undefined;
  };
  const localDir = flag('--local');
  const node = flag('--node');
  if (!kubeconfig || (localDir === undefined) !== (node === undefined)) {
    process.stderr.write('usage: provisioner.ts <kubeconfig> [--local <dir> --node <name>]\n');
    process.exit(2);
  }
  const local = localDir && node ? { dir: localDir, node } : undefined;
  const conn = connect(kubeconfig);
  log(`provisioner ${PROVISIONER} watching ${conn.server.origin}${local ? `; local volumes of node ${local.node} under ${local.dir}` : ''}`);
  void loop('persistentvolumeclaims', conn, (pvc) => provision(conn, pvc, local));
  void loop('persistentvolumes', conn, (pv) => reclaim(conn, pv));
  process.on('SIGTERM', () => process.exit(0));
}

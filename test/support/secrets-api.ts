/**
 * A stand-in for the part of the Kubernetes API the credential generator uses, on 127.0.0.1, so the
 * main suite runs the real generator script with the real kubectl (the cluster suite runs it against a
 * real kube-apiserver). It serves discovery for core/v1 Secrets and GET and merge PATCH of Secrets in
 * one namespace, with the semantics the script relies on: resourceVersion preconditions (409 on a
 * stale one), `null` deleting a key, bearer-token authentication (over TLS with a throwaway
 * certificate: client-go sends no token over plain HTTP), and an RBAC-like list of the names the token
 * may touch (403 otherwise). Every request is logged for the tests to inspect.
 */
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as https from 'node:https';
import type { AddressInfo } from 'node:net';
import * as os from 'node:os';
import * as path from 'node:path';

export interface StoredSecret {
  metadata: { name: string; namespace: string; resourceVersion: string; annotations?: Record<string, string>; labels?: Record<string, string> };
  data?: Record<string, string>;
}

export interface RequestRecord {
  method: string;
  path: string;
  body?: unknown;
  status: number;
}

export interface SecretsApi {
  readonly url: string;
  /** PEM of the server's self-signed certificate, for the client to trust. */
  readonly ca: string;
  readonly namespace: string;
  readonly token: string;
  readonly requests: RequestRecord[];
  /** Create or replace a Secret (a new resourceVersion). */
  put(name: string, secret: { annotations?: Record<string, string>; labels?: Record<string, string>; data?: Record<string, string> }): void;
  get(name: string): StoredSecret | undefined;
  /** Run `fn` once, right before the next PATCH of `name` is applied: a concurrent writer. */
  beforeNextPatch(name: string, fn: () => void): void;
  /** Names the token may get and patch (everything when undefined). */
  allowed?: string[];
  close(): Promise<void>;
}

const json = (res: import('node:http').ServerResponse, status: number, body: unknown) => {
  res.writeHead(status, { 'Content-Type': 'application/json' });
  res.end(JSON.stringify(body));
};

const status = (code: number, reason: string, message: string) => ({ kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Failure', message, reason, code });

/** A throwaway self-signed certificate for 127.0.0.1. */
function selfSigned(): { key: string; cert: string } {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'stand-in-tls-'));
  try {
    execFileSync('openssl', ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-days', '1', '-subj', '/CN=127.0.0.1',
      '-addext', 'subjectAltName=IP:127.0.0.1', '-keyout', path.join(dir, 'key.pem'), '-out', path.join(dir, 'cert.pem')], { stdio: 'ignore' });
    return { key: fs.readFileSync(path.join(dir, 'key.pem'), 'utf8'), cert: fs.readFileSync(path.join(dir, 'cert.pem'), 'utf8') };
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

export async function startSecretsApi(namespace = 'team-ns'): Promise<SecretsApi> {
  const tls = selfSigned();
  const secrets = new Map<string, StoredSecret>();
  const hooks = new Map<string, () => void>();
  const requests: RequestRecord[] = [];
  const token = 'stand-in-token';
  let version = 100;

  const api: SecretsApi = {
    url: '',
    ca: tls.cert,
    namespace,
    token,
    requests,
    put(name, s) {
      secrets.set(name, { metadata: { name, namespace, resourceVersion: String(++version), annotations: s.annotations, labels: s.labels }, data: s.data });
    },
    get: (name) => secrets.get(name),
    beforeNextPatch: (name, fn) => hooks.set(name, fn),
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };

  const resourceList = {
    kind: 'APIResourceList',
    apiVersion: 'v1',
    groupVersion: 'v1',
    resources: [{ name: 'secrets', singularName: 'secret', namespaced: true, kind: 'Secret', verbs: ['get', 'patch'] }],
  };

  const server = https.createServer({ key: tls.key, cert: tls.cert }, (req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const path = (req.url ?? '').split('?')[0]!;
      const text = Buffer.concat(chunks).toString('utf8');
      const record: RequestRecord = { method: req.method ?? '', path, body: text ? (JSON.parse(text) as unknown) : undefined, status: 200 };
      requests.push(record);
      const reply = (code: number, body: unknown) => {
        record.status = code;
        json(res, code, body);
      };
      if (req.headers.authorization !== `Bearer ${token}`) return reply(401, status(401, 'Unauthorized', 'Unauthorized'));
      if (path === '/api') return reply(200, { kind: 'APIVersions', versions: ['v1'], serverAddressByClientCIDRs: [] });
      if (path === '/apis') return reply(200, { kind: 'APIGroupList', apiVersion: 'v1', groups: [] });
      if (path === '/api/v1') return reply(200, resourceList);
      const m = /^\/api\/v1\/namespaces\/([^/]+)\/secrets\/([^/]+)$/.exec(path);
      if (!m) return reply(404, status(404, 'NotFound', `the server could not find the requested resource (${path})`));
      const [, ns, name] = m as unknown as [string, string, string];
      if (ns !== namespace || (api.allowed && !api.allowed.includes(name))) {
        return reply(403, status(403, 'Forbidden', `secrets "${name}" is forbidden: User "system:serviceaccount:${namespace}:generator" cannot ${req.method?.toLowerCase()} resource "secrets" in API group "" in the namespace "${ns}"`));
      }
      const current = secrets.get(name);
      if (!current) return reply(404, status(404, 'NotFound', `secrets "${name}" not found`));
      if (req.method === 'GET') return reply(200, { apiVersion: 'v1', kind: 'Secret', type: 'Opaque', ...current });
      if (req.method !== 'PATCH') return reply(405, status(405, 'MethodNotAllowed', 'the server does not allow this method'));
      if (req.headers['content-type'] !== 'application/merge-patch+json') return reply(415, status(415, 'UnsupportedMediaType', 'merge patch only'));
      const hook = hooks.get(name);
      if (hook) {
        hooks.delete(name);
        hook();
      }
      const latest = secrets.get(name)!;
      const patch = record.body as { metadata?: { resourceVersion?: string }; data?: Record<string, string | null> };
      const precondition = patch.metadata?.resourceVersion;
      if (precondition !== undefined && precondition !== latest.metadata.resourceVersion) {
        return reply(
          409,
          status(409, 'Conflict', `Operation cannot be fulfilled on secrets "${name}": the object has been modified; please apply your changes to the latest version and try again`),
        );
      }
      const data = { ...(latest.data ?? {}) };
      for (const [k, v] of Object.entries(patch.data ?? {})) {
        if (v === null) delete data[k];
        else data[k] = v;
      }
      const updated: StoredSecret = { ...latest, metadata: { ...latest.metadata, resourceVersion: String(++version) }, data };
      secrets.set(name, updated);
      return reply(200, { apiVersion: 'v1', kind: 'Secret', type: 'Opaque', ...updated });
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  (api as { url: string }).url = `https://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return api;
}

/** A kubeconfig for the stand-in: its URL, token and namespace. */
export function standInKubeconfig(api: SecretsApi): string {
  return JSON.stringify({
    apiVersion: 'v1',
    kind: 'Config',
    clusters: [{ name: 'stand-in', cluster: { server: api.url, 'certificate-authority-data': Buffer.from(api.ca).toString('base64') } }],
    users: [{ name: 'generator', user: { token: api.token } }],
    contexts: [{ name: 'stand-in', context: { cluster: 'stand-in', user: 'generator', namespace: api.namespace } }],
    'current-context': 'stand-in',
  });
}

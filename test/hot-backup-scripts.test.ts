/**
 * The hot-backup Jobs' scripts, run for real under sh with curl against a stand-in MetaDefender REST API
 * on 127.0.0.1: the export lands atomically with its marker, the import waits for it and posts it back;
 * the credentials come from the files of the Secret volume.
 */
import { execFileSync, spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as http from 'node:http';
import * as https from 'node:https';
import { AddressInfo } from 'node:net';
import * as os from 'node:os';
import * as path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { hotBackupScripts } from '../lib/constructs/features/hot-backup';

const CONFIG = Buffer.from('PK\u0003\u0004 exported configuration \u0000\u00ff');

interface Received {
  readonly body: Buffer;
  readonly contentType: string | undefined;
}

let server: http.Server;
let port = 0;
/** The same API over TLS, with a self-signed certificate for 127.0.0.1 (the product serves its own). */
let tlsServer: https.Server;
let tlsPort = 0;
let certFile = '';
let ready = true;
const imports: Received[] = [];

function authorized(req: http.IncomingMessage): boolean {
  return req.headers.apikey === 'the-key' && req.headers.password === 'the-password';
}

function handle(req: http.IncomingMessage, res: http.ServerResponse): void {
  const chunks: Buffer[] = [];
  req.on('data', (c: Buffer) => chunks.push(c));
  req.on('end', () => {
    if (req.url === '/readyz') {
      res.writeHead(ready ? 200 : 503).end();
    } else if (!authorized(req)) {
      res.writeHead(401).end();
    } else if (req.method === 'GET' && req.url === '/admin/export/v2') {
      res.writeHead(200, { 'Content-Type': 'application/zip' }).end(CONFIG);
    } else if (req.method === 'POST' && req.url === '/admin/import/v2') {
      imports.push({ body: Buffer.concat(chunks), contentType: req.headers['content-type'] });
      res.writeHead(200).end('{}');
    } else {
      res.writeHead(404).end();
    }
  });
}

/** A self-signed certificate for 127.0.0.1: its key and the file of the certificate. */
function selfSigned(): { key: string; certFile: string } {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'backup-tls-'));
  execFileSync('openssl', ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-days', '1', '-subj', '/CN=127.0.0.1',
    '-addext', 'subjectAltName=IP:127.0.0.1', '-keyout', path.join(dir, 'key.pem'), '-out', path.join(dir, 'cert.pem')], { stdio: 'ignore' });
  return { key: fs.readFileSync(path.join(dir, 'key.pem'), 'utf8'), certFile: path.join(dir, 'cert.pem') };
}

beforeAll(async () => {
  server = http.createServer(handle);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  port = (server.address() as AddressInfo).port;
  const tls = selfSigned();
  certFile = tls.certFile;
  tlsServer = https.createServer({ key: tls.key, cert: fs.readFileSync(certFile) }, handle);
  await new Promise<void>((resolve) => tlsServer.listen(0, '127.0.0.1', resolve));
  tlsPort = (tlsServer.address() as AddressInfo).port;
});

afterAll(() => Promise.all([server, tlsServer].map((s) => new Promise<void>((resolve) => s.close(() => resolve())))));

/** The Secret volume's files, as the Jobs' pods mount them. */
function secretsDir(apiKey: string): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'backup-secrets-'));
  fs.writeFileSync(path.join(dir, 'apikey'), apiKey);
  fs.writeFileSync(path.join(dir, 'password'), 'the-password');
  return dir;
}

function run(script: string, opts: { waitSeconds?: number; tls?: string; target?: string } = {}): Promise<{ code: number | null; output: string }> {
  return new Promise((resolve) => {
    const scheme = opts.tls === undefined ? { SCHEME: 'http', PORT: String(port), CURL_TLS: '--cacert /nonexistent/ca.crt' } : { SCHEME: 'https', PORT: String(tlsPort), CURL_TLS: opts.tls };
    const child = spawn('sh', ['-c', script], {
      env: { PATH: process.env.PATH ?? '', TARGET: opts.target ?? '127.0.0.1', ...scheme, WAIT_SECONDS: String(opts.waitSeconds ?? 30) },
    });
    let output = '';
    child.stdout.on('data', (d: Buffer) => (output += d.toString()));
    child.stderr.on('data', (d: Buffer) => (output += d.toString()));
    const timer = setTimeout(() => child.kill('SIGKILL'), 60_000);
    child.on('exit', (code) => {
      clearTimeout(timer);
      resolve({ code, output });
    });
  });
}

const tempDir = () => fs.mkdtempSync(path.join(os.tmpdir(), 'backup-'));

describe('hot backup scripts', () => {
  it('export writes the configuration and its marker; import waits for the marker, posts it, and clears it', async () => {
    const dir = tempDir();
    const scripts = hotBackupScripts(dir, secretsDir('the-key'));
    imports.length = 0;
    // The import starts first, as it may in raw mode: it must wait for the export.
    const importRun = run(scripts.import);
    await new Promise((r) => setTimeout(r, 1000));
    expect(imports).toHaveLength(0);
    const exported = await run(scripts.export);
    expect(exported.output).toContain('exported the configuration');
    expect(exported.code).toBe(0);
    expect(fs.readFileSync(path.join(dir, 'config.zip'))).toEqual(CONFIG);
    const imported = await importRun;
    expect(imported.output).toContain('imported the configuration');
    expect(imported.code).toBe(0);
    expect(imports).toEqual([{ body: CONFIG, contentType: 'application/octet-stream' }]);
    expect(fs.existsSync(path.join(dir, 'export.done'))).toBe(false);
  });

  it('fails the export on a wrong API key and leaves no marker behind', async () => {
    const dir = tempDir();
    const r = await run(hotBackupScripts(dir, secretsDir('wrong')).export);
    expect(r.code).not.toBe(0);
    expect(fs.readdirSync(dir).filter((f) => f !== 'config.zip.part')).toEqual([]);
  });

  it('gives up waiting for a product that never gets ready, within its bound', async () => {
    ready = false;
    try {
      const started = Date.now();
      const r = await run(hotBackupScripts(tempDir(), secretsDir('the-key')).export, { waitSeconds: 5 });
      expect(r.code).toBe(1);
      expect(r.output).toContain('not ready');
      expect(Date.now() - started).toBeLessThan(20_000);
    } finally {
      ready = true;
    }
  });

  it('with nothing deployed yet (the name does not resolve: an Argo CD first sync) exports nothing, and the import then imports nothing', async () => {
    const dir = tempDir();
    const scripts = hotBackupScripts(dir, secretsDir('the-key'));
    imports.length = 0;
    const exported = await run(scripts.export, { target: 'nothing-deployed.invalid' });
    expect(exported, exported.output).toMatchObject({ code: 0 });
    expect(exported.output).toContain('nothing to export');
    expect(fs.readdirSync(dir)).toEqual(['export.none']);
    const imported = await run(scripts.import, { waitSeconds: 5 });
    expect(imported, imported.output).toMatchObject({ code: 0 });
    expect(imported.output).toContain('nothing to import');
    expect(imports).toEqual([]);
    expect(fs.readdirSync(dir)).toEqual([]);
    // The next export, with the product deployed, exports again.
    const next = await run(scripts.export);
    expect(next.code, next.output).toBe(0);
    expect(fs.readdirSync(dir).sort()).toEqual(['config.zip', 'export.done']);
  });

  it('gives up on an import with no export to import', async () => {
    const r = await run(hotBackupScripts(tempDir(), secretsDir('the-key')).import, { waitSeconds: 5 });
    expect(r.code).toBe(1);
    expect(r.output).toContain('no export to import');
  });
});

describe('hot backup over TLS', () => {
  it('verifies the certificate against the given CA file (the product\'s own certificate by default)', async () => {
    const dir = tempDir();
    const r = await run(hotBackupScripts(dir, secretsDir('the-key')).export, { tls: `--cacert ${certFile}` });
    expect(r.code, r.output).toBe(0);
    expect(fs.readFileSync(path.join(dir, 'config.zip'))).toEqual(CONFIG);
  });

  it('refuses a certificate it cannot verify: never gets past the readiness wait, sends no credential', async () => {
    const dir = tempDir();
    const other = selfSigned().certFile;
    const r = await run(hotBackupScripts(dir, secretsDir('the-key')).export, { tls: `--cacert ${other}`, waitSeconds: 5 });
    expect(r.code).toBe(1);
    expect(r.output).toContain('not ready');
    expect(fs.readdirSync(dir)).toEqual([]);
  });

  it('skips verification only when told to (hotBackup.tls.insecureSkipVerify)', async () => {
    const r = await run(hotBackupScripts(tempDir(), secretsDir('the-key')).export, { tls: '--insecure' });
    expect(r.code, r.output).toBe(0);
  });
});

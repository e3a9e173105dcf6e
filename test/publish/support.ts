/**
 * Real components for the publishing tests, on 127.0.0.1 only: a static HTTP server, a Docker registry
 * (Debian docker-registry), throwaway GnuPG keys, isolated helm homes, and a scratch copy of a chart.
 */
import { ChildProcess, spawn, spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as net from 'node:net';
import * as os from 'node:os';
import * as path from 'node:path';
import { HelmMajor, HelmResult, repoRoot, runHelm } from '../../lib/tooling/helm';
import { Output } from '../../lib/publish/cli';
import { K8sObject, maskNondeterministic, parseManifests } from '../../lib/publish/objects';

export const ROOT = repoRoot();
export const CHARTS_DIR = path.join(ROOT, 'charts');

export function tempDir(prefix: string): string {
  return fs.mkdtempSync(path.join(os.tmpdir(), `publish-${prefix}-`));
}

/** Chart folders of the repository (every chart is published). */
export function sourceCharts(): { name: string; version: string; dir: string }[] {
  return fs
    .readdirSync(CHARTS_DIR)
    .filter((d) => fs.existsSync(path.join(CHARTS_DIR, d, 'Chart.yaml')))
    .sort()
    .map((d) => {
      const text = fs.readFileSync(path.join(CHARTS_DIR, d, 'Chart.yaml'), 'utf8');
      return {
        name: /^name:\s*(\S+)/m.exec(text)![1]!.replace(/["']/g, ''),
        version: /^version:\s*(\S+)/m.exec(text)![1]!.replace(/["']/g, ''),
        dir: path.join(CHARTS_DIR, d),
      };
    });
}

/** A copy of charts/<name> in a fresh charts folder, to modify. */
export function copyChart(name: string, parent: string): { chartsDir: string; chartDir: string } {
  const chartsDir = fs.mkdtempSync(path.join(parent, 'charts-'));
  const chartDir = path.join(chartsDir, name);
  fs.cpSync(path.join(CHARTS_DIR, name), chartDir, { recursive: true });
  return { chartsDir, chartDir };
}

/** Replaces text in a file, failing loudly if the text is not there (the chart changed under us). */
export function edit(file: string, from: string | RegExp, to: string): void {
  const text = fs.readFileSync(file, 'utf8');
  const next = text.replace(from, to);
  if (next === text) throw new Error(`edit of ${file}: ${String(from)} not found`);
  fs.writeFileSync(file, next);
}

export function setChartVersion(chartDir: string, version: string): void {
  edit(path.join(chartDir, 'Chart.yaml'), /^version:.*$/m, `version: ${version}`);
}

/** Collects command output instead of printing it. */
export function captureOutput(): Output & { lines: string[]; errors: string[]; text(): string } {
  const lines: string[] = [];
  const errors: string[] = [];
  return {
    lines,
    errors,
    info: (l) => lines.push(l),
    error: (l) => errors.push(l),
    text: () => [...lines, ...errors].join('\n'),
  };
}

/** Helm environment confined to `dir` (repositories, cache, registry logins). */
export function helmHome(dir: string): Record<string, string> {
  return {
    HELM_CONFIG_HOME: path.join(dir, 'config'),
    HELM_CACHE_HOME: path.join(dir, 'cache'),
    HELM_DATA_HOME: path.join(dir, 'data'),
    HELM_REGISTRY_CONFIG: path.join(dir, 'config', 'registry', 'config.json'),
  };
}

export function helmOk(major: HelmMajor, args: string[], env: Record<string, string>): string {
  const r: HelmResult = runHelm(major, args, { env });
  if (r.code !== 0) throw new Error(`helm ${major} ${args.join(' ')} failed:\n${r.stderr}${r.stdout}`);
  return r.stdout;
}

/** Two renders of the same chart reference with nondeterministic values masked. */
export function stableRender(major: HelmMajor, args: string[], env: Record<string, string>): K8sObject[] {
  const render = (): K8sObject[] => parseManifests(helmOk(major, ['template', 'rel', ...args, '--namespace', 'team-ns'], env));
  return maskNondeterministic(render(), render(), 'team-ns');
}

// ---- system packages ---------------------------------------------------------------------------------------

/**
 * Makes `binary` available, installing Debian package `pkg` when it is missing and we are root.
 * Throws (never skips) when that is impossible, so a missing tool fails the test run visibly.
 */
export function ensureInstalled(binary: string, pkg: string): string {
  const find = (): string | undefined =>
    [binary, ...(process.env.PATH ?? '').split(':').map((d) => path.join(d, binary))].find(
      (p) => path.isAbsolute(p) && fs.existsSync(p),
    );
  const found = find();
  if (found) return found;
  if (process.getuid?.() !== 0 || !fs.existsSync('/usr/bin/apt-get')) {
    throw new Error(`${binary} is required; install the Debian package ${pkg} (apt-get install -y ${pkg})`);
  }
  const apt = (args: string[]): ReturnType<typeof spawnSync> =>
    spawnSync('apt-get', ['-o', 'DPkg::Lock::Timeout=300', ...args], {
      env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive' },
      encoding: 'utf8',
      timeout: 10 * 60_000,
    });
  let r = apt(['install', '-y', '--no-install-recommends', pkg]);
  if (r.status !== 0) {
    apt(['update']);
    r = apt(['install', '-y', '--no-install-recommends', pkg]);
  }
  const installed = find();
  if (!installed) throw new Error(`could not install ${pkg} for ${binary}:\n${String(r.stderr)}`);
  return installed;
}

// ---- network ---------------------------------------------------------------------------------------------

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

export interface StaticServer {
  url: string;
  /** Paths requested so far ("/charts/index.yaml", ...). */
  requests(): string[];
  close(): Promise<void>;
}

// Runs in a child process: helm is run with spawnSync, which blocks this process's event loop, so an
// in-process server could never answer it.
const STATIC_SERVER = `
const fs = require('node:fs'), http = require('node:http'), path = require('node:path');
const root = path.resolve(process.argv[1]);
const server = http.createServer((req, res) => {
  const urlPath = decodeURIComponent(new URL(req.url || '/', 'http://x').pathname);
  process.stderr.write(urlPath + '\\n');
  const file = path.join(root, path.normalize(urlPath));
  let ok = false;
  try { ok = file.startsWith(root + path.sep) && fs.statSync(file).isFile() && req.method === 'GET'; } catch {}
  if (!ok) { res.writeHead(404, { 'content-type': 'text/plain' }).end('not found'); return; }
  const type = file.endsWith('.yaml') ? 'application/yaml' : file.endsWith('.tgz') ? 'application/gzip' : 'application/octet-stream';
  res.writeHead(200, { 'content-type': type, 'content-length': fs.statSync(file).size });
  fs.createReadStream(file).pipe(res);
});
server.keepAliveTimeout = 1000;
server.listen(0, '127.0.0.1', () => process.stdout.write(String(server.address().port) + '\\n'));
process.on('SIGTERM', () => { server.closeAllConnections(); server.close(() => process.exit(0)); });
`;

/** A static file server for `root` on 127.0.0.1 (what a chart repository host does), in a child process. */
export async function serveStatic(root: string): Promise<StaticServer> {
  const child = spawn(process.execPath, ['-e', STATIC_SERVER, root], { stdio: ['ignore', 'pipe', 'pipe'] });
  const requests: string[] = [];
  child.stderr!.on('data', (d: Buffer) => requests.push(...d.toString().split('\n').filter(Boolean)));
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const port = await new Promise<number>((resolve, reject) => {
    let buf = '';
    child.stdout!.on('data', (d: Buffer) => {
      buf += d.toString();
      if (buf.includes('\n')) resolve(Number(buf.trim()));
    });
    child.once('exit', (code) => reject(new Error(`static server exited (${code})`)));
  });
  return {
    url: `http://127.0.0.1:${port}`,
    requests: () => [...requests],
    async close() {
      if (child.exitCode === null) {
        child.kill('SIGTERM');
        const timer = setTimeout(() => child.kill('SIGKILL'), 5000);
        await exited;
        clearTimeout(timer);
      }
    },
  };
}

export interface Registry {
  /** host:port */
  host: string;
  stop(): Promise<void>;
  /** Tags of a repository via the registry API. */
  tags(repository: string): Promise<string[]>;
}

/** A real OCI registry (Debian docker-registry) on 127.0.0.1:<free port>, storage in `dir`. */
export async function startRegistry(dir: string): Promise<Registry> {
  const bin = ensureInstalled('/usr/bin/docker-registry', 'docker-registry');
  const port = await freePort();
  const config = path.join(dir, 'registry.yml');
  fs.writeFileSync(
    config,
    [
      'version: 0.1',
      'log:',
      '  level: warn',
      '  accesslog:',
      '    disabled: true',
      'storage:',
      '  filesystem:',
      `    rootdirectory: ${path.join(dir, 'data')}`,
      '  delete:',
      '    enabled: true',
      'http:',
      `  addr: 127.0.0.1:${port}`,
      '',
    ].join('\n'),
  );
  const log: string[] = [];
  const child: ChildProcess = spawn(bin, ['serve', config], { stdio: ['ignore', 'pipe', 'pipe'] });
  child.stdout?.on('data', (d: Buffer) => log.push(d.toString()));
  child.stderr?.on('data', (d: Buffer) => log.push(d.toString()));
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const base = `http://127.0.0.1:${port}`;
  const deadline = Date.now() + 20_000;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`docker-registry exited (${child.exitCode}):\n${log.join('')}`);
    try {
      const r = await fetch(`${base}/v2/`);
      if (r.status === 200) break;
    } catch {
      // not listening yet
    }
    if (Date.now() > deadline) {
      child.kill('SIGKILL');
      throw new Error(`docker-registry did not come up on ${base}:\n${log.join('')}`);
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  return {
    host: `127.0.0.1:${port}`,
    async tags(repository: string) {
      const r = await fetch(`${base}/v2/${repository}/tags/list`);
      if (r.status === 404) return [];
      const body = (await r.json()) as { tags?: string[] | null };
      return [...(body.tags ?? [])].sort();
    },
    async stop() {
      if (child.exitCode === null) {
        child.kill('SIGTERM');
        const timer = setTimeout(() => child.kill('SIGKILL'), 5000);
        await exited;
        clearTimeout(timer);
      }
    },
  };
}

// ---- GnuPG -------------------------------------------------------------------------------------------------

export interface GpgKey {
  name: string;
  home: string;
  /** Legacy secret keyring for helm package --sign. */
  secring: string;
  /** Public keyring for helm verify / --verify. */
  pubring: string;
}

/** A throwaway RSA signing key in its own GNUPGHOME (helm 3's OpenPGP library cannot use ed25519). */
export function makeGpgKey(dir: string, name: string, passphrase = ''): GpgKey {
  const gpg = ensureInstalled('/usr/bin/gpg', 'gnupg');
  const home = fs.mkdtempSync(path.join(dir, 'gnupg-'));
  fs.chmodSync(home, 0o700);
  const run = (args: string[]): Buffer => {
    const r = spawnSync(gpg, ['--batch', '--homedir', home, ...args], { timeout: 120_000 });
    if (r.status !== 0) throw new Error(`gpg ${args.join(' ')} failed: ${r.stderr.toString()}`);
    return r.stdout;
  };
  run(['--pinentry-mode', 'loopback', '--passphrase', passphrase, '--quick-gen-key', `${name} <${name.toLowerCase().replace(/\W+/g, '.')}@example.test>`, 'rsa2048', 'sign', 'never']);
  const secring = path.join(home, 'secring.gpg');
  const pubring = path.join(home, 'pubring.gpg');
  const exportArgs = passphrase ? ['--pinentry-mode', 'loopback', '--passphrase', passphrase] : [];
  fs.writeFileSync(secring, run([...exportArgs, '--export-secret-keys', name]));
  fs.writeFileSync(pubring, run(['--export', name]));
  return { name, home, secring, pubring };
}

/** Stops the gpg-agent a throwaway GNUPGHOME started (it would otherwise outlive the test). */
export function stopGpgAgent(key: GpgKey): void {
  spawnSync('gpgconf', ['--homedir', key.home, '--kill', 'all'], { timeout: 30_000 });
}

/** Template file (path in the chart folder) of the first object of `kind` that renders with default values. */
export function templateRendering(chartDir: string, kind: string, env: Record<string, string>): string {
  const out = helmOk(3, ['template', 'rel', chartDir], env);
  for (const doc of out.split(/^---$/m)) {
    const source = /^# Source: [^/]+\/(.+)$/m.exec(doc);
    if (source && new RegExp(`^kind: ${kind}$`, 'm').test(doc)) return path.join(chartDir, source[1]!.trim());
  }
  throw new Error(`no ${kind} rendered by ${chartDir} with default values`);
}

/**
 * Adds a label to the object's own metadata.labels (a rendered-output change that is safe to upgrade), in
 * its template only: the metadata named template's output gets the label after its `labels:` line.
 */
export function addObjectLabel(templateFile: string, label: string): void {
  edit(templateFile, /^( {2}\{\{- include "[^"]+\.metadata" .*)( \| nindent 2 \}\})$/m, `$1 | replace "labels:" "labels:\\n  ${label}"$2`);
}

/** Adds a label to a Deployment's spec.selector.matchLabels only (an upgrade Kubernetes rejects). */
export function addSelectorLabel(templateFile: string, label: string): void {
  edit(templateFile, /^( {2}selector:\n {4}matchLabels:.*\n)/m, `$1      ${label}\n`);
}

/**
 * Where published chart versions live: a chart repository folder (index.yaml + .tgz files), an HTTP(S)
 * chart repository, or an OCI registry. Each can list the published versions of a chart and fetch one.
 */
import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import YAML from 'yaml';
import { redactText as redact } from '../core/redact';
import { PublishError } from './cli';
import { HelmContext, helm, registryFlags, RegistryOptions } from './helm';
import { parseSemVer } from './semver';

export interface IndexEntry {
  name: string;
  version: string;
  urls: string[];
  digest?: string;
}

/** Entries of a repository index.yaml, by chart name. */
export function parseIndex(text: string, where: string): Map<string, IndexEntry[]> {
  let doc: unknown;
  try {
    doc = YAML.parse(text);
  } catch (e) {
    throw new PublishError(`${where} is not valid YAML: ${(e as Error).message.split('\n')[0]}`);
  }
  const out = new Map<string, IndexEntry[]>();
  if (doc === null || doc === undefined) return out;
  const entries = (doc as { entries?: unknown }).entries;
  if (typeof doc !== 'object' || (entries !== undefined && entries !== null && typeof entries !== 'object')) {
    throw new PublishError(`${where} is not a Helm repository index (no entries map)`);
  }
  for (const [name, list] of Object.entries((entries as Record<string, unknown>) ?? {})) {
    if (!Array.isArray(list)) continue;
    out.set(
      name,
      list
        .filter((e): e is Record<string, unknown> => e !== null && typeof e === 'object')
        .map((e) => ({
          name,
          version: String(e.version),
          urls: Array.isArray(e.urls) ? e.urls.map(String) : [],
          digest: typeof e.digest === 'string' ? e.digest : undefined,
        })),
    );
  }
  return out;
}

export interface PublishedSource {
  /** For messages: the index.yaml path/URL or the oci:// base. */
  readonly where: string;
  /**
   * Versions of `chart` known to be published. Repositories with an index list all of them; for an OCI
   * registry these are the latest version plus `candidate` if that exact version exists.
   */
  publishedVersions(chart: string, candidate: string): Promise<string[]>;
  /** Downloads one published version into `destDir`; returns the .tgz path. */
  fetch(chart: string, version: string, destDir: string): Promise<string>;
  /** The repository's index.yaml text (to merge new entries into), if it is a chart repository. */
  indexText(): Promise<string | undefined>;
}

function sha256(data: Buffer): string {
  return createHash('sha256').update(data).digest('hex');
}

/** fetch() with credentials from the URL's user:password moved into a Basic Authorization header. */
async function httpGet(url: string): Promise<{ status: number; body: Buffer }> {
  const u = new URL(url);
  const headers: Record<string, string> = {};
  if (u.username || u.password) {
    headers.authorization = `Basic ${Buffer.from(`${decodeURIComponent(u.username)}:${decodeURIComponent(u.password)}`).toString('base64')}`;
    u.username = '';
    u.password = '';
  }
  let res: Response;
  try {
    res = await fetch(u, { headers, redirect: 'follow' });
  } catch (e) {
    const cause = (e as { cause?: { message?: string } }).cause?.message;
    throw new PublishError(`cannot reach ${u.origin}${u.pathname}: ${cause ?? (e as Error).message}`);
  }
  return { status: res.status, body: Buffer.from(await res.arrayBuffer()) };
}

abstract class IndexedSource implements PublishedSource {
  private index: Promise<{ text?: string; entries: Map<string, IndexEntry[]> }> | undefined;
  abstract readonly where: string;
  protected abstract loadIndex(): Promise<string | undefined>;
  protected abstract download(url: string, entry: IndexEntry): Promise<Buffer>;

  private entries(): Promise<{ text?: string; entries: Map<string, IndexEntry[]> }> {
    this.index ??= this.loadIndex().then((text) => ({ text, entries: text === undefined ? new Map() : parseIndex(text, this.where) }));
    return this.index;
  }

  async publishedVersions(chart: string): Promise<string[]> {
    return ((await this.entries()).entries.get(chart) ?? []).map((e) => e.version);
  }

  async indexText(): Promise<string | undefined> {
    return (await this.entries()).text;
  }

  async fetch(chart: string, version: string, destDir: string): Promise<string> {
    const entry = ((await this.entries()).entries.get(chart) ?? []).find((e) => e.version === version);
    if (!entry) throw new PublishError(`${chart} ${version} is not listed in ${this.where}`);
    const url = entry.urls[0];
    if (!url) throw new PublishError(`${chart} ${version} has no url in ${this.where}`);
    const data = await this.download(url, entry);
    if (entry.digest && sha256(data) !== entry.digest) {
      throw new PublishError(`${chart} ${version}: the package at ${redact(url)} does not match the digest in ${this.where} (corrupt or replaced)`);
    }
    const file = path.join(destDir, `${chart}-${version}.tgz`);
    fs.writeFileSync(file, data);
    return file;
  }
}

/** A chart repository in a local folder (e.g. the output folder of `npm run package`). */
export class DirectorySource extends IndexedSource {
  readonly where: string;
  constructor(readonly dir: string) {
    super();
    this.where = path.join(dir, 'index.yaml');
  }

  protected async loadIndex(): Promise<string | undefined> {
    return fs.existsSync(this.where) ? fs.readFileSync(this.where, 'utf8') : undefined;
  }

  protected async download(url: string): Promise<Buffer> {
    const absolute = /^[a-z][a-z0-9+.-]*:\/\//i.test(url);
    // Entries written with --url point at the public location; the file is normally right here too.
    const local = absolute ? path.join(this.dir, path.posix.basename(new URL(url).pathname)) : path.join(this.dir, url);
    if (fs.existsSync(local)) return fs.readFileSync(local);
    if (absolute && /^https?:/i.test(url)) {
      const r = await httpGet(url);
      if (r.status === 200) return r.body;
      throw new PublishError(`${this.where} lists ${redact(url)}, which is neither in ${this.dir} nor downloadable (HTTP ${r.status})`);
    }
    throw new PublishError(`${this.where} lists ${redact(url)}, but ${local} is missing; pass --against <repository URL> to compare with the real repository`);
  }
}

/** An HTTP(S) chart repository: <base>/index.yaml and the package URLs it lists. */
export class HttpSource extends IndexedSource {
  /** For messages: the index URL without its password. */
  readonly where: string;
  /** The index URL with its credentials, only ever fetched. */
  private readonly url: string;
  constructor(base: string) {
    super();
    this.url = base.endsWith('/index.yaml') ? base : `${base.replace(/\/+$/, '')}/index.yaml`;
    this.where = redact(this.url);
  }

  protected async loadIndex(): Promise<string | undefined> {
    const r = await httpGet(this.url);
    // Not "nothing published": a mistyped URL would otherwise produce an index without the real
    // repository's entries, which would replace it on upload.
    if (r.status === 404) {
      throw new PublishError(`${this.where} not found (HTTP 404); check the URL, or leave out --against for a first publication`);
    }
    if (r.status !== 200) throw new PublishError(`cannot read ${this.where}: HTTP ${r.status}`);
    return r.body.toString('utf8');
  }

  protected async download(url: string): Promise<Buffer> {
    const resolved = new URL(url, this.url).toString();
    // Relative package URLs inherit the index URL's credentials.
    const withAuth = new URL(resolved);
    const base = new URL(this.url);
    if (withAuth.origin === base.origin && !withAuth.username && base.username) {
      withAuth.username = base.username;
      withAuth.password = base.password;
    }
    const r = await httpGet(withAuth.toString());
    if (r.status !== 200) throw new PublishError(`cannot download ${redact(resolved)}: HTTP ${r.status}`);
    return r.body;
  }
}

const OCI_NOT_FOUND = /not found|name unknown|NAME_UNKNOWN|MANIFEST_UNKNOWN|status code 404|: 404/i;
// helm 3.17 says the first, helm 3.22 the second.
const HTTP_TO_HTTPS = /server gave HTTP response to HTTPS client|downgrades scheme from https/;

/** helm's error text for a registry operation, with the fix for the most common mistake. */
export function ociErrorText(stderr: string): string {
  const text = stderr.trim().replace(/^Error: /gm, '');
  return HTTP_TO_HTTPS.test(text) ? `${text}\nthe registry speaks plain HTTP: add --plain-http` : text;
}

/** Charts in an OCI registry under oci://host[:port]/path/<chart>, read with helm. */
export class OciSource implements PublishedSource {
  /** For messages: the base without a password. */
  readonly where: string;
  constructor(
    readonly base: string,
    private readonly ctx: HelmContext,
    private readonly registry: RegistryOptions = {},
  ) {
    this.where = redact(base.replace(/\/+$/, ''));
  }

  /** The reference helm is given (credentials kept): never print it unredacted. */
  ref(chart: string): string {
    return `${this.base.replace(/\/+$/, '')}/${chart}`;
  }

  /** `helm show chart` of a version (or the latest); undefined when the registry does not have it. */
  private showVersion(chart: string, version?: string): string | undefined {
    const args = ['show', 'chart', this.ref(chart), ...registryFlags(this.registry)];
    if (version !== undefined) args.push('--version', version);
    const r = helm(this.ctx, args);
    if (r.code === 0) {
      const v = (YAML.parse(r.stdout) as { version?: unknown } | null)?.version;
      return v === undefined ? undefined : String(v);
    }
    if (OCI_NOT_FOUND.test(r.stderr) && !HTTP_TO_HTTPS.test(r.stderr)) return undefined;
    throw new PublishError(`cannot read ${this.where}/${chart}${version ? ` version ${version}` : ''} (helm ${this.ctx.major}): ${ociErrorText(r.stderr)}`);
  }

  async publishedVersions(chart: string, candidate: string): Promise<string[]> {
    const out = new Set<string>();
    const latest = this.showVersion(chart);
    if (latest !== undefined) out.add(latest);
    if (parseSemVer(candidate) && latest !== candidate && this.showVersion(chart, candidate) !== undefined) out.add(candidate);
    return [...out];
  }

  async fetch(chart: string, version: string, destDir: string): Promise<string> {
    const dir = fs.mkdtempSync(path.join(destDir, 'pull-'));
    const r = helm(this.ctx, ['pull', this.ref(chart), '--version', version, '--destination', dir, ...registryFlags(this.registry)]);
    if (r.code !== 0) throw new PublishError(`cannot pull ${this.where}/${chart} ${version}: ${ociErrorText(r.stderr)}`);
    const tgz = fs.readdirSync(dir).find((f) => f.endsWith('.tgz'));
    if (!tgz) throw new PublishError(`helm pull ${this.where}/${chart} ${version} produced no package`);
    return path.join(dir, tgz);
  }

  async indexText(): Promise<string | undefined> {
    return undefined;
  }
}

/** The source for an --against value: oci://..., http(s)://..., or a folder. */
export function sourceFor(against: string, ctx: HelmContext, registry: RegistryOptions = {}): PublishedSource {
  if (against.startsWith('oci://')) return new OciSource(against, ctx, registry);
  if (/^https?:\/\//i.test(against)) return new HttpSource(against);
  const dir = against.endsWith('index.yaml') ? path.dirname(against) : against;
  if (!fs.existsSync(dir) || !fs.statSync(dir).isDirectory()) {
    throw new PublishError(`--against ${redact(against)}: not an oci:// or http(s):// URL and not a folder`);
  }
  return new DirectorySource(path.resolve(dir));
}

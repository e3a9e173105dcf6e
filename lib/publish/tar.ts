/**
 * Reads the files of a (gzipped) tar archive such as a Helm chart package, without extracting to disk.
 * Handles ustar names with prefix, PAX extended headers (path) and GNU long names, which is what Go's
 * archive/tar (helm package) and common tar tools write.
 */
import * as zlib from 'node:zlib';

const BLOCK = 512;

function cString(buf: Buffer, start: number, length: number): string {
  const slice = buf.subarray(start, start + length);
  const nul = slice.indexOf(0);
  return slice.subarray(0, nul === -1 ? slice.length : nul).toString('utf8');
}

function numeric(buf: Buffer, start: number, length: number): number {
  const field = buf.subarray(start, start + length);
  if (field[0]! & 0x80) {
    // base-256 (GNU) encoding for large values
    let n = 0;
    for (let i = 1; i < field.length; i++) n = n * 256 + field[i]!;
    return n;
  }
  const text = cString(buf, start, length).trim();
  return text === '' ? 0 : parseInt(text, 8);
}

function parsePax(data: Buffer): Record<string, string> {
  const out: Record<string, string> = {};
  let pos = 0;
  while (pos < data.length) {
    const space = data.indexOf(0x20, pos);
    if (space === -1) break;
    const len = parseInt(data.subarray(pos, space).toString('utf8'), 10);
    if (!Number.isFinite(len) || len <= 0) break;
    const record = data.subarray(space + 1, pos + len - 1).toString('utf8'); // drop trailing newline
    const eq = record.indexOf('=');
    if (eq > 0) out[record.slice(0, eq)] = record.slice(eq + 1);
    pos += len;
  }
  return out;
}

/** Regular files of an uncompressed tar archive, path -> content, in archive order. */
export function readTar(tar: Buffer): Map<string, Buffer> {
  const files = new Map<string, Buffer>();
  let pos = 0;
  let longName: string | undefined;
  let pax: Record<string, string> = {};
  while (pos + BLOCK <= tar.length) {
    const header = tar.subarray(pos, pos + BLOCK);
    if (header.every((b) => b === 0)) break; // end-of-archive marker
    const size = numeric(header, 124, 12);
    const type = String.fromCharCode(header[156]!);
    const magic = cString(header, 257, 6);
    let name = cString(header, 0, 100);
    const prefix = magic.startsWith('ustar') ? cString(header, 345, 155) : '';
    if (prefix) name = `${prefix}/${name}`;
    const dataStart = pos + BLOCK;
    if (dataStart + size > tar.length) throw new Error('truncated tar archive');
    const data = tar.subarray(dataStart, dataStart + size);
    pos = dataStart + Math.ceil(size / BLOCK) * BLOCK;
    if (type === 'x') {
      pax = parsePax(data);
      continue;
    }
    if (type === 'g') continue; // global PAX header: nothing we need
    if (type === 'L') {
      longName = cString(data, 0, data.length);
      continue;
    }
    const fullName = pax.path ?? longName ?? name;
    longName = undefined;
    pax = {};
    if (type === '0' || type === '\0' || type === '7') files.set(fullName, Buffer.from(data));
  }
  return files;
}

/** Regular files of a .tgz (or plain .tar) archive. */
export function readTgz(archive: Buffer): Map<string, Buffer> {
  const isGzip = archive.length >= 2 && archive[0] === 0x1f && archive[1] === 0x8b;
  let tar: Buffer;
  try {
    tar = isGzip ? zlib.gunzipSync(archive) : archive;
  } catch (e) {
    throw new Error(`not a valid gzip archive: ${(e as Error).message}`);
  }
  return readTar(tar);
}

/**
 * Files of a chart package keyed by their path inside the chart (the leading "<chart>/" removed).
 * Nested chart packages (charts/*.tgz dependencies) are expanded as "<path>!/<inner path>", so two
 * packages compare equal when their contents are equal even though the archives' timestamps differ.
 */
export function chartPackageFiles(archive: Buffer): Map<string, Buffer> {
  const out = new Map<string, Buffer>();
  for (const [name, data] of readTgz(archive)) {
    const slash = name.indexOf('/');
    const rel = slash === -1 ? name : name.slice(slash + 1);
    if (rel.endsWith('.tgz')) {
      try {
        for (const [inner, content] of chartPackageFiles(data)) out.set(`${rel}!/${inner}`, content);
        continue;
      } catch {
        // not an archive after all: compare its bytes
      }
    }
    out.set(rel, data);
  }
  return new Map([...out.entries()].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
}

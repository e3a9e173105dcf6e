/**
 * Reading what a user hands us (values files, converter inputs): a regular file of bounded size, read
 * through one file descriptor so what was checked is what is read (no swap between stat and read), and
 * every refusal one line that names the file.
 */
import * as fs from 'node:fs';
import { readValuesYaml } from '../tooling/yaml2json';

/** A user's input is not acceptable (missing, not a regular file, too large): reported without a stack trace. */
export class InputError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'InputError';
  }
}

/**
 * The largest values file or converter input read, in bytes. Helm reads values files of any size; ours are
 * a few KiB and the vendor's under 20 KiB, so 4 MiB leaves room for generous comments and lists while
 * keeping the YAML parsers' memory (a few hundred bytes per input byte) bounded.
 */
export const MAX_INPUT_BYTES = 4 * 1024 * 1024;

export interface ReadInputOptions {
  /** How the input was given, for messages (`STACK_VALUES`, `--from vendor-icap file`). @default the path */
  readonly what?: string;
  /** The size limit in bytes. @default MAX_INPUT_BYTES */
  readonly maxBytes?: number;
}

/** The text of `file` if it is a regular file (symlinks followed) of at most `maxBytes` bytes; else InputError. */
export function readInputFile(file: string, options: ReadInputOptions = {}): string {
  const what = options.what ?? file;
  const max = options.maxBytes ?? MAX_INPUT_BYTES;
  let fd: number;
  try {
    // O_NONBLOCK: opening a FIFO must not hang waiting for a writer; it is refused below as not a regular file.
    fd = fs.openSync(file, fs.constants.O_RDONLY | fs.constants.O_NONBLOCK);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    const why = code === 'ENOENT' ? 'no such file' : code === 'EACCES' ? 'permission denied' : code === 'EISDIR' ? 'is a directory, not a file' : (e as Error).message;
    throw new InputError(`${what}: ${why}`);
  }
  try {
    const st = fs.fstatSync(fd);
    if (st.isDirectory()) throw new InputError(`${what}: is a directory, not a file`);
    if (!st.isFile()) throw new InputError(`${what}: not a regular file (devices, FIFOs and sockets are not read)`);
    if (st.size > max) throw new InputError(`${what}: ${st.size} bytes, over the limit of ${max} bytes`);
    // Read one byte past the limit: a file that grew after fstat is refused too.
    const buf = Buffer.alloc(Math.min(st.size, max) + 1);
    let n = 0;
    for (let r; n < buf.length && (r = fs.readSync(fd, buf, n, buf.length - n, null)) > 0; ) n += r;
    if (n > max) throw new InputError(`${what}: over the limit of ${max} bytes`);
    const text = buf.subarray(0, n).toString('utf8');
    if (text.includes('\uFFFD') && !buf.subarray(0, n).equals(Buffer.from(text, 'utf8'))) throw new InputError(`${what}: not UTF-8 text`);
    return text;
  } finally {
    fs.closeSync(fd);
  }
}

/**
 * A values file read as `helm -f` reads it: a bounded read (readInputFile), then Helm's own YAML reader
 * (YAML 1.1 scalars: `enabled: off` is false there, where the `yaml` package keeps the string "off" and zod
 * refuses it). For RawChart's `overrides`, e.g. one file per environment.
 */
export function readValuesFile(file: string, options: ReadInputOptions = {}): Record<string, unknown> {
  return readValuesYaml(readInputFile(file, options), options.what ?? file);
}

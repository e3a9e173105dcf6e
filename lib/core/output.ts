/**
 * Output that never destroys what it did not write and is never half there.
 *
 * - Ownership: a directory is replaced only if it does not exist, is empty, holds the marker file
 *   `.chart-as-code-output` that every output directory gets, or (output of versions before the marker)
 *   holds only what the caller's `previousOutput` recognises. `/`, the home directory, the current
 *   directory and its parents, symbolic links and files are refused. A refusal is one line and changes
 *   nothing (beyond finishing the clean-up of a killed run, below).
 * - All or nothing: the new content is written to `.<name>.cac-new` next to the target, then swapped in.
 *   On Linux with the small Go helper tools/rename-exchange (built into the cache on first use, needs Go)
 *   the swap is one renameat2(RENAME_EXCHANGE): at every instant the target is the complete old or the
 *   complete new directory. Elsewhere (no Go, another OS, a file system without it) the swap is two renames,
 *   target → `.<name>.cac-old` then staging → target: a kill between them leaves no target for that moment,
 *   and the next run writing it restores the old one first. Either way a failed or killed run leaves at most
 *   those two directories (gitignored), which the next run removes or restores before it writes.
 * - One writer: `.<name>.cac-lock` (created exclusively, holding the writer's pid) makes a concurrent run
 *   fail in one line; a lock whose process is gone is taken over.
 * - Modes: directories and files are made as `mkdir` and shell redirections make them (0777 and 0666
 *   less the umask).
 * Durability across a power loss is the file system's (nothing is fsynced).
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { exchangeDirectories } from '../tooling/rename-exchange';

/** A refused or failed write of an output directory: reported in one line, without a stack trace (runMain). */
export class OutputError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'OutputError';
  }
}

/** The file every output directory holds, so that the next run knows it may replace it. Committed with charts/. */
export const OUTPUT_MARKER = '.chart-as-code-output';
// Its text names the functions of the version that first wrote it (synthesizeCharts is synthManifests,
// writeCharts writeHelmCharts now): changing it would change every committed charts/ and dist/.
const MARKER_TEXT =
  'This directory is written by chart-as-code (npm run synth, npm run charts, synthesizeCharts, writeCharts)\n' +
  'and replaced whole by its next run: files added here are deleted then. This file marks it as replaceable.\n';

export interface ReplaceDirectoryOptions {
  /**
   * Whether an existing directory without the marker was written by chart-as-code before it wrote one
   * (e.g. only `*.k8s.yaml` files), so it may be replaced.
   * @default only an empty directory or one holding the marker is replaced
   */
  readonly previousOutput?: (dir: string) => boolean;
}

/** A predicate for `previousOutput`: the directory holds only regular files whose names end with `suffix`. */
export function onlyFilesEndingWith(suffix: string): (dir: string) => boolean {
  return (dir) => fs.readdirSync(dir, { withFileTypes: true }).every((e) => e.isFile() && e.name.endsWith(suffix));
}

/** A path for a one-line message: relative below the current directory, quoted if it holds control characters. */
function show(p: string): string {
  const rel = path.relative(process.cwd(), p);
  const shown = rel && !rel.startsWith('..') && !path.isAbsolute(rel) ? rel : p;
  return /[\x00-\x1f\x7f]/.test(shown) ? JSON.stringify(shown) : shown;
}

const errno = (e: unknown) => (e as NodeJS.ErrnoException)?.code;

function lstat(p: string): fs.Stats | undefined {
  try {
    return fs.lstatSync(p);
  } catch (e) {
    if (errno(e) === 'ENOENT') return undefined;
    throw e;
  }
}

/** Refuse targets no output may replace, whatever they hold (`target` is absolute). */
function refuseSpecial(target: string): void {
  const real = (p: string) => {
    try {
      return fs.realpathSync(p);
    } catch {
      return path.resolve(p);
    }
  };
  const within = (inner: string, outer: string) => inner === outer || inner.startsWith(outer.endsWith(path.sep) ? outer : outer + path.sep);
  const refuse = (why: string) => new OutputError(`refusing to replace ${show(target)}: ${why}`);
  if (path.dirname(target) === target) throw refuse('it is the root directory');
  if (target === real(os.homedir())) throw refuse('it is the home directory');
  if (within(real(process.cwd()), target)) throw refuse('it is the current directory or one of its parents');
}

/** Whether `target` may be replaced; throws the one-line refusal if not. */
function assertReplaceable(target: string, options: ReplaceDirectoryOptions): void {
  const st = lstat(target);
  if (!st) return;
  const refuse = (why: string) => new OutputError(`refusing to replace ${show(target)}: ${why}`);
  if (st.isSymbolicLink()) throw refuse('it is a symbolic link (give the directory it points to)');
  if (!st.isDirectory()) throw refuse('it is not a directory');
  const entries = fs.readdirSync(target);
  if (entries.length === 0 || entries.includes(OUTPUT_MARKER) || options.previousOutput?.(target)) return;
  const shown = entries.sort().slice(0, 3).map((e) => (/[\x00-\x1f\x7f]/.test(e) ? JSON.stringify(e) : e));
  throw refuse(
    `chart-as-code did not write it (it holds ${shown.join(', ')}${entries.length > 3 ? ', …' : ''} and no ${OUTPUT_MARKER}); give a new or empty directory`,
  );
}

/** A leftover of an interrupted run is removed or restored only if it is ours: empty, marked, or previous output. */
function assertLeftover(dir: string, options: ReplaceDirectoryOptions): void {
  const st = lstat(dir)!;
  if (st.isDirectory() && !st.isSymbolicLink()) {
    const entries = fs.readdirSync(dir);
    if (entries.length === 0 || entries.includes(OUTPUT_MARKER) || options.previousOutput?.(dir)) return;
  }
  throw new OutputError(`${show(dir)} is in the way: chart-as-code keeps its unfinished output there, but did not write it; remove or rename it`);
}

/** Remove an output directory of ours with its marker last, so that a kill midway leaves it recognisable. */
function removeOutput(dir: string): void {
  for (const e of fs.readdirSync(dir)) if (e !== OUTPUT_MARKER) fs.rmSync(path.join(dir, e), { recursive: true });
  fs.rmSync(dir, { recursive: true });
}

/** Paths next to `target` that a write uses. */
function siblings(target: string) {
  const at = (suffix: string) => path.join(path.dirname(target), `.${path.basename(target)}.${suffix}`);
  return { staging: at('cac-new'), old: at('cac-old'), lock: at('cac-lock') };
}

/**
 * Put back what an interrupted write left: the old directory when the target is missing, and remove
 * staging and backup directories; also those of versions before the marker (`.<name>.new-XXXXXX[.old]`).
 */
function recover(target: string, options: ReplaceDirectoryOptions): void {
  const { staging, old } = siblings(target);
  if (lstat(old)) {
    assertLeftover(old, options);
    if (lstat(target)) removeOutput(old);
    else fs.renameSync(old, target);
  }
  if (lstat(staging)) {
    assertLeftover(staging, options);
    removeOutput(staging);
  }
  const name = path.basename(target).replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
  const legacy = new RegExp(`^\\.${name}\\.new-[A-Za-z0-9]{6}(\\.old)?$`);
  const parent = path.dirname(target);
  for (const e of fs.readdirSync(parent, { withFileTypes: true })) {
    const p = path.join(parent, e.name);
    if (!legacy.test(e.name) || !e.isDirectory()) continue;
    const entries = fs.readdirSync(p);
    if (entries.length > 0 && !entries.includes(OUTPUT_MARKER) && !options.previousOutput?.(p)) continue;
    if (e.name.endsWith('.old') && !lstat(target)) fs.renameSync(p, target);
    else fs.rmSync(p, { recursive: true });
  }
}

/** The start time of process `pid` (Linux), to tell a live lock holder from a new process with its pid. */
function startTime(pid: number): string {
  try {
    const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2).split(' ')[19] ?? '';
  } catch {
    return '';
  }
}

function holderAlive(held: string, lockFile: string): boolean {
  const m = /^(\d+) (\S*)\n$/.exec(held);
  // Unreadable: a holder between creating and writing it, unless that was long ago (it died there).
  if (!m) return Date.now() - (lstat(lockFile)?.mtimeMs ?? 0) < 10_000;
  const pid = Number(m[1]);
  try {
    process.kill(pid, 0);
  } catch (e) {
    if (errno(e) !== 'EPERM') return false;
  }
  return !m[2] || startTime(pid) === m[2];
}

/** Take the write lock of `target`; returns its release. */
function lock(target: string): () => void {
  const { lock: file } = siblings(target);
  const me = `${process.pid} ${startTime(process.pid)}\n`;
  for (let attempt = 0; ; attempt++) {
    try {
      fs.writeFileSync(file, me, { flag: 'wx' });
      return () => fs.rmSync(file, { force: true });
    } catch (e) {
      if (errno(e) !== 'EEXIST') throw e;
    }
    let held = '';
    try {
      held = fs.readFileSync(file, 'utf8');
    } catch (e) {
      if (errno(e) === 'ENOENT') continue; // released meanwhile
      throw e;
    }
    if (attempt === 0 && !holderAlive(held, file)) {
      // Moved aside before removal, so that a lock taken meanwhile by another run is put back, not lost.
      const aside = `${file}.stale-${process.pid}`;
      fs.renameSync(file, aside);
      if (fs.readFileSync(aside, 'utf8') !== held) {
        try {
          fs.linkSync(aside, file);
        } catch {
          // another run holds it now: it is busy either way
        }
      }
      fs.rmSync(aside);
      continue;
    }
    const pid = /^\d+/.exec(held)?.[0];
    throw new OutputError(`${show(target)} is being written by another chart-as-code run${pid ? ` (pid ${pid})` : ''}; run again when it has finished`);
  }
}

function writeStaging(staging: string, files: Iterable<readonly [string, string]>): void {
  fs.mkdirSync(staging); // mode 0777 less the umask, as mkdir makes it (mkdtemp would make 0700)
  fs.writeFileSync(path.join(staging, OUTPUT_MARKER), MARKER_TEXT);
  const made = new Set([staging]);
  for (const [rel, content] of files) {
    const file = path.resolve(staging, rel);
    if (path.isAbsolute(rel) || !file.startsWith(staging + path.sep) || rel === OUTPUT_MARKER) {
      throw new OutputError(`cannot write ${JSON.stringify(rel)}: not a file name inside the output directory`);
    }
    const dir = path.dirname(file);
    if (!made.has(dir)) fs.mkdirSync(dir, { recursive: true });
    made.add(dir);
    fs.writeFileSync(file, content);
  }
}

/** Swap the complete staging directory in for `target`. */
function swap(target: string, staging: string, old: string): void {
  if (!lstat(target)) return fs.renameSync(staging, target);
  if (exchangeDirectories(staging, target)) return removeOutput(staging); // staging now holds the old output
  fs.renameSync(target, old);
  fs.renameSync(staging, target);
  removeOutput(old);
}

/**
 * Replace directory `target` with exactly `files` (relative path and content, e.g. a Map) plus the marker
 * `.chart-as-code-output`, all or nothing; each file is written as the iterable gives it, so a generator
 * never holds them all. An error thrown by `files` (bad values, a bug) leaves `target` as it was.
 *
 * Refuses (OutputError, nothing changed) a target chart-as-code did not write, `/`, the home directory,
 * the current directory or a parent of it, a symbolic link, a file, and a target another run is writing.
 * See this module's comment for the guarantee of the swap on each system.
 */
export function replaceDirectory(target: string, files: Iterable<readonly [string, string]>, options: ReplaceDirectoryOptions = {}): void {
  const resolved = path.resolve(target);
  refuseSpecial(resolved);
  let dir: string;
  try {
    fs.mkdirSync(path.dirname(resolved), { recursive: true });
    dir = path.join(fs.realpathSync(path.dirname(resolved)), path.basename(resolved));
  } catch (e) {
    throw new OutputError(`cannot write ${show(resolved)}: ${(e as Error).message}`);
  }
  refuseSpecial(dir);
  const { staging, old } = siblings(dir);
  let release: (() => void) | undefined;
  try {
    release = lock(dir);
    recover(dir, options);
    assertReplaceable(dir, options);
    writeStaging(staging, files);
    swap(dir, staging, old);
  } catch (e) {
    if (release) {
      try {
        recover(dir, options);
      } catch {
        // the next run recovers: the error to report is the first one
      }
    }
    throw (e as NodeJS.ErrnoException).syscall ? new OutputError(`cannot write ${show(dir)}: ${(e as Error).message}`) : e;
  } finally {
    release?.();
  }
}

/** Run a command-line entry point: user mistakes (ValuesError, ChartError, InputError, OutputError) print their message and exit 1, without a stack trace. */
export function runMain(main: () => void | Promise<void>): void {
  Promise.resolve()
    .then(main)
    .catch((e: unknown) => {
      const err = e as Error;
      if (err && ['ValuesError', 'ChartError', 'InputError', 'OutputError'].includes(err.name)) {
        process.stderr.write(`error: ${err.message}\n`);
      } else {
        process.stderr.write(`error: ${err?.stack ?? String(e)}\n`);
      }
      process.exit(1);
    });
}

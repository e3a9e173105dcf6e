/**
 * All-or-nothing output: files are written to a sibling temporary directory and swapped in with renames,
 * so a failure (bad values, a bug) leaves the previous output exactly as it was.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';

/**
 * Replace directory `target` with exactly `files` (relative path and content, e.g. a Map), atomically per
 * directory; each file is written as the iterable gives it, so a generator never holds them all.
 */
export function replaceDirectory(target: string, files: Iterable<readonly [string, string]>): void {
  const parent = path.dirname(path.resolve(target));
  fs.mkdirSync(parent, { recursive: true });
  const staging = fs.mkdtempSync(path.join(parent, `.${path.basename(target)}.new-`));
  try {
    const made = new Set([staging]);
    for (const [rel, content] of files) {
      const file = path.join(staging, rel);
      const dir = path.dirname(file);
      if (!made.has(dir)) fs.mkdirSync(dir, { recursive: true });
      made.add(dir);
      fs.writeFileSync(file, content);
    }
    const old = `${staging}.old`;
    const hadOld = fs.existsSync(target);
    if (hadOld) fs.renameSync(target, old);
    fs.renameSync(staging, target);
    if (hadOld) fs.rmSync(old, { recursive: true, force: true });
  } catch (e) {
    fs.rmSync(staging, { recursive: true, force: true });
    throw e;
  }
}

/** Run a command-line entry point: user mistakes (ValuesError, ChartError, InputError) print their message and exit 1, without a stack trace. */
export function runMain(main: () => void | Promise<void>): void {
  Promise.resolve()
    .then(main)
    .catch((e: unknown) => {
      const err = e as Error;
      if (err && (err.name === 'ValuesError' || err.name === 'ChartError' || err.name === 'InputError')) {
        process.stderr.write(`error: ${err.message}\n`);
      } else {
        process.stderr.write(`error: ${err?.stack ?? String(e)}\n`);
      }
      process.exit(1);
    });
}

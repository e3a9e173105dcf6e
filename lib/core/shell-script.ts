/**
 * Shell scripts the constructs put into containers live as `.sh` files next to the construct that uses
 * them (so shellcheck, editors and line numbers work on them: test/shell-scripts.test.ts checks every one),
 * and are read here at synthesis, verbatim.
 *
 * The package ships them under the same relative path (package.json "files": `lib/**\/*.sh`), while the
 * compiled construct runs from `build/lib/...`: so a script is looked up next to the calling module first
 * (sources run by tsx or vitest), then at the same place under `lib/` instead of `build/lib/`.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';

/** Where a script next to `dir` (a module's `__dirname`) is: the source tree, or the package's `lib/`. */
export function shellScriptPath(dir: string, file: string): string {
  const beside = path.join(dir, file);
  if (fs.existsSync(beside)) return beside;
  const marker = `${path.sep}build${path.sep}lib`;
  const at = dir.lastIndexOf(marker);
  if (at >= 0) {
    const rest = dir.slice(at + marker.length);
    if (rest === '' || rest.startsWith(path.sep)) {
      const shipped = path.join(dir.slice(0, at), 'lib', rest, file);
      if (fs.existsSync(shipped)) return shipped;
    }
  }
  throw new Error(`shell script ${file} not found next to ${dir} (nor under the package's lib/)`);
}

/**
 * The header of a script file: its `#!` line and the shellcheck directives right after it. It is for the
 * tools (shellcheck, editors), not for the container, which runs the text as `<shell> -c <text>` (the
 * command picks the shell); so it is not embedded, and the charts hold the script as it always was.
 */
const HEADER = /^#![^\n]*\n(?:# shellcheck [^\n]*\n)*/;

/**
 * The text of the script `file` next to `dir`, without its header (see HEADER). `replace` substitutes exact texts of the script (each must
 * occur) by others: only for constants the script holds literally, such as a path that is fixed in the
 * image but differs in a test; values of the chart never go this way (they reach a script as environment
 * variables or arguments).
 */
export function shellScript(dir: string, file: string, replace: Readonly<Record<string, string>> = {}): string {
  const source = fs.readFileSync(shellScriptPath(dir, file), 'utf8');
  let text = source.replace(HEADER, '');
  for (const [from, to] of Object.entries(replace)) {
    if (from === to) continue;
    if (!text.includes(from)) throw new Error(`shell script ${file} does not contain ${JSON.stringify(from)}`);
    text = text.split(from).join(to);
  }
  return text;
}

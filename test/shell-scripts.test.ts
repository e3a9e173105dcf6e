// The shell the constructs put into containers: every script is a .sh file under lib/ (next to the construct
// that embeds it), clean under shellcheck in its own dialect, shipped with the package, found from the
// compiled build/lib/, and no TypeScript file under lib/ holds an inline script any more.
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import ts from 'typescript';
import { describe, expect, it } from 'vitest';
import { shellScript, shellScriptPath } from '../lib/core/shell-script';
import { findOnPath } from '../lib/tooling/helm';

const root = path.resolve(__dirname, '..');
const lib = path.join(root, 'lib');

function filesUnder(dir: string, ext: string): string[] {
  return fs
    .readdirSync(dir, { recursive: true, encoding: 'utf8' })
    .filter((f) => f.endsWith(ext))
    .map((f) => path.join(dir, f))
    .sort();
}

const scripts = filesUnder(lib, '.sh');
const sources = filesUnder(lib, '.ts');

/** shellcheck's dialect for a script, from its `#!` line (which every script must have). */
function dialect(file: string): 'sh' | 'bash' | undefined {
  const first = fs.readFileSync(file, 'utf8').split('\n', 1)[0];
  return first === '#!/bin/sh' ? 'sh' : first === '#!/bin/bash' ? 'bash' : undefined;
}

/**
 * The string literals of a TypeScript source that are shell scripts: one starting with `#!`, one with a
 * `set -e...` line, a multi-line one with a line closing a shell block (`done`, `fi`, `esac`), or a
 * multi-line one right after a `-c` in an array (`['sh', '-c', `...`]`). One-line commands (probes, the
 * database wait) are not scripts: they stay where they are used.
 */
export function inlineScripts(fileName: string, text: string): string[] {
  const source = ts.createSourceFile(fileName, text, ts.ScriptTarget.Latest, true);
  const found: string[] = [];
  const literalText = (n: ts.Node): string | undefined => {
    if (ts.isStringLiteral(n) || ts.isNoSubstitutionTemplateLiteral(n)) return n.text;
    if (ts.isTemplateExpression(n)) return [n.head.text, ...n.templateSpans.map((s) => s.literal.text)].join('${}');
    return undefined;
  };
  const visit = (n: ts.Node): void => {
    const s = literalText(n);
    if (s !== undefined) {
      const afterDashC =
        ts.isArrayLiteralExpression(n.parent) &&
        (() => {
          const i = n.parent.elements.indexOf(n as ts.Expression);
          const prev = i > 0 ? n.parent.elements[i - 1] : undefined;
          return prev !== undefined && ts.isStringLiteral(prev) && prev.text === '-c';
        })();
      const script =
        s.trimStart().startsWith('#!') ||
        /(^|[\n;]\s*)set -e/.test(s) ||
        (s.includes('\n') && /(^|\n)\s*(done|fi|esac)\s*(\n|$)|;\s*(done|fi)\s*(\n|$)/.test(s)) ||
        (afterDashC && s.includes('\n'));
      if (script) {
        const { line } = source.getLineAndCharacterOfPosition(n.getStart());
        found.push(`${path.relative(root, fileName)}:${line + 1}: ${s.split('\n', 1)[0]!.slice(0, 60)}`);
      }
      return;
    }
    ts.forEachChild(n, visit);
  };
  visit(source);
  return found;
}

describe('shell scripts under lib/', () => {
  it('are the scripts the constructs embed', () => {
    const names = scripts.map((f) => path.relative(lib, f));
    for (const expected of [
      'constructs/credentials-generate.sh',
      'constructs/features/hot-backup-export.sh',
      'constructs/features/hot-backup-import.sh',
      'systems/sv-server/start.sh',
      'systems/sv-server/prestop.sh',
      'systems/multisite-init/consumer.sh',
    ]) {
      expect(names).toContain(expected);
    }
    // Each is read by the module next to it (shellScript(__dirname, '<name>')), so none is dead.
    for (const file of scripts) {
      const dir = path.dirname(file);
      const users = sources.filter((s) => path.dirname(s) === dir && fs.readFileSync(s, 'utf8').includes(`'${path.basename(file)}'`));
      expect(users, `${path.relative(root, file)} is embedded by no module next to it`).not.toEqual([]);
    }
  });

  it.each(scripts.map((f) => [path.relative(root, f)]))('%s passes shellcheck in its dialect', (rel) => {
    const file = path.join(root, rel);
    const shell = dialect(file);
    expect(shell, `${rel} must start with #!/bin/sh or #!/bin/bash (the shell its container runs it with)`).toBeDefined();
    const shellcheck = findOnPath('shellcheck');
    if (shellcheck === undefined) throw new Error('shellcheck is not installed: run npm run helm:setup (installs the Debian package)');
    const r = spawnSync(shellcheck, ['-s', shell!, '-S', 'style', '-f', 'gcc', file], { encoding: 'utf8' });
    expect(r.error).toBeUndefined();
    expect(`${r.stdout}${r.stderr}`).toBe('');
    expect(r.status).toBe(0);
  });

  it('are embedded without their header, byte for byte otherwise', () => {
    for (const file of scripts) {
      const text = fs.readFileSync(file, 'utf8');
      const body = shellScript(path.dirname(file), path.basename(file));
      expect(text.endsWith(body)).toBe(true);
      expect(text.slice(0, text.length - body.length)).toMatch(/^#!\/bin\/(sh|bash)\n(# shellcheck [^\n]*\n)*$/);
    }
  });

  it('ship with the package, and are found from the compiled build/lib/', () => {
    const pkg = JSON.parse(fs.readFileSync(path.join(root, 'package.json'), 'utf8')) as { files: string[] };
    expect(pkg.files).toContain('lib/**/*.sh');
    const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'shell-scripts-'));
    try {
      fs.mkdirSync(path.join(tmp, 'lib', 'constructs'), { recursive: true });
      fs.mkdirSync(path.join(tmp, 'build', 'lib', 'constructs'), { recursive: true });
      fs.writeFileSync(path.join(tmp, 'lib', 'constructs', 'a.sh'), '#!/bin/sh\necho a\n');
      expect(shellScriptPath(path.join(tmp, 'build', 'lib', 'constructs'), 'a.sh')).toBe(path.join(tmp, 'lib', 'constructs', 'a.sh'));
      expect(shellScript(path.join(tmp, 'build', 'lib', 'constructs'), 'a.sh')).toBe('echo a\n');
      expect(() => shellScript(path.join(tmp, 'build', 'lib'), 'a.sh')).toThrow(/not found/);
      expect(() => shellScript(path.join(tmp, 'lib', 'constructs'), 'a.sh', { missing: 'x' })).toThrow(/does not contain/);
    } finally {
      fs.rmSync(tmp, { recursive: true, force: true });
    }
  });
});

describe('no inline shell in TypeScript under lib/', () => {
  it('finds the inline scripts it looks for', () => {
    const sample = [
      "const a = `#!/bin/sh\\necho a\\n`;",
      "const b = 'set -eu\\necho b';",
      'const c = `x=1\nwhile :; do sleep 1; done\n`;',
      'const d = { command: ["sh", "-c", `echo ${x}\necho y`] };',
      "const e = { command: ['sh', '-c', 'test -s \"$KUBECONFIG\"'] };",
      "const f = 'the set of -e flags';",
    ].join('\n');
    expect(inlineScripts(path.join(lib, 'sample.ts'), sample).map((s) => s.split(':')[1])).toEqual(['1', '2', '3', '6']); // c spans lines 3 to 5
  });

  it('has none: scripts are .sh files (one-line commands such as probes stay inline)', () => {
    const found = sources.flatMap((f) => inlineScripts(f, fs.readFileSync(f, 'utf8')));
    expect(found).toEqual([]);
  });
});

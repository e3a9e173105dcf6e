/**
 * A narrow, documented API: the root export is what charts are written with, and it grows only on purpose.
 * Its names (values and types) must equal test/fixtures/api-exports.txt; the engine is `chart-as-code/internal`.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as ts from 'typescript';
import { describe, expect, it } from 'vitest';

const root = path.join(__dirname, '..');

function exportNames(file: string): string[] {
  const program = ts.createProgram([file], { strict: true, esModuleInterop: true, skipLibCheck: true, noEmit: true, types: [] });
  const checker = program.getTypeChecker();
  const source = program.getSourceFile(file);
  if (!source) throw new Error(`${file} not found`);
  const module = checker.getSymbolAtLocation(source);
  if (!module) throw new Error(`${file} is not a module`);
  return checker.getExportsOfModule(module).map((s) => s.name).sort();
}

describe('the root export', () => {
  const names = exportNames(path.join(root, 'lib', 'index.ts'));

  it('equals the committed list (add a name there, and to README "API", when the root is meant to grow)', () => {
    const listed = fs.readFileSync(path.join(root, 'test', 'fixtures', 'api-exports.txt'), 'utf8').split('\n').filter((l) => l && !l.startsWith('#')).sort();
    expect(names).toEqual(listed);
  });

  it('every root name is in README\'s API table', () => {
    const readme = fs.readFileSync(path.join(root, 'README.md'), 'utf8');
    const api = readme.slice(readme.indexOf('## API'), readme.indexOf('\n## ', readme.indexOf('## API') + 1));
    expect(names.filter((n) => !new RegExp('`' + n + '[`<(]').test(api))).toEqual([]);
  });

  it('chart-as-code/internal keeps the engine reachable, and package.json exports it', () => {
    const internal = exportNames(path.join(root, 'lib', 'internal.ts'));
    expect(internal).toEqual(expect.arrayContaining(['goJson', 'unwrapSchema', 'HelmEmitter', 'runMain', 'valuesJsonSchema']));
    const pkg = JSON.parse(fs.readFileSync(path.join(root, 'package.json'), 'utf8'));
    expect(pkg.exports['./internal']).toEqual({ types: './build/lib/internal.d.ts', default: './build/lib/internal.js' });
    expect(pkg.typesVersions['*'].internal).toEqual(['build/lib/internal.d.ts']);
  });
});

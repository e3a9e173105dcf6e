// Every named template in the committed charts' _helpers.tpl says how to call it and what it gives, in a
// one-line comment right above its define (generated: lib/core/emit.ts usageComment, lib/core/helpers-tpl.ts).
import * as fs from 'node:fs';
import * as path from 'node:path';
import { describe, expect, it } from 'vitest';

const charts = path.resolve(__dirname, '..', 'charts');
const helpers = fs
  .readdirSync(charts)
  .map((c) => path.join(charts, c, 'templates', '_helpers.tpl'))
  .filter((f) => fs.existsSync(f));

/** The defines of a _helpers.tpl not preceded by their usage comment. */
export function missingUsage(text: string): string[] {
  const lines = text.split('\n');
  return lines.flatMap((line, i) => {
    const name = /^\{\{-? define "([^"]+)" -?\}\}$/.exec(line)?.[1];
    if (name === undefined) return [];
    const usage = new RegExp(`^\\{\\{/\\* Usage: \\{\\{ .*"${name.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}".* \\}\\} - \\S.* \\*/\\}\\}$`);
    return usage.test(lines[i - 1] ?? '') ? [] : [`line ${i + 1}: ${name}`];
  });
}

describe('_helpers.tpl usage comments', () => {
  it('are required above each define', () => {
    expect(missingUsage('{{- define "c.a" -}}\nx\n{{- end -}}\n')).toEqual(['line 1: c.a']);
    expect(missingUsage('{{/* Usage: {{ include "c.b" $ }} - a string */}}\n{{- define "c.a" -}}\n')).toEqual(['line 2: c.a']);
    expect(missingUsage('{{/* Usage: {{ include "c.a" $ }} - a string */}}\n{{- define "c.a" -}}\n')).toEqual([]);
  });

  it.each(helpers.map((f) => [path.relative(charts, f)]))('%s: every define has one', (rel) => {
    const text = fs.readFileSync(path.join(charts, rel), 'utf8');
    expect(text).toContain('define "');
    expect(missingUsage(text)).toEqual([]);
  });
});

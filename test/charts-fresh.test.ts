/** The committed charts/ are exactly what the construct code generates: a stale chart fails here. */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { describe, expect, it } from 'vitest';
import { renderHelmChart } from '../lib/core/helm-chart';
import { OUTPUT_MARKER } from '../lib/core/output';
import { systems } from '../lib/systems';

const root = path.join(__dirname, '..', 'charts');

function listFiles(dir: string, base = dir): string[] {
  return fs.readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const p = path.join(dir, e.name);
    return e.isDirectory() ? listFiles(p, base) : [path.relative(base, p)];
  });
}

describe('committed charts', () => {
  it('has one chart directory per system, the output marker, and nothing else', () => {
    expect(fs.readdirSync(root).sort()).toEqual([OUTPUT_MARKER, ...systems.map((s) => s.name)].sort());
  });

  it.each(systems.map((s) => [s.name, s] as const))('%s is up to date (run `npm run charts`)', (name, system) => {
    const expected = renderHelmChart(system);
    const dir = path.join(root, name);
    expect(listFiles(dir).sort()).toEqual([...expected.keys()].sort());
    for (const [rel, content] of expected) {
      expect(fs.readFileSync(path.join(dir, rel), 'utf8'), `${name}/${rel} is stale`).toBe(content);
    }
  });
});

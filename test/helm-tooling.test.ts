import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { describe, expect, it } from 'vitest';
import { type HelmMajor, availableHelms, helmBinary, parseHelmVersion, runHelm } from '../lib/tooling/helm';

// Both majors must be usable: charts are checked against helm 3 and helm 4.
const cases: { major: HelmMajor; minMinor: number }[] = [
  { major: 3, minMinor: 17 },
  { major: 4, minMinor: 1 },
];

describe('helm tooling', () => {
  it('resolves both helm majors', () => {
    for (const { major } of cases) expect(fs.existsSync(helmBinary(major))).toBe(true);
    expect(availableHelms().map((h) => h.major)).toEqual([3, 4]);
  });

  describe.each(cases)('helm $major', ({ major, minMinor }) => {
    it(`reports v${major}.x >= ${major}.${minMinor}`, () => {
      const r = runHelm(major, ['version', '--template', '{{.Version}}']);
      expect(r.code, r.stderr).toBe(0);
      expect(r.stdout.startsWith(`v${major}.`)).toBe(true);
      const v = parseHelmVersion(r.stdout);
      expect(v).toBeDefined();
      expect(v![1]).toBeGreaterThanOrEqual(minMinor);
    });

    it('creates a chart that passes lint --strict', { timeout: 60_000 }, () => {
      const dir = fs.mkdtempSync(path.join(os.tmpdir(), `helm${major}-chart-`));
      try {
        const created = runHelm(major, ['create', 'demo'], { cwd: dir });
        expect(created.code, created.stderr).toBe(0);
        const lint = runHelm(major, ['lint', '--strict', path.join(dir, 'demo')]);
        expect(lint.code, lint.stdout + lint.stderr).toBe(0);
      } finally {
        fs.rmSync(dir, { recursive: true, force: true });
      }
    });
  });
});

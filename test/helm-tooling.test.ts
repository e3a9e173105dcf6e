import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { describe, expect, it } from 'vitest';
import { HELM_MAJORS, HELM_MIN_VERSION, availableHelms, helmBinary, helmName, helmReleases, newestHelm, runHelm } from '../lib/tooling/helm';

// Charts are proven with the oldest supported and the newest release of each major.
describe('helm tooling', () => {
  it('proves two releases per major, the oldest being the supported minimum', () => {
    const releases = helmReleases();
    for (const major of HELM_MAJORS) {
      const versions = releases.filter((r) => r.major === major).map((r) => r.version);
      expect(versions).toHaveLength(2);
      expect(versions[0]!.split('.').slice(0, 2).map(Number)).toEqual([...HELM_MIN_VERSION[major]]);
      expect(versions[1]!.localeCompare(versions[0]!, 'en', { numeric: true })).toBe(1);
      expect(versions[1]).toBe(newestHelm(major).version);
    }
  });

  it('resolves both majors to a helm of that major (the newest release unless a helm on PATH reports it)', () => {
    expect(availableHelms().map((h) => h.major)).toEqual([3, 4]);
    for (const h of availableHelms()) expect(h.version.startsWith(`v${h.major}.`)).toBe(true);
  });

  describe.each(helmReleases().map((r) => [helmName(r), r] as const))('%s', (_name, release) => {
    it('is installed and reports its version', () => {
      expect(fs.existsSync(helmBinary(release))).toBe(true);
      const r = runHelm(release, ['version', '--template', '{{.Version}}']);
      expect(r.code, r.stderr).toBe(0);
      expect(r.stdout).toBe(`v${release.version}`);
    });

    it('creates a chart that passes lint --strict', { timeout: 60_000 }, () => {
      const dir = fs.mkdtempSync(path.join(os.tmpdir(), `helm-${release.version}-chart-`));
      try {
        const created = runHelm(release, ['create', 'demo'], { cwd: dir });
        expect(created.code, created.stderr).toBe(0);
        const lint = runHelm(release, ['lint', '--strict', path.join(dir, 'demo')]);
        expect(lint.code, lint.stdout + lint.stderr).toBe(0);
      } finally {
        fs.rmSync(dir, { recursive: true, force: true });
      }
    });
  });
});

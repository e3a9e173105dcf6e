/**
 * zod and values.schema.json agree (expectSchemaParity of chart-as-code/proof): random invalid values are
 * rejected by both, each naming the offending path (SCHEMA_PARITY_RUNS, default 1000 per chart, through the in-process renderers of the newest helm 3
 * and 4, plus a few through the CLI of the oldest); on every helm release proven, a subchart's `global`
 * passes helm's schema check and `helm lint --strict` is clean.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseValues } from '../lib/core/schema';
import { cliRenderer, cliTemplate, expectSchemaParity, fc, invalidValues } from '../lib/proof';
import { systems } from '../lib/systems';
import { HELM_MAJORS, HelmRelease, helmBinary, helmName, helmReleases, newestHelm, runHelmAsync } from '../lib/tooling/helm';
import { HelmRenderer } from './support/helm-render';
import { chartDir } from './support/render';

const RANDOM_RUNS = Number(process.env.SCHEMA_PARITY_RUNS ?? 1000);
/** Random invalid values through the CLI of releases without an in-process renderer (the oldest ones). */
const CLI_RUNS = Number(process.env.SCHEMA_PARITY_CLI_RUNS ?? 10);

const newest = HELM_MAJORS.map(newestHelm);
/** By version: newestHelm() makes a new object on every call. */
const isNewest = (release: HelmRelease) => newest.some((n) => n.version === release.version);
const newestNames = newest.map(helmName).join(' and ');

describe.each(systems.map((s) => [s.name, s] as const))('%s: values schema parity', (_name, system) => {
  // The CLI cases run a few helm processes at a time (one per core).
  describe.concurrent.each(helmReleases().map((r) => [helmName(r), r] as const))('%s', (helm, release) => {
    it('lint --strict passes', async () => {
      const r = await runHelmAsync(release, ['lint', '--strict', chartDir(system)]);
      expect(r.stdout + r.stderr).toContain('0 chart(s) failed');
      expect(r.code).toBe(0);
    });

    it("accepts a subchart's global key", async () => {
      const { result } = await cliTemplate(helmBinary(release), chartDir(system), JSON.stringify({ global: { imageRegistry: 'registry.example.com', x: { y: 1 } } }));
      expect(result.stderr).toBe('');
      expect(result.code).toBe(0);
      expect(() => parseValues(system.name, system.schema, { global: { imageRegistry: 'x' } })).not.toThrow();
    });

    if (!isNewest(release)) {
      it(`rejects ${CLI_RUNS} random invalid values in zod and in helm, naming the path`, async () => {
        const { runs } = await expectSchemaParity(system, { renderers: [cliRenderer(helmBinary(release), chartDir(system), helm)], runs: CLI_RUNS });
        expect(runs).toBe(CLI_RUNS);
      });
    }
  });

  describe(`in-process ${newestNames}`, () => {
    let renderers: HelmRenderer[] = [];
    beforeAll(() => {
      renderers = newest.map((r) => new HelmRenderer(r, chartDir(system)));
    });
    afterAll(async () => {
      await Promise.all(renderers.map((r) => r.close()));
    });

    it(`rejects ${RANDOM_RUNS} random invalid values in zod and in helm, naming the path`, async () => {
      const { runs, seed } = await expectSchemaParity(system, { renderers, runs: RANDOM_RUNS });
      expect(runs).toBe(RANDOM_RUNS);
      // The generator must have exercised the different ways values go wrong, not one kind every time:
      // the same seed gives the same cases.
      const kinds = new Set(fc.sample(invalidValues(system.schema), { seed, numRuns: RANDOM_RUNS }).map((c) => c.kind));
      expect(kinds.size, [...kinds].join(', ')).toBeGreaterThanOrEqual(5);
    });
  });
});

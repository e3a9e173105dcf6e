/**
 * zod and values.schema.json agree: random invalid values are rejected by both, each naming the offending
 * path (SCHEMA_PARITY_RUNS, default 1000 per chart, through the in-process renderers of the newest helm 3
 * and 4, plus a few through the CLI of the oldest); on every helm release proven, a subchart's `global`
 * passes helm's schema check and `helm lint --strict` is clean.
 */
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseValues } from '../lib/core/schema';
import { systems } from '../lib/systems';
import { HELM_MAJORS, helmName, helmReleases, newestHelm, runHelmAsync } from '../lib/tooling/helm';
import { InvalidCase, invalidValues } from './support/arbitraries';
import { cliRenderer, cliTemplate, HelmRenderer } from './support/helm-render';
import { assertBatched, checkInvalid } from './support/proof';
import { chartDir } from './support/render';

const RANDOM_RUNS = Number(process.env.SCHEMA_PARITY_RUNS ?? 1000);
/** Random invalid values through the CLI of releases without an in-process renderer (the oldest ones). */
const CLI_RUNS = Number(process.env.SCHEMA_PARITY_CLI_RUNS ?? 10);

const newest = HELM_MAJORS.map(newestHelm);
const newestNames = newest.map(helmName).join(' and ');

describe.each(systems.map((s) => [s.name, s] as const))('%s: values schema parity', (name, system) => {
  // The CLI cases run a few helm processes at a time (one per core).
  describe.concurrent.each(helmReleases().map((r) => [helmName(r), r] as const))('%s', (_helm, release) => {
    it('lint --strict passes', async () => {
      const r = await runHelmAsync(release, ['lint', '--strict', chartDir(system)]);
      expect(r.stdout + r.stderr).toContain('0 chart(s) failed');
      expect(r.code).toBe(0);
    });

    it("accepts a subchart's global key", async () => {
      const { result } = await cliTemplate(release, chartDir(system), JSON.stringify({ global: { imageRegistry: 'registry.example.com', x: { y: 1 } } }));
      expect(result.stderr).toBe('');
      expect(result.code).toBe(0);
      expect(() => parseValues(system.name, system.schema, { global: { imageRegistry: 'x' } })).not.toThrow();
    });

    if (!newest.includes(release)) {
      it(`rejects ${CLI_RUNS} random invalid values in zod and in helm, naming the path`, async () => {
        const check = checkInvalid(system, [cliRenderer(release, chartDir(system))]);
        await fc.assert(
          fc.asyncProperty(invalidValues(system.schema), async (c) => {
            const [problem] = await check([c]);
            if (problem !== undefined) throw new Error(problem);
          }),
          { numRuns: CLI_RUNS, endOnFailure: true },
        );
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
      const kinds = new Map<string, number>();
      const check = checkInvalid(system, renderers);
      const { runs } = await assertBatched({
        label: `${name}: random invalid values, in-process ${newestNames}`,
        arbitrary: invalidValues(system.schema),
        numRuns: RANDOM_RUNS,
        check: (batch: InvalidCase[]) => {
          for (const c of batch) kinds.set(c.kind, (kinds.get(c.kind) ?? 0) + 1);
          return check(batch);
        },
      });
      expect(runs).toBe(RANDOM_RUNS);
      // The generator must have exercised the different ways values go wrong, not one kind every time.
      expect([...kinds.keys()].length).toBeGreaterThanOrEqual(5);
    });
  });
});

/**
 * The batched property runner of the proofs (test/support/proof.ts) keeps what fast-check gives: every
 * case checked, the failing one shrunk and reported with its seed, replayable.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { assertBatched } from './support/proof';

describe('assertBatched', () => {
  it('checks numRuns cases, in batches', async () => {
    const seen: number[] = [];
    const batchSizes: number[] = [];
    const { runs } = await assertBatched({
      label: 'all pass',
      arbitrary: fc.integer(),
      numRuns: 100,
      check: async (xs) => {
        batchSizes.push(xs.length);
        seen.push(...xs);
        return xs.map(() => undefined);
      },
    });
    expect(runs).toBe(100);
    expect(seen).toHaveLength(100);
    expect(batchSizes.length).toBeGreaterThan(1);
  });

  it('reports the first failing case shrunk by fast-check, with the seed that replays it', async () => {
    const error = await assertBatched({
      label: 'fails from 100 on',
      arbitrary: fc.integer({ min: 0, max: 1000 }),
      numRuns: 200,
      check: async (xs) => xs.map((x) => (x >= 100 ? `${x} is 100 or more` : undefined)),
    }).then(
      () => undefined,
      (e: Error) => e,
    );
    expect(error?.message).toMatch(/Counterexample: \[100\]/);
    expect(error?.message).toMatch(/seed: -?\d+, path: "\d+/);
    expect((error?.cause as Error | undefined)?.message).toBe('100 is 100 or more');
  });
});

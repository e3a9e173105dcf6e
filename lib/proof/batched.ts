/**
 * The property runner of the proofs: thousands of random cases per chart, checked in batches (a renderer
 * works while JavaScript synthesizes), with fast-check's generation, seeds and shrinking kept.
 */
import type { Arbitrary } from './fast-check';
import { fc } from './fast-check';

/** `seed` if given, else FC_SEED=<n> (replays a run), else a fresh seed, printed with the results. */
export function proofSeed(seed?: number): number {
  if (seed !== undefined) return seed;
  return process.env.FC_SEED === undefined ? (Date.now() ^ (Math.random() * 0x7fffffff)) | 0 : Number(process.env.FC_SEED);
}

export interface BatchedProperty<T> {
  /** Printed with the seed and the figures, and at the head of a failure. */
  label: string;
  arbitrary: Arbitrary<T>;
  numRuns: number;
  /** Checks many cases at once: for each, why it fails, or undefined. */
  check: (cases: T[]) => Promise<(string | undefined)[]>;
  /** @default proofSeed() */
  seed?: number;
  /** Where the figures go. @default console.log */
  log?: (line: string) => void;
}

/** Cases per batch; two batches are in flight so the renderers work while JavaScript synthesizes. */
const BATCH = 40;

/**
 * fc.assert for checks that are cheap only in bulk: the cases fast-check would generate for `seed` are
 * sampled up front (fc.sample gives the same sequence) and checked in batches; the first failing case is
 * then replayed through fc.assert (`path`), which shrinks it. Throws an Error naming the label, how many
 * cases failed, the seed that replays the run and the shrunk case's problem (fast-check's error is its cause).
 */
export async function assertBatched<T>(p: BatchedProperty<T>): Promise<{ seed: number; runs: number }> {
  const seed = proofSeed(p.seed);
  const t0 = performance.now();
  const cases = fc.sample(p.arbitrary, { seed, numRuns: p.numRuns });
  const t1 = performance.now();
  const failures: { index: number; message: string }[] = [];
  const inFlight: Promise<void>[] = [];
  try {
    for (let start = 0; start < cases.length; start += BATCH) {
      const job = p.check(cases.slice(start, start + BATCH)).then((results) =>
        results.forEach((message, i) => {
          if (message !== undefined) failures.push({ index: start + i, message });
        }),
      );
      inFlight.push(job);
      if (inFlight.length >= 2) await inFlight.shift();
    }
    await Promise.all(inFlight);
  } catch (e) {
    // A renderer died: report that, not also the other batch's rejection.
    for (const job of inFlight) job.catch(() => undefined);
    throw e;
  }
  const t2 = performance.now();
  const rate = Math.round((cases.length * 1000) / Math.max(1, t2 - t1));
  (p.log ?? console.log)(
    `[proof] ${p.label}: ${cases.length} cases, seed ${seed} (FC_SEED=${seed} replays), ${failures.length} failed; ` +
      `generated in ${((t1 - t0) / 1000).toFixed(1)} s, checked in ${((t2 - t1) / 1000).toFixed(1)} s (${rate}/s)`,
  );
  if (failures.length === 0) return { seed, runs: cases.length };
  const first = failures.sort((a, b) => a.index - b.index)[0]!;
  const head = `${p.label}: ${failures.length} of ${cases.length} random cases failed (seed ${seed}: pass it as \`seed\` or set FC_SEED=${seed} to replay)`;
  try {
    await fc.assert(
      fc.asyncProperty(p.arbitrary, async (value) => {
        const [message] = await p.check([value]);
        if (message !== undefined) throw new Error(message);
      }),
      { seed, path: String(first.index) },
    );
  } catch (e) {
    const shrunk = e instanceof Error && e.cause instanceof Error ? e.cause.message : first.message;
    const fastCheck = e instanceof Error ? e.message.replace(/\n+Hint: .*$/s, '') : String(e);
    throw new Error(`${head}.\nThe first of them, shrunk:\n${shrunk}\n\nfast-check: ${fastCheck}`, { cause: e });
  }
  throw new Error(`${head}; case ${first.index} failed in its batch but passed alone:\n${first.message}`);
}

/**
 * The core guarantee: for every chart, `helm template` with values V renders exactly the objects the raw
 * synthesis renders for the same V (helm 3 and helm 4; defaults, hand-written cases, random values).
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { systems } from '../lib/systems';
import { HELM_MAJORS } from '../lib/tooling/helm';
import { validValues } from './support/arbitraries';
import { equivalence } from './support/render';
import { handCases } from './cases';

const RANDOM_RUNS = Number(process.env.EQUIVALENCE_RUNS ?? 100);

describe.each(systems.map((s) => [s.name, s] as const))('%s: helm template equals raw synthesis', (name, system) => {
  it('has hand-written cases for its optional parts', () => {
    expect(handCases[name]?.length ?? 0).toBeGreaterThan(0);
  });

  describe.each(HELM_MAJORS.map((m) => [m] as const))('helm %i', (major) => {
    it('with defaults', () => {
      const r = equivalence(major, system, {});
      expect(r.differences).toEqual([]);
      expect(r.raw.length).toBeGreaterThan(3);
    });

    it.each((handCases[name] ?? []).map((c) => [c.name, c.values] as const))('with %s', (_case, values) => {
      expect(equivalence(major, system, values).differences).toEqual([]);
    });

    it(`with ${RANDOM_RUNS} random valid values`, () => {
      let runs = 0;
      fc.assert(
        fc.property(validValues(system.schema), (values) => {
          runs++;
          const { differences } = equivalence(major, system, values);
          if (differences.length > 0) throw new Error(`values ${JSON.stringify(values)}\n${differences.join('\n')}`);
        }),
        { numRuns: RANDOM_RUNS, endOnFailure: true },
      );
      expect(runs).toBe(RANDOM_RUNS);
    });
  });
});

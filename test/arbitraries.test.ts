import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { mdIcapsrvValues } from '../lib/systems/md-icapsrv/values';
import { INVALID_KINDS, type InvalidKind, invalidValues, schemaPaths, validValues } from '../lib/proof/arbitraries';

const schema = mdIcapsrvValues;

// FC_SEED=<n> replays a run; otherwise fast-check picks a seed and prints it (with the path) on failure.
const seed = process.env.FC_SEED === undefined ? undefined : Number(process.env.FC_SEED);
const params = (numRuns: number) => (seed === undefined ? { numRuns } : { numRuns, seed });

/** `a` is a prefix of (or equal to) `b`; zod paths hold array indices as numbers, like ours. */
const isPrefix = (a: readonly PropertyKey[], b: readonly PropertyKey[]): boolean =>
  a.length <= b.length && a.every((seg, i) => String(seg) === String(b[i]));

/** Where a value holds null or the renderer's reserved ⟦ ⟧ characters (in a key or a string), if anywhere. */
function findForbidden(x: unknown, path: string[] = []): string | undefined {
  const at = path.join('.') || '(root)';
  if (x === null) return `null at ${at}`;
  if (typeof x === 'string') return /[\u27e6\u27e7]/.test(x) ? `⟦⟧ in the string at ${at}` : undefined;
  if (Array.isArray(x)) {
    for (const [i, v] of x.entries()) {
      const bad = findForbidden(v, [...path, String(i)]);
      if (bad) return bad;
    }
    return undefined;
  }
  if (typeof x === 'object') {
    for (const [k, v] of Object.entries(x)) {
      if (/[\u27e6\u27e7]/.test(k)) return `⟦⟧ in the key ${JSON.stringify(k)} at ${at}`;
      const bad = findForbidden(v, [...path, k]);
      if (bad) return bad;
    }
  }
  return undefined;
}

describe('values arbitraries (md-icapsrv)', () => {
  it('lists mutation targets over the whole tree, inside arrays and records too', () => {
    const patterns = schemaPaths(schema).map((p) => p.pattern);
    for (const p of ['(root)', 'image.tag', 'ingress.paths[].path', 'tls.https.protocols[]', 'commonLabels{}', 'resources.requests{}', 'database']) {
      expect(patterns).toContain(p);
    }
  });

  it('validValues: every sample parses', { timeout: 60_000 }, () => {
    fc.assert(
      fc.property(validValues(schema), (values) => {
        const r = schema.safeParse(values);
        expect(r.success, r.success ? '' : JSON.stringify(r.error.issues)).toBe(true);
      }),
      params(300),
    );
  });

  it('invalidValues: every sample fails zod, at (or around) the mutated path', { timeout: 60_000 }, () => {
    fc.assert(
      fc.property(invalidValues(schema), ({ values, path, kind }) => {
        const r = schema.safeParse(values);
        expect(r.success, `${kind} at ${JSON.stringify(path)} was accepted`).toBe(false);
        const issuePaths = r.success ? [] : r.error.issues.map((i) => i.path);
        expect(
          issuePaths.some((p) => isPrefix(p, path) || isPrefix(path, p)),
          `${kind} at ${JSON.stringify(path)}, but zod reports ${JSON.stringify(issuePaths)}`,
        ).toBe(true);
      }),
      params(300),
    );
  });

  it('invalidValues: every kind appears over 1000 samples, and mutations reach array items and record entries', { timeout: 60_000 }, () => {
    const cases = fc.sample(invalidValues(schema), params(1000));
    const counts = Object.fromEntries(INVALID_KINDS.map((k) => [k, 0])) as Record<InvalidKind, number>;
    for (const c of cases) counts[c.kind]++;
    expect(INVALID_KINDS.filter((k) => counts[k] === 0), `kind counts: ${JSON.stringify(counts)}`).toEqual([]);
    expect(cases.some((c) => c.path.some((seg) => typeof seg === 'number'))).toBe(true);
    const records = ['commonLabels', 'commonAnnotations', 'podAnnotations', 'podLabels', 'nodeSelector'];
    expect(cases.some((c) => c.path.length === 2 && records.includes(String(c.path[0])))).toBe(true);
  });

  it('never emits null or ⟦ ⟧', { timeout: 60_000 }, () => {
    fc.assert(
      fc.property(validValues(schema), invalidValues(schema), (valid, invalid) => {
        expect(findForbidden(valid)).toBeUndefined();
        expect(findForbidden(invalid.values)).toBeUndefined();
      }),
      params(300),
    );
  });
});

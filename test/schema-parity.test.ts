/**
 * zod and values.schema.json agree: random invalid values are rejected by both, each naming the
 * offending path; valid values (and a subchart's `global`) pass helm's schema check; lint is clean.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { parseValues, ValuesError } from '../lib/core/schema';
import { systems } from '../lib/systems';
import { HELM_MAJORS, runHelm } from '../lib/tooling/helm';
import { invalidValues } from './support/arbitraries';
import { chartDir, helmTemplate } from './support/render';

const RANDOM_RUNS = Number(process.env.SCHEMA_PARITY_RUNS ?? 100);

/** The offending path, or one of its parents (a JSON Schema rule on an object names the object), appears in helm's error. */
function helmNamesPath(stderr: string, path: (string | number)[]): boolean {
  // A rule across root values (e.g. migrateHistory needs Recreate) is reported on the root.
  if (path.length === 0) return /\(root\)|at ''|at '\/'/.test(stderr);
  const text = stderr.replace(/\//g, '.');
  for (let n = path.length; n >= 1; n--) {
    const dotted = path.slice(0, n).join('.');
    if (text.includes(dotted)) return true;
  }
  // A root-level unknown key: helm names the key itself.
  if (path.length === 1 && text.includes(String(path[0]))) return true;
  // helm 4 reports a bad map key by the key alone ("invalid propertyName 'k'"), without its map's path.
  return stderr.includes(`invalid propertyName ${JSON.stringify(String(path[path.length - 1])).replace(/^"|"$/g, "'")}`);
}

describe.each(systems.map((s) => [s.name, s] as const))('%s: values schema parity', (_name, system) => {
  describe.each(HELM_MAJORS.map((m) => [m] as const))('helm %i', (major) => {
    it('lint --strict passes', () => {
      const r = runHelm(major, ['lint', '--strict', chartDir(system)]);
      expect(r.stdout + r.stderr).toContain('0 chart(s) failed');
      expect(r.code).toBe(0);
    });

    it('accepts a subchart\'s global key', () => {
      const r = helmTemplate(major, chartDir(system), { global: { imageRegistry: 'registry.example.com', x: { y: 1 } } });
      expect(r.stderr).toBe('');
      expect(r.code).toBe(0);
      expect(() => parseValues(system.name, system.schema, { global: { imageRegistry: 'x' } })).not.toThrow();
    });

    it(`rejects ${RANDOM_RUNS} random invalid values in zod and in helm, naming the path`, () => {
      const kinds = new Map<string, number>();
      fc.assert(
        fc.property(invalidValues(system.schema), (c) => {
          kinds.set(c.kind, (kinds.get(c.kind) ?? 0) + 1);
          let zodError: ValuesError | undefined;
          try {
            parseValues(system.name, system.schema, c.values);
          } catch (e) {
            zodError = e as ValuesError;
          }
          if (!(zodError instanceof ValuesError)) throw new Error(`zod accepted ${JSON.stringify(c)}`);
          const prefix = c.path.map(String).join('.');
          const related = (p: string) => prefix === '' || (p !== '' && (p === prefix || p.startsWith(`${prefix}.`) || prefix.startsWith(`${p}.`)));
          if (!zodError.issues.some((i) => related(i.path))) {
            throw new Error(`zod did not name ${prefix}: ${zodError.message}`);
          }
          const r = helmTemplate(major, chartDir(system), c.values);
          if (r.code === 0) throw new Error(`helm accepted ${JSON.stringify(c)}`);
          if (!/schema/i.test(r.stderr)) throw new Error(`helm failed for another reason than the schema: ${r.stderr}`);
          if (!helmNamesPath(r.stderr, c.path)) throw new Error(`helm did not name ${prefix}: ${r.stderr}`);
        }),
        { numRuns: RANDOM_RUNS, endOnFailure: true },
      );
      // The generator must have exercised the different ways values go wrong, not one kind 100 times.
      expect([...kinds.keys()].length).toBeGreaterThanOrEqual(5);
    });
  });
});

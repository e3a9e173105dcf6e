/**
 * lib/core/schema.ts parseValues: the same values are validated once per schema (N instances of a chart
 * with equal values), every caller gets its own copy, and nothing JSON would blur is taken from the memo.
 */
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { parseValues, ValuesError } from '../lib/core/schema';

/** A schema that counts how often zod runs it (parseValues also parses `{}` for the defaults). */
function countedSchema() {
  let runs = 0;
  const schema = z
    .object({
      replicas: z.number().int().default(1),
      labels: z.record(z.string(), z.string()).default({}),
      list: z.array(z.number().optional()).default([]),
    })
    .strict()
    .transform((v) => {
      runs++;
      return v;
    });
  return { schema, runs: () => runs };
}

describe('parseValues', () => {
  it('validates the same values once, and gives every caller the same values, frozen so none can change them', () => {
    const { schema, runs } = countedSchema();
    const first = parseValues('x', schema, { replicas: 2, labels: { a: 'b' } });
    const afterFirst = runs();
    expect(afterFirst).toBeGreaterThan(0);
    expect(() => {
      first.labels.a = 'changed by one chart';
    }).toThrow(TypeError);
    expect(() => first.list.push(9)).toThrow(TypeError);
    const second = parseValues('x', schema, { replicas: 2, labels: { a: 'b' } });
    expect(runs()).toBe(afterFirst);
    expect(second).toEqual({ replicas: 2, labels: { a: 'b' }, list: [] });
    // Handed on (a chart's values to its system), they are not parsed again.
    expect(parseValues('x', schema, second)).toBe(second);
    expect(runs()).toBe(afterFirst);
    expect(parseValues('x', schema, { replicas: 3 })).toEqual({ replicas: 3, labels: {}, list: [] });
    expect(runs()).toBeGreaterThan(afterFirst);
  });

  it('validates wrong values every time, naming them', () => {
    const { schema } = countedSchema();
    for (let i = 0; i < 2; i++) expect(() => parseValues('x', schema, { replicas: 1.5 })).toThrow(ValuesError);
    expect(() => parseValues('x', schema, { replicas: 1.5 })).toThrow(/replicas/);
  });

  it('never answers from the memo for input JSON would blur (undefined in a list, NaN, class instances)', () => {
    const { schema, runs } = countedSchema();
    // JSON writes both lists as [1,null]: one is valid, the other is not.
    expect(parseValues('x', schema, { list: [1, undefined] }).list).toEqual([1, undefined]);
    expect(() => parseValues('x', schema, { list: [1, null] })).toThrow(/list/);
    // JSON writes NaN as null, and null removes a value (as in Helm).
    expect(parseValues('x', schema, { replicas: null }).replicas).toBe(1);
    expect(() => parseValues('x', schema, { replicas: Number.NaN })).toThrow(/replicas/);
    class Labels {
      constructor(public readonly team: string) {}
    }
    for (const blurred of [{ list: [1, undefined] }, { labels: new Labels('a') }]) {
      const before = runs();
      parseValues('x', schema, blurred);
      const once = runs() - before;
      parseValues('x', schema, blurred);
      expect(runs() - before, JSON.stringify(blurred)).toBe(2 * once);
    }
  });
});

/**
 * One way to write a default: a field states its own, and an object takes its fields' (`.prefault({})`,
 * which parses `{}` through them). An object-level `.default({...})` restates them (zod 4 hands that value
 * out as it is, unparsed), so a field's default changed in one place would silently drift in the other.
 */
import { isDeepStrictEqual } from 'node:util';
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { image, probe, resources } from '../lib/core/schema';
import { systems } from '../lib/systems';

type Def = {
  type: string;
  innerType?: z.ZodType;
  in?: z.ZodType;
  out?: z.ZodType;
  shape?: Record<string, z.ZodType>;
  catchall?: z.ZodType;
  element?: z.ZodType;
  valueType?: z.ZodType;
  options?: z.ZodType[];
  left?: z.ZodType;
  right?: z.ZodType;
  defaultValue?: unknown;
};
const defOf = (s: z.ZodType): Def => (s as unknown as { _zod: { def: Def } })._zod.def;

/** The object under wrappers and pipes (a `rule` is one), or undefined when `s` is not an object. */
function objectUnder(s: z.ZodType): z.ZodType | undefined {
  const d = defOf(s);
  if (d.type === 'object') return s;
  if (d.innerType && ['optional', 'nullable', 'readonly', 'catch', 'nonoptional'].includes(d.type)) return objectUnder(d.innerType);
  if (d.type === 'pipe' && d.in) return objectUnder(d.in);
  return undefined;
}

/**
 * Every place under `schema` where an object-level `.default(value)` restates its fields' defaults, or
 * gives what parsing `{}` would not: allowed is only `.default({})` on an object none of whose fields has
 * a default (the same as `.prefault({})` there).
 */
export function restatedDefaults(schema: z.ZodType): string[] {
  const found: string[] = [];
  const seen = new Set<z.ZodType>();
  const walk = (s: z.ZodType, path: string): void => {
    if (seen.has(s)) return;
    seen.add(s);
    const d = defOf(s);
    if (d.type === 'default') {
      const object = objectUnder(d.innerType!);
      if (object) {
        const given = d.defaultValue;
        const derived = object.safeParse({});
        if (!derived.success || !isDeepStrictEqual(given, {}) || !isDeepStrictEqual(derived.data, {})) {
          found.push(`${path || '(root)'}: .default(${JSON.stringify(given)}) where .prefault({}) gives ${derived.success ? JSON.stringify(derived.data) : 'an error'}`);
        }
      }
    }
    const children: [z.ZodType | undefined, string][] = [
      [d.innerType, path],
      [d.in, path],
      [d.out, path],
      [d.catchall, `${path}.*`],
      [d.element, `${path}[]`],
      [d.valueType, `${path}.*`],
      [d.left, path],
      [d.right, path],
      ...(d.options ?? []).map((o): [z.ZodType, string] => [o, path]),
      ...Object.entries(d.shape ?? {}).map(([k, v]): [z.ZodType, string] => [v, path ? `${path}.${k}` : k]),
    ];
    for (const [child, at] of children) if (child && typeof child === 'object' && '_zod' in child) walk(child, at);
  };
  walk(schema, '');
  return found;
}

describe('object defaults', () => {
  it('are found where restated, drifted or short of their fields, wrapped or not', () => {
    const field = z.object({ size: z.number().default(1) }).strict();
    const schema = z.object({
      restated: field.default({ size: 1 }),
      drifted: field.default({ size: 2 }),
      short: field.default({} as never),
      inList: z.array(z.object({ x: field.default({ size: 1 }) })).default([]),
      underRule: field.refine(() => true).default({ size: 1 }),
      derived: field.prefault({}),
      bag: z.object({ note: z.string().optional() }).default({}),
      record: z.record(z.string(), z.string()).default({ a: 'b' }),
    });
    expect(restatedDefaults(schema).map((p) => p.split(':')[0])).toEqual(['restated', 'drifted', 'short', 'inList[].x', 'underRule']);
  });

  it('of the schema pieces every chart uses are derived from their fields', () => {
    const d = { initialDelaySeconds: 1, periodSeconds: 2, timeoutSeconds: 3, failureThreshold: 4 };
    for (const s of [image('example/app', '1.2.3'), probe(d, 'readiness'), resources({ cpu: '1' }, { cpu: '2' })]) expect(restatedDefaults(s)).toEqual([]);
    expect(probe(d, 'readiness').parse(undefined)).toEqual({ enabled: true, ...d });
  });

  it.each(systems.map((s) => [s.name, s] as const))('%s: no object in its values restates its fields\' defaults', (_name, system) => {
    expect(restatedDefaults(system.schema)).toEqual([]);
  });
});

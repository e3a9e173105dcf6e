/**
 * TypeScript interfaces for a values schema, with each field's description and default as TSDoc, so an
 * IDE hover on `values.replicaCount` says what it is. `npm run types` writes them to
 * lib/systems/<system>/values.generated.ts; test/values-types-fresh.test.ts fails when one is stale, and
 * each generated file proves at compile time that its interface equals `z.output` of the schema.
 */
import { z } from 'zod';

/** The systems whose values types are generated: folder under lib/systems, schema export, type name. */
export const VALUES_TYPES = [
  { system: 'md-icapsrv', schema: 'mdIcapsrvValues', type: 'MdIcapsrvValues' },
  { system: 'md-core', schema: 'mdCoreValues', type: 'MdCoreValues' },
  { system: 'sv-server', schema: 'svServerValues', type: 'SvServerValues' },
  { system: 'multisite-init', schema: 'multisiteInitValues', type: 'MultisiteInitValues' },
] as const;

interface Def {
  type: string;
  innerType?: z.ZodType;
  in?: z.ZodType;
  out?: z.ZodType;
  shape?: Record<string, z.ZodType>;
  catchall?: z.ZodType;
  element?: z.ZodType;
  keyType?: z.ZodType;
  valueType?: z.ZodType;
  options?: z.ZodType[];
  values?: unknown[];
  entries?: Record<string, unknown>;
}

const def = (s: z.ZodType): Def => (s as unknown as { _zod: { def: Def } })._zod.def;

/** The first description on the way from a field's schema through its wrappers. */
function description(s: z.ZodType): string | undefined {
  let cur: z.ZodType | undefined = s;
  while (cur) {
    if (cur.description) return cur.description;
    const d = def(cur);
    cur = d.innerType ?? (d.type === 'pipe' ? d.in : undefined);
  }
  return undefined;
}

const IDENT = /^[A-Za-z_$][A-Za-z0-9_$]*$/;
const pascal = (key: string) => key.replace(/(^|[^A-Za-z0-9])([A-Za-z0-9])/g, (_m, _sep, c: string) => c.toUpperCase());
const tsdoc = (text: string) => text.replace(/\*\//g, '*\\/');

/** Generates the interfaces (output types) for `schema`, the top one named `typeName`. */
export function valuesInterfaces(schema: z.ZodType, typeName: string): string {
  const blocks: string[] = [];
  const used = new Set<string>();

  function nameFor(wanted: string): string {
    let name = wanted;
    for (let i = 2; used.has(name); i++) name = `${wanted}${i}`;
    used.add(name);
    return name;
  }

  /** The output type of `s`; object types become named interfaces. */
  function typeOf(s: z.ZodType, name: string): string {
    const d = def(s);
    switch (d.type) {
      case 'default':
      case 'prefault':
      case 'nonoptional':
        return typeOf(d.innerType!, name).replace(/ \| undefined$/, '');
      case 'optional':
        return `${typeOf(d.innerType!, name)} | undefined`;
      case 'nullable':
        return `${typeOf(d.innerType!, name)} | null`;
      case 'readonly':
      case 'catch':
        return typeOf(d.innerType!, name);
      case 'pipe':
        return typeOf(d.out!, name);
      case 'string':
        return 'string';
      case 'number':
      case 'int':
        return 'number';
      case 'boolean':
        return 'boolean';
      case 'null':
        return 'null';
      case 'undefined':
        return 'undefined';
      case 'unknown':
        return 'unknown';
      case 'any':
        return 'any';
      case 'never':
        return 'never';
      case 'literal':
        return (d.values ?? []).map((v) => JSON.stringify(v)).join(' | ');
      case 'enum':
        return Object.values(d.entries ?? {}).map((v) => JSON.stringify(v)).join(' | ');
      case 'union':
        return (d.options ?? []).map((o, i) => paren(typeOf(o, `${name}Option${i + 1}`))).join(' | ');
      case 'array':
        return `${paren(typeOf(d.element!, `${name}Item`))}[]`;
      case 'record': {
        const key = typeOf(d.keyType!, `${name}Key`);
        const value = typeOf(d.valueType!, `${name}Value`);
        return key === 'string' ? `{ [key: string]: ${value} }` : `Record<${key}, ${value}>`;
      }
      case 'object':
        return objectInterface(s, name);
      default:
        throw new Error(`${name}: cannot generate a type for a zod ${d.type}`);
    }
  }

  const paren = (t: string) => (t.includes(' | ') || t.includes('=>') ? `(${t})` : t);

  function objectInterface(s: z.ZodType, wanted: string): string {
    const name = nameFor(wanted);
    const d = def(s);
    const lines: string[] = [];
    const doc = description(s);
    lines.push(...(doc ? [`/** ${tsdoc(doc)} */`] : []), `export interface ${name} {`);
    for (const [key, field] of Object.entries(d.shape ?? {})) {
      const type = typeOf(field, `${name}${pascal(key)}`);
      const optional = field.safeParse(undefined).success && !hasDefault(field);
      const parts: string[] = [];
      const text = description(field);
      if (text) parts.push(tsdoc(text));
      const dflt = defaultOf(field);
      if (dflt !== undefined) parts.push(`@default ${tsdoc(JSON.stringify(dflt))}`);
      if (parts.length === 1) lines.push(`  /** ${parts[0]} */`);
      else if (parts.length > 1) lines.push('  /**', ...parts.flatMap((p) => p.split('\n')).map((l) => `   * ${l}`.trimEnd()), '   */');
      const prop = IDENT.test(key) ? key : JSON.stringify(key);
      lines.push(`  ${prop}${optional ? '?' : ''}: ${type};`);
    }
    const catchall = d.catchall ? def(d.catchall).type : undefined;
    if (catchall && catchall !== 'never') lines.push(`  [key: string]: ${typeOf(d.catchall!, `${name}Extra`)};`);
    lines.push('}');
    blocks.push(lines.join('\n'));
    return name;
  }

  typeOf(schema, typeName);
  // Parents before children: the top interface first.
  return blocks.reverse().join('\n\n');
}

/** Whether a field gets a value when it is left out (a default or prefault on the way in). */
function hasDefault(s: z.ZodType): boolean {
  const r = s.safeParse(undefined);
  return r.success && r.data !== undefined;
}

/** A field's default as the parsed value, for leaves, lists and maps (an object's fields document their own). */
function defaultOf(s: z.ZodType): unknown {
  const r = s.safeParse(undefined);
  if (!r.success || r.data === undefined) return undefined;
  const v = r.data;
  if (v !== null && typeof v === 'object' && !Array.isArray(v) && def(unwrapAll(s)).type === 'object') return undefined;
  return v;
}

function unwrapAll(s: z.ZodType): z.ZodType {
  let cur = s;
  for (let d = def(cur); d.innerType || (d.type === 'pipe' && d.in); d = def(cur)) cur = d.innerType ?? d.in!;
  return cur;
}

/** The whole values.generated.ts for one system. */
export function valuesTypesFile(entry: (typeof VALUES_TYPES)[number], schema: z.ZodType): string {
  return `// Generated by \`npm run types\` from ${entry.schema} (lib/systems/${entry.system}/values.ts): do not edit.
import type { z } from 'zod';
import type { ${entry.schema}Schema } from './values';

${valuesInterfaces(schema, entry.type)}

/** Mutual assignability: the interfaces above say exactly what the schema gives. */
type Same<A, B> = [A] extends [B] ? ([B] extends [A] ? true : false) : false;
// A compile error here means this file is stale: run \`npm run types\`.
true satisfies Same<${entry.type}, z.output<typeof ${entry.schema}Schema>>;
`;
}

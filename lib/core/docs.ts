/**
 * values.yaml and the chart README's values table, both derived from the values schema: defaults from
 * `.default()`, text from `.describe()`.
 */
import YAML from 'yaml';
import { z } from 'zod';
import { ChartDefinition, declaredPodSecurityLevel } from './chart';
import { unwrapSchema } from './template';

interface Def {
  type: string;
  innerType?: z.ZodType;
  in?: z.ZodType;
  shape?: Record<string, z.ZodType>;
  defaultValue?: unknown;
}

function def(s: z.ZodType): Def {
  return (s as unknown as { _zod: { def: Def } })._zod.def;
}

/** The first description found on a schema or the wrappers around it. */
function describe(s: z.ZodType): string | undefined {
  for (let cur: z.ZodType | undefined = s; cur; ) {
    const d = z.globalRegistry.get(cur)?.description ?? cur.description;
    if (d) return d;
    const k = def(cur);
    cur = k.innerType ?? (k.type === 'pipe' ? k.in : undefined);
  }
  return undefined;
}


function typeName(s: z.ZodType): string {
  const inner = unwrapSchema(s);
  const k = def(inner);
  switch (k.type) {
    case 'object':
    case 'record':
      return 'object';
    case 'array':
      return 'list';
    case 'number':
      return (inner as z.ZodNumber).format?.includes('int') || (inner as z.ZodNumber).isInt ? 'int' : 'number';
    case 'enum':
      return `enum: ${(inner as z.ZodEnum).options.join(', ')}`;
    case 'union':
      return ((k as unknown as { options: z.ZodType[] }).options ?? []).map(typeName).filter((v, i, a) => a.indexOf(v) === i).join(' \\| ');
    case 'literal':
      return 'string';
    default:
      return k.type;
  }
}

interface Row {
  key: string;
  type: string;
  value: unknown;
  description: string;
}

/** Leaves (and opaque objects) of the schema with their default values, in schema order. */
function rows(schema: z.ZodType, value: unknown, prefix = ''): Row[] {
  const inner = unwrapSchema(schema);
  const k = def(inner);
  if (k.type !== 'object' || !k.shape) return [];
  const out: Row[] = [];
  const obj = (value ?? {}) as Record<string, unknown>;
  for (const [key, child] of Object.entries(k.shape)) {
    const path = prefix ? `${prefix}.${key}` : key;
    const childInner = unwrapSchema(child);
    if (def(childInner).type === 'object') {
      out.push(...rows(child, obj[key], path));
    } else if (obj[key] !== undefined) {
      out.push({ key: path, type: typeName(child), value: obj[key], description: describe(child) ?? '' });
    }
  }
  return out;
}

function yamlValue(v: unknown, indent: number): string {
  if (v !== null && typeof v === 'object' && Object.keys(v).length > 0) {
    const text = YAML.stringify(v, { indent: 2 }).trimEnd();
    return `\n${text
      .split('\n')
      .map((l) => ' '.repeat(indent) + l)
      .join('\n')}`;
  }
  return ` ${YAML.stringify(v).trimEnd()}`;
}

function comment(text: string | undefined, pad: string): string[] {
  return text ? text.split('\n').map((l) => `${pad}# ${l}`) : [];
}

function yamlLines(schema: z.ZodType, value: unknown, indent: number): string[] {
  const k = def(unwrapSchema(schema));
  const pad = ' '.repeat(indent);
  const out: string[] = [];
  const obj = (value ?? {}) as Record<string, unknown>;
  for (const [key, child] of Object.entries(k.shape ?? {})) {
    if (obj[key] === undefined) continue;
    if (indent === 0 && out.length > 0) out.push('');
    out.push(...comment(describe(child), pad));
    if (def(unwrapSchema(child)).type === 'object') {
      out.push(`${pad}${key}:`, ...yamlLines(child, obj[key], indent + 2));
    } else {
      out.push(`${pad}${key}:${yamlValue(obj[key], indent + 2)}`);
    }
  }
  return out;
}

/** values.yaml: every default, commented from the descriptions. */
export function valuesYaml(schema: z.ZodType): string {
  const defaults = schema.parse({});
  return `# Default values. Generated from the zod schema; do not edit. values.schema.json checks what you set.\n\n${yamlLines(schema, defaults, 0).join('\n')}\n`;
}

function cell(s: string): string {
  return s.replace(/\|/g, '\\|').replace(/\n/g, ' ');
}

/** The README's values table. */
export function valuesTable(schema: z.ZodType): string {
  const lines = ['| Key | Type | Default | Description |', '| --- | --- | --- | --- |'];
  for (const r of rows(schema, schema.parse({}))) {
    lines.push(`| \`${r.key}\` | ${r.type} | \`${cell(JSON.stringify(r.value))}\` | ${cell(r.description)} |`);
  }
  return lines.join('\n');
}

function podSecuritySection(defn: ChartDefinition): string {
  const level = declaredPodSecurityLevel(defn);
  if (!level) return '';
  return `
## Pod Security

Every pod meets the \`${level}\` Pod Security Standard (Chart.yaml annotation \`chart-as-code/pod-security-level\`).
Label the namespace to enforce it:

\`\`\`console
kubectl label namespace <namespace> pod-security.kubernetes.io/enforce=${level}
\`\`\`

Values that would break it (a privileged container, an added capability, a hostPath volume, ...) are refused
with their path; \`podSecurityLevel\` lowers the level on purpose.
`;
}

/** The chart README: what it is, how to install, Pod Security, the values table. */
export function chartReadme(defn: ChartDefinition): string {
  return `# ${defn.name}

![Version: ${defn.metadata.version}](https://img.shields.io/badge/Version-${defn.metadata.version.replace(/-/g, '--')}-informational?style=flat-square) ![AppVersion: ${defn.metadata.appVersion}](https://img.shields.io/badge/AppVersion-${defn.metadata.appVersion.replace(/-/g, '--')}-informational?style=flat-square)

${defn.metadata.description}

${(defn.metadata.readmeIntro ?? '').trim()}

## Install

\`\`\`console
helm install ${defn.name} ./charts/${defn.name} --namespace <namespace> --create-namespace
\`\`\`

Values are checked against \`values.schema.json\` at install time; a wrong value fails with its path.
This chart is generated by chart-as-code from the same typed source as the raw manifests, and tests
prove that \`helm template\` renders exactly the objects of the raw synthesis for the same values.
${podSecuritySection(defn)}
## Values

${valuesTable(defn.schema)}
`;
}

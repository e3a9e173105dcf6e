/**
 * Writes a JSON tree that holds tokens and markers (see template.ts) as Helm template YAML.
 *
 * Only block-style YAML is produced, so indentation is always known and `nindent` can be used for
 * values that are whole maps or lists. Scalars that come from values are written with `toJson`, which
 * quotes strings and prints numbers exactly (`{{ .Values.x }}` alone would print 1e+06 for a float),
 * except where printing them as they are reads back the same (booleans, small integers, enums of simple words,
 * names), which reads better.
 */
import YAML from 'yaml';
import { HelmRender, Json, NamedTemplate } from './template';

/** What YAML may write as a plain (unquoted) scalar, as far as this emitter writes one. */
const PLAIN_SCALAR_RE = /^[A-Za-z0-9_/.][A-Za-z0-9 _/.:@=+-]*$/;

/** A static string as a YAML scalar: plain when it reads back as the same string in YAML 1.1 and 1.2. */
function staticScalar(s: string): string {
  if (PLAIN_SCALAR_RE.test(s) && !s.endsWith(' ') && !s.endsWith(':') && !s.includes(': ') && !s.includes(' #')) {
    const v11 = YAML.parse(s, { version: '1.1' }) as unknown;
    const v12 = YAML.parse(s, { version: '1.2' }) as unknown;
    if (v11 === s && v12 === s) return s;
  }
  return JSON.stringify(s);
}

function staticKey(k: string): string {
  return escapeActions(staticScalar(k));
}

/** Static text as template text: a `{{` would start an action, so it is printed by one. */
function escapeActions(text: string): string {
  return text.replace(/\{\{/g, '{{ "{{" }}');
}

function isBlockText(s: string): boolean {
  // A literal block keeps the text exactly when no line starts with a space on the first line and
  // there are no trailing blank lines or carriage returns.
  return s.includes('\n') && !s.startsWith(' ') && !/\n\n+$/.test(s) && !s.includes('\r') && !/[ \t]\n/.test(s) && !s.includes('\t');
}

/**
 * The one-line comment over a named template in `_helpers.tpl`: how to call it (its parameters go in a dict
 * with the chart's root context) and what it gives.
 */
export function usageComment(t: NamedTemplate): string {
  const arg = t.params.length === 0 ? '$' : `(dict "root" $${t.params.map((k) => ` ${JSON.stringify(k)} <${k}>`).join('')})`;
  const call = `include ${JSON.stringify(t.name)} ${arg}`;
  const b = t.body;
  const [usage, gives] =
    'map' in b
      ? [`${call} | nindent <n>`, 'YAML mapping fields']
      : 'list' in b
        ? [`${call} | nindent <n>`, 'YAML list items']
        : 'text' in b
          ? [call, 'a string']
          : 'condition' in b
            ? [`if ${call}`, '"true" when the condition holds, else empty']
            : [call, `a sha256 checksum (hex${b.length === undefined ? '' : `, first ${b.length} characters`}) of its inputs`];
  return `{{/* Usage: {{ ${usage} }} - ${gives} */}}`;
}

export class HelmEmitter {
  /** How the chart's root context is written where output goes: `$`, or `$.root` inside a named template with parameters. */
  private root = '$';

  /** Conditions of the `if` markers being emitted around the current map: true wherever it is written. */
  private readonly guards: string[] = [];

  constructor(private readonly render: HelmRender) {}

  /** A whole object (a YAML document) under its conditions. */
  public document(obj: Json, conditions: string[], range?: { readonly variable: string; readonly expr: string }): string {
    const lines = this.map(obj as Record<string, Json>, 0).flatMap(wrapLongLine);
    let doc = lines.join('\n');
    if (conditions.length > 0) {
      const cond = conditions.length === 1 ? this.actionBody(conditions[0]!) : `and ${conditions.map((c) => this.withRoot(c)).join(' ')}`;
      doc = `${wrapLongLine(`{{- if ${cond} }}`).join('\n')}\n${doc}\n{{- end }}`;
    }
    // One document per item: each starts with its own separator.
    if (range) doc = `${wrapLongLine(`{{- range ${range.variable} := ${this.actionBody(range.expr)} }}`).join('\n')}\n---\n${doc}\n{{- end }}`;
    return `${doc}\n`;
  }

  /** A named template's definition, for `_helpers.tpl`. */
  public definition(t: NamedTemplate): string {
    this.root = t.params.length > 0 ? '$.root' : '$';
    try {
      const head = t.params.length > 0 ? ['{{- $p := . -}}'] : [];
      let lines: string[];
      if ('map' in t.body) lines = [...head, ...this.map(t.body.map as Record<string, Json>, 0)];
      else if ('list' in t.body) lines = [...head, ...this.list(t.body.list, 0)];
      else if ('text' in t.body) lines = [...head, `{{- ${this.actionBody(t.body.text)} -}}`];
      else if ('condition' in t.body) lines = [`{{- if ${this.actionBody(t.body.condition)} -}}`, 'true', '{{- end -}}'];
      else {
        const hash = t.body.length === undefined ? 'toJson $d | sha256sum' : `toJson $d | sha256sum | trunc ${t.body.length}`;
        lines = ['{{- $d := dict -}}', ...t.body.checksum.map(([k, e]) => `{{- $_ := set $d ${JSON.stringify(k)} ${this.withRoot(e)} -}}`), `{{- ${hash} -}}`];
      }
      return `${usageComment(t)}\n{{- define ${JSON.stringify(t.name)} -}}\n${lines.flatMap(wrapLongLine).join('\n')}\n{{- end -}}\n`;
    } finally {
      this.root = '$';
    }
  }

  private pad(n: number): string {
    return ' '.repeat(n);
  }

  /** `expr` with its references to the chart's root context (`$`) written as this place reaches it (`root`). */
  private withRoot(expr: string): string {
    // `$` followed by a field or standing alone is the root; `$p`, `$e0`, `$d` are variables. String
    // literals are left as they are: their `$` is text (e.g. Kubernetes' `$(VAR)` in an env value).
    if (this.root === '$') return expr;
    return expr.replace(/("(?:[^"\\]|\\.)*"|`[^`]*`)|\$(?![A-Za-z0-9_])/g, (_m, literal: string | undefined) => literal ?? this.root);
  }

  /** An expression as the whole of an action (`{{ … }}`): `withRoot`, without parentheses around it. */
  private actionBody(expr: string): string {
    return withoutOuterParens(this.withRoot(expr));
  }

  private scalarExpr(v: string): string {
    const token = this.render.tokenInfo(v);
    if (token?.printsAsIs) return `{{ ${this.actionBody(token.expr)} }}`;
    return `{{ ${this.withRoot(this.render.expr(v))} | toJson }}`;
  }

  /** The text after `key:` (or `- `) for a scalar, or undefined when it is not one. */
  private scalar(v: Json, indent: number): string | undefined {
    if (v === null || v === undefined) return 'null';
    if (typeof v === 'number' || typeof v === 'boolean') return String(v);
    if (typeof v !== 'string') return undefined;
    if (v.includes('\u27e6')) return this.scalarExpr(v);
    if (isBlockText(v)) {
      const chomp = v.endsWith('\n') ? '|' : '|-';
      const text = v.endsWith('\n') ? v.slice(0, -1) : v;
      return escapeActions(
        `${chomp}\n${text
          .split('\n')
          .map((l) => (l === '' ? '' : this.pad(indent) + l))
          .join('\n')}`,
      );
    }
    return escapeActions(staticScalar(v));
  }

  /** The `include` of a named template, with its arguments. */
  private include(template: string, args: string): string {
    return `include ${JSON.stringify(template)} ${this.withRoot(args)}`;
  }

  private map(obj: Record<string, Json>, indent: number): string[] {
    const out: string[] = [];
    const pad = this.pad(indent);
    const entries = Object.entries(obj);
    for (let i = 0; i < entries.length; i++) {
      const [key, value] = entries[i]!;
      if (value === undefined) continue;
      const marker = this.render.markerOf(key);
      if (marker) {
        switch (marker.type) {
          case 'if': {
            const guard = this.actionBody(marker.cond);
            this.guards.push(guard);
            out.push(`${pad}{{- if ${guard} }}`, ...this.map(value as Record<string, Json>, indent));
            this.guards.pop();
            // `if X` followed by `if not X` reads as if/else.
            const [nextKey, nextValue] = entries[i + 1] ?? [];
            const next = nextKey === undefined ? undefined : this.render.markerOf(nextKey);
            if (next?.type === 'if' && nextValue !== undefined && withoutOuterParens(next.cond.trim()) === negation(withoutOuterParens(marker.cond.trim()))) {
              out.push(`${pad}{{- else }}`, ...this.map(nextValue as Record<string, Json>, indent));
              i++;
            }
            out.push(`${pad}{{- end }}`);
            break;
          }
          case 'merge':
            out.push(`${pad}{{- with ${this.actionBody(marker.expr)} }}`, `${pad}{{- toYaml . | nindent ${indent} }}`, `${pad}{{- end }}`);
            break;
          case 'include':
            out.push(`${pad}{{- ${this.include(marker.template, marker.args)} | nindent ${indent} }}`);
            break;
          default:
            throw new Error(`marker ${marker.type} cannot stand in a map`);
        }
        continue;
      }
      const k = staticKey(key);
      const token = this.render.tokenInfo(value);
      if (token && token.shape !== 'scalar') {
        const yaml = token.shape === 'yaml' ? this.actionBody(token.expr) : `toYaml ${this.withRoot(token.expr)}`;
        out.push(`${pad}${k}: {{- ${yaml} | nindent ${indent + 2} }}`);
        continue;
      }
      const s = this.scalar(value, indent + 2);
      const onlyMerge = this.onlyMerge(value);
      const onlyInclude = this.onlyInclude(value);
      if (s !== undefined) {
        out.push(`${pad}${k}: ${s}`);
      } else if (onlyMerge) {
        // A map made only of a map-valued value: omit the key when it is empty, as the raw output does.
        out.push(`${pad}{{- with ${this.actionBody(onlyMerge)} }}`, `${pad}${k}: {{- toYaml . | nindent ${indent + 2} }}`, `${pad}{{- end }}`);
      } else if (onlyInclude) {
        out.push(`${pad}${k}: {{- ${this.include(onlyInclude.template, onlyInclude.args)} | nindent ${indent + 2} }}`);
      } else {
        const body = Array.isArray(value) ? this.list(value, indent + 2) : this.map(value as Record<string, Json>, indent + 2);
        const empty = Array.isArray(value) ? `${pad}${k}: []` : `${pad}${k}: {}`;
        const conditions = this.onlyConditional(value);
        if (body.length === 0) {
          out.push(empty);
        } else if (conditions) {
          // Every entry is conditional: with none present a bare key would read as null, which a patch (Helm's
          // three-way merge, kubectl apply) takes as "delete the whole field", entries other writers added
          // included (a generated Secret key). Empty is written as empty, as in the raw output.
          const cond = conditions.length === 1 ? this.actionBody(conditions[0]!) : `or ${conditions.map((c) => this.withRoot(c)).join(' ')}`;
          // Inside an `if` on that very condition (a map left out when empty, e.g. a Secret's data) it is never empty.
          if (this.guards.includes(cond)) out.push(`${pad}${k}:`, ...body);
          else out.push(`${pad}{{- if ${cond} }}`, `${pad}${k}:`, ...body, `${pad}{{- else }}`, empty, `${pad}{{- end }}`);
        } else {
          out.push(`${pad}${k}:`, ...body);
        }
      }
    }
    return out;
  }

  /**
   * For a map or list made only of conditional parts (if, merge, splice, range markers): the expression of
   * each part's condition, any of which makes it non-empty; undefined when some part is unconditional.
   */
  private onlyConditional(value: Json): string[] | undefined {
    if (!value || typeof value !== 'object') return undefined;
    const keys = Array.isArray(value)
      ? value.map((item) => (item && typeof item === 'object' && !Array.isArray(item) && Object.keys(item).length === 1 ? Object.keys(item)[0]! : ''))
      : Object.keys(value);
    if (keys.length === 0) return undefined;
    const conditions: string[] = [];
    const present = new Set<string>();
    for (const key of keys) {
      const marker = this.render.markerOf(key);
      if (!marker) return undefined;
      if (marker.type === 'if') {
        conditions.push(marker.cond);
        const content = Array.isArray(value) ? (value as Record<string, Json>[]).find((item) => item && key in item)?.[key] : (value as Record<string, Json>)[key];
        if (content && typeof content === 'object' && Object.keys(content).length > 0) present.add(withoutOuterParens(marker.cond.trim()));
      } else if (marker.type === 'merge' || marker.type === 'splice' || marker.type === 'range') conditions.push(marker.expr);
      else return undefined;
    }
    // A part under a condition and another under its negation: one of them is always there (`if X ... if not X`).
    if ([...present].some((c) => present.has(negation(c)))) return undefined;
    return conditions;
  }

  /** The expression of a map whose single entry is a merge marker. */
  private onlyMerge(value: Json): string | undefined {
    const marker = this.singleMarker(value);
    return marker?.type === 'merge' ? marker.expr : undefined;
  }

  /** The named template of a map that is one included template. */
  private onlyInclude(value: Json): { template: string; args: string } | undefined {
    const marker = this.singleMarker(value);
    return marker?.type === 'include' ? marker : undefined;
  }

  private singleMarker(value: Json) {
    if (!value || typeof value !== 'object' || Array.isArray(value)) return undefined;
    const keys = Object.keys(value);
    return keys.length === 1 ? this.render.markerOf(keys[0]!) : undefined;
  }

  private list(items: Json[], indent: number): string[] {
    const out: string[] = [];
    const pad = this.pad(indent);
    for (const item of items) {
      if (item && typeof item === 'object' && !Array.isArray(item)) {
        const keys = Object.keys(item);
        const marker = keys.length === 1 ? this.render.markerOf(keys[0]!) : undefined;
        if (marker) {
          const payload = (item as Record<string, Json>)[keys[0]!]!;
          switch (marker.type) {
            case 'if':
              out.push(`${pad}{{- if ${this.actionBody(marker.cond)} }}`, ...this.list(payload as Json[], indent), `${pad}{{- end }}`);
              break;
            case 'splice':
              out.push(`${pad}{{- with ${this.actionBody(marker.expr)} }}`, `${pad}{{- toYaml . | nindent ${indent} }}`, `${pad}{{- end }}`);
              break;
            case 'range':
              out.push(`${pad}{{- range ${marker.variable} := ${this.actionBody(marker.expr)} }}`, ...this.list([payload], indent), `${pad}{{- end }}`);
              break;
            case 'include':
              out.push(`${pad}{{- ${this.include(marker.template, marker.args)} | nindent ${indent} }}`);
              break;
            default:
              throw new Error(`marker ${marker.type} cannot stand in a list`);
          }
          continue;
        }
        const body = this.map(item as Record<string, Json>, indent + 2);
        if (body.length === 0) {
          out.push(`${pad}- {}`);
          continue;
        }
        // The first line of the item carries the dash; a leading template line cannot, so it gets its own.
        const first = body[0]!;
        if (first.trimStart().startsWith('{{-')) {
          out.push(`${pad}-`, ...body);
        } else {
          out.push(`${pad}- ${first.slice(indent + 2)}`, ...body.slice(1));
        }
        continue;
      }
      const token = this.render.tokenInfo(item);
      if (token && token.shape !== 'scalar') {
        out.push(`${pad}- {{ ${this.withRoot(token.expr)} | toJson }}`);
        continue;
      }
      const s = this.scalar(item, indent + 2);
      if (s !== undefined) {
        out.push(`${pad}- ${s}`);
      } else {
        const nested = item as Json[];
        out.push(`${pad}-`, ...this.list(nested, indent + 2));
      }
    }
    return out;
  }
}

/** The negation of a condition without outer parentheses, as the render context writes it (`eq a b` / `ne a b`, `x` / `not x`). */
function negation(cond: string): string {
  if (cond.startsWith('eq ')) return `ne ${cond.slice(3)}`;
  if (cond.startsWith('ne ')) return `eq ${cond.slice(3)}`;
  if (cond.startsWith('not ')) return withoutOuterParens(cond.slice(4).trim());
  return `not ${/^[^\s()]+$/.test(cond) ? cond : `(${cond})`}`;
}

/** Lines longer than this are wrapped inside their template action. */
const WRAP_AT = 150;

/** The parts of a template expression at its top level: words, strings and parenthesized expressions. */
function topLevelParts(expr: string): string[] {
  const parts: string[] = [];
  let depth = 0;
  let inString = false;
  let start = 0;
  for (let i = 0; i < expr.length; i++) {
    const c = expr[i]!;
    if (inString) {
      if (c === '\\') i++;
      else if (c === '"') inString = false;
    } else if (c === '"') inString = true;
    else if (c === '(') depth++;
    else if (c === ')') depth--;
    else if (c === ' ' && depth === 0) {
      if (i > start) parts.push(expr.slice(start, i));
      start = i + 1;
    }
  }
  if (start < expr.length) parts.push(expr.slice(start));
  return parts;
}

/**
 * The head of a command (a function with the arguments that name what it does: `include "x.labels"`) and
 * its other arguments, a dict's as key-value pairs.
 */
function commandLines(parts: string[]): { head: string; args: string[][] } {
  const named = parts[0] === 'include' && parts.length > 2 && parts[1]!.startsWith('"');
  const head = named ? `${parts[0]} ${parts[1]}` : parts[0]!;
  const rest = parts.slice(named ? 2 : 1);
  const paired = parts[0] === 'dict' && rest.length % 2 === 0;
  const args: string[][] = [];
  for (let i = 0; i < rest.length; i += paired ? 2 : 1) args.push(paired ? [rest[i]!, rest[i + 1]!] : [rest[i]!]);
  return { head, args };
}

/** An argument line: a dict key and its value, or one argument; the last part wrapped when too long. */
function argumentLine(arg: string[], indent: number): string {
  const key = arg.length === 2 ? `${arg[0]} ` : '';
  return key + wrapExpr(arg[arg.length - 1]!, indent, key.length);
}

/** An expression over several lines (inside an action, where newlines are spaces): one argument (or dict pair) per line. */
function wrapExpr(expr: string, indent: number, offset = 0): string {
  if (expr.length + indent + offset <= WRAP_AT) return expr;
  const inner = expr.startsWith('(') && withoutOuterParens(expr) !== expr ? withoutOuterParens(expr) : undefined;
  const parts = topLevelParts(inner ?? expr);
  if (parts.length < 2) return expr;
  const pad = ' '.repeat(indent + 2);
  const { head, args } = commandLines(parts);
  if (args.length === 0) return expr;
  const body = `${head}\n${args.map((a) => pad + argumentLine(a, indent + 2)).join('\n')}`;
  return inner === undefined ? body : `(${body})`;
}

/**
 * A line too long to read, with its template action wrapped over several lines (Go templates allow
 * newlines inside actions, so the output is the same).
 */
function wrapLongLine(line: string): string[] {
  if (line.length <= WRAP_AT) return [line];
  const open = line.indexOf('{{');
  const close = line.lastIndexOf('}}');
  if (open < 0 || close < open) return [line];
  const trimLeft = line.startsWith('{{-', open) ? '{{- ' : '{{ ';
  const trimRight = line.endsWith('-}}', close + 2) ? ' -}}' : ' }}';
  const content = line.slice(open + trimLeft.length, close - (trimRight.length - 2)).trim();
  if (content.includes('{{')) return [line];
  const indent = line.length - line.trimStart().length;
  // A pipeline: wrap its first command, keep the rest (`| toJson`, `| nindent 4`) after it.
  const stages = splitPipeline(content);
  const first = withoutOuterParens(stages[0]!);
  const parts = topLevelParts(first);
  // Keep a keyword with the function it applies: `if or`, `with coalesce`, `$_ := set`.
  const keywords: string[] = [];
  while (parts.length > 2 && /^(if|with|range|else|:=|\$[A-Za-z0-9_]*)$/.test(parts[0]!) && !parts[1]!.startsWith('(')) keywords.push(parts.shift()!);
  const { head, args } = commandLines(parts);
  const pad = ' '.repeat(indent + 4);
  const wrapped = [[...keywords, head].join(' '), ...args.map((a) => pad + argumentLine(a, indent + 4))].join('\n');
  const rest = stages.slice(1).map((st) => ` | ${st}`).join('');
  return `${line.slice(0, open)}${trimLeft}${wrapped}${rest}${trimRight}${line.slice(close + 2)}`.split('\n');
}

/** The commands of a pipeline, split at its top-level `|`. */
function splitPipeline(expr: string): string[] {
  const parts = topLevelParts(expr);
  const stages: string[][] = [[]];
  for (const p of parts) {
    if (p === '|') stages.push([]);
    else stages[stages.length - 1]!.push(p);
  }
  return stages.map((st) => st.join(' '));
}

/** `(x y)` as `x y` when the parentheses enclose the whole expression (not `(a) (b)`). */
function withoutOuterParens(expr: string): string {
  if (!expr.startsWith('(') || !expr.endsWith(')')) return expr;
  let depth = 0;
  let inString = false;
  for (let i = 0; i < expr.length; i++) {
    const c = expr[i]!;
    if (inString) {
      if (c === '\\') i++;
      else if (c === '"') inString = false;
      continue;
    }
    if (c === '"') inString = true;
    else if (c === '(') depth++;
    else if (c === ')' && --depth === 0 && i < expr.length - 1) return expr;
  }
  return expr.slice(1, -1);
}

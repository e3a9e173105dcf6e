/**
 * Writes a JSON tree that holds tokens and markers (see template.ts) as Helm template YAML.
 *
 * Only block-style YAML is produced, so indentation is always known and `nindent` can be used for
 * values that are whole maps or lists. Scalars that come from values are written with `toJson`, which
 * quotes strings and prints numbers exactly (plain `{{ .Values.x }}` would print 1e+06 for a float).
 */
import YAML from 'yaml';
import { HelmRender, Json } from './template';

const PLAIN_RE = /^[A-Za-z0-9_/.][A-Za-z0-9 _/.:@=+-]*$/;

/** A static string as a YAML scalar: plain when it reads back as the same string in YAML 1.1 and 1.2. */
function staticScalar(s: string): string {
  if (PLAIN_RE.test(s) && !s.endsWith(' ') && !s.endsWith(':') && !s.includes(': ') && !s.includes(' #')) {
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

export class HelmEmitter {
  constructor(private readonly render: HelmRender) {}

  /** A whole object (a YAML document) under its conditions. */
  public document(obj: Json, conditions: string[]): string {
    const lines = this.map(obj as Record<string, Json>, 0);
    const body = lines.join('\n');
    if (conditions.length === 0) return `${body}\n`;
    const cond = conditions.length === 1 ? conditions[0] : `and ${conditions.join(' ')}`;
    return `{{- if ${cond} }}\n${body}\n{{- end }}\n`;
  }

  /** The body of a named template (a map), for `_helpers.tpl`. */
  public namedMapBody(body: Json): string {
    return this.map(body as Record<string, Json>, 0).join('\n');
  }

  private pad(n: number): string {
    return ' '.repeat(n);
  }

  private scalarExpr(v: string): string {
    return `{{ ${this.render.expr(v)} | toJson }}`;
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

  private map(obj: Record<string, Json>, indent: number): string[] {
    const out: string[] = [];
    const pad = this.pad(indent);
    for (const [key, value] of Object.entries(obj)) {
      if (value === undefined) continue;
      const marker = this.render.markerOf(key);
      if (marker) {
        switch (marker.type) {
          case 'if':
            out.push(`${pad}{{- if ${marker.cond} }}`, ...this.map(value as Record<string, Json>, indent), `${pad}{{- end }}`);
            break;
          case 'merge':
            out.push(`${pad}{{- with ${marker.expr} }}`, `${pad}{{- toYaml . | nindent ${indent} }}`, `${pad}{{- end }}`);
            break;
          case 'include':
            out.push(`${pad}{{- include ${JSON.stringify(marker.template)} $ | nindent ${indent} }}`);
            break;
          default:
            throw new Error(`marker ${marker.type} cannot stand in a map`);
        }
        continue;
      }
      const k = staticKey(key);
      const token = this.render.tokenInfo(value);
      if (token && token.shape !== 'scalar') {
        out.push(`${pad}${k}: {{- toYaml ${token.expr} | nindent ${indent + 2} }}`);
        continue;
      }
      const s = this.scalar(value, indent + 2);
      const onlyMerge = this.onlyMerge(value);
      if (s !== undefined) {
        out.push(`${pad}${k}: ${s}`);
      } else if (onlyMerge) {
        // A map made only of a map-valued value: omit the key when it is empty, as the raw output does.
        out.push(`${pad}{{- with ${onlyMerge} }}`, `${pad}${k}: {{- toYaml . | nindent ${indent + 2} }}`, `${pad}{{- end }}`);
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
          out.push(`${pad}{{- if or ${conditions.join(' ')} }}`, `${pad}${k}:`, ...body, `${pad}{{- else }}`, empty, `${pad}{{- end }}`);
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
    for (const key of keys) {
      const marker = this.render.markerOf(key);
      if (!marker) return undefined;
      if (marker.type === 'if') conditions.push(marker.cond);
      else if (marker.type === 'merge' || marker.type === 'splice' || marker.type === 'range') conditions.push(marker.expr);
      else return undefined;
    }
    return conditions;
  }

  /** The expression of a map whose single entry is a merge marker. */
  private onlyMerge(value: Json): string | undefined {
    if (!value || typeof value !== 'object' || Array.isArray(value)) return undefined;
    const keys = Object.keys(value);
    const marker = keys.length === 1 ? this.render.markerOf(keys[0]!) : undefined;
    return marker?.type === 'merge' ? marker.expr : undefined;
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
              out.push(`${pad}{{- if ${marker.cond} }}`, ...this.list(payload as Json[], indent), `${pad}{{- end }}`);
              break;
            case 'splice':
              out.push(`${pad}{{- with ${marker.expr} }}`, `${pad}{{- toYaml . | nindent ${indent} }}`, `${pad}{{- end }}`);
              break;
            case 'range':
              out.push(`${pad}{{- range ${marker.variable} := ${marker.expr} }}`, ...this.list([payload], indent), `${pad}{{- end }}`);
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
        out.push(`${pad}- {{ ${token.expr} | toJson }}`);
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

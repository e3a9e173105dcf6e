/**
 * YAML for raw manifests, written straight from plain objects and quoted so Kubernetes reads every value
 * back exactly: what `JSON.stringify` of the same objects would give, in block YAML.
 *
 * Kubernetes parses manifests with sigs.k8s.io/yaml (go-yaml, YAML 1.1 and lenient): it reads `yes`, `on`,
 * `1_000`, `-_8`, `0X2` or `0o17` unquoted as booleans or numbers. A string therefore stays plain only
 * when it cannot be anything else in any YAML dialect (a letter, then letters, digits and `._/-`, and not
 * one of YAML 1.1's words); every other one is double-quoted, or written as a literal block (`|`) when it
 * spans lines and holds nothing a block could change. The layout is the one the `yaml` package wrote
 * before (two-space indent, lists indented under their key, no line folding: the same bytes for every
 * chart here), the same objects always give the same bytes, and no YAML document model is built (about
 * 17 times cheaper: bench/README.md). test/yaml.test.ts reads random documents back through
 * sigs.k8s.io/yaml itself.
 */

import { ChartError } from './errors';

/** Plain (unquoted) strings: a letter first, then letters, digits, `.`, `_`, `/`, `-`. */
const PLAIN_CHAR = new Uint8Array(128);
for (let c = 0; c < 128; c++) {
  const ch = String.fromCharCode(c);
  PLAIN_CHAR[c] = /[A-Za-z]/.test(ch) ? 2 : /[0-9._/-]/.test(ch) ? 1 : 0;
}
/** YAML 1.1 booleans and nulls, and the special floats without their dot, in any case. */
const WORDS = /^(?:y|n|yes|no|on|off|true|false|null|nan|inf)$/i;

/** Characters a YAML reader would not give back as they are: C0 and C1 controls but tab and newline, DEL, Unicode line/paragraph separators, BOM, non-characters. */
const UNSAFE_IN_BLOCK = /[\x00-\x08\x0b-\x1f\x7f-\x9f\u2028\u2029\ufeff\ufffe\uffff]/;
/** What JSON.stringify leaves unescaped but a YAML reader would misread (as line breaks, a BOM, or not at all). */
const UNSAFE_IN_JSON_QUOTES = /[\x7f-\x9f\u2028\u2029\ufeff\ufffe\uffff]/;
const UNSAFE_IN_JSON_QUOTES_ALL = new RegExp(UNSAFE_IN_JSON_QUOTES.source, 'g');
/** A surrogate without its pair: not Unicode, so no YAML (or Kubernetes JSON) can hold it. */
const LONE_SURROGATE = /\p{Surrogate}/u;
/** Longer keys are written as explicit keys (`? key`): go-yaml allows 1024 characters for an implicit one. */
const MAX_IMPLICIT_KEY = 1000;

function isPlain(s: string): boolean {
  const n = s.length;
  if (n === 0) return false;
  let c = s.charCodeAt(0);
  if (c >= 128 || PLAIN_CHAR[c] !== 2) return false;
  for (let i = 1; i < n; i++) {
    c = s.charCodeAt(i);
    if (c >= 128 || PLAIN_CHAR[c] === 0) return false;
  }
  return n > 5 || !WORDS.test(s);
}

/** A YAML double-quoted string: JSON's escapes (YAML accepts all of them) plus `\uXXXX` for what JSON leaves raw. */
function quoted(s: string): string {
  const json = JSON.stringify(s);
  if (LONE_SURROGATE.test(s)) throw new UnwritableValue(`a string with an unpaired surrogate (${json})`);
  return UNSAFE_IN_JSON_QUOTES.test(json) ? json.replace(UNSAFE_IN_JSON_QUOTES_ALL, (ch) => `\\u${ch.charCodeAt(0).toString(16).padStart(4, '0')}`) : json;
}

/**
 * Whether a multi-line string is written as a literal block: it must hold only characters a block keeps as
 * they are, and its last line must have something other than blanks (a blank last line, or a string of
 * blanks, reads back differently in YAML readers that strip it).
 */
function blockable(s: string): boolean {
  if (UNSAFE_IN_BLOCK.test(s)) return false;
  let end = s.length;
  while (end > 0 && s.charCodeAt(end - 1) === 10) end--;
  const lastLine = s.slice(s.lastIndexOf('\n', end - 1) + 1, end);
  return /[^ \t]/.test(lastLine) && !LONE_SURROGATE.test(s);
}

/**
 * A literal block: `|` with chomping `-` (no final newline), none (one) or `+` (more), and an explicit
 * indentation of 2 when the text starts with a blank or an empty line (go-yaml would take those blanks
 * for indentation, and refuses a tab there). Content lines at `pad`; empty lines stay empty.
 */
function literalBlock(s: string, pad: string): string {
  let end = s.length;
  while (s.charCodeAt(end - 1) === 10) end--;
  const newlines = s.length - end;
  const first = s.charCodeAt(0);
  const header = `|${first === 32 || first === 9 || first === 10 ? '2' : ''}${newlines === 0 ? '-' : newlines === 1 ? '' : '+'}\n`;
  let body = '';
  let start = 0;
  while (start <= end) {
    let nl = s.indexOf('\n', start);
    if (nl === -1 || nl > end) nl = end;
    body += nl === start ? '\n' : `${pad}${s.slice(start, nl)}\n`;
    start = nl + 1;
  }
  return header + body + '\n'.repeat(Math.max(0, newlines - 1));
}

/** A value JSON cannot hold (NaN, a function, a class instance, ...), found while writing. */
class UnwritableValue extends Error {}

function scalar(v: unknown): string {
  switch (typeof v) {
    case 'string':
      return isPlain(v) ? v : quoted(v);
    case 'number':
      if (!Number.isFinite(v)) throw new UnwritableValue(`the number ${v}`);
      return String(v); // as JSON writes it: -0 as 0, 1e21 as 1e+21; go-yaml reads each back as that number
    case 'boolean':
      return v ? 'true' : 'false';
    default:
      if (v === null) return 'null';
      throw new UnwritableValue(`a ${typeof v}`);
  }
}

function isPlainObject(v: object): v is Record<string, unknown> {
  const proto = Object.getPrototypeOf(v) as unknown;
  return proto === Object.prototype || proto === null;
}

const PADS: string[] = [''];
function padOf(depth: number): string {
  while (PADS.length <= depth) PADS.push(`${PADS[PADS.length - 1]}  `);
  return PADS[depth]!;
}

/**
 * Appends to `out` what follows `key:` or `-` for value `v` whose parent collection sits at `depth`: the
 * rest of the line and, for collections and blocks, the lines below it.
 */
function after(out: string[], v: unknown, depth: number, inSequence: boolean): void {
  if (typeof v !== 'object' || v === null) {
    if (typeof v === 'string' && v.includes('\n') && blockable(v)) out.push(' ', literalBlock(v, padOf(depth + 1)));
    else out.push(' ', scalar(v), '\n');
    return;
  }
  // A collection under `- ` starts on the same line (`- - a`, `- k: v`); under a key, on the next line, indented.
  if (Array.isArray(v)) {
    if (v.length === 0) out.push(' []\n');
    else {
      out.push(inSequence ? ' ' : '\n');
      sequence(out, v, depth + 1, inSequence ? '' : padOf(depth + 1));
    }
    return;
  }
  if (!isPlainObject(v)) throw new UnwritableValue(`a ${Object.prototype.toString.call(v).slice(8, -1)} object`);
  if (!hasEntries(v)) out.push(' {}\n');
  else {
    out.push(inSequence ? ' ' : '\n');
    map(out, v, depth + 1, inSequence ? '' : padOf(depth + 1));
  }
}

/** Whether a map has a value to write (JSON.stringify drops undefined ones). */
function hasEntries(obj: Record<string, unknown>): boolean {
  for (const key of Object.keys(obj)) if (obj[key] !== undefined) return true;
  return false;
}

/** A block sequence at `depth`; `firstPad` is the first item's indentation (none right after `- `). */
function sequence(out: string[], list: readonly unknown[], depth: number, firstPad: string): void {
  const pad = padOf(depth);
  for (let i = 0; i < list.length; i++) {
    const item = list[i];
    out.push(i === 0 ? firstPad : pad, '-');
    // As JSON.stringify: a hole or undefined in a list is null.
    after(out, item === undefined ? null : item, depth, true);
  }
}

/** A block mapping at `depth`, with at least one value to write; `firstPad` as for sequence. */
function map(out: string[], obj: Record<string, unknown>, depth: number, firstPad: string): void {
  const pad = padOf(depth);
  let linePad = firstPad;
  for (const key of Object.keys(obj)) {
    const v = obj[key];
    if (v === undefined) continue; // as JSON.stringify
    const k = isPlain(key) ? key : quoted(key);
    if (k.length <= MAX_IMPLICIT_KEY) out.push(linePad, k, ':');
    else out.push(linePad, '? ', k, '\n', pad, ':');
    after(out, v, depth, false);
    linePad = pad;
  }
}

function document(out: string[], doc: unknown): void {
  if (typeof doc === 'object' && doc !== null) {
    if (Array.isArray(doc)) {
      if (doc.length === 0) out.push('[]\n');
      else sequence(out, doc, 0, '');
      return;
    }
    if (isPlainObject(doc)) {
      if (hasEntries(doc)) map(out, doc, 0, '');
      else out.push('{}\n');
      return;
    }
  }
  out.push(scalar(doc), '\n'); // a string document is quoted, not a block: its lines would start at column 0
}

/** The path (`spec.containers[0].name`) of the first value below `v` that JSON cannot hold, for the error message. */
function findUnwritable(v: unknown, path: string, ancestors: Set<object>): { path: string; reason: string } | undefined {
  if (typeof v !== 'object' || v === null) {
    try {
      scalar(v);
      return undefined;
    } catch (e) {
      return { path, reason: (e as Error).message };
    }
  }
  if (ancestors.has(v)) return { path, reason: 'a circular reference' };
  if (!Array.isArray(v) && !isPlainObject(v)) return { path, reason: `a ${Object.prototype.toString.call(v).slice(8, -1)} object` };
  ancestors.add(v);
  const entries: [string, unknown][] = Array.isArray(v) ? v.map((x, i) => [`${path}[${i}]`, x ?? null]) : Object.entries(v).filter(([, x]) => x !== undefined).map(([k, x]) => [path === '' ? k : `${path}.${k}`, x]);
  for (const [p, x] of entries) {
    const found = findUnwritable(x, p, ancestors);
    if (found) return found;
  }
  ancestors.delete(v);
  return undefined;
}

/**
 * The API server refuses a request body over 3 MiB, so no object above it can be applied; refusing it
 * here also keeps one huge value (a 36 MB annotation or ConfigMap entry given in code) from growing into
 * a manifest over JavaScript's longest string, which failed with a bare RangeError. Counted in UTF-16
 * units, which never exceed the UTF-8 bytes of the same text.
 */
const MAX_OBJECT_CHARS = 3 * 1024 * 1024;

/** `Kind name` of an object, for messages. */
function describe(obj: unknown): string {
  const o = (obj ?? {}) as { kind?: unknown; metadata?: { name?: unknown } };
  return `${String(o.kind)} ${String(o.metadata?.name).slice(0, 80)}`;
}

/**
 * One YAML document per object, separated by `---`: every string Kubernetes would read as something else
 * quoted, multi-line strings as literal blocks where that reads back the same. What `JSON.stringify` can
 * write comes back as JSON.parse would give it; anything else (NaN, Infinity, functions, class instances,
 * circular references, unpaired surrogates) is an error naming where it is.
 */
export function manifestsToYaml(objects: readonly unknown[]): string {
  // Pieces joined once at the end: one flat string. Built by repeated concatenation, the text would be a
  // rope of every piece, about five times its size in memory for as long as it is kept (all charts'
  // texts are kept until synthManifests writes the output directory).
  const out: string[] = [];
  for (let i = 0; i < objects.length; i++) {
    if (i > 0) out.push('---\n');
    const start = out.length;
    try {
      document(out, objects[i]);
    } catch (e) {
      // Stack overflow from a cycle, or an unwritable value: say where (slow path, errors only).
      if (!(e instanceof UnwritableValue || e instanceof RangeError)) throw e;
      const found = findUnwritable(objects[i], '', new Set());
      if (!found) throw e;
      throw new Error(`can't write object ${i + 1} as YAML: ${found.reason} at ${found.path || 'the top'}`);
    }
    let size = 0;
    for (let j = start; j < out.length; j++) size += out[j]!.length;
    if (size > MAX_OBJECT_CHARS) throw new ChartError(`object ${i + 1} (${describe(objects[i])}) is ${size} characters of YAML, over the ${MAX_OBJECT_CHARS} bytes the Kubernetes API server accepts in one request`);
  }
  try {
    return out.join('');
  } catch (e) {
    // Many objects within the bound can still make more text than one JavaScript string holds (about 512 MiB).
    if (e instanceof RangeError) throw new ChartError(`${objects.length} objects are more YAML than one file can hold here (${e.message}): split them over several charts`);
    throw e;
  }
}

/**
 * The rule engine of `chart-as-code convert-values`: what a vendor key's rule sees (`Key`) and does
 * (mapped, not needed, action), the readers of loosely typed vendor values, the rule builders, and the
 * walk that applies a table of rules (dotted vendor paths, `*` for any key) to a vendor values file. It
 * knows no product: the products' and features' tables stand beside them (lib/convert/vendor-*.ts,
 * lib/constructs/features/*.ts); the report and the migration steps are on top.
 */
import { redactText } from '../core/redact';

export const VENDOR_CHARTS = ['vendor-icap', 'vendor-mdcore'] as const;
export type VendorChart = (typeof VENDOR_CHARTS)[number];

export type KeyStatus = 'mapped' | 'not needed' | 'action';

export interface KeyReport {
  /** Dotted path of the vendor key. */
  readonly path: string;
  /** Its value as shown in the report (secrets shown only by length). */
  readonly shown: string;
  readonly status: KeyStatus;
  /** Our keys it maps to. */
  readonly to: readonly string[];
  /** Why it is not needed, or what to do. */
  readonly note: string;
  /** A command to run, for `action`. */
  readonly command?: string;
}

/** One key of a Secret the converter fills from the vendor values. */
export interface SecretEntry {
  readonly key: string;
  readonly value: string;
  /** The vendor key it came from (for a literal in a container copied as it is, its path in our values). */
  readonly from: string;
  /** A credential (put into a file, never on a command line), or a plain setting such as the user name. */
  readonly secret: boolean;
}

/** A Secret our values name as existingSecret, with the keys the pods read from it. */
export interface ConvertedSecret {
  readonly name: string;
  readonly entries: readonly SecretEntry[];
}

export interface ConvertOptions {
  /** Namespace for the commands in the report and for `<APP_NAMESPACE>` in host names. @default "<namespace>" */
  readonly namespace?: string;
  /**
   * Values for replacing a running release of the vendor chart in place (same namespace, `helm upgrade`
   * of that release): vendor selectors and database layout, the vendor's database claim, and its Secrets
   * as existingSecret wherever the vendor values carried a secret. @default false (a fresh install)
   */
  readonly inPlace?: boolean;
  /** The file the Secrets are written to (named in the report); without it the report says how to create them. */
  readonly secretsFile?: string;
}

export interface Conversion {
  readonly chart: VendorChart;
  /** Our chart the values are for. */
  readonly target: 'md-icapsrv' | 'md-core';
  readonly values: Record<string, unknown>;
  readonly report: readonly KeyReport[];
  /** The credentials of the vendor values, for the Secrets our values name (never in `values` or `report`). */
  readonly secrets: readonly ConvertedSecret[];
  /** The namespace of the report's commands (`<namespace>` when not given). */
  readonly namespace: string;
  /** ConvertOptions.secretsFile. */
  readonly secretsFile?: string;
}

/** Vendor keys no rule knows, by path. */
export class UnknownVendorKeysError extends Error {
  constructor(public readonly paths: string[]) {
    super(`unknown keys for this vendor chart (nothing was written): ${paths.join(', ')}`);
    this.name = 'UnknownVendorKeysError';
  }
}

/** A vendor value this converter cannot take as it is (wrong type or format), naming the key. */
export class VendorValueError extends Error {
  constructor(path: string, problem: string) {
    super(`${path}: ${problem}`);
    this.name = 'VendorValueError';
  }
}

export type Json = unknown;
export type Map = Record<string, Json>;
export const isMap = (v: Json): v is Map => v !== null && typeof v === 'object' && !Array.isArray(v);
/** Deep equality regardless of key order: `helm get values` prints maps with sorted keys. */
export const equal = (a: Json, b: Json): boolean => JSON.stringify(sortedKeys(a)) === JSON.stringify(sortedKeys(b));

function sortedKeys(v: Json): Json {
  if (Array.isArray(v)) return v.map(sortedKeys);
  if (!isMap(v)) return v;
  return Object.fromEntries(Object.keys(v).sort().map((k) => [k, sortedKeys(v[k]!)]));
}

/** A Kubernetes namespace: a DNS-1123 label. */
export function isNamespace(ns: string): boolean {
  return ns.length <= 63 && /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/.test(ns);
}

/**
 * Names (env vars, keys of a map) whose literal values look like credentials. Names of Secrets, keys and
 * paths in them (certSecret, existingSecret, apiKeySecretKey, secretName, certSecretSubPath, a volume's
 * `secret`, a secretKeyRef's `key` and `name`) are references, not secrets.
 */
export function secretLooking(name: string): boolean {
  if (/^(key|name|secret)$|Name$|Path$|^[a-z][A-Za-z]*Secret(Key|s)?$/.test(name)) return false;
  return /PASS|PWD|TOKEN|SECRET|KEY|CREDENTIAL|PRIVATE|AUTH/i.test(name);
}

/** What a rule sees and does. */
export class Context {
  readonly values: Map = {};
  readonly report: KeyReport[] = [];
  readonly secrets = new globalThis.Map<string, SecretEntry[]>();

  constructor(
    readonly vendor: Map,
    readonly opts: { namespace: string; inPlace: boolean; secretsFile?: string },
  ) {}

  /** Adds keys to the Secret `name`; two vendor keys giving one key different values are refused. */
  addSecret(name: string, entries: SecretEntry[]): void {
    const have = this.secrets.get(name) ?? [];
    for (const e of entries) {
      const same = have.find((h) => h.key === e.key);
      if (same && same.value !== e.value) throw new VendorValueError(e.from, `${same.from} gives the Secret ${name} key "${e.key}" another value; keep one of them`);
      if (!same) have.push(e);
    }
    this.secrets.set(name, have);
  }

  /** Appends items to our extraEnv (both the vendor's env map and its env lists add to it). */
  addEnv(items: Map[]): void {
    this.set('extraEnv', [...((this.values.extraEnv as Map[] | undefined) ?? []), ...items]);
  }

  get(path: string): Json {
    let cur: Json = this.vendor;
    for (const k of path.split('.')) cur = isMap(cur) ? cur[k] : undefined;
    return cur;
  }

  set(path: string, value: Json): void {
    const keys = path.split('.');
    let cur = this.values;
    for (const k of keys.slice(0, -1)) cur = (isMap(cur[k]) ? cur[k] : (cur[k] = {})) as Map;
    cur[keys[keys.length - 1]!] = value;
  }
}

export interface Key {
  readonly path: string;
  readonly value: Json;
  /** The value for messages: masked when the key holds a secret. */
  readonly shown: string;
  readonly ctx: Context;
  /** Reports the key as mapped; with one target (a string) also sets it to `value`, with a list the rule has set them. */
  mapped(to: string | string[], value?: Json, note?: string): void;
  notNeeded(note: string): void;
  action(note: string, opts?: { to?: string[]; command?: string; secret?: boolean }): void;
}

export type Rule = (key: Key) => void;

const maskOne = (value: Json): Json => (typeof value === 'string' || typeof value === 'number' ? `(secret, ${String(value).length} characters)` : value);

/** `value` with the literals of secret-looking keys and env entries (`{name: X_PASSWORD, value: ...}`) masked. */
function masked(value: Json): Json {
  if (Array.isArray(value)) return value.map(masked);
  if (!isMap(value)) return value;
  const secretEntry = typeof value.name === 'string' && secretLooking(value.name);
  return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, (secretEntry && k === 'value') || secretLooking(k) ? maskOne(masked(v)) : masked(v)]));
}

export function shown(value: Json, secret: boolean): string {
  if (secret && value !== '' && value !== null) return typeof value === 'object' ? '(secret)' : String(maskOne(value));
  // A URL may carry a password (a proxy URL): show the user only.
  const text = redactText(JSON.stringify(masked(value)) ?? 'null');
  return text.length > 80 ? `${text.slice(0, 77)}...` : text;
}

export function makeKey(path: string, value: Json, ctx: Context, secretRule: boolean): Key {
  const add = (status: KeyStatus, to: string[], note: string, command?: string, secret = secretRule) =>
    ctx.report.push({ path, shown: shown(value, secret), status, to, note, ...(command ? { command } : {}) });
  return {
    path,
    value,
    shown: shown(value, secretRule),
    ctx,
    mapped(to, v = value, note = '') {
      if (typeof to === 'string') ctx.set(to, v);
      add('mapped', typeof to === 'string' ? [to] : to, note);
    },
    notNeeded(note) {
      add('not needed', [], note);
    },
    action(note, opts = {}) {
      add('action', opts.to ?? [], note, opts.command, opts.secret ?? secretRule);
    },
  };
}

// ---------------------------------------------------------------------------------------------------
// Value readers: vendor values are loosely typed (ports as strings, booleans as "true")
// ---------------------------------------------------------------------------------------------------

export function int(k: Key): number {
  const n = typeof k.value === 'string' && /^-?[0-9]+$/.test(k.value.trim()) ? Number(k.value) : k.value;
  if (typeof n !== 'number' || !Number.isInteger(n)) throw new VendorValueError(k.path, `expected an integer, got ${k.shown}`);
  return n;
}

export function bool(k: Key): boolean {
  if (typeof k.value === 'boolean') return k.value;
  if (k.value === 'true' || k.value === 'false') return k.value === 'true';
  throw new VendorValueError(k.path, `expected true or false, got ${k.shown}`);
}

export function str(k: Key): string {
  if (typeof k.value === 'string') return k.value;
  if (typeof k.value === 'number' || typeof k.value === 'boolean') return String(k.value);
  throw new VendorValueError(k.path, `expected a string, got ${k.shown}`);
}

/** "repo/name:tag" into repository and tag. */
export function splitImage(path: string, image: string): { repository: string; tag: string } {
  const m = /^(.+):([A-Za-z0-9_][A-Za-z0-9_.-]*)$/.exec(image);
  if (!m) throw new VendorValueError(path, `expected an image with a tag (repository:tag), got ${JSON.stringify(image)}`);
  return { repository: m[1]!, tag: m[2]! };
}

// ---------------------------------------------------------------------------------------------------
// Rule builders
// ---------------------------------------------------------------------------------------------------

/** Mapped to `to`, through `read` (a string when not given). */
export const to =
  (target: string, read: (k: Key) => Json = (k) => k.value, note?: string): Rule =>
  (k) =>
    k.mapped(target, read(k), note);
export const toInt = (target: string): Rule => to(target, int);
export const toBool = (target: string): Rule => to(target, bool);
export const toStr = (target: string): Rule => to(target, str);
/** Mapped unless empty ("" is how the vendor charts leave a setting unset). */
export const toUnlessEmpty =
  (target: string, read: (k: Key) => Json = str): Rule =>
  (k) =>
    k.value === '' ? k.notNeeded('empty: not set') : k.mapped(target, read(k));

/** Not needed while it has the value this chart always uses; needs action otherwise. */
export const fixed =
  (expected: Json, why: string, otherwise: string): Rule =>
  (k) =>
    equal(k.value, expected) || equal(String(k.value), String(expected)) ? k.notNeeded(why) : k.action(otherwise);

export const notNeeded =
  (why: string): Rule =>
  (k) =>
    k.notNeeded(why);

/** Applies `rule` only while the vendor switch at `switchPath` is on; otherwise the key is not needed. */
export const whenOn =
  (switchPath: string, what: string, rule: Rule): Rule =>
  (k) => {
    const on = k.ctx.get(switchPath);
    if (on === true || on === 'true' || (typeof on === 'string' && on !== '' && on !== 'false')) rule(k);
    else k.notNeeded(`${what} is off (${switchPath})`);
  };

/**
 * A plain-text secret in the vendor values: it goes into the Secret our values name (existingSecret),
 * written to the secrets file or created by the report's command, never into our values or the report.
 * In place, the vendor chart's own Secret already holds it. `extraData` are plain keys the same Secret
 * needs (the user name next to a password).
 */
export function secretValue(opts: { secret: string; key: string; existingSecret: string; extraData?: (ctx: Context) => SecretEntry[]; what: string; vendorSecretExists: boolean }): Rule {
  return (k) => {
    if (k.value === '' || k.value === null) {
      k.notNeeded('empty: not set');
      return;
    }
    if (typeof k.value !== 'string' && typeof k.value !== 'number') throw new VendorValueError(k.path, 'expected a string');
    k.ctx.set(opts.existingSecret, opts.secret);
    const act = (note: string) => k.action(`plain-text ${opts.what}: ${note}; our values name the Secret (${opts.existingSecret}). Delete it from the vendor values file.`, { to: [opts.existingSecret], secret: true });
    if (opts.vendorSecretExists && k.ctx.opts.inPlace) return act(`replacing the vendor release in place, its Secret ${opts.secret} key "${opts.key}" already holds it (not written again)`);
    k.ctx.addSecret(opts.secret, [...(opts.extraData?.(k.ctx) ?? []), { key: opts.key, value: String(k.value), from: k.path, secret: true }]);
    act(destination(k.ctx, opts.secret, opts.key));
  };
}

/** The Secret of the env credentials that are not settings of ours (read back by extraEnv and copied containers). */
export const extraEnvSecret = (prefix: string) => `${prefix}-extra-env`;

/**
 * `v` with the literal value of every secret-looking env item (`{name: DB_PASSWORD, value}` in a container
 * copied from the vendor values) moved into `secret` and read back with a secretKeyRef.
 */
export function sealEnvLiterals(ctx: Context, secret: string, v: Json, at: string): Json {
  if (Array.isArray(v)) {
    return v.map((item, i) => {
      if (!(isMap(item) && typeof item.name === 'string' && secretLooking(item.name) && item.value !== undefined && item.valueFrom === undefined)) return sealEnvLiterals(ctx, secret, item, `${at}[${i}]`);
      ctx.addSecret(secret, [{ key: item.name, value: String(item.value), from: `${at}[${i}]`, secret: true }]);
      return { name: item.name, valueFrom: { secretKeyRef: { name: secret, key: item.name } } };
    });
  }
  return isMap(v) ? Object.fromEntries(Object.entries(v).map(([k, x]) => [k, sealEnvLiterals(ctx, secret, x, at ? `${at}.${k}` : k)])) : v;
}

/** Where a credential goes, for the report: the secrets file, or the command of "Secrets to create". */
export function destination(ctx: Context, secret: string, key: string): string {
  return `${ctx.opts.secretsFile ? 'written to' : 'goes to'} Secret ${secret} key "${key}" (${ctx.opts.secretsFile ?? 'see "Secrets to create"'})`;
}

/**
 * An env var with a literal value (the vendor's env map, or an item of a container's env list): a
 * credential the chart sets itself (MD_PWD, APIKEY, ...) is converted as that credential's vendor key; any
 * other secret-looking one goes into the Secret `<prefix>-extra-env`, which extraEnv reads with a
 * secretKeyRef; the rest stay literals in extraEnv.
 */
export function literalEnv(prefix: string, rules: Record<string, Rule>, credentials: Record<string, string>): (k: Key, name: string) => void {
  return (k, name) => {
    if (!/^[-._a-zA-Z][-._a-zA-Z0-9]*$/.test(name)) throw new VendorValueError(k.path, `not an environment variable name: ${JSON.stringify(name)}`);
    const credential = credentials[name];
    if (credential) return rules[credential]!(k);
    if (!secretLooking(name)) {
      k.ctx.addEnv([{ name, value: str(k) }]);
      return k.mapped(['extraEnv']);
    }
    const secret = extraEnvSecret(prefix);
    k.ctx.addSecret(secret, [{ key: name, value: str(k), from: k.path, secret: true }]);
    k.ctx.addEnv([{ name, valueFrom: { secretKeyRef: { name: secret, key: name } } }]);
    k.action(`a secret-looking env var: ${destination(k.ctx, secret, name)}; extraEnv reads it from there`, { to: ['extraEnv'], secret: true });
  };
}

/**
 * A container's env list: the vendor's default items (the env its templates need) are not needed; an item
 * with a literal value goes through `literal` (reported as `<list>[<name>]`), other extra items to extraEnv.
 */
export function envList(defaults: Map[], why: string, literal: (k: Key, name: string) => void, special: Record<string, Rule> = {}): Rule {
  return (k) => {
    if (!Array.isArray(k.value)) throw new VendorValueError(k.path, 'expected a list');
    const extra: Map[] = [];
    const literals: string[] = [];
    for (const item of k.value as Json[]) {
      if (!isMap(item)) throw new VendorValueError(k.path, 'expected a list of objects');
      const name = String(item.name);
      const handler = special[name];
      if (handler) handler(makeKey(`${k.path}[${name}]`, item, k.ctx, false));
      else if (defaults.some((d) => equal(d, item))) continue;
      else if (item.valueFrom === undefined) {
        literal(makeKey(`${k.path}[${name}]`, item.value ?? '', k.ctx, secretLooking(name)), name);
        literals.push(`${k.path}[${name}]`);
      } else extra.push(item);
    }
    if (extra.length === 0) return k.notNeeded(literals.length > 0 ? `${why}; its items with a value are listed on their own (${literals.join(', ')})` : why);
    k.ctx.addEnv(extra);
    k.mapped(['extraEnv'], k.value, `items beyond the vendor's defaults: ${extra.map((i) => String(i.name)).join(', ')}`);
  };
}

/** An http(s) proxy URL into host, port, user and password. */
export function parseProxyUrl(path: string, url: string): { host: string; port: number; username: string; password: string } {
  let u: URL;
  try {
    u = new URL(/^[a-z]+:\/\//i.test(url) ? url : `http://${url}`);
  } catch {
    throw new VendorValueError(path, `not a URL: ${JSON.stringify(url)}`);
  }
  if (u.protocol !== 'http:') throw new VendorValueError(path, `only http:// proxies are supported, got ${u.protocol}`);
  return { host: u.hostname, port: u.port ? Number(u.port) : 80, username: decodeURIComponent(u.username), password: u.password };
}

export function parseJson(k: Key): Json {
  try {
    return JSON.parse(str(k));
  } catch {
    throw new VendorValueError(k.path, `not valid JSON: ${k.shown}`);
  }
}

/** A JSON object of settings, values as strings (the image writes them into an ini file). */
export function parseJsonObject(k: Key): Record<string, string> {
  const v = parseJson(k);
  if (!isMap(v)) throw new VendorValueError(k.path, 'expected a JSON object');
  return Object.fromEntries(Object.entries(v).map(([key, x]) => [key, typeof x === 'string' ? x : JSON.stringify(x)]));
}

// ---------------------------------------------------------------------------------------------------
// The walk
// ---------------------------------------------------------------------------------------------------

const SECRET_PATH = /password|PASSWORD|_pwd$|_PWD$|token|TOKEN|api_key|license_key|PASSPHRASE|PASS$|FilePass|^CERT_KEY$/;

function matches(pattern: string[], path: string[]): boolean {
  return pattern.length === path.length && pattern.every((p, i) => p === '*' || p === path[i]);
}

/**
 * Applies `table` to every key the vendor values set: a key no rule knows is refused with its path
 * (UnknownVendorKeysError, before any rule ran), so nothing a user set is silently dropped.
 */
export function applyRules(table: Record<string, Rule>, vendor: Map, opts: Context['opts']): Context {
  const rules = Object.entries(table).map(([p, rule]) => ({ pattern: p.split('.'), rule }));
  // Exact paths before wildcards (env.ICAP_CONF_JSON before env.*).
  rules.sort((a, b) => Number(a.pattern.includes('*')) - Number(b.pattern.includes('*')));
  const ctx = new Context(vendor, opts);
  const unknown: string[] = [];
  const leaves: { path: string[]; value: Json; rule: Rule }[] = [];

  const walk = (obj: Map, at: string[]): void => {
    for (const [key, value] of Object.entries(obj)) {
      const path = [...at, key];
      const rule = rules.find((r) => matches(r.pattern, path));
      if (rule) {
        if (value !== null && value !== undefined) leaves.push({ path, value, rule: rule.rule });
      } else if (isMap(value) && rules.some((r) => r.pattern.length > path.length && matches(r.pattern.slice(0, path.length), path))) {
        walk(value, path);
      } else if (value !== null || !rules.some((r) => r.pattern.length > path.length && matches(r.pattern.slice(0, path.length), path))) {
        unknown.push(path.join('.'));
      }
    }
  };
  walk(vendor, []);
  if (unknown.length > 0) throw new UnknownVendorKeysError(unknown);
  for (const leaf of leaves) {
    const path = leaf.path.join('.');
    const name = leaf.path[leaf.path.length - 1]!;
    leaf.rule(makeKey(path, leaf.value, ctx, SECRET_PATH.test(name) || (leaf.path[0] === 'env' && secretLooking(name))));
  }
  return ctx;
}

/** Words as a POSIX shell command line: each quoted unless it is plainly safe (no `<`, `>`, `;`, `$`, spaces...). */
export function shellWords(words: readonly string[]): string {
  return words.map((w) => (/^[-\w./:=@,]+$/.test(w) ? w : `'${w.replace(/'/g, "'\\''")}'`)).join(' ');
}

/**
 * The rule engine of `chart-as-code convert-values`: what a vendor key's rule sees (`Key`) and does
 * (mapped, not needed, action), the readers of loosely typed vendor values, the rule builders, and the
 * walk that applies a table of rules (dotted vendor paths, `*` for any key) to a vendor values file. It
 * knows no product: the products' and features' tables stand beside them (lib/convert/vendor-*.ts,
 * lib/constructs/features/*.ts); the report and the migration steps are on top.
 */
import { redactText } from '../core/redact';
import { imageTag } from '../core/schema';

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
    readonly opts: { namespace: string; inPlace: boolean; secretsFile?: string; defaults?: Map },
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

  /** Our chart's default at `path` (what a converted value is compared with). */
  ours(path: string): Json {
    let cur: Json = this.opts.defaults ?? {};
    for (const k of path.split('.')) cur = isMap(cur) ? cur[k] : undefined;
    return cur;
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

/**
 * An image into our repository and tag keys; an image without a tag is an action (pin one), not a failure:
 * ours never runs an untagged image, which is whatever `latest` is on the day a node pulls it.
 */
export function imageTo(k: Key, image: string, repository: string, tag: string, note = ''): void {
  if (!/^[a-z0-9][-a-z0-9._/:@]*$/i.test(image)) throw new VendorValueError(k.path, `expected an image (repository:tag), got ${JSON.stringify(image)}`);
  const m = /^([^@]+?)(?::([A-Za-z0-9_][A-Za-z0-9_.-]*))?(@sha256:[a-f0-9]{64})?$/.exec(image);
  const [repo, version] = [m?.[1] ?? image, m?.[2]];
  if (version !== undefined && imageTag().safeParse(version).success) {
    k.ctx.set(repository, repo);
    k.ctx.set(tag, version);
    return k.mapped([repository, tag], image, note);
  }
  const why = version === undefined ? 'the image has no tag' : `its tag ${JSON.stringify(version)} is not a full version (it moves)`;
  k.action(
    `${why}, and ours pins every image to a full version: pick the one you run (e.g. skopeo list-tags docker://${repo}), then set ${repository} ${JSON.stringify(repo)} and ${tag} to it${note ? `; ${note}` : ''}`,
    { to: [repository, tag] },
  );
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
    // Their example files hold placeholders (<SET_POSTGRES_PASSWORD>): never a credential to keep.
    if (typeof k.value === 'string' && /^<[A-Z0-9_]+>$/.test(k.value))
      return k.action(`a placeholder of the vendor's example, not a ${opts.what}: nothing is written, and ours generates one; to give yours, create the Secret ${opts.secret} (key "${opts.key}") and set ${opts.existingSecret}`, {
        to: [opts.existingSecret],
        command: shellWords(['kubectl', '-n', k.ctx.opts.namespace, 'create', 'secret', 'generic', opts.secret, `--from-file=${opts.key}=<file holding the ${opts.what}>`]),
      });
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
    if (/^POSTGRESQL_/.test(name)) return rhelDatabaseEnv(prefix, k, name);
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
 * An env var of the RHEL PostgreSQL image (POSTGRESQL_ADMIN_PASSWORD, POSTGRESQL_USER, ...), which the vendor
 * chart hands every container: our database reads its credentials from <prefix>-postgres-cred in either image
 * flavour, so the top-level env is not carried over; a credential is kept in the Secret <prefix>-extra-env
 * (never in our values), where no container reads it.
 */
function rhelDatabaseEnv(prefix: string, k: Key, name: string): void {
  const secret = secretLooking(name);
  if (secret && k.value !== '' && k.value !== null) k.ctx.addSecret(extraEnvSecret(prefix), [{ key: name, value: str(k), from: k.path, secret: true }]);
  const kept = secret ? `; its value is kept in ${destination(k.ctx, extraEnvSecret(prefix), name).replace(/^(written to|goes to) /, '')}` : '';
  notCarriedOver('an env var of the RHEL PostgreSQL image', () => ({
    note: `our in-cluster database reads its credentials from ${prefix}-postgres-cred (db_user, db_password) in either image flavour (database.inCluster.flavour rhel hands the RHEL image POSTGRESQL_ADMIN_PASSWORD from it): give the database password as db_password (for the user postgres, the admin password)${kept}`,
  }))(k);
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

/** A rule that also decides what a null (Helm's "delete this default") means for its key; other rules never see null. */
export type NullableRule = Rule & { readonly acceptsNull: true };
export const nullable = (onNull: Rule, rule: Rule): NullableRule => Object.assign((k: Key) => (k.value === null ? onNull(k) : rule(k)), { acceptsNull: true as const });

/**
 * A key the vendor's templates read that no rule of ours maps yet: an action with the step that carries it
 * over by hand. Such keys stand in a product's `vendorReads` table, consulted only where no rule applies, so a
 * rule added later (in a product's or a feature's table) takes the key over without a change here.
 */
export const notCarriedOver =
  (what: string, step: (k: Key) => { note: string; command?: string }): Rule =>
  (k) => {
    const s = step(k);
    k.action(`${what}: not carried over yet: ${s.note}`, s.command ? { command: s.command } : {});
  };

interface Compiled {
  readonly pattern: string[];
  readonly rule: Rule;
}

/** How many leading segments of `pattern` are literal: a more literal pattern is more specific. */
const literals = (pattern: string[], n: number) => pattern.slice(0, n).filter((p) => p !== '*').length;

function matches(pattern: string[], path: string[]): boolean {
  return pattern.length === path.length && pattern.every((p, i) => p === '*' || p === path[i]);
}

const extends_ = (pattern: string[], path: string[]) => pattern.length > path.length && matches(pattern.slice(0, path.length), path);

/** Edit distance, for "did you mean": two keys a letter or two apart are a likely misspelling. */
function distance(a: string, b: string): number {
  let prev = Array.from({ length: b.length + 1 }, (_, i) => i);
  for (let i = 1; i <= a.length; i++) {
    const cur = [i];
    for (let j = 1; j <= b.length; j++) cur[j] = Math.min(prev[j]! + 1, cur[j - 1]! + 1, prev[j - 1]! + (a[i - 1] === b[j - 1] ? 0 : 1));
    prev = cur;
  }
  return prev[b.length]!;
}

/**
 * A key neither a rule nor the vendor's templates know: it had no effect in the vendor chart either (their
 * examples carry such keys, e.g. `persistance_enabled`). A near miss of a key that does have an effect is
 * an action, as the user most likely meant that key.
 */
function noEffect(known: Compiled[]): Rule {
  return (k) => {
    const path = k.path.split('.');
    const last = path[path.length - 1]!;
    const near = [
      ...new Set(
        known
          .filter((r) => r.pattern.length >= path.length && matches(r.pattern.slice(0, path.length - 1), path.slice(0, -1)))
          .map((r) => r.pattern[path.length - 1]!)
          .filter((s) => s !== '*' && s !== last && distance(s.toLowerCase(), last.toLowerCase()) <= Math.min(2, Math.floor(s.length / 4))),
      ),
    ];
    const why = 'no template of the vendor chart reads this key, so it had no effect there either';
    if (near.length > 0) k.action(`${why}: if you meant ${near.map((n) => [...path.slice(0, -1), n].join('.')).join(' or ')}, set that key in the vendor file and convert again`);
    else k.notNeeded(why);
  };
}

/** What a null (Helm: remove the chart's default) means where the key's rule does not say: the vendor chart then renders nothing for it. */
const nullDefault: Rule = (k) => k.notNeeded('null: removes the vendor chart\'s default for this key; ours keeps its own default');

/**
 * Applies `table` to every key the vendor values set, the most specific rule first (a literal segment
 * before `*`: env.ICAP_CONF_JSON before env.*; core_components.md-core.image before core_components.*).
 * A key no rule maps takes its entry in `reads` (keys the vendor's templates read: an action), or else is
 * reported as having no effect: every key set is reported, and no well-formed file is refused for a key.
 */
export function applyRules(table: Record<string, Rule>, vendor: Map, opts: Context['opts'], reads: Record<string, Rule> = {}): Context {
  const compile = (t: Record<string, Rule>): Compiled[] => Object.entries(t).map(([p, rule]) => ({ pattern: p.split('.'), rule }));
  const rules = compile(table);
  const fallbacks = compile(reads);
  const unknown = noEffect([...rules, ...fallbacks]);
  const ctx = new Context(vendor, opts);
  const leaves: { path: string[]; value: Json; rule: Rule }[] = [];

  /** The rule for `path` as a whole, unless a more specific rule reads keys inside it (then undefined: descend). */
  const pick = (set: Compiled[], path: string[]): { leaf?: Rule; descend: boolean } => {
    const leaf = set.filter((r) => matches(r.pattern, path)).sort((a, b) => literals(b.pattern, path.length) - literals(a.pattern, path.length))[0];
    const inner = set.filter((r) => extends_(r.pattern, path));
    const innerBest = Math.max(-1, ...inner.map((r) => literals(r.pattern, path.length)));
    if (leaf && literals(leaf.pattern, path.length) >= innerBest) return { leaf: leaf.rule, descend: false };
    return { descend: inner.length > 0 };
  };

  const walk = (obj: Map, at: string[]): void => {
    for (const [key, value] of Object.entries(obj)) {
      const path = [...at, key];
      const own = pick(rules, path);
      if (own.leaf) leaves.push({ path, value, rule: own.leaf });
      else if (own.descend && isMap(value)) walk(value, path);
      else if (own.descend && value !== null) throw new VendorValueError(path.join('.'), `expected a map of keys, got ${shown(value, false)}`);
      else {
        const read = pick(fallbacks, path);
        if (read.leaf) leaves.push({ path, value, rule: read.leaf });
        else if ((read.descend || own.descend) && isMap(value)) walk(value, path);
        else leaves.push({ path, value, rule: unknown });
      }
    }
  };
  walk(vendor, []);
  for (const leaf of leaves) {
    const path = leaf.path.join('.');
    const name = leaf.path[leaf.path.length - 1]!;
    const rule = leaf.value === null && !('acceptsNull' in leaf.rule) && leaf.rule !== unknown ? nullDefault : leaf.rule;
    rule(makeKey(path, leaf.value, ctx, SECRET_PATH.test(name) || (leaf.path[0] === 'env' && secretLooking(name))));
  }
  return ctx;
}

/** Words as a POSIX shell command line: each quoted unless it is plainly safe (no `<`, `>`, `;`, `$`, spaces...). */
export function shellWords(words: readonly string[]): string {
  return words.map((w) => (/^[-\w./:=@,]+$/.test(w) ? w : `'${w.replace(/'/g, "'\\''")}'`)).join(' ');
}

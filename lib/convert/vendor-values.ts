/**
 * Values of OPSWAT's own `icap` and `mdcore` charts converted to this project's md-icapsrv and md-core
 * values, with a report of every vendor key that is set: mapped (to which of our keys), not needed (why),
 * or needing action (what to do). Credentials (plain-text passwords, keys, tokens, secret-looking env
 * literals) go into `Conversion.secrets`, the Secrets our values name as existingSecret: never into our
 * values or the report, which shows them masked.
 *
 * Every key the vendor charts define has a rule below; a key without one is refused with its path
 * (UnknownVendorKeysError), so nothing a user set is silently dropped.
 */
import YAML from 'yaml';
import { ZodType } from 'zod';
import { SETTINGS_KEYS } from '../constructs/opswat-features';
import { redactText } from '../core/redact';
import { parseValues } from '../core/schema';
import { mdCoreValues } from '../systems/md-core/values';
import { mdIcapsrvValues } from '../systems/md-icapsrv/values';

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

type Json = unknown;
type Map = Record<string, Json>;
const isMap = (v: Json): v is Map => v !== null && typeof v === 'object' && !Array.isArray(v);
/** Deep equality regardless of key order: `helm get values` prints maps with sorted keys. */
const equal = (a: Json, b: Json): boolean => JSON.stringify(sortedKeys(a)) === JSON.stringify(sortedKeys(b));

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
function secretLooking(name: string): boolean {
  if (/^(key|name|secret)$|Name$|Path$|^[a-z][A-Za-z]*Secret(Key|s)?$/.test(name)) return false;
  return /PASS|PWD|TOKEN|SECRET|KEY|CREDENTIAL|PRIVATE|AUTH/i.test(name);
}

/** What a rule sees and does. */
class Context {
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

interface Key {
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

type Rule = (key: Key) => void;

const maskOne = (value: Json): Json => (typeof value === 'string' || typeof value === 'number' ? `(secret, ${String(value).length} characters)` : value);

/** `value` with the literals of secret-looking keys and env entries (`{name: X_PASSWORD, value: ...}`) masked. */
function masked(value: Json): Json {
  if (Array.isArray(value)) return value.map(masked);
  if (!isMap(value)) return value;
  const secretEntry = typeof value.name === 'string' && secretLooking(value.name);
  return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, (secretEntry && k === 'value') || secretLooking(k) ? maskOne(masked(v)) : masked(v)]));
}

function shown(value: Json, secret: boolean): string {
  if (secret && value !== '' && value !== null) return typeof value === 'object' ? '(secret)' : String(maskOne(value));
  // A URL may carry a password (a proxy URL): show the user only.
  const text = redactText(JSON.stringify(masked(value)) ?? 'null');
  return text.length > 80 ? `${text.slice(0, 77)}...` : text;
}

function makeKey(path: string, value: Json, ctx: Context, secretRule: boolean): Key {
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

function int(k: Key): number {
  const n = typeof k.value === 'string' && /^-?[0-9]+$/.test(k.value.trim()) ? Number(k.value) : k.value;
  if (typeof n !== 'number' || !Number.isInteger(n)) throw new VendorValueError(k.path, `expected an integer, got ${k.shown}`);
  return n;
}

function bool(k: Key): boolean {
  if (typeof k.value === 'boolean') return k.value;
  if (k.value === 'true' || k.value === 'false') return k.value === 'true';
  throw new VendorValueError(k.path, `expected true or false, got ${k.shown}`);
}

function str(k: Key): string {
  if (typeof k.value === 'string') return k.value;
  if (typeof k.value === 'number' || typeof k.value === 'boolean') return String(k.value);
  throw new VendorValueError(k.path, `expected a string, got ${k.shown}`);
}

/** "repo/name:tag" into repository and tag. */
function splitImage(path: string, image: string): { repository: string; tag: string } {
  const m = /^(.+):([A-Za-z0-9_][A-Za-z0-9_.-]*)$/.exec(image);
  if (!m) throw new VendorValueError(path, `expected an image with a tag (repository:tag), got ${JSON.stringify(image)}`);
  return { repository: m[1]!, tag: m[2]! };
}

// ---------------------------------------------------------------------------------------------------
// Rule builders
// ---------------------------------------------------------------------------------------------------

/** Mapped to `to`, through `read` (a string when not given). */
const to =
  (target: string, read: (k: Key) => Json = (k) => k.value, note?: string): Rule =>
  (k) =>
    k.mapped(target, read(k), note);
const toInt = (target: string): Rule => to(target, int);
const toBool = (target: string): Rule => to(target, bool);
const toStr = (target: string): Rule => to(target, str);
/** Mapped unless empty ("" is how the vendor charts leave a setting unset). */
const toUnlessEmpty =
  (target: string, read: (k: Key) => Json = str): Rule =>
  (k) =>
    k.value === '' ? k.notNeeded('empty: not set') : k.mapped(target, read(k));

/** Not needed while it has the value this chart always uses; needs action otherwise. */
const fixed =
  (expected: Json, why: string, otherwise: string): Rule =>
  (k) =>
    equal(k.value, expected) || equal(String(k.value), String(expected)) ? k.notNeeded(why) : k.action(otherwise);

const notNeeded =
  (why: string): Rule =>
  (k) =>
    k.notNeeded(why);

/** Applies `rule` only while the vendor switch at `switchPath` is on; otherwise the key is not needed. */
const whenOn =
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
function secretValue(opts: { secret: string; key: string; existingSecret: string; extraData?: (ctx: Context) => SecretEntry[]; what: string; vendorSecretExists: boolean }): Rule {
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
const extraEnvSecret = (prefix: string) => `${prefix}-extra-env`;

/**
 * `v` with the literal value of every secret-looking env item (`{name: DB_PASSWORD, value}` in a container
 * copied from the vendor values) moved into `secret` and read back with a secretKeyRef.
 */
function sealEnvLiterals(ctx: Context, secret: string, v: Json, at: string): Json {
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
function destination(ctx: Context, secret: string, key: string): string {
  return `${ctx.opts.secretsFile ? 'written to' : 'goes to'} Secret ${secret} key "${key}" (${ctx.opts.secretsFile ?? 'see "Secrets to create"'})`;
}

/**
 * The credential rules of a product whose vendor keys are `<prefix>_user`, `<prefix>_password`, ..., and the
 * converters of literal env values of its container (MD_PWD, APIKEY, ... are those credentials) and of its
 * database container (POSTGRES_USER and POSTGRES_PASSWORD are the database's).
 */
function credentialsOf(prefix: string) {
  const [user, password, apiKey, license] = ['user', 'password', 'api_key', 'license_key'].map((k) => `${prefix}_${k}`) as [string, string, string, string];
  const credentials = credentialRules(prefix, user, password, apiKey, license);
  return {
    credentials,
    literal: literalEnv(prefix, credentials, { MD_USER: user, MD_PWD: password, APIKEY: apiKey, LICENSE_KEY: license, DB_USER: 'db_user', DB_PWD: 'db_password' }),
    databaseLiteral: literalEnv(prefix, credentials, { POSTGRES_USER: 'db_user', POSTGRES_PASSWORD: 'db_password' }),
  };
}

/**
 * An env var with a literal value (the vendor's env map, or an item of a container's env list): a
 * credential the chart sets itself (MD_PWD, APIKEY, ...) is converted as that credential's vendor key; any
 * other secret-looking one goes into the Secret `<prefix>-extra-env`, which extraEnv reads with a
 * secretKeyRef; the rest stay literals in extraEnv.
 */
function literalEnv(prefix: string, rules: Record<string, Rule>, credentials: Record<string, string>): (k: Key, name: string) => void {
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
function envList(defaults: Map[], why: string, literal: (k: Key, name: string) => void, special: Record<string, Rule> = {}): Rule {
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
function parseProxyUrl(path: string, url: string): { host: string; port: number; username: string; password: string } {
  let u: URL;
  try {
    u = new URL(/^[a-z]+:\/\//i.test(url) ? url : `http://${url}`);
  } catch {
    throw new VendorValueError(path, `not a URL: ${JSON.stringify(url)}`);
  }
  if (u.protocol !== 'http:') throw new VendorValueError(path, `only http:// proxies are supported, got ${u.protocol}`);
  return { host: u.hostname, port: u.port ? Number(u.port) : 80, username: decodeURIComponent(u.username), password: u.password };
}

// ---------------------------------------------------------------------------------------------------
// Shared by both charts
// ---------------------------------------------------------------------------------------------------

const PLACEHOLDER = /^<[A-Z_]+>$/;

function licenseRule(secret: string): Rule {
  return (k) => {
    if (k.value === '' || k.value === null || (typeof k.value === 'string' && PLACEHOLDER.test(k.value))) {
      k.action(`no licence key set: the pods wait for the Secret ${secret} (key "value").`, {
        command: shellWords(['kubectl', '-n', k.ctx.opts.namespace, 'create', 'secret', 'generic', secret, '--from-file=value=<file holding the licence key>']),
      });
      return;
    }
    secretValue({ secret, key: 'value', existingSecret: 'license.existingSecret', what: 'licence key', vendorSecretExists: true })(k);
  };
}

function credentialRules(prefix: string, userKey: string, passwordKey: string, apiKeyKey: string, licenseKey: string): Record<string, Rule> {
  return {
    [userKey]: toStr('credentials.user'),
    [passwordKey]: secretValue({
      secret: `${prefix}-cred`,
      key: 'password',
      existingSecret: 'credentials.existingSecret',
      extraData: (ctx) => [{ key: 'user', value: String(ctx.get(userKey) ?? 'admin'), from: userKey, secret: false }],
      what: 'admin password',
      vendorSecretExists: true,
    }),
    [apiKeyKey]: secretValue({ secret: `${prefix}-api-key`, key: 'value', existingSecret: 'apiKey.existingSecret', what: 'API key', vendorSecretExists: true }),
    [licenseKey]: licenseRule(`${prefix}-license-key`),
    activation_server: toStr('activationServer'),
    db_user: toStr('database.user'),
    db_password: secretValue({
      secret: `${prefix}-postgres-cred`,
      key: 'password',
      existingSecret: 'database.existingSecret',
      extraData: (ctx) => [{ key: 'user', value: String(ctx.get('db_user') ?? 'postgres'), from: 'db_user', secret: false }],
      what: 'database password',
      vendorSecretExists: true,
    }),
    imagePullSecrets: to('imagePullSecrets'),
  };
}

/** OLMS settings; `get(name)` is the vendor key of a setting, `on` the switch. */
function olmsRules(prefix: string, on: string, key: (name: string) => string, opts: { connectionType: boolean; hostSwitches: boolean }): Record<string, Rule> {
  const w = (rule: Rule) => whenOn(on, 'OLMS', rule);
  const secret = `${prefix}-olms`;
  // md-core has no switch of its own: OLMS is on when its host is set.
  const host: Rule = opts.hostSwitches
    ? (k) => {
        k.ctx.set('olms.enabled', true);
        k.ctx.set('olms.hostUrl', str(k));
        k.mapped(['olms.enabled', 'olms.hostUrl'], k.value);
      }
    : toUnlessEmpty('olms.hostUrl');
  return {
    [key('host_url')]: w(host),
    [key('token')]: w(secretValue({ secret, key: SETTINGS_KEYS.olmsToken, existingSecret: 'olms.existingSecret', what: 'OLMS token', vendorSecretExists: false })),
    [key('rest_port')]: w(toUnlessEmpty('olms.restPort', int)),
    [key('socket_port')]: w(toUnlessEmpty('olms.socketPort', int)),
    [key('rule')]: w(toUnlessEmpty('olms.rule')),
    [key('comment')]: w(toUnlessEmpty('olms.comment')),
    [key('use_proxy')]: w((k) => (bool(k) ? k.mapped('olms.proxy.enabled', true) : k.notNeeded('false: no proxy (the default)'))),
    [key('proxy_server')]: w(toUnlessEmpty('olms.proxy.server')),
    [key('proxy_port')]: w(toUnlessEmpty('olms.proxy.port', int)),
    [key('proxy_username')]: w(toUnlessEmpty('olms.proxy.username')),
    [key('proxy_password')]: w(secretValue({ secret, key: SETTINGS_KEYS.olmsProxyPassword, existingSecret: 'olms.existingSecret', what: 'OLMS proxy password (add it to the same Secret as the token)', vendorSecretExists: false })),
    [key('proxy_type')]: w(toUnlessEmpty('olms.proxy.type')),
    ...(opts.connectionType ? { [key('connection_type')]: w(toUnlessEmpty('olms.connectionType')) } : {}),
  };
}

function probeRules(base: string, to_: string): Record<string, Rule> {
  return Object.fromEntries(['initialDelaySeconds', 'periodSeconds', 'timeoutSeconds', 'failureThreshold'].map((f) => [`${base}.${f}`, toInt(`${to_}.${f}`)]));
}

function autoscalingRules(): Record<string, Rule> {
  const resourceTarget = (name: string) => ({ type: 'Resource', resource: { name, target: { type: 'Utilization' } } });
  return {
    'autoscaling.enabled': toBool('autoscaling.enabled'),
    'autoscaling.minReplicas': toInt('autoscaling.minReplicas'),
    'autoscaling.maxReplicas': toInt('autoscaling.maxReplicas'),
    'autoscaling.metrics': (k) => {
      const metrics = k.value as Map[];
      if (!Array.isArray(metrics)) throw new VendorValueError(k.path, 'expected a list');
      // The CPU and memory utilisation pair is what our targets render; anything else goes as it is.
      const util = (name: string) => metrics.find((m) => equal({ ...m, resource: { ...(m.resource as Map), target: { type: 'Utilization' } } }, resourceTarget(name)));
      const cpu = util('cpu');
      const memory = util('memory');
      if (metrics.length === 2 && cpu && memory) {
        const pct = (m: Map) => ((m.resource as Map).target as Map).averageUtilization;
        k.ctx.set('autoscaling.targetCPUUtilizationPercentage', pct(cpu));
        k.ctx.set('autoscaling.targetMemoryUtilizationPercentage', pct(memory));
        k.mapped(['autoscaling.targetCPUUtilizationPercentage', 'autoscaling.targetMemoryUtilizationPercentage']);
      } else {
        k.mapped('autoscaling.metrics');
      }
    },
    'autoscaling.behavior': to('autoscaling.behavior'),
  };
}

function strategyRules(base: string): Record<string, Rule> {
  return {
    [`${base}.strategy.type`]: toStr('strategy.type'),
    [`${base}.strategy.rollingUpdate.maxSurge`]: to('strategy.rollingUpdate.maxSurge', (k) => k.value, 'maxUnavailable stays 1 (the vendor left it to Kubernetes\' 25%)'),
    [`${base}.strategy.rollingUpdate.maxUnavailable`]: to('strategy.rollingUpdate.maxUnavailable'),
  };
}

function resourcesRule(target: string): Rule {
  return (k) => {
    if (!isMap(k.value)) throw new VendorValueError(k.path, 'expected requests and limits');
    const { requests, limits } = k.value as { requests?: Map; limits?: Map };
    k.ctx.set(`${target}.requests`, requests ?? {});
    if (limits) k.ctx.set(`${target}.limits`, limits);
    k.mapped(target, k.value, limits ? '' : 'no limits in the vendor values: ours keeps its default limits (memory and ephemeral storage caps)');
  };
}

/** The image of a component: `<docker repo>/<image>` when custom_repo, else the image as it is. */
function imageRule(repoKey: string, customRepoKey: string | undefined): Rule {
  return (k) => {
    const custom = customRepoKey === undefined ? false : k.ctx.get(customRepoKey) === true;
    const repo = k.ctx.get(repoKey);
    const full = custom && typeof repo === 'string' && repo !== '' ? `${repo}/${str(k)}` : str(k);
    const { repository, tag } = splitImage(k.path, full);
    k.ctx.set('image.repository', repository);
    k.ctx.set('image.tag', tag);
    k.mapped(['image.repository', 'image.tag'], full);
  };
}

function initContainersRule(): Rule {
  return (k) => {
    if (!Array.isArray(k.value)) throw new VendorValueError(k.path, 'expected a list');
    const extra = (k.value as Map[]).filter((c) => c.name !== 'check-db-ready');
    if (extra.length === 0) return k.notNeeded('the vendor\'s database wait: ours is database.waitForReady');
    const unconfined = extra.filter((c) => c.securityContext === undefined).map((c) => String(c.name));
    if (unconfined.length === 0) return k.mapped('extraInitContainers', extra, 'check-db-ready is replaced by database.waitForReady');
    // The vendor chart ran them without a security context, which Pod Security restricted (our charts'
    // declared level) refuses: keep them running as before under baseline, and say how to get back.
    k.ctx.set('extraInitContainers', extra);
    k.ctx.set('podSecurityLevel', 'baseline');
    k.action(
      `init containers without a security context (${unconfined.join(', ')}): podSecurityLevel is set to baseline so they run as in the vendor chart; ` +
        'give each a restricted securityContext (allowPrivilegeEscalation: false, capabilities.drop: [ALL], runAsNonRoot: true, seccompProfile.type: RuntimeDefault) and remove podSecurityLevel to run restricted',
      { to: ['extraInitContainers', 'podSecurityLevel'] },
    );
  };
}

function pvcRule(target: string): (k: Key, pvc: Map) => void {
  return (k, pvc) => {
    if (pvc.enabled !== undefined) k.ctx.set(`${target}.enabled`, pvc.enabled === true);
    const storage = ((pvc.resources as Map | undefined)?.requests as Map | undefined)?.storage;
    if (storage !== undefined) k.ctx.set(`${target}.size`, storage);
    if (typeof pvc.storageClassName === 'string') k.ctx.set(`${target}.storageClass`, pvc.storageClassName);
  };
}

// ---------------------------------------------------------------------------------------------------
// vendor-icap
// ---------------------------------------------------------------------------------------------------

const ICAP = 'icap_components.md_icapsrv';

function icapEnvList(): Map[] {
  const secret = (name: string, secretName: string, key: string) => ({ name, valueFrom: { secretKeyRef: { name: secretName, key } } });
  const field = (name: string, fieldPath: string) => ({ name, valueFrom: { fieldRef: { fieldPath } } });
  return [
    secret('MD_USER', 'mdicapsrv-cred', 'user'),
    secret('MD_PWD', 'mdicapsrv-cred', 'password'),
    field('MDICAPSRV_INSTANCE_NAME', 'metadata.name'),
    secret('APIKEY', 'mdicapsrv-api-key', 'value'),
    secret('LICENSE_KEY', 'mdicapsrv-license-key', 'value'),
    secret('DB_USER', 'mdicapsrv-postgres-cred', 'user'),
    secret('DB_PWD', 'mdicapsrv-postgres-cred', 'password'),
    field('MY_POD_NAMESPACE', 'metadata.namespace'),
  ];
}

function icapRules(): Record<string, Rule> {
  const { credentials, literal, databaseLiteral } = credentialsOf('mdicapsrv');
  const tls = (ep: string): Record<string, Rule> => ({
    [`${ICAP}.tls.${ep}.enabled`]: toBool(`tls.${ep}.enabled`),
    [`${ICAP}.tls.${ep}.certSecret`]: toStr(`tls.${ep}.certSecret`),
    [`${ICAP}.tls.${ep}.certSecretSubPath`]: toStr(`tls.${ep}.certSecretKey`),
    [`${ICAP}.tls.${ep}.certKeySecret`]: toStr(`tls.${ep}.keySecret`),
    [`${ICAP}.tls.${ep}.certKeySecretSubPath`]: toStr(`tls.${ep}.keySecretKey`),
    [`${ICAP}.tls.${ep}.mountPath`]: fixed(`/${ep}_cert`, `ours mounts it at /${ep}_cert and tells the server`, `ours mounts the ${ep} certificate at /${ep}_cert; the server is told the path, so a different mountPath is not needed`),
    [`${ICAP}.tls.${ep}.tlsVersions`]: to(`tls.${ep}.protocols`),
  });
  const proxyOn = (rule: Rule) => whenOn('proxy.enabled', 'the proxy', rule);
  const proxyUrl = (which: 'http' | 'https'): Rule =>
    proxyOn((k) => {
      if (k.value === '') return k.notNeeded('empty: not set');
      const p = parseProxyUrl(k.path, str(k));
      const http = k.ctx.get('proxy.http_proxy');
      if (which === 'https' && typeof http === 'string' && http !== '') {
        const h = parseProxyUrl('proxy.http_proxy', http);
        if (h.host === p.host && h.port === p.port) return k.notNeeded('the same proxy as http_proxy');
        k.ctx.set('proxy.https.host', p.host);
        k.ctx.set('proxy.https.port', p.port);
        return k.mapped(['proxy.https.host', 'proxy.https.port'], k.value, 'the user and password of http_proxy apply to it too');
      }
      k.ctx.set('proxy.host', p.host);
      k.ctx.set('proxy.port', p.port);
      if (p.username) k.ctx.set('proxy.username', p.username);
      if (p.password) {
        secretValue({ secret: 'mdicapsrv-proxy', key: SETTINGS_KEYS.proxyPassword, existingSecret: 'proxy.existingSecret', what: 'proxy password (from the URL)', vendorSecretExists: false })(
          makeKey(k.path, p.password, k.ctx, true),
        );
      }
      k.mapped(['proxy.host', 'proxy.port', ...(p.username ? ['proxy.username'] : [])], k.value, p.password ? 'the password goes into a Secret (see the action for this key)' : '');
    });
  const importOn = (rule: Rule) => whenOn(`${ICAP}.import_configuration.enabled`, 'configuration import', rule);
  return {
    ACCEPT_EULA: toBool('acceptEula'),
    ...credentials,
    db_name: toStr('database.name'),
    mdicapsrv_private_user: (k) =>
      k.action('the private database user goes into the ignition JSON: create a Secret with key IGNITION_JSON holding the ignition entries your ICAP version documents for it and set ignition.existingSecret (or ignition.values)', { to: ['ignition.existingSecret'] }),
    mdicapsrv_private_password: (k) =>
      k.action('the private database password goes into the ignition JSON (a Secret): see mdicapsrv_private_user', { to: ['ignition.existingSecret'], secret: true }),
    'olms.enabled': toBool('olms.enabled'),
    ...olmsRules('mdicapsrv', 'olms.enabled', (n) => `olms.olms_${n}`, { connectionType: false, hostSwitches: false }),
    'proxy.enabled': toBool('proxy.enabled'),
    'proxy.http_proxy': proxyUrl('http'),
    'proxy.https_proxy': proxyUrl('https'),
    'proxy.no_proxy': proxyOn(toStr('proxy.noProxy')),
    'icap_ingress.enabled': toBool('ingress.enabled'),
    'icap_ingress.host': toStr('ingress.host'),
    'icap_ingress.class': toStr('ingress.className'),
    'icap_ingress.name': notNeeded('ours is named icap-ingress (a replaced release gets it instead of the vendor\'s)'),
    'icap_ingress.service': fixed('md-icapsrv', 'ours routes to the md-icapsrv Service', 'ours always routes to its md-icapsrv Service'),
    'icap_ingress.rest_port': (k) =>
      int(k) === Number(k.ctx.get(`${ICAP}.ports.rest`) ?? 8048) ? k.notNeeded('ours routes to the REST port by name') : k.action('ours routes the Ingress to the REST port (ports.rest); a different port is not offered'),
    'postgres_mdicapsrv.enabled': toBool('database.inCluster.enabled'),
    'postgres_mdicapsrv.name': fixed('postgres-mdicapsrv', 'ours is named postgres-mdicapsrv too', 'ours names the database postgres-mdicapsrv'),
    'postgres_mdicapsrv.image': (k) => {
      const { repository, tag } = splitImage(k.path, str(k));
      k.ctx.set('database.inCluster.image.repository', repository);
      k.ctx.set('database.inCluster.image.tag', tag);
      k.mapped(['database.inCluster.image.repository', 'database.inCluster.image.tag']);
    },
    'postgres_mdicapsrv.env': envList(
      [
        { name: 'POSTGRES_PASSWORD', valueFrom: { secretKeyRef: { name: 'mdicapsrv-postgres-cred', key: 'password' } } },
        { name: 'POSTGRES_USER', valueFrom: { secretKeyRef: { name: 'mdicapsrv-postgres-cred', key: 'user' } } },
      ],
      'ours reads POSTGRES_USER and POSTGRES_PASSWORD from the same Secret',
      databaseLiteral,
    ),
    'postgres_mdicapsrv.ports.rest': toInt('database.port'),
    'postgres_mdicapsrv.service_type': fixed('ClusterIP', 'ours is ClusterIP too', 'ours exposes the database as ClusterIP only'),
    'postgres_mdicapsrv.customPodDefinitions': (k) => k.action('ours schedules the database with the product\'s nodeSelector, tolerations and affinity; set those'),
    icap_docker_repo: notNeeded('part of image.repository (see icap_components.md_icapsrv.image)'),
    'env.ICAP_CONF_JSON': (k) => k.mapped('config', parseJsonObject(k)),
    'env.*': (k) => literal(k, k.path.slice('env.'.length)),
    icap_container_persistent: toBool('persistence.enabled'),
    'storage_configs.enabled': toBool('database.inCluster.persistence.enabled'),
    'storage_configs.accessModes': fixed(['ReadWriteOnce'], 'ours claims ReadWriteOnce', 'ours claims ReadWriteOnce; for another mode create the claim and set database.inCluster.persistence.existingClaim'),
    'storage_configs.resources.requests.storage': to('database.inCluster.persistence.size'),
    'storage_configs.storageClassName': toStr('database.inCluster.persistence.storageClass'),
    extra_storage_configs: (k) =>
      isMap(k.value) && Object.keys(k.value).length === 0
        ? k.notNeeded('empty')
        : k.action('create these claims yourself (kubectl apply -f), then mount them with extraVolumes and extraVolumeMounts'),
    'healthcheck.enabled': fixed(true, 'ours always enables the health check (ENABLE_HEALTHCHECK)', 'ours always enables the health check: the readiness probe relies on it'),
    'cleanup_db.enabled': (k) => {
      if (!bool(k)) return k.mapped('databaseCleanup.enabled', false);
      k.ctx.set('databaseCleanup.enabled', true);
      k.action('set databaseCleanup.sql to the clean-up statement for your version (the vendor\'s is not published); the CronJob needs it', { to: ['databaseCleanup.enabled', 'databaseCleanup.sql'] });
    },
    'cleanup_db.schedule': toStr('databaseCleanup.schedule'),
    'cleanup_db.successfulJobsHistoryLimit': toInt('databaseCleanup.successfulJobsHistoryLimit'),
    'cleanup_db.failedJobsHistoryLimit': toInt('databaseCleanup.failedJobsHistoryLimit'),
    [`${ICAP}.initContainers`]: initContainersRule(),
    [`${ICAP}.name`]: fixed('md-icapsrv', 'ours is named md-icapsrv too', 'ours names the Deployment and Service md-icapsrv (namePrefix adds a prefix)'),
    [`${ICAP}.custom_repo`]: notNeeded('part of image.repository (see image)'),
    [`${ICAP}.image`]: imageRule('icap_docker_repo', `${ICAP}.custom_repo`),
    [`${ICAP}.replicas`]: toInt('replicaCount'),
    [`${ICAP}.env`]: envList(icapEnvList(), 'ours sets the same env from the same Secrets and pod fields', literal, {
      LICENSING_CLEANUP: (k) => k.mapped('licensing.cleanup', (k.value as Map).value === 'true'),
    }),
    [`${ICAP}.service_account_name`]: fixed('mdicapsrv-service-account', 'ours is named mdicapsrv-service-account too', 'ours names its ServiceAccount mdicapsrv-service-account'),
    [`${ICAP}.custom_secret`]: toStr('licensing.secretName'),
    [`${ICAP}.data_retention.config_history`]: toInt('dataRetention.auditHours'),
    [`${ICAP}.data_retention.processing_history`]: toInt('dataRetention.historyHours'),
    [`${ICAP}.import_configuration.enabled`]: toBool('configImport.enabled'),
    [`${ICAP}.import_configuration.targets`]: importOn(to('configImport.targets')),
    [`${ICAP}.import_configuration.importConfigMap`]: importOn(toStr('configImport.source.name')),
    [`${ICAP}.import_configuration.importConfigPath`]: importOn(toStr('configImport.directory')),
    [`${ICAP}.import_configuration.importConfigMapSubPath`]: importOn(toStr('configImport.source.key')),
    [`${ICAP}.import_configuration.importConfigFilePass`]: importOn(
      secretValue({ secret: 'mdicapsrv-config-import', key: SETTINGS_KEYS.configImportPassword, existingSecret: 'configImport.existingSecret', what: 'configuration import password', vendorSecretExists: false }),
    ),
    [`${ICAP}.nginx_support.enabled`]: toBool('nginx.enabled'),
    ...tls('https'),
    ...tls('icaps'),
    ...tls('nginxs'),
    [`${ICAP}.trustCertificate.enabled`]: (k) => (bool(k) ? k.mapped(['trustedCertificates.certificates'], k.value, 'on: the certificates of trustCertificate.configs are mounted') : k.notNeeded('off: certificates are mounted when trustedCertificates.certificates is not empty')),
    [`${ICAP}.trustCertificate.mountPath`]: whenOn(`${ICAP}.trustCertificate.enabled`, 'trusted certificates', toStr('trustedCertificates.mountPath')),
    [`${ICAP}.trustCertificate.configs`]: (k) => {
      if (k.ctx.get(`${ICAP}.trustCertificate.enabled`) !== true) return k.notNeeded('trustCertificate.enabled is false');
      const configs = (k.value as Map[]).map((c) => ({ secret: c.certSecret, key: c.certSecretSubPath }));
      k.mapped('trustedCertificates.certificates', configs, 'each mounted as <secret>-<key>');
    },
    [`${ICAP}.ports.rest`]: toInt('ports.rest'),
    [`${ICAP}.ports.icap`]: toInt('ports.icap'),
    [`${ICAP}.ports.icaps`]: toInt('ports.icaps'),
    [`${ICAP}.ports.nginx`]: toInt('ports.nginx'),
    [`${ICAP}.ports.nginxs`]: toInt('ports.nginxs'),
    [`${ICAP}.database.db_mode`]: fixed('4', 'ours sets DB_MODE 4', 'ours runs with DB_MODE 4 (remote PostgreSQL)'),
    [`${ICAP}.database.db_type`]: fixed('remote', 'ours sets DB_TYPE remote', 'ours runs with DB_TYPE remote'),
    [`${ICAP}.database.db_host`]: (k) =>
      str(k) === 'postgres-mdicapsrv' ? k.notNeeded('the in-cluster database: ours connects to it by name') : k.mapped('database.host', str(k), 'an external database (set postgres_mdicapsrv.enabled false too)'),
    [`${ICAP}.database.db_port`]: toInt('database.port'),
    [`${ICAP}.service_type`]: toStr('service.type'),
    [`${ICAP}.sessionAffinity`]: toStr('service.sessionAffinity'),
    [`${ICAP}.service_annotations`]: to('service.annotations'),
    [`${ICAP}.securityContext`]: (k) => (isMap(k.value) && Object.keys(k.value).length === 0 ? k.notNeeded('empty: ours runs restricted (uid 1000) by default') : k.mapped('securityContext')),
    [`${ICAP}.extra_labels`]: to('podLabels'),
    [`${ICAP}.customPodDefinitions.nodeSelector`]: to('nodeSelector'),
    [`${ICAP}.customPodDefinitions.tolerations`]: to('tolerations'),
    [`${ICAP}.customPodDefinitions.affinity`]: to('affinity'),
    [`${ICAP}.extraVolumeMounts`]: to('extraVolumeMounts'),
    [`${ICAP}.extraVolumes`]: to('extraVolumes'),
    [`${ICAP}.resources`]: resourcesRule('resources'),
    [`${ICAP}.imagePullPolicy`]: toStr('image.pullPolicy'),
    ...probeRules(`${ICAP}.livenessProbe`, 'livenessProbe'),
    ...probeRules(`${ICAP}.readinessProbe`, 'readinessProbe'),
    ...strategyRules(ICAP),
    nodeSelector: to('nodeSelector'),
    ...autoscalingRules(),
  };
}

// ---------------------------------------------------------------------------------------------------
// vendor-mdcore
// ---------------------------------------------------------------------------------------------------

const CORE = 'core_components.md-core';
const CORE_DB = 'core_components.postgres-core';

function coreEnvList(): Map[] {
  const secret = (name: string, secretName: string, key: string) => ({ name, valueFrom: { secretKeyRef: { name: secretName, key } } });
  const field = (name: string, fieldPath: string) => ({ name, valueFrom: { fieldRef: { fieldPath } } });
  return [
    secret('MD_USER', 'mdcore-cred', 'user'),
    secret('MD_PWD', 'mdcore-cred', 'password'),
    field('MD_INSTANCE_NAME', 'metadata.name'),
    field('MY_POD_NAME', 'metadata.name'),
    field('MY_POD_NAMESPACE', 'metadata.namespace'),
    secret('APIKEY', 'mdcore-api-key', 'value'),
    secret('LICENSE_KEY', 'mdcore-license-key', 'value'),
    secret('DB_USER', 'mdcore-postgres-cred', 'user'),
    secret('DB_PWD', 'mdcore-postgres-cred', 'password'),
  ];
}

function coreRules(): Record<string, Rule> {
  const { credentials, literal, databaseLiteral } = credentialsOf('mdcore');
  const mdhub = (k: Key) => (k.ctx.get('ENABLED_MODULES') ? k.action('the MDHub module is not deployed by this chart; run it separately') : k.notNeeded('the MDHub module is off (ENABLED_MODULES empty); this chart does not deploy it'));
  const env = (name: string) => `env.${name}`;
  const proxyOn = (rule: Rule) => whenOn(env('PROXY'), 'the proxy', rule);
  const pvcEntry = (k: Key, pvc: Map, path: string) => {
    if (pvc.name === 'postgres-core') {
      pvcRule('database.inCluster.persistence')(k, pvc);
      if (k.ctx.opts.inPlace) k.ctx.set('database.inCluster.persistence.existingClaim', 'postgres-core');
      return 'database.inCluster.persistence';
    }
    if (pvc.name === 'md-core-storage') {
      pvcRule('persistence')(k, pvc);
      if (k.ctx.opts.inPlace && pvc.enabled === true) k.ctx.set('persistence.existingClaim', 'md-core-storage');
      return 'persistence';
    }
    throw new VendorValueError(path, `unknown claim ${JSON.stringify(pvc.name)} (expected postgres-core or md-core-storage)`);
  };
  return {
    ...credentials,
    MDCORE_REST_PORT: toInt('ports.rest'),
    MDCORE_DB_MODE: fixed('4', 'ours sets MDCORE_DB_MODE 4', 'ours runs with MDCORE_DB_MODE 4'),
    MDCORE_DB_TYPE: fixed('remote', 'ours sets MDCORE_DB_TYPE remote', 'ours runs with MDCORE_DB_TYPE remote'),
    MDCORE_DB_HOST: (k) => (str(k) === 'postgres-core' ? k.notNeeded('the in-cluster database: ours connects to it by name') : k.mapped('database.host', str(k), 'an external database (set deploy_with_core_db false too)')),
    MDCORE_DB_PORT: toInt('database.port'),
    MDCORE_CERT_PATH: notNeeded('ours mounts the REST certificate at /https_cert and sets MDCORE_CERT_PATH to it'),
    STORAGE_PATH: toStr('storagePath'),
    deploy_with_core_db: toBool('database.inCluster.enabled'),
    mdcore_generate_secrets: (k) =>
      bool(k) ? k.notNeeded('ours generates missing credentials once in the cluster and keeps them') : k.action('create mdcore-cred, mdcore-api-key and mdcore-postgres-cred yourself and set credentials/apiKey/database.existingSecret'),
    IGNITION_JSON: (k) => {
      if (!bool(k)) return k.notNeeded('false: no ignition JSON');
      k.ctx.set('ignition.existingSecret', 'mdcore-stack-configs');
      k.mapped('ignition.existingSecret', 'mdcore-stack-configs', 'reads IGNITION_JSON from the vendor chart\'s Secret mdcore-stack-configs: keep it (it is not ours to create)');
    },
    RABBITMQ_DEFAULT_USER: mdhub,
    RABBITMQ_DEFAULT_PASS: mdhub,
    CERT_KEY: mdhub,
    CERT: mdhub,
    ENABLED_MODULES: (k) => (k.value ? k.action('the MDHub module is not deployed by this chart; run it separately') : k.notNeeded('empty: no modules')),
    pvc: (k) => {
      const entries = Array.isArray(k.value) ? (k.value as Map[]) : [k.value as Map];
      const targets = entries.map((pvc, i) => pvcEntry(k, pvc, `${k.path}[${i}]`));
      k.mapped(targets, k.value, k.ctx.opts.inPlace ? 'in place: the vendor\'s claims are used as existingClaim' : 'accessModes ReadWriteOnce and volumeMode Filesystem as ours; labels and annotations are ours');
    },
    storage_configs: (k) => k.action('create these claims yourself (kubectl apply -f) and name them in database.inCluster.persistence.existingClaim or persistence.existingClaim'),
    storage_provisioner: (k) =>
      str(k) === 'hostPath'
        ? k.action('hostPath storage keeps data in a directory of one node; ours keeps it on claims (database.inCluster.persistence, persistence): copy that data onto the claims (or run with the vendor\'s PVC, storage_provisioner custom, before replacing the release)')
        : k.notNeeded('ours mounts claims'),
    storage_name: notNeeded('ours names its claims (postgres-core, md-core-storage) or takes existingClaim'),
    hostPathPrefix: notNeeded('ours uses no hostPath'),
    'core_ingress.enabled': toBool('ingress.enabled'),
    'core_ingress.host': (k) => {
      const host = str(k).replace('<APP_NAMESPACE>', k.ctx.opts.namespace);
      if (/[<>]/.test(host)) return k.action(`the host holds <APP_NAMESPACE>: pass --namespace, or set ingress.host (${JSON.stringify(str(k))})`, { to: ['ingress.host'] });
      k.mapped('ingress.host', host);
    },
    'core_ingress.service': fixed('md-core', 'ours routes to the md-core Service', 'ours always routes to its md-core Service'),
    'core_ingress.port': (k) => (int(k) === Number(k.ctx.get('MDCORE_REST_PORT') ?? 8008) ? k.notNeeded('ours routes to the REST port by name') : k.action('ours routes the Ingress to the REST port (ports.rest)')),
    'core_ingress.spec_className': (k) =>
      bool(k) ? k.notNeeded('ours sets spec.ingressClassName') : k.action('the class goes into spec.ingressClassName; for a controller that wants the kubernetes.io/ingress.class annotation, set it in ingress.annotations'),
    'core_ingress.class': toUnlessEmpty('ingress.className'),
    'core_ingress.tls': (k) => (bool(k) ? k.mapped('ingress.tls.secretName', k.ctx.get('core_ingress.secret')) : k.notNeeded('false: no TLS at the Ingress')),
    'core_ingress.secret': (k) => (k.ctx.get('core_ingress.tls') === true ? k.mapped('ingress.tls.secretName') : k.notNeeded('core_ingress.tls is false')),
    'core_ingress.ingress_annotations': to('ingress.annotations'),
    'core_ingress.rules': (k) => (equal(k.value, []) ? k.notNeeded('empty') : k.action('ours builds the rules from ingress.host and ingress.paths: express them there')),
    imagePullPolicy: toStr('image.pullPolicy'),
    core_docker_repo: notNeeded('the md-core image names its repository (see core_components.md-core.image)'),
    [env('CORE_CONF_JSON')]: (k) => k.mapped('config', parseJsonObject(k)),
    [env('MDCORE_HEALTH_CHECK')]: toBool('healthCheck.enabled'),
    [env('MDCORE_QUEUE_THRESHOLD')]: toInt('healthCheck.queueThreshold'),
    [env('MDCORE_MINIMUM_NUMBER_AV')]: toInt('healthCheck.minimumAvEngines'),
    [env('MDCORE_REQUIRED_ENGINES')]: toUnlessEmpty('healthCheck.requiredEngines', (k) => str(k).replace(/\s*,\s*/g, ',')),
    [env('MDCORE_REQUIRED_ENGINES_THRESHOLD')]: toUnlessEmpty('healthCheck.requiredEnginesThreshold', (k) => parseJson(k)),
    [env('MDCORE_DISK_SPACE_THRESHOLD')]: toInt('healthCheck.diskSpaceThreshold'),
    [env('PROXY')]: toBool('proxy.enabled'),
    [env('PROXY_HOST')]: proxyOn(toUnlessEmpty('proxy.host')),
    [env('PROXY_PORT')]: proxyOn(toInt('proxy.port')),
    [env('PROXY_USER')]: proxyOn(toUnlessEmpty('proxy.username')),
    [env('PROXY_PWD')]: proxyOn(secretValue({ secret: 'mdcore-proxy', key: SETTINGS_KEYS.proxyPassword, existingSecret: 'proxy.existingSecret', what: 'proxy password', vendorSecretExists: false })),
    [env('PROXY_EXCLUSION')]: proxyOn(toUnlessEmpty('proxy.exclusions')),
    [env('LICENSING_CLEANUP')]: to('licensing.cleanup', bool, 'ours pre-creates the licensing Secret and grants access to it alone when on'),
    [env('MDCORE_UPGRADE_FROM_DB_NAME')]: toStr('upgrade.fromDbName'),
    [env('UPGRADE_DB')]: toBool('upgrade.upgradeDb'),
    [env('MIGRATE_HISTORY')]: (k) => (bool(k) ? k.action('set strategy.type Recreate as well: ours requires it for the history migration', { to: ['upgrade.migrateHistory'] }) : k.mapped('upgrade.migrateHistory', false)),
    [env('RETRY_UPGRADE')]: toInt('upgrade.retryUpgrade'),
    [env('MDCORE_LICENSE_COMMENT')]: toUnlessEmpty('licenseComment'),
    ...olmsRules('mdcore', env('OLMS_HOST_URL'), (n) => env(`OLMS_${n.toUpperCase()}`), { connectionType: true, hostSwitches: true }),
    [env('MDCORE_CERT_PASSPHRASE')]: secretValue({ secret: 'mdcore-cert-passphrase', key: SETTINGS_KEYS.certPassphrase, existingSecret: 'tls.certPassphrase.existingSecret', what: 'certificate passphrase', vendorSecretExists: false }),
    [env('MDCORE_SSL_PROTOCOLS')]: toUnlessEmpty('tls.sslProtocols'),
    [env('MDCORE_SSL_ADVANCED_CONFIGS')]: toUnlessEmpty('tls.sslAdvancedConfigs'),
    [env('MDCORE_CONFIG_IMPORT_FILE')]: (k) => {
      if (k.value === '') return k.notNeeded('empty: no import');
      const path = str(k);
      const slash = path.lastIndexOf('/');
      k.ctx.set('configImport.enabled', true);
      k.ctx.set('configImport.directory', path.slice(0, slash) || '/');
      k.ctx.set('configImport.source.key', path.slice(slash + 1));
      // The ConfigMap the command below creates: our schema needs a source while the import is on.
      k.ctx.set('configImport.source.name', 'mdcore-config-import');
      k.action('ours mounts the export from a ConfigMap or Secret: create the ConfigMap mdcore-config-import holding the file (or name yours in configImport.source.name, with source.kind Secret for a Secret)', {
        to: ['configImport.enabled', 'configImport.directory', 'configImport.source.key', 'configImport.source.name'],
        command: shellWords(['kubectl', '-n', k.ctx.opts.namespace, 'create', 'configmap', 'mdcore-config-import', `--from-file=${path.slice(slash + 1)}=<the exported .zip>`]),
      });
    },
    [env('MDCORE_CONFIG_IMPORT_PASSWORD')]: secretValue({ secret: 'mdcore-config-import', key: SETTINGS_KEYS.configImportPassword, existingSecret: 'configImport.existingSecret', what: 'configuration import password', vendorSecretExists: false }),
    [env('MDCORE_IMPORT_FORCE_UPDATE_YARA')]: (k) => (k.value === '' ? k.notNeeded('empty: the default') : k.mapped('configImport.forceUpdateYara', bool(k))),
    'env.*': (k) => literal(k, k.path.slice('env.'.length)),
    'keda.enabled': toBool('keda.enabled'),
    'keda.deployment': fixed('md-core', 'ours scales md-core', 'ours scales its md-core Deployment'),
    'keda.minReplicas': toInt('keda.minReplicas'),
    'keda.maxReplicas': toInt('keda.maxReplicas'),
    'keda.pollingInterval': toInt('keda.pollingInterval'),
    'keda.cooldownPeriod': toInt('keda.cooldownPeriod'),
    'keda.url': toStr('keda.url'),
    'keda.availableSlotsValueLocation': fixed('statuses.0.scan_queue_details.available_slots', 'ours reads the same field', 'ours reads statuses.0.scan_queue_details.available_slots'),
    'keda.totalSlotsValueLocation': fixed('statuses.0.scan_queue_details.total_scan_queue', 'ours reads the same field', 'ours reads statuses.0.scan_queue_details.total_scan_queue'),
    'keda.formula': fixed('total_slots > 0 ? ((total_slots - available_slots) * 100) / total_slots : 0', 'ours uses the same used-slot percentage', 'ours scales on the used-slot percentage; another formula is not offered'),
    'keda.targetValue': toInt('keda.targetUsedSlotsPercent'),
    'keda.authenticationName': notNeeded('ours names it md-core-api-auth'),
    'keda.apiKeySecretName': fixed('mdcore-api-key', 'ours reads the API key Secret (apiKey.existingSecret, else mdcore-api-key)', 'ours reads the API key from apiKey.existingSecret: set that'),
    'keda.apiKeySecretKey': fixed('value', 'ours reads key "value"', 'ours reads key "value" of the API key Secret'),
    'keda.apiKeyHeader': fixed('apikey', 'ours sends header apikey', 'ours sends the key in header apikey, as MetaDefender Core expects'),
    'hpa.enabled': toBool('autoscaling.enabled'),
    'hpa.deployment': fixed('md-core', 'ours scales md-core', 'ours scales its md-core Deployment'),
    'hpa.minReplicas': toInt('autoscaling.minReplicas'),
    'hpa.maxReplicas': toInt('autoscaling.maxReplicas'),
    'hpa.cpuTargetUtilization': toInt('autoscaling.targetCPUUtilizationPercentage'),
    [`${CORE_DB}.name`]: fixed('postgres-core', 'ours is named postgres-core too', 'ours names the database postgres-core'),
    [`${CORE_DB}.image`]: (k) => {
      const { repository, tag } = splitImage(k.path, str(k));
      k.ctx.set('database.inCluster.image.repository', repository);
      k.ctx.set('database.inCluster.image.tag', tag);
      k.mapped(['database.inCluster.image.repository', 'database.inCluster.image.tag']);
    },
    [`${CORE_DB}.env`]: envList(
      [
        { name: 'POSTGRES_PASSWORD', valueFrom: { secretKeyRef: { name: 'mdcore-postgres-cred', key: 'password' } } },
        { name: 'POSTGRES_USER', valueFrom: { secretKeyRef: { name: 'mdcore-postgres-cred', key: 'user' } } },
      ],
      'ours reads POSTGRES_USER and POSTGRES_PASSWORD from the same Secret',
      databaseLiteral,
    ),
    [`${CORE_DB}.ports`]: (k) => k.mapped('database.port', ((k.value as Map[])[0]?.port as number | undefined) ?? 5432),
    [`${CORE_DB}.is_db`]: notNeeded('ours knows which component is the database'),
    [`${CORE_DB}.persistentDir`]: fixed('/var/lib/postgresql/data', 'ours mounts the data at /var/lib/postgresql/data', 'ours mounts the database volume at /var/lib/postgresql/data'),
    [`${CORE_DB}.storage_name`]: (k) => {
      k.ctx.set('database.inCluster.persistence.existingClaim', str(k));
      k.mapped('database.inCluster.persistence.existingClaim');
    },
    [`${CORE_DB}.tls.enabled`]: fixed(false, 'off', 'ours does not serve the in-cluster database over TLS'),
    [`${CORE_DB}.customPodDefinitions`]: (k) => k.action('ours schedules the database with the product\'s nodeSelector, tolerations and affinity; set those'),
    [`${CORE}.name`]: fixed('md-core', 'ours is named md-core too', 'ours names the Deployment and Service md-core (namePrefix adds a prefix)'),
    [`${CORE}.image`]: imageRule('core_docker_repo', undefined),
    [`${CORE}.replicas`]: toInt('replicaCount'),
    [`${CORE}.env`]: envList(coreEnvList(), 'ours sets the same env from the same Secrets and pod fields', literal, {
      IGNITION_JSON: (k) => {
        const ref = ((k.value as Map).valueFrom as Map | undefined)?.secretKeyRef as Map | undefined;
        if (!ref) throw new VendorValueError(k.path, 'expected IGNITION_JSON from a secretKeyRef');
        k.ctx.set('ignition.existingSecret', ref.name);
        k.ctx.set('ignition.existingSecretKey', ref.key);
        k.mapped(['ignition.existingSecret', 'ignition.existingSecretKey']);
      },
    }),
    [`${CORE}.tls.enabled`]: toBool('tls.https.enabled'),
    [`${CORE}.tls.certSecret`]: toStr('tls.https.certSecret'),
    [`${CORE}.tls.certSecretSubPath`]: toStr('tls.https.certSecretKey'),
    [`${CORE}.tls.certKeySecret`]: toStr('tls.https.keySecret'),
    [`${CORE}.tls.certKeySecretSubPath`]: toStr('tls.https.keySecretKey'),
    [`${CORE}.ports`]: (k) => k.mapped('ports.rest', ((k.value as Map[])[0]?.port as number | undefined) ?? 8008),
    [`${CORE}.service_type`]: toStr('service.type'),
    [`${CORE}.sessionAffinity`]: toStr('service.sessionAffinity'),
    [`${CORE}.service_annotations`]: to('service.annotations'),
    [`${CORE}.extra_labels`]: (k) => {
      const labels = { ...(k.value as Map) };
      // The vendor's ingress found the Service by this label; ours routes by Service name.
      if (labels.name === 'md-core') delete labels.name;
      k.mapped('podLabels', labels);
    },
    [`${CORE}.resources`]: resourcesRule('resources'),
    [`${CORE}.readinessProbe.httpGet`]: fixed({ path: '/readyz', port: 8008 }, 'ours probes GET /readyz on the REST port', 'ours probes GET /readyz on the REST port'),
    [`${CORE}.livenessProbe.httpGet`]: fixed({ path: '/readyz', port: 8008 }, 'ours probes GET /readyz on the REST port', 'ours probes GET /readyz on the REST port'),
    ...probeRules(`${CORE}.readinessProbe`, 'readinessProbe'),
    ...probeRules(`${CORE}.livenessProbe`, 'livenessProbe'),
    ...strategyRules(CORE),
    [`${CORE}.initContainers`]: initContainersRule(),
    [`${CORE}.persistentDir`]: toStr('storagePath'),
    [`${CORE}.storage_name`]: (k) => {
      k.ctx.set('persistence.existingClaim', str(k));
      k.mapped('persistence.existingClaim');
    },
    [`${CORE}.extraVolumes`]: to('extraVolumes'),
    [`${CORE}.extraVolumeMounts`]: to('extraVolumeMounts'),
    [`${CORE}.customPodDefinitions.nodeSelector`]: to('nodeSelector'),
    [`${CORE}.customPodDefinitions.tolerations`]: to('tolerations'),
    [`${CORE}.customPodDefinitions.affinity`]: to('affinity'),
    'core_components.md-hub': mdhub,
    'core_components.md-nas': mdhub,
    'core_components.redis': mdhub,
    'core_components.rabbitmq': mdhub,
  };
}

function parseJson(k: Key): Json {
  try {
    return JSON.parse(str(k));
  } catch {
    throw new VendorValueError(k.path, `not valid JSON: ${k.shown}`);
  }
}

/** A JSON object of settings, values as strings (the image writes them into an ini file). */
function parseJsonObject(k: Key): Record<string, string> {
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

export function convertVendorValues(chart: VendorChart, vendor: unknown, options: ConvertOptions = {}): Conversion {
  if (!isMap(vendor)) throw new VendorValueError('(root)', 'expected a map of values');
  if (options.namespace !== undefined && !isNamespace(options.namespace)) throw new VendorValueError('namespace', `${JSON.stringify(options.namespace)} is not a Kubernetes namespace (lower-case letters, digits and '-', at most 63)`);
  const opts = { namespace: options.namespace ?? '<namespace>', inPlace: options.inPlace ?? false, secretsFile: options.secretsFile };
  const rules = Object.entries(chart === 'vendor-icap' ? icapRules() : coreRules()).map(([p, rule]) => ({ pattern: p.split('.'), rule }));
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
  if (opts.inPlace) {
    ctx.set('compatibility.vendorSelectors', true);
    ctx.set('compatibility.vendorDatabaseLayout', true);
  }
  // Env items copied as they are (extra init containers) may still hold a literal credential.
  const values = sealEnvLiterals(ctx, extraEnvSecret(chart === 'vendor-icap' ? 'mdicapsrv' : 'mdcore'), ctx.values, '') as Map;

  const target = chart === 'vendor-icap' ? 'md-icapsrv' : 'md-core';
  // Our schema has the last word: a converted value it refuses is reported with the vendor key behind it.
  const schema: ZodType = chart === 'vendor-icap' ? mdIcapsrvValues : mdCoreValues;
  parseValues(target, schema, values);
  const secrets = [...ctx.secrets].map(([name, entries]) => ({ name, entries }));
  return { chart, target, values, report: ctx.report, secrets, namespace: opts.namespace, ...(opts.secretsFile ? { secretsFile: opts.secretsFile } : {}) };
}

/** One command of the in-place replacement: the tool and its arguments. */
export interface Step {
  readonly tool: 'kubectl' | 'helm';
  readonly args: readonly string[];
  readonly why: string;
}

const VENDOR_OBJECTS: Record<VendorChart, { secrets: string[]; claims: string[]; database: string; chart: string }> = {
  'vendor-icap': {
    secrets: ['mdicapsrv-cred', 'mdicapsrv-api-key', 'mdicapsrv-license-key', 'mdicapsrv-postgres-cred', 'mdicap-licensing'],
    claims: [],
    database: 'postgres-mdicapsrv',
    chart: 'md-icapsrv',
  },
  'vendor-mdcore': { secrets: ['mdcore-cred', 'mdcore-api-key', 'mdcore-license-key', 'mdcore-postgres-cred'], claims: ['postgres-core'], database: 'postgres-core', chart: 'md-core' },
};

/**
 * The commands that replace a running release of the vendor chart by ours in place, with the values of an
 * `inPlace` conversion in `valuesFile`: keep what holds data (Helm deletes what the new chart does not
 * render, unless it is marked keep), clear the database Deployment's rolling-update settings (ours is
 * Recreate, and a server-side apply would keep the ones the apiserver defaulted), then `helm upgrade`.
 */
export function inPlaceSteps(chart: VendorChart, opts: { release: string; namespace: string; valuesFile: string; chartDir?: string }): Step[] {
  const o = VENDOR_OBJECTS[chart];
  const ns = ['-n', opts.namespace];
  return [
    { tool: 'kubectl', args: [...ns, 'annotate', '--overwrite', ...o.secrets.map((n) => `secret/${n}`), 'helm.sh/resource-policy=keep'], why: 'keep the Secrets (credentials, licence key, licensing data) when the release stops rendering them' },
    ...o.claims.map((c): Step => ({ tool: 'kubectl', args: [...ns, 'annotate', '--overwrite', `pvc/${c}`, 'helm.sh/resource-policy=keep'], why: 'keep the database claim (ours takes it as existingClaim)' })),
    {
      tool: 'kubectl',
      args: [...ns, 'patch', 'deployment', o.database, '-p', '{"spec":{"strategy":{"type":"Recreate","rollingUpdate":null}}}'],
      why: 'the database Deployment becomes Recreate (one pod owns the data); its pods are not restarted by this',
    },
    { tool: 'helm', args: ['upgrade', opts.release, opts.chartDir ?? `./charts/${o.chart}`, ...ns, '-f', opts.valuesFile, '--wait'], why: 'replace the release: pods are replaced one at a time (maxSurge 0)' },
  ];
}

/** Words as a POSIX shell command line: each quoted unless it is plainly safe (no `<`, `>`, `;`, `$`, spaces...). */
export function shellWords(words: readonly string[]): string {
  return words.map((w) => (/^[-\w./:=@,]+$/.test(w) ? w : `'${w.replace(/'/g, "'\\''")}'`)).join(' ');
}

/** A step as a shell command line. */
export function stepText(step: Step): string {
  return shellWords([step.tool, ...step.args]);
}

/** The Secrets as one YAML stream of v1 Secrets (stringData), for `kubectl apply -f`: holds the credentials in clear. */
export function secretsManifest(c: Conversion): string {
  // Without --namespace (the placeholder), kubectl's current namespace, as for the report's commands.
  const namespace = isNamespace(c.namespace) ? { namespace: c.namespace } : {};
  return c.secrets
    // YAML 1.1 as kubectl reads it: "yes", "on" or "0x1F" stay strings (quoted).
    .map((sec) => YAML.stringify({ apiVersion: 'v1', kind: 'Secret', metadata: { name: sec.name, ...namespace }, type: 'Opaque', stringData: Object.fromEntries(sec.entries.map((e) => [e.key, e.value])) }, { version: '1.1' }))
    .join('---\n');
}

/** The command creating each Secret, each credential read from a file (`<file holding ...>`), never given on the command line. */
export function secretCommands(c: Conversion): string[] {
  return c.secrets.map((sec) =>
    shellWords(['kubectl', '-n', c.namespace, 'create', 'secret', 'generic', sec.name, ...sec.entries.map((e) => (e.secret ? `--from-file=${e.key}=<file holding ${e.from}>` : `--from-literal=${e.key}=${e.value}`))]),
  );
}

const STATUS_ORDER: Record<KeyStatus, number> = { action: 0, mapped: 1, 'not needed': 2 };

/** Which Secret keys hold which vendor key, and the command that creates them (values masked, never shown). */
function secretsSection(c: Conversion): string[] {
  const commands = c.secretsFile ? [shellWords(['kubectl', '-n', c.namespace, 'apply', '-f', c.secretsFile])] : secretCommands(c);
  return [
    c.secretsFile ? '## Secrets written' : '## Secrets to create',
    '',
    c.secretsFile
      ? `${c.secretsFile} (mode 0600) holds these Secrets in clear: apply it before installing, then delete it.`
      : 'Before installing, create these Secrets; put each credential into a file first (no shell history, no process list):',
    '',
    ...c.secrets.flatMap((sec) => sec.entries.map((e) => `- Secret \`${sec.name}\` key \`${e.key}\` ← \`${e.from}\` ${shown(e.value, e.secret)}`)),
    '',
    '```console',
    ...commands,
    '```',
    '',
  ];
}

/** The report as Markdown: actions first, then mapped keys, then keys not needed. */
export function reportMarkdown(c: Conversion, source: string, inPlace?: { valuesFile: string }): string {
  const cell = (s: string) => s.replace(/\|/g, '\\|').replace(/\n/g, ' ');
  const count = (s: KeyStatus) => c.report.filter((r) => r.status === s).length;
  const rows = [...c.report].sort((a, b) => STATUS_ORDER[a.status] - STATUS_ORDER[b.status] || a.path.localeCompare(b.path));
  const actions = rows.filter((r) => r.status === 'action');
  return [
    `# ${source}: ${c.chart} values converted to ${c.target}`,
    '',
    `${c.report.length} keys set: ${count('mapped')} mapped, ${count('not needed')} not needed, ${count('action')} need action.`,
    '',
    ...(actions.length > 0
      ? [
          '## Needs action',
          '',
          ...actions.flatMap((r) => [`- \`${r.path}\` ${r.shown}: ${r.note}`, ...(r.command ? ['', '  ```console', `  ${r.command}`, '  ```', ''] : [])]),
          '',
        ]
      : []),
    ...(c.secrets.length > 0 ? secretsSection(c) : []),
    ...(inPlace
      ? [
          '## Replacing the running release in place',
          '',
          'After the actions above, in this order (one licence activation per pod at any time: the rollout has maxSurge 0):',
          '',
          ...inPlaceSteps(c.chart, { release: '<release>', namespace: c.namespace, ...inPlace }).flatMap((st, i) => [`${i + 1}. ${st.why}:`, '', '   ```console', `   ${stepText(st)}`, '   ```', '']),
        ]
      : []),
    '## Every key',
    '',
    '| Vendor key | Value | Status | Our key(s) / why |',
    '| --- | --- | --- | --- |',
    ...rows.map((r) => `| \`${r.path}\` | ${cell(r.shown)} | ${r.status} | ${cell([r.to.map((t) => `\`${t}\``).join(', '), r.note].filter(Boolean).join(': '))} |`),
    '',
  ].join('\n');
}

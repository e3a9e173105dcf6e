/**
 * Settings both MetaDefender products offer beyond their core: the OLMS licence server, the outbound proxy,
 * settings written into the product's config file (ICAP_CONF_JSON / CORE_CONF_JSON), the ignition JSON,
 * configuration import at start, persistent product data and the user's extra volumes, mounts and init
 * containers. Values first, then what each renders into the pod.
 *
 * Secret values (OLMS token, proxy passwords, import passwords, the ignition JSON, a key passphrase) never
 * go into a ConfigMap: the values the user gives go into one Secret the chart creates, `<prefix>-settings`
 * (only the keys given, only when some are), or the user names an `existingSecret` holding the same keys;
 * the container reads each with a secretKeyRef. Non-secret settings of an optional feature are container
 * env present only while the feature is on.
 */
import { Construct } from 'constructs';
import { z } from 'zod';
import { KubeObject } from '../core/kube-object';
import { CONFIG_KEY, dnsLabel, dnsName, imageReference, optionalSecretName, port, rule, TemplateRule, uniquelyNamed } from '../core/schema';
import { Render, ValueOrConstant, ValueTree } from '../core/template';
import { Identity } from './identity';
import { EnvVar } from './pod';
import { claimVolume, persistenceValues } from './volume';

const HOST = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;
/** A host, or an http(s) URL of one (port and path allowed), without credentials in it. */
const HOST_OR_URL = /^(https?:\/\/)?[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*(:[0-9]{1,5})?(\/[-A-Za-z0-9._~%/]*)?$/;
/** Characters a user name may hold where it is put into a URL (RFC 3986 userinfo, without ':' and '@'). */
const URL_USER = /^[-A-Za-z0-9._~!$&'()*+,;=%]*$/;
/** A file or Secret/ConfigMap key name. */
const KEY = new RegExp(CONFIG_KEY);
/** An absolute path without spaces. */
const ABS_PATH = /^\/[-A-Za-z0-9._/]*$/;
/** A product config key, "<section>/<setting>". */
const CONF_KEY = /^[A-Za-z0-9_.-]+\/[A-Za-z0-9_.-]+$/;

const optionalPort = () => z.union([z.literal(0), port()]);
/** A host name or address; empty means not set. */
const optionalHost = () => z.union([z.literal(''), z.string().max(253).regex(HOST)]);

const ifEnabled = { if: { properties: { enabled: { const: true } }, required: ['enabled'] } };
const givenOrExisting = (key: string) => ({
  anyOf: [
    { properties: { [key]: { minLength: 1 } }, required: [key] },
    { properties: { existingSecret: { minLength: 1 } }, required: ['existingSecret'] },
  ],
});

// ---------------------------------------------------------------------------------------------------
// The settings Secret
// ---------------------------------------------------------------------------------------------------

/** Keys of the settings Secret (and of an existingSecret a feature reads instead). */
export const SETTINGS_KEYS = {
  olmsToken: 'olmsToken',
  olmsProxyPassword: 'olmsProxyPassword',
  proxyPassword: 'proxyPassword',
  configImportPassword: 'configImportPassword',
  certPassphrase: 'certPassphrase',
  ignition: 'IGNITION_JSON',
} as const;

const secretText = (prefix: string, key: string, what: string) =>
  z.string().max(4096).default('').describe(`${what}, stored in the Secret ${prefix}-settings (key "${key}") when given; or give existingSecret.`);

/**
 * The one Secret of a product that holds the secret settings the user gives: each feature asks for a
 * reference (`ref`), and `build` creates the Secret with the keys that are given, if any.
 */
export class SettingsSecret {
  private readonly entries: { key: string; value: ValueOrConstant<string>; given: unknown }[] = [];
  private readonly render: Render;
  public readonly name: ValueOrConstant<string>;
  /** Prefix of the product's named templates, for the features' own. */
  public readonly templatePrefix: string;

  constructor(
    private readonly scope: Construct,
    private readonly identity: Identity,
    private readonly component: string,
    private readonly base: string,
  ) {
    this.render = Render.of(scope);
    this.name = identity.name(base);
    this.templatePrefix = identity.props.templatePrefix;
  }

  /** A secretKeyRef to `key`: of the user's `existingSecret` when set, else of this Secret, which then holds `value` while `enabled`. */
  public ref(key: string, opts: { value: ValueOrConstant<string>; enabled: unknown; existingSecret: ValueOrConstant<string>; existingKey?: ValueOrConstant<string> }) {
    const r = this.render;
    // A named template in a Helm chart: the condition guards both the key and the whole Secret.
    const given = r.sharedCondition(`${this.templatePrefix}.settings.${key}`, () => r.and(opts.enabled, opts.value, r.not(opts.existingSecret)));
    this.entries.push({ key, value: opts.value, given });
    const name = r.coalesce(opts.existingSecret, this.name);
    return { secretKeyRef: { name, key: opts.existingKey === undefined ? key : r.ifElse(opts.existingSecret, opts.existingKey, key) } };
  }

  /** Creates the Secret when some value is given; after every `ref`. */
  public build(id: string): void {
    const r = this.render;
    const needed = r.sharedCondition(`${this.templatePrefix}.settings`, () => r.or(...this.entries.map((e) => e.given)));
    r.when(needed, () => {
      new KubeObject(this.scope, id, {
        apiVersion: 'v1',
        kind: 'Secret',
        metadata: this.identity.meta(this.base, this.component),
        type: 'Opaque',
        // Written once (a named template in a Helm chart), so the chart does not test every key twice.
        data: r.sharedMap(`${this.templatePrefix}.settingsData`, {}, () => Object.assign({}, ...this.entries.map((e) => r.fieldsIf(e.given, { [e.key]: r.b64(e.value) })))),
      });
    });
  }
}

// ---------------------------------------------------------------------------------------------------
// OLMS licence server
// ---------------------------------------------------------------------------------------------------

/**
 * OLMS (OPSWAT Licence Management Server): the product takes its licence from an on-premises server instead
 * of the activation server. `connectionType`: md-core only (OLMS_CONNECTION_TYPE).
 */
export const olmsValues = <E extends z.ZodRawShape>(prefix: string, extra: E) => {
  const proxy = rule(
    z
      .object({
        enabled: z.boolean().default(false).describe('Reach OLMS through a proxy (OLMS_USE_PROXY).'),
        server: optionalHost().default('').describe('Proxy host (OLMS_PROXY_SERVER).'),
        port: optionalPort().default(0).describe('Proxy port (OLMS_PROXY_PORT).'),
        type: z.string().max(32).regex(/^[A-Za-z0-9_-]*$/).default('').describe('Proxy type as OLMS reads OLMS_PROXY_TYPE; empty for its default. (The vendor chart writes it as OLMS_PROXY_PROXY_TYPE, which the product does not read.)'),
        username: z.string().max(256).default('').describe('Proxy user (OLMS_PROXY_USERNAME).'),
        password: secretText(prefix, SETTINGS_KEYS.olmsProxyPassword, 'Proxy password (OLMS_PROXY_PASSWORD)'),
      })
      .strict(),
    (p) => !p.enabled || (p.server !== '' && p.port !== 0),
    {
      message: 'set olms.proxy.server and olms.proxy.port when olms.proxy.enabled',
      path: ['server'],
      counterexample: { enabled: true, server: '' },
      jsonSchema: { ...ifEnabled, then: { properties: { server: { minLength: 1 }, port: { minimum: 1 } } } },
    },
  );
  const base = z
    .object({
      enabled: z.boolean().default(false).describe('License the product from an OPSWAT Licence Management Server (OLMS) instead of the activation server.'),
      hostUrl: z.union([z.literal(''), z.string().max(253).regex(HOST_OR_URL)]).default('').describe('OLMS host or URL (OLMS_HOST_URL).'),
      restPort: optionalPort().default(0).describe('OLMS REST port (OLMS_REST_PORT); required when enabled.'),
      socketPort: optionalPort().default(0).describe('OLMS socket port (OLMS_SOCKET_PORT); required when enabled.'),
      rule: z.string().max(128).regex(/^[A-Za-z0-9_. -]*$/).default('Default_Rule').describe('OLMS rule the product is licensed by (OLMS_RULE).'),
      comment: z.string().max(256).default('').describe('Comment OLMS shows for this deployment (OLMS_COMMENT).'),
      ...extra,
      token: secretText(prefix, SETTINGS_KEYS.olmsToken, 'OLMS token (OLMS_TOKEN)'),
      existingSecret: optionalSecretName()
        .default('')
        .describe(`Secret with key "${SETTINGS_KEYS.olmsToken}" (and "${SETTINGS_KEYS.olmsProxyPassword}" when olms.proxy.username is set) to use instead of token and proxy.password.`),
      proxy: proxy.prefault({}),
    })
    .strict();
  const olms = (o: unknown) => o as OlmsSettings;
  const complete = rule(base, (o) => !olms(o).enabled || (olms(o).hostUrl !== '' && olms(o).restPort !== 0 && olms(o).socketPort !== 0), {
    message: 'set olms.hostUrl, olms.restPort and olms.socketPort when olms.enabled',
    path: ['hostUrl'],
    counterexample: { enabled: true, hostUrl: '', token: 't' } as never,
    jsonSchema: { ...ifEnabled, then: { properties: { hostUrl: { minLength: 1 }, restPort: { minimum: 1 }, socketPort: { minimum: 1 } } } },
  });
  const withToken = rule(complete, (o) => !olms(o).enabled || olms(o).token !== '' || olms(o).existingSecret !== '', {
    message: 'give olms.token or olms.existingSecret when olms.enabled',
    path: ['token'],
    counterexample: { enabled: true, hostUrl: 'olms', restPort: 8000, socketPort: 3000, token: '', existingSecret: '' } as never,
    jsonSchema: { ...ifEnabled, then: givenOrExisting('token') },
  });
  return rule(withToken, (o) => !olms(o).enabled || !olms(o).proxy.enabled || olms(o).proxy.username === '' || olms(o).proxy.password !== '' || olms(o).existingSecret !== '', {
    message: 'give olms.proxy.password (or olms.existingSecret) for olms.proxy.username',
    path: ['proxy', 'password'],
    counterexample: { enabled: true, hostUrl: 'olms', restPort: 8000, socketPort: 3000, token: 't', existingSecret: '', proxy: { enabled: true, server: 'proxy', port: 3128, username: 'u', password: '' } } as never,
    jsonSchema: {
      if: {
        properties: { enabled: { const: true }, existingSecret: { const: '' }, proxy: { properties: { enabled: { const: true }, username: { minLength: 1 } }, required: ['enabled', 'username'] } },
        required: ['enabled', 'existingSecret', 'proxy'],
      },
      then: { properties: { proxy: { properties: { password: { minLength: 1 } } } } },
    },
  }).prefault({} as never);
};

interface OlmsSettings {
  enabled: boolean;
  hostUrl: string;
  restPort: number;
  socketPort: number;
  rule: string;
  comment: string;
  token: string;
  existingSecret: string;
  proxy: { enabled: boolean; server: string; port: number; type: string; username: string; password: string };
}

/** OLMS values as construct code sees them; `connectionType` where the product has it (md-core). */
export type OlmsValues = ValueTree<OlmsSettings> & { readonly connectionType?: ValueOrConstant<string> };

/** The env the features take from the settings Secret (or the user's), by what it holds. */
export const FEATURE_SECRET_ENV = { olmsToken: 'OLMS_TOKEN', olmsProxyPassword: 'OLMS_PROXY_PASSWORD', ignition: 'IGNITION_JSON' } as const;

/** OLMS env: settings as values, token and proxy password from the settings Secret (or the user's). */
export function olmsEnv(scope: Construct, settings: SettingsSecret, olms: OlmsValues): EnvVar[] {
  const render = Render.of(scope);
  const token = settings.ref(SETTINGS_KEYS.olmsToken, { value: olms.token, enabled: olms.enabled, existingSecret: olms.existingSecret });
  const proxyPassword = settings.ref(SETTINGS_KEYS.olmsProxyPassword, { value: olms.proxy.password, enabled: render.and(olms.enabled, olms.proxy.enabled), existingSecret: olms.existingSecret });
  const proxyOn = render.and(olms.enabled, olms.proxy.enabled);
  return [
    ...render.itemsIf(olms.enabled, [
      { name: 'OLMS_HOST_URL', value: olms.hostUrl },
      { name: 'OLMS_REST_PORT', value: render.str(olms.restPort) },
      { name: 'OLMS_SOCKET_PORT', value: render.str(olms.socketPort) },
      { name: 'OLMS_RULE', value: olms.rule },
      { name: 'OLMS_COMMENT', value: olms.comment },
      ...(olms.connectionType === undefined ? [] : [{ name: 'OLMS_CONNECTION_TYPE', value: olms.connectionType }]),
      { name: FEATURE_SECRET_ENV.olmsToken, valueFrom: token },
      { name: 'OLMS_USE_PROXY', value: render.str(olms.proxy.enabled) },
    ]),
    ...render.itemsIf(proxyOn, [
      { name: 'OLMS_PROXY_SERVER', value: olms.proxy.server },
      { name: 'OLMS_PROXY_PORT', value: render.str(olms.proxy.port) },
      { name: 'OLMS_PROXY_TYPE', value: olms.proxy.type },
    ]),
    ...render.itemsIf(render.and(proxyOn, olms.proxy.username), [
      { name: 'OLMS_PROXY_USERNAME', value: olms.proxy.username },
      { name: FEATURE_SECRET_ENV.olmsProxyPassword, valueFrom: proxyPassword },
    ]),
  ];
}

// ---------------------------------------------------------------------------------------------------
// Outbound proxy
// ---------------------------------------------------------------------------------------------------

/** The outbound proxy for engine and definition updates; `extra` adds the product's own fields. */
export const proxyValues = <E extends z.ZodRawShape>(prefix: string, defaultPort: number, passwordNote: string, extra: E) =>
  rule(
    z
      .object({
        enabled: z.boolean().default(false).describe('Send outbound HTTP(S) (engine and licence updates) through a proxy.'),
        host: optionalHost().default('').describe('Proxy host; required when enabled.'),
        port: port().default(defaultPort).describe('Proxy port.'),
        username: z.string().max(256).regex(URL_USER).default('').describe('Proxy user; empty for a proxy without authentication.'),
        password: z.string().max(4096).default('').describe(`${secretText(prefix, SETTINGS_KEYS.proxyPassword, 'Proxy password').description} ${passwordNote}`.trim()),
        existingSecret: optionalSecretName().default('').describe(`Secret with key "${SETTINGS_KEYS.proxyPassword}" to use instead of password.`),
        ...extra,
      })
      .strict(),
    (p) => !(p as unknown as ProxyCommon).enabled || (p as unknown as ProxyCommon).host !== '',
    {
      message: 'set proxy.host when proxy.enabled',
      path: ['host'],
      counterexample: { enabled: true, host: '' } as never,
      jsonSchema: { ...ifEnabled, then: { properties: { host: { minLength: 1 } } } },
    },
  ).prefault({} as never);

interface ProxyCommon {
  enabled: boolean;
  host: string;
  port: number;
  username: string;
  password: string;
  existingSecret: string;
}

/** The proxy password's reference (given, or the user's Secret) and whether there is one. */
export function proxyPassword(scope: Construct, settings: SettingsSecret, proxy: ValueTree<ProxyCommon>) {
  const render = Render.of(scope);
  return {
    ref: settings.ref(SETTINGS_KEYS.proxyPassword, { value: proxy.password, enabled: proxy.enabled, existingSecret: proxy.existingSecret }),
    given: render.and(proxy.enabled, render.or(proxy.password, proxy.existingSecret)),
  };
}

// ---------------------------------------------------------------------------------------------------
// Product config file settings and ignition JSON
// ---------------------------------------------------------------------------------------------------

/** Settings the image writes into the product's config file at start (ICAP_CONF_JSON / CORE_CONF_JSON). */
export const configFileValues = (envVar: string, example: string) =>
  z
    .record(z.string().max(128).regex(CONF_KEY), z.string().max(1024))
    .default({})
    .describe(`Settings written into the product's config file at every start (${envVar}, as JSON): keys "<section>/<setting>", e.g. ${example}.`);

export const ignitionValues = (prefix: string) =>
  z
    .object({
      values: z
        .record(z.string().max(128).regex(CONF_KEY), z.string().max(1024))
        .default({})
        .describe(`Ignition file entries ("<section>/<key>": value), passed as IGNITION_JSON; stored in the Secret ${prefix}-settings (key "${SETTINGS_KEYS.ignition}"): they may hold database users and passwords.`),
      existingSecret: optionalSecretName().default('').describe('Secret holding the ignition JSON, instead of values (e.g. the vendor chart\'s mdcore-stack-configs).'),
      existingSecretKey: z.string().max(253).regex(KEY).default('IGNITION_JSON').describe('Key of the ignition JSON in existingSecret.'),
    })
    .strict()
    .prefault({});

export type IgnitionValues = ValueTree<z.output<ReturnType<typeof ignitionValues>>>;

/** IGNITION_JSON from the settings Secret (given entries) or the user's Secret, when there is one. */
export function ignitionEnv(scope: Construct, settings: SettingsSecret, ignition: IgnitionValues): EnvVar[] {
  const render = Render.of(scope);
  const ref = settings.ref(SETTINGS_KEYS.ignition, {
    value: render.json(ignition.values),
    enabled: ignition.values,
    existingSecret: ignition.existingSecret,
    existingKey: ignition.existingSecretKey,
  });
  return render.itemsIf(render.or(ignition.values, ignition.existingSecret), [{ name: FEATURE_SECRET_ENV.ignition, valueFrom: ref }]);
}

// ---------------------------------------------------------------------------------------------------
// Configuration import at start
// ---------------------------------------------------------------------------------------------------

/**
 * A configuration export imported at every start: a file from a ConfigMap or Secret the user creates,
 * mounted as one file (subPath), and its password. `extra` adds the product's own fields.
 */
export const configImportValues = <E extends z.ZodRawShape>(prefix: string, d: { key: string; directory: string }, extra: E) =>
  rule(
    z
      .object({
        enabled: z.boolean().default(false).describe('Import a configuration export at every start.'),
        source: z
          .object({
            kind: z.enum(['ConfigMap', 'Secret']).default('ConfigMap').describe('Kind of the object holding the file (a Secret when the export holds secrets).'),
            name: z.union([z.literal(''), dnsName()]).default('').describe('Name of the ConfigMap or Secret; required when enabled (e.g. kubectl create configmap <name> --from-file=<key>=export.zip).'),
            key: z.string().min(1).max(253).regex(KEY).default(d.key).describe('Key of the file in it; also its file name.'),
          })
          .strict()
          .prefault({}),
        directory: z.string().max(253).regex(ABS_PATH).default(d.directory).describe('Directory the file is mounted into (only the file is mounted; the directory keeps its content).'),
        password: secretText(prefix, SETTINGS_KEYS.configImportPassword, 'Password of the export'),
        existingSecret: optionalSecretName().default('').describe(`Secret with key "${SETTINGS_KEYS.configImportPassword}" to use instead of password.`),
        ...extra,
      })
      .strict(),
    (c) => !(c as unknown as ConfigImportCommon).enabled || (c as unknown as ConfigImportCommon).source.name !== '',
    {
      message: 'set configImport.source.name when configImport.enabled',
      path: ['source', 'name'],
      counterexample: { enabled: true, source: { name: '' } } as never,
      jsonSchema: { ...ifEnabled, then: { properties: { source: { properties: { name: { minLength: 1 } } } } } },
    },
  ).prefault({} as never);

interface ConfigImportCommon {
  enabled: boolean;
  source: { kind: string; name: string; key: string };
  directory: string;
  password: string;
  existingSecret: string;
}

/** The mounted export: its path, volume and mount, and its password env (under `passwordEnv`). */
export function configImport(scope: Construct, settings: SettingsSecret, ci: ValueTree<ConfigImportCommon>, passwordEnv: string) {
  const render = Render.of(scope);
  const password = settings.ref(SETTINGS_KEYS.configImportPassword, { value: ci.password, enabled: ci.enabled, existingSecret: ci.existingSecret });
  const path = `${ci.directory}/${ci.source.key}`;
  const items = [{ key: ci.source.key, path: ci.source.key }];
  return {
    path,
    env: render.itemsIf(render.and(ci.enabled, render.or(ci.password, ci.existingSecret)), [{ name: passwordEnv, valueFrom: password }]),
    volumeMounts: render.itemsIf(ci.enabled, [{ name: 'config-import', mountPath: path, subPath: ci.source.key, readOnly: true }]),
    volumes: render.itemsIf(ci.enabled, [
      {
        name: 'config-import',
        ...render.fieldsIf(render.eq(ci.source.kind, 'ConfigMap'), { configMap: { name: ci.source.name, items } }),
        ...render.fieldsIf(render.eq(ci.source.kind, 'Secret'), { secret: { secretName: ci.source.name, items } }),
      },
    ]),
  };
}

// ---------------------------------------------------------------------------------------------------
// Persistent product data, extra volumes, mounts and init containers
// ---------------------------------------------------------------------------------------------------

export const productPersistenceValues = (what: string) =>
  persistenceValues({
    enabled: false,
    size: '10Gi',
    enabledDescription: `Keep ${what} on a PersistentVolumeClaim (ReadWriteOnce: every pod of the release mounts it, so they must share a node, or give existingClaim of a ReadWriteMany class).`,
  });

/** The claim (created, or existing) mounted at `mountPath`, only while persistence is on. */
export function productDataVolume(scope: Construct, identity: Identity, component: string, name: string, persistence: ValueTree<z.output<ReturnType<typeof productPersistenceValues>>>, mountPath: ValueOrConstant<string>) {
  const render = Render.of(scope);
  const volumes = claimVolume(scope, 'DataClaim', { identity, name, component, persistence, volumeName: 'product-data' });
  return {
    volumeMounts: render.itemsIf(persistence.enabled, [{ name: 'product-data', mountPath }]),
    // Without persistence nothing is mounted: an emptyDir would hide what the image keeps at that path.
    volumes: render.itemsIf(persistence.enabled, volumes),
  };
}

const passThrough = <S extends z.ZodRawShape>(shape: S) => z.object(shape).catchall(z.unknown());

/** The volumes the products' pods have of their own, whatever the values: an extra volume takes another name. */
const PRODUCT_VOLUMES = ['config-import', 'https-tls', 'icaps-tls', 'nginxs-tls', 'product-data', 'trusted-certificates'];
/** The containers of the products' pods: an extra init container takes another name. */
const PRODUCT_CONTAINERS = ['deactivation', 'md-core', 'md-icapsrv', 'wait-for-database'];

/** A DNS label that is none of `taken` (names the chart gives in the same pod). */
const notOneOf = (taken: readonly string[], why: string) =>
  rule(dnsLabel(), (n) => !taken.includes(n), {
    message: `${why} (${taken.join(', ')})`,
    jsonSchema: { not: { enum: [...taken] } },
    counterexample: taken[0]!,
  });

/** extraVolumes, extraVolumeMounts and extraInitContainers of the product pod, passed through as given. */
export const extraPodFields = () => ({
  extraVolumes: uniquelyNamed(z.array(passThrough({ name: notOneOf(PRODUCT_VOLUMES, 'the product pod has a volume of this name') })), [
    { name: 'twice', emptyDir: {} },
    { name: 'twice', emptyDir: {} },
  ])
    .default([])
    .describe(`Extra volumes of the product pod (Kubernetes volume objects), each name once, none of ${PRODUCT_VOLUMES.join(', ')}.`),
  extraVolumeMounts: z
    .array(passThrough({ name: dnsLabel(), mountPath: z.string().min(1).max(1024).regex(/^\//) }))
    .default([])
    .describe('Extra volume mounts of the product container: each names one of extraVolumes, each at a mountPath of its own.'),
  extraInitContainers: uniquelyNamed(z.array(passThrough({ name: notOneOf(PRODUCT_CONTAINERS, 'the product pod has a container of this name'), image: imageReference() })), [
    { name: 'twice', image: 'busybox:1.36.1' },
    { name: 'twice', image: 'busybox:1.36.1' },
  ])
    .default([])
    .describe(`Init containers run after the wait for the database (Kubernetes container objects), each name once, none of ${PRODUCT_CONTAINERS.join(', ')}.`),
});

interface ExtraPodRoot {
  extraVolumes: readonly { name: string }[];
  extraVolumeMounts: readonly { name: string; mountPath: string }[];
}

/** The value at `path` of the values (a directory the chart mounts, e.g. storagePath). */
const valueAt = (v: unknown, path: readonly string[]): unknown => path.reduce<unknown>((x, k) => (x as Record<string, unknown> | undefined)?.[k], v);

/**
 * The first extra mount Kubernetes refuses: of a volume extraVolumes lacks, or at a mountPath taken already,
 * by an earlier item or by the chart at a directory a value names (`chartMounts`).
 */
function extraMountProblem(v: ExtraPodRoot, chartMounts: readonly (readonly string[])[]): string | undefined {
  const volumes = new Set(v.extraVolumes.map((x) => x.name));
  const paths = new Map<unknown, string>(chartMounts.map((p) => [valueAt(v, p), `the chart (${p.join('.')})`]));
  for (const [i, m] of v.extraVolumeMounts.entries()) {
    if (!volumes.has(m.name)) return `item ${i}: ${m.name} is not the name of one of extraVolumes`;
    if (paths.has(m.mountPath)) return `item ${i}: ${m.mountPath} is mounted by ${paths.get(m.mountPath)} already`;
    paths.set(m.mountPath, `item ${i}`);
  }
  return undefined;
}

/**
 * The root schema of a product with the rules between its extraVolumes and extraVolumeMounts, in zod and in
 * the chart's template rules (`name`, one per product): every mount names one of extraVolumes, at a path
 * of its own, none of the directories the chart mounts where a value says (`chartMounts`: their paths in
 * the values). The chart's fixed mount paths (/https_cert, ...) are not checked here.
 */
export function withExtraPodRules<T extends z.ZodType<ExtraPodRoot>>(schema: T, name: string, chartMounts: readonly (readonly string[])[]): T {
  const seeds = chartMounts.map((p) => `{{- $_ := set $paths (toString (index $.value ${p.map((k) => JSON.stringify(k)).join(' ')})) "the chart (${p.join('.')})" -}}`);
  return rule(schema, (v) => extraMountProblem(v, chartMounts) === undefined, {
    message: (v) => extraMountProblem(v, chartMounts)!,
    path: ['extraVolumeMounts'],
    counterexample: { extraVolumeMounts: [{ name: 'not-a-volume', mountPath: '/mnt' }] } as never,
    jsonSchema: new TemplateRule(
      name,
      ({ refuse }) => `
{{- $volumes := dict -}}
{{- range $.value.extraVolumes -}}
{{- $_ := set $volumes .name true -}}
{{- end -}}
{{- $paths := dict -}}
${seeds.join('\n')}
{{- range $i, $m := $.value.extraVolumeMounts -}}
{{- if not (hasKey $volumes $m.name) -}}
${refuse('(printf "item %d: %s is not the name of one of extraVolumes" $i $m.name)', '"extraVolumeMounts"')}
{{- end -}}
{{- if hasKey $paths $m.mountPath -}}
${refuse('(printf "item %d: %s is mounted by %s already" $i $m.mountPath (get $paths $m.mountPath))', '"extraVolumeMounts"')}
{{- end -}}
{{- $_ := set $paths $m.mountPath (printf "item %d" $i) -}}
{{- end -}}`,
    ),
  });
}

export type ExtraPodValues = ValueTree<z.output<z.ZodObject<ReturnType<typeof extraPodFields>>>>;

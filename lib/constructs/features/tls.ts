/**
 * TLS endpoints of the OPSWAT products: a certificate Secret and a key Secret, projected into one
 * directory with a mode the application accepts (never world-readable); each endpoint's certificate
 * path and protocols in the env ConfigMap. md-core serves REST only, with settings of its own; md-icapsrv
 * REST, ICAPS and its built-in nginx (`coreTls`, `icapTls`).
 */
import { z } from 'zod';
import { CONFIG_KEY, dnsName, optionalSecretName } from '../../core/schema';
import { Render, ValueOrConstant, ValueTree } from '../../core/template';
import { SETTINGS_KEYS } from '../settings-secret';
import { defineFeature, FeatureContext, NamedCase, PodPart, ProductNames, RestEndpoint } from '../feature';
import { EnvVar } from '../pod';
import { fixed, notNeeded, Rule, secretValue, to, toBool, toStr, toUnlessEmpty } from '../../convert/engine';

const tlsProtocols = z.array(z.enum(['TLSv1.3', 'TLSv1.2', 'TLSv1.1', 'TLSv1', 'SSLv3'])).min(1);

/** Values of one TLS endpoint; files are "<prefix>-<endpoint>.crt/.key" as the product expects. */
export const tlsEndpointValues = (prefix: string, endpoint: string, what: string) => {
  const d = {
    enabled: false,
    certSecret: `${prefix}-${endpoint}-tls-cert`,
    certSecretKey: `${prefix}-${endpoint}.crt`,
    keySecret: `${prefix}-${endpoint}-tls-cert-key`,
    keySecretKey: `${prefix}-${endpoint}.key`,
  };
  return z
    .object({
      enabled: z.boolean().default(false).describe(`Serve ${what} over TLS; the two Secrets must exist.`),
      certSecret: dnsName().default(d.certSecret).describe('Secret holding the certificate (PEM).'),
      certSecretKey: z.string().min(1).max(253).regex(new RegExp(CONFIG_KEY)).default(d.certSecretKey).describe('Key of the certificate in certSecret.'),
      keySecret: dnsName().default(d.keySecret).describe('Secret holding the private key (PEM).'),
      keySecretKey: z.string().min(1).max(253).regex(new RegExp(CONFIG_KEY)).default(d.keySecretKey).describe('Key of the private key in keySecret.'),
      protocols: tlsProtocols.default(['TLSv1.3']).describe('Allowed TLS protocol versions.'),
    })
    .strict()
    .prefault({});
};

export const tlsFileMode = () =>
  z.number().int().min(0).max(0o777).default(0o440).describe("Mode of the mounted TLS files (0440: readable by the pod's group, never world-readable).");

export type TlsEndpoint = ValueTree<z.output<ReturnType<typeof tlsEndpointValues>>>;

/** A projected volume with the endpoint's certificate and key as "<prefix>-<endpoint>.crt/.key". */
export function tlsVolume(prefix: string, endpoint: string, tls: TlsEndpoint, mode: ValueOrConstant<number>) {
  return {
    name: `${endpoint}-tls`,
    projected: {
      defaultMode: mode,
      sources: [
        { secret: { name: tls.certSecret, items: [{ key: tls.certSecretKey, path: `${prefix}-${endpoint}.crt` }] } },
        { secret: { name: tls.keySecret, items: [{ key: tls.keySecretKey, path: `${prefix}-${endpoint}.key` }] } },
      ],
    },
  };
}

/** The REST endpoint's scheme, as probes and URLs spell it: the one place `tls.https.enabled` picks it. */
export function restScheme(render: Render, https: TlsEndpoint): RestEndpoint['scheme'] {
  return { probe: render.ifElse(https.enabled, 'HTTPS', 'HTTP'), url: render.ifElse(https.enabled, 'https', 'http') };
}

interface EndpointSpec {
  readonly what: string;
  /** Where the product reads the certificate and key (<ENDPOINT>_CERT_PATH). */
  readonly dir: string;
  /** Another condition the endpoint is served under (nginxs: nginx.enabled), from the chart's values. @default none */
  readonly alsoWhen?: (values: FeatureContext<unknown>['values']) => unknown;
}

/** The TLS values of a product, each endpoint's parts, and `extra` values, config and pod parts of its own. */
function tlsFeature<K extends string, E extends z.ZodRawShape>(
  p: ProductNames,
  endpoints: Record<K, EndpointSpec>,
  extra: { values: E; secretEnv?: Record<string, string>; vendorRules: Record<string, Rule>; config?: (ctx: FeatureContext<ValueTree<z.output<z.ZodObject<E>>>>) => Record<string, ValueOrConstant<string>>; env?: (ctx: FeatureContext<ValueTree<z.output<z.ZodObject<E>>>>) => EnvVar[]; cases: NamedCase[] },
) {
  const names = Object.keys(endpoints) as K[];
  const shape = {
    ...Object.fromEntries(names.map((e) => [e, tlsEndpointValues(p.prefix, e, endpoints[e].what)])),
    fileMode: tlsFileMode(),
    ...extra.values,
  } as { [k in K]: ReturnType<typeof tlsEndpointValues> } & { fileMode: ReturnType<typeof tlsFileMode> } & E;
  const values = { tls: z.object(shape).strict().prefault({} as never) };
  type Tls = Record<K, TlsEndpoint> & { fileMode: ValueOrConstant<number> } & ValueTree<z.output<z.ZodObject<E>>>;
  const on = (ctx: FeatureContext<unknown>, tls: Tls, e: K) => {
    const also = endpoints[e].alsoWhen;
    return also === undefined ? tls[e].enabled : ctx.render.and(also(ctx.values), tls[e].enabled);
  };
  return defineFeature({
    name: 'TLS',
    values,
    secretEnv: extra.secretEnv,
    vendorRules: extra.vendorRules,
    config: (ctx) => {
      const tls = ctx.own.tls as unknown as Tls;
      return {
        ...Object.fromEntries(names.map((e) => [`${e.toUpperCase()}_CERT_PATH`, endpoints[e].dir])),
        ...Object.fromEntries(names.map((e) => [`${e.toUpperCase()}_SSL_PROTOCOLS`, ctx.render.json(tls[e].protocols)])),
        ...extra.config?.({ ...ctx, own: tls }),
      };
    },
    pod: (ctx): PodPart => {
      const tls = ctx.own.tls as unknown as Tls;
      return {
        env: extra.env?.({ ...ctx, own: tls }),
        volumeMounts: names.flatMap((e) => ctx.render.itemsIf(on(ctx, tls, e), [{ name: `${e}-tls`, mountPath: endpoints[e].dir, readOnly: true }])),
        volumes: names.flatMap((e) => ctx.render.itemsIf(on(ctx, tls, e), [tlsVolume(p.prefix, e, tls[e], tls.fileMode)])),
      };
    },
    cases: extra.cases,
  });
}

const REST = { what: 'the REST API (probes switch to HTTPS)', dir: '/https_cert' };

/** md-core: REST over TLS, the SSL settings it reads (MDCORE_*) and the key passphrase from the settings Secret. */
export const coreTls = (p: ProductNames) => {
  const passphraseEnv = 'MDCORE_CERT_PASSPHRASE';
  return tlsFeature(
    p,
    { https: REST },
    {
      values: {
        sslProtocols: z.string().max(256).regex(/^[-A-Za-z0-9._ ,:+!]*$/).default('').describe('MDCORE_SSL_PROTOCOLS as MetaDefender Core reads it; empty for its default.'),
        sslAdvancedConfigs: z.string().max(4096).default('').describe('MDCORE_SSL_ADVANCED_CONFIGS as MetaDefender Core reads it; empty for none.'),
        certPassphrase: z
          .object({
            value: z.string().max(1024).default('').describe(`Passphrase of the REST private key (${passphraseEnv}), stored in the Secret ${p.prefix}-settings (key "${SETTINGS_KEYS.certPassphrase}") when given.`),
            existingSecret: optionalSecretName().default('').describe(`Secret with key "${SETTINGS_KEYS.certPassphrase}" holding the passphrase, instead of value.`),
          })
          .strict()
          .prefault({}),
      },
      secretEnv: { certPassphrase: passphraseEnv },
      vendorRules: {
        ...vendorEndpointRules(`${p.vendorKey}.tls`, 'https'),
        MDCORE_CERT_PATH: notNeeded(`ours mounts the REST certificate at ${REST.dir} and sets MDCORE_CERT_PATH to it`),
        [`env.${passphraseEnv}`]: secretValue({ secret: `${p.prefix}-cert-passphrase`, key: SETTINGS_KEYS.certPassphrase, existingSecret: 'tls.certPassphrase.existingSecret', what: 'certificate passphrase', vendorSecretExists: false }),
        'env.MDCORE_SSL_PROTOCOLS': toUnlessEmpty('tls.sslProtocols'),
        'env.MDCORE_SSL_ADVANCED_CONFIGS': toUnlessEmpty('tls.sslAdvancedConfigs'),
      },
      config: ({ own }) => ({ MDCORE_CERT_PATH: REST.dir, MDCORE_SSL_PROTOCOLS: own.sslProtocols, MDCORE_SSL_ADVANCED_CONFIGS: own.sslAdvancedConfigs }),
      env: ({ render, settings, own: { certPassphrase: pass } }) =>
        render.itemsIf(render.or(pass.value, pass.existingSecret), [
          { name: passphraseEnv, valueFrom: settings.ref(SETTINGS_KEYS.certPassphrase, { value: pass.value, enabled: true, existingSecret: pass.existingSecret }) },
        ]),
      cases: [
        { name: 'REST over TLS', values: { tls: { https: { enabled: true } } } },
        { name: 'TLS settings with a given certificate passphrase', values: { tls: { https: { enabled: true }, sslProtocols: 'TLSv1.2 TLSv1.3', sslAdvancedConfigs: 'ssl_prefer_server_ciphers on;', certPassphrase: { value: 'pass' } } } },
        { name: 'certificate passphrase from an existing Secret', values: { tls: { certPassphrase: { existingSecret: 'core-key-pass' } } } },
      ],
    },
  );
};

/** md-icapsrv: REST, ICAPS and the built-in nginx (only while nginx.enabled) over TLS. */
export const icapTls = (p: ProductNames) =>
  tlsFeature(
    p,
    {
      https: REST,
      icaps: { what: 'ICAPS on ports.icaps', dir: '/icaps_cert' },
      nginxs: { what: 'the built-in nginx', dir: '/nginxs_cert', alsoWhen: (v) => v.nginx.enabled },
    },
    {
      values: {},
      vendorRules: Object.assign({}, ...(['https', 'icaps', 'nginxs'] as const).map((ep) => vendorEndpointRules(`${p.vendorKey}.tls.${ep}`, ep, { mountPath: true, versions: true }))),
      cases: [
        { name: 'REST over TLS (probes switch to HTTPS)', values: { tls: { https: { enabled: true, protocols: ['TLSv1.3', 'TLSv1.2'] } } } },
        { name: 'ICAPS endpoint', values: { tls: { icaps: { enabled: true }, fileMode: 0o400 } } },
        { name: 'nginx with TLS', values: { nginx: { enabled: true }, tls: { nginxs: { enabled: true } } } },
      ],
    },
  );

/**
 * The vendor's keys of one TLS endpoint under `at`; md-icapsrv's also name the mount path (ours is fixed
 * and told to the server) and the TLS versions.
 */
function vendorEndpointRules(at: string, ep: string, more: { mountPath?: boolean; versions?: boolean } = {}): Record<string, Rule> {
  return {
    [`${at}.enabled`]: toBool(`tls.${ep}.enabled`),
    [`${at}.certSecret`]: toStr(`tls.${ep}.certSecret`),
    [`${at}.certSecretSubPath`]: toStr(`tls.${ep}.certSecretKey`),
    [`${at}.certKeySecret`]: toStr(`tls.${ep}.keySecret`),
    [`${at}.certKeySecretSubPath`]: toStr(`tls.${ep}.keySecretKey`),
    ...(more.mountPath
      ? { [`${at}.mountPath`]: fixed(`/${ep}_cert`, `ours mounts it at /${ep}_cert and tells the server`, `ours mounts the ${ep} certificate at /${ep}_cert; the server is told the path, so a different mountPath is not needed`) }
      : {}),
    ...(more.versions ? { [`${at}.tlsVersions`]: to(`tls.${ep}.protocols`) } : {}),
  };
}

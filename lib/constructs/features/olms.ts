/**
 * OLMS (OPSWAT Licence Management Server): the product takes its licence from an on-premises server
 * instead of the activation server; token and proxy password from the settings Secret (or the user's).
 */
import { z } from 'zod';
import { optionalSecretName, rule } from '../../core/schema';
import { Render, ValueOrConstant, ValueTree } from '../../core/template';
import { EnvVar } from '../pod';
import { secretText, SETTINGS_KEYS, SettingsSecret } from '../settings-secret';
import { Construct } from 'constructs';
import { defineFeature, NamedCase, ProductNames } from '../feature';
import { givenOrExisting, HOST_OR_URL, ifEnabled, optionalHost, optionalPort } from './common';
import { bool, int, Rule, secretValue, str, toBool, toUnlessEmpty, whenOn } from '../../convert/engine';

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
      { name: OLMS_SECRET_ENV.olmsToken, valueFrom: token },
      { name: 'OLMS_USE_PROXY', value: render.str(olms.proxy.enabled) },
    ]),
    ...render.itemsIf(proxyOn, [
      { name: 'OLMS_PROXY_SERVER', value: olms.proxy.server },
      { name: 'OLMS_PROXY_PORT', value: render.str(olms.proxy.port) },
      { name: 'OLMS_PROXY_TYPE', value: olms.proxy.type },
    ]),
    ...render.itemsIf(render.and(proxyOn, olms.proxy.username), [
      { name: 'OLMS_PROXY_USERNAME', value: olms.proxy.username },
      { name: OLMS_SECRET_ENV.olmsProxyPassword, valueFrom: proxyPassword },
    ]),
  ];
}

/** The env OLMS takes from the settings Secret (or the user's). */
export const OLMS_SECRET_ENV = { olmsToken: 'OLMS_TOKEN', olmsProxyPassword: 'OLMS_PROXY_PASSWORD' } as const;

/** md-core's extra OLMS value. */
export const OLMS_CONNECTION_TYPE = {
  connectionType: z.string().max(32).regex(/^[A-Za-z0-9_-]*$/).default('').describe('OLMS_CONNECTION_TYPE as MetaDefender Core reads it; empty for its default.'),
};

const cases = (connectionType: boolean): NamedCase[] => [
  {
    name: 'OLMS with a given token, through an authenticating proxy',
    values: { olms: { enabled: true, hostUrl: 'https://olms.example.com', restPort: 8000, socketPort: 3000, rule: 'Scanners', comment: 'icap eu', token: 'tok: "x"', proxy: { enabled: true, server: 'proxy.internal', port: 3128, type: 'http', username: 'svc', password: 'p@ss' } } },
  },
  { name: 'OLMS from an existing Secret, no proxy', values: { olms: { enabled: true, hostUrl: 'olms', restPort: 8000, socketPort: 3000, existingSecret: 'olms-token' } } },
  { name: 'OLMS with a given token', values: { olms: { enabled: true, hostUrl: 'https://olms.example.com:8443', restPort: 8000, socketPort: 3000, token: 't0ken' } } },
  ...(connectionType
    ? [
        {
          name: 'OLMS with connection type and proxy from an existing Secret',
          values: { olms: { enabled: true, hostUrl: 'olms.example.com', restPort: 8000, socketPort: 3000, connectionType: 'socket', existingSecret: 'olms', proxy: { enabled: true, server: 'proxy', port: 8080, username: 'u' } } },
        },
      ]
    : []),
];

/** How the vendor chart spells OLMS: `key(name)` is the vendor key of a setting, `on` the switch (`switchKey` its own key, when it has one). */
export interface OlmsVendorKeys {
  readonly on: string;
  readonly switchKey?: string;
  readonly key: (name: string) => string;
  /** md-core has no switch of its own: OLMS is on when its host is set. */
  readonly hostSwitches: boolean;
}

/** The vendor's OLMS keys; the Secret `<prefix>-olms` takes the token and proxy password. */
function olmsRules(prefix: string, vendor: OlmsVendorKeys, connectionType: boolean): Record<string, Rule> {
  const { on, key } = vendor;
  const opts = { connectionType, hostSwitches: vendor.hostSwitches };
  const w = (rule: Rule) => whenOn(on, 'OLMS', rule);
  const secret = `${prefix}-olms`;
  const host: Rule = opts.hostSwitches
    ? (k) => {
        k.ctx.set('olms.enabled', true);
        k.ctx.set('olms.hostUrl', str(k));
        k.mapped(['olms.enabled', 'olms.hostUrl'], k.value);
      }
    : toUnlessEmpty('olms.hostUrl');
  return {
    ...(vendor.switchKey ? { [vendor.switchKey]: toBool('olms.enabled') } : {}),
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

/** OLMS licensing; `extra` is OLMS_CONNECTION_TYPE where the product reads it (md-core). */
export const olms = <E extends z.ZodRawShape>(p: ProductNames, extra: E, vendor: OlmsVendorKeys) =>
  defineFeature({
    name: 'OLMS',
    values: { olms: olmsValues(p.prefix, extra) },
    secretEnv: OLMS_SECRET_ENV,
    pod: ({ scope, settings, own }) => ({ env: olmsEnv(scope, settings, own.olms as OlmsValues) }),
    vendorRules: olmsRules(p.prefix, vendor, 'connectionType' in extra),
    cases: cases('connectionType' in extra),
  });

/**
 * The outbound proxy for engine and definition updates. Both products take host, port, user and a password
 * from the settings Secret (or the user's); each spells the env its own way: md-core PROXY_* variables,
 * md-icapsrv proxy URLs (`coreProxy`, `icapProxy`).
 */
import { Construct } from 'constructs';
import { z } from 'zod';
import { optionalSecretName, port, rule } from '../../core/schema';
import { Render, ValueTree } from '../../core/template';
import { EnvVar } from '../pod';
import { secretText, SETTINGS_KEYS, SettingsSecret } from '../settings-secret';
import { defineFeature, ProductNames } from '../feature';
import { HOST, ifEnabled, optionalHost, URL_USER } from './common';
import { makeKey, parseProxyUrl, Rule, secretValue, str, toBool, toInt, toStr, toUnlessEmpty, whenOn } from '../../convert/engine';

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

/** md-core: PROXY, PROXY_HOST, PROXY_PORT, PROXY_USER, PROXY_PWD (from the Secret) and PROXY_EXCLUSION. */
export const coreProxy = (p: ProductNames) => {
  const values = {
    proxy: proxyValues(p.prefix, 8080, '', {
      exclusions: z.string().max(4096).regex(/^[-A-Za-z0-9.*:/_,;]*$/).default('').describe('Addresses not to reach through the proxy (PROXY_EXCLUSION), as MetaDefender Core reads it.'),
    }).describe('Outbound proxy (PROXY, PROXY_HOST, PROXY_PORT, PROXY_USER, PROXY_PWD from the Secret, PROXY_EXCLUSION).'),
  };
  const secretEnv = { proxyPassword: 'PROXY_PWD' } as const;
  return defineFeature({
    name: 'outbound proxy',
    values,
    secretEnv,
    pod: ({ scope, render, settings, own: { proxy } }) => {
      const password = proxyPassword(scope, settings, proxy);
      return {
        env: [
          ...render.itemsIf(proxy.enabled, [
            { name: 'PROXY', value: 'true' },
            { name: 'PROXY_HOST', value: proxy.host },
            { name: 'PROXY_PORT', value: render.str(proxy.port) },
            { name: 'PROXY_USER', value: proxy.username },
            { name: 'PROXY_EXCLUSION', value: proxy.exclusions },
          ]),
          ...render.itemsIf(password.given, [{ name: secretEnv.proxyPassword, valueFrom: password.ref }]),
        ],
      };
    },
    vendorRules: (() => {
      const env = (name: string) => `env.${name}`;
      const proxyOn = (rule: Rule) => whenOn(env('PROXY'), 'the proxy', rule);
      return {
        [env('PROXY')]: toBool('proxy.enabled'),
        [env('PROXY_HOST')]: proxyOn(toUnlessEmpty('proxy.host')),
        [env('PROXY_PORT')]: proxyOn(toInt('proxy.port')),
        [env('PROXY_USER')]: proxyOn(toUnlessEmpty('proxy.username')),
        [env('PROXY_PWD')]: proxyOn(secretValue({ secret: `${p.prefix}-proxy`, key: SETTINGS_KEYS.proxyPassword, existingSecret: 'proxy.existingSecret', what: 'proxy password', vendorSecretExists: false })),
        [env('PROXY_EXCLUSION')]: proxyOn(toUnlessEmpty('proxy.exclusions')),
      };
    })(),
    cases: [
      { name: 'outbound proxy with a given password', values: { proxy: { enabled: true, host: 'proxy.internal', port: 3128, username: 'svc', password: 'p w', exclusions: 'localhost,10.0.0.0/8' } } },
      { name: 'outbound proxy from an existing Secret', values: { proxy: { enabled: true, host: 'proxy.internal', existingSecret: 'proxy' } } },
    ],
  });
};

/**
 * md-icapsrv: http_proxy, https_proxy and NO_PROXY. A user and password go into the URL through
 * Kubernetes' $(VAR) expansion of PROXY_PASSWORD, read from the Secret, so no manifest holds the password.
 */
export const icapProxy = (p: ProductNames) => {
  const values = {
    proxy: proxyValues(p.prefix, 3128, 'Percent-encode reserved characters: it is put into the proxy URL.', {
      noProxy: z.string().max(4096).regex(/^[-A-Za-z0-9.*:/_,]*$/).default('localhost').describe('Hosts not to reach through the proxy, comma-separated (NO_PROXY).'),
      https: z
        .object({
          host: z.union([z.literal(''), z.string().max(253).regex(HOST)]).default('').describe('Proxy for HTTPS URLs (https_proxy); empty for the same proxy as HTTP.'),
          port: z.union([z.literal(0), port()]).default(0).describe('Its port; 0 for proxy.port.'),
        })
        .strict()
        .prefault({}),
    }).describe('Outbound proxy (http_proxy, https_proxy and NO_PROXY, with the user and password composed into the URL from the Secret).'),
  };
  const secretEnv = { proxyPassword: 'PROXY_PASSWORD' } as const;
  return defineFeature({
    name: 'outbound proxy',
    values,
    secretEnv,
    pod: ({ scope, render, settings, own: { proxy } }) => {
      const password = proxyPassword(scope, settings, proxy);
      // Written once (a named template in a Helm chart): both URLs carry it.
      const userinfo = render.sharedText(`${settings.templatePrefix}.proxyUserinfo`, {}, () =>
        render.ifElse(proxy.username, render.ifElse(password.given, `${proxy.username}:$(${secretEnv.proxyPassword})@`, `${proxy.username}@`), ''),
      );
      const httpsHost = render.coalesce(proxy.https.host, proxy.host);
      const httpsPort = render.ifElse(proxy.https.port, proxy.https.port, proxy.port);
      const env: EnvVar[] = [
        ...render.itemsIf(password.given, [{ name: secretEnv.proxyPassword, valueFrom: password.ref }]),
        ...render.itemsIf(proxy.enabled, [
          { name: 'http_proxy', value: `http://${userinfo}${proxy.host}:${render.str(proxy.port)}` },
          { name: 'https_proxy', value: `http://${userinfo}${httpsHost}:${render.str(httpsPort)}` },
          { name: 'NO_PROXY', value: proxy.noProxy },
        ]),
      ];
      return { env };
    },
    vendorRules: icapProxyRules(p.prefix),
    cases: [
      { name: 'outbound proxy with a given password and its own HTTPS proxy', values: { proxy: { enabled: true, host: 'proxy.internal', port: 3128, username: 'svc', password: 'pa%40ss', noProxy: 'localhost,.svc,10.0.0.0/8', https: { host: 'tls-proxy.internal', port: 3129 } } } },
      { name: 'outbound proxy with an existing Secret', values: { proxy: { enabled: true, host: 'proxy.internal', username: 'svc', existingSecret: 'proxy-cred' } } },
      { name: 'outbound proxy without authentication', values: { proxy: { enabled: true, host: '10.1.2.3' } } },
    ],
  });
};

/** The vendor icap chart's proxy URLs into host, port, user and (a Secret) password. */
function icapProxyRules(prefix: string): Record<string, Rule> {
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
        secretValue({ secret: `${prefix}-proxy`, key: SETTINGS_KEYS.proxyPassword, existingSecret: 'proxy.existingSecret', what: 'proxy password (from the URL)', vendorSecretExists: false })(
          makeKey(k.path, p.password, k.ctx, true),
        );
      }
      k.mapped(['proxy.host', 'proxy.port', ...(p.username ? ['proxy.username'] : [])], k.value, p.password ? 'the password goes into a Secret (see the action for this key)' : '');
    });
  return {
    'proxy.enabled': toBool('proxy.enabled'),
    'proxy.http_proxy': proxyUrl('http'),
    'proxy.https_proxy': proxyUrl('https'),
    'proxy.no_proxy': proxyOn(toStr('proxy.noProxy')),
  };
}

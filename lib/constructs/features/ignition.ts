/**
 * The ignition JSON the product reads at its first start (IGNITION_JSON): entries given as values go into
 * the settings Secret (they may hold database users and passwords), or the user names a Secret holding it.
 */
import { z } from 'zod';
import { optionalSecretName } from '../../core/schema';
import { SETTINGS_KEYS } from '../settings-secret';
import { defineFeature, ProductNames } from '../feature';
import { CONF_KEY, KEY } from './common';
import { bool, Rule } from '../../convert/engine';

export const IGNITION_SECRET_ENV = { ignition: 'IGNITION_JSON' } as const;

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

/** md-core's vendor switch: IGNITION_JSON true reads it from the vendor chart's Secret mdcore-stack-configs. */
export const VENDOR_IGNITION_SWITCH: Record<string, Rule> = {
  IGNITION_JSON: (k) => {
    if (!bool(k)) return k.notNeeded('false: no ignition JSON');
    k.ctx.set('ignition.existingSecret', 'mdcore-stack-configs');
    k.mapped('ignition.existingSecret', 'mdcore-stack-configs', 'reads IGNITION_JSON from the vendor chart\'s Secret mdcore-stack-configs: keep it (it is not ours to create)');
  },
};

/** The ignition JSON; `vendorRules` are the product's vendor keys of it. */
export const ignition = (p: ProductNames, vendorRules: Record<string, Rule> = {}) =>
  defineFeature({
    name: 'ignition',
    values: { ignition: ignitionValues(p.prefix) },
    secretEnv: IGNITION_SECRET_ENV,
    pod: ({ render, settings, own: { ignition: i } }) => {
      const ref = settings.ref(SETTINGS_KEYS.ignition, { value: render.json(i.values), enabled: i.values, existingSecret: i.existingSecret, existingKey: i.existingSecretKey });
      return { env: render.itemsIf(render.or(i.values, i.existingSecret), [{ name: IGNITION_SECRET_ENV.ignition, valueFrom: ref }]) };
    },
    vendorRules,
    cases: [
      { name: 'ignition entries', values: { ignition: { values: { 'db/private_user': 'usr_icap', 'db/private_password': 'secret' } } } },
      { name: 'ignition from an existing Secret', values: { ignition: { existingSecret: 'mdcore-stack-configs', existingSecretKey: 'ignition.json' } } },
    ],
  });

/** Settings the image writes into the product's config file at every start (ICAP_CONF_JSON / CORE_CONF_JSON). */
import { z } from 'zod';
import { defineFeature } from '../feature';
import { CONF_KEY } from './common';
import { parseJsonObject } from '../../convert/engine';

/** `envVar` is the product's (CORE_CONF_JSON); `example` a key of its own for the description. */
export const configFile = (envVar: string, example: string) =>
  defineFeature({
    name: 'config file settings',
    values: {
      config: z
        .record(z.string().max(128).regex(CONF_KEY), z.string().max(1024))
        .default({})
        .describe(`Settings written into the product's config file at every start (${envVar}, as JSON): keys "<section>/<setting>", e.g. ${example}.`),
    },
    config: ({ render, own }) => ({ [envVar]: render.json(own.config) }),
    vendorRules: { [`env.${envVar}`]: (k) => k.mapped('config', parseJsonObject(k)) },
    cases: [{ name: 'config file settings', values: { config: { 'internal/sso_cross_instance_enabled': 'true', 'global/restaddress': '0.0.0.0' } } }],
  });

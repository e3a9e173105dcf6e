/** md-core's health thresholds: below them it reports itself unhealthy on /readyz (MDCORE_HEALTH_CHECK, ...). */
import { z } from 'zod';
import { defineFeature } from '../feature';
import { parseJson, str, toBool, toInt, toUnlessEmpty } from '../../convert/engine';

export const healthCheck = () =>
  defineFeature({
    name: 'health check',
    values: {
      healthCheck: z
        .object({
          enabled: z.boolean().default(true).describe('Let MetaDefender Core report itself unhealthy (/readyz) when the thresholds below are not met (MDCORE_HEALTH_CHECK).'),
          queueThreshold: z.number().int().min(0).max(1000000).default(0).describe('Most files in the scan queue (MDCORE_QUEUE_THRESHOLD); 0 for no limit.'),
          minimumAvEngines: z.number().int().min(0).max(100).default(0).describe('Fewest anti-malware engines that must be available (MDCORE_MINIMUM_NUMBER_AV).'),
          requiredEngines: z
            .string()
            .max(1024)
            .regex(/^([A-Za-z0-9_.-]+(,[A-Za-z0-9_.-]+)*)?$/)
            .default('')
            .describe('Engines that must be available, comma-separated, e.g. "clamav,eset" (MDCORE_REQUIRED_ENGINES); empty for all engines.'),
          requiredEnginesThreshold: z
            .array(
              z
                .object({
                  id: z.string().min(1).max(64).regex(/^[A-Za-z0-9_.-]+$/).describe('Engine id.'),
                  enable: z.boolean().describe('Whether the threshold applies.'),
                  threshold: z.number().int().min(0).max(100).describe('Threshold (percent).'),
                })
                .strict(),
            )
            .default([])
            .describe('Per-engine thresholds (MDCORE_REQUIRED_ENGINES_THRESHOLD, as JSON).'),
          diskSpaceThreshold: z.number().int().min(0).max(1000000).default(0).describe('Free disk space threshold (MDCORE_DISK_SPACE_THRESHOLD), as MetaDefender Core reads it; 0 for none.'),
        })
        .strict()
        .prefault({}),
    },
    config: ({ render, own: { healthCheck: h } }) => ({
      MDCORE_HEALTH_CHECK: render.str(h.enabled),
      MDCORE_QUEUE_THRESHOLD: render.str(h.queueThreshold),
      MDCORE_MINIMUM_NUMBER_AV: render.str(h.minimumAvEngines),
      MDCORE_REQUIRED_ENGINES: h.requiredEngines,
      MDCORE_REQUIRED_ENGINES_THRESHOLD: render.ifElse(h.requiredEnginesThreshold, render.json(h.requiredEnginesThreshold), ''),
      MDCORE_DISK_SPACE_THRESHOLD: render.str(h.diskSpaceThreshold),
    }),
    vendorRules: {
      'env.MDCORE_HEALTH_CHECK': toBool('healthCheck.enabled'),
      'env.MDCORE_QUEUE_THRESHOLD': toInt('healthCheck.queueThreshold'),
      'env.MDCORE_MINIMUM_NUMBER_AV': toInt('healthCheck.minimumAvEngines'),
      'env.MDCORE_REQUIRED_ENGINES': toUnlessEmpty('healthCheck.requiredEngines', (k) => str(k).replace(/\s*,\s*/g, ',')),
      'env.MDCORE_REQUIRED_ENGINES_THRESHOLD': toUnlessEmpty('healthCheck.requiredEnginesThreshold', (k) => parseJson(k)),
      'env.MDCORE_DISK_SPACE_THRESHOLD': toInt('healthCheck.diskSpaceThreshold'),
    },
    cases: [
      {
        name: 'health check thresholds',
        values: { healthCheck: { enabled: true, queueThreshold: 500, minimumAvEngines: 2, requiredEngines: 'clamav,eset', requiredEnginesThreshold: [{ id: 'clamav', enable: true, threshold: 7 }, { id: 'avira', enable: false, threshold: 5 }], diskSpaceThreshold: 10 } },
      },
      { name: 'health check off', values: { healthCheck: { enabled: false } } },
    ],
  });

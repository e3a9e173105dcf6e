/** How long md-icapsrv keeps its configuration (audit) and processing history (AUDIT/HISTORY_DATA_RETENTION). */
import { z } from 'zod';
import { defineFeature, ProductNames } from '../feature';
import { toInt } from '../../convert/engine';

export const dataRetention = (p: ProductNames) =>
  defineFeature({
    name: 'data retention',
    values: {
      dataRetention: z
        .object({
          auditHours: z.number().int().min(1).max(87600).default(168).describe('Hours the configuration (audit) history is kept (AUDIT_DATA_RETENTION).'),
          historyHours: z.number().int().min(1).max(87600).default(168).describe('Hours the processing history is kept (HISTORY_DATA_RETENTION).'),
        })
        .strict()
        .prefault({}),
    },
    config: ({ render, own: { dataRetention: r } }) => ({ AUDIT_DATA_RETENTION: render.str(r.auditHours), HISTORY_DATA_RETENTION: render.str(r.historyHours) }),
    vendorRules: {
      [`${p.vendorKey}.data_retention.config_history`]: toInt('dataRetention.auditHours'),
      [`${p.vendorKey}.data_retention.processing_history`]: toInt('dataRetention.historyHours'),
    },
    cases: [{ name: 'data retention', values: { dataRetention: { auditHours: 24, historyHours: 720 } } }],
  });

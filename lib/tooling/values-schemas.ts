/** The systems' values schemas by export name, for the types generator (scripts/types.ts) and its freshness test. */
import type { z } from 'zod';
import { mdCoreValues } from '../systems/md-core/values';
import { mdIcapsrvValues } from '../systems/md-icapsrv/values';
import { multisiteInitValues } from '../systems/multisite-init/values';
import { svServerValues } from '../systems/sv-server/values';

export const systemValuesSchemas: Record<'mdIcapsrvValues' | 'mdCoreValues' | 'svServerValues' | 'multisiteInitValues', z.ZodType> = {
  mdIcapsrvValues,
  mdCoreValues,
  svServerValues,
  multisiteInitValues,
};

/**
 * Values of OPSWAT's own `icap` and `mdcore` charts converted to this project's md-icapsrv and md-core
 * values, with a report of every vendor key that is set: mapped (to which of our keys), not needed (why),
 * or needing action (what to do). Credentials (plain-text passwords, keys, tokens, secret-looking env
 * literals) go into `Conversion.secrets`, the Secrets our values name as existingSecret: never into our
 * values or the report, which shows them masked.
 *
 * Every key the vendor charts define has a rule; a key without one is refused with its path
 * (UnknownVendorKeysError), so nothing a user set is silently dropped. The layers: the rule engine
 * (engine.ts), the rules shared by both products (common-rules.ts), each product's own (vendor-icap.ts,
 * vendor-mdcore.ts) and each feature's beside the feature (lib/constructs/features/); on top, this
 * conversion, the report (report.ts) and the in-place migration steps (migration.ts).
 */
import { ZodType } from 'zod';
import { parseValues } from '../core/schema';
import { mdCoreValues } from '../systems/md-core/values';
import { mdIcapsrvValues } from '../systems/md-icapsrv/values';
import { applyRules, Conversion, ConvertOptions, extraEnvSecret, isMap, isNamespace, Map, sealEnvLiterals, VendorChart, VendorValueError } from './engine';
import { coreRules } from './vendor-mdcore';
import { icapRules } from './vendor-icap';

export {
  VENDOR_CHARTS,
  isNamespace,
  shellWords,
  UnknownVendorKeysError,
  VendorValueError,
  type VendorChart,
  type KeyStatus,
  type KeyReport,
  type SecretEntry,
  type ConvertedSecret,
  type ConvertOptions,
  type Conversion,
} from './engine';
export { inPlaceSteps, stepText, type Step } from './migration';
export { reportMarkdown, secretCommands, secretsManifest } from './report';

export function convertVendorValues(chart: VendorChart, vendor: unknown, options: ConvertOptions = {}): Conversion {
  if (!isMap(vendor)) throw new VendorValueError('(root)', 'expected a map of values');
  if (options.namespace !== undefined && !isNamespace(options.namespace)) throw new VendorValueError('namespace', `${JSON.stringify(options.namespace)} is not a Kubernetes namespace (lower-case letters, digits and '-', at most 63)`);
  const opts = { namespace: options.namespace ?? '<namespace>', inPlace: options.inPlace ?? false, secretsFile: options.secretsFile };
  const ctx = applyRules(chart === 'vendor-icap' ? icapRules() : coreRules(), vendor, opts);
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

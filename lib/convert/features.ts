/** The vendor-key rules of a product's features, gathered into one table. */
import type { AnyFeature } from '../constructs/feature';
import type { Rule } from './engine';

export function featureRules(features: Record<string, AnyFeature>): Record<string, Rule> {
  return Object.assign({}, ...Object.values(features).map((f) => f.vendorRules ?? {}));
}

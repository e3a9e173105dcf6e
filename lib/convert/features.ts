/** The vendor-key rules of a product's features, joined with the product's own. */
import type { AnyFeature } from '../constructs/feature';
import type { Rule } from './engine';

/** `own` and every feature's rules; a vendor key ruled twice is a mistake in the code, refused at once. */
export function withFeatureRules(own: Record<string, Rule>, features: Record<string, AnyFeature>): Record<string, Rule> {
  const all = { ...own };
  for (const [name, feature] of Object.entries(features)) {
    for (const [key, rule] of Object.entries(feature.vendorRules ?? {})) {
      if (key in all) throw new Error(`vendor key ${key} has two rules (one of them feature ${name})`);
      all[key] = rule;
    }
  }
  return all;
}

/**
 * The product-feature seam (lib/constructs/feature.ts): what a product lists is what its chart has. Each
 * feature's values stand in the product's values, its cases reach the equivalence proof, the env it reads
 * from Secrets is reserved in extraEnv, and its vendor-key rules never overlap another rule.
 */
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { AnyFeature, defineFeature } from '../lib/constructs/feature';
import { withFeatureRules } from '../lib/convert/features';
import { toBool } from '../lib/convert/engine';
import { coreRules } from '../lib/convert/vendor-mdcore';
import { icapRules } from '../lib/convert/vendor-icap';
import { mdCoreSpec, mdCoreValues } from '../lib/systems/md-core';
import { mdIcapsrvSpec, mdIcapsrvValues } from '../lib/systems/md-icapsrv';
import { handCases } from './cases';

const products = [
  { chart: 'md-core', spec: mdCoreSpec, schema: mdCoreValues, rules: coreRules },
  { chart: 'md-icapsrv', spec: mdIcapsrvSpec, schema: mdIcapsrvValues, rules: icapRules },
] as const;

describe.each(products)('$chart', ({ chart, spec, schema, rules }) => {
  const list: AnyFeature[] = [...spec.features];
  const defaults = schema.parse({}) as unknown as Record<string, unknown>;

  it("has every feature's values at the root of its values, defaulted as the feature says", () => {
    for (const feature of list) {
      for (const [key, field] of Object.entries(feature.values as z.ZodRawShape)) {
        expect(defaults, `${feature.name}: ${key}`).toHaveProperty([key]);
        expect(defaults[key], `${feature.name}: ${key}`).toEqual((field as z.ZodType).parse(undefined));
      }
    }
  });

  it("proves every feature's cases: each is a hand case of the chart, and valid values", () => {
    const names = handCases[chart]!.map((c) => c.name);
    for (const feature of list) {
      expect(feature.cases?.length ?? 0, feature.name).toBeGreaterThan(0);
      for (const c of feature.cases ?? []) {
        expect(names).toContain(c.name);
        expect(() => schema.parse(c.values), `${feature.name}: ${c.name}`).not.toThrow();
      }
    }
  });

  it('reserves the env each feature reads from a Secret: extraEnv may not set it', () => {
    const reserved = list.flatMap((f) => Object.values(f.secretEnv ?? {}));
    expect(reserved.length).toBeGreaterThan(0);
    for (const name of reserved) expect(() => schema.parse({ extraEnv: [{ name, value: 'x' }] }), name).toThrow(/set by the chart from a Secret/);
  });

  it("rules each feature's vendor keys, and refuses a key ruled twice", () => {
    const table = rules();
    for (const feature of list) for (const key of Object.keys(feature.vendorRules ?? {})) expect(table, `${feature.name}: ${key}`).toHaveProperty([key]);
    const [key] = Object.keys(table);
    const twice = defineFeature({ name: 'twice', values: {}, vendorRules: { [key!]: toBool('x') } });
    expect(() => withFeatureRules(table, { twice })).toThrow(`vendor key ${key} has two rules (one of them feature twice)`);
  });
});

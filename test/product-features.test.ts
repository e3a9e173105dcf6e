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
import { mdCoreChart, mdCoreSpec, mdCoreValues } from '../lib/systems/md-core';
import { mdIcapsrvChart, mdIcapsrvSpec, mdIcapsrvValues } from '../lib/systems/md-icapsrv';
import { handCases } from './cases';
import { renderSystem } from './support/render';

const products = [
  { chart: 'md-core', spec: mdCoreSpec, schema: mdCoreValues, rules: coreRules, definition: mdCoreChart },
  { chart: 'md-icapsrv', spec: mdIcapsrvSpec, schema: mdIcapsrvValues, rules: icapRules, definition: mdIcapsrvChart },
] as const;

/** The message of the schema's refusal of `values`, or undefined when it takes them. */
const refusal = (schema: z.ZodType, values: unknown) => {
  const r = schema.safeParse(values);
  return r.success ? undefined : r.error.issues.map((i) => i.message).join('; ');
};

describe.each(products)('$chart', ({ chart, spec, schema, rules, definition }) => {
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

  it("reserves the pod names each feature declares: extraVolumes and extraInitContainers may not take them", () => {
    const volumes = list.flatMap((f) => f.reserves?.volumes ?? []);
    expect(volumes.length).toBeGreaterThan(0);
    for (const name of volumes) expect(refusal(schema, { extraVolumes: [{ name, emptyDir: {} }] }), name).toMatch(/the product pod has a volume of this name/);
    for (const name of [spec.names.name, 'wait-for-database']) {
      expect(refusal(schema, { extraInitContainers: [{ name, image: 'busybox:1.36.1' }] }), name).toMatch(/the product pod has a container of this name/);
    }
    expect(refusal(schema, { extraVolumes: [{ name: 'scratch', emptyDir: {} }], extraInitContainers: [{ name: 'prepare', image: 'busybox:1.36.1', securityContext: { allowPrivilegeEscalation: false, capabilities: { drop: ['ALL'] } } }] })).toBeUndefined();
  });

  // What makes the declarations complete: a name the pod has that nobody declared would let an extra one clash.
  it('has in its pods, in every hand case, only names the schema reserves and the ones the case adds', () => {
    const seen = { volumes: new Set<string>(), containers: new Set<string>() };
    for (const c of handCases[chart]!) {
      const given = c.values as { extraVolumes?: { name: string }[]; extraInitContainers?: { name: string }[]; sidecars?: { name: string }[] };
      const added = new Set([...(given.extraVolumes ?? []), ...(given.extraInitContainers ?? []), ...(given.sidecars ?? [])].map((x) => x.name));
      const workloads = renderSystem(definition, c.values).objects.filter((o) => o.kind === 'Deployment' && o.metadata.labels['app.kubernetes.io/component'] === spec.names.component);
      for (const d of workloads) {
        const pod = d.spec.template.spec;
        for (const v of pod.volumes ?? []) if (!added.has(v.name)) seen.volumes.add(v.name);
        for (const x of [...(pod.initContainers ?? []), ...pod.containers]) if (!added.has(x.name)) seen.containers.add(x.name);
      }
    }
    expect(seen.volumes.size).toBeGreaterThan(0);
    for (const name of seen.volumes) expect(refusal(schema, { extraVolumes: [{ name, emptyDir: {} }] }), name).toMatch(/the product pod has a volume of this name/);
    for (const name of seen.containers) expect(refusal(schema, { extraInitContainers: [{ name, image: 'busybox:1.36.1' }] }), name).toMatch(/the product pod has a container of this name/);
  });

  it("rules each feature's vendor keys, and refuses a key ruled twice", () => {
    const table = rules();
    for (const feature of list) for (const key of Object.keys(feature.vendorRules ?? {})) expect(table, `${feature.name}: ${key}`).toHaveProperty([key]);
    const [key] = Object.keys(table);
    const twice = defineFeature({ name: 'twice', values: {}, vendorRules: { [key!]: toBool('x') } });
    expect(() => withFeatureRules(table, { twice })).toThrow(`vendor key ${key} has two rules (one of them feature twice)`);
  });
});

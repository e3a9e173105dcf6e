/** Raw manifests read back exactly as written when Kubernetes parses them (sigs.k8s.io/yaml). */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { manifestsToYaml } from '../lib/core/yaml';
import { k8sYamlToJson } from '../lib/tooling/yaml2json';

const tricky = ['yes', 'On', 'y', '~', 'null', '1_000', '-_8', '0X2', '0o17', '1:20', '.inf', '.NaN', 'e9', '012', '+12', '1e3', 'a: b', '#c', '- d', '"q"', "'s'", '', ' lead', 'trail ', 'multi\nline', 'multi\nline\n', 'tab\there', 'é日本', '{x}', '[y]', '*z', '&w', '!v', '%u', '@t', '`s`'];

const scalar = fc.oneof(fc.constantFrom(...tricky), fc.string({ maxLength: 12 }), fc.integer({ min: -1e9, max: 1e9 }), fc.boolean());
const value = fc.letrec((tie) => ({
  node: fc.oneof({ depthSize: 'small' }, scalar, fc.array(tie('node'), { maxLength: 3 }), fc.dictionary(fc.oneof(fc.constantFrom(...tricky), fc.string({ maxLength: 8 })), tie('node'), { maxKeys: 3 })),
})).node;

describe('manifestsToYaml', () => {
  it('quotes every string Kubernetes would read as something else', () => {
    const objects = [Object.fromEntries(tricky.map((t) => [t, t]))];
    expect(k8sYamlToJson(manifestsToYaml(objects))).toEqual(objects);
  });

  it('round-trips random documents through the Kubernetes YAML parser', () => {
    fc.assert(
      fc.property(fc.array(fc.dictionary(fc.string({ maxLength: 8 }), value, { minKeys: 1, maxKeys: 4 }), { minLength: 1, maxLength: 3 }), (docs) => {
        expect(k8sYamlToJson(manifestsToYaml(docs))).toEqual(JSON.parse(JSON.stringify(docs)));
      }),
      { numRuns: 200 },
    );
  });
});

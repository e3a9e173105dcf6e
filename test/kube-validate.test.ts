/**
 * Offline validation (tools/kube-validate, lib/proof/validate.ts): objects are checked as the API server of
 * the oldest and newest supported Kubernetes checks a create request, from k8s.io/kubernetes' own code.
 * Each broken rule is refused on both versions with its field and rule; every object every chart renders
 * with its defaults passes; and expectEquivalent fails on a chart that renders an invalid label value,
 * naming the object and the field, though raw synthesis and helm agree.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { productIdentity, defineChart, KubeObject, Render, text } from '../lib';
import { expectEquivalent, formatValidationErrors, KubeValidator, ObjectValidationError, validateObjects } from '../lib/proof';
import { systems } from '../lib/systems';
import { kubeValidateRelease, kubeValidateVersions } from '../lib/tooling/kube-validate';
import { kubernetesVersions } from '../scripts/cluster/binaries';
import { rawObjects } from './support/render';

const VERSIONS = kubeValidateVersions();
const meta = (name: string, extra: Record<string, unknown> = {}) => ({ name, namespace: 'team-ns', ...extra });
const configMap = (metadata: Record<string, unknown>, data: Record<string, unknown> = { a: 'b' }) => ({ apiVersion: 'v1', kind: 'ConfigMap', metadata, data });
const podTemplate = (labels: Record<string, string>) => ({
  metadata: { labels },
  spec: { containers: [{ name: 'web', image: 'nginx:1.27', ports: [{ containerPort: 8080 }] }] },
});
const deployment = (selector: Record<string, string>, labels: Record<string, string>) => ({
  apiVersion: 'apps/v1',
  kind: 'Deployment',
  metadata: meta('web'),
  spec: { replicas: 2, selector: { matchLabels: selector }, template: podTemplate(labels) },
});

let validator: KubeValidator;
beforeAll(() => {
  validator = new KubeValidator(); // builds the validators unless cached (`npm run helm:setup` does it up front)
}, 1_800_000);
afterAll(() => validator?.close());

/** The errors of one object, by version. */
async function errorsOf(object: unknown): Promise<Map<string, ObjectValidationError[]>> {
  const byVersion = new Map<string, ObjectValidationError[]>(VERSIONS.map((v) => [v, []]));
  for (const e of await validator.validate([object])) byVersion.get(e.kubernetes)!.push(e);
  return byVersion;
}

it('validates with the oldest and the newest Kubernetes of the cluster suite, at the same releases', () => {
  expect(VERSIONS).toEqual(['1.30', '1.37']);
  expect(VERSIONS.map(kubeValidateRelease)).toEqual(kubernetesVersions());
});

describe.each([
  {
    what: 'a ConfigMap with numeric data',
    object: configMap(meta('settings'), { replicas: 2 }),
    field: 'data',
    rule: /^Invalid type: expected string, got number$/,
  },
  {
    what: 'a label value with a colon (an image reference as app.kubernetes.io/version)',
    object: configMap(meta('settings', { labels: { 'app.kubernetes.io/version': 'nginx:1.27' } })),
    field: 'metadata.labels',
    rule: /^Invalid value: "nginx:1\.27": a valid label must be an empty string or consist of alphanumeric characters/,
  },
  {
    what: 'a name of 254 characters',
    object: configMap(meta('a'.repeat(254))),
    field: 'metadata.name',
    rule: /must be no more than 253 characters/,
  },
  {
    what: 'annotations over 256 KiB',
    object: configMap(meta('settings', { annotations: { big: 'x'.repeat(256 * 1024) } })),
    field: 'metadata.annotations',
    rule: /^Too long: may not be (longer|more) than 262144|must have at most 262144 bytes/,
  },
  {
    what: 'a Service port of 70000',
    object: { apiVersion: 'v1', kind: 'Service', metadata: meta('web'), spec: { selector: { app: 'web' }, ports: [{ name: 'http', port: 70000, targetPort: 8080 }] } },
    field: 'spec.ports[0].port',
    rule: /^Invalid value: 70000: must be between 1 and 65535, inclusive$/,
  },
  {
    what: 'a Deployment whose selector does not match its template labels',
    object: deployment({ app: 'web' }, { app: 'api' }),
    field: 'spec.template.metadata.labels',
    rule: /^Invalid value: .*`selector` does not match template `labels`$/,
  },
  {
    what: 'a misspelt field of a Deployment',
    object: { ...deployment({ app: 'web' }, { app: 'web' }), spec: { ...deployment({ app: 'web' }, { app: 'web' }).spec, replica: 2 } },
    field: 'spec.replica',
    rule: /^unknown field: not a field of this kind$/,
  },
  {
    what: "an invalid label value on a CustomResource (KEDA's ScaledObject: metadata only)",
    object: { apiVersion: 'keda.sh/v1alpha1', kind: 'ScaledObject', metadata: meta('web', { labels: { version: 'nginx:1.27' } }), spec: { anything: 1 } },
    field: 'metadata.labels',
    rule: /^Invalid value: "nginx:1\.27"/,
  },
])('$what', ({ object, field, rule }) => {
  it.each(VERSIONS)('is refused by Kubernetes %s, naming the field and the rule', async (version) => {
    const errors = (await errorsOf(object)).get(version)!;
    expect(errors.map((e) => e.field)).toContain(field);
    expect(errors.find((e) => e.field === field)!.message).toMatch(rule);
    expect(errors.every((e) => e.kind === (object as { kind: string }).kind && e.index === 0)).toBe(true);
  });
});

it('accepts valid objects, with the fields the API server defaults left out', async () => {
  const objects = [
    configMap(meta('settings'), { replicas: '2' }),
    deployment({ app: 'web' }, { app: 'web', 'app.kubernetes.io/version': '1.27' }),
    { apiVersion: 'v1', kind: 'Service', metadata: meta('web'), spec: { selector: { app: 'web' }, ports: [{ name: 'http', port: 80, targetPort: 8080 }] } },
    { apiVersion: 'keda.sh/v1alpha1', kind: 'ScaledObject', metadata: meta('web'), spec: { scaleTargetRef: { name: 'web' } } },
  ];
  expect(formatValidationErrors(await validator.validate(objects))).toEqual([]);
});

it('validateObjects names the object, the field, the rule and the versions', async () => {
  const errors = await validateObjects([configMap(meta('ok')), configMap(meta('settings', { labels: { v: 'nginx:1.27' } }))]);
  expect(errors.every((e) => e.index === 1)).toBe(true);
  expect(formatValidationErrors(errors)).toEqual([
    expect.stringMatching(/^ConfigMap settings: metadata\.labels: Invalid value: "nginx:1\.27": .* \(Kubernetes 1\.30, 1\.37\)$/),
  ]);
}, 60_000);

describe.each(systems.map((s) => [s.name, s] as const))('%s', (_, system) => {
  it('renders only objects valid for every Kubernetes version, with its defaults', async () => {
    const { objects } = rawObjects(system, {});
    expect(formatValidationErrors(await validator.validate(objects))).toEqual([]);
  });
});

describe('expectEquivalent', () => {
  // A number where Kubernetes takes only strings: zod, raw synthesis, helm and raw = helm all accept it (an
  // invalid label value, the README's old example, is now refused by raw synthesis's own limits first).
  const numeric = defineChart({
    name: 'numeric',
    schema: z.object({ replicas: z.number().int().min(0).default(2) }).strict(),
    metadata: { version: '1.0.0', appVersion: '1', description: 'A number as ConfigMap data' },
    build: (scope, values) => {
      const web = productIdentity(scope, { name: 'web' });
      new KubeObject(scope, 'cm', {
        apiVersion: 'v1',
        kind: 'ConfigMap',
        metadata: { ...web.meta(web.scopedName('settings'), 'frontend'), namespace: text(Render.of(scope).release.namespace) },
        data: { replicas: values.replicas },
      });
    },
  });
  const quiet = { log: () => undefined, runs: 0 };

  it('fails on a chart rendering numeric ConfigMap data, naming the object and the field, though raw and helm agree', async () => {
    await expect(expectEquivalent(numeric, { ...quiet, validate: false })).resolves.toMatchObject({ runs: 0 });
    const failure = expectEquivalent(numeric, quiet);
    await expect(failure).rejects.toThrow(/raw synthesis renders objects the Kubernetes API refuses:\n\s+ConfigMap rel-settings: data: Invalid type: expected string, got number/);
    await expect(failure).rejects.toThrow(/^numeric: helm template differs from raw synthesis or renders objects Kubernetes 1\.30 and 1\.37 refuses: 1 of 1 hand-written cases failed:\nvalues \{\}\n/);
    await expect(failure).rejects.toThrow(/\(Kubernetes 1\.30, 1\.37\)$/);
  }, 300_000);

  it('validates with the versions asked for and says which', async () => {
    const r = await expectEquivalent(numeric, { ...quiet, validate: { kubernetes: ['1.37'] } }).catch((e: Error) => e);
    // Only 1.37 is named.
    expect(r).toBeInstanceOf(Error);
    expect((r as Error).message).toMatch(/\(Kubernetes 1\.37\)/);
    expect((r as Error).message).not.toMatch(/1\.30/);
  }, 300_000);
});

/**
 * Adversarial input against Kubernetes' own limits and JavaScript's: the app refuses inputs it cannot read
 * in bounded time and memory, and values that would make objects the API server refuses are refused by raw
 * synthesis and by the generated chart (helm 3 and 4) alike, naming the value; a user's own construct gets
 * a ChartError naming the object and field, never a RangeError.
 */
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { Chart } from 'cdk8s';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { synthObjects } from '../../lib/core/chart';
import { KubeObject } from '../../lib/core/kube-object';
import { MAX_INPUT_BYTES } from '../../lib/core/input';
import { parseValues, ValuesError } from '../../lib/core/schema';
import { synthManifestFiles } from '../../lib/core/synth';
import { manifestsToYaml } from '../../lib/core/yaml';
import { fc } from '../../lib/proof';
import { systems } from '../../lib/systems';
import { mdIcapsrvChart, mdIcapsrvValues } from '../../lib/systems/md-icapsrv';
import { HELM_MAJORS, newestHelm } from '../../lib/tooling/helm';
import { HelmRenderer } from '../support/helm-render';
import { chartDir } from '../support/render';

const root = path.join(__dirname, '..', '..');
const scratch = fs.mkdtempSync(path.join(os.tmpdir(), 'limits-'));
const KiB = 1024;

function snapshot(dir: string): Record<string, string> {
  return Object.fromEntries(fs.readdirSync(dir).map((f) => [f, fs.readFileSync(path.join(dir, f), 'utf8')]));
}

/** `npm run synth` (chart-as-code synth of apps/stack.ts) with STACK_VALUES=`file`, into a dist/ holding a previous output. */
function synth(file: string) {
  const dist = path.join(fs.mkdtempSync(path.join(scratch, 'dist-')), 'dist');
  fs.mkdirSync(dist);
  fs.writeFileSync(path.join(dist, 'previous.k8s.yaml'), 'kind: Previous\n');
  const before = snapshot(dist);
  const started = Date.now();
  const r = spawnSync(path.join(root, 'node_modules', '.bin', 'tsx'), [path.join(root, 'lib', 'cli', 'index.ts'), 'synth', '--charts', path.join(root, 'apps', 'stack.ts')], {
    cwd: root,
    encoding: 'utf8',
    env: { ...process.env, STACK_VALUES: file, CHART_AS_CODE_DIST: dist },
    timeout: 120_000,
  });
  return { ...r, seconds: (Date.now() - started) / 1000, distUntouched: JSON.stringify(snapshot(dist)) === JSON.stringify(before) };
}

function valuesFile(name: string, text: string): string {
  const file = path.join(scratch, name);
  fs.writeFileSync(file, text);
  return file;
}

/** The refusal as the command line prints it: one `error: ...` line naming `what`, no stack trace, dist/ as it was. */
function expectRefused(r: ReturnType<typeof synth>, what: string) {
  expect(r.status).toBe(1);
  expect(r.stderr).toMatch(/^error: /);
  expect(r.stderr).toContain(what);
  expect(r.stderr.trimEnd().split('\n')).toHaveLength(1);
  expect(r.stderr).not.toMatch(/\n\s+at |RangeError|TypeError/);
  expect(r.stdout).toBe('');
  expect(r.distUntouched).toBe(true);
}

afterAll(() => fs.rmSync(scratch, { recursive: true, force: true }));

describe('STACK_VALUES that cannot be read in bounded time and memory', () => {
  it('/dev/zero is refused at once as not a regular file (it grew to 13 GB)', () => {
    const r = synth('/dev/zero');
    expectRefused(r, 'STACK_VALUES=/dev/zero: not a regular file');
    expect(r.seconds).toBeLessThan(30);
  });

  it('a FIFO is refused without waiting for a writer', () => {
    const fifo = path.join(scratch, 'values.fifo');
    expect(spawnSync('mkfifo', [fifo]).status).toBe(0);
    expectRefused(synth(fifo), `STACK_VALUES=${fifo}: not a regular file`);
  });

  it('a directory is refused', () => {
    expectRefused(synth(scratch), `STACK_VALUES=${scratch}: is a directory`);
  });

  it(`a file over ${MAX_INPUT_BYTES} bytes is refused before it is read`, () => {
    const file = valuesFile('big.yaml', `# ${'x'.repeat(MAX_INPUT_BYTES)}\n`);
    expectRefused(synth(file), `over the limit of ${MAX_INPUT_BYTES} bytes`);
  });

  it('a missing file is refused', () => {
    expectRefused(synth(path.join(scratch, 'nope.yaml')), 'no such file');
  });

  it('200 aliases of a 2 MB string (400 MB once expanded) are refused before anything copies them', () => {
    const keys = Array.from({ length: 200 }, (_, i) => `    k${i}: *big`).join('\n');
    const file = valuesFile('aliases.yaml', `md-icapsrv:\n  commonAnnotations:\n    seed: &big "${'a'.repeat(2_000_000)}"\n${keys}\n`);
    const r = synth(file);
    expectRefused(r, `${file}: reads as more than 67108864 bytes of values once its aliases are expanded`);
    expect(r.seconds).toBeLessThan(60);
  });

  it('a million empty documents are refused, not parsed one by one', () => {
    expectRefused(synth(valuesFile('docs.yaml', '---\n'.repeat(1_000_000))), '1000001 YAML documents');
  });

  it('values nested 9000 levels deep (YAML allows 10000) are refused with their path, not a stack overflow', () => {
    const r = synth(valuesFile('deep.yaml', `md-icapsrv:\n  affinity: ${'{a: '.repeat(9000)}1${'}'.repeat(9000)}\n`));
    // The map at level 100 (the root is level 0) is the one holding a 101st level.
    expectRefused(r, `invalid values for md-icapsrv: affinity${'.a'.repeat(99)}: nested more than 100 levels deep`);
  });
});

/** 180 aliases of one 200 KiB string: a 36 MB annotations map from a file of 200 KiB. */
function aliasedAnnotations(): string {
  const keys = Array.from({ length: 180 }, (_, i) => `    k${i}: *big`).join('\n');
  return `commonAnnotations:\n    seed: &big "${'a'.repeat(200 * KiB)}"\n${keys}\n`;
}

/**
 * Values of md-icapsrv (as a values file's text) that Kubernetes or Helm would not take: each is refused by
 * raw synthesis (naming `rawSays`) and by helm template with the generated chart (naming `helmSays`; helm
 * names a wrong map key with the location of another map of the same schema, so by the key itself).
 */
const REFUSED: { name: string; values: string; rawSays: string; helmSays: string }[] = [
  { name: '__proto__ in a strict object', values: '{"image": {"__proto__": {"repository": "evil"}}}', rawSays: 'image.__proto__', helmSays: '__proto__' },
  { name: '__proto__ at the root', values: '{"__proto__": {"replicaCount": 5}}', rawSays: 'md-icapsrv: __proto__: "__proto__" is not accepted', helmSays: '__proto__' },
  { name: '__proto__ in a free-form map', values: '{"affinity": {"__proto__": {}}}', rawSays: 'affinity.__proto__', helmSays: '__proto__' },
  { name: 'constructor in a strict object', values: '{"image": {"constructor": {"repository": "evil"}}}', rawSays: 'image.constructor: unknown key', helmSays: 'constructor' },
  { name: 'prototype in a strict object', values: '{"image": {"prototype": "x"}}', rawSays: 'image.prototype: unknown key', helmSays: 'prototype' },
  { name: 'a label value with ":"', values: '{"commonLabels": {"version": "nginx:1.27"}}', rawSays: 'commonLabels.version', helmSays: 'commonLabels' },
  { name: 'a pod label value of 64 characters', values: `{"podLabels": {"tier": "${'a'.repeat(64)}"}}`, rawSays: 'podLabels.tier', helmSays: 'podLabels' },
  { name: 'a label key whose name is 64 characters', values: `{"commonLabels": {"example.com/${'a'.repeat(64)}": "x"}}`, rawSays: 'commonLabels.example.com/', helmSays: `invalid propertyName 'example.com/${'a'.repeat(64)}'` },
  { name: 'a label key whose prefix is 254 characters', values: `{"commonLabels": {"${'a'.repeat(254)}/x": "x"}}`, rawSays: 'commonLabels.aaaa', helmSays: `invalid propertyName '${'a'.repeat(254)}/x'` },
  { name: 'an annotation key that is not a qualified name', values: '{"service": {"annotations": {"no spaces": "x"}}}', rawSays: 'service.annotations.no spaces', helmSays: "invalid propertyName 'no spaces'" },
  { name: 'a nodeSelector value with "/"', values: '{"nodeSelector": {"disk": "ssd/fast"}}', rawSays: 'nodeSelector.disk', helmSays: 'nodeSelector' },
  { name: 'a namePrefix of 21 characters', values: `{"namePrefix": "${'a'.repeat(20)}-"}`, rawSays: 'namePrefix', helmSays: 'namePrefix' },
  { name: 'a namePrefix starting with a digit (Service names start with a letter)', values: '{"namePrefix": "1team-"}', rawSays: 'namePrefix', helmSays: 'namePrefix' },
  { name: 'an existingSecret of 254 characters', values: `{"license": {"existingSecret": "${'a'.repeat(254)}"}}`, rawSays: 'license.existingSecret', helmSays: 'existingSecret' },
  { name: 'an existingSecret with upper case', values: '{"license": {"existingSecret": "My-Secret"}}', rawSays: 'license.existingSecret', helmSays: 'existingSecret' },
  { name: 'a 300 KiB annotation', values: `{"commonAnnotations": {"big": "${'a'.repeat(300 * KiB)}"}}`, rawSays: 'commonAnnotations.big', helmSays: 'commonAnnotations' },
  {
    name: 'two annotations of 200 KiB that an object combines',
    values: `{"commonAnnotations": {"a": "${'a'.repeat(200 * KiB)}"}, "service": {"annotations": {"b": "${'b'.repeat(200 * KiB)}"}}}`,
    rawSays: "annotations total 409602 bytes (from commonAnnotations and the object's own annotations), over Kubernetes' limit of 262144",
    helmSays: "annotations total 409602 bytes (from commonAnnotations and the object's own annotations), over Kubernetes' limit of 262144",
  },
  {
    // 262122 bytes: within the limit alone, over it with the pod's own config checksum annotation.
    name: 'pod annotations just under the limit, over it with the config checksum',
    values: `{"podAnnotations": {"a": "${'a'.repeat(131060)}", "b": "${'b'.repeat(131060)}"}}`,
    rawSays: 'bytes (from podAnnotations), over',
    helmSays: 'bytes (from podAnnotations), over',
  },
  { name: 'a 36 MB annotations map made with YAML aliases', values: aliasedAnnotations(), rawSays: 'annotations total 37069601 bytes', helmSays: 'annotations total 370' },
];

describe('values refused by raw synthesis (npm run synth) as by the chart', () => {
  const renderers = new Map<number, HelmRenderer>();
  beforeAll(() => {
    for (const major of HELM_MAJORS) renderers.set(major, new HelmRenderer(newestHelm(major), chartDir(mdIcapsrvChart)));
  });
  afterAll(async () => {
    await Promise.all([...renderers.values()].map((r) => r.close()));
  });

  it.each(REFUSED.map((c) => [c.name, c] as const))('%s', async (_name, c) => {
    // The stack's values file: the system's values under its name.
    const stack = c.values.startsWith('{') ? `{"md-icapsrv": ${c.values}}` : `md-icapsrv:\n${c.values.replace(/^/gm, '  ')}`;
    const r = synth(valuesFile('stack.yaml', stack));
    expectRefused(r, c.rawSays);
    expect(r.seconds).toBeLessThan(60);
    for (const [major, renderer] of renderers) {
      const rendered = await renderer.render(c.values);
      expect('error' in rendered, `helm ${major} renders ${c.name}`).toBe(true);
      expect((rendered as { error: string }).error).toContain(c.helmSays);
    }
  });

  it('accepts constructor and prototype as keys of free-form maps, as Helm does', () => {
    const values = JSON.parse('{"nodeSelector": {"constructor": "x", "prototype": "y"}, "commonLabels": {"constructor": "z"}}');
    const { objects } = synthObjects({ chart: mdIcapsrvChart, values });
    const deployment = objects.find((o) => o.kind === 'Deployment') as { metadata: { labels: object }; spec: { template: { spec: { nodeSelector: object } } } };
    expect(deployment.spec.template.spec.nodeSelector).toEqual({ constructor: 'x', prototype: 'y' });
    expect(deployment.metadata.labels).toMatchObject({ constructor: 'z' });
  });
});

describe('values given in code', () => {
  const refusal = (f: () => unknown): string => {
    try {
      f();
    } catch (e) {
      expect(e).toBeInstanceOf(ValuesError);
      return (e as Error).message;
    }
    throw new Error('not refused');
  };

  it('parseValues refuses a __proto__ key, which a spread or assignment would turn into a prototype', () => {
    const input = JSON.parse('{"tolerations": [{"__proto__": {"key": "x"}}]}');
    expect(refusal(() => parseValues('md-icapsrv', mdIcapsrvValues, input))).toContain('tolerations[0].__proto__');
  });

  it('an override with __proto__ survives coalescing to be refused', () => {
    const overrides = JSON.parse('{"image": {"__proto__": {"repository": "evil"}}}');
    expect(refusal(() => synthObjects({ chart: mdIcapsrvChart, values: { acceptEula: true }, overrides }))).toContain('image.__proto__');
  });

  it('values nested deeper than 100 levels are refused with their path, before anything recurses into them', () => {
    let deep: unknown = 'leaf';
    for (let i = 0; i < 100_000; i++) deep = [deep];
    const message = `- affinity.x${'[0]'.repeat(98)}: nested more than 100 levels deep`;
    expect(refusal(() => synthObjects({ chart: mdIcapsrvChart, values: { affinity: { x: deep } } }))).toContain(message);
    expect(refusal(() => parseValues('md-icapsrv', mdIcapsrvValues, { affinity: { x: deep } }))).toContain(message);
  });

  it('an object literal whose __proto__ is an own key (computed) is refused too', () => {
    expect(refusal(() => parseValues('md-icapsrv', mdIcapsrvValues, { ['__proto__']: { replicaCount: 2 } }))).toContain('- __proto__:');
  });
});

/** A chart of a user's own objects, synthesized as `npm run synth` does. */
function ownChart(objects: Record<string, unknown>[]) {
  return () =>
    synthManifestFiles([
      {
        id: 'own',
        build: (chart: Chart) => objects.forEach((o, i) => new KubeObject(chart, `o${i}`, o as never)),
      },
    ]);
}

describe("a user's own construct: a ChartError naming the object and the field", () => {
  const cm = (metadata: Record<string, unknown>, data: Record<string, string> = {}) => ({ apiVersion: 'v1', kind: 'ConfigMap', metadata, data });

  it.each([
    ['a 36 MB annotation', cm({ name: 'big', annotations: { huge: 'x'.repeat(36 * 1024 * 1024) } }), /ConfigMap big: metadata\.annotations: keys and values total 37748740 bytes/],
    ['an annotation key with a space', cm({ name: 'c', annotations: { 'a b': 'x' } }), /ConfigMap c: metadata\.annotations\["a b"\]: the key is not a qualified name/],
    ['a label value "nginx:1.27"', cm({ name: 'c', labels: { version: 'nginx:1.27' } }), /ConfigMap c: metadata\.labels\["version"\]: the value "nginx:1\.27" is not a label value/],
    ['a name of 254 characters', cm({ name: 'a'.repeat(254) }), /ConfigMap a{80}: metadata\.name: must be a DNS-1123 subdomain of at most 253 characters \(254 given\)/],
    ['a Service named with a digit first', { apiVersion: 'v1', kind: 'Service', metadata: { name: '1svc' }, spec: {} }, /Service 1svc: metadata\.name: must be a DNS-1035 label/],
    ['a Job name of 64 characters', { apiVersion: 'batch/v1', kind: 'Job', metadata: { name: 'j'.repeat(64) }, spec: {} }, /Job j+: metadata\.name: .* of at most 63 characters/],
    [
      'a pod template label of 64 characters',
      { apiVersion: 'apps/v1', kind: 'Deployment', metadata: { name: 'd' }, spec: { template: { metadata: { labels: { a: 'b'.repeat(64) } } } } },
      /Deployment d: spec\.template\.metadata\.labels\["a"\]: the value/,
    ],
    ['a 36 MB ConfigMap entry', cm({ name: 'data' }, { blob: 'x'.repeat(36 * 1024 * 1024) }), /object 1 \(ConfigMap data\) is \d+ characters of YAML, over the 3145728 bytes/],
  ])('%s', (_name, obj, message) => {
    const started = Date.now();
    expect(ownChart([obj])).toThrowError(message);
    try {
      ownChart([obj])();
    } catch (e) {
      expect((e as Error).name).toBe('ChartError');
      expect((e as Error).message).not.toContain('\n');
    }
    expect(Date.now() - started).toBeLessThan(20_000);
  });

  it('manifestsToYaml alone refuses an object over the API server request limit, naming it', () => {
    expect(() => manifestsToYaml([{ kind: 'Secret', metadata: { name: 's' }, data: { k: 'x'.repeat(4 * 1024 * 1024) } }])).toThrowError(/object 1 \(Secret s\)/);
  });
});

/** What Kubernetes accepts (k8s.io/apimachinery/pkg/util/validation), written out apart from the schema's patterns. */
const K8S = {
  labelValue: (s: string) => s.length <= 63 && /^(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?$/.test(s),
  subdomain: (s: string) => s.length >= 1 && s.length <= 253 && /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/.test(s),
  /** IsQualifiedName: an optional DNS subdomain prefix and "/", then a name of at most 63. */
  qualifiedName(s: string): boolean {
    const parts = s.split('/');
    if (parts.length > 2) return false;
    const name = parts[parts.length - 1]!;
    const prefixOk = parts.length === 1 || K8S.subdomain(parts[0]!);
    return prefixOk && name.length >= 1 && name.length <= 63 && /^[A-Za-z0-9]([-A-Za-z0-9_.]*[A-Za-z0-9])?$/.test(name);
  },
};

/** Strings around the rules: valid ones near the length bounds, and ones with a character or an end wrong. */
const nearRule = (alphabet: string, lengths: number[]) =>
  fc.oneof(
    fc.string({ unit: fc.constantFrom(...alphabet.split('')), maxLength: 12 }),
    fc.tuple(fc.constantFrom(...lengths), fc.constantFrom(...alphabet.split(''))).map(([n, ch]) => `a${ch.repeat(Math.max(0, n - 2))}a`),
    fc.tuple(fc.constantFrom(...lengths), fc.string({ unit: fc.constantFrom(...alphabet.split('')), maxLength: 4 })).map(([n, s]) => `${'a'.repeat(Math.max(0, n - s.length))}${s}`),
  );

describe('label values and Secret names: zod accepts exactly what Kubernetes accepts, and helm agrees', () => {
  const renderers = new Map<number, HelmRenderer>();
  beforeAll(() => {
    for (const major of HELM_MAJORS) renderers.set(major, new HelmRenderer(newestHelm(major), chartDir(mdIcapsrvChart)));
  });
  afterAll(async () => {
    await Promise.all([...renderers.values()].map((r) => r.close()));
  });

  async function agree(values: unknown, kubernetesAccepts: boolean): Promise<void> {
    let zodAccepts = true;
    try {
      parseValues('md-icapsrv', mdIcapsrvValues, values);
    } catch (e) {
      if (!(e instanceof ValuesError)) throw e;
      zodAccepts = false;
    }
    expect(zodAccepts, JSON.stringify(values)).toBe(kubernetesAccepts);
    for (const [major, renderer] of renderers) {
      const r = await renderer.render(JSON.stringify(values));
      expect('docs' in r, `helm ${major}: ${JSON.stringify(values)} ${JSON.stringify(r).slice(0, 300)}`).toBe(kubernetesAccepts);
    }
  }

  it('podLabels values', async () => {
    await fc.assert(
      fc.asyncProperty(nearRule('aZ09-_.:/ é', [1, 62, 63, 64]), async (s) => agree({ podLabels: { tier: s } }, K8S.labelValue(s))),
      { numRuns: 150 },
    );
  });

  it('commonLabels keys (the chart keeps app.kubernetes.io/, helm.sh/ and chart-as-code/ keys for itself)', async () => {
    const keys = fc.oneof(
      nearRule('az09-._/', [1, 63, 64]),
      fc.tuple(nearRule('az09-.', [1, 253, 254]), nearRule('aZ09-_.', [1, 63, 64])).map(([prefix, name]) => `${prefix}/${name}`),
    );
    await fc.assert(
      fc.asyncProperty(keys, async (k) => agree({ commonLabels: { [k]: 'x' } }, K8S.qualifiedName(k) && !/^(app\.kubernetes\.io|helm\.sh|chart-as-code)\//.test(k))),
      { numRuns: 150 },
    );
  });

  it('license.existingSecret names', async () => {
    await fc.assert(
      fc.asyncProperty(nearRule('az09-.A_', [1, 63, 253, 254]), async (s) =>
        // Empty means "not set".
        agree({ license: { existingSecret: s } }, s === '' || K8S.subdomain(s)),
      ),
      { numRuns: 150 },
    );
  });

  it.each(systems.map((s) => [s.name, s] as const))('%s: the longest namePrefix and release name give names Kubernetes accepts', (_name, system) => {
    // synthObjects checks every object's metadata against Kubernetes' rules (lib/core/limits.ts).
    const { objects } = synthObjects({ chart: system, values: { namePrefix: `${'a'.repeat(19)}-` }, releaseName: 'r'.repeat(53), includeTests: true });
    expect(objects.every((o) => (o.metadata as { name: string }).name.startsWith('a'.repeat(19)))).toBe(true);
  });

  it('every name a valid namePrefix gives is one Kubernetes accepts for its kind', () => {
    fc.assert(
      fc.property(fc.stringMatching(/^[a-z][-a-z0-9]{0,19}$/), (namePrefix) => {
        // synthObjects checks every object's metadata against Kubernetes' rules (lib/core/limits.ts).
        const { objects } = synthObjects({ chart: mdIcapsrvChart, values: { namePrefix, acceptEula: true }, releaseName: 'r'.repeat(53), includeTests: true });
        expect(objects.length).toBeGreaterThan(5);
      }),
      { numRuns: 30 },
    );
  });
});

/**
 * The proof as a platform team runs it (chart-as-code/proof), with the in-process renderers it builds
 * by default and with the helm CLIs found as a user's project finds them: it passes on an honest chart and fails, naming the values, what differs and the
 * seed, on a chart that renders differently in Helm and on one whose values.schema.json lets through what
 * zod refuses. And the batched runner under it keeps what fast-check gives: every case checked, the
 * failing one shrunk and reported with its seed, replayable.
 */
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { defineChart, KubeObject, Render, rule, text } from '../lib';
import { assertBatched, expectEquivalent, expectSchemaParity, fc } from '../lib/proof';
import { availableHelms, HELM_MAJORS, helmName, newestHelm } from '../lib/tooling/helm';

const metadata = { version: '1.0.0', appVersion: '1', description: 'A chart for the proof tests' };

const greetingValues = (greeting: string) =>
  z.object({ greeting: z.string().min(1).max(20).default(greeting), replicas: z.number().int().min(0).max(10).default(1) }).strict();

const honest = defineChart({
  name: 'honest',
  schema: greetingValues('hi'),
  metadata,
  build: (scope, values) => {
    new KubeObject(scope, 'cm', { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'greeting', namespace: text(Render.of(scope).release.namespace) }, data: { greeting: values.greeting } });
  },
});

/** Computes a string from a value in JavaScript: raw synthesis shouts, the Helm chart does not (its default is already loud). */
const shouting = defineChart({
  name: 'shouting',
  schema: greetingValues('HI'),
  metadata,
  build: (scope, values) => {
    new KubeObject(scope, 'cm', { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'greeting', namespace: text(Render.of(scope).release.namespace) }, data: { greeting: text(values.greeting).toUpperCase() } });
  },
});

/** A rule whose JSON Schema twin forgets what the zod check says: helm accepts 11 greetings, zod does not. */
const lenient = defineChart({
  name: 'lenient',
  schema: rule(greetingValues('hi'), (v) => v.replicas <= v.greeting.length, {
    message: 'no more replicas than characters in the greeting',
    jsonSchema: {},
    counterexample: { greeting: 'a', replicas: 2 },
  }),
  metadata,
  build: honest.build,
});

const helms = availableHelms();
const quiet = { log: () => undefined };
/** The helm CLIs, one process per case: what the proof falls back to without Go. */
const cli = { ...quiet, inProcess: false };

describe('expectEquivalent and expectSchemaParity, by default', () => {
  it('render with the in-process renderers of helm 3 and 4 and say so in the log line', async () => {
    const lines: string[] = [];
    const equivalence = await expectEquivalent(honest, { runs: 10, log: (l) => lines.push(l) });
    const names = HELM_MAJORS.map((m) => `in-process ${helmName(newestHelm(m))}`);
    expect(equivalence.renderers).toEqual(names);
    expect(lines.at(-1)).toContain(`honest: raw synthesis vs helm template (${names.join(', ')}), validated for Kubernetes 1.30, 1.37, random valid values: 10 cases`);
  });

  it('render in-process for the majors given, and fail with its name', async () => {
    const error = await expectSchemaParity(lenient, { runs: 100, helm: [4], seed: 7, ...quiet }).then(
      () => undefined,
      (e: Error) => e,
    );
    expect(error?.message).toMatch(/^lenient: zod vs values\.schema\.json \(in-process helm 4\.[\d.]+\), random invalid values: \d+ of 100 random cases failed \(seed 7/);
    expect(error?.message).toMatch(/\nin-process helm 4\.[\d.]+ accepted the values/);
  });

  it('say why they fall back to the helm CLIs', async () => {
    const lines: string[] = [];
    await expectEquivalent(honest, { runs: 1, helm: [3], inProcess: false, log: (l) => lines.push(l) });
    expect(lines.at(-1)).toMatch(/^\[proof\] honest: raw synthesis vs helm template \(helm 3\.[\d.]+; helm CLIs, one process per case: inProcess: false\), validated for Kubernetes 1\.30, 1\.37, random valid values: 1 cases/);
  });
});

describe('expectEquivalent and expectSchemaParity, with the helm CLIs found (inProcess: false)', () => {
  it('finds helm 3 and helm 4 here', () => {
    expect(helms.map((h) => h.major)).toEqual([3, 4]);
  });

  it('pass on an honest chart, with every helm major', async () => {
    const equivalence = await expectEquivalent(honest, { runs: 10, values: [{ greeting: 'hello' }], ...cli });
    expect(equivalence.runs).toBe(10);
    expect(equivalence.renderers).toEqual(helms.map((h) => `helm ${h.version.replace(/^v/, '')}`));
    const parity = await expectSchemaParity(honest, { runs: 10, cases: [{ values: { replicas: 11 }, path: ['replicas'] }], ...cli });
    expect(parity.runs).toBe(10);
  });

  it('fail on a chart that renders differently in Helm, naming the values, the field and the seed', async () => {
    const hand = await expectEquivalent(shouting, { runs: 0, helm: [3], values: [{ greeting: 'hello' }], ...cli }).then(
      () => undefined,
      (e: Error) => e,
    );
    expect(hand?.message).toMatch(/^shouting: helm template differs from raw synthesis or renders objects Kubernetes 1\.30 and 1\.37 refuses: 1 of 2 hand-written cases failed/);
    expect(hand?.message).toContain('values {"greeting":"hello"}');
    expect(hand?.message).toContain('v1/ConfigMap/team-ns/greeting.data.greeting: raw "HELLO" vs helm "hello"');

    const random = await expectEquivalent(shouting, { runs: 50, helm: [4], seed: 42, ...cli }).then(
      () => undefined,
      (e: Error) => e,
    );
    expect(random?.message).toMatch(/^shouting: raw synthesis vs helm template \(helm 4\.[\d.]+; helm CLIs, one process per case: inProcess: false\), validated for Kubernetes 1\.30, 1\.37, random valid values: \d+ of 50 random cases failed \(seed 42/);
    expect(random?.message).toMatch(/The first of them, shrunk:\nvalues \{"greeting":".*"\}\nhelm 4\.[\d.]+:\nv1\/ConfigMap\/team-ns\/greeting\.data\.greeting: raw ".*" vs helm ".*"/);
  });

  it('fail on random values a chart refuses in zod and helm accepts, naming the seed', async () => {
    const error = await expectSchemaParity(lenient, { runs: 100, helm: [4], seed: 7, ...cli }).then(
      () => undefined,
      (e: Error) => e,
    );
    expect(error?.message).toMatch(/^lenient: zod vs values\.schema\.json \(helm 4\.[\d.]+; helm CLIs, one process per case: inProcess: false\), random invalid values: \d+ of 100 random cases failed \(seed 7/);
    expect(error?.message).toMatch(/helm 4\.[\d.]+ accepted the values/);
  });

  it('refuse a helm that is not one', async () => {
    await expect(expectEquivalent(honest, { helm: ['/bin/true'] })).rejects.toThrow('helm: "/bin/true" does not run as helm');
  });
});

describe('assertBatched', () => {
  it('checks numRuns cases, in batches', async () => {
    const seen: number[] = [];
    const batchSizes: number[] = [];
    const { runs } = await assertBatched({
      label: 'all pass',
      arbitrary: fc.integer(),
      numRuns: 100,
      check: async (xs) => {
        batchSizes.push(xs.length);
        seen.push(...xs);
        return xs.map(() => undefined);
      },
    });
    expect(runs).toBe(100);
    expect(seen).toHaveLength(100);
    expect(batchSizes.length).toBeGreaterThan(1);
  });

  it('reports the first failing case shrunk by fast-check, with the seed that replays it', async () => {
    const error = await assertBatched({
      label: 'fails from 100 on',
      arbitrary: fc.integer({ min: 0, max: 1000 }),
      numRuns: 200,
      check: async (xs) => xs.map((x) => (x >= 100 ? `${x} is 100 or more` : undefined)),
      seed: 1234,
    }).then(
      () => undefined,
      (e: Error) => e,
    );
    expect(error?.message).toMatch(/^fails from 100 on: \d+ of 200 random cases failed \(seed 1234: pass it as `seed` or set FC_SEED=1234 to replay\)/);
    expect(error?.message).toContain('The first of them, shrunk:\n100 is 100 or more');
    expect(error?.message).toMatch(/Counterexample: \[100\]/);
    expect(error?.message).toMatch(/seed: 1234, path: "\d+/);
    expect((error?.cause as Error | undefined)?.message).toMatch(/Counterexample: \[100\]/);
  });
});

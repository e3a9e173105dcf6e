/**
 * The core guarantee: for every chart, helm renders exactly the objects the raw synthesis renders for the
 * same values, on every helm release proven (the oldest supported and the newest of each major):
 *
 * - the real `helm template` of each release: defaults; on the oldest releases also a hand-written case
 *   per optional part and a few random values;
 * - the in-process renderers of the newest releases (Helm's own engine, agreeing with their CLI:
 *   test/helm-render.test.ts): the hand-written cases, EQUIVALENCE_RUNS (default 1000) random valid values
 *   per chart, and VALUES_FILE_RUNS (default 100) random values files, YAML text with awkward scalars (`on`, `yes`,
 *   `0x1F`, `1_000`, ...), that raw synthesis reads as Helm reads them: both render the same objects or
 *   both reject the file, naming the same path.
 */
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import YAML from 'yaml';
import { systems } from '../lib/systems';
import { HELM_MAJORS, helmName, helmReleases, newestHelm } from '../lib/tooling/helm';
import { validValues, valuesFile } from './support/arbitraries';
import { cliTemplate, HelmRenderer, Yaml2json } from './support/helm-render';
import { assertBatched, checkValid, checkValuesFile, FileOutcome, renderingProblem } from './support/proof';
import { chartDir, K8sObject, rawObjects } from './support/render';
import { handCases } from './cases';

const RANDOM_RUNS = Number(process.env.EQUIVALENCE_RUNS ?? 1000);
const FILE_RUNS = Number(process.env.VALUES_FILE_RUNS ?? 100);
/** Random values through the CLI of releases without an in-process renderer (the oldest ones). */
const CLI_RUNS = Number(process.env.EQUIVALENCE_CLI_RUNS ?? 10);

const newest = HELM_MAJORS.map(newestHelm);
const newestNames = newest.map(helmName).join(' and ');

describe.each(systems.map((s) => [s.name, s] as const))('%s: helm template equals raw synthesis', (name, system) => {
  it('has hand-written cases for its optional parts', () => {
    expect(handCases[name]?.length ?? 0).toBeGreaterThan(0);
  });

  // Raw synthesis does not depend on the helm release: once per case.
  const rawCache = new Map<string, K8sObject[]>();
  const raw = (values: Record<string, unknown>): K8sObject[] => {
    const key = JSON.stringify(values);
    let objects = rawCache.get(key);
    if (!objects) rawCache.set(key, (objects = rawObjects(system, values).objects));
    return objects;
  };

  // The CLI cases run a few helm processes at a time (one per core).
  describe.concurrent.each(helmReleases().map((r) => [helmName(r), r] as const))('%s', (helm, release) => {
    const problem = async (values: Record<string, unknown>): Promise<string | undefined> =>
      renderingProblem(helm, raw(values), (await cliTemplate(release, chartDir(system), JSON.stringify(values))).rendered);

    it('with defaults', async () => {
      expect(await problem({})).toBeUndefined();
      expect(raw({}).length).toBeGreaterThan(3);
    });

    if (!newest.includes(release)) {
      // The newest releases render the hand cases in process (below).
      it.each((handCases[name] ?? []).map((c) => [c.name, c.values] as const))('with %s', async (_case, values) => {
        expect(await problem(values)).toBeUndefined();
      });

      it(`with ${CLI_RUNS} random valid values`, async () => {
        await fc.assert(
          fc.asyncProperty(validValues(system.schema), async (values) => {
            const p = await problem(values);
            if (p !== undefined) throw new Error(`values ${JSON.stringify(values)}\n${p}`);
          }),
          { numRuns: CLI_RUNS, endOnFailure: true },
        );
      });
    }
  });

  describe(`in-process ${newestNames}`, () => {
    let renderers: HelmRenderer[] = [];
    let yaml: Yaml2json;
    beforeAll(() => {
      renderers = newest.map((r) => new HelmRenderer(r, chartDir(system)));
      yaml = new Yaml2json();
    });
    afterAll(async () => {
      await Promise.all([...renderers.map((r) => r.close()), yaml.close()]);
    });

    it.each((handCases[name] ?? []).map((c) => [c.name, c.values] as const))('with %s', async (_case, values) => {
      expect((await checkValid(system, renderers, yaml)([values]))[0]).toBeUndefined();
    });

    it(`with ${RANDOM_RUNS} random valid values`, async () => {
      const { runs } = await assertBatched({
        label: `${name}: random valid values, in-process ${newestNames}`,
        arbitrary: validValues(system.schema),
        numRuns: RANDOM_RUNS,
        check: checkValid(system, renderers, yaml),
      });
      expect(runs).toBe(RANDOM_RUNS);
    });

    it(`with ${FILE_RUNS} random values files (YAML 1.1 scalars and keys), read by raw synthesis as Helm reads them`, async () => {
      const outcomes: FileOutcome[] = [];
      const { runs } = await assertBatched({
        label: `${name}: random values files, in-process ${newestNames}`,
        arbitrary: valuesFile(system.schema),
        numRuns: FILE_RUNS,
        check: checkValuesFile(system, renderers, yaml, (text) => YAML.parse(text) as unknown, outcomes),
      });
      expect(runs).toBe(FILE_RUNS);
      const count = (f: (o: FileOutcome) => boolean) => outcomes.filter(f).length;
      console.log(
        `[proof] ${name}: values files accepted by both ${count((o) => o.accepted)}, rejected by both ${count((o) => !o.accepted)}; ` +
          `read differently by a YAML 1.2 parser ${count((o) => o.readDifferently)}`,
      );
      // The files must exercise both outcomes, and the awkward scalars a YAML 1.2 reader gets wrong.
      expect(count((o) => o.accepted)).toBeGreaterThan(0);
      expect(count((o) => !o.accepted)).toBeGreaterThan(0);
      expect(count((o) => o.readDifferently)).toBeGreaterThan(0);
    });
  });
});

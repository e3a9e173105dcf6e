/**
 * The core guarantee: for every chart, helm renders exactly the objects the raw synthesis renders for the
 * same values, on every helm release proven (the oldest supported and the newest of each major):
 *
 * - the real `helm template` of each release: defaults; on the oldest releases also a hand-written case
 *   per optional part and a few random values (expectEquivalent of chart-as-code/proof, with each CLI);
 * - the in-process renderers of the newest releases (Helm's own engine, agreeing with their CLI:
 *   test/helm-render.test.ts), passed to expectEquivalent: the hand-written cases, EQUIVALENCE_RUNS
 *   (default 1000) random valid values per chart, and VALUES_FILE_RUNS (default 100) random values files,
 *   YAML text with awkward scalars (`on`, `yes`, `0x1F`, `1_000`, ...), that raw synthesis reads as Helm
 *   reads them: both render the same objects or both reject the file, naming the same path.
 *
 * Every object of every case (defaults, hand-written and random values), raw and from every helm, is also
 * validated offline as the API servers of Kubernetes 1.30 and 1.37 would on create (expectEquivalent's
 * default): the schemas refuse what Kubernetes refuses, rules between fields included (zod refinements, and
 * values.schema.json or the chart's template rules on the Helm side). Free-form fragments (security
 * contexts, affinity, HPA behavior and metrics, NetworkPolicy selectors) are Kubernetes' to validate: random
 * values draw them from valid examples (k8sObject's `examples`), so they prove the chart, not the fragment.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import YAML from 'yaml';
import { systems } from '../lib/systems';
import { assertBatched, checkValuesFile, cliRenderer, expectEquivalent, FileOutcome, valuesFile, Yaml2json } from '../lib/proof';
import { HELM_MAJORS, HelmRelease, helmBinary, helmName, helmReleases, newestHelm } from '../lib/tooling/helm';
import { HelmRenderer } from './support/helm-render';
import { chartDir, rawObjects } from './support/render';
import { handCases, openshiftCases } from './cases';
import { OPENSHIFT_SECURITY_API } from '../lib/constructs/openshift';

const RANDOM_RUNS = Number(process.env.EQUIVALENCE_RUNS ?? 1000);
const FILE_RUNS = Number(process.env.VALUES_FILE_RUNS ?? 100);
/** Random values through the CLI of releases without an in-process renderer (the oldest ones). */
const CLI_RUNS = Number(process.env.EQUIVALENCE_CLI_RUNS ?? 10);


const newest = HELM_MAJORS.map(newestHelm);
/** By version: newestHelm() makes a new object on every call. */
const isNewest = (release: HelmRelease) => newest.some((n) => n.version === release.version);
const newestNames = newest.map(helmName).join(' and ');

describe.each(systems.map((s) => [s.name, s] as const))('%s: helm template equals raw synthesis', (name, system) => {
  const hand = (handCases[name] ?? []).map((c) => c.values);

  it('has hand-written cases for its optional parts', () => {
    expect(hand.length).toBeGreaterThan(0);
  });

  it('renders more than a few objects with defaults', () => {
    expect(rawObjects(system, {}).objects.length).toBeGreaterThan(3);
  });

  // The CLI cases run a few helm processes at a time (one per core).
  describe.concurrent.each(helmReleases().map((r) => [helmName(r), r] as const))('%s', (helm, release) => {
    const cli = () => [cliRenderer(helmBinary(release), chartDir(system), helm)];

    // The in-process renderers take no --api-versions: the CLI renders what `helm install` renders on OpenShift.
    it(`on OpenShift (--api-versions ${OPENSHIFT_SECURITY_API}): defaults and the OpenShift cases, validated for Kubernetes`, async () => {
      const apiVersions = [OPENSHIFT_SECURITY_API];
      const renderers = [cliRenderer(helmBinary(release), chartDir(system), helm, apiVersions)];
      const validated = await expectEquivalent(system, { renderers, apiVersions, values: (openshiftCases[name] ?? []).map((c) => c.values), runs: 0 });
      expect(validated.kubernetes).toEqual(['1.30', '1.37']);
    });

    if (isNewest(release)) {
      // The newest releases render the hand cases and the random ones in process (below).
      it('with defaults', async () => {
        await expectEquivalent(system, { renderers: cli(), runs: 0 });
      });
    } else {
      it(`with defaults, the hand-written cases and ${CLI_RUNS} random valid values, validated for Kubernetes`, async () => {
        const r = await expectEquivalent(system, { renderers: cli(), values: hand, runs: CLI_RUNS });
        expect(r.runs).toBe(CLI_RUNS);
        expect(r.kubernetes).toEqual(['1.30', '1.37']);
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

    it(`with defaults, the hand-written cases and ${RANDOM_RUNS} random valid values, validated for Kubernetes`, async () => {
      const r = await expectEquivalent(system, { renderers, values: hand, runs: RANDOM_RUNS });
      expect(r.runs).toBe(RANDOM_RUNS);
      expect(r.kubernetes).toEqual(['1.30', '1.37']);
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

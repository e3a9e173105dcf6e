/**
 * The in-process renderers (tools/helm-render) that carry the thousands of random cases of
 * test/equivalence.test.ts and test/schema-parity.test.ts are `helm template`: built from the very module
 * versions of the helm CLI of their release, and, on a sample of the same kinds of cases (valid values,
 * invalid values, values files), rendering exactly the documents that CLI prints or failing with exactly
 * its error.
 */
import { spawnSync } from 'node:child_process';
import { isDeepStrictEqual } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { systems } from '../lib/systems';
import { goBinary } from '../lib/tooling/go-build';
import { HELM_MAJORS, helmBinary, helmName, helmRendererPath, newestHelm } from '../lib/tooling/helm';
import { assertBatched, cliTemplate, compareRenderings, fc, invalidValues, Rendered, validValues, valuesFile } from '../lib/proof';
import { HelmRenderer } from './support/helm-render';
import { chartDir } from './support/render';

const SAMPLE = Number(process.env.HELM_RENDER_SAMPLE ?? 5);

const newest = HELM_MAJORS.map(newestHelm);

/** Module path -> version of every module linked into a Go binary (`go version -m`), local modules left out. */
function linkedModules(binary: string): Map<string, string> {
  const r = spawnSync(goBinary(), ['version', '-m', binary], { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`go version -m ${binary}: ${r.stderr}`);
  const out = new Map<string, string>();
  for (const line of r.stdout.split('\n')) {
    const [kind, mod, version] = line.trim().split('\t');
    if ((kind === 'mod' || kind === 'dep') && mod && version && !mod.startsWith('chart-as-code/')) out.set(mod, version);
  }
  return out;
}

function summary(r: Rendered): string {
  if ('docs' in r) return `${r.docs.length} documents`;
  return 'error' in r ? `error ${JSON.stringify(r.error)}` : `invalid YAML (${r.yamlError})`;
}

/**
 * What of helm's answer is the same from run to run. helm 3.18+ and 4 (jsonschema v6) report a map key
 * that `propertyNames` forbids at a location that changes between runs (any object whose schema has an
 * identical `propertyNames`), and helm 4 lists several schema errors in a changing order: so errors are
 * compared as sets of lines, without that location.
 */
function stable(r: Rendered): Rendered {
  if (!('error' in r)) return r;
  const lines = r.error.replace(/- at '[^']*': invalid propertyName/g, "- at '…': invalid propertyName").split('\n');
  return { error: lines.sort().join('\n') };
}

/** Why the renderer's answer is not exactly the CLI's, or undefined. */
function disagreement(cli: Rendered, inProcess: Rendered): string | undefined {
  if (isDeepStrictEqual(stable(cli), stable(inProcess))) return undefined;
  const hint = 'docs' in cli && 'docs' in inProcess ? `\n${compareRenderings(cli.docs, inProcess.docs).join('\n')}` : '';
  return `CLI: ${summary(cli)}\nin-process: ${summary(inProcess)}${hint}`;
}

describe.each(newest.map((r) => [helmName(r), r] as const))('the in-process %s', (_helm, release) => {
  it('links the module versions of the helm CLI of its release', () => {
    const cli = linkedModules(helmBinary(release));
    const renderer = linkedModules(helmRendererPath(release));
    expect(renderer.get(`helm.sh/helm/v${release.major}`)).toBe(`v${release.version}`);
    const different = [...renderer].filter(([mod, version]) => cli.get(mod) !== version).map(([mod, version]) => `${mod} ${version} (CLI: ${cli.get(mod) ?? 'not linked'})`);
    expect(different).toEqual([]);
  });
});

describe.each(systems.map((s) => [s.name, s] as const))('%s: in-process rendering equals helm template', (name, system) => {
  describe.each(newest.map((r) => [helmName(r), r] as const))('%s', (helm, release) => {
    let renderer: HelmRenderer;
    beforeAll(() => {
      renderer = new HelmRenderer(release, chartDir(system));
    });
    afterAll(() => renderer.close());

    /** Both renderings of one values file, and how they differ. */
    const compare = async (text: string): Promise<{ inProcess: Rendered; problem: string | undefined }> => {
      const [cli, inProcess] = await Promise.all([cliTemplate(helmBinary(release), chartDir(system), text), renderer.render(text)]);
      const problem = disagreement(cli.rendered, inProcess);
      return { inProcess, problem: problem === undefined ? undefined : `values file:\n${text}\n${problem}` };
    };

    it('with defaults', async () => {
      expect((await compare('{}')).problem).toBeUndefined();
    });

    it(`with ${SAMPLE} random valid values, ${SAMPLE} invalid values and ${SAMPLE} values files`, async () => {
      const seen = { docs: 0, error: 0 };
      await assertBatched({
        label: `${name}: in-process ${helm} vs its CLI`,
        arbitrary: fc.tuple(
          validValues(system.schema).map((v) => JSON.stringify(v)),
          invalidValues(system.schema).map((c) => JSON.stringify(c.values)),
          valuesFile(system.schema).map((f) => f.text),
        ),
        numRuns: SAMPLE,
        check: (batch) =>
          Promise.all(
            batch.map(async (texts) => {
              const compared = await Promise.all(texts.map(compare));
              for (const { inProcess } of compared) seen['docs' in inProcess ? 'docs' : 'error']++;
              const problems = compared.flatMap((c) => (c.problem === undefined ? [] : [c.problem]));
              return problems.length > 0 ? problems.join('\n\n') : undefined;
            }),
          ),
      });
      // Both outcomes were compared: rendered documents and helm's errors.
      expect(seen.docs).toBeGreaterThan(0);
      expect(seen.error).toBeGreaterThan(0);
    });
  });
});

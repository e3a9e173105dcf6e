/**
 * The equivalence and schema-parity proofs at scale: thousands of random values per chart, checked in
 * batches against the in-process renderers (./helm-render.ts) while raw synthesis runs in JavaScript,
 * with fast-check's generation, seeds and shrinking kept.
 */
import { setImmediate as yieldToIo } from 'node:timers/promises';
import { isDeepStrictEqual } from 'node:util';
import fc from 'fast-check';
import { parseValues, ValuesError } from '../../lib/core/schema';
import { ChartDefinition, synthObjects } from '../../lib/core/chart';
import { manifestsToYaml } from '../../lib/core/yaml';
import { Rendered, Renderer, Yaml2json } from './helm-render';
import type { InvalidCase } from './arbitraries';
import { compareRenderings, K8sObject, RELEASE } from './render';

/** FC_SEED=<n> replays a run; otherwise every property gets a fresh seed, printed with its results. */
export function proofSeed(): number {
  return process.env.FC_SEED === undefined ? (Date.now() ^ (Math.random() * 0x7fffffff)) | 0 : Number(process.env.FC_SEED);
}

export interface BatchedProperty<T> {
  /** Printed with the seed and the figures. */
  label: string;
  arbitrary: fc.Arbitrary<T>;
  numRuns: number;
  /** Checks many cases at once: for each, why it fails, or undefined. */
  check: (cases: T[]) => Promise<(string | undefined)[]>;
}

/** Cases per batch; two batches are in flight so the renderers work while JavaScript synthesizes. */
const BATCH = 40;

/**
 * fc.assert for checks that are cheap only in bulk: the cases fast-check would generate for `seed` are
 * sampled up front (fc.sample gives the same sequence) and checked in batches; the first failing case is
 * then replayed through fc.assert (`path`), which shrinks it and reports it with seed and path.
 */
export async function assertBatched<T>(p: BatchedProperty<T>): Promise<{ seed: number; runs: number }> {
  const seed = proofSeed();
  const t0 = performance.now();
  const cases = fc.sample(p.arbitrary, { seed, numRuns: p.numRuns });
  const t1 = performance.now();
  const failures: { index: number; message: string }[] = [];
  const inFlight: Promise<void>[] = [];
  try {
    for (let start = 0; start < cases.length; start += BATCH) {
      const job = p.check(cases.slice(start, start + BATCH)).then((results) =>
        results.forEach((message, i) => {
          if (message !== undefined) failures.push({ index: start + i, message });
        }),
      );
      inFlight.push(job);
      if (inFlight.length >= 2) await inFlight.shift();
    }
    await Promise.all(inFlight);
  } catch (e) {
    // A renderer died: report that, not also the other batch's rejection.
    for (const job of inFlight) job.catch(() => undefined);
    throw e;
  }
  const t2 = performance.now();
  const rate = Math.round((cases.length * 1000) / Math.max(1, t2 - t1));
  console.log(
    `[proof] ${p.label}: ${cases.length} cases, seed ${seed} (FC_SEED=${seed} replays), ${failures.length} failed; ` +
      `generated in ${((t1 - t0) / 1000).toFixed(1)} s, checked in ${((t2 - t1) / 1000).toFixed(1)} s (${rate}/s)`,
  );
  if (failures.length === 0) return { seed, runs: cases.length };
  const first = failures.sort((a, b) => a.index - b.index)[0]!;
  await fc.assert(
    fc.asyncProperty(p.arbitrary, async (value) => {
      const [message] = await p.check([value]);
      if (message !== undefined) throw new Error(message);
    }),
    { seed, path: String(first.index) },
  );
  throw new Error(`${p.label}: case ${first.index} of seed ${seed} failed in its batch but passed alone:\n${first.message}`);
}

/** Raw synthesis for the release the tests render, as `npm run synth` writes it (YAML text). */
export function rawManifestsYaml(system: ChartDefinition, values: unknown): string {
  const { objects } = synthObjects({
    chart: system,
    values: values as never,
    releaseName: RELEASE.name,
    namespace: RELEASE.namespace,
    managedBy: 'Helm',
    includeTests: true,
  });
  return manifestsToYaml(objects);
}

/** Raw synthesis of many values, read back as Kubernetes reads it; an Error where synthesis throws. */
async function rawBatch(system: ChartDefinition, yaml: Yaml2json, values: unknown[]): Promise<(K8sObject[] | Error)[]> {
  const out: Promise<K8sObject[] | Error>[] = [];
  for (const v of values) {
    try {
      out.push(yaml.documents(rawManifestsYaml(system, v)).catch((e: Error) => e));
    } catch (e) {
      out.push(Promise.resolve(e as Error));
    }
    await yieldToIo(); // let the renderers' answers in while synthesizing
  }
  return Promise.all(out);
}

/** The offending path, or one of its parents (a JSON Schema rule on an object names the object), appears in helm's error. */
export function helmNamesPath(error: string, path: readonly (string | number)[]): boolean {
  // A rule across root values (e.g. migrateHistory needs Recreate) is reported on the root.
  if (path.length === 0) return /\(root\)|at ''|at '\/'/.test(error);
  const text = error.replace(/\//g, '.');
  for (let n = path.length; n >= 1; n--) {
    if (text.includes(path.slice(0, n).join('.'))) return true;
  }
  // A root-level unknown key: helm names the key itself.
  if (path.length === 1 && text.includes(String(path[0]))) return true;
  // helm 4 reports a bad map key by the key alone ("invalid propertyName 'k'"), without its map's path.
  return error.includes(`invalid propertyName ${JSON.stringify(String(path[path.length - 1])).replace(/^"|"$/g, "'")}`);
}

/** Why helm's answer is not a schema rejection naming `path` (or one of `paths`), or undefined. */
export function schemaRejectionProblem(name: string, r: Rendered, paths: readonly (readonly (string | number)[])[]): string | undefined {
  if (!('error' in r)) return `${name} accepted the values`;
  if (!/schema/i.test(r.error)) return `${name} failed for another reason than the schema: ${r.error}`;
  if (!paths.some((p) => helmNamesPath(r.error, p))) return `${name} did not name ${paths.map((p) => p.join('.') || '(root)').join(' or ')}: ${r.error}`;
  return undefined;
}

/** Why helm's answer differs from the raw rendering, or undefined. */
export function renderingProblem(name: string, raw: K8sObject[] | Error, r: Rendered): string | undefined {
  if (raw instanceof Error) return `raw synthesis failed: ${raw.message}`;
  if ('error' in r) return `${name} failed: ${r.error}`;
  if ('yamlError' in r) return `${name} printed invalid YAML: ${r.yamlError}`;
  const differences = compareRenderings(raw, r.docs);
  return differences.length > 0 ? `${name}:\n${differences.join('\n')}` : undefined;
}

const joinProblems = (what: string, problems: (string | undefined)[]): string | undefined => {
  const found = problems.filter((p): p is string => p !== undefined);
  return found.length > 0 ? `${what}\n${found.join('\n')}` : undefined;
};

/** Valid values: every renderer renders exactly what raw synthesis renders. */
export function checkValid(system: ChartDefinition, renderers: Renderer[], yaml: Yaml2json) {
  return async (batch: Record<string, unknown>[]): Promise<(string | undefined)[]> => {
    const texts = batch.map((v) => JSON.stringify(v));
    const helm = renderers.map((r) => Promise.all(texts.map((t) => r.render(t))));
    const raw = await rawBatch(system, yaml, batch);
    const rendered = await Promise.all(helm);
    return batch.map((_, i) => joinProblems(`values ${texts[i]}`, renderers.map((r, j) => renderingProblem(r.name, raw[i]!, rendered[j]![i]!))));
  };
}

/** zod's rejection of `values`, or why there is none naming `path`. */
function zodRejection(system: ChartDefinition, values: unknown, path: readonly (string | number)[]): string | undefined {
  try {
    parseValues(system.name, system.schema, values);
    return 'zod accepted the values';
  } catch (e) {
    if (!(e instanceof ValuesError)) throw e;
    const prefix = path.map(String).join('.');
    const related = (p: string) => prefix === '' || (p !== '' && (p === prefix || p.startsWith(`${prefix}.`) || prefix.startsWith(`${p}.`)));
    return e.issues.some((i) => related(i.path)) ? undefined : `zod did not name ${prefix}: ${e.message}`;
  }
}

/** Invalid values: zod and every renderer reject them, naming the mutated path. */
export function checkInvalid(system: ChartDefinition, renderers: Renderer[]) {
  return async (batch: InvalidCase[]): Promise<(string | undefined)[]> => {
    const helm = await Promise.all(renderers.map((r) => Promise.all(batch.map((c) => r.render(JSON.stringify(c.values))))));
    return batch.map((c, i) =>
      joinProblems(`${c.kind} at ${c.path.join('.') || '(root)'}: ${JSON.stringify(c.values)}`, [
        zodRejection(system, c.values, c.path),
        ...renderers.map((r, j) => schemaRejectionProblem(r.name, helm[j]![i]!, [c.path])),
      ]),
    );
  };
}

/** tools/yaml2json's refusal of a map whose keys Helm reads as one key. */
const AMBIGUOUS_KEYS = /are both the key .*: Helm keeps either value/;

/** How a values file was read: as Helm reads it, and whether zod then accepted it. */
export interface FileOutcome {
  accepted: boolean;
  /** The JavaScript YAML 1.2 reading (what apps/main.ts used to do) differs from Helm's. */
  readDifferently: boolean;
}

/**
 * Values files: raw synthesis reads the text as Helm does (tools/yaml2json), and then either renders what
 * every renderer renders, or is rejected by zod where every renderer's schema check rejects it too, at a
 * path zod names.
 */
export function checkValuesFile(system: ChartDefinition, renderers: Renderer[], yaml: Yaml2json, jsReading: (text: string) => unknown, outcomes: FileOutcome[]) {
  return async (batch: { text: string }[]): Promise<(string | undefined)[]> => {
    const helm = renderers.map((r) => Promise.all(batch.map((f) => r.render(f.text))));
    const read = await Promise.all(batch.map((f) => yaml.values(f.text)));
    const accepted: unknown[] = [];
    type Verdict =
      | { kind: 'ambiguous'; error: string }
      | { kind: 'unreadable'; error: string }
      | { kind: 'accepted'; values: unknown }
      | { kind: 'rejected'; error: ValuesError };
    const verdicts = read.map((r): Verdict => {
      if ('error' in r) return AMBIGUOUS_KEYS.test(r.error) ? { kind: 'ambiguous', error: r.error } : { kind: 'unreadable', error: r.error };
      try {
        parseValues(system.name, system.schema, r.values);
        accepted.push(r.values);
        return { kind: 'accepted', values: r.values };
      } catch (e) {
        if (!(e instanceof ValuesError)) throw e;
        return { kind: 'rejected', error: e };
      }
    });
    const raw = await rawBatch(system, yaml, accepted);
    const rendered = await Promise.all(helm);
    let nextRaw = 0;
    return batch.map((f, i) => {
      const verdict = verdicts[i]!;
      const what = `values file:\n${f.text}`;
      if (verdict.kind === 'ambiguous') {
        // Two keys Helm reads as one (`on` and "true"): it keeps either value at random, so there is no
        // meaning to agree on; raw synthesis refuses the file, naming the keys.
        outcomes.push({ accepted: false, readDifferently: true });
        return undefined;
      }
      if (verdict.kind === 'unreadable') {
        // Not YAML for Helm either: every renderer must fail on the same parse error.
        outcomes.push({ accepted: false, readDifferently: false });
        return joinProblems(
          `${what}\nunreadable: ${verdict.error}`,
          renderers.map((h, j) => {
            const r = rendered[j]![i]!;
            return 'error' in r && r.error.includes(verdict.error) ? undefined : `${h.name} did not fail on it: ${JSON.stringify(r).slice(0, 300)}`;
          }),
        );
      }
      let js: unknown;
      try {
        js = jsReading(f.text);
      } catch {
        js = undefined;
      }
      const readDifferently = !isDeepStrictEqual(js, (read[i] as { values: unknown }).values);
      if (verdict.kind === 'accepted') {
        outcomes.push({ accepted: true, readDifferently });
        const r = raw[nextRaw++]!;
        return joinProblems(what, renderers.map((h, j) => renderingProblem(h.name, r, rendered[j]![i]!)));
      }
      outcomes.push({ accepted: false, readDifferently });
      const paths = verdict.error.issues.map((issue) => (issue.path === '' ? [] : issue.path.split('.')));
      return joinProblems(`${what}\nzod: ${verdict.error.message}`, renderers.map((h, j) => schemaRejectionProblem(h.name, rendered[j]![i]!, paths)));
    });
  };
}

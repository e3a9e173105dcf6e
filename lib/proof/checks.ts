/**
 * What the proofs check for each case: valid values render the same objects both ways, each of them valid
 * for the Kubernetes API (offline validation, when a validator is given); invalid values are
 * refused by zod and by values.schema.json, each naming the offending path; a values file read as Helm
 * reads it either renders the same objects both ways or is refused by both.
 */
import { setImmediate as yieldToIo } from 'node:timers/promises';
import { isDeepStrictEqual } from 'node:util';
import { ChartDefinition, synthObjects } from '../core/chart';
import { parseValues, ValuesError } from '../core/schema';
import { manifestsToYaml } from '../core/yaml';
import { compareRenderings, K8sObject, RELEASE } from './compare';
import { Rendered, Renderer, Yaml2json } from './renderers';
import { formatValidationErrors, KubeValidator, ObjectValidationError } from './validate';

/**
 * Raw synthesis for RELEASE, as `npm run synth` writes it (YAML text), `helm test` hooks included as in the
 * chart, for a cluster serving `apiVersions` (as `helm template --api-versions`).
 */
export function rawManifestsYaml(chart: ChartDefinition, values: unknown, apiVersions: readonly string[] = []): string {
  const { objects } = synthObjects({
    chart,
    values: values as never,
    releaseName: RELEASE.name,
    namespace: RELEASE.namespace,
    managedBy: 'Helm',
    includeTests: true,
    apiVersions,
  });
  return manifestsToYaml(objects);
}

/** Raw synthesis of many values, read back as Kubernetes reads it; an Error where synthesis throws. */
async function rawBatch(chart: ChartDefinition, yaml: Yaml2json, values: unknown[], apiVersions: readonly string[] = []): Promise<(K8sObject[] | Error)[]> {
  const out: Promise<K8sObject[] | Error>[] = [];
  for (const v of values) {
    try {
      out.push(yaml.documents(rawManifestsYaml(chart, v, apiVersions)).catch((e: Error) => e));
    } catch (e) {
      out.push(Promise.resolve(e as Error));
    }
    await yieldToIo(); // let the renderers' answers in while synthesizing
  }
  return Promise.all(out);
}

/** The offending path, or one of its parents (a JSON Schema rule on an object names the object), appears in helm's error. */
export function helmNamesPath(error: string, path: readonly (string | number)[]): boolean {
  // A rule across root values (e.g. migrateHistory needs Recreate) is reported on the root by JSON Schema;
  // a template rule (values-rules.yaml) names the root field it is about, every one of them below the root.
  if (path.length === 0) return /\(root\)|at ''|at '\/'|values don't meet the schema: /.test(error);
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

/**
 * For each case: which objects of raw synthesis and of each renderer the Kubernetes API refuses (one
 * validator request per version for the whole batch), or undefined. A rule a renderer breaks as raw
 * synthesis does is named once, for raw synthesis.
 */
export async function validationProblems(
  validator: KubeValidator,
  names: readonly string[],
  raw: readonly (K8sObject[] | Error)[],
  rendered: readonly (readonly Rendered[])[],
): Promise<(string | undefined)[]> {
  const sets: { case: number; who: string; objects: K8sObject[]; errors: ObjectValidationError[] }[] = [];
  raw.forEach((r, i) => {
    if (!(r instanceof Error)) sets.push({ case: i, who: 'raw synthesis', objects: r, errors: [] });
  });
  rendered.forEach((per, j) =>
    per.forEach((r, i) => {
      if ('docs' in r) sets.push({ case: i, who: names[j]!, objects: r.docs, errors: [] });
    }),
  );
  const owner: { set: number; offset: number }[] = [];
  sets.forEach((s, k) => {
    const offset = owner.length;
    s.objects.forEach(() => owner.push({ set: k, offset }));
  });
  for (const e of await validator.validate(sets.flatMap((s) => s.objects))) {
    const o = owner[e.index]!;
    sets[o.set]!.errors.push({ ...e, index: e.index - o.offset });
  }
  return raw.map((_, i) => {
    const seen = new Set<string>();
    const parts: string[] = [];
    for (const s of sets) {
      if (s.case !== i) continue;
      const lines = formatValidationErrors(s.errors).filter((l) => !seen.has(l));
      lines.forEach((l) => seen.add(l));
      if (lines.length > 0) parts.push(`${s.who} renders objects the Kubernetes API refuses:\n${lines.map((l) => `  ${l}`).join('\n')}`);
    }
    return parts.length > 0 ? parts.join('\n') : undefined;
  });
}

/**
 * Valid values: every renderer renders exactly what raw synthesis renders and, with a validator, every
 * object of both is valid for the Kubernetes API of each of its versions. `apiVersions`: raw synthesis
 * for a cluster serving them, as the renderers must render (`cliRenderer`'s `apiVersions`).
 */
export function checkValid(chart: ChartDefinition, renderers: readonly Renderer[], yaml: Yaml2json, validator?: KubeValidator, apiVersions: readonly string[] = []) {
  return async (batch: Record<string, unknown>[]): Promise<(string | undefined)[]> => {
    const texts = batch.map((v) => JSON.stringify(v));
    const helm = renderers.map((r) => Promise.all(texts.map((t) => r.render(t))));
    const raw = await rawBatch(chart, yaml, batch, apiVersions);
    const rendered = await Promise.all(helm);
    const invalid = validator
      ? await validationProblems(
          validator,
          renderers.map((r) => r.name),
          raw,
          rendered,
        )
      : [];
    return batch.map((_, i) =>
      joinProblems(`values ${texts[i]}`, [...renderers.map((r, j) => renderingProblem(r.name, raw[i]!, rendered[j]![i]!)), invalid[i]]),
    );
  };
}

/** zod's rejection of `values`, or why there is none naming `path`. */
function zodRejection(chart: ChartDefinition, values: unknown, path: readonly (string | number)[]): string | undefined {
  try {
    parseValues(chart.name, chart.schema, values);
    return 'zod accepted the values';
  } catch (e) {
    if (!(e instanceof ValuesError)) throw e;
    const prefix = path.map(String).join('.');
    const related = (p: string) => prefix === '' || (p !== '' && (p === prefix || p.startsWith(`${prefix}.`) || prefix.startsWith(`${p}.`)));
    return e.issues.some((i) => related(i.path)) ? undefined : `zod did not name ${prefix}: ${e.message}`;
  }
}

/** Values zod and values.schema.json must refuse, naming `path` (or a parent of it); InvalidCase is one. */
export interface InvalidValues {
  readonly values: Record<string, unknown>;
  readonly path: readonly (string | number)[];
  /** How they were made invalid, for the failure message. @default "invalid" */
  readonly kind?: string;
}

/** Invalid values: zod and every renderer reject them, naming the mutated path. */
export function checkInvalid(chart: ChartDefinition, renderers: readonly Renderer[]) {
  return async (batch: readonly InvalidValues[]): Promise<(string | undefined)[]> => {
    const helm = await Promise.all(renderers.map((r) => Promise.all(batch.map((c) => r.render(JSON.stringify(c.values))))));
    return batch.map((c, i) =>
      joinProblems(`${c.kind ?? 'invalid'} at ${c.path.join('.') || '(root)'}: ${JSON.stringify(c.values)}`, [
        zodRejection(chart, c.values, c.path),
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
export function checkValuesFile(chart: ChartDefinition, renderers: readonly Renderer[], yaml: Yaml2json, jsReading: (text: string) => unknown, outcomes: FileOutcome[]) {
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
        parseValues(chart.name, chart.schema, r.values);
        accepted.push(r.values);
        return { kind: 'accepted', values: r.values };
      } catch (e) {
        if (!(e instanceof ValuesError)) throw e;
        return { kind: 'rejected', error: e };
      }
    });
    const raw = await rawBatch(chart, yaml, accepted);
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

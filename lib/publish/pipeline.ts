/**
 * The publishing pipeline behind `npm run package`, `npm run publish:oci` and `npm run publish:check`:
 * package every chart, check it against what is already published (version discipline, appVersion,
 * Artifact Hub metadata, upgrade safety), then write a chart repository folder or push to a registry.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import YAML from 'yaml';
import { Output, PublishError } from './cli';
import { helm, HelmContext, helmOk, packageChart, registryFlags, RegistryOptions, renderStable, SignOptions } from './helm';
import { K8sObject } from './objects';
import { ociErrorText, PublishedSource } from './sources';
import { chartPackageFiles } from './tar';
import { formatViolation, upgradeSafety, Violation } from './upgrade-safety';
import { appVersionProblems, artifactHubProblems, ChartContent, DisciplineResult, versionDiscipline } from './version-discipline';

/** Release used for every render of the checks; both sides of a comparison use the same. */
export const CHECK_RELEASE = { name: 'release', namespace: 'default' };

export interface Candidate {
  name: string;
  version: string;
  /** Source folder of the chart. */
  dir: string;
  /** Packaged chart (in a staging folder). */
  tgz: string;
  /** Provenance file next to tgz when signed. */
  prov?: string;
  chartYaml: Record<string, unknown>;
  content: ChartContent;
}

/** Chart folders (holding a Chart.yaml) directly under `chartsDir`, sorted by name. */
export function findCharts(chartsDir: string): string[] {
  if (!fs.existsSync(chartsDir) || !fs.statSync(chartsDir).isDirectory()) throw new PublishError(`charts folder ${chartsDir} not found`);
  const dirs = fs
    .readdirSync(chartsDir, { withFileTypes: true })
    .filter((d) => d.isDirectory() && fs.existsSync(path.join(chartsDir, d.name, 'Chart.yaml')))
    .map((d) => path.join(chartsDir, d.name))
    .sort();
  if (dirs.length === 0) throw new PublishError(`no charts (folders with a Chart.yaml) in ${chartsDir}`);
  return dirs;
}

function defaultRender(ctx: HelmContext, chartRef: string): K8sObject[] {
  return renderStable(ctx, chartRef, { release: CHECK_RELEASE.name, namespace: CHECK_RELEASE.namespace });
}

/** Package contents and default render of a chart package. */
export function chartContent(ctx: HelmContext, tgz: string): ChartContent {
  return { files: chartPackageFiles(fs.readFileSync(tgz)), objects: defaultRender(ctx, tgz) };
}

/** Packages every chart folder into `stagingDir` and reads back what was packaged. */
export function packageCharts(ctx: HelmContext, chartDirs: string[], stagingDir: string, sign?: SignOptions): Candidate[] {
  const candidates: Candidate[] = [];
  const seen = new Map<string, string>();
  for (const dir of chartDirs) {
    const tgz = packageChart(ctx, dir, stagingDir, sign);
    const files = chartPackageFiles(fs.readFileSync(tgz));
    const chartYaml = YAML.parse(files.get('Chart.yaml')?.toString('utf8') ?? '') as Record<string, unknown> | null;
    if (!chartYaml || typeof chartYaml.name !== 'string') throw new PublishError(`${dir}: packaged Chart.yaml has no name`);
    const name = chartYaml.name;
    if (seen.has(name)) throw new PublishError(`two chart folders are named ${name}: ${seen.get(name)} and ${dir}`);
    seen.set(name, dir);
    candidates.push({
      name,
      version: String(chartYaml.version),
      dir,
      tgz,
      prov: sign ? `${tgz}.prov` : undefined,
      chartYaml,
      content: { files, objects: defaultRender(ctx, tgz) },
    });
  }
  return candidates;
}

export interface CheckOptions {
  ctx: HelmContext;
  /** What is already published; undefined = nothing (first publication). */
  source?: PublishedSource;
  /** Extra values files; each is one more scenario rendered for the upgrade safety check. */
  valuesFiles: string[];
  allowOlder: boolean;
  /** Scratch folder for downloaded packages. */
  workDir: string;
  out: Output;
  /** Where each chart's version is set (chart name -> "in <file> (metadata.version of defineChart(...))"); default "in Chart.yaml". */
  versionSources?: ReadonlyMap<string, string>;
}

export interface Verdict {
  candidate: Candidate;
  discipline: DisciplineResult;
  violations: Violation[];
  /** Every reason not to publish this chart (empty = fine). */
  problems: string[];
  /** True when this version should be written/pushed (new and without problems). */
  publish: boolean;
}

/** Values scenarios for the upgrade check: defaults, the user's files, and the chart's ci/*-values.yaml. */
function scenarios(chartDir: string, valuesFiles: string[]): { label: string; files: string[] }[] {
  const out = [{ label: 'default values', files: [] as string[] }];
  for (const f of valuesFiles) out.push({ label: `values ${f}`, files: [f] });
  const ci = path.join(chartDir, 'ci');
  if (fs.existsSync(ci)) {
    for (const f of fs.readdirSync(ci).filter((n) => /-values\.ya?ml$/.test(n)).sort()) out.push({ label: `values ci/${f}`, files: [path.join(ci, f)] });
  }
  return out;
}

/** Renders `previousTgz` and `candidate` per values scenario and collects upgrade-blocking changes. */
export function checkUpgrade(ctx: HelmContext, previousTgz: string, candidate: Candidate, valuesFiles: string[], out: Output): Violation[] {
  const violations: Violation[] = [];
  for (const scenario of scenarios(candidate.dir, valuesFiles)) {
    const opts = { release: CHECK_RELEASE.name, namespace: CHECK_RELEASE.namespace, valuesFiles: scenario.files };
    const next = scenario.files.length === 0 ? candidate.content.objects : renderStable(ctx, candidate.tgz, opts);
    let prev: K8sObject[];
    try {
      prev = renderStable(ctx, previousTgz, opts);
    } catch (e) {
      if (!(e instanceof PublishError)) throw e;
      out.info(`  note: the previous version cannot render with ${scenario.label}; upgrade not checked for it (${e.message.split('\n')[0]})`);
      continue;
    }
    for (const v of upgradeSafety(prev, next, { releaseNamespace: CHECK_RELEASE.namespace })) {
      violations.push(scenario.files.length === 0 ? v : { ...v, message: `${v.message} [with ${scenario.label}]` });
    }
  }
  return violations;
}

function readValues(candidate: Candidate): unknown {
  const raw = candidate.content.files.get('values.yaml');
  if (!raw) return {};
  try {
    return YAML.parse(raw.toString('utf8'));
  } catch (e) {
    throw new PublishError(`${candidate.name}: values.yaml is not valid YAML: ${(e as Error).message.split('\n')[0]}`);
  }
}

/** All checks for every candidate; prints one status line per chart. Never throws for failed checks. */
export async function checkCandidates(candidates: Candidate[], opts: CheckOptions): Promise<Verdict[]> {
  const verdicts: Verdict[] = [];
  for (const c of candidates) {
    const values = readValues(c);
    const problems = [...appVersionProblems(c.name, c.chartYaml, values), ...artifactHubProblems(c.name, c.chartYaml, values)];
    const published = opts.source ? await opts.source.publishedVersions(c.name, c.version) : [];
    const publishedContent = published.includes(c.version)
      ? chartContent(opts.ctx, await opts.source!.fetch(c.name, c.version, opts.workDir))
      : undefined;
    const discipline = versionDiscipline({
      chart: c.name,
      version: c.version,
      published,
      publishedContent,
      local: c.content,
      where: opts.source?.where,
      allowOlder: opts.allowOlder,
      releaseNamespace: CHECK_RELEASE.namespace,
      versionSource: opts.versionSources?.get(c.name),
    });
    problems.push(...discipline.problems);
    let violations: Violation[] = [];
    const isNew = discipline.status === 'first' || discipline.status === 'bumped' || discipline.status === 'older';
    if (isNew && discipline.previous !== undefined && discipline.problems.length === 0) {
      const previousTgz = await opts.source!.fetch(c.name, discipline.previous, opts.workDir);
      violations = checkUpgrade(opts.ctx, previousTgz, c, opts.valuesFiles, opts.out);
      for (const v of violations) {
        problems.push(`${c.name} ${discipline.previous} -> ${c.version}: helm upgrade would fail or not apply: ${formatViolation(v)}`);
      }
    }
    const status =
      discipline.status === 'first'
        ? 'new chart'
        : discipline.status === 'unchanged'
          ? 'already published, unchanged (skipped)'
          : discipline.status === 'changed-without-bump'
            ? 'CHANGED WITHOUT A VERSION BUMP'
            : `new version (upgrade from ${discipline.previous ?? 'nothing'}${violations.length ? ' BLOCKED' : ' checked'})`;
    opts.out.info(`${c.name} ${c.version}: ${problems.length ? `${status}; ${problems.length} problem(s)` : status}`);
    verdicts.push({ candidate: c, discipline, violations, problems, publish: isNew && problems.length === 0 });
  }
  return verdicts;
}

/** Prints every problem and throws when there is any (nothing must be written then). */
export function failOnProblems(verdicts: Verdict[], out: Output, nothingWritten: string): void {
  const problems = verdicts.flatMap((v) => v.problems);
  if (problems.length === 0) return;
  for (const p of problems) out.error(`  - ${p}`);
  throw new PublishError(`${problems.length} problem(s) found; ${nothingWritten}`);
}

/** A scratch folder removed when `fn` finishes, whatever happens. */
export async function withTempDir<T>(prefix: string, fn: (dir: string) => Promise<T>, parent = os.tmpdir()): Promise<T> {
  fs.mkdirSync(parent, { recursive: true });
  const dir = fs.mkdtempSync(path.join(parent, prefix));
  try {
    return await fn(dir);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

function moveFile(from: string, to: string): void {
  try {
    fs.renameSync(from, to);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'EXDEV') throw e;
    const tmp = `${to}.tmp-${process.pid}`;
    fs.copyFileSync(from, tmp);
    fs.renameSync(tmp, to);
    fs.rmSync(from);
  }
}

export interface WriteRepositoryOptions {
  ctx: HelmContext;
  outDir: string;
  /** Folder holding only the packages (and .prov files) to add. */
  stagingPkgDir: string;
  /** Base URL for the new entries (helm repo index --url). */
  url?: string;
  /** Existing index to merge into: out/index.yaml, else the published repository's. */
  baseIndex?: string;
}

/**
 * Adds the staged packages to the repository folder: `helm repo index --merge` builds the new index in the
 * staging folder, the packages are moved in, then index.yaml is replaced with one rename. An error before
 * the final rename leaves the old index.yaml in place (new .tgz files are harmless without index entries).
 */
export function writeRepository(opts: WriteRepositoryOptions): { indexFile: string; files: string[] } {
  const args = ['repo', 'index', opts.stagingPkgDir];
  if (opts.url) args.push('--url', opts.url);
  if (opts.baseIndex) args.push('--merge', opts.baseIndex);
  helmOk(opts.ctx, args, 'helm repo index');
  const stagedIndex = path.join(opts.stagingPkgDir, 'index.yaml');
  fs.mkdirSync(opts.outDir, { recursive: true });
  const files: string[] = [];
  for (const f of fs.readdirSync(opts.stagingPkgDir).sort()) {
    if (f === 'index.yaml') continue;
    moveFile(path.join(opts.stagingPkgDir, f), path.join(opts.outDir, f));
    files.push(f);
  }
  // Same folder as the target, so the final rename is atomic.
  const tmpIndex = path.join(opts.outDir, `.index.yaml.tmp-${process.pid}`);
  fs.copyFileSync(stagedIndex, tmpIndex);
  fs.renameSync(tmpIndex, path.join(opts.outDir, 'index.yaml'));
  return { indexFile: path.join(opts.outDir, 'index.yaml'), files };
}

/** `helm push` of one package (and its .prov, which helm uploads when it sits next to the .tgz). */
export function pushChart(ctx: HelmContext, tgz: string, target: string, registry: RegistryOptions): string {
  const r = helm(ctx, ['push', tgz, target, ...registryFlags(registry)]);
  if (r.code !== 0) throw new PublishError(`helm push ${path.basename(tgz)} ${target} failed (helm ${ctx.major}): ${ociErrorText(r.stderr)}`);
  return `${r.stdout}${r.stderr}`.trim();
}

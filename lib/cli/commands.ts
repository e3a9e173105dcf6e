/**
 * The project commands of `chart-as-code`: synth, charts, package, publish, check, diff. Each works on the
 * charts of a chart module (see project.ts); package, publish and check are the publishing commands of
 * lib/publish/commands.ts (the same code as `npm run package/publish:oci/publish:check`) run on charts
 * rendered from that module, so their messages name the defineChart that sets each version.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { ChartDefinition } from '../core/chart';
import { writeHelmCharts } from '../core/helm-chart';
import { readInputFile } from '../core/input';
import { onlyFilesEndingWith, replaceDirectory } from '../core/output';
import { ChartSource, idOf, synthManifestFiles, synthManifests } from '../core/synth';
import { readValuesYaml } from '../tooling/yaml2json';
import { HelmMajor } from '../tooling/helm';
import { OptionSpec, optionValue, Output, ParsedArgs, parseArgs, PublishError } from '../publish/cli';
import { checkCommand, CommandEnv, DEFAULT_OUT, ociCommand, packageCommand } from '../publish/commands';
import { helmContext, renderStable } from '../publish/helm';
import { brief, compareObjects, K8sObject } from '../publish/objects';
import { DirectorySource, PublishedSource, sourceFor } from '../publish/sources';
import { sortVersionsDesc } from '../publish/semver';
import { isModulePath, loadCharts, LoadedCharts, loadModule, moduleInstances, Project } from './project';

/** A usage mistake (unknown option, missing argument): exit 2. */
export class UsageError extends Error {
  override name = 'UsageError';
}

/** `diff` found differences: exit 1, not an error. */
export const DIFFERENT = Symbol('different');

const CHARTS_HELP = `  --charts <module>          the chart module: a .ts/.js file exporting defineChart(...) results (its "charts"
                             export, else its default export, else every exported chart); .ts needs tsx installed.
                             Default: "charts" of the "chart-as-code" entry in ./package.json`;

export const USAGES: Record<string, string> = {
  synth: `usage: chart-as-code synth [--charts <module>] [--out <dir>] [--chart <name>] [--values <file>]... [--namespace <ns>] [--release <name>] [--api-versions <group/version>]...
Writes the raw manifests of every chart (<dir>/<chart>.k8s.yaml), all or nothing. A module exporting
"instances" ({ chart, values, namespace } chart instances, or a function returning them) gets those
written instead, each with its own values (<dir>/<id>.k8s.yaml). Run by cdk8s synth (CDK8S_OUTDIR set, e.g.
"app: npx chart-as-code synth" in cdk8s.yaml), its output folder gets the same files.
${CHARTS_HELP}
  --out <dir>                output folder (default: $CHART_AS_CODE_DIST, else "dist" of the package.json entry, else dist/)
  --chart <name>             only this chart, or instance id (repeatable)
  --values <file>            values laid over the defaults, as helm -f reads them (repeatable; for every chart)
  --namespace <ns>           namespace of the objects (default: default)
  --release <name>           release name of the labels (default: the chart's name)
  --api-versions <g/v>       API versions the cluster serves, as helm template --api-versions (repeatable, or
                             comma-separated); security.openshift.io/v1 adapts security contexts to OpenShift
Exit: 0 written, 1 error (bad values, chart error, a folder chart-as-code did not write), 2 usage mistake.`,
  charts: `usage: chart-as-code charts [--charts <module>] [--out <dir>] [--chart <name>]
Writes one Helm chart per chart definition (<dir>/<chart>/: templates, values.yaml, values.schema.json, README).
${CHARTS_HELP}
  --out <dir>                output folder (default: "out" of the package.json entry, else charts/)
  --chart <name>             only this chart (repeatable)
Exit: 0 written, 1 error, 2 usage mistake.`,
  package: `usage: chart-as-code package [--charts <module|dir>] [options]
Renders the charts from the chart module, checks them (see check) and adds new versions to a chart
repository folder (writes or merges its index.yaml). With --charts <dir>, packages the chart folders there.
${CHARTS_HELP}
  --out <dir>                repository folder (default: ${DEFAULT_OUT}/)
  --url <baseURL>            URL the repository is served at (absolute package URLs in index.yaml)
  --against <dir|URL|oci://> where the published versions are (default: the --out folder's index.yaml)
  --sign --key <name> --keyring <secring.gpg> [--passphrase-file <f>]   sign the packages
  --values <file>            extra values scenario for the upgrade check (repeatable)
  --allow-older, --helm 3|4, --plain-http, --insecure-skip-tls-verify, --ca-file, --cert-file, --key-file
Exit: 0 written (or nothing new), 1 a check failed or error (nothing written), 2 usage mistake.`,
  publish: `usage: chart-as-code publish oci://<host>[:port]/<path> [--charts <module|dir>] [options]
Renders and checks the charts (see check), then pushes new versions to an OCI registry
(log in first: helm registry login <host>).
${CHARTS_HELP}
  --sign --key <name> --keyring <secring.gpg> [--passphrase-file <f>]   sign the packages
  --values <file>            extra values scenario for the upgrade check (repeatable)
  --allow-older, --helm 3|4, --plain-http, --insecure-skip-tls-verify, --ca-file, --cert-file, --key-file
Exit: 0 pushed (or nothing new), 1 a check failed or error (nothing pushed), 2 usage mistake.`,
  check: `usage: chart-as-code check [--charts <module|dir>] [--against <dir|URL|oci://>] [options]
Checks every chart against the published versions without writing anything. Version discipline: a chart
whose rendered output or files changed must have a new metadata.version in its defineChart (the objects and
fields that changed are listed); upgrade safety: a change helm upgrade cannot apply (an immutable selector,
a StatefulSet's volumeClaimTemplates, ...) is refused; appVersion = image.tag; Artifact Hub annotations.
${CHARTS_HELP}
  --against <dir|URL|oci://> where the published versions are (default: ${DEFAULT_OUT}/ when it has an index.yaml)
  --values <file>            extra values scenario for the upgrade check (repeatable)
  --allow-older              accept a new version lower than the latest published one (maintenance releases)
  --helm 3|4, --plain-http, --insecure-skip-tls-verify, --ca-file, --cert-file, --key-file
Exit: 0 all checks passed, 1 a check failed or error, 2 usage mistake.`,
  diff: `usage: chart-as-code diff [--charts <module>] [--against <dir|URL|oci://>] [--from <version>] [--to <version>] [--values <file>]...
Object-level difference of the rendered output (helm template, random values masked) of each chart: from
a published version (default: the latest at --against) to the current code (or to --to <version>).
Prints per object (kind namespace/name) whether it is added (+), removed (-) or changed (~), with the
changed fields.
${CHARTS_HELP}
  --against <dir|URL|oci://> where the published versions are (default: ${DEFAULT_OUT}/ when it has an index.yaml)
  --from <version>           the version to compare from (default: the latest published)
  --to <version>             a published version to compare to (default: the current code)
  --chart <name>             only this chart (repeatable)
  --values <file>            values files for both renders, in order, as helm -f (repeatable)
  --namespace <ns>, --release <name>   release of the renders (default: default, release)
  --helm 3|4, --plain-http, --insecure-skip-tls-verify, --ca-file, --cert-file, --key-file
Exit: 0 no difference, 1 different, 2 error.`,
};

function parse(command: string, argv: string[], values: string[], flags: string[] = [], repeatable: string[] = []): ParsedArgs {
  const spec: OptionSpec = { values, flags, repeatable };
  try {
    return parseArgs(argv, spec, USAGES[command]!);
  } catch (e) {
    throw new UsageError((e as Error).message.split('\n')[0]!);
  }
}

/** The chart module of --charts or package.json; undefined when --charts names a folder of chart folders. */
function chartModule(project: Project, args: ParsedArgs): string | undefined {
  const given = optionValue(args, 'charts');
  if (given !== undefined) return isModulePath(project.root, given) ? given : undefined;
  if (project.config.charts !== undefined) return project.config.charts;
  throw new UsageError('no charts: give --charts <module>, or set "chart-as-code": {"charts": "<module>"} in package.json');
}

function load(project: Project, args: ParsedArgs): LoadedCharts {
  const module = chartModule(project, args);
  if (module === undefined) throw new UsageError(`--charts ${optionValue(args, 'charts')}: this command needs a chart module (.ts/.js), not a folder`);
  return loadCharts(project.root, module);
}

function selected(charts: LoadedCharts, args: ParsedArgs): ChartDefinition[] {
  const names = args.values.get('chart');
  if (!names) return charts.definitions;
  const known = charts.definitions.map((d) => d.name);
  for (const n of names) if (!known.includes(n)) throw new PublishError(`--chart ${n}: no such chart in ${path.relative(process.cwd(), charts.module)} (charts: ${known.join(', ')})`);
  return charts.definitions.filter((d) => names.includes(d.name));
}

function existing(file: string, option: string): string {
  const p = path.resolve(file);
  if (!fs.existsSync(p)) throw new PublishError(`${option} ${file}: file not found`);
  return p;
}

const rel = (p: string) => path.relative(process.cwd(), p) || '.';

/** `chart-as-code synth`: raw manifests of every chart, or of the module's `instances`. */
export function synthCommand(argv: string[], project: Project, out: Output): void {
  const args = parse('synth', argv, ['charts', 'out', 'chart', 'values', 'namespace', 'release', 'api-versions'], [], ['chart', 'values', 'api-versions']);
  if (args.positional.length > 0) throw new UsageError(`unexpected argument ${args.positional[0]}`);
  const modulePath = chartModule(project, args);
  if (modulePath === undefined) throw new UsageError(`--charts ${optionValue(args, 'charts')}: this command needs a chart module (.ts/.js), not a folder`);
  const module = loadModule(project.root, modulePath);
  const instances = moduleInstances(modulePath, module.exports);
  let sources: ChartSource[];
  if (instances) {
    for (const option of ['values', 'namespace', 'release', 'api-versions']) {
      if (args.values.has(option)) throw new UsageError(`--${option}: ${modulePath} exports instances, which give their own values, namespace and release`);
    }
    const names = args.values.get('chart');
    const known = instances.map(idOf);
    for (const n of names ?? []) if (!known.includes(n)) throw new PublishError(`--chart ${n}: no such instance in ${modulePath} (instances: ${known.join(', ')})`);
    sources = names ? instances.filter((i) => names.includes(idOf(i))) : instances;
  } else {
    const defs = selected(loadCharts(project.root, modulePath), args);
    // Values files read as `helm -f` reads them, laid over each other in order, then over the defaults.
    const overrides = (args.values.get('values') ?? []).map((f) => readValuesYaml(readInputFile(f, { what: `--values ${f}` }), f)).reduce<Record<string, unknown>>((acc, o) => mergeValues(acc, o), {});
    const namespace = optionValue(args, 'namespace');
    const releaseName = optionValue(args, 'release');
    const apiVersions = apiVersionsOf(args.values.get('api-versions') ?? []);
    sources = defs.map((chart) => ({ chart, namespace, releaseName, apiVersions, overrides }));
  }
  const dist = path.resolve(project.root, optionValue(args, 'out') ?? process.env.CHART_AS_CODE_DIST ?? project.config.dist ?? 'dist');
  const cdk8sOut = process.env.CDK8S_OUTDIR;
  let written: string[];
  if (cdk8sOut !== undefined && cdk8sOut !== '' && path.resolve(cdk8sOut) !== dist) {
    // Run by `cdk8s synth` (as the app of cdk8s.yaml): it empties its output directory, then lists it (and its
    // validation plugins read it), so that gets the same files; first, so a refusal of either leaves dist as it was.
    const files = synthManifestFiles(sources);
    const previousOutput = onlyFilesEndingWith('.k8s.yaml');
    replaceDirectory(cdk8sOut, files, { previousOutput });
    replaceDirectory(dist, files, { previousOutput });
    written = [...files.keys()];
  } else written = synthManifests(sources, dist);
  for (const f of written) out.info(`wrote ${rel(path.join(dist, f))}`);
}

/** `--api-versions` as helm reads it: repeatable and comma-separated; each `group/version` or `version` (optionally `/Kind`). */
function apiVersionsOf(given: readonly string[]): string[] {
  const versions = given.flatMap((g) => g.split(','));
  const bad = versions.find((v) => !/^([a-z0-9]([-a-z0-9.]*[a-z0-9])?\/)?v[0-9][a-z0-9]*(\/[A-Za-z][A-Za-z0-9]*)?$/.test(v));
  if (bad !== undefined) throw new UsageError(`--api-versions ${JSON.stringify(bad)}: not an API version (group/version, e.g. security.openshift.io/v1)`);
  return versions;
}

/** Helm's coalescing of two values files: maps merge, everything else replaces. */
function mergeValues(a: Record<string, unknown>, b: Record<string, unknown>): Record<string, unknown> {
  const outv: Record<string, unknown> = { ...a };
  for (const [k, v] of Object.entries(b)) {
    const old = outv[k];
    const isMap = (x: unknown): x is Record<string, unknown> => typeof x === 'object' && x !== null && !Array.isArray(x);
    outv[k] = isMap(old) && isMap(v) ? mergeValues(old, v) : v;
  }
  return outv;
}

/** `chart-as-code charts`: one Helm chart folder per chart, each swapped in whole. */
export function chartsCommand(argv: string[], project: Project, out: Output): void {
  const args = parse('charts', argv, ['charts', 'out', 'chart'], [], ['chart']);
  if (args.positional.length > 0) throw new UsageError(`unexpected argument ${args.positional[0]}`);
  const charts = load(project, args);
  const outDir = path.resolve(project.root, optionValue(args, 'out') ?? project.config.out ?? 'charts');
  for (const { name, files } of writeHelmCharts(selected(charts, args), outDir)) out.info(`wrote ${rel(path.join(outDir, name))}/ (${files} files)`);
}

/** Runs `fn` with the chart folders rendered from the chart module (or none, for --charts <dir>). */
async function withRenderedCharts(project: Project, argv: string[], fn: (argv: string[], env: Partial<CommandEnv>) => Promise<void>): Promise<void> {
  // Only --charts is looked at here; the publishing command parses (and checks) every option itself.
  const args = parse('check', argv.filter((a, i) => a.startsWith('--charts') || argv[i - 1] === '--charts'), ['charts']);
  const module = chartModule(project, args);
  if (module === undefined) return fn(argv, {});
  const charts = loadCharts(project.root, module);
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'chart-as-code-charts-'));
  try {
    writeHelmCharts(charts.definitions, dir);
    const rest = argv.filter((a, i) => !(a.startsWith('--charts') || argv[i - 1] === '--charts'));
    await fn(rest, { chartDirs: charts.definitions.map((d) => path.join(dir, d.name)), versionSources: charts.versionSources });
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

export function packageCli(argv: string[], project: Project, out: Output): Promise<void> {
  return withRenderedCharts(project, argv, (a, env) => packageCommand(a, { ...env, out, root: project.root }));
}

export function publishCli(argv: string[], project: Project, out: Output): Promise<void> {
  return withRenderedCharts(project, argv, (a, env) => ociCommand(a, { ...env, out, root: project.root }));
}

export function checkCli(argv: string[], project: Project, out: Output): Promise<void> {
  return withRenderedCharts(project, argv, (a, env) => checkCommand(a, { ...env, out, root: project.root }));
}

interface Side {
  label: string;
  objects: K8sObject[];
}

/** `chart-as-code diff`: returns DIFFERENT when any chart's render differs. */
export async function diffCommand(argv: string[], project: Project, out: Output): Promise<typeof DIFFERENT | void> {
  const registryFlags = ['plain-http', 'insecure-skip-tls-verify'];
  const args = parse('diff', argv, ['charts', 'against', 'from', 'to', 'chart', 'values', 'namespace', 'release', 'helm', 'ca-file', 'cert-file', 'key-file'], registryFlags, ['chart', 'values']);
  if (args.positional.length > 0) throw new UsageError(`unexpected argument ${args.positional[0]}`);
  const helmOpt = optionValue(args, 'helm');
  if (helmOpt !== undefined && helmOpt !== '3' && helmOpt !== '4') throw new UsageError(`--helm must be 3 or 4, not ${helmOpt}`);
  const ctx = helmContext(helmOpt === undefined ? undefined : (Number(helmOpt) as HelmMajor));
  const registry = {
    plainHttp: args.flags.has('plain-http'),
    insecureSkipTlsVerify: args.flags.has('insecure-skip-tls-verify'),
    caFile: optionValue(args, 'ca-file'),
    certFile: optionValue(args, 'cert-file'),
    keyFile: optionValue(args, 'key-file'),
  };
  const charts = load(project, args);
  const defs = selected(charts, args);
  const valuesFiles = (args.values.get('values') ?? []).map((f) => existing(f, '--values'));
  const release = { release: optionValue(args, 'release') ?? 'release', namespace: optionValue(args, 'namespace') ?? 'default', valuesFiles };
  const against = optionValue(args, 'against');
  const defaultDir = path.resolve(project.root, DEFAULT_OUT);
  const source: PublishedSource | undefined =
    against !== undefined ? sourceFor(against, ctx, registry) : fs.existsSync(path.join(defaultDir, 'index.yaml')) ? new DirectorySource(defaultDir) : undefined;
  const from = optionValue(args, 'from');
  const to = optionValue(args, 'to');
  if (to !== undefined && source === undefined) throw new PublishError(`--to ${to}: give --against <repository> to compare published versions`);
  if (from !== undefined && source === undefined) throw new PublishError(`--from ${from}: give --against <repository> (no ${rel(defaultDir)}/index.yaml)`);

  const work = fs.mkdtempSync(path.join(os.tmpdir(), 'chart-as-code-diff-'));
  let different = false;
  try {
    const chartsDir = path.join(work, 'charts');
    if (to === undefined) writeHelmCharts(defs, chartsDir);
    const published = async (name: string, version: string): Promise<Side> => {
      const versions = await source!.publishedVersions(name, version);
      if (!versions.includes(version)) throw new PublishError(`${name} ${version} is not published at ${source!.where} (published: ${sortVersionsDesc(versions).join(', ') || 'none'})`);
      const tgz = await source!.fetch(name, version, work);
      return { label: `${name} ${version} (${source!.where})`, objects: renderStable(ctx, tgz, release) };
    };
    for (const def of defs) {
      let before: Side;
      if (from !== undefined) before = await published(def.name, from);
      else {
        const latest = source ? sortVersionsDesc(await source.publishedVersions(def.name, def.metadata.version))[0] : undefined;
        before = latest !== undefined ? await published(def.name, latest) : { label: `${def.name}: nothing published${source ? ` at ${source.where}` : ' (no --against)'}`, objects: [] };
      }
      const after: Side =
        to !== undefined
          ? await published(def.name, to)
          : { label: `${def.name} ${def.metadata.version} (current code, ${path.relative(process.cwd(), charts.module)})`, objects: renderStable(ctx, path.join(chartsDir, def.name), release) };
      out.info(`--- ${before.label}`);
      out.info(`+++ ${after.label}`);
      const changes = compareObjects(before.objects, after.objects, release.namespace);
      for (const o of changes.removed) out.info(`- ${o}`);
      for (const o of changes.added) out.info(`+ ${o}`);
      for (const c of changes.changed) {
        out.info(`~ ${c.object}`);
        for (const d of c.diffs) out.info(`    ${d.path || '(whole)'}: ${brief(d.old, 200)} -> ${brief(d.new, 200)}`);
      }
      const n = changes.added.length + changes.removed.length + changes.changed.length;
      out.info(n === 0 ? `${def.name}: no difference` : `${def.name}: ${changes.changed.length} changed, ${changes.added.length} added, ${changes.removed.length} removed`);
      if (n > 0) different = true;
    }
  } finally {
    fs.rmSync(work, { recursive: true, force: true });
  }
  return different ? DIFFERENT : undefined;
}

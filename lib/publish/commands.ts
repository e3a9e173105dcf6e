/**
 * The publishing commands (thin wrappers in scripts/publish/ call these):
 *
 *   npm run package -- [--out <dir>] [--url <baseURL>] [--against <repo>] [--sign --key <name> --keyring <secring.gpg>]
 *   npm run publish:oci -- oci://host[:port]/path [--plain-http] [--sign ...]
 *   npm run publish:check -- [--against <dir|https://...|oci://...>]
 *
 * Every command packages all charts first, checks them all, and writes or pushes nothing unless every
 * check passes.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { HelmMajor, repoRoot } from '../tooling/helm';
import { redactText } from '../core/redact';
import { consoleOutput, OptionSpec, optionValue, Output, ParsedArgs, parseArgs, PublishError, redacting } from './cli';
import { helmContext, HelmContext, RegistryOptions, SignOptions, validateSignOptions } from './helm';
import { checkCandidates, failOnProblems, findCharts, packageCharts, pushChart, withTempDir, writeRepository } from './pipeline';
import { DirectorySource, OciSource, PublishedSource, sourceFor } from './sources';

export const DEFAULT_OUT = 'packages';

const COMMON_VALUES = ['charts', 'helm', 'values', 'ca-file', 'cert-file', 'key-file', 'key', 'keyring', 'passphrase-file'];
const COMMON_FLAGS = ['allow-older', 'plain-http', 'insecure-skip-tls-verify', 'sign'];

const COMMON_HELP = `  --charts <dir>             charts to publish (default: charts/)
  --values <file>            extra values scenario for the upgrade check (repeatable; charts' ci/*-values.yaml are used too)
  --allow-older              accept a new version lower than the latest published one (maintenance releases)
  --helm 3|4                 helm major to use (default: 3 when available)
  --plain-http, --insecure-skip-tls-verify, --ca-file <f>, --cert-file <f>, --key-file <f>
                             how to reach an OCI registry (helm's flags of the same names)`;

const SIGN_HELP = `  --sign --key <name> --keyring <secring.gpg> [--passphrase-file <f>]
                             sign the packages (writes <chart>-<version>.tgz.prov); the keyring is a legacy
                             GnuPG secret keyring: gpg --export-secret-keys <name> > secring.gpg`;

export const PACKAGE_USAGE = `usage: npm run package -- [options]
Packages every chart into a chart repository folder and writes or merges its index.yaml.
  --out <dir>                repository folder (default: ${DEFAULT_OUT}/)
  --url <baseURL>            URL the repository is served at (absolute package URLs in index.yaml)
  --against <dir|URL|oci://> where the last published versions are (default: the --out folder's index.yaml);
                             with an http(s) URL and no index.yaml in --out, new entries are merged into that index
${SIGN_HELP}
${COMMON_HELP}`;

export const OCI_USAGE = `usage: npm run publish:oci -- oci://<host>[:port]/<path> [options]
Packages every chart and pushes new versions to an OCI registry (log in first: helm registry login <host>).
${SIGN_HELP}
${COMMON_HELP}`;

export const CHECK_USAGE = `usage: npm run publish:check -- [--against <dir|URL|oci://>] [options]
Checks every chart against the published versions without writing anything: version bumped when content
changed, appVersion = image.tag, Artifact Hub annotations, and upgrade safety (immutable fields).
  --against <dir|URL|oci://> where the published versions are (default: ${DEFAULT_OUT}/ when it has an index.yaml)
${COMMON_HELP}`;

function spec(values: string[], flags: string[] = []): OptionSpec {
  return { values: [...COMMON_VALUES, ...values], flags: [...COMMON_FLAGS, ...flags], repeatable: ['values'] };
}

interface Common {
  ctx: HelmContext;
  chartDirs: string[];
  valuesFiles: string[];
  allowOlder: boolean;
  registry: RegistryOptions;
  sign?: SignOptions;
}

export interface CommandEnv {
  /** Extra environment for helm (tests point HELM_REGISTRY_CONFIG at a scratch file). */
  helmEnv?: Record<string, string>;
  out?: Output;
  /** Base for relative paths and defaults (default: the repository root). */
  root?: string;
  /** Chart folders to package instead of --charts (the CLI renders them from the chart module). */
  chartDirs?: string[];
  /** Where each chart's version is set, for messages (chart name -> "in <file> (metadata.version of defineChart(...))"). */
  versionSources?: ReadonlyMap<string, string>;
}

function existingFile(file: string, option: string): string {
  const resolved = path.resolve(file);
  if (!fs.existsSync(resolved)) throw new PublishError(`${option} ${file}: file not found`);
  return resolved;
}

function common(args: ParsedArgs, env: CommandEnv, usage: string, allowSign: boolean): Common {
  const root = env.root ?? repoRoot();
  const helmOpt = optionValue(args, 'helm');
  if (helmOpt !== undefined && helmOpt !== '3' && helmOpt !== '4') throw new PublishError(`--helm must be 3 or 4, not ${helmOpt}\n${usage}`);
  const ctx = helmContext(helmOpt === undefined ? undefined : (Number(helmOpt) as HelmMajor), env.helmEnv);
  const chartsDir = path.resolve(root, optionValue(args, 'charts') ?? 'charts');
  const registry: RegistryOptions = {
    plainHttp: args.flags.has('plain-http'),
    insecureSkipTlsVerify: args.flags.has('insecure-skip-tls-verify'),
  };
  for (const [opt, key] of [['ca-file', 'caFile'], ['cert-file', 'certFile'], ['key-file', 'keyFile']] as const) {
    const v = optionValue(args, opt);
    if (v !== undefined) registry[key] = existingFile(v, `--${opt}`);
  }
  let sign: SignOptions | undefined;
  const key = optionValue(args, 'key');
  const keyring = optionValue(args, 'keyring');
  const passphraseFile = optionValue(args, 'passphrase-file');
  if (args.flags.has('sign')) {
    if (!allowSign) throw new PublishError(`--sign is not available here\n${usage}`);
    if (key === undefined || keyring === undefined) throw new PublishError(`--sign needs --key <name> and --keyring <secring.gpg>\n${usage}`);
    sign = { key, keyring: path.resolve(keyring), passphraseFile: passphraseFile === undefined ? undefined : path.resolve(passphraseFile) };
    validateSignOptions(sign);
  } else if (key !== undefined || keyring !== undefined || passphraseFile !== undefined) {
    throw new PublishError(`--key, --keyring and --passphrase-file only apply with --sign\n${usage}`);
  }
  return {
    ctx,
    chartDirs: env.chartDirs ?? findCharts(chartsDir),
    valuesFiles: (args.values.get('values') ?? []).map((f) => existingFile(f, '--values')),
    allowOlder: args.flags.has('allow-older'),
    registry,
    sign,
  };
}

/** `npm run package`. */
export async function packageCommand(argv: string[], env: CommandEnv = {}): Promise<void> {
  const out = redacting(env.out ?? consoleOutput);
  const args = parseArgs(argv, spec(['out', 'url', 'against']), PACKAGE_USAGE);
  if (args.positional.length > 0) throw new PublishError(`unexpected argument ${args.positional[0]}\n${PACKAGE_USAGE}`);
  const c = common(args, env, PACKAGE_USAGE, true);
  const root = env.root ?? repoRoot();
  const outOpt = optionValue(args, 'out');
  const outDir = path.resolve(root, outOpt ?? DEFAULT_OUT);
  if (fs.existsSync(outDir) && !fs.statSync(outDir).isDirectory()) throw new PublishError(`--out ${outDir} is not a folder`);
  const url = optionValue(args, 'url');
  if (url !== undefined && !/^https?:\/\/[^/]/i.test(url)) throw new PublishError(`--url must be an http(s) URL, not ${redactText(url)}`);
  // The URL is written into index.yaml, which is published: credentials there would be public.
  if (url !== undefined && redactText(url) !== url) throw new PublishError(`--url ${redactText(url)}: must not hold a password (it is written into the published index.yaml)`);
  const against = optionValue(args, 'against');
  const localIndex = path.join(outDir, 'index.yaml');
  const source: PublishedSource | undefined =
    against !== undefined ? sourceFor(against, c.ctx, c.registry) : fs.existsSync(localIndex) ? new DirectorySource(outDir) : undefined;

  // Staging sits next to the output folder so the final moves are renames on one filesystem.
  await withTempDir(
    `.${path.basename(outDir)}.staging-`,
    async (staging) => {
      const pkgDir = path.join(staging, 'packages');
      const work = path.join(staging, 'work');
      fs.mkdirSync(pkgDir);
      fs.mkdirSync(work);
      out.info(`packaging ${c.chartDirs.length} chart(s) with helm ${c.ctx.major}${c.sign ? `, signed with "${c.sign.key}"` : ''}`);
      out.info(source ? `published versions: ${source.where}` : 'published versions: none yet (no index.yaml)');
      const candidates = packageCharts(c.ctx, c.chartDirs, pkgDir, c.sign);
      const verdicts = await checkCandidates(candidates, { ctx: c.ctx, source, valuesFiles: c.valuesFiles, allowOlder: c.allowOlder, workDir: work, out, versionSources: env.versionSources });
      failOnProblems(verdicts, out, `nothing was written to ${outDir}`);
      for (const v of verdicts) {
        if (v.publish) continue;
        fs.rmSync(v.candidate.tgz, { force: true });
        if (v.candidate.prov) fs.rmSync(v.candidate.prov, { force: true });
      }
      const toPublish = verdicts.filter((v) => v.publish);
      if (toPublish.length === 0) {
        out.info(`nothing new to publish; ${outDir} unchanged`);
        return;
      }
      let baseIndex: string | undefined;
      if (fs.existsSync(localIndex)) baseIndex = localIndex;
      else if (source && !(source instanceof OciSource) && !(source instanceof DirectorySource && source.dir === outDir)) {
        const text = await source.indexText();
        if (text !== undefined) {
          baseIndex = path.join(work, 'published-index.yaml');
          fs.writeFileSync(baseIndex, text);
          out.info(`merging into the index of ${source.where}`);
        }
      }
      const isDefaultOut = outOpt === undefined;
      const written = writeRepository({ ctx: c.ctx, outDir, stagingPkgDir: pkgDir, url, baseIndex });
      if (isDefaultOut && !fs.existsSync(path.join(outDir, '.gitignore'))) {
        // The default output folder is build output: keep it out of git without touching the repo's .gitignore.
        fs.writeFileSync(path.join(outDir, '.gitignore'), '# Written by npm run package: build output, not source.\n*\n');
      }
      for (const f of written.files) out.info(`wrote ${path.relative(process.cwd(), path.join(outDir, f)) || f}`);
      out.info(`wrote ${path.relative(process.cwd(), written.indexFile)} (${baseIndex ? 'merged' : 'new'}${url ? `, URLs under ${url}` : ', relative URLs'})`);
    },
    path.dirname(outDir),
  );
}

/** `npm run publish:oci`. */
export async function ociCommand(argv: string[], env: CommandEnv = {}): Promise<void> {
  const out = redacting(env.out ?? consoleOutput);
  const args = parseArgs(argv, spec([]), OCI_USAGE);
  if (args.positional.length !== 1) throw new PublishError(`expected exactly one oci://<host>/<path> target\n${OCI_USAGE}`);
  const target = args.positional[0]!.replace(/\/+$/, '');
  if (!/^oci:\/\/[^/]+/.test(target)) throw new PublishError(`the target must look like oci://<host>[:port]/<path>, not ${redactText(target)}`);
  const c = common(args, env, OCI_USAGE, true);
  const source = new OciSource(target, c.ctx, c.registry);
  await withTempDir('chart-publish-oci-', async (staging) => {
    const pkgDir = path.join(staging, 'packages');
    const work = path.join(staging, 'work');
    fs.mkdirSync(pkgDir);
    fs.mkdirSync(work);
    out.info(`packaging ${c.chartDirs.length} chart(s) with helm ${c.ctx.major}${c.sign ? `, signed with "${c.sign.key}"` : ''}`);
    out.info(`published versions: ${target}`);
    const candidates = packageCharts(c.ctx, c.chartDirs, pkgDir, c.sign);
    const verdicts = await checkCandidates(candidates, { ctx: c.ctx, source, valuesFiles: c.valuesFiles, allowOlder: c.allowOlder, workDir: work, out, versionSources: env.versionSources });
    failOnProblems(verdicts, out, `nothing was pushed to ${target}`);
    const toPush = verdicts.filter((v) => v.publish);
    if (toPush.length === 0) {
      out.info(`nothing new to push to ${target}`);
      return;
    }
    const pushed: string[] = [];
    for (const v of toPush) {
      try {
        pushChart(c.ctx, v.candidate.tgz, target, c.registry);
      } catch (e) {
        if (pushed.length > 0 && e instanceof PublishError) {
          throw new PublishError(`${e.message}\nalready pushed: ${pushed.join(', ')}; run the command again to push the rest`);
        }
        throw e;
      }
      pushed.push(`${v.candidate.name} ${v.candidate.version}`);
      out.info(`pushed ${source.ref(v.candidate.name)}:${v.candidate.version.replace(/\+/g, '_')}${v.candidate.prov ? ' (with provenance)' : ''}`);
    }
  });
}

/** `npm run publish:check`. */
export async function checkCommand(argv: string[], env: CommandEnv = {}): Promise<void> {
  const out = redacting(env.out ?? consoleOutput);
  const args = parseArgs(argv, spec(['against']), CHECK_USAGE);
  if (args.positional.length > 0) throw new PublishError(`unexpected argument ${args.positional[0]}\n${CHECK_USAGE}`);
  const c = common(args, env, CHECK_USAGE, false);
  const root = env.root ?? repoRoot();
  const against = optionValue(args, 'against');
  const defaultDir = path.resolve(root, DEFAULT_OUT);
  const source: PublishedSource | undefined =
    against !== undefined
      ? sourceFor(against, c.ctx, c.registry)
      : fs.existsSync(path.join(defaultDir, 'index.yaml'))
        ? new DirectorySource(defaultDir)
        : undefined;
  await withTempDir('chart-publish-check-', async (staging) => {
    const work = path.join(staging, 'work');
    fs.mkdirSync(work);
    out.info(source ? `published versions: ${source.where}` : 'published versions: none given (--against); checking metadata only');
    const candidates = packageCharts(c.ctx, c.chartDirs, staging);
    const verdicts = await checkCandidates(candidates, { ctx: c.ctx, source, valuesFiles: c.valuesFiles, allowOlder: c.allowOlder, workDir: work, out, versionSources: env.versionSources });
    failOnProblems(verdicts, out, 'fix them before publishing');
    out.info('all checks passed');
  });
}

#!/usr/bin/env node
/**
 * The chart-as-code command line (`npx chart-as-code <command>`; in this repository
 * `npx tsx lib/cli/index.ts <command>`). See COMMANDS_USAGE and USAGES (lib/cli/commands.ts).
 *
 * synth, charts, package, publish, check and diff work on the charts of a chart module (lib/cli/project.ts).
 *
 * convert-values converts a values file of OPSWAT's own chart to this project's values (to --out, else stdout), writes a
 * report of every vendor key that is set (to --report) and the vendor's credentials as Secrets (to
 * --secrets-out, mode 0600). Every failure is one line naming the file or flag, exit 1 (2 for a usage
 * mistake), and leaves no file behind.
 */
import { randomBytes } from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import YAML from 'yaml';
import { InputError, readInputFile } from '../core/input';
import { ValuesError } from '../core/schema';
import { consoleOutput, Output, PublishError } from '../publish/cli';
import { checkCli, chartsCommand, diffCommand, DIFFERENT, packageCli, publishCli, synthCommand, UsageError as CommandUsageError, USAGES } from './commands';
import { readProject } from './project';
import { convertVendorValues, isNamespace, reportMarkdown, secretsManifest, UnknownVendorKeysError, VENDOR_CHARTS, VendorChart, VendorValueError } from '../convert/vendor-values';

export const COMMANDS_USAGE = `usage: chart-as-code <command> [options]     (chart-as-code <command> --help for its options)

  synth            raw Kubernetes manifests of every chart          (dist/<chart>.k8s.yaml)
  charts           one Helm chart per chart                         (charts/<chart>/)
  package          check, then add new versions to a chart repository folder (packages/)
  publish          check, then push new versions to an OCI registry
  check            version discipline and upgrade safety against the published versions
  diff             object-level difference of the rendered output: published version -> current code
  convert-values   a values file of OPSWAT's charts -> ours

The charts are found in a chart module: --charts <module>, or "chart-as-code": {"charts": "src/charts.ts"}
in ./package.json (also "dist" and "out": the folders of synth and charts). A .ts module needs tsx installed.

  -h, --help       this text
  --version        the version of chart-as-code`;

const USAGE = `usage: chart-as-code convert-values --from ${VENDOR_CHARTS.join('|')} <file> [--out values.yaml] [--report report.md]
                                      [--secrets-out secrets.yaml] [--namespace <ns>] [--in-place]
       chart-as-code --help | --version

  --from         the vendor chart the values file is for
  --out          where to write our values (default: standard output)
  --report       where to write the report of every vendor key (Markdown)
  --secrets-out  where to write the vendor values' credentials (licence key, passwords, tokens) as Secret
                 manifests, mode 0600; never overwritten. Without it the report gives the commands that
                 create those Secrets from files. Our values name the Secrets (existingSecret) either way.
  --namespace    namespace of the Secrets and of the report's commands, and for <APP_NAMESPACE> in host names
  --in-place     values for replacing a running release of the vendor chart with \`helm upgrade\`
                 (vendor selectors, the vendor's database claim and Secrets)
  -h, --help     this text
  --version      the version of chart-as-code`;

/**
 * YAML aliases resolved at most per input: the vendor charts' values use none, and a bounded count stops an
 * alias bomb (a few lines expanding to gigabytes) before it is expanded.
 */
export const MAX_YAML_ALIASES = 100;

/** A usage mistake: one line, exit 2. */
class UsageError extends Error {}

/** An output path that cannot be written: one line naming the flag and path, exit 1. */
class OutputError extends Error {}

interface Args {
  from: VendorChart;
  file: string;
  out?: string;
  report?: string;
  secretsOut?: string;
  namespace?: string;
  inPlace: boolean;
}

const VALUE_FLAGS = { '--from': 'from', '--out': 'out', '--report': 'report', '--secrets-out': 'secretsOut', '--namespace': 'namespace' } as const;
type ValueFlag = keyof typeof VALUE_FLAGS;

function parseArgs(argv: string[]): Args | 'help' | 'version' {
  if (argv.some((a) => a === '--help' || a === '-h')) return 'help';
  if (argv[0] === '--version') return 'version';
  const [command, ...rest] = argv;
  if (command !== 'convert-values') throw new UsageError(command ? `unknown command ${JSON.stringify(command)}` : 'no command');
  const flags: Partial<Record<(typeof VALUE_FLAGS)[ValueFlag], string>> = {};
  const positional: string[] = [];
  let inPlace = false;
  for (let i = 0; i < rest.length; i++) {
    const a = rest[i]!;
    if (a === '--in-place') inPlace = true;
    else if (a in VALUE_FLAGS) {
      const v = rest[++i];
      if (v === undefined) throw new UsageError(`${a} needs a value`);
      const key = VALUE_FLAGS[a as ValueFlag];
      if (flags[key] !== undefined) throw new UsageError(`${a} given twice`);
      flags[key] = v;
    } else if (a.startsWith('-')) throw new UsageError(`unknown option ${JSON.stringify(a)}`);
    else positional.push(a);
  }
  if (!VENDOR_CHARTS.includes(flags.from as VendorChart)) throw new UsageError(`--from must be one of ${VENDOR_CHARTS.join(', ')}`);
  if (positional.length !== 1) throw new UsageError('give exactly one values file');
  if (flags.namespace !== undefined && !isNamespace(flags.namespace)) {
    throw new UsageError(`--namespace ${JSON.stringify(flags.namespace)}: not a Kubernetes namespace (lower-case letters, digits and '-', starting and ending with a letter or digit, at most 63)`);
  }
  return { ...flags, from: flags.from as VendorChart, file: positional[0]!, inPlace };
}

/** stat (lstat with `link`) of an output path; undefined when it does not exist, OutputError when it cannot be looked at. */
function statOutput(flag: string, file: string, link = false): fs.Stats | undefined {
  try {
    return (link ? fs.lstatSync : fs.statSync)(file, { throwIfNoEntry: false });
  } catch (e) {
    throw new OutputError(`${flag} ${file}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`);
  }
}

/** The (device, inode) of an existing path, following symlinks. */
function identity(flag: string, file: string): string | undefined {
  const st = statOutput(flag, file);
  return st && `${st.dev}:${st.ino}`;
}

/**
 * Refuses, before anything is read or written, outputs that are directories, in a missing directory, the
 * same file as another output or as the input, and a secrets file that exists (never overwritten).
 */
function checkOutputs(args: Args): void {
  const outputs = (['out', 'report', 'secretsOut'] as const).filter((k) => args[k] !== undefined).map((k) => ({ flag: k === 'secretsOut' ? '--secrets-out' : `--${k}`, file: args[k]! }));
  const seen = [{ flag: 'the input', file: args.file }];
  for (const o of outputs) {
    const dir = path.dirname(path.resolve(o.file));
    if (!statOutput(o.flag, dir)?.isDirectory()) throw new OutputError(`${o.flag} ${o.file}: no such directory ${dir}`);
    if (statOutput(o.flag, o.file)?.isDirectory()) throw new OutputError(`${o.flag} ${o.file}: is a directory`);
    if (o.flag === '--secrets-out' && statOutput(o.flag, o.file, true)) throw new OutputError(`${o.flag} ${o.file}: exists; a secrets file is never overwritten (remove it first)`);
    const id = identity(o.flag, o.file);
    const same = seen.find((s) => path.resolve(s.file) === path.resolve(o.file) || (id !== undefined && identity(s.flag, s.file) === id));
    if (same) throw new OutputError(`${o.flag} ${o.file}: the same file as ${same.flag === 'the input' ? 'the input' : `${same.flag} ${same.file}`}`);
    seen.push(o);
  }
}

/**
 * Creates `file` exclusively (O_EXCL: an existing file or planted symlink makes it fail; O_NOFOLLOW: a
 * symlink is never followed) with `mode` (then narrowed by the umask), and writes `text` to it.
 */
export function createExclusive(file: string, text: string, mode: number): void {
  const fd = fs.openSync(file, fs.constants.O_WRONLY | fs.constants.O_CREAT | fs.constants.O_EXCL | fs.constants.O_NOFOLLOW, mode);
  try {
    fs.writeFileSync(fd, text);
  } finally {
    fs.closeSync(fd);
  }
}

interface OutputFile {
  readonly flag: string;
  readonly file: string;
  readonly text: string;
  /** Holds credentials: mode 0600, and never replaces an existing file. */
  readonly secret?: boolean;
}

/**
 * Writes every file or none: each goes to an exclusively created temporary file of an unpredictable name
 * next to it, moved into place once all are written; on any failure the temporary files and the files
 * this call created are removed.
 */
function writeAll(files: OutputFile[]): void {
  const temps: { tmp: string; f: OutputFile }[] = [];
  const created: string[] = [];
  let current: OutputFile | undefined;
  try {
    for (const f of files) {
      current = f;
      const tmp = path.join(path.dirname(path.resolve(f.file)), `.${path.basename(f.file)}.${randomBytes(8).toString('hex')}.tmp`);
      createExclusive(tmp, f.text, f.secret ? 0o600 : 0o666);
      temps.push({ tmp, f });
    }
    // The secrets file first: linking is the step that refuses an existing file, so it fails before anything is replaced.
    for (const { tmp, f } of [...temps].sort((a, b) => Number(!!b.f.secret) - Number(!!a.f.secret))) {
      current = f;
      const existed = fs.lstatSync(f.file, { throwIfNoEntry: false }) !== undefined;
      if (f.secret) {
        fs.linkSync(tmp, f.file);
        fs.unlinkSync(tmp);
      } else fs.renameSync(tmp, f.file);
      if (!existed) created.push(f.file);
    }
  } catch (e) {
    for (const p of [...temps.map((t) => t.tmp), ...created]) fs.rmSync(p, { force: true });
    const code = (e as NodeJS.ErrnoException).code;
    throw new OutputError(`${current!.flag} ${current!.file}: cannot write${code === 'EEXIST' ? ' (it appeared meanwhile)' : ''}: ${code ?? (e as Error).message}`);
  }
}

/** The version in this package's package.json (found upwards: lib/cli in the repository, build/lib/cli when built). */
function packageVersion(): string {
  for (let dir = __dirname; dir !== path.dirname(dir); dir = path.dirname(dir)) {
    const file = path.join(dir, 'package.json');
    if (!fs.existsSync(file)) continue;
    const pkg = JSON.parse(fs.readFileSync(file, 'utf8')) as { name?: string; version?: string };
    if (pkg.name === 'chart-as-code') return pkg.version ?? 'unknown';
  }
  return 'unknown';
}

/** The vendor values file as JSON: YAML 1.1 as Helm reads it, aliases bounded. */
function readVendorValues(file: string): unknown {
  const doc = YAML.parseDocument(readInputFile(file, { what: file }), { version: '1.1' });
  // The first line only: the rest quotes the file, which may hold a credential.
  if (doc.errors.length > 0) throw new InputError(`${file}: not valid YAML: ${doc.errors[0]!.message.split('\n')[0]}`);
  try {
    return doc.toJS({ maxAliasCount: MAX_YAML_ALIASES }) ?? {};
  } catch (e) {
    // yaml throws a ReferenceError for an excessive alias count; anything else is a bug to surface.
    if (!(e instanceof ReferenceError)) throw e;
    throw new InputError(`${file}: too many YAML aliases (more than ${MAX_YAML_ALIASES} expansions): refused as a possible alias bomb`);
  }
}

function convert(args: Args, io: Io): void {
  checkOutputs(args);
  const conversion = convertVendorValues(args.from, readVendorValues(args.file), { namespace: args.namespace, inPlace: args.inPlace, secretsFile: args.secretsOut });
  // YAML 1.1 as Helm reads values: a string such as "yes" or "0x1F" is quoted, so it stays a string.
  const values = `# ${conversion.target} values converted from ${path.basename(args.file)} (${args.from}) by chart-as-code convert-values.\n${YAML.stringify(conversion.values, { version: '1.1' })}`;
  const inPlace = args.inPlace ? { valuesFile: args.out ?? 'values.yaml' } : undefined;
  const writeSecrets = args.secretsOut !== undefined && conversion.secrets.length > 0;
  writeAll([
    ...(args.out ? [{ flag: '--out', file: args.out, text: values }] : []),
    ...(args.report ? [{ flag: '--report', file: args.report, text: reportMarkdown(conversion, path.basename(args.file), inPlace) }] : []),
    ...(writeSecrets ? [{ flag: '--secrets-out', file: args.secretsOut!, text: secretsManifest(conversion), secret: true }] : []),
  ]);
  if (!args.out) io.stdout(values);
  const count = (s: string) => conversion.report.filter((r) => r.status === s).length;
  const keys = conversion.secrets.reduce((n, s) => n + s.entries.filter((e) => e.secret).length, 0);
  const credentials = `${keys} credential${keys === 1 ? '' : 's'}`;
  const secrets =
    keys === 0 ? (args.secretsOut ? `; no credentials, ${args.secretsOut} not written` : '') : writeSecrets ? `; ${credentials} written to ${args.secretsOut}` : `; ${credentials} not written: give --secrets-out, or create the Secrets as the report says`;
  io.stderr(`${args.file}: ${conversion.report.length} keys set: ${count('mapped')} mapped, ${count('not needed')} not needed, ${count('action')} need action${args.report ? ` (see ${args.report})` : ''}${secrets}\n`);
}

/** Multi-line messages (a list of schema issues) joined into one line: "invalid values for md-core: a: ...; b: ...". */
function oneLine(s: string): string {
  return s
    .split('\n')
    .map((l) => l.trim().replace(/^- /, ''))
    .filter(Boolean)
    .join('; ')
    .replace(/:; /g, ': ');
}

interface Io {
  stdout: (s: string) => void;
  stderr: (s: string) => void;
}

/** Runs the command line; returns the exit code. Errors are one line each, without a stack trace. */
export function main(argv: string[], io: Io = { stdout: (s) => process.stdout.write(s), stderr: (s) => process.stderr.write(s) }): number {
  let args: ReturnType<typeof parseArgs>;
  try {
    args = parseArgs(argv);
  } catch (e) {
    if (!(e instanceof UsageError)) throw e;
    io.stderr(`chart-as-code: ${oneLine(e.message)} (see chart-as-code --help)\n`);
    return 2;
  }
  if (args === 'help' || args === 'version') {
    io.stdout(`${args === 'help' ? USAGE : packageVersion()}\n`);
    return 0;
  }
  try {
    convert(args, io);
    return 0;
  } catch (e) {
    const known = e instanceof UnknownVendorKeysError || e instanceof VendorValueError || e instanceof ValuesError;
    // Input and output errors name their file or flag already; conversion errors name the vendor key.
    const where = known ? `${args.file}: ` : '';
    const what = known || e instanceof InputError || e instanceof OutputError ? '' : 'internal error: ';
    io.stderr(`chart-as-code: ${what}${where}${oneLine((e as Error)?.message ?? String(e))}\n`);
    return 1;
  }
}

type ProjectCommand = (argv: string[], project: ReturnType<typeof readProject>, out: Output) => unknown;

const PROJECT_COMMANDS: Record<string, ProjectCommand> = {
  synth: synthCommand,
  charts: chartsCommand,
  package: packageCli,
  publish: publishCli,
  check: checkCli,
  diff: diffCommand,
};

/** The user's mistakes (and failed checks) print their message; anything else is a bug, still one line. */
function isUserError(e: unknown): boolean {
  const name = (e as Error)?.name;
  return e instanceof PublishError || name === 'PublishError' || name === 'ValuesError' || name === 'ChartError' || name === 'InputError' || name === 'OutputError';
}

/**
 * Runs every command; resolves to the exit code. synth, charts, package, publish, check: 0 done, 1 error
 * or failed check, 2 usage mistake or internal error. diff: 0 equal, 1 different, 2 any error. Every error
 * is one line ("error: ..."); CHART_AS_CODE_DEBUG=1 adds the stack of an internal error.
 */
export async function run(argv: string[], out: Output = consoleOutput): Promise<number> {
  const [command, ...rest] = argv;
  if (command === undefined) {
    out.error(COMMANDS_USAGE);
    return 2;
  }
  if (command === '--help' || command === '-h') {
    out.info(COMMANDS_USAGE);
    return 0;
  }
  if (command === '--version') {
    out.info(packageVersion());
    return 0;
  }
  const handler = PROJECT_COMMANDS[command];
  if (!handler) return main(argv);
  if (rest.includes('--help') || rest.includes('-h')) {
    out.info(USAGES[command]!);
    return 0;
  }
  const errorCode = command === 'diff' ? 2 : 1;
  try {
    const result = await handler(rest, readProject(), out);
    return result === DIFFERENT ? 1 : 0;
  } catch (e) {
    const message = ((e as Error)?.message ?? String(e)).split('\n').filter((l) => l.trim() !== '');
    // The publishing commands' option errors carry their usage on the next lines: a usage mistake too.
    if (e instanceof CommandUsageError || (isUserError(e) && message[1]?.startsWith('usage:'))) {
      out.error(`error: ${message[0]} (see chart-as-code ${command} --help)`);
      return 2;
    }
    if (isUserError(e)) {
      // Values errors list one issue a line (path and rule): all of them, on one line.
      out.error(`error: ${(e as Error).name === 'ValuesError' ? oneLine(message.join('\n')) : (message[0] ?? '')}`);
      return errorCode;
    }
    out.error(`internal error: ${process.env.CHART_AS_CODE_DEBUG ? (e as Error)?.stack : message[0]}`);
    return 2;
  }
}

if (require.main === module) {
  void run(process.argv.slice(2)).then((code) => {
    process.exitCode = code;
  });
}

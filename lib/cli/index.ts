#!/usr/bin/env node
/**
 * The chart-as-code command line (`npx chart-as-code <command>`; in this repository
 * `npx tsx lib/cli/index.ts <command>`).
 *
 *   convert-values --from vendor-icap|vendor-mdcore <file> [--out values.yaml] [--report report.md]
 *                  [--namespace <ns>] [--in-place]
 *
 * Converts a values file of OPSWAT's own chart to this project's values (to --out, else stdout) and
 * writes a report of every vendor key that is set (to --report). Bad input (unknown keys, values that
 * do not convert, a missing file) prints what is wrong, writes nothing and exits 1.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import YAML from 'yaml';
import { ValuesError } from '../core/schema';
import { convertVendorValues, reportMarkdown, UnknownVendorKeysError, VENDOR_CHARTS, VendorChart, VendorValueError } from '../convert/vendor-values';

const USAGE = `usage: chart-as-code convert-values --from ${VENDOR_CHARTS.join('|')} <file> [--out values.yaml] [--report report.md] [--namespace <ns>] [--in-place]

  --from       the vendor chart the values file is for
  --out        where to write our values (default: standard output)
  --report     where to write the report of every vendor key (Markdown)
  --namespace  namespace for the commands in the report and for <APP_NAMESPACE> in host names
  --in-place   values for replacing a running release of the vendor chart with \`helm upgrade\`
               (vendor selectors, the vendor's database claim and Secrets)`;

/** A usage mistake: the message and the usage text, exit 2. */
class UsageError extends Error {}

interface Args {
  from: VendorChart;
  file: string;
  out?: string;
  report?: string;
  namespace?: string;
  inPlace: boolean;
}

function parseArgs(argv: string[]): Args {
  const [command, ...rest] = argv;
  if (command !== 'convert-values') throw new UsageError(command ? `unknown command ${JSON.stringify(command)}` : 'no command');
  const flags: Record<string, string> = {};
  const positional: string[] = [];
  let inPlace = false;
  for (let i = 0; i < rest.length; i++) {
    const a = rest[i]!;
    if (a === '--in-place') inPlace = true;
    else if (['--from', '--out', '--report', '--namespace'].includes(a)) {
      const v = rest[++i];
      if (v === undefined) throw new UsageError(`${a} needs a value`);
      flags[a.slice(2)] = v;
    } else if (a.startsWith('-')) throw new UsageError(`unknown option ${a}`);
    else positional.push(a);
  }
  if (!VENDOR_CHARTS.includes(flags.from as VendorChart)) throw new UsageError(`--from must be one of ${VENDOR_CHARTS.join(', ')}`);
  if (positional.length !== 1) throw new UsageError('give exactly one values file');
  return { from: flags.from as VendorChart, file: positional[0]!, out: flags.out, report: flags.report, namespace: flags.namespace, inPlace };
}

/** Writes every file or none: each goes to a temporary file first, renamed once all are written. */
function writeAll(files: { file: string; text: string }[]): void {
  const temps = files.map(({ file, text }) => {
    const tmp = path.join(path.dirname(path.resolve(file)), `.${path.basename(file)}.${process.pid}.tmp`);
    fs.writeFileSync(tmp, text);
    return { tmp, file };
  });
  for (const { tmp, file } of temps) fs.renameSync(tmp, file);
}

export function main(argv: string[], io: { stdout: (s: string) => void; stderr: (s: string) => void } = { stdout: (s) => process.stdout.write(s), stderr: (s) => process.stderr.write(s) }): number {
  let args: Args;
  try {
    args = parseArgs(argv);
  } catch (e) {
    if (!(e instanceof UsageError)) throw e;
    io.stderr(`chart-as-code: ${e.message}\n\n${USAGE}\n`);
    return 2;
  }
  try {
    if (!fs.existsSync(args.file)) throw new VendorValueError(args.file, 'no such file');
    const doc = YAML.parseDocument(fs.readFileSync(args.file, 'utf8'), { version: '1.1' });
    if (doc.errors.length > 0) throw new VendorValueError(args.file, `not valid YAML: ${doc.errors[0]!.message}`);
    const conversion = convertVendorValues(args.from, doc.toJS() ?? {}, { namespace: args.namespace, inPlace: args.inPlace });
    const values = `# ${conversion.target} values converted from ${path.basename(args.file)} (${args.from}) by chart-as-code convert-values.\n${YAML.stringify(conversion.values)}`;
    const inPlace = args.inPlace ? { namespace: args.namespace ?? '<namespace>', valuesFile: args.out ?? 'values.yaml' } : undefined;
    const report = args.report ? [{ file: args.report, text: reportMarkdown(conversion, path.basename(args.file), inPlace) }] : [];
    const files = [...(args.out ? [{ file: args.out, text: values }] : []), ...report];
    writeAll(files);
    if (!args.out) io.stdout(values);
    const count = (s: string) => conversion.report.filter((r) => r.status === s).length;
    io.stderr(`${args.file}: ${conversion.report.length} keys set: ${count('mapped')} mapped, ${count('not needed')} not needed, ${count('action')} need action${args.report ? ` (see ${args.report})` : ''}\n`);
    return 0;
  } catch (e) {
    if (e instanceof UnknownVendorKeysError || e instanceof VendorValueError || e instanceof ValuesError) {
      io.stderr(`chart-as-code: ${args.file}: ${e.message}\n`);
      return 1;
    }
    throw e;
  }
}

if (require.main === module) process.exitCode = main(process.argv.slice(2));

/**
 * Command-line plumbing shared by scripts/publish/*: user errors, argument parsing, the entry-point runner.
 */
import { redactText } from '../core/redact';

/**
 * A mistake the user can fix (bad option, failed check, unreachable repository): printed without a stack
 * trace, and with URL credentials masked (messages quote --against, targets and helm's output).
 */
export class PublishError extends Error {
  constructor(message: string) {
    super(redactText(message));
    this.name = 'PublishError';
  }
}

export interface OptionSpec {
  /** Options taking a value ("--out dir" or "--out=dir"); listed ones may repeat. */
  values: string[];
  repeatable?: string[];
  /** Options without a value. */
  flags: string[];
}

export interface ParsedArgs {
  positional: string[];
  values: Map<string, string[]>;
  flags: Set<string>;
}

/** Strict GNU-style parsing: unknown options are errors, so a typo never silently does something else. */
export function parseArgs(argv: string[], spec: OptionSpec, usage: string): ParsedArgs {
  const out: ParsedArgs = { positional: [], values: new Map(), flags: new Set() };
  const fail = (msg: string): never => {
    throw new PublishError(`${msg}\n${usage}`);
  };
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    if (arg === '--') {
      out.positional.push(...argv.slice(i + 1));
      break;
    }
    if (!arg.startsWith('--') || arg === '-') {
      if (arg.startsWith('-') && arg !== '-') fail(`unknown option ${arg}`);
      out.positional.push(arg);
      continue;
    }
    const eq = arg.indexOf('=');
    const name = eq === -1 ? arg.slice(2) : arg.slice(2, eq);
    if (name === 'help') throw new PublishError(usage);
    if (spec.flags.includes(name)) {
      if (eq !== -1) fail(`option --${name} takes no value`);
      out.flags.add(name);
      continue;
    }
    if (!spec.values.includes(name)) fail(`unknown option --${name}`);
    let value: string | undefined;
    if (eq !== -1) value = arg.slice(eq + 1);
    else {
      value = argv[++i];
      if (value === undefined || value.startsWith('--')) fail(`option --${name} needs a value`);
    }
    const list = out.values.get(name) ?? [];
    if (list.length > 0 && !(spec.repeatable ?? []).includes(name)) fail(`option --${name} given more than once`);
    list.push(value!);
    out.values.set(name, list);
  }
  return out;
}

/** The single value of an option, if given. */
export function optionValue(args: ParsedArgs, name: string): string | undefined {
  return args.values.get(name)?.[0];
}

export interface Output {
  info(line: string): void;
  error(line: string): void;
}

export const consoleOutput: Output = {
  info: (line) => process.stdout.write(`${line}\n`),
  error: (line) => process.stderr.write(`${line}\n`),
};

/** `out` with URL credentials masked in every line: helm's messages quote the URLs they were given. */
export function redacting(out: Output): Output {
  return { info: (line) => out.info(redactText(line)), error: (line) => out.error(redactText(line)) };
}

/**
 * Runs a command's main function: exit code 0 on success, 1 on PublishError (message only) and 2 on any
 * other error (with stack, as that is a bug).
 */
export function runCli(main: () => Promise<void> | void): void {
  Promise.resolve()
    .then(main)
    .then(() => process.exit(0))
    .catch((e: unknown) => {
      if (e instanceof PublishError || (e as Error)?.name === 'PublishError') {
        process.stderr.write(`error: ${(e as Error).message}\n`);
        process.exit(1);
      }
      process.stderr.write(`internal error: ${redactText((e as Error)?.stack ?? String(e))}\n`);
      process.exit(2);
    });
}

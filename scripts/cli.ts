/**
 * What every GridSwap command line shares: option parsing on Node's own `util.parseArgs` (no hand
 * parsers), value checks that name the flag, one usage-error format and one exit-code rule:
 *   0 done;  1 bad input (flag, file, environment) or the work failed — one line on stderr,
 *   `<command>: <message>`, followed by the usage line for a usage error.
 * No chain or grid imports, so any script can use it.
 */
import { existsSync } from "node:fs";
import { join } from "node:path";
import { parseArgs, type ParseArgsConfig } from "node:util";

/** The project root: one level up under ts-node, two when compiled into build/scripts (tools/run.js). */
export const PROJECT_ROOT = existsSync(join(__dirname, "..", "package.json"))
  ? join(__dirname, "..")
  : join(__dirname, "..", "..");

/** A mistake in how a command was started: flags, arguments, environment. */
export class UsageError extends Error {}

export interface OptionSpec {
  readonly type: "string" | "boolean";
  /** May be given several times (values collected in order). */
  readonly multiple?: boolean;
  readonly short?: string;
  /** What the value is, for --help (`FILE`, `USD/kWh`); string options only. */
  readonly value?: string;
  /** One line for --help: what the flag does, its unit and its default. */
  readonly help: string;
}

export interface CommandSpec {
  /** The command's name, first on every error line. */
  readonly name: string;
  /** One usage line (printed by --help and after a usage error). */
  readonly usage: string;
  readonly options: Readonly<Record<string, OptionSpec>>;
  /** How many positional arguments, what they are called in errors ("case file"), and one line for --help. */
  readonly positionals?: { readonly min: number; readonly max: number; readonly name: string; readonly help?: string };
}

/** --help: the usage line, then every argument and flag with one line each. */
export function formatHelp(spec: CommandSpec): string {
  const rows: [string, string][] = [];
  if (spec.positionals?.help) rows.push([`<${spec.positionals.name}>`, spec.positionals.help]);
  for (const [name, option] of Object.entries(spec.options)) {
    const flag = `${option.short ? `-${option.short}, ` : ""}--${name}`;
    rows.push([option.type === "string" ? `${flag} ${option.value ?? "VALUE"}` : flag, option.help]);
  }
  rows.push(["-h, --help", "print this help and exit"]);
  const width = Math.max(...rows.map(([left]) => left.length));
  return [spec.usage, "", ...rows.map(([left, text]) => `  ${left.padEnd(width)}  ${text}`)].join("\n");
}

export interface CommandLine {
  readonly values: Readonly<Record<string, string | boolean | string[] | boolean[] | undefined>>;
  readonly positionals: readonly string[];
  readonly help: boolean;
}

/** Parses `argv` by `spec`; any mistake is a UsageError naming the flag. */
export function parseCommandLine(spec: CommandSpec, argv: readonly string[]): CommandLine {
  const options: ParseArgsConfig["options"] = { help: { type: "boolean", short: "h" } };
  for (const [name, option] of Object.entries(spec.options)) options[name] = { ...option };
  // A negative number is a value, not an option: `--tol -1` reads as `--tol=-1` (and is then judged).
  const args: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const name = /^--([^=]+)$/.exec(argv[i])?.[1];
    const next = argv[i + 1];
    if (name && spec.options[name]?.type === "string" && next !== undefined && /^-(\d|\.\d)/.test(next)) {
      args.push(`--${name}=${next}`);
      i++;
    } else args.push(argv[i]);
  }
  let parsed: ReturnType<typeof parseArgs>;
  try {
    parsed = parseArgs({ args, options, allowPositionals: true, strict: true });
  } catch (e) {
    throw new UsageError(describeParseError(e as Error & { code?: string }, spec));
  }
  const help = parsed.values.help === true;
  const positionals = parsed.positionals;
  const p = spec.positionals ?? { min: 0, max: 0, name: "argument" };
  if (!help) {
    if (positionals.length > p.max) {
      throw new UsageError(
        p.max === 0
          ? `unexpected argument '${positionals[0]}'`
          : `more than ${p.max === 1 ? "one" : p.max} ${p.name} given (${positionals.map((x) => `'${x}'`).join(", ")})`,
      );
    }
    if (positionals.length < p.min) throw new UsageError(`no ${p.name} given`);
  }
  return { values: parsed.values as CommandLine["values"], positionals, help };
}

function describeParseError(e: Error & { code?: string }, spec: CommandSpec): string {
  const flag = /'(-{1,2}[^' ]+)/.exec(e.message)?.[1];
  switch (e.code) {
    case "ERR_PARSE_ARGS_UNKNOWN_OPTION":
      return `unknown option '${flag ?? e.message}'`;
    case "ERR_PARSE_ARGS_INVALID_OPTION_VALUE":
      if (flag && spec.options[flag.replace(/^-+/, "")]?.type === "boolean") return `${flag} takes no value`;
      return flag ? `${flag} needs a value` : e.message;
    default:
      return e.message.split("\n")[0];
  }
}

/** The string value of option `name` (the last one when given several times). */
export function stringOption(line: CommandLine, name: string): string | undefined {
  const v = line.values[name];
  if (Array.isArray(v)) return v.length > 0 ? String(v[v.length - 1]) : undefined;
  return typeof v === "string" ? v : undefined;
}

/** Every value of a `multiple` option, in order. */
export function stringOptions(line: CommandLine, name: string): string[] {
  const v = line.values[name];
  if (v === undefined) return [];
  return (Array.isArray(v) ? v : [v]).map(String);
}

export interface NumberRule {
  readonly integer?: boolean;
  /** Inclusive bounds. */
  readonly min?: number;
  readonly max?: number;
  /** Strictly above 0. */
  readonly positive?: boolean;
  /** What the number must be, said in full for the message ("Unix seconds"); default from the rule. */
  readonly what?: string;
}

/** Checks a number given on the command line; the error names the flag and repeats the value. */
export function parseNumber(raw: string, flag: string, rule: NumberRule = {}): number {
  const value = raw.trim() === "" ? Number.NaN : Number(raw);
  // The whole rule in every message, so the user sees at once what is accepted.
  let requirement = rule.what ?? (rule.integer ? "an integer" : "a number");
  if (rule.what === undefined) {
    if (rule.positive) requirement += " > 0";
    if (rule.min !== undefined) requirement += ` ≥ ${rule.min}`;
    if (rule.max !== undefined) requirement += ` ≤ ${rule.max}`;
  }
  const ok =
    Number.isFinite(value) &&
    (!rule.integer || Number.isInteger(value)) &&
    (!rule.positive || value > 0) &&
    (rule.min === undefined || value >= rule.min) &&
    (rule.max === undefined || value <= rule.max);
  if (!ok) throw new UsageError(`${flag} must be ${requirement}, got '${raw}'`);
  return value;
}

/** The number given for option `name`, or `fallback` when it is absent. */
export function numberOption(
  line: CommandLine,
  name: string,
  rule: NumberRule = {},
  fallback?: number,
): number | undefined {
  const raw = stringOption(line, name);
  return raw === undefined ? fallback : parseNumber(raw, `--${name}`, rule);
}

/** One of `choices` for option `name`, or `fallback`. */
export function choiceOption<T extends string>(line: CommandLine, name: string, choices: readonly T[], fallback: T): T {
  const raw = stringOption(line, name);
  if (raw === undefined) return fallback;
  if (!(choices as readonly string[]).includes(raw)) {
    throw new UsageError(
      `--${name} must be ${choices.slice(0, -1).join(", ")} or ${choices[choices.length - 1]}, got '${raw}'`,
    );
  }
  return raw as T;
}

/**
 * True when `npm run <name>` (this command's own npm script) started this process without
 * --silent and stdout is not a terminal: npm has then written its two-line banner to the same
 * stdout, and a JSON reader at the other end of a pipe fails on it. npm offers no way to send the
 * banner elsewhere, so the command says what to do instead (--silent).
 */
export function npmBannerOnStdout(
  name: string,
  env: NodeJS.ProcessEnv = process.env,
  tty = process.stdout.isTTY,
): boolean {
  return env.npm_lifecycle_event === name && env.npm_config_loglevel !== "silent" && tty !== true;
}

/**
 * Runs a command's `main` with the shared rules: --help prints the usage and every flag with one line
 * (formatHelp) and exits 0; a UsageError
 * prints `<name>: <message>` and the usage, exit 1; any other failure `<name>: <message>` (first
 * line only; the stack with DEBUG=gridswap), exit 1. `main` returns the exit code (default 0).
 */
export function runCommand(
  spec: CommandSpec,
  main: (line: CommandLine) => Promise<number | void> | number | void,
): void {
  const finish = (code: number): void => {
    process.exitCode = code;
  };
  // A reader that stops early (`| head`) closes the pipe: that ends the command quietly, not with a stack.
  process.stdout.on("error", (e: NodeJS.ErrnoException) => {
    if (e.code !== "EPIPE") throw e;
    process.exit(process.exitCode ?? 0);
  });
  let line: CommandLine;
  try {
    line = parseCommandLine(spec, process.argv.slice(2));
  } catch (e) {
    process.stderr.write(`${spec.name}: ${(e as Error).message}\n${spec.usage}\n`);
    return finish(1);
  }
  if (line.help) {
    process.stdout.write(`${formatHelp(spec)}\n`);
    return finish(0);
  }
  if (line.values.json === true && npmBannerOnStdout(spec.name)) {
    process.stderr.write(
      `${spec.name}: note: npm printed its "> ${process.env.npm_package_name ?? "gridswap"}@… ${spec.name}" banner on stdout ` +
        `ahead of this JSON; to pipe it to a JSON reader, run \`npm run --silent ${spec.name} -- …\`\n`,
    );
  }
  Promise.resolve()
    .then(() => main(line))
    .then(
      (code) => finish(code ?? 0),
      (e: unknown) => {
        const message = e instanceof Error ? e.message : String(e);
        process.stderr.write(`${spec.name}: ${message.split("\n")[0]}\n`);
        if (e instanceof UsageError) process.stderr.write(`${spec.usage}\n`);
        if (process.env.DEBUG?.split(",").includes("gridswap") && e instanceof Error)
          process.stderr.write(`${e.stack}\n`);
        finish(1);
      },
    );
}

/**
 * Pieces shared by the command-line scripts (pf, period, agents). No chain or grid imports, so
 * any script can use it.
 */

/** A mistake in how a command was started: flags, arguments, environment. */
export class UsageError extends Error {}

/** The value following option `argv[i]` (`--flag value`); a missing value or another option is a UsageError. */
export function optionValue(argv: readonly string[], i: number, flag: string): string {
  const v = argv[i + 1];
  if (v === undefined || v.startsWith("--")) throw new UsageError(`${flag} needs a value`);
  return v;
}

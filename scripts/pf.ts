/**
 * Power-flow command line:
 *   npm run --silent pf -- <case.m|case.json> [--alg nr|bfs|dc] [--json] [--tol 1e-8]
 *                          [--max-it N] [--enforce-q-lims]
 * Exit status: 0 solved; 1 bad input or no convergence, with one line on stderr naming the problem
 * (with --json, a non-converged run also prints {"converged": false, ...} on stdout).
 */
import { GridError, PowerFlowNotConvergedError, loadCase, runPowerFlow, type PowerFlowResult } from "../oracle";
import type { PowerFlowAlgorithm, PowerFlowOptions } from "../oracle";
import { optionValue, UsageError } from "./cli";

const USAGE =
  "usage: npm run --silent pf -- <case.m|case.json> [--alg nr|bfs|dc] [--json] [--tol <p.u.>] [--max-it <n>] [--enforce-q-lims]";

interface CliArgs {
  readonly casePath: string;
  readonly json: boolean;
  readonly options: PowerFlowOptions;
}

export function parseArgs(argv: readonly string[]): CliArgs | "help" {
  let casePath: string | undefined;
  let json = false;
  let algorithm: PowerFlowAlgorithm = "nr";
  let tolerance: number | undefined;
  let maxIterations: number | undefined;
  let enforceQLimits = false;
  const value = (i: number, flag: string): string => optionValue(argv, i, flag);
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    switch (arg) {
      case "-h":
      case "--help":
        return "help";
      case "--json":
        json = true;
        break;
      case "--enforce-q-lims":
        enforceQLimits = true;
        break;
      case "--alg": {
        const v = value(i++, arg);
        if (v !== "nr" && v !== "bfs" && v !== "dc") throw new UsageError(`--alg must be nr, bfs or dc, got '${v}'`);
        algorithm = v;
        break;
      }
      case "--tol": {
        const v = value(i++, arg);
        tolerance = Number(v);
        if (!(tolerance > 0) || !Number.isFinite(tolerance))
          throw new UsageError(`--tol must be a positive number, got '${v}'`);
        break;
      }
      case "--max-it": {
        const v = value(i++, arg);
        maxIterations = Number(v);
        if (!Number.isInteger(maxIterations) || maxIterations < 1)
          throw new UsageError(`--max-it must be a positive integer, got '${v}'`);
        break;
      }
      default:
        if (arg.startsWith("-")) throw new UsageError(`unknown option '${arg}'`);
        if (casePath !== undefined) throw new UsageError(`more than one case file given ('${casePath}', '${arg}')`);
        casePath = arg;
    }
  }
  if (casePath === undefined) throw new UsageError("no case file given");
  return { casePath, json, options: { algorithm, tolerance, maxIterations, enforceQLimits } };
}

const fixed = (x: number, width: number, digits: number): string => x.toFixed(digits).padStart(width);

export function formatTable(r: PowerFlowResult): string {
  const lines: string[] = [];
  const totalPg = r.gens.reduce((s, g) => s + g.pg, 0);
  const totalQg = r.gens.reduce((s, g) => s + g.qg, 0);
  lines.push(
    `${r.case}: ${r.algorithm.toUpperCase()} power flow converged in ${r.iterations} iteration(s), ` +
      `max mismatch ${r.mismatch.toExponential(2)} MW/MVAr`,
    `generation ${totalPg.toFixed(3)} MW ${totalQg.toFixed(3)} MVAr, ` +
      `losses ${r.losses.p.toFixed(3)} MW ${r.losses.q.toFixed(3)} MVAr`,
  );
  if (r.isolatedBuses.length > 0) lines.push(`isolated buses: ${r.isolatedBuses.join(" ")}`);
  if (r.reactiveLimited.length > 0) lines.push(`gen rows at a reactive limit: ${r.reactiveLimited.join(" ")}`);
  for (const w of r.warnings) lines.push(`warning: ${w}`);
  lines.push("", "     bus    Vm (pu)   Va (deg)");
  for (const b of r.buses) lines.push(`${String(b.id).padStart(8)} ${fixed(b.vm, 10, 6)} ${fixed(b.va, 10, 4)}`);
  lines.push("", "  gen     bus    Pg (MW)  Qg (MVAr)");
  r.gens.forEach((g, k) =>
    lines.push(`${String(k + 1).padStart(5)} ${String(g.bus).padStart(7)} ${fixed(g.pg, 10, 3)} ${fixed(g.qg, 10, 3)}`),
  );
  lines.push("", "branch    from      to    Pf (MW)  Qf (MVAr)    Pt (MW)  Qt (MVAr)");
  r.branches.forEach((b, l) =>
    lines.push(
      `${String(l + 1).padStart(6)} ${String(b.from).padStart(7)} ${String(b.to).padStart(7)} ` +
        `${fixed(b.pf, 10, 3)} ${fixed(b.qf, 10, 3)} ${fixed(b.pt, 10, 3)} ${fixed(b.qt, 10, 3)}`,
    ),
  );
  return lines.join("\n");
}

function main(argv: readonly string[]): number {
  let args: CliArgs | "help";
  try {
    args = parseArgs(argv);
  } catch (e) {
    process.stderr.write(`pf: ${(e as Error).message}\n${USAGE}\n`);
    return 1;
  }
  if (args === "help") {
    process.stdout.write(`${USAGE}\n`);
    return 0;
  }
  try {
    const result = runPowerFlow(loadCase(args.casePath), args.options);
    process.stdout.write(`${args.json ? JSON.stringify(result) : formatTable(result)}\n`);
    return 0;
  } catch (e) {
    if (e instanceof PowerFlowNotConvergedError) {
      if (args.json) {
        const { iterations, mismatch: mismatchPu } = e;
        process.stdout.write(`${JSON.stringify({ converged: false, iterations, mismatchPu, error: e.message })}\n`);
      }
      process.stderr.write(`pf: ${e.message}\n`);
      return 1;
    }
    if (e instanceof GridError || e instanceof RangeError) {
      process.stderr.write(`pf: ${e.message.split("\n")[0]}\n`);
      return 1;
    }
    throw e;
  }
}

if (require.main === module) process.exitCode = main(process.argv.slice(2));

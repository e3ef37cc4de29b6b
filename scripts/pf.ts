/**
 * Power-flow command line:
 *   npm run --silent pf -- <case.m|case.json> [--alg nr|bfs|dc] [--json] [--tol 1e-8]
 *                          [--max-it N] [--enforce-q-lims]
 * Exit status: 0 solved; 1 bad input or no convergence, with one line on stderr naming the problem
 * (with --json, a non-converged run also prints {"converged": false, ...} on stdout).
 */
import {
  GridError,
  InputError,
  PowerFlowNotConvergedError,
  loadCase,
  runPowerFlow,
  type PowerFlowResult,
} from "../oracle";
import type { PowerFlowOptions } from "../oracle";
import { choiceOption, numberOption, runCommand, type CommandLine, type CommandSpec } from "./cli";

export const PF_COMMAND: CommandSpec = {
  name: "pf",
  usage:
    "usage: npm run --silent pf -- <case.m|case.json> [--alg nr|bfs|dc] [--json] [--tol <p.u.>] [--max-it <n>] [--enforce-q-lims]",
  options: {
    alg: {
      type: "string",
      value: "nr|bfs|dc",
      help: "nr Newton–Raphson (default), bfs backward/forward sweep (radial feeders), dc DC flow",
    },
    json: { type: "boolean", help: "print the result as one JSON object (p.u., degrees, MW, MVAr)" },
    tol: { type: "string", value: "P.U.", help: "largest P or Q mismatch accepted, p.u. (default 1e-8)" },
    "max-it": { type: "string", value: "N", help: "iteration limit (default 10 for nr, 100 for bfs)" },
    "enforce-q-lims": { type: "boolean", help: "hold units at their reactive limits (their buses become PQ)" },
  },
  positionals: {
    min: 1,
    max: 1,
    name: "case file",
    help: "a MATPOWER case (.m, e.g. cases/matpower/case118.m) or the same data as JSON (cases/seed34.json)",
  },
};

export function powerFlowOptions(line: CommandLine): PowerFlowOptions {
  return {
    algorithm: choiceOption(line, "alg", ["nr", "bfs", "dc"] as const, "nr"),
    tolerance: numberOption(line, "tol", { positive: true, what: "a positive number" }),
    maxIterations: numberOption(line, "max-it", { integer: true, min: 1, what: "a positive integer" }),
    enforceQLimits: line.values["enforce-q-lims"] === true,
  };
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

function main(line: CommandLine): number {
  const options = powerFlowOptions(line);
  const json = line.values.json === true;
  try {
    const result = runPowerFlow(loadCase(line.positionals[0]), options);
    process.stdout.write(`${json ? JSON.stringify(result) : formatTable(result)}\n`);
    return 0;
  } catch (e) {
    if (e instanceof PowerFlowNotConvergedError) {
      if (json) {
        const { iterations, mismatch: mismatchPu } = e;
        process.stdout.write(`${JSON.stringify({ converged: false, iterations, mismatchPu, error: e.message })}\n`);
      }
      process.stderr.write(`pf: ${e.message}\n`);
      return 1;
    }
    if (e instanceof InputError || e instanceof GridError || e instanceof RangeError) {
      process.stderr.write(`pf: ${e.message.split("\n")[0]}\n`);
      return 1;
    }
    throw e;
  }
}

if (require.main === module) runCommand(PF_COMMAND, main);

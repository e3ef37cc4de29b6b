/**
 * One market period of the power quality centre:
 *   npm run --silent period -- <case> [--json] [--forecast BUS=MW ...] [--demand-scale X]
 *                              [--start UNIX_SECONDS] [--sensitivity ac|dc] [--pricing-rule nodal|pay-as-bid]
 *                              [--derive-operation [--congested-lines K] [--limit-fraction F] [--market-units N]]
 *                              [--export-opf DIR]
 * Prints the load flow, the violations (the paper's Table I), the sensitivity matrix, the
 * least-cost redispatch and its post-redispatch load flow, nodal prices (energy, loss and
 * congestion) and the offers, with the period's cost at bids and at nodal prices.
 * <case>: a JSON case with operation data, or any case (MATPOWER .m too) with --derive-operation:
 * operation data derived from the period's own schedule as a simulated day derives them.
 * --export-opf DIR writes the redispatch as a MATPOWER AC OPF with GridSwap's answer beside it
 * (docs/period.md says how to re-solve it).
 * Exit status: 0 done; 1 bad input, no convergence or limits that cannot be met (one stderr line).
 */
import { mkdirSync, renameSync, rmSync, statSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { CaseDataError, GridError, InputError, loadCase, type OperationData, type PowerCase } from "../oracle";
import { PRICING_RULES } from "../oracle/grid/case/operation";
import { applyForecasts, runPeriod, type Forecasts, type PeriodResult } from "../oracle/market/period";
import { exportRedispatchOpf, problemOperation } from "../oracle/market/opf-export";
import { adjustmentSummary } from "../oracle/market/redispatch";
import type { LimitReport } from "../oracle/grid/limits/checks";
import {
  choiceOption,
  numberOption,
  parseNumber,
  runCommand,
  stringOption,
  stringOptions,
  UsageError,
  type CommandLine,
  type CommandSpec,
} from "./cli";

export const PERIOD_COMMAND: CommandSpec = {
  name: "period",
  usage:
    "usage: npm run --silent period -- <case> [--json] [--forecast BUS=MW ...] [--demand-scale X] [--start UNIX_SECONDS] " +
    "[--sensitivity ac|dc] [--pricing-rule nodal|pay-as-bid] " +
    "[--derive-operation [--congested-lines K] [--limit-fraction F] [--market-units N]] [--export-opf DIR]",
  options: {
    json: { type: "boolean", help: "print the period's study as one JSON object" },
    forecast: {
      type: "string",
      multiple: true,
      value: "BUS=MW",
      help: "a unit's output forecast, MW (repeatable; default: the case's schedule)",
    },
    "demand-scale": { type: "string", value: "X", help: "every bus's demand times X (default 1)" },
    start: { type: "string", value: "UNIX_SECONDS", help: "the period's start (default: the period under way now)" },
    sensitivity: { type: "string", value: "ac|dc", help: "flow sensitivities from the AC Jacobian (default) or DC" },
    "pricing-rule": {
      type: "string",
      value: "nodal|pay-as-bid",
      help: "pay each offer its node's price (nodal, never below the bid) or its bid (default: the case's)",
    },
    "derive-operation": { type: "boolean", help: "derive operation data (limits, market units, bids) for any case" },
    "congested-lines": { type: "string", value: "K", help: "with --derive-operation: lines set near their limit" },
    "limit-fraction": {
      type: "string",
      value: "F",
      help: "with --derive-operation: their limit, a fraction of the flow",
    },
    "market-units": { type: "string", value: "N", help: "with --derive-operation: units that bid into the redispatch" },
    "export-opf": {
      type: "string",
      value: "DIR",
      help: "write the redispatch as a MATPOWER AC OPF and GridSwap's answer",
    },
  },
  positionals: { min: 1, max: 1, name: "case file", help: "a case with operation data (cases/seed34.json)" },
};

/** `--forecast BUS=MW` (repeatable) → { BUS: MW }. */
export function parseForecastOptions(line: CommandLine): Record<string, number> {
  const generation: Record<string, number> = {};
  for (const v of stringOptions(line, "forecast")) {
    const m = /^(\d+)=(.+)$/.exec(v);
    const mw = m ? Number(m[2]) : Number.NaN;
    if (!m || !Number.isFinite(mw) || mw < 0) throw new UsageError(`--forecast must be BUS=MW with MW ≥ 0, got '${v}'`);
    if (m[1] in generation) throw new UsageError(`--forecast: bus ${m[1]} is given twice`);
    generation[m[1]] = mw;
  }
  return generation;
}

function periodInputs(line: CommandLine): { forecasts: Forecasts; sensitivity: "ac" | "dc" } {
  const start = line.values.start;
  return {
    forecasts: {
      generation: parseForecastOptions(line),
      demandScale: numberOption(line, "demand-scale", { min: 0 }),
      periodStart:
        typeof start === "string"
          ? parseNumber(start, "--start", { integer: true, min: 0, what: "Unix seconds" })
          : undefined,
    },
    sensitivity: choiceOption(line, "sensitivity", ["ac", "dc"] as const, "ac"),
  };
}

/** How the operation data came about: the case's own or derived, and what the derivation did. */
export interface OperationSource {
  readonly derived: boolean;
  readonly notes: readonly string[];
}

/** The period without bulky per-bus load-flow tables: what the chain side and operators read. */
export function periodSummary(r: PeriodResult, source: OperationSource = { derived: false, notes: [] }): object {
  const flowSummary = (f: PeriodResult["loadFlow"]): object => ({
    converged: f.converged,
    iterations: f.iterations,
    mismatch: f.mismatch,
    losses: f.losses,
    generation: f.gens,
  });
  // Internal indices stay inside the core: the JSON names lines by branch row and buses by number.
  const limitSummary = (report: LimitReport): object => ({
    ok: report.ok,
    lines: report.lines.map(({ branch: _branch, ...line }) => line),
    voltages: report.voltages.map(({ bus: _bus, busId, ...rest }) => ({ bus: busId, ...rest })),
    frequency: report.frequency,
  });
  const rd = r.redispatch;
  return {
    period: r.period,
    operation: { derived: source.derived, pricingRule: r.costs.pricingRule, notes: source.notes },
    loadFlow: flowSummary(r.loadFlow),
    violations: limitSummary(r.violations),
    sensitivities: r.sensitivities,
    redispatch: {
      status: rd.status,
      rounds: rd.rounds,
      converged: rd.converged,
      adjustments: rd.adjustments.map((a) => ({ ...adjustmentSummary(a), bidPrice: a.bidPrice })),
      costPerHour: rd.costPerHour,
      bindingLines: rd.bindingLines.map(({ branch: _branch, ...line }) => line),
      unmet: rd.unmet.map(({ index: _index, ...u }) => u),
      energyPrice: rd.energyPrice,
      loadFlow: flowSummary(rd.loadFlow),
      violations: limitSummary(rd.violations),
    },
    prices: r.prices,
    offers: r.offers,
    costs: r.costs,
  };
}

const f = (x: number, digits = 4, width = 10): string => x.toFixed(digits).padStart(width);

export function formatPeriod(
  caseName: string,
  r: PeriodResult,
  source: OperationSource = { derived: false, notes: [] },
): string {
  const out: string[] = [];
  const iso = (s: number): string => new Date(s * 1000).toISOString().replace(".000Z", "Z");
  out.push(`${caseName}: period ${iso(r.period.start)} – ${iso(r.period.end)} (${r.period.minutes} min)`);
  for (const note of source.notes) out.push(note);
  out.push(`load flow: converged in ${r.loadFlow.iterations} iterations, losses ${r.loadFlow.losses.p.toFixed(4)} MW`);
  out.push("", "Out-of-limit lines (mean active flow, signed from → to)", "    line     P (MW)  limit (MW)  deviation");
  const active = r.violations.lines.filter((v) => v.kind === "active");
  if (active.length === 0) out.push("    none");
  for (const v of active)
    out.push(`${`${v.from}-${v.to}`.padStart(8)} ${f(v.value)} ${f(v.limit, 4, 11)} ${f(v.deviation)}`);
  for (const v of r.violations.lines.filter((x) => x.kind === "apparent")) {
    out.push(`    line ${v.from}-${v.to}: ${v.value.toFixed(4)} MVA over its ${v.limit} MVA rating`);
  }
  for (const v of r.violations.voltages)
    out.push(`    bus ${v.busId}: |V| ${v.vm.toFixed(4)} p.u. outside [${v.min}, ${v.max}]`);
  if (r.violations.frequency) {
    const fr = r.violations.frequency;
    out.push(
      `    frequency ${fr.frequency.toFixed(4)} p.u. (band [${fr.min}, ${fr.max}])${fr.violated ? " VIOLATED" : ""}`,
    );
  }
  if (r.sensitivities.lines.length > 0) {
    out.push("", "Sensitivity of line flow to unit output (MW/MW)");
    out.push(`    line ${r.sensitivities.units.map((u) => `gen@${u.node}`.padStart(10)).join(" ")}`);
    r.sensitivities.lines.forEach((l, i) =>
      out.push(`${`${l.from}-${l.to}`.padStart(8)} ${r.sensitivities.matrix[i].map((s) => f(s, 4, 10)).join(" ")}`),
    );
  }
  const rd = r.redispatch;
  const rest = rd.converged ? "" : " (not at rest: units held near a flat optimum; feasible, near-optimal)";
  out.push("", `Redispatch: ${rd.status} in ${rd.rounds} round(s)${rest}, cost ${rd.costPerHour.toFixed(2)} USD/h`);
  for (const a of rd.adjustments) {
    out.push(
      `    gen ${a.unit.genRow} at bus ${a.unit.busId}: ${a.scheduledMW.toFixed(4)} → ${a.adjustedMW.toFixed(4)} MW (${a.deltaMW > 0 ? "+" : ""}${a.deltaMW.toFixed(4)})`,
    );
  }
  for (const u of rd.unmet) out.push(`    UNMET: ${u.description} (by ${u.excessMW.toFixed(4)} MW)`);
  const after = rd.violations;
  out.push(
    `after redispatch: load flow in ${rd.loadFlow.iterations} iterations, ${after.ok ? "no violation" : `${after.lines.length} line and ${after.voltages.length} voltage violation(s)`}`,
  );
  for (const b of rd.bindingLines) {
    out.push(
      `    binding ${b.from}-${b.to}: ${b.flow.toFixed(4)} MW at limit ${Number(b.limit.toFixed(6))}, shadow price ${b.shadowPrice.toFixed(2)} USD/MWh`,
    );
  }
  out.push(
    "",
    `Nodal prices (USD/MWh) = energy + loss + congestion; energy λ = ${rd.energyPrice.toFixed(2)} at the reference bus`,
    "      bus      loss  congestion       total",
  );
  // Half a cent per MWh: below that a component is round-off.
  const shown = r.prices.filter((p) => Math.abs(p.loss) >= 0.005 || Math.abs(p.congestion) >= 0.005);
  if (shown.length === 0) out.push("    every bus at λ");
  for (const p of shown.slice(0, 40)) {
    out.push(`    ${String(p.bus).padStart(5)} ${f(p.loss, 2)} ${f(p.congestion, 2, 11)} ${f(p.total, 2, 11)}`);
  }
  if (shown.length > 40) out.push(`    … ${shown.length - 40} more (see --json)`);
  out.push("", `Offers (pricing rule: ${r.costs.pricingRule})`);
  if (r.offers.length === 0) out.push("    none");
  for (const o of r.offers) {
    out.push(
      `    gen ${o.genRow} at bus ${o.node}: ${o.direction} ${o.kwh.toFixed(3)} kWh (${o.mw.toFixed(4)} MW) at ${o.priceUsdPerMWh.toFixed(2)} USD/MWh = ${o.usd.toFixed(6)} USD`,
    );
  }
  const c = r.costs;
  out.push(
    `the period's adjustments: ${c.atNodalPricesUsd.toFixed(6)} USD at nodal prices, ${c.atBidsUsd.toFixed(6)} USD at the units' bids; ` +
      `the offers pay ${c.offersUsd.toFixed(6)} USD; the redispatch itself (bids and the master's energy) ${c.redispatchUsd.toFixed(6)} USD`,
  );
  return out.join("\n");
}

/**
 * The operation data the period runs with: the case's own, or with --derive-operation derived from
 * the period's schedule as a simulated day derives them; --pricing-rule overrides the rule.
 */
function operationFor(
  c: PowerCase,
  forecasts: Forecasts,
  line: CommandLine,
): { operation: OperationData } & OperationSource {
  const derive = line.values["derive-operation"] === true;
  const congestedLines = numberOption(line, "congested-lines", { integer: true, positive: true });
  const limitFraction = numberOption(line, "limit-fraction", { positive: true, max: 1 });
  const marketUnits = numberOption(line, "market-units", { integer: true, positive: true });
  if (!derive) {
    for (const flag of ["congested-lines", "limit-fraction", "market-units"]) {
      if (line.values[flag] !== undefined) throw new UsageError(`--${flag} needs --derive-operation`);
    }
  }
  const rule = stringOption(line, "pricing-rule");
  const pricingRule = rule === undefined ? undefined : choiceOption(line, "pricing-rule", PRICING_RULES, "nodal");
  if (!derive && !c.operation) {
    throw new CaseDataError(
      `no operation data: a period needs line limits and redispatch units ("operation" in a JSON case), or --derive-operation`,
      c.name,
    );
  }
  const notes: string[] = [];
  let operation = problemOperation(
    c,
    { forecasts, deriveOperation: derive ? { congestedLines, limitFraction, marketUnits } : undefined },
    notes,
  );
  if (pricingRule) operation = { ...operation, pricingRule };
  return { operation, derived: derive, notes };
}

/** Writes every file into `dir` (created if need be), each whole or not at all (temp file, then rename). */
function writeFiles(dir: string, files: Readonly<Record<string, string>>): string[] {
  try {
    if (!statSync(dir).isDirectory()) throw new Error(`--export-opf: ${dir} is not a directory`);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== "ENOENT") throw e;
    mkdirSync(dir, { recursive: true });
  }
  return Object.entries(files).map(([name, text]) => {
    const path = join(dir, name);
    const temp = `${path}.${process.pid}.tmp`;
    try {
      writeFileSync(temp, text);
      renameSync(temp, path);
    } catch (e) {
      rmSync(temp, { force: true });
      throw new Error(`--export-opf: cannot write ${path}: ${(e as Error).message}`, { cause: e });
    }
    return path;
  });
}

async function main(line: CommandLine): Promise<number> {
  const { forecasts, sensitivity } = periodInputs(line);
  const json = line.values.json === true;
  const exportDir = stringOption(line, "export-opf");
  if (exportDir === "") throw new UsageError("--export-opf needs a directory");
  try {
    const c = loadCase(line.positionals[0]);
    const source = operationFor(c, forecasts, line);
    const result = await runPeriod(c, forecasts, { sensitivity, operation: source.operation });
    if (exportDir !== undefined) {
      const schedule = applyForecasts({ ...c, operation: source.operation }, forecasts);
      const opf = exportRedispatchOpf(schedule, source.operation, result);
      const written = writeFiles(exportDir, opf.files);
      process.stderr.write(
        `period: the redispatch as a MATPOWER AC OPF: ${written[0]} (with its constraint functions); GridSwap's answer: ` +
          `${written[written.length - 1]}${opf.answer.differences.length > 0 ? ` — not exactly GridSwap's problem: ${opf.answer.differences.join("; ")}` : ""}\n`,
      );
    }
    const text = json ? JSON.stringify(periodSummary(result, source)) : formatPeriod(c.name, result, source);
    process.stdout.write(`${text}\n`);
    if (result.redispatch.status === "infeasible") {
      const u = result.redispatch.unmet[0];
      process.stderr.write(`period: limits cannot be met: ${u.description} (by ${u.excessMW.toFixed(4)} MW)\n`);
      return 1;
    }
    return 0;
  } catch (e) {
    if (e instanceof InputError || e instanceof GridError || e instanceof RangeError) {
      process.stderr.write(`period: ${e.message.split("\n")[0]}\n`);
      return 1;
    }
    throw e;
  }
}

if (require.main === module) runCommand(PERIOD_COMMAND, main);

/**
 * One market period of the power quality centre:
 *   npm run --silent period -- <case.json> [--json] [--forecast BUS=MW ...] [--demand-scale X]
 *                              [--start UNIX_SECONDS] [--sensitivity ac|dc]
 * Prints the load flow, the violations (the paper's Table I), the sensitivity matrix, the
 * least-cost redispatch and its post-redispatch load flow, nodal prices and the offers.
 * Exit status: 0 done; 1 bad input, no convergence or limits that cannot be met (one stderr line).
 */
import { GridError, loadCase } from "../oracle";
import { runPeriod, type Forecasts, type PeriodResult } from "../oracle/market/period";
import type { LimitReport } from "../oracle/grid/limits/checks";
import {
  choiceOption,
  numberOption,
  parseNumber,
  runCommand,
  stringOptions,
  UsageError,
  type CommandLine,
  type CommandSpec,
} from "./cli";

export const PERIOD_COMMAND: CommandSpec = {
  name: "period",
  usage:
    "usage: npm run --silent period -- <case.json> [--json] [--forecast BUS=MW ...] [--demand-scale X] [--start UNIX_SECONDS] [--sensitivity ac|dc]",
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

/** The period without bulky per-bus load-flow tables: what the chain side and operators read. */
export function periodSummary(r: PeriodResult): object {
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
    loadFlow: flowSummary(r.loadFlow),
    violations: limitSummary(r.violations),
    sensitivities: r.sensitivities,
    redispatch: {
      status: rd.status,
      rounds: rd.rounds,
      adjustments: rd.adjustments.map((a) => ({
        genRow: a.unit.genRow,
        node: a.unit.busId,
        kind: a.unit.kind,
        scheduledMW: a.scheduledMW,
        adjustedMW: a.adjustedMW,
        deltaMW: a.deltaMW,
        bidPrice: a.bidPrice,
      })),
      costPerHour: rd.costPerHour,
      bindingLines: rd.bindingLines.map(({ branch: _branch, ...line }) => line),
      unmet: rd.unmet.map(({ index: _index, ...u }) => u),
      energyPrice: rd.energyPrice,
      loadFlow: flowSummary(rd.loadFlow),
      violations: limitSummary(rd.violations),
    },
    prices: r.prices,
    offers: r.offers,
  };
}

const f = (x: number, digits = 4, width = 10): string => x.toFixed(digits).padStart(width);

export function formatPeriod(caseName: string, r: PeriodResult): string {
  const out: string[] = [];
  const iso = (s: number): string => new Date(s * 1000).toISOString().replace(".000Z", "Z");
  out.push(`${caseName}: period ${iso(r.period.start)} – ${iso(r.period.end)} (${r.period.minutes} min)`);
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
  out.push("", `Redispatch: ${rd.status} in ${rd.rounds} round(s), cost ${rd.costPerHour.toFixed(2)} USD/h`);
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
      `    binding ${b.from}-${b.to}: ${b.flow.toFixed(4)} MW at limit ${b.limit}, shadow price ${b.shadowPrice.toFixed(2)} USD/MWh`,
    );
  }
  out.push("", `Nodal prices (USD/MWh): energy ${rd.energyPrice.toFixed(2)}; buses with congestion:`);
  // Half a cent per MWh: below that, congestion components are AC loss effects, not congestion.
  const congested = r.prices.filter((p) => Math.abs(p.congestion) >= 0.005);
  if (congested.length === 0) out.push("    none");
  for (const p of congested.slice(0, 40))
    out.push(`    bus ${String(p.bus).padStart(5)} ${f(p.congestion, 2)} → ${f(p.total, 2)}`);
  if (congested.length > 40) out.push(`    … ${congested.length - 40} more (see --json)`);
  out.push("", "Offers");
  if (r.offers.length === 0) out.push("    none");
  for (const o of r.offers) {
    out.push(
      `    gen ${o.genRow} at bus ${o.node}: ${o.direction} ${o.kwh.toFixed(3)} kWh (${o.mw.toFixed(4)} MW) at ${o.priceUsdPerMWh.toFixed(2)} USD/MWh = ${o.usd.toFixed(6)} USD`,
    );
  }
  return out.join("\n");
}

async function main(line: CommandLine): Promise<number> {
  const { forecasts, sensitivity } = periodInputs(line);
  const json = line.values.json === true;
  try {
    const c = loadCase(line.positionals[0]);
    const result = await runPeriod(c, forecasts, { sensitivity });
    process.stdout.write(`${json ? JSON.stringify(periodSummary(result)) : formatPeriod(c.name, result)}\n`);
    if (result.redispatch.status === "infeasible") {
      const u = result.redispatch.unmet[0];
      process.stderr.write(`period: limits cannot be met: ${u.description} (by ${u.excessMW.toFixed(4)} MW)\n`);
      return 1;
    }
    return 0;
  } catch (e) {
    if (e instanceof GridError || e instanceof RangeError) {
      process.stderr.write(`period: ${e.message.split("\n")[0]}\n`);
      return 1;
    }
    throw e;
  }
}

if (require.main === module) runCommand(PERIOD_COMMAND, main);

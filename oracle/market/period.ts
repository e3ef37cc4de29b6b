/**
 * One market period of the power quality centre (the paper's section III.A, every 30 minutes):
 * apply the forecasts, solve the AC load flow, check limits, compute the sensitivity of each
 * violated line to each adjustable unit, redispatch at least cost, price every node and turn
 * the adjustments into offers for the chain side to publish.
 */
import { BUS, GEN } from "../grid/case/columns";
import type { OperationData } from "../grid/case/operation";
import type { PowerCase } from "../grid/case/types";
import { CaseDataError } from "../grid/errors";
import { checkLimits, type LimitReport } from "../grid/limits/checks";
import { nodalPrices, priceOffers, type NodalPrice, type Offer } from "./prices";
import { redispatch, type Redispatch, type RedispatchOptions } from "./redispatch";
import { runPowerFlow } from "../grid/pf/runpf";
import type { PowerFlowResult } from "../grid/pf/results";
import { acFlowSensitivities } from "../grid/sensitivity";

export interface Forecasts {
  /** Forecast output of units by bus number, MW (e.g. a PV array's next-period output). */
  readonly generation?: Readonly<Record<string, number>>;
  /** Multiplies every bus's demand (P and Q); 1 = as in the case. */
  readonly demandScale?: number;
  /** Start of the delivery period, Unix seconds (default: now, rounded down to the period). */
  readonly periodStart?: number;
}

export interface SensitivityTable {
  /** The violated lines (rows of `matrix`). */
  readonly lines: { readonly row: number; readonly from: number; readonly to: number }[];
  /** The adjustable units (columns of `matrix`). */
  readonly units: { readonly gen: number; readonly bus: number }[];
  /** MW change of each line's mean flow per MW of each unit's output. */
  readonly matrix: number[][];
}

export interface PeriodResult {
  readonly period: { readonly start: number; readonly end: number; readonly minutes: number };
  readonly loadFlow: PowerFlowResult;
  readonly violations: LimitReport;
  readonly sensitivities: SensitivityTable;
  readonly redispatch: Redispatch;
  readonly prices: NodalPrice[];
  readonly offers: Offer[];
}

export async function runPeriod(
  c: PowerCase,
  forecasts: Forecasts = {},
  options: RedispatchOptions & { readonly operation?: OperationData } = {},
): Promise<PeriodResult> {
  const operation = options.operation ?? c.operation;
  if (!operation) {
    throw new CaseDataError(
      `${c.name}: no operation data: a period needs line limits and redispatch units ("operation" in a JSON case)`,
    );
  }
  const schedule = applyForecasts({ ...c, operation }, forecasts);
  const minutes = operation.periodMinutes;
  const start = forecasts.periodStart ?? Math.floor(Date.now() / 1000 / (minutes * 60)) * minutes * 60;
  if (!Number.isInteger(start) || start < 0) throw new RangeError(`periodStart must be Unix seconds, got ${start}`);

  const loadFlow = runPowerFlow(schedule, options.powerFlow);
  const violations = checkLimits(schedule, loadFlow);
  const sensitivities = sensitivityTable(schedule, loadFlow, violations, operation);
  const rd = await redispatch(schedule, loadFlow, options);
  const prices = nodalPrices(rd);
  const offers = priceOffers(rd.adjustments, prices, { start, minutes });
  return {
    period: { start, end: start + minutes * 60, minutes },
    loadFlow,
    violations,
    sensitivities,
    redispatch: rd,
    prices,
    offers,
  };
}

/** The case with forecast unit outputs and scaled demand; every forecast must name one unit. */
export function applyForecasts(c: PowerCase, forecasts: Forecasts): PowerCase {
  const gen = c.gen.map((g) => [...g]);
  for (const [key, mw] of Object.entries(forecasts.generation ?? {})) {
    const bus = Number(key);
    if (!Number.isFinite(mw) || mw < 0)
      throw new RangeError(`forecast for bus ${key} must be a number of MW ≥ 0, got ${mw}`);
    if (!c.bus.some((b) => b[BUS.BUS_I] === bus))
      throw new CaseDataError(`forecast for bus ${key}: the case has no such bus`);
    const units = gen.map((g, k) => k).filter((k) => gen[k][GEN.GEN_BUS] === bus && gen[k][GEN.GEN_STATUS] > 0);
    if (units.length !== 1) {
      throw new CaseDataError(`forecast for bus ${key}: expected one in-service unit there, found ${units.length}`);
    }
    const pmax = gen[units[0]][GEN.PMAX];
    if (mw > pmax) throw new RangeError(`forecast for bus ${key} (${mw} MW) exceeds the unit's Pmax (${pmax} MW)`);
    gen[units[0]][GEN.PG] = mw;
  }
  const scale = forecasts.demandScale ?? 1;
  if (!(scale >= 0) || !Number.isFinite(scale)) throw new RangeError(`demandScale must be a number ≥ 0, got ${scale}`);
  const bus = scale === 1 ? c.bus : c.bus.map((b) => b.map((x, k) => (k === BUS.PD || k === BUS.QD ? x * scale : x)));
  return { ...c, gen, bus };
}

function sensitivityTable(
  c: PowerCase,
  flow: PowerFlowResult,
  violations: LimitReport,
  op: OperationData,
): SensitivityTable {
  const rows = [...new Set(violations.lines.filter((v) => v.kind === "active").map((v) => v.row - 1))];
  const busRow = new Map(c.bus.map((b, r) => [b[BUS.BUS_I], r] as const));
  const units = op.units.map((u) => ({ gen: u.gen, bus: c.gen[u.gen - 1][GEN.GEN_BUS] }));
  const sens = acFlowSensitivities(c, flow, rows);
  return {
    lines: rows.map((l) => ({ row: l + 1, from: flow.branches[l].from, to: flow.branches[l].to })),
    units,
    matrix: sens.matrix.map((line) => units.map((u) => line[busRow.get(u.bus) as number])),
  };
}

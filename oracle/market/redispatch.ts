/**
 * Least-cost redispatch: the generator adjustments that bring every line's active flow within
 * its limit at least cost, as a linear program on flow sensitivities at the AC operating point,
 * iterated with full AC load flows until the AC solution itself is inside all line limits.
 *
 * LP per round (MW, USD/h; δ_k = u_k − d_k is unit k's adjustment from its schedule):
 *   min  Σ_k (up_k·u_k + down_k·d_k) + c_m·Δm
 *   s.t. Σ_k (u_k − d_k) + Δm = 0                                   (balance; dual λ)
 *        −F_ℓ ≤ f_ℓ + Σ_k S_ℓk·(δ_k − δ_k⁰) ≤ F_ℓ   for monitored ℓ   (dual μ_ℓ)
 *        P_m,min ≤ m + Δm − Δm⁰ ≤ P_m,max                          (master unit limits)
 *        0 ≤ u_k ≤ min(ramp_k, Pmax_k − Pg_k),  0 ≤ d_k ≤ min(ramp_k, Pg_k − Pmin_k)
 * where f, m, δ⁰, Δm⁰ are the flows, master output and adjustments of the current AC solution,
 * S the sensitivities there, c_m the master's energy price. F_ℓ is the line's active limit and,
 * where it has an MVA rating, the active flow that the rating leaves beside the present reactive
 * flow. A line the AC load flow still finds over its limit has its LP target tightened by the
 * excess in the next round, so the rounds converge on the AC limit, not the linear one. Every line
 * and master row has elastic slack at the market's limit-violation price (an ISO's constraint
 * penalty price, above every bid), so an impossible case still solves, reports exactly which limits
 * cannot be met, and prices each such limit at that published penalty — never at an arbitrary
 * solver constant that would turn into absurd nodal prices.
 *
 * Each round re-solves the same network model in place: only the units' outputs change, Ybus and
 * the LU analysis are reused, and Newton starts from the previous round's voltages.
 */
import { checkGridLimits, type GridLimits, type LimitReport } from "../grid/limits/checks";
import { solvePowerFlow, type PowerFlowOptions } from "../grid/pf/runpf";
import { withUnitOutputs, type BranchFlows, type OperatingPoint } from "../grid/pf/point";
import { meanFlow, toResult, type PowerFlowResult } from "../grid/pf/results";
import { flowSensitivities, type FlowSensitivities, type SensitivityMethod } from "../grid/sensitivity";
import { CaseDataError } from "../grid/errors";
import { loadHighs, solveLpWith, type LinearProgram, type LpSolution } from "./lp";
import type { MarketModel, MarketUnit } from "./model";

export interface RedispatchOptions {
  /** Largest number of LP + AC load-flow rounds. */
  readonly maxRounds?: number;
  /** Lines are monitored in the LP once their flow reaches this fraction of their limit. */
  readonly monitorThreshold?: number;
  /** The LP aims this fraction inside each limit, so linearisation error does not leave the AC flow just over it. */
  readonly margin?: number;
  /** Sensitivities from the AC Jacobian (default) or the DC PTDF. */
  readonly sensitivity?: SensitivityMethod;
  readonly powerFlow?: PowerFlowOptions;
}

export interface Adjustment {
  readonly unit: MarketUnit;
  /** Scheduled and adjusted output, MW. */
  readonly scheduledMW: number;
  readonly adjustedMW: number;
  /** adjusted − scheduled, MW. */
  readonly deltaMW: number;
  /** The unit's asking price for this direction, USD/MWh. */
  readonly bidPrice: number;
}

export interface BindingLine {
  /** Internal branch; for people, its 1-based branch row and end buses. */
  readonly branch: number;
  readonly branchRow: number;
  readonly from: number;
  readonly to: number;
  /** The effective limit (MW) and the mean active flow after redispatch (MW). */
  readonly limit: number;
  readonly flow: number;
  /** Shadow price μ, USD/MWh per MW of limit. */
  readonly shadowPrice: number;
}

export interface UnmetLimit {
  readonly kind: "line" | "master";
  /** Internal branch (lines) or internal master unit. */
  readonly index: number;
  /** For people: 1-based branch row (lines) or gen row (master). */
  readonly row: number;
  readonly description: string;
  /** MW by which the limit is still exceeded at the best redispatch. */
  readonly excessMW: number;
}

export interface Redispatch {
  readonly status: "not-needed" | "solved" | "infeasible";
  readonly rounds: number;
  readonly adjustments: Adjustment[];
  /** LP objective at the optimum, USD per hour: bids plus master energy, plus the limit-violation penalty of any unmet limit. */
  readonly costPerHour: number;
  /** The operating point with the adjusted schedule, its external view and its limit report. */
  readonly point: OperatingPoint;
  readonly loadFlow: PowerFlowResult;
  readonly violations: LimitReport;
  readonly bindingLines: BindingLine[];
  readonly unmet: UnmetLimit[];
  /** Balance dual λ, USD/MWh: the energy component of every nodal price. */
  readonly energyPrice: number;
  /** Sensitivities of the lines with a shadow price, and the shadow prices (same order). */
  readonly congestion: { readonly sensitivities: FlowSensitivities; readonly shadowPrices: Float64Array };
  /** The sensitivities of the first round, at the schedule's operating point (every monitored line). */
  readonly firstRoundSensitivities: FlowSensitivities;
}

/** Adjustments smaller than this (MW, i.e. 1 mW) are solver round-off, not trades. */
const ADJUSTMENT_TOLERANCE = 1e-9;

export async function redispatch(
  schedule: OperatingPoint,
  market: MarketModel,
  options: RedispatchOptions = {},
): Promise<Redispatch> {
  if (schedule.model !== market.network)
    throw new RangeError("the operating point and the market model differ in network");
  if (schedule.algorithm === "dc") throw new RangeError("redispatch needs an AC operating point");
  const maxRounds = options.maxRounds ?? 8;
  const threshold = options.monitorThreshold ?? 0.9;
  const margin = options.margin ?? 1e-4;
  const method = options.sensitivity ?? "ac";
  const highs = await loadHighs();
  const index = market.network.index;

  const units = market.units.map((u): UnitBounds => {
    const pg = schedule.injections.pg[u.unit];
    const pmax = u.kind === "renewable" ? pg : u.pmax;
    return {
      unit: u,
      scheduled: pg,
      upMax: Math.max(0, Math.min(u.rampMW, pmax - pg)),
      downMax: Math.max(0, Math.min(u.rampMW, pg - u.pmin)),
    };
  });
  const masterOutput = (p: OperatingPoint): number => market.master.reduce((s, k) => s + p.pg[k], 0);
  const masterScheduled = masterOutput(schedule);

  let current = schedule;
  let delta = new Float64Array(units.length);
  const monitored = new Uint8Array(index.branches.count);
  // Per-line tightening learnt from AC load flows that ended over a limit the LP thought it met.
  const correction = new Float64Array(index.branches.count);
  const scheduleOverLimit = lineExcess(checkGridLimits(schedule, market.limits));
  let limits = effectiveLimits(market.limits, current.flows);
  let over = scheduleOverLimit;
  let last: LastRound | undefined;
  let firstRoundSensitivities: FlowSensitivities | undefined;
  let rounds = 0;
  // Round 1 always runs: even without congestion its LP prices the period. Later rounds only
  // while the AC flow of the previous round's redispatch still violates a line limit.
  while (rounds === 0 || (rounds < maxRounds && over.size > 0)) {
    limits = effectiveLimits(market.limits, current.flows);
    for (let l = 0; l < monitored.length; l++) {
      if (Math.abs(meanFlow(current.flows, l)) >= threshold * limits[l]) monitored[l] = 1;
    }
    rounds++;
    const rows: number[] = [];
    for (let l = 0; l < monitored.length; l++) if (monitored[l]) rows.push(l);
    const sens = flowSensitivities(current, rows, method);
    firstRoundSensitivities ??= sens;
    const masterNow = masterOutput(current);
    // Never below 0: a negative target would cross the row's bounds and make the LP infeasible.
    const bounds = rows.map((l) => Math.max(0, limits[l] * (1 - margin) - correction[l]));
    const lp = buildLp(units, delta, rows, bounds, sens, current.flows, market, masterNow, masterNow - masterScheduled);
    const solution = solveLpWith(highs, lp);
    const unmet = unmetLimits(solution.x, units.length, rows, market);
    last = { solution, rows, sens, unmet };
    delta = Float64Array.from(units, (_, k) => solution.x[2 * k] - solution.x[2 * k + 1]);
    const pg = Float64Array.from(schedule.injections.pg);
    units.forEach((u, k) => (pg[u.unit.unit] = u.scheduled + delta[k]));
    current = solvePowerFlow(market.network, withUnitOutputs(schedule.injections, pg), options.powerFlow, current);
    over = lineExcess(checkGridLimits(current, market.limits));
    // Lines the LP already left over their target (elastic slack) gain nothing from a tighter
    // one: tightening would only inflate their reported excess round after round.
    const slacked = new Set(unmet.filter((u) => u.kind === "line").map((u) => u.index));
    for (const [l, excess] of over) {
      if (slacked.has(l)) continue;
      correction[l] += excess + margin * limits[l];
    }
    if (scheduleOverLimit.size === 0 && rounds === 1) break;
  }
  const final = last as LastRound;

  let unmet = final.unmet;
  if (unmet.length === 0 && over.size > 0) {
    unmet = [...over].map(([l, excess]) => ({
      kind: "line" as const,
      index: l,
      row: index.branches.row[l] + 1,
      description: `line ${lineName(market, l)} is still over its limit after ${rounds} rounds`,
      excessMW: excess,
    }));
  }
  const adjustments: Adjustment[] = [];
  units.forEach((u, k) => {
    const d = delta[k];
    if (Math.abs(d) <= ADJUSTMENT_TOLERANCE) return;
    adjustments.push({
      unit: u.unit,
      scheduledMW: u.scheduled,
      adjustedMW: u.scheduled + d,
      deltaMW: d,
      bidPrice: d > 0 ? u.unit.upPrice : u.unit.downPrice,
    });
  });

  // Line rows follow the balance row; a nonzero dual marks a binding (congested) line.
  const binding = final.rows
    .map((l, i) => ({ l, i }))
    .filter(({ i }) => Math.abs(final.solution.rowDual[1 + i]) > 1e-9);
  const bindingLines: BindingLine[] = binding.map(({ l, i }) => ({
    branch: l,
    branchRow: index.branches.row[l] + 1,
    from: index.buses.id[index.branches.from[l]],
    to: index.buses.id[index.branches.to[l]],
    limit: limits[l],
    flow: meanFlow(current.flows, l),
    shadowPrice: final.solution.rowDual[1 + i],
  }));
  const status =
    unmet.length > 0
      ? "infeasible"
      : scheduleOverLimit.size === 0 && adjustments.length === 0
        ? "not-needed"
        : "solved";
  return {
    status,
    rounds,
    adjustments,
    costPerHour: final.solution.objective,
    point: current,
    loadFlow: toResult(current, index.source.name),
    violations: checkGridLimits(current, market.limits),
    bindingLines,
    unmet,
    energyPrice: final.solution.rowDual[0],
    congestion: {
      sensitivities: {
        branches: Int32Array.from(binding, ({ l }) => l),
        matrix: binding.map(({ i }) => final.sens.matrix[i]),
        method: final.sens.method,
      },
      shadowPrices: Float64Array.from(bindingLines, (b) => b.shadowPrice),
    },
    firstRoundSensitivities: firstRoundSensitivities as FlowSensitivities,
  };
}

interface LastRound {
  readonly solution: LpSolution;
  readonly rows: number[];
  readonly sens: FlowSensitivities;
  /** Limits the LP met only with elastic slack. */
  readonly unmet: UnmetLimit[];
}

interface UnitBounds {
  readonly unit: MarketUnit;
  readonly scheduled: number;
  readonly upMax: number;
  readonly downMax: number;
}

/**
 * Columns: u_k, d_k for each unit (2k, 2k+1), then Δm, then elastic slacks (s⁺, s⁻) per line row
 * and per master bound. Rows: balance, one per monitored line, master limits.
 */
function buildLp(
  units: readonly UnitBounds[],
  delta: Float64Array,
  rows: readonly number[],
  bounds: readonly number[],
  sens: FlowSensitivities,
  flows: BranchFlows,
  market: MarketModel,
  masterNow: number,
  deltaMaster: number,
): LinearProgram {
  const nU = units.length;
  const colCost: number[] = [];
  const colLower: number[] = [];
  const colUpper: number[] = [];
  units.forEach((u) => {
    colCost.push(u.unit.upPrice, u.unit.downPrice);
    colLower.push(0, 0);
    colUpper.push(u.upMax, u.downMax);
  });
  const masterCol = 2 * nU;
  colCost.push(market.masterEnergyPrice);
  colLower.push(-Infinity);
  colUpper.push(Infinity);
  const slack = (): number => {
    colCost.push(market.limitViolationPrice);
    colLower.push(0);
    colUpper.push(Infinity);
    return colCost.length - 1;
  };

  const lpRows: [number, number][][] = [];
  const rowLower: number[] = [];
  const rowUpper: number[] = [];
  // Balance: Σ (u − d) + Δm = 0, lossless around the current point.
  lpRows.push([
    ...units.flatMap((_, k): [number, number][] => [
      [2 * k, 1],
      [2 * k + 1, -1],
    ]),
    [masterCol, 1],
  ]);
  rowLower.push(0);
  rowUpper.push(0);
  rows.forEach((l, i) => {
    const s = sens.matrix[i];
    let shift = meanFlow(flows, l);
    const entries: [number, number][] = [];
    units.forEach((u, k) => {
      const coefficient = s[u.unit.bus];
      shift -= coefficient * delta[k];
      if (coefficient !== 0) entries.push([2 * k, coefficient], [2 * k + 1, -coefficient]);
    });
    const up = slack();
    const down = slack();
    entries.push([up, -1], [down, 1]);
    const bound = bounds[i];
    lpRows.push(entries);
    rowLower.push(-bound - shift);
    rowUpper.push(bound - shift);
  });
  // Master output after redispatch: masterNow + (Δm − Δm⁰) within its limits.
  const up = slack();
  const down = slack();
  lpRows.push([
    [masterCol, 1],
    [up, -1],
    [down, 1],
  ]);
  rowLower.push(market.masterPmin - masterNow + deltaMaster);
  rowUpper.push(market.masterPmax - masterNow + deltaMaster);
  return { colCost, colLower, colUpper, rowLower, rowUpper, rows: lpRows };
}

function lineName(market: MarketModel, l: number): string {
  const { buses, branches } = market.network.index;
  return `${buses.id[branches.from[l]]}-${buses.id[branches.to[l]]}`;
}

function unmetLimits(x: Float64Array, nUnits: number, rows: readonly number[], market: MarketModel): UnmetLimit[] {
  const out: UnmetLimit[] = [];
  const { index } = market.network;
  const first = 2 * nUnits + 1;
  rows.forEach((l, i) => {
    const excess = x[first + 2 * i] + x[first + 2 * i + 1];
    if (excess > 1e-7) {
      out.push({
        kind: "line",
        index: l,
        row: index.branches.row[l] + 1,
        description: `line ${lineName(market, l)} cannot be brought within its limit`,
        excessMW: excess,
      });
    }
  });
  const m = first + 2 * rows.length;
  const masterExcess = x[m] + x[m + 1];
  if (masterExcess > 1e-7) {
    if (market.master.length === 0) throw new CaseDataError("the grid has no master (slack) unit");
    out.push({
      kind: "master",
      index: market.master[0],
      row: index.gens.row[market.master[0]] + 1,
      description: `the master unit cannot stay within [Pmin, Pmax]`,
      excessMW: masterExcess,
    });
  }
  return out;
}

/**
 * The limit on each internal branch's mean active flow, MW (Infinity where none): the active
 * limit, and where the branch has an MVA rating, the active flow that leaves room for its present
 * reactive flow and half its losses within the rating.
 */
function effectiveLimits(limits: GridLimits, flows: BranchFlows): Float64Array {
  return Float64Array.from(limits.activeMW, (active, l) => {
    const rating = limits.ratingMVA[l];
    if (!Number.isFinite(rating)) return active;
    const q = Math.max(Math.abs(flows.qf[l]), Math.abs(flows.qt[l]));
    const halfLoss = Math.abs(flows.pf[l] + flows.pt[l]) / 2;
    return Math.min(active, Math.sqrt(Math.max(0, rating * rating - q * q)) - halfLoss);
  });
}

/** Internal branch → excess (MW or MVA) for every line over its active limit or MVA rating. */
function lineExcess(report: LimitReport): Map<number, number> {
  const out = new Map<number, number>();
  for (const v of report.lines) out.set(v.branch, Math.max(out.get(v.branch) ?? 0, v.deviation));
  return out;
}

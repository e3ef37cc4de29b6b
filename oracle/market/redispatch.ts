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
 * S the AC sensitivities there, c_m the master's energy price. F_ℓ is the line's active limit
 * and, where it has an MVA rating, the active flow that the rating leaves beside the present
 * reactive flow. A line the AC load flow still finds over its limit has its LP target tightened
 * by the excess in the next round, so the rounds converge on the AC limit, not the linear one.
 * Every line and master row has elastic slack at a penalty far above any price, so an
 * impossible case still solves and reports exactly which limits cannot be met.
 */
import { BRANCH, BUS, BUS_TYPE_REF, GEN } from "../grid/case/columns";
import type { OperationData, RedispatchUnit } from "../grid/case/operation";
import type { PowerCase } from "../grid/case/types";
import { CaseDataError } from "../grid/errors";
import { checkLimits, meanActiveFlow, type LimitReport } from "../grid/limits/checks";
import { runPowerFlow, type PowerFlowOptions } from "../grid/pf/runpf";
import type { PowerFlowResult } from "../grid/pf/results";
import { acFlowSensitivities, dcFlowSensitivities, type FlowSensitivities } from "../grid/sensitivity";
import { loadHighs, solveLpWith, type LinearProgram, type LpSolution } from "./lp";

export interface RedispatchOptions {
  /** Largest number of LP + AC load-flow rounds. */
  readonly maxRounds?: number;
  /** Lines are monitored in the LP once their flow reaches this fraction of their limit. */
  readonly monitorThreshold?: number;
  /** The LP aims this fraction inside each limit, so linearisation error does not leave the AC flow just over it. */
  readonly margin?: number;
  /** Sensitivities from the AC Jacobian (default) or the DC PTDF. */
  readonly sensitivity?: "ac" | "dc";
  readonly powerFlow?: PowerFlowOptions;
}

export interface Adjustment {
  /** 1-based gen row. */
  readonly gen: number;
  readonly bus: number;
  readonly kind: RedispatchUnit["kind"];
  /** Scheduled and adjusted output, MW. */
  readonly scheduledMW: number;
  readonly adjustedMW: number;
  /** adjusted − scheduled, MW. */
  readonly deltaMW: number;
  /** The unit's asking price for this direction, USD/MWh. */
  readonly bidPrice: number;
}

export interface BindingLine {
  readonly row: number;
  readonly from: number;
  readonly to: number;
  readonly limit: number;
  /** Mean active flow after redispatch, MW. */
  readonly flow: number;
  /** Shadow price μ, USD/MWh per MW of limit. */
  readonly shadowPrice: number;
}

export interface UnmetLimit {
  readonly kind: "line" | "master";
  /** 1-based branch row (lines) or gen row (master). */
  readonly row: number;
  readonly description: string;
  /** MW by which the limit is still exceeded at the best redispatch. */
  readonly excessMW: number;
}

export interface Redispatch {
  readonly status: "not-needed" | "solved" | "infeasible";
  readonly rounds: number;
  readonly adjustments: Adjustment[];
  /** LP objective at the optimum, USD per hour (bids plus master energy). */
  readonly costPerHour: number;
  /** The case with the adjusted schedule, and its AC load flow and limit report. */
  readonly case: PowerCase;
  readonly loadFlow: PowerFlowResult;
  readonly violations: LimitReport;
  readonly bindingLines: BindingLine[];
  readonly unmet: UnmetLimit[];
  /** Balance dual λ, USD/MWh: the energy component of every nodal price. */
  readonly energyPrice: number;
  /** Sensitivities of the lines with a shadow price, and the shadow prices (same order). */
  readonly congestion: { readonly sensitivities: FlowSensitivities; readonly shadowPrices: Float64Array };
}

const PENALTY = 1e7; // USD/MWh on elastic slack: far above any price, so used only when unavoidable.
/** Adjustments smaller than this (MW, i.e. 1 mW) are solver round-off, not trades. */
const ADJUSTMENT_TOLERANCE = 1e-9;

export async function redispatch(
  schedule: PowerCase,
  scheduleFlow: PowerFlowResult,
  options: RedispatchOptions = {},
): Promise<Redispatch> {
  const op = schedule.operation;
  if (!op) throw new CaseDataError(`${schedule.name}: no operation data (line limits, redispatch units)`);
  const maxRounds = options.maxRounds ?? 8;
  const threshold = options.monitorThreshold ?? 0.9;
  const margin = options.margin ?? 1e-4;
  const highs = await loadHighs();
  const sensitivitiesAt = (c: PowerCase, r: PowerFlowResult, rows: number[]): FlowSensitivities =>
    options.sensitivity === "dc" ? dcFlowSensitivities(c, rows) : acFlowSensitivities(c, r, rows);

  const busRow = new Map(schedule.bus.map((b, r) => [b[BUS.BUS_I], r] as const));
  const master = masterUnits(schedule);
  const units = op.units.map((u) => {
    const g = schedule.gen[u.gen - 1];
    if (master.rows.includes(u.gen - 1)) {
      throw new CaseDataError(
        `operation.units: gen ${u.gen} is the master (slack) unit; it balances the grid and is not redispatched`,
      );
    }
    const pg = g[GEN.PG];
    const pmax = u.kind === "renewable" ? pg : g[GEN.PMAX];
    return {
      unit: u,
      row: u.gen - 1,
      busRow: busRow.get(g[GEN.GEN_BUS]) as number,
      scheduled: pg,
      upMax: Math.max(0, Math.min(u.rampMW, pmax - pg)),
      downMax: Math.max(0, Math.min(u.rampMW, pg - g[GEN.PMIN])),
    };
  });
  const masterScheduled = sumOf(master.rows, (k) => scheduleFlow.gens[k].pg);

  let current = schedule;
  let flow = scheduleFlow;
  let delta = new Float64Array(units.length);
  const monitored = new Set<number>();
  // Per-line tightening learnt from AC load flows that ended over a limit the LP thought it met.
  const correction = new Map<number, number>();
  const scheduleOverLimit = lineViolations(schedule, flow);
  let limits = effectiveLimits(schedule, flow);
  let over = scheduleOverLimit;
  let last: LastRound | undefined;
  let rounds = 0;
  // Round 1 always runs: even without congestion its LP prices the period. Later rounds only
  // while the AC flow of the previous round's redispatch still violates a line limit.
  while (rounds === 0 || (rounds < maxRounds && over.size > 0)) {
    limits = effectiveLimits(schedule, flow);
    flow.branches.forEach((b, l) => {
      if (Math.abs(meanActiveFlow(b)) >= threshold * limits[l]) monitored.add(l);
    });
    rounds++;
    const rows = [...monitored].sort((a, b) => a - b);
    const sens = sensitivitiesAt(current, flow, rows);
    const masterNow = sumOf(master.rows, (k) => flow.gens[k].pg);
    // Never below 0: a negative target would cross the row's bounds and make the LP infeasible.
    const bounds = rows.map((l) => Math.max(0, limits[l] * (1 - margin) - (correction.get(l) ?? 0)));
    const lp = buildLp(units, delta, rows, bounds, sens, flow, op, master, masterNow, masterNow - masterScheduled);
    const solution = solveLpWith(highs, lp);
    const unmet = unmetLimits(solution.x, units.length, rows, schedule, master.rows);
    last = { solution, rows, sens, unmet };
    delta = Float64Array.from(units, (_, k) => solution.x[2 * k] - solution.x[2 * k + 1]);
    current = withAdjustments(schedule, units, delta);
    flow = runPowerFlow(current, options.powerFlow);
    over = lineViolations(current, flow);
    // Lines the LP already left over their target (elastic slack) gain nothing from a tighter
    // one: tightening would only inflate their reported excess round after round.
    const slacked = new Set(unmet.filter((u) => u.kind === "line").map((u) => u.row - 1));
    for (const [l, excess] of over) {
      if (slacked.has(l)) continue;
      correction.set(l, (correction.get(l) ?? 0) + excess + margin * limits[l]);
    }
    if (scheduleOverLimit.size === 0 && rounds === 1) break;
  }
  const final = last as LastRound;

  let unmet = final.unmet;
  if (unmet.length === 0 && over.size > 0) {
    unmet = [...over].map(([l, excess]) => ({
      kind: "line" as const,
      row: l + 1,
      description: `line ${flow.branches[l].from}-${flow.branches[l].to} is still over its limit after ${rounds} rounds`,
      excessMW: excess,
    }));
  }
  const adjustments: Adjustment[] = [];
  units.forEach((u, k) => {
    const d = delta[k];
    if (Math.abs(d) <= ADJUSTMENT_TOLERANCE) return;
    adjustments.push({
      gen: u.unit.gen,
      bus: schedule.gen[u.row][GEN.GEN_BUS],
      kind: u.unit.kind,
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
    row: l + 1,
    from: flow.branches[l].from,
    to: flow.branches[l].to,
    limit: limits[l],
    flow: meanActiveFlow(flow.branches[l]),
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
    case: current,
    loadFlow: flow,
    violations: checkLimits(current, flow),
    bindingLines,
    unmet,
    energyPrice: final.solution.rowDual[0],
    congestion: {
      sensitivities: {
        branchRows: binding.map(({ l }) => l),
        busIds: final.sens.busIds,
        matrix: binding.map(({ i }) => final.sens.matrix[i]),
        method: final.sens.method,
      },
      shadowPrices: Float64Array.from(bindingLines, (b) => b.shadowPrice),
    },
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
  readonly unit: RedispatchUnit;
  readonly row: number;
  readonly busRow: number;
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
  flow: PowerFlowResult,
  op: OperationData,
  master: MasterUnits,
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
  colCost.push(op.masterEnergyPrice);
  colLower.push(-Infinity);
  colUpper.push(Infinity);
  const slack = (): number => {
    colCost.push(PENALTY);
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
    const f = meanActiveFlow(flow.branches[l]);
    const s = sens.matrix[i];
    let shift = f;
    const entries: [number, number][] = [];
    units.forEach((u, k) => {
      const coefficient = s[u.busRow];
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
  rowLower.push(master.pmin - masterNow + deltaMaster);
  rowUpper.push(master.pmax - masterNow + deltaMaster);
  return { colCost, colLower, colUpper, rowLower, rowUpper, rows: lpRows };
}

function unmetLimits(
  x: Float64Array,
  nUnits: number,
  rows: readonly number[],
  c: PowerCase,
  masterRows: readonly number[],
): UnmetLimit[] {
  const out: UnmetLimit[] = [];
  const first = 2 * nUnits + 1;
  rows.forEach((l, i) => {
    const excess = x[first + 2 * i] + x[first + 2 * i + 1];
    if (excess > 1e-7) {
      const b = c.branch[l];
      out.push({
        kind: "line",
        row: l + 1,
        description: `line ${b[BRANCH.F_BUS]}-${b[BRANCH.T_BUS]} cannot be brought within its limit`,
        excessMW: excess,
      });
    }
  });
  const m = first + 2 * rows.length;
  const masterExcess = x[m] + x[m + 1];
  if (masterExcess > 1e-7) {
    out.push({
      kind: "master",
      row: masterRows[0] + 1,
      description: `the master unit cannot stay within [Pmin, Pmax]`,
      excessMW: masterExcess,
    });
  }
  return out;
}

interface MasterUnits {
  readonly rows: number[];
  readonly pmin: number;
  readonly pmax: number;
}

/** In-service units at reference buses: the master unit(s) that balance the grid. */
function masterUnits(c: PowerCase): MasterUnits {
  const refBuses = new Set(c.bus.filter((b) => b[BUS.BUS_TYPE] === BUS_TYPE_REF).map((b) => b[BUS.BUS_I]));
  const rows = c.gen
    .map((_, k) => k)
    .filter((k) => c.gen[k][GEN.GEN_STATUS] > 0 && refBuses.has(c.gen[k][GEN.GEN_BUS]));
  return {
    rows,
    pmin: sumOf(rows, (k) => c.gen[k][GEN.PMIN]),
    pmax: sumOf(rows, (k) => c.gen[k][GEN.PMAX]),
  };
}

function withAdjustments(c: PowerCase, units: readonly UnitBounds[], delta: Float64Array): PowerCase {
  const gen = c.gen.map((g) => [...g]);
  units.forEach((u, k) => (gen[u.row][GEN.PG] = u.scheduled + delta[k]));
  return { ...c, gen };
}

/**
 * The limit on each branch's mean active flow, MW (Infinity where none): the operation's active
 * limit, and where RATE_A is set, the active flow that leaves room for the branch's present
 * reactive flow and half its losses within the MVA rating.
 */
function effectiveLimits(c: PowerCase, flow: PowerFlowResult): Float64Array {
  const active = c.operation?.branchActiveLimitMW;
  return Float64Array.from(c.branch, (row, l) => {
    let limit = active && active[l] > 0 ? active[l] : Infinity;
    const rating = row[BRANCH.RATE_A];
    if (rating > 0 && row[BRANCH.BR_STATUS] !== 0) {
      const b = flow.branches[l];
      const q = Math.max(Math.abs(b.qf), Math.abs(b.qt));
      const halfLoss = Math.abs(b.pf + b.pt) / 2;
      limit = Math.min(limit, Math.sqrt(Math.max(0, rating * rating - q * q)) - halfLoss);
    }
    return limit;
  });
}

/** Branch index → excess (MW or MVA) for every line over its active limit or MVA rating. */
function lineViolations(c: PowerCase, flow: PowerFlowResult): Map<number, number> {
  const out = new Map<number, number>();
  for (const v of checkLimits(c, flow).lines) out.set(v.row - 1, Math.max(out.get(v.row - 1) ?? 0, v.deviation));
  return out;
}

function sumOf(indices: readonly number[], value: (k: number) => number): number {
  return indices.reduce((s, k) => s + value(k), 0);
}

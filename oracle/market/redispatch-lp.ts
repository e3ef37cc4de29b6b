/**
 * The redispatch's linear program (redispatch.ts describes it): each market unit's room to move
 * and its cost curve within it, the LP's columns and rows around the current AC operating point,
 * and the units' nodal values at its duals.
 */
import type { BranchFlows, OperatingPoint } from "../grid/pf/point";
import { meanFlow } from "../grid/pf/results";
import type { FlowSensitivities } from "../grid/sensitivity";
import type { LinearProgram, LpSolution } from "./lp";
import type { MarketModel, MarketUnit, PriceStep } from "./model";

/** A market unit's room to move from its schedule within one period, MW. */
export interface UnitRange {
  readonly unit: MarketUnit;
  /** Scheduled output, MW. */
  readonly scheduled: number;
  /**
   * Largest increase and decrease: the ramp (or the bids' total), within [Pmin, Pmax]
   * (renewables: up to the forecast).
   */
  readonly upMax: number;
  readonly downMax: number;
  /**
   * The cost curve of each direction within that room, cheapest step first (at least one step;
   * the sums are upMax and downMax): one step at the unit's price, or its bid steps, cut at the room.
   */
  readonly up: readonly PriceStep[];
  readonly down: readonly PriceStep[];
}

/** Every market unit's range around its output at `schedule` (the LP's column bounds). */
export function unitRanges(schedule: OperatingPoint, market: MarketModel): UnitRange[] {
  return market.units.map((u): UnitRange => {
    const pg = schedule.injections.pg[u.unit];
    const pmax = u.kind === "renewable" ? pg : u.pmax;
    const upRoom = Math.max(0, pmax - pg);
    const downRoom = Math.max(0, pg - u.pmin);
    const up = u.curves
      ? withinRoom(u.curves.up, upRoom)
      : [{ mw: Math.max(0, Math.min(u.rampMW, upRoom)), price: u.upPrice }];
    const down = u.curves
      ? withinRoom(u.curves.down, downRoom)
      : [{ mw: Math.max(0, Math.min(u.rampMW, downRoom)), price: u.downPrice }];
    const total = (steps: readonly PriceStep[]): number => steps.reduce((sum, step) => sum + step.mw, 0);
    return { unit: u, scheduled: pg, upMax: total(up), downMax: total(down), up, down };
  });
}

/** The steps of a curve cut at `room` MW, cheapest first; one empty step when there are none. */
function withinRoom(steps: readonly PriceStep[], room: number): PriceStep[] {
  if (steps.length === 0) return [{ mw: 0, price: 0 }];
  let left = room;
  return steps.map((step) => {
    const mw = Math.max(0, Math.min(step.mw, left));
    left -= mw;
    return { mw, price: step.price };
  });
}

/**
 * The LP's columns of each unit: one per step of its up curve (u_k,s), then one per step of its
 * down curve (d_k,s) — a unit without bid curves has one of each, u_k and d_k — then Δm, then
 * elastic slacks. δ_k = Σ_s u_k,s − Σ_s d_k,s.
 */
export interface ColumnLayout {
  /** First column of each unit (its up steps, then its down steps). */
  readonly first: readonly number[];
  /** The column of Δm; the slacks follow it. */
  readonly master: number;
}

export function columnLayout(units: readonly UnitRange[]): ColumnLayout {
  const first: number[] = [];
  let next = 0;
  for (const u of units) {
    first.push(next);
    next += u.up.length + u.down.length;
  }
  return { first, master: next };
}

/** δ_k of every unit from an LP solution. */
export function adjustmentsOf(units: readonly UnitRange[], layout: ColumnLayout, x: Float64Array): Float64Array {
  return Float64Array.from(units, (u, k) => {
    let delta = 0;
    const first = layout.first[k];
    for (let s = 0; s < u.up.length; s++) delta += x[first + s];
    for (let s = 0; s < u.down.length; s++) delta -= x[first + u.up.length + s];
    return delta;
  });
}

/**
 * Bounds on the columns of a curve whose sum must lie within [lower, upper] (0 ≤ lower ≤ upper),
 * taken in order: step s between what is left of `lower` and of `upper` after the steps before.
 * The steps' prices rise, so the LP fills them in order anyway; the bounds keep it so when a
 * trust region forces a minimum.
 */
function stepBounds(steps: readonly PriceStep[], lower: number, upper: number): { lo: number[]; hi: number[] } {
  const lo: number[] = [];
  const hi: number[] = [];
  let before = 0;
  for (const step of steps) {
    lo.push(Math.min(step.mw, Math.max(0, lower - before)));
    hi.push(Math.min(step.mw, Math.max(0, upper - before)));
    before += step.mw;
  }
  return { lo, hi };
}

/**
 * Columns: each unit's steps (columnLayout), then Δm, then elastic slacks (s⁺, s⁻) per line row
 * and per master bound. Rows: balance, one per monitored line, master limits.
 */
export function buildLp(
  units: readonly UnitRange[],
  delta: Float64Array,
  step: Float64Array,
  rows: readonly number[],
  bounds: readonly number[],
  sens: FlowSensitivities,
  flows: BranchFlows,
  market: MarketModel,
  masterNow: number,
  deltaMaster: number,
): LinearProgram {
  const layout = columnLayout(units);
  const colCost: number[] = [];
  const colLower: number[] = [];
  const colUpper: number[] = [];
  units.forEach((u, k) => {
    // δ within [δ⁰ − step, δ⁰ + step] ∩ [−downMax, upMax], as bounds on u and d (δ = u − d).
    const lo = Math.max(-u.downMax, delta[k] - step[k]);
    const hi = Math.min(u.upMax, delta[k] + step[k]);
    const up = stepBounds(u.up, Math.max(0, lo), Math.max(0, hi));
    const down = stepBounds(u.down, Math.max(0, -hi), Math.max(0, -lo));
    for (const [curve, bounds] of [
      [u.up, up],
      [u.down, down],
    ] as const) {
      curve.forEach((s, i) => {
        colCost.push(s.price);
        colLower.push(bounds.lo[i]);
        colUpper.push(bounds.hi[i]);
      });
    }
  });
  const masterCol = layout.master;
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
  // Balance around the current point: Σ (1 − LF_k)·(δ_k − δ_k⁰) + (Δm − Δm⁰) = 0, with the
  // marginal loss factors there (one more MW at unit k spares the master 1 − LF_k MW).
  let balance = deltaMaster;
  lpRows.push([
    ...units.flatMap((u, k): [number, number][] => {
      const share = 1 - sens.lossFactors[u.unit.bus];
      balance += share * delta[k];
      return unitEntries(u, layout.first[k], share);
    }),
    [masterCol, 1],
  ]);
  rowLower.push(balance);
  rowUpper.push(balance);
  rows.forEach((l, i) => {
    const s = sens.matrix[i];
    let shift = meanFlow(flows, l);
    const entries: [number, number][] = [];
    units.forEach((u, k) => {
      const coefficient = s[u.unit.bus];
      shift -= coefficient * delta[k];
      if (coefficient !== 0) entries.push(...unitEntries(u, layout.first[k], coefficient));
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

/** The entries of a row in which δ_k has coefficient `c`: +c on each up step, −c on each down step. */
function unitEntries(u: UnitRange, first: number, c: number): [number, number][] {
  const entries: [number, number][] = [];
  for (let s = 0; s < u.up.length; s++) entries.push([first + s, c]);
  for (let s = 0; s < u.down.length; s++) entries.push([first + u.up.length + s, -c]);
  return entries;
}

/**
 * Each unit's nodal value at the LP's duals, USD/MWh: what one more MW of its output is worth,
 * λ·(1 − LF) + Σ μ·S — the row duals times its column, as buildLp built it.
 */
export function nodalValues(
  units: readonly UnitRange[],
  rows: readonly number[],
  sens: FlowSensitivities,
  solution: LpSolution,
): Float64Array {
  return Float64Array.from(units, (u) => {
    const bus = u.unit.bus;
    let v = solution.rowDual[0] * (1 - sens.lossFactors[bus]);
    rows.forEach((_, i) => (v += solution.rowDual[1 + i] * sens.matrix[i][bus]));
    return v;
  });
}

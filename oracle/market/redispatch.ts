/**
 * Least-cost redispatch: the generator adjustments that bring every line's active flow within
 * its limit at least cost — the AC optimal power flow of the period with every unit but the
 * market's fixed, voltages held as the load flow holds them — solved as a sequence of linear
 * programs on the sensitivities at the current AC operating point (sequential linear
 * programming), each followed by a full AC load flow, until the adjustments stop moving.
 *
 * LP per round (MW, USD/h; δ_k = u_k − d_k is unit k's adjustment from its schedule):
 *   min  Σ_k (up_k·u_k + down_k·d_k) + c_m·Δm
 *   s.t. Σ_k (1 − LF_k)·(δ_k − δ_k⁰) + (Δm − Δm⁰) = 0               (balance; dual λ)
 *        −F_ℓ ≤ f_ℓ + Σ_k S_ℓk·(δ_k − δ_k⁰) ≤ F_ℓ   for monitored ℓ   (dual μ_ℓ)
 *        P_m,min ≤ m + Δm − Δm⁰ ≤ P_m,max                          (master unit limits)
 *        0 ≤ u_k ≤ min(ramp_k, Pmax_k − Pg_k),  0 ≤ d_k ≤ min(ramp_k, Pg_k − Pmin_k)
 * where f, m, δ⁰, Δm⁰ are the flows, master output and adjustments of the current AC solution,
 * S the flow sensitivities and LF the marginal loss factors there (the master makes up one MW
 * more at unit k with 1 − LF_k MW: losses priced, as an AC OPF prices them), c_m the master's
 * energy price (a unit with bid curves — oracle/market/bids.ts — has one u and one d column per
 * step instead, each at its step's price and bounded by its MW: its cost is the convex curve of
 * its bids). F_ℓ is the line's active limit and, where it has an MVA rating, the active flow
 * that the rating leaves beside the present reactive flow. Every round linearises at the AC
 * solution of the previous one, so at the fixed point the AC flows sit on their limits exactly
 * and the LP's optimality conditions are those of the AC problem: the moves, λ and μ are the AC
 * OPF's (docs/period.md compares them with MATPOWER's runopf). Every line and master row has
 * elastic slack at the market's limit-violation price (an ISO's constraint penalty price, above
 * every bid), so an impossible case still solves, reports exactly which limits cannot be met, and
 * prices each such limit at that published penalty — never at an arbitrary solver constant that
 * would turn into absurd nodal prices.
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
import { loadHighs, solveLpWith, type LpSolution } from "./lp";
import type { MarketModel, MarketUnit, PriceStep } from "./model";
import { adjustmentsOf, buildLp, columnLayout, nodalValues, unitRanges, type UnitRange } from "./redispatch-lp";

export interface RedispatchOptions {
  /** Largest number of LP + AC load-flow rounds (default 20; most periods take 1 to 6). */
  readonly maxRounds?: number;
  /** Lines are monitored in the LP once their flow reaches this fraction of their limit. */
  readonly monitorThreshold?: number;
  /**
   * The LP aims this fraction inside each limit (default 0: on it). The rounds converge on the AC
   * limit, so this is a safety margin an operator may want, not a numerical device.
   */
  readonly margin?: number;
  /**
   * The rounds stop once no adjustment moved by more than this from the previous round, per unit
   * of the case's base (default 1e-7 p.u.: 0.1 W on a 1 MVA base, 10 W on 100 MVA) and the AC
   * flow is within every limit.
   */
  readonly convergence?: number;
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
  /**
   * The unit's asking price for this direction, USD/MWh: its bid, or — a unit with bid curves —
   * the mean price of the steps its move takes, cheapest first (so |Δ|·bidPrice is what the
   * steps ask together).
   */
  readonly bidPrice: number;
}

/** An adjustment for people and published records: the unit by gen row, node and kind, the outputs in MW. */
export interface AdjustmentSummary {
  readonly genRow: number;
  readonly node: number;
  readonly kind: string;
  readonly scheduledMW: number;
  readonly adjustedMW: number;
  readonly deltaMW: number;
}

export const adjustmentSummary = (a: Adjustment): AdjustmentSummary => ({
  genRow: a.unit.genRow,
  node: a.unit.busId,
  kind: a.unit.kind,
  scheduledMW: a.scheduledMW,
  adjustedMW: a.adjustedMW,
  deltaMW: a.deltaMW,
});

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
  /**
   * The rounds ended with the adjustments at rest: the moves, λ and μ are the AC optimum's. False
   * when they ran out or stopped along a nearly flat optimum, holding units still searched for:
   * then feasible and near-optimal, and a held unit's nodal value may miss its bid by a little.
   */
  readonly converged: boolean;
  readonly adjustments: Adjustment[];
  /** LP objective at the optimum, USD per hour: bids plus master energy, plus the limit-violation penalty of any unmet limit. */
  readonly costPerHour: number;
  /** The operating point with the adjusted schedule, its external view and its limit report. */
  readonly point: OperatingPoint;
  readonly loadFlow: PowerFlowResult;
  readonly violations: LimitReport;
  readonly bindingLines: BindingLine[];
  readonly unmet: UnmetLimit[];
  /** Balance dual λ, USD/MWh: the price of energy at the reference bus, the energy component of every nodal price. */
  readonly energyPrice: number;
  /**
   * Marginal loss factor ∂L/∂P_i of every internal bus at the last LP's operating point (0 at the
   * reference bus; all 0 with DC sensitivities): LMP_i's loss component is −λ·LF_i.
   */
  readonly lossFactors: Float64Array;
  /** Sensitivities of the lines with a shadow price, and the shadow prices (same order). */
  readonly congestion: { readonly sensitivities: FlowSensitivities; readonly shadowPrices: Float64Array };
  /** The sensitivities of the first round, at the schedule's operating point (every monitored line). */
  readonly firstRoundSensitivities: FlowSensitivities;
}

/** Rounds at the end of the budget that hold the units still searched for where they are. */
const SETTLE_ROUNDS = 4;
/** USD/MWh: a unit's excess value below this is a basic LP column's round-off, not a reason to move. */
const ZERO_EXCESS = 1e-6;

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
  const maxRounds = options.maxRounds ?? 20;
  const threshold = options.monitorThreshold ?? 0.9;
  const margin = options.margin ?? 0;
  const method = options.sensitivity ?? "ac";
  const highs = await loadHighs();
  const index = market.network.index;
  const convergedMW = (options.convergence ?? 1e-7) * index.baseMVA;

  const units = unitRanges(schedule, market);
  const layout = columnLayout(units);
  const masterOutput = (p: OperatingPoint): number => market.master.reduce((s, k) => s + p.pg[k], 0);
  const masterScheduled = masterOutput(schedule);

  let current = schedule;
  let delta: Float64Array = new Float64Array(units.length);
  const monitored = new Uint8Array(index.branches.count);
  const scheduleOverLimit = lineExcess(checkGridLimits(schedule, market.limits));
  let limits = effectiveLimits(market.limits, current.flows);
  let over = scheduleOverLimit;
  let last: LastRound | undefined;
  let firstRoundSensitivities: FlowSensitivities | undefined;
  let rounds = 0;
  let converged = false;
  // A unit whose LP decision reverses from round to round has its optimum inside its range, where
  // the marginal losses and sensitivities, which move with its own output, make it exactly
  // marginal — no LP vertex is there. Such a unit gets a step bound around its last output (a
  // trust region): the secant of its excess value over the last step says where the optimum is
  // (the secant method), halving the bracket when the secant says nothing. Every LP stays an LP:
  // HiGHS's simplex, exact duals.
  const step = new Float64Array(units.length).fill(Infinity);
  let previousChange = new Float64Array(units.length);
  let previousExcess = new Float64Array(units.length);
  const noise = 10 * convergedMW;
  const costs: number[] = [];
  // Round 1 always runs: even without congestion its LP prices the period. Then rounds go on,
  // each linearised at the AC solution of the one before, until the adjustments stop moving (or,
  // along a nearly flat optimum, the cost stops falling) with every limit met.
  for (;;) {
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
    const bounds = rows.map((l) => Math.max(0, limits[l] * (1 - margin)));
    const solve = (): LpSolution =>
      solveLpWith(
        highs,
        buildLp(units, delta, step, rows, bounds, sens, current.flows, market, masterNow, masterNow - masterScheduled),
      );
    let solution = solve();
    let next = adjustmentsOf(units, layout, solution.x);
    const value = nodalValues(units, rows, sens, solution);
    const excess = Float64Array.from(units, (u, k) => excessValue(u, delta[k], value[k], convergedMW));
    // Units in a trust region, and units that just reversed their move (they enter one): the
    // Newton step f/h from here, h the secant of f over the last step, bounded by the bracket.
    let restep = false;
    const settling = rounds > maxRounds - SETTLE_ROUNDS;
    next.forEach((d, k) => {
      if (settling) {
        // The last rounds hold the units of the search where they are and bring the rest onto
        // the AC limits: where the search has not converged (units coupled along a nearly flat
        // optimum), the answer is feasible and near-optimal.
        if (Number.isFinite(step[k]) && step[k] > 0 && Math.abs(excess[k]) > ZERO_EXCESS) {
          step[k] = 0;
          restep = true;
        }
        return;
      }
      const last = previousChange[k];
      const change = d - delta[k];
      const reversal = Math.abs(change) > noise && Math.abs(last) > noise && Math.sign(change) !== Math.sign(last);
      if (!reversal && !Number.isFinite(step[k])) return;
      // Excess 0: a unit at the edge of its region has found its optimum; one inside it is held
      // by a line limit and has no optimum of its own to find.
      if (Math.abs(excess[k]) <= ZERO_EXCESS) {
        if (Number.isFinite(step[k]) && Math.abs(Math.abs(change) - step[k]) <= convergedMW / 100) {
          step[k] = convergedMW / 100;
          restep = true;
        }
        return;
      }
      const secant = Math.abs(last) > 0 ? (previousExcess[k] - excess[k]) / last : 0;
      const bracket = reversal ? Math.abs(last) : step[k];
      const newton = secant > 0 ? Math.abs(excess[k]) / secant : bracket / 2;
      step[k] = Math.max(convergedMW / 100, Math.min(newton, bracket));
      restep = true;
    });
    if (restep) {
      solution = solve();
      next = adjustmentsOf(units, layout, solution.x);
    }
    const unmet = unmetLimits(solution.x, layout.master, rows, market);
    last = { solution, rows, sens, unmet };
    const moved = next.reduce((m, d, k) => Math.max(m, Math.abs(d - delta[k])), 0);
    previousChange = Float64Array.from(next, (d, k) => d - delta[k]);
    previousExcess = excess;
    delta = next;
    const pg = Float64Array.from(schedule.injections.pg);
    units.forEach((u, k) => (pg[u.unit.unit] = u.scheduled + delta[k]));
    current = solvePowerFlow(market.network, withUnitOutputs(schedule.injections, pg), options.powerFlow, current);
    over = lineExcess(checkGridLimits(current, market.limits));
    // Adjustments that did not move give the same AC point and the same LP again: done, whether
    // or not every limit is met (a limit the LP left to its slack stays unmet).
    converged = moved <= convergedMW && !step.some((r) => r === 0);
    if (moved <= convergedMW || rounds >= maxRounds) break;
    // Along a nearly flat optimum the outputs may wander while the cost stays: done then too.
    costs.push(solution.objective);
    const recent = costs.slice(-3);
    const flat =
      recent.length === 3 && Math.max(...recent) - Math.min(...recent) <= 1e-9 * Math.max(1, Math.abs(recent[2]));
    if (flat && over.size === 0) break;
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
      bidPrice: meanPrice(d > 0 ? u.up : u.down, Math.abs(d)),
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
    converged,
    adjustments,
    costPerHour: final.solution.objective,
    point: current,
    loadFlow: toResult(current, index.source.name),
    violations: checkGridLimits(current, market.limits),
    bindingLines,
    unmet,
    energyPrice: final.solution.rowDual[0],
    lossFactors: final.sens.lossFactors,
    congestion: {
      sensitivities: {
        branches: Int32Array.from(binding, ({ l }) => l),
        matrix: binding.map(({ i }) => final.sens.matrix[i]),
        method: final.sens.method,
        lossFactors: final.sens.lossFactors,
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

/**
 * The excess value of raising unit k from its adjustment δ, USD/MWh, at its nodal value v: v − up
 * above its schedule, v + down below it, and at the schedule whichever bid v lies beyond (0
 * between them). Positive: the unit's optimum lies above δ. With bid curves, `up` and `down` are
 * the prices of the step δ lies in; between two steps, as at the schedule, whichever of the two
 * v lies beyond.
 */
function excessValue(u: UnitRange, delta: number, v: number, tolerance: number): number {
  if (Math.abs(delta) <= tolerance) {
    const upPrice = u.up[0].price;
    const downPrice = u.down[0].price;
    return v > upPrice ? v - upPrice : v < -downPrice ? v + downPrice : 0;
  }
  // Moving on along the curve costs `outer`, moving back saves `inner` (up: v − price; down: v + price).
  const sign = delta > 0 ? -1 : 1;
  const steps = delta > 0 ? u.up : u.down;
  const x = Math.abs(delta);
  let reached = 0;
  for (let s = 0; s < steps.length; s++) {
    reached += steps[s].mw;
    const inside = x < reached - tolerance || s === steps.length - 1;
    if (inside) return v + sign * steps[s].price;
    if (x <= reached + tolerance) {
      const inner = v + sign * steps[s].price;
      const outer = v + sign * steps[s + 1].price;
      // Up: inner ≤ outer; down: outer ≤ inner. The value is beyond one of them, or between.
      const low = Math.min(inner, outer);
      const high = Math.max(inner, outer);
      return low > 0 ? low : high < 0 ? high : 0;
    }
  }
  return v + sign * steps[steps.length - 1].price;
}

/**
 * The mean price of the first `mw` of `steps`, taken in order (USD/MWh): the first step's price
 * exactly while the move stays within it (as a unit without bid curves asks).
 */
function meanPrice(steps: readonly PriceStep[], mw: number): number {
  if (mw <= steps[0].mw || steps.length === 1) return steps[0].price;
  let left = mw;
  let cost = 0;
  for (const step of steps) {
    const taken = Math.min(step.mw, left);
    cost += taken * step.price;
    left -= taken;
    if (left <= 0) break;
  }
  return cost / (mw - Math.max(0, left));
}

function lineName(market: MarketModel, l: number): string {
  const { buses, branches } = market.network.index;
  return `${buses.id[branches.from[l]]}-${buses.id[branches.to[l]]}`;
}

function unmetLimits(
  x: Float64Array,
  masterColumn: number,
  rows: readonly number[],
  market: MarketModel,
): UnmetLimit[] {
  const out: UnmetLimit[] = [];
  const { index } = market.network;
  const first = masterColumn + 1;
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

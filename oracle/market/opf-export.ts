/**
 * A period's redispatch as a MATPOWER AC optimal power flow, so that anyone with MATPOWER can
 * re-solve GridSwap's problem and check its moves, shadow prices and nodal prices (the MATLAB
 * text is written by opf-matlab.ts, the comparison with MATPOWER's solution is opf-compare.ts).
 *
 * The exported problem is GridSwap's, stated in MATPOWER's terms:
 *   - market units: piecewise-linear cost through (schedule, 0) — the down bid below it, the up
 *     bid above it — within their ramp and [Pmin, Pmax] (renewables: up to their forecast); the
 *     master unit(s) at the master's energy price within their own limits; every other unit fixed
 *     at its schedule (PMIN = PMAX = PG, no cost);
 *   - voltages as the load flow holds them: |V| fixed at PV and reference buses (VMIN = VMAX = the
 *     set-point), free at PQ buses (VMIN 0, VMAX Inf); units' reactive output fixed at PQ buses
 *     (QMIN = QMAX = QG: the load flow's P-Q injections), free at PV and reference buses;
 *   - the operation data's line limits on the loss-neutral mean flow (Pf − Pt)/2, as user-defined
 *     nonlinear constraints (MATPOWER 8's `mpc.user_constraints.nli`, functions written beside the
 *     case). MATPOWER's own `opf.flow_lim = 'P'` limits the flow entering each end, which exceeds
 *     the mean by half the line's losses; RATE_A keeps the MVA ratings, under the default
 *     `opf.flow_lim = 'S'`, as GridSwap's limit check reads them; angle-difference limits off.
 * Only what the load flow solves is exported: in-service units and branches of energised islands,
 * in file order with the case's bus numbers (then MATPOWER's internal bus order is the file's).
 *
 * GridSwap's own answer goes beside it as JSON: every market unit's move, the binding lines and
 * their shadow prices, and every bus's price with its energy, loss and congestion components.
 */
import { createHash } from "node:crypto";
import { BRANCH, BUS, BUS_TYPE_PQ, GEN } from "../grid/case/columns";
import type { OperationData } from "../grid/case/operation";
import type { PowerCase } from "../grid/case/types";
import { CaseDataError } from "../grid/errors";
import { LIMIT_TOLERANCE } from "../grid/limits/checks";
import { withBidCurves } from "./bids";
import { marketModel, type PriceStep } from "./model";
import { applyForecasts, runPeriod, type Forecasts, type PeriodOptions, type PeriodResult } from "./period";
import {
  caseFile,
  matlabName,
  MEAN_FLOW_FUNCTION,
  MEAN_FLOW_HESSIAN,
  MEAN_FLOW_HESSIAN_SOURCE,
  MEAN_FLOW_SOURCE,
} from "./opf-matlab";
import { unitRanges } from "./redispatch-lp";
import { deriveOperation, type DeriveOperationOptions } from "./scenario";

export interface OpfMove {
  /** 1-based gen row of the case, and of the exported file (the same unless rows were left out). */
  readonly gen: number;
  readonly exportRow: number;
  readonly bus: number;
  readonly scheduledMW: number;
  readonly adjustedMW: number;
  readonly deltaMW: number;
}

export interface OpfBinding {
  /** 1-based branch row of the case and of the exported file, and its end buses. */
  readonly branch: number;
  readonly exportRow: number;
  readonly from: number;
  readonly to: number;
  readonly limitMW: number;
  /** Mean flow after redispatch, MW, signed from → to. */
  readonly flowMW: number;
  /** Value of one more MW of limit, USD/MWh (≥ 0; MATPOWER's multiplier of the binding side). */
  readonly mu: number;
  /** The side that binds: the flow from → to (+1) or to → from (−1). */
  readonly side: 1 | -1;
}

export interface OpfBusPrice {
  /** Bus number (the case's). */
  readonly bus: number;
  /** USD/MWh: price = energy + loss + congestion (MATPOWER's LAM_P). */
  readonly price: number;
  readonly energy: number;
  readonly loss: number;
  readonly congestion: number;
  /** Marginal loss factor ∂L/∂P, MW/MW. */
  readonly lossFactor: number;
}

/** GridSwap's answer to the exported problem (written as `<name>.gridswap.json`). */
export interface OpfAnswer {
  readonly format: "gridswap-opf-answer/1";
  readonly case: string;
  /** The MATPOWER case function (file `<name>.m`). */
  readonly name: string;
  readonly baseMVA: number;
  readonly period: PeriodResult["period"];
  readonly status: PeriodResult["redispatch"]["status"];
  readonly rounds: number;
  /** Cost as MATPOWER counts it, USD/h: the market units' PWL costs plus the master's energy. */
  readonly objective: number;
  /** The master unit's energy price, USD/MWh (λ when the master is within its limits). */
  readonly masterEnergyPrice: number;
  /** Every market unit, moved or not. */
  readonly moves: OpfMove[];
  /** The master unit(s): what they make up (losses included). */
  readonly master: OpfMove[];
  /** Lines with a nonzero shadow price. */
  readonly binding: OpfBinding[];
  /** One per exported bus, in file order. */
  readonly lmp: OpfBusPrice[];
  /** Where MATPOWER's problem is not exactly GridSwap's (empty: the same problem). */
  readonly differences: string[];
}

export interface OpfExport {
  /** The case function's name: the file is `<name>.m`. */
  readonly name: string;
  /** File name → text, to write into one directory. */
  readonly files: Readonly<Record<string, string>>;
  readonly answer: OpfAnswer;
  /** The problem's numbers as written (bus, gen, branch, gencost, mean-flow limits). */
  readonly data: OpfData;
}

export interface OpfData {
  readonly baseMVA: number;
  readonly bus: readonly (readonly number[])[];
  readonly gen: readonly (readonly number[])[];
  readonly branch: readonly (readonly number[])[];
  readonly gencost: readonly (readonly number[])[];
  /** [F T R X B TAP SHIFT LIMIT] per limited line (internal bus indices, MW). */
  readonly meanFlowLimits: readonly (readonly number[])[];
  /** The case's 1-based row of each exported gen, branch and limited line. */
  readonly genRows: readonly number[];
  readonly branchRows: readonly number[];
  readonly limitedBranchRows: readonly number[];
}

/**
 * A fingerprint of what makes the exported problem this problem — per bus its type, demand and
 * voltage band, per unit its output and bounds, the cost rows and the mean-flow limits, to 10
 * significant digits — so a reference made from it can tell it was made for the same problem
 * (SHA-256, hex: the reference carries no case data).
 */
export function problemKey(data: OpfData): string {
  const round = (rows: readonly (readonly number[])[], columns?: readonly number[]): string[] =>
    rows.map((r) => (columns ?? r.map((_, i) => i)).map((c) => Number(r[c].toPrecision(10))).join(" "));
  const key = {
    baseMVA: data.baseMVA,
    bus: round(data.bus, [BUS.BUS_TYPE, BUS.PD, BUS.QD, BUS.VMIN, BUS.VMAX]),
    gen: round(data.gen, [GEN.PG, GEN.PMIN, GEN.PMAX, GEN.QMIN, GEN.QMAX]),
    gencost: round(data.gencost),
    meanFlowLimits: round(data.meanFlowLimits),
  };
  return createHash("sha256").update(JSON.stringify(key)).digest("hex");
}

/** A period to export: its forecasts, and operation data derived (as a simulated day does) or the case's own. */
export interface PeriodProblem {
  readonly forecasts?: Forecasts;
  readonly deriveOperation?: DeriveOperationOptions;
}

/**
 * The operation data of `problem` on case `c`: derived from the period's schedule (the case with
 * its forecasts) as a simulated day derives them, with what was done said in `notes`, or the
 * case's own. A CaseDataError when there are none.
 */
export function problemOperation(c: PowerCase, problem: PeriodProblem, notes: string[] = []): OperationData {
  if (problem.deriveOperation) {
    if (c.operation) notes.push("the case's own operation data replaced (derived instead)");
    const schedule = applyForecasts(c, problem.forecasts ?? {});
    return deriveOperation(c, schedule, problem.deriveOperation, notes, "the period's schedule");
  }
  if (!c.operation) {
    throw new CaseDataError(
      `${c.name}: no operation data: a period needs line limits and redispatch units ("operation" in a JSON case), or derived ones`,
    );
  }
  return c.operation;
}

/** Runs the period of `problem` and exports it: the operation data used, the period and the export. */
export async function exportPeriodOpf(
  c: PowerCase,
  problem: PeriodProblem,
  options: PeriodOptions & OpfExportOptions = {},
): Promise<{ operation: OperationData; result: PeriodResult; opf: OpfExport }> {
  const operation = options.operation ?? problemOperation(c, problem);
  const forecasts = problem.forecasts ?? {};
  const result = await runPeriod(c, forecasts, { ...options, operation });
  const opf = exportRedispatchOpf(applyForecasts({ ...c, operation }, forecasts), operation, result, options);
  return { operation, result, opf };
}

export interface OpfExportOptions {
  /** The case function's name (default: the case name + "_opf", made a MATLAB identifier). */
  readonly name?: string;
  /** The LP's margin the period was run with (default 0): the exported limits are F·(1 − margin). */
  readonly margin?: number;
}

/**
 * The redispatch problem of `result` (a period of `schedule`, the case with its forecasts applied,
 * under `operation`) as a MATPOWER case with its constraint functions, and GridSwap's answer.
 */
export function exportRedispatchOpf(
  schedule: PowerCase,
  operation: OperationData,
  result: PeriodResult,
  options: OpfExportOptions = {},
): OpfExport {
  const point = result.loadFlow.point;
  const network = point.model;
  const { index } = network;
  // A study with bids priced its bid units with their curves: so does the export.
  const operated = marketModel(network, schedule, operation);
  const market = result.bids ? withBidCurves(operated, result.bids.units) : operated;
  const rd = result.redispatch;
  const name = options.name ?? matlabName(`${schedule.name}_opf`);
  if (!/^[A-Za-z][A-Za-z0-9_]{0,62}$/.test(name)) {
    throw new RangeError(`the MATPOWER case name must be a MATLAB identifier (letters, digits, _), got '${name}'`);
  }
  const margin = options.margin ?? 0;
  const differences: string[] = [];

  // Buses: every energised bus, in file order (= internal order), with the load flow's types.
  const busRows = Array.from(index.buses.row);
  const bus = busRows.map((row, i) => {
    const b = [...schedule.bus[row].slice(0, 13)];
    const type = point.types.type[i];
    b[BUS.BUS_TYPE] = type;
    b[BUS.VM] = point.vm[i];
    b[BUS.VA] = (point.va[i] * 180) / Math.PI;
    const held = type !== BUS_TYPE_PQ;
    b[BUS.VMAX] = held ? point.vm[i] : Infinity;
    b[BUS.VMIN] = held ? point.vm[i] : 0;
    return b;
  });

  // Units: market units around their schedule, master units free, every other unit fixed.
  const ranges = new Map(unitRanges(point, market).map((r) => [r.unit.unit, r]));
  const isMaster = new Set(market.master);
  const genRows = Array.from(index.gens.row);
  // A piecewise-linear cost of n points needs 4 + 2n columns; the widest unit sets the width.
  const costWidth = 4 + 2 * Math.max(3, ...[...ranges.values()].map((r) => r.up.length + r.down.length + 1));
  const gencost: number[][] = [];
  const gen = genRows.map((row, k) => {
    const g = [...schedule.gen[row].slice(0, 10)];
    const pg = point.pg[k];
    const atPq = point.types.type[index.gens.bus[k]] === BUS_TYPE_PQ;
    g[GEN.PG] = pg;
    g[GEN.QG] = point.qg[k];
    g[GEN.QMAX] = atPq ? point.qg[k] : Infinity;
    g[GEN.QMIN] = atPq ? point.qg[k] : -Infinity;
    g[GEN.VG] = point.vm[index.gens.bus[k]];
    g[GEN.GEN_STATUS] = 1;
    const range = ranges.get(k);
    let cost = [2, 0, 0, 2, 0, 0];
    if (isMaster.has(k)) {
      cost = [2, 0, 0, 2, market.masterEnergyPrice, 0];
    } else if (range && range.upMax + range.downMax > 0) {
      // The unit's bid, or its bid curves, around the schedule: cost 0 at pg, rising both ways.
      const points: number[] = [];
      const down = curvePoints(range.down);
      for (let i = down.length - 1; i >= 0; i--) points.push(pg - down[i].mw, down[i].cost);
      points.push(pg, 0);
      for (const p of curvePoints(range.up)) points.push(pg + p.mw, p.cost);
      cost = [1, 0, 0, points.length / 2, ...points];
      g[GEN.PMAX] = pg + range.upMax;
      g[GEN.PMIN] = pg - range.downMax;
    } else {
      g[GEN.PMAX] = pg;
      g[GEN.PMIN] = pg;
    }
    gencost.push([...cost, ...new Array<number>(costWidth - cost.length).fill(0)]);
    return g;
  });

  // Branches: in service, MVA ratings in RATE_A, angle limits off.
  const branchRows = Array.from(index.branches.row);
  const branch = branchRows.map((row) => {
    const b = [...schedule.branch[row].slice(0, 13)];
    while (b.length < 13) b.push(0);
    b[BRANCH.BR_STATUS] = 1;
    b[BRANCH.ANGMIN] = -360;
    b[BRANCH.ANGMAX] = 360;
    return b;
  });

  // Mean-flow limits: [F T R X B TAP SHIFT LIMIT] with internal (1-based) bus indices.
  const limited: number[] = [];
  for (let l = 0; l < index.branches.count; l++) if (Number.isFinite(market.limits.activeMW[l])) limited.push(l);
  const lines = limited.map((l) => {
    const b = branch[l];
    return [
      index.branches.from[l] + 1,
      index.branches.to[l] + 1,
      b[BRANCH.BR_R],
      b[BRANCH.BR_X],
      b[BRANCH.BR_B],
      b[BRANCH.TAP],
      b[BRANCH.SHIFT],
      market.limits.activeMW[l] * (1 - margin),
    ];
  });

  // What the MATPOWER problem cannot express exactly.
  if (rd.status === "infeasible") {
    differences.push(
      `GridSwap could not meet every limit (${rd.unmet.map((u) => u.description).join("; ")}): it prices the excess at ` +
        `the limit-violation price, MATPOWER's problem has hard limits and no solution`,
    );
  }
  for (const b of rd.bindingLines) {
    if (market.limits.activeMW[b.branch] > b.limit + LIMIT_TOLERANCE) {
      differences.push(
        `line ${b.from}-${b.to} binds on its MVA rating, which GridSwap turns into an active limit beside the present ` +
          `reactive flow; MATPOWER limits |S| itself (same limit, slightly different shadow price)`,
      );
    }
  }
  if (point.reactiveLimited.length > 0) {
    differences.push(
      "units held at a reactive limit in the load flow are exported as PQ injections (their buses as PQ)",
    );
  }

  const moves: OpfMove[] = unitRanges(point, market).map((r) => {
    const a = rd.adjustments.find((x) => x.unit.unit === r.unit.unit);
    const delta = a?.deltaMW ?? 0;
    return {
      gen: r.unit.genRow,
      exportRow: r.unit.unit + 1,
      bus: r.unit.busId,
      scheduledMW: r.scheduled,
      adjustedMW: r.scheduled + delta,
      deltaMW: delta,
    };
  });
  const master: OpfMove[] = Array.from(market.master, (k) => ({
    gen: index.gens.row[k] + 1,
    exportRow: k + 1,
    bus: index.buses.id[index.gens.bus[k]],
    scheduledMW: point.pg[k],
    adjustedMW: rd.point.pg[k],
    deltaMW: rd.point.pg[k] - point.pg[k],
  }));
  const binding: OpfBinding[] = rd.bindingLines.map((b) => ({
    branch: b.branchRow,
    exportRow: b.branch + 1,
    from: b.from,
    to: b.to,
    limitMW: b.limit * (1 - margin),
    flowMW: b.flow,
    mu: Math.abs(b.shadowPrice),
    // HiGHS: ∂cost/∂(bound) — the lower bound (flow to → from at −F) has μ > 0, the upper μ < 0.
    side: b.shadowPrice < 0 ? 1 : -1,
  }));
  const lmp: OpfBusPrice[] = result.prices.map((p) => ({
    bus: p.bus,
    price: p.total,
    energy: p.energy,
    loss: p.loss,
    congestion: p.congestion,
    lossFactor: p.lossFactor,
  }));
  const masterScheduled = market.master.reduce((s, k) => s + point.pg[k], 0);
  const answer: OpfAnswer = {
    format: "gridswap-opf-answer/1",
    case: schedule.name,
    name,
    baseMVA: schedule.baseMVA,
    period: result.period,
    status: rd.status,
    rounds: rd.rounds,
    objective: rd.costPerHour + market.masterEnergyPrice * masterScheduled,
    masterEnergyPrice: market.masterEnergyPrice,
    moves,
    master,
    binding,
    lmp,
    differences,
  };

  const caseText = caseFile({
    name,
    schedule,
    result,
    market,
    margin,
    bus,
    gen,
    branch,
    gencost,
    lines,
    limitedRows: limited.map((l) => branchRows[l] + 1),
    genRows,
    differences,
  });
  return {
    name,
    files: {
      [`${name}.m`]: caseText,
      [`${MEAN_FLOW_FUNCTION}.m`]: MEAN_FLOW_SOURCE,
      [`${MEAN_FLOW_HESSIAN}.m`]: MEAN_FLOW_HESSIAN_SOURCE,
      [`${name}.gridswap.json`]: `${JSON.stringify(answer, null, 1)}\n`,
    },
    answer,
    data: {
      baseMVA: schedule.baseMVA,
      bus,
      gen,
      branch,
      gencost,
      meanFlowLimits: lines,
      genRows: genRows.map((r) => r + 1),
      branchRows: branchRows.map((r) => r + 1),
      limitedBranchRows: limited.map((l) => branchRows[l] + 1),
    },
  };
}

/** The breakpoints of a cost curve: after each non-empty step, the MW moved and its cost (USD/h). */
function curvePoints(steps: readonly PriceStep[]): { mw: number; cost: number }[] {
  const out: { mw: number; cost: number }[] = [];
  let mw = 0;
  let cost = 0;
  for (const step of steps) {
    if (step.mw <= 0) continue;
    mw += step.mw;
    cost += step.mw * step.price;
    out.push({ mw, cost });
  }
  return out;
}

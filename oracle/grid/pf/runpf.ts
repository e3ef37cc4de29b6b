/**
 * One entry point for every power-flow algorithm (MATPOWER's runpf). The network model (indexing,
 * Ybus, Jacobian pattern and LU analysis) comes from the per-topology cache; the injections are
 * read from the case; the chosen solver runs; the result keeps the internal operating point and
 * gives the external view keyed by the user's numbers, in file order.
 */
import type { PowerCase } from "../case/types";
import { PowerFlowNotConvergedError } from "../errors";
import { BUS_TYPE_PQ } from "../case/columns";
import { withVoltageControlLost, type BusTypes } from "../model/bustypes";
import { NetworkModel } from "../model/network";
import { solveDc } from "./dc";
import { solveNewton } from "./newton";
import { injectionsOf, type Injections, type OperatingPoint, type PowerFlowAlgorithm } from "./point";
import { branchFlows, toResult, unitOutputs, type PowerFlowResult } from "./results";
import type { AcSolverInput, AcSolverOutput } from "./solver";
import { solveSweep } from "./sweep";

export interface PowerFlowOptions {
  /** "nr" Newton–Raphson (default), "bfs" backward/forward sweep (radial, PQ only), "dc" DC flow. */
  readonly algorithm?: PowerFlowAlgorithm;
  /** Largest allowed |P or Q mismatch|, per unit. MATPOWER's default: 1e-8. */
  readonly tolerance?: number;
  /** Iteration limit; defaults to 10 for Newton (as MATPOWER) and 100 for the sweep. */
  readonly maxIterations?: number;
  /**
   * Hold generators within [Qmin, Qmax]: a unit that violates a limit is fixed at it, its bus
   * becomes PQ, and the flow is solved again (MATPOWER's pf.enforce_q_lims = 1). Off by default.
   */
  readonly enforceQLimits?: boolean;
  /** Reuse the cached network model of an earlier solve of the same topology (default true). */
  readonly reuseModel?: boolean;
}

export const DEFAULT_TOLERANCE = 1e-8;
const DEFAULT_MAX_ITERATIONS: Record<PowerFlowAlgorithm, number> = { nr: 10, bfs: 100, dc: 1 };
/** A reactive output beyond its limit by more than this (MVAr) counts as a violation (MATPOWER's opf.violation). */
const Q_LIMIT_VIOLATION = 5e-6;

/** Solves `c` and returns the external view; its `point` is the internal operating point. */
export function runPowerFlow(c: PowerCase, options: PowerFlowOptions = {}): PowerFlowResult {
  const model = NetworkModel.of(c, { cache: options.reuseModel });
  return toResult(solvePowerFlow(model, injectionsOf(model, c), options), c.name);
}

/** Voltages to start from (internal, p.u. and rad): a previous solution of the same network. */
export interface WarmStart {
  readonly vm: Float64Array;
  readonly va: Float64Array;
}

/**
 * Solves the network `model` for `injections`. With `start` (e.g. the last operating point, when
 * only injections changed), Newton and the sweep begin from those voltages instead of the case's.
 */
export function solvePowerFlow(
  model: NetworkModel,
  injections: Injections,
  options: PowerFlowOptions = {},
  start?: WarmStart,
): OperatingPoint {
  const algorithm = options.algorithm ?? "nr";
  if (algorithm !== "nr" && algorithm !== "bfs" && algorithm !== "dc") {
    throw new RangeError(`unknown power-flow algorithm '${String(algorithm)}' (expected nr, bfs or dc)`);
  }
  const tolerance = options.tolerance ?? DEFAULT_TOLERANCE;
  if (!(tolerance > 0) || !Number.isFinite(tolerance)) {
    throw new RangeError(`tolerance must be a positive number, got ${tolerance}`);
  }
  const maxIterations = options.maxIterations ?? DEFAULT_MAX_ITERATIONS[algorithm];
  if (!Number.isInteger(maxIterations) || maxIterations < 1) {
    throw new RangeError(`maxIterations must be a positive integer, got ${maxIterations}`);
  }
  if (start && (start.vm.length !== model.index.buses.count || start.va.length !== model.index.buses.count)) {
    throw new RangeError(`the warm start has ${start.vm.length} voltages for ${model.index.buses.count} buses`);
  }
  if (algorithm === "dc") return solveDc(model, injections);
  return solveAcWithLimits(
    model,
    injections,
    algorithm,
    tolerance,
    maxIterations,
    options.enforceQLimits ?? false,
    start,
  );
}

/** Initial voltages: the start (or the case's Vm/Va), with set points at voltage-controlled buses. */
function initialVoltages(
  model: NetworkModel,
  injections: Injections,
  types: BusTypes,
  start: WarmStart | undefined,
): { vm: Float64Array; va: Float64Array } {
  const vm = Float64Array.from(start?.vm ?? injections.vm0);
  const va = Float64Array.from(start?.va ?? injections.va0);
  const g = model.index.gens;
  for (let k = 0; k < g.count; k++) if (types.type[g.bus[k]] !== BUS_TYPE_PQ) vm[g.bus[k]] = injections.vg[k];
  return { vm, va };
}

/** The working state of MATPOWER's reactive-limit loop: units still free, and the demand they left. */
interface LimitLoopState {
  types: BusTypes;
  pd: Float64Array;
  qd: Float64Array;
  pg: Float64Array;
  qg: Float64Array;
  /** 1 for units still in the solve; units fixed at a limit are folded into the demand. */
  active: Uint8Array;
}

function solveAcWithLimits(
  model: NetworkModel,
  injections: Injections,
  algorithm: "nr" | "bfs",
  tolerance: number,
  maxIterations: number,
  enforceQLimits: boolean,
  warm: WarmStart | undefined,
): OperatingPoint {
  const g = model.index.gens;
  const state: LimitLoopState = {
    types: model.baseTypes,
    pd: injections.pd,
    qd: injections.qd,
    pg: injections.pg,
    qg: injections.qg,
    active: new Uint8Array(g.count).fill(1),
  };
  const fixedP = new Float64Array(g.count);
  const fixedQ = new Float64Array(g.count);
  const limited: number[] = [];
  const warnings: string[] = [];
  let start = initialVoltages(model, injections, state.types, warm);
  let totalIterations = 0;
  for (;;) {
    let out: AcSolverOutput;
    try {
      out = solveAc(model, state, start, algorithm, tolerance, maxIterations);
    } catch (e) {
      if (e instanceof PowerFlowNotConvergedError && limited.length > 0) {
        throw new PowerFlowNotConvergedError(
          e.algorithm,
          totalIterations + e.iterations,
          e.mismatch,
          `after fixing ${limited.length} generator(s) at reactive limits`,
        );
      }
      throw e;
    }
    totalIterations += out.iterations;
    const dispatch = unitOutputs(
      model,
      state,
      { ...injections, pg: state.pg, qg: state.qg },
      state.active,
      state.types,
      out.vm,
      out.va,
    );
    const violators = enforceQLimits ? reactiveViolators(model, injections, state, dispatch.qg) : [];
    if (violators.length === 0) {
      const pg = dispatch.pg;
      const qg = dispatch.qg;
      for (const k of limited) {
        pg[k] = fixedP[k];
        qg[k] = fixedQ[k];
      }
      let va = out.va;
      const originalRef = model.baseTypes.ref[0];
      if (state.types.ref[0] !== originalRef) {
        // A reference bus replaced during Q-limit enforcement: restore the original angle reference.
        const shift = injections.va0[originalRef] - va[originalRef];
        va = va.map((a) => a + shift);
      }
      const flows = branchFlows(model, out.vm, va);
      let lossP = 0;
      let lossQ = 0;
      for (let l = 0; l < flows.pf.length; l++) {
        lossP += flows.pf[l] + flows.pt[l];
        lossQ += flows.qf[l] + flows.qt[l];
      }
      return {
        model,
        injections,
        algorithm,
        iterations: totalIterations,
        mismatch: out.mismatch,
        types: state.types,
        vm: out.vm,
        va,
        pg,
        qg,
        flows,
        losses: { p: lossP, q: lossQ },
        reactiveLimited: Int32Array.from(limited).sort(),
        warnings,
      };
    }
    // MATPOWER's runpf loop body: violating units are fixed at their limit and folded into the
    // bus demand; their buses become PQ; units still on line keep the output just solved.
    const pd = Float64Array.from(state.pd);
    const qd = Float64Array.from(state.qd);
    const active = Uint8Array.from(state.active);
    for (const k of violators) {
      const limit = dispatch.qg[k] > injections.qmax[k] ? injections.qmax[k] : injections.qmin[k];
      fixedP[k] = dispatch.pg[k];
      fixedQ[k] = limit;
      pd[g.bus[k]] -= dispatch.pg[k];
      qd[g.bus[k]] -= limit;
      active[k] = 0;
      limited.push(k);
    }
    const { types, newReference } = withVoltageControlLost(
      state.types,
      violators.map((k) => g.bus[k]),
    );
    if (newReference >= 0) {
      warnings.push(
        `bus ${model.index.buses.id[newReference]} became the reference bus after the original one hit a reactive limit`,
      );
    }
    Object.assign(state, { types, pd, qd, pg: dispatch.pg, qg: dispatch.qg, active });
    start = { vm: out.vm, va: out.va };
  }
}

function solveAc(
  model: NetworkModel,
  state: LimitLoopState,
  start: { vm: Float64Array; va: Float64Array },
  algorithm: "nr" | "bfs",
  tolerance: number,
  maxIterations: number,
): AcSolverOutput {
  const { index } = model;
  const nb = index.buses.count;
  const base = index.baseMVA;
  // Net injection per bus, per unit: units still in the solve minus demand (MATPOWER's makeSbus).
  const sbusRe = new Float64Array(nb);
  const sbusIm = new Float64Array(nb);
  const g = index.gens;
  for (let k = 0; k < g.count; k++) {
    if (!state.active[k]) continue;
    sbusRe[g.bus[k]] += state.pg[k];
    sbusIm[g.bus[k]] += state.qg[k];
  }
  for (let i = 0; i < nb; i++) {
    sbusRe[i] = (sbusRe[i] - state.pd[i]) / base;
    sbusIm[i] = (sbusIm[i] - state.qd[i]) / base;
  }
  const { types } = state;
  const input: AcSolverInput = {
    ybus: model.ybus,
    sbusRe,
    sbusIm,
    vm0: start.vm,
    va0: start.va,
    ref: types.ref,
    pv: types.pv,
    pq: types.pq,
    tolerance,
    maxIterations,
  };
  if (algorithm === "nr") return solveNewton({ ...input, newtonSystem: model.newtonSystem(types) });
  const yshRe = new Float64Array(nb);
  const yshIm = new Float64Array(nb);
  for (let i = 0; i < nb; i++) {
    yshRe[i] = index.buses.gs[i] / base;
    yshIm[i] = index.buses.bs[i] / base;
  }
  return solveSweep({
    ...input,
    from: index.branches.from,
    to: index.branches.to,
    admittances: model.admittances,
    yshRe,
    yshIm,
    busIds: index.buses.id,
  });
}

/** Units (internal indices) still in the solve, at voltage-controlled buses, with Q outside their limits. */
function reactiveViolators(
  model: NetworkModel,
  injections: Injections,
  state: LimitLoopState,
  qg: Float64Array,
): number[] {
  const g = model.index.gens;
  const out: number[] = [];
  for (let k = 0; k < g.count; k++) {
    if (!state.active[k] || state.types.type[g.bus[k]] === BUS_TYPE_PQ) continue;
    if (qg[k] > injections.qmax[k] + Q_LIMIT_VIOLATION || qg[k] < injections.qmin[k] - Q_LIMIT_VIOLATION) out.push(k);
  }
  return out;
}

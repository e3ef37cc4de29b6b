/**
 * One entry point for every power-flow algorithm (MATPOWER's runpf): internal indexing, Ybus,
 * injections and the initial voltages are built once, the chosen solver runs, and the results
 * come back keyed by the user's bus numbers and in file order.
 */
import { BRANCH, BUS, BUS_TYPE_PQ, BUS_TYPE_PV, BUS_TYPE_REF, GEN } from "../case/columns";
import type { PowerCase } from "../case/types";
import { CaseDataError, PowerFlowNotConvergedError } from "../errors";
import { classifyBuses, toInternal, type InternalCase, type InternalGens } from "../model/internal";
import {
  branchAdmittances,
  buildYbus,
  busInjections,
  type BranchAdmittances,
  type ComplexCsr,
} from "../network/admittance";
import { solveDc } from "./dc";
import { solveNewton } from "./newton";
import {
  acBranchFlows,
  acGenResults,
  busResults,
  toFileOrder,
  type PowerFlowAlgorithm,
  type PowerFlowResult,
  type SolvedState,
} from "./results";
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
}

export const DEFAULT_TOLERANCE = 1e-8;
const DEFAULT_MAX_ITERATIONS: Record<PowerFlowAlgorithm, number> = { nr: 10, bfs: 100, dc: 1 };
/** A reactive output beyond its limit by more than this (MVAr) counts as a violation (MATPOWER's opf.violation). */
const Q_LIMIT_VIOLATION = 5e-6;
const RAD = 180 / Math.PI;

export function runPowerFlow(c: PowerCase, options: PowerFlowOptions = {}): PowerFlowResult {
  const algorithm = options.algorithm ?? "nr";
  if (!(algorithm in DEFAULT_MAX_ITERATIONS)) {
    throw new RangeError(`unknown power-flow algorithm '${String(algorithm)}': expected nr, bfs or dc`);
  }
  const tolerance = options.tolerance ?? DEFAULT_TOLERANCE;
  if (!(tolerance > 0)) throw new RangeError(`tolerance must be a positive number, got ${tolerance}`);
  const maxIterations = options.maxIterations ?? DEFAULT_MAX_ITERATIONS[algorithm];
  if (!Number.isInteger(maxIterations) || maxIterations < 1) {
    throw new RangeError(`maxIterations must be a positive integer, got ${maxIterations}`);
  }

  const ic = toInternal(c);
  const admittances = branchAdmittances(ic);
  const ybus = buildYbus(ic, admittances);
  if (algorithm === "dc") return dcResult(ic);
  return acResult(ic, ybus, admittances, algorithm, tolerance, maxIterations, options.enforceQLimits ?? false);
}

/** Initial voltages: the case's Vm/Va, with generator set points at PV and reference buses. */
function initialVoltages(ic: InternalCase): SolvedState {
  const vm = Float64Array.from(ic.buses.vm0);
  const va = Float64Array.from(ic.buses.va0);
  const g = ic.gens;
  for (let k = 0; k < g.count; k++) if (ic.buses.type[g.bus[k]] !== BUS_TYPE_PQ) vm[g.bus[k]] = g.vg[k];
  return { vm, va };
}

function solveAc(
  ic: InternalCase,
  ybus: ComplexCsr,
  admittances: BranchAdmittances,
  start: SolvedState,
  algorithm: "nr" | "bfs",
  tolerance: number,
  maxIterations: number,
): AcSolverOutput {
  const sbus = busInjections(ic);
  const input: AcSolverInput = {
    ybus,
    sbusRe: sbus.re,
    sbusIm: sbus.im,
    vm0: start.vm,
    va0: start.va,
    ref: ic.ref,
    pv: ic.pv,
    pq: ic.pq,
    tolerance,
    maxIterations,
  };
  if (algorithm === "nr") return solveNewton(input);
  const base = ic.baseMVA;
  return solveSweep({
    ...input,
    from: ic.branches.from,
    to: ic.branches.to,
    admittances,
    yshRe: Float64Array.from(ic.buses.gs, (gs) => gs / base),
    yshIm: Float64Array.from(ic.buses.bs, (bs) => bs / base),
    busIds: ic.buses.id,
  });
}

/** A unit held at a reactive limit during Q-limit enforcement. */
interface FixedUnit {
  readonly row: number;
  readonly pg: number;
  readonly qg: number;
}

function acResult(
  ic: InternalCase,
  ybus: ComplexCsr,
  admittances: BranchAdmittances,
  algorithm: "nr" | "bfs",
  tolerance: number,
  maxIterations: number,
  enforceQLimits: boolean,
): PowerFlowResult {
  let work = ic;
  let start = initialVoltages(ic);
  const fixed: FixedUnit[] = [];
  const warnings: string[] = [];
  let totalIterations = 0;
  for (;;) {
    let out: AcSolverOutput;
    try {
      out = solveAc(work, ybus, admittances, start, algorithm, tolerance, maxIterations);
    } catch (e) {
      if (e instanceof PowerFlowNotConvergedError && fixed.length > 0) {
        throw new PowerFlowNotConvergedError(
          e.algorithm,
          totalIterations + e.iterations,
          e.mismatch,
          `after fixing ${fixed.length} generator(s) at reactive limits`,
        );
      }
      throw e;
    }
    totalIterations += out.iterations;
    const state: SolvedState = { vm: out.vm, va: out.va };
    const dispatch = acGenResults(work, ybus, state, work.buses.type);
    const violators = enforceQLimits ? reactiveViolators(work, dispatch.qg) : [];
    if (violators.length === 0) {
      return assembleAc(ic, work, admittances, state, dispatch, fixed, algorithm, totalIterations, out, warnings);
    }
    work = fixAtReactiveLimits(work, dispatch, violators, fixed, warnings);
    start = state;
  }
}

/** Indices (into work.gens) of units at PV or reference buses whose Q is outside its limits. */
function reactiveViolators(work: InternalCase, qg: Float64Array): number[] {
  const g = work.gens;
  const out: number[] = [];
  for (let k = 0; k < g.count; k++) {
    if (work.buses.type[g.bus[k]] === BUS_TYPE_PQ) continue;
    if (qg[k] > g.qmax[k] + Q_LIMIT_VIOLATION || qg[k] < g.qmin[k] - Q_LIMIT_VIOLATION) out.push(k);
  }
  return out;
}

/**
 * MATPOWER's runpf loop body: violating units are fixed at their limit and folded into the bus
 * demand, their buses become PQ, and if the reference bus lost its voltage control the first
 * remaining PV bus takes over as reference.
 */
function fixAtReactiveLimits(
  work: InternalCase,
  dispatch: { pg: Float64Array; qg: Float64Array },
  violators: number[],
  fixed: FixedUnit[],
  warnings: string[],
): InternalCase {
  const g = work.gens;
  const type = Uint8Array.from(work.buses.type);
  const pd = Float64Array.from(work.buses.pd);
  const qd = Float64Array.from(work.buses.qd);
  const remove = new Uint8Array(g.count);
  for (const k of violators) {
    const limit = dispatch.qg[k] > g.qmax[k] ? g.qmax[k] : g.qmin[k];
    fixed.push({ row: g.row[k], pg: dispatch.pg[k], qg: limit });
    pd[g.bus[k]] -= dispatch.pg[k];
    qd[g.bus[k]] -= limit;
    type[g.bus[k]] = BUS_TYPE_PQ;
    remove[k] = 1;
  }
  const keep = Array.from({ length: g.count }, (_, k) => k).filter((k) => !remove[k]);
  const pick = <T extends Float64Array | Int32Array>(a: T): T => a.filter((_, k) => !remove[k]) as T;
  // Units still on line keep the Q they just produced as their fixed injection where their bus is now PQ.
  const gens: InternalGens = {
    count: keep.length,
    row: pick(g.row),
    bus: pick(g.bus),
    pg: pick(dispatch.pg),
    qg: pick(dispatch.qg),
    qmax: pick(g.qmax),
    qmin: pick(g.qmin),
    vg: pick(g.vg),
  };
  if (!type.some((t) => t === BUS_TYPE_REF)) {
    const newRef = type.findIndex((t) => t === BUS_TYPE_PV);
    if (newRef < 0) {
      throw new CaseDataError("every generator is at a reactive limit: no bus is left to hold the voltage");
    }
    type[newRef] = BUS_TYPE_REF;
    warnings.push(`bus ${work.buses.id[newRef]} became the reference bus after the original one hit a reactive limit`);
  }
  const { ref, pv, pq } = classifyBuses(type);
  return { ...work, buses: { ...work.buses, type, pd, qd }, gens, ref, pv, pq };
}

function assembleAc(
  ic: InternalCase,
  work: InternalCase,
  admittances: BranchAdmittances,
  state: SolvedState,
  dispatch: { pg: Float64Array; qg: Float64Array },
  fixed: FixedUnit[],
  algorithm: "nr" | "bfs",
  iterations: number,
  out: AcSolverOutput,
  warnings: string[],
): PowerFlowResult {
  const c = ic.source;
  // A reference bus replaced during Q-limit enforcement: restore the original angle reference.
  if (work.ref[0] !== ic.ref[0]) {
    const shift = ic.buses.va0[ic.ref[0]] - state.va[ic.ref[0]];
    state = { vm: state.vm, va: state.va.map((a) => a + shift) };
  }
  const pg = toFileOrder(c.gen.length, work.gens.row, dispatch.pg);
  const qg = toFileOrder(c.gen.length, work.gens.row, dispatch.qg);
  for (const u of fixed) {
    pg[u.row] = u.pg;
    qg[u.row] = u.qg;
  }
  const flows = acBranchFlows(ic, admittances, state);
  const nl = c.branch.length;
  const rows = ic.branches.row;
  const pf = toFileOrder(nl, rows, flows.pf);
  const qf = toFileOrder(nl, rows, flows.qf);
  const pt = toFileOrder(nl, rows, flows.pt);
  const qt = toFileOrder(nl, rows, flows.qt);
  let lossP = 0;
  let lossQ = 0;
  for (let l = 0; l < flows.pf.length; l++) {
    lossP += flows.pf[l] + flows.pt[l];
    lossQ += flows.qf[l] + flows.qt[l];
  }
  return {
    case: c.name,
    algorithm,
    converged: true,
    iterations,
    mismatch: out.mismatch * ic.baseMVA,
    baseMVA: ic.baseMVA,
    buses: busResults(ic, state),
    gens: c.gen.map((row, k) => ({ bus: row[GEN.GEN_BUS], pg: pg[k], qg: qg[k] })),
    branches: c.branch.map((row, l) => ({
      from: row[BRANCH.F_BUS],
      to: row[BRANCH.T_BUS],
      pf: pf[l],
      qf: qf[l],
      pt: pt[l],
      qt: qt[l],
    })),
    losses: { p: lossP, q: lossQ },
    isolatedBuses: [...ic.isolatedBusIds],
    reactiveLimited: fixed.map((u) => u.row + 1).sort((a, b) => a - b),
    warnings,
  };
}

function dcResult(ic: InternalCase): PowerFlowResult {
  const c = ic.source;
  const base = ic.baseMVA;
  const sol = solveDc(ic, busInjections(ic).re);
  const pg = toFileOrder(c.gen.length, ic.gens.row, ic.gens.pg);
  // The first unit at each reference bus takes up the balance (MATPOWER's rundcpf).
  ic.ref.forEach((bus, k) => {
    for (let u = 0; u < ic.gens.count; u++) {
      if (ic.gens.bus[u] === bus) {
        pg[ic.gens.row[u]] += sol.refInjection[k] * base;
        break;
      }
    }
  });
  const pf = toFileOrder(
    c.branch.length,
    ic.branches.row,
    sol.pf.map((p) => p * base),
  );
  const buses = c.bus.map((row, r) => {
    const i = ic.busIndexOfRow[r];
    return i < 0 ? { id: row[BUS.BUS_I], vm: 0, va: 0 } : { id: row[BUS.BUS_I], vm: 1, va: sol.va[i] * RAD };
  });
  return {
    case: c.name,
    algorithm: "dc",
    converged: true,
    iterations: 1,
    mismatch: sol.mismatch * base,
    baseMVA: base,
    buses,
    // The DC model has no reactive power: Q quantities are reported as 0.
    gens: c.gen.map((row, k) => ({ bus: row[GEN.GEN_BUS], pg: pg[k], qg: 0 })),
    branches: c.branch.map((row, l) => ({
      from: row[BRANCH.F_BUS],
      to: row[BRANCH.T_BUS],
      pf: pf[l],
      qf: 0,
      pt: 0 - pf[l], // not -pf[l]: an out-of-service branch would report -0
      qt: 0,
    })),
    losses: { p: 0, q: 0 },
    isolatedBuses: [...ic.isolatedBusIds],
    reactiveLimited: [],
    warnings: [],
  };
}

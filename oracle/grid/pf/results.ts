/**
 * Power-flow results keyed by the user's numbers, in file order (MATPOWER's pfsoln + int2ext).
 * Units: MW, MVAr, p.u., degrees.
 */
import { BUS, BUS_TYPE_PQ, BUS_TYPE_REF } from "../case/columns";
import type { InternalCase } from "../model/internal";
import { multiplyComplex, type BranchAdmittances, type ComplexCsr } from "../network/admittance";

export type PowerFlowAlgorithm = "nr" | "bfs" | "dc";

export interface BusResult {
  readonly id: number;
  /** Voltage magnitude, p.u. (0 for an isolated, de-energised bus). */
  readonly vm: number;
  /** Voltage angle, degrees. */
  readonly va: number;
}
export interface GenResult {
  readonly bus: number;
  /** MW. */
  readonly pg: number;
  /** MVAr. */
  readonly qg: number;
}
export interface BranchResult {
  readonly from: number;
  readonly to: number;
  /** Flow into the branch at the from end, MW / MVAr. */
  readonly pf: number;
  readonly qf: number;
  /** Flow into the branch at the to end, MW / MVAr. */
  readonly pt: number;
  readonly qt: number;
}

export interface PowerFlowResult {
  readonly case: string;
  readonly algorithm: PowerFlowAlgorithm;
  readonly converged: true;
  readonly iterations: number;
  /** Largest |P or Q mismatch| at the solution, MW / MVAr. */
  readonly mismatch: number;
  readonly baseMVA: number;
  /** One entry per bus row, in file order. */
  readonly buses: BusResult[];
  /** One entry per gen row, in file order (0 for out-of-service units). */
  readonly gens: GenResult[];
  /** One entry per branch row, in file order (0 for out-of-service branches). */
  readonly branches: BranchResult[];
  /** Total series and shunt branch losses, MW / MVAr (MVAr includes line charging). */
  readonly losses: { readonly p: number; readonly q: number };
  /** Bus numbers left out of the solve (type 4, or an island with no slack). */
  readonly isolatedBuses: number[];
  /** Gen rows (1-based) fixed at a reactive limit when limits are enforced. */
  readonly reactiveLimited: number[];
  readonly warnings: string[];
}

export interface SolvedState {
  readonly vm: Float64Array;
  /** Radians. */
  readonly va: Float64Array;
}

const RAD = 180 / Math.PI;

export function busResults(ic: InternalCase, state: SolvedState): BusResult[] {
  return ic.source.bus.map((row, r) => {
    const i = ic.busIndexOfRow[r];
    return i < 0
      ? { id: row[BUS.BUS_I], vm: 0, va: 0 }
      : { id: row[BUS.BUS_I], vm: state.vm[i], va: state.va[i] * RAD };
  });
}

/**
 * Generator outputs after an AC solve. Q at PV and slack buses comes from the bus injection
 * plus local demand, shared among a bus's units in proportion to their reactive ranges (as
 * MATPOWER does); P of the first unit at each slack bus takes up the balance.
 */
export function acGenResults(
  ic: InternalCase,
  ybus: ComplexCsr,
  state: SolvedState,
  busType: Uint8Array,
): { pg: Float64Array; qg: Float64Array } {
  const g = ic.gens;
  const pg = Float64Array.from(g.pg);
  const qg = Float64Array.from(g.qg);
  const nb = ic.buses.count;
  const sRe = new Float64Array(nb);
  const sIm = new Float64Array(nb);
  const vRe = Float64Array.from(state.vm, (m, i) => m * Math.cos(state.va[i]));
  const vIm = Float64Array.from(state.vm, (m, i) => m * Math.sin(state.va[i]));
  const iRe = new Float64Array(nb);
  const iIm = new Float64Array(nb);
  multiplyComplex(ybus, vRe, vIm, iRe, iIm);
  for (let i = 0; i < nb; i++) {
    sRe[i] = (vRe[i] * iRe[i] + vIm[i] * iIm[i]) * ic.baseMVA;
    sIm[i] = (vIm[i] * iRe[i] - vRe[i] * iIm[i]) * ic.baseMVA;
  }
  const unitsAt: number[][] = Array.from({ length: nb }, () => []);
  for (let k = 0; k < g.count; k++) if (busType[g.bus[k]] !== BUS_TYPE_PQ) unitsAt[g.bus[k]].push(k);
  for (let i = 0; i < nb; i++) {
    const units = unitsAt[i];
    if (units.length === 0) continue;
    const total = sIm[i] + ic.buses.qd[i];
    const qmin = units.reduce((s, k) => s + g.qmin[k], 0);
    const qmax = units.reduce((s, k) => s + g.qmax[k], 0);
    for (const k of units) {
      qg[k] =
        units.length === 1 || qmin === qmax || !Number.isFinite(qmax - qmin)
          ? total / units.length
          : g.qmin[k] + ((total - qmin) / (qmax - qmin + Number.EPSILON)) * (g.qmax[k] - g.qmin[k]);
    }
    if (busType[i] === BUS_TYPE_REF) {
      const others = units.slice(1).reduce((s, k) => s + pg[k], 0);
      pg[units[0]] = sRe[i] + ic.buses.pd[i] - others;
    }
  }
  return { pg, qg };
}

export function acBranchFlows(
  ic: InternalCase,
  y: BranchAdmittances,
  state: SolvedState,
): { pf: Float64Array; qf: Float64Array; pt: Float64Array; qt: Float64Array } {
  const br = ic.branches;
  const nl = br.count;
  const out = {
    pf: new Float64Array(nl),
    qf: new Float64Array(nl),
    pt: new Float64Array(nl),
    qt: new Float64Array(nl),
  };
  const base = ic.baseMVA;
  for (let l = 0; l < nl; l++) {
    const f = br.from[l];
    const t = br.to[l];
    const vfRe = state.vm[f] * Math.cos(state.va[f]);
    const vfIm = state.vm[f] * Math.sin(state.va[f]);
    const vtRe = state.vm[t] * Math.cos(state.va[t]);
    const vtIm = state.vm[t] * Math.sin(state.va[t]);
    const ifRe = y.yffRe[l] * vfRe - y.yffIm[l] * vfIm + y.yftRe[l] * vtRe - y.yftIm[l] * vtIm;
    const ifIm = y.yffRe[l] * vfIm + y.yffIm[l] * vfRe + y.yftRe[l] * vtIm + y.yftIm[l] * vtRe;
    const itRe = y.ytfRe[l] * vfRe - y.ytfIm[l] * vfIm + y.yttRe[l] * vtRe - y.yttIm[l] * vtIm;
    const itIm = y.ytfRe[l] * vfIm + y.ytfIm[l] * vfRe + y.yttRe[l] * vtIm + y.yttIm[l] * vtRe;
    out.pf[l] = (vfRe * ifRe + vfIm * ifIm) * base;
    out.qf[l] = (vfIm * ifRe - vfRe * ifIm) * base;
    out.pt[l] = (vtRe * itRe + vtIm * itIm) * base;
    out.qt[l] = (vtIm * itRe - vtRe * itIm) * base;
  }
  return out;
}

/** Places in-service values back at their file rows; other rows get zeros. */
export function toFileOrder(count: number, rows: Int32Array, values: Float64Array): Float64Array {
  const out = new Float64Array(count);
  rows.forEach((r, k) => (out[r] = values[k]));
  return out;
}

/**
 * Power-flow results: the internal computations after a solve (unit outputs, branch flows —
 * MATPOWER's pfsoln) and the external view keyed by the user's numbers in file order
 * (MATPOWER's int2ext), built lazily from the operating point on first access.
 * Units: MW, MVAr, p.u., degrees (external), radians (internal).
 */
import { BRANCH, BUS, BUS_TYPE_PQ, BUS_TYPE_REF, GEN } from "../case/columns";
import type { BusTypes } from "../model/bustypes";
import type { NetworkModel } from "../model/network";
import { busVoltagesAndCurrents } from "../network/admittance";
import type { BranchFlows, OperatingPoint, PowerFlowAlgorithm } from "./point";

export type { PowerFlowAlgorithm } from "./point";

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

/** The external view of a solved power flow. `JSON.stringify` gives every field but `point`. */
export interface PowerFlowResult {
  readonly case: string;
  readonly algorithm: PowerFlowAlgorithm;
  readonly converged: true;
  readonly iterations: number;
  /** Largest |P or Q mismatch| at the solution, MW / MVAr. */
  readonly mismatch: number;
  readonly baseMVA: number;
  /** One entry per bus row, in file order. */
  readonly buses: readonly BusResult[];
  /** One entry per gen row, in file order (0 for out-of-service units). */
  readonly gens: readonly GenResult[];
  /** One entry per branch row, in file order (0 for out-of-service branches). */
  readonly branches: readonly BranchResult[];
  /** Total series and shunt branch losses, MW / MVAr (MVAr includes line charging). */
  readonly losses: { readonly p: number; readonly q: number };
  /** Bus numbers left out of the solve (type 4, or an island with no slack). */
  readonly isolatedBuses: readonly number[];
  /** Gen rows (1-based) fixed at a reactive limit when limits are enforced. */
  readonly reactiveLimited: readonly number[];
  readonly warnings: readonly string[];
  /** The internal operating point behind this view. */
  readonly point: OperatingPoint;
}

const RAD = 180 / Math.PI;

/** The external view of `point` for a case named `caseName` (the network model's topology). */
export function toResult(point: OperatingPoint, caseName: string): PowerFlowResult {
  return new PowerFlowView(point, caseName);
}

class PowerFlowView implements PowerFlowResult {
  readonly converged = true as const;
  private busesCache: BusResult[] | undefined;
  private gensCache: GenResult[] | undefined;
  private branchesCache: BranchResult[] | undefined;

  readonly case: string;

  constructor(
    readonly point: OperatingPoint,
    caseName: string,
  ) {
    this.case = caseName;
  }

  get algorithm(): PowerFlowAlgorithm {
    return this.point.algorithm;
  }
  get iterations(): number {
    return this.point.iterations;
  }
  get mismatch(): number {
    return this.point.mismatch * this.point.model.index.baseMVA;
  }
  get baseMVA(): number {
    return this.point.model.index.baseMVA;
  }
  get losses(): { p: number; q: number } {
    return { ...this.point.losses };
  }
  get isolatedBuses(): number[] {
    return [...this.point.model.index.isolatedBusIds];
  }
  get reactiveLimited(): number[] {
    const rows = this.point.model.index.gens.row;
    return Array.from(this.point.reactiveLimited, (k) => rows[k] + 1).sort((a, b) => a - b);
  }
  get warnings(): string[] {
    return [...this.point.warnings];
  }

  get buses(): BusResult[] {
    if (!this.busesCache) {
      const { vm, va, model } = this.point;
      const { source, busIndexOfRow } = model.index;
      this.busesCache = source.bus.map((row, r) => {
        const i = busIndexOfRow[r];
        return i < 0 ? { id: row[BUS.BUS_I], vm: 0, va: 0 } : { id: row[BUS.BUS_I], vm: vm[i], va: va[i] * RAD };
      });
    }
    return this.busesCache;
  }

  get gens(): GenResult[] {
    if (!this.gensCache) {
      const { source, gens } = this.point.model.index;
      const pg = new Float64Array(source.gen.length);
      const qg = new Float64Array(source.gen.length);
      for (let k = 0; k < gens.count; k++) {
        pg[gens.row[k]] = this.point.pg[k];
        qg[gens.row[k]] = this.point.qg[k];
      }
      this.gensCache = source.gen.map((row, r) => ({ bus: row[GEN.GEN_BUS], pg: pg[r], qg: qg[r] }));
    }
    return this.gensCache;
  }

  get branches(): BranchResult[] {
    if (!this.branchesCache) {
      const { source, branches } = this.point.model.index;
      const nl = source.branch.length;
      const out = {
        pf: new Float64Array(nl),
        qf: new Float64Array(nl),
        pt: new Float64Array(nl),
        qt: new Float64Array(nl),
      };
      const f = this.point.flows;
      for (let l = 0; l < branches.count; l++) {
        const r = branches.row[l];
        out.pf[r] = f.pf[l];
        out.qf[r] = f.qf[l];
        out.pt[r] = f.pt[l];
        out.qt[r] = f.qt[l];
      }
      this.branchesCache = source.branch.map((row, r) => ({
        from: row[BRANCH.F_BUS],
        to: row[BRANCH.T_BUS],
        pf: out.pf[r],
        qf: out.qf[r],
        pt: out.pt[r],
        qt: out.qt[r],
      }));
    }
    return this.branchesCache;
  }

  toJSON(): Omit<PowerFlowResult, "point"> {
    return {
      case: this.case,
      algorithm: this.algorithm,
      converged: true,
      iterations: this.iterations,
      mismatch: this.mismatch,
      baseMVA: this.baseMVA,
      buses: this.buses,
      gens: this.gens,
      branches: this.branches,
      losses: this.losses,
      isolatedBuses: this.isolatedBuses,
      reactiveLimited: this.reactiveLimited,
      warnings: this.warnings,
    };
  }
}

/**
 * Unit outputs after an AC solve (per internal unit; units with `active[k] = 0` keep `pg`/`qg`).
 * Q at PV and reference buses comes from the bus injection plus local demand, shared among a
 * bus's units in proportion to their reactive ranges (as MATPOWER does); P of the first unit at
 * each reference bus takes up the balance.
 */
export function unitOutputs(
  model: NetworkModel,
  demand: { readonly pd: Float64Array; readonly qd: Float64Array },
  units: {
    readonly pg: Float64Array;
    readonly qg: Float64Array;
    readonly qmax: Float64Array;
    readonly qmin: Float64Array;
  },
  active: Uint8Array,
  types: BusTypes,
  vm: Float64Array,
  va: Float64Array,
): { pg: Float64Array; qg: Float64Array } {
  const { index, ybus } = model;
  const g = index.gens;
  const pg = Float64Array.from(units.pg);
  const qg = Float64Array.from(units.qg);
  const nb = index.buses.count;
  const base = index.baseMVA;
  const { vRe, vIm, iRe, iIm } = busVoltagesAndCurrents(ybus, vm, va);
  // Units at voltage-controlled buses, grouped by bus with a counting pass.
  const first = new Int32Array(nb + 1);
  for (let k = 0; k < g.count; k++) if (active[k] && types.type[g.bus[k]] !== BUS_TYPE_PQ) first[g.bus[k] + 1]++;
  for (let i = 0; i < nb; i++) first[i + 1] += first[i];
  const unitsAt = new Int32Array(first[nb]);
  const fill = first.slice(0, nb);
  for (let k = 0; k < g.count; k++)
    if (active[k] && types.type[g.bus[k]] !== BUS_TYPE_PQ) unitsAt[fill[g.bus[k]]++] = k;
  for (let i = 0; i < nb; i++) {
    const start = first[i];
    const end = first[i + 1];
    if (start === end) continue;
    const sRe = (vRe[i] * iRe[i] + vIm[i] * iIm[i]) * base;
    const sIm = (vIm[i] * iRe[i] - vRe[i] * iIm[i]) * base;
    const total = sIm + demand.qd[i];
    let qmin = 0;
    let qmax = 0;
    for (let p = start; p < end; p++) {
      qmin += units.qmin[unitsAt[p]];
      qmax += units.qmax[unitsAt[p]];
    }
    const count = end - start;
    for (let p = start; p < end; p++) {
      const k = unitsAt[p];
      qg[k] =
        count === 1 || qmin === qmax || !Number.isFinite(qmax - qmin)
          ? total / count
          : units.qmin[k] + ((total - qmin) / (qmax - qmin + Number.EPSILON)) * (units.qmax[k] - units.qmin[k]);
    }
    if (types.type[i] === BUS_TYPE_REF) {
      let others = 0;
      for (let p = start + 1; p < end; p++) others += pg[unitsAt[p]];
      pg[unitsAt[start]] = sRe + demand.pd[i] - others;
    }
  }
  return { pg, qg };
}

/** Flows at both ends of every internal branch, MW and MVAr. */
export function branchFlows(model: NetworkModel, vm: Float64Array, va: Float64Array): BranchFlows {
  const { index, admittances: y } = model;
  const br = index.branches;
  const nl = br.count;
  const out = {
    pf: new Float64Array(nl),
    qf: new Float64Array(nl),
    pt: new Float64Array(nl),
    qt: new Float64Array(nl),
  };
  const base = index.baseMVA;
  for (let l = 0; l < nl; l++) {
    const f = br.from[l];
    const t = br.to[l];
    const vfRe = vm[f] * Math.cos(va[f]);
    const vfIm = vm[f] * Math.sin(va[f]);
    const vtRe = vm[t] * Math.cos(va[t]);
    const vtIm = vm[t] * Math.sin(va[t]);
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

/** Loss-neutral mean active flow of internal branch `l`, MW, positive from its from-bus to its to-bus. */
export function meanFlow(flows: BranchFlows, l: number): number {
  return (flows.pf[l] - flows.pt[l]) / 2;
}

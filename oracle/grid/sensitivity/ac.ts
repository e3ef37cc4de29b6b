/**
 * Line-flow sensitivities at an AC operating point: how much the monitored flow of a branch moves
 * per MW injected at each bus, with the reference bus absorbing the balance.
 *
 * Monitored flow ("Pmean") = (pf − pt)/2, the loss-neutral average of the active power entering
 * the branch at its two ends; positive from → to. With the power-flow equations F(x, P) = 0
 * (x = angles of non-reference buses, magnitudes of PQ buses; Q held at PQ buses, |V| at PV and
 * reference buses), an injection change dP moves the state by dx = J⁻¹·dP, so
 *   dPmean/dP_b = ∇ₓPmeanᵀ·J⁻¹·e_b = y[angle of b]   with   Jᵀ·y = ∇ₓPmean.
 * One LU of the Jacobian, one transposed solve per monitored branch; flows and injections are
 * both per unit on the same base, so the ratio is already MW per MW.
 */
import { BUS, BUS_TYPE_PQ, BUS_TYPE_PV, BUS_TYPE_REF } from "../case/columns";
import type { PowerCase } from "../case/types";
import { SparseLU } from "../linalg/lu";
import { classifyBuses, toInternal, type InternalCase } from "../model/internal";
import { branchAdmittances, buildYbus, multiplyComplex } from "../network/admittance";
import { PolarJacobian } from "../pf/jacobian";
import type { PowerFlowResult } from "../pf/results";

export interface FlowSensitivities {
  /** 0-based rows in the case's branch matrix, as requested. */
  readonly branchRows: readonly number[];
  /** External bus numbers, one per bus row of the case (file order). */
  readonly busIds: readonly number[];
  /**
   * matrix[k][r]: MW change of Pmean on branch branchRows[k] per MW injected at bus row r
   * (0 for reference and isolated buses; a row of zeros for an out-of-service branch).
   */
  readonly matrix: readonly Float64Array[];
  readonly method: "ac" | "dc";
}

const DEG = Math.PI / 180;

/** Checks the requested rows (integers within the branch matrix) and returns a copy. */
export function checkBranchRows(c: PowerCase, branchRows: readonly number[]): number[] {
  const nl = c.branch.length;
  return branchRows.map((row) => {
    if (!Number.isInteger(row) || row < 0 || row >= nl) {
      throw new RangeError(`branch row ${row} is out of range: the case has branch rows 0..${nl - 1}`);
    }
    return row;
  });
}

/** Internal branch index of every case branch row, -1 where the branch is not in service. */
export function internalBranchOfRow(c: PowerCase, ic: InternalCase): Int32Array {
  const out = new Int32Array(c.branch.length).fill(-1);
  ic.branches.row.forEach((r, l) => (out[r] = l));
  return out;
}

/**
 * At the operating point `result` (a converged AC PowerFlowResult of the same case, e.g. from
 * runPowerFlow). If the flow was solved with reactive limits enforced, units listed in
 * `result.reactiveLimited` hold Q, not |V| (their buses are PQ), as in the flow itself.
 */
export function acFlowSensitivities(
  c: PowerCase,
  result: PowerFlowResult,
  branchRows: readonly number[],
): FlowSensitivities {
  const rows = checkBranchRows(c, branchRows);
  if (result.algorithm === "dc") {
    throw new RangeError("acFlowSensitivities needs an AC operating point; use dcFlowSensitivities for a DC flow");
  }
  if (result.buses.length !== c.bus.length) {
    throw new RangeError(`the result has ${result.buses.length} buses, the case ${c.bus.length}: not the same case`);
  }
  const ic = withResultBusTypes(toInternal(c), result);
  const y = branchAdmittances(ic);
  const ybus = buildYbus(ic, y);
  const nb = ic.buses.count;
  const nbExt = c.bus.length;

  const vm = new Float64Array(nb);
  const va = new Float64Array(nb);
  for (let r = 0; r < nbExt; r++) {
    const i = ic.busIndexOfRow[r];
    if (i < 0) continue;
    const bus = result.buses[r];
    if (bus.id !== c.bus[r][BUS.BUS_I]) {
      throw new RangeError(`result bus ${r} is bus ${bus.id}, the case's is ${c.bus[r][BUS.BUS_I]}: not the same case`);
    }
    vm[i] = bus.vm;
    va[i] = bus.va * DEG;
  }
  const vRe = Float64Array.from(vm, (m, i) => m * Math.cos(va[i]));
  const vIm = Float64Array.from(vm, (m, i) => m * Math.sin(va[i]));
  const iRe = new Float64Array(nb);
  const iIm = new Float64Array(nb);
  multiplyComplex(ybus, vRe, vIm, iRe, iIm);

  const jac = new PolarJacobian(ybus, ic.ref, ic.pq);
  jac.evaluate(vRe, vIm, vm, iRe, iIm);
  // The Jacobian's unknowns are already numbered in a fill-reducing order (as in newton.ts).
  const lu = SparseLU.analyze(
    jac.pattern,
    Int32Array.from({ length: jac.size }, (_, k) => k),
  );
  lu.factor(jac.values);

  const { angle, magnitude } = jac;
  const unknownOfRow = new Int32Array(nbExt).fill(-1);
  for (let r = 0; r < nbExt; r++) {
    const i = ic.busIndexOfRow[r];
    if (i >= 0) unknownOfRow[r] = angle[i];
  }
  const branchOfRow = internalBranchOfRow(c, ic);
  const br = ic.branches;
  const grad = new Float64Array(jac.size);
  const sol = new Float64Array(jac.size);

  const matrix = rows.map((row) => {
    const out = new Float64Array(nbExt);
    const l = branchOfRow[row];
    if (l < 0) return out;
    const f = br.from[l];
    const t = br.to[l];
    const vf = vm[f];
    const vt = vm[t];
    const delta = va[f] - va[t];
    const cos = Math.cos(delta);
    const sin = Math.sin(delta);
    // Pf = Re(yff)|Vf|² + vf·vt·(a·cosδ + b·sinδ),  yft = a + jb,  δ = θf − θt
    // Pt = Re(ytt)|Vt|² + vf·vt·(c·cosδ − d·sinδ),  ytf = c + jd
    const a = y.yftRe[l];
    const b = y.yftIm[l];
    const cc = y.ytfRe[l];
    const d = y.ytfIm[l];
    const pfCoupling = a * cos + b * sin;
    const ptCoupling = cc * cos - d * sin;
    const dPfDelta = vf * vt * (b * cos - a * sin);
    const dPtDelta = -vf * vt * (cc * sin + d * cos);
    const dDelta = 0.5 * (dPfDelta - dPtDelta);
    const dVf = 0.5 * (2 * y.yffRe[l] * vf + vt * pfCoupling - vt * ptCoupling);
    const dVt = 0.5 * (vf * pfCoupling - 2 * y.yttRe[l] * vt - vf * ptCoupling);

    const touched = [angle[f], angle[t], magnitude[f], magnitude[t]];
    if (angle[f] >= 0) grad[angle[f]] += dDelta;
    if (angle[t] >= 0) grad[angle[t]] -= dDelta;
    if (magnitude[f] >= 0) grad[magnitude[f]] += dVf;
    if (magnitude[t] >= 0) grad[magnitude[t]] += dVt;
    if (touched.every((u) => u < 0)) return out; // both ends fixed: nothing can move this flow
    lu.solveTransposed(grad, sol);
    for (const u of touched) if (u >= 0) grad[u] = 0;
    for (let r = 0; r < nbExt; r++) {
      const u = unknownOfRow[r];
      if (u >= 0) out[r] = sol[u];
    }
    return out;
  });

  return { branchRows: rows, busIds: c.bus.map((row) => row[BUS.BUS_I]), matrix, method: "ac" };
}

/**
 * The bus types the flow was solved with: runPowerFlow's reactive-limit enforcement turns the
 * buses of limited units into PQ buses and, if the reference bus lost its voltage control, makes
 * the first remaining PV bus the reference.
 */
function withResultBusTypes(ic: InternalCase, result: PowerFlowResult): InternalCase {
  if (result.reactiveLimited.length === 0) return ic;
  const type = Uint8Array.from(ic.buses.type);
  const internalGen = new Map<number, number>();
  ic.gens.row.forEach((row, k) => internalGen.set(row, k));
  for (const oneBased of result.reactiveLimited) {
    const k = internalGen.get(oneBased - 1);
    if (k !== undefined) type[ic.gens.bus[k]] = BUS_TYPE_PQ;
  }
  if (!type.includes(BUS_TYPE_REF)) {
    const newRef = type.indexOf(BUS_TYPE_PV);
    if (newRef < 0)
      throw new RangeError("every generator is at a reactive limit in the result: no reference bus is left");
    type[newRef] = BUS_TYPE_REF;
  }
  const { ref, pv, pq } = classifyBuses(type);
  return { ...ic, buses: { ...ic.buses, type }, ref, pv, pq };
}

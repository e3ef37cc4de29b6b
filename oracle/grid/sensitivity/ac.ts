/**
 * Line-flow sensitivities at an AC operating point: how much the monitored flow of a branch moves
 * per MW injected at each bus, with the reference bus absorbing the balance.
 *
 * Monitored flow ("Pmean") = (pf − pt)/2, the loss-neutral average of the active power entering
 * the branch at its two ends; positive from → to. With the power-flow equations F(x, P) = 0
 * (x = angles of non-reference buses, magnitudes of PQ buses; Q held at PQ buses, |V| at PV and
 * reference buses — the bus types the point was solved with), an injection change dP moves the
 * state by dx = J⁻¹·dP, so
 *   dPmean/dP_b = ∇ₓPmeanᵀ·J⁻¹·e_b = y[angle of b]   with   Jᵀ·y = ∇ₓPmean.
 * One LU of the Jacobian (the network model's symbolic analysis, refactorised at the point), one
 * transposed solve per monitored branch; flows and injections are both per unit on the same base,
 * so the ratio is already MW per MW.
 *
 * Marginal losses, from the same factorisation and one more transposed solve: the reference
 * bus(es) make up every injection change, so with L = Σ_i P_i (all buses, reference included) the
 * total losses and P_ref(x) the reference buses' active injection,
 *   ∂L/∂P_b = 1 + ∂P_ref/∂P_b = 1 + y[angle of b]   with   Jᵀ·y = ∇ₓP_ref.
 * ∂L/∂P_b is the marginal loss factor of bus b: one more MW injected there saves the reference
 * (1 − ∂L/∂P_b) MW. It is what MATPOWER's AC OPF prices into LAM_P at bus b.
 */
import { busVoltagesAndCurrents } from "../network/admittance";
import type { OperatingPoint } from "../pf/point";

export interface FlowSensitivities {
  /** Internal branch indices, as requested (the rows of `matrix`). */
  readonly branches: Int32Array;
  /**
   * matrix[k][i]: MW change of the mean flow of branch `branches[k]` per MW injected at internal
   * bus i (0 at reference buses).
   */
  readonly matrix: readonly Float64Array[];
  readonly method: "ac" | "dc";
  /**
   * ∂(total active losses)/∂(injection at internal bus i), MW/MW, with the reference bus(es)
   * absorbing the change: 0 at reference buses; all 0 for "dc" (the DC network is lossless).
   */
  readonly lossFactors: Float64Array;
}

/** Checks internal branch indices and returns them as an Int32Array. */
export function checkBranches(count: number, branches: ArrayLike<number>): Int32Array {
  const out = new Int32Array(branches.length);
  for (let k = 0; k < branches.length; k++) {
    const l = branches[k];
    if (!Number.isInteger(l) || l < 0 || l >= count) {
      throw new RangeError(`branch ${l} is out of range: the network has in-service branches 0..${count - 1}`);
    }
    out[k] = l;
  }
  return out;
}

export function acFlowSensitivities(point: OperatingPoint, branches: ArrayLike<number>): FlowSensitivities {
  if (point.algorithm === "dc") {
    throw new RangeError("acFlowSensitivities needs an AC operating point; use dcFlowSensitivities for a DC flow");
  }
  const { model, vm, va, types } = point;
  const { index, ybus, admittances: y } = model;
  const rows = checkBranches(index.branches.count, branches);
  const nb = index.buses.count;

  const { vRe, vIm, iRe, iIm } = busVoltagesAndCurrents(ybus, vm, va);
  const { jacobian: jac, lu } = model.newtonSystem(types);
  jac.evaluate(vRe, vIm, vm, iRe, iIm);
  lu.factor(jac.values);

  const { angle, magnitude } = jac;
  const br = index.branches;
  const grad = new Float64Array(jac.size);
  const sol = new Float64Array(jac.size);
  const matrix = Array.from(rows, (l) => {
    const out = new Float64Array(nb);
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
    if (touched.every((u) => u < 0)) return out; // both ends fixed: nothing can move this flow
    if (angle[f] >= 0) grad[angle[f]] += dDelta;
    if (angle[t] >= 0) grad[angle[t]] -= dDelta;
    if (magnitude[f] >= 0) grad[magnitude[f]] += dVf;
    if (magnitude[t] >= 0) grad[magnitude[t]] += dVt;
    lu.solveTransposed(grad, sol);
    for (const u of touched) if (u >= 0) grad[u] = 0;
    for (let i = 0; i < nb; i++) if (angle[i] >= 0) out[i] = sol[angle[i]];
    return out;
  });

  // ∇ₓP_ref: P_r = Σ_k |V_r||V_k|(G_rk cos θ_rk + B_rk sin θ_rk), θ_r and |V_r| held.
  for (const r of types.ref) {
    for (let p = ybus.rowPtr[r]; p < ybus.rowPtr[r + 1]; p++) {
      const k = ybus.col[p];
      if (k === r) continue;
      const g = ybus.re[p];
      const b = ybus.im[p];
      const theta = va[r] - va[k];
      const cos = Math.cos(theta);
      const sin = Math.sin(theta);
      if (angle[k] >= 0) grad[angle[k]] += vm[r] * vm[k] * (g * sin - b * cos);
      if (magnitude[k] >= 0) grad[magnitude[k]] += vm[r] * (g * cos + b * sin);
    }
  }
  lu.solveTransposed(grad, sol);
  grad.fill(0);
  const lossFactors = new Float64Array(nb);
  for (let i = 0; i < nb; i++) if (angle[i] >= 0) lossFactors[i] = 1 + sol[angle[i]];
  return { branches: rows, matrix, method: "ac", lossFactors };
}

/**
 * The polar power-flow Jacobian, as a fixed sparse pattern whose values are refilled each
 * Newton step (MATPOWER's dSbus_dV, assembled straight into compressed columns).
 *
 * Unknowns: the angle of every non-reference bus and the magnitude of every PQ bus. Equation
 * "P at bus i" shares its index with unknown "angle of bus i", "Q at bus i" with "magnitude of
 * bus i", so the Jacobian is structurally symmetric like Ybus. Unknowns are numbered in an
 * approximate-minimum-degree order of the bus graph, each bus weighted by its unknowns (angle,
 * then magnitude, per bus), so the LU needs no further permutation.
 */
import type { ComplexCsr } from "../network/admittance";
import { approximateMinimumDegreeOrder } from "../linalg/ordering";
import type { SparsePattern } from "../linalg/lu";

export class PolarJacobian {
  /** Number of unknowns (= equations). */
  readonly size: number;
  /** Unknown index of each bus's voltage angle, -1 for reference buses. */
  readonly angle: Int32Array;
  /** Unknown index of each bus's voltage magnitude, -1 for reference and PV buses. */
  readonly magnitude: Int32Array;
  readonly pattern: SparsePattern;
  /** Values in the order of `pattern.rowIdx`; refreshed by `evaluate`. */
  readonly values: Float64Array;
  /** Per Ybus entry (i, k): positions of dP_i/dθ_k, dQ_i/dθ_k, dP_i/d|V_k|, dQ_i/d|V_k| (-1 if absent). */
  private readonly posPA: Int32Array;
  private readonly posQA: Int32Array;
  private readonly posPV: Int32Array;
  private readonly posQV: Int32Array;

  constructor(
    private readonly ybus: ComplexCsr,
    ref: Int32Array,
    pq: Int32Array,
  ) {
    const nb = ybus.n;
    const { rowPtr, col } = ybus;
    const nnzY = col.length;
    // Rows per bus in the Jacobian: 0 reference, 1 PV (angle), 2 PQ (angle and magnitude).
    const rowsOfBus = new Uint8Array(nb).fill(1);
    for (let k = 0; k < ref.length; k++) rowsOfBus[ref[k]] = 0;
    for (let k = 0; k < pq.length; k++) rowsOfBus[pq[k]] = 2;

    // Bus-level AMD over non-reference buses, each weighted by its number of unknowns.
    const local = new Int32Array(nb).fill(-1);
    let nFree = 0;
    for (let i = 0; i < nb; i++) if (rowsOfBus[i] > 0) local[i] = nFree++;
    const free = new Int32Array(nFree);
    const weights = new Int32Array(nFree);
    const adjPtr = new Int32Array(nFree + 1);
    const adjIdx = new Int32Array(nnzY);
    let a = 0;
    for (let i = 0; i < nb; i++) {
      const k = local[i];
      if (k < 0) continue;
      free[k] = i;
      weights[k] = rowsOfBus[i];
      for (let p = rowPtr[i]; p < rowPtr[i + 1]; p++) if (local[col[p]] >= 0) adjIdx[a++] = local[col[p]];
      adjPtr[k + 1] = a;
    }
    const busOrder = approximateMinimumDegreeOrder(nFree, adjPtr, adjIdx.subarray(0, a), weights);

    this.angle = new Int32Array(nb).fill(-1);
    this.magnitude = new Int32Array(nb).fill(-1);
    let u = 0;
    for (let k = 0; k < nFree; k++) {
      const bus = free[busOrder[k]];
      this.angle[bus] = u++;
      if (rowsOfBus[bus] === 2) this.magnitude[bus] = u++;
    }
    this.size = u;
    const { angle, magnitude } = this;

    // The pattern is built row by row, each Jacobian row from its bus's Ybus row, then moved to
    // compressed columns by one counting sort. Rows are visited in ascending order, so every
    // column comes out with its row indices ascending, and each Ybus entry (i, k) learns where its
    // four derivatives dP_i/dθ_k, dQ_i/dθ_k, dP_i/d|V_k|, dQ_i/d|V_k| landed.
    const busOfRow = new Int32Array(u);
    for (let i = 0; i < nb; i++) {
      if (angle[i] >= 0) busOfRow[angle[i]] = i;
      if (magnitude[i] >= 0) busOfRow[magnitude[i]] = i;
    }
    const colPtr = new Int32Array(u + 1);
    for (let r = 0; r < u; r++) {
      const i = busOfRow[r];
      for (let p = rowPtr[i]; p < rowPtr[i + 1]; p++) {
        const k = col[p];
        if (angle[k] >= 0) colPtr[angle[k] + 1]++;
        if (magnitude[k] >= 0) colPtr[magnitude[k] + 1]++;
      }
    }
    for (let c = 0; c < u; c++) colPtr[c + 1] += colPtr[c];
    const rowIdx = new Int32Array(colPtr[u]);
    const next = colPtr.slice(0, u);
    this.posPA = new Int32Array(nnzY).fill(-1);
    this.posQA = new Int32Array(nnzY).fill(-1);
    this.posPV = new Int32Array(nnzY).fill(-1);
    this.posQV = new Int32Array(nnzY).fill(-1);
    for (let r = 0; r < u; r++) {
      const i = busOfRow[r];
      const isP = angle[i] === r;
      for (let p = rowPtr[i]; p < rowPtr[i + 1]; p++) {
        const k = col[p];
        if (angle[k] >= 0) {
          const q = next[angle[k]]++;
          rowIdx[q] = r;
          if (isP) this.posPA[p] = q;
          else this.posQA[p] = q;
        }
        if (magnitude[k] >= 0) {
          const q = next[magnitude[k]]++;
          rowIdx[q] = r;
          if (isP) this.posPV[p] = q;
          else this.posQV[p] = q;
        }
      }
    }
    this.pattern = { n: u, colPtr, rowIdx };
    this.values = new Float64Array(rowIdx.length);
  }

  /**
   * Fills `values` at voltage V (rectangular vRe, vIm; magnitudes vm) with bus currents I = Ybus·V.
   *   dS_i/dθ_k   = -j·V_i·conj(Y_ik·V_k)          + δ_ik · j·V_i·conj(I_i)
   *   dS_i/d|V_k| =  V_i·conj(Y_ik·V_k)/|V_k|      + δ_ik · V_i·conj(I_i)/|V_i|
   */
  evaluate(vRe: Float64Array, vIm: Float64Array, vm: Float64Array, iRe: Float64Array, iIm: Float64Array): void {
    const { rowPtr, col, re, im, diag } = this.ybus;
    const { values, posPA, posQA, posPV, posQV } = this;
    for (let i = 0; i < this.ybus.n; i++) {
      const vr = vRe[i];
      const vi = vIm[i];
      for (let p = rowPtr[i]; p < rowPtr[i + 1]; p++) {
        const k = col[p];
        // Y_ik·V_k
        const yvRe = re[p] * vRe[k] - im[p] * vIm[k];
        const yvIm = re[p] * vIm[k] + im[p] * vRe[k];
        // a = V_i·conj(Y_ik·V_k)
        const aRe = vr * yvRe + vi * yvIm;
        const aIm = vi * yvRe - vr * yvIm;
        let dVaRe = aIm;
        let dVaIm = -aRe;
        let dVmRe = aRe / vm[k];
        let dVmIm = aIm / vm[k];
        if (p === diag[i]) {
          // s = V_i·conj(I_i)
          const sRe = vr * iRe[i] + vi * iIm[i];
          const sIm = vi * iRe[i] - vr * iIm[i];
          dVaRe -= sIm;
          dVaIm += sRe;
          dVmRe += sRe / vm[i];
          dVmIm += sIm / vm[i];
        }
        if (posPA[p] >= 0) values[posPA[p]] = dVaRe;
        if (posQA[p] >= 0) values[posQA[p]] = dVaIm;
        if (posPV[p] >= 0) values[posPV[p]] = dVmRe;
        if (posQV[p] >= 0) values[posQV[p]] = dVmIm;
      }
    }
  }
}

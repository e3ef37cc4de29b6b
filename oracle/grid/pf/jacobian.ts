/**
 * The polar power-flow Jacobian, as a fixed sparse pattern whose values are refilled each
 * Newton step (MATPOWER's dSbus_dV, assembled straight into compressed columns).
 *
 * Unknowns: the angle of every non-reference bus and the magnitude of every PQ bus. Equation
 * "P at bus i" shares its index with unknown "angle of bus i", "Q at bus i" with "magnitude of
 * bus i", so the Jacobian is structurally symmetric like Ybus. Unknowns are numbered in a
 * minimum-degree order of the bus graph (angle, then magnitude, per bus), so the LU needs no
 * further permutation.
 */
import type { ComplexCsr } from "../network/admittance";
import { minimumDegreeOrder } from "../linalg/ordering";
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
    const isRef = new Uint8Array(nb);
    ref.forEach((i) => (isRef[i] = 1));
    const isPq = new Uint8Array(nb);
    pq.forEach((i) => (isPq[i] = 1));

    // Bus-level minimum-degree order over non-reference buses.
    const free = Array.from({ length: nb }, (_, i) => i).filter((i) => !isRef[i]);
    const local = new Int32Array(nb).fill(-1);
    free.forEach((bus, k) => (local[bus] = k));
    const adjPtr = new Int32Array(free.length + 1);
    const adj: number[] = [];
    free.forEach((bus, k) => {
      for (let p = rowPtr[bus]; p < rowPtr[bus + 1]; p++) if (local[col[p]] >= 0) adj.push(local[col[p]]);
      adjPtr[k + 1] = adj.length;
    });
    const busOrder = minimumDegreeOrder(free.length, adjPtr, Int32Array.from(adj));

    this.angle = new Int32Array(nb).fill(-1);
    this.magnitude = new Int32Array(nb).fill(-1);
    let u = 0;
    for (const k of busOrder) {
      const bus = free[k];
      this.angle[bus] = u++;
      if (isPq[bus]) this.magnitude[bus] = u++;
    }
    this.size = u;

    // Entries of each Ybus column, as positions in the CSR arrays (the pattern is symmetric,
    // the values are not when phase shifters are present).
    const nnzY = col.length;
    const rowOf = new Int32Array(nnzY);
    const colCount = new Int32Array(nb + 1);
    for (let i = 0; i < nb; i++) {
      for (let p = rowPtr[i]; p < rowPtr[i + 1]; p++) {
        rowOf[p] = i;
        colCount[col[p] + 1]++;
      }
    }
    for (let k = 0; k < nb; k++) colCount[k + 1] += colCount[k];
    const colEntries = new Int32Array(nnzY);
    const fill = colCount.slice(0, nb);
    for (let p = 0; p < nnzY; p++) colEntries[fill[col[p]]++] = p;

    // Column patterns of J: unknown column for bus k holds rows of every bus i adjacent to k.
    const colPtr = new Int32Array(u + 1);
    const unknownBus = new Int32Array(u);
    for (let bus = 0; bus < nb; bus++) {
      let rows = 0;
      for (let q = colCount[bus]; q < colCount[bus + 1]; q++) {
        const i = rowOf[colEntries[q]];
        if (this.angle[i] >= 0) rows++;
        if (this.magnitude[i] >= 0) rows++;
      }
      if (this.angle[bus] >= 0) {
        colPtr[this.angle[bus] + 1] = rows;
        unknownBus[this.angle[bus]] = bus;
      }
      if (this.magnitude[bus] >= 0) {
        colPtr[this.magnitude[bus] + 1] = rows;
        unknownBus[this.magnitude[bus]] = bus;
      }
    }
    for (let c = 0; c < u; c++) colPtr[c + 1] += colPtr[c];
    const rowIdx = new Int32Array(colPtr[u]);
    this.posPA = new Int32Array(nnzY).fill(-1);
    this.posQA = new Int32Array(nnzY).fill(-1);
    this.posPV = new Int32Array(nnzY).fill(-1);
    this.posQV = new Int32Array(nnzY).fill(-1);
    const where = new Int32Array(u).fill(-1);
    for (let c = 0; c < u; c++) {
      const bus = unknownBus[c];
      const rows: number[] = [];
      for (let q = colCount[bus]; q < colCount[bus + 1]; q++) {
        const i = rowOf[colEntries[q]];
        if (this.angle[i] >= 0) rows.push(this.angle[i]);
        if (this.magnitude[i] >= 0) rows.push(this.magnitude[i]);
      }
      rows.sort((a, b) => a - b);
      rows.forEach((r, k) => {
        rowIdx[colPtr[c] + k] = r;
        where[r] = colPtr[c] + k;
      });
      const isAngleColumn = this.angle[bus] === c;
      for (let q = colCount[bus]; q < colCount[bus + 1]; q++) {
        const e = colEntries[q];
        const i = rowOf[e];
        const pRow = this.angle[i];
        const qRow = this.magnitude[i];
        if (isAngleColumn) {
          if (pRow >= 0) this.posPA[e] = where[pRow];
          if (qRow >= 0) this.posQA[e] = where[qRow];
        } else {
          if (pRow >= 0) this.posPV[e] = where[pRow];
          if (qRow >= 0) this.posQV[e] = where[qRow];
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

/**
 * Bus admittance matrix (MATPOWER's makeYbus) in compressed sparse rows with split real and
 * imaginary parts, plus each branch's two-port admittances for the flow calculation.
 *
 * Branch model (per unit): series admittance ys = 1/(r + jx), total charging b, complex tap
 * t = tap·e^{j·shift} on the from side:
 *   Yff = (ys + jb/2)/|t|²   Yft = -ys/conj(t)   Ytf = -ys/t   Ytt = ys + jb/2
 * Bus shunts add (Gs + jBs)/baseMVA on the diagonal.
 */
import type { InternalCase } from "../model/internal";

/** Complex sparse matrix, CSR, split real/imaginary. Every diagonal entry is stored. */
export interface ComplexCsr {
  readonly n: number;
  readonly rowPtr: Int32Array;
  readonly col: Int32Array;
  readonly re: Float64Array;
  readonly im: Float64Array;
  /** Position of (i, i) in `col` for each row. */
  readonly diag: Int32Array;
}

/** Per-branch two-port admittances, split real/imaginary, per unit. */
export interface BranchAdmittances {
  readonly yffRe: Float64Array;
  readonly yffIm: Float64Array;
  readonly yftRe: Float64Array;
  readonly yftIm: Float64Array;
  readonly ytfRe: Float64Array;
  readonly ytfIm: Float64Array;
  readonly yttRe: Float64Array;
  readonly yttIm: Float64Array;
}

export function branchAdmittances(ic: InternalCase): BranchAdmittances {
  const br = ic.branches;
  const nl = br.count;
  const out = {
    yffRe: new Float64Array(nl),
    yffIm: new Float64Array(nl),
    yftRe: new Float64Array(nl),
    yftIm: new Float64Array(nl),
    ytfRe: new Float64Array(nl),
    ytfIm: new Float64Array(nl),
    yttRe: new Float64Array(nl),
    yttIm: new Float64Array(nl),
  };
  for (let l = 0; l < nl; l++) {
    const r = br.r[l];
    const x = br.x[l];
    const d = r * r + x * x;
    const ysRe = r / d;
    const ysIm = -x / d;
    const halfB = br.b[l] / 2;
    const tRe = br.tap[l] * Math.cos(br.shift[l]);
    const tIm = br.tap[l] * Math.sin(br.shift[l]);
    const t2 = tRe * tRe + tIm * tIm;
    out.yttRe[l] = ysRe;
    out.yttIm[l] = ysIm + halfB;
    out.yffRe[l] = ysRe / t2;
    out.yffIm[l] = (ysIm + halfB) / t2;
    // -ys / conj(t) = -ys·t/|t|²
    out.yftRe[l] = -(ysRe * tRe - ysIm * tIm) / t2;
    out.yftIm[l] = -(ysRe * tIm + ysIm * tRe) / t2;
    // -ys / t = -ys·conj(t)/|t|²
    out.ytfRe[l] = -(ysRe * tRe + ysIm * tIm) / t2;
    out.ytfIm[l] = -(ysIm * tRe - ysRe * tIm) / t2;
  }
  return out;
}

export function buildYbus(ic: InternalCase, y: BranchAdmittances = branchAdmittances(ic)): ComplexCsr {
  const nb = ic.buses.count;
  const { from, to, count: nl } = ic.branches;
  // Pattern: the diagonal plus both ends of every branch, parallel branches merged. Entries are
  // placed by a counting sort on the column and then a stable one on the row, which leaves every
  // row with ascending columns; repeats are then adjacent and merged in place. Entry e < nb is
  // the diagonal (e, e); nb + 2l and nb + 2l + 1 are (from, to) and (to, from) of branch l.
  const entries = nb + 2 * nl;
  const rowOf = new Int32Array(entries);
  const colOf = new Int32Array(entries);
  for (let i = 0; i < nb; i++) rowOf[i] = colOf[i] = i;
  for (let l = 0; l < nl; l++) {
    rowOf[nb + 2 * l] = colOf[nb + 2 * l + 1] = from[l];
    colOf[nb + 2 * l] = rowOf[nb + 2 * l + 1] = to[l];
  }
  const byCol = countingSort(entries, nb, colOf, null);
  const byRow = countingSort(entries, nb, rowOf, byCol.order);

  const rowPtr = new Int32Array(nb + 1);
  const col = new Int32Array(entries);
  const diag = new Int32Array(nb);
  /** Position in `col` of each entry (shared by the merged parallel branches). */
  const position = new Int32Array(entries);
  let nnz = 0;
  for (let i = 0; i < nb; i++) {
    rowPtr[i] = nnz;
    let lastCol = -1;
    for (let q = byRow.start[i]; q < byRow.start[i + 1]; q++) {
      const e = byRow.order[q];
      const k = colOf[e];
      if (k !== lastCol) {
        col[nnz++] = k;
        lastCol = k;
      }
      position[e] = nnz - 1;
    }
    diag[i] = position[i];
  }
  rowPtr[nb] = nnz;

  // Values in the same order of additions as MATPOWER's makeYbus sums (branch by branch, then shunts).
  const re = new Float64Array(nnz);
  const im = new Float64Array(nnz);
  for (let l = 0; l < nl; l++) {
    let p = diag[from[l]];
    re[p] += y.yffRe[l];
    im[p] += y.yffIm[l];
    p = diag[to[l]];
    re[p] += y.yttRe[l];
    im[p] += y.yttIm[l];
    p = position[nb + 2 * l];
    re[p] += y.yftRe[l];
    im[p] += y.yftIm[l];
    p = position[nb + 2 * l + 1];
    re[p] += y.ytfRe[l];
    im[p] += y.ytfIm[l];
  }
  const base = ic.baseMVA;
  for (let i = 0; i < nb; i++) {
    re[diag[i]] += ic.buses.gs[i] / base;
    im[diag[i]] += ic.buses.bs[i] / base;
  }
  return { n: nb, rowPtr, col: col.slice(0, nnz), re, im, diag };
}

/**
 * Stable counting sort of items 0..count-1 (in the order given by `input`, or ascending) by
 * key[item] in 0..keys-1. Returns the sorted items and where each key's run starts.
 */
function countingSort(
  count: number,
  keys: number,
  key: Int32Array,
  input: Int32Array | null,
): { order: Int32Array; start: Int32Array } {
  const start = new Int32Array(keys + 1);
  for (let item = 0; item < count; item++) start[key[item] + 1]++;
  for (let k = 0; k < keys; k++) start[k + 1] += start[k];
  const next = start.slice(0, keys);
  const order = new Int32Array(count);
  for (let q = 0; q < count; q++) {
    const item = input === null ? q : input[q];
    order[next[key[item]]++] = item;
  }
  return { order, start };
}

/** V = |V|·e^(jθ) into split vectors (filled in place: the Newton loop reuses them). */
export function toRectangular(vm: Float64Array, va: Float64Array, vRe: Float64Array, vIm: Float64Array): void {
  for (let i = 0; i < vm.length; i++) {
    vRe[i] = vm[i] * Math.cos(va[i]);
    vIm[i] = vm[i] * Math.sin(va[i]);
  }
}

/** The bus voltages of a solved point in rectangular form and the bus currents I = Ybus·V, per unit. */
export function busVoltagesAndCurrents(
  ybus: ComplexCsr,
  vm: Float64Array,
  va: Float64Array,
): { vRe: Float64Array; vIm: Float64Array; iRe: Float64Array; iIm: Float64Array } {
  const n = vm.length;
  const vRe = new Float64Array(n);
  const vIm = new Float64Array(n);
  toRectangular(vm, va, vRe, vIm);
  const iRe = new Float64Array(n);
  const iIm = new Float64Array(n);
  multiplyComplex(ybus, vRe, vIm, iRe, iIm);
  return { vRe, vIm, iRe, iIm };
}

/** I = Y·V for complex split vectors. */
export function multiplyComplex(
  y: ComplexCsr,
  vRe: Float64Array,
  vIm: Float64Array,
  outRe: Float64Array,
  outIm: Float64Array,
): void {
  const { rowPtr, col, re, im } = y;
  for (let i = 0; i < y.n; i++) {
    let sr = 0;
    let si = 0;
    for (let p = rowPtr[i]; p < rowPtr[i + 1]; p++) {
      const k = col[p];
      sr += re[p] * vRe[k] - im[p] * vIm[k];
      si += re[p] * vIm[k] + im[p] * vRe[k];
    }
    outRe[i] = sr;
    outIm[i] = si;
  }
}

/**
 * Net complex injection at each bus in per unit (MATPOWER's makeSbus for constant-power loads):
 * in-service generation minus demand, divided by baseMVA.
 */
export function busInjections(ic: InternalCase): { re: Float64Array; im: Float64Array } {
  const nb = ic.buses.count;
  const re = new Float64Array(nb);
  const im = new Float64Array(nb);
  const g = ic.gens;
  for (let k = 0; k < g.count; k++) {
    re[g.bus[k]] += g.pg[k];
    im[g.bus[k]] += g.qg[k];
  }
  for (let i = 0; i < nb; i++) {
    re[i] = (re[i] - ic.buses.pd[i]) / ic.baseMVA;
    im[i] = (im[i] - ic.buses.qd[i]) / ic.baseMVA;
  }
  return { re, im };
}

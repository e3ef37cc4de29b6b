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
  // Row pattern: the diagonal plus both ends of every branch (parallel branches merged).
  const neighbours: number[][] = Array.from({ length: nb }, (_, i) => [i]);
  for (let l = 0; l < nl; l++) {
    neighbours[from[l]].push(to[l]);
    neighbours[to[l]].push(from[l]);
  }
  const rowPtr = new Int32Array(nb + 1);
  const cols: number[][] = neighbours.map((list) => Array.from(new Set(list)).sort((a, b) => a - b));
  for (let i = 0; i < nb; i++) rowPtr[i + 1] = rowPtr[i] + cols[i].length;
  const nnz = rowPtr[nb];
  const col = new Int32Array(nnz);
  const diag = new Int32Array(nb);
  for (let i = 0; i < nb; i++) {
    col.set(cols[i], rowPtr[i]);
    diag[i] = rowPtr[i] + cols[i].indexOf(i);
  }
  const re = new Float64Array(nnz);
  const im = new Float64Array(nnz);
  const position = (i: number, k: number): number => {
    // Rows are short (a handful of neighbours): a linear scan beats any index structure.
    for (let p = rowPtr[i]; p < rowPtr[i + 1]; p++) if (col[p] === k) return p;
    throw new Error(`Ybus pattern misses (${i}, ${k})`);
  };
  for (let l = 0; l < nl; l++) {
    const f = from[l];
    const t = to[l];
    let p = diag[f];
    re[p] += y.yffRe[l];
    im[p] += y.yffIm[l];
    p = diag[t];
    re[p] += y.yttRe[l];
    im[p] += y.yttIm[l];
    p = position(f, t);
    re[p] += y.yftRe[l];
    im[p] += y.yftIm[l];
    p = position(t, f);
    re[p] += y.ytfRe[l];
    im[p] += y.ytfIm[l];
  }
  const base = ic.baseMVA;
  for (let i = 0; i < nb; i++) {
    re[diag[i]] += ic.buses.gs[i] / base;
    im[diag[i]] += ic.buses.bs[i] / base;
  }
  return { n: nb, rowPtr, col, re, im, diag };
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

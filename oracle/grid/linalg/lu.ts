/**
 * Sparse LU factorisation for the power-flow matrices (Newton Jacobian, DC susceptance matrix).
 *
 * KLU's idea, specialised: the pattern never changes between Newton iterations, so `analyze`
 * orders and performs the symbolic factorisation once, and `factor` only redoes the arithmetic
 * in typed arrays (left-looking, column by column, with the column patterns of L and U known
 * in advance). Power-flow matrices are structurally symmetric (Ybus is), so the symbolic step is
 * the elimination tree of the pattern, as in sparse Cholesky.
 *
 * Pivots are static (the diagonal, after a symmetric fill-reducing permutation). That is safe for
 * the diagonally strong matrices power flow produces; if a pivot is ever too small relative to
 * its column, the matrix is refactorised with threshold partial pivoting by mathjs (`slu`), which
 * is slower but robust. mathjs alone is ~10x slower here because it re-analyses at every call;
 * no npm library offers symbolic reuse, which is why this file exists.
 */
import { SingularMatrixError } from "../errors";
import { approximateMinimumDegreeOrder } from "./ordering";

/** Compressed sparse column pattern of a square matrix. */
export interface SparsePattern {
  readonly n: number;
  readonly colPtr: Int32Array;
  readonly rowIdx: Int32Array;
}

/** A diagonal pivot smaller than this fraction of its column's largest entry is not trusted. */
const STATIC_PIVOT_TOLERANCE = 1e-10;

interface PivotingFallback {
  solve(rhs: Float64Array): Float64Array;
  /** Solves Aᵀ·x = rhs; the first call factorises Aᵀ. */
  solveTransposed(rhs: Float64Array): Float64Array;
}

export class SparseLU {
  /** Values of the symmetrised, permuted matrix B = P·A·Pᵀ (CSC, same pattern as `bp`/`bi`). */
  private readonly bx: Float64Array;
  private readonly lx: Float64Array;
  private readonly ux: Float64Array;
  private readonly ud: Float64Array;
  private readonly work: Float64Array;
  private readonly solveWork: Float64Array;
  private values: Float64Array | undefined;
  private fallback: PivotingFallback | undefined;
  private factored = false;

  private constructor(
    private readonly pattern: SparsePattern,
    /** perm[k] = original index of the k-th pivot. */
    private readonly perm: Int32Array,
    private readonly bp: Int32Array,
    private readonly bi: Int32Array,
    /** Position in B of each stored entry of A. */
    private readonly mapA: Int32Array,
    private readonly lp: Int32Array,
    private readonly li: Int32Array,
    private readonly up: Int32Array,
    private readonly ui: Int32Array,
    /**
     * pairs[j] = 1 when column j + 1 of L has the pattern of column j less its first row (j + 1):
     * the two columns then update later columns in one pass (a supernode of two, e.g. the angle
     * and magnitude of one PQ bus).
     */
    private readonly pairs: Uint8Array,
  ) {
    const n = pattern.n;
    this.bx = new Float64Array(bi.length);
    this.lx = new Float64Array(li.length);
    this.ux = new Float64Array(ui.length);
    this.ud = new Float64Array(n);
    this.work = new Float64Array(n);
    this.solveWork = new Float64Array(n);
  }

  /**
   * Orders (minimum degree on A + Aᵀ unless `order` is given: order[k] = index eliminated k-th)
   * and computes the patterns of L and U. Call once per pattern.
   */
  static analyze(pattern: SparsePattern, order?: Int32Array): SparseLU {
    const { n, colPtr, rowIdx } = pattern;
    const perm = order ?? approximateMinimumDegreeOrder(n, colPtr, rowIdx);
    if (perm.length !== n) throw new RangeError(`ordering has ${perm.length} entries for ${n} columns`);
    const pinv = new Int32Array(n).fill(-1);
    for (let k = 0; k < n; k++) {
      const old = perm[k];
      if (!(old >= 0 && old < n) || pinv[old] !== -1) throw new RangeError("ordering is not a permutation");
      pinv[old] = k;
    }

    const { bp, bi, mapA } = symmetrisedPattern(n, colPtr, rowIdx, pinv);

    // Elimination tree of B.
    const parent = new Int32Array(n).fill(-1);
    const ancestor = new Int32Array(n).fill(-1);
    for (let k = 0; k < n; k++) {
      for (let p = bp[k]; p < bp[k + 1]; p++) {
        let i = bi[p];
        while (i !== -1 && i < k) {
          const next = ancestor[i];
          ancestor[i] = k;
          if (next === -1) parent[i] = k;
          i = next;
        }
      }
    }
    // Row k of L (= the pattern of column k of U) is the set of etree nodes reached from
    // B(0:k-1, k) going up towards k. A first pass counts, a second fills the columns of L; k
    // ascending leaves every column of L sorted, and U follows as its transpose (also sorted).
    const mark = new Int32Array(n).fill(-1);
    const lp = new Int32Array(n + 1);
    const up = new Int32Array(n + 1);
    for (let k = 0; k < n; k++) {
      mark[k] = k;
      let count = 0;
      for (let p = bp[k]; p < bp[k + 1]; p++) {
        for (let i = bi[p]; i < k && mark[i] !== k; i = parent[i]) {
          mark[i] = k;
          count++;
          lp[i + 1]++;
        }
      }
      up[k + 1] = up[k] + count;
    }
    for (let j = 0; j < n; j++) lp[j + 1] += lp[j];
    const li = new Int32Array(lp[n]);
    const nextL = lp.slice(0, n);
    mark.fill(-1);
    for (let k = 0; k < n; k++) {
      mark[k] = k;
      for (let p = bp[k]; p < bp[k + 1]; p++) {
        for (let i = bi[p]; i < k && mark[i] !== k; i = parent[i]) {
          mark[i] = k;
          li[nextL[i]++] = k;
        }
      }
    }
    const ui = new Int32Array(up[n]);
    const nextU = up.slice(0, n);
    for (let j = 0; j < n; j++) for (let r = lp[j]; r < lp[j + 1]; r++) ui[nextU[li[r]]++] = j;
    // In the elimination tree the pattern of column j below its parent lies inside the parent's,
    // so parent j + 1 and one entry more mean: the same pattern.
    const pairs = new Uint8Array(n);
    for (let j = 0; j + 1 < n; j++) {
      if (parent[j] === j + 1 && lp[j + 1] - lp[j] === lp[j + 2] - lp[j + 1] + 1) pairs[j] = 1;
    }

    return new SparseLU(pattern, perm, bp, bi, mapA, lp, li, up, ui, pairs);
  }

  /** True when the last `factor` needed the partial-pivoting fallback. */
  get usedPivotingFallback(): boolean {
    return this.fallback !== undefined;
  }

  /** Numeric factorisation of A given its values in the order of `pattern.rowIdx`. */
  factor(values: Float64Array): void {
    const { n } = this.pattern;
    const { bp, bi, bx, lp, li, lx, up, ui, ux, ud, work: x, mapA, pairs } = this;
    if (values.length !== mapA.length) throw new RangeError(`expected ${mapA.length} values, got ${values.length}`);
    this.factored = false;
    this.fallback = undefined;
    this.values = values;
    bx.fill(0);
    for (let p = 0; p < mapA.length; p++) bx[mapA[p]] += values[p];

    for (let k = 0; k < n; k++) {
      let columnMax = 0;
      for (let p = bp[k]; p < bp[k + 1]; p++) {
        const v = bx[p];
        x[bi[p]] = v;
        const a = v < 0 ? -v : v;
        if (a > columnMax) columnMax = a;
      }
      const qEnd = up[k + 1];
      for (let q = up[k]; q < qEnd; q++) {
        const j = ui[q];
        const ujk = x[j];
        ux[q] = ujk;
        x[j] = 0;
        if (pairs[j] === 1 && q + 1 < qEnd && ui[q + 1] === j + 1) {
          // Columns j and j + 1 together, in the same order of operations as one after the other
          // (so the result is the same to the bit): column j's first row is j + 1, the rest of
          // its rows are column j + 1's.
          const p0 = lp[j];
          const u1 = x[j + 1] - lx[p0] * ujk;
          ux[q + 1] = u1;
          x[j + 1] = 0;
          const end = lp[j + 2];
          for (let r = lp[j + 1], s = p0 + 1; r < end; r++, s++) {
            const i = li[r];
            x[i] = x[i] - lx[s] * ujk - lx[r] * u1;
          }
          q++;
        } else if (ujk !== 0) {
          for (let r = lp[j]; r < lp[j + 1]; r++) x[li[r]] -= lx[r] * ujk;
        }
      }
      const pivot = x[k];
      x[k] = 0;
      if (!(Math.abs(pivot) > STATIC_PIVOT_TOLERANCE * columnMax)) {
        for (let r = lp[k]; r < lp[k + 1]; r++) x[li[r]] = 0;
        this.fallback = this.pivotingFallback(k);
        this.factored = true;
        return;
      }
      ud[k] = pivot;
      for (let r = lp[k]; r < lp[k + 1]; r++) {
        const i = li[r];
        lx[r] = x[i] / pivot;
        x[i] = 0;
      }
    }
    this.factored = true;
  }

  /** Solves A·x = rhs with the last factorisation. */
  solve(rhs: Float64Array, out: Float64Array = new Float64Array(this.pattern.n)): Float64Array {
    return this.substitute(rhs, out, false);
  }

  /**
   * Solves Aᵀ·x = rhs with the last factorisation, without refactorising: with B = P·A·Pᵀ = L·U,
   * Aᵀ = Pᵀ·Uᵀ·Lᵀ·P, so Uᵀ (lower triangular, rows = the stored columns of U) is solved forward
   * and Lᵀ (unit upper, rows = the stored columns of L) backward on the permuted vector.
   */
  solveTransposed(rhs: Float64Array, out: Float64Array = new Float64Array(this.pattern.n)): Float64Array {
    return this.substitute(rhs, out, true);
  }

  /** The triangular solves of `solve` (L then U) or `solveTransposed` (Uᵀ then Lᵀ), permuted in and out. */
  private substitute(rhs: Float64Array, out: Float64Array, transposed: boolean): Float64Array {
    if (!this.factored) throw new Error(`SparseLU.${transposed ? "solveTransposed" : "solve"} called before factor`);
    if (this.fallback) {
      out.set(transposed ? this.fallback.solveTransposed(rhs) : this.fallback.solve(rhs));
      return out;
    }
    const { n } = this.pattern;
    const { perm, lp, li, lx, up, ui, ux, ud } = this;
    const y = this.solveWork;
    for (let k = 0; k < n; k++) y[k] = rhs[perm[k]];
    if (!transposed) {
      for (let k = 0; k < n; k++) {
        const yk = y[k];
        if (yk !== 0) for (let r = lp[k]; r < lp[k + 1]; r++) y[li[r]] -= lx[r] * yk;
      }
      for (let k = n - 1; k >= 0; k--) {
        const yk = (y[k] /= ud[k]);
        if (yk !== 0) for (let q = up[k]; q < up[k + 1]; q++) y[ui[q]] -= ux[q] * yk;
      }
    } else {
      for (let k = 0; k < n; k++) {
        let s = y[k];
        for (let q = up[k]; q < up[k + 1]; q++) s -= ux[q] * y[ui[q]];
        y[k] = s / ud[k];
      }
      for (let k = n - 1; k >= 0; k--) {
        let s = y[k];
        for (let r = lp[k]; r < lp[k + 1]; r++) s -= lx[r] * y[li[r]];
        y[k] = s;
      }
    }
    for (let k = 0; k < n; k++) out[perm[k]] = y[k];
    return out;
  }

  private pivotingFallback(column: number): PivotingFallback {
    // Loaded lazily: only matrices the static pivots cannot handle pay for mathjs.
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const math = require("mathjs") as typeof import("mathjs");
    const { n, colPtr, rowIdx } = this.pattern;
    // SparseMatrix is a runtime class on the mathjs namespace that its typings omit.
    const { SparseMatrix } = math as unknown as { SparseMatrix: { fromJSON(json: object): import("mathjs").Matrix } };
    const a = SparseMatrix.fromJSON({
      mathjs: "SparseMatrix",
      values: Array.from(this.values as Float64Array),
      index: Array.from(rowIdx),
      ptr: Array.from(colPtr),
      size: [n, n],
    });
    let lu: ReturnType<typeof math.slu>;
    try {
      lu = math.slu(a, 1, 1.0);
    } catch (e) {
      throw new SingularMatrixError(
        `matrix is singular (no usable pivot in column ${this.perm[column]}): ${(e as Error).message}`,
        column,
      );
    }
    const solveWith = (factors: ReturnType<typeof math.slu>, rhs: Float64Array): Float64Array => {
      const x = math.lusolve(factors, Array.from(rhs)) as unknown as { toArray(): number[][] };
      const flat = Float64Array.from(x.toArray(), (row) => row[0]);
      if (!flat.every(Number.isFinite)) throw new SingularMatrixError("matrix is singular", column);
      return flat;
    };
    // Aᵀ is built from a copy of the values taken now, so it matches A even if the caller
    // refills its array before the first transposed solve.
    const valuesNow = Float64Array.from(this.values as Float64Array);
    let luT: ReturnType<typeof math.slu> | undefined;
    const transposedFactors = (): ReturnType<typeof math.slu> => {
      if (luT) return luT;
      // The CSC arrays of Aᵀ are the CSR arrays of A.
      const ptr = new Int32Array(n + 1);
      for (let p = 0; p < rowIdx.length; p++) ptr[rowIdx[p] + 1]++;
      for (let i = 0; i < n; i++) ptr[i + 1] += ptr[i];
      const next = ptr.slice(0, n);
      const index = new Array<number>(rowIdx.length);
      const vals = new Array<number>(rowIdx.length);
      for (let j = 0; j < n; j++) {
        for (let p = colPtr[j]; p < colPtr[j + 1]; p++) {
          const q = next[rowIdx[p]]++;
          index[q] = j;
          vals[q] = valuesNow[p];
        }
      }
      const at = SparseMatrix.fromJSON({
        mathjs: "SparseMatrix",
        values: vals,
        index,
        ptr: Array.from(ptr),
        size: [n, n],
      });
      try {
        luT = math.slu(at, 1, 1.0);
      } catch (e) {
        throw new SingularMatrixError(`matrix is singular (transposed factorisation): ${(e as Error).message}`, column);
      }
      return luT;
    };
    return {
      solve: (rhs: Float64Array): Float64Array => solveWith(lu, rhs),
      solveTransposed: (rhs: Float64Array): Float64Array => solveWith(transposedFactors(), rhs),
    };
  }
}

/**
 * Pattern of B = P(A + Aᵀ + I)Pᵀ in compressed columns, and the position in B of each stored
 * entry of A. Counting passes only: entries are bucketed by column (each off-diagonal entry of A
 * into its own column and its mirror's), repeats are dropped with a marker array, and A's
 * entries are then located through a scatter of each column. Rows within a column of B are in
 * no particular order: nothing downstream needs them sorted (the patterns of L and U are sorted
 * by construction).
 */
function symmetrisedPattern(
  n: number,
  colPtr: Int32Array,
  rowIdx: Int32Array,
  pinv: Int32Array,
): { bp: Int32Array; bi: Int32Array; mapA: Int32Array } {
  const nnzA = rowIdx.length;
  if (colPtr.length !== n + 1 || colPtr[n] !== nnzA) throw new RangeError("pattern: colPtr does not match rowIdx");
  const start = new Int32Array(n + 1);
  for (let k = 0; k < n; k++) start[k + 1] = 1; // the diagonal
  for (let j = 0; j < n; j++) {
    const bj = pinv[j];
    for (let p = colPtr[j]; p < colPtr[j + 1]; p++) {
      const r = rowIdx[p];
      if (!(r >= 0 && r < n)) throw new RangeError(`pattern: row index ${r} outside 0..${n - 1}`);
      const bi = pinv[r];
      if (bi === bj) continue;
      start[bj + 1]++;
      start[bi + 1]++;
    }
  }
  for (let k = 0; k < n; k++) start[k + 1] += start[k];
  const bucket = new Int32Array(start[n]);
  const next = start.slice(0, n);
  for (let k = 0; k < n; k++) bucket[next[k]++] = k;
  for (let j = 0; j < n; j++) {
    const bj = pinv[j];
    for (let p = colPtr[j]; p < colPtr[j + 1]; p++) {
      const bi = pinv[rowIdx[p]];
      if (bi === bj) continue;
      bucket[next[bj]++] = bi;
      bucket[next[bi]++] = bj;
    }
  }
  // Drop repeats column by column, compacting in place.
  const bp = new Int32Array(n + 1);
  const seen = new Int32Array(n).fill(-1);
  let nnz = 0;
  for (let k = 0; k < n; k++) {
    bp[k] = nnz;
    for (let q = start[k]; q < start[k + 1]; q++) {
      const i = bucket[q];
      if (seen[i] === k) continue;
      seen[i] = k;
      bucket[nnz++] = i;
    }
  }
  bp[n] = nnz;
  const bi = bucket.slice(0, nnz);
  const mapA = new Int32Array(nnzA);
  const where = seen; // reused: where[i] = position of row i in the column being mapped
  for (let j = 0; j < n; j++) {
    const bj = pinv[j];
    for (let p = bp[bj]; p < bp[bj + 1]; p++) where[bi[p]] = p;
    for (let p = colPtr[j]; p < colPtr[j + 1]; p++) mapA[p] = where[pinv[rowIdx[p]]];
  }
  return { bp, bi, mapA };
}

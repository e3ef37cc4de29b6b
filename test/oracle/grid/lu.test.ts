import { expect } from "chai";
import { SparseLU, type SparsePattern } from "../../../oracle/grid/linalg/lu";
import { SingularMatrixError } from "../../../oracle/grid/errors";
import { rng } from "../helpers";

function toCsc(dense: number[][]): { pattern: SparsePattern; values: Float64Array } {
  const n = dense.length;
  const colPtr = [0];
  const rowIdx: number[] = [];
  const values: number[] = [];
  for (let j = 0; j < n; j++) {
    for (let i = 0; i < n; i++) {
      if (dense[i][j] !== 0) {
        rowIdx.push(i);
        values.push(dense[i][j]);
      }
    }
    colPtr.push(rowIdx.length);
  }
  return {
    pattern: { n, colPtr: Int32Array.from(colPtr), rowIdx: Int32Array.from(rowIdx) },
    values: Float64Array.from(values),
  };
}

/** Structurally symmetric random matrix; optionally with zero diagonals that force pivoting. */
function randomMatrix(n: number, density: number, seed: number, zeroDiagonalEvery = 0): number[][] {
  const next = rng(seed);
  const a = Array.from({ length: n }, () => new Array<number>(n).fill(0));
  for (let i = 0; i < n; i++) {
    for (let j = i + 1; j < n; j++) {
      if (next() < density) {
        a[i][j] = next() - 0.5;
        a[j][i] = next() - 0.5;
      }
    }
    a[i][i] = zeroDiagonalEvery > 0 && i % zeroDiagonalEvery === 0 ? 0 : 2 + next();
  }
  // Keep zero-diagonal rows non-singular: give them a strong off-diagonal partner.
  for (let i = 0; i < n; i++) if (a[i][i] === 0) a[i][(i + 1) % n] = a[(i + 1) % n][i] = 5;
  return a;
}

function residual(a: number[][], x: Float64Array, b: Float64Array): number {
  let worst = 0;
  a.forEach((row, i) => {
    const ax = row.reduce((s, v, j) => s + v * x[j], 0);
    worst = Math.max(worst, Math.abs(ax - b[i]));
  });
  return worst;
}

describe("SparseLU", () => {
  for (const seed of [1, 2, 3]) {
    it(`solves a diagonally strong random system with static pivots (seed ${seed})`, () => {
      const a = randomMatrix(80, 0.06, seed);
      const { pattern, values } = toCsc(a);
      const lu = SparseLU.analyze(pattern);
      lu.factor(values);
      const b = Float64Array.from({ length: 80 }, (_, i) => Math.sin(i + seed));
      expect(residual(a, lu.solve(b), b)).to.be.below(1e-12);
      expect(lu.usedPivotingFallback).to.equal(false);
    });
  }

  it("falls back to partial pivoting when a diagonal pivot vanishes, and still solves", () => {
    const a = randomMatrix(40, 0.1, 7, 3);
    const { pattern, values } = toCsc(a);
    const lu = SparseLU.analyze(pattern);
    lu.factor(values);
    const b = Float64Array.from({ length: 40 }, (_, i) => i - 20);
    expect(residual(a, lu.solve(b), b)).to.be.below(1e-10);
    expect(lu.usedPivotingFallback).to.equal(true);
  });

  it("refactors new values on the same pattern (symbolic analysis reused)", () => {
    const a = randomMatrix(50, 0.08, 11);
    const { pattern, values } = toCsc(a);
    const lu = SparseLU.analyze(pattern);
    lu.factor(values);
    const scaled = values.map((v, k) => v * (1 + 0.1 * Math.cos(k)));
    const a2 = a.map((row) => row.slice());
    for (let j = 0, k = 0; j < 50; j++) for (let i = 0; i < 50; i++) if (a[i][j] !== 0) a2[i][j] = scaled[k++];
    lu.factor(scaled);
    const b = Float64Array.from({ length: 50 }, () => 1);
    expect(residual(a2, lu.solve(b), b)).to.be.below(1e-12);
  });

  it("factorises 2x2-block matrices (column pairs of one pattern, as a PQ bus gives) to a tight residual", () => {
    // Structurally symmetric in 2x2 blocks, numerically unsymmetric; interleaved single columns.
    const next = rng(21);
    const blocks = 40;
    const size = (b: number): number => (b % 3 === 2 ? 1 : 2);
    const start: number[] = [];
    let n = 0;
    for (let b = 0; b < blocks; b++) {
      start.push(n);
      n += size(b);
    }
    const a = Array.from({ length: n }, () => new Array<number>(n).fill(0));
    const link = (b: number, c: number): void => {
      for (let i = 0; i < size(b); i++) for (let j = 0; j < size(c); j++) a[start[b] + i][start[c] + j] = next() - 0.5;
    };
    for (let b = 0; b < blocks; b++) {
      link(b, b);
      for (let i = 0; i < size(b); i++) a[start[b] + i][start[b] + i] = 4 + next();
      for (const c of [b + 1, b + 5, b + 11]) {
        if (c < blocks) {
          link(b, c);
          link(c, b);
        }
      }
    }
    const { pattern, values } = toCsc(a);
    const lu = SparseLU.analyze(pattern);
    lu.factor(values);
    expect(lu.usedPivotingFallback).to.equal(false);
    const b = Float64Array.from({ length: n }, (_, i) => Math.sin(2 * i));
    expect(residual(a, lu.solve(b), b)).to.be.below(1e-12);
    expect(transposedResidual(a, lu.solveTransposed(b), b)).to.be.below(1e-12);
    // The same matrix in natural order (pairs of consecutive columns share their pattern there).
    const natural = SparseLU.analyze(
      pattern,
      Int32Array.from({ length: n }, (_, k) => k),
    );
    natural.factor(values);
    expect(residual(a, natural.solve(b), b)).to.be.below(1e-12);
  });

  it("reports a singular matrix with a typed error", () => {
    const { pattern, values } = toCsc([
      [1, 2, 0],
      [2, 4, 0],
      [0, 0, 1],
    ]);
    const lu = SparseLU.analyze(pattern);
    expect(() => {
      lu.factor(values);
      lu.solve(Float64Array.of(1, 1, 1));
    }).to.throw(SingularMatrixError);
  });

  it("rejects an ordering that is not a permutation", () => {
    const { pattern } = toCsc([
      [1, 0],
      [0, 1],
    ]);
    expect(() => SparseLU.analyze(pattern, Int32Array.of(0, 0))).to.throw(/not a permutation/);
  });
});

/** max |Aᵀx − b|. */
function transposedResidual(a: number[][], x: Float64Array, b: Float64Array): number {
  let worst = 0;
  for (let j = 0; j < a.length; j++) {
    const atx = a.reduce((s, row, i) => s + row[j] * x[i], 0);
    worst = Math.max(worst, Math.abs(atx - b[j]));
  }
  return worst;
}

/** A structurally symmetric matrix with clearly unsymmetric values (so A and Aᵀ differ). */
function unsymmetric(a: number[][]): number[][] {
  return a.map((row, i) => row.map((v, j) => (j > i && v !== 0 ? v + 1.5 : v)));
}

describe("SparseLU.solveTransposed", () => {
  for (const seed of [4, 5]) {
    it(`solves Aᵀx = b with the static-pivot factors, no refactorisation (seed ${seed})`, () => {
      const a = unsymmetric(randomMatrix(90, 0.05, seed));
      const { pattern, values } = toCsc(a);
      const lu = SparseLU.analyze(pattern);
      lu.factor(values);
      expect(lu.usedPivotingFallback).to.equal(false);
      const b = Float64Array.from({ length: 90 }, (_, i) => Math.cos(3 * i + seed));
      const x = lu.solveTransposed(b);
      expect(transposedResidual(a, x, b)).to.be.below(1e-12);
      // The transposed solution really differs from the plain one (the test would notice a mix-up).
      expect(residual(a, x, b)).to.be.above(1e-3);
      // A caller-supplied output array is filled and returned; the factors stay usable for A.
      const out = new Float64Array(90);
      expect(lu.solveTransposed(b, out)).to.equal(out);
      expect(Array.from(out)).to.deep.equal(Array.from(x));
      expect(residual(a, lu.solve(b), b)).to.be.below(1e-12);
    });
  }

  it("works with a user-given ordering and a sparse right-hand side", () => {
    const a = unsymmetric(randomMatrix(30, 0.15, 9));
    const { pattern, values } = toCsc(a);
    const order = Int32Array.from({ length: 30 }, (_, k) => (k * 7) % 30);
    const lu = SparseLU.analyze(pattern, order);
    lu.factor(values);
    const b = new Float64Array(30);
    b[13] = 1;
    b[2] = -2;
    expect(transposedResidual(a, lu.solveTransposed(b), b)).to.be.below(1e-12);
  });

  it("solves Aᵀx = b when the partial-pivoting fallback is active", () => {
    const a = unsymmetric(randomMatrix(40, 0.1, 8, 3));
    const { pattern, values } = toCsc(a);
    const lu = SparseLU.analyze(pattern);
    lu.factor(values);
    expect(lu.usedPivotingFallback).to.equal(true);
    // The caller refilling its value array after factor must not change the factorised matrix.
    values.fill(1);
    const b = Float64Array.from({ length: 40 }, (_, i) => (i % 5) - 2);
    const x = lu.solveTransposed(b);
    expect(transposedResidual(a, x, b)).to.be.below(1e-10);
    expect(residual(a, x, b)).to.be.above(1e-3);
    const out = new Float64Array(40);
    expect(lu.solveTransposed(b, out)).to.equal(out);
    expect(transposedResidual(a, out, b)).to.be.below(1e-10);
    expect(residual(a, lu.solve(b), b)).to.be.below(1e-10);
  });

  it("refuses to solve before factor", () => {
    const { pattern } = toCsc([
      [2, 1],
      [0, 3],
    ]);
    expect(() => SparseLU.analyze(pattern).solveTransposed(Float64Array.of(1, 1))).to.throw(/before factor/);
  });
});

/**
 * Linear programs through HiGHS (compiled to WebAssembly, npm `highs`): the model is passed as
 * structured sparse data, never as LP text, so no number is rounded on the way in.
 *
 *   minimise  cᵀx   subject to  rowLower ≤ A·x ≤ rowUpper,  colLower ≤ x ≤ colUpper
 *
 * Row duals follow HiGHS's convention: rowDual[i] = ∂(optimal objective)/∂(the active bound
 * of row i) — e.g. a "≥ b" row with dual 2.5 costs 2.5 more per unit increase of b.
 */
import type { Highs } from "highs";
import { GridError } from "../grid/errors";

export interface LinearProgram {
  readonly colCost: Float64Array | readonly number[];
  readonly colLower: Float64Array | readonly number[];
  readonly colUpper: Float64Array | readonly number[];
  readonly rowLower: Float64Array | readonly number[];
  readonly rowUpper: Float64Array | readonly number[];
  /** Constraint matrix by rows: rows[i] = [[column, coefficient], ...]. */
  readonly rows: readonly (readonly (readonly [number, number])[])[];
}

export interface LpSolution {
  readonly objective: number;
  readonly x: Float64Array;
  readonly rowActivity: Float64Array;
  readonly rowDual: Float64Array;
  readonly colDual: Float64Array;
}

/** The LP has no solution (infeasible or unbounded) or the solver failed. */
export class LpSolveError extends GridError {
  constructor(readonly status: string) {
    super(`linear program not solved: ${status}`);
  }
}

let runtime: Promise<Highs> | undefined;

/** Loads the HiGHS WebAssembly runtime once per process. */
export function loadHighs(): Promise<Highs> {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  runtime ??= (require("highs") as (options?: object) => Promise<Highs>)();
  return runtime;
}

/** Solves with an already loaded runtime (synchronous: HiGHS blocks while it runs). */
export function solveLpWith(highs: Highs, lp: LinearProgram): LpSolution {
  const numCols = lp.colCost.length;
  const numRows = lp.rows.length;
  const starts = new Int32Array(numRows + 1);
  lp.rows.forEach((row, i) => (starts[i + 1] = starts[i] + row.length));
  const indices = new Int32Array(starts[numRows]);
  const values = new Float64Array(starts[numRows]);
  lp.rows.forEach((row, i) =>
    row.forEach(([col, value], k) => {
      if (!(col >= 0 && col < numCols)) throw new RangeError(`LP row ${i} refers to column ${col} of ${numCols}`);
      indices[starts[i] + k] = col;
      values[starts[i] + k] = value;
    }),
  );
  const toArray = (x: Float64Array | readonly number[]): Float64Array => Float64Array.from(x);
  const model = highs.createModel({
    numCols,
    numRows,
    colCost: toArray(lp.colCost),
    colLower: toArray(lp.colLower),
    colUpper: toArray(lp.colUpper),
    rowLower: toArray(lp.rowLower),
    rowUpper: toArray(lp.rowUpper),
    matrix: { format: "csr", numRows, numCols, starts, indices, values },
  });
  try {
    model.options.set("output_flag", false);
    let modelStatus: number;
    try {
      ({ modelStatus } = model.run());
    } catch (e) {
      throw new LpSolveError(`HiGHS failed: ${(e as Error).message}`);
    }
    if (modelStatus !== highs.constants.modelStatus.optimal) {
      const name = Object.entries(highs.constants.modelStatus).find(([, code]) => code === modelStatus)?.[0];
      throw new LpSolveError(name ?? `status ${modelStatus}`);
    }
    const s = model.getSolution();
    return {
      objective: model.getObjectiveValue(),
      x: Float64Array.from(s.colValue),
      rowActivity: Float64Array.from(s.rowValue),
      rowDual: Float64Array.from(s.rowDual),
      colDual: Float64Array.from(s.colDual),
    };
  } finally {
    model.dispose();
  }
}

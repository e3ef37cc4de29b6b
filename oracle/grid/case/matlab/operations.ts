/**
 * MATLAB's semantics on values, apart from parsing: arithmetic (element-wise with scalar
 * expansion, the matrix product), ranges, transposition, concatenation, indexing and indexed
 * assignment, and the few pure built-ins a case file may call. Each function reports a problem
 * through `fail`, which the interpreter turns into an error at the file and line of the operator.
 */
import { matrix, scalar, type MatrixValue, type Value } from "./values";

/** Throws the problem, placed at the operator or name being evaluated. */
export type Fail = (message: string) => never;

/** One dimension of an index list: the index values (1-based) or ':' for all. */
export type IndexArg = MatrixValue | ":";

export const BUILTINS = new Set(["size", "ones", "zeros", "abs", "sqrt"]);

export function toScalar(v: Value, fail: Fail): number {
  if (v.kind !== "matrix" || v.rows * v.cols !== 1) fail("expected a scalar");
  return (v as MatrixValue).data[0];
}

export function map(v: Value, f: (x: number) => number, fail: Fail): MatrixValue {
  if (v.kind !== "matrix") return fail("arithmetic on a non-numeric value");
  return matrix(v.rows, v.cols, v.data.map(f));
}

/** `a op b` element by element, a scalar on either side applying to every element. */
export function elementwise(
  a: Value,
  b: Value,
  op: string,
  f: (x: number, y: number) => number,
  fail: Fail,
): MatrixValue {
  if (a.kind !== "matrix" || b.kind !== "matrix") return fail("arithmetic on a non-numeric value");
  if (b.rows * b.cols === 1) {
    const y = b.data[0];
    return map(a, (x) => f(x, y), fail);
  }
  if (a.rows * a.cols === 1) {
    const x = a.data[0];
    return map(b, (y) => f(x, y), fail);
  }
  if (a.rows !== b.rows || a.cols !== b.cols) {
    fail(`operands of '${op}' have sizes ${a.rows}x${a.cols} and ${b.rows}x${b.cols}`);
  }
  return matrix(
    a.rows,
    a.cols,
    a.data.map((x, k) => f(x, b.data[k])),
  );
}

export function matrixProduct(a: Value, b: Value, fail: Fail): MatrixValue {
  if (a.kind !== "matrix" || b.kind !== "matrix") return fail("arithmetic on a non-numeric value");
  if (a.rows * a.cols === 1 || b.rows * b.cols === 1) return elementwise(a, b, "*", (x, y) => x * y, fail);
  if (a.cols !== b.rows) fail(`inner dimensions ${a.cols} and ${b.rows} do not agree for '*'`);
  const out = matrix(a.rows, b.cols, new Array<number>(a.rows * b.cols).fill(0));
  for (let i = 0; i < a.rows; i++)
    for (let k = 0; k < a.cols; k++)
      for (let j = 0; j < b.cols; j++) out.data[i * b.cols + j] += a.data[i * a.cols + k] * b.data[k * b.cols + j];
  return out;
}

export function transpose(v: Value, fail: Fail): MatrixValue {
  if (v.kind !== "matrix") return fail("only numeric matrices can be transposed");
  const t = matrix(v.cols, v.rows, new Array<number>(v.rows * v.cols));
  for (let r = 0; r < v.rows; r++) for (let c = 0; c < v.cols; c++) t.data[c * v.rows + r] = v.data[r * v.cols + c];
  return t;
}

/** `a:step:b` as a row vector. */
export function range(a: number, step: number, b: number, fail: Fail): MatrixValue {
  if (![a, step, b].every(Number.isFinite)) fail("a range needs finite start, step and stop");
  if (step === 0) return matrix(1, 0, []);
  // Elements are a + k*step, as in Octave (not a running sum, which drifts: 0:0.1:1 would end
  // at 0.9999999999999999), and none passes the stop value.
  const count = Math.floor((b - a) / step + 1e-10) + 1;
  const data: number[] = [];
  for (let k = 0; k < count; k++) data.push(step > 0 ? Math.min(a + k * step, b) : Math.max(a + k * step, b));
  return matrix(1, data.length, data);
}

/**
 * The matrix `[rows[0]; rows[1]; ...]`, each row the horizontal concatenation of its blocks.
 * `failAt(k, message)` reports a problem with row `k`; `name` is what the literal is assigned to.
 */
export function concatenate(
  rows: MatrixValue[][],
  name: string,
  failAt: (row: number, message: string) => never,
): MatrixValue {
  const blocks = rows.map((row, k) => {
    // Empty blocks ([]) take no part in concatenation: [[] 1 2] is [1 2].
    const parts = row.filter((b) => b.rows * b.cols > 0);
    const height = parts.length > 0 ? parts[0].rows : 0;
    let width = 0;
    for (const b of parts) {
      if (b.rows !== height) failAt(k, "horizontal concatenation of blocks with different heights");
      width += b.cols;
    }
    const data = new Array<number>(height * width);
    let offset = 0;
    for (const b of parts) {
      for (let r = 0; r < b.rows; r++)
        for (let c = 0; c < b.cols; c++) data[r * width + offset + c] = b.data[r * b.cols + c];
      offset += b.cols;
    }
    return matrix(height, width, data);
  });
  const nonEmpty = blocks.map((b, k) => ({ b, k })).filter(({ b }) => b.rows * b.cols > 0);
  if (nonEmpty.length === 0) return matrix(0, 0, []);
  const width = nonEmpty[0].b.cols;
  let rowCount = 0;
  const data: number[] = [];
  for (const { b, k } of nonEmpty) {
    if (b.cols !== width)
      failAt(k, `${name} row ${rowCount + 1} has ${b.cols} columns but the rows above have ${width}`);
    rowCount += b.rows;
    for (const x of b.data) data.push(x);
  }
  return matrix(rowCount, width, data);
}

function resolveIndex(arg: IndexArg, extent: number): number[] {
  if (arg !== ":") return arg.data.map((x) => x - 1);
  return Array.from({ length: extent }, (_, k) => k);
}

/** `m(args)`: linear (column-major) or row-column indexing. */
export function readIndexed(m: MatrixValue, args: IndexArg[], fail: Fail): MatrixValue {
  if (args.length === 1) {
    const idx = resolveIndex(args[0], m.rows * m.cols);
    const data = idx.map((k) => {
      if (k >= m.rows * m.cols) fail(`index ${k + 1} exceeds the ${m.rows * m.cols} elements`);
      // Linear indexing is column-major in MATLAB.
      return m.data[(k % m.rows) * m.cols + Math.floor(k / m.rows)];
    });
    // MATLAB's shape rule: x(:) is a column; a vector indexed by a vector keeps its own
    // orientation; anything else takes the shape of the index.
    if (args[0] === ":") return matrix(data.length, 1, data);
    const isVector = (m.rows === 1) !== (m.cols === 1);
    const index = args[0];
    const indexIsVector = index.rows === 1 || index.cols === 1;
    if (isVector && indexIsVector) return m.rows === 1 ? matrix(1, data.length, data) : matrix(data.length, 1, data);
    return matrix(index.rows, index.cols, data);
  }
  const rows = resolveIndex(args[0], m.rows);
  const cols = resolveIndex(args[1], m.cols);
  const data: number[] = [];
  for (const r of rows) {
    if (r >= m.rows) fail(`row index ${r + 1} exceeds the ${m.rows} rows`);
    for (const c of cols) {
      if (c >= m.cols) fail(`column index ${c + 1} exceeds the ${m.cols} columns`);
      data.push(m.data[r * m.cols + c]);
    }
  }
  return matrix(rows.length, cols.length, data);
}

/** `target(args) = value`: a new matrix, grown (zero-filled) when the index passes its end. */
export function assignIndexed(target: MatrixValue, args: IndexArg[], value: MatrixValue, fail: Fail): MatrixValue {
  if (args.length === 1) fail("linear-index assignment is not supported");
  const rows = resolveIndex(args[0], target.rows);
  const cols = resolveIndex(args[1], target.cols);
  const isScalar = value.rows === 1 && value.cols === 1;
  if (!isScalar && (value.rows !== rows.length || value.cols !== cols.length)) {
    fail(`cannot assign a ${value.rows}x${value.cols} value to a ${rows.length}x${cols.length} selection`);
  }
  // MATLAB grows a matrix, zero-filled, when an assignment indexes past its end.
  const newRows = Math.max(target.rows, ...rows.map((r) => r + 1));
  const newCols = Math.max(target.cols, ...cols.map((c) => c + 1));
  let out = target;
  if (newRows !== target.rows || newCols !== target.cols) {
    const data = new Array<number>(newRows * newCols).fill(0);
    for (let r = 0; r < target.rows; r++)
      for (let c = 0; c < target.cols; c++) data[r * newCols + c] = target.data[r * target.cols + c];
    out = matrix(newRows, newCols, data);
  } else {
    out = matrix(target.rows, target.cols, target.data.slice());
  }
  rows.forEach((r, i) =>
    cols.forEach((c, j) => {
      out.data[r * out.cols + c] = isScalar ? value.data[0] : value.data[i * value.cols + j];
    }),
  );
  return out;
}

/** A built-in (`BUILTINS`) applied to numeric arguments. */
export function callBuiltin(name: string, args: MatrixValue[], fail: Fail): MatrixValue {
  const dims = (): [number, number] => {
    const d = args.map((a) => toScalar(a, fail));
    if (d.length === 1) return [d[0], d[0]];
    if (d.length === 2) return [d[0], d[1]];
    return fail(`${name} takes one or two sizes`);
  };
  switch (name) {
    case "size": {
      if (args.length === 1) return matrix(1, 2, [args[0].rows, args[0].cols]);
      const dim = toScalar(args[1], fail);
      return scalar(dim === 1 ? args[0].rows : dim === 2 ? args[0].cols : 1);
    }
    case "ones":
    case "zeros": {
      const [r, c] = dims();
      return matrix(r, c, new Array<number>(r * c).fill(name === "ones" ? 1 : 0));
    }
    case "abs":
      return map(args[0], Math.abs, fail);
    case "sqrt":
      return map(args[0], Math.sqrt, fail);
  }
  return fail(`unsupported function '${name}'`);
}

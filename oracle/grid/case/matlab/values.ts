/**
 * The values a MATPOWER case file computes with: numeric matrices (row-major, as MATLAB's
 * double arrays), strings, cell arrays and structs.
 */
export interface MatrixValue {
  readonly kind: "matrix";
  rows: number;
  cols: number;
  /** Row-major. */
  data: number[];
}
export interface StringValue {
  readonly kind: "string";
  readonly value: string;
}
export interface CellValue {
  readonly kind: "cell";
  readonly items: Value[];
}
export interface StructValue {
  readonly kind: "struct";
  readonly fields: Map<string, Value>;
}
export type Value = MatrixValue | StringValue | CellValue | StructValue;

export function matrix(rows: number, cols: number, data: number[]): MatrixValue {
  return { kind: "matrix", rows, cols, data };
}

export function scalar(x: number): MatrixValue {
  return matrix(1, 1, [x]);
}

/** Helpers shared by the matlab tests (split by concern). */
import { expect } from "chai";
import { CaseFormatError } from "../../../oracle/grid/errors";
import { runMatlabProgram, type MatrixValue, type Value } from "../../../oracle/grid/case/matlab";

export const FILE = "prog.m";

export function run(source: string): Map<string, Value> {
  return runMatlabProgram(source, FILE).variables;
}

/** The numeric matrix bound to `name` by `source`. */
export function matrixOf(source: string, name = "a"): MatrixValue {
  const v = run(source).get(name);
  expect(v, `variable ${name}`).to.not.equal(undefined);
  expect((v as Value).kind, `${name} is numeric`).to.equal("matrix");
  return v as MatrixValue;
}

/** The matrix as rows, for readable expectations. */
export function rowsOf(source: string, name = "a"): number[][] {
  const m = matrixOf(source, name);
  return Array.from({ length: m.rows }, (_, r) => m.data.slice(r * m.cols, (r + 1) * m.cols));
}

export function scalarOf(source: string, name = "a"): number {
  const m = matrixOf(source, name);
  expect([m.rows, m.cols], `${name} is a scalar`).to.deep.equal([1, 1]);
  return m.data[0];
}

/** Runs `source`, which must fail with a CaseFormatError at `line` whose message matches `pattern`. */
export function expectFailure(source: string, line: number, pattern: RegExp): CaseFormatError {
  let caught: unknown;
  try {
    runMatlabProgram(source, FILE);
  } catch (e) {
    caught = e;
  }
  expect(caught, "an error is thrown").to.be.instanceOf(CaseFormatError);
  const e = caught as CaseFormatError;
  expect(e.file).to.equal(FILE);
  expect(e.line, `line of: ${e.message}`).to.equal(line);
  expect(e.message.startsWith(`${FILE}:${line}: `), e.message).to.equal(true);
  expect(e.message).to.match(pattern);
  return e;
}

export const IDX_BUS =
  "[PQ, PV, REF, NONE, BUS_I, BUS_TYPE, PD, QD, GS, BS, BUS_AREA, VM, VA, BASE_KV, ZONE, VMAX, VMIN, LAM_P, LAM_Q, MU_VMAX, MU_VMIN] = idx_bus;";
export const IDX_BRCH =
  "[F_BUS, T_BUS, BR_R, BR_X, BR_B, RATE_A, RATE_B, RATE_C, TAP, SHIFT, BR_STATUS, PF, QF, PT, QT, MU_SF, MU_ST, ANGMIN, ANGMAX, MU_ANGMIN, MU_ANGMAX] = idx_brch;";
export const IDX_GEN =
  "[GEN_BUS, PG, QG, QMAX, QMIN, VG, MBASE, GEN_STATUS, PMAX, PMIN, MU_PMAX, MU_PMIN, MU_QMAX, MU_QMIN, PC1, PC2, QC1MIN, QC1MAX, QC2MIN, QC2MAX, RAMP_AGC, RAMP_10, RAMP_30, RAMP_Q, APF] = idx_gen;";

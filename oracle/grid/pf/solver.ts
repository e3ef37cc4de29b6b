/**
 * What every AC power-flow solver takes and returns. Solvers see matrices, index vectors and
 * injections, never the case (MATPOWER's newtonpf signature).
 */
import type { SparseLU } from "../linalg/lu";
import { multiplyComplex, type ComplexCsr } from "../network/admittance";
import type { PolarJacobian } from "./jacobian";

export interface AcSolverInput {
  readonly ybus: ComplexCsr;
  /** Specified net injection per bus, per unit (generation minus constant-power demand). */
  readonly sbusRe: Float64Array;
  readonly sbusIm: Float64Array;
  /** Initial voltage magnitude (p.u.) and angle (rad); fixed at reference buses, |V| fixed at PV buses. */
  readonly vm0: Float64Array;
  readonly va0: Float64Array;
  readonly ref: Int32Array;
  readonly pv: Int32Array;
  readonly pq: Int32Array;
  /** Convergence tolerance on the largest P or Q mismatch, per unit. */
  readonly tolerance: number;
  readonly maxIterations: number;
  /**
   * The Jacobian pattern and LU analysis for these bus types, reused across solves of the same
   * network (Newton only). Built by the solver when absent.
   */
  readonly newtonSystem?: { readonly jacobian: PolarJacobian; readonly lu: SparseLU };
}

export interface AcSolverOutput {
  readonly vm: Float64Array;
  /** Radians. */
  readonly va: Float64Array;
  readonly iterations: number;
  /** Largest |P or Q mismatch| at the solution, per unit. */
  readonly mismatch: number;
}

/** Where a solver wants the signed mismatches: P of bus i at f[angle[i]], Q at f[magnitude[i]]. */
export interface MismatchLayout {
  readonly f: Float64Array;
  readonly angle: Int32Array;
  readonly magnitude: Int32Array;
}

/**
 * Largest |mismatch| of S = V·conj(Ybus·V) against the specified injection: P at non-reference
 * buses, Q at PQ buses. Fills iRe/iIm with Ybus·V, and the signed mismatches if `layout` is given.
 */
export function maxMismatch(
  input: AcSolverInput,
  vRe: Float64Array,
  vIm: Float64Array,
  iRe: Float64Array,
  iIm: Float64Array,
  isRef: Uint8Array,
  isPq: Uint8Array,
  layout?: MismatchLayout,
): number {
  const { ybus, sbusRe, sbusIm } = input;
  multiplyComplex(ybus, vRe, vIm, iRe, iIm);
  let worst = 0;
  for (let i = 0; i < ybus.n; i++) {
    const sr = iRe[i];
    const si = iIm[i];
    if (isRef[i]) continue;
    // NaN compares false, so a diverged iterate makes `worst` NaN rather than hiding it.
    const dp = vRe[i] * sr + vIm[i] * si - sbusRe[i];
    if (!(Math.abs(dp) <= worst)) worst = Math.abs(dp);
    if (layout) layout.f[layout.angle[i]] = dp;
    if (isPq[i]) {
      const dq = vIm[i] * sr - vRe[i] * si - sbusIm[i];
      if (!(Math.abs(dq) <= worst)) worst = Math.abs(dq);
      if (layout) layout.f[layout.magnitude[i]] = dq;
    }
  }
  return worst;
}

export function indicator(n: number, members: Int32Array): Uint8Array {
  const out = new Uint8Array(n);
  members.forEach((i) => (out[i] = 1));
  return out;
}

/**
 * The analytic Jacobian against central finite differences of the mismatch function, column by
 * column, at a non-flat voltage point (so every term of dS/dV is exercised).
 */
import { expect } from "chai";
import { buildYbus, busInjections, loadCase, toInternal, type PowerCase } from "../../../oracle";
import { PolarJacobian } from "../../../oracle/grid/pf/jacobian";
import { indicator, maxMismatch, type AcSolverInput } from "../../../oracle/grid/pf/solver";
import { sixBusCase } from "../fixtures";
import { casePath, HAVE_MATPOWER, SKIP_REASON } from "../helpers";

/** Largest |analytic − finite difference| over the given columns, relative to the column scale. */
function jacobianError(c: PowerCase, columns?: (size: number) => number[]): number {
  const ic = toInternal(c);
  const ybus = buildYbus(ic);
  const sbus = busInjections(ic);
  const nb = ic.buses.count;
  // A deterministic non-flat point: magnitudes around 1, angles spread over ±0.3 rad.
  const vm = Float64Array.from({ length: nb }, (_, i) => 1 + 0.05 * Math.sin(3 * i + 1));
  const va = Float64Array.from({ length: nb }, (_, i) => 0.3 * Math.cos(7 * i + 2));
  const input: AcSolverInput = {
    ybus,
    sbusRe: sbus.re,
    sbusIm: sbus.im,
    vm0: vm,
    va0: va,
    ref: ic.ref,
    pv: ic.pv,
    pq: ic.pq,
    tolerance: 1e-8,
    maxIterations: 10,
  };
  const jac = new PolarJacobian(ybus, ic.ref, ic.pq);
  const isRef = indicator(nb, ic.ref);
  const isPq = indicator(nb, ic.pq);
  const vRe = new Float64Array(nb);
  const vIm = new Float64Array(nb);
  const iRe = new Float64Array(nb);
  const iIm = new Float64Array(nb);
  const mismatch = (m: Float64Array, a: Float64Array): Float64Array => {
    for (let i = 0; i < nb; i++) {
      vRe[i] = m[i] * Math.cos(a[i]);
      vIm[i] = m[i] * Math.sin(a[i]);
    }
    const f = new Float64Array(jac.size);
    maxMismatch(input, vRe, vIm, iRe, iIm, isRef, isPq, { f, angle: jac.angle, magnitude: jac.magnitude });
    return f;
  };
  mismatch(vm, va);
  jac.evaluate(vRe, vIm, vm, iRe, iIm);

  // Dense copy of the analytic Jacobian's columns, from the CSC pattern.
  const { colPtr, rowIdx } = jac.pattern;
  const busOfUnknown = new Int32Array(jac.size);
  const isAngle = new Uint8Array(jac.size);
  for (let i = 0; i < nb; i++) {
    if (jac.angle[i] >= 0) {
      busOfUnknown[jac.angle[i]] = i;
      isAngle[jac.angle[i]] = 1;
    }
    if (jac.magnitude[i] >= 0) busOfUnknown[jac.magnitude[i]] = i;
  }
  const h = 1e-6;
  let worst = 0;
  for (const col of columns ? columns(jac.size) : Array.from({ length: jac.size }, (_, k) => k)) {
    const bus = busOfUnknown[col];
    const target = isAngle[col] ? va : vm;
    const saved = target[bus];
    target[bus] = saved + h;
    const up = mismatch(vm, va);
    target[bus] = saved - h;
    const down = mismatch(vm, va);
    target[bus] = saved;
    const analytic = new Float64Array(jac.size);
    for (let p = colPtr[col]; p < colPtr[col + 1]; p++) analytic[rowIdx[p]] = jac.values[p];
    let scale = 1;
    for (let r = 0; r < jac.size; r++) scale = Math.max(scale, Math.abs(analytic[r]));
    for (let r = 0; r < jac.size; r++) {
      const fd = (up[r] - down[r]) / (2 * h);
      // Entries outside the pattern must be zero in the finite difference too.
      worst = Math.max(worst, Math.abs(fd - analytic[r]) / scale);
    }
  }
  return worst;
}

describe("polar Jacobian", () => {
  it("matches finite differences on a case with taps, a phase shifter and shunts", () => {
    expect(jacobianError(sixBusCase())).to.be.below(1e-7);
  });

  it("matches finite differences on case118 and sampled columns of case1354pegase", function () {
    if (!HAVE_MATPOWER) {
      console.log(`      ${SKIP_REASON}`);
      this.skip();
    }
    expect(jacobianError(loadCase(casePath("case118")))).to.be.below(1e-6);
    // Every 37th unknown: the full 2.5k-column sweep would only repeat the same formulas.
    const sample = (size: number): number[] => Array.from({ length: Math.ceil(size / 37) }, (_, k) => k * 37);
    expect(jacobianError(loadCase(casePath("case1354pegase")), sample)).to.be.below(1e-6);
  });

  it("is structurally symmetric, like Ybus", () => {
    const ic = toInternal(sixBusCase());
    const jac = new PolarJacobian(buildYbus(ic), ic.ref, ic.pq);
    const entries = new Set<string>();
    const { colPtr, rowIdx } = jac.pattern;
    for (let c = 0; c < jac.size; c++) for (let p = colPtr[c]; p < colPtr[c + 1]; p++) entries.add(`${rowIdx[p]},${c}`);
    for (const e of entries) {
      const [r, c] = e.split(",");
      expect(entries.has(`${c},${r}`), `(${c},${r}) mirrors (${r},${c})`).to.equal(true);
    }
  });
});

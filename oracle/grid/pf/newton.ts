/**
 * Newton–Raphson AC power flow in polar coordinates (MATPOWER's newtonpf): sparse Jacobian
 * assembled into a fixed pattern, one symbolic analysis, numeric LU refactorisation per step.
 */
import { PowerFlowNotConvergedError } from "../errors";
import { SparseLU } from "../linalg/lu";
import { toRectangular } from "../network/admittance";
import { PolarJacobian } from "./jacobian";
import { indicator, maxMismatch, type AcSolverInput, type AcSolverOutput } from "./solver";

export function solveNewton(input: AcSolverInput): AcSolverOutput {
  const { ybus, ref, pq, tolerance, maxIterations } = input;
  const nb = ybus.n;
  const vm = Float64Array.from(input.vm0);
  const va = Float64Array.from(input.va0);
  const vRe = new Float64Array(nb);
  const vIm = new Float64Array(nb);
  const iRe = new Float64Array(nb);
  const iIm = new Float64Array(nb);
  const isRef = indicator(nb, ref);
  const isPq = indicator(nb, pq);

  const jac = input.newtonSystem?.jacobian ?? new PolarJacobian(ybus, ref, pq);
  const lu = input.newtonSystem?.lu ?? SparseLU.analyze(jac.pattern, identityOrder(jac.size));
  const f = new Float64Array(jac.size);
  const dx = new Float64Array(jac.size);
  const { angle, magnitude } = jac;

  const layout = { f, angle, magnitude };
  const evaluate = (): number => {
    toRectangular(vm, va, vRe, vIm);
    return maxMismatch(input, vRe, vIm, iRe, iIm, isRef, isPq, layout);
  };

  let mismatch = evaluate();
  let iterations = 0;
  while (!(mismatch < tolerance)) {
    if (iterations >= maxIterations || !Number.isFinite(mismatch)) {
      throw new PowerFlowNotConvergedError(
        "Newton-Raphson",
        iterations,
        mismatch,
        Number.isFinite(mismatch) ? undefined : "the iterates diverged",
      );
    }
    iterations++;
    jac.evaluate(vRe, vIm, vm, iRe, iIm);
    lu.factor(jac.values);
    lu.solve(f, dx);
    for (let i = 0; i < nb; i++) {
      if (angle[i] >= 0) va[i] -= dx[angle[i]];
      if (magnitude[i] >= 0) vm[i] -= dx[magnitude[i]];
      // As MATPOWER does: a step through zero magnitude is the same voltage rotated by π.
      if (vm[i] < 0) {
        vm[i] = -vm[i];
        va[i] += Math.PI;
      }
    }
    mismatch = evaluate();
  }
  return { vm, va, iterations, mismatch };
}

function identityOrder(n: number): Int32Array {
  return Int32Array.from({ length: n }, (_, k) => k);
}

/**
 * Backward/forward sweep for radial feeders, on the full two-port branch model (series
 * impedance, line charging, taps), so it converges to the same solution as Newton's method.
 *
 * For a branch from parent p to child c, with I_c the current entering the branch at c:
 *   forward:  V_c = (I_c - Y_cp·V_p) / Y_cc
 *   backward: I_p = (Y_pp - Y_pc·Y_cp/Y_cc)·V_p + (Y_pc/Y_cc)·I_c
 * and at every bus the branch to the parent carries I_c = -(load current + currents into the
 * child branches). Only the slack bus may hold voltage; other buses are PQ.
 */
import { UnsupportedCaseError, PowerFlowNotConvergedError } from "../errors";
import type { BranchAdmittances } from "../network/admittance";
import { indicator, maxMismatch, type AcSolverInput, type AcSolverOutput } from "./solver";

export interface SweepInput extends AcSolverInput {
  readonly from: Int32Array;
  readonly to: Int32Array;
  readonly admittances: BranchAdmittances;
  /** Bus shunt admittance, per unit. */
  readonly yshRe: Float64Array;
  readonly yshIm: Float64Array;
  /** External bus numbers, for error messages. */
  readonly busIds: Int32Array;
}

export function solveSweep(input: SweepInput): AcSolverOutput {
  const { ybus, ref, pv, pq, from, to, admittances: y, tolerance, maxIterations, busIds } = input;
  const nb = ybus.n;
  if (ref.length !== 1)
    throw new UnsupportedCaseError(`the sweep solver needs exactly one slack bus, found ${ref.length}`);
  if (pv.length > 0) {
    throw new UnsupportedCaseError(
      `the sweep solver handles PQ buses only, but bus ${busIds[pv[0]]} is PV: use --alg nr`,
    );
  }
  const root = ref[0];

  // Spanning tree from the slack bus; any further branch closes a loop.
  const incident: number[][] = Array.from({ length: nb }, () => []);
  for (let l = 0; l < from.length; l++) {
    incident[from[l]].push(l);
    incident[to[l]].push(l);
  }
  const order: number[] = [root];
  const parentBranch = new Int32Array(nb).fill(-1);
  const parent = new Int32Array(nb).fill(-1);
  const seen = new Uint8Array(nb);
  seen[root] = 1;
  for (let head = 0; head < order.length; head++) {
    const b = order[head];
    for (const l of incident[b]) {
      if (l === parentBranch[b]) continue;
      const other = from[l] === b ? to[l] : from[l];
      if (seen[other]) {
        throw new UnsupportedCaseError(
          `the network is meshed (branch ${busIds[from[l]]}-${busIds[to[l]]} closes a loop): the sweep solver needs a radial feeder, use --alg nr`,
        );
      }
      seen[other] = 1;
      parent[other] = b;
      parentBranch[other] = l;
      order.push(other);
    }
  }

  // Per child bus c: E = 1/Y_cc, C = Y_cp/Y_cc, A = Y_pp - Y_pc·C, B = Y_pc/Y_cc.
  const eRe = new Float64Array(nb);
  const eIm = new Float64Array(nb);
  const cRe = new Float64Array(nb);
  const cIm = new Float64Array(nb);
  const aRe = new Float64Array(nb);
  const aIm = new Float64Array(nb);
  const bRe = new Float64Array(nb);
  const bIm = new Float64Array(nb);
  for (const c of order) {
    const l = parentBranch[c];
    if (l < 0) continue;
    const childIsTo = to[l] === c;
    const yccRe = childIsTo ? y.yttRe[l] : y.yffRe[l];
    const yccIm = childIsTo ? y.yttIm[l] : y.yffIm[l];
    const ycpRe = childIsTo ? y.ytfRe[l] : y.yftRe[l];
    const ycpIm = childIsTo ? y.ytfIm[l] : y.yftIm[l];
    const yppRe = childIsTo ? y.yffRe[l] : y.yttRe[l];
    const yppIm = childIsTo ? y.yffIm[l] : y.yttIm[l];
    const ypcRe = childIsTo ? y.yftRe[l] : y.ytfRe[l];
    const ypcIm = childIsTo ? y.yftIm[l] : y.ytfIm[l];
    const d = yccRe * yccRe + yccIm * yccIm;
    eRe[c] = yccRe / d;
    eIm[c] = -yccIm / d;
    cRe[c] = ycpRe * eRe[c] - ycpIm * eIm[c];
    cIm[c] = ycpRe * eIm[c] + ycpIm * eRe[c];
    bRe[c] = ypcRe * eRe[c] - ypcIm * eIm[c];
    bIm[c] = ypcRe * eIm[c] + ypcIm * eRe[c];
    aRe[c] = yppRe - (ypcRe * cRe[c] - ypcIm * cIm[c]);
    aIm[c] = yppIm - (ypcRe * cIm[c] + ypcIm * cRe[c]);
  }

  const vRe = Float64Array.from(input.vm0, (m, i) => m * Math.cos(input.va0[i]));
  const vIm = Float64Array.from(input.vm0, (m, i) => m * Math.sin(input.va0[i]));
  const iRe = new Float64Array(nb);
  const iIm = new Float64Array(nb);
  // Current drawn at each bus by its load and shunt plus its child branches.
  const drawnRe = new Float64Array(nb);
  const drawnIm = new Float64Array(nb);
  const isRef = indicator(nb, ref);
  const isPq = indicator(nb, pq);
  const { sbusRe, sbusIm, yshRe, yshIm } = input;

  let mismatch = maxMismatch(input, vRe, vIm, iRe, iIm, isRef, isPq);
  let iterations = 0;
  while (!(mismatch < tolerance)) {
    if (iterations >= maxIterations || !Number.isFinite(mismatch)) {
      throw new PowerFlowNotConvergedError("backward/forward sweep", iterations, mismatch);
    }
    iterations++;
    for (let i = 0; i < nb; i++) {
      // Load current: Ysh·V - conj(S/V).
      const vr = vRe[i];
      const vi = vIm[i];
      const v2 = vr * vr + vi * vi;
      const sOverVRe = (sbusRe[i] * vr + sbusIm[i] * vi) / v2;
      const sOverVIm = (sbusIm[i] * vr - sbusRe[i] * vi) / v2;
      drawnRe[i] = yshRe[i] * vr - yshIm[i] * vi - sOverVRe;
      drawnIm[i] = yshRe[i] * vi + yshIm[i] * vr + sOverVIm;
    }
    for (let k = order.length - 1; k > 0; k--) {
      const c = order[k];
      const p = parent[c];
      // I_c = -drawn_c; parent draws A·V_p + B·I_c.
      const icRe = -drawnRe[c];
      const icIm = -drawnIm[c];
      drawnRe[p] += aRe[c] * vRe[p] - aIm[c] * vIm[p] + bRe[c] * icRe - bIm[c] * icIm;
      drawnIm[p] += aRe[c] * vIm[p] + aIm[c] * vRe[p] + bRe[c] * icIm + bIm[c] * icRe;
    }
    for (let k = 1; k < order.length; k++) {
      const c = order[k];
      const p = parent[c];
      const icRe = -drawnRe[c];
      const icIm = -drawnIm[c];
      vRe[c] = eRe[c] * icRe - eIm[c] * icIm - (cRe[c] * vRe[p] - cIm[c] * vIm[p]);
      vIm[c] = eRe[c] * icIm + eIm[c] * icRe - (cRe[c] * vIm[p] + cIm[c] * vRe[p]);
    }
    mismatch = maxMismatch(input, vRe, vIm, iRe, iIm, isRef, isPq);
  }
  const vm = Float64Array.from(vRe, (r, i) => Math.hypot(r, vIm[i]));
  const va = Float64Array.from(vRe, (r, i) => Math.atan2(vIm[i], r));
  return { vm, va, iterations, mismatch };
}

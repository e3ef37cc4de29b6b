/**
 * DC power flow (MATPOWER's makeBdc + dcpf): |V| = 1, lossless branches with susceptance
 * 1/(x·tap), phase shifters as fixed injections, one sparse linear solve for the angles.
 */
import { CaseDataError } from "../errors";
import { SparseLU } from "../linalg/lu";
import type { InternalCase } from "../model/internal";

export interface DcSolution {
  /** Bus voltage angles, radians. */
  readonly va: Float64Array;
  /** Active flow at the from end of each in-service branch, per unit (the to end is its negative). */
  readonly pf: Float64Array;
  /** Active injection each reference bus must supply, per unit. */
  readonly refInjection: Float64Array;
  /** Largest |B·θ - P| over non-reference buses, per unit. */
  readonly mismatch: number;
}

export function solveDc(ic: InternalCase, pInjection: Float64Array): DcSolution {
  const nb = ic.buses.count;
  const br = ic.branches;
  const b = new Float64Array(br.count);
  const pfInj = new Float64Array(br.count);
  const pBusInj = new Float64Array(nb);
  for (let l = 0; l < br.count; l++) {
    if (br.x[l] === 0) {
      throw new CaseDataError(
        `branch ${ic.buses.id[br.from[l]]}-${ic.buses.id[br.to[l]]} (row ${br.row[l] + 1}) has zero reactance: the DC model needs x ≠ 0`,
      );
    }
    b[l] = 1 / (br.x[l] * br.tap[l]);
    pfInj[l] = -b[l] * br.shift[l];
    pBusInj[br.from[l]] += pfInj[l];
    pBusInj[br.to[l]] -= pfInj[l];
  }
  // P = injection - phase-shifter injection - shunt conductance at V = 1.
  const p = Float64Array.from(pInjection, (x, i) => x - pBusInj[i] - ic.buses.gs[i] / ic.baseMVA);

  const isRef = new Uint8Array(nb);
  ic.ref.forEach((i) => (isRef[i] = 1));
  const va = Float64Array.from(ic.buses.va0);
  const unknown = new Int32Array(nb).fill(-1);
  let n = 0;
  for (let i = 0; i < nb; i++) if (!isRef[i]) unknown[i] = n++;

  // Reduced B over non-reference buses, in CSC; reference angles move to the right-hand side.
  const entries: number[][] = Array.from({ length: n }, () => []);
  const rhs = new Float64Array(n);
  for (let i = 0; i < nb; i++) if (unknown[i] >= 0) rhs[unknown[i]] = p[i];
  const add = (row: number, colBus: number, value: number): void => {
    if (unknown[row] < 0) return;
    if (unknown[colBus] < 0) rhs[unknown[row]] -= value * va[colBus];
    else entries[unknown[colBus]].push(unknown[row], value);
  };
  for (let l = 0; l < br.count; l++) {
    const f = br.from[l];
    const t = br.to[l];
    add(f, f, b[l]);
    add(t, t, b[l]);
    add(f, t, -b[l]);
    add(t, f, -b[l]);
  }
  const colPtr = new Int32Array(n + 1);
  const merged = entries.map((list) => {
    const m = new Map<number, number>();
    for (let k = 0; k < list.length; k += 2) m.set(list[k], (m.get(list[k]) ?? 0) + list[k + 1]);
    return [...m.entries()].sort((x, y) => x[0] - y[0]);
  });
  merged.forEach((c, j) => (colPtr[j + 1] = colPtr[j] + c.length));
  const rowIdx = new Int32Array(colPtr[n]);
  const values = new Float64Array(colPtr[n]);
  merged.forEach((c, j) =>
    c.forEach(([r, v], k) => {
      rowIdx[colPtr[j] + k] = r;
      values[colPtr[j] + k] = v;
    }),
  );
  const lu = SparseLU.analyze({ n, colPtr, rowIdx });
  lu.factor(values);
  const theta = lu.solve(rhs);
  for (let i = 0; i < nb; i++) if (unknown[i] >= 0) va[i] = theta[unknown[i]];

  const pf = new Float64Array(br.count);
  const netFlow = new Float64Array(nb);
  for (let l = 0; l < br.count; l++) {
    pf[l] = b[l] * (va[br.from[l]] - va[br.to[l]]) + pfInj[l];
    netFlow[br.from[l]] += pf[l] - pfInj[l];
    netFlow[br.to[l]] -= pf[l] - pfInj[l];
  }
  let mismatch = 0;
  const refInjection = new Float64Array(ic.ref.length);
  for (let i = 0; i < nb; i++) if (!isRef[i]) mismatch = Math.max(mismatch, Math.abs(netFlow[i] - p[i]));
  ic.ref.forEach((r, k) => (refInjection[k] = netFlow[r] - p[r]));
  return { va, pf, refInjection, mismatch };
}

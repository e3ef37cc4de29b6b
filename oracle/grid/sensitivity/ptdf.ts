/**
 * DC power-transfer distribution factors (MATPOWER's makePTDF with the slack at the reference
 * bus or buses), on the same B-theta model as the DC power flow in pf/dc.ts: |V| = 1, lossless
 * branches with susceptance 1/(x·tap); phase shifts and shunts are constant injections and drop
 * out of the sensitivities. Monitored flow = pf (= (pf − pt)/2, the DC flow being lossless).
 *
 * With Bred the susceptance matrix over non-reference buses and Bf the branch–angle matrix,
 * PTDF = Bf·Bred⁻¹; row l is found from one solve Bredᵀ·y = Bf(l, :)ᵀ.
 */
import { CaseDataError } from "../errors";
import type { PowerCase } from "../case/types";
import { BUS } from "../case/columns";
import { SparseLU } from "../linalg/lu";
import { toInternal } from "../model/internal";
import { checkBranchRows, internalBranchOfRow, type FlowSensitivities } from "./ac";

/** DC PTDF (MATPOWER makePTDF with slack at the reference bus), same shape; no operating point needed. */
export function dcFlowSensitivities(c: PowerCase, branchRows: readonly number[]): FlowSensitivities {
  const rows = checkBranchRows(c, branchRows);
  const ic = toInternal(c);
  const nb = ic.buses.count;
  const nbExt = c.bus.length;
  const br = ic.branches;

  // Susceptances, as pf/dc.ts computes them (same check for a zero reactance).
  const b = new Float64Array(br.count);
  for (let l = 0; l < br.count; l++) {
    if (br.x[l] === 0) {
      throw new CaseDataError(
        `branch ${ic.buses.id[br.from[l]]}-${ic.buses.id[br.to[l]]} (row ${br.row[l] + 1}) has zero reactance: the DC model needs x ≠ 0`,
      );
    }
    b[l] = 1 / (br.x[l] * br.tap[l]);
  }

  const isRef = new Uint8Array(nb);
  ic.ref.forEach((i) => (isRef[i] = 1));
  const unknown = new Int32Array(nb).fill(-1);
  let n = 0;
  for (let i = 0; i < nb; i++) if (!isRef[i]) unknown[i] = n++;

  // Reduced B in CSC: column pattern = the unknown itself plus its non-reference neighbours.
  const neighbours: number[][] = Array.from({ length: n }, (_, k) => [k]);
  for (let l = 0; l < br.count; l++) {
    const uf = unknown[br.from[l]];
    const ut = unknown[br.to[l]];
    if (uf >= 0 && ut >= 0 && uf !== ut) {
      neighbours[uf].push(ut);
      neighbours[ut].push(uf);
    }
  }
  const colPtr = new Int32Array(n + 1);
  const cols = neighbours.map((list) => Int32Array.from(new Set(list)).sort());
  cols.forEach((list, j) => (colPtr[j + 1] = colPtr[j] + list.length));
  const rowIdx = new Int32Array(colPtr[n]);
  cols.forEach((list, j) => rowIdx.set(list, colPtr[j]));
  const values = new Float64Array(colPtr[n]);
  const position = (i: number, j: number): number => {
    for (let p = colPtr[j]; p < colPtr[j + 1]; p++) if (rowIdx[p] === i) return p;
    throw new Error(`B pattern misses (${i}, ${j})`);
  };
  for (let l = 0; l < br.count; l++) {
    const uf = unknown[br.from[l]];
    const ut = unknown[br.to[l]];
    if (uf >= 0) values[position(uf, uf)] += b[l];
    if (ut >= 0) values[position(ut, ut)] += b[l];
    if (uf >= 0 && ut >= 0) {
      values[position(uf, ut)] -= b[l];
      values[position(ut, uf)] -= b[l];
    }
  }
  const lu = SparseLU.analyze({ n, colPtr, rowIdx });
  lu.factor(values);

  const unknownOfRow = new Int32Array(nbExt).fill(-1);
  for (let r = 0; r < nbExt; r++) {
    const i = ic.busIndexOfRow[r];
    if (i >= 0) unknownOfRow[r] = unknown[i];
  }
  const branchOfRow = internalBranchOfRow(c, ic);
  const rhs = new Float64Array(n);
  const sol = new Float64Array(n);
  const matrix = rows.map((row) => {
    const out = new Float64Array(nbExt);
    const l = branchOfRow[row];
    if (l < 0) return out;
    const uf = unknown[br.from[l]];
    const ut = unknown[br.to[l]];
    if (uf < 0 && ut < 0) return out;
    if (uf >= 0) rhs[uf] += b[l];
    if (ut >= 0) rhs[ut] -= b[l];
    lu.solveTransposed(rhs, sol);
    if (uf >= 0) rhs[uf] = 0;
    if (ut >= 0) rhs[ut] = 0;
    for (let r = 0; r < nbExt; r++) {
      const u = unknownOfRow[r];
      if (u >= 0) out[r] = sol[u];
    }
    return out;
  });
  return { branchRows: rows, busIds: c.bus.map((row) => row[BUS.BUS_I]), matrix, method: "dc" };
}

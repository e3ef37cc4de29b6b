/**
 * The DC network model (MATPOWER's makeBdc), built once and shared by the DC power flow and the
 * DC sensitivities (PTDF): |V| = 1, lossless branches with susceptance b = 1/(x·tap), phase
 * shifters as fixed injections. The susceptance matrix is reduced to the non-reference buses
 * (reference angles are fixed) and factorised once.
 */
import { CaseDataError } from "../errors";
import { SparseLU } from "../linalg/lu";
import type { InternalCase } from "../model/internal";

export interface DcNetwork {
  /** Susceptance of each internal branch, per unit. */
  readonly b: Float64Array;
  /** Active flow a phase shift drives into each branch at its from end, per unit (−b·shift). */
  readonly shiftFlow: Float64Array;
  /** Index of each internal bus among the unknown angles (non-reference buses), −1 for reference buses. */
  readonly unknown: Int32Array;
  /** Reference buses (their angles are fixed). */
  readonly ref: Int32Array;
  /** The reduced susceptance matrix over the unknown angles, factorised. */
  readonly lu: SparseLU;
  readonly size: number;
}

export function makeBdc(index: InternalCase, ref: Int32Array = index.ref): DcNetwork {
  const nb = index.buses.count;
  const br = index.branches;
  const nl = br.count;
  const b = new Float64Array(nl);
  const shiftFlow = new Float64Array(nl);
  for (let l = 0; l < nl; l++) {
    if (br.x[l] === 0) {
      throw new CaseDataError(
        `branch ${index.buses.id[br.from[l]]}-${index.buses.id[br.to[l]]} (row ${br.row[l] + 1}) has zero reactance: the DC model needs x ≠ 0`,
      );
    }
    b[l] = 1 / (br.x[l] * br.tap[l]);
    shiftFlow[l] = -b[l] * br.shift[l];
  }

  const unknown = new Int32Array(nb).fill(-1);
  const isRef = new Uint8Array(nb);
  for (let k = 0; k < ref.length; k++) isRef[ref[k]] = 1;
  let n = 0;
  for (let i = 0; i < nb; i++) if (!isRef[i]) unknown[i] = n++;

  // Reduced B in CSC by counting passes: column j holds its diagonal and one entry per branch to
  // another unknown (parallel branches give repeated rows, merged below).
  const count = new Int32Array(n + 1);
  for (let j = 0; j < n; j++) count[j + 1] = 1;
  for (let l = 0; l < nl; l++) {
    const uf = unknown[br.from[l]];
    const ut = unknown[br.to[l]];
    if (uf >= 0 && ut >= 0 && uf !== ut) {
      count[uf + 1]++;
      count[ut + 1]++;
    }
  }
  for (let j = 0; j < n; j++) count[j + 1] += count[j];
  const rawRows = new Int32Array(count[n]);
  const rawValues = new Float64Array(count[n]);
  const next = count.slice(0, n);
  for (let j = 0; j < n; j++) rawRows[next[j]++] = j;
  const diagonal = new Float64Array(n);
  for (let l = 0; l < nl; l++) {
    const uf = unknown[br.from[l]];
    const ut = unknown[br.to[l]];
    if (uf >= 0) diagonal[uf] += b[l];
    if (ut >= 0) diagonal[ut] += b[l];
    if (uf >= 0 && ut >= 0 && uf !== ut) {
      rawRows[next[uf]] = ut;
      rawValues[next[uf]++] = -b[l];
      rawRows[next[ut]] = uf;
      rawValues[next[ut]++] = -b[l];
    }
  }
  for (let j = 0; j < n; j++) rawValues[count[j]] = diagonal[j];
  const { colPtr, rowIdx, values } = mergeDuplicates(n, count, rawRows, rawValues);
  const lu = SparseLU.analyze({ n, colPtr, rowIdx });
  lu.factor(values);
  return { b, shiftFlow, unknown, ref, lu, size: n };
}

/**
 * Sorts each column's rows and adds up repeated ones (parallel branches), in typed arrays: a
 * marker per row records where in the current column that row was first stored.
 */
function mergeDuplicates(
  n: number,
  colPtr: Int32Array,
  rows: Int32Array,
  values: Float64Array,
): { colPtr: Int32Array; rowIdx: Int32Array; values: Float64Array } {
  const where = new Int32Array(n).fill(-1);
  const outPtr = new Int32Array(n + 1);
  const outRows = new Int32Array(rows.length);
  const outValues = new Float64Array(rows.length);
  let q = 0;
  for (let j = 0; j < n; j++) {
    const start = q;
    for (let p = colPtr[j]; p < colPtr[j + 1]; p++) {
      const i = rows[p];
      if (where[i] >= start) {
        outValues[where[i]] += values[p];
      } else {
        where[i] = q;
        outRows[q] = i;
        outValues[q++] = values[p];
      }
    }
    // Columns hold a handful of entries: an insertion sort keeps rows ascending without a comparator sort.
    for (let a = start + 1; a < q; a++) {
      const r = outRows[a];
      const v = outValues[a];
      let c = a - 1;
      while (c >= start && outRows[c] > r) {
        outRows[c + 1] = outRows[c];
        outValues[c + 1] = outValues[c];
        c--;
      }
      outRows[c + 1] = r;
      outValues[c + 1] = v;
    }
    outPtr[j + 1] = q;
  }
  return { colPtr: outPtr, rowIdx: outRows.slice(0, q), values: outValues.slice(0, q) };
}

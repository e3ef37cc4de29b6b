import type { OperationData } from "./operation";

/**
 * A power-flow case as the user wrote it: MATPOWER case format version 2, external bus
 * numbers, rows in file order. Units are MATPOWER's: MW, MVAr, p.u., degrees, MVA.
 */
export interface PowerCase {
  /** Case name (the function name in a .m file, or "name" in JSON). */
  readonly name: string;
  /** System MVA base. */
  readonly baseMVA: number;
  /** Bus matrix, at least 13 columns (see `BUS`). */
  readonly bus: readonly (readonly number[])[];
  /** Generator matrix, at least 10 columns (see `GEN`). */
  readonly gen: readonly (readonly number[])[];
  /** Branch matrix, at least 11 columns (see `BRANCH`). */
  readonly branch: readonly (readonly number[])[];
  /** Generator cost matrix (optional; used by the redispatch, not by the power flow). */
  readonly gencost?: readonly (readonly number[])[];
  /** Optional bus names, one per bus row. */
  readonly busNames?: readonly string[];
  /** Operating limits and redispatch offers (JSON `"operation"`); not used by the power flow. */
  readonly operation?: OperationData;
}

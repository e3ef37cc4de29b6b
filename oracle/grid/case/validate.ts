/**
 * The checks every case passes before any solver sees it, whichever file it came from.
 */
import { CaseDataError } from "../errors";
import {
  BRANCH,
  BRANCH_MIN_COLUMNS,
  BUS,
  BUS_MIN_COLUMNS,
  BUS_TYPE_NONE,
  BUS_TYPE_PQ,
  GEN,
  GEN_MIN_COLUMNS,
} from "./columns";
import type { PowerCase } from "./types";

const MATRICES = [
  { field: "bus", minColumns: BUS_MIN_COLUMNS },
  { field: "gen", minColumns: GEN_MIN_COLUMNS },
  { field: "branch", minColumns: BRANCH_MIN_COLUMNS },
] as const;

/**
 * Structural checks every case passes before indexing: matrix shapes, finite numbers where
 * the power flow needs them, unique positive bus numbers, and references to existing buses.
 */
export function validateCase(c: PowerCase, file = "<case>"): PowerCase {
  const where = (m: string, r: number, col?: number): string =>
    `${m} row ${r + 1}${col === undefined ? "" : `, column ${col + 1}`}`;
  const fail = (problem: string): never => {
    throw new CaseDataError(problem, file);
  };
  if (!Number.isFinite(c.baseMVA) || c.baseMVA <= 0) fail(`baseMVA must be positive, got ${c.baseMVA}`);
  // Plain loops: this runs on every load, over every cell of the largest cases.
  for (const { field, minColumns } of MATRICES) {
    const m = c[field];
    if (field !== "gen" && m.length === 0) fail(`the ${field} matrix is empty`);
    for (let r = 0; r < m.length; r++) {
      const row = m[r];
      if (row.length < minColumns) {
        fail(`${where(field, r)}: has ${row.length} columns, at least ${minColumns} required`);
      }
      for (let col = 0; col < row.length; col++) {
        if (Number.isNaN(row[col])) fail(`${where(field, r, col)}: value is NaN`);
      }
    }
  }
  const finite = (m: "bus" | "gen" | "branch", cols: readonly number[]): void => {
    const rows = c[m];
    for (let r = 0; r < rows.length; r++) {
      for (const col of cols) {
        const x = rows[r][col];
        if (!Number.isFinite(x)) fail(`${where(m, r, col)}: must be a finite number, got ${x}`);
      }
    }
  };
  finite("bus", [BUS.BUS_I, BUS.BUS_TYPE, BUS.PD, BUS.QD, BUS.GS, BUS.BS, BUS.VM, BUS.VA]);
  finite("gen", [GEN.GEN_BUS, GEN.PG, GEN.QG, GEN.VG, GEN.GEN_STATUS]);
  finite("branch", [
    BRANCH.F_BUS,
    BRANCH.T_BUS,
    BRANCH.BR_R,
    BRANCH.BR_X,
    BRANCH.BR_B,
    BRANCH.TAP,
    BRANCH.SHIFT,
    BRANCH.BR_STATUS,
  ]);

  const busRowById = new Map<number, number>();
  for (let r = 0; r < c.bus.length; r++) {
    const row = c.bus[r];
    const id = row[BUS.BUS_I];
    if (!Number.isInteger(id) || id <= 0)
      fail(`${where("bus", r, BUS.BUS_I)}: bus number ${id} is not a positive integer`);
    const first = busRowById.get(id);
    if (first !== undefined)
      fail(`${where("bus", r, BUS.BUS_I)}: bus number ${id} is repeated (first at row ${first + 1})`);
    busRowById.set(id, r);
    const type = row[BUS.BUS_TYPE];
    if (!Number.isInteger(type) || type < BUS_TYPE_PQ || type > BUS_TYPE_NONE) {
      fail(`${where("bus", r, BUS.BUS_TYPE)}: bus type ${type} is not 1 (PQ), 2 (PV), 3 (ref) or 4 (isolated)`);
    }
  }
  for (let r = 0; r < c.gen.length; r++) {
    const row = c.gen[r];
    if (!busRowById.has(row[GEN.GEN_BUS]))
      fail(`${where("gen", r, GEN.GEN_BUS)}: generator at unknown bus ${row[GEN.GEN_BUS]}`);
  }
  for (let r = 0; r < c.branch.length; r++) {
    const row = c.branch[r];
    for (const col of [BRANCH.F_BUS, BRANCH.T_BUS]) {
      if (!busRowById.has(row[col])) {
        fail(`${where("branch", r, col)}: branch ${col === BRANCH.F_BUS ? "from" : "to"} unknown bus ${row[col]}`);
      }
    }
    if (row[BRANCH.BR_STATUS] !== 0 && row[BRANCH.BR_R] === 0 && row[BRANCH.BR_X] === 0) {
      fail(
        `${where("branch", r)}: branch ${row[BRANCH.F_BUS]}-${row[BRANCH.T_BUS]} has zero impedance (r = x = 0); merge its buses or give it a small reactance`,
      );
    }
  }
  if (c.busNames !== undefined && c.busNames.length !== c.bus.length) {
    fail(`bus_name has ${c.busNames.length} entries for ${c.bus.length} buses`);
  }
  return c;
}

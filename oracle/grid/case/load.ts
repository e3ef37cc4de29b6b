/**
 * Reading cases: MATPOWER version-2 `.m` files and the same data as JSON. Both end in
 * `validateCase`, so a case from either source meets the same checks before any solver sees it.
 */
import { readFileSync } from "node:fs";
import { basename, extname } from "node:path";
import { CaseDataError, CaseFormatError } from "../errors";
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
import { runMatlabProgram, type Value } from "./matlab";
import { parseOperation } from "./operation";
import type { PowerCase } from "./types";

const MATRICES = [
  { field: "bus", minColumns: BUS_MIN_COLUMNS },
  { field: "gen", minColumns: GEN_MIN_COLUMNS },
  { field: "branch", minColumns: BRANCH_MIN_COLUMNS },
] as const;

/** Reads a case from a `.m` (MATPOWER) or `.json` file. */
export function loadCase(path: string): PowerCase {
  let text: string;
  try {
    text = readFileSync(path, "utf8");
  } catch (e) {
    throw new CaseFormatError(`cannot read case file: ${(e as NodeJS.ErrnoException).code ?? String(e)}`, path);
  }
  // A UTF-8 byte-order mark (left by some Windows editors) is not part of the text.
  if (text.charCodeAt(0) === 0xfeff) text = text.slice(1);
  const ext = extname(path).toLowerCase();
  if (ext === ".m") return parseMatpowerCase(text, path);
  if (ext === ".json") return parseJsonCase(text, path);
  throw new CaseFormatError(`unknown case file type '${ext || "(none)"}': expected .m or .json`, path);
}

/** Parses the text of a MATPOWER case file (format version 2). */
export function parseMatpowerCase(source: string, file = "<case>"): PowerCase {
  const program = runMatlabProgram(source, file);
  const outName = program.outputName ?? "mpc";
  const mpc = program.variables.get(outName);
  if (!mpc || mpc.kind !== "struct") {
    throw new CaseFormatError(`no case struct '${outName}' is defined`, file);
  }
  const field = (name: string): Value | undefined => mpc.fields.get(name);
  const version = field("version");
  const versionText =
    version?.kind === "string" ? version.value : version?.kind === "matrix" ? String(version.data[0]) : undefined;
  if (versionText === undefined)
    throw new CaseFormatError(`${outName}.version is missing (format version 2 expected)`, file);
  if (versionText !== "2") {
    throw new CaseFormatError(`case format version '${versionText}' is not supported: convert it to version 2`, file);
  }
  const baseMVA = field("baseMVA");
  if (baseMVA?.kind !== "matrix" || baseMVA.data.length !== 1) {
    throw new CaseFormatError(`${outName}.baseMVA is missing or not a scalar`, file);
  }
  const toRows = (name: string, required: boolean): number[][] | undefined => {
    const v = field(name);
    if (v === undefined) {
      if (required) throw new CaseFormatError(`${outName}.${name} is missing`, file);
      return undefined;
    }
    if (v.kind !== "matrix") throw new CaseFormatError(`${outName}.${name} is not a numeric matrix`, file);
    const rows: number[][] = [];
    for (let r = 0; r < v.rows; r++) rows.push(v.data.slice(r * v.cols, (r + 1) * v.cols));
    return rows;
  };
  let busNames: string[] | undefined;
  const names = field("bus_name");
  if (names !== undefined) {
    if (names.kind !== "cell" || names.items.some((x) => x.kind !== "string")) {
      throw new CaseFormatError(`${outName}.bus_name must be a cell array of strings`, file);
    }
    busNames = names.items.map((x) => (x.kind === "string" ? x.value : ""));
  }
  return validateCase(
    {
      name: program.functionName ?? basename(file, extname(file)),
      baseMVA: baseMVA.data[0],
      bus: toRows("bus", true) as number[][],
      gen: toRows("gen", true) as number[][],
      branch: toRows("branch", true) as number[][],
      gencost: toRows("gencost", false),
      busNames,
    },
    file,
  );
}

/**
 * Parses a case as JSON: `{ "name"?, "baseMVA", "bus", "gen", "branch", "gencost"?, "bus_name"?, "operation"? }`
 * with the same matrices (arrays of rows) and units as the MATPOWER format.
 */
export function parseJsonCase(text: string, file = "<case>"): PowerCase {
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch (e) {
    throw new CaseFormatError(`invalid JSON: ${(e as Error).message}`, file);
  }
  if (typeof doc !== "object" || doc === null || Array.isArray(doc)) {
    throw new CaseFormatError("a JSON case must be an object", file);
  }
  const obj = doc as Record<string, unknown>;
  if (obj.bus === undefined && obj.gen === undefined && obj.branch === undefined) {
    const keys = Object.keys(obj).slice(0, 6).join(", ");
    throw new CaseFormatError(
      `not a MATPOWER case (no mpc.bus, mpc.gen or mpc.branch; its keys: ${keys || "none"})`,
      file,
    );
  }
  if (obj.version !== undefined && String(obj.version) !== "2") {
    throw new CaseFormatError(
      `case format version '${String(obj.version)}' is not supported: convert it to version 2`,
      file,
    );
  }
  if (typeof obj.baseMVA !== "number") throw new CaseFormatError("baseMVA is missing or not a number", file);
  const rows = (name: string, required: boolean): number[][] | undefined => {
    const v = obj[name];
    if (v === undefined) {
      if (required) throw new CaseFormatError(`matrix '${name}' is missing`, file);
      return undefined;
    }
    if (!Array.isArray(v)) throw new CaseFormatError(`'${name}' must be an array of rows`, file);
    // MATLAB JSON encoders write a one-row matrix as a flat vector.
    const matrixRows: unknown[] = v.length > 0 && v.every((x) => !Array.isArray(x)) ? [v] : v;
    return matrixRows.map((row, r) => {
      if (!Array.isArray(row)) throw new CaseFormatError(`${name} row ${r + 1} is not an array`, file);
      return row.map((cell, c) => {
        // JSON has no Inf: accept MATPOWER's unbounded limits written as strings.
        if (cell === "Inf" || cell === "inf") return Infinity;
        if (cell === "-Inf" || cell === "-inf") return -Infinity;
        if (typeof cell !== "number") {
          throw new CaseFormatError(
            `${name} row ${r + 1}, column ${c + 1}: non-numeric cell ${JSON.stringify(cell)}`,
            file,
          );
        }
        return cell;
      });
    });
  };
  const busNames = obj.bus_name;
  if (busNames !== undefined && (!Array.isArray(busNames) || busNames.some((x) => typeof x !== "string"))) {
    throw new CaseFormatError("bus_name must be an array of strings", file);
  }
  const c = validateCase(
    {
      name: typeof obj.name === "string" ? obj.name : basename(file, extname(file)),
      baseMVA: obj.baseMVA,
      bus: rows("bus", true) as number[][],
      gen: rows("gen", true) as number[][],
      branch: rows("branch", true) as number[][],
      gencost: rows("gencost", false),
      busNames: busNames as string[] | undefined,
    },
    file,
  );
  return obj.operation === undefined ? c : { ...c, operation: parseOperation(obj.operation, c, file) };
}

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

/**
 * Cases as JSON: the MATPOWER matrices as arrays of rows, in MATPOWER's units, with optional
 * operation data (operation.ts).
 */
import { basename, extname } from "node:path";
import { CaseFormatError } from "../errors";
import { parseOperation } from "./operation";
import type { PowerCase } from "./types";
import { validateCase } from "./validate";

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

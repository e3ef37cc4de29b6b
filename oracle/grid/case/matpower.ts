/**
 * The MATPOWER case struct (format version 2) out of a case file's variables: the file runs in
 * the MATLAB-subset interpreter (matlab/), then its output struct (`mpc`) must hold a version,
 * baseMVA and the bus, gen and branch matrices (gencost and bus_name optional).
 */
import { basename, extname } from "node:path";
import { CaseFormatError } from "../errors";
import { runMatlabProgram, type Value } from "./matlab";
import type { PowerCase } from "./types";
import { validateCase } from "./validate";

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

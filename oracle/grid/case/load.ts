/**
 * Reading cases: MATPOWER version-2 `.m` files (matpower.ts, on the interpreter in matlab/) and
 * the same data as JSON (json.ts). Both end in `validateCase` (validate.ts), so a case from
 * either source meets the same checks before any solver sees it. Every problem is an InputError
 * (CaseFormatError, CaseDataError) that names the file.
 */
import { readFileSync } from "node:fs";
import { extname } from "node:path";
import { CaseFormatError } from "../errors";
import { parseJsonCase } from "./json";
import { parseMatpowerCase } from "./matpower";
import type { PowerCase } from "./types";

export { parseJsonCase } from "./json";
export { parseMatpowerCase } from "./matpower";
export { validateCase } from "./validate";

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

/**
 * A small interpreter for the subset of MATLAB that MATPOWER case files are written in.
 *
 * Most case files are pure data (`mpc.bus = [ ... ];`). Some, such as the distribution cases
 * MATPOWER ships in kW and ohms, end with statements that convert the data
 * (`mpc.bus(:, [PD, QD]) = mpc.bus(:, [PD, QD]) / 1e3;`). A loader that skipped those would
 * return numbers off by a factor of a thousand without a word, so we evaluate them with MATLAB's
 * own semantics: numeric matrices, indexing with `:`/vectors/`end`, element-wise and scalar
 * arithmetic, the `idx_*` column-name functions and a few pure built-ins. Anything outside that
 * subset (control flow, other functions, logical indexing) is refused with the file and line,
 * never guessed. No general-purpose MATLAB parser exists on npm, hence this hand-written one.
 *
 *   numbers.ts     the grammar of names and numbers (one reader for every number)
 *   literal.ts     the fast path for plain blocks of numbers — a case file's data
 *   tokens.ts      the tokenizer
 *   interpreter.ts statements and expressions, evaluated as they are parsed
 *   operations.ts  what values do: arithmetic, ranges, concatenation, indexing, built-ins
 *   values.ts      matrices, strings, cells, structs
 */
import { Interpreter } from "./interpreter";
import { tokenize } from "./tokens";
import type { Value } from "./values";

export type { CellValue, MatrixValue, StringValue, StructValue, Value } from "./values";

export interface MatlabProgramResult {
  /** Name after `function out = NAME`, if any. */
  functionName?: string;
  /** Name of the function's output variable (`mpc` in `function mpc = case9`). */
  outputName?: string;
  variables: Map<string, Value>;
}

/** Runs a MATLAB-subset program (a MATPOWER case file) and returns its variables. */
export function runMatlabProgram(source: string, file: string): MatlabProgramResult {
  const interpreter = new Interpreter(tokenize(source, file), file);
  interpreter.run();
  return {
    functionName: interpreter.functionName,
    outputName: interpreter.outputName,
    variables: interpreter.variables,
  };
}

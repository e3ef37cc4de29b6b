/**
 * Errors of the grid core. Every error has a short message that names the problem; details travel
 * as typed fields so callers (CLI, oracle agent) can act on them.
 *
 *   InputError (oracle/errors.ts: bad input, in any layer)
 *   ├── CaseFormatError      a case file that cannot be read (file and line)
 *   └── CaseDataError        case data that was read but makes no sense (file, row, column)
 *   GridError                a computation on a valid case that cannot be done
 *   ├── UnsupportedCaseError, SingularMatrixError, PowerFlowNotConvergedError
 *   └── LpSolveError (oracle/market/lp.ts)
 */
import { InputError } from "../errors";

export { InputError } from "../errors";

export class GridError extends Error {
  constructor(message: string) {
    super(message);
    this.name = new.target.name;
  }
}

/** A case file that cannot be read: syntax, unsupported statements, missing matrices. */
export class CaseFormatError extends InputError {
  constructor(problem: string, file?: string, line?: number) {
    super(problem, { source: file, line });
  }

  /** The case file (the error's `source`). */
  get file(): string | undefined {
    return this.source;
  }
}

/** Case data that was read but makes no physical or structural sense; `file` when it came from one. */
export class CaseDataError extends InputError {
  constructor(problem: string, file?: string) {
    super(problem, { source: file });
  }
}

/** The requested algorithm cannot solve this case (e.g. a sweep on a meshed network). */
export class UnsupportedCaseError extends GridError {}

/** A sparse factorisation met a (numerically) singular matrix. */
export class SingularMatrixError extends GridError {
  constructor(
    message: string,
    readonly column: number,
  ) {
    super(message);
  }
}

/** A power flow that did not converge. Never returned as a result. */
export class PowerFlowNotConvergedError extends GridError {
  constructor(
    readonly algorithm: string,
    readonly iterations: number,
    /** Largest |P or Q mismatch| at the last iterate, per unit. */
    readonly mismatch: number,
    reason?: string,
  ) {
    super(
      `${algorithm} power flow did not converge after ${iterations} iterations ` +
        `(max mismatch ${mismatch.toExponential(3)} p.u.)${reason ? `: ${reason}` : ""}`,
    );
  }
}

/**
 * The one error class every layer shares (oracle/grid up to oracle/agents may import this file):
 * input that cannot be used — a case file, operation data, a forecast, a load profile, a meter
 * reading. It names where the input came from and what is wrong with it. The same input fails
 * the same way every time, so an agent stops on it with one line instead of retrying; each layer
 * adds its own errors beside it (oracle/grid/errors.ts, oracle/chain/errors.ts).
 */
export interface InputOrigin {
  /** Where the input came from: a file, "forecast", a URL. */
  readonly source?: string;
  /** The 1-based line in `source`, when the input is text. */
  readonly line?: number;
}

export class InputError extends Error {
  readonly source?: string;
  readonly line?: number;
  /** What is wrong, without the source. */
  readonly problem: string;

  constructor(problem: string, origin: InputOrigin = {}, options?: { cause?: unknown }) {
    const where =
      origin.source === undefined ? "" : `${origin.source}${origin.line === undefined ? "" : `:${origin.line}`}: `;
    super(`${where}${problem}`, options);
    this.name = new.target.name;
    this.source = origin.source;
    this.line = origin.line;
    this.problem = problem;
  }
}

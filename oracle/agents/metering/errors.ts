/**
 * Errors of the metering layer, each of one of the classes every layer shares (oracle/errors.ts,
 * oracle/chain/errors.ts), so that callers — an agent's loop above all — tell them apart by class:
 *
 *   InputError (oracle/errors.ts)
 *   └── MeterDataError                meter data that cannot be used: the same data fails the same way
 *       ├── MeterFormatError          (MALFORMED_READING)
 *       ├── DuplicateReadingError     (DUPLICATE_READING)
 *       └── ReadingSignatureError     (MISSING_SIGNATURE, BAD_SIGNATURE, FOREIGN_SIGNATURE)
 *   TransportError (oracle/chain/errors.ts)
 *   └── MeterSourceUnavailableError   (SOURCE_UNAVAILABLE) no answer from a source: a retry may cure it
 *   ConfigurationError (oracle/chain/errors.ts)
 *   └── MeterSourceRefusedError       (SOURCE_REFUSED) an endpoint refuses the request (HTTP 4xx):
 *                                     a wrong URL or credentials, the same answer every time
 *
 * Each has a `code` the caller can switch on and a message that names where the data came from
 * (`file:line`, the URL, the meter and period). Sources throw only the two source errors; a
 * malformed record is a RejectedRecord and a reading that fails a check makes its own meter-period
 * bad (screenReadings), so these errors never stop the measurement of other meters.
 */
import { InputError } from "../../errors";
import { ConfigurationError, TransportError } from "../../chain/errors";

export type MeterErrorCode =
  | "MALFORMED_READING"
  | "SOURCE_UNAVAILABLE"
  | "SOURCE_REFUSED"
  | "DUPLICATE_READING"
  | "MISSING_SIGNATURE"
  | "BAD_SIGNATURE"
  | "FOREIGN_SIGNATURE";

/** Meter data that cannot be used (bad input: an agent stops on it instead of retrying). */
export class MeterDataError extends InputError {
  constructor(
    readonly code: Exclude<MeterErrorCode, "SOURCE_UNAVAILABLE" | "SOURCE_REFUSED">,
    problem: string,
    /** Where the data came from: "dir/readings.csv:12", "http://host/readings readings[3]". */
    readonly origin: string | undefined,
    /** Whether the message starts with `origin`; false when `problem` names every origin itself. */
    originFirst = true,
  ) {
    super(problem, { source: originFirst ? origin : undefined });
  }
}

/** Data that cannot be read as meter readings: syntax, unknown field, bad number, bad word. */
export class MeterFormatError extends MeterDataError {
  constructor(origin: string, problem: string) {
    super("MALFORMED_READING", problem, origin);
  }
}

/**
 * A source that gave no answer: file system error, unreachable endpoint, timeout, HTTP error
 * status. A transport failure: the same source may answer on the next attempt.
 */
export class MeterSourceUnavailableError extends TransportError {
  readonly code = "SOURCE_UNAVAILABLE";

  constructor(
    /** The source: a file or directory, a URL. */
    readonly origin: string,
    /** What went wrong, without the source. */
    readonly problem: string,
    options?: { cause?: unknown },
  ) {
    super(`${origin}: ${problem}`, options);
  }
}

/**
 * An HTTP endpoint that answers the request with a 4xx status other than 408 and 429 (not found,
 * unauthorised, forbidden, bad request): the URL or the credentials are wrong, and asking again
 * gets the same answer.
 */
export class MeterSourceRefusedError extends ConfigurationError {
  readonly code = "SOURCE_REFUSED";

  constructor(
    /** The endpoint's URL. */
    readonly origin: string,
    /** The answer, without the URL: "HTTP 404 Not Found". */
    readonly problem: string,
  ) {
    super(`${origin}: ${problem}`);
  }
}

/** True for what a meter source throws: it gave no answer, or refused the request. */
export function isMeterSourceError(e: unknown): e is MeterSourceUnavailableError | MeterSourceRefusedError {
  return e instanceof MeterSourceUnavailableError || e instanceof MeterSourceRefusedError;
}

/** More than one reading of one (meter, period) in a set that must hold one (readingsHash). */
export class DuplicateReadingError extends MeterDataError {
  constructor(
    readonly meter: string,
    readonly period: number,
    readonly origins: readonly string[],
  ) {
    super(
      "DUPLICATE_READING",
      `meter ${meter}, period ${period}: read more than once (${origins.join(", ")})`,
      origins[0],
      false,
    );
  }
}

export type SignatureProblem = "missing" | "bad" | "foreign";

/** A reading whose EIP-712 signature is required but absent, malformed, or not by its meter key. */
export class ReadingSignatureError extends MeterDataError {
  constructor(
    /** What is wrong with the signature (`problem` is the whole problem in words). */
    readonly kind: SignatureProblem,
    readonly meter: string,
    readonly period: number,
    origin: string,
    /** The problem in words, without origin, meter and period: "the reading is not signed". */
    readonly detail: string,
    /** For a foreign signature: the key that did sign. */
    readonly signer?: string,
  ) {
    super(
      kind === "missing" ? "MISSING_SIGNATURE" : kind === "bad" ? "BAD_SIGNATURE" : "FOREIGN_SIGNATURE",
      `meter ${meter}, period ${period}: ${detail}`,
      origin,
    );
  }
}

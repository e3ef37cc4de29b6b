/**
 * Errors of the metering layer: a MeterDataError with a `code` the caller can switch on and a
 * message that names where the data came from (`file:line`, the URL, the meter and period).
 * Sources throw only MeterSourceUnavailableError; a malformed record is a RejectedRecord and a
 * reading that fails a check makes its own meter-period bad (screenReadings), so these errors
 * never stop the measurement of other meters.
 *
 * Messages of source failures that a retry may cure (unreachable endpoint, timeout, HTTP 5xx/429)
 * carry the words oracle/chain/retry.ts treats as transient ("unreachable", "timeout", "ECONNREFUSED",
 * "HTTP 503" …); malformed data never does.
 */
export type MeterErrorCode =
  | "MALFORMED_READING"
  | "SOURCE_UNAVAILABLE"
  | "DUPLICATE_READING"
  | "MISSING_SIGNATURE"
  | "BAD_SIGNATURE"
  | "FOREIGN_SIGNATURE";

export class MeterDataError extends Error {
  constructor(
    readonly code: MeterErrorCode,
    message: string,
    /** Where the data came from: "dir/readings.csv:12", "http://host/readings readings[3]". */
    readonly origin?: string,
  ) {
    super(message);
    this.name = new.target.name;
  }
}

/** Data that cannot be read as meter readings: syntax, unknown field, bad number, bad word. */
export class MeterFormatError extends MeterDataError {
  constructor(
    origin: string,
    readonly problem: string,
  ) {
    super("MALFORMED_READING", `${origin}: ${problem}`, origin);
  }
}

/** A source that gave no answer: file system error, unreachable endpoint, timeout, HTTP error status. */
export class MeterSourceUnavailableError extends MeterDataError {
  constructor(
    origin: string,
    readonly problem: string,
  ) {
    super("SOURCE_UNAVAILABLE", `${origin}: ${problem}`, origin);
  }
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
    );
  }
}

export type SignatureProblem = "missing" | "bad" | "foreign";

/** A reading whose EIP-712 signature is required but absent, malformed, or not by its meter key. */
export class ReadingSignatureError extends MeterDataError {
  constructor(
    readonly problem: SignatureProblem,
    readonly meter: string,
    readonly period: number,
    origin: string,
    /** The problem in words, without origin, meter and period: "the reading is not signed". */
    readonly detail: string,
    /** For a foreign signature: the key that did sign. */
    readonly signer?: string,
  ) {
    super(
      problem === "missing" ? "MISSING_SIGNATURE" : problem === "bad" ? "BAD_SIGNATURE" : "FOREIGN_SIGNATURE",
      `${origin}: meter ${meter}, period ${period}: ${detail}`,
      origin,
    );
  }
}

/**
 * Errors of the metering layer. Every problem with meter data is a MeterDataError with a `code`
 * the caller can switch on and a message that names where the data came from (`file:line`, the
 * URL, the meter and period), so the centre makes no report rather than a wrong one.
 *
 * Messages of source failures that a retry may cure (unreachable endpoint, timeout, HTTP 5xx/429)
 * carry the words oracle/chain/retry.ts treats as transient ("unreachable", "timeout", "ECONNREFUSED",
 * "HTTP 503" …); malformed data never does.
 */
export type MeterErrorCode =
  | "MALFORMED_READING"
  | "SOURCE_UNAVAILABLE"
  | "UNKNOWN_METER"
  | "AMBIGUOUS_METER"
  | "FUTURE_PERIOD"
  | "EARLY_READING"
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

/** A reading by a meter key that is not in the meter → generator map (not bound in the registry). */
export class UnknownMeterError extends MeterDataError {
  constructor(
    readonly meter: string,
    readonly period: number,
    origin: string,
  ) {
    super("UNKNOWN_METER", `${origin}: meter ${meter} (period ${period}) is not bound to any generator`, origin);
  }
}

/** Two meter keys bound to one generator: its delivery would be measured twice. */
export class AmbiguousMeterError extends MeterDataError {
  constructor(
    readonly generator: string,
    readonly meters: readonly string[],
  ) {
    super("AMBIGUOUS_METER", `generator ${generator} has more than one meter: ${meters.join(", ")}`);
  }
}

/** A reading for a period that has not ended at the chain's time. */
export class FuturePeriodError extends MeterDataError {
  constructor(
    readonly meter: string,
    readonly period: number,
    /** Chain time, Unix s. */
    readonly now: number,
    /** End of the period, Unix s. */
    readonly periodEnd: number,
    origin: string,
  ) {
    super(
      "FUTURE_PERIOD",
      `${origin}: meter ${meter}: period ${period} has not ended at chain time ${now} (it ends at ${periodEnd})`,
      origin,
    );
  }
}

/** A reading taken (by its own timestamp) before its period ended: a partial reading. */
export class EarlyReadingError extends MeterDataError {
  constructor(
    readonly meter: string,
    readonly period: number,
    /** The reading's timestamp, Unix s. */
    readonly timestamp: number,
    /** End of the period, Unix s. */
    readonly periodEnd: number,
    origin: string,
  ) {
    super(
      "EARLY_READING",
      `${origin}: meter ${meter}: reading for period ${period} was taken at ${timestamp}, before the period ended at ${periodEnd}`,
      origin,
    );
  }
}

/** More than one reading of one (meter, period), in one source or across sources. */
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
    detail: string,
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

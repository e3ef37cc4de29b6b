/**
 * Meter readings in, measured deliveries out. Pure types and enum mappings (no ethers), shared by
 * the sources, the validation, the signatures and the baseline arithmetic. See docs/metering.md.
 *
 * Quantities (OpenADR 3 report payload types):
 *   USAGE       ↔ actualWh    — metered output over the period, Wh (signed: + = export)
 *   BASELINE    ↔ baselineWh  — what the unit would have produced without the trade, Wh
 *   DELTA_USAGE ↔ deliveredWh — actualWh − baselineWh, Wh (+ = output raised)
 */
import { BaselineMethod as ChainBaselineMethod, Quality } from "../../chain/enums";

/** OpenADR 3 DATA_QUALITY. */
export type ReadingQuality = "OK" | "MISSING" | "ESTIMATED" | "BAD";
/** The qualities a reading that exists can carry: a MISSING reading is simply absent. */
export type MeasuredQuality = Exclude<ReadingQuality, "MISSING">;

export const READING_QUALITIES: readonly ReadingQuality[] = ["OK", "MISSING", "ESTIMATED", "BAD"];

/** Severity order, worst last: BAD > MISSING > ESTIMATED > OK. */
const QUALITY_RANK: Readonly<Record<ReadingQuality, number>> = { OK: 0, ESTIMATED: 1, MISSING: 2, BAD: 3 };

/** The worst of the qualities given (OK when none). */
export function worstQuality(...qualities: readonly ReadingQuality[]): ReadingQuality {
  let worst: ReadingQuality = "OK";
  for (const q of qualities) if (QUALITY_RANK[q] > QUALITY_RANK[worst]) worst = q;
  return worst;
}

/** One meter's reading of one delivery period. */
export interface MeterReading {
  /** Meter key address (EIP-55 checksummed), as bound to its generator in the registry. */
  readonly meter: string;
  /** Delivery period: ⌊Unix time / periodSeconds⌋. */
  readonly period: number;
  /** Metered output over the period, Wh (integer, signed: + = export, − = import). */
  readonly energyWh: bigint;
  readonly quality: MeasuredQuality;
  /** When the meter took the reading, Unix s (at or after the period's end). */
  readonly timestamp: number;
  /** EIP-712 MeterReading(meter, generator, period, actualWh, quality, readAt) signature by the meter key, 65 bytes hex. */
  readonly signature?: string;
  /** Where it came from, for messages: "readings/2024-01-15.csv:12", "http://host/readings readings[3]". */
  readonly origin: string;
}

export interface ReadingQuery {
  /** Meter key addresses wanted; all meters the source has when omitted. */
  readonly meters?: readonly string[];
  /** Periods wanted; all periods the source has when omitted. */
  readonly periods?: readonly number[];
}

/**
 * A record a source could not read as a reading: a malformed line, object or field, or a whole
 * file or answer. A source reports it rather than throwing, so one bad record never hides the
 * others (docs/metering.md, "Isolation").
 */
export interface RejectedRecord {
  /** Where: "readings/2024-01-15.csv:12", "http://host/readings readings[3]", or a whole file or answer. */
  readonly origin: string;
  /** What is wrong, in words. */
  readonly problem: string;
  /** The meter the record names (EIP-55 checksummed), when it names a valid address, even if other fields are bad. */
  readonly meter?: string;
  /** The period the record names, when it names a valid one, even if other fields are bad. */
  readonly period?: number;
}

/** What one read of a source found: the readings it could read, and the records it could not. */
export interface ReadingBatch {
  readonly readings: MeterReading[];
  readonly rejected: RejectedRecord[];
}

export interface MeterSource {
  readonly description: string;
  /**
   * The readings available now for these meters and periods (missing ones are simply absent),
   * and the records that could not be read. Throws only when the source cannot be read at all:
   * MeterSourceUnavailableError (missing folder, HTTP 5xx/timeout/unreachable) or
   * MeterSourceRefusedError (HTTP 4xx: a wrong URL or credentials); a malformed
   * record or file is a RejectedRecord, never a throw. Sources return what they find: duplicates,
   * unknown meters and signatures are for screenReadings.
   */
  read(query?: ReadingQuery): Promise<ReadingBatch>;
}

/** The batches of several sources (or several reads) as one. */
export function mergeBatches(batches: readonly ReadingBatch[]): ReadingBatch {
  return { readings: batches.flatMap((b) => b.readings), rejected: batches.flatMap((b) => b.rejected) };
}

/**
 * A (meter, period) whose data cannot be used: its measurement is BAD, for these reasons
 * (docs/metering.md, "Isolation"). Keyed by meterPeriodKey.
 */
export interface BadMeterPeriod {
  /** EIP-55 checksummed. */
  readonly meter: string;
  readonly period: number;
  readonly reasons: readonly string[];
}

/** The key of a (meter, period) in maps of bad meter-periods: `${meter.toLowerCase()}:${period}`. */
export function meterPeriodKey(meter: string, period: number): string {
  return `${meter.toLowerCase()}:${period}`;
}

/** How the baseline is found (the on-chain enum BaselineMethod, same names and order). */
export type BaselineMethod = "Nominated" | "RollingAverage" | "MeterBefore";

/** One generator's measured delivery in one period: the on-chain Measurement, plus how it was found. */
export interface Measurement {
  readonly generator: string;
  readonly period: number;
  readonly method: BaselineMethod;
  /** RollingAverage: the N working days of the method (1–10), even when fewer had readings; else 0. */
  readonly baselineDays: number;
  /** Wh; 0 when the quality is MISSING. */
  readonly baselineWh: bigint;
  /** Wh; 0 when the quality is MISSING. */
  readonly actualWh: bigint;
  /** actualWh − baselineWh, Wh (+ = output raised); 0 when the quality is MISSING. */
  readonly deliveredWh: bigint;
  readonly quality: ReadingQuality;
  /** The periods whose readings (or nominations) made the baseline. */
  readonly baselinePeriods: readonly number[];
  /** Why the quality is not OK, for logs; empty when OK. */
  readonly notes: readonly string[];
}

/** The on-chain ordinal of each quality (IGridOracle.Quality, defined once in oracle/chain/enums.ts). */
export const QUALITY_CODE: Readonly<Record<ReadingQuality, number>> = {
  OK: Quality.Ok,
  MISSING: Quality.Missing,
  ESTIMATED: Quality.Estimated,
  BAD: Quality.Bad,
};
/** The on-chain ordinal of each baseline method (IGridOracle.BaselineMethod, oracle/chain/enums.ts). */
export const BASELINE_METHOD_CODE: Readonly<Record<BaselineMethod, number>> = {
  Nominated: ChainBaselineMethod.Nominated,
  RollingAverage: ChainBaselineMethod.RollingAverage,
  MeterBefore: ChainBaselineMethod.MeterBefore,
};

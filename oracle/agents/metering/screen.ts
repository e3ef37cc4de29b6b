/**
 * Screening: what a source found → what a measurement may use, per (meter, period), so that one
 * meter's bad data spoils only that meter's measurement of that period (docs/metering.md,
 * "Isolation"; the validation–estimation–editing of a utility's meter data management).
 *
 *   usable   at most one reading per (meter, period) of a registered meter and an ended period
 *            that passed every check — a meter-quality BAD reading included (it is a measurement
 *            of quality BAD)
 *   bad      (meter, period) pairs whose data cannot be used, with the reasons: a malformed record
 *            naming them, two different readings, a reading taken early, an implausible or
 *            out-of-range energy, an unsigned (when required), invalid or foreign signature
 *   ignored  records that belong to no registered meter, to no period, or to a period not yet
 *            ended: logged, not used
 *
 * Pure but for the signature checks (ethers' EIP-712 recovery); never throws for data, only for a
 * caller's mistake (a period length or a meter map that is not one).
 */
import type { TypedDataDomain } from "ethers";
import { byOrigin, differentReadingsReason, distinctReadings } from "./distinct";
import { ReadingSignatureError } from "./errors";
import { checksumAddress } from "./records";
import { verifyReadingSignature } from "./signed";
import { meterPeriodKey, type BadMeterPeriod, type MeterReading, type ReadingBatch } from "./types";
import { checkPeriodSeconds, fitsInt64, PERIOD_MAX } from "./units";

/** How far above its capacity over a period a unit's reading may be before it is implausible, %. */
export const PLAUSIBILITY_MARGIN_PERCENT = 10;

export interface ScreenContext {
  /** Meter key → generator, as bound in the registry (addresses in any case). */
  readonly generatorOf: ReadonlyMap<string, string>;
  /**
   * A generator's registered capacity over one period, Wh (capacityWhPerPeriod of the registry's
   * capacityW); undefined, or a generator it returns undefined for: no plausibility check.
   */
  readonly capacityWhOf?: (generator: string) => bigint | undefined;
  /** Chain time, Unix s (the latest block's timestamp). */
  readonly now: number;
  /** Period length, s (read from the oracle contract). */
  readonly periodSeconds: number;
  /**
   * Signature checks under `domain` (the GridOracle's, from readEip712Domain): every signature
   * present must verify; with `required`, an unsigned reading is bad too. Omitted: none checked.
   */
  readonly signatures?: { readonly domain: TypedDataDomain; readonly required: boolean };
}

/** A record that is logged, not used. */
export interface IgnoredRecord {
  readonly origin: string;
  readonly reason: string;
}

export interface ScreenedReadings {
  /** At most one per (meter, period); every check passed. Sorted by meter, then period. */
  readonly usable: MeterReading[];
  /** (meter, period) pairs whose data cannot be used: that measurement is BAD, for these reasons. Key: meterPeriodKey. */
  readonly bad: ReadonlyMap<string, BadMeterPeriod>;
  /** Records that belong to no registered meter, or to a period not yet ended: logged, not used. In origin order. */
  readonly ignored: readonly IgnoredRecord[];
}

/**
 * Meter → generator with checksummed addresses. RangeError for a non-address, and for two meters
 * bound to one generator (the registry binds one meter key to each generator, and back).
 */
export function checksummedMeterMap(generatorOf: ReadonlyMap<string, string>): Map<string, string> {
  const map = new Map<string, string>();
  const meterOf = new Map<string, string>();
  const address = (a: string, what: string): string => {
    const checksummed = checksumAddress(a);
    if (checksummed === undefined) throw new RangeError(`meter map: ${what} "${a}" is not an address`);
    return checksummed;
  };
  for (const [m, g] of generatorOf) {
    const [meter, generator] = [address(m, "meter"), address(g, "generator")];
    const other = meterOf.get(generator);
    if (other !== undefined && other !== meter) {
      throw new RangeError(
        `meter map: generator ${generator} has two meters (${other}, ${meter}); the registry binds one`,
      );
    }
    map.set(meter, generator);
    meterOf.set(generator, meter);
  }
  return map;
}

/** Sorts a batch into usable readings, bad meter-periods and ignored records (see the module comment). */
export function screenReadings(batch: ReadingBatch, context: ScreenContext): ScreenedReadings {
  const periodSeconds = checkPeriodSeconds(context.periodSeconds);
  const generatorOf = checksummedMeterMap(context.generatorOf);
  const { now } = context;
  const ignored: IgnoredRecord[] = [];
  const bad = new Map<string, { meter: string; period: number; reasons: string[] }>();
  const markBad = (meter: string, period: number, reason: string): void => {
    const key = meterPeriodKey(meter, period);
    const entry = bad.get(key) ?? { meter, period, reasons: [] };
    entry.reasons.push(reason);
    bad.set(key, entry);
  };

  /** Why a record of this meter and period is not screened at all, or undefined when it is. */
  const notScreened = (meter: string, period: number): string | undefined => {
    if (!generatorOf.has(meter)) return `meter ${meter} is not bound to any generator`;
    const end = (period + 1) * periodSeconds;
    if (end > now) return `not yet ended: period ${period} ends at ${end}, after chain time ${now}`;
    return undefined;
  };

  // Records the sources could not read: bad for the meter-period they name, if they name one.
  for (const r of [...batch.rejected].sort(byOrigin)) {
    const malformed = `malformed: ${r.problem}`;
    const meter = r.meter === undefined ? undefined : checksumAddress(r.meter);
    const period = r.period !== undefined && isPeriod(r.period) ? r.period : undefined;
    if (meter === undefined) ignored.push({ origin: r.origin, reason: `${malformed} (it names no meter)` });
    else if (!generatorOf.has(meter)) {
      ignored.push({ origin: r.origin, reason: `${malformed} (meter ${meter} is not bound to any generator)` });
    } else if (period === undefined) {
      ignored.push({ origin: r.origin, reason: `${malformed} (meter ${meter}, but it names no period)` });
    } else {
      const why = notScreened(meter, period);
      if (why !== undefined) ignored.push({ origin: r.origin, reason: `${malformed} (${why})` });
      else markBad(meter, period, `${malformed} (${r.origin})`);
    }
  }

  // Readings of registered meters and ended periods, one distinct reading per meter-period.
  const screened: MeterReading[] = [];
  for (const r of batch.readings) {
    const meter = checksumAddress(r.meter);
    const why =
      meter === undefined
        ? `meter "${r.meter}" is not an address`
        : !isPeriod(r.period)
          ? `period ${r.period} is not a period (0 to 2³²−1)`
          : notScreened(meter, r.period);
    if (why !== undefined) ignored.push({ origin: r.origin, reason: why });
    else screened.push({ ...r, meter: meter as string });
  }
  const usable: MeterReading[] = [];
  for (const [key, readings] of distinctReadings(screened)) {
    const { meter, period } = readings[0];
    if (readings.length > 1) markBad(meter, period, differentReadingsReason(readings));
    const generator = generatorOf.get(meter) as string;
    for (const r of readings)
      for (const reason of readingProblems(r, generator, periodSeconds, context)) markBad(meter, period, reason);
    if (!bad.has(key)) usable.push(readings[0]);
  }
  usable.sort((a, b) => {
    const [x, y] = [a.meter.toLowerCase(), b.meter.toLowerCase()];
    return x < y ? -1 : x > y ? 1 : a.period - b.period;
  });
  ignored.sort(byOrigin);
  return { usable, bad, ignored };
}

function isPeriod(period: number): boolean {
  return Number.isSafeInteger(period) && period >= 0 && period <= PERIOD_MAX;
}

/** What makes one reading of a registered meter and an ended period unusable, each reason naming its origin. */
function readingProblems(r: MeterReading, generator: string, periodSeconds: number, context: ScreenContext): string[] {
  const at = `(${r.origin})`;
  if (!fitsInt64(r.energyWh)) return [`out of range: ${r.energyWh} Wh does not fit an int64 ${at}`];
  const problems: string[] = [];
  const end = (r.period + 1) * periodSeconds;
  if (r.timestamp < end) problems.push(`early: read at ${r.timestamp}, before the period ended at ${end} ${at}`);
  const capacityWh = context.capacityWhOf?.(generator);
  const magnitude = r.energyWh < 0n ? -r.energyWh : r.energyWh;
  const margin = BigInt(100 + PLAUSIBILITY_MARGIN_PERCENT);
  if (capacityWh !== undefined && magnitude * 100n > capacityWh * margin) {
    problems.push(
      `implausible: ${r.energyWh} Wh from a unit of capacity ${capacityWh} Wh per period, ` +
        `more than ${PLAUSIBILITY_MARGIN_PERCENT} % above it ${at}`,
    );
  }
  const signatures = context.signatures;
  if (signatures && r.signature === undefined && signatures.required) problems.push(`unsigned ${at}`);
  if (signatures && r.signature !== undefined) {
    try {
      verifyReadingSignature(r, generator, signatures.domain);
    } catch (e) {
      if (!(e instanceof ReadingSignatureError)) throw e;
      problems.push(`${e.kind === "foreign" ? "foreign signature" : "bad signature"}: ${e.detail} ${at}`);
    }
  }
  return problems;
}

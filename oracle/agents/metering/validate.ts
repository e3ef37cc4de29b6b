/**
 * The reading set a report is made from, checked before the report: every reading must be by a
 * meter bound to a generator, for a period that has ended at the chain's time, taken (by its own
 * timestamp) after its period ended, read once across all sources, and — when signatures are
 * required — signed by its meter key. Any problem means no report rather than a wrong one.
 */
import { getAddress, type TypedDataDomain } from "ethers";
import {
  AmbiguousMeterError,
  DuplicateReadingError,
  EarlyReadingError,
  FuturePeriodError,
  MeterDataError,
  UnknownMeterError,
} from "./errors";
import { checksumAddress, meterAddress } from "./records";
import { verifyReadingSignature } from "./signed";
import type { MeterReading } from "./types";
import { checkPeriodSeconds } from "./units";

export interface ReadingSetContext {
  /** Meter key → generator, as bound in the registry (addresses in any case). */
  readonly generatorOf: ReadonlyMap<string, string>;
  /** Chain time, Unix s (the latest block's timestamp). */
  readonly now: number;
  /** Period length, s (read from the oracle contract). */
  readonly periodSeconds: number;
  /**
   * Signature checks: with `domain` (the GridOracle's, from readEip712Domain) every signature
   * present is verified; with `required` an unsigned reading is a problem too. Omitted: no checks.
   */
  readonly signatures?: { readonly domain: TypedDataDomain; readonly required: boolean };
}

/** Meter → generator with checksummed addresses; RangeError for a non-address. */
export function checksummedMeterMap(generatorOf: ReadonlyMap<string, string>): Map<string, string> {
  const map = new Map<string, string>();
  for (const [meter, generator] of generatorOf) {
    const address = (a: string, what: string): string => {
      const checksummed = checksumAddress(a);
      if (checksummed === undefined) throw new RangeError(`meter map: ${what} "${a}" is not an address`);
      return checksummed;
    };
    map.set(address(meter, "meter"), address(generator, "generator"));
  }
  return map;
}

/** Every problem of the reading set, in a fixed order (by meter, then period); empty when it is sound. */
export function readingProblems(readings: readonly MeterReading[], context: ReadingSetContext): MeterDataError[] {
  const periodSeconds = checkPeriodSeconds(context.periodSeconds);
  const generatorOf = checksummedMeterMap(context.generatorOf);
  const problems: MeterDataError[] = [];

  const metersOf = new Map<string, string[]>();
  for (const [meter, generator] of generatorOf) metersOf.set(generator, [...(metersOf.get(generator) ?? []), meter]);
  for (const [generator, meters] of metersOf) {
    if (meters.length > 1) problems.push(new AmbiguousMeterError(generator, meters));
  }

  const groups = new Map<string, MeterReading[]>();
  for (const r of readings) {
    let meter: string;
    try {
      meter = meterAddress(r);
    } catch (e) {
      if (!(e instanceof MeterDataError)) throw e;
      problems.push(e);
      continue;
    }
    const key = `${meter.toLowerCase()}:${String(r.period).padStart(10, "0")}`;
    groups.set(key, [...(groups.get(key) ?? []), r]);
  }
  for (const key of [...groups.keys()].sort()) {
    // Within a (meter, period), by origin: the same problems in the same order whatever the sources' order.
    const group = (groups.get(key) as MeterReading[]).sort((a, b) =>
      a.origin < b.origin ? -1 : a.origin > b.origin ? 1 : 0,
    );
    const meter = getAddress(group[0].meter);
    const period = group[0].period;
    if (group.length > 1) {
      problems.push(
        new DuplicateReadingError(
          meter,
          period,
          group.map((r) => r.origin),
        ),
      );
    }
    for (const r of group) {
      const periodEnd = (period + 1) * periodSeconds;
      const generator = generatorOf.get(meter);
      if (generator === undefined) problems.push(new UnknownMeterError(meter, period, r.origin));
      if (periodEnd > context.now)
        problems.push(new FuturePeriodError(meter, period, context.now, periodEnd, r.origin));
      else if (r.timestamp < periodEnd) {
        problems.push(new EarlyReadingError(meter, period, r.timestamp, periodEnd, r.origin));
      }
      const signatures = context.signatures;
      if (generator !== undefined && signatures && (r.signature !== undefined || signatures.required)) {
        try {
          verifyReadingSignature(r, generator, signatures.domain);
        } catch (e) {
          if (!(e instanceof MeterDataError)) throw e;
          problems.push(e);
        }
      }
    }
  }
  return problems;
}

/**
 * Throws the first problem of the reading set (see readingProblems for all of them), a
 * MeterDataError subclass: UnknownMeterError, AmbiguousMeterError, FuturePeriodError,
 * EarlyReadingError, DuplicateReadingError or ReadingSignatureError.
 */
export function validateReadings(readings: readonly MeterReading[], context: ReadingSetContext): void {
  const [first, ...others] = readingProblems(readings, context);
  if (first === undefined) return;
  if (others.length > 0) first.message += ` (and ${others.length} more problem${others.length > 1 ? "s" : ""})`;
  throw first;
}

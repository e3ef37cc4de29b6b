/**
 * Baselines and delivered energy (pure: no ethers, no I/O). For a generator and a delivery period:
 *
 *   baselineWh   what the unit would have produced without the trade, by one of three methods:
 *     Nominated       the generator's own nomination for the period, fixed by its first fill before
 *                     gate closure (the market's book holds it) — bounded by its metered history:
 *                     kept within ± toleranceWh of its reading of the period before, when given
 *     RollingAverage  the mean of its readings in the same period-of-day on the previous N working days
 *                     (default 5, as NODES; Mon–Fri in UTC minus the holidays given)
 *     MeterBefore     its reading of the period just before
 *   actualWh     its reading of the period
 *   deliveredWh  actualWh − baselineWh   (+ = output raised, − = lowered)
 *
 * Quality: the worst of the inputs' (BAD > MISSING > ESTIMATED > OK), where an absent actual
 * reading, an absent MeterBefore reading, an absent nomination or a rolling average with no
 * reading at all count as MISSING, and a rolling average over fewer than N days counts as
 * ESTIMATED. When the actual or the baseline is absent nothing is measured: all three energies
 * are 0 (so the on-chain identity delivered = actual − baseline still holds).
 *
 * Bad meter-periods (screenReadings: data that cannot be used): a delivery whose own period is bad
 * is BAD with nothing measured, its notes the reasons; a bad baseline reading counts as absent.
 */
import { differentReadingsReason, distinctReadings } from "./distinct";
import type { BadMeterPeriod, Measurement, MeterReading, ReadingQuality } from "./types";
import { worstQuality } from "./types";
import { divRound, fitsInt64, periodsPerDay, PERIOD_MAX, SECONDS_PER_DAY } from "./units";

export const DEFAULT_ROLLING_DAYS = 5;
export const MAX_ROLLING_DAYS = 10;

export type BaselineSpec =
  | {
      readonly method: "Nominated";
      /** The generator's nomination for the period, Wh (its book's; undefined: none known). */
      readonly nominatedWh: bigint | undefined;
      /**
       * The history bound: the baseline is the nomination clamped to its reading of the period
       * before ± this, Wh (docs/metering.md, "Nominations"); omitted: the nomination as it is.
       */
      readonly toleranceWh?: bigint;
    }
  | {
      readonly method: "RollingAverage";
      /** N working days, 1–10 (default 5). */
      readonly days?: number;
      /** Non-working days besides Saturdays and Sundays, UTC dates "YYYY-MM-DD". */
      readonly holidays?: readonly string[];
    }
  | { readonly method: "MeterBefore" };

/** One meter's readings by period. */
export type ReadingSeries = ReadonlyMap<number, Pick<MeterReading, "energyWh" | "quality">>;

const MS_PER_DAY = SECONDS_PER_DAY * 1000;

/** UTC day number (days since 1970-01-01) of a "YYYY-MM-DD" date; RangeError unless a real date. */
export function utcDayNumber(date: string): number {
  const m = /^(\d{4})-(\d{2})-(\d{2})$/.exec(date);
  if (m) {
    const [year, month, day] = [Number(m[1]), Number(m[2]), Number(m[3])];
    const ms = Date.UTC(year, month - 1, day);
    const d = new Date(ms);
    if (d.getUTCFullYear() === year && d.getUTCMonth() === month - 1 && d.getUTCDate() === day) return ms / MS_PER_DAY;
  }
  throw new RangeError(`holiday "${date}" is not a date (YYYY-MM-DD)`);
}

/** Monday to Friday, in UTC; day 0 (1970-01-01) was a Thursday. */
export function isWeekday(day: number): boolean {
  const weekday = (((day + 4) % 7) + 7) % 7; // 0 = Sunday … 6 = Saturday
  return weekday >= 1 && weekday <= 5;
}

/** The `count` working days before `day` (most recent first); fewer only when the calendar starts (day 0). */
export function workingDaysBefore(day: number, count: number, holidays: ReadonlySet<number> = new Set()): number[] {
  const days: number[] = [];
  for (let d = day - 1; d >= 0 && days.length < count; d--) if (isWeekday(d) && !holidays.has(d)) days.push(d);
  return days;
}

function checkPeriod(period: number, what = "period"): void {
  if (!Number.isSafeInteger(period) || period < 0 || period > PERIOD_MAX) {
    throw new RangeError(`${what} must be a whole number in [0, 2³²−1], got ${period}`);
  }
}

function rollingDays(spec: Extract<BaselineSpec, { method: "RollingAverage" }>): number {
  const days = spec.days ?? DEFAULT_ROLLING_DAYS;
  if (!Number.isInteger(days) || days < 1 || days > MAX_ROLLING_DAYS) {
    throw new RangeError(`RollingAverage takes 1 to ${MAX_ROLLING_DAYS} working days, got ${spec.days}`);
  }
  return days;
}

/** The periods whose readings (or nomination) make the baseline of `period`, most recent first. */
export function baselinePeriods(spec: BaselineSpec, period: number, periodSeconds: number): number[] {
  checkPeriod(period);
  switch (spec.method) {
    case "Nominated":
      return spec.toleranceWh !== undefined && period > 0 ? [period - 1] : [];
    case "MeterBefore":
      return period > 0 ? [period - 1] : [];
    case "RollingAverage": {
      const perDay = periodsPerDay(periodSeconds);
      const days = rollingDays(spec);
      const holidays = new Set((spec.holidays ?? []).map(utcDayNumber));
      const [day, slot] = [Math.floor(period / perDay), period % perDay];
      return workingDaysBefore(day, days, holidays).map((d) => d * perDay + slot);
    }
  }
}

/** The periods to read for measuring `period`: the period itself and its baseline's meter periods. */
export function readingPeriods(spec: BaselineSpec, period: number, periodSeconds: number): number[] {
  return [period, ...baselinePeriods(spec, period, periodSeconds)];
}

interface Baseline {
  readonly wh?: bigint;
  readonly quality: ReadingQuality;
  readonly periods: readonly number[];
  readonly days: number;
  readonly notes: readonly string[];
}

function baselineOf(spec: BaselineSpec, period: number, periodSeconds: number, readings: ReadingSeries): Baseline {
  const periods = baselinePeriods(spec, period, periodSeconds);
  switch (spec.method) {
    case "Nominated": {
      const wh = spec.nominatedWh;
      if (wh === undefined)
        return { quality: "MISSING", periods: [], days: 0, notes: [`no nomination for period ${period}`] };
      if (spec.toleranceWh === undefined) return { wh, quality: "OK", periods: [period], days: 0, notes: [] };
      if (spec.toleranceWh < 0n) throw new RangeError(`nomination tolerance must be ≥ 0 Wh, got ${spec.toleranceWh}`);
      const before = periods.length > 0 ? readings.get(periods[0]) : undefined;
      if (before === undefined) {
        const note = `nomination ${wh} Wh not checked: no reading for period ${period - 1} (before)`;
        return { wh, quality: "OK", periods: [period], days: 0, notes: [note] };
      }
      const [low, high] = [before.energyWh - spec.toleranceWh, before.energyWh + spec.toleranceWh];
      const bounded = wh < low ? low : wh > high ? high : wh;
      const notes =
        bounded === wh
          ? []
          : [
              `nomination ${wh} Wh is more than ${spec.toleranceWh} Wh from the ${before.energyWh} Wh metered in ` +
                `period ${period - 1}: baseline ${bounded} Wh`,
            ];
      return { wh: bounded, quality: "OK", periods: [period, ...periods], days: 0, notes };
    }
    case "MeterBefore": {
      const before = periods.length > 0 ? readings.get(periods[0]) : undefined;
      if (before === undefined) {
        return { quality: "MISSING", periods: [], days: 0, notes: [`no reading for period ${period - 1} (before)`] };
      }
      return { wh: before.energyWh, quality: before.quality, periods, days: 0, notes: qualityNotes(periods, [before]) };
    }
    case "RollingAverage": {
      const days = rollingDays(spec);
      const present = periods.filter((p) => readings.has(p));
      const used = present.map((p) => readings.get(p) as Pick<MeterReading, "energyWh" | "quality">);
      if (used.length === 0) {
        return {
          quality: "MISSING",
          periods: [],
          days,
          notes: [`no reading in the same period of the ${days} working days before (periods ${periods.join(", ")})`],
        };
      }
      const notes = qualityNotes(present, used);
      let quality = worstQuality(...used.map((r) => r.quality));
      if (used.length < days) {
        quality = worstQuality(quality, "ESTIMATED");
        const absent = periods.filter((p) => !readings.has(p));
        notes.push(`rolling average over ${used.length} of ${days} working days (no reading for ${absent.join(", ")})`);
      }
      const sum = used.reduce((s, r) => s + r.energyWh, 0n);
      return { wh: divRound(sum, BigInt(used.length)), quality, periods: present, days, notes };
    }
  }
}

function qualityNotes(
  periods: readonly number[],
  readings: readonly Pick<MeterReading, "quality">[],
  what = "baseline reading",
): string[] {
  return readings.flatMap((r, i) => (r.quality === "OK" ? [] : [`${what} for period ${periods[i]} is ${r.quality}`]));
}

/**
 * Measures one generator's delivery in `period` from its meter's readings. `bad`: the periods whose
 * data cannot be used (period → reasons): the delivery's own period bad → BAD, nothing measured;
 * a bad baseline period → that reading counts as absent.
 */
export function measureDelivery(input: {
  readonly generator: string;
  readonly period: number;
  readonly periodSeconds: number;
  readonly readings: ReadingSeries;
  readonly bad?: ReadonlyMap<number, readonly string[]>;
  readonly baseline: BaselineSpec;
}): Measurement {
  const { generator, period, periodSeconds, baseline: spec } = input;
  const bad = input.bad ?? new Map<number, readonly string[]>();
  const ownReasons = bad.get(period);
  if (ownReasons !== undefined) {
    return nothingMeasured(input, "BAD", [...ownReasons]);
  }
  const badBaseline = baselinePeriods(spec, period, periodSeconds).filter((p) => bad.has(p));
  let readings = input.readings;
  if (badBaseline.length > 0) {
    const usable = new Map(readings);
    for (const p of badBaseline) usable.delete(p);
    readings = usable;
  }
  const baseline = baselineOf(spec, period, periodSeconds, readings);
  const actual = readings.get(period);
  const notes = [
    ...(actual === undefined ? [`no reading for period ${period}`] : qualityNotes([period], [actual], "reading")),
    ...badBaseline.map(
      (p) => `baseline reading for period ${p} is bad, counted as absent: ${(bad.get(p) ?? []).join("; ")}`,
    ),
    ...baseline.notes,
  ];
  const actualQuality: ReadingQuality = actual?.quality ?? "MISSING";
  const quality = worstQuality(actualQuality, baseline.quality);
  // Nothing is measured unless both sides are known: then every energy is 0.
  const [actualWh, baselineWh] =
    actual !== undefined && baseline.wh !== undefined ? [actual.energyWh, baseline.wh] : [0n, 0n];
  const deliveredWh = actualWh - baselineWh;
  // The chain holds int64s: a value beyond them cannot be reported (and is no real delivery).
  if (![actualWh, baselineWh, deliveredWh].every(fitsInt64)) {
    const note = `delivered ${deliveredWh} Wh (${actualWh} − ${baselineWh}) does not fit an int64`;
    return nothingMeasured(input, "BAD", [note, ...notes]);
  }
  return {
    generator,
    period,
    method: spec.method,
    baselineDays: baseline.days,
    baselineWh,
    actualWh,
    deliveredWh,
    quality,
    baselinePeriods: baseline.periods,
    notes,
  };
}

/** A measurement with nothing measured: every energy 0, no baseline periods. */
function nothingMeasured(
  input: { readonly generator: string; readonly period: number; readonly baseline: BaselineSpec },
  quality: ReadingQuality,
  notes: string[],
): Measurement {
  const spec = input.baseline;
  return {
    generator: input.generator,
    period: input.period,
    method: spec.method,
    baselineDays: spec.method === "RollingAverage" ? rollingDays(spec) : 0,
    baselineWh: 0n,
    actualWh: 0n,
    deliveredWh: 0n,
    quality,
    baselinePeriods: [],
    notes,
  };
}

/** A delivery to measure: whose, which period, against which baseline. */
export interface DeliveryToMeasure {
  readonly generator: string;
  readonly period: number;
  readonly baseline: BaselineSpec;
}

/**
 * Measures deliveries from screened readings (screenReadings): each generator's readings are
 * those of the meter bound to it in `generatorOf` (meter → generator, addresses compared
 * case-insensitively; the registry binds one meter to a generator — a map with two is a
 * RangeError); readings of meters not in the map are not used. `bad` (screenReadings' map of bad
 * meter-periods) makes a delivery in a bad period BAD and a bad baseline reading absent. Readings
 * that were not screened are made one per (meter, period) here too: identical copies count once,
 * different ones make their meter-period bad.
 */
export function measureDeliveries(input: {
  readonly readings: readonly MeterReading[];
  readonly bad?: ReadonlyMap<string, BadMeterPeriod>;
  readonly generatorOf: ReadonlyMap<string, string>;
  readonly periodSeconds: number;
  readonly deliveries: readonly DeliveryToMeasure[];
}): Measurement[] {
  const meterOf = new Map<string, string>(); // generator → meter, lower case
  for (const [meter, generator] of input.generatorOf) {
    const [m, g] = [meter.toLowerCase(), generator.toLowerCase()];
    const other = meterOf.get(g);
    if (other !== undefined && other !== m) {
      throw new RangeError(`meter map: generator ${generator} has two meters (${other}, ${m}); the registry binds one`);
    }
    meterOf.set(g, m);
  }
  const series = new Map<string, Map<number, MeterReading>>(); // by meter, lower case
  const bad = new Map<string, Map<number, readonly string[]>>(); // by meter, lower case
  const markBad = (meter: string, period: number, reasons: readonly string[]): void => {
    const byPeriod = bad.get(meter.toLowerCase()) ?? new Map<number, readonly string[]>();
    byPeriod.set(period, [...(byPeriod.get(period) ?? []), ...reasons]);
    bad.set(meter.toLowerCase(), byPeriod);
  };
  for (const b of input.bad?.values() ?? []) markBad(b.meter, b.period, b.reasons);
  for (const [, readings] of distinctReadings(input.readings)) {
    const { meter, period } = readings[0];
    if (readings.length > 1) markBad(meter, period, [differentReadingsReason(readings)]);
    const byPeriod = series.get(meter.toLowerCase()) ?? new Map<number, MeterReading>();
    byPeriod.set(period, readings[0]);
    series.set(meter.toLowerCase(), byPeriod);
  }
  return input.deliveries.map((d) => {
    const meter = meterOf.get(d.generator.toLowerCase());
    const readings = (meter === undefined ? undefined : series.get(meter)) ?? new Map();
    const badPeriods = (meter === undefined ? undefined : bad.get(meter)) ?? new Map();
    const measurement = measureDelivery({ ...d, periodSeconds: input.periodSeconds, readings, bad: badPeriods });
    return meter === undefined
      ? { ...measurement, notes: [`generator ${d.generator} has no meter bound`, ...measurement.notes] }
      : measurement;
  });
}

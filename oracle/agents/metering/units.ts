/**
 * The metering layer's units, converted here and nowhere else (pure, no ethers):
 *   mean power over a period, MW → energy, Wh:  Wh = MW × periodSeconds / 3600 × 1e6
 * computed exactly on the decimal digits (bigint), then rounded to the nearest Wh with ties away
 * from zero, so every oracle of a k-of-n set gets the same integer from the same text.
 */
export const SECONDS_PER_DAY = 86_400;
export const INT64_MAX = 2n ** 63n - 1n;
export const INT64_MIN = -(2n ** 63n);
/** Periods are uint32 on chain. */
export const PERIOD_MAX = 2 ** 32 - 1;

/** Checks a period length (s): a positive whole number of seconds. */
export function checkPeriodSeconds(periodSeconds: number): number {
  if (!Number.isSafeInteger(periodSeconds) || periodSeconds <= 0) {
    throw new RangeError(`period length must be a positive whole number of seconds, got ${periodSeconds}`);
  }
  return periodSeconds;
}

/** Periods in a UTC day; the period length must divide a day so every day starts a period. */
export function periodsPerDay(periodSeconds: number): number {
  checkPeriodSeconds(periodSeconds);
  if (SECONDS_PER_DAY % periodSeconds !== 0) {
    throw new RangeError(`period length ${periodSeconds} s does not divide a day (86400 s): no period-of-day exists`);
  }
  return SECONDS_PER_DAY / periodSeconds;
}

/** Division of bigints rounded to the nearest integer, ties away from zero. `divisor` > 0. */
export function divRound(dividend: bigint, divisor: bigint): bigint {
  if (divisor <= 0n) throw new RangeError("divisor must be positive");
  const magnitude = ((dividend < 0n ? -dividend : dividend) * 2n + divisor) / (2n * divisor);
  return dividend < 0n ? -magnitude : magnitude;
}

/**
 * A unit's registered capacity (W, as the registry holds it) over one period, Wh, rounded down:
 * the most it can produce in a period.
 */
export function capacityWhPerPeriod(capacityW: bigint | number, periodSeconds: number): bigint {
  checkPeriodSeconds(periodSeconds);
  return (BigInt(capacityW) * BigInt(periodSeconds)) / 3600n;
}

export function fitsInt64(value: bigint): boolean {
  return value >= INT64_MIN && value <= INT64_MAX;
}

// Plain decimals with an optional exponent: "12", "-0.75", "1.5e-3". No hex, no "Infinity", no ",".
const DECIMAL = /^([+-]?)(\d+)(?:\.(\d+))?(?:[eE]([+-]?\d{1,4}))?$/;

/**
 * Mean power over a period (MW, a decimal string or a finite number) → energy over the period,
 * Wh, exact then rounded to the nearest Wh (ties away from zero). Throws a RangeError naming the
 * problem for anything that is not a plain decimal number or does not fit an int64 of Wh.
 */
export function meanPowerMwToWh(powerMw: string | number, periodSeconds: number): bigint {
  checkPeriodSeconds(periodSeconds);
  if (typeof powerMw === "number" && !Number.isFinite(powerMw)) {
    throw new RangeError(`power (MW) must be a finite number, got ${powerMw}`);
  }
  // String(number) is the shortest text that reads back as the same double, e.g. "0.1", "1e-7".
  const text = typeof powerMw === "number" ? String(powerMw) : powerMw.trim();
  const match = DECIMAL.exec(text);
  if (!match) throw new RangeError(`power (MW) must be a decimal number, got "${powerMw}"`);
  const [, sign, whole, fraction = "", exponent = "0"] = match;
  const digits = BigInt(whole + fraction) * (sign === "-" ? -1n : 1n);
  // value = digits · 10^scale MW; Wh = value · 1e6 · periodSeconds / 3600.
  const scale = Number(exponent) - fraction.length + 6;
  const numerator = digits * BigInt(periodSeconds) * (scale > 0 ? 10n ** BigInt(scale) : 1n);
  const denominator = 3600n * (scale < 0 ? 10n ** BigInt(-scale) : 1n);
  const wh = divRound(numerator, denominator);
  if (!fitsInt64(wh)) throw new RangeError(`power ${text} MW over ${periodSeconds} s does not fit an int64 of Wh`);
  return wh;
}

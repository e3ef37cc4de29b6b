/**
 * The one place where the grid core's units meet the contracts' fixed-point units
 * (contracts/interfaces/IGridOracle.sol), and the TypeScript mirror of the on-chain arithmetic
 * (contracts/libraries/GridSwapMath.sol; test/contracts/GridSwapMath.test.ts proves they agree):
 *   MW → W (int), kWh → Wh (int), USD → 1e-8 USD (int), USD/MWh ↔ ×1e8 (int), fractions → bps;
 *   Wh at a price in USD/MWh ×1e8 → 1e-8 USD (rounded down);
 *   Unix seconds → period = ⌊t / periodSeconds⌋, where periodSeconds is READ FROM THE ORACLE
 *   (oracle.periodSeconds()) — there is no period constant on this side.
 * Values are rounded to the nearest unit; payments round down, penalties up.
 */
export const USD_DECIMALS = 8;
export const KWH_DECIMALS = 3; // Wh
/** 100 % in basis points. */
export const BPS = 10_000n;
/** The vault packs free USD in a uint128 and free kWh in a uint96 (IGridSwapVault.balancesOf). */
export const MAX_USD_UNITS = 2n ** 128n - 1n;
export const MAX_KWH_WH = 2n ** 96n - 1n;

const INT64_MAX = 2n ** 63n - 1n;

function toInt(x: number, scale: number, what: string, round: (v: number) => number = Math.round): bigint {
  if (!Number.isFinite(x)) throw new RangeError(`${what} must be a finite number, got ${x}`);
  const v = BigInt(round(x * scale));
  if (v > INT64_MAX || v < -INT64_MAX) throw new RangeError(`${what} (${x}) does not fit the contract's int64`);
  return v;
}

export const mwToWatts = (mw: number): bigint => toInt(mw, 1e6, "power (MW)");
export const kwhToWh = (kwh: number): bigint => toInt(kwh, 1e3, "energy (kWh)");
/**
 * Payments round down, so the chain never promises more than the computed amount — after a
 * millionth of a unit of slack for binary floating point (0.25266763 · 1e8 = 25266762.999999996).
 */
export const usdToUnits = (usd: number): bigint => toInt(usd, 1e8, "amount (USD)", (v) => Math.floor(v + 1e-6));
export const usdPerMWhToUnits = (price: number): bigint => toInt(price, 1e8, "price (USD/MWh)");
export const unitsToUsd = (units: bigint): number => Number(units) / 1e8;
/** USD/MWh × 1e8 → USD/MWh (exact back through usdPerMWhToUnits for any price a contract holds). */
export const unitsToUsdPerMWh = (units: bigint): number => Number(units) / 1e8;
export const whToKwh = (wh: bigint): number => Number(wh) / 1e3;
/** The rate of a payment for an energy: USD/MWh from 1e-8 USD and Wh (0 for no energy). */
export const usdPerMWhOf = (units: bigint, wh: bigint): number =>
  wh === 0n ? 0 : unitsToUsd(units) / (Number(wh) / 1e6);
/** The mean power of an energy over a period, MW, from Wh and the period's seconds. */
export const whToMeanMw = (wh: bigint | number, periodSeconds: number): number =>
  Number(wh) / 1e6 / (periodSeconds / 3600);
/** For log lines and messages: "1.953 kWh" from Wh, "0.02929409 USD" from 1e-8 USD, an ISO time from Unix seconds. */
export const kwhText = (wh: bigint): string => `${whToKwh(wh)} kWh`;
export const usdText = (units: bigint): string => `${unitsToUsd(units)} USD`;
export const isoText = (unixSeconds: number): string => new Date(unixSeconds * 1000).toISOString();
/** A fraction (0.5 = 50 %) in basis points, rounded to the nearest. */
export const fractionToBps = (fraction: number): bigint => {
  if (!Number.isFinite(fraction) || fraction < 0 || fraction > 1)
    throw new RangeError(`fraction must be within [0, 1], got ${fraction}`);
  return BigInt(Math.round(fraction * Number(BPS)));
};

// ---------------------------------------------------------------------------------------------
// Periods: the length is the oracle's deploy-time constant, passed in by the caller.

function positiveSeconds(periodSeconds: number | bigint): bigint {
  const p = BigInt(periodSeconds);
  if (p <= 0n) throw new RangeError(`period length must be a positive number of seconds, got ${periodSeconds}`);
  return p;
}

/** The period containing `unixSeconds`: ⌊t / periodSeconds⌋ (GridSwapMath.periodOf). */
export function periodOf(unixSeconds: number | bigint, periodSeconds: number | bigint): bigint {
  const t = BigInt(unixSeconds);
  if (t < 0n) throw new RangeError(`time must not be negative, got ${unixSeconds}`);
  const period = t / positiveSeconds(periodSeconds);
  if (period > 0xffff_ffffn) throw new RangeError(`period ${period} of time ${t} does not fit the contracts' uint32`);
  return period;
}

/** First second of `period` (GridSwapMath.periodStart). */
export function periodStart(period: number | bigint, periodSeconds: number | bigint): bigint {
  return BigInt(period) * positiveSeconds(periodSeconds);
}

/**
 * The energy of `powerW` held for one period, Wh, rounded down: W·s / 3600 — the most a generator
 * of that capacity can nominate for a period (DemandResponseMarket's nomination check).
 */
export function periodEnergyWh(powerW: number | bigint, periodSeconds: number | bigint): bigint {
  return (BigInt(powerW) * positiveSeconds(periodSeconds)) / 3600n;
}

/** Reads the period length from the oracle contract (anything with periodSeconds()). */
export async function readPeriodSeconds(oracle: { periodSeconds(): Promise<bigint> }): Promise<bigint> {
  return positiveSeconds(await oracle.periodSeconds());
}

// ---------------------------------------------------------------------------------------------
// The market's arithmetic (mirror of GridSwapMath: payments round down, penalties round up).

/** ⌊usd · part / whole⌋ (GridSwapMath.paymentDown). */
export function paymentDown(usd: bigint, part: bigint, whole: bigint): bigint {
  if (whole <= 0n) throw new RangeError(`offer amount must be positive, got ${whole} Wh`);
  if (part < 0n || part > whole) throw new RangeError(`fill ${part} Wh is outside [0, ${whole}] Wh`);
  return (usd * part) / whole;
}

/**
 * USD escrowed by a fill of `takenWh` after `filledBeforeWh` of an offer of `amountWh` priced
 * `usd`: ⌊usd·(before+taken)/amount⌋ − ⌊usd·before/amount⌋ (GridSwapMath.fillPayment).
 */
export function fillPayment(usd: bigint, filledBeforeWh: bigint, takenWh: bigint, amountWh: bigint): bigint {
  return paymentDown(usd, filledBeforeWh + takenWh, amountWh) - paymentDown(usd, filledBeforeWh, amountWh);
}

/**
 * Delivery credited to a commitment, Wh, signed (GridSwapMath.creditedDelivery): the measured
 * delivery, except that against a Nominated baseline the baseline counted is never more
 * favourable to the generator than its own nomination.
 */
export function creditedDelivery(
  nominated: boolean,
  nominatedWh: bigint,
  actualWh: bigint,
  measuredWh: bigint,
  increase: boolean,
): bigint {
  if (!nominated) return measuredWh;
  const reported = actualWh - measuredWh;
  const baseline = increase
    ? reported > nominatedWh
      ? reported
      : nominatedWh
    : reported < nominatedWh
      ? reported
      : nominatedWh;
  return actualWh - baseline;
}

export interface SettlementTerms {
  /** Delivered fraction below which nothing is paid, bps. */
  readonly minDeliveredBps: bigint;
  /** Part of the shortfall's commitment forfeited to the centre, bps. */
  readonly penaltyBps: bigint;
}

export interface SettlementAmounts {
  deliveredWh: bigint;
  paidWh: bigint;
  penaltyWh: bigint;
  usdToGenerator: bigint;
  usdToCentre: bigint;
  kwhToCentre: bigint;
  kwhToGenerator: bigint;
}

/**
 * Graduated settlement of a generator's whole commitment in one period (GridSwapMath.settle):
 * delivered = clamp(credited in direction, 0, committed); paid = delivered when delivered ≥
 * committed · min, else 0; generator gets ⌊usd · paid / committed⌋; centre gets paid Wh plus
 * ⌈(committed − paid) · penalty⌉ Wh of the commitment, the generator the rest.
 */
export function settlement(
  book: { committedWh: bigint; usd: bigint; increase: boolean },
  creditedWh: bigint,
  terms: SettlementTerms,
): SettlementAmounts {
  const { committedWh, usd, increase } = book;
  if (committedWh <= 0n) throw new RangeError(`commitment must be positive, got ${committedWh} Wh`);
  const inDirection = increase ? creditedWh : -creditedWh;
  const deliveredWh = inDirection <= 0n ? 0n : inDirection >= committedWh ? committedWh : inDirection;
  const paidWh = deliveredWh * BPS >= committedWh * terms.minDeliveredBps ? deliveredWh : 0n;
  const penaltyWh = ceilDiv((committedWh - paidWh) * terms.penaltyBps, BPS);
  const usdToGenerator = paymentDown(usd, paidWh, committedWh);
  const kwhToCentre = paidWh + penaltyWh;
  return {
    deliveredWh,
    paidWh,
    penaltyWh,
    usdToGenerator,
    usdToCentre: usd - usdToGenerator,
    kwhToCentre,
    kwhToGenerator: committedWh - kwhToCentre,
  };
}

/**
 * What energy at prices costs, 1e-8 USD: ⌊Σ wh · usdPerMWh / 10⁶⌋ over `parts` (Wh, USD/MWh × 1e8),
 * rounded down once, on the exact sum (1 MWh = 10⁶ Wh).
 */
export function energyPayment(parts: readonly { readonly wh: bigint; readonly usdPerMWh: bigint }[]): bigint {
  let sum = 0n;
  for (const { wh, usdPerMWh } of parts) {
    if (wh < 0n || usdPerMWh < 0n) throw new RangeError(`energy ${wh} Wh at ${usdPerMWh} must not be negative`);
    sum += wh * usdPerMWh;
  }
  return sum / 1_000_000n;
}

/** ⌈a / b⌉ for a ≥ 0, b > 0 (GridSwapMath.ceilDiv). */
export function ceilDiv(a: bigint, b: bigint): bigint {
  return a === 0n ? 0n : (a - 1n) / b + 1n;
}

/** `1234567` with 3 decimals → "1234.567" (trailing zeros kept to the unit's precision). */
export function formatUnits(units: bigint, decimals: number): string {
  const negative = units < 0n;
  const abs = negative ? -units : units;
  const scale = 10n ** BigInt(decimals);
  const whole = abs / scale;
  const fraction = (abs % scale).toString().padStart(decimals, "0");
  return `${negative ? "-" : ""}${whole}${decimals > 0 ? `.${fraction}` : ""}`;
}

/**
 * An amount a person typed ("12.5", "1e3", "2.5E-3"), exact, in the token's smallest unit: at most
 * `decimals` digits after the point — more is refused, never rounded, so nobody commits or moves
 * other than what they typed — and no more than `max` units (what the vault can hold). Scientific
 * notation is read exactly (digits × 10^exponent), not through a float. Throws a RangeError that
 * names the problem; the caller names the field (a flag, a form input).
 */
export function parseDecimalUnits(
  text: string,
  unit: string,
  decimals: number,
  max: bigint,
  allowZero = false,
): bigint {
  const v = text.trim();
  const m = /^(\d+)(?:\.(\d+))?(?:[eE]([+-]?\d{1,6}))?$/.exec(v);
  if (!m) throw new RangeError(`'${v}' is not a ${allowZero ? "" : "positive "}number of ${unit}`);
  // value = digits × 10^exponent, with the trailing zeros of the digits moved into the exponent.
  let digits = `${m[1]}${m[2] ?? ""}`.replace(/^0+(?=\d)/, "");
  let exponent = Number(m[3] ?? 0) - (m[2]?.length ?? 0);
  while (digits.length > 1 && digits.endsWith("0")) {
    digits = digits.slice(0, -1);
    exponent++;
  }
  if (digits !== "0" && exponent + decimals < 0) {
    throw new RangeError(`'${v}' has more than ${decimals} decimals (the precision of ${unit})`);
  }
  const tooMuch = (): RangeError =>
    new RangeError(`${v} ${unit} is more than the contracts can hold (${formatUnits(max, decimals)})`);
  if (digits !== "0" && digits.length + exponent + decimals > max.toString().length) throw tooMuch();
  const units = digits === "0" ? 0n : BigInt(digits) * 10n ** BigInt(exponent + decimals);
  if (units === 0n && !allowZero) throw new RangeError(`'${v}' must be more than 0 ${unit}`);
  if (units > max)
    throw new RangeError(`${v} ${unit} is more than the contracts can hold (${formatUnits(max, decimals)})`);
  return units;
}

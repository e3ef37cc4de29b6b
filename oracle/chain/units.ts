/**
 * The one place where the grid core's units meet the contracts' fixed-point units
 * (see contracts/interfaces/IGridOracle.sol):
 *   MW → W (int), MWh·h⁻¹ adjustments → Wh (int), USD → 1e-8 USD (int), USD/MWh → ×1e8 (int),
 *   Unix seconds → period = ⌊t / 1800⌋.
 * Values are rounded to the nearest unit; amounts that must not be overstated (payments) round down.
 */
export const PERIOD_SECONDS = 1800;
export const USD_DECIMALS = 8;
export const KWH_DECIMALS = 3; // Wh

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
export const whToKwh = (wh: bigint): number => Number(wh) / 1e3;
export const periodOf = (unixSeconds: number): number => Math.floor(unixSeconds / PERIOD_SECONDS);

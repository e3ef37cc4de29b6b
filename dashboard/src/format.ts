/**
 * Every figure on the pages carries its unit, and every on-chain amount is converted here, once:
 * Wh → kWh, 1e-8 USD → USD, USD/MWh·1e8 → USD/MWh, W → MW; times in the browser's local time
 * with the period number.
 */
import { formatUnits } from "ethers";
import type { Topology } from "../shared/types";

const trim = (text: string, minDecimals: number): string => {
  if (!text.includes(".")) return minDecimals > 0 ? `${text}.${"0".repeat(minDecimals)}` : text;
  const [int, decimals] = text.split(".");
  let dec = decimals.replace(/0+$/, "");
  if (dec.length < minDecimals) dec = dec.padEnd(minDecimals, "0");
  return dec.length > 0 ? `${int}.${dec}` : int;
};

/** 1e-8 USD (bigint) → "8.48582162 USD" (exact; trailing zeros trimmed to two decimals). */
export const usd = (units: bigint): string => `${trim(formatUnits(units, 8), 2)} USD`;
/** Wh (bigint) → "12.999 kWh" (exact). */
export const kwh = (wh: bigint): string => `${trim(formatUnits(wh, 3), 3)} kWh`;
/** A range of Wh → "0.650–13.000 kWh". */
export const kwhRange = (fromWh: bigint, toWh: bigint): string => `${trim(formatUnits(fromWh, 3), 3)}–${kwh(toWh)}`;
/** Signed Wh → "+2.178 kWh" / "−2.178 kWh". */
export const kwhSigned = (wh: bigint): string => (wh > 0n ? `+${kwh(wh)}` : wh < 0n ? `−${kwh(-wh)}` : kwh(0n));
/** USD/MWh · 1e8 (on-chain price) → "652.76 USD/MWh". */
export const usdPerMWhUnits = (units: bigint): string => usdPerMWh(Number(units) / 1e8);
/** A nodal price and its parts, USD/MWh (loss undefined: not published, part of the rest). */
export interface PriceParts {
  readonly total: number;
  readonly energy: number;
  readonly loss?: number;
  readonly congestion: number;
}
/**
 * A reported price (USD/MWh · 1e8: the total and its loss and congestion parts) in USD/MWh, with
 * its energy part (the reference bus's λ) = total − loss − congestion, exact before conversion.
 */
export const reportedPriceParts = (p: {
  readonly usdPerMWh: bigint;
  readonly lossUsdPerMWh: bigint;
  readonly congestionUsdPerMWh: bigint;
}): PriceParts => ({
  total: Number(p.usdPerMWh) / 1e8,
  energy: Number(p.usdPerMWh - p.lossUsdPerMWh - p.congestionUsdPerMWh) / 1e8,
  loss: Number(p.lossUsdPerMWh) / 1e8,
  congestion: Number(p.congestionUsdPerMWh) / 1e8,
});
/** W (bigint) → "−0.7643 MW". */
export const mwFromW = (w: bigint): string => mw(Number(w) / 1e6);

const num = (x: number, digits: number): string => {
  const text = Math.abs(x).toFixed(digits);
  return x < 0 && Number(text) !== 0 ? `−${text}` : text;
};
export const mw = (x: number, digits = 4): string => `${num(x, digits)} MW`;
export const mvar = (x: number, digits = 4): string => `${num(x, digits)} MVAr`;
export const pu = (x: number, digits = 4): string => `${num(x, digits)} p.u.`;
export const degrees = (x: number, digits = 3): string => `${num(x, digits)}°`;
export const usdPerMWh = (x: number, digits = 2): string => `${num(x, digits)} USD/MWh`;
/** "652.76 USD/MWh = energy 100.00 + loss −0.12 + congestion 552.88" (no loss term when not published). */
export const priceBreakdown = (p: PriceParts): string =>
  `${usdPerMWh(p.total)} = energy ${num(p.energy, 2)}` +
  (p.loss !== undefined ? ` + loss ${num(p.loss, 2)}` : "") +
  ` + congestion ${num(p.congestion, 2)}`;
export const usdPerKwh = (x: number, digits = 6): string => `${num(x, digits)} USD/kWh`;
export const usdNumber = (x: number, digits = 8): string => `${num(x, digits)} USD`;
export const kwhNumber = (x: number, digits = 3): string => `${num(x, digits)} kWh`;
export const percent = (x: number, digits = 1): string => `${num(x * 100, digits)} %`;
/** Sensitivity: MW of line flow per MW of a unit's output. */
export const mwPerMw = (x: number): string => `${num(x, 4)} MW/MW`;

/** Local date and time of Unix seconds, e.g. "1 Dec 2025, 14:30". */
export const localTime = (unixSeconds: number): string =>
  new Date(unixSeconds * 1000).toLocaleString(undefined, {
    day: "numeric",
    month: "short",
    year: "numeric",
    hour: "2-digit",
    minute: "2-digit",
  });

const clock = (unixSeconds: number): string =>
  new Date(unixSeconds * 1000).toLocaleTimeString(undefined, { hour: "2-digit", minute: "2-digit" });

/** "period 978123 · 1 Dec 2025, 14:30–15:00" (local time). */
export const periodLabel = (period: number, periodSeconds: number): string =>
  `period ${period} · ${localTime(period * periodSeconds)}–${clock((period + 1) * periodSeconds)}`;

/** "0x1234…abcd" */
export const short = (hex: string, keep = 6): string =>
  hex.length <= 2 + keep * 2 ? hex : `${hex.slice(0, 2 + keep)}…${hex.slice(-4)}`;

/**
 * A line the oracle names by its 0-based branch row, as people name it: by its buses ("11-14"),
 * from the case drawn on the Grid page; "branch row N" (1-based) without one.
 */
export function lineName(topology: Topology | undefined, line: number): string {
  const b = topology?.branches.find((x) => x.row === line + 1);
  return b ? `${b.from}-${b.to}` : `branch row ${line + 1}`;
}

/**
 * Load profiles made in tests (the BDEW layout of ../shared/profiles): so profile and scenario
 * tests need no shared files and can choose the shape.
 */
import { parseLoadProfile, type LoadProfile } from "../../../oracle/market/profiles";

export const MONTHS = "Januar,Februar,März,April,Mai,Juni,Juli,August,September,Oktober,November,Dezember".split(",");
export const ALL_COLUMNS: readonly [string, string][] = MONTHS.flatMap((m) =>
  ["SA", "FT", "WT"].map((t) => [m, t] as [string, string]),
);

const clock = (m: number): string =>
  `${String(Math.floor((m % 1440) / 60)).padStart(2, "0")}:${String(m % 60).padStart(2, "0")}`;

/**
 * A profile file's text: the given (month, day type) columns, the value of column j in quarter-hour
 * q given by `value` (default: j + 1 + q/100, every column different).
 */
export function profileText(
  columns: readonly [string, string][] = ALL_COLUMNS,
  value: (q: number, j: number) => number = (q, j) => j + 1 + q / 100,
): string {
  const lines = [`,${columns.map((c) => c[0]).join(",")}`, `[kWh],${columns.map((c) => c[1]).join(",")}`];
  for (let q = 0; q < 96; q++) {
    lines.push(`${clock(q * 15)}-${clock(q * 15 + 15)},${columns.map((_, j) => value(q, j).toFixed(3)).join(",")}`);
  }
  return `${lines.join("\n")}\n`;
}

/** Every column the same shape: `shape(q)` kWh in quarter-hour q. */
export const profileOf = (shape: (q: number) => number, source = "test-profile.csv"): LoadProfile =>
  parseLoadProfile(
    profileText(ALL_COLUMNS, (q) => shape(q)),
    source,
  );

/** A household-like day: low at night, a morning step and an evening peak at 19:00–20:00. */
export const householdLike = (q: number): number => {
  const h = q / 4;
  return 20 + 8 * Math.exp(-(((h - 8) / 1.5) ** 2)) + 25 * Math.exp(-(((h - 19.5) / 2) ** 2)) + (h > 6 ? 6 : 0);
};

/**
 * Standard load profiles (BDEW, Germany) as load shapes for multi-period simulations: a reader for
 * the CSV layout of ../shared/profiles (two header rows — month and day type per column — then
 * 96 quarter-hour rows of kWh), the choice of one column by calendar date (month and day type),
 * and the quarter-hours summed into market periods.
 *
 * Day types: `WT` working day (Monday–Friday), `SA` Saturday, `FT` Sunday or public holiday.
 * Public holidays are not modelled: a date is FT only when it is a Sunday (or when the caller
 * lists it in `holidays`).
 *
 * Every problem with a file is a ProfileFormatError naming the file and line.
 */
import { readFileSync } from "node:fs";
import { InputError } from "../errors";

export type DayType = "WT" | "SA" | "FT";
export const DAY_TYPES: readonly DayType[] = ["WT", "SA", "FT"];
const DAY_TYPE_NAMES: Record<DayType, string> = { WT: "working days", SA: "Saturdays", FT: "Sundays/holidays" };
const QUARTER_HOURS = 96;

/** A profile file that cannot be read as a load profile; the message starts with `file:line:`. */
export class ProfileFormatError extends InputError {
  constructor(problem: string, file: string, line?: number) {
    super(problem, { source: file, line });
  }

  /** The profile file (the error's `source`). */
  get file(): string {
    return this.source as string;
  }
}

/** A request the profile cannot answer (e.g. a date whose day type it has no column for). */
export class ProfileSelectionError extends InputError {}

export interface ProfileColumn {
  /** 1 = January … 12 = December. */
  readonly month: number;
  readonly dayType: DayType;
  /** Energy per quarter-hour, kWh (96 values, 00:00–00:15 first), for the profile's reference customer. */
  readonly quarterHourKwh: Float64Array;
}

export interface LoadProfile {
  /** Where it was read from (for messages). */
  readonly source: string;
  readonly columns: readonly ProfileColumn[];
}

const MONTHS: Record<string, number> = {};
[
  ["januar", "january", "jan"],
  ["februar", "february", "feb"],
  ["märz", "march", "mar", "maerz"],
  ["april", "apr"],
  ["mai", "may"],
  ["juni", "june", "jun"],
  ["juli", "july", "jul"],
  ["august", "aug"],
  ["september", "sep"],
  ["oktober", "october", "oct", "okt"],
  ["november", "nov"],
  ["dezember", "december", "dec", "dez"],
].forEach((names, k) => names.forEach((n) => (MONTHS[n] = k + 1)));
const MONTH_NAMES = ["", "January", "February", "March", "April", "May", "June", "July", "August", "September"].concat([
  "October",
  "November",
  "December",
]);

/** Reads a profile file; a missing or unreadable file is a ProfileFormatError naming it. */
export function readLoadProfile(path: string): LoadProfile {
  let text: string;
  try {
    text = readFileSync(path, "utf8");
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    throw new ProfileFormatError(
      code === "ENOENT" ? "no such profile file" : `cannot read the profile: ${(e as Error).message}`,
      path,
    );
  }
  return parseLoadProfile(text, path);
}

/**
 * Parses the BDEW layout: row 1 the month of each value column, row 2 the unit (`[kWh]`) and the
 * day type of each column, then 96 rows `HH:MM-HH:MM,v1,…,vn` in quarter-hour order.
 */
export function parseLoadProfile(text: string, source: string): LoadProfile {
  const lines = text.replace(/^\uFEFF/, "").split(/\r?\n/);
  while (lines.length > 0 && lines[lines.length - 1].trim() === "") lines.pop();
  const fail = (message: string, line?: number): never => {
    throw new ProfileFormatError(message, source, line);
  };
  if (lines.length < 2) fail("expected two header rows (months, day types) and 96 quarter-hour rows");
  const cells = (k: number): string[] => lines[k].split(",").map((c) => c.trim());

  const monthRow = cells(0);
  const typeRow = cells(1);
  const width = monthRow.length;
  if (width < 2) fail("the first header row names no month columns", 1);
  if (typeRow.length !== width) fail(`the day-type row has ${typeRow.length} cells, the month row ${width}`, 2);
  if (!/^\[?kWh\]?$/i.test(typeRow[0])) {
    fail(`the day-type row must start with the unit [kWh], got '${typeRow[0]}'`, 2);
  }
  const seen = new Set<string>();
  const header = monthRow.slice(1).map((name, j) => {
    const month = MONTHS[name.toLowerCase()];
    if (month === undefined) fail(`column ${j + 2}: unknown month '${name}' (expected Januar … Dezember)`, 1);
    const dayType = typeRow[j + 1].toUpperCase();
    if (!(DAY_TYPES as readonly string[]).includes(dayType)) {
      fail(`column ${j + 2}: unknown day type '${typeRow[j + 1]}' (expected WT, SA or FT)`, 2);
    }
    const key = `${month}/${dayType}`;
    if (seen.has(key)) fail(`column ${j + 2}: ${name} ${dayType} appears twice`, 2);
    seen.add(key);
    return { month, dayType: dayType as DayType };
  });

  const rows = lines.length - 2;
  if (rows !== QUARTER_HOURS) {
    fail(`expected ${QUARTER_HOURS} quarter-hour rows after the two header rows, found ${rows}`, lines.length);
  }
  const values = header.map(() => new Float64Array(QUARTER_HOURS));
  for (let q = 0; q < QUARTER_HOURS; q++) {
    const lineNo = q + 3;
    const row = cells(q + 2);
    if (row.length !== width) fail(`expected ${width} cells, found ${row.length}`, lineNo);
    const expected = `${clock(q * 15)}-${clock((q + 1) * 15)}`;
    if (row[0] !== expected) fail(`expected the quarter-hour '${expected}', found '${row[0]}'`, lineNo);
    for (let j = 1; j < width; j++) {
      const v = row[j] === "" ? Number.NaN : Number(row[j]);
      if (!Number.isFinite(v) || v < 0) fail(`column ${j + 1}: '${row[j]}' is not an energy in kWh ≥ 0`, lineNo);
      values[j - 1][q] = v;
    }
  }
  return { source, columns: header.map((h, j) => ({ ...h, quarterHourKwh: values[j] })) };
}

/** "HH:MM" for minutes after midnight, 24:00 written 00:00 as in the files. */
function clock(minutes: number): string {
  const m = minutes % 1440;
  return `${String(Math.floor(m / 60)).padStart(2, "0")}:${String(m % 60).padStart(2, "0")}`;
}

/** A calendar date (no time zone). */
export interface CivilDate {
  readonly year: number;
  readonly month: number;
  readonly day: number;
}

/** Reads `YYYY-MM-DD`, refusing dates that do not exist (2026-02-30). */
export function parseCivilDate(text: string): CivilDate {
  const m = /^(\d{4})-(\d{2})-(\d{2})$/.exec(text.trim());
  if (!m) throw new RangeError(`the date must be YYYY-MM-DD, got '${text}'`);
  const [year, month, day] = [Number(m[1]), Number(m[2]), Number(m[3])];
  const d = new Date(Date.UTC(year, month - 1, day));
  if (d.getUTCFullYear() !== year || d.getUTCMonth() !== month - 1 || d.getUTCDate() !== day) {
    throw new RangeError(`${text} is not a calendar date`);
  }
  return { year, month, day };
}

export const formatCivilDate = (d: CivilDate): string =>
  `${d.year}-${String(d.month).padStart(2, "0")}-${String(d.day).padStart(2, "0")}`;

/** The date `days` after `d`. */
export function addDays(d: CivilDate, days: number): CivilDate {
  const t = new Date(Date.UTC(d.year, d.month - 1, d.day + days));
  return { year: t.getUTCFullYear(), month: t.getUTCMonth() + 1, day: t.getUTCDate() };
}

/** 0 = Sunday … 6 = Saturday. */
export const weekday = (d: CivilDate): number => new Date(Date.UTC(d.year, d.month - 1, d.day)).getUTCDay();

/** WT Monday–Friday, SA Saturday, FT Sunday — or FT on a date listed in `holidays` (YYYY-MM-DD). */
export function dayTypeOf(d: CivilDate, holidays: readonly string[] = []): DayType {
  if (holidays.includes(formatCivilDate(d))) return "FT";
  const w = weekday(d);
  return w === 0 ? "FT" : w === 6 ? "SA" : "WT";
}

/** The profile's column for the date's month and day type; a clear error when the file has none. */
export function columnFor(profile: LoadProfile, d: CivilDate, holidays: readonly string[] = []): ProfileColumn {
  const dayType = dayTypeOf(d, holidays);
  const column = profile.columns.find((c) => c.month === d.month && c.dayType === dayType);
  if (!column) {
    throw new ProfileSelectionError(
      `${profile.source} has no column for ${formatCivilDate(d)}: ${MONTH_NAMES[d.month]} ${DAY_TYPE_NAMES[dayType]} (${dayType})`,
    );
  }
  return column;
}

/** Quarter-hour energies summed into periods of `periodMinutes` (a multiple of 15 that divides a day), kWh. */
export function periodEnergies(quarterHourKwh: Float64Array, periodMinutes: number): Float64Array {
  if (!Number.isInteger(periodMinutes) || periodMinutes % 15 !== 0 || 1440 % periodMinutes !== 0) {
    throw new RangeError(`a load profile of quarter-hours gives periods of 15, 30, 60 … minutes, not ${periodMinutes}`);
  }
  const per = periodMinutes / 15;
  const out = new Float64Array(QUARTER_HOURS / per);
  for (let q = 0; q < QUARTER_HOURS; q++) out[Math.floor(q / per)] += quarterHourKwh[q];
  return out;
}

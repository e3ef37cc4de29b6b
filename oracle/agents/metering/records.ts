/**
 * One reading record as written in a file or an HTTP answer → a MeterReading. The file and HTTP
 * sources share this, so a record means the same wherever it comes from (docs/metering.md):
 *
 *   meter      meter key address (any case; a mixed-case address must carry a valid EIP-55 checksum)
 *   period     delivery period, 0 ≤ period ≤ 2³²−1
 *   energyWh   metered output over the period, integer Wh (signed)       } exactly one of the two,
 *   powerMw    mean output over the period, decimal MW (signed)           } none when MISSING
 *   quality    OK | ESTIMATED | BAD | MISSING (a MISSING record carries no value and yields no reading)
 *   timestamp  when the meter took the reading: Unix s, or ISO 8601 with a zone ("2024-01-15T10:30:00Z")
 *   signature  optional EIP-712 MeterReading signature, 0x + 130 hex digits (65 bytes)
 *
 * A record that cannot be read is a RejectedRecord, not a throw: it names the meter and period
 * the record gives, read leniently, so the meter-period it spoils can be marked bad while every
 * other record is still read (docs/metering.md, "Isolation").
 */
import { getAddress } from "ethers";
import { MeterFormatError } from "./errors";
import { JsonSyntaxError, parseJson, type JsonNode } from "./json";
import type { MeasuredQuality, MeterReading, ReadingBatch, ReadingQuery, RejectedRecord } from "./types";
import { READING_QUALITIES } from "./types";
import { fitsInt64, meanPowerMwToWh, PERIOD_MAX } from "./units";

export const RECORD_FIELDS = ["meter", "period", "energyWh", "powerMw", "quality", "timestamp", "signature"] as const;
export type RecordField = (typeof RECORD_FIELDS)[number];

/**
 * A field as written: a CSV cell ("text", trimmed, never empty — an empty cell is an absent
 * field) or a JSON value (its kind, and for numbers the exact literal).
 */
export interface RawField {
  readonly kind: "text" | "string" | "number" | "boolean" | "null" | "object" | "array";
  readonly text: string;
}

const INTEGER = /^[+-]?\d+$/;
const ADDRESS = /^0x[0-9a-fA-F]{40}$/;

/**
 * `text` as an EIP-55 checksummed address, or undefined: 0x + 40 hex digits, all lower, all upper
 * or correctly checksummed mixed case (ethers' getAddress alone would also take ICAP and no "0x").
 */
export function checksumAddress(text: string): string | undefined {
  if (!ADDRESS.test(text)) return undefined;
  try {
    return getAddress(text);
  } catch {
    return undefined;
  }
}
const SIGNATURE = /^0x[0-9a-fA-F]{130}$/;
const ISO_8601 = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2})(?::(\d{2})(?:\.\d+)?)?(?:Z|([+-])(\d{2}):(\d{2}))$/;

/** ISO 8601 date-time with a zone → Unix s (fractions dropped); undefined unless a real calendar time. */
function isoToUnixSeconds(text: string): number | undefined {
  const m = ISO_8601.exec(text);
  if (!m) return undefined;
  const [year, month, day, hour, minute, second = 0] = m.slice(1, 7).map((x) => Number(x ?? 0));
  const [offsetHours, offsetMinutes] = [Number(m[8] ?? 0), Number(m[9] ?? 0)];
  const daysInMonth = new Date(Date.UTC(year, month, 0)).getUTCDate();
  if (month < 1 || month > 12 || day < 1 || day > daysInMonth) return undefined;
  if (hour > 23 || minute > 59 || second > 59 || offsetHours > 23 || offsetMinutes > 59) return undefined;
  const offset = (m[7] === "-" ? -1 : 1) * (offsetHours * 3600 + offsetMinutes * 60);
  return Date.UTC(year, month - 1, day, hour, minute, second) / 1000 - offset;
}

const describe = (f: RawField): string =>
  f.kind === "text" || f.kind === "string" || f.kind === "number" ? `"${f.text}"` : `a JSON ${f.kind}`;

/** Text of a field that may be written as a string or (for numbers) a number. */
function scalar(f: RawField, name: RecordField, fail: (p: string) => never, numeric: boolean): string {
  if (f.kind === "text" || f.kind === "string" || (numeric && f.kind === "number")) return f.text;
  return fail(`${name} must be ${numeric ? "a number" : "a string"}, got ${describe(f)}`);
}

function integer(f: RawField, name: RecordField, what: string, fail: (p: string) => never): bigint {
  const text = scalar(f, name, fail, true);
  if (!INTEGER.test(text)) fail(`${name} must be ${what}, got ${describe(f)}`);
  return BigInt(text);
}

/**
 * Parses one record. Returns undefined for a well-formed MISSING record (no value: nothing was
 * measured); throws a MeterFormatError naming `origin` and the problem for anything malformed.
 */
export function parseRecord(
  fields: ReadonlyMap<string, RawField>,
  origin: string,
  periodSeconds: number,
): MeterReading | undefined {
  const fail = (problem: string): never => {
    throw new MeterFormatError(origin, problem);
  };
  for (const name of fields.keys()) {
    if (!(RECORD_FIELDS as readonly string[]).includes(name)) {
      fail(`unknown field "${name}" (fields: ${RECORD_FIELDS.join(", ")})`);
    }
  }
  const field = (name: RecordField): RawField | undefined => {
    const f = fields.get(name);
    return f === undefined || f.kind === "null" ? undefined : f;
  };
  const required = (name: RecordField): RawField => field(name) ?? fail(`${name} is missing`);

  const meterText = scalar(required("meter"), "meter", fail, false);
  const meter =
    checksumAddress(meterText) ??
    fail(`meter "${meterText}" is not an address (0x + 40 hex digits; mixed case must be a valid EIP-55 checksum)`);

  const period = integer(required("period"), "period", "a whole number", fail);
  if (period < 0n) fail(`period must not be negative, got ${period}`);
  if (period > BigInt(PERIOD_MAX)) fail(`period ${period} does not fit a uint32`);

  const qualityField = required("quality");
  const qualityText = scalar(qualityField, "quality", fail, false);
  if (!(READING_QUALITIES as readonly string[]).includes(qualityText)) {
    fail(`quality "${qualityText}" is not one of ${READING_QUALITIES.join(", ")}`);
  }

  const timestampField = required("timestamp");
  const timestampText = scalar(timestampField, "timestamp", fail, true);
  let timestamp: number;
  if (INTEGER.test(timestampText)) {
    timestamp = Number(timestampText);
    if (!Number.isSafeInteger(timestamp) || timestamp < 0) fail(`timestamp ${timestampText} is not a Unix time`);
  } else if (isoToUnixSeconds(timestampText) !== undefined) {
    timestamp = isoToUnixSeconds(timestampText) as number;
    if (timestamp < 0) fail(`timestamp ${timestampText} is before 1970`);
  } else {
    return fail(
      `timestamp must be Unix seconds or ISO 8601 with a zone (2024-01-15T10:30:00Z), got ${describe(timestampField)}`,
    );
  }

  let signature: string | undefined;
  const signatureField = field("signature");
  if (signatureField !== undefined) {
    const text = scalar(signatureField, "signature", fail, false);
    if (!SIGNATURE.test(text)) fail(`signature must be 0x followed by 130 hex digits (65 bytes), got "${text}"`);
    signature = text.toLowerCase();
  }

  const energy = field("energyWh");
  const power = field("powerMw");
  if (qualityText === "MISSING") {
    if (energy !== undefined || power !== undefined) {
      fail(`a MISSING reading carries no value, but ${energy !== undefined ? "energyWh" : "powerMw"} is given`);
    }
    return undefined;
  }
  if (energy !== undefined && power !== undefined) fail("both energyWh and powerMw are given: give one");
  let energyWh: bigint;
  if (energy !== undefined) {
    energyWh = integer(energy, "energyWh", "a whole number of Wh", fail);
    if (!fitsInt64(energyWh)) fail(`energyWh ${energyWh} does not fit an int64`);
  } else if (power !== undefined) {
    const text = scalar(power, "powerMw", fail, true);
    try {
      energyWh = meanPowerMwToWh(text, periodSeconds);
    } catch (e) {
      return fail(`powerMw: ${(e as Error).message}`);
    }
  } else {
    return fail("neither energyWh nor powerMw is given: give one");
  }

  return {
    meter,
    period: Number(period),
    energyWh,
    quality: qualityText as MeasuredQuality,
    timestamp,
    ...(signature === undefined ? {} : { signature }),
    origin,
  };
}

/**
 * The reading's meter as an EIP-55 address; a MeterFormatError naming its origin when it is not an
 * address (readings built by calling code rather than parsed by a source).
 */
export function meterAddress(reading: Pick<MeterReading, "meter" | "origin">): string {
  const meter = checksumAddress(reading.meter);
  if (meter === undefined) throw new MeterFormatError(reading.origin, `meter "${reading.meter}" is not an address`);
  return meter;
}

/**
 * The meter and period a record names, read leniently — a field written as a string or number,
 * in quotes or not, an address in any case (even with a wrong EIP-55 checksum: the same 20
 * bytes) — so that a record malformed elsewhere can still be attributed. A field that is not
 * a valid address or period is left out.
 */
export function namedMeterPeriod(fields: ReadonlyMap<string, RawField>): { meter?: string; period?: number } {
  const text = (name: RecordField): string | undefined => {
    const f = fields.get(name);
    if (f === undefined || !(f.kind === "text" || f.kind === "string" || f.kind === "number")) return undefined;
    const t = f.text.trim();
    return t.length >= 2 && t.startsWith('"') && t.endsWith('"') ? t.slice(1, -1).trim() : t;
  };
  const meterText = text("meter");
  const periodText = text("period");
  const meter = meterText !== undefined && ADDRESS.test(meterText) ? getAddress(meterText.toLowerCase()) : undefined;
  const period = periodText !== undefined && /^\d+$/.test(periodText) ? Number(periodText) : undefined;
  return {
    ...(meter === undefined ? {} : { meter }),
    ...(period !== undefined && period <= PERIOD_MAX ? { period } : {}),
  };
}

/** Said of a problem on the last line of a file when that line has no newline yet. */
export const UNFINISHED = " (the last line has no newline yet: it may be half-written)";

/** A source's findings while it reads: the readings, and the records it could not read. */
export class BatchBuilder implements ReadingBatch {
  readonly readings: MeterReading[] = [];
  readonly rejected: RejectedRecord[] = [];

  constructor(private readonly periodSeconds: number) {}

  /**
   * Parses one record: a reading, nothing (a MISSING record), or a RejectedRecord naming the
   * meter and period it gives. `unfinished`: the record is the last line of a file that has no
   * newline yet — a writer may be writing it — so a problem is not attributed to a meter.
   */
  record(fields: ReadonlyMap<string, RawField>, origin: string, unfinished = false): void {
    try {
      const reading = parseRecord(fields, origin, this.periodSeconds);
      if (reading) this.readings.push(reading);
    } catch (e) {
      if (!(e instanceof MeterFormatError)) throw e;
      this.rejectRecord(fields, origin, e.problem, unfinished);
    }
  }

  /** A record refused as a whole, naming the meter and period it gives unless it may be half-written. */
  rejectRecord(fields: ReadonlyMap<string, RawField>, origin: string, problem: string, unfinished = false): void {
    if (unfinished) this.reject(origin, `${problem}${UNFINISHED}`);
    else this.reject(origin, problem, namedMeterPeriod(fields));
  }

  reject(origin: string, problem: string, named: { meter?: string; period?: number } = {}): void {
    this.rejected.push({ origin, problem, ...named });
  }

  /** Another batch's findings, added to this one. */
  add(batch: ReadingBatch): void {
    this.readings.push(...batch.readings);
    this.rejected.push(...batch.rejected);
  }
}

/** A query with its addresses normalised for lookups; undefined members match everything. */
export interface QueryFilter {
  readonly meters?: ReadonlySet<string>;
  readonly periods?: ReadonlySet<number>;
}

/** Checks a query's meters (addresses) and periods and indexes them; RangeError on bad input. */
export function queryFilter(query: ReadingQuery | undefined): QueryFilter {
  const meters = query?.meters?.map((m) => {
    const meter = checksumAddress(m);
    if (meter === undefined) throw new RangeError(`query: meter "${m}" is not an address`);
    return meter;
  });
  for (const p of query?.periods ?? []) {
    if (!Number.isSafeInteger(p) || p < 0 || p > PERIOD_MAX) throw new RangeError(`query: period ${p} is not a period`);
  }
  return {
    ...(meters === undefined ? {} : { meters: new Set(meters) }),
    ...(query?.periods === undefined ? {} : { periods: new Set(query.periods) }),
  };
}

/**
 * Whether a reading, or a rejected record, is one the query asks for. A rejected record that does
 * not name its meter (or period) is kept: it may be one asked for.
 */
export function matches(filter: QueryFilter, item: { readonly meter?: string; readonly period?: number }): boolean {
  return (
    (filter.meters === undefined || item.meter === undefined || filter.meters.has(item.meter)) &&
    (filter.periods === undefined || item.period === undefined || filter.periods.has(item.period))
  );
}

/** The part of a batch the query asks for. */
export function filterBatch(filter: QueryFilter, batch: ReadingBatch): ReadingBatch {
  return {
    readings: batch.readings.filter((r) => matches(filter, r)),
    rejected: batch.rejected.filter((r) => matches(filter, r)),
  };
}

/**
 * The readings of a {"readings": [ … ]} document (a file or an HTTP answer). `originOf` names a
 * place from its line (and a record from its index, for HTTP); `whole` says what a problem with the
 * document itself skips ("file", "answer"): it is one RejectedRecord, and no reading of it is used.
 */
export function readingsFromJsonText(
  text: string,
  originOf: (line: number, index?: number) => string,
  periodSeconds: number,
  whole: "file" | "answer",
): ReadingBatch {
  const batch = new BatchBuilder(periodSeconds);
  const skip = (line: number, problem: string): ReadingBatch => {
    batch.reject(originOf(line), `${problem} (the whole ${whole} is skipped)`);
    return batch;
  };
  let root: JsonNode;
  try {
    root = parseJson(text);
  } catch (e) {
    if (e instanceof JsonSyntaxError) return skip(e.line, `invalid JSON: ${e.problem}`);
    throw e;
  }
  if (root.kind !== "object") return skip(root.line, `expected {"readings": [ … ]}, got a JSON ${root.kind}`);
  if (root.duplicateKey) return skip(root.duplicateKey.line, `invalid JSON: duplicate key "${root.duplicateKey.key}"`);
  for (const [key, value] of root.entries) {
    if (key !== "readings") return skip(value.line, `unknown key "${key}" (expected "readings")`);
  }
  const list = root.entries.get("readings");
  if (list === undefined) return skip(root.line, 'no "readings" array');
  if (list.kind !== "array") return skip(list.line, `"readings" must be an array, got a JSON ${list.kind}`);
  list.items.forEach((item, index) => jsonRecord(batch, item, originOf(item.line, index)));
  return batch;
}

/** One JSON value that should be a record object (an element of "readings", a JSON line). */
export function jsonRecord(batch: BatchBuilder, node: JsonNode, origin: string, unfinished = false): void {
  if (node.kind !== "object") return batch.reject(origin, `expected a reading object, got a JSON ${node.kind}`);
  const fields = new Map<string, RawField>();
  for (const [key, value] of node.entries) {
    const text = value.kind === "number" ? value.text : value.kind === "string" ? value.value : value.kind;
    fields.set(key, { kind: value.kind, text });
  }
  if (node.duplicateKey) {
    const { key, line } = node.duplicateKey;
    return batch.rejectRecord(fields, origin, `invalid JSON: duplicate key "${key}" (line ${line})`, unfinished);
  }
  batch.record(fields, origin, unfinished);
}

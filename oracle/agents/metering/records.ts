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
 */
import { getAddress } from "ethers";
import { MeterFormatError } from "./errors";
import { JsonSyntaxError, parseJson, type JsonNode } from "./json";
import type { MeasuredQuality, MeterReading, ReadingQuery } from "./types";
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

export function matches(filter: QueryFilter, reading: MeterReading): boolean {
  return (
    (filter.meters === undefined || filter.meters.has(reading.meter)) &&
    (filter.periods === undefined || filter.periods.has(reading.period))
  );
}

/** Parses JSON text, turning a syntax error into a MeterFormatError at `originOf(line)`. */
export function parseJsonOrFail(text: string, originOf: (line: number) => string): JsonNode {
  try {
    return parseJson(text);
  } catch (e) {
    if (e instanceof JsonSyntaxError) throw new MeterFormatError(originOf(e.line), `invalid JSON: ${e.problem}`);
    throw e;
  }
}

/**
 * The readings of a {"readings": [ … ]} document (a file or an HTTP answer); `originOf` names a
 * record from its line (files) or index (HTTP) — it receives the line and the index.
 */
export function readingsFromJson(
  root: JsonNode,
  originOf: (line: number, index?: number) => string,
  periodSeconds: number,
): MeterReading[] {
  if (root.kind !== "object") {
    throw new MeterFormatError(originOf(root.line), `expected {"readings": [ … ]}, got a JSON ${root.kind}`);
  }
  for (const [key, value] of root.entries) {
    if (key !== "readings")
      throw new MeterFormatError(originOf(value.line), `unknown key "${key}" (expected "readings")`);
  }
  const list = root.entries.get("readings");
  if (list === undefined) throw new MeterFormatError(originOf(root.line), 'no "readings" array');
  if (list.kind !== "array") {
    throw new MeterFormatError(originOf(list.line), `"readings" must be an array, got a JSON ${list.kind}`);
  }
  const readings: MeterReading[] = [];
  list.items.forEach((item, index) => {
    const origin = originOf(item.line, index);
    if (item.kind !== "object")
      throw new MeterFormatError(origin, `expected a reading object, got a JSON ${item.kind}`);
    const reading = parseRecord(recordFields(item), origin, periodSeconds);
    if (reading) readings.push(reading);
  });
  return readings;
}

export function recordFields(node: Extract<JsonNode, { kind: "object" }>): Map<string, RawField> {
  const fields = new Map<string, RawField>();
  for (const [key, value] of node.entries) {
    const text = value.kind === "number" ? value.text : value.kind === "string" ? value.value : value.kind;
    fields.set(key, { kind: value.kind, text });
  }
  return fields;
}

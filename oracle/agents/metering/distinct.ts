/**
 * One reading per (meter, period) (pure: no ethers). Two sources — or two rows — that give the
 * same reading (same meter, period, energy, quality, timestamp and signature) count once; two
 * different readings of one meter-period cannot both be right, so neither is used and both are
 * named (docs/metering.md, "Isolation").
 */
import { meterPeriodKey, type MeterReading } from "./types";

/** Everything a reading says, without where it came from. */
function content(r: MeterReading): string {
  const signature = r.signature?.toLowerCase() ?? "";
  return `${r.meter.toLowerCase()}|${r.period}|${r.energyWh}|${r.quality}|${r.timestamp}|${signature}`;
}

/** Orders records by where they came from. */
export const byOrigin = (a: { readonly origin: string }, b: { readonly origin: string }): number =>
  a.origin < b.origin ? -1 : a.origin > b.origin ? 1 : 0;

/**
 * The readings by meterPeriodKey, each (meter, period) with its different readings in origin
 * order: identical copies appear once (the one with the first origin), so whatever order the
 * sources answered in, the result is the same.
 */
export function distinctReadings(readings: readonly MeterReading[]): Map<string, MeterReading[]> {
  const groups = new Map<string, Map<string, MeterReading>>();
  for (const r of [...readings].sort(byOrigin)) {
    const key = meterPeriodKey(r.meter, r.period);
    const group = groups.get(key) ?? new Map<string, MeterReading>();
    if (!group.has(content(r))) group.set(content(r), r);
    groups.set(key, group);
  }
  return new Map([...groups].map(([key, group]) => [key, [...group.values()]]));
}

/** "1250000 Wh, OK, read at 1705314600, unsigned (a.csv:2)" */
export function describeReading(r: MeterReading): string {
  const signature =
    r.signature === undefined ? "unsigned" : `signature ${r.signature.slice(0, 10)}…${r.signature.slice(-4)}`;
  return `${r.energyWh} Wh, ${r.quality}, read at ${r.timestamp}, ${signature} (${r.origin})`;
}

/** The reason two or more different readings of one meter-period make it bad. */
export function differentReadingsReason(readings: readonly MeterReading[]): string {
  const described = readings.map(describeReading);
  const list = `${described.slice(0, -1).join("; ")} and ${described[described.length - 1]}`;
  return `${described.length === 2 ? "two" : described.length} different readings: ${list}`;
}

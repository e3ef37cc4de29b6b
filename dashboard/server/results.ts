/**
 * The centre's published per-period results, read-only: a results directory (what the day
 * simulation and the dashboard's demo write: periods.json, summary.json, …) served file by file
 * with every path kept inside the directory, and periods.json indexed by period.
 *
 * periods.json is an array of PeriodRecord (dashboard/shared/types.ts); it is re-read when its
 * modification time changes, so a writer that replaces it (temp file + rename) is picked up.
 */
import { existsSync, mkdirSync, readFileSync, realpathSync, renameSync, statSync, writeFileSync } from "node:fs";
import { dirname, isAbsolute, join, relative, resolve, sep } from "node:path";
import type { PeriodRecord as DayPeriodRecord } from "../../oracle/agents/day-record";
import { PERIOD_RECORD_VERSION } from "../../oracle/agents/day-schema";
import type { PeriodIndexEntry, PeriodRecord } from "../shared/types";

/** A request path that must not be served: it leaves the directory, or names something odd. */
export class ForbiddenPathError extends Error {}

/**
 * The file under `root` named by the URL path `requested` (already URL-decoded), or a
 * ForbiddenPathError: no `..` segments, no absolute paths, no NUL, no dot-files, and — after
 * symbolic links are resolved — still inside `root`. Returns undefined when no such file exists.
 */
export function safeFileUnder(root: string, requested: string): string | undefined {
  if (requested.includes("\0")) throw new ForbiddenPathError("path contains a NUL byte");
  const parts = requested.split(/[/\\]+/).filter((p) => p !== "");
  if (parts.some((p) => p === ".." || p === "."))
    throw new ForbiddenPathError(`path '${requested}' leaves the directory`);
  if (parts.some((p) => p.startsWith("."))) throw new ForbiddenPathError(`path '${requested}' names a hidden file`);
  if (isAbsolute(requested.replace(/^\/+/, ""))) throw new ForbiddenPathError(`path '${requested}' is absolute`);
  const base = realpathSync(root);
  const candidate = join(base, ...parts);
  if (!existsSync(candidate)) return undefined;
  const real = realpathSync(candidate);
  const rel = relative(base, real);
  if (rel.startsWith("..") || isAbsolute(rel) || rel.split(sep)[0] === "..") {
    throw new ForbiddenPathError(`path '${requested}' leads outside the directory`);
  }
  return statSync(real).isFile() ? real : undefined;
}

export const PERIODS_FILE = "periods.json";
export const SUMMARY_FILE = "summary.json";

/** Reads a results directory's periods.json, re-reading it only when it changed. */
export class ResultsDirectory {
  private cache?: { mtimeMs: number; size: number; records: PeriodRecord[]; byPeriod: Map<number, PeriodRecord> };

  constructor(readonly root: string) {
    if (!existsSync(root) || !statSync(root).isDirectory()) {
      throw new Error(`results directory ${resolve(root)} does not exist`);
    }
  }

  /** Every record, by period (empty while nothing is published yet). */
  records(): PeriodRecord[] {
    return this.load().records;
  }

  record(period: number): PeriodRecord | undefined {
    return this.load().byPeriod.get(period);
  }

  index(): PeriodIndexEntry[] {
    return this.records().map((r) => ({
      period: r.period,
      start: r.start,
      end: r.end,
      hasStudy: r.study !== undefined,
      hasActual: r.actual !== undefined,
      studyViolations: r.study ? r.study.violations.lines.length : null,
      actualViolations: r.actual ? r.actual.violations.lines.length : null,
    }));
  }

  private load(): NonNullable<ResultsDirectory["cache"]> {
    const path = join(this.root, PERIODS_FILE);
    if (!existsSync(path)) return { mtimeMs: 0, size: 0, records: [], byPeriod: new Map() };
    const st = statSync(path);
    if (this.cache && this.cache.mtimeMs === st.mtimeMs && this.cache.size === st.size) return this.cache;
    let raw: unknown;
    try {
      raw = JSON.parse(readFileSync(path, "utf8"));
    } catch (e) {
      throw new Error(`${path} is not valid JSON: ${(e as Error).message}`);
    }
    const version = (raw as { recordVersion?: unknown })?.recordVersion;
    if (typeof version === "number" && version > PERIOD_RECORD_VERSION) {
      throw new Error(
        `${path}: period records of version ${version}; this dashboard reads version ${PERIOD_RECORD_VERSION} (update GridSwap)`,
      );
    }
    const list = Array.isArray(raw) ? raw : (raw as { periods?: unknown })?.periods;
    if (!Array.isArray(list)) throw new Error(`${path}: expected an array of period records (or { periods: [...] })`);
    const records = list
      .map((r, i) => checkRecord(isDayRecord(r) ? fromDayRecord(r, this.periodSeconds()) : r, `${path}[${i}]`))
      .sort((a, b) => a.period - b.period);
    this.cache = { mtimeMs: st.mtimeMs, size: st.size, records, byPeriod: new Map(records.map((r) => [r.period, r])) };
    return this.cache;
  }

  /** The period length the results were made with: summary.json's, else case.json's, else 30 min. */
  private periodSeconds(): number {
    for (const [file, read] of [
      [SUMMARY_FILE, (j: Record<string, unknown>) => j.periodSeconds ?? (j.periodMinutes as number) * 60],
      [
        "case.json",
        (j: Record<string, unknown>) => ((j.operation as { periodMinutes?: number })?.periodMinutes ?? NaN) * 60,
      ],
    ] as const) {
      const path = join(this.root, file);
      if (!existsSync(path)) continue;
      try {
        const seconds = Number(read(JSON.parse(readFileSync(path, "utf8")) as Record<string, unknown>));
        if (Number.isInteger(seconds) && seconds > 0) return seconds;
      } catch {
        // not this file
      }
    }
    return 1800;
  }
}

/**
 * The day simulation's period record (oracle/agents/day-record.ts and its schema, day-schema.ts,
 * `npm run simulate`): a summary per period — the lines over their limit before redispatch, the
 * redispatch, total nodal prices, offers and delivery — without the full load flow. Recognised
 * by its `index` and `utcStart` fields.
 */
type DayRecord = DayPeriodRecord;

function isDayRecord(value: unknown): value is DayRecord {
  const r = value as Partial<DayRecord>;
  return typeof value === "object" && value !== null && Number.isInteger(r.index) && Number.isFinite(r.utcStart);
}

/** A day-simulation record as the dashboard's: what it has, and nothing it has not. */
export function fromDayRecord(r: DayRecord, periodSeconds: number): PeriodRecord {
  const period = r.chainPeriod ?? r.index;
  const start = r.chainStart ?? r.utcStart;
  const hours = periodSeconds / 3600;
  const energy = r.prices?.energyUsdPerMWh ?? 0;
  return {
    case: "",
    period,
    start,
    end: start + periodSeconds,
    study: {
      madeInPeriod: period - 1,
      violations: {
        lines: (r.violatedLines ?? []).map((l) => ({
          branchRow: l.branchRow,
          from: l.from,
          to: l.to,
          kind: "active" as const,
          value: l.value,
          limit: l.limit,
          deviation: Math.abs(l.value) - l.limit,
        })),
        voltages: [],
      },
      redispatch: {
        status: r.redispatch?.status ?? "unknown",
        costPerHour: (r.redispatch?.costUsd ?? 0) / hours,
        adjustments: (r.redispatch?.adjustments ?? []).map((a) => ({
          genRow: a.genRow,
          node: a.node,
          scheduledMW: a.scheduledMW,
          adjustedMW: a.adjustedMW,
        })),
      },
      prices: Object.entries(r.prices?.byNode ?? {}).map(([bus, total]) => ({
        bus: Number(bus),
        energy,
        congestion: total - energy,
        total,
      })),
      offers: (r.offers ?? []).map((o) => ({
        genRow: o.genRow,
        node: o.node,
        direction: o.direction === "decrease" ? ("decrease" as const) : ("increase" as const),
        mw: o.kwh / 1000 / hours,
        kwh: o.kwh,
        priceUsdPerMWh: o.usdPerMWh,
        usd: o.usd,
      })),
    },
    delivery: r.delivery?.map((d) => ({
      node: d.node,
      scheduledMW: d.scheduledMW,
      committedMW: d.committedMW,
      actualMW: d.actualMW,
    })),
  };
}

function checkRecord(value: unknown, where: string): PeriodRecord {
  const r = value as Partial<PeriodRecord>;
  if (typeof value !== "object" || value === null) throw new Error(`${where}: not an object`);
  for (const key of ["period", "start", "end"] as const) {
    if (!Number.isInteger(r[key])) throw new Error(`${where}.${key} must be an integer, got ${JSON.stringify(r[key])}`);
  }
  return r as PeriodRecord;
}

/** Writes `records` (sorted by period) and a summary, each atomically (temp file + rename). */
export function writeResults(dir: string, records: readonly PeriodRecord[], summary: Record<string, unknown>): void {
  mkdirSync(dir, { recursive: true });
  const sorted = [...records].sort((a, b) => a.period - b.period);
  writeAtomically(join(dir, PERIODS_FILE), JSON.stringify(sorted));
  writeAtomically(join(dir, SUMMARY_FILE), JSON.stringify(summary, null, 2));
}

function writeAtomically(path: string, text: string): void {
  mkdirSync(dirname(path), { recursive: true });
  writeFileSync(`${path}.tmp`, `${text}\n`);
  renameSync(`${path}.tmp`, path);
}

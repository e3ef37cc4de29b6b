/**
 * The centre's published per-period results, read-only: a results directory (what the day
 * simulation and the dashboard's demo write: periods.json, summary.json, …) served file by file
 * with every path kept inside the directory, and periods.json indexed by period.
 *
 * periods.json holds the one period record (oracle/agents/day-record.ts), served as it is; it is
 * re-read when its modification time changes, so a writer that replaces it (temp file + rename)
 * is picked up.
 */
import { existsSync, mkdirSync, readFileSync, realpathSync, renameSync, statSync, writeFileSync } from "node:fs";
import { dirname, isAbsolute, join, relative, resolve, sep } from "node:path";
import { isDelivered, recordPeriod } from "../../oracle/agents/day-record";
import { PERIOD_RECORD_VERSION } from "../../oracle/agents/day-schema";
import type { AnyPeriodRecord, PeriodIndexEntry, PeriodRecord } from "../shared/types";

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
  private cache?: {
    mtimeMs: number;
    size: number;
    records: AnyPeriodRecord[];
    byPeriod: Map<number, AnyPeriodRecord>;
  };

  constructor(readonly root: string) {
    if (!existsSync(root) || !statSync(root).isDirectory()) {
      throw new Error(`results directory ${resolve(root)} does not exist`);
    }
  }

  /** Every record, by period (empty while nothing is published yet). */
  records(): AnyPeriodRecord[] {
    return this.load().records;
  }

  record(period: number): AnyPeriodRecord | undefined {
    return this.load().byPeriod.get(period);
  }

  index(): PeriodIndexEntry[] {
    return this.records().map((r) => {
      const start = r.chainStart ?? r.utcStart;
      return {
        period: recordPeriod(r),
        start,
        end: start + r.periodMinutes * 60,
        stage: r.stage,
        studyViolations: r.violatedLines.length,
        actualViolations: isDelivered(r) ? r.violatedLinesActual.length : null,
      };
    });
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
      .map((r, i) => checkRecord(r, `${path}[${i}]`))
      .sort((a, b) => recordPeriod(a) - recordPeriod(b));
    this.cache = {
      mtimeMs: st.mtimeMs,
      size: st.size,
      records,
      byPeriod: new Map(records.map((r) => [recordPeriod(r), r])),
    };
    return this.cache;
  }
}

/**
 * A period record as written (oracle/agents/day-record.ts), checked for what the server indexes
 * by. Records written before the record had stages (version 1 day simulations) were all
 * delivered, without grid detail: they read as such.
 */
function checkRecord(value: unknown, where: string): AnyPeriodRecord {
  if (typeof value !== "object" || value === null) throw new Error(`${where}: not an object`);
  const r = value as Partial<Omit<PeriodRecord, "stage">> & { stage?: unknown };
  if (!Number.isInteger(r.index) || !Number.isFinite(r.utcStart)) {
    throw new Error(
      `${where}: not a period record (no integer index and utcStart; see docs/simulation.md) — results written by an older dashboard demo are not read: run it again`,
    );
  }
  if (r.chainPeriod !== null && r.chainPeriod !== undefined && !Number.isInteger(r.chainPeriod)) {
    throw new Error(`${where}.chainPeriod must be an integer or null, got ${JSON.stringify(r.chainPeriod)}`);
  }
  if (!Number.isInteger(r.periodMinutes) || (r.periodMinutes as number) <= 0) {
    throw new Error(`${where}.periodMinutes must be a positive integer, got ${JSON.stringify(r.periodMinutes)}`);
  }
  if (r.stage !== undefined && r.stage !== "studied" && r.stage !== "delivered") {
    throw new Error(`${where}.stage must be "studied" or "delivered", got ${JSON.stringify(r.stage)}`);
  }
  if (!Array.isArray(r.violatedLines)) throw new Error(`${where}.violatedLines must be an array`);
  return { ...r, stage: r.stage ?? "delivered", detail: r.detail ?? null } as AnyPeriodRecord;
}

/** Writes `records` (sorted by period) as periods.json and a summary, each atomically (temp file + rename). */
export function writeResults(dir: string, records: readonly AnyPeriodRecord[], summary: Record<string, unknown>): void {
  mkdirSync(dir, { recursive: true });
  const periods = [...records].sort((a, b) => recordPeriod(a) - recordPeriod(b));
  writeAtomically(join(dir, PERIODS_FILE), JSON.stringify({ recordVersion: PERIOD_RECORD_VERSION, periods }));
  writeAtomically(join(dir, SUMMARY_FILE), JSON.stringify(summary, null, 2));
}

function writeAtomically(path: string, text: string): void {
  mkdirSync(dirname(path), { recursive: true });
  writeFileSync(`${path}.tmp`, `${text}\n`);
  renameSync(`${path}.tmp`, path);
}

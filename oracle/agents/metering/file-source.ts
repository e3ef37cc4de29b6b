/**
 * Meter readings from files: one file, or every *.csv, *.json, *.jsonl and *.ndjson file directly
 * in a directory (other names — README, *.tmp of a writer that renames when done, dot-files — are
 * ignored). Each read() looks again, so new files and lines appended since the last poll are picked
 * up; a file is parsed again only when its size or modification time changed.
 *
 * Formats (docs/metering.md):
 *   CSV    a header line naming the columns (any order) — meter, period, energyWh, powerMw,
 *          quality, timestamp, signature (energyWh/powerMw: at least one column; signature optional)
 *          — then one record per line. Blank lines are skipped. Fields are bare: our values never
 *          contain commas or quotes, so no quoting is needed and a quote is an error (no CSV library).
 *   JSON   {"readings": [ {record}, … ]}
 *   JSONL  one {record} per line (append-friendly, like CSV)
 * A malformed record is a RejectedRecord naming file:line and the problem (and the meter and period
 * it names); a file that cannot be read as a whole (bad JSON document, CSV header, unreadable) is
 * one RejectedRecord; every other record is still read. Only a path that cannot be read at all
 * throws (MeterSourceUnavailableError).
 */
import { readdir, readFile, stat } from "node:fs/promises";
import type { Stats } from "node:fs";
import { extname, join } from "node:path";
import { MeterSourceUnavailableError } from "./errors";
import { parseJson, JsonSyntaxError } from "./json";
import {
  BatchBuilder,
  filterBatch,
  jsonRecord,
  queryFilter,
  readingsFromJsonText,
  RECORD_FIELDS,
  UNFINISHED,
  type RawField,
} from "./records";
import type { MeterSource, ReadingBatch, ReadingQuery } from "./types";
import { checkPeriodSeconds } from "./units";

export interface FileMeterSourceOptions {
  /** A readings file, or a directory of them. */
  readonly path: string;
  /** Period length, s (read from the oracle contract): converts powerMw to Wh. */
  readonly periodSeconds: number;
}

const EXTENSIONS = [".csv", ".json", ".jsonl", ".ndjson"];

export class FileMeterSource implements MeterSource {
  readonly description: string;
  private readonly periodSeconds: number;
  private readonly cache = new Map<string, { stamp: string; batch: ReadingBatch }>();

  constructor(private readonly options: FileMeterSourceOptions) {
    this.periodSeconds = checkPeriodSeconds(options.periodSeconds);
    this.description = `meter readings in ${options.path}`;
  }

  async read(query?: ReadingQuery): Promise<ReadingBatch> {
    const filter = queryFilter(query);
    const found = new BatchBuilder(this.periodSeconds);
    const files = await this.files();
    const present = new Set(files.map((f) => f.path));
    for (const path of this.cache.keys()) if (!present.has(path)) this.cache.delete(path); // removed or renamed
    for (const file of files) found.add(await this.readFile(file));
    return filterBatch(filter, found);
  }

  /** The files to read now, in name order; a file of the directory that cannot be stat'ed carries its error. */
  private async files(): Promise<{ path: string; stats?: Stats; error?: string }[]> {
    const { path } = this.options;
    const stats = await statOrFail(path);
    if (!stats.isDirectory()) return [{ path, stats }];
    let names: string[];
    try {
      names = await readdir(path);
    } catch (e) {
      throw new MeterSourceUnavailableError(path, `cannot list the directory (${(e as NodeJS.ErrnoException).code})`, {
        cause: e,
      });
    }
    const files: { path: string; stats?: Stats; error?: string }[] = [];
    for (const name of names.sort()) {
      if (name.startsWith(".") || !EXTENSIONS.includes(extname(name).toLowerCase())) continue;
      const file = join(path, name);
      try {
        const s = await stat(file);
        if (s.isFile()) files.push({ path: file, stats: s });
      } catch (e) {
        const code = (e as NodeJS.ErrnoException).code;
        if (code !== "ENOENT") files.push({ path: file, error: `cannot read (${code})` }); // ENOENT: renamed or removed since listed
      }
    }
    return files;
  }

  /**
   * One file's findings, parsed again only when it changed. A file of a directory that cannot be
   * read is one RejectedRecord (the other files are still read); the source's own file, a throw.
   */
  private async readFile(file: { path: string; stats?: Stats; error?: string }): Promise<ReadingBatch> {
    const { path, stats } = file;
    let error = file.error;
    const stamp = stats && `${stats.size}:${stats.mtimeMs}:${stats.ctimeMs}:${stats.ino}`;
    const cached = this.cache.get(path);
    if (stamp !== undefined && cached?.stamp === stamp) return cached.batch;
    let text: string | undefined;
    if (error === undefined) {
      try {
        text = await readFile(path, "utf8");
      } catch (e) {
        error = `cannot read (${(e as NodeJS.ErrnoException).code})`;
        if (path === this.options.path) throw new MeterSourceUnavailableError(path, error, { cause: e });
      }
    }
    if (text === undefined || stamp === undefined) {
      this.cache.delete(path);
      return { readings: [], rejected: [{ origin: path, problem: `${error} (the whole file is skipped)` }] };
    }
    const batch = parseReadingsText(text, path, this.periodSeconds);
    this.cache.set(path, { stamp, batch });
    return batch;
  }
}

async function statOrFail(path: string): Promise<Stats> {
  try {
    return await stat(path);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    throw new MeterSourceUnavailableError(
      path,
      code === "ENOENT" ? "no such file or directory" : `cannot read (${code})`,
      { cause: e },
    );
  }
}

/**
 * Parses a readings file's text by its extension; `name` prefixes every origin ("name:line").
 * Never throws for bad content: every problem is a RejectedRecord of the batch.
 */
export function parseReadingsText(text: string, name: string, periodSeconds: number): ReadingBatch {
  checkPeriodSeconds(periodSeconds);
  const body = text.startsWith("\uFEFF") ? text.slice(1) : text; // a byte-order mark from spreadsheet exports
  switch (extname(name).toLowerCase()) {
    case ".csv":
      return parseCsv(body, name, periodSeconds);
    case ".json":
      return readingsFromJsonText(body, (line) => `${name}:${line}`, periodSeconds, "file");
    case ".jsonl":
    case ".ndjson":
      return parseJsonLines(body, name, periodSeconds);
    default:
      return {
        readings: [],
        rejected: [
          { origin: name, problem: `unsupported file type: use ${EXTENSIONS.join(", ")} (the whole file is skipped)` },
        ],
      };
  }
}

/**
 * The lines of a file, each with its origin, skipping blank ones; `unfinished` marks a last line
 * with no newline yet (a writer may still be appending it).
 */
function* linesOf(text: string, name: string): Generator<{ line: string; origin: string; unfinished: boolean }> {
  const lines = text.split("\n");
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i].endsWith("\r") ? lines[i].slice(0, -1) : lines[i];
    if (line.trim() !== "") yield { line, origin: `${name}:${i + 1}`, unfinished: i === lines.length - 1 };
  }
}

function parseCsv(text: string, name: string, periodSeconds: number): ReadingBatch {
  const batch = new BatchBuilder(periodSeconds);
  let header: string[] | undefined;
  for (const { line, origin, unfinished } of linesOf(text, name)) {
    const cells = line.split(",").map((c) => c.trim());
    if (header === undefined) {
      const problem = headerProblem(cells, line);
      if (problem !== undefined) {
        batch.reject(origin, `header: ${problem} (the whole file is skipped)`);
        return batch;
      }
      header = cells;
      continue;
    }
    const fields = new Map<string, RawField>();
    header.forEach((column, k) => {
      if (cells[k] !== undefined && cells[k] !== "") fields.set(column, { kind: "text", text: cells[k] });
    });
    // The record is refused as a whole, but still names its meter and period where it can.
    if (line.includes('"')) {
      batch.rejectRecord(fields, origin, "quoted fields are not supported (no field needs quotes)", unfinished);
    } else if (cells.length !== header.length) {
      const problem = `${cells.length} fields, but the header has ${header.length} columns`;
      batch.rejectRecord(fields, origin, problem, unfinished);
    } else batch.record(fields, origin, unfinished);
  }
  return batch;
}

/** What is wrong with a CSV header line, or undefined. */
function headerProblem(cells: readonly string[], line: string): string | undefined {
  if (line.includes('"')) return "quoted fields are not supported (no field needs quotes)";
  const seen = new Set<string>();
  for (const cell of cells) {
    if (!(RECORD_FIELDS as readonly string[]).includes(cell)) {
      return `unknown column "${cell}" (columns: ${RECORD_FIELDS.join(", ")})`;
    }
    if (seen.has(cell)) return `column "${cell}" appears twice`;
    seen.add(cell);
  }
  for (const column of ["meter", "period", "quality", "timestamp"]) {
    if (!seen.has(column)) return `column "${column}" is missing`;
  }
  if (!seen.has("energyWh") && !seen.has("powerMw")) return 'neither an "energyWh" nor a "powerMw" column';
  return undefined;
}

function parseJsonLines(text: string, name: string, periodSeconds: number): ReadingBatch {
  const batch = new BatchBuilder(periodSeconds);
  for (const { line, origin, unfinished } of linesOf(text, name)) {
    try {
      jsonRecord(batch, parseJson(line), origin, unfinished);
    } catch (e) {
      if (!(e instanceof JsonSyntaxError)) throw e;
      batch.reject(origin, `invalid JSON: ${e.problem}${unfinished ? UNFINISHED : ""}`);
    }
  }
  return batch;
}

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
 * Every malformed record is a MeterFormatError naming file:line and the problem.
 */
import { readdir, readFile, stat } from "node:fs/promises";
import type { Stats } from "node:fs";
import { extname, join } from "node:path";
import { MeterFormatError, MeterSourceUnavailableError } from "./errors";
import {
  matches,
  parseJsonOrFail,
  parseRecord,
  queryFilter,
  readingsFromJson,
  RECORD_FIELDS,
  recordFields,
  type RawField,
} from "./records";
import type { MeterReading, MeterSource, ReadingQuery } from "./types";
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
  private readonly cache = new Map<string, { stamp: string; readings: MeterReading[] }>();

  constructor(private readonly options: FileMeterSourceOptions) {
    this.periodSeconds = checkPeriodSeconds(options.periodSeconds);
    this.description = `meter readings in ${options.path}`;
  }

  async read(query?: ReadingQuery): Promise<MeterReading[]> {
    const filter = queryFilter(query);
    const readings: MeterReading[] = [];
    const files = await this.files();
    const present = new Set(files.map((f) => f.path));
    for (const path of this.cache.keys()) if (!present.has(path)) this.cache.delete(path); // removed or renamed
    for (const file of files) {
      for (const r of await this.readFile(file.path, file.stats)) if (matches(filter, r)) readings.push(r);
    }
    return readings;
  }

  /** The files to read now, in name order. */
  private async files(): Promise<{ path: string; stats: Stats }[]> {
    const { path } = this.options;
    const stats = await statOrFail(path);
    if (!stats.isDirectory()) {
      if (!EXTENSIONS.includes(extname(path).toLowerCase())) {
        throw new MeterFormatError(path, `unsupported file type: use ${EXTENSIONS.join(", ")}`);
      }
      return [{ path, stats }];
    }
    let names: string[];
    try {
      names = await readdir(path);
    } catch (e) {
      throw new MeterSourceUnavailableError(path, `cannot list the directory (${(e as NodeJS.ErrnoException).code})`);
    }
    const files: { path: string; stats: Stats }[] = [];
    for (const name of names.sort()) {
      if (name.startsWith(".") || !EXTENSIONS.includes(extname(name).toLowerCase())) continue;
      const file = join(path, name);
      let s: Stats;
      try {
        s = await stat(file);
      } catch (e) {
        if ((e as NodeJS.ErrnoException).code === "ENOENT") continue; // renamed or removed since listed
        throw new MeterSourceUnavailableError(file, `cannot read (${(e as NodeJS.ErrnoException).code})`);
      }
      if (s.isFile()) files.push({ path: file, stats: s });
    }
    return files;
  }

  private async readFile(path: string, stats: Stats): Promise<MeterReading[]> {
    const stamp = `${stats.size}:${stats.mtimeMs}:${stats.ctimeMs}:${stats.ino}`;
    const cached = this.cache.get(path);
    if (cached?.stamp === stamp) return cached.readings;
    let text: string;
    try {
      text = await readFile(path, "utf8");
    } catch (e) {
      throw new MeterSourceUnavailableError(path, `cannot read (${(e as NodeJS.ErrnoException).code})`);
    }
    const readings = parseReadingsText(text, path, this.periodSeconds);
    this.cache.set(path, { stamp, readings });
    return readings;
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
    );
  }
}

/** Parses a readings file's text by its extension; `name` prefixes every origin ("name:line"). */
export function parseReadingsText(text: string, name: string, periodSeconds: number): MeterReading[] {
  checkPeriodSeconds(periodSeconds);
  const body = text.startsWith("\uFEFF") ? text.slice(1) : text; // a byte-order mark from spreadsheet exports
  switch (extname(name).toLowerCase()) {
    case ".csv":
      return parseCsv(body, name, periodSeconds);
    case ".json":
      return parseJsonDocument(body, name, periodSeconds);
    case ".jsonl":
    case ".ndjson":
      return parseJsonLines(body, name, periodSeconds);
    default:
      throw new MeterFormatError(name, `unsupported file type: use ${EXTENSIONS.join(", ")}`);
  }
}

function parseCsv(text: string, name: string, periodSeconds: number): MeterReading[] {
  const lines = text.split("\n");
  let header: string[] | undefined;
  const readings: MeterReading[] = [];
  for (let i = 0; i < lines.length; i++) {
    const origin = `${name}:${i + 1}`;
    const line = lines[i].endsWith("\r") ? lines[i].slice(0, -1) : lines[i];
    if (line.trim() === "") continue;
    if (line.includes('"')) {
      throw new MeterFormatError(origin, "quoted fields are not supported (no field needs quotes)");
    }
    const cells = line.split(",").map((c) => c.trim());
    if (header === undefined) {
      header = checkHeader(cells, origin);
      continue;
    }
    if (cells.length !== header.length) {
      throw new MeterFormatError(origin, `${cells.length} fields, but the header has ${header.length} columns`);
    }
    const fields = new Map<string, RawField>();
    header.forEach((column, k) => {
      if (cells[k] !== "") fields.set(column, { kind: "text", text: cells[k] });
    });
    const reading = parseRecord(fields, origin, periodSeconds);
    if (reading) readings.push(reading);
  }
  return readings;
}

function checkHeader(cells: readonly string[], origin: string): string[] {
  const fail = (problem: string): never => {
    throw new MeterFormatError(origin, `header: ${problem}`);
  };
  const seen = new Set<string>();
  for (const cell of cells) {
    if (!(RECORD_FIELDS as readonly string[]).includes(cell)) {
      fail(`unknown column "${cell}" (columns: ${RECORD_FIELDS.join(", ")})`);
    }
    if (seen.has(cell)) fail(`column "${cell}" appears twice`);
    seen.add(cell);
  }
  for (const column of ["meter", "period", "quality", "timestamp"]) {
    if (!seen.has(column)) fail(`column "${column}" is missing`);
  }
  if (!seen.has("energyWh") && !seen.has("powerMw")) fail('neither an "energyWh" nor a "powerMw" column');
  return [...cells];
}

function parseJsonDocument(text: string, name: string, periodSeconds: number): MeterReading[] {
  return readingsFromJson(
    parseJsonOrFail(text, (line) => `${name}:${line}`),
    (line) => `${name}:${line}`,
    periodSeconds,
  );
}

function parseJsonLines(text: string, name: string, periodSeconds: number): MeterReading[] {
  const readings: MeterReading[] = [];
  const lines = text.split("\n");
  for (let i = 0; i < lines.length; i++) {
    if (lines[i].trim() === "") continue;
    const origin = `${name}:${i + 1}`;
    const node = parseJsonOrFail(lines[i], () => origin);
    if (node.kind !== "object")
      throw new MeterFormatError(origin, `expected a reading object, got a JSON ${node.kind}`);
    const reading = parseRecord(recordFields(node), origin, periodSeconds);
    if (reading) readings.push(reading);
  }
  return readings;
}

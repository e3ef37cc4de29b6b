/**
 * The per-period record's schema (oracle/agents/day-schema.ts) against what is written and
 * documented: a record of a simulated day has exactly the schema's fields, periods.csv's columns
 * are the schema's, and docs/simulation.md's table is the schema's.
 */
import { readFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { expect } from "chai";
import { loadCase } from "../../../oracle";
import { simulateDay, type DayResult } from "../../../oracle/agents/day";
import {
  PERIOD_RECORD_SCHEMA,
  periodsCsv,
  schemaTable,
  UNIT_COLUMNS,
  valueOf,
} from "../../../oracle/agents/day-schema";
import { parseCivilDate } from "../../../oracle/market/profiles";
import { profileOf } from "../market/profile-fixtures";

const ROOT = resolve(__dirname, "../../..");
/** Maps keyed by node or function name, and the grid detail: one field each, as arrays are. */
const MAPS = new Set(["prices.byNode", "gasByFunction", "detail"]);

/** The dotted paths of a record's fields: scalars, with arrays and maps as one field each. */
function fieldPaths(value: unknown, prefix = ""): string[] {
  return Object.entries(value as Record<string, unknown>).flatMap(([k, v]) => {
    const path = prefix ? `${prefix}.${k}` : k;
    if (v === null || typeof v !== "object" || Array.isArray(v) || MAPS.has(path)) return [path];
    return fieldPaths(v, path);
  });
}

/** The cells of the Markdown table after `marker` in `text` (header and separator left out). */
function markdownTable(text: string, marker: string): string[][] {
  const lines = text.slice(text.indexOf(marker)).split("\n").slice(1);
  const table = lines.slice(lines.findIndex((l) => l.startsWith("|")));
  const rows = table.slice(
    0,
    table.findIndex((l) => !l.startsWith("|")),
  );
  return rows.slice(2).map((row) =>
    row
      .slice(1, -1)
      .split(/(?<!\\)\|/)
      .map((cell) => cell.trim().replace(/\\\|/g, "|")),
  );
}

describe("the per-period record's schema (oracle/agents/day-schema.ts)", function () {
  this.timeout(120_000);
  let day: DayResult;

  before(async () => {
    day = await simulateDay({
      case: loadCase(join(ROOT, "cases/seed34.json")),
      date: parseCivilDate("2026-06-15"),
      start: 22,
      periods: 3,
      profile: profileOf((q) => 15 + 45 * Math.exp(-(((q / 4 - 11.5) / 3) ** 2))),
      pv: { latitude: 52.5, longitude: 13.4, clouds: 0.1 },
      seed: "a",
    });
  });

  it("describes every field of a record, each once, and nothing else", () => {
    const described = PERIOD_RECORD_SCHEMA.flatMap((row) => ("path" in row ? [row.path as string] : []));
    expect(new Set(described).size, "a field described twice").to.equal(described.length);
    for (const r of day.periods) expect(fieldPaths(r).sort()).to.deep.equal([...described].sort());
  });

  it("makes periods.csv: its columns, then one per market unit, with each record's values", () => {
    const units = day.generators.map((g) => ({ genRow: g.genRow, node: g.node }));
    const [header, ...rows] = periodsCsv(day.periods, units).trim().split("\n");
    const columns = PERIOD_RECORD_SCHEMA.flatMap((row) => (row.column ? [row.column] : []));
    expect(header.split(",")).to.deep.equal([
      ...columns,
      ...UNIT_COLUMNS.flatMap((c) => units.map((u) => c.column(u))),
    ]);
    expect(new Set(header.split(",")).size).to.equal(header.split(",").length);
    expect(rows).to.have.length(day.periods.length);
    const demand = columns.indexOf("demandMW");
    const schemaRow = PERIOD_RECORD_SCHEMA.find((row) => row.column === "demandMW")!;
    rows.forEach((row, k) =>
      expect(Number(row.split(",")[demand])).to.be.closeTo(valueOf(schemaRow, day.periods[k]) as number, 1e-9),
    );
  });

  it("is the table in docs/simulation.md", () => {
    const docs = readFileSync(join(ROOT, "docs/simulation.md"), "utf8");
    expect(markdownTable(docs, "<!-- period-record-schema")).to.deep.equal(schemaTable().slice(1));
  });
});

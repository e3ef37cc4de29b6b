/**
 * The per-period record's schema, in one table (PyPSA's attribute tables are the model): every
 * field of PeriodRecord (day-record.ts) with its type, unit and meaning, and the CSV column it
 * fills. periods.csv's columns are made from this table (periodsCsv), docs/simulation.md's table
 * of the record is checked against it, and a test checks that a record has exactly these fields.
 *
 * PERIOD_RECORD_VERSION is written into periods.json (`recordVersion`); readers refuse a newer one.
 * Change it when a field changes meaning or goes away (a field added is not a new version).
 */
import type { PeriodRecord } from "./day-record";
import { lineNames } from "./day-record";

export const PERIOD_RECORD_VERSION = 1;

type Leaf = string | number | boolean | null;
/** Dotted paths to the record's fields: scalars, and arrays and maps as a whole. */
type FieldPath<T> = {
  [K in keyof T & string]: T[K] extends Leaf
    ? K
    : T[K] extends readonly unknown[]
      ? K
      : K extends "byNode" | "gasByFunction" | "detail"
        ? K
        : `${K}.${FieldPath<T[K]>}`;
}[keyof T & string];

export type PeriodRecordPath = FieldPath<PeriodRecord>;

export type FieldType =
  | "integer"
  | "integer or null"
  | "number"
  | "number or null"
  | "string"
  | "string or null"
  | "boolean"
  | "array"
  | "map";

interface FieldBase {
  readonly type: FieldType;
  /** SI-style unit, "" for none (counts, names, ratios say so in the description). */
  readonly unit: string;
  readonly description: string;
}

/** A field of the record, and the CSV column that carries it as it is (if any). */
export interface RecordField extends FieldBase {
  readonly path: PeriodRecordPath;
  readonly column?: string;
}

/** A CSV column computed from fields of the record. */
export interface DerivedColumn extends FieldBase {
  readonly column: string;
  readonly from: readonly PeriodRecordPath[];
  readonly value: (r: PeriodRecord) => unknown;
}

export type SchemaRow = RecordField | DerivedColumn;

const field = (
  path: PeriodRecordPath,
  column: string | undefined,
  type: FieldType,
  unit: string,
  description: string,
): RecordField => ({ path, column, type, unit, description });

const derived = (
  column: string,
  from: readonly PeriodRecordPath[],
  type: FieldType,
  unit: string,
  description: string,
  value: (r: PeriodRecord) => unknown,
): DerivedColumn => ({ column, from, type, unit, description, value });

/** The market units' energy over the period from their delivery rows (MW → kWh). */
const energyKwh = (r: PeriodRecord, mw: (d: PeriodRecord["delivery"][number]) => number): number =>
  r.delivery.reduce((sum, d) => sum + mw(d), 0) * r.periodMinutes * (1000 / 60);

/** The schema, in CSV column order; fields without a column are in periods.json only. */
export const PERIOD_RECORD_SCHEMA: readonly SchemaRow[] = [
  field("stage", "stage", "string", "", "studied (study, offers, fills) or delivered (and the period as it ran)"),
  field("index", "index", "integer", "", "day period, 0 = the first of the date"),
  field("date", "date", "string", "", "local date, YYYY-MM-DD"),
  field("localTime", "localTime", "string", "", "local start time, HH:MM"),
  field("utcStart", "utcStart", "integer", "s", "real start, Unix time"),
  field("periodMinutes", undefined, "integer", "min", "length of the market period"),
  field("chainPeriod", "chainPeriod", "integer or null", "", "chain period that delivered it (null: grid side only)"),
  field("chainStart", undefined, "integer or null", "s", "start of the chain period, Unix time"),
  field("demandMW", "demandMW", "number", "MW", "demand of the period"),
  field("pvMW", "pvMW", "number", "MW", "PV output"),
  field(
    "pvAvailability",
    "pvAvailability",
    "number or null",
    "",
    "PV output / PV peak, 0–1 (null: no weather, the case's schedule)",
  ),
  field("cloudCover", "cloudCover", "number or null", "", "cloud cover, 0–1 (null: no weather)"),
  field("netLoadMW", "netLoadMW", "number", "MW", "demand less PV"),
  field("lossesMW", "lossesMW", "number", "MW", "active losses of the study's load flow"),
  field("before.lines", "linesBefore", "integer", "", "lines over a limit before redispatch"),
  derived("linesBeforeNames", ["violatedLines"], "string", "", "those lines, named from-to", (r) =>
    lineNames(r.violatedLines).join(" "),
  ),
  field("before.voltages", "voltagesBefore", "integer", "", "buses outside their voltage band before redispatch"),
  field("before.frequency", "frequencyBefore", "boolean", "", "frequency outside its band before redispatch"),
  field("before.maxLoading", "maxLoadingBefore", "number", "", "largest |mean flow| / limit of the limited lines"),
  field("redispatch.status", "redispatchStatus", "string", "", "solved, infeasible or none"),
  field("redispatch.rounds", "rounds", "integer", "", "LP rounds of the AC-corrected redispatch"),
  field(
    "redispatch.costUsd",
    "redispatchCostUsd",
    "number",
    "USD",
    "adjustments at the units' bids plus the master's energy change at its price, over the period",
  ),
  derived(
    "unmetLimits",
    ["redispatch.unmet"],
    "integer",
    "",
    "limits the redispatch could not meet",
    (r) => r.redispatch.unmet.length,
  ),
  field("after.lines", "linesAfter", "integer", "", "lines over a limit after redispatch (the plan)"),
  field("after.voltages", "voltagesAfter", "integer", "", "buses outside their band after redispatch"),
  field("after.maxLoading", "maxLoadingAfter", "number", "", "largest loading after redispatch"),
  field("prices.energyUsdPerMWh", "energyPriceUsdPerMWh", "number", "USD/MWh", "energy price (λ)"),
  field("prices.minUsdPerMWh", "minLmpUsdPerMWh", "number", "USD/MWh", "lowest nodal price"),
  field("prices.maxUsdPerMWh", "maxLmpUsdPerMWh", "number", "USD/MWh", "highest nodal price"),
  derived("offers", ["offers"], "integer", "", "offers the study priced", (r) => r.offers.length),
  field("offersKwh", "offersKwh", "number", "kWh", "energy of those offers"),
  field("offersUsd", "offersUsd", "number", "USD", "value of those offers"),
  field(
    "bids.sealed",
    "bidsSealed",
    "integer or null",
    "",
    "sealed bids for the period at its bid gate (null: no bid book)",
  ),
  field("bids.revealed", "bidsRevealed", "integer or null", "", "bids revealed for it, all in the study"),
  field("bids.bidUnits", "bidUnits", "integer or null", "", "market units priced by bids"),
  field(
    "bids.fallbackUnits",
    "fallbackUnits",
    "integer or null",
    "",
    "market units nobody bid for (operation data's terms)",
  ),
  field(
    "bids.pricingRule",
    "bidPricingRule",
    "string or null",
    "",
    "the selection's pricing rule: pay-as-bid or nodal",
  ),
  field("bids.steps", "bidStepsSelected", "integer or null", "", "bid steps the selection takes"),
  field("bids.selectedKwh", "bidSelectedKwh", "number or null", "kWh", "energy of the selected steps"),
  field("bids.selectedUsd", "bidSelectedUsd", "number or null", "USD", "what the selection pays under its rule"),
  field("bids.payAsBidUsd", "bidPayAsBidUsd", "number or null", "USD", "the selected steps at their bids"),
  field(
    "bids.nodalUsd",
    "bidNodalUsd",
    "number or null",
    "USD",
    "the selected steps at their nodal value, never below the bid",
  ),
  field(
    "bids.reservedFilledKwh",
    "reservedFilledKwh",
    "number or null",
    "kWh",
    "fills of the offers reserved for selected bidders",
  ),
  field("bids.reservedFilledUsd", "reservedFilledUsd", "number or null", "USD", "value of those fills (the chain's)"),
  field(
    "bids.unfilledCount",
    "bidsUnfilled",
    "integer or null",
    "",
    "selected bidders that did not fill their reserved offer (listed in bids.unfilled)",
  ),
  field("posted", "posted", "integer or null", "", "offers signed and posted on chain (null: grid side only)"),
  field("postedUsd", "postedUsd", "number or null", "USD", "value of the posted offers"),
  field(
    "fills",
    "fills",
    "integer",
    "",
    "fills of the period's offers on chain, whoever filled (grid side only: every offer)",
  ),
  field("filledKwh", "filledKwh", "number", "kWh", "energy committed by the fills"),
  field("filledUsd", "filledUsd", "number", "USD", "value of the fills"),
  derived("baselineKwh", ["delivery"], "number", "kWh", "the market units' scheduled energy", (r) =>
    energyKwh(r, (d) => d.scheduledMW),
  ),
  derived("actualKwh", ["delivery"], "number", "kWh", "the market units' actual energy", (r) =>
    energyKwh(r, (d) => d.actualMW),
  ),
  field("committedKwh", "committedKwh", "number", "kWh", "|committed| energy of the units"),
  field("deliveredKwh", "deliveredKwh", "number", "kWh", "the part of it delivered, in its direction"),
  field("actual.lines", "linesActual", "integer", "", "lines over a limit as delivered"),
  derived("linesActualNames", ["violatedLinesActual"], "string", "", "those lines, named from-to", (r) =>
    lineNames(r.violatedLinesActual).join(" "),
  ),
  field("actual.voltages", "voltagesActual", "integer", "", "buses outside their band as delivered"),
  field("actual.vmMin", "vmMin", "number", "p.u.", "lowest bus voltage as delivered"),
  field("actual.vmMax", "vmMax", "number", "p.u.", "highest bus voltage as delivered"),
  field("usdPaid", "usdPaid", "number or null", "USD", "paid to generators for the period's positions, whenever"),
  field("kwhMoved", "kwhMoved", "number or null", "kWh", "moved to the centre by those settlements"),
  field("positionsSettled", "positionsSettled", "integer or null", "", "the period's positions settled"),
  field("positionsOpen", "positionsOpen", "integer or null", "", "the period's positions open at the end"),
  field("gas", "gas", "integer or null", "gas", "gas of the period's market step"),
  field("wallMs", "wallMs", "number or null", "ms", "wall time of the period's step (null: not measured)"),
  // periods.json only.
  field("after.frequency", undefined, "boolean", "", "frequency outside its band after redispatch"),
  field("actual.frequency", undefined, "boolean", "", "frequency outside its band as delivered"),
  field("actual.maxLoading", undefined, "number", "", "largest loading as delivered"),
  field("actual.vmMean", undefined, "number", "p.u.", "mean bus voltage as delivered"),
  field(
    "violatedLines",
    undefined,
    "array",
    "MW",
    "lines over a limit before redispatch: branchRow, from, to, kind (active: MW, apparent: MVA), value, limit, deviation",
  ),
  field("violatedLinesAfter", undefined, "array", "MW", "lines over a limit after redispatch"),
  field("violatedLinesActual", undefined, "array", "MW", "lines over a limit as delivered"),
  field(
    "redispatch.adjustments",
    undefined,
    "array",
    "MW",
    "per unit moved: genRow, node, kind, scheduledMW, adjustedMW, deltaMW",
  ),
  field("redispatch.unmet", undefined, "array", "MW", "limits not met: description, excessMW"),
  field("prices.byNode", undefined, "map", "USD/MWh", "total LMP by node (every bus up to 200 buses, else the units')"),
  field("offers", undefined, "array", "kWh, USD", "the offers priced: genRow, node, direction, kwh, usd, usdPerMWh"),
  field(
    "delivery",
    undefined,
    "array",
    "MW",
    "per market unit: address (null: grid side only), node, scheduledMW, committedMW, actualMW, meterOffline",
  ),
  field(
    "bids.selection",
    undefined,
    "array",
    "kWh, USD/MWh",
    "the selected steps: generator, node, direction, step, kwh, bidUsdPerMWh, nodalUsdPerMWh, paidUsdPerMWh",
  ),
  field(
    "bids.unfilled",
    undefined,
    "array",
    "",
    "addresses of the selected bidders that did not fill their reserved offer",
  ),
  field("gasByFunction", undefined, "map", "gas", "the period's gas by contract function"),
  field("problems", undefined, "array", "", "what the centre reported as wrong or dropped"),
  field(
    "detail",
    undefined,
    "map",
    "MW, MVAr, p.u., degrees, USD/MWh",
    "cases up to 200 buses (else null): study and actual load flows (buses vm/va, gens pg/qg, branches pf/qf/pt/qt, losses), buses outside their band, every line's sensitivity to every unit (MW/MW), prices by component (record-detail.ts)",
  ),
];

/** The per-unit columns after the schema's: each market unit's adjustment and its node's price. */
export interface UnitColumns {
  readonly genRow: number;
  readonly node: number;
}

export const UNIT_COLUMNS = [
  {
    column: (u: UnitColumns) => `deltaMW_gen${u.genRow}@${u.node}`,
    pattern: "deltaMW_gen<genRow>@<node>",
    from: "redispatch.adjustments",
    unit: "MW",
    description: "the unit's adjustment",
    value: (r: PeriodRecord, u: UnitColumns) =>
      r.redispatch.adjustments.find((a) => a.genRow === u.genRow)?.deltaMW ?? 0,
  },
  {
    column: (u: UnitColumns) => `lmp@${u.node}`,
    pattern: "lmp@<node>",
    from: "prices.byNode",
    unit: "USD/MWh",
    description: "total nodal price at the unit's node",
    value: (r: PeriodRecord, u: UnitColumns) => r.prices.byNode[String(u.node)] ?? "",
  },
] as const;

/** A schema row's value in a record. */
export function valueOf(row: SchemaRow, r: PeriodRecord): unknown {
  if ("value" in row) return row.value(r);
  return row.path.split(".").reduce<unknown>((v, k) => (v as Record<string, unknown>)[k], r);
}

/** periods.csv: the schema's columns, then the per-unit ones, one row per period. */
export function periodsCsv(periods: readonly PeriodRecord[], units: readonly UnitColumns[]): string {
  const columns = PERIOD_RECORD_SCHEMA.filter((row) => row.column !== undefined);
  const header = [...columns.map((row) => row.column), ...UNIT_COLUMNS.flatMap((c) => units.map((u) => c.column(u)))];
  const row = (r: PeriodRecord): unknown[] => [
    ...columns.map((c) => valueOf(c, r)),
    ...UNIT_COLUMNS.flatMap((c) => units.map((u) => c.value(r, u))),
  ];
  return [header, ...periods.map(row)].map((cells) => cells.map(csvCell).join(",")).join("\n") + "\n";
}

function csvCell(x: unknown): string {
  if (x === null || x === undefined) return "";
  if (typeof x === "number") return Number.isFinite(x) ? String(Number(x.toPrecision(12))) : "";
  const s = String(x);
  return /[",\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
}

/** The schema for people, one row per field or column: field, CSV column, type, unit, meaning. */
export function schemaTable(): string[][] {
  return [
    ["field", "CSV column", "type", "unit", "meaning"],
    ...PERIOD_RECORD_SCHEMA.map((row) => [
      "path" in row ? `\`${row.path}\`` : `from ${row.from.map((f) => `\`${f}\``).join(", ")}`,
      row.column ? `\`${row.column}\`` : "",
      row.type,
      row.unit,
      row.description,
    ]),
    ...UNIT_COLUMNS.map((c) => [`from \`${c.from}\``, `\`${c.pattern}\``, "number", c.unit, c.description]),
  ];
}

/** The schema as a Markdown table (docs/simulation.md holds it; a test compares them). */
export function schemaMarkdown(): string {
  const line = (cells: readonly string[]): string => `| ${cells.map((c) => c.replace(/\|/g, "\\|")).join(" | ")} |`;
  const [header, ...rows] = schemaTable();
  return [line(header), line(header.map(() => "---")), ...rows.map(line)].join("\n");
}

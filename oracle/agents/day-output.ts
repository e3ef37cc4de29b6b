/**
 * What a simulated day leaves behind, in one directory: summary.json, periods.json, periods.csv,
 * the plots as SVG, report.html, case.json (the case the market ran on, operation data included)
 * and market.log (every agent's log line).
 *
 * Written into a temporary sibling directory and renamed into place at the end: a failure leaves
 * the output directory as it was — never half-written.
 */
import { existsSync, mkdirSync, renameSync, rmSync, writeFileSync } from "node:fs";
import { basename, dirname, join, resolve } from "node:path";
import type { DayResult } from "./day";
import { lineNames, type PeriodRecord } from "./day-record";
import { dayPlots, renderSvg, reportHtml, type Plot } from "./day-plots";

export interface WrittenDay {
  readonly dir: string;
  readonly files: readonly string[];
}

export async function writeDayOutputs(
  day: DayResult,
  outDir: string,
  logLines: readonly string[] = [],
): Promise<WrittenDay> {
  const dir = resolve(outDir);
  mkdirSync(dirname(dir), { recursive: true });
  const tmp = join(dirname(dir), `.${basename(dir)}.partial-${process.pid}`);
  rmSync(tmp, { recursive: true, force: true });
  mkdirSync(tmp);
  const files: string[] = [];
  const write = (name: string, text: string): void => {
    writeFileSync(join(tmp, name), text);
    files.push(name);
  };
  try {
    write("summary.json", `${JSON.stringify(day.summary, null, 2)}\n`);
    write(
      "periods.json",
      `${JSON.stringify({ lines: day.lines.names, generators: day.generators, periods: day.periods }, null, 1)}\n`,
    );
    write("periods.csv", periodsCsv(day));
    write("case.json", day.caseText);
    write("market.log", logLines.length > 0 ? `${logLines.join("\n")}\n` : "");
    const rendered: { plot: Plot; svg: string }[] = [];
    for (const plot of dayPlots(day)) {
      const svg = await renderSvg(plot.spec);
      write(`${plot.name}.svg`, svg);
      rendered.push({ plot, svg });
    }
    write("report.html", reportHtml(day, rendered));
    // Swap in: the old directory (if any) moves aside first, and goes only once the new one is in place.
    const old = join(dirname(dir), `.${basename(dir)}.old-${process.pid}`);
    const hadOld = existsSync(dir);
    if (hadOld) renameSync(dir, old);
    renameSync(tmp, dir);
    if (hadOld) rmSync(old, { recursive: true, force: true });
    return { dir, files };
  } catch (e) {
    rmSync(tmp, { recursive: true, force: true });
    throw e;
  }
}

/** One row per period; the market units' adjustments (MW) and nodal prices (USD/MWh) as columns of their own. */
export function periodsCsv(day: DayResult): string {
  const units = day.generators.map((g) => ({ genRow: g.genRow, node: g.node }));
  const header = [
    "index",
    "date",
    "localTime",
    "utcStart",
    "chainPeriod",
    "demandMW",
    "pvMW",
    "pvAvailability",
    "cloudCover",
    "netLoadMW",
    "lossesMW",
    "linesBefore",
    "linesBeforeNames",
    "voltagesBefore",
    "frequencyBefore",
    "maxLoadingBefore",
    "redispatchStatus",
    "rounds",
    "redispatchCostUsd",
    "unmetLimits",
    "linesAfter",
    "voltagesAfter",
    "maxLoadingAfter",
    "energyPriceUsdPerMWh",
    "minLmpUsdPerMWh",
    "maxLmpUsdPerMWh",
    "offers",
    "offersKwh",
    "offersUsd",
    "posted",
    "postedUsd",
    "fills",
    "filledKwh",
    "filledUsd",
    "baselineKwh",
    "actualKwh",
    "committedKwh",
    "deliveredKwh",
    "linesActual",
    "linesActualNames",
    "voltagesActual",
    "vmMin",
    "vmMax",
    "usdPaid",
    "kwhMoved",
    "positionsSettled",
    "positionsOpen",
    "gas",
    "wallMs",
    ...units.map((u) => `deltaMW_gen${u.genRow}@${u.node}`),
    ...units.map((u) => `lmp@${u.node}`),
  ];
  const row = (r: PeriodRecord): unknown[] => [
    r.index,
    r.date,
    r.localTime,
    r.utcStart,
    r.chainPeriod,
    r.demandMW,
    r.pvMW,
    r.pvAvailability,
    r.cloudCover,
    r.netLoadMW,
    r.lossesMW,
    r.before.lines,
    lineNames(r.violatedLines).join(" "),
    r.before.voltages,
    r.before.frequency,
    r.before.maxLoading,
    r.redispatch.status,
    r.redispatch.rounds,
    r.redispatch.costUsd,
    r.redispatch.unmet.length,
    r.after.lines,
    r.after.voltages,
    r.after.maxLoading,
    r.prices.energyUsdPerMWh,
    r.prices.minUsdPerMWh,
    r.prices.maxUsdPerMWh,
    r.offers.length,
    r.offersKwh,
    r.offersUsd,
    r.posted,
    r.postedUsd,
    r.fills,
    r.filledKwh,
    r.filledUsd,
    baselineKwh(r),
    actualKwh(r),
    r.committedKwh,
    r.deliveredKwh,
    r.actual.lines,
    lineNames(r.violatedLinesActual).join(" "),
    r.actual.voltages,
    r.actual.vmMin,
    r.actual.vmMax,
    r.usdPaid,
    r.kwhMoved,
    r.positionsSettled,
    r.positionsOpen,
    r.gas,
    r.wallMs,
    ...units.map((u) => r.redispatch.adjustments.find((a) => a.genRow === u.genRow)?.deltaMW ?? 0),
    ...units.map((u) => r.prices.byNode[String(u.node)] ?? ""),
  ];
  return [header, ...day.periods.map(row)].map((cells) => cells.map(csvCell).join(",")).join("\n") + "\n";
}

/** The market units' scheduled (baseline) and actual output over the period, kWh. */
const energyKwh = (r: PeriodRecord, mw: (d: PeriodRecord["delivery"][number]) => number): number =>
  r.delivery.reduce((sum, d) => sum + mw(d), 0) * r.periodMinutes * (1000 / 60);
const baselineKwh = (r: PeriodRecord): number => energyKwh(r, (d) => d.scheduledMW);
const actualKwh = (r: PeriodRecord): number => energyKwh(r, (d) => d.actualMW);

function csvCell(x: unknown): string {
  if (x === null || x === undefined) return "";
  if (typeof x === "number") return Number.isFinite(x) ? String(Number(x.toPrecision(12))) : "";
  const s = String(x);
  return /[",\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
}

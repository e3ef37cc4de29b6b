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
import { dayPlots, renderSvg, reportHtml, type Plot } from "./day-plots";
import { PERIOD_RECORD_VERSION, periodsCsv } from "./day-schema";

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
      `${JSON.stringify(
        {
          recordVersion: PERIOD_RECORD_VERSION,
          lines: day.lines.names,
          generators: day.generators,
          periods: day.periods,
        },
        null,
        1,
      )}\n`,
    );
    write("periods.csv", periodsCsv(day.periods, day.generators));
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

/**
 * One full market period (forecasts → AC load flow → limit checks → sensitivities → LP
 * redispatch iterated with AC load flows → nodal prices → offers), timed end to end.
 *
 *   npm run bench:period [-- --runs N]
 *
 * Cases: cases/seed34.json (the paper's microgrid, Table I congestion) and, when
 * ../shared/matpower is present, case2869pegase with its 20 most loaded lines limited to 90 %
 * of their flow and every unit redispatchable at its gencost marginal price. Prints one JSON
 * line per case: median and min of `runs` periods after a warm-up, rounds, LP size, and — measured
 * in the same run, interleaved with the periods — the median of one NR load flow of the same case
 * as `runPowerFlow` runs it (`pfMedianMs`, network model from the per-topology cache, as in the
 * period) and from scratch (`pfColdMedianMs`). Goal: a period within 3 × one load flow.
 *
 * MATPOWER beside it: for seed34 and case118 (its operation data derived as a simulated day derives
 * them, ../shared present), the period's redispatch is exported as `period --export-opf` does and,
 * where Octave and MATPOWER are found (tools/matpower), solved by MATPOWER's runopf `runs` times in
 * one Octave session right after GridSwap's runs: `runopfMedianMs` (runopf alone: no Octave start-up,
 * no loadcase) and `runopfOverPeriod`. Otherwise the line says why MATPOWER was not timed.
 *
 * Grid state across periods: a second line per case times a series of periods whose demand moves
 * (±2 %, as successive half-hours do), each studied cold (from the case, as the centre's reported
 * study must be: the operators recompute it from its inputs alone) and warm (PeriodSeries: the
 * network kept, each period's load flows starting from the last one's solution, as the day
 * simulation's grid side runs), interleaved in one run: medians, the warm/cold ratio, and the
 * Newton iterations of each period's first load flow.
 */
import { existsSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { loadCase, runPowerFlow, type PowerCase } from "../oracle";
import { defaultOperation } from "../oracle/market/defaults";
import { exportPeriodOpf, problemOperation } from "../oracle/market/opf-export";
import { PeriodSeries, runPeriod } from "../oracle/market/period";
import { matpowerMissing, runMatpowerOpf } from "../tools/matpower/octave";

const ROOT = resolve(__dirname, "..");
const MATPOWER_CASES = resolve(ROOT, "../shared/matpower/cases");

function parseRuns(argv: string[]): number {
  const i = argv.indexOf("--runs");
  if (i < 0) return 15;
  const n = Number(argv[i + 1]);
  if (!Number.isInteger(n) || n < 1) throw new Error(`--runs needs a positive integer, got '${argv[i + 1]}'`);
  return n;
}

const median = (xs: number[]): number => {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
};
const round = (x: number): number => Math.round(x * 100) / 100;

/** MATPOWER's runopf on the period's exported redispatch: its median over `runs`, ms, or why not. */
async function runopfMedian(c: PowerCase, runs: number): Promise<{ runopfMedianMs?: number; runopf?: string }> {
  const missing = matpowerMissing();
  if (missing) return { runopf: `not timed: ${missing}` };
  const dir = mkdtempSync(join(tmpdir(), "gridswap-bench-opf-"));
  try {
    const { opf } = await exportPeriodOpf(c, { forecasts: { periodStart: 0 } });
    for (const [name, text] of Object.entries(opf.files)) writeFileSync(join(dir, name), text);
    const mp = runMatpowerOpf(join(dir, `${opf.name}.m`), runs);
    if (!mp.success) return { runopf: "runopf did not converge" };
    return { runopfMedianMs: round(median(mp.seconds) * 1000), runopf: `MATPOWER ${mp.matpower}, MIPS` };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

async function measure(label: string, c: PowerCase, runs: number, withMatpower = false): Promise<void> {
  const first = await runPeriod(c, { periodStart: 0 }); // warm-up: JIT and the HiGHS runtime
  runPowerFlow(c);
  runPowerFlow(c, { reuseModel: false });
  const times: number[] = [];
  const pfTimes: number[] = [];
  const pfColdTimes: number[] = [];
  for (let k = 0; k < runs; k++) {
    let t = performance.now();
    await runPeriod(c, { periodStart: 0 });
    times.push(performance.now() - t);
    t = performance.now();
    runPowerFlow(c);
    pfTimes.push(performance.now() - t);
    t = performance.now();
    runPowerFlow(c, { reuseModel: false });
    pfColdTimes.push(performance.now() - t);
  }
  const rd = first.redispatch;
  const mp = withMatpower ? await runopfMedian(c, runs) : {};
  console.log(
    JSON.stringify({
      case: label,
      buses: c.bus.length,
      redispatchUnits: c.operation?.units.length,
      violationsBefore: first.violations.lines.length,
      violationsAfter: rd.violations.lines.length,
      status: rd.status,
      rounds: rd.rounds,
      offers: first.offers.length,
      runs,
      medianMs: round(median(times)),
      minMs: round(Math.min(...times)),
      pfMedianMs: round(median(pfTimes)),
      pfColdMedianMs: round(median(pfColdTimes)),
      periodOverPf: round(median(times) / median(pfTimes)),
      ...mp,
      ...(mp.runopfMedianMs !== undefined ? { runopfOverPeriod: round(mp.runopfMedianMs / median(times)) } : {}),
    }),
  );
}

/** A series of `runs` periods with moving demand, each studied cold and warm (interleaved). */
async function measureSeries(label: string, c: PowerCase, runs: number): Promise<void> {
  const demand = (k: number): number => 1 + 0.02 * Math.sin(k / 2);
  const warm = new PeriodSeries(c);
  await runPeriod(c, { periodStart: 0, demandScale: demand(-1) }); // warm-up
  await warm.study({ periodStart: 0, demandScale: demand(-1) });
  const cold: number[] = [];
  const hot: number[] = [];
  const coldIterations: number[] = [];
  const warmIterations: number[] = [];
  for (let k = 0; k < runs; k++) {
    const forecasts = { periodStart: (k + 1) * 1800, demandScale: demand(k) };
    let t = performance.now();
    const a = await runPeriod(c, forecasts);
    cold.push(performance.now() - t);
    t = performance.now();
    const b = await warm.study(forecasts);
    hot.push(performance.now() - t);
    coldIterations.push(a.loadFlow.iterations);
    warmIterations.push(b.loadFlow.iterations);
  }
  console.log(
    JSON.stringify({
      case: label,
      series: `${runs} periods, demand ±2 %`,
      coldMedianMs: round(median(cold)),
      warmMedianMs: round(median(hot)),
      warmOverCold: round(median(hot) / median(cold)),
      coldNewtonIterations: median(coldIterations),
      warmNewtonIterations: median(warmIterations),
    }),
  );
}

async function main(): Promise<void> {
  const runs = parseRuns(process.argv.slice(2));
  const seed34 = loadCase(join(ROOT, "cases/seed34.json"));
  await measure("seed34", seed34, runs, true);
  await measureSeries("seed34", seed34, runs);
  const case118 = join(MATPOWER_CASES, "case118.m");
  if (existsSync(case118)) {
    const c = loadCase(case118);
    const operation = problemOperation(c, { deriveOperation: {} });
    await measure("case118 (operation derived: 5 lines at 90 %)", { ...c, operation }, runs, true);
  } else {
    console.log(`bench:period: ${case118} not found; case118 skipped`);
  }
  const pegase = join(MATPOWER_CASES, "case2869pegase.m");
  if (!existsSync(pegase)) {
    console.log(`bench:period: ${pegase} not found; case2869pegase skipped`);
    return;
  }
  const c = loadCase(pegase);
  const operation = defaultOperation(c, runPowerFlow(c), { congestedLines: 20, limitFraction: 0.9 });
  await measure("case2869pegase (20 lines at 90 %)", { ...c, operation }, Math.max(3, Math.ceil(runs / 3)));
  await measureSeries("case2869pegase (20 lines at 90 %)", { ...c, operation }, Math.max(5, Math.ceil(runs / 2)));
}

main().catch((e: unknown) => {
  console.error(e);
  process.exitCode = 1;
});

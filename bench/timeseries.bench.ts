/**
 * Time-series load flow over a day, grid side only (issue #13):
 *
 *   npm run bench:timeseries [-- <case name | path> ...] [--runs N] [--profile FILE] [--date YYYY-MM-DD]
 *
 * Default: case9241pegase from ../shared/matpower/cases, 48 periods of the BDEW H25 profile on
 * 2026-06-15 (every bus's demand scaled so its daily peak is its PD; units following the net load,
 * oracle/market/scenario.ts). Per period: the scenario's injections read into the network model and
 * one AC load flow (Newton, tolerance 1e-8 p.u.) by `PowerFlowSeries` — the network model built
 * once, each period started from the last one's voltages with chord steps on the last LU factors.
 *
 * Prints one JSON line per case: `periodMedianMs` (median over every period of `runs` series after a
 * warm-up series; the first period of each series, from the case's voltages, included),
 * `coldMedianMs` (one cold `runPowerFlow` of the same case, nothing reused — median of as many solves,
 * interleaved with the series in the same run), `warmOnlyMedianMs` (the same series with warm start
 * but no chord steps), iteration counts, and the goals: ≤ 17 ms per period (lightsim2grid's C++/KLU
 * TimeSerie, 16.7 ms on case9241pegase) and ≥ 3 × faster than the cold solve.
 */
import { existsSync } from "node:fs";
import { basename, join, resolve } from "node:path";
import { loadCase, runPowerFlow, type PowerCase } from "../oracle";
import { NetworkModel } from "../oracle/grid/model/network";
import { injectionsOf } from "../oracle/grid/pf/point";
import { injectionsWith, PowerFlowSeries } from "../oracle/grid/pf/series";
import { parseCivilDate, readLoadProfile } from "../oracle/market/profiles";
import { SeededRandom } from "../oracle/market/random";
import { buildDayScenario } from "../oracle/market/scenario";

const ROOT = resolve(__dirname, "..");
const MATPOWER_CASES = resolve(ROOT, "../shared/matpower/cases");
const GOAL_MS = 17;
const GOAL_SPEEDUP = 3;

interface Options {
  cases: string[];
  runs: number;
  profile: string;
  date: string;
}

function parseOptions(argv: string[]): Options {
  const o: Options = {
    cases: [],
    runs: 5,
    profile: resolve(ROOT, "../shared/profiles/bdew-h25.csv"),
    date: "2026-06-15",
  };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a === "--runs") {
      o.runs = Number(argv[++i]);
      if (!Number.isInteger(o.runs) || o.runs < 1) throw new Error(`--runs needs a positive integer`);
    } else if (a === "--profile") o.profile = argv[++i];
    else if (a === "--date") o.date = argv[++i];
    else if (a.startsWith("-")) throw new Error(`unknown option '${a}'`);
    else o.cases.push(a);
  }
  if (o.cases.length === 0) o.cases.push("case9241pegase");
  return o;
}

const median = (xs: readonly number[]): number => {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
};
const round = (x: number): number => Math.round(x * 100) / 100;

function casePath(name: string): string {
  if (existsSync(name)) return name;
  const p = join(MATPOWER_CASES, `${name}.m`);
  if (!existsSync(p)) throw new Error(`no case '${name}' (looked for ${p})`);
  return p;
}

interface SeriesRun {
  times: number[];
  chord: number[];
  newton: number[];
}

function runSeries(c: PowerCase, periods: { pd: number[]; qd: number[]; pg: number[] }[], chord: boolean): SeriesRun {
  const model = NetworkModel.of(c);
  const base = injectionsOf(model, c);
  const series = new PowerFlowSeries(model, { maxChordSteps: chord ? undefined : 0 });
  const out: SeriesRun = { times: [], chord: [], newton: [] };
  for (const p of periods) {
    const t = performance.now();
    const step = series.solve(injectionsWith(model, base, p));
    out.times.push(performance.now() - t);
    out.chord.push(step.chordSteps);
    out.newton.push(step.newtonIterations);
  }
  return out;
}

function measure(name: string, o: Options): void {
  const c = loadCase(casePath(name));
  const scenario = buildDayScenario(c, {
    date: parseCivilDate(o.date),
    periods: 48,
    profile: readLoadProfile(o.profile),
    pv: { latitude: 52.5, longitude: 13.4, clouds: 0 },
    random: new SeededRandom("bench"),
  });
  const periods = Array.from({ length: 48 }, (_, k) => {
    const f = scenario.at(k).forecasts;
    return { pd: [...f.demandMW!.p], qd: [...f.demandMW!.q], pg: [...f.outputMW!] };
  });
  // The network (Ybus, Jacobian pattern, LU analysis) comes from the per-topology cache, as in a
  // running oracle; warm-up: one series of each kind and one cold solve.
  runSeries(c, periods, true);
  runSeries(c, periods, false);
  runPowerFlow(c, { reuseModel: false });
  const withChord: SeriesRun = { times: [], chord: [], newton: [] };
  const warmOnly: number[] = [];
  const cold: number[] = [];
  for (let r = 0; r < o.runs; r++) {
    const s = runSeries(c, periods, true);
    withChord.times.push(...s.times);
    withChord.chord.push(...s.chord);
    withChord.newton.push(...s.newton);
    warmOnly.push(...runSeries(c, periods, false).times);
    for (let k = 0; k < 3; k++) {
      const t = performance.now();
      runPowerFlow(c, { reuseModel: false });
      cold.push(performance.now() - t);
    }
  }
  const periodMedianMs = median(withChord.times);
  const coldMedianMs = median(cold);
  const count = (xs: number[]): Record<string, number> =>
    xs.reduce((m, x) => ({ ...m, [x]: (m[x] ?? 0) + 1 }), {} as Record<string, number>);
  console.log(
    JSON.stringify({
      case: basename(name).replace(/\.m$/, ""),
      buses: c.bus.length,
      periods: 48,
      runs: o.runs,
      profile: basename(o.profile),
      date: o.date,
      periodMedianMs: round(periodMedianMs),
      periodMeanMs: round(withChord.times.reduce((s, x) => s + x, 0) / withChord.times.length),
      coldMedianMs: round(coldMedianMs),
      warmOnlyMedianMs: round(median(warmOnly)),
      speedupVsCold: round(coldMedianMs / periodMedianMs),
      chordSteps: count(withChord.chord),
      newtonIterations: count(withChord.newton),
      goalMs: GOAL_MS,
      meetsGoalMs: periodMedianMs <= GOAL_MS,
      meetsGoalSpeedup: coldMedianMs / periodMedianMs >= GOAL_SPEEDUP,
    }),
  );
}

function main(): void {
  const o = parseOptions(process.argv.slice(2));
  if (!existsSync(MATPOWER_CASES)) {
    console.log(`bench:timeseries: ${MATPOWER_CASES} not found: nothing to measure`);
    return;
  }
  for (const name of o.cases) measure(name, o);
}

main();

/**
 * A day on the market, timed end to end (issue #13):
 *
 *   npm run bench:day [-- --runs N]
 *
 *   - seed34, 48 periods, the whole market on Hardhat's in-process chain (deploy, seed, every
 *     period's study, report, offers, fills, delivery, settlement, and the settling tail), with the
 *     BDEW G25 (commerce) profile on 2026-06-15 — a day with midday congestion, so trades, fills and
 *     settlements are part of what is timed. Goal: < 30 s.
 *   - case2869pegase (when ../shared/matpower is present), 48 periods, grid side only with
 *     redispatch (H25 profile, its 5 most loaded lines limited to 90 % of their peak flow, every unit
 *     redispatchable). Goal: < 10 s.
 *
 * Each: one warm-up day of 4 periods (JIT, HiGHS, the network model), then `runs` days (default 3);
 * prints one JSON line per case with the median and min wall time of `simulateDay` and the day's
 * figures. Hardhat's start-up and compilation are not timed.
 */
import { existsSync } from "node:fs";
import { join, resolve } from "node:path";
import hre from "hardhat";
import { loadCase, type PowerCase } from "../oracle";
import { simulateDay, type ChainSpec, type DayConfig, type DayResult } from "../oracle/agents/day";
import { parseCivilDate, readLoadProfile } from "../oracle/market/profiles";

const ROOT = resolve(__dirname, "..");
const SHARED = resolve(ROOT, "../shared");

const median = (xs: readonly number[]): number => {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
};
const round = (x: number): number => Math.round(x * 100) / 100;

function parseRuns(argv: string[]): number {
  const i = argv.indexOf("--runs");
  if (i < 0) return 3;
  const n = Number(argv[i + 1]);
  if (!Number.isInteger(n) || n < 1) throw new Error(`--runs needs a positive integer, got '${argv[i + 1]}'`);
  return n;
}

async function measure(
  label: string,
  goalSeconds: number,
  runs: number,
  config: Omit<DayConfig, "periods">,
): Promise<void> {
  await simulateDay({ ...config, periods: 4 });
  const times: number[] = [];
  let last: DayResult | undefined;
  for (let r = 0; r < runs; r++) {
    const t = performance.now();
    last = await simulateDay({ ...config, periods: 48 });
    times.push((performance.now() - t) / 1000);
  }
  const s = (last as DayResult).summary;
  console.log(
    JSON.stringify({
      case: label,
      periods: 48,
      chain: s.chain,
      runs,
      medianSeconds: round(median(times)),
      minSeconds: round(Math.min(...times)),
      goalSeconds,
      meetsGoal: median(times) < goalSeconds,
      perPeriodMs: round((median(times) * 1000) / 48),
      congestedPeriods: s.congestedPeriods,
      clearedByPlanPeriods: s.clearedByPlanPeriods,
      overLimitAsDeliveredPeriods: s.overLimitAsDeliveredPeriods,
      unmetLimits: s.unmetLimits,
      trades: s.trades,
      usdPaid: s.usdPaid,
      gasTotal: s.gasTotal,
      gasPerTrade: s.gasPerTrade === null ? null : Math.round(s.gasPerTrade),
    }),
  );
}

async function main(): Promise<void> {
  const runs = parseRuns(process.argv.slice(2));
  const profiles = join(SHARED, "profiles");
  if (!existsSync(profiles)) {
    console.log(`bench:day: ${profiles} not found: nothing to measure`);
    return;
  }
  const [funder] = await hre.ethers.getSigners();
  const date = parseCivilDate("2026-06-15");
  const pv = { latitude: 52.5, longitude: 13.4, clouds: 0.3 };
  await measure("seed34 (whole market, in-process chain, G25)", 30, runs, {
    case: loadCase(join(ROOT, "cases/seed34.json")),
    date,
    profile: readLoadProfile(join(profiles, "bdew-g25.csv")),
    pv,
    seed: "bench",
    chain: { provider: hre.ethers.provider as unknown as ChainSpec["provider"], funder },
  });
  const pegase = join(SHARED, "matpower/cases/case2869pegase.m");
  if (!existsSync(pegase)) {
    console.log(`bench:day: ${pegase} not found; case2869pegase skipped`);
    return;
  }
  const c: PowerCase = loadCase(pegase);
  await measure("case2869pegase (grid side only, with redispatch, H25)", 10, runs, {
    case: c,
    date,
    profile: readLoadProfile(join(profiles, "bdew-h25.csv")),
    pv,
    seed: "bench",
  });
}

main().catch((e: unknown) => {
  console.error(e);
  process.exitCode = 1;
});

/**
 * One full trade cycle of the market with N generators, on Hardhat's in-process network:
 *
 *   npm run bench:cycle [-- --sizes 1,10,100] [--runs 5]
 *
 * The period pipeline (oracle/agents/pipeline.ts) runs the real agents: period P, the centre's
 * step on seed34 (AC load flow, redispatch, k-of-n report) splits the node-27 adjustment into N
 * signed offers, one reserved for each of N generators registered at node 27, and posts them; the
 * generators read the bulletin board, decide by their policies and fill. P+1: they deliver (the
 * grid as it ran is solved). P+2: the meters are read and the report carries N measurements.
 * P+3: the measurements are final and settle — pushed in the report or in bounded batches.
 *
 * Timed: those four periods, every load flow and transaction included (deployment and seeding
 * are not). Prints one JSON line per N: median, min and max wall ms over `runs` cycles after one
 * warm-up cycle, and the gas of the cycle's transactions by kind. Goal: 100 generators settled in
 * one cycle in under 10 s wall. No test asserts these timings.
 */
import { readFileSync } from "node:fs";
import { join } from "node:path";
import hre from "hardhat";
import { loadCase } from "../oracle";
import type { Offer } from "../oracle/market/prices";
import type { PlannedOffer } from "../oracle/agents/centre";
import { buildWorld, type World } from "../oracle/agents/world";
import { numberOption, parseNumber, runCommand, stringOption, UsageError, type CommandSpec } from "../scripts/cli";

const CASE = join(__dirname, "..", "cases", "seed34.json");
const NODE = 27;

const COMMAND: CommandSpec = {
  name: "bench:cycle",
  usage: "usage: npm run bench:cycle -- [--sizes 1,10,100] [--runs 5]",
  options: {
    sizes: { type: "string", value: "N,N,…", help: "numbers of generators, one cycle each (default 1,10,100)" },
    runs: { type: "string", value: "N", help: "timed runs after a warm-up, median reported (default 5)" },
  },
};

const median = (xs: readonly number[]): number => {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
};
const round = (x: number): number => Math.round(x * 10) / 10;

/** `offer` split into `n` parts of equal size, the i-th reserved for `generators[i]`. */
function split(offer: Offer, generators: readonly string[]): PlannedOffer[] {
  const n = generators.length;
  return generators.map((g, i) => ({
    ...offer,
    kwh: offer.kwh / n,
    usd: offer.usd / n,
    mw: offer.mw / n,
    reservedFor: g,
    part: i,
  }));
}

interface Cycle {
  readonly wallMs: number;
  readonly gas: Record<string, number>;
  readonly settled: number;
}

async function world(n: number): Promise<World & { trade: { next: boolean } }> {
  const [funder] = await hre.ethers.getSigners();
  const trade = { next: false };
  let generatorAddresses: string[] = [];
  const w = await buildWorld({
    provider: hre.ethers.provider as never,
    funder,
    case: loadCase(CASE),
    caseText: readFileSync(CASE, "utf8"),
    seed: `cycle-${n}`,
    centreUsd: 10_000,
    generators: Array.from({ length: n }, () => ({ node: NODE, kwh: 1000 })),
    // Trade only when asked (the first period of a timed cycle); each generator gets its own offer.
    offersFor: (study) => {
      if (!trade.next) return [];
      trade.next = false;
      const o = study.offers.find((x) => x.node === NODE);
      return o ? split(o, generatorAddresses) : [];
    },
  });
  generatorAddresses = w.generators.map((g) => g.wallet.address);
  return { ...w, trade };
}

/** One timed cycle: four periods, from the offers to their settlement. */
async function cycle(w: World & { trade: { next: boolean } }): Promise<Cycle> {
  const gas: Record<string, number> = {};
  let settled = 0;
  const t = performance.now();
  w.trade.next = true;
  for (let k = 0; k < 4; k++) {
    const run = await w.pipeline.run();
    const txs = [
      ...run.centre.transactions,
      ...run.generators.flatMap((g) => g.poll.transactions),
      ...run.lateSettlement.transactions,
    ];
    for (const tx of txs) {
      const kind = tx.label.split(" ")[0];
      gas[kind] = (gas[kind] ?? 0) + Number(tx.gasUsed);
    }
    settled += run.centre.settled.length + run.lateSettlement.settled.length;
  }
  return { wallMs: performance.now() - t, gas, settled };
}

runCommand(COMMAND, async (line) => {
  const sizes = (stringOption(line, "sizes") ?? "1,10,100").split(",").map((s) => {
    const n = parseNumber(s, "--sizes", { integer: true, min: 1, what: "comma-separated positive integers" });
    if (n > 300) throw new UsageError(`--sizes: ${n} generators exceed one report's 300 measurements`);
    return n;
  });
  const runs = numberOption(line, "runs", { integer: true, min: 1 }, 5) as number;
  for (const n of sizes) {
    const w = await world(n);
    const start = await w.pipeline.startPeriod();
    await w.pipeline.recordSchedule(start);
    await cycle(w); // warm-up: JIT, the HiGHS runtime, first-use storage slots
    const cycles: Cycle[] = [];
    for (let r = 0; r < runs; r++) cycles.push(await cycle(w));
    const walls = cycles.map((c) => c.wallMs);
    const gas = cycles[cycles.length - 1].gas;
    console.log(
      JSON.stringify({
        generators: n,
        runs,
        medianMs: round(median(walls)),
        minMs: round(Math.min(...walls)),
        maxMs: round(Math.max(...walls)),
        settled: cycles[cycles.length - 1].settled,
        gas,
        gasTotal: Object.values(gas).reduce((s, g) => s + g, 0),
        goal: n === 100 ? { wallMs: 10_000, met: median(walls) < 10_000 } : undefined,
      }),
    );
  }
});

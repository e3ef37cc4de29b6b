/**
 * One full market period cycle with N generators, on Hardhat's in-process network:
 *
 *   npm run bench:cycle [-- --sizes 1,10,100] [--runs 5]
 *
 * Period P: AC load flow and redispatch of seed34 (runPeriod) → the oracle's report → the
 * centre splits the computed adjustment at node 27 (10.372 kWh of decrease) into N offers, one
 * reserved for each of N generators registered at node 27, each with its share of the USD →
 * the generators read the bulletin board (OfferPublished events), decide by their policy and
 * accept with their kWh commitments. Period P+1: load flow with the delivered adjustment
 * applied → the report carrying N measured deliveries → one settleMany of the N offers.
 *
 * Timed: that whole cycle, both load flows included (the setup — deployment, registration, kWh
 * issue, approvals — is not). Prints one JSON line per N: median, min and max wall ms of `runs`
 * cycles after one warm-up cycle, the time per phase (medians), and the gas of the cycle's
 * transactions. Goal: 100 generators settled in one period in under 10 s wall. Hardhat's network
 * mines one transaction per block (automine); the cycle sends 2N + 3 transactions. No test
 * asserts these timings.
 */
import { readFileSync } from "node:fs";
import { join } from "node:path";
import hre from "hardhat";
import { setBalance, time } from "@nomicfoundation/hardhat-network-helpers";
import { keccak256, toUtf8Bytes, Wallet, type ContractTransactionResponse, type Signer } from "ethers";
import { loadCase, type PowerCase } from "../oracle";
import { GEN } from "../oracle/grid/case/columns";
import { runPeriod } from "../oracle/market/period";
import { deployGridSwap, type GridSwapContracts } from "../oracle/chain/deploy";
import { inputHash, toReport, type MeasuredDelivery } from "../oracle/chain/encode";
import { decide, readOffers, type GeneratorPolicy } from "../oracle/chain/generator";
import { kwhToWh, PERIOD_SECONDS, usdToUnits } from "../oracle/chain/units";
import type { IDemandResponseMarket } from "../typechain-types";

const { ethers } = hre;
const CASE = join(__dirname, "..", "cases", "seed34.json");
const NODE = 27;
const GOAL = { generators: 100, wallMs: 10_000 };
const STATUS_SETTLED = 3n;

interface Args {
  readonly sizes: number[];
  readonly runs: number;
}

function parseArgs(argv: readonly string[]): Args {
  let sizes = [1, 10, 100];
  let runs = 5;
  for (let i = 0; i < argv.length; i++) {
    const flag = argv[i];
    const value = argv[++i];
    if (flag === "--sizes") {
      sizes = (value ?? "").split(",").map(Number);
      if (sizes.length === 0 || sizes.some((n) => !Number.isInteger(n) || n < 1)) {
        throw new Error(`--sizes needs comma-separated positive integers, got '${value}'`);
      }
    } else if (flag === "--runs") {
      runs = Number(value);
      if (!Number.isInteger(runs) || runs < 1) throw new Error(`--runs needs a positive integer, got '${value}'`);
    } else throw new Error(`unknown option '${flag}' (usage: npm run bench:cycle -- [--sizes 1,10,100] [--runs 5])`);
  }
  return { sizes, runs };
}

const median = (xs: readonly number[]): number => {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
};
const round = (x: number): number => Math.round(x * 10) / 10;

/** `total` split into `n` integer parts that differ by at most one and sum to `total`. */
function split(total: bigint, n: number): bigint[] {
  const base = total / BigInt(n);
  const rest = Number(total % BigInt(n));
  return Array.from({ length: n }, (_, i) => base + (i < rest ? 1n : 0n));
}

interface World {
  readonly c: GridSwapContracts;
  readonly oracle: Signer;
  readonly centre: Signer;
  readonly generators: Wallet[];
  readonly policies: GeneratorPolicy[];
  readonly seed34: PowerCase;
  readonly caseText: string;
  readonly unitNodes: number[];
}

/** Deployment and N funded, registered, approved generators at node 27 (not timed). */
async function setup(n: number): Promise<World> {
  const [admin, oracle, centre] = await ethers.getSigners();
  const c = await deployGridSwap(admin, { oracle: oracle.address, centre: centre.address });
  const market = await c.market.getAddress();
  await (await c.usd.mint(centre.address, usdToUnits(1_000_000))).wait();
  await (await c.usd.connect(centre).approve(market, ethers.MaxUint256)).wait();
  const generators: Wallet[] = [];
  for (let i = 0; i < n; i++) {
    const wallet = new Wallet(keccak256(toUtf8Bytes(`gridswap cycle bench generator ${n}/${i}`)), ethers.provider);
    await setBalance(wallet.address, ethers.parseEther("10"));
    await (await c.registry.register(wallet.address, NODE)).wait();
    await (await c.kwh.issue(wallet.address, kwhToWh(1000))).wait();
    await (await c.kwh.connect(wallet).approve(market, ethers.MaxUint256)).wait();
    generators.push(wallet);
  }
  const policies = generators.map((g) => ({
    address: g.address,
    node: NODE,
    costUsdPerKwh: 0.01,
    marginUsdPerKwh: 0.002,
    capacityKwh: 50,
  }));
  const seed34 = loadCase(CASE);
  const unitNodes = seed34.operation?.units.map((u) => seed34.gen[u.gen - 1][GEN.GEN_BUS]) ?? [];
  return { c, oracle, centre, generators, policies, seed34, caseText: readFileSync(CASE, "utf8"), unitNodes };
}

interface Cycle {
  readonly wallMs: number;
  readonly phasesMs: Record<string, number>;
  readonly gas: Record<string, number>;
  readonly settled: number;
}

/** One timed cycle, starting at the boundary of a period nothing has happened in yet. */
async function cycle(w: World): Promise<Cycle> {
  const { c } = w;
  const n = w.generators.length;
  const gas: Record<string, number> = { report: 0, publish: 0, accept: 0, reportDeliveries: 0, settleMany: 0 };
  const mined = async (phase: string, tx: Promise<ContractTransactionResponse>) => {
    const receipt = await (await tx).wait();
    if (!receipt || receipt.status !== 1) throw new Error(`${phase}: transaction failed`);
    gas[phase] += Number(receipt.gasUsed);
    return receipt;
  };
  const phasesMs: Record<string, number> = {};
  let mark = performance.now();
  const lap = (phase: string): void => {
    const now = performance.now();
    phasesMs[phase] = (phasesMs[phase] ?? 0) + (now - mark);
    mark = now;
  };
  const start = mark;

  // Period P: load flow, report, N offers, N acceptances.
  const now = await time.latest();
  const period = Math.floor(now / PERIOD_SECONDS);
  const first = await runPeriod(w.seed34, { periodStart: period * PERIOD_SECONDS });
  lap("loadFlow");
  await mined(
    "report",
    c.oracle.connect(w.oracle).submitReport(toReport(period, inputHash(w.caseText, {}), first, [], w.unitNodes), []),
  );
  lap("report");
  const computed = first.offers.find((o) => o.node === NODE);
  if (!computed) throw new Error(`the period produced no offer for node ${NODE}`);
  const whShares = split(kwhToWh(computed.kwh), n);
  const usdShares = split(usdToUnits(computed.usd), n);
  const expiry = Math.min((period + 1) * PERIOD_SECONDS - 1, now + 20 * 60);
  const fromBlock = await ethers.provider.getBlockNumber();
  for (let i = 0; i < n; i++) {
    const params: IDemandResponseMarket.OfferParamsStruct = {
      generator: w.generators[i].address,
      node: NODE,
      direction: computed.direction === "increase" ? 0 : 1,
      kwhAmount: whShares[i],
      usdAmount: usdShares[i],
      period,
      justification: period,
      expiry,
    };
    await mined("publish", c.market.connect(w.centre).publish(params));
  }
  lap("publish");
  const board = await readOffers(c.market, fromBlock + 1);
  const acceptedAt = await time.latest();
  const ids: bigint[] = [];
  for (let i = 0; i < n; i++) {
    const policy = w.policies[i];
    const offer = board.find((o) => o.reservedFor === policy.address);
    if (!offer) throw new Error(`no offer for generator ${i}`);
    const decision = decide(policy, offer, acceptedAt);
    if (!decision.accept) throw new Error(`generator ${i} rejected offer #${offer.id}: ${decision.reason}`);
    await mined("accept", c.market.connect(w.generators[i]).accept(offer.id));
    ids.push(offer.id);
  }
  lap("accept");

  // Period P+1: load flow with the delivered adjustment, report the N deliveries, settle all.
  await time.increaseTo((period + 1) * PERIOD_SECONDS);
  const sign = computed.direction === "increase" ? 1 : -1;
  const deliveries: MeasuredDelivery[] = w.generators.map((g, i) => ({
    period,
    generator: g.address,
    adjustmentKwh: (sign * Number(whShares[i])) / 1000,
  }));
  const movedMW = deliveries.reduce((s, d) => s + d.adjustmentKwh, 0) / 1000 / (PERIOD_SECONDS / 3600);
  const gen = w.seed34.gen.map((row) => [...row]);
  const row = gen.findIndex((r) => r[GEN.GEN_BUS] === NODE);
  gen[row][GEN.PG] += movedMW;
  const second = await runPeriod({ ...w.seed34, gen }, { periodStart: (period + 1) * PERIOD_SECONDS });
  lap("loadFlow");
  await mined(
    "reportDeliveries",
    c.oracle
      .connect(w.oracle)
      .submitReport(toReport(period + 1, inputHash(w.caseText, { gen }), second, deliveries, w.unitNodes), []),
  );
  lap("report");
  const receipt = await mined("settleMany", c.market.settleMany(ids));
  lap("settle");
  const wallMs = performance.now() - start;

  const settled = receipt.logs.filter((l) => l.topics[0] === c.market.interface.getEvent("OfferSettled").topicHash);
  for (const id of [ids[0], ids[ids.length - 1]]) {
    if ((await c.market.getOffer(id)).status !== STATUS_SETTLED) throw new Error(`offer #${id} is not settled`);
  }
  if (second.violations.lines.length !== 0) throw new Error("the delivered adjustment left lines over their limit");
  return { wallMs, phasesMs, gas, settled: settled.length };
}

async function bench(n: number, runs: number): Promise<void> {
  const t = performance.now();
  const w = await setup(n);
  const setupMs = performance.now() - t;
  const cycles: Cycle[] = [];
  for (let k = 0; k <= runs; k++) {
    // Each cycle starts at the boundary of a fresh period (P+1 of the last cycle is reported).
    await time.increaseTo((Math.floor((await time.latest()) / PERIOD_SECONDS) + 1) * PERIOD_SECONDS);
    const result = await cycle(w);
    if (result.settled !== n) throw new Error(`settled ${result.settled} of ${n} offers`);
    if (k > 0) cycles.push(result); // cycle 0 is the warm-up (JIT, HiGHS, first storage writes)
  }
  const walls = cycles.map((x) => x.wallMs);
  const phases = Object.keys(cycles[0].phasesMs);
  const gas = cycles[cycles.length - 1].gas;
  const total = Object.values(gas).reduce((s, g) => s + g, 0);
  const line: Record<string, unknown> = {
    bench: "cycle",
    generators: n,
    runs,
    wallMs: { median: round(median(walls)), min: round(Math.min(...walls)), max: round(Math.max(...walls)) },
    phasesMs: Object.fromEntries(phases.map((p) => [p, round(median(cycles.map((x) => x.phasesMs[p])))])),
    transactions: 2 * n + 3,
    gas: { total, perGenerator: Math.round(total / n), ...gas },
    settled: n,
    setupMs: round(setupMs),
  };
  if (n === GOAL.generators) line.goal = { wallMs: GOAL.wallMs, met: median(walls) < GOAL.wallMs };
  console.log(JSON.stringify(line));
}

async function main(): Promise<void> {
  const { sizes, runs } = parseArgs(process.argv.slice(2));
  for (const n of sizes) await bench(n, runs);
}

main().catch((e: unknown) => {
  console.error(`bench:cycle: ${e instanceof Error ? e.message : String(e)}`);
  process.exitCode = 1;
});

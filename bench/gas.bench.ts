/**
 * Gas of the demand-response cycle on the v2 market: post → fill → oracle report → settle, and the
 * marginal gas of settlement pushed by the oracle's report.
 *
 *   npm run --silent bench:gas   prints ONE JSON object on stdout, compares it with
 *                                bench/gas-snapshot.json and exits 1 when a figure grew > 2 %
 *   npm run gas:snapshot         measures and rewrites bench/gas-snapshot.json (GAS_SNAPSHOT=update)
 *
 * stdout: {"steady":{"post","fill","report","settle","cycle"},"batch":{"offers":10,"perOffer"}}
 * Everything else (breakdown, first-time figures, the settlement-in-report cycle) goes to stderr.
 *
 * Figures are receipt.gasUsed: whole transactions, 21,000 intrinsic and calldata included.
 * Production wiring and parameters (oracle/chain/deploy.ts: separate role accounts, a 2-of-3
 * oracle — so every report carries two signatures — 1800-s periods, a one-period dispute window,
 * 48-period fill horizon). The offer is the paper's: 2.3 kWh of decrease at node 27 for
 * 0.25266763 USD; the report carries the paper's 3 violated lines, 1 nodal price and the
 * measurements. Steady state: the same cycle repeated until every storage slot it rewrites is
 * warm (vault balances non-zero, the generator's book ring filled: it has traded for a day), then
 * measured; a fill still creates one position slot and a report still stores its hash and one
 * record per measurement — those are new facts, never reusable. The clock starts at a fixed
 * period so calldata, hence gas, is identical on every run; gas is deterministic, so one run is
 * the median of any number of runs.
 *
 * batch.perOffer: one report carrying N measurements (N generators, one position each) that also
 * settles, pushed, the N positions measured by the previous report (final now: the dispute window
 * has passed) — the production pipeline. perOffer = (gas(N = 10) − gas(N = 1)) / 9.
 */
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { ethers } from "hardhat";
import { setBalance, time } from "@nomicfoundation/hardhat-network-helpers";
import { Wallet, type ContractTransactionResponse, type Signer } from "ethers";
import { deployGridSwap, defaultParams, seedGridSwap, type GridSwapContracts } from "../oracle/chain/deploy";
import { BaselineMethod, Direction, Quality } from "../oracle/chain/enums";
import { positionFromStruct, positionStruct } from "../oracle/chain/market-data";
import { readDomain, signOffer, signReport } from "../oracle/chain/typed-data";
import { paperReport } from "../test/contracts/fixtures";
import type { IDemandResponseMarket, IGridOracle } from "../typechain-types";

const SNAPSHOT_FILE = join(__dirname, "gas-snapshot.json");
const TOLERANCE = 0.02;
const GOALS = { fill: 90_000, cycle: 150_000, perOffer: 40_000 };
const REFERENCE = {
  oneInchLimitOrder: "90,345–102,560",
  zeroExV4: 111_045,
  uniswapX: 113_377,
  seaportFulfilWithSignature: "~108,600",
  permit2SignatureTransfer: 86_447,
};
const PARAMS = defaultParams();
const PERIOD = BigInt(PARAMS.periodSeconds);
/** The benchmark's clock starts at this period (2033-05-18 at 1800-s periods). */
const START_PERIOD = 1_111_112n;
const BATCH = 10;
const WARM_CYCLES = 20;
const USD = (x: string): bigint => ethers.parseUnits(x, 8);
const KWH = (x: string): bigint => ethers.parseUnits(x, 3);

type Steady = Record<"post" | "fill" | "report" | "settle" | "cycle", number>;
interface Figures {
  steady: Steady;
  batch: { offers: number; perOffer: number };
}

type Measurement = IGridOracle.MeasurementStruct;
type Position = IDemandResponseMarket.PositionStruct;

const fullDelivery = (generator: string, period: bigint): Measurement => ({
  generator,
  period,
  baseline: BaselineMethod.Nominated,
  baselineDays: 0,
  baselineWh: 10_000n,
  actualWh: 10_000n - KWH("2.3"),
  deliveredWh: -KWH("2.3"),
  quality: Quality.Ok,
});

async function gasOf(
  tx: Promise<ContractTransactionResponse>,
): Promise<{ gas: number; tx: ContractTransactionResponse }> {
  const sent = await tx;
  const receipt = await sent.wait();
  if (!receipt) throw new Error("no receipt");
  return { gas: Number(receipt.gasUsed), tx: sent };
}

interface World {
  c: GridSwapContracts;
  centre: Signer;
  generators: Signer[];
  o1: Signer;
  o2: Signer;
  relayer: Signer;
  marketDomain: Awaited<ReturnType<typeof readDomain>>;
  oracleDomain: Awaited<ReturnType<typeof readDomain>>;
  nonce: bigint;
  /** The latest reported period (the next offers' justification). */
  lastReport: bigint;
  lastTx?: string;
}

async function deploy(): Promise<World> {
  const [deployer, admin, centre, o1, o2, o3, registrar, issuer, treasury, relayer] = await ethers.getSigners();
  const c = await deployGridSwap(
    deployer,
    {
      admin: admin.address,
      centres: [centre.address],
      oracleSigners: [o1.address, o2.address, o3.address],
      oracleThreshold: 2,
      registrar: registrar.address,
      issuer: issuer.address,
      treasury: treasury.address,
    },
    PARAMS,
  );
  // BATCH generators at node 27 (deterministic keys), funded for gas.
  const generators: Signer[] = [];
  for (let i = 0; i < BATCH; ++i) {
    const w = new Wallet(ethers.id(`bench generator ${i}`), ethers.provider);
    await setBalance(w.address, ethers.parseEther("100"));
    generators.push(w);
  }
  await seedGridSwap(
    c,
    { registrar, issuer, treasury },
    {
      generators: generators.map((signer, i) => ({
        signer,
        node: 27,
        meterKey: new Wallet(ethers.id(`bench meter ${i}`)).address,
        issueWh: KWH("10000"),
        depositWh: KWH("10000"),
      })),
      centres: [{ signer: centre, mintUsd: USD("100000"), depositUsd: USD("100000") }],
    },
  );
  const now = BigInt(await time.latest());
  if (now >= START_PERIOD * PERIOD) throw new Error(`the chain's clock (${now}) is past the benchmark's fixed start`);
  await time.increaseTo(START_PERIOD * PERIOD);
  const w: World = {
    c,
    centre,
    generators,
    o1,
    o2,
    relayer,
    marketDomain: await readDomain(c.market),
    oracleDomain: await readDomain(c.oracle),
    nonce: 0n,
    lastReport: 0n,
  };
  await report(w, paperReport(START_PERIOD, []));
  return w;
}

async function signatures(w: World, r: IGridOracle.ReportStruct): Promise<string[]> {
  return signReport([w.o1, w.o2], w.oracleDomain, r, await w.c.oracle.configEpoch(), 2n ** 40n);
}

async function report(w: World, r: IGridOracle.ReportStruct): Promise<number> {
  w.lastReport = BigInt(r.period);
  const sent = await gasOf(w.c.oracle.connect(w.relayer).submitReport(r, 2n ** 40n, await signatures(w, r)));
  w.lastTx = sent.tx.hash;
  return sent.gas;
}

function paperOffer(w: World, period: bigint, justification: bigint): IDemandResponseMarket.OfferStruct {
  return {
    centre: "", // set by caller
    generator: ethers.ZeroAddress,
    node: 27,
    direction: Direction.Decrease,
    amountWh: KWH("2.3"),
    usd: USD("0.25266763"),
    period,
    justification,
    deadline: period * PERIOD - 1n,
    maxFillWh: KWH("2.3"),
    baseline: BaselineMethod.Nominated,
    baselineDays: 0,
    epoch: 0,
    nonce: ++w.nonce,
  };
}

/** Post (by the centre) and fill (by `generator`) the paper offer for `period`; gas and the position. */
async function postAndFill(w: World, generator: Signer, period: bigint, justification: bigint) {
  const offer = { ...paperOffer(w, period, justification), centre: await w.centre.getAddress() };
  const signature = await signOffer(w.centre, w.marketDomain, offer);
  const post = await gasOf(w.c.market.connect(w.centre).post(offer, signature));
  const filled = await gasOf(w.c.market.connect(generator).fill(offer, signature, offer.amountWh));
  const receipt = await filled.tx.wait();
  const log = receipt!.logs.map((l) => w.c.market.interface.parseLog(l)).find((p) => p?.name === "Filled")!;
  const position: Position = positionStruct(positionFromStruct(log.args.position));
  return { post: post.gas, fill: filled.gas, position, postTx: post.tx.hash, fillTx: filled.tx.hash };
}

/**
 * One paper cycle with delivery period D (fills at D − 1, report of D + 1 carrying the
 * measurement, settlement once the dispute window has passed, at D + 2).
 */
async function cycle(w: World, d: bigint): Promise<Steady> {
  await time.increaseTo((d - 1n) * PERIOD + 60n);
  const gen = w.generators[0];
  const { post, fill, position } = await postAndFill(w, gen, d, w.lastReport);
  await time.increaseTo((d + 1n) * PERIOD + 10n);
  const reportGas = await report(w, paperReport(d + 1n, [fullDelivery(await gen.getAddress(), d)]));
  await time.increaseTo((d + 2n) * PERIOD + 10n);
  const settle = await gasOf(w.c.market.connect(w.relayer).settle(position));
  return { post, fill, report: reportGas, settle: settle.gas, cycle: post + fill + reportGas + settle.gas };
}

/**
 * The pipeline with n generators: round k fills n positions for D_k, and the report of D_k + 1
 * carries their n measurements while settling (pushed) the n positions of round k − 1.
 * Returns the gas of the last round's report.
 */
async function pipeline(w: World, n: number, firstPeriod: bigint, rounds: number): Promise<number> {
  let previous: Position[] = [];
  let gas = 0;
  for (let k = 0; k < rounds; ++k) {
    const d = firstPeriod + 2n * BigInt(k);
    await time.increaseTo((d - 1n) * PERIOD + 60n);
    const positions: Position[] = [];
    for (const g of w.generators.slice(0, n)) positions.push((await postAndFill(w, g, d, w.lastReport)).position);
    await time.increaseTo((d + 1n) * PERIOD + 10n);
    const measurements = await Promise.all(
      w.generators.slice(0, n).map(async (g) => fullDelivery(await g.getAddress(), d)),
    );
    const r = paperReport(d + 1n, measurements);
    const sent = await gasOf(
      w.c.market.connect(w.relayer).reportAndSettle(r, 2n ** 40n, await signatures(w, r), previous, 10_000_000n),
    );
    const settledEvents = (await sent.tx.wait())!.logs.filter(
      (l) => w.c.market.interface.parseLog(l)?.name === "Settled",
    );
    if (settledEvents.length !== previous.length)
      throw new Error(`round ${k}: ${settledEvents.length} of ${previous.length} positions settled`);
    gas = sent.gas;
    w.lastReport = d + 1n;
    previous = positions;
  }
  return gas;
}

/**
 * Per-item gas without pushed settlement: a report carrying n measurements (oracle.submitReport)
 * and a settleMany of the n positions once final. Returns both transactions' gas.
 */
async function separate(w: World, n: number, d: bigint): Promise<{ report: number; settleMany: number }> {
  await time.increaseTo((d - 1n) * PERIOD + 60n);
  const positions: Position[] = [];
  for (const g of w.generators.slice(0, n)) positions.push((await postAndFill(w, g, d, w.lastReport)).position);
  await time.increaseTo((d + 1n) * PERIOD + 10n);
  const measurements = await Promise.all(
    w.generators.slice(0, n).map(async (g) => fullDelivery(await g.getAddress(), d)),
  );
  const reportGas = await report(w, paperReport(d + 1n, measurements));
  await time.increaseTo((d + 2n) * PERIOD + 10n);
  const settled = await gasOf(w.c.market.connect(w.relayer).settleMany(positions));
  return { report: reportGas, settleMany: settled.gas };
}

function compare(current: Figures, saved: Figures) {
  const regressions: string[] = [];
  const improvements: string[] = [];
  const rows: [string, number, number | undefined][] = [
    ...Object.entries(current.steady).map(([k, v]): [string, number, number | undefined] => [
      `steady.${k}`,
      v,
      saved.steady?.[k as keyof Steady],
    ]),
    ["batch.perOffer", current.batch.perOffer, saved.batch?.perOffer],
  ];
  for (const [label, now, was] of rows) {
    if (typeof was !== "number") {
      regressions.push(`${label}: not in the snapshot (run npm run gas:snapshot)`);
      continue;
    }
    const pct = ((now - was) / was) * 100;
    if (now > was * (1 + TOLERANCE))
      regressions.push(`${label} grew ${was} → ${now} gas (+${pct.toFixed(2)} %, tolerance ${TOLERANCE * 100} %)`);
    else if (now < was) improvements.push(`${label} improved ${was} → ${now} gas (${pct.toFixed(2)} %)`);
  }
  return { regressions, improvements };
}

async function main(): Promise<void> {
  const w = await deploy();
  // First cycle: every slot it touches is cold or zero (the first fill of the generator in this
  // book slot, the first settlement credit); then warm up until the book ring is full.
  let d = START_PERIOD + 2n;
  const first = await cycle(w, d);
  for (let i = 0; i < WARM_CYCLES; ++i) await cycle(w, (d += 3n));
  const steady = await cycle(w, (d += 3n));

  // Pipelines: separate period ranges, 3 rounds each (round 0 warms up, round 1 is the first with
  // pushed settlement, round 2 is steady).
  const one = await pipeline(w, 1, (d += 4n), 3);
  const ten = await pipeline(w, BATCH, (d += 8n), 3);
  const perOffer = Math.round((ten - one) / (BATCH - 1));
  const s1 = await separate(w, 1, (d += 8n));
  const s10 = await separate(w, BATCH, (d += 4n));
  const perMeasurement = Math.round((s10.report - s1.report) / (BATCH - 1));
  const perSettlement = Math.round((s10.settleMany - s1.settleMany) / (BATCH - 1));
  // EIP-7825 (Osaka) caps one transaction at 2^24 gas; blocks hold 30M+ (a report must fit one transaction).
  const TX_CAP = 16_777_216;
  const current: Figures = { steady, batch: { offers: BATCH, perOffer } };

  console.error(
    JSON.stringify(
      {
        unit: "gas (receipt.gasUsed, incl. 21,000 intrinsic and calldata)",
        config: "2-of-3 oracle (2 signatures per report), 1800-s periods, dispute window 1800 s",
        firstCycle: first,
        pipeline: { reportWith1: one, reportWith10: ten },
        perItem: {
          measurementInReport: perMeasurement,
          settlementInSettleMany: perSettlement,
          reportWith1: s1.report,
          settleManyOf1: s1.settleMany,
          largestReportUnderTxCap: Math.floor((TX_CAP - s1.report) / perMeasurement) + 1,
          largestSettleManyUnderTxCap: Math.floor((TX_CAP - s1.settleMany) / perSettlement) + 1,
        },
        goals: {
          fill: { max: GOALS.fill, met: steady.fill <= GOALS.fill },
          cycle: { max: GOALS.cycle, met: steady.cycle <= GOALS.cycle },
          perOffer: { max: GOALS.perOffer, met: perOffer <= GOALS.perOffer },
        },
        reference: REFERENCE,
      },
      null,
      2,
    ),
  );

  if (process.env.GAS_SNAPSHOT === "update") {
    writeFileSync(SNAPSHOT_FILE, `${JSON.stringify(current, null, 2)}\n`);
    console.error(`gas: snapshot written to ${SNAPSHOT_FILE}`);
  } else {
    let saved: Figures;
    try {
      saved = JSON.parse(readFileSync(SNAPSHOT_FILE, "utf8")) as Figures;
    } catch (e) {
      throw new Error(`cannot read ${SNAPSHOT_FILE} (create it with npm run gas:snapshot): ${(e as Error).message}`);
    }
    const { regressions, improvements } = compare(current, saved);
    for (const line of improvements) console.error(`gas: ${line}; refresh with npm run gas:snapshot`);
    if (regressions.length > 0) {
      for (const line of regressions) console.error(`gas regression: ${line}`);
      console.error("If the increase is intended, update the snapshot: npm run gas:snapshot");
      process.exitCode = 1;
    }
  }
  console.log(JSON.stringify(current));
}

main().catch((e: unknown) => {
  console.error(e);
  process.exitCode = 1;
});

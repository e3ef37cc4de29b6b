/**
 * Gas of the demand-response cycle on the v2 market: post → fill → oracle report → settle, and the
 * marginal gas of settlement pushed by the oracle's report.
 *
 *   npm run --silent bench:gas   prints ONE JSON object on stdout, compares it with
 *                                bench/gas-snapshot.json and exits 1 when a figure grew > 2 %
 *   npm run gas:snapshot         measures and rewrites bench/gas-snapshot.json (GAS_SNAPSHOT=update)
 *
 * stdout: {"steady":{"post","fill","report","settle","cycle"},"batch":{"offers":10,"perOffer"},
 *          "perTradeAt100", "atScale":{"trades","post","fill","report","settle"},
 *          "bids":{"commit","reveal","publish"}}
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
 * batch.perOffer: one report carrying N measurements (N generators, one book each) that also
 * settles, pushed, the N books measured by the previous report (final now: the dispute window
 * has passed) — the production pipeline. perOffer = (gas(N = 10) − gas(N = 1)) / 9.
 *
 * perTradeAt100: a period at scale — 100 offers posted in one postMany, 100 fills (one per
 * generator), one report carrying the 100 measurements, one settleMany of the 100 books — its
 * whole transactions' gas divided by 100. Measured on the second such period one fill horizon
 * after the first, so each generator's book ring entry is warm (it traded a horizon earlier);
 * the first, cold period is printed on stderr. atScale gives each step's share per trade.
 *
 * bids: the sealed-bid book (contracts/BidBook.sol, deployed after everything above is measured,
 * so the market's figures do not move), default terms. A generator that bids every period: its
 * commitment for a period (relayed, signature checked) once it has bid for 256 periods — its ring
 * entry and bitmap word in use, and the period's counter word started by its bid for the period
 * before; its reveal of a three-step bid (one up, two down); and the centre's publication of a
 * three-step selection (two steps of that generator, one of another). The generator's first,
 * cold commitment and a one-step reveal go to stderr.
 */
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { ethers } from "hardhat";
import { setBalance, time } from "@nomicfoundation/hardhat-network-helpers";
import { Wallet, type ContractTransactionResponse, type Signer } from "ethers";
import {
  deployBidBook,
  deployGridSwap,
  defaultParams,
  seedGridSwap,
  type GridSwapContracts,
} from "../oracle/chain/deploy";
import { bidTermsStruct, bidTimes, readBidBookTerms, sealBid, type SealedBidData } from "../oracle/chain/bids";
import { BaselineMethod, Direction, PricingRule, Quality } from "../oracle/chain/enums";
import { usdPerMWhToUnits } from "../oracle/chain/units";
import { readDomain, signOffer, signReport } from "../oracle/chain/typed-data";
import { measurementProof } from "../oracle/chain/measurement-tree";
import { paperReport } from "../test/contracts/fixtures";
import type { IDemandResponseMarket, IGridOracle } from "../typechain-types";

const SNAPSHOT_FILE = join(__dirname, "gas-snapshot.json");
const TOLERANCE = 0.02;
const GOALS = { fill: 90_000, cycle: 150_000, perOffer: 40_000, perTradeAt100: 150_000 };
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
/** Generators (and trades) in the at-scale period. */
const SCALE = 100;
const WARM_CYCLES = 20;
const USD = (x: string): bigint => ethers.parseUnits(x, 8);
const KWH = (x: string): bigint => ethers.parseUnits(x, 3);

type Steady = Record<"post" | "fill" | "report" | "settle" | "cycle", number>;
type AtScale = { trades: number } & Record<"post" | "fill" | "report" | "settle", number>;
type Bids = Record<"commit" | "reveal" | "publish", number>;
interface Figures {
  steady: Steady;
  batch: { offers: number; perOffer: number };
  perTradeAt100: number;
  atScale: AtScale;
  bids: Bids;
}

type Measurement = IGridOracle.MeasurementStruct;
type BookKey = { generator: string; period: bigint };
/** The nomination every bench generator makes (the measurements' baseline), Wh. */
const NOMINATED_WH = 10_000n;

const fullDelivery = (generator: string, period: bigint, generatorIndex: bigint): Measurement => ({
  generator,
  generatorIndex,
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
  deployer: Signer;
  /** Registry index of each generator (by address, lower case). */
  index: Map<string, bigint>;
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
  // SCALE generators at node 27 (deterministic keys), funded for gas; the first BATCH run the cycles.
  const generators: Signer[] = [];
  for (let i = 0; i < SCALE; ++i) {
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
        capacityW: 1_000_000,
        issueWh: KWH("10000"),
        depositWh: KWH("10000"),
      })),
      centres: [{ signer: centre, mintUsd: USD("100000"), depositUsd: USD("100000") }],
    },
  );
  const now = BigInt(await time.latest());
  if (now >= START_PERIOD * PERIOD) throw new Error(`the chain's clock (${now}) is past the benchmark's fixed start`);
  await time.increaseTo(START_PERIOD * PERIOD);
  const index = new Map<string, bigint>();
  for (const g of generators) {
    const address = await g.getAddress();
    index.set(address.toLowerCase(), (await c.registry.generatorOf(address))[3]);
  }
  const w: World = {
    c,
    deployer,
    index,
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
    minFillWh: KWH("0.115"),
    maxFillWh: KWH("2.3"),
    baseline: BaselineMethod.Nominated,
    baselineDays: 0,
    epoch: 0,
    nonce: ++w.nonce,
  };
}

/** Post (by the centre) and fill (by `generator`) the paper offer for `period`; gas and the book's key. */
async function postAndFill(w: World, generator: Signer, period: bigint, justification: bigint) {
  const offer = { ...paperOffer(w, period, justification), centre: await w.centre.getAddress() };
  const signature = await signOffer(w.centre, w.marketDomain, offer);
  const post = await gasOf(w.c.market.connect(w.centre).post(offer, signature));
  const filled = await gasOf(w.c.market.connect(generator).fill(offer, signature, offer.amountWh, NOMINATED_WH));
  const book: BookKey = { generator: await generator.getAddress(), period };
  return { post: post.gas, fill: filled.gas, book, postTx: post.tx.hash, fillTx: filled.tx.hash };
}

/**
 * One paper cycle with delivery period D (fills at D − 1, report of D + 1 carrying the
 * measurement, settlement once the dispute window has passed, at D + 2).
 */
async function cycle(w: World, d: bigint): Promise<Steady> {
  await time.increaseTo((d - 1n) * PERIOD + 60n);
  const gen = w.generators[0];
  const { post, fill, book } = await postAndFill(w, gen, d, w.lastReport);
  await time.increaseTo((d + 1n) * PERIOD + 10n);
  const measured = [delivered(w, book.generator as string, d)];
  const reportGas = await report(w, paperReport(d + 1n, measured));
  await time.increaseTo((d + 2n) * PERIOD + 10n);
  const proof = measurementProof(d + 1n, measured, book.generator as string, d)!;
  const settle = await gasOf(w.c.market.connect(w.relayer).settle(book.generator, book.period, proof));
  return { post, fill, report: reportGas, settle: settle.gas, cycle: post + fill + reportGas + settle.gas };
}

function delivered(w: World, generator: string, period: bigint): Measurement {
  return fullDelivery(generator, period, w.index.get(generator.toLowerCase())!);
}

/**
 * The pipeline with n generators: round k fills n books for D_k, and the report of D_k + 1
 * carries their n measurements while settling (pushed) the n books of round k − 1 (the previous
 * report's measurement list). Returns the gas of the last round's report.
 */
async function pipeline(w: World, n: number, firstPeriod: bigint, rounds: number): Promise<number> {
  let previous: { period: bigint; measurements: Measurement[] } = { period: 0n, measurements: [] };
  let gas = 0;
  for (let k = 0; k < rounds; ++k) {
    const d = firstPeriod + 2n * BigInt(k);
    await time.increaseTo((d - 1n) * PERIOD + 60n);
    for (const g of w.generators.slice(0, n)) await postAndFill(w, g, d, w.lastReport);
    await time.increaseTo((d + 1n) * PERIOD + 10n);
    const measurements = await Promise.all(
      w.generators.slice(0, n).map(async (g) => delivered(w, await g.getAddress(), d)),
    );
    const r = paperReport(d + 1n, measurements);
    const sent = await gasOf(
      w.c.market
        .connect(w.relayer)
        .reportAndSettle(r, 2n ** 40n, await signatures(w, r), previous.period, previous.measurements, 10_000_000n),
    );
    const settledEvents = (await sent.tx.wait())!.logs.filter(
      (l) => w.c.market.interface.parseLog(l)?.name === "Settled",
    );
    if (settledEvents.length !== previous.measurements.length)
      throw new Error(`round ${k}: ${settledEvents.length} of ${previous.measurements.length} books settled`);
    gas = sent.gas;
    w.lastReport = d + 1n;
    previous = { period: d + 1n, measurements };
  }
  return gas;
}

/**
 * Per-item gas without pushed settlement: a report carrying n measurements (oracle.submitReport)
 * and a settleMany of the n positions once final. Returns both transactions' gas.
 */
async function separate(w: World, n: number, d: bigint): Promise<{ report: number; settleMany: number }> {
  await time.increaseTo((d - 1n) * PERIOD + 60n);
  for (const g of w.generators.slice(0, n)) await postAndFill(w, g, d, w.lastReport);
  await time.increaseTo((d + 1n) * PERIOD + 10n);
  const measurements = await Promise.all(
    w.generators.slice(0, n).map(async (g) => delivered(w, await g.getAddress(), d)),
  );
  const reportGas = await report(w, paperReport(d + 1n, measurements));
  await time.increaseTo((d + 2n) * PERIOD + 10n);
  const settled = await gasOf(w.c.market.connect(w.relayer).settleReport(d + 1n, measurements));
  return { report: reportGas, settleMany: settled.gas };
}

/**
 * One period at scale for delivery period `d`: `n` offers posted in one postMany, one fill by each
 * of `n` generators, one report carrying their `n` measurements, one settleMany of the `n` books.
 * Returns each step's gas per trade and the total per trade.
 */
async function atScale(w: World, n: number, d: bigint): Promise<{ perTrade: number } & AtScale> {
  await time.increaseTo((d - 1n) * PERIOD + 60n);
  const centre = await w.centre.getAddress();
  const offers = w.generators.slice(0, n).map(() => ({ ...paperOffer(w, d, w.lastReport), centre }));
  const signaturesOf = await Promise.all(offers.map((o) => signOffer(w.centre, w.marketDomain, o)));
  const post = await gasOf(w.c.market.connect(w.centre).postMany(offers, signaturesOf));
  let fill = 0;
  const books: BookKey[] = [];
  for (let i = 0; i < n; ++i) {
    const g = w.generators[i];
    fill += (await gasOf(w.c.market.connect(g).fill(offers[i], signaturesOf[i], offers[i].amountWh, NOMINATED_WH))).gas;
    books.push({ generator: await g.getAddress(), period: d });
  }
  await time.increaseTo((d + 1n) * PERIOD + 10n);
  const measurements = books.map((b) => delivered(w, b.generator as string, d));
  const reportGas = await report(w, paperReport(d + 1n, measurements));
  await time.increaseTo((d + 2n) * PERIOD + 10n);
  const settled = await gasOf(w.c.market.connect(w.relayer).settleReport(d + 1n, measurements));
  const settledEvents = (await settled.tx.wait())!.logs.filter(
    (l) => w.c.market.interface.parseLog(l)?.name === "Settled",
  );
  if (settledEvents.length !== n) throw new Error(`at scale: ${settledEvents.length} of ${n} books settled`);
  const per = (gas: number) => Math.round(gas / n);
  const total = post.gas + fill + reportGas + settled.gas;
  return {
    trades: n,
    post: per(post.gas),
    fill: per(fill),
    report: per(reportGas),
    settle: per(settled.gas),
    perTrade: per(total),
  };
}

/** A bid of `generator` at node 27 for `period`: `up` and `down` steps of 10 kWh at rising prices. */
function benchBid(generator: string, period: bigint, up: number, down: number): SealedBidData {
  const steps = (n: number, from: number) =>
    Array.from({ length: n }, (_, i) => ({ quantityWh: KWH("10"), priceUsdPerMWh: usdPerMWhToUnits(from + 2 * i) }));
  return {
    generator,
    firstPeriod: Number(period),
    lastPeriod: Number(period),
    bid: { node: 27, up: steps(up, 104), down: steps(down, 12), salt: ethers.id(`bench bid ${generator} ${period}`) },
  };
}

/**
 * The bid book's figures (see the file header): generator 0 bids every period for 256 periods,
 * then its commitment, reveal and the centre's publication for the next one are measured.
 */
async function bidding(w: World): Promise<{ figures: Bids; coldCommit: number; revealOneStep: number }> {
  const book = await deployBidBook(w.deployer, w.c.market);
  const terms = await readBidBookTerms(book);
  const domain = await readDomain(book);
  const [a, b] = w.generators;
  const [addressA, addressB] = [await a.getAddress(), await b.getAddress()];
  const commit = async (who: Signer, sealed: SealedBidData): Promise<number> => {
    const { commitment, signature } = await sealBid(who, domain, sealed);
    const { firstPeriod, lastPeriod, generator } = sealed;
    return (await gasOf(book.connect(w.relayer).commit(generator, firstPeriod, lastPeriod, commitment, signature))).gas;
  };
  const now = BigInt(await time.latest()) / PERIOD;
  // The measured period: 256 periods of bids after the first, not the first of a counter word.
  let target = now + 3n + 256n;
  while (target % 8n !== 3n) target++;
  let coldCommit = 0;
  for (let p = target - 256n; p < target; p++) {
    // Commitments reach 96 periods ahead: move the clock along with the warm-up.
    if (p > BigInt(await time.latest()) / PERIOD + 90n) await time.increaseTo((p - 90n) * PERIOD);
    const gas = await commit(a, benchBid(addressA, p, 1, 2));
    if (p === target - 256n) coldCommit = gas;
  }
  const sealedA = benchBid(addressA, target, 1, 2);
  const sealedB = benchBid(addressB, target, 0, 1);
  const commitGas = await commit(a, sealedA);
  await commit(b, sealedB);
  await time.increaseTo(bidTimes(Number(target), terms).bidGate);
  const reveal = async (s: SealedBidData) =>
    (await gasOf(book.connect(w.relayer).reveal(s.generator, s.firstPeriod, bidTermsStruct(s.bid)))).gas;
  const revealGas = await reveal(sealedA);
  const revealOneStep = await reveal(sealedB);
  await time.increaseTo(bidTimes(Number(target), terms).revealEnd);
  const selected = (generator: string, step: number, quantityWh: bigint, usd: number) => ({
    generator,
    firstPeriod: target,
    direction: Direction.Decrease,
    step,
    quantityWh,
    priceUsdPerMWh: usdPerMWhToUnits(usd),
  });
  const steps = [
    selected(addressA, 0, KWH("10"), 18),
    selected(addressA, 1, KWH("4.2"), 18),
    selected(addressB, 0, KWH("10"), 18),
  ].sort((x, y) =>
    BigInt(x.generator) < BigInt(y.generator) ? -1 : BigInt(x.generator) > BigInt(y.generator) ? 1 : x.step - y.step,
  );
  const publish = await gasOf(
    book.connect(w.centre).publishSelection(target, PricingRule.Nodal, ethers.id("bench study inputs"), steps),
  );
  return { figures: { commit: commitGas, reveal: revealGas, publish: publish.gas }, coldCommit, revealOneStep };
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
    ["perTradeAt100", current.perTradeAt100, saved.perTradeAt100],
    ...Object.entries(current.bids).map(([k, v]): [string, number, number | undefined] => [
      `bids.${k}`,
      v,
      saved.bids?.[k as keyof Bids],
    ]),
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
  // At scale: a cold period, then the same one fill horizon later (every generator's ring entry warm).
  const horizon = BigInt(PARAMS.fillHorizonPeriods);
  const scaleStart = (d += 4n);
  const cold = await atScale(w, SCALE, scaleStart);
  const warm = await atScale(w, SCALE, scaleStart + horizon);
  const { perTrade: perTradeAt100, ...scaleSteps } = warm;
  // Last, so that nothing above sees the bid book's deployment.
  const bids = await bidding(w);
  // EIP-7825 (Osaka) caps one transaction at 2^24 gas; blocks hold 30M+ (a report must fit one transaction).
  const TX_CAP = 16_777_216;
  const current: Figures = {
    steady,
    batch: { offers: BATCH, perOffer },
    perTradeAt100,
    atScale: scaleSteps,
    bids: bids.figures,
  };

  console.error(
    JSON.stringify(
      {
        unit: "gas (receipt.gasUsed, incl. 21,000 intrinsic and calldata)",
        config: "2-of-3 oracle (2 signatures per report), 1800-s periods, dispute window 1800 s",
        firstCycle: first,
        pipeline: { reportWith1: one, reportWith10: ten },
        atScaleColdRing: cold,
        bidBook: {
          firstCommit: bids.coldCommit,
          revealOfOneStep: bids.revealOneStep,
          bid: "commit: one period, relayed; reveal: 1 up + 2 down steps; publish: 3 selected steps",
        },
        perItem: {
          measurementInReport: perMeasurement,
          settlementInSettleReport: perSettlement,
          reportWith1: s1.report,
          settleReportOf1: s1.settleMany,
          largestReportUnderTxCap: Math.floor((TX_CAP - s1.report) / perMeasurement) + 1,
          largestSettleReportUnderTxCap: Math.floor((TX_CAP - s1.settleMany) / perSettlement) + 1,
        },
        goals: {
          fill: { max: GOALS.fill, met: steady.fill <= GOALS.fill },
          cycle: { max: GOALS.cycle, met: steady.cycle <= GOALS.cycle },
          perOffer: { max: GOALS.perOffer, met: perOffer <= GOALS.perOffer },
          perTradeAt100: { max: GOALS.perTradeAt100, met: perTradeAt100 <= GOALS.perTradeAt100 },
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

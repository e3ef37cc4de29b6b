/**
 * Composable fixtures for the contract tests (Seaport style), built on the production factory
 * `deployGridSwap` + `seedGridSwap` (oracle/chain/deploy.ts): every role on its own account, a
 * 2-of-3 oracle, four generators (two at node 27) with meter keys and 1 MW of registered
 * capacity each, two centres with USD in the vault. Helpers build the paper's offer, sign offers
 * and reports with the domains read from the contracts (ERC-5267), and decode fills from Filled
 * events. Not a test file itself.
 * Units: USD 8 decimals (1e-8 USD), kWh token 3 decimals (Wh).
 */
import { ethers } from "hardhat";
import { time } from "@nomicfoundation/hardhat-network-helpers";
import type { HardhatEthersSigner } from "@nomicfoundation/hardhat-ethers/signers";
import { type ContractTransactionResponse, type TypedDataDomain, Wallet } from "ethers";
import {
  deployBidBook,
  deployGridSwap,
  defaultParams,
  seedGridSwap,
  type BidBookParams,
  type GridSwapParams,
} from "../../oracle/chain/deploy";
import { readBidBookTerms } from "../../oracle/chain/bids";
import { BaselineMethod, Direction, Quality } from "../../oracle/chain/enums";
import { readDomain, signOffer, signReport, type OfferStruct } from "../../oracle/chain/typed-data";
import { fillFromEvent, type FillData } from "../../oracle/chain/market-data";
import { findMeasurementProof } from "../../oracle/chain/measurement-proofs";
import type { IDemandResponseMarket, IGridOracle } from "../../typechain-types";

export const USD = (x: string): bigint => ethers.parseUnits(x, 8);
export const KWH = (x: string): bigint => ethers.parseUnits(x, 3);
/** The paper's trade: 2.3 kWh of decrease at node 27 for 0.25266763 USD. */
export const PAPER_WH = KWH("2.3");
export const PAPER_USD = USD("0.25266763");
/** A deadline far enough away for any signature in a test. */
export const FAR = 2n ** 40n;
/** Registered capacity of every fixture generator, W (1 MW: 500 kWh in an 1800-s period). */
export const CAPACITY_W = 1_000_000;
/** The baseline of `measurement` and the nomination of `fillOffer`, Wh. */
export const BASELINE_WH = 10_000n;

export type Offer = IDemandResponseMarket.OfferStruct & { nonce: bigint };
export type BookKey = { generator: string; period: number };
export type MeasurementStruct = IGridOracle.MeasurementStruct;
export type Report = IGridOracle.ReportStruct;

/** Named accounts (hardhat's 20): every role separate. Meter keys are off-chain wallets. */
export async function accounts() {
  const s = await ethers.getSigners();
  const [deployer, admin, centre, centre2, o1, o2, o3, registrar, issuer, treasury] = s;
  const [gen27, gen34, gen2, stranger, o4, o5, gen27b] = s.slice(10, 17);
  // Deterministic meter keys, so that calldata (hence gas) is the same on every run.
  const key = (name: string) => new Wallet(ethers.id(`meter key of ${name}`));
  const meter = { gen27: key("gen27"), gen34: key("gen34"), gen2: key("gen2"), gen27b: key("gen27b") };
  return {
    deployer,
    admin,
    centre,
    centre2,
    o1,
    o2,
    o3,
    o4,
    o5,
    registrar,
    issuer,
    treasury,
    gen27,
    gen34,
    gen2,
    gen27b,
    stranger,
    meter,
  };
}

/**
 * Deploys and seeds with `params` (production defaults unless overridden) and moves the clock
 * 60 s into a fresh period P with the report of P − 1 submitted (the offers' justification).
 */
/**
 * Registry index of the fixture's generators by address (lower case), filled in by deployWith —
 * the same on every deployment, since accounts and registration order are fixed.
 */
const REGISTRY_INDEX = new Map<string, number>();

/** The registry index a measurement of `generator` carries (made up, but distinct, for unregistered addresses). */
export function indexOf(generator: string): number {
  return REGISTRY_INDEX.get(generator.toLowerCase()) ?? 1000 + Number(BigInt(generator) % 1_000_000n);
}

export async function deployWith(params: Partial<GridSwapParams> = {}) {
  const a = await accounts();
  const p = { ...defaultParams(params.periodSeconds), ...params };
  const c = await deployGridSwap(
    a.deployer,
    {
      admin: a.admin.address,
      centres: [a.centre.address, a.centre2.address],
      oracleSigners: [a.o1.address, a.o2.address, a.o3.address],
      oracleThreshold: 2,
      registrar: a.registrar.address,
      issuer: a.issuer.address,
      treasury: a.treasury.address,
    },
    p,
  );
  const gens: [HardhatEthersSigner, number, Wallet][] = [
    [a.gen27, 27, a.meter.gen27],
    [a.gen34, 34, a.meter.gen34],
    [a.gen2, 2, a.meter.gen2],
    [a.gen27b, 27, a.meter.gen27b],
  ];
  await seedGridSwap(
    c,
    { registrar: a.registrar, issuer: a.issuer, treasury: a.treasury },
    {
      generators: gens.map(([signer, node, m]) => ({
        signer,
        node,
        meterKey: m.address,
        capacityW: CAPACITY_W,
        issueWh: KWH("1000"),
        depositWh: KWH("500"),
      })),
      centres: [a.centre, a.centre2].map((signer) => ({ signer, mintUsd: USD("1000"), depositUsd: USD("500") })),
    },
  );
  const periodSeconds = BigInt(p.periodSeconds);
  const period = BigInt(await time.latest()) / periodSeconds + 2n;
  const start = period * periodSeconds;
  await time.increaseTo(start + 60n);
  for (const [signer] of gens) {
    REGISTRY_INDEX.set(signer.address.toLowerCase(), Number((await c.registry.generatorOf(signer.address))[3]));
  }
  const marketDomain = await readDomain(c.market);
  const oracleDomain = await readDomain(c.oracle);
  const f = { ...a, ...c, params: p, periodSeconds, period, start, marketDomain, oracleDomain };
  await submitReport(f, emptyReport(period - 1n));
  return f;
}

export type Fixture = Awaited<ReturnType<typeof deployWith>>;

/** The production fixture: 1800-s periods, one-period dispute window. */
export const deployMarket = (): Promise<Fixture> => deployWith();
/** Same with a dispute window of 0 s (measurements final at once, pushed settlement in the report). */
export const deployNoWindow = (): Promise<Fixture> => deployWith({ disputeWindowSeconds: 0 });
/** Same with 60-second periods. */
export const deployShortPeriods = (): Promise<Fixture> => deployWith({ periodSeconds: 60, disputeWindowSeconds: 60 });

/**
 * The market fixture with a bid book (deployBidBook: default terms unless overridden — 1800-s
 * periods: bids for D close at D·1800 − 2100, reveals until D·1800 − 1800, selection until D·1800).
 * The clock is 60 s into period P, so P + 2 is the first period still open for bids.
 */
export async function deployBidsWith(params: Partial<GridSwapParams> = {}, bidParams: Partial<BidBookParams> = {}) {
  const f = await deployWith(params);
  const bids = await deployBidBook(f.deployer, f.market, bidParams);
  return { ...f, bids, bidsDomain: await readDomain(bids), bidTerms: await readBidBookTerms(bids) };
}

export type BidsFixture = Awaited<ReturnType<typeof deployBidsWith>>;

/** The production fixture with a bid book on default terms. */
export const deployBids = (): Promise<BidsFixture> => deployBidsWith();

let nonceCounter = 1n;

/** The paper's offer from `centre` for the next period (P + 1), signed fillable until that period starts. */
export function paperOffer(f: Fixture, overrides: Partial<Offer> = {}): Offer {
  const period = f.period + 1n;
  return {
    centre: f.centre.address,
    generator: ethers.ZeroAddress,
    node: 27,
    direction: Direction.Decrease,
    amountWh: PAPER_WH,
    usd: PAPER_USD,
    period,
    justification: f.period - 1n,
    deadline: period * f.periodSeconds - 1n,
    minFillWh: 1n,
    maxFillWh: PAPER_WH,
    baseline: BaselineMethod.Nominated,
    baselineDays: 0,
    epoch: 0,
    nonce: nonceCounter++,
    ...overrides,
  };
}

/** The centre's signature (the signer is looked up by the offer's centre unless given). */
export async function sign(f: Fixture, offer: OfferStruct, signer?: { signTypedData: Wallet["signTypedData"] }) {
  const who = signer ?? [f.centre, f.centre2, f.stranger, f.admin].find((s) => s.address === offer.centre);
  if (!who) throw new Error(`no signer for centre ${offer.centre}`);
  return signOffer(who as never, f.marketDomain, offer);
}

/**
 * Fills up to `amountWh` (default: all) of `offer` by `generator`, nominating `nominatedWh`
 * (default BASELINE_WH for a Nominated offer, else 0); returns the fill from the Filled event
 * and the key of the generator's book.
 */
export async function fillOffer(
  f: Fixture,
  offer: Offer,
  generator: HardhatEthersSigner,
  amountWh: bigint = BigInt(offer.amountWh),
  nominatedWh: bigint = Number(offer.baseline) === BaselineMethod.Nominated ? BASELINE_WH : 0n,
): Promise<FillData & { key: BookKey }> {
  const tx = await f.market.connect(generator).fill(offer, await sign(f, offer), amountWh, nominatedWh);
  return fillOf(f, tx);
}

/** The fill of the (first) Filled event of `tx`, with its book's key. */
export async function fillOf(f: Fixture, tx: ContractTransactionResponse): Promise<FillData & { key: BookKey }> {
  const receipt = await tx.wait();
  for (const log of receipt!.logs) {
    const parsed = f.market.interface.parseLog(log);
    if (parsed?.name !== "Filled") continue;
    const fill = fillFromEvent(parsed.args.offerHash, parsed.args.generator, parsed.args.period, parsed.args.details);
    return { ...fill, key: { generator: fill.generator, period: fill.period } };
  }
  throw new Error("no Filled event");
}

/** A measurement of `deliveredWh` (baseline BASELINE_WH, actual = baseline + delivered). */
export function measurement(
  generator: string,
  period: bigint | number,
  deliveredWh: bigint,
  overrides: Partial<MeasurementStruct> = {},
): MeasurementStruct {
  const baselineWh = BASELINE_WH;
  return {
    generator,
    generatorIndex: indexOf(generator),
    period,
    baseline: BaselineMethod.Nominated,
    baselineDays: 0,
    baselineWh,
    actualWh: baselineWh + deliveredWh,
    deliveredWh,
    quality: Quality.Ok,
    ...overrides,
  };
}

/** A report for `period` with the paper's three violated lines (W), one price and `measurements`. */
export function paperReport(period: bigint, measurements: MeasurementStruct[] = []): Report {
  return {
    period,
    inputHash: ethers.keccak256(ethers.toUtf8Bytes(`seed34 period ${period}`)),
    readingsHash: ethers.keccak256(ethers.toUtf8Bytes(`readings ${period}`)),
    violations: [
      { line: 14, flowW: -764_000n, limitW: 750_000n, deviationW: 14_000n },
      { line: 15, flowW: -765_900n, limitW: 750_000n, deviationW: 15_900n },
      { line: 23, flowW: -770_600n, limitW: 750_000n, deviationW: 20_600n },
    ],
    prices: [{ node: 27, usdPerMWh: -1_500_000_000n, lossUsdPerMWh: 3_700_000n, congestionUsdPerMWh: -1_000_000_000n }],
    measurements,
  };
}

export function emptyReport(period: bigint): Report {
  return {
    period,
    inputHash: ethers.ZeroHash,
    readingsHash: ethers.ZeroHash,
    violations: [],
    prices: [],
    measurements: [],
  };
}

/** Signatures of o1 and o2 (2 of 3) over `report` under the current configuration. */
export async function reportSignatures(
  f: { oracle: Fixture["oracle"]; oracleDomain: TypedDataDomain; o1: HardhatEthersSigner; o2: HardhatEthersSigner },
  report: Report,
  deadline: bigint = FAR,
  signers = [f.o1, f.o2],
): Promise<string[]> {
  return signReport(signers, f.oracleDomain, report, await f.oracle.configEpoch(), deadline);
}

/** Submits `report` signed by o1 and o2, relayed by a stranger (anyone). */
export async function submitReport(
  f: Pick<Fixture, "oracle" | "oracleDomain" | "o1" | "o2" | "stranger">,
  report: Report,
): Promise<ContractTransactionResponse> {
  const tx = await f.oracle.connect(f.stranger).submitReport(report, FAR, await reportSignatures(f, report));
  await tx.wait();
  return tx;
}

/** The proof of the reported measurement of `generator` in `period`, from the oracle's events. */
export function proofFor(f: Pick<Fixture, "oracle">, generator: string, period: bigint | number) {
  return findMeasurementProof(f.oracle, generator, period);
}

/** settle(generator, period, its proof) as anyone may call it. */
export async function settleArgs(f: Pick<Fixture, "oracle">, generator: string, period: bigint | number) {
  return [generator, period, await proofFor(f, generator, period)] as const;
}

/** Moves the clock to `seconds` after the start of `period`. */
export async function at(f: Fixture, period: bigint, seconds = 0n): Promise<void> {
  await time.increaseTo(period * f.periodSeconds + seconds);
}

/**
 * Fills the paper offer for P + 1, moves into P + 2 and reports the generator's delivery of P + 1
 * (`deliveredWh`, Decrease: negative), then waits out the dispute window. Returns the fill.
 */
export async function filledAndMeasured(f: Fixture, deliveredWh: bigint, offer: Offer = paperOffer(f)) {
  const fill = await fillOffer(f, offer, f.gen27);
  const delivery = BigInt(offer.period);
  await at(f, delivery + 1n, 10n);
  await submitReport(f, paperReport(delivery + 1n, [measurement(f.gen27.address, delivery, deliveredWh)]));
  await time.increase(BigInt(f.params.disputeWindowSeconds));
  return fill;
}

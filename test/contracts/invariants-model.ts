/**
 * The model of the vault and market for the model-based property test (invariants.test.ts): the
 * model's state, the real contracts, the commands (each run on chain and in the model side by
 * side, with the outcome it predicts) and the invariants checked after every command.
 */
import { expect } from "chai";
import fc from "fast-check";
import { time } from "@nomicfoundation/hardhat-network-helpers";
import type { HardhatEthersSigner } from "@nomicfoundation/hardhat-ethers/signers";
import type { BaseContract, ContractTransactionResponse, Wallet } from "ethers";
import { Asset, BookState, Direction, MeasurementState, OfferStatus, Quality } from "../../oracle/chain/enums";
import { creditedDelivery, settlement } from "../../oracle/chain/units";
import { measurementProof, noProof } from "../../oracle/chain/measurement-tree";
import { BASELINE_WH, type Fixture, type MeasurementStruct, type Offer } from "./fixtures";

export const SEED = process.env.FC_SEED !== undefined ? Number(process.env.FC_SEED) : 20_251_201;
export const RUNS = process.env.FC_RUNS !== undefined ? Number(process.env.FC_RUNS) : 200;
if (!Number.isInteger(SEED)) throw new Error(`FC_SEED must be an integer, got '${process.env.FC_SEED}'`);
if (!Number.isInteger(RUNS) || RUNS < 1) throw new Error("FC_RUNS must be a positive integer");

export const PERIOD = 60n;
export const GRACE = 600n;
export const WINDOW = 60n;
export const TERMS = { minDeliveredBps: 5_000n, penaltyBps: 5_000n };
export const CENTRES = ["centre", "centre2"] as const;
export const GENERATORS = ["gen27", "gen27b", "gen34"] as const;
export const PARTIES = [...CENTRES, ...GENERATORS] as const;
export type Party = (typeof PARTIES)[number];
export type Gen = (typeof GENERATORS)[number];
export const NODE: Record<Gen, number> = { gen27: 27, gen27b: 27, gen34: 34 };
/** Nominations the generators choose from (Wh; the fixture's 1 MW over 60 s allows up to 16,666). */
export const NOMINATIONS = [BASELINE_WH, BASELINE_WH - 500n, BASELINE_WH + 700n];

export interface Bal {
  usd: bigint;
  kwh: bigint;
}
export interface OfferRec {
  offer: Offer;
  sig: string;
  hash: string;
}
export interface BookM {
  gen: Gen;
  period: bigint;
  state: number;
  direction: number;
  centre: string;
  committed: bigint;
  usd: bigint;
  nominated: bigint;
  settled: number;
}
export interface RecordM {
  delivered: bigint;
  actual: bigint;
  quality: number;
  state: number;
  at: bigint;
}
export interface Model {
  next: bigint;
  wallet: Record<Party, Bal>;
  free: Record<Party, Bal>;
  epoch: Record<string, bigint>;
  bits: Map<string, bigint>;
  /** centre:nonce → the offer a partial fill bound it to, and its filled Wh. */
  partials: Map<string, { hash: string; filled: bigint }>;
  offers: OfferRec[];
  books: Map<string, BookM>;
  /** Report period → its measurement list (empty for reports without measurements). */
  reports: Map<bigint, MeasurementStruct[]>;
  records: Map<string, RecordM & { reportPeriod: bigint }>;
  nonce: bigint;
}
export interface Real {
  f: Fixture;
  /** Free balances of accounts outside the model (gen2, seeded, never acting). */
  others: Bal;
  signer: Record<Party, HardhatEthersSigner>;
  meter: Record<Gen, Wallet>;
}

export const periodOfT = (t: bigint) => t / PERIOD;
export const key = (a: string, b: bigint | string) => `${a.toLowerCase()}:${b}`;
export const who = (r: Real, p: Party) => r.signer[p].address;

/** How often each command ended how, over all runs (printed: shows what was exercised). */
export const OUTCOMES = new Map<string, number>();
export let current = "";
export const count = (outcome: string) => {
  const k = `${current}: ${outcome}`;
  OUTCOMES.set(k, (OUTCOMES.get(k) ?? 0) + 1);
};

/** Sends a transaction at the model's clock and checks the predicted outcome. */
export async function send(
  m: Model,
  tx: () => Promise<ContractTransactionResponse>,
  expected: { on: BaseContract; error: string; args?: unknown[] } | null,
): Promise<ContractTransactionResponse | null> {
  await time.setNextBlockTimestamp(m.next);
  let out: ContractTransactionResponse | null = null;
  count(expected ? expected.error : "ok");
  if (expected) {
    const a = expect(tx()).to.be.revertedWithCustomError(expected.on, expected.error);
    await (expected.args ? a.withArgs(...expected.args) : a);
  } else {
    out = await tx();
    await out.wait();
  }
  m.next += 1n;
  return out;
}

export function escrow(m: Model): Bal {
  const open = [...m.books.values()].filter((b) => b.state === BookState.Open);
  return {
    usd: open.reduce((a, b) => a + b.usd, 0n),
    kwh: open.reduce((a, b) => a + b.committed, 0n),
  };
}

export async function checkStep(m: Model, r: Real): Promise<void> {
  const market = await r.f.market.getAddress();
  const e = escrow(m);
  let usd = e.usd + r.others.usd;
  let kwh = e.kwh + r.others.kwh;
  for (const p of PARTIES) {
    const [u, k] = await r.f.market.balancesOf(who(r, p));
    expect({ usd: u, kwh: k }, `free balance of ${p}`).to.deep.equal(m.free[p]);
    usd += u;
    kwh += k;
  }
  expect(await r.f.usd.balanceOf(market), "solvency: market USD = Σ free + Σ escrow").to.equal(usd);
  expect(await r.f.kwh.balanceOf(market), "solvency: market kWh = Σ free + Σ escrow").to.equal(kwh);
  expect(await r.f.market.accounted(Asset.Usd), "accounted USD").to.equal(usd);
  expect(await r.f.market.accounted(Asset.Kwh), "accounted kWh").to.equal(kwh);
}

export abstract class Cmd implements fc.AsyncCommand<Model, Real> {
  check(): boolean {
    return true;
  }
  abstract act(m: Model, r: Real): Promise<void>;
  async run(m: Model, r: Real): Promise<void> {
    current = this.toString().split("(")[0];
    await this.act(m, r);
    await checkStep(m, r);
  }
  abstract toString(): string;
}

/** Where an offer stands in the model, and what it has filled (the contract's offerStatus). */
export function status(m: Model, rec: OfferRec): { status: number; filled: bigint } {
  const o = rec.offer;
  const centre = o.centre as string;
  const part = m.partials.get(key(centre, BigInt(o.nonce)));
  const mine = part?.hash === rec.hash;
  const filled = mine ? part.filled : 0n;
  const period = BigInt(o.period);
  if (m.next > BigInt(o.deadline) || m.next >= period * PERIOD || period > periodOfT(m.next) + 48n)
    return { status: OfferStatus.Closed, filled };
  if (BigInt(o.epoch) !== m.epoch[centre]) return { status: OfferStatus.EpochCancelled, filled };
  if (part && !mine) return { status: OfferStatus.NonceUsed, filled: 0n };
  const bit = 1n << (BigInt(o.nonce) & 255n);
  if (((m.bits.get(key(centre, BigInt(o.nonce) >> 8n)) ?? 0n) & bit) !== 0n)
    return { status: OfferStatus.NonceUsed, filled };
  if (filled === BigInt(o.amountWh)) return { status: OfferStatus.Filled, filled };
  return { status: OfferStatus.Open, filled };
}

/** The proof of the reported measurement of (generator, period), or an empty one. */
export function shown(m: Model, generator: string, period: bigint) {
  const rec = m.records.get(key(generator, period));
  if (!rec) return noProof(generator, period);
  return (
    measurementProof(rec.reportPeriod, m.reports.get(rec.reportPeriod) ?? [], generator, period) ??
    noProof(generator, period)
  );
}

/** What the model says about settling `book` now: an error, or the amounts. */
export function predict(m: Model, r: Real, book: BookM) {
  const g = who(r, book.gen);
  if (book.state !== BookState.Open)
    return { error: { on: r.f.market, error: "NoOpenBook", args: [g, book.period] }, record: undefined };
  const rec = m.records.get(key(g, book.period));
  const state = rec?.state ?? MeasurementState.None;
  const final =
    state === MeasurementState.Corrected || (state === MeasurementState.Reported && m.next >= rec!.at + WINDOW);
  if (!final)
    return { error: { on: r.f.market, error: "MeasurementNotFinal", args: [book.period, g, state] }, record: rec };
  const increase = book.direction === Direction.Increase;
  // Final and still Missing or Bad: no delivery credited (the penalty applies).
  const unusable = rec!.quality === Quality.Missing || rec!.quality === Quality.Bad;
  const credited = unusable ? 0n : creditedDelivery(true, book.nominated, rec!.actual, rec!.delivered, increase);
  return {
    amounts: settlement({ committedWh: book.committed, usd: book.usd, increase }, credited, TERMS),
    record: rec,
  };
}

export function applySettlement(m: Model, r: Real, book: BookM, a: ReturnType<typeof settlement>) {
  const centre = CENTRES.find((c) => who(r, c) === book.centre)!;
  m.free[centre].usd += a.usdToCentre;
  m.free[centre].kwh += a.kwhToCentre;
  m.free[book.gen].usd += a.usdToGenerator;
  m.free[book.gen].kwh += a.kwhToGenerator;
  book.state = BookState.Settled;
  book.settled += 1;
}

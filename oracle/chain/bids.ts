/**
 * Sealed bids on chain (contracts/BidBook.sol; docs/bids.md), from TypeScript:
 *
 *   const sealed = { generator, firstPeriod, lastPeriod, bid: { node, up, down, salt: newSalt() } };
 *   checkSealedBid(sealed, { registeredNode, capacityW, terms });  // the contract's checks, before signing
 *   const { commitment, signature } = await sealBid(wallet, domain, sealed);
 *   await commitBid(book, relayer, sealed, signature);             // before bidGate(firstPeriod)
 *   await revealBid(book, relayer, sealed);                        // in [bidGate, revealEnd)
 *   const events = await readBidBookEvents(book, fromBlock);      // commitments, reveals, selections
 *   runPeriod(c, forecasts, { bids: revealedBids(events.reveals).map(toMarketBid) });
 *   await publishSelection(book, centre, toPublishedSelection(result.bids.selection, inputHash));
 *
 * Units as on chain: Wh, USD/MWh × 1e8, 1e-8 USD, periods, Unix seconds; the market core's bids
 * (oracle/market/bids.ts) are in Wh and USD/MWh, converted here through units.ts. Every helper
 * that sends goes through sendGuarded and first asks the chain whether it is done already, so a
 * restart or a retry never commits, reveals or publishes twice.
 */
import { getAddress, hexlify, randomBytes, type Signer, type TypedDataDomain } from "ethers";
import type { BidBook, IBidBook } from "../../typechain-types";
import type { TypedContractEvent, TypedDeferredTopicFilter, TypedEventLog } from "../../typechain-types/common";
import type { PricingRule as MarketPricingRule } from "../grid/case/operation";
import type { Bid, BidSelection } from "../market/bids";
import { DEFAULT_MAX_BLOCK_RANGE } from "./board";
import { providerOf, queryLogs } from "./logs";
import { BidState, Direction, PricingRule } from "./enums";
import { sendGuarded, type SendOptions, type SendResult } from "./tx";
import { bidCommitment, selectionHash, signSealedBid, type SelectedStepStruct } from "./typed-data";
import { energyPayment, unitsToUsdPerMWh, usdPerMWhToUnits } from "./units";

/** BidBook's constants (test/contracts/BidBook.test.ts checks them against the contract). */
export const MAX_STEPS = 4;
export const MAX_RANGE_PERIODS = 48;
export const COMMIT_HORIZON_PERIODS = 96;
export const MAX_SELECTION = 256;

/** One step of a bid: Wh over one period at USD/MWh × 1e8. */
export interface BidStepData {
  readonly quantityWh: bigint;
  readonly priceUsdPerMWh: bigint;
}

/** What a generator bids (IBidBook.BidTerms). */
export interface BidTermsData {
  readonly node: number;
  readonly up: readonly BidStepData[];
  readonly down: readonly BidStepData[];
  /** 32 random bytes, hex: keeps the commitment from being guessed. Never reuse one. */
  readonly salt: string;
}

/** A bid with its generator and delivery periods: what the generator signs (SealedBid). */
export interface SealedBidData {
  readonly generator: string;
  readonly firstPeriod: number;
  readonly lastPeriod: number;
  readonly bid: BidTermsData;
}

/** The bid book's terms (IBidBook.Terms): seconds, and the highest price in USD/MWh × 1e8. */
export interface BidBookTermsData {
  readonly periodSeconds: number;
  readonly gateClosureSeconds: number;
  readonly studySeconds: number;
  readonly revealSeconds: number;
  readonly bidGateSeconds: number;
  readonly maxPriceUsdPerMWh: bigint;
}

/** A selected step as published (IBidBook.SelectedStep; direction as Direction's ordinal). */
export interface SelectedStepData {
  readonly generator: string;
  readonly firstPeriod: number;
  readonly direction: number;
  readonly step: number;
  readonly quantityWh: bigint;
  readonly priceUsdPerMWh: bigint;
}

/** A period's selection as the bid book records it (pricingRule as PricingRule's ordinal). */
export interface PublishedSelection {
  readonly period: number;
  readonly pricingRule: number;
  readonly inputHash: string;
  readonly steps: readonly SelectedStepData[];
}

/**
 * A bid the bid book would refuse, found before signing: `errorName` is the contract's custom
 * error it would meet (InvalidSalt: the ABI's refusal of a salt that is not 32 bytes).
 */
export class BidError extends RangeError {
  constructor(
    readonly errorName: string,
    message: string,
  ) {
    super(`${errorName}: ${message}`);
    this.name = "BidError";
  }
}

/** 32 random bytes for a bid's salt (hex). */
export const newSalt = (): string => hexlify(randomBytes(32));

export async function readBidBookTerms(book: BidBook): Promise<BidBookTermsData> {
  const t = await book.terms();
  return {
    periodSeconds: Number(t.periodSeconds),
    gateClosureSeconds: Number(t.gateClosureSeconds),
    studySeconds: Number(t.studySeconds),
    revealSeconds: Number(t.revealSeconds),
    bidGateSeconds: Number(t.bidGateSeconds),
    maxPriceUsdPerMWh: t.maxPriceUsdPerMWh,
  };
}

/** The times of delivery period `period` (Unix s): bid gate, end of the reveal window, fill gate. */
export function bidTimes(
  period: number,
  terms: BidBookTermsData,
): { bidGate: number; revealEnd: number; fillGate: number } {
  const start = period * terms.periodSeconds;
  const bidGate = Math.max(0, start - terms.bidGateSeconds);
  return {
    bidGate,
    revealEnd: bidGate + terms.revealSeconds,
    fillGate: Math.max(0, start - terms.gateClosureSeconds),
  };
}

/** The bid's terms as the contract's struct. */
export function bidTermsStruct(bid: BidTermsData): IBidBook.BidTermsStruct {
  return {
    node: bid.node,
    up: bid.up.map((s) => ({ ...s })),
    down: bid.down.map((s) => ({ ...s })),
    salt: bid.salt,
  };
}

/**
 * Every check the bid book makes of a bid at commit and reveal, except time and the signature:
 * the range and horizon are the caller's to time. Throws a BidError named as the contract's
 * error. `capacityW` and `registeredNode` are the registry's (generatorOf).
 */
export function checkSealedBid(
  sealed: SealedBidData,
  ctx: { readonly registeredNode: number; readonly capacityW: number; readonly terms: BidBookTermsData },
): void {
  const { generator, firstPeriod, lastPeriod, bid } = sealed;
  if (!Number.isInteger(firstPeriod) || !Number.isInteger(lastPeriod) || firstPeriod < 0 || lastPeriod > 0xffff_ffff)
    throw new BidError("InvalidPeriodRange", `periods ${firstPeriod}..${lastPeriod} are not uint32 period numbers`);
  if (lastPeriod < firstPeriod || lastPeriod - firstPeriod >= MAX_RANGE_PERIODS)
    throw new BidError(
      "InvalidPeriodRange",
      `a bid covers 1..${MAX_RANGE_PERIODS} periods, first ≤ last; got ${firstPeriod}..${lastPeriod}`,
    );
  if (ctx.registeredNode === 0) throw new BidError("NotRegistered", `${generator} is not registered`);
  // Not a contract error: the ABI itself refuses a salt that is not 32 bytes.
  if (!/^0x[0-9a-fA-F]{64}$/.test(bid.salt)) throw new BidError("InvalidSalt", `the salt must be 32 bytes of hex`);
  for (const [name, steps] of [
    ["up", bid.up],
    ["down", bid.down],
  ] as const) {
    if (steps.length > MAX_STEPS)
      throw new BidError("TooManySteps", `${steps.length} ${name} steps; at most ${MAX_STEPS} per direction`);
  }
  if (bid.node !== ctx.registeredNode)
    throw new BidError(
      "WrongNode",
      `${generator} is registered at node ${ctx.registeredNode}, the bid is for ${bid.node}`,
    );
  if (bid.up.length + bid.down.length === 0) throw new BidError("EmptyBid", "a bid needs at least one step");
  const maxWh = (BigInt(ctx.capacityW) * BigInt(ctx.terms.periodSeconds)) / 3600n;
  for (const [name, steps] of [
    ["up", bid.up],
    ["down", bid.down],
  ] as const) {
    let total = 0n;
    let previous = 0n;
    steps.forEach((s, i) => {
      if (s.quantityWh <= 0n) throw new BidError("ZeroQuantity", `${name} step ${i} offers ${s.quantityWh} Wh`);
      if (s.quantityWh >= 2n ** 64n)
        throw new BidError("QuantityAboveCapacity", `${name} step ${i} offers more Wh than a uint64 holds`);
      if (s.priceUsdPerMWh <= 0n || s.priceUsdPerMWh > ctx.terms.maxPriceUsdPerMWh)
        throw new BidError(
          "PriceOutOfRange",
          `${name} step ${i} asks ${unitsToUsdPerMWh(s.priceUsdPerMWh)} USD/MWh; ` +
            `prices must be within 0.00000001..${unitsToUsdPerMWh(ctx.terms.maxPriceUsdPerMWh)} USD/MWh`,
        );
      if (s.priceUsdPerMWh <= previous)
        throw new BidError("StepsNotMonotone", `${name} step ${i} must ask more than the step before it`);
      previous = s.priceUsdPerMWh;
      total += s.quantityWh;
    });
    if (total > maxWh)
      throw new BidError(
        "QuantityAboveCapacity",
        `${name} steps offer ${total} Wh; the registered capacity allows ${maxWh} Wh over a period`,
      );
  }
}

/** The commitment to `sealed.bid` and the generator's signature over the sealed bid. */
export async function sealBid(
  generator: Signer,
  domain: TypedDataDomain,
  sealed: SealedBidData,
): Promise<{ commitment: string; signature: string }> {
  const signer = await generator.getAddress();
  if (signer.toLowerCase() !== sealed.generator.toLowerCase())
    throw new BidError("WrongSigner", `the bid is ${sealed.generator}'s; ${signer} cannot sign it`);
  const bid = bidTermsStruct(sealed.bid);
  const signature = await signSealedBid(generator, domain, { ...sealed, bid });
  return { commitment: bidCommitment(bid), signature };
}

function withLabel(options: Partial<SendOptions> | undefined, label: string): SendOptions {
  return { ...options, label: options?.label ?? label };
}

/** Posts the commitment to `sealed` with the generator's `signature` (any sender may relay it). */
export async function commitBid(
  book: BidBook,
  sender: Signer,
  sealed: SealedBidData,
  signature: string,
  options?: Partial<SendOptions>,
): Promise<SendResult> {
  const commitment = bidCommitment(bidTermsStruct(sealed.bid));
  const { generator, firstPeriod, lastPeriod } = sealed;
  return sendGuarded(
    sender,
    () => book.connect(sender).commit.populateTransaction(generator, firstPeriod, lastPeriod, commitment, signature),
    {
      // Done when this very commitment is on chain (the stored tag is its first 26 bytes).
      isDone: async () => {
        const c = await book.commitmentOf(generator, firstPeriod);
        return Number(c.state) !== BidState.None && c.tag.toLowerCase() === commitment.slice(0, 54).toLowerCase();
      },
      ...withLabel(options, `commit ${generator}'s bid for periods ${firstPeriod}..${lastPeriod}`),
    },
  );
}

/** Reveals `sealed` (any sender may relay it); done already when the bid book shows it revealed. */
export async function revealBid(
  book: BidBook,
  sender: Signer,
  sealed: SealedBidData,
  options?: Partial<SendOptions>,
): Promise<SendResult> {
  const { generator, firstPeriod } = sealed;
  return sendGuarded(
    sender,
    () => book.connect(sender).reveal.populateTransaction(generator, firstPeriod, bidTermsStruct(sealed.bid)),
    {
      isDone: async () => Number((await book.commitmentOf(generator, firstPeriod)).state) === BidState.Revealed,
      ...withLabel(options, `reveal ${generator}'s bid for periods from ${firstPeriod}`),
    },
  );
}

/** Publishes a period's selection from a centre's wallet; done already when one is on chain. */
export async function publishSelection(
  book: BidBook,
  centre: Signer,
  selection: PublishedSelection,
  options?: Partial<SendOptions>,
): Promise<SendResult> {
  const { period, pricingRule, inputHash } = selection;
  return sendGuarded(
    centre,
    () =>
      book
        .connect(centre)
        .publishSelection.populateTransaction(period, pricingRule, inputHash, selection.steps.map(selectedStepStruct)),
    {
      isDone: async () => (await book.selectionHashOf(period)) !== "0x".padEnd(66, "0"),
      ...withLabel(options, `publish the selection of period ${period} (${selection.steps.length} steps)`),
    },
  );
}

// ---------------------------------------------------------------------------------------------
// The record: event logs, read in bounded block ranges.

export interface CommitmentRecord {
  readonly generator: string;
  readonly firstPeriod: number;
  readonly lastPeriod: number;
  readonly commitment: string;
  readonly blockNumber: number;
  readonly transactionHash: string;
}

export interface RevealRecord {
  readonly sealed: SealedBidData;
  readonly blockNumber: number;
  readonly transactionHash: string;
}

export interface SelectionRecord extends PublishedSelection {
  readonly centre: string;
  readonly selectionHash: string;
  readonly blockNumber: number;
  readonly transactionHash: string;
}

export interface BidBookEvents {
  readonly commitments: CommitmentRecord[];
  readonly reveals: RevealRecord[];
  readonly selections: SelectionRecord[];
  /** The last block read (inclusive). */
  readonly toBlock: number;
}

/** The kinds of bid-book event a reader may ask for. */
export type BidBookEventKind = "commitments" | "reveals" | "selections";
const EVERY_KIND: readonly BidBookEventKind[] = ["commitments", "reveals", "selections"];

/**
 * Every commitment, reveal and selection in blocks [fromBlock, toBlock] (default: the latest
 * block), or only the `kinds` asked for (the others come back empty, and are not queried).
 */
export async function readBidBookEvents(
  book: BidBook,
  fromBlock: number,
  toBlock?: number,
  maxBlockRange = DEFAULT_MAX_BLOCK_RANGE,
  kinds: readonly BidBookEventKind[] = EVERY_KIND,
): Promise<BidBookEvents> {
  const to = toBlock ?? (await providerOf(book).getBlockNumber());
  // Each kind asked for in the same bounded ranges; a kind not asked for is not queried.
  const read = async <E extends TypedContractEvent, R>(
    kind: BidBookEventKind,
    filter: TypedDeferredTopicFilter<E>,
    record: (log: TypedEventLog<E>) => R,
  ): Promise<R[]> =>
    kinds.includes(kind) ? (await queryLogs(book, filter, fromBlock, to, maxBlockRange)).map(record) : [];
  return {
    commitments: await read("commitments", book.filters.BidCommitted(), (log) => ({
      generator: log.args.generator,
      firstPeriod: Number(log.args.firstPeriod),
      lastPeriod: Number(log.args.lastPeriod),
      commitment: log.args.commitment,
      blockNumber: log.blockNumber,
      transactionHash: log.transactionHash,
    })),
    reveals: await read("reveals", book.filters.BidRevealed(), revealRecord),
    selections: await read("selections", book.filters.SelectionPublished(), (log) => ({
      period: Number(log.args.period),
      centre: log.args.centre,
      pricingRule: Number(log.args.pricingRule),
      inputHash: log.args.inputHash,
      selectionHash: log.args.selectionHash,
      steps: log.args.steps.map((s) => ({
        generator: s.generator,
        firstPeriod: Number(s.firstPeriod),
        direction: Number(s.direction),
        step: Number(s.step),
        quantityWh: s.quantityWh,
        priceUsdPerMWh: s.priceUsdPerMWh,
      })),
      blockNumber: log.blockNumber,
      transactionHash: log.transactionHash,
    })),
    toBlock: to,
  };
}

/** A BidRevealed log as a record. */
function revealRecord(log: {
  readonly args: { generator: string; firstPeriod: bigint; lastPeriod: bigint; bid: IBidBook.BidTermsStructOutput };
  readonly blockNumber: number;
  readonly transactionHash: string;
}): RevealRecord {
  const { generator, firstPeriod, lastPeriod, bid } = log.args;
  return {
    sealed: sealedFromEvent(generator, firstPeriod, lastPeriod, bid),
    blockNumber: log.blockNumber,
    transactionHash: log.transactionHash,
  };
}

function sealedFromEvent(
  generator: string,
  firstPeriod: bigint,
  lastPeriod: bigint,
  bid: IBidBook.BidTermsStructOutput,
): SealedBidData {
  const steps = (list: IBidBook.StepStructOutput[]): BidStepData[] =>
    list.map((s) => ({ quantityWh: s.quantityWh, priceUsdPerMWh: s.priceUsdPerMWh }));
  return {
    generator,
    firstPeriod: Number(firstPeriod),
    lastPeriod: Number(lastPeriod),
    bid: { node: Number(bid.node), up: steps(bid.up), down: steps(bid.down), salt: bid.salt },
  };
}

/** The revealed bids covering `period` (the auction of that period). */
export function revealedBidsFor(reveals: readonly RevealRecord[], period: number): SealedBidData[] {
  return reveals.map((r) => r.sealed).filter((s) => s.firstPeriod <= period && period <= s.lastPeriod);
}

/** The sealed count of each period from commitments (what commitmentCount(period) says on chain). */
export function commitmentsCovering(commitments: readonly CommitmentRecord[], period: number): CommitmentRecord[] {
  return commitments.filter((c) => c.firstPeriod <= period && period <= c.lastPeriod);
}

// ---------------------------------------------------------------------------------------------
// Between the chain and the market core.

/** A revealed bid in the market core's units (Wh, USD/MWh). */
export function toMarketBid(sealed: SealedBidData): Bid {
  const steps = (list: readonly BidStepData[]) =>
    list.map((s) => ({ quantityWh: Number(s.quantityWh), priceUsdPerMWh: unitsToUsdPerMWh(s.priceUsdPerMWh) }));
  return {
    generator: sealed.generator,
    node: sealed.bid.node,
    firstPeriod: sealed.firstPeriod,
    lastPeriod: sealed.lastPeriod,
    up: steps(sealed.bid.up),
    down: steps(sealed.bid.down),
  };
}

/** IBidBook.PricingRule of the operation data's rule. */
export function pricingRuleCode(rule: MarketPricingRule): number {
  return rule === "pay-as-bid" ? PricingRule.PayAsBid : PricingRule.Nodal;
}

/** The market core's selection as the bid book takes it (prices to USD/MWh × 1e8, rounded). */
export function toPublishedSelection(selection: BidSelection, inputHash: string): PublishedSelection {
  if (selection.steps.length > MAX_SELECTION)
    throw new RangeError(`${selection.steps.length} selected steps; the bid book takes at most ${MAX_SELECTION}`);
  return {
    period: selection.period,
    pricingRule: pricingRuleCode(selection.pricingRule),
    inputHash,
    steps: selection.steps.map((s) => ({
      generator: getAddress(s.generator),
      firstPeriod: s.firstPeriod,
      direction: s.direction === "increase" ? Direction.Increase : Direction.Decrease,
      step: s.step,
      quantityWh: BigInt(s.quantityWh),
      priceUsdPerMWh: usdPerMWhToUnits(s.priceUsdPerMWh),
    })),
  };
}

export const selectedStepStruct = (s: SelectedStepData): SelectedStepStruct => ({ ...s });

/** The hash the bid book stores for `selection` (verifySelection compares with it). */
export function publishedSelectionHash(selection: PublishedSelection): string {
  return selectionHash(
    selection.period,
    selection.pricingRule,
    selection.inputHash,
    selection.steps.map(selectedStepStruct),
  );
}

/**
 * True when two selections are the same record: period, rule, input hash and every step, field by
 * field (addresses compared case-insensitively).
 */
export function sameSelection(a: PublishedSelection, b: PublishedSelection): boolean {
  return publishedSelectionHash(a) === publishedSelectionHash(b);
}

/** What a selected generator is offered: its steps' Wh and their price, in one direction. */
export interface ReservedOfferAmounts {
  readonly generator: string;
  readonly node: number;
  readonly direction: number;
  readonly amountWh: bigint;
  /** ⌊Σ Wh · price / 10⁶⌋, 1e-8 USD (units.energyPayment). */
  readonly usd: bigint;
}

/**
 * The reserved offer each selected generator gets (one per generator: every step of a unit's move
 * is in one direction), with its node from its revealed bid.
 */
export function reservedOfferAmounts(
  selection: PublishedSelection,
  revealed: readonly SealedBidData[],
): ReservedOfferAmounts[] {
  const out: ReservedOfferAmounts[] = [];
  for (const s of selection.steps) {
    const generator = s.generator.toLowerCase();
    const bid = revealed.find((b) => b.generator.toLowerCase() === generator && b.firstPeriod === s.firstPeriod);
    if (!bid)
      throw new RangeError(`selected step of ${s.generator} from period ${s.firstPeriod}: no such revealed bid`);
    const last = out[out.length - 1];
    if (last && last.generator.toLowerCase() === generator) {
      if (last.direction !== s.direction)
        throw new RangeError(`${s.generator} is selected in both directions: a book takes one`);
      continue;
    }
    const mine = selection.steps.filter((x) => x.generator.toLowerCase() === generator);
    out.push({
      generator: s.generator,
      node: bid.bid.node,
      direction: s.direction,
      amountWh: mine.reduce((sum, x) => sum + x.quantityWh, 0n),
      usd: energyPayment(mine.map((x) => ({ wh: x.quantityWh, usdPerMWh: x.priceUsdPerMWh }))),
    });
  }
  return out;
}

/**
 * The revealed bids of the periods being studied, read incrementally (bounded getLogs ranges)
 * from a start block: the centre's and the oracle operators' one view of an auction's bids.
 */
export class RevealReader {
  private reveals: RevealRecord[] = [];
  private lastBlock: number;

  constructor(
    readonly book: BidBook,
    private readonly fromBlock: number,
    private readonly maxBlockRange = DEFAULT_MAX_BLOCK_RANGE,
  ) {
    this.lastBlock = fromBlock - 1;
  }

  /** Forgets what was read (after the chain went back): the next call reads again from the start block. */
  reset(): void {
    this.reveals = [];
    this.lastBlock = this.fromBlock - 1;
  }

  /**
   * The revealed bids covering `period`, in the market core's units, in one order whoever reads
   * them (generator address as a number, then first period), as of block `toBlock` (default: latest).
   */
  async bidsFor(period: number, toBlock?: number): Promise<{ sealed: SealedBidData[]; bids: Bid[] }> {
    const to = toBlock ?? (await providerOf(this.book).getBlockNumber());
    if (to > this.lastBlock) {
      // Only the reveals: the commitments and selections are not the study's inputs.
      const logs = await queryLogs(
        this.book,
        this.book.filters.BidRevealed(),
        this.lastBlock + 1,
        to,
        this.maxBlockRange,
      );
      this.reveals.push(...logs.map(revealRecord));
      this.lastBlock = to;
    }
    // A reveal ending before the periods still studied is of no more use.
    this.reveals = this.reveals.filter((r) => r.sealed.lastPeriod >= period - 1);
    const sealed = revealedBidsFor(this.reveals, period).sort((a, b) => {
      const ga = BigInt(a.generator);
      const gb = BigInt(b.generator);
      return ga !== gb ? (ga < gb ? -1 : 1) : a.firstPeriod - b.firstPeriod;
    });
    return { sealed, bids: sealed.map(toMarketBid) };
  }
}

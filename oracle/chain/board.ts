/**
 * The market's public record read from event logs: the bulletin board (OfferPosted), fills
 * (Filled: each one's part of a generator's book), book settlements and unwinds; and the
 * oracle's reports. Read in block ranges no larger than a node allows (`maxBlockRange`),
 * from a given block on — agents keep the last block they read and continue from there.
 */
import type { Interface, Log, LogDescription } from "ethers";
import type { DemandResponseMarket, GridOracle } from "../../typechain-types";
import {
  fillFromEvent,
  offerFromStruct,
  settlementFromStruct,
  type FillData,
  type OfferData,
  type SettlementData,
} from "./market-data";
import { blockRanges, DEFAULT_MAX_BLOCK_RANGE, providerOf, queryLogs } from "./logs";

export interface PostedOffer {
  readonly offerHash: string;
  readonly offer: OfferData;
  readonly signature: string;
  readonly blockNumber: number;
}

export interface FillRecord {
  readonly fill: FillData;
  readonly blockNumber: number;
  readonly transactionHash: string;
}

export interface SettlementRecord {
  readonly generator: string;
  readonly period: number;
  readonly centre: string;
  readonly settlement: SettlementData;
  readonly blockNumber: number;
}

export interface UnwindRecord {
  readonly generator: string;
  readonly period: number;
  readonly centre: string;
  readonly usd: bigint;
  readonly kwhWh: bigint;
  readonly blockNumber: number;
}

export interface MarketEvents {
  readonly offers: PostedOffer[];
  readonly fills: FillRecord[];
  readonly settlements: SettlementRecord[];
  readonly unwinds: UnwindRecord[];
  /** The last block read (inclusive). */
  readonly toBlock: number;
}

/**
 * The events named `name` that `contract` emitted in a transaction's receipt, parsed. Logs of other
 * contracts (tokens, the oracle) are skipped by address, not by trying to parse them.
 */
export function eventsIn(
  contract: { readonly interface: Interface; readonly target: unknown },
  receipt: { readonly logs: readonly Log[] } | null | undefined,
  name: string,
): LogDescription[] {
  const address = String(contract.target).toLowerCase();
  const out: LogDescription[] = [];
  for (const log of receipt?.logs ?? []) {
    if (log.address.toLowerCase() !== address) continue;
    const parsed = contract.interface.parseLog(log);
    if (parsed?.name === name) out.push(parsed);
  }
  return out;
}

/**
 * Wh filled from fills: the sum of their amounts. An offer's filled amount is read from its Filled
 * events, not from the market's storage (a whole fill spends the offer's nonce bit and leaves the
 * partial-fill counter at 0): the event log is the record of every fill, whatever the contract keeps.
 */
export function filledWh(fills: Iterable<{ readonly amountWh: bigint } | undefined>): bigint {
  let sum = 0n;
  for (const f of fills) sum += f?.amountWh ?? 0n;
  return sum;
}

/** Wh filled of each offer (by offer hash) from Filled records. */
export function filledWhByOffer(fills: readonly FillRecord[]): Map<string, bigint> {
  const out = new Map<string, bigint>();
  for (const { fill } of fills) out.set(fill.offerHash, (out.get(fill.offerHash) ?? 0n) + fill.amountWh);
  return out;
}

// The bounded log reader is logs.ts's; board.ts re-exports its range helpers for its callers.
export { blockRanges, DEFAULT_MAX_BLOCK_RANGE };

/** Every market event in blocks [fromBlock, toBlock] (toBlock: the latest block when omitted). */
export async function readMarketEvents(
  market: DemandResponseMarket,
  fromBlock: number,
  toBlock?: number,
  maxBlockRange = DEFAULT_MAX_BLOCK_RANGE,
): Promise<MarketEvents> {
  const provider = providerOf(market);
  const to = toBlock ?? (await provider.getBlockNumber());
  const events: MarketEvents = { offers: [], fills: [], settlements: [], unwinds: [], toBlock: to };
  for (const [a, b] of blockRanges(fromBlock, to, maxBlockRange)) {
    for (const log of await market.queryFilter(market.filters.OfferPosted(), a, b)) {
      events.offers.push({
        offerHash: log.args.offerHash,
        offer: offerFromStruct(log.args.offer),
        signature: log.args.signature,
        blockNumber: log.blockNumber,
      });
    }
    for (const log of await market.queryFilter(market.filters.Filled(), a, b)) events.fills.push(fillRecord(log));
    for (const log of await market.queryFilter(market.filters.Settled(), a, b))
      events.settlements.push(settlementRecord(log));
    for (const log of await market.queryFilter(market.filters.Unwound(), a, b)) events.unwinds.push(unwindRecord(log));
  }
  return events;
}

/** Whether an OfferPosted event with this offer hash exists since `fromBlock` (indexed topic lookup). */
export async function isOfferPosted(
  market: DemandResponseMarket,
  offerHash: string,
  fromBlock: number,
  maxBlockRange = DEFAULT_MAX_BLOCK_RANGE,
): Promise<boolean> {
  const provider = providerOf(market);
  const to = await provider.getBlockNumber();
  for (const [a, b] of blockRanges(fromBlock, to, maxBlockRange)) {
    if ((await market.queryFilter(market.filters.OfferPosted(offerHash), a, b)).length > 0) return true;
  }
  return false;
}

/**
 * Fills since `fromBlock` (indexed topic lookups): of one generator, into books of one delivery
 * period (by anyone), or both.
 */
export async function readFills(
  market: DemandResponseMarket,
  by: { readonly generator?: string; readonly period?: number },
  fromBlock: number,
  maxBlockRange = DEFAULT_MAX_BLOCK_RANGE,
  toBlock?: number,
): Promise<FillRecord[]> {
  const filter = market.filters.Filled(undefined, by.generator, by.period);
  return (await queryLogs(market, filter, fromBlock, toBlock, maxBlockRange)).map(fillRecord);
}

/** The oracle's reports since `fromBlock`: period → block. */
export async function readReportPeriods(
  oracle: GridOracle,
  fromBlock: number,
  toBlock: number,
  maxBlockRange = DEFAULT_MAX_BLOCK_RANGE,
): Promise<Map<number, number>> {
  const out = new Map<number, number>();
  for (const [a, b] of blockRanges(fromBlock, toBlock, maxBlockRange)) {
    for (const log of await oracle.queryFilter(oracle.filters.ReportSubmitted(), a, b)) {
      out.set(Number(log.args.period), log.blockNumber);
    }
  }
  return out;
}

/** The provider a contract reads through; a contract connected to none is a setting to fix. */

/** Word `i` (32 bytes) of ABI-encoded log data, as a bigint. */
function word(data: string, i: number): bigint {
  return BigInt(`0x${data.slice(2 + 64 * i, 2 + 64 * (i + 1))}`);
}

/**
 * The bulletin board for one generator: OfferPosted events for `node` that are open to
 * `generator` (not reserved for another wallet). The node and the reserved wallet are read from
 * the log's raw data (the offer's words 2 and 1) before any decoding, so a generator does not
 * decode every other node's offers.
 */
export async function readOffersFor(
  market: DemandResponseMarket,
  fromBlock: number,
  toBlock: number,
  forWhom: { readonly node: number; readonly generator: string },
  maxBlockRange = DEFAULT_MAX_BLOCK_RANGE,
): Promise<PostedOffer[]> {
  const provider = providerOf(market);
  const address = await market.getAddress();
  const topic = market.interface.getEvent("OfferPosted").topicHash;
  const me = BigInt(forWhom.generator);
  const out: PostedOffer[] = [];
  for (const [a, b] of blockRanges(fromBlock, toBlock, maxBlockRange)) {
    for (const log of await provider.getLogs({ address, topics: [topic], fromBlock: a, toBlock: b })) {
      // Offer = (centre, generator, node, …): static fields, encoded first in the data.
      if (word(log.data, 2) !== BigInt(forWhom.node)) continue;
      const reserved = word(log.data, 1);
      if (reserved !== 0n && reserved !== me) continue;
      const parsed = market.interface.parseLog(log);
      if (!parsed) continue;
      out.push({
        offerHash: parsed.args.offerHash,
        offer: offerFromStruct(parsed.args.offer),
        signature: parsed.args.signature,
        blockNumber: log.blockNumber,
      });
    }
  }
  return out;
}

/** Settlements and unwinds of the books of `generators` (indexed topic lookups, in chunks). */
export async function readOutcomesOf(
  market: DemandResponseMarket,
  generators: readonly string[],
  fromBlock: number,
  toBlock: number,
  maxBlockRange = DEFAULT_MAX_BLOCK_RANGE,
): Promise<{ settlements: SettlementRecord[]; unwinds: UnwindRecord[] }> {
  const settlements: SettlementRecord[] = [];
  const unwinds: UnwindRecord[] = [];
  for (let i = 0; i < generators.length; i += 100) {
    const who = generators.slice(i, i + 100);
    for (const [a, b] of blockRanges(fromBlock, toBlock, maxBlockRange)) {
      for (const log of await market.queryFilter(market.filters.Settled(who as never), a, b))
        settlements.push(settlementRecord(log));
      for (const log of await market.queryFilter(market.filters.Unwound(who as never), a, b))
        unwinds.push(unwindRecord(log));
    }
  }
  return { settlements, unwinds };
}

function fillRecord(log: {
  args: { offerHash: string; generator: string; period: bigint; details: Parameters<typeof fillFromEvent>[3] };
  blockNumber: number;
  transactionHash: string;
}): FillRecord {
  const { offerHash, generator, period, details } = log.args;
  return {
    fill: fillFromEvent(offerHash, generator, period, details),
    blockNumber: log.blockNumber,
    transactionHash: log.transactionHash,
  };
}

function settlementRecord(log: {
  args: {
    generator: string;
    period: bigint;
    centre: string;
    settlement: Parameters<typeof settlementFromStruct>[0];
  };
  blockNumber: number;
}): SettlementRecord {
  return {
    generator: log.args.generator,
    period: Number(log.args.period),
    centre: log.args.centre,
    settlement: settlementFromStruct(log.args.settlement),
    blockNumber: log.blockNumber,
  };
}

function unwindRecord(log: {
  args: { generator: string; period: bigint; centre: string; usd: bigint; kwhWh: bigint };
  blockNumber: number;
}): UnwindRecord {
  return {
    generator: log.args.generator,
    period: Number(log.args.period),
    centre: log.args.centre,
    usd: log.args.usd,
    kwhWh: log.args.kwhWh,
    blockNumber: log.blockNumber,
  };
}

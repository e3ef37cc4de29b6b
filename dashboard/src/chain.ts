/**
 * The chain as the pages see it, read through the server's /rpc: the market's and the oracle's
 * event logs since the deployment block, read in bounded block ranges and decoded into plain
 * shapes (market-state.ts) — offers, fills, the books they add up to, settlements and unwinds,
 * reports with their prices and measurements — plus what the logs do not carry: the market's
 * terms, its view of every offer that may still change (offerStatus), what a book fixed at its
 * first fill (bookOf) and when each report or correction was recorded (its block's time).
 * `poll()` reads what is new; views subscribe with `onUpdate`.
 */
import { JsonRpcProvider, Network, type Log, type LogDescription } from "ethers";
import {
  IDemandResponseMarket__factory,
  IGeneratorRegistry__factory,
  IGridOracle__factory,
  KwhToken__factory,
  UsdToken__factory,
  type IDemandResponseMarket,
  type IGeneratorRegistry,
  type IGridOracle,
  type KwhToken,
  type UsdToken,
} from "../../typechain-types";
import { blockRanges, DEFAULT_MAX_BLOCK_RANGE } from "../../oracle/chain/board";
import { OfferStatus } from "../../oracle/chain/enums";
import {
  bookKeyId,
  fillFromEvent,
  offerFromStruct,
  offerStruct,
  settlementFromStruct,
} from "../../oracle/chain/market-data";
import type { DashboardConfig } from "../shared/types";
import {
  bookState as bookStateOf,
  type BoardOffer,
  type BookView,
  type MarketTerms,
  type MeasurementView,
} from "./market-state";

export type { BoardOffer, BookView, FillView, MarketTerms, MeasurementView } from "./market-state";
export { offerState } from "./market-state";

/** A nodal price as reported, USD/MWh · 1e8: the total and its loss and congestion parts. */
export interface ReportedPrice {
  readonly node: number;
  readonly usdPerMWh: bigint;
  readonly lossUsdPerMWh: bigint;
  readonly congestionUsdPerMWh: bigint;
}

export interface ReportView {
  readonly period: number;
  blockNumber?: number;
  configEpoch?: number;
  /** When the oracle recorded it (its block's time, Unix s), once read. */
  recordedAt?: number;
  /** Lines over their limit: 0-based branch row, W. */
  readonly violations: { line: number; flowW: bigint; limitW: bigint; deviationW: bigint }[];
  readonly prices: ReportedPrice[];
}

export interface Contracts {
  readonly market: IDemandResponseMarket;
  readonly oracle: IGridOracle;
  readonly registry: IGeneratorRegistry;
  readonly usd: UsdToken;
  readonly kwh: KwhToken;
}

/**
 * A read-only provider on the server's /rpc (next to `pageUrl`, the page's base URI) for the
 * configured chain (no polling of its own).
 */
export function readProvider(config: DashboardConfig, pageUrl: string): JsonRpcProvider {
  const url = new URL("rpc", pageUrl).href;
  return new JsonRpcProvider(url, Network.from(config.deployment.chainId), {
    staticNetwork: true,
    batchMaxCount: 1,
    cacheTimeout: -1,
  });
}

export function attach(config: DashboardConfig, runner: JsonRpcProvider): Contracts {
  const a = config.deployment.addresses;
  return {
    market: IDemandResponseMarket__factory.connect(a.market, runner),
    oracle: IGridOracle__factory.connect(a.oracle, runner),
    registry: IGeneratorRegistry__factory.connect(a.registry, runner),
    usd: UsdToken__factory.connect(a.usd, runner),
    kwh: KwhToken__factory.connect(a.kwh, runner),
  };
}

const marketInterface = IDemandResponseMarket__factory.createInterface();
const oracleInterface = IGridOracle__factory.createInterface();

export class ChainFeed {
  readonly offers = new Map<string, BoardOffer>();
  /** Books by bookKeyId ("generator:period"). */
  readonly books = new Map<string, BookView>();
  readonly measurements = new Map<string, MeasurementView>();
  readonly reports = new Map<number, ReportView>();
  /** The market's terms (read once). */
  terms?: MarketTerms;
  /** The latest block read and its timestamp (Unix s): "now" on chain. */
  latestBlock = 0;
  chainTime = 0;
  private readTo: number;
  private readonly blockTimes = new Map<number, number>();
  private listeners: (() => void)[] = [];
  private polling?: Promise<void>;

  constructor(
    readonly config: DashboardConfig,
    readonly provider: JsonRpcProvider,
    readonly contracts: Contracts,
  ) {
    this.readTo = config.deployment.deployBlock - 1;
  }

  get periodSeconds(): number {
    return this.config.deployment.periodSeconds;
  }

  /** The period containing the chain's latest block. */
  get currentPeriod(): number {
    return Math.floor(this.chainTime / this.periodSeconds);
  }

  /** The measurement of `generator` in `period`, if reported or corrected. */
  measurementOf(generator: string, period: number): MeasurementView | undefined {
    return this.measurements.get(measurementKey(period, generator));
  }

  /** A book's state in words, with its measurement, the terms and the chain's clock (market-state.ts). */
  stateOf(book: BookView): ReturnType<typeof bookStateOf> {
    return bookStateOf(book, {
      measurement: this.measurementOf(book.generator, book.period),
      chainTime: this.chainTime,
      periodSeconds: this.periodSeconds,
      terms: this.terms,
    });
  }

  onUpdate(listener: () => void): void {
    this.listeners.push(listener);
  }

  /** Reads new logs and refreshes offers that may have changed; one poll at a time. */
  poll(): Promise<void> {
    this.polling ??= this.read().finally(() => {
      this.polling = undefined;
    });
    return this.polling;
  }

  private async read(): Promise<void> {
    const { market } = this.contracts;
    this.terms ??= termsFrom(await market.terms());
    const latest = await this.provider.getBlockNumber();
    const a = this.config.deployment.addresses;
    for (const [from, to] of blockRanges(this.readTo + 1, latest, DEFAULT_MAX_BLOCK_RANGE)) {
      const logs = await this.provider.getLogs({ address: [a.market, a.oracle], fromBlock: from, toBlock: to });
      for (const log of logs) this.apply(log);
      this.readTo = to;
    }
    this.latestBlock = latest;
    this.chainTime = (await this.blockTime(latest)) ?? this.chainTime;
    // Offers whose status may still change: open ones (and new ones not asked yet).
    for (const o of this.offers.values()) {
      if (o.status === undefined || o.status === OfferStatus.Open) {
        const [status, filledWh] = await market.offerStatus(offerStruct(o.offer));
        o.status = Number(status);
        o.filledWh = filledWh;
      }
    }
    // What the logs do not carry: a book's baseline and registry index (fixed at its first fill),
    // and when each report and correction was recorded (a measurement is final from its time).
    for (const b of this.books.values()) {
      if (b.recorded) continue;
      const book = await market.bookOf(b.generator, b.period);
      b.recorded = {
        baseline: Number(book.baseline),
        baselineDays: Number(book.baselineDays),
        generatorIndex: Number(book.generatorIndex),
      };
    }
    for (const r of this.reports.values()) {
      if (r.recordedAt === undefined && r.blockNumber !== undefined) r.recordedAt = await this.blockTime(r.blockNumber);
    }
    for (const m of this.measurements.values()) {
      if (m.recordedAt !== undefined) continue;
      m.recordedAt =
        m.reportPeriod !== undefined
          ? this.reports.get(m.reportPeriod)?.recordedAt
          : await this.blockTime(m.blockNumber);
    }
    for (const l of this.listeners) l();
  }

  private async blockTime(blockNumber: number): Promise<number | undefined> {
    let t = this.blockTimes.get(blockNumber);
    if (t === undefined) {
      const block = await this.provider.getBlock(blockNumber);
      if (!block) return undefined;
      t = block.timestamp;
      this.blockTimes.set(blockNumber, t);
    }
    return t;
  }

  private apply(log: Log): void {
    const market = log.address.toLowerCase() === this.config.deployment.addresses.market.toLowerCase();
    let parsed: LogDescription | null = null;
    try {
      parsed = (market ? marketInterface : oracleInterface).parseLog({ topics: [...log.topics], data: log.data });
    } catch {
      return; // an event this page does not show
    }
    if (!parsed) return;
    const a = parsed.args;
    switch (parsed.name) {
      case "OfferPosted":
        this.offers.set(a.offerHash, {
          offerHash: a.offerHash,
          offer: offerFromStruct(a.offer),
          signature: a.signature,
          blockNumber: log.blockNumber,
          filledWh: 0n,
          fills: this.offers.get(a.offerHash)?.fills ?? [],
        });
        break;
      case "Filled": {
        const fill = fillFromEvent(a.offerHash, a.generator, a.period, a.details);
        const view = { fill, blockNumber: log.blockNumber, transactionHash: log.transactionHash };
        const id = bookKeyId(fill);
        let book = this.books.get(id);
        if (!book) {
          book = {
            id,
            generator: fill.generator,
            period: fill.period,
            centre: fill.centre,
            direction: fill.direction,
            committedWh: 0n,
            usd: 0n,
            nominatedWh: fill.nominatedWh,
            fills: [],
          };
          this.books.set(id, book);
        }
        book.fills.push(view);
        book.committedWh = fill.bookCommittedWh;
        book.usd += fill.usd;
        book.nominatedWh = fill.nominatedWh;
        const offer = this.offers.get(a.offerHash);
        if (offer) {
          offer.fills.push(view);
          if (offer.status === OfferStatus.Open) offer.status = undefined; // ask the market again
        }
        break;
      }
      case "Settled": {
        const b = this.books.get(bookKeyId({ generator: a.generator, period: Number(a.period) }));
        if (b) b.settlement = { ...settlementFromStruct(a.settlement), blockNumber: log.blockNumber };
        break;
      }
      case "Unwound": {
        const b = this.books.get(bookKeyId({ generator: a.generator, period: Number(a.period) }));
        if (b) b.unwound = { usd: a.usd, kwhWh: a.kwhWh, blockNumber: log.blockNumber };
        break;
      }
      case "ReportSubmitted": {
        const r = this.report(Number(a.period));
        r.blockNumber = log.blockNumber;
        r.configEpoch = Number(a.configEpoch);
        break;
      }
      case "LineOutOfLimit":
        this.report(Number(a.period)).violations.push({
          line: Number(a.line),
          flowW: a.flowW,
          limitW: a.limitW,
          deviationW: a.deviationW,
        });
        break;
      case "NodalPriceReported":
        this.report(Number(a.period)).prices.push({
          node: Number(a.node),
          usdPerMWh: a.usdPerMWh,
          lossUsdPerMWh: a.lossUsdPerMWh,
          congestionUsdPerMWh: a.congestionUsdPerMWh,
        });
        break;
      case "MeasurementReported":
      case "MeasurementCorrected": {
        const corrected = parsed.name === "MeasurementCorrected";
        this.measurements.set(measurementKey(Number(a.period), a.generator), {
          period: Number(a.period),
          generator: a.generator,
          generatorIndex: Number(a.generatorIndex),
          reportPeriod: corrected ? undefined : Number(a.reportPeriod),
          baseline: Number(a.baseline),
          baselineDays: Number(a.baselineDays),
          baselineWh: a.baselineWh,
          actualWh: a.actualWh,
          deliveredWh: a.deliveredWh,
          quality: Number(a.quality),
          state: corrected ? "corrected" : "reported",
          blockNumber: log.blockNumber,
        });
        break;
      }
      case "MeasurementDisputed": {
        const key = measurementKey(Number(a.period), a.generator);
        const m = this.measurements.get(key);
        if (m) this.measurements.set(key, { ...m, state: "disputed" });
        break;
      }
      default:
        break;
    }
  }

  private report(period: number): ReportView {
    let r = this.reports.get(period);
    if (!r) {
      r = { period, violations: [], prices: [] };
      this.reports.set(period, r);
    }
    return r;
  }
}

export const measurementKey = (period: number, generator: string): string => `${period}:${generator.toLowerCase()}`;

function termsFrom(t: Awaited<ReturnType<IDemandResponseMarket["terms"]>>): MarketTerms {
  return {
    periodSeconds: Number(t.periodSeconds),
    gateClosureSeconds: Number(t.gateClosureSeconds),
    disputeWindowSeconds: Number(t.disputeWindowSeconds),
    settlementGraceSeconds: Number(t.settlementGraceSeconds),
    fillHorizonPeriods: Number(t.fillHorizonPeriods),
    minDeliveredBps: Number(t.minDeliveredBps),
    penaltyBps: Number(t.penaltyBps),
  };
}

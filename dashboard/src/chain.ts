/**
 * The chain as the pages see it, read through the server's /rpc: the market's and the oracle's
 * event logs since the deployment block, read in bounded block ranges and decoded into plain
 * shapes (oracle/chain/market-data.ts), plus the market's view of every offer that may still
 * change (offerStatus). `poll()` reads what is new; views subscribe with `onUpdate`.
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
import { offerFromStruct, offerStruct, positionFromStruct, settlementFromStruct } from "../../oracle/chain/market-data";
import type { DashboardConfig } from "../shared/types";
import type { BoardOffer, PositionView } from "./offers";

export type { BoardOffer, MarketTerms, PositionView } from "./offers";
export { offerState } from "./offers";

export interface MeasurementView {
  readonly period: number;
  readonly generator: string;
  /** The report that carried it (or undefined for a correction). */
  readonly reportPeriod?: number;
  readonly baseline: number;
  readonly baselineDays: number;
  readonly baselineWh: bigint;
  readonly actualWh: bigint;
  readonly deliveredWh: bigint;
  readonly quality: number;
  readonly state: "reported" | "disputed" | "corrected";
  readonly blockNumber: number;
}

export interface ReportView {
  readonly period: number;
  blockNumber?: number;
  configEpoch?: number;
  /** Lines over their limit: 0-based branch row, W. */
  readonly violations: { line: number; flowW: bigint; limitW: bigint; deviationW: bigint }[];
  /** Nodal prices, USD/MWh · 1e8. */
  readonly prices: { node: number; usdPerMWh: bigint }[];
}

export interface Contracts {
  readonly market: IDemandResponseMarket;
  readonly oracle: IGridOracle;
  readonly registry: IGeneratorRegistry;
  readonly usd: UsdToken;
  readonly kwh: KwhToken;
}

/** A read-only provider on the server's /rpc for the configured chain (no polling of its own). */
export function readProvider(config: DashboardConfig): JsonRpcProvider {
  const url = new URL("rpc", document.baseURI).href;
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
  readonly positions = new Map<string, PositionView>();
  readonly measurements = new Map<string, MeasurementView>();
  readonly reports = new Map<number, ReportView>();
  /** The latest block read and its timestamp (Unix s): "now" on chain. */
  latestBlock = 0;
  chainTime = 0;
  private readTo: number;
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
    const latest = await this.provider.getBlockNumber();
    const a = this.config.deployment.addresses;
    for (const [from, to] of blockRanges(this.readTo + 1, latest, DEFAULT_MAX_BLOCK_RANGE)) {
      const logs = await this.provider.getLogs({ address: [a.market, a.oracle], fromBlock: from, toBlock: to });
      for (const log of logs) this.apply(log);
      this.readTo = to;
    }
    const block = await this.provider.getBlock(latest);
    this.latestBlock = latest;
    this.chainTime = block?.timestamp ?? this.chainTime;
    // Offers whose status may still change: open ones (and new ones not asked yet).
    for (const o of this.offers.values()) {
      if (o.status === undefined || o.status === OfferStatus.Open) {
        const [status, filledWh] = await this.contracts.market.offerStatus(offerStruct(o.offer));
        o.status = Number(status);
        o.filledWh = filledWh;
      }
    }
    for (const l of this.listeners) l();
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
      case "OfferPosted": {
        const t = a.terms;
        this.offers.set(a.offerHash, {
          offerHash: a.offerHash,
          offer: offerFromStruct(a.offer),
          signature: a.signature,
          blockNumber: log.blockNumber,
          terms: {
            periodSeconds: Number(t.periodSeconds),
            gateClosureSeconds: Number(t.gateClosureSeconds),
            disputeWindowSeconds: Number(t.disputeWindowSeconds),
            settlementGraceSeconds: Number(t.settlementGraceSeconds),
            minDeliveredBps: Number(t.minDeliveredBps),
            penaltyBps: Number(t.penaltyBps),
          },
          filledWh: 0n,
          fills: [],
        });
        break;
      }
      case "Filled": {
        this.positions.set(a.positionHash, {
          positionHash: a.positionHash,
          position: positionFromStruct(a.position),
          blockNumber: log.blockNumber,
          transactionHash: log.transactionHash,
        });
        const offer = this.offers.get(a.offerHash);
        if (offer && !offer.fills.includes(a.positionHash)) {
          offer.fills.push(a.positionHash);
          if (offer.status === OfferStatus.Open) offer.status = undefined; // ask the market again
        }
        break;
      }
      case "Settled": {
        const p = this.positions.get(a.positionHash);
        if (p) p.settlement = { ...settlementFromStruct(a.settlement), blockNumber: log.blockNumber };
        break;
      }
      case "Unwound": {
        const p = this.positions.get(a.positionHash);
        if (p) p.unwound = { usd: a.usd, kwhWh: a.kwhWh, blockNumber: log.blockNumber };
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
        this.report(Number(a.period)).prices.push({ node: Number(a.node), usdPerMWh: a.usdPerMWh });
        break;
      case "MeasurementReported":
      case "MeasurementCorrected": {
        const corrected = parsed.name === "MeasurementCorrected";
        this.measurements.set(measurementKey(Number(a.period), a.generator), {
          period: Number(a.period),
          generator: a.generator,
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

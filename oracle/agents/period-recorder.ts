/**
 * The period pipeline's record writer (a PeriodSink, pandapower's output writer): it writes each
 * delivery period's one record (day-record.ts) in its two stages — studied once the centre's step
 * and the agents' fills are done (`opened`), delivered once the period has run (`delivered`). The
 * day simulation and the dashboard's demo both record through it; what they add (the day's gas
 * and wall time, its settlement figures) is amended onto the record afterwards.
 */
import type { BidBook, DemandResponseMarket } from "../../typechain-types";
import { BUS, BUS_TYPE_NONE, GEN } from "../grid/case/columns";
import type { PowerCase } from "../grid/case/types";
import { readFills } from "../chain/board";
import { periodSearchStart } from "../chain/clock";
import { DEFAULT_MAX_BLOCK_RANGE, providerOf } from "../chain/logs";
import { unitsToUsd, whToKwh } from "../chain/units";
import type { PeriodResult } from "../market/period";
import {
  bidsRecord,
  deliveredRecord,
  fillFigures,
  limitedLineSet,
  recordPeriod,
  studiedRecord,
  type AnyPeriodRecord,
  type LineSet,
  type PeriodConditions,
  type PeriodRecord,
  type StudiedPeriodRecord,
} from "./day-record";
import type { DeliveredPeriod, OpenedPeriod, PeriodSink } from "./pipeline";

export interface PeriodRecorderConfig {
  /** The market case the centre studies (its operation data names the units). */
  readonly case: PowerCase;
  readonly periodSeconds: number;
  /** When and under which conditions a delivery period runs (the day's scenario, or the case's schedule). */
  readonly conditions: (deliveryPeriod: number) => PeriodConditions;
  /** The bid book, on a market with sealed bids: each period's sealed count is read from it. */
  readonly bidBook?: BidBook;
  /**
   * The market, to count a delivered period's fills from the chain (every filler's, a person's
   * from the dashboard too: the gate has closed); without it the fills stay those the pipeline's
   * agents reported at the gate. `fromBlock`: no fill is older (the deployment's block).
   */
  readonly fills?: { readonly market: DemandResponseMarket; readonly fromBlock: number };
}

/** A fill as the record counts it: kWh, USD, and whose (for the reserved offers of a selection). */
interface CountedFill {
  readonly offerHash: string;
  readonly generator: string;
  readonly kwh: number;
  readonly usd: number;
}

/**
 * The conditions of a delivery period run on the case's own schedule (no day scenario): its
 * demand, its renewable (PV) units' output, no weather; the period's start in UTC for its date
 * and time.
 */
export function scheduleConditions(c: PowerCase, deliveryPeriod: number, periodSeconds: number): PeriodConditions {
  const utcStart = deliveryPeriod * periodSeconds;
  const iso = new Date(utcStart * 1000).toISOString();
  const demandMW = c.bus.reduce((sum, b) => sum + (b[BUS.BUS_TYPE] === BUS_TYPE_NONE ? 0 : b[BUS.PD]), 0);
  const pvRows = new Set((c.operation?.units ?? []).filter((u) => u.kind === "renewable").map((u) => u.gen - 1));
  const pvMW = c.gen.reduce((sum, g, k) => sum + (pvRows.has(k) && g[GEN.GEN_STATUS] > 0 ? g[GEN.PG] : 0), 0);
  return {
    index: Math.floor((utcStart % 86400) / periodSeconds),
    date: iso.slice(0, 10),
    localTime: iso.slice(11, 16),
    utcStart,
    demandMW,
    pvMW,
    netLoadMW: demandMW - pvMW,
    pvAvailability: null,
    cloudCover: null,
  };
}

export class PeriodRecorder implements PeriodSink {
  private readonly records = new Map<number, AnyPeriodRecord>();
  /** What a studied period's delivered stage recounts its fills with: the study, its reserved offers. */
  private readonly pending = new Map<number, { study: PeriodResult; reserved: ReadonlySet<string> }>();
  private readonly lineSet: LineSet;
  private readonly unitNodes: readonly number[];

  constructor(private readonly cfg: PeriodRecorderConfig) {
    this.lineSet = limitedLineSet(cfg.case);
    const op = cfg.case.operation;
    if (!op) throw new Error(`${cfg.case.name}: recording periods needs the case's operation data`);
    this.unitNodes = op.units.map((u) => cfg.case.gen[u.gen - 1][GEN.GEN_BUS]);
  }

  /** Every record so far, by delivery period. */
  all(): AnyPeriodRecord[] {
    return [...this.records.values()].sort((a, b) => recordPeriod(a) - recordPeriod(b));
  }

  get(deliveryPeriod: number): AnyPeriodRecord | undefined {
    return this.records.get(deliveryPeriod);
  }

  /** The delivered record of `deliveryPeriod` (an error if it has not been delivered). */
  deliveredOf(deliveryPeriod: number): PeriodRecord {
    const r = this.records.get(deliveryPeriod);
    if (r?.stage !== "delivered") throw new Error(`period ${deliveryPeriod} has no delivered record`);
    return r as PeriodRecord;
  }

  /** Replaces fields of a delivered record (the day's gas, wall time and settlement figures). */
  amend(deliveryPeriod: number, fields: Partial<Omit<PeriodRecord, "stage">>): PeriodRecord {
    const r = { ...this.deliveredOf(deliveryPeriod), ...fields };
    this.records.set(deliveryPeriod, r);
    return r;
  }

  async opened(p: OpenedPeriod): Promise<void> {
    const study = p.centre.study;
    if (!study) return; // the centre made no study (it says why in its problems)
    const D = p.deliveryPeriod;
    // Offers reserved for a selected bidder (the others are the fallback units', open to any generator at the node).
    const reserved = new Set(p.centre.posted.filter((o) => BigInt(o.offer.generator) !== 0n).map((o) => o.offerHash));
    const fills = p.generators.flatMap(({ poll }) =>
      poll.filled.filter(({ fill }) => fill.period === D).map(({ offerHash, fill }) => counted(offerHash, fill)),
    );
    const T = this.cfg.periodSeconds;
    const record: StudiedPeriodRecord = studiedRecord(
      this.cfg.conditions(D),
      study,
      this.cfg.case,
      this.unitNodes,
      this.lineSet,
      {
        chainPeriod: D,
        chainStart: D * T,
        fills,
        posted: p.centre.posted.map((o) => ({ usd: unitsToUsd(o.offer.usd) })),
        auction: this.cfg.bidBook
          ? { sealed: Number(await this.cfg.bidBook.commitmentCount(D)), reservedFills: reservedOf(fills, reserved) }
          : null,
        problems: [...p.centre.problems, ...p.centre.dropped],
      },
    );
    this.records.set(D, record);
    this.pending.set(D, { study, reserved });
  }

  async delivered(p: DeliveredPeriod): Promise<void> {
    const D = p.deliveryPeriod;
    let studied = this.records.get(D);
    const made = this.pending.get(D);
    if (!studied || !made) return; // not studied (the first period of a run, or a failed study): nothing to complete
    if (this.cfg.fills) {
      // The gate has closed: every fill of the period is on chain, whoever made it.
      const { market, fromBlock } = this.cfg.fills;
      const from = await periodSearchStart(
        providerOf(market),
        D - 1,
        this.cfg.periodSeconds,
        fromBlock,
        DEFAULT_MAX_BLOCK_RANGE,
      );
      const fills = (await readFills(market, { period: D }, from)).map(({ fill }) => counted(fill.offerHash, fill));
      studied = {
        ...studied,
        ...fillFigures(fills),
        bids:
          studied.bids.sealed === null
            ? studied.bids
            : bidsRecord(made.study, {
                sealed: studied.bids.sealed,
                reservedFills: reservedOf(fills, made.reserved),
              }),
      };
    }
    this.records.set(
      D,
      deliveredRecord(studied, this.lineSet, {
        delivery: p.delivery,
        actualFlow: p.actual.loadFlow,
        actualLimits: p.actual.limits,
        gas: null,
        gasByFunction: {},
        wallMs: null,
      }),
    );
    // Only now: a delivery whose fills could not be read (the node did not answer) is recorded when run again.
    this.pending.delete(D);
  }
}

function counted(offerHash: string, fill: { generator: string; amountWh: bigint; usd: bigint }): CountedFill {
  return { offerHash, generator: fill.generator, kwh: whToKwh(fill.amountWh), usd: unitsToUsd(fill.usd) };
}

/** The fills of the offers reserved for a selected bidder (the others are the fallback units'). */
const reservedOf = (fills: readonly CountedFill[], reserved: ReadonlySet<string>): CountedFill[] =>
  fills.filter((f) => reserved.has(f.offerHash));

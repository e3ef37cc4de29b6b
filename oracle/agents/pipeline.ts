/**
 * The one period pipeline (issue #23): every program that runs the whole market on a development
 * chain — the in-process simulation of tests and benchmarks, the demo, the day simulation and the
 * dashboard's demo — runs a period through these stages and none sequences one itself:
 *
 *   open:    study → report → post   the centre agent's step (CentreAgent.step)
 *            fill                    the operators' duties, the generator agents' polls
 *   deliver: settle                  near the period's end: the operators stand in and correct,
 *                                    the centre settles what became final (CentreAgent.settle)
 *            deliver                 the chain enters the delivery period; each unit delivers its
 *                                    planned output plus what its behaviour makes of its book
 *            meter                   its meter records it
 *            grid                    the delivery period's load flow with the outputs as they ran
 *                                    — what was delivered, not what was promised (finding GS-10)
 *   close:   report and settle only  after the last traded period: the centre steps past the
 *                                    gate (no new offers), the generators see their payments
 *
 * What varies is passed in, as pandapower's run_timeseries takes its data source and output
 * writer: the clock (chain time, moved forward on a development chain), the delivery model (each
 * unit's Behaviour), the meters that record deliveries, and output sinks called as each part of a
 * period completes.
 *
 * Selected explicitly: live agents read real meters (files, HTTP, signed readings) and run on
 * real time (scripts/agent-*.ts).
 */
import type { Provider, Wallet } from "ethers";
import { GEN } from "../grid/case/columns";
import type { PowerCase } from "../grid/case/types";
import { checkLimits, type LimitReport } from "../grid/limits/checks";
import { NetworkModel } from "../grid/model/network";
import { injectionsOf } from "../grid/pf/point";
import { toResult } from "../grid/pf/results";
import { PowerFlowSeries } from "../grid/pf/series";
import type { PowerFlowResult } from "../grid/pf/results";
import { applyForecasts, type Forecasts } from "../market/period";
import { advanceDevChain, chainNow, type RawRpc } from "../chain/clock";
import type { GridSwapContracts } from "../chain/deploy";
import { BookState, Direction } from "../chain/enums";
import { bookFromStruct, type BookKey } from "../chain/market-data";
import type { TxRecord } from "../chain/tx";
import { bidTimes, type BidBookTermsData } from "../chain/bids";
import type { CentreAgent, CentreStep } from "./centre";
import type { DutiesTick, OperatorDuties } from "./oracle/duties";
import type { GeneratorAgent, GeneratorPoll } from "./generator";
import { meanPowerMwToWh } from "./metering";
import { unitRowAt } from "./simulation";
import { whToMeanMw } from "../chain/units";

/** A generator's commitment in one delivery period, as its behaviour sees it. */
export interface Commitment {
  readonly period: number;
  readonly direction: number;
  readonly committedWh: bigint;
}

/** The delivery model of a unit: the fraction of a commitment it delivers, or its meter is offline. */
export type Behaviour = (commitment: Commitment) => number | "meter-offline";

export const fullDelivery: Behaviour = () => 1;

/** A unit that delivers in the pipeline: a generator agent's, or one a person drives (no agent). */
export interface SimulatedGenerator {
  /** The generator's wallet address (its book on chain). */
  readonly address: string;
  /** Its agent, polled in the fill and settle stages (absent: someone else acts for it). */
  readonly agent?: GeneratorAgent;
  /** Its revenue meter's key (bound in the registry). */
  readonly meter: Wallet;
  /** The grid node (bus number) of its unit. */
  readonly node: number;
  readonly behaviour: Behaviour;
  /** Its planned output in a period without any trade, MW: what it nominates and produces untraded. */
  readonly plannedMW: (period: number) => number;
}

/** Where delivered energy is recorded: the simulated meters. */
export interface MeterRecorder {
  /** Records `meter`'s energy for `period` (Wh), read at `timestamp` (the period's end or later). */
  record(meter: Wallet, generator: string, period: number, energyWh: bigint, timestamp: number): Promise<void>;
}

/** The clock the pipeline runs on: chain time, in periods of `periodSeconds`. */
export interface PeriodClock {
  readonly periodSeconds: number;
  now(): Promise<number>;
  /** Moves time forward to `t`; a clock already past `t` (a long pause) stays where it is. */
  advanceTo(t: number): Promise<void>;
}

/** A development chain's clock (Hardhat, Anvil): moved by mining a block at the wanted time. */
export function devChainClock(provider: Provider & RawRpc, periodSeconds: number): PeriodClock {
  return {
    periodSeconds,
    now: () => chainNow(provider),
    advanceTo: async (t) => {
      if (t > (await chainNow(provider))) await advanceDevChain(provider, t);
    },
  };
}

/** What a period's opening did: the centre's step (study, report, offers posted) and the fills. */
export interface OpenedPeriod {
  /** The period the centre acted in, and the delivery period its study and offers are for. */
  readonly period: number;
  readonly deliveryPeriod: number;
  readonly centre: CentreStep;
  readonly operators: readonly DutiesTick[];
  readonly generators: readonly { readonly address: string; readonly poll: GeneratorPoll }[];
}

/** Per unit: its planned and actual output in the delivery period, MW, and the commitment it had. */
export interface UnitDelivery {
  readonly address: string;
  readonly node: number;
  /** Its own planned output (what it nominated), MW. */
  readonly scheduledMW: number;
  readonly committedMW: number;
  readonly actualMW: number;
  readonly meterOffline: boolean;
}

/** What a delivery period did: the late settlement before it, the delivery, the grid as it ran. */
export interface DeliveredPeriod {
  readonly deliveryPeriod: number;
  /** What the operators did near the end of the period before. */
  readonly operators: readonly DutiesTick[];
  /** What the centre settled and unwound near the end of the period before. */
  readonly lateSettlement: {
    readonly settled: BookKey[];
    readonly unwound: BookKey[];
    readonly transactions: TxRecord[];
  };
  /** The agents' polls after a late settlement (empty when nothing was settled). */
  readonly generators: readonly { readonly address: string; readonly poll: GeneratorPoll }[];
  readonly delivery: readonly UnitDelivery[];
  /** The delivery period's load flow with the actual outputs, and its limit report. */
  readonly actual: { readonly loadFlow: PowerFlowResult; readonly limits: LimitReport };
}

/** A whole period: its opening and the delivery period it traded for. */
export interface SimulatedPeriod {
  readonly period: number;
  readonly deliveryPeriod: number;
  readonly centre: CentreStep;
  /** What the operators did on their own, after the centre's step and near the period's end. */
  readonly operators: readonly DutiesTick[];
  readonly lateSettlement: DeliveredPeriod["lateSettlement"];
  /** Each agent's polls in the period (after the centre's step, and after a late settlement). */
  readonly generators: readonly { readonly address: string; readonly poll: GeneratorPoll }[];
  readonly delivery: readonly UnitDelivery[];
  readonly actual: DeliveredPeriod["actual"];
}

/** A period after trading: the centre reported and settled, posting nothing; the agents polled. */
export interface ClosedPeriod {
  readonly period: number;
  readonly centre: CentreStep;
  readonly generators: readonly { readonly address: string; readonly poll: GeneratorPoll }[];
}

/** A bidding round of the agents: their commitments before a bid gate, or their reveals inside a window. */
export interface BiddingRound {
  readonly phase: "commit" | "reveal";
  /** The delivery period whose gate (commit) or reveal window (reveal) the round is at. */
  readonly deliveryPeriod: number;
  readonly generators: readonly { readonly address: string; readonly poll: GeneratorPoll }[];
}

/** Output sinks: each called as that part of a period completes (pandapower's output writer). */
export interface PeriodSink {
  bidding?(round: BiddingRound): void | Promise<void>;
  opened?(p: OpenedPeriod): void | Promise<void>;
  delivered?(p: DeliveredPeriod): void | Promise<void>;
  closed?(p: ClosedPeriod): void | Promise<void>;
}

export interface PipelineConfig {
  readonly provider: Provider & RawRpc;
  /** The market, to read each unit's book in the delivery period and the gate closure. */
  readonly centreContracts: GridSwapContracts;
  readonly periodSeconds: number;
  /** Chain time (default: the development chain behind `provider`). */
  readonly clock?: PeriodClock;
  readonly case: PowerCase;
  readonly forecasts?: (deliveryPeriod: number) => Forecasts;
  readonly centre: CentreAgent;
  /** The oracle operators' own duties (stand in for a missing report, correct), ticked twice a period. */
  readonly operators?: readonly OperatorDuties[];
  /** The delivering units, each with its delivery model (behaviour). */
  readonly generators: readonly SimulatedGenerator[];
  readonly meters: MeterRecorder;
  readonly sinks?: readonly PeriodSink[];
  /** Seconds into each period at which the centre and the generators act (default 5). */
  readonly offsetSeconds?: number;
  /**
   * The bid book's terms, on a market with sealed bids: the generator agents are polled before the
   * first period's bid gate and inside its reveal window, and near every period's end (its reveals).
   */
  readonly bidTerms?: BidBookTermsData;
}

export class PeriodPipeline {
  readonly clock: PeriodClock;
  private readonly offset: number;
  /** The grid as it ran, period after period: one network, new injections (warm starts). */
  private series?: PowerFlowSeries;

  constructor(private readonly cfg: PipelineConfig) {
    this.offset = cfg.offsetSeconds ?? 5;
    this.clock = cfg.clock ?? devChainClock(cfg.provider, cfg.periodSeconds);
    if (this.offset >= cfg.periodSeconds / 2) throw new RangeError("offsetSeconds must be less than half a period");
  }

  /** The same pipeline with some of its parts replaced (more units, other sinks, another clock). */
  with(parts: Partial<PipelineConfig>): PeriodPipeline {
    return new PeriodPipeline({ ...this.cfg, ...parts });
  }

  /**
   * Moves the chain to `offsetSeconds` into the next period (or `period`, when later). With sealed
   * bids the generators first commit before the bid gate of the period after it and reveal inside
   * its reveal window, so the first study already has their bids.
   */
  async startPeriod(period?: number): Promise<number> {
    const T = this.cfg.periodSeconds;
    const now = await this.clock.now();
    let next = Math.max(period ?? 0, Math.floor(now / T) + 1);
    const bidding = this.cfg.bidTerms;
    if (bidding) {
      // Commitments well before the gate (each transaction moves a development chain's clock), reveals at the window's opening.
      const margin = Math.min(120, Math.floor(T / 10));
      if (bidTimes(next + 1, bidding).bidGate - margin <= now) next += 1; // too late to commit for the period after `next`
      const { bidGate } = bidTimes(next + 1, bidding);
      await this.clock.advanceTo(bidGate - margin);
      await this.bidding("commit", next + 1, await this.pollAgents());
      await this.reveal(next + 1);
    }
    await this.clock.advanceTo(next * T + this.offset);
    return next;
  }

  /** Records every unit's planned output for `period` as its meter reading (no commitment). */
  async recordSchedule(period: number): Promise<void> {
    for (const g of this.cfg.generators) {
      await this.meter(g, period, 0n);
    }
  }

  /** One whole period: the opening, then the delivery period it traded for. Ends `offsetSeconds` into it. */
  async run(): Promise<SimulatedPeriod> {
    const opened = await this.open();
    const delivered = await this.deliver(opened.deliveryPeriod);
    const again = new Map(delivered.generators.map((g) => [g.address, g.poll]));
    return {
      period: opened.period,
      deliveryPeriod: opened.deliveryPeriod,
      centre: opened.centre,
      operators: [...opened.operators, ...delivered.operators],
      lateSettlement: delivered.lateSettlement,
      // The generators see their payments in the period they were made.
      generators: opened.generators.map((g) => ({
        address: g.address,
        poll: mergePolls(g.poll, again.get(g.address)),
      })),
      delivery: delivered.delivery,
      actual: delivered.actual,
    };
  }

  /** Study → report → post (the centre's step), then fill (the operators' duties, the agents' polls). */
  async open(): Promise<OpenedPeriod> {
    const centre = await this.cfg.centre.step();
    const operators = await this.tickOperators();
    const generators = await this.pollAgents();
    const opened = { period: centre.period, deliveryPeriod: centre.deliveryPeriod, centre, operators, generators };
    for (const s of this.cfg.sinks ?? []) await s.opened?.(opened);
    return opened;
  }

  /**
   * Settle near the end of the period before `deliveryPeriod`, then deliver, meter and solve the
   * grid as it ran. Ends `offsetSeconds` into the delivery period.
   */
  async deliver(deliveryPeriod: number): Promise<DeliveredPeriod> {
    const T = this.cfg.periodSeconds;
    // The agents reveal their bids for the period after, as its reveal window opens.
    if (this.cfg.bidTerms) await this.reveal(deliveryPeriod + 1);
    // Near the period's end the operators stand in for a report that never came and correct what
    // late readings allow, and the centre settles what became final during the period.
    await this.clock.advanceTo(deliveryPeriod * T - this.offset);
    const operators = await this.tickOperators();
    const lateSettlement = await this.cfg.centre.settle();
    const generators = lateSettlement.settled.length + lateSettlement.unwound.length > 0 ? await this.pollAgents() : [];
    await this.clock.advanceTo(deliveryPeriod * T + this.offset);

    // Each unit's planned output plus the part of its commitment its behaviour delivers; the unit
    // at its node runs at the schedule plus every generator's delivered move.
    const schedule = applyForecasts(this.cfg.case, this.cfg.forecasts?.(deliveryPeriod) ?? {});
    const gen = schedule.gen.map((row) => [...row]);
    const delivery: UnitDelivery[] = [];
    for (const g of this.cfg.generators) {
      const plannedMW = g.plannedMW(deliveryPeriod);
      const book = bookFromStruct(g.address, await this.cfg.centreContracts.market.bookOf(g.address, deliveryPeriod));
      // Energies in whole Wh, as the meters and the chain count them: full delivery is exact.
      let committedWh = 0n;
      let deliveredWh = 0n;
      let meterOffline = false;
      if (book.state !== BookState.None) {
        committedWh = book.direction === Direction.Increase ? book.committedWh : -book.committedWh;
        const fraction = g.behaviour({
          period: deliveryPeriod,
          direction: book.direction,
          committedWh: book.committedWh,
        });
        if (fraction === "meter-offline") meterOffline = true;
        else deliveredWh = BigInt(Math.round(Number(committedWh) * fraction));
      }
      const row = unitRowAt(schedule, g.node);
      if (row >= 0) gen[row][GEN.PG] += this.meanMW(deliveredWh);
      if (!meterOffline) await this.meter(g, deliveryPeriod, deliveredWh);
      delivery.push({
        address: g.address,
        node: g.node,
        scheduledMW: plannedMW,
        committedMW: this.meanMW(committedWh),
        actualMW: plannedMW + this.meanMW(deliveredWh),
        meterOffline,
      });
    }
    const ran = { ...schedule, gen };
    const loadFlow = this.gridAsItRan(ran);
    const delivered = {
      deliveryPeriod,
      operators,
      lateSettlement,
      generators,
      delivery,
      actual: { loadFlow, limits: checkLimits(ran, loadFlow) },
    };
    for (const s of this.cfg.sinks ?? []) await s.delivered?.(delivered);
    return delivered;
  }

  /**
   * Report and settle only, in `period` after the last traded one: the centre steps past the gate
   * closure for the next period's offers (so it posts none) and the agents poll.
   */
  async close(period: number): Promise<ClosedPeriod> {
    const terms = await this.cfg.centreContracts.market.terms();
    await this.clock.advanceTo((period + 1) * this.cfg.periodSeconds - Number(terms.gateClosureSeconds) - 60);
    const centre = await this.cfg.centre.step();
    const closed = { period, centre, generators: await this.pollAgents() };
    for (const s of this.cfg.sinks ?? []) await s.closed?.(closed);
    return closed;
  }

  /** Moves to the opening of `deliveryPeriod`'s reveal window (when not past it) and polls the agents there. */
  private async reveal(deliveryPeriod: number): Promise<void> {
    const { bidGate, revealEnd } = bidTimes(deliveryPeriod, this.cfg.bidTerms as BidBookTermsData);
    await this.clock.advanceTo(Math.min(bidGate + this.offset, revealEnd - 1));
    await this.bidding("reveal", deliveryPeriod, await this.pollAgents());
  }

  private async bidding(
    phase: BiddingRound["phase"],
    deliveryPeriod: number,
    generators: BiddingRound["generators"],
  ): Promise<void> {
    for (const s of this.cfg.sinks ?? []) await s.bidding?.({ phase, deliveryPeriod, generators });
  }

  private async tickOperators(): Promise<DutiesTick[]> {
    const ticks: DutiesTick[] = [];
    for (const d of this.cfg.operators ?? []) ticks.push(await d.tick());
    return ticks;
  }

  private async pollAgents(): Promise<{ address: string; poll: GeneratorPoll }[]> {
    const polls = [];
    for (const g of this.cfg.generators) if (g.agent) polls.push({ address: g.address, poll: await g.agent.poll() });
    return polls;
  }

  /** A unit's meter reading for `period`: its planned output plus `deliveredWh`, read at the period's end. */
  private async meter(g: SimulatedGenerator, period: number, deliveredWh: bigint): Promise<void> {
    const T = this.cfg.periodSeconds;
    const energyWh = meanPowerMwToWh(g.plannedMW(period), T) + deliveredWh;
    await this.cfg.meters.record(g.meter, g.address, period, energyWh, (period + 1) * T);
  }

  /**
   * The load flow of the grid as it ran, warm from the last delivery period's (the network model is
   * kept, only the injections are new: PowerFlowSeries). Not used for the centre's study, which the
   * operators must reproduce bit for bit from its published inputs alone — it starts from the case.
   */
  private gridAsItRan(ran: PowerCase): PowerFlowResult {
    const model = NetworkModel.of(ran);
    if (this.series?.model !== model) this.series = new PowerFlowSeries(model);
    return toResult(this.series.solve(injectionsOf(model, ran)).point, ran.name);
  }

  /** Mean power over a period of an energy in Wh, MW. */
  private meanMW(wh: bigint): number {
    return whToMeanMw(wh, this.cfg.periodSeconds);
  }
}

/** Two polls of one generator in one period, as one. */
function mergePolls(a: GeneratorPoll, b: GeneratorPoll | undefined): GeneratorPoll {
  if (!b) return a;
  return {
    filled: [...a.filled, ...b.filled],
    rejected: [...a.rejected, ...b.rejected],
    missed: [...a.missed, ...b.missed],
    settled: [...a.settled, ...b.settled],
    unwound: [...a.unwound, ...b.unwound],
    disputed: [...a.disputed, ...b.disputed],
    bids: {
      committed: [...a.bids.committed, ...b.bids.committed],
      revealed: [...a.bids.revealed, ...b.bids.revealed],
      out: [...a.bids.out, ...b.bids.out],
    },
    transactions: [...a.transactions, ...b.transactions],
  };
}

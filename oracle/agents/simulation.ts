/**
 * One period driver for everything that runs the whole market on a development chain — the demo,
 * the cycle benchmark, the day simulation and tests: the centre agent's step, the generator
 * agents' polls, the chain clock moved to the next period, the generators' delivery (each by its
 * own behaviour: fully, partly, not at all, or with its meter offline) on top of its own planned
 * output, recorded by its own simulated meter, and the load flow of the delivery period as it
 * really ran — with what was delivered, not what was promised (finding GS-10).
 *
 * Selected explicitly: live agents read real meters (files, HTTP, signed readings).
 */
import type { Provider, TypedDataDomain, Wallet } from "ethers";
import { GEN } from "../grid/case/columns";
import type { PowerCase } from "../grid/case/types";
import { checkLimits, type LimitReport } from "../grid/limits/checks";
import { runPowerFlow } from "../grid/pf/runpf";
import type { PowerFlowResult } from "../grid/pf/results";
import { applyForecasts, type Forecasts } from "../market/period";
import { readMarketEvents } from "../chain/board";
import { advanceDevChain, chainNow, type RawRpc } from "../chain/clock";
import type { GridSwapContracts } from "../chain/deploy";
import { BookState, Direction } from "../chain/enums";
import { bookFromStruct, type BookKey } from "../chain/market-data";
import type { TxRecord } from "../chain/tx";
import type { CentreAgent, CentreStep } from "./centre";
import type { DutiesTick, OperatorDuties } from "./oracle/duties";
import type { GeneratorAgent, GeneratorPoll } from "./generator";
import {
  meanPowerMwToWh,
  signReading,
  type MeterReading,
  type MeterSource,
  type ReadingBatch,
  type ReadingQuery,
} from "./metering";

/** A generator's commitment in one delivery period, as its behaviour sees it. */
export interface Commitment {
  readonly period: number;
  readonly direction: number;
  readonly committedWh: bigint;
}

/** What a simulated generator actually does with a commitment: the fraction delivered, or its meter is offline. */
export type Behaviour = (commitment: Commitment) => number | "meter-offline";

export const fullDelivery: Behaviour = () => 1;

export interface SimulatedGenerator {
  readonly agent: GeneratorAgent;
  /** Its revenue meter's key (bound in the registry). */
  readonly meter: Wallet;
  /** The grid node (bus number) of its unit. */
  readonly node: number;
  readonly behaviour: Behaviour;
  /** Its planned output in a period without any trade, MW: what it nominates and produces untraded. */
  readonly plannedMW: (period: number) => number;
}

/** Meters that record what the simulation says each unit produced; readable once a period has ended. */
export class SimulatedMeters implements MeterSource {
  readonly description = "simulated meters (--simulate-meters)";
  private readonly readings = new Map<string, MeterReading>();

  constructor(
    private readonly provider: Provider,
    /** Sign every reading with its meter key under this domain (the oracle's), or leave them unsigned. */
    private readonly signingDomain?: TypedDataDomain,
  ) {}

  /** Records `meter`'s energy for `period` (Wh), read at `timestamp` (the period's end or later). */
  async record(meter: Wallet, generator: string, period: number, energyWh: bigint, timestamp: number): Promise<void> {
    const unsigned: MeterReading = {
      meter: meter.address,
      period,
      energyWh,
      quality: "OK",
      timestamp,
      origin: `simulated meter ${meter.address.slice(0, 10)} period ${period}`,
    };
    const reading: MeterReading = this.signingDomain
      ? { ...unsigned, signature: await signReading(meter, this.signingDomain, generator, unsigned) }
      : unsigned;
    this.readings.set(`${meter.address.toLowerCase()}:${period}`, reading);
  }

  async read(query: ReadingQuery = {}): Promise<ReadingBatch> {
    const now = await chainNow(this.provider);
    const meters = query.meters ? new Set(query.meters.map((m) => m.toLowerCase())) : undefined;
    const periods = query.periods ? new Set(query.periods) : undefined;
    const readings = [...this.readings.values()].filter(
      (r) =>
        r.timestamp <= now &&
        (meters === undefined || meters.has(r.meter.toLowerCase())) &&
        (periods === undefined || periods.has(r.period)),
    );
    return { readings, rejected: [] };
  }
}

export interface SimulationConfig {
  readonly provider: Provider & RawRpc;
  /** The market, to read each generator's book in the delivery period. */
  readonly centreContracts: GridSwapContracts;
  readonly periodSeconds: number;
  readonly case: PowerCase;
  readonly forecasts?: (deliveryPeriod: number) => Forecasts;
  readonly centre: CentreAgent;
  /** The oracle operators' own duties (stand in for a missing report, correct), ticked twice a period. */
  readonly operators?: readonly OperatorDuties[];
  readonly generators: readonly SimulatedGenerator[];
  readonly meters: SimulatedMeters;
  /** Seconds into each period at which the centre and the generators act (default 5). */
  readonly offsetSeconds?: number;
}

export interface SimulatedPeriod {
  /** The period the centre acted in, and the one that was delivered (and measured later). */
  readonly period: number;
  readonly deliveryPeriod: number;
  readonly centre: CentreStep;
  /** What the operators did on their own, after the centre's step and near the period's end. */
  readonly operators: readonly DutiesTick[];
  /** What the centre settled and unwound near the period's end. */
  readonly lateSettlement: {
    readonly settled: BookKey[];
    readonly unwound: BookKey[];
    readonly transactions: TxRecord[];
  };
  readonly generators: { readonly address: string; readonly poll: GeneratorPoll }[];
  /** Per generator: its planned and actual output in the delivery period, MW, and the commitment it had. */
  readonly delivery: {
    readonly address: string;
    readonly node: number;
    /** Its own planned output (what it nominated), MW. */
    readonly scheduledMW: number;
    readonly committedMW: number;
    readonly actualMW: number;
    readonly meterOffline: boolean;
  }[];
  /** The delivery period's load flow with the actual outputs, and its limit report. */
  readonly actual: { readonly loadFlow: PowerFlowResult; readonly limits: LimitReport };
}

export class MarketSimulation {
  private readonly offset: number;

  constructor(private readonly cfg: SimulationConfig) {
    this.offset = cfg.offsetSeconds ?? 5;
    if (this.offset >= cfg.periodSeconds / 2) throw new RangeError("offsetSeconds must be less than half a period");
  }

  /** Moves the chain to `offsetSeconds` into the next period (or `period`, when later). */
  async startPeriod(period?: number): Promise<number> {
    const now = await chainNow(this.cfg.provider);
    const next = Math.max(period ?? 0, Math.floor(now / this.cfg.periodSeconds) + 1);
    await advanceDevChain(this.cfg.provider, next * this.cfg.periodSeconds + this.offset);
    return next;
  }

  /** Records every generator's planned output for `period` as its meter reading (no commitment). */
  async recordSchedule(period: number): Promise<void> {
    for (const g of this.cfg.generators) {
      const mw = g.plannedMW(period);
      await this.cfg.meters.record(
        g.meter,
        g.agent.address,
        period,
        meanPowerMwToWh(mw, this.cfg.periodSeconds),
        (period + 1) * this.cfg.periodSeconds,
      );
    }
  }

  /**
   * One period: the centre's step, the generators' polls, then the chain moves to the delivery
   * period, the units deliver what their behaviour says, the meters record it and the delivery
   * period's load flow is solved with the actual outputs. Ends `offsetSeconds` into the delivery period.
   */
  async runPeriod(): Promise<SimulatedPeriod> {
    const centre = await this.cfg.centre.step();
    const operators: DutiesTick[] = [];
    for (const d of this.cfg.operators ?? []) operators.push(await d.tick());
    const generators = [];
    for (const g of this.cfg.generators) generators.push({ address: g.agent.address, poll: await g.agent.poll() });
    const deliveryPeriod = centre.deliveryPeriod;
    // Near the period's end the operators stand in for a report that never came and correct what
    // late readings allow, and the centre settles what became final during the period.
    await advanceDevChain(this.cfg.provider, deliveryPeriod * this.cfg.periodSeconds - this.offset);
    for (const d of this.cfg.operators ?? []) operators.push(await d.tick());
    const late = await this.cfg.centre.settle();
    if (late.settled.length + late.unwound.length > 0) {
      // The generators see their payments in the period they were made.
      for (let i = 0; i < this.cfg.generators.length; i++) {
        const again = await this.cfg.generators[i].agent.poll();
        generators[i] = { ...generators[i], poll: mergePolls(generators[i].poll, again) };
      }
    }
    await advanceDevChain(this.cfg.provider, deliveryPeriod * this.cfg.periodSeconds + this.offset);

    // Delivery: each generator's planned output plus the part of its commitment its behaviour
    // delivers; the unit at its node runs at the schedule plus every generator's delivered move.
    const schedule = applyForecasts(this.cfg.case, this.cfg.forecasts?.(deliveryPeriod) ?? {});
    const hours = this.cfg.periodSeconds / 3600;
    const gen = schedule.gen.map((row) => [...row]);
    const delivery = [];
    const toMW = (wh: bigint): number => Number(wh) / 1e6 / hours;
    for (const g of this.cfg.generators) {
      const plannedMW = g.plannedMW(deliveryPeriod);
      const book = bookFromStruct(
        g.agent.address,
        await this.cfg.centreContracts.market.bookOf(g.agent.address, deliveryPeriod),
      );
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
      const actualMW = plannedMW + toMW(deliveredWh);
      const row = this.unitRow(schedule, g.node);
      if (row >= 0) gen[row][GEN.PG] += toMW(deliveredWh);
      if (!meterOffline) {
        await this.cfg.meters.record(
          g.meter,
          g.agent.address,
          deliveryPeriod,
          meanPowerMwToWh(plannedMW, this.cfg.periodSeconds) + deliveredWh,
          (deliveryPeriod + 1) * this.cfg.periodSeconds,
        );
      }
      delivery.push({
        address: g.agent.address,
        node: g.node,
        scheduledMW: plannedMW,
        committedMW: toMW(committedWh),
        actualMW,
        meterOffline,
      });
    }
    const ran = { ...schedule, gen };
    const loadFlow = runPowerFlow(ran);
    return {
      period: centre.period,
      deliveryPeriod,
      centre,
      operators,
      lateSettlement: late,
      generators,
      delivery,
      actual: { loadFlow, limits: checkLimits(ran, loadFlow) },
    };
  }

  private unitRow(c: PowerCase, node: number): number {
    return unitRowAt(c, node);
  }
}

/** The case row (0-based) of the unit at `node`: its redispatch unit, else its first in-service generator; −1 if none. */
export function unitRowAt(c: PowerCase, node: number): number {
  const unit = c.operation?.units.find((u) => c.gen[u.gen - 1][GEN.GEN_BUS] === node);
  return unit ? unit.gen - 1 : c.gen.findIndex((g) => g[GEN.GEN_BUS] === node && g[GEN.GEN_STATUS] > 0);
}

/**
 * For devnets (`agent:centre --simulate-meters`): meters that read, for every generator with a
 * book, its own nomination (the output it planned) plus the share of its commitment that
 * `fractionAt(node)` says it delivered (default: all). Unsigned; readable once a period has ended.
 */
export class CommittedDeliveryMeters implements MeterSource {
  readonly description: string;
  private lastBlock: number;
  private readonly books = new Map<string, BookKey>();

  constructor(
    private readonly contracts: GridSwapContracts,
    deployBlock: number,
    private readonly periodSeconds: number,
    private readonly fractionAt: (node: number) => number = () => 1,
  ) {
    this.lastBlock = deployBlock - 1;
    this.description =
      "simulated meters (--simulate-meters: each generator's nomination plus its commitment delivered)";
  }

  async read(query: ReadingQuery = {}): Promise<ReadingBatch> {
    const provider = this.contracts.market.runner!.provider!;
    const latest = await provider.getBlockNumber();
    if (latest > this.lastBlock) {
      const events = await readMarketEvents(this.contracts.market, this.lastBlock + 1, latest);
      for (const { fill } of events.fills) {
        this.books.set(`${fill.generator.toLowerCase()}:${fill.period}`, {
          generator: fill.generator,
          period: fill.period,
        });
      }
      this.lastBlock = events.toBlock;
    }
    const now = await chainNow(provider);
    const wanted = query.meters ? new Set(query.meters.map((m) => m.toLowerCase())) : undefined;
    const periods = query.periods ? new Set(query.periods) : undefined;
    const out: MeterReading[] = [];
    for (const key of this.books.values()) {
      const end = (key.period + 1) * this.periodSeconds;
      if (end > now || (periods && !periods.has(key.period))) continue;
      const [nodeRaw, meter] = await this.contracts.registry.generatorOf(key.generator);
      if (wanted && !wanted.has(meter.toLowerCase())) continue;
      const book = bookFromStruct(key.generator, await this.contracts.market.bookOf(key.generator, key.period));
      const signed = book.direction === Direction.Increase ? book.committedWh : -book.committedWh;
      const delivered = BigInt(Math.round(Number(signed) * this.fractionAt(Number(nodeRaw))));
      out.push({
        meter,
        period: key.period,
        energyWh: book.nominatedWh + delivered,
        quality: "OK",
        timestamp: end,
        origin: `simulated meter of ${key.generator.slice(0, 10)} at node ${nodeRaw}, period ${key.period}`,
      });
    }
    return { readings: out, rejected: [] };
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
    transactions: [...a.transactions, ...b.transactions],
  };
}

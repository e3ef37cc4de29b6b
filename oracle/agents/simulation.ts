/**
 * Simulated meters for development chains: the meters the period pipeline (pipeline.ts) records
 * each unit's delivery into, and the meters of `agent:centre --simulate-meters` that read each
 * generator's nomination plus its commitment from the chain.
 *
 * Selected explicitly: live agents read real meters (files, HTTP, signed readings).
 */
import type { Provider, TypedDataDomain, Wallet } from "ethers";
import { GEN } from "../grid/case/columns";
import type { PowerCase } from "../grid/case/types";
import { readMarketEvents } from "../chain/board";
import { chainNow } from "../chain/clock";
import type { GridSwapContracts } from "../chain/deploy";
import { Direction } from "../chain/enums";
import { bookFromStruct, type BookKey } from "../chain/market-data";
import { signReading, type MeterReading, type MeterSource, type ReadingBatch, type ReadingQuery } from "./metering";
import type { MeterRecorder } from "./pipeline";

/** Meters that record what the simulation says each unit produced; readable once a period has ended. */
export class SimulatedMeters implements MeterSource, MeterRecorder {
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

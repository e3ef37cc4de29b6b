/**
 * What one oracle operator measures, from its own meter data: every book (a generator's commitment
 * in a delivery period) whose period has ended, that no report measured yet, measured against its
 * own baseline from the readings of the meter the registry binds to its generator.
 *
 * One meter's bad data touches only that meter's measurement (docs/metering.md, "Isolation"): a
 * malformed, duplicate, unsigned, foreign, implausible or out-of-range reading makes it BAD, with
 * the reason; no reading makes it MISSING once the reading grace time has passed (until then it is
 * pending: measured in a later report); a meter source that cannot be read leaves its meters
 * without readings for now. Nothing here throws for meter data.
 */
import { ZeroAddress, ZeroHash, type TypedDataDomain } from "ethers";
import type { GridSwapContracts } from "../../chain/deploy";
import { BaselineMethod, BookState, MeasurementState } from "../../chain/enums";
import { bookFromStruct, bookKeyId, type BookData, type BookKey, type MeasurementData } from "../../chain/market-data";
import {
  BASELINE_METHOD_CODE,
  isMeterSourceError,
  MeterDataError,
  QUALITY_CODE,
  measureDeliveries,
  readingPeriods,
  screenReadings,
  type BaselineSpec,
  type MeterReading,
  type MeterSource,
  type ReadingBatch,
} from "../metering";
import type { OpenBookIndex } from "../books";
import { valueDigest, type ObservedMeasurement } from "./protocol";

/** Digest of a BAD measurement's "reading": the readings were unusable, whatever the reason. */
const BAD_READING_DIGEST = valueDigest("bad reading");

export interface ObserverConfig {
  readonly contracts: GridSwapContracts;
  /** The operator's meter data: files, an HTTP meter data service, simulated meters. */
  readonly meters: MeterSource;
  /**
   * Whether a reading must carry its meter key's EIP-712 signature (default true). Only a devnet
   * may run without (`--insecure-unsigned-readings`): anyone who can write the meter data decides
   * the measurements then.
   */
  readonly requireSignedReadings?: boolean;
  /** How long after a period's end readings may still arrive before a meter is MISSING, s. */
  readonly readingGraceSeconds: number;
  /** The Nominated baseline's history bound, a fraction of the registered capacity (default 0.2). */
  readonly nominationTolerance?: number;
  readonly holidays?: readonly string[];
}

export interface Observation {
  /** Measured now (any quality), by bookKeyId. */
  readonly measured: Map<string, ObservedMeasurement>;
  /** No data yet, inside the reading grace time. */
  readonly pending: BookKey[];
  readonly problems: string[];
}

export class Observer {
  constructor(
    private readonly cfg: ObserverConfig,
    private readonly domain: TypedDataDomain,
    private readonly periodSeconds: number,
  ) {}

  /** The books that `reportPeriod`'s report may measure: ended, open, not measured, no dispute or correction. */
  async dueBooks(index: OpenBookIndex, reportPeriod: number, now: number): Promise<BookData[]> {
    const { market, oracle } = this.cfg.contracts;
    const due: BookData[] = [];
    for (const key of index.list()) {
      if (key.period >= reportPeriod || (key.period + 1) * this.periodSeconds > now) continue;
      const book = bookFromStruct(key.generator, await market.bookOf(key.generator, key.period));
      if (book.state !== BookState.Open) {
        index.close(key);
        continue;
      }
      if (await oracle.isMeasured(key.period, book.generatorIndex)) continue;
      if (Number((await oracle.exceptionOf(key.period, key.generator)).state) !== MeasurementState.None) continue;
      due.push(book);
    }
    return due;
  }

  /**
   * Measures `books` from this operator's meter data at chain time `now`. `extra` are readings from
   * elsewhere that carry their meter's signature (a dispute's): they are screened like the rest.
   */
  async measure(books: readonly BookData[], now: number, extra: readonly MeterReading[] = []): Promise<Observation> {
    const observation: Observation = { measured: new Map(), pending: [], problems: [] };
    if (books.length === 0) return observation;
    const { registry } = this.cfg.contracts;
    const generatorOf = new Map<string, string>();
    const capacityWh = new Map<string, bigint>();
    const deliveries = [];
    for (const book of books) {
      const [, meterKey, capacityW] = await registry.generatorOf(book.generator);
      if (meterKey !== ZeroAddress) generatorOf.set(meterKey, book.generator);
      capacityWh.set(book.generator.toLowerCase(), (BigInt(capacityW) * BigInt(this.periodSeconds)) / 3600n);
      deliveries.push({
        generator: book.generator,
        period: book.period,
        baseline: this.baselineSpec(book, Number(capacityW)),
      });
    }
    const periods = [...new Set(deliveries.flatMap((d) => readingPeriods(d.baseline, d.period, this.periodSeconds)))];
    let batch: ReadingBatch = { readings: [], rejected: [] };
    try {
      batch = await this.cfg.meters.read({ meters: [...generatorOf.keys()], periods });
    } catch (e) {
      // Bad meter data, or a source that does not answer or refuses: its meters have no readings now.
      if (!(e instanceof MeterDataError || isMeterSourceError(e))) throw e;
      observation.problems.push(`${this.cfg.meters.description}: ${e.message} (its meters have no readings for now)`);
    }
    const screened = screenReadings(
      { readings: [...batch.readings, ...extra], rejected: batch.rejected },
      {
        generatorOf,
        capacityWhOf: (generator) => capacityWh.get(generator.toLowerCase()),
        now,
        periodSeconds: this.periodSeconds,
        signatures: { domain: this.domain, required: this.cfg.requireSignedReadings ?? true },
      },
    );
    for (const x of screened.ignored) observation.problems.push(`${x.origin}: ${x.reason}`);
    const measured = measureDeliveries({
      readings: screened.usable,
      bad: screened.bad,
      generatorOf,
      periodSeconds: this.periodSeconds,
      deliveries,
    });
    const usableAt = new Map(screened.usable.map((r) => [`${r.meter.toLowerCase()}:${r.period}`, r]));
    const meterOf = new Map([...generatorOf].map(([meter, generator]) => [generator.toLowerCase(), meter]));
    measured.forEach((m, i) => {
      const book = books[i];
      const meter = meterOf.get(book.generator.toLowerCase())?.toLowerCase();
      const key = `${meter}:${book.period}`;
      const reading = meter === undefined ? undefined : usableAt.get(key);
      const bad = meter === undefined ? undefined : screened.bad.get(key);
      if (reading === undefined && bad === undefined && now < (book.period + 1) * this.periodSeconds + this.graceOf()) {
        observation.pending.push({ generator: book.generator, period: book.period });
        return;
      }
      const measurement: MeasurementData = {
        generator: book.generator,
        generatorIndex: book.generatorIndex,
        period: book.period,
        baseline: BASELINE_METHOD_CODE[m.method],
        baselineDays: m.baselineDays,
        baselineWh: m.baselineWh,
        actualWh: m.actualWh,
        deliveredWh: m.deliveredWh,
        quality: QUALITY_CODE[m.quality],
      };
      const readingDigest = reading
        ? valueDigest({
            meter: reading.meter.toLowerCase(),
            period: reading.period,
            energyWh: reading.energyWh,
            quality: reading.quality,
            timestamp: reading.timestamp,
          })
        : bad
          ? BAD_READING_DIGEST
          : ZeroHash;
      observation.measured.set(bookKeyId(book), { measurement, readingDigest, notes: m.notes });
    });
    return observation;
  }

  private graceOf(): number {
    return Math.max(0, this.cfg.readingGraceSeconds);
  }

  private baselineSpec(book: BookData, capacityW: number): BaselineSpec {
    if (book.baseline === BaselineMethod.RollingAverage) {
      return { method: "RollingAverage", days: book.baselineDays, holidays: this.cfg.holidays };
    }
    if (book.baseline === BaselineMethod.MeterBefore) return { method: "MeterBefore" };
    const fraction = this.cfg.nominationTolerance ?? 0.2;
    const capacityWh = (BigInt(capacityW) * BigInt(this.periodSeconds)) / 3600n;
    const toleranceWh = (capacityWh * BigInt(Math.round(fraction * 10_000))) / 10_000n;
    return { method: "Nominated", nominatedWh: book.nominatedWh, toleranceWh };
  }
}

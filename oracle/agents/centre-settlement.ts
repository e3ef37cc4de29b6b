/**
 * The centre's settlement duty (split from centre.ts): which report measured each open book (the
 * oracle's MeasurementReported events), the report whose books can ride in the next report
 * transaction, settleReport for every report with books the market would settle now, and the
 * unwinding of books that never got a final measurement. Everything is re-derived from chain logs;
 * the only state is the agent's state file's `measuredIn` and `lastOracleBlock`.
 */
import type { Signer, TransactionReceipt, TransactionRequest } from "ethers";
import { eventsIn } from "../chain/board";
import { queryLogs } from "../chain/logs";
import type { GridSwapContracts } from "../chain/deploy";
import { BookState } from "../chain/enums";
import { bookKeyId, type BookKey, type MeasurementData } from "../chain/market-data";
import { readReportMeasurements } from "../chain/measurement-proofs";
import { measurementProof, noProof } from "../chain/measurement-tree";
import type { RetryOptions } from "../chain/retry";
import type { SendOptions, SendResult } from "../chain/tx";
import type { OpenBookIndex, BookIndexState } from "./books";

/** The market's SETTLEMENT_GAS_RESERVE, and a book settlement's gas with margin (measured ~32,000–45,000). */
export const SETTLEMENT_RESERVE_GAS = 60_000n;
const SETTLEMENT_GAS_PER_BOOK = 70_000n;

/** What the settlement duty keeps in the centre's state file. */
export interface SettlementState extends BookIndexState {
  /** The last block whose oracle logs were read. */
  lastOracleBlock: number;
  /** Which report measured an open book, by bookKeyId (from the oracle's MeasurementReported events). */
  measuredIn: Record<string, number>;
}

export interface SettlementConfig {
  readonly contracts: GridSwapContracts;
  readonly deployBlock: number;
  readonly maxBlockRange?: number;
  readonly centre: Signer;
  readonly index: OpenBookIndex;
  readonly periodSeconds: () => number;
  /** The block to search from for what happened in or after a period (the centre's cached bisection). */
  readonly periodStart: (period: number) => Promise<number>;
  readonly send: (
    signer: Signer,
    build: () => Promise<TransactionRequest>,
    options: SendOptions,
  ) => Promise<SendResult>;
  readonly retry: () => RetryOptions;
  readonly log: (line: string) => void;
}

export class CentreSettlement {
  /** Report measurement lists read from events, by report period. */
  private readonly lists = new Map<number, MeasurementData[]>();

  constructor(
    private readonly cfg: SettlementConfig,
    private readonly state: () => SettlementState,
  ) {}

  /** Forgets the report lists read (after the chain went back). */
  clear(): void {
    this.lists.clear();
  }

  /** A report's measurement list, from its events (the leaves of its tree, in order). */
  async listOf(reportPeriod: number): Promise<MeasurementData[]> {
    let list = this.lists.get(reportPeriod);
    if (!list) {
      // Report P lands in period P or later (a stand-in's, a late one): its events are searched from there.
      const raw = await readReportMeasurements(
        this.cfg.contracts.oracle,
        reportPeriod,
        await this.cfg.periodStart(reportPeriod),
        undefined,
        this.cfg.maxBlockRange,
      );
      list = raw.map((m) => ({
        generator: String(m.generator),
        generatorIndex: Number(m.generatorIndex),
        period: Number(m.period),
        baseline: Number(m.baseline),
        baselineDays: Number(m.baselineDays),
        baselineWh: BigInt(m.baselineWh),
        actualWh: BigInt(m.actualWh),
        deliveredWh: BigInt(m.deliveredWh),
        quality: Number(m.quality),
      }));
      this.lists.set(reportPeriod, list);
      if (this.lists.size > 64) this.lists.delete(this.lists.keys().next().value as number);
    }
    return list;
  }

  /** Report periods that measured an open book, oldest first. */
  reportPeriodsWithOpenBooks(): number[] {
    return [...new Set(Object.values(this.state().measuredIn))].sort((a, b) => a - b);
  }

  /** Books a receipt settled (its Settled events). */
  settledIn(receipt: TransactionReceipt | undefined): BookKey[] {
    return eventsIn(this.cfg.contracts.market, receipt, "Settled").map((e) => ({
      generator: e.args.generator as string,
      period: Number(e.args.period),
    }));
  }

  /** The oldest report with a book the market would settle now. */
  async nextSettleable(): Promise<{ period: number; list: MeasurementData[] } | undefined> {
    for (const period of this.reportPeriodsWithOpenBooks()) {
      const list = await this.listOf(period);
      const [settled] = await this.cfg.contracts.market.settleReport.staticCall(period, list);
      if (settled > 0n) return { period, list };
    }
    return undefined;
  }

  /**
   * settleReport for every report with open books the market would settle now. A batch sent again
   * after a lost answer is harmless: books already settled are skipped by the market, never paid twice.
   */
  async settleFinal(): Promise<BookKey[]> {
    const { market } = this.cfg.contracts;
    const settled: BookKey[] = [];
    for (const period of this.reportPeriodsWithOpenBooks()) {
      const list = await this.listOf(period);
      const [ready] = await market.settleReport.staticCall(period, list);
      if (ready === 0n) continue;
      // A generous limit: settleReport stops early instead of failing, so an estimate would settle one.
      const gasLimit = 150_000n + SETTLEMENT_RESERVE_GAS + BigInt(list.length) * SETTLEMENT_GAS_PER_BOOK;
      const result = await this.cfg.send(
        this.cfg.centre,
        () => market.connect(this.cfg.centre).settleReport.populateTransaction(period, list, { gasLimit }),
        { label: `settle report ${period}'s books`, retry: this.cfg.retry() },
      );
      const done = this.settledIn(result.receipt);
      for (const k of done) this.cfg.index.close(k);
      settled.push(...done);
    }
    for (const id of Object.keys(this.state().measuredIn))
      if (this.state().books[id] === undefined) delete this.state().measuredIn[id];
    if (settled.length > 0)
      this.cfg.log(
        `settled ${settled.length} book(s): ${settled.map((k) => `${k.generator.slice(0, 10)}@${k.period}`).join(", ")}`,
      );
    return settled;
  }

  /** The proof of a book's reported measurement (from its report's events), or an empty one. */
  private async proofFor(key: BookKey) {
    const reportPeriod = this.state().measuredIn[bookKeyId(key)];
    if (reportPeriod === undefined) return noProof(key.generator, key.period);
    const list = await this.listOf(reportPeriod);
    return measurementProof(reportPeriod, list, key.generator, key.period) ?? noProof(key.generator, key.period);
  }

  /**
   * Unwinds books that have no final measurement once the market allows it: after the grace time
   * and after the dispute window of any measurement reported for it (finding GS-18). With the
   * operators measuring every ended book, that is a book the oracle never measured.
   */
  async unwindExpired(now: number): Promise<BookKey[]> {
    const { market } = this.cfg.contracts;
    const terms = await market.terms();
    const out: BookKey[] = [];
    for (const key of this.cfg.index.list()) {
      const graceEnd = (key.period + 1) * this.cfg.periodSeconds() + Number(terms.settlementGraceSeconds);
      if (now < graceEnd) continue;
      const proof = await this.proofFor(key);
      const at = Number(await market.unwindableAt(key.generator, key.period, proof));
      if (at === 0 || now < at) continue;
      const [ready] = await market.previewSettlement(key.generator, key.period, proof);
      if (ready) continue;
      const result = await this.cfg.send(
        this.cfg.centre,
        () => market.connect(this.cfg.centre).unwind.populateTransaction(key.generator, key.period, proof),
        {
          label: `unwind ${key.generator.slice(0, 10)}@${key.period}`,
          isDone: async () => Number((await market.bookOf(key.generator, key.period)).state) !== BookState.Open,
          retry: this.cfg.retry(),
        },
      );
      this.cfg.index.close(key);
      // Only what this call unwound is reported as unwound (an earlier settlement is not).
      if (eventsIn(market, result.receipt, "Unwound").length === 0) continue;
      out.push(key);
      this.cfg.log(
        `unwound the book of ${key.generator} in period ${key.period}: no final measurement by the end of the grace time ` +
          `(${proof.proof.length > 0 || proof.measurement.generator !== key.generator ? "reported, disputed and not corrected" : "none reported"})`,
      );
    }
    return out;
  }

  /** Reads the oracle's MeasurementReported events up to `latest`: which report measured each open book. */
  async readOracleLogs(latest: number): Promise<void> {
    const s = this.state();
    const { oracle } = this.cfg.contracts;
    if (latest > s.lastOracleBlock) {
      const reported = oracle.filters.MeasurementReported();
      for (const l of await queryLogs(oracle, reported, s.lastOracleBlock + 1, latest, this.cfg.maxBlockRange)) {
        const key = { generator: l.args.generator, period: Number(l.args.period) };
        if (this.cfg.index.has(key)) s.measuredIn[bookKeyId(key)] = Number(l.args.reportPeriod);
      }
      s.lastOracleBlock = latest;
    }
    for (const id of Object.keys(s.measuredIn)) if (s.books[id] === undefined) delete s.measuredIn[id];
  }
}

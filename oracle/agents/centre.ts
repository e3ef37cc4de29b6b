/**
 * The power quality centre and its oracle, once per period P (the paper's centre, on v3):
 *
 *   1. read the chain's new logs (offers, fills, settlements) from the last block read;
 *   2. measure: the deliveries of ended periods with open books (a generator's commitment in a
 *      period), each from the generator's own meter against its own baseline — the nomination its
 *      book holds, bounded by its metered history, or a baseline from its meter's history (a
 *      bad reading makes only its own measurement BAD; an unreadable meter source means no report
 *      this step, never a wrong one);
 *   3. study the next delivery period P+1: load flow, limits, redispatch, prices, offers;
 *   4. report period P with k oracle signatures — the study's violations and prices and the
 *      measurements — and, in the same transaction, settle the books an earlier report measured
 *      whose measurements are final (up to a gas budget); settle the rest report by report; unwind
 *      what never will be measured;
 *   5. make sure its free USD in the market's vault covers the offers, then sign and post them
 *      for delivery in P+1 in one transaction (fills close before P+1 starts).
 *
 * Every intent has a deterministic identity — the report is its period, an offer's nonce comes
 * from its delivery period and unit — and every send re-reads chain state first (sendGuarded),
 * so a restart, a lost answer or a second process with the same keys never acts twice.
 */
import {
  ZeroAddress,
  ZeroHash,
  type Signer,
  type TransactionReceipt,
  type TransactionRequest,
  type TypedDataDomain,
} from "ethers";
import type { PowerCase } from "../grid/case/types";
import { runPeriod, type Forecasts, type PeriodResult } from "../market/period";
import type { Offer } from "../market/prices";
import { readMarketEvents, isOfferPosted, DEFAULT_MAX_BLOCK_RANGE, eventsIn } from "../chain/board";
import { chainNow } from "../chain/clock";
import type { GridSwapContracts } from "../chain/deploy";
import { caseTextHash, inputHash, toOfferData, toReport } from "../chain/encode";
import { Asset, BaselineMethod, BookState, MeasurementState } from "../chain/enums";
import { ConfigurationError, describeChainError, isTransient } from "../chain/errors";
import {
  bookFromStruct,
  bookKeyId,
  offerStruct,
  toJsonObject,
  fromJsonObject,
  type BookKey,
  type MeasurementData,
  type OfferData,
} from "../chain/market-data";
import { findMeasurementProof } from "../chain/measurement-proofs";
import { measurementProof } from "../chain/measurement-tree";
import { sendGuarded, txRecord, type SendOptions, type SendResult, type TxRecord } from "../chain/tx";
import { readDomain, signOffer, signReport } from "../chain/typed-data";
import type { RetryOptions } from "../chain/retry";
import {
  BASELINE_METHOD_CODE,
  QUALITY_CODE,
  MeterDataError,
  capacityWhPerPeriod,
  measureDeliveries,
  readingPeriods,
  readingsHash,
  screenReadings,
  type BaselineSpec,
  type MeterSource,
  type MeterReading,
} from "./metering";
import { failpoint } from "./failpoints";
import { checkAnchor, StateFile, type AnchoredState } from "./state";

/** The market's SETTLEMENT_GAS_RESERVE, and a book settlement's gas with margin (measured ~32,000–45,000). */
const SETTLEMENT_RESERVE_GAS = 60_000n;
const SETTLEMENT_GAS_PER_BOOK = 70_000n;
/** Gas of one offer in a postMany (measured ~22,000), with margin. */
const POST_GAS_PER_OFFER = 60_000n;

/** An offer to post: a priced adjustment, optionally reserved for one wallet and numbered as a part. */
export type PlannedOffer = Offer & { readonly reservedFor?: string; readonly part?: number };

/** A report's measurement list as the state file keeps it (bigints as strings). */
type StoredMeasurements = Record<string, unknown>[];

export interface CentreAgentConfig {
  readonly contracts: GridSwapContracts;
  /** First block with GridSwap logs (the deployment file's deployBlock). */
  readonly deployBlock: number;
  /** The centre's wallet (CENTRE_ROLE): signs offers, pays for fills from its vault balance. */
  readonly centre: Signer;
  /** Oracle signers whose keys this process holds (at least the oracle's threshold of them). */
  readonly oracleSigners: readonly Signer[];
  /** Who sends the report transactions (default: the centre's wallet). */
  readonly relayer?: Signer;
  readonly case: PowerCase;
  /** The case file's text, hashed into each report's inputHash. */
  readonly caseText: string;
  /** Forecasts for a delivery period (PV output, demand scale). */
  readonly forecasts?: (deliveryPeriod: number) => Forecasts;
  /**
   * The offers to post for a study (default: the study's own). The demo's --paper posts the
   * paper's; a benchmark splits one adjustment into parts, each reserved for one generator.
   */
  readonly offersFor?: (study: PeriodResult) => readonly PlannedOffer[];
  /** Where meter readings come from (files, HTTP, signed, simulated). */
  readonly meters: MeterSource;
  /** Require every reading to carry its meter key's EIP-712 signature. */
  readonly requireSignedReadings?: boolean;
  /** The baseline method offers name (default Nominated: each generator's own nomination). */
  readonly baseline?: { readonly method: "Nominated" | "RollingAverage" | "MeterBefore"; readonly days?: number };
  readonly holidays?: readonly string[];
  /**
   * How far a nomination may stray from the generator's metered output of the period before, as a
   * fraction of its registered capacity over a period (default 0.2): a Nominated baseline is kept
   * within that band (docs/metering.md, "Nominations").
   */
  readonly nominationTolerance?: number;
  /** Measurements per report at most (the rest go in later reports; default 300, contract max 600). */
  readonly maxMeasurementsPerReport?: number;
  /** Gas the report transaction may spend on pushed settlements (default 5,000,000). */
  readonly settlementGasBudget?: number;
  /** Seconds before the gate closes after which the centre no longer posts (default: a tenth of a period). */
  readonly minFillWindowSeconds?: number;
  readonly maxBlockRange?: number;
  /** Agent state file (last block read, open positions, schedules); in memory when omitted. */
  readonly statePath?: string;
  readonly retry?: RetryOptions;
  readonly log?: (line: string) => void;
}

export interface CentreStep {
  /** The period the step ran in, and the delivery period it studied and posted for. */
  readonly period: number;
  readonly deliveryPeriod: number;
  readonly reported: boolean;
  readonly measurements: MeasurementData[];
  /** Books settled by this step (pushed in the report or report by report), unwound, and offers posted. */
  readonly settled: BookKey[];
  readonly unwound: BookKey[];
  readonly posted: { offerHash: string; offer: OfferData }[];
  readonly dropped: string[];
  readonly study?: PeriodResult;
  /** Why nothing was reported or posted, when so. */
  readonly problems: string[];
  /** Every transaction this step mined, with its gas. */
  readonly transactions: TxRecord[];
}

interface CentreState extends AnchoredState {
  lastBlock: number;
  /** Open books (a generator's commitment in a period), by bookKeyId. */
  books: Record<string, BookKey>;
  /**
   * The measurement lists of the reports this centre made, by report period, while a book they
   * measured may still be open: settleReport takes a report's whole list, and proofs come from it.
   */
  reports: Record<string, StoredMeasurements>;
}

export class CentreAgent {
  private readonly log: (line: string) => void;
  /** Transactions mined since the current step or poll began. */
  private txs: TxRecord[] = [];
  private readonly state: StateFile<CentreState>;
  private domains?: { market: TypedDataDomain; oracle: TypedDataDomain };
  private periodSeconds?: number;

  constructor(private readonly cfg: CentreAgentConfig) {
    this.log = cfg.log ?? (() => undefined);
    this.state = new StateFile<CentreState>(
      cfg.statePath,
      () => ({ lastBlock: cfg.deployBlock - 1, books: {}, reports: {} }),
      2,
    );
    const minutes = cfg.case.operation?.periodMinutes;
    if (minutes === undefined) throw new ConfigurationError(`${cfg.case.name}: the case has no operation data`);
    if (cfg.oracleSigners.length === 0) throw new ConfigurationError("the centre agent needs at least one oracle key");
  }

  /** Checks the configuration against the chain once: period length, roles, oracle keys. */
  async prepare(): Promise<void> {
    if (this.periodSeconds !== undefined) return;
    const { oracle, market } = this.cfg.contracts;
    const periodSeconds = Number(await oracle.periodSeconds());
    const caseSeconds = (this.cfg.case.operation?.periodMinutes ?? 0) * 60;
    if (caseSeconds !== periodSeconds) {
      throw new ConfigurationError(
        `the case's periods are ${caseSeconds / 60} min but the oracle's are ${periodSeconds / 60} min (${periodSeconds} s): use a case with periodMinutes ${periodSeconds / 60}`,
      );
    }
    const centre = await this.cfg.centre.getAddress();
    if (!(await market.hasRole(await market.CENTRE_ROLE(), centre))) {
      throw new ConfigurationError(`${centre} does not hold CENTRE_ROLE in the market at ${await market.getAddress()}`);
    }
    const threshold = Number(await oracle.threshold());
    let signers = 0;
    for (const s of this.cfg.oracleSigners) if (await oracle.isSigner(await s.getAddress())) signers++;
    if (signers < threshold) {
      throw new ConfigurationError(
        `the oracle needs ${threshold} signature(s) per report; this process holds ${signers} oracle key(s)`,
      );
    }
    const provider = market.runner?.provider;
    if (!provider) throw new Error("the market contract has no provider");
    await checkAnchor(this.state, provider, await market.getAddress(), this.cfg.deployBlock);
    this.domains = { market: await readDomain(market), oracle: await readDomain(oracle) };
    this.periodSeconds = periodSeconds;
  }

  /** Runs the step for the period that contains the chain's current time. Safe to call again at any point. */
  async step(): Promise<CentreStep> {
    await this.prepare();
    this.txs = [];
    const periodSeconds = this.periodSeconds as number;
    const now = await chainNow(this.provider());
    const period = Math.floor(now / periodSeconds);
    const deliveryPeriod = period + 1;
    const problems: string[] = [];
    await this.readLogs();

    // 2. Measurements of ended periods (none may be wrong: an unreadable meter source stops the report).
    let measurements: MeasurementData[] = [];
    let usedReadings: MeterReading[] = [];
    let measureFailed = false;
    try {
      ({ measurements, readings: usedReadings } = await this.measure(period, now));
    } catch (e) {
      if (!(e instanceof MeterDataError)) throw e;
      measureFailed = true;
      problems.push(`meter data: ${e.message}`);
      this.log(`period ${period}: no report this step — meter data: ${e.message}`);
    }

    // 3. The study of the next delivery period.
    const forecasts = { ...(this.cfg.forecasts?.(deliveryPeriod) ?? {}), periodStart: deliveryPeriod * periodSeconds };
    const study = await runPeriod(this.cfg.case, forecasts);

    // 4. Report P (with pushed settlement), then the settlements report by report and the unwinds.
    let reported = false;
    const settled: BookKey[] = [];
    if (!measureFailed) {
      const hash = inputHash({ case: caseTextHash(this.cfg.caseText), forecasts });
      reported = await this.report(period, now, study, hash, measurements, usedReadings, settled);
    }
    // Looked at again after the report: time has passed, and measurements may have become final.
    settled.push(...(await this.settleFinal()));
    const unwound = await this.unwindExpired(now);

    // 5. Offers for P+1.
    const { posted, dropped } = await this.post(period, deliveryPeriod, now, study, problems);
    this.state.save();
    return {
      period,
      deliveryPeriod,
      reported,
      measurements,
      settled,
      unwound,
      posted,
      dropped,
      study,
      problems,
      transactions: this.txs,
    };
  }

  /**
   * Settles every book whose measurement has become final and unwinds what never will be,
   * between steps (a measurement becomes final during a period, one dispute window after its report).
   */
  async settle(): Promise<{ settled: BookKey[]; unwound: BookKey[]; transactions: TxRecord[] }> {
    await this.prepare();
    this.txs = [];
    await this.readLogs();
    const settled = await this.settleFinal();
    const unwound = await this.unwindExpired(await chainNow(this.provider()));
    this.state.save();
    return { settled, unwound, transactions: this.txs };
  }

  // -------------------------------------------------------------------------------------------

  private provider() {
    const provider = this.cfg.contracts.market.runner?.provider;
    if (!provider) throw new Error("the market contract has no provider");
    return provider;
  }

  /** sendGuarded, recording what was mined. */
  private async send(
    signer: Signer,
    build: () => Promise<TransactionRequest>,
    options: SendOptions,
  ): Promise<SendResult> {
    const result = await sendGuarded(signer, build, options);
    const record = txRecord(options.label, result);
    if (record) this.txs.push(record);
    return result;
  }

  private retry(): RetryOptions {
    return { ...this.cfg.retry, log: this.log };
  }

  /** Reads new market logs and keeps the index of open books. */
  private async readLogs(): Promise<void> {
    const s = this.state.data;
    const latest = await this.provider().getBlockNumber();
    if (latest <= s.lastBlock) return;
    const events = await readMarketEvents(
      this.cfg.contracts.market,
      s.lastBlock + 1,
      latest,
      this.cfg.maxBlockRange ?? DEFAULT_MAX_BLOCK_RANGE,
    );
    for (const { fill } of events.fills) {
      const key = { generator: fill.generator, period: fill.period };
      s.books[bookKeyId(key)] = key;
    }
    for (const x of [...events.settlements, ...events.unwinds]) delete s.books[bookKeyId(x)];
    s.lastBlock = events.toBlock;
  }

  private openBooks(): BookKey[] {
    return Object.values(this.state.data.books);
  }

  /** Measurements of ended delivery periods that have open books and no measurement yet. */
  private async measure(
    period: number,
    now: number,
  ): Promise<{ measurements: MeasurementData[]; readings: MeterReading[] }> {
    const { oracle, market, registry } = this.cfg.contracts;
    const periodSeconds = this.periodSeconds as number;
    const wanted = [];
    for (const key of this.openBooks()) {
      if (key.period >= period) continue; // still running or in the future
      const book = bookFromStruct(key.generator, await market.bookOf(key.generator, key.period));
      if (book.state !== BookState.Open) continue;
      if (await oracle.isMeasured(key.period, book.generatorIndex)) continue;
      if (Number((await oracle.exceptionOf(key.period, key.generator)).state) !== MeasurementState.None) continue;
      wanted.push(book);
    }
    const max = Math.min(this.cfg.maxMeasurementsPerReport ?? 300, 600);
    const todo = wanted.sort((a, b) => a.period - b.period).slice(0, max);
    if (todo.length === 0) return { measurements: [], readings: [] };

    // Each generator's own meter (one key per generator, from the registry) and its own baseline.
    const generatorOf = new Map<string, string>();
    const capacityWh = new Map<string, bigint>();
    const deliveries = [];
    for (const book of todo) {
      const [, meterKey, capacityW] = await registry.generatorOf(book.generator);
      if (meterKey !== ZeroAddress) generatorOf.set(meterKey, book.generator);
      capacityWh.set(book.generator.toLowerCase(), capacityWhPerPeriod(capacityW, periodSeconds));
      deliveries.push({
        generator: book.generator,
        period: book.period,
        baseline: this.baselineSpec(book.baseline, book.baselineDays, book.nominatedWh, Number(capacityW)),
      });
    }
    const periods = [...new Set(deliveries.flatMap((d) => readingPeriods(d.baseline, d.period, periodSeconds)))];
    // A bad reading makes its own meter-period BAD; only an unreadable source throws (no report this step).
    const batch = await this.cfg.meters.read({ meters: [...generatorOf.keys()], periods });
    const screened = screenReadings(batch, {
      generatorOf,
      capacityWhOf: (generator) => capacityWh.get(generator.toLowerCase()),
      now,
      periodSeconds,
      signatures: this.cfg.requireSignedReadings
        ? { domain: (this.domains as { oracle: TypedDataDomain }).oracle, required: true }
        : undefined,
    });
    for (const { origin, reason } of screened.ignored) this.log(`meter data ignored: ${origin}: ${reason}`);
    const readings = screened.usable;
    const measured = measureDeliveries({ readings, bad: screened.bad, generatorOf, periodSeconds, deliveries });
    for (const m of measured) {
      if (m.quality !== "OK" || m.notes.length > 0)
        this.log(`measurement of ${m.generator} in period ${m.period}: ${m.quality} — ${m.notes.join("; ")}`);
    }
    return {
      measurements: measured.map((m, i) => ({
        generator: m.generator,
        generatorIndex: todo[i].generatorIndex,
        period: m.period,
        baseline: BASELINE_METHOD_CODE[m.method],
        baselineDays: m.baselineDays,
        baselineWh: m.baselineWh,
        actualWh: m.actualWh,
        deliveredWh: m.deliveredWh,
        quality: QUALITY_CODE[m.quality],
      })),
      readings,
    };
  }

  private baselineSpec(method: number, days: number, nominatedWh: bigint, capacityW: number): BaselineSpec {
    if (method === BaselineMethod.RollingAverage) {
      return { method: "RollingAverage", days, holidays: this.cfg.holidays };
    }
    if (method === BaselineMethod.MeterBefore) return { method: "MeterBefore" };
    const fraction = this.cfg.nominationTolerance ?? 0.2;
    const capacityWh = capacityWhPerPeriod(capacityW, this.periodSeconds as number);
    const toleranceWh = (capacityWh * BigInt(Math.round(fraction * 10_000))) / 10_000n;
    return { method: "Nominated", nominatedWh, toleranceWh };
  }

  /** Reports period P (unless it is on chain) and pushes the settlement of an earlier report's books. */
  private async report(
    period: number,
    now: number,
    study: PeriodResult,
    hash: string,
    measurements: MeasurementData[],
    readings: MeterReading[],
    settled: BookKey[],
  ): Promise<boolean> {
    const { oracle, market } = this.cfg.contracts;
    if (await oracle.hasReport(period)) return false;
    const report = toReport({
      period,
      inputHash: hash,
      readingsHash: readings.length > 0 ? readingsHash(readings) : ZeroHash,
      result: study,
      measurements,
    });
    const deadline = now + (this.periodSeconds as number);
    const configEpoch = await oracle.configEpoch();
    const threshold = Number(await oracle.threshold());
    const keys = [];
    for (const s of this.cfg.oracleSigners) if (await oracle.isSigner(await s.getAddress())) keys.push(s);
    const signatures = await signReport(
      keys.slice(0, threshold),
      (this.domains as { oracle: TypedDataDomain }).oracle,
      report,
      configEpoch,
      deadline,
    );
    const relayer = this.cfg.relayer ?? this.cfg.centre;
    const budget = this.cfg.settlementGasBudget ?? 5_000_000;
    // The earliest earlier report whose books are settleable now rides along.
    const push = await this.nextSettleable();
    const pushPeriod = push?.period ?? 0;
    const pushList = push?.list ?? [];
    const result = await this.send(
      relayer,
      async () => {
        // reportAndSettle settles "while gas is left": an estimate would cover the report alone and
        // starve the settlements, so the limit is the report's estimate plus the settlement budget.
        const reportOnly = await market
          .connect(relayer)
          .reportAndSettle.estimateGas(report, deadline, signatures, 0, [], 0);
        // The estimate is exact for the state it ran on; the block the report lands in may differ
        // (measured: 36 gas more on a day's report), so it gets a margin.
        const gasLimit =
          (reportOnly * 11n) / 10n +
          20_000n +
          (pushList.length > 0 ? BigInt(budget) + SETTLEMENT_RESERVE_GAS + BigInt(pushList.length) * 4_000n : 0n);
        return market
          .connect(relayer)
          .reportAndSettle.populateTransaction(report, deadline, signatures, pushPeriod, pushList, budget, {
            gasLimit,
          });
      },
      { label: `report period ${period}`, isDone: () => oracle.hasReport(period), retry: this.retry() },
    );
    if (result.status === "already-done") return false;
    failpoint("centre:after-report");
    if (measurements.length > 0) this.state.data.reports[period] = measurements.map((m) => toJsonObject(m));
    this.state.save();
    settled.push(...this.settledIn(result.receipt));
    this.log(
      `period ${period}: reported ${report.violations.length} violation(s), ${report.prices.length} price(s), ` +
        `${measurements.length} measurement(s); settled ${settled.length} book(s) in the same transaction ` +
        `(${result.receipt?.gasUsed} gas)`,
    );
    return true;
  }

  /** Books a receipt settled (its Settled events). */
  private settledIn(receipt: TransactionReceipt | undefined): BookKey[] {
    return eventsIn(this.cfg.contracts.market, receipt, "Settled").map((e) => ({
      generator: e.args.generator as string,
      period: Number(e.args.period),
    }));
  }

  /** The stored reports, oldest first, with their measurement lists in contract form. */
  private storedReports(): { period: number; list: MeasurementData[] }[] {
    return Object.entries(this.state.data.reports)
      .map(([period, list]) => ({ period: Number(period), list: list.map((m) => fromJsonObject<MeasurementData>(m)) }))
      .sort((a, b) => a.period - b.period);
  }

  /** The oldest stored report with a book the market would settle now. */
  private async nextSettleable(): Promise<{ period: number; list: MeasurementData[] } | undefined> {
    for (const r of this.storedReports()) {
      if (!this.hasOpenBook(r.list)) continue;
      const [settled] = await this.cfg.contracts.market.settleReport.staticCall(r.period, r.list);
      if (settled > 0n) return r;
    }
    return undefined;
  }

  private hasOpenBook(list: readonly MeasurementData[]): boolean {
    return list.some((m) => this.state.data.books[bookKeyId(m)] !== undefined);
  }

  /**
   * settleReport for every stored report with books the market would settle now; forgets a report
   * once none of its books is open. A batch sent again after a lost answer is harmless: books
   * already settled are skipped by the market, never paid twice.
   */
  private async settleFinal(): Promise<BookKey[]> {
    const { market } = this.cfg.contracts;
    const settled: BookKey[] = [];
    for (const r of this.storedReports()) {
      if (!this.hasOpenBook(r.list)) {
        delete this.state.data.reports[r.period];
        continue;
      }
      const [ready] = await market.settleReport.staticCall(r.period, r.list);
      if (ready === 0n) continue;
      // A generous limit: settleReport stops early instead of failing, so an estimate would settle one.
      const gasLimit = 150_000n + SETTLEMENT_RESERVE_GAS + BigInt(r.list.length) * SETTLEMENT_GAS_PER_BOOK;
      const result = await this.send(
        this.cfg.centre,
        () => market.connect(this.cfg.centre).settleReport.populateTransaction(r.period, r.list, { gasLimit }),
        { label: `settle report ${r.period}'s books`, retry: this.retry() },
      );
      const done = this.settledIn(result.receipt);
      for (const k of done) delete this.state.data.books[bookKeyId(k)];
      settled.push(...done);
    }
    if (settled.length > 0)
      this.log(
        `settled ${settled.length} book(s): ${settled.map((k) => `${k.generator.slice(0, 10)}@${k.period}`).join(", ")}`,
      );
    return settled;
  }

  /** The proof of a book's reported measurement: from a stored report, else from the oracle's events. */
  private async proofFor(key: BookKey) {
    for (const r of this.storedReports()) {
      const p = measurementProof(r.period, r.list, key.generator, key.period);
      if (p) return p;
    }
    return findMeasurementProof(this.cfg.contracts.oracle, key.generator, key.period, this.cfg.deployBlock);
  }

  /**
   * Unwinds books whose measurement is not final and usable once the market allows it: after the
   * grace time and after the dispute window of any measurement reported for it (finding GS-18).
   */
  private async unwindExpired(now: number): Promise<BookKey[]> {
    const { market } = this.cfg.contracts;
    const terms = await market.terms();
    const out: BookKey[] = [];
    for (const key of this.openBooks()) {
      const graceEnd = (key.period + 1) * (this.periodSeconds as number) + Number(terms.settlementGraceSeconds);
      if (now < graceEnd) continue;
      const proof = await this.proofFor(key);
      const at = Number(await market.unwindableAt(key.generator, key.period, proof));
      if (at === 0 || now < at) continue;
      const [ready] = await market.previewSettlement(key.generator, key.period, proof);
      if (ready) continue;
      await this.send(
        this.cfg.centre,
        () => market.connect(this.cfg.centre).unwind.populateTransaction(key.generator, key.period, proof),
        {
          label: `unwind ${key.generator.slice(0, 10)}@${key.period}`,
          isDone: async () => Number((await market.bookOf(key.generator, key.period)).state) !== BookState.Open,
          retry: this.retry(),
        },
      );
      delete this.state.data.books[bookKeyId(key)];
      out.push(key);
      this.log(
        `unwound the book of ${key.generator} in period ${key.period}: no final usable measurement ` +
          `(${proof.proof.length > 0 ? "reported unusable" : "none reported"}) by the end of the grace time`,
      );
    }
    return out;
  }

  /** Signs and posts the study's offers for `deliveryPeriod`, after securing the USD they may draw. */
  private async post(
    period: number,
    deliveryPeriod: number,
    now: number,
    study: PeriodResult,
    problems: string[],
  ): Promise<{ posted: { offerHash: string; offer: OfferData }[]; dropped: string[] }> {
    const { market, oracle } = this.cfg.contracts;
    const periodSeconds = this.periodSeconds as number;
    const posted: { offerHash: string; offer: OfferData }[] = [];
    const dropped: string[] = [];
    const wanted: readonly PlannedOffer[] = this.cfg.offersFor ? this.cfg.offersFor(study) : study.offers;
    if (wanted.length === 0) return { posted, dropped };
    if (!(await oracle.hasReport(period))) {
      problems.push(`no report for period ${period} yet: offers wait for it (their justification)`);
      return { posted, dropped };
    }
    const terms = await market.terms();
    const closesAt = deliveryPeriod * periodSeconds - Number(terms.gateClosureSeconds) - 1;
    const minWindow = this.cfg.minFillWindowSeconds ?? Math.ceil(periodSeconds / 10);
    if (closesAt - now < minWindow) {
      problems.push(
        `too late to post for period ${deliveryPeriod}: fills close at ${closesAt}, ${closesAt - now} s left`,
      );
      this.log(`period ${period}: ${problems[problems.length - 1]}`);
      return { posted, dropped };
    }
    const centre = await this.cfg.centre.getAddress();
    const epoch = Number(await market.epochOf(centre));
    const method = this.cfg.baseline?.method ?? "Nominated";
    const baseline = BASELINE_METHOD_CODE[method];
    const baselineDays = method === "RollingAverage" ? (this.cfg.baseline?.days ?? 5) : 0;
    const offers: OfferData[] = [];
    for (const o of wanted) {
      const made = toOfferData(o, {
        centre,
        period: deliveryPeriod,
        justification: period,
        deadline: closesAt,
        epoch,
        baseline,
        baselineDays,
        generator: o.reservedFor,
        part: o.part,
      });
      if ("dropped" in made) {
        dropped.push(`gen ${o.genRow} at node ${o.node}: ${made.dropped}`);
        this.log(`period ${period}: offer of gen ${o.genRow} at node ${o.node} dropped — ${made.dropped}`);
      } else offers.push(made.offer);
    }
    if (
      !(await this.ensureUsd(
        offers.reduce((s, o) => s + o.usd, 0n),
        problems,
      ))
    )
      return { posted, dropped };
    const domain = (this.domains as { market: TypedDataDomain }).market;
    // Each offer's identity is deterministic (its nonce): one already on the board is not posted again.
    const signed = [];
    for (const offer of offers) {
      const offerHash = await market.hashOffer(offerStruct(offer));
      const signature = await signOffer(this.cfg.centre, domain, offerStruct(offer));
      const onBoard = await isOfferPosted(market, offerHash, this.cfg.deployBlock, this.cfg.maxBlockRange);
      signed.push({ offer, offerHash, signature, onBoard });
    }
    const toPost = signed.filter((x) => !x.onBoard);
    for (const x of signed.filter((y) => y.onBoard)) posted.push({ offerHash: x.offerHash, offer: x.offer });
    if (toPost.length === 0) return { posted, dropped };
    try {
      const r = await this.send(
        this.cfg.centre,
        () =>
          market.connect(this.cfg.centre).postMany.populateTransaction(
            toPost.map((x) => offerStruct(x.offer)),
            toPost.map((x) => x.signature),
            { gasLimit: 100_000n + BigInt(toPost.length) * POST_GAS_PER_OFFER },
          ),
        {
          label: `post ${toPost.length} offer(s) for period ${deliveryPeriod}`,
          isDone: async () => {
            for (const x of toPost)
              if (!(await isOfferPosted(market, x.offerHash, this.cfg.deployBlock, this.cfg.maxBlockRange)))
                return false;
            return true;
          },
          retry: this.retry(),
        },
      );
      failpoint("centre:after-post");
      for (const x of toPost) {
        posted.push({ offerHash: x.offerHash, offer: x.offer });
        if (r.status === "mined")
          this.log(
            `period ${period}: posted offer ${x.offerHash.slice(0, 10)} for period ${deliveryPeriod}: ` +
              `${x.offer.direction === 0 ? "raise" : "lower"} ${Number(x.offer.amountWh) / 1000} kWh at node ${x.offer.node} ` +
              `for ${(Number(x.offer.usd) / 1e8).toFixed(8)} USD, fills until ${new Date(closesAt * 1000).toISOString()}`,
          );
      }
    } catch (e) {
      // The batch is all or nothing: a refusal drops this period's offers (named), not the step —
      // unless the node is gone, which fails the step (the loop reports the outage and retries).
      if (isTransient(e)) throw e;
      const why = describeChainError(e);
      for (const x of toPost) dropped.push(`node ${x.offer.node}: ${why}`);
      this.log(`period ${period}: offers for period ${deliveryPeriod} not posted — ${why}`);
    }
    return { posted, dropped };
  }

  /** Makes the centre's free USD in the vault at least `needed` (1e-8 USD), depositing from its wallet. */
  private async ensureUsd(needed: bigint, problems: string[]): Promise<boolean> {
    const { market, usd } = this.cfg.contracts;
    const centre = await this.cfg.centre.getAddress();
    const free = async (): Promise<bigint> => (await market.balancesOf(centre))[0];
    const have = await free();
    if (have >= needed) return true;
    const missing = needed - have;
    const wallet = await usd.balanceOf(centre);
    if (wallet < missing) {
      const text =
        `not posting: the offers may draw ${Number(needed) / 1e8} USD, the vault holds ${Number(have) / 1e8} ` +
        `and the wallet ${Number(wallet) / 1e8} USD (mint or transfer USD to ${centre})`;
      problems.push(text);
      this.log(text);
      return false;
    }
    const marketAddress = await market.getAddress();
    await this.send(
      this.cfg.centre,
      () => usd.connect(this.cfg.centre).approve.populateTransaction(marketAddress, missing),
      {
        label: "approve USD for the vault",
        isDone: async () => (await free()) >= needed || (await usd.allowance(centre, marketAddress)) >= missing,
        retry: this.retry(),
      },
    );
    await this.send(
      this.cfg.centre,
      () => market.connect(this.cfg.centre).deposit.populateTransaction(Asset.Usd, missing),
      {
        label: "deposit USD into the vault",
        isDone: async () => (await free()) >= needed,
        retry: this.retry(),
      },
    );
    this.log(`deposited ${Number(missing) / 1e8} USD into the market's vault`);
    return true;
  }
}

/**
 * The power quality centre, once per period P (the paper's centre, on v3). It holds no oracle key
 * (docs/oracle.md): it proposes, k of n independent oracle operators check and sign.
 *
 *   1. read the chain's new logs (fills, settlements, unwinds, the oracle's measurements);
 *   2. study the next delivery period P+1: load flow, limits, redispatch, prices, offers;
 *   3. after the reading grace time, propose report P to the operators — the measurements that at
 *      least k of them observed alike from their own meter data, and the study with the inputs it
 *      was made from — collect k signatures and relay it; in the same transaction settle the books
 *      an earlier report measured whose measurements are final (up to a gas budget); settle the
 *      rest report by report; unwind what was never measured;
 *   4. make sure its free USD in the market's vault covers the offers, then sign and post them for
 *      delivery in P+1 in one transaction — once report P carries the study they come from.
 *
 * A meter problem never stops a step: a measurement the operators cannot agree on is left for a
 * later report or a correction, and the study and the offers go on. Every intent has a
 * deterministic identity — the report is its period, an offer's nonce comes from its delivery
 * period and unit — and every send re-reads chain state first (sendGuarded), so a restart, a lost
 * answer or a second process with the same key never acts twice. It follows the chain by block
 * hash (ChainFollower): after a re-org or a node restarted from an earlier state it reads again
 * from the last block still there and redoes what was lost (a report, a post, a settlement). Its
 * one transaction in flight is in its state file before it is broadcast (sendGuarded's journal).
 */
import type { Signer, TransactionReceipt, TransactionRequest, TypedDataDomain } from "ethers";
import type { BidBook } from "../../typechain-types";
import type { PowerCase } from "../grid/case/types";
import { runPeriod, type Forecasts, type PeriodResult } from "../market/period";
import type { Offer } from "../market/prices";
import { isOfferPosted, eventsIn, DEFAULT_MAX_BLOCK_RANGE, blockRanges } from "../chain/board";
import { chainNow, firstBlockAtOrAfter } from "../chain/clock";
import type { GridSwapContracts } from "../chain/deploy";
import { caseTextHash, inputHash, toOfferData, toReport } from "../chain/encode";
import { Asset, BaselineMethod, BookState } from "../chain/enums";
import { ConfigurationError, describeChainError, isTransient, KeyInUseError, RevertError } from "../chain/errors";
import { bookKeyId, offerStruct, type BookKey, type MeasurementData, type OfferData } from "../chain/market-data";
import { readReportMeasurements } from "../chain/measurement-proofs";
import { measurementProof, noProof } from "../chain/measurement-tree";
import {
  awaitInFlight,
  sendGuarded,
  txRecord,
  type SendJournal,
  type SendOptions,
  type SendResult,
  type TxRecord,
} from "../chain/tx";
import { readDomain, signOffer } from "../chain/typed-data";
import type { RetryOptions } from "../chain/retry";
import { OpenBookIndex, type BookIndexState } from "./books";
import { failpoint } from "./failpoints";
import { collectReport, MAX_MEASUREMENTS_PER_REPORT } from "./oracle/proposer";
import type { OperatorClient, ReportData, StudyInputs } from "./oracle/protocol";
import { ChainFollower, type FollowedState } from "./follow";
import { StateFile, stateJournal } from "./state";
import { CentreAuction, type Auction } from "./centre-auction";

/** The market's SETTLEMENT_GAS_RESERVE, and a book settlement's gas with margin (measured ~32,000–45,000). */
const SETTLEMENT_RESERVE_GAS = 60_000n;
const SETTLEMENT_GAS_PER_BOOK = 70_000n;
/** Gas of one offer in a postMany (measured ~22,000), with margin. */
const POST_GAS_PER_OFFER = 60_000n;

/** An offer to post: a priced adjustment, optionally reserved for one wallet and numbered as a part. */
export type PlannedOffer = Offer & { readonly reservedFor?: string; readonly part?: number };

/** The reading grace time when none is configured: a tenth of a period, at most two minutes. */
export function defaultReadingGrace(periodSeconds: number): number {
  return Math.min(120, Math.floor(periodSeconds / 10));
}

export interface CentreAgentConfig {
  readonly contracts: GridSwapContracts;
  /** First block with GridSwap logs (the deployment file's deployBlock). */
  readonly deployBlock: number;
  /** The centre's wallet (CENTRE_ROLE): signs offers, pays for fills from its vault balance. */
  readonly centre: Signer;
  /** The oracle operators it proposes reports to (in process or agent:oracle over HTTP). */
  readonly operators: readonly OperatorClient[];
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
  /**
   * The market's bid book (docs/bids.md): each study prices the units with the bids revealed for
   * its period, and the offers go to the selected bidders (reserved) and the units nobody bid for.
   */
  readonly bids?: BidBook;
  /** The baseline method offers name (default Nominated: each generator's own nomination). */
  readonly baseline?: { readonly method: "Nominated" | "RollingAverage" | "MeterBefore"; readonly days?: number };
  /**
   * Seconds after a period's end that meter readings may take to arrive: the centre proposes the
   * report after it (default defaultReadingGrace: a tenth of a period, at most 120 s).
   */
  readonly readingGraceSeconds?: number;
  /** Measurements per report at most (the rest go in later reports; default 300, contract max 600). */
  readonly maxMeasurementsPerReport?: number;
  /** Gas the report transaction may spend on pushed settlements (default 5,000,000). */
  readonly settlementGasBudget?: number;
  /** Seconds before the gate closes after which the centre no longer posts (default: a tenth of a period). */
  readonly minFillWindowSeconds?: number;
  readonly maxBlockRange?: number;
  /** Agent state file (last block read, open books, which report measured them); in memory when omitted. */
  readonly statePath?: string;
  /**
   * The key is this process's alone (a standalone agent): a nonce it did not use makes it stand
   * by (KeyInUseError). Leave off where other code in the process sends with the same wallet.
   */
  readonly exclusiveKey?: boolean;
  /** Changes each report before it is proposed: a dishonest centre, for the demo and tests only. */
  readonly tamper?: (report: ReportData) => ReportData;
  readonly retry?: RetryOptions;
  readonly log?: (line: string) => void;
}

export interface CentreStep {
  /** The period the step ran in, and the delivery period it studied and posted for. */
  readonly period: number;
  readonly deliveryPeriod: number;
  /** Whether this step landed the period's report (false: on chain already, waiting, or refused). */
  readonly reported: boolean;
  /** The measurements of the report this step landed. */
  readonly measurements: MeasurementData[];
  /** What the operators said when they refused this step's proposal. */
  readonly refusals: { readonly operator: string; readonly reasons: readonly string[] }[];
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

interface CentreState extends FollowedState, BookIndexState {
  /** The last block whose oracle logs were read. */
  lastOracleBlock: number;
  /** Which report measured an open book, by bookKeyId (from the oracle's MeasurementReported events). */
  measuredIn: Record<string, number>;
}

export class CentreAgent {
  private readonly log: (line: string) => void;
  /** Transactions mined since the current step or poll began. */
  private txs: TxRecord[] = [];
  private readonly state: StateFile<CentreState>;
  private readonly index: OpenBookIndex;
  private domains?: { market: TypedDataDomain };
  private periodSeconds?: number;
  /** Report measurement lists read from events, by report period. */
  private readonly lists = new Map<number, MeasurementData[]>();
  private follower?: ChainFollower<CentreState>;
  private readonly journal: SendJournal;
  /** The first block of a period (where its offers can first be on the board), by period. */
  private readonly periodStarts = new Map<number, number>();
  private readonly auction?: CentreAuction;

  constructor(private readonly cfg: CentreAgentConfig) {
    if (cfg.bids) this.auction = new CentreAuction(cfg.bids, cfg.deployBlock, cfg.maxBlockRange);
    this.log = cfg.log ?? (() => undefined);
    this.state = new StateFile<CentreState>(cfg.statePath, () => this.initialState(), 3);
    this.journal = stateJournal(this.state, cfg.exclusiveKey === true);
    this.index = new OpenBookIndex(cfg.contracts.market, this.state.data, cfg.maxBlockRange);
    const minutes = cfg.case.operation?.periodMinutes;
    if (minutes === undefined) throw new ConfigurationError(`${cfg.case.name}: the case has no operation data`);
    if (cfg.operators.length === 0)
      throw new ConfigurationError("the centre agent needs the oracle operators to propose to");
  }

  private initialState(): CentreState {
    const before = this.cfg.deployBlock - 1;
    return { lastBlock: before, lastOracleBlock: before, books: {}, measuredIn: {} };
  }

  /** Checks the configuration against the chain once: period length, role, operators. */
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
    if (await oracle.isSigner(centre)) {
      this.log(`warning: the centre's key ${centre} is also an oracle signer: one party should not hold both`);
    }
    this.follower = new ChainFollower(this.state, {
      provider: this.provider(),
      market: await market.getAddress(),
      deployBlock: this.cfg.deployBlock,
      initial: () => this.initialState(),
      log: this.log,
    });
    await this.follower.sync();
    await this.auction?.prepare(periodSeconds);
    this.domains = { market: await readDomain(market) };
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
    await this.catchUp();

    // 2. The study of the next delivery period (with its revealed bids), and what its input hash commits to.
    const forecasts = { ...(this.cfg.forecasts?.(deliveryPeriod) ?? {}), periodStart: deliveryPeriod * periodSeconds };
    const auction = await this.auction?.of(deliveryPeriod, await this.provider().getBlockNumber());
    const study = await runPeriod(this.cfg.case, forecasts, auction ? { bids: auction.inputs.revealed } : {});
    const inputs: StudyInputs = {
      case: caseTextHash(this.cfg.caseText),
      forecasts,
      ...(auction && { bids: auction.inputs }),
    };

    // 3. Report P (with pushed settlement) once the readings had their grace time.
    const settled: BookKey[] = [];
    const refusals: CentreStep["refusals"] = [];
    let measurements: MeasurementData[] = [];
    let reported = false;
    const grace = this.cfg.readingGraceSeconds ?? defaultReadingGrace(periodSeconds);
    if (now < period * periodSeconds + grace) {
      problems.push(`report ${period} waits for the reading grace time (${grace} s after the period began)`);
    } else {
      const r = await this.report(period, now, study, inputs, settled, refusals, problems);
      reported = r.reported;
      measurements = r.measurements;
    }
    await this.catchUp();
    // Looked at again after the report: time has passed, and measurements may have become final.
    settled.push(...(await this.settleFinal()));
    const unwound = await this.unwindExpired(now);

    // 4. Offers for P+1, justified by report P carrying this very study.
    const { posted, dropped } = await this.post(period, deliveryPeriod, now, study, inputs, problems, auction);
    this.state.save();
    return {
      period,
      deliveryPeriod,
      reported,
      measurements,
      refusals,
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
    await this.catchUp();
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

  /** sendGuarded with my journal, recording what was mined and where. */
  private async send(
    signer: Signer,
    build: () => Promise<TransactionRequest>,
    options: SendOptions,
  ): Promise<SendResult> {
    // The journal is the centre key's: a relayer (another key) sends without it.
    const journal = signer === this.cfg.centre ? this.journal : undefined;
    return this.record(options.label, await sendGuarded(signer, build, { ...options, journal }));
  }

  /** Records a mined transaction (its gas, for the step) and its block (for the follower). */
  private record(label: string, result: SendResult): SendResult {
    const record = txRecord(label, result);
    if (record) this.txs.push(record);
    if (result.receipt) this.follower?.acted(result.receipt);
    return result;
  }

  private retry(): RetryOptions {
    return { ...this.cfg.retry, log: this.log };
  }

  /** Reads new market logs (the open books) and the oracle's MeasurementReported events (who measured them). */
  /**
   * Waits for a transaction of mine still in flight, checks the chain (going back after a re-org),
   * reads the new logs up to the head and takes a checkpoint there. Everything the centre keeps is
   * read from logs (its decisions are re-derived from chain state each step), so a checkpoint may
   * be taken at any point of a step.
   */
  private async catchUp(): Promise<void> {
    const follower = this.follower as ChainFollower<CentreState>;
    await awaitInFlight(this.cfg.centre, this.journal, { retry: this.retry() });
    const { head, rewoundTo } = await follower.sync();
    if (rewoundTo !== undefined) {
      this.lists.clear();
      this.periodStarts.clear();
      this.auction?.reset();
    }
    await this.readLogs(head.number);
    follower.checkpoint(head);
  }

  private async readLogs(latest: number): Promise<void> {
    await this.index.refresh(latest);
    const s = this.state.data;
    const { oracle } = this.cfg.contracts;
    if (latest > s.lastOracleBlock) {
      for (const [a, b] of blockRanges(
        s.lastOracleBlock + 1,
        latest,
        this.cfg.maxBlockRange ?? DEFAULT_MAX_BLOCK_RANGE,
      )) {
        for (const l of await oracle.queryFilter(oracle.filters.MeasurementReported(), a, b)) {
          const key = { generator: l.args.generator, period: Number(l.args.period) };
          if (this.index.has(key)) s.measuredIn[bookKeyId(key)] = Number(l.args.reportPeriod);
        }
      }
      s.lastOracleBlock = latest;
    }
    for (const id of Object.keys(s.measuredIn)) if (s.books[id] === undefined) delete s.measuredIn[id];
  }

  /**
   * The first block of `period`: a centre posts the offers for delivery in P+1 during P, so the
   * board is searched for them from there, not from the deployment (a scan that grows forever).
   */
  private async periodStart(period: number): Promise<number> {
    let block = this.periodStarts.get(period);
    if (block === undefined) {
      const from = await firstBlockAtOrAfter(
        this.provider(),
        period * (this.periodSeconds as number),
        this.cfg.deployBlock,
      );
      block = Math.max(this.cfg.deployBlock, from - 1);
      this.periodStarts.set(period, block);
      for (const p of this.periodStarts.keys()) if (p < period - 2) this.periodStarts.delete(p);
    }
    return block;
  }

  /** A report's measurement list, from its events (the leaves of its tree, in order). */
  private async listOf(reportPeriod: number): Promise<MeasurementData[]> {
    let list = this.lists.get(reportPeriod);
    if (!list) {
      const raw = await readReportMeasurements(this.cfg.contracts.oracle, reportPeriod, this.cfg.deployBlock);
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
  private reportPeriodsWithOpenBooks(): number[] {
    return [...new Set(Object.values(this.state.data.measuredIn))].sort((a, b) => a - b);
  }

  /** Proposes report P to the operators and relays it with k signatures; pushes an earlier report's settlement. */
  private async report(
    period: number,
    now: number,
    study: PeriodResult,
    inputs: StudyInputs,
    settled: BookKey[],
    refusals: CentreStep["refusals"],
    problems: string[],
  ): Promise<{ reported: boolean; measurements: MeasurementData[] }> {
    const { oracle, market } = this.cfg.contracts;
    if (await oracle.hasReport(period)) return { reported: false, measurements: [] };
    const studyPart = toReport({ period, inputHash: inputHash(inputs), result: study });
    const outcome = await collectReport({
      operators: this.cfg.operators,
      threshold: Number(await oracle.threshold()),
      reportPeriod: period,
      configEpoch: Number(await oracle.configEpoch()),
      deadline: now + (this.periodSeconds as number),
      study: { report: studyPart as unknown as ReportData, inputs },
      proposer: `centre ${await this.cfg.centre.getAddress()}`,
      maxMeasurements: Math.min(this.cfg.maxMeasurementsPerReport ?? 300, MAX_MEASUREMENTS_PER_REPORT),
      tamper: this.cfg.tamper,
      log: this.log,
    });
    refusals.push(...outcome.refusals);
    for (const r of outcome.refusals)
      this.log(`period ${period}: operator ${r.operator} refused: ${r.reasons.join("; ")}`);
    for (const u of outcome.unreachable)
      this.log(`period ${period}: operator ${u.operator} did not answer: ${u.problem}`);
    for (const l of outcome.leftOut) this.log(`period ${period}: left for a later report: ${l}`);
    if (!outcome.signed) {
      const text = `report ${period}: too few operators signed (${outcome.refusals.length} refused, ${outcome.unreachable.length} unreachable)`;
      problems.push(text);
      this.log(`period ${period}: ${text}`);
      return { reported: false, measurements: [] };
    }
    const { proposal, signatures } = outcome.signed;
    const report = proposal.report;
    const relayer = this.cfg.relayer ?? this.cfg.centre;
    const budget = this.cfg.settlementGasBudget ?? 5_000_000;
    // The earliest earlier report whose books are settleable now rides along.
    const push = await this.nextSettleable();
    const pushPeriod = push?.period ?? 0;
    const pushList = push?.list ?? [];
    let result: SendResult;
    try {
      result = await this.send(
        relayer,
        async () => {
          // reportAndSettle settles "while gas is left": an estimate would cover the report alone and
          // starve the settlements, so the limit is the report's estimate plus the settlement budget.
          const reportOnly = await market
            .connect(relayer)
            .reportAndSettle.estimateGas(report, proposal.deadline, signatures, 0, [], 0);
          // The estimate is exact for the state it ran on; the block the report lands in may differ
          // (measured: 36 gas more on a day's report), so it gets a margin.
          const gasLimit =
            (reportOnly * 11n) / 10n +
            20_000n +
            (pushList.length > 0 ? BigInt(budget) + SETTLEMENT_RESERVE_GAS + BigInt(pushList.length) * 4_000n : 0n);
          return market
            .connect(relayer)
            .reportAndSettle.populateTransaction(report, proposal.deadline, signatures, pushPeriod, pushList, budget, {
              gasLimit,
            });
        },
        { label: `report period ${period}`, isDone: () => oracle.hasReport(period), retry: this.retry() },
      );
    } catch (e) {
      // Another report for the period landed in the same block (an operator standing in): done.
      if (!(e instanceof RevertError && e.errorName === "ReportAlreadySubmitted")) throw e;
      this.log(`period ${period}: another report for the period landed first (an operator standing in); mine reverted`);
      return { reported: false, measurements: [] };
    }
    if (result.status === "already-done") return { reported: false, measurements: [] };
    failpoint("centre:after-report");
    settled.push(...this.settledIn(result.receipt));
    for (const k of settled) this.index.close(k);
    this.log(
      `period ${period}: reported ${report.violations.length} violation(s), ${report.prices.length} price(s), ` +
        `${report.measurements.length} measurement(s) with ${signatures.length} operator signatures; settled ` +
        `${settled.length} book(s) in the same transaction (${result.receipt?.gasUsed} gas)`,
    );
    return { reported: true, measurements: [...report.measurements] };
  }

  /** Books a receipt settled (its Settled events). */
  private settledIn(receipt: TransactionReceipt | undefined): BookKey[] {
    return eventsIn(this.cfg.contracts.market, receipt, "Settled").map((e) => ({
      generator: e.args.generator as string,
      period: Number(e.args.period),
    }));
  }

  /** The oldest report with a book the market would settle now. */
  private async nextSettleable(): Promise<{ period: number; list: MeasurementData[] } | undefined> {
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
  private async settleFinal(): Promise<BookKey[]> {
    const { market } = this.cfg.contracts;
    const settled: BookKey[] = [];
    for (const period of this.reportPeriodsWithOpenBooks()) {
      const list = await this.listOf(period);
      const [ready] = await market.settleReport.staticCall(period, list);
      if (ready === 0n) continue;
      // A generous limit: settleReport stops early instead of failing, so an estimate would settle one.
      const gasLimit = 150_000n + SETTLEMENT_RESERVE_GAS + BigInt(list.length) * SETTLEMENT_GAS_PER_BOOK;
      const result = await this.send(
        this.cfg.centre,
        () => market.connect(this.cfg.centre).settleReport.populateTransaction(period, list, { gasLimit }),
        { label: `settle report ${period}'s books`, retry: this.retry() },
      );
      const done = this.settledIn(result.receipt);
      for (const k of done) this.index.close(k);
      settled.push(...done);
    }
    for (const id of Object.keys(this.state.data.measuredIn))
      if (this.state.data.books[id] === undefined) delete this.state.data.measuredIn[id];
    if (settled.length > 0)
      this.log(
        `settled ${settled.length} book(s): ${settled.map((k) => `${k.generator.slice(0, 10)}@${k.period}`).join(", ")}`,
      );
    return settled;
  }

  /** The proof of a book's reported measurement (from its report's events), or an empty one. */
  private async proofFor(key: BookKey) {
    const reportPeriod = this.state.data.measuredIn[bookKeyId(key)];
    if (reportPeriod === undefined) return noProof(key.generator, key.period);
    const list = await this.listOf(reportPeriod);
    return measurementProof(reportPeriod, list, key.generator, key.period) ?? noProof(key.generator, key.period);
  }

  /**
   * Unwinds books that have no final measurement once the market allows it: after the grace time
   * and after the dispute window of any measurement reported for it (finding GS-18). With the
   * operators measuring every ended book, that is a book the oracle never measured.
   */
  private async unwindExpired(now: number): Promise<BookKey[]> {
    const { market } = this.cfg.contracts;
    const terms = await market.terms();
    const out: BookKey[] = [];
    for (const key of this.index.list()) {
      const graceEnd = (key.period + 1) * (this.periodSeconds as number) + Number(terms.settlementGraceSeconds);
      if (now < graceEnd) continue;
      const proof = await this.proofFor(key);
      const at = Number(await market.unwindableAt(key.generator, key.period, proof));
      if (at === 0 || now < at) continue;
      const [ready] = await market.previewSettlement(key.generator, key.period, proof);
      if (ready) continue;
      const result = await this.send(
        this.cfg.centre,
        () => market.connect(this.cfg.centre).unwind.populateTransaction(key.generator, key.period, proof),
        {
          label: `unwind ${key.generator.slice(0, 10)}@${key.period}`,
          isDone: async () => Number((await market.bookOf(key.generator, key.period)).state) !== BookState.Open,
          retry: this.retry(),
        },
      );
      this.index.close(key);
      // Only what this call unwound is reported as unwound (an earlier settlement is not).
      if (eventsIn(market, result.receipt, "Unwound").length === 0) continue;
      out.push(key);
      this.log(
        `unwound the book of ${key.generator} in period ${key.period}: no final measurement by the end of the grace time ` +
          `(${proof.proof.length > 0 || proof.measurement.generator !== key.generator ? "reported, disputed and not corrected" : "none reported"})`,
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
    inputs: StudyInputs,
    problems: string[],
    auction?: Auction,
  ): Promise<{ posted: { offerHash: string; offer: OfferData }[]; dropped: string[] }> {
    const { market, oracle } = this.cfg.contracts;
    const periodSeconds = this.periodSeconds as number;
    const posted: { offerHash: string; offer: OfferData }[] = [];
    const dropped: string[] = [];
    let wanted: readonly PlannedOffer[] = this.cfg.offersFor ? this.cfg.offersFor(study) : study.offers;
    // With revealed bids the selection is published even when it selects nothing.
    if (wanted.length === 0 && !auction?.sealed.length) return { posted, dropped };
    if (!(await oracle.hasReport(period))) {
      problems.push(`no report for period ${period} yet: offers wait for it (their justification)`);
      return { posted, dropped };
    }
    // The offers rest on the study the operators checked: report P must carry this study's inputs
    // (a stand-in operator's report carries no study, and then this period has no offers).
    const submitted = await oracle.queryFilter(oracle.filters.ReportSubmitted(period), await this.periodStart(period));
    const landedInputs = submitted[0]?.args.inputHash;
    if (landedInputs !== inputHash(inputs)) {
      const text = `report ${period} on chain does not carry this study (input hash ${String(landedInputs).slice(0, 10)}): no offers for period ${deliveryPeriod}`;
      problems.push(text);
      this.log(`period ${period}: ${text}`);
      return { posted, dropped };
    }
    if (auction && !this.cfg.offersFor) {
      wanted = await (this.auction as CentreAuction).publishAndOffer(
        auction,
        study,
        landedInputs,
        this.cfg.centre,
        async (publish, label) =>
          this.record(label, await publish({ label, journal: this.journal, retry: this.retry() })),
        problems,
        (line) => this.log(`period ${period}: ${line}`),
      );
      if (wanted.length === 0) return { posted, dropped };
    }
    const terms = await market.terms();
    const closesAt = deliveryPeriod * periodSeconds - Number(terms.gateClosureSeconds) - 1;
    const centre = await this.cfg.centre.getAddress();
    const epoch = Number(await market.epochOf(centre));
    const method = this.cfg.baseline?.method ?? "Nominated";
    const baseline = BaselineMethod[method];
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
    const domain = (this.domains as { market: TypedDataDomain }).market;
    // Each offer's identity is deterministic (its nonce): one already on the board is not posted again.
    const signed = [];
    for (const offer of offers) {
      const offerHash = await market.hashOffer(offerStruct(offer));
      const signature = await signOffer(this.cfg.centre, domain, offerStruct(offer));
      const onBoard = await isOfferPosted(market, offerHash, await this.periodStart(period), this.cfg.maxBlockRange);
      signed.push({ offer, offerHash, signature, onBoard });
    }
    const toPost = signed.filter((x) => !x.onBoard);
    for (const x of signed.filter((y) => y.onBoard)) posted.push({ offerHash: x.offerHash, offer: x.offer });
    if (toPost.length === 0) return { posted, dropped };
    // Only what is not on the board yet can be too late.
    const minWindow = this.cfg.minFillWindowSeconds ?? Math.ceil(periodSeconds / 10);
    if (closesAt - now < minWindow) {
      problems.push(
        `too late to post for period ${deliveryPeriod}: fills close at ${closesAt}, ${closesAt - now} s left`,
      );
      this.log(`period ${period}: ${problems[problems.length - 1]}`);
      return { posted, dropped };
    }
    if (
      !(await this.ensureUsd(
        toPost.reduce((s, x) => s + x.offer.usd, 0n),
        problems,
      ))
    )
      return { posted, dropped };
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
          afterBroadcast: () => failpoint("centre:post-pending"),
          isDone: async () => {
            for (const x of toPost)
              if (!(await isOfferPosted(market, x.offerHash, await this.periodStart(period), this.cfg.maxBlockRange)))
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
      if (isTransient(e) || e instanceof KeyInUseError) throw e;
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

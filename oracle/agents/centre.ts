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
import type { Signer, TransactionRequest, TypedDataDomain } from "ethers";
import { runPeriod, type PeriodResult } from "../market/period";
import { isOfferPosted } from "../chain/board";
import { DEFAULT_MAX_BLOCK_RANGE, providerOf, queryLogs } from "../chain/logs";
import { chainNow, periodSearchStart } from "../chain/clock";
import { caseTextHash, inputHash, toOfferData, toReport } from "../chain/encode";
import { Asset, BaselineMethod } from "../chain/enums";
import { ConfigurationError, describeChainError, isTransient, KeyInUseError, RevertError } from "../chain/errors";
import { offerStruct, type BookKey, type MeasurementData, type OfferData } from "../chain/market-data";
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
import { OpenBookIndex } from "./books";
import { failpoint } from "./failpoints";
import { collectReport, MAX_MEASUREMENTS_PER_REPORT } from "./oracle/proposer";
import type { ReportData, StudyInputs } from "./oracle/protocol";
import { ChainFollower, type FollowedState } from "./follow";
import { StateFile, stateJournal } from "./state";
import { topUpVault } from "./vault";
import { CentreAuction, type Auction } from "./centre-auction";
import { CentreSettlement, SETTLEMENT_RESERVE_GAS, type SettlementState } from "./centre-settlement";

/** Gas of one offer in a postMany (measured ~22,000), with margin. */
const POST_GAS_PER_OFFER = 60_000n;

import { defaultReadingGrace, type CentreAgentConfig, type CentreStep, type PlannedOffer } from "./centre-config";
import { isoText, kwhText, unitsToUsd, usdText } from "../chain/units";
export { defaultReadingGrace, type CentreAgentConfig, type CentreStep, type PlannedOffer };

type CentreState = FollowedState & SettlementState;

export class CentreAgent {
  private readonly log: (line: string) => void;
  /** Transactions mined since the current step or poll began. */
  private txs: TxRecord[] = [];
  private readonly state: StateFile<CentreState>;
  private readonly index: OpenBookIndex;
  private domains?: { market: TypedDataDomain };
  private periodSeconds?: number;
  private readonly settlement: CentreSettlement;
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
    this.settlement = new CentreSettlement(
      {
        contracts: cfg.contracts,
        deployBlock: cfg.deployBlock,
        maxBlockRange: cfg.maxBlockRange,
        centre: cfg.centre,
        index: this.index,
        periodSeconds: () => this.periodSeconds as number,
        periodStart: (period) => this.periodStart(period),
        send: (signer, build, options) => this.send(signer, build, options),
        retry: () => this.retry(),
        log: this.log,
      },
      () => this.state.data,
    );
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
    settled.push(...(await this.settlement.settleFinal()));
    const unwound = await this.settlement.unwindExpired(now);

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
    const settled = await this.settlement.settleFinal();
    const unwound = await this.settlement.unwindExpired(await chainNow(this.provider()));
    this.state.save();
    return { settled, unwound, transactions: this.txs };
  }

  // -------------------------------------------------------------------------------------------

  private provider() {
    return providerOf(this.cfg.contracts.market);
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
      this.settlement.clear();
      this.periodStarts.clear();
      this.auction?.reset();
    }
    await this.readLogs(head.number);
    follower.checkpoint(head);
  }

  private async readLogs(latest: number): Promise<void> {
    await this.index.refresh(latest);
    await this.settlement.readOracleLogs(latest);
  }

  /**
   * The first block of `period`: a centre posts the offers for delivery in P+1 during P, so the
   * board is searched for them from there, not from the deployment (a scan that grows forever).
   */
  private async periodStart(period: number): Promise<number> {
    let block = this.periodStarts.get(period);
    if (block === undefined) {
      block = await periodSearchStart(
        this.provider(),
        period,
        this.periodSeconds as number,
        this.cfg.deployBlock,
        this.cfg.maxBlockRange ?? DEFAULT_MAX_BLOCK_RANGE,
      );
      this.periodStarts.set(period, block);
      if (this.periodStarts.size > 16) this.periodStarts.delete(this.periodStarts.keys().next().value as number);
    }
    return block;
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
    const push = await this.settlement.nextSettleable();
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
    settled.push(...this.settlement.settledIn(result.receipt));
    for (const k of settled) this.index.close(k);
    this.log(
      `period ${period}: reported ${report.violations.length} violation(s), ${report.prices.length} price(s), ` +
        `${report.measurements.length} measurement(s) with ${signatures.length} operator signatures; settled ` +
        `${settled.length} book(s) in the same transaction (${result.receipt?.gasUsed} gas)`,
    );
    return { reported: true, measurements: [...report.measurements] };
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
    const submitted = await queryLogs(
      oracle,
      oracle.filters.ReportSubmitted(period),
      await this.periodStart(period),
      undefined,
      this.cfg.maxBlockRange,
    );
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
              `${x.offer.direction === 0 ? "raise" : "lower"} ${kwhText(x.offer.amountWh)} at node ${x.offer.node} ` +
              `for ${usdText(x.offer.usd)}, fills until ${isoText(closesAt)}`,
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
    const r = await topUpVault({
      contracts: this.cfg.contracts,
      owner: this.cfg.centre,
      asset: Asset.Usd,
      needed,
      send: (signer, build, options) => this.send(signer, build, options),
      retry: this.retry(),
    });
    if (r.ok) {
      if (r.deposited > 0n) this.log(`deposited ${usdText(r.deposited)} into the market's vault`);
      return true;
    }
    const text =
      `not posting: the offers may draw ${usdText(needed)}, the vault holds ${unitsToUsd(r.inVault)} ` +
      `and the wallet ${usdText(r.inWallet)} (mint or transfer USD to ${await this.cfg.centre.getAddress()})`;
    problems.push(text);
    this.log(text);
    return false;
  }
}

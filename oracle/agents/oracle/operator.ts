/**
 * One oracle operator (docs/oracle.md): its own key (one of the oracle's k-of-n signers), its own
 * node and its own meter data. It answers a proposer's requests:
 *
 *   observe          what it measures now for a report — from its meter data, nothing signed;
 *   signReport       recomputes the report — every measurement from its own readings, the study
 *                    from the published inputs with its own copy of the case — and signs only when
 *                    its result is the proposal exactly; otherwise it refuses, naming each difference;
 *   signCorrection   the same for one measurement.
 *
 * It never signs two different reports for one period (nor two corrections of one measurement)
 * while the first can still land: what it signed is written to its state file (synced to disk)
 * before the signature leaves, so a restart after kill -9 answers with the same signature.
 */
import { Contract, ZeroHash, type Signer, type TypedDataDomain } from "ethers";
import type { BidBook } from "../../../typechain-types";
import type { PowerCase } from "../../grid/case/types";
import { runPeriod } from "../../market/period";
import type { GridSwapContracts } from "../../chain/deploy";
import { caseTextHash, inputHash, toReport } from "../../chain/encode";
import { BookState, MeasurementState, Quality } from "../../chain/enums";
import { ConfigurationError } from "../../chain/errors";
import { bookFromStruct, bookKeyId, type BookKey, type MeasurementData } from "../../chain/market-data";
import { findMeasurementProof } from "../../chain/measurement-proofs";
import { periodSearchStart } from "../../chain/clock";
import { DEFAULT_MAX_BLOCK_RANGE, providerOf, queryLogs } from "../../chain/logs";
import { readDomain, reportHash, measurementHash, signCorrection, signReport } from "../../chain/typed-data";
import { OpenBookIndex, type BookIndexState } from "../books";
import { failpoint } from "../failpoints";
import { ChainFollower, type FollowedState } from "../follow";
import { StateFile } from "../state";
import type { MeterReading } from "../metering";
import { Observer, type ObserverConfig } from "./observe";
import {
  bookName,
  fromWire,
  readingsHashOf,
  toWire,
  type CorrectionProposal,
  type ObservationRequest,
  type ObservationResponse,
  type OperatorClient,
  type ReportData,
  type ReportProposal,
  type SignResponse,
} from "./protocol";
import { MAX_MEASUREMENTS_PER_REPORT } from "./proposer";
import { StudyBidsCheck, type SelectionVerdict } from "./study-bids";
import { isoText } from "../../chain/units";

export interface OperatorConfig extends ObserverConfig {
  readonly contracts: GridSwapContracts;
  readonly deployBlock: number;
  /** The operator's oracle key. */
  readonly signer: Signer;
  /** The case the studies are made on, and its file's text (its hash is in every study's inputs). */
  readonly case: PowerCase;
  readonly caseText: string;
  /** The market's bid book: a study must price the units with the bids revealed in it (docs/bids.md). */
  readonly bids?: BidBook;
  /** Latest deadline it signs, seconds after now (default two periods). */
  readonly maxDeadlineSeconds?: number;
  readonly maxBlockRange?: number;
  /** State file (what it signed, the books it follows); in memory when omitted. */
  readonly statePath?: string;
  readonly log?: (line: string) => void;
}

interface Signed {
  /** reportHash (reports) or measurementHash + readingsHash (corrections): the content. */
  readonly content: string;
  readonly deadline: number;
  /** The proposal, as sent on the wire (reports only). */
  readonly proposal?: string;
  readonly signature: string;
}

export interface OperatorState extends FollowedState, BookIndexState {
  /** What it signed, by report period. */
  reports: Record<string, Signed>;
  /** What it signed, by bookKeyId of the corrected measurement. */
  corrections: Record<string, Signed>;
}

export class OracleOperator implements OperatorClient {
  readonly name: string;
  private readonly log: (line: string) => void;
  private readonly state: StateFile<OperatorState>;
  private readonly index: OpenBookIndex;
  private ready?: { domain: TypedDataDomain; periodSeconds: number; observer: Observer; address: string };
  private readonly studies = new Map<string, ReportData>();
  private follower?: ChainFollower<OperatorState>;
  /** Only one request is worked on at a time: a report, then the next (no interleaved state writes). */
  private queue: Promise<unknown> = Promise.resolve();
  private readonly studyBids: StudyBidsCheck;

  constructor(private readonly cfg: OperatorConfig) {
    this.studyBids = new StudyBidsCheck(cfg.bids, cfg.deployBlock, cfg.maxBlockRange);
    this.log = cfg.log ?? (() => undefined);
    this.state = new StateFile<OperatorState>(
      cfg.statePath,
      () => ({ lastBlock: cfg.deployBlock - 1, books: {}, reports: {}, corrections: {} }),
      1,
    );
    this.index = new OpenBookIndex(cfg.contracts.market, this.state.data, cfg.maxBlockRange);
    this.name = "operator";
  }

  /** Reads the oracle's domain and period, checks the key is a signer and the state file's chain. */
  async prepare(): Promise<{ address: string; periodSeconds: number; domain: TypedDataDomain; observer: Observer }> {
    if (this.ready) return this.ready;
    const { oracle, market } = this.cfg.contracts;
    const address = await this.cfg.signer.getAddress();
    if (!(await oracle.isSigner(address))) {
      throw new ConfigurationError(
        `${address} is not one of the oracle's signers (ORACLE_KEY is not an operator's key)`,
      );
    }
    const periodSeconds = Number(await oracle.periodSeconds());
    const caseSeconds = (this.cfg.case.operation?.periodMinutes ?? 0) * 60;
    if (caseSeconds !== periodSeconds)
      throw new ConfigurationError(
        `the case's periods are ${caseSeconds / 60} min but the oracle's are ${periodSeconds / 60} min`,
      );
    const provider = providerOf(market);
    // What it signed is never taken back by going back on the chain: it must not sign twice.
    this.follower = new ChainFollower<OperatorState>(this.state, {
      provider,
      market: await market.getAddress(),
      deployBlock: this.cfg.deployBlock,
      initial: () => ({ lastBlock: this.cfg.deployBlock - 1, books: {}, reports: {}, corrections: {} }),
      log: this.log,
      preserve: ["reports", "corrections"],
    });
    await this.follower.sync();
    const domain = await readDomain(oracle);
    this.ready = { domain, periodSeconds, observer: new Observer(this.cfg, domain, periodSeconds), address };
    (this as { name: string }).name = address;
    return this.ready;
  }

  /**
   * Why a report it signed can never land, or undefined: a measurement in it is on chain since
   * (a stand-in's report or the operators' correction landed it first; the oracle refuses a
   * measurement twice). Then a new proposal for the period may be signed — the one it signed can
   * no longer be used, and without this the period would have no report until its deadline.
   */
  private async cannotLand(signed: Signed): Promise<string | undefined> {
    if (!signed.proposal) return undefined;
    const { oracle } = this.cfg.contracts;
    const report = fromWire<ReportProposal>(signed.proposal).report;
    // The oracle's own test (isMeasured): a report or a correction has landed it.
    for (const m of report.measurements) {
      if (await oracle.isMeasured(m.period, m.generatorIndex)) {
        const why = `the measurement of ${m.generator} in period ${m.period} is on chain already`;
        this.log(`my signature of report ${report.period} can no longer land (${why}): a new proposal may be signed`);
        return why;
      }
    }
    return undefined;
  }

  /** Checks the chain (going back after a re-org), reads the new logs, takes a checkpoint. */
  private async catchUp(): Promise<void> {
    const follower = this.follower as ChainFollower<OperatorState>;
    const { head, rewoundTo } = await follower.sync();
    if (rewoundTo !== undefined) this.studyBids.reset();
    await this.index.refresh(head.number);
    follower.checkpoint(head);
  }

  get address(): string | undefined {
    return this.ready?.address;
  }

  async observe(request: ObservationRequest): Promise<ObservationResponse> {
    return this.serial(async () => {
      const { observer, address } = await this.prepare();
      const now = await this.now();
      const period = checkedPeriod(request.reportPeriod);
      await this.catchUp();
      this.state.save();
      const due = await observer.dueBooks(this.index, period, now);
      const o = await observer.measure(due, now);
      return {
        operator: address,
        reportPeriod: period,
        measurements: [...o.measured.values()].sort(
          (a, b) =>
            a.measurement.period - b.measurement.period || a.measurement.generatorIndex - b.measurement.generatorIndex,
        ),
        pending: o.pending,
        problems: o.problems,
      };
    });
  }

  async signReport(proposal: ReportProposal): Promise<SignResponse> {
    return this.serial(async () => {
      const { address } = await this.prepare();
      const refusal = (refused: string[], signed?: { proposal: ReportProposal; signature: string }): SignResponse => {
        this.log(
          `refused the report for period ${proposal.report?.period} from ${proposal.proposer}: ${refused.join("; ")}`,
        );
        return signed ? { signer: address, refused, signed } : { signer: address, refused };
      };
      const period = proposal.report.period;
      const content = reportHash(proposal.report);
      const earlier = this.state.data.reports[period];
      // The very report it signed (a proposer asking again, after a lost answer or a restart): the same signature.
      if (earlier && earlier.content === content && earlier.deadline === proposal.deadline)
        return { signer: address, signature: earlier.signature };
      const problems = await this.checkReport(proposal);
      const now = await this.now();
      if (earlier && earlier.content !== content && earlier.deadline >= now && !(await this.cannotLand(earlier))) {
        return refusal(
          [
            `I signed another report for period ${period} (${earlier.content.slice(0, 10)}, valid until ` +
              `${isoText(earlier.deadline)}); I never sign two`,
            ...problems,
          ],
          earlier.proposal ? { proposal: fromWire(earlier.proposal), signature: earlier.signature } : undefined,
        );
      }
      if (problems.length > 0) return refusal(problems);
      const [signature] = await signReport(
        [this.cfg.signer],
        (this.ready as { domain: TypedDataDomain }).domain,
        proposal.report,
        proposal.configEpoch,
        proposal.deadline,
      );
      this.state.data.reports[period] = { content, deadline: proposal.deadline, proposal: toWire(proposal), signature };
      this.prune(now);
      this.state.save(undefined, { durable: true });
      failpoint("operator:after-sign");
      this.log(
        `signed the report for period ${period} from ${proposal.proposer}: ${proposal.report.measurements.length} ` +
          `measurement(s), ${proposal.report.violations.length} violation(s), ${proposal.report.prices.length} price(s)`,
      );
      return { signer: address, signature };
    });
  }

  async signCorrection(proposal: CorrectionProposal): Promise<SignResponse> {
    return this.serial(async () => {
      const { address, domain } = await this.prepare();
      const m = proposal.measurement;
      const id = bookKeyId(m);
      const content = `${measurementHash(m)}:${proposal.readingsHash}`;
      const now = await this.now();
      const refusal = (refused: string[]): SignResponse => {
        this.log(`refused the correction of ${bookName(m)} from ${proposal.proposer}: ${refused.join("; ")}`);
        return { signer: address, refused };
      };
      const earlier = this.state.data.corrections[id];
      if (earlier && earlier.content !== content && earlier.deadline >= now)
        return refusal([
          `I signed another correction of ${bookName(m)} (valid until ${earlier.deadline}); I never sign two`,
        ]);
      const problems = await this.checkCorrection(proposal, now);
      if (problems.length > 0) return refusal(problems);
      const [signature] = await signCorrection(
        [this.cfg.signer],
        domain,
        m,
        proposal.readingsHash,
        proposal.configEpoch,
        proposal.deadline,
      );
      this.state.data.corrections[id] = { content, deadline: proposal.deadline, signature };
      this.state.save(undefined, { durable: true });
      this.log(`signed the correction of ${bookName(m)} from ${proposal.proposer}: ${describe(m)}`);
      return { signer: address, signature };
    });
  }

  /** The bid selections published since the last call, each against its own study of their inputs. */
  async verifySelections(): Promise<SelectionVerdict[]> {
    return this.serial(async () => {
      await this.prepare();
      return this.studyBids.verifyPublished();
    });
  }

  /**
   * The report it signed for `period` as it was proposed — the study's inputs (what the report's
   * input hash commits to) included: served at GET /v1/reports/<period>, so anyone can check a
   * landed report's study against its inputs.
   */
  signedProposal(period: number): ReportProposal | undefined {
    const signed = this.state.data.reports[period];
    return signed?.proposal ? fromWire<ReportProposal>(signed.proposal) : undefined;
  }

  /**
   * What this operator measures for one book now, when the oracle would take a correction of it:
   * the measurement (any quality) and its reading digest; undefined when not correctable or pending.
   */
  async correctionFor(key: BookKey): Promise<{ measurement: MeasurementData; readingDigest: string } | undefined> {
    return this.serial(async () => {
      const { observer } = await this.prepare();
      const now = await this.now();
      const c = await this.correctable(key, now);
      if (!c.ok) return undefined;
      const book = bookFromStruct(key.generator, await this.cfg.contracts.market.bookOf(key.generator, key.period));
      return (await observer.measure([book], now, c.extra)).measured.get(bookKeyId(key));
    });
  }

  /** Books of ended periods that no report measured (and no correction), oldest first. */
  async unmeasured(beforePeriod: number): Promise<BookKey[]> {
    return this.serial(async () => {
      const { observer } = await this.prepare();
      await this.catchUp();
      this.state.save();
      const due = await observer.dueBooks(this.index, beforePeriod, await this.now());
      return due.map((b) => ({ generator: b.generator, period: b.period }));
    });
  }

  // -------------------------------------------------------------------------------------------

  /** Every way the proposal differs from what this operator computes itself. */
  private async checkReport(p: ReportProposal): Promise<string[]> {
    const { oracle } = this.cfg.contracts;
    const { periodSeconds, observer } = this.ready as { periodSeconds: number; observer: Observer };
    const problems: string[] = [];
    const r = p.report;
    const now = await this.now();
    const current = Math.floor(now / periodSeconds);
    if (!Number.isSafeInteger(r?.period) || r.period < 0 || r.period > current)
      return [`period ${r?.period} is not a period up to the current one (${current})`];
    if (await oracle.hasReport(r.period)) return [`period ${r.period} is reported already`];
    const epoch = Number(await oracle.configEpoch());
    if (p.configEpoch !== epoch) problems.push(`configuration epoch ${p.configEpoch}, the oracle's is ${epoch}`);
    const maxDeadline = now + (this.cfg.maxDeadlineSeconds ?? 2 * periodSeconds);
    if (!(p.deadline > now && p.deadline <= maxDeadline))
      problems.push(`deadline ${p.deadline} is not between now (${now}) and ${maxDeadline}`);
    problems.push(...(await this.checkStudy(p)));
    if (r.measurements.length > MAX_MEASUREMENTS_PER_REPORT)
      problems.push(`${r.measurements.length} measurements, at most ${MAX_MEASUREMENTS_PER_REPORT}`);
    // Every measurement must be one this operator makes itself from its own readings.
    await this.catchUp();
    const due = await observer.dueBooks(this.index, r.period, now);
    const mine = await observer.measure(due, now);
    const pending = new Set(mine.pending.map(bookKeyId));
    const digests: string[] = [];
    const seen = new Set<string>();
    for (const m of r.measurements) {
      const id = bookKeyId(m);
      if (seen.has(id)) problems.push(`${bookName(m)} appears twice`);
      seen.add(id);
      const own = mine.measured.get(id);
      if (own === undefined) {
        problems.push(
          pending.has(id)
            ? `${bookName(m)}: I have no reading yet (inside the reading grace time)`
            : `${bookName(m)}: not a book this report can measure (no open book of an ended period, or measured already)`,
        );
        continue;
      }
      digests.push(own.readingDigest);
      if (toWire(own.measurement) !== toWire(m))
        problems.push(
          `${bookName(m)}: proposed ${describe(m)}, I measure ${describe(own.measurement)}${notes(own.notes)}`,
        );
    }
    if (problems.length === 0 && readingsHashOf(digests) !== r.readingsHash)
      problems.push(
        `readings hash ${r.readingsHash.slice(0, 10)} is not that of my readings (${readingsHashOf(digests).slice(0, 10)})`,
      );
    return problems;
  }

  /** The study part: empty without inputs, else what the published inputs give on this operator's case. */
  private async checkStudy(p: ReportProposal): Promise<string[]> {
    const r = p.report;
    if (p.inputs === null) {
      const empty = r.inputHash === ZeroHash && r.violations.length === 0 && r.prices.length === 0;
      return empty ? [] : ["a report without study inputs must carry no violations, prices or input hash"];
    }
    const ownCase = caseTextHash(this.cfg.caseText);
    if (p.inputs.case !== ownCase)
      return [`the study was made on case ${p.inputs.case.slice(0, 10)}, mine is ${ownCase.slice(0, 10)}`];
    const hash = inputHash(p.inputs);
    if (hash !== r.inputHash)
      return [`input hash ${r.inputHash.slice(0, 10)} is not that of the inputs (${hash.slice(0, 10)})`];
    const { periodSeconds } = this.ready as { periodSeconds: number };
    const bids = await this.studyBids.check(p.inputs, periodSeconds, await this.now());
    if (bids.problems.length > 0) return bids.problems;
    let expected = this.studies.get(hash);
    if (!expected) {
      const study = await runPeriod(this.cfg.case, p.inputs.forecasts, bids.bids ? { bids: bids.bids.revealed } : {});
      this.studyBids.remember(hash, study);
      expected = toReport({ period: r.period, inputHash: hash, result: study }) as unknown as ReportData;
      this.studies.set(hash, expected);
      if (this.studies.size > 16) this.studies.delete(this.studies.keys().next().value as string);
    }
    const problems: string[] = [];
    if (toWire(expected.violations) !== toWire(r.violations))
      problems.push(
        `violations differ from my study of the inputs: proposed ${r.violations.map((v) => `line ${v.line}`).join(", ") || "none"}, ` +
          `mine ${expected.violations.map((v) => `line ${v.line}`).join(", ") || "none"}`,
      );
    if (toWire(expected.prices) !== toWire(r.prices)) problems.push("nodal prices differ from my study of the inputs");
    return problems;
  }

  private async checkCorrection(p: CorrectionProposal, now: number): Promise<string[]> {
    const { oracle, market } = this.cfg.contracts;
    const { periodSeconds, observer } = this.ready as { periodSeconds: number; observer: Observer };
    const m = p.measurement;
    const epoch = Number(await oracle.configEpoch());
    if (p.configEpoch !== epoch) return [`configuration epoch ${p.configEpoch}, the oracle's is ${epoch}`];
    const maxDeadline = now + (this.cfg.maxDeadlineSeconds ?? 2 * periodSeconds);
    if (!(p.deadline > now && p.deadline <= maxDeadline))
      return [`deadline ${p.deadline} is not between now (${now}) and ${maxDeadline}`];
    const book = bookFromStruct(m.generator, await market.bookOf(m.generator, m.period));
    const correctable = await this.correctable({ generator: m.generator, period: m.period }, now);
    if (!correctable.ok) return [`${bookName(m)}: ${correctable.why}`];
    const observed = await observer.measure([book], now, correctable.extra);
    const own = observed.measured.get(bookKeyId(m));
    if (!own) return [`${bookName(m)}: I have no reading yet`];
    if (own.measurement.quality === Quality.Missing || own.measurement.quality === Quality.Bad)
      return [
        `${bookName(m)}: my readings give no usable measurement (${describe(own.measurement)}${notes(own.notes)})`,
      ];
    if (toWire(own.measurement) !== toWire(m))
      return [`${bookName(m)}: proposed ${describe(m)}, I measure ${describe(own.measurement)}`];
    if (readingsHashOf([own.readingDigest]) !== p.readingsHash)
      return [`${bookName(m)}: the readings hash is not that of my reading`];
    return [];
  }

  /**
   * Whether the oracle would take a correction of this book's measurement now, and the signed
   * reading a dispute brought (read from the dispute's transaction), if any.
   */
  async correctable(
    key: BookKey,
    now: number,
  ): Promise<{ ok: true; extra: MeterReading[] } | { ok: false; why: string }> {
    const { oracle, market } = this.cfg.contracts;
    const { periodSeconds } = this.ready as { periodSeconds: number };
    if ((key.period + 1) * periodSeconds > now) return { ok: false, why: "its period has not ended" };
    const book = bookFromStruct(key.generator, await market.bookOf(key.generator, key.period));
    if (book.state !== BookState.Open) return { ok: false, why: "no open book (settled, unwound or never filled)" };
    const exception = await oracle.exceptionOf(key.period, key.generator);
    const state = Number(exception.state);
    if (state === MeasurementState.Disputed) return { ok: true, extra: await this.disputedReading(key) };
    if (state === MeasurementState.Corrected) {
      const q = Number(exception.quality);
      return q === Quality.Missing || q === Quality.Bad
        ? { ok: true, extra: [] }
        : { ok: false, why: "corrected already" };
    }
    if (!(await oracle.isMeasured(key.period, book.generatorIndex))) return { ok: true, extra: [] };
    const proof = await findMeasurementProof(oracle, key.generator, key.period, this.cfg.deployBlock);
    const [record] = await oracle.measurementOf(key.period, key.generator, proof);
    const q = Number(record.quality);
    if (q !== Quality.Missing && q !== Quality.Bad) return { ok: false, why: "its reported measurement is usable" };
    const window = Number(await oracle.disputeWindow());
    if (now >= Number(record.recordedAt) + window) return { ok: false, why: "its dispute window has closed" };
    return { ok: true, extra: [] };
  }

  /** The meter reading a generator's dispute showed, from the dispute transaction's calldata. */
  private async disputedReading(key: BookKey): Promise<MeterReading[]> {
    const { oracle } = this.cfg.contracts;
    const { periodSeconds } = this.ready as { periodSeconds: number };
    // A dispute comes after its period ended: the search starts at the block where it did.
    const from = await periodSearchStart(
      providerOf(oracle),
      key.period + 1,
      periodSeconds,
      this.cfg.deployBlock,
      this.cfg.maxBlockRange ?? DEFAULT_MAX_BLOCK_RANGE,
    );
    const logs = await queryLogs(
      oracle,
      oracle.filters.MeasurementDisputed(key.period, key.generator),
      from,
      undefined,
      this.cfg.maxBlockRange,
    );
    const out: MeterReading[] = [];
    for (const l of logs) {
      const tx = await l.getTransaction();
      const call = (oracle as unknown as Contract).interface.parseTransaction({ data: tx.data, value: tx.value });
      if (call?.name !== "dispute") continue;
      const [reading, signature] = call.args as unknown as [
        { meter: string; period: bigint; actualWh: bigint; quality: bigint; readAt: bigint },
        string,
      ];
      out.push({
        meter: reading.meter,
        period: Number(reading.period),
        energyWh: reading.actualWh,
        quality: "OK",
        timestamp: Number(reading.readAt),
        signature,
        origin: `dispute transaction ${tx.hash}`,
      });
    }
    return out;
  }

  private prune(now: number): void {
    for (const [period, s] of Object.entries(this.state.data.reports))
      if (s.deadline < now - 86_400) delete this.state.data.reports[period];
    for (const [id, s] of Object.entries(this.state.data.corrections))
      if (s.deadline < now - 86_400) delete this.state.data.corrections[id];
  }

  private async now(): Promise<number> {
    const provider = this.cfg.contracts.market.runner?.provider;
    const block = await provider?.getBlock("latest");
    if (!block) throw new Error("the node returned no latest block");
    return block.timestamp;
  }

  private serial<T>(work: () => Promise<T>): Promise<T> {
    const run = this.queue.then(work, work);
    this.queue = run.catch(() => undefined);
    return run;
  }
}

function checkedPeriod(period: unknown): number {
  if (!Number.isSafeInteger(period) || (period as number) < 0)
    throw new RangeError(`reportPeriod ${period} is not a period`);
  return period as number;
}

const QUALITY_NAMES = ["OK", "MISSING", "ESTIMATED", "BAD"];

/** "actual 300 Wh, baseline 302 Wh, delivered −2 Wh, OK" */
export function describe(m: MeasurementData): string {
  return (
    `actual ${m.actualWh} Wh, baseline ${m.baselineWh} Wh, delivered ${m.deliveredWh} Wh, ` +
    `${QUALITY_NAMES[m.quality] ?? `quality ${m.quality}`}`
  );
}

const notes = (n: readonly string[]): string => (n.length > 0 ? ` (${n.join("; ")})` : "");

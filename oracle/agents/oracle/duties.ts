/**
 * What an oracle operator does on its own, so that settlement never depends on the centre being
 * honest or alive (docs/oracle.md):
 *
 *   stand in     when no report for the current period has landed some time after the reading
 *                grace — later for each rank, the ranks rotating with the period — the operator
 *                proposes one itself: the measurements k operators agree on, no study (offers are
 *                the centre's business), and relays it with its own key;
 *   correct      a reported MISSING or BAD measurement for which a reading has arrived inside the
 *                dispute window, a disputed one (the dispute's signed reading is screened like any
 *                other), and a book of an earlier period that no report measured (a proposer that
 *                leaves a delivery out does not stop it being measured): the operator proposes the
 *                correction to the others and relays it once k signed.
 */
import type { Signer } from "ethers";
import type { GridSwapContracts } from "../../chain/deploy";
import { MeasurementState, Quality } from "../../chain/enums";
import { bookKeyId, type BookKey, type MeasurementData } from "../../chain/market-data";
import { findMeasurementProof, readReportMeasurements } from "../../chain/measurement-proofs";
import { noProof } from "../../chain/measurement-tree";
import { DEFAULT_MAX_BLOCK_RANGE, providerOf, queryLogs } from "../../chain/logs";
import { periodSearchStart } from "../../chain/clock";
import { sendGuarded, txRecord, type TxRecord } from "../../chain/tx";
import type { RetryOptions } from "../../chain/retry";
import type { OracleOperator } from "./operator";
import { describe } from "./operator";
import { bookName, isSignature, readingsHashOf, type OperatorClient } from "./protocol";
import type { SelectionVerdict } from "./study-bids";
import { collectReport } from "./proposer";

export interface DutiesConfig {
  readonly contracts: GridSwapContracts;
  readonly deployBlock: number;
  readonly operator: OracleOperator;
  /** The other operators, as this one reaches them. */
  readonly peers: readonly OperatorClient[];
  /** Sends the reports and corrections it makes (its own oracle key, funded with gas). */
  readonly relayer: Signer;
  /** Reading grace time after a period's end, s (the centre reports after it). */
  readonly readingGraceSeconds: number;
  /** Wait per rank before standing in for a missing report, s (default a tenth of a period). */
  readonly standInAfterSeconds?: number;
  /** Whether it stands in at all (default true). */
  readonly standIn?: boolean;
  readonly retry?: RetryOptions;
  readonly log?: (line: string) => void;
}

export interface DutiesTick {
  readonly period: number;
  /** The report it landed as a stand-in proposer, if any. */
  readonly reported?: number;
  readonly corrected: BookKey[];
  /** The bid selections published since the last tick, each checked against the operator's own study. */
  readonly selections: SelectionVerdict[];
  readonly transactions: TxRecord[];
}

export class OperatorDuties {
  private readonly log: (line: string) => void;

  constructor(private readonly cfg: DutiesConfig) {
    this.log = cfg.log ?? (() => undefined);
  }

  async tick(): Promise<DutiesTick> {
    const { oracle } = this.cfg.contracts;
    const { address, periodSeconds } = await this.cfg.operator.prepare();
    const transactions: TxRecord[] = [];
    const now = await this.now();
    const period = Math.floor(now / periodSeconds);
    const signers = [...(await oracle.signers())].map((s) => s.toLowerCase()).sort();
    const n = signers.length;
    const mine = signers.indexOf(address.toLowerCase());
    const rank = (x: number): number => (((mine - x) % n) + n) % n;
    let reported: number | undefined;
    if (this.cfg.standIn !== false && !(await oracle.hasReport(period))) {
      const after = this.cfg.standInAfterSeconds ?? Math.ceil(periodSeconds / 10);
      const due = period * periodSeconds + this.cfg.readingGraceSeconds + after * (1 + rank(period));
      if (now >= due) reported = await this.standIn(period, now, periodSeconds, transactions);
    }
    const corrected = await this.correct(period, now, periodSeconds, rank, transactions);
    const selections = await this.cfg.operator.verifySelections();
    for (const v of selections)
      this.log(
        `selection of period ${v.period} by ${v.centre}: ${v.matches ? "verified" : "DOES NOT VERIFY"} — ${v.why}`,
      );
    return { period, reported, corrected, selections, transactions };
  }

  private async standIn(
    period: number,
    now: number,
    periodSeconds: number,
    txs: TxRecord[],
  ): Promise<number | undefined> {
    const { oracle } = this.cfg.contracts;
    const { address } = await this.cfg.operator.prepare();
    this.log(`period ${period}: no report yet; standing in as proposer`);
    const outcome = await collectReport({
      operators: [this.cfg.operator, ...this.cfg.peers],
      threshold: Number(await oracle.threshold()),
      reportPeriod: period,
      configEpoch: Number(await oracle.configEpoch()),
      deadline: now + Math.ceil(periodSeconds / 2),
      proposer: `operator ${address} (stand-in)`,
      log: this.log,
    });
    for (const r of outcome.refusals) this.log(`period ${period}: ${r.operator} refused: ${r.reasons.join("; ")}`);
    for (const u of outcome.unreachable) this.log(`period ${period}: ${u.operator} did not answer: ${u.problem}`);
    if (!outcome.signed) {
      this.log(`period ${period}: the stand-in report has too few signatures`);
      return undefined;
    }
    const { proposal, signatures } = outcome.signed;
    const relayer = this.cfg.relayer;
    const result = await sendGuarded(
      relayer,
      () => oracle.connect(relayer).submitReport.populateTransaction(proposal.report, proposal.deadline, signatures),
      { label: `stand-in report period ${period}`, isDone: () => oracle.hasReport(period), retry: this.retry() },
    );
    const record = txRecord(`stand-in report period ${period}`, result);
    if (record) txs.push(record);
    if (result.status === "already-done") return undefined;
    this.log(
      `period ${period}: landed the stand-in report with ${proposal.report.measurements.length} measurement(s) ` +
        `(${signatures.length} signatures, ${result.receipt?.gasUsed} gas)`,
    );
    return period;
  }

  /** Corrections this operator proposes now, each relayed once k operators signed it. */
  private async correct(
    period: number,
    now: number,
    periodSeconds: number,
    rank: (x: number) => number,
    txs: TxRecord[],
  ): Promise<BookKey[]> {
    const { oracle } = this.cfg.contracts;
    const candidates = new Map<string, BookKey>();
    // Reported MISSING or BAD, still inside the dispute window.
    const window = Number(await oracle.disputeWindow());
    const reportsBack = Math.ceil(window / periodSeconds) + 1;
    for (let rp = Math.max(0, period - reportsBack); rp <= period; rp++) {
      if (!(await oracle.hasReport(rp))) continue;
      const from = await periodSearchStart(
        providerOf(oracle),
        rp,
        periodSeconds,
        this.cfg.deployBlock,
        DEFAULT_MAX_BLOCK_RANGE,
      );
      for (const m of await readReportMeasurements(oracle, rp, from)) {
        const q = Number(m.quality);
        if (q === Quality.Missing || q === Quality.Bad)
          candidates.set(bookKeyId({ generator: String(m.generator), period: Number(m.period) }), {
            generator: String(m.generator),
            period: Number(m.period),
          });
      }
    }
    // Disputed (recent disputes; a corrected one is skipped below).
    const from = Math.max(
      this.cfg.deployBlock,
      (await this.cfg.contracts.oracle.runner!.provider!.getBlockNumber()) - 5_000,
    );
    for (const l of await queryLogs(oracle, oracle.filters.MeasurementDisputed(), from)) {
      const key = { generator: l.args.generator, period: Number(l.args.period) };
      candidates.set(bookKeyId(key), key);
    }
    // Books of periods before the last report's that no report measured.
    for (const key of await this.cfg.operator.unmeasured(period - 1)) candidates.set(bookKeyId(key), key);

    const corrected: BookKey[] = [];
    for (const key of candidates.values()) {
      // One operator per measurement goes first; the others only if it did not.
      if (now < (key.period + 1) * periodSeconds + this.cfg.readingGraceSeconds + 5 * rank(key.period)) continue;
      const own = await this.cfg.operator.correctionFor(key);
      if (!own) continue;
      const q = own.measurement.quality;
      if (q === Quality.Missing || q === Quality.Bad) continue;
      if (await this.correctOne(key, own, now, periodSeconds, txs)) corrected.push(key);
    }
    return corrected;
  }

  private async correctOne(
    key: BookKey,
    own: { measurement: MeasurementData; readingDigest: string },
    now: number,
    periodSeconds: number,
    txs: TxRecord[],
  ): Promise<boolean> {
    const { oracle } = this.cfg.contracts;
    const { address } = await this.cfg.operator.prepare();
    const proposal = {
      measurement: own.measurement,
      readingsHash: readingsHashOf([own.readingDigest]),
      deadline: now + Math.ceil(periodSeconds / 2),
      configEpoch: Number(await oracle.configEpoch()),
      proposer: `operator ${address}`,
    };
    const threshold = Number(await oracle.threshold());
    const signatures: string[] = [];
    const refusals: string[] = [];
    await Promise.all(
      [this.cfg.operator, ...this.cfg.peers].map(async (o) => {
        try {
          const answer = await o.signCorrection(proposal);
          if (isSignature(answer)) signatures.push(answer.signature);
          else if ("refused" in answer) refusals.push(`${o.name}: ${answer.refused.join("; ")}`);
        } catch (e) {
          refusals.push(`${o.name} did not answer: ${(e as Error).message}`);
        }
      }),
    );
    if (signatures.length < threshold) {
      this.log(
        `correction of ${bookName(key)}: ${signatures.length} of ${threshold} signatures (${refusals.join(" | ")})`,
      );
      return false;
    }
    const isMeasuredReport = await findMeasurementProof(oracle, key.generator, key.period, this.cfg.deployBlock);
    const exception = await oracle.exceptionOf(key.period, key.generator);
    const proof =
      Number(exception.state) === MeasurementState.None ? isMeasuredReport : noProof(key.generator, key.period);
    const relayer = this.cfg.relayer;
    const result = await sendGuarded(
      relayer,
      () =>
        oracle
          .connect(relayer)
          .correctMeasurement.populateTransaction(
            own.measurement,
            proposal.readingsHash,
            proposal.deadline,
            signatures,
            proof,
          ),
      {
        label: `correct ${bookName(key)}`,
        isDone: async () => {
          const e = await oracle.exceptionOf(key.period, key.generator);
          return Number(e.state) === MeasurementState.Corrected && Number(e.quality) === own.measurement.quality;
        },
        retry: this.retry(),
      },
    );
    const record = txRecord(`correct ${bookName(key)}`, result);
    if (record) txs.push(record);
    if (result.status === "mined")
      this.log(`corrected ${bookName(key)}: ${describe(own.measurement)} (${signatures.length} signatures)`);
    return result.status === "mined";
  }

  private retry(): RetryOptions {
    return { ...this.cfg.retry, log: this.log };
  }

  private async now(): Promise<number> {
    const block = await this.cfg.contracts.market.runner?.provider?.getBlock("latest");
    if (!block) throw new Error("the node returned no latest block");
    return block.timestamp;
  }
}

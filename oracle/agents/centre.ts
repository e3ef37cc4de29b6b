/**
 * The power quality centre and its oracle, once per period P (the paper's centre, on v2):
 *
 *   1. read the chain's new logs (offers, fills, settlements) from the last block read;
 *   2. measure: the deliveries of ended periods with open positions, from meter readings and the
 *      baseline each position names (a meter-data problem means no report this step, never a
 *      wrong one);
 *   3. study the next delivery period P+1: load flow, limits, redispatch, prices, offers;
 *   4. report period P with k oracle signatures — the study's violations and prices and the
 *      measurements — and, in the same transaction, settle every position whose measurement is
 *      final (up to a gas budget); settle the rest in bounded batches; unwind what never will be;
 *   5. make sure its free USD in the market's vault covers the offers, then sign and post them
 *      for delivery in P+1 (fills close before P+1 starts).
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
import { GEN } from "../grid/case/columns";
import type { PowerCase } from "../grid/case/types";
import { runPeriod, type Forecasts, type PeriodResult } from "../market/period";
import type { Offer } from "../market/prices";
import { readMarketEvents, isOfferPosted, DEFAULT_MAX_BLOCK_RANGE, type FillRecord } from "../chain/board";
import { chainNow } from "../chain/clock";
import type { GridSwapContracts } from "../chain/deploy";
import { caseTextHash, inputHash, toOfferData, toReport } from "../chain/encode";
import { Asset, BaselineMethod, MeasurementState } from "../chain/enums";
import { ConfigurationError, describeChainError, isTransient } from "../chain/errors";
import {
  offerStruct,
  positionStruct,
  toJsonObject,
  fromJsonObject,
  type MeasurementData,
  type OfferData,
  type PositionData,
} from "../chain/market-data";
import { sendGuarded, txRecord, type SendOptions, type SendResult, type TxRecord } from "../chain/tx";
import { readDomain, signOffer, signReport } from "../chain/typed-data";
import type { RetryOptions } from "../chain/retry";
import {
  BASELINE_METHOD_CODE,
  QUALITY_CODE,
  MeterDataError,
  meanPowerMwToWh,
  measureDeliveries,
  readingPeriods,
  readingsHash,
  validateReadings,
  type BaselineSpec,
  type MeterSource,
  type MeterReading,
} from "./metering";
import { failpoint } from "./failpoints";
import { checkAnchor, StateFile, type AnchoredState } from "./state";

/** The market's SETTLEMENT_GAS_RESERVE, and a settlement's gas with margin (measured ~31,000–68,000). */
const SETTLEMENT_RESERVE_GAS = 60_000n;
const SETTLEMENT_GAS_PER_POSITION = 90_000n;

/** An offer to post: a priced adjustment, optionally reserved for one wallet and numbered as a part. */
export type PlannedOffer = Offer & { readonly reservedFor?: string; readonly part?: number };

type ReadyPosition = { readonly hash: string; readonly position: PositionData };

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
  /** The baseline method offers name (default Nominated: the schedule the centre solved). */
  readonly baseline?: { readonly method: "Nominated" | "RollingAverage" | "MeterBefore"; readonly days?: number };
  readonly holidays?: readonly string[];
  /** Measurements per report at most (the rest go in later reports; default 100, contract max 300). */
  readonly maxMeasurementsPerReport?: number;
  /** Gas the report transaction may spend on pushed settlements (default 5,000,000). */
  readonly settlementGasBudget?: number;
  /** Positions per settleMany call (default 100, contract max 500). */
  readonly settlementBatch?: number;
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
  /** Positions settled by this step (pushed in the report or in batches), unwound, and offers posted. */
  readonly settled: string[];
  readonly unwound: string[];
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
  /** Open positions by hash (JSON form). */
  positions: Record<string, Record<string, unknown>>;
  /** Delivery period → node → scheduled output of the unit there, MW (the nominated baseline). */
  schedules: Record<string, Record<string, number>>;
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
    this.state = new StateFile<CentreState>(cfg.statePath, () => ({
      lastBlock: cfg.deployBlock - 1,
      positions: {},
      schedules: {},
    }));
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
    const { contracts: c } = this.cfg;
    const periodSeconds = this.periodSeconds as number;
    const provider = c.market.runner?.provider;
    if (!provider) throw new Error("the market contract has no provider");
    const now = await chainNow(provider);
    const period = Math.floor(now / periodSeconds);
    const deliveryPeriod = period + 1;
    const problems: string[] = [];
    await this.readLogs();

    // 2. Measurements of ended periods (none may be wrong: a meter-data problem stops the report).
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
    this.remember(deliveryPeriod, study);

    // 4. Report P (with pushed settlement), then the settlement batches and unwinds.
    let reported = false;
    const settled: string[] = [];
    const ready = await this.readyPositions();
    if (!measureFailed) {
      const hash = inputHash({ case: caseTextHash(this.cfg.caseText), forecasts });
      reported = await this.report(period, now, study, hash, measurements, usedReadings, ready, settled);
    }
    // Looked at again after the report: time has passed, and measurements may have become final.
    const done = new Set(settled);
    settled.push(...(await this.settleFinal((await this.readyPositions()).filter((p) => !done.has(p.hash)))));
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
   * Settles every position whose measurement has become final and unwinds what never will be,
   * between steps (a measurement becomes final during a period, one dispute window after its report).
   */
  async settle(): Promise<{ settled: string[]; unwound: string[]; transactions: TxRecord[] }> {
    await this.prepare();
    this.txs = [];
    await this.readLogs();
    const settled = await this.settleFinal(await this.readyPositions());
    const now = await chainNow(this.cfg.contracts.market.runner!.provider!);
    const unwound = await this.unwindExpired(now);
    this.state.save();
    return { settled, unwound, transactions: this.txs };
  }

  /** The output the centre scheduled for the unit at `node` in `period` (its study), MW; undefined if not studied. */
  scheduledMW(period: number, node: number): number | undefined {
    return this.state.data.schedules[period]?.[node];
  }

  // -------------------------------------------------------------------------------------------

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

  /** Reads new market logs and keeps the index of open positions. */
  private async readLogs(): Promise<void> {
    const s = this.state.data;
    const provider = this.cfg.contracts.market.runner?.provider;
    const latest = await provider!.getBlockNumber();
    if (latest <= s.lastBlock) return;
    const events = await readMarketEvents(
      this.cfg.contracts.market,
      s.lastBlock + 1,
      latest,
      this.cfg.maxBlockRange ?? DEFAULT_MAX_BLOCK_RANGE,
    );
    for (const f of events.fills) s.positions[f.positionHash] = toJsonObject(f.position);
    for (const x of [...events.settlements, ...events.unwinds]) delete s.positions[x.positionHash];
    s.lastBlock = events.toBlock;
  }

  private openPositions(): { hash: string; position: PositionData }[] {
    return Object.entries(this.state.data.positions).map(([hash, p]) => ({
      hash,
      position: fromJsonObject<PositionData>(p),
    }));
  }

  /** Keeps each unit's scheduled output in the studied delivery period: the nominated baseline. */
  private remember(deliveryPeriod: number, study: PeriodResult): void {
    const op = this.cfg.case.operation;
    const byNode: Record<string, number> = {};
    for (const u of op?.units ?? []) {
      const node = this.cfg.case.gen[u.gen - 1][GEN.GEN_BUS];
      byNode[node] ??= study.loadFlow.gens[u.gen - 1].pg;
    }
    const s = this.state.data;
    s.schedules[deliveryPeriod] = byNode;
    // Keep a day of schedules (what a rolling baseline or a late measurement may need).
    const keep = Math.max(48, Math.ceil(86400 / (this.periodSeconds as number)));
    for (const p of Object.keys(s.schedules)) if (Number(p) < deliveryPeriod - keep) delete s.schedules[p];
  }

  /** Measurements of ended delivery periods that have open positions and no measurement yet. */
  private async measure(
    period: number,
    now: number,
  ): Promise<{ measurements: MeasurementData[]; readings: MeterReading[] }> {
    const { oracle, registry } = this.cfg.contracts;
    const periodSeconds = this.periodSeconds as number;
    const wanted = new Map<string, { generator: string; period: number; method: number; days: number }>();
    for (const { position: p } of this.openPositions()) {
      if (p.period >= period) continue; // still running or in the future
      const key = `${p.generator.toLowerCase()}:${p.period}`;
      if (wanted.has(key)) continue;
      const [record] = await oracle.measurementOf(p.period, p.generator);
      if (Number(record.state) !== MeasurementState.None) continue;
      wanted.set(key, { generator: p.generator, period: p.period, method: p.baseline, days: p.baselineDays });
    }
    const max = Math.min(this.cfg.maxMeasurementsPerReport ?? 100, 300);
    const todo = [...wanted.values()].sort((a, b) => a.period - b.period).slice(0, max);
    if (todo.length === 0) return { measurements: [], readings: [] };

    // Meter keys from the registry; the baseline each position agreed on.
    const generatorOf = new Map<string, string>();
    const nodeOf = new Map<string, number>();
    for (const t of todo) {
      const [node, meterKey] = await registry.generatorOf(t.generator);
      nodeOf.set(t.generator.toLowerCase(), Number(node));
      if (meterKey !== ZeroAddress) generatorOf.set(meterKey, t.generator);
    }
    const deliveries = todo.map((t) => ({
      generator: t.generator,
      period: t.period,
      baseline: this.baselineSpec(t.method, t.days, nodeOf.get(t.generator.toLowerCase()) ?? 0, t.period),
    }));
    const periods = [...new Set(deliveries.flatMap((d) => readingPeriods(d.baseline, d.period, periodSeconds)))];
    const readings = await this.cfg.meters.read({ meters: [...generatorOf.keys()], periods });
    validateReadings(readings, {
      generatorOf,
      now,
      periodSeconds,
      signatures: this.cfg.requireSignedReadings
        ? { domain: (this.domains as { oracle: TypedDataDomain }).oracle, required: true }
        : undefined,
    });
    const measured = measureDeliveries({ readings, generatorOf, periodSeconds, deliveries });
    for (const m of measured) {
      if (m.quality !== "OK")
        this.log(`measurement of ${m.generator} in period ${m.period}: ${m.quality} — ${m.notes.join("; ")}`);
    }
    return {
      measurements: measured.map((m) => ({
        generator: m.generator,
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

  private baselineSpec(method: number, days: number, node: number, period: number): BaselineSpec {
    if (method === BaselineMethod.RollingAverage) {
      return { method: "RollingAverage", days, holidays: this.cfg.holidays };
    }
    if (method === BaselineMethod.MeterBefore) return { method: "MeterBefore" };
    const mw = this.state.data.schedules[period]?.[node];
    const scheduleWh = new Map<number, bigint>();
    if (mw !== undefined) scheduleWh.set(period, meanPowerMwToWh(mw, this.periodSeconds as number));
    return { method: "Nominated", scheduleWh };
  }

  /** Reports period P (unless it is on chain) and pushes the settlement of `ready` positions. */
  private async report(
    period: number,
    now: number,
    study: PeriodResult,
    hash: string,
    measurements: MeasurementData[],
    readings: MeterReading[],
    ready: readonly ReadyPosition[],
    settled: string[],
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
    const structs = ready.slice(0, this.cfg.settlementBatch ?? 100).map((p) => positionStruct(p.position));
    const result = await this.send(
      relayer,
      async () => {
        // reportAndSettle settles "while gas is left": an estimate would cover the report alone and
        // starve the settlements, so the limit is the report's estimate plus the settlement budget.
        const reportOnly = await market
          .connect(relayer)
          .reportAndSettle.estimateGas(report, deadline, signatures, [], 0);
        const gasLimit = reportOnly + BigInt(budget) + SETTLEMENT_RESERVE_GAS + BigInt(structs.length) * 4_000n;
        return market
          .connect(relayer)
          .reportAndSettle.populateTransaction(report, deadline, signatures, structs, budget, { gasLimit });
      },
      { label: `report period ${period}`, isDone: () => oracle.hasReport(period), retry: this.retry() },
    );
    if (result.status === "already-done") return false;
    failpoint("centre:after-report");
    settled.push(...this.settledIn(result.receipt));
    this.log(
      `period ${period}: reported ${report.violations.length} violation(s), ${report.prices.length} price(s), ` +
        `${measurements.length} measurement(s); settled ${settled.length} position(s) in the same transaction ` +
        `(${result.receipt?.gasUsed} gas)`,
    );
    return true;
  }

  /** Positions a receipt settled (its Settled events). */
  private settledIn(receipt: TransactionReceipt | undefined): string[] {
    const { market } = this.cfg.contracts;
    const out: string[] = [];
    for (const log of receipt?.logs ?? []) {
      const parsed = (() => {
        try {
          return market.interface.parseLog(log);
        } catch {
          return null;
        }
      })();
      if (parsed?.name === "Settled") out.push(parsed.args.positionHash as string);
    }
    return out;
  }

  /** Open positions whose settlement the market would accept now (final, usable measurement). */
  private async readyPositions(): Promise<ReadyPosition[]> {
    const out = [];
    for (const p of this.openPositions()) {
      const [ready] = await this.cfg.contracts.market.previewSettlement(positionStruct(p.position));
      if (ready) out.push(p);
    }
    return out;
  }

  /**
   * settleMany in bounded batches. A batch sent again after a lost answer is harmless: positions
   * already settled are skipped by the market, never paid twice.
   */
  private async settleFinal(ready: readonly ReadyPosition[]): Promise<string[]> {
    const { market } = this.cfg.contracts;
    const batch = this.cfg.settlementBatch ?? 100;
    const settled: string[] = [];
    for (let i = 0; i < ready.length; i += batch) {
      const chunk = ready.slice(i, i + batch);
      const structs = chunk.map((p) => positionStruct(p.position));
      // A generous limit: settleMany stops early instead of failing, so an estimate would settle one.
      const gasLimit = 100_000n + SETTLEMENT_RESERVE_GAS + BigInt(structs.length) * SETTLEMENT_GAS_PER_POSITION;
      const result = await this.send(
        this.cfg.centre,
        () => market.connect(this.cfg.centre).settleMany.populateTransaction(structs, { gasLimit }),
        { label: `settle ${chunk.length} position(s)`, retry: this.retry() },
      );
      settled.push(...this.settledIn(result.receipt));
    }
    if (settled.length > 0)
      this.log(`settled ${settled.length} position(s): ${settled.map((h) => h.slice(0, 10)).join(", ")}`);
    return settled;
  }

  /** Unwinds positions whose measurement was never final and usable within the grace time. */
  private async unwindExpired(now: number): Promise<string[]> {
    const { market } = this.cfg.contracts;
    const terms = await market.terms();
    const out: string[] = [];
    for (const { hash, position } of this.openPositions()) {
      const unwindableAt =
        (position.period + 1) * (this.periodSeconds as number) + Number(terms.settlementGraceSeconds);
      if (now < unwindableAt) continue;
      const struct = positionStruct(position);
      const [ready] = await market.previewSettlement(struct);
      if (ready) continue;
      await this.send(this.cfg.centre, () => market.connect(this.cfg.centre).unwind.populateTransaction(struct), {
        label: `unwind ${hash.slice(0, 10)}`,
        isDone: async () => !(await market.isOpen(struct)),
        retry: this.retry(),
      });
      out.push(hash);
      this.log(
        `unwound position ${hash.slice(0, 10)} (period ${position.period}): never measured within the grace time`,
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
    for (const offer of offers) {
      const signature = await signOffer(this.cfg.centre, domain, offerStruct(offer));
      const offerHash = await market.hashOffer(offerStruct(offer));
      try {
        const r = await this.send(
          this.cfg.centre,
          () => market.connect(this.cfg.centre).post.populateTransaction(offerStruct(offer), signature),
          {
            label: `post offer of node ${offer.node}`,
            isDone: () => isOfferPosted(market, offerHash, this.cfg.deployBlock, this.cfg.maxBlockRange),
            retry: this.retry(),
          },
        );
        posted.push({ offerHash, offer });
        failpoint("centre:after-post");
        if (r.status === "mined") {
          this.log(
            `period ${period}: posted offer ${offerHash.slice(0, 10)} for period ${deliveryPeriod}: ` +
              `${offer.direction === 0 ? "raise" : "lower"} ${Number(offer.amountWh) / 1000} kWh at node ${offer.node} ` +
              `for ${(Number(offer.usd) / 1e8).toFixed(8)} USD, fills until ${new Date(closesAt * 1000).toISOString()}`,
          );
        }
      } catch (e) {
        // One offer's failure does not stop the others (finding GS-07) — unless the node is gone,
        // which fails the step (the loop reports the outage and retries).
        if (isTransient(e)) throw e;
        const why = describeChainError(e);
        dropped.push(`node ${offer.node}: ${why}`);
        this.log(`period ${period}: offer for node ${offer.node} not posted — ${why}`);
      }
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

/** Positions of `fills` by hash (helper for callers that track fills themselves). */
export function positionsByHash(fills: readonly FillRecord[]): Map<string, PositionData> {
  return new Map(fills.map((f) => [f.positionHash, f.position]));
}

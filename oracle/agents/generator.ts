/**
 * A generator's wallet as an agent: read the bulletin board, decide each offer for its node by its
 * policy (its book in the period — remaining capacity, direction, centre — read from chain state:
 * finding GS-06), fill with its kWh commitment from the market's vault and its own nomination (its
 * planned output, the baseline it will be measured against), confirm the fill on chain (finding
 * GS-08), and log every decision, fill, payment and penalty — once, when it happens. A fill takes
 * what is left of an offer when a rival took part of it first (finding GS-16): the log says how
 * much it got.
 *
 * An offer counts as decided only after its outcome is on chain: a fill whose answer was lost, or
 * a node that rolled back, is looked at again at the next poll (sendGuarded re-checks the chain
 * before every send, so it is never filled twice).
 *
 * It follows the chain by block hash (ChainFollower): after a re-org or a node restarted from an
 * earlier state it goes back to the last block still there and decides again what was lost (a
 * fill is re-sent only if no fill of mine is on chain). Its one transaction in flight is written
 * to its state file before it is broadcast (sendGuarded's journal): a restarted process waits for
 * that transaction before it decides anything, so a pending fill counts against its capacity.
 *
 * With its own meter's signed readings (`meter`), it disputes a reported measurement of one of its
 * books that differs from them, inside the dispute window: the oracle operators then correct it.
 */
import type { Signer, TransactionRequest } from "ethers";
import { DEFAULT_MAX_BLOCK_RANGE, readFills, readOffersFor, readOutcomesOf } from "../chain/board";
import { queryLogs } from "../chain/logs";
import { chainNow } from "../chain/clock";
import type { GridSwapContracts } from "../chain/deploy";
import { Asset, BaselineMethod, BookState, Direction, MeasurementState, OfferStatus, Quality } from "../chain/enums";
import { decodeRevert, describeChainError, KeyInUseError } from "../chain/errors";
import {
  bookFromStruct,
  fillFromEvent,
  fromJsonObject,
  offerStruct,
  toJsonObject,
  type BookKey,
  type FillData,
  type OfferData,
  type SettlementData,
} from "../chain/market-data";
import { meanPowerMwToWh } from "./metering/units";
import { readingMessage, type MeterSource } from "./metering";
import { findMeasurementProof } from "../chain/measurement-proofs";
import type { RetryOptions } from "../chain/retry";
import {
  awaitInFlight,
  sendGuarded,
  txRecord,
  type SendJournal,
  type SendOptions,
  type SendResult,
  type TxRecord,
} from "../chain/tx";
import type { BidBook } from "../../typechain-types";
import { Bidder, bidQuantityWh, type BidPolicy, type BiddingTick, type KeptBid } from "./bidding";
import {
  checkPolicy,
  decide,
  decideSelected,
  plannedMW,
  staticRejection,
  type GeneratorPolicy,
} from "../chain/fill-rule";
import { failpoint } from "./failpoints";
import { ChainFollower, type FollowedState } from "./follow";
import { StateFile, stateJournal } from "./state";
import { topUpVault } from "./vault";
import { kwhText, usdText, whToKwh } from "../chain/units";

export interface GeneratorAgentConfig {
  readonly contracts: GridSwapContracts;
  readonly deployBlock: number;
  readonly wallet: Signer;
  readonly policy: GeneratorPolicy;
  /** Its own meter's signed readings: a reported measurement that differs from them is disputed. */
  readonly meter?: MeterSource;
  /**
   * Sealed bids (docs/bids.md): it commits and reveals a bid for each coming period from `policy`,
   * and fills the reserved offers of periods its bid was selected in without re-deciding them.
   */
  readonly bids?: { readonly book: BidBook; readonly policy: BidPolicy };
  readonly statePath?: string;
  /**
   * The key is this process's alone (a standalone agent): a nonce it did not use makes it stand
   * by (KeyInUseError). Leave off where other code in the process sends with the same wallet.
   */
  readonly exclusiveKey?: boolean;
  readonly maxBlockRange?: number;
  readonly retry?: RetryOptions;
  readonly log?: (line: string) => void;
}

export interface FillOutcome {
  readonly offerHash: string;
  /** The fill as the Filled event carries it (what it took, the USD escrowed, the book after it). */
  readonly fill: FillData;
}

export interface GeneratorPoll {
  readonly filled: FillOutcome[];
  readonly rejected: { offerHash: string; reason: string }[];
  /** Offers a rival filled (or that closed) before this generator's fill landed. */
  readonly missed: { offerHash: string; reason: string }[];
  /** My books settled: whose (mine), which period, the settlement. */
  readonly settled: { generator: string; period: number; settlement: SettlementData }[];
  readonly unwound: BookKey[];
  /** My books whose reported measurement I disputed with my meter's signed reading. */
  readonly disputed: BookKey[];
  /** My sealed bids: committed, revealed, and out of their auction (empty when not bidding). */
  readonly bids: BiddingTick;
  /** Every transaction this poll mined, with its gas. */
  readonly transactions: TxRecord[];
}

interface GeneratorState extends FollowedState {
  lastBlock: number;
  /** Offers for my node not decided yet (JSON form, with the block that posted them). */
  pending: Record<string, { offer: Record<string, unknown>; signature: string; block?: number }>;
  /** Decided offers (hash → delivery period and outcome), forgotten once their period is over. */
  decided: Record<string, { period: number; outcome: string }>;
  /** My open books, by period: what I committed (Wh, as a decimal string). */
  books: Record<string, string>;
  /** Periods whose measurement I disputed (once each). */
  disputed?: Record<string, true>;
  /** My sealed bids by delivery period, salts included (forgotten once the period has begun). */
  bids?: Record<string, KeptBid>;
}

export class GeneratorAgent {
  private readonly log: (line: string) => void;
  /** Transactions mined since the current step or poll began. */
  private txs: TxRecord[] = [];
  /** The market's terms (fixed at deployment). */
  private terms?: Awaited<ReturnType<GridSwapContracts["market"]["terms"]>>;
  private readonly state: StateFile<GeneratorState>;
  private follower?: ChainFollower<GeneratorState>;
  private readonly journal: SendJournal;
  private readonly bidder?: Bidder;

  constructor(private readonly cfg: GeneratorAgentConfig) {
    checkPolicy(cfg.policy);
    this.log = cfg.log ?? (() => undefined);
    this.state = new StateFile<GeneratorState>(
      cfg.statePath,
      () => this.initialState(),
      3,
      (version, old) =>
        // Version 2 kept decided offers as bare outcomes: forget them (their offers are past or re-read).
        version === 2 ? { ...(old as GeneratorState), decided: {} } : undefined,
    );
    this.journal = stateJournal(this.state, cfg.exclusiveKey === true);
    if (cfg.bids) {
      this.bidder = new Bidder({
        book: cfg.bids.book,
        registry: cfg.contracts.registry,
        wallet: cfg.wallet,
        who: cfg.policy,
        policy: cfg.bids.policy,
        kept: () => (this.state.data.bids ??= {}),
        save: () => this.state.save(undefined, { durable: true }),
        send: (send, label) =>
          this.recorded(label, send({ label, journal: this.journal, retry: { ...cfg.retry, log: this.log } })),
        log: this.log,
      });
    }
  }

  private initialState(): GeneratorState {
    return { lastBlock: this.cfg.deployBlock - 1, pending: {}, decided: {}, books: {} };
  }

  get address(): string {
    return this.cfg.policy.address;
  }

  /** Reads what is new on chain, decides every pending offer and reports what happened. */
  async poll(): Promise<GeneratorPoll> {
    this.txs = [];
    const out: GeneratorPoll = {
      filled: [],
      rejected: [],
      missed: [],
      settled: [],
      unwound: [],
      disputed: [],
      bids: { committed: [], revealed: [], out: [] },
      transactions: this.txs,
    };
    const { market } = this.cfg.contracts;
    const provider = market.runner!.provider!;
    this.follower ??= new ChainFollower(this.state, {
      provider,
      market: await market.getAddress(),
      deployBlock: this.cfg.deployBlock,
      initial: () => this.initialState(),
      log: this.log,
    });
    // A transaction of mine still in flight (a restart, or a step that gave up waiting) comes first.
    await awaitInFlight(this.cfg.wallet, this.journal, { retry: { ...this.cfg.retry, log: this.log } });
    const before = this.remembered();
    const { head, rewoundTo } = await this.follower.sync();
    if (rewoundTo !== undefined) this.logRewind(before);
    this.terms ??= await market.terms();
    await this.readLogs(out, head.number);
    this.follower.checkpoint(head);
    const s = this.state.data;
    const now = await chainNow(provider);
    const terms = this.terms;
    const periodSeconds = Number(terms.periodSeconds);
    this.forgetPast(Math.floor(now / periodSeconds));
    if (this.bidder) Object.assign(out, { bids: await this.bidder.tick(now) });
    for (const [offerHash, { offer: json, signature, block }] of Object.entries(s.pending)) {
      const offer = fromJsonObject<OfferData>(json);
      // Offers reserved for others or past their deadline need no chain reads.
      const early = staticRejection(this.cfg.policy, offer, now);
      if (early) {
        this.settle(offerHash, offer.period, `rejected: ${early}`);
        out.rejected.push({ offerHash, reason: early });
        if (!/^reserved for /.test(early)) this.log(`offer ${offerHash.slice(0, 10)}: reject — ${early}`);
        continue;
      }
      const [status, filledWh] = await market.offerStatus(offerStruct(offer));
      const closesAt = Math.min(offer.deadline, offer.period * periodSeconds - Number(terms.gateClosureSeconds) - 1);
      const book = bookFromStruct(this.address, await market.bookOf(this.address, offer.period));
      const offerState = { open: Number(status) === OfferStatus.Open, filledWh, closesAt };
      // A reserved offer in a period my revealed bid is in: the selection's, filled as bid.
      const myBid =
        offer.generator.toLowerCase() === this.address.toLowerCase() && this.bidder?.revealedFor(offer.period);
      const decision = myBid
        ? decideSelected(this.cfg.policy, offer, offerState, book, bidQuantityWh(myBid, offer.direction), now)
        : decide(this.cfg.policy, offer, offerState, book, now);
      if (!decision.fill) {
        this.settle(offerHash, offer.period, `rejected: ${decision.reason}`);
        out.rejected.push({ offerHash, reason: decision.reason });
        this.log(
          `offer ${offerHash.slice(0, 10)} (period ${offer.period}, node ${offer.node}): reject — ${decision.reason}`,
        );
        continue;
      }
      this.log(
        `offer ${offerHash.slice(0, 10)} (period ${offer.period}, node ${offer.node}): fill — ${decision.reason}`,
      );
      try {
        if (!(await this.ensureKwh(decision.amountWh))) continue;
        // The nomination is fixed by my first fill of the period: later fills repeat the book's.
        const nominatedWh =
          offer.baseline !== BaselineMethod.Nominated
            ? 0n
            : book.state === BookState.Open
              ? book.nominatedWh
              : meanPowerMwToWh(plannedMW(this.cfg.policy, offer.period), periodSeconds);
        const outcome = await this.fill(offerHash, offer, signature, decision.amountWh, nominatedWh, block);
        const { fill } = outcome;
        this.settle(offerHash, offer.period, `filled: ${fill.amountWh} Wh`);
        s.books[offer.period] = fill.bookCommittedWh.toString();
        out.filled.push(outcome);
        const short =
          fill.amountWh < decision.amountWh
            ? ` (asked for ${kwhText(decision.amountWh)}: a rival took part of the offer first)`
            : "";
        this.log(
          `filled offer ${offerHash.slice(0, 10)}: commit to ${offer.direction === Direction.Increase ? "raise" : "lower"} ` +
            `output by ${kwhText(fill.amountWh)} in period ${offer.period} for ` +
            `${usdText(fill.usd)}${short}; my commitment in the period: ` +
            `${kwhText(fill.bookCommittedWh)} against a nominated ${kwhText(nominatedWh)}`,
        );
      } catch (e) {
        const revert = decodeRevert(e);
        if (e instanceof KeyInUseError) throw e;
        if (revert && ["OfferNotOpen", "FillBelowMinimum"].includes(revert.errorName)) {
          // Whose fills closed it: mine (an earlier transaction of mine landed first) or rivals'.
          const fills = await this.fillsOf(offerHash, block);
          const mine = fills.filter((f) => f.fill.generator.toLowerCase() === this.address.toLowerCase());
          if (mine.length > 0) {
            const fill = mine[mine.length - 1];
            this.settle(offerHash, offer.period, `filled: ${fill.fill.amountWh} Wh`);
            s.books[offer.period] = fill.fill.bookCommittedWh.toString();
            out.filled.push({ offerHash, fill: fill.fill });
            this.log(
              `offer ${offerHash.slice(0, 10)}: already filled by me (${kwhText(fill.fill.amountWh)}, ` +
                `transaction ${fill.transactionHash} in block ${fill.blockNumber}); my second fill reverted (${revert.errorName})`,
            );
            continue;
          }
          const rivals = fills.map((f) => `${f.fill.generator} ${kwhText(f.fill.amountWh)} in block ${f.blockNumber}`);
          const reason =
            revert.errorName === "OfferNotOpen"
              ? `no longer open when my fill landed (${revert.errorName}): ${rivals.length > 0 ? `filled by ${rivals.join(", ")}` : "cancelled or expired"}`
              : `what rivals left is below the offer's minimum fill (${revert.errorName}): filled by ${rivals.join(", ")}`;
          this.settle(offerHash, offer.period, `missed: ${reason}`);
          out.missed.push({ offerHash, reason });
          this.log(`offer ${offerHash.slice(0, 10)}: not filled — ${reason}`);
        } else {
          // Undecided: looked at again at the next poll (e.g. a lost answer, a node outage).
          this.log(`offer ${offerHash.slice(0, 10)}: fill failed, will retry — ${describeChainError(e)}`);
        }
      }
    }
    if (this.cfg.meter) await this.disputeWrongMeasurements(now, out);
    this.state.save();
    return out;
  }

  /**
   * For each open book of an ended period with a reported measurement still inside its dispute
   * window: when my meter's signed OK reading of the period says another energy, dispute it.
   */
  private async disputeWrongMeasurements(now: number, out: GeneratorPoll): Promise<void> {
    const { oracle } = this.cfg.contracts;
    const s = this.state.data;
    s.disputed ??= {};
    const window = Number(await oracle.disputeWindow());
    const meterKey = await this.cfg.contracts.registry.meterKeyOf(this.address);
    for (const periodText of Object.keys(s.books)) {
      const period = Number(periodText);
      if (s.disputed[period]) continue;
      const proof = await findMeasurementProof(oracle, this.address, period, this.cfg.deployBlock);
      if (proof.proof.length === 0 && proof.measurement.generator !== this.address) continue;
      const [record] = await oracle.measurementOf(period, this.address, proof);
      if (Number(record.state) !== MeasurementState.Reported) continue;
      if (![Quality.Ok, Quality.Estimated].includes(Number(record.quality) as 0 | 2)) continue;
      if (now >= Number(record.recordedAt) + window) continue;
      let batch;
      try {
        batch = await (this.cfg.meter as MeterSource).read({ meters: [meterKey], periods: [period] });
      } catch (e) {
        this.log(`cannot read my meter for period ${period}: ${(e as Error).message}`);
        continue;
      }
      const reading = batch.readings.find(
        (r) =>
          r.meter.toLowerCase() === meterKey.toLowerCase() && r.period === period && r.quality === "OK" && r.signature,
      );
      if (!reading || reading.energyWh === BigInt(record.actualWh)) continue;
      const message = readingMessage(this.address, reading);
      await this.send(
        this.cfg.wallet,
        () => oracle.connect(this.cfg.wallet).dispute.populateTransaction(message, reading.signature as string, proof),
        {
          label: `dispute my measurement in period ${period}`,
          isDone: async () => Number((await oracle.exceptionOf(period, this.address)).state) !== MeasurementState.None,
          retry: { ...this.cfg.retry, log: this.log },
        },
      );
      s.disputed[period] = true;
      out.disputed.push({ generator: this.address, period });
      this.log(
        `disputed my measurement in period ${period}: reported ${record.actualWh} Wh, my meter's signed reading ` +
          `says ${reading.energyWh} Wh`,
      );
    }
  }

  /** sendGuarded with my journal, recording what was mined and where. */
  private async send(
    signer: Signer,
    build: () => Promise<TransactionRequest>,
    options: SendOptions,
  ): Promise<SendResult> {
    return this.recorded(options.label, sendGuarded(signer, build, { ...options, journal: this.journal }));
  }

  /** Records a send's mined transaction (its gas, for the poll) and its block (for the follower). */
  private async recorded(label: string, sending: Promise<SendResult>): Promise<SendResult> {
    const result = await sending;
    const record = txRecord(label, result);
    if (record) this.txs.push(record);
    if (result.receipt) this.follower?.acted(result.receipt);
    return result;
  }

  private settle(offerHash: string, period: number, outcome: string): void {
    delete this.state.data.pending[offerHash];
    this.state.data.decided[offerHash] = { period, outcome };
  }

  /** Forgets decided offers of delivery periods before `period`: their logs are behind me. */
  private forgetPast(period: number): void {
    const s = this.state.data;
    for (const [hash, d] of Object.entries(s.decided)) if (d.period < period) delete s.decided[hash];
  }

  /** What a rewind can take back: my open books and the offers I filled. */
  private remembered(): { books: Record<string, string>; filled: Set<string> } {
    const s = this.state.data;
    const filled = new Set(
      Object.entries(s.decided)
        .filter(([, d]) => d.outcome.startsWith("filled"))
        .map(([h]) => h),
    );
    return { books: { ...s.books }, filled };
  }

  /** After going back on the chain: says what of mine was in the lost blocks. */
  private logRewind(before: { books: Record<string, string>; filled: Set<string> }): void {
    const s = this.state.data;
    for (const hash of before.filled) {
      if (!s.decided[hash]?.outcome.startsWith("filled")) {
        this.log(`my fill of offer ${hash.slice(0, 10)} was in a lost block: deciding the offer again`);
      }
    }
    for (const period of Object.keys(s.books)) {
      if (before.books[period] === undefined) {
        this.log(`my book in period ${period} is open again: its settlement was in a lost block`);
      }
    }
    for (const period of Object.keys(before.books)) {
      if (s.books[period] === undefined) this.log(`my commitment in period ${period} was in a lost block`);
    }
  }

  /** New offers for my node up to block `latest`, and the fate of my books (logged once). */
  private async readLogs(out: GeneratorPoll, latest: number): Promise<void> {
    const s = this.state.data;
    const { market } = this.cfg.contracts;
    if (latest <= s.lastBlock) return;
    const from = s.lastBlock + 1;
    const range = this.cfg.maxBlockRange ?? DEFAULT_MAX_BLOCK_RANGE;
    const forMe = { node: this.cfg.policy.node, generator: this.address };
    // Offers I was deciding before these logs (a fill of one that I did not see land is news).
    const deciding = new Set(Object.keys(s.pending));
    for (const p of await readOffersFor(market, from, latest, forMe, range)) {
      if (s.decided[p.offerHash] || s.pending[p.offerHash]) continue;
      s.pending[p.offerHash] = { offer: toJsonObject(p.offer), signature: p.signature, block: p.blockNumber };
    }
    for (const f of await readFills(market, { generator: this.address }, from, range, latest)) {
      s.books[f.fill.period] = f.fill.bookCommittedWh.toString();
      // A fill of mine I did not see land (sent before a restart, or its answer lost): decided.
      // One of an offer first read now (an agent reading its history afresh) is decided quietly.
      if (s.pending[f.fill.offerHash]) {
        this.settle(f.fill.offerHash, f.fill.period, `filled: ${f.fill.amountWh} Wh`);
        if (!deciding.has(f.fill.offerHash)) continue;
        out.filled.push({ offerHash: f.fill.offerHash, fill: f.fill });
        this.log(
          `my fill of offer ${f.fill.offerHash.slice(0, 10)} is on chain (transaction ${f.transactionHash} in block ` +
            `${f.blockNumber}, sent before I could see it land): ${kwhText(f.fill.amountWh)} in period ${f.fill.period}`,
        );
      }
    }
    const { settlements, unwinds } = await readOutcomesOf(market, [this.address], from, latest, range);
    for (const x of settlements) {
      if (s.books[x.period] === undefined) continue;
      delete s.books[x.period];
      out.settled.push({ generator: this.address, period: x.period, settlement: x.settlement });
      const st = x.settlement;
      const kwhBack = st.committedWh - st.paidWh - st.penaltyWh;
      this.log(
        `paid for my commitment in period ${x.period}: delivered ${whToKwh(st.deliveredWh)} of ` +
          `${kwhText(st.committedWh)}, received ${usdText(st.usdToGenerator)}; commitment: ` +
          `${kwhText(st.paidWh)} sold, ${kwhText(st.penaltyWh)} penalty, ` +
          `${kwhText(kwhBack)} returned` +
          (st.quality === Quality.Estimated ? " (measurement ESTIMATED)" : ""),
      );
    }
    for (const u of unwinds) {
      if (s.books[u.period] === undefined) continue;
      delete s.books[u.period];
      out.unwound.push({ generator: this.address, period: u.period });
      this.log(`my commitment in period ${u.period} unwound: never measured, ${kwhText(u.kwhWh)} returned`);
    }
    s.lastBlock = latest;
  }

  /** Makes my free kWh in the vault at least `needed` Wh, depositing from the wallet. */
  private async ensureKwh(needed: bigint): Promise<boolean> {
    const r = await topUpVault({
      contracts: this.cfg.contracts,
      owner: this.cfg.wallet,
      asset: Asset.Kwh,
      needed,
      send: (signer, build, options) => this.send(signer, build, options),
      retry: { ...this.cfg.retry, log: this.log },
    });
    if (r.ok) {
      if (r.deposited > 0n)
        this.log(`deposited ${kwhText(r.deposited)} of commitment capacity into the market's vault`);
      return true;
    }
    this.log(
      `cannot fill: needs ${kwhText(needed)} of commitment, the vault holds ${whToKwh(r.inVault)} ` +
        `and the wallet ${kwhText(r.inWallet)} (ask the operator to issue capacity)`,
    );
    return false;
  }

  /** The Filled events of an offer since the block that posted it (every generator's). */
  private async fillsOf(
    offerHash: string,
    postedIn: number | undefined,
  ): Promise<{ fill: FillData; blockNumber: number; transactionHash: string }[]> {
    const { market } = this.cfg.contracts;
    const logs = await queryLogs(
      market,
      market.filters.Filled(offerHash),
      postedIn ?? this.cfg.deployBlock,
      undefined,
      this.cfg.maxBlockRange,
    );
    return logs.map((log) => ({
      fill: fillFromEvent(log.args.offerHash, log.args.generator, log.args.period, log.args.details),
      blockNumber: log.blockNumber,
      transactionHash: log.transactionHash,
    }));
  }

  /** Fills once; if the answer is lost, finds my Filled event for the offer instead of filling again. */
  private async fill(
    offerHash: string,
    offer: OfferData,
    signature: string,
    amountWh: bigint,
    nominatedWh: bigint,
    postedIn: number | undefined,
  ): Promise<FillOutcome> {
    const { market } = this.cfg.contracts;
    const mine = async (): Promise<FillOutcome | undefined> => {
      const logs = await queryLogs(
        market,
        market.filters.Filled(offerHash, this.address),
        postedIn ?? this.cfg.deployBlock,
        undefined,
        this.cfg.maxBlockRange,
      );
      const log = logs[logs.length - 1];
      return (
        log && {
          offerHash,
          fill: fillFromEvent(log.args.offerHash, log.args.generator, log.args.period, log.args.details),
        }
      );
    };
    await this.send(
      this.cfg.wallet,
      () =>
        market.connect(this.cfg.wallet).fill.populateTransaction(offerStruct(offer), signature, amountWh, nominatedWh),
      {
        label: `fill ${offerHash.slice(0, 10)}`,
        intent: `fill ${offerHash}`,
        afterBroadcast: () => failpoint("generator:fill-pending"),
        isDone: async () => (await mine()) !== undefined,
        retry: { ...this.cfg.retry, log: this.log },
      },
    );
    failpoint("generator:after-fill");
    const fill = await mine();
    if (!fill) throw new Error(`fill ${offerHash.slice(0, 10)}: mined, but no Filled event of mine is on chain`);
    return fill;
  }
}

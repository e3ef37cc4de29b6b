/**
 * Model-based property test of the vault and market (fast-check `fc.commands` +
 * `fc.asyncModelRun`) against the Hardhat network, with 60-second periods.
 *
 * A plain TypeScript model tracks wallets, free balances, signed offers (filled Wh, nonces bound
 * to offers, epochs), the generators' books (one per generator and period: direction, centre,
 * nomination, committed Wh and USD), oracle records and the clock. Two wallets share node 27 and
 * are measured independently; commitments are cut into many fills. Each of ≥ 200 random
 * sequences of deposit / withdraw / fill (whole, partial, min(requested, remaining), refused) /
 * cancel (nonce, epoch) / report / dispute / correct / settle / settleMany / unwind / time runs
 * against the chain and the model side by side; every call the model expects to fail must revert
 * with exactly that error. Invariants, after every command:
 *   - solvency: for each token, balanceOf(market) == accounted == Σ free balances + Σ escrows of open books;
 *   - every free balance equals the model's (cumulative escrow, graduated settlement of the whole
 *     commitment, the baseline never more favourable than the nomination);
 * and at the end of every sequence: wallets and total supplies conserved (nothing minted or burnt
 * by the market), every book in the state the model says, none settled twice. A second property
 * cuts one commitment into random fills (of one offer or of several whose USD add up) and settles
 * it against the same delivery as one fill: payment and penalty are the same (GS-15).
 *
 *   FC_SEED=<int>  replay another seed (printed)   FC_RUNS=<int>  sequences (default 200)
 */
import { expect } from "chai";
import fc from "fast-check";
import { ethers } from "hardhat";
import { takeSnapshot, time } from "@nomicfoundation/hardhat-network-helpers";
import type { HardhatEthersSigner } from "@nomicfoundation/hardhat-ethers/signers";
import type { BaseContract, ContractTransactionResponse, Wallet } from "ethers";
import { Asset, BookState, Direction, MeasurementState, OfferStatus, Quality } from "../../oracle/chain/enums";
import { offerHash, signCorrection, signMeterReading, signOffer } from "../../oracle/chain/typed-data";
import { creditedDelivery, fillPayment, settlement } from "../../oracle/chain/units";
import { measurementProof, noProof } from "../../oracle/chain/measurement-tree";
import {
  BASELINE_WH,
  deployWith,
  FAR,
  fillOf,
  measurement,
  paperReport,
  submitReport,
  type Fixture,
  type Measurement,
  type Offer,
} from "./fixtures";

const SEED = process.env.FC_SEED !== undefined ? Number(process.env.FC_SEED) : 20_251_201;
const RUNS = process.env.FC_RUNS !== undefined ? Number(process.env.FC_RUNS) : 200;
if (!Number.isInteger(SEED)) throw new Error(`FC_SEED must be an integer, got '${process.env.FC_SEED}'`);
if (!Number.isInteger(RUNS) || RUNS < 1) throw new Error("FC_RUNS must be a positive integer");

const PERIOD = 60n;
const GRACE = 600n;
const WINDOW = 60n;
const TERMS = { minDeliveredBps: 5_000n, penaltyBps: 5_000n };
const CENTRES = ["centre", "centre2"] as const;
const GENERATORS = ["gen27", "gen27b", "gen34"] as const;
const PARTIES = [...CENTRES, ...GENERATORS] as const;
type Party = (typeof PARTIES)[number];
type Gen = (typeof GENERATORS)[number];
const NODE: Record<Gen, number> = { gen27: 27, gen27b: 27, gen34: 34 };
/** Nominations the generators choose from (Wh; the fixture's 1 MW over 60 s allows up to 16,666). */
const NOMINATIONS = [BASELINE_WH, BASELINE_WH - 500n, BASELINE_WH + 700n];

interface Bal {
  usd: bigint;
  kwh: bigint;
}
interface OfferRec {
  offer: Offer;
  sig: string;
  hash: string;
}
interface BookM {
  gen: Gen;
  period: bigint;
  state: number;
  direction: number;
  centre: string;
  committed: bigint;
  usd: bigint;
  nominated: bigint;
  settled: number;
}
interface RecordM {
  delivered: bigint;
  actual: bigint;
  quality: number;
  state: number;
  at: bigint;
}
interface Model {
  next: bigint;
  wallet: Record<Party, Bal>;
  free: Record<Party, Bal>;
  epoch: Record<string, bigint>;
  bits: Map<string, bigint>;
  /** centre:nonce → the offer a partial fill bound it to, and its filled Wh. */
  partials: Map<string, { hash: string; filled: bigint }>;
  offers: OfferRec[];
  books: Map<string, BookM>;
  /** Report period → its measurement list (empty for reports without measurements). */
  reports: Map<bigint, Measurement[]>;
  records: Map<string, RecordM & { reportPeriod: bigint }>;
  nonce: bigint;
}
interface Real {
  f: Fixture;
  /** Free balances of accounts outside the model (gen2, seeded, never acting). */
  others: Bal;
  signer: Record<Party, HardhatEthersSigner>;
  meter: Record<Gen, Wallet>;
}

const periodOfT = (t: bigint) => t / PERIOD;
const key = (a: string, b: bigint | string) => `${a.toLowerCase()}:${b}`;
const who = (r: Real, p: Party) => r.signer[p].address;

/** How often each command ended how, over all runs (printed: shows what was exercised). */
const OUTCOMES = new Map<string, number>();
let current = "";
const count = (outcome: string) => {
  const k = `${current}: ${outcome}`;
  OUTCOMES.set(k, (OUTCOMES.get(k) ?? 0) + 1);
};

/** Sends a transaction at the model's clock and checks the predicted outcome. */
async function send(
  m: Model,
  tx: () => Promise<ContractTransactionResponse>,
  expected: { on: BaseContract; error: string; args?: unknown[] } | null,
): Promise<ContractTransactionResponse | null> {
  await time.setNextBlockTimestamp(m.next);
  let out: ContractTransactionResponse | null = null;
  count(expected ? expected.error : "ok");
  if (expected) {
    const a = expect(tx()).to.be.revertedWithCustomError(expected.on, expected.error);
    await (expected.args ? a.withArgs(...expected.args) : a);
  } else {
    out = await tx();
    await out.wait();
  }
  m.next += 1n;
  return out;
}

function escrow(m: Model): Bal {
  const open = [...m.books.values()].filter((b) => b.state === BookState.Open);
  return {
    usd: open.reduce((a, b) => a + b.usd, 0n),
    kwh: open.reduce((a, b) => a + b.committed, 0n),
  };
}

async function checkStep(m: Model, r: Real): Promise<void> {
  const market = await r.f.market.getAddress();
  const e = escrow(m);
  let usd = e.usd + r.others.usd;
  let kwh = e.kwh + r.others.kwh;
  for (const p of PARTIES) {
    const [u, k] = await r.f.market.balancesOf(who(r, p));
    expect({ usd: u, kwh: k }, `free balance of ${p}`).to.deep.equal(m.free[p]);
    usd += u;
    kwh += k;
  }
  expect(await r.f.usd.balanceOf(market), "solvency: market USD = Σ free + Σ escrow").to.equal(usd);
  expect(await r.f.kwh.balanceOf(market), "solvency: market kWh = Σ free + Σ escrow").to.equal(kwh);
  expect(await r.f.market.accounted(Asset.Usd), "accounted USD").to.equal(usd);
  expect(await r.f.market.accounted(Asset.Kwh), "accounted kWh").to.equal(kwh);
}

abstract class Cmd implements fc.AsyncCommand<Model, Real> {
  check(): boolean {
    return true;
  }
  abstract act(m: Model, r: Real): Promise<void>;
  async run(m: Model, r: Real): Promise<void> {
    current = this.toString().split("(")[0];
    await this.act(m, r);
    await checkStep(m, r);
  }
  abstract toString(): string;
}

class Deposit extends Cmd {
  constructor(
    readonly party: Party,
    readonly asset: number,
    readonly amount: bigint,
  ) {
    super();
  }
  async act(m: Model, r: Real) {
    const field = this.asset === Asset.Usd ? "usd" : "kwh";
    const token = this.asset === Asset.Usd ? r.f.usd : r.f.kwh;
    const fail =
      this.amount === 0n
        ? { on: r.f.market, error: "ZeroAmount", args: [] }
        : this.amount > m.wallet[this.party][field]
          ? { on: token, error: "ERC20InsufficientBalance" }
          : null;
    await send(m, () => r.f.market.connect(r.signer[this.party]).deposit(this.asset, this.amount), fail);
    if (!fail) {
      m.wallet[this.party][field] -= this.amount;
      m.free[this.party][field] += this.amount;
    }
  }
  toString() {
    return `deposit(${this.party}, ${this.asset}, ${this.amount})`;
  }
}

class Withdraw extends Cmd {
  constructor(
    readonly party: Party,
    readonly asset: number,
    readonly share: number,
  ) {
    super();
  }
  async act(m: Model, r: Real) {
    // Mostly the asset the party holds (a centre USD, a generator kWh).
    const holds = m.free[this.party].usd > 0n ? Asset.Usd : Asset.Kwh;
    const asset = this.share < 0.1 ? this.asset : holds;
    const field = asset === Asset.Usd ? "usd" : "kwh";
    const free = m.free[this.party][field];
    const amount = this.share > 1 ? free + 1n : (free * BigInt(Math.round(this.share * 1000))) / 1000n;
    const fail =
      amount === 0n
        ? { on: r.f.market, error: "ZeroAmount", args: [] }
        : amount > free
          ? { on: r.f.market, error: "InsufficientBalance", args: [who(r, this.party), asset, free, amount] }
          : null;
    await send(m, () => r.f.market.connect(r.signer[this.party]).withdraw(asset, amount, who(r, this.party)), fail);
    if (!fail) {
      m.free[this.party][field] -= amount;
      m.wallet[this.party][field] += amount;
    }
  }
  toString() {
    return `withdraw(${this.party}, ${this.asset}, ${this.share})`;
  }
}

/** Where an offer stands in the model, and what it has filled (the contract's offerStatus). */
function status(m: Model, rec: OfferRec): { status: number; filled: bigint } {
  const o = rec.offer;
  const centre = o.centre as string;
  const part = m.partials.get(key(centre, BigInt(o.nonce)));
  const mine = part?.hash === rec.hash;
  const filled = mine ? part.filled : 0n;
  const period = BigInt(o.period);
  if (m.next > BigInt(o.deadline) || m.next >= period * PERIOD || period > periodOfT(m.next) + 48n)
    return { status: OfferStatus.Closed, filled };
  if (BigInt(o.epoch) !== m.epoch[centre]) return { status: OfferStatus.EpochCancelled, filled };
  if (part && !mine) return { status: OfferStatus.NonceUsed, filled: 0n };
  const bit = 1n << (BigInt(o.nonce) & 255n);
  if (((m.bits.get(key(centre, BigInt(o.nonce) >> 8n)) ?? 0n) & bit) !== 0n)
    return { status: OfferStatus.NonceUsed, filled };
  if (filled === BigInt(o.amountWh)) return { status: OfferStatus.Filled, filled };
  return { status: OfferStatus.Open, filled };
}

/** Signs a new offer (no transaction) — sometimes reusing a nonce already used — and fills it, or fills an earlier one. */
class Fill extends Cmd {
  constructor(
    readonly fresh: boolean,
    readonly pick: number,
    readonly centre: (typeof CENTRES)[number],
    readonly gen: Gen,
    readonly node: number,
    readonly direction: number,
    readonly amountWh: bigint,
    readonly usd: bigint,
    readonly request: number,
    readonly ahead: bigint,
    readonly nomination: number,
    readonly reuseNonce: boolean,
  ) {
    super();
  }
  async act(m: Model, r: Real) {
    const f = r.f;
    let rec: OfferRec;
    if (this.fresh || m.offers.length === 0) {
      const period = periodOfT(m.next) + this.ahead;
      const maxFillWh = this.request < 0.3 ? this.amountWh : this.amountWh / 2n + 1n;
      const offer: Offer = {
        centre: who(r, this.centre),
        generator: ethers.ZeroAddress,
        node: this.node,
        direction: this.direction,
        amountWh: this.amountWh,
        usd: this.usd,
        period,
        justification: f.period - 1n,
        deadline: period * PERIOD - 1n,
        minFillWh: this.amountWh / 10n > 0n ? this.amountWh / 10n : 1n,
        maxFillWh,
        baseline: 0,
        baselineDays: 0,
        epoch: m.epoch[who(r, this.centre)],
        nonce: this.reuseNonce && m.nonce > 0n ? m.nonce : ++m.nonce,
      };
      rec = {
        offer,
        sig: await signOffer(r.signer[this.centre], f.marketDomain, offer),
        hash: offerHash(f.marketDomain, offer),
      };
      m.offers.push(rec);
    } else rec = m.offers[this.pick % m.offers.length];
    const o = rec.offer;
    const amount = BigInt(o.amountWh);
    const max = BigInt(o.maxFillWh);
    const period = BigInt(o.period);
    const centreAddress = o.centre as string;
    const centre = CENTRES.find((c) => who(r, c) === centreAddress)!;
    const st = status(m, rec);
    const remaining = amount - st.filled;
    // Requests: the whole offer, a share of the single-fill maximum, or a sliver below the minimum.
    const requested =
      this.request < 0.3
        ? amount
        : this.request > 0.95
          ? 1n
          : BigInt(Math.max(1, Math.ceil(Number(max) * this.request * 1.3)));
    let taken = requested < max ? requested : max;
    if (taken > remaining) taken = remaining;
    const minimum = BigInt(o.minFillWh) < remaining ? BigInt(o.minFillWh) : remaining;
    const payment = st.status === OfferStatus.Open ? fillPayment(BigInt(o.usd), st.filled, taken, amount) : 0n;
    const nominated = NOMINATIONS[this.nomination % NOMINATIONS.length];
    const bk = key(who(r, this.gen), period);
    const book = m.books.get(bk);
    const open = book && book.state === BookState.Open;
    const fail =
      NODE[this.gen] !== Number(o.node)
        ? { on: f.market, error: "GeneratorNotAtNode", args: [who(r, this.gen), o.node, NODE[this.gen]] }
        : st.status !== OfferStatus.Open
          ? { on: f.market, error: "OfferNotOpen", args: [rec.hash, st.status] }
          : taken < minimum
            ? { on: f.market, error: "FillBelowMinimum", args: [taken, minimum] }
            : payment === 0n
              ? { on: f.market, error: "PaymentRoundsToZero", args: [rec.hash, taken] }
              : payment > m.free[centre].usd
                ? { on: f.market, error: "InsufficientBalance", args: [o.centre, 0, m.free[centre].usd, payment] }
                : taken > m.free[this.gen].kwh
                  ? {
                      on: f.market,
                      error: "InsufficientBalance",
                      args: [who(r, this.gen), 1, m.free[this.gen].kwh, taken],
                    }
                  : open && book.direction !== Number(o.direction)
                    ? { on: f.market, error: "DirectionConflict", args: [who(r, this.gen), period, book.direction] }
                    : open && book.centre !== centreAddress
                      ? { on: f.market, error: "CentreConflict", args: [who(r, this.gen), period, book.centre] }
                      : open && book.nominated !== nominated
                        ? {
                            on: f.market,
                            error: "NominationConflict",
                            args: [who(r, this.gen), period, book.nominated, nominated],
                          }
                        : null;
    const tx = await send(m, () => f.market.connect(r.signer[this.gen]).fill(o, rec.sig, requested, nominated), fail);
    if (fail) return;
    if (taken === amount) {
      const bitKey = key(centreAddress, BigInt(o.nonce) >> 8n);
      m.bits.set(bitKey, (m.bits.get(bitKey) ?? 0n) | (1n << (BigInt(o.nonce) & 255n)));
    } else m.partials.set(key(centreAddress, BigInt(o.nonce)), { hash: rec.hash, filled: st.filled + taken });
    m.free[centre].usd -= payment;
    m.free[this.gen].kwh -= taken;
    if (open) {
      book.committed += taken;
      book.usd += payment;
    } else {
      m.books.set(bk, {
        gen: this.gen,
        period,
        state: BookState.Open,
        direction: Number(o.direction),
        centre: centreAddress,
        committed: taken,
        usd: payment,
        nominated,
        settled: 0,
      });
    }
    const fill = await fillOf(f, tx!);
    expect([fill.amountWh, fill.usd, fill.bookCommittedWh], "fill: taken, escrow, book").to.deep.equal([
      taken,
      payment,
      m.books.get(bk)!.committed,
    ]);
  }
  toString() {
    return `fill(${this.fresh ? "new" : `#${this.pick}`}, ${this.centre}→${this.gen}, node ${this.node}, dir ${this.direction}, ${this.amountWh} Wh, ${this.usd}, ×${this.request.toFixed(2)}, +${this.ahead}, nom ${this.nomination}${this.reuseNonce ? ", same nonce" : ""})`;
  }
}

class Cancel extends Cmd {
  constructor(
    readonly centre: (typeof CENTRES)[number],
    readonly all: boolean,
    readonly pick: number,
  ) {
    super();
  }
  async act(m: Model, r: Real) {
    const c = who(r, this.centre);
    if (this.all) {
      await send(m, () => r.f.market.connect(r.signer[this.centre]).cancelAll(), null);
      m.epoch[c] += 1n;
      return;
    }
    const mine = m.offers.filter((o) => o.offer.centre === c);
    const nonce = mine.length > 0 ? BigInt(mine[this.pick % mine.length].offer.nonce) : BigInt(this.pick);
    await send(m, () => r.f.market.connect(r.signer[this.centre]).cancel(nonce), null);
    const k = key(c, nonce >> 8n);
    m.bits.set(k, (m.bits.get(k) ?? 0n) | (1n << (nonce & 255n)));
  }
  toString() {
    return `cancel(${this.centre}, ${this.all ? "all" : `#${this.pick}`})`;
  }
}

/**
 * Moves to the next period (when `advance`) and reports the current period with measurements of
 * ended, unmeasured generator-periods that have books.
 */
class Report extends Cmd {
  constructor(
    readonly values: { delivered: bigint; quality: number; take: boolean }[],
    readonly advance: boolean,
  ) {
    super();
  }
  async act(m: Model, r: Real) {
    if (this.advance) m.next = (periodOfT(m.next) + 1n) * PERIOD + 1n;
    const period = periodOfT(m.next);
    if (m.reports.has(period)) return;
    const candidates = [...m.books.values()].filter(
      (b) => b.period < period && !m.records.has(key(who(r, b.gen), b.period)),
    );
    const ms = candidates
      .map((b, i) => ({ b, v: this.values[i % this.values.length] }))
      .filter((c) => c.v.take)
      .map((c) => measurement(who(r, c.b.gen), c.b.period, c.v.delivered, { quality: c.v.quality }));
    await time.setNextBlockTimestamp(m.next);
    await submitReport(r.f, paperReport(period, ms));
    count(`ok with ${ms.length} measurements`);
    for (const x of ms) {
      m.records.set(key(x.generator as string, BigInt(x.period)), {
        delivered: BigInt(x.deliveredWh),
        actual: BigInt(x.actualWh),
        quality: Number(x.quality),
        state: MeasurementState.Reported,
        at: m.next,
        reportPeriod: period,
      });
    }
    m.reports.set(period, ms);
    m.next += 1n;
  }
  toString() {
    return `report(${this.advance ? "next period, " : ""}${this.values.map((v) => (v.take ? `${v.delivered}/${v.quality}` : "-")).join(",")})`;
  }
}

class Dispute extends Cmd {
  constructor(readonly pick: number) {
    super();
  }
  async act(m: Model, r: Real) {
    const open = [...m.records.entries()].filter(
      ([, x]) => x.state === MeasurementState.Reported && (x.quality === Quality.Ok || x.quality === Quality.Estimated),
    );
    if (open.length === 0) return;
    const [k, x] = open[this.pick % open.length];
    const [g, p] = k.split(":");
    const gen = GENERATORS.find((n) => who(r, n).toLowerCase() === g)!;
    const reading = {
      meter: r.meter[gen].address,
      generator: who(r, gen),
      period: BigInt(p),
      actualWh: x.actual + 1n,
      quality: Quality.Ok,
      readAt: (BigInt(p) + 1n) * PERIOD,
    };
    const sig = await signMeterReading(r.meter[gen], r.f.oracleDomain, reading);
    const closed = m.next >= x.at + WINDOW;
    const proof = shown(m, who(r, gen), BigInt(p));
    await send(
      m,
      () => r.f.oracle.connect(r.signer[gen]).dispute(reading, sig, proof),
      closed ? { on: r.f.oracle, error: "DisputeWindowClosed", args: [BigInt(p), who(r, gen), x.at + WINDOW] } : null,
    );
    if (!closed) x.state = MeasurementState.Disputed;
  }
  toString() {
    return `dispute(#${this.pick})`;
  }
}

class Correct extends Cmd {
  constructor(
    readonly pick: number,
    readonly delivered: bigint,
  ) {
    super();
  }
  async act(m: Model, r: Real) {
    const open = [...m.records.entries()].filter(
      ([, x]) => x.state === MeasurementState.Disputed || x.quality === Quality.Missing || x.quality === Quality.Bad,
    );
    if (open.length === 0) return;
    const [k, x] = open[this.pick % open.length];
    const [g, p] = k.split(":");
    const fixed = measurement(ethers.getAddress(g), BigInt(p), this.delivered);
    const sigs = await signCorrection([r.f.o1, r.f.o3], r.f.oracleDomain, fixed, ethers.ZeroHash, 1n, FAR);
    const proof = shown(m, ethers.getAddress(g), BigInt(p));
    // A reported Missing or Bad measurement is corrected only inside its dispute window.
    const final = x.state === MeasurementState.Reported && m.next >= x.at + WINDOW;
    const fail = final
      ? { on: r.f.oracle, error: "MeasurementFinal", args: [BigInt(p), ethers.getAddress(g), x.at + WINDOW] }
      : null;
    await send(m, () => r.f.oracle.correctMeasurement(fixed, ethers.ZeroHash, FAR, sigs, proof), fail);
    if (fail) return;
    Object.assign(x, {
      delivered: this.delivered,
      actual: BigInt(fixed.actualWh),
      quality: Quality.Ok,
      state: MeasurementState.Corrected,
      at: m.next - 1n,
    });
  }
  toString() {
    return `correct(#${this.pick}, ${this.delivered})`;
  }
}

/** The proof of the reported measurement of (generator, period), or an empty one. */
function shown(m: Model, generator: string, period: bigint) {
  const rec = m.records.get(key(generator, period));
  if (!rec) return noProof(generator, period);
  return (
    measurementProof(rec.reportPeriod, m.reports.get(rec.reportPeriod) ?? [], generator, period) ??
    noProof(generator, period)
  );
}

/** What the model says about settling `book` now: an error, or the amounts. */
function predict(m: Model, r: Real, book: BookM) {
  const g = who(r, book.gen);
  if (book.state !== BookState.Open)
    return { error: { on: r.f.market, error: "NoOpenBook", args: [g, book.period] }, record: undefined };
  const rec = m.records.get(key(g, book.period));
  const state = rec?.state ?? MeasurementState.None;
  const final =
    state === MeasurementState.Corrected || (state === MeasurementState.Reported && m.next >= rec!.at + WINDOW);
  if (!final)
    return { error: { on: r.f.market, error: "MeasurementNotFinal", args: [book.period, g, state] }, record: rec };
  const increase = book.direction === Direction.Increase;
  // Final and still Missing or Bad: no delivery credited (the penalty applies).
  const unusable = rec!.quality === Quality.Missing || rec!.quality === Quality.Bad;
  const credited = unusable ? 0n : creditedDelivery(true, book.nominated, rec!.actual, rec!.delivered, increase);
  return {
    amounts: settlement({ committedWh: book.committed, usd: book.usd, increase }, credited, TERMS),
    record: rec,
  };
}

function applySettlement(m: Model, r: Real, book: BookM, a: ReturnType<typeof settlement>) {
  const centre = CENTRES.find((c) => who(r, c) === book.centre)!;
  m.free[centre].usd += a.usdToCentre;
  m.free[centre].kwh += a.kwhToCentre;
  m.free[book.gen].usd += a.usdToGenerator;
  m.free[book.gen].kwh += a.kwhToGenerator;
  book.state = BookState.Settled;
  book.settled += 1;
}

class Settle extends Cmd {
  constructor(readonly picks: number[]) {
    super();
  }
  async act(m: Model, r: Real) {
    const books = [...m.books.values()];
    if (books.length === 0) return;
    // One settlement in three takes the latest books (a keeper's sweep), the others random picks.
    const chosen = this.picks[0] % 3 === 0 ? books.slice(-8) : this.picks.map((i) => books[i % books.length]);
    if (chosen.length === 1) {
      const book = chosen[0];
      const o = predict(m, r, book);
      const proof = shown(m, who(r, book.gen), book.period);
      const tx = await send(
        m,
        () => r.f.market.connect(r.f.stranger).settle(who(r, book.gen), book.period, proof),
        o.error ?? null,
      );
      if (o.amounts) {
        await expect(tx).to.emit(r.f.market, "Settled");
        applySettlement(m, r, book, o.amounts);
      }
      return;
    }
    // settleReport: every book a report measured, in list order, each predicted against the
    // state the earlier ones left (a keeper's sweep of one report).
    // Reports that measured something (an empty one settles nothing), else any.
    const measuring = [...m.reports.keys()].filter((k) => m.reports.get(k)!.length > 0);
    const periods = measuring.length > 0 ? measuring : [...m.reports.keys()];
    const reportPeriod = periods[(this.picks[1] ?? this.picks[0]) % periods.length];
    const list = m.reports.get(reportPeriod)!;
    await time.setNextBlockTimestamp(m.next);
    const tx = await r.f.market.connect(r.f.stranger).settleReport(reportPeriod, list);
    const receipt = await tx.wait();
    let settled = 0;
    for (const x of list) {
      const book = m.books.get(key(x.generator as string, BigInt(x.period)));
      if (!book) continue;
      const o = predict(m, r, book);
      if (o.amounts) {
        applySettlement(m, r, book, o.amounts);
        settled++;
      }
    }
    const events = receipt!.logs.filter((l) => r.f.market.interface.parseLog(l)?.name === "Settled").length;
    expect(events, "settleReport: Settled events").to.equal(settled);
    count(`settleReport settled ${settled} of ${list.length}`);
    m.next += 1n;
  }
  toString() {
    return `settle(${this.picks.join(",")})`;
  }
}

class Unwind extends Cmd {
  constructor(readonly pick: number) {
    super();
  }
  async act(m: Model, r: Real) {
    const books = [...m.books.values()];
    if (books.length === 0) return;
    const book = books[this.pick % books.length];
    const g = who(r, book.gen);
    const o = predict(m, r, book);
    let at = (book.period + 1n) * PERIOD + GRACE;
    if (o.record && o.record.at + WINDOW > at) at = o.record.at + WINDOW;
    const fail =
      book.state !== BookState.Open
        ? { on: r.f.market, error: "NoOpenBook", args: [g, book.period] }
        : o.amounts
          ? { on: r.f.market, error: "DeliveryMeasured", args: [g, book.period] }
          : m.next < at
            ? { on: r.f.market, error: "NotUnwindableYet", args: [g, book.period, at] }
            : null;
    const proof = shown(m, g, book.period);
    await send(m, () => r.f.market.unwind(g, book.period, proof), fail);
    if (fail) return;
    const centre = CENTRES.find((c) => who(r, c) === book.centre)!;
    m.free[centre].usd += book.usd;
    m.free[book.gen].kwh += book.committed;
    book.state = BookState.Unwound;
  }
  toString() {
    return `unwind(#${this.pick})`;
  }
}

class Wait extends Cmd {
  constructor(readonly seconds: bigint) {
    super();
  }
  async act(m: Model) {
    m.next += this.seconds;
  }
  toString() {
    return `wait(${this.seconds} s)`;
  }
}

const party = fc.constantFrom(...PARTIES);
const centreArb = fc.constantFrom(...CENTRES);
const genArb = fc.constantFrom(...GENERATORS);
const fillArb = fc
  .tuple(
    fc.tuple(fc.boolean(), fc.nat(), centreArb, genArb, fc.nat(9)),
    fc.tuple(
      fc.constantFrom(Direction.Increase, Direction.Decrease),
      fc.bigInt({ min: 1n, max: 3_000n }),
      fc.bigInt({ min: 1n, max: 2_000_000_000n }),
      fc.integer({ min: 0, max: 1000 }).map((x) => x / 1000),
      fc.constantFrom(1n, 1n, 1n, 2n, 3n),
      fc.nat(5).map((n) => (n < 4 ? 0 : n - 3)),
      fc.nat(19).map((n) => n === 0),
    ),
  )
  // One fill in ten at the wrong node; the others at the generator's own.
  .map(
    ([[fresh, pick, c, g, wrong], [dir, wh, usd, part, ahead, nomination, reuse]]) =>
      new Fill(
        fresh,
        pick,
        c,
        g,
        wrong === 0 ? (NODE[g] === 27 ? 34 : 27) : NODE[g],
        dir,
        wh,
        usd,
        part,
        ahead,
        nomination,
        reuse,
      ),
  );
const settleArb = fc.array(fc.nat(), { minLength: 1, maxLength: 4 }).map((p) => new Settle(p));
const waitArb = fc.constantFrom(1n, 30n, 59n, 60n, 61n, 120n, 700n).map((s) => new Wait(s));
const reportArb = fc
  .array(
    fc.record({
      delivered: fc.oneof(fc.bigInt({ min: -3_500n, max: 3_500n }), fc.constantFrom(0n, -2300n, 2300n)),
      quality: fc.constantFrom(Quality.Ok, Quality.Ok, Quality.Estimated, Quality.Missing, Quality.Bad),
      take: fc.nat(5).map((n) => n > 0),
    }),
    { minLength: 1, maxLength: 4 },
  )
  .chain((v) => fc.nat(4).map((n) => new Report(v, n > 0)));
const COMMANDS = [
  reportArb,
  reportArb,
  fillArb,
  fillArb,
  fillArb,
  fillArb,
  settleArb,
  settleArb,
  waitArb,
  fc
    .tuple(
      party,
      fc.constantFrom(Asset.Usd, Asset.Kwh),
      fc.oneof(fc.constant(0n), fc.bigInt({ min: 1n, max: 300_000n })),
    )
    .map(([p, a, n]) => new Deposit(p, a, n)),
  fc
    .tuple(
      party,
      fc.constantFrom(Asset.Usd, Asset.Kwh),
      fc.integer({ min: 0, max: 1200 }).map((x) => x / 1000),
    )
    .map(([p, a, s]) => new Withdraw(p, a, s)),
  fc.tuple(centreArb, fc.boolean(), fc.nat()).map(([c, all, n]) => new Cancel(c, all, n)),

  fc.nat().map((n) => new Dispute(n)),
  fc.tuple(fc.nat(), fc.bigInt({ min: -3_000n, max: 3_000n })).map(([n, d]) => new Correct(n, d)),
  fc.nat().map((n) => new Unwind(n)),
];

describe("vault and market: model-based invariants (fast-check)", function () {
  this.timeout(900_000);

  it(`${RUNS} random sequences keep the market solvent and agree with the model`, async () => {
    console.log(`      fast-check seed ${SEED}, ${RUNS} runs (FC_SEED / FC_RUNS override)`);
    const f = await deployWith({
      periodSeconds: 60,
      disputeWindowSeconds: Number(WINDOW),
      settlementGraceSeconds: Number(GRACE),
    });
    const signer: Record<Party, HardhatEthersSigner> = {
      centre: f.centre,
      centre2: f.centre2,
      gen27: f.gen27,
      gen27b: f.gen27b,
      gen34: f.gen34,
    };
    const meter: Record<Gen, Wallet> = { gen27: f.meter.gen27, gen27b: f.meter.gen27b, gen34: f.meter.gen34 };
    const market = await f.market.getAddress();
    for (const p of PARTIES) {
      await f.usd.connect(signer[p]).approve(market, ethers.MaxUint256);
      await f.kwh.connect(signer[p]).approve(market, ethers.MaxUint256);
    }
    const initial = async (fn: (a: string) => Promise<bigint[]>) =>
      Object.fromEntries(await Promise.all(PARTIES.map(async (p) => [p, await fn(signer[p].address)]))) as Record<
        Party,
        bigint[]
      >;
    const wallet0 = await initial(async (a) => [await f.usd.balanceOf(a), await f.kwh.balanceOf(a)]);
    const free0 = await initial(async (a) => [...(await f.market.balancesOf(a))]);
    const supply = [await f.usd.totalSupply(), await f.kwh.totalSupply()];
    const [otherUsd, otherKwh] = await f.market.balancesOf(f.gen2.address);
    const t0 = BigInt(await time.latest()) + 1n;
    const snapshot = await takeSnapshot();

    await fc.assert(
      fc.asyncProperty(fc.commands(COMMANDS, { maxCommands: 40, size: "max" }), async (cmds) => {
        await snapshot.restore();
        const m: Model = {
          next: t0,
          wallet: Object.fromEntries(PARTIES.map((p) => [p, { usd: wallet0[p][0], kwh: wallet0[p][1] }])) as Record<
            Party,
            Bal
          >,
          free: Object.fromEntries(PARTIES.map((p) => [p, { usd: free0[p][0], kwh: free0[p][1] }])) as Record<
            Party,
            Bal
          >,
          epoch: { [f.centre.address]: 0n, [f.centre2.address]: 0n },
          bits: new Map(),
          partials: new Map(),
          offers: [],
          books: new Map(),
          reports: new Map([[f.period - 1n, []]]),
          records: new Map(),
          nonce: 0n,
        };
        const r: Real = { f, others: { usd: otherUsd, kwh: otherKwh }, signer, meter };
        await fc.asyncModelRun(() => ({ model: m, real: r }), cmds);
        // End of sequence: wallets and supplies conserved; books as modelled; no double settlement.
        for (const p of PARTIES) {
          expect(
            [await f.usd.balanceOf(signer[p].address), await f.kwh.balanceOf(signer[p].address)],
            `wallet of ${p}`,
          ).to.deep.equal([m.wallet[p].usd, m.wallet[p].kwh]);
        }
        expect([await f.usd.totalSupply(), await f.kwh.totalSupply()], "supplies").to.deep.equal(supply);
        for (const b of m.books.values()) {
          const chain = await f.market.bookOf(signer[b.gen].address, b.period);
          const state = Number(chain.state);
          // A closed book's ring entry may since have been reused (the view then shows None).
          const agrees = state === b.state || (b.state !== BookState.Open && state === BookState.None);
          expect(agrees, `book ${b.gen}:${b.period} is ${state}, model ${b.state}`).to.equal(true);
          if (state === BookState.Open) expect([chain.committedWh, chain.usd]).to.deep.equal([b.committed, b.usd]);
          expect(b.settled).to.be.lessThanOrEqual(1);
        }
      }),
      { seed: SEED, numRuns: RUNS },
    );
    const lines = [...OUTCOMES.entries()].sort().map(([k, v]) => `        ${k}: ${v}`);
    console.log(`      outcomes over all runs:\n${lines.join("\n")}`);
  });

  it("GS-15: the same commitment cut into random fills (of one offer or several) settles as one fill", async () => {
    const f = await deployWith({ periodSeconds: 60, disputeWindowSeconds: 0 });
    const base = await takeSnapshot();
    let nonce = 0n;
    const offerFor = (period: bigint, amountWh: bigint, usd: bigint, direction: number): Offer => ({
      centre: f.centre.address,
      generator: ethers.ZeroAddress,
      node: 27,
      direction,
      amountWh,
      usd,
      period,
      justification: f.period - 1n,
      deadline: period * PERIOD - 1n,
      minFillWh: 1n,
      maxFillWh: amountWh,
      baseline: 0,
      baselineDays: 0,
      epoch: 0,
      nonce: ++nonce,
    });
    /** Fills `parts` (Wh) — of one offer, or each of its own offer with its share of the USD — and settles. */
    async function settleCut(
      parts: bigint[],
      separate: boolean,
      usd: bigint,
      direction: number,
      delivered: bigint,
    ): Promise<bigint[]> {
      await base.restore();
      const period = periodOfT(BigInt(await time.latest())) + 1n;
      const total = parts.reduce((a, b) => a + b, 0n);
      const one = offerFor(period, total, usd, direction);
      let before = 0n;
      for (const part of parts) {
        // Separate offers price each part with its cumulative share of the USD, so they add up exactly.
        const o = separate ? offerFor(period, part, fillPayment(usd, before, part, total), direction) : one;
        before += part;
        await f.market.connect(f.gen27).fill(o, await signOffer(f.centre, f.marketDomain, o), part, BASELINE_WH);
      }
      await time.increaseTo((period + 1n) * PERIOD);
      const measured = [measurement(f.gen27.address, period, delivered)];
      await submitReport(f, paperReport(period + 1n, measured));
      const proof = measurementProof(period + 1n, measured, f.gen27.address, period)!;
      const s = await f.market.settle.staticCall(f.gen27.address, period, proof);
      await f.market.settle(f.gen27.address, period, proof);
      return [s.paidWh, s.penaltyWh, s.usdToGenerator, s.usdToCentre, ...(await f.market.balancesOf(f.gen27.address))];
    }
    await fc.assert(
      fc.asyncProperty(
        fc.array(fc.bigInt({ min: 1n, max: 1_500n }), { minLength: 2, maxLength: 6 }),
        fc.boolean(),
        fc.bigInt({ min: 1_000n, max: 10_000_000_000n }),
        fc.boolean(),
        fc.double({ min: -0.2, max: 1.3, noNaN: true }),
        async (parts, separate, usd, increase, share) => {
          const total = parts.reduce((a, b) => a + b, 0n);
          if (
            parts.some(
              (p, i) =>
                fillPayment(
                  usd,
                  parts.slice(0, i).reduce((a, b) => a + b, 0n),
                  p,
                  total,
                ) === 0n,
            )
          )
            return; // a part too small to price is refused (PaymentRoundsToZero): not a cut anyone can make
          const direction = increase ? Direction.Increase : Direction.Decrease;
          const magnitude = BigInt(Math.round(Number(total) * share));
          const delivered = increase ? magnitude : -magnitude;
          const whole = await settleCut([total], false, usd, direction, delivered);
          const cut = await settleCut(parts, separate, usd, direction, delivered);
          expect(cut, `${parts.join("+")} Wh vs ${total} Wh at ${share.toFixed(2)}`).to.deep.equal(whole);
        },
      ),
      { seed: SEED, numRuns: 25 },
    );
  });
});

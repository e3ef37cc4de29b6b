/**
 * The commands of the model-based property test (invariants.test.ts): each runs on chain and in
 * the model side by side (invariants-model.ts) with the outcome the model predicts, and the
 * arbitraries that draw them.
 */
import { expect } from "chai";
import fc from "fast-check";
import { ethers } from "hardhat";
import { time } from "@nomicfoundation/hardhat-network-helpers";
import { Asset, BookState, Direction, MeasurementState, OfferStatus, Quality } from "../../oracle/chain/enums";
import { offerHash, signCorrection, signMeterReading, signOffer } from "../../oracle/chain/typed-data";
import { fillPayment } from "../../oracle/chain/units";
import { FAR, fillOf, measurement, paperReport, submitReport, type Offer } from "./fixtures";
import {
  PERIOD,
  GRACE,
  WINDOW,
  CENTRES,
  GENERATORS,
  PARTIES,
  Party,
  Gen,
  NODE,
  NOMINATIONS,
  OfferRec,
  Model,
  Real,
  periodOfT,
  key,
  who,
  count,
  send,
  Cmd,
  status,
  shown,
  predict,
  applySettlement,
} from "./invariants-model";

export class Deposit extends Cmd {
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

export class Withdraw extends Cmd {
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

/** Signs a new offer (no transaction) — sometimes reusing a nonce already used — and fills it, or fills an earlier one. */
export class Fill extends Cmd {
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

export class Cancel extends Cmd {
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
export class Report extends Cmd {
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

export class Dispute extends Cmd {
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

export class Correct extends Cmd {
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

export class Settle extends Cmd {
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

export class Unwind extends Cmd {
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

export class Wait extends Cmd {
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

export const party = fc.constantFrom(...PARTIES);
export const centreArb = fc.constantFrom(...CENTRES);
export const genArb = fc.constantFrom(...GENERATORS);
export const fillArb = fc
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
export const settleArb = fc.array(fc.nat(), { minLength: 1, maxLength: 4 }).map((p) => new Settle(p));
export const waitArb = fc.constantFrom(1n, 30n, 59n, 60n, 61n, 120n, 700n).map((s) => new Wait(s));
export const reportArb = fc
  .array(
    fc.record({
      delivered: fc.oneof(fc.bigInt({ min: -3_500n, max: 3_500n }), fc.constantFrom(0n, -2300n, 2300n)),
      quality: fc.constantFrom(Quality.Ok, Quality.Ok, Quality.Estimated, Quality.Missing, Quality.Bad),
      take: fc.nat(5).map((n) => n > 0),
    }),
    { minLength: 1, maxLength: 4 },
  )
  .chain((v) => fc.nat(4).map((n) => new Report(v, n > 0)));
export const COMMANDS = [
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

/**
 * Model-based property test of the vault and market (fast-check `fc.commands` +
 * `fc.asyncModelRun`) against the Hardhat network, with 60-second periods.
 *
 * A plain TypeScript model tracks wallets, free balances, signed offers (filled Wh, nonces,
 * epochs), the generators' books, positions, oracle records and the clock. Each of
 * ≥ 200 random sequences of deposit / withdraw / fill (whole, partial, refused) / cancel (nonce,
 * epoch) / report / dispute / correct / settle / settleMany / unwind / time runs against the chain
 * and the model side by side; every call the model expects to fail must revert with exactly that
 * error. Invariants, after every command:
 *   - solvency: for each token, balanceOf(market) == Σ free balances + Σ escrows of open positions;
 *   - every free balance equals the model's (payments rounded down, graduated settlement);
 * and at the end of every sequence: wallets and total supplies conserved (nothing minted or burnt
 * by the market), every position open exactly when the model says, no position settled twice.
 * Settlement amounts come from the model's order-free rule (committedBefore), so agreement over
 * random settlement orders is the order-independence property (GS-03); a dedicated property below
 * also settles the same positions in two random orders and compares.
 *
 *   FC_SEED=<int>  replay another seed (printed)   FC_RUNS=<int>  sequences (default 200)
 */
import { expect } from "chai";
import fc from "fast-check";
import { ethers } from "hardhat";
import { takeSnapshot, time } from "@nomicfoundation/hardhat-network-helpers";
import type { HardhatEthersSigner } from "@nomicfoundation/hardhat-ethers/signers";
import type { BaseContract, ContractTransactionResponse, Wallet } from "ethers";
import { Asset, Direction, MeasurementState, OfferStatus, Quality } from "../../oracle/chain/enums";
import { offerHash, signCorrection, signMeterReading, signOffer } from "../../oracle/chain/typed-data";
import { paymentDown, settlement } from "../../oracle/chain/units";
import {
  deployWith,
  FAR,
  measurement,
  paperReport,
  positionOf,
  submitReport,
  type Fixture,
  type Offer,
  type Position,
} from "./fixtures";

const SEED = process.env.FC_SEED !== undefined ? Number(process.env.FC_SEED) : 20_251_201;
const RUNS = process.env.FC_RUNS !== undefined ? Number(process.env.FC_RUNS) : 200;
if (!Number.isInteger(SEED)) throw new Error(`FC_SEED must be an integer, got '${process.env.FC_SEED}'`);
if (!Number.isInteger(RUNS) || RUNS < 1) throw new Error("FC_RUNS must be a positive integer");

const PERIOD = 60n;
const GRACE = 600n;
const TERMS = { minDeliveredBps: 5_000n, penaltyBps: 5_000n };
const CENTRES = ["centre", "centre2"] as const;
const GENERATORS = ["gen27", "gen27b", "gen34"] as const;
const PARTIES = [...CENTRES, ...GENERATORS] as const;
type Party = (typeof PARTIES)[number];
type Gen = (typeof GENERATORS)[number];
const NODE: Record<Gen, number> = { gen27: 27, gen27b: 27, gen34: 34 };

interface Bal {
  usd: bigint;
  kwh: bigint;
}
interface OfferRec {
  offer: Offer;
  sig: string;
  hash: string;
}
interface PosRec {
  p: Position;
  hash: string;
  open: boolean;
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
  filled: Map<string, bigint>;
  offers: OfferRec[];
  positions: PosRec[];
  book: Map<string, { inc: bigint; dec: bigint }>;
  reports: Set<bigint>;
  records: Map<string, RecordM>;
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
const key = (a: string, b: bigint | string) => `${a}:${b}`;
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
  const open = m.positions.filter((p) => p.open);
  return {
    usd: open.reduce((a, p) => a + BigInt(p.p.usd), 0n),
    kwh: open.reduce((a, p) => a + BigInt(p.p.amountWh), 0n),
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

/** Signs a new offer (no transaction) and fills it, or fills an earlier one. */
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
    readonly partial: number,
    readonly ahead: bigint,
  ) {
    super();
  }
  async act(m: Model, r: Real) {
    const f = r.f;
    let rec: OfferRec;
    if (this.fresh || m.offers.length === 0) {
      const period = periodOfT(m.next) + this.ahead;
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
        maxFillWh: this.partial < 0.5 ? this.amountWh : this.amountWh / 2n + 1n,
        baseline: 0,
        baselineDays: 0,
        epoch: m.epoch[who(r, this.centre)],
        nonce: ++m.nonce,
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
    const filled = m.filled.get(rec.hash) ?? 0n;
    const fillWh =
      this.partial < 0.5 ? amount : this.partial > 0.95 ? max + 1n : BigInt(Math.ceil(Number(max) * this.partial));
    const centreAddress = o.centre as string;
    const centre = CENTRES.find((c) => who(r, c) === centreAddress)!;
    const bitKey = key(centreAddress, BigInt(o.nonce) >> 8n);
    const bit = 1n << (BigInt(o.nonce) & 255n);
    const period = BigInt(o.period);
    const payment = fillWh <= amount && fillWh > 0n ? paymentDown(BigInt(o.usd), fillWh, amount) : 0n;
    const status =
      m.next > BigInt(o.deadline) || m.next >= period * PERIOD || period > periodOfT(m.next) + 48n
        ? OfferStatus.Closed
        : BigInt(o.epoch) !== m.epoch[centreAddress]
          ? OfferStatus.EpochCancelled
          : ((m.bits.get(bitKey) ?? 0n) & bit) !== 0n
            ? OfferStatus.NonceUsed
            : filled === amount
              ? OfferStatus.Filled
              : OfferStatus.Open;
    const whole = fillWh === amount && filled === 0n;
    const fail =
      fillWh > max
        ? { on: f.market, error: "FillTooLarge", args: [fillWh, max] }
        : NODE[this.gen] !== Number(o.node)
          ? { on: f.market, error: "GeneratorNotAtNode", args: [who(r, this.gen), o.node, NODE[this.gen]] }
          : status !== OfferStatus.Open
            ? { on: f.market, error: "OfferNotOpen", args: [rec.hash, status] }
            : !whole && filled + fillWh > amount
              ? { on: f.market, error: "Overfill", args: [rec.hash, filled, fillWh, amount] }
              : payment > m.free[centre].usd
                ? { on: f.market, error: "InsufficientBalance", args: [o.centre, 0, m.free[centre].usd, payment] }
                : fillWh > m.free[this.gen].kwh
                  ? {
                      on: f.market,
                      error: "InsufficientBalance",
                      args: [who(r, this.gen), 1, m.free[this.gen].kwh, fillWh],
                    }
                  : null;
    const tx = await send(m, () => f.market.connect(r.signer[this.gen]).fill(o, rec.sig, fillWh), fail);
    if (fail) return;
    if (whole) m.bits.set(bitKey, (m.bits.get(bitKey) ?? 0n) | bit);
    else m.filled.set(rec.hash, filled + fillWh);
    m.free[centre].usd -= payment;
    m.free[this.gen].kwh -= fillWh;
    const bk = key(who(r, this.gen), period);
    const book = m.book.get(bk) ?? { inc: 0n, dec: 0n };
    const before = Number(o.direction) === Direction.Increase ? book.inc : book.dec;
    if (Number(o.direction) === Direction.Increase) book.inc += fillWh;
    else book.dec += fillWh;
    m.book.set(bk, book);
    const p = await positionOf(f, tx!);
    expect(p.committedBeforeWh, "committedBefore").to.equal(before);
    expect(p.usd, "payment").to.equal(payment);
    const { hash, ...data } = p;
    m.positions.push({ p: data, hash, open: true, settled: 0 });
  }
  toString() {
    return `fill(${this.fresh ? "new" : `#${this.pick}`}, ${this.centre}→${this.gen}, node ${this.node}, dir ${this.direction}, ${this.amountWh} Wh, ${this.usd}, ×${this.partial.toFixed(2)}, +${this.ahead})`;
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
 * ended, unmeasured generator-periods that have positions.
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
    const candidates = [...new Set(m.positions.map((p) => key(p.p.generator as string, BigInt(p.p.period))))]
      .map((k) => k.split(":"))
      .filter(([g, p]) => BigInt(p) < period && !m.records.has(key(g, BigInt(p))));
    const ms = candidates
      .map(([g, p], i) => ({ g, p: BigInt(p), v: this.values[i % this.values.length] }))
      .filter((c) => c.v.take)
      .map((c) => measurement(c.g, c.p, c.v.delivered, { quality: c.v.quality }));
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
      });
    }
    m.reports.add(period);
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
    const gen = GENERATORS.find((n) => who(r, n) === g)!;
    const reading = { generator: g, period: BigInt(p), actualWh: x.actual + 1n };
    const sig = await signMeterReading(r.meter[gen], r.f.oracleDomain, reading);
    const closed = m.next >= x.at + PERIOD;
    await send(
      m,
      () => r.f.oracle.connect(r.signer[gen]).dispute(reading, sig),
      closed ? { on: r.f.oracle, error: "DisputeWindowClosed", args: [BigInt(p), g, x.at + PERIOD] } : null,
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
    const fixed = measurement(g, BigInt(p), this.delivered);
    const sigs = await signCorrection([r.f.o1, r.f.o3], r.f.oracleDomain, fixed, ethers.ZeroHash, 1n, FAR);
    await send(m, () => r.f.oracle.correctMeasurement(fixed, ethers.ZeroHash, FAR, sigs), null);
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

/** What the model says about settling `pos` now: an error, or the amounts. */
function predict(m: Model, r: Real, pos: PosRec) {
  const p = pos.p;
  if (!pos.open) return { error: { on: r.f.market, error: "UnknownPosition", args: [pos.hash] } };
  const rec = m.records.get(key(p.generator as string, BigInt(p.period)));
  const state = rec?.state ?? MeasurementState.None;
  const final =
    state === MeasurementState.Corrected || (state === MeasurementState.Reported && m.next >= rec!.at + PERIOD);
  if (!final) return { error: { on: r.f.market, error: "MeasurementNotFinal", args: [p.period, p.generator, state] } };
  if (rec!.quality === Quality.Missing || rec!.quality === Quality.Bad)
    return { error: { on: r.f.market, error: "MeasurementUnusable", args: [p.period, p.generator, rec!.quality] } };
  return {
    amounts: settlement(
      {
        amountWh: BigInt(p.amountWh),
        usd: BigInt(p.usd),
        committedBeforeWh: BigInt(p.committedBeforeWh),
        increase: Number(p.direction) === Direction.Increase,
      },
      rec!.delivered,
      TERMS,
    ),
  };
}

function applySettlement(m: Model, r: Real, pos: PosRec, a: ReturnType<typeof settlement>) {
  const centre = CENTRES.find((c) => who(r, c) === pos.p.centre)!;
  const gen = GENERATORS.find((g) => who(r, g) === pos.p.generator)!;
  m.free[centre].usd += a.usdToCentre;
  m.free[centre].kwh += a.kwhToCentre;
  m.free[gen].usd += a.usdToGenerator;
  m.free[gen].kwh += a.kwhToGenerator;
  pos.open = false;
  pos.settled += 1;
}

class Settle extends Cmd {
  constructor(readonly picks: number[]) {
    super();
  }
  async act(m: Model, r: Real) {
    if (m.positions.length === 0) return;
    // One settlement in three takes every position (a keeper's sweep), the others random picks.
    const chosen =
      this.picks[0] % 3 === 0 ? m.positions.slice(-8) : this.picks.map((i) => m.positions[i % m.positions.length]);
    if (chosen.length === 1) {
      const pos = chosen[0];
      const o = predict(m, r, pos);
      const tx = await send(m, () => r.f.market.connect(r.f.stranger).settle(pos.p), o.error ?? null);
      if (o.amounts) {
        await expect(tx).to.emit(r.f.market, "Settled");
        applySettlement(m, r, pos, o.amounts);
      }
      return;
    }
    // settleMany: items in order, each predicted against the state the earlier ones left.
    await time.setNextBlockTimestamp(m.next);
    const tx = await r.f.market.connect(r.f.stranger).settleMany(chosen.map((c) => c.p));
    const receipt = await tx.wait();
    let settled = 0;
    for (const pos of chosen) {
      const o = predict(m, r, pos);
      if (o.amounts) {
        applySettlement(m, r, pos, o.amounts);
        settled++;
      }
    }
    const events = receipt!.logs.filter((l) => r.f.market.interface.parseLog(l)?.name === "Settled").length;
    expect(events, "settleMany: Settled events").to.equal(settled);
    count(`settleMany settled ${settled} of ${chosen.length}`);
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
    if (m.positions.length === 0) return;
    const pos = m.positions[this.pick % m.positions.length];
    const at = (BigInt(pos.p.period) + 1n) * PERIOD + GRACE;
    const o = predict(m, r, pos);
    const fail = !pos.open
      ? { on: r.f.market, error: "UnknownPosition", args: [pos.hash] }
      : m.next < at
        ? { on: r.f.market, error: "GraceNotOver", args: [pos.hash, at] }
        : o.amounts
          ? { on: r.f.market, error: "DeliveryMeasured", args: [pos.hash] }
          : null;
    await send(m, () => r.f.market.unwind(pos.p), fail);
    if (fail) return;
    const centre = CENTRES.find((c) => who(r, c) === pos.p.centre)!;
    const gen = GENERATORS.find((g) => who(r, g) === pos.p.generator)!;
    m.free[centre].usd += BigInt(pos.p.usd);
    m.free[gen].kwh += BigInt(pos.p.amountWh);
    pos.open = false;
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
    fc.boolean(),
    fc.nat(),
    centreArb,
    genArb,
    fc.nat(9),
    fc.constantFrom(Direction.Increase, Direction.Decrease),
    fc.bigInt({ min: 1n, max: 3_000n }),
    fc.bigInt({ min: 1n, max: 2_000_000_000n }),
    fc.integer({ min: 0, max: 1000 }).map((x) => x / 1000),
    fc.constantFrom(1n, 1n, 1n, 2n, 3n),
  )
  // One fill in ten at the wrong node; the others at the generator's own.
  .map(
    ([fresh, pick, c, g, wrong, dir, wh, usd, part, ahead]) =>
      new Fill(fresh, pick, c, g, wrong === 0 ? (NODE[g] === 27 ? 34 : 27) : NODE[g], dir, wh, usd, part, ahead),
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
  this.timeout(600_000);

  it(`${RUNS} random sequences keep the market solvent and agree with the model`, async () => {
    console.log(`      fast-check seed ${SEED}, ${RUNS} runs (FC_SEED / FC_RUNS override)`);
    const f = await deployWith({ periodSeconds: 60, disputeWindowSeconds: 60, settlementGraceSeconds: Number(GRACE) });
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
          filled: new Map(),
          offers: [],
          positions: [],
          book: new Map(),
          reports: new Set([f.period - 1n]),
          records: new Map(),
          nonce: 0n,
        };
        const r: Real = { f, others: { usd: otherUsd, kwh: otherKwh }, signer, meter };
        await fc.asyncModelRun(() => ({ model: m, real: r }), cmds);
        // End of sequence: wallets and supplies conserved; positions open exactly as modelled; no double settlement.
        for (const p of PARTIES) {
          expect(
            [await f.usd.balanceOf(signer[p].address), await f.kwh.balanceOf(signer[p].address)],
            `wallet of ${p}`,
          ).to.deep.equal([m.wallet[p].usd, m.wallet[p].kwh]);
        }
        expect([await f.usd.totalSupply(), await f.kwh.totalSupply()], "supplies").to.deep.equal(supply);
        for (const pos of m.positions) {
          expect(await f.market.isOpen(pos.p), `position ${pos.hash} open`).to.equal(pos.open);
          expect(pos.settled).to.be.lessThanOrEqual(1);
        }
      }),
      { seed: SEED, numRuns: RUNS },
    );
    const lines = [...OUTCOMES.entries()].sort().map(([k, v]) => `        ${k}: ${v}`);
    console.log(`      outcomes over all runs:\n${lines.join("\n")}`);
  });

  it("settlement is independent of order: random fills, one measurement, two random settlement orders", async () => {
    const f = await deployWith({ periodSeconds: 60, disputeWindowSeconds: 0 });
    const base = await takeSnapshot();
    await fc.assert(
      fc.asyncProperty(
        fc.array(fc.record({ centre: fc.boolean(), amount: fc.bigInt({ min: 1n, max: 1_000n }), dir: fc.boolean() }), {
          minLength: 2,
          maxLength: 5,
        }),
        fc.bigInt({ min: -4_000n, max: 4_000n }),
        fc.array(fc.nat(), { minLength: 5, maxLength: 5 }),
        async (fills, delivered, keys) => {
          await base.restore();
          const period = periodOfT(BigInt(await time.latest())) + 1n;
          const positions: Position[] = [];
          let nonce = 0n;
          for (const x of fills) {
            const c = x.centre ? f.centre : f.centre2;
            const offer: Offer = {
              centre: c.address,
              generator: ethers.ZeroAddress,
              node: 27,
              direction: x.dir ? Direction.Increase : Direction.Decrease,
              amountWh: x.amount,
              usd: x.amount * 10_000n + 7n,
              period,
              justification: f.period - 1n,
              deadline: period * PERIOD - 1n,
              maxFillWh: x.amount,
              baseline: 0,
              baselineDays: 0,
              epoch: 0,
              nonce: ++nonce,
            };
            const tx = await f.market.connect(f.gen27).fill(offer, await signOffer(c, f.marketDomain, offer), x.amount);
            const { hash: _h, ...p } = await positionOf(f, tx);
            positions.push(p);
          }
          await time.increaseTo((period + 1n) * PERIOD);
          await submitReport(f, paperReport(period + 1n, [measurement(f.gen27.address, period, delivered)]));
          const afterReport = await takeSnapshot();
          const results: bigint[][] = [];
          const orders = [
            positions.map((_, i) => i),
            positions.map((_, i) => i).sort((a, b) => keys[a] - keys[b] || b - a),
          ];
          for (const order of orders) {
            await afterReport.restore();
            for (const i of order) await f.market.settle(positions[i]);
            const out: bigint[] = [];
            for (const s of [f.centre, f.centre2, f.gen27]) out.push(...(await f.market.balancesOf(s.address)));
            results.push(out);
          }
          expect(results[1]).to.deep.equal(results[0]);
        },
      ),
      { seed: SEED, numRuns: 25 },
    );
  });
});

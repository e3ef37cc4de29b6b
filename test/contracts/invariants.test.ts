/**
 * Property-based invariant test of the market (fast-check model-based testing).
 *
 * A plain TypeScript model tracks every offer, oracle report, measured delivery, the chain's
 * clock and every party's USD and kWh balance. fast-check generates short random command
 * sequences (publish, accept, cancel, report, settle/settleMany, advance time, refund, unwind —
 * valid and invalid ones), runs each against the Hardhat network and the model side by side, and
 * after every command checks:
 *   - the market holds exactly the escrows: USD of open and accepted offers, kWh of accepted ones;
 *   - total supply of each token is what setup minted (no mint/burn by the market);
 *   - statuses only move forward, and no offer is settled twice (a second settle reverts);
 *   - every offer and every party's balance equal the model's (pro-rata payment rounded down);
 *   - a call the model expects to fail reverts with that exact error and changes nothing.
 * The chain's clock is driven by the model: every transaction is mined at `model.next`
 * (evm_setNextBlockTimestamp), so expiry, period and grace boundaries are hit to the second.
 * Each sequence starts from one evm_snapshot (no redeploy).
 *
 *   FC_SEED=<int>   replay another seed (the default is fixed; the seed is printed)
 *   FC_RUNS=<int>   number of sequences (default 200)
 *   FC_PATH=<path>  replay one counterexample (with its seed), as printed by fast-check
 */
import { expect } from "chai";
import fc from "fast-check";
import { ethers } from "hardhat";
import { loadFixture, takeSnapshot, time } from "@nomicfoundation/hardhat-network-helpers";
import type { HardhatEthersSigner } from "@nomicfoundation/hardhat-ethers/signers";
import type { BaseContract, ContractTransactionReceipt, ContractTransactionResponse } from "ethers";
import type { DemandResponseMarket, GridOracle, KwhToken, UsdToken } from "../../typechain-types";
import { deployMarket, paperReport, PERIOD_SECONDS, Status, USD } from "./fixture";

const DEFAULT_SEED = 20_251_124;
const SEED = process.env.FC_SEED !== undefined ? Number(process.env.FC_SEED) : DEFAULT_SEED;
const NUM_RUNS = process.env.FC_RUNS !== undefined ? Number(process.env.FC_RUNS) : 200;
const MAX_COMMANDS = 20;
if (!Number.isInteger(SEED)) throw new Error(`FC_SEED must be an integer, got '${process.env.FC_SEED}'`);
if (!Number.isInteger(NUM_RUNS) || NUM_RUNS < 1) throw new Error(`FC_RUNS must be a positive integer`);

const UINT64_MAX = 2n ** 64n - 1n;
const UINT96_MAX = 2n ** 96n - 1n;
const INT64_MAX = 2n ** 63n - 1n;
const INT64_MIN = -(2n ** 63n);
const PERIOD_SECONDS_N = Number(PERIOD_SECONDS);

const PARTIES = ["admin", "oracle", "centre", "centre2", "gen27", "gen34", "gen2", "stranger"] as const;
type Party = (typeof PARTIES)[number];
type Holder = Party | "market";
const HOLDERS: readonly Holder[] = [...PARTIES, "market"];
const NODE_OF: Record<Party, number> = {
  admin: 0,
  oracle: 0,
  centre: 0,
  centre2: 0,
  gen27: 27,
  gen34: 34,
  gen2: 2,
  stranger: 0,
};
const GENERATORS = ["gen27", "gen34", "gen2"] as const;
const CENTRES: readonly Party[] = ["centre", "centre2"];
const STATUS_NAME = ["None", "Open", "Accepted", "Settled", "Cancelled", "Refunded", "Unwound"];
/** Statuses each status may move to (besides staying). */
const NEXT_STATUS: Record<string, bigint[]> = {
  [`${Status.None}`]: [Status.Open],
  [`${Status.Open}`]: [Status.Accepted, Status.Cancelled, Status.Refunded],
  [`${Status.Accepted}`]: [Status.Settled, Status.Unwound],
};

// ---------------------------------------------------------------------------------------------
// Model

interface OfferModel {
  id: bigint;
  centre: Party;
  /** Named generator (restricted), the accepting one once accepted, else null. */
  generator: Party | null;
  restricted: boolean;
  node: number;
  direction: 0 | 1;
  kwh: bigint;
  usd: bigint;
  period: bigint;
  justification: bigint;
  expiry: bigint;
  status: bigint;
}

interface Balances {
  usd: bigint;
  kwh: bigint;
}

interface Model {
  /** Timestamp of the latest block. */
  now: bigint;
  /** Timestamp the next transaction is mined at (> now). */
  next: bigint;
  offers: OfferModel[];
  bal: Record<Holder, Balances>;
  reports: Set<bigint>;
  /** `${period}:${generator}` → measured adjustment, Wh. */
  measured: Map<string, bigint>;
  /** `${period}:${generator}` → Wh of that measurement already credited to settled offers. */
  credited: Map<string, bigint>;
  trace: string[];
}

interface World {
  signer: Record<Party, HardhatEthersSigner>;
  addr: Record<Holder, string>;
  market: DemandResponseMarket;
  usd: UsdToken;
  kwh: KwhToken;
  gridOracle: GridOracle;
  centreRole: string;
  grace: bigint;
  initialBal: Record<Holder, Balances>;
  usdSupply: bigint;
  kwhSupply: bigint;
  initialOffers: OfferModel[];
  initialReports: bigint[];
  snapshot: Awaited<ReturnType<typeof takeSnapshot>>;
}

interface Real {
  w: World;
  /** On-chain status of each offer at the previous check (index id − 1). */
  lastStatus: bigint[];
  /** OfferSettled events seen per offer id. */
  settledEvents: Map<bigint, number>;
}

/** How often each call ended how, over all runs (printed at the end, to show what was exercised). */
const TALLY = new Map<string, number>();

/** What the model expects a call to revert with. */
interface Revert {
  on: "market" | "usd" | "kwh" | "oracle";
  error: string;
  args: unknown[];
}

const key = (period: bigint, generator: Party): string => `${period}:${generator}`;
const currentPeriodOf = (m: Model): bigint => m.next / PERIOD_SECONDS;
const clampInt64 = (x: bigint): bigint => (x > INT64_MAX ? INT64_MAX : x < INT64_MIN ? INT64_MIN : x);
const fmtOffer = (o: OfferModel): string =>
  `#${o.id}[${STATUS_NAME[Number(o.status)]} ${o.direction === 0 ? "Inc" : "Dec"} node ${o.node} ` +
  `kwh ${o.kwh} usd ${o.usd} period ${o.period} expiry ${o.expiry}${o.generator ? ` gen ${o.generator}` : ""}]`;

/** The settlement rule of IDemandResponseMarket, restated independently. */
function settlement(o: OfferModel, measured: bigint, credited: bigint) {
  // One delivery never pays twice: only what earlier settlements have not credited counts.
  const available = (o.direction === 0 ? measured : -measured) - credited;
  const delivered = available <= 0n ? 0n : available >= o.kwh ? o.kwh : available;
  const toGenerator = (o.usd * delivered) / o.kwh; // bigint division rounds down (both ≥ 0)
  return { delivered, toGenerator, toCentre: o.usd - toGenerator };
}

function move(m: Model, token: keyof Balances, from: Holder, to: Holder, amount: bigint): void {
  m.bal[from][token] -= amount;
  m.bal[to][token] += amount;
}

// ---------------------------------------------------------------------------------------------
// Chain plumbing

function contractOf(w: World, on: Revert["on"]): BaseContract {
  return { market: w.market, usd: w.usd, kwh: w.kwh, oracle: w.gridOracle }[on];
}

/**
 * Sends one transaction at `m.next` and checks the outcome the model predicted: the exact revert
 * (reverted transactions are mined too, so the clock moves either way) or success.
 */
async function send(
  m: Model,
  r: Real,
  label: string,
  tx: () => Promise<ContractTransactionResponse>,
  revert: Revert | null,
): Promise<ContractTransactionReceipt | null> {
  const outcome = `${label}: ${revert ? revert.error : "ok"}`;
  TALLY.set(outcome, (TALLY.get(outcome) ?? 0) + 1);
  await time.setNextBlockTimestamp(m.next);
  let receipt: ContractTransactionReceipt | null = null;
  if (revert) {
    m.trace.push(`      → expect revert ${revert.error}(${revert.args.map(String).join(", ")})`);
    await expect(tx())
      .to.be.revertedWithCustomError(contractOf(r.w, revert.on), revert.error)
      .withArgs(...revert.args);
  } else {
    receipt = await (await tx()).wait();
  }
  m.now = m.next;
  m.next = m.now + 1n;
  const latest = BigInt(await time.latest());
  if (latest !== m.now) throw new Error(`block mined at ${latest}, the model expected ${m.now}`);
  return receipt;
}

function settledEvents(r: Real, receipt: ContractTransactionReceipt | null) {
  const out: { id: bigint; generator: string; delivered: bigint; toGen: bigint; toCentre: bigint; kwh: bigint }[] = [];
  for (const log of receipt?.logs ?? []) {
    const parsed = r.w.market.interface.parseLog(log);
    if (parsed?.name !== "OfferSettled") continue;
    const [id, generator, delivered, toGen, toCentre, kwh] = parsed.args as unknown as [
      bigint,
      string,
      bigint,
      bigint,
      bigint,
      bigint,
    ];
    out.push({ id, generator, delivered, toGen, toCentre, kwh });
    r.settledEvents.set(id, (r.settledEvents.get(id) ?? 0) + 1);
  }
  return out;
}

/** Every invariant, read from the chain and compared with the model. */
async function checkInvariants(m: Model, r: Real): Promise<void> {
  const { w } = r;
  const [count, usdSupply, kwhSupply, balances, offers] = await Promise.all([
    w.market.offerCount(),
    w.usd.totalSupply(),
    w.kwh.totalSupply(),
    Promise.all(HOLDERS.map((h) => Promise.all([w.usd.balanceOf(w.addr[h]), w.kwh.balanceOf(w.addr[h])]))),
    Promise.all(m.offers.map((o) => w.market.getOffer(o.id))),
  ]);

  // Supply is conserved: only setup minted, nothing burns or mints in the market.
  expect(usdSupply, "USD total supply").to.equal(w.usdSupply);
  expect(kwhSupply, "kWh total supply").to.equal(w.kwhSupply);
  let usdSum = 0n;
  let kwhSum = 0n;
  HOLDERS.forEach((h, i) => {
    const [u, k] = balances[i];
    usdSum += u;
    kwhSum += k;
    expect(u, `USD balance of ${h}`).to.equal(m.bal[h].usd);
    expect(k, `kWh balance of ${h}`).to.equal(m.bal[h].kwh);
  });
  expect(usdSum, "USD held by the parties and the market = supply").to.equal(usdSupply);
  expect(kwhSum, "kWh held by the parties and the market = supply").to.equal(kwhSupply);

  // Offers: as modelled; statuses only move forward; nothing settled twice.
  expect(count, "offerCount").to.equal(BigInt(m.offers.length));
  let usdEscrow = 0n;
  let kwhEscrow = 0n;
  offers.forEach((c, i) => {
    const o = m.offers[i];
    const what = `offer #${o.id}`;
    const before = r.lastStatus[i] ?? Status.None;
    expect(
      c.status === before || NEXT_STATUS[`${before}`]?.includes(c.status),
      `${what}: status moved ${STATUS_NAME[Number(before)]} → ${STATUS_NAME[Number(c.status)]}`,
    ).to.equal(true);
    r.lastStatus[i] = c.status;
    expect(STATUS_NAME[Number(c.status)], `${what} status`).to.equal(STATUS_NAME[Number(o.status)]);
    expect(c.centre, `${what} centre`).to.equal(w.addr[o.centre]);
    expect(c.generator, `${what} generator`).to.equal(o.generator ? w.addr[o.generator] : ethers.ZeroAddress);
    expect(c.restricted, `${what} restricted`).to.equal(o.restricted);
    expect(c.usdAmount, `${what} usdAmount`).to.equal(o.usd);
    expect(c.kwhAmount, `${what} kwhAmount`).to.equal(o.kwh);
    expect(c.node, `${what} node`).to.equal(BigInt(o.node));
    expect(c.direction, `${what} direction`).to.equal(BigInt(o.direction));
    expect(c.period, `${what} period`).to.equal(o.period);
    expect(c.expiry, `${what} expiry`).to.equal(o.expiry);
    expect(c.justification, `${what} justification`).to.equal(o.justification);
    if (c.status === Status.Open || c.status === Status.Accepted) usdEscrow += c.usdAmount;
    if (c.status === Status.Accepted) kwhEscrow += c.kwhAmount;
    const settledTimes = r.settledEvents.get(o.id) ?? 0;
    expect(settledTimes, `${what}: OfferSettled events`).to.equal(o.status === Status.Settled ? 1 : 0);
  });

  // The market holds exactly the escrows of open (USD) and accepted (USD and kWh) offers.
  expect(balances[HOLDERS.indexOf("market")][0], "market USD = escrow of open and accepted offers").to.equal(usdEscrow);
  expect(balances[HOLDERS.indexOf("market")][1], "market kWh = escrow of accepted offers").to.equal(kwhEscrow);
}

// ---------------------------------------------------------------------------------------------
// Commands

/** How a command chooses its offer: preferably one with a given status, any, or an unknown id. */
type Pick = { prefer: "open" | "accepted" | "measured" | "any" | "unknown"; n: number };

function pickId(m: Model, p: Pick): bigint {
  if (p.prefer === "unknown" || m.offers.length === 0) return p.n % 2 === 0 ? 0n : BigInt(m.offers.length + 1);
  const want = p.prefer === "open" ? Status.Open : p.prefer === "any" ? null : Status.Accepted;
  const pool = want === null ? m.offers : m.offers.filter((o) => o.status === want);
  // First the open offers still acceptable / the accepted ones already measured, then any with
  // the status, then any offer.
  const live =
    p.prefer === "open"
      ? pool.filter((o) => m.next <= o.expiry)
      : p.prefer === "measured"
        ? pool.filter((o) => m.measured.has(key(o.period, o.generator as Party)))
        : [];
  const from = live.length > 0 ? live : pool.length > 0 ? pool : m.offers;
  return from[p.n % from.length].id;
}

const offerOf = (m: Model, id: bigint): OfferModel | undefined => (id >= 1n ? m.offers[Number(id) - 1] : undefined);

const pickArb = (weights: Partial<Record<Pick["prefer"], number>>): fc.Arbitrary<Pick> =>
  fc.record({
    prefer: fc.oneof(
      ...Object.entries(weights).map(([prefer, weight]) => ({
        weight: weight as number,
        arbitrary: fc.constant(prefer as Pick["prefer"]),
      })),
    ),
    n: fc.nat(1000),
  });

abstract class Cmd implements fc.AsyncCommand<Model, Real> {
  check(): boolean {
    return true;
  }
  async run(m: Model, r: Real): Promise<void> {
    m.trace.push(`${this.toString()}  @t=${m.next} (period ${currentPeriodOf(m)})`);
    try {
      await this.act(m, r);
      await checkInvariants(m, r);
    } catch (e) {
      const msg = e instanceof Error ? e.message : String(e);
      const offers = m.offers.map(fmtOffer).join("\n    ");
      const err = new Error(
        `${msg}\n  this run, step by step:\n    ${m.trace.join("\n    ")}\n  model offers:\n    ${offers || "(none)"}`,
      );
      throw err;
    }
  }
  protected abstract act(m: Model, r: Real): Promise<void>;
  abstract toString(): string;
}

interface PublishArgs {
  by: Party;
  node: number;
  restrict: "none" | "atNode" | Party;
  direction: 0 | 1;
  kwh: bigint;
  usd: bigint;
  periodOffset: number;
  expiry: "min" | "max" | "mid" | "now" | "late";
  frac: number;
  justification: "latest" | "missing";
}

class Publish extends Cmd {
  constructor(readonly a: PublishArgs) {
    super();
  }
  toString(): string {
    const a = this.a;
    return (
      `publish(by ${a.by}, node ${a.node}, ${a.direction === 0 ? "Increase" : "Decrease"}, kwh ${a.kwh}, ` +
      `usd ${a.usd}, period +${a.periodOffset}, expiry ${a.expiry}, restrict ${a.restrict}, ` +
      `justification ${a.justification})`
    );
  }
  protected async act(m: Model, r: Real): Promise<void> {
    const a = this.a;
    const ts = m.next;
    const current = currentPeriodOf(m);
    const period = current + BigInt(a.periodOffset);
    const periodEnd = (period + 1n) * PERIOD_SECONDS;
    const span = periodEnd - ts - 2n; // "mid" stays before the last valid expiry (periodEnd − 1)
    const expiry = {
      min: ts + 1n,
      max: periodEnd - 1n,
      mid: ts + 1n + (span > 0n ? (span * BigInt(a.frac)) / 1000n : 0n),
      now: ts,
      late: periodEnd,
    }[a.expiry];
    const latestReport = [...m.reports].reduce((x, y) => (y > x ? y : x));
    const justification = a.justification === "latest" ? latestReport : current + 3n;
    const named: Party | null =
      a.restrict === "none"
        ? null
        : a.restrict === "atNode"
          ? (GENERATORS.find((g) => NODE_OF[g] === a.node) ?? "gen27")
          : a.restrict;

    let revert: Revert | null = null;
    if (!CENTRES.includes(a.by))
      revert = { on: "market", error: "AccessControlUnauthorizedAccount", args: [r.w.addr[a.by], r.w.centreRole] };
    else if (a.kwh === 0n || a.usd === 0n) revert = { on: "market", error: "ZeroAmount", args: [] };
    else if (a.node === 0) revert = { on: "market", error: "ZeroNode", args: [] };
    else if (period < current) revert = { on: "market", error: "PeriodOver", args: [period, current] };
    else if (expiry <= ts || expiry >= periodEnd)
      revert = { on: "market", error: "BadExpiry", args: [expiry, ts, periodEnd] };
    else if (!m.reports.has(justification))
      revert = { on: "market", error: "NoJustifyingReport", args: [justification] };
    else if (named !== null && NODE_OF[named] !== a.node)
      revert = { on: "market", error: "GeneratorNotAtNode", args: [r.w.addr[named], a.node, NODE_OF[named]] };
    else if (m.bal[a.by].usd < a.usd)
      revert = { on: "usd", error: "ERC20InsufficientBalance", args: [r.w.addr[a.by], m.bal[a.by].usd, a.usd] };

    const params = {
      generator: named ? r.w.addr[named] : ethers.ZeroAddress,
      node: a.node,
      direction: a.direction,
      kwhAmount: a.kwh,
      usdAmount: a.usd,
      period,
      justification,
      expiry,
    };
    await send(m, r, "publish", () => r.w.market.connect(r.w.signer[a.by]).publish(params), revert);
    if (revert) return;
    const id = BigInt(m.offers.length + 1);
    m.offers.push({
      id,
      centre: a.by,
      generator: named,
      restricted: named !== null,
      node: a.node,
      direction: a.direction,
      kwh: a.kwh,
      usd: a.usd,
      period,
      justification,
      expiry,
      status: Status.Open,
    });
    move(m, "usd", a.by, "market", a.usd);
    m.trace.push(`      → offer #${id} period ${period} expiry ${expiry}`);
  }
}

class Accept extends Cmd {
  constructor(
    readonly pick: Pick,
    readonly by: "atNode" | Party,
  ) {
    super();
  }
  toString(): string {
    return `accept(${this.pick.prefer}/${this.pick.n}, by ${this.by})`;
  }
  protected async act(m: Model, r: Real): Promise<void> {
    const id = pickId(m, this.pick);
    const o = offerOf(m, id);
    const by: Party =
      this.by !== "atNode" ? this.by : (o?.generator ?? GENERATORS.find((g) => NODE_OF[g] === o?.node) ?? "stranger");
    m.trace.push(`      → offer #${id} by ${by}`);
    let revert: Revert | null = null;
    if (!o) revert = { on: "market", error: "UnknownOffer", args: [id] };
    else if (o.status !== Status.Open) revert = { on: "market", error: "WrongStatus", args: [id, o.status] };
    else if (m.next > o.expiry) revert = { on: "market", error: "OfferExpired", args: [id, o.expiry] };
    else if (o.restricted && o.generator !== by)
      revert = { on: "market", error: "NotOfferGenerator", args: [id, r.w.addr[o.generator as Party]] };
    else if (NODE_OF[by] !== o.node)
      revert = { on: "market", error: "GeneratorNotAtNode", args: [r.w.addr[by], o.node, NODE_OF[by]] };
    else if (m.bal[by].kwh < o.kwh)
      revert = { on: "kwh", error: "ERC20InsufficientBalance", args: [r.w.addr[by], m.bal[by].kwh, o.kwh] };
    await send(m, r, "accept", () => r.w.market.connect(r.w.signer[by]).accept(id), revert);
    if (revert || !o) return;
    o.generator = by;
    o.status = Status.Accepted;
    move(m, "kwh", by, "market", o.kwh);
  }
}

class Cancel extends Cmd {
  constructor(
    readonly pick: Pick,
    readonly by: "owner" | Party,
  ) {
    super();
  }
  toString(): string {
    return `cancel(${this.pick.prefer}/${this.pick.n}, by ${this.by})`;
  }
  protected async act(m: Model, r: Real): Promise<void> {
    const id = pickId(m, this.pick);
    const o = offerOf(m, id);
    const by: Party = this.by === "owner" ? (o?.centre ?? "centre") : this.by;
    m.trace.push(`      → offer #${id} by ${by}`);
    let revert: Revert | null = null;
    if (!o) revert = { on: "market", error: "UnknownOffer", args: [id] };
    else if (o.centre !== by) revert = { on: "market", error: "NotOfferCentre", args: [id, r.w.addr[o.centre]] };
    else if (o.status !== Status.Open) revert = { on: "market", error: "WrongStatus", args: [id, o.status] };
    await send(m, r, "cancel", () => r.w.market.connect(r.w.signer[by]).cancel(id), revert);
    if (revert || !o) return;
    o.status = Status.Cancelled;
    move(m, "usd", "market", o.centre, o.usd);
  }
}

class Refund extends Cmd {
  constructor(
    readonly pick: Pick,
    readonly by: Party,
  ) {
    super();
  }
  toString(): string {
    return `refund(${this.pick.prefer}/${this.pick.n}, by ${this.by})`;
  }
  protected async act(m: Model, r: Real): Promise<void> {
    const id = pickId(m, this.pick);
    const o = offerOf(m, id);
    m.trace.push(`      → offer #${id}`);
    let revert: Revert | null = null;
    if (!o) revert = { on: "market", error: "UnknownOffer", args: [id] };
    else if (o.status !== Status.Open) revert = { on: "market", error: "WrongStatus", args: [id, o.status] };
    else if (m.next <= o.expiry) revert = { on: "market", error: "OfferNotExpired", args: [id, o.expiry] };
    await send(m, r, "refund", () => r.w.market.connect(r.w.signer[this.by]).refund(id), revert);
    if (revert || !o) return;
    o.status = Status.Refunded;
    move(m, "usd", "market", o.centre, o.usd);
  }
}

class Unwind extends Cmd {
  constructor(
    readonly pick: Pick,
    readonly by: Party,
  ) {
    super();
  }
  toString(): string {
    return `unwind(${this.pick.prefer}/${this.pick.n}, by ${this.by})`;
  }
  protected async act(m: Model, r: Real): Promise<void> {
    const id = pickId(m, this.pick);
    const o = offerOf(m, id);
    m.trace.push(`      → offer #${id}`);
    let revert: Revert | null = null;
    if (!o) revert = { on: "market", error: "UnknownOffer", args: [id] };
    else if (o.status !== Status.Accepted) revert = { on: "market", error: "WrongStatus", args: [id, o.status] };
    else {
      const unwindableAt = (o.period + 1n) * PERIOD_SECONDS + r.w.grace;
      if (m.next < unwindableAt) revert = { on: "market", error: "GraceNotOver", args: [id, unwindableAt] };
      else if (m.measured.has(key(o.period, o.generator as Party)))
        revert = { on: "market", error: "DeliveryMeasured", args: [id] };
    }
    await send(m, r, "unwind", () => r.w.market.connect(r.w.signer[this.by]).unwind(id), revert);
    if (revert || !o) return;
    o.status = Status.Unwound;
    move(m, "usd", "market", o.centre, o.usd);
    move(m, "kwh", "market", o.generator as Party, o.kwh);
  }
}

/** Applies a settlement to the model; returns the OfferSettled event it must emit. */
function settleInModel(m: Model, r: Real, o: OfferModel) {
  const gen = o.generator as Party;
  const k = key(o.period, gen);
  const s = settlement(o, m.measured.get(k) as bigint, m.credited.get(k) ?? 0n);
  m.credited.set(k, (m.credited.get(k) ?? 0n) + s.delivered);
  o.status = Status.Settled;
  const how = s.delivered === 0n ? "nothing" : s.delivered === o.kwh ? "all" : "part";
  const tallied = `settlement (delivered ${how}${s.delivered > 0n && s.toGenerator * o.kwh !== o.usd * s.delivered ? ", rounded down" : ""})`;
  TALLY.set(tallied, (TALLY.get(tallied) ?? 0) + 1);
  move(m, "usd", "market", gen, s.toGenerator);
  move(m, "usd", "market", o.centre, s.toCentre);
  move(m, "kwh", "market", o.centre, o.kwh);
  m.trace.push(`      → #${o.id} settles: delivered ${s.delivered}/${o.kwh} Wh, USD ${s.toGenerator} to ${gen}`);
  return {
    id: o.id,
    generator: r.w.addr[gen],
    delivered: s.delivered,
    toGen: s.toGenerator,
    toCentre: s.toCentre,
    kwh: o.kwh,
  };
}

class Settle extends Cmd {
  constructor(
    readonly picks: Pick[],
    readonly many: boolean,
    readonly by: Party,
  ) {
    super();
  }
  toString(): string {
    return `${this.many ? "settleMany" : "settle"}([${this.picks.map((p) => `${p.prefer}/${p.n}`).join(", ")}], by ${this.by})`;
  }
  protected async act(m: Model, r: Real): Promise<void> {
    const market = r.w.market.connect(r.w.signer[this.by]);
    if (this.many) {
      const ids = this.picks.map((p) => pickId(m, p));
      m.trace.push(`      → ids [${ids.join(", ")}]`);
      const expected = [];
      for (const id of ids) {
        const o = offerOf(m, id);
        if (o?.status === Status.Accepted && m.measured.has(key(o.period, o.generator as Party)))
          expected.push(settleInModel(m, r, o));
      }
      expect(await market.settleMany.staticCall(ids), "settleMany return value").to.equal(BigInt(expected.length));
      const receipt = await send(m, r, "settleMany", () => market.settleMany(ids), null);
      expect(settledEvents(r, receipt), "OfferSettled events of settleMany").to.deep.equal(expected);
      return;
    }
    const id = pickId(m, this.picks[0]);
    const o = offerOf(m, id);
    m.trace.push(`      → offer #${id}`);
    let revert: Revert | null = null;
    if (!o) revert = { on: "market", error: "UnknownOffer", args: [id] };
    else if (o.status !== Status.Accepted) revert = { on: "market", error: "WrongStatus", args: [id, o.status] };
    else if (!m.measured.has(key(o.period, o.generator as Party)))
      revert = { on: "market", error: "DeliveryNotReported", args: [o.period, r.w.addr[o.generator as Party]] };
    const receipt = await send(m, r, "settle", () => market.settle(id), revert);
    if (revert || !o) return;
    const expected = settleInModel(m, r, o);
    expect(settledEvents(r, receipt), "OfferSettled event").to.deep.equal([expected]);
    // Settling again must fail and change nothing.
    await send(m, r, "settle again", () => market.settle(id), {
      on: "market",
      error: "WrongStatus",
      args: [id, Status.Settled],
    });
  }
}

type Outcome = "none" | "zero" | "partial" | "full" | "over" | "wrong" | "maxOver" | "extremeWrong";

/**
 * The oracle's report: usually the next period's (the clock first moves into it, `delay` seconds
 * after it starts), sometimes the current period's again (which must revert once reported).
 */
class Report extends Cmd {
  constructor(
    readonly when: "next" | "current",
    readonly delay: number,
    readonly outcomes: { kind: Outcome; n: number }[],
  ) {
    super();
  }
  toString(): string {
    return `report(${this.when}+${this.delay}s, [${this.outcomes.map((o) => `${o.kind}/${o.n}`).join(", ")}])`;
  }
  protected async act(m: Model, r: Real): Promise<void> {
    if (this.when === "next") m.next = (currentPeriodOf(m) + 1n) * PERIOD_SECONDS + BigInt(this.delay);
    const period = currentPeriodOf(m);
    // One measurement per (delivery period, generator) of an accepted, not yet measured offer.
    const refs: OfferModel[] = [];
    const seen = new Set<string>();
    for (const o of m.offers) {
      const k = key(o.period, o.generator as Party);
      if (o.status !== Status.Accepted || o.period >= period || m.measured.has(k) || seen.has(k)) continue;
      seen.add(k);
      refs.push(o);
    }
    const deliveries: { period: bigint; generator: string; adjustmentWh: bigint; party: Party }[] = [];
    refs.forEach((o, i) => {
      const out = this.outcomes.length > 0 ? this.outcomes[i % this.outcomes.length] : { kind: "none", n: 0 };
      const sign = o.direction === 0 ? 1n : -1n;
      const n = BigInt(out.n);
      const wh: bigint | null = {
        none: null,
        zero: 0n,
        partial: (sign * o.kwh * (1n + (n % 999n))) / 1000n,
        full: sign * o.kwh,
        over: sign * (o.kwh + 1n + n),
        wrong: -sign * (1n + ((o.kwh * n) % (o.kwh + 1n))),
        maxOver: sign > 0n ? INT64_MAX : INT64_MIN,
        extremeWrong: sign > 0n ? INT64_MIN : INT64_MAX,
      }[out.kind as Outcome];
      if (wh === null) return;
      const party = o.generator as Party;
      deliveries.push({ period: o.period, generator: r.w.addr[party], adjustmentWh: clampInt64(wh), party });
    });
    m.trace.push(
      `      → report for period ${period}: ${deliveries.map((d) => `${d.party}@${d.period}=${d.adjustmentWh}`).join(", ") || "no deliveries"}`,
    );
    const revert: Revert | null = m.reports.has(period)
      ? { on: "oracle", error: "ReportAlreadySubmitted", args: [period] }
      : null;
    const report = paperReport(
      period,
      deliveries.map(({ period: p, generator, adjustmentWh }) => ({ period: p, generator, adjustmentWh })),
    );
    await send(m, r, "report", () => r.w.gridOracle.connect(r.w.signer.oracle).submitReport(report, []), revert);
    if (revert) return;
    m.reports.add(period);
    for (const d of deliveries) m.measured.set(key(d.period, d.party), d.adjustmentWh);
  }
}

type AdvanceKind = "small" | "expiry" | "afterExpiry" | "periodStart" | "periodLast" | "graceMinus1" | "grace" | "far";

class Advance extends Cmd {
  constructor(
    readonly kind: AdvanceKind,
    readonly n: number,
  ) {
    super();
  }
  toString(): string {
    return `advance(${this.kind}/${this.n})`;
  }
  protected async act(m: Model, r: Real): Promise<void> {
    const nextPeriodStart = (currentPeriodOf(m) + 1n) * PERIOD_SECONDS;
    const open = m.offers.filter((o) => o.status === Status.Open);
    const accepted = m.offers.filter((o) => o.status === Status.Accepted);
    const anyOffer = open.length > 0 ? open[this.n % open.length] : m.offers[this.n % Math.max(1, m.offers.length)];
    const acc = accepted.length > 0 ? accepted[this.n % accepted.length] : undefined;
    const unwindableAt = acc ? (acc.period + 1n) * PERIOD_SECONDS + r.w.grace : undefined;
    const small = m.now + 1n + BigInt(this.n % 600);
    const target: bigint =
      {
        small,
        expiry: anyOffer?.expiry,
        afterExpiry: anyOffer ? anyOffer.expiry + 1n : undefined,
        periodStart: nextPeriodStart,
        periodLast: nextPeriodStart - 1n,
        graceMinus1: unwindableAt !== undefined ? unwindableAt - 1n : undefined,
        grace: unwindableAt,
        far: m.now + r.w.grace + PERIOD_SECONDS * BigInt(this.n % 4),
      }[this.kind] ?? small;
    // The clock never goes back: a target in the past means "the next second".
    m.next = target > m.now ? target : m.now + 1n;
    m.trace.push(`      → next transaction at ${m.next} (period ${currentPeriodOf(m)})`);
  }
}

// ---------------------------------------------------------------------------------------------
// Arbitraries

const partyArb = fc.constantFrom<Party>(...PARTIES);
const kwhArb = fc.oneof(
  { weight: 2, arbitrary: fc.constant(1n) },
  { weight: 2, arbitrary: fc.constant(2_300n) }, // the paper's 2.3 kWh
  { weight: 6, arbitrary: fc.bigInt(1n, 1_000_000n) },
  { weight: 2, arbitrary: fc.constant(1_000_000n) }, // a generator's whole capacity
  { weight: 1, arbitrary: fc.constant(0n) },
  { weight: 1, arbitrary: fc.constant(UINT64_MAX) }, // more than anyone holds
);
const usdArb = fc.oneof(
  { weight: 2, arbitrary: fc.constant(1n) },
  { weight: 2, arbitrary: fc.constant(USD("0.25266763")) }, // the paper's price
  { weight: 6, arbitrary: fc.bigInt(1n, USD("50")) },
  { weight: 1, arbitrary: fc.bigInt(1n, USD("1000")) },
  { weight: 1, arbitrary: fc.constant(0n) },
  { weight: 1, arbitrary: fc.constant(UINT96_MAX) }, // more than any centre holds
);

const publishArb: fc.Arbitrary<Cmd> = fc
  .record({
    by: fc.oneof(
      { weight: 6, arbitrary: fc.constant<Party>("centre") },
      { weight: 2, arbitrary: fc.constant<Party>("centre2") },
      { weight: 1, arbitrary: fc.constant<Party>("stranger") },
    ),
    node: fc.oneof({ weight: 12, arbitrary: fc.constantFrom(27, 34, 2) }, { weight: 1, arbitrary: fc.constant(0) }),
    restrict: fc.oneof(
      { weight: 4, arbitrary: fc.constant<"none">("none") },
      { weight: 3, arbitrary: fc.constant<"atNode">("atNode") },
      { weight: 1, arbitrary: fc.constantFrom<Party>(...GENERATORS, "stranger") },
    ),
    direction: fc.constantFrom<0 | 1>(0, 1),
    kwh: kwhArb,
    usd: usdArb,
    periodOffset: fc.oneof(
      { weight: 5, arbitrary: fc.constant(0) },
      { weight: 2, arbitrary: fc.integer({ min: 1, max: 2 }) },
    ),
    expiry: fc.oneof(
      { weight: 3, arbitrary: fc.constantFrom<"min" | "max" | "mid">("min", "max", "mid") },
      { weight: 1, arbitrary: fc.constantFrom<"now" | "late">("now", "late") },
    ),
    frac: fc.integer({ min: 0, max: 1000 }),
    justification: fc.oneof(
      { weight: 12, arbitrary: fc.constant<"latest">("latest") },
      { weight: 1, arbitrary: fc.constant<"missing">("missing") },
    ),
  })
  .map((a) => new Publish(a));

const acceptArb: fc.Arbitrary<Cmd> = fc
  .tuple(
    pickArb({ open: 8, any: 2, unknown: 1 }),
    fc.oneof(
      { weight: 4, arbitrary: fc.constant<"atNode">("atNode") },
      { weight: 2, arbitrary: fc.constantFrom<Party>(...GENERATORS, "stranger") },
    ),
  )
  .map(([p, by]) => new Accept(p, by));

const cancelArb: fc.Arbitrary<Cmd> = fc
  .tuple(
    pickArb({ open: 6, any: 3, unknown: 1 }),
    fc.oneof(
      { weight: 3, arbitrary: fc.constant<"owner">("owner") },
      { weight: 2, arbitrary: fc.constantFrom<Party>("centre", "centre2", "stranger") },
    ),
  )
  .map(([p, by]) => new Cancel(p, by));

const refundArb: fc.Arbitrary<Cmd> = fc
  .tuple(pickArb({ open: 6, any: 3, unknown: 1 }), partyArb)
  .map(([p, by]) => new Refund(p, by));

const unwindArb: fc.Arbitrary<Cmd> = fc
  .tuple(pickArb({ accepted: 6, any: 3, unknown: 1 }), partyArb)
  .map(([p, by]) => new Unwind(p, by));

const settleArb: fc.Arbitrary<Cmd> = fc.oneof(
  fc
    .tuple(pickArb({ measured: 6, accepted: 3, any: 2, unknown: 1 }), partyArb)
    .map(([p, by]) => new Settle([p], false, by)),
  fc
    .tuple(
      fc.array(pickArb({ measured: 4, accepted: 3, any: 2, unknown: 1 }), { minLength: 1, maxLength: 5 }),
      partyArb,
    )
    .map(([ps, by]) => new Settle(ps, true, by)),
);

const reportArb: fc.Arbitrary<Cmd> = fc
  .tuple(
    fc.oneof(
      { weight: 4, arbitrary: fc.constant<"next">("next") },
      { weight: 1, arbitrary: fc.constant<"current">("current") },
    ),
    fc.oneof(fc.constant(0), fc.nat(PERIOD_SECONDS_N - 1)),
    fc.array(
      fc.record({
        kind: fc.constantFrom<Outcome>(
          "none",
          "zero",
          "partial",
          "partial",
          "full",
          "full",
          "over",
          "wrong",
          "maxOver",
          "extremeWrong",
        ),
        n: fc.nat(1000),
      }),
      { minLength: 1, maxLength: 4 },
    ),
  )
  .map(([when, delay, outs]) => new Report(when, delay, outs));

const advanceArb: fc.Arbitrary<Cmd> = fc
  .tuple(
    fc.oneof(
      { weight: 4, arbitrary: fc.constant<AdvanceKind>("periodStart") },
      { weight: 2, arbitrary: fc.constant<AdvanceKind>("small") },
      {
        weight: 6,
        arbitrary: fc.constantFrom<AdvanceKind>("expiry", "afterExpiry", "periodLast", "graceMinus1", "grace", "far"),
      },
    ),
    fc.nat(1000),
  )
  .map(([kind, n]) => new Advance(kind, n));

/** Repeated entries weigh the more useful commands. */
const COMMANDS: fc.Arbitrary<Cmd>[] = [
  publishArb,
  publishArb,
  publishArb,
  acceptArb,
  acceptArb,
  acceptArb,
  cancelArb,
  refundArb,
  unwindArb,
  settleArb,
  settleArb,
  settleArb,
  reportArb,
  reportArb,
  reportArb,
  advanceArb,
  advanceArb,
  advanceArb,
];

// ---------------------------------------------------------------------------------------------
// Setup and the property

async function setupWorld(): Promise<World> {
  const f = await loadFixture(deployMarket);
  const signers = await ethers.getSigners();
  const centre2 = signers[7];
  const { market, usd, kwh, gridOracle } = f;
  // A second centre, so that one centre trying to cancel another's offer is exercised too.
  await market.grantRole(await market.CENTRE_ROLE(), centre2.address);
  await usd.mint(centre2.address, USD("1000"));
  await usd.connect(centre2).approve(await market.getAddress(), ethers.MaxUint256);

  const signer: Record<Party, HardhatEthersSigner> = {
    admin: f.admin,
    oracle: f.oracle,
    centre: f.centre,
    centre2,
    gen27: f.gen27,
    gen34: f.gen34,
    gen2: f.gen2,
    stranger: f.stranger,
  };
  const addr = Object.fromEntries(PARTIES.map((p) => [p, signer[p].address])) as Record<Holder, string>;
  addr.market = await market.getAddress();
  for (const g of GENERATORS) expect(await f.registry.nodeOf(addr[g])).to.equal(NODE_OF[g]);
  expect(await market.offerCount()).to.equal(0n);

  // Every sequence starts with two open and two accepted offers, so that short sequences reach
  // reports and settlements; the model reads them back from the chain.
  const later = f.period + 1n;
  const end = (p: bigint): bigint => (p + 1n) * PERIOD_SECONDS - 1n; // latest expiry: 1 s before the period ends
  await market.connect(f.centre).publish(f.paperOffer({ expiry: end(f.period) }));
  await market.connect(centre2).publish(
    f.paperOffer({
      generator: addr.gen34,
      node: 34,
      direction: 0,
      kwhAmount: 5_000n,
      usdAmount: USD("1"),
      period: later,
      expiry: end(later),
    }),
  );
  await market
    .connect(f.centre)
    .publish(f.paperOffer({ node: 2, direction: 0, kwhAmount: 1_000n, usdAmount: USD("0.1"), expiry: end(f.period) }));
  await market.connect(f.gen2).accept(3);
  await market.connect(centre2).publish(f.paperOffer({ generator: addr.gen27, expiry: end(f.period) }));
  await market.connect(f.gen27).accept(4);

  const partyOf = new Map(PARTIES.map((p) => [addr[p], p]));
  const initialOffers: OfferModel[] = [];
  for (let id = 1n; id <= (await market.offerCount()); id++) {
    const c = await market.getOffer(id);
    initialOffers.push({
      id,
      centre: partyOf.get(c.centre) as Party,
      generator: c.generator === ethers.ZeroAddress ? null : (partyOf.get(c.generator) as Party),
      restricted: c.restricted,
      node: Number(c.node),
      direction: Number(c.direction) as 0 | 1,
      kwh: c.kwhAmount,
      usd: c.usdAmount,
      period: c.period,
      justification: c.justification,
      expiry: c.expiry,
      status: c.status,
    });
  }
  const initialBal = {} as Record<Holder, Balances>;
  for (const h of HOLDERS) initialBal[h] = { usd: await usd.balanceOf(addr[h]), kwh: await kwh.balanceOf(addr[h]) };
  return {
    signer,
    addr,
    market,
    usd,
    kwh,
    gridOracle,
    centreRole: await market.CENTRE_ROLE(),
    grace: await market.SETTLEMENT_GRACE(),
    initialBal,
    initialOffers,
    usdSupply: await usd.totalSupply(),
    kwhSupply: await kwh.totalSupply(),
    initialReports: [f.period - 1n],
    snapshot: await takeSnapshot(),
  };
}

describe("DemandResponseMarket: invariants under random command sequences (fast-check)", function () {
  let world: World;
  const stats = { runs: 0, commands: 0 };

  before(async () => {
    world = await setupWorld();
  });
  after(async () => {
    await world.snapshot.restore(); // leave the chain as setup left it
  });

  it(`escrow, supply, status and balance invariants hold over ${NUM_RUNS} random sequences`, async function () {
    this.timeout(0); // many chain round trips; no timing is asserted
    console.log(
      `      fast-check seed ${SEED}${process.env.FC_SEED === undefined ? " (default; set FC_SEED to change)" : " (FC_SEED)"}, ` +
        `${NUM_RUNS} runs of ≤ ${MAX_COMMANDS} commands`,
    );
    const setup = async (): Promise<{ model: Model; real: Real }> => {
      await world.snapshot.restore();
      const now = BigInt(await time.latest());
      const bal = Object.fromEntries(HOLDERS.map((h) => [h, { ...world.initialBal[h] }])) as Record<Holder, Balances>;
      stats.runs++;
      return {
        model: {
          now,
          next: now + 1n,
          offers: world.initialOffers.map((o) => ({ ...o })),
          bal,
          reports: new Set(world.initialReports),
          measured: new Map(),
          credited: new Map(),
          trace: [],
        },
        real: { w: world, lastStatus: world.initialOffers.map((o) => o.status), settledEvents: new Map() },
      };
    };
    await fc.assert(
      fc.asyncProperty(fc.commands(COMMANDS, { maxCommands: MAX_COMMANDS, size: "max" }), async (cmds) => {
        await fc.asyncModelRun(setup, cmds);
        stats.commands += [...cmds].length;
      }),
      { numRuns: NUM_RUNS, seed: SEED, path: process.env.FC_PATH },
    );
    console.log(`      ${stats.runs} sequences (incl. any shrinking), ${stats.commands} commands`);
    const lines = [...TALLY.entries()].sort(([a], [b]) => a.localeCompare(b)).map(([k, v]) => `${k} ×${v}`);
    console.log(`      calls: ${lines.join("; ")}`);
  });
});

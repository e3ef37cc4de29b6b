/**
 * A generator's sealed bids (issue #25; docs/bids.md): what it bids from its own policy, and the
 * commit–reveal duty its agent runs at every poll.
 *
 *   before bidGate(D)         build the bid for D from the policy, check it as the bid book would,
 *                             sign it, keep it (salt included) in the state file, then commit it;
 *   [bidGate(D), revealEnd(D)) reveal it;
 *   later                     a bid not revealed in time is out of D's auction (logged once).
 *
 * The bid is kept before it is committed: a process that dies after broadcasting the commitment
 * still holds the salt it needs to reveal. A commitment of mine on chain that my state does not
 * know (a state file lost) cannot be revealed; the agent says so and the unit keeps the operation
 * data's terms in that period (docs/bids.md, "No bond").
 */
import type { Signer, TypedDataDomain } from "ethers";
import type { BidBook, GeneratorRegistry } from "../../typechain-types";
import {
  bidTimes,
  checkSealedBid,
  commitBid,
  newSalt,
  readBidBookTerms,
  revealBid,
  sealBid,
  BidError,
  MAX_RANGE_PERIODS,
  MAX_STEPS,
  type BidBookTermsData,
  type BidStepData,
  type SealedBidData,
} from "../chain/bids";
import { BidState, Direction } from "../chain/enums";
import { describeChainError, isTransient, KeyInUseError } from "../chain/errors";
import type { SendOptions, SendResult } from "../chain/tx";
import { readDomain } from "../chain/typed-data";
import { kwhText, kwhToWh, unitsToUsdPerMWh, usdPerMWhToUnits } from "../chain/units";

/** How a generator bids; prices in USD/MWh of adjustment (as the bid book and the nodal prices). */
export interface BidPolicy {
  /** Asked to raise output (fuel and wear of the extra energy, plus margin); absent: no up bid. */
  readonly upUsdPerMWh?: number;
  /** Asked to lower output (the energy's value to the unit less the fuel saved, plus margin); absent: no down bid. */
  readonly downUsdPerMWh?: number;
  /** Markup on those prices, a fraction: 0 bids them as they are, 0.3 asks 30 % more (a strategic bidder). */
  readonly markup?: number;
  /** Steps per direction (1–4, default 2): the quantity split evenly, each step dearer than the one before. */
  readonly steps?: number;
  /** How much dearer each step is than the one before, a fraction (default 0.2): a convex cost curve. */
  readonly stepRise?: number;
  /** Wh per direction at most (default: the policy's capacity, never more than the registered capacity allows). */
  readonly quantityWh?: bigint;
  /** How many delivery periods ahead it commits (default 2: the next period whose gate is open, and the one after). */
  readonly periodsAhead?: number;
  /**
   * Periods one bid covers (1–48, default 1): a bid for a range is committed and revealed once, at
   * its first period's gate and window, and holds for each period of the range — one commitment
   * and one reveal a day instead of 48, at the price of fixing the bid that long.
   */
  readonly rangePeriods?: number;
}

/** Throws a RangeError naming the field when a bid policy cannot be meant. */
export function checkBidPolicy(b: BidPolicy): BidPolicy {
  const need = (ok: boolean, field: string, rule: string, value: unknown): void => {
    if (!ok) throw new RangeError(`bid ${field} must be ${rule}, got ${String(value)}`);
  };
  for (const [field, price] of [
    ["up price", b.upUsdPerMWh],
    ["down price", b.downUsdPerMWh],
  ] as const)
    if (price !== undefined) need(Number.isFinite(price) && price > 0, field, "a number of USD/MWh > 0", price);
  need(
    b.upUsdPerMWh !== undefined || b.downUsdPerMWh !== undefined,
    "prices",
    "given for at least one direction",
    "none",
  );
  if (b.markup !== undefined) need(Number.isFinite(b.markup) && b.markup >= 0, "markup", "a fraction ≥ 0", b.markup);
  if (b.steps !== undefined)
    need(Number.isInteger(b.steps) && b.steps >= 1 && b.steps <= MAX_STEPS, "steps", `1..${MAX_STEPS}`, b.steps);
  if (b.stepRise !== undefined)
    need(Number.isFinite(b.stepRise) && b.stepRise > 0, "step rise", "a fraction > 0", b.stepRise);
  if (b.quantityWh !== undefined) need(b.quantityWh > 0n, "quantity", "Wh > 0", b.quantityWh);
  if (b.periodsAhead !== undefined)
    need(Number.isInteger(b.periodsAhead) && b.periodsAhead >= 1, "periods ahead", "an integer ≥ 1", b.periodsAhead);
  if (b.rangePeriods !== undefined)
    need(
      Number.isInteger(b.rangePeriods) && b.rangePeriods >= 1 && b.rangePeriods <= MAX_RANGE_PERIODS,
      "range",
      `1..${MAX_RANGE_PERIODS} periods`,
      b.rangePeriods,
    );
  return b;
}

/**
 * One direction's steps: `quantityWh` split evenly over the steps (the last takes the remainder),
 * the first at `price × (1 + markup)`, each next one `stepRise` dearer; prices in USD/MWh × 1e8,
 * clamped to the bid book's range. Fewer steps when the quantity cannot give each one 1 Wh.
 */
export function bidSteps(
  priceUsdPerMWh: number,
  quantityWh: bigint,
  b: BidPolicy,
  maxPriceUsdPerMWh: bigint,
): BidStepData[] {
  const count = BigInt(Math.min(b.steps ?? 2, Number(quantityWh > 4n ? 4n : quantityWh)));
  if (count <= 0n) return [];
  const each = quantityWh / count;
  const steps: BidStepData[] = [];
  let previous = 0n;
  for (let i = 0n; i < count; i++) {
    const asked = priceUsdPerMWh * (1 + (b.markup ?? 0)) * (1 + (b.stepRise ?? 0.2)) ** Number(i);
    let price = usdPerMWhToUnits(asked);
    if (price <= previous) price = previous + 1n; // strictly rising, as the book requires
    if (price > maxPriceUsdPerMWh) break; // what would ask more than the book takes is not bid
    previous = price;
    steps.push({ quantityWh: i === count - 1n ? quantityWh - each * (count - 1n) : each, priceUsdPerMWh: price });
  }
  return steps;
}

/** A generator's bid for delivery periods first..last, from its bid policy (a new salt each time). */
export function policyBid(
  who: { readonly address: string; readonly node: number; readonly capacityKwh: number },
  b: BidPolicy,
  periods: { readonly first: number; readonly last: number },
  ctx: { readonly capacityW: number; readonly terms: BidBookTermsData },
): SealedBidData {
  // The registered capacity bounds a direction's Wh over one period (the book's QuantityAboveCapacity).
  const registeredWh = (BigInt(ctx.capacityW) * BigInt(ctx.terms.periodSeconds)) / 3600n;
  const own = b.quantityWh ?? kwhToWh(who.capacityKwh);
  const quantityWh = own < registeredWh ? own : registeredWh;
  const steps = (price: number | undefined): BidStepData[] =>
    price === undefined ? [] : bidSteps(price, quantityWh, b, ctx.terms.maxPriceUsdPerMWh);
  return {
    generator: who.address,
    firstPeriod: periods.first,
    lastPeriod: periods.last,
    bid: { node: who.node, up: steps(b.upUsdPerMWh), down: steps(b.downUsdPerMWh), salt: newSalt() },
  };
}

/** Words for a bid: its steps per direction, kWh at USD/MWh. */
export function describeBid(sealed: SealedBidData): string {
  const side = (name: string, steps: readonly BidStepData[]): string | undefined =>
    steps.length === 0
      ? undefined
      : `${name} ${steps.map((s) => `${kwhText(s.quantityWh)} at ${unitsToUsdPerMWh(s.priceUsdPerMWh).toFixed(2)}`).join(", ")} USD/MWh`;
  return [side("raise", sealed.bid.up), side("lower", sealed.bid.down)].filter(Boolean).join("; ");
}

/** "period 7" or "periods 7..10". */
const periodsText = (s: SealedBidData): string =>
  s.firstPeriod === s.lastPeriod ? `period ${s.firstPeriod}` : `periods ${s.firstPeriod}..${s.lastPeriod}`;

/** What the agent keeps of one of its bids (JSON in its state file), by its first period. */
export interface KeptBid {
  /** The last period the bid covers (its first is the key it is kept under). */
  readonly last: number;
  readonly sealed: Record<string, unknown>;
  readonly signature: string;
  committed?: boolean;
  revealed?: boolean;
  /** Why it is out of the auction (logged once), when it is. */
  out?: string;
}

/** What a bidding tick did, by delivery period. */
export interface BiddingTick {
  readonly committed: { readonly period: number; readonly bid: SealedBidData }[];
  readonly revealed: { readonly period: number; readonly bid: SealedBidData }[];
  /** Bids out of their auction: not revealed in time, refused, or a commitment I cannot reveal. */
  readonly out: { readonly period: number; readonly reason: string }[];
}

export interface BidderConfig {
  readonly book: BidBook;
  readonly registry: GeneratorRegistry;
  readonly wallet: Signer;
  readonly who: { readonly address: string; readonly node: number; readonly capacityKwh: number };
  readonly policy: BidPolicy;
  /** The agent's bids, by delivery period (its state file's; saved by `save`). */
  readonly kept: () => Record<string, KeptBid>;
  /** Writes the state file (durably) — called after a bid is kept and before it is committed. */
  readonly save: () => void;
  /** Sends through the agent's journal and records the transaction. */
  readonly send: (send: (options: Partial<SendOptions>) => Promise<SendResult>, label: string) => Promise<SendResult>;
  readonly log: (line: string) => void;
}

/** The commit–reveal duty of one generator (used by GeneratorAgent.poll). */
export class Bidder {
  private terms?: BidBookTermsData;
  private domain?: TypedDataDomain;
  private capacityW?: number;

  constructor(private readonly cfg: BidderConfig) {
    checkBidPolicy(cfg.policy);
  }

  /** The bid I revealed covering `period` (undefined: none, or not revealed). */
  revealedFor(period: number): SealedBidData | undefined {
    const cover = this.covering(period);
    return cover?.kept.revealed ? sealedFromJson(cover.kept.sealed) : undefined;
  }

  /** The kept bid covering `period`, and its first period. */
  private covering(period: number): { first: number; kept: KeptBid } | undefined {
    for (const [first, kept] of Object.entries(this.cfg.kept()))
      if (Number(first) <= period && period <= (kept.last ?? Number(first))) return { first: Number(first), kept };
    return undefined;
  }

  /** Commits what is due, reveals what may be revealed, and forgets bids of past periods. */
  async tick(now: number): Promise<BiddingTick> {
    const out: BiddingTick = { committed: [], revealed: [], out: [] };
    const { book } = this.cfg;
    if (!this.terms) {
      this.terms = await readBidBookTerms(book);
      this.domain = await readDomain(book);
      const [node, , capacityW] = await this.cfg.registry.generatorOf(this.cfg.who.address);
      if (Number(node) !== this.cfg.who.node)
        throw new BidError("WrongNode", `registered at node ${node}, my policy says node ${this.cfg.who.node}`);
      this.capacityW = Number(capacityW);
    }
    const terms = this.terms;
    const current = Math.floor(now / terms.periodSeconds);
    const kept = this.cfg.kept();
    for (const [p, k] of Object.entries(kept)) if ((k.last ?? Number(p)) < current) delete kept[p];
    const ahead = this.cfg.policy.periodsAhead ?? 2;
    for (let period = current + 1; period <= current + ahead + 1; period++) {
      // A period inside a range bid is the range's: committed and revealed at its first period.
      const cover = this.covering(period);
      if (cover && cover.first !== period) continue;
      const times = bidTimes(period, terms);
      try {
        if (now < times.bidGate) await this.commit(period, out);
        else if (now < times.revealEnd) await this.reveal(period, out);
        else this.missed(period, out);
      } catch (e) {
        if (isTransient(e) || e instanceof KeyInUseError) throw e;
        const reason = describeChainError(e);
        // Out of this period's auction, said once (a bid refused before it was kept is kept as refused).
        const k = kept[period];
        if (k) k.out = reason;
        else kept[period] = { last: period, sealed: {}, signature: "", out: reason };
        out.out.push({ period, reason });
        this.cfg.log(`my bid for period ${period}: ${reason}`);
      }
    }
    return out;
  }

  private async commit(period: number, out: BiddingTick): Promise<void> {
    const kept = this.cfg.kept();
    let k = kept[period];
    if (k?.committed || k?.out) return;
    if (!k) {
      // A commitment of mine for this period that I did not keep: a state file lost or replaced.
      if (await this.cfg.book.isCommitted(this.cfg.who.address, period)) {
        kept[period] = {
          last: period,
          sealed: {},
          signature: "",
          out: "a commitment of mine is on chain that I hold no bid for",
        };
        out.out.push({ period, reason: kept[period].out as string });
        this.cfg.log(
          `period ${period}: a commitment of mine is on chain that I hold no bid for; it cannot be revealed`,
        );
        return;
      }
      // A range ends before the next bid I keep (the kept ones start later: they were made first).
      let last = period + (this.cfg.policy.rangePeriods ?? 1) - 1;
      for (const first of Object.keys(kept).map(Number)) if (first > period && first <= last) last = first - 1;
      const sealed = policyBid(
        this.cfg.who,
        this.cfg.policy,
        { first: period, last },
        {
          capacityW: this.capacityW as number,
          terms: this.terms as BidBookTermsData,
        },
      );
      checkSealedBid(sealed, {
        registeredNode: this.cfg.who.node,
        capacityW: this.capacityW as number,
        terms: this.terms as BidBookTermsData,
      });
      const { signature } = await sealBid(this.cfg.wallet, this.domain as TypedDataDomain, sealed);
      k = { last, sealed: sealedToJson(sealed), signature };
      kept[period] = k;
      this.cfg.save(); // the salt is on disk before the commitment can be on chain
    }
    const sealed = sealedFromJson(k.sealed);
    const result = await this.cfg.send(
      (options) => commitBid(this.cfg.book, this.cfg.wallet, sealed, k.signature, options),
      `commit my bid for period ${period}`,
    );
    k.committed = true;
    out.committed.push({ period, bid: sealed });
    if (result.status === "mined")
      this.cfg.log(
        `committed a sealed bid for ${periodsText(sealed)} (${describeBid(sealed)}); revealed after the gate`,
      );
  }

  private async reveal(period: number, out: BiddingTick): Promise<void> {
    const k = this.cfg.kept()[period];
    if (!k || k.revealed || k.out) return;
    const sealed = sealedFromJson(k.sealed);
    if (!k.committed) {
      // Kept but its commitment never confirmed (a restart): on chain, or out of the auction.
      const c = await this.cfg.book.commitmentOf(this.cfg.who.address, period);
      if (Number(c.state) === BidState.None) return this.missed(period, out);
      k.committed = true;
    }
    const result = await this.cfg.send(
      (options) => revealBid(this.cfg.book, this.cfg.wallet, sealed, options),
      `reveal my bid for period ${period}`,
    );
    k.revealed = true;
    out.revealed.push({ period, bid: sealed });
    if (result.status === "mined") this.cfg.log(`revealed my bid for ${periodsText(sealed)}: ${describeBid(sealed)}`);
  }

  private missed(period: number, out: BiddingTick): void {
    const k = this.cfg.kept()[period];
    if (!k || k.revealed || k.out) return;
    k.out = k.committed ? "not revealed before the reveal window closed" : "never committed before the gate";
    out.out.push({ period, reason: k.out });
    this.cfg.log(`my bid for period ${period} is out of the auction: ${k.out}`);
  }
}

/** The Wh my revealed bid offers in the offer's direction. */
export function bidQuantityWh(sealed: SealedBidData, direction: number): bigint {
  const steps = direction === Direction.Increase ? sealed.bid.up : sealed.bid.down;
  return steps.reduce((sum, s) => sum + s.quantityWh, 0n);
}

/** A sealed bid as JSON (its Wh and prices as decimal strings), for the state file. */
export function sealedToJson(sealed: SealedBidData): Record<string, unknown> {
  const steps = (list: readonly BidStepData[]) =>
    list.map((x) => ({ quantityWh: x.quantityWh.toString(), priceUsdPerMWh: x.priceUsdPerMWh.toString() }));
  return { ...sealed, bid: { ...sealed.bid, up: steps(sealed.bid.up), down: steps(sealed.bid.down) } };
}

export function sealedFromJson(json: Record<string, unknown>): SealedBidData {
  const s = json as unknown as SealedBidData;
  const steps = (list: readonly BidStepData[]) =>
    list.map((x) => ({ quantityWh: BigInt(x.quantityWh), priceUsdPerMWh: BigInt(x.priceUsdPerMWh) }));
  return { ...s, bid: { ...s.bid, up: steps(s.bid.up), down: steps(s.bid.down) } };
}

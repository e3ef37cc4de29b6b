/**
 * The generators' fill rule: which offers on the bulletin board a generator fills, and how much —
 * decided from the offer, the generator's own costs and its book in the offer's delivery period
 * (what it has already committed, in which direction, to which centre — read from chain state, so
 * the decision survives restarts; finding GS-06). Pure: every decision carries its reason, in
 * words and units an operator reads.
 *
 * Part of the chain library integrators use (beside market-data.ts and board.ts), not of the
 * agents: every generator's wallet runs it on its own terms — the generator agents
 * (oracle/agents/generator.ts) and a person's wallet in the dashboard's generator view alike. The
 * terms are the generator's private costs, which no server could publish for it.
 */
import { BookState, Direction } from "./enums";
import type { OfferData } from "./market-data";
import { isoText, kwhToWh, unitsToUsd, usdPerMWhOf, whToKwh } from "./units";

export interface GeneratorPolicy {
  /** The generator's wallet and its grid node (bus number). */
  readonly address: string;
  readonly node: number;
  /** What one kWh of adjustment costs this unit (fuel saved or spent, wear), USD/kWh. */
  readonly costUsdPerKwh: number;
  /** Required margin above cost, USD/kWh. */
  readonly marginUsdPerKwh: number;
  /** Largest adjustment it commits in one delivery period, in one direction, kWh. */
  readonly capacityKwh: number;
  /**
   * Its planned output without any trade, MW (mean over the period): what it nominates as its
   * baseline when it first commits in a period (a number, or one per delivery period).
   */
  readonly plannedMW: number | ((period: number) => number);
}

/** What `decide` weighs: the price terms, without the planned output (a nomination, not a price). */
export type PriceTerms = Omit<GeneratorPolicy, "plannedMW">;

/** Throws a RangeError naming the field when the policy cannot be meant (finding: cost −1 accepted anything). */
export function checkPolicy(p: GeneratorPolicy): GeneratorPolicy {
  const need = (ok: boolean, field: string, rule: string, value: unknown): void => {
    if (!ok) throw new RangeError(`${field} must be ${rule}, got ${String(value)}`);
  };
  need(Number.isInteger(p.node) && p.node > 0, "node", "a bus number (a positive integer)", p.node);
  need(Number.isFinite(p.costUsdPerKwh) && p.costUsdPerKwh >= 0, "cost", "a number of USD/kWh ≥ 0", p.costUsdPerKwh);
  need(
    Number.isFinite(p.marginUsdPerKwh) && p.marginUsdPerKwh >= 0,
    "margin",
    "a number of USD/kWh ≥ 0",
    p.marginUsdPerKwh,
  );
  need(Number.isFinite(p.capacityKwh) && p.capacityKwh > 0, "capacity", "a number of kWh > 0", p.capacityKwh);
  if (typeof p.plannedMW === "number")
    need(Number.isFinite(p.plannedMW) && p.plannedMW >= 0, "planned output", "a number of MW ≥ 0", p.plannedMW);
  return p;
}

/** The generator's planned output in `period`, MW. */
export function plannedMW(p: GeneratorPolicy, period: number): number {
  const mw = typeof p.plannedMW === "number" ? p.plannedMW : p.plannedMW(period);
  if (!Number.isFinite(mw) || mw < 0)
    throw new RangeError(`planned output for period ${period} must be ≥ 0 MW, got ${mw}`);
  return mw;
}

/** The generator's book in the offer's delivery period (from `market.bookOf`). */
export interface BookView {
  /** BookState ordinal (None: nothing committed in the period yet). */
  readonly state: number;
  readonly direction: number;
  readonly committedWh: bigint;
  readonly centre: string;
}

export interface OfferState {
  /** Wh already filled by partial fills (market.offerStatus). */
  readonly filledWh: bigint;
  /** Whether the market says it is fillable (OfferStatus.Open). */
  readonly open: boolean;
  /** Last second a fill can land: min(deadline, gate closure), Unix s. */
  readonly closesAt: number;
}

export interface Decision {
  readonly fill: boolean;
  /** Wh to fill (0 when not filling). */
  readonly amountWh: bigint;
  readonly reason: string;
}

const ZERO = "0x0000000000000000000000000000000000000000";
const fmtKwh = (wh: bigint): string => `${whToKwh(wh).toFixed(3)} kWh`;

/**
 * The part of the decision that needs no chain state (who the offer is for, where, until when):
 * a reason to reject, or undefined when the offer needs a closer look.
 */
export function staticRejection(policy: PriceTerms, offer: OfferData, nowSeconds: number): string | undefined {
  if (nowSeconds > offer.deadline) return `closed at ${isoText(offer.deadline)}`;
  if (offer.generator !== ZERO && offer.generator.toLowerCase() !== policy.address.toLowerCase()) {
    return `reserved for ${offer.generator}`;
  }
  if (offer.node !== policy.node) return `for node ${offer.node}, I am at node ${policy.node}`;
  return undefined;
}

/** What rules out filling any offer, whatever its price: a reason, or undefined. */
function bookRejection(
  policy: PriceTerms,
  offer: OfferData,
  state: OfferState,
  book: BookView,
  nowSeconds: number,
): string | undefined {
  const early = staticRejection(policy, offer, nowSeconds);
  if (early) return early;
  if (!state.open) return "no longer open (filled, cancelled or closed)";
  if (nowSeconds > state.closesAt) return `closed at ${isoText(state.closesAt)}`;
  const open = book.state === BookState.Open;
  if (open && book.direction !== offer.direction) {
    const increase = offer.direction === Direction.Increase;
    return `I already committed to ${increase ? "lower" : "raise"} output by ${fmtKwh(book.committedWh)} in period ${offer.period}`;
  }
  if (open && book.centre.toLowerCase() !== offer.centre.toLowerCase()) {
    return `I already committed to centre ${book.centre} in period ${offer.period} (one centre per period)`;
  }
  if (offer.amountWh - state.filledWh <= 0n) return "fully filled";
  return undefined;
}

export function decide(
  policy: PriceTerms,
  offer: OfferData,
  state: OfferState,
  book: BookView,
  nowSeconds: number,
): Decision {
  const no = (reason: string): Decision => ({ fill: false, amountWh: 0n, reason });
  const rejection = bookRejection(policy, offer, state, book, nowSeconds);
  if (rejection) return no(rejection);
  const open = book.state === BookState.Open;
  const capacityWh = kwhToWh(policy.capacityKwh);
  const used = open ? book.committedWh : 0n;
  const room = capacityWh - used;
  if (room <= 0n) return no(`my capacity of ${policy.capacityKwh} kWh in period ${offer.period} is committed`);
  const left = offer.amountWh - state.filledWh;
  // Price per kWh of the whole offer; a partial fill is paid the same rate (rounded down).
  const perKwh = unitsToUsd(offer.usd) / whToKwh(offer.amountWh);
  const needed = policy.costUsdPerKwh + policy.marginUsdPerKwh;
  if (perKwh < needed) {
    return no(
      `pays ${perKwh.toFixed(6)} USD/kWh, below my cost ${policy.costUsdPerKwh} + margin ${policy.marginUsdPerKwh}`,
    );
  }
  let amountWh = left;
  if (offer.maxFillWh < amountWh) amountWh = offer.maxFillWh;
  if (room < amountWh) amountWh = room;
  const minimum = offer.minFillWh < left ? offer.minFillWh : left;
  if (amountWh < minimum) {
    return no(`room for ${fmtKwh(amountWh)} only, below the offer's minimum fill of ${fmtKwh(minimum)}`);
  }
  return {
    fill: true,
    amountWh,
    reason:
      `pays ${perKwh.toFixed(6)} USD/kWh ≥ cost ${policy.costUsdPerKwh} + margin ${policy.marginUsdPerKwh}; ` +
      `filling ${fmtKwh(amountWh)} of ${fmtKwh(left)} left (room ${fmtKwh(room)})`,
  };
}

/**
 * A reserved offer for a period in which my sealed bid was selected (docs/bids.md): its price is
 * the one my bid set under the market's pricing rule, so it is filled in full without weighing
 * the price again — unless it asks more than my bid offered in its direction, or the book rules
 * it out. `bidWh`: my revealed bid's Wh in the offer's direction.
 */
export function decideSelected(
  policy: PriceTerms,
  offer: OfferData,
  state: OfferState,
  book: BookView,
  bidWh: bigint,
  nowSeconds: number,
): Decision {
  const no = (reason: string): Decision => ({ fill: false, amountWh: 0n, reason });
  const rejection = bookRejection(policy, offer, state, book, nowSeconds);
  if (rejection) return no(rejection);
  const already = book.state === BookState.Open ? book.committedWh : 0n;
  const left = offer.amountWh - state.filledWh;
  if (already + left > bidWh)
    return no(
      `asks ${fmtKwh(left)}${already > 0n ? ` on top of ${fmtKwh(already)} committed` : ""}, ` +
        `more than my bid offered to ${offer.direction === Direction.Increase ? "raise" : "lower"} (${fmtKwh(bidWh)})`,
    );
  const perMWh = usdPerMWhOf(offer.usd, offer.amountWh);
  return {
    fill: true,
    amountWh: left,
    reason: `selected on my sealed bid (${perMWh.toFixed(2)} USD/MWh for ${fmtKwh(offer.amountWh)}): filling the reserved offer in full`,
  };
}

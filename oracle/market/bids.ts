/**
 * Generators' bids as the redispatch's costs and capacities, and the selection the redispatch
 * makes among them (docs/bids.md). Pure and deterministic: the oracle operators recompute a
 * centre's published selection from the revealed bids and the study with exactly this code.
 *
 * Units: a step's energy in whole Wh over the delivery period (as bid on chain), prices in
 * USD/MWh, power in MW (the LP's): a step of q Wh over a period of T hours is q / 10⁶ / T MW.
 *
 * Bids → the study (applyBids), for one delivery period:
 *   - Only bids covering the period count, one per generator (the chain allows no more).
 *   - A bid belongs to the market unit at its node. A node without a market unit, or with more
 *     than one, cannot take bids: those bids are set aside, with the reason. So are steps asking
 *     the limit-violation price or more (leaving the limit unmet would cost no more).
 *   - A unit some generator bid for takes its costs and capacities from the bids alone: each
 *     direction's curve is every step bid at its node, cheapest first (ties: generator address,
 *     then the step's place in its bid). The operation data's prices and ramp no longer apply to
 *     it; Pmin, Pmax and a renewable's forecast still do (unitRanges cuts the curve there).
 *   - A unit no generator bid for keeps the operation data's terms: the fallback, offered as
 *     before (to any generator at its node). Not revealing a bid therefore leaves a unit where
 *     not bidding would — the reason the bid book takes no bond.
 *
 * The study → the selection (selectBids): each bid unit's adjustment, in Wh as its offer carries
 * it to the chain (round(kWh · 1000)), is taken from its curve in the same order; a step is
 * selected for the Wh taken from it and paid, per MWh, under the pricing rule:
 *   pay-as-bid   its own price
 *   nodal        the adjustment's nodal value v (±LMP at the node), never below its own price
 * The LP fills cheaper steps first, so this is the LP's own choice, step by step; the selection
 * is listed by (generator address, direction, step), the order the bid book requires.
 */
import type { PricingRule } from "../grid/case/operation";
import { GridError } from "../grid/errors";
import type { MarketModel, MarketUnit, PriceStep } from "./model";
import type { Offer } from "./prices";

/** A bid that cannot be what the chain accepts: unusable input, named. */
export class BidDataError extends GridError {}

/** One price–quantity step of a bid. */
export interface BidStep {
  /** Energy offered over one delivery period, whole Wh (> 0). */
  readonly quantityWh: number;
  /** Price asked, USD/MWh (> 0). */
  readonly priceUsdPerMWh: number;
}

/** A revealed bid (as the bid book emitted it, in the market core's units). */
export interface Bid {
  /** The generator's wallet address (0x…, any case): who is selected and paid. */
  readonly generator: string;
  /** Its registered node (bus number). */
  readonly node: number;
  /** The delivery periods it covers. */
  readonly firstPeriod: number;
  readonly lastPeriod: number;
  /** Steps to raise and to lower output, in order of strictly rising price. */
  readonly up: readonly BidStep[];
  readonly down: readonly BidStep[];
}

export type BidDirection = "increase" | "decrease";

/** A step of a unit's curve and whose it is. */
export interface CurveStep {
  /** The bidder, lower case. */
  readonly generator: string;
  readonly firstPeriod: number;
  readonly direction: BidDirection;
  /** Its place in the bid's list for that direction (0-based). */
  readonly step: number;
  readonly quantityWh: number;
  readonly priceUsdPerMWh: number;
}

/** A market unit priced by bids. */
export interface BidUnit {
  /** 1-based gen row of the case and its node (bus number). */
  readonly genRow: number;
  readonly node: number;
  /** Every step bid at the node, cheapest first (what the LP prices, in this order). */
  readonly up: readonly CurveStep[];
  readonly down: readonly CurveStep[];
}

/** A bid, or some of its steps, the study could not use. */
export interface SetAsideBid {
  readonly generator: string;
  readonly node: number;
  readonly reason: string;
}

export interface BidsApplied {
  readonly period: number;
  /** The market with every bid unit priced by its curves. */
  readonly market: MarketModel;
  readonly units: readonly BidUnit[];
  /** Gen rows of the market units nobody bid for: they keep the operation data's terms. */
  readonly fallback: readonly number[];
  readonly setAside: readonly SetAsideBid[];
}

/** A selected step (quantities in Wh, prices in USD/MWh). */
export interface SelectedBidStep {
  readonly generator: string;
  readonly firstPeriod: number;
  readonly node: number;
  readonly genRow: number;
  readonly direction: BidDirection;
  readonly step: number;
  /** Wh taken from the step (1..its quantity). */
  readonly quantityWh: number;
  /** The step's own price, the adjustment's nodal value (±LMP) and the price paid under the rule. */
  readonly bidUsdPerMWh: number;
  readonly nodalUsdPerMWh: number;
  readonly priceUsdPerMWh: number;
}

export interface BidSelection {
  readonly period: number;
  readonly pricingRule: PricingRule;
  /** Sorted by (generator address as a number, increase before decrease, step). */
  readonly steps: readonly SelectedBidStep[];
  /** The offers of units nobody bid for (the fallback), to post as before. */
  readonly fallbackOffers: readonly Offer[];
}

const ADDRESS = /^0x[0-9a-fA-F]{40}$/;

/** Checks one bid's shape; throws a BidDataError naming the bid and the problem. */
export function checkBid(bid: Bid): void {
  const who = `bid of ${bid.generator}`;
  if (typeof bid.generator !== "string" || !ADDRESS.test(bid.generator))
    throw new BidDataError(`${who}: the generator must be a 0x address of 40 hex digits`);
  if (!Number.isInteger(bid.node) || bid.node <= 0)
    throw new BidDataError(`${who}: node must be a bus number, got ${bid.node}`);
  if (!Number.isInteger(bid.firstPeriod) || !Number.isInteger(bid.lastPeriod) || bid.firstPeriod > bid.lastPeriod)
    throw new BidDataError(`${who}: periods ${bid.firstPeriod}..${bid.lastPeriod} are not a range`);
  if (bid.up.length + bid.down.length === 0) throw new BidDataError(`${who}: no steps`);
  for (const [direction, steps] of [
    ["up", bid.up],
    ["down", bid.down],
  ] as const) {
    steps.forEach((s, i) => {
      if (!Number.isSafeInteger(s.quantityWh) || s.quantityWh <= 0)
        throw new BidDataError(
          `${who}: ${direction} step ${i} must offer a whole number of Wh > 0, got ${s.quantityWh}`,
        );
      if (!Number.isFinite(s.priceUsdPerMWh) || s.priceUsdPerMWh <= 0)
        throw new BidDataError(`${who}: ${direction} step ${i} must ask a price > 0 USD/MWh, got ${s.priceUsdPerMWh}`);
      if (i > 0 && !(s.priceUsdPerMWh > steps[i - 1].priceUsdPerMWh))
        throw new BidDataError(`${who}: ${direction} step ${i} must ask more than step ${i - 1} (prices rise)`);
    });
  }
}

/** The bids covering `period` as the market's costs and capacities (see the file header). */
export function applyBids(market: MarketModel, bids: readonly Bid[], period: number): BidsApplied {
  if (!Number.isInteger(period) || period < 0) throw new BidDataError(`period must be a period number, got ${period}`);
  const setAside: SetAsideBid[] = [];
  const byNode = new Map<number, Bid[]>();
  const seen = new Set<string>();
  for (const bid of bids) {
    checkBid(bid);
    if (period < bid.firstPeriod || period > bid.lastPeriod) continue;
    const generator = bid.generator.toLowerCase();
    if (seen.has(generator))
      throw new BidDataError(`${bid.generator} has two bids covering period ${period}: the bid book allows one`);
    seen.add(generator);
    const units = market.units.filter((u) => u.busId === bid.node);
    if (units.length !== 1) {
      setAside.push({
        generator,
        node: bid.node,
        reason:
          units.length === 0
            ? `node ${bid.node} has no redispatchable unit in the operation data`
            : `node ${bid.node} has ${units.length} market units: a bid cannot say which one it moves`,
      });
      continue;
    }
    byNode.set(bid.node, [...(byNode.get(bid.node) ?? []), bid]);
  }

  const bidUnits: BidUnit[] = [];
  const fallback: number[] = [];
  for (const u of market.units) {
    const atNode = byNode.get(u.busId);
    if (!atNode) {
      fallback.push(u.genRow);
      continue;
    }
    const curve = (direction: BidDirection): CurveStep[] => {
      const steps: CurveStep[] = [];
      for (const bid of atNode) {
        const generator = bid.generator.toLowerCase();
        (direction === "increase" ? bid.up : bid.down).forEach((s, step) => {
          if (s.priceUsdPerMWh >= market.limitViolationPrice) {
            setAside.push({
              generator,
              node: bid.node,
              reason:
                `${direction === "increase" ? "up" : "down"} step ${step} asks ${s.priceUsdPerMWh} USD/MWh, ` +
                `not below the limit-violation price ${market.limitViolationPrice}`,
            });
            return;
          }
          steps.push({ generator, firstPeriod: bid.firstPeriod, direction, step, ...s });
        });
      }
      return steps.sort(curveOrder);
    };
    bidUnits.push({ genRow: u.genRow, node: u.busId, up: curve("increase"), down: curve("decrease") });
  }
  return { period, market: withBidCurves(market, bidUnits), units: bidUnits, fallback, setAside };
}

/**
 * `market` with the curves of `units` on their market units (each step's MW = Wh / 10⁶ / hours):
 * what the study priced, rebuilt from a result's `bids.units` (the MATPOWER export does).
 */
export function withBidCurves(market: MarketModel, units: readonly BidUnit[]): MarketModel {
  const hours = market.periodMinutes / 60;
  const mw = (steps: readonly CurveStep[]): PriceStep[] =>
    steps.map((s) => ({ mw: s.quantityWh / 1e6 / hours, price: s.priceUsdPerMWh }));
  return {
    ...market,
    units: market.units.map((u): MarketUnit => {
      const bid = units.find((b) => b.genRow === u.genRow);
      return bid ? { ...u, curves: { up: mw(bid.up), down: mw(bid.down) } } : u;
    }),
  };
}

/** Cheapest first; ties by generator address, then by the step's place in its bid. */
function curveOrder(a: CurveStep, b: CurveStep): number {
  if (a.priceUsdPerMWh !== b.priceUsdPerMWh) return a.priceUsdPerMWh - b.priceUsdPerMWh;
  const ga = BigInt(a.generator);
  const gb = BigInt(b.generator);
  if (ga !== gb) return ga < gb ? -1 : 1;
  return a.step - b.step;
}

/** The Wh an offer carries to the chain: round(kWh · 1000), as the chain side encodes it. */
export function offerWh(offer: Offer): number {
  return Math.round(offer.kwh * 1000);
}

/**
 * The selection of the study's adjustments among the bids (see the file header): `offers` are
 * the study's priced adjustments (PeriodResult.offers), one per moved unit.
 */
export function selectBids(applied: BidsApplied, offers: readonly Offer[], pricingRule: PricingRule): BidSelection {
  const bidRows = new Set(applied.units.map((u) => u.genRow));
  const fallbackRows = new Set(applied.fallback);
  for (const o of offers) {
    if (!bidRows.has(o.genRow) && !fallbackRows.has(o.genRow))
      throw new BidDataError(`offer for gen ${o.genRow} is not of a market unit of this study`);
  }
  const steps: SelectedBidStep[] = [];
  for (const unit of applied.units) {
    const offer = offers.find((o) => o.genRow === unit.genRow);
    if (!offer) continue;
    let left = offerWh(offer);
    for (const s of offer.direction === "increase" ? unit.up : unit.down) {
      if (left <= 0) break;
      const taken = Math.min(s.quantityWh, left);
      left -= taken;
      steps.push({
        generator: s.generator,
        firstPeriod: s.firstPeriod,
        node: unit.node,
        genRow: unit.genRow,
        direction: s.direction,
        step: s.step,
        quantityWh: taken,
        bidUsdPerMWh: s.priceUsdPerMWh,
        nodalUsdPerMWh: offer.nodalUsdPerMWh,
        priceUsdPerMWh:
          pricingRule === "pay-as-bid" ? s.priceUsdPerMWh : Math.max(offer.nodalUsdPerMWh, s.priceUsdPerMWh),
      });
    }
  }
  return {
    period: applied.period,
    pricingRule,
    steps: steps.sort(selectionOrder),
    fallbackOffers: offers.filter((o) => fallbackRows.has(o.genRow)),
  };
}

/** The bid book's order: generator address as a number, increase before decrease, step. */
export function selectionOrder(
  a: { readonly generator: string; readonly direction: BidDirection; readonly step: number },
  b: { readonly generator: string; readonly direction: BidDirection; readonly step: number },
): number {
  const ga = BigInt(a.generator);
  const gb = BigInt(b.generator);
  if (ga !== gb) return ga < gb ? -1 : 1;
  if (a.direction !== b.direction) return a.direction === "increase" ? -1 : 1;
  return a.step - b.step;
}

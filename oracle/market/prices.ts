/**
 * Nodal prices and the offers they put on each adjustment.
 *
 * Distribution locational marginal price at bus i, from the redispatch LP's duals:
 *   LMP_i = λ·(1 − LF_i) + Σ_ℓ μ_ℓ · S_ℓi          (USD/MWh)
 *         = λ  − λ·LF_i  + Σ_ℓ μ_ℓ · S_ℓi        energy + loss + congestion
 * λ is the balance dual: the price of energy at the reference bus (the master unit's marginal
 * price), where prices are quoted. LF_i = ∂L/∂P_i is bus i's marginal loss factor: one more MWh
 * injected at bus i spares the master 1 − LF_i MWh, so a MWh delivered where it reduces losses
 * (LF_i < 0, typically far from the master) is worth more than λ, and less where it adds them. μ_ℓ is the shadow price of line ℓ's limit and S_ℓi the
 * flow sensitivity of line ℓ to an injection at bus i, so Σ_ℓ μ_ℓ S_ℓi is the congestion
 * component. LMP_i is what one more MWh delivered to bus i would cost the grid: MATPOWER's
 * LAM_P of the same AC OPF.
 *
 * An adjustment Δ (MW) of a unit at bus i over a period of T hours has the nodal value
 * v = LMP_i for an increase, v = −LMP_i for a decrease (the value of injecting one MWh less
 * there); by optimality v is never below the unit's own bid b. The operation's pricing rule sets
 * the price π of its offer:
 *   "nodal"       π = max(v, b)   pay as cleared (the max only matters for a unit the rounds
 *                                 held short of its optimum: made whole, never paid below its bid)
 *   "pay-as-bid"  π = b
 * Energy and payment:
 *   E = |Δ| · 1000 · T   (kWh)          USD = E / 1000 · π
 */
import type { PricingRule } from "../grid/case/operation";
import type { Adjustment, Redispatch } from "./redispatch";

/** Nodal prices per internal bus, USD/MWh. */
export interface NodalPrices {
  /** λ: the energy component, the same at every bus (the price at the reference bus). */
  readonly energy: number;
  /** −λ·LF_i: the marginal-loss component of each internal bus. */
  readonly loss: Float64Array;
  /** Σ μ·S: the congestion component of each internal bus. */
  readonly congestion: Float64Array;
  /** LF_i = ∂L/∂P_i, MW/MW, of each internal bus (0 at the reference bus). */
  readonly lossFactors: Float64Array;
}

export interface Offer {
  /** The unit: 1-based gen row of the case, and its node (bus number). */
  readonly genRow: number;
  readonly node: number;
  readonly direction: "increase" | "decrease";
  /** Adjustment of output, MW (positive), and the energy it moves over the period, kWh. */
  readonly mw: number;
  readonly kwh: number;
  /** Price per MWh of adjustment and the payment for the period, by the pricing rule. */
  readonly priceUsdPerMWh: number;
  readonly usd: number;
  /** The unit's own asking price, USD/MWh (π ≥ bid). */
  readonly bidUsdPerMWh: number;
  /** The adjustment's nodal value v (±LMP at its bus), USD/MWh, whatever the rule. */
  readonly nodalUsdPerMWh: number;
  readonly pricingRule: PricingRule;
  /** Delivery period, Unix seconds. */
  readonly periodStart: number;
  readonly periodEnd: number;
}

export function nodalPrices(rd: Redispatch): NodalPrices {
  const { sensitivities, shadowPrices } = rd.congestion;
  const congestion = new Float64Array(rd.point.model.index.buses.count);
  shadowPrices.forEach((mu, k) => {
    const row = sensitivities.matrix[k];
    for (let i = 0; i < congestion.length; i++) congestion[i] += mu * row[i];
  });
  const lossFactors = rd.lossFactors;
  const loss = Float64Array.from(lossFactors, (lf) => -rd.energyPrice * lf);
  return { energy: rd.energyPrice, loss, congestion, lossFactors };
}

/** LMP at internal bus `bus`, USD/MWh: energy + loss + congestion. */
export function lmpAt(prices: NodalPrices, bus: number): number {
  return prices.energy + prices.loss[bus] + prices.congestion[bus];
}

export function priceOffers(
  adjustments: readonly Adjustment[],
  prices: NodalPrices,
  period: { readonly start: number; readonly minutes: number },
  pricingRule: PricingRule = "nodal",
): Offer[] {
  const hours = period.minutes / 60;
  return adjustments.map((a) => {
    const lmp = lmpAt(prices, a.unit.bus);
    const increase = a.deltaMW > 0;
    const mw = Math.abs(a.deltaMW);
    const kwh = mw * 1000 * hours;
    const nodalUsdPerMWh = increase ? lmp : -lmp;
    const priceUsdPerMWh = pricingRule === "pay-as-bid" ? a.bidPrice : Math.max(nodalUsdPerMWh, a.bidPrice);
    return {
      genRow: a.unit.genRow,
      node: a.unit.busId,
      direction: increase ? "increase" : "decrease",
      mw,
      kwh,
      priceUsdPerMWh,
      usd: (kwh / 1000) * priceUsdPerMWh,
      bidUsdPerMWh: a.bidPrice,
      nodalUsdPerMWh,
      pricingRule,
      periodStart: period.start,
      periodEnd: period.start + period.minutes * 60,
    };
  });
}

/** What a period's adjustments cost the centre, USD, under either rule (the same period, both ways). */
export interface PeriodCosts {
  /** The rule the offers follow. */
  readonly pricingRule: PricingRule;
  /** Every adjustment at its unit's own bid: what pay-as-bid pays. */
  readonly atBidsUsd: number;
  /** Every adjustment at its nodal price (never below its bid): what nodal pricing pays. */
  readonly atNodalPricesUsd: number;
  /** What the period's offers pay under the chosen rule (one of the two above). */
  readonly offersUsd: number;
  /**
   * The redispatch's own cost over the period: the bids plus the master unit's change of energy at
   * its price (the LP objective × the period; negative when the master saves more than the bids).
   */
  readonly redispatchUsd: number;
}

/** The costs of `rd`'s adjustments over `minutes`, both ways, and which way `offers` were priced. */
export function periodCosts(
  rd: Redispatch,
  prices: NodalPrices,
  minutes: number,
  pricingRule: PricingRule,
): PeriodCosts {
  const period = { start: 0, minutes };
  const sum = (offers: readonly Offer[]): number => offers.reduce((s, o) => s + o.usd, 0);
  const atBidsUsd = sum(priceOffers(rd.adjustments, prices, period, "pay-as-bid"));
  const atNodalPricesUsd = sum(priceOffers(rd.adjustments, prices, period, "nodal"));
  return {
    pricingRule,
    atBidsUsd,
    atNodalPricesUsd,
    offersUsd: pricingRule === "pay-as-bid" ? atBidsUsd : atNodalPricesUsd,
    redispatchUsd: (rd.costPerHour * minutes) / 60,
  };
}

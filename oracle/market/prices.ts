/**
 * Nodal prices and the offers they put on each adjustment.
 *
 * Distribution locational marginal price at bus i, from the redispatch LP's duals:
 *   LMP_i = λ + Σ_ℓ μ_ℓ · S_ℓi          (USD/MWh)
 * λ is the balance dual (energy component: the master unit's marginal price), μ_ℓ the shadow
 * price of line ℓ's limit and S_ℓi the flow sensitivity of line ℓ to an injection at bus i, so
 * Σ_ℓ μ_ℓ S_ℓi is the congestion component. LMP_i is what one more MWh delivered to bus i would
 * cost the grid.
 *
 * An adjustment Δ (MW) of a unit at bus i over a period of T hours is bought at the unit's
 * nodal value: π = LMP_i for an increase, π = −LMP_i for a decrease (the value of injecting
 * one MWh less there). By LP optimality π is never below the unit's own bid. Energy and payment:
 *   E = |Δ| · 1000 · T   (kWh)          USD = E / 1000 · π
 */
import type { Adjustment, Redispatch } from "./redispatch";

/** Nodal prices per internal bus, USD/MWh. */
export interface NodalPrices {
  /** λ: the energy component, the same at every bus. */
  readonly energy: number;
  /** Σ μ·S: the congestion component of each internal bus. */
  readonly congestion: Float64Array;
}

export interface Offer {
  /** The unit: 1-based gen row of the case, and its node (bus number). */
  readonly genRow: number;
  readonly node: number;
  readonly direction: "increase" | "decrease";
  /** Adjustment of output, MW (positive), and the energy it moves over the period, kWh. */
  readonly mw: number;
  readonly kwh: number;
  /** Price per MWh of adjustment and the payment for the period. */
  readonly priceUsdPerMWh: number;
  readonly usd: number;
  /** The unit's own asking price, USD/MWh (π ≥ bid). */
  readonly bidUsdPerMWh: number;
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
  return { energy: rd.energyPrice, congestion };
}

/** LMP at internal bus `bus`, USD/MWh. */
export function lmpAt(prices: NodalPrices, bus: number): number {
  return prices.energy + prices.congestion[bus];
}

export function priceOffers(
  adjustments: readonly Adjustment[],
  prices: NodalPrices,
  period: { readonly start: number; readonly minutes: number },
): Offer[] {
  const hours = period.minutes / 60;
  return adjustments.map((a) => {
    const lmp = lmpAt(prices, a.unit.bus);
    const increase = a.deltaMW > 0;
    const mw = Math.abs(a.deltaMW);
    const kwh = mw * 1000 * hours;
    const priceUsdPerMWh = increase ? lmp : -lmp;
    return {
      genRow: a.unit.genRow,
      node: a.unit.busId,
      direction: increase ? "increase" : "decrease",
      mw,
      kwh,
      priceUsdPerMWh,
      usd: (kwh / 1000) * priceUsdPerMWh,
      bidUsdPerMWh: a.bidPrice,
      periodStart: period.start,
      periodEnd: period.start + period.minutes * 60,
    };
  });
}

/** A simulated day's generators: policies, behaviours and (with sealed bids) bidding policies drawn from the seed. */
import { SeededRandom } from "../market/random";
import type { BidPolicy } from "./bidding";

export interface MarketUnitRef {
  readonly genRow: number;
  readonly node: number;
  readonly unit: {
    readonly kind: string;
    readonly upPrice: number;
    readonly downPrice: number;
    readonly rampMW: number;
  };
}

export interface GeneratorPlan {
  readonly behaviour: "full" | "partial" | "none";
  readonly costUsdPerKwh: number;
  readonly marginUsdPerKwh: number;
  /** Largest commitment per period and direction: its ramp over one period, kWh. */
  readonly capacityKwh: number;
  /** kWh issued and deposited: a commitment every period of the day and its tail. */
  readonly kwh: number;
  /** Fraction delivered of a commitment in day period `index` (partial: 0.5–0.9, drawn per period). */
  fraction(index: number): number;
}

/**
 * 80 % of generators deliver in full, 15 % partly (50–90 % of each commitment, drawn per period),
 * 5 % not at all. Cost: 40–105 % of the unit's cheaper bid, margin 2–10 % of it (USD/kWh), so a
 * few offers priced near the bid are refused.
 */
export function generatorPlan(
  u: MarketUnitRef,
  hours: number,
  periods: number,
  random: SeededRandom,
  i: number,
): GeneratorPlan {
  const own = random.fork(`generator/${i}/node/${u.node}`);
  const draw = own.next();
  const behaviour = draw < 0.8 ? "full" : draw < 0.95 ? "partial" : "none";
  // A PV array only curtails: its bid is the lowering price; others trade both ways.
  const asked = u.unit.kind === "renewable" ? u.unit.downPrice : Math.min(u.unit.upPrice, u.unit.downPrice);
  const bid = Math.max(1e-3, asked) / 1000; // USD/kWh
  const costUsdPerKwh = round6(bid * own.uniform(0.4, 1.05));
  const marginUsdPerKwh = round6(bid * own.uniform(0.02, 0.1));
  const capacityKwh = Math.max(1, Math.ceil(u.unit.rampMW * hours * 1000));
  return {
    behaviour,
    costUsdPerKwh,
    marginUsdPerKwh,
    capacityKwh,
    kwh: capacityKwh * (periods + 2),
    fraction: (index) =>
      behaviour === "full"
        ? 1
        : behaviour === "none"
          ? 0
          : new SeededRandom(`${own.seed}/period/${index}`).uniform(0.5, 0.9),
  };
}

/** How a generator bids: at its costs with noise, or with a strategic markup on them. */
export interface DayBidPlan {
  readonly strategy: "cost" | "strategic";
  readonly policy: BidPolicy;
}

/** The share of bidders that ask a strategic markup. */
export const STRATEGIC_SHARE = 0.2;

/**
 * A generator's bidding policy for a day with sealed bids (docs/bids.md), from its own stream of
 * the seed: its unit's operation-data prices (upPrice to raise, downPrice to lower; a renewable
 * only lowers) each times a factor drawn from 0.85–1.15 — its costs as it knows them, which the
 * operator's figures only estimate — in two steps 20 % apart. 20 % of bidders are strategic and
 * ask a markup of 20–50 % on top. A direction priced 0 in the operation data is not bid; a unit
 * with neither is no bidder (undefined): it keeps the operation data's terms.
 */
export function bidPlan(u: MarketUnitRef, random: SeededRandom, i: number): DayBidPlan | undefined {
  // A stream of its own: drawing bids never shifts the generators' other draws (a day without bids is unchanged).
  const own = random.fork(`generator/${i}/node/${u.node}/bid`);
  const strategic = own.next() < STRATEGIC_SHARE;
  const markup = strategic ? round6(own.uniform(0.2, 0.5)) : 0;
  const noisy = (price: number): number | undefined =>
    price > 0 ? Math.round(price * own.uniform(0.85, 1.15) * 100) / 100 : undefined;
  const up = u.unit.kind === "renewable" ? undefined : noisy(u.unit.upPrice);
  const down = noisy(u.unit.downPrice);
  if (up === undefined && down === undefined) return undefined;
  return {
    strategy: strategic ? "strategic" : "cost",
    policy: {
      ...(up !== undefined && { upUsdPerMWh: up }),
      ...(down !== undefined && { downUsdPerMWh: down }),
      ...(strategic && { markup }),
      steps: 2,
    },
  };
}

const round6 = (x: number): number => Math.round(x * 1e6) / 1e6;

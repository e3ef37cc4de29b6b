/** A simulated day's generators: policies and behaviours drawn from the seed. */
import { SeededRandom } from "../market/random";

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

const round6 = (x: number): number => Math.round(x * 1e6) / 1e6;

/**
 * Operating data a power quality centre needs beyond the load-flow case: line active-power
 * limits, the frequency band of an islanded grid, the master unit's energy price and which
 * units can be redispatched at what price. Carried in a JSON case as `"operation"`; a MATPOWER
 * `.m` case has none, and callers can pass it separately.
 *
 * Units: MW, USD/MWh, p.u. frequency, minutes.
 */
import { CaseFormatError } from "../errors";
import { GEN } from "./columns";
import type { PowerCase } from "./types";

/**
 * GridSwap's market period when none is given, the paper's 30 minutes: a case's `periodMinutes`
 * and a new deployment's `periodSeconds`. A running market's period is the oracle contract's
 * immutable `periodSeconds`, which agents read from the chain.
 */
export const DEFAULT_PERIOD_MINUTES = 30;
export const DEFAULT_PERIOD_SECONDS = DEFAULT_PERIOD_MINUTES * 60;

export type UnitKind = "dispatchable" | "renewable";

/**
 * How the centre pays for adjustments: "nodal" — every adjustment at its nodal price (LMP, pay as
 * cleared); "pay-as-bid" — each unit at its own bid (as most local flexibility markets do).
 */
export type PricingRule = "nodal" | "pay-as-bid";
export const PRICING_RULES: readonly PricingRule[] = ["nodal", "pay-as-bid"];

export interface RedispatchUnit {
  /** 1-based row of the unit in the case's gen matrix. */
  readonly gen: number;
  /** "renewable": output follows its forecast and can only be curtailed (upper bound = forecast). */
  readonly kind: UnitKind;
  /** Price asked to raise output, USD/MWh. */
  readonly upPrice: number;
  /** Price asked to lower output, USD/MWh (lost margin). */
  readonly downPrice: number;
  /** Largest change from the schedule within one period, MW. */
  readonly rampMW: number;
}

export interface FrequencyBand {
  /** Steady-state band, p.u. of nominal frequency. */
  readonly min: number;
  readonly max: number;
  /**
   * Load-frequency damping D: per-unit change of demand per per-unit change of frequency. Used
   * only when the master unit cannot hold frequency (its output beyond its limits).
   */
  readonly loadDamping: number;
}

export interface OperationData {
  /** Length of one market period, minutes (the paper: 30). */
  readonly periodMinutes: number;
  /** Active-power limit of each branch row, MW (0 = no limit), on the loss-neutral mean flow. */
  readonly branchActiveLimitMW: readonly number[];
  /** Present for an islanded grid whose master unit (the slack) holds frequency. */
  readonly frequency?: FrequencyBand;
  /** Marginal price of the master (slack) unit's energy, USD/MWh. */
  readonly masterEnergyPrice: number;
  readonly units: readonly RedispatchUnit[];
  /**
   * Penalty price of a line or master limit left exceeded, USD/MWh per MW of excess: the most the
   * centre pays to relieve one MW of a limit (an ISO's constraint penalty price, or "marginal
   * value limit"). Redispatch stops relieving a limit where relief costs more, and a limit that
   * cannot be met is priced at this, not at an arbitrary solver penalty. Above every bid.
   * Default: DEFAULT_LIMIT_VIOLATION_PRICE.
   */
  readonly limitViolationPrice?: number;
  /** How offers are priced (default "nodal"). */
  readonly pricingRule?: PricingRule;
}

/**
 * Default penalty price, USD/MWh: 5,000, the order of ERCOT's system-wide offer cap — far above any
 * redispatch bid, so only unavoidable or absurdly ineffective relief is left undone, and low enough
 * that the nodal prices of a period with an unmet limit are still prices.
 */
export const DEFAULT_LIMIT_VIOLATION_PRICE = 5000;

type Json = Record<string, unknown>;

/** Reads and checks `"operation"` from a JSON case; every error names the field. */
export function parseOperation(value: unknown, c: PowerCase, file: string): OperationData {
  const fail = (message: string): never => {
    throw new CaseFormatError(`operation: ${message}`, file);
  };
  if (typeof value !== "object" || value === null || Array.isArray(value)) fail("must be an object");
  const o = value as Json;
  const num = (obj: Json, key: string, where: string, check: (x: number) => boolean, rule: string): number => {
    const x = obj[key];
    if (typeof x !== "number" || !Number.isFinite(x) || !check(x)) {
      fail(`${where}${key} must be ${rule}, got ${JSON.stringify(x)}`);
    }
    return x as number;
  };
  const positive = (x: number): boolean => x > 0;
  const nonNegative = (x: number): boolean => x >= 0;

  const periodMinutes =
    o.periodMinutes === undefined ? DEFAULT_PERIOD_MINUTES : num(o, "periodMinutes", "", positive, "a positive number");
  const masterEnergyPrice = num(o, "masterEnergyPrice", "", () => true, "a number (USD/MWh)");

  let branchActiveLimitMW: number[];
  const limits = o.branchActiveLimitMW;
  if (typeof limits === "number") {
    if (!(limits >= 0)) fail(`branchActiveLimitMW must be ≥ 0, got ${limits}`);
    branchActiveLimitMW = c.branch.map(() => limits);
  } else if (Array.isArray(limits)) {
    if (limits.length !== c.branch.length)
      fail(`branchActiveLimitMW has ${limits.length} entries for ${c.branch.length} branch rows`);
    limits.forEach((x, i) => {
      if (typeof x !== "number" || !(x >= 0))
        fail(`branchActiveLimitMW[${i}] must be a number ≥ 0, got ${JSON.stringify(x)}`);
    });
    branchActiveLimitMW = limits as number[];
  } else {
    branchActiveLimitMW = fail("branchActiveLimitMW must be a number (every branch) or one number per branch row");
  }

  let frequency: FrequencyBand | undefined;
  if (o.frequency !== undefined) {
    if (typeof o.frequency !== "object" || o.frequency === null) fail("frequency must be an object");
    const f = o.frequency as Json;
    const min = num(f, "min", "frequency.", positive, "a positive number (p.u.)");
    const max = num(f, "max", "frequency.", (x) => x > min, `a number above frequency.min (${min})`);
    const loadDamping = f.loadDamping === undefined ? 1 : num(f, "loadDamping", "frequency.", positive, "positive");
    frequency = { min, max, loadDamping };
  }

  if (!Array.isArray(o.units)) fail("units must be an array");
  const seen = new Set<number>();
  const units = (o.units as unknown[]).map((u, i): RedispatchUnit => {
    if (typeof u !== "object" || u === null) fail(`units[${i}] must be an object`);
    const j = u as Json;
    const where = `units[${i}].`;
    const gen = num(
      j,
      "gen",
      where,
      (x) => Number.isInteger(x) && x >= 1 && x <= c.gen.length,
      `a gen row 1..${c.gen.length}`,
    );
    if (seen.has(gen)) fail(`${where}gen ${gen} is listed twice`);
    seen.add(gen);
    if (c.gen[gen - 1][GEN.GEN_STATUS] <= 0) fail(`${where}gen ${gen} is out of service`);
    const kind = j.kind === undefined ? "dispatchable" : j.kind;
    if (kind !== "dispatchable" && kind !== "renewable") {
      fail(`${where}kind must be "dispatchable" or "renewable", got ${JSON.stringify(kind)}`);
    }
    return {
      gen,
      kind: kind as UnitKind,
      upPrice: num(j, "upPrice", where, nonNegative, "a number ≥ 0 (USD/MWh)"),
      downPrice: num(j, "downPrice", where, nonNegative, "a number ≥ 0 (USD/MWh)"),
      rampMW: num(j, "rampMW", where, nonNegative, "a number ≥ 0 (MW per period)"),
    };
  });
  const limitViolationPrice =
    o.limitViolationPrice === undefined
      ? undefined
      : num(o, "limitViolationPrice", "", positive, "a positive number (USD/MWh)");
  const pricingRule = o.pricingRule;
  if (pricingRule !== undefined && !PRICING_RULES.includes(pricingRule as PricingRule)) {
    fail(`pricingRule must be ${PRICING_RULES.map((r) => `"${r}"`).join(" or ")}, got ${JSON.stringify(pricingRule)}`);
  }
  return {
    periodMinutes,
    branchActiveLimitMW,
    frequency,
    masterEnergyPrice,
    units,
    ...(limitViolationPrice === undefined ? {} : { limitViolationPrice }),
    ...(pricingRule === undefined ? {} : { pricingRule: pricingRule as PricingRule }),
  };
}

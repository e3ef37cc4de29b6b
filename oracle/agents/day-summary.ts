/** A simulated day's summary (summary.json): what was congested, cleared, paid and delivered. */
import { basename } from "node:path";
import { DEFAULT_LIMIT_VIOLATION_PRICE } from "../grid/case/operation";
import type { DayScenario } from "../market/scenario";
import type { ChainOutcome, Conservation } from "./day-accounting";
import { lineNames, overLimit, type PeriodOverLimit, type PeriodRecord } from "./day-record";
import type { DayConfig, GeneratorRecord } from "./day";

export interface DaySummary {
  readonly case: string;
  readonly date: string;
  readonly dayTypes: readonly string[];
  readonly seed: string;
  readonly chain: boolean;
  readonly periods: number;
  /** Length of a market period, minutes. */
  readonly periodMinutes: number;
  /** The load profile's file name. */
  readonly profile: string;
  /**
   * Planned: periods whose study had a line over its limit before redispatch, each with its lines
   * (named "11-14"), and every line that was.
   */
  readonly congestedPeriods: number;
  readonly congested: readonly PeriodOverLimit[];
  readonly congestedLines: readonly string[];
  /** Planned: of those, the periods whose post-redispatch AC load flow (the plan) has every line within its limits. */
  readonly clearedByPlanPeriods: number;
  /**
   * As delivered: periods whose load flow with the outputs the generators delivered had a line over
   * its limit (each with its lines), and the congested periods that had none.
   */
  readonly overLimitAsDeliveredPeriods: number;
  readonly overLimitAsDelivered: readonly PeriodOverLimit[];
  readonly clearedAsDeliveredPeriods: number;
  /** Limits the redispatch could not meet, summed over periods (each named in periods.json). */
  readonly unmetLimits: number;
  readonly voltagePeriods: number;
  /** Σ redispatch cost at the bids (+ master energy), USD; Σ offered by the studies; Σ paid on chain. */
  readonly redispatchCostUsd: number;
  /** USD of the offers the centre posted on chain (the grid side only: of every offer studied). */
  readonly offeredUsd: number;
  readonly usdPaid: number | null;
  /** kWh moved to the centre (sold + penalties), of which penalties. */
  readonly kwhMoved: number | null;
  readonly kwhPenalty: number | null;
  /** Σ delivered / Σ committed over settled positions. */
  readonly deliveryRatio: number | null;
  /** Offers posted on chain (the grid side only: every offer studied), fills and the kWh committed by them. */
  readonly offers: number;
  readonly kwhFilled: number;
  /** The market units that delivered less than they committed (the meters' record, kWh), behind the delivery ratio. */
  readonly shortfalls: readonly { node: number; behaviour: string; committedKwh: number; deliveredKwh: number }[];
  readonly trades: number | null;
  readonly openPositions: number | null;
  readonly gasTotal: number | null;
  readonly gasPerTrade: number | null;
  /** Gas of deployment and seeding (not in gasTotal). */
  readonly gasSetup: number | null;
  readonly gasByFunction: Readonly<Record<string, number>> | null;
  readonly tailPeriods: number;
  readonly demandMWh: number;
  readonly pvMWh: number;
  readonly wallSeconds: number;
  /**
   * The sealed-bid auctions of the day (null without a bid book): bidders (strategic ones apart),
   * bids sealed and revealed, the steps selected, their kWh, what they paid under the day's rule,
   * and what the same steps would have paid at their bids and at their nodal values.
   */
  readonly bids: {
    readonly bidders: number;
    readonly strategicBidders: number;
    readonly pricingRule: string | null;
    readonly sealed: number;
    readonly revealed: number;
    readonly steps: number;
    readonly selectedKwh: number;
    readonly selectedUsd: number;
    readonly payAsBidUsd: number;
    readonly nodalUsd: number;
    readonly reservedFilledKwh: number;
    readonly reservedFilledUsd: number;
  } | null;
  /** On-chain balance changes against the settlements (null on the grid side only). */
  readonly conservation: Conservation | null;
  readonly notes: readonly string[];
}

export function summarise(
  config: DayConfig,
  scenario: DayScenario,
  records: readonly PeriodRecord[],
  generators: readonly GeneratorRecord[],
  chain: ChainOutcome | null,
  tail: number,
  wallSeconds: number,
): DaySummary {
  const hours = scenario.periodMinutes / 60;
  const congested = records.filter((r) => r.before.lines > 0);
  const overAsDelivered = records.filter((r) => r.actual.lines > 0);
  const trades = chain?.trades ?? null;
  return {
    case: config.case.name,
    profile: basename(config.profile.source),
    date: records[0]?.date ?? "",
    dayTypes: [
      ...new Set(scenario.periods.slice(scenario.first, scenario.first + records.length).map((p) => p.dayType)),
    ],
    seed: config.seed,
    chain: chain !== null,
    periods: records.length,
    periodMinutes: scenario.periodMinutes,
    congestedPeriods: congested.length,
    congested: congested.map((r) => overLimit(r, r.violatedLines)),
    congestedLines: lineNames(congested.flatMap((r) => r.violatedLines)),
    clearedByPlanPeriods: congested.filter((r) => r.after.lines === 0).length,
    overLimitAsDeliveredPeriods: overAsDelivered.length,
    overLimitAsDelivered: overAsDelivered.map((r) => overLimit(r, r.violatedLinesActual)),
    clearedAsDeliveredPeriods: congested.filter((r) => r.actual.lines === 0).length,
    unmetLimits: records.reduce((n, r) => n + r.redispatch.unmet.length, 0),
    voltagePeriods: records.filter((r) => r.before.voltages > 0).length,
    redispatchCostUsd: records.reduce((s, r) => s + r.redispatch.costUsd, 0),
    offeredUsd: records.reduce((s, r) => s + (r.postedUsd ?? r.offersUsd), 0),
    usdPaid: chain ? Number(chain.usdPaidUnits) / 1e8 : null,
    kwhMoved: chain ? Number(chain.kwhToCentreWh) / 1000 : null,
    kwhPenalty: chain ? Number(chain.kwhPenaltyWh) / 1000 : null,
    deliveryRatio: chain
      ? chain.committedWh > 0n
        ? Number(chain.deliveredWh) / Number(chain.committedWh)
        : null
      : null,
    offers: records.reduce((n, r) => n + (r.posted ?? r.offers.length), 0),
    kwhFilled: records.reduce((sum, r) => sum + r.filledKwh, 0),
    shortfalls: generators
      .filter((g) => g.deliveredKwh < g.committedKwh - 1e-6)
      .map((g) => ({
        node: g.node,
        behaviour: g.behaviour,
        committedKwh: g.committedKwh,
        deliveredKwh: g.deliveredKwh,
      })),
    trades,
    openPositions: chain?.openPositions ?? null,
    gasTotal: chain?.gasTotal ?? null,
    gasPerTrade: chain && trades ? chain.gasTotal / trades : null,
    gasSetup: chain?.gasSetup ?? null,
    gasByFunction: chain?.gasByFunction ?? null,
    tailPeriods: chain?.tailPeriods ?? tail,
    demandMWh: records.reduce((s, r) => s + r.demandMW * hours, 0),
    pvMWh: records.reduce((s, r) => s + r.pvMW * hours, 0),
    wallSeconds,
    conservation: chain?.conservation ?? null,
    bids: config.bids ? bidTotals(records, generators) : null,
    notes: [
      ...scenario.notes,
      ...(chain
        ? [
            `chain: the first period (${records[0]?.localTime ?? "?"}) delivered in chain period ${chain.where.firstPeriod}, ` +
              `each next one in the next chain period; ${chain.tailPeriods} more period(s) after the last only reported ` +
              "and settled (no offers)",
          ]
        : ["grid side only: every offer taken as filled and delivered in full"]),
      ...penaltyPriced(records),
    ],
  };
}

/**
 * A note for periods whose redispatch could not meet a limit: their unmet lines are priced at the
 * market's limit-violation price (docs/period.md), so offers there carry a congestion component up
 * to that penalty — worth knowing when reading the day's prices.
 */
function penaltyPriced(records: readonly PeriodRecord[]): string[] {
  const hit = records.filter((r) => r.redispatch.status === "infeasible" && r.offers.length > 0);
  if (hit.length === 0) return [];
  return [
    `note: in ${hit.length} period(s) (${hit.map((r) => r.localTime).join(", ")}) a limit could not be met; ` +
      "the unmet lines are priced at the limit-violation price (operation.limitViolationPrice, default " +
      `${DEFAULT_LIMIT_VIOLATION_PRICE} USD/MWh), which enters those periods' nodal prices and offers`,
  ];
}

/** The day's auctions in total (summary.bids). */
function bidTotals(records: readonly PeriodRecord[], generators: readonly GeneratorRecord[]): DaySummary["bids"] {
  const sum = (f: (b: PeriodRecord["bids"]) => number | null): number =>
    records.reduce((s, r) => s + (f(r.bids) ?? 0), 0);
  return {
    bidders: generators.filter((g) => g.bid !== null).length,
    strategicBidders: generators.filter((g) => g.bid?.strategy === "strategic").length,
    pricingRule: records.find((r) => r.bids.pricingRule !== null)?.bids.pricingRule ?? null,
    sealed: sum((b) => b.sealed),
    revealed: sum((b) => b.revealed),
    steps: sum((b) => b.steps),
    selectedKwh: sum((b) => b.selectedKwh),
    selectedUsd: sum((b) => b.selectedUsd),
    payAsBidUsd: sum((b) => b.payAsBidUsd),
    nodalUsd: sum((b) => b.nodalUsd),
    reservedFilledKwh: sum((b) => b.reservedFilledKwh),
    reservedFilledUsd: sum((b) => b.reservedFilledUsd),
  };
}

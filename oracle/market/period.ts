/**
 * One market period of the power quality centre (the paper's section III.A, every 30 minutes):
 * apply the forecasts, solve the AC load flow, check limits, compute the sensitivity of each
 * violated line to each adjustable unit, redispatch at least cost, price every node and turn
 * the adjustments into offers for the chain side to publish.
 *
 * This is the market core's edge: inside, everything runs on one network model and its internal
 * operating points; the result describes lines, units and buses by case rows and bus numbers.
 */
import { BUS, GEN } from "../grid/case/columns";
import type { OperationData } from "../grid/case/operation";
import type { PowerCase } from "../grid/case/types";
import { InputError } from "../errors";
import { CaseDataError } from "../grid/errors";
import { checkGridLimits, type LimitReport } from "../grid/limits/checks";
import { NetworkModel } from "../grid/model/network";
import { injectionsOf } from "../grid/pf/point";
import { toResult, type PowerFlowResult } from "../grid/pf/results";
import { solvePowerFlow, type WarmStart } from "../grid/pf/runpf";
import { flowSensitivities } from "../grid/sensitivity";
import { applyBids, selectBids, type Bid, type BidsApplied, type BidSelection } from "./bids";
import { marketModel } from "./model";
import { lmpAt, nodalPrices, periodCosts, priceOffers, type Offer, type PeriodCosts } from "./prices";
import { redispatch, type Redispatch, type RedispatchOptions } from "./redispatch";

export interface Forecasts {
  /** Forecast output of units by bus number, MW (e.g. a PV array's next-period output). */
  readonly generation?: Readonly<Record<string, number>>;
  /** Multiplies every bus's demand (P and Q); 1 = as in the case. */
  readonly demandScale?: number;
  /**
   * Demand per bus row of the case (file order), MW and MVAr, replacing its PD and QD (then
   * `demandScale`, if given, multiplies these). Negative values are net injections (e.g. rooftop PV).
   */
  readonly demandMW?: { readonly p: readonly number[]; readonly q: readonly number[] };
  /**
   * Scheduled output per gen row (file order), MW, replacing PG (a day-ahead schedule); applied
   * before `generation`. The master unit's entry is a starting value: the load flow balances it.
   */
  readonly outputMW?: readonly number[];
  /** Start of the delivery period, Unix seconds (default: now, rounded down to the period). */
  readonly periodStart?: number;
}

export interface SensitivityTable {
  /** The violated lines (rows of `matrix`): 1-based branch row and end buses. */
  readonly lines: { readonly branchRow: number; readonly from: number; readonly to: number }[];
  /** The adjustable units (columns of `matrix`): 1-based gen row and node (bus number). */
  readonly units: { readonly genRow: number; readonly node: number }[];
  /** MW change of each line's mean flow per MW of each unit's output. */
  readonly matrix: number[][];
  /** How they were computed: the same method, at the same point, as the redispatch's first LP. */
  readonly method: "ac" | "dc";
}

/**
 * Nodal price at a bus, USD/MWh: energy + loss + congestion = total. `energy` is λ, the price at
 * the reference bus (the same everywhere); `loss` = −λ·lossFactor; `congestion` = Σ μ·S.
 */
export interface NodalPrice {
  /** Bus number (the case's). */
  readonly bus: number;
  readonly energy: number;
  readonly loss: number;
  readonly congestion: number;
  readonly total: number;
  /** Marginal loss factor ∂L/∂P at the bus, MW/MW (0 at the reference bus). */
  readonly lossFactor: number;
}

export interface PeriodResult {
  readonly period: { readonly start: number; readonly end: number; readonly minutes: number };
  readonly loadFlow: PowerFlowResult;
  readonly violations: LimitReport;
  readonly sensitivities: SensitivityTable;
  readonly redispatch: Redispatch;
  /** One per energised bus, in internal (file) order. */
  readonly prices: NodalPrice[];
  /** The adjustments as offers, priced by the operation's pricing rule. */
  readonly offers: Offer[];
  /** What the adjustments cost at the units' bids and at nodal prices, and under the chosen rule. */
  readonly costs: PeriodCosts;
  /** With bids (PeriodOptions.bids): how they priced the units, and the selection among them. */
  readonly bids?: Omit<BidsApplied, "market"> & { readonly selection: BidSelection };
}

export interface PeriodOptions extends RedispatchOptions {
  readonly operation?: OperationData;
  /**
   * Revealed bids (oracle/market/bids.ts): those covering the delivery period price the units at
   * their nodes; units nobody bid for keep the operation data's terms. The delivery period is
   * ⌊periodStart / period length⌋, as the chain numbers periods.
   */
  readonly bids?: readonly Bid[];
  /**
   * Voltages to start the schedule's load flow from (e.g. the previous period's operating point
   * in a time series: same network, new injections). Default: the case's Vm and Va.
   */
  readonly start?: WarmStart;
}

export async function runPeriod(
  c: PowerCase,
  forecasts: Forecasts = {},
  options: PeriodOptions = {},
): Promise<PeriodResult> {
  const operation = options.operation ?? c.operation;
  if (!operation) {
    throw new CaseDataError(
      `no operation data: a period needs line limits and redispatch units ("operation" in a JSON case)`,
      c.name,
    );
  }
  const schedule = applyForecasts({ ...c, operation }, forecasts);
  const minutes = operation.periodMinutes;
  const start = forecasts.periodStart ?? Math.floor(Date.now() / 1000 / (minutes * 60)) * minutes * 60;
  if (!Number.isInteger(start) || start < 0) throw new RangeError(`periodStart must be Unix seconds, got ${start}`);

  const network = NetworkModel.of(schedule);
  const operated = marketModel(network, schedule, operation);
  const applied = options.bids ? applyBids(operated, options.bids, Math.floor(start / (minutes * 60))) : undefined;
  const market = applied?.market ?? operated;
  const point = solvePowerFlow(network, injectionsOf(network, schedule), options.powerFlow, options.start);
  const violations = checkGridLimits(point, market.limits);
  const rd = await redispatch(point, market, options);
  const prices = nodalPrices(rd);
  const offers = priceOffers(rd.adjustments, prices, { start, minutes }, market.pricingRule);

  // The table of the violated lines, with the sensitivities the first LP priced with.
  const violated = [...new Set(violations.lines.filter((v) => v.kind === "active").map((v) => v.branch))];
  const first = rd.firstRoundSensitivities;
  const missing = violated.filter((l) => !first.branches.includes(l));
  const extra = missing.length > 0 ? flowSensitivities(point, missing, first.method) : undefined;
  const rowOf = (l: number): Float64Array =>
    first.branches.includes(l)
      ? first.matrix[first.branches.indexOf(l)]
      : (extra as NonNullable<typeof extra>).matrix[missing.indexOf(l)];
  const { index } = network;
  const sensitivities: SensitivityTable = {
    lines: violated.map((l) => ({
      branchRow: index.branches.row[l] + 1,
      from: index.buses.id[index.branches.from[l]],
      to: index.buses.id[index.branches.to[l]],
    })),
    units: market.units.map((u) => ({ genRow: u.genRow, node: u.busId })),
    matrix: violated.map((l) => market.units.map((u) => rowOf(l)[u.bus])),
    method: first.method,
  };

  return {
    period: { start, end: start + minutes * 60, minutes },
    loadFlow: toResult(point, c.name),
    violations,
    sensitivities,
    redispatch: rd,
    prices: nodalPriceList(rd),
    offers,
    costs: periodCosts(rd, prices, minutes, market.pricingRule),
    ...(applied && {
      bids: {
        period: applied.period,
        units: applied.units,
        fallback: applied.fallback,
        setAside: applied.setAside,
        selection: selectBids(applied, offers, market.pricingRule),
      },
    }),
  };
}

/**
 * Studies of successive periods of one network, each starting its load flows from the last
 * period's operating point (a warm start: the same network, new injections). For series nobody
 * must reproduce from published inputs alone — the day simulation's grid side, benchmarks. The
 * centre's reported study starts from the case: the oracle operators recompute it from its inputs
 * and must get the same numbers to the last digit, which a start that depends on history would
 * not guarantee.
 */
export class PeriodSeries {
  private start?: WarmStart;

  constructor(
    private readonly c: PowerCase,
    private readonly options: Omit<PeriodOptions, "start"> = {},
  ) {}

  async study(forecasts: Forecasts = {}): Promise<PeriodResult> {
    const result = await runPeriod(this.c, forecasts, { ...this.options, start: this.start });
    this.start = { vm: result.loadFlow.point.vm, va: result.loadFlow.point.va };
    return result;
  }
}

/** The nodal prices of a redispatch by bus number, one per energised bus in file order (USD/MWh). */
export function nodalPriceList(rd: Redispatch): NodalPrice[] {
  const prices = nodalPrices(rd);
  return Array.from(rd.point.model.index.buses.id, (bus, i) => ({
    bus,
    energy: prices.energy,
    loss: prices.loss[i],
    congestion: prices.congestion[i],
    total: lmpAt(prices, i),
    lossFactor: prices.lossFactors[i],
  }));
}

/** The case `c` with the redispatch's adjusted unit outputs (for people and independent checks). */
export function adjustedCase(c: PowerCase, rd: Redispatch): PowerCase {
  const gen = c.gen.map((g) => [...g]);
  for (const a of rd.adjustments) gen[a.unit.genRow - 1][GEN.PG] = a.adjustedMW;
  return { ...c, gen };
}

/**
 * The case with forecast unit outputs and scaled demand; every forecast must name one unit. A
 * forecast that cannot apply is an InputError naming the forecast.
 */
export function applyForecasts(c: PowerCase, forecasts: Forecasts): PowerCase {
  const bad = (problem: string): never => {
    throw new InputError(problem);
  };
  const gen = c.gen.map((g) => [...g]);
  if (forecasts.outputMW !== undefined) {
    const out = forecasts.outputMW;
    if (out.length !== gen.length) bad(`outputMW has ${out.length} entries for ${gen.length} gen rows`);
    out.forEach((mw, k) => {
      if (!Number.isFinite(mw)) bad(`outputMW[${k}] (gen row ${k + 1}) must be a number of MW, got ${mw}`);
      gen[k][GEN.PG] = mw;
    });
  }
  for (const [key, mw] of Object.entries(forecasts.generation ?? {})) {
    const bus = Number(key);
    if (!Number.isFinite(mw) || mw < 0) bad(`forecast for bus ${key} must be a number of MW ≥ 0, got ${mw}`);
    if (!c.bus.some((b) => b[BUS.BUS_I] === bus)) bad(`forecast for bus ${key}: the case has no such bus`);
    const units = gen.map((g, k) => k).filter((k) => gen[k][GEN.GEN_BUS] === bus && gen[k][GEN.GEN_STATUS] > 0);
    if (units.length !== 1) bad(`forecast for bus ${key}: expected one in-service unit there, found ${units.length}`);
    const pmax = gen[units[0]][GEN.PMAX];
    if (mw > pmax) bad(`forecast for bus ${key} (${mw} MW) exceeds the unit's Pmax (${pmax} MW)`);
    gen[units[0]][GEN.PG] = mw;
  }
  const scale = forecasts.demandScale ?? 1;
  if (!(scale >= 0) || !Number.isFinite(scale)) bad(`demandScale must be a number ≥ 0, got ${scale}`);
  const demand = forecasts.demandMW;
  if (demand !== undefined) {
    for (const [name, values] of [
      ["p", demand.p],
      ["q", demand.q],
    ] as const) {
      if (values.length !== c.bus.length) {
        bad(`demandMW.${name} has ${values.length} entries for ${c.bus.length} bus rows`);
      }
      values.forEach((x, i) => {
        if (!Number.isFinite(x)) bad(`demandMW.${name}[${i}] (bus row ${i + 1}) must be a number, got ${x}`);
      });
    }
  }
  const bus =
    scale === 1 && demand === undefined
      ? c.bus
      : c.bus.map((b, i) => {
          const row = [...b];
          if (demand) {
            row[BUS.PD] = demand.p[i];
            row[BUS.QD] = demand.q[i];
          }
          row[BUS.PD] *= scale;
          row[BUS.QD] *= scale;
          return row;
        });
  return { ...c, gen, bus };
}

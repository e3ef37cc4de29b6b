/**
 * A day on the grid for any case: per market period, the demand at every bus, the PV output and
 * the units' schedules, as the `Forecasts` a period study takes — and, for a case without
 * operation data (any MATPOWER case), the operation data of a congested day.
 *
 * Rules (docs/simulation.md says why):
 *   - Demand: every bus follows one standard load profile, scaled so that its peak over the day
 *     equals its PD in the case; reactive demand keeps each bus's power factor.
 *   - PV: the case's renewable redispatch units are PV arrays, rated at their Pmax (all scaled
 *     together to `pvPeakMW` when given). A case without them gets rooftop PV of `pvPeakMW` in
 *     total (default none), shared among the load buses in proportion to their PD and netted
 *     from their demand at unity power factor (behind the meter: not curtailable).
 *     Output = rating × clear-sky availability × cloud factor (oracle/market/solar.ts).
 *   - Schedules (the day-ahead dispatch the market corrects): every in-service unit that is
 *     neither the master (slack) nor PV follows the net load. With r(t) = (demand(t) − PV(t)) /
 *     (demand_case − PV_case), the master is meant to carry r·M_case and the losses to scale as
 *     r²·L_case (M_case, L_case from the case's load flow), so the followers together produce
 *     F(t) = demand − PV + r²·L_case − r·M_case, shared as PG_k(t) = clamp(f(t)·PG_k,case,
 *     [Pmin_k, Pmax_k]) with the one factor f(t) that makes them add up to F(t) (units at a limit
 *     leave the rest to the others). The master balances what the estimate misses. At the case's
 *     own demand and PV the schedule is the case.
 *   - Operation data for a case without any: `defaultOperation` on the peak period's load flow
 *     (the period of highest net load), its `congestedLines` most loaded lines limited to
 *     `limitFraction` of their flow there — so congestion appears where the net load comes near
 *     its peak, and nowhere else. With `marketUnits` N, only the N units most able to relieve
 *     those lines (largest |AC sensitivity|, one per node) stay redispatchable: the market's
 *     participants.
 */
import { InputError } from "../errors";
import { BUS, BUS_TYPE_NONE, GEN } from "../grid/case/columns";
import { DEFAULT_PERIOD_MINUTES, type OperationData } from "../grid/case/operation";
import type { PowerCase } from "../grid/case/types";
import { masterUnits } from "../grid/model/bustypes";
import { NetworkModel } from "../grid/model/network";
import { injectionsOf } from "../grid/pf/point";
import { toResult } from "../grid/pf/results";
import { solvePowerFlow } from "../grid/pf/runpf";
import { flowSensitivities } from "../grid/sensitivity";
import { defaultOperation } from "./defaults";
import type { Forecasts } from "./period";
import {
  addDays,
  columnFor,
  formatCivilDate,
  periodEnergies,
  weekday,
  type CivilDate,
  type DayType,
  type LoadProfile,
} from "./profiles";
import type { SeededRandom } from "./random";
import { cloudCover, meanClearSkyGhi, pvAvailability } from "./solar";

/** Input a day cannot be simulated with (no redispatchable unit, islands, no demand …). */
export class ScenarioError extends InputError {}

export interface DayScenarioOptions {
  readonly date: CivilDate;
  /**
   * Market periods from local midnight of `date` (may run into the following days); at least a
   * whole day is computed, so a derived operation always comes from the day's peak.
   */
  readonly periods: number;
  readonly profile: LoadProfile;
  /** Dates (YYYY-MM-DD) treated as public holidays (day type FT). */
  readonly holidays?: readonly string[];
  /** Local time = UTC + this many hours (default: Central European Time, +2 in EU summer time). */
  readonly utcOffsetHours?: number;
  readonly pv: {
    /** Total PV rating, MW (default: the renewable units' Pmax, or no PV for a case without them). */
    readonly peakMW?: number;
    /** Site, degrees (east positive). */
    readonly latitude: number;
    readonly longitude: number;
    /** Mean cloud cover, 0 (clear) … 1 (overcast). */
    readonly clouds: number;
  };
  /** Operation data to derive when the case has none. */
  readonly congestedLines?: number;
  readonly limitFraction?: number;
  /** Keep exactly this many redispatch units (an error when the case has fewer); default: all … */
  readonly marketUnits?: number;
  /** … or, without `marketUnits`, at most this many (the best placed). */
  readonly maxMarketUnits?: number;
  /** Extra periods to compute before the first and after the last (a chain's lead-in and settlement tail). */
  readonly before?: number;
  readonly after?: number;
  readonly random: SeededRandom;
}

export interface PeriodScenario {
  /** 0 = the first period of `date`; negative for lead-in, ≥ `periods` for the tail. */
  readonly index: number;
  /** Local date and start time ("2026-06-15", "12:30"), and the start in Unix seconds. */
  readonly date: string;
  readonly localTime: string;
  readonly utcStart: number;
  readonly dayType: DayType;
  /** Demand as a fraction of its daily peak (the profile), total demand before PV (MW). */
  readonly demandScale: number;
  readonly demandMW: number;
  /** Total PV output, MW, with its drivers: cloud cover 0..1, mean clear-sky GHI (W/m²), availability 0..1. */
  readonly pvMW: number;
  readonly cloudCover: number;
  readonly clearSkyGhi: number;
  readonly pvAvailability: number;
  /** Demand minus PV, MW. */
  readonly netLoadMW: number;
  /** f: the followers' outputs as a multiple of the case's (before their limits). */
  readonly scheduleFactor: number;
  /** What the period study applies to the market case (no periodStart: the caller's clock sets it). */
  readonly forecasts: Forecasts;
}

export interface PvSiting {
  readonly kind: "units" | "rooftop" | "none";
  readonly ratedMW: number;
  /** PV units: 1-based gen rows. Rooftop: the bus numbers that carry PV. */
  readonly genRows: readonly number[];
  readonly buses: readonly number[];
}

export interface DayScenario {
  /** The case the market runs on: the input with operation data (given or derived) and PV ratings. */
  readonly case: PowerCase;
  readonly operationDerived: boolean;
  /** Branch rows (1-based) that have an active-power limit. */
  readonly limitedLines: readonly number[];
  readonly pv: PvSiting;
  readonly periodMinutes: number;
  readonly utcOffsetHours: number;
  /** Periods from index −before to periods + after − 1. */
  readonly periods: readonly PeriodScenario[];
  /** Index into `periods` of day period 0. */
  readonly first: number;
  /** The scenario of day period `index` (negative and tail indices included). */
  at(index: number): PeriodScenario;
  /** How the scenario was built, in words (PV, schedules, limits, units). */
  readonly notes: readonly string[];
}

/** Central European Time: UTC+1, UTC+2 from the last Sunday of March to the last Sunday of October. */
export function centralEuropeanOffset(d: CivilDate): number {
  const lastSunday = (month: number): number => {
    const last = new Date(Date.UTC(d.year, month, 0)).getUTCDate(); // days in `month` (1-based)
    return last - weekday({ year: d.year, month, day: last });
  };
  const afterStart = d.month > 3 || (d.month === 3 && d.day >= lastSunday(3));
  const beforeEnd = d.month < 10 || (d.month === 10 && d.day < lastSunday(10));
  return afterStart && beforeEnd ? 2 : 1;
}

export function buildDayScenario(input: PowerCase, o: DayScenarioOptions): DayScenario {
  if (!Number.isInteger(o.periods) || o.periods <= 0) {
    throw new ScenarioError(`the number of periods must be a positive integer, got ${o.periods}`);
  }
  const before = o.before ?? 0;
  const after = o.after ?? 0;
  const given = input.operation;
  const periodMinutes = given?.periodMinutes ?? DEFAULT_PERIOD_MINUTES;
  const perDay = 1440 / periodMinutes;
  if (!Number.isInteger(perDay)) throw new ScenarioError(`periods of ${periodMinutes} min do not divide a day`);
  const notes: string[] = [];

  // The network: one energised grid with a master unit.
  const network = NetworkModel.of(input);
  checkOneGrid(input, network);
  const masters = new Set(Array.from(masterUnits(network.index), (k) => network.index.gens.row[k]));
  if (masters.size === 0)
    throw new ScenarioError(`${input.name}: no in-service unit at the reference bus (no master unit)`);

  // PV siting and ratings.
  const pvUnits = (given?.units ?? []).filter((u) => u.kind === "renewable").map((u) => u.gen - 1);
  let c = input;
  let pv: PvSiting;
  let pvShare: Float64Array | undefined; // rooftop: share of the PV total per bus row
  const pdCase = input.bus.map((b) => (b[BUS.BUS_TYPE] === BUS_TYPE_NONE ? 0 : b[BUS.PD]));
  const demandCase = pdCase.reduce((s, x) => s + x, 0);
  if (!(demandCase > 0)) throw new ScenarioError(`${input.name}: the case has no demand to follow a load profile`);
  if (o.pv.peakMW !== undefined && !(o.pv.peakMW >= 0 && Number.isFinite(o.pv.peakMW))) {
    throw new ScenarioError(`the PV peak must be a number of MW ≥ 0, got ${o.pv.peakMW}`);
  }
  if (pvUnits.length > 0) {
    const rated = pvUnits.reduce((s, k) => s + input.gen[k][GEN.PMAX], 0);
    const target = o.pv.peakMW ?? rated;
    if (!(rated > 0) && target > 0) throw new ScenarioError(`${input.name}: its PV units have no rating (Pmax 0)`);
    const factor = rated > 0 ? target / rated : 0;
    if (factor !== 1) {
      const gen = input.gen.map((g) => [...g]);
      for (const k of pvUnits) {
        gen[k][GEN.PMAX] *= factor;
        gen[k][GEN.PG] *= factor;
      }
      c = { ...input, gen };
    }
    pv = { kind: "units", ratedMW: target, genRows: pvUnits.map((k) => k + 1), buses: pvUnits.map((k) => c.gen[k][0]) };
    notes.push(
      `PV: the case's ${pvUnits.length} renewable unit(s) (gen ${pv.genRows.join(", ")}), ${fmt(target)} MW rated in total` +
        (factor !== 1 ? ` (scaled from ${fmt(rated)} MW)` : "") +
        "; curtail-only in the redispatch",
    );
  } else if ((o.pv.peakMW ?? 0) > 0) {
    pvShare = Float64Array.from(pdCase, (p) => (p > 0 ? p / demandCase : 0));
    const buses = input.bus.filter((_, i) => pvShare![i] > 0).map((b) => b[BUS.BUS_I]);
    pv = { kind: "rooftop", ratedMW: o.pv.peakMW ?? 0, genRows: [], buses };
    notes.push(
      `PV: ${fmt(pv.ratedMW)} MW of rooftop PV on the ${buses.length} load buses in proportion to their demand, ` +
        "netted from it at unity power factor (behind the meter: not curtailable)",
    );
  } else {
    pv = { kind: "none", ratedMW: 0, genRows: [], buses: [] };
    notes.push("PV: none (the case has no renewable unit; give a PV peak to add rooftop PV)");
  }
  const pvCase = pvUnits.reduce((s, k) => s + c.gen[k][GEN.PG], 0);
  const netCase = demandCase - pvCase;
  if (!(netCase > 0)) {
    throw new ScenarioError(
      `${input.name}: its PV output (${fmt(pvCase)} MW) covers its demand: no net load to follow`,
    );
  }

  // Units that follow the net load: in service, not the master, not PV.
  const isPv = new Set(pvUnits);
  const followers = c.gen
    .map((g, k) => k)
    .filter((k) => c.gen[k][GEN.GEN_STATUS] > 0 && !masters.has(k) && !isPv.has(k));
  // The case's own balance: the master's output and everything else the grid consumes (losses, shunts).
  const caseModel = NetworkModel.of(c);
  const caseFlow = solvePowerFlow(caseModel, injectionsOf(caseModel, c));
  const masterCase = Array.from(masterUnits(caseModel.index)).reduce((sum, k) => sum + caseFlow.pg[k], 0);
  const followersCase = followers.reduce((sum, k) => sum + c.gen[k][GEN.PG], 0);
  const lossesCase = masterCase + followersCase + pvCase - demandCase;
  const schedule = followerSchedule(c, followers);
  notes.push(
    `schedules: ${followers.length} unit(s) follow the net load (case net load ${fmt(netCase)} MW, master ` +
      `${fmt(masterCase)} MW, losses ${fmt(lossesCase)} MW scaled by r and r²), within [Pmin, Pmax]; the master unit balances`,
  );

  // Per period: profile, sun, clouds.
  const offsetOf = (d: CivilDate): number => o.utcOffsetHours ?? centralEuropeanOffset(d);
  const count = before + Math.max(o.periods, perDay) + after;
  const clouds = cloudCover(count, periodMinutes, { mean: o.pv.clouds }, o.random.fork("clouds"));
  const dayShapes = new Map<string, { dayType: DayType; scale: Float64Array }>();
  const shapeOf = (d: CivilDate): { dayType: DayType; scale: Float64Array } => {
    const key = formatCivilDate(d);
    let shape = dayShapes.get(key);
    if (!shape) {
      const column = columnFor(o.profile, d, o.holidays);
      const energy = periodEnergies(column.quarterHourKwh, periodMinutes);
      const peak = Math.max(...energy);
      if (!(peak > 0)) throw new ScenarioError(`${o.profile.source}: the column for ${key} is all zero`);
      shape = { dayType: column.dayType, scale: energy.map((e) => e / peak) };
      dayShapes.set(key, shape);
    }
    return shape;
  };
  const qd = c.bus.map((b) => (b[BUS.BUS_TYPE] === BUS_TYPE_NONE ? 0 : b[BUS.QD]));
  const periods: PeriodScenario[] = [];
  for (let n = 0; n < count; n++) {
    const index = n - before;
    const dayOffset = Math.floor(index / perDay);
    const slot = index - dayOffset * perDay;
    const date = addDays(o.date, dayOffset);
    const shape = shapeOf(date);
    const s = shape.scale[slot];
    const utcStart =
      Date.UTC(date.year, date.month - 1, date.day) / 1000 + slot * periodMinutes * 60 - offsetOf(date) * 3600;
    const ghi = pv.ratedMW > 0 ? meanClearSkyGhi(utcStart, periodMinutes, o.pv.latitude, o.pv.longitude) : 0;
    const availability = pvAvailability(ghi, clouds[n]);
    const pvMW = pv.ratedMW * availability;
    const demandMW = demandCase * s;
    const netLoadMW = demandMW - pvMW;
    const r = Math.max(0, netLoadMW) / netCase;
    const f = schedule.factorFor(netLoadMW + r * r * lossesCase - r * masterCase);

    const p = pdCase.map((x, i) => x * s - (pvShare ? pvShare[i] * pvMW : 0));
    const q = qd.map((x) => x * s);
    const outputMW = schedule.outputs(f);
    for (const k of pvUnits) outputMW[k] = c.gen[k][GEN.PMAX] * availability;
    const minutes = slot * periodMinutes;
    periods.push({
      index,
      date: formatCivilDate(date),
      localTime: `${String(Math.floor(minutes / 60)).padStart(2, "0")}:${String(minutes % 60).padStart(2, "0")}`,
      utcStart,
      dayType: shape.dayType,
      demandScale: s,
      demandMW,
      pvMW,
      cloudCover: clouds[n],
      clearSkyGhi: ghi,
      pvAvailability: availability,
      netLoadMW,
      scheduleFactor: f,
      forecasts: { demandMW: { p, q }, outputMW },
    });
  }
  const first = before;
  const at = (index: number): PeriodScenario => {
    const p = periods[index + first];
    if (!p) throw new RangeError(`day period ${index} is outside the scenario (${-before} … ${count - before - 1})`);
    return p;
  };

  // Operation data: given, or derived at the peak.
  let operation: OperationData;
  let derived = false;
  if (given) {
    operation = given;
    notes.push(`operation data: the case's own (${given.units.length} redispatch unit(s))`);
  } else {
    derived = true;
    const day = periods.slice(first, first + perDay);
    const peak = day.reduce((best, p) => (p.netLoadMW > best.netLoadMW ? p : best), day[0]);
    operation = deriveOperation(
      c,
      applyScenario(c, peak),
      o,
      notes,
      `the peak net load, ${peak.date} ${peak.localTime} (${fmt(peak.netLoadMW)} MW)`,
    );
  }
  const wanted =
    o.marketUnits ??
    (o.maxMarketUnits !== undefined ? Math.min(o.maxMarketUnits, given?.units.length ?? Infinity) : undefined);
  if (wanted !== undefined && given && given.units.length > 0) {
    if (!Number.isInteger(wanted) || wanted < 1 || wanted > given.units.length) {
      throw new ScenarioError(
        `${input.name} has ${given.units.length} redispatch unit(s): the number of generators must be 1 … ${given.units.length}, got ${wanted}`,
      );
    }
    if (wanted < given.units.length) {
      operation = { ...given, units: given.units.slice(0, wanted) };
      notes.push(`market units: the first ${wanted} of the case's redispatch units`);
    }
  }
  if (operation.units.length === 0) {
    throw new ScenarioError(
      `${input.name} has no redispatchable unit: every in-service unit is the master (slack) or has Pmax = Pmin`,
    );
  }
  const limitedLines = operation.branchActiveLimitMW.flatMap((limit, l) => (limit > 0 ? [l + 1] : []));
  return {
    case: { ...c, operation },
    operationDerived: derived,
    limitedLines,
    pv,
    periodMinutes,
    utcOffsetHours: offsetOf(o.date),
    periods,
    first,
    at,
    notes,
  };
}

/**
 * The followers' outputs for a factor f, PG_k = clamp(f·PG_k,case, lo_k, hi_k) with [lo, hi] the
 * unit's [Pmin, Pmax] widened to include its case output, and the factor that makes them total a
 * target (bisection: the total never decreases with f).
 */
function followerSchedule(c: PowerCase, followers: readonly number[]) {
  const base = Float64Array.from(followers, (k) => c.gen[k][GEN.PG]);
  const lo = Float64Array.from(followers, (k, j) => Math.min(c.gen[k][GEN.PMIN], base[j]));
  const hi = Float64Array.from(followers, (k, j) => Math.max(c.gen[k][GEN.PMAX], base[j]));
  const total = (f: number): number => {
    let sum = 0;
    for (let j = 0; j < base.length; j++) sum += Math.min(hi[j], Math.max(lo[j], f * base[j]));
    return sum;
  };
  return {
    factorFor(target: number): number {
      let low = 0;
      let high = 1;
      for (let n = 0; n < 60 && total(high) < target; n++) high *= 2;
      if (total(high) <= target) return high;
      if (total(low) >= target) return low;
      for (let n = 0; n < 60; n++) {
        const mid = (low + high) / 2;
        if (total(mid) < target) low = mid;
        else high = mid;
      }
      return (low + high) / 2;
    },
    outputs(f: number): number[] {
      const out = c.gen.map((g) => g[GEN.PG]);
      followers.forEach((k, j) => (out[k] = Math.min(hi[j], Math.max(lo[j], f * base[j]))));
      return out;
    },
  };
}

export interface DeriveOperationOptions {
  /** How many of the most loaded lines get a limit (default 5). */
  readonly congestedLines?: number;
  /** Their limit as a fraction of their flow at the schedule (default 0.9). */
  readonly limitFraction?: number;
  /** Keep exactly this many market units (the best placed, one per node; an error when there are fewer) … */
  readonly marketUnits?: number;
  /** … or, without `marketUnits`, at most this many. Default: every redispatchable unit. */
  readonly maxMarketUnits?: number;
}

/**
 * Operation data for a case without any, as a simulated day derives it: `defaultOperation` at the
 * load flow of `schedule` (the case `c` with a period's demand and outputs — the day uses its peak
 * period), the `congestedLines` most loaded lines limited to `limitFraction` of their flow there;
 * with `marketUnits` or `maxMarketUnits`, only the units most able to relieve those lines (largest
 * |AC sensitivity|, one per node) stay redispatchable. `where` says which schedule, for `notes`.
 */
export function deriveOperation(
  c: PowerCase,
  schedule: PowerCase,
  o: DeriveOperationOptions,
  notes: string[],
  where: string,
): OperationData {
  const congestedLines = o.congestedLines ?? 5;
  const limitFraction = o.limitFraction ?? 0.9;
  if (!Number.isInteger(congestedLines) || congestedLines < 1) {
    throw new ScenarioError(`the number of congested lines must be a positive integer, got ${congestedLines}`);
  }
  if (!(limitFraction > 0 && limitFraction <= 1)) {
    throw new ScenarioError(`the limit fraction must be within (0, 1], got ${limitFraction}`);
  }
  const network = NetworkModel.of(c);
  const point = solvePowerFlow(network, injectionsOf(network, schedule));
  const flow = toResult(point, c.name);
  const all = defaultOperation(c, flow, { congestedLines, limitFraction });
  const limited = all.branchActiveLimitMW.flatMap((x, l) => (x > 0 ? [l] : []));
  notes.push(
    `operation data derived (defaultOperation) at ${where}: the ${limited.length} most loaded line(s) limited to ` +
      `${limitFraction * 100} % of their flow there (rows ${limited.map((l) => l + 1).join(", ")}); every other unit ` +
      `but the master redispatchable at its gencost marginal price + 5 USD/MWh up, 5 USD/MWh down, ramp 20 % of Pmax per period`,
  );
  if ((o.marketUnits === undefined && o.maxMarketUnits === undefined) || all.units.length === 0) return all;
  if (o.marketUnits !== undefined && (!Number.isInteger(o.marketUnits) || o.marketUnits < 1)) {
    throw new ScenarioError(`the number of generators must be a positive integer, got ${o.marketUnits}`);
  }
  // Relief: the largest |∂flow/∂P| of any limited line at the unit's bus, one unit per node.
  const internal = limited.map((l) => network.branchOfRow[l]).filter((l) => l >= 0);
  const sens = flowSensitivities(point, internal, "ac");
  const scored = all.units.map((u) => {
    const bus = network.index.gens.bus[network.genOfRow[u.gen - 1]];
    const relief = sens.matrix.reduce((m, row) => Math.max(m, Math.abs(row[bus])), 0);
    return { u, node: c.gen[u.gen - 1][GEN.GEN_BUS], relief };
  });
  scored.sort((a, b) => b.relief - a.relief || a.u.gen - b.u.gen);
  const nodes = new Set<number>();
  const chosen = scored.filter((s) => !nodes.has(s.node) && nodes.add(s.node));
  if (o.marketUnits !== undefined && o.marketUnits > chosen.length) {
    throw new ScenarioError(
      `${c.name} has ${chosen.length} node(s) with a redispatchable unit: the number of generators must be 1 … ${chosen.length}, got ${o.marketUnits}`,
    );
  }
  const kept = chosen.slice(0, o.marketUnits ?? o.maxMarketUnits).sort((a, b) => a.u.gen - b.u.gen);
  notes.push(
    `market units: the ${kept.length} unit(s) (one per node) whose output moves the limited lines most — ` +
      kept.map((k) => `gen ${k.u.gen} at bus ${k.node} (${k.relief.toFixed(3)} MW/MW)`).join(", "),
  );
  return { ...all, units: kept.map((k) => k.u) };
}

/** The case with a period's forecasts applied (demand and schedules), for a load flow outside the market. */
function applyScenario(c: PowerCase, p: PeriodScenario): PowerCase {
  const f = p.forecasts;
  const bus = c.bus.map((b, i) => {
    const row = [...b];
    row[BUS.PD] = f.demandMW!.p[i];
    row[BUS.QD] = f.demandMW!.q[i];
    return row;
  });
  const gen = c.gen.map((g, k) => {
    const row = [...g];
    row[GEN.PG] = f.outputMW![k];
    return row;
  });
  return { ...c, bus, gen };
}

/** Refuses a case whose energised network is not one connected grid, or leaves demand unsupplied. */
function checkOneGrid(c: PowerCase, network: NetworkModel): void {
  const { buses, branches } = network.index;
  const parent = Int32Array.from({ length: buses.count }, (_, i) => i);
  const find = (i: number): number => {
    while (parent[i] !== i) i = parent[i] = parent[parent[i]];
    return i;
  };
  for (let l = 0; l < branches.count; l++) parent[find(branches.from[l])] = find(branches.to[l]);
  const sizes = new Map<number, number>();
  for (let i = 0; i < buses.count; i++) sizes.set(find(i), (sizes.get(find(i)) ?? 0) + 1);
  if (sizes.size > 1) {
    const list = [...sizes.values()].sort((a, b) => b - a);
    throw new ScenarioError(
      `${c.name} is ${sizes.size} islands (${list.slice(0, 5).join(", ")}${list.length > 5 ? ", …" : ""} buses): ` +
        "a day on the market needs one connected grid with one master unit",
    );
  }
  const rowOf = new Map(c.bus.map((b, i) => [b[BUS.BUS_I], i]));
  const cutOff = network.index.isolatedBusIds.filter((id) => {
    const b = c.bus[rowOf.get(id) as number];
    return b[BUS.BUS_TYPE] !== BUS_TYPE_NONE && (b[BUS.PD] !== 0 || b[BUS.QD] !== 0);
  });
  if (cutOff.length > 0) {
    throw new ScenarioError(
      `${c.name}: bus(es) ${cutOff.slice(0, 10).join(", ")}${cutOff.length > 10 ? ", …" : ""} carry demand but are ` +
        "in an island without a master unit (not supplied)",
    );
  }
}

const fmt = (x: number): string => (Math.abs(x) >= 100 ? x.toFixed(1) : x.toPrecision(4));

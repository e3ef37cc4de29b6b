/**
 * Operating-limit checks on a solved operating point — the shape of the paper's Table I: every
 * violation with its value, its limit and the deviation beyond it.
 *
 * Line active power is judged on the loss-neutral mean flow (Pf − Pt)/2, signed from the
 * branch's from-bus to its to-bus, against the operation's active limit; apparent power on
 * max(|Sf|, |St|) against RATE_A where the case gives one. Voltages against each bus's
 * [VMIN, VMAX]. Frequency, for an islanded grid with a master unit, as described at
 * `frequencyStatus`. Only in-service elements of energised islands are judged: the rest are not
 * in the network model at all.
 */
import { BRANCH, BUS, GEN } from "../case/columns";
import type { FrequencyBand, OperationData } from "../case/operation";
import type { PowerCase } from "../case/types";
import { masterUnits } from "../model/bustypes";
import type { NetworkModel } from "../model/network";
import type { OperatingPoint } from "../pf/point";
import { meanFlow, type BranchResult, type PowerFlowResult } from "../pf/results";

/** A value beyond its limit by no more than this (MW, MVA, p.u.) is not reported: solver round-off. */
export const LIMIT_TOLERANCE = 1e-6;

/** The limits of a network model, per internal element. */
export interface GridLimits {
  /** Limit on each internal branch's mean active flow, MW (Infinity: none). */
  readonly activeMW: Float64Array;
  /** MVA rating of each internal branch (RATE_A; Infinity: none). */
  readonly ratingMVA: Float64Array;
  /** Voltage band of each internal bus, p.u. */
  readonly vmin: Float64Array;
  readonly vmax: Float64Array;
  /** Present for an islanded grid whose master unit holds frequency. */
  readonly frequency?: FrequencyBand;
  /** Combined output limits of the master unit(s), MW (frequency estimate). */
  readonly masterPmin: number;
  readonly masterPmax: number;
}

export interface LineViolation {
  /** Internal branch index. */
  readonly branch: number;
  /** For people: 1-based row in the case's branch matrix and the bus numbers at its ends. */
  readonly branchRow: number;
  readonly from: number;
  readonly to: number;
  /** "active": mean active flow, MW (signed from → to); "apparent": max end MVA. */
  readonly kind: "active" | "apparent";
  readonly value: number;
  readonly limit: number;
  /** |value| − limit, MW or MVA. */
  readonly deviation: number;
}

export interface VoltageViolation {
  /** Internal bus index. */
  readonly bus: number;
  /** For people: the bus number. */
  readonly busId: number;
  /** p.u. */
  readonly vm: number;
  readonly min: number;
  readonly max: number;
  /** Distance outside the band, p.u. */
  readonly deviation: number;
}

export interface FrequencyStatus {
  /** Steady-state frequency, p.u. of nominal. */
  readonly frequency: number;
  readonly min: number;
  readonly max: number;
  /** Output of the master (slack) units, MW, and their combined limits. */
  readonly masterOutput: number;
  readonly masterMin: number;
  readonly masterMax: number;
  readonly violated: boolean;
  /** Distance outside the band, p.u. (0 when inside). */
  readonly deviation: number;
}

export interface LimitReport {
  /** True when nothing is violated. */
  readonly ok: boolean;
  readonly lines: LineViolation[];
  readonly voltages: VoltageViolation[];
  readonly frequency?: FrequencyStatus;
}

/** Loss-neutral mean active flow of a branch result, MW, positive from its from-bus to its to-bus. */
export function meanActiveFlow(b: BranchResult): number {
  return (b.pf - b.pt) / 2;
}

/**
 * The limits of case `c` (the same topology as `model`): active limits from `operation` (MW per
 * branch row, 0 = none), ratings from RATE_A, voltage bands from VMIN/VMAX, the frequency band
 * and the master unit's [Pmin, Pmax].
 */
export function gridLimits(
  model: NetworkModel,
  c: PowerCase,
  operation: OperationData | undefined = c.operation,
): GridLimits {
  const { branches, buses, gens } = model.index;
  const activeMW = new Float64Array(branches.count);
  const ratingMVA = new Float64Array(branches.count);
  for (let l = 0; l < branches.count; l++) {
    const row = branches.row[l];
    const active = operation?.branchActiveLimitMW[row] ?? 0;
    activeMW[l] = active > 0 ? active : Infinity;
    const rating = c.branch[row][BRANCH.RATE_A];
    ratingMVA[l] = rating > 0 ? rating : Infinity;
  }
  const vmin = new Float64Array(buses.count);
  const vmax = new Float64Array(buses.count);
  for (let i = 0; i < buses.count; i++) {
    vmin[i] = c.bus[buses.row[i]][BUS.VMIN];
    vmax[i] = c.bus[buses.row[i]][BUS.VMAX];
  }
  let masterPmin = 0;
  let masterPmax = 0;
  for (const k of masterUnits(model.index)) {
    masterPmin += c.gen[gens.row[k]][GEN.PMIN];
    masterPmax += c.gen[gens.row[k]][GEN.PMAX];
  }
  return { activeMW, ratingMVA, vmin, vmax, frequency: operation?.frequency, masterPmin, masterPmax };
}

export function checkGridLimits(point: OperatingPoint, limits: GridLimits): LimitReport {
  const { index } = point.model;
  const br = index.branches;
  const f = point.flows;
  const lines: LineViolation[] = [];
  const describe = (l: number) => ({
    branch: l,
    branchRow: br.row[l] + 1,
    from: index.buses.id[br.from[l]],
    to: index.buses.id[br.to[l]],
  });
  for (let l = 0; l < br.count; l++) {
    const p = meanFlow(f, l);
    const active = limits.activeMW[l];
    if (Math.abs(p) > active + LIMIT_TOLERANCE) {
      lines.push({ ...describe(l), kind: "active", value: p, limit: active, deviation: Math.abs(p) - active });
    }
    const rating = limits.ratingMVA[l];
    const s = Math.max(Math.hypot(f.pf[l], f.qf[l]), Math.hypot(f.pt[l], f.qt[l]));
    if (s > rating + LIMIT_TOLERANCE) {
      lines.push({ ...describe(l), kind: "apparent", value: s, limit: rating, deviation: s - rating });
    }
  }
  const voltages: VoltageViolation[] = [];
  for (let i = 0; i < index.buses.count; i++) {
    const vm = point.vm[i];
    const min = limits.vmin[i];
    const max = limits.vmax[i];
    const deviation = vm > max ? vm - max : vm < min ? min - vm : 0;
    if (deviation > LIMIT_TOLERANCE) voltages.push({ bus: i, busId: index.buses.id[i], vm, min, max, deviation });
  }
  const frequency = limits.frequency ? frequencyStatus(point, limits) : undefined;
  return {
    ok: lines.length === 0 && voltages.length === 0 && !(frequency?.violated ?? false),
    lines,
    voltages,
    frequency,
  };
}

/** The limit report of a solved case (the external entry point): `gridLimits` then `checkGridLimits`. */
export function checkLimits(c: PowerCase, result: PowerFlowResult, operation = c.operation): LimitReport {
  return checkGridLimits(result.point, gridLimits(result.point.model, c, operation));
}

/**
 * Steady-state frequency of a master–slave islanded grid. The master unit (the slack) holds
 * nominal frequency as long as its output stays within [Pmin, Pmax]. Beyond that, the
 * shortfall (or surplus) ΔP can only be absorbed by frequency-dependent demand, so
 * f = 1 − ΔP / (D · P_demand) with D the load-damping constant — an estimate that tells the
 * operator by how much the band is missed, not a dynamic simulation.
 */
export function frequencyStatus(point: OperatingPoint, limits: GridLimits): FrequencyStatus {
  const band = limits.frequency;
  if (!band) throw new RangeError("the case has no frequency band (operation.frequency)");
  let masterOutput = 0;
  for (const k of masterUnits(point.model.index)) masterOutput += point.pg[k];
  const { masterPmin: masterMin, masterPmax: masterMax } = limits;
  let demand = 0;
  for (const pd of point.injections.pd) demand += pd;
  const shortfall =
    masterOutput > masterMax ? masterOutput - masterMax : masterOutput < masterMin ? masterOutput - masterMin : 0;
  const frequency = shortfall === 0 || demand <= 0 ? 1 : 1 - shortfall / (band.loadDamping * demand);
  const deviation = frequency > band.max ? frequency - band.max : frequency < band.min ? band.min - frequency : 0;
  return {
    frequency,
    min: band.min,
    max: band.max,
    masterOutput,
    masterMin,
    masterMax,
    violated: deviation > 0,
    deviation,
  };
}

/**
 * Operating-limit checks on a solved load flow — the shape of the paper's Table I: every
 * violation with its value, its limit and the deviation beyond it.
 *
 * Line active power is judged on the loss-neutral mean flow (Pf − Pt)/2, signed from the
 * branch's from-bus to its to-bus, against `operation.branchActiveLimitMW`; apparent power on
 * max(|Sf|, |St|) against RATE_A where the case gives one. Voltages against each bus's
 * [VMIN, VMAX]. Frequency, for an islanded grid with a master unit, as described at
 * `frequencyStatus`.
 */
import { BRANCH, BUS, BUS_TYPE_REF, GEN } from "../case/columns";
import type { OperationData } from "../case/operation";
import type { PowerCase } from "../case/types";
import type { BranchResult, PowerFlowResult } from "../pf/results";

/** A value beyond its limit by no more than this (MW, MVA, p.u.) is not reported: solver round-off. */
export const LIMIT_TOLERANCE = 1e-6;

export interface LineViolation {
  /** 1-based row in the case's branch matrix. */
  readonly row: number;
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
  readonly bus: number;
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

/** Loss-neutral mean active flow of a branch, MW, positive from its from-bus to its to-bus. */
export function meanActiveFlow(b: BranchResult): number {
  return (b.pf - b.pt) / 2;
}

export function checkLimits(c: PowerCase, result: PowerFlowResult, operation = c.operation): LimitReport {
  const lines: LineViolation[] = [];
  result.branches.forEach((b, l) => {
    const row = c.branch[l];
    if (row[BRANCH.BR_STATUS] === 0) return;
    const activeLimit = operation?.branchActiveLimitMW[l] ?? 0;
    const p = meanActiveFlow(b);
    if (activeLimit > 0 && Math.abs(p) > activeLimit + LIMIT_TOLERANCE) {
      lines.push({
        row: l + 1,
        from: b.from,
        to: b.to,
        kind: "active",
        value: p,
        limit: activeLimit,
        deviation: Math.abs(p) - activeLimit,
      });
    }
    const rating = row[BRANCH.RATE_A];
    const s = Math.max(Math.hypot(b.pf, b.qf), Math.hypot(b.pt, b.qt));
    if (rating > 0 && s > rating + LIMIT_TOLERANCE) {
      lines.push({
        row: l + 1,
        from: b.from,
        to: b.to,
        kind: "apparent",
        value: s,
        limit: rating,
        deviation: s - rating,
      });
    }
  });

  const isolated = new Set(result.isolatedBuses);
  const voltages: VoltageViolation[] = [];
  result.buses.forEach((b, i) => {
    if (isolated.has(b.id)) return;
    const min = c.bus[i][BUS.VMIN];
    const max = c.bus[i][BUS.VMAX];
    const deviation = b.vm > max ? b.vm - max : b.vm < min ? min - b.vm : 0;
    if (deviation > LIMIT_TOLERANCE) voltages.push({ bus: b.id, vm: b.vm, min, max, deviation });
  });

  const frequency = operation?.frequency ? frequencyStatus(c, result, operation) : undefined;
  return {
    ok: lines.length === 0 && voltages.length === 0 && !(frequency?.violated ?? false),
    lines,
    voltages,
    frequency,
  };
}

/**
 * Steady-state frequency of a master–slave islanded grid. The master unit (the slack) holds
 * nominal frequency as long as its output stays within [Pmin, Pmax]. Beyond that, the
 * shortfall (or surplus) ΔP can only be absorbed by frequency-dependent demand, so
 * f = 1 − ΔP / (D · P_demand) with D the load-damping constant — an estimate that tells the
 * operator by how much the band is missed, not a dynamic simulation.
 */
export function frequencyStatus(c: PowerCase, result: PowerFlowResult, operation: OperationData): FrequencyStatus {
  const band = operation.frequency;
  if (!band) throw new RangeError("the case has no frequency band (operation.frequency)");
  const refBuses = new Set(c.bus.filter((b) => b[BUS.BUS_TYPE] === BUS_TYPE_REF).map((b) => b[BUS.BUS_I]));
  let masterOutput = 0;
  let masterMin = 0;
  let masterMax = 0;
  c.gen.forEach((g, k) => {
    if (g[GEN.GEN_STATUS] <= 0 || !refBuses.has(g[GEN.GEN_BUS])) return;
    masterOutput += result.gens[k].pg;
    masterMin += g[GEN.PMIN];
    masterMax += g[GEN.PMAX];
  });
  const demand = c.bus.reduce((s, b) => s + b[BUS.PD], 0);
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

/**
 * The grid detail of a period record (day-record.ts, `detail`): the study's load flow, the
 * sensitivities of every line to every market unit, the nodal prices by component, and the load
 * flow as the period ran. What a person looking at one period wants to click through — the
 * dashboard's grid view draws it as published and computes none of it.
 *
 * Written for cases up to DETAIL_MAX_BUSES buses (a load flow per period is small there); larger
 * cases keep the record's summary only. Units: MW, MVAr, p.u., degrees, USD/MWh, MW per MW.
 */
import type { PowerCase } from "../grid/case/types";
import type { LimitReport } from "../grid/limits/checks";
import type { OperatingPoint } from "../grid/pf/point";
import type { BranchResult, BusResult, GenResult, PowerFlowResult } from "../grid/pf/results";
import { flowSensitivities } from "../grid/sensitivity";
import { marketModel } from "../market/model";
import type { PeriodResult } from "../market/period";

/** Cases up to this many buses carry the grid detail (and every bus's price in `prices.byNode`). */
export const DETAIL_MAX_BUSES = 200;

/** A load flow as published: the grid core's results, each gen and branch with its 1-based row. */
export interface LoadFlowRecord {
  readonly converged: boolean;
  readonly iterations: number;
  /** Per bus: voltage magnitude p.u., angle degrees. */
  readonly buses: readonly BusResult[];
  /** Per gen row: output MW / MVAr. */
  readonly gens: readonly (GenResult & { readonly row: number })[];
  /** Per branch row: flows into the branch at each end, MW / MVAr. */
  readonly branches: readonly (BranchResult & { readonly row: number })[];
  /** Losses, MW / MVAr. */
  readonly losses: { readonly p: number; readonly q: number };
}

/** A bus outside its voltage band, p.u. (deviation: how far outside). */
export interface VoltageOutsideRecord {
  readonly busId: number;
  readonly vm: number;
  readonly min: number;
  readonly max: number;
  readonly deviation: number;
}

/** MW change of each line's mean flow per MW of each unit's output (rows: lines, columns: units). */
export interface SensitivityRecord {
  readonly lines: readonly { readonly branchRow: number; readonly from: number; readonly to: number }[];
  readonly units: readonly { readonly genRow: number; readonly node: number }[];
  readonly matrix: readonly (readonly number[])[];
  readonly method: "ac" | "dc";
}

/** A bus's nodal price by component, USD/MWh: energy + loss + congestion = total. */
export interface PriceComponentsRecord {
  readonly bus: number;
  readonly energy: number;
  readonly loss: number;
  readonly congestion: number;
  readonly total: number;
}

/** One load flow and the buses outside their band there. */
export interface GridStateRecord {
  readonly loadFlow: LoadFlowRecord;
  readonly voltagesOutside: readonly VoltageOutsideRecord[];
}

export interface GridDetail {
  /** The centre's study: the schedule's load flow, every line's sensitivities, the prices. */
  readonly study: GridStateRecord & {
    readonly sensitivities: SensitivityRecord;
    readonly prices: readonly PriceComponentsRecord[];
  };
  /** The period as it ran (null until it has). */
  readonly actual: GridStateRecord | null;
}

export function loadFlowRecord(r: PowerFlowResult): LoadFlowRecord {
  return {
    converged: r.converged,
    iterations: r.iterations,
    buses: r.buses.map((b) => ({ id: b.id, vm: b.vm, va: b.va })),
    gens: r.gens.map((g, k) => ({ row: k + 1, bus: g.bus, pg: g.pg, qg: g.qg })),
    branches: r.branches.map((b, k) => ({
      row: k + 1,
      from: b.from,
      to: b.to,
      pf: b.pf,
      qf: b.qf,
      pt: b.pt,
      qt: b.qt,
    })),
    losses: { p: r.losses.p, q: r.losses.q },
  };
}

export function gridStateRecord(flow: PowerFlowResult, limits: LimitReport): GridStateRecord {
  return {
    loadFlow: loadFlowRecord(flow),
    voltagesOutside: limits.voltages.map((x) => ({
      busId: x.busId,
      vm: x.vm,
      min: x.min,
      max: x.max,
      deviation: x.deviation,
    })),
  };
}

/**
 * Sensitivities of EVERY in-service line to every market unit at `point` (the study's own table
 * covers the violated lines only; a person clicking any line wants its figures too).
 */
export function allLineSensitivities(c: PowerCase, point: OperatingPoint, method: "ac" | "dc"): SensitivityRecord {
  const network = point.model;
  const operation = c.operation;
  if (!operation) throw new Error(`${c.name}: sensitivities need the case's operation data`);
  const units = marketModel(network, c, operation).units;
  const { index } = network;
  const branches = Int32Array.from({ length: index.branches.count }, (_, l) => l);
  const s = flowSensitivities(point, branches, method);
  return {
    lines: Array.from(branches, (l) => ({
      branchRow: index.branches.row[l] + 1,
      from: index.buses.id[index.branches.from[l]],
      to: index.buses.id[index.branches.to[l]],
    })),
    units: units.map((u) => ({ genRow: u.genRow, node: u.busId })),
    matrix: Array.from(branches, (l) => units.map((u) => s.matrix[l][u.bus])),
    method,
  };
}

/** The study's part of the detail (`c`: the market case, for its units). */
export function studyDetail(c: PowerCase, study: PeriodResult): GridDetail["study"] {
  return {
    ...gridStateRecord(study.loadFlow, study.violations),
    sensitivities: allLineSensitivities(c, study.loadFlow.point, study.sensitivities.method),
    prices: study.prices.map((p) => ({
      bus: p.bus,
      energy: p.energy,
      loss: p.loss,
      congestion: p.congestion,
      total: p.total,
    })),
  };
}

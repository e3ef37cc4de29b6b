/**
 * The dashboard's view of the grid core's results: a case's topology and per-period records
 * (dashboard/shared/types.ts) built from `runPeriod`'s study and a delivery period's load flow.
 * Pure: no chain, no files. Numbers keep the core's units (MW, MVAr, p.u., degrees, USD/MWh).
 */
import { BRANCH, BUS, GEN } from "../../oracle/grid/case/columns";
import type { PowerCase } from "../../oracle/grid/case/types";
import type { LimitReport } from "../../oracle/grid/limits/checks";
import { NetworkModel } from "../../oracle/grid/model/network";
import type { OperatingPoint } from "../../oracle/grid/pf/point";
import type { PowerFlowResult } from "../../oracle/grid/pf/results";
import { flowSensitivities } from "../../oracle/grid/sensitivity";
import { marketModel } from "../../oracle/market/model";
import type { PeriodResult } from "../../oracle/market/period";
import type { LoadFlowRecord, SensitivityRecord, StudyRecord, Topology, ViolationsRecord } from "../shared/types";

/** The one-line diagram's data: buses with their voltage bands, branches with their limits, units. */
export function topologyOf(c: PowerCase): Topology {
  const op = c.operation;
  const unitOf = new Map((op?.units ?? []).map((u) => [u.gen, u]));
  return {
    name: c.name,
    baseMVA: c.baseMVA,
    periodMinutes: op?.periodMinutes,
    buses: c.bus.map((b) => ({
      id: b[BUS.BUS_I],
      type: b[BUS.BUS_TYPE],
      pdMW: b[BUS.PD],
      qdMVAr: b[BUS.QD],
      vmin: b[BUS.VMIN],
      vmax: b[BUS.VMAX],
      baseKV: b[BUS.BASE_KV],
    })),
    branches: c.branch.map((br, k) => {
      const limit = op?.branchActiveLimitMW[k] ?? 0;
      const rate = br[BRANCH.RATE_A];
      return {
        row: k + 1,
        from: br[BRANCH.F_BUS],
        to: br[BRANCH.T_BUS],
        inService: br[BRANCH.BR_STATUS] > 0,
        limitMW: limit > 0 ? limit : null,
        rateAMVA: rate > 0 ? rate : null,
      };
    }),
    gens: c.gen.map((g, k) => {
      const u = unitOf.get(k + 1);
      return {
        row: k + 1,
        bus: g[GEN.GEN_BUS],
        pgMW: g[GEN.PG],
        pminMW: g[GEN.PMIN],
        pmaxMW: g[GEN.PMAX],
        inService: g[GEN.GEN_STATUS] > 0,
        unit: u && { kind: u.kind, upPrice: u.upPrice, downPrice: u.downPrice, rampMW: u.rampMW },
      };
    }),
  };
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

export function violationsRecord(v: LimitReport): ViolationsRecord {
  return {
    lines: v.lines.map((l) => ({
      branchRow: l.branchRow,
      from: l.from,
      to: l.to,
      kind: l.kind,
      value: l.value,
      limit: l.limit,
      deviation: l.deviation,
    })),
    voltages: v.voltages.map((x) => ({ busId: x.busId, vm: x.vm, min: x.min, max: x.max, deviation: x.deviation })),
  };
}

/**
 * Sensitivities of EVERY in-service line to every redispatch unit at `point` (the study's own
 * table covers the violated lines only; a person clicking any line wants its figures too).
 */
export function allLineSensitivities(c: PowerCase, point: OperatingPoint, method: "ac" | "dc"): SensitivityRecord {
  const network: NetworkModel = point.model;
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

/** The centre's study of a delivery period as a record (`schedule`: the case it solved, forecasts applied). */
export function studyRecord(schedule: PowerCase, study: PeriodResult, madeInPeriod: number): StudyRecord {
  return {
    madeInPeriod,
    loadFlow: loadFlowRecord(study.loadFlow),
    violations: violationsRecord(study.violations),
    sensitivities: allLineSensitivities(schedule, study.loadFlow.point, study.sensitivities.method),
    redispatch: {
      status: study.redispatch.status,
      costPerHour: study.redispatch.costPerHour,
      adjustments: study.redispatch.adjustments.map((a) => ({
        genRow: a.unit.genRow,
        node: a.unit.busId,
        scheduledMW: a.scheduledMW,
        adjustedMW: a.adjustedMW,
      })),
    },
    // USD/MWh, total = energy + loss (marginal losses) + congestion, as the study priced them.
    prices: study.prices.map((p) => ({
      bus: p.bus,
      energy: p.energy,
      loss: p.loss,
      congestion: p.congestion,
      total: p.total,
    })),
    offers: study.offers.map((o) => ({
      genRow: o.genRow,
      node: o.node,
      direction: o.direction,
      mw: o.mw,
      kwh: o.kwh,
      priceUsdPerMWh: o.priceUsdPerMWh,
      usd: o.usd,
    })),
  };
}

/**
 * The internal operating point: what a power flow knows about the solved network, in internal
 * indices (0-based buses, units and branches of the network model, in-service elements only).
 * Sensitivities, limit checks, redispatch and prices take it; user bus numbers and file rows
 * appear only at the edges (PowerFlowResult, JSON, command line, chain encoding).
 */
import { BUS, GEN } from "../case/columns";
import type { PowerCase } from "../case/types";
import type { BusTypes } from "../model/bustypes";
import type { NetworkModel } from "../model/network";

export type PowerFlowAlgorithm = "nr" | "bfs" | "dc";

/** Demands, outputs and set points of one solve, per internal bus and unit. */
export interface Injections {
  /** Demand, MW and MVAr, per internal bus. */
  readonly pd: Float64Array;
  readonly qd: Float64Array;
  /** Scheduled output, MW and MVAr, per internal unit. */
  readonly pg: Float64Array;
  readonly qg: Float64Array;
  /** Reactive limits, MVAr, and voltage set point, p.u., per internal unit. */
  readonly qmax: Float64Array;
  readonly qmin: Float64Array;
  readonly vg: Float64Array;
  /** Initial voltage magnitude (p.u.) and angle (rad) per internal bus: the case's Vm and Va. */
  readonly vm0: Float64Array;
  readonly va0: Float64Array;
}

/** Active and reactive flow entering each internal branch at its two ends, MW and MVAr. */
export interface BranchFlows {
  readonly pf: Float64Array;
  readonly qf: Float64Array;
  readonly pt: Float64Array;
  readonly qt: Float64Array;
}

export interface OperatingPoint {
  readonly model: NetworkModel;
  /** The injections the flow was solved for (before reactive limits moved any unit). */
  readonly injections: Injections;
  readonly algorithm: PowerFlowAlgorithm;
  readonly iterations: number;
  /** Largest |P or Q mismatch| at the solution, per unit. */
  readonly mismatch: number;
  /** Bus types the flow was solved with (after reactive limits, if enforced). */
  readonly types: BusTypes;
  /** Voltage magnitude (p.u.) and angle (rad) per internal bus. */
  readonly vm: Float64Array;
  readonly va: Float64Array;
  /** Output per internal unit, MW and MVAr (the master unit's P and PV units' Q as solved). */
  readonly pg: Float64Array;
  readonly qg: Float64Array;
  readonly flows: BranchFlows;
  /** Total series and shunt branch losses, MW and MVAr (MVAr includes line charging). */
  readonly losses: { readonly p: number; readonly q: number };
  /** Internal units held at a reactive limit, ascending. */
  readonly reactiveLimited: Int32Array;
  readonly warnings: readonly string[];
}

/** The injections of case `c` (same topology as `model`), read by the model's row maps. */
export function injectionsOf(model: NetworkModel, c: PowerCase): Injections {
  const { buses, gens } = model.index;
  const source = model.index.source;
  if (c.bus.length !== source.bus.length || c.gen.length !== source.gen.length) {
    throw new RangeError(`case ${c.name} does not have the network model's topology`);
  }
  const deg = Math.PI / 180;
  const pd = new Float64Array(buses.count);
  const qd = new Float64Array(buses.count);
  const vm0 = new Float64Array(buses.count);
  const va0 = new Float64Array(buses.count);
  for (let i = 0; i < buses.count; i++) {
    const row = c.bus[buses.row[i]];
    pd[i] = row[BUS.PD];
    qd[i] = row[BUS.QD];
    vm0[i] = row[BUS.VM];
    va0[i] = row[BUS.VA] * deg;
  }
  const pg = new Float64Array(gens.count);
  const qg = new Float64Array(gens.count);
  const qmax = new Float64Array(gens.count);
  const qmin = new Float64Array(gens.count);
  const vg = new Float64Array(gens.count);
  for (let k = 0; k < gens.count; k++) {
    const row = c.gen[gens.row[k]];
    pg[k] = row[GEN.PG];
    qg[k] = row[GEN.QG];
    qmax[k] = row[GEN.QMAX];
    qmin[k] = row[GEN.QMIN];
    vg[k] = row[GEN.VG];
  }
  return { pd, qd, pg, qg, qmax, qmin, vg, vm0, va0 };
}

/** `injections` with unit outputs replaced (per internal unit, MW); the rest is shared. */
export function withUnitOutputs(injections: Injections, pg: Float64Array): Injections {
  if (pg.length !== injections.pg.length) throw new RangeError(`expected ${injections.pg.length} unit outputs`);
  return { ...injections, pg };
}

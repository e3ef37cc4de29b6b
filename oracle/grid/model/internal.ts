/**
 * Internal indexing (MATPOWER's ext2int + bustypes): in-service elements only, buses renumbered
 * 0..nb-1 in file order, with maps back to the user's numbers and rows. Buses of type 4 and
 * buses in an island without a reference bus are "isolated": removed from the solve and reported.
 */
import { CaseDataError } from "../errors";
import { BRANCH, BUS, BUS_TYPE_NONE, BUS_TYPE_PQ, BUS_TYPE_PV, BUS_TYPE_REF, GEN } from "../case/columns";
import type { PowerCase } from "../case/types";

export interface InternalBuses {
  readonly count: number;
  /** External bus number of each internal bus. */
  readonly id: Int32Array;
  /** Row in the case's bus matrix of each internal bus. */
  readonly row: Int32Array;
  /** Bus type used by the solver (1 PQ, 2 PV, 3 ref) after MATPOWER's bustypes rules. */
  readonly type: Uint8Array;
  /** Demand, MW and MVAr. */
  readonly pd: Float64Array;
  readonly qd: Float64Array;
  /** Shunt, MW consumed and MVAr injected at V = 1 p.u. */
  readonly gs: Float64Array;
  readonly bs: Float64Array;
  /** Initial voltage magnitude (p.u.) and angle (radians). */
  readonly vm0: Float64Array;
  readonly va0: Float64Array;
}

export interface InternalGens {
  readonly count: number;
  /** Row in the case's gen matrix. */
  readonly row: Int32Array;
  /** Internal bus index. */
  readonly bus: Int32Array;
  readonly pg: Float64Array; // MW
  readonly qg: Float64Array; // MVAr
  readonly qmax: Float64Array; // MVAr
  readonly qmin: Float64Array; // MVAr
  readonly vg: Float64Array; // p.u.
}

export interface InternalBranches {
  readonly count: number;
  /** Row in the case's branch matrix. */
  readonly row: Int32Array;
  readonly from: Int32Array;
  readonly to: Int32Array;
  readonly r: Float64Array; // p.u.
  readonly x: Float64Array; // p.u.
  readonly b: Float64Array; // p.u. total charging
  /** Off-nominal turns ratio (1 where the case says 0). */
  readonly tap: Float64Array;
  /** Phase shift, radians. */
  readonly shift: Float64Array;
}

export interface InternalCase {
  readonly source: PowerCase;
  readonly baseMVA: number;
  readonly buses: InternalBuses;
  readonly gens: InternalGens;
  readonly branches: InternalBranches;
  /** Internal index of every case bus row, -1 for isolated buses. */
  readonly busIndexOfRow: Int32Array;
  readonly ref: Int32Array;
  readonly pv: Int32Array;
  readonly pq: Int32Array;
  /** External numbers of isolated buses (type 4, or in an island with no reference bus). */
  readonly isolatedBusIds: number[];
}

const DEG = Math.PI / 180;

export function toInternal(c: PowerCase): InternalCase {
  const nbExt = c.bus.length;
  const rowOfId = new Map<number, number>();
  c.bus.forEach((row, r) => rowOfId.set(row[BUS.BUS_I], r));

  const busOn = new Uint8Array(nbExt);
  c.bus.forEach((row, r) => (busOn[r] = row[BUS.BUS_TYPE] === BUS_TYPE_NONE ? 0 : 1));
  const genBusRow = c.gen.map((g) => rowOfId.get(g[GEN.GEN_BUS]) as number);
  const brFromRow = c.branch.map((b) => rowOfId.get(b[BRANCH.F_BUS]) as number);
  const brToRow = c.branch.map((b) => rowOfId.get(b[BRANCH.T_BUS]) as number);
  const genOn = (g: number): boolean => c.gen[g][GEN.GEN_STATUS] > 0 && busOn[genBusRow[g]] === 1;
  const branchOn = (l: number): boolean =>
    c.branch[l][BRANCH.BR_STATUS] !== 0 && busOn[brFromRow[l]] === 1 && busOn[brToRow[l]] === 1;

  // Energised islands: those reachable from a reference bus that has an in-service generator.
  const hasGen = new Uint8Array(nbExt);
  c.gen.forEach((_, g) => {
    if (genOn(g)) hasGen[genBusRow[g]] = 1;
  });
  const neighbours: number[][] = Array.from({ length: nbExt }, () => []);
  c.branch.forEach((_, l) => {
    if (!branchOn(l)) return;
    neighbours[brFromRow[l]].push(brToRow[l]);
    neighbours[brToRow[l]].push(brFromRow[l]);
  });
  const refRows: number[] = [];
  c.bus.forEach((row, r) => {
    if (busOn[r] && row[BUS.BUS_TYPE] === BUS_TYPE_REF && hasGen[r]) refRows.push(r);
  });
  if (refRows.length === 0) {
    const refWithoutGen = c.bus.find((row) => row[BUS.BUS_TYPE] === BUS_TYPE_REF);
    throw new CaseDataError(
      refWithoutGen
        ? `no slack bus: reference bus ${refWithoutGen[BUS.BUS_I]} has no in-service generator`
        : "no slack bus: no bus has type 3 (reference)",
    );
  }
  const energised = new Uint8Array(nbExt);
  const stack = [...refRows];
  refRows.forEach((r) => (energised[r] = 1));
  while (stack.length > 0) {
    const r = stack.pop() as number;
    for (const s of neighbours[r]) {
      if (!energised[s]) {
        energised[s] = 1;
        stack.push(s);
      }
    }
  }

  const busIndexOfRow = new Int32Array(nbExt).fill(-1);
  const isolatedBusIds: number[] = [];
  let nb = 0;
  for (let r = 0; r < nbExt; r++) {
    if (energised[r]) busIndexOfRow[r] = nb++;
    else isolatedBusIds.push(c.bus[r][BUS.BUS_I]);
  }
  const buses = {
    count: nb,
    id: new Int32Array(nb),
    row: new Int32Array(nb),
    type: new Uint8Array(nb),
    pd: new Float64Array(nb),
    qd: new Float64Array(nb),
    gs: new Float64Array(nb),
    bs: new Float64Array(nb),
    vm0: new Float64Array(nb),
    va0: new Float64Array(nb),
  };
  for (let r = 0; r < nbExt; r++) {
    const i = busIndexOfRow[r];
    if (i < 0) continue;
    const row = c.bus[r];
    buses.id[i] = row[BUS.BUS_I];
    buses.row[i] = r;
    buses.pd[i] = row[BUS.PD];
    buses.qd[i] = row[BUS.QD];
    buses.gs[i] = row[BUS.GS];
    buses.bs[i] = row[BUS.BS];
    buses.vm0[i] = row[BUS.VM];
    buses.va0[i] = row[BUS.VA] * DEG;
    // MATPOWER's bustypes: a PV or reference bus without an in-service generator is PQ.
    const t = row[BUS.BUS_TYPE];
    buses.type[i] = (t === BUS_TYPE_PV || t === BUS_TYPE_REF) && hasGen[r] ? t : BUS_TYPE_PQ;
  }

  const genRows = c.gen.map((_, g) => g).filter((g) => genOn(g) && busIndexOfRow[genBusRow[g]] >= 0);
  const ng = genRows.length;
  const gens = {
    count: ng,
    row: Int32Array.from(genRows),
    bus: Int32Array.from(genRows, (g) => busIndexOfRow[genBusRow[g]]),
    pg: Float64Array.from(genRows, (g) => c.gen[g][GEN.PG]),
    qg: Float64Array.from(genRows, (g) => c.gen[g][GEN.QG]),
    qmax: Float64Array.from(genRows, (g) => c.gen[g][GEN.QMAX]),
    qmin: Float64Array.from(genRows, (g) => c.gen[g][GEN.QMIN]),
    vg: Float64Array.from(genRows, (g) => c.gen[g][GEN.VG]),
  };

  const brRows = c.branch.map((_, l) => l).filter((l) => branchOn(l) && energised[brFromRow[l]] === 1);
  const branches = {
    count: brRows.length,
    row: Int32Array.from(brRows),
    from: Int32Array.from(brRows, (l) => busIndexOfRow[brFromRow[l]]),
    to: Int32Array.from(brRows, (l) => busIndexOfRow[brToRow[l]]),
    r: Float64Array.from(brRows, (l) => c.branch[l][BRANCH.BR_R]),
    x: Float64Array.from(brRows, (l) => c.branch[l][BRANCH.BR_X]),
    b: Float64Array.from(brRows, (l) => c.branch[l][BRANCH.BR_B]),
    tap: Float64Array.from(brRows, (l) => c.branch[l][BRANCH.TAP] || 1),
    shift: Float64Array.from(brRows, (l) => c.branch[l][BRANCH.SHIFT] * DEG),
  };

  const { ref, pv, pq } = classifyBuses(buses.type);
  return { source: c, baseMVA: c.baseMVA, buses, gens, branches, busIndexOfRow, ref, pv, pq, isolatedBusIds };
}

/** Index lists of reference, PV and PQ buses, each ascending. */
export function classifyBuses(type: Uint8Array): { ref: Int32Array; pv: Int32Array; pq: Int32Array } {
  const ref: number[] = [];
  const pv: number[] = [];
  const pq: number[] = [];
  type.forEach((t, i) => (t === BUS_TYPE_REF ? ref : t === BUS_TYPE_PV ? pv : pq).push(i));
  return { ref: Int32Array.from(ref), pv: Int32Array.from(pv), pq: Int32Array.from(pq) };
}

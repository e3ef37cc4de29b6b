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
  const ngExt = c.gen.length;
  const nlExt = c.branch.length;
  const rowOfId = busRowLookup(c);

  const busOn = new Uint8Array(nbExt);
  for (let r = 0; r < nbExt; r++) busOn[r] = c.bus[r][BUS.BUS_TYPE] === BUS_TYPE_NONE ? 0 : 1;
  const genBusRow = new Int32Array(ngExt);
  const genOn = new Uint8Array(ngExt);
  for (let g = 0; g < ngExt; g++) {
    const row = c.gen[g];
    genBusRow[g] = rowOfId(row[GEN.GEN_BUS]);
    genOn[g] = row[GEN.GEN_STATUS] > 0 && busOn[genBusRow[g]] === 1 ? 1 : 0;
  }
  const brFromRow = new Int32Array(nlExt);
  const brToRow = new Int32Array(nlExt);
  const branchOn = new Uint8Array(nlExt);
  for (let l = 0; l < nlExt; l++) {
    const row = c.branch[l];
    brFromRow[l] = rowOfId(row[BRANCH.F_BUS]);
    brToRow[l] = rowOfId(row[BRANCH.T_BUS]);
    branchOn[l] = row[BRANCH.BR_STATUS] !== 0 && busOn[brFromRow[l]] === 1 && busOn[brToRow[l]] === 1 ? 1 : 0;
  }

  // Energised islands: those reachable from a reference bus that has an in-service generator.
  const hasGen = new Uint8Array(nbExt);
  for (let g = 0; g < ngExt; g++) if (genOn[g]) hasGen[genBusRow[g]] = 1;
  // Neighbours of each bus row over in-service branches, in compressed form (counting sort).
  const adjPtr = new Int32Array(nbExt + 1);
  for (let l = 0; l < nlExt; l++) {
    if (!branchOn[l]) continue;
    adjPtr[brFromRow[l] + 1]++;
    adjPtr[brToRow[l] + 1]++;
  }
  for (let r = 0; r < nbExt; r++) adjPtr[r + 1] += adjPtr[r];
  const adj = new Int32Array(adjPtr[nbExt]);
  const fill = adjPtr.slice(0, nbExt);
  for (let l = 0; l < nlExt; l++) {
    if (!branchOn[l]) continue;
    adj[fill[brFromRow[l]]++] = brToRow[l];
    adj[fill[brToRow[l]]++] = brFromRow[l];
  }
  const energised = new Uint8Array(nbExt);
  const stack = new Int32Array(nbExt);
  let top = 0;
  for (let r = 0; r < nbExt; r++) {
    if (busOn[r] && c.bus[r][BUS.BUS_TYPE] === BUS_TYPE_REF && hasGen[r]) {
      energised[r] = 1;
      stack[top++] = r;
    }
  }
  if (top === 0) {
    const refWithoutGen = c.bus.find((row) => row[BUS.BUS_TYPE] === BUS_TYPE_REF);
    throw new CaseDataError(
      refWithoutGen
        ? `no slack bus: reference bus ${refWithoutGen[BUS.BUS_I]} has no in-service generator`
        : "no slack bus: no bus has type 3 (reference)",
    );
  }
  while (top > 0) {
    const r = stack[--top];
    for (let p = adjPtr[r]; p < adjPtr[r + 1]; p++) {
      const s = adj[p];
      if (!energised[s]) {
        energised[s] = 1;
        stack[top++] = s;
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

  let ng = 0;
  for (let g = 0; g < ngExt; g++) if (genOn[g] && busIndexOfRow[genBusRow[g]] >= 0) ng++;
  const gens = {
    count: ng,
    row: new Int32Array(ng),
    bus: new Int32Array(ng),
    pg: new Float64Array(ng),
    qg: new Float64Array(ng),
    qmax: new Float64Array(ng),
    qmin: new Float64Array(ng),
    vg: new Float64Array(ng),
  };
  for (let g = 0, k = 0; g < ngExt; g++) {
    if (!genOn[g] || busIndexOfRow[genBusRow[g]] < 0) continue;
    const row = c.gen[g];
    gens.row[k] = g;
    gens.bus[k] = busIndexOfRow[genBusRow[g]];
    gens.pg[k] = row[GEN.PG];
    gens.qg[k] = row[GEN.QG];
    gens.qmax[k] = row[GEN.QMAX];
    gens.qmin[k] = row[GEN.QMIN];
    gens.vg[k] = row[GEN.VG];
    k++;
  }

  let nl = 0;
  for (let l = 0; l < nlExt; l++) if (branchOn[l] && energised[brFromRow[l]]) nl++;
  const branches = {
    count: nl,
    row: new Int32Array(nl),
    from: new Int32Array(nl),
    to: new Int32Array(nl),
    r: new Float64Array(nl),
    x: new Float64Array(nl),
    b: new Float64Array(nl),
    tap: new Float64Array(nl),
    shift: new Float64Array(nl),
  };
  for (let l = 0, k = 0; l < nlExt; l++) {
    if (!branchOn[l] || !energised[brFromRow[l]]) continue;
    const row = c.branch[l];
    branches.row[k] = l;
    branches.from[k] = busIndexOfRow[brFromRow[l]];
    branches.to[k] = busIndexOfRow[brToRow[l]];
    branches.r[k] = row[BRANCH.BR_R];
    branches.x[k] = row[BRANCH.BR_X];
    branches.b[k] = row[BRANCH.BR_B];
    branches.tap[k] = row[BRANCH.TAP] || 1;
    branches.shift[k] = row[BRANCH.SHIFT] * DEG;
    k++;
  }

  const { ref, pv, pq } = classifyBuses(buses.type);
  return { source: c, baseMVA: c.baseMVA, buses, gens, branches, busIndexOfRow, ref, pv, pq, isolatedBusIds };
}

/**
 * Row of each bus number. Bus numbers are positive integers (validateCase); when they are not
 * much larger than the bus count a typed table is used, otherwise a Map.
 */
function busRowLookup(c: PowerCase): (id: number) => number {
  const nb = c.bus.length;
  let maxId = 0;
  for (let r = 0; r < nb; r++) maxId = Math.max(maxId, c.bus[r][BUS.BUS_I]);
  if (Number.isInteger(maxId) && maxId <= 8 * nb + 1024) {
    const table = new Int32Array(maxId + 1).fill(-1);
    for (let r = 0; r < nb; r++) table[c.bus[r][BUS.BUS_I]] = r;
    return (id) => {
      const r = id >= 0 && id <= maxId ? table[id] : -1;
      if (r < 0) throw new CaseDataError(`unknown bus number ${id}`);
      return r;
    };
  }
  const map = new Map<number, number>();
  for (let r = 0; r < nb; r++) map.set(c.bus[r][BUS.BUS_I], r);
  return (id) => {
    const r = map.get(id);
    if (r === undefined) throw new CaseDataError(`unknown bus number ${id}`);
    return r;
  };
}

/** Index lists of reference, PV and PQ buses, each ascending. */
export function classifyBuses(type: Uint8Array): { ref: Int32Array; pv: Int32Array; pq: Int32Array } {
  let nRef = 0;
  let nPv = 0;
  for (let i = 0; i < type.length; i++) {
    if (type[i] === BUS_TYPE_REF) nRef++;
    else if (type[i] === BUS_TYPE_PV) nPv++;
  }
  const ref = new Int32Array(nRef);
  const pv = new Int32Array(nPv);
  const pq = new Int32Array(type.length - nRef - nPv);
  for (let i = 0, a = 0, b = 0, q = 0; i < type.length; i++) {
    if (type[i] === BUS_TYPE_REF) ref[a++] = i;
    else if (type[i] === BUS_TYPE_PV) pv[b++] = i;
    else pq[q++] = i;
  }
  return { ref, pv, pq };
}

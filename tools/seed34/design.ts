/**
 * The design seed34 is built from (tools/fit-seed34.ts fits it): what the paper states, the
 * cables, the candidate topologies and their sections, the demand zones, and the case a design
 * describes. Units: MW, MVAr, p.u. on 1 MVA and 10 kV (Z_base = 100 Ω), km, Ω/km, nF/km.
 */
import { BUS, type OperationData, type PowerCase } from "../../oracle";

// ---------------------------------------------------------------------------------------------
// What the paper states (section III.A, Table I).

export const PAPER = {
  /** Master unit at node 1: V/f control, the slack. */
  masterVoltagePu: 1.03,
  /** Constant-power injection at node 2, MW and MVAr. */
  gen2: { p: 0.1899, q: 0.0876 },
  /** PV forecast at node 34 for the next period, MW. */
  pvForecastMW: 0.5183,
  voltageBand: { min: 0.94, max: 1.06 },
  frequencyBand: { min: 0.994, max: 1.006 },
  /** Table I: mean flow (p.u. = MW), signed from → to as the branch is written, and deviation. */
  tableI: [
    { from: 11, to: 14, pmean: -0.7643, deviation: 0.0143 },
    { from: 14, to: 17, pmean: -0.7657, deviation: 0.0157 },
    { from: 24, to: 27, pmean: -0.7712, deviation: 0.0212 },
  ],
  /** The limit Table I's deviations were computed with (the text says 0.53; 0.7643 − 0.0143 = 0.75). */
  lineLimitMW: 0.75,
  /** The paper's remedy, MW per unit (by bus). */
  remedy: { 2: 0.026, 27: -0.0026, 34: -0.0026 } as Readonly<Record<number, number>>,
  periodMinutes: 30,
} as const;

// ---------------------------------------------------------------------------------------------
// Cables: single-core XLPE aluminium 6/10 kV cables as in pandapower's standard type library
// (r and x per phase at 50 Hz, c line-to-earth, thermal current).

export interface Cable {
  readonly rOhmPerKm: number;
  readonly xOhmPerKm: number;
  readonly cNfPerKm: number;
  readonly maxIKa: number;
}
export const CABLES = {
  "NA2XS2Y 1x95 RM/25 6/10 kV": { rOhmPerKm: 0.313, xOhmPerKm: 0.123, cNfPerKm: 315, maxIKa: 0.249 },
  "NA2XS2Y 1x150 RM/25 6/10 kV": { rOhmPerKm: 0.206, xOhmPerKm: 0.11, cNfPerKm: 360, maxIKa: 0.315 },
  "NA2XS2Y 1x240 RM/25 6/10 kV": { rOhmPerKm: 0.122, xOhmPerKm: 0.105, cNfPerKm: 456, maxIKa: 0.416 },
} as const satisfies Record<string, Cable>;
export type CableName = keyof typeof CABLES;

/** The ring main (feeder, corridor, return path) and the branch cable (loop, spurs). */
export const MAIN_CABLE: CableName = "NA2XS2Y 1x150 RM/25 6/10 kV";
export const BRANCH_CABLE: CableName = "NA2XS2Y 1x95 RM/25 6/10 kV";

const BASE_MVA = 1;
const BASE_KV = 10;
const Z_BASE = (BASE_KV * BASE_KV) / BASE_MVA; // Ω
const OMEGA = 2 * Math.PI * 50; // rad/s

// ---------------------------------------------------------------------------------------------
// Topology candidates. Every candidate has the same 35 branch rows in the same order (so lines
// 11-14, 14-17 and 24-27 are rows 15, 16 and 24); they differ in where node 2 sits on the feeder
// from the master unit and where the ring closes back to node 1.

/** Where node 2 (the constant-power unit) joins the feeder 1 → 11. */
export type Node2Placement = "after-1" | "before-11" | "at-11";
/** The line that closes the ring from node 27's side back to the master unit. */
export type RingClosure = "30-1" | "27-1" | "34-1";
export interface Topology {
  readonly node2: Node2Placement;
  readonly closure: RingClosure;
}
export const TOPOLOGIES: readonly Topology[] = (["after-1", "before-11", "at-11"] as const).flatMap((node2) =>
  (["30-1", "27-1", "34-1"] as const).map((closure) => ({ node2, closure })),
);
const NODE2_TEXT: Record<Node2Placement, string> = {
  "after-1": "node 2 next to the master unit (feeder 1-2-3-...-11)",
  "before-11": "node 2 on the feeder just before node 11 (1-3-...-10-2-11)",
  "at-11": "node 2 on a spur at node 11 (feeder 1-3-...-10-11, spur 11-2)",
};
const CLOSURE_TEXT: Record<RingClosure, string> = {
  "30-1": "ring closed by line 30-1 (return path 27-28-29-30-1)",
  "27-1": "ring closed by line 27-1",
  "34-1": "ring closed by line 34-1 (return path 27-31-32-33-34-1)",
};
export const topologyName = (t: Topology): string => `${NODE2_TEXT[t.node2]}, ${CLOSURE_TEXT[t.closure]}`;

/** Section groups, each with its own cable and section length. */
export type Group = "feeder" | "corridor" | "loop" | "return" | "spur";
export const GROUPS: readonly Group[] = ["feeder", "corridor", "loop", "return", "spur"];
export const CABLE_OF: Record<Group, CableName> = {
  feeder: MAIN_CABLE,
  corridor: MAIN_CABLE,
  return: MAIN_CABLE,
  loop: BRANCH_CABLE,
  spur: BRANCH_CABLE,
};

interface Section {
  readonly from: number;
  readonly to: number;
  readonly group: Group;
}

/** The 35 branch rows of a topology, in file order. */
export function sections(t: Topology): Section[] {
  const s = (from: number, to: number, group: Group): Section => ({ from, to, group });
  const rows: Section[] = [];
  // Rows 1-10: the feeder from the master unit to node 11, with node 2 on it or beside it.
  const chain = t.node2 === "after-1" ? [1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11] : [1, 3, 4, 5, 6, 7, 8, 9, 10];
  if (t.node2 === "before-11") chain.push(2, 11);
  if (t.node2 === "at-11") chain.push(11);
  for (let k = 0; k + 1 < chain.length; k++) rows.push(s(chain[k], chain[k + 1], "feeder"));
  if (t.node2 === "at-11") rows.push(s(11, 2, "spur"));
  // Rows 11-14: a spur of consumers off node 11.
  rows.push(s(11, 12, "spur"), s(12, 13, "spur"), s(13, 15, "spur"), s(15, 16, "spur"));
  // Rows 15-16: the corridor 11-14-17.
  rows.push(s(11, 14, "corridor"), s(14, 17, "corridor"));
  // Rows 17-22: the loop 17-18-...-23 (closed by row 34 through 26-25-24).
  for (let b = 17; b <= 22; b++) rows.push(s(b, b + 1, "loop"));
  // Rows 23-24: the corridor 17-24-27.
  rows.push(s(17, 24, "corridor"), s(24, 27, "corridor"));
  // Rows 25-26: the loop's other side, 24-25-26.
  rows.push(s(24, 25, "loop"), s(25, 26, "loop"));
  // Rows 27-29: 27-28-29-30, the return path to the master unit when the ring closes at 30.
  const via30: Group = t.closure === "30-1" ? "return" : "spur";
  rows.push(s(27, 28, via30), s(28, 29, via30), s(29, 30, via30));
  // Rows 30-33: the PV feeder 27-31-32-33-34, the return path when the ring closes at 34.
  const via34: Group = t.closure === "34-1" ? "return" : "spur";
  rows.push(s(27, 31, via34), s(31, 32, via34), s(32, 33, via34), s(33, 34, via34));
  // Row 34 closes the loop between 17 and 24; row 35 closes the ring back to the master unit.
  rows.push(s(23, 26, "loop"));
  const [from, to] = t.closure.split("-").map(Number);
  rows.push(s(from, to, "return"));
  return rows;
}

// ---------------------------------------------------------------------------------------------
// Demand zones. Buses 1, 2, 27 and 34 carry generation only.

export type Zone = "cluster" | "bus14" | "loop" | "east";
export function zoneOf(bus: number): Zone | undefined {
  if ((bus >= 3 && bus <= 13) || bus === 15 || bus === 16) return "cluster";
  if (bus === 14) return "bus14";
  if (bus >= 17 && bus <= 26) return "loop";
  if (bus >= 28 && bus <= 33) return "east";
  return undefined;
}

// ---------------------------------------------------------------------------------------------
// A design: everything the case is built from.

export interface Seed34Design {
  readonly topology: Topology;
  /** Length of every section in a group, km. */
  readonly sectionKm: Readonly<Record<Group, number>>;
  /** Demand per bus in each zone, MW. */
  readonly demandMW: Readonly<Record<Zone, number>>;
  /** Power factor of every demand (lagging). */
  readonly powerFactor: number;
  /** Gen 27's scheduled output, MW. */
  readonly gen27MW: number;
}

/** Significant digits kept for per-unit impedances (enough that rounding moves no flow by 1e-9 MW). */
export const round = (x: number, digits = 10): number => Number(x.toPrecision(digits));

/** Gen 2's capability: the paper's remedy takes it to exactly this (see the header). */
export const GEN2_PMAX = round(PAPER.gen2.p + PAPER.remedy[2], 6);

/** The case a design describes, with the operation data the market needs. */
export function buildSeed34(d: Seed34Design): PowerCase {
  const tanPhi = Math.tan(Math.acos(d.powerFactor));
  const bus: number[][] = [];
  for (let id = 1; id <= 34; id++) {
    const zone = zoneOf(id);
    const pd = zone ? d.demandMW[zone] : 0;
    bus.push([id, id === 1 ? 3 : 1, pd, round(pd * tanPhi, 6), 0, 0, 1, 1, 0, BASE_KV, 1, 1.06, 0.94]);
  }
  bus[0][BUS.VM] = PAPER.masterVoltagePu; // the slack's voltage: its set point
  const gen = [
    // bus, Pg, Qg, Qmax, Qmin, Vg, mBase, status, Pmax, Pmin
    [1, 0, 0, 1.0, -1.0, PAPER.masterVoltagePu, BASE_MVA, 1, 1.0, 0],
    [2, PAPER.gen2.p, PAPER.gen2.q, 0.3, -0.3, 1, BASE_MVA, 1, GEN2_PMAX, 0],
    [27, d.gen27MW, 0, 0.5, -0.5, 1, BASE_MVA, 1, 1.0, 0.2],
    [34, PAPER.pvForecastMW, 0, 0.3, -0.3, 1, BASE_MVA, 1, 0.6, 0],
  ];
  const branch = sections(d.topology).map(({ from, to, group }) => {
    const cable: Cable = CABLES[CABLE_OF[group]];
    const km = d.sectionKm[group];
    const r = round((cable.rOhmPerKm * km) / Z_BASE);
    const x = round((cable.xOhmPerKm * km) / Z_BASE);
    // Total charging susceptance ωCl in p.u. of Y_base = 1/Z_base.
    const b = round(OMEGA * cable.cNfPerKm * 1e-9 * km * Z_BASE);
    // Thermal rating √3·U·I, MVA.
    const rateA = round(Math.sqrt(3) * BASE_KV * cable.maxIKa, 4);
    return [from, to, r, x, b, rateA, rateA, rateA, 0, 0, 1, -360, 360];
  });
  const operation: OperationData = {
    periodMinutes: PAPER.periodMinutes,
    branchActiveLimitMW: branch.map(() => PAPER.lineLimitMW),
    frequency: { min: PAPER.frequencyBand.min, max: PAPER.frequencyBand.max, loadDamping: 1.0 },
    masterEnergyPrice: 100,
    units: [
      { gen: 2, kind: "dispatchable", upPrice: 105, downPrice: 30, rampMW: 0.1 },
      { gen: 3, kind: "dispatchable", upPrice: 110, downPrice: 15, rampMW: 0.1 },
      { gen: 4, kind: "renewable", upPrice: 0, downPrice: 40, rampMW: PAPER.pvForecastMW },
    ],
  };
  return {
    name: "seed34",
    baseMVA: BASE_MVA,
    bus,
    gen,
    branch,
    gencost: [
      [2, 0, 0, 2, 100, 0],
      [2, 0, 0, 2, 105, 0],
      [2, 0, 0, 2, 80, 0],
      [2, 0, 0, 2, 0, 0],
    ],
    operation,
  };
}

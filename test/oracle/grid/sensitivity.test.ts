/**
 * Line-flow sensitivities against finite differences of full load flows: the AC sensitivities
 * against central differences of Newton–Raphson solves, the DC PTDF against DC solves (exact up
 * to round-off, the DC flow being linear in the injections).
 */
import { expect } from "chai";
import {
  BRANCH,
  BUS,
  BUS_TYPE_PQ,
  BUS_TYPE_PV,
  BUS_TYPE_REF,
  GEN,
  NetworkModel,
  loadCase,
  runPowerFlow,
  type PowerCase,
  type PowerFlowOptions,
  type PowerFlowResult,
} from "../../../oracle";
import {
  acFlowSensitivities as acInternal,
  dcFlowSensitivities as dcInternal,
  type FlowSensitivities as InternalSensitivities,
} from "../../../oracle/grid/sensitivity";
import type { OperatingPoint } from "../../../oracle/grid/pf/point";
import { sixBusCase } from "../fixtures";
import { casePath, HAVE_MATPOWER, SKIP_REASON } from "../helpers";
import { join } from "node:path";

/**
 * The tests speak case rows (the user's view): this adapter maps 0-based branch rows to the
 * network model's internal branches, calls the internal function, and spreads each row back over
 * the case's bus rows (0 for isolated buses, a row of zeros for an out-of-service branch).
 */
interface FlowSensitivities {
  readonly branchRows: readonly number[];
  readonly busIds: readonly number[];
  readonly matrix: readonly Float64Array[];
  readonly method: "ac" | "dc";
}

function byRows(
  c: PowerCase,
  model: NetworkModel,
  rows: readonly number[],
  compute: (branches: number[]) => InternalSensitivities,
): FlowSensitivities {
  const inService = rows.map((row) => model.branchOfRow[row]).filter((l) => l >= 0);
  const s = compute(inService);
  const matrix = rows.map((row) => {
    const out = new Float64Array(c.bus.length);
    const l = model.branchOfRow[row];
    if (l < 0) return out;
    const internal = s.matrix[inService.indexOf(l)];
    c.bus.forEach((_, r) => {
      const i = model.index.busIndexOfRow[r];
      if (i >= 0) out[r] = internal[i];
    });
    return out;
  });
  return { branchRows: rows, busIds: c.bus.map((b) => b[BUS.BUS_I]), matrix, method: s.method };
}

const acFlowSensitivities = (c: PowerCase, r: PowerFlowResult | OperatingPoint, rows: readonly number[]) => {
  const point = "point" in r ? r.point : r;
  return byRows(c, point.model, rows, (branches) => acInternal(point, branches));
};
const dcFlowSensitivities = (c: PowerCase, rows: readonly number[]) => {
  const model = NetworkModel.of(c);
  return byRows(c, model, rows, (branches) => dcInternal(model, branches));
};

/** A way to inject one more MW at a bus: raise a unit's Pg, or lower the bus demand. */
interface Injection {
  readonly busRow: number;
  readonly label: string;
  apply(c: PowerCase, mw: number): PowerCase;
}

const atGen = (c: PowerCase, genRow: number): Injection => ({
  busRow: c.bus.findIndex((b) => b[BUS.BUS_I] === c.gen[genRow][GEN.GEN_BUS]),
  label: `Pg of gen row ${genRow} (bus ${c.gen[genRow][GEN.GEN_BUS]})`,
  apply: (base, mw) => ({
    ...base,
    gen: base.gen.map((g, k) => (k === genRow ? withColumn(g, GEN.PG, g[GEN.PG] + mw) : g)),
  }),
});

const atLoad = (c: PowerCase, busRow: number): Injection => ({
  busRow,
  label: `Pd of bus ${c.bus[busRow][BUS.BUS_I]}`,
  apply: (base, mw) => ({
    ...base,
    bus: base.bus.map((b, r) => (r === busRow ? withColumn(b, BUS.PD, b[BUS.PD] - mw) : b)),
  }),
});

/** A unit (status 1, P = Q = 0) added at a PQ bus, where it keeps fixed P and Q; its Pg is perturbed. */
function withNewGenAt(c: PowerCase, busRow: number): { c: PowerCase; injection: Injection } {
  const id = c.bus[busRow][BUS.BUS_I];
  const withGen = { ...c, gen: [...c.gen, [id, 0, 0, 50, -50, 1, 100, 1, 100, 0]] };
  return { c: withGen, injection: { ...atGen(withGen, withGen.gen.length - 1), label: `new unit at PQ bus ${id}` } };
}

function withColumn(row: readonly number[], column: number, value: number): number[] {
  const out = [...row];
  out[column] = value;
  return out;
}

const pmean = (c: PowerCase, rows: readonly number[], options: PowerFlowOptions): number[] => {
  const r = runPowerFlow(c, options);
  return rows.map((l) => (r.branches[l].pf - r.branches[l].pt) / 2);
};

/** MW change of Pmean per MW injected, by central differences: one entry per monitored row. */
function finiteDifference(
  c: PowerCase,
  injection: Injection,
  rows: readonly number[],
  options: PowerFlowOptions,
  stepMW: number,
): number[] {
  const plus = pmean(injection.apply(c, stepMW), rows, options);
  const minus = pmean(injection.apply(c, -stepMW), rows, options);
  return plus.map((p, k) => (p - minus[k]) / (2 * stepMW));
}

/** Entries below this (MW/MW) are compared absolutely, at RELATIVE × FLOOR. */
const FLOOR = 1e-2;
const RELATIVE = 1e-5;

/**
 * Compares the sensitivity columns of the injections with finite differences; returns the worst
 * |S − FD| / max(|FD|, FLOOR) and asserts it is within RELATIVE.
 */
function compareWithFlows(
  c: PowerCase,
  s: FlowSensitivities,
  injections: readonly Injection[],
  options: PowerFlowOptions,
  stepMW: number,
): number {
  let worst = 0;
  for (const injection of injections) {
    const fd = finiteDifference(c, injection, s.branchRows, options, stepMW);
    fd.forEach((expected, k) => {
      const got = s.matrix[k][injection.busRow];
      const error = Math.abs(got - expected) / Math.max(Math.abs(expected), FLOOR);
      worst = Math.max(worst, error);
      expect(error, `${injection.label}, branch row ${s.branchRows[k]}: S = ${got}, FD = ${expected}`).to.be.below(
        RELATIVE,
      );
    });
  }
  return worst;
}

const allRows = (c: PowerCase): number[] => c.branch.map((_, l) => l);
const typeOf = (c: PowerCase, r: number): number => c.bus[r][BUS.BUS_TYPE];

/** One injection per bus: the first unit at PV buses, the demand elsewhere (zero demand is fine). */
function everyBus(c: PowerCase): Injection[] {
  return c.bus.map((b, r) => {
    const g = c.gen.findIndex((row) => row[GEN.GEN_BUS] === b[BUS.BUS_I] && row[GEN.GEN_STATUS] > 0);
    return typeOf(c, r) === BUS_TYPE_PV && g >= 0 ? atGen(c, g) : atLoad(c, r);
  });
}

const AC_TIGHT: PowerFlowOptions = { tolerance: 1e-12 };
const STEP_MW = 0.1;

describe("AC line-flow sensitivities against finite differences of AC load flows", () => {
  it("six-bus case (phase shifter, off-nominal taps, shunts, out-of-service branch): every bus and branch", () => {
    const c = sixBusCase();
    const s = acFlowSensitivities(c, runPowerFlow(c, AC_TIGHT), allRows(c));
    const worst = compareWithFlows(c, s, everyBus(c), AC_TIGHT, STEP_MW);
    // The same columns at PQ buses through a unit that keeps fixed P and Q there.
    let worstNewUnit = 0;
    c.bus.forEach((_, r) => {
      if (typeOf(c, r) !== BUS_TYPE_PQ) return;
      const { c: withUnit, injection } = withNewGenAt(c, r);
      const sUnit = acFlowSensitivities(withUnit, runPowerFlow(withUnit, AC_TIGHT), allRows(c));
      worstNewUnit = Math.max(worstNewUnit, compareWithFlows(withUnit, sUnit, [injection], AC_TIGHT, STEP_MW));
    });
    console.log(
      `      worst relative error ${worst.toExponential(1)} (units/loads), ${worstNewUnit.toExponential(1)} (new units)`,
    );
    // The phase shifter (row 1) and the tapped transformer (row 7) carry non-trivial factors.
    expect(Math.abs(s.matrix[1][2])).to.be.above(0.05);
    expect(Math.abs(s.matrix[7][2])).to.be.above(0.05);
  });

  it("treats the buses of units held at a reactive limit as PQ, as the flow did", () => {
    const c = { ...sixBusCase(), gen: sixBusCase().gen.map((g, k) => (k === 1 ? withColumn(g, GEN.QMIN, -10) : g)) };
    const options: PowerFlowOptions = { tolerance: 1e-12, enforceQLimits: true };
    const r = runPowerFlow(c, options);
    expect(r.reactiveLimited).to.deep.equal([2]);
    const s = acFlowSensitivities(c, r, allRows(c));
    compareWithFlows(c, s, everyBus(c), options, STEP_MW);
    // Holding |V| at bus 20 instead (the case's own bus type) gives different factors.
    const unlimited = acFlowSensitivities(c, { ...r.point, types: r.point.model.baseTypes }, allRows(c));
    expect(Math.abs(unlimited.matrix[2][2] - s.matrix[2][2])).to.be.above(1e-3);
  });

  describe("MATPOWER cases", () => {
    before(function () {
      if (!HAVE_MATPOWER) {
        console.log(`      ${SKIP_REASON}`);
        this.skip();
      }
    });

    it("case30: every bus and branch", () => {
      const c = loadCase(casePath("case30"));
      const s = acFlowSensitivities(c, runPowerFlow(c, AC_TIGHT), allRows(c));
      const worst = compareWithFlows(c, s, everyBus(c), AC_TIGHT, STEP_MW);
      console.log(`      worst relative error ${worst.toExponential(1)}`);
    });

    it("case1354pegase: sampled columns (units at PV buses, loads, a new unit at a PQ bus)", () => {
      const base = loadCase(casePath("case1354pegase"));
      // Pegase cases reach a mismatch floor of a few 1e-12 p.u.: 1e-11 is as tight as it gets.
      const options: PowerFlowOptions = { tolerance: 1e-11 };
      const pvGens = base.gen
        .map((g, k) => k)
        .filter(
          (k) =>
            typeOf(
              base,
              base.bus.findIndex((b) => b[BUS.BUS_I] === base.gen[k][GEN.GEN_BUS]),
            ) === BUS_TYPE_PV,
        );
      const loads = base.bus.map((_, r) => r).filter((r) => typeOf(base, r) === BUS_TYPE_PQ && base.bus[r][BUS.PD] > 0);
      const genBuses = new Set(base.gen.map((g) => g[GEN.GEN_BUS]));
      const bare = base.bus.findIndex((b, r) => typeOf(base, r) === BUS_TYPE_PQ && !genBuses.has(b[BUS.BUS_I]));
      const { c, injection: newUnit } = withNewGenAt(base, bare);
      const sample = <T>(list: T[], count: number): T[] =>
        Array.from({ length: count }, (_, k) => list[Math.floor(((k + 0.5) * list.length) / count)]);
      const injections = [
        ...sample(pvGens, 3).map((g) => atGen(c, g)),
        ...sample(loads, 3).map((r) => atLoad(c, r)),
        newUnit,
      ];
      // Monitor the branches at the perturbed buses (large factors) and an even spread of others.
      const busIds = new Set(injections.map((inj) => c.bus[inj.busRow][BUS.BUS_I]));
      const near = allRows(c).filter(
        (l) => busIds.has(c.branch[l][BRANCH.F_BUS]) || busIds.has(c.branch[l][BRANCH.T_BUS]),
      );
      const rows = [...new Set([...near, ...sample(allRows(c), 40)])];
      const s = acFlowSensitivities(c, runPowerFlow(c, options), rows);
      const worst = compareWithFlows(c, s, injections, options, STEP_MW);
      console.log(
        `      ${injections.length} columns x ${rows.length} branches, worst relative error ${worst.toExponential(1)}`,
      );
    });

    it("case2869pegase: 100 monitored branches give one finite row each, zero at the reference bus", () => {
      // Timing is measured by `npm run bench:period`, never asserted here.
      const c = loadCase(casePath("case2869pegase"));
      const rows = Array.from({ length: 100 }, (_, k) => Math.floor((k * c.branch.length) / 100));
      const s = acFlowSensitivities(c, runPowerFlow(c), rows);
      expect(s.matrix).to.have.length(100);
      const ref = c.bus.findIndex((b) => b[BUS.BUS_TYPE] === 3);
      for (const row of s.matrix) {
        expect(row).to.have.length(c.bus.length);
        expect(row.every(Number.isFinite)).to.equal(true);
        expect(row[ref]).to.equal(0);
      }
    });
  });
});

/** Output of the units at reference buses, MW (what balances every injection change). */
function referenceOutput(c: PowerCase, options: PowerFlowOptions): number {
  const r = runPowerFlow(c, options);
  const ref = new Set(c.bus.filter((b) => b[BUS.BUS_TYPE] === BUS_TYPE_REF).map((b) => b[BUS.BUS_I]));
  return r.gens.reduce((sum, g, k) => (ref.has(g.bus) && c.gen[k][GEN.GEN_STATUS] > 0 ? sum + g.pg : sum), 0);
}

/**
 * Marginal loss factors ∂L/∂P_b against central differences of full AC load flows: one more MW at
 * bus b saves the reference (1 − ∂L/∂P_b) MW. Returns the worst absolute error (MW/MW).
 */
function compareLossFactors(
  c: PowerCase,
  options: PowerFlowOptions,
  injections: readonly Injection[],
  stepMW = STEP_MW,
): number {
  const point = runPowerFlow(c, options).point;
  const factors = acInternal(point, []).lossFactors;
  let worst = 0;
  for (const injection of injections) {
    const i = point.model.index.busIndexOfRow[injection.busRow];
    if (i < 0) continue;
    const plus = referenceOutput(injection.apply(c, stepMW), options);
    const minus = referenceOutput(injection.apply(c, -stepMW), options);
    const expected = 1 + (plus - minus) / (2 * stepMW);
    const error = Math.abs(factors[i] - expected);
    worst = Math.max(worst, error);
    expect(error, `${injection.label}: ∂L/∂P = ${factors[i]}, FD = ${expected}`).to.be.below(1e-6);
  }
  return worst;
}

describe("AC marginal loss factors against finite differences of AC load flows", () => {
  it("six-bus case: every bus, zero at the reference bus, some clearly nonzero", () => {
    const c = sixBusCase();
    const worst = compareLossFactors(c, AC_TIGHT, everyBus(c));
    const factors = acInternal(runPowerFlow(c, AC_TIGHT).point, []).lossFactors;
    const ref = c.bus.findIndex((b) => b[BUS.BUS_TYPE] === BUS_TYPE_REF);
    expect(factors[ref]).to.equal(0);
    expect(Array.from(factors).some((f) => Math.abs(f) > 1e-3)).to.equal(true);
    console.log(`      worst |∂L/∂P − FD| ${worst.toExponential(1)} MW/MW`);
  });

  it("seed34 (1 MVA base, kW losses): every bus", () => {
    const c = loadCase(join(__dirname, "../../../cases/seed34.json"));
    // A 1 MVA base: steps of 1 kW, and a mismatch floor near 1e-12 p.u.
    const worst = compareLossFactors(c, { tolerance: 1e-11 }, everyBus(c), 1e-3);
    console.log(`      worst |∂L/∂P − FD| ${worst.toExponential(1)} MW/MW`);
  });

  it("DC sensitivities carry no loss factors (a lossless network)", () => {
    const c = sixBusCase();
    const dc = dcInternal(NetworkModel.of(c), [0]);
    expect(Array.from(dc.lossFactors)).to.deep.equal(new Array(c.bus.length).fill(0));
  });

  describe("MATPOWER cases", () => {
    before(function () {
      if (!HAVE_MATPOWER) {
        console.log(`      ${SKIP_REASON}`);
        this.skip();
      }
    });

    it("case118: every bus (units at PV buses, loads at PQ buses)", () => {
      const c = loadCase(casePath("case118"));
      const worst = compareLossFactors(c, AC_TIGHT, everyBus(c));
      console.log(`      worst |∂L/∂P − FD| ${worst.toExponential(1)} MW/MW`);
    });
  });
});

describe("DC line-flow sensitivities (PTDF)", () => {
  const DC: PowerFlowOptions = { algorithm: "dc" };

  it("match DC load flows exactly on the six-bus case (taps and phase shifter)", () => {
    const c = sixBusCase();
    const s = dcFlowSensitivities(c, allRows(c));
    expect(s.method).to.equal("dc");
    let worst = 0;
    for (const injection of everyBus(c)) {
      const fd = finiteDifference(c, injection, s.branchRows, DC, 1);
      fd.forEach((expected, k) => (worst = Math.max(worst, Math.abs(s.matrix[k][injection.busRow] - expected))));
    }
    expect(worst).to.be.below(1e-12);
  });

  it("equal Bf·B⁻¹ by a dense solve (independent of the sparse code)", () => {
    const c = sixBusCase();
    const s = dcFlowSensitivities(c, allRows(c));
    // Non-reference buses 20..60 (rows 1..5), in-service branches only.
    const n = 5;
    const bMat = Array.from({ length: n }, () => new Array<number>(n).fill(0));
    const inService = allRows(c).filter((l) => c.branch[l][BRANCH.BR_STATUS] !== 0);
    const susceptance = (l: number): number => 1 / (c.branch[l][BRANCH.BR_X] * (c.branch[l][BRANCH.TAP] || 1));
    const idx = (id: number): number => c.bus.findIndex((b) => b[BUS.BUS_I] === id) - 1;
    for (const l of inService) {
      const f = idx(c.branch[l][BRANCH.F_BUS]);
      const t = idx(c.branch[l][BRANCH.T_BUS]);
      const b = susceptance(l);
      if (f >= 0) bMat[f][f] += b;
      if (t >= 0) bMat[t][t] += b;
      if (f >= 0 && t >= 0) {
        bMat[f][t] -= b;
        bMat[t][f] -= b;
      }
    }
    const inverse = invert(bMat);
    for (const l of inService) {
      const f = idx(c.branch[l][BRANCH.F_BUS]);
      const t = idx(c.branch[l][BRANCH.T_BUS]);
      for (let j = 0; j < n; j++) {
        const expected = susceptance(l) * ((f >= 0 ? inverse[f][j] : 0) - (t >= 0 ? inverse[t][j] : 0));
        expect(s.matrix[l][j + 1]).to.be.closeTo(expected, 1e-12);
      }
    }
  });

  describe("MATPOWER cases", () => {
    before(function () {
      if (!HAVE_MATPOWER) {
        console.log(`      ${SKIP_REASON}`);
        this.skip();
      }
    });

    it("match DC load flows exactly on case30", () => {
      const c = loadCase(casePath("case30"));
      const s = dcFlowSensitivities(c, allRows(c));
      let worst = 0;
      for (const injection of everyBus(c)) {
        const fd = finiteDifference(c, injection, s.branchRows, DC, 1);
        fd.forEach((expected, k) => (worst = Math.max(worst, Math.abs(s.matrix[k][injection.busRow] - expected))));
      }
      expect(worst).to.be.below(1e-11);
    });

    it("are close to the AC sensitivities on case9 (sanity check)", () => {
      const c = loadCase(casePath("case9"));
      const ac = acFlowSensitivities(c, runPowerFlow(c), allRows(c));
      const dc = dcFlowSensitivities(c, allRows(c));
      let worst = 0;
      ac.matrix.forEach((row, k) => row.forEach((v, r) => (worst = Math.max(worst, Math.abs(v - dc.matrix[k][r])))));
      console.log(`      max |AC − DC| = ${worst.toFixed(3)} MW/MW`);
      expect(worst).to.be.below(0.1);
    });
  });
});

describe("line-flow sensitivities: shape and edge cases", () => {
  const c = sixBusCase();
  const result = runPowerFlow(c);
  const both = (rows: number[]): FlowSensitivities[] => [
    acFlowSensitivities(c, result, rows),
    dcFlowSensitivities(c, rows),
  ];

  it("return the requested rows in order, the bus numbers in file order, one column per bus row", () => {
    for (const s of both([5, 0, 5])) {
      expect(s.branchRows).to.deep.equal([5, 0, 5]);
      expect(s.busIds).to.deep.equal([10, 20, 30, 40, 50, 60]);
      expect(s.matrix).to.have.length(3);
      s.matrix.forEach((row) => expect(row).to.be.instanceOf(Float64Array).with.length(6));
      expect(Array.from(s.matrix[0])).to.deep.equal(Array.from(s.matrix[2]));
    }
    expect(both([]).map((s) => s.matrix)).to.deep.equal([[], []]);
    expect(both([0]).map((s) => s.method)).to.deep.equal(["ac", "dc"]);
  });

  it("are zero in reference-bus columns and for an out-of-service branch", () => {
    const ref = c.bus.findIndex((b) => b[BUS.BUS_TYPE] === BUS_TYPE_REF);
    const out = c.branch.findIndex((b) => b[BRANCH.BR_STATUS] === 0);
    for (const s of both(allRows(c))) {
      s.matrix.forEach((row) => expect(row[ref]).to.equal(0));
      expect(Array.from(s.matrix[out])).to.deep.equal([0, 0, 0, 0, 0, 0]);
      // Every in-service branch does react to some injection.
      s.matrix.forEach((row, l) => l !== out && expect(row.some((v) => Math.abs(v) > 1e-3)).to.equal(true));
    }
  });

  it("are zero for isolated buses and for branches inside a de-energised island", () => {
    // Bus 70 hangs off bus 60 through an open branch, bus 80 off bus 70: an island with no slack.
    const island = {
      ...c,
      bus: [...c.bus, withColumn(c.bus[4], BUS.BUS_I, 70), withColumn(c.bus[4], BUS.BUS_I, 80)],
      branch: [
        ...c.branch,
        withColumn(withColumn(withColumn(c.branch[5], BRANCH.F_BUS, 60), BRANCH.T_BUS, 70), BRANCH.BR_STATUS, 0),
        withColumn(withColumn(c.branch[5], BRANCH.F_BUS, 70), BRANCH.T_BUS, 80),
      ],
    };
    const r = runPowerFlow(island);
    expect(r.isolatedBuses).to.deep.equal([70, 80]);
    for (const s of [acFlowSensitivities(island, r, allRows(island)), dcFlowSensitivities(island, allRows(island))]) {
      s.matrix.forEach((row) => expect([row[6], row[7]]).to.deep.equal([0, 0]));
      expect(Array.from(s.matrix[9])).to.deep.equal(new Array(8).fill(0));
    }
  });

  it("throw a RangeError naming an internal branch that is out of range", () => {
    // Seven in-service branches: internal indices 0..6.
    for (const bad of [7, -1, 1.5, Number.NaN]) {
      expect(() => acInternal(result.point, [0, bad])).to.throw(RangeError, `branch ${bad} is out of range`);
      expect(() => dcInternal(result.point.model, [bad])).to.throw(RangeError, `branch ${bad} is out of range`);
    }
  });

  it("refuse a DC operating point for AC sensitivities", () => {
    expect(() => acInternal(runPowerFlow(c, { algorithm: "dc" }).point, [0])).to.throw(
      RangeError,
      /AC operating point/,
    );
  });
});

/** Gauss–Jordan inverse of a small dense matrix. */
function invert(a: number[][]): number[][] {
  const n = a.length;
  const m = a.map((row, i) => [...row, ...Array.from({ length: n }, (_, j) => (i === j ? 1 : 0))]);
  for (let k = 0; k < n; k++) {
    let p = k;
    for (let i = k + 1; i < n; i++) if (Math.abs(m[i][k]) > Math.abs(m[p][k])) p = i;
    [m[k], m[p]] = [m[p], m[k]];
    const pivot = m[k][k];
    for (let j = 0; j < 2 * n; j++) m[k][j] /= pivot;
    for (let i = 0; i < n; i++) {
      if (i === k) continue;
      const factor = m[i][k];
      for (let j = 0; j < 2 * n; j++) m[i][j] -= factor * m[k][j];
    }
  }
  return m.map((row) => row.slice(n));
}

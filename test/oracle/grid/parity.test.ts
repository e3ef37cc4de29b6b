/**
 * Parity with MATPOWER: every reference case is solved and compared, value by value, with
 * MATPOWER's own Newton–Raphson solution (../shared/matpower/ref, tolerance 1e-10).
 */
import { expect } from "chai";
import { join } from "node:path";
import { loadCase, runPowerFlow, type PowerCase, type PowerFlowAlgorithm, type PowerFlowResult } from "../../../oracle";
import {
  casePath,
  loadReference,
  maxAbsDiff,
  rawCasePath,
  requireMatpower,
  worstBusImbalance,
  type MatpowerReference,
} from "../helpers";

const CASES = [
  "case9",
  "case14",
  "case30",
  "case57",
  "case118",
  "case33bw",
  "case34sa",
  "case1354pegase",
  "case2869pegase",
  "case9241pegase",
];
const RADIAL_CASES = ["case33bw", "case34sa"];

/** MATPOWER solved the references to 1e-10; we do the same so the numbers are comparable. */
const REFERENCE_TOLERANCE = 1e-10;
const VM_TOLERANCE = 1e-6; // p.u.
const VA_TOLERANCE = 1e-5; // degrees
const FLOW_TOLERANCE = 1e-4; // MW, MVAr
const BALANCE_TOLERANCE = 1e-6; // MW, MVAr

function expectWithin(label: string, ours: readonly number[], theirs: readonly number[], tolerance: number): void {
  expect(maxAbsDiff(ours, theirs), label).to.be.at.most(tolerance);
}

const pick = <T, K extends keyof T>(rows: readonly T[], key: K): T[K][] => rows.map((row) => row[key]);

function expectMatchesReference(r: PowerFlowResult, ref: MatpowerReference): void {
  const s = ref.solution;
  expectWithin("|ΔVm| p.u.", pick(r.buses, "vm"), s.Vm, VM_TOLERANCE);
  expectWithin("|ΔVa| degrees", pick(r.buses, "va"), s.Va, VA_TOLERANCE);
  expectWithin("|ΔPg| MW", pick(r.gens, "pg"), s.Pg, FLOW_TOLERANCE);
  expectWithin("|ΔQg| MVAr", pick(r.gens, "qg"), s.Qg, FLOW_TOLERANCE);
  expectWithin("|ΔPf| MW", pick(r.branches, "pf"), s.PF, FLOW_TOLERANCE);
  expectWithin("|ΔQf| MVAr", pick(r.branches, "qf"), s.QF, FLOW_TOLERANCE);
  expectWithin("|ΔPt| MW", pick(r.branches, "pt"), s.PT, FLOW_TOLERANCE);
  expectWithin("|ΔQt| MVAr", pick(r.branches, "qt"), s.QT, FLOW_TOLERANCE);
}

function expectSameData(c: PowerCase, ref: MatpowerReference): void {
  expect(c.baseMVA).to.equal(ref.baseMVA);
  const flat = (m: readonly (readonly number[])[], cols: number): number[] => m.flatMap((row) => row.slice(0, cols));
  for (const [name, cols] of [
    ["bus", 13],
    ["gen", 10],
    ["branch", 11],
  ] as const) {
    const ours = flat(c[name], cols);
    const theirs = flat(ref[name], cols);
    // The reference JSON writes ±Inf (unbounded limits) as null; the canonical .m files print
    // 15-16 significant digits, so finite values are compared relative to their size.
    const mismatch = ours.findIndex((x, i) =>
      theirs[i] === null ? Number.isFinite(x) : !(Math.abs(x - theirs[i]) <= 1e-9 * Math.max(1, Math.abs(theirs[i]))),
    );
    const row = Math.floor(mismatch / cols) + 1;
    const at = `${name} row ${row}, column ${(mismatch % cols) + 1}: ${ours[mismatch]} vs ${theirs[mismatch]}`;
    expect(mismatch, at).to.equal(-1);
  }
}

describe("power flow parity with MATPOWER", function () {
  requireMatpower();

  for (const name of CASES) {
    describe(name, () => {
      let c: PowerCase;
      let ref: MatpowerReference;
      before(() => {
        c = loadCase(casePath(name));
        ref = loadReference(name);
      });

      it("loads the same data MATPOWER loaded", () => expectSameData(c, ref));

      it("Newton-Raphson matches MATPOWER's solution and iteration count", () => {
        const r = runPowerFlow(c, { algorithm: "nr", tolerance: REFERENCE_TOLERANCE });
        expect(r.converged).to.equal(true);
        expect(r.iterations).to.be.within(ref.solution.iterations - 1, ref.solution.iterations + 1);
        expect(r.mismatch).to.be.below(REFERENCE_TOLERANCE * c.baseMVA);
        expectMatchesReference(r, ref);
        expect(worstBusImbalance(c, r), "bus power balance").to.be.below(BALANCE_TOLERANCE);
      });

      it("solves at the default tolerance with bus power balance", () => {
        const r = runPowerFlow(c);
        expect(r.iterations).to.be.at.most(ref.solution.iterations);
        expect(worstBusImbalance(c, r), "bus power balance").to.be.below(1e-4);
      });
    });
  }

  for (const name of RADIAL_CASES) {
    it(`backward/forward sweep on radial ${name} converges to MATPOWER's solution`, () => {
      const c = loadCase(casePath(name));
      const r = runPowerFlow(c, { algorithm: "bfs", tolerance: REFERENCE_TOLERANCE });
      expect(r.algorithm).to.equal("bfs");
      expectMatchesReference(r, loadReference(name));
      expect(worstBusImbalance(c, r), "bus power balance").to.be.below(BALANCE_TOLERANCE);
    });
  }

  for (const name of RADIAL_CASES) {
    describe(`raw/${name}.m (kW and ohms, converted by the file's own statements)`, () => {
      it("loads to the same per-unit data as the reference", () => {
        expectSameData(loadCase(rawCasePath(name)), loadReference(name));
      });
      for (const algorithm of ["nr", "bfs"] as PowerFlowAlgorithm[]) {
        it(`solves (${algorithm}) to the reference solution`, () => {
          const c = loadCase(rawCasePath(name));
          expectMatchesReference(runPowerFlow(c, { algorithm, tolerance: REFERENCE_TOLERANCE }), loadReference(name));
        });
      }
    });
  }

  it("the shipped cases/wscc9.json is the same system as MATPOWER's case9 and solves to its reference", () => {
    const shipped = loadCase(join(__dirname, "../../../cases/wscc9.json"));
    const ref = loadReference("case9");
    expectSameData(shipped, ref);
    expectMatchesReference(runPowerFlow(shipped, { tolerance: REFERENCE_TOLERANCE }), ref);
  });

  it("the sweep refuses a meshed network and PV buses with a clear error", () => {
    expect(() => runPowerFlow(loadCase(casePath("case9")), { algorithm: "bfs" })).to.throw(/PV.*use --alg nr/);
  });
});

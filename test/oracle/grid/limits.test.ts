/**
 * Operating-limit checks (oracle/limits/checks.ts): the paper's Table I reproduced on the seed34
 * microgrid, then each kind of violation checkLimits reports — mean active flow against the
 * operation's limits, apparent power against RATE_A, voltages against [VMIN, VMAX], frequency of
 * the islanded grid from the master unit's output — and what it must ignore.
 *
 * Limits, bands and ratings do not enter the power flow, so most tests solve once and judge the
 * same solution against edited limits. Self-contained: no reference data from ../shared.
 */
import { resolve } from "node:path";
import { expect } from "chai";
import {
  BRANCH,
  BUS,
  GEN,
  checkLimits,
  loadCase,
  meanActiveFlow,
  runPowerFlow,
  type BranchResult,
  type OperationData,
  type PowerCase,
  type PowerFlowResult,
} from "../../../oracle";
import { frequencyStatus, gridLimits, LIMIT_TOLERANCE } from "../../../oracle/grid/limits/checks";
import { sixBusCase } from "../fixtures";

const SEED34 = resolve(__dirname, "../../../cases/seed34.json");

/** Table I of the paper: Pmean in p.u., which on seed34's 1 MVA base is MW. Limit 0.75 implied. */
const TABLE_I = [
  { line: "11-14", pmean: -0.7643, deviation: 0.0143 },
  { line: "14-17", pmean: -0.7657, deviation: 0.0157 },
  { line: "24-27", pmean: -0.7712, deviation: 0.0212 },
];
const TABLE_LIMIT = 0.75;

/** A copy of `rows` with column `column` of row `row` set to `value`. */
function setCell(rows: readonly (readonly number[])[], row: number, column: number, value: number): number[][] {
  return rows.map((r, i) => (i === row ? r.map((x, k) => (k === column ? value : x)) : [...r]));
}

/** An operation block with the given active limits and nothing else to redispatch. */
function limitsOnly(limits: number[], frequency?: OperationData["frequency"]): OperationData {
  return { periodMinutes: 30, branchActiveLimitMW: limits, masterEnergyPrice: 0, units: [], frequency };
}

const lineName = (v: { from: number; to: number }): string => `${v.from}-${v.to}`;

describe("limit checks", function () {
  describe("Table I on seed34 (the paper's 34-node microgrid)", function () {
    let c: PowerCase;
    let r: PowerFlowResult;
    before(() => {
      c = loadCase(SEED34);
      r = runPowerFlow(c);
    });

    it("finds exactly lines 11-14, 14-17 and 24-27 over 0.75 MW, at Table I's flows and deviations", () => {
      const report = checkLimits(c, r);
      expect(report.ok).to.equal(false);
      expect(report.lines.map((v) => v.kind)).to.deep.equal(["active", "active", "active"]);
      expect(report.lines.map(lineName)).to.deep.equal(TABLE_I.map((t) => t.line));
      report.lines.forEach((v, k) => {
        const t = TABLE_I[k];
        // Same row, same ends and the same loss-neutral mean flow as the solution's branch row.
        expect([c.branch[v.branchRow - 1][BRANCH.F_BUS], c.branch[v.branchRow - 1][BRANCH.T_BUS]]).to.deep.equal([
          v.from,
          v.to,
        ]);
        expect(v.value).to.equal(meanActiveFlow(r.branches[v.branchRow - 1]));
        // Sign included: power flows from the higher-numbered node towards node 1.
        expect(v.value, `${t.line} flow`).to.be.below(0);
        expect(v.value, `${t.line} flow vs Table I`).to.be.closeTo(t.pmean, 0.005);
        expect(v.limit).to.equal(TABLE_LIMIT);
        expect(v.deviation).to.be.closeTo(Math.abs(v.value) - TABLE_LIMIT, 1e-15);
        expect(v.deviation, `${t.line} deviation vs Table I`).to.be.closeTo(t.deviation, 0.005);
      });
      // Every other in-service line is within the limit.
      r.branches.forEach((b, l) => {
        if (!report.lines.some((v) => v.branchRow === l + 1))
          expect(Math.abs(meanActiveFlow(b))).to.be.at.most(TABLE_LIMIT);
      });
    });

    it("finds no voltage violation and the frequency inside [0.994, 1.006]", () => {
      const report = checkLimits(c, r);
      expect(report.voltages).to.deep.equal([]);
      for (const b of r.buses) expect(b.vm).to.be.within(0.94, 1.06);
      const f = report.frequency;
      expect(f, "seed34 has a frequency band").to.not.equal(undefined);
      expect(f?.violated).to.equal(false);
      expect(f?.deviation).to.equal(0);
      expect(f?.frequency).to.be.within(0.994, 1.006);
      expect([f?.min, f?.max]).to.deep.equal([0.994, 1.006]);
      // The master unit (gen 1 at the slack bus) is within [Pmin, Pmax], so it holds 1 p.u.
      expect(f?.masterOutput).to.equal(r.gens[0].pg);
      expect(f?.frequency).to.equal(1);
    });
  });

  describe("line active power", function () {
    it("is judged on the loss-neutral mean (Pf − Pt)/2, signed from → to", () => {
      const b = { from: 1, to: 2, pf: 1.0, qf: 0, pt: -0.9, qt: 0 } as BranchResult;
      expect(meanActiveFlow(b)).to.equal(0.95);
      expect(meanActiveFlow({ ...b, pf: -0.9, pt: 1.0 })).to.equal(-0.95);

      // On 24-27 the ends differ by the losses; a limit between the mean and the larger end is met.
      const c = loadCase(SEED34);
      const r = runPowerFlow(c);
      const l = c.branch.findIndex((row) => row[BRANCH.F_BUS] === 24 && row[BRANCH.T_BUS] === 27);
      const { pf, pt } = r.branches[l];
      const mean = Math.abs(meanActiveFlow(r.branches[l]));
      const larger = Math.max(Math.abs(pf), Math.abs(pt));
      expect(larger - mean, "losses on 24-27").to.be.above(1e-5);
      const limits = c.branch.map((_, k) => (k === l ? (mean + larger) / 2 : 0));
      expect(checkLimits(c, r, limitsOnly(limits)).lines).to.deep.equal([]);
      limits[l] = mean - 1e-4;
      expect(checkLimits(c, r, limitsOnly(limits)).lines.map(lineName)).to.deep.equal(["24-27"]);
    });

    it(`ignores excesses up to LIMIT_TOLERANCE (${LIMIT_TOLERANCE}), and a limit of 0 means none`, () => {
      const c = sixBusCase();
      const r = runPowerFlow(c);
      const mean = Math.abs(meanActiveFlow(r.branches[2]));
      const at = (limit: number): string[] =>
        checkLimits(c, r, limitsOnly(c.branch.map((_, k) => (k === 2 ? limit : 0)))).lines.map(lineName);
      expect(at(mean - 0.5 * LIMIT_TOLERANCE)).to.deep.equal([]);
      expect(at(mean - 2 * LIMIT_TOLERANCE)).to.deep.equal(["20-30"]);
      expect(at(0)).to.deep.equal([]);
      // Without operation data nothing is judged on active power.
      expect(checkLimits(c, r).lines).to.deep.equal([]);
    });

    it("uses the operation passed in over the case's own", () => {
      const c = loadCase(SEED34);
      const r = runPowerFlow(c);
      const loose = limitsOnly(c.branch.map(() => 1));
      expect(checkLimits(c, r, loose).lines).to.deep.equal([]);
      expect(checkLimits(c, r).lines).to.have.length(3);
    });

    it("ignores out-of-service branches, whatever flow a result reports for them", () => {
      const base = sixBusCase();
      const out = base.branch.findIndex((row) => row[BRANCH.BR_STATUS] === 0);
      expect(out, "six-bus fixture has an out-of-service branch").to.be.at.least(0);
      const c = { ...base, branch: setCell(base.branch, out, BRANCH.RATE_A, 1) };
      const limits = c.branch.map((_, k) => (k === out ? 1 : 0));
      const solved = runPowerFlow(c);
      // An open branch is not in the network model at all, so neither limit can judge it...
      expect(solved.point.model.branchOfRow[out]).to.equal(-1);
      expect(checkLimits(c, solved, limitsOnly(limits)).lines).to.deep.equal([]);
      // ...while the same branch closed, with the same 1 MW / 1 MVA limits, is two violations.
      const closed = { ...c, branch: setCell(c.branch, out, BRANCH.BR_STATUS, 1) };
      const report = checkLimits(closed, runPowerFlow(closed), limitsOnly(limits));
      expect(report.lines.map((v) => [v.branchRow, v.kind])).to.deep.equal([
        [out + 1, "active"],
        [out + 1, "apparent"],
      ]);
    });
  });

  describe("line apparent power", function () {
    it("reports max(|Sf|, |St|) over RATE_A where it is set, and nothing where RATE_A is 0", () => {
      const base = sixBusCase();
      const r0 = runPowerFlow(base);
      const s = (k: number): number =>
        Math.max(Math.hypot(r0.branches[k].pf, r0.branches[k].qf), Math.hypot(r0.branches[k].pt, r0.branches[k].qt));
      // Row 0 rated below its flow, row 2 above it; every other row unrated.
      let branch = setCell(base.branch, 0, BRANCH.RATE_A, 40);
      branch = setCell(branch, 2, BRANCH.RATE_A, s(2) + 1);
      const c = { ...base, branch };
      const r = runPowerFlow(c);
      expect(r.branches).to.deep.equal(r0.branches); // ratings do not change the flow
      const report = checkLimits(c, r);
      expect(report.ok).to.equal(false);
      expect(report.lines).to.have.length(1);
      const v = report.lines[0];
      expect(v).to.include({ branch: 0, branchRow: 1, from: 10, to: 20, kind: "apparent", limit: 40 });
      expect(v.value).to.equal(s(0));
      expect(v.deviation).to.be.closeTo(s(0) - 40, 1e-12);
      // The larger end is the receiving one here: the check must not use the from end alone.
      expect(Math.hypot(r.branches[0].pt, r.branches[0].qt)).to.be.above(
        Math.hypot(r.branches[0].pf, r.branches[0].qf),
      );
    });

    it("reports an active and an apparent violation of the same line separately", () => {
      const base = sixBusCase();
      const c = { ...base, branch: setCell(base.branch, 0, BRANCH.RATE_A, 40) };
      const r = runPowerFlow(c);
      const report = checkLimits(c, r, limitsOnly(c.branch.map((_, k) => (k === 0 ? 30 : 0))));
      expect(report.lines.map((v) => [v.branchRow, v.kind, v.limit])).to.deep.equal([
        [1, "active", 30],
        [1, "apparent", 40],
      ]);
      expect(report.lines[0].value).to.equal(meanActiveFlow(r.branches[0]));
    });
  });

  describe("voltages", function () {
    it("reports each bus outside its own [VMIN, VMAX] with its distance outside", () => {
      const base = sixBusCase();
      const r = runPowerFlow(base);
      const vm = (id: number): number => r.buses.find((b) => b.id === id)?.vm as number;
      expect(checkLimits(base, r).voltages).to.deep.equal([]);
      // Bus 30 (row 2): VMAX 0.01 below its voltage; bus 50 (row 4): VMIN 0.02 above it.
      let bus = setCell(base.bus, 2, BUS.VMAX, vm(30) - 0.01);
      bus = setCell(bus, 4, BUS.VMIN, vm(50) + 0.02);
      const report = checkLimits({ ...base, bus }, r);
      expect(report.ok).to.equal(false);
      expect(report.lines).to.deep.equal([]);
      expect(report.voltages.map((v) => v.busId)).to.deep.equal([30, 50]);
      const [high, low] = report.voltages;
      expect(high).to.include({ bus: 2, busId: 30, vm: vm(30), min: 0.9, max: vm(30) - 0.01 });
      expect(high.deviation).to.be.closeTo(0.01, 1e-12);
      expect(low).to.include({ bus: 4, busId: 50, vm: vm(50), min: vm(50) + 0.02, max: 1.1 });
      expect(low.deviation).to.be.closeTo(0.02, 1e-12);
    });

    it("does not judge an isolated bus (|V| = 0) against its band", () => {
      const base = sixBusCase();
      const c: PowerCase = { ...base, bus: [...base.bus, [70, 4, 0, 0, 0, 0, 1, 1, 0, 230, 1, 1.1, 0.9]] };
      const r = runPowerFlow(c);
      expect(r.isolatedBuses).to.deep.equal([70]);
      expect(r.buses.find((b) => b.id === 70)?.vm).to.equal(0);
      expect(checkLimits(c, r).voltages).to.deep.equal([]);
      // It is not in the network model at all; a band that every energised bus misses names them all.
      expect(r.point.model.busOfId(70)).to.equal(-1);
      const tight = { ...c, bus: c.bus.map((b) => b.map((x, k) => (k === BUS.VMIN ? 1.5 : x))) };
      expect(checkLimits(tight, r).voltages.map((v) => v.busId)).to.deep.equal([10, 20, 30, 40, 50, 60]);
    });
  });

  describe("frequency of the islanded grid", function () {
    // Limits on the master unit do not change the load flow (the slack takes up the balance), so
    // seed34 is solved once and its master unit's [Pmin, Pmax] is moved around that solution.
    let c: PowerCase;
    let r: PowerFlowResult;
    let output: number;
    let demand: number;
    const noLines = (x: PowerCase, band = x.operation?.frequency): OperationData =>
      limitsOnly(
        x.branch.map(() => 0),
        band,
      );
    const withMaster = (column: number, value: number): PowerCase => ({ ...c, gen: setCell(c.gen, 0, column, value) });

    before(() => {
      c = loadCase(SEED34);
      r = runPowerFlow(c);
      output = r.gens[0].pg;
      demand = c.bus.reduce((s, b) => s + b[BUS.PD], 0);
      expect(c.gen[0][GEN.GEN_BUS]).to.equal(1);
      expect(output).to.be.within(c.gen[0][GEN.PMIN], c.gen[0][GEN.PMAX]);
    });

    it("drops by shortfall / (D · demand) when the master unit is beyond Pmax, and violates the band", () => {
      const x = withMaster(GEN.PMAX, 0.1);
      const report = checkLimits(x, r, noLines(x));
      const f = report.frequency;
      const expected = 1 - (output - 0.1) / (1 * demand);
      expect(f?.frequency).to.be.closeTo(expected, 1e-15);
      expect(expected, "well below the band").to.be.below(0.994);
      expect(f).to.include({ masterOutput: output, masterMin: 0, masterMax: 0.1, violated: true });
      expect(f?.deviation).to.be.closeTo(0.994 - expected, 1e-15);
      // No line or voltage violation: the frequency alone makes the report not ok.
      expect(report.lines).to.deep.equal([]);
      expect(report.voltages).to.deep.equal([]);
      expect(report.ok).to.equal(false);
      // Twice the load damping halves the drop.
      const damped = frequencyStatus(
        r.point,
        gridLimits(r.point.model, x, noLines(x, { min: 0.994, max: 1.006, loadDamping: 2 })),
      );
      expect(1 - damped.frequency).to.be.closeTo((1 - expected) / 2, 1e-15);
    });

    it("rises when the master unit is below Pmin", () => {
      const x = withMaster(GEN.PMIN, 0.5);
      const f = checkLimits(x, r, noLines(x)).frequency;
      const expected = 1 + (0.5 - output) / demand;
      expect(f?.frequency).to.be.closeTo(expected, 1e-15);
      expect(f?.violated).to.equal(true);
      expect(f?.deviation).to.be.closeTo(expected - 1.006, 1e-15);
    });

    it("stays ok for a shortfall the band absorbs, and is exactly 1 within [Pmin, Pmax]", () => {
      const x = withMaster(GEN.PMAX, output - 0.005);
      const report = checkLimits(x, r, noLines(x));
      expect(report.frequency?.frequency).to.be.closeTo(1 - 0.005 / demand, 1e-12);
      expect(report.frequency?.frequency).to.be.within(0.994, 1);
      expect(report.frequency?.violated).to.equal(false);
      expect(report.ok).to.equal(true);
      expect(checkLimits(c, r, noLines(c)).frequency?.frequency).to.equal(1);
    });

    it("is not reported without a band, and frequencyStatus refuses to guess one", () => {
      const x = withMaster(GEN.PMAX, 0.1);
      const op = { ...noLines(x), frequency: undefined };
      expect(checkLimits(x, r, op).frequency).to.equal(undefined);
      expect(checkLimits(x, r, op).ok).to.equal(true);
      expect(() => frequencyStatus(r.point, gridLimits(r.point.model, x, op))).to.throw(
        RangeError,
        /no frequency band/,
      );
    });
  });
});

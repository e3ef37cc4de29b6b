/**
 * Solver behaviour that does not need MATPOWER's reference set: agreement between algorithms,
 * DC flow against an independent dense solve, reactive-limit enforcement, non-convergence.
 */
import { expect } from "chai";
import { PowerFlowNotConvergedError, runPowerFlow, type PowerCase } from "../../../oracle";
import { BRANCH, BUS, GEN } from "../../../oracle";
import { radialFeederCase, sixBusCase } from "../fixtures";
import { worstBusImbalance } from "../helpers";

function withGen(c: PowerCase, row: number, column: number, value: number): PowerCase {
  const gen = c.gen.map((g) => [...g]);
  gen[row][column] = value;
  return { ...c, gen };
}

describe("AC power flow", () => {
  it("Newton-Raphson solves a meshed case: balance at every bus, set points held, results by bus number", () => {
    const c = sixBusCase();
    const r = runPowerFlow(c);
    expect(r.converged).to.equal(true);
    expect(r.iterations).to.be.within(2, 6);
    expect(worstBusImbalance(c, r)).to.be.below(1e-5);
    expect(r.buses.map((b) => b.id)).to.deep.equal([10, 20, 30, 40, 50, 60]);
    expect(r.buses[0].vm).to.equal(1.05);
    expect(r.buses[0].va).to.equal(0);
    expect(r.buses[1].vm).to.be.closeTo(1.03, 1e-12);
    expect(r.buses[5].vm).to.be.closeTo(1.02, 1e-12);
    // Out-of-service branch row 7: one entry per file row, zero flow.
    expect(r.branches).to.have.length(8);
    expect(r.branches[6]).to.deep.equal({ from: 20, to: 50, pf: 0, qf: 0, pt: 0, qt: 0 });
    // PV units keep their scheduled P; the slack covers demand + losses.
    expect(r.gens[1].pg).to.equal(60);
    const demand = c.bus.reduce((s, b) => s + b[BUS.PD], 0);
    const shunt = c.bus.reduce((s, b, i) => s + b[BUS.GS] * r.buses[i].vm ** 2, 0);
    const generation = r.gens.reduce((s, g) => s + g.pg, 0);
    expect(generation - demand - shunt).to.be.closeTo(r.losses.p, 1e-6);
  });

  it("the sweep and Newton-Raphson agree on a radial feeder", () => {
    const c = radialFeederCase();
    const nr = runPowerFlow(c, { algorithm: "nr", tolerance: 1e-10 });
    const bfs = runPowerFlow(c, { algorithm: "bfs", tolerance: 1e-10 });
    nr.buses.forEach((b, i) => {
      expect(bfs.buses[i].vm).to.be.closeTo(b.vm, 1e-9);
      expect(bfs.buses[i].va).to.be.closeTo(b.va, 1e-7);
    });
    nr.branches.forEach((b, l) => expect(bfs.branches[l].pf).to.be.closeTo(b.pf, 1e-7));
    expect(worstBusImbalance(c, bfs)).to.be.below(1e-7);
  });

  it("the sweep refuses a meshed network", () => {
    const c = radialFeederCase();
    const meshed = { ...c, branch: [...c.branch, [3, 5, 0.01, 0.02, 0, 0, 0, 0, 0, 0, 1, -360, 360]] };
    expect(() => runPowerFlow(meshed, { algorithm: "bfs" })).to.throw(/meshed.*closes a loop/);
  });

  it("throws a typed error, never a result, when Newton-Raphson does not converge", () => {
    const c = sixBusCase();
    // Ten times the load on every bus: no solution exists.
    const heavy = { ...c, bus: c.bus.map((b) => b.map((x, k) => (k === BUS.PD || k === BUS.QD ? x * 10 : x))) };
    let caught: unknown;
    try {
      runPowerFlow(heavy);
    } catch (e) {
      caught = e;
    }
    expect(caught).to.be.instanceOf(PowerFlowNotConvergedError);
    const e = caught as PowerFlowNotConvergedError;
    expect(e.algorithm).to.equal("Newton-Raphson");
    expect(e.message).to.match(/did not converge/);
  });

  it("rejects bad options with a clear error", () => {
    const c = sixBusCase();
    expect(() => runPowerFlow(c, { tolerance: 0 })).to.throw(RangeError, /tolerance/);
    expect(() => runPowerFlow(c, { maxIterations: 1.5 })).to.throw(RangeError, /maxIterations/);
    expect(() => runPowerFlow(c, { algorithm: "gs" as never })).to.throw(
      RangeError,
      /unknown power-flow algorithm 'gs'/,
    );
  });
});

describe("DC power flow", () => {
  /** Independent dense solve of B'·θ = P (no taps in B' besides 1/(x·tap), shifts as injections). */
  function denseDcAngles(c: PowerCase): number[] {
    const ids = c.bus.map((b) => b[BUS.BUS_I]);
    const n = ids.length;
    const B = Array.from({ length: n }, () => new Array<number>(n).fill(0));
    const P = c.bus.map((b) => -(b[BUS.PD] + b[BUS.GS]) / c.baseMVA);
    c.gen.forEach((g) => {
      if (g[GEN.GEN_STATUS] > 0) P[ids.indexOf(g[GEN.GEN_BUS])] += g[GEN.PG] / c.baseMVA;
    });
    c.branch.forEach((br) => {
      if (br[BRANCH.BR_STATUS] === 0) return;
      const f = ids.indexOf(br[BRANCH.F_BUS]);
      const t = ids.indexOf(br[BRANCH.T_BUS]);
      const b = 1 / (br[BRANCH.BR_X] * (br[BRANCH.TAP] || 1));
      const shift = (br[BRANCH.SHIFT] * Math.PI) / 180;
      B[f][f] += b;
      B[t][t] += b;
      B[f][t] -= b;
      B[t][f] -= b;
      P[f] += b * shift;
      P[t] -= b * shift;
    });
    // Reference bus (row 0 here) fixed at 0: Gaussian elimination on the rest.
    const m = n - 1;
    const A = B.slice(1).map((row, i) => [...row.slice(1), P[i + 1]]);
    for (let k = 0; k < m; k++) {
      for (let i = k + 1; i < m; i++) {
        const f = A[i][k] / A[k][k];
        for (let j = k; j <= m; j++) A[i][j] -= f * A[k][j];
      }
    }
    const x = new Array<number>(m).fill(0);
    for (let i = m - 1; i >= 0; i--) {
      let s = A[i][m];
      for (let j = i + 1; j < m; j++) s -= A[i][j] * x[j];
      x[i] = s / A[i][i];
    }
    return [0, ...x.map((a) => (a * 180) / Math.PI)];
  }

  it("matches an independent dense solve, balances, and reports no reactive power", () => {
    const c = sixBusCase();
    const r = runPowerFlow(c, { algorithm: "dc" });
    const expected = denseDcAngles(c);
    r.buses.forEach((b, i) => {
      expect(b.vm).to.equal(1);
      expect(b.va).to.be.closeTo(expected[i], 1e-9);
    });
    const demand = c.bus.reduce((s, b) => s + b[BUS.PD] + b[BUS.GS], 0);
    expect(r.gens.reduce((s, g) => s + g.pg, 0)).to.be.closeTo(demand, 1e-9);
    r.branches.forEach((b) => expect(b.pt).to.equal(-b.pf));
    expect(r.gens.every((g) => g.qg === 0)).to.equal(true);
    expect(r.losses).to.deep.equal({ p: 0, q: 0 });
  });
});

describe("reactive limits", () => {
  it("are ignored by default and enforced on request: the unit sits at its limit and its bus turns PQ", () => {
    const c = withGen(sixBusCase(), 1, GEN.QMIN, -10);
    const free = runPowerFlow(c);
    expect(free.gens[1].qg).to.be.below(-10);
    expect(free.reactiveLimited).to.deep.equal([]);

    const limited = runPowerFlow(c, { enforceQLimits: true });
    expect(limited.reactiveLimited).to.deep.equal([2]);
    expect(limited.gens[1].qg).to.equal(-10);
    expect(limited.gens[1].pg).to.equal(60);
    // Absorbing less reactive power than it wanted to, the unit can no longer hold 1.03 p.u.
    expect(limited.buses[1].vm).to.be.above(1.03);
    expect(worstBusImbalance(c, limited)).to.be.below(1e-5);
    for (const [k, g] of limited.gens.entries()) {
      expect(g.qg, `gen ${k + 1}`).to.be.within(c.gen[k][GEN.QMIN] - 1e-5, c.gen[k][GEN.QMAX] + 1e-5);
    }
  });

  it("hand the reference role to a PV bus when the slack unit hits a limit, keeping the original angle reference", () => {
    const c = withGen(sixBusCase(), 0, GEN.QMAX, 10);
    const r = runPowerFlow(c, { enforceQLimits: true });
    expect(r.reactiveLimited).to.include(1);
    expect(r.gens[0].qg).to.equal(10);
    expect(r.buses[0].va).to.be.closeTo(0, 1e-12);
    expect(r.warnings.join(" ")).to.match(/became the reference bus/);
    expect(worstBusImbalance(c, r)).to.be.below(1e-5);
  });

  it("fail clearly when every unit is at a limit", () => {
    let c = sixBusCase();
    for (let k = 0; k < c.gen.length; k++) c = withGen(withGen(c, k, GEN.QMAX, 0.1), k, GEN.QMIN, -0.1);
    expect(() => runPowerFlow(c, { enforceQLimits: true })).to.throw(/every generator is at a reactive limit/);
  });
});

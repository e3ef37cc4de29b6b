/**
 * The per-topology network model cache and the internal operating point: the same network
 * re-solved with other injections reuses indexing, Ybus, the Jacobian pattern and the LU analysis
 * and gives the same answer as a cold solve; any change to topology or network parameters gives a
 * new model; warm starts converge to the same solution; redispatch re-solves on the schedule's model.
 */
import { expect } from "chai";
import {
  BRANCH,
  BUS,
  GEN,
  NetworkModel,
  clearModelCache,
  injectionsOf,
  runPowerFlow,
  solvePowerFlow,
  topologyKey,
  type PowerCase,
} from "../../../oracle";
import { cachedModelCount } from "../../../oracle/grid/model/network";
import { sixBusCase } from "../fixtures";

function setCell(rows: readonly (readonly number[])[], row: number, column: number, value: number): number[][] {
  return rows.map((r, i) => (i === row ? r.map((x, k) => (k === column ? value : x)) : [...r]));
}

const withBus = (c: PowerCase, row: number, column: number, value: number): PowerCase => ({
  ...c,
  bus: setCell(c.bus, row, column, value),
});
const withGen = (c: PowerCase, row: number, column: number, value: number): PowerCase => ({
  ...c,
  gen: setCell(c.gen, row, column, value),
});
const withBranch = (c: PowerCase, row: number, column: number, value: number): PowerCase => ({
  ...c,
  branch: setCell(c.branch, row, column, value),
});

describe("network model cache and operating point", function () {
  beforeEach(() => clearModelCache());

  it("re-solves the same topology with other injections on the same model, equal to a cold solve", () => {
    const c = sixBusCase();
    const first = runPowerFlow(c);
    // Other demand, outputs, voltage set points, start values, ratings and bands: same network.
    let other = withBus(c, 2, BUS.PD, 70);
    other = withBus(other, 3, BUS.QD, 12);
    other = withGen(other, 1, GEN.PG, 40);
    other = withGen(other, 2, GEN.VG, 1.01);
    other = withBus(other, 4, BUS.VM, 0.97);
    other = withBranch(other, 0, BRANCH.RATE_A, 55);
    other = withBus(other, 1, BUS.VMIN, 0.95);
    expect(Array.from(topologyKey(other))).to.deep.equal(Array.from(topologyKey(c)));
    const again = runPowerFlow(other);
    expect(again.point.model).to.equal(first.point.model);
    expect(cachedModelCount()).to.equal(1);
    const cold = runPowerFlow(other, { reuseModel: false });
    expect(cold.point.model).to.not.equal(again.point.model);
    again.buses.forEach((b, i) => {
      expect(b.vm, `bus ${b.id}`).to.be.closeTo(cold.buses[i].vm, 1e-12);
      expect(b.va, `bus ${b.id}`).to.be.closeTo(cold.buses[i].va, 1e-10);
    });
    again.branches.forEach((b, l) => expect(b.pf, `row ${l + 1}`).to.be.closeTo(cold.branches[l].pf, 1e-9));
    // The new injections were used, not the ones the model was first built from.
    expect(again.gens[1].pg).to.equal(40);
    expect(again.buses.find((b) => b.id === 60)?.vm).to.be.closeTo(1.01, 1e-12);
  });

  it("builds a new model for any change of topology or network parameters", () => {
    const c = sixBusCase();
    const base = NetworkModel.of(c);
    const changes: [string, PowerCase][] = [
      ["branch status", withBranch(c, 6, BRANCH.BR_STATUS, 1)],
      ["resistance", withBranch(c, 0, BRANCH.BR_R, 0.011)],
      ["reactance", withBranch(c, 0, BRANCH.BR_X, 0.061)],
      ["line charging", withBranch(c, 0, BRANCH.BR_B, 0.031)],
      ["tap", withBranch(c, 1, BRANCH.TAP, 0.99)],
      ["phase shift", withBranch(c, 1, BRANCH.SHIFT, 2)],
      ["branch end", withBranch(c, 4, BRANCH.T_BUS, 60)],
      ["bus type", withBus(c, 5, BUS.BUS_TYPE, 1)],
      ["shunt conductance", withBus(c, 3, BUS.GS, 3)],
      ["shunt susceptance", withBus(c, 3, BUS.BS, 10)],
      ["unit status", withGen(c, 2, GEN.GEN_STATUS, 0)],
      ["unit bus", withGen(c, 2, GEN.GEN_BUS, 50)],
      ["base MVA", { ...c, baseMVA: 120 }],
      ["one more bus", { ...c, bus: [...c.bus, [70, 4, 0, 0, 0, 0, 1, 1, 0, 230, 1, 1.1, 0.9]] }],
    ];
    const seen = new Set<NetworkModel>([base]);
    for (const [label, changed] of changes) {
      expect(Array.from(topologyKey(changed)), label).to.not.deep.equal(Array.from(topologyKey(c)));
      const model = NetworkModel.of(changed);
      expect(seen.has(model), label).to.equal(false);
      seen.add(model);
      // ...and a solve on it is the same as a solve from scratch.
      const cached = runPowerFlow(changed);
      expect(cached.point.model, label).to.equal(model);
      const cold = runPowerFlow(changed, { reuseModel: false });
      cached.branches.forEach((b, l) =>
        expect(b.pf, `${label}, row ${l + 1}`).to.be.closeTo(cold.branches[l].pf, 1e-9),
      );
    }
  });

  it("keeps a bounded number of models, least recently used first out", () => {
    const c = sixBusCase();
    const variants = Array.from({ length: 9 }, (_, k) => withBus(c, 3, BUS.GS, 2 + k));
    const first = NetworkModel.of(variants[0]);
    for (const v of variants.slice(1)) NetworkModel.of(v);
    expect(cachedModelCount()).to.equal(8);
    expect(NetworkModel.of(variants[0])).to.not.equal(first); // evicted, rebuilt
    expect(NetworkModel.of(variants[8])).to.equal(NetworkModel.of(variants[8]));
  });

  it("reuses the Jacobian pattern and LU analysis per set of bus types", () => {
    const c = sixBusCase();
    const model = NetworkModel.of(c);
    const a = runPowerFlow(c).point;
    const b = runPowerFlow(withBus(c, 2, BUS.PD, 65)).point;
    expect(model.newtonSystem(a.types)).to.equal(model.newtonSystem(b.types));
    // A unit held at a reactive limit turns its bus to PQ: another pattern, built once.
    const limited = withGen(c, 1, GEN.QMIN, -10);
    const q = runPowerFlow(limited, { enforceQLimits: true }).point;
    expect(q.model).to.equal(model);
    expect(q.reactiveLimited.length).to.equal(1);
    expect(model.newtonSystem(q.types)).to.not.equal(model.newtonSystem(a.types));
    expect(model.newtonSystem(q.types)).to.equal(model.newtonSystem(q.types));
  });

  it("a warm start from the last operating point converges to the same solution in no more iterations", () => {
    const c = sixBusCase();
    const model = NetworkModel.of(c);
    const start = solvePowerFlow(model, injectionsOf(model, c));
    const next = withGen(c, 1, GEN.PG, 62);
    const warm = solvePowerFlow(model, injectionsOf(model, next), {}, start);
    const cold = solvePowerFlow(model, injectionsOf(model, next));
    expect(warm.iterations).to.be.at.most(cold.iterations);
    warm.vm.forEach((v, i) => expect(v).to.be.closeTo(cold.vm[i], 1e-9));
    warm.va.forEach((v, i) => expect(v).to.be.closeTo(cold.va[i], 1e-9));
    expect(() =>
      solvePowerFlow(model, injectionsOf(model, next), {}, { vm: new Float64Array(2), va: new Float64Array(2) }),
    ).to.throw(RangeError, /warm start has 2 voltages for 6 buses/);
  });

  it("refuses injections of a case with another shape", () => {
    const c = sixBusCase();
    const model = NetworkModel.of(c);
    const bigger = { ...c, gen: [...c.gen, [30, 0, 0, 10, -10, 1, 100, 1, 10, 0]] };
    expect(() => injectionsOf(model, bigger)).to.throw(RangeError, /does not have the network model's topology/);
  });
});

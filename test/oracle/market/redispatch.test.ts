/**
 * The decision chain after the limit check (1 of 3): seed34, the paper's microgrid, in three
 * scenarios — every violation gone in a fresh AC load flow of the adjusted case, Kirchhoff's law
 * at every bus, every adjustment inside its bounds, offers priced and sized by the documented
 * formulas, LP optimality read from the prices, nodal prices against finite differences — and the
 * pricing rules (nodal, pay-as-bid).
 */
import { expect } from "chai";
import {
  BUS,
  GEN,
  applyForecasts,
  loadCase,
  meanActiveFlow,
  nodalPriceList,
  runPeriod,
  runPowerFlow,
  type Forecasts,
  type NodalPrice,
  type PeriodResult,
  type PowerCase,
} from "../../../oracle";
import { acFlowSensitivities } from "../../../oracle/grid/sensitivity";
import {
  SEED34,
  START,
  PRICE_TOL,
  MW_TOL,
  setCell,
  operationOf,
  redispatchCase,
  priceAt,
  expectAcConfirmed,
  expectAdjustmentsWithinBounds,
  expectOffers,
  expectNoProfitableMove,
} from "./redispatch-fixtures";

describe("redispatch, nodal prices and offers", function () {
  describe("seed34: the paper's microgrid", function () {
    interface Scenario {
      readonly label: string;
      readonly schedule: PowerCase;
      readonly result: PeriodResult;
    }
    const scenarios: Scenario[] = [];
    let base: Scenario;

    before(async () => {
      const c = loadCase(SEED34);
      const op = operationOf(c);
      const run = async (label: string, x: PowerCase, forecasts: Forecasts): Promise<Scenario> => {
        const result = await runPeriod(x, { ...forecasts, periodStart: START });
        const s = { label, schedule: applyForecasts(x, forecasts), result };
        scenarios.push(s);
        return s;
      };
      // As in the paper: gen 2 up to its capability, then gen 27 relieves 24-27 (11-14 and 14-17 follow).
      base = await run("base case", c, {});
      // More PV than gen 27 can offset within its ramp: the PV array is curtailed too.
      const slowGen27 = { ...op, units: op.units.map((u) => (u.gen === 3 ? { ...u, rampMW: 0.03 } : u)) };
      await run("PV at 0.6 MW, gen 27 ramp 0.03 MW", { ...c, operation: slowGen27 }, { generation: { "34": 0.6 } });
      // The master unit at its Pmax: gen 27's decrease must be made up by raising gen 2.
      const masterOutput = runPowerFlow(c).gens[0].pg;
      await run("master unit at Pmax", { ...c, gen: setCell(c.gen, 0, GEN.PMAX, masterOutput) }, {});
    });

    it("each scenario starts with violations that the redispatch removes, confirmed by a fresh AC load flow", () => {
      expect(scenarios).to.have.length(3);
      for (const { label, schedule, result } of scenarios) {
        expect(result.violations.lines.length, `${label}: violations before`).to.be.greaterThan(0);
        expect(result.redispatch.status, label).to.equal("solved");
        expect(result.redispatch.unmet, label).to.deep.equal([]);
        // Every round re-solved the schedule's network model in place (no case rebuilt).
        expect(result.redispatch.point.model, label).to.equal(result.loadFlow.point.model);
        expectAcConfirmed(label, schedule, result.redispatch);
      }
    });

    it("keeps every adjustment within its unit's ramp and [Pmin, Pmax], renewables never above forecast", () => {
      for (const { label, schedule, result } of scenarios) {
        expectAdjustmentsWithinBounds(label, schedule, result.redispatch);
      }
      // The scenarios exercise what they are meant to.
      const moves = (s: Scenario): string[] =>
        s.result.redispatch.adjustments.map((a) => `${a.unit.genRow}@${a.unit.busId}${a.deltaMW > 0 ? "+" : "-"}`);
      expect(moves(base)).to.deep.equal(["2@2+", "3@27-"]);
      const [pv, capped] = scenarios.slice(1);
      expect(moves(pv)).to.deep.equal(["2@2+", "3@27-", "4@34-"]);
      expect(pv.result.redispatch.adjustments[1].deltaMW, "gen 27 at its ramp").to.be.closeTo(-0.03, MW_TOL);
      expect(pv.result.redispatch.adjustments[2].unit.kind).to.equal("renewable");
      expect(moves(capped)).to.deep.equal(["2@2+", "3@27-"]);
    });

    it("moves no more than needed: in the base case the rounds converge with 24-27 on its limit", () => {
      const rd = base.result.redispatch;
      expect(rd.converged).to.equal(true);
      expect(rd.bindingLines.map((b) => [b.branchRow, b.from, b.to])).to.deep.equal([[24, 24, 27]]);
      const flow = meanActiveFlow(rd.loadFlow.branches[23]);
      expect(flow).to.equal(rd.bindingLines[0].flow);
      expect(flow).to.be.closeTo(-0.75, 1e-9);
      expect(rd.bindingLines[0].shadowPrice).to.be.greaterThan(0);
    });

    it("offers the adjustments at their nodal value: kWh, USD, direction and price ≥ bid", () => {
      for (const { label, result } of scenarios) {
        expect(result.offers.length, label).to.be.greaterThan(0);
        expectOffers(label, result);
      }
      // The base case: gen 2's offer, then gen 3 at bus 27 lowering its output, at its own bid (marginal).
      const [, o] = base.result.offers;
      expect(base.result.offers).to.have.length(2);
      expect(o).to.include({ genRow: 3, node: 27, direction: "decrease", bidUsdPerMWh: 15 });
      expect(o.priceUsdPerMWh).to.be.closeTo(15, PRICE_TOL);
      expect([o.periodStart, o.periodEnd]).to.deep.equal([START, START + 1800]);
    });

    it("is LP-optimal: moved units are paid at least their bid, the marginal one exactly, idle ones had no profitable move", () => {
      for (const { label, schedule, result } of scenarios) {
        expectNoProfitableMove(label, schedule, result.redispatch, result.prices);
      }
    });

    it("prices every bus as λ·(1 − LF) + Σ μ·S: energy, loss and congestion at the AC optimum", () => {
      const { schedule, result } = base;
      const rd = result.redispatch;
      expect(result.prices.map((p) => p.bus)).to.deep.equal(schedule.bus.map((b) => b[BUS.BUS_I]));
      expect(rd.energyPrice).to.be.closeTo(operationOf(schedule).masterEnergyPrice, PRICE_TOL);
      // The last LP linearised within the convergence tolerance of the final point: its
      // sensitivities and loss factors are the final point's to that tolerance.
      const sens = acFlowSensitivities(
        rd.point,
        rd.bindingLines.map((b) => b.branch),
      );
      result.prices.forEach((p, i) => {
        const congestion = rd.bindingLines.reduce((s, b, k) => s + b.shadowPrice * sens.matrix[k][i], 0);
        expect(p.energy, `bus ${p.bus}`).to.equal(rd.energyPrice);
        expect(p.lossFactor, `bus ${p.bus}`).to.be.closeTo(sens.lossFactors[i], 1e-6);
        expect(p.loss, `bus ${p.bus}`).to.be.closeTo(-rd.energyPrice * p.lossFactor, 1e-9);
        expect(p.congestion, `bus ${p.bus}`).to.be.closeTo(congestion, 1e-3);
        expect(p.total, `bus ${p.bus}`).to.be.closeTo(p.energy + p.loss + p.congestion, 1e-12);
      });
      expect(priceAt(result.prices, 1), "the master's (reference) bus").to.equal(rd.energyPrice);
      // Far from the master, more demand costs more losses: the village's loss component is positive.
      const bus10 = result.prices.find((p) => p.bus === 10) as NodalPrice;
      expect(bus10.lossFactor).to.be.below(0);
      expect(bus10.loss).to.be.above(0);
    });

    it("prices match the marginal cost of load: ΔC/ε = LMP for ε = 1e-4 MW at a bus, losses included", async () => {
      // The cost of serving ε more at bus i: the master serves it in the schedule's load flow,
      // with the losses it causes (c_m × the master's change), and the redispatch's cost changes
      // by ΔcostPerHour (bids plus the master's further change). Their sum over ε is the marginal
      // cost of load there, which the LMP — energy, loss and congestion — must equal: the
      // finite difference re-solves everything, so it also sees the sensitivities move with ε
      // (second order). Tolerance 0.5 % of |LMP| (measured: within 0.05 %).
      const c = loadCase(SEED34);
      const flow = runPowerFlow(c);
      const rd = await redispatchCase(c, flow);
      const prices = nodalPriceList(rd);
      const masterPrice = operationOf(c).masterEnergyPrice;
      const eps = 1e-4;
      for (const bus of [1, 5, 10, 27, 30, 34]) {
        const row = c.bus.findIndex((b) => b[BUS.BUS_I] === bus);
        const loaded = { ...c, bus: setCell(c.bus, row, BUS.PD, c.bus[row][BUS.PD] + eps) };
        const loadedFlow = runPowerFlow(loaded);
        const perturbed = await redispatchCase(loaded, loadedFlow);
        expect(perturbed.status).to.equal("solved");
        const served = masterPrice * (loadedFlow.gens[0].pg - flow.gens[0].pg);
        const marginal = (served + perturbed.costPerHour - rd.costPerHour) / eps;
        const lmp = priceAt(prices, bus);
        expect(marginal, `bus ${bus}: ΔC/ε vs LMP ${lmp}`).to.be.closeTo(lmp, 0.005 * Math.abs(lmp));
      }
      // Behind gen 27 the congestion component dominates: the LMP there is negative.
      expect(priceAt(prices, 27)).to.be.below(0);
    });
  });

  describe("pricing rule: nodal or pay-as-bid", function () {
    let nodal: PeriodResult;
    let asBid: PeriodResult;
    before(async () => {
      const c = loadCase(SEED34);
      nodal = await runPeriod(c, { periodStart: START });
      const operation = { ...operationOf(c), pricingRule: "pay-as-bid" as const };
      asBid = await runPeriod(c, { periodStart: START }, { operation });
    });

    it("the same redispatch and prices either way; pay-as-bid offers each unit its own bid", () => {
      expect(asBid.redispatch.adjustments.map((a) => a.deltaMW)).to.deep.equal(
        nodal.redispatch.adjustments.map((a) => a.deltaMW),
      );
      expect(asBid.prices).to.deep.equal(nodal.prices);
      expect(asBid.offers).to.have.length(2);
      asBid.offers.forEach((o, k) => {
        const n = nodal.offers[k];
        expect(o.pricingRule).to.equal("pay-as-bid");
        expect(o.priceUsdPerMWh, `gen ${o.genRow}`).to.equal(o.bidUsdPerMWh);
        expect(o.usd).to.be.closeTo((o.kwh / 1000) * o.bidUsdPerMWh, 1e-12);
        expect(o.nodalUsdPerMWh).to.equal(n.nodalUsdPerMWh);
        expect([o.kwh, o.direction, o.genRow]).to.deep.equal([n.kwh, n.direction, n.genRow]);
      });
      // Gen 2 is not marginal: its nodal price is far above its bid of 105 USD/MWh.
      expect(nodal.offers[0].priceUsdPerMWh).to.be.above(600);
      expect(asBid.offers[0].priceUsdPerMWh).to.equal(105);
    });

    it("both costs of the same period: at bids and at nodal prices, the offers' total under the rule", () => {
      const sum = (r: PeriodResult): number => r.offers.reduce((s, o) => s + o.usd, 0);
      for (const r of [nodal, asBid]) {
        expect(r.costs.atBidsUsd).to.be.closeTo(sum(asBid), 1e-12);
        expect(r.costs.atNodalPricesUsd).to.be.closeTo(sum(nodal), 1e-12);
        expect(r.costs.redispatchUsd).to.be.closeTo(r.redispatch.costPerHour / 2, 1e-12);
      }
      expect(nodal.costs).to.include({ pricingRule: "nodal", offersUsd: nodal.costs.atNodalPricesUsd });
      expect(asBid.costs).to.include({ pricingRule: "pay-as-bid", offersUsd: asBid.costs.atBidsUsd });
      // The congestion rent: nodal prices pay gen 2 some 8.5 USD for a move it bid at 1.4 USD.
      expect(nodal.costs.atNodalPricesUsd).to.be.above(8);
      expect(nodal.costs.atBidsUsd).to.be.below(1.5);
    });
  });
});

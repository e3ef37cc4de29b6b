/**
 * The decision chain after the limit check: least-cost redispatch (LP on flow sensitivities,
 * iterated with AC load flows), nodal prices and offers — oracle/market/*.ts and runPeriod.
 *
 * What is checked, and how independently of the code under test:
 * - seed34 (the paper's microgrid) in three scenarios: every violation gone in a fresh AC load
 *   flow of the adjusted case, Kirchhoff's law at every bus, every adjustment inside its unit's
 *   ramp, [Pmin, Pmax] and (renewables) forecast, offers priced and sized by the documented
 *   formulas, and LP optimality read from the prices: a moved unit is paid at least its bid, the
 *   marginal one exactly its bid, and no unit left unmoved had a profitable move.
 * - A three-bus case solved by hand (DC sensitivities): adjustments, cost, binding line, λ and
 *   every nodal price.
 * - seed34's nodal prices against finite differences of the LP optimum (load ε at a bus).
 * - Impossible limits and bad input: status "infeasible" naming the lines, or an error naming
 *   the problem.
 * - case118 from ../shared with tightened limits (skipped without ../shared).
 */
import { readFileSync } from "node:fs";
import { resolve } from "node:path";
import { expect } from "chai";
import {
  BRANCH,
  BUS,
  CaseDataError,
  CaseFormatError,
  InputError,
  GEN,
  PowerFlowNotConvergedError,
  applyForecasts,
  checkLimits,
  defaultOperation,
  loadCase,
  meanActiveFlow,
  NetworkModel,
  adjustedCase,
  marketModel,
  nodalPriceList,
  nodalPrices,
  parseJsonCase,
  priceOffers,
  redispatch,
  runPeriod,
  runPowerFlow,
  type Forecasts,
  type NodalPrice,
  type OperationData,
  DEFAULT_LIMIT_VIOLATION_PRICE,
  type PeriodResult,
  type PowerCase,
  type PowerFlowResult,
  type Redispatch,
  type RedispatchOptions,
} from "../../../oracle";
import { acFlowSensitivities } from "../../../oracle/grid/sensitivity";
import { sixBusCase } from "../fixtures";
import { casePath, requireMatpower, worstBusImbalance } from "../helpers";

const SEED34 = resolve(__dirname, "../../../cases/seed34.json");
/** 2026-01-01T00:00:00Z, a period boundary: every run is pinned to it (no clock in the tests). */
const START = 1_767_225_600;
/** Duals and prices from HiGHS are optimal to its tolerances (1e-7); compare prices to this, USD/MWh. */
const PRICE_TOL = 1e-6;
const PRICE_TOL_CONVERGED = PRICE_TOL;
/** MW: units' bounds are LP column bounds, met to round-off. */
const MW_TOL = 1e-9;

/** A copy of `rows` with column `column` of row `row` set to `value`. */
function setCell(rows: readonly (readonly number[])[], row: number, column: number, value: number): number[][] {
  return rows.map((r, i) => (i === row ? r.map((x, k) => (k === column ? value : x)) : [...r]));
}

function operationOf(c: PowerCase): OperationData {
  if (!c.operation) throw new Error(`${c.name} has no operation data`);
  return c.operation;
}

/** The redispatch of case `c` (with its operation data) from its load flow `flow`: the test's edge adapter. */
function redispatchCase(c: PowerCase, flow: PowerFlowResult, options: RedispatchOptions = {}): Promise<Redispatch> {
  const network = flow.point.model;
  expect(network, "the load flow is of this case's network").to.equal(NetworkModel.of(c));
  return redispatch(flow.point, marketModel(network, c, operationOf(c)), options);
}

/** The error a promise rejects with (fails the test if it resolves). */
async function rejection(p: Promise<unknown>): Promise<Error> {
  try {
    await p;
  } catch (e) {
    return e as Error;
  }
  expect.fail("expected a rejection");
}

function priceAt(prices: readonly NodalPrice[], bus: number): number {
  const p = prices.find((x) => x.bus === bus);
  if (!p) throw new Error(`no price for bus ${bus}`);
  return p.total;
}

/**
 * The AC load flow after redispatch, judged from scratch: solve the adjusted case again, check it
 * against the original limits (not the redispatch's own report) and against Kirchhoff's law.
 */
function expectAcConfirmed(label: string, schedule: PowerCase, rd: Redispatch): PowerFlowResult {
  const adjusted = adjustedCase(schedule, rd);
  const fresh = runPowerFlow(adjusted);
  // The reported load flow is the adjusted case's.
  // Redispatch re-solves warm from the previous round, a fresh solve starts cold: both meet the
  // load flow's tolerance (1e-8 p.u.), so they agree to the same bound as Kirchhoff's law below.
  const flowTolerance = 1e-6 * schedule.baseMVA;
  fresh.branches.forEach((b, l) => {
    expect(rd.loadFlow.branches[l].pf, `${label}: reported flow, row ${l + 1}`).to.be.closeTo(b.pf, flowTolerance);
    expect(rd.loadFlow.branches[l].pt, `${label}: reported flow, row ${l + 1}`).to.be.closeTo(b.pt, flowTolerance);
  });
  const report = checkLimits(adjusted, fresh, schedule.operation);
  expect(report.lines, `${label}: lines over a limit after redispatch`).to.deep.equal([]);
  expect(report.voltages, `${label}: voltages after redispatch`).to.deep.equal([]);
  expect(report.frequency?.violated ?? false, `${label}: frequency after redispatch`).to.equal(false);
  expect(rd.violations.ok, `${label}: redispatch's own report`).to.equal(true);
  // And directly, without checkLimits: every limited in-service line's mean flow is within it.
  const limits = operationOf(schedule).branchActiveLimitMW;
  fresh.branches.forEach((b, l) => {
    if (limits[l] > 0 && schedule.branch[l][BRANCH.BR_STATUS] !== 0) {
      expect(Math.abs(meanActiveFlow(b)), `${label}: row ${l + 1}`).to.be.at.most(limits[l] + 1e-6);
    }
  });
  const baseMVA = schedule.baseMVA;
  expect(worstBusImbalance(adjusted, fresh), `${label}: bus imbalance (MW/MVAr)`).to.be.below(1e-6 * baseMVA);
  expect(worstBusImbalance(adjusted, rd.loadFlow), `${label}: bus imbalance (MW/MVAr)`).to.be.below(1e-6 * baseMVA);
  return fresh;
}

/** Each adjustment is a listed unit, within its ramp, [Pmin, Pmax] and (renewable) its forecast; nothing else moved. */
function expectAdjustmentsWithinBounds(label: string, schedule: PowerCase, rd: Redispatch): void {
  const op = operationOf(schedule);
  const adjusted = adjustedCase(schedule, rd);
  for (const a of rd.adjustments) {
    const unit = op.units.find((u) => u.gen === a.unit.genRow);
    expect(unit, `${label}: gen ${a.unit.genRow} is a redispatch unit`).to.not.equal(undefined);
    if (!unit) continue;
    const g = schedule.gen[a.unit.genRow - 1];
    const where = `${label}: gen ${a.unit.genRow} at bus ${a.unit.busId}`;
    expect(a.unit.busId, where).to.equal(g[GEN.GEN_BUS]);
    expect(a.unit.kind, where).to.equal(unit.kind);
    expect(a.scheduledMW, `${where}: scheduled = schedule's Pg`).to.equal(g[GEN.PG]);
    expect(a.deltaMW, where).to.be.closeTo(a.adjustedMW - a.scheduledMW, 1e-12);
    expect(adjusted.gen[a.unit.genRow - 1][GEN.PG], `${where}: adjusted case`).to.be.closeTo(a.adjustedMW, 1e-12);
    expect(Math.abs(a.deltaMW), `${where}: ramp`).to.be.at.most(unit.rampMW + MW_TOL);
    expect(a.adjustedMW, `${where}: Pmin`).to.be.at.least(g[GEN.PMIN] - MW_TOL);
    expect(a.adjustedMW, `${where}: Pmax`).to.be.at.most(g[GEN.PMAX] + MW_TOL);
    if (unit.kind === "renewable") expect(a.adjustedMW, `${where}: forecast`).to.be.at.most(g[GEN.PG] + MW_TOL);
    expect(a.bidPrice, where).to.equal(a.deltaMW > 0 ? unit.upPrice : unit.downPrice);
  }
  // Units without an adjustment kept their scheduled output.
  schedule.gen.forEach((g, k) => {
    if (!rd.adjustments.some((a) => a.unit.genRow === k + 1)) {
      expect(Math.abs(adjusted.gen[k][GEN.PG] - g[GEN.PG]), `${label}: gen ${k + 1} unchanged`).to.be.at.most(1e-9);
    }
  });
}

/** Offers: one per adjustment, sized and priced by the formulas in oracle/market/prices.ts. */
function expectOffers(label: string, r: PeriodResult): void {
  const rd = r.redispatch;
  const minutes = r.period.minutes;
  expect(
    r.offers.map((o) => o.genRow),
    label,
  ).to.deep.equal(rd.adjustments.map((a) => a.unit.genRow));
  r.offers.forEach((o, k) => {
    const a = rd.adjustments[k];
    const where = `${label}: offer of gen ${o.genRow}`;
    const lmp = priceAt(r.prices, a.unit.busId);
    expect(o.node, where).to.equal(a.unit.busId);
    expect(o.direction, where).to.equal(a.deltaMW > 0 ? "increase" : "decrease");
    expect(o.mw, where).to.equal(Math.abs(a.deltaMW));
    expect(o.kwh, `${where}: kWh = |ΔMW|·1000·T`).to.be.closeTo((Math.abs(a.deltaMW) * 1000 * minutes) / 60, 1e-9);
    expect(o.nodalUsdPerMWh, `${where}: ±LMP at its bus`).to.equal(a.deltaMW > 0 ? lmp : -lmp);
    expect(o.pricingRule, where).to.equal("nodal");
    expect(o.priceUsdPerMWh, `${where}: its nodal value, never below its bid`).to.equal(
      Math.max(o.nodalUsdPerMWh, a.bidPrice),
    );
    expect(o.usd, `${where}: USD = kWh/1000·price`).to.be.closeTo((o.kwh / 1000) * o.priceUsdPerMWh, 1e-9);
    expect(o.bidUsdPerMWh, where).to.equal(a.bidPrice);
    expect(o.priceUsdPerMWh, `${where}: price ≥ bid`).to.be.at.least(o.bidUsdPerMWh - PRICE_TOL);
    expect([o.periodStart, o.periodEnd], where).to.deep.equal([r.period.start, r.period.end]);
  });
}

/**
 * LP optimality read from the nodal prices (reduced costs): with π the value of one more MWh
 * injected at a unit's bus (its LMP), raising it costs up − π and lowering it down + π. At the
 * optimum a unit moved strictly inside its range is marginal (its bid equals its nodal value),
 * and a direction left unused while there was room must not pay (bid ≥ nodal value).
 */
function expectNoProfitableMove(label: string, schedule: PowerCase, rd: Redispatch, prices: NodalPrice[]): void {
  // Rounds that stopped along a nearly flat optimum hold some units a little short of it: within
  // 0.5 % of their bids (case118 with 10 lines: 0.09 USD/MWh at 45).
  const PRICE_TOL = rd.converged
    ? PRICE_TOL_CONVERGED
    : 0.005 * Math.max(...operationOf(schedule).units.map((u) => u.upPrice));
  for (const u of operationOf(schedule).units) {
    const g = schedule.gen[u.gen - 1];
    const pg = g[GEN.PG];
    const pmax = u.kind === "renewable" ? pg : g[GEN.PMAX];
    const upRoom = Math.max(0, Math.min(u.rampMW, pmax - pg));
    const downRoom = Math.max(0, Math.min(u.rampMW, pg - g[GEN.PMIN]));
    const delta = rd.adjustments.find((a) => a.unit.genRow === u.gen)?.deltaMW ?? 0;
    const lmp = priceAt(prices, g[GEN.GEN_BUS]);
    const where = `${label}: gen ${u.gen} (Δ ${delta.toFixed(6)} MW, LMP ${lmp.toFixed(4)})`;
    if (delta > 0) {
      expect(lmp, `${where}: paid at least its up bid`).to.be.at.least(u.upPrice - PRICE_TOL);
      if (delta < upRoom - 1e-7) expect(lmp, `${where}: marginal`).to.be.closeTo(u.upPrice, PRICE_TOL);
    } else if (upRoom > 1e-7) {
      expect(lmp, `${where}: raising it would not pay`).to.be.at.most(u.upPrice + PRICE_TOL);
    }
    if (delta < 0) {
      expect(-lmp, `${where}: paid at least its down bid`).to.be.at.least(u.downPrice - PRICE_TOL);
      if (-delta < downRoom - 1e-7) expect(-lmp, `${where}: marginal`).to.be.closeTo(u.downPrice, PRICE_TOL);
    } else if (downRoom > 1e-7) {
      expect(-lmp, `${where}: lowering it would not pay`).to.be.at.most(u.downPrice + PRICE_TOL);
    }
  }
}

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

  describe("a three-bus case solved by hand", function () {
    /*
     * Bus 1: master unit (reference, 100 USD/MWh) and a 200 MW load. Buses 2 and 3: one unit each,
     * 90 MW scheduled. Three identical lossless lines (r = 0, x = 0.1 p.u.), all voltages held at
     * 1 p.u. By symmetry θ2 = θ3: line 2-3 carries nothing and lines 1-2, 1-3 carry exactly 90 MW
     * each towards bus 1 (mean flow −90 MW, from bus 1 to bus 2). Only line 1-2 is limited: 85 MW.
     *
     * DC PTDFs of line 1-2 (slack at bus 1), injection at bus 2: −2/3, at bus 3: −1/3. The LP aims
     * at the 85 MW limit, so it must relieve E = 5 MW. Lowering a unit is made up by the master
     * (100 USD/MWh; the lines are lossless). Cost per MW of relief:
     *   unit 2 down (20) + master:  120 / (2/3) = 180
     *   unit 3 down (10) + master:  110 / (1/3) = 330
     *   unit 2 down + unit 3 up (110): 130 / (1/3) = 390
     * so unit 2 goes first, to its 3 MW ramp (relief 2 MW), and unit 3 is marginal for the rest:
     *   Δ2 = −3 MW,  Δ3 = −3·(5 − 2) = −9 MW,  master +12 MW
     *   cost = 20·3 + 10·9 + 100·12 = 1350 USD/h.
     * That is the first LP. The AC flow is sin θ / x, not θ / x: the rounds after it, with the same
     * DC factors, move unit 3 until the AC flow sits on 85 MW — a few kW off the hand figure — and
     * keep the same basis, so λ, μ and every price stay exactly the hand-computed ones.
     * Prices: λ = 100 (the master is not at a limit). Unit 3 is marginal, so its bus is priced at
     * minus its down bid: LMP3 = λ + μ·(−1/3) = −10  ⇒  μ = 330 USD/MWh. Then
     *   LMP1 = 100,  LMP2 = 100 − 330·2/3 = −120,  LMP3 = −10.
     * Unit 2 is paid 120 USD/MWh for lowering (bid 20), unit 3 exactly its bid, 10.
     */
    const c: PowerCase = {
      name: "hand-3",
      baseMVA: 100,
      bus: [
        [1, 3, 200, 0, 0, 0, 1, 1, 0, 100, 1, 1.1, 0.9],
        [2, 2, 0, 0, 0, 0, 1, 1, 0, 100, 1, 1.1, 0.9],
        [3, 2, 0, 0, 0, 0, 1, 1, 0, 100, 1, 1.1, 0.9],
      ],
      gen: [
        [1, 20, 0, 300, -300, 1, 100, 1, 300, 0],
        [2, 90, 0, 300, -300, 1, 100, 1, 200, 0],
        [3, 90, 0, 300, -300, 1, 100, 1, 200, 0],
      ],
      branch: [
        [1, 2, 0, 0.1, 0, 0, 0, 0, 0, 0, 1, -360, 360],
        [1, 3, 0, 0.1, 0, 0, 0, 0, 0, 0, 1, -360, 360],
        [2, 3, 0, 0.1, 0, 0, 0, 0, 0, 0, 1, -360, 360],
      ],
      operation: {
        periodMinutes: 30,
        branchActiveLimitMW: [85, 0, 0],
        masterEnergyPrice: 100,
        units: [
          { gen: 2, kind: "dispatchable", upPrice: 130, downPrice: 20, rampMW: 3 },
          { gen: 3, kind: "dispatchable", upPrice: 110, downPrice: 10, rampMW: 50 },
        ],
      },
    };
    // The load flow converges to 1e-8 p.u. = 1e-6 MW; the schedule's flows carry that error, and
    // Δ3 = 3× it. Prices do not depend on the flows at all.
    const FLOW_TOL = 1e-5;
    let flow: PowerFlowResult;
    let first: Redispatch;
    let rd: Redispatch;
    before(async () => {
      flow = runPowerFlow(c);
      first = await redispatchCase(c, flow, { sensitivity: "dc", maxRounds: 1 });
      rd = await redispatchCase(c, flow, { sensitivity: "dc" });
    });

    it("has the schedule derived on paper: −90, −90 and 0 MW", () => {
      [-90, -90, 0].forEach((mw, l) =>
        expect(meanActiveFlow(flow.branches[l]), `row ${l + 1}`).to.be.closeTo(mw, FLOW_TOL),
      );
      expect(flow.losses.p).to.be.closeTo(0, FLOW_TOL);
      expect(checkLimits(c, flow).lines.map((v) => v.branchRow)).to.deep.equal([1]);
    });

    it("lowers unit 2 to its ramp and unit 3 for the rest, at the hand-computed cost", () => {
      expect(first.rounds).to.equal(1);
      expect(first.adjustments.map((a) => [a.unit.genRow, a.bidPrice, a.deltaMW])).to.deep.equal([
        [2, 20, first.adjustments[0].deltaMW],
        [3, 10, first.adjustments[1].deltaMW],
      ]);
      expect(first.adjustments[0].deltaMW).to.be.closeTo(-3, 1e-9);
      expect(first.adjustments[1].deltaMW).to.be.closeTo(-9, FLOW_TOL);
      expect(first.costPerHour).to.be.closeTo(20 * 3 + 10 * 9 + 100 * 12, 100 * FLOW_TOL);
      // The rounds after it put the AC flow on the limit, with the same units moving.
      expect(rd.status).to.equal("solved");
      expect(rd.converged).to.equal(true);
      expect(rd.rounds).to.be.greaterThan(1);
      expect(rd.adjustments.map((a) => a.unit.genRow)).to.deep.equal([2, 3]);
      expect(rd.adjustments[0].deltaMW).to.be.closeTo(-3, 1e-9);
      const d3 = -rd.adjustments[1].deltaMW;
      expect(d3).to.be.closeTo(9, 0.05);
      // To the convergence tolerance (1e-7 p.u. = 1e-5 MW) times 110 USD/MWh.
      expect(rd.costPerHour).to.be.closeTo(20 * 3 + 10 * d3 + 100 * (3 + d3), 2e-3);
      expect(rd.violations.ok).to.equal(true);
      expect(meanActiveFlow(rd.loadFlow.branches[0])).to.be.closeTo(-85, 1e-6);
    });

    it("binds line 1-2 with μ = 330 and prices the buses 100, −120 and −10 USD/MWh", () => {
      expect(rd.bindingLines.map((b) => [b.branchRow, b.from, b.to, b.limit])).to.deep.equal([[1, 1, 2, 85]]);
      expect(rd.bindingLines[0].shadowPrice).to.be.closeTo(330, 1e-9);
      expect(rd.energyPrice).to.be.closeTo(100, 1e-9);
      const prices = nodalPriceList(rd);
      expect(prices.map((p) => p.bus)).to.deep.equal([1, 2, 3]);
      [100, -120, -10].forEach((lmp, i) => {
        expect(prices[i].total, `bus ${i + 1}`).to.be.closeTo(lmp, 1e-9);
        expect(prices[i].energy, `bus ${i + 1}`).to.be.closeTo(100, 1e-9);
        expect(prices[i].congestion, `bus ${i + 1}`).to.be.closeTo(lmp - 100, 1e-9);
      });
      // Offers: unit 2 is paid 120 USD/MWh (above its bid of 20), unit 3 its bid of 10.
      const offers = priceOffers(rd.adjustments, nodalPrices(rd), { start: START, minutes: 30 });
      expect(offers.map((o) => [o.genRow, o.direction])).to.deep.equal([
        [2, "decrease"],
        [3, "decrease"],
      ]);
      expect(offers[0].kwh).to.be.closeTo(1500, 1e-6);
      expect(offers[0].priceUsdPerMWh).to.be.closeTo(120, 1e-9);
      expect(offers[0].usd).to.be.closeTo(180, 1e-6);
      expect(offers[1].kwh).to.be.closeTo(-rd.adjustments[1].deltaMW * 500, 1e-9);
      expect(offers[1].priceUsdPerMWh).to.be.closeTo(10, 1e-9);
    });

    it("with AC sensitivities: the same moves, and the marginal unit still sets its bus's price", async () => {
      const ac = await redispatchCase(c, flow);
      expect(ac.status).to.equal("solved");
      expect(ac.adjustments.map((a) => a.unit.genRow)).to.deep.equal([2, 3]);
      expect(ac.adjustments[0].deltaMW).to.be.closeTo(-3, 1e-9);
      // The AC sensitivity of line 1-2 to bus 3 differs from 1/3 by the sin(θ) curvature.
      expect(ac.adjustments[1].deltaMW).to.be.closeTo(-9.0255, 0.05);
      const prices = nodalPriceList(ac);
      expect(prices[0].total).to.be.closeTo(100, 1e-9);
      expect(prices[2].total).to.be.closeTo(-10, 1e-6);
      expect(prices[1].total).to.be.closeTo(-120, 1);
    });
  });

  describe("limits that cannot be met", function () {
    it("seed34 with every ramp at 0: status infeasible naming the three lines, by their real excess", async () => {
      const c = loadCase(SEED34);
      const op = operationOf(c);
      const frozen = { ...op, units: op.units.map((u) => ({ ...u, rampMW: 0 })) };
      const r = await runPeriod(c, { periodStart: START }, { operation: frozen });
      const rd = r.redispatch;
      expect(rd.status).to.equal("infeasible");
      expect(rd.adjustments).to.deep.equal([]);
      expect(r.offers).to.deep.equal([]);
      expect(rd.unmet.map((u) => [u.kind, u.row, u.description])).to.deep.equal([
        ["line", 15, "line 11-14 cannot be brought within its limit"],
        ["line", 16, "line 14-17 cannot be brought within its limit"],
        ["line", 24, "line 24-27 cannot be brought within its limit"],
      ]);
      // Nothing moved, so each line is still over by its Table I deviation; the reported excess is
      // that (plus the LP's 1e-4 margin), not a figure inflated by rounds of tightening.
      rd.unmet.forEach((u, k) => {
        const deviation = r.violations.lines[k].deviation;
        expect(u.excessMW, u.description).to.be.within(deviation, deviation + 1e-3);
      });
      expect(rd.violations.lines.map((v) => v.branchRow)).to.deep.equal([15, 16, 24]);
    });

    it("seed34 with 24-27 limited to 0.6 MW: infeasible for that line only, gen 27 at its full ramp", async () => {
      const c = loadCase(SEED34);
      const op = operationOf(c);
      const limits = c.branch.map((b) => (b[BRANCH.F_BUS] === 24 && b[BRANCH.T_BUS] === 27 ? 0.6 : 0.75));
      const r = await runPeriod(c, { periodStart: START }, { operation: { ...op, branchActiveLimitMW: limits } });
      const rd = r.redispatch;
      expect(rd.status).to.equal("infeasible");
      expect(rd.unmet.map((u) => u.description)).to.deep.equal(["line 24-27 cannot be brought within its limit"]);
      expect(rd.adjustments.find((a) => a.unit.genRow === 3)?.deltaMW).to.be.closeTo(-0.1, MW_TOL);
      // Only 24-27 is left over its limit in the AC result, by about the reported excess.
      expect(rd.violations.lines.map((v) => v.branchRow)).to.deep.equal([24]);
      expect(rd.unmet[0].excessMW).to.be.closeTo(rd.violations.lines[0].deviation, 1e-3);
    });

    it("an unmet limit is priced at the market's limit-violation price (default 5,000 USD/MWh, or the case's own)", async () => {
      const c = loadCase(SEED34);
      const op = operationOf(c);
      const limits = c.branch.map((b) => (b[BRANCH.F_BUS] === 24 && b[BRANCH.T_BUS] === 27 ? 0.6 : 0.75));
      for (const [limitViolationPrice, expected] of [
        [undefined, DEFAULT_LIMIT_VIOLATION_PRICE],
        [2000, 2000],
      ] as const) {
        const operation = {
          ...op,
          branchActiveLimitMW: limits,
          ...(limitViolationPrice ? { limitViolationPrice } : {}),
        };
        const r = await runPeriod(c, { periodStart: START }, { operation });
        expect(r.redispatch.status).to.equal("infeasible");
        const line = r.redispatch.bindingLines.find((b) => b.from === 24 && b.to === 27);
        expect(line?.shadowPrice, "μ of the unmet line").to.be.closeTo(expected, PRICE_TOL * expected);
        // Flow sensitivities are at most 1 in size, so no offer is priced beyond λ plus the penalties.
        const ceiling =
          r.redispatch.energyPrice + r.redispatch.congestion.shadowPrices.reduce((a, b) => a + Math.abs(b), 0);
        expect(r.offers).to.have.length.greaterThan(0);
        for (const o of r.offers) expect(o.priceUsdPerMWh, `gen ${o.genRow}`).to.be.at.most(ceiling);
      }
    });

    it("refuses a limit-violation price not above every bid, naming the unit", async () => {
      const c = loadCase(SEED34);
      for (const [limitViolationPrice, message] of [
        [110, /^operation\.limitViolationPrice 110 USD\/MWh must be above every bid; gen 3 asks 110$/],
        [50, /^operation\.limitViolationPrice 50 USD\/MWh must be above every bid; gen 2 asks 105$/],
      ] as const) {
        const e = await rejection(
          runPeriod(c, { periodStart: START }, { operation: { ...operationOf(c), limitViolationPrice } }),
        );
        expect(e).to.be.instanceOf(CaseDataError);
        expect(e.message).to.match(message);
      }
    });

    it("an MVA rating below the line's reactive flow: infeasible naming the line, not a solver error", async () => {
      const base = sixBusCase();
      const row = base.branch.findIndex((b) => b[BRANCH.F_BUS] === 40 && b[BRANCH.T_BUS] === 50);
      const c: PowerCase = {
        ...base,
        branch: setCell(base.branch, row, BRANCH.RATE_A, 5),
        operation: {
          periodMinutes: 30,
          branchActiveLimitMW: base.branch.map(() => 0),
          masterEnergyPrice: 30,
          units: [
            { gen: 2, kind: "dispatchable", upPrice: 40, downPrice: 5, rampMW: 50 },
            { gen: 3, kind: "dispatchable", upPrice: 45, downPrice: 6, rampMW: 50 },
          ],
        },
      };
      const flow = runPowerFlow(c);
      expect(Math.abs(flow.branches[row].qt), "reactive flow alone exceeds the rating").to.be.above(5);
      const rd = await redispatchCase(c, flow);
      expect(rd.status).to.equal("infeasible");
      expect(rd.unmet.map((u) => [u.kind, u.row])).to.deep.equal([["line", row + 1]]);
      expect(rd.unmet[0].description).to.match(/^line 40-50 /);
    });
  });

  describe("bad input", function () {
    let c: PowerCase;
    let raw: Record<string, unknown> & { operation: Record<string, unknown> & { units: Record<string, unknown>[] } };
    before(() => {
      c = loadCase(SEED34);
      raw = JSON.parse(readFileSync(SEED34, "utf8"));
    });
    const withOperation = (changes: Record<string, unknown>): PowerCase =>
      parseJsonCase(JSON.stringify({ ...raw, operation: { ...raw.operation, ...changes } }), "bad.json");
    const unit0 = (changes: Record<string, unknown>): Record<string, unknown>[] => [
      { ...raw.operation.units[0], ...changes },
    ];

    it("a load flow that does not converge (demand ×40) throws PowerFlowNotConvergedError", async () => {
      const e = await rejection(runPeriod(c, { demandScale: 40, periodStart: START }));
      expect(e).to.be.instanceOf(PowerFlowNotConvergedError);
      expect(e.message).to.match(/did not converge/);
    });

    it("rejects forecasts naming an unknown bus, a bus without a unit, negative MW or MW above Pmax", async () => {
      const cases: [Forecasts["generation"], RegExp][] = [
        [{ "99": 0.1 }, /^forecast for bus 99: the case has no such bus$/],
        [{ "5": 0.1 }, /^forecast for bus 5: expected one in-service unit there, found 0$/],
        [{ "34": -0.1 }, /^forecast for bus 34 must be a number of MW ≥ 0, got -0\.1$/],
        [{ "34": Number.NaN }, /^forecast for bus 34 must be a number of MW ≥ 0, got NaN$/],
        [{ "34": 0.7 }, /^forecast for bus 34 \(0\.7 MW\) exceeds the unit's Pmax \(0\.6 MW\)$/],
      ];
      // Bad input, not a failed computation: an agent stops on it instead of retrying.
      for (const [generation, message] of cases) {
        const e = await rejection(runPeriod(c, { generation, periodStart: START }));
        expect(e, JSON.stringify(generation)).to.be.instanceOf(InputError);
        expect(e.message).to.match(message);
      }
      const e = await rejection(runPeriod(c, { demandScale: -1, periodStart: START }));
      expect(e).to.be.instanceOf(InputError);
      expect(e.message).to.match(/^demandScale must be a number ≥ 0, got -1$/);
      const s = await rejection(runPeriod(c, { periodStart: 1.5 }));
      expect(s.message).to.match(/^periodStart must be Unix seconds, got 1\.5$/);
    });

    it("rejects bad operation data with the field named", () => {
      const bad: [Record<string, unknown>, RegExp][] = [
        [{ units: unit0({ gen: 9 }) }, /operation: units\[0\]\.gen must be a gen row 1\.\.4, got 9$/],
        [{ units: unit0({ gen: 1.5 }) }, /operation: units\[0\]\.gen must be a gen row 1\.\.4, got 1\.5$/],
        [{ units: unit0({ gen: "2" }) }, /operation: units\[0\]\.gen must be a gen row 1\.\.4, got "2"$/],
        [
          { units: [raw.operation.units[0], raw.operation.units[1], raw.operation.units[0]] },
          /operation: units\[2\]\.gen 2 is listed twice$/,
        ],
        [{ branchActiveLimitMW: [0.75, 0.75] }, /operation: branchActiveLimitMW has 2 entries for 35 branch rows$/],
        [{ branchActiveLimitMW: -1 }, /operation: branchActiveLimitMW must be ≥ 0, got -1$/],
        [{ units: unit0({ kind: "solar" }) }, /operation: units\[0\]\.kind must be "dispatchable" or "renewable"/],
        [{ units: unit0({ rampMW: -0.1 }) }, /operation: units\[0\]\.rampMW must be a number ≥ 0/],
        [{ masterEnergyPrice: "100" }, /operation: masterEnergyPrice must be a number/],
        [{ limitViolationPrice: 0 }, /operation: limitViolationPrice must be a positive number \(USD\/MWh\), got 0$/],
        [{ pricingRule: "lmp" }, /operation: pricingRule must be "nodal" or "pay-as-bid", got "lmp"$/],
        [{ pricingRule: 1 }, /operation: pricingRule must be "nodal" or "pay-as-bid", got 1$/],
        [{ frequency: { min: 1.006, max: 0.994 } }, /operation: frequency\.max must be a number above frequency\.min/],
      ];
      for (const [changes, message] of bad) {
        let error: unknown;
        try {
          withOperation(changes);
        } catch (e) {
          error = e;
        }
        expect(error, JSON.stringify(changes)).to.be.instanceOf(CaseFormatError);
        expect((error as Error).message, JSON.stringify(changes)).to.match(/^bad\.json: /);
        expect((error as Error).message).to.match(message);
      }
    });

    it("refuses the master unit as a redispatch unit", async () => {
      const x = withOperation({ units: unit0({ gen: 1 }) });
      const e = await rejection(runPeriod(x, { periodStart: START }));
      expect(e).to.be.instanceOf(CaseDataError);
      expect(e.message).to.match(/^operation\.units: gen 1 is the master \(slack\) unit/);
    });

    it("a case without operation data: a clear error, unless the operation is passed in", async () => {
      const { operation: _operation, ...rest } = raw;
      const bare = parseJsonCase(JSON.stringify(rest), "bare.json");
      expect(bare.operation).to.equal(undefined);
      const e = await rejection(runPeriod(bare, { periodStart: START }));
      expect(e).to.be.instanceOf(CaseDataError);
      expect(e.message).to.match(/^seed34: no operation data: a period needs line limits and redispatch units/);
      const r = await runPeriod(bare, { periodStart: START }, { operation: operationOf(c) });
      expect(r.redispatch.status).to.equal("solved");
    });
  });

  describe("MATPOWER cases from ../shared with tightened limits", function () {
    requireMatpower();
    // The most loaded lines limited to 90 % of their present flow; every other unit redispatchable
    // at its gencost price. case118 with 10 lines needs the AC corrections to converge with AC
    // sensitivities; case1354pegase also has lines over their MVA rating (RATE_A).
    const scenarios = [
      { name: "case118", congestedLines: 5 },
      { name: "case118", congestedLines: 10 },
      { name: "case1354pegase", congestedLines: 20 },
    ];
    const loaded = new Map<string, { c: PowerCase; flow: PowerFlowResult }>();
    const scenario = (name: string, congestedLines: number): { c: PowerCase; flow: PowerFlowResult } => {
      const key = `${name}/${congestedLines}`;
      let s = loaded.get(key);
      if (!s) {
        const raw = loadCase(casePath(name));
        const flow = runPowerFlow(raw);
        const c = { ...raw, operation: defaultOperation(raw, flow, { congestedLines, limitFraction: 0.9 }) };
        s = { c, flow };
        loaded.set(key, s);
      }
      return s;
    };

    for (const { name, congestedLines } of scenarios) {
      for (const sensitivity of ["ac", "dc"] as const) {
        it(`${name}, ${congestedLines} lines limited: every violation removed, confirmed by AC (${sensitivity} sensitivities)`, async () => {
          const { c, flow } = scenario(name, congestedLines);
          const before = checkLimits(c, flow);
          expect(before.lines.filter((v) => v.kind === "active")).to.have.length(congestedLines);
          if (name === "case1354pegase") expect(before.lines.some((v) => v.kind === "apparent")).to.equal(true);
          const rd = await redispatchCase(c, flow, { sensitivity });
          const label = `${name}/${congestedLines}/${sensitivity}`;
          expect(rd.status, label).to.equal("solved");
          expect(rd.unmet, label).to.deep.equal([]);
          expectAcConfirmed(label, c, rd);
          expectAdjustmentsWithinBounds(label, c, rd);
          const prices = nodalPriceList(rd);
          expect(prices).to.have.length(c.bus.length);
          expectNoProfitableMove(label, c, rd, prices);
        });
      }
    }

    it("case118: one LP round on DC sensitivities alone leaves lines over their limits; the AC rounds fix it", async () => {
      const { c, flow } = scenario("case118", 5);
      const once = await redispatchCase(c, flow, { sensitivity: "dc", maxRounds: 1 });
      expect(once.rounds).to.equal(1);
      expect(once.violations.lines.length).to.be.greaterThan(0);
      expect(once.status).to.equal("infeasible");
      expect(once.unmet[0].description).to.match(/is still over its limit after 1 rounds$/);
      const full = await redispatchCase(c, flow, { sensitivity: "dc" });
      expect(full.rounds).to.be.greaterThan(1);
      expect(full.violations.ok).to.equal(true);
    });
  });
});

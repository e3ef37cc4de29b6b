/**
 * The decision chain after the limit check (2 of 3): a three-bus case solved by hand (DC
 * sensitivities: adjustments, cost, binding line, λ and every nodal price), and case118 from
 * ../shared with tightened limits (skipped without ../shared).
 */
import { expect } from "chai";
import {
  checkLimits,
  defaultOperation,
  loadCase,
  meanActiveFlow,
  nodalPriceList,
  nodalPrices,
  priceOffers,
  runPowerFlow,
  type PowerCase,
  type PowerFlowResult,
  type Redispatch,
} from "../../../oracle";
import { casePath, requireMatpower } from "../helpers";
import {
  START,
  redispatchCase,
  expectAcConfirmed,
  expectAdjustmentsWithinBounds,
  expectNoProfitableMove,
} from "./redispatch-fixtures";

describe("redispatch, nodal prices and offers", function () {
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

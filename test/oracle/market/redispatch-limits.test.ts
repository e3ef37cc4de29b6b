/**
 * The decision chain after the limit check (3 of 3): limits that cannot be met (status infeasible,
 * naming the lines) and bad input (an error naming the problem).
 */
import { readFileSync } from "node:fs";
import { expect } from "chai";
import {
  BRANCH,
  CaseDataError,
  CaseFormatError,
  InputError,
  PowerFlowNotConvergedError,
  loadCase,
  parseJsonCase,
  runPeriod,
  runPowerFlow,
  type Forecasts,
  DEFAULT_LIMIT_VIOLATION_PRICE,
  type PowerCase,
} from "../../../oracle";
import { sixBusCase } from "../fixtures";
import {
  SEED34,
  START,
  PRICE_TOL,
  MW_TOL,
  setCell,
  operationOf,
  redispatchCase,
  rejection,
} from "./redispatch-fixtures";

describe("redispatch, nodal prices and offers", function () {
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
});

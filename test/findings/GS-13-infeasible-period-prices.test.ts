/**
 * GS-13 (medium): when a period's redispatch could not bring a line within its limit, the LP met
 * the limit with elastic slack at a solver constant of 1e7 USD/MWh, that constant became the
 * line's shadow price, and the nodal prices built on it priced the period's offers at thousands of
 * USD per kWh. The centre posts what its vault covers, so a well-funded centre paid them (the day
 * simulation filled 50 kWh for 787 USD on a radial seed34). v2 prices a limit it cannot meet at
 * the market's published limit-violation price (default 5,000 USD/MWh, above every bid), so every
 * offer stays within λ plus that penalty.
 */
import { expect } from "chai";
import { BRANCH, DEFAULT_LIMIT_VIOLATION_PRICE, loadCase, runPeriod } from "../../oracle";
import { SEED34 } from "../oracle/agents/world-fixture";

describe("GS-13: a period with a limit it cannot meet prices its offers at the published penalty, not a solver constant", () => {
  it("seed34 with 24-27 limited to 0.6 MW: every offer ≤ (λ + 5,000 USD/MWh), the unmet line's μ is the penalty", async () => {
    const c = loadCase(SEED34);
    if (!c.operation) throw new Error("seed34 has operation data");
    const limits = c.branch.map((b) => (b[BRANCH.F_BUS] === 24 && b[BRANCH.T_BUS] === 27 ? 0.6 : 0.75));
    const r = await runPeriod(c, { periodStart: 0 }, { operation: { ...c.operation, branchActiveLimitMW: limits } });
    expect(r.redispatch.status).to.equal("infeasible");
    expect(r.offers).to.have.length.greaterThan(0);
    const lambda = r.redispatch.energyPrice;
    for (const o of r.offers) {
      expect(o.priceUsdPerMWh, `gen ${o.genRow}: USD/MWh`).to.be.at.most(lambda + DEFAULT_LIMIT_VIOLATION_PRICE);
      expect(o.usd, `gen ${o.genRow}: USD for ${o.kwh} kWh`).to.be.at.most(
        (o.kwh / 1000) * (lambda + DEFAULT_LIMIT_VIOLATION_PRICE),
      );
    }
    const mu = r.redispatch.bindingLines.find((b) => b.from === 24 && b.to === 27)?.shadowPrice;
    expect(mu).to.be.closeTo(DEFAULT_LIMIT_VIOLATION_PRICE, 1e-6 * DEFAULT_LIMIT_VIOLATION_PRICE);
  });
});

/**
 * `npm run demo -- --scenario bids` on Hardhat's in-process network (issue #25): three generators
 * bid sealed; the centre's study selects among the revealed bids; each selected generator fills
 * its reserved offer and is paid, on full delivery, its own bid (pay-as-bid) or its node's LMP,
 * never below its bid (nodal) — recomputed here from the selection, step by step.
 */
import { expect } from "chai";
import { energyPayment, usdPerMWhToUnits } from "../../../oracle/chain/units";
import { runBidsDemo, type BidsDemoSummary } from "../../../scripts/demo-bids";

const quiet = { log: (): void => undefined };

/** What a node's selected steps pay under the rule, 1e-8 USD (the bid book's rounding). */
function expectedUsd(s: BidsDemoSummary, node: number): number {
  const steps = s.selection.filter((x) => x.node === node);
  const units = energyPayment(
    steps.map((x) => ({ wh: BigInt(Math.round(x.kwh * 1000)), usdPerMWh: usdPerMWhToUnits(x.paidUsdPerMWh) })),
  );
  return Number(units) / 1e8;
}

describe("npm run demo -- --scenario bids (in-process network)", function () {
  for (const pricingRule of ["pay-as-bid", "nodal"] as const) {
    it(`${pricingRule}: sealed before the gate, revealed, selected, filled and settled as the rule says`, async function () {
      const s = await runBidsDemo({ ...quiet, pricingRule });
      expect(s.sealedBeforeGate).to.equal(3);
      expect(s.revealed).to.equal(3);
      expect(s.verified).to.equal(true);
      expect(s.operatorsAgreeing).to.equal(3);
      expect(s.selection.length).to.be.greaterThan(0);
      for (const step of s.selection) {
        if (pricingRule === "pay-as-bid") expect(step.paidUsdPerMWh).to.equal(step.bidUsdPerMWh);
        else expect(step.paidUsdPerMWh).to.be.closeTo(Math.max(step.nodalUsdPerMWh, step.bidUsdPerMWh), 1e-9);
      }
      const nodes = [...new Set(s.selection.map((x) => x.node))].sort();
      expect(s.fills.map((f) => f.node).sort()).to.deep.equal(nodes);
      for (const node of nodes) {
        const kwh = s.selection.filter((x) => x.node === node).reduce((a, x) => a + x.kwh, 0);
        const fill = s.fills.find((f) => f.node === node)!;
        expect(fill.kwh).to.be.closeTo(kwh, 1e-9);
        expect(fill.usd).to.equal(expectedUsd(s, node));
        // Full delivery: paid what was filled.
        expect(s.settlements.find((x) => x.node === node)).to.deep.equal({
          node,
          deliveredKwh: fill.kwh,
          usd: fill.usd,
        });
      }
    });
  }
});

/**
 * GS-07 (low): in v1 an offer that rounded to 0 Wh or 0 USD units made `publish` revert
 * (ZeroAmount) and, the whole step being retried, aborted the period's publishing on every retry.
 * v2 drops such an offer with a logged reason, posts the others, and gives each offer its own
 * error path.
 */
import { expect } from "chai";
import type { PlannedOffer } from "../../oracle/agents/centre";
import { toOfferData } from "../../oracle/chain/encode";
import { testWorld, start } from "../oracle/agents/world-fixture";

describe("GS-07: an offer that rounds to nothing is dropped with its reason; the others are posted", () => {
  it("encodes nothing for 0.0004 kWh or 0.000000004 USD, and says why", () => {
    const base = {
      genRow: 3,
      node: 27,
      direction: "decrease" as const,
      mw: 0.001,
      kwh: 0.5,
      priceUsdPerMWh: 15,
      usd: 0.0075,
      bidUsdPerMWh: 15,
      nodalUsdPerMWh: 15,
      pricingRule: "nodal" as const,
      periodStart: 0,
      periodEnd: 1800,
    };
    const terms = {
      centre: "0x0000000000000000000000000000000000000001",
      period: 1,
      justification: 0,
      deadline: 1,
      epoch: 0,
    };
    expect(toOfferData({ ...base, kwh: 0.0004 }, terms)).to.deep.equal({ dropped: "0.0004 kWh rounds to 0 Wh" });
    expect(toOfferData({ ...base, usd: 4e-9 }, terms)).to.deep.equal({
      dropped: "4e-9 USD rounds to 0 units of 1e-8 USD",
    });
    expect(toOfferData(base, terms)).to.have.property("offer");
  });

  it("the centre posts the sound offer of the period and logs the dropped one", async () => {
    let trade = true;
    const w = await testWorld([{ node: 27 }], {
      offersFor: (study): PlannedOffer[] => {
        if (!trade) return [];
        trade = false;
        const o = study.offers.find((x) => x.node === 27);
        return o ? [{ ...o, kwh: 0.0004, usd: 0.000006, part: 1 }, o] : [];
      },
    });
    await start(w);
    const run = await w.pipeline.run();
    expect(run.centre.dropped).to.deep.equal(["gen 3 at node 27: 0.0004 kWh rounds to 0 Wh"]);
    expect(run.centre.posted.map((p) => p.offer.amountWh)).to.deep.equal([1953n]);
    expect(w.logs.centre.some((l) => /dropped — 0\.0004 kWh rounds to 0 Wh/.test(l))).to.equal(true);
    expect(run.generators[0].poll.filled).to.have.length(1);
  });
});

/**
 * GS-14 (high): the "nominated" baseline belonged to the node, not to the generator: the centre
 * measured every wallet at a node against the schedule of the case's unit there. A second wallet
 * registered at node 27 that changed nothing was measured against node 27's unit schedule
 * (320,201 Wh) and paid 3,266,741 of 3,266,741 USD units (the reviewer's proof of concept on v2,
 * commit 8d14c3d); and a wallet the node lookup placed elsewhere was measured against the wrong
 * unit — an honest full delivery settled at 0 USD with a 1,089-Wh penalty. This test cannot run on
 * v2 as written (v3 changed the fill and settlement interfaces); it asserts the fixed behaviour.
 * v3: each generator nominates its own planned output with its first fill of a period (its book
 * holds it); the oracle measures it by its own meter against that nomination (bounded by its
 * metered history) — the node and the case's units play no part. Two wallets at one node are
 * measured independently.
 */
import { expect } from "chai";
import { meanPowerMwToWh } from "../../oracle/agents/metering";
import type { PlannedOffer } from "../../oracle/agents/centre";
import { testWorld, start } from "../oracle/agents/world-fixture";

describe("GS-14: a generator's baseline is its own", () => {
  it("two wallets at node 27: the one that changed nothing is paid nothing; the one that delivered is paid in full", async () => {
    let trade = true;
    // Two halves of node 27's offer, one reserved for each wallet (addresses known once the world is built).
    const wallets: string[] = [];
    const halves = (offers: readonly PlannedOffer[]): PlannedOffer[] => {
      const o = offers.find((x) => x.node === 27);
      if (!o) return [];
      const half = { ...o, kwh: o.kwh / 2, usd: o.usd / 2 };
      return [
        { ...half, part: 0, reservedFor: wallets[0] },
        { ...half, part: 1, reservedFor: wallets[1] },
      ];
    };
    const w = await testWorld(
      [
        { node: 27 }, // the unit at node 27: plans its schedule, delivers in full
        { node: 27, plannedMW: 0.02, behaviour: () => 0 }, // a small second wallet that changes nothing
      ],
      { offersFor: (study) => (trade ? ((trade = false), halves(study.offers)) : []) },
    );
    wallets.push(...w.generators.map((g) => g.wallet.address));
    await start(w);
    const traded = await w.pipeline.run();
    const [a, b] = traded.generators.map((g) => g.poll.filled[0]?.fill);
    expect(a?.amountWh, "the unit filled its half").to.equal(976n);
    expect(b?.amountWh, "the second wallet filled its half").to.equal(976n);
    // Each book holds its own nomination: the unit's schedule, and 0.02 MW × 0.5 h = 10 kWh.
    const T = w.periodSeconds;
    expect(b?.nominatedWh).to.equal(meanPowerMwToWh(0.02, T));
    expect(a?.nominatedWh).to.equal(meanPowerMwToWh(traded.delivery[0].scheduledMW, T));
    await w.pipeline.run();
    const measuredIn = await w.pipeline.run();
    const [ma, mb] = w.generators.map((g) =>
      measuredIn.centre.measurements.find(
        (m) => m.generator === g.wallet.address && m.period === traded.deliveryPeriod,
      ),
    );
    expect([mb?.baselineWh, mb?.deliveredWh], "the wallet's own nomination, not the unit's schedule").to.deep.equal([
      meanPowerMwToWh(0.02, T),
      0n,
    ]);
    expect([ma?.baselineWh, ma?.deliveredWh]).to.deep.equal([a?.nominatedWh, -976n]);
    const settledIn = await w.pipeline.run();
    const [pa, pb] = settledIn.generators.map((g) => g.poll.settled.find((s) => s.period === traded.deliveryPeriod));
    expect([pa?.settlement.paidWh, pa?.settlement.penaltyWh], "the unit: paid in full").to.deep.equal([976n, 0n]);
    expect(pa?.settlement.usdToGenerator).to.be.greaterThan(0n);
    expect(
      [pb?.settlement.paidWh, pb?.settlement.usdToGenerator, pb?.settlement.penaltyWh],
      "the wallet that changed nothing: paid nothing, half its commitment forfeited",
    ).to.deep.equal([0n, 0n, 488n]); // ⌈976 / 2⌉
  });
});

/**
 * GS-10 (medium): v1 "measured" nothing — CentreAgent.measure defaulted to full delivery of every
 * accepted offer — and the next load flow applied the promised moves, so its report described a
 * grid that never changed. v2 measures delivered = actual − baseline from meter readings (here the
 * simulated meters of a generator that delivers nothing), reports that, settles by it, and the
 * grid as it ran is solved with what was delivered.
 */
import { expect } from "chai";
import { Quality } from "../../oracle/chain/enums";
import { testWorld, start } from "../oracle/agents/world-fixture";

describe("GS-10: settlement and the grid follow measured delivery, not the promise", () => {
  it("a generator that delivers nothing is measured at 0 Wh, paid nothing, and 24-27 runs over its limit", async () => {
    let trade = true;
    const w = await testWorld([{ node: 27, behaviour: () => 0 }], {
      offersFor: (study) => (trade ? ((trade = false), study.offers.filter((o) => o.node === 27)) : []),
    });
    await start(w);
    const traded = await w.pipeline.run();
    const fill = traded.generators[0].poll.filled[0];
    expect(fill, "the node-27 generator committed").to.not.equal(undefined);
    // The grid as it ran: the schedule, not the promised −1.953 kWh, so 24-27 is over 0.75 MW again.
    const d = traded.delivery[0];
    expect(d.actualMW).to.equal(d.scheduledMW);
    expect(traded.actual.limits.lines.map((v) => `${v.from}-${v.to}`)).to.include("24-27");
    await w.pipeline.run();
    const measuredIn = await w.pipeline.run();
    const m = measuredIn.centre.measurements.find((x) => x.period === traded.deliveryPeriod);
    expect(m, "measured in the report after the delivery period").to.not.equal(undefined);
    expect(m?.deliveredWh).to.equal(0n);
    expect(m?.quality).to.equal(Quality.Ok);
    const settledIn = await w.pipeline.run();
    const paid = settledIn.generators[0].poll.settled.find((s) => s.period === fill.fill.period);
    expect(paid?.settlement.deliveredWh).to.equal(0n);
    expect(paid?.settlement.usdToGenerator).to.equal(0n);
    expect(paid?.settlement.penaltyWh).to.equal(977n); // half of the 1,953 Wh shortfall, rounded up
  });
});

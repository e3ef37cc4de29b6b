/**
 * GS-22 (medium): one bad reading stopped everyone. One duplicate record from one meter blocked
 * the report, the other generator's measurement and all new offers for three periods, and would
 * until that position unwound; a quoted CSV field, an extra field, bad JSON, a wrongly signed
 * reading or a meter endpoint answering HTTP 500 did the same. On main before issue #21 (fd536b8)
 * this test fails: no report, no offers.
 * Now meter data is screened per meter and period (docs/metering.md, "Isolation"): the bad meter's
 * measurement is BAD with its reason, every other measurement is reported and settled, and offers
 * go on — measuring and offering are independent.
 */
import { expect } from "chai";
import { Quality } from "../../oracle/chain/enums";
import { testWorld, start } from "../oracle/agents/world-fixture";

describe("GS-22: one bad meter stops only itself", () => {
  it("node 27's meter sends two different readings: it is BAD; node 2 is measured and paid; offers are posted", async () => {
    let trade = true;
    const w = await testWorld([{ node: 2 }, { node: 27 }], {
      // Node 2's and node 27's offers once, then node 2's every period (offers must go on).
      offersFor: (study) =>
        trade
          ? ((trade = false), study.offers.filter((o) => [2, 27].includes(o.node)))
          : study.offers.filter((o) => o.node === 2),
      operatorMeters: (_i, meters) => ({
        description: "meters where node 27's meter answers twice, differently",
        read: async (q) => {
          const batch = await meters.read(q);
          const bad = w.generators[1].meter.address.toLowerCase();
          const twins = batch.readings
            .filter((r) => r.meter.toLowerCase() === bad)
            .map((r) => ({ ...r, energyWh: r.energyWh + 500n, origin: "a second head-end" }));
          return { ...batch, readings: [...batch.readings, ...twins] };
        },
      }),
    });
    await start(w);
    const traded = await w.pipeline.run();
    const [fill2, fill27] = traded.generators.map((g) => g.poll.filled[0]?.fill);
    expect(fill2 && fill27, "both filled").to.not.equal(undefined);
    await w.pipeline.run();
    const measuredIn = await w.pipeline.run();
    expect(measuredIn.centre.reported, "the report lands").to.equal(true);
    const byGenerator = new Map(
      measuredIn.centre.measurements.filter((m) => m.period === traded.deliveryPeriod).map((m) => [m.generator, m]),
    );
    expect(byGenerator.get(fill27!.generator)?.quality).to.equal(Quality.Bad);
    expect(byGenerator.get(fill2!.generator)?.quality).to.equal(Quality.Ok);
    expect(measuredIn.centre.posted.length, "offers go on").to.be.greaterThan(0);
    const paid = [await w.pipeline.run(), await w.pipeline.run()]
      .flatMap((r) => r.generators.flatMap((g) => g.poll.settled))
      .filter((p) => p.period === traded.deliveryPeriod);
    const two = paid.find((p) => p.generator === fill2!.generator);
    expect(two?.settlement.paidWh, "node 2 paid in full").to.equal(fill2!.amountWh);
    // Node 27's stays BAD through the window (nothing corrects conflicting meter data): no delivery credited.
    const seven = paid.find((p) => p.generator === fill27!.generator);
    expect([seven?.settlement.paidWh, seven?.settlement.quality]).to.deep.equal([0n, Quality.Bad]);
  });
});

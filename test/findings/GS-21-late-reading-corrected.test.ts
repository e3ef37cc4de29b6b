/**
 * GS-21 (medium): nothing ever corrected a measurement. Readings that arrived 60 s late were
 * reported MISSING and never measured again; the position unwound: the non-deliverer kept its whole
 * commitment and the deliverer was paid 0. No code called correctMeasurement. On main before issue
 * #21 (fd536b8) this test fails: the measurement stays MISSING and nobody is paid.
 * Now the oracle operators correct, with their quorum and the same independence as a report, a
 * MISSING or BAD measurement for which a reading arrives inside the dispute window; and a
 * measurement still MISSING when the window closes settles as no delivery (the penalty applies),
 * so withholding meter data never beats delivering.
 */
import { expect } from "chai";
import { ethers } from "hardhat";
import { MeasurementState, Quality } from "../../oracle/chain/enums";
import { testWorld, start } from "../oracle/agents/world-fixture";

describe("GS-21: a late reading is corrected inside the dispute window and the deliverer is paid", () => {
  it("the reading arrives 60 s after the report that found it MISSING: corrected, then paid in full", async () => {
    let trade = true;
    let lateFrom = Number.POSITIVE_INFINITY; // chain time from which the late reading is visible
    let latePeriod = -1;
    const w = await testWorld([{ node: 2 }, { node: 27 }], {
      offersFor: (study) => (trade ? ((trade = false), study.offers.filter((o) => [2, 27].includes(o.node))) : []),
      operatorMeters: (_i, meters) => ({
        description: "meters whose node-27 reading of the traded period comes late",
        read: async (q) => {
          const batch = await meters.read(q);
          const now = (await ethers.provider.getBlock("latest"))!.timestamp;
          const late = (r: { meter: string; period: number }) =>
            r.meter.toLowerCase() === w.generators[1].meter.address.toLowerCase() && r.period === latePeriod;
          return { ...batch, readings: batch.readings.filter((r) => !late(r) || now >= lateFrom) };
        },
      }),
    });
    await start(w);
    const traded = await w.pipeline.run();
    const fills = traded.generators.map((g) => g.poll.filled[0]?.fill);
    expect(
      fills.every((f) => f !== undefined),
      "both generators filled",
    ).to.equal(true);
    latePeriod = traded.deliveryPeriod;
    // The report that measures the delivery comes 5 s into the next period; the reading 60 s after it.
    lateFrom = (latePeriod + 1) * w.periodSeconds + 5 + 60;
    await w.pipeline.run(); // the delivery period
    const measuredIn = await w.pipeline.run();
    const late = w.generators[1].wallet.address;
    const reported = measuredIn.centre.measurements.filter((m) => m.period === latePeriod);
    expect(reported.find((m) => m.generator === late)?.quality, "node 27: MISSING at the report").to.equal(
      Quality.Missing,
    );
    expect(reported.find((m) => m.generator !== late)?.quality, "node 2: measured").to.equal(Quality.Ok);
    // Near the period's end (inside the dispute window) the operators corrected it.
    expect(measuredIn.operators.flatMap((t) => t.corrected).map((k) => k.generator)).to.include(late);
    const record = await w.contracts.oracle.exceptionOf(latePeriod, late);
    expect([Number(record.state), Number(record.quality)]).to.deep.equal([MeasurementState.Corrected, Quality.Ok]);
    const next = await w.pipeline.run();
    const paid = [...measuredIn.generators, ...next.generators].flatMap((g) => g.poll.settled);
    const mine = paid.find((p) => p.generator === late && p.period === latePeriod);
    expect([mine?.settlement.paidWh, mine?.settlement.penaltyWh]).to.deep.equal([fills[1]!.amountWh, 0n]);
  });
});

/**
 * GS-19 (high): the centre agent held the oracle's quorum. `agent:centre` had to be given k oracle
 * keys (ORACLE_KEYS) and signed every report itself; the centre is a counterparty (it pays the
 * USD), and with only the keys it was given its host reported 0 Wh for a full delivery, got its USD
 * back and took the penalty. On main before issue #21 (fd536b8) the centre built and signed that
 * report alone, and it landed; this test fails there (CentreAgent takes oracle keys, not operators).
 * Now the centre holds no oracle key: it proposes, and independent operators sign only what they
 * compute themselves from their own meter data — they refuse the false measurement, saying why, no
 * report lands from the centre, an operator stands in with the true one, and the deliverer is paid.
 */
import { expect } from "chai";
import { Quality } from "../../oracle/chain/enums";
import { testWorld, start } from "../oracle/agents/world-fixture";

describe("GS-19: a centre without oracle keys cannot land a false measurement", () => {
  it("two honest operators refuse the centre's 0 Wh for a full delivery; a stand-in lands the truth; the deliverer is paid", async () => {
    let trade = true;
    const w = await testWorld([{ node: 27 }], {
      offersFor: (study) => (trade ? ((trade = false), study.offers.filter((o) => o.node === 27)) : []),
      // The dishonest centre: every delivery it proposes is measured as nothing (actual = baseline).
      tamper: (report) => ({
        ...report,
        measurements: report.measurements.map((m) => ({ ...m, actualWh: m.baselineWh, deliveredWh: 0n })),
      }),
    });
    await start(w);
    const traded = await w.pipeline.run();
    const fill = traded.generators[0].poll.filled[0]?.fill;
    expect(fill, "the generator filled node 27's offer").to.not.equal(undefined);
    await w.pipeline.run(); // the delivery period: delivered in full
    const measuredIn = await w.pipeline.run();

    // The centre's proposal: refused by every operator, each naming the measurement and both values.
    expect(measuredIn.centre.reported).to.equal(false);
    expect(measuredIn.centre.refusals.length).to.be.at.least(2);
    for (const r of measuredIn.centre.refusals) {
      expect(r.reasons.join(" ")).to.match(
        new RegExp(
          `${fill!.generator.slice(0, 10)}@${fill!.period}: proposed actual \\d+ Wh, .* I measure actual \\d+ Wh`,
        ),
      );
    }
    // A stand-in operator landed the period's report with the true measurement.
    const standIn = measuredIn.operators.find((t) => t.reported === measuredIn.period);
    expect(standIn, "an operator stood in for the missing report").to.not.equal(undefined);
    const logs = await w.contracts.oracle.queryFilter(
      w.contracts.oracle.filters.MeasurementReported(fill!.period, fill!.generator),
    );
    expect(logs).to.have.length(1);
    expect(Number(logs[0].args.reportPeriod)).to.equal(measuredIn.period);
    expect(logs[0].args.deliveredWh).to.equal(-fill!.amountWh); // the decrease it committed to, in full
    expect(Number(logs[0].args.quality)).to.equal(Quality.Ok);

    // Final one dispute window later: paid in full, no penalty.
    const settledIn = [await w.pipeline.run(), await w.pipeline.run()];
    const paid = settledIn.flatMap((r) => r.generators.flatMap((g) => g.poll.settled));
    const mine = paid.find((p) => p.period === fill!.period);
    expect([mine?.settlement.paidWh, mine?.settlement.penaltyWh]).to.deep.equal([fill!.amountWh, 0n]);
    expect(mine?.settlement.usdToGenerator).to.equal(fill!.usd);
  });
});

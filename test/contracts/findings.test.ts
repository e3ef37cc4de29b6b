/**
 * One regression test per security finding (Seaport's test/findings convention).
 *
 * F-1 (double payment): one measured delivery settled several offers of the same generator and
 *     period in full. Fixed: a delivery is credited once, in settlement order (`creditedWh`).
 * F-2 (risk-free late acceptance): an offer could be accepted in the first second after its
 *     delivery period — the second in which that period's measurement can already be reported —
 *     so a generator could back-run the report and accept only offers it had already delivered.
 *     Fixed: expiry must be strictly before the delivery period ends.
 */
import { expect } from "chai";
import { loadFixture, time } from "@nomicfoundation/hardhat-network-helpers";
import { deployMarket, KWH, paperReport, PERIOD_SECONDS, USD } from "./fixture";

describe("findings", () => {
  it("F-1: a 2.3 kWh delivery pays one 2.3 kWh offer, not two", async () => {
    const f = await loadFixture(deployMarket);
    await f.market.connect(f.centre).publish(f.paperOffer());
    await f.market.connect(f.centre).publish(f.paperOffer());
    await f.market.connect(f.gen27).accept(1);
    await f.market.connect(f.gen27).accept(2);
    await time.increaseTo(f.start + PERIOD_SECONDS);
    const delivery = { period: f.period, generator: f.gen27.address, adjustmentWh: -KWH("2.3") };
    await f.gridOracle.connect(f.oracle).submitReport(paperReport(f.period + 1n, [delivery]), []);
    const before = await f.usd.balanceOf(f.gen27.address);
    await f.market.settleMany([1, 2]);
    expect((await f.usd.balanceOf(f.gen27.address)) - before).to.equal(USD("0.25266763"));
  });

  it("F-2: no offer can still be open when its delivery period's measurement can be reported", async () => {
    const f = await loadFixture(deployMarket);
    const periodEnd = (f.period + 1n) * PERIOD_SECONDS;
    const now = BigInt(await time.latest()) + 1n;
    await time.setNextBlockTimestamp(now);
    await expect(f.market.connect(f.centre).publish(f.paperOffer({ expiry: periodEnd })))
      .to.be.revertedWithCustomError(f.market, "BadExpiry")
      .withArgs(periodEnd, now, periodEnd);
    await f.market.connect(f.centre).publish(f.paperOffer({ expiry: periodEnd - 1n }));
    await time.increaseTo(periodEnd); // the report for the next period is possible from now on
    await expect(f.market.connect(f.gen27).accept(1))
      .to.be.revertedWithCustomError(f.market, "OfferExpired")
      .withArgs(1, periodEnd - 1n);
  });
});

/**
 * GS-18 (low): a position could be unwound at its grace deadline while a reported measurement
 * was still inside its dispute window: the centre unwound a measured 100 % delivery, and after an
 * outage the agent reported a delivery and unwound it in the same step. On v2 (commit 8d14c3d)
 * this test fails: "Expected transaction to be reverted" (the unwind went through).
 * v3: a book unwinds only from the later of its grace deadline and the end of the dispute window
 * of any measurement reported or corrected for it (unwindableAt), and never with a final usable
 * measurement.
 */
import { expect } from "chai";
import { time } from "@nomicfoundation/hardhat-network-helpers";
import { loadFixture } from "../fixture-clock";
import {
  deployMarket,
  fillOffer,
  KWH,
  measurement,
  paperOffer,
  paperReport,
  submitReport,
  settleArgs,
} from "../contracts/fixtures";

describe("GS-18: no unwind while a measurement can still become final", () => {
  it("a delivery reported just before the grace deadline is not unwound in its dispute window, and then settles", async () => {
    const f = await loadFixture(deployMarket);
    const offer = paperOffer(f);
    const fill = await fillOffer(f, offer, f.gen27);
    const delivery = BigInt(offer.period);
    const grace = BigInt((await f.market.terms()).settlementGraceSeconds);
    await time.increaseTo((delivery + 1n) * f.periodSeconds + grace - 5n);
    const reportPeriod = BigInt(await time.latest()) / f.periodSeconds;
    await submitReport(f, paperReport(reportPeriod, [measurement(f.gen27.address, delivery, -KWH("2.3"))]));
    await time.increaseTo((delivery + 1n) * f.periodSeconds + grace);
    await expect(f.market.unwind(...(await settleArgs(f, f.gen27.address, fill.period)))).to.be.revertedWithCustomError(
      f.market,
      "NotUnwindableYet",
    );
    await time.increase(BigInt(f.params.disputeWindowSeconds));
    await expect(f.market.unwind(...(await settleArgs(f, f.gen27.address, fill.period))))
      .to.be.revertedWithCustomError(f.market, "DeliveryMeasured")
      .withArgs(f.gen27.address, fill.period);
    await expect(f.market.settle(...(await settleArgs(f, f.gen27.address, fill.period)))).to.emit(f.market, "Settled");
  });
});

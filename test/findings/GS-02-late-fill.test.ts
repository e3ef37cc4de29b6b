/**
 * GS-02 (medium): acceptance stayed open until the last second of the delivery period, so a
 * generator that watched its own meter could accept only what it had already delivered.
 * Safe outcome: no acceptance once the delivery period has started.
 */
import { expect } from "chai";
import { loadFixture, time } from "@nomicfoundation/hardhat-network-helpers";
import { deployMarket, PERIOD_SECONDS } from "../contracts/fixture";

describe("GS-02: gate closure", () => {
  it("an offer cannot be taken after its delivery period has started", async () => {
    const f = await loadFixture(deployMarket);
    // An offer for the next period, fillable (by its own terms) until late in that period.
    const next = f.period + 1n;
    await f.market
      .connect(f.centre)
      .publish(f.paperOffer({ period: next, expiry: (next + 1n) * PERIOD_SECONDS - 2n }));
    // The generator watches its meter for most of the delivery period, then accepts.
    await time.increaseTo((next + 1n) * PERIOD_SECONDS - 60n);
    await expect(f.market.connect(f.gen27).accept(1)).to.be.reverted;
  });
});

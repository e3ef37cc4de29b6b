/**
 * GS-02 (medium): in v1 acceptance stayed open until the last second of the delivery period, so a
 * generator that watched its own meter could accept only what it had already delivered (the v1
 * version, commit 99c90d7, fails on b17cdb7: the late accept succeeds).
 * v2: gate closure — every fill happens before its delivery period starts (less the margin),
 * whatever deadline the offer states.
 */
import { expect } from "chai";
import { time } from "@nomicfoundation/hardhat-network-helpers";
import { loadFixture } from "../fixture-clock";
import { OfferStatus } from "../../oracle/chain/enums";
import { deployMarket, FAR, paperOffer, PAPER_WH, sign } from "../contracts/fixtures";

describe("GS-02: gate closure", () => {
  it("an offer cannot be filled after its delivery period has started, even with a later deadline", async () => {
    const f = await loadFixture(deployMarket);
    const next = f.period + 1n;
    const offer = paperOffer(f, { period: next, deadline: FAR });
    // The generator watches its meter for most of the delivery period, then tries to fill.
    await time.increaseTo((next + 1n) * f.periodSeconds - 60n);
    await expect(f.market.connect(f.gen27).fill(offer, await sign(f, offer), PAPER_WH, 0n))
      .to.be.revertedWithCustomError(f.market, "OfferNotOpen")
      .withArgs(await f.market.hashOffer(offer), OfferStatus.Closed);
  });
});

/**
 * GS-17 (low): partial fills did not use up the nonce: two different signed offers under one
 * nonce filled 4,600 Wh where the centre meant 2,300. On v2 (commit 8d14c3d) this test fails:
 * "Expected transaction to be reverted" (the second offer filled).
 * v3: the nonce is the offer's identity. A whole fill spends its bit; a partial fill binds the
 * nonce to that offer (its hash) with the Wh taken, so no other offer under the nonce can be
 * filled and one nonce never commits more than the first filled offer's amount.
 */
import { expect } from "chai";
import { loadFixture } from "../fixture-clock";
import { OfferStatus } from "../../oracle/chain/enums";
import { BASELINE_WH, deployMarket, fillOffer, paperOffer, PAPER_WH, sign } from "../contracts/fixtures";

describe("GS-17: one nonce, one offer", () => {
  it("a second offer under a nonce a partial fill used is refused; the nonce commits at most the first's amount", async () => {
    const f = await loadFixture(deployMarket);
    const a = paperOffer(f, { nonce: 777n });
    const b = paperOffer(f, { nonce: 777n, usd: BigInt(a.usd) + 1n });
    await fillOffer(f, a, f.gen27, PAPER_WH - 1n);
    await expect(f.market.connect(f.gen27b).fill(b, await sign(f, b), PAPER_WH - 1n, BASELINE_WH))
      .to.be.revertedWithCustomError(f.market, "OfferNotOpen")
      .withArgs(await f.market.hashOffer(b), OfferStatus.NonceUsed);
    await fillOffer(f, a, f.gen27b, PAPER_WH);
    const committed =
      (await f.market.bookOf(f.gen27.address, a.period)).committedWh +
      (await f.market.bookOf(f.gen27b.address, a.period)).committedWh;
    expect(committed).to.equal(PAPER_WH);
  });
});

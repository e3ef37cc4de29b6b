/**
 * GS-16 (low): a fill of 1 Wh placed ahead of a generator's exact fill made it revert with
 * Overfill; the agent gave the offer up and the griefer took the remaining 2,299 Wh. On v2
 * (commit 8d14c3d) this test fails: "reverted with custom error 'Overfill(…, 1, 2300, 2300)'".
 * v3: a fill takes min(requested, remaining), refuses only less than the offer's signed minimum
 * (the last remainder excepted), so a sliver cannot make another fill fail — and the minimum
 * keeps slivers out. The agent re-reads and retries a partly taken offer
 * (test/oracle/agents/generator.test.ts).
 */
import { expect } from "chai";
import { loadFixture } from "@nomicfoundation/hardhat-network-helpers";
import { BASELINE_WH, deployMarket, fillOffer, paperOffer, PAPER_WH, sign } from "../contracts/fixtures";

describe("GS-16: fills cannot be griefed", () => {
  it("after a rival takes 1 Wh, an exact fill takes the 2,299 Wh left instead of reverting", async () => {
    const f = await loadFixture(deployMarket);
    const offer = paperOffer(f);
    await fillOffer(f, offer, f.gen27b, 1n);
    const fill = await fillOffer(f, offer, f.gen27, PAPER_WH);
    expect(fill.amountWh).to.equal(PAPER_WH - 1n);
  });

  it("with a signed minimum fill, a sliver is refused outright", async () => {
    const f = await loadFixture(deployMarket);
    const offer = paperOffer(f, { minFillWh: 115n }); // 5 %
    await expect(f.market.connect(f.gen27b).fill(offer, await sign(f, offer), 1n, BASELINE_WH))
      .to.be.revertedWithCustomError(f.market, "FillBelowMinimum")
      .withArgs(1n, 115n);
    expect((await fillOffer(f, offer, f.gen27, PAPER_WH)).amountWh).to.equal(PAPER_WH);
  });
});

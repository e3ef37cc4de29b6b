/**
 * The market's books (contracts/MarketBooks.sol) at their edges: a book that is not ready to
 * settle previews as not ready, a period no generator ever filled reads as an empty book (the
 * ring's entry 0 included), and a second fill must keep the book's baseline days, not only its
 * method. The rest of the books' life is in DemandResponseMarket.test.ts.
 */
import { expect } from "chai";
import { loadFixture } from "../fixture-clock";
import { BaselineMethod, BookState } from "../../oracle/chain/enums";
import { deployMarket, fillOffer, paperOffer, settleArgs, sign } from "./fixtures";

describe("MarketBooks: the books at their edges", () => {
  it("previews a filled book that has no measurement yet as not ready, with an empty settlement", async () => {
    const f = await loadFixture(deployMarket);
    const fill = await fillOffer(f, paperOffer(f), f.gen27);
    const [ready, s] = await f.market.previewSettlement(...(await settleArgs(f, f.gen27.address, fill.period)));
    expect(ready).to.equal(false);
    expect([s.committedWh, s.paidWh, s.usdToGenerator, s.usdToCentre]).to.deep.equal([0n, 0n, 0n, 0n]);
  });

  it("reads a period nobody filled as an empty book, period 0 (the ring's first entry) too", async () => {
    const f = await loadFixture(deployMarket);
    for (const period of [0n, f.period + 1n]) {
      const book = await f.market.bookOf(f.gen27.address, period);
      expect([book.period, book.state, book.committedWh], String(period)).to.deep.equal([period, BookState.None, 0n]);
    }
  });

  it("refuses a second fill whose baseline days differ from the book's, under the same method", async () => {
    const f = await loadFixture(deployMarket);
    const rolling = { baseline: BaselineMethod.RollingAverage, baselineDays: 5 };
    const first = await fillOffer(f, paperOffer(f, { ...rolling, amountWh: 1000n, maxFillWh: 1000n }), f.gen27);
    const other = paperOffer(f, { ...rolling, baselineDays: 6 });
    await expect(f.market.connect(f.gen27).fill(other, await sign(f, other), 100n, 0n))
      .to.be.revertedWithCustomError(f.market, "BaselineConflict")
      .withArgs(f.gen27.address, first.period, BaselineMethod.RollingAverage, 5);
  });
});

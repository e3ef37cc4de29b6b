/**
 * GS-03 (low): in v1 one measured delivery was credited to a generator's offers in settlement
 * order, and anyone can settle: with offers from two centres and delivery for one, whoever settled
 * first decided which centre paid (the v1 version, commit 99c90d7, fails on b17cdb7: the
 * second-filled centre pays).
 * v2 credited in fill order (committedBefore). v3 settles a generator's whole commitment in a
 * period at once — one book, one centre, one direction — so there is no order left to choose:
 * a second centre's offer to a generator already committed in that period is refused
 * (CentreConflict), and books of different generators settle alike in any order.
 */
import { expect } from "chai";
import { takeSnapshot, time } from "@nomicfoundation/hardhat-network-helpers";
import { loadFixture } from "../fixture-clock";
import {
  at,
  BASELINE_WH,
  deployMarket,
  fillOffer,
  measurement,
  paperOffer,
  paperReport,
  PAPER_WH,
  sign,
  submitReport,
  settleArgs,
} from "../contracts/fixtures";

describe("GS-03: settlement cannot depend on who settles first", () => {
  it("one book per generator and period: a second centre's offer is refused; books settle alike in any order", async () => {
    const f = await loadFixture(deployMarket);
    const a = await fillOffer(f, paperOffer(f), f.gen27);
    const other = paperOffer(f, { centre: f.centre2.address });
    await expect(f.market.connect(f.gen27).fill(other, await sign(f, other), PAPER_WH, BASELINE_WH))
      .to.be.revertedWithCustomError(f.market, "CentreConflict")
      .withArgs(f.gen27.address, a.period, f.centre.address);
    const b = await fillOffer(f, other, f.gen27b); // the other wallet at node 27: its own book
    await at(f, f.period + 2n, 10n);
    await submitReport(
      f,
      paperReport(f.period + 2n, [
        measurement(f.gen27.address, a.period, -2300n),
        measurement(f.gen27b.address, b.period, -1000n),
      ]),
    );
    await time.increase(1800n);
    const outcomes: bigint[][] = [];
    for (const order of [
      [b, a],
      [a, b],
    ]) {
      const snapshot = await takeSnapshot();
      for (const x of order) await f.market.connect(f.centre2).settle(...(await settleArgs(f, x.generator, x.period)));
      const balances: bigint[] = [];
      for (const s of [f.centre, f.centre2, f.gen27, f.gen27b])
        balances.push(...(await f.market.balancesOf(s.address)));
      outcomes.push(balances);
      await snapshot.restore();
    }
    expect(outcomes[1]).to.deep.equal(outcomes[0]);
  });
});

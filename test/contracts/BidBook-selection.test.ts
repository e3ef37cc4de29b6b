/**
 * BidBook, 3 of 3: the selection — who may publish it, when, once, sorted, naming revealed bids;
 * its hash and verifySelection.
 */
import { expect } from "chai";
import { ethers } from "hardhat";
import { time } from "@nomicfoundation/hardhat-network-helpers";
import { loadFixture } from "../fixture-clock";
import { MAX_SELECTION, type SelectedStepData } from "../../oracle/chain/bids";
import { Direction, PricingRule } from "../../oracle/chain/enums";
import { selectionHash } from "../../oracle/chain/typed-data";
import { deployBids } from "./fixtures";
import {
  INPUT,
  open,
  times,
  sealedOf,
  committed,
  reveal,
  nextAt,
  revealed,
  selected,
  sorted,
} from "./bidbook-fixtures";

describe("BidBook", () => {
  describe("selection", () => {
    it("a centre publishes once, between the end of the reveal window and the fill gate; the record verifies", async () => {
      const f = await loadFixture(revealed);
      const steps = sorted([
        selected(f.gen27.address, f.d, Direction.Decrease, 0, 20_000n, 12),
        selected(f.gen27.address, f.d, Direction.Decrease, 1, 5_000n, 20),
        selected(f.gen34.address, f.d, Direction.Decrease, 0, 7_000n, 38),
      ]);
      const hash = selectionHash(f.d, PricingRule.PayAsBid, INPUT, steps);
      await expect(f.bids.connect(f.centre).publishSelection(f.d, PricingRule.PayAsBid, INPUT, steps))
        .to.emit(f.bids, "SelectionPublished")
        .withArgs(
          f.d,
          f.centre.address,
          PricingRule.PayAsBid,
          INPUT,
          hash,
          steps.map((s) => Object.values(s)),
        );
      expect(await f.bids.selectionHashOf(f.d)).to.equal(hash);
      expect(await f.bids.verifySelection(f.d, PricingRule.PayAsBid, INPUT, steps)).to.equal(true);
      expect(await f.bids.verifySelection(f.d, PricingRule.Nodal, INPUT, steps)).to.equal(false);
      expect(await f.bids.verifySelection(f.d, PricingRule.PayAsBid, INPUT, steps.slice(1))).to.equal(false);
      expect(await f.bids.verifySelection(f.d + 1, PricingRule.PayAsBid, INPUT, steps)).to.equal(false);
      await expect(f.bids.connect(f.centre2).publishSelection(f.d, PricingRule.PayAsBid, INPUT, []))
        .to.be.revertedWithCustomError(f.bids, "SelectionAlreadyPublished")
        .withArgs(f.d);
    });

    it("an empty selection is a record too (bids, and nothing to relieve)", async () => {
      const f = await loadFixture(revealed);
      await expect(f.bids.connect(f.centre2).publishSelection(f.d, PricingRule.Nodal, INPUT, [])).to.emit(
        f.bids,
        "SelectionPublished",
      );
      expect(await f.bids.verifySelection(f.d, PricingRule.Nodal, INPUT, [])).to.equal(true);
    });

    it("only the market's centres publish", async () => {
      const f = await loadFixture(revealed);
      for (const who of [f.stranger, f.gen27, f.admin, f.o1]) {
        await expect(f.bids.connect(who).publishSelection(f.d, PricingRule.Nodal, INPUT, []))
          .to.be.revertedWithCustomError(f.bids, "NotCentre")
          .withArgs(who.address);
      }
    });

    it("refuses a selection before the reveal window ends and from the fill gate on", async () => {
      const f = await loadFixture(deployBids);
      const d = open(f);
      const { revealEnd, fillGate } = times(f, d);
      await nextAt(revealEnd - 1);
      await expect(f.bids.connect(f.centre).publishSelection(d, PricingRule.Nodal, INPUT, []))
        .to.be.revertedWithCustomError(f.bids, "SelectionNotOpen")
        .withArgs(d, revealEnd);
      await nextAt(fillGate);
      await expect(f.bids.connect(f.centre).publishSelection(d, PricingRule.Nodal, INPUT, []))
        .to.be.revertedWithCustomError(f.bids, "SelectionClosed")
        .withArgs(d, fillGate);
      await expect(f.bids.connect(f.centre).publishSelection(0, PricingRule.Nodal, INPUT, []))
        .to.be.revertedWithCustomError(f.bids, "SelectionClosed")
        .withArgs(0, 0);
    });

    it("refuses steps out of order or twice, and more than MAX_SELECTION", async () => {
      const f = await loadFixture(revealed);
      const a = selected(f.gen27.address, f.d, Direction.Decrease, 0, 20_000n, 12);
      const b = selected(f.gen27.address, f.d, Direction.Decrease, 1, 5_000n, 20);
      const c = selected(f.gen27.address, f.d, Direction.Increase, 0, 5_000n, 104);
      for (const [steps, index] of [
        [[b, a], 1],
        [[a, a], 1],
        [[a, c], 1],
      ] as const) {
        await expect(f.bids.connect(f.centre).publishSelection(f.d, PricingRule.Nodal, INPUT, [...steps]))
          .to.be.revertedWithCustomError(f.bids, "SelectionNotSorted")
          .withArgs(index);
      }
      const many = Array.from({ length: MAX_SELECTION + 1 }, (_, i) => ({ ...a, step: i % 256 }));
      await expect(f.bids.connect(f.centre).publishSelection(f.d, PricingRule.Nodal, INPUT, many))
        .to.be.revertedWithCustomError(f.bids, "TooManyItems")
        .withArgs(MAX_SELECTION + 1, MAX_SELECTION);
    });

    it("refuses a step of a bid that was not revealed, is not the generator's, or does not cover the period", async () => {
      const f = await loadFixture(deployBids);
      const d = open(f);
      const shown = sealedOf(f, f.gen27, 27, { lastPeriod: d + 1 });
      const sealedOnly = sealedOf(f, f.gen34, 34);
      await committed(f, f.gen27, shown);
      await committed(f, f.gen34, sealedOnly);
      await time.increaseTo(times(f, d).bidGate);
      await reveal(f, shown);
      await time.increaseTo(times(f, d).revealEnd);
      const cases: [SelectedStepData, number][] = [
        [selected(f.gen34.address, d, Direction.Decrease, 0, 1n, 38), d], // committed, never revealed
        [selected(f.gen2.address, d, Direction.Increase, 0, 1n, 106), d], // no commitment at all
        [selected(f.gen27.address, d + 1, Direction.Decrease, 0, 1n, 12), d], // not its bid's first period
      ];
      for (const [s, period] of cases) {
        await expect(f.bids.connect(f.centre).publishSelection(period, PricingRule.Nodal, INPUT, [s]))
          .to.be.revertedWithCustomError(f.bids, "NotRevealed")
          .withArgs(0, s.generator, s.firstPeriod, period);
      }
      // The bid covers d and d + 1, not d + 2.
      const s = selected(f.gen27.address, d, Direction.Decrease, 0, 1n, 12);
      await time.increaseTo(times(f, d + 1).revealEnd);
      await expect(f.bids.connect(f.centre).publishSelection(d + 1, PricingRule.Nodal, INPUT, [s])).to.emit(
        f.bids,
        "SelectionPublished",
      );
      await time.increaseTo(times(f, d + 2).revealEnd);
      await expect(f.bids.connect(f.centre).publishSelection(d + 2, PricingRule.Nodal, INPUT, [s]))
        .to.be.revertedWithCustomError(f.bids, "NotRevealed")
        .withArgs(0, f.gen27.address, d, d + 2);
      expect(await f.bids.selectionHashOf(d + 2)).to.equal(ethers.ZeroHash);
    });
  });
});

/**
 * BidBook, 2 of 3: reveal (window, commitment match, every check of a bid), the typed data, and
 * the TypeScript checks mirroring the contract's (a property).
 */
import { expect } from "chai";
import { ethers } from "hardhat";
import { time } from "@nomicfoundation/hardhat-network-helpers";
import { loadFixture } from "../fixture-clock";
import fc from "fast-check";
import {
  bidTermsStruct,
  BidError,
  checkSealedBid,
  readBidBookEvents,
  type BidStepData,
  type SealedBidData,
} from "../../oracle/chain/bids";
import { BidState, Direction } from "../../oracle/chain/enums";
import { decodeRevert } from "../../oracle/chain/errors";
import { bidCommitment, sealedBidDigest, typeString, SEALED_BID_TYPES } from "../../oracle/chain/typed-data";
import { CAPACITY_W, deployBids, type BidsFixture } from "./fixtures";
import { P8, step, open, times, sealedOf, committed, reveal, nextAt } from "./bidbook-fixtures";

describe("BidBook", () => {
  describe("reveal", () => {
    it("reveals in the window after the gate, relayed by anyone: the event carries the whole bid and matches the commitment", async () => {
      const f = await loadFixture(deployBids);
      const d = open(f);
      const sealed = sealedOf(f, f.gen27, 27, { lastPeriod: d + 1 });
      const { commitment } = await committed(f, f.gen27, sealed);
      await nextAt(times(f, d).bidGate);
      const tx = reveal(f, sealed, f.stranger);
      await expect(tx).to.emit(f.bids, "BidRevealed");
      const mined = await (await tx).wait();
      // Read back from the logs as any verifier would (readBidBookEvents): the whole bid and salt.
      const { reveals } = await readBidBookEvents(f.bids, mined!.blockNumber, mined!.blockNumber);
      expect(reveals).to.have.length(1);
      expect(reveals[0].sealed).to.deep.equal(sealed);
      expect(bidCommitment(bidTermsStruct(reveals[0].sealed.bid))).to.equal(commitment);
      expect((await f.bids.commitmentOf(f.gen27.address, d)).state).to.equal(BigInt(BidState.Revealed));
    });

    it("refuses a reveal before the gate (sealed until then) and from the end of the window (not in the auction)", async () => {
      const f = await loadFixture(deployBids);
      const d = open(f);
      const sealed = sealedOf(f, f.gen27, 27);
      await committed(f, f.gen27, sealed);
      const { bidGate, revealEnd } = times(f, d);
      await nextAt(bidGate - 1);
      await expect(reveal(f, sealed)).to.be.revertedWithCustomError(f.bids, "RevealNotOpen").withArgs(d, bidGate);
      await nextAt(revealEnd);
      await expect(reveal(f, sealed)).to.be.revertedWithCustomError(f.bids, "RevealClosed").withArgs(d, revealEnd);
      expect((await f.bids.commitmentOf(f.gen27.address, d)).state).to.equal(BigInt(BidState.Committed));
      await nextAt(revealEnd - 1 + 1800); // still closed later on
      await expect(reveal(f, sealed)).to.be.revertedWithCustomError(f.bids, "RevealClosed");
    });

    it("refuses a reveal without a commitment, a second reveal, and one that does not match", async () => {
      const f = await loadFixture(deployBids);
      const d = open(f);
      const sealed = sealedOf(f, f.gen27, 27);
      await committed(f, f.gen27, sealed);
      await time.increaseTo(times(f, d).bidGate);
      await expect(reveal(f, sealedOf(f, f.gen34, 34)))
        .to.be.revertedWithCustomError(f.bids, "NoCommitment")
        .withArgs(f.gen34.address, d);
      await expect(reveal(f, { ...sealed, firstPeriod: d + 1 }))
        .to.be.revertedWithCustomError(f.bids, "NoCommitment")
        .withArgs(f.gen27.address, d + 1);
      for (const other of [
        { ...sealed.bid, up: [step(50_000, 103)] },
        { ...sealed.bid, salt: ethers.id("another salt") },
        { ...sealed.bid, down: [step(20_000, 12)] },
      ]) {
        await expect(reveal(f, { ...sealed, bid: other }))
          .to.be.revertedWithCustomError(f.bids, "CommitmentMismatch")
          .withArgs(f.gen27.address, d);
      }
      await reveal(f, sealed);
      await expect(reveal(f, sealed))
        .to.be.revertedWithCustomError(f.bids, "AlreadyRevealed")
        .withArgs(f.gen27.address, d);
    });

    /** Commits `bid` for gen27 and tries to reveal it at the gate. */
    async function revealBad(f: BidsFixture, bid: Partial<SealedBidData["bid"]>) {
      const sealed = sealedOf(f, f.gen27, 27);
      const bad = { ...sealed, bid: { ...sealed.bid, ...bid } };
      await committed(f, f.gen27, bad);
      await nextAt(times(f, open(f)).bidGate);
      return reveal(f, bad);
    }

    const maxWh = (CAPACITY_W * 1800) / 3600; // 500,000 Wh: 1 MW over 30 minutes
    const cases: [string, Partial<SealedBidData["bid"]>, string, unknown[]][] = [
      ["a bid for another node", { node: 34 }, "WrongNode", ["gen27", 34, 27]],
      ["no steps at all", { up: [], down: [] }, "EmptyBid", []],
      [
        "five up steps",
        { up: [1, 2, 3, 4, 5].map((i) => step(100, 100 + i)) },
        "TooManySteps",
        [Direction.Increase, 5, 4],
      ],
      [
        "five down steps",
        { down: [1, 2, 3, 4, 5].map((i) => step(100, i)) },
        "TooManySteps",
        [Direction.Decrease, 5, 4],
      ],
      ["an empty step", { down: [step(20_000, 12), step(0, 20)] }, "ZeroQuantity", [Direction.Decrease, 1]],
      [
        "a zero price",
        { up: [{ quantityWh: 1n, priceUsdPerMWh: 0n }] },
        "PriceOutOfRange",
        [Direction.Increase, 0, 0n, P8(1000)],
      ],
      [
        "an absurd price",
        { up: [step(1, 1000.00000001)] },
        "PriceOutOfRange",
        [Direction.Increase, 0, P8(1000) + 1n, P8(1000)],
      ],
      ["equal prices", { down: [step(1, 12), step(1, 12)] }, "StepsNotMonotone", [Direction.Decrease, 1]],
      ["falling prices", { up: [step(1, 110), step(1, 105)] }, "StepsNotMonotone", [Direction.Increase, 1]],
      [
        "more than the capacity over a period",
        { up: [step(maxWh - 10, 104), step(11, 105)] },
        "QuantityAboveCapacity",
        [Direction.Increase, maxWh + 1, maxWh],
      ],
    ];
    for (const [what, bid, error, args] of cases) {
      it(`refuses ${what}: ${error}, and the commitment stays sealed`, async () => {
        const f = await loadFixture(deployBids);
        const withNames = args.map((a) => (a === "gen27" ? f.gen27.address : a));
        await expect(revealBad(f, bid))
          .to.be.revertedWithCustomError(f.bids, error)
          .withArgs(...withNames);
      });
    }

    it("accepts exactly the registered capacity over a period, and a one-sided bid", async () => {
      const f = await loadFixture(deployBids);
      await expect(revealBad(f, { up: [step(maxWh, 104)], down: [] })).to.emit(f.bids, "BidRevealed");
    });

    it("checks the registry at the reveal: a generator deregistered or moved after committing is refused", async () => {
      const f = await loadFixture(deployBids);
      const d = open(f);
      const a = sealedOf(f, f.gen27, 27);
      const b = sealedOf(f, f.gen34, 34);
      await committed(f, f.gen27, a);
      await committed(f, f.gen34, b);
      await f.registry.connect(f.registrar).deregister(f.gen27.address);
      await f.registry.connect(f.registrar).deregister(f.gen34.address);
      await f.registry.connect(f.registrar).register(f.gen34.address, 2, f.meter.gen34.address, CAPACITY_W);
      await time.increaseTo(times(f, d).bidGate);
      await expect(reveal(f, a)).to.be.revertedWithCustomError(f.bids, "NotRegistered").withArgs(f.gen27.address);
      await expect(reveal(f, b)).to.be.revertedWithCustomError(f.bids, "WrongNode").withArgs(f.gen34.address, 34, 2);
    });
  });

  describe("typed data", () => {
    it("the type strings hash to the contract's typehashes, and the digest and commitment are the contract's", async () => {
      const f = await loadFixture(deployBids);
      const { TypedDataEncoder } = ethers;
      expect(ethers.id(typeString(SEALED_BID_TYPES))).to.equal(await f.bids.SEALED_BID_TYPEHASH());
      const terms = { BidTerms: SEALED_BID_TYPES.BidTerms, Step: SEALED_BID_TYPES.Step };
      expect(ethers.id(TypedDataEncoder.from(terms).encodeType("BidTerms"))).to.equal(
        await f.bids.BID_TERMS_TYPEHASH(),
      );
      expect(ethers.id(TypedDataEncoder.from({ Step: SEALED_BID_TYPES.Step }).encodeType("Step"))).to.equal(
        await f.bids.STEP_TYPEHASH(),
      );
      const sealed = sealedOf(f, f.gen2, 2, { lastPeriod: open(f) + 5, up: [], down: [step(1, 0.5)] });
      const bid = bidTermsStruct(sealed.bid);
      const commitment = bidCommitment(bid);
      expect(commitment).to.equal(await f.bids.bidTermsHash(bid));
      expect(sealedBidDigest(f.bidsDomain, { ...sealed, bid })).to.equal(
        await f.bids.sealedBidDigest(sealed.generator, sealed.firstPeriod, sealed.lastPeriod, commitment),
      );
    });
  });

  describe("the TypeScript checks mirror the contract's", () => {
    // Mostly valid values, with each way of being wrong now and then.
    const rarely = <T>(bad: T, good: fc.Arbitrary<T>) =>
      fc.oneof({ arbitrary: fc.constant(bad), weight: 1 }, { arbitrary: good, weight: 12 });
    const stepArb = fc.record({
      quantityWh: rarely(0n, fc.bigInt({ min: 1n, max: 130_000n })),
      priceUsdPerMWh: rarely(0n, fc.bigInt({ min: 1n, max: P8(1003) })),
    });
    const bidArb = fc.record({
      node: rarely(34, fc.constant(27)),
      up: fc.array(stepArb, { maxLength: 5 }),
      down: fc.array(stepArb, { maxLength: 5 }),
      sortUp: rarely(false, fc.constant(true)),
      sortDown: rarely(false, fc.constant(true)),
    });

    it("checkSealedBid refuses exactly what reveal refuses, with the same error (random bids)", async () => {
      const runs: [boolean, boolean][] = [];
      await fc.assert(
        fc.asyncProperty(bidArb, async (b) => {
          const f = await loadFixture(deployBids);
          const byPrice = (steps: BidStepData[], sort: boolean) =>
            sort ? [...steps].sort((x, y) => (x.priceUsdPerMWh < y.priceUsdPerMWh ? -1 : 1)) : steps;
          const sealed = sealedOf(f, f.gen27, b.node, {
            up: byPrice(b.up, b.sortUp),
            down: byPrice(b.down, b.sortDown),
          });
          let expected: string | undefined;
          try {
            checkSealedBid(sealed, { registeredNode: 27, capacityW: CAPACITY_W, terms: f.bidTerms });
          } catch (e) {
            if (!(e instanceof BidError)) throw e;
            expected = e.errorName;
          }
          await committed(f, f.gen27, sealed);
          await nextAt(times(f, open(f)).bidGate);
          let actual: string | undefined;
          try {
            await (await reveal(f, sealed)).wait();
          } catch (e) {
            actual = decodeRevert(e)?.errorName ?? "undecoded";
          }
          runs.push([expected === undefined, actual === undefined]);
          expect(
            actual,
            JSON.stringify(sealed.bid, (_, v) => (typeof v === "bigint" ? v.toString() : v)),
          ).to.equal(expected);
        }),
        { numRuns: 60, seed: 2501 },
      );
      // Both outcomes were exercised.
      expect(runs.some(([ok]) => ok)).to.equal(true);
      expect(runs.some(([ok]) => !ok)).to.equal(true);
    });
  });
});

/**
 * BidBook (contracts/BidBook.sol), 1 of 3: terms and deployment checks; commit (signature, gate,
 * horizon, range, one commitment per generator and period, relayed); the ring of commitments.
 */
import { expect } from "chai";
import { ethers } from "hardhat";
import { time } from "@nomicfoundation/hardhat-network-helpers";
import { loadFixture } from "../fixture-clock";
import {
  bidTermsStruct,
  COMMIT_HORIZON_PERIODS,
  MAX_RANGE_PERIODS,
  MAX_SELECTION,
  MAX_STEPS,
  newSalt,
  sealBid,
} from "../../oracle/chain/bids";
import { BidState } from "../../oracle/chain/enums";
import { bidCommitment } from "../../oracle/chain/typed-data";
import { BidBook__factory, TermsOnlyMarket__factory } from "../../typechain-types";
import { deployBids, deployBidsWith } from "./fixtures";
import { P8, open, times, sealedOf, commit, committed, reveal, nextAt } from "./bidbook-fixtures";

describe("BidBook", () => {
  describe("terms and deployment", () => {
    it("derives its gates from the market's terms and emits them once", async () => {
      const f = await loadFixture(deployBids);
      const t = await f.bids.terms();
      expect(t.periodSeconds).to.equal(1800n);
      expect(t.gateClosureSeconds).to.equal(0n);
      expect(t.revealSeconds).to.equal(300n);
      expect(t.studySeconds).to.equal(1800n);
      expect(t.bidGateSeconds).to.equal(2100n);
      expect(t.maxPriceUsdPerMWh).to.equal(P8(1000));
      const deployed = await f.bids.deploymentTransaction()!.wait();
      const events = deployed!.logs.map((l) => f.bids.interface.parseLog(l)).filter((e) => e?.name === "TermsSet");
      expect(events).to.have.length(1);
      expect(events[0]!.args.terms.bidGateSeconds).to.equal(2100n);
      const d = open(f);
      expect(await f.bids.bidGate(d)).to.equal(BigInt(d * 1800 - 2100));
      expect(await f.bids.revealEnd(d)).to.equal(BigInt(d * 1800 - 1800));
      expect(await f.bids.bidGate(0)).to.equal(0n);
    });

    it("the market's registry and CENTRE_ROLE; the TypeScript constants are the contract's", async () => {
      const f = await loadFixture(deployBids);
      expect(await f.bids.registry()).to.equal(await f.registry.getAddress());
      expect(await f.bids.market()).to.equal(await f.market.getAddress());
      expect(await f.bids.CENTRE_ROLE()).to.equal(await f.market.CENTRE_ROLE());
      expect(await f.bids.MAX_STEPS()).to.equal(BigInt(MAX_STEPS));
      expect(await f.bids.MAX_RANGE_PERIODS()).to.equal(BigInt(MAX_RANGE_PERIODS));
      expect(await f.bids.COMMIT_HORIZON_PERIODS()).to.equal(BigInt(COMMIT_HORIZON_PERIODS));
      expect(await f.bids.MAX_SELECTION()).to.equal(BigInt(MAX_SELECTION));
      expect(f.bidsDomain.name).to.equal("GridSwap Bids");
      expect(f.bidsDomain.version).to.equal("1");
    });

    it("a bid gate of the market's gate closure + study + reveal (gate closure 600 s: 2700 s)", async () => {
      const f = await deployBidsWith({ gateClosureSeconds: 600 });
      expect((await f.bids.terms()).bidGateSeconds).to.equal(2700n);
    });

    it("refuses a zero reveal window, study window or maximum price, and a bid gate beyond uint32", async () => {
      const f = await loadFixture(deployBids);
      const factory = new BidBook__factory(f.deployer);
      const ok = { revealSeconds: 300, studySeconds: 1800, maxPriceUsdPerMWh: P8(1000) };
      for (const bad of [
        { ...ok, revealSeconds: 0 },
        { ...ok, studySeconds: 0 },
        { ...ok, maxPriceUsdPerMWh: 0n },
        { ...ok, studySeconds: 2 ** 32 - 300 },
      ]) {
        await expect(factory.deploy(f.market, bad))
          .to.be.revertedWithCustomError(factory, "InvalidTerms")
          .withArgs(bad.revealSeconds, bad.studySeconds, bad.maxPriceUsdPerMWh);
      }
    });

    it("refuses a market whose registry() reverts, returns nothing or names no contract", async () => {
      const f = await loadFixture(deployBids);
      const factory = new BidBook__factory(f.deployer);
      const params = { revealSeconds: 300, studySeconds: 1800, maxPriceUsdPerMWh: P8(1000) };
      const mocks = new TermsOnlyMarket__factory(f.deployer);
      for (const [registry, mode] of [
        [await f.registry.getAddress(), 1],
        [await f.registry.getAddress(), 2],
        [f.stranger.address, 0],
      ] as const) {
        const market = await mocks.deploy(registry, mode);
        await expect(factory.deploy(market, params))
          .to.be.revertedWithCustomError(factory, "MarketWithoutRegistry")
          .withArgs(await market.getAddress());
      }
      const good = await mocks.deploy(await f.registry.getAddress(), 0);
      const book = await factory.deploy(good, params);
      expect(await book.registry()).to.equal(await f.registry.getAddress());
    });
  });

  describe("commit", () => {
    it("stores the commitment, relayed by anyone, and counts it in every period it covers", async () => {
      const f = await loadFixture(deployBids);
      const d = open(f);
      const sealed = sealedOf(f, f.gen27, 27, { lastPeriod: d + 2 });
      const { tx, commitment } = await commit(f, f.gen27, sealed, f.stranger);
      await expect(tx)
        .to.emit(f.bids, "BidCommitted")
        .withArgs(f.gen27.address, d, d + 2, commitment);
      const c = await f.bids.commitmentOf(f.gen27.address, d);
      expect([c.firstPeriod, c.lastPeriod, c.state]).to.deep.equal([
        BigInt(d),
        BigInt(d + 2),
        BigInt(BidState.Committed),
      ]);
      expect(c.tag).to.equal(commitment.slice(0, 54));
      for (const p of [d, d + 1, d + 2]) {
        expect(await f.bids.isCommitted(f.gen27.address, p)).to.equal(true);
        expect(await f.bids.commitmentCount(p)).to.equal(1n);
      }
      expect(await f.bids.isCommitted(f.gen27.address, d + 3)).to.equal(false);
      expect(await f.bids.commitmentCount(d + 3)).to.equal(0n);
      expect((await f.bids.commitmentOf(f.gen27.address, d + 1)).state).to.equal(BigInt(BidState.None));
      // A second generator: the sealed count of d becomes 2, what the dashboard shows before the gate.
      await committed(f, f.gen34, sealedOf(f, f.gen34, 34), f.gen34);
      expect(await f.bids.commitmentCount(d)).to.equal(2n);
      expect(await f.bids.commitmentCount(d + 1)).to.equal(1n);
    });

    it("counts ranges across counter words and bitmap words (a day of periods; a range over a 256-period boundary)", async () => {
      const f = await loadFixture(deployBids);
      const d = open(f);
      await committed(f, f.gen27, sealedOf(f, f.gen27, 27, { lastPeriod: d + MAX_RANGE_PERIODS - 1 }));
      for (const p of [d, d + 7, d + 8, d + 47]) expect(await f.bids.commitmentCount(p)).to.equal(1n);
      expect(await f.bids.commitmentCount(d + 48)).to.equal(0n);
      // A range that starts before and ends after a multiple of 256.
      const boundary = Math.ceil((d + 3) / 256) * 256;
      if (boundary + 2 - d <= COMMIT_HORIZON_PERIODS) {
        await committed(f, f.gen34, sealedOf(f, f.gen34, 34, { firstPeriod: boundary - 2, lastPeriod: boundary + 2 }));
        for (const p of [boundary - 2, boundary - 1, boundary, boundary + 2])
          expect(await f.bids.isCommitted(f.gen34.address, p)).to.equal(true);
        expect(await f.bids.isCommitted(f.gen34.address, boundary + 3)).to.equal(false);
      }
    });

    it("one commitment per generator and period: a second, or an overlapping range, is refused naming the period", async () => {
      const f = await loadFixture(deployBids);
      const d = open(f);
      await committed(f, f.gen27, sealedOf(f, f.gen27, 27, { firstPeriod: d + 2, lastPeriod: d + 4 }));
      for (const [first, last, clash] of [
        [d + 2, d + 2, d + 2],
        [d, d + 3, d + 2],
        [d + 4, d + 6, d + 4],
      ]) {
        const sealed = sealedOf(f, f.gen27, 27, { firstPeriod: first, lastPeriod: last, salt: newSalt() });
        await expect((await commit(f, f.gen27, sealed)).tx)
          .to.be.revertedWithCustomError(f.bids, "AlreadyCommitted")
          .withArgs(f.gen27.address, clash);
      }
      // Nothing half-stored: periods before the clash were not marked or counted.
      expect(await f.bids.isCommitted(f.gen27.address, d)).to.equal(false);
      expect(await f.bids.commitmentCount(d)).to.equal(0n);
      // Another generator at the same node is another bidder.
      await committed(f, f.gen27b, sealedOf(f, f.gen27b, 27, { firstPeriod: d + 2 }));
      expect(await f.bids.commitmentCount(d + 2)).to.equal(2n);
    });

    it("refuses a commitment at or after the bid gate, and beyond the commit horizon", async () => {
      const f = await loadFixture(deployBids);
      const d = open(f);
      const gate = times(f, d).bidGate;
      await nextAt(gate);
      await expect((await commit(f, f.gen27, sealedOf(f, f.gen27, 27))).tx)
        .to.be.revertedWithCustomError(f.bids, "BidGateClosed")
        .withArgs(d, gate);
      const now = Math.floor(gate / 1800);
      const far = now + COMMIT_HORIZON_PERIODS + 1;
      await nextAt(gate + 1);
      await expect((await commit(f, f.gen27, sealedOf(f, f.gen27, 27, { firstPeriod: far }))).tx)
        .to.be.revertedWithCustomError(f.bids, "BeyondCommitHorizon")
        .withArgs(far, far - 1);
      await nextAt(gate + 2);
      await expect((await commit(f, f.gen27, sealedOf(f, f.gen27, 27, { firstPeriod: far - 1 }))).tx).to.emit(
        f.bids,
        "BidCommitted",
      );
    });

    it("refuses a range that is backwards or longer than a day of periods", async () => {
      const f = await loadFixture(deployBids);
      const d = open(f);
      for (const [first, last] of [
        [d + 1, d],
        [d, d + MAX_RANGE_PERIODS],
      ]) {
        await expect((await commit(f, f.gen27, sealedOf(f, f.gen27, 27, { firstPeriod: first, lastPeriod: last }))).tx)
          .to.be.revertedWithCustomError(f.bids, "InvalidPeriodRange")
          .withArgs(first, last, MAX_RANGE_PERIODS);
      }
    });

    it("refuses an unregistered generator, and a signature by anyone but the generator", async () => {
      const f = await loadFixture(deployBids);
      await expect((await commit(f, f.stranger, sealedOf(f, f.stranger, 27))).tx)
        .to.be.revertedWithCustomError(f.bids, "NotRegistered")
        .withArgs(f.stranger.address);
      const sealed = sealedOf(f, f.gen27, 27);
      await expect((await commit(f, f.gen34, sealed)).tx)
        .to.be.revertedWithCustomError(f.bids, "WrongSigner")
        .withArgs(f.gen34.address, f.gen27.address);
      await expect(
        f.bids.commit(f.gen27.address, open(f), open(f), bidCommitment(bidTermsStruct(sealed.bid)), "0x1234"),
      )
        .to.be.revertedWithCustomError(f.bids, "WrongSigner")
        .withArgs(ethers.ZeroAddress, f.gen27.address);
    });

    it("a relayer cannot stretch the signed range to occupy the generator's other periods", async () => {
      const f = await loadFixture(deployBids);
      const d = open(f);
      const sealed = sealedOf(f, f.gen27, 27);
      const { commitment, signature } = await sealBid(f.gen27, f.bidsDomain, sealed);
      const tx = f.bids.connect(f.stranger).commit(f.gen27.address, d, d + 10, commitment, signature);
      await expect(tx).to.be.revertedWithCustomError(f.bids, "WrongSigner");
      expect(await f.bids.isCommitted(f.gen27.address, d + 1)).to.equal(false);
      await expect(f.bids.connect(f.stranger).commit(f.gen27.address, d, d, commitment, signature)).to.emit(
        f.bids,
        "BidCommitted",
      );
      // The same signature again: the period is taken.
      await expect(f.bids.connect(f.stranger).commit(f.gen27.address, d, d, commitment, signature))
        .to.be.revertedWithCustomError(f.bids, "AlreadyCommitted")
        .withArgs(f.gen27.address, d);
    });
  });

  describe("the ring of commitments", () => {
    it("a generator's entry is reused 256 periods later; the old commitment no longer shows, the new one does", async () => {
      const f = await loadFixture(deployBids);
      const d = open(f);
      const first = sealedOf(f, f.gen27, 27);
      await committed(f, f.gen27, first);
      await time.increaseTo(times(f, d).bidGate);
      await reveal(f, first);
      await time.increaseTo((d + 256 - 10) * 1800);
      const later = sealedOf(f, f.gen27, 27, { firstPeriod: d + 256 });
      await committed(f, f.gen27, later);
      expect((await f.bids.commitmentOf(f.gen27.address, d)).state).to.equal(BigInt(BidState.None));
      expect((await f.bids.commitmentOf(f.gen27.address, d + 256)).state).to.equal(BigInt(BidState.Committed));
      expect(await f.bids.isCommitted(f.gen27.address, d)).to.equal(true);
      await time.increaseTo(times(f, d + 256).bidGate);
      await expect(reveal(f, first)).to.be.revertedWithCustomError(f.bids, "NoCommitment");
      await expect(reveal(f, later)).to.emit(f.bids, "BidRevealed");
    });
  });
});

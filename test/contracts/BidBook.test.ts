/**
 * BidBook (contracts/BidBook.sol): terms and deployment checks; commit (signature, gate, horizon,
 * range, one commitment per generator and period, relayed); reveal (window, commitment match, every
 * check of a bid, relayed); the selection (centres only, window, once, sorted, revealed bids only);
 * the ring of commitments; and the TypeScript mirror of the checks (oracle/chain/bids.ts) against
 * the contract on random bids. Every refusal is a named custom error with its arguments, and a
 * refused call leaves nothing behind.
 */
import { expect } from "chai";
import { ethers } from "hardhat";
import { time } from "@nomicfoundation/hardhat-network-helpers";
import { loadFixture } from "../fixture-clock";
import type { HardhatEthersSigner } from "@nomicfoundation/hardhat-ethers/signers";
import fc from "fast-check";
import {
  bidTermsStruct,
  bidTimes,
  BidError,
  checkSealedBid,
  COMMIT_HORIZON_PERIODS,
  MAX_RANGE_PERIODS,
  MAX_SELECTION,
  MAX_STEPS,
  newSalt,
  readBidBookEvents,
  sealBid,
  type BidStepData,
  type SealedBidData,
  type SelectedStepData,
} from "../../oracle/chain/bids";
import { BidState, Direction, PricingRule } from "../../oracle/chain/enums";
import { decodeRevert } from "../../oracle/chain/errors";
import {
  bidCommitment,
  sealedBidDigest,
  selectionHash,
  typeString,
  SEALED_BID_TYPES,
} from "../../oracle/chain/typed-data";
import { BidBook__factory, TermsOnlyMarket__factory } from "../../typechain-types";
import { CAPACITY_W, deployBids, deployBidsWith, type BidsFixture } from "./fixtures";

const P8 = (usdPerMWh: number): bigint => BigInt(Math.round(usdPerMWh * 1e8));
const step = (quantityWh: number, usdPerMWh: number): BidStepData => ({
  quantityWh: BigInt(quantityWh),
  priceUsdPerMWh: P8(usdPerMWh),
});
const INPUT = ethers.id("seed34 inputs");

/** The first delivery period still open for bids in the fixture (P + 2). */
const open = (f: BidsFixture): number => Number(f.period) + 2;
const times = (f: BidsFixture, period: number) => bidTimes(period, f.bidTerms);

/** A bid of `who` at `node` for `open(f)`: 50 kWh up at 104, 20 + 30 kWh down at 12 and 20 USD/MWh. */
function sealedOf(
  f: BidsFixture,
  who: HardhatEthersSigner,
  node: number,
  o: Partial<SealedBidData> & { up?: BidStepData[]; down?: BidStepData[]; salt?: string } = {},
): SealedBidData {
  const first = o.firstPeriod ?? open(f);
  return {
    generator: o.generator ?? who.address,
    firstPeriod: first,
    lastPeriod: o.lastPeriod ?? first,
    bid: {
      node,
      up: o.up ?? [step(50_000, 104)],
      down: o.down ?? [step(20_000, 12), step(30_000, 20)],
      salt: o.salt ?? ethers.id(`salt of ${who.address} ${first}`),
    },
  };
}

/** Signs `sealed` with `signer` (default: the generator) and commits it through `relayer` (default: a stranger). */
async function commit(f: BidsFixture, signer: HardhatEthersSigner, sealed: SealedBidData, relayer = f.stranger) {
  const { commitment, signature } = await sealWith(f, signer, sealed);
  const tx = f.bids
    .connect(relayer)
    .commit(sealed.generator, sealed.firstPeriod, sealed.lastPeriod, commitment, signature);
  return { tx, commitment, signature };
}

/** commit, mined. */
async function committed(f: BidsFixture, signer: HardhatEthersSigner, sealed: SealedBidData, relayer = f.stranger) {
  const c = await commit(f, signer, sealed, relayer);
  await (await c.tx).wait();
  return c;
}

/** The signature of `signer` over `sealed` (sealBid refuses another signer, so this signs directly). */
async function sealWith(f: BidsFixture, signer: HardhatEthersSigner, sealed: SealedBidData) {
  if (signer.address === sealed.generator) return sealBid(signer, f.bidsDomain, sealed);
  const bid = bidTermsStruct(sealed.bid);
  const signature = await signer.signTypedData(f.bidsDomain, SEALED_BID_TYPES, { ...sealed, bid });
  return { commitment: bidCommitment(bid), signature };
}

const reveal = (f: BidsFixture, sealed: SealedBidData, relayer: HardhatEthersSigner = f.stranger) =>
  f.bids.connect(relayer).reveal(sealed.generator, sealed.firstPeriod, bidTermsStruct(sealed.bid));

/** Mines the next transaction at `t` (Unix s). */
const nextAt = (t: number) => time.setNextBlockTimestamp(t);

/** Three generators (27, 34, 2) with revealed bids for open(f), the clock at the end of the reveal window. */
async function revealed() {
  const f = await deployBids();
  const d = open(f);
  const bids = {
    gen27: sealedOf(f, f.gen27, 27),
    gen34: sealedOf(f, f.gen34, 34, { up: [], down: [step(100_000, 38)] }),
    gen2: sealedOf(f, f.gen2, 2, { up: [step(10_000, 106), step(3_000, 120)], down: [] }),
  };
  for (const [name, sealed] of Object.entries(bids)) await committed(f, f[name as keyof typeof bids], sealed);
  await time.increaseTo(times(f, d).bidGate);
  for (const sealed of Object.values(bids)) await reveal(f, sealed);
  // A fourth generator committed but never revealed.
  await time.increaseTo(times(f, d).revealEnd);
  return { ...f, d, sealed: bids };
}

const selected = (
  generator: string,
  firstPeriod: number,
  direction: number,
  stepIndex: number,
  quantityWh: bigint,
  price: number,
): SelectedStepData => ({ generator, firstPeriod, direction, step: stepIndex, quantityWh, priceUsdPerMWh: P8(price) });

/** Sorted by (generator as a number, direction, step), as the bid book requires. */
const sorted = (steps: SelectedStepData[]): SelectedStepData[] =>
  [...steps].sort((a, b) =>
    BigInt(a.generator) !== BigInt(b.generator)
      ? BigInt(a.generator) < BigInt(b.generator)
        ? -1
        : 1
      : a.direction - b.direction || a.step - b.step,
  );

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

/**
 * DemandResponseMarket: signed offers (post, postMany, every refusal), fills (whole, partial,
 * min(requested, remaining), minimum fill, cumulative escrow, the nonce as the offer's identity),
 * cancellation (nonce, bitmap word, epoch), gate closure and horizon, the generator's book (one
 * direction, centre, baseline and nomination per period; the ring and its overflow), graduated
 * settlement of a whole commitment at 0/30/50/60/61/100/130 % with hand-computed amounts, the
 * nomination bound, quality, disputes holding a settlement, corrections releasing it,
 * settleReport / reportAndSettle and proofs, unwinding only after grace and dispute window, roles.
 */
import { expect } from "chai";
import { ethers } from "hardhat";
import { time } from "@nomicfoundation/hardhat-network-helpers";
import { loadFixture } from "../fixture-clock";
import { BaselineMethod, BookState, Direction, MeasurementState, OfferStatus, Quality } from "../../oracle/chain/enums";
import { offerHash, readDomain, signCorrection, signMeterReading, signOffer } from "../../oracle/chain/typed-data";
import { noProof } from "../../oracle/chain/measurement-tree";
import {
  at,
  BASELINE_WH,
  CAPACITY_W,
  deployMarket,
  deployNoWindow,
  deployWith,
  FAR,
  fillOf,
  fillOffer,
  indexOf,
  proofFor,
  settleArgs,
  filledAndMeasured,
  KWH,
  measurement,
  PAPER_USD,
  PAPER_WH,
  paperOffer,
  paperReport,
  reportSignatures,
  sign,
  submitReport,
  USD,
  type Fixture,
} from "./fixtures";
import { skipUnderCoverage } from "./helpers";

async function balances(f: Fixture, who: { address: string }) {
  const [usd, kwh] = await f.market.balancesOf(who.address);
  return { usd, kwh };
}

const GRACE = 604_800n;

describe("DemandResponseMarket", () => {
  describe("deployment", () => {
    it("reads the period length and dispute window from the oracle; states every term", async () => {
      const f = await loadFixture(deployMarket);
      expect(await f.market.terms()).to.deep.equal([1800n, 0n, 1800n, GRACE, 48n, 5_000n, 10_000n, 5_000n]);
      expect(await f.market.oracle()).to.equal(await f.oracle.getAddress());
      expect(await f.market.registry()).to.equal(await f.registry.getAddress());
      expect(await f.market.treasury()).to.equal(f.treasury.address);
      const g = await deployWith({ periodSeconds: 60, disputeWindowSeconds: 0, gateClosureSeconds: 5 });
      expect(await g.market.terms()).to.deep.equal([60n, 5n, 0n, GRACE, 48n, 5_000n, 10_000n, 5_000n]);
      const deployed = await g.market.queryFilter(g.market.filters.TermsSet());
      expect([...deployed[0].args.terms]).to.deep.equal([...(await g.market.terms())]);
    });

    it("refuses a zero horizon and fractions above 100 % (InvalidTerms), one token twice, no treasury", async () => {
      const f = await loadFixture(deployMarket);
      const factory = await ethers.getContractFactory("DemandResponseMarket");
      const base = {
        gateClosureSeconds: 0,
        settlementGraceSeconds: 1,
        fillHorizonPeriods: 1,
        minDeliveredBps: 0,
        penaltyBps: 0,
      };
      const args = (p = base) =>
        [f.admin.address, [], f.usd, f.kwh, f.treasury.address, f.oracle, f.registry, p] as const;
      for (const bad of [{ fillHorizonPeriods: 0 }, { minDeliveredBps: 10_001 }, { penaltyBps: 10_001 }]) {
        const p = { ...base, ...bad };
        await expect(factory.deploy(...args(p)))
          .to.be.revertedWithCustomError(factory, "InvalidTerms")
          .withArgs(p.fillHorizonPeriods, p.minDeliveredBps, p.penaltyBps);
      }
      await expect(factory.deploy(f.admin.address, [], f.usd, f.usd, f.treasury.address, f.oracle, f.registry, base))
        .to.be.revertedWithCustomError(factory, "SameToken")
        .withArgs(await f.usd.getAddress());
      await expect(
        factory.deploy(f.admin.address, [], f.usd, f.kwh, ethers.ZeroAddress, f.oracle, f.registry, base),
      ).to.be.revertedWithCustomError(factory, "ZeroTreasury");
    });

    it("only the admin grants CENTRE_ROLE (not the deployer or a centre)", async () => {
      const f = await loadFixture(deployMarket);
      const role = await f.market.CENTRE_ROLE();
      for (const who of [f.deployer, f.centre, f.registrar]) {
        await expect(f.market.connect(who).grantRole(role, who.address))
          .to.be.revertedWithCustomError(f.market, "AccessControlUnauthorizedAccount")
          .withArgs(who.address, ethers.ZeroHash);
      }
      await f.market.connect(f.admin).grantRole(role, f.stranger.address);
      expect(await f.market.hasRole(role, f.stranger.address)).to.equal(true);
    });

    it("is deployable on every EVM chain: runtime code under EIP-170's 24,576 bytes", async function () {
      skipUnderCoverage(this, "size");
      const f = await loadFixture(deployMarket);
      const code = await ethers.provider.getCode(await f.market.getAddress());
      expect((code.length - 2) / 2).to.be.lessThan(24_576);
    });
  });

  describe("post (the bulletin board)", () => {
    it("hashOffer is the EIP-712 digest of typed-data.ts (domain read with ERC-5267)", async () => {
      const f = await loadFixture(deployMarket);
      const offer = paperOffer(f);
      expect(await f.market.hashOffer(offer)).to.equal(offerHash(await readDomain(f.market), offer));
    });

    it("emits the offer and its signature, and stores nothing", async () => {
      const f = await loadFixture(deployMarket);
      const offer = paperOffer(f);
      const signature = await sign(f, offer);
      const hash = await f.market.hashOffer(offer);
      const tx = f.market.connect(f.stranger).post(offer, signature);
      await expect(tx).to.emit(f.market, "OfferPosted");
      const log = (await (await tx).wait())!.logs.map((l) => f.market.interface.parseLog(l))[0]!;
      expect(log.args.offerHash).to.equal(hash);
      expect(log.args.centre).to.equal(f.centre.address);
      expect(log.args.signature).to.equal(signature);
      const decoded = log.args.offer.toObject() as Record<string, unknown>;
      for (const [k, v] of Object.entries(offer)) {
        expect(decoded[k], k).to.equal(typeof v === "string" ? v : BigInt(v as number));
      }
      // A generator can fill straight from the event.
      await f.market.connect(f.gen27).fill({ ...decoded } as typeof offer, log.args.signature, PAPER_WH, BASELINE_WH);
      expect((await f.market.offerStatus(offer))[0]).to.equal(BigInt(OfferStatus.NonceUsed));
    });

    it("postMany: many offers in one transaction, all or nothing, bounded", async () => {
      const f = await loadFixture(deployMarket);
      const offers = [paperOffer(f), paperOffer(f, { node: 34 }), paperOffer(f, { node: 2 })];
      const sigs = await Promise.all(offers.map((o) => sign(f, o)));
      const tx = f.market.connect(f.centre).postMany(offers, sigs);
      for (const o of offers) {
        await expect(tx)
          .to.emit(f.market, "OfferPosted")
          .withArgs(await f.market.hashOffer(o), f.centre.address, Object.values(o), await sign(f, o));
      }
      const bad = [...offers, paperOffer(f, { node: 0 })];
      const badSigs = await Promise.all(bad.map((o) => sign(f, o)));
      await expect(f.market.postMany(bad, badSigs)).to.be.revertedWithCustomError(f.market, "ZeroNode");
      await expect(f.market.postMany(offers, sigs.slice(1)))
        .to.be.revertedWithCustomError(f.market, "LengthMismatch")
        .withArgs(3n, 2n);
      const max = await f.market.MAX_POST_BATCH();
      await expect(f.market.postMany(Array(Number(max) + 1).fill(offers[0]), Array(Number(max) + 1).fill(sigs[0])))
        .to.be.revertedWithCustomError(f.market, "TooManyItems")
        .withArgs(max + 1n, max);
    });

    it("checks signer, role, fields, fill sizes, time and justification", async () => {
      const f = await loadFixture(deployMarket);
      const offer = paperOffer(f);
      const hash = await f.market.hashOffer(offer);
      await expect(f.market.post(offer, await signOffer(f.stranger, f.marketDomain, offer)))
        .to.be.revertedWithCustomError(f.market, "WrongSigner")
        .withArgs(f.stranger.address, f.centre.address);
      const strangerOffer = paperOffer(f, { centre: f.stranger.address });
      await expect(f.market.post(strangerOffer, await sign(f, strangerOffer)))
        .to.be.revertedWithCustomError(f.market, "NotCentre")
        .withArgs(f.stranger.address);
      for (const bad of [{ amountWh: 0n }, { usd: 0n }]) {
        const o = paperOffer(f, bad);
        await expect(f.market.post(o, await sign(f, o))).to.be.revertedWithCustomError(f.market, "ZeroAmount");
      }
      for (const [min, max] of [
        [0n, 10n],
        [11n, 10n],
        [0n, 0n],
      ]) {
        const o = paperOffer(f, { minFillWh: min, maxFillWh: max });
        await expect(f.market.post(o, await sign(f, o)))
          .to.be.revertedWithCustomError(f.market, "InvalidFillSizes")
          .withArgs(min, max);
      }
      const o0 = paperOffer(f, { node: 0 });
      await expect(f.market.post(o0, await sign(f, o0))).to.be.revertedWithCustomError(f.market, "ZeroNode");
      const ob = paperOffer(f, { baseline: BaselineMethod.RollingAverage, baselineDays: 0 });
      await expect(f.market.post(ob, await sign(f, ob)))
        .to.be.revertedWithCustomError(f.market, "InvalidBaseline")
        .withArgs(1, 0);
      const oj = paperOffer(f, { justification: f.period - 7n });
      await expect(f.market.post(oj, await sign(f, oj)))
        .to.be.revertedWithCustomError(f.market, "NoJustifyingReport")
        .withArgs(f.period - 7n);
      await at(f, f.period + 1n);
      await expect(f.market.post(offer, await sign(f, offer)))
        .to.be.revertedWithCustomError(f.market, "OfferNotOpen")
        .withArgs(hash, OfferStatus.Closed);
    });
  });

  describe("fill", () => {
    it("a whole fill escrows the commitment and the payment into the generator's book; the nonce is spent", async () => {
      const f = await loadFixture(deployMarket);
      const offer = paperOffer(f);
      const hash = await f.market.hashOffer(offer);
      const [c0, g0] = [await balances(f, f.centre), await balances(f, f.gen27)];
      expect(
        await f.market.connect(f.gen27).fill.staticCall(offer, await sign(f, offer), PAPER_WH, BASELINE_WH),
      ).to.equal(PAPER_WH);
      const tx = await f.market.connect(f.gen27).fill(offer, await sign(f, offer), PAPER_WH, BASELINE_WH);
      await expect(tx)
        .to.emit(f.market, "Filled")
        .withArgs(hash, f.gen27.address, f.period + 1n, [
          f.centre.address,
          Direction.Decrease,
          PAPER_WH,
          PAPER_USD,
          PAPER_WH,
          PAPER_WH,
          BASELINE_WH,
        ]);
      expect(await balances(f, f.centre)).to.deep.equal({ usd: c0.usd - PAPER_USD, kwh: c0.kwh });
      expect(await balances(f, f.gen27)).to.deep.equal({ usd: g0.usd, kwh: g0.kwh - PAPER_WH });
      expect(await f.market.bookOf(f.gen27.address, f.period + 1n)).to.deep.equal([
        f.period + 1n,
        BigInt(BookState.Open),
        BigInt(Direction.Decrease),
        BigInt(BaselineMethod.Nominated),
        0n,
        PAPER_WH,
        PAPER_USD,
        BigInt(indexOf(f.gen27.address)),
        f.centre.address,
        BASELINE_WH,
      ]);
      expect(await f.market.offerStatus(offer)).to.deep.equal([BigInt(OfferStatus.NonceUsed), 0n]);
      expect(await f.market.nonceBitmap(f.centre.address, offer.nonce >> 8n)).to.equal(1n << (offer.nonce & 255n));
      await expect(f.market.connect(f.gen27b).fill(offer, await sign(f, offer), PAPER_WH, BASELINE_WH))
        .to.be.revertedWithCustomError(f.market, "OfferNotOpen")
        .withArgs(hash, OfferStatus.NonceUsed);
      // Nobody else's book moved.
      expect((await f.market.bookOf(f.gen27b.address, f.period + 1n))[1]).to.equal(BigInt(BookState.None));
    });

    it("takes min(requested, maxFill, remaining); escrow is cumulative, exact in total however the offer is cut", async () => {
      const f = await loadFixture(deployMarket);
      const offer = paperOffer(f, { maxFillWh: 1500n });
      const hash = await f.market.hashOffer(offer);
      // Asks for 2,000: takes the single-fill maximum, 1,500.
      const a = await fillOffer(f, offer, f.gen27, 2000n);
      expect(a.amountWh).to.equal(1500n);
      expect(await f.market.offerStatus(offer)).to.deep.equal([BigInt(OfferStatus.Open), 1500n]);
      // Asks for 1,000 again: only 800 are left.
      const b = await fillOffer(f, offer, f.gen27b, 1000n);
      expect([b.amountWh, b.offerFilledWh]).to.deep.equal([800n, 2300n]);
      // ⌊25,266,763 · 1500 / 2300⌋ = 16,478,323; the second fill escrows the rest exactly.
      expect(a.usd).to.equal(16_478_323n);
      expect(a.usd + b.usd).to.equal(PAPER_USD);
      expect(await f.market.offerStatus(offer)).to.deep.equal([BigInt(OfferStatus.Filled), 2300n]);
      await expect(f.market.connect(f.gen27).fill(offer, await sign(f, offer), 1n, BASELINE_WH))
        .to.be.revertedWithCustomError(f.market, "OfferNotOpen")
        .withArgs(hash, OfferStatus.Filled);
      // Three fills of 1 Wh, 1,298 Wh and the rest also escrow exactly the offer's USD.
      const c = paperOffer(f);
      const parts = [await fillOffer(f, c, f.gen27, 1n), await fillOffer(f, c, f.gen27b, 1298n)];
      parts.push(await fillOffer(f, c, f.gen27, PAPER_WH));
      expect(parts.map((x) => x.amountWh)).to.deep.equal([1n, 1298n, 1001n]);
      expect(parts.reduce((s, x) => s + x.usd, 0n)).to.equal(PAPER_USD);
    });

    it("GS-16: a fill after a sliver was taken takes what is left instead of reverting", async () => {
      const f = await loadFixture(deployMarket);
      const offer = paperOffer(f);
      await fillOffer(f, offer, f.gen27b, 1n);
      const fill = await fillOffer(f, offer, f.gen27, PAPER_WH);
      expect(fill.amountWh).to.equal(PAPER_WH - 1n);
      expect(fill.offerFilledWh).to.equal(PAPER_WH);
    });

    it("refuses less than the minimum fill, except the offer's last remainder", async () => {
      const f = await loadFixture(deployMarket);
      const offer = paperOffer(f, { minFillWh: 500n });
      const sig = await sign(f, offer);
      await expect(f.market.connect(f.gen27).fill(offer, sig, 499n, BASELINE_WH))
        .to.be.revertedWithCustomError(f.market, "FillBelowMinimum")
        .withArgs(499n, 500n);
      await fillOffer(f, offer, f.gen27, 2000n);
      // 300 Wh are left, below the minimum: 300 may be taken, 299 not.
      await expect(f.market.connect(f.gen27b).fill(offer, sig, 299n, BASELINE_WH))
        .to.be.revertedWithCustomError(f.market, "FillBelowMinimum")
        .withArgs(299n, 300n);
      expect((await fillOffer(f, offer, f.gen27b, 5000n)).amountWh).to.equal(300n);
      await expect(f.market.connect(f.gen27).fill(offer, sig, 0n, BASELINE_WH)).to.be.revertedWithCustomError(
        f.market,
        "ZeroAmount",
      );
    });

    it("refuses a fill whose escrow rounds to 0 USD (PaymentRoundsToZero)", async () => {
      const f = await loadFixture(deployMarket);
      const offer = paperOffer(f, { usd: 1000n });
      await expect(f.market.connect(f.gen27).fill(offer, await sign(f, offer), 2n, BASELINE_WH))
        .to.be.revertedWithCustomError(f.market, "PaymentRoundsToZero")
        .withArgs(await f.market.hashOffer(offer), 2n);
      // ⌊1000 · 3 / 2300⌋ = 1.
      expect((await fillOffer(f, offer, f.gen27, 3n)).usd).to.equal(1n);
    });

    it("GS-17: the nonce is the offer's identity — a second offer under a used nonce cannot be filled", async () => {
      const f = await loadFixture(deployMarket);
      const a = paperOffer(f, { nonce: 777n });
      const b = paperOffer(f, { nonce: 777n, usd: PAPER_USD + 1n });
      const c = paperOffer(f, { nonce: 778n });
      const d = paperOffer(f, { nonce: 778n, node: 34 });
      await fillOffer(f, a, f.gen27, PAPER_WH - 1n);
      expect(await f.market.offerStatus(b)).to.deep.equal([BigInt(OfferStatus.NonceUsed), 0n]);
      await expect(f.market.connect(f.gen27b).fill(b, await sign(f, b), 1n, BASELINE_WH))
        .to.be.revertedWithCustomError(f.market, "OfferNotOpen")
        .withArgs(await f.market.hashOffer(b), OfferStatus.NonceUsed);
      // The first offer's own remainder is still fillable.
      expect((await fillOffer(f, a, f.gen27b, PAPER_WH)).amountWh).to.equal(1n);
      // A whole fill spends the nonce for every offer under it.
      await fillOffer(f, c, f.gen27);
      await expect(f.market.connect(f.gen34).fill(d, await sign(f, d), 1n, BASELINE_WH))
        .to.be.revertedWithCustomError(f.market, "OfferNotOpen")
        .withArgs(await f.market.hashOffer(d), OfferStatus.NonceUsed);
    });

    it("gate closure (GS-02): open until the second before the delivery period starts, less the margin", async () => {
      const f = await loadFixture(deployMarket);
      const start = (f.period + 1n) * f.periodSeconds;
      const offer = paperOffer(f, { deadline: FAR });
      const hash = await f.market.hashOffer(offer);
      await time.setNextBlockTimestamp(start);
      await expect(f.market.connect(f.gen27).fill(offer, await sign(f, offer), PAPER_WH, BASELINE_WH))
        .to.be.revertedWithCustomError(f.market, "OfferNotOpen")
        .withArgs(hash, OfferStatus.Closed);
      const g = await deployWith({ gateClosureSeconds: 300 });
      const o = paperOffer(g, { deadline: FAR });
      const gStart = (g.period + 1n) * g.periodSeconds;
      const o2 = paperOffer(g, { deadline: FAR });
      await time.setNextBlockTimestamp(gStart - 301n);
      await expect(g.market.connect(g.gen27).fill(o2, await sign(g, o2), PAPER_WH, BASELINE_WH)).to.emit(
        g.market,
        "Filled",
      );
      await time.setNextBlockTimestamp(gStart - 300n);
      await expect(g.market.connect(g.gen27).fill(o, await sign(g, o), PAPER_WH, BASELINE_WH))
        .to.be.revertedWithCustomError(g.market, "OfferNotOpen")
        .withArgs(await g.market.hashOffer(o), OfferStatus.Closed);
    });

    it("closes at the offer's deadline and beyond the fill horizon", async () => {
      const f = await loadFixture(deployMarket);
      const now = BigInt(await time.latest());
      const offer = paperOffer(f, { deadline: now + 5n });
      await time.setNextBlockTimestamp(now + 6n);
      await expect(
        f.market.connect(f.gen27).fill(offer, await sign(f, offer), PAPER_WH, BASELINE_WH),
      ).to.be.revertedWithCustomError(f.market, "OfferNotOpen");
      const far = paperOffer(f, { period: f.period + 49n, deadline: FAR });
      expect((await f.market.offerStatus(far))[0]).to.equal(BigInt(OfferStatus.Closed));
      const edge = paperOffer(f, { period: f.period + 48n, deadline: FAR });
      await expect(f.market.connect(f.gen27).fill(edge, await sign(f, edge), PAPER_WH, BASELINE_WH)).to.emit(
        f.market,
        "Filled",
      );
    });

    it("cancel one nonce, a bitmap word of nonces, or every offer (epoch)", async () => {
      const f = await loadFixture(deployMarket);
      const one = paperOffer(f, { nonce: 7n });
      await expect(f.market.connect(f.centre).cancel(7n))
        .to.emit(f.market, "NoncesCancelled")
        .withArgs(f.centre.address, 0n, 1n << 7n);
      expect((await f.market.offerStatus(one))[0]).to.equal(BigInt(OfferStatus.NonceUsed));
      // Word 3 = nonces 768..1023: cancel 770 and 1023 at once.
      const mask = (1n << 2n) | (1n << 255n);
      await expect(f.market.connect(f.centre).cancelNonces(3n, mask))
        .to.emit(f.market, "NoncesCancelled")
        .withArgs(f.centre.address, 3n, mask);
      for (const [nonce, status] of [
        [770n, OfferStatus.NonceUsed],
        [1023n, OfferStatus.NonceUsed],
        [771n, OfferStatus.Open],
      ] as const) {
        expect((await f.market.offerStatus(paperOffer(f, { nonce })))[0], `nonce ${nonce}`).to.equal(BigInt(status));
      }
      const o771 = paperOffer(f, { nonce: 771n });
      await expect(f.market.connect(f.gen27).fill(one, await sign(f, one), PAPER_WH, BASELINE_WH))
        .to.be.revertedWithCustomError(f.market, "OfferNotOpen")
        .withArgs(await f.market.hashOffer(one), OfferStatus.NonceUsed);
      // A partly filled offer whose nonce is then cancelled: NonceUsed, with what was filled.
      const part = paperOffer(f, { nonce: 772n });
      await fillOffer(f, part, f.gen27, 1000n);
      await f.market.connect(f.centre).cancel(772n);
      expect(await f.market.offerStatus(part)).to.deep.equal([BigInt(OfferStatus.NonceUsed), 1000n]);
      // Another centre's cancellations do not touch this centre's nonces.
      await f.market.connect(f.centre2).cancel(771n);
      expect((await f.market.offerStatus(o771))[0]).to.equal(BigInt(OfferStatus.Open));
      await expect(f.market.connect(f.centre).cancelAll())
        .to.emit(f.market, "EpochAdvanced")
        .withArgs(f.centre.address, 1n);
      expect(await f.market.epochOf(f.centre.address)).to.equal(1n);
      expect((await f.market.offerStatus(o771))[0]).to.equal(BigInt(OfferStatus.EpochCancelled));
      await expect(f.market.connect(f.gen27).fill(o771, await sign(f, o771), PAPER_WH, BASELINE_WH))
        .to.be.revertedWithCustomError(f.market, "OfferNotOpen")
        .withArgs(await f.market.hashOffer(o771), OfferStatus.EpochCancelled);
      const fresh = paperOffer(f, { epoch: 1n });
      await expect(f.market.connect(f.gen27).fill(fresh, await sign(f, fresh), PAPER_WH, BASELINE_WH)).to.emit(
        f.market,
        "Filled",
      );
    });

    it("refuses wrong signers, another chain's or contract's domain, and a malformed signature", async () => {
      const f = await loadFixture(deployMarket);
      const offer = paperOffer(f);
      const domain = await readDomain(f.market);
      const fill = (sig: string, o = offer) => f.market.connect(f.gen27).fill(o, sig, PAPER_WH, BASELINE_WH);
      await expect(fill(await signOffer(f.stranger, domain, offer)))
        .to.be.revertedWithCustomError(f.market, "WrongSigner")
        .withArgs(f.stranger.address, f.centre.address);
      for (const other of [
        { ...domain, chainId: BigInt(domain.chainId!) + 1n },
        { ...domain, verifyingContract: await f.oracle.getAddress() },
        { ...domain, version: "2" },
      ]) {
        const sig = await signOffer(f.centre, other, offer);
        const recovered = ethers.recoverAddress(await f.market.hashOffer(offer), sig);
        expect(recovered).not.to.equal(f.centre.address);
        await expect(fill(sig))
          .to.be.revertedWithCustomError(f.market, "WrongSigner")
          .withArgs(recovered, f.centre.address);
      }
      await expect(fill("0x1234"))
        .to.be.revertedWithCustomError(f.market, "WrongSigner")
        .withArgs(ethers.ZeroAddress, f.centre.address);
      // An offer naming the zero address as centre never verifies (a malformed signature recovers to 0).
      await expect(fill("0x1234", paperOffer(f, { centre: ethers.ZeroAddress })))
        .to.be.revertedWithCustomError(f.market, "WrongSigner")
        .withArgs(ethers.ZeroAddress, ethers.ZeroAddress);
      // A centre whose role was revoked can no longer be filled.
      await f.market.connect(f.admin).revokeRole(await f.market.CENTRE_ROLE(), f.centre.address);
      await expect(fill(await sign(f, offer)))
        .to.be.revertedWithCustomError(f.market, "NotCentre")
        .withArgs(f.centre.address);
    });

    it("only a registered generator at the node, or the one named, fills", async () => {
      const f = await loadFixture(deployMarket);
      const offer = paperOffer(f);
      const sig = await sign(f, offer);
      await expect(f.market.connect(f.gen34).fill(offer, sig, PAPER_WH, BASELINE_WH))
        .to.be.revertedWithCustomError(f.market, "GeneratorNotAtNode")
        .withArgs(f.gen34.address, 27n, 34n);
      await expect(f.market.connect(f.stranger).fill(offer, sig, PAPER_WH, BASELINE_WH))
        .to.be.revertedWithCustomError(f.market, "GeneratorNotAtNode")
        .withArgs(f.stranger.address, 27n, 0n);
      await f.registry.connect(f.registrar).deregister(f.gen27b.address);
      await expect(f.market.connect(f.gen27b).fill(offer, sig, PAPER_WH, BASELINE_WH))
        .to.be.revertedWithCustomError(f.market, "GeneratorNotAtNode")
        .withArgs(f.gen27b.address, 27n, 0n);
      const named = paperOffer(f, { generator: f.gen27.address });
      await expect(f.market.connect(f.gen34).fill(named, await sign(f, named), PAPER_WH, BASELINE_WH))
        .to.be.revertedWithCustomError(f.market, "NotOfferGenerator")
        .withArgs(f.gen27.address, f.gen34.address);
      await expect(f.market.connect(f.gen27).fill(named, await sign(f, named), PAPER_WH, BASELINE_WH)).to.emit(
        f.market,
        "Filled",
      );
    });

    it("needs the centre's free USD and the generator's free kWh", async () => {
      const f = await loadFixture(deployMarket);
      await f.market.connect(f.centre).withdraw(0, USD("500") - 1n, f.centre.address);
      const offer = paperOffer(f);
      await expect(f.market.connect(f.gen27).fill(offer, await sign(f, offer), PAPER_WH, BASELINE_WH))
        .to.be.revertedWithCustomError(f.market, "InsufficientBalance")
        .withArgs(f.centre.address, 0, 1n, PAPER_USD);
      await f.market.connect(f.gen27).withdraw(1, KWH("499"), f.gen27.address);
      const big = paperOffer(f, { centre: f.centre2.address, amountWh: 1001n, maxFillWh: 1001n });
      await expect(f.market.connect(f.gen27).fill(big, await sign(f, big), 1001n, BASELINE_WH))
        .to.be.revertedWithCustomError(f.market, "InsufficientBalance")
        .withArgs(f.gen27.address, 1, 1000n, 1001n);
    });
  });

  describe("the generator's book", () => {
    it("adds every fill of a period; one direction, one centre, one baseline, one nomination", async () => {
      const f = await loadFixture(deployMarket);
      const p = f.period + 1n;
      await fillOffer(f, paperOffer(f, { amountWh: 1000n, maxFillWh: 1000n }), f.gen27);
      const second = await fillOffer(f, paperOffer(f), f.gen27, 500n);
      expect(second.bookCommittedWh).to.equal(1500n);
      const book = await f.market.bookOf(f.gen27.address, p);
      // The first offer (1,000 Wh) whole, and ⌊25,266,763 · 500 / 2300⌋ of the second.
      expect([book.committedWh, book.usd]).to.deep.equal([1500n, PAPER_USD + 5_492_774n]);
      const refuse = async (offer: ReturnType<typeof paperOffer>, error: string, args: unknown[], nom = BASELINE_WH) =>
        expect(f.market.connect(f.gen27).fill(offer, await sign(f, offer), 100n, nom))
          .to.be.revertedWithCustomError(f.market, error)
          .withArgs(...args);
      await refuse(paperOffer(f, { direction: Direction.Increase }), "DirectionConflict", [
        f.gen27.address,
        p,
        Direction.Decrease,
      ]);
      await refuse(paperOffer(f, { centre: f.centre2.address }), "CentreConflict", [
        f.gen27.address,
        p,
        f.centre.address,
      ]);
      await refuse(
        paperOffer(f, { baseline: BaselineMethod.RollingAverage, baselineDays: 5 }),
        "BaselineConflict",
        [f.gen27.address, p, 0, 0],
        0n,
      );
      await refuse(paperOffer(f), "NominationConflict", [f.gen27.address, p, BASELINE_WH, 9_999n], 9_999n);
      // Another wallet at the same node has its own book.
      await fillOffer(f, paperOffer(f, { direction: Direction.Increase }), f.gen27b, 100n, 4_000n);
      expect((await f.market.bookOf(f.gen27b.address, p)).nominatedWh).to.equal(4_000n);
    });

    it("a nomination is 0..capacity × period for a Nominated offer, and 0 for the other methods", async () => {
      const f = await loadFixture(deployMarket);
      const maxWh = (BigInt(CAPACITY_W) * 1800n) / 3600n; // 500 kWh
      const offer = paperOffer(f);
      const sig = await sign(f, offer);
      for (const bad of [-1n, maxWh + 1n]) {
        await expect(f.market.connect(f.gen27).fill(offer, sig, 100n, bad))
          .to.be.revertedWithCustomError(f.market, "InvalidNomination")
          .withArgs(bad, maxWh);
      }
      const rolling = paperOffer(f, { node: 34, baseline: BaselineMethod.RollingAverage, baselineDays: 5 });
      await expect(f.market.connect(f.gen34).fill(rolling, await sign(f, rolling), 100n, 1n))
        .to.be.revertedWithCustomError(f.market, "InvalidNomination")
        .withArgs(1n, 0n);
      await fillOffer(f, offer, f.gen27, 100n, maxWh);
      // The registrar lowers the capacity: later books are bounded by the new one.
      await f.registry.connect(f.registrar).setCapacity(f.gen2.address, 2_000n);
      const at2 = paperOffer(f, { node: 2 });
      await expect(f.market.connect(f.gen2).fill(at2, await sign(f, at2), 100n, 1_001n))
        .to.be.revertedWithCustomError(f.market, "InvalidNomination")
        .withArgs(1_001n, 1_000n);
    });

    it("the ring entry is reused a horizon later once settled; while open, the later period goes apart", async () => {
      const f = await loadFixture(deployMarket);
      const p1 = f.period + 1n;
      // P1's book stays open (never measured); P1 + 48 finds the ring entry busy and goes apart.
      await fillOffer(f, paperOffer(f), f.gen27);
      await at(f, f.period + 2n);
      const later = paperOffer(f, { period: p1 + 48n, deadline: FAR, amountWh: 1000n, maxFillWh: 1000n });
      await fillOffer(f, later, f.gen27, 400n);
      // P1 settles meanwhile; the later period's next fill still finds its own book.
      await submitReport(f, paperReport(f.period + 2n, [measurement(f.gen27.address, p1, -2300n)]));
      await time.increase(1800n);
      await f.market.settle(...(await settleArgs(f, f.gen27.address, p1)));
      const again = await fillOffer(f, later, f.gen27, 600n);
      expect(again.bookCommittedWh).to.equal(1000n);
      expect((await f.market.bookOf(f.gen27.address, p1)).state).to.equal(BigInt(BookState.Settled));
      const book = await f.market.bookOf(f.gen27.address, p1 + 48n);
      expect([book.state, book.committedWh]).to.deep.equal([BigInt(BookState.Open), 1000n]);
      // Measured and settled from where it is kept.
      await at(f, p1 + 49n, 10n);
      await submitReport(f, paperReport(p1 + 49n, [measurement(f.gen27.address, p1 + 48n, -1000n)]));
      await time.increase(1800n);
      await expect(f.market.settle(...(await settleArgs(f, f.gen27.address, p1 + 48n)))).to.emit(f.market, "Settled");
      // A horizon after that, the ring entry (holding P1, settled) is reused.
      await at(f, p1 + 49n + 10n);
      const third = paperOffer(f, { period: p1 + 96n, deadline: FAR });
      await fillOffer(f, third, f.gen27);
      expect((await f.market.bookOf(f.gen27.address, p1 + 96n)).state).to.equal(BigInt(BookState.Open));
      // P1's closed book is gone from the view once its entry is reused (its events remain).
      expect((await f.market.bookOf(f.gen27.address, p1)).state).to.equal(BigInt(BookState.None));
    });
  });

  describe("settlement: the graduated rule on the whole commitment (A = 2,300 Wh, U = 25,266,763, min 50 %, penalty 50 % rounded up)", () => {
    // Hand-computed, as in docs/contracts.md.
    const table: [string, bigint, bigint, bigint, bigint, bigint, bigint][] = [
      // name, measured (Decrease: −Wh), delivered, paid, penalty, USD to generator, kWh to centre
      ["0 %", 0n, 0n, 0n, 1150n, 0n, 1150n],
      ["30 %", -690n, 690n, 0n, 1150n, 0n, 1150n],
      ["50 %", -1150n, 1150n, 1150n, 575n, 12_633_381n, 1725n],
      ["60 %", -1380n, 1380n, 1380n, 460n, 15_160_057n, 1840n],
      ["61 % (897 Wh short: the penalty 448.5 rounds up)", -1403n, 1403n, 1403n, 449n, 15_412_725n, 1852n],
      ["100 %", -2300n, 2300n, 2300n, 0n, 25_266_763n, 2300n],
      ["130 %", -2990n, 2300n, 2300n, 0n, 25_266_763n, 2300n],
      ["output raised instead", 500n, 0n, 0n, 1150n, 0n, 1150n],
    ];
    for (const [name, measured, delivered, paid, penalty, toGenerator, kwhToCentre] of table) {
      it(`${name}: generator ${toGenerator} (1e-8 USD), centre ${kwhToCentre} Wh`, async () => {
        const f = await loadFixture(deployMarket);
        const p = await filledAndMeasured(f, measured);
        const [c0, g0] = [await balances(f, f.centre), await balances(f, f.gen27)];
        const expected = [PAPER_WH, measured, delivered, paid, penalty, toGenerator, PAPER_USD - toGenerator, 0n];
        expect(await f.market.previewSettlement(...(await settleArgs(f, f.gen27.address, p.period)))).to.deep.equal([
          true,
          expected,
        ]);
        const tx = f.market.connect(f.stranger).settle(...(await settleArgs(f, f.gen27.address, p.period)));
        await expect(tx).to.emit(f.market, "Settled").withArgs(f.gen27.address, p.period, f.centre.address, expected);
        expect(await balances(f, f.gen27)).to.deep.equal({
          usd: g0.usd + toGenerator,
          kwh: g0.kwh + PAPER_WH - kwhToCentre,
        });
        expect(await balances(f, f.centre)).to.deep.equal({
          usd: c0.usd + PAPER_USD - toGenerator,
          kwh: c0.kwh + kwhToCentre,
        });
        expect((await f.market.bookOf(f.gen27.address, p.period)).state).to.equal(BigInt(BookState.Settled));
        await expect(f.market.settle(...(await settleArgs(f, f.gen27.address, p.period))))
          .to.be.revertedWithCustomError(f.market, "NoOpenBook")
          .withArgs(f.gen27.address, p.period);
      });
    }

    it("an Increase commitment is paid for raised output", async () => {
      const f = await loadFixture(deployMarket);
      const p = await filledAndMeasured(f, 1380n, paperOffer(f, { direction: Direction.Increase }));
      await expect(f.market.settle(...(await settleArgs(f, f.gen27.address, p.period))))
        .to.emit(f.market, "Settled")
        .withArgs(f.gen27.address, p.period, f.centre.address, [
          PAPER_WH,
          1380n,
          1380n,
          1380n,
          460n,
          15_160_057n,
          PAPER_USD - 15_160_057n,
          Quality.Ok,
        ]);
    });

    it("GS-15: the same commitment cut into fills settles exactly as one fill", async () => {
      const f = await loadFixture(deployMarket);
      const offer = paperOffer(f);
      // 43 % delivered: one fill of 2,300 Wh would be paid nothing with a 1,150-Wh penalty.
      await fillOffer(f, offer, f.gen27, 1150n);
      await fillOffer(f, offer, f.gen27, 1150n);
      await at(f, f.period + 2n, 10n);
      await submitReport(f, paperReport(f.period + 2n, [measurement(f.gen27.address, f.period + 1n, -989n)]));
      await time.increase(1800n);
      await expect(f.market.settle(...(await settleArgs(f, f.gen27.address, f.period + 1n))))
        .to.emit(f.market, "Settled")
        .withArgs(f.gen27.address, f.period + 1n, f.centre.address, [
          PAPER_WH,
          -989n,
          989n,
          0n,
          1150n,
          0n,
          PAPER_USD,
          Quality.Ok,
        ]);
    });

    it("an Estimated measurement settles and is flagged in the settlement", async () => {
      const f = await loadFixture(deployMarket);
      await fillOffer(f, paperOffer(f), f.gen27);
      await at(f, f.period + 2n, 10n);
      const m = measurement(f.gen27.address, f.period + 1n, -2300n, { quality: Quality.Estimated });
      await submitReport(f, paperReport(f.period + 2n, [m]));
      await time.increase(1800n);
      const [, s] = await f.market.previewSettlement(...(await settleArgs(f, f.gen27.address, f.period + 1n)));
      expect(s.quality).to.equal(BigInt(Quality.Estimated));
      expect(s.paidWh).to.equal(PAPER_WH);
    });
  });

  describe("settlement: the baseline is never more favourable than the generator's own nomination", () => {
    // The oracle reports baseline 10,000 Wh and the metered actual; the book holds the nomination.
    const cases: [string, number, bigint, bigint, bigint][] = [
      // name, direction, nominated, actual, credited
      [
        "decrease, nominated lower than the report: its own nomination counts",
        Direction.Decrease,
        9_000n,
        7_700n,
        -1_300n,
      ],
      ["decrease, nominated higher than the report: the report counts", Direction.Decrease, 11_000n, 7_700n, -2_300n],
      ["increase, nominated lower than the report: the report counts", Direction.Increase, 9_000n, 12_300n, 2_300n],
      [
        "increase, nominated higher than the report: its own nomination counts",
        Direction.Increase,
        11_000n,
        12_300n,
        1_300n,
      ],
    ];
    for (const [name, direction, nominated, actual, credited] of cases) {
      it(name, async () => {
        const f = await loadFixture(deployMarket);
        const offer = paperOffer(f, { direction });
        const fill = await fillOffer(f, offer, f.gen27, PAPER_WH, nominated);
        await at(f, f.period + 2n, 10n);
        const m = measurement(f.gen27.address, fill.period, actual - BASELINE_WH);
        await submitReport(f, paperReport(f.period + 2n, [m]));
        await time.increase(1800n);
        const [ready, s] = await f.market.previewSettlement(...(await settleArgs(f, f.gen27.address, fill.period)));
        expect(ready).to.equal(true);
        expect(s.creditedWh).to.equal(credited);
        const delivered = credited < 0n ? -credited : credited;
        expect(s.deliveredWh).to.equal(delivered > PAPER_WH ? PAPER_WH : delivered);
      });
    }
  });

  describe("settlement: measurement states", () => {
    it("waits for the measurement and for the dispute window (MeasurementNotFinal)", async () => {
      const f = await loadFixture(deployMarket);
      const p = await fillOffer(f, paperOffer(f), f.gen27);
      await expect(f.market.settle(...(await settleArgs(f, f.gen27.address, p.period))))
        .to.be.revertedWithCustomError(f.market, "MeasurementNotFinal")
        .withArgs(p.period, f.gen27.address, MeasurementState.None);
      await at(f, f.period + 2n, 10n);
      await submitReport(f, paperReport(f.period + 2n, [measurement(f.gen27.address, p.period, -2300n)]));
      await expect(f.market.settle(...(await settleArgs(f, f.gen27.address, p.period))))
        .to.be.revertedWithCustomError(f.market, "MeasurementNotFinal")
        .withArgs(p.period, f.gen27.address, MeasurementState.Reported);
      await time.increase(1800n);
      await expect(f.market.settle(...(await settleArgs(f, f.gen27.address, p.period)))).to.emit(f.market, "Settled");
    });

    it("a dispute holds the settlement; the quorum's correction releases it with the corrected value", async () => {
      const f = await loadFixture(deployMarket);
      const p = await fillOffer(f, paperOffer(f), f.gen27);
      await at(f, f.period + 2n, 10n);
      // The oracle says the generator lowered output by 0.69 kWh (30 %: nothing paid) ...
      await submitReport(f, paperReport(f.period + 2n, [measurement(f.gen27.address, p.period, -690n)]));
      // ... its meter says 2.3 kWh: it disputes within the window.
      const reading = {
        meter: f.meter.gen27.address,
        generator: f.gen27.address,
        period: p.period,
        actualWh: BASELINE_WH - 2300n,
        quality: Quality.Ok,
        readAt: (BigInt(p.period) + 1n) * f.periodSeconds + 5n,
      };
      await f.oracle
        .connect(f.gen27)
        .dispute(
          reading,
          await signMeterReading(f.meter.gen27, f.oracleDomain, reading),
          await proofFor(f, f.gen27.address, p.period),
        );
      await time.increase(3 * 1800);
      await expect(f.market.settle(...(await settleArgs(f, f.gen27.address, p.period))))
        .to.be.revertedWithCustomError(f.market, "MeasurementNotFinal")
        .withArgs(p.period, f.gen27.address, MeasurementState.Disputed);
      const fixed = measurement(f.gen27.address, p.period, -2300n);
      const sigs = await signCorrection([f.o2, f.o3], f.oracleDomain, fixed, ethers.id("meter"), 1n, FAR);
      await f.oracle.correctMeasurement(fixed, ethers.id("meter"), FAR, sigs, noProof(f.gen27.address, p.period));
      const [, s] = await f.market.previewSettlement(...(await settleArgs(f, f.gen27.address, p.period)));
      expect([s.paidWh, s.usdToGenerator]).to.deep.equal([PAPER_WH, PAPER_USD]);
    });

    it("a final Missing or Bad measurement settles as no delivery (penalty taken); a mismatched baseline is refused", async () => {
      const f = await loadFixture(deployMarket);
      const p = f.period + 1n;
      await fillOffer(f, paperOffer(f), f.gen27);
      await fillOffer(f, paperOffer(f, { node: 34 }), f.gen34);
      await fillOffer(f, paperOffer(f, { node: 2 }), f.gen2);
      await fillOffer(f, paperOffer(f, { baseline: BaselineMethod.RollingAverage, baselineDays: 4 }), f.gen27b);
      await at(f, f.period + 2n, 10n);
      await submitReport(
        f,
        paperReport(f.period + 2n, [
          measurement(f.gen27.address, p, 0n, { quality: Quality.Missing }),
          measurement(f.gen34.address, p, -2300n, { quality: Quality.Bad }),
          measurement(f.gen2.address, p, -2300n, { baseline: BaselineMethod.MeterBefore }),
          measurement(f.gen27b.address, p, -2300n, { baseline: BaselineMethod.RollingAverage, baselineDays: 5 }),
        ]),
      );
      // Inside the dispute window a Missing or Bad measurement waits for a correction.
      await expect(f.market.settle(...(await settleArgs(f, f.gen27.address, p))))
        .to.be.revertedWithCustomError(f.market, "MeasurementNotFinal")
        .withArgs(p, f.gen27.address, MeasurementState.Reported);
      await time.increase(1800n);
      // Final: no delivery credited — even the Bad one's 2,300 Wh — so nothing paid and the penalty taken.
      const { penaltyBps } = await f.market.terms();
      const penalty = (PAPER_WH * penaltyBps + 9_999n) / 10_000n;
      for (const [g, quality] of [
        [f.gen27, Quality.Missing],
        [f.gen34, Quality.Bad],
      ] as const) {
        await expect(f.market.settle(...(await settleArgs(f, g.address, p))))
          .to.emit(f.market, "Settled")
          .withArgs(g.address, p, f.centre.address, [PAPER_WH, 0n, 0n, 0n, penalty, 0n, PAPER_USD, quality]);
      }
      await expect(f.market.settle(...(await settleArgs(f, f.gen2.address, p))))
        .to.be.revertedWithCustomError(f.market, "BaselineMismatch")
        .withArgs(2, 0, 0, 0);
      await expect(f.market.settle(...(await settleArgs(f, f.gen27b.address, p))))
        .to.be.revertedWithCustomError(f.market, "BaselineMismatch")
        .withArgs(1, 5, 1, 4);
      await expect(f.market.settle(...(await settleArgs(f, f.stranger.address, p))))
        .to.be.revertedWithCustomError(f.market, "NoOpenBook")
        .withArgs(f.stranger.address, p);
    });
  });

  describe("settleReport and reportAndSettle (GS-11)", () => {
    it("settleReport settles every ready book a report measured, skips the rest, never reverts for one item", async () => {
      const f = await loadFixture(deployMarket);
      const a = await fillOffer(f, paperOffer(f), f.gen27);
      const b = await fillOffer(f, paperOffer(f, { node: 34 }), f.gen34); // measured Missing
      await at(f, f.period + 2n, 10n);
      const list = [
        measurement(f.gen27.address, a.period, -2300n),
        measurement(f.gen34.address, b.period, 0n, { quality: Quality.Missing }),
        measurement(f.gen2.address, a.period, -10n), // no book
      ];
      await submitReport(f, paperReport(f.period + 2n, list));
      // Inside the dispute window nothing settles; after it, the Ok one and the Missing one (as no delivery).
      expect(await f.market.settleReport.staticCall(f.period + 2n, list)).to.deep.equal([0n, 3n]);
      await time.increase(1800n);
      expect(await f.market.settleReport.staticCall(f.period + 2n, list)).to.deep.equal([2n, 3n]);
      const tx = f.market.settleReport(f.period + 2n, list);
      await expect(tx)
        .to.emit(f.market, "Settled")
        .withArgs(f.gen27.address, a.period, f.centre.address, [PAPER_WH, -2300n, 2300n, 2300n, 0n, PAPER_USD, 0n, 0n]);
      expect((await (await tx).wait())!.logs.length).to.equal(2);
      // Again: nothing left to settle.
      expect(await f.market.settleReport.staticCall(f.period + 2n, list)).to.deep.equal([0n, 3n]);
    });

    it("refuses a list that is not the report's (MeasurementsMismatch): another value, order, length or report", async () => {
      const f = await loadFixture(deployMarket);
      await at(f, f.period + 2n, 10n);
      const list = [
        measurement(f.gen27.address, f.period + 1n, -2300n),
        measurement(f.gen34.address, f.period + 1n, -100n),
        measurement(f.gen2.address, f.period + 1n, -10n),
      ];
      await submitReport(f, paperReport(f.period + 2n, list));
      for (const [period, bad] of [
        [f.period + 2n, [{ ...list[0], deliveredWh: -2299n, actualWh: BASELINE_WH - 2299n }, list[1], list[2]]],
        [f.period + 2n, [list[2], list[0], list[1]]],
        [f.period + 2n, list.slice(0, 2)],
        [f.period + 1n, list],
      ] as const) {
        await expect(f.market.settleReport(period, [...bad]))
          .to.be.revertedWithCustomError(f.oracle, "MeasurementsMismatch")
          .withArgs(period);
      }
    });

    it("stops before running out of gas, saying how far it got", async () => {
      const f = await loadFixture(deployNoWindow);
      await at(f, f.period + 2n, 10n);
      const many = Array.from({ length: 100 }, (_, i) =>
        measurement(ethers.getAddress(ethers.toBeHex(i + 7000, 20)), f.period + 1n, -5n),
      );
      await submitReport(f, paperReport(f.period + 2n, many));
      // With a fifth of the gas all of them need, it looks at some and stops.
      const all = await f.market.settleReport.estimateGas(f.period + 2n, many);
      const [settled, processed] = await f.market.settleReport.staticCall(f.period + 2n, many, {
        gasLimit: (all * 3n) / 5n,
      });
      expect(settled).to.equal(0n);
      expect(processed).to.be.lessThan(100n);
      expect(processed).to.be.greaterThan(0n);
      expect(await f.market.settleReport.staticCall(f.period + 2n, many, { gasLimit: 9_000_000 })).to.deep.equal([
        0n,
        100n,
      ]);
    });

    it("reportAndSettle forwards the signed report and settles, pushed, an earlier report's books within the budget", async () => {
      const f = await loadFixture(deployNoWindow);
      const a = await fillOffer(f, paperOffer(f), f.gen27);
      const b = await fillOffer(f, paperOffer(f, { node: 34 }), f.gen34);
      await at(f, f.period + 2n, 10n);
      const measured = [measurement(f.gen27.address, a.period, -2300n), measurement(f.gen34.address, b.period, -1380n)];
      await submitReport(f, paperReport(f.period + 2n, measured));
      await at(f, f.period + 3n, 10n);
      const report = paperReport(f.period + 3n);
      const sigs = await reportSignatures(f, report);
      expect(await f.market.reportAndSettle.staticCall(report, FAR, sigs, f.period + 2n, measured, 0)).to.deep.equal([
        0n,
        0n,
      ]);
      const tx = f.market.connect(f.stranger).reportAndSettle(report, FAR, sigs, f.period + 2n, measured, 1_000_000);
      await expect(tx).to.emit(f.oracle, "ReportSubmitted");
      await expect(tx)
        .to.emit(f.market, "Settled")
        .withArgs(f.gen27.address, a.period, f.centre.address, [PAPER_WH, -2300n, 2300n, 2300n, 0n, PAPER_USD, 0n, 0n]);
      await expect(tx)
        .to.emit(f.market, "Settled")
        .withArgs(f.gen34.address, b.period, f.centre.address, [
          PAPER_WH,
          -1380n,
          1380n,
          1380n,
          460n,
          15_160_057n,
          PAPER_USD - 15_160_057n,
          0n,
        ]);
      await expect(f.market.reportAndSettle(report, FAR, sigs, 0, [], 1))
        .to.be.revertedWithCustomError(f.oracle, "ReportAlreadySubmitted")
        .withArgs(f.period + 3n);
    });
  });

  describe("settle with a proof", () => {
    it("a measurement that is not the reported one proves nothing; one under another registry index is refused", async () => {
      const f = await loadFixture(deployNoWindow);
      const a = await fillOffer(f, paperOffer(f), f.gen27);
      await at(f, f.period + 2n, 10n);
      await submitReport(f, paperReport(f.period + 2n, [measurement(f.gen27.address, a.period, -1000n)]));
      const p = await proofFor(f, f.gen27.address, a.period);
      const forged = { ...p, measurement: { ...p.measurement, deliveredWh: -2300n, actualWh: BASELINE_WH - 2300n } };
      await expect(f.market.settle(f.gen27.address, a.period, forged))
        .to.be.revertedWithCustomError(f.market, "MeasurementNotFinal")
        .withArgs(a.period, f.gen27.address, MeasurementState.None);
      // Another generator's proof does not settle this one.
      await expect(f.market.settle(f.gen27b.address, a.period, p)).to.be.revertedWithCustomError(
        f.market,
        "NoOpenBook",
      );
      // A report that measured the generator under a wrong index cannot settle its book.
      const b = await fillOffer(f, paperOffer(f, { node: 34, period: f.period + 3n, deadline: FAR }), f.gen34);
      await at(f, f.period + 4n, 10n);
      await submitReport(
        f,
        paperReport(f.period + 4n, [measurement(f.gen34.address, b.period, -2300n, { generatorIndex: 999 })]),
      );
      await expect(f.market.settle(...(await settleArgs(f, f.gen34.address, b.period))))
        .to.be.revertedWithCustomError(f.market, "GeneratorIndexMismatch")
        .withArgs(999, indexOf(f.gen34.address));
      await expect(f.market.settle(...(await settleArgs(f, f.gen27.address, a.period)))).to.emit(f.market, "Settled");
    });
  });

  describe("unwind", () => {
    it("returns both escrows after the grace time when never measured; not before", async () => {
      const f = await loadFixture(deployMarket);
      const p = await fillOffer(f, paperOffer(f), f.gen27);
      const [c0, g0] = [await balances(f, f.centre), await balances(f, f.gen27)];
      const at_ = (f.period + 2n) * f.periodSeconds + GRACE;
      expect(await f.market.unwindableAt(...(await settleArgs(f, f.gen27.address, p.period)))).to.equal(at_);
      await time.setNextBlockTimestamp(at_ - 1n);
      await expect(f.market.unwind(...(await settleArgs(f, f.gen27.address, p.period))))
        .to.be.revertedWithCustomError(f.market, "NotUnwindableYet")
        .withArgs(f.gen27.address, p.period, at_);
      await time.setNextBlockTimestamp(at_);
      await expect(f.market.connect(f.stranger).unwind(...(await settleArgs(f, f.gen27.address, p.period))))
        .to.emit(f.market, "Unwound")
        .withArgs(f.gen27.address, p.period, f.centre.address, PAPER_USD, PAPER_WH);
      expect(await balances(f, f.centre)).to.deep.equal({ usd: c0.usd + PAPER_USD, kwh: c0.kwh });
      expect(await balances(f, f.gen27)).to.deep.equal({ usd: g0.usd, kwh: g0.kwh + PAPER_WH });
      expect((await f.market.bookOf(f.gen27.address, p.period)).state).to.equal(BigInt(BookState.Unwound));
      expect(await f.market.unwindableAt(...(await settleArgs(f, f.gen27.address, p.period)))).to.equal(0n);
      await expect(f.market.unwind(...(await settleArgs(f, f.gen27.address, p.period))))
        .to.be.revertedWithCustomError(f.market, "NoOpenBook")
        .withArgs(f.gen27.address, p.period);
    });

    it("a book whose measurement was reported unwinds only when it is shown (MeasurementNotShown)", async () => {
      const f = await loadFixture(deployMarket);
      const p = await fillOffer(f, paperOffer(f), f.gen27);
      await at(f, f.period + 2n, 10n);
      await submitReport(
        f,
        paperReport(f.period + 2n, [measurement(f.gen27.address, p.period, 0n, { quality: Quality.Bad })]),
      );
      await time.increase(GRACE + 1800n);
      await expect(f.market.unwind(f.gen27.address, p.period, noProof(f.gen27.address, p.period)))
        .to.be.revertedWithCustomError(f.market, "MeasurementNotShown")
        .withArgs(f.gen27.address, p.period);
      // Shown, it is final (Bad): the book settles as no delivery instead of unwinding.
      await expect(f.market.unwind(...(await settleArgs(f, f.gen27.address, p.period))))
        .to.be.revertedWithCustomError(f.market, "DeliveryMeasured")
        .withArgs(f.gen27.address, p.period);
      await expect(f.market.settle(...(await settleArgs(f, f.gen27.address, p.period)))).to.emit(f.market, "Settled");
    });

    it("a book with a final measurement must be settled (DeliveryMeasured) — a Missing one too", async () => {
      const f = await loadFixture(deployMarket);
      const a = await fillOffer(f, paperOffer(f), f.gen27);
      const b = await fillOffer(f, paperOffer(f, { node: 34 }), f.gen34);
      await at(f, f.period + 2n, 10n);
      await submitReport(
        f,
        paperReport(f.period + 2n, [
          measurement(f.gen27.address, a.period, -2300n),
          measurement(f.gen34.address, b.period, 0n, { quality: Quality.Missing }),
        ]),
      );
      await time.increase(GRACE + 1800n);
      await expect(f.market.unwind(...(await settleArgs(f, f.gen27.address, a.period))))
        .to.be.revertedWithCustomError(f.market, "DeliveryMeasured")
        .withArgs(f.gen27.address, a.period);
      await expect(f.market.unwind(...(await settleArgs(f, f.gen34.address, b.period))))
        .to.be.revertedWithCustomError(f.market, "DeliveryMeasured")
        .withArgs(f.gen34.address, b.period);
      await expect(f.market.settle(...(await settleArgs(f, f.gen27.address, a.period)))).to.emit(f.market, "Settled");
      await expect(f.market.settle(...(await settleArgs(f, f.gen34.address, b.period)))).to.emit(f.market, "Settled");
    });

    it("GS-18: never while a measurement reported late is still inside its dispute window", async () => {
      const f = await loadFixture(deployMarket);
      const a = await fillOffer(f, paperOffer(f), f.gen27);
      const graceEnd = (BigInt(a.period) + 1n) * f.periodSeconds + GRACE;
      // Reported (Missing) 5 s before the grace ends: its window runs a period past the grace.
      await time.increaseTo(graceEnd - 5n);
      const reportPeriod = (graceEnd - 5n) / f.periodSeconds;
      await submitReport(
        f,
        paperReport(reportPeriod, [measurement(f.gen27.address, a.period, 0n, { quality: Quality.Missing })]),
      );
      const recordedAt = BigInt(await time.latest());
      const windowEnd = recordedAt + 1800n;
      expect(await f.market.unwindableAt(...(await settleArgs(f, f.gen27.address, a.period)))).to.equal(windowEnd);
      await time.setNextBlockTimestamp(graceEnd + 1n);
      await expect(f.market.unwind(...(await settleArgs(f, f.gen27.address, a.period))))
        .to.be.revertedWithCustomError(f.market, "NotUnwindableYet")
        .withArgs(f.gen27.address, a.period, windowEnd);
      // Within the window the quorum corrects it with the delivery that came late: it settles.
      const fixed = measurement(f.gen27.address, a.period, -2300n);
      const sigs = await signCorrection([f.o1, f.o2], f.oracleDomain, fixed, ethers.id("late"), 1n, FAR);
      await f.oracle.correctMeasurement(
        fixed,
        ethers.id("late"),
        FAR,
        sigs,
        await proofFor(f, f.gen27.address, a.period),
      );
      await time.increaseTo(windowEnd + 1n);
      await expect(f.market.unwind(...(await settleArgs(f, f.gen27.address, a.period))))
        .to.be.revertedWithCustomError(f.market, "DeliveryMeasured")
        .withArgs(f.gen27.address, a.period);
      await expect(f.market.settle(...(await settleArgs(f, f.gen27.address, a.period)))).to.emit(f.market, "Settled");
    });
  });

  it("fillOf reads the fill and its book key from a receipt", async () => {
    const f = await loadFixture(deployMarket);
    const offer = paperOffer(f);
    const tx = await f.market.connect(f.gen27).fill(offer, await sign(f, offer), PAPER_WH, BASELINE_WH);
    const fill = await fillOf(f, tx);
    expect(fill.key).to.deep.equal({ generator: f.gen27.address, period: f.period + 1n });
    expect(fill.offerHash).to.equal(await f.market.hashOffer(offer));
  });
});

/**
 * DemandResponseMarket, 1 of 3: deployment, signed offers on the bulletin board (post, postMany,
 * every refusal) and fills (whole, partial, min(requested, remaining), minimum fill, cumulative
 * escrow, the nonce as the offer's identity).
 */
import { expect } from "chai";
import { ethers } from "hardhat";
import { time } from "@nomicfoundation/hardhat-network-helpers";
import { loadFixture } from "../fixture-clock";
import { BaselineMethod, BookState, Direction, OfferStatus } from "../../oracle/chain/enums";
import { offerHash, readDomain, signOffer } from "../../oracle/chain/typed-data";
import {
  at,
  BASELINE_WH,
  deployMarket,
  deployWith,
  FAR,
  fillOffer,
  indexOf,
  KWH,
  PAPER_USD,
  PAPER_WH,
  paperOffer,
  sign,
  USD,
} from "./fixtures";
import { skipUnderCoverage } from "./helpers";
import { balances, GRACE } from "./market-fixtures";

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
});

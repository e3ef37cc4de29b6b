/**
 * DemandResponseMarket: signed offers (post, fill whole and partial, every refusal), cancellation
 * (nonce, bitmap word, epoch), gate closure and horizon, the per-generator book, graduated
 * settlement at 0/30/50/60/100/130 % with hand-computed amounts, quality, disputes holding a
 * settlement, corrections releasing it, settleMany / reportAndSettle bounds, unwinding, roles.
 */
import { expect } from "chai";
import { ethers } from "hardhat";
import { loadFixture, time } from "@nomicfoundation/hardhat-network-helpers";
import { BaselineMethod, Direction, MeasurementState, OfferStatus, Quality } from "../../oracle/chain/enums";
import {
  offerHash,
  positionHash,
  readDomain,
  signCorrection,
  signMeterReading,
  signOffer,
} from "../../oracle/chain/typed-data";
import {
  at,
  deployMarket,
  deployNoWindow,
  deployWith,
  FAR,
  fillOffer,
  filledAndMeasured,
  KWH,
  measurement,
  PAPER_USD,
  PAPER_WH,
  paperOffer,
  paperReport,
  positionOf,
  reportSignatures,
  sign,
  submitReport,
  USD,
  type Fixture,
  type Position,
} from "./fixtures";

const strip = (p: Position & { hash?: string }): Position => {
  const { hash: _hash, ...rest } = p as Position & { hash: string };
  return rest;
};

async function balances(f: Fixture, who: { address: string }) {
  const [usd, kwh] = await f.market.balancesOf(who.address);
  return { usd, kwh };
}

describe("DemandResponseMarket", () => {
  describe("deployment", () => {
    it("reads the period length and dispute window from the oracle; states every term", async () => {
      const f = await loadFixture(deployMarket);
      expect(await f.market.terms()).to.deep.equal([1800n, 0n, 1800n, 604_800n, 48n, 5_000n, 10_000n, 5_000n]);
      expect(await f.market.oracle()).to.equal(await f.oracle.getAddress());
      expect(await f.market.registry()).to.equal(await f.registry.getAddress());
      const g = await deployWith({ periodSeconds: 60, disputeWindowSeconds: 0, gateClosureSeconds: 5 });
      expect(await g.market.terms()).to.deep.equal([60n, 5n, 0n, 604_800n, 48n, 5_000n, 10_000n, 5_000n]);
    });

    it("refuses a zero horizon and fractions above 100 % (InvalidTerms)", async () => {
      const f = await loadFixture(deployMarket);
      const factory = await ethers.getContractFactory("DemandResponseMarket");
      const base = {
        gateClosureSeconds: 0,
        settlementGraceSeconds: 1,
        fillHorizonPeriods: 1,
        minDeliveredBps: 0,
        penaltyBps: 0,
      };
      for (const bad of [{ fillHorizonPeriods: 0 }, { minDeliveredBps: 10_001 }, { penaltyBps: 10_001 }]) {
        const p = { ...base, ...bad };
        await expect(factory.deploy(f.admin.address, [], f.usd, f.kwh, f.oracle, f.registry, p))
          .to.be.revertedWithCustomError(factory, "InvalidTerms")
          .withArgs(p.fillHorizonPeriods, p.minDeliveredBps, p.penaltyBps);
      }
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
  });

  describe("hashes", () => {
    it("hashOffer is the EIP-712 digest of typed-data.ts (domain read with ERC-5267); hashPosition too", async () => {
      const f = await loadFixture(deployMarket);
      const offer = paperOffer(f);
      expect(await f.market.hashOffer(offer)).to.equal(offerHash(await readDomain(f.market), offer));
      const p = await fillOffer(f, offer, f.gen27);
      expect(await f.market.hashPosition(strip(p))).to.equal(positionHash(strip(p)));
      expect(p.hash).to.equal(positionHash(strip(p)));
    });
  });

  describe("post (the bulletin board)", () => {
    it("emits the offer, its signature and the terms, and stores nothing", async () => {
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
      expect([...log.args.terms]).to.deep.equal([...(await f.market.terms())]);
      // A generator can fill straight from the event.
      await f.market.connect(f.gen27).fill({ ...decoded } as typeof offer, log.args.signature, PAPER_WH);
      expect((await f.market.offerStatus(offer))[0]).to.equal(BigInt(OfferStatus.NonceUsed));
    });

    it("checks signer, role, fields, time and justification", async () => {
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
      for (const bad of [{ amountWh: 0n }, { usd: 0n }, { maxFillWh: 0n }]) {
        const o = paperOffer(f, bad);
        await expect(f.market.post(o, await sign(f, o))).to.be.revertedWithCustomError(f.market, "ZeroAmount");
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
    it("a whole fill escrows the commitment and the payment into one position; the nonce is used", async () => {
      const f = await loadFixture(deployMarket);
      const offer = paperOffer(f);
      const [c0, g0] = [await balances(f, f.centre), await balances(f, f.gen27)];
      const tx = await f.market.connect(f.gen27).fill(offer, await sign(f, offer), PAPER_WH);
      const p = await positionOf(f, tx);
      expect(strip(p)).to.deep.equal({
        offerHash: await f.market.hashOffer(offer),
        centre: f.centre.address,
        generator: f.gen27.address,
        period: f.period + 1n,
        direction: BigInt(Direction.Decrease),
        baseline: 0n,
        baselineDays: 0n,
        amountWh: PAPER_WH,
        committedBeforeWh: 0n,
        usd: PAPER_USD,
      });
      await expect(tx)
        .to.emit(f.market, "Filled")
        .withArgs(p.hash, p.offerHash, f.gen27.address, Object.values(strip(p)));
      expect(await balances(f, f.centre)).to.deep.equal({ usd: c0.usd - PAPER_USD, kwh: c0.kwh });
      expect(await balances(f, f.gen27)).to.deep.equal({ usd: g0.usd, kwh: g0.kwh - PAPER_WH });
      expect(await f.market.isOpen(strip(p))).to.equal(true);
      expect(await f.market.offerStatus(offer)).to.deep.equal([BigInt(OfferStatus.NonceUsed), 0n]);
      expect(await f.market.nonceBitmap(f.centre.address, offer.nonce >> 8n)).to.equal(1n << (offer.nonce & 255n));
      expect(await f.market.committedOf(f.gen27.address, f.period + 1n)).to.deep.equal([0n, PAPER_WH, 0n, 0n]);
      await expect(f.market.connect(f.gen27b).fill(offer, await sign(f, offer), PAPER_WH))
        .to.be.revertedWithCustomError(f.market, "OfferNotOpen")
        .withArgs(p.offerHash, OfferStatus.NonceUsed);
    });

    it("partial fills by two generators up to the amount; payments rounded down never exceed the USD", async () => {
      const f = await loadFixture(deployMarket);
      const offer = paperOffer(f, { maxFillWh: 1500n });
      const a = await fillOffer(f, offer, f.gen27, 1000n);
      const b = await fillOffer(f, offer, f.gen27b, 1299n);
      expect(await f.market.offerStatus(offer)).to.deep.equal([BigInt(OfferStatus.Open), 2299n]);
      // ⌊25,266,763 · 1000 / 2300⌋ = 10,985,549 and ⌊25,266,763 · 1299 / 2300⌋ = 14,270,228.
      expect([a.usd, b.usd]).to.deep.equal([10_985_549n, 14_270_228n]);
      await expect(f.market.connect(f.gen27).fill(offer, await sign(f, offer), 2n))
        .to.be.revertedWithCustomError(f.market, "Overfill")
        .withArgs(a.offerHash, 2299n, 2n, 2300n);
      await expect(f.market.connect(f.gen27).fill(offer, await sign(f, offer), 1501n))
        .to.be.revertedWithCustomError(f.market, "FillTooLarge")
        .withArgs(1501n, 1500n);
      const c = await fillOffer(f, offer, f.gen27, 1n);
      expect(c.usd).to.equal(10_985n);
      expect(BigInt(a.usd) + BigInt(b.usd) + BigInt(c.usd)).to.be.lte(PAPER_USD);
      expect(await f.market.offerStatus(offer)).to.deep.equal([BigInt(OfferStatus.Filled), 2300n]);
      await expect(f.market.connect(f.gen27).fill(offer, await sign(f, offer), 1n))
        .to.be.revertedWithCustomError(f.market, "OfferNotOpen")
        .withArgs(a.offerHash, OfferStatus.Filled);
      // gen27's second fill in the period comes after its first: committedBefore = 1000.
      expect([a.committedBeforeWh, b.committedBeforeWh, c.committedBeforeWh]).to.deep.equal([0n, 0n, 1000n]);
      expect(await f.market.isOpen(strip(c))).to.equal(true);
      // A whole fill is no longer possible once the offer is partly filled.
      const d = paperOffer(f, { maxFillWh: PAPER_WH });
      await fillOffer(f, d, f.gen27, 1n);
      await expect(f.market.connect(f.gen27b).fill(d, await sign(f, d), PAPER_WH))
        .to.be.revertedWithCustomError(f.market, "Overfill")
        .withArgs(await f.market.hashOffer(d), 1n, PAPER_WH, PAPER_WH);
    });

    it("gate closure (GS-02): open until the second before the delivery period starts, less the margin", async () => {
      const f = await loadFixture(deployMarket);
      const start = (f.period + 1n) * f.periodSeconds;
      const offer = paperOffer(f, { deadline: FAR });
      const hash = await f.market.hashOffer(offer);
      await time.setNextBlockTimestamp(start);
      await expect(f.market.connect(f.gen27).fill(offer, await sign(f, offer), PAPER_WH))
        .to.be.revertedWithCustomError(f.market, "OfferNotOpen")
        .withArgs(hash, OfferStatus.Closed);
      const g = await deployWith({ gateClosureSeconds: 300 });
      const o = paperOffer(g, { deadline: FAR });
      const gStart = (g.period + 1n) * g.periodSeconds;
      const o2 = paperOffer(g, { deadline: FAR });
      await time.setNextBlockTimestamp(gStart - 301n);
      await expect(g.market.connect(g.gen27).fill(o2, await sign(g, o2), PAPER_WH)).to.emit(g.market, "Filled");
      await time.setNextBlockTimestamp(gStart - 300n);
      await expect(g.market.connect(g.gen27).fill(o, await sign(g, o), PAPER_WH))
        .to.be.revertedWithCustomError(g.market, "OfferNotOpen")
        .withArgs(await g.market.hashOffer(o), OfferStatus.Closed);
    });

    it("closes at the offer's deadline and beyond the fill horizon", async () => {
      const f = await loadFixture(deployMarket);
      const now = BigInt(await time.latest());
      const offer = paperOffer(f, { deadline: now + 5n });
      await time.setNextBlockTimestamp(now + 6n);
      await expect(f.market.connect(f.gen27).fill(offer, await sign(f, offer), PAPER_WH)).to.be.revertedWithCustomError(
        f.market,
        "OfferNotOpen",
      );
      const far = paperOffer(f, { period: f.period + 49n, deadline: FAR });
      expect((await f.market.offerStatus(far))[0]).to.equal(BigInt(OfferStatus.Closed));
      const edge = paperOffer(f, { period: f.period + 48n, deadline: FAR });
      await expect(f.market.connect(f.gen27).fill(edge, await sign(f, edge), PAPER_WH)).to.emit(f.market, "Filled");
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
      await expect(f.market.connect(f.gen27).fill(one, await sign(f, one), PAPER_WH))
        .to.be.revertedWithCustomError(f.market, "OfferNotOpen")
        .withArgs(await f.market.hashOffer(one), OfferStatus.NonceUsed);
      // Another centre's cancellations do not touch this centre's nonces.
      await f.market.connect(f.centre2).cancel(771n);
      expect((await f.market.offerStatus(o771))[0]).to.equal(BigInt(OfferStatus.Open));
      await expect(f.market.connect(f.centre).cancelAll())
        .to.emit(f.market, "EpochAdvanced")
        .withArgs(f.centre.address, 1n);
      expect(await f.market.epochOf(f.centre.address)).to.equal(1n);
      expect((await f.market.offerStatus(o771))[0]).to.equal(BigInt(OfferStatus.EpochCancelled));
      await expect(f.market.connect(f.gen27).fill(o771, await sign(f, o771), PAPER_WH))
        .to.be.revertedWithCustomError(f.market, "OfferNotOpen")
        .withArgs(await f.market.hashOffer(o771), OfferStatus.EpochCancelled);
      const fresh = paperOffer(f, { epoch: 1n });
      await expect(f.market.connect(f.gen27).fill(fresh, await sign(f, fresh), PAPER_WH)).to.emit(f.market, "Filled");
    });

    it("refuses wrong signers, another chain's or contract's domain, and a malformed signature", async () => {
      const f = await loadFixture(deployMarket);
      const offer = paperOffer(f);
      const domain = await readDomain(f.market);
      const byStranger = await signOffer(f.stranger, domain, offer);
      await expect(f.market.connect(f.gen27).fill(offer, byStranger, PAPER_WH))
        .to.be.revertedWithCustomError(f.market, "WrongSigner")
        .withArgs(f.stranger.address, f.centre.address);
      for (const other of [
        { ...domain, chainId: BigInt(domain.chainId!) + 1n },
        { ...domain, verifyingContract: await f.oracle.getAddress() },
        { ...domain, version: "1" },
      ]) {
        const sig = await signOffer(f.centre, other, offer);
        const recovered = ethers.recoverAddress(await f.market.hashOffer(offer), sig);
        expect(recovered).not.to.equal(f.centre.address);
        await expect(f.market.connect(f.gen27).fill(offer, sig, PAPER_WH))
          .to.be.revertedWithCustomError(f.market, "WrongSigner")
          .withArgs(recovered, f.centre.address);
      }
      await expect(f.market.connect(f.gen27).fill(offer, "0x1234", PAPER_WH))
        .to.be.revertedWithCustomError(f.market, "WrongSigner")
        .withArgs(ethers.ZeroAddress, f.centre.address);
      // An offer naming the zero address as centre never verifies (a malformed signature recovers to 0).
      const nobody = paperOffer(f, { centre: ethers.ZeroAddress });
      await expect(f.market.connect(f.gen27).fill(nobody, "0x1234", PAPER_WH))
        .to.be.revertedWithCustomError(f.market, "WrongSigner")
        .withArgs(ethers.ZeroAddress, ethers.ZeroAddress);
      // A centre whose role was revoked can no longer be filled.
      await f.market.connect(f.admin).revokeRole(await f.market.CENTRE_ROLE(), f.centre.address);
      await expect(f.market.connect(f.gen27).fill(offer, await sign(f, offer), PAPER_WH))
        .to.be.revertedWithCustomError(f.market, "NotCentre")
        .withArgs(f.centre.address);
    });

    it("only a registered generator at the node, or the one named, fills", async () => {
      const f = await loadFixture(deployMarket);
      const offer = paperOffer(f);
      const sig = await sign(f, offer);
      await expect(f.market.connect(f.gen34).fill(offer, sig, PAPER_WH))
        .to.be.revertedWithCustomError(f.market, "GeneratorNotAtNode")
        .withArgs(f.gen34.address, 27n, 34n);
      await expect(f.market.connect(f.stranger).fill(offer, sig, PAPER_WH))
        .to.be.revertedWithCustomError(f.market, "GeneratorNotAtNode")
        .withArgs(f.stranger.address, 27n, 0n);
      await f.registry.connect(f.registrar).deregister(f.gen27b.address);
      await expect(f.market.connect(f.gen27b).fill(offer, sig, PAPER_WH))
        .to.be.revertedWithCustomError(f.market, "GeneratorNotAtNode")
        .withArgs(f.gen27b.address, 27n, 0n);
      const named = paperOffer(f, { generator: f.gen27.address });
      await expect(f.market.connect(f.gen27b).fill(named, await sign(f, named), PAPER_WH))
        .to.be.revertedWithCustomError(f.market, "NotOfferGenerator")
        .withArgs(f.gen27.address, f.gen27b.address);
      await expect(f.market.connect(f.gen27).fill(named, await sign(f, named), PAPER_WH)).to.emit(f.market, "Filled");
      await expect(f.market.connect(f.gen27).fill(offer, sig, 0n)).to.be.revertedWithCustomError(
        f.market,
        "ZeroAmount",
      );
    });

    it("needs the centre's free USD and the generator's free kWh", async () => {
      const f = await loadFixture(deployMarket);
      await f.market.connect(f.centre).withdraw(0, USD("500") - 1n, f.centre.address);
      const offer = paperOffer(f);
      await expect(f.market.connect(f.gen27).fill(offer, await sign(f, offer), PAPER_WH))
        .to.be.revertedWithCustomError(f.market, "InsufficientBalance")
        .withArgs(f.centre.address, 0, 1n, PAPER_USD);
      await f.market.connect(f.gen27).withdraw(1, KWH("499"), f.gen27.address);
      const big = paperOffer(f, { centre: f.centre2.address, amountWh: 1001n, maxFillWh: 1001n });
      await expect(f.market.connect(f.gen27).fill(big, await sign(f, big), 1001n))
        .to.be.revertedWithCustomError(f.market, "InsufficientBalance")
        .withArgs(f.gen27.address, 1, 1000n, 1001n);
    });

    it("one baseline per generator and period (BaselineConflict); the book ring slot is reused a horizon later", async () => {
      const f = await loadFixture(deployMarket);
      await fillOffer(f, paperOffer(f), f.gen27);
      const rolling = paperOffer(f, { baseline: BaselineMethod.RollingAverage, baselineDays: 5 });
      await expect(f.market.connect(f.gen27).fill(rolling, await sign(f, rolling), PAPER_WH))
        .to.be.revertedWithCustomError(f.market, "BaselineConflict")
        .withArgs(f.gen27.address, f.period + 1n, 0, 0);
      // Same method, other number of days: also another baseline.
      await fillOffer(
        f,
        paperOffer(f, { node: 34, baseline: BaselineMethod.RollingAverage, baselineDays: 5 }),
        f.gen34,
      );
      const days3 = paperOffer(f, { node: 34, baseline: BaselineMethod.RollingAverage, baselineDays: 3 });
      await expect(f.market.connect(f.gen34).fill(days3, await sign(f, days3), PAPER_WH))
        .to.be.revertedWithCustomError(f.market, "BaselineConflict")
        .withArgs(f.gen34.address, f.period + 1n, 1, 5);
      const later = paperOffer(f, { period: f.period + 1n + 48n, deadline: FAR, baseline: BaselineMethod.MeterBefore });
      await at(f, f.period + 2n);
      await fillOffer(f, later, f.gen27);
      expect(await f.market.committedOf(f.gen27.address, f.period + 1n)).to.deep.equal([0n, 0n, 0n, 0n]);
      expect(await f.market.committedOf(f.gen27.address, f.period + 49n)).to.deep.equal([0n, PAPER_WH, 2n, 0n]);
      await fillOffer(
        f,
        paperOffer(f, {
          period: f.period + 49n,
          deadline: FAR,
          baseline: 2,
          direction: 0,
          amountWh: 5n,
          maxFillWh: 5n,
        }),
        f.gen27,
      );
      expect(await f.market.committedOf(f.gen27.address, f.period + 49n)).to.deep.equal([5n, PAPER_WH, 2n, 0n]);
    });
  });

  describe("settlement: the graduated rule (A = 2,300 Wh, U = 25,266,763, min 50 %, penalty 50 %)", () => {
    // Hand-computed, as in docs/contracts.md.
    const table: [string, bigint, bigint, bigint, bigint, bigint, bigint][] = [
      // name, measured (Decrease: −Wh), delivered, paid, penalty, USD to generator, kWh to centre
      ["0 %", 0n, 0n, 0n, 1150n, 0n, 1150n],
      ["30 %", -690n, 690n, 0n, 1150n, 0n, 1150n],
      ["50 %", -1150n, 1150n, 1150n, 575n, 12_633_381n, 1725n],
      ["60 %", -1380n, 1380n, 1380n, 460n, 15_160_057n, 1840n],
      ["100 %", -2300n, 2300n, 2300n, 0n, 25_266_763n, 2300n],
      ["130 %", -2990n, 2300n, 2300n, 0n, 25_266_763n, 2300n],
      ["output raised instead", 500n, 0n, 0n, 1150n, 0n, 1150n],
    ];
    for (const [name, measured, delivered, paid, penalty, toGenerator, kwhToCentre] of table) {
      it(`${name}: generator ${toGenerator} (1e-8 USD), centre ${kwhToCentre} Wh`, async () => {
        const f = await loadFixture(deployMarket);
        const p = await filledAndMeasured(f, measured);
        const [c0, g0] = [await balances(f, f.centre), await balances(f, f.gen27)];
        const preview = await f.market.previewSettlement(strip(p));
        const tx = f.market.connect(f.stranger).settle(strip(p));
        await expect(tx)
          .to.emit(f.market, "Settled")
          .withArgs(p.hash, [delivered, paid, penalty, toGenerator, PAPER_USD - toGenerator, Quality.Ok]);
        expect(preview).to.deep.equal([true, [delivered, paid, penalty, toGenerator, PAPER_USD - toGenerator, 0n]]);
        expect(await balances(f, f.gen27)).to.deep.equal({
          usd: g0.usd + toGenerator,
          kwh: g0.kwh + PAPER_WH - kwhToCentre,
        });
        expect(await balances(f, f.centre)).to.deep.equal({
          usd: c0.usd + PAPER_USD - toGenerator,
          kwh: c0.kwh + kwhToCentre,
        });
        expect(await f.market.isOpen(strip(p))).to.equal(false);
        await expect(f.market.settle(strip(p)))
          .to.be.revertedWithCustomError(f.market, "UnknownPosition")
          .withArgs(p.hash);
      });
    }

    it("an Increase position is paid for raised output", async () => {
      const f = await loadFixture(deployMarket);
      const p = await filledAndMeasured(f, 1380n, paperOffer(f, { direction: Direction.Increase }));
      await expect(f.market.settle(strip(p)))
        .to.emit(f.market, "Settled")
        .withArgs(p.hash, [1380n, 1380n, 460n, 15_160_057n, PAPER_USD - 15_160_057n, Quality.Ok]);
    });

    it("an Estimated measurement settles and is flagged in the settlement", async () => {
      const f = await loadFixture(deployMarket);
      const p = await fillOffer(f, paperOffer(f), f.gen27);
      await at(f, f.period + 2n, 10n);
      const m = measurement(f.gen27.address, f.period + 1n, -2300n, { quality: Quality.Estimated });
      await submitReport(f, paperReport(f.period + 2n, [m]));
      await time.increase(1800n);
      await expect(f.market.settle(strip(p)))
        .to.emit(f.market, "Settled")
        .withArgs(p.hash, [2300n, 2300n, 0n, PAPER_USD, 0n, Quality.Estimated]);
    });

    it("a forged position (one field changed) is unknown", async () => {
      const f = await loadFixture(deployMarket);
      const p = await filledAndMeasured(f, -2300n);
      const forged = { ...strip(p), usd: PAPER_USD + 1n };
      await expect(f.market.settle(forged))
        .to.be.revertedWithCustomError(f.market, "UnknownPosition")
        .withArgs(positionHash(forged));
      expect(await f.market.previewSettlement(forged)).to.deep.equal([false, [0n, 0n, 0n, 0n, 0n, 0n]]);
    });
  });

  describe("settlement: measurement states", () => {
    it("waits for the measurement and for the dispute window (MeasurementNotFinal)", async () => {
      const f = await loadFixture(deployMarket);
      const p = await fillOffer(f, paperOffer(f), f.gen27);
      await expect(f.market.settle(strip(p)))
        .to.be.revertedWithCustomError(f.market, "MeasurementNotFinal")
        .withArgs(f.period + 1n, f.gen27.address, MeasurementState.None);
      await at(f, f.period + 2n, 10n);
      await submitReport(f, paperReport(f.period + 2n, [measurement(f.gen27.address, f.period + 1n, -2300n)]));
      await expect(f.market.settle(strip(p)))
        .to.be.revertedWithCustomError(f.market, "MeasurementNotFinal")
        .withArgs(f.period + 1n, f.gen27.address, MeasurementState.Reported);
      await time.increase(1800n);
      await expect(f.market.settle(strip(p))).to.emit(f.market, "Settled");
    });

    it("a dispute holds the settlement; the quorum's correction releases it with the corrected value", async () => {
      const f = await loadFixture(deployMarket);
      const p = await fillOffer(f, paperOffer(f), f.gen27);
      await at(f, f.period + 2n, 10n);
      // The oracle says the generator lowered output by 0.69 kWh (30 %: nothing paid) ...
      await submitReport(f, paperReport(f.period + 2n, [measurement(f.gen27.address, f.period + 1n, -690n)]));
      // ... its meter says 2.3 kWh: it disputes within the window.
      const reading = { generator: f.gen27.address, period: f.period + 1n, actualWh: 10_000n - 2300n };
      await f.oracle.connect(f.gen27).dispute(reading, await signMeterReading(f.meter.gen27, f.oracleDomain, reading));
      await time.increase(3 * 1800);
      await expect(f.market.settle(strip(p)))
        .to.be.revertedWithCustomError(f.market, "MeasurementNotFinal")
        .withArgs(f.period + 1n, f.gen27.address, MeasurementState.Disputed);
      const fixed = measurement(f.gen27.address, f.period + 1n, -2300n);
      const sigs = await signCorrection([f.o2, f.o3], f.oracleDomain, fixed, ethers.id("meter"), 1n, FAR);
      await f.oracle.correctMeasurement(fixed, ethers.id("meter"), FAR, sigs);
      await expect(f.market.settle(strip(p)))
        .to.emit(f.market, "Settled")
        .withArgs(p.hash, [2300n, 2300n, 0n, PAPER_USD, 0n, Quality.Ok]);
    });

    it("Missing and Bad measurements are unusable; a mismatched baseline too", async () => {
      const f = await loadFixture(deployMarket);
      const a = await fillOffer(f, paperOffer(f), f.gen27);
      const b = await fillOffer(f, paperOffer(f, { node: 34 }), f.gen34);
      const c = await fillOffer(f, paperOffer(f, { node: 2 }), f.gen2);
      const d = await fillOffer(
        f,
        paperOffer(f, { baseline: BaselineMethod.RollingAverage, baselineDays: 4 }),
        f.gen27b,
      );
      await at(f, f.period + 2n, 10n);
      await submitReport(
        f,
        paperReport(f.period + 2n, [
          measurement(f.gen27.address, f.period + 1n, 0n, { quality: Quality.Missing }),
          measurement(f.gen34.address, f.period + 1n, -2300n, { quality: Quality.Bad }),
          measurement(f.gen2.address, f.period + 1n, -2300n, { baseline: BaselineMethod.MeterBefore }),
          measurement(f.gen27b.address, f.period + 1n, -2300n, {
            baseline: BaselineMethod.RollingAverage,
            baselineDays: 5,
          }),
        ]),
      );
      await time.increase(1800n);
      await expect(f.market.settle(strip(a)))
        .to.be.revertedWithCustomError(f.market, "MeasurementUnusable")
        .withArgs(f.period + 1n, f.gen27.address, Quality.Missing);
      await expect(f.market.settle(strip(b)))
        .to.be.revertedWithCustomError(f.market, "MeasurementUnusable")
        .withArgs(f.period + 1n, f.gen34.address, Quality.Bad);
      await expect(f.market.settle(strip(c)))
        .to.be.revertedWithCustomError(f.market, "BaselineMismatch")
        .withArgs(2, 0, 0, 0);
      await expect(f.market.settle(strip(d)))
        .to.be.revertedWithCustomError(f.market, "BaselineMismatch")
        .withArgs(1, 5, 1, 4);
      expect((await f.market.previewSettlement(strip(a)))[0]).to.equal(false);
    });
  });

  describe("settleMany and reportAndSettle (GS-11)", () => {
    it("settleMany settles what it can, skips the rest, counts both, never reverts for one item", async () => {
      const f = await loadFixture(deployMarket);
      const a = await fillOffer(f, paperOffer(f), f.gen27);
      const b = await fillOffer(f, paperOffer(f, { node: 34 }), f.gen34); // never measured
      await at(f, f.period + 2n, 10n);
      await submitReport(f, paperReport(f.period + 2n, [measurement(f.gen27.address, f.period + 1n, -2300n)]));
      await time.increase(1800n);
      const list = [strip(a), strip(b), strip(a)];
      expect(await f.market.settleMany.staticCall(list)).to.deep.equal([1n, 3n]);
      const tx = f.market.settleMany(list);
      await expect(tx).to.emit(f.market, "Settled").withArgs(a.hash, [2300n, 2300n, 0n, PAPER_USD, 0n, 0n]);
      expect((await (await tx).wait())!.logs.length).to.equal(1);
      expect(await f.market.settleMany.staticCall([])).to.deep.equal([0n, 0n]);
    });

    it("bounds the batch (TooManyItems) and stops before running out of gas", async () => {
      const f = await loadFixture(deployMarket);
      const p = strip(await fillOffer(f, paperOffer(f), f.gen27));
      const max = await f.market.MAX_SETTLEMENT_BATCH();
      await expect(f.market.settleMany(Array(Number(max) + 1).fill(p)))
        .to.be.revertedWithCustomError(f.market, "TooManyItems")
        .withArgs(max + 1n, max);
      // 100 distinct unknown positions (cold reads each): with 700k gas (573k of it the calldata floor) it cannot look at all of
      // them, and it stops early instead of running out of gas.
      const many = Array.from({ length: 100 }, (_, i) => ({ ...p, usd: BigInt(i + 1) }));
      const [settled, processed] = await f.market.settleMany.staticCall(many, { gasLimit: 700_000 });
      expect(settled).to.equal(0n);
      expect(processed).to.be.lessThan(100n);
      expect(processed).to.be.greaterThan(0n);
      expect(await f.market.settleMany.staticCall(many, { gasLimit: 5_000_000 })).to.deep.equal([0n, 100n]);
    });

    it("reportAndSettle forwards the signed report and settles, pushed, within the caller's gas budget", async () => {
      const f = await loadFixture(deployNoWindow);
      const a = await fillOffer(f, paperOffer(f), f.gen27);
      const b = await fillOffer(f, paperOffer(f, { node: 34 }), f.gen34);
      await at(f, f.period + 2n, 10n);
      const report = paperReport(f.period + 2n, [
        measurement(f.gen27.address, f.period + 1n, -2300n),
        measurement(f.gen34.address, f.period + 1n, -1380n),
      ]);
      const sigs = await reportSignatures(f, report);
      expect(await f.market.reportAndSettle.staticCall(report, FAR, sigs, [strip(a), strip(b)], 0)).to.deep.equal([
        0n,
        0n,
      ]);
      const tx = f.market.connect(f.stranger).reportAndSettle(report, FAR, sigs, [strip(a), strip(b)], 1_000_000);
      await expect(tx).to.emit(f.oracle, "ReportSubmitted");
      await expect(tx).to.emit(f.market, "Settled").withArgs(a.hash, [2300n, 2300n, 0n, PAPER_USD, 0n, 0n]);
      await expect(tx)
        .to.emit(f.market, "Settled")
        .withArgs(b.hash, [1380n, 1380n, 460n, 15_160_057n, PAPER_USD - 15_160_057n, 0n]);
      const max = await f.market.MAX_SETTLEMENT_BATCH();
      await expect(f.market.reportAndSettle(report, FAR, sigs, Array(Number(max) + 1).fill(strip(a)), 1))
        .to.be.revertedWithCustomError(f.market, "TooManyItems")
        .withArgs(max + 1n, max);
      await expect(f.market.reportAndSettle(report, FAR, sigs, [], 1))
        .to.be.revertedWithCustomError(f.oracle, "ReportAlreadySubmitted")
        .withArgs(f.period + 2n);
    });
  });

  describe("unwind", () => {
    it("returns both escrows after the grace time when never measured; not before", async () => {
      const f = await loadFixture(deployMarket);
      const p = await fillOffer(f, paperOffer(f), f.gen27);
      const [c0, g0] = [await balances(f, f.centre), await balances(f, f.gen27)];
      const at_ = (f.period + 2n) * f.periodSeconds + 604_800n;
      await time.setNextBlockTimestamp(at_ - 1n);
      await expect(f.market.unwind(strip(p)))
        .to.be.revertedWithCustomError(f.market, "GraceNotOver")
        .withArgs(p.hash, at_);
      await time.setNextBlockTimestamp(at_);
      await expect(f.market.connect(f.stranger).unwind(strip(p)))
        .to.emit(f.market, "Unwound")
        .withArgs(p.hash, PAPER_USD, PAPER_WH);
      expect(await balances(f, f.centre)).to.deep.equal({ usd: c0.usd + PAPER_USD, kwh: c0.kwh });
      expect(await balances(f, f.gen27)).to.deep.equal({ usd: g0.usd, kwh: g0.kwh + PAPER_WH });
      await expect(f.market.unwind(strip(p)))
        .to.be.revertedWithCustomError(f.market, "UnknownPosition")
        .withArgs(p.hash);
    });

    it("a position with a final usable measurement must be settled (DeliveryMeasured); a Missing one unwinds", async () => {
      const f = await loadFixture(deployMarket);
      const a = await fillOffer(f, paperOffer(f), f.gen27);
      const b = await fillOffer(f, paperOffer(f, { node: 34 }), f.gen34);
      await at(f, f.period + 2n, 10n);
      await submitReport(
        f,
        paperReport(f.period + 2n, [
          measurement(f.gen27.address, f.period + 1n, -2300n),
          measurement(f.gen34.address, f.period + 1n, 0n, { quality: Quality.Missing }),
        ]),
      );
      await time.increase(604_800n + 1800n);
      await expect(f.market.unwind(strip(a)))
        .to.be.revertedWithCustomError(f.market, "DeliveryMeasured")
        .withArgs(a.hash);
      await expect(f.market.unwind(strip(b))).to.emit(f.market, "Unwound");
      await expect(f.market.settle(strip(a))).to.emit(f.market, "Settled");
    });
  });

  it("a settled position frees its book slot, which the position a horizon later reuses", async () => {
    const f = await loadFixture(deployMarket);
    const p = await filledAndMeasured(f, -2300n);
    await f.market.settle(strip(p));
    const later = paperOffer(f, { period: f.period + 1n + 48n, deadline: FAR });
    const q = await fillOffer(f, later, f.gen27);
    expect(await f.market.isOpen(strip(q))).to.equal(true);
    expect(await f.market.isOpen(strip(p))).to.equal(false);
  });

  it("a position that found its book slot busy is kept apart and settles the same way", async () => {
    const f = await loadFixture(deployMarket);
    const first = await fillOffer(f, paperOffer(f, { amountWh: 1000n, maxFillWh: 1000n }), f.gen27);
    const second = await fillOffer(f, paperOffer(f, { centre: f.centre2.address }), f.gen27);
    expect(second.committedBeforeWh).to.equal(1000n);
    await at(f, f.period + 2n, 10n);
    await submitReport(f, paperReport(f.period + 2n, [measurement(f.gen27.address, f.period + 1n, -2300n)]));
    await time.increase(1800n);
    // Settled in reverse order: the first fill is still credited first (GS-03).
    await expect(f.market.settle(strip(second)))
      .to.emit(f.market, "Settled")
      .withArgs(second.hash, [1300n, 1300n, 500n, 14_281_213n, PAPER_USD - 14_281_213n, 0n]);
    await expect(f.market.settle(strip(first)))
      .to.emit(f.market, "Settled")
      .withArgs(first.hash, [1000n, 1000n, 0n, first.usd, 0n, 0n]);
  });
});

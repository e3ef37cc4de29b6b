/**
 * Unit tests of DemandResponseMarket: every path of publish, accept, acceptWithPermit, settle,
 * settleMany, cancel, refund and unwind, the pro-rata settlement rule (exact amounts, rounded
 * down), role gating, and reentrancy through a token that calls back during transfers.
 * Wherever money moves, the USD and kWh balance of every party and of the market is checked
 * (nothing lost, nothing created). Clock-sensitive boundaries are hit to the second with
 * setNextBlockTimestamp.
 */
import { expect } from "chai";
import { ethers } from "hardhat";
import { loadFixture, time } from "@nomicfoundation/hardhat-network-helpers";
import type { HardhatEthersSigner } from "@nomicfoundation/hardhat-ethers/signers";
import type { Result } from "ethers";
import {
  DemandResponseMarket__factory,
  GeneratorRegistry__factory,
  GridOracle__factory,
  KwhToken__factory,
  ReentrantToken__factory,
  UsdToken__factory,
  type DemandResponseMarket,
  type GridOracle,
  type IDemandResponseMarket,
  type IGridOracle,
} from "../../typechain-types";
import { deployMarket, Direction, KWH, paperReport, PERIOD_SECONDS, Status, USD, type OfferInput } from "./fixture";
import { expectMoved, ledger, signPermit, type BalanceToken, type Ledger } from "./unit-helpers";

const GRACE = 7n * 24n * 3600n;
const INT64_MIN = -(2n ** 63n);
const INT64_MAX = 2n ** 63n - 1n;
const PAPER_USD = USD("0.25266763"); // 25_266_763 units
const PAPER_KWH = KWH("2.3"); // 2_300 Wh

/** What the helpers need of a deployment (the standard fixture or the reentrant-token one). */
interface World {
  market: DemandResponseMarket;
  gridOracle: GridOracle;
  usd: BalanceToken;
  kwh: BalanceToken;
  admin: HardhatEthersSigner;
  oracle: HardhatEthersSigner;
  centre: HardhatEthersSigner;
  gen27: HardhatEthersSigner;
  gen34: HardhatEthersSigner;
  gen2: HardhatEthersSigner;
  stranger: HardhatEthersSigner;
  period: bigint;
  start: bigint;
  paperOffer: (overrides?: Partial<OfferInput>) => OfferInput;
}

/** USD and kWh balances of every party and of the market. */
function snap(w: World): Promise<Ledger> {
  const { admin, oracle, centre, gen27, gen34, gen2, stranger, market } = w;
  return ledger({ usd: w.usd, kwh: w.kwh }, { admin, oracle, centre, gen27, gen34, gen2, stranger, market });
}

/** The centre publishes the paper's offer with `overrides`; returns its id. */
async function publish(w: World, overrides: Partial<OfferInput> = {}): Promise<bigint> {
  await w.market.connect(w.centre).publish(w.paperOffer(overrides));
  return w.market.offerCount();
}

/** Publishes an offer and has `generator` accept it; returns its id. */
async function accepted(w: World, generator: HardhatEthersSigner, overrides: Partial<OfferInput> = {}) {
  const id = await publish(w, overrides);
  await w.market.connect(generator).accept(id);
  return id;
}

/**
 * The oracle reports `deliveries` in the first unreported period after all of them (advancing
 * the clock to that period's start when needed).
 */
async function measure(w: World, deliveries: IGridOracle.DeliveryStruct[]): Promise<bigint> {
  const now = BigInt(await time.latest());
  let reportPeriod = now / PERIOD_SECONDS;
  for (const d of deliveries) if (BigInt(d.period) >= reportPeriod) reportPeriod = BigInt(d.period) + 1n;
  while (await w.gridOracle.hasReport(reportPeriod)) reportPeriod += 1n;
  if (now < reportPeriod * PERIOD_SECONDS) await time.increaseTo(reportPeriod * PERIOD_SECONDS);
  await w.gridOracle.connect(w.oracle).submitReport(paperReport(reportPeriod, deliveries), []);
  return reportPeriod;
}

function delivery(w: World, generator: HardhatEthersSigner, adjustmentWh: bigint, period = w.period) {
  return { period, generator: generator.address, adjustmentWh };
}

/** Every field of a stored offer, by name. */
function fields(offer: IDemandResponseMarket.OfferStructOutput): Record<string, unknown> {
  return (offer as unknown as Result).toObject();
}

const periodEnd = (period: bigint) => (period + 1n) * PERIOD_SECONDS;

describe("DemandResponseMarket", () => {
  describe("publish", () => {
    it("escrows the USD, stores every field and emits every field", async () => {
      const f = await loadFixture(deployMarket);
      const { market, centre } = f;
      const params = f.paperOffer();
      const before = await snap(f);
      await expect(market.connect(centre).publish(params))
        .to.emit(market, "OfferPublished")
        .withArgs(
          1n,
          centre.address,
          ethers.ZeroAddress,
          27n,
          Direction.Decrease,
          PAPER_KWH,
          PAPER_USD,
          f.period,
          f.period - 1n,
          f.start + 1200n,
        );
      expectMoved(before, await snap(f), { usd: { centre: -PAPER_USD, market: PAPER_USD } });
      expect(await market.offerCount()).to.equal(1n);
      expect(fields(await market.getOffer(1))).to.deep.equal({
        centre: centre.address,
        usdAmount: PAPER_USD,
        generator: ethers.ZeroAddress,
        kwhAmount: PAPER_KWH,
        expiry: f.start + 1200n,
        period: f.period,
        justification: f.period - 1n,
        node: 27n,
        direction: BigInt(Direction.Decrease),
        status: Status.Open,
        restricted: false,
      });
    });

    it("numbers offers from 1 and stores a restricted Increase offer for a later period", async () => {
      const f = await loadFixture(deployMarket);
      const { market, centre, gen34 } = f;
      await publish(f);
      const later = f.period + 3n;
      const params = f.paperOffer({
        generator: gen34.address,
        node: 34,
        direction: Direction.Increase,
        kwhAmount: 1n,
        usdAmount: 7n,
        period: later,
        expiry: periodEnd(later) - 1n, // the last second before the delivery period ends is allowed
      });
      const before = await snap(f);
      await expect(market.connect(centre).publish(params))
        .to.emit(market, "OfferPublished")
        .withArgs(
          2n,
          centre.address,
          gen34.address,
          34n,
          Direction.Increase,
          1n,
          7n,
          later,
          f.period - 1n,
          periodEnd(later) - 1n,
        );
      expectMoved(before, await snap(f), { usd: { centre: -7n, market: 7n } });
      expect(await market.offerCount()).to.equal(2n);
      expect(fields(await market.getOffer(2))).to.deep.equal({
        centre: centre.address,
        usdAmount: 7n,
        generator: gen34.address,
        kwhAmount: 1n,
        expiry: periodEnd(later) - 1n,
        period: later,
        justification: f.period - 1n,
        node: 34n,
        direction: BigInt(Direction.Increase),
        status: Status.Open,
        restricted: true,
      });
    });

    it("getOffer of an unknown id is all zero", async () => {
      const f = await loadFixture(deployMarket);
      expect(fields(await f.market.getOffer(42))).to.deep.equal({
        centre: ethers.ZeroAddress,
        usdAmount: 0n,
        generator: ethers.ZeroAddress,
        kwhAmount: 0n,
        expiry: 0n,
        period: 0n,
        justification: 0n,
        node: 0n,
        direction: 0n,
        status: Status.None,
        restricted: false,
      });
    });

    it("only CENTRE_ROLE may publish (not even the admin)", async () => {
      const f = await loadFixture(deployMarket);
      const role = await f.market.CENTRE_ROLE();
      for (const who of [f.stranger, f.admin, f.gen27, f.oracle]) {
        await expect(f.market.connect(who).publish(f.paperOffer()))
          .to.be.revertedWithCustomError(f.market, "AccessControlUnauthorizedAccount")
          .withArgs(who.address, role);
      }
      expect(await f.market.offerCount()).to.equal(0n);
    });

    it("a centre whose role was revoked cannot publish but can still cancel its open offer", async () => {
      const f = await loadFixture(deployMarket);
      const id = await publish(f);
      const role = await f.market.CENTRE_ROLE();
      await f.market.connect(f.admin).revokeRole(role, f.centre.address);
      await expect(f.market.connect(f.centre).publish(f.paperOffer()))
        .to.be.revertedWithCustomError(f.market, "AccessControlUnauthorizedAccount")
        .withArgs(f.centre.address, role);
      const before = await snap(f);
      await f.market.connect(f.centre).cancel(id);
      expectMoved(before, await snap(f), { usd: { centre: PAPER_USD, market: -PAPER_USD } });
    });

    it("only the admin grants and revokes roles", async () => {
      const f = await loadFixture(deployMarket);
      const role = await f.market.CENTRE_ROLE();
      const admin = await f.market.DEFAULT_ADMIN_ROLE();
      for (const who of [f.centre, f.stranger]) {
        await expect(f.market.connect(who).grantRole(role, who.address))
          .to.be.revertedWithCustomError(f.market, "AccessControlUnauthorizedAccount")
          .withArgs(who.address, admin);
        await expect(f.market.connect(who).revokeRole(role, f.centre.address))
          .to.be.revertedWithCustomError(f.market, "AccessControlUnauthorizedAccount")
          .withArgs(who.address, admin);
      }
      await f.market.connect(f.admin).grantRole(role, f.stranger.address);
      await f.usd.connect(f.admin).mint(f.stranger.address, 100n);
      await f.usd.connect(f.stranger).approve(await f.market.getAddress(), 100n);
      await expect(f.market.connect(f.stranger).publish(f.paperOffer({ usdAmount: 100n }))).to.emit(
        f.market,
        "OfferPublished",
      );
      expect((await f.market.getOffer(1)).centre).to.equal(f.stranger.address);
    });

    it("rejects zero amounts (ZeroAmount) and node 0 (ZeroNode)", async () => {
      const f = await loadFixture(deployMarket);
      const { market, centre } = f;
      await expect(market.connect(centre).publish(f.paperOffer({ kwhAmount: 0 }))).to.be.revertedWithCustomError(
        market,
        "ZeroAmount",
      );
      await expect(market.connect(centre).publish(f.paperOffer({ usdAmount: 0 }))).to.be.revertedWithCustomError(
        market,
        "ZeroAmount",
      );
      await expect(market.connect(centre).publish(f.paperOffer({ node: 0 }))).to.be.revertedWithCustomError(
        market,
        "ZeroNode",
      );
      expect(await market.offerCount()).to.equal(0n);
    });

    it("rejects a delivery period that is over (PeriodOver)", async () => {
      const f = await loadFixture(deployMarket);
      await expect(f.market.connect(f.centre).publish(f.paperOffer({ period: f.period - 1n })))
        .to.be.revertedWithCustomError(f.market, "PeriodOver")
        .withArgs(f.period - 1n, f.period);
    });

    it("rejects an expiry not in the future or not before the delivery period ends (BadExpiry)", async () => {
      const f = await loadFixture(deployMarket);
      const { market, centre } = f;
      const end = periodEnd(f.period);
      // A reverted transaction is still mined, so each attempt gets its own second.
      let now = f.start + 100n;
      const badExpiries: ((t: bigint) => bigint)[] = [(t) => t, (t) => t - 1n, () => 0n, () => end, () => end + 1n];
      for (const badExpiry of badExpiries) {
        const expiry = badExpiry(now);
        await time.setNextBlockTimestamp(now);
        await expect(market.connect(centre).publish(f.paperOffer({ expiry })))
          .to.be.revertedWithCustomError(market, "BadExpiry")
          .withArgs(expiry, now, end);
        now += 1n;
      }
      expect(await market.offerCount()).to.equal(0n);
      // The boundaries themselves: one second ahead, and the last second before the delivery period ends.
      await time.setNextBlockTimestamp(now);
      await expect(market.connect(centre).publish(f.paperOffer({ expiry: now + 1n }))).to.emit(
        market,
        "OfferPublished",
      );
      await expect(market.connect(centre).publish(f.paperOffer({ expiry: end - 1n }))).to.emit(
        market,
        "OfferPublished",
      );
      expect(await market.offerCount()).to.equal(2n);
    });

    it("requires the justifying report to exist (NoJustifyingReport)", async () => {
      const f = await loadFixture(deployMarket);
      for (const justification of [f.period, f.period - 2n, 0n]) {
        await expect(f.market.connect(f.centre).publish(f.paperOffer({ justification })))
          .to.be.revertedWithCustomError(f.market, "NoJustifyingReport")
          .withArgs(justification);
      }
    });

    it("a named generator must be registered at the offer's node (GeneratorNotAtNode)", async () => {
      const f = await loadFixture(deployMarket);
      const { market, centre, gen34, stranger } = f;
      await expect(market.connect(centre).publish(f.paperOffer({ generator: gen34.address })))
        .to.be.revertedWithCustomError(market, "GeneratorNotAtNode")
        .withArgs(gen34.address, 27n, 34n);
      await expect(market.connect(centre).publish(f.paperOffer({ generator: stranger.address })))
        .to.be.revertedWithCustomError(market, "GeneratorNotAtNode")
        .withArgs(stranger.address, 27n, 0n);
      expect(await market.offerCount()).to.equal(0n);
    });

    it("without a USD allowance or balance the ERC-20 error propagates and nothing is stored", async () => {
      const f = await loadFixture(deployMarket);
      const { market, centre, usd } = f;
      const marketAddress = await market.getAddress();
      await usd.connect(centre).approve(marketAddress, PAPER_USD - 1n);
      await expect(market.connect(centre).publish(f.paperOffer()))
        .to.be.revertedWithCustomError(usd, "ERC20InsufficientAllowance")
        .withArgs(marketAddress, PAPER_USD - 1n, PAPER_USD);
      await usd.connect(centre).approve(marketAddress, ethers.MaxUint256);
      const tooMuch = USD("1000") + 1n;
      await expect(market.connect(centre).publish(f.paperOffer({ usdAmount: tooMuch })))
        .to.be.revertedWithCustomError(usd, "ERC20InsufficientBalance")
        .withArgs(centre.address, USD("1000"), tooMuch);
      expect(await market.offerCount()).to.equal(0n);
      expect(await usd.balanceOf(marketAddress)).to.equal(0n);
    });
  });

  describe("accept", () => {
    it("escrows the kWh commitment of any registered generator at the node", async () => {
      const f = await loadFixture(deployMarket);
      const id = await publish(f);
      const before = await snap(f);
      await expect(f.market.connect(f.gen27).accept(id))
        .to.emit(f.market, "OfferAccepted")
        .withArgs(id, f.gen27.address, PAPER_KWH);
      expectMoved(before, await snap(f), { kwh: { gen27: -PAPER_KWH, market: PAPER_KWH } });
      const offer = await f.market.getOffer(id);
      expect(offer.status).to.equal(Status.Accepted);
      expect(offer.generator).to.equal(f.gen27.address);
      expect(offer.restricted).to.equal(false);
    });

    it("a restricted offer is accepted by the named generator only (NotOfferGenerator)", async () => {
      const f = await loadFixture(deployMarket);
      const { market, registry, admin, gen27, gen34, stranger } = f;
      const id = await publish(f, { generator: gen27.address });
      // Another generator at the same node, and one at another node.
      await registry.connect(admin).register(stranger.address, 27);
      for (const who of [stranger, gen34]) {
        await expect(market.connect(who).accept(id))
          .to.be.revertedWithCustomError(market, "NotOfferGenerator")
          .withArgs(id, gen27.address);
      }
      const before = await snap(f);
      await expect(market.connect(gen27).accept(id))
        .to.emit(market, "OfferAccepted")
        .withArgs(id, gen27.address, PAPER_KWH);
      expectMoved(before, await snap(f), { kwh: { gen27: -PAPER_KWH, market: PAPER_KWH } });
    });

    it("refuses a generator at another node and an unregistered or deregistered wallet", async () => {
      const f = await loadFixture(deployMarket);
      const { market, registry, admin, gen27, gen34, stranger } = f;
      const id = await publish(f);
      await expect(market.connect(gen34).accept(id))
        .to.be.revertedWithCustomError(market, "GeneratorNotAtNode")
        .withArgs(gen34.address, 27n, 34n);
      await expect(market.connect(stranger).accept(id))
        .to.be.revertedWithCustomError(market, "GeneratorNotAtNode")
        .withArgs(stranger.address, 27n, 0n);
      await registry.connect(admin).deregister(gen27.address);
      await expect(market.connect(gen27).accept(id))
        .to.be.revertedWithCustomError(market, "GeneratorNotAtNode")
        .withArgs(gen27.address, 27n, 0n);
      expect((await market.getOffer(id)).status).to.equal(Status.Open);
    });

    it("is possible up to the expiry second and refused after it (OfferExpired)", async () => {
      const f = await loadFixture(deployMarket);
      const { market, gen27, gen2, registry, admin } = f;
      const expiry = f.start + 1200n;
      const a = await publish(f);
      const b = await publish(f);
      await registry.connect(admin).deregister(gen2.address);
      await registry.connect(admin).register(gen2.address, 27);
      await time.setNextBlockTimestamp(expiry);
      await expect(market.connect(gen27).accept(a)).to.emit(market, "OfferAccepted");
      await expect(market.connect(gen2).accept(b))
        .to.be.revertedWithCustomError(market, "OfferExpired")
        .withArgs(b, expiry);
      expect((await market.getOffer(b)).status).to.equal(Status.Open);
    });

    it("refuses an offer that is not open (WrongStatus) and an unknown id (UnknownOffer)", async () => {
      const f = await loadFixture(deployMarket);
      const { market, centre, gen27 } = f;
      const a = await accepted(f, gen27);
      await expect(market.connect(gen27).accept(a))
        .to.be.revertedWithCustomError(market, "WrongStatus")
        .withArgs(a, Status.Accepted);
      const b = await publish(f);
      await market.connect(centre).cancel(b);
      await expect(market.connect(gen27).accept(b))
        .to.be.revertedWithCustomError(market, "WrongStatus")
        .withArgs(b, Status.Cancelled);
      for (const id of [0n, 3n, 2n ** 256n - 1n]) {
        await expect(market.connect(gen27).accept(id))
          .to.be.revertedWithCustomError(market, "UnknownOffer")
          .withArgs(id);
      }
    });

    it("without a kWh allowance or balance the ERC-20 error propagates and the offer stays open", async () => {
      const f = await loadFixture(deployMarket);
      const { market, kwh, gen27, gen34 } = f;
      const marketAddress = await market.getAddress();
      const id = await publish(f);
      await kwh.connect(gen27).approve(marketAddress, 0);
      await expect(market.connect(gen27).accept(id))
        .to.be.revertedWithCustomError(kwh, "ERC20InsufficientAllowance")
        .withArgs(marketAddress, 0n, PAPER_KWH);
      await kwh.connect(gen27).approve(marketAddress, ethers.MaxUint256);
      await kwh.connect(gen27).transfer(gen34.address, KWH("1000") - PAPER_KWH + 1n);
      await expect(market.connect(gen27).accept(id))
        .to.be.revertedWithCustomError(kwh, "ERC20InsufficientBalance")
        .withArgs(gen27.address, PAPER_KWH - 1n, PAPER_KWH);
      expect((await market.getOffer(id)).status).to.equal(Status.Open);
      expect(await kwh.balanceOf(marketAddress)).to.equal(0n);
    });
  });

  describe("acceptWithPermit", () => {
    it("accepts with a valid ERC-2612 permit and no prior approval", async () => {
      const f = await loadFixture(deployMarket);
      const { market, kwh, gen27 } = f;
      const marketAddress = await market.getAddress();
      const id = await publish(f);
      await kwh.connect(gen27).approve(marketAddress, 0);
      const p = await signPermit(kwh, gen27, marketAddress, PAPER_KWH, f.start + 3600n);
      const before = await snap(f);
      await expect(market.connect(gen27).acceptWithPermit(id, p.deadline, p.v, p.r, p.s))
        .to.emit(market, "OfferAccepted")
        .withArgs(id, gen27.address, PAPER_KWH);
      expectMoved(before, await snap(f), { kwh: { gen27: -PAPER_KWH, market: PAPER_KWH } });
      expect(await kwh.nonces(gen27.address)).to.equal(1n);
      expect(await kwh.allowance(gen27.address, marketAddress)).to.equal(0n);
    });

    it("still accepts when the permit was front-run (used already) and the allowance exists", async () => {
      const f = await loadFixture(deployMarket);
      const { market, kwh, gen27, stranger } = f;
      const marketAddress = await market.getAddress();
      const id = await publish(f);
      await kwh.connect(gen27).approve(marketAddress, 0);
      const p = await signPermit(kwh, gen27, marketAddress, PAPER_KWH, f.start + 3600n);
      // Someone relays the permit first: the market's own permit call will now revert.
      await kwh.connect(stranger).permit(gen27.address, marketAddress, PAPER_KWH, p.deadline, p.v, p.r, p.s);
      await expect(
        kwh.permit(gen27.address, marketAddress, PAPER_KWH, p.deadline, p.v, p.r, p.s),
      ).to.be.revertedWithCustomError(kwh, "ERC2612InvalidSigner");
      const before = await snap(f);
      await expect(market.connect(gen27).acceptWithPermit(id, p.deadline, p.v, p.r, p.s))
        .to.emit(market, "OfferAccepted")
        .withArgs(id, gen27.address, PAPER_KWH);
      expectMoved(before, await snap(f), { kwh: { gen27: -PAPER_KWH, market: PAPER_KWH } });
      expect(await kwh.nonces(gen27.address)).to.equal(1n);
    });

    it("a bad permit without an allowance fails with the token's own error", async () => {
      const f = await loadFixture(deployMarket);
      const { market, kwh, gen27, stranger } = f;
      const marketAddress = await market.getAddress();
      const id = await publish(f);
      await kwh.connect(gen27).approve(marketAddress, 0);
      // Signed by the wrong key, for the wrong amount, and expired.
      const forged = await signPermit(kwh, gen27, marketAddress, PAPER_KWH, f.start + 3600n, stranger);
      const wrongValue = await signPermit(kwh, gen27, marketAddress, PAPER_KWH - 1n, f.start + 3600n);
      const expired = await signPermit(kwh, gen27, marketAddress, PAPER_KWH, f.start - 1n);
      for (const p of [forged, wrongValue, expired]) {
        await expect(market.connect(gen27).acceptWithPermit(id, p.deadline, p.v, p.r, p.s))
          .to.be.revertedWithCustomError(kwh, "ERC20InsufficientAllowance")
          .withArgs(marketAddress, 0n, PAPER_KWH);
      }
      expect(await kwh.nonces(gen27.address)).to.equal(0n);
      expect((await market.getOffer(id)).status).to.equal(Status.Open);
    });

    it("applies accept's checks (UnknownOffer, WrongStatus, OfferExpired)", async () => {
      const f = await loadFixture(deployMarket);
      const { market, kwh, gen27, gen2 } = f;
      const marketAddress = await market.getAddress();
      const p = await signPermit(kwh, gen27, marketAddress, PAPER_KWH, f.start + 3600n);
      await expect(market.connect(gen27).acceptWithPermit(9, p.deadline, p.v, p.r, p.s))
        .to.be.revertedWithCustomError(market, "UnknownOffer")
        .withArgs(9n);
      const a = await accepted(f, gen27);
      await expect(market.connect(gen27).acceptWithPermit(a, p.deadline, p.v, p.r, p.s))
        .to.be.revertedWithCustomError(market, "WrongStatus")
        .withArgs(a, Status.Accepted);
      const b = await publish(f, { node: 2 });
      await time.increaseTo(f.start + 1201n);
      await expect(market.connect(gen2).acceptWithPermit(b, p.deadline, p.v, p.r, p.s))
        .to.be.revertedWithCustomError(market, "OfferExpired")
        .withArgs(b, f.start + 1200n);
    });
  });

  describe("settle: the pro-rata rule", () => {
    // [direction, kWh committed (Wh), USD (units), measured adjustment (Wh), delivered, USD to generator]
    const cases: [string, number, bigint, bigint, bigint, bigint, bigint][] = [
      ["Decrease, full delivery", Direction.Decrease, PAPER_KWH, PAPER_USD, -2300n, 2300n, PAPER_USD],
      ["Decrease, 1000 of 2300 Wh", Direction.Decrease, PAPER_KWH, PAPER_USD, -1000n, 1000n, 10_985_549n],
      ["Decrease, 1 of 2300 Wh", Direction.Decrease, PAPER_KWH, PAPER_USD, -1n, 1n, 10_985n],
      ["Decrease, 2299 of 2300 Wh", Direction.Decrease, PAPER_KWH, PAPER_USD, -2299n, 2299n, 25_255_777n],
      ["Decrease, 2 of 3 Wh for 10 units (6.67 → 6)", Direction.Decrease, 3n, 10n, -2n, 2n, 6n],
      ["Decrease, 1 of 3 Wh for 10 units (3.33 → 3)", Direction.Decrease, 3n, 10n, -1n, 1n, 3n],
      ["Decrease, none (0 Wh)", Direction.Decrease, PAPER_KWH, PAPER_USD, 0n, 0n, 0n],
      ["Decrease, over-delivery capped", Direction.Decrease, PAPER_KWH, PAPER_USD, -5000n, 2300n, PAPER_USD],
      ["Decrease, int64 min capped", Direction.Decrease, PAPER_KWH, PAPER_USD, INT64_MIN, 2300n, PAPER_USD],
      ["Decrease, wrong direction (raised) counts as none", Direction.Decrease, PAPER_KWH, PAPER_USD, 1000n, 0n, 0n],
      ["Decrease, int64 max in the wrong direction", Direction.Decrease, PAPER_KWH, PAPER_USD, INT64_MAX, 0n, 0n],
      ["Increase, full delivery", Direction.Increase, PAPER_KWH, PAPER_USD, 2300n, 2300n, PAPER_USD],
      ["Increase, 1000 of 2300 Wh", Direction.Increase, PAPER_KWH, PAPER_USD, 1000n, 1000n, 10_985_549n],
      ["Increase, none (0 Wh)", Direction.Increase, PAPER_KWH, PAPER_USD, 0n, 0n, 0n],
      ["Increase, over-delivery capped", Direction.Increase, PAPER_KWH, PAPER_USD, INT64_MAX, 2300n, PAPER_USD],
      ["Increase, wrong direction (lowered) counts as none", Direction.Increase, PAPER_KWH, PAPER_USD, -1000n, 0n, 0n],
      ["Increase, int64 min in the wrong direction", Direction.Increase, PAPER_KWH, PAPER_USD, INT64_MIN, 0n, 0n],
    ];
    for (const [name, direction, kwhAmount, usdAmount, measured, delivered, toGenerator] of cases) {
      it(`${name}: generator gets ${toGenerator}, centre the rest and the whole commitment`, async () => {
        const f = await loadFixture(deployMarket);
        const { market, gen27, stranger } = f;
        const id = await accepted(f, gen27, { direction, kwhAmount, usdAmount });
        await measure(f, [delivery(f, gen27, measured)]);
        const toCentre = usdAmount - toGenerator;
        const before = await snap(f);
        const tx = market.connect(stranger).settle(id);
        await expect(tx)
          .to.emit(market, "OfferSettled")
          .withArgs(id, gen27.address, delivered, toGenerator, toCentre, kwhAmount);
        // No zero-value transfers: one USD transfer per side that gets something, one kWh transfer.
        const receipt = (await (await tx).wait())!;
        const transfers = receipt.logs.filter((l) => l.topics[0] === ethers.id("Transfer(address,address,uint256)"));
        expect(transfers.length).to.equal((toGenerator > 0n ? 1 : 0) + (toCentre > 0n ? 1 : 0) + 1);
        expectMoved(before, await snap(f), {
          usd: { market: -usdAmount, gen27: toGenerator, centre: toCentre },
          kwh: { market: -kwhAmount, centre: kwhAmount },
        });
        expect((await market.getOffer(id)).status).to.equal(Status.Settled);
        expect(await f.usd.balanceOf(await market.getAddress())).to.equal(0n);
        expect(await f.kwh.balanceOf(await market.getAddress())).to.equal(0n);
      });
    }

    it("the whole life of a partly delivered offer moves exactly the offer's amounts", async () => {
      const f = await loadFixture(deployMarket);
      const start = await snap(f);
      const id = await accepted(f, f.gen27);
      await measure(f, [delivery(f, f.gen27, -1000n)]);
      await f.market.settle(id);
      expectMoved(start, await snap(f), {
        usd: { centre: -10_985_549n, gen27: 10_985_549n },
        kwh: { gen27: -PAPER_KWH, centre: PAPER_KWH },
      });
    });
  });

  describe("settle: one delivery never pays twice", () => {
    it("credits a generator's measured adjustment to its offers of the period in settlement order", async () => {
      const f = await loadFixture(deployMarket);
      const first = await accepted(f, f.gen27);
      const second = await accepted(f, f.gen27);
      await measure(f, [delivery(f, f.gen27, -3000n)]); // 3.0 kWh lowered, against 2 × 2.3 kWh offers
      const before = await snap(f);
      await expect(f.market.settle(first))
        .to.emit(f.market, "OfferSettled")
        .withArgs(first, f.gen27.address, PAPER_KWH, PAPER_USD, 0n, PAPER_KWH);
      expect(await f.market.creditedWh(f.period, f.gen27.address)).to.equal(PAPER_KWH);
      // Only 700 Wh are left for the second offer: paid pro rata, the rest of its USD returned.
      const partial = (PAPER_USD * 700n) / PAPER_KWH;
      await expect(f.market.settle(second))
        .to.emit(f.market, "OfferSettled")
        .withArgs(second, f.gen27.address, 700n, partial, PAPER_USD - partial, PAPER_KWH);
      expect(await f.market.creditedWh(f.period, f.gen27.address)).to.equal(3000n);
      expectMoved(before, await snap(f), {
        usd: { gen27: PAPER_USD + partial, centre: PAPER_USD - partial, market: -2n * PAPER_USD },
        kwh: { centre: 2n * PAPER_KWH, market: -2n * PAPER_KWH },
      });
    });

    it("pays nothing for a second offer when the delivery covered only the first (settleMany)", async () => {
      const f = await loadFixture(deployMarket);
      const first = await accepted(f, f.gen27);
      const second = await accepted(f, f.gen27);
      await measure(f, [delivery(f, f.gen27, -PAPER_KWH)]);
      const before = await snap(f);
      expect(await f.market.settleMany.staticCall([first, second])).to.equal(2n);
      await f.market.settleMany([first, second]);
      expectMoved(before, await snap(f), {
        usd: { gen27: PAPER_USD, centre: PAPER_USD, market: -2n * PAPER_USD },
        kwh: { centre: 2n * PAPER_KWH, market: -2n * PAPER_KWH },
      });
      expect(await f.market.creditedWh(f.period, f.gen27.address)).to.equal(PAPER_KWH);
    });
  });

  describe("settle: refusals", () => {
    it("before the oracle measured the delivery (DeliveryNotReported), also when another generator was measured", async () => {
      const f = await loadFixture(deployMarket);
      const { market, gen27, gen34 } = f;
      const id = await accepted(f, gen27);
      await expect(market.settle(id))
        .to.be.revertedWithCustomError(market, "DeliveryNotReported")
        .withArgs(f.period, gen27.address);
      // A measurement of another generator, or of gen27 in another period, does not count.
      await measure(f, [delivery(f, gen34, -2300n), delivery(f, gen27, -2300n, f.period - 1n)]);
      await expect(market.settle(id))
        .to.be.revertedWithCustomError(market, "DeliveryNotReported")
        .withArgs(f.period, gen27.address);
      expect((await market.getOffer(id)).status).to.equal(Status.Accepted);
    });

    it("a second settle fails (WrongStatus) and moves nothing", async () => {
      const f = await loadFixture(deployMarket);
      const id = await accepted(f, f.gen27);
      await measure(f, [delivery(f, f.gen27, -2300n)]);
      await f.market.settle(id);
      const before = await snap(f);
      await expect(f.market.settle(id))
        .to.be.revertedWithCustomError(f.market, "WrongStatus")
        .withArgs(id, Status.Settled);
      expectMoved(before, await snap(f), {});
    });

    it("refuses open, cancelled and unknown offers", async () => {
      const f = await loadFixture(deployMarket);
      const { market, centre } = f;
      const a = await publish(f);
      await expect(market.settle(a)).to.be.revertedWithCustomError(market, "WrongStatus").withArgs(a, Status.Open);
      await market.connect(centre).cancel(a);
      await expect(market.settle(a)).to.be.revertedWithCustomError(market, "WrongStatus").withArgs(a, Status.Cancelled);
      await expect(market.settle(77)).to.be.revertedWithCustomError(market, "UnknownOffer").withArgs(77n);
    });
  });

  describe("settleMany", () => {
    it("settles the settleable ids, skips the others and counts the settled ones", async () => {
      const f = await loadFixture(deployMarket);
      const { market, gen27, gen34, gen2, stranger } = f;
      const a = await accepted(f, gen27); // measured: full
      const b = await publish(f); // open
      const c = await accepted(f, gen34, { node: 34 }); // never measured
      const d = await accepted(f, gen2, { node: 2, direction: Direction.Increase }); // measured: 1000 of 2300
      const e = await publish(f, { node: 2 });
      await f.market.connect(f.centre).cancel(e); // cancelled
      await measure(f, [delivery(f, gen27, -2300n), delivery(f, gen2, 1000n)]);
      const ids = [0n, a, b, c, 99n, d, a, e];
      expect(await market.connect(stranger).settleMany.staticCall(ids)).to.equal(2n);
      const before = await snap(f);
      const tx = market.connect(stranger).settleMany(ids);
      await expect(tx).to.emit(market, "OfferSettled").withArgs(a, gen27.address, 2300n, PAPER_USD, 0n, PAPER_KWH);
      await expect(tx)
        .to.emit(market, "OfferSettled")
        .withArgs(d, gen2.address, 1000n, 10_985_549n, PAPER_USD - 10_985_549n, PAPER_KWH);
      // a: OfferSettled + USD to gen27 + kWh to centre; d: OfferSettled + USD to gen2 and centre + kWh.
      expect((await (await tx).wait())!.logs.length).to.equal(3 + 4);
      expectMoved(before, await snap(f), {
        usd: {
          market: -2n * PAPER_USD,
          gen27: PAPER_USD,
          gen2: 10_985_549n,
          centre: PAPER_USD - 10_985_549n,
        },
        kwh: { market: -2n * PAPER_KWH, centre: 2n * PAPER_KWH },
      });
      const statuses = [];
      for (const id of [a, b, c, d, e]) statuses.push((await market.getOffer(id)).status);
      expect(statuses).to.deep.equal([Status.Settled, Status.Open, Status.Accepted, Status.Settled, Status.Cancelled]);
      // Nothing left to settle: a second pass settles none and moves nothing.
      expect(await market.settleMany.staticCall(ids)).to.equal(0n);
      const again = await snap(f);
      await market.settleMany(ids);
      expectMoved(again, await snap(f), {});
    });

    it("returns 0 for an empty list", async () => {
      const f = await loadFixture(deployMarket);
      expect(await f.market.settleMany.staticCall([])).to.equal(0n);
    });
  });

  describe("cancel", () => {
    it("the centre cancels its open offer, also after expiry, and gets the USD back", async () => {
      const f = await loadFixture(deployMarket);
      const { market, centre } = f;
      const a = await publish(f);
      const b = await publish(f);
      const before = await snap(f);
      await expect(market.connect(centre).cancel(a)).to.emit(market, "OfferCancelled").withArgs(a, PAPER_USD);
      expectMoved(before, await snap(f), { usd: { centre: PAPER_USD, market: -PAPER_USD } });
      expect((await market.getOffer(a)).status).to.equal(Status.Cancelled);
      await time.increaseTo(f.start + 1201n);
      await expect(market.connect(centre).cancel(b)).to.emit(market, "OfferCancelled").withArgs(b, PAPER_USD);
      expect(await f.usd.balanceOf(await market.getAddress())).to.equal(0n);
    });

    it("only the offer's centre may cancel (NotOfferCentre), even another CENTRE_ROLE holder", async () => {
      const f = await loadFixture(deployMarket);
      const { market, centre, admin, stranger, gen27 } = f;
      const id = await publish(f);
      await market.connect(admin).grantRole(await market.CENTRE_ROLE(), stranger.address);
      for (const who of [stranger, gen27, admin]) {
        await expect(market.connect(who).cancel(id))
          .to.be.revertedWithCustomError(market, "NotOfferCentre")
          .withArgs(id, centre.address);
      }
      expect((await market.getOffer(id)).status).to.equal(Status.Open);
    });

    it("only while open (WrongStatus), and not for an unknown id", async () => {
      const f = await loadFixture(deployMarket);
      const { market, centre, gen27 } = f;
      const a = await accepted(f, gen27);
      const before = await snap(f);
      await expect(market.connect(centre).cancel(a))
        .to.be.revertedWithCustomError(market, "WrongStatus")
        .withArgs(a, Status.Accepted);
      const b = await publish(f);
      await market.connect(centre).cancel(b);
      await expect(market.connect(centre).cancel(b))
        .to.be.revertedWithCustomError(market, "WrongStatus")
        .withArgs(b, Status.Cancelled);
      await expect(market.connect(centre).cancel(3)).to.be.revertedWithCustomError(market, "UnknownOffer").withArgs(3n);
      expectMoved(before, await snap(f), {});
    });
  });

  describe("refund", () => {
    it("anyone refunds an open offer after its expiry; not at or before it (OfferNotExpired)", async () => {
      const f = await loadFixture(deployMarket);
      const { market, stranger } = f;
      const expiry = f.start + 1200n;
      const id = await publish(f);
      await expect(market.connect(stranger).refund(id))
        .to.be.revertedWithCustomError(market, "OfferNotExpired")
        .withArgs(id, expiry);
      await time.setNextBlockTimestamp(expiry);
      await expect(market.connect(stranger).refund(id))
        .to.be.revertedWithCustomError(market, "OfferNotExpired")
        .withArgs(id, expiry);
      const before = await snap(f);
      await time.setNextBlockTimestamp(expiry + 1n);
      await expect(market.connect(stranger).refund(id)).to.emit(market, "OfferRefunded").withArgs(id, PAPER_USD);
      expectMoved(before, await snap(f), { usd: { centre: PAPER_USD, market: -PAPER_USD } });
      expect((await market.getOffer(id)).status).to.equal(Status.Refunded);
      await expect(market.connect(stranger).refund(id))
        .to.be.revertedWithCustomError(market, "WrongStatus")
        .withArgs(id, Status.Refunded);
    });

    it("not after acceptance or cancellation (WrongStatus), and not for an unknown id", async () => {
      const f = await loadFixture(deployMarket);
      const { market, centre, gen27, stranger } = f;
      const a = await accepted(f, gen27);
      const b = await publish(f);
      await market.connect(centre).cancel(b);
      await time.increaseTo(f.start + 1201n);
      const before = await snap(f);
      await expect(market.connect(stranger).refund(a))
        .to.be.revertedWithCustomError(market, "WrongStatus")
        .withArgs(a, Status.Accepted);
      await expect(market.connect(stranger).refund(b))
        .to.be.revertedWithCustomError(market, "WrongStatus")
        .withArgs(b, Status.Cancelled);
      await expect(market.connect(stranger).refund(5))
        .to.be.revertedWithCustomError(market, "UnknownOffer")
        .withArgs(5n);
      expectMoved(before, await snap(f), {});
    });
  });

  describe("unwind", () => {
    it("anyone unwinds an unmeasured accepted offer from SETTLEMENT_GRACE after its period; both escrows return", async () => {
      const f = await loadFixture(deployMarket);
      const { market, gen27, stranger, registry, admin } = f;
      expect(await market.SETTLEMENT_GRACE()).to.equal(GRACE);
      const id = await accepted(f, gen27);
      // Deregistration does not touch escrows it already holds.
      await registry.connect(admin).deregister(gen27.address);
      const unwindableAt = periodEnd(f.period) + GRACE;
      await expect(market.connect(stranger).unwind(id))
        .to.be.revertedWithCustomError(market, "GraceNotOver")
        .withArgs(id, unwindableAt);
      await time.increaseTo(unwindableAt - 2n);
      await time.setNextBlockTimestamp(unwindableAt - 1n);
      await expect(market.connect(stranger).unwind(id))
        .to.be.revertedWithCustomError(market, "GraceNotOver")
        .withArgs(id, unwindableAt);
      const before = await snap(f);
      await time.setNextBlockTimestamp(unwindableAt);
      await expect(market.connect(stranger).unwind(id))
        .to.emit(market, "OfferUnwound")
        .withArgs(id, PAPER_USD, PAPER_KWH);
      expectMoved(before, await snap(f), {
        usd: { centre: PAPER_USD, market: -PAPER_USD },
        kwh: { gen27: PAPER_KWH, market: -PAPER_KWH },
      });
      expect((await market.getOffer(id)).status).to.equal(Status.Unwound);
      // A late measurement cannot settle an unwound offer, and it cannot be unwound twice.
      await measure(f, [delivery(f, gen27, -2300n)]);
      await expect(market.settle(id)).to.be.revertedWithCustomError(market, "WrongStatus").withArgs(id, Status.Unwound);
      await expect(market.unwind(id)).to.be.revertedWithCustomError(market, "WrongStatus").withArgs(id, Status.Unwound);
    });

    it("is refused once the oracle measured the delivery (DeliveryMeasured); settle still works", async () => {
      const f = await loadFixture(deployMarket);
      const { market, gen27 } = f;
      const id = await accepted(f, gen27);
      await measure(f, [delivery(f, gen27, 0n)]);
      await time.increaseTo(periodEnd(f.period) + GRACE + 100n);
      await expect(market.unwind(id)).to.be.revertedWithCustomError(market, "DeliveryMeasured").withArgs(id);
      const before = await snap(f);
      await market.settle(id);
      expectMoved(before, await snap(f), {
        usd: { centre: PAPER_USD, market: -PAPER_USD },
        kwh: { centre: PAPER_KWH, market: -PAPER_KWH },
      });
    });

    it("a measurement arriving late (after the grace) still settles an offer nobody unwound", async () => {
      const f = await loadFixture(deployMarket);
      const id = await accepted(f, f.gen27);
      await time.increaseTo(periodEnd(f.period) + GRACE + 1n);
      await measure(f, [delivery(f, f.gen27, -2300n)]);
      const before = await snap(f);
      await f.market.settle(id);
      expectMoved(before, await snap(f), {
        usd: { gen27: PAPER_USD, market: -PAPER_USD },
        kwh: { centre: PAPER_KWH, market: -PAPER_KWH },
      });
    });

    it("only accepted offers (WrongStatus), and not an unknown id", async () => {
      const f = await loadFixture(deployMarket);
      const { market } = f;
      const id = await publish(f);
      await time.increaseTo(periodEnd(f.period) + GRACE);
      await expect(market.unwind(id)).to.be.revertedWithCustomError(market, "WrongStatus").withArgs(id, Status.Open);
      await expect(market.unwind(2)).to.be.revertedWithCustomError(market, "UnknownOffer").withArgs(2n);
    });
  });
});

// ---------------------------------------------------------------------------------------------
// Reentrancy: a market whose USD (or kWh) token calls back into the market during a transfer.

const GUARD = DemandResponseMarket__factory.createInterface().encodeErrorResult("ReentrancyGuardReentrantCall", []);

async function deployReentrant(which: "usd" | "kwh") {
  const [admin, oracle, centre, gen27, gen34, gen2, stranger] = await ethers.getSigners();
  const registry = await new GeneratorRegistry__factory(admin).deploy(admin.address);
  const gridOracle = await new GridOracle__factory(admin).deploy(admin.address);
  const token = await new ReentrantToken__factory(admin).deploy();
  const plainUsd = which === "kwh" ? await new UsdToken__factory(admin).deploy(admin.address) : undefined;
  const plainKwh = which === "usd" ? await new KwhToken__factory(admin).deploy(admin.address, registry) : undefined;
  const usd = plainUsd ?? token;
  const kwh = plainKwh ?? token;
  const market = await new DemandResponseMarket__factory(admin).deploy(admin.address, usd, kwh, gridOracle, registry);
  const marketAddress = await market.getAddress();
  await gridOracle.grantRole(await gridOracle.ORACLE_ROLE(), oracle.address);
  await market.grantRole(await market.CENTRE_ROLE(), centre.address);
  for (const [g, node] of [
    [gen27, 27],
    [gen34, 34],
    [gen2, 2],
  ] as const) {
    await registry.register(g.address, node);
    if (plainKwh) await plainKwh.issue(g.address, KWH("1000"));
    else await token.mint(g.address, KWH("1000"));
    await kwh.connect(g).approve(marketAddress, ethers.MaxUint256);
  }
  if (plainUsd) await plainUsd.mint(centre.address, USD("1000"));
  else await token.mint(centre.address, USD("1000"));
  await usd.connect(centre).approve(marketAddress, ethers.MaxUint256);

  const start = (BigInt(await time.latest()) / PERIOD_SECONDS + 2n) * PERIOD_SECONDS;
  await time.increaseTo(start);
  const period = start / PERIOD_SECONDS;
  await gridOracle.connect(oracle).submitReport(paperReport(period - 1n), []);
  const paperOffer = (overrides: Partial<OfferInput> = {}): OfferInput => ({
    generator: ethers.ZeroAddress,
    node: 27,
    direction: Direction.Decrease,
    kwhAmount: PAPER_KWH,
    usdAmount: PAPER_USD,
    period,
    justification: period - 1n,
    expiry: start + 1200n,
    ...overrides,
  });
  return {
    admin,
    oracle,
    centre,
    gen27,
    gen34,
    gen2,
    stranger,
    registry,
    gridOracle,
    market,
    usd,
    kwh,
    token,
    period,
    start,
    paperOffer,
  };
}
const reentrantUsd = () => deployReentrant("usd");
const reentrantKwh = () => deployReentrant("kwh");

describe("DemandResponseMarket: reentrancy through a token callback", () => {
  type R = Awaited<ReturnType<typeof deployReentrant>>;
  const iface = new ethers.Interface(DemandResponseMarket__factory.abi);

  async function arm(r: R, fn: string, args: unknown[]) {
    await r.token.arm(await r.market.getAddress(), iface.encodeFunctionData(fn, args));
  }
  async function expectGuardTripped(r: R) {
    expect(await r.token.armed()).to.equal(false); // the callback ran
    expect(await r.token.lastCallReverted()).to.equal(true);
    expect(await r.token.lastRevertData()).to.equal(GUARD);
  }

  describe("USD token", () => {
    it("publish: a refund re-entered from transferFrom is refused; the outer publish escrows exactly", async () => {
      const r = await loadFixture(reentrantUsd);
      const victim = await publish(r, { expiry: r.start + 600n });
      await time.increaseTo(r.start + 601n);
      await arm(r, "refund", [victim]);
      const before = await snap(r);
      await r.market.connect(r.centre).publish(r.paperOffer());
      await expectGuardTripped(r);
      expectMoved(before, await snap(r), { usd: { centre: -PAPER_USD, market: PAPER_USD } });
      expect((await r.market.getOffer(victim)).status).to.equal(Status.Open);
      // Not re-entered, the same call succeeds.
      await expect(r.market.connect(r.stranger).refund(victim)).to.emit(r.market, "OfferRefunded");
    });

    it("cancel: a publish re-entered by a token holding CENTRE_ROLE is refused", async () => {
      const r = await loadFixture(reentrantUsd);
      const id = await publish(r);
      await r.market.connect(r.admin).grantRole(await r.market.CENTRE_ROLE(), await r.token.getAddress());
      await arm(r, "publish", [r.paperOffer()]);
      const before = await snap(r);
      await expect(r.market.connect(r.centre).cancel(id)).to.emit(r.market, "OfferCancelled");
      await expectGuardTripped(r);
      expectMoved(before, await snap(r), { usd: { centre: PAPER_USD, market: -PAPER_USD } });
      expect(await r.market.offerCount()).to.equal(1n);
    });

    it("refund: a cancel re-entered from transfer is refused", async () => {
      const r = await loadFixture(reentrantUsd);
      const victim = await publish(r);
      const id = await publish(r, { expiry: r.start + 600n });
      await time.increaseTo(r.start + 601n);
      await arm(r, "cancel", [victim]);
      const before = await snap(r);
      await expect(r.market.connect(r.stranger).refund(id)).to.emit(r.market, "OfferRefunded");
      await expectGuardTripped(r);
      expectMoved(before, await snap(r), { usd: { centre: PAPER_USD, market: -PAPER_USD } });
      expect((await r.market.getOffer(victim)).status).to.equal(Status.Open);
    });

    it("settle: a second settle re-entered from the payment is refused; balances are the rule's", async () => {
      const r = await loadFixture(reentrantUsd);
      const id = await accepted(r, r.gen27);
      const victim = await accepted(r, r.gen34, { node: 34 });
      await measure(r, [delivery(r, r.gen27, -1000n), delivery(r, r.gen34, -2300n)]);
      await arm(r, "settle", [victim]);
      const before = await snap(r);
      await r.market.connect(r.stranger).settle(id);
      await expectGuardTripped(r);
      expectMoved(before, await snap(r), {
        usd: { market: -PAPER_USD, gen27: 10_985_549n, centre: PAPER_USD - 10_985_549n },
        kwh: { market: -PAPER_KWH, centre: PAPER_KWH },
      });
      expect((await r.market.getOffer(victim)).status).to.equal(Status.Accepted);
      const after = await snap(r);
      await r.market.connect(r.stranger).settle(victim);
      expectMoved(after, await snap(r), {
        usd: { market: -PAPER_USD, gen34: PAPER_USD },
        kwh: { market: -PAPER_KWH, centre: PAPER_KWH },
      });
    });

    it("unwind: another unwind re-entered from the USD return is refused", async () => {
      const r = await loadFixture(reentrantUsd);
      const id = await accepted(r, r.gen27);
      const victim = await accepted(r, r.gen34, { node: 34 });
      await time.increaseTo(periodEnd(r.period) + GRACE);
      await arm(r, "unwind", [victim]);
      const before = await snap(r);
      await expect(r.market.connect(r.stranger).unwind(id)).to.emit(r.market, "OfferUnwound");
      await expectGuardTripped(r);
      expectMoved(before, await snap(r), {
        usd: { market: -PAPER_USD, centre: PAPER_USD },
        kwh: { market: -PAPER_KWH, gen27: PAPER_KWH },
      });
      expect((await r.market.getOffer(victim)).status).to.equal(Status.Accepted);
      await expect(r.market.unwind(victim)).to.emit(r.market, "OfferUnwound");
    });
  });

  describe("kWh token", () => {
    it("accept: a settleMany re-entered from the kWh transferFrom is refused", async () => {
      const r = await loadFixture(reentrantKwh);
      const victim = await accepted(r, r.gen34, { node: 34 });
      const next = r.period + 1n;
      const id = await publish(r, { period: next, expiry: periodEnd(next) - 1n });
      await measure(r, [delivery(r, r.gen34, -2300n)]);
      await arm(r, "settleMany", [[victim]]);
      const before = await snap(r);
      await expect(r.market.connect(r.gen27).accept(id)).to.emit(r.market, "OfferAccepted");
      await expectGuardTripped(r);
      expectMoved(before, await snap(r), { kwh: { gen27: -PAPER_KWH, market: PAPER_KWH } });
      expect((await r.market.getOffer(victim)).status).to.equal(Status.Accepted);
      expect(await r.market.settleMany.staticCall([victim])).to.equal(1n);
    });

    it("acceptWithPermit (token without permit: the allowance is used): a re-entered accept is refused", async () => {
      const r = await loadFixture(reentrantKwh);
      const victim = await publish(r);
      const id = await publish(r);
      await arm(r, "accept", [victim]);
      const before = await snap(r);
      await expect(
        r.market.connect(r.gen27).acceptWithPermit(id, r.start + 3600n, 27, ethers.ZeroHash, ethers.ZeroHash),
      ).to.emit(r.market, "OfferAccepted");
      await expectGuardTripped(r);
      expectMoved(before, await snap(r), { kwh: { gen27: -PAPER_KWH, market: PAPER_KWH } });
      expect((await r.market.getOffer(victim)).status).to.equal(Status.Open);
    });

    it("settle: an acceptWithPermit re-entered from the kWh transfer to the centre is refused", async () => {
      const r = await loadFixture(reentrantKwh);
      const id = await accepted(r, r.gen27);
      const next = r.period + 1n;
      const victim = await publish(r, { period: next, expiry: periodEnd(next) - 1n });
      await measure(r, [delivery(r, r.gen27, 0n)]);
      await arm(r, "acceptWithPermit", [victim, 0n, 0, ethers.ZeroHash, ethers.ZeroHash]);
      const before = await snap(r);
      await r.market.connect(r.stranger).settle(id);
      await expectGuardTripped(r);
      expectMoved(before, await snap(r), {
        usd: { market: -PAPER_USD, centre: PAPER_USD },
        kwh: { market: -PAPER_KWH, centre: PAPER_KWH },
      });
      expect((await r.market.getOffer(victim)).status).to.equal(Status.Open);
    });

    it("unwind: a refund re-entered from the kWh return is refused", async () => {
      const r = await loadFixture(reentrantKwh);
      const id = await accepted(r, r.gen27);
      const victim = await publish(r);
      await time.increaseTo(periodEnd(r.period) + GRACE);
      await arm(r, "refund", [victim]);
      const before = await snap(r);
      await expect(r.market.connect(r.stranger).unwind(id)).to.emit(r.market, "OfferUnwound");
      await expectGuardTripped(r);
      expectMoved(before, await snap(r), {
        usd: { market: -PAPER_USD, centre: PAPER_USD },
        kwh: { market: -PAPER_KWH, gen27: PAPER_KWH },
      });
      expect((await r.market.getOffer(victim)).status).to.equal(Status.Open);
      await expect(r.market.refund(victim)).to.emit(r.market, "OfferRefunded");
    });
  });
});

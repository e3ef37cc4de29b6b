/**
 * The market's vault (GridSwapVault, inherited by DemandResponseMarket): deposits credit exactly
 * what arrived (fee-on-transfer tokens refused), ERC-2612 deposits, withdrawals of free balance
 * only (to any address: a blocklisted owner can still get its money out), storage-width bounds,
 * reentrancy through a malicious token, tokens sent directly swept to the treasury (never from
 * accounted balances), and the solvency invariant after each step.
 */
import { expect } from "chai";
import {
  DemandResponseMarket__factory,
  FeeOnTransferToken__factory,
  ReentrantToken__factory,
} from "../../typechain-types";
import { ethers } from "hardhat";
import { loadFixture } from "../fixture-clock";
import type { Signer } from "ethers";
import { Asset } from "../../oracle/chain/enums";
import { defaultParams } from "../../oracle/chain/deploy";
import { deployMarket, FAR, KWH, USD, type Fixture } from "./fixtures";
import { signPermit } from "./helpers";

/** A market over arbitrary tokens (for the mock tokens), the rest wired as in production. */
async function marketOver(f: Fixture, usd: string, kwh: string) {
  const p = defaultParams();
  return new DemandResponseMarket__factory((await ethers.getSigners())[0]).deploy(
    f.admin.address,
    [f.centre.address],
    usd,
    kwh,
    f.treasury.address,
    f.oracle,
    f.registry,
    {
      gateClosureSeconds: p.gateClosureSeconds,
      settlementGraceSeconds: p.settlementGraceSeconds,
      fillHorizonPeriods: p.fillHorizonPeriods,
      minDeliveredBps: p.minDeliveredBps,
      penaltyBps: p.penaltyBps,
    },
  );
}

/** token.balanceOf(market) equals the sum of the given accounts' free balances (no escrow open). */
async function expectSolvent(f: Fixture, holders: Signer[]) {
  const market = await f.market.getAddress();
  let usd = 0n;
  let kwh = 0n;
  for (const h of holders) {
    const [u, k] = await f.market.balancesOf(await h.getAddress());
    usd += u;
    kwh += k;
  }
  expect(await f.usd.balanceOf(market), "market USD = Σ free").to.equal(usd);
  expect(await f.kwh.balanceOf(market), "market kWh = Σ free").to.equal(kwh);
  expect(await f.market.accounted(Asset.Usd), "accounted USD = Σ free").to.equal(usd);
  expect(await f.market.accounted(Asset.Kwh), "accounted kWh = Σ free").to.equal(kwh);
}

describe("GridSwapVault", () => {
  it("seeded balances: what was deposited, and the market holds exactly that", async () => {
    const f = await loadFixture(deployMarket);
    expect(await f.market.balancesOf(f.centre.address)).to.deep.equal([USD("500"), 0n]);
    expect(await f.market.balancesOf(f.gen27.address)).to.deep.equal([0n, KWH("500")]);
    await expectSolvent(f, [f.centre, f.centre2, f.gen27, f.gen34, f.gen2, f.gen27b]);
  });

  it("deposit credits the caller and moves the tokens; withdraw sends free balance to any address", async () => {
    const f = await loadFixture(deployMarket);
    await f.usd.connect(f.centre).approve(await f.market.getAddress(), USD("1"));
    await expect(f.market.connect(f.centre).deposit(Asset.Usd, USD("1")))
      .to.emit(f.market, "Deposited")
      .withArgs(f.centre.address, Asset.Usd, USD("1"));
    expect((await f.market.balancesOf(f.centre.address))[0]).to.equal(USD("501"));
    await expect(f.market.connect(f.gen27).withdraw(Asset.Kwh, KWH("2"), f.stranger.address))
      .to.emit(f.market, "Withdrawn")
      .withArgs(f.gen27.address, Asset.Kwh, KWH("2"), f.stranger.address);
    expect(await f.kwh.balanceOf(f.stranger.address)).to.equal(KWH("2"));
    expect((await f.market.balancesOf(f.gen27.address))[1]).to.equal(KWH("498"));
    await f.market.connect(f.centre).withdraw(Asset.Usd, USD("501"), f.centre.address);
    expect((await f.market.balancesOf(f.centre.address))[0]).to.equal(0n);
    await expectSolvent(f, [f.centre, f.centre2, f.gen27, f.gen34, f.gen2, f.gen27b]);
  });

  it("refuses zero amounts, a zero recipient and more than the free balance", async () => {
    const f = await loadFixture(deployMarket);
    await expect(f.market.deposit(Asset.Usd, 0)).to.be.revertedWithCustomError(f.market, "ZeroAmount");
    await expect(f.market.connect(f.gen27).withdraw(Asset.Kwh, 0, f.gen27.address)).to.be.revertedWithCustomError(
      f.market,
      "ZeroAmount",
    );
    await expect(f.market.connect(f.gen27).withdraw(Asset.Kwh, 1, ethers.ZeroAddress)).to.be.revertedWithCustomError(
      f.market,
      "ZeroRecipient",
    );
    await expect(f.market.connect(f.gen27).withdraw(Asset.Kwh, KWH("500") + 1n, f.gen27.address))
      .to.be.revertedWithCustomError(f.market, "InsufficientBalance")
      .withArgs(f.gen27.address, Asset.Kwh, KWH("500"), KWH("500") + 1n);
    await expect(f.market.connect(f.gen27).withdraw(Asset.Usd, 1, f.gen27.address))
      .to.be.revertedWithCustomError(f.market, "InsufficientBalance")
      .withArgs(f.gen27.address, Asset.Usd, 0, 1);
  });

  it("without an allowance the token's own error propagates and nothing is credited", async () => {
    const f = await loadFixture(deployMarket);
    await expect(f.market.connect(f.centre).deposit(Asset.Usd, 1n)).to.be.revertedWithCustomError(
      f.usd,
      "ERC20InsufficientAllowance",
    );
    expect((await f.market.balancesOf(f.centre.address))[0]).to.equal(USD("500"));
  });

  it("depositWithPermit needs no prior approval; a front-run permit is tolerated; a bad one fails", async () => {
    const f = await loadFixture(deployMarket);
    const market = await f.market.getAddress();
    const p = await signPermit(f.kwh, f.gen34, market, 300n, FAR);
    await expect(f.market.connect(f.gen34).depositWithPermit(Asset.Kwh, 300n, p.deadline, p.v, p.r, p.s))
      .to.emit(f.market, "Deposited")
      .withArgs(f.gen34.address, Asset.Kwh, 300n);
    const q = await signPermit(f.usd, f.centre, market, 200n, FAR);
    await f.usd.connect(f.stranger).permit(f.centre.address, market, 200n, q.deadline, q.v, q.r, q.s); // front-run
    await expect(f.market.connect(f.centre).depositWithPermit(Asset.Usd, 200n, q.deadline, q.v, q.r, q.s)).to.emit(
      f.market,
      "Deposited",
    );
    const forged = await signPermit(f.usd, f.centre, market, 5n, FAR, f.stranger);
    await expect(
      f.market.connect(f.centre).depositWithPermit(Asset.Usd, 5n, forged.deadline, forged.v, forged.r, forged.s),
    ).to.be.revertedWithCustomError(f.usd, "ERC20InsufficientAllowance");
  });

  it("refuses a fee-on-transfer token's deposit (TransferAmountMismatch): it can never be insolvent", async () => {
    const f = await loadFixture(deployMarket);
    const fee = await new FeeOnTransferToken__factory((await ethers.getSigners())[0]).deploy(100); // 1 %
    const market = await marketOver(f, await fee.getAddress(), await f.kwh.getAddress());
    await fee.mint(f.centre.address, USD("10"));
    await fee.connect(f.centre).approve(await market.getAddress(), ethers.MaxUint256);
    await expect(market.connect(f.centre).deposit(Asset.Usd, USD("1")))
      .to.be.revertedWithCustomError(market, "TransferAmountMismatch")
      .withArgs(Asset.Usd, USD("1"), USD("0.99"));
    expect(await fee.balanceOf(await market.getAddress())).to.equal(0n);
  });

  it("free balances are bounded by their storage width (BalanceOverflow)", async () => {
    const f = await loadFixture(deployMarket);
    const huge = 2n ** 96n;
    await f.kwh.connect(f.issuer).issue(f.gen2.address, huge);
    await f.kwh.connect(f.gen2).approve(await f.market.getAddress(), huge);
    await expect(f.market.connect(f.gen2).deposit(Asset.Kwh, huge - KWH("500")))
      .to.be.revertedWithCustomError(f.market, "BalanceOverflow")
      .withArgs(f.gen2.address, Asset.Kwh);
    await f.market.connect(f.gen2).deposit(Asset.Kwh, huge - KWH("500") - 1n); // exactly 2^96 − 1
    const max = 2n ** 128n;
    await f.usd.connect(f.treasury).mint(f.stranger.address, max);
    await f.usd.connect(f.stranger).approve(await f.market.getAddress(), max);
    await expect(f.market.connect(f.stranger).deposit(Asset.Usd, max))
      .to.be.revertedWithCustomError(f.market, "BalanceOverflow")
      .withArgs(f.stranger.address, Asset.Usd);
  });

  it("tokens sent to the market directly belong to nobody: sweep sends only that excess to the treasury", async () => {
    const f = await loadFixture(deployMarket);
    const market = await f.market.getAddress();
    const holders = [f.centre, f.centre2, f.gen27, f.gen34, f.gen2, f.gen27b];
    for (const asset of [Asset.Usd, Asset.Kwh]) {
      await expect(f.market.sweep(asset)).to.be.revertedWithCustomError(f.market, "NothingToSweep").withArgs(asset);
    }
    await f.usd.connect(f.centre).transfer(market, USD("3"));
    await f.kwh.connect(f.gen27).transfer(market, KWH("7"));
    expect(await f.market.accounted(Asset.Usd)).to.equal(USD("1000"));
    await expect(f.market.connect(f.stranger).sweep(Asset.Usd))
      .to.emit(f.market, "Swept")
      .withArgs(Asset.Usd, USD("3"), f.treasury.address);
    await expect(f.market.connect(f.stranger).sweep(Asset.Kwh))
      .to.emit(f.market, "Swept")
      .withArgs(Asset.Kwh, KWH("7"), f.treasury.address);
    expect(await f.usd.balanceOf(f.treasury.address)).to.equal(USD("3"));
    expect(await f.kwh.balanceOf(f.treasury.address)).to.equal(KWH("7"));
    await expect(f.market.sweep(Asset.Usd)).to.be.revertedWithCustomError(f.market, "NothingToSweep");
    await expectSolvent(f, holders);
  });

  it("a token calling back into deposit/withdraw during a transfer is stopped by the reentrancy guard", async () => {
    const f = await loadFixture(deployMarket);
    const evil = await new ReentrantToken__factory((await ethers.getSigners())[0]).deploy();
    const market = await marketOver(f, await evil.getAddress(), await f.kwh.getAddress());
    const marketAddress = await market.getAddress();
    await evil.mint(f.centre.address, 1000n);
    await evil.connect(f.centre).approve(marketAddress, ethers.MaxUint256);
    for (const payload of [
      market.interface.encodeFunctionData("withdraw", [Asset.Usd, 1n, f.centre.address]),
      market.interface.encodeFunctionData("deposit", [Asset.Usd, 1n]),
      market.interface.encodeFunctionData("depositWithPermit", [
        Asset.Usd,
        1n,
        0n,
        0,
        ethers.ZeroHash,
        ethers.ZeroHash,
      ]),
    ]) {
      await evil.arm(marketAddress, payload);
      await market.connect(f.centre).deposit(Asset.Usd, 10n);
      expect(await evil.lastCallReverted()).to.equal(true);
      expect((await evil.lastRevertData()).slice(0, 10)).to.equal(
        market.interface.getError("ReentrancyGuardReentrantCall")!.selector,
      );
    }
    await evil.arm(marketAddress, market.interface.encodeFunctionData("deposit", [Asset.Usd, 1n]));
    await market.connect(f.centre).withdraw(Asset.Usd, 5n, f.centre.address);
    expect(await evil.lastCallReverted()).to.equal(true);
    expect(await market.balancesOf(f.centre.address)).to.deep.equal([25n, 0n]);
    expect(await evil.balanceOf(marketAddress)).to.equal(25n);
  });
});

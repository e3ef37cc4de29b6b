/**
 * UsdToken: 8 decimals, minting only by TREASURY_ROLE (never the admin or the deployer: finding
 * GS-01), ERC-2612 permits.
 */
import { expect } from "chai";
import { ethers } from "hardhat";
import { loadFixture } from "../fixture-clock";
import { deployMarket, FAR, USD } from "./fixtures";
import { signPermit } from "./helpers";

describe("UsdToken", () => {
  it("has 8 decimals: the paper's 0.25266763 USD is exactly 25,266,763 units", async () => {
    const f = await loadFixture(deployMarket);
    expect(await f.usd.decimals()).to.equal(8n);
    expect(await f.usd.name()).to.equal("GridSwap USD");
    expect(await f.usd.symbol()).to.equal("gUSD");
    await f.usd.connect(f.treasury).mint(f.stranger.address, 25_266_763n);
    expect(ethers.formatUnits(await f.usd.balanceOf(f.stranger.address), 8)).to.equal("0.25266763");
  });

  it("only TREASURY_ROLE mints — not the admin, not the deployer; the admin grants the role", async () => {
    const f = await loadFixture(deployMarket);
    const role = await f.usd.TREASURY_ROLE();
    for (const who of [f.admin, f.deployer, f.stranger, f.issuer]) {
      await expect(f.usd.connect(who).mint(who.address, 1n))
        .to.be.revertedWithCustomError(f.usd, "AccessControlUnauthorizedAccount")
        .withArgs(who.address, role);
    }
    await expect(f.usd.connect(f.treasury).grantRole(role, f.stranger.address))
      .to.be.revertedWithCustomError(f.usd, "AccessControlUnauthorizedAccount")
      .withArgs(f.treasury.address, ethers.ZeroHash);
    await f.usd.connect(f.admin).grantRole(role, f.stranger.address);
    await expect(f.usd.connect(f.stranger).mint(f.gen2.address, USD("2")))
      .to.emit(f.usd, "Transfer")
      .withArgs(ethers.ZeroAddress, f.gen2.address, USD("2"));
  });

  it("ERC-2612: a permit sets the allowance; replay, forgery and expiry fail", async () => {
    const f = await loadFixture(deployMarket);
    const p = await signPermit(f.usd, f.centre, f.stranger.address, USD("5"), FAR);
    await expect(f.usd.connect(f.gen27).permit(f.centre.address, f.stranger.address, USD("5"), FAR, p.v, p.r, p.s))
      .to.emit(f.usd, "Approval")
      .withArgs(f.centre.address, f.stranger.address, USD("5"));
    await expect(
      f.usd.permit(f.centre.address, f.stranger.address, USD("5"), FAR, p.v, p.r, p.s),
    ).to.be.revertedWithCustomError(f.usd, "ERC2612InvalidSigner");
    const forged = await signPermit(f.usd, f.centre, f.stranger.address, 1n, FAR, f.stranger);
    await expect(f.usd.permit(f.centre.address, f.stranger.address, 1n, FAR, forged.v, forged.r, forged.s))
      .to.be.revertedWithCustomError(f.usd, "ERC2612InvalidSigner")
      .withArgs(f.stranger.address, f.centre.address);
    const old = await signPermit(f.usd, f.centre, f.stranger.address, 1n, 1n);
    await expect(f.usd.permit(f.centre.address, f.stranger.address, 1n, 1n, old.v, old.r, old.s))
      .to.be.revertedWithCustomError(f.usd, "ERC2612ExpiredSignature")
      .withArgs(1n);
  });
});

/**
 * KwhToken: 3 decimals (Wh), issue only by ISSUER_ROLE and only to registered generators,
 * ERC-2612 permits.
 */
import { expect } from "chai";
import { ethers } from "hardhat";
import { loadFixture } from "../fixture-clock";
import { deployMarket, FAR, KWH } from "./fixtures";
import { signPermit } from "./helpers";

describe("KwhToken", () => {
  it("has 3 decimals (Wh) and reads the registry", async () => {
    const f = await loadFixture(deployMarket);
    expect(await f.kwh.decimals()).to.equal(3n);
    expect(await f.kwh.name()).to.equal("GridSwap kWh adjustment");
    expect(await f.kwh.symbol()).to.equal("gKWH");
    expect(await f.kwh.registry()).to.equal(await f.registry.getAddress());
    expect(KWH("2.3")).to.equal(2300n);
  });

  it("the issuer issues capacity to a registered generator (CapacityIssued names its node)", async () => {
    const f = await loadFixture(deployMarket);
    const tx = f.kwh.connect(f.issuer).issue(f.gen34.address, 2500n);
    await expect(tx).to.emit(f.kwh, "CapacityIssued").withArgs(f.gen34.address, 34n, 2500n);
    await expect(tx).to.emit(f.kwh, "Transfer").withArgs(ethers.ZeroAddress, f.gen34.address, 2500n);
  });

  it("refuses an unregistered or deregistered wallet (NotRegisteredGenerator)", async () => {
    const f = await loadFixture(deployMarket);
    await f.registry.connect(f.registrar).deregister(f.gen2.address);
    for (const who of [f.centre.address, ethers.ZeroAddress, f.gen2.address]) {
      await expect(f.kwh.connect(f.issuer).issue(who, 1n))
        .to.be.revertedWithCustomError(f.kwh, "NotRegisteredGenerator")
        .withArgs(who);
    }
  });

  it("only ISSUER_ROLE issues — not the admin, the deployer or the registrar", async () => {
    const f = await loadFixture(deployMarket);
    const role = await f.kwh.ISSUER_ROLE();
    for (const who of [f.admin, f.deployer, f.registrar, f.gen27]) {
      await expect(f.kwh.connect(who).issue(f.gen27.address, 1n))
        .to.be.revertedWithCustomError(f.kwh, "AccessControlUnauthorizedAccount")
        .withArgs(who.address, role);
    }
  });

  it("ERC-2612 permits work on the kWh token too", async () => {
    const f = await loadFixture(deployMarket);
    const p = await signPermit(f.kwh, f.gen27, f.stranger.address, 7n, FAR);
    await f.kwh.permit(f.gen27.address, f.stranger.address, 7n, FAR, p.v, p.r, p.s);
    expect(await f.kwh.allowance(f.gen27.address, f.stranger.address)).to.equal(7n);
  });
});

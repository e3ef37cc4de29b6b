/**
 * UsdToken and KwhToken: decimals, minting and issuing only by their own role holders (never the
 * admin or the deployer: finding GS-01), issue only to registered generators, ERC-2612 permits.
 */
import { expect } from "chai";
import { ethers } from "hardhat";
import { loadFixture } from "@nomicfoundation/hardhat-network-helpers";
import { deployMarket, FAR, KWH, USD } from "./fixtures";
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

describe("GeneratorRegistry", () => {
  it("registers a generator at a node with its meter key, in one read", async () => {
    const f = await loadFixture(deployMarket);
    const meter = ethers.Wallet.createRandom().address;
    await expect(f.registry.connect(f.registrar).register(f.stranger.address, 14, meter))
      .to.emit(f.registry, "GeneratorRegistered")
      .withArgs(f.stranger.address, 14n, meter);
    expect(await f.registry.nodeOf(f.stranger.address)).to.equal(14n);
    expect(await f.registry.meterKeyOf(f.stranger.address)).to.equal(meter);
    expect(await f.registry.generatorOf(f.stranger.address)).to.deep.equal([14n, meter]);
    expect(await f.registry.generatorOf(f.centre.address)).to.deep.equal([0n, ethers.ZeroAddress]);
  });

  it("refuses zero generator, node 0, zero meter key and a second registration", async () => {
    const f = await loadFixture(deployMarket);
    const r = f.registry.connect(f.registrar);
    const meter = f.meter.gen27.address;
    await expect(r.register(ethers.ZeroAddress, 1, meter)).to.be.revertedWithCustomError(f.registry, "ZeroGenerator");
    await expect(r.register(f.stranger.address, 0, meter)).to.be.revertedWithCustomError(f.registry, "ZeroNode");
    await expect(r.register(f.stranger.address, 1, ethers.ZeroAddress)).to.be.revertedWithCustomError(
      f.registry,
      "ZeroMeterKey",
    );
    await expect(r.register(f.gen27.address, 5, meter))
      .to.be.revertedWithCustomError(f.registry, "AlreadyRegistered")
      .withArgs(f.gen27.address, 27n);
  });

  it("replaces a meter key; refuses zero and unregistered generators", async () => {
    const f = await loadFixture(deployMarket);
    const r = f.registry.connect(f.registrar);
    const meter = ethers.Wallet.createRandom().address;
    await expect(r.setMeterKey(f.gen27.address, meter))
      .to.emit(f.registry, "MeterKeyChanged")
      .withArgs(f.gen27.address, meter);
    expect(await f.registry.generatorOf(f.gen27.address)).to.deep.equal([27n, meter]);
    await expect(r.setMeterKey(f.gen27.address, ethers.ZeroAddress)).to.be.revertedWithCustomError(
      f.registry,
      "ZeroMeterKey",
    );
    await expect(r.setMeterKey(f.stranger.address, meter))
      .to.be.revertedWithCustomError(f.registry, "NotRegistered")
      .withArgs(f.stranger.address);
  });

  it("deregisters (node and key cleared); a second deregistration fails", async () => {
    const f = await loadFixture(deployMarket);
    const r = f.registry.connect(f.registrar);
    await expect(r.deregister(f.gen2.address))
      .to.emit(f.registry, "GeneratorDeregistered")
      .withArgs(f.gen2.address, 2n);
    expect(await f.registry.generatorOf(f.gen2.address)).to.deep.equal([0n, ethers.ZeroAddress]);
    await expect(r.deregister(f.gen2.address))
      .to.be.revertedWithCustomError(f.registry, "NotRegistered")
      .withArgs(f.gen2.address);
  });

  it("only REGISTRAR_ROLE registers, rebinds and deregisters — not the admin or the deployer", async () => {
    const f = await loadFixture(deployMarket);
    const role = await f.registry.REGISTRAR_ROLE();
    for (const who of [f.admin, f.deployer, f.issuer, f.gen27]) {
      const r = f.registry.connect(who);
      for (const call of [
        r.register(who.address, 9, who.address),
        r.setMeterKey(f.gen27.address, who.address),
        r.deregister(f.gen27.address),
      ]) {
        await expect(call)
          .to.be.revertedWithCustomError(f.registry, "AccessControlUnauthorizedAccount")
          .withArgs(who.address, role);
      }
    }
  });
});

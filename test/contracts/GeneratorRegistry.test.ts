/**
 * GeneratorRegistry: node and meter key per generator in one read; only REGISTRAR_ROLE (never
 * the admin or the deployer) registers, rebinds and deregisters.
 */
import { expect } from "chai";
import { ethers } from "hardhat";
import { loadFixture } from "@nomicfoundation/hardhat-network-helpers";
import { deployMarket } from "./fixtures";

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
        () => r.register(who.address, 9, who.address),
        () => r.setMeterKey(f.gen27.address, who.address),
        () => r.deregister(f.gen27.address),
      ]) {
        await expect(call())
          .to.be.revertedWithCustomError(f.registry, "AccessControlUnauthorizedAccount")
          .withArgs(who.address, role);
      }
    }
  });
});

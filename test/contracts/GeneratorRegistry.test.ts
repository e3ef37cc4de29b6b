/**
 * GeneratorRegistry: node, meter key and capacity per generator in one read; one meter key per
 * generator (finding GS-20); only REGISTRAR_ROLE (never the admin or the deployer) registers,
 * rebinds, sets capacities and deregisters.
 */
import { expect } from "chai";
import { ethers } from "hardhat";
import { loadFixture } from "../fixture-clock";
import { CAPACITY_W, deployMarket } from "./fixtures";

describe("GeneratorRegistry", () => {
  it("registers a generator at a node with its meter key and capacity, in one read", async () => {
    const f = await loadFixture(deployMarket);
    const meter = ethers.Wallet.createRandom().address;
    await expect(f.registry.connect(f.registrar).register(f.stranger.address, 14, meter, 250_000n))
      .to.emit(f.registry, "GeneratorRegistered")
      .withArgs(f.stranger.address, 14n, meter, 250_000n, 5n);
    expect(await f.registry.nodeOf(f.stranger.address)).to.equal(14n);
    expect(await f.registry.meterKeyOf(f.stranger.address)).to.equal(meter);
    expect(await f.registry.generatorOf(f.stranger.address)).to.deep.equal([14n, meter, 250_000n, 5n]);
    expect(await f.registry.registrations()).to.equal(5n);
    expect(await f.registry.generatorOfMeter(meter)).to.equal(f.stranger.address);
    expect(await f.registry.generatorOf(f.centre.address)).to.deep.equal([0n, ethers.ZeroAddress, 0n, 0n]);
    expect(await f.registry.generatorOfMeter(f.centre.address)).to.equal(ethers.ZeroAddress);
  });

  it("refuses zero generator, node 0, zero meter key, zero capacity and a second registration", async () => {
    const f = await loadFixture(deployMarket);
    const r = f.registry.connect(f.registrar);
    const meter = ethers.Wallet.createRandom().address;
    await expect(r.register(ethers.ZeroAddress, 1, meter, 1n)).to.be.revertedWithCustomError(
      f.registry,
      "ZeroGenerator",
    );
    await expect(r.register(f.stranger.address, 0, meter, 1n)).to.be.revertedWithCustomError(f.registry, "ZeroNode");
    await expect(r.register(f.stranger.address, 1, ethers.ZeroAddress, 1n)).to.be.revertedWithCustomError(
      f.registry,
      "ZeroMeterKey",
    );
    await expect(r.register(f.stranger.address, 1, meter, 0n)).to.be.revertedWithCustomError(
      f.registry,
      "ZeroCapacity",
    );
    await expect(r.register(f.gen27.address, 5, meter, 1n))
      .to.be.revertedWithCustomError(f.registry, "AlreadyRegistered")
      .withArgs(f.gen27.address, 27n);
  });

  it("GS-20: a meter key is bound to one generator only — registering or rebinding it elsewhere is refused", async () => {
    const f = await loadFixture(deployMarket);
    const r = f.registry.connect(f.registrar);
    const taken = f.meter.gen27.address;
    await expect(r.register(f.stranger.address, 27, taken, 1n))
      .to.be.revertedWithCustomError(f.registry, "MeterKeyInUse")
      .withArgs(taken, f.gen27.address);
    await expect(r.setMeterKey(f.gen34.address, taken))
      .to.be.revertedWithCustomError(f.registry, "MeterKeyInUse")
      .withArgs(taken, f.gen27.address);
    // Rebinding a generator's own key again keeps it bound.
    await r.setMeterKey(f.gen27.address, taken);
    expect(await f.registry.generatorOfMeter(taken)).to.equal(f.gen27.address);
    // A replaced key is free for another generator; the new one is bound.
    const fresh = ethers.Wallet.createRandom().address;
    await r.setMeterKey(f.gen27.address, fresh);
    expect(await f.registry.generatorOfMeter(taken)).to.equal(ethers.ZeroAddress);
    expect(await f.registry.generatorOfMeter(fresh)).to.equal(f.gen27.address);
    await r.register(f.stranger.address, 27, taken, 1n);
    expect(await f.registry.generatorOfMeter(taken)).to.equal(f.stranger.address);
  });

  it("replaces a meter key and the capacity; refuses zero and unregistered generators", async () => {
    const f = await loadFixture(deployMarket);
    const r = f.registry.connect(f.registrar);
    const meter = ethers.Wallet.createRandom().address;
    await expect(r.setMeterKey(f.gen27.address, meter))
      .to.emit(f.registry, "MeterKeyChanged")
      .withArgs(f.gen27.address, meter);
    expect(await f.registry.generatorOf(f.gen27.address)).to.deep.equal([27n, meter, BigInt(CAPACITY_W), 1n]);
    await expect(r.setCapacity(f.gen27.address, 42n))
      .to.emit(f.registry, "CapacityChanged")
      .withArgs(f.gen27.address, 42n);
    expect(await f.registry.generatorOf(f.gen27.address)).to.deep.equal([27n, meter, 42n, 1n]);
    await expect(r.setCapacity(f.gen27.address, 0n)).to.be.revertedWithCustomError(f.registry, "ZeroCapacity");
    await expect(r.setMeterKey(f.gen27.address, ethers.ZeroAddress)).to.be.revertedWithCustomError(
      f.registry,
      "ZeroMeterKey",
    );
    for (const call of [() => r.setMeterKey(f.stranger.address, meter), () => r.setCapacity(f.stranger.address, 1n)]) {
      await expect(call()).to.be.revertedWithCustomError(f.registry, "NotRegistered").withArgs(f.stranger.address);
    }
  });

  it("deregisters (node, key and capacity cleared, key freed); a second deregistration fails", async () => {
    const f = await loadFixture(deployMarket);
    const r = f.registry.connect(f.registrar);
    await expect(r.deregister(f.gen2.address))
      .to.emit(f.registry, "GeneratorDeregistered")
      .withArgs(f.gen2.address, 2n);
    expect(await f.registry.generatorOf(f.gen2.address)).to.deep.equal([0n, ethers.ZeroAddress, 0n, 0n]);
    expect(await f.registry.generatorOfMeter(f.meter.gen2.address)).to.equal(ethers.ZeroAddress);
    await expect(r.deregister(f.gen2.address))
      .to.be.revertedWithCustomError(f.registry, "NotRegistered")
      .withArgs(f.gen2.address);
    // Registered again: a new index, never the old one.
    await r.register(f.gen2.address, 2, f.meter.gen2.address, 1);
    expect((await f.registry.generatorOf(f.gen2.address))[3]).to.equal(5n);
  });

  it("only REGISTRAR_ROLE registers, rebinds, sets capacities and deregisters — not the admin or the deployer", async () => {
    const f = await loadFixture(deployMarket);
    const role = await f.registry.REGISTRAR_ROLE();
    for (const who of [f.admin, f.deployer, f.issuer, f.gen27]) {
      const r = f.registry.connect(who);
      for (const call of [
        () => r.register(who.address, 9, who.address, 1n),
        () => r.setMeterKey(f.gen27.address, who.address),
        () => r.setCapacity(f.gen27.address, 1n),
        () => r.deregister(f.gen27.address),
      ]) {
        await expect(call())
          .to.be.revertedWithCustomError(f.registry, "AccessControlUnauthorizedAccount")
          .withArgs(who.address, role);
      }
    }
  });
});

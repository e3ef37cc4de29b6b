/**
 * Unit tests of the USD and kWh tokens (decimals, role-gated minting and issuing, ERC-2612
 * permits) and of the generator registry (register, deregister, errors, events, roles).
 */
import { expect } from "chai";
import { ethers } from "hardhat";
import { loadFixture } from "@nomicfoundation/hardhat-network-helpers";
import { deployMarket, KWH, USD } from "./fixture";
import { expectMoved, ledger, signPermit, type Ledger } from "./unit-helpers";

type F = Awaited<ReturnType<typeof deployMarket>>;

function snap(f: F): Promise<Ledger> {
  const { admin, oracle, centre, gen27, gen34, gen2, stranger, market } = f;
  return ledger({ usd: f.usd, kwh: f.kwh }, { admin, oracle, centre, gen27, gen34, gen2, stranger, market });
}

describe("UsdToken", () => {
  it("has 8 decimals, its name and symbol; the paper's 0.25266763 USD is exactly 25,266,763 units", async () => {
    const { usd, admin, stranger } = await loadFixture(deployMarket);
    expect(await usd.decimals()).to.equal(8n);
    expect(await usd.name()).to.equal("GridSwap USD");
    expect(await usd.symbol()).to.equal("gUSD");
    expect(USD("0.25266763")).to.equal(25_266_763n);
    await usd.connect(admin).mint(stranger.address, 25_266_763n);
    const balance = await usd.balanceOf(stranger.address);
    expect(balance).to.equal(25_266_763n);
    expect(ethers.formatUnits(balance, await usd.decimals())).to.equal("0.25266763");
    // One unit is 1e-8 USD: a ninth decimal is not representable.
    expect(() => USD("0.000000001")).to.throw();
  });

  it("only TREASURY_ROLE mints (AccessControlUnauthorizedAccount); the role can be granted", async () => {
    const f = await loadFixture(deployMarket);
    const { usd, admin, centre, stranger } = f;
    const role = await usd.TREASURY_ROLE();
    expect(await usd.hasRole(role, admin.address)).to.equal(true);
    const supply = await usd.totalSupply();
    for (const who of [stranger, centre]) {
      await expect(usd.connect(who).mint(who.address, 1n))
        .to.be.revertedWithCustomError(usd, "AccessControlUnauthorizedAccount")
        .withArgs(who.address, role);
      await expect(usd.connect(who).grantRole(role, who.address))
        .to.be.revertedWithCustomError(usd, "AccessControlUnauthorizedAccount")
        .withArgs(who.address, await usd.DEFAULT_ADMIN_ROLE());
    }
    expect(await usd.totalSupply()).to.equal(supply);
    await usd.connect(admin).grantRole(role, stranger.address);
    await expect(usd.connect(stranger).mint(centre.address, USD("2")))
      .to.emit(usd, "Transfer")
      .withArgs(ethers.ZeroAddress, centre.address, USD("2"));
    expect(await usd.totalSupply()).to.equal(supply + USD("2"));
    expect(await usd.balanceOf(centre.address)).to.equal(USD("1002"));
  });

  it("transfers move exactly the amount (nothing lost or created)", async () => {
    const f = await loadFixture(deployMarket);
    const before = await snap(f);
    await f.usd.connect(f.centre).transfer(f.gen27.address, USD("0.25266763"));
    expectMoved(before, await snap(f), { usd: { centre: -25_266_763n, gen27: 25_266_763n } });
  });

  it("ERC-2612 permit: sets the allowance without a transaction by the owner; replay, forgery and expiry fail", async () => {
    const f = await loadFixture(deployMarket);
    const { usd, centre, gen27, stranger } = f;
    const deadline = f.start + 3600n;
    const p = await signPermit(usd, centre, stranger.address, USD("5"), deadline);
    await expect(usd.connect(gen27).permit(centre.address, stranger.address, USD("5"), deadline, p.v, p.r, p.s))
      .to.emit(usd, "Approval")
      .withArgs(centre.address, stranger.address, USD("5"));
    expect(await usd.allowance(centre.address, stranger.address)).to.equal(USD("5"));
    expect(await usd.nonces(centre.address)).to.equal(1n);
    await expect(
      usd.connect(gen27).permit(centre.address, stranger.address, USD("5"), deadline, p.v, p.r, p.s),
    ).to.be.revertedWithCustomError(usd, "ERC2612InvalidSigner");
    const forged = await signPermit(usd, centre, stranger.address, USD("5"), deadline, stranger);
    await expect(usd.permit(centre.address, stranger.address, USD("5"), deadline, forged.v, forged.r, forged.s))
      .to.be.revertedWithCustomError(usd, "ERC2612InvalidSigner")
      .withArgs(stranger.address, centre.address);
    const expired = await signPermit(usd, centre, stranger.address, USD("5"), f.start - 1n);
    await expect(usd.permit(centre.address, stranger.address, USD("5"), f.start - 1n, expired.v, expired.r, expired.s))
      .to.be.revertedWithCustomError(usd, "ERC2612ExpiredSignature")
      .withArgs(f.start - 1n);
    const before = await snap(f);
    await usd.connect(stranger).transferFrom(centre.address, gen27.address, USD("5"));
    expectMoved(before, await snap(f), { usd: { centre: -USD("5"), gen27: USD("5") } });
    expect(await usd.allowance(centre.address, stranger.address)).to.equal(0n);
  });
});

describe("KwhToken", () => {
  it("has 3 decimals (Wh), its name and symbol, and reads the registry", async () => {
    const { kwh, registry } = await loadFixture(deployMarket);
    expect(await kwh.decimals()).to.equal(3n);
    expect(await kwh.name()).to.equal("GridSwap kWh adjustment");
    expect(await kwh.symbol()).to.equal("gKWH");
    expect(await kwh.registry()).to.equal(await registry.getAddress());
    expect(KWH("2.3")).to.equal(2300n);
  });

  it("issues capacity to a registered generator with CapacityIssued naming its node", async () => {
    const f = await loadFixture(deployMarket);
    const { kwh, admin, gen34 } = f;
    const supply = await kwh.totalSupply();
    const tx = kwh.connect(admin).issue(gen34.address, KWH("2.5"));
    await expect(tx).to.emit(kwh, "CapacityIssued").withArgs(gen34.address, 34n, 2500n);
    await expect(tx).to.emit(kwh, "Transfer").withArgs(ethers.ZeroAddress, gen34.address, 2500n);
    expect(await kwh.balanceOf(gen34.address)).to.equal(KWH("1002.5"));
    expect(await kwh.totalSupply()).to.equal(supply + 2500n);
  });

  it("refuses to issue to an unregistered or deregistered wallet (NotRegisteredGenerator)", async () => {
    const f = await loadFixture(deployMarket);
    const { kwh, registry, admin, centre, gen2 } = f;
    const supply = await kwh.totalSupply();
    for (const who of [centre.address, ethers.ZeroAddress]) {
      await expect(kwh.connect(admin).issue(who, 1n))
        .to.be.revertedWithCustomError(kwh, "NotRegisteredGenerator")
        .withArgs(who);
    }
    await registry.connect(admin).deregister(gen2.address);
    await expect(kwh.connect(admin).issue(gen2.address, 1n))
      .to.be.revertedWithCustomError(kwh, "NotRegisteredGenerator")
      .withArgs(gen2.address);
    expect(await kwh.totalSupply()).to.equal(supply);
  });

  it("only ISSUER_ROLE issues (AccessControlUnauthorizedAccount); the role can be granted", async () => {
    const f = await loadFixture(deployMarket);
    const { kwh, admin, centre, gen27, stranger } = f;
    const role = await kwh.ISSUER_ROLE();
    for (const who of [stranger, gen27, centre]) {
      await expect(kwh.connect(who).issue(gen27.address, 1n))
        .to.be.revertedWithCustomError(kwh, "AccessControlUnauthorizedAccount")
        .withArgs(who.address, role);
      await expect(kwh.connect(who).grantRole(role, who.address))
        .to.be.revertedWithCustomError(kwh, "AccessControlUnauthorizedAccount")
        .withArgs(who.address, await kwh.DEFAULT_ADMIN_ROLE());
    }
    await kwh.connect(admin).grantRole(role, stranger.address);
    await expect(kwh.connect(stranger).issue(gen27.address, 1n)).to.emit(kwh, "CapacityIssued");
  });

  it("issued tokens move freely, also to unregistered wallets", async () => {
    const f = await loadFixture(deployMarket);
    const before = await snap(f);
    await f.kwh.connect(f.gen27).transfer(f.centre.address, KWH("2.3"));
    await f.kwh.connect(f.centre).transfer(f.stranger.address, 1n);
    expectMoved(before, await snap(f), { kwh: { gen27: -2300n, centre: 2299n, stranger: 1n } });
  });

  it("ERC-2612 permit under its own domain; a USD-domain signature is rejected", async () => {
    const f = await loadFixture(deployMarket);
    const { kwh, usd, gen27, stranger } = f;
    const deadline = f.start + 3600n;
    const p = await signPermit(kwh, gen27, stranger.address, 2300n, deadline);
    await kwh.connect(stranger).permit(gen27.address, stranger.address, 2300n, deadline, p.v, p.r, p.s);
    expect(await kwh.allowance(gen27.address, stranger.address)).to.equal(2300n);
    expect(await kwh.nonces(gen27.address)).to.equal(1n);
    // A permit signed for the USD token (same owner, spender, value, nonce 0) is not valid here.
    const usdSigned = await signPermit(usd, gen27, stranger.address, 2300n, deadline);
    await expect(
      kwh.permit(gen27.address, stranger.address, 2300n, deadline, usdSigned.v, usdSigned.r, usdSigned.s),
    ).to.be.revertedWithCustomError(kwh, "ERC2612InvalidSigner");
    const before = await snap(f);
    await kwh.connect(stranger).transferFrom(gen27.address, stranger.address, 2300n);
    expectMoved(before, await snap(f), { kwh: { gen27: -2300n, stranger: 2300n } });
  });
});

describe("GeneratorRegistry", () => {
  it("registers a wallet at a node (GeneratorRegistered) and reports its node", async () => {
    const { registry, admin, stranger, gen27 } = await loadFixture(deployMarket);
    expect(await registry.nodeOf(gen27.address)).to.equal(27n);
    expect(await registry.nodeOf(stranger.address)).to.equal(0n);
    await expect(registry.connect(admin).register(stranger.address, 2 ** 32 - 1))
      .to.emit(registry, "GeneratorRegistered")
      .withArgs(stranger.address, 2n ** 32n - 1n);
    expect(await registry.nodeOf(stranger.address)).to.equal(2n ** 32n - 1n);
  });

  it("refuses the zero address (ZeroGenerator), node 0 (ZeroNode) and a second registration (AlreadyRegistered)", async () => {
    const { registry, admin, stranger, gen27 } = await loadFixture(deployMarket);
    await expect(registry.connect(admin).register(ethers.ZeroAddress, 5)).to.be.revertedWithCustomError(
      registry,
      "ZeroGenerator",
    );
    await expect(registry.connect(admin).register(stranger.address, 0)).to.be.revertedWithCustomError(
      registry,
      "ZeroNode",
    );
    for (const node of [27, 34]) {
      await expect(registry.connect(admin).register(gen27.address, node))
        .to.be.revertedWithCustomError(registry, "AlreadyRegistered")
        .withArgs(gen27.address, 27n);
    }
    expect(await registry.nodeOf(gen27.address)).to.equal(27n);
    expect(await registry.nodeOf(stranger.address)).to.equal(0n);
  });

  it("deregisters (GeneratorDeregistered with the old node); then the wallet may register elsewhere", async () => {
    const { registry, admin, gen27 } = await loadFixture(deployMarket);
    await expect(registry.connect(admin).deregister(gen27.address))
      .to.emit(registry, "GeneratorDeregistered")
      .withArgs(gen27.address, 27n);
    expect(await registry.nodeOf(gen27.address)).to.equal(0n);
    await expect(registry.connect(admin).deregister(gen27.address))
      .to.be.revertedWithCustomError(registry, "NotRegistered")
      .withArgs(gen27.address);
    await expect(registry.connect(admin).register(gen27.address, 34))
      .to.emit(registry, "GeneratorRegistered")
      .withArgs(gen27.address, 34n);
    expect(await registry.nodeOf(gen27.address)).to.equal(34n);
  });

  it("deregistering an unknown wallet fails (NotRegistered)", async () => {
    const { registry, admin, stranger } = await loadFixture(deployMarket);
    for (const who of [stranger.address, ethers.ZeroAddress]) {
      await expect(registry.connect(admin).deregister(who))
        .to.be.revertedWithCustomError(registry, "NotRegistered")
        .withArgs(who);
    }
  });

  it("only REGISTRAR_ROLE registers and deregisters (AccessControlUnauthorizedAccount); the role can be granted", async () => {
    const { registry, admin, stranger, gen27, centre } = await loadFixture(deployMarket);
    const role = await registry.REGISTRAR_ROLE();
    for (const who of [stranger, gen27, centre]) {
      await expect(registry.connect(who).register(who.address, 9))
        .to.be.revertedWithCustomError(registry, "AccessControlUnauthorizedAccount")
        .withArgs(who.address, role);
      await expect(registry.connect(who).deregister(gen27.address))
        .to.be.revertedWithCustomError(registry, "AccessControlUnauthorizedAccount")
        .withArgs(who.address, role);
      await expect(registry.connect(who).grantRole(role, who.address))
        .to.be.revertedWithCustomError(registry, "AccessControlUnauthorizedAccount")
        .withArgs(who.address, await registry.DEFAULT_ADMIN_ROLE());
    }
    expect(await registry.nodeOf(gen27.address)).to.equal(27n);
    await registry.connect(admin).grantRole(role, stranger.address);
    await expect(registry.connect(stranger).register(centre.address, 9))
      .to.emit(registry, "GeneratorRegistered")
      .withArgs(centre.address, 9n);
    await expect(registry.connect(stranger).deregister(centre.address))
      .to.emit(registry, "GeneratorDeregistered")
      .withArgs(centre.address, 9n);
  });
});

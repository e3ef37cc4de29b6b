/**
 * GS-01 (medium): one key above the oracle quorum. In v1 the oracle's admin could lower the
 * threshold, make itself an oracle and report alone, and the deployment gave the same key the
 * registrar, issuer and treasury rights: it could register its own wallet, take an open offer and
 * "measure" full delivery to itself (the v1 version of this test, commit 99c90d7, fails on
 * b17cdb7: the puppet is paid 25,266,763).
 * v2: the oracle has no admin (its set changes only by k of n), and the deployment gives every
 * role to a separate account. The same attack by the admin key fails at every step, and nothing
 * is paid.
 */
import { expect } from "chai";
import { ethers } from "hardhat";
import { loadFixture } from "../fixture-clock";
import { checkSeparateRoles } from "../../oracle/chain/deploy";
import { signReport } from "../../oracle/chain/typed-data";
import { deployMarket, FAR, measurement, paperOffer, paperReport, PAPER_WH, sign } from "../contracts/fixtures";

describe("GS-01: no key above the oracle quorum", () => {
  it("the admin key cannot register its wallet, fill an offer and report its own delivery", async () => {
    const f = await loadFixture(deployMarket);
    const { admin, oracle, market, registry, kwh, usd } = f;
    const puppet = (await ethers.getSigners())[19];
    const offer = paperOffer(f);
    const signature = await sign(f, offer);
    const before = await market.balancesOf(puppet.address);

    // 1. Register its own wallet: only the registrar can.
    await expect(registry.connect(admin).register(puppet.address, 27, puppet.address, 1n))
      .to.be.revertedWithCustomError(registry, "AccessControlUnauthorizedAccount")
      .withArgs(admin.address, await registry.REGISTRAR_ROLE());
    // 2. Issue itself kWh or mint USD: only the issuer / treasury can.
    await expect(kwh.connect(admin).issue(puppet.address, PAPER_WH))
      .to.be.revertedWithCustomError(kwh, "AccessControlUnauthorizedAccount")
      .withArgs(admin.address, await kwh.ISSUER_ROLE());
    await expect(usd.connect(admin).mint(puppet.address, 1n))
      .to.be.revertedWithCustomError(usd, "AccessControlUnauthorizedAccount")
      .withArgs(admin.address, await usd.TREASURY_ROLE());
    // 3. Fill the open offer with an unregistered wallet: refused.
    await expect(market.connect(puppet).fill(offer, signature, PAPER_WH, 0n))
      .to.be.revertedWithCustomError(market, "GeneratorNotAtNode")
      .withArgs(puppet.address, 27n, 0n);
    // 4. Lower the threshold or join the oracle: there is no such function; a signer-set update
    //    needs k of the current n, and the admin's own signatures count for nothing.
    for (const name of ["setThreshold", "grantRole"]) expect(oracle.interface.hasFunction(name)).to.equal(false);
    const epoch = await oracle.configEpoch();
    const takeover = await signReport([admin], f.oracleDomain, paperReport(f.period), epoch, FAR);
    await expect(oracle.connect(admin).updateSigners([admin.address], 1, FAR, takeover))
      .to.be.revertedWithCustomError(oracle, "NotEnoughSignatures")
      .withArgs(0, 2);
    // 5. "Measure" a full delivery to itself alone: one signature is below the threshold.
    const fake = paperReport(f.period, [measurement(puppet.address, f.period - 1n, -PAPER_WH)]);
    const sigs = await signReport([admin, f.o1], f.oracleDomain, fake, epoch, FAR);
    await expect(oracle.connect(admin).submitReport(fake, FAR, sigs))
      .to.be.revertedWithCustomError(oracle, "NotEnoughSignatures")
      .withArgs(1, 2);

    expect(await market.balancesOf(puppet.address)).to.deep.equal(before);
  });

  it("the deployment refuses to give two roles to one account", async () => {
    const f = await loadFixture(deployMarket);
    const roles = {
      admin: f.admin.address,
      centres: [f.centre.address],
      oracleSigners: [f.o1.address, f.o2.address, f.o3.address],
      oracleThreshold: 2,
      registrar: f.registrar.address,
      issuer: f.issuer.address,
      treasury: f.treasury.address,
    };
    expect(() => checkSeparateRoles(roles)).not.to.throw();
    expect(() => checkSeparateRoles({ ...roles, registrar: f.admin.address })).to.throw(
      /registrar and admin are the same account/,
    );
    expect(() => checkSeparateRoles({ ...roles, treasury: f.o2.address })).to.throw(/same account/);
    expect(() => checkSeparateRoles({ ...roles, centres: [f.issuer.address] })).to.throw(/centres\[0\] and issuer/);
    expect(() => checkSeparateRoles({ ...roles, oracleThreshold: 1 })).to.throw(/n\/2 < k ≤ n/);
    expect(() => checkSeparateRoles({ ...roles, issuer: ethers.ZeroAddress })).to.throw(/non-zero address/);
    // Each role is held by exactly its account.
    expect(await f.registry.hasRole(await f.registry.REGISTRAR_ROLE(), f.admin.address)).to.equal(false);
    expect(await f.kwh.hasRole(await f.kwh.ISSUER_ROLE(), f.admin.address)).to.equal(false);
    expect(await f.usd.hasRole(await f.usd.TREASURY_ROLE(), f.admin.address)).to.equal(false);
    expect(await f.market.hasRole(await f.market.CENTRE_ROLE(), f.admin.address)).to.equal(false);
    for (const c of [f.registry, f.kwh, f.usd, f.market]) {
      expect(await c.hasRole(ethers.ZeroHash, f.deployer.address)).to.equal(false);
    }
  });
});

/**
 * GS-01 (medium): one key above the oracle quorum. The oracle's admin can lower the threshold,
 * make itself an oracle and report alone; the deployment gives the same key the registrar, issuer
 * and treasury rights. Scenario: a 2-of-3 oracle; the admin registers a wallet it controls, fills
 * an open offer with it and "measures" full delivery to itself. Safe outcome: the attack pays
 * nothing.
 */
import { expect } from "chai";
import { ethers } from "hardhat";
import { loadFixture, time } from "@nomicfoundation/hardhat-network-helpers";
import { deployMarket, KWH, paperReport, PERIOD_SECONDS } from "../contracts/fixture";

describe("GS-01: no key above the oracle quorum", () => {
  it("the admin key cannot register its own wallet, fill an offer and report its own delivery", async () => {
    const f = await loadFixture(deployMarket);
    const { admin, gridOracle, market, registry, kwh, usd, centre } = f;
    const [o1, o2, o3, puppet] = (await ethers.getSigners()).slice(7, 11);
    const role = await gridOracle.ORACLE_ROLE();
    for (const o of [o1, o2, o3]) await gridOracle.connect(admin).grantRole(role, o.address);
    await gridOracle.connect(admin).revokeRole(role, f.oracle.address);
    await gridOracle.connect(admin).setThreshold(2); // honest 2-of-3 quorum

    await market.connect(centre).publish(f.paperOffer());
    const before = await usd.balanceOf(puppet.address);
    // The attack: every step by the admin key alone.
    await registry.connect(admin).register(puppet.address, 27);
    await kwh.connect(admin).issue(puppet.address, KWH("2.3"));
    await kwh.connect(puppet).approve(await market.getAddress(), KWH("2.3"));
    await market.connect(puppet).accept(1);
    await time.increaseTo(f.start + PERIOD_SECONDS);
    await gridOracle.connect(admin).setThreshold(1);
    await gridOracle.connect(admin).grantRole(role, admin.address);
    const delivery = { period: f.period, generator: puppet.address, adjustmentWh: -KWH("2.3") };
    await gridOracle.connect(admin).submitReport(paperReport(f.period + 1n, [delivery]), []);
    await market.settle(1);
    expect((await usd.balanceOf(puppet.address)) - before, "USD the admin's puppet was paid").to.equal(0n);
  });
});

/**
 * GS-04 (low): oracle signatures covered only (period, reportHash): they never expired, were not
 * bound to the oracle set, and one revoked signer in a bundle reverted the whole report.
 */
import { expect } from "chai";
import { ethers } from "hardhat";
import { loadFixture } from "@nomicfoundation/hardhat-network-helpers";
import { deployMarket, paperReport } from "../contracts/fixture";
import { ascending, signReport } from "../contracts/unit-helpers";

async function twoOfThree() {
  const f = await deployMarket();
  const [o1, o2, o3, o4] = (await ethers.getSigners()).slice(7, 11);
  const role = await f.gridOracle.ORACLE_ROLE();
  for (const o of [o1, o2, o3]) await f.gridOracle.connect(f.admin).grantRole(role, o.address);
  await f.gridOracle.connect(f.admin).setThreshold(2);
  return { ...f, o1, o2, o3, o4, role };
}

describe("GS-04: oracle signatures bound to the configuration, counted not all-or-nothing", () => {
  it("a revoked signer in a bundle is ignored when the valid signatures meet the threshold", async () => {
    const f = await loadFixture(twoOfThree);
    await f.gridOracle.connect(f.admin).revokeRole(f.role, f.o3.address);
    const report = paperReport(f.period);
    const sigs = await signReport(f.gridOracle, report, await ascending([f.o1, f.o2, f.o3]));
    await expect(f.gridOracle.connect(f.stranger).submitReport(report, sigs)).not.to.be.reverted;
  });

  it("signatures collected under one signer set are void once the set changed", async () => {
    const f = await loadFixture(twoOfThree);
    const report = paperReport(f.period);
    const sigs = await signReport(f.gridOracle, report, await ascending([f.o1, f.o2]));
    await f.gridOracle.connect(f.admin).grantRole(f.role, f.o4.address); // the set changes
    await expect(f.gridOracle.connect(f.stranger).submitReport(report, sigs)).to.be.reverted;
  });
});

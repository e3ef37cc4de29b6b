/**
 * GS-04 (low): v1 oracle signatures covered only (period, reportHash): they never expired, were
 * not bound to the oracle set, and one revoked signer in a bundle reverted the whole report (the
 * v1 version, commit 99c90d7, fails on b17cdb7 in both cases).
 * v2: signatures are bound to the configuration epoch and a deadline, and a bundle counts the
 * valid signatures of current signers, ignoring the rest.
 */
import { expect } from "chai";
import { time } from "@nomicfoundation/hardhat-network-helpers";
import { loadFixture } from "../fixture-clock";
import { signReport, signSignerUpdate } from "../../oracle/chain/typed-data";
import { deployMarket, emptyReport, FAR, type Fixture } from "../contracts/fixtures";

async function replaceO3ByO4(f: Fixture) {
  const next = [f.o1.address, f.o2.address, f.o4.address];
  const sigs = await signSignerUpdate([f.o1, f.o2], f.oracleDomain, next, 2, await f.oracle.configEpoch(), FAR);
  await f.oracle.updateSigners(next, 2, FAR, sigs);
}

describe("GS-04: oracle signatures bound to the configuration, counted not all-or-nothing", () => {
  it("a revoked signer in a bundle is ignored when the valid signatures meet the threshold", async () => {
    const f = await loadFixture(deployMarket);
    await replaceO3ByO4(f); // o3 revoked
    const report = emptyReport(f.period);
    const sigs = await signReport([f.o3, f.o1, f.o2], f.oracleDomain, report, await f.oracle.configEpoch(), FAR);
    await expect(f.oracle.connect(f.stranger).submitReport(report, FAR, sigs)).to.emit(f.oracle, "ReportSubmitted");
  });

  it("signatures collected under one signer set are void once the set changed", async () => {
    const f = await loadFixture(deployMarket);
    const report = emptyReport(f.period);
    const sigs = await signReport([f.o1, f.o2], f.oracleDomain, report, await f.oracle.configEpoch(), FAR);
    await replaceO3ByO4(f); // o1 and o2 stay signers, yet their earlier signatures no longer count
    await expect(f.oracle.connect(f.stranger).submitReport(report, FAR, sigs))
      .to.be.revertedWithCustomError(f.oracle, "NotEnoughSignatures")
      .withArgs(0, 2);
  });

  it("signatures expire at their deadline", async () => {
    const f = await loadFixture(deployMarket);
    const report = emptyReport(f.period);
    const deadline = BigInt(await time.latest()) + 60n;
    const sigs = await signReport([f.o1, f.o2], f.oracleDomain, report, await f.oracle.configEpoch(), deadline);
    await time.setNextBlockTimestamp(deadline + 1n);
    await expect(f.oracle.submitReport(report, deadline, sigs))
      .to.be.revertedWithCustomError(f.oracle, "SignatureExpired")
      .withArgs(deadline, deadline + 1n);
  });
});

/**
 * Unit tests of GridOracle: one immutable report per period, its checks (future period, deliveries
 * in the past, no duplicate or zero-address delivery), every event field, the stored hash and
 * verifyReport, and k-of-n submission with EIP-712 signatures relayed by anyone.
 */
import { expect } from "chai";
import { ethers } from "hardhat";
import { loadFixture, time } from "@nomicfoundation/hardhat-network-helpers";
import type { HardhatEthersSigner } from "@nomicfoundation/hardhat-ethers/signers";
import type { IGridOracle } from "../../typechain-types";
import { deployMarket, paperReport, PERIOD_SECONDS } from "./fixture";
import { ascending, oracleDomain, REPORT_TYPES, reportHash, signReport } from "./unit-helpers";

const INT64_MIN = -(2n ** 63n);
const INT64_MAX = 2n ** 63n - 1n;
const UINT64_MAX = 2n ** 64n - 1n;

/** The market fixture plus three more oracle accounts (and a non-oracle signer). */
async function deployOracles() {
  const f = await deployMarket();
  const signers = await ethers.getSigners();
  const [o1, o2, o3, outsider] = signers.slice(7, 11);
  const role = await f.gridOracle.ORACLE_ROLE();
  for (const o of [o1, o2, o3]) await f.gridOracle.connect(f.admin).grantRole(role, o.address);
  // The fixture's reported period is period - 1; reports below are for the current period.
  return { ...f, o1, o2, o3, outsider };
}

/** A report for the fixture's current period carrying two measured deliveries. */
function reportWithDeliveries(f: Awaited<ReturnType<typeof deployMarket>>): IGridOracle.ReportStruct {
  return paperReport(f.period, [
    { period: f.period - 1n, generator: f.gen27.address, adjustmentWh: -2300n },
    { period: f.period - 5n, generator: f.gen34.address, adjustmentWh: 1234n },
  ]);
}

describe("GridOracle", () => {
  describe("submitReport by a lone oracle (threshold 1)", () => {
    it("stores the hash and the deliveries and emits every field of the report", async () => {
      const f = await loadFixture(deployMarket);
      const { gridOracle, oracle, gen27, gen34, period } = f;
      const report = reportWithDeliveries(f);
      const hash = reportHash(report);
      const tx = gridOracle.connect(oracle).submitReport(report, []);
      await expect(tx).to.emit(gridOracle, "ReportSubmitted").withArgs(period, hash, report.inputHash, oracle.address);
      await expect(tx).to.emit(gridOracle, "LineOutOfLimit").withArgs(period, 14n, -764_000n, 750_000n, 14_000n);
      await expect(tx).to.emit(gridOracle, "LineOutOfLimit").withArgs(period, 15n, -765_900n, 750_000n, 15_900n);
      await expect(tx).to.emit(gridOracle, "LineOutOfLimit").withArgs(period, 23n, -770_600n, 750_000n, 20_600n);
      await expect(tx).to.emit(gridOracle, "NodalPriceReported").withArgs(period, 27n, -1_500_000_000n);
      await expect(tx)
        .to.emit(gridOracle, "DeliveryMeasured")
        .withArgs(period - 1n, gen27.address, -2300n, period);
      await expect(tx)
        .to.emit(gridOracle, "DeliveryMeasured")
        .withArgs(period - 5n, gen34.address, 1234n, period);
      // 1 + 3 violations + 1 price + 2 deliveries, nothing else.
      expect((await (await tx).wait())!.logs.length).to.equal(7);
      expect(await gridOracle.reportHashOf(period)).to.equal(hash);
      expect(await gridOracle.hasReport(period)).to.equal(true);
      expect(await gridOracle.measuredAdjustment(period - 1n, gen27.address)).to.deep.equal([true, -2300n]);
      expect(await gridOracle.measuredAdjustment(period - 5n, gen34.address)).to.deep.equal([true, 1234n]);
      // Unreported pairs read as (false, 0).
      expect(await gridOracle.measuredAdjustment(period - 1n, gen34.address)).to.deep.equal([false, 0n]);
      expect(await gridOracle.measuredAdjustment(period, gen27.address)).to.deep.equal([false, 0n]);
    });

    it("carries extreme values of every field unchanged", async () => {
      const f = await loadFixture(deployMarket);
      const { gridOracle, oracle, gen2, period } = f;
      const report: IGridOracle.ReportStruct = {
        period,
        inputHash: ethers.ZeroHash,
        violations: [{ line: 2 ** 32 - 1, flowW: INT64_MIN, limitW: UINT64_MAX, deviationW: 0n }],
        prices: [{ node: 2 ** 32 - 1, usdPerMWh: INT64_MAX }],
        deliveries: [{ period: 0, generator: gen2.address, adjustmentWh: INT64_MIN }],
      };
      const tx = gridOracle.connect(oracle).submitReport(report, []);
      await expect(tx)
        .to.emit(gridOracle, "ReportSubmitted")
        .withArgs(period, reportHash(report), ethers.ZeroHash, oracle.address);
      await expect(tx)
        .to.emit(gridOracle, "LineOutOfLimit")
        .withArgs(period, 2n ** 32n - 1n, INT64_MIN, UINT64_MAX, 0n);
      await expect(tx)
        .to.emit(gridOracle, "NodalPriceReported")
        .withArgs(period, 2n ** 32n - 1n, INT64_MAX);
      await expect(tx).to.emit(gridOracle, "DeliveryMeasured").withArgs(0n, gen2.address, INT64_MIN, period);
      expect(await gridOracle.measuredAdjustment(0, gen2.address)).to.deep.equal([true, INT64_MIN]);
      expect(await gridOracle.verifyReport(report)).to.equal(true);
    });

    it("accepts an empty report (only ReportSubmitted)", async () => {
      const f = await loadFixture(deployMarket);
      const report = { period: f.period, inputHash: ethers.id("empty"), violations: [], prices: [], deliveries: [] };
      const tx = f.gridOracle.connect(f.oracle).submitReport(report, []);
      await expect(tx)
        .to.emit(f.gridOracle, "ReportSubmitted")
        .withArgs(f.period, reportHash(report), ethers.id("empty"), f.oracle.address);
      expect((await (await tx).wait())!.logs.length).to.equal(1);
    });

    it("reports are immutable (ReportAlreadySubmitted)", async () => {
      const f = await loadFixture(deployMarket);
      const { gridOracle, oracle, period } = f;
      const stored = await gridOracle.reportHashOf(period - 1n);
      const other = paperReport(period - 1n, [{ period: period - 2n, generator: f.gen2.address, adjustmentWh: 1n }]);
      await expect(gridOracle.connect(oracle).submitReport(other, []))
        .to.be.revertedWithCustomError(gridOracle, "ReportAlreadySubmitted")
        .withArgs(period - 1n);
      await expect(gridOracle.connect(oracle).submitReport(paperReport(period - 1n), []))
        .to.be.revertedWithCustomError(gridOracle, "ReportAlreadySubmitted")
        .withArgs(period - 1n);
      expect(await gridOracle.reportHashOf(period - 1n)).to.equal(stored);
      expect(await gridOracle.measuredAdjustment(period - 2n, f.gen2.address)).to.deep.equal([false, 0n]);
    });

    it("the current period may be reported, a future one not (PeriodInFuture)", async () => {
      const f = await loadFixture(deployMarket);
      const { gridOracle, oracle, period } = f;
      await expect(gridOracle.connect(oracle).submitReport(paperReport(period + 1n), []))
        .to.be.revertedWithCustomError(gridOracle, "PeriodInFuture")
        .withArgs(period + 1n, period);
      // The last second of the current period still belongs to it.
      await time.setNextBlockTimestamp((period + 1n) * PERIOD_SECONDS - 1n);
      await expect(gridOracle.connect(oracle).submitReport(paperReport(period + 1n), []))
        .to.be.revertedWithCustomError(gridOracle, "PeriodInFuture")
        .withArgs(period + 1n, period);
      await time.setNextBlockTimestamp((period + 1n) * PERIOD_SECONDS);
      await expect(gridOracle.connect(oracle).submitReport(paperReport(period + 1n), [])).to.emit(
        gridOracle,
        "ReportSubmitted",
      );
      expect(await gridOracle.hasReport(period + 1n)).to.equal(true);
      expect(await gridOracle.hasReport(period)).to.equal(false);
    });

    it("a delivery must be for an earlier period (DeliveryNotInPast)", async () => {
      const f = await loadFixture(deployMarket);
      const { gridOracle, oracle, gen27, period } = f;
      for (const p of [period, period + 1n]) {
        await expect(
          gridOracle
            .connect(oracle)
            .submitReport(paperReport(period, [{ period: p, generator: gen27.address, adjustmentWh: 1n }]), []),
        )
          .to.be.revertedWithCustomError(gridOracle, "DeliveryNotInPast")
          .withArgs(p, period);
      }
      expect(await gridOracle.hasReport(period)).to.equal(false);
    });

    it("a delivery is measured once (DeliveryAlreadyReported), across reports and within one", async () => {
      const f = await loadFixture(deployMarket);
      const { gridOracle, oracle, gen27, gen34, period } = f;
      await gridOracle.connect(oracle).submitReport(reportWithDeliveries(f), []);
      await time.increaseTo((period + 1n) * PERIOD_SECONDS);
      const again = paperReport(period + 1n, [{ period: period - 1n, generator: gen27.address, adjustmentWh: 5n }]);
      await expect(gridOracle.connect(oracle).submitReport(again, []))
        .to.be.revertedWithCustomError(gridOracle, "DeliveryAlreadyReported")
        .withArgs(period - 1n, gen27.address);
      const twice = paperReport(period + 1n, [
        { period, generator: gen34.address, adjustmentWh: 5n },
        { period, generator: gen34.address, adjustmentWh: 6n },
      ]);
      await expect(gridOracle.connect(oracle).submitReport(twice, []))
        .to.be.revertedWithCustomError(gridOracle, "DeliveryAlreadyReported")
        .withArgs(period, gen34.address);
      expect(await gridOracle.measuredAdjustment(period - 1n, gen27.address)).to.deep.equal([true, -2300n]);
      expect(await gridOracle.measuredAdjustment(period, gen34.address)).to.deep.equal([false, 0n]);
      expect(await gridOracle.hasReport(period + 1n)).to.equal(false);
      // The same generator in another period is a different delivery.
      const ok = paperReport(period + 1n, [{ period, generator: gen27.address, adjustmentWh: 7n }]);
      await gridOracle.connect(oracle).submitReport(ok, []);
      expect(await gridOracle.measuredAdjustment(period, gen27.address)).to.deep.equal([true, 7n]);
    });

    it("a delivery may not name the zero address (ZeroGenerator)", async () => {
      const f = await loadFixture(deployMarket);
      const bad = paperReport(f.period, [
        { period: f.period - 1n, generator: f.gen27.address, adjustmentWh: 1n },
        { period: f.period - 1n, generator: ethers.ZeroAddress, adjustmentWh: 1n },
      ]);
      await expect(f.gridOracle.connect(f.oracle).submitReport(bad, [])).to.be.revertedWithCustomError(
        f.gridOracle,
        "ZeroGenerator",
      );
      expect(await f.gridOracle.hasReport(f.period)).to.equal(false);
      expect(await f.gridOracle.measuredAdjustment(f.period - 1n, f.gen27.address)).to.deep.equal([false, 0n]);
    });

    it("without signatures only an ORACLE_ROLE account may submit (UnauthorizedSubmitter)", async () => {
      const f = await loadFixture(deployMarket);
      const { gridOracle, admin, stranger, centre, period } = f;
      for (const who of [stranger, admin, centre]) {
        await expect(gridOracle.connect(who).submitReport(paperReport(period), []))
          .to.be.revertedWithCustomError(gridOracle, "UnauthorizedSubmitter")
          .withArgs(who.address);
      }
      // A revoked oracle loses the right.
      await gridOracle.connect(admin).revokeRole(await gridOracle.ORACLE_ROLE(), f.oracle.address);
      await expect(gridOracle.connect(f.oracle).submitReport(paperReport(period), []))
        .to.be.revertedWithCustomError(gridOracle, "UnauthorizedSubmitter")
        .withArgs(f.oracle.address);
    });
  });

  describe("verifyReport and the hashes", () => {
    it("is true for the exact stored report and false for any modified copy or an unreported period", async () => {
      const f = await loadFixture(deployMarket);
      const { gridOracle, oracle, period, gen2 } = f;
      const report = reportWithDeliveries(f);
      await gridOracle.connect(oracle).submitReport(report, []);
      expect(await gridOracle.verifyReport(report)).to.equal(true);
      const copy = () => structuredClone(report) as IGridOracle.ReportStruct;
      const modified: IGridOracle.ReportStruct[] = [];
      let m = copy();
      m.inputHash = ethers.id("other input");
      modified.push(m);
      m = copy();
      m.violations[1].deviationW = 15_901n;
      modified.push(m);
      m = copy();
      m.violations = m.violations.slice(0, 2);
      modified.push(m);
      m = copy();
      m.prices[0].usdPerMWh = -1_500_000_001n;
      modified.push(m);
      m = copy();
      m.deliveries[0].adjustmentWh = -2299n;
      modified.push(m);
      m = copy();
      m.deliveries[1].generator = gen2.address;
      modified.push(m);
      m = copy();
      m.deliveries = [];
      modified.push(m);
      for (const bad of modified) expect(await gridOracle.verifyReport(bad)).to.equal(false);
      // The same content under another (unreported, or differently reported) period.
      expect(await gridOracle.verifyReport({ ...report, period: period + 1n })).to.equal(false);
      expect(await gridOracle.verifyReport({ ...report, period: period - 1n })).to.equal(false);
      expect(await gridOracle.verifyReport(paperReport(period - 1n))).to.equal(true);
      expect(await gridOracle.reportHashOf(period + 1n)).to.equal(ethers.ZeroHash);
    });

    it("reportDigest is the EIP-712 digest of (period, keccak256(abi.encode(report)))", async () => {
      const f = await loadFixture(deployMarket);
      const report = reportWithDeliveries(f);
      const expected = ethers.TypedDataEncoder.hash(await oracleDomain(f.gridOracle), REPORT_TYPES, {
        period: report.period,
        reportHash: reportHash(report),
      });
      expect(await f.gridOracle.reportDigest(report)).to.equal(expected);
      expect(await f.gridOracle.REPORT_TYPEHASH()).to.equal(ethers.id("Report(uint32 period,bytes32 reportHash)"));
    });

    it("periodOf is timestamp / 1800", async () => {
      const f = await loadFixture(deployMarket);
      expect(await f.gridOracle.periodOf(0)).to.equal(0n);
      expect(await f.gridOracle.periodOf(1799)).to.equal(0n);
      expect(await f.gridOracle.periodOf(1800)).to.equal(1n);
      expect(await f.gridOracle.periodOf(f.start + 1799n)).to.equal(f.period);
      expect(await f.gridOracle.PERIOD_SECONDS()).to.equal(PERIOD_SECONDS);
    });
  });

  describe("threshold", () => {
    it("defaults to 1; only the admin sets it (AccessControlUnauthorizedAccount); never to 0", async () => {
      const f = await loadFixture(deployMarket);
      const { gridOracle, admin, oracle, stranger } = f;
      expect(await gridOracle.threshold()).to.equal(1n);
      const adminRole = await gridOracle.DEFAULT_ADMIN_ROLE();
      for (const who of [stranger, oracle]) {
        await expect(gridOracle.connect(who).setThreshold(2))
          .to.be.revertedWithCustomError(gridOracle, "AccessControlUnauthorizedAccount")
          .withArgs(who.address, adminRole);
        await expect(gridOracle.connect(who).grantRole(await gridOracle.ORACLE_ROLE(), who.address))
          .to.be.revertedWithCustomError(gridOracle, "AccessControlUnauthorizedAccount")
          .withArgs(who.address, adminRole);
      }
      await expect(gridOracle.connect(admin).setThreshold(0)).to.be.revertedWithCustomError(
        gridOracle,
        "ZeroThreshold",
      );
      await expect(gridOracle.connect(admin).setThreshold(3)).to.emit(gridOracle, "ThresholdChanged").withArgs(3n);
      expect(await gridOracle.threshold()).to.equal(3n);
      await expect(gridOracle.connect(admin).setThreshold(255)).to.emit(gridOracle, "ThresholdChanged").withArgs(255n);
      expect(await gridOracle.threshold()).to.equal(255n);
    });
  });

  describe("k-of-n signed reports", () => {
    /** Submit `report` with signatures of `signers` (in the given order), relayed by `relayer`. */
    async function relay(
      f: Awaited<ReturnType<typeof deployOracles>>,
      report: IGridOracle.ReportStruct,
      signers: HardhatEthersSigner[],
      relayer: HardhatEthersSigner,
    ) {
      return f.gridOracle.connect(relayer).submitReport(report, await signReport(f.gridOracle, report, signers));
    }

    it("threshold 2: two distinct oracle signatures in ascending order, relayed by a stranger", async () => {
      const f = await loadFixture(deployOracles);
      const { gridOracle, admin, stranger, o1, o2, period } = f;
      await gridOracle.connect(admin).setThreshold(2);
      const report = reportWithDeliveries(f);
      const tx = relay(f, report, await ascending([o1, o2]), stranger);
      await expect(tx)
        .to.emit(gridOracle, "ReportSubmitted")
        .withArgs(period, reportHash(report), report.inputHash, stranger.address);
      await expect(tx)
        .to.emit(gridOracle, "DeliveryMeasured")
        .withArgs(period - 1n, f.gen27.address, -2300n, period);
      expect(await gridOracle.verifyReport(report)).to.equal(true);
      expect(await gridOracle.measuredAdjustment(period - 1n, f.gen27.address)).to.deep.equal([true, -2300n]);
    });

    it("more signatures than the threshold are fine; an oracle may relay too", async () => {
      const f = await loadFixture(deployOracles);
      const { gridOracle, admin, o1, o2, o3, period } = f;
      await gridOracle.connect(admin).setThreshold(2);
      const report = paperReport(period);
      await expect(relay(f, report, await ascending([o1, o2, o3]), o3))
        .to.emit(gridOracle, "ReportSubmitted")
        .withArgs(period, reportHash(report), report.inputHash, o3.address);
    });

    it("threshold 1 also accepts one signature relayed by a stranger", async () => {
      const f = await loadFixture(deployOracles);
      const report = paperReport(f.period);
      await expect(relay(f, report, [f.o2], f.stranger))
        .to.emit(f.gridOracle, "ReportSubmitted")
        .withArgs(f.period, reportHash(report), report.inputHash, f.stranger.address);
    });

    it("too few signatures (NotEnoughSignatures)", async () => {
      const f = await loadFixture(deployOracles);
      const { gridOracle, admin, stranger, o1, o2, o3, period } = f;
      await gridOracle.connect(admin).setThreshold(2);
      const report = paperReport(period);
      await expect(relay(f, report, [o1], stranger))
        .to.be.revertedWithCustomError(gridOracle, "NotEnoughSignatures")
        .withArgs(1n, 2n);
      await gridOracle.connect(admin).setThreshold(4);
      await expect(relay(f, report, await ascending([o1, o2, o3]), stranger))
        .to.be.revertedWithCustomError(gridOracle, "NotEnoughSignatures")
        .withArgs(3n, 4n);
      expect(await gridOracle.hasReport(period)).to.equal(false);
    });

    it("signers out of order or repeated (SignersNotAscending)", async () => {
      const f = await loadFixture(deployOracles);
      const { gridOracle, admin, stranger, o1, o2, o3, period } = f;
      await gridOracle.connect(admin).setThreshold(2);
      const report = paperReport(period);
      const [lo, mid, hi] = await ascending([o1, o2, o3]);
      await expect(relay(f, report, [hi, lo], stranger))
        .to.be.revertedWithCustomError(gridOracle, "SignersNotAscending")
        .withArgs(lo.address);
      await expect(relay(f, report, [lo, hi, mid], stranger))
        .to.be.revertedWithCustomError(gridOracle, "SignersNotAscending")
        .withArgs(mid.address);
      await expect(relay(f, report, [lo, lo], stranger))
        .to.be.revertedWithCustomError(gridOracle, "SignersNotAscending")
        .withArgs(lo.address);
      // The same signature twice, byte for byte.
      const [sig] = await signReport(gridOracle, report, [mid]);
      await expect(gridOracle.connect(stranger).submitReport(report, [sig, sig]))
        .to.be.revertedWithCustomError(gridOracle, "SignersNotAscending")
        .withArgs(mid.address);
      expect(await gridOracle.hasReport(period)).to.equal(false);
    });

    it("a signer without ORACLE_ROLE (SignerNotOracle), including one revoked", async () => {
      const f = await loadFixture(deployOracles);
      const { gridOracle, admin, stranger, o1, o2, outsider, period } = f;
      await gridOracle.connect(admin).setThreshold(2);
      const report = paperReport(period);
      const sorted = await ascending([o1, outsider]);
      await expect(relay(f, report, sorted, stranger))
        .to.be.revertedWithCustomError(gridOracle, "SignerNotOracle")
        .withArgs(outsider.address);
      await gridOracle.connect(admin).revokeRole(await gridOracle.ORACLE_ROLE(), o2.address);
      await expect(relay(f, report, await ascending([o1, o2]), stranger))
        .to.be.revertedWithCustomError(gridOracle, "SignerNotOracle")
        .withArgs(o2.address);
      expect(await gridOracle.hasReport(period)).to.equal(false);
    });

    it("signatures over another report recover other addresses (SignerNotOracle)", async () => {
      const f = await loadFixture(deployOracles);
      const { gridOracle, admin, stranger, o1, o2 } = f;
      await gridOracle.connect(admin).setThreshold(2);
      const signed = reportWithDeliveries(f);
      const tampered = structuredClone(signed) as IGridOracle.ReportStruct;
      tampered.deliveries[0].adjustmentWh = -1_000_000n;
      const sigs = await signReport(gridOracle, signed, await ascending([o1, o2]));
      // Whoever the first signature recovers to for the tampered digest, it is not an oracle.
      const digest = await gridOracle.reportDigest(tampered);
      const recovered = ethers.recoverAddress(digest, sigs[0]);
      expect([o1.address, o2.address]).to.not.include(recovered);
      await expect(gridOracle.connect(stranger).submitReport(tampered, sigs))
        .to.be.revertedWithCustomError(gridOracle, "SignerNotOracle")
        .withArgs(recovered);
      // And signatures for the same content under another domain (another contract) are useless.
      const elsewhere = { ...(await oracleDomain(gridOracle)), verifyingContract: f.stranger.address };
      const value = { period: signed.period, reportHash: reportHash(signed) };
      const foreign = [await o1.signTypedData(elsewhere, REPORT_TYPES, value)];
      const recoveredForeign = ethers.recoverAddress(await gridOracle.reportDigest(signed), foreign[0]);
      await expect(gridOracle.connect(stranger).submitReport(signed, foreign))
        .to.be.revertedWithCustomError(gridOracle, "SignerNotOracle")
        .withArgs(recoveredForeign);
    });

    it("a malformed signature reverts with the ECDSA error", async () => {
      const f = await loadFixture(deployOracles);
      const report = paperReport(f.period);
      await expect(f.gridOracle.connect(f.stranger).submitReport(report, ["0x1234"]))
        .to.be.revertedWithCustomError(f.gridOracle, "ECDSAInvalidSignatureLength")
        .withArgs(2n);
    });

    it("with threshold 2 even an oracle cannot submit directly (UnauthorizedSubmitter)", async () => {
      const f = await loadFixture(deployOracles);
      const { gridOracle, admin, oracle, o1, period } = f;
      await gridOracle.connect(admin).setThreshold(2);
      for (const who of [oracle, o1]) {
        await expect(gridOracle.connect(who).submitReport(paperReport(period), []))
          .to.be.revertedWithCustomError(gridOracle, "UnauthorizedSubmitter")
          .withArgs(who.address);
      }
      // Back at 1, direct submission works again.
      await gridOracle.connect(admin).setThreshold(1);
      await expect(gridOracle.connect(oracle).submitReport(paperReport(period), [])).to.emit(
        gridOracle,
        "ReportSubmitted",
      );
    });
  });
});

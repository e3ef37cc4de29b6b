/**
 * GridOracle, 1 of 2: deployment, submitReport (k-of-n reports without an administrator, every
 * field emitted, the hash, the root of the measurements' tree and one bit per generator-period
 * stored) and its signatures (GS-04).
 */
import { expect } from "chai";
import { ethers } from "hardhat";
import { time } from "@nomicfoundation/hardhat-network-helpers";
import { loadFixture } from "../fixture-clock";
import { BaselineMethod, MeasurementState, Quality } from "../../oracle/chain/enums";
import { reportHash, signMeterReading } from "../../oracle/chain/typed-data";
import { measurementProof, measurementsRoot, noProof } from "../../oracle/chain/measurement-tree";
import {
  deployMarket,
  deployWith,
  emptyReport,
  FAR,
  indexOf,
  measurement,
  paperReport,
  proofFor,
  submitReport,
} from "./fixtures";
import { INT64_MIN, INT64_MAX, twoMeasurements, signed } from "./gridoracle-fixtures";

describe("GridOracle", () => {
  describe("deployment", () => {
    it("states its period length, dispute window, signers, threshold and epoch; has no admin", async () => {
      const f = await loadFixture(deployMarket);
      expect(await f.oracle.periodSeconds()).to.equal(1800n);
      expect(await f.oracle.disputeWindow()).to.equal(1800n);
      expect(await f.oracle.signers()).to.deep.equal([f.o1.address, f.o2.address, f.o3.address]);
      expect(await f.oracle.threshold()).to.equal(2n);
      expect(await f.oracle.configEpoch()).to.equal(1n);
      expect(await f.oracle.isSigner(f.o3.address)).to.equal(true);
      expect(await f.oracle.isSigner(f.admin.address)).to.equal(false);
      expect(await f.oracle.isSigner(ethers.ZeroAddress)).to.equal(false);
      expect(await f.oracle.registry()).to.equal(await f.registry.getAddress());
      for (const name of ["grantRole", "setThreshold", "owner", "transferOwnership"]) {
        expect(f.oracle.interface.hasFunction(name), name).to.equal(false);
      }
    });

    it("period math uses the deploy-time length (60-s periods here)", async () => {
      const f = await deployWith({ periodSeconds: 60, disputeWindowSeconds: 0 });
      expect(await f.oracle.periodSeconds()).to.equal(60n);
      expect(await f.oracle.periodOf(119n)).to.equal(1n);
      expect(await f.oracle.periodOf(120n)).to.equal(2n);
      expect(await f.oracle.periodStart(7)).to.equal(420n);
      expect((await f.market.terms()).periodSeconds).to.equal(60n);
      await expect(f.oracle.periodOf(2n ** 32n * 60n))
        .to.be.revertedWithCustomError(f.oracle, "PeriodOverflow")
        .withArgs(2n ** 32n * 60n);
    });

    it("refuses a bad first signer set, threshold or period length", async () => {
      const f = await loadFixture(deployMarket);
      const factory = await ethers.getContractFactory("GridOracle");
      const reg = await f.registry.getAddress();
      const [a, b, c] = [f.o1.address, f.o2.address, f.o3.address];
      const bad: [string[], number, number, string, unknown[]][] = [
        [[], 1, 1800, "InvalidSignerCount", [0]],
        [
          Array.from({ length: 33 }, (_, i) => ethers.getAddress(ethers.toBeHex(i + 1, 20))),
          17,
          1800,
          "InvalidSignerCount",
          [33],
        ],
        [[a, b, c], 1, 1800, "InvalidThreshold", [1, 3]],
        [[a, b], 1, 1800, "InvalidThreshold", [1, 2]],
        [[a, b, c], 4, 1800, "InvalidThreshold", [4, 3]],
        [[a, ethers.ZeroAddress, c], 2, 1800, "ZeroSigner", []],
        [[a, b, a], 2, 1800, "DuplicateSigner", [a]],
        [[a, b, c], 2, 0, "ZeroPeriodSeconds", []],
      ];
      for (const [signers, k, period, error, args] of bad) {
        await expect(factory.deploy(signers, k, period, 0, reg), error)
          .to.be.revertedWithCustomError(factory, error)
          .withArgs(...args);
      }
      await expect(factory.deploy([a], 1, 1800, 0, reg)).not.to.be.reverted; // 1 of 1
      await expect(factory.deploy([a, b], 2, 1800, 0, reg)).not.to.be.reverted; // 2 of 2
    });
  });

  describe("submitReport", () => {
    it("stores the hash, the measurements' root and a bit per measurement, and emits every field; anyone relays", async () => {
      const f = await loadFixture(deployMarket);
      const report = twoMeasurements(f);
      const hash = reportHash(report);
      const root = measurementsRoot(report.measurements);
      const tx = f.oracle.connect(f.stranger).submitReport(report, FAR, await signed(f, report));
      await expect(tx)
        .to.emit(f.oracle, "ReportSubmitted")
        .withArgs(f.period, hash, report.inputHash, report.readingsHash, root, 1n);
      await expect(tx).to.emit(f.oracle, "LineOutOfLimit").withArgs(f.period, 14n, -764_000n, 750_000n, 14_000n);
      await expect(tx).to.emit(f.oracle, "LineOutOfLimit").withArgs(f.period, 15n, -765_900n, 750_000n, 15_900n);
      await expect(tx).to.emit(f.oracle, "LineOutOfLimit").withArgs(f.period, 23n, -770_600n, 750_000n, 20_600n);
      await expect(tx)
        .to.emit(f.oracle, "NodalPriceReported")
        .withArgs(f.period, 27n, -1_500_000_000n, 3_700_000n, -1_000_000_000n);
      const i27 = indexOf(f.gen27.address);
      const i34 = indexOf(f.gen34.address);
      await expect(tx)
        .to.emit(f.oracle, "MeasurementReported")
        .withArgs(f.period - 1n, f.gen27.address, f.period, i27, 0, 0, 10_000n, 7_700n, -2300n, Quality.Ok);
      await expect(tx)
        .to.emit(f.oracle, "MeasurementReported")
        .withArgs(f.period - 5n, f.gen34.address, f.period, i34, 1, 10, 10_000n, 11_234n, 1234n, Quality.Estimated);
      expect((await (await tx).wait())!.logs.length).to.equal(7);
      const now = BigInt(await time.latest());
      expect(await f.oracle.reportOf(f.period)).to.deep.equal([hash, root, now, 2n]);
      expect(await f.oracle.reportHashOf(f.period)).to.equal(hash);
      expect(await f.oracle.hasReport(f.period)).to.equal(true);
      expect(await f.oracle.hasReport(f.period + 1n)).to.equal(false);
      expect(await f.oracle.verifyReport(report)).to.equal(true);
      expect(await f.oracle.verifyReport({ ...report, readingsHash: ethers.ZeroHash })).to.equal(false);
      expect(await f.oracle.verifyReport(paperReport(f.period + 1n))).to.equal(false);
      expect(await f.oracle.isMeasured(f.period - 1n, i27)).to.equal(true);
      expect(await f.oracle.isMeasured(f.period - 1n, i34)).to.equal(false);
      const proof = await proofFor(f, f.gen27.address, f.period - 1n);
      const [record, isFinal] = await f.oracle.measurementOf(f.period - 1n, f.gen27.address, proof);
      expect(record).to.deep.equal([-2300n, 7_700n, 0n, 0n, 0n, now, BigInt(MeasurementState.Reported), BigInt(i27)]);
      expect(isFinal).to.equal(false);
      // Without its proof, or with another's, nothing is shown.
      for (const [generator, period, p] of [
        [f.gen27.address, f.period - 1n, noProof(f.gen27.address, f.period - 1n)],
        [f.gen34.address, f.period - 1n, proof],
        [f.gen27.address, f.period - 2n, proof],
        [f.gen27.address, f.period - 1n, { ...proof, reportPeriod: f.period - 1n }],
      ] as const) {
        const [none, final] = await f.oracle.measurementOf(period, generator, p);
        expect([none.state, final]).to.deep.equal([BigInt(MeasurementState.None), false]);
      }
    });

    it("a measurement becomes final disputeWindow seconds after it was reported", async () => {
      const f = await loadFixture(deployMarket);
      await submitReport(f, twoMeasurements(f));
      const reportedAt = BigInt(await time.latest());
      const proof = await proofFor(f, f.gen27.address, f.period - 1n);
      await time.increaseTo(reportedAt + 1799n);
      expect((await f.oracle.measurementOf(f.period - 1n, f.gen27.address, proof))[1]).to.equal(false);
      await time.increaseTo(reportedAt + 1800n);
      expect((await f.oracle.measurementOf(f.period - 1n, f.gen27.address, proof))[1]).to.equal(true);
    });

    it("with a dispute window of 0 a measurement is final at once", async () => {
      const f = await deployWith({ disputeWindowSeconds: 0 });
      await submitReport(f, twoMeasurements(f));
      const proof = await proofFor(f, f.gen27.address, f.period - 1n);
      expect((await f.oracle.measurementOf(f.period - 1n, f.gen27.address, proof))[1]).to.equal(true);
    });

    it("measurementsOf takes a report's whole list only, and returns its time and the exceptions", async () => {
      const f = await loadFixture(deployMarket);
      const report = twoMeasurements(f);
      await submitReport(f, report);
      const now = BigInt(await time.latest());
      expect(await f.oracle.measurementsOf(f.period, report.measurements)).to.deep.equal([now, [], []]);
      for (const bad of [report.measurements.slice(0, 1), [...report.measurements, report.measurements[0]]]) {
        await expect(f.oracle.measurementsOf(f.period, bad))
          .to.be.revertedWithCustomError(f.oracle, "MeasurementsMismatch")
          .withArgs(f.period);
      }
      // A dispute of gen27's measurement: listed as the exception at position 0.
      const reading = {
        meter: f.meter.gen27.address,
        generator: f.gen27.address,
        period: f.period - 1n,
        actualWh: 9_000n,
        quality: Quality.Ok,
        readAt: now,
      };
      await f.oracle
        .connect(f.gen27)
        .dispute(
          reading,
          await signMeterReading(f.meter.gen27, f.oracleDomain, reading),
          await proofFor(f, f.gen27.address, f.period - 1n),
        );
      const [at, positions, exceptions] = await f.oracle.measurementsOf(f.period, report.measurements);
      expect([at, positions, exceptions.map((e) => e.state)]).to.deep.equal([
        now,
        [0n],
        [BigInt(MeasurementState.Disputed)],
      ]);
    });

    it("carries extreme values unchanged", async () => {
      const f = await loadFixture(deployMarket);
      const report = {
        ...emptyReport(f.period),
        violations: [{ line: 2 ** 32 - 1, flowW: INT64_MIN, limitW: 2n ** 64n - 1n, deviationW: 0n }],
        prices: [{ node: 2 ** 32 - 1, usdPerMWh: INT64_MAX, lossUsdPerMWh: INT64_MIN, congestionUsdPerMWh: -1n }],
        measurements: [measurement(f.gen2.address, 0n, INT64_MIN + 1n, { baselineWh: -1n, actualWh: INT64_MIN })],
      };
      const tx = f.oracle.submitReport(report, FAR, await signed(f, report));
      await expect(tx)
        .to.emit(f.oracle, "LineOutOfLimit")
        .withArgs(f.period, 2n ** 32n - 1n, INT64_MIN, 2n ** 64n - 1n, 0n);
      await expect(tx)
        .to.emit(f.oracle, "NodalPriceReported")
        .withArgs(f.period, 2n ** 32n - 1n, INT64_MAX, INT64_MIN, -1n);
      const proof = measurementProof(f.period, report.measurements, f.gen2.address, 0)!;
      expect((await f.oracle.measurementOf(0, f.gen2.address, proof))[0].deliveredWh).to.equal(INT64_MIN + 1n);
    });

    it("reports are immutable; never for a future period; measurements only of earlier periods, once", async () => {
      const f = await loadFixture(deployMarket);
      const previous = paperReport(f.period - 1n);
      await expect(f.oracle.submitReport(previous, FAR, await signed(f, previous)))
        .to.be.revertedWithCustomError(f.oracle, "ReportAlreadySubmitted")
        .withArgs(f.period - 1n);
      const future = paperReport(f.period + 1n);
      await expect(f.oracle.submitReport(future, FAR, await signed(f, future)))
        .to.be.revertedWithCustomError(f.oracle, "PeriodInFuture")
        .withArgs(f.period + 1n, f.period);
      const same = paperReport(f.period, [measurement(f.gen27.address, f.period, 1n)]);
      await expect(f.oracle.submitReport(same, FAR, await signed(f, same)))
        .to.be.revertedWithCustomError(f.oracle, "MeasurementNotInPast")
        .withArgs(f.period, f.period);
      const twice = paperReport(f.period, [
        measurement(f.gen27.address, f.period - 1n, 1n),
        measurement(f.gen27.address, f.period - 1n, 2n),
      ]);
      await expect(f.oracle.submitReport(twice, FAR, await signed(f, twice)))
        .to.be.revertedWithCustomError(f.oracle, "MeasurementAlreadyReported")
        .withArgs(f.period - 1n, f.gen27.address);
      await submitReport(f, twoMeasurements(f));
      await time.increase(1800n);
      const again = paperReport(f.period + 1n, [measurement(f.gen27.address, f.period - 1n, 5n)]);
      await expect(f.oracle.submitReport(again, FAR, await signed(f, again)))
        .to.be.revertedWithCustomError(f.oracle, "MeasurementAlreadyReported")
        .withArgs(f.period - 1n, f.gen27.address);
    });

    it("checks each measurement: generator, baseline days, delivered = actual − baseline", async () => {
      const f = await loadFixture(deployMarket);
      const p = f.period - 1n;
      const cases: [ReturnType<typeof measurement>, string, unknown[]][] = [
        [measurement(ethers.ZeroAddress, p, 1n), "ZeroGenerator", []],
        [measurement(f.gen2.address, p, 1n, { generatorIndex: 0 }), "ZeroGeneratorIndex", []],
        [measurement(f.gen2.address, p, 1n, { baseline: BaselineMethod.RollingAverage }), "InvalidBaseline", [1, 0]],
        [
          measurement(f.gen2.address, p, 1n, { baseline: BaselineMethod.RollingAverage, baselineDays: 11 }),
          "InvalidBaseline",
          [1, 11],
        ],
        [
          measurement(f.gen2.address, p, 1n, { baseline: BaselineMethod.MeterBefore, baselineDays: 1 }),
          "InvalidBaseline",
          [2, 1],
        ],
        [
          measurement(f.gen2.address, p, 1n, { deliveredWh: 2n }),
          "InconsistentMeasurement",
          [f.gen2.address, p, 10_000n, 10_001n, 2n],
        ],
      ];
      for (const [m, error, args] of cases) {
        const r = paperReport(f.period, [m]);
        await expect(f.oracle.submitReport(r, FAR, await signed(f, r)), error)
          .to.be.revertedWithCustomError(f.oracle, error)
          .withArgs(...args);
      }
    });

    it("bounds every list (TooManyItems) before doing any work", async () => {
      const f = await loadFixture(deployMarket);
      const big = <T>(n: number, make: (i: number) => T): T[] => Array.from({ length: n }, (_, i) => make(i));
      const line = { line: 1, flowW: 1n, limitW: 1n, deviationW: 0n };
      const cases: [Partial<ReturnType<typeof emptyReport>>, number, bigint][] = [
        [{ violations: big(501, () => line) }, 501, await f.oracle.MAX_VIOLATIONS()],
        [
          { prices: big(501, () => ({ node: 1, usdPerMWh: 1n, lossUsdPerMWh: 0n, congestionUsdPerMWh: 0n })) },
          501,
          await f.oracle.MAX_PRICES(),
        ],
        [
          { measurements: big(601, (i) => measurement(ethers.getAddress(ethers.toBeHex(i + 1, 20)), 1n, 0n)) },
          601,
          await f.oracle.MAX_MEASUREMENTS(),
        ],
      ];
      for (const [part, n, max] of cases) {
        await expect(f.oracle.submitReport({ ...emptyReport(f.period), ...part }, FAR, []))
          .to.be.revertedWithCustomError(f.oracle, "TooManyItems")
          .withArgs(n, max);
      }
      const r = emptyReport(f.period);
      const sigs = await signed(f, r);
      await expect(
        f.oracle.submitReport(
          r,
          FAR,
          big(33, (i) => sigs[i % 2]),
        ),
      )
        .to.be.revertedWithCustomError(f.oracle, "TooManyItems")
        .withArgs(33, 32);
    });
  });

  describe("signatures (GS-04)", () => {
    it("needs threshold distinct current signers: one signature, a repeated one, strangers' do not do", async () => {
      const f = await loadFixture(deployMarket);
      const r = emptyReport(f.period);
      const [s1, s2] = await signed(f, r, [f.o1, f.o2]);
      const [x, y] = await signed(f, r, [f.stranger, f.admin]);
      for (const [sigs, valid] of [
        [[s1], 1],
        [[s1, s1, s1], 1],
        [[x, y, s2], 1],
        [["0x1234", "0x", s1], 1],
        [[], 0],
      ] as [string[], number][]) {
        await expect(f.oracle.submitReport(r, FAR, sigs))
          .to.be.revertedWithCustomError(f.oracle, "NotEnoughSignatures")
          .withArgs(valid, 2);
      }
      // Any order, with junk around: the two valid ones count.
      await expect(f.oracle.submitReport(r, FAR, [x, s2, "0x00", s1])).to.emit(f.oracle, "ReportSubmitted");
    });

    it("an expired deadline is refused; the deadline second itself is fine", async () => {
      const f = await loadFixture(deployMarket);
      const r = emptyReport(f.period);
      const now = BigInt(await time.latest());
      const late = await signed(f, r, [f.o1, f.o2], now);
      await time.setNextBlockTimestamp(now + 1n);
      await expect(f.oracle.submitReport(r, now, late))
        .to.be.revertedWithCustomError(f.oracle, "SignatureExpired")
        .withArgs(now, now + 1n);
      const ok = await signed(f, r, [f.o1, f.o2], now + 2n);
      await time.setNextBlockTimestamp(now + 2n);
      await expect(f.oracle.submitReport(r, now + 2n, ok)).to.emit(f.oracle, "ReportSubmitted");
    });

    it("a signature covers its deadline: the same signatures with another deadline fail", async () => {
      const f = await loadFixture(deployMarket);
      const r = emptyReport(f.period);
      const sigs = await signed(f, r, [f.o1, f.o2], FAR);
      await expect(f.oracle.submitReport(r, FAR - 1n, sigs))
        .to.be.revertedWithCustomError(f.oracle, "NotEnoughSignatures")
        .withArgs(0, 2);
    });
  });
});

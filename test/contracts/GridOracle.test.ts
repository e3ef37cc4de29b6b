/**
 * GridOracle: k-of-n reports without an administrator; every field emitted; the hash, the root of
 * the measurements' tree and one bit per generator-period stored; measurements shown with their
 * proofs or as a report's whole list, with quality, finality after the dispute window, disputes
 * signed by the meter key, corrections by the quorum (taking precedence); signer-set updates
 * signed by the current quorum; signatures bound to the configuration epoch and a deadline,
 * counted (invalid ones ignored) rather than all-or-nothing.
 */
import { expect } from "chai";
import { ethers } from "hardhat";
import { time } from "@nomicfoundation/hardhat-network-helpers";
import { loadFixture } from "../fixture-clock";
import { BaselineMethod, MeasurementState, Quality } from "../../oracle/chain/enums";
import {
  reportHash,
  signCorrection,
  signMeterReading,
  signReport,
  signSignerUpdate,
  meterReadingDigest,
  type MeterReadingStruct,
} from "../../oracle/chain/typed-data";
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
  reportSignatures,
  submitReport,
  type Fixture,
} from "./fixtures";

const INT64_MIN = -(2n ** 63n);
const INT64_MAX = 2n ** 63n - 1n;

/** A report for the current period P carrying measurements of gen27 (P − 1) and gen34 (P − 5). */
function twoMeasurements(f: Fixture) {
  return paperReport(f.period, [
    measurement(f.gen27.address, f.period - 1n, -2300n),
    measurement(f.gen34.address, f.period - 5n, 1234n, {
      baseline: BaselineMethod.RollingAverage,
      baselineDays: 10,
      quality: Quality.Estimated,
    }),
  ]);
}

async function signed(f: Fixture, report = twoMeasurements(f), signers = [f.o1, f.o2], deadline = FAR) {
  return signReport(signers, f.oracleDomain, report, await f.oracle.configEpoch(), deadline);
}

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

  describe("updateSigners", () => {
    async function update(f: Fixture, signers: string[], k: number, by = [f.o1, f.o2]) {
      const sigs = await signSignerUpdate(by, f.oracleDomain, signers, k, await f.oracle.configEpoch(), FAR);
      return f.oracle.connect(f.stranger).updateSigners(signers, k, FAR, sigs);
    }

    it("k of the current n install a new set; the epoch moves; removed signers stop counting", async () => {
      const f = await loadFixture(deployMarket);
      const next = [f.o2.address, f.o3.address, f.o4.address, f.o5.address];
      await expect(update(f, next, 3))
        .to.emit(f.oracle, "SignersUpdated")
        .withArgs(2n, next, 3n);
      expect(await f.oracle.signers()).to.deep.equal(next);
      expect(await f.oracle.threshold()).to.equal(3n);
      expect(await f.oracle.configEpoch()).to.equal(2n);
      expect(await f.oracle.isSigner(f.o1.address)).to.equal(false);
      expect(await f.oracle.isSigner(f.o4.address)).to.equal(true);
      const r = emptyReport(f.period);
      // o1 is revoked: ignored, and o2, o3, o4 meet the threshold of 3 (GS-04: no revert).
      const sigs = await signed(f, r, [f.o1, f.o2, f.o3, f.o4]);
      await expect(f.oracle.submitReport(r, FAR, sigs)).to.emit(f.oracle, "ReportSubmitted");
    });

    it("signatures collected before a change are void afterwards (bound to the epoch)", async () => {
      const f = await loadFixture(deployMarket);
      const r = emptyReport(f.period);
      const before = await signed(f, r);
      // Same members, same threshold, one more signer: still a new configuration.
      await update(f, [f.o1.address, f.o2.address, f.o3.address, f.o4.address], 3);
      await expect(f.oracle.submitReport(r, FAR, before))
        .to.be.revertedWithCustomError(f.oracle, "NotEnoughSignatures")
        .withArgs(0, 3);
      // An update signed for the old epoch cannot be replayed either.
      const stale = await signSignerUpdate([f.o1, f.o2], f.oracleDomain, [f.o1.address], 1, 1n, FAR);
      await expect(f.oracle.updateSigners([f.o1.address], 1, FAR, stale))
        .to.be.revertedWithCustomError(f.oracle, "NotEnoughSignatures")
        .withArgs(0, 3);
    });

    it("needs the quorum, a deadline and a valid new set", async () => {
      const f = await loadFixture(deployMarket);
      const three = [f.o1.address, f.o2.address, f.o3.address];
      await expect(update(f, three, 2, [f.o1]))
        .to.be.revertedWithCustomError(f.oracle, "NotEnoughSignatures")
        .withArgs(1, 2);
      await expect(update(f, three, 2, [f.admin, f.deployer]))
        .to.be.revertedWithCustomError(f.oracle, "NotEnoughSignatures")
        .withArgs(0, 2);
      await expect(update(f, three, 1))
        .to.be.revertedWithCustomError(f.oracle, "InvalidThreshold")
        .withArgs(1, 3);
      await expect(update(f, [], 0))
        .to.be.revertedWithCustomError(f.oracle, "InvalidSignerCount")
        .withArgs(0);
      await expect(update(f, [f.o1.address, f.o1.address], 2))
        .to.be.revertedWithCustomError(f.oracle, "DuplicateSigner")
        .withArgs(f.o1.address);
      const sigs = await signSignerUpdate([f.o1, f.o2], f.oracleDomain, three, 2, 1n, 1n);
      await expect(f.oracle.updateSigners(three, 2, 1n, sigs)).to.be.revertedWithCustomError(
        f.oracle,
        "SignatureExpired",
      );
      // Re-installing the same members is a valid update (new epoch).
      await expect(update(f, three, 3))
        .to.emit(f.oracle, "SignersUpdated")
        .withArgs(2n, three, 3n);
    });
  });

  describe("disputes and corrections", () => {
    async function reported(f: Fixture, quality: number = Quality.Ok) {
      const m = measurement(f.gen27.address, f.period - 1n, -2300n, { quality });
      await submitReport(f, paperReport(f.period, [m]));
      return m;
    }
    const reading = (f: Fixture, actualWh: bigint, overrides: Partial<MeterReadingStruct> = {}) => ({
      meter: f.meter.gen27.address,
      generator: f.gen27.address,
      period: f.period - 1n,
      actualWh,
      quality: Quality.Ok as number,
      readAt: f.period * f.periodSeconds + 30n,
      ...overrides,
    });

    it("the generator disputes with a reading signed by its meter key; the record waits (not final)", async () => {
      const f = await loadFixture(deployMarket);
      await reported(f);
      const r = reading(f, 10_000n);
      const sig = await signMeterReading(f.meter.gen27, f.oracleDomain, r);
      const shown = await proofFor(f, f.gen27.address, f.period - 1n);
      await expect(f.oracle.connect(f.gen27).dispute(r, sig, shown))
        .to.emit(f.oracle, "MeasurementDisputed")
        .withArgs(f.period - 1n, f.gen27.address, 10_000n, 7_700n);
      await time.increase(3600n);
      const [record, isFinal] = await f.oracle.measurementOf(f.period - 1n, f.gen27.address, shown);
      expect(record.state).to.equal(BigInt(MeasurementState.Disputed));
      expect(isFinal).to.equal(false);
      expect((await f.oracle.exceptionOf(f.period - 1n, f.gen27.address)).state).to.equal(
        BigInt(MeasurementState.Disputed),
      );
      await expect(f.oracle.connect(f.gen27).dispute(r, sig, shown))
        .to.be.revertedWithCustomError(f.oracle, "NotDisputable")
        .withArgs(f.period - 1n, f.gen27.address, MeasurementState.Disputed, Quality.Ok);
    });

    it("refuses others, wrong meter keys, agreeing readings, closed windows and unreported periods", async () => {
      const f = await loadFixture(deployMarket);
      await reported(f);
      const r = reading(f, 10_000n);
      const sig = await signMeterReading(f.meter.gen27, f.oracleDomain, r);
      await expect(f.oracle.connect(f.centre).dispute(r, sig, await proofFor(f, f.gen27.address, f.period - 1n)))
        .to.be.revertedWithCustomError(f.oracle, "NotGenerator")
        .withArgs(f.centre.address, f.gen27.address);
      const wrong = await signMeterReading(f.meter.gen34, f.oracleDomain, r);
      await expect(f.oracle.connect(f.gen27).dispute(r, wrong, await proofFor(f, f.gen27.address, f.period - 1n)))
        .to.be.revertedWithCustomError(f.oracle, "WrongMeterSignature")
        .withArgs(f.meter.gen34.address, f.meter.gen27.address);
      await expect(f.oracle.connect(f.gen27).dispute(r, "0x1234", await proofFor(f, f.gen27.address, f.period - 1n)))
        .to.be.revertedWithCustomError(f.oracle, "WrongMeterSignature")
        .withArgs(ethers.ZeroAddress, f.meter.gen27.address);
      const agree = reading(f, 7_700n);
      await expect(
        f.oracle
          .connect(f.gen27)
          .dispute(
            agree,
            await signMeterReading(f.meter.gen27, f.oracleDomain, agree),
            await proofFor(f, f.gen27.address, f.period - 1n),
          ),
      )
        .to.be.revertedWithCustomError(f.oracle, "ReadingAgrees")
        .withArgs(f.period - 1n, f.gen27.address, 7_700n);
      const other = { ...r, period: f.period - 2n };
      await expect(
        f.oracle
          .connect(f.gen27)
          .dispute(
            other,
            await signMeterReading(f.meter.gen27, f.oracleDomain, other),
            await proofFor(f, f.gen27.address, f.period - 1n),
          ),
      )
        .to.be.revertedWithCustomError(f.oracle, "MeasurementNotProven")
        .withArgs(f.period - 2n, f.gen27.address);
      const record = await f.oracle.reportOf(f.period);
      await time.increaseTo(record.recordedAt + 1800n);
      await expect(f.oracle.connect(f.gen27).dispute(r, sig, await proofFor(f, f.gen27.address, f.period - 1n)))
        .to.be.revertedWithCustomError(f.oracle, "DisputeWindowClosed")
        .withArgs(f.period - 1n, f.gen27.address, record.recordedAt + 1800n);
      await f.registry.connect(f.registrar).deregister(f.gen27.address);
      await expect(f.oracle.connect(f.gen27).dispute(r, sig, await proofFor(f, f.gen27.address, f.period - 1n)))
        .to.be.revertedWithCustomError(f.oracle, "NoMeterKey")
        .withArgs(f.gen27.address);
    });

    it("GS-20: the meter signs its reading's quality and time — a relabelled reading fails; only Ok readings dispute", async () => {
      const f = await loadFixture(deployMarket);
      await reported(f);
      const bad = reading(f, 10_000n, { quality: Quality.Bad });
      const badSig = await signMeterReading(f.meter.gen27, f.oracleDomain, bad);
      await expect(f.oracle.connect(f.gen27).dispute(bad, badSig, await proofFor(f, f.gen27.address, f.period - 1n)))
        .to.be.revertedWithCustomError(f.oracle, "ReadingNotUsable")
        .withArgs(Quality.Bad);
      // The same signature on the reading relabelled Ok, or with another time, recovers another key.
      for (const forged of [
        { ...bad, quality: Quality.Ok },
        { ...bad, quality: Quality.Ok, readAt: BigInt(bad.readAt) + 1n },
      ]) {
        const recovered = ethers.recoverAddress(await f.oracle.meterReadingDigest(forged), badSig);
        expect(recovered).not.to.equal(f.meter.gen27.address);
        await expect(
          f.oracle.connect(f.gen27).dispute(forged, badSig, await proofFor(f, f.gen27.address, f.period - 1n)),
        )
          .to.be.revertedWithCustomError(f.oracle, "WrongMeterSignature")
          .withArgs(recovered, f.meter.gen27.address);
      }
      // A reading naming another meter than the generator's is refused before its signature.
      const otherMeter = reading(f, 10_000n, { meter: f.meter.gen34.address });
      await expect(
        f.oracle
          .connect(f.gen27)
          .dispute(
            otherMeter,
            await signMeterReading(f.meter.gen34, f.oracleDomain, otherMeter),
            await proofFor(f, f.gen27.address, f.period - 1n),
          ),
      )
        .to.be.revertedWithCustomError(f.oracle, "WrongMeter")
        .withArgs(f.meter.gen34.address, f.meter.gen27.address);
      expect(await f.oracle.meterReadingDigest(bad)).to.equal(meterReadingDigest(f.oracleDomain, bad));
    });

    it("Missing and Bad measurements cannot be disputed (they wait for a correction anyway)", async () => {
      const f = await loadFixture(deployMarket);
      await reported(f, Quality.Missing);
      const r = reading(f, 1n);
      await expect(
        f.oracle
          .connect(f.gen27)
          .dispute(
            r,
            await signMeterReading(f.meter.gen27, f.oracleDomain, r),
            await proofFor(f, f.gen27.address, f.period - 1n),
          ),
      )
        .to.be.revertedWithCustomError(f.oracle, "NotDisputable")
        .withArgs(f.period - 1n, f.gen27.address, MeasurementState.Reported, Quality.Missing);
    });

    it("the quorum corrects a disputed measurement: final at once, every field emitted", async () => {
      const f = await loadFixture(deployMarket);
      await reported(f);
      const r = reading(f, 10_000n);
      await f.oracle
        .connect(f.gen27)
        .dispute(
          r,
          await signMeterReading(f.meter.gen27, f.oracleDomain, r),
          await proofFor(f, f.gen27.address, f.period - 1n),
        );
      const fixed = measurement(f.gen27.address, f.period - 1n, 0n);
      const readings = ethers.id("corrected readings");
      const epoch = await f.oracle.configEpoch();
      const sigs = await signCorrection([f.o3, f.o1], f.oracleDomain, fixed, readings, epoch, FAR);
      const none = noProof(f.gen27.address, f.period - 1n);
      await expect(f.oracle.connect(f.stranger).correctMeasurement(fixed, readings, FAR, sigs, none))
        .to.emit(f.oracle, "MeasurementCorrected")
        .withArgs(
          f.period - 1n,
          f.gen27.address,
          indexOf(f.gen27.address),
          0,
          0,
          10_000n,
          10_000n,
          0n,
          Quality.Ok,
          readings,
        );
      const [record, isFinal] = await f.oracle.measurementOf(f.period - 1n, f.gen27.address, none);
      expect([record.deliveredWh, record.state, isFinal]).to.deep.equal([0n, BigInt(MeasurementState.Corrected), true]);
      // A corrected Ok measurement is final: no second correction, no dispute.
      await expect(f.oracle.correctMeasurement(fixed, readings, FAR, sigs, none))
        .to.be.revertedWithCustomError(f.oracle, "NotCorrectable")
        .withArgs(f.period - 1n, f.gen27.address, MeasurementState.Corrected, Quality.Ok);
      await expect(
        f.oracle
          .connect(f.gen27)
          .dispute(
            r,
            await signMeterReading(f.meter.gen27, f.oracleDomain, r),
            await proofFor(f, f.gen27.address, f.period - 1n),
          ),
      )
        .to.be.revertedWithCustomError(f.oracle, "NotDisputable")
        .withArgs(f.period - 1n, f.gen27.address, MeasurementState.Corrected, Quality.Ok);
    });

    it("Missing, Bad and never-reported measurements of ended periods can be corrected; Ok ones cannot", async () => {
      const f = await loadFixture(deployMarket);
      await reported(f, Quality.Bad);
      const epoch = await f.oracle.configEpoch();
      const fix = async (m: ReturnType<typeof measurement>) =>
        f.oracle.correctMeasurement(
          m,
          ethers.ZeroHash,
          FAR,
          await signCorrection([f.o1, f.o2], f.oracleDomain, m, ethers.ZeroHash, epoch, FAR),
          await proofFor(f, m.generator as string, BigInt(m.period)),
        );
      await expect(fix(measurement(f.gen27.address, f.period - 1n, -5n, { quality: Quality.Missing }))).to.emit(
        f.oracle,
        "MeasurementCorrected",
      );
      // Still Missing after the correction: correctable again.
      await expect(fix(measurement(f.gen27.address, f.period - 1n, -2300n))).to.emit(f.oracle, "MeasurementCorrected");
      await expect(fix(measurement(f.gen34.address, f.period - 3n, 7n))).to.emit(f.oracle, "MeasurementCorrected");
      await expect(fix(measurement(f.gen34.address, f.period, 7n)))
        .to.be.revertedWithCustomError(f.oracle, "MeasurementNotInPast")
        .withArgs(f.period, f.period);
      const ok = measurement(f.gen2.address, f.period - 2n, 1n);
      await time.increase(1800n);
      await submitReport(f, paperReport(f.period + 1n, [ok]));
      await expect(fix(ok))
        .to.be.revertedWithCustomError(f.oracle, "NotCorrectable")
        .withArgs(f.period - 2n, f.gen2.address, MeasurementState.Reported, Quality.Ok);
      await expect(fix(measurement(ethers.ZeroAddress, 1n, 0n))).to.be.revertedWithCustomError(
        f.oracle,
        "ZeroGenerator",
      );
      // A never-reported measurement must carry the generator's own registry index.
      await expect(fix(measurement(f.gen2.address, f.period - 4n, 1n, { generatorIndex: 77 })))
        .to.be.revertedWithCustomError(f.oracle, "WrongGeneratorIndex")
        .withArgs(f.gen2.address, 77, indexOf(f.gen2.address));
      // A reported one (its bit is set) cannot be corrected without being shown.
      await expect(
        f.oracle.correctMeasurement(
          ok,
          ethers.ZeroHash,
          FAR,
          await signCorrection([f.o1, f.o2], f.oracleDomain, ok, ethers.ZeroHash, epoch, FAR),
          noProof(f.gen2.address, f.period - 2n),
        ),
      )
        .to.be.revertedWithCustomError(f.oracle, "MeasurementNotProven")
        .withArgs(f.period - 2n, f.gen2.address);
      // A correction of a never-reported one marks it measured: no report can carry it any more.
      expect(await f.oracle.isMeasured(f.period - 3n, indexOf(f.gen34.address))).to.equal(true);
    });

    it("a reported Missing or Bad measurement is corrected only inside its dispute window (MeasurementFinal)", async () => {
      const f = await loadFixture(deployMarket);
      await reported(f, Quality.Missing);
      const recordedAt = BigInt(await time.latest());
      const fixed = measurement(f.gen27.address, f.period - 1n, -2300n);
      const sigs = await signCorrection([f.o1, f.o2], f.oracleDomain, fixed, ethers.ZeroHash, 1n, FAR);
      const proof = await proofFor(f, f.gen27.address, f.period - 1n);
      await time.setNextBlockTimestamp(recordedAt + 1800n);
      await expect(f.oracle.correctMeasurement(fixed, ethers.ZeroHash, FAR, sigs, proof))
        .to.be.revertedWithCustomError(f.oracle, "MeasurementFinal")
        .withArgs(f.period - 1n, f.gen27.address, recordedAt + 1800n);
    });

    it("a correction needs the quorum of the current epoch", async () => {
      const f = await loadFixture(deployMarket);
      await reported(f, Quality.Missing);
      const m = measurement(f.gen27.address, f.period - 1n, 1n);
      const one = await signCorrection([f.o1], f.oracleDomain, m, ethers.ZeroHash, 1n, FAR);
      const shown = await proofFor(f, f.gen27.address, f.period - 1n);
      await expect(f.oracle.correctMeasurement(m, ethers.ZeroHash, FAR, one, shown))
        .to.be.revertedWithCustomError(f.oracle, "NotEnoughSignatures")
        .withArgs(1, 2);
      const oldEpoch = await signCorrection([f.o1, f.o2], f.oracleDomain, m, ethers.ZeroHash, 0n, FAR);
      await expect(f.oracle.correctMeasurement(m, ethers.ZeroHash, FAR, oldEpoch, shown))
        .to.be.revertedWithCustomError(f.oracle, "NotEnoughSignatures")
        .withArgs(0, 2);
    });
  });

  it("reportSignatures helper and digests agree with the contract (sanity)", async () => {
    const f = await loadFixture(deployMarket);
    const r = emptyReport(f.period);
    const sigs = await reportSignatures(f, r);
    const digest = await f.oracle.reportDigest(r, FAR);
    expect(ethers.recoverAddress(digest, sigs[0])).to.equal(f.o1.address);
  });
});

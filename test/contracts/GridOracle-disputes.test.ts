/**
 * GridOracle, 2 of 2: updateSigners, and disputes and corrections of reported measurements.
 */
import { expect } from "chai";
import { ethers } from "hardhat";
import { time } from "@nomicfoundation/hardhat-network-helpers";
import { loadFixture } from "../fixture-clock";
import { MeasurementState, Quality } from "../../oracle/chain/enums";
import {
  signCorrection,
  signMeterReading,
  signSignerUpdate,
  meterReadingDigest,
  type MeterReadingStruct,
} from "../../oracle/chain/typed-data";
import { noProof } from "../../oracle/chain/measurement-tree";
import {
  deployMarket,
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
import { signed } from "./gridoracle-fixtures";

describe("GridOracle", () => {
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

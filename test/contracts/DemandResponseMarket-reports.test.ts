/**
 * DemandResponseMarket, 3 of 3: settleReport and reportAndSettle (GS-11), settlement with a proof,
 * and unwinding.
 */
import { expect } from "chai";
import { ethers } from "hardhat";
import { time } from "@nomicfoundation/hardhat-network-helpers";
import { loadFixture } from "../fixture-clock";
import { BookState, MeasurementState, Quality } from "../../oracle/chain/enums";
import { signCorrection } from "../../oracle/chain/typed-data";
import { noProof } from "../../oracle/chain/measurement-tree";
import {
  at,
  BASELINE_WH,
  deployMarket,
  deployNoWindow,
  FAR,
  fillOf,
  fillOffer,
  indexOf,
  proofFor,
  settleArgs,
  measurement,
  PAPER_USD,
  PAPER_WH,
  paperOffer,
  paperReport,
  reportSignatures,
  sign,
  submitReport,
} from "./fixtures";
import { balances, GRACE } from "./market-fixtures";

describe("DemandResponseMarket", () => {
  describe("settleReport and reportAndSettle (GS-11)", () => {
    it("settleReport settles every ready book a report measured, skips the rest, never reverts for one item", async () => {
      const f = await loadFixture(deployMarket);
      const a = await fillOffer(f, paperOffer(f), f.gen27);
      const b = await fillOffer(f, paperOffer(f, { node: 34 }), f.gen34); // measured Missing
      await at(f, f.period + 2n, 10n);
      const list = [
        measurement(f.gen27.address, a.period, -2300n),
        measurement(f.gen34.address, b.period, 0n, { quality: Quality.Missing }),
        measurement(f.gen2.address, a.period, -10n), // no book
      ];
      await submitReport(f, paperReport(f.period + 2n, list));
      // Inside the dispute window nothing settles; after it, the Ok one and the Missing one (as no delivery).
      expect(await f.market.settleReport.staticCall(f.period + 2n, list)).to.deep.equal([0n, 3n]);
      await time.increase(1800n);
      expect(await f.market.settleReport.staticCall(f.period + 2n, list)).to.deep.equal([2n, 3n]);
      const tx = f.market.settleReport(f.period + 2n, list);
      await expect(tx)
        .to.emit(f.market, "Settled")
        .withArgs(f.gen27.address, a.period, f.centre.address, [PAPER_WH, -2300n, 2300n, 2300n, 0n, PAPER_USD, 0n, 0n]);
      expect((await (await tx).wait())!.logs.length).to.equal(2);
      // Again: nothing left to settle.
      expect(await f.market.settleReport.staticCall(f.period + 2n, list)).to.deep.equal([0n, 3n]);
    });

    it("refuses a list that is not the report's (MeasurementsMismatch): another value, order, length or report", async () => {
      const f = await loadFixture(deployMarket);
      await at(f, f.period + 2n, 10n);
      const list = [
        measurement(f.gen27.address, f.period + 1n, -2300n),
        measurement(f.gen34.address, f.period + 1n, -100n),
        measurement(f.gen2.address, f.period + 1n, -10n),
      ];
      await submitReport(f, paperReport(f.period + 2n, list));
      for (const [period, bad] of [
        [f.period + 2n, [{ ...list[0], deliveredWh: -2299n, actualWh: BASELINE_WH - 2299n }, list[1], list[2]]],
        [f.period + 2n, [list[2], list[0], list[1]]],
        [f.period + 2n, list.slice(0, 2)],
        [f.period + 1n, list],
      ] as const) {
        await expect(f.market.settleReport(period, [...bad]))
          .to.be.revertedWithCustomError(f.oracle, "MeasurementsMismatch")
          .withArgs(period);
      }
    });

    it("stops before running out of gas, saying how far it got", async () => {
      const f = await loadFixture(deployNoWindow);
      await at(f, f.period + 2n, 10n);
      const many = Array.from({ length: 100 }, (_, i) =>
        measurement(ethers.getAddress(ethers.toBeHex(i + 7000, 20)), f.period + 1n, -5n),
      );
      await submitReport(f, paperReport(f.period + 2n, many));
      // With a fifth of the gas all of them need, it looks at some and stops.
      const all = await f.market.settleReport.estimateGas(f.period + 2n, many);
      const [settled, processed] = await f.market.settleReport.staticCall(f.period + 2n, many, {
        gasLimit: (all * 3n) / 5n,
      });
      expect(settled).to.equal(0n);
      expect(processed).to.be.lessThan(100n);
      expect(processed).to.be.greaterThan(0n);
      expect(await f.market.settleReport.staticCall(f.period + 2n, many, { gasLimit: 9_000_000 })).to.deep.equal([
        0n,
        100n,
      ]);
    });

    it("reportAndSettle forwards the signed report and settles, pushed, an earlier report's books within the budget", async () => {
      const f = await loadFixture(deployNoWindow);
      const a = await fillOffer(f, paperOffer(f), f.gen27);
      const b = await fillOffer(f, paperOffer(f, { node: 34 }), f.gen34);
      await at(f, f.period + 2n, 10n);
      const measured = [measurement(f.gen27.address, a.period, -2300n), measurement(f.gen34.address, b.period, -1380n)];
      await submitReport(f, paperReport(f.period + 2n, measured));
      await at(f, f.period + 3n, 10n);
      const report = paperReport(f.period + 3n);
      const sigs = await reportSignatures(f, report);
      expect(await f.market.reportAndSettle.staticCall(report, FAR, sigs, f.period + 2n, measured, 0)).to.deep.equal([
        0n,
        0n,
      ]);
      const tx = f.market.connect(f.stranger).reportAndSettle(report, FAR, sigs, f.period + 2n, measured, 1_000_000);
      await expect(tx).to.emit(f.oracle, "ReportSubmitted");
      await expect(tx)
        .to.emit(f.market, "Settled")
        .withArgs(f.gen27.address, a.period, f.centre.address, [PAPER_WH, -2300n, 2300n, 2300n, 0n, PAPER_USD, 0n, 0n]);
      await expect(tx)
        .to.emit(f.market, "Settled")
        .withArgs(f.gen34.address, b.period, f.centre.address, [
          PAPER_WH,
          -1380n,
          1380n,
          1380n,
          460n,
          15_160_057n,
          PAPER_USD - 15_160_057n,
          0n,
        ]);
      await expect(f.market.reportAndSettle(report, FAR, sigs, 0, [], 1))
        .to.be.revertedWithCustomError(f.oracle, "ReportAlreadySubmitted")
        .withArgs(f.period + 3n);
    });
  });

  describe("settle with a proof", () => {
    it("a measurement that is not the reported one proves nothing; one under another registry index is refused", async () => {
      const f = await loadFixture(deployNoWindow);
      const a = await fillOffer(f, paperOffer(f), f.gen27);
      await at(f, f.period + 2n, 10n);
      await submitReport(f, paperReport(f.period + 2n, [measurement(f.gen27.address, a.period, -1000n)]));
      const p = await proofFor(f, f.gen27.address, a.period);
      const forged = { ...p, measurement: { ...p.measurement, deliveredWh: -2300n, actualWh: BASELINE_WH - 2300n } };
      await expect(f.market.settle(f.gen27.address, a.period, forged))
        .to.be.revertedWithCustomError(f.market, "MeasurementNotFinal")
        .withArgs(a.period, f.gen27.address, MeasurementState.None);
      // Another generator's proof does not settle this one.
      await expect(f.market.settle(f.gen27b.address, a.period, p)).to.be.revertedWithCustomError(
        f.market,
        "NoOpenBook",
      );
      // A report that measured the generator under a wrong index cannot settle its book.
      const b = await fillOffer(f, paperOffer(f, { node: 34, period: f.period + 3n, deadline: FAR }), f.gen34);
      await at(f, f.period + 4n, 10n);
      await submitReport(
        f,
        paperReport(f.period + 4n, [measurement(f.gen34.address, b.period, -2300n, { generatorIndex: 999 })]),
      );
      await expect(f.market.settle(...(await settleArgs(f, f.gen34.address, b.period))))
        .to.be.revertedWithCustomError(f.market, "GeneratorIndexMismatch")
        .withArgs(999, indexOf(f.gen34.address));
      await expect(f.market.settle(...(await settleArgs(f, f.gen27.address, a.period)))).to.emit(f.market, "Settled");
    });
  });

  describe("unwind", () => {
    it("returns both escrows after the grace time when never measured; not before", async () => {
      const f = await loadFixture(deployMarket);
      const p = await fillOffer(f, paperOffer(f), f.gen27);
      const [c0, g0] = [await balances(f, f.centre), await balances(f, f.gen27)];
      const at_ = (f.period + 2n) * f.periodSeconds + GRACE;
      expect(await f.market.unwindableAt(...(await settleArgs(f, f.gen27.address, p.period)))).to.equal(at_);
      await time.setNextBlockTimestamp(at_ - 1n);
      await expect(f.market.unwind(...(await settleArgs(f, f.gen27.address, p.period))))
        .to.be.revertedWithCustomError(f.market, "NotUnwindableYet")
        .withArgs(f.gen27.address, p.period, at_);
      await time.setNextBlockTimestamp(at_);
      await expect(f.market.connect(f.stranger).unwind(...(await settleArgs(f, f.gen27.address, p.period))))
        .to.emit(f.market, "Unwound")
        .withArgs(f.gen27.address, p.period, f.centre.address, PAPER_USD, PAPER_WH);
      expect(await balances(f, f.centre)).to.deep.equal({ usd: c0.usd + PAPER_USD, kwh: c0.kwh });
      expect(await balances(f, f.gen27)).to.deep.equal({ usd: g0.usd, kwh: g0.kwh + PAPER_WH });
      expect((await f.market.bookOf(f.gen27.address, p.period)).state).to.equal(BigInt(BookState.Unwound));
      expect(await f.market.unwindableAt(...(await settleArgs(f, f.gen27.address, p.period)))).to.equal(0n);
      await expect(f.market.unwind(...(await settleArgs(f, f.gen27.address, p.period))))
        .to.be.revertedWithCustomError(f.market, "NoOpenBook")
        .withArgs(f.gen27.address, p.period);
    });

    it("a book whose measurement was reported unwinds only when it is shown (MeasurementNotShown)", async () => {
      const f = await loadFixture(deployMarket);
      const p = await fillOffer(f, paperOffer(f), f.gen27);
      await at(f, f.period + 2n, 10n);
      await submitReport(
        f,
        paperReport(f.period + 2n, [measurement(f.gen27.address, p.period, 0n, { quality: Quality.Bad })]),
      );
      await time.increase(GRACE + 1800n);
      await expect(f.market.unwind(f.gen27.address, p.period, noProof(f.gen27.address, p.period)))
        .to.be.revertedWithCustomError(f.market, "MeasurementNotShown")
        .withArgs(f.gen27.address, p.period);
      // Shown, it is final (Bad): the book settles as no delivery instead of unwinding.
      await expect(f.market.unwind(...(await settleArgs(f, f.gen27.address, p.period))))
        .to.be.revertedWithCustomError(f.market, "DeliveryMeasured")
        .withArgs(f.gen27.address, p.period);
      await expect(f.market.settle(...(await settleArgs(f, f.gen27.address, p.period)))).to.emit(f.market, "Settled");
    });

    it("a book with a final measurement must be settled (DeliveryMeasured) — a Missing one too", async () => {
      const f = await loadFixture(deployMarket);
      const a = await fillOffer(f, paperOffer(f), f.gen27);
      const b = await fillOffer(f, paperOffer(f, { node: 34 }), f.gen34);
      await at(f, f.period + 2n, 10n);
      await submitReport(
        f,
        paperReport(f.period + 2n, [
          measurement(f.gen27.address, a.period, -2300n),
          measurement(f.gen34.address, b.period, 0n, { quality: Quality.Missing }),
        ]),
      );
      await time.increase(GRACE + 1800n);
      await expect(f.market.unwind(...(await settleArgs(f, f.gen27.address, a.period))))
        .to.be.revertedWithCustomError(f.market, "DeliveryMeasured")
        .withArgs(f.gen27.address, a.period);
      await expect(f.market.unwind(...(await settleArgs(f, f.gen34.address, b.period))))
        .to.be.revertedWithCustomError(f.market, "DeliveryMeasured")
        .withArgs(f.gen34.address, b.period);
      await expect(f.market.settle(...(await settleArgs(f, f.gen27.address, a.period)))).to.emit(f.market, "Settled");
      await expect(f.market.settle(...(await settleArgs(f, f.gen34.address, b.period)))).to.emit(f.market, "Settled");
    });

    it("GS-18: never while a measurement reported late is still inside its dispute window", async () => {
      const f = await loadFixture(deployMarket);
      const a = await fillOffer(f, paperOffer(f), f.gen27);
      const graceEnd = (BigInt(a.period) + 1n) * f.periodSeconds + GRACE;
      // Reported (Missing) 5 s before the grace ends: its window runs a period past the grace.
      await time.increaseTo(graceEnd - 5n);
      const reportPeriod = (graceEnd - 5n) / f.periodSeconds;
      await submitReport(
        f,
        paperReport(reportPeriod, [measurement(f.gen27.address, a.period, 0n, { quality: Quality.Missing })]),
      );
      const recordedAt = BigInt(await time.latest());
      const windowEnd = recordedAt + 1800n;
      expect(await f.market.unwindableAt(...(await settleArgs(f, f.gen27.address, a.period)))).to.equal(windowEnd);
      await time.setNextBlockTimestamp(graceEnd + 1n);
      await expect(f.market.unwind(...(await settleArgs(f, f.gen27.address, a.period))))
        .to.be.revertedWithCustomError(f.market, "NotUnwindableYet")
        .withArgs(f.gen27.address, a.period, windowEnd);
      // Within the window the quorum corrects it with the delivery that came late: it settles.
      const fixed = measurement(f.gen27.address, a.period, -2300n);
      const sigs = await signCorrection([f.o1, f.o2], f.oracleDomain, fixed, ethers.id("late"), 1n, FAR);
      await f.oracle.correctMeasurement(
        fixed,
        ethers.id("late"),
        FAR,
        sigs,
        await proofFor(f, f.gen27.address, a.period),
      );
      await time.increaseTo(windowEnd + 1n);
      await expect(f.market.unwind(...(await settleArgs(f, f.gen27.address, a.period))))
        .to.be.revertedWithCustomError(f.market, "DeliveryMeasured")
        .withArgs(f.gen27.address, a.period);
      await expect(f.market.settle(...(await settleArgs(f, f.gen27.address, a.period)))).to.emit(f.market, "Settled");
    });
  });

  it("fillOf reads the fill and its book key from a receipt", async () => {
    const f = await loadFixture(deployMarket);
    const offer = paperOffer(f);
    const tx = await f.market.connect(f.gen27).fill(offer, await sign(f, offer), PAPER_WH, BASELINE_WH);
    const fill = await fillOf(f, tx);
    expect(fill.key).to.deep.equal({ generator: f.gen27.address, period: f.period + 1n });
    expect(fill.offerHash).to.equal(await f.market.hashOffer(offer));
  });
});

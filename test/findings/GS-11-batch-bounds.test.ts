/**
 * GS-11 (info): v1 report and settleMany batches had no bound (~28k gas per delivery, ~68k per
 * settlement): a too-big batch failed the same way on every retry (the v1 version, commit
 * 99c90d7, fails on b17cdb7: 'Transaction ran out of gas' instead of a bounded refusal).
 * v2: every list has a stated maximum, refused up front with TooManyItems; settleMany and
 * reportAndSettle stop before running out of gas and say how far they got.
 */
import { expect } from "chai";
import { ethers } from "hardhat";
import { loadFixture } from "../fixture-clock";
import {
  FAR,
  at,
  deployMarket,
  deployNoWindow,
  emptyReport,
  measurement,
  paperReport,
  reportSignatures,
  submitReport,
} from "../contracts/fixtures";
import { skipUnderCoverage } from "../contracts/helpers";

describe("GS-11: bounded batches", () => {
  it("a report with more measurements than allowed is refused with TooManyItems", async () => {
    const f = await loadFixture(deployMarket);
    const max = await f.oracle.MAX_MEASUREMENTS();
    const measurements = Array.from({ length: 1_200 }, (_, i) =>
      measurement(ethers.getAddress(ethers.zeroPadValue(ethers.toBeHex(i + 1), 20)), f.period - 2n, 1n),
    );
    await expect(f.oracle.submitReport(paperReport(f.period, measurements), FAR, []))
      .to.be.revertedWithCustomError(f.oracle, "TooManyItems")
      .withArgs(1_200, max);
    await expect(f.oracle.submitReport(emptyReport(f.period), FAR, [])).to.be.revertedWithCustomError(
      f.oracle,
      "NotEnoughSignatures",
    );
  });

  it("the largest report the bounds allow fits one transaction (EIP-7825: 2^24 gas)", async function () {
    // Under solidity-coverage the tracer also runs out of memory on a 15M-gas transaction.
    skipUnderCoverage(this, "gas");
    const f = await loadFixture(deployMarket);
    const n = async (name: "MAX_MEASUREMENTS" | "MAX_VIOLATIONS" | "MAX_PRICES") => Number(await f.oracle[name]());
    const report = {
      ...emptyReport(f.period),
      violations: Array.from({ length: await n("MAX_VIOLATIONS") }, (_, i) => ({
        line: i,
        flowW: -764_000n,
        limitW: 750_000n,
        deviationW: 14_000n,
      })),
      prices: Array.from({ length: await n("MAX_PRICES") }, (_, i) => ({
        node: i + 1,
        usdPerMWh: -1_500_000_000n,
        lossUsdPerMWh: -2_000_000n,
        congestionUsdPerMWh: -1_000_000_000n,
      })),
      measurements: Array.from({ length: await n("MAX_MEASUREMENTS") }, (_, i) =>
        measurement(ethers.getAddress(ethers.toBeHex(i + 1000, 20)), f.period - 1n, -2300n),
      ),
    };
    const sigs = await reportSignatures(f, report);
    const gas = await f.oracle.submitReport.estimateGas(report, FAR, sigs);
    expect(gas).to.be.lessThan(2n ** 24n);
    await expect(f.oracle.submitReport(report, FAR, sigs)).to.emit(f.oracle, "ReportSubmitted");
  });

  it("settleReport never fails for lack of gas: it stops and reports how many items it looked at", async () => {
    const f = await loadFixture(deployNoWindow);
    await at(f, f.period + 1n, 10n);
    const many = Array.from({ length: 100 }, (_, i) =>
      measurement(ethers.getAddress(ethers.toBeHex(i + 5000, 20)), f.period, -5n),
    );
    await submitReport(f, paperReport(f.period + 1n, many));
    const all = await f.market.settleReport.estimateGas(f.period + 1n, many);
    const [, processed] = await f.market.settleReport.staticCall(f.period + 1n, many, { gasLimit: (all * 3n) / 5n });
    expect(processed).to.be.greaterThan(0n);
    expect(processed).to.be.lessThan(100n);
  });
});

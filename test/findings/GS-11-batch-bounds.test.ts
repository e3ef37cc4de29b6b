/**
 * GS-11 (info): report batches had no bound (~28k gas per delivery): a too-big batch failed the
 * same way on every retry. Safe outcome: a clear, cheap refusal naming the bound.
 */
import { expect } from "chai";
import { ethers } from "hardhat";
import { loadFixture } from "@nomicfoundation/hardhat-network-helpers";
import { deployMarket, paperReport } from "../contracts/fixture";

describe("GS-11: bounded batches", () => {
  it("a report with more deliveries than a block can hold is refused with TooManyItems", async () => {
    const f = await loadFixture(deployMarket);
    const deliveries = Array.from({ length: 1_200 }, (_, i) => ({
      period: f.period - 2n,
      generator: ethers.getAddress(ethers.zeroPadValue(ethers.toBeHex(i + 1), 20)),
      adjustmentWh: 1n,
    }));
    const failure = await f.gridOracle
      .connect(f.oracle)
      .submitReport(paperReport(f.period, deliveries), [])
      .then(() => "accepted")
      .catch((e: Error) => e.message);
    expect(failure).to.match(/TooManyItems/);
  });
});

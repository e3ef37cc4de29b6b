import { expect } from "chai";
import { loadFixture, time } from "@nomicfoundation/hardhat-network-helpers";
import { deployMarket, KWH, paperReport, PERIOD_SECONDS, Status, USD } from "./fixture";

describe("DemandResponseMarket: the paper's cycle", () => {
  it("publish → accept → report the delivery → settle swaps USD and kWh atomically", async () => {
    const f = await loadFixture(deployMarket);
    const { market, usd, kwh, centre, gen27, oracle, gridOracle, period, start } = f;
    await expect(market.connect(centre).publish(f.paperOffer())).to.emit(market, "OfferPublished");
    await market.connect(gen27).accept(1);
    await time.increaseTo(start + PERIOD_SECONDS);
    const delivered = -KWH("2.3"); // lowered output by 2.3 kWh
    await gridOracle
      .connect(oracle)
      .submitReport(paperReport(period + 1n, [{ period, generator: gen27.address, adjustmentWh: delivered }]), []);
    const usdBefore = await usd.balanceOf(gen27.address);
    await expect(market.settle(1))
      .to.emit(market, "OfferSettled")
      .withArgs(1, gen27.address, KWH("2.3"), USD("0.25266763"), 0, KWH("2.3"));
    expect(await usd.balanceOf(gen27.address)).to.equal(usdBefore + USD("0.25266763"));
    expect(await kwh.balanceOf(centre.address)).to.equal(KWH("2.3"));
    expect((await market.getOffer(1)).status).to.equal(Status.Settled);
    expect(await usd.balanceOf(await market.getAddress())).to.equal(0);
    expect(await kwh.balanceOf(await market.getAddress())).to.equal(0);
  });
});

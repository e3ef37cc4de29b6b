/**
 * GS-03 (low): one measured delivery was credited to a generator's offers in settlement order,
 * and anyone can settle: with offers from two centres and delivery for one, whoever settles
 * first decided which centre paid. Safe outcome: the offer filled first is credited, whatever
 * the settlement order.
 */
import { expect } from "chai";
import { ethers } from "hardhat";
import { loadFixture, time } from "@nomicfoundation/hardhat-network-helpers";
import { deployMarket, KWH, paperReport, PERIOD_SECONDS, USD } from "../contracts/fixture";

describe("GS-03: order-independent crediting", () => {
  it("the first-filled offer is paid for a delivery covering one offer, whoever settles first", async () => {
    const f = await loadFixture(deployMarket);
    const centre2 = (await ethers.getSigners())[11];
    await f.market.connect(f.admin).grantRole(await f.market.CENTRE_ROLE(), centre2.address);
    await f.usd.connect(f.admin).mint(centre2.address, USD("10"));
    await f.usd.connect(centre2).approve(await f.market.getAddress(), ethers.MaxUint256);
    await f.market.connect(f.centre).publish(f.paperOffer()); // 1: centre
    await f.market.connect(centre2).publish(f.paperOffer()); // 2: centre2
    await f.market.connect(f.gen27).accept(1); // filled first
    await f.market.connect(f.gen27).accept(2);
    await time.increaseTo(f.start + PERIOD_SECONDS);
    const delivery = { period: f.period, generator: f.gen27.address, adjustmentWh: -KWH("2.3") };
    await f.gridOracle.connect(f.oracle).submitReport(paperReport(f.period + 1n, [delivery]), []);
    const centre2Before = await f.usd.balanceOf(centre2.address);
    await f.market.connect(centre2).settle(2); // centre2 settles its own offer first
    await f.market.settle(1);
    // centre2's offer was filled second: the delivery covered offer 1, so centre2 pays nothing.
    expect((await f.usd.balanceOf(centre2.address)) - centre2Before).to.equal(USD("0.25266763"));
  });
});

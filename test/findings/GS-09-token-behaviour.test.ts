/**
 * GS-09 (info): a fee-on-transfer USD token made the escrow insolvent; a blocklisting token froze
 * a measured offer forever because settlement pushed tokens to both parties.
 */
import { expect } from "chai";
import { ethers } from "hardhat";
import { time } from "@nomicfoundation/hardhat-network-helpers";
import { KWH, paperReport, PERIOD_SECONDS, USD } from "../contracts/fixture";

async function marketWith(usdToken: string) {
  const [admin, oracle, centre, gen27, centre2] = await ethers.getSigners();
  const registry = await (await ethers.getContractFactory("GeneratorRegistry")).deploy(admin.address);
  const kwh = await (await ethers.getContractFactory("KwhToken")).deploy(admin.address, registry);
  const gridOracle = await (await ethers.getContractFactory("GridOracle")).deploy(admin.address);
  const market = await (
    await ethers.getContractFactory("DemandResponseMarket")
  ).deploy(admin.address, usdToken, kwh, gridOracle, registry);
  await gridOracle.grantRole(await gridOracle.ORACLE_ROLE(), oracle.address);
  for (const c of [centre, centre2]) await market.grantRole(await market.CENTRE_ROLE(), c.address);
  await registry.register(gen27.address, 27);
  await kwh.issue(gen27.address, KWH("100"));
  await kwh.connect(gen27).approve(await market.getAddress(), ethers.MaxUint256);
  const start = (BigInt(await time.latest()) / PERIOD_SECONDS + 2n) * PERIOD_SECONDS;
  await time.increaseTo(start);
  const period = start / PERIOD_SECONDS;
  await gridOracle.connect(oracle).submitReport(paperReport(period - 1n), []);
  const offer = {
    generator: ethers.ZeroAddress,
    node: 27,
    direction: 1,
    kwhAmount: KWH("2.3"),
    usdAmount: USD("0.25266763"),
    period,
    justification: period - 1n,
    expiry: start + 1200n,
  };
  return { admin, oracle, centre, centre2, gen27, market, kwh, gridOracle, period, start, offer };
}

describe("GS-09: token behaviour cannot make the market insolvent or freeze a party", () => {
  it("a fee-on-transfer USD token cannot leave the market owing more than it holds", async () => {
    const fee = await (await ethers.getContractFactory("FeeOnTransferToken")).deploy(100); // 1 %
    const m = await marketWith(await fee.getAddress());
    for (const c of [m.centre, m.centre2]) {
      await fee.mint(c.address, USD("10"));
      await fee.connect(c).approve(await m.market.getAddress(), ethers.MaxUint256);
    }
    await m.market.connect(m.centre).publish(m.offer).catch(() => undefined);
    await m.market.connect(m.centre2).publish(m.offer).catch(() => undefined);
    await m.market.connect(m.centre).cancel(1).catch(() => undefined);
    // Whatever was accepted, the market must hold at least what it owes on open offers.
    const owed = (await m.market.getOffer(2)).status === 1n ? USD("0.25266763") : 0n;
    expect(await fee.balanceOf(await m.market.getAddress())).to.be.gte(owed);
  });

  it("a party blocklisted by the USD token cannot freeze the other side's settlement", async () => {
    const blk = await (await ethers.getContractFactory("BlocklistToken")).deploy(8);
    const m = await marketWith(await blk.getAddress());
    await blk.mint(m.centre.address, USD("10"));
    await blk.connect(m.centre).approve(await m.market.getAddress(), ethers.MaxUint256);
    await m.market.connect(m.centre).publish(m.offer);
    await m.market.connect(m.gen27).accept(1);
    await time.increaseTo(m.start + PERIOD_SECONDS);
    const delivery = { period: m.period, generator: m.gen27.address, adjustmentWh: -KWH("2.3") };
    await m.gridOracle.connect(m.oracle).submitReport(paperReport(m.period + 1n, [delivery]), []);
    await blk.setBlocked(m.gen27.address, true); // the generator is blocklisted
    await m.market.settle(1); // the centre must still get its kWh
    expect(await m.kwh.balanceOf(m.centre.address)).to.equal(KWH("2.3"));
  });
});

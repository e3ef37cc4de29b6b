/**
 * GS-09 (info): in v1 a fee-on-transfer USD token made the escrow insolvent, and a blocklisting
 * token froze a measured offer forever because settlement pushed tokens to both parties (the v1
 * version, commit 99c90d7, fails on b17cdb7: 24,761,429 held against 25,266,763 owed; settlement
 * reverts Blocklisted).
 * v2: deposits credit exactly what arrived and refuse tokens whose balance change differs;
 * settlement moves internal balances and each party withdraws its own (to any address).
 */
import { expect } from "chai";
import {
  BlocklistToken__factory,
  DemandResponseMarket__factory,
  FeeOnTransferToken__factory,
} from "../../typechain-types";
import { ethers } from "hardhat";
import { Asset } from "../../oracle/chain/enums";
import { deployGridSwap, seedGridSwap } from "../../oracle/chain/deploy";
import { readDomain, signOffer, signReport } from "../../oracle/chain/typed-data";
import { time } from "@nomicfoundation/hardhat-network-helpers";
import {
  accounts,
  FAR,
  KWH,
  measurement,
  PAPER_USD,
  PAPER_WH,
  paperReport,
  BASELINE_WH,
  USD,
} from "../contracts/fixtures";
import { BaselineMethod, Direction } from "../../oracle/chain/enums";

/** The production market, except that its USD token is `usdToken`. */
async function marketWith(usdToken: string) {
  const a = await accounts();
  const c = await deployGridSwap(a.deployer, {
    admin: a.admin.address,
    centres: [a.centre.address],
    oracleSigners: [a.o1.address, a.o2.address, a.o3.address],
    oracleThreshold: 2,
    registrar: a.registrar.address,
    issuer: a.issuer.address,
    treasury: a.treasury.address,
  });
  await seedGridSwap(
    c,
    { registrar: a.registrar, issuer: a.issuer, treasury: a.treasury },
    {
      generators: [
        {
          signer: a.gen27,
          node: 27,
          meterKey: a.meter.gen27.address,
          capacityW: 1_000_000,
          issueWh: KWH("10"),
          depositWh: KWH("10"),
        },
      ],
    },
  );
  const market = await new DemandResponseMarket__factory((await ethers.getSigners())[0]).deploy(
    a.admin.address,
    [a.centre.address],
    usdToken,
    c.kwh,
    a.treasury.address,
    c.oracle,
    c.registry,
    {
      gateClosureSeconds: 0,
      settlementGraceSeconds: 7 * 24 * 3600,
      fillHorizonPeriods: 48,
      minDeliveredBps: 5000,
      penaltyBps: 5000,
    },
  );
  return { ...a, ...c, market };
}

describe("GS-09: token behaviour cannot make the market insolvent or freeze a party", () => {
  it("a fee-on-transfer USD token cannot leave the market owing more than it holds", async () => {
    const fee = await new FeeOnTransferToken__factory((await ethers.getSigners())[0]).deploy(100); // 1 %
    const m = await marketWith(await fee.getAddress());
    await fee.mint(m.centre.address, USD("10"));
    await fee.connect(m.centre).approve(await m.market.getAddress(), ethers.MaxUint256);
    await expect(m.market.connect(m.centre).deposit(Asset.Usd, PAPER_USD))
      .to.be.revertedWithCustomError(m.market, "TransferAmountMismatch")
      .withArgs(Asset.Usd, PAPER_USD, PAPER_USD - PAPER_USD / 100n);
    const [owed] = await m.market.balancesOf(m.centre.address);
    expect(await fee.balanceOf(await m.market.getAddress())).to.be.gte(owed);
  });

  it("a party blocklisted by the USD token cannot freeze the other side's settlement", async () => {
    const blk = await new BlocklistToken__factory((await ethers.getSigners())[0]).deploy(8);
    const m = await marketWith(await blk.getAddress());
    const market = await m.market.getAddress();
    await blk.mint(m.centre.address, USD("10"));
    await blk.connect(m.centre).approve(market, ethers.MaxUint256);
    await m.market.connect(m.centre).deposit(Asset.Usd, USD("10"));
    await m.kwh.connect(m.gen27).approve(market, ethers.MaxUint256);
    await m.kwh.connect(m.issuer).issue(m.gen27.address, PAPER_WH);
    await m.market.connect(m.gen27).deposit(Asset.Kwh, PAPER_WH);

    const period = BigInt(await time.latest()) / 1800n + 2n;
    await time.increaseTo(period * 1800n);
    const oracleDomain = await readDomain(m.oracle);
    const report = async (r: ReturnType<typeof paperReport>) =>
      m.oracle.submitReport(r, FAR, await signReport([m.o1, m.o2], oracleDomain, r, 1n, FAR));
    await report(paperReport(period - 1n));
    const offer = {
      centre: m.centre.address,
      generator: ethers.ZeroAddress,
      node: 27,
      direction: Direction.Decrease,
      amountWh: PAPER_WH,
      usd: PAPER_USD,
      period: period + 1n,
      justification: period - 1n,
      deadline: FAR,
      minFillWh: 1n,
      maxFillWh: PAPER_WH,
      baseline: BaselineMethod.Nominated,
      baselineDays: 0,
      epoch: 0,
      nonce: 1n,
    };
    const sig = await signOffer(m.centre, await readDomain(m.market), offer);
    await m.market.connect(m.gen27).fill(offer, sig, PAPER_WH, BASELINE_WH);
    await time.increaseTo((period + 2n) * 1800n);
    const measured = [
      measurement(m.gen27.address, period + 1n, -PAPER_WH, {
        generatorIndex: (await m.registry.generatorOf(m.gen27.address))[3],
      }),
    ];
    await report(paperReport(period + 2n, measured));
    await time.increase(1800n);

    await blk.setBlocked(m.gen27.address, true); // the generator is blocklisted by the USD token
    await m.market.connect(m.stranger).settleReport(period + 2n, measured); // internal balances only
    expect(await m.market.balancesOf(m.centre.address)).to.deep.equal([USD("10") - PAPER_USD, PAPER_WH]);
    // The centre withdraws its kWh; the blocklisted generator cannot receive USD itself, but can
    // withdraw to another address of its own.
    await m.market.connect(m.centre).withdraw(Asset.Kwh, PAPER_WH, m.centre.address);
    await expect(m.market.connect(m.gen27).withdraw(Asset.Usd, PAPER_USD, m.gen27.address))
      .to.be.revertedWithCustomError(blk, "Blocklisted")
      .withArgs(m.gen27.address);
    await m.market.connect(m.gen27).withdraw(Asset.Usd, PAPER_USD, m.stranger.address);
    expect(await blk.balanceOf(m.stranger.address)).to.equal(PAPER_USD);
  });
});

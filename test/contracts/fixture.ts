/**
 * Deployment fixture for the contract tests: tokens, registry, oracle and market wired as in
 * production, one centre, three registered generators with kWh capacity, and helpers to build
 * oracle reports and offers. Units: USD 8 decimals, kWh token 3 decimals (Wh).
 */
import { ethers } from "hardhat";
import { time } from "@nomicfoundation/hardhat-network-helpers";
import { deployGridSwap } from "../../oracle/chain/deploy";
import type { IDemandResponseMarket, IGridOracle } from "../../typechain-types";

export const PERIOD_SECONDS = 1800n;
export const USD = (x: string): bigint => ethers.parseUnits(x, 8);
export const KWH = (x: string): bigint => ethers.parseUnits(x, 3);
export const Direction = { Increase: 0, Decrease: 1 } as const;
export const Status = {
  None: 0n,
  Open: 1n,
  Accepted: 2n,
  Settled: 3n,
  Cancelled: 4n,
  Refunded: 5n,
  Unwound: 6n,
} as const;

export type ReportInput = IGridOracle.ReportStruct;
export type OfferInput = IDemandResponseMarket.OfferParamsStruct;

export async function currentPeriod(): Promise<bigint> {
  return BigInt(await time.latest()) / PERIOD_SECONDS;
}

/** A report for `period` with the paper's three violated lines (W) and optional deliveries. */
export function paperReport(period: bigint, deliveries: IGridOracle.DeliveryStruct[] = []): ReportInput {
  return {
    period,
    inputHash: ethers.keccak256(ethers.toUtf8Bytes(`seed34 period ${period}`)),
    violations: [
      { line: 14, flowW: -764_000n, limitW: 750_000n, deviationW: 14_000n },
      { line: 15, flowW: -765_900n, limitW: 750_000n, deviationW: 15_900n },
      { line: 23, flowW: -770_600n, limitW: 750_000n, deviationW: 20_600n },
    ],
    prices: [{ node: 27, usdPerMWh: -1_500_000_000n }],
    deliveries,
  };
}

export async function deployMarket() {
  const [admin, oracle, centre, gen27, gen34, gen2, stranger] = await ethers.getSigners();
  // The production wiring (oracle/chain/deploy.ts): five contracts, oracle and centre roles.
  const {
    registry,
    usd,
    kwh,
    oracle: gridOracle,
    market,
  } = await deployGridSwap(admin, {
    oracle: oracle.address,
    centre: centre.address,
  });
  for (const [g, node] of [
    [gen27, 27],
    [gen34, 34],
    [gen2, 2],
  ] as const) {
    await registry.register(g.address, node);
    await kwh.issue(g.address, KWH("1000"));
    await kwh.connect(g).approve(await market.getAddress(), ethers.MaxUint256);
  }
  await usd.mint(centre.address, USD("1000"));
  await usd.connect(centre).approve(await market.getAddress(), ethers.MaxUint256);

  // Start at the beginning of a period with the previous period reported (the offer's justification).
  const start = (BigInt(await time.latest()) / PERIOD_SECONDS + 2n) * PERIOD_SECONDS;
  await time.increaseTo(start);
  const period = start / PERIOD_SECONDS;
  await gridOracle.connect(oracle).submitReport(paperReport(period - 1n), []);

  /** The paper's offer: 2.3 kWh of decrease at node 27 for 0.25266763 USD, in the current period. */
  const paperOffer = (overrides: Partial<OfferInput> = {}): OfferInput => ({
    generator: ethers.ZeroAddress,
    node: 27,
    direction: Direction.Decrease,
    kwhAmount: KWH("2.3"),
    usdAmount: USD("0.25266763"),
    period,
    justification: period - 1n,
    expiry: start + 1200n,
    ...overrides,
  });
  return {
    admin,
    oracle,
    centre,
    gen27,
    gen34,
    gen2,
    stranger,
    registry,
    usd,
    kwh,
    gridOracle,
    market,
    period,
    start,
    paperOffer,
  };
}

/**
 * Gas of one demand-response cycle: publish → accept → oracle report → settle.
 *
 *   npm run bench:gas       measure, compare with bench/gas-snapshot.json, exit 1 on a regression
 *   npm run gas:snapshot    measure and rewrite bench/gas-snapshot.json (GAS_SNAPSHOT=update)
 *
 * Runs on Hardhat's in-process network with the production wiring (tokens, registry, oracle,
 * market; as test/contracts/fixture.ts, copied so that the benchmark does not depend on tests).
 * The offer and report are the paper's: 2.3 kWh of decrease at node 27 for 0.25266763 USD, a
 * report with 3 violated lines, 1 nodal price and 1 measured delivery. Figures are
 * receipt.gasUsed (intrinsic 21,000 and calldata included, as the reference figures). The first
 * cycle pays one-time zero → nonzero writes (first report, the generator's first USD, the
 * centre's first kWh); the steady figures are a second, identical cycle one period later. The
 * clock starts at a fixed period so that calldata, hence gas, is the same on every run.
 * A figure more than 2 % above the snapshot fails; improvements pass and are reported.
 */
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { ethers } from "hardhat";
import { time } from "@nomicfoundation/hardhat-network-helpers";
import type { ContractTransactionResponse } from "ethers";
import { deployGridSwap } from "../oracle/chain/deploy";
import type { IGridOracle } from "../typechain-types";

const SNAPSHOT_FILE = join(__dirname, "gas-snapshot.json");
const TOLERANCE = 0.02;
const GOAL_CYCLE = 250_000;
const REFERENCE = {
  seaportOrderFillAvg: 98_688,
  zeroExV4OtcFill: { min: 93_071, max: 112_545 },
};
const PERIOD_SECONDS = 1800n;
/** The benchmark's clock starts at this period boundary (2033-05-18), so calldata never varies. */
const START = 1_111_112n * PERIOD_SECONDS;
const USD = (x: string): bigint => ethers.parseUnits(x, 8);
const KWH = (x: string): bigint => ethers.parseUnits(x, 3);

type Figures = Record<"publish" | "accept" | "report" | "settle" | "cycle", number>;
interface Snapshot {
  steady: Figures;
  firstCycle: Figures;
}

/** The paper's report for `period`: lines 14, 15 and 23 over 750 kW, the price at node 27. */
function paperReport(period: bigint, deliveries: IGridOracle.DeliveryStruct[]): IGridOracle.ReportStruct {
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

async function deploy() {
  const [admin, oracle, centre, gen27, gen34, gen2] = await ethers.getSigners();
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

  const now = BigInt(await time.latest());
  if (now >= START) throw new Error(`the chain's clock (${now}) is past the benchmark's fixed start ${START}`);
  await time.increaseTo(START);
  const period = START / PERIOD_SECONDS;
  await gridOracle.connect(oracle).submitReport(paperReport(period - 1n, []), []);
  return { oracle, centre, gen27, gridOracle, market, period };
}

async function gasOf(tx: Promise<ContractTransactionResponse>): Promise<number> {
  const receipt = await (await tx).wait();
  if (!receipt) throw new Error("no receipt");
  return Number(receipt.gasUsed);
}

/** One paper cycle in `period` (justified by the report of `justification`); gas per step. */
async function cycle(d: Awaited<ReturnType<typeof deploy>>, period: bigint, justification: bigint): Promise<Figures> {
  const { market, gridOracle, centre, gen27, oracle } = d;
  const start = period * PERIOD_SECONDS;
  await time.increaseTo(start + 60n);
  const id = (await market.offerCount()) + 1n;
  const publish = await gasOf(
    market.connect(centre).publish({
      generator: ethers.ZeroAddress,
      node: 27,
      direction: 1, // Decrease
      kwhAmount: KWH("2.3"),
      usdAmount: USD("0.25266763"),
      period,
      justification,
      expiry: start + 1200n,
    }),
  );
  const accept = await gasOf(market.connect(gen27).accept(id));
  await time.increaseTo(start + PERIOD_SECONDS);
  const delivery = { period, generator: gen27.address, adjustmentWh: -KWH("2.3") };
  const report = await gasOf(gridOracle.connect(oracle).submitReport(paperReport(period + 1n, [delivery]), []));
  const settle = await gasOf(market.settle(id));
  const offer = await market.getOffer(id);
  if (offer.status !== 3n) throw new Error(`offer ${id} did not settle (status ${offer.status})`);
  return { publish, accept, report, settle, cycle: publish + accept + report + settle };
}

function compare(current: Snapshot, saved: Snapshot) {
  const regressions: string[] = [];
  const improvements: string[] = [];
  const deltas: Record<string, string> = {};
  for (const group of ["steady", "firstCycle"] as const) {
    for (const [name, now] of Object.entries(current[group]) as [keyof Figures, number][]) {
      const was = saved[group]?.[name];
      const label = `${group}.${name}`;
      if (typeof was !== "number") {
        regressions.push(`${label}: not in the snapshot (run npm run gas:snapshot)`);
        continue;
      }
      if (now === was) continue;
      const pct = ((now - was) / was) * 100;
      deltas[label] = `${was} → ${now} (${pct >= 0 ? "+" : ""}${pct.toFixed(2)} %)`;
      if (now > was * (1 + TOLERANCE))
        regressions.push(`${label} grew ${was} → ${now} gas (+${pct.toFixed(2)} %, tolerance ${TOLERANCE * 100} %)`);
      else if (now < was) improvements.push(`${label} improved ${was} → ${now} gas (${pct.toFixed(2)} %)`);
    }
  }
  return { regressions, improvements, deltas };
}

async function main(): Promise<void> {
  const d = await deploy();
  const firstCycle = await cycle(d, d.period, d.period - 1n); // warm-up: one-time zero → nonzero writes
  const steady = await cycle(d, d.period + 1n, d.period + 1n);
  const current: Snapshot = { steady, firstCycle };

  const update = process.env.GAS_SNAPSHOT === "update";
  let snapshot: Record<string, unknown>;
  let failures: string[] = [];
  if (update) {
    writeFileSync(SNAPSHOT_FILE, `${JSON.stringify(current, null, 2)}\n`);
    snapshot = { file: "bench/gas-snapshot.json", mode: "updated" };
  } else {
    let saved: Snapshot;
    try {
      saved = JSON.parse(readFileSync(SNAPSHOT_FILE, "utf8")) as Snapshot;
    } catch (e) {
      throw new Error(`cannot read ${SNAPSHOT_FILE} (create it with npm run gas:snapshot): ${(e as Error).message}`);
    }
    const { regressions, improvements, deltas } = compare(current, saved);
    failures = regressions;
    snapshot = {
      file: "bench/gas-snapshot.json",
      mode: "compare",
      tolerance: `${TOLERANCE * 100} %`,
      result: regressions.length > 0 ? "regression" : improvements.length > 0 ? "improved" : "unchanged",
      changes: deltas,
    };
    for (const line of improvements) console.error(`gas: ${line}; refresh with npm run gas:snapshot`);
  }

  console.log(
    JSON.stringify({
      unit: "gas (receipt.gasUsed, incl. 21,000 intrinsic and calldata)",
      steady,
      firstCycle,
      goal: { cycleMax: GOAL_CYCLE, met: steady.cycle <= GOAL_CYCLE },
      reference: REFERENCE,
      snapshot,
    }),
  );
  if (failures.length > 0) {
    for (const line of failures) console.error(`gas regression: ${line}`);
    console.error("If the increase is intended, update the snapshot: npm run gas:snapshot");
    process.exitCode = 1;
  }
}

main().catch((e: unknown) => {
  console.error(e);
  process.exitCode = 1;
});

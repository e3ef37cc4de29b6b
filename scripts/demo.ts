/**
 * The paper, end to end, on Hardhat's in-process network:
 *   npm run demo [-- --paper] [-- --scenario accept|reject|nondelivery|all]
 *
 * Period 1: load flow of seed34 with the Table I violations → report on-chain → offer published
 * with USD escrow → the node-27 generator's wallet decodes it and decides → accepts with its kWh
 * commitment. Period 2: load flow with the generator's adjustment applied → report carrying the
 * measured delivery → settlement. `--paper` publishes exactly the paper's offer (2.3 kWh for
 * 0.25266763 USD) instead of the computed one. Scenarios: "reject" shows an under-priced offer
 * refused (and cancelled by the centre); "nondelivery" an accepted offer not delivered, with the
 * penalty applied.
 */
import { readFileSync } from "node:fs";
import { join } from "node:path";
import hre from "hardhat";
import { time } from "@nomicfoundation/hardhat-network-helpers";
import type { ContractTransactionResponse } from "ethers";
import { loadCase } from "../oracle";
import { runPeriod, type PeriodResult } from "../oracle/market/period";
import { deployGridSwap, type GridSwapContracts } from "../oracle/chain/deploy";
import { inputHash, toOfferParams, toReport } from "../oracle/chain/encode";
import { decide, readOffers, type GeneratorPolicy } from "../oracle/chain/generator";
import { kwhToWh, PERIOD_SECONDS, unitsToUsd, usdToUnits, whToKwh } from "../oracle/chain/units";

export type Scenario = "accept" | "reject" | "nondelivery";

export interface DemoOptions {
  readonly paper?: boolean;
  readonly scenario?: Scenario;
  readonly log?: (line: string) => void;
}

export interface DemoSummary {
  readonly scenario: Scenario;
  readonly accepted: boolean;
  readonly reason: string;
  readonly offer: { readonly kwh: number; readonly usd: number };
  readonly settled: boolean;
  readonly violationsBefore: number;
  readonly violationsAfter: number;
  /** Balance changes over the demo: USD and kWh of the centre and the generator. */
  readonly changes: { centreUsd: number; centreKwh: number; generatorUsd: number; generatorKwh: number };
  readonly gas: Record<string, number>;
}

const CASE = join(__dirname, "..", "cases", "seed34.json");
const PAPER = { kwh: 2.3, usd: 0.25266763 };

export async function runDemo(options: DemoOptions = {}): Promise<DemoSummary> {
  const log = options.log ?? ((line: string) => console.log(line));
  const scenario = options.scenario ?? "accept";
  const { ethers } = hre;
  const [admin, oracleWallet, centre, gen27] = await ethers.getSigners();
  const gas: Record<string, number> = {};
  const sent = async (label: string, tx: Promise<ContractTransactionResponse>): Promise<void> => {
    const receipt = await (await tx).wait();
    if (!receipt) throw new Error(`${label}: no receipt`);
    gas[label] = Number(receipt.gasUsed);
    log(`  tx ${label}: ${receipt.hash} (${receipt.gasUsed} gas)`);
  };

  log(`== GridSwap demo: scenario "${scenario}"${options.paper ? ", the paper's offer" : ""} ==`);
  const c: GridSwapContracts = await deployGridSwap(admin, { oracle: oracleWallet.address, centre: centre.address });
  await (await c.registry.register(gen27.address, 27)).wait();
  await (await c.kwh.issue(gen27.address, kwhToWh(100))).wait();
  await (await c.usd.mint(centre.address, usdToUnits(100))).wait();
  await (await c.usd.connect(centre).approve(await c.market.getAddress(), ethers.MaxUint256)).wait();
  log(`deployed: market ${await c.market.getAddress()}, oracle ${await c.oracle.getAddress()}`);
  const balances = async () => ({
    centreUsd: unitsToUsd(await c.usd.balanceOf(centre.address)),
    centreKwh: whToKwh(await c.kwh.balanceOf(centre.address)),
    generatorUsd: unitsToUsd(await c.usd.balanceOf(gen27.address)),
    generatorKwh: whToKwh(await c.kwh.balanceOf(gen27.address)),
  });
  const before = await balances();
  log(`balances before: ${JSON.stringify(before)}`);

  // Period 1 starts now, at a period boundary.
  const period1 = Math.floor((await time.latest()) / PERIOD_SECONDS) + 1;
  await time.increaseTo(period1 * PERIOD_SECONDS);
  const caseText = readFileSync(CASE, "utf8");
  const seed34 = loadCase(CASE);
  const first = await runPeriod(seed34, { periodStart: period1 * PERIOD_SECONDS });
  log(`\n-- period ${period1}: load flow`);
  printViolations(first, log);
  const unitNodes = seed34.operation?.units.map((u) => seed34.gen[u.gen - 1][0]) ?? [];
  await sent(
    "report",
    c.oracle.connect(oracleWallet).submitReport(toReport(period1, inputHash(caseText, {}), first, [], unitNodes), []),
  );

  // The centre publishes the offer to buy gen 27's adjustment.
  const computed = first.offers.find((o) => o.node === 27);
  if (!computed) throw new Error("the period produced no offer for node 27");
  const terms =
    scenario === "reject"
      ? { ...computed, usd: computed.usd / 4 } // under-priced on purpose
      : options.paper
        ? { ...computed, kwh: PAPER.kwh, usd: PAPER.usd }
        : computed;
  const expiry = period1 * PERIOD_SECONDS + 20 * 60;
  await sent("publish", c.market.connect(centre).publish(toOfferParams(terms, period1, period1, expiry)));

  // The generator reads the bulletin board with its own wallet and decides.
  const policy: GeneratorPolicy = {
    address: gen27.address,
    node: 27,
    costUsdPerKwh: 0.01,
    marginUsdPerKwh: 0.002,
    capacityKwh: 50,
  };
  const [offer] = (await readOffers(c.market)).slice(-1);
  log(`\n-- offer #${offer.id} decoded from the bulletin board`);
  log(
    `  ${offer.direction} ${offer.kwh} kWh at node ${offer.node} in period ${offer.period} for ${offer.usd} USD ` +
      `(${(offer.usd / offer.kwh).toFixed(6)} USD/kWh), justified by report ${offer.justification}, expires ${new Date(offer.expiry * 1000).toISOString()}`,
  );
  const decision = decide(policy, offer, await time.latest());
  log(`  generator at node 27: ${decision.accept ? "ACCEPT" : "REJECT"} — ${decision.reason}`);
  let settled = false;
  let second: PeriodResult = first;
  if (!decision.accept) {
    await sent("cancel", c.market.connect(centre).cancel(offer.id));
  } else {
    await (await c.kwh.connect(gen27).approve(await c.market.getAddress(), kwhToWh(offer.kwh))).wait();
    await sent("accept", c.market.connect(gen27).accept(offer.id));

    // Delivery during period 1: the generator moves its output by the offered energy (or not at all).
    const deliveredKwh = scenario === "nondelivery" ? 0 : offer.direction === "decrease" ? -offer.kwh : offer.kwh;
    const deltaMW = deliveredKwh / 1000 / (PERIOD_SECONDS / 3600);
    const gen = seed34.gen.map((g) => [...g]);
    const row = seed34.operation?.units.find((u) => seed34.gen[u.gen - 1][0] === 27)?.gen ?? 3;
    gen[row - 1][1] += deltaMW;
    const period2 = period1 + 1;
    await time.increaseTo(period2 * PERIOD_SECONDS);
    second = await runPeriod({ ...seed34, gen }, { periodStart: period2 * PERIOD_SECONDS });
    log(`\n-- period ${period2}: load flow with gen 27 at ${gen[row - 1][1].toFixed(4)} MW`);
    printViolations(second, log);
    const delivery = { period: period1, generator: gen27.address, adjustmentKwh: deliveredKwh };
    await sent(
      "report+delivery",
      c.oracle
        .connect(oracleWallet)
        .submitReport(toReport(period2, inputHash(caseText, { gen }), second, [delivery], unitNodes), []),
    );
    await sent("settle", c.market.settle(offer.id));
    settled = true;
    const event = (await c.market.queryFilter(c.market.filters.OfferSettled(offer.id)))[0].args;
    log(
      `  settled: delivered ${whToKwh(event.deliveredWh)} of ${offer.kwh} kWh; ` +
        `${unitsToUsd(event.usdToGenerator)} USD to the generator, ${unitsToUsd(event.usdToCentre)} USD back to the centre, ` +
        `${whToKwh(event.kwhToCentre)} kWh to the centre`,
    );
  }

  const after = await balances();
  log(`\nbalances after: ${JSON.stringify(after)}`);
  const changes = {
    centreUsd: round(after.centreUsd - before.centreUsd),
    centreKwh: round(after.centreKwh - before.centreKwh),
    generatorUsd: round(after.generatorUsd - before.generatorUsd),
    generatorKwh: round(after.generatorKwh - before.generatorKwh),
  };
  const summary: DemoSummary = {
    scenario,
    accepted: decision.accept,
    reason: decision.reason,
    offer: { kwh: offer.kwh, usd: offer.usd },
    settled,
    violationsBefore: first.violations.lines.length,
    violationsAfter: second.violations.lines.length,
    changes,
    gas,
  };
  log(`summary: ${JSON.stringify(summary)}`);
  return summary;
}

const round = (x: number): number => Math.round(x * 1e8) / 1e8;

function printViolations(r: PeriodResult, log: (line: string) => void): void {
  const lines = r.violations.lines.filter((v) => v.kind === "active");
  if (lines.length === 0) {
    log("  no line over its limit");
    return;
  }
  log("  line     P (MW)  limit  deviation");
  for (const v of lines) {
    log(
      `  ${`${v.from}-${v.to}`.padEnd(6)} ${v.value.toFixed(4).padStart(8)} ${v.limit.toFixed(2).padStart(6)} ${v.deviation.toFixed(4).padStart(10)}`,
    );
  }
}

function parseArgs(argv: string[]): DemoOptions & { all: boolean } {
  let paper = false;
  let scenario: Scenario = "accept";
  let all = false;
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a === "--paper") paper = true;
    else if (a === "--scenario") {
      const v = argv[++i];
      if (v === "all") all = true;
      else if (v === "accept" || v === "reject" || v === "nondelivery") scenario = v;
      else throw new Error(`--scenario must be accept, reject, nondelivery or all, got '${v}'`);
    } else
      throw new Error(
        `unknown option '${a}' (usage: npm run demo -- [--paper] [--scenario accept|reject|nondelivery|all])`,
      );
  }
  return { paper, scenario, all };
}

async function main(): Promise<void> {
  const args = parseArgs(process.argv.slice(2));
  const scenarios: Scenario[] = args.all ? ["accept", "reject", "nondelivery"] : [args.scenario ?? "accept"];
  for (const scenario of scenarios) {
    await runDemo({ paper: args.paper, scenario });
    console.log("");
  }
}

if (require.main === module) {
  main().catch((e: unknown) => {
    console.error(`demo: ${e instanceof Error ? e.message : String(e)}`);
    process.exitCode = 1;
  });
}

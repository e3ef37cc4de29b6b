/**
 * GS-23 (medium): a generator restarted while its fill was pending filled again. Its capacity was
 * read from the latest block, which did not hold the pending fill yet, so the restarted process
 * sent a second fill and committed more than its capacity (the fault harness: 10,000 Wh against
 * 5 kWh with 12-s blocks); the second position is penalised when it is not delivered.
 *
 * v3.1 writes the signed fill to the state file before broadcasting it; a restarted process finds
 * it there and waits for it before it decides anything. Fails on 02c5ff5: two fills, 1,953 Wh
 * committed against a 1 kWh capacity.
 */
import { expect } from "chai";
import { join } from "node:path";
import { network } from "hardhat";
import { GeneratorAgent } from "../../oracle/agents/generator";
import type { PlannedOffer } from "../../oracle/agents/centre";
import { testWorld, start } from "../oracle/agents/world-fixture";

describe("GS-23: a generator restarted with its fill pending does not fill again", () => {
  afterEach(() => network.provider.send("evm_setAutomine", [true]));

  it("the restarted process waits for the pending fill: one fill, within its 1 kWh capacity", async () => {
    let trade = true;
    // The world's own agent for this wallet refuses every offer (cost above any price): the
    // agents under test are the two below, one process and its restart.
    const w = await testWorld([{ node: 27, costUsdPerKwh: 1_000 }], {
      offersFor: (study) =>
        trade ? ((trade = false), study.offers.filter((o) => o.node === 27) as PlannedOffer[]) : [],
    });
    await start(w);
    const step = await w.centre.step();
    expect(step.posted, step.problems.join("; ")).to.have.length(1);
    const { wallet, policy } = w.generators[0];
    const statePath = join(w.dir, "generator.json");
    const agent = (): GeneratorAgent =>
      new GeneratorAgent({
        contracts: w.contracts,
        deployBlock: w.deployBlock,
        wallet,
        policy: { ...policy, costUsdPerKwh: 0.01, capacityKwh: 1 },
        statePath,
      });

    await network.provider.send("evm_setAutomine", [false]);
    // The first process fills and is "killed" while its fill is pending: it never sees a receipt.
    const first = agent();
    void first.poll().catch(() => undefined);
    const provider = w.contracts.market.runner!.provider!;
    for (
      let i = 0;
      i < 200 &&
      (await provider.getTransactionCount(wallet.address, "pending")) ===
        (await provider.getTransactionCount(wallet.address, "latest"));
      i++
    ) {
      await new Promise((r) => setTimeout(r, 25));
    }
    expect(await provider.getTransactionCount(wallet.address, "pending"), "the fill is pending").to.be.greaterThan(
      await provider.getTransactionCount(wallet.address, "latest"),
    );
    // Its restart, from the same state file.
    const restarted = agent().poll();
    await new Promise((r) => setTimeout(r, 1500));
    await network.provider.send("hardhat_mine", ["0x1"]);
    await network.provider.send("evm_setAutomine", [true]);
    await restarted;

    const fills = await w.contracts.market.queryFilter(w.contracts.market.filters.Filled(undefined, wallet.address));
    expect(fills, "one fill").to.have.length(1);
    const book = await w.contracts.market.bookOf(wallet.address, fills[0].args.period);
    expect(book.committedWh, "within the 1 kWh capacity").to.be.at.most(1000n);
  });
});

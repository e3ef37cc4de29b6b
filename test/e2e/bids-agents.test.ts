/**
 * Sealed bids across processes (issue #25; docs/bids.md), on Anvil with a block a second: a
 * deployment with a bid book, three `agent:oracle` operators, `agent:centre`, and two
 * `agent:generator` processes bidding from their command-line policies (--bid-up/--bid-down). The
 * test moves the chain's clock through one auction — before the gate, the reveal window, the
 * centre's study — and checks each step on chain: both commitments sealed before the gate, both
 * bids revealed in the window, the selection published and verified by the bid book and by every
 * operator, the offers of the period reserved for the selected bidders, each filled by its bidder.
 */
import { expect } from "chai";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { JsonRpcProvider } from "ethers";
import { DEV_KEYS, deployTo, startAnvil, type LocalNode } from "../../scripts/devnet";
import { attachBidBook, attachContracts } from "../../oracle/chain/deployments";
import { bidTimes, readBidBookEvents, readBidBookTerms, selectedStepStruct } from "../../oracle/chain/bids";
import { advanceDevChain, chainNow } from "../../oracle/chain/clock";
import { AgentProcess, provider, startOperators, waitFor, type OperatorSet } from "./agent-process";

describe("sealed bids with every agent a process (Anvil)", function () {
  this.timeout(600_000);
  let node: LocalNode;
  let dir: string;
  const agents: AgentProcess[] = [];
  let operators: OperatorSet | undefined;
  let p: JsonRpcProvider | undefined;

  before(async function () {
    AgentProcess.build();
    node = await startAnvil();
    dir = mkdtempSync(join(tmpdir(), "gridswap-bids-"));
  });
  after(async () => {
    for (const a of [...agents, ...(operators?.processes ?? [])]) await a?.stop();
    p?.destroy();
    await node?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it("commit before the gate, reveal after it, selection verified by all, reserved offers filled by the bidders", async () => {
    const rpc = provider(node.url, 31337n);
    await rpc.send("evm_setAutomine", [true]);
    const { path, file, market } = await deployTo(node.url, DEV_KEYS[0], {
      generators: [{ node: 2 }, { node: 27 }],
      path: join(dir, "deployment.json"),
      seed: "bids-e2e",
      bids: {},
    });
    await rpc.send("evm_setIntervalMining", [1]);
    rpc.destroy();
    p = provider(node.url, BigInt(file.chainId));
    const c = attachContracts(file.addresses, p);
    const book = attachBidBook(file.addresses, p)!;
    const terms = await readBidBookTerms(book);
    const T = file.periodSeconds;
    const logs = (): string =>
      [...agents, ...(operators?.processes ?? [])].map((a, i) => `--- process ${i}\n${a?.output ?? ""}`).join("\n");

    operators = await startOperators({
      rpcUrl: node.url,
      deployment: path,
      keys: market.accounts.oracleSigners.map((w) => w.privateKey),
      dir,
      meters: () => ["--simulate-meters", "--insecure-unsigned-readings"],
    });
    const common = ["--deployment", path, "--interval-seconds", "1"];
    agents.push(
      AgentProcess.start(
        "agent-centre",
        [
          ...operators.urls.flatMap((u) => ["--oracle", u]),
          "--reading-grace-seconds",
          "0",
          "--state",
          join(dir, "centre.json"),
          ...common,
        ],
        { RPC_URL: node.url, CENTRE_KEY: market.accounts.centre.privateKey },
      ),
    );
    const bids = [
      ["2", "0.19", ["--bid-up", "104", "--bid-down", "22"]],
      ["27", "0.64", ["--bid-up", "140", "--bid-down", "15.6", "--bid-steps", "1"]],
    ] as const;
    bids.forEach(([nodeId, planned, flags], i) =>
      agents.push(
        AgentProcess.start(
          "agent-generator",
          [
            "--node",
            nodeId,
            "--cost",
            "0.01",
            "--capacity",
            "50",
            "--planned-mw",
            planned,
            ...flags,
            "--state",
            join(dir, `generator-${i}.json`),
            ...common,
          ],
          { RPC_URL: node.url, GENERATOR_KEY: market.accounts.generators[i].wallet.privateKey },
        ),
      ),
    );
    const bidders = market.accounts.generators.map((g) => g.wallet.address);

    // The first delivery period whose bid gate is a minute or more ahead: both commit to it, sealed.
    const now = await chainNow(p);
    let D = Math.floor(now / T) + 1;
    while (bidTimes(D, terms).bidGate < now + 60) D++;
    const { bidGate, revealEnd } = bidTimes(D, terms);
    await waitFor("two sealed commitments", async () => Number(await book.commitmentCount(D)) === 2, 120_000, logs);
    const sealed = await readBidBookEvents(book, file.deployBlock);
    expect(sealed.reveals.filter((r) => r.sealed.firstPeriod === D)).to.deep.equal([]);

    // The gate closes; each generator reveals its own bid in the window.
    await advanceDevChain(p, bidGate + 5);
    await waitFor(
      "both reveals",
      async () =>
        (await readBidBookEvents(book, file.deployBlock)).reveals.filter((r) => r.sealed.firstPeriod === D).length ===
        2,
      120_000,
      logs,
    );
    expect(await chainNow(p)).to.be.lessThan(revealEnd);

    // The period before D begins: the centre studies D with the bids, reports, publishes, posts.
    await advanceDevChain(p, (D - 1) * T + 5);
    const selection = await waitFor(
      "the selection of D",
      async () => (await readBidBookEvents(book, file.deployBlock)).selections.find((s) => s.period === D),
      180_000,
      logs,
    );
    expect(selection.steps.length).to.be.greaterThan(0);
    expect(
      await book.verifySelection(
        D,
        selection.pricingRule,
        selection.inputHash,
        selection.steps.map(selectedStepStruct),
      ),
    ).to.equal(true);
    const selected = [...new Set(selection.steps.map((s) => s.generator.toLowerCase()))];
    const fills = await waitFor(
      "the selected generators' fills",
      async () => {
        const f = (await c.market.queryFilter(c.market.filters.Filled())).filter((x) => Number(x.args.period) === D);
        return f.length >= selected.length ? f : undefined;
      },
      120_000,
      logs,
    );
    expect(fills.map((f) => f.args.generator.toLowerCase()).sort()).to.deep.equal(selected.sort());
    const posted = (await c.market.queryFilter(c.market.filters.OfferPosted())).filter(
      (x) => Number(x.args.offer.period) === D,
    );
    // Offers reserved for the selected bidders; any other is a fallback unit's (no bid at its node).
    const bidderNodes = [2, 27];
    for (const o of posted) {
      const to = o.args.offer.generator.toLowerCase();
      if (BigInt(to) !== 0n) expect(selected).to.include(to);
      else expect(bidderNodes).to.not.include(Number(o.args.offer.node));
    }
    expect(selected.every((g) => bidders.map((b) => b.toLowerCase()).includes(g))).to.equal(true);
    // Every operator checked the selection against its own study of the report's inputs.
    await waitFor(
      "three operators verifying the selection",
      async () =>
        (operators?.processes ?? []).every((o) =>
          new RegExp(`selection of period ${D} by \\S+: verified`).test(o?.output ?? ""),
        ),
      60_000,
      logs,
    );
    for (const g of agents.slice(1)) expect(g.output).to.match(new RegExp(`revealed my bid for period ${D}`));
  });
});

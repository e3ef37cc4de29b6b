/**
 * The README's devnet section, run as written against both nodes it names — so the page cannot
 * drift from what works. The node lines (`<!-- devnet-nodes -->`) give each node's flags and
 * environment (Anvil's --block-time, hardhat node's HARDHAT_MINING_INTERVAL); the recipe block
 * (`<!-- devnet-recipe -->`) runs unchanged in bash with -e and pipefail: deploy, register,
 * issue, fund, deposit, mint, the centre and generator agents as processes with simulated meters,
 * the clock moved between periods, offers, history and balances. Only RPC_URL differs: each node
 * listens on a free loopback port (the block reads `${RPC_URL:-…}`).
 *
 * The block runs in a sandbox directory that links the project's files, so its deployments/ and
 * .gridswap/ stay out of the working tree. Checked from here, on chain: the generator's position
 * settled and it was paid. Run alone with `npm run devnet:test`; Anvil is skipped, saying so, when
 * its binary is absent. No timing is asserted; timeouts only stop a stuck process.
 */
import { expect } from "chai";
import { readFileSync, rmSync } from "node:fs";
import { join } from "node:path";
import { JsonRpcProvider } from "ethers";
import { DemandResponseMarket__factory } from "../../typechain-types";
import { anvilBinary, startAnvil, startHardhatNode, type LocalNode } from "../../scripts/devnet";
import { BLOCK_TIMEOUT_MS, markedBlock, nodeLine, runBlock, sandbox } from "./helpers";

const GENERATOR = "0xebb0775c8157A4C1264b3B50729CB3872997f68b";

async function checkSettled(node: LocalNode, dir: string, output: string): Promise<void> {
  const file = JSON.parse(readFileSync(join(dir, "deployments", "devnet.json"), "utf8"));
  expect(file.deployBlock, "deployment file carries the deploy block").to.be.a("number");
  expect(file.roles.centres).to.have.length(1);
  const provider = new JsonRpcProvider(node.url, undefined, { staticNetwork: true });
  try {
    const market = DemandResponseMarket__factory.connect(file.addresses.market, provider);
    const settled = await market.queryFilter(market.filters.Settled(), file.deployBlock);
    expect(settled, output).to.have.length(1);
    expect(settled[0].args.settlement.usdToGenerator).to.be.greaterThan(0n);
    const [usd] = await market.balancesOf(GENERATOR);
    expect(usd).to.equal(settled[0].args.settlement.usdToGenerator);
  } finally {
    provider.destroy();
  }
  expect(output).to.match(/agent:generator: filled offer 0x[0-9a-f]{8}/);
  expect(output).to.match(/agent:generator: paid for my commitment in period \d+/);
  expect(output).to.match(
    // gridswap:history: generator, period, direction, fills, kWh, USD, nominated kWh, state, …
    /0xebb0775c8157A4C1264b3B50729CB3872997f68b\s+\d+\s+Decrease\s+\d+\s+[\d.]+\s+[\d.]+\s+[\d.]+\s+settled/,
  );
}

describe("README devnet section, as written", function () {
  this.timeout(BLOCK_TIMEOUT_MS + 180_000);
  const recipe = markedBlock("README.md", "devnet-recipe");
  const nodes = markedBlock("README.md", "devnet-nodes");
  let dir: string;

  beforeEach(function () {
    dir = sandbox();
  });
  afterEach(function () {
    rmSync(dir, { recursive: true, force: true });
  });

  it("names both nodes with the flags that make periods advance", function () {
    expect(nodeLine(nodes, "npx anvil").args).to.include("--block-time");
    expect(nodeLine(nodes, "npx hardhat node").env).to.have.property("HARDHAT_MINING_INTERVAL");
  });

  it("on hardhat node with interval mining", async function () {
    const { env, args } = nodeLine(nodes, "npx hardhat node");
    const saved = { ...process.env };
    Object.assign(process.env, env); // the node inherits the environment the README gives it
    let node: LocalNode;
    try {
      node = await startHardhatNode({ args });
    } finally {
      for (const k of Object.keys(env)) {
        if (saved[k] === undefined) delete process.env[k];
        else process.env[k] = saved[k];
      }
    }
    try {
      // Interval mining: the clock moves with no transaction.
      const provider = new JsonRpcProvider(node.url, undefined, { staticNetwork: true });
      const first = await provider.getBlockNumber();
      await new Promise((r) => setTimeout(r, 2_500));
      expect(await provider.getBlockNumber(), "hardhat node mines on an interval").to.be.greaterThan(first);
      provider.destroy();
      const r = await runBlock(recipe, dir, { RPC_URL: node.url });
      expect(r.code, r.output).to.equal(0);
      await checkSettled(node, dir, r.output);
    } finally {
      await node.stop();
    }
  });

  it("on Anvil", async function () {
    if (!anvilBinary()) {
      console.log("    (skipped: no Anvil binary for this platform; install @foundry-rs/anvil or set ANVIL_BIN)");
      this.skip();
    }
    const node = await startAnvil({ args: nodeLine(nodes, "npx anvil").args });
    try {
      const r = await runBlock(recipe, dir, { RPC_URL: node.url });
      expect(r.code, r.output).to.equal(0);
      await checkSettled(node, dir, r.output);
    } finally {
      await node.stop();
    }
  });
});

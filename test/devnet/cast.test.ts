/**
 * docs/integrating.md's cast-only sequence, run as written against Anvil, from the state the page
 * says it starts from: the README's devnet recipe (taken from README.md) up to its first centre
 * step, then the page's cast-fill block in place of the generator agent, then the rest of the
 * recipe (measurement and settlement by the agents), then the page's settlement block. The shell's
 * PATH is a fresh shell's — this process's PATH without npm's node_modules/.bin entries — so the
 * block must reach `cast` by itself, as a reader's shell does. Checked: the board decoded, the fill
 * from the vault the recipe filled (nothing to deposit), the decoded settlement and the balances.
 * Skipped, saying so, without the Anvil or cast binary. No timing is asserted.
 */
import { expect } from "chai";
import { existsSync, rmSync } from "node:fs";
import { delimiter, join } from "node:path";
import { anvilBinary, startAnvil } from "../../scripts/devnet";
import { BLOCK_TIMEOUT_MS, markedBlock, nodeLine, runBlock, sandbox } from "./helpers";

const ROOT = join(__dirname, "..", "..");
const BIN = join(ROOT, "node_modules", ".bin");

/** PATH as a new shell has it: without the node_modules/.bin (and node-gyp) entries `npm run` adds. */
export function freshShellPath(path = process.env.PATH ?? ""): string {
  return path
    .split(delimiter)
    .filter((p) => p !== "" && !/[\\/]node_modules[\\/]\.bin[\\/]?$/.test(p) && !/node-gyp-bin[\\/]?$/.test(p))
    .join(delimiter);
}

/** The README recipe split after its first centre step (an offer on the board, nothing filled yet). */
function recipeAroundFirstCentreStep(): { head: string; tail: string } {
  const lines = markedBlock("README.md", "devnet-recipe").split("\n");
  const at = lines.findIndex((l) => /^\$CENTRE_AGENT\b/.test(l));
  if (at < 0) throw new Error("README.md's devnet recipe has no $CENTRE_AGENT step");
  return { head: lines.slice(0, at + 1).join("\n"), tail: lines.slice(at + 1).join("\n") };
}

describe("docs/integrating.md cast sequence, as written, on Anvil", function () {
  this.timeout(BLOCK_TIMEOUT_MS + 60_000);

  it("from the README recipe's state: lists and decodes the board, fills with cast send, reads the settlement", async function () {
    if (!anvilBinary() || !existsSync(join(BIN, "cast"))) {
      console.log("    (skipped: no Anvil or cast binary; install @foundry-rs/anvil and @foundry-rs/cast)");
      this.skip();
    }
    const { head, tail } = recipeAroundFirstCentreStep();
    const fill = markedBlock("docs/integrating.md", "cast-fill");
    const settlement = markedBlock("docs/integrating.md", "cast-settlement");
    const PATH = freshShellPath();
    expect(PATH.split(delimiter)).to.not.include(BIN);
    const node = await startAnvil({ args: nodeLine(markedBlock("README.md", "devnet-nodes"), "npx anvil").args });
    const dir = sandbox();
    try {
      // Without the page's PATH line, cast is not there: the block, not this test, makes it reachable.
      const bare = await runBlock("command -v cast", dir, { RPC_URL: node.url, PATH });
      if (bare.code === 0) console.log(`    (note: this machine has cast on its own PATH: ${bare.output.trim()})`);
      const script = [head, fill, tail, settlement].join("\n");
      const r = await runBlock(script, dir, { RPC_URL: node.url, PATH });
      expect(r.code, r.output).to.equal(0);
      expect(r.output).to.match(
        /offer 0x[0-9a-f]{64} status 0: \(0x3C44CdDdB6a900fa2b585dd299e03d12FA4293BC, 0x0{40}, 27, 1, 1953, 2929409,/,
      );
      // The recipe's 100 kWh are in the vault: nothing to approve or deposit.
      expect(r.output).to.match(/free in the vault: 100000 Wh; the offer: 1953 Wh/);
      // bookOf: (period, Open, Decrease, Nominated, 0 days, 1953 Wh, the USD, index, centre, nominated 300 kWh).
      expect(r.output).to.match(
        /\(\d+(?: \[[^\]]*\])?, 1, 1, 0, 0, 1953, 2929409 \[2\.929e6\], \d+, 0x3C44CdDdB6a900fa2b585dd299e03d12FA4293BC, 300000 \[3e5\]\)/,
      );
      // The generator agent that follows finds the offer filled, and later logs its wallet's payment.
      expect(r.output).to.match(/agent:generator: paid for my commitment in period \d+/);
      // Settled: committed 1953 Wh, credited −1953 Wh (output lowered), delivered and paid 1953 Wh, no
      // penalty, 0.02929409 USD to the generator, none back to the centre, quality Ok.
      expect(r.output).to.match(/\(1953, -1953, 1953, 1953, 0, 2929409 \[2\.929e6\], 0, 0\)/);
      // balancesOf: the payment in free USD; of the 100 kWh, the commitment went to the centre, the rest
      // is free — less one more commitment if the recipe's last generator step filled the next offer.
      const balances = /\n2929409 \[2\.929e6\]\n(\d+)(?: \[[^\]]*\])?\n/.exec(r.output);
      expect(balances, r.output.slice(-1500)).to.not.equal(null);
      expect([100_000 - 1953, 100_000 - 2 * 1953]).to.include(Number(balances![1]));
    } finally {
      await node.stop();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

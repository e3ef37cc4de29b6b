/**
 * docs/integrating.md's cast-only sequence, run as written against Anvil with the pinned npm
 * `@foundry-rs/cast`: list the board and decode it, check an offer's hash, deposit the kWh
 * commitment and fill with `cast send`, find the position; then — after the centre has measured
 * and settled (gridswap tasks) — decode the settlement and read the vault balances with `cast`.
 * Checked here: the decoded settlement and the balances. Skipped, saying so, without the Anvil or
 * cast binary. No timing is asserted.
 */
import { expect } from "chai";
import { existsSync } from "node:fs";
import { rmSync } from "node:fs";
import { join } from "node:path";
import { anvilBinary, startAnvil } from "../../scripts/devnet";
import { BLOCK_TIMEOUT_MS, markedBlock, runBlock, sandbox } from "./helpers";

const ROOT = join(__dirname, "..", "..");
const BIN = join(ROOT, "node_modules", ".bin");

/** What the doc assumes: the README recipe up to the centre's first step, the generator's kWh still in its wallet. */
const SETUP = `
npx hardhat gridswap:deploy --network devnet
export GENERATOR_KEY=0xe772a83f0e25281bb10ecc9b87bc31beb3c56e27a06bd9590aa0f1bb7760f351
npx hardhat gridswap:register --network devnet --generator 0xebb0775c8157A4C1264b3B50729CB3872997f68b --node 27 --meter 0x4138197B2e9dC5DDb98caD2964Bf2228510e5805
npx hardhat gridswap:issue --network devnet --generator 0xebb0775c8157A4C1264b3B50729CB3872997f68b --kwh 100
npx hardhat gridswap:fund --network devnet --to 0xebb0775c8157A4C1264b3B50729CB3872997f68b
npx hardhat gridswap:mint --network devnet --to 0x3C44CdDdB6a900fa2b585dd299e03d12FA4293BC --usd 1000
npx hardhat gridswap:advance --network devnet
npx hardhat gridswap:period --network devnet --simulate-meters
`;

/** The centre measures the delivery period and settles one dispute window later. */
const MEASURE_AND_SETTLE = `
npx hardhat gridswap:advance --network devnet --periods 2
npx hardhat gridswap:period --network devnet --simulate-meters
npx hardhat gridswap:advance --network devnet --offset-seconds 120
npx hardhat gridswap:period --network devnet --simulate-meters
`;

describe("docs/integrating.md cast sequence, as written, on Anvil", function () {
  this.timeout(BLOCK_TIMEOUT_MS + 60_000);

  it("lists and decodes the board, fills with cast send, and reads the settlement and balances", async function () {
    if (!anvilBinary() || !existsSync(join(BIN, "cast"))) {
      console.log("    (skipped: no Anvil or cast binary; install @foundry-rs/anvil and @foundry-rs/cast)");
      this.skip();
    }
    const fill = markedBlock("docs/integrating.md", "cast-fill");
    const settlement = markedBlock("docs/integrating.md", "cast-settlement");
    const node = await startAnvil({ args: ["--block-time", "1"] });
    const dir = sandbox();
    try {
      const script = [SETUP, fill, MEASURE_AND_SETTLE, settlement].join("\n");
      const r = await runBlock(script, dir, { RPC_URL: node.url, PATH: `${BIN}:${process.env.PATH}` });
      expect(r.code, r.output).to.equal(0);
      expect(r.output).to.match(
        /offer 0x[0-9a-f]{64} status 0: \(0x3C44CdDdB6a900fa2b585dd299e03d12FA4293BC, 0x0{40}, 27, 1, 1953, 2929409,/,
      );
      expect(r.output).to.match(/position 0x[0-9a-f]{64}\n/);
      // Settled: delivered 1953 Wh, paid 1953 Wh, no penalty, 0.02929409 USD to the generator, quality Ok.
      expect(r.output).to.match(/\(1953, 1953, 0, 2929409 \[2\.929e6\], 0, 0\)/);
      // balancesOf: the payment in free USD; the commitment went to the centre.
      expect(r.output).to.match(/\n2929409 \[2\.929e6\]\n0\n/);
    } finally {
      await node.stop();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

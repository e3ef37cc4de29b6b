/**
 * The architecture's boundary is enforced by `npm run lint`: ESLint's no-restricted-imports fails
 * a file in oracle/grid or oracle/market that imports a chain library, Hardhat, typechain or the
 * layers on top (oracle/chain, oracle/agents), and a file in oracle/grid that imports the market.
 * Linted here as text placed at those paths, with the project's own eslint.config.js.
 */
import { expect } from "chai";
import { join } from "node:path";
import { ESLint } from "eslint";

const ROOT = join(__dirname, "..", "..");

async function restricted(path: string, code: string): Promise<string[]> {
  const eslint = new ESLint({ cwd: ROOT });
  const [result] = await eslint.lintText(code, { filePath: join(ROOT, path) });
  return result.messages.filter((m) => m.ruleId === "no-restricted-imports").map((m) => m.message);
}

describe("the architecture boundary (npm run lint)", function () {
  this.timeout(60_000);
  const forbidden = [
    'import { Wallet } from "ethers";',
    'import hre from "hardhat";',
    'import type { GridOracle } from "../../typechain-types";',
    'import { toReport } from "../chain/encode";',
    'import { CentreAgent } from "../../agents/centre";',
  ];

  it("fails each forbidden import in oracle/grid and oracle/market", async () => {
    for (const line of forbidden) {
      const code = `${line}\nexport const x = 1;\n`;
      expect(await restricted("oracle/grid/pf/x.ts", code), `oracle/grid: ${line}`).to.have.length(1);
      expect(await restricted("oracle/market/x.ts", code), `oracle/market: ${line}`).to.have.length(1);
    }
    const market = await restricted("oracle/grid/pf/x.ts", 'import { redispatch } from "../../market/redispatch";\n');
    expect(market.join(" ")).to.match(/the grid core does not import the market/);
  });

  it("lets the core import itself, and the chain and agents import the core", async () => {
    expect(await restricted("oracle/market/x.ts", 'import { runPowerFlow } from "../grid/pf/runpf";\n')).to.deep.equal(
      [],
    );
    expect(
      await restricted(
        "oracle/chain/x.ts",
        'import { Wallet } from "ethers";\nimport { runPeriod } from "../market/period";\n',
      ),
    ).to.deep.equal([]);
    expect(await restricted("oracle/agents/x.ts", 'import { toReport } from "../chain/encode";\n')).to.deep.equal([]);
  });
});

/**
 * The architecture's boundaries (docs/architecture.md) are enforced by `npm run lint`: the rule
 * `layers/boundaries` (tools/eslint-layers.js, configured in eslint.config.js) fails every
 * forbidden edge, whatever form the import takes. Each edge is linted here as text placed at a
 * path in the layer, with the project's own eslint.config.js, in every form: a static import,
 * `export … from`, a dynamic `import()` and a `require()`.
 */
import { expect } from "chai";
import { join } from "node:path";
import { ESLint } from "eslint";

const ROOT = join(__dirname, "..", "..");
const RULE = "layers/boundaries";

let eslint: ESLint;

/** The layer-boundary messages ESLint gives `code` placed at `path` (relative to the project root). */
async function boundaryErrors(path: string, code: string): Promise<string[]> {
  eslint ??= new ESLint({ cwd: ROOT });
  const [result] = await eslint.lintText(code, { filePath: join(ROOT, path) });
  const fatal = result.messages.filter((m) => m.fatal);
  expect(fatal, `${path}: the snippet parses`).to.deep.equal([]);
  return result.messages.filter((m) => m.ruleId === RULE && m.severity === 2).map((m) => m.message);
}

/** The same edge written in each form ESLint must see. */
function forms(specifier: string): Record<string, string> {
  return {
    import: `import * as m from "${specifier}";\nexport const x = m;\n`,
    "export from": `export * from "${specifier}";\n`,
    "import()": `export const load = () => import("${specifier}");\n`,
    "import() of a template": `export const load = () => import(\`${specifier}\`);\n`,
    "require()": `export const m = require("${specifier}");\n`,
  };
}

interface Edge {
  readonly from: string;
  readonly to: string;
  /** The specifier as a file at `from` writes it. */
  readonly specifier: string;
  readonly message: RegExp;
}

const GRID = "oracle/grid/pf/x.ts";
const MARKET = "oracle/market/x.ts";
const CHAIN = "oracle/chain/x.ts";
const AGENTS = "oracle/agents/x.ts";
const INDEX = "oracle/index.ts";
const BROWSER = "dashboard/src/x.ts";
const CHARTS = "oracle/charts/x.ts";

const PURE = /pure TypeScript: ethers belongs in oracle\/chain/;
const NO_HARDHAT = /Hardhat is a development tool/;
const TYPECHAIN = /typechain types belong in oracle\/chain/;
const NOT_BELOW_CHAIN = /oracle\/chain sits on top of the grid and market core/;
const NOT_BELOW_AGENTS = /oracle\/agents is the top layer/;
const LIBRARY = /oracle\/ is a library/;
const PUBLISHED = /the dashboard shows what the server publishes/;
const CHARTS_ALONE = /oracle\/charts draws plain chart objects/;

const EDGES: Edge[] = [
  // oracle/grid: the bottom layer, pure TypeScript
  {
    from: GRID,
    to: "oracle/market",
    specifier: "../../market/redispatch",
    message: /grid core does not import the market/,
  },
  { from: GRID, to: "oracle/chain", specifier: "../../chain/encode", message: NOT_BELOW_CHAIN },
  { from: GRID, to: "oracle/agents", specifier: "../../agents/centre", message: NOT_BELOW_AGENTS },
  { from: GRID, to: "ethers", specifier: "ethers", message: PURE },
  { from: GRID, to: "ethers (a subpath)", specifier: "ethers/crypto", message: PURE },
  { from: GRID, to: "hardhat", specifier: "hardhat", message: NO_HARDHAT },
  { from: GRID, to: "@nomicfoundation/*", specifier: "@nomicfoundation/hardhat-network-helpers", message: NO_HARDHAT },
  { from: GRID, to: "typechain-types", specifier: "../../../typechain-types", message: TYPECHAIN },
  // oracle/market: pure TypeScript on top of the grid
  { from: MARKET, to: "oracle/chain", specifier: "../chain/encode", message: NOT_BELOW_CHAIN },
  { from: MARKET, to: "oracle/agents", specifier: "../agents/centre", message: NOT_BELOW_AGENTS },
  { from: MARKET, to: "ethers", specifier: "ethers", message: PURE },
  { from: MARKET, to: "hardhat", specifier: "hardhat", message: NO_HARDHAT },
  { from: MARKET, to: "typechain-types", specifier: "../../typechain-types", message: TYPECHAIN },
  // the core's public API (oracle/index.ts) is pure too
  { from: INDEX, to: "oracle/chain", specifier: "./chain/errors", message: NOT_BELOW_CHAIN },
  { from: INDEX, to: "ethers", specifier: "ethers", message: PURE },
  // oracle/chain: ethers and typechain, below the agents
  { from: CHAIN, to: "oracle/agents", specifier: "../agents/centre", message: NOT_BELOW_AGENTS },
  { from: CHAIN, to: "hardhat", specifier: "hardhat", message: NO_HARDHAT },
  // nothing in oracle/ imports what is built on it
  ...[GRID, MARKET, CHAIN, AGENTS].flatMap((from) => {
    const up = "../".repeat(from.split("/").length - 1);
    return ["scripts/cli", "tasks/common", "test/oracle/helpers", "bench/pf.bench", "tools/opf-reference"].map(
      (module): Edge => ({ from, to: module.split("/")[0], specifier: `${up}${module}`, message: LIBRARY }),
    );
  }),
  { from: AGENTS, to: "dashboard", specifier: "../../dashboard/shared/types", message: LIBRARY },
  // the browser dashboard: the chain and the server's published results, no computation of its own
  { from: BROWSER, to: "oracle/agents", specifier: "../../oracle/agents/generator", message: PUBLISHED },
  { from: BROWSER, to: "oracle/agents (the record)", specifier: "../../oracle/agents/day-record", message: PUBLISHED },
  { from: BROWSER, to: "oracle/grid", specifier: "../../oracle/grid/sensitivity", message: PUBLISHED },
  { from: BROWSER, to: "oracle/market", specifier: "../../oracle/market/prices", message: PUBLISHED },
  { from: BROWSER, to: "dashboard/server", specifier: "../server/topology", message: PUBLISHED },
  { from: BROWSER, to: "hardhat", specifier: "hardhat", message: NO_HARDHAT },
  // chart helpers shared by the day report and the browser: they import no layer
  { from: CHARTS, to: "oracle/grid", specifier: "../grid/pf/runpf", message: CHARTS_ALONE },
  { from: CHARTS, to: "oracle/market", specifier: "../market/prices", message: CHARTS_ALONE },
  { from: CHARTS, to: "oracle/chain", specifier: "../chain/units", message: CHARTS_ALONE },
  { from: CHARTS, to: "oracle/agents", specifier: "../agents/day-plots", message: CHARTS_ALONE },
  { from: CHARTS, to: "ethers", specifier: "ethers", message: CHARTS_ALONE },
  { from: CHARTS, to: "scripts", specifier: "../../scripts/cli", message: LIBRARY },
];

describe("the architecture boundary (npm run lint)", function () {
  this.timeout(120_000);

  for (const edge of EDGES) {
    it(`${edge.from.replace(/\/x\.ts$/, "")} ↛ ${edge.to}`, async () => {
      for (const [form, code] of Object.entries(forms(edge.specifier))) {
        const errors = await boundaryErrors(edge.from, code);
        expect(errors, `${form}: ${code}`).to.have.length(1);
        expect(errors[0], form).to.match(edge.message);
      }
    });
  }

  it("sees type-only imports too, except the browser's types of what the server publishes", async () => {
    expect(
      await boundaryErrors(MARKET, 'import type { Wallet } from "ethers";\nexport type W = Wallet;\n'),
    ).to.have.length(1);
    expect(await boundaryErrors(GRID, 'export type H = import("hardhat").HardhatRuntimeEnvironment;\n')).to.have.length(
      1,
    );
    expect(
      await boundaryErrors(CHAIN, 'import type { CentreStep } from "../agents/centre";\nexport type S = CentreStep;\n'),
    ).to.have.length(1);
    expect(
      await boundaryErrors(
        BROWSER,
        'import type { PeriodResult } from "../../oracle/market/period";\nexport type P = PeriodResult;\n',
      ),
    ).to.deep.equal([]);
  });

  it("refuses an import() or require() whose path is computed, which no rule could check", async () => {
    for (const from of [GRID, MARKET, CHAIN, AGENTS, BROWSER]) {
      const errors = await boundaryErrors(from, "export const load = (name: string) => import(`../${name}`);\n");
      expect(errors, from).to.have.length(1);
      expect(errors[0]).to.match(/computed path cannot be checked/);
    }
  });

  it("lets each layer import the ones it stands on", async () => {
    const allowed: [string, string][] = [
      [GRID, "../linalg/lu"],
      [MARKET, "../grid/pf/runpf"],
      [MARKET, "highs"],
      [CHAIN, "ethers"],
      [CHAIN, "../market/period"],
      [CHAIN, "../../typechain-types"],
      [AGENTS, "../chain/encode"],
      [AGENTS, "./world"],
      [AGENTS, "../market/period"],
      [BROWSER, "../../oracle/chain/board"],
      [BROWSER, "../shared/types"],
      [BROWSER, "ethers"],
      // a folder named like a layer is not the layer: only the resolved path counts
      [BROWSER, "./chain"],
    ];
    for (const [from, specifier] of allowed) {
      for (const [form, code] of Object.entries(forms(specifier))) {
        expect(await boundaryErrors(from, code), `${from}: ${form} ${specifier}`).to.deep.equal([]);
      }
    }
  });

  it("lets the browser run the chain library's fill rule and the shared chart helpers, and nothing of the agents", async () => {
    // A person's wallet decides with the rule every generator's wallet runs (oracle/chain/fill-rule.ts,
    // on its own private terms); the market view draws with the day report's chart helpers.
    for (const [file, specifier] of [
      ["dashboard/src/generator-view.ts", "../../oracle/chain/fill-rule"],
      ["dashboard/src/market-view.ts", "../../oracle/charts/nested-lines"],
    ]) {
      expect(await boundaryErrors(file, `import * as m from "${specifier}";\nexport const x = m;\n`)).to.deep.equal([]);
      const agents = await boundaryErrors(
        file,
        'import * as m from "../../oracle/agents/centre";\nexport const x = m;\n',
      );
      expect(agents, file).to.have.length(1);
    }
  });
});

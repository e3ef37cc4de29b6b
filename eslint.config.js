// @ts-check
const js = require("@eslint/js");
const tseslint = require("typescript-eslint");

const layers = require("./tools/eslint-layers");

/**
 * The architecture, enforced (docs/architecture.md): imports only point up the layers
 * oracle/grid → oracle/market → oracle/chain → oracle/agents. oracle/grid and oracle/market are
 * pure TypeScript (no ethers, Hardhat or typechain); oracle/chain does not import the agents;
 * nothing in oracle/ imports the programs and tests built on it; the browser dashboard reads
 * the chain and what its server publishes, and computes no grid, market or agent policy itself.
 * tools/eslint-layers.js checks every kind of import: static, `export … from`, `import()`,
 * `require()`; test/tools/lint-boundary.test.ts shows each forbidden edge failing.
 */
const ETHERS = {
  packages: ["ethers", "@ethersproject/*"],
  message: "oracle/grid and oracle/market are pure TypeScript: ethers belongs in oracle/chain.",
};
const HARDHAT = {
  packages: ["hardhat", "@nomicfoundation/*", "@typechain/*"],
  message: "Hardhat is a development tool: only tasks/, scripts/, test/ and bench/ load it.",
};
const TYPECHAIN = {
  paths: ["typechain-types"],
  message: "typechain types belong in oracle/chain.",
};
const layer = (path, message) => ({ paths: [path], message });
const MARKET = layer("oracle/market", "oracle/grid is below oracle/market: the grid core does not import the market.");
const CHAIN = layer("oracle/chain", "oracle/chain sits on top of the grid and market core, not below it.");
const AGENTS = layer(
  "oracle/agents",
  "oracle/agents is the top layer: nothing in oracle/grid, oracle/market or oracle/chain imports it.",
);
const PROGRAMS = {
  paths: ["scripts", "tasks", "test", "bench", "tools", "dashboard"],
  message:
    "oracle/ is a library: the command lines, tasks, tests, benchmarks and dashboard import it, never the reverse.",
};
/** The browser reads the chain and the server's published results; types describing them are fine. */
const BROWSER = {
  paths: ["oracle/grid", "oracle/market", "oracle/agents", "dashboard/server"],
  allowTypeImports: true,
  message:
    "the dashboard shows what the server publishes: it computes no grid, market or agent policy itself (type imports only).",
};
const CORE = [ETHERS, HARDHAT, TYPECHAIN, CHAIN, AGENTS, PROGRAMS];
/** Chart helpers (plain Vega-Lite objects) shared by the day report and the browser import nothing. */
const CHARTS_ALONE = {
  paths: ["oracle/grid", "oracle/market", "oracle/chain", "oracle/agents", "typechain-types"],
  packages: ["ethers", "@ethersproject/*", "hardhat", "@nomicfoundation/*"],
  message: "oracle/charts draws plain chart objects: it imports no layer of the oracle and no chain library.",
};
const boundaries = (forbid) => ({ "layers/boundaries": ["error", { forbid }] });

module.exports = tseslint.config(
  {
    ignores: [
      "node_modules/",
      "artifacts/",
      "cache/",
      "typechain-types/",
      "coverage/",
      "dist/",
      "build/",
      "dashboard/dist/",
    ],
  },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    files: ["**/*.ts"],
    rules: {
      "@typescript-eslint/no-unused-vars": ["error", { argsIgnorePattern: "^_", varsIgnorePattern: "^_" }],
    },
  },
  { plugins: { layers } },
  { files: ["oracle/*.ts"], rules: boundaries(CORE) },
  { files: ["oracle/grid/**/*.ts"], rules: boundaries([...CORE, MARKET]) },
  { files: ["oracle/market/**/*.ts"], rules: boundaries(CORE) },
  { files: ["oracle/chain/**/*.ts"], rules: boundaries([HARDHAT, AGENTS, PROGRAMS]) },
  { files: ["oracle/agents/**/*.ts"], rules: boundaries([PROGRAMS]) },
  { files: ["oracle/charts/**/*.ts"], rules: boundaries([CHARTS_ALONE, PROGRAMS]) },
  { files: ["dashboard/src/**/*.ts"], rules: boundaries([HARDHAT, BROWSER]) },
  {
    files: ["**/*.js"],
    languageOptions: {
      sourceType: "commonjs",
      globals: {
        require: "readonly",
        module: "writable",
        __dirname: "readonly",
        process: "readonly",
        console: "readonly",
      },
    },
    rules: { "@typescript-eslint/no-require-imports": "off" },
  },
);

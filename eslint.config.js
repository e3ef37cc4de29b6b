// @ts-check
const js = require("@eslint/js");
const tseslint = require("typescript-eslint");

/**
 * The architecture, enforced: oracle/grid (case → operating point → limits → sensitivities) and
 * oracle/market (redispatch → prices → period) are pure TypeScript. They never import a chain
 * library, Hardhat, typechain or the layers built on top of them (oracle/chain, oracle/agents);
 * oracle/grid does not import oracle/market either.
 */
const CHAIN_LIBRARIES = [
  {
    group: ["ethers", "ethers/*"],
    message: "oracle/grid and oracle/market are pure TypeScript: ethers belongs in oracle/chain.",
  },
  {
    group: ["hardhat", "hardhat/*", "@nomicfoundation/*"],
    message: "oracle/grid and oracle/market never import Hardhat.",
  },
  { group: ["**/typechain-types", "**/typechain-types/*"], message: "typechain types belong in oracle/chain." },
  {
    group: ["**/chain", "**/chain/*", "**/chain/**"],
    message: "oracle/chain sits on top of the grid and market core, not below it.",
  },
  {
    group: ["**/agents", "**/agents/*", "**/agents/**"],
    message: "oracle/agents sits on top of the grid and market core, not below it.",
  },
];
const MARKET_LAYER = {
  group: ["**/market", "**/market/*", "**/market/**"],
  message: "oracle/grid is below oracle/market: the grid core does not import the market.",
};

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
  {
    files: ["oracle/grid/**/*.ts"],
    rules: { "no-restricted-imports": ["error", { patterns: [...CHAIN_LIBRARIES, MARKET_LAYER] }] },
  },
  {
    files: ["oracle/market/**/*.ts"],
    rules: { "no-restricted-imports": ["error", { patterns: CHAIN_LIBRARIES }] },
  },
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

import { readdirSync, statSync } from "node:fs";
import { join } from "node:path";
import { subtask } from "hardhat/config";
import { TASK_COMPILE_SOLIDITY_GET_SOLC_BUILD, TASK_TEST_GET_TEST_FILES } from "hardhat/builtin-tasks/task-names";
import type { HardhatUserConfig } from "hardhat/config";
import "@nomicfoundation/hardhat-toolbox";
import "./tasks";

// The compiler version is pinned here and in package.json ("solc"); they must agree.
const SOLC_VERSION = "0.8.28";

// Hardhat normally downloads solc; this machine has no internet, so we compile with the
// solc-js build shipped in the npm `solc` package, pinned to the same version.
subtask(TASK_COMPILE_SOLIDITY_GET_SOLC_BUILD, async (args: { solcVersion: string }, _hre, runSuper) => {
  if (args.solcVersion !== SOLC_VERSION) return runSuper();
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const solc = require("solc") as { version(): string };
  return {
    compilerPath: require.resolve("solc/soljson.js"),
    isSolcJs: true,
    version: SOLC_VERSION,
    longVersion: solc.version(),
  };
});

// `hardhat test test/contracts test/findings`: a directory argument stands for every *.ts / *.js
// file under it (Hardhat 2 itself only accepts files).
function filesUnder(path: string): string[] {
  if (!statSync(path, { throwIfNoEntry: false })?.isDirectory()) return [path];
  return readdirSync(path, { withFileTypes: true })
    .flatMap((e) => (e.isDirectory() ? filesUnder(join(path, e.name)) : [join(path, e.name)]))
    .filter((f) => /\.(ts|js)$/.test(f))
    .sort();
}
subtask(TASK_TEST_GET_TEST_FILES, async (args: { testFiles: string[] }, _hre, runSuper) => {
  if (args.testFiles.length === 0) return runSuper(args);
  return runSuper({ testFiles: args.testFiles.flatMap(filesUnder) });
});

const config: HardhatUserConfig = {
  solidity: {
    version: SOLC_VERSION,
    settings: {
      evmVersion: "cancun",
      optimizer: { enabled: true, runs: 10_000 },
    },
  },
  networks: {
    // Any EVM JSON-RPC endpoint: RPC_URL (default: a local node on loopback) and, unless the node
    // holds unlocked dev accounts, a 0x-prefixed PRIVATE_KEY for the deployer/admin.
    devnet: {
      url: process.env.RPC_URL ?? "http://127.0.0.1:8545",
      accounts: process.env.PRIVATE_KEY ? [process.env.PRIVATE_KEY] : "remote",
    },
  },
  paths: {
    sources: "./contracts",
    tests: "./test",
  },
  mocha: {
    // Parity tests solve cases with up to 9,241 buses; no timing is asserted anywhere.
    timeout: 300_000,
  },
};

export default config;

import { readdirSync, statSync } from "node:fs";
import { join } from "node:path";
import { subtask } from "hardhat/config";
import { TASK_COMPILE_SOLIDITY_GET_SOLC_BUILD, TASK_TEST_GET_TEST_FILES } from "hardhat/builtin-tasks/task-names";
import type { HardhatUserConfig } from "hardhat/config";
// Types only (hre.ethers, the typechain config): the plugins themselves are loaded below.
import type {} from "@nomicfoundation/hardhat-toolbox";
import { entryTask, preflightProblem, selectedNetwork } from "./tasks";

const ARGV = process.argv.slice(2);
const ENTRY = entryTask(ARGV);
const NETWORK = selectedNetwork(ARGV);
const GRIDSWAP_TASK = ENTRY?.startsWith("gridswap:") === true;

/** One line on stderr and exit 1: the rule of every gridswap command, also for settings read here. */
function stop(message: string): never {
  process.stderr.write(`${GRIDSWAP_TASK ? ENTRY : "hardhat.config.ts"}: ${message}\n`);
  process.exit(1);
}

// A gridswap task needs only ethers (and typechain, to generate types on a fresh clone): loading
// the whole toolbox (gas reporter, coverage, verify, ignition, chai matchers) costs seconds.
/* eslint-disable @typescript-eslint/no-require-imports */
if (GRIDSWAP_TASK) {
  require("@nomicfoundation/hardhat-ethers");
  require("@typechain/hardhat");
} else {
  require("@nomicfoundation/hardhat-toolbox");
}
/* eslint-enable @typescript-eslint/no-require-imports */

const preflight = preflightProblem(ARGV);
if (preflight !== undefined) {
  process.stderr.write(`${preflight}\n`);
  process.exit(1);
}

/**
 * The `devnet` network: any EVM JSON-RPC endpoint. RPC_URL (default http://127.0.0.1:8545) and,
 * unless the node holds unlocked dev accounts, PRIVATE_KEY (0x + 64 hex digits) for the deployer.
 * Checked here so that a mistake names the setting (Hardhat would say "Invalid URL" or HH8).
 */
function devnetSettings(env: NodeJS.ProcessEnv): { url: string; accounts: string[] | "remote"; problem?: string } {
  const fallback = { url: "http://127.0.0.1:8545", accounts: "remote" as const };
  const url = env.RPC_URL?.trim();
  if (url !== undefined && url !== "") {
    let parsed: URL | undefined;
    try {
      parsed = new URL(url);
    } catch {
      parsed = undefined;
    }
    if (!parsed || (parsed.protocol !== "http:" && parsed.protocol !== "https:")) {
      return {
        ...fallback,
        problem: `RPC_URL '${url}' is not an http:// or https:// URL (e.g. http://127.0.0.1:8545)`,
      };
    }
  }
  const key = env.PRIVATE_KEY?.trim();
  let accounts: string[] | "remote" = "remote";
  if (key !== undefined && key !== "") {
    if (/^[0-9a-fA-F]{64}$/.test(key)) {
      return { ...fallback, problem: "PRIVATE_KEY must start with 0x (0x followed by 64 hex digits)" };
    }
    if (!/^0x[0-9a-fA-F]{64}$/.test(key)) {
      return {
        ...fallback,
        problem: `PRIVATE_KEY is not a private key: expected 0x followed by 64 hex digits (got ${key.length} characters)`,
      };
    }
    const k = BigInt(key);
    const n = BigInt("0xfffffffffffffffffffffffffffffffebaaedce6af48a03bbfd25e8cd0364141");
    if (k === 0n || k >= n)
      return { ...fallback, problem: "PRIVATE_KEY is not a valid secp256k1 private key (0 or ≥ the curve order)" };
    accounts = [key];
  }
  return { url: url || fallback.url, accounts };
}

const devnet = devnetSettings(process.env);
if (devnet.problem !== undefined && NETWORK === "devnet") stop(devnet.problem);

/**
 * `hardhat node` mines only when a transaction arrives, so its clock (and the market's period)
 * stands still between transactions. HARDHAT_MINING_INTERVAL=<ms> adds interval mining (a block
 * every <ms> milliseconds, as Anvil's --block-time), keeping automine for transactions.
 */
function miningInterval(): number | undefined {
  const raw = process.env.HARDHAT_MINING_INTERVAL?.trim();
  if (raw === undefined || raw === "" || ENTRY !== "node") return undefined;
  if (!/^\d+$/.test(raw) || Number(raw) < 100) {
    stop(`HARDHAT_MINING_INTERVAL must be a whole number of milliseconds ≥ 100 (e.g. 1000), got '${raw}'`);
  }
  return Number(raw);
}
const interval = miningInterval();

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

/** Optimizer runs for the market (see overrides below). */
const MARKET_OPTIMIZER_RUNS = 200;

const config: HardhatUserConfig = {
  solidity: {
    compilers: [
      { version: SOLC_VERSION, settings: { evmVersion: "cancun", optimizer: { enabled: true, runs: 10_000 } } },
    ],
    overrides: {
      // The market is the largest contract: optimised for size enough to stay under EIP-170's
      // 24,576-byte limit on every EVM chain (at 10,000 runs it would be ~27.4 kB).
      "contracts/DemandResponseMarket.sol": {
        version: SOLC_VERSION,
        settings: { evmVersion: "cancun", viaIR: true, optimizer: { enabled: true, runs: MARKET_OPTIMIZER_RUNS } },
      },
    },
  },
  networks: {
    ...(interval !== undefined && { hardhat: { mining: { auto: true, interval } } }),
    // `hardhat coverage` deploys instrumented, unoptimised contracts: the oracle's deployment then
    // needs more than Osaka's 16,777,216-gas cap per transaction (EIP-7825), so coverage runs on
    // Prague, which has no cap. Coverage measures which lines run, not gas (bench:gas does that).
    ...(ENTRY === "coverage" && { hardhat: { hardfork: "prague" } }),
    // Any EVM JSON-RPC endpoint: RPC_URL and PRIVATE_KEY, checked above.
    devnet: { url: devnet.url, accounts: devnet.accounts },
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

/**
 * An unknown --network (say `mainnet`) would stop Hardhat with HH100 and, on a headless machine, a
 * ten-line stack: named here in one line, with the networks there are. GridSwap runs on any EVM
 * chain through `devnet` (RPC_URL, PRIVATE_KEY); a network of your own goes under `networks` above.
 */
const NETWORKS = ["hardhat", "localhost", ...Object.keys(config.networks ?? {}).filter((n) => n !== "hardhat")];
if (!NETWORKS.includes(NETWORK)) {
  const given = selectedNetwork(ARGV, {}) === NETWORK ? `--network ${NETWORK}` : `HARDHAT_NETWORK=${NETWORK}`;
  stop(
    `${given}: no such network (configured: ${NETWORKS.join(", ")}; devnet is any JSON-RPC endpoint: ` +
      "RPC_URL=<url> with PRIVATE_KEY for the deployer when the node holds no unlocked account)",
  );
}

export default config;

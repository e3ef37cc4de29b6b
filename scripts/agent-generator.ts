/**
 * A generator's wallet as a standalone process, against any JSON-RPC endpoint:
 *
 *   RPC_URL=http://127.0.0.1:8545 GENERATOR_KEY=0x… \
 *     npm run agent:generator -- --node 27 --cost 0.01 [--margin 0.002] --capacity 50
 *                                [--once | --interval-seconds 15] [--json]
 *
 * Each poll reads the bulletin board (OfferPublished events), decides every open offer not yet
 * decided by the policy — the offer is for my node, not expired, within my capacity, and pays at
 * least cost + margin USD/kWh — logs the decision and why, and accepts with its kWh commitment
 * (approving the market first when the allowance is short).
 *
 * Environment: RPC_URL (required); GENERATOR_KEY (0x-prefixed private key) or GENERATOR_KEYSTORE
 * (encrypted JSON keystore) with GENERATOR_PASSWORD; NETWORK_NAME (default devnet) names
 * deployments/<network>.json; GRIDSWAP_DEPLOYMENTS_DIR, when set, is the directory that holds
 * deployments/ (default: the current directory), as for the Hardhat tasks.
 * Exit status 0 after `--once` or on SIGINT/SIGTERM; 1 with one line on stderr on any error.
 */
import { GeneratorAgent } from "../oracle/agents/agents";
import type { GeneratorPolicy } from "../oracle/chain/generator";
import { loadWallet, type WalletSource } from "../oracle/chain/wallet";
import {
  connect,
  loadDeployment,
  logLine,
  numberFlag,
  parseFlags,
  runLoop,
  runMain,
  runMode,
  UsageError,
  type FlagSpec,
} from "./agent-common";

const USAGE =
  "usage: npm run agent:generator -- --node <bus> --cost <USD/kWh> [--margin <USD/kWh>] --capacity <kWh> [--once | --interval-seconds <s>] [--json]";
const FLAGS: FlagSpec = {
  node: "string",
  cost: "string",
  margin: "string",
  capacity: "string",
  once: "boolean",
  "interval-seconds": "string",
  json: "boolean",
};

function walletSource(): WalletSource {
  const keystore = process.env.GENERATOR_KEYSTORE;
  if (keystore && process.env.GENERATOR_KEY) throw new UsageError("set GENERATOR_KEY or GENERATOR_KEYSTORE, not both");
  if (keystore) return { keystore, passwordEnv: "GENERATOR_PASSWORD" };
  if (!process.env.GENERATOR_KEY) {
    throw new UsageError("GENERATOR_KEY is not set (or set GENERATOR_KEYSTORE and GENERATOR_PASSWORD)");
  }
  return { privateKeyEnv: "GENERATOR_KEY" };
}

async function main(): Promise<void> {
  const flags = parseFlags(process.argv.slice(2), FLAGS, USAGE);
  if (flags.help) {
    process.stdout.write(`${USAGE}\n`);
    return;
  }
  const mode = runMode(flags, 15);
  const node = numberFlag(flags, "node", { min: 1, integer: true });
  const cost = numberFlag(flags, "cost");
  const margin = flags.margin === undefined ? 0 : numberFlag(flags, "margin");
  const capacity = numberFlag(flags, "capacity", { min: 0 });
  const log = logLine("generator");

  const { provider, url, chainId } = await connect(log);
  try {
    const wallet = await loadWallet(walletSource(), provider);
    const { contracts } = await loadDeployment(provider);
    const registry = await contracts.registry.getAddress();
    const registered = Number(await contracts.registry.nodeOf(wallet.address));
    if (registered === 0) {
      throw new UsageError(`${wallet.address} is not a registered generator (registry ${registry})`);
    }
    if (registered !== node) {
      throw new UsageError(`${wallet.address} is registered at node ${registered}, not at --node ${node}`);
    }
    const policy: GeneratorPolicy = {
      address: wallet.address,
      node,
      costUsdPerKwh: cost,
      marginUsdPerKwh: margin,
      capacityKwh: capacity,
    };
    log(
      `chain ${chainId} at ${url}; generator ${wallet.address} at node ${node}; ` +
        `cost ${cost} + margin ${margin} USD/kWh; capacity ${capacity} kWh per period`,
    );

    const agent = new GeneratorAgent({ contracts, wallet, policy, log });
    await runLoop("agent-generator", mode, async () => {
      const { accepted, rejected } = await agent.poll();
      if (flags.json) {
        process.stdout.write(`${JSON.stringify({ accepted: accepted.map(String), rejected: rejected.map(String) })}\n`);
      } else {
        log(`accepted [${accepted.join(", ")}], rejected [${rejected.join(", ")}]`);
      }
    });
  } finally {
    provider.destroy();
  }
}

if (require.main === module) runMain("agent-generator", main);

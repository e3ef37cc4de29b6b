/**
 * The power quality centre and its oracle as a standalone process, against any JSON-RPC endpoint:
 *
 *   RPC_URL=http://127.0.0.1:8545 ORACLE_KEY=0x… CENTRE_KEY=0x… \
 *     npm run agent:centre -- [--once | --interval-seconds 60] [--case cases/seed34.json]
 *                             [--accept-window-seconds 1200] [--json]
 *
 * Each step runs the period containing the chain's current time (CentreAgent.step): load flow,
 * the report with the measured deliveries of earlier periods, settlement of what they cover, and
 * the period's offers. A step is idempotent, so the loop simply steps every interval and a restart
 * resumes from chain state.
 *
 * Environment: RPC_URL (required); ORACLE_KEY and CENTRE_KEY (0x-prefixed private keys), or
 * ORACLE_KEYSTORE / CENTRE_KEYSTORE with ORACLE_PASSWORD / CENTRE_PASSWORD; NETWORK_NAME
 * (default devnet) names deployments/<network>.json; GRIDSWAP_DEPLOYMENTS_DIR, when set, is the
 * directory that holds deployments/ (default: the current directory), as for the Hardhat tasks. Exit status 0 after `--once` or on SIGINT/SIGTERM; 1 with one line on
 * stderr on any error.
 *
 * The agent takes "now" from the latest block. A devnet that mines only on transactions (the
 * default of `hardhat node` and Anvil) lets that block fall behind the wall clock while idle, so
 * the agent may act for a period that is already over (publish then reverts with PeriodOver or
 * BadExpiry): run such a node with interval mining (`anvil --block-time 2`), or mine a block first.
 */
import { readFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { loadCase } from "../oracle";
import { CentreAgent, type CentreStep } from "../oracle/agents/agents";
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
  "usage: npm run agent:centre -- [--once | --interval-seconds <s>] [--case <case.json>] [--accept-window-seconds <s>] [--json]";
const FLAGS: FlagSpec = {
  once: "boolean",
  "interval-seconds": "string",
  case: "string",
  "accept-window-seconds": "string",
  json: "boolean",
};
const DEFAULT_CASE = join(__dirname, "..", "cases", "seed34.json");

/** ROLE_KEY, or ROLE_KEYSTORE with ROLE_PASSWORD. */
function walletSource(role: "ORACLE" | "CENTRE"): WalletSource {
  const keystore = process.env[`${role}_KEYSTORE`];
  if (keystore && process.env[`${role}_KEY`]) {
    throw new UsageError(`set ${role}_KEY or ${role}_KEYSTORE, not both`);
  }
  return keystore ? { keystore, passwordEnv: `${role}_PASSWORD` } : { privateKeyEnv: `${role}_KEY` };
}

export function summary(step: CentreStep): Record<string, unknown> {
  return {
    period: step.period,
    reported: step.reported,
    violations: step.result?.violations.lines.length ?? 0,
    deliveries: step.deliveries.map((d) => ({ ...d })),
    settled: step.settled.map(String),
    published: step.published.map(String),
  };
}

async function main(): Promise<void> {
  const flags = parseFlags(process.argv.slice(2), FLAGS, USAGE);
  if (flags.help) {
    process.stdout.write(`${USAGE}\n`);
    return;
  }
  const mode = runMode(flags, 60);
  const acceptWindowSeconds =
    flags["accept-window-seconds"] === undefined
      ? undefined
      : numberFlag(flags, "accept-window-seconds", { min: 1, integer: true });
  const casePath = typeof flags.case === "string" ? resolve(flags.case) : DEFAULT_CASE;
  const log = logLine("centre");

  const caseText = readFileSync(casePath, "utf8");
  const powerCase = loadCase(casePath);
  const { provider, url, chainId } = await connect(log);
  try {
    const oracleSigner = await loadWallet(walletSource("ORACLE"), provider);
    const centreSigner = await loadWallet(walletSource("CENTRE"), provider);
    const { contracts } = await loadDeployment(provider);
    const market = await contracts.market.getAddress();
    const oracle = await contracts.oracle.getAddress();
    if (!(await contracts.oracle.hasRole(await contracts.oracle.ORACLE_ROLE(), oracleSigner.address))) {
      throw new UsageError(`ORACLE_KEY's account ${oracleSigner.address} lacks ORACLE_ROLE on the oracle ${oracle}`);
    }
    if ((await contracts.oracle.threshold()) !== 1n) {
      throw new UsageError(`the oracle ${oracle} needs k-of-n signatures; this agent submits with one oracle key`);
    }
    if (!(await contracts.market.hasRole(await contracts.market.CENTRE_ROLE(), centreSigner.address))) {
      throw new UsageError(`CENTRE_KEY's account ${centreSigner.address} lacks CENTRE_ROLE on the market ${market}`);
    }
    log(`chain ${chainId} at ${url}; market ${market}; oracle ${oracleSigner.address}; centre ${centreSigner.address}`);

    const agent = new CentreAgent({
      contracts,
      oracleSigner,
      centreSigner,
      case: powerCase,
      caseText,
      acceptWindowSeconds,
      log,
    });
    await runLoop("agent-centre", mode, async () => {
      const step = await agent.step();
      const s = summary(step);
      if (flags.json) process.stdout.write(`${JSON.stringify(s)}\n`);
      else {
        log(
          `period ${s.period}: reported ${step.reported ? "now" : "before"}, ${s.violations} violation(s), ` +
            `${step.deliveries.length} delivery measurement(s), settled [${step.settled.join(", ")}], ` +
            `published [${step.published.join(", ")}]`,
        );
      }
    });
  } finally {
    provider.destroy();
  }
}

if (require.main === module) runMain("agent-centre", main);

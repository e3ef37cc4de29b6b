/**
 * What the standalone agent processes (agent-centre.ts, agent-generator.ts) share: connecting to
 * RPC_URL and the deployment file, timestamped log lines, and the supervised run loop.
 *
 * The loop keeps an agent running through node outages of any length. What it does with a failure
 * depends on its kind (oracle/chain/errors.ts `errorKind`, by class):
 *   transport       retried with a capped backoff, reported once per change of health
 *                   ("node unreachable …" / "node reachable again");
 *   configuration,  exit 1 with one line: a setting, a case, a forecast or a meter reading that is
 *   input           wrong stays wrong, and retrying it would only hide it;
 *   other           (a revert, a failed computation) reported once per distinct message; the
 *                   agent carries on with its next step after the usual interval;
 *   deployment gone exit 3 with one line (EXIT_DEPLOYMENT_GONE): final, a supervisor must not
 *                   restart it (systemd: RestartPreventExitStatus=3);
 *   key in use      another process sends with this key: stand by (act no more) for a while,
 *                   then look again with the state re-read from the file.
 * With a lease (one lock file per key on this host), a second process with the same key stands
 * by until the first is gone, then takes over: a hot standby.
 * It exits cleanly on SIGINT or SIGTERM (0). `--once` runs one step and exits 1 on any failure.
 */
import { DeploymentGoneError, describeChainError, errorKind, KeyInUseError } from "../oracle/chain/errors";
import { KeyLease } from "../oracle/agents/lease";
import { roleWallet } from "../oracle/chain/wallet";
import type { HDNodeWallet, Wallet } from "ethers";
import { openDeployment } from "../oracle/chain/deployments";
import { connectRpc, type RpcConnection } from "../oracle/chain/rpc";
import { sleep } from "../oracle/chain/retry";
import type { GridSwapContracts } from "../oracle/chain/deploy";
import type { DeploymentFile } from "../oracle/chain/deployments";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { loadCase } from "../oracle";
import type { PowerCase } from "../oracle/grid/case/types";
import { PROJECT_ROOT, stringOption, UsageError, type CommandLine, type OptionSpec } from "./cli";

export const DEFAULT_DEPLOYMENT = "deployments/localhost.json";

/**
 * The flags both agents share: where the deployment and the state file are, one step or a service
 * loop, and what is printed. `step` names what the agent does each time ("step", "poll").
 */
export function agentOptions(agent: {
  readonly state: string;
  readonly step: string;
  readonly intervalSeconds: number;
  readonly json: string;
}): Record<string, OptionSpec> {
  return {
    deployment: {
      type: "string",
      value: "FILE",
      help: `the deployment file gridswap:deploy wrote (default ${DEFAULT_DEPLOYMENT})`,
    },
    state: { type: "string", value: "FILE", help: `the agent's state file (default ${agent.state})` },
    once: { type: "boolean", help: `${agent.step} once and exit (exit 1 on any failure)` },
    "interval-seconds": {
      type: "string",
      value: "S",
      help: `seconds between ${agent.step}s when running as a service (default ${agent.intervalSeconds})`,
    },
    verbose: { type: "boolean", help: `log a line after every ${agent.step}` },
    json: { type: "boolean", help: `print one JSON line per ${agent.step} on stdout (${agent.json})` },
  };
}

/** Log lines to stdout with an ISO timestamp and the agent's name. */
export function logger(name: string): (line: string) => void {
  return (line) => process.stdout.write(`${new Date().toISOString()} ${name}: ${line}\n`);
}

export interface Connected {
  readonly rpc: RpcConnection;
  readonly file: DeploymentFile;
  readonly contracts: GridSwapContracts;
}

export interface ConnectedAs extends Connected {
  readonly wallet: Wallet | HDNodeWallet;
}

/**
 * Connects (RPC_URL, the deployment file, the role's key from <ROLE>_KEY or its keystore) the
 * first time it is called and hands the same connection to every later call; a failed attempt is
 * tried again on the next call. The lease and the agent's setup share one connection this way.
 */
export function connectOnce(deployment: string, role: string, log: (line: string) => void): () => Promise<ConnectedAs> {
  let connected: Promise<ConnectedAs> | undefined;
  return () => {
    const attempt =
      connected ??
      (async (): Promise<ConnectedAs> => {
        const c = await connectAgent(deployment, log);
        return { ...c, wallet: await roleWallet(role, c.rpc.provider) };
      })().catch((e: unknown) => {
        connected = undefined;
        throw e;
      });
    connected = attempt;
    return attempt;
  };
}

/** The lock of a connected agent's key on this host (see KeyLease). */
export async function leaseOf(connect: () => Promise<ConnectedAs>): Promise<KeyLease> {
  const { rpc, file, wallet } = await connect();
  return KeyLease.forKey(rpc.chainId, file.addresses.market, wallet.address);
}

/** RPC_URL and the deployment file, checked against each other (chain id, code, period length). */
export async function connectAgent(deployment: string, log: (line: string) => void): Promise<Connected> {
  const rpc = await connectRpc(process.env.RPC_URL, "RPC_URL", log);
  const { file, contracts } = await openDeployment(deployment, rpc.provider);
  return { rpc, file, contracts };
}

/** The exit code of an agent whose deployment is gone from the chain: final, do not restart. */
export const EXIT_DEPLOYMENT_GONE = 3;

export interface LoopOptions {
  readonly name: string;
  readonly once: boolean;
  readonly intervalSeconds: number;
  readonly log: (line: string) => void;
  /** Longest wait between attempts while the node is unreachable, s (default 60). */
  readonly maxBackoffSeconds?: number;
  /**
   * The lock of the agent's key on this host (resolved once, retried like a step): the agent is
   * set up and steps only while it holds it; without it, it stands by.
   */
  readonly lease?: () => Promise<KeyLease>;
  /** How long to stand by after another process used the key, s (default 3 intervals, at least 30). */
  readonly standbySeconds?: number;
}

/**
 * Sets up (`setup`, retried like a step while the node is unreachable) and then runs `step` every
 * `intervalSeconds` until a signal. Resolves with the process exit code.
 */
export async function runAgentLoop<T>(
  o: LoopOptions,
  setup: () => Promise<T>,
  step: (agent: T) => Promise<void>,
): Promise<number> {
  const controller = new AbortController();
  const stop = (): void => controller.abort();
  process.on("SIGINT", stop);
  process.on("SIGTERM", stop);
  let agent: T | undefined;
  let healthy = true;
  let lastError = "";
  let failures = 0;
  let lease: KeyLease | undefined;
  let standingBy = false;
  const standby = o.standbySeconds ?? Math.max(30, 3 * o.intervalSeconds);
  try {
    while (!controller.signal.aborted) {
      try {
        if (o.lease) {
          lease ??= await o.lease();
          const status = lease.acquire();
          if (!status.held) {
            if (!standingBy) o.log(`standing by: this key is active in ${status.holder} (lock ${lease.path})`);
            standingBy = true;
            if (o.once) return 1;
            await sleep(o.intervalSeconds * 1000, controller.signal);
            continue;
          }
          if (standingBy) o.log(`taking over: the active process is gone (lock ${lease.path})`);
          standingBy = false;
        }
        agent ??= await setup();
        await step(agent);
        if (!healthy) o.log("node reachable again; carrying on");
        healthy = true;
        lastError = "";
        failures = 0;
        if (o.once) return 0;
        // ±10 %: agents started together (a fleet of generators) drift apart instead of all
        // deciding in the same second and racing for the same offer in the same block.
        await sleep(o.intervalSeconds * 1000 * (0.9 + 0.2 * Math.random()), controller.signal);
      } catch (e) {
        const kind = errorKind(e);
        const message = describeChainError(e);
        if (e instanceof DeploymentGoneError) {
          process.stderr.write(`${o.name}: ${message}; stopping for good (exit ${EXIT_DEPLOYMENT_GONE})\n`);
          return EXIT_DEPLOYMENT_GONE;
        }
        if (e instanceof KeyInUseError && !o.once) {
          o.log(`standing by for ${standby} s: ${message}`);
          // The state is read again from the file when it goes on (the other process may have acted).
          agent = undefined;
          await sleep(standby * 1000, controller.signal);
          continue;
        }
        if (o.once || kind === "configuration" || kind === "input") {
          process.stderr.write(`${o.name}: ${message}\n`);
          return 1;
        }
        if (kind === "transport") {
          failures++;
          if (healthy) o.log(`node unreachable (${message}); retrying with backoff until it answers`);
          healthy = false;
          const wait = Math.min(o.maxBackoffSeconds ?? 60, o.intervalSeconds, 2 ** Math.min(failures - 1, 6));
          await sleep(wait * 1000, controller.signal);
          continue;
        }
        if (message !== lastError) {
          process.stderr.write(`${new Date().toISOString()} ${o.name}: step failed: ${message}\n`);
        }
        lastError = message;
        await sleep(o.intervalSeconds * 1000, controller.signal);
      }
    }
    o.log("stopping on signal");
    return 0;
  } finally {
    lease?.drop();
    process.off("SIGINT", stop);
    process.off("SIGTERM", stop);
  }
}

/**
 * `--case FILE` (default cases/seed34.json): the case an agent studies, and its file's text (whose
 * hash is in every study's inputs). A file that cannot be read is a usage error naming it.
 */
export function caseOption(line: CommandLine): { readonly powerCase: PowerCase; readonly caseText: string } {
  const casePath = stringOption(line, "case") ?? join(PROJECT_ROOT, "cases", "seed34.json");
  let caseText: string;
  try {
    caseText = readFileSync(casePath, "utf8");
  } catch (e) {
    throw new UsageError(`--case ${casePath}: cannot read it (${(e as NodeJS.ErrnoException).code ?? e})`);
  }
  return { powerCase: loadCase(casePath), caseText };
}

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
 *                   agent carries on with its next step after the usual interval.
 * It exits cleanly on SIGINT or SIGTERM (0). `--once` runs one step and exits 1 on any failure.
 */
import { describeChainError, errorKind } from "../oracle/chain/errors";
import { openDeployment } from "../oracle/chain/deployments";
import { connectRpc, type RpcConnection } from "../oracle/chain/rpc";
import { sleep } from "../oracle/chain/retry";
import type { GridSwapContracts } from "../oracle/chain/deploy";
import type { DeploymentFile } from "../oracle/chain/deployments";
import type { OptionSpec } from "./cli";

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

/** RPC_URL and the deployment file, checked against each other (chain id, code, period length). */
export async function connectAgent(deployment: string, log: (line: string) => void): Promise<Connected> {
  const rpc = await connectRpc(process.env.RPC_URL, "RPC_URL", log);
  const { file, contracts } = await openDeployment(deployment, rpc.provider);
  return { rpc, file, contracts };
}

export interface LoopOptions {
  readonly name: string;
  readonly once: boolean;
  readonly intervalSeconds: number;
  readonly log: (line: string) => void;
  /** Longest wait between attempts while the node is unreachable, s (default 60). */
  readonly maxBackoffSeconds?: number;
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
  try {
    while (!controller.signal.aborted) {
      try {
        agent ??= await setup();
        await step(agent);
        if (!healthy) o.log("node reachable again; carrying on");
        healthy = true;
        lastError = "";
        failures = 0;
        if (o.once) return 0;
        await sleep(o.intervalSeconds * 1000, controller.signal);
      } catch (e) {
        const kind = errorKind(e);
        const message = describeChainError(e);
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
    process.off("SIGINT", stop);
    process.off("SIGTERM", stop);
  }
}

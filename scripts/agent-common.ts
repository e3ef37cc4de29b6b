/**
 * What the standalone agent processes (scripts/agent-centre.ts, scripts/agent-generator.ts) share:
 * flags, the JSON-RPC connection (ethers JsonRpcProvider, no Hardhat runtime), the deployment
 * file, one-line error messages, and the run loop (`--once` or every `--interval-seconds`).
 */
import { resolve } from "node:path";
import { Interface, JsonRpcProvider, Network } from "ethers";
import {
  DemandResponseMarket__factory,
  GeneratorRegistry__factory,
  GridOracle__factory,
  KwhToken__factory,
  UsdToken__factory,
} from "../typechain-types";
import type { GridSwapContracts } from "../oracle/chain/deploy";
import { readDeployment, type DeploymentFile } from "../oracle/chain/deployments";
import { withRetry } from "../oracle/chain/retry";
import { UsageError } from "./cli";

export { UsageError } from "./cli";

// ---------------------------------------------------------------------------------------------
// Flags

export type FlagSpec = Record<string, "boolean" | "string">;
export type Flags = Record<string, string | boolean | undefined>;

/** `--name value`, `--name=value` and boolean `--name`; anything else is a UsageError. */
export function parseFlags(argv: readonly string[], spec: FlagSpec, usage: string): Flags {
  const flags: Flags = {};
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    if (arg === "-h" || arg === "--help") {
      flags.help = true;
      continue;
    }
    const m = /^--([a-z][a-z-]*)(?:=(.*))?$/.exec(arg);
    if (!m || !(m[1] in spec)) throw new UsageError(`unknown option '${arg}' (${usage})`);
    const [, name, inline] = m;
    if (spec[name] === "boolean") {
      if (inline !== undefined) throw new UsageError(`--${name} takes no value`);
      flags[name] = true;
    } else {
      const value = inline ?? argv[++i];
      if (value === undefined || (inline === undefined && value.startsWith("--"))) {
        throw new UsageError(`--${name} needs a value`);
      }
      flags[name] = value;
    }
  }
  return flags;
}

/** A finite number flag, within [min, max] when given. */
export function numberFlag(flags: Flags, name: string, options: { min?: number; integer?: boolean } = {}): number {
  const raw = flags[name];
  if (raw === undefined) throw new UsageError(`--${name} is required`);
  const value = Number(raw);
  if (typeof raw !== "string" || raw.trim() === "" || !Number.isFinite(value)) {
    throw new UsageError(`--${name} must be a number, got '${raw}'`);
  }
  if (options.integer && !Number.isInteger(value)) throw new UsageError(`--${name} must be an integer, got '${raw}'`);
  if (options.min !== undefined && value < options.min) {
    throw new UsageError(`--${name} must be at least ${options.min}, got '${raw}'`);
  }
  return value;
}

export interface RunMode {
  readonly once: boolean;
  readonly intervalSeconds: number;
}

/** `--once`, or a loop every `--interval-seconds` (default `defaultInterval`). */
export function runMode(flags: Flags, defaultInterval: number): RunMode {
  const once = flags.once === true;
  if (once && flags["interval-seconds"] !== undefined) {
    throw new UsageError("--once and --interval-seconds exclude each other");
  }
  const intervalSeconds =
    flags["interval-seconds"] === undefined ? defaultInterval : numberFlag(flags, "interval-seconds", { min: 1 });
  return { once, intervalSeconds };
}

// ---------------------------------------------------------------------------------------------
// Connection and deployment

export interface Connection {
  readonly url: string;
  readonly chainId: bigint;
  readonly provider: JsonRpcProvider;
}

/** Connects to RPC_URL, checking first that it answers eth_chainId (a few bounded attempts). */
export async function connect(log?: (line: string) => void): Promise<Connection> {
  const url = process.env.RPC_URL;
  if (url === undefined || url.trim() === "") {
    throw new UsageError("RPC_URL is not set (the JSON-RPC endpoint, e.g. http://127.0.0.1:8545)");
  }
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw new UsageError(`RPC_URL '${url}' is not a URL`);
  }
  if (parsed.protocol !== "http:" && parsed.protocol !== "https:") {
    throw new UsageError(`RPC_URL '${url}' must be an http:// or https:// URL`);
  }
  let chainId: bigint;
  try {
    chainId = await withRetry("connect", () => rpcChainId(url), { attempts: 3, baseDelayMs: 300, log });
  } catch (e) {
    const reason = (e as Error).message.replace(/^connect: still failing after \d+ attempts: /, "");
    throw new UsageError(`cannot reach RPC_URL ${url}: ${reason}`);
  }
  // cacheTimeout -1: ethers otherwise answers an identical request made within 250 ms from a
  // cache, so a nonce or an offerCount read right after a mined transaction can be stale (seen
  // on Anvil as "nonce has already been used" when accept follows approve).
  const provider = new JsonRpcProvider(url, Network.from(chainId), {
    staticNetwork: true,
    pollingInterval: 1000,
    cacheTimeout: -1,
  });
  return { url, chainId, provider };
}

/** eth_chainId over plain HTTP, with a timeout and an error that says what went wrong. */
async function rpcChainId(url: string): Promise<bigint> {
  let response: Response;
  try {
    response = await fetch(url, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ jsonrpc: "2.0", id: 1, method: "eth_chainId", params: [] }),
      signal: AbortSignal.timeout(10_000),
    });
  } catch (e) {
    const err = e as Error & { cause?: { code?: string; message?: string } };
    if (err.name === "TimeoutError") throw new Error("no answer within 10 s (timeout)");
    throw new Error(err.cause?.message ?? err.cause?.code ?? err.message);
  }
  if (!response.ok) throw new Error(`HTTP ${response.status} ${response.statusText}`.trim());
  let body: { result?: unknown; error?: { message?: string } };
  try {
    body = (await response.json()) as typeof body;
  } catch {
    throw new Error("the answer is not JSON: not a JSON-RPC endpoint");
  }
  if (typeof body.result !== "string") {
    throw new Error(`eth_chainId failed: ${body.error?.message ?? "no result"}`);
  }
  return BigInt(body.result);
}

/**
 * deployments/<NETWORK_NAME or devnet>.json under the current directory, or under
 * GRIDSWAP_DEPLOYMENTS_DIR when set (the same meaning as for the Hardhat tasks: the directory
 * that holds deployments/).
 */
export function deploymentLocation(): { network: string; root: string } {
  const network = process.env.NETWORK_NAME?.trim() || "devnet";
  if (!/^[A-Za-z0-9_-][A-Za-z0-9_.-]*$/.test(network)) {
    throw new UsageError(`NETWORK_NAME '${network}' is not a plain network name`);
  }
  const root = resolve(process.env.GRIDSWAP_DEPLOYMENTS_DIR?.trim() || process.cwd());
  return { network, root };
}

/**
 * Reads and checks the deployment file with `readDeployment` (chain id, code at every address)
 * and attaches the contracts to the provider.
 */
export async function loadDeployment(
  provider: JsonRpcProvider,
): Promise<{ file: DeploymentFile; contracts: GridSwapContracts }> {
  const { network, root } = deploymentLocation();
  const file = await readDeployment(network, provider, root);
  const a = file.addresses;
  const contracts: GridSwapContracts = {
    registry: GeneratorRegistry__factory.connect(a.registry, provider),
    usd: UsdToken__factory.connect(a.usd, provider),
    kwh: KwhToken__factory.connect(a.kwh, provider),
    oracle: GridOracle__factory.connect(a.oracle, provider),
    market: DemandResponseMarket__factory.connect(a.market, provider),
  };
  return { file, contracts };
}

// ---------------------------------------------------------------------------------------------
// Errors

/** Every GridSwap ABI: a revert from any contract on the call path decodes by name. */
const INTERFACES: readonly Interface[] = [
  DemandResponseMarket__factory,
  GridOracle__factory,
  GeneratorRegistry__factory,
  UsdToken__factory,
  KwhToken__factory,
].map((f) => new Interface(f.abi));

const formatArgs = (args: readonly unknown[]): string =>
  args.map((a) => (typeof a === "bigint" ? a.toString() : String(a))).join(", ");

/** One line saying what went wrong: a decoded revert, a transport failure, or the message. */
export function describeError(error: unknown): string {
  const e = error as {
    code?: string;
    shortMessage?: string;
    message?: string;
    reason?: string | null;
    data?: string | null;
    revert?: { name: string; args: readonly unknown[] } | null;
  };
  let text: string;
  if (e?.code === "CALL_EXCEPTION") {
    let decoded = e.revert ? `${e.revert.name}(${formatArgs(e.revert.args)})` : undefined;
    if (!decoded && typeof e.data === "string" && e.data.length >= 10) {
      for (const iface of INTERFACES) {
        try {
          const parsed = iface.parseError(e.data);
          if (parsed) {
            decoded = `${parsed.name}(${formatArgs([...parsed.args])})`;
            break;
          }
        } catch {
          // not this contract's error
        }
      }
    }
    text = `transaction reverted: ${decoded ?? e.reason ?? e.shortMessage ?? "no reason given"}`;
  } else if (error instanceof Error || typeof e?.message === "string") {
    text = e.shortMessage ?? e.message ?? String(error);
  } else {
    text = String(error);
  }
  return text.replace(/\s*\n\s*/g, " ").trim();
}

// ---------------------------------------------------------------------------------------------
// Running

/** Log lines go to stdout with an ISO timestamp. */
export const logLine =
  (prefix: string) =>
  (line: string): void => {
    process.stdout.write(`${new Date().toISOString()} ${prefix}: ${line}\n`);
  };

/**
 * Runs `step` once (`--once`) or every `intervalSeconds` until SIGINT/SIGTERM. In the loop a
 * failed step is reported on stderr and retried at the next tick; `maxFailures` failures in a
 * row end the process.
 */
export async function runLoop(name: string, mode: RunMode, step: () => Promise<void>, maxFailures = 5): Promise<void> {
  if (mode.once) {
    await step();
    return;
  }
  let stopping = false;
  let wake: (() => void) | undefined;
  const onSignal = (): void => {
    stopping = true;
    wake?.();
  };
  process.on("SIGINT", onSignal);
  process.on("SIGTERM", onSignal);
  try {
    let failures = 0;
    while (!stopping) {
      try {
        await step();
        failures = 0;
      } catch (e) {
        if (e instanceof UsageError) throw e;
        failures++;
        if (failures >= maxFailures) throw new Error(`${failures} steps in a row failed; last: ${describeError(e)}`);
        process.stderr.write(`${name}: step failed (${failures}/${maxFailures}): ${describeError(e)}\n`);
      }
      if (stopping) break;
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, mode.intervalSeconds * 1000);
        wake = () => {
          clearTimeout(timer);
          resolve();
        };
      });
      wake = undefined;
    }
  } finally {
    process.off("SIGINT", onSignal);
    process.off("SIGTERM", onSignal);
  }
}

/**
 * The process entry point: exit 0 when `main` resolves, otherwise one line on stderr and exit 1.
 * The exit is forced shortly after, should any handle (a socket, a timer) linger.
 */
export function runMain(name: string, main: () => Promise<void>): void {
  const finish = (code: number): void => {
    process.exitCode = code;
    setTimeout(() => process.exit(code), 2_000).unref();
  };
  main().then(
    () => finish(0),
    (e: unknown) => {
      process.stderr.write(`${name}: ${describeError(e)}\n`);
      finish(1);
    },
  );
}

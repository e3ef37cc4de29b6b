/**
 * Local development chains for tests and experiments, always bound to 127.0.0.1 on a free port:
 *
 *   const node = await startHardhatNode();   // `npx hardhat node --hostname 127.0.0.1 --port P`
 *   const node = await startAnvil();         // the Anvil binary from @foundry-rs/anvil
 *   try { await deployTo(node.url, DEV_KEYS[0], { ... }); ... } finally { await node.stop(); }
 *
 * Each start waits (bounded) until the node answers eth_chainId. `stop()` kills the node's whole
 * process group; every node still running is also killed when this process exits or receives
 * SIGINT, SIGTERM or SIGHUP, so no node outlives its owner.
 *
 * `deployTo` deploys GridSwap with `deployGridSwap` over plain JSON-RPC (ethers JsonRpcProvider +
 * Wallet, no Hardhat runtime), registers a generator at a node, issues it kWh, mints the centre
 * USD, approves the market for it and writes deployments/<network>.json. The keys in `DEV_KEYS`
 * are the well-known accounts of the public test mnemonic that Hardhat and Anvil both fund:
 * for devnets only, never for a chain with real value.
 */
import { spawn, type ChildProcess } from "node:child_process";
import { existsSync } from "node:fs";
import { createServer } from "node:net";
import { dirname, join } from "node:path";
import { HDNodeWallet, JsonRpcProvider, Network, NonceManager, Wallet } from "ethers";
import {
  DEFAULT_PERIOD_SECONDS,
  deployBidBook,
  deploymentAddresses,
  type BidBookParams,
  type GridSwapParams,
} from "../oracle/chain/deploy";
import { writeDeployment, type DeploymentFile } from "../oracle/chain/deployments";
import { deploySeededMarket, type DeployedMarket, type GeneratorSpec } from "../oracle/agents/world";

const ROOT = join(__dirname, "..");

/** The public test mnemonic funded by `hardhat node` and `anvil`. Devnets only. */
export const DEV_MNEMONIC = "test test test test test test test test test test test junk";

/** Private keys of the first dev accounts (m/44'/60'/0'/0/i of DEV_MNEMONIC). Devnets only. */
export const DEV_KEYS: readonly string[] = Array.from(
  { length: 5 },
  (_, i) => HDNodeWallet.fromPhrase(DEV_MNEMONIC, undefined, `m/44'/60'/0'/0/${i}`).privateKey,
);

export interface LocalNode {
  /** http://127.0.0.1:<port> */
  readonly url: string;
  readonly port: number;
  readonly chainId: bigint;
  /** Process id of the node (the leader of its process group). */
  readonly pid: number;
  /** The last lines the node wrote (stdout and stderr), for diagnostics. */
  output(): string;
  /** Kills the node and its process group; resolves when it has exited. Idempotent. */
  stop(): Promise<void>;
}

export interface StartOptions {
  /** Bound on the wait for the first eth_chainId answer, ms. */
  readonly readyTimeoutMs?: number;
  /** Extra command-line arguments for the node. */
  readonly args?: readonly string[];
}

export class DevnetError extends Error {}

/** A TCP port free on 127.0.0.1 right now (the OS picks it). */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.unref();
    server.on("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const address = server.address();
      const port = typeof address === "object" && address ? address.port : 0;
      server.close(() => (port > 0 ? resolve(port) : reject(new DevnetError("no free port on 127.0.0.1"))));
    });
  });
}

/** Path of the Anvil binary shipped by @foundry-rs/anvil for this platform (ANVIL_BIN overrides). */
export function anvilBinary(): string | undefined {
  if (process.env.ANVIL_BIN) return existsSync(process.env.ANVIL_BIN) ? process.env.ANVIL_BIN : undefined;
  const arch = process.arch === "x64" ? "amd64" : process.arch;
  const exe = process.platform === "win32" ? "anvil.exe" : "anvil";
  try {
    const pkg = require.resolve(`@foundry-rs/anvil-${process.platform}-${arch}/package.json`, { paths: [ROOT] });
    const bin = join(dirname(pkg), "bin", exe);
    return existsSync(bin) ? bin : undefined;
  } catch {
    return undefined;
  }
}

/** `npx hardhat node --hostname 127.0.0.1 --port P` in the project root. */
export function startHardhatNode(options: StartOptions = {}): Promise<LocalNode> {
  return startNode(
    "hardhat node",
    (port) => ({
      command: process.platform === "win32" ? "npx.cmd" : "npx",
      args: ["hardhat", "node", "--hostname", "127.0.0.1", "--port", String(port), ...(options.args ?? [])],
    }),
    options.readyTimeoutMs ?? 120_000,
  );
}

/** The Anvil binary with `--host 127.0.0.1 --port P`. */
export function startAnvil(options: StartOptions = {}): Promise<LocalNode> {
  const bin = anvilBinary();
  if (!bin) {
    return Promise.reject(
      new DevnetError(
        `no Anvil binary for ${process.platform}-${process.arch} (install @foundry-rs/anvil or set ANVIL_BIN)`,
      ),
    );
  }
  return startNode(
    "anvil",
    (port) => ({ command: bin, args: ["--host", "127.0.0.1", "--port", String(port), ...(options.args ?? [])] }),
    options.readyTimeoutMs ?? 30_000,
  );
}

// ---------------------------------------------------------------------------------------------
// Process management

const running = new Set<ChildProcess>();
let hooksInstalled = false;

function killGroup(child: ChildProcess, signal: NodeJS.Signals): void {
  if (child.pid === undefined || child.exitCode !== null || child.signalCode !== null) return;
  try {
    // A negative pid signals the whole process group (the child leads its own: detached).
    process.kill(process.platform === "win32" ? child.pid : -child.pid, signal);
  } catch {
    try {
      child.kill(signal);
    } catch {
      // already gone
    }
  }
}

/** Kills every node still running when this process exits or is told to stop. */
function installExitHooks(): void {
  if (hooksInstalled) return;
  hooksInstalled = true;
  process.on("exit", () => {
    for (const child of running) killGroup(child, "SIGKILL");
  });
  for (const signal of ["SIGINT", "SIGTERM", "SIGHUP"] as const) {
    const handler = (): void => {
      for (const child of running) killGroup(child, "SIGKILL");
      running.clear();
      // Keep the default behaviour (terminate) unless someone else handles the signal too.
      process.removeListener(signal, handler);
      if (process.listenerCount(signal) === 0) process.kill(process.pid, signal);
    };
    process.on(signal, handler);
  }
}

interface Command {
  readonly command: string;
  readonly args: readonly string[];
}

async function startNode(name: string, command: (port: number) => Command, readyTimeoutMs: number): Promise<LocalNode> {
  // A port free a moment ago can be taken before the node binds it: try a few.
  let lastError: unknown;
  for (let attempt = 1; attempt <= 3; attempt++) {
    const port = await freePort();
    try {
      return await launch(name, port, command(port), readyTimeoutMs);
    } catch (e) {
      lastError = e;
      if (!(e instanceof PortInUse)) throw e;
    }
  }
  throw lastError;
}

class PortInUse extends DevnetError {}

async function launch(name: string, port: number, cmd: Command, readyTimeoutMs: number): Promise<LocalNode> {
  installExitHooks();
  const url = `http://127.0.0.1:${port}`;
  const child = spawn(cmd.command, [...cmd.args], {
    cwd: ROOT,
    detached: process.platform !== "win32",
    stdio: ["ignore", "pipe", "pipe"],
    env: { ...process.env, HARDHAT_DISABLE_TELEMETRY_PROMPT: "true" },
  });
  running.add(child);
  // Keep only the tail of the node's output, but always drain the pipes so the node never blocks.
  let tail = "";
  const keep = (chunk: Buffer): void => {
    tail = (tail + chunk.toString("utf8")).slice(-16_384);
  };
  child.stdout?.on("data", keep);
  child.stderr?.on("data", keep);
  const exited = new Promise<void>((resolve) => {
    if (child.exitCode !== null || child.signalCode !== null) resolve();
    else child.once("exit", () => resolve());
  });
  child.once("exit", () => running.delete(child));
  let spawnError: Error | undefined;
  child.once("error", (e) => (spawnError = e));

  let stopped = false;
  const stop = async (): Promise<void> => {
    if (stopped) return exited;
    stopped = true;
    killGroup(child, "SIGTERM");
    const timer = setTimeout(() => killGroup(child, "SIGKILL"), 5_000);
    await exited;
    clearTimeout(timer);
    running.delete(child);
    child.stdout?.destroy();
    child.stderr?.destroy();
  };

  const lastLines = (): string =>
    tail
      .trim()
      .split("\n")
      .slice(-5)
      .map((l) => l.trim())
      .join(" | ");
  try {
    const deadline = Date.now() + readyTimeoutMs;
    for (;;) {
      if (spawnError) throw new DevnetError(`${name}: cannot start ${cmd.command}: ${spawnError.message}`);
      if (child.exitCode !== null || child.signalCode !== null) {
        const out = lastLines();
        const Err = /EADDRINUSE|address already in use/i.test(tail) ? PortInUse : DevnetError;
        throw new Err(`${name} exited (${child.exitCode ?? child.signalCode}) before answering on ${url}: ${out}`);
      }
      const chainId = await probeChainId(url, 1_000);
      if (chainId !== undefined) {
        return { url, port, chainId, pid: child.pid as number, output: () => tail, stop };
      }
      if (Date.now() > deadline) {
        throw new DevnetError(
          `${name} did not answer eth_chainId on ${url} within ${readyTimeoutMs} ms: ${lastLines()}`,
        );
      }
      await new Promise((r) => setTimeout(r, 150));
    }
  } catch (e) {
    await stop();
    throw e;
  }
}

/** The chain id an endpoint answers, or undefined when it does not answer (yet). */
export async function probeChainId(url: string, timeoutMs: number): Promise<bigint | undefined> {
  try {
    const response = await fetch(url, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ jsonrpc: "2.0", id: 1, method: "eth_chainId", params: [] }),
      signal: AbortSignal.timeout(timeoutMs),
    });
    if (!response.ok) return undefined;
    const body = (await response.json()) as { result?: string };
    return typeof body.result === "string" ? BigInt(body.result) : undefined;
  } catch {
    return undefined;
  }
}

// ---------------------------------------------------------------------------------------------
// Deployment

export interface DeployToOptions {
  /** Generators to register (node), each with a fresh wallet, meter key and kWh in the vault. */
  readonly generators?: readonly GeneratorSpec[];
  /** USD minted to the centre and deposited (default 100). */
  readonly usd?: number;
  /** Period length, s (default DEFAULT_PERIOD_SECONDS: 30 minutes). */
  readonly periodSeconds?: number;
  /** Market and oracle parameters beyond the period length. */
  readonly params?: Partial<GridSwapParams>;
  /** Seed of the deterministic wallets (default "devnet"). */
  readonly seed?: string;
  /** Where to write the deployment file (default deployments/devnet.json under the current directory). */
  readonly path?: string;
  readonly network?: string;
  /** Also deploy a bid book with these terms (docs/bids.md); recorded as addresses.bids. */
  readonly bids?: Partial<BidBookParams>;
}

export interface DeployToResult {
  readonly path: string;
  readonly file: DeploymentFile;
  readonly market: DeployedMarket;
}

/**
 * Deploys and seeds GridSwap on the node at `url` with every role on its own deterministic wallet
 * (funded by `funderKey`), and writes the deployment file.
 */
export async function deployTo(url: string, funderKey: string, options: DeployToOptions = {}): Promise<DeployToResult> {
  const chainId = await probeChainId(url, 10_000);
  if (chainId === undefined) throw new DevnetError(`no JSON-RPC node answers on ${url}`);
  // No request cache (ethers' default 250 ms one can serve a stale nonce or read).
  const provider = new JsonRpcProvider(url, Network.from(chainId), { staticNetwork: true, cacheTimeout: -1 });
  try {
    const periodSeconds = options.periodSeconds ?? DEFAULT_PERIOD_SECONDS;
    const funder = new NonceManager(new Wallet(funderKey, provider));
    const market = await deploySeededMarket({
      provider,
      funder,
      generators: options.generators ?? [],
      centreUsd: options.usd ?? 100,
      params: options.params,
      seed: options.seed ?? "devnet",
      periodSeconds,
    });
    const file: DeploymentFile = {
      network: options.network ?? "devnet",
      chainId: Number(chainId),
      deployedAt: new Date().toISOString(),
      deployBlock: market.deployBlock,
      periodSeconds,
      addresses: {
        ...(await deploymentAddresses(market.contracts)),
        ...(options.bids && {
          bids: await (await deployBidBook(funder, market.contracts.market, options.bids)).getAddress(),
        }),
      },
    };
    const path = options.path ?? join(process.cwd(), "deployments", `${file.network}.json`);
    return { path: writeDeployment(file, path), file, market };
  } finally {
    provider.destroy();
  }
}

/**
 * Agents as real processes for the end-to-end and fault tests: `agent:centre` and
 * `agent:generator` started with their own environment (keys, RPC_URL, a failpoint), their output
 * kept for assertions and diagnostics, stopped with SIGTERM or killed with SIGKILL.
 */
import { spawn, type ChildProcess } from "node:child_process";
import { join } from "node:path";
import { JsonRpcProvider, Network } from "ethers";
import { advanceDevChain, chainNow } from "../../oracle/chain/clock";

export const ROOT = join(__dirname, "..", "..");

export class AgentProcess {
  private out = "";
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;

  private constructor(private readonly child: ChildProcess) {
    child.stdout?.on("data", (d: Buffer) => (this.out += d.toString()));
    child.stderr?.on("data", (d: Buffer) => (this.out += d.toString()));
    this.exited = new Promise((resolve) => child.on("exit", (code, signal) => resolve({ code, signal })));
  }

  /** Starts `scripts/<script>.ts` with `args` and extra environment. */
  static start(script: string, args: readonly string[], env: Record<string, string>): AgentProcess {
    const child = spawn(
      process.execPath,
      ["-r", "ts-node/register/transpile-only", join("scripts", `${script}.ts`), ...args],
      {
        cwd: ROOT,
        env: { ...process.env, TS_NODE_TRANSPILE_ONLY: "true", CI: "true", ...env },
        stdio: ["ignore", "pipe", "pipe"],
      },
    );
    return new AgentProcess(child);
  }

  get output(): string {
    return this.out;
  }

  get running(): boolean {
    return this.child.exitCode === null && this.child.signalCode === null;
  }

  async stop(): Promise<void> {
    if (this.running) this.child.kill("SIGTERM");
    const timer = setTimeout(() => this.child.kill("SIGKILL"), 10_000);
    await this.exited;
    clearTimeout(timer);
  }
}

/** A provider for the test itself (no cache: reads right after a mined block must be fresh). */
export function provider(url: string, chainId: bigint): JsonRpcProvider {
  return new JsonRpcProvider(url, Network.from(chainId), { staticNetwork: true, cacheTimeout: -1 });
}

/** Polls `check` until it returns a value (not undefined/false), or fails after `timeoutMs` with `what`. */
export async function waitFor<T>(
  what: string,
  check: () => Promise<T | undefined | false>,
  timeoutMs = 60_000,
  diagnostics?: () => string,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await check();
    if (value !== undefined && value !== false) return value;
    if (Date.now() > deadline)
      throw new Error(`timed out waiting for ${what}${diagnostics ? `\n${diagnostics()}` : ""}`);
    await new Promise((r) => setTimeout(r, 250));
  }
}

/** Moves a dev chain to `offset` seconds into the period after the current one; returns that period. */
export async function nextPeriod(p: JsonRpcProvider, periodSeconds: number, offset = 5): Promise<number> {
  const period = Math.floor((await chainNow(p)) / periodSeconds) + 1;
  await advanceDevChain(p, period * periodSeconds + offset);
  return period;
}

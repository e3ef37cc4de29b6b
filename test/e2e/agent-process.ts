/**
 * Agents as real processes for the end-to-end and fault tests: `agent:centre`, `agent:oracle`,
 * `agent:generator` and the meter data service, started with their own environment (keys, RPC_URL,
 * a failpoint), their output kept for assertions and diagnostics, stopped with SIGTERM or killed
 * with SIGKILL. They run the compiled build (tools/run.js), built once before the first start.
 */
import { spawn, type ChildProcess } from "node:child_process";
import { createServer } from "node:net";
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

  /** Builds the command-line tools once (tools/run.js), so that each start takes a second, not ten. */
  static build(): void {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    (require(join(ROOT, "tools", "run.js")) as { ensureBuilt(): void }).ensureBuilt();
  }

  /** Starts `scripts/<script>.ts` (compiled) with `args` and extra environment. */
  static start(script: string, args: readonly string[], env: Record<string, string>): AgentProcess {
    const child = spawn(process.execPath, [join("tools", "run.js"), join("scripts", `${script}.ts`), ...args], {
      cwd: ROOT,
      env: { ...process.env, CI: "true", ...env },
      stdio: ["ignore", "pipe", "pipe"],
    });
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

/** A TCP port free on 127.0.0.1 now (for a process told to listen there). */
export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}

export interface OperatorSet {
  readonly urls: string[];
  readonly processes: (AgentProcess | undefined)[];
  /** Starts operator `i` (again): same key, port, peers and state file. */
  start(i: number, env?: Record<string, string>): Promise<AgentProcess>;
}

/**
 * The oracle's operators as processes (`agent:oracle`), one per key, each on its own port with the
 * others as peers, its own state file in `dir`, and its own meter source (`meters(i)`). Operators
 * whose index is in `skip` are not started (their URL answers nothing). Resolves once each started
 * one serves.
 */
export async function startOperators(o: {
  readonly rpcUrl: string;
  readonly deployment: string;
  readonly keys: readonly string[];
  readonly dir: string;
  readonly meters: (i: number) => string[];
  readonly args?: readonly string[];
  readonly skip?: readonly number[];
}): Promise<OperatorSet> {
  const ports: number[] = [];
  for (let i = 0; i < o.keys.length; i++) ports.push(await freePort());
  const urls = ports.map((p) => `http://127.0.0.1:${p}`);
  const processes: (AgentProcess | undefined)[] = o.keys.map(() => undefined);
  const start = async (i: number, env: Record<string, string> = {}): Promise<AgentProcess> => {
    const peers = urls.filter((_, j) => j !== i).flatMap((u) => ["--peer", u]);
    const a = AgentProcess.start(
      "agent-oracle",
      [
        ...o.meters(i),
        "--deployment",
        o.deployment,
        "--listen",
        `127.0.0.1:${ports[i]}`,
        ...peers,
        "--state",
        join(o.dir, `oracle-${i}.json`),
        "--interval-seconds",
        "1",
        "--reading-grace-seconds",
        "0",
        ...(o.args ?? []),
      ],
      { RPC_URL: o.rpcUrl, ORACLE_KEY: o.keys[i], ...env },
    );
    processes[i] = a;
    await waitFor(`operator ${i} serving`, async () => / serving http/.test(a.output) || !a.running, 120_000);
    if (!a.running) throw new Error(`operator ${i} exited:\n${a.output}`);
    return a;
  };
  for (let i = 0; i < o.keys.length; i++) if (!o.skip?.includes(i)) await start(i);
  return { urls, processes, start };
}

/**
 * Start-up cost of the command-line tools, timed as whole processes the way a user runs them
 * (`npm run …`, `npx hardhat …`): one warm-up, then the median of 5 (wall time, s).
 *
 *   npm run bench:startup
 *
 * Compares the compiled tools (tools/run.js, build/) with ts-node compiling on every call, and
 * times a gridswap:* task against a local Anvil (started and stopped here). Goals: pf on
 * cases/wscc9.json < 1 s, agent:generator --help < 1 s, a gridswap task < 3 s. Prints figures;
 * nothing is asserted (the machine is shared: timings are noisy).
 */
import { spawn } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { startAnvil } from "../scripts/devnet";

const ROOT = join(__dirname, "..");
const RUNS = 5;

/**
 * One run, asynchronously: a node started by this process (Anvil) writes a line per request into a
 * pipe this process drains, so the event loop must keep running while the command runs.
 */
function timeOnce(command: string, args: readonly string[], env: NodeJS.ProcessEnv): Promise<number> {
  return new Promise((resolve, reject) => {
    const started = process.hrtime.bigint();
    const child = spawn(command, [...args], { cwd: ROOT, env, stdio: ["ignore", "ignore", "pipe"] });
    let stderr = "";
    child.stderr.on("data", (d: Buffer) => (stderr += d.toString("utf8")));
    child.on("error", reject);
    child.on("close", (code) => {
      const seconds = Number(process.hrtime.bigint() - started) / 1e9;
      if (code !== 0) reject(new Error(`${command} ${args.join(" ")} exited ${code}: ${stderr.trim().split("\n")[0]}`));
      else resolve(seconds);
    });
  });
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)];
}

async function measure(
  label: string,
  command: string,
  args: readonly string[],
  env: NodeJS.ProcessEnv,
  goal?: number,
): Promise<void> {
  await timeOnce(command, args, env); // warm-up (and the build, if sources changed)
  const times: number[] = [];
  for (let i = 0; i < RUNS; i++) times.push(await timeOnce(command, args, env));
  const m = median(times);
  const verdict = goal === undefined ? "" : m < goal ? `  goal < ${goal} s ✔` : `  goal < ${goal} s ✘`;
  console.log(
    `${label.padEnd(58)} median ${m.toFixed(2)} s  (min ${Math.min(...times).toFixed(2)}, max ${Math.max(...times).toFixed(2)})${verdict}`,
  );
}

async function main(): Promise<void> {
  const env: NodeJS.ProcessEnv = { ...process.env, CI: "true", HARDHAT_DISABLE_TELEMETRY_PROMPT: "true" };
  console.log(`whole processes, median of ${RUNS} after one warm-up (node ${process.version})`);
  await measure(
    "npm run pf -- cases/wscc9.json (build/, tools/run.js)",
    "npm",
    ["run", "--silent", "pf", "--", "cases/wscc9.json"],
    env,
    1,
  );
  await measure(
    "  before: ts-node --transpile-only scripts/pf.ts",
    "npx",
    ["ts-node", "--transpile-only", "scripts/pf.ts", "cases/wscc9.json"],
    env,
  );
  await measure(
    "npm run agent:generator -- --help (build/)",
    "npm",
    ["run", "--silent", "agent:generator", "--", "--help"],
    env,
    1,
  );
  await measure(
    "  before: ts-node --transpile-only scripts/agent-generator.ts",
    "npx",
    ["ts-node", "--transpile-only", "scripts/agent-generator.ts", "--help"],
    env,
  );
  const node = await startAnvil();
  const dir = mkdtempSync(join(tmpdir(), "gridswap-startup-"));
  try {
    const taskEnv = { ...env, RPC_URL: node.url, GRIDSWAP_DEPLOYMENTS_DIR: dir };
    // The node's account 0 deploys; the roles default to its accounts 1–6.
    await timeOnce("npx", ["hardhat", "gridswap:deploy", "--network", "devnet"], taskEnv);
    await measure(
      "npx hardhat gridswap:offers --network devnet (Anvil)",
      "npx",
      ["hardhat", "gridswap:offers", "--network", "devnet"],
      taskEnv,
      3,
    );
    await measure(
      "npx hardhat gridswap:balances --network devnet (Anvil)",
      "npx",
      ["hardhat", "gridswap:balances", "--network", "devnet"],
      taskEnv,
      3,
    );
    await measure("  for comparison: npx hardhat --version (no config)", "npx", ["hardhat", "--version"], env);
  } finally {
    await node.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}

main().catch((e) => {
  console.error(`bench:startup: ${(e as Error).message}`);
  process.exitCode = 1;
});

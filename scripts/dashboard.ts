/**
 * The dashboard: the grid, the market and a generator's wallet in the browser, from the chain and
 * the centre's published results only.
 *
 *   npm run dashboard -- [--rpc URL] [--deployment FILE] [--results DIR] [--case FILE] [--port N]
 *   npm run dashboard -- --demo [--tick-seconds S] [--demo-node N] [--results DIR] [--port N]
 *
 * Serves on 127.0.0.1 only (dashboard/server/server.ts) and builds the pages first when the build
 * is missing or stale. `--demo` runs the whole market on Hardhat's in-process network in this
 * process (dashboard/server/demo.ts). docs/dashboard.md describes the pages and the API.
 */
import { existsSync, mkdtempSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { JsonRpcProvider, Network, type Provider } from "ethers";
import { loadCase } from "../oracle/grid/case/load";
import { attachBidBook, readDeploymentFile } from "../oracle/chain/deployments";
import { BidBookFeed } from "../dashboard/server/bids";
import { buildPages, staleBuildReason } from "../dashboard/server/build";
import { ChainStatus } from "../dashboard/server/chain";
import { topologyOf } from "../dashboard/server/topology";
import { ResultsDirectory, SUMMARY_FILE } from "../dashboard/server/results";
import { Eip1193RpcBackend, HttpRpcBackend, type Eip1193, type RpcBackend } from "../dashboard/server/rpc";
import { startDashboardServer, type DemoControl } from "../dashboard/server/server";
import { numberOption, runCommand, stringOption, UsageError, type CommandLine, type CommandSpec } from "./cli";

const ROOT = resolve(__dirname, "..");
const DEFAULT_CASE = join(ROOT, "cases", "seed34.json");

export const DASHBOARD_COMMAND: CommandSpec = {
  name: "dashboard",
  usage:
    "usage: npm run dashboard -- [--rpc URL] [--deployment FILE] [--results DIR] [--case FILE] [--port N] [--poll-ms MS]\n" +
    "       npm run dashboard -- --demo [--tick-seconds S] [--demo-node N] [--results DIR] [--case FILE] [--port N]",
  options: {
    rpc: { type: "string", value: "URL", help: "the chain's JSON-RPC endpoint (default http://127.0.0.1:8545)" },
    deployment: { type: "string", value: "FILE", help: "the deployment file (default deployments/localhost.json)" },
    results: {
      type: "string",
      value: "DIR",
      help: "the centre's published results: periods.json, summary.json, case.json (default none)",
    },
    case: { type: "string", value: "FILE", help: "the case drawn (default: the results' case.json, else seed34)" },
    port: { type: "string", value: "N", help: "port on 127.0.0.1, 0 for any free one (default 8080)" },
    "poll-ms": {
      type: "string",
      value: "MS",
      help: "how often the pages read the chain and the results (default 2000)",
    },
    demo: { type: "boolean", help: "run the whole market on an in-process devnet behind the pages, one unit yours" },
    "tick-seconds": { type: "string", value: "S", help: "--demo: wall seconds between periods (default 20)" },
    "demo-node": {
      type: "string",
      value: "N",
      help: "--demo: the node of the unit you drive (default: the first redispatch unit)",
    },
  },
};

async function main(line: CommandLine): Promise<void> {
  const demoMode = line.values.demo === true;
  const port = numberOption(line, "port", { integer: true, min: 0, max: 65535 }, 8080) as number;
  const pollMs = numberOption(line, "poll-ms", { integer: true, min: 200, max: 60_000 }, 2000) as number;
  const log = (text: string): void => void process.stdout.write(`${text}\n`);
  if (demoMode) {
    for (const flag of ["rpc", "deployment"]) {
      if (stringOption(line, flag) !== undefined) {
        throw new UsageError(`--demo runs its own in-process chain: --${flag} does not apply`);
      }
    }
  } else {
    for (const flag of ["tick-seconds", "demo-node"]) {
      if (stringOption(line, flag) !== undefined) throw new UsageError(`--${flag} applies to --demo only`);
    }
  }

  const reason = staleBuildReason(ROOT);
  if (reason !== undefined) {
    log(`dashboard: building the pages (${reason})…`);
    buildPages(ROOT);
  }

  const resultsArg = stringOption(line, "results");
  const casePath = resolve(stringOption(line, "case") ?? caseFromResults(resultsArg) ?? DEFAULT_CASE);
  if (!existsSync(casePath)) throw new UsageError(`--case: no file at ${casePath}`);
  const powerCase = loadCase(casePath);

  let rpc: RpcBackend;
  let deploymentPath: string;
  let providerFor: (chainId: number) => Provider;
  let results: ResultsDirectory | undefined;
  let demo: (DemoControl & { stop(): Promise<void> }) | undefined;

  if (demoMode) {
    const tickSeconds = numberOption(line, "tick-seconds", { min: 1, max: 3600 }, 20) as number;
    const personNode = numberOption(line, "demo-node", { integer: true, positive: true });
    const resultsDir = resolve(resultsArg ?? mkdtempSync(join(tmpdir(), "gridswap-dashboard-demo-")));
    log(`dashboard: starting the demo market on Hardhat's in-process network (results in ${resultsDir})…`);
    // Hardhat only in demo mode: the in-process network lives in this process.
    const hre = (await import("hardhat")).default;
    const { DemoMarket } = await import("../dashboard/server/demo");
    const [funder] = await hre.ethers.getSigners();
    const market = await DemoMarket.create({
      provider: hre.ethers.provider,
      funder,
      casePath,
      resultsDir,
      tickSeconds,
      personNode,
      log,
    });
    await market.start();
    demo = market;
    rpc = new Eip1193RpcBackend(hre.network.provider as Eip1193, "the in-process Hardhat network");
    deploymentPath = market.deploymentPath;
    providerFor = () => hre.ethers.provider;
    results = new ResultsDirectory(resultsDir);
  } else {
    const url = stringOption(line, "rpc") ?? "http://127.0.0.1:8545";
    try {
      rpc = new HttpRpcBackend(url);
    } catch (e) {
      throw new UsageError((e as Error).message);
    }
    deploymentPath = resolve(stringOption(line, "deployment") ?? join("deployments", "localhost.json"));
    readDeploymentFile(deploymentPath); // a missing or malformed file stops here, naming the problem
    let cached: { chainId: number; provider: JsonRpcProvider } | undefined;
    providerFor = (chainId) => {
      if (cached?.chainId !== chainId) {
        cached?.provider.destroy();
        cached = { chainId, provider: new JsonRpcProvider(url, Network.from(chainId), { staticNetwork: true }) };
      }
      return cached.provider;
    };
    if (resultsArg !== undefined) {
      try {
        results = new ResultsDirectory(resultsArg);
      } catch (e) {
        throw new UsageError(`--results: ${(e as Error).message}`);
      }
    }
  }

  const chain = new ChainStatus(deploymentPath, rpc, providerFor);
  // The bid book's auctions, when the deployment has one: read here, published at /api/bids.
  const deployment = readDeploymentFile(deploymentPath);
  const provider = providerFor(deployment.chainId);
  const book = attachBidBook(deployment.addresses, provider);
  const bids = book && new BidBookFeed(book, provider, deployment.deployBlock);
  const server = await startDashboardServer({
    distDir: join(ROOT, "dashboard", "dist"),
    rpc,
    chain,
    topology: topologyOf(powerCase),
    results,
    demo,
    bids,
    pollMs,
    port,
    log,
  });
  const status = await chain.check();
  log(`dashboard: serving ${server.url} (chain ${status.deployment.chainId}, case ${powerCase.name})`);
  if (status.problem) log(`dashboard: ${status.problem}`);

  await new Promise<void>((done) => {
    const stop = (): void => {
      process.off("SIGINT", stop);
      process.off("SIGTERM", stop);
      done();
    };
    process.on("SIGINT", stop);
    process.on("SIGTERM", stop);
  });
  log("dashboard: stopping");
  await demo?.stop();
  await server.close();
  // Hardhat's in-process network keeps timers alive: leave explicitly once everything is closed.
  if (demoMode) process.exit(0);
}

/**
 * The case a results directory was made with: its own case.json (the day simulation writes the
 * case it ran on there, operation data included), else the file summary.json names (`caseFile`).
 */
function caseFromResults(dir: string | undefined): string | undefined {
  if (dir === undefined) return undefined;
  const own = join(dir, "case.json");
  if (existsSync(own)) return own;
  const summary = join(dir, SUMMARY_FILE);
  if (!existsSync(summary)) return undefined;
  try {
    const caseFile = (JSON.parse(readFileSync(summary, "utf8")) as { caseFile?: unknown }).caseFile;
    return typeof caseFile === "string" && existsSync(caseFile) ? caseFile : undefined;
  } catch {
    return undefined;
  }
}

if (require.main === module) runCommand(DASHBOARD_COMMAND, main);

/**
 * The scene the end-to-end tests of agents as processes set up on Anvil: a deployment in a
 * temporary directory, the contracts attached, the oracle's three operators on simulated meters,
 * and starters for the centre and generator agents (test/e2e/agents-chain, agents-faults,
 * oracle-operators).
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { JsonRpcProvider } from "ethers";
import { DEV_KEYS, deployTo, startAnvil, type LocalNode } from "../../scripts/devnet";
import { attachContracts, type DeploymentFile } from "../../oracle/chain/deployments";
import type { GridSwapContracts } from "../../oracle/chain/deploy";
import type { DeployedMarket } from "../../oracle/agents/world";
import { AgentProcess, provider, startOperators } from "./agent-process";
import { RpcProxy } from "./rpc-proxy";

/** A deployment on the node, in a directory of its own. */
export interface Deployed {
  readonly dir: string;
  /** The deployment file. */
  readonly path: string;
  readonly file: DeploymentFile;
  readonly market: DeployedMarket;
  /** The test's own provider (no cache). */
  readonly p: JsonRpcProvider;
  readonly c: GridSwapContracts;
}

/**
 * Deploys `generators` (at these nodes) in a new temporary directory named after `prefix`, with
 * `seed` for the agents' keys. With `blockSeconds`, deploys on automine (fast) and then mines a
 * block every `blockSeconds`, as a live chain does; `reset` first resets the node to genesis (the
 * deployer's nonce, and so every address, is then the same each time).
 */
export async function deployScene(
  node: LocalNode,
  o: { prefix: string; seed: string; generators: { node: number }[]; blockSeconds?: number; reset?: boolean },
): Promise<Deployed> {
  const dir = mkdtempSync(join(tmpdir(), `gridswap-${o.prefix}-`));
  try {
    if (o.reset || o.blockSeconds !== undefined) {
      const rpc = provider(node.url, 31337n);
      if (o.reset) await rpc.send("anvil_reset", []);
      await rpc.send("evm_setIntervalMining", [0]);
      await rpc.send("evm_setAutomine", [true]);
      rpc.destroy();
    }
    const { path, file, market } = await deployTo(node.url, DEV_KEYS[0], {
      generators: o.generators,
      path: join(dir, "deployment.json"),
      seed: o.seed,
    });
    if (o.blockSeconds !== undefined) {
      const rpc = provider(node.url, 31337n);
      await rpc.send("evm_setIntervalMining", [o.blockSeconds]);
      rpc.destroy();
    }
    const p = provider(node.url, BigInt(file.chainId));
    return { dir, path, file, market, p, c: attachContracts(file.addresses, p) };
  } catch (e) {
    rmSync(dir, { recursive: true, force: true });
    throw e;
  }
}

export interface AgentOptions {
  /** Extra environment (a failpoint). */
  readonly env?: Record<string, string>;
  /** RPC_URL (default the node's; a proxy's to inject faults). */
  readonly url?: string;
  /** The state file (default a new one in the scene's directory). */
  readonly state?: string;
}

/** A deployment with the oracle's operators, and the centre and generator agents started on it. */
export interface AgentScene extends Deployed {
  readonly agents: AgentProcess[];
  /** The oracle's operators (processes of their own, straight to the node). */
  readonly operators: AgentProcess[];
  readonly proxies: RpcProxy[];
  centre(o?: AgentOptions & { verbose?: boolean }): AgentProcess;
  generator(index: number, o?: AgentOptions & { capacityKwh?: number }): AgentProcess;
  /** A fault-injecting proxy to the node (stopped with the scene): an agent's `url`. */
  proxy(): Promise<RpcProxy>;
  /** Every process's output, for a failed wait's message. */
  logs(): string;
}

/**
 * Starts the oracle's three operators on simulated (unsigned, devnet) meters and returns the
 * scene whose `centre` and `generator` start agents that poll every second; `env` goes to both
 * (a lock directory).
 */
export async function withAgents(node: LocalNode, d: Deployed, env: Record<string, string> = {}): Promise<AgentScene> {
  const operators = await startOperators({
    rpcUrl: node.url,
    deployment: d.path,
    keys: d.market.accounts.oracleSigners.map((w) => w.privateKey),
    dir: d.dir,
    meters: () => ["--simulate-meters", "--insecure-unsigned-readings"],
  });
  const oracleArgs = [...operators.urls.flatMap((u) => ["--oracle", u]), "--reading-grace-seconds", "0"];
  const agents: AgentProcess[] = [];
  const operatorProcesses = operators.processes as AgentProcess[];
  const proxies: RpcProxy[] = [];
  const common = ["--deployment", d.path, "--interval-seconds", "1"];
  const start = (script: string, args: string[], o: AgentOptions, key: Record<string, string>): AgentProcess => {
    const a = AgentProcess.start(script, [...args, ...common], {
      RPC_URL: o.url ?? node.url,
      ...key,
      ...env,
      ...o.env,
    });
    agents.push(a);
    return a;
  };
  return {
    ...d,
    agents,
    operators: operatorProcesses,
    proxies,
    centre: (o = {}) =>
      start(
        "agent-centre",
        [
          ...oracleArgs,
          "--state",
          o.state ?? join(d.dir, `centre-${agents.length}.json`),
          ...(o.verbose ? ["--verbose"] : []),
        ],
        o,
        { CENTRE_KEY: d.market.accounts.centre.privateKey },
      ),
    generator: (index, o = {}) => {
      const g = d.market.accounts.generators[index];
      return start(
        "agent-generator",
        [
          "--node",
          String(g.node),
          "--cost",
          "0.01",
          "--capacity",
          String(o.capacityKwh ?? 50),
          "--planned-mw",
          "0.05",
          "--state",
          o.state ?? join(d.dir, `gen-${index}-${agents.length}.json`),
        ],
        o,
        { GENERATOR_KEY: g.wallet.privateKey },
      );
    },
    proxy: async () => {
      const x = await RpcProxy.start(node.url);
      proxies.push(x);
      return x;
    },
    logs: () => [...agents, ...operatorProcesses].map((a, i) => `--- process ${i}\n${a.output}`).join("\n"),
  };
}

/** Stops every process and proxy of the scene and removes its directory. */
export async function tearDown(s: {
  readonly dir: string;
  readonly agents: readonly (AgentProcess | undefined)[];
  readonly operators?: readonly (AgentProcess | undefined)[];
  readonly proxies?: readonly RpcProxy[];
}): Promise<void> {
  for (const a of [...s.agents, ...(s.operators ?? [])]) await a?.stop();
  for (const x of s.proxies ?? []) await x.stop();
  rmSync(s.dir, { recursive: true, force: true });
}

/** OfferPosted events for delivery period `period` (of `centre` only, when given), by offer hash. */
export async function postsFor(s: Deployed, period: number, centre?: string): Promise<Map<string, number>> {
  const out = new Map<string, number>();
  for (const l of await s.c.market.queryFilter(s.c.market.filters.OfferPosted(undefined, centre))) {
    if (Number(l.args.offer.period) === period) out.set(l.args.offerHash, (out.get(l.args.offerHash) ?? 0) + 1);
  }
  return out;
}

/**
 * A suite of agent scenes on one Anvil (call inside `describe`): builds the agents and starts
 * Anvil before the suite and stops it after, and tears each test's scene down after the test.
 * `setUp` deploys a scene (deployScene) and starts the operators (withAgents; `env` for both
 * agents, from the deployment).
 */
export function agentSuite(): {
  node(): LocalNode;
  setUp(o: Parameters<typeof deployScene>[1], env?: (d: Deployed) => Record<string, string>): Promise<AgentScene>;
} {
  let node: LocalNode | undefined;
  let scene: AgentScene | undefined;
  before(async () => {
    AgentProcess.build();
    node = await startAnvil();
  });
  after(async () => node?.stop());
  afterEach(async () => {
    if (scene) await tearDown(scene);
    scene = undefined;
  });
  const running = (): LocalNode => {
    if (!node) throw new Error("Anvil is not running (agentSuite's before hook has not run)");
    return node;
  };
  return {
    node: running,
    setUp: async (o, env) => {
      const d = await deployScene(running(), o);
      scene = await withAgents(running(), d, env?.(d));
      return scene;
    },
  };
}

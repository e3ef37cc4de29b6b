/**
 * The agents under load, as processes on a chain that mines like a real one (issue #22):
 *
 *   npm run bench:agents [-- --periods 12] [--period-seconds 120] [--generators 20] [--logs DIR]
 *
 * Anvil on 127.0.0.1 with a block every 12 s (`anvil --block-time 12`; the deployment itself runs
 * on automine so that seeding 20 generators takes seconds, not the ~150 blocks × 12 s it would,
 * then the chain goes back to a block every 12 s before any agent starts). On it: GridSwap with
 * seed34, 20 generators, the centre agent and the oracle's three operators — each its own process
 * from the compiled build, started as test/e2e starts them (AgentProcess, startOperators) with the
 * agents' own default step intervals (centre 30 s, generator 15 s, operator 10 s).
 *
 * The generators: seed34 has three redispatch units, at nodes 2, 27 and 34; the registry takes
 * several generators at one node (one meter key each), so the 20 are spread 8 / 8 / 4 over them.
 * With the case's own schedule every period is congested (Table I: lines 11-14, 14-17, 24-27), and
 * the centre's least-cost remedy offers a raise at node 2 and a decrease at node 27 each period
 * (curtailing the PV at node 34 is dearer, so the node-34 generators see no offer: they are the
 * idle part of the load). Each generator commits at most about a quarter of its node's offer in a
 * period (--capacity), so an offer is split over four or five fills and the other generators at
 * the node race for what is left: fills that lose the race are part of what is measured.
 *
 * The period length. The market's terms with 12-s blocks: in period P the centre (stepping every
 * 30 s) lands report P after the reading grace (0 here: the simulated meters record at the
 * period's end), then posts the offers for P+1, but only while at least a tenth of a period is
 * left before the gate closes (gate closure 0: at P+1's start); the generators (polling every
 * 15 s) fill before that. That is ≤ 30 s (step) + 12 s (report block) + 12 s (post block) + 15 s
 * (poll) + 12 s (fill block) ≈ 80 s in the worst case before the gate, so 120 s is the shortest
 * round period that leaves every step a margin; 60 s leaves none. The dispute window is the
 * default, one period: the books of P−1, measured by report P, are final and settle one period
 * after it. The operators stand in for a missing report only half a period after its start
 * (--stand-in-after-seconds; their default, a tenth of a period, is 12 s here, shorter than the
 * centre's 30-s step: they would land most reports themselves, without the study, and no period
 * would have offers).
 *
 * Measured, per period P of the N (row P: what happens because P began, i.e. P−1 ended), each a
 * latency from the period boundary B = start of P (chain time P · period) to the block timestamp of:
 *   report       GridOracle ReportSubmitted(P): the report that measures P−1's deliveries;
 *   offers       the centre's OfferPosted for P+1 (first one);
 *   last fill    the last Filled for delivery period P+1;
 *   settlement   the last Settled for the books of P−1 (measured by report P, final a dispute
 *                window later) — so settlement latency includes the dispute window.
 * Median and max over the N rows (rows without the event are left out and counted). The run
 * goes on after the N periods until P_N − 1's books are settled (at most 1.5 periods).
 * RSS (/proc/<pid>/status VmRSS) of every process after its first step (≥ 10 s after its start)
 * and at the end, with its peak (VmHWM). Counts over the whole run: offers posted, fills,
 * transactions that reverted on chain by sender and function (a block scan), settlements,
 * unwinds, duplicates (an offer hash posted twice, an offer filled twice by one generator), and
 * what the agents' logs say (missed fills, retries, stand-ins, failed steps).
 *
 * Prints a JSON summary on stdout and a table on stderr. Every process and Anvil are stopped and
 * the temporary directory removed at the end, on an error and on Ctrl-C. Nothing is asserted.
 */
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { JsonRpcProvider } from "ethers";
import { attachContracts } from "../oracle/chain/deployments";
import { chainNow } from "../oracle/chain/clock";
import { DEV_KEYS, deployTo, startAnvil, type LocalNode } from "../scripts/devnet";
import { numberOption, runCommand, stringOption, UsageError, type CommandLine, type CommandSpec } from "../scripts/cli";
import { AgentProcess, provider, startOperators, waitFor, type OperatorSet } from "../test/e2e/agent-process";
import { Role, Proc, Config, analyse, printTable, BLOCK_SECONDS, PLANNED_MW, say } from "./agents-load-report";

const ROOT = join(__dirname, "..");
/** Nodes of seed34's redispatch units, in the order generators are placed (8 / 8 / 4 of 20). */
const NODE_CYCLE = [2, 27, 2, 27, 34];
/**
 * Each generator's largest commitment per period, as a mean power (MW): about a quarter of its
 * node's offer (seed34: a raise of 0.026 MW at node 2, a decrease of 0.0039 MW at node 27).
 */
const SHARE_MW: Record<number, number> = { 2: 0.006, 27: 0.001, 34: 0.001 };

const COMMAND: CommandSpec = {
  name: "bench:agents",
  usage:
    "usage: npm run bench:agents -- [--periods N] [--period-seconds S] [--generators N] [--stand-in-after-seconds S] " +
    "[--centre-interval S] [--generator-interval S] [--operator-interval S] [--logs DIR]",
  options: {
    periods: { type: "string", value: "N", help: "delivery periods measured (default 12)" },
    "period-seconds": {
      type: "string",
      value: "S",
      help: "period length, s, a multiple of 12 ≥ 60 (default 120: see the file header)",
    },
    generators: { type: "string", value: "N", help: "generator processes, spread over nodes 2, 27, 34 (default 20)" },
    "stand-in-after-seconds": {
      type: "string",
      value: "S",
      help: "the operators' wait before standing in for a missing report (default half a period)",
    },
    "centre-interval": { type: "string", value: "S", help: "the centre's step interval (default 30, its own)" },
    "generator-interval": { type: "string", value: "S", help: "the generators' poll interval (default 15)" },
    "operator-interval": { type: "string", value: "S", help: "the operators' tick interval (default 10)" },
    logs: { type: "string", value: "DIR", help: "write every process's output to DIR/<name>.log at the end" },
  },
};

// ---------------------------------------------------------------------------------------------
// Small helpers

const clock = (): string => new Date().toISOString().slice(11, 19);
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** VmRSS and VmHWM (peak) of a process, kB, from /proc/<pid>/status. */
function memoryOf(pid: number | undefined): { rssKb: number; hwmKb: number } | undefined {
  if (pid === undefined) return undefined;
  try {
    const status = readFileSync(`/proc/${pid}/status`, "utf8");
    const field = (name: string): number => Number(new RegExp(`^${name}:\\s+(\\d+) kB`, "m").exec(status)?.[1]);
    return { rssKb: field("VmRSS"), hwmKb: field("VmHWM") };
  } catch {
    return undefined;
  }
}

/**
 * The pid of the process started with `arg` as one of its arguments (each agent has its own state
 * file path). AgentProcess runs `node tools/run.js scripts/<agent>.ts …`, and tools/run.js runs the
 * agent in that same process, so this is the agent's own pid.
 */
function pidWithArg(arg: string): number | undefined {
  for (const entry of readdirSync("/proc")) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const argv = readFileSync(`/proc/${entry}/cmdline`, "utf8").split("\0");
      if (argv.includes(arg) && argv.some((a) => a.endsWith(join("tools", "run.js")))) return Number(entry);
    } catch {
      // gone meanwhile
    }
  }
  return undefined;
}

function config(line: CommandLine): Config {
  const periods = numberOption(line, "periods", { integer: true, min: 1 }, 12) as number;
  const periodSeconds = numberOption(line, "period-seconds", { integer: true, min: 60 }, 120) as number;
  if (periodSeconds % BLOCK_SECONDS !== 0)
    throw new UsageError(
      `--period-seconds must be a multiple of the ${BLOCK_SECONDS}-s block time, got ${periodSeconds}`,
    );
  const generators = numberOption(line, "generators", { integer: true, min: 1, max: 200 }, 20) as number;
  return {
    periods,
    periodSeconds,
    generators,
    standInAfterSeconds: numberOption(
      line,
      "stand-in-after-seconds",
      { integer: true, min: 0 },
      Math.ceil(periodSeconds / 2),
    ) as number,
    centreInterval: numberOption(line, "centre-interval", { positive: true }, 30) as number,
    generatorInterval: numberOption(line, "generator-interval", { positive: true }, 15) as number,
    operatorInterval: numberOption(line, "operator-interval", { positive: true }, 10) as number,
    logs: stringOption(line, "logs"),
  };
}

async function main(cfg: Config): Promise<void> {
  const wallStart = Date.now();
  const S = cfg.periodSeconds;
  const procs: Proc[] = [];
  let node: LocalNode | undefined;
  let operators: OperatorSet | undefined;
  let dir: string | undefined;
  let p: JsonRpcProvider | undefined;
  let cleaning: Promise<void> | undefined;
  /** Set once the bench stops the processes itself (an exit after it is no finding). */
  let stopping = false;
  const cleanup = (): Promise<void> =>
    (cleaning ??= (async () => {
      stopping = true;
      const all = [...procs.map((x) => x.agent), ...(operators?.processes ?? [])].filter(
        (a): a is AgentProcess => a !== undefined,
      );
      await Promise.all([...new Set(all)].map((a) => a.stop()));
      if (cfg.logs && procs.length > 0) {
        mkdirSync(cfg.logs, { recursive: true });
        for (const x of procs) writeFileSync(join(cfg.logs, `${x.name}.log`), x.agent.output);
        if (node) writeFileSync(join(cfg.logs, "anvil.log"), node.output());
      }
      p?.destroy();
      await node?.stop();
      if (dir) rmSync(dir, { recursive: true, force: true });
    })());
  // `on`, not `once`: while this listener is registered, scripts/devnet's own handler (which kills
  // Anvil at once) does not re-raise the signal, so the cleanup below runs to its end.
  const onSignal = (signal: NodeJS.Signals): void => {
    if (cleaning) return;
    say(`\nbench:agents: ${signal}: stopping every process and Anvil`);
    void cleanup().finally(() => process.exit(130));
  };
  process.on("SIGINT", onSignal);
  process.on("SIGTERM", onSignal);

  try {
    AgentProcess.build();
    dir = mkdtempSync(join(tmpdir(), "gridswap-load-"));
    node = await startAnvil({ args: ["--block-time", String(BLOCK_SECONDS)] });
    p = provider(node.url, node.chainId);
    say(`${clock()} anvil on ${node.url}, a block every ${BLOCK_SECONDS} s; deploying on automine`);

    // Generators spread over seed34's units; each commits about a quarter of its node's offer.
    const nodes = Array.from({ length: cfg.generators }, (_, i) => NODE_CYCLE[i % NODE_CYCLE.length]);
    const capacityKwh = (n: number): string => ((SHARE_MW[n] * S) / 3.6).toFixed(3);
    await p.send("evm_setAutomine", [true]);
    const { path, file, market } = await deployTo(node.url, DEV_KEYS[0], {
      generators: nodes.map((n) => ({ node: n })),
      usd: 1000,
      periodSeconds: S,
      path: join(dir, "deployment.json"),
      seed: "agents-load",
    });
    await p.send("evm_setIntervalMining", [BLOCK_SECONDS]);
    const c = attachContracts(file.addresses, p);

    // The case the centre studies and the operators check, with the deployment's period length.
    const caseJson = JSON.parse(readFileSync(join(ROOT, "cases", "seed34.json"), "utf8")) as {
      operation: { periodMinutes: number };
    };
    caseJson.operation.periodMinutes = S / 60;
    const casePath = join(dir, `seed34-${S}s.json`);
    writeFileSync(casePath, `${JSON.stringify(caseJson, null, 2)}\n`);
    const firstAgentBlock = await p.getBlockNumber();
    say(
      `${clock()} deployed (block ${file.deployBlock}–${firstAgentBlock}), ${S}-s periods; starting 3 operators, ` +
        `the centre and ${cfg.generators} generators`,
    );

    const track = (name: string, role: Role, agent: AgentProcess, marker: string, startedMs: number): Proc => {
      const stepDone = role === "centre" ? /step done/ : role === "operator" ? /tick done/ : /poll done/;
      const x: Proc = { name, role, agent, marker, startedMs, stepDone };
      procs.push(x);
      void agent.exited.then(({ code, signal }) => {
        if (!stopping) {
          x.exit = `exited (${code ?? signal}) during the run`;
          say(`${clock()} ${name} ${x.exit}:\n${agent.output.split("\n").slice(-8).join("\n")}`);
        }
      });
      return x;
    };

    // The operators as test/e2e starts them (startOperators), one at a time here so that each is
    // tracked (and stopped on Ctrl-C) from its start. startOperators sets --interval-seconds 1 for
    // the tests; the last value given wins.
    const keys = market.accounts.oracleSigners.map((w) => w.privateKey);
    operators = await startOperators({
      rpcUrl: node.url,
      deployment: path,
      keys,
      dir,
      meters: () => ["--simulate-meters", "--insecure-unsigned-readings"],
      args: [
        "--case",
        casePath,
        "--stand-in-after-seconds",
        String(cfg.standInAfterSeconds),
        "--interval-seconds",
        String(cfg.operatorInterval),
        "--verbose",
      ],
      skip: keys.map((_, i) => i),
    });
    for (let i = 0; i < keys.length; i++) {
      const startedMs = Date.now();
      const a = await operators.start(i);
      track(`operator-${i}`, "operator", a, join(dir, `oracle-${i}.json`), startedMs);
    }

    const centreState = join(dir, "centre.json");
    const centre = AgentProcess.start(
      "agent-centre",
      [
        ...operators.urls.flatMap((u) => ["--oracle", u]),
        "--reading-grace-seconds",
        "0",
        "--case",
        casePath,
        "--deployment",
        path,
        "--state",
        centreState,
        "--interval-seconds",
        String(cfg.centreInterval),
        "--verbose",
      ],
      { RPC_URL: node.url, CENTRE_KEY: market.accounts.centre.privateKey },
    );
    track("centre", "centre", centre, centreState, Date.now());
    const generatorAddresses = new Map<string, number>();
    market.accounts.generators.forEach((g, i) => {
      generatorAddresses.set(g.wallet.address.toLowerCase(), i);
      const state = join(dir as string, `gen-${i}.json`);
      const a = AgentProcess.start(
        "agent-generator",
        [
          "--node",
          String(g.node),
          "--cost",
          "0.01",
          "--margin",
          "0.002",
          "--capacity",
          capacityKwh(g.node),
          "--planned-mw",
          String(PLANNED_MW),
          "--deployment",
          path,
          "--state",
          state,
          "--interval-seconds",
          String(cfg.generatorInterval),
          "--verbose",
        ],
        { RPC_URL: (node as LocalNode).url, GENERATOR_KEY: g.wallet.privateKey },
      );
      track(`gen-${String(i).padStart(2, "0")}@${g.node}`, "generator", a, state, Date.now());
    });

    // RSS after each process's first step, at least 10 s after its start.
    const sampleStart = async (x: Proc): Promise<void> => {
      await sleep(Math.max(0, x.startedMs + 10_000 - Date.now()));
      await waitFor(`${x.name}'s first step`, async () => x.stepDone.test(x.agent.output) || !x.agent.running, 180_000);
      x.pid ??= pidWithArg(x.marker);
      const m = memoryOf(x.pid);
      if (m) x.start = { ...m, afterSeconds: Math.round((Date.now() - x.startedMs) / 1000) };
    };
    await Promise.all(procs.map(sampleStart));
    const down = procs.filter((x) => !x.agent.running);
    if (down.length > 0)
      throw new Error(`${down.map((x) => x.name).join(", ")} exited at start:\n${down[0].agent.output.slice(-2000)}`);

    // The measured periods: P1 is the first to begin with every process up and stepping.
    const upAt = await chainNow(p);
    const first = Math.floor(upAt / S) + 1;
    const last = first + cfg.periods - 1;
    say(
      `${clock()} all ${procs.length} processes up (${Math.round((Date.now() - wallStart) / 1000)} s); measuring ` +
        `periods ${first}–${last} (${cfg.periods} × ${S} s), then until period ${last - 1}'s books are settled`,
    );
    let seen = Math.floor(upAt / S);
    const fillsSoFar = async (): Promise<number> => (await c.market.queryFilter(c.market.filters.Filled())).length;
    const progress = async (): Promise<void> => {
      const now = await chainNow(p as JsonRpcProvider);
      const period = Math.floor(now / S);
      if (period === seen) return;
      seen = period;
      const row = period - first + 1;
      const label = row < 1 ? "lead-in" : row <= cfg.periods ? `${row}/${cfg.periods}` : "drain";
      const running = procs.filter((x) => x.agent.running).length;
      say(
        `${clock()} period ${period} began (${label}); fills so far ${await fillsSoFar()}; processes running ${running}/${procs.length}`,
      );
    };
    // All N periods have begun and ended …
    while ((await chainNow(p)) < (last + 1) * S) {
      await progress();
      await sleep(2_000);
    }
    // … then until the books of the last row's settlement column (P_N − 1) are closed, or 1.5 periods.
    const drainUntil = (last + 1) * S + Math.ceil(1.5 * S);
    for (;;) {
      await progress();
      const fills = await c.market.queryFilter(c.market.filters.Filled());
      const books = new Set(
        fills
          .filter((f) => Number(f.args.period) >= first - 1 && Number(f.args.period) <= last - 1)
          .map((f) => `${f.args.generator}:${f.args.period}`),
      );
      const closed = new Set(
        [
          ...(await c.market.queryFilter(c.market.filters.Settled())),
          ...(await c.market.queryFilter(c.market.filters.Unwound())),
        ].map((e) => `${e.args.generator}:${e.args.period}`),
      );
      if ([...books].every((b) => closed.has(b)) || (await chainNow(p)) >= drainUntil) break;
      await sleep(3_000);
    }

    for (const x of procs) {
      x.pid ??= pidWithArg(x.marker);
      x.end = memoryOf(x.pid);
    }
    const anvilMemory = memoryOf(node.pid);
    const endBlock = await p.getBlockNumber();
    const logs = new Map(procs.map((x) => [x.name, x.agent.output]));
    // The chain is read with every agent stopped (nothing moves under the scan).
    stopping = true;
    await Promise.all(procs.map((x) => x.agent.stop()));
    const summary = await analyse({
      cfg,
      c,
      p,
      procs,
      logs,
      first,
      last,
      firstAgentBlock,
      endBlock,
      centre: market.accounts.centre.address,
      operators: market.accounts.oracleSigners.map((w) => w.address),
      generators: generatorAddresses,
      nodes,
      capacityKwh,
      anvilMemory,
      wallSeconds: Math.round((Date.now() - wallStart) / 1000),
    });
    process.stdout.write(`${JSON.stringify(summary, null, 2)}\n`);
    printTable(summary);
  } finally {
    await cleanup();
    process.off("SIGINT", onSignal);
    process.off("SIGTERM", onSignal);
  }
}

runCommand(COMMAND, async (line) => {
  await main(config(line));
});

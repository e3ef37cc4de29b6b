/**
 * The oracle's three operators (2-of-3) as processes on Anvil (a block a second), each with its own key,
 * port, state file and reading of the meter data service (itself a process signing with the
 * meter's key), beside the centre (no oracle key) and the generator at node 27 (docs/oracle.md):
 *
 *   (a) all honest: the trade settles; the time from a period's end to its report is printed;
 *   (b) one operator down: settles with 2 of 3;
 *   (c) one operator fed corrupted meter data: it refuses, saying why; the other two settle;
 *   (d) the centre proposes a false measurement: no report of the centre's lands, both honest
 *       refusals are in the logs, and an operator standing in lands the true one;
 *   (e) kill -9 of an operator right after it signed: restarted, it answers the same content with
 *       the same signature and refuses a different one for the period.
 */
import { expect } from "chai";
import { readFileSync } from "node:fs";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { join } from "node:path";
import { ZeroHash } from "ethers";
import { startAnvil, type LocalNode } from "../../scripts/devnet";
import { fromWire, toWire, type ReportProposal } from "../../oracle/agents/oracle/protocol";
import { AgentProcess, freePort, nextPeriod, startOperators, waitFor, type OperatorSet } from "./agent-process";
import { deployScene, tearDown, type Deployed } from "./scene";

interface Scene extends Deployed {
  readonly meterUrl: string;
  readonly agents: AgentProcess[];
  readonly servers: Server[];
  operators?: OperatorSet;
  logs(): string;
}

describe("oracle operators as processes (Anvil, 2-of-3)", function () {
  this.timeout(600_000);
  let node: LocalNode;
  let scene: Scene | undefined;
  const latencies: number[] = [];

  before(async function () {
    AgentProcess.build();
    node = await startAnvil();
  });
  after(async () => {
    await node?.stop();
    if (latencies.length > 0)
      console.log(
        `      end of period → report on chain: ${latencies.map((ms) => `${(ms / 1000).toFixed(1)} s`).join(", ")}`,
      );
  });
  afterEach(async () => {
    if (!scene) return;
    await tearDown({ ...scene, operators: scene.operators?.processes });
    for (const s of scene.servers) await new Promise((r) => s.close(r));
    scene = undefined;
  });

  async function setUp(label: string): Promise<Scene> {
    // Deploy on automine (a block per transaction, fast), then mine a block a second as a live
    // chain does: the clock must move without transactions for a stand-in's wait to pass.
    const d = await deployScene(node, {
      prefix: "operators",
      seed: `operators-${label}`,
      generators: [{ node: 27 }],
      blockSeconds: 1,
    });
    const { path, market } = d;
    const port = await freePort();
    const meters = AgentProcess.start("meter-service", ["--deployment", path, "--listen", `127.0.0.1:${port}`], {
      RPC_URL: node.url,
      METER_KEYS: market.accounts.generators.map((g) => g.meter.privateKey).join(","),
    });
    await waitFor("the meter data service", async () => /serving/.test(meters.output) || !meters.running, 120_000);
    const agents = [meters];
    const s: Scene = {
      ...d,
      meterUrl: `http://127.0.0.1:${port}/readings`,
      agents,
      servers: [],
      logs: () =>
        [...agents, ...(s.operators?.processes ?? [])].map((a, i) => `--- process ${i}\n${a?.output ?? ""}`).join("\n"),
    };
    scene = s;
    return s;
  }

  async function operators(
    s: Scene,
    o: { meters?: (i: number) => string[]; skip?: number[]; args?: string[] } = {},
  ): Promise<OperatorSet> {
    s.operators = await startOperators({
      rpcUrl: node.url,
      deployment: s.path,
      keys: s.market.accounts.oracleSigners.map((w) => w.privateKey),
      dir: s.dir,
      meters: o.meters ?? (() => ["--meters-url", s.meterUrl]),
      skip: o.skip,
      args: o.args,
    });
    return s.operators;
  }

  function centreAndGenerator(s: Scene, env: Record<string, string> = {}): void {
    const ops = (s.operators as OperatorSet).urls.flatMap((u) => ["--oracle", u]);
    const common = ["--deployment", s.path, "--interval-seconds", "1"];
    s.agents.push(
      AgentProcess.start(
        "agent-centre",
        [...ops, "--reading-grace-seconds", "0", "--state", join(s.dir, "centre.json"), ...common],
        { RPC_URL: node.url, CENTRE_KEY: s.market.accounts.centre.privateKey, ...env },
      ),
    );
    const g = s.market.accounts.generators[0];
    s.agents.push(
      AgentProcess.start(
        "agent-generator",
        [
          "--node",
          "27",
          "--cost",
          "0.01",
          "--capacity",
          "50",
          "--planned-mw",
          "0.6",
          "--state",
          join(s.dir, "generator.json"),
          ...common,
        ],
        { RPC_URL: node.url, GENERATOR_KEY: g.wallet.privateKey },
      ),
    );
  }

  /** One trade through: fill, delivery, measurement, settlement. Returns the delivery period and the report latency. */
  async function trade(s: Scene): Promise<{ delivery: number; latencyMs: number; usd: bigint }> {
    const { market, oracle } = s.c;
    const generator = s.market.accounts.generators[0].wallet.address;
    const p0 = await nextPeriod(s.p, s.file.periodSeconds);
    await waitFor("report p0", () => oracle.hasReport(p0), 120_000, s.logs);
    const fill = await waitFor(
      "the generator's fill",
      async () => (await market.queryFilter(market.filters.Filled(undefined, generator)))[0],
      120_000,
      s.logs,
    );
    const delivery = Number(fill.args.period);
    await nextPeriod(s.p, s.file.periodSeconds); // the delivery period
    const t0 = Date.now();
    await nextPeriod(s.p, s.file.periodSeconds); // the report that measures it
    await waitFor(
      "the measurement on chain",
      async () => (await oracle.queryFilter(oracle.filters.MeasurementReported(delivery, generator))).length > 0,
      180_000,
      s.logs,
    );
    const latencyMs = Date.now() - t0;
    await nextPeriod(s.p, s.file.periodSeconds); // final one dispute window later
    const settled = await waitFor(
      "the settlement",
      async () => (await market.queryFilter(market.filters.Settled(generator, delivery)))[0],
      180_000,
      s.logs,
    );
    return { delivery, latencyMs, usd: settled.args.settlement.usdToGenerator };
  }

  it("(a) three honest operators: the trade settles, paid in full", async () => {
    const s = await setUp("honest");
    await operators(s);
    centreAndGenerator(s);
    const t = await trade(s);
    latencies.push(t.latencyMs);
    expect(t.usd).to.be.greaterThan(0n);
    const logs = s.operators!.processes.map((p) => p!.output);
    for (const l of logs) expect(l).to.match(/signed the report for period \d+ .*1 measurement/);
  });

  it("(b) one operator down: reports land with 2 of 3 and the trade settles", async () => {
    const s = await setUp("one-down");
    await operators(s, { skip: [2] });
    centreAndGenerator(s);
    const t = await trade(s);
    latencies.push(t.latencyMs);
    expect(t.usd).to.be.greaterThan(0n);
    expect(s.agents[1].output).to.match(/did not answer/);
  });

  it("(c) one operator fed corrupted meter data refuses, saying why; the other two settle", async () => {
    const s = await setUp("corrupted");
    // A head-end that adds 1 kWh to every reading and keeps the meter's signature.
    const corrupt = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on("data", (c: Buffer) => chunks.push(c));
      req.on("end", async () => {
        const r = await fetch(s.meterUrl, { method: "POST", body: Buffer.concat(chunks).toString() });
        const body = (await r.json()) as { readings: { energyWh: string }[] };
        for (const x of body.readings) x.energyWh = String(BigInt(x.energyWh) + 1000n);
        res.writeHead(200, { "content-type": "application/json" });
        res.end(JSON.stringify(body));
      });
    });
    await new Promise<void>((r) => corrupt.listen(0, "127.0.0.1", r));
    s.servers.push(corrupt);
    const corruptUrl = `http://127.0.0.1:${(corrupt.address() as AddressInfo).port}/readings`;
    await operators(s, { meters: (i) => ["--meters-url", i === 2 ? corruptUrl : s.meterUrl] });
    centreAndGenerator(s);
    const t = await trade(s);
    expect(t.usd).to.be.greaterThan(0n);
    const bad = s.operators!.processes[2]!.output;
    expect(bad).to.match(
      /refused the report for period \d+ .*proposed actual \d+ Wh.* I measure .* BAD .*foreign signature/,
    );
  });

  it("(d) the centre proposes a false measurement: refused by both honest operators; a stand-in lands the truth", async () => {
    const s = await setUp("dishonest-centre");
    await operators(s, { args: ["--stand-in-after-seconds", "10"] });
    centreAndGenerator(s, { GRIDSWAP_FAULT: "centre:zero-delivery" });
    const t = await trade(s);
    expect(t.usd, "paid for the delivery the centre denied").to.be.greaterThan(0n);
    const refusals = s.operators!.processes.filter((p) =>
      /refused the report for period \d+ from centre .*proposed actual \d+ Wh, baseline \d+ Wh, delivered 0 Wh/.test(
        p!.output,
      ),
    );
    expect(refusals.length, "honest operators refusing, in their logs").to.be.at.least(2);
    expect(s.agents[1].output).to.match(/refused/);
    const standIns = s.operators!.processes.filter((p) => /landed the stand-in report/.test(p!.output));
    expect(standIns).to.have.length(1);
    const { oracle } = s.c;
    const [m] = await oracle.queryFilter(
      oracle.filters.MeasurementReported(t.delivery, s.market.accounts.generators[0].wallet.address),
    );
    const [submitted] = await oracle.queryFilter(oracle.filters.ReportSubmitted(m.args.reportPeriod));
    expect(submitted.args.inputHash, "the stand-in's report carries no study").to.equal(ZeroHash);
    expect(m.args.deliveredWh).to.be.lessThan(0n);
  });

  it("(e) kill -9 of an operator right after it signed: restarted, same content same signature, another refused", async () => {
    const s = await setUp("kill-while-signing");
    const set = await operators(s, { skip: [0] });
    await set.start(0, { GRIDSWAP_FAILPOINT: "operator:after-sign" });
    centreAndGenerator(s);
    const p0 = await nextPeriod(s.p, s.file.periodSeconds);
    const killed = set.processes[0]!;
    const exit = await killed.exited;
    expect(exit.signal, killed.output).to.equal("SIGKILL");
    await waitFor("report p0 with the other two", () => s.c.oracle.hasReport(p0), 120_000, s.logs);
    const restarted = await set.start(0);
    const stored = JSON.parse(readFileSync(join(s.dir, "oracle-0.json"), "utf8")).state.reports[p0];
    expect(stored.content, "what it signed before dying is what landed").to.equal(await s.c.oracle.reportHashOf(p0));
    const proposal = fromWire<ReportProposal>(await (await fetch(`${set.urls[0]}/v1/reports/${p0}`)).text());
    const same = await fetch(`${set.urls[0]}/v1/sign-report`, { method: "POST", body: toWire(proposal) });
    expect(same.status).to.equal(200);
    expect(((await same.json()) as { signature: string }).signature).to.equal(stored.signature);
    const other = { ...proposal, report: { ...proposal.report, prices: proposal.report.prices.slice(1) } };
    const refused = await fetch(`${set.urls[0]}/v1/sign-report`, { method: "POST", body: toWire(other) });
    expect(refused.status).to.equal(409);
    expect(((await refused.json()) as { refused: string[] }).refused[0]).to.match(
      new RegExp(`I signed another report for period ${p0} .*I never sign two`),
    );
    expect(restarted.running).to.equal(true);
  });
});

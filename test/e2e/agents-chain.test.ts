/**
 * Agents that survive the chain (issue #22): the centre, the generators and the oracle's three
 * operators as processes on Anvil mining a block every 12 s, as mainnet does — so a transaction
 * stays pending long enough for a crash, a twin or a rollback to meet it:
 *
 *   (a) the node rolled back to an earlier snapshot twice (after a fill, after a settlement):
 *       what was lost is redone, nothing twice;
 *   (b) a fresh chain with the deployment at the same addresses: the agents stop with the final
 *       exit code, and a restarted agent stops again at once;
 *   (c) a generator killed while its fill is pending: one fill, within its capacity;
 *   (d) two generator processes with one key and a capacity below the offer: never over capacity;
 *   (e) 10 % of requests dropped before and 10 % after forwarding, for 4 periods: every period
 *       reported, posted and settled;
 *   (f) two centres with one key: each offer posted once; the standby takes over when the active
 *       one is killed.
 */
import { expect } from "chai";
import { join } from "node:path";
import { DEV_KEYS, deployTo } from "../../scripts/devnet";
import { nextPeriod, waitFor } from "./agent-process";
import { agentSuite, postsFor, type AgentScene } from "./scene";

/** Seconds per block, as on Ethereum's mainnet. */
const BLOCK_SECONDS = 12;
/** The exit code of an agent whose deployment is gone (scripts/agent-common.ts). */
const EXIT_DEPLOYMENT_GONE = 3;
/** Long enough for a few 12-s blocks and a step's retries. */
const STEP_MS = 150_000;

describe("agents that survive the chain (Anvil, a block every 12 s)", function () {
  this.timeout(900_000);
  const suite = agentSuite();

  /** Deploys on automine (fast), then mines a block every 12 s; starts the three operators. */
  const setUp = (label: string, o: { lockDir?: string; reset?: boolean } = {}): Promise<AgentScene> =>
    suite.setUp(
      {
        prefix: "chain",
        seed: `chain-${label}`,
        generators: [{ node: 2 }, { node: 27 }],
        blockSeconds: BLOCK_SECONDS,
        reset: o.reset,
      },
      (d) => ({ GRIDSWAP_LOCK_DIR: o.lockDir ?? d.dir }),
    );

  async function fillsOf(
    s: AgentScene,
    generator?: string,
  ): Promise<{ offerHash: string; wh: bigint; period: number }[]> {
    return (await s.c.market.queryFilter(s.c.market.filters.Filled(undefined, generator))).map((l) => ({
      offerHash: l.args.offerHash,
      wh: l.args.details.amountWh,
      period: Number(l.args.period),
    }));
  }

  async function settlementsOf(s: AgentScene, generator: string, period: number): Promise<number> {
    return (await s.c.market.queryFilter(s.c.market.filters.Settled(generator, period))).length;
  }

  /** The period of a book's measurement report, then one more for the measurement to be final. */
  async function throughSettlement(s: AgentScene, generator: string, delivery: number): Promise<void> {
    while (Math.floor((await s.p.getBlock("latest"))!.timestamp / s.file.periodSeconds) <= delivery + 1) {
      await nextPeriod(s.p, s.file.periodSeconds);
    }
    await waitFor(
      "the measurement",
      async () =>
        (await s.c.oracle.queryFilter(s.c.oracle.filters.MeasurementReported(delivery, generator))).length > 0,
      STEP_MS,
      s.logs,
    );
    await nextPeriod(s.p, s.file.periodSeconds);
    await waitFor("the settlement", async () => (await settlementsOf(s, generator, delivery)) > 0, STEP_MS, s.logs);
  }

  it("(a) rolled back after a fill and after a settlement: both are redone, nothing twice", async () => {
    const s = await setUp("rollback");
    const gen = s.market.accounts.generators[1];
    s.centre();
    const p0 = await nextPeriod(s.p, s.file.periodSeconds);
    await waitFor("the offers", async () => (await postsFor(s, p0 + 1)).size === 2, STEP_MS, s.logs);
    const beforeFill = (await s.p.send("evm_snapshot", [])) as string;
    const generator = s.generator(1);
    await waitFor("the fill", async () => (await fillsOf(s, gen.wallet.address)).length === 1, STEP_MS, s.logs);
    await waitFor("the fill's log", async () => /filled offer 0x/.test(generator.output), STEP_MS, s.logs);
    // The node goes back to before the fill: the generator sees its block gone and fills again.
    expect(await s.p.send("evm_revert", [beforeFill])).to.equal(true);
    await waitFor(
      "the generator's notice",
      async () => /my fill of offer 0x[0-9a-f]+ was in a lost block/.test(generator.output),
      STEP_MS,
      s.logs,
    );
    const fills = await waitFor(
      "the fill again",
      async () => {
        const f = await fillsOf(s, gen.wallet.address);
        return f.length === 1 && f;
      },
      STEP_MS,
      s.logs,
    );
    const delivery = fills[0].period;
    await nextPeriod(s.p, s.file.periodSeconds); // the delivery period
    await nextPeriod(s.p, s.file.periodSeconds); // its report
    await waitFor(
      "the measurement",
      async () =>
        (await s.c.oracle.queryFilter(s.c.oracle.filters.MeasurementReported(delivery, gen.wallet.address))).length > 0,
      STEP_MS,
      s.logs,
    );
    const beforeSettlement = (await s.p.send("evm_snapshot", [])) as string;
    await nextPeriod(s.p, s.file.periodSeconds);
    await waitFor(
      "the settlement",
      async () => (await settlementsOf(s, gen.wallet.address, delivery)) === 1,
      STEP_MS,
      s.logs,
    );
    await waitFor("the payment's log", async () => /paid for my commitment/.test(generator.output), STEP_MS, s.logs);
    // Back to before the settlement (and before the clock moved): the centre settles again once the
    // measurement is final again on this chain; the generator's book is open again meanwhile.
    expect(await s.p.send("evm_revert", [beforeSettlement])).to.equal(true);
    await waitFor(
      "the generator's notice of its book",
      async () => /my book in period \d+ is open again/.test(generator.output),
      STEP_MS,
      s.logs,
    );
    await nextPeriod(s.p, s.file.periodSeconds);
    await waitFor(
      "the settlement again",
      async () => (await settlementsOf(s, gen.wallet.address, delivery)) === 1,
      STEP_MS,
      s.logs,
    );
    await new Promise((r) => setTimeout(r, 3 * BLOCK_SECONDS * 1000));
    expect(await settlementsOf(s, gen.wallet.address, delivery)).to.equal(1);
    // One fill of the rolled-back offer, and no offer filled twice since.
    const all = await fillsOf(s, gen.wallet.address);
    expect(all.filter((f) => f.period === delivery)).to.have.length(1);
    expect(new Set(all.map((f) => f.offerHash)).size).to.equal(all.length);
    expect(s.agents[0].output).to.match(/the chain changed under me/);
    for (const a of s.agents) expect(a.running, a.output).to.equal(true);
  });

  it("(b) a fresh chain with the deployment at the same addresses: every agent stops with the final exit code, once", async () => {
    const s = await setUp("fresh-chain", { reset: true });
    const centre = s.centre({ state: join(s.dir, "centre.json") });
    const generator = s.generator(1, { state: join(s.dir, "gen.json") });
    const p0 = await nextPeriod(s.p, s.file.periodSeconds);
    await waitFor("the report", () => s.c.oracle.hasReport(p0), STEP_MS, s.logs);
    // Reset the node and deploy the same way again: the same addresses, another history.
    await s.p.send("anvil_reset", []);
    await s.p.send("evm_setIntervalMining", [0]);
    await s.p.send("evm_setAutomine", [true]);
    const again = await deployTo(suite.node().url, DEV_KEYS[0], {
      generators: [{ node: 2 }, { node: 27 }],
      path: join(s.dir, "deployment-2.json"),
      seed: "chain-fresh-chain",
    });
    await s.p.send("evm_setIntervalMining", [BLOCK_SECONDS]);
    expect(again.file.addresses.market).to.equal(s.file.addresses.market);
    for (const a of [centre, generator, ...s.operators]) {
      const exit = await waitFor("the agent's exit", async () => !a.running && (await a.exited), STEP_MS, s.logs);
      expect(exit.code, a.output).to.equal(EXIT_DEPLOYMENT_GONE);
      expect(a.output.match(/stopping for good \(exit 3\)/g), a.output).to.have.length(1);
    }
    // A supervisor that restarts it anyway: it stops again at once, with the same code.
    const restarted = s.centre({ state: join(s.dir, "centre.json") });
    const exit = await restarted.exited;
    expect(exit.code, restarted.output).to.equal(EXIT_DEPLOYMENT_GONE);
    expect(restarted.output).to.match(/the deployment is gone/);
  });

  it("(c) a generator killed while its fill is pending: one fill, within its capacity", async () => {
    const s = await setUp("fill-pending");
    const gen = s.market.accounts.generators[1];
    const state = join(s.dir, "gen.json");
    s.centre();
    const killed = s.generator(1, { env: { GRIDSWAP_FAILPOINT: "generator:fill-pending" }, state, capacityKwh: 1 });
    await nextPeriod(s.p, s.file.periodSeconds);
    expect((await killed.exited).signal, killed.output).to.equal("SIGKILL");
    const pendingNonce = await s.p.getTransactionCount(gen.wallet.address, "pending");
    const restarted = s.generator(1, { state, capacityKwh: 1 });
    await waitFor("the one fill", async () => (await fillsOf(s, gen.wallet.address)).length === 1, STEP_MS, s.logs);
    await new Promise((r) => setTimeout(r, 3 * BLOCK_SECONDS * 1000));
    const fills = await fillsOf(s, gen.wallet.address);
    expect(fills, restarted.output).to.have.length(1);
    expect(fills[0].wh).to.be.at.most(1000n);
    // Nothing signed beyond the pending fill: the restart waited for it.
    expect(await s.p.getTransactionCount(gen.wallet.address, "latest")).to.equal(pendingNonce);
    expect(restarted.output).to.match(/waiting for my transaction in flight since an earlier step: fill 0x/);
    expect(restarted.output).to.match(/my fill of offer 0x[0-9a-f]+ is on chain/);
  });

  it("(d) two generator processes with one key and a capacity below the offer: never over capacity", async () => {
    const s = await setUp("twin-generators");
    const gen = s.market.accounts.generators[1];
    s.centre();
    const first = s.generator(1, { capacityKwh: 1 });
    const second = s.generator(1, { capacityKwh: 1 });
    for (let i = 0; i < 2; i++) {
      const p = await nextPeriod(s.p, s.file.periodSeconds);
      await waitFor(
        "a fill for the next period",
        async () => (await fillsOf(s, gen.wallet.address)).some((f) => f.period === p + 1),
        STEP_MS,
        s.logs,
      );
      await new Promise((r) => setTimeout(r, 2 * BLOCK_SECONDS * 1000));
      const book = await s.c.market.bookOf(gen.wallet.address, p + 1);
      expect(book.committedWh, s.logs()).to.be.at.most(1000n);
    }
    const standing = [first, second].filter((a) => /standing by: this key is active/.test(a.output));
    expect(standing, s.logs()).to.have.length(1);
  });

  it("(e) 10 % of requests dropped before and 10 % after forwarding, 4 periods: every period reported, posted and settled", async () => {
    const s = await setUp("lossy");
    const x = await s.proxy();
    x.setLoss(0.1, 0.1, 22);
    s.centre({ url: x.url });
    s.generator(0, { url: x.url });
    s.generator(1, { url: x.url });
    const periods: number[] = [];
    for (let i = 0; i < 4; i++) {
      const p = await nextPeriod(s.p, s.file.periodSeconds);
      periods.push(p);
      await waitFor(`report ${p}`, () => s.c.oracle.hasReport(p), STEP_MS, s.logs);
      await waitFor(`offers for ${p + 1}`, async () => (await postsFor(s, p + 1)).size === 2, STEP_MS, s.logs);
      await waitFor(
        `fills for ${p + 1}`,
        async () => (await fillsOf(s)).filter((f) => f.period === p + 1).length === 2,
        STEP_MS,
        s.logs,
      );
    }
    // The books of the first two delivery periods through their settlement.
    for (const delivery of [periods[0] + 1, periods[1] + 1]) {
      for (const g of s.market.accounts.generators) await throughSettlement(s, g.wallet.address, delivery);
    }
    const lost = x.injected.filter((i) => i.startsWith("loss:"));
    expect(lost.length, "requests dropped").to.be.greaterThan(20);
    for (const p of periods) expect([...(await postsFor(s, p + 1)).values()]).to.deep.equal([1, 1]);
    for (const a of s.agents) expect(a.running, a.output).to.equal(true);
  });

  it("(f) two centres with one key: each offer posted once; the standby takes over when the active one dies", async () => {
    const s = await setUp("twin-centres");
    const first = s.centre();
    const second = s.centre();
    const p0 = await nextPeriod(s.p, s.file.periodSeconds);
    await waitFor("the offers", async () => (await postsFor(s, p0 + 1)).size === 2, STEP_MS, s.logs);
    await new Promise((r) => setTimeout(r, 2 * BLOCK_SECONDS * 1000));
    expect([...(await postsFor(s, p0 + 1)).values()]).to.deep.equal([1, 1]);
    const [active, standby] = /standing by/.test(first.output) ? [second, first] : [first, second];
    expect(standby.output).to.match(/standing by: this key is active in process \d+/);
    await active.stop();
    const p1 = await nextPeriod(s.p, s.file.periodSeconds);
    await waitFor("the offers after the takeover", async () => (await postsFor(s, p1 + 1)).size === 2, STEP_MS, s.logs);
    expect(standby.output).to.match(/taking over/);
    expect([...(await postsFor(s, p1 + 1)).values()]).to.deep.equal([1, 1]);
    expect(await s.c.oracle.queryFilter(s.c.oracle.filters.ReportSubmitted(p1))).to.have.length(1);
  });
});

/**
 * The period pipeline (oracle/agents/pipeline.ts) on one in-process market: a period run in its
 * two halves tells the sinks in order and ends inside the delivery period; a unit without an
 * agent is not polled but still delivers and is metered; a closing period reports and settles
 * but posts nothing; the clock never moves back.
 */
import { expect } from "chai";
import hre from "hardhat";
import { chainNow } from "../../../oracle/chain/clock";
import { devChainClock, type PeriodSink } from "../../../oracle/agents/pipeline";
import { start, testWorld } from "./world-fixture";

describe("the period pipeline (oracle/agents/pipeline.ts)", function () {
  this.timeout(120_000);

  it("runs a period in two halves, telling the sinks as each completes, and ends inside the delivery period", async () => {
    const w = await testWorld([{ node: 2 }, { node: 27 }]);
    const told: string[] = [];
    const sink: PeriodSink = {
      opened: (p) => void told.push(`opened ${p.period}→${p.deliveryPeriod}`),
      delivered: (p) => void told.push(`delivered ${p.deliveryPeriod}`),
    };
    const pipeline = w.pipeline.with({ sinks: [sink] });
    const period = await start(w);
    const opened = await pipeline.open();
    expect(opened.period).to.equal(period);
    expect(opened.deliveryPeriod).to.equal(period + 1);
    expect(opened.centre.posted, "seed34 is congested: the centre posts offers").to.have.length.greaterThan(0);
    expect(opened.generators.map((g) => g.address)).to.deep.equal(w.generators.map((g) => g.agent.address));
    expect(told).to.deep.equal([`opened ${period}→${period + 1}`]);

    const delivered = await pipeline.deliver(opened.deliveryPeriod);
    expect(told).to.deep.equal([`opened ${period}→${period + 1}`, `delivered ${period + 1}`]);
    expect(await chainNow(hre.ethers.provider)).to.equal((period + 1) * w.periodSeconds + 5);
    // Every unit delivered what it committed on top of its plan; the grid as it ran is solved.
    expect(delivered.delivery.map((d) => d.node)).to.deep.equal([2, 27]);
    expect(
      delivered.delivery.some((d) => d.committedMW !== 0),
      "the offers were filled",
    ).to.equal(true);
    for (const d of delivered.delivery) expect(d.actualMW).to.be.closeTo(d.scheduledMW + d.committedMW, 1e-9);
    expect(delivered.actual.loadFlow.converged).to.equal(true);
  });

  it("does not poll a unit without an agent, but delivers and meters it", async () => {
    const w = await testWorld([{ node: 2 }, { node: 27 }]);
    const [agent, other] = w.generators;
    const pipeline = w.pipeline.with({ generators: [agent, { ...other, agent: undefined }] });
    await start(w);
    const run = await pipeline.run();
    expect(run.generators.map((g) => g.address)).to.deep.equal([agent.address]);
    // The unpolled unit filled nothing: it delivers its plan, and its meter records it.
    const unpolled = run.delivery.find((d) => d.address === other.address)!;
    expect(unpolled.committedMW).to.equal(0);
    expect(unpolled.actualMW).to.equal(unpolled.scheduledMW);
    await w.pipeline.clock.advanceTo((run.deliveryPeriod + 1) * w.periodSeconds);
    const { readings } = await w.meters.read({ meters: [other.meter.address], periods: [run.deliveryPeriod] });
    expect(readings).to.have.length(1);
  });

  it("closes a period after trading: reports and settles, posts no offer", async () => {
    const w = await testWorld([{ node: 2 }, { node: 27 }]);
    await start(w);
    const run = await w.pipeline.run();
    expect(run.centre.posted).to.have.length.greaterThan(0);
    const closed = await w.pipeline.close(run.deliveryPeriod);
    expect(closed.period).to.equal(run.deliveryPeriod);
    expect(closed.centre.posted).to.deep.equal([]);
    expect(closed.generators).to.have.length(2);
  });

  it("never moves the clock back", async () => {
    const provider = hre.ethers.provider as unknown as Parameters<typeof devChainClock>[0];
    const clock = devChainClock(provider, 1800);
    const now = await clock.now();
    await clock.advanceTo(now - 600);
    expect(await clock.now()).to.equal(now);
    await clock.advanceTo(now + 60);
    expect(await clock.now()).to.equal(now + 60);
  });
});

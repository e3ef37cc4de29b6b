/**
 * The agents on one in-process market (seed34, every role on its own key): a trade cycle settled
 * exactly by the graduated rule with the vault staying solvent, the centre's checks before it acts,
 * restarts and second processes that never act twice, an unreadable meter source that stops a
 * report instead of falsifying one, and conflicting readings that make only their own measurement BAD.
 */
import { expect } from "chai";
import { join } from "node:path";
import { ethers } from "hardhat";
import { CentreAgent } from "../../../oracle/agents/centre";
import { GeneratorAgent } from "../../../oracle/agents/generator";
import { MeterSourceUnavailableError } from "../../../oracle/agents/metering";
import { MeasurementState, Quality } from "../../../oracle/chain/enums";
import { ConfigurationError } from "../../../oracle/chain/errors";
import { settlement } from "../../../oracle/chain/units";
import { testWorld, start, type TestWorld } from "./world-fixture";

function centreLike(w: TestWorld, changes: Partial<ConstructorParameters<typeof CentreAgent>[0]> = {}): CentreAgent {
  return new CentreAgent({
    contracts: w.contracts,
    deployBlock: w.deployBlock,
    centre: w.accounts.centre,
    operators: w.operators,
    case: w.case,
    caseText: w.caseText,
    readingGraceSeconds: 0,
    ...changes,
  });
}

describe("agents on one market", function () {
  it("a trade cycle: offers for the next period, fills, delivery at 60 %, measurement, settlement by the rule", async () => {
    let trade = true;
    const w = await testWorld([{ node: 2 }, { node: 27, behaviour: () => 0.6 }], {
      offersFor: (study) => (trade ? ((trade = false), study.offers) : []),
    });
    const { market, usd, kwh } = w.contracts;
    const marketAddress = await market.getAddress();
    const period = await start(w);
    const runs = [];
    for (let k = 0; k < 4; k++) runs.push(await w.pipeline.run());

    // Offers: for the next period, justified by this period's report, deterministic nonces.
    const posted = runs[0].centre.posted;
    expect(posted.map((p) => [p.offer.node, p.offer.period, p.offer.justification])).to.deep.equal([
      [2, period + 1, period],
      [27, period + 1, period],
    ]);
    expect(posted.map((p) => p.offer.nonce)).to.deep.equal([
      (BigInt(period + 1) << 24n) | 2n,
      (BigInt(period + 1) << 24n) | 3n,
    ]);
    // Measured in period P+2, final after one dispute window, settled by P+3.
    expect(runs[2].centre.measurements.map((m) => m.period)).to.deep.equal([period + 1, period + 1]);
    const settled = runs.flatMap((r) => r.generators.flatMap((g) => g.poll.settled));
    expect(settled).to.have.length(2);
    const terms = await market.terms();
    for (const s of settled) {
      // Each generator is measured against its own nomination (its planned output): the credit is
      // the measured delivery, settled on its whole commitment by the rule.
      const measured = runs[2].centre.measurements.find((m) => m.generator === s.generator);
      expect(s.settlement.creditedWh).to.equal(measured?.deliveredWh);
      const rule = settlement(
        {
          committedWh: s.settlement.committedWh,
          usd: s.settlement.usdToGenerator + s.settlement.usdToCentre,
          increase:
            runs[0].centre.posted.find(
              (p) => p.offer.node === (s.generator === w.generators[0].wallet.address ? 2 : 27),
            )!.offer.direction === 0,
        },
        s.settlement.creditedWh,
        terms,
      );
      expect(s.settlement.deliveredWh).to.equal(rule.deliveredWh);
      expect(s.settlement.paidWh).to.equal(rule.paidWh);
      expect(s.settlement.penaltyWh).to.equal(rule.penaltyWh);
      expect(s.settlement.usdToGenerator).to.equal(rule.usdToGenerator);
      expect(s.settlement.usdToCentre).to.equal(rule.usdToCentre);
    }
    const sixty = settled.find((s) => s.generator === w.generators[1].wallet.address);
    expect(sixty?.settlement.deliveredWh).to.equal(1172n); // 60 % of 1,953 Wh
    // Solvency: the market holds exactly the free balances (every book is closed).
    const accounts = [w.accounts.centre.address, ...w.generators.map((g) => g.wallet.address)];
    let freeUsd = 0n;
    let freeKwh = 0n;
    for (const a of accounts) {
      const [u, k] = await market.balancesOf(a);
      freeUsd += u;
      freeKwh += k;
    }
    expect(await usd.balanceOf(marketAddress)).to.equal(freeUsd);
    expect(await kwh.balanceOf(marketAddress)).to.equal(freeKwh);
  });

  it("refuses a case whose period length differs from the oracle's, and a centre without operators", async () => {
    const w = await testWorld([{ node: 27 }]);
    const op = w.case.operation;
    if (!op) throw new Error("seed34 has operation data");
    const quarter = { ...w.case, operation: { ...op, periodMinutes: 15 } };
    let error: unknown;
    await centreLike(w, { case: quarter })
      .prepare()
      .catch((e) => (error = e));
    expect(error).to.be.instanceOf(ConfigurationError);
    expect((error as Error).message).to.match(/the case's periods are 15 min but the oracle's are 30 min \(1800 s\)/);
    expect(() => centreLike(w, { operators: [] })).to.throw(ConfigurationError, /needs the oracle operators/);
  });

  it("a restarted centre (fresh memory, same state file) and a second process with the same keys act nowhere twice", async () => {
    const w = await testWorld([{ node: 27 }]);
    const statePath = join(w.dir, "centre.json");
    const a = centreLike(w, { statePath });
    await start(w);
    const first = await a.step();
    expect(first.reported).to.equal(true);
    expect(first.posted.length).to.be.greaterThan(0);
    for (const again of [centreLike(w, { statePath }), centreLike(w)]) {
      const step = await again.step();
      expect(step.reported).to.equal(false);
      expect(step.transactions, "no transaction at all").to.deep.equal([]);
      expect(step.posted.map((p) => p.offerHash)).to.deep.equal(first.posted.map((p) => p.offerHash));
    }
    const board = await w.contracts.market.queryFilter(w.contracts.market.filters.OfferPosted());
    expect(board).to.have.length(first.posted.length);
  });

  it("a state file from another deployment stops the agents with a message naming the file; nothing is sent", async () => {
    const a = await testWorld([{ node: 27 }]);
    const centreState = join(a.dir, "centre.json");
    const generatorState = join(a.dir, "generator.json");
    await start(a);
    await centreLike(a, { statePath: centreState }).step();
    const gen = a.generators[0];
    const generatorLike = (w: TestWorld) =>
      new GeneratorAgent({
        contracts: w.contracts,
        deployBlock: w.deployBlock,
        wallet: gen.wallet,
        policy: gen.policy,
        statePath: generatorState,
      });
    await generatorLike(a).poll();

    // A second deployment: same chain, another market. Its agents are handed the first one's files.
    const b = await testWorld([{ node: 27 }]);
    const blockBefore = await ethers.provider.getBlockNumber();
    for (const [what, act] of [
      ["centre", () => centreLike(b, { statePath: centreState }).step()],
      ["generator", () => generatorLike(b).poll()],
    ] as const) {
      let error: unknown;
      await act().catch((e) => (error = e));
      expect(error, what).to.be.instanceOf(ConfigurationError);
      const path = what === "centre" ? centreState : generatorState;
      expect((error as Error).message, what).to.include(
        `state file ${path} was written for ${(await a.contracts.market.getAddress()).toLowerCase()}@`,
      );
      expect((error as Error).message, what).to.match(/move the file away to start afresh/);
    }
    expect(await ethers.provider.getBlockNumber(), "no transaction").to.equal(blockBefore);
  });

  it("an unreadable meter source: MISSING for now, the report and offers go on, corrected when it answers again", async () => {
    let downUntil = 0; // chain time until which the meter data service does not answer
    let trade = true;
    const w = await testWorld([{ node: 27 }], {
      offersFor: (study) =>
        trade ? ((trade = false), study.offers.filter((o) => o.node === 27)) : study.offers.slice(0, 1),
      operatorMeters: (_i, meters) => ({
        description: "a meter data service that goes down",
        read: async (q) => {
          const now = (await ethers.provider.getBlock("latest"))!.timestamp;
          if (now < downUntil) throw new MeterSourceUnavailableError("http://meters", "unreachable (ECONNREFUSED)");
          return meters.read(q);
        },
      }),
    });
    await start(w);
    const traded = await w.pipeline.run(); // report, offer, fill; delivery recorded
    expect(traded.generators[0].poll.filled).to.have.length(1);
    await w.pipeline.run(); // the delivery period
    // Down at the report that measures the delivery, back ten minutes later.
    downUntil = (traded.deliveryPeriod + 1) * w.periodSeconds + 600;
    const measuredIn = await w.pipeline.run();
    // The report landed with the meter MISSING (its source could not be read), and the offers went on.
    expect(measuredIn.centre.reported).to.equal(true);
    expect(measuredIn.centre.posted.length).to.be.greaterThan(0);
    const [missing] = measuredIn.centre.measurements.filter((m) => m.period === traded.deliveryPeriod);
    expect(missing.quality).to.equal(Quality.Missing);
    // Back inside the dispute window: the operators corrected it near the period's end, and it settles paid.
    expect(measuredIn.operators.flatMap((t) => t.corrected).map((k) => k.period)).to.include(traded.deliveryPeriod);
    const record = await w.contracts.oracle.exceptionOf(traded.deliveryPeriod, w.generators[0].wallet.address);
    expect([Number(record.state), Number(record.quality)]).to.deep.equal([MeasurementState.Corrected, Quality.Ok]);
    const next = await w.pipeline.run();
    const paid = [...measuredIn.generators, ...next.generators].flatMap((g) => g.poll.settled);
    expect(paid.map((p) => [p.period, p.settlement.paidWh > 0n])).to.deep.include([traded.deliveryPeriod, true]);
  });
});

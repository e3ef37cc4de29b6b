/**
 * GS-08 (low): the v1 generator agent reported an offer as accepted when a rival had filled it
 * (14 of 15 false claims per offer with 50 generators), and marked it decided before its own
 * transaction succeeded. v2 confirms a fill on chain (its own Filled event) and says "a rival
 * filled it first" when the market refuses — never claiming a trade it does not hold.
 */
import { expect } from "chai";
import { testWorld, start } from "../oracle/agents/world-fixture";

describe("GS-08: only the generator that holds a fill says it filled", () => {
  it("two generators race for one offer: one position on chain, one claim, the other told why", async () => {
    let trade = true;
    const w = await testWorld([{ node: 27 }, { node: 27 }], {
      offersFor: (study) => (trade ? ((trade = false), study.offers.filter((o) => o.node === 27)) : []),
    });
    await start(w);
    const step = await w.centre.step();
    expect(step.posted).to.have.length(1);
    // Both read the board before either fills, so both decide to fill: a real race.
    const [a, b] = await Promise.all(w.generators.map((g) => g.agent.poll()));
    const fills = await w.contracts.market.queryFilter(w.contracts.market.filters.Filled());
    expect(fills).to.have.length(1);
    const winner = fills[0].args.generator;
    const polls = [a, b];
    const winnerPoll = polls[w.generators.findIndex((g) => g.wallet.address === winner)];
    const loserPoll = polls[w.generators.findIndex((g) => g.wallet.address !== winner)];
    expect(winnerPoll.filled.map((f) => f.fill.amountWh)).to.deep.equal([fills[0].args.details.amountWh]);
    expect(loserPoll.filled).to.deep.equal([]);
    const loser = loserPoll.missed.length > 0 ? loserPoll.missed[0].reason : loserPoll.rejected[0]?.reason;
    expect(loser).to.match(/rivals took it|no longer open/);
  });
});

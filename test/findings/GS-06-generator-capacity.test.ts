/**
 * GS-06 (medium): the v1 generator agent checked each offer against its WHOLE capacity, not what
 * was left of it in the offer's period, and accepted both directions in one period — so it could
 * commit to twice its capacity, or to raise and lower output at once. v2's policy reads what the
 * generator has committed in the delivery period from chain state (market.committedOf, so it
 * survives restarts) and refuses the opposite direction.
 */
import { expect } from "chai";
import { GeneratorAgent } from "../../oracle/agents/generator";
import type { PlannedOffer } from "../../oracle/agents/centre";
import type { Offer } from "../../oracle/market/prices";
import { testWorld, start } from "../oracle/agents/world-fixture";

describe("GS-06: a generator commits no more than its capacity per period, in one direction", () => {
  it("fills the first offer, refuses the one beyond its capacity and the opposite direction — also after a restart", async () => {
    // Three offers to node 27 for the same delivery period: 1.953 kWh down, 1.953 kWh down, 1 kWh up.
    const plan = (offers: readonly Offer[]): PlannedOffer[] => {
      const o = offers.find((x) => x.node === 27);
      if (!o) return [];
      return [
        { ...o, part: 0 },
        { ...o, part: 1 },
        { ...o, part: 2, direction: "increase", kwh: 1, usd: 1, priceUsdPerMWh: 1000 },
      ];
    };
    let trade = true;
    const w = await testWorld([{ node: 27, capacityKwh: 3 }], {
      offersFor: (study) => (trade ? ((trade = false), plan(study.offers)) : []),
    });
    await start(w);
    const run = await w.pipeline.run();
    const poll = run.generators[0].poll;
    // 1.953 kWh fills the first offer; the 1.047 kWh left of its capacity fills part of the second.
    expect(poll.filled.map((f) => f.fill.amountWh)).to.deep.equal([1953n, 1047n]);
    const book = await w.contracts.market.bookOf(w.generators[0].wallet.address, run.deliveryPeriod);
    expect([book.direction, book.committedWh], "exactly its 3 kWh capacity, one direction").to.deep.equal([1n, 3000n]);
    // The raise is refused: it has committed to lower output in that period (v1 filled all three).
    expect(poll.rejected.map((r) => r.reason)).to.deep.equal([
      `I already committed to lower output by 3.000 kWh in period ${run.deliveryPeriod}`,
    ]);

    // A fresh agent (no memory, no state file) judges from chain state just the same.
    const fresh = new GeneratorAgent({
      contracts: w.contracts,
      deployBlock: w.deployBlock,
      wallet: w.generators[0].wallet,
      policy: w.generators[0].policy,
    });
    const again = await fresh.poll();
    expect(again.filled).to.deep.equal([]);
  });
});

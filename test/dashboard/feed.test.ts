/**
 * The pages' chain feed (dashboard/src/chain.ts) against a market the agents run on Hardhat's
 * in-process network: the books it adds up from Filled events are the market's own (bookOf) — one
 * per generator and period, two fills of two offers in one book included — its settlements are the
 * Settled events, a book's state follows it from delivery to settled, measurements become final
 * from their report's recorded time, and reported prices split into energy, loss and congestion.
 */
import { expect } from "chai";
import type { JsonRpcProvider } from "ethers";
import { BookState, Quality } from "../../oracle/chain/enums";
import { bookKeyId } from "../../oracle/chain/market-data";
import type { PlannedOffer } from "../../oracle/agents/centre";
import { attach, ChainFeed, offerState } from "../../dashboard/src/chain";
import { reportedPriceParts } from "../../dashboard/src/format";
import type { DashboardConfig } from "../../dashboard/shared/types";
import { start, testWorld, type TestWorld } from "../oracle/agents/world-fixture";

/** The study's offers once: node 2's in two halves (two offers, one book), node 27's whole. */
function firstPeriodOnly(): (offers: readonly PlannedOffer[]) => PlannedOffer[] {
  let trade = true;
  return (offers) => {
    if (!trade) return [];
    trade = false;
    return offers.flatMap((o) => {
      if (o.node !== 2) return [o];
      const half = { ...o, kwh: o.kwh / 2, usd: o.usd / 2 };
      return [
        { ...half, part: 0 },
        { ...half, part: 1 },
      ];
    });
  };
}

function feedOf(w: TestWorld, addresses: DashboardConfig["deployment"]["addresses"]): ChainFeed {
  const config: DashboardConfig = {
    deployment: {
      network: "hardhat",
      chainId: 31337,
      deployBlock: w.deployBlock,
      periodSeconds: w.periodSeconds,
      addresses,
    },
    chain: { ok: true },
    results: false,
    pollMs: 1000,
  };
  const provider = w.contracts.market.runner?.provider as unknown as JsonRpcProvider;
  return new ChainFeed(config, provider, attach(config, provider));
}

describe("dashboard chain feed on an agents' market", function () {
  this.timeout(300_000);

  it("adds fills up into the market's books and follows each to its settlement", async function () {
    const plan = firstPeriodOnly();
    const w = await testWorld([{ node: 2 }, { node: 27, behaviour: () => 0 }], {
      offersFor: (study) => plan(study.offers),
    });
    const { market, oracle } = w.contracts;
    const addresses = {
      registry: await w.contracts.registry.getAddress(),
      usd: await w.contracts.usd.getAddress(),
      kwh: await w.contracts.kwh.getAddress(),
      oracle: await oracle.getAddress(),
      market: await market.getAddress(),
    };
    const feed = feedOf(w, addresses);
    await start(w);
    const [unit2, unit27] = w.generators.map((g) => g.wallet.address);
    const states: string[] = [];
    const runs = [];
    for (let k = 0; k < 4; k++) {
      runs.push(await w.pipeline.run());
      await feed.poll();
      const b = feed.books.get(bookKeyId({ generator: unit2, period: runs[0].deliveryPeriod }));
      states.push(b ? feed.stateOf(b).key : "none");
    }
    const D = runs[0].deliveryPeriod;
    // Delivering when the chain moved into D; measured by the report of D+1; settled by D+2's end.
    expect(states.slice(0, 2)).to.deep.equal(["awaiting delivery", "awaiting measurement"]);
    expect(states[2]).to.be.oneOf(["measured", "settled"]);
    expect(states[3]).to.equal("settled");

    // One book per generator and period, as the market holds it.
    expect([...feed.books.keys()].sort()).to.deep.equal(
      [bookKeyId({ generator: unit2, period: D }), bookKeyId({ generator: unit27, period: D })].sort(),
    );
    for (const b of feed.books.values()) {
      const onChain = await market.bookOf(b.generator, b.period);
      expect(b.committedWh, b.id).to.equal(onChain.committedWh);
      expect(b.usd, b.id).to.equal(onChain.usd);
      expect(b.nominatedWh, b.id).to.equal(onChain.nominatedWh);
      expect(b.direction, b.id).to.equal(Number(onChain.direction));
      expect(b.centre, b.id).to.equal(onChain.centre);
      expect(b.recorded, b.id).to.deep.equal({
        baseline: Number(onChain.baseline),
        baselineDays: Number(onChain.baselineDays),
        generatorIndex: Number(onChain.generatorIndex),
      });
      expect(Number(onChain.state), b.id).to.equal(BookState.Settled);
      const [settled] = await market.queryFilter(market.filters.Settled(b.generator, b.period));
      expect(b.settlement?.usdToGenerator, b.id).to.equal(settled.args.settlement.usdToGenerator);
      expect(b.settlement?.penaltyWh, b.id).to.equal(settled.args.settlement.penaltyWh);
    }
    // Node 2's book: two fills of two offers, their kWh and USD added up.
    const book2 = feed.books.get(bookKeyId({ generator: unit2, period: D }));
    expect(book2?.fills.map((f) => f.fill.offerHash)).to.have.length(2);
    expect(new Set(book2?.fills.map((f) => f.fill.offerHash)).size).to.equal(2);
    expect(book2?.fills.reduce((s, f) => s + f.fill.amountWh, 0n)).to.equal(book2?.committedWh);
    expect(book2?.fills.reduce((s, f) => s + f.fill.usd, 0n)).to.equal(book2?.usd);
    expect(book2?.settlement?.paidWh).to.equal(book2?.committedWh);
    for (const f of book2?.fills ?? []) {
      const offer = feed.offers.get(f.fill.offerHash);
      expect(offer && offerState(offer, feed.books).state).to.equal("settled");
    }
    // Node 27 changed nothing: credited nothing, paid nothing, penalised.
    const book27 = feed.books.get(bookKeyId({ generator: unit27, period: D }));
    expect(book27?.settlement?.paidWh).to.equal(0n);
    expect(book27 && feed.stateOf(book27).text).to.match(
      /^settled: delivered 0\.000 kWh of .*, paid 0\.00 USD, penalty /,
    );

    // Measurements: under the generator's registry index, final from their report's recorded time.
    for (const b of feed.books.values()) {
      const m = feed.measurementOf(b.generator, b.period);
      expect(m?.quality, b.id).to.equal(Quality.Ok);
      expect(m?.generatorIndex, b.id).to.equal(b.recorded?.generatorIndex);
      const report = await oracle.reportOf(m?.reportPeriod ?? 0);
      expect(m?.recordedAt, b.id).to.equal(Number(report.recordedAt));
    }

    // Reported prices in their parts: the energy part is the study's λ (to the contract's 1e-8).
    const report = feed.reports.get(runs[0].period);
    const study = runs[0].centre.study;
    expect(report?.prices.length).to.be.greaterThan(0);
    for (const p of report?.prices ?? []) {
      const parts = reportedPriceParts(p);
      const studied = study?.prices.find((x) => x.bus === p.node);
      expect(parts.energy, `node ${p.node}`).to.be.closeTo(studied?.energy ?? NaN, 2e-8);
      expect(parts.congestion, `node ${p.node}`).to.be.closeTo(studied?.congestion ?? NaN, 1e-8);
      expect(parts.energy + (parts.loss ?? 0) + parts.congestion).to.be.closeTo(parts.total, 1e-8);
    }
  });
});

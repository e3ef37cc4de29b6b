/**
 * A short day with sealed bids (DayConfig.bids; docs/bids.md) on Hardhat's in-process chain:
 * seed34 under pay-as-bid from 10:30 to 11:30, every generator bidding from a policy drawn from
 * the seed. Checked against the bid book's own events: the sealed and revealed counts, the
 * published selection step by step (quantity and price), each selected step's bid is the price the
 * generator revealed and is what it is paid, and the selected kWh are exactly what the reserved
 * offers were filled for. The policies themselves (bidPlan) are checked without a chain.
 */
import { join, resolve } from "node:path";
import { expect } from "chai";
import hre from "hardhat";
import { loadCase } from "../../../oracle";
import { simulateDay, type ChainSpec, type DayResult } from "../../../oracle/agents/day";
import { bidsRecord } from "../../../oracle/agents/day-record";
import type { PeriodResult } from "../../../oracle/market/period";
import { bidPlan, STRATEGIC_SHARE, type MarketUnitRef } from "../../../oracle/agents/day-generators";
import { readBidBookEvents, revealedBidsFor } from "../../../oracle/chain/bids";
import { attachBidBook } from "../../../oracle/chain/deployments";
import { Direction } from "../../../oracle/chain/enums";
import { unitsToUsdPerMWh } from "../../../oracle/chain/units";
import { parseCivilDate } from "../../../oracle/market/profiles";
import { SeededRandom } from "../../../oracle/market/random";
import { ScenarioError } from "../../../oracle/market/scenario";
import { profileOf } from "../market/profile-fixtures";

const ROOT = resolve(__dirname, "../../..");
const commerceLike = (q: number): number => 15 + 45 * Math.exp(-(((q / 4 - 11.5) / 3) ** 2));

function seed34PayAsBid() {
  const c = loadCase(join(ROOT, "cases/seed34.json"));
  return { ...c, operation: { ...c.operation!, pricingRule: "pay-as-bid" as const } };
}

describe("bidding policies of a simulated day (day-generators.ts, bidPlan)", () => {
  const dispatchable: MarketUnitRef = {
    genRow: 2,
    node: 2,
    unit: { kind: "dispatchable", upPrice: 105, downPrice: 30, rampMW: 0.1 },
  };
  const pv: MarketUnitRef = {
    genRow: 4,
    node: 34,
    unit: { kind: "renewable", upPrice: 0, downPrice: 40, rampMW: 0.5 },
  };

  it("bids cost with noise, some strategically with a 20–50 % markup; a renewable only lowers", () => {
    const random = new SeededRandom("policies");
    const plans = Array.from({ length: 1000 }, (_, i) => bidPlan(dispatchable, random, i)!);
    const strategic = plans.filter((p) => p.strategy === "strategic");
    expect(strategic.length / plans.length).to.be.closeTo(STRATEGIC_SHARE, 0.04);
    for (const p of plans) {
      expect(p.policy.upUsdPerMWh).to.be.within(105 * 0.85, 105 * 1.15);
      expect(p.policy.downUsdPerMWh).to.be.within(30 * 0.85, 30 * 1.15);
      if (p.strategy === "strategic") expect(p.policy.markup).to.be.within(0.2, 0.5);
      else expect(p.policy.markup).to.equal(undefined);
    }
    const ups = plans.map((p) => p.policy.upUsdPerMWh!);
    expect(ups.reduce((s, x) => s + x, 0) / ups.length).to.be.closeTo(105, 2); // noise around the cost
    const renewable = bidPlan(pv, random, 0)!;
    expect(renewable.policy.upUsdPerMWh).to.equal(undefined);
    expect(renewable.policy.downUsdPerMWh).to.be.within(40 * 0.85, 40 * 1.15);
    // Nothing to bid: a unit priced 0 both ways keeps the operation data's terms.
    expect(bidPlan({ ...pv, unit: { ...pv.unit, downPrice: 0 } }, random, 1)).to.equal(undefined);
    // The same seed, the same policies; drawn from a stream of their own.
    expect(bidPlan(dispatchable, new SeededRandom("x"), 3)).to.deep.equal(
      bidPlan(dispatchable, new SeededRandom("x"), 3),
    );
  });

  it("needs a chain: a day on the grid side alone cannot bid", async () => {
    let error: unknown;
    try {
      await simulateDay({
        case: seed34PayAsBid(),
        date: parseCivilDate("2026-06-15"),
        start: 21,
        periods: 1,
        profile: profileOf(commerceLike),
        pv: { latitude: 52.5, longitude: 13.4, clouds: 0.1 },
        seed: "a",
        bids: true,
      });
    } catch (e) {
      error = e;
    }
    expect(error).to.be.instanceOf(ScenarioError);
    expect((error as Error).message).to.match(/sealed bids need a chain/);
  });
});

describe("a day with sealed bids (oracle/agents/day.ts, bids)", function () {
  this.timeout(300_000);
  let day: DayResult;

  before(async () => {
    const [funder] = await hre.ethers.getSigners();
    day = await simulateDay({
      case: seed34PayAsBid(),
      date: parseCivilDate("2026-06-15"),
      start: 21, // 10:30
      periods: 3,
      profile: profileOf(commerceLike),
      pv: { latitude: 52.5, longitude: 13.4, clouds: 0.1 },
      seed: "a",
      bids: true,
      chain: { provider: hre.ethers.provider as unknown as ChainSpec["provider"], funder },
    });
  });

  it("every generator bids from its drawn policy; the renewable only lowers", () => {
    expect(day.generators.every((g) => g.bid !== null)).to.equal(true);
    const pv = day.generators.find((g) => g.node === 34)!;
    expect(pv.bid!.policy.upUsdPerMWh).to.equal(undefined);
    expect(day.summary.bids!.bidders).to.equal(day.generators.length);
    expect(day.summary.bids!.strategicBidders).to.equal(
      day.generators.filter((g) => g.bid!.strategy === "strategic").length,
    );
  });

  it("records each period's auction as the bid book's events have it", async () => {
    const where = day.chain!;
    const book = attachBidBook(where.addresses as never, hre.ethers.provider)!;
    expect(book, "the day names its bid book").to.not.equal(undefined);
    const events = await readBidBookEvents(book, where.deployBlock);
    const policyOf = new Map(day.generators.map((g) => [g.address!.toLowerCase(), g.bid!.policy]));
    let selected = 0;
    for (const r of day.periods) {
      const D = r.chainPeriod!;
      const revealed = revealedBidsFor(events.reveals, D);
      expect(r.bids.sealed, `period ${D}: sealed`).to.equal(Number(await book.commitmentCount(D)));
      expect(r.bids.revealed, `period ${D}: revealed`).to.equal(revealed.length);
      expect(r.bids.revealed).to.equal(day.generators.length); // every agent committed and revealed in time
      expect(r.bids.pricingRule).to.equal("pay-as-bid");
      const published = events.selections.find((s) => s.period === D);
      if (r.bids.steps === 0) {
        expect(published, `period ${D}: nothing selected, nothing published`).to.equal(undefined);
        continue;
      }
      expect(published!.steps).to.have.length(r.bids.steps!);
      for (const [k, s] of r.bids.selection.entries()) {
        const onChain = published!.steps[k];
        expect(onChain.generator.toLowerCase()).to.equal(s.generator);
        expect(Number(onChain.quantityWh)).to.equal(Math.round(s.kwh * 1000));
        expect(onChain.direction).to.equal(s.direction === "increase" ? Direction.Increase : Direction.Decrease);
        // Pay-as-bid: the price paid is the step's own bid, the one the generator revealed.
        const bid = revealed.find((b) => b.generator.toLowerCase() === s.generator)!;
        const step = (s.direction === "increase" ? bid.bid.up : bid.bid.down)[s.step];
        expect(unitsToUsdPerMWh(step.priceUsdPerMWh)).to.be.closeTo(s.bidUsdPerMWh, 1e-8);
        expect(s.paidUsdPerMWh).to.equal(s.bidUsdPerMWh);
        expect(unitsToUsdPerMWh(onChain.priceUsdPerMWh)).to.be.closeTo(s.paidUsdPerMWh, 1e-8);
        // The bid is the generator's policy: its price (with any markup) on its first step, dearer after.
        const policy = policyOf.get(s.generator)!;
        const base = s.direction === "increase" ? policy.upUsdPerMWh! : policy.downUsdPerMWh!;
        expect(s.bidUsdPerMWh).to.be.closeTo(base * (1 + (policy.markup ?? 0)) * 1.2 ** s.step, 1e-6);
      }
      // What the selection pays: at its bids, never more than at its nodal values.
      expect(r.bids.selectedUsd).to.be.closeTo(r.bids.payAsBidUsd!, 1e-12);
      expect(r.bids.nodalUsd).to.be.at.least(r.bids.payAsBidUsd! - 1e-12);
      expect(r.bids.selectedKwh).to.be.closeTo(
        r.bids.selection.reduce((sum, s) => sum + s.kwh, 0),
        1e-9,
      );
      // The selected kWh are the reserved offers' fills, at the selection's price (rounded down to 1e-8 USD once per offer).
      expect(r.bids.reservedFilledKwh).to.be.closeTo(r.bids.selectedKwh!, 1e-9);
      expect(r.bids.unfilledCount).to.equal(0);
      expect(r.bids.unfilled).to.deep.equal([]);
      expect(r.bids.reservedFilledUsd).to.be.at.most(r.bids.selectedUsd! + 1e-12);
      expect(r.bids.reservedFilledUsd).to.be.closeTo(r.bids.selectedUsd!, 1e-7 * day.generators.length);
      selected += r.bids.steps!;
    }
    expect(selected, "the congested periods selected bid steps").to.be.at.least(1);
  });

  it("sums the auctions in the summary", () => {
    const b = day.summary.bids!;
    const sum = (f: (r: DayResult["periods"][number]) => number | null): number =>
      day.periods.reduce((s, r) => s + (f(r) ?? 0), 0);
    expect(b.pricingRule).to.equal("pay-as-bid");
    expect(b.revealed).to.equal(sum((r) => r.bids.revealed));
    expect(b.steps).to.equal(sum((r) => r.bids.steps));
    expect(b.selectedKwh).to.be.closeTo(
      sum((r) => r.bids.selectedKwh),
      1e-9,
    );
    expect(b.selectedUsd).to.be.closeTo(b.payAsBidUsd, 1e-9);
    expect(b.reservedFilledKwh).to.be.closeTo(b.selectedKwh, 1e-9);
    expect(day.summary.openPositions).to.equal(0);
    expect(day.summary.conservation!.ok).to.equal(true);
  });
});

describe("a selected bidder that does not fill (day-record.ts, bidsRecord)", () => {
  it("is named in the period's record, and counted in its CSV column", () => {
    const step = (generator: string, node: number) => ({
      generator,
      firstPeriod: 7,
      node,
      genRow: node,
      direction: "increase" as const,
      step: 0,
      quantityWh: 5000,
      bidUsdPerMWh: 100,
      nodalUsdPerMWh: 120,
      priceUsdPerMWh: 100,
    });
    const a = "0x00000000000000000000000000000000000000aa";
    const b = "0x00000000000000000000000000000000000000bb";
    const study = {
      bids: {
        period: 7,
        units: [],
        fallback: [],
        setAside: [],
        selection: { period: 7, pricingRule: "pay-as-bid", steps: [step(a, 2), step(b, 27)], fallbackOffers: [] },
      },
    } as unknown as PeriodResult;
    const r = bidsRecord(study, { sealed: 2, reservedFills: [{ generator: a, kwh: 5, usd: 0.5 }] });
    expect(r.unfilled).to.deep.equal([b]);
    expect(r.unfilledCount).to.equal(1);
    expect(r.selectedKwh).to.equal(10);
    expect(r.reservedFilledKwh).to.equal(5);
  });
});

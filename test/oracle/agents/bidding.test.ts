/**
 * The agents' side of sealed bids (oracle/agents/bidding.ts, decideSelected, study-bids.ts): bids
 * built from a policy are ones the bid book takes; a reserved offer of a selected period is filled
 * as bid, never beyond it; an operator refuses a study whose bids are not exactly the chain's.
 */
import { expect } from "chai";
import fc from "fast-check";
import { ZeroAddress } from "ethers";
import {
  bidTimes,
  checkSealedBid,
  readBidBookEvents,
  RevealReader,
  type BidBookTermsData,
} from "../../../oracle/chain/bids";
import type { PeriodResult } from "../../../oracle/market/period";
import { BookState, Direction } from "../../../oracle/chain/enums";
import type { OfferData } from "../../../oracle/chain/market-data";
import { usdPerMWhToUnits } from "../../../oracle/chain/units";
import {
  bidQuantityWh,
  bidSteps,
  checkBidPolicy,
  policyBid,
  sealedFromJson,
  sealedToJson,
} from "../../../oracle/agents/bidding";
import { decideSelected } from "../../../oracle/chain/fill-rule";
import { StudyBidsCheck } from "../../../oracle/agents/oracle/study-bids";
import { loadFixture } from "../../fixture-clock";
import { testWorld } from "./world-fixture";

const TERMS: BidBookTermsData = {
  periodSeconds: 1800,
  gateClosureSeconds: 0,
  studySeconds: 1800,
  revealSeconds: 300,
  bidGateSeconds: 2100,
  maxPriceUsdPerMWh: usdPerMWhToUnits(1000),
};
const ME = "0x00000000000000000000000000000000000000aa";

describe("agents: sealed bids", function () {
  describe("bids from a policy", function () {
    it("splits the quantity into rising steps, marks up, and stays inside the book's price range", function () {
      const steps = bidSteps(
        100,
        50_000n,
        { upUsdPerMWh: 100, markup: 0.1, steps: 3, stepRise: 0.5 },
        TERMS.maxPriceUsdPerMWh,
      );
      expect(steps.map((s) => s.quantityWh)).to.deep.equal([16_666n, 16_666n, 16_668n]);
      expect(steps.map((s) => Number(s.priceUsdPerMWh) / 1e8)).to.deep.equal([110, 165, 247.5]);
      // What would ask more than the book's maximum is not bid.
      expect(bidSteps(800, 50_000n, { upUsdPerMWh: 800, steps: 3 }, TERMS.maxPriceUsdPerMWh)).to.have.length(2);
    });

    it("every bid a valid policy makes passes the bid book's checks (property)", function () {
      fc.assert(
        fc.property(
          fc.record({
            up: fc.option(fc.double({ min: 0.01, max: 900, noNaN: true }), { nil: undefined }),
            down: fc.option(fc.double({ min: 0.01, max: 900, noNaN: true }), { nil: undefined }),
            markup: fc.double({ min: 0, max: 0.5, noNaN: true }),
            steps: fc.integer({ min: 1, max: 4 }),
            capacityKwh: fc.double({ min: 0.01, max: 5000, noNaN: true }),
            capacityW: fc.integer({ min: 10, max: 5_000_000 }),
          }),
          (r) => {
            fc.pre(r.up !== undefined || r.down !== undefined);
            const policy = checkBidPolicy({
              upUsdPerMWh: r.up,
              downUsdPerMWh: r.down,
              markup: r.markup,
              steps: r.steps,
            });
            const sealed = policyBid(
              { address: ME, node: 7, capacityKwh: r.capacityKwh },
              policy,
              { first: 10, last: 10 },
              { capacityW: r.capacityW, terms: TERMS },
            );
            fc.pre(sealed.bid.up.length + sealed.bid.down.length > 0);
            checkSealedBid(sealed, { registeredNode: 7, capacityW: r.capacityW, terms: TERMS });
            expect(sealedFromJson(JSON.parse(JSON.stringify(sealedToJson(sealed))))).to.deep.equal(sealed);
          },
        ),
        { numRuns: 300 },
      );
    });

    it("refuses a policy that cannot be meant, naming the field", function () {
      expect(() => checkBidPolicy({})).to.throw(RangeError, /bid prices must be given for at least one direction/);
      expect(() => checkBidPolicy({ upUsdPerMWh: -1 })).to.throw(
        RangeError,
        /bid up price must be a number of USD\/MWh > 0, got -1/,
      );
      expect(() => checkBidPolicy({ downUsdPerMWh: 10, steps: 5 })).to.throw(
        RangeError,
        /bid steps must be 1..4, got 5/,
      );
      expect(() => checkBidPolicy({ downUsdPerMWh: 10, markup: -0.1 })).to.throw(RangeError, /markup/);
    });
  });

  describe("a reserved offer of a selected period", function () {
    const offer = (amountWh: bigint, generator = ME): OfferData => ({
      centre: "0x00000000000000000000000000000000000000cc",
      generator,
      node: 7,
      direction: Direction.Increase,
      amountWh,
      usd: amountWh * 104n * 100n, // 104 USD/MWh in 1e-8 USD
      period: 10,
      justification: 9,
      deadline: 18_000,
      minFillWh: 1n,
      maxFillWh: amountWh,
      baseline: 0,
      baselineDays: 0,
      epoch: 0,
      nonce: 1n,
    });
    const terms = { address: ME, node: 7, costUsdPerKwh: 1, marginUsdPerKwh: 1, capacityKwh: 1 };
    const open = { open: true, filledWh: 0n, closesAt: 18_000 };
    const none = { state: BookState.None, direction: 0, committedWh: 0n, centre: ZeroAddress };

    it("is filled in full without weighing its price again (it pays less than the policy's cost here)", function () {
      const d = decideSelected(terms, offer(13_000n), open, none, 25_000n, 17_000);
      expect(d).to.include({ fill: true, amountWh: 13_000n });
      expect(d.reason).to.match(/selected on my sealed bid \(104\.00 USD\/MWh for 13\.000 kWh\)/);
    });

    it("is refused when it asks more than the bid offered in its direction, or is another's", function () {
      expect(decideSelected(terms, offer(30_000n), open, none, 25_000n, 17_000).reason).to.match(
        /asks 30\.000 kWh, more than my bid offered to raise \(25\.000 kWh\)/,
      );
      const other = "0x00000000000000000000000000000000000000bb";
      expect(decideSelected(terms, offer(1_000n, other), open, none, 25_000n, 17_000).reason).to.match(/reserved for/);
      expect(decideSelected(terms, offer(1_000n), { ...open, open: false }, none, 25_000n, 17_000).fill).to.equal(
        false,
      );
    });
  });

  describe("an operator's check of a study's bids", function () {
    async function revealed() {
      const world = await testWorld(
        [
          { node: 2, bid: { upUsdPerMWh: 104, downUsdPerMWh: 22 } },
          { node: 27, bid: { downUsdPerMWh: 12 } },
        ],
        { bids: {} },
      );
      const first = await world.pipeline.startPeriod();
      return { world, D: first + 1 };
    }

    it("takes exactly the revealed bids and refuses a study that leaves one out, adds one, or uses another book", async function () {
      const { world, D } = await loadFixture(revealed);
      const book = world.bidBook!.book;
      const check = new StudyBidsCheck(book, world.deployBlock);
      const ownView = new StudyBidsCheck(book, world.deployBlock);
      const now = bidTimes(D, world.bidBook!.terms).revealEnd;
      const forecasts = { periodStart: D * world.periodSeconds };
      const address = await book.getAddress();
      const { bids } = await new RevealReader(book, world.deployBlock).bidsFor(D);
      expect(bids.map((b) => b.node)).to.have.members([2, 27]);
      const inputs = { case: "0x", forecasts, bids: { book: address, revealed: bids } };
      expect((await check.check(inputs, world.periodSeconds, now)).problems).to.deep.equal([]);
      expect(
        (await ownView.check({ ...inputs, bids: { book: address, revealed: bids.slice(1) } }, world.periodSeconds, now))
          .problems[0],
      ).to.match(/the study's bids are not those revealed for period \d+: 1 proposed, 2 on chain/);
      const extra = { ...bids[0], generator: "0x00000000000000000000000000000000000000ee" };
      expect(
        (
          await check.check(
            { ...inputs, bids: { book: address, revealed: [...bids, extra] } },
            world.periodSeconds,
            now,
          )
        ).problems[0],
      ).to.match(/3 proposed, 2 on chain/);
      expect((await check.check({ ...inputs, bids: undefined }, world.periodSeconds, now)).problems[0]).to.match(
        /must price the units with the bids revealed/,
      );
      expect(
        (await check.check({ ...inputs, bids: { book: ZeroAddress, revealed: bids } }, world.periodSeconds, now))
          .problems[0],
      ).to.match(/from bid book 0x0+, the market's is/);
      expect((await check.check(inputs, world.periodSeconds, now - 1)).problems[0]).to.match(
        /reveal window of period \d+ is open until/,
      );
      expect((await new StudyBidsCheck(undefined, 0).check(inputs, world.periodSeconds, now)).problems[0]).to.match(
        /configured with none/,
      );
    });

    it("the selected generators' bids bound their reserved offers", async function () {
      const { world, D } = await loadFixture(revealed);
      const run = await world.pipeline.run();
      expect(run.deliveryPeriod).to.equal(D);
      const reveals = await new RevealReader(world.bidBook!.book, world.deployBlock).bidsFor(D);
      for (const p of run.centre.posted) {
        const sealed = reveals.sealed.find((s) => s.generator.toLowerCase() === p.offer.generator.toLowerCase());
        expect(sealed, `offer at node ${p.offer.node} reserved for a bidder`).to.not.equal(undefined);
        expect(p.offer.amountWh <= bidQuantityWh(sealed!, p.offer.direction)).to.equal(true);
      }
      expect(run.centre.posted.length).to.be.greaterThan(0);
      expect(run.generators.flatMap((g) => g.poll.filled)).to.have.length(run.centre.posted.length);
    });

    it("a selection that is not the study's (a dishonest centre key publishes first): no reserved offers, and every operator says it does not verify", async function () {
      const { world, D } = await loadFixture(revealed);
      await world.pipeline.run();
      const book = world.bidBook!.book;
      // Period D+1's reveal window has closed: the centre's key publishes an empty selection of made-up inputs.
      await (await book.connect(world.accounts.centre).publishSelection(D + 1, 0, `0x${"ab".repeat(32)}`, [])).wait();
      const next = await world.pipeline.run();
      expect(next.deliveryPeriod).to.equal(D + 1);
      expect(next.centre.problems.join("\n")).to.match(/a different selection of period \d+ is on chain/);
      expect(next.centre.posted.filter((p) => BigInt(p.offer.generator) !== 0n)).to.deep.equal([]);
      const verdicts = next.operators.flatMap((t) => t.selections).filter((v) => v.period === D + 1);
      expect(verdicts).to.have.length(3);
      for (const v of verdicts)
        expect(v)
          .to.include({ matches: false })
          .and.to.have.property("why")
          .that.match(/no study I checked/);
    });

    it("a bid for a range of periods: committed and revealed once, in the auction of each period it covers", async function () {
      const world = await testWorld([{ node: 2, bid: { upUsdPerMWh: 104, downUsdPerMWh: 22, rangePeriods: 3 } }], {
        bids: {},
      });
      const first = await world.pipeline.startPeriod();
      const D = first + 1;
      const runs = [await world.pipeline.run(), await world.pipeline.run()];
      const events = await readBidBookEvents(world.bidBook!.book, world.deployBlock);
      expect(events.commitments.map((c) => [c.firstPeriod, c.lastPeriod])).to.deep.include([D, D + 2]);
      expect(events.commitments.filter((c) => c.firstPeriod <= D + 1 && D + 1 <= c.lastPeriod)).to.have.length(1);
      expect(events.reveals.filter((r) => r.sealed.firstPeriod === D)).to.have.length(1);
      for (const [k, run] of runs.entries()) {
        expect(run.deliveryPeriod).to.equal(D + k);
        const bids = (run.centre.study as PeriodResult).bids!;
        expect(
          bids.units.map((u) => u.node),
          `period ${D + k} priced node 2 by the range bid`,
        ).to.deep.equal([2]);
        for (const p of run.centre.posted.filter((x) => x.offer.node === 2))
          expect(p.offer.generator).to.equal(world.generators[0].address);
      }
    });

    it("a policy whose bid the book would refuse (every step above its price cap): out of the auction, said once", async function () {
      const world = await testWorld([{ node: 2, bid: { upUsdPerMWh: 5000 } }], { bids: {} });
      const agent = world.generators[0].agent;
      const first = await agent.poll();
      expect(first.bids.committed).to.deep.equal([]);
      expect(first.bids.out.length).to.be.greaterThan(0);
      for (const o of first.bids.out) expect(o.reason).to.match(/EmptyBid/);
      const again = await agent.poll();
      expect(again.bids.out).to.deep.equal([]);
      expect(Number(await world.bidBook!.book.commitmentCount(first.bids.out[0].period))).to.equal(0);
    });
  });
});

/**
 * oracle/chain/bids.ts on the Hardhat network, with the whole protocol: generators seal, commit
 * and reveal bids; the centre studies seed34 with the revealed bids read back from the chain and
 * publishes the selection; an operator who holds nothing but the chain's events and the study's
 * inputs recomputes it. The property: for random bids and either pricing rule, the selection read
 * back from the chain equals the one recomputed from the revealed bids, field by field, and the
 * bid book verifies the recomputed one. Also: guarded sends are idempotent, logs read in any
 * block-range size give the same record, conversions are exact, and the reserved offers' amounts
 * add up.
 */
import { readFileSync } from "node:fs";
import { resolve } from "node:path";
import { expect } from "chai";
import { ethers } from "hardhat";
import { time } from "@nomicfoundation/hardhat-network-helpers";
import { loadFixture } from "../../fixture-clock";
import type { HardhatEthersSigner } from "@nomicfoundation/hardhat-ethers/signers";
import fc from "fast-check";
import { parseJsonCase, runPeriod, type PowerCase, type PricingRule as MarketPricingRule } from "../../../oracle";
import {
  bidTimes,
  commitBid,
  publishSelection,
  readBidBookEvents,
  reservedOfferAmounts,
  revealBid,
  revealedBidsFor,
  sameSelection,
  sealBid,
  toMarketBid,
  toPublishedSelection,
  newSalt,
  publishedSelectionHash,
  selectedStepStruct,
  type BidStepData,
  type PublishedSelection,
  type SealedBidData,
} from "../../../oracle/chain/bids";
import { caseTextHash, inputHash } from "../../../oracle/chain/encode";
import { Direction, PricingRule } from "../../../oracle/chain/enums";
import { energyPayment, usdPerMWhToUnits } from "../../../oracle/chain/units";
import { deployBids, type BidsFixture } from "../../contracts/fixtures";

const SEED34 = resolve(__dirname, "../../../cases/seed34.json");
const CASE_TEXT = readFileSync(SEED34, "utf8");

/** A study of seed34 for delivery period `period` under `rule`, with `sealed` bids. */
async function study(c: PowerCase, period: number, rule: MarketPricingRule, sealed: readonly SealedBidData[]) {
  const withRule = { ...c, operation: { ...c.operation!, pricingRule: rule } };
  const forecasts = { periodStart: period * 1800 };
  const result = await runPeriod(withRule, forecasts, { bids: sealed.map(toMarketBid) });
  return { result, inputHash: inputHash({ case: caseTextHash(CASE_TEXT), forecasts, rule }) };
}

/** Rising prices (USD/MWh × 1e8) with quantities (Wh), from a random draw. */
const stepsArb = fc
  .array(fc.record({ wh: fc.integer({ min: 100, max: 60_000 }), usd: fc.integer({ min: 1, max: 400 }) }), {
    maxLength: 3,
  })
  .map((list) => {
    const prices = [...new Set(list.map((s) => s.usd))].sort((a, b) => a - b);
    return prices.map(
      (usd, i): BidStepData => ({
        quantityWh: BigInt(list[i].wh),
        // Cents of USD/MWh: prices with decimals, exact on chain.
        priceUsdPerMWh: usdPerMWhToUnits(usd + (list[i].wh % 100) / 100),
      }),
    );
  });

/** A random bid per generator (or none), at its own node; at least one step when it bids. */
const bidsArb = fc.record({
  gen2: fc.option(fc.record({ up: stepsArb, down: stepsArb }), { nil: undefined }),
  gen27: fc.option(fc.record({ up: stepsArb, down: stepsArb }), { nil: undefined }),
  gen27b: fc.option(fc.record({ up: stepsArb, down: stepsArb }), { nil: undefined }),
  gen34: fc.option(fc.record({ up: stepsArb, down: stepsArb }), { nil: undefined }),
  rule: fc.constantFrom<MarketPricingRule>("nodal", "pay-as-bid"),
});

const NODES = { gen2: 2, gen27: 27, gen27b: 27, gen34: 34 } as const;

/** Seals, commits (relayed by a stranger) and reveals each bid; returns them as the generators sealed them. */
async function bidOnChain(
  f: BidsFixture,
  period: number,
  bids: Partial<Record<keyof typeof NODES, { up: BidStepData[]; down: BidStepData[] }>>,
): Promise<SealedBidData[]> {
  const sealed: [HardhatEthersSigner, SealedBidData][] = [];
  for (const [name, node] of Object.entries(NODES) as [keyof typeof NODES, number][]) {
    const b = bids[name];
    if (!b || b.up.length + b.down.length === 0) continue;
    const who = f[name];
    sealed.push([
      who,
      { generator: who.address, firstPeriod: period, lastPeriod: period, bid: { node, ...b, salt: newSalt() } },
    ]);
  }
  for (const [who, s] of sealed) {
    const { signature } = await sealBid(who, f.bidsDomain, s);
    await commitBid(f.bids, f.stranger, s, signature);
  }
  await time.increaseTo(bidTimes(period, f.bidTerms).bidGate);
  for (const [, s] of sealed) await revealBid(f.bids, f.stranger, s);
  await time.increaseTo(bidTimes(period, f.bidTerms).revealEnd);
  return sealed.map(([, s]) => s);
}

describe("chain/bids.ts: the protocol end to end", () => {
  let c: PowerCase;
  before(() => {
    c = parseJsonCase(CASE_TEXT, SEED34);
  });

  it("the selection read back from the chain equals the one recomputed from the revealed bids (random bids, both rules)", async () => {
    let selectedSome = 0;
    await fc.assert(
      fc.asyncProperty(bidsArb, async (draw) => {
        const f = await loadFixture(deployBids);
        const period = Number(f.period) + 2;
        const sealed = await bidOnChain(f, period, draw);

        // The centre: the revealed bids as the chain holds them, the study, the publication.
        const atCentre = await readBidBookEvents(f.bids, 0);
        const centre = await study(c, period, draw.rule, revealedBidsFor(atCentre.reveals, period));
        const published = toPublishedSelection(centre.result.bids!.selection, centre.inputHash);
        await publishSelection(f.bids, f.centre, published);

        // An operator: nothing but the events (read in small block ranges) and the study's inputs.
        const events = await readBidBookEvents(f.bids, 0, undefined, 3);
        expect(events.selections).to.have.length(1);
        // Asking for the selections only reads those, and the same.
        const selectionsOnly = await readBidBookEvents(f.bids, 0, undefined, 3, ["selections"]);
        expect(selectionsOnly.selections).to.deep.equal(events.selections);
        expect(selectionsOnly.commitments.length + selectionsOnly.reveals.length).to.equal(0);
        const onChain = events.selections[0];
        const revealed = revealedBidsFor(events.reveals, period);
        expect(revealed).to.deep.equal(sealed);
        const recomputed = await study(c, period, draw.rule, revealed);
        const again = toPublishedSelection(recomputed.result.bids!.selection, recomputed.inputHash);
        const asPublished = (s: PublishedSelection) => ({
          period: s.period,
          pricingRule: s.pricingRule,
          inputHash: s.inputHash,
          steps: s.steps,
        });
        expect(asPublished(onChain)).to.deep.equal(asPublished(again));
        expect(sameSelection(onChain, again)).to.equal(true);
        expect(onChain.selectionHash).to.equal(publishedSelectionHash(again));
        expect(
          await f.bids.verifySelection(period, again.pricingRule, again.inputHash, again.steps.map(selectedStepStruct)),
        ).to.equal(true);
        expect(onChain.pricingRule).to.equal(draw.rule === "pay-as-bid" ? PricingRule.PayAsBid : PricingRule.Nodal);
        // Under pay-as-bid every step is paid its own price, as revealed on chain.
        if (draw.rule === "pay-as-bid") {
          for (const s of onChain.steps) {
            const bid = revealed.find((b) => b.generator === s.generator)!;
            const list = s.direction === Direction.Increase ? bid.bid.up : bid.bid.down;
            expect(s.priceUsdPerMWh).to.equal(list[s.step].priceUsdPerMWh);
          }
        }
        if (onChain.steps.length > 0) selectedSome++;
      }),
      { numRuns: 12, seed: 34 },
    );
    expect(selectedSome, "runs with a selection").to.be.greaterThan(3);
  });

  it("sends are guarded: committing, revealing and publishing again sends nothing", async () => {
    const f = await loadFixture(deployBids);
    const period = Number(f.period) + 2;
    const s: SealedBidData = {
      generator: f.gen27.address,
      firstPeriod: period,
      lastPeriod: period,
      bid: { node: 27, up: [], down: [{ quantityWh: 1_000n, priceUsdPerMWh: usdPerMWhToUnits(14) }], salt: newSalt() },
    };
    const { signature } = await sealBid(f.gen27, f.bidsDomain, s);
    expect((await commitBid(f.bids, f.stranger, s, signature)).status).to.equal("mined");
    expect((await commitBid(f.bids, f.gen27, s, signature)).status).to.equal("already-done");
    await time.increaseTo(bidTimes(period, f.bidTerms).bidGate);
    expect((await revealBid(f.bids, f.gen27, s)).status).to.equal("mined");
    expect((await revealBid(f.bids, f.stranger, s)).status).to.equal("already-done");
    await time.increaseTo(bidTimes(period, f.bidTerms).revealEnd);
    const selection: PublishedSelection = {
      period,
      pricingRule: PricingRule.PayAsBid,
      inputHash: ethers.ZeroHash,
      steps: [
        {
          generator: f.gen27.address,
          firstPeriod: period,
          direction: Direction.Decrease,
          step: 0,
          quantityWh: 999n,
          priceUsdPerMWh: usdPerMWhToUnits(14),
        },
      ],
    };
    expect((await publishSelection(f.bids, f.centre, selection)).status).to.equal("mined");
    expect((await publishSelection(f.bids, f.centre, selection)).status).to.equal("already-done");
    // The reserved offer of the selected generator: its steps' Wh at their prices, rounded down once.
    expect(reservedOfferAmounts(selection, [s])).to.deep.equal([
      {
        generator: f.gen27.address,
        node: 27,
        direction: Direction.Decrease,
        amountWh: 999n,
        usd: (999n * usdPerMWhToUnits(14)) / 1_000_000n,
      },
    ]);
    // A sealed bid is signed by its own generator only.
    const refused = await sealBid(f.gen34, f.bidsDomain, s).then(
      () => "signed",
      (e: Error) => e.message,
    );
    expect(refused).to.match(/^WrongSigner: the bid is 0x\w+'s; 0x\w+ cannot sign it$/);
  });

  it("reserved offers: one per generator, its steps summed; energyPayment rounds the exact sum down once", () => {
    const g = "0x00000000000000000000000000000000000000aa";
    const bid: SealedBidData = {
      generator: g,
      firstPeriod: 7,
      lastPeriod: 9,
      bid: { node: 27, up: [], down: [], salt: ethers.ZeroHash },
    };
    const selection: PublishedSelection = {
      period: 8,
      pricingRule: PricingRule.Nodal,
      inputHash: ethers.ZeroHash,
      steps: [
        { generator: g, firstPeriod: 7, direction: 1, step: 0, quantityWh: 1_000n, priceUsdPerMWh: 1_400_000_001n },
        { generator: g, firstPeriod: 7, direction: 1, step: 1, quantityWh: 953n, priceUsdPerMWh: 1_800_000_001n },
      ],
    };
    const parts = selection.steps.map((s) => ({ wh: s.quantityWh, usdPerMWh: s.priceUsdPerMWh }));
    expect(energyPayment(parts)).to.equal((1_000n * 1_400_000_001n + 953n * 1_800_000_001n) / 1_000_000n);
    expect(reservedOfferAmounts(selection, [bid])).to.deep.equal([
      { generator: g, node: 27, direction: 1, amountWh: 1_953n, usd: energyPayment(parts) },
    ]);
    expect(() => reservedOfferAmounts(selection, [])).to.throw(/no such revealed bid/);
    const both = { ...selection, steps: [{ ...selection.steps[0], direction: 0 }, selection.steps[1]] };
    expect(() => reservedOfferAmounts(both, [bid])).to.throw(/both directions/);
    expect(() => energyPayment([{ wh: -1n, usdPerMWh: 1n }])).to.throw(/must not be negative/);
  });

  it("toMarketBid and toPublishedSelection are exact: prices and Wh go there and back unchanged", () => {
    const price = 12_345_678_901n; // 123.45678901 USD/MWh
    const sealed: SealedBidData = {
      generator: "0x00000000000000000000000000000000000000Ab",
      firstPeriod: 10,
      lastPeriod: 12,
      bid: { node: 27, up: [{ quantityWh: 123_456n, priceUsdPerMWh: price }], down: [], salt: ethers.ZeroHash },
    };
    const m = toMarketBid(sealed);
    expect(m.up).to.deep.equal([{ quantityWh: 123_456, priceUsdPerMWh: 123.45678901 }]);
    const published = toPublishedSelection(
      {
        period: 11,
        pricingRule: "pay-as-bid",
        fallbackOffers: [],
        steps: [
          {
            generator: sealed.generator.toLowerCase(),
            firstPeriod: 10,
            node: 27,
            genRow: 3,
            direction: "increase",
            step: 0,
            quantityWh: 123_456,
            bidUsdPerMWh: m.up[0].priceUsdPerMWh,
            nodalUsdPerMWh: 0,
            priceUsdPerMWh: m.up[0].priceUsdPerMWh,
          },
        ],
      },
      ethers.ZeroHash,
    );
    expect(published.steps[0]).to.deep.equal({
      generator: "0x00000000000000000000000000000000000000AB",
      firstPeriod: 10,
      direction: Direction.Increase,
      step: 0,
      quantityWh: 123_456n,
      priceUsdPerMWh: price,
    });
    expect(published.pricingRule).to.equal(PricingRule.PayAsBid);
  });
});

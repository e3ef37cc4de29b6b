/**
 * The pages' own logic that needs no browser: an offer's state in words (from the market's
 * offerStatus and the books its fills went into), a book's state through its life (filling →
 * settled or unwound, with its measurement, the market's terms and the chain's clock), and the one
 * place where on-chain units become figures with units.
 */
import { expect } from "chai";
import { BaselineMethod, Direction, OfferStatus, Quality } from "../../oracle/chain/enums";
import { bookKeyId, type FillData, type OfferData, type SettlementData } from "../../oracle/chain/market-data";
import {
  kwh,
  kwhSigned,
  lineName,
  mw,
  mwFromW,
  periodLabel,
  priceBreakdown,
  reportedPriceParts,
  usd,
  usdPerMWhUnits,
} from "../../dashboard/src/format";
import {
  bookState,
  creditedFor,
  fillSizes,
  fillsCloseAt,
  offerState,
  type BoardOffer,
  type BookContext,
  type BookView,
  type FillView,
  type MarketTerms,
} from "../../dashboard/src/market-state";
import type { Topology } from "../../dashboard/shared/types";

const ZERO = "0x0000000000000000000000000000000000000000";
const GENERATOR = "0x2000000000000000000000000000000000000002";
const offer: OfferData = {
  centre: "0x1000000000000000000000000000000000000001",
  generator: ZERO,
  node: 2,
  direction: Direction.Increase,
  amountWh: 13_000n,
  usd: 848_582_162n,
  period: 1000,
  justification: 999,
  deadline: 1_800_000,
  minFillWh: 1_000n,
  maxFillWh: 13_000n,
  baseline: BaselineMethod.Nominated,
  baselineDays: 0,
  epoch: 0,
  nonce: 1n,
};
const terms: MarketTerms = {
  periodSeconds: 1800,
  gateClosureSeconds: 300,
  disputeWindowSeconds: 1800,
  settlementGraceSeconds: 7200,
  fillHorizonPeriods: 48,
  minDeliveredBps: 5000,
  penaltyBps: 5000,
};
/** Delivery period 1000 runs from 1,800,000 s to 1,801,800 s; its gate closes at 1,799,700 s. */
const START = 1_800_000;
const END = 1_801_800;

function fillOf(amountWh: bigint, bookCommittedWh: bigint, offerFilledWh = amountWh): FillView {
  const fill: FillData = {
    offerHash: "0xo",
    generator: GENERATOR,
    period: offer.period,
    centre: offer.centre,
    direction: offer.direction,
    amountWh,
    usd: (offer.usd * amountWh) / offer.amountWh,
    offerFilledWh,
    bookCommittedWh,
    nominatedWh: 190_000n,
  };
  return { fill, blockNumber: 2, transactionHash: "0xt" };
}

function board(status: number | undefined, filledWh: bigint, fills: FillView[]): BoardOffer {
  return { offerHash: "0xo", offer, signature: "0x", blockNumber: 1, status, filledWh, fills };
}

function book(committedWh: bigint, outcome?: "settled" | "unwound"): BookView {
  const fills = [fillOf(committedWh, committedWh)];
  const b: BookView = {
    id: bookKeyId({ generator: GENERATOR, period: offer.period }),
    generator: GENERATOR,
    period: offer.period,
    centre: offer.centre,
    direction: offer.direction,
    committedWh,
    usd: fills[0].fill.usd,
    nominatedWh: 190_000n,
    recorded: { baseline: BaselineMethod.Nominated, baselineDays: 0, generatorIndex: 4 },
    fills,
  };
  const s: SettlementData = {
    committedWh,
    creditedWh: committedWh,
    deliveredWh: committedWh,
    paidWh: committedWh,
    penaltyWh: 0n,
    usdToGenerator: b.usd,
    usdToCentre: 0n,
    quality: Quality.Ok,
  };
  if (outcome === "settled") b.settlement = { ...s, blockNumber: 3 };
  if (outcome === "unwound") b.unwound = { usd: b.usd, kwhWh: committedWh, blockNumber: 3 };
  return b;
}

const booksOf = (b: BookView): Map<string, BookView> => new Map([[b.id, b]]);

describe("dashboard pages: offer and book states, units", function () {
  it("names every offer state a person needs: open, partly filled, filled, settled, cancelled, expired", function () {
    const half = book(6_500n);
    const whole = book(13_000n);
    const settled = book(13_000n, "settled");
    const none = new Map<string, BookView>();
    const state = (o: BoardOffer, b: Map<string, BookView>): string => offerState(o, b).state;
    expect(state(board(undefined, 0n, []), none)).to.equal("unknown");
    expect(state(board(OfferStatus.Open, 0n, []), none)).to.equal("open");
    expect(state(board(OfferStatus.Open, 6_500n, [fillOf(6_500n, 6_500n)]), booksOf(half))).to.equal("partly filled");
    // One whole fill spends the nonce (offerStatus says NonceUsed, 0 filled): the fill says filled.
    expect(state(board(OfferStatus.NonceUsed, 0n, [fillOf(13_000n, 13_000n)]), booksOf(whole))).to.equal("filled");
    expect(state(board(OfferStatus.Filled, 13_000n, [fillOf(13_000n, 13_000n)]), booksOf(settled))).to.equal("settled");
    expect(state(board(OfferStatus.NonceUsed, 0n, []), none)).to.equal("cancelled");
    expect(state(board(OfferStatus.EpochCancelled, 0n, []), none)).to.equal("cancelled");
    expect(state(board(OfferStatus.Closed, 0n, []), none)).to.equal("expired");
    expect(offerState(board(OfferStatus.Closed, 6_500n, [fillOf(6_500n, 6_500n)]), booksOf(half))).to.deep.equal({
      state: "partly filled",
      detail: "closed",
    });
    const unwound = book(13_000n, "unwound");
    expect(offerState(board(OfferStatus.NonceUsed, 0n, [fillOf(13_000n, 13_000n)]), booksOf(unwound))).to.deep.equal({
      state: "filled",
      detail: "unwound",
    });
  });

  it("shows an offer's fill sizes and closes its fills at its deadline or its period's gate, whichever first", function () {
    expect(fillSizes(offer)).to.equal("1.000–13.000 kWh");
    expect(fillsCloseAt(offer, terms)).to.equal(START - 300 - 1);
    expect(fillsCloseAt({ ...offer, deadline: START - 1000 }, terms)).to.equal(START - 1000);
  });

  it("follows a book through its life: filling, awaiting delivery, awaiting measurement, measured, settled", function () {
    const b = book(13_000n);
    const at = (chainTime: number, measurement?: BookContext["measurement"]) =>
      bookState(b, { chainTime, periodSeconds: 1800, terms, measurement });
    expect(at(START - 1000).key).to.equal("filling");
    expect(at(START - 1000).text).to.match(/^filling: fills accepted until /);
    expect(at(START - 100).key).to.equal("awaiting delivery"); // the gate has closed
    expect(at(START + 100)).to.include({ key: "awaiting delivery" });
    expect(at(START + 100).text).to.match(/^delivering now, until /);
    expect(at(END + 10)).to.deep.equal({
      key: "awaiting measurement",
      text: "delivered: awaiting its measurement (the next report)",
    });
    // Nothing reported by the end of the grace time: the book may unwind.
    expect(at(END + 7200).text).to.match(/^no measurement reported: may unwind since /);

    // Reported at END + 1800: final one dispute window later.
    const reported = {
      baseline: BaselineMethod.Nominated,
      actualWh: 203_000n,
      deliveredWh: 13_000n,
      quality: Quality.Ok,
      state: "reported" as const,
      recordedAt: END + 1800,
    };
    const measured = at(END + 1900, reported);
    expect(measured.key).to.equal("measured");
    expect(measured.text).to.match(
      /^measured: \+13\.000 kWh against the baseline, credited \+13\.000 kWh of 13\.000 kWh to raise, OK; final at .+, then settled$/,
    );
    expect(at(END + 3600, reported).text).to.match(/; final since .+: ready to settle$/);
    // Recorded time not read yet: the rule in words.
    expect(at(END + 1900, { ...reported, recordedAt: undefined }).text).to.match(
      /final one dispute window after its report, then settled$/,
    );
    expect(at(END + 1900, { ...reported, state: "corrected" }).text).to.match(
      /^measured \(corrected\): .*final since /,
    );
    expect(at(END + 1900, { ...reported, state: "disputed" }).key).to.equal("disputed");
    const missing = at(END + 1900, { ...reported, quality: Quality.Missing, actualWh: 0n, deliveredWh: 0n });
    expect(missing.key).to.equal("unusable");
    expect(missing.text).to.match(
      /^measured MISSING: not usable for settlement — waits for a correction, else may unwind from /,
    );

    expect(bookState(book(13_000n, "settled"), { chainTime: 0, periodSeconds: 1800, terms })).to.deep.equal({
      key: "settled",
      text: `settled: delivered 13.000 kWh of 13.000 kWh (credited +13.000 kWh), paid ${usd(848_582_162n)}`,
    });
    const short: BookView = {
      ...book(13_000n),
      settlement: {
        committedWh: 13_000n,
        creditedWh: 4_000n,
        deliveredWh: 4_000n,
        paidWh: 0n,
        penaltyWh: 6_500n,
        usdToGenerator: 0n,
        usdToCentre: 848_582_162n,
        quality: Quality.Estimated,
        blockNumber: 5,
      },
    };
    expect(bookState(short, { chainTime: 0, periodSeconds: 1800, terms }).text).to.equal(
      "settled: delivered 4.000 kWh of 13.000 kWh (credited +4.000 kWh) (below the minimum delivered fraction: unpaid), " +
        "paid 0.00 USD, penalty 6.500 kWh; measurement ESTIMATED",
    );
    expect(bookState(book(13_000n, "unwound"), { chainTime: 0, periodSeconds: 1800, terms })).to.deep.equal({
      key: "unwound",
      text: `unwound (no final usable measurement): ${usd(848_582_162n)} back to the centre, 13.000 kWh back to the generator`,
    });
  });

  it("credits a Nominated book against a baseline no more favourable than its nomination (the market's rule)", function () {
    const b = book(13_000n); // nominated 190,000 Wh, to raise
    // The oracle's baseline of 185,000 Wh (history-bounded) is below the nomination: the market counts 190,000.
    const m = { baseline: BaselineMethod.Nominated, actualWh: 203_000n, deliveredWh: 18_000n };
    expect(creditedFor(b, m)).to.equal(13_000n);
    // Against any other baseline the measurement is credited as it is.
    expect(creditedFor(b, { ...m, baseline: BaselineMethod.MeterBefore })).to.equal(18_000n);
    const text = bookState(b, {
      chainTime: END + 1900,
      periodSeconds: 1800,
      terms,
      measurement: { ...m, quality: Quality.Ok, state: "reported", recordedAt: END + 1800 },
    }).text;
    expect(text).to.match(/^measured: \+18\.000 kWh against the baseline, credited \+13\.000 kWh of 13\.000 kWh/);
  });

  it("names an over-limit line by its buses, from the case drawn (the oracle carries its 0-based row)", function () {
    const topology = {
      branches: [
        { row: 15, from: 11, to: 14, inService: true, limitMW: 0.75, rateAMVA: null },
        { row: 24, from: 24, to: 27, inService: true, limitMW: 0.75, rateAMVA: null },
      ],
    } as unknown as Topology;
    expect(lineName(topology, 14)).to.equal("11-14");
    expect(lineName(topology, 23)).to.equal("24-27");
    expect(lineName(topology, 40)).to.equal("branch row 41");
    expect(lineName(undefined, 14)).to.equal("branch row 15");
  });

  it("splits a reported nodal price into energy, loss and congestion, energy = total − loss − congestion", function () {
    const parts = reportedPriceParts({
      usdPerMWh: 65_275_550_992n,
      lossUsdPerMWh: -12_000_000n,
      congestionUsdPerMWh: 55_287_550_992n,
    });
    expect(parts).to.deep.equal({ total: 652.75550992, energy: 100, loss: -0.12, congestion: 552.87550992 });
    expect(priceBreakdown(parts)).to.equal("652.76 USD/MWh = energy 100.00 + loss −0.12 + congestion 552.88");
    // Results that publish no loss part say so by leaving it out.
    expect(priceBreakdown({ total: 85, energy: 100, congestion: -15 })).to.equal(
      "85.00 USD/MWh = energy 100.00 + congestion −15.00",
    );
  });

  it("turns on-chain units into figures with their unit, exactly", function () {
    expect(usd(25_266_763n)).to.equal("0.25266763 USD");
    expect(usd(100_000_000n)).to.equal("1.00 USD");
    expect(usd(0n)).to.equal("0.00 USD");
    expect(kwh(2_178n)).to.equal("2.178 kWh");
    expect(kwh(13_000n)).to.equal("13.000 kWh");
    expect(kwhSigned(-2_178n)).to.equal("−2.178 kWh");
    expect(kwhSigned(13_000n)).to.equal("+13.000 kWh");
    expect(mwFromW(-771_203n)).to.equal("−0.7712 MW");
    expect(mw(0.75, 2)).to.equal("0.75 MW");
    expect(usdPerMWhUnits(65_275_550_992n)).to.equal("652.76 USD/MWh");
    expect(periodLabel(1000, 1800)).to.match(/^period 1000 · .+–.+$/);
  });
});

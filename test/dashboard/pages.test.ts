/**
 * The pages' own logic that needs no browser: an offer's state in words (from the market's
 * offerStatus and the offer's fills and settlements) and the one place where on-chain units become
 * figures with units.
 */
import { expect } from "chai";
import { OfferStatus } from "../../oracle/chain/enums";
import type { OfferData, PositionData, SettlementData } from "../../oracle/chain/market-data";
import { kwh, kwhSigned, mw, mwFromW, periodLabel, usd, usdPerMWhUnits } from "../../dashboard/src/format";
import { offerState, type BoardOffer, type PositionView } from "../../dashboard/src/offers";

const ZERO = "0x0000000000000000000000000000000000000000";
const offer: OfferData = {
  centre: "0x1000000000000000000000000000000000000001",
  generator: ZERO,
  node: 2,
  direction: 0,
  amountWh: 13_000n,
  usd: 848_582_162n,
  period: 1000,
  justification: 999,
  deadline: 1_800_000,
  maxFillWh: 13_000n,
  baseline: 0,
  baselineDays: 0,
  epoch: 0,
  nonce: 1n,
};
const terms = {
  periodSeconds: 1800,
  gateClosureSeconds: 0,
  disputeWindowSeconds: 1800,
  settlementGraceSeconds: 604_800,
  minDeliveredBps: 5000,
  penaltyBps: 5000,
};

function board(status: number | undefined, filledWh: bigint, fills: string[]): BoardOffer {
  return { offerHash: "0xo", offer, signature: "0x", blockNumber: 1, terms, status, filledWh, fills };
}

function position(hash: string, amountWh: bigint, settled: boolean): PositionView {
  const p: PositionData = {
    offerHash: "0xo",
    centre: offer.centre,
    generator: "0x2000000000000000000000000000000000000002",
    period: 1000,
    direction: 0,
    baseline: 0,
    baselineDays: 0,
    amountWh,
    committedBeforeWh: 0n,
    usd: (offer.usd * amountWh) / offer.amountWh,
  };
  const s: SettlementData = {
    deliveredWh: amountWh,
    paidWh: amountWh,
    penaltyWh: 0n,
    usdToGenerator: p.usd,
    usdToCentre: 0n,
    quality: 0,
  };
  return {
    positionHash: hash,
    position: p,
    blockNumber: 2,
    transactionHash: "0xt",
    ...(settled ? { settlement: { ...s, blockNumber: 3 } } : {}),
  };
}

describe("dashboard pages: offer states and units", function () {
  it("names every offer state a person needs: open, partly filled, filled, settled, cancelled, expired", function () {
    const half = new Map([["0xa", position("0xa", 6_500n, false)]]);
    const whole = new Map([["0xa", position("0xa", 13_000n, false)]]);
    const wholeSettled = new Map([["0xa", position("0xa", 13_000n, true)]]);
    const none = new Map<string, PositionView>();
    const state = (o: BoardOffer, p: Map<string, PositionView>): string => offerState(o, p).state;
    expect(state(board(undefined, 0n, []), none)).to.equal("unknown");
    expect(state(board(OfferStatus.Open, 0n, []), none)).to.equal("open");
    expect(state(board(OfferStatus.Open, 6_500n, ["0xa"]), half)).to.equal("partly filled");
    expect(state(board(OfferStatus.NonceUsed, 0n, ["0xa"]), whole)).to.equal("filled");
    expect(state(board(OfferStatus.Filled, 13_000n, ["0xa"]), wholeSettled)).to.equal("settled");
    expect(state(board(OfferStatus.NonceUsed, 0n, []), none)).to.equal("cancelled");
    expect(state(board(OfferStatus.EpochCancelled, 0n, []), none)).to.equal("cancelled");
    expect(state(board(OfferStatus.Closed, 0n, []), none)).to.equal("expired");
    expect(offerState(board(OfferStatus.Closed, 6_500n, ["0xa"]), half)).to.deep.equal({
      state: "partly filled",
      detail: "closed",
    });
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

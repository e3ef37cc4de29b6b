/**
 * The pages' own logic that needs no browser: an offer's state in words (from the market's
 * offerStatus and the offer's fills and settlements) and the one place where on-chain units become
 * figures with units.
 */
import { expect } from "chai";
import { OfferStatus } from "../../oracle/chain/enums";
import type { OfferData, PositionData, SettlementData } from "../../oracle/chain/market-data";
import { kwh, kwhSigned, lineName, mw, mwFromW, periodLabel, usd, usdPerMWhUnits } from "../../dashboard/src/format";
import { offerState, positionState, type BoardOffer, type PositionView } from "../../dashboard/src/offers";
import type { Topology } from "../../dashboard/shared/types";

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

  it("follows a position through its life: open, delivering, delivered, measured, disputed, settled, unwound", function () {
    const open = position("0xa", 2_178n, false); // delivery period 1000: 1,800,000 s to 1,801,800 s
    const at = (chainTime: number, measurement?: Parameters<typeof positionState>[1]["measurement"]) =>
      positionState(open, { chainTime, periodSeconds: 1800, disputeWindowSeconds: 1800, measurement });
    expect(at(1_799_000)).to.deep.equal({ key: "open", text: "open: delivery in period 1000" });
    expect(at(1_800_100).key).to.equal("delivering");
    expect(at(1_802_000)).to.deep.equal({
      key: "delivered",
      text: "delivered: awaiting its measurement (the next report)",
    });
    const reported = { deliveredWh: -2_178n, quality: 0, state: "reported" as const };
    expect(at(1_804_000, reported)).to.deep.equal({
      key: "measured",
      text: "measured: −2.178 kWh delivered, OK; final one dispute window (30 min) after its report, then settled",
    });
    expect(at(1_804_000, { ...reported, state: "corrected" }).text).to.match(/^measured \(corrected\): /);
    expect(at(1_804_000, { ...reported, state: "disputed" }).key).to.equal("disputed");
    const settled = position("0xa", 2_178n, true);
    expect(positionState(settled, { chainTime: 0, periodSeconds: 1800 })).to.deep.equal({
      key: "settled",
      text: `settled: ${usd(settled.settlement!.usdToGenerator)} paid`,
    });
    const unwound = { ...open, unwound: { usd: 1n, kwhWh: 2_178n, blockNumber: 4 } };
    expect(positionState(unwound, { chainTime: 0, periodSeconds: 1800 }).key).to.equal("unwound");
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

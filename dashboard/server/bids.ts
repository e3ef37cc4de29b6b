/**
 * The bid book's auctions for the market page (/api/bids; docs/bids.md), read by the server from
 * the chain and published as plain JSON, so the browser computes nothing: for the coming delivery
 * periods the sealed count before the bid gate (`commitmentCount`), after it the revealed bids
 * (generator, node, steps), and after the reveal window the centre's published selection (steps,
 * quantity, price, pricing rule) — from the bid book's events, read incrementally.
 */
import type { Provider } from "ethers";
import type { BidBook } from "../../typechain-types";
import {
  bidTimes,
  readBidBookEvents,
  readBidBookTerms,
  revealedBidsFor,
  type BidBookTermsData,
  type BidStepData,
  type RevealRecord,
  type SealedBidData,
  type SelectionRecord,
} from "../../oracle/chain/bids";
import { chainNow } from "../../oracle/chain/clock";
import { Direction, PricingRule } from "../../oracle/chain/enums";
import { unitsToUsdPerMWh } from "../../oracle/chain/units";
import type { BidPeriodView, BidStepView, BidsView, RevealedBidView, SelectedStepView } from "../shared/types";

/** Delivery periods shown: the coming ones whose auction is open or about to be, then recent ones. */
export const PERIODS_AHEAD = 3;
export const PERIODS_BEHIND = 3;

const steps = (list: readonly BidStepData[]): BidStepView[] =>
  list.map((s) => ({ kwh: Number(s.quantityWh) / 1000, usdPerMWh: unitsToUsdPerMWh(s.priceUsdPerMWh) }));

const revealedView = (s: SealedBidData): RevealedBidView => ({
  generator: s.generator,
  node: s.bid.node,
  firstPeriod: s.firstPeriod,
  lastPeriod: s.lastPeriod,
  up: steps(s.bid.up),
  down: steps(s.bid.down),
});

/** Where a delivery period's auction stands at `now`. */
export function auctionPhase(period: number, terms: BidBookTermsData, now: number): BidPeriodView["phase"] {
  const t = bidTimes(period, terms);
  if (now < t.bidGate) return "sealed";
  if (now < t.revealEnd) return "reveal";
  if (now < period * terms.periodSeconds) return "selection";
  if (now < (period + 1) * terms.periodSeconds) return "delivery";
  return "past";
}

/**
 * One period's auction from the bid book's events (pure: the tests and the feed share it). The
 * revealed bids are shown only from the gate on, the selection as published, each step with its
 * bid's node and own price (the bid it names).
 */
export function bidPeriodView(
  period: number,
  terms: BidBookTermsData,
  now: number,
  sealed: number,
  reveals: readonly RevealRecord[],
  selections: readonly SelectionRecord[],
): BidPeriodView {
  const t = bidTimes(period, terms);
  const revealed = now >= t.bidGate ? revealedBidsFor(reveals, period) : [];
  const published = selections.find((s) => s.period === period);
  let selection: BidPeriodView["selection"] = null;
  if (published) {
    const selected: SelectedStepView[] = published.steps.map((s) => {
      const bid = revealed.find(
        (b) => b.generator.toLowerCase() === s.generator.toLowerCase() && b.firstPeriod === s.firstPeriod,
      );
      const own = bid && (s.direction === Direction.Increase ? bid.bid.up : bid.bid.down)[s.step];
      return {
        generator: s.generator,
        node: bid?.bid.node ?? null,
        direction: s.direction === Direction.Increase ? "increase" : "decrease",
        step: s.step,
        kwh: Number(s.quantityWh) / 1000,
        usdPerMWh: unitsToUsdPerMWh(s.priceUsdPerMWh),
        bidUsdPerMWh: own ? unitsToUsdPerMWh(own.priceUsdPerMWh) : null,
      };
    });
    selection = {
      pricingRule: published.pricingRule === PricingRule.PayAsBid ? "pay-as-bid" : "nodal",
      inputHash: published.inputHash,
      centre: published.centre,
      steps: selected,
      kwh: selected.reduce((sum, s) => sum + s.kwh, 0),
      usd: selected.reduce((sum, s) => sum + (s.kwh / 1000) * s.usdPerMWh, 0),
    };
  }
  return {
    period,
    bidGate: t.bidGate,
    revealEnd: t.revealEnd,
    fillGate: t.fillGate,
    phase: auctionPhase(period, terms, now),
    sealed,
    revealed: revealed.map(revealedView),
    selection,
  };
}

/** Reads a bid book's events incrementally and answers /api/bids. */
export class BidBookFeed {
  private terms?: BidBookTermsData;
  private reveals: RevealRecord[] = [];
  private selections: SelectionRecord[] = [];
  private lastBlock: number;

  constructor(
    private readonly book: BidBook,
    private readonly provider: Provider,
    private readonly deployBlock: number,
  ) {
    this.lastBlock = deployBlock - 1;
  }

  async view(): Promise<BidsView> {
    this.terms ??= await readBidBookTerms(this.book);
    const terms = this.terms;
    const latest = await this.provider.getBlockNumber();
    if (latest < this.lastBlock) {
      // The chain went back (a devnet reset): read again from the deployment.
      this.reveals = [];
      this.selections = [];
      this.lastBlock = this.deployBlock - 1;
    }
    if (latest > this.lastBlock) {
      const events = await readBidBookEvents(this.book, this.lastBlock + 1, latest);
      this.reveals.push(...events.reveals);
      this.selections.push(...events.selections);
      this.lastBlock = latest;
    }
    const now = await chainNow(this.provider);
    const current = Math.floor(now / terms.periodSeconds);
    const periods: BidPeriodView[] = [];
    for (let p = current + PERIODS_AHEAD; p > current - PERIODS_BEHIND && p >= 0; p--) {
      const sealed = Number(await this.book.commitmentCount(p));
      periods.push(bidPeriodView(p, terms, now, sealed, this.reveals, this.selections));
    }
    return {
      book: await this.book.getAddress(),
      chainTime: now,
      currentPeriod: current,
      terms: {
        periodSeconds: terms.periodSeconds,
        bidGateSeconds: terms.bidGateSeconds,
        revealSeconds: terms.revealSeconds,
        studySeconds: terms.studySeconds,
        gateClosureSeconds: terms.gateClosureSeconds,
        maxPriceUsdPerMWh: unitsToUsdPerMWh(terms.maxPriceUsdPerMWh),
      },
      periods,
    };
  }
}

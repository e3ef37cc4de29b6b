/**
 * The centre's part in the sealed-bid auction (issue #25; docs/bids.md), on a market with a bid
 * book: its study of delivery period D prices the units with the bids revealed for D, the report
 * carries those bids in its inputs (the operators check them against the chain), and once the
 * report has landed the centre publishes the selection and posts one reserved offer per selected
 * generator — with the offers of units nobody bid for, as without bids.
 */
import type { Signer } from "ethers";
import type { BidBook } from "../../typechain-types";
import type { PeriodResult } from "../market/period";
import {
  bidTimes,
  publishedSelectionHash,
  publishSelection,
  readBidBookTerms,
  reservedOfferAmounts,
  RevealReader,
  toPublishedSelection,
  type PublishedSelection,
  type SealedBidData,
} from "../chain/bids";
import { Direction } from "../chain/enums";
import { ConfigurationError } from "../chain/errors";
import type { SendOptions, SendResult } from "../chain/tx";
import type { PlannedOffer } from "./centre";
import type { StudyBids } from "./oracle/protocol";
import { kwhText, unitsToUsd, usdPerMWhOf, whToKwh, whToMeanMw } from "../chain/units";

/** A delivery period's auction as the centre studies it. */
export interface Auction {
  readonly period: number;
  readonly inputs: StudyBids;
  readonly sealed: readonly SealedBidData[];
}

export class CentreAuction {
  private readonly reader: RevealReader;

  constructor(
    private readonly book: BidBook,
    deployBlock: number,
    maxBlockRange?: number,
  ) {
    this.reader = new RevealReader(book, deployBlock, maxBlockRange);
  }

  /**
   * Checks that every reveal window closes before the centre studies its period (at the start of
   * the period before): otherwise the study could not see every bid.
   */
  async prepare(periodSeconds: number): Promise<void> {
    const terms = await readBidBookTerms(this.book);
    if (terms.periodSeconds !== periodSeconds)
      throw new ConfigurationError(
        `the bid book's periods are ${terms.periodSeconds} s, the oracle's ${periodSeconds} s: it is not this market's`,
      );
    const D = 1000;
    const revealEnd = bidTimes(D, terms).revealEnd;
    if (revealEnd > (D - 1) * periodSeconds)
      throw new ConfigurationError(
        `the bid book's reveal window closes ${revealEnd - (D - 1) * periodSeconds} s into the period before delivery, ` +
          `after the centre studies it (at the period's start): deploy it with gateClosure + studySeconds ≥ one period`,
      );
  }

  /** After the chain went back: read the reveals again. */
  reset(): void {
    this.reader.reset();
  }

  /** The revealed bids of delivery period `period` (every reveal window of it has closed at the study). */
  async of(period: number, toBlock: number): Promise<Auction> {
    const { sealed, bids } = await this.reader.bidsFor(period, toBlock);
    return { period, inputs: { book: await this.book.getAddress(), revealed: bids }, sealed };
  }

  /**
   * Publishes the study's selection (once per period: a selection on chain already is kept when it
   * is the same) and returns the offers to post: one reserved offer per selected generator and the
   * fallback units' offers. A different selection on chain leaves only the fallback offers.
   */
  async publishAndOffer(
    auction: Auction,
    study: PeriodResult,
    inputHash: string,
    centre: Signer,
    send: (publish: (options: Partial<SendOptions>) => Promise<SendResult>, label: string) => Promise<SendResult>,
    problems: string[],
    log: (line: string) => void,
  ): Promise<PlannedOffer[]> {
    const selection = study.bids?.selection;
    if (!selection) return [...study.offers];
    const fallback = [...selection.fallbackOffers];
    if (auction.sealed.length === 0) return fallback; // no bids revealed: no auction to publish
    const mine = toPublishedSelection(selection, inputHash);
    const label = `publish the selection of period ${auction.period} (${mine.steps.length} step(s))`;
    const result = await send((options) => publishSelection(this.book, centre, mine, options), label);
    const onChain = await this.book.selectionHashOf(auction.period);
    if (onChain !== publishedSelectionHash(mine)) {
      const text = `a different selection of period ${auction.period} is on chain (${onChain.slice(0, 10)}): no reserved offers`;
      problems.push(text);
      log(text);
      return fallback;
    }
    if (result.status === "mined") log(describeSelection(mine, study));
    return [...reservedOffers(mine, auction.sealed, study), ...fallback];
  }
}

/**
 * One offer per selected generator, reserved for it: its steps' Wh at their prices (the bid
 * book's arithmetic, reservedOfferAmounts), on its unit's row — numbered by part when several
 * generators at one node are selected, so each offer has its own nonce.
 */
export function reservedOffers(
  selection: PublishedSelection,
  sealed: readonly SealedBidData[],
  study: PeriodResult,
): PlannedOffer[] {
  const steps = study.bids?.selection.steps ?? [];
  const parts = new Map<number, number>();
  const out: PlannedOffer[] = [];
  for (const a of reservedOfferAmounts(selection, sealed)) {
    const step = steps.find((s) => s.generator.toLowerCase() === a.generator.toLowerCase());
    const unit = step && study.offers.find((o) => o.genRow === step.genRow);
    if (!step || !unit) throw new Error(`selected generator ${a.generator} has no adjustment in the study`);
    const part = parts.get(unit.genRow) ?? 0;
    parts.set(unit.genRow, part + 1);
    const kwh = whToKwh(a.amountWh);
    out.push({
      ...unit,
      direction: a.direction === Direction.Increase ? "increase" : "decrease",
      kwh,
      mw: whToMeanMw(a.amountWh, study.period.minutes * 60),
      usd: unitsToUsd(a.usd),
      priceUsdPerMWh: usdPerMWhOf(a.usd, a.amountWh),
      reservedFor: a.generator,
      part,
    });
  }
  return out;
}

/** The selection in words: each selected step, its Wh, its bid and the price it is paid. */
export function describeSelection(selection: PublishedSelection, study: PeriodResult): string {
  const steps = study.bids?.selection.steps ?? [];
  const rule = study.bids?.selection.pricingRule ?? "nodal";
  const lines = steps.map(
    (s) =>
      `${s.generator.slice(0, 10)} node ${s.node} ${s.direction === "increase" ? "raise" : "lower"} step ${s.step}: ` +
      `${kwhText(BigInt(s.quantityWh))}, bid ${s.bidUsdPerMWh.toFixed(2)}, nodal ${s.nodalUsdPerMWh.toFixed(2)}, ` +
      `paid ${s.priceUsdPerMWh.toFixed(2)} USD/MWh`,
  );
  return (
    `published the selection of period ${selection.period} (${rule}): ` +
    (lines.length > 0 ? lines.join("; ") : "no step selected (nothing to relieve)")
  );
}

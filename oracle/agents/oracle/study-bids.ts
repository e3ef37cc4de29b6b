/**
 * An oracle operator's check of the bids a study was made with (issue #25; docs/bids.md): on a
 * market with a bid book, a study of delivery period D must price the units with exactly the bids
 * revealed for D — every one, and nothing else — read by the operator from its own node, once the
 * reveal window of D has closed. A centre cannot leave out a bid it does not like, nor add one.
 *
 * And of the selection the centre publishes after the report: it must be the one the operator's
 * own study of the same inputs gives (its input hash names the study). A selection that differs,
 * or names inputs no study the operator checked had, is reported in its duties' tick and logged.
 */
import type { BidBook } from "../../../typechain-types";
import type { PeriodResult } from "../../market/period";
import {
  bidTimes,
  publishedSelectionHash,
  readBidBookEvents,
  readBidBookTerms,
  RevealReader,
  toPublishedSelection,
  type BidBookTermsData,
  type PublishedSelection,
} from "../../chain/bids";
import { toWire, type StudyInputs } from "./protocol";

/** An operator's verdict on a published selection. */
export interface SelectionVerdict {
  readonly period: number;
  readonly centre: string;
  readonly matches: boolean;
  readonly why: string;
}

export class StudyBidsCheck {
  private readonly reader?: RevealReader;
  private terms?: BidBookTermsData;
  private address?: string;
  /** The selections its own studies gave, by input hash (the last 16). */
  private readonly expected = new Map<string, PublishedSelection>();
  private lastSelectionBlock: number;

  constructor(
    private readonly book: BidBook | undefined,
    private readonly deployBlock: number,
    private readonly maxBlockRange?: number,
  ) {
    if (book) this.reader = new RevealReader(book, deployBlock, maxBlockRange);
    this.lastSelectionBlock = deployBlock - 1;
  }

  /** After the chain went back: read the reveals and the selections again. */
  reset(): void {
    this.reader?.reset();
    this.lastSelectionBlock = this.deployBlock - 1;
  }

  /** Remembers the selection of a study the operator made itself (of inputs with `inputHash`). */
  remember(inputHash: string, study: PeriodResult): void {
    if (!study.bids) return;
    this.expected.set(inputHash, toPublishedSelection(study.bids.selection, inputHash));
    if (this.expected.size > 16) this.expected.delete(this.expected.keys().next().value as string);
  }

  /** The selections published since the last call, each compared with the operator's own study of its inputs. */
  async verifyPublished(): Promise<SelectionVerdict[]> {
    if (!this.book) return [];
    const events = await readBidBookEvents(this.book, this.lastSelectionBlock + 1, undefined, this.maxBlockRange, [
      "selections",
    ]);
    this.lastSelectionBlock = events.toBlock;
    return events.selections.map((published) => {
      const mine = this.expected.get(published.inputHash);
      const base = { period: published.period, centre: published.centre };
      if (!mine)
        return {
          ...base,
          matches: false,
          why: `its inputs ${published.inputHash.slice(0, 10)} are no study I checked`,
        };
      if (publishedSelectionHash(mine) !== published.selectionHash)
        return {
          ...base,
          matches: false,
          why: `it differs from my study of its inputs (${published.steps.length} step(s) published, ${mine.steps.length} mine)`,
        };
      return { ...base, matches: true, why: `the selection of my study (${mine.steps.length} step(s))` };
    });
  }

  /** The bids to study with (undefined: none), or why the inputs' bids are not the chain's. */
  async check(
    inputs: StudyInputs,
    periodSeconds: number,
    now: number,
  ): Promise<{ problems: string[]; bids?: StudyInputs["bids"] }> {
    const period = Math.floor(inputs.forecasts.periodStart / periodSeconds);
    if (!this.reader)
      return inputs.bids
        ? { problems: ["the study names a bid book and I am configured with none: I cannot check its bids"] }
        : { problems: [] };
    this.address ??= await this.reader.book.getAddress();
    this.terms ??= await readBidBookTerms(this.reader.book);
    if (!inputs.bids)
      return {
        problems: [`the study of period ${period} must price the units with the bids revealed in ${this.address}`],
      };
    if (inputs.bids.book.toLowerCase() !== this.address.toLowerCase())
      return { problems: [`the study's bids are from bid book ${inputs.bids.book}, the market's is ${this.address}`] };
    const { revealEnd } = bidTimes(period, this.terms);
    if (now < revealEnd)
      return { problems: [`the reveal window of period ${period} is open until ${revealEnd}: its bids are not final`] };
    const { bids } = await this.reader.bidsFor(period);
    if (toWire(bids) !== toWire(inputs.bids.revealed))
      return {
        problems: [
          `the study's bids are not those revealed for period ${period}: ${inputs.bids.revealed.length} proposed, ` +
            `${bids.length} on chain (${bids.map((b) => b.generator.slice(0, 10)).join(", ") || "none"})`,
        ],
      };
    return { problems: [], bids: inputs.bids };
  }
}

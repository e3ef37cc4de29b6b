/**
 * An oracle operator's check of the bids a study was made with (issue #25; docs/bids.md): on a
 * market with a bid book, a study of delivery period D must price the units with exactly the bids
 * revealed for D — every one, and nothing else — read by the operator from its own node, once the
 * reveal window of D has closed. A centre cannot leave out a bid it does not like, nor add one.
 */
import type { BidBook } from "../../../typechain-types";
import { bidTimes, readBidBookTerms, RevealReader, type BidBookTermsData } from "../../chain/bids";
import { toWire, type StudyInputs } from "./protocol";

export class StudyBidsCheck {
  private readonly reader?: RevealReader;
  private terms?: BidBookTermsData;
  private address?: string;

  constructor(book: BidBook | undefined, deployBlock: number, maxBlockRange?: number) {
    if (book) this.reader = new RevealReader(book, deployBlock, maxBlockRange);
  }

  /** After the chain went back: read the reveals again. */
  reset(): void {
    this.reader?.reset();
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

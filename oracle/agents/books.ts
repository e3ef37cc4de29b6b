/**
 * The open books (a generator's commitment in a delivery period) an agent follows, kept from the
 * market's logs: a Filled event opens or adds to one, Settled and Unwound close it. Read in block
 * ranges from the last block read, which the caller keeps in its state file.
 */
import type { DemandResponseMarket } from "../../typechain-types";
import { readMarketEvents, DEFAULT_MAX_BLOCK_RANGE } from "../chain/board";
import { bookKeyId, type BookKey } from "../chain/market-data";
import { providerOf } from "../chain/logs";

/** The part of an agent's state the index keeps: last block read, open books by bookKeyId. */
export interface BookIndexState {
  lastBlock: number;
  books: Record<string, BookKey>;
}

export class OpenBookIndex {
  constructor(
    private readonly market: DemandResponseMarket,
    private readonly state: BookIndexState,
    private readonly maxBlockRange = DEFAULT_MAX_BLOCK_RANGE,
  ) {}

  /** Reads the logs since the last block read, up to `toBlock` (default the latest). */
  async refresh(toBlock?: number): Promise<void> {
    const latest = toBlock ?? (await providerOf(this.market).getBlockNumber());
    if (latest <= this.state.lastBlock) return;
    const events = await readMarketEvents(this.market, this.state.lastBlock + 1, latest, this.maxBlockRange);
    for (const { fill } of events.fills) {
      const key = { generator: fill.generator, period: fill.period };
      this.state.books[bookKeyId(key)] = key;
    }
    for (const x of [...events.settlements, ...events.unwinds]) delete this.state.books[bookKeyId(x)];
    this.state.lastBlock = events.toBlock;
  }

  /** The open books, oldest delivery period first. */
  list(): BookKey[] {
    return Object.values(this.state.books).sort(
      (a, b) => a.period - b.period || (a.generator.toLowerCase() < b.generator.toLowerCase() ? -1 : 1),
    );
  }

  has(key: BookKey): boolean {
    return this.state.books[bookKeyId(key)] !== undefined;
  }

  /** Forgets a book seen closed before its event is read. */
  close(key: BookKey): void {
    delete this.state.books[bookKeyId(key)];
  }
}

/**
 * The market as the pages hold it — offers on the bulletin board, the fills taken from them, the
 * books they add up to (one per generator and delivery period: the commitment the market settles)
 * and the oracle's measurements — and the state of an offer and of a book in the words a person
 * reads. No DOM and no chain access: the chain feed (chain.ts) fills these from events, the
 * market's offerStatus, bookOf and terms, and the times of the oracle's reports.
 */
import { filledWh as filledWhOf } from "../../oracle/chain/board";
import { BaselineMethod, Direction, enumName, OfferStatus, Quality } from "../../oracle/chain/enums";
import {
  bookKeyId,
  type FillData,
  type MeasurementData,
  type OfferData,
  type SettlementData,
} from "../../oracle/chain/market-data";
import { creditedDelivery } from "../../oracle/chain/units";
import { kwh, kwhRange, kwhSigned, localTime, usd } from "./format";

/** The market's terms (market.terms(), fixed at deployment): seconds and basis points. */
export interface MarketTerms {
  readonly periodSeconds: number;
  readonly gateClosureSeconds: number;
  readonly disputeWindowSeconds: number;
  readonly settlementGraceSeconds: number;
  readonly fillHorizonPeriods: number;
  readonly minDeliveredBps: number;
  readonly penaltyBps: number;
}

/** One fill (a Filled event): what it took of an offer into its generator's book. */
export interface FillView {
  readonly fill: FillData;
  readonly blockNumber: number;
  readonly transactionHash: string;
}

export interface BoardOffer {
  readonly offerHash: string;
  readonly offer: OfferData;
  readonly signature: string;
  readonly blockNumber: number;
  /** The market's OfferStatus (undefined until first asked) and Wh filled by partial fills. */
  status?: number;
  filledWh: bigint;
  /** The fills taken from it, in chain order. */
  readonly fills: FillView[];
}

/**
 * A generator's book in one delivery period: its fills together, one direction, one centre, one
 * nomination. Amounts as the latest fill left them (Filled events); settled or unwound as a whole.
 */
export interface BookView {
  /** bookKeyId: "generator:period". */
  readonly id: string;
  readonly generator: string;
  readonly period: number;
  readonly centre: string;
  readonly direction: number;
  /** Wh committed (the generator's kWh in escrow while open). */
  committedWh: bigint;
  /** USD in escrow for full delivery, 1e-8 USD. */
  usd: bigint;
  /** The generator's nomination (its planned output in the period), Wh; 0 unless Nominated. */
  nominatedWh: bigint;
  /** What the market fixed at the first fill (market.bookOf), once read. */
  recorded?: { readonly baseline: number; readonly baselineDays: number; readonly generatorIndex: number };
  readonly fills: FillView[];
  settlement?: SettlementData & { readonly blockNumber: number };
  unwound?: { readonly usd: bigint; readonly kwhWh: bigint; readonly blockNumber: number };
}

/** A measurement as the oracle emitted it (MeasurementReported or MeasurementCorrected), and where it stands. */
export interface MeasurementView extends MeasurementData {
  /** The report that carried it (undefined for a correction). */
  readonly reportPeriod?: number;
  readonly state: "reported" | "disputed" | "corrected";
  readonly blockNumber: number;
  /** When its report or correction was recorded on chain (Unix s), once read. */
  recordedAt?: number;
}

/** Last second a fill of `offer` can land (Unix s): its deadline, or its period's gate closure. */
export function fillsCloseAt(
  offer: OfferData,
  terms: Pick<MarketTerms, "periodSeconds" | "gateClosureSeconds">,
): number {
  return Math.min(offer.deadline, offer.period * terms.periodSeconds - terms.gateClosureSeconds - 1);
}

/** A baseline method in words: "Nominated", "RollingAverage (5 days)", "MeterBefore". */
export function baselineName(baseline: number, baselineDays: number): string {
  return `${enumName(BaselineMethod, baseline)}${baselineDays ? ` (${baselineDays} days)` : ""}`;
}

/** The sizes one fill of `offer` may take: "0.650–13.000 kWh" (its last remainder may be smaller). */
export const fillSizes = (offer: Pick<OfferData, "minFillWh" | "maxFillWh">): string =>
  kwhRange(offer.minFillWh, offer.maxFillWh);

export const directionWord = (direction: number): "raise" | "lower" =>
  direction === Direction.Increase ? "raise" : "lower";

/** What a person reads for an offer's state: open, partly filled, filled, settled, cancelled, expired. */
export function offerState(
  o: BoardOffer,
  books: ReadonlyMap<string, BookView>,
): {
  readonly state: "open" | "partly filled" | "filled" | "settled" | "cancelled" | "expired" | "unknown";
  readonly detail: string;
} {
  const filled = filledWhOf(o.fills.map((f) => f.fill));
  const into = [...new Set(o.fills.map((f) => bookKeyId(f.fill)))]
    .map((id) => books.get(id))
    .filter((b): b is BookView => b !== undefined);
  const any = o.fills.length > 0;
  const settled = into.length > 0 && into.every((b) => b.settlement);
  const closedOut = into.length > 0 && into.every((b) => b.settlement || b.unwound);
  const part = filled > 0n && filled < o.offer.amountWh;
  switch (o.status) {
    case undefined:
      return { state: "unknown", detail: "asking the market…" };
    case OfferStatus.Open:
      return o.filledWh > 0n || any ? { state: "partly filled", detail: "still open" } : { state: "open", detail: "" };
    case OfferStatus.Filled:
    case OfferStatus.NonceUsed:
      if (!any) return { state: "cancelled", detail: "nonce cancelled by the centre" };
      if (settled) return { state: "settled", detail: part ? "partly filled" : "" };
      return { state: part ? "partly filled" : "filled", detail: closedOut ? "unwound" : "" };
    case OfferStatus.EpochCancelled:
      return any
        ? { state: settled ? "settled" : part ? "partly filled" : "filled", detail: "cancelled since" }
        : { state: "cancelled", detail: "all the centre's offers cancelled" };
    case OfferStatus.Closed:
      if (!any) return { state: "expired", detail: "closed unfilled" };
      if (settled) return { state: "settled", detail: part ? "partly filled" : "" };
      return { state: part ? "partly filled" : "filled", detail: closedOut ? "closed, unwound" : "closed" };
    default:
      return { state: "unknown", detail: `status ${o.status}` };
  }
}

/** What a book's state depends on besides its own events: its measurement, the terms, the clock. */
export interface BookContext {
  /** The oracle's measurement of the book's generator in its period, if reported or corrected. */
  readonly measurement?: Pick<
    MeasurementView,
    "actualWh" | "deliveredWh" | "quality" | "state" | "baseline" | "recordedAt"
  >;
  /** The chain's time, Unix s. */
  readonly chainTime: number;
  readonly periodSeconds: number;
  /** The market's terms, once read. */
  readonly terms?: MarketTerms;
}

export type BookStateKey =
  | "filling"
  | "awaiting delivery"
  | "awaiting measurement"
  | "measured"
  | "unusable"
  | "disputed"
  | "settled"
  | "unwound";

/** Whether a measurement of this quality can settle a book (Ok and Estimated can; Missing and Bad cannot). */
export const usableQuality = (quality: number): boolean => quality === Quality.Ok || quality === Quality.Estimated;

/**
 * Delivery credited to a book by a measurement, Wh, signed (the market's rule, units.ts): the
 * measured delivery, except that against a Nominated baseline the baseline counted is never more
 * favourable to the generator than its nomination.
 */
export function creditedFor(
  book: Pick<BookView, "direction" | "nominatedWh">,
  m: Pick<MeasurementView, "baseline" | "actualWh" | "deliveredWh">,
): bigint {
  return creditedDelivery(
    m.baseline === BaselineMethod.Nominated,
    book.nominatedWh,
    m.actualWh,
    m.deliveredWh,
    book.direction === Direction.Increase,
  );
}

/** When a measurement is final (Unix s): a correction at once, a report one dispute window after it. */
export function finalAt(m: Pick<MeasurementView, "state" | "recordedAt">, terms?: MarketTerms): number | undefined {
  if (m.recordedAt === undefined || m.state === "disputed") return undefined;
  if (m.state === "corrected") return m.recordedAt;
  return terms ? m.recordedAt + terms.disputeWindowSeconds : undefined;
}

/**
 * A book's state in words, through its life: open — filling (fills still accepted), awaiting
 * delivery, awaiting measurement, measured (final at a time, then settled), measured but not usable,
 * disputed — then settled (delivered, paid, penalty, credited delivery) or unwound. `key` is the
 * state alone, for pages and tests.
 */
export function bookState(b: BookView, c: BookContext): { readonly key: BookStateKey; readonly text: string } {
  const T = c.periodSeconds;
  if (b.settlement) {
    const s = b.settlement;
    const below = s.paidWh === 0n && s.deliveredWh > 0n ? " (below the minimum delivered fraction: unpaid)" : "";
    return {
      key: "settled",
      text:
        `settled: delivered ${kwh(s.deliveredWh)} of ${kwh(s.committedWh)} (credited ${kwhSigned(s.creditedWh)})${below}, ` +
        `paid ${usd(s.usdToGenerator)}` +
        (s.penaltyWh > 0n ? `, penalty ${kwh(s.penaltyWh)}` : "") +
        (s.quality === Quality.Estimated ? "; measurement ESTIMATED" : ""),
    };
  }
  if (b.unwound) {
    return {
      key: "unwound",
      text: `unwound (no final usable measurement): ${usd(b.unwound.usd)} back to the centre, ${kwh(b.unwound.kwhWh)} back to the generator`,
    };
  }
  const end = (b.period + 1) * T;
  const unwindFrom = c.terms ? end + c.terms.settlementGraceSeconds : undefined;
  const m = c.measurement;
  if (m?.state === "disputed") {
    return { key: "disputed", text: "measurement disputed: settles once the oracle's quorum corrects it" };
  }
  if (m) {
    const final = finalAt(m, c.terms);
    const quality = enumName(Quality, m.quality).toUpperCase();
    const how = m.state === "corrected" ? "measured (corrected)" : "measured";
    if (!usableQuality(m.quality)) {
      const from = unwindFrom !== undefined && final !== undefined ? Math.max(unwindFrom, final) : undefined;
      return {
        key: "unusable",
        text:
          `${how} ${quality}: not usable for settlement — waits for a correction, ` +
          (from !== undefined ? `else may unwind from ${localTime(from)}` : "else unwinds after the grace time"),
      };
    }
    const credited = creditedFor(b, m);
    const when =
      final === undefined
        ? "final one dispute window after its report, then settled"
        : c.chainTime < final
          ? `final at ${localTime(final)}, then settled`
          : `final since ${localTime(final)}: ready to settle`;
    return {
      key: "measured",
      text: `${how}: ${kwhSigned(m.deliveredWh)} against the baseline, credited ${kwhSigned(credited)} of ${kwh(b.committedWh)} to ${directionWord(b.direction)}, ${quality}; ${when}`,
    };
  }
  const start = b.period * T;
  const gate = c.terms ? start - c.terms.gateClosureSeconds : start;
  if (c.chainTime < gate) return { key: "filling", text: `filling: fills accepted until ${localTime(gate - 1)}` };
  if (c.chainTime < start) return { key: "awaiting delivery", text: `awaiting delivery from ${localTime(start)}` };
  if (c.chainTime < end) return { key: "awaiting delivery", text: `delivering now, until ${localTime(end)}` };
  if (unwindFrom !== undefined && c.chainTime >= unwindFrom) {
    return { key: "awaiting measurement", text: `no measurement reported: may unwind since ${localTime(unwindFrom)}` };
  }
  return { key: "awaiting measurement", text: "delivered: awaiting its measurement (the next report)" };
}

/**
 * Offers and positions as the pages hold them, and an offer's state in the words a person reads.
 * No DOM and no chain access: the chain feed (chain.ts) fills these from events and the market's
 * offerStatus.
 */
import { filledWh as filledWhOf } from "../../oracle/chain/board";
import { enumName, OfferStatus, Quality } from "../../oracle/chain/enums";
import type { OfferData, PositionData, SettlementData } from "../../oracle/chain/market-data";
import { kwhSigned, usd } from "./format";

export interface MarketTerms {
  readonly periodSeconds: number;
  readonly gateClosureSeconds: number;
  readonly disputeWindowSeconds: number;
  readonly settlementGraceSeconds: number;
  readonly minDeliveredBps: number;
  readonly penaltyBps: number;
}

export interface BoardOffer {
  readonly offerHash: string;
  readonly offer: OfferData;
  readonly signature: string;
  readonly blockNumber: number;
  readonly terms: MarketTerms;
  /** The market's OfferStatus (undefined until first asked) and Wh filled by partial fills. */
  status?: number;
  filledWh: bigint;
  /** Positions filled from it. */
  readonly fills: string[];
}

export interface PositionView {
  readonly positionHash: string;
  readonly position: PositionData;
  readonly blockNumber: number;
  readonly transactionHash: string;
  settlement?: SettlementData & { readonly blockNumber: number };
  unwound?: { readonly usd: bigint; readonly kwhWh: bigint; readonly blockNumber: number };
}

/** What a person reads for an offer's state: open, partly filled, filled, settled, cancelled, expired. */
export function offerState(
  o: BoardOffer,
  positions: ReadonlyMap<string, PositionView>,
): {
  readonly state: "open" | "partly filled" | "filled" | "settled" | "cancelled" | "expired" | "unknown";
  readonly detail: string;
} {
  const fills = o.fills.map((h) => positions.get(h)).filter((p): p is PositionView => p !== undefined);
  const filledWh = filledWhOf(fills);
  const allDone = fills.length > 0 && fills.every((p) => p.settlement || p.unwound);
  const settled = fills.length > 0 && fills.every((p) => p.settlement);
  const part = filledWh > 0n && filledWh < o.offer.amountWh;
  switch (o.status) {
    case undefined:
      return { state: "unknown", detail: "asking the market…" };
    case OfferStatus.Open:
      return o.filledWh > 0n ? { state: "partly filled", detail: "still open" } : { state: "open", detail: "" };
    case OfferStatus.Filled:
    case OfferStatus.NonceUsed:
      if (fills.length === 0) return { state: "cancelled", detail: "nonce cancelled by the centre" };
      if (settled) return { state: "settled", detail: "" };
      return { state: "filled", detail: allDone ? "unwound" : "" };
    case OfferStatus.EpochCancelled:
      return fills.length > 0
        ? { state: settled ? "settled" : part ? "partly filled" : "filled", detail: "cancelled since" }
        : { state: "cancelled", detail: "all the centre's offers cancelled" };
    case OfferStatus.Closed:
      if (fills.length === 0) return { state: "expired", detail: "closed unfilled" };
      if (settled) return { state: "settled", detail: part ? "partly filled" : "" };
      return { state: part ? "partly filled" : "filled", detail: "closed" };
    default:
      return { state: "unknown", detail: `status ${o.status}` };
  }
}

/** What a position's state depends on besides its own events: its measurement and the chain's clock. */
export interface PositionContext {
  /** The oracle's measurement of the position's generator in its delivery period, if reported. */
  readonly measurement?: {
    readonly deliveredWh: bigint;
    readonly quality: number;
    readonly state: "reported" | "disputed" | "corrected";
  };
  /** The chain's time (Unix s) and period length, s. */
  readonly chainTime: number;
  readonly periodSeconds: number;
  /** The market's dispute window, s (from the offer's terms), when known. */
  readonly disputeWindowSeconds?: number;
}

/**
 * A position's state in words, through its life: filled for a later period, delivering, delivered
 * and waiting for its measurement, measured (final one dispute window after the report, then
 * settled), disputed, settled or unwound. `key` is the state alone, for pages and tests.
 */
export function positionState(
  p: PositionView,
  c: PositionContext,
): {
  readonly key: "open" | "delivering" | "delivered" | "measured" | "disputed" | "settled" | "unwound";
  readonly text: string;
} {
  if (p.settlement) return { key: "settled", text: `settled: ${usd(p.settlement.usdToGenerator)} paid` };
  if (p.unwound) return { key: "unwound", text: "unwound (never measured)" };
  const m = c.measurement;
  if (m?.state === "disputed") {
    return { key: "disputed", text: "measurement disputed: settles once the oracle confirms or corrects it" };
  }
  if (m) {
    const window = c.disputeWindowSeconds !== undefined ? ` (${Math.round(c.disputeWindowSeconds / 60)} min)` : "";
    return {
      key: "measured",
      text:
        `measured${m.state === "corrected" ? " (corrected)" : ""}: ${kwhSigned(m.deliveredWh)} delivered, ` +
        `${enumName(Quality, m.quality).toUpperCase()}; final one dispute window${window} after its report, then settled`,
    };
  }
  const start = p.position.period * c.periodSeconds;
  if (c.chainTime < start) return { key: "open", text: `open: delivery in period ${p.position.period}` };
  if (c.chainTime < start + c.periodSeconds) return { key: "delivering", text: "delivering now" };
  return { key: "delivered", text: "delivered: awaiting its measurement (the next report)" };
}

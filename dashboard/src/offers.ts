/**
 * Offers and positions as the pages hold them, and an offer's state in the words a person reads.
 * No DOM and no chain access: the chain feed (chain.ts) fills these from events and the market's
 * offerStatus.
 */
import { filledWh as filledWhOf } from "../../oracle/chain/board";
import { OfferStatus } from "../../oracle/chain/enums";
import type { OfferData, PositionData, SettlementData } from "../../oracle/chain/market-data";

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

/**
 * The generator view's tables: the offers this generator may fill, each with its policy's verdict
 * and the inputs to fill it, and its books with their measurement and settlement.
 */
import { BaselineMethod, BookState, Direction, Quality, enumName } from "../../oracle/chain/enums";
import type { BookData } from "../../oracle/chain/market-data";
import { formatUnits, KWH_DECIMALS } from "../../oracle/chain/units";
import type { Decision } from "../../oracle/chain/fill-rule";
import type { BoardOffer, BookView, ChainFeed } from "./chain";
import { h, table } from "./dom";
import { kwh, kwhSigned, periodLabel, short, usd, usdPerKwh } from "./format";
import { baselineName, fillSizes } from "./market-state";
import { bookColumns, stateCell } from "./market-view";

/** An offer for this generator's node, its book in the offer's period and its policy's verdict. */
export interface OfferRow {
  readonly o: BoardOffer;
  readonly book: BookData;
  readonly decision: Decision;
  /** Wh still open. */
  readonly left: bigint;
}

export interface OfferTableContext {
  readonly periodSeconds: number;
  readonly node: number;
  /** The generator's planned output in a period, Wh (prefills a nomination), if known. */
  readonly planned: bigint | undefined;
  onFill(o: BoardOffer, amountText: string, nominationText: string | undefined): void;
}

/** The offers this generator may fill: terms, its policy's verdict, amount and nomination inputs. */
export function offerTable(rows: readonly OfferRow[], at: OfferTableContext): HTMLElement {
  return table(
    [
      { head: "Offer", cell: (r) => h("code", { title: r.o.offerHash }, short(r.o.offerHash)) },
      { head: "Delivery", cell: (r) => periodLabel(r.o.offer.period, at.periodSeconds) },
      {
        head: "Direction",
        cell: (r) => (r.o.offer.direction === Direction.Increase ? "raise output" : "lower output"),
      },
      { head: "Left", cell: (r) => kwh(r.left), num: true },
      { head: "Fill sizes", cell: (r) => fillSizes(r.o.offer), num: true },
      { head: "Payment (whole offer)", cell: (r) => usd(r.o.offer.usd), num: true },
      {
        head: "Price",
        cell: (r) => usdPerKwh(Number(r.o.offer.usd) / 1e8 / (Number(r.o.offer.amountWh) / 1000)),
        num: true,
      },
      { head: "Baseline", cell: (r) => baselineName(r.o.offer.baseline, r.o.offer.baselineDays) },
      {
        head: "Your policy says",
        cell: (r) =>
          h(
            "span",
            { class: r.decision.fill ? "verdict yes" : "verdict no" },
            r.decision.fill ? "FILL: " : "DON'T: ",
            r.decision.reason,
          ),
      },
      {
        head: "Fill (kWh) with your nomination (kWh)",
        cell: (r) => {
          const amount = h("input", {
            type: "number",
            class: "fill-amount",
            min: 0.001,
            step: 0.001,
            value: formatUnits(
              r.decision.fill ? r.decision.amountWh : r.left < r.o.offer.maxFillWh ? r.left : r.o.offer.maxFillWh,
              KWH_DECIMALS,
            ),
            "aria-label": "kWh to fill",
            size: 8,
          });
          const nominated = r.o.offer.baseline === BaselineMethod.Nominated;
          const booked = r.book.state === BookState.Open;
          const nomination = nominated
            ? h("input", {
                type: "number",
                class: "fill-nomination",
                min: 0,
                step: 0.001,
                value: booked
                  ? formatUnits(r.book.nominatedWh, KWH_DECIMALS)
                  : at.planned !== undefined
                    ? formatUnits(at.planned, KWH_DECIMALS)
                    : "",
                placeholder: "planned output",
                readonly: booked,
                title: booked
                  ? "Fixed by your first fill of this period: the market refuses another nomination."
                  : "Your planned output in the period (what you would produce without this trade), kWh.",
                "aria-label": "Your nomination, kWh",
                size: 9,
              })
            : undefined;
          return h(
            "span",
            { class: "fill" },
            amount,
            " kWh ",
            nomination ? h("span", {}, "against ", nomination, " kWh ") : "(no nomination) ",
            h(
              "button",
              {
                class: "fill-button",
                "data-offer": r.o.offerHash,
                onClick: () => at.onFill(r.o, amount.value, nomination?.value),
              },
              "Fill",
            ),
          );
        },
      },
    ],
    rows,
    {
      empty: `No open offer for node ${at.node} right now. Offers appear here as the centre posts them.`,
      label: "Offers you may fill",
      rowAttrs: (r) => ({ "data-offer": r.o.offerHash }),
    },
  );
}

/** This generator's books: the market's columns, its measured delivery and its commitment's fate. */
export function bookTable(feed: ChainFeed, books: readonly BookView[]): HTMLElement {
  return table(
    [
      ...bookColumns(feed),
      {
        head: "Measured delivery",
        cell: (b) => {
          const m = feed.measurementOf(b.generator, b.period);
          return m
            ? `${kwhSigned(m.deliveredWh)}: ${kwh(m.actualWh)} metered, baseline ${kwh(m.baselineWh)} ` +
                `(${enumName(Quality, m.quality).toUpperCase()}, ${m.state})`
            : "not reported yet";
        },
      },
      {
        head: "Your commitment",
        cell: (b) => {
          const s = b.settlement;
          if (s) {
            const back = s.committedWh - s.paidWh - s.penaltyWh;
            return `${kwh(s.paidWh)} sold, ${kwh(s.penaltyWh)} penalty, ${kwh(back)} back`;
          }
          return b.unwound ? `${kwh(b.unwound.kwhWh)} back` : "in escrow";
        },
      },
      { head: "State", cell: (b) => stateCell(feed, b) },
    ],
    books,
    {
      empty: "No commitment yet.",
      label: "Your books",
      rowAttrs: (b) => ({
        "data-book": b.id,
        "data-period": b.period,
        "data-settled": b.settlement ? "yes" : "no",
        "data-state": feed.stateOf(b).key,
      }),
    },
  );
}

/**
 * The market: the bulletin board of signed offers with their state; the books — each generator's
 * commitment in a delivery period, the fills that made it, its nomination and its state from
 * filling to settled or unwound; the oracle's measurements; the settlements, payments and unwinds;
 * the lines over their limit and the nodal prices (with their energy, loss and congestion parts)
 * per report — all from chain events, updated on every poll.
 */
import type { VisualizationSpec } from "vega-embed";
import { NESTED_SCHEME, nestedLineLayers } from "../../oracle/charts/nested-lines";
import { filledWh } from "../../oracle/chain/board";
import { BaselineMethod, Direction, Quality, enumName } from "../../oracle/chain/enums";
import type { SettlementData } from "../../oracle/chain/market-data";
import type { Topology } from "../shared/types";
import type { BookView, ChainFeed } from "./chain";
import { offerState } from "./chain";
import { chart } from "./charts";
import { fill, h, table } from "./dom";
import {
  kwh,
  kwhSigned,
  lineName,
  localTime,
  mwFromW,
  periodLabel,
  priceBreakdown,
  reportedPriceParts,
  short,
  usd,
  usdPerKwh,
} from "./format";
import { baselineName, directionWord, fillSizes, fillsCloseAt } from "./market-state";

export class MarketView {
  private filter = "all";
  private readonly els: Record<
    "summary" | "board" | "books" | "measurements" | "settlements" | "reports" | "prices",
    HTMLElement
  >;
  private pricesKey = "";

  constructor(
    root: HTMLElement,
    private readonly feed: ChainFeed,
    /** The case drawn on the Grid page: lines are named by their buses ("11-14"). */
    private readonly topology?: Topology,
  ) {
    this.els = {
      summary: h("div", { class: "cards" }),
      board: h("div", { id: "board" }),
      books: h("div", { id: "books" }),
      measurements: h("div", { id: "measurements" }),
      settlements: h("div", { id: "settlements" }),
      reports: h("div", { id: "reports" }),
      prices: h("div", { class: "chart", id: "price-history" }),
    };
    const filter = h(
      "select",
      {
        id: "board-filter",
        "aria-label": "Show offers",
        onChange: (e: Event) => {
          this.filter = (e.target as HTMLSelectElement).value;
          this.render();
        },
      },
      ["all", "open", "partly filled", "filled", "settled", "cancelled", "expired"].map((s) =>
        h("option", { value: s }, s),
      ),
    );
    fill(
      root,
      h("h2", {}, "Market"),
      this.els.summary,
      h("h3", {}, "Bulletin board"),
      h("label", {}, "Show ", filter),
      this.els.board,
      h("h3", {}, "Commitments: one book per generator and delivery period"),
      h(
        "p",
        { class: "hint" },
        "A generator's fills of one period add up into one book — one direction, one centre, its own " +
          "nomination as baseline — settled as a whole on its measurement.",
      ),
      this.els.books,
      h("h3", {}, "Measurements"),
      this.els.measurements,
      h("h3", {}, "Settlements, payments and unwinds"),
      this.els.settlements,
      h("h3", {}, "Nodal prices per report"),
      this.els.prices,
      h("h3", {}, "Reports: lines over their limit and nodal prices"),
      this.els.reports,
    );
    feed.onUpdate(() => this.render());
  }

  /** Adds the sealed-bid auctions' section after the summary cards and returns its content element. */
  bidsSection(): HTMLElement {
    const el = h("div", { id: "bids" }, h("p", { class: "empty" }, "Reading the bid book…"));
    this.els.summary.after(h("h3", {}, "Sealed bids: the coming delivery periods' auctions"), el);
    return el;
  }

  render(): void {
    const f = this.feed;
    const T = f.periodSeconds;
    const offers = [...f.offers.values()].sort((a, b) => b.blockNumber - a.blockNumber);
    const states = new Map(offers.map((o) => [o.offerHash, offerState(o, f.books)]));
    const books = [...f.books.values()].sort((a, b) => b.period - a.period || a.generator.localeCompare(b.generator));
    const settled = books.filter((b) => b.settlement);
    const unwound = books.filter((b) => b.unwound);
    const paid = settled.reduce((s, b) => s + (b.settlement?.usdToGenerator ?? 0n), 0n);

    fill(
      this.els.summary,
      card("Chain time", f.chainTime ? `${localTime(f.chainTime)} (period ${f.currentPeriod})` : "—"),
      card("Latest block", String(f.latestBlock)),
      card(
        "Open offers",
        String(
          [...states.values()].filter(
            (s) => s.state === "open" || (s.state === "partly filled" && s.detail === "still open"),
          ).length,
        ),
      ),
      card(
        "Books",
        `${books.length} (${books.length - settled.length - unwound.length} open, ${settled.length} settled, ${unwound.length} unwound)`,
      ),
      card("Paid to generators", usd(paid)),
    );

    const shown = offers.filter((o) => this.filter === "all" || states.get(o.offerHash)?.state === this.filter);
    fill(
      this.els.board,
      table(
        [
          { head: "Offer", cell: (o) => h("code", { title: o.offerHash }, short(o.offerHash)) },
          {
            head: "State",
            cell: (o) => {
              const s = states.get(o.offerHash);
              return h(
                "span",
                { class: `state ${s?.state.replace(" ", "-")}` },
                s?.state ?? "",
                s?.detail ? ` (${s.detail})` : "",
              );
            },
          },
          { head: "Node", cell: (o) => o.offer.node, num: true },
          {
            head: "Direction",
            cell: (o) => (o.offer.direction === Direction.Increase ? "raise output" : "lower output"),
          },
          {
            head: "Filled of amount",
            cell: (o) => `${kwh(filledWh(o.fills.map((x) => x.fill)))} of ${kwh(o.offer.amountWh)}`,
            num: true,
          },
          { head: "Fill sizes", cell: (o) => fillSizes(o.offer), num: true },
          { head: "Payment", cell: (o) => usd(o.offer.usd), num: true },
          {
            head: "Price",
            cell: (o) => usdPerKwh(Number(o.offer.usd) / 1e8 / (Number(o.offer.amountWh) / 1000)),
            num: true,
          },
          { head: "Delivery", cell: (o) => periodLabel(o.offer.period, T) },
          {
            head: "Fills until",
            cell: (o) => (f.terms ? localTime(fillsCloseAt(o.offer, f.terms)) : localTime(o.offer.deadline)),
          },
          { head: "Baseline", cell: (o) => baselineName(o.offer.baseline, o.offer.baselineDays) },
          { head: "Justified by", cell: (o) => `report of period ${o.offer.justification}` },
          {
            head: "For",
            cell: (o) => (BigInt(o.offer.generator) === 0n ? "anyone at the node" : short(o.offer.generator)),
          },
        ],
        shown,
        {
          empty: this.filter === "all" ? "No offer posted yet." : `No ${this.filter} offer.`,
          label: "Bulletin board",
          rowAttrs: (o) => ({ "data-offer": o.offerHash, "data-state": states.get(o.offerHash)?.state ?? "" }),
        },
      ),
    );

    fill(
      this.els.books,
      table(
        [
          { head: "Generator", cell: (b) => h("code", { title: b.generator }, short(b.generator, 4)) },
          ...bookColumns(f),
          { head: "State", cell: (b) => stateCell(f, b) },
        ],
        books,
        {
          empty: "No fill yet.",
          label: "Books",
          rowAttrs: (b) => ({ "data-book": b.id, "data-state": f.stateOf(b).key }),
        },
      ),
    );

    const measurements = [...f.measurements.values()].sort(
      (a, b) => b.period - a.period || a.generator.localeCompare(b.generator),
    );
    fill(
      this.els.measurements,
      table(
        [
          { head: "Delivery", cell: (m) => periodLabel(m.period, T) },
          {
            head: "Generator (registry index)",
            cell: (m) =>
              h("span", {}, h("code", { title: m.generator }, short(m.generator, 4)), ` (#${m.generatorIndex})`),
          },
          {
            head: "Baseline",
            cell: (m) => `${kwh(m.baselineWh)} (${baselineName(m.baseline, m.baselineDays)})`,
            num: true,
          },
          { head: "Actual", cell: (m) => kwh(m.actualWh), num: true },
          { head: "Delivered", cell: (m) => kwhSigned(m.deliveredWh), num: true },
          { head: "Quality", cell: (m) => enumName(Quality, m.quality).toUpperCase() },
          {
            head: "State",
            cell: (m) => (m.reportPeriod !== undefined ? `${m.state} in report of period ${m.reportPeriod}` : m.state),
          },
        ],
        measurements,
        { empty: "No measurement reported yet.", label: "Measurements" },
      ),
    );

    fill(
      this.els.settlements,
      table(
        [
          { head: "Generator", cell: (b) => h("code", { title: b.generator }, short(b.generator, 4)) },
          { head: "Delivery", cell: (b) => periodLabel(b.period, T) },
          { head: "Outcome", cell: (b) => (b.settlement ? "settled" : "unwound") },
          ...outcomeColumns(),
          {
            head: "Back to the centre",
            cell: (b) => usd(b.settlement?.usdToCentre ?? b.unwound?.usd ?? 0n),
            num: true,
          },
          {
            head: "Quality",
            cell: (b) => (b.settlement ? enumName(Quality, b.settlement.quality).toUpperCase() : "—"),
          },
        ],
        books.filter((b) => b.settlement || b.unwound),
        {
          empty: "No settlement yet.",
          label: "Settlements",
          rowAttrs: (b) => (b.settlement ? { "data-settled": b.id } : { "data-unwound": b.id }),
        },
      ),
    );

    const reports = [...f.reports.values()].sort((a, b) => b.period - a.period);
    fill(
      this.els.reports,
      table(
        [
          { head: "Report", cell: (r) => periodLabel(r.period, T) },
          {
            head: "Lines over their limit (study of the next period)",
            cell: (r) =>
              r.violations.length === 0
                ? "none"
                : r.violations
                    .map((v) => `${lineName(this.topology, v.line)}: ${mwFromW(v.flowW)} (limit ${mwFromW(v.limitW)})`)
                    .join("; "),
          },
          {
            head: "Nodal prices (USD/MWh = energy + loss + congestion)",
            cell: (r) =>
              h(
                "ul",
                { class: "plain" },
                [...r.prices]
                  .sort((a, b) => a.node - b.node)
                  .map((p) =>
                    h("li", { "data-node": p.node }, `node ${p.node}: ${priceBreakdown(reportedPriceParts(p))}`),
                  ),
              ),
          },
        ],
        reports,
        { empty: "No report yet.", label: "Reports" },
      ),
    );
    void this.renderPrices();
  }

  private async renderPrices(): Promise<void> {
    const T = this.feed.periodSeconds;
    const values = [...this.feed.reports.values()].flatMap((r) =>
      r.prices.map((p) => {
        const parts = reportedPriceParts(p);
        return {
          time: r.period * T * 1000,
          period: r.period,
          node: `node ${p.node}`,
          price: parts.total,
          energy: parts.energy,
          loss: parts.loss,
          congestion: parts.congestion,
        };
      }),
    );
    const key = JSON.stringify(values);
    if (key === this.pricesKey) return;
    this.pricesKey = key;
    if (values.length === 0) {
      fill(this.els.prices, h("p", { class: "empty" }, "No nodal price reported yet."));
      return;
    }
    // Numeric node order; each node's line narrower than the one below: equal prices stay visible.
    const nodes = [...new Set(values.map((v) => v.node))].sort((a, b) => Number(a.slice(5)) - Number(b.slice(5)));
    await chart(this.els.prices, {
      $schema: "https://vega.github.io/schema/vega-lite/v6.json",
      description:
        "Nodal prices reported per period, USD/MWh, with their energy, loss and congestion parts in the tooltip " +
        "(nodes with equal prices drawn nested)",
      width: "container",
      height: 200,
      data: { values },
      encoding: {
        x: { field: "time", type: "temporal", title: "Report period (local time)" },
        y: { field: "price", type: "quantitative", title: "Price (USD/MWh)" },
        color: { field: "node", type: "nominal", title: "Node", scale: { domain: nodes, scheme: NESTED_SCHEME } },
      },
      layer: nestedLineLayers("node", nodes, { point: { filled: true }, tooltip: true }),
    } as unknown as VisualizationSpec);
  }
}

function card(title: string, value: string): HTMLElement {
  return h(
    "div",
    { class: "card" },
    h("div", { class: "card-title" }, title),
    h("div", { class: "card-value" }, value),
  );
}

/** The columns a book shows on both pages: its period, direction, amounts, baseline and fills. */
export function bookColumns(
  f: ChainFeed,
): { head: string; cell: (b: BookView) => HTMLElement | string; num?: boolean }[] {
  return [
    { head: "Delivery", cell: (b) => periodLabel(b.period, f.periodSeconds) },
    { head: "Direction", cell: (b) => directionWord(b.direction) },
    { head: "Committed", cell: (b) => kwh(b.committedWh), num: true },
    { head: "USD escrowed", cell: (b) => usd(b.usd), num: true },
    { head: "Baseline (nomination)", cell: (b) => baselineCell(b) },
    {
      head: "Fills (offer: kWh, USD)",
      cell: (b) =>
        h(
          "ul",
          { class: "plain fills" },
          b.fills.map((x) =>
            h(
              "li",
              { "data-offer": x.fill.offerHash },
              h("code", { title: x.fill.offerHash }, short(x.fill.offerHash)),
              `: ${kwh(x.fill.amountWh)}, ${usd(x.fill.usd)}`,
            ),
          ),
        ),
    },
  ];
}

/** What a settled or unwound book came to: delivery credited, paid, penalty, kWh back, USD. */
export function outcomeColumns(): { head: string; cell: (b: BookView) => string; num?: boolean }[] {
  const settled =
    (show: (s: SettlementData) => string) =>
    (b: BookView): string =>
      b.settlement ? show(b.settlement) : "—";
  return [
    { head: "Committed", cell: (b) => kwh(b.committedWh), num: true },
    { head: "Credited delivery", cell: settled((s) => kwhSigned(s.creditedWh)), num: true },
    { head: "Delivered", cell: settled((s) => kwh(s.deliveredWh)), num: true },
    { head: "Paid for", cell: settled((s) => kwh(s.paidWh)), num: true },
    { head: "Penalty", cell: settled((s) => kwh(s.penaltyWh)), num: true },
    {
      head: "kWh back to the generator",
      cell: (b) =>
        b.settlement
          ? kwh(b.settlement.committedWh - b.settlement.paidWh - b.settlement.penaltyWh)
          : b.unwound
            ? kwh(b.unwound.kwhWh)
            : "—",
      num: true,
    },
    { head: "Paid to the generator", cell: (b) => usd(b.settlement?.usdToGenerator ?? 0n), num: true },
  ];
}

/** "Nominated: 190.000 kWh", "MeterBefore", or what the first fill's offer said before bookOf is read. */
function baselineCell(b: BookView): string {
  if (!b.recorded) return b.nominatedWh !== 0n ? `nominated ${kwh(b.nominatedWh)}` : "…";
  const name = baselineName(b.recorded.baseline, b.recorded.baselineDays);
  return b.recorded.baseline === BaselineMethod.Nominated ? `${name}: ${kwh(b.nominatedWh)}` : name;
}

/** A book's state, styled by its key. */
export function stateCell(f: ChainFeed, b: BookView): HTMLElement {
  const s = f.stateOf(b);
  return h("span", { class: `book-state ${s.key.replace(" ", "-")}` }, s.text);
}

/**
 * The market: the bulletin board of signed offers with their state, the fills (positions), the
 * oracle's measurements, the settlements and payments, the lines over their limit and the nodal
 * prices per report — all from chain events, updated on every poll.
 */
import type { VisualizationSpec } from "vega-embed";
import { NESTED_SCHEME, nestedLineLayers } from "../../oracle/agents/nested-lines";
import { filledWh } from "../../oracle/chain/board";
import { BaselineMethod, Direction, Quality, enumName } from "../../oracle/chain/enums";
import type { Topology } from "../shared/types";
import type { ChainFeed, PositionView } from "./chain";
import { measurementKey, offerState } from "./chain";
import { chart } from "./charts";
import { fill, h, table } from "./dom";
import {
  kwh,
  kwhSigned,
  lineName,
  localTime,
  mwFromW,
  periodLabel,
  short,
  usd,
  usdPerKwh,
  usdPerMWhUnits,
} from "./format";
import { positionState } from "./offers";

export class MarketView {
  private filter = "all";
  private readonly els: Record<
    "summary" | "board" | "fills" | "measurements" | "settlements" | "reports" | "prices",
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
      fills: h("div", { id: "fills" }),
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
      h("h3", {}, "Fills (positions)"),
      this.els.fills,
      h("h3", {}, "Measurements"),
      this.els.measurements,
      h("h3", {}, "Settlements and payments"),
      this.els.settlements,
      h("h3", {}, "Nodal prices per report"),
      this.els.prices,
      h("h3", {}, "Reports: lines over their limit"),
      this.els.reports,
    );
    feed.onUpdate(() => this.render());
  }

  render(): void {
    const f = this.feed;
    const T = f.periodSeconds;
    const offers = [...f.offers.values()].sort((a, b) => b.blockNumber - a.blockNumber);
    const states = new Map(offers.map((o) => [o.offerHash, offerState(o, f.positions)]));
    const positions = [...f.positions.values()].sort((a, b) => b.blockNumber - a.blockNumber);
    const settled = positions.filter((p) => p.settlement);
    const paid = settled.reduce((s, p) => s + (p.settlement?.usdToGenerator ?? 0n), 0n);

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
      card("Positions", `${positions.length} (${settled.length} settled)`),
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
          { head: "Amount", cell: (o) => kwh(o.offer.amountWh), num: true },
          {
            head: "Filled",
            cell: (o) => kwh(filledWh(o.fills.map((hsh) => f.positions.get(hsh)))),
            num: true,
          },
          { head: "Payment", cell: (o) => usd(o.offer.usd), num: true },
          {
            head: "Price",
            cell: (o) => usdPerKwh(Number(o.offer.usd) / 1e8 / (Number(o.offer.amountWh) / 1000)),
            num: true,
          },
          { head: "Delivery", cell: (o) => periodLabel(o.offer.period, T) },
          {
            head: "Fills until",
            cell: (o) => localTime(Math.min(o.offer.deadline, o.offer.period * T - o.terms.gateClosureSeconds - 1)),
          },
          { head: "Justified by", cell: (o) => `report of period ${o.offer.justification}` },
          {
            head: "For",
            cell: (o) => (BigInt(o.offer.generator) === 0n ? "any generator at the node" : short(o.offer.generator)),
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
      this.els.fills,
      table(
        [
          { head: "Position", cell: (p) => h("code", { title: p.positionHash }, short(p.positionHash)) },
          { head: "Offer", cell: (p) => h("code", { title: p.position.offerHash }, short(p.position.offerHash)) },
          {
            head: "Generator",
            cell: (p) => h("code", { title: p.position.generator }, short(p.position.generator, 4)),
          },
          { head: "Delivery", cell: (p) => periodLabel(p.position.period, T) },
          { head: "Direction", cell: (p) => (p.position.direction === Direction.Increase ? "raise" : "lower") },
          { head: "Committed", cell: (p) => kwh(p.position.amountWh), num: true },
          { head: "USD escrowed", cell: (p) => usd(p.position.usd), num: true },
          { head: "State", cell: (p) => positionStateOf(f, p).text },
        ],
        positions,
        {
          empty: "No fill yet.",
          label: "Fills",
          rowAttrs: (p) => ({ "data-position": p.positionHash, "data-state": positionStateOf(f, p).key }),
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
          { head: "Generator", cell: (m) => h("code", { title: m.generator }, short(m.generator, 4)) },
          {
            head: "Baseline",
            cell: (m) =>
              `${kwh(m.baselineWh)} (${enumName(BaselineMethod, m.baseline)}${m.baselineDays ? `, ${m.baselineDays} days` : ""})`,
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
          { head: "Position", cell: (p) => h("code", { title: p.positionHash }, short(p.positionHash)) },
          {
            head: "Generator",
            cell: (p) => h("code", { title: p.position.generator }, short(p.position.generator, 4)),
          },
          { head: "Delivery", cell: (p) => periodLabel(p.position.period, T) },
          { head: "Committed", cell: (p) => kwh(p.position.amountWh), num: true },
          { head: "Delivered", cell: (p) => kwh(p.settlement?.deliveredWh ?? 0n), num: true },
          { head: "Paid for", cell: (p) => kwh(p.settlement?.paidWh ?? 0n), num: true },
          { head: "Penalty", cell: (p) => kwh(p.settlement?.penaltyWh ?? 0n), num: true },
          { head: "To the generator", cell: (p) => usd(p.settlement?.usdToGenerator ?? 0n), num: true },
          { head: "Back to the centre", cell: (p) => usd(p.settlement?.usdToCentre ?? 0n), num: true },
          { head: "Quality", cell: (p) => enumName(Quality, p.settlement?.quality ?? 0).toUpperCase() },
        ],
        settled,
        { empty: "No settlement yet.", label: "Settlements", rowAttrs: (p) => ({ "data-settled": p.positionHash }) },
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
            head: "Nodal prices",
            cell: (r) => r.prices.map((p) => `node ${p.node}: ${usdPerMWhUnits(p.usdPerMWh)}`).join("; "),
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
      r.prices.map((p) => ({
        time: r.period * T * 1000,
        period: r.period,
        node: `node ${p.node}`,
        price: Number(p.usdPerMWh) / 1e8,
      })),
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
      description: "Nodal prices reported per period, USD/MWh (nodes with equal prices drawn nested)",
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

/** A position's state on the pages: with its measurement and the chain's clock (offers.ts). */
export function positionStateOf(f: ChainFeed, p: PositionView): ReturnType<typeof positionState> {
  return positionState(p, {
    measurement: f.measurements.get(measurementKey(p.position.period, p.position.generator)),
    chainTime: f.chainTime,
    periodSeconds: f.periodSeconds,
    disputeWindowSeconds: f.offers.get(p.position.offerHash)?.terms.disputeWindowSeconds,
  });
}

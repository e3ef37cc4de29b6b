/**
 * The market page's sealed-bid auctions (docs/bids.md), as the server publishes them at /api/bids:
 * per delivery period the sealed count before the bid gate, the revealed bids after it, the
 * centre's selection after the reveal window. Rendering only: the server read all of it from the
 * bid book, nothing is computed here.
 */
import type { BidPeriodView, BidStepView, BidsView } from "../shared/types";
import { fill, h, table } from "./dom";
import { kwhNumber, localTime, periodLabel, short, usdNumber, usdPerMWh } from "./format";

const PHASE_WORDS: Record<BidPeriodView["phase"], string> = {
  sealed: "sealed: commitments open",
  reveal: "reveal window",
  selection: "study and selection",
  delivery: "delivering",
  past: "delivered",
};

const stepsText = (word: string, steps: readonly BidStepView[]): string | null =>
  steps.length === 0
    ? null
    : `${word} ${steps.map((s) => `${kwhNumber(s.kwh)} at ${usdPerMWh(s.usdPerMWh)}`).join(", ")}`;

function phaseCell(p: BidPeriodView): HTMLElement {
  const when =
    p.phase === "sealed"
      ? `bid gate ${localTime(p.bidGate)}`
      : p.phase === "reveal"
        ? `reveals close ${localTime(p.revealEnd)}`
        : p.phase === "selection"
          ? `fills close ${localTime(p.fillGate)}`
          : "";
  return h("span", { class: `phase ${p.phase}` }, PHASE_WORDS[p.phase], when ? ` (${when})` : "");
}

function revealedCell(p: BidPeriodView): HTMLElement | string {
  if (p.phase === "sealed") return "sealed until the gate";
  if (p.revealed.length === 0) return "none revealed";
  return h(
    "ul",
    { class: "bids" },
    p.revealed.map((b) =>
      h(
        "li",
        { "data-bid": b.generator },
        h("code", { title: b.generator }, short(b.generator, 4)),
        ` node ${b.node}: `,
        [stepsText("raise", b.up), stepsText("lower", b.down)].filter(Boolean).join("; "),
      ),
    ),
  );
}

function selectionCell(p: BidPeriodView): HTMLElement | string {
  const s = p.selection;
  if (!s) return p.phase === "sealed" || p.phase === "reveal" ? "—" : "not published";
  if (s.steps.length === 0) return `${s.pricingRule}: no step selected`;
  return h(
    "div",
    {},
    h(
      "ul",
      { class: "selection" },
      s.steps.map((x) =>
        h(
          "li",
          { "data-selected": `${x.generator}:${x.direction}:${x.step}` },
          h("code", { title: x.generator }, short(x.generator, 4)),
          x.node !== null ? ` node ${x.node}` : "",
          ` ${x.direction === "increase" ? "raise" : "lower"} step ${x.step}: ${kwhNumber(x.kwh)} at ${usdPerMWh(x.usdPerMWh)}`,
          x.bidUsdPerMWh !== null && x.bidUsdPerMWh !== x.usdPerMWh ? ` (bid ${usdPerMWh(x.bidUsdPerMWh)})` : "",
        ),
      ),
    ),
    h("span", { class: "hint" }, `${s.pricingRule}: ${kwhNumber(s.kwh)} for ${usdNumber(s.usd, 4)}`),
  );
}

/** Fills `el` with the auctions of `view` (or says why there are none). */
export function renderBids(el: HTMLElement, view: BidsView): void {
  const T = view.terms.periodSeconds;
  fill(
    el,
    h(
      "p",
      { class: "hint" },
      `Bid book ${short(view.book)}: sealed commitments for a delivery period close ${view.terms.bidGateSeconds} s before ` +
        `it starts (the bid gate), reveals are open for ${view.terms.revealSeconds} s after it, then the centre studies ` +
        `the period with the revealed bids and publishes the steps it selects; prices up to ` +
        `${usdPerMWh(view.terms.maxPriceUsdPerMWh)}.`,
    ),
    table(
      [
        { head: "Delivery", cell: (p) => periodLabel(p.period, T) },
        { head: "Auction", cell: phaseCell },
        { head: "Sealed", cell: (p) => p.sealed, num: true },
        { head: "Revealed bids", cell: revealedCell },
        { head: "Selection", cell: selectionCell },
      ],
      view.periods,
      {
        empty: "No delivery period around the chain's present.",
        label: "Sealed bids",
        rowAttrs: (p) => ({ "data-bid-period": p.period, "data-phase": p.phase }),
      },
    ),
  );
}

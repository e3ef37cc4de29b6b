/**
 * The grid: the case's one-line diagram as a node-link graph (cytoscape, breadth-first layout
 * from the master unit's bus: the same positions every time), lines coloured by loading against
 * their limit, buses by voltage against their band, the lines over a limit drawn red and thick;
 * a period slider over the published periods and "live" (follow the latest). Clicking a line or
 * a bus shows its figures: flows, limit, voltage, nodal price and sensitivities to each unit.
 *
 * Figures come from the published period records as they are (oracle/agents/day-record.ts: the
 * study of a period, and once delivered the period as it ran; load flows and every line's
 * sensitivities in their grid detail). Without published results, the chain's reports still give
 * the lines over their limit and the nodal prices per report period.
 */
import cytoscape, { type Core } from "cytoscape";
import type {
  AnyPeriodRecord,
  LineOverLimit,
  PeriodIndexEntry,
  PeriodRecord,
  SensitivityRecord,
  Topology,
  VoltageOutsideRecord,
} from "../shared/types";
import { fetchPeriod, fetchPeriods } from "./api";
import type { ChainFeed } from "./chain";
import { chart } from "./charts";
import { deliverySummary, dt, redispatchSummary, sensitivityTable, unitSensitivities } from "./grid-tables";
import { elementsOf, graphStyle, HIGH, legend, NEAR, oneLinePositions } from "./one-line";
import { fill, h, notice, table } from "./dom";
import {
  degrees,
  mw,
  mvar,
  mwFromW,
  percent,
  periodLabel,
  priceBreakdown,
  pu,
  reportedPriceParts,
  usdPerMWh,
  type PriceParts,
} from "./format";

type Mode = "actual" | "study";

interface Shown {
  readonly label: string;
  readonly record?: AnyPeriodRecord;
  /** From the chain only (no published results): report period's violations and prices. */
  readonly chainPeriod?: number;
  readonly mode: Mode;
}

export class GridView {
  private cy?: Core;
  private periods: PeriodIndexEntry[] = [];
  private index = -1;
  private live = true;
  private mode: Mode = "actual";
  private readonly cache = new Map<number, AnyPeriodRecord>();
  private shown?: Shown;
  /** What is painted (period, load flow, data present): repaint only when it changes. */
  private shownKey = "";
  private selected?: { kind: "line" | "bus"; id: number };
  private readonly els: Record<
    "controls" | "graph" | "summary" | "details" | "lines" | "prices" | "message",
    HTMLElement
  >;

  constructor(
    private readonly root: HTMLElement,
    private readonly topology: Topology | undefined,
    private readonly hasResults: boolean,
    private readonly periodSeconds: number,
    private readonly feed?: ChainFeed,
  ) {
    this.els = {
      controls: h("div", { class: "controls" }),
      message: h("div"),
      graph: h("div", { id: "grid-graph", class: "graph", "aria-label": "One-line diagram" }),
      summary: h("div", { class: "summary" }),
      details: h("aside", { class: "details", "aria-live": "polite" }),
      lines: h("div"),
      prices: h("div", { class: "chart", id: "grid-prices" }),
    };
    fill(
      root,
      h("h2", {}, topology ? `Grid: ${topology.name}` : "Grid"),
      this.els.controls,
      this.els.message,
      h("div", { class: "grid-layout" }, h("div", {}, this.els.graph, legend()), this.els.details),
      this.els.summary,
      h("h3", {}, "Nodal prices"),
      this.els.prices,
      h("h3", {}, "Lines"),
      this.els.lines,
    );
    if (!topology) {
      fill(
        this.els.message,
        notice("error", "The dashboard was started without a case: the diagram needs --case FILE."),
      );
      return;
    }
    this.cy = cytoscape({
      container: this.els.graph,
      elements: elementsOf(topology),
      layout: { name: "preset", positions: oneLinePositions(topology), fit: true, padding: 24 },
      style: graphStyle(),
      autoungrabify: true,
      boxSelectionEnabled: false,
    });
    // Cytoscape fits the diagram to its container when it is made; a page opened on the Market or
    // Generator tab makes it in a hidden container (no size), fitted to nothing: the top row cut
    // off, half the canvas empty. Fit again whenever the container's size changes — hidden to
    // shown, or the window resized.
    let fittedTo = "";
    new ResizeObserver(() => {
      const { clientWidth: w, clientHeight: ht } = this.els.graph;
      if (w === 0 || ht === 0 || `${w}x${ht}` === fittedTo) return;
      fittedTo = `${w}x${ht}`;
      this.cy?.resize();
      this.cy?.fit(undefined, 24);
    }).observe(this.els.graph);
    this.cy.on("tap", "edge", (e) => this.select({ kind: "line", id: Number(e.target.data("row")) }));
    this.cy.on("tap", "node", (e) => this.select({ kind: "bus", id: Number(e.target.data("bus")) }));
    // For tests and people at the console: the graph is window.gridswap.cy.
    (window as unknown as { gridswap?: Record<string, unknown> }).gridswap = {
      ...(window as unknown as { gridswap?: Record<string, unknown> }).gridswap,
      cy: this.cy,
    };
    this.renderControls();
    this.renderDetails();
  }

  /** Called on every poll: new periods, new chain reports. */
  async refresh(): Promise<void> {
    if (!this.topology) return;
    if (this.hasResults) {
      const periods = await fetchPeriods();
      const changed =
        periods.length !== this.periods.length ||
        periods.some((p, i) => JSON.stringify(p) !== JSON.stringify(this.periods[i]));
      this.periods = periods;
      if (changed) {
        // A period's record grows (study, then the load flow as it ran): fetch it again.
        for (const p of periods) {
          const had = this.cache.get(p.period);
          if (had && p.stage !== had.stage) this.cache.delete(p.period);
        }
        if (this.live || this.index < 0) this.index = periods.length - 1;
        this.renderControls();
      }
      await this.show();
    } else {
      await this.show();
    }
  }

  private renderControls(): void {
    const c = this.els.controls;
    if (!this.hasResults) {
      fill(
        c,
        notice(
          "info",
          "No per-period results are published to this dashboard (start it with --results DIR): ",
          "the diagram shows what the chain's reports say — the lines over their limit and the nodal prices.",
        ),
      );
      return;
    }
    const n = this.periods.length;
    const slider = h("input", {
      type: "range",
      id: "period-slider",
      min: 0,
      max: Math.max(0, n - 1),
      step: 1,
      value: Math.max(0, this.index),
      disabled: n === 0,
      "aria-label": "Period",
      onInput: (e: Event) => {
        this.index = Number((e.target as HTMLInputElement).value);
        this.live = this.index === n - 1 && this.live;
        if (this.index !== n - 1) this.live = false;
        (c.querySelector("#live") as HTMLInputElement).checked = this.live;
        void this.show();
      },
    });
    const liveBox = h("input", {
      type: "checkbox",
      id: "live",
      checked: this.live,
      onChange: (e: Event) => {
        this.live = (e.target as HTMLInputElement).checked;
        if (this.live) {
          this.index = this.periods.length - 1;
          (c.querySelector("#period-slider") as HTMLInputElement).value = String(this.index);
          void this.show();
        }
      },
    });
    const modeSelect = h(
      "select",
      {
        id: "grid-mode",
        "aria-label": "Which load flow",
        onChange: (e: Event) => {
          this.mode = (e.target as HTMLSelectElement).value as Mode;
          void this.show();
        },
      },
      h("option", { value: "actual", selected: this.mode === "actual" }, "as it ran (actual outputs)"),
      h(
        "option",
        { value: "study", selected: this.mode === "study" },
        "as the centre studied it (forecast, before redispatch)",
      ),
    );
    fill(
      c,
      h("label", { class: "slider" }, h("span", {}, "Period "), slider, h("output", { id: "period-label" })),
      h("label", {}, liveBox, " live"),
      h("label", {}, "Load flow: ", modeSelect),
    );
    if (n === 0)
      fill(
        this.els.message,
        notice("info", "No period is published yet: the first one appears after the centre's first study."),
      );
  }

  private chainPeriods(): number[] {
    return this.feed ? [...this.feed.reports.keys()].sort((a, b) => a - b) : [];
  }

  private async show(): Promise<void> {
    if (!this.cy || !this.topology) return;
    let shown: Shown;
    if (this.hasResults) {
      const entry = this.periods[this.index];
      if (!entry) return;
      let record = this.cache.get(entry.period);
      if (!record) {
        record = await fetchPeriod(entry.period);
        this.cache.set(entry.period, record);
      }
      // The period as it ran exists once it has been delivered; before that, the study.
      const ran = delivered(record);
      const mode: Mode = this.mode === "actual" && ran ? "actual" : "study";
      // A period on no chain (a day simulated on the grid side alone) is named by its own date and time.
      const label =
        record.chainPeriod === null
          ? `day period ${record.index} (${record.date} ${record.localTime})`
          : periodLabel(entry.period, this.periodSeconds);
      shown = { label, record, mode };
      const labelEl = this.els.controls.querySelector("#period-label");
      if (labelEl) {
        labelEl.textContent = `${shown.label}${this.mode === "actual" && !ran ? " (not run yet: showing the study)" : ""}`;
      }
      fill(this.els.message);
    } else {
      const periods = this.chainPeriods();
      const period = periods[periods.length - 1];
      shown =
        period === undefined
          ? { label: "No report on chain yet", mode: "study" }
          : { label: `report of ${periodLabel(period, this.periodSeconds)}`, chainPeriod: period, mode: "study" };
    }
    const key = JSON.stringify(
      [
        shown.label,
        shown.mode,
        shown.record?.stage,
        shown.chainPeriod !== undefined ? this.feed?.reports.get(shown.chainPeriod) : null,
      ],
      (_k, v) => (typeof v === "bigint" ? v.toString() : v),
    );
    if (key === this.shownKey) return;
    this.shownKey = key;
    this.shown = shown;
    this.paint(shown);
    this.renderSummary(shown);
    this.renderDetails();
    await this.renderPrices(shown);
  }

  /** Classes and colours of every line and bus for what is shown. */
  private paint(s: Shown): void {
    const cy = this.cy as Core;
    const flows = this.flows(s);
    const overRows = this.overRows(s);
    const voltages = this.voltages(s);
    const outBuses = new Set(this.voltagesOutside(s).map((v) => v.busId));
    cy.batch(() => {
      cy.edges().forEach((e) => {
        const row = Number(e.data("row"));
        const limit = e.data("limitMW") as number | null;
        const flow = flows.get(row);
        let cls = "none";
        if (overRows.has(row)) cls = "over";
        else if (flow !== undefined && limit) {
          const loading = Math.abs(flow) / limit;
          cls = loading > NEAR ? "near" : loading > HIGH ? "high" : "ok";
        } else if (flow !== undefined) cls = "ok";
        e.classes(cls);
        e.data("loading", flow !== undefined && limit ? percent(Math.abs(flow) / limit, 0) : "");
      });
      cy.nodes().forEach((n) => {
        const bus = Number(n.data("bus"));
        const vm = voltages.get(bus);
        const b = this.topology?.buses.find((x) => x.id === bus);
        let cls = "vnone";
        if (outBuses.has(bus)) cls = "vout";
        else if (vm !== undefined && b) {
          const margin = (b.vmax - b.vmin) / 4;
          cls = vm < b.vmin + margin || vm > b.vmax - margin ? "vnear" : "vok";
        }
        n.classes(`${cls} ${n.data("kind")}`);
      });
    });
  }

  /** The load flow shown, from the record's grid detail (absent: a case too large to carry it). */
  private loadFlow(s: Shown) {
    const detail = s.record?.detail;
    return s.mode === "actual" ? detail?.actual?.loadFlow : detail?.study.loadFlow;
  }

  /** The lines over their limit in the study, or as the period ran. */
  private linesOver(s: Shown): readonly LineOverLimit[] {
    const r = s.record;
    if (!r) return [];
    return s.mode === "actual" ? (delivered(r) ? r.violatedLinesActual : []) : r.violatedLines;
  }

  private voltagesOutside(s: Shown): readonly VoltageOutsideRecord[] {
    const detail = s.record?.detail;
    return (s.mode === "actual" ? detail?.actual?.voltagesOutside : detail?.study.voltagesOutside) ?? [];
  }

  /** Mean active flow (Pf − Pt)/2 per branch row, MW. */
  private flows(s: Shown): Map<number, number> {
    const lf = this.loadFlow(s);
    const out = new Map<number, number>();
    if (lf) for (const b of lf.branches) out.set(b.row, (b.pf - b.pt) / 2);
    else if (s.record) {
      // Results without a load flow still name the lines over their limit, with their flow.
      for (const l of this.linesOver(s)) if (l.kind === "active") out.set(l.branchRow, l.value);
    } else if (s.chainPeriod !== undefined) {
      for (const v of this.feed?.reports.get(s.chainPeriod)?.violations ?? [])
        out.set(v.line + 1, Number(v.flowW) / 1e6);
    }
    return out;
  }

  private overRows(s: Shown): Set<number> {
    if (s.chainPeriod !== undefined) {
      return new Set((this.feed?.reports.get(s.chainPeriod)?.violations ?? []).map((v) => v.line + 1));
    }
    return new Set(this.linesOver(s).map((l) => l.branchRow));
  }

  private voltages(s: Shown): Map<number, number> {
    return new Map((this.loadFlow(s)?.buses ?? []).map((b) => [b.id, b.vm]));
  }

  private renderSummary(s: Shown): void {
    const over = [...this.overRows(s)].sort((a, b) => a - b);
    const t = this.topology as Topology;
    const flows = this.flows(s);
    const lines = over.map((row) => {
      const br = t.branches[row - 1];
      const v = this.linesOver(s).find((l) => l.branchRow === row);
      const c =
        s.chainPeriod !== undefined
          ? this.feed?.reports.get(s.chainPeriod)?.violations.find((x) => x.line + 1 === row)
          : undefined;
      const value = v ? mw(v.value) : c ? mwFromW(c.flowW) : mw(flows.get(row) ?? NaN);
      const limit = v ? mw(v.limit, 2) : c ? mwFromW(c.limitW) : "";
      const dev = v ? mw(v.deviation) : c ? mwFromW(c.deviationW) : "";
      return h(
        "li",
        { "data-line": `${br.from}-${br.to}` },
        `line ${br.from}–${br.to} (row ${row}): ${value}, limit ${limit}, over by ${dev}`,
      );
    });
    const volts = this.voltagesOutside(s);
    fill(
      this.els.summary,
      h(
        "h3",
        {},
        `${s.label} — ${s.mode === "actual" ? "as it ran" : s.chainPeriod !== undefined ? "as reported on chain" : "as studied"}`,
      ),
      over.length === 0
        ? notice("ok", "No line over its limit.")
        : h(
            "div",
            {},
            h("p", { class: "bad" }, `${over.length} line(s) over their limit:`),
            h("ul", { id: "over-limit" }, lines),
          ),
      volts.length > 0
        ? h(
            "ul",
            {},
            volts.map((v) => h("li", {}, `bus ${v.busId}: ${pu(v.vm)} outside [${pu(v.min, 3)}, ${pu(v.max, 3)}]`)),
          )
        : this.loadFlow(s)
          ? h("p", {}, "Every bus voltage inside its band.")
          : null,
      s.record && s.mode === "study" ? redispatchSummary(s.record) : null,
      s.record && s.mode === "actual" && delivered(s.record) ? deliverySummary(s.record) : null,
    );
    this.renderLineTable(s);
  }

  private renderLineTable(s: Shown): void {
    const t = this.topology as Topology;
    const flows = this.flows(s);
    const over = this.overRows(s);
    fill(
      this.els.lines,
      table(
        [
          { head: "Line", cell: (b) => `${b.from}–${b.to}` },
          { head: "Row", cell: (b) => b.row, num: true },
          { head: "Mean flow", cell: (b) => (flows.has(b.row) ? mw(flows.get(b.row) as number) : "—"), num: true },
          { head: "Limit", cell: (b) => (b.limitMW ? mw(b.limitMW, 2) : "none"), num: true },
          {
            head: "Loading",
            cell: (b) =>
              flows.has(b.row) && b.limitMW ? percent(Math.abs(flows.get(b.row) as number) / b.limitMW) : "—",
            num: true,
          },
          { head: "State", cell: (b) => (over.has(b.row) ? "over limit" : flows.has(b.row) ? "within" : "no data") },
        ],
        t.branches,
        {
          label: "Lines",
          rowAttrs: (b) => ({
            "data-line": `${b.from}-${b.to}`,
            "data-status": over.has(b.row) ? "over" : flows.has(b.row) ? "within" : "unknown",
            class: over.has(b.row) ? "over" : undefined,
          }),
        },
      ),
    );
  }

  private async renderPrices(s: Shown): Promise<void> {
    // Each bus's price as its stacked parts: energy (the reference bus's λ), marginal loss, congestion.
    const parts: { bus: number; parts: PriceParts }[] = s.record
      ? recordPrices(s.record)
      : s.chainPeriod !== undefined
        ? (this.feed?.reports.get(s.chainPeriod)?.prices ?? []).map((p) => ({
            bus: p.node,
            parts: reportedPriceParts(p),
          }))
        : [];
    const values = parts.flatMap(({ bus, parts: p }) => [
      { bus: String(bus), kind: "energy", order: 0, price: p.energy, total: p.total },
      ...(p.loss !== undefined ? [{ bus: String(bus), kind: "loss", order: 1, price: p.loss, total: p.total }] : []),
      { bus: String(bus), kind: "congestion", order: 2, price: p.congestion, total: p.total },
    ]);
    if (values.length === 0) {
      fill(this.els.prices, h("p", { class: "empty" }, "No nodal prices for this period."));
      return;
    }
    await chart(this.els.prices, {
      $schema: "https://vega.github.io/schema/vega-lite/v6.json",
      description: "Nodal prices by bus, USD/MWh: energy + loss + congestion",
      width: "container",
      height: 180,
      data: { values },
      mark: { type: "bar", tooltip: true },
      encoding: {
        x: { field: "bus", type: "ordinal", sort: null, title: "Bus" },
        y: { field: "price", type: "quantitative", title: "Price (USD/MWh)", stack: "zero" },
        color: {
          field: "kind",
          type: "nominal",
          title: "Component",
          scale: { domain: ["energy", "loss", "congestion"] },
        },
        // Energy at the base, then loss, then congestion.
        order: { field: "order", type: "quantitative" },
      },
    });
  }

  private select(sel: { kind: "line" | "bus"; id: number }): void {
    this.selected = sel;
    this.renderDetails();
  }

  private renderDetails(): void {
    const d = this.els.details;
    const sel = this.selected;
    const t = this.topology;
    const s = this.shown;
    if (!sel || !t) {
      fill(d, h("h3", {}, "Details"), h("p", {}, "Click a line or a bus."));
      return;
    }
    if (sel.kind === "line") {
      const br = t.branches[sel.id - 1];
      const lf = s ? this.loadFlow(s) : undefined;
      const flow = lf?.branches.find((b) => b.row === sel.id);
      const mean = flow ? (flow.pf - flow.pt) / 2 : s ? this.flows(s).get(sel.id) : undefined;
      const over = s ? this.overRows(s).has(sel.id) : false;
      fill(
        d,
        h("h3", {}, `Line ${br.from}–${br.to}`),
        h(
          "dl",
          {},
          dt("Branch row", String(br.row)),
          dt("Mean active flow (from → to)", mean !== undefined ? mw(mean) : "not published"),
          flow ? dt("At the from end", `${mw(flow.pf)}, ${mvar(flow.qf)}`) : null,
          flow ? dt("At the to end", `${mw(flow.pt)}, ${mvar(flow.qt)}`) : null,
          dt("Limit", br.limitMW ? mw(br.limitMW, 2) : "none"),
          mean !== undefined && br.limitMW ? dt("Loading", percent(Math.abs(mean) / br.limitMW)) : null,
          dt("State", over ? "OVER ITS LIMIT" : mean !== undefined ? "within its limit" : "no data"),
          br.rateAMVA ? dt("Rating (RATE_A)", `${br.rateAMVA} MVA`) : null,
        ),
        sensitivityTable(this.sensitivities(), sel.id),
      );
      return;
    }
    const bus = t.buses.find((b) => b.id === sel.id);
    if (!bus) return;
    const lf = s ? this.loadFlow(s) : undefined;
    const v = lf?.buses.find((b) => b.id === bus.id);
    const price = s?.record ? recordPrices(s.record).find((p) => p.bus === bus.id)?.parts : undefined;
    const chainPrice =
      s?.chainPeriod !== undefined
        ? this.feed?.reports.get(s.chainPeriod)?.prices.find((p) => p.node === bus.id)
        : undefined;
    const gens = t.gens.filter((g) => g.bus === bus.id);
    fill(
      d,
      h("h3", {}, `Bus ${bus.id}`),
      h(
        "dl",
        {},
        dt("Voltage", v ? `${pu(v.vm)} at ${degrees(v.va)}` : "not published"),
        dt("Band", `${pu(bus.vmin, 3)} to ${pu(bus.vmax, 3)}`),
        dt("Demand", `${mw(bus.pdMW)}, ${mvar(bus.qdMVAr)}`),
        price
          ? dt("Nodal price", priceBreakdown(price))
          : chainPrice
            ? dt("Nodal price (reported)", priceBreakdown(reportedPriceParts(chainPrice)))
            : dt("Nodal price", "not published"),
        ...gens.map((g) =>
          dt(
            `Unit (gen row ${g.row})`,
            `${lf ? mw(lf.gens.find((x) => x.row === g.row)?.pg ?? 0) : mw(g.pgMW)} of [${mw(g.pminMW, 2)}, ${mw(g.pmaxMW, 2)}]` +
              (g.unit
                ? `; ${g.unit.kind}, asks ${usdPerMWh(g.unit.upPrice)} to raise, ${usdPerMWh(g.unit.downPrice)} to lower`
                : ""),
          ),
        ),
      ),
      unitSensitivities(this.sensitivities(), bus.id, this.shown ? this.overRows(this.shown) : new Set<number>()),
    );
  }

  private sensitivities(): SensitivityRecord | undefined {
    return this.shown?.record?.detail?.study.sensitivities;
  }
}

const delivered = (r: AnyPeriodRecord): r is PeriodRecord => r.stage === "delivered";

/**
 * A record's nodal prices by component: its grid detail's, else the totals it always carries
 * (by node) over the energy price, the congestion holding the rest (no loss part).
 */
function recordPrices(r: AnyPeriodRecord): { bus: number; parts: PriceParts }[] {
  if (r.detail) return r.detail.study.prices.map((p) => ({ bus: p.bus, parts: p }));
  const energy = r.prices.energyUsdPerMWh;
  return Object.entries(r.prices.byNode).map(([bus, total]) => ({
    bus: Number(bus),
    parts: { energy, congestion: total - energy, total },
  }));
}

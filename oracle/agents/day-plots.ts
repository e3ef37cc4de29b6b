/**
 * The day's plots as Vega-Lite specifications, compiled by vega-lite and rendered to SVG by vega in
 * Node (no browser, no network), and the self-contained report.html that inlines them with the
 * summary — readable offline, no script in it.
 *
 * vega and vega-lite are ES modules with top-level await, which `require` cannot load: they are
 * imported at run time with a real dynamic `import()` (kept out of the TypeScript-to-CommonJS
 * rewrite by building it with `new Function`).
 */
import type * as Vega from "vega";
import type { TopLevelSpec } from "vega-lite/build/index";
import type * as VegaLite from "vega-lite/build/index";
import type { DayResult } from "./day";
import { lineNames } from "./day-record";
import { NESTED_SCHEME, nestedLineLayers } from "../charts/nested-lines";

const importModule = new Function("specifier", "return import(specifier)") as <T>(specifier: string) => Promise<T>;

export interface Plot {
  /** File name (without .svg) and what it shows. */
  readonly name: string;
  readonly title: string;
  readonly caption: string;
  readonly spec: TopLevelSpec;
}

const WIDTH = 640;
const FONT = "Helvetica, Arial, sans-serif";
const config = { font: FONT, view: { stroke: null }, axis: { labelFontSize: 11, titleFontSize: 12 } };

/** Hours after local midnight at the start of each period. */
const hourOf = (r: { localTime: string; index: number }, periodMinutes: number): number =>
  (r.index * periodMinutes) / 60;

export function dayPlots(day: DayResult): Plot[] {
  const minutes = day.scenario.periodMinutes;
  const hours = (r: DayResult["periods"][number]): number => hourOf(r, minutes);
  const xHour = {
    field: "hour",
    type: "quantitative" as const,
    title: "hour (local time)",
    scale: { domain: [0, Math.max(24, (day.periods.length * minutes) / 60)], nice: false },
    axis: { tickCount: 12 },
  };
  const plots: Plot[] = [];

  plots.push({
    name: "demand",
    title: "Demand, PV and net load",
    caption: "Total demand of the profile, PV output (clear sky × clouds) and their difference, MW.",
    spec: {
      $schema: "https://vega.github.io/schema/vega-lite/v6.json",
      width: WIDTH,
      height: 220,
      config,
      data: {
        values: day.periods.flatMap((r) => [
          { hour: hours(r), series: "demand", mw: r.demandMW },
          { hour: hours(r), series: "PV", mw: r.pvMW },
          { hour: hours(r), series: "net load", mw: r.netLoadMW },
        ]),
      },
      mark: { type: "line", interpolate: "step-after" },
      encoding: {
        x: xHour,
        y: { field: "mw", type: "quantitative", title: "MW" },
        color: { field: "series", type: "nominal", title: null, scale: { range: ["#1f77b4", "#ff7f0e", "#2ca02c"] } },
      },
    },
  });

  plots.push({
    name: "voltage",
    title: "Voltage band over the day",
    caption:
      `Lowest, mean and highest bus voltage of each period as delivered, p.u.; dashed: the case's band ` +
      `[${day.voltageBand.min}, ${day.voltageBand.max}].`,
    spec: {
      $schema: "https://vega.github.io/schema/vega-lite/v6.json",
      width: WIDTH,
      height: 220,
      config,
      layer: [
        {
          data: {
            values: day.periods.map((r) => ({
              hour: hours(r),
              low: r.actual.vmMin,
              high: r.actual.vmMax,
              mean: r.actual.vmMean,
            })),
          },
          layer: [
            {
              mark: { type: "area", opacity: 0.3, color: "#1f77b4", interpolate: "step-after" },
              encoding: {
                x: xHour,
                y: { field: "low", type: "quantitative", title: "|V| (p.u.)", scale: { zero: false } },
                y2: { field: "high" },
              },
            },
            {
              mark: { type: "line", color: "#1f77b4", interpolate: "step-after" },
              encoding: { x: xHour, y: { field: "mean", type: "quantitative" } },
            },
          ],
        },
        {
          data: { values: [{ v: day.voltageBand.min }, { v: day.voltageBand.max }] },
          mark: { type: "rule", strokeDash: [4, 4], color: "#d62728" },
          encoding: { y: { field: "v", type: "quantitative" } },
        },
      ],
    },
  });

  const lineNames = day.lines.names.map((l) => `${l.from}-${l.to} (${fmtLimit(l.limitMW)} MW)`);
  const cells = (which: "before" | "actual"): Record<string, unknown>[] =>
    day.periods.flatMap((r, k) =>
      lineNames.map((name, i) => ({ hour: hours(r), line: name, loading: 100 * day.lines[which][k][i] })),
    );
  const maxLoading = Math.max(
    110,
    ...day.lines.before.flat().map((x) => 100 * x),
    ...day.lines.actual.flat().map((x) => 100 * x),
  );
  const heat = (which: "before" | "actual", title: string): Record<string, unknown> => ({
    title,
    width: WIDTH,
    height: Math.max(60, 12 * lineNames.length),
    data: { values: cells(which) },
    layer: [
      {
        mark: { type: "rect" },
        encoding: {
          x: {
            field: "hour",
            type: "ordinal",
            title: "hour (local time)",
            axis: { labelExpr: "datum.value % 2 === 0 ? datum.value : ''", labelAngle: 0 },
          },
          y: { field: "line", type: "nominal", title: "line (limit)", sort: null },
          color: {
            field: "loading",
            type: "quantitative",
            title: "% of limit",
            // Blues up to the limit, then orange to dark red beyond it (RGB blending: no detour through pink).
            scale: {
              domain: [0, 50, 100, maxLoading],
              range: ["#f7fbff", "#6baed6", "#fdae61", "#a50026"],
              interpolate: "rgb",
            },
          },
        },
      },
      {
        transform: [{ filter: "datum.loading > 100" }],
        mark: { type: "point", shape: "cross", color: "black", size: 30, filled: true },
        encoding: {
          x: { field: "hour", type: "ordinal" },
          y: { field: "line", type: "nominal", sort: null },
        },
      },
    ],
  });
  plots.push({
    name: "loading",
    title: "Line loading",
    caption:
      "Mean active flow of every limited line as a percentage of its limit, per period: before redispatch " +
      "(the schedule) and as delivered (with what the generators really did). A cross marks a cell over its limit.",
    spec: {
      $schema: "https://vega.github.io/schema/vega-lite/v6.json",
      config,
      vconcat: [heat("before", "before redispatch"), heat("actual", "as delivered")],
      resolve: { scale: { color: "shared" } },
    } as unknown as TopLevelSpec,
  });

  const nodes = Object.keys(day.periods[0]?.prices.byNode ?? {}).filter((n) =>
    day.generators.some((g) => String(g.node) === n),
  );
  const series = nodes.map((n) => `node ${n}`);
  plots.push({
    name: "prices",
    title: "Nodal prices",
    caption:
      "Locational marginal price at the market units' nodes and its energy component (the master unit's), " +
      "USD/MWh: energy + congestion. Nodes no limit separates have the same price: their lines are drawn " +
      "nested, each narrower than the one below, so every node stays visible.",
    spec: {
      $schema: "https://vega.github.io/schema/vega-lite/v6.json",
      width: WIDTH,
      height: 240,
      config,
      data: {
        values: day.periods.flatMap((r) => [
          { hour: hours(r), series: "energy", usd: r.prices.energyUsdPerMWh },
          ...nodes.map((n) => ({ hour: hours(r), series: `node ${n}`, usd: r.prices.byNode[n] })),
        ]),
      },
      encoding: {
        x: xHour,
        y: { field: "usd", type: "quantitative", title: "USD/MWh", scale: { zero: false } },
        color: {
          field: "series",
          type: "nominal",
          title: null,
          scale: { domain: [...series, "energy"], scheme: NESTED_SCHEME },
        },
      },
      layer: [
        ...nestedLineLayers("series", series, { interpolate: "step-after" }),
        {
          transform: [{ filter: { field: "series", equal: "energy" } }],
          mark: { type: "line", interpolate: "step-after", strokeDash: [4, 3], strokeWidth: 1.5 },
        },
      ],
    } as unknown as TopLevelSpec,
  });

  plots.push({
    name: "payments",
    title: "Payments per generator",
    caption: day.summary.chain
      ? "USD paid to each generator agent on chain over the day, by its behaviour (drawn from the seed)."
      : "USD of the offers of each unit (the grid side only: taken as filled and delivered).",
    spec: {
      $schema: "https://vega.github.io/schema/vega-lite/v6.json",
      width: Math.min(WIDTH, 60 * Math.max(3, day.generators.length)),
      height: 220,
      config,
      data: {
        values: day.generators.map((g) => ({ unit: `node ${g.node}`, usd: g.usdPaid, behaviour: g.behaviour })),
      },
      mark: { type: "bar" },
      encoding: {
        x: { field: "unit", type: "nominal", title: null, sort: null, axis: { labelAngle: 0 } },
        y: { field: "usd", type: "quantitative", title: "USD" },
        color: {
          field: "behaviour",
          type: "nominal",
          scale: { domain: ["full", "partial", "none"], range: ["#2ca02c", "#ff7f0e", "#d62728"] },
        },
      },
    },
  });

  plots.push({
    name: "delivery",
    title: "Delivered vs committed",
    caption:
      "Energy the generators committed to move in each period (all fills) and the part of it they delivered, " +
      "as their meters recorded, kWh.",
    spec: {
      $schema: "https://vega.github.io/schema/vega-lite/v6.json",
      width: WIDTH,
      height: 220,
      config,
      data: {
        values: day.periods.flatMap((r) => [
          { hour: hours(r), series: "committed", kwh: r.committedKwh },
          { hour: hours(r), series: "delivered", kwh: r.deliveredKwh },
        ]),
      },
      mark: { type: "bar" },
      encoding: {
        x: {
          field: "hour",
          type: "ordinal",
          title: "hour (local time)",
          axis: { labelExpr: "datum.value % 2 === 0 ? datum.value : ''", labelAngle: 0 },
        },
        xOffset: { field: "series" },
        y: { field: "kwh", type: "quantitative", title: "kWh" },
        color: { field: "series", type: "nominal", title: null, scale: { range: ["#9ecae1", "#08519c"] } },
      },
    },
  });
  return plots;
}

const fmtLimit = (x: number): string => (x >= 100 ? x.toFixed(0) : x >= 1 ? x.toFixed(1) : x.toPrecision(2));

/** Renders a Vega-Lite spec to SVG text (headless: no canvas, no browser). */
export async function renderSvg(spec: TopLevelSpec): Promise<string> {
  const vega = await importModule<typeof Vega>("vega");
  const vl = await importModule<typeof VegaLite>("vega-lite");
  const compiled = vl.compile(spec).spec;
  const view = new vega.View(vega.parse(compiled), { renderer: "none" });
  try {
    return await view.toSVG();
  } finally {
    view.finalize();
  }
}

const escapeHtml = (s: string): string =>
  s.replace(/[&<>"']/g, (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" })[c] as string);

/** The report: summary, notes, every plot inline, the periods in a table. One file, no script, no link out. */
export function reportHtml(day: DayResult, plots: readonly { plot: Plot; svg: string }[]): string {
  const s = day.summary;
  const num = (x: number | null, digits = 2): string =>
    x === null ? "–" : x.toLocaleString("en-US", { maximumFractionDigits: digits });
  const rows: [string, string][] = [
    ["case", s.case],
    ["date (day type)", `${s.date} (${s.dayTypes.join(", ")})`],
    ["load profile", s.profile],
    ["seed", s.seed],
    ["periods", String(s.periods)],
    [
      "planned: congested periods (line over its limit in the study, before redispatch)",
      `${s.congestedPeriods}${s.congestedLines.length > 0 ? ` (lines ${s.congestedLines.join(", ")})` : ""}`,
    ],
    [
      "planned: periods cleared by the redispatch plan (its AC flow within every line limit)",
      String(s.clearedByPlanPeriods),
    ],
    ["planned: unmet limits", String(s.unmetLimits)],
    [
      "as delivered: periods still over a limit (the grid as it ran, with the outputs delivered)",
      s.overLimitAsDelivered.length === 0
        ? "0"
        : `${s.overLimitAsDeliveredPeriods}: ${s.overLimitAsDelivered.map((p) => `${p.localTime} ${p.lines.join(", ")}`).join("; ")}`,
    ],
    ["as delivered: congested periods cleared", `${s.clearedAsDeliveredPeriods} of ${s.congestedPeriods}`],
    ["periods with a voltage outside its band (before redispatch)", String(s.voltagePeriods)],
    ["redispatch cost (bids + master energy), USD", num(s.redispatchCostUsd, 4)],
    ["offered, USD", num(s.offeredUsd, 4)],
    ["paid to generators on chain, USD", num(s.usdPaid, 8)],
    ["kWh moved to the centre (of which penalties)", `${num(s.kwhMoved, 3)} (${num(s.kwhPenalty, 3)})`],
    ["delivery ratio (delivered / committed, settled positions)", num(s.deliveryRatio, 4)],
    [
      "under-delivered (node: delivered / committed kWh)",
      s.shortfalls.length === 0
        ? "none"
        : s.shortfalls.map((g) => `node ${g.node}: ${num(g.deliveredKwh, 3)} / ${num(g.committedKwh, 3)}`).join("; "),
    ],
    ["trades (fills), left open", `${num(s.trades, 0)}, ${num(s.openPositions, 0)}`],
    ["gas: total, per trade, setup", `${num(s.gasTotal, 0)}, ${num(s.gasPerTrade, 0)}, ${num(s.gasSetup, 0)}`],
    ["demand, PV (MWh)", `${num(s.demandMWh, 3)}, ${num(s.pvMWh, 3)}`],
    ["conservation (balances = settlements)", s.conservation ? (s.conservation.ok ? "holds" : "VIOLATED") : "–"],
    ["wall time, s", num(s.wallSeconds, 1)],
  ];
  const periodRows = day.periods
    .map(
      (r) =>
        `<tr><td>${r.localTime}</td><td>${r.demandMW.toFixed(3)}</td><td>${r.pvMW.toFixed(3)}</td>` +
        `<td>${r.before.lines}</td><td>${escapeHtml(r.redispatch.status)}</td><td>${r.after.lines}</td>` +
        `<td>${r.actual.lines}${r.violatedLinesActual.length > 0 ? ` (${escapeHtml(lineNames(r.violatedLinesActual).join(", "))})` : ""}</td><td>${r.offers.length}</td><td>${r.posted ?? "–"}</td><td>${r.fills}</td>` +
        `<td>${(r.postedUsd ?? r.offersUsd).toFixed(4)}</td>` +
        `<td>${r.usdPaid === null ? "–" : r.usdPaid.toFixed(4)}</td><td>${r.gas ?? "–"}</td><td>${r.wallMs?.toFixed(0) ?? "–"}</td></tr>`,
    )
    .join("\n");
  return `<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<link rel="icon" href="data:,">
<title>GridSwap day: ${escapeHtml(s.case)} ${escapeHtml(s.date)}</title>
<style>
body { font-family: ${FONT}; margin: 2em auto; max-width: 60em; color: #222; }
table { border-collapse: collapse; margin: 1em 0; }
td, th { border: 1px solid #ccc; padding: 0.2em 0.6em; text-align: right; }
td:first-child, th:first-child { text-align: left; }
figure { margin: 2em 0; }
figcaption { font-size: 0.9em; color: #555; max-width: 48em; }
.summary td:first-child { max-width: 30em; }
</style>
</head>
<body>
<h1>A day on the grid: ${escapeHtml(s.case)}, ${escapeHtml(s.date)}</h1>
<table class="summary">
${rows.map(([k, v]) => `<tr><td>${escapeHtml(k)}</td><td>${escapeHtml(v)}</td></tr>`).join("\n")}
</table>
<h2>How this day was built</h2>
<ul>
${s.notes.map((n) => `<li>${escapeHtml(n)}</li>`).join("\n")}
</ul>
${plots
  .map(
    ({ plot, svg }) => `<figure id="${plot.name}">
<h2>${escapeHtml(plot.title)}</h2>
${svg}
<figcaption>${escapeHtml(plot.caption)}</figcaption>
</figure>`,
  )
  .join("\n")}
<h2>Periods</h2>
<table class="periods">
<tr><th>time</th><th>demand MW</th><th>PV MW</th><th>lines over before</th><th>redispatch</th><th>after</th><th>as delivered</th><th>offers studied</th><th>posted</th><th>fills</th><th>offered USD</th><th>paid USD</th><th>gas</th><th>ms</th></tr>
${periodRows}
</table>
<p>Files beside this report: summary.json, periods.json, periods.csv, case.json (the case the market ran on), market.log, and every plot as SVG.</p>
</body>
</html>
`;
}

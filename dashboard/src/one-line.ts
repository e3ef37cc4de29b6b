/**
 * The grid view's one-line diagram: positions (a breadth-first layout from the master unit's bus,
 * the same every time), the graph's elements and style, colours by state and their legend.
 */
import type cytoscape from "cytoscape";
import type { ElementDefinition } from "cytoscape";
import type { Topology } from "../shared/types";
import { h } from "./dom";

/** Colours by state (also in the legend): loading of a line, voltage of a bus. */
const COLOURS = {
  ok: "#3d8c40",
  high: "#d4a017",
  near: "#e67e22",
  over: "#d62728",
  none: "#9aa0a6",
  busOk: "#2f6db5",
  busNear: "#d4a017",
  busOut: "#d62728",
};

/** A line loaded above this fraction of its limit is "high", above `near` close to it. */
export const HIGH = 0.7;
export const NEAR = 0.9;

/**
 * A one-line diagram's positions, the same every time: a breadth-first spanning tree from the
 * master unit's bus, drawn left to right by depth; each bus's largest subtree continues on its
 * row and the others open new rows below, so a feeder reads as a line with its laterals under it.
 * Lines outside the tree (ring closures) are drawn across.
 */
export function oneLinePositions(t: Topology): Record<string, { x: number; y: number }> {
  return oneLineLayout(t).positions;
}

/** Positions and the rows of the branches outside the spanning tree (drawn bent). */
export function oneLineLayout(t: Topology): {
  positions: Record<string, { x: number; y: number }>;
  closures: Set<number>;
} {
  const neighbours = new Map<number, number[]>(t.buses.map((b) => [b.id, []]));
  for (const br of t.branches) {
    if (!br.inService) continue;
    neighbours.get(br.from)?.push(br.to);
    neighbours.get(br.to)?.push(br.from);
  }
  const children = new Map<number, number[]>();
  const treeEdges = new Set<string>();
  const seen = new Set<number>();
  const roots = t.buses.filter((b) => b.type === 3).map((b) => b.id);
  const order: number[] = [];
  // Every island gets a root: its master bus, or its lowest-numbered bus.
  for (const start of [...roots, ...t.buses.map((b) => b.id)]) {
    if (seen.has(start)) continue;
    seen.add(start);
    order.push(start);
    const queue = [start];
    while (queue.length > 0) {
      const bus = queue.shift() as number;
      const kids: number[] = [];
      for (const n of [...(neighbours.get(bus) ?? [])].sort((a, b) => a - b)) {
        if (seen.has(n)) continue;
        seen.add(n);
        kids.push(n);
        queue.push(n);
        treeEdges.add(`${Math.min(bus, n)}-${Math.max(bus, n)}`);
      }
      children.set(bus, kids);
    }
  }
  const size = new Map<number, number>();
  const sizeOf = (bus: number): number => {
    const known = size.get(bus);
    if (known !== undefined) return known;
    const n = 1 + (children.get(bus) ?? []).reduce((s, c) => s + sizeOf(c), 0);
    size.set(bus, n);
    return n;
  };
  const positions: Record<string, { x: number; y: number }> = {};
  let nextRow = 0;
  const place = (bus: number, depth: number, row: number): void => {
    positions[`b${bus}`] = { x: depth * 70, y: row * 70 };
    const kids = [...(children.get(bus) ?? [])].sort((a, b) => sizeOf(b) - sizeOf(a) || a - b);
    kids.forEach((kid, i) => place(kid, depth + 1, i === 0 ? row : ++nextRow));
  };
  for (const root of order) {
    place(root, 0, nextRow);
    nextRow++;
  }
  const closures = new Set(
    t.branches
      .filter((br) => !treeEdges.has(`${Math.min(br.from, br.to)}-${Math.max(br.from, br.to)}`))
      .map((br) => br.row),
  );
  return { positions, closures };
}

export function elementsOf(t: Topology): ElementDefinition[] {
  const { closures } = oneLineLayout(t);
  const unitBuses = new Set(t.gens.filter((g) => g.unit).map((g) => g.bus));
  const genBuses = new Set(t.gens.filter((g) => g.inService).map((g) => g.bus));
  return [
    ...t.buses.map((b) => {
      const kind = b.type === 3 ? "master" : unitBuses.has(b.id) ? "unit" : genBuses.has(b.id) ? "gen" : "load";
      return { data: { id: `b${b.id}`, bus: b.id, label: String(b.id), kind }, classes: kind };
    }),
    ...t.branches
      .filter((br) => br.inService)
      .map((br) => ({
        data: {
          id: `l${br.row}`,
          row: br.row,
          source: `b${br.from}`,
          target: `b${br.to}`,
          limitMW: br.limitMW,
          label: `${br.from}-${br.to}`,
          loading: "",
          closure: closures.has(br.row) ? 1 : 0,
        },
      })),
  ];
}

export function graphStyle(): cytoscape.StylesheetJson {
  return [
    {
      selector: "node",
      style: {
        label: "data(label)",
        "font-size": 11,
        "text-valign": "center",
        "text-halign": "center",
        color: "#fff",
        width: 24,
        height: 24,
        "background-color": COLOURS.none,
        "border-width": 1,
        "border-color": "#333",
      },
    },
    { selector: "node.unit", style: { shape: "round-rectangle", width: 30 } },
    { selector: "node.gen", style: { shape: "round-rectangle" } },
    { selector: "node.master", style: { shape: "diamond", width: 34, height: 34 } },
    { selector: "node.vok", style: { "background-color": COLOURS.busOk } },
    { selector: "node.vnear", style: { "background-color": COLOURS.busNear, color: "#000" } },
    { selector: "node.vout", style: { "background-color": COLOURS.busOut, "border-width": 3 } },
    { selector: "node:selected", style: { "border-width": 4, "border-color": "#000" } },
    {
      selector: "edge",
      style: {
        width: 3,
        "line-color": COLOURS.none,
        "curve-style": "bezier",
        label: "data(loading)",
        "font-size": 9,
        color: "#333",
        "text-background-color": "#fff",
        "text-background-opacity": 0.85,
        "text-background-padding": "1px",
      },
    },
    // Ring closures bend around the buses they would cross.
    {
      selector: "edge[closure = 1]",
      style: { "curve-style": "unbundled-bezier", "control-point-distances": [45], "control-point-weights": [0.5] },
    },
    { selector: "edge.ok", style: { "line-color": COLOURS.ok } },
    { selector: "edge.high", style: { "line-color": COLOURS.high, width: 4 } },
    { selector: "edge.near", style: { "line-color": COLOURS.near, width: 5 } },
    {
      selector: "edge.over",
      style: {
        "line-color": COLOURS.over,
        width: 8,
        "line-style": "solid",
        color: COLOURS.over,
        "font-weight": "bold",
      },
    },
    { selector: "edge:selected", style: { "overlay-opacity": 0.2, "overlay-color": "#000" } },
  ];
}

export function legend(): HTMLElement {
  const item = (colour: string, text: string, cls = "swatch"): HTMLElement =>
    h("li", {}, h("span", { class: cls, style: `background:${colour}` }), text);
  return h(
    "ul",
    { class: "legend", "aria-label": "Legend" },
    item(COLOURS.ok, `line below ${HIGH * 100} % of its limit`),
    item(COLOURS.high, `${HIGH * 100}–${NEAR * 100} %`),
    item(COLOURS.near, `${NEAR * 100}–100 %`),
    item(COLOURS.over, "over its limit", "swatch thick"),
    item(COLOURS.none, "no limit or no data"),
    item(COLOURS.busOk, "bus voltage inside its band", "dot"),
    item(COLOURS.busNear, "within a quarter of the band from its edge", "dot"),
    item(COLOURS.busOut, "outside its band", "dot"),
    h("li", {}, "◆ master unit · ■ redispatch unit"),
  );
}

/**
 * The grid view's tables: a period's redispatch and delivery, and the sensitivities of a line to
 * each unit and of the lines over their limit to one unit, as the centre published them.
 */
import type { PeriodRecord, SensitivityRecord, StudiedPeriodRecord } from "../shared/types";
import { h, table } from "./dom";
import { mw, mwPerMw } from "./format";

/** The study's redispatch: status, cost and each unit's move. */
export function redispatchSummary(r: StudiedPeriodRecord): HTMLElement {
  const rd = r.redispatch;
  return h(
    "div",
    {},
    h("p", {}, `Redispatch: ${rd.status} in ${rd.rounds} round(s), cost ${rd.costUsd.toFixed(2)} USD over the period.`),
    table(
      [
        { head: "Unit (gen row)", cell: (a) => a.genRow, num: true },
        { head: "Node", cell: (a) => a.node, num: true },
        { head: "Scheduled", cell: (a) => mw(a.scheduledMW), num: true },
        { head: "Adjusted", cell: (a) => mw(a.adjustedMW), num: true },
        { head: "Change", cell: (a) => mw(a.adjustedMW - a.scheduledMW), num: true },
      ],
      rd.adjustments,
      { empty: "No adjustment needed.", label: "Redispatch" },
    ),
  );
}

/** The delivery period as it ran: each generator's scheduled, committed and actual output. */
export function deliverySummary(r: PeriodRecord): HTMLElement {
  return table(
    [
      { head: "Generator", cell: (d) => (d.address ? `${d.address.slice(0, 10)}…` : "—") },
      { head: "Node", cell: (d) => d.node, num: true },
      { head: "Scheduled", cell: (d) => mw(d.scheduledMW), num: true },
      { head: "Committed change", cell: (d) => mw(d.committedMW), num: true },
      { head: "Actual", cell: (d) => mw(d.actualMW), num: true },
    ],
    r.delivery,
    { empty: "No delivery recorded.", label: "Delivery" },
  );
}

/** How a line's flow moves per MW of each unit's output. */
export function sensitivityTable(s: SensitivityRecord | undefined, row: number): HTMLElement {
  const k = s?.lines.findIndex((l) => l.branchRow === row) ?? -1;
  if (!s || k < 0) return h("p", { class: "empty" }, "No sensitivities published for this line in this period.");
  return h(
    "div",
    {},
    h("h4", {}, `Sensitivity to each unit (${s.method.toUpperCase()})`),
    table(
      [
        {
          head: "Unit at node",
          cell: (u: { node: number; genRow: number; i: number }) => `${u.node} (gen ${u.genRow})`,
        },
        { head: "Flow change per MW", cell: (u) => mwPerMw(s.matrix[k][u.i]), num: true },
      ],
      s.units.map((u, i) => ({ ...u, i })),
      { label: "Sensitivities" },
    ),
  );
}

/** For a bus with a redispatch unit: how the violated lines move per MW of that unit. */
export function unitSensitivities(
  s: SensitivityRecord | undefined,
  bus: number,
  over: ReadonlySet<number>,
): HTMLElement | null {
  const j = s?.units.findIndex((u) => u.node === bus) ?? -1;
  if (!s || j < 0) return null;
  const rows = s.lines.map((l, k) => ({ ...l, k })).filter((l) => over.has(l.branchRow));
  return h(
    "div",
    {},
    h("h4", {}, "Lines over their limit per MW of this unit"),
    table(
      [
        { head: "Line", cell: (l: { from: number; to: number; k: number }) => `${l.from}–${l.to}` },
        { head: "Flow change per MW", cell: (l) => mwPerMw(s.matrix[l.k][j]), num: true },
      ],
      rows,
      { empty: "No line over its limit.", label: "Unit sensitivities" },
    ),
  );
}

/** A definition list entry. */
export function dt(term: string, value: string): HTMLElement[] {
  return [h("dt", {}, term), h("dd", {}, value)];
}

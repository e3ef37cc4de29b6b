/**
 * Line charts whose series can coincide — nodal prices are equal at every node no line constraint
 * separates — drawn so that none hides another: one Vega-Lite layer per series in order, each
 * narrower than the one below, so equal values show as nested stripes of every series' colour.
 * Used by the day report's prices plot (day-plots.ts) and the dashboard's price history. Plain
 * objects: no Vega-Lite import, so the browser bundle and Node share it.
 */

/** Stroke widths, widest (drawn first, at the bottom) to narrowest (on top), px. */
export function nestedWidths(count: number, narrowest = 1.5, widest = 8): number[] {
  if (count <= 1) return count === 1 ? [2] : [];
  const step = Math.min(2.5, (widest - narrowest) / (count - 1));
  return Array.from({ length: count }, (_, i) => narrowest + (count - 1 - i) * step);
}

/** A categorical palette whose neighbours contrast (blue, orange, green, red, …): nested stripes stay apart. */
export const NESTED_SCHEME = "category10";

/**
 * One layer per series of `field` (in the order given, later on top), a line of its nested width
 * and `mark`'s other properties; the layers share the parent's data and encoding.
 */
export function nestedLineLayers(
  field: string,
  series: readonly string[],
  mark: Readonly<Record<string, unknown>> = {},
): Record<string, unknown>[] {
  const widths = nestedWidths(series.length);
  return series.map((name, i) => ({
    transform: [{ filter: { field, equal: name } }],
    mark: { type: "line", ...mark, strokeWidth: widths[i] },
  }));
}

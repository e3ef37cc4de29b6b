/**
 * Charts with Vega-Lite through vega-embed, rendered as SVG with Vega's AST interpreter (no eval:
 * the server's Content-Security-Policy forbids it). A chart replaces the previous one in its element.
 */
import embed, { type Result, type VisualizationSpec } from "vega-embed";

const views = new WeakMap<HTMLElement, Result>();

export async function chart(el: HTMLElement, spec: VisualizationSpec): Promise<void> {
  views.get(el)?.finalize();
  const result = await embed(el, spec, { actions: false, ast: true, renderer: "svg", tooltip: true });
  views.set(el, result);
}

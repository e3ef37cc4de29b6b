/** Small DOM helpers: elements from data (text is always set as text, never parsed as HTML). */

type Child = Node | string | number | null | undefined | false;
type Attrs = Record<string, string | number | boolean | undefined | ((e: Event) => void)>;

/** `h("td", { class: "num" }, "1.5 MW")`: attributes, `on*` listeners, then children. */
export function h<K extends keyof HTMLElementTagNameMap>(
  tag: K,
  attrs: Attrs = {},
  ...children: (Child | Child[])[]
): HTMLElementTagNameMap[K] {
  const el = document.createElement(tag);
  for (const [name, value] of Object.entries(attrs)) {
    if (value === undefined || value === false) continue;
    if (typeof value === "function") el.addEventListener(name.slice(2).toLowerCase(), value);
    else if (value === true) el.setAttribute(name, "");
    else el.setAttribute(name, String(value));
  }
  append(el, children);
  return el;
}

function append(el: HTMLElement, children: (Child | Child[])[]): void {
  for (const c of children) {
    if (Array.isArray(c)) append(el, c);
    else if (c === null || c === undefined || c === false) continue;
    else el.append(c instanceof Node ? c : String(c));
  }
}

/** Replaces the children of `el`. */
export function fill(el: Element, ...children: (Child | Child[])[]): void {
  el.replaceChildren();
  append(el as HTMLElement, children);
}

/** A table with a header row and one row per item; `rowAttrs` adds data- attributes for tests and styles. */
export function table<T>(
  columns: readonly { readonly head: string; readonly cell: (item: T) => Child; readonly num?: boolean }[],
  items: readonly T[],
  options: { empty?: string; rowAttrs?: (item: T) => Attrs; label?: string } = {},
): HTMLElement {
  if (items.length === 0) return h("p", { class: "empty" }, options.empty ?? "Nothing yet.");
  return h(
    "div",
    { class: "table-wrap" },
    h(
      "table",
      { "aria-label": options.label },
      h(
        "thead",
        {},
        h(
          "tr",
          {},
          columns.map((c) => h("th", { class: c.num ? "num" : undefined, scope: "col" }, c.head)),
        ),
      ),
      h(
        "tbody",
        {},
        items.map((item) =>
          h(
            "tr",
            options.rowAttrs?.(item) ?? {},
            columns.map((c) => h("td", { class: c.num ? "num" : undefined }, c.cell(item))),
          ),
        ),
      ),
    ),
  );
}

/** A message box: kind "error" (role alert), "ok" or "info". */
export function notice(kind: "error" | "ok" | "info", ...children: Child[]): HTMLElement {
  return h("div", { class: `notice ${kind}`, role: kind === "error" ? "alert" : "status" }, ...children);
}

// DOM helpers shared by the pages: elements, readable errors, paged lists, small formatters.

import { ApiError } from "./api.js";

export function el(tag, attrs = {}, ...children) {
  const node = document.createElement(tag);
  for (const [key, value] of Object.entries(attrs)) {
    if (value === undefined || value === null || value === false) continue;
    if (key.startsWith("on")) node.addEventListener(key.slice(2), value);
    else if (key === "class") node.className = value;
    else if (key in node && typeof value !== "string") node[key] = value;
    else node.setAttribute(key, value === true ? "" : value);
  }
  for (const child of children.flat()) {
    if (child === null || child === undefined || child === false) continue;
    node.append(child instanceof Node ? child : String(child));
  }
  return node;
}

export function errorBox(error, what) {
  const message = error instanceof ApiError ? error.readable : String(error && error.message ? error.message : error);
  return el("div", { class: "error", role: "alert" }, what ? `${what}: ${message}` : message);
}

export function panel(heading, ...children) {
  return el("section", { class: "panel", "aria-label": heading }, el("h2", {}, heading), ...children);
}

/** A panel whose body fills in when ``load()`` resolves, or shows why it could not. */
export function loadingPanel(heading, load) {
  const body = el("div", { class: "muted" }, "loading…");
  const section = panel(heading, body);
  Promise.resolve()
    .then(load)
    .then((content) => body.replaceWith(el("div", {}, content)))
    .catch((error) => body.replaceWith(errorBox(error, `could not show ${heading.toLowerCase()}`)));
  return section;
}

export const num = (v, digits = 3) => (v === null || v === undefined || Number.isNaN(Number(v)) ? "–" : Number(v).toFixed(digits));
export const int = (v) => (v === null || v === undefined ? "–" : Number(v).toLocaleString("en"));
export const pct = (v) => (v === null || v === undefined ? "–" : `${(100 * v).toFixed(1)}%`);
export const when = (iso) => (iso ? iso.replace("T", " ").replace(/\.\d+/, "").replace("Z", " UTC") : "–");

/** A table of rows, paged. columns: [{head, cell(row) -> Node|string, num?}]. */
export function pagedTable({ caption, columns, rows, pageSize = 10, rowAttrs }) {
  const body = el("tbody");
  const status = el("span", { "aria-live": "polite" });
  const previous = el("button", { type: "button", class: "secondary", onclick: () => show(page - 1) }, "‹ previous");
  const next = el("button", { type: "button", class: "secondary", onclick: () => show(page + 1) }, "next ›");
  let page = 0;
  const pages = Math.max(1, Math.ceil(rows.length / pageSize));
  function show(which) {
    page = Math.max(0, Math.min(pages - 1, which));
    body.replaceChildren(...rows.slice(page * pageSize, (page + 1) * pageSize).map((row) =>
      el("tr", rowAttrs ? rowAttrs(row) : {}, columns.map((c) => el("td", { class: c.num ? "num" : "" }, c.cell(row))))));
    status.textContent = rows.length ? `${page * pageSize + 1}–${Math.min(rows.length, (page + 1) * pageSize)} of ${rows.length}` : "none";
    previous.disabled = page === 0;
    next.disabled = page >= pages - 1;
  }
  show(0);
  const table = el("table", {}, caption ? el("caption", {}, caption) : null,
    el("thead", {}, el("tr", {}, columns.map((c) => el("th", { scope: "col", class: c.num ? "num" : "" }, c.head)))), body);
  const wrap = el("div", {}, el("div", { class: "table-wrap" }, table));
  if (rows.length > pageSize) wrap.append(el("div", { class: "pager" }, previous, next, status));
  return wrap;
}

export function facts(pairs) {
  return el("dl", { class: "facts" }, pairs.filter(Boolean).flatMap(([k, v]) => [el("dt", {}, k), el("dd", {}, v ?? "–")]));
}

export function legend(names, colours) {
  return el("ul", { class: "legend" }, names.map((n, i) => el("li", {}, el("span", { style: `background:${colours[i % colours.length]}` }), n)));
}

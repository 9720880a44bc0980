// Small SVG charts: lines over versions, horizontal bars, a heat map, a feature profile.
// Every chart is an <svg class="chart" role="img"> with an accessible name and <title>s on its marks.

const NS = "http://www.w3.org/2000/svg";
export const COLOURS = ["#2f5bd3", "#d9822b", "#1f9d74", "#8e44ad", "#c0392b", "#16a085"];

export function s(tag, attrs = {}, ...children) {
  const node = document.createElementNS(NS, tag);
  for (const [key, value] of Object.entries(attrs)) if (value !== undefined && value !== null) node.setAttribute(key, value);
  for (const child of children.flat()) if (child !== null && child !== undefined)
    node.append(typeof child === "string" || typeof child === "number" ? String(child) : child);
  return node;
}

const title = (text) => s("title", {}, text);
const fmt = (v, digits = 3) => (v === null || v === undefined || Number.isNaN(v) ? "–" : Number(v).toFixed(digits));

function chartRoot(width, height, label) {
  return s("svg", { class: "chart", viewBox: `0 0 ${width} ${height}`, role: "img", "aria-label": label,
    preserveAspectRatio: "xMinYMin meet" }, title(label));
}

/** Lines of several series over the same x positions (e.g. figures over model versions).
 *  series: [{name, values: [number|null]}]; labels: x labels; current: index marked "current";
 *  moves: [{index, text}] marked under the axis (pointer moves). */
export function lineChart({ label, series, labels, current = -1, moves = [], yDomain }) {
  const width = 720, height = 270, left = 44, right = 16, top = 24, bottom = 58;
  const values = series.flatMap((one) => one.values).filter((v) => v !== null && v !== undefined);
  let [low, high] = yDomain || [Math.min(0, ...values), Math.max(1, ...values)];
  if (high === low) high = low + 1;
  const n = labels.length;
  const x = (i) => left + (n <= 1 ? (width - left - right) / 2 : (i * (width - left - right)) / (n - 1));
  const y = (v) => top + ((high - v) * (height - top - bottom)) / (high - low);
  const root = chartRoot(width, height, label);
  for (let t = 0; t <= 4; t++) {
    const v = low + ((high - low) * t) / 4;
    root.append(s("line", { class: "gridline", x1: left, x2: width - right, y1: y(v), y2: y(v) }),
      s("text", { x: left - 6, y: y(v) + 4, "text-anchor": "end" }, fmt(v, 2)));
  }
  root.append(s("line", { class: "axis", x1: left, x2: width - right, y1: y(low), y2: y(low) }));
  if (current >= 0) {
    root.append(s("g", { class: "current-mark" },
      s("line", { x1: x(current), x2: x(current), y1: top, y2: y(low), stroke: "#1f7a4d", "stroke-width": 2, "stroke-dasharray": "5 4" }),
      s("text", { x: x(current), y: top - 8, "text-anchor": "middle", fill: "#1f7a4d" }, "current"),
      title(`current: ${labels[current]}`)));
  }
  series.forEach((one, k) => {
    const colour = COLOURS[k % COLOURS.length];
    const points = one.values.map((v, i) => (v === null || v === undefined ? null : [x(i), y(v)]));
    let path = "";
    points.forEach((p, i) => { if (p) path += `${path && points[i - 1] ? "L" : "M"}${p[0].toFixed(1)},${p[1].toFixed(1)}`; });
    const group = s("g", { class: "series", "data-series": one.name });
    if (path) group.append(s("path", { d: path, fill: "none", stroke: colour, "stroke-width": 2 }));
    points.forEach((p, i) => {
      if (p) group.append(s("circle", { cx: p[0], cy: p[1], r: i === current ? 6 : 4, fill: colour, stroke: "#fff" },
        title(`${one.name} of ${labels[i]}: ${fmt(one.values[i])}`)));
    });
    root.append(group);
  });
  labels.forEach((text, i) => {
    if (n > 14 && i % Math.ceil(n / 14) !== 0 && i !== n - 1) return;
    root.append(s("text", { x: x(i), y: y(low) + 14, "text-anchor": "middle" }, text));
  });
  const base = y(low) + 22;
  moves.forEach((move) => {
    root.append(s("g", { class: "move-mark", tabindex: 0, "aria-label": move.text },
      s("path", { d: `M${x(move.index)},${base} l-6,10 h12 z`, fill: "#1d2330" }), title(move.text)));
  });
  if (moves.length) root.append(s("text", { x: left, y: height - 4 }, "▲ pointer moved here (hover or focus for who, when and why)"));
  return root;
}

/** Horizontal bars. items: [{label, value, text?, title?, colour?}]; threshold: a dashed line. */
export function barChart({ label, items, format = (v) => fmt(v), threshold, thresholdLabel, labelWidth = 170 }) {
  const row = 24, width = 720, right = 70, top = 8;
  const height = top + items.length * row + (threshold !== undefined ? 18 : 6);
  const values = items.map((i) => i.value).filter((v) => v !== null && v !== undefined);
  const low = Math.min(0, ...values), high = Math.max(0, ...values, threshold ?? 0) || 1;
  const x = (v) => labelWidth + ((v - low) * (width - labelWidth - right)) / (high - low || 1);
  const root = chartRoot(width, height, label);
  items.forEach((item, i) => {
    const y0 = top + i * row;
    const v = item.value ?? 0;
    const short = item.label.length > 26 ? `${item.label.slice(0, 25)}…` : item.label;
    root.append(s("g", { class: "bar" },
      s("text", { x: labelWidth - 8, y: y0 + 15, "text-anchor": "end" }, short),
      s("rect", { x: Math.min(x(0), x(v)), y: y0 + 3, width: Math.max(1, Math.abs(x(v) - x(0))), height: row - 7,
        fill: item.colour || COLOURS[0], rx: 2 }),
      s("text", { x: Math.max(x(0), x(v)) + 5, y: y0 + 15 }, item.text ?? format(item.value)),
      title(item.title || `${item.label}: ${item.text ?? format(item.value)}`)));
  });
  root.append(s("line", { class: "axis", x1: x(0), x2: x(0), y1: top, y2: top + items.length * row }));
  if (threshold !== undefined) {
    root.append(s("line", { x1: x(threshold), x2: x(threshold), y1: top, y2: top + items.length * row, stroke: "#b3261e",
      "stroke-dasharray": "4 3" }), s("text", { x: x(threshold), y: height - 4, "text-anchor": "middle", fill: "#b3261e" },
      thresholdLabel || `threshold ${format(threshold)}`));
  }
  return root;
}

function diverging(z) {  // standard deviations from the mean → blue (below) · white · red (above)
  const t = Math.max(-1, Math.min(1, z / 2.5));
  const mix = (a, b) => Math.round(a + (b - a) * Math.abs(t));
  return t < 0 ? `rgb(${mix(255, 47)},${mix(255, 91)},${mix(255, 211)})` : `rgb(${mix(255, 192)},${mix(255, 57)},${mix(255, 43)})`;
}

/** rows: [{label, cells: [{z, text, title}]}], columns: names. Colour by z, text in the cell. */
export function heatMap({ label, rows, columns }) {
  const labelWidth = 190, cellW = Math.max(54, Math.min(80, 560 / Math.max(1, columns.length))), cellH = 28, top = 70;
  const width = labelWidth + columns.length * cellW + 4, height = top + rows.length * cellH + 30;
  const root = chartRoot(width, height, label);
  columns.forEach((name, j) => {
    const cx = labelWidth + j * cellW + cellW / 2;
    root.append(s("text", { x: cx, y: top - 6, transform: `rotate(-35 ${cx} ${top - 6})` }, name));
  });
  rows.forEach((row, i) => {
    const y0 = top + i * cellH;
    const short = row.label.length > 28 ? `${row.label.slice(0, 27)}…` : row.label;
    root.append(s("text", { x: labelWidth - 8, y: y0 + 18, "text-anchor": "end" }, short));
    row.cells.forEach((cell, j) => {
      root.append(s("g", { class: "cell" },
        s("rect", { x: labelWidth + j * cellW, y: y0, width: cellW - 2, height: cellH - 2, fill: diverging(cell.z ?? 0) }),
        s("text", { x: labelWidth + j * cellW + cellW / 2 - 1, y: y0 + 18, "text-anchor": "middle" }, cell.text),
        title(cell.title || cell.text)));
    });
  });
  root.append(s("text", { x: labelWidth, y: height - 8 },
    "colour: standard deviations from the catalog mean (blue below, red above); text: the centroid in original units"));
  return root;
}

/** A track's features as a row of small bars scaled to each attribute's range. */
export function featureProfile(track, attributes) {
  const shown = attributes.filter((a) => track[a.name] !== null && track[a.name] !== undefined && a.low !== null && a.high !== null);
  const bar = 7, gap = 2, height = 26;
  const root = s("svg", { class: "profile", width: shown.length * (bar + gap), height, viewBox: `0 0 ${shown.length * (bar + gap)} ${height}`,
    role: "img", "aria-label": shown.map((a) => `${a.name} ${fmt(track[a.name], 2)}`).join(", ") });
  shown.forEach((a, i) => {
    const t = Math.max(0, Math.min(1, (track[a.name] - a.low) / (a.high - a.low || 1)));
    const h = Math.max(1, t * (height - 2));
    root.append(s("rect", { x: i * (bar + gap), y: height - h, width: bar, height: h, fill: COLOURS[i % COLOURS.length] },
      title(`${a.name}: ${fmt(track[a.name], 2)}`)));
  });
  return root;
}

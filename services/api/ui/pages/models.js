// Models: every published version with its figures, lineage and gate decision; the figures over
// versions with the current one and the pointer's moves marked; activation with the operator token.

import { api } from "../api.js";
import { COLOURS, lineChart } from "../charts.js";
import { el, errorBox, facts, int, legend, num, pagedTable, panel, when } from "../dom.js";

const FIGURES = [
  ["silhouette", "silhouette"],
  ["stability_ari", "stability (ARI)"],
  ["genre_precision_at_5", "genre precision@5"],
];

const shortVersion = (v) => (v.length > 10 ? v.slice(-8) : v);

/** What moved the pointer to a version first (the gate's decision when the trainer moved it), or
 * what kept it from moving there (another job's version got there first). */
function gateDecision(version, history, superseded) {
  const moves = history.filter((m) => m.version === version).reverse();  // oldest first
  const lost = superseded.find((s) => s.version === version);
  if (!moves.length && lost) return { text: `superseded by ${lost.superseded_by}, which became current while its job ran (${lost.reason})`, served: false };
  if (!moves.length) return { text: "never served: not activated when published (see its training job's result)", served: false };
  const first = moves[0];
  return { text: `${first.actor}: ${first.reason}`, served: true };
}

export async function modelsPage(root, { token }) {
  const listing = await api("/v1/models");
  const models = listing.models.filter((m) => !m.error);
  const unreadable = listing.models.filter((m) => m.error);
  const history = listing.history || [];
  const superseded = listing.superseded || [];
  const current = listing.current;
  const versions = models.map((m) => m.version);

  root.append(el("p", { class: "muted" },
    `${models.length} published version${models.length === 1 ? "" : "s"}; the pointer names `,
    el("strong", { class: "mono", id: "pointer-version" }, current || "none"),
    listing.serving && listing.serving !== current ? ` (this process still serves ${listing.serving})` : ""));
  if (listing.history === null) root.append(errorBox("the pointer's history could not be read (Redis is unreachable)"));
  for (const bad of unreadable) root.append(errorBox(`${bad.version}: ${bad.error.message} (${bad.error.code})`));

  // the figures over versions
  const moves = history
    .map((m) => ({ index: versions.indexOf(m.version), text: `${when(m.time)} · ${m.actor} moved the pointer ${m.previous ? `from ${m.previous} ` : ""}to ${m.version}: ${m.reason}` }))
    .filter((m) => m.index >= 0);
  const series = FIGURES.map(([key, name]) => ({ name, values: models.map((m) => (m.metrics || {})[key] ?? null) }));
  const chartPanel = panel("Held-out figures over versions");
  if (models.length) {
    chartPanel.append(legend(series.map((x) => x.name), COLOURS),
      lineChart({ label: "silhouette, stability and genre precision of each published version", series,
        labels: versions.map(shortVersion), current: versions.indexOf(current), moves }));
  } else {
    chartPanel.append(el("p", {}, "No model is published yet: ingest a catalog (the first training job follows) or start one on the Jobs page."));
  }
  root.append(chartPanel);

  // the versions, newest first, paged; a row opens its details
  const details = el("div", { id: "model-details" });
  const message = el("div", { id: "activate-message", "aria-live": "polite" });
  const tokenInput = el("input", { type: "password", id: "operator-token", autocomplete: "off", value: token.get() });
  tokenInput.addEventListener("change", () => token.set(tokenInput.value.trim()));
  const reasonInput = el("input", { type: "text", id: "activate-reason", value: "activated from the dashboard", maxlength: 500 });

  async function activate(version) {
    message.replaceChildren();
    const secret = tokenInput.value.trim();
    token.set(secret);
    if (!secret) {
      message.append(errorBox(`not activated: activating ${version} is an operator action; enter the operator token first`));
      tokenInput.focus();
      return;
    }
    try {
      const move = await api(`/v1/models/${encodeURIComponent(version)}/activate`, {
        method: "POST", token: secret, body: { reason: reasonInput.value.trim() || "activated from the dashboard" } });
      message.append(el("p", { class: "ok", role: "status" },
        `pointer moved to ${move.version} (from ${move.previous || "none"}) at ${when(move.time)} by ${move.actor}: ${move.reason}`));
      setTimeout(() => window.dispatchEvent(new HashChangeEvent("hashchange")), 1200);
    } catch (error) {
      message.append(errorBox(error, `${version} was not activated`));
    }
  }

  function showDetails(model) {
    const m = model.metrics || {};
    const lineage = model.lineage || {};
    const selection = m.k_selection || {};
    details.replaceChildren(panel(`Version ${model.version}`,
      facts([
        ["created", when(model.created_at)],
        ["k", String(model.k)],
        ["features", (model.features || []).join(", ")],
        ["silhouette", num(m.silhouette)],
        ["stability (ARI between seeds)", num(m.stability_ari)],
        ["genre precision@5", num(m.genre_precision_at_5)],
        ["k chosen because", selection.reason || "–"],
        ["gate", gateDecision(model.version, history, superseded).text],
        ["dataset", el("span", { class: "mono" }, lineage.dataset_id || "–")],
        ["dataset manifest sha256", el("span", { class: "mono" }, lineage.dataset_manifest_sha256 || "–")],
        ["dataset source", lineage.dataset_source ? `${lineage.dataset_source.name} (${int(lineage.dataset_rows)} rows)` : "–"],
        ["code version", el("span", { class: "mono" }, (lineage.code_version || {}).git_commit || "–")],
        ["libraries", Object.entries(lineage.libraries || {}).map(([k, v]) => `${k} ${v}`).join(", ") || "–"],
      ]),
      el("p", {}, el("a", { href: `/v1/models/${encodeURIComponent(model.version)}` }, "the whole report (JSON)"))));
  }

  const newestFirst = [...models].reverse();
  root.append(panel("Versions",
    el("div", { class: "form" },
      el("label", { for: "operator-token" }, "Operator token"), tokenInput,
      el("label", { for: "activate-reason" }, "Reason for activating"), reasonInput),
    el("p", { class: "footnote" }, "The token stays in this tab (sessionStorage) and is sent only in the Authorization header."),
    message,
    pagedTable({
      caption: "published versions, newest first",
      rows: newestFirst,
      rowAttrs: (m) => ({ "data-version": m.version, class: m.version === current ? "selected" : "" }),
      columns: [
        { head: "version", cell: (m) => el("span", {}, el("button", { type: "button", class: "secondary mono", onclick: () => showDetails(m),
          "aria-label": `details of ${m.version}` }, m.version), m.version === current ? el("span", { class: "badge current" }, " current") : "") },
        { head: "created", cell: (m) => when(m.created_at) },
        { head: "k", num: true, cell: (m) => String(m.k) },
        { head: "silhouette", num: true, cell: (m) => num((m.metrics || {}).silhouette) },
        { head: "stability", num: true, cell: (m) => num((m.metrics || {}).stability_ari) },
        { head: "genre p@5", num: true, cell: (m) => num((m.metrics || {}).genre_precision_at_5) },
        { head: "dataset", cell: (m) => el("span", { class: "mono" }, (m.lineage || {}).dataset_id || "–") },
        { head: "gate", cell: (m) => gateDecision(m.version, history, superseded).text },
        { head: "", cell: (m) => el("button", { type: "button", onclick: () => activate(m.version), disabled: m.version === current,
          "aria-label": `activate ${m.version}` }, "activate") },
      ],
    }),
    details));
  if (models.length) showDetails(models.find((m) => m.version === current) || models[models.length - 1]);

  root.append(panel("Pointer moves",
    history.length
      ? pagedTable({
        caption: "who moved the pointer, when and why, newest first",
        rows: history,
        columns: [
          { head: "when", cell: (h) => when(h.time) },
          { head: "who", cell: (h) => h.actor },
          { head: "to", cell: (h) => el("span", { class: "mono" }, h.version) },
          { head: "from", cell: (h) => el("span", { class: "mono" }, h.previous || "–") },
          { head: "why", cell: (h) => h.reason },
        ],
      })
      : el("p", {}, "The pointer has not moved yet.")));
}

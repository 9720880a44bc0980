// Segments: the served model's clusters (sizes, centroid profiles, labels, genres, examples),
// its ablation study and the drift of the newest dataset against the one it was trained on.

import { api } from "../api.js";
import { COLOURS, barChart, heatMap } from "../charts.js";
import { el, errorBox, facts, int, loadingPanel, num, panel, pct } from "../dom.js";

function clusterCard(cluster) {
  const unavailable = cluster.unavailable || {};
  const genres = cluster.top_genres || [];
  const examples = cluster.examples || [];
  return el("article", { class: "card", "data-cluster": cluster.id, "aria-label": `cluster ${cluster.id}: ${cluster.label}` },
    el("h3", {}, el("span", { class: "badge" }, `#${cluster.id}`), " ", el("span", { class: "cluster-label" }, cluster.label)),
    el("p", { class: "muted" }, `${int(cluster.size)} tracks${cluster.share != null ? ` · ${pct(cluster.share)} of the catalog` : ""}`),
    cluster.words && cluster.words.length
      ? el("p", {}, "made of: ", cluster.words.map((w) => `${w.word} (${w.feature} ${w.z >= 0 ? "+" : ""}${num(w.z, 1)} sd)`).join(", "))
      : null,
    el("h4", {}, "Top genres"),
    genres.length
      ? el("ul", {}, genres.map((g) => el("li", {}, `${g.genre}: ${pct(g.share)} of the cluster (${pct(g.catalog_share)} of the catalog)`)))
      : el("p", { class: "muted" }, unavailable.top_genres || "no genres in this catalog"),
    el("h4", {}, "Most central tracks"),
    examples.length
      ? el("ol", {}, examples.map((t) => el("li", {}, el("a", { href: `#/try?seeds=track:${encodeURIComponent(t.track_id)}` },
        `${t.track_name || t.track_id}`), ` — ${t.artist_name || "unknown artist"}`)))
      : el("p", { class: "muted" }, unavailable.examples || "none"));
}

function ablationPanel(report) {
  const ablation = report.ablation;
  if (!ablation) return el("p", { class: "muted" }, (report.unavailable || {}).ablation || "no ablation study in this model's report");
  const variants = Object.entries(ablation.variants || {}).filter(([name]) => name !== "full");
  const full = (ablation.variants || {}).full || {};
  const figures = [["silhouette", "silhouette"], ["genre_precision_at_5", "genre precision@5"], ["stability", "stability"]];
  const charts = figures
    .filter(([key]) => variants.some(([, v]) => v.delta && v.delta[key] !== null && v.delta[key] !== undefined))
    .map(([key, name]) => el("figure", {},
      el("figcaption", {}, `Δ ${name} against the full model (${num(full[key])}); below zero: what the variant leaves out helps`),
      barChart({
        label: `change of ${name} when each feature is dropped, and with the scaling off`,
        items: variants.map(([variant, v]) => ({ label: variant, value: v.delta[key],
          colour: v.delta[key] < 0 ? COLOURS[0] : COLOURS[1], text: num(v.delta[key], 3) })),
      })));
  const unavailable = Object.entries(ablation.unavailable || {}).map(([k, why]) => el("p", { class: "footnote" }, `${k}: ${why}`));
  const dominated = ((ablation.variants || {}).unscaled || {}).dominated_by;
  return el("div", {}, facts([
    ["held-out rows", int(ablation.held_out_rows)], ["fit rows", int(ablation.fit_rows)],
    ["silhouette measured in", ablation.silhouette_space || "–"],
    dominated ? ["unscaled distances dominated by", Object.entries(dominated).map(([f, share]) => `${f} ${pct(share)}`).join(", ")] : null,
  ]), charts, unavailable);
}

function driftChart(drift) {
  const psi = drift.psi || {};
  const items = Object.entries(psi).sort((a, b) => b[1] - a[1]).map(([feature, value]) => ({
    label: feature, value, text: num(value, 3), colour: value > drift.threshold ? "#b3261e" : COLOURS[2] }));
  return el("div", {},
    el("p", {}, `${drift.against} against ${drift.dataset_id} (${int((drift.rows || {}).against)} and ${int((drift.rows || {}).dataset)} rows): `,
      drift.drifted && drift.drifted.length ? el("strong", { class: "bad" }, `drifted: ${drift.drifted.join(", ")}`) : el("span", { class: "ok" }, "no feature drifted")),
    items.length ? barChart({ label: "population stability index per feature", items, threshold: drift.threshold,
      thresholdLabel: `drift above ${drift.threshold}` }) : el("p", { class: "muted" }, "no PSI measured"),
    el("p", { class: "footnote" }, drift.method || ""),
    Object.entries(drift.unavailable || {}).map(([k, why]) => el("p", { class: "footnote" }, `${k}: ${why}`)));
}

export async function segmentsPage(root) {
  const { model_version: version, clusters } = await api("/v1/clusters");
  root.append(el("p", { class: "muted" }, `${clusters.length} segments of model `, el("strong", { class: "mono" }, version)));

  const sizes = panel("Cluster sizes", barChart({
    label: "tracks in each cluster",
    items: clusters.map((c, i) => ({ label: `#${c.id} ${c.label}`, value: c.size, colour: COLOURS[i % COLOURS.length],
      text: `${int(c.size)}${c.share != null ? ` (${pct(c.share)})` : ""}` })),
    labelWidth: 230,
  }));
  const features = Object.keys(clusters[0] ? clusters[0].centroid : {});
  const profiles = panel("Centroid profiles", heatMap({
    label: "each cluster's centroid: colour in standard deviations from the catalog mean, text in original units",
    columns: features,
    rows: clusters.map((c) => ({
      label: `#${c.id} ${c.label}`,
      cells: features.map((f) => {
        const value = c.centroid[f];
        const z = c.standardized ? c.standardized[f] : 0;
        const digits = Math.abs(value) >= 10 ? 0 : Math.abs(value) >= 1 ? 1 : 2;
        return { z, text: num(value, digits), title: `cluster ${c.id} ${f}: ${num(value, 3)}${c.standardized ? ` (${z >= 0 ? "+" : ""}${num(z, 2)} sd)` : ""}` };
      }),
    })),
  }), clusters.some((c) => !c.standardized) ? el("p", { class: "footnote" }, "standard deviations are not in this model's report: cells are uncoloured") : null);
  root.append(sizes, profiles);

  const cards = el("div", { class: "cards" });
  const pageSize = 12;
  let shown = 0;
  const more = el("button", { type: "button", class: "secondary", onclick: () => showMore() }, "show more segments");
  function showMore() {
    cards.append(...clusters.slice(shown, shown + pageSize).map(clusterCard));
    shown = Math.min(clusters.length, shown + pageSize);
    more.hidden = shown >= clusters.length;
  }
  showMore();
  root.append(panel("Segments", cards, more));

  const report = api(`/v1/models/${encodeURIComponent(version)}`);
  root.append(loadingPanel("Ablation: what each feature contributes", async () => ablationPanel(await report)));
  root.append(loadingPanel("Drift against the newest dataset", async () => {
    const trainedOn = ((await report).lineage || {}).dataset_id;
    if (!trainedOn) return errorBox("the model's lineage names no dataset to compare with");
    return driftChart(await api(`/v1/datasets/${encodeURIComponent(trainedOn)}/drift`));
  }));
}

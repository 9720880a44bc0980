// Datasets: what each ingest read, kept and rejected (by reason), its source and parts; an upload.

import { api, token } from "../api.js";
import { COLOURS, barChart } from "../charts.js";
import { el, errorBox, facts, int, pagedTable, panel, pct, when } from "../dom.js";

function details(dataset) {
  const reasons = Object.entries(dataset.rejected_by_reason || {}).sort((a, b) => b[1] - a[1]);
  const source = dataset.source || {};
  const nulled = dataset.nulled_by_reason;
  const parts = Array.isArray(dataset.parts) ? dataset.parts : [];
  return panel(`Dataset ${dataset.dataset_id}`,
    facts([
      ["created", when(dataset.created_at)],
      ["rows read", int(dataset.rows_read)],
      ["rows kept", `${int(dataset.rows_kept)}${dataset.rows_read ? ` (${pct(dataset.rows_kept / dataset.rows_read)})` : ""}`],
      ["rows rejected", int(dataset.rows_rejected)],
      ["duplicates dropped", int(dataset.duplicates)],
      nulled ? ["values nulled", typeof nulled === "object" ? Object.entries(nulled).map(([k, v]) => `${k} ${int(v)}`).join(", ") : int(nulled)] : null,
      ["source", el("span", { class: "mono" }, source.uri || source.name || "–")],
      ["parts", source.parts != null ? int(source.parts) : "–"],
      ["track ids", dataset.track_id_source || "column"],
      ["bytes", int(source.bytes)],
      ["sha256", el("span", { class: "mono" }, source.sha256 || "–")],
    ]),
    parts.length > 1
      ? pagedTable({
        caption: "each part of the source",
        rows: parts,
        columns: [
          { head: "part", cell: (p) => el("span", { class: "mono" }, p.name) },
          { head: "layout", cell: (p) => p.layout || "–" },
          { head: "read", num: true, cell: (p) => int(p.rows_read) },
          { head: "kept", num: true, cell: (p) => int(p.rows_kept) },
          { head: "rejected", num: true, cell: (p) => int(p.rows_rejected) },
          { head: "duplicates", num: true, cell: (p) => int(p.duplicates) },
          { head: "rows with a value nulled", num: true, cell: (p) => int(p.rows_nulled) },
        ],
      })
      : null,
    el("h3", {}, "Rejected rows by reason"),
    reasons.length
      ? barChart({ label: `rows of ${dataset.dataset_id} rejected, by reason`, labelWidth: 250,
        items: reasons.map(([reason, count]) => ({ label: reason, value: count, text: int(count), colour: COLOURS[4] })) })
      : el("p", { class: "ok" }, "No row was rejected."));
}

function uploadPanel() {
  const file = el("input", { type: "file", id: "upload-file", accept: ".csv,text/csv" });
  const tokenInput = el("input", { type: "password", id: "upload-token", autocomplete: "off", value: token.get() });
  const result = el("div", { id: "upload-result", "aria-live": "polite" });
  async function upload(event) {
    event.preventDefault();
    result.replaceChildren();
    if (!file.files.length) { result.append(errorBox("choose a CSV file first")); return; }
    token.set(tokenInput.value.trim());
    const form = new FormData();
    form.append("file", file.files[0]);
    try {
      const body = await api("/v1/datasets", { method: "POST", form, token: tokenInput.value.trim() });
      result.append(el("p", { class: "ok", role: "status" }, body.job_id
        ? `accepted: ingest job ${body.job_id}${body.dataset_id ? ` will publish dataset ${body.dataset_id}` : ""}`
        : `accepted: ${JSON.stringify(body)}`));
      if (body.url || body.job_url) follow(body.url || body.job_url, result);
    } catch (error) {
      result.append(errorBox(error, `${file.files[0].name} was not accepted`));
    }
  }
  return panel("Upload a catalog",
    el("form", { class: "form", onsubmit: upload },
      el("label", { for: "upload-file" }, "CSV file"), file,
      el("label", { for: "upload-token" }, "Operator token"), tokenInput,
      el("div", { class: "wide" }, el("button", { type: "submit" }, "upload and ingest"))),
    el("p", { class: "footnote" }, "The file goes to POST /v1/datasets; the API's answer, or what was wrong with the file, shows here."),
    result);
}

function follow(url, target) {
  const line = el("p", { "aria-live": "polite" }, "following the ingest job…");
  target.append(line);
  const tick = async () => {
    try {
      const job = await api(url, { token: token.get() });
      line.textContent = `ingest job ${job.job_id || ""}: ${job.status}${job.stage ? ` (${job.stage})` : ""}${job.error ? `: ${job.error}` : ""}`;
      if (!["finished", "failed", "stopped", "canceled"].includes(job.status)) setTimeout(tick, 1000);
    } catch (error) {
      line.replaceWith(errorBox(error, "could not follow the ingest job"));
    }
  };
  tick();
}

export async function datasetsPage(root) {
  const upload = uploadPanel();
  let datasets;
  try {
    ({ datasets } = await api("/v1/datasets"));
  } catch (error) {
    root.append(errorBox(error, "the datasets could not be listed"), upload);
    return;
  }
  const shown = el("div", { id: "dataset-details" });
  const newestFirst = [...datasets].reverse();
  root.append(panel("Complete datasets",
    datasets.length ? pagedTable({
      caption: "newest first; a failed or running ingest is not listed",
      rows: newestFirst,
      rowAttrs: (d) => ({ "data-dataset": d.dataset_id }),
      columns: [
        { head: "dataset", cell: (d) => el("button", { type: "button", class: "secondary mono", onclick: () => shown.replaceChildren(details(d)),
          "aria-label": `details of ${d.dataset_id}` }, d.dataset_id) },
        { head: "created", cell: (d) => when(d.created_at) },
        { head: "read", num: true, cell: (d) => int(d.rows_read) },
        { head: "kept", num: true, cell: (d) => int(d.rows_kept) },
        { head: "rejected", num: true, cell: (d) => int(d.rows_rejected) },
        { head: "duplicates", num: true, cell: (d) => int(d.duplicates) },
        { head: "source", cell: (d) => `${(d.source || {}).name || "–"}${(d.source || {}).parts > 1 ? ` (${d.source.parts} parts)` : ""}` },
      ],
    }) : el("p", {}, "No dataset yet: upload a catalog below or run the ingest.")), shown, upload);
  if (newestFirst.length) shown.replaceChildren(details(newestFirst[0]));
}

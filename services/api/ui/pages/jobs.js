// Jobs: start a training job (dataset, k, features, force) and follow its stage until it
// publishes or fails, with the result and the quality gate's reason.

import { api, token } from "../api.js";
import { el, errorBox, facts, num, panel, when } from "../dom.js";

const ENDED = ["finished", "failed", "stopped", "canceled"];

async function trainingSchema() {
  const spec = await api("/openapi.json");
  const schema = spec.components.schemas.TrainingParameters.properties;
  const k = (schema.k.anyOf || [schema.k]).find((o) => o.type === "integer") || {};
  const features = (schema.features.anyOf || [schema.features]).find((o) => o.type === "array") || {};
  return { kMin: k.minimum, kMax: k.maximum, features: (features.items || {}).enum || [] };
}

function follower(jobId, onLeave) {
  const state = el("div", { id: "job-state", "aria-live": "polite" }, "reading the job…");
  const stages = el("ol", { class: "stages", id: "job-stages", "aria-label": "stages seen" });
  const seen = [];
  let timer = null;
  onLeave(() => clearTimeout(timer));
  async function tick() {
    let job;
    try {
      job = await api(`/v1/training-jobs/${encodeURIComponent(jobId)}`, { token: token.get() });
    } catch (error) {
      state.replaceChildren(errorBox(error, `could not read training job ${jobId}`));
      if (error.status === 0 || error.status >= 500) timer = setTimeout(tick, 2000);
      return;
    }
    if (job.stage && !seen.includes(job.stage)) seen.push(job.stage);
    const ended = ENDED.includes(job.status);
    stages.replaceChildren(...seen.map((name, i) => el("li", { class: i === seen.length - 1 && !ended ? "active" : "done" }, name)));
    const result = job.result || {};
    const metrics = result.metrics || {};
    state.replaceChildren(
      facts([
        ["job", el("span", { class: "mono" }, job.job_id)],
        ["status", el("strong", { id: "job-status", class: job.status === "failed" ? "bad" : job.status === "finished" ? "ok" : "warn" }, job.status)],
        ["stage", job.stage || "–"],
        ["queued", when(job.enqueued_at)], ["started", when(job.started_at)], ["ended", when(job.ended_at)],
        job.result ? ["published", el("span", { class: "mono", id: "job-version" }, result.version || "–")] : null,
        job.result ? ["k", String(result.k)] : null,
        job.result ? ["silhouette", num(metrics.silhouette)] : null,
        job.result ? ["activated", el("strong", { id: "job-activated", class: result.activated ? "ok" : "warn" }, result.activated ? "yes: now served" : "no: the previous model stays")] : null,
        job.result ? ["quality gate", el("span", { id: "job-gate" }, result.reason || "–")] : null,
        job.error ? ["error", el("span", { class: "bad", id: "job-error" }, job.error)] : null,
      ]),
      ended && job.result ? el("p", {}, el("a", { href: "#/models" }, "see it on the Models page")) : null);
    if (!ended) timer = setTimeout(tick, 1000);
  }
  tick();
  return panel(`Training job ${jobId}`, stages, state);
}

export async function jobsPage(root, { rest, onLeave }) {
  const [schema, listing] = await Promise.all([trainingSchema(), api("/v1/datasets")]);
  const datasets = [...listing.datasets].reverse();
  const dataset = el("select", { id: "job-dataset" },
    el("option", { value: "" }, "the newest"),
    datasets.map((d) => el("option", { value: d.dataset_id }, `${d.dataset_id} (${(d.source || {}).name || "?"}, ${d.rows_kept} rows)`)));
  const k = el("input", { type: "number", id: "job-k", min: schema.kMin, max: schema.kMax, step: 1, placeholder: "automatic", size: 8 });
  const features = schema.features.map((name) => el("input", { type: "checkbox", id: `feature-${name}`, value: name }));
  const force = el("input", { type: "checkbox", id: "job-force" });
  const tokenInput = el("input", { type: "password", id: "job-token", autocomplete: "off", value: token.get() });
  const message = el("div", { id: "job-message", "aria-live": "polite" });

  async function start(event) {
    event.preventDefault();
    message.replaceChildren();
    const secret = tokenInput.value.trim();
    token.set(secret);
    if (!secret) { message.append(errorBox("not started: training is an operator action; enter the operator token first")); tokenInput.focus(); return; }
    const body = { force: force.checked };
    if (dataset.value) body.dataset_id = dataset.value;
    if (k.value !== "") body.k = Number(k.value);
    const chosen = features.filter((f) => f.checked).map((f) => f.value);
    if (chosen.length) body.features = chosen;
    try {
      const created = await api("/v1/training-jobs", { method: "POST", token: secret, body });
      location.hash = `#/jobs/${encodeURIComponent(created.job_id)}${created.created ? "" : "?reused=1"}`;
    } catch (error) {
      message.append(errorBox(error, "the training job was not started"));
    }
  }

  root.append(panel("Start a retrain",
    el("form", { class: "form", id: "job-form", onsubmit: start },
      el("label", { for: "job-dataset" }, "Dataset"), dataset,
      el("label", { for: "job-k" }, `Clusters k (${schema.kMin}–${schema.kMax})`), k,
      el("span", { id: "features-label", class: "label" }, "Features"),
      el("fieldset", { class: "checks", "aria-labelledby": "features-label" },
        el("legend", { class: "footnote" }, "none ticked: every schema feature"),
        features.map((box) => el("label", {}, box, ` ${box.value}`))),
      el("label", { for: "job-force" }, "Force"), el("span", {}, force, el("label", { for: "job-force", class: "footnote" }, " serve it even where the quality gate would refuse it")),
      el("label", { for: "job-token" }, "Operator token"), tokenInput,
      el("div", { class: "wide" }, el("button", { type: "submit" }, "start training"))),
    message));
  if (rest[0]) {
    if (new URLSearchParams(location.hash.split("?")[1] || "").get("reused")) {
      root.append(el("p", { class: "muted" }, "An identical job was already queued or running: following it."));
    }
    root.append(follower(rest[0], onLeave));
  }
}

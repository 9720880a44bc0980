// Health: readiness (model, Redis, MinIO, last reload error) and the served version, refreshed on their own.

import { api } from "../api.js";
import { el, errorBox, facts, when } from "../dom.js";

const REFRESH_SECONDS = 5;
const yes = (ok, good = "reachable", bad = "unreachable") => el("span", { class: ok ? "ok" : "bad" }, ok ? `✔ ${good}` : `✘ ${bad}`);

export async function healthPage(root, { onLeave }) {
  const body = el("div", { id: "health", "aria-live": "polite" });
  const stamp = el("p", { class: "footnote" });
  root.append(el("section", { class: "panel", "aria-label": "Readiness" }, el("h2", {}, "Readiness"), body, stamp));
  async function refresh() {
    let ready, problem;
    try {
      ready = await api("/readyz");
    } catch (error) {
      problem = error;
      ready = error.details && "ready" in error.details ? error.details : null;  // 503 still carries the details
    }
    const parts = [];
    if (problem) parts.push(errorBox(problem, "not ready"));
    if (ready) {
      const failure = ready.last_reload_error;
      parts.push(facts([
        ["ready", yes(ready.ready, "ready", "not ready")],
        ["served version", el("span", { class: "mono", id: "health-version" }, ready.model_version || "none")],
        ["loaded at", when(ready.loaded_at)],
        ["pointer", el("span", { class: "mono" }, ready.pointer || "unset")],
        ["Redis", yes(ready.redis && ready.redis.reachable)],
        ["object store (MinIO)", yes(ready.object_store && ready.object_store.reachable)],
        ["last reload error", failure ? el("span", { class: "bad" }, `${failure.version ? `${failure.version}: ` : ""}${failure.message || JSON.stringify(failure)}`) : el("span", { class: "ok" }, "none")],
      ]));
    }
    body.replaceChildren(...parts);
    stamp.textContent = `checked ${new Date().toLocaleTimeString()}; refreshed every ${REFRESH_SECONDS} s`;
  }
  await refresh();
  const timer = setInterval(refresh, REFRESH_SECONDS * 1000);
  onLeave(() => clearInterval(timer));
}

// Try it: search tracks and artists, pick up to five seeds, tune targets and ranges, and read
// the recommendations with each track's feature profile, cluster and the pool sizes.

import { api, tunableAttributes } from "../api.js";
import { featureProfile } from "../charts.js";
import { el, errorBox, int, num } from "../dom.js";

const MAX_SEEDS = 5;
const PAGE = 8;

const stepOf = (a) => {
  const span = a.max - a.min;
  if (span >= 1000) return Math.round(span / 200);
  return span >= 2 && span <= 200 && Number.isInteger(a.min) && Number.isInteger(a.max) ? 1 : span / 100;
};
const middle = (a) => { const step = stepOf(a); return a.min + Math.round((a.max - a.min) / 2 / step) * step; };

export async function tryPage(root, { query, onLeave }) {
  const attributes = await tunableAttributes();
  const seeds = [];  // {type, id, name}
  for (const item of (query.get("seeds") || "").split(",").filter(Boolean)) {
    const [type, id] = item.includes(":") ? item.split(":", 2) : ["track", item];
    if ((type === "track" || type === "artist") && id && seeds.length < MAX_SEEDS) seeds.push({ type, id, name: id });
  }

  // --- search ---------------------------------------------------------------------------
  const q = el("input", { type: "search", id: "search-q", placeholder: "a track or an artist", autocomplete: "off" });
  const kind = el("select", { id: "search-type" }, el("option", { value: "track" }, "tracks"), el("option", { value: "artist" }, "artists"));
  const results = el("div", { id: "search-results", "aria-live": "polite" });
  let offset = 0;
  async function search(at = 0) {
    offset = Math.max(0, at);
    const text = q.value.trim();
    if (!text) { results.replaceChildren(el("p", { class: "muted" }, "Type a name to search.")); return; }
    const type = kind.value;
    try {
      const found = await api(`/v1/search?${new URLSearchParams({ q: text, type, limit: PAGE, offset })}`);
      const page = type === "track" ? found.tracks : found.artists;
      const items = page.items.map((item) => {
        const seed = type === "track"
          ? { type, id: item.track_id, name: `${item.track_name || item.track_id} — ${item.artist_name || "?"}` }
          : { type, id: item.id, name: item.name || item.id };
        const detail = type === "track" ? `${item.year || ""} ${item.genre ? `· ${item.genre}` : ""}` : `${int(item.tracks)} tracks`;
        return el("li", {}, el("button", { type: "button", class: "secondary", onclick: () => addSeed(seed),
          "aria-label": `use ${seed.name} as a seed` }, "+ seed"), " ", seed.name, " ", el("span", { class: "muted" }, detail));
      });
      const pager = el("div", { class: "pager" },
        el("button", { type: "button", class: "secondary", disabled: offset === 0, onclick: () => search(offset - PAGE) }, "‹ previous"),
        el("button", { type: "button", class: "secondary", disabled: offset + PAGE >= page.total, onclick: () => search(offset + PAGE) }, "next ›"),
        el("span", {}, page.total ? `${offset + 1}–${Math.min(page.total, offset + PAGE)} of ${int(page.total)}` : "nothing found"));
      results.replaceChildren(el("ul", { class: "results" }, items), pager);
    } catch (error) {
      results.replaceChildren(errorBox(error, "search failed"));
    }
  }
  const searchForm = el("form", { class: "row", role: "search", onsubmit: (e) => { e.preventDefault(); search(0); } },
    el("label", { for: "search-q" }, "Search"), q, el("label", { for: "search-type" }, "in"), kind, el("button", { type: "submit" }, "search"));

  // --- seeds ------------------------------------------------------------------------------
  const seedList = el("ul", { class: "chips", id: "seeds", "aria-label": "seeds" });
  const seedNote = el("p", { class: "footnote", "aria-live": "polite" });
  function drawSeeds() {
    seedList.replaceChildren(...seeds.map((seed, i) => el("li", { "data-seed": `${seed.type}:${seed.id}` },
      `${seed.type}: ${seed.name}`,
      el("button", { type: "button", class: "secondary", "aria-label": `remove seed ${seed.name}`, onclick: () => { seeds.splice(i, 1); drawSeeds(); recommend(); } }, "×"))));
    seedNote.textContent = seeds.length ? `${seeds.length} of ${MAX_SEEDS} seeds` : "No seed yet: pick tracks or artists from the search, or set targets below.";
  }
  function addSeed(seed) {
    if (seeds.some((s) => s.type === seed.type && s.id === seed.id)) return;
    if (seeds.length >= MAX_SEEDS) { seedNote.textContent = `At most ${MAX_SEEDS} seeds: remove one first.`; return; }
    seeds.push(seed);
    drawSeeds();
    recommend();
  }

  // --- targets and ranges -------------------------------------------------------------------
  const controls = attributes.map((a) => {
    const enabled = el("input", { type: "checkbox", id: `use-${a.name}` });
    const slider = el("input", { type: "range", id: `target-${a.name}`, min: a.min, max: a.max, step: stepOf(a), value: middle(a),
      "aria-label": `target ${a.name}`, "aria-describedby": `about-${a.name}` });
    const shown = el("output", { for: `target-${a.name}`, id: `value-${a.name}` }, String(slider.value));
    const low = el("input", { type: "number", id: `min-${a.name}`, min: a.min, max: a.max, step: "any", "aria-label": `lowest ${a.name}`, placeholder: "min", size: 6 });
    const high = el("input", { type: "number", id: `max-${a.name}`, min: a.min, max: a.max, step: "any", "aria-label": `highest ${a.name}`, placeholder: "max", size: 6 });
    slider.addEventListener("input", () => { shown.textContent = slider.value; enabled.checked = true; });
    for (const input of [enabled, slider, low, high]) input.addEventListener("change", () => recommend());
    return { a, enabled, slider, shown, low, high };
  });
  const sliders = el("div", { class: "sliders", id: "tuning" },
    controls.flatMap(({ a, enabled, slider, shown, low, high }) => [
      el("label", { for: `use-${a.name}`, title: a.description }, enabled, ` target ${a.name}`),
      slider, shown,
      el("span", { class: "row" }, low, high, el("span", { id: `about-${a.name}`, class: "footnote" }, `${a.min}–${a.max}`)),
    ]));

  // --- recommendations ------------------------------------------------------------------------
  const limit = el("input", { type: "number", id: "rec-limit", min: 1, max: 100, value: 10, size: 4 });
  limit.addEventListener("change", () => recommend());
  const answer = el("div", { id: "recommendations", "aria-live": "polite" });
  let asked = 0;
  let profileAttributes = attributes.map((a) => ({ name: a.name, low: a.min, high: a.max }));

  async function recommend() {
    const params = new URLSearchParams({ limit: limit.value || 10 });
    for (const type of ["track", "artist"]) {
      const ids = seeds.filter((s) => s.type === type).map((s) => s.id);
      if (ids.length) params.set(`seed_${type}s`, ids.join(","));
    }
    let tuned = 0;
    for (const { a, enabled, slider, low, high } of controls) {
      if (enabled.checked) { params.set(`target_${a.name}`, slider.value); tuned++; }
      if (low.value !== "") { params.set(`min_${a.name}`, low.value); tuned++; }
      if (high.value !== "") { params.set(`max_${a.name}`, high.value); tuned++; }
    }
    if (!seeds.length) {
      answer.replaceChildren(el("p", { class: "muted" }, "Pick at least one seed to see recommendations."));
      return;
    }
    const mine = ++asked;
    answer.setAttribute("aria-busy", "true");
    try {
      const body = await api(`/v1/recommendations?${params}`);
      if (mine !== asked) return;  // a newer question is on its way
      answer.replaceChildren(drawAnswer(body, tuned));
      answer.dataset.query = params.toString();
    } catch (error) {
      if (mine === asked) answer.replaceChildren(errorBox(error, "no recommendations"));
    } finally {
      if (mine === asked) answer.removeAttribute("aria-busy");
    }
  }

  function drawAnswer(body, tuned) {
    const pools = body.seeds.map((s) => el("li", {}, `${s.type} ${s.id}: ${int(s.initial_pool_size)} candidate tracks, ${int(s.after_filtering_size)} after the ranges`));
    const rows = body.tracks.map((t) => el("tr", { "data-track": t.track_id },
      el("td", {}, el("strong", {}, t.track_name || t.track_id), el("br"), el("span", { class: "muted" }, t.artist_name || "")),
      el("td", {}, t.genre || (t.genres || []).join(", ") || "–"),
      el("td", {}, el("span", { class: "badge" }, `#${t.cluster.id}`), " ", t.cluster.label),
      el("td", {}, featureProfile(t, profileAttributes)),
      el("td", { class: "num" }, num(t.distance, 3)),
      el("td", {}, el("a", { href: `#/try?seeds=track:${encodeURIComponent(t.track_id)}`, "aria-label": `more like ${t.track_name || t.track_id}` }, "more like this"))));
    return el("div", {},
      el("p", {}, `model ${body.model_version} · the query's cluster `, el("span", { class: "badge" }, `#${body.cluster.id}`), ` ${body.cluster.label}`,
        tuned ? ` · ${tuned} target${tuned === 1 ? "" : "s"}/range${tuned === 1 ? "" : "s"} set` : ""),
      el("ul", { class: "pools", "aria-label": "pool sizes" }, pools),
      body.tracks.length
        ? el("div", { class: "table-wrap" }, el("table", {}, el("caption", {}, `${body.tracks.length} tracks, nearest first`),
          el("thead", {}, el("tr", {}, ["track", "genre", "cluster", "feature profile", "distance", ""].map((h) => el("th", { scope: "col" }, h)))),
          el("tbody", {}, rows)))
        : el("p", { class: "warn" }, "No track passes these ranges: widen them."),
      el("p", { class: "footnote" }, `feature profile: ${profileAttributes.map((a) => a.name).join(", ")}, each bar scaled to its range`));
  }

  root.append(
    el("section", { class: "panel", "aria-label": "Seeds" }, el("h2", {}, "Seeds"), searchForm, results, seedList, seedNote),
    el("section", { class: "panel", "aria-label": "Targets and ranges" }, el("h2", {}, "Targets and ranges"),
      el("p", { class: "footnote" }, "Moving a slider sets that attribute's target; min and max keep only tracks inside the range."), sliders),
    el("section", { class: "panel", "aria-label": "Recommendations" }, el("h2", {}, "Recommendations"),
      el("div", { class: "row" }, el("label", { for: "rec-limit" }, "How many"), limit), answer));

  // the feature profile shows the served model's features (its centroids' keys)
  try {
    const { clusters } = await api("/v1/clusters");
    const used = Object.keys((clusters[0] || {}).centroid || {});
    if (used.length) profileAttributes = profileAttributes.filter((a) => used.includes(a.name));
  } catch (error) {
    seedNote.after(errorBox(error, "the model's features could not be read; the profile shows every attribute"));
  }

  // names for seeds given in the link ("more like this")
  const trackIds = seeds.filter((s) => s.type === "track").map((s) => s.id);
  if (trackIds.length) {
    try {
      const found = await api(`/v1/tracks?ids=${trackIds.map(encodeURIComponent).join(",")}`);
      for (const t of found.tracks) {
        const seed = seeds.find((s) => s.type === "track" && s.id === t.track_id);
        if (seed) seed.name = `${t.track_name || t.track_id} — ${t.artist_name || "?"}`;
      }
    } catch (error) {
      seedNote.after(errorBox(error, "the seed tracks could not be read"));
    }
  }
  drawSeeds();
  recommend();
  void onLeave;
}

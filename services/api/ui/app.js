// The dashboard: one page per hash route (#/models, #/segments, ...), each calling the public API.

import { api, token } from "./api.js";
import { el, errorBox } from "./dom.js";
import { modelsPage } from "./pages/models.js";
import { segmentsPage } from "./pages/segments.js";
import { datasetsPage } from "./pages/datasets.js";
import { jobsPage } from "./pages/jobs.js";
import { tryPage } from "./pages/try.js";
import { healthPage } from "./pages/health.js";

const PAGES = {
  models: ["Models", modelsPage],
  segments: ["Segments", segmentsPage],
  datasets: ["Datasets", datasetsPage],
  jobs: ["Jobs", jobsPage],
  try: ["Try it", tryPage],
  health: ["Health", healthPage],
};

let cleanups = [];
let firstRender = true;
export const onLeave = (fn) => cleanups.push(fn);  // a page's timers stop when another page opens

function parseHash() {
  const [path, query = ""] = location.hash.replace(/^#\/?/, "").split("?");
  const [page, ...rest] = path.split("/").filter(Boolean);
  return { page: PAGES[page] ? page : "models", rest: rest.map(decodeURIComponent), query: new URLSearchParams(query) };
}

async function servedVersion() {
  const target = document.getElementById("served-version");
  try {
    const ready = await api("/readyz");
    target.textContent = ready.model_version || "no model";
  } catch (error) {
    target.textContent = error.details && error.details.model_version ? error.details.model_version : "no model";
  }
}

async function route() {
  for (const fn of cleanups) fn();
  cleanups = [];
  const { page, rest, query } = parseHash();
  const [name, render] = PAGES[page];
  document.title = `${name} · musicrec`;
  for (const link of document.querySelectorAll("#nav a")) {
    if (link.dataset.page === page) link.setAttribute("aria-current", "page");
    else link.removeAttribute("aria-current");
  }
  const main = document.getElementById("main");
  const heading = el("h1", {}, name);
  const content = el("div", { id: "page", "data-page": page });
  main.replaceChildren(heading, content);
  try {
    await render(content, { rest, query, onLeave, token });
  } catch (error) {
    content.append(errorBox(error, `the ${name} page could not be shown`));
  }
  content.dataset.ready = "true";  // every panel has started loading
  // after a page change that dropped the focus, start the keyboard at the new page (not on the first load)
  if (!firstRender && document.activeElement === document.body) main.focus({ preventScroll: true });
  firstRender = false;
  servedVersion();
}

window.addEventListener("hashchange", route);
route();

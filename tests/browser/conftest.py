"""The dashboard in Debian's headless Chromium, driven by Playwright, against the whole stack
(Redis, MinIO, the worker and the API as real processes) with a model the real trainer made
from a catalog the real Spark ingest cleaned."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Iterator

import pytest

from tests.e2e.conftest import System, system  # noqa: F401  (the stack fixture, shared)

CHROMIUM = Path("/usr/bin/chromium")  # Debian's package (tools/setup.sh installs it); never a downloaded build
CHROMIUM_ARGS = [
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
]  # fmt: skip
PAGES = ("models", "segments", "datasets", "jobs", "try", "health")


@dataclass
class Stack:
    system: System
    dataset_id: str
    version: str  # the first model, trained by the real trainer and served

    @property
    def base_url(self) -> str:
        return self.system.base_url


@pytest.fixture(scope="module")
def stack(system: System, tmp_path_factory: pytest.TempPathFactory) -> Stack:  # noqa: F811
    from democatalog.generate import write_catalog

    catalog = tmp_path_factory.mktemp("catalog") / "catalog.csv"
    write_catalog(catalog, rows=3000, seed=5)  # a few bad rows and duplicates among them, by design
    dataset_id = system.ingest(catalog)
    job = system.train(dataset_id=dataset_id, k=4)
    assert job["status"] == "finished" and job["result"]["activated"], job
    system.wait_serving(job["result"]["version"])
    return Stack(system, dataset_id, job["result"]["version"])


@dataclass
class Watched:
    """A browser page and what went wrong on it: console errors, page errors, failed requests."""

    page: object
    problems: list[str] = field(default_factory=list)

    def open(self, base_url: str, name: str, query: str = "") -> None:
        self.page.goto(f"{base_url}/ui/#/{name}{query}")
        self.page.wait_for_selector("#page[data-ready=true]", timeout=30_000)
        self.page.wait_for_load_state("networkidle")

    def clear(self) -> None:
        self.problems.clear()


@pytest.fixture(scope="module")
def browser() -> Iterator[object]:
    from playwright.sync_api import sync_playwright

    if not CHROMIUM.exists():
        pytest.fail(f"{CHROMIUM} is missing: run `make setup` (it installs Debian's chromium package)")
    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        try:
            yield chromium
        finally:
            chromium.close()


@pytest.fixture
def watched(browser, request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Watched]:
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    page = context.new_page()
    page.set_default_timeout(30_000)
    seen = Watched(page)
    page.on("console", lambda message: message.type == "error" and seen.problems.append(f"console error: {message.text}"))
    page.on("pageerror", lambda error: seen.problems.append(f"page error: {error}"))
    page.on("requestfailed", lambda req: seen.problems.append(f"request failed: {req.method} {req.url} ({req.failure})"))
    page.on("response", lambda resp: resp.status >= 400 and seen.problems.append(f"HTTP {resp.status}: {resp.request.method} {resp.url}"))
    try:
        yield seen
    finally:
        name = re.sub(r"[^A-Za-z0-9_.-]+", "_", request.node.name)
        page.screenshot(path=str(tmp_path / f"{name}.png"), full_page=True)  # under pytest's temporary directory
        context.close()

"""Each page of the dashboard in a real Chromium: it loads cleanly, shows what the API serves,
draws its charts, and its forms do what they say (recommendations, activation, retraining,
upload), against the real stack."""

from __future__ import annotations

import os
import subprocess
import sys

import httpx
import pytest

from tools.stack import ROOT

from tests.browser.conftest import PAGES, Stack, Watched

pytestmark = [pytest.mark.browser, pytest.mark.slow, pytest.mark.e2e]


def test_every_page_loads_cleanly_and_shows_what_the_api_serves(stack: Stack, watched: Watched) -> None:
    page = watched.page
    with stack.system.client() as api:
        clusters = api.get("/v1/clusters").json()["clusters"]
    for name in PAGES:
        watched.open(stack.base_url, name)
        assert page.locator("#served-version").inner_text() == stack.version, name
        charts = page.locator("svg.chart")
        for i in range(charts.count()):  # every chart drew marks, not an empty frame
            assert charts.nth(i).locator("rect, path, circle").count() > 0, (name, i)
        if name in ("models", "segments", "datasets"):
            assert charts.count() > 0, name
        assert not page.locator(".error").count(), (name, page.locator(".error").all_inner_texts())
    assert watched.problems == []

    watched.open(stack.base_url, "segments")
    text = page.locator("#page").inner_text()
    assert len(clusters) == 4
    for cluster in clusters:
        assert cluster["label"] in text, cluster["label"]
    sizes = page.locator("section[aria-label='Cluster sizes'] svg.chart g.bar")
    assert sizes.count() == len(clusters)
    heat = page.locator("section[aria-label='Centroid profiles'] g.cell")
    assert heat.count() == len(clusters) * len(clusters[0]["centroid"])
    page.locator("section[aria-label^='Ablation'] svg.chart").first.wait_for()
    page.locator("section[aria-label^='Drift'] svg.chart").first.wait_for()

    watched.open(stack.base_url, "models")
    assert page.locator("svg.chart circle").count() >= 1
    assert page.locator("svg.chart .current-mark").count() == 1
    assert page.locator("svg.chart .move-mark").count() >= 1
    assert page.locator("#pointer-version").inner_text() == stack.version

    watched.open(stack.base_url, "datasets")
    assert stack.dataset_id in page.locator("#page").inner_text()
    assert page.locator("#dataset-details svg.chart g.bar").count() >= 1  # rejected rows by reason

    watched.open(stack.base_url, "health")  # refreshed on its own
    assert page.locator("#health-version").inner_text() == stack.version
    checked = page.locator("#page .footnote").inner_text()
    page.wait_for_function(f"document.querySelector('#page .footnote').textContent !== {checked!r}", timeout=20_000)
    assert watched.problems == []


def test_pages_work_by_keyboard_and_in_a_narrow_window(stack: Stack, watched: Watched) -> None:
    page = watched.page
    page.set_viewport_size({"width": 360, "height": 740})
    for name in PAGES:
        watched.open(stack.base_url, name)
        width = page.evaluate("document.documentElement.scrollWidth")
        assert width <= 362, f"{name} scrolls sideways at 360 px: {width} px wide"
        unlabelled = page.evaluate("""() => [...document.querySelectorAll('input, select')].filter(
            (e) => !(e.labels && e.labels.length) && !e.getAttribute('aria-label')).map((e) => e.id || e.name || e.type)""")
        assert unlabelled == [], (name, unlabelled)
    page.goto("about:blank")  # a fresh load: the keyboard starts at the top of the document
    watched.open(stack.base_url, "models")
    page.keyboard.press("Tab")  # the skip link, then the brand, then the pages
    assert page.evaluate("document.activeElement.textContent") == "Skip to the page"
    for _ in range(20):
        page.keyboard.press("Tab")
        if page.evaluate("document.activeElement.textContent") == "Segments":
            break
    page.keyboard.press("Enter")
    page.wait_for_selector("#page[data-page=segments][data-ready=true]")
    assert page.url.endswith("#/segments")
    assert watched.problems == []


def track_ids(watched: Watched) -> list[str]:
    return watched.page.eval_on_selector_all("#recommendations tr[data-track]", "rows => rows.map(r => r.dataset.track)")


def test_search_seeds_and_sliders_give_the_apis_recommendations(stack: Stack, watched: Watched) -> None:
    page = watched.page
    with stack.system.client() as api:
        example = api.get("/v1/clusters").json()["clusters"][0]["examples"][0]
    watched.open(stack.base_url, "try")
    page.fill("#search-q", example["track_name"])
    page.press("#search-q", "Enter")
    page.locator("#search-results li").first.wait_for()
    page.locator("#search-results li button").first.click()
    page.locator("#seeds li").first.wait_for()
    page.locator("#recommendations tr[data-track]").first.wait_for()
    first = track_ids(watched)
    assert len(first) == 10
    query = page.locator("#recommendations").get_attribute("data-query")
    with stack.system.client() as api:
        answer = api.get(f"/v1/recommendations?{query}").json()
    assert first == [t["track_id"] for t in answer["tracks"]]  # the page shows the API's answer, in order
    assert page.locator("#recommendations ul.pools li").count() == len(answer["seeds"])
    assert page.locator("#recommendations tr[data-track] svg.profile rect").count() >= 10
    assert answer["cluster"]["label"] in page.locator("#recommendations").inner_text()

    page.focus("#target-energy")  # by keyboard: the slider to its lowest value sets the energy target
    page.keyboard.press("Home")
    page.wait_for_function("document.querySelector('#recommendations').dataset.query.includes('target_energy=0')")
    page.locator("#recommendations tr[data-track]").first.wait_for()
    assert page.locator("#use-energy").is_checked()
    moved = track_ids(watched)
    assert moved and moved != first

    # a long list is paged: the search's next page is the API's next page
    page.fill("#search-q", "dream")
    page.press("#search-q", "Enter")
    page.wait_for_function("document.querySelector('#search-results .pager span')?.textContent.startsWith('1–8 of')")
    page.locator("#search-results button", has_text="next ›").click()
    page.wait_for_function("document.querySelector('#search-results .pager span')?.textContent.startsWith('9–16 of')")
    with stack.system.client() as api:
        second = api.get("/v1/search", params={"q": "dream", "type": "track", "limit": 8, "offset": 8}).json()["tracks"]
    shown = page.locator("#search-results li").all_inner_texts()
    assert len(shown) == len(second["items"]) == 8
    assert all(t["track_name"] in line for t, line in zip(second["items"], shown))

    page.locator("#recommendations a", has_text="more like this").first.click()
    page.wait_for_function(f"location.hash.includes('seeds=track:{moved[0]}')")
    page.wait_for_selector(f"#seeds li[data-seed='track:{moved[0]}']")
    page.locator("#recommendations tr[data-track]").first.wait_for()
    assert moved[0] not in track_ids(watched)  # a seed is never its own recommendation
    assert watched.problems == []


def test_a_retrain_started_from_the_page_is_followed_to_its_end(stack: Stack, watched: Watched) -> None:
    page = watched.page
    watched.open(stack.base_url, "jobs")
    page.select_option("#job-dataset", stack.dataset_id)
    page.fill("#job-k", "3")
    page.check("#job-force")
    page.fill("#job-token", stack.system.token)
    page.click("#job-form button[type=submit]")
    page.wait_for_selector("#job-status")
    job_id = page.url.split("#/jobs/")[1].split("?")[0]
    assert stack.system.token not in page.url
    page.wait_for_function("['finished', 'failed'].includes(document.querySelector('#job-status').textContent)", timeout=300_000)
    job = stack.system.wait_job(job_id)
    assert page.locator("#job-status").inner_text() == job["status"] == "finished", job
    assert page.locator("#job-version").inner_text() == job["result"]["version"]
    assert page.locator("#job-gate").inner_text() == job["result"]["reason"]
    stages = page.locator("#job-stages li").all_inner_texts()  # each stage the page saw, as it polled
    assert len(stages) >= 2 and stages[-1] == job["stage"], (stages, job["stage"])
    assert job["result"]["k"] == 3 and job["result"]["activated"]
    stack.system.wait_serving(job["result"]["version"])
    assert watched.problems == []


def test_activation_needs_the_token_and_then_moves_the_pointer(stack: Stack, watched: Watched) -> None:
    page = watched.page
    system = stack.system
    pointer = system.pointer()
    if pointer.current() == stack.version:  # another version must be current to activate the first again
        other = system.train(dataset_id=stack.dataset_id, k=3, force=True)
        system.wait_serving(other["result"]["version"])
    before = pointer.current()
    assert before != stack.version
    watched.open(stack.base_url, "models")
    button = page.locator(f"tr[data-version='{stack.version}'] button", has_text="activate")
    if not button.count():  # on a later page of the versions
        while not button.count():
            page.locator("button", has_text="next ›").first.click()

    button.click()  # no token: refused in the page, nothing sent
    assert "enter the operator token" in page.locator("#activate-message .error").inner_text()
    assert pointer.current() == before

    page.fill("#operator-token", "not-the-token")
    button.click()
    page.locator("#activate-message .error").wait_for()
    with httpx.Client(base_url=stack.base_url) as api:
        refused = api.post(f"/v1/models/{stack.version}/activate", headers={"Authorization": "Bearer not-the-token"}).json()
    assert refused["error"]["message"] in page.locator("#activate-message .error").inner_text()
    assert pointer.current() == before
    watched.clear()  # the 403 just checked is the one failed request expected

    page.fill("#operator-token", system.token)
    page.fill("#activate-reason", "rolled back from the dashboard test")
    button.click()
    page.locator("#activate-message [role=status]").wait_for()
    assert pointer.current() == stack.version
    move = pointer.history()[0]
    assert move["version"] == stack.version and move["actor"] == "operator"
    assert move["reason"] == "rolled back from the dashboard test"
    assert system.token not in page.url
    assert page.evaluate("sessionStorage.getItem('musicrec.operator-token')") == system.token
    assert page.evaluate("localStorage.length") == 0
    page.wait_for_function(f"document.querySelector('#pointer-version')?.textContent === '{stack.version}'")
    system.wait_serving(stack.version)
    assert watched.problems == []


def test_an_upload_of_a_bad_file_shows_the_apis_message(stack: Stack, watched: Watched, tmp_path) -> None:
    page = watched.page
    bad = tmp_path / "not-a-catalog.csv"
    bad.write_text("this,is,not\na,track,catalog\n")
    with httpx.Client(base_url=stack.base_url) as api:
        refused = api.post("/v1/datasets", files={"file": (bad.name, bad.read_bytes(), "text/csv")},
                           headers={"Authorization": f"Bearer {stack.system.token}"})  # fmt: skip
    assert 400 <= refused.status_code < 500, refused.text
    message = refused.json()["error"]["message"]

    watched.open(stack.base_url, "datasets")
    page.set_input_files("#upload-file", str(bad))
    page.fill("#upload-token", stack.system.token)
    page.click("#upload-result >> xpath=preceding::button[@type='submit'][1]")
    error = page.locator("#upload-result .error")
    error.wait_for()
    assert message in error.inner_text()
    assert bad.name in error.inner_text()
    assert len(stack.system.client().get("/v1/datasets").json()["datasets"]) == 1  # nothing was published


def test_make_demo_ends_with_the_dashboards_url(stack: Stack, watched: Watched) -> None:
    """`make demo` on a stack that already serves a model: it reuses it and ends with the URL."""
    result = subprocess.run([sys.executable, "-m", "tools.demo"], env={**os.environ, "MUSICREC_HOME": str(stack.system.local.home)},
                            cwd=ROOT, capture_output=True, text=True, timeout=300)  # fmt: skip
    assert result.returncode == 0, result.stderr
    last = result.stdout.strip().splitlines()[-1]
    assert last.startswith(f"Dashboard: {stack.base_url}/ui/"), last
    watched.page.goto(f"{stack.base_url}/")  # `/` leads to the dashboard
    watched.page.wait_for_selector("#page[data-ready=true]")
    assert watched.page.url == f"{stack.base_url}/ui/"
    assert watched.problems == []

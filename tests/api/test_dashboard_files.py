"""The dashboard's files: served at /ui/ (and / leads there), all of them packaged, nothing
loaded from another host."""

from __future__ import annotations

import re
import tomllib
from fnmatch import fnmatch
from pathlib import Path

from fastapi.testclient import TestClient

from services.api.app import UI_DIR

ROOT = Path(__file__).resolve().parents[2]
UI_FILES = sorted(p for p in UI_DIR.rglob("*") if p.is_file())


def test_root_redirects_to_the_dashboard_and_every_file_is_served(client: TestClient) -> None:
    response = client.get("/", follow_redirects=False)
    assert response.status_code == 307 and response.headers["location"] == "/ui/"
    index = client.get("/ui/")
    assert index.status_code == 200 and index.headers["content-type"].startswith("text/html")
    assert 'src="app.js"' in index.text and 'href="app.css"' in index.text
    for path in UI_FILES:
        served = client.get(f"/ui/{path.relative_to(UI_DIR).as_posix()}")
        assert served.status_code == 200, path
        if path.suffix == ".js":
            assert served.headers["content-type"].startswith("text/javascript"), path  # ES modules need it
    assert client.get("/ui/no-such-page.js").status_code == 404
    assert "/" not in client.get("/openapi.json").json()["paths"]  # the pages are not API routes


def test_every_dashboard_file_is_in_the_package_data() -> None:
    """The API image installs the package (not the checkout): each file must match a package-data glob."""
    globs = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["setuptools"]["package-data"]["services.api"]
    package = UI_DIR.parent
    missing = [str(p) for p in UI_FILES if not any(fnmatch(p.relative_to(package).as_posix(), g) for g in globs)]
    assert UI_FILES and missing == []


def test_nothing_is_loaded_from_another_host() -> None:
    """The pages work offline: no CDN script, stylesheet, font or module."""
    remote = re.compile(r"""(src|href)\s*=\s*["']\s*(https?:)?//|@import|url\(\s*["']?(https?:)?//|from\s+["'](https?:)?//""")
    for path in UI_FILES:
        text = path.read_text()
        assert not remote.search(text), f"{path}: {remote.search(text).group(0)}"
        for module in re.findall(r"""from\s+["']([^"']+)["']""", text):
            assert module.startswith("."), f"{path} imports {module!r}: only the dashboard's own files"

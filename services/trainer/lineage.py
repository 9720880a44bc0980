"""Where a model comes from: dataset, parameters, library versions and code version."""

from __future__ import annotations

import logging
import platform
import subprocess
from functools import lru_cache
from importlib import metadata
from pathlib import Path
from typing import Any

log = logging.getLogger(__name__)

LIBRARIES = ("scikit-learn", "numpy", "scipy", "pyarrow", "rq", "redis", "minio")
REPOSITORY = Path(__file__).resolve().parents[2]


def library_versions() -> dict[str, str]:
    versions = {"python": platform.python_version()}
    for name in LIBRARIES:
        try:
            versions[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            versions[name] = "not installed"
    return versions


@lru_cache(maxsize=1)
def git_commit() -> str | None:
    """The commit the code runs from, when it runs from a git checkout; else None."""
    try:
        found = subprocess.run(
            ["git", "rev-parse", "HEAD"], cwd=REPOSITORY, capture_output=True, text=True, timeout=5, check=True
        )
    except (OSError, subprocess.SubprocessError) as exc:
        log.debug("no git commit", extra={"error": str(exc)})
        return None
    return found.stdout.strip() or None


def lineage(
    *,
    dataset_id: str,
    dataset_manifest_sha256: str,
    dataset_manifest: dict[str, Any],
    params: dict[str, Any],
    timings: dict[str, float],
    code_version: str | None,
) -> dict[str, Any]:
    return {
        "dataset_id": dataset_id,
        "dataset_manifest_sha256": dataset_manifest_sha256,
        "dataset_rows": dataset_manifest.get("rows_kept"),
        "dataset_source": dataset_manifest.get("source"),
        "params": params,
        "libraries": library_versions(),
        "code_version": {"git_commit": code_version or git_commit()},
        "timings": timings,
    }

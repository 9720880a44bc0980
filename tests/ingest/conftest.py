"""Ingest fixtures: settings for this test's bucket, CSV files written on the spot."""

from __future__ import annotations

from pathlib import Path
from typing import Callable

import pytest

from services.ingest.settings import IngestSettings


@pytest.fixture
def settings(env: dict[str, str]) -> IngestSettings:
    return IngestSettings()


@pytest.fixture
def write_csv(tmp_path: Path) -> Callable[..., Path]:
    """Write lines (joined by ``newline``) or raw bytes into a file of this test's folder."""

    def write(name: str, content: list[str] | bytes, newline: str = "\n", encoding: str = "utf-8") -> Path:
        path = tmp_path / name
        path.parent.mkdir(parents=True, exist_ok=True)
        data = content if isinstance(content, bytes) else (newline.join(content) + newline).encode(encoding)
        path.write_bytes(data)
        return path

    return write

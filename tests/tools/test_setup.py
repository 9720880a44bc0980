"""`make setup` names a missing prerequisite and how to get it, in one message."""

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


def test_missing_go_is_named_with_how_to_get_it(tmp_path: Path) -> None:
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    # a PATH with the basics, Java and Redis, but no Go; an empty cache so MinIO must be built
    for tool in ["bash", "java", "redis-server", "sed", "head", "cut", "id", "mktemp", "dirname", "cat", "sha256sum"]:
        found = shutil.which(tool)
        if found is None:
            pytest.skip(f"{tool} not on this machine")
        (bin_dir / tool).symlink_to(found)
    env = {"PATH": str(bin_dir), "HOME": str(tmp_path), "MUSICREC_CACHE": str(tmp_path / "cache"), "PYTHON": sys.executable}
    result = subprocess.run(["bash", str(ROOT / "tools" / "setup.sh")], env=env, capture_output=True, text=True, timeout=60)
    assert result.returncode != 0
    assert "Go 1.24+ is required" in result.stderr and "install Go" in result.stderr
    assert not (tmp_path / "cache" / "jars").exists() or not any((tmp_path / "cache" / "jars").iterdir())
    assert len(result.stderr.strip().splitlines()) == 1, result.stderr  # one clear message

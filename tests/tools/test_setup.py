"""`make setup` names a missing prerequisite and how to get it, in one message."""

import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


def run_setup(tmp_path: Path) -> subprocess.CompletedProcess:
    """tools/setup.sh on a PATH with the basics, Java and Redis, but no Go, no Maven and no apt-get."""
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    for tool in ["bash", "java", "redis-server", "sed", "head", "cut", "id", "mktemp", "dirname", "cat", "sha256sum"]:
        found = shutil.which(tool)
        if found is None:
            pytest.skip(f"{tool} not on this machine")
        (bin_dir / tool).symlink_to(found)
    env = {"PATH": str(bin_dir), "HOME": str(tmp_path), "MUSICREC_CACHE": str(tmp_path / "cache"), "PYTHON": sys.executable}
    return subprocess.run(["bash", str(ROOT / "tools" / "setup.sh")], env=env, capture_output=True, text=True, timeout=60)


def no_jars(tmp_path: Path) -> bool:
    jars = tmp_path / "cache" / "jars"
    return not jars.exists() or not any(jars.iterdir())


def test_missing_go_is_named_with_how_to_get_it(tmp_path: Path) -> None:
    result = run_setup(tmp_path)  # an empty cache: MinIO must be built
    assert result.returncode != 0
    assert "Go 1.24+ is required" in result.stderr and "install Go" in result.stderr
    assert no_jars(tmp_path)
    assert len(result.stderr.strip().splitlines()) == 1, result.stderr  # one clear message


def test_missing_maven_is_named_with_how_to_get_it(tmp_path: Path) -> None:
    version = re.search(r"^MINIO_VERSION=(\S+)$", (ROOT / "tools" / "versions.env").read_text(), re.M).group(1)
    minio = tmp_path / "cache" / "minio" / version / "minio"  # MinIO built already; the S3A jars not fetched yet
    minio.parent.mkdir(parents=True)
    minio.write_text("#!/bin/sh\n")
    minio.chmod(0o755)
    result = run_setup(tmp_path)
    assert result.returncode != 0
    assert "Maven (mvn) is required" in result.stderr and "apt-get install maven" in result.stderr
    assert no_jars(tmp_path)
    assert len(result.stderr.strip().splitlines()) == 1, result.stderr


def test_no_repository_host_is_written_into_the_set_up() -> None:
    for path in ("tools/versions.env", "tools/setup.sh", "tools/s3a-jars.sh", "services/ingest/Dockerfile"):
        assert "://" not in (ROOT / path).read_text(), path

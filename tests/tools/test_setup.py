"""`make setup` names a missing prerequisite and how to get it, in one message."""

import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


BASICS = ["bash", "java", "redis-server", "sed", "head", "tail", "cut", "id", "mktemp", "dirname", "cat", "sha256sum",
          "mkdir", "wc", "date", "sleep", "mv", "rm", "env", "chmod"]  # fmt: skip


def run_setup(tmp_path: Path) -> subprocess.CompletedProcess:
    """tools/setup.sh on a PATH with the basics, Java and Redis, but no Go (unless a test put one in
    tmp_path/bin), no Maven and no apt-get; its log goes under tmp_path/home/logs."""
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir(exist_ok=True)
    for tool in BASICS:
        found = shutil.which(tool)
        if found is None:
            pytest.skip(f"{tool} not on this machine")
        (bin_dir / tool).symlink_to(found)
    env = {"PATH": str(bin_dir), "HOME": str(tmp_path), "MUSICREC_CACHE": str(tmp_path / "cache"), "PYTHON": sys.executable,
           "MUSICREC_HOME": str(tmp_path / "home")}  # fmt: skip
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


def fake_go(tmp_path: Path, exit_code: int) -> None:
    """A `go` that talks as much as building MinIO does, then builds a binary or fails."""
    (tmp_path / "bin").mkdir(exist_ok=True)
    go = tmp_path / "bin" / "go"
    build = 'printf "#!/bin/sh\\n" > "$GOBIN/minio"; chmod +x "$GOBIN/minio"' if exit_code == 0 else "echo 'build failed: no space left' >&2"
    go.write_text(f"#!/bin/bash\nfor i in $(seq 300); do echo \"go: downloading example.org/module$i v1.0.$i\" >&2; done\n{build}\nexit {exit_code}\n")
    go.chmod(0o755)
    (tmp_path / "bin" / "seq").symlink_to(shutil.which("seq"))


def test_tool_output_goes_to_the_log_and_each_step_prints_one_line(tmp_path: Path) -> None:
    fake_go(tmp_path, 0)
    result = run_setup(tmp_path)  # MinIO builds; then Maven is missing
    log = (tmp_path / "home" / "logs" / "setup.log").read_text()
    assert log.count("go: downloading") == 300
    assert "go: downloading" not in result.stdout + result.stderr
    building = [line for line in result.stdout.splitlines() if "building MinIO" in line]
    assert len(building) == 1 and "done in" in building[0] and "300 lines of output" in building[0], result.stdout
    assert "Maven (mvn) is required" in result.stderr


def test_a_failed_step_shows_the_end_of_its_log(tmp_path: Path) -> None:
    fake_go(tmp_path, 3)
    result = run_setup(tmp_path)
    assert result.returncode != 0
    assert "building MinIO" in result.stderr and "failed after" in result.stderr and "(exit 3)" in result.stderr
    assert "build failed: no space left" in result.stderr and str(tmp_path / "home" / "logs" / "setup.log") in result.stderr
    assert 0 < result.stderr.count("go: downloading") <= 40  # the end of the log, not all of it
    assert "building MinIO failed" in result.stderr.strip().splitlines()[-1]


def test_no_repository_host_is_written_into_the_set_up() -> None:
    for path in ("tools/versions.env", "tools/setup.sh", "tools/s3a-jars.sh", "services/ingest/Dockerfile"):
        assert "://" not in (ROOT / path).read_text(), path

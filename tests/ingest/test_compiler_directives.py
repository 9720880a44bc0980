"""The driver JVM keeps Spark's generated row loops from C2: a directive file HotSpot accepts."""

import shlex
import subprocess

import pytest

from services.ingest.classdata import java_executable
from services.ingest.settings import IngestSettings
from services.ingest.spark import COMPILER_DIRECTIVES, compiler_options, spark_session


def _java() -> str:
    java = java_executable()
    assert java, "no java on PATH or under JAVA_HOME"
    return java


def test_the_jvm_parses_the_directives_and_excludes_generated_loops_from_c2() -> None:
    result = subprocess.run(
        [_java(), *shlex.split(compiler_options()), "-XX:+CompilerDirectivesPrint", "-version"],
        capture_output=True, text=True, timeout=60,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    printed = result.stdout + result.stderr
    assert "GeneratedIteratorForCodegenStage" in printed and "processNext" in printed, printed


def test_a_broken_directive_file_stops_the_jvm(tmp_path) -> None:
    """The check above can fail: HotSpot refuses a file it cannot parse."""
    broken = tmp_path / "directives.json"
    broken.write_text(COMPILER_DIRECTIVES.read_text().replace("]", "", 1))
    options = compiler_options().replace(shlex.quote(str(COMPILER_DIRECTIVES)), shlex.quote(str(broken)))
    result = subprocess.run([_java(), *shlex.split(options), "-version"], capture_output=True, text=True, timeout=60)
    assert result.returncode != 0


@pytest.mark.slow
def test_the_ingest_driver_jvm_runs_with_the_directives(env: dict[str, str]) -> None:
    spark = spark_session(IngestSettings())
    runtime = spark.sparkContext._jvm.java.lang.management.ManagementFactory.getRuntimeMXBean()
    assert f"-XX:CompilerDirectivesFile={COMPILER_DIRECTIVES}" in list(runtime.getInputArguments())

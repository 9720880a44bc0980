"""The driver JVM logs through the ingest's log4j2.properties: warnings to stderr, no header warning."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path
from typing import Callable

import pytest

from services.ingest.settings import IngestSettings
from services.ingest.spark import LOG_CONFIG, driver_java_options
from tests.ingest.catalogs import HEADER_1M, row_1m
from tools.stack import ROOT

# Reads a catalog under a schema of other names, as the ingest's reader does: Spark's CSVHeaderChecker
# warns about the header at WARN level unless the logging set-up quiets it.
READ = """
import sys
from services.ingest.settings import IngestSettings
from services.ingest.spark import spark_session
spark = spark_session(IngestSettings())
schema = ", ".join(f"_c{position} string" for position in range(int(sys.argv[2])))
print(len(spark.read.schema(schema).options(header=True, enforceSchema=True).csv(sys.argv[1]).collect()))
"""


def test_the_driver_options_are_the_logging_set_up_then_the_setting() -> None:
    settings = IngestSettings(s3_access_key="k", s3_secret_key="s", spark_java_options="-XX:+UseSerialGC")
    assert driver_java_options(settings) == f"-Dlog4j2.configurationFile={LOG_CONFIG} -XX:+UseSerialGC"
    assert LOG_CONFIG.is_file()


@pytest.mark.slow
@pytest.mark.parametrize("log_config", ["ingest", "spark default"])
def test_the_csv_header_warning_is_quieted_only_by_the_logging_set_up(
    log_config: str, env: dict[str, str], write_csv: Callable[..., Path], tmp_path: Path
) -> None:
    path = write_csv("catalog.csv", [HEADER_1M, row_1m("t1")])
    config = LOG_CONFIG
    if log_config != "ingest":  # the same file without its CSVHeaderChecker lines
        config = tmp_path / "log4j2.properties"
        config.write_text("".join(line for line in LOG_CONFIG.read_text().splitlines(True) if "csvheader" not in line))
    options = f"-XX:+UseParallelGC -Dlog4j2.configurationFile={config}"  # the setting's own file wins
    done = subprocess.run(
        [sys.executable, "-c", READ, str(path), str(HEADER_1M.count(",") + 1)],
        env={**os.environ, **env, "MUSICREC_SPARK_JAVA_OPTIONS": options},
        cwd=ROOT, capture_output=True, text=True, timeout=300,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr[-3000:]
    assert done.stdout.strip().splitlines()[-1] == "1"
    warned = "CSVHeaderChecker" in done.stderr
    assert warned is (log_config != "ingest"), done.stderr[-3000:]

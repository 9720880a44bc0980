"""A Spark standalone cluster as ingest's engine (``SPARK_MASTER=spark://host:port``).

Spark's own client waits about a minute before it gives up on a master that does not
answer, and a job waits without end for executors that never come (no worker, no free
cores or memory, a worker of another Spark). Ingest checks both within
``MUSICREC_SPARK_MASTER_TIMEOUT`` seconds instead and fails with one message that names the
master: before the session, a TCP connection to every master of the URL; after it, a probe
job that every executor answers with the Hadoop version it runs, which must be the version
of the S3A jars shipped to it (a Spark of another release brings another Hadoop).
"""

from __future__ import annotations

import logging
import re
import socket
import time
from concurrent.futures import ThreadPoolExecutor, TimeoutError as FutureTimeout
from pathlib import Path
from urllib.parse import urlsplit

from shared.errors import IngestError

log = logging.getLogger(__name__)

HADOOP_AWS_JAR = re.compile(r"hadoop-aws-(?P<version>[^/]+)\.jar$")


def is_cluster(master: str) -> bool:
    return master.startswith("spark://")


def master_addresses(master: str) -> list[tuple[str, int]]:
    """``spark://h1:7077,h2:7077`` (standby masters after a comma) as (host, port) pairs."""
    addresses = []
    for part in master.removeprefix("spark://").split(","):
        parsed = urlsplit(f"spark://{part}")
        if not parsed.hostname:
            raise IngestError(f"SPARK_MASTER {master!r} names no host", details={"spark_master": master})
        addresses.append((parsed.hostname, parsed.port or 7077))
    return addresses


def wait_for_master(master: str, timeout: float) -> None:
    """Return once one master of the URL accepts a TCP connection; IngestError after ``timeout`` s."""
    deadline, last = time.monotonic() + timeout, "no attempt"
    while True:
        for host, port in master_addresses(master):
            try:
                with socket.create_connection((host, port), timeout=min(2.0, timeout)):
                    return
            except OSError as exc:
                last = f"{host}:{port}: {exc.strerror or exc}"
        if time.monotonic() >= deadline:
            raise IngestError(
                f"the Spark master {master} did not answer within {timeout:g} s ({last}); nothing was published",
                details={"spark_master": master},
            )
        time.sleep(0.5)


def jars_hadoop_version(jars: list[str]) -> str | None:
    for jar in jars:
        found = HADOOP_AWS_JAR.search(Path(jar).name)
        if found:
            return found["version"]
    return None


def check_executor_versions(master: str, executors: set[str], jars: str | None) -> None:
    """Every executor runs the Hadoop the S3A jars were built for."""
    if jars is not None and executors != {jars}:
        raise IngestError(
            f"the executors of {master} run Hadoop {', '.join(sorted(executors))}, but the S3A jars are for Hadoop {jars}: "
            "its workers run another Spark release than this driver's; run workers of the driver's Spark version",
            details={"spark_master": master, "executor_hadoop": sorted(executors), "s3a_hadoop": jars},
        )


def probe_executors(spark, master: str, jars: list[str], timeout: float, partitions: int) -> set[str]:
    """Run a small job on the executors within ``timeout`` s; returns the Hadoop versions they report."""
    query = spark.range(0, partitions, 1, partitions).selectExpr("reflect('org.apache.hadoop.util.VersionInfo', 'getVersion') AS hadoop")
    pool = ThreadPoolExecutor(1)
    try:
        versions = {row["hadoop"] for row in pool.submit(query.collect).result(timeout=timeout)}
    except FutureTimeout:
        spark.sparkContext.cancelAllJobs()
        spark.stop()
        raise IngestError(
            f"no executor of the Spark master {master} ran a task within {timeout:g} s: is a worker registered with "
            f"free cores and the executor memory, and does it run Spark {spark.version}, as this driver does? Nothing was published",
            details={"spark_master": master},
        ) from None
    finally:
        pool.shutdown(wait=False)
    check_executor_versions(master, versions, jars_hadoop_version(jars))
    log.info("spark executors answered", extra={"spark_master": master, "hadoop": sorted(versions)})
    return versions

"""A Spark standalone cluster as ingest's engine (``SPARK_MASTER=spark://host:port``).

Spark's own client waits about a minute before it gives up on a master that does not
answer, and a job waits without end for executors that never come (no worker, no free
cores or memory, a worker of another major Spark release, which cannot even register with
the master). Ingest checks both within ``MUSICREC_SPARK_MASTER_TIMEOUT`` seconds instead and
fails with one message that names the master: before the session, a TCP connection to every
master of the URL; after it, a probe job whose tasks answer with the Spark and the Hadoop
release of the executor that runs them. A worker of another patch release registers, but its
executor may fail to read this driver's tasks (a class of another serialVersionUID): that
failure is named as such. Where the tasks do run, the Spark release they answer must be the
driver's, and the Hadoop one that of the S3A jars shipped to the executors.
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
# How an executor of another Spark release fails to read a task of this driver's.
INCOMPATIBLE_CLASS = re.compile(r"InvalidClassException: (?P<cls>[\w.$]+); local class incompatible")


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


# What each probe task answers: the Spark and the Hadoop release of the executor running it
# (``reflect`` is evaluated on the executors, never folded on the driver).
VERSION_PROBE = ("reflect('org.apache.spark.package', 'SPARK_VERSION') AS spark",
                 "reflect('org.apache.hadoop.util.VersionInfo', 'getVersion') AS hadoop")  # fmt: skip


def check_executor_versions(master: str, executors: set[tuple[str, str]], driver: str, jars: str | None) -> None:
    """Every executor runs the driver's Spark release and the Hadoop the S3A jars were built for;
    ``executors`` holds the (Spark, Hadoop) pairs they answered."""
    sparks, hadoops = sorted({spark for spark, _ in executors}), sorted({hadoop for _, hadoop in executors})
    if sparks != [driver]:
        raise IngestError(
            f"the executors of {master} run Spark {', '.join(sparks)}, but this driver runs Spark {driver}: "
            f"run the master and workers of Spark {driver} (the apache/spark:{driver} image); nothing was published",
            details={"spark_master": master, "executor_spark": sparks, "driver_spark": driver},
        )
    if jars is not None and hadoops != [jars]:
        raise IngestError(
            f"the executors of {master} run Hadoop {', '.join(hadoops)}, but the S3A jars are for Hadoop {jars}: "
            f"their Spark {driver} was built with another Hadoop than this driver's; nothing was published",
            details={"spark_master": master, "executor_hadoop": hadoops, "s3a_hadoop": jars},
        )


def probe_failure(master: str, driver: str, error: Exception) -> IngestError:
    """The probe job failed on the executors: name the master and, where it shows, another Spark release."""
    text = str(error)
    incompatible = INCOMPATIBLE_CLASS.search(text)
    if incompatible:
        return IngestError(
            f"the executors of {master} cannot read this driver's tasks (their {incompatible['cls']} is not Spark {driver}'s): "
            f"its workers run another Spark release than this driver's {driver}; run the master and workers of Spark {driver} "
            f"(the apache/spark:{driver} image); nothing was published",
            details={"spark_master": master, "driver_spark": driver, "incompatible_class": incompatible["cls"]},
        )
    lines = [line.strip() for line in text.strip().splitlines()] or [type(error).__name__]
    causes = [line.removeprefix("Caused by:").strip() for line in lines if line.startswith("Caused by:")]
    cause = causes[-1] if causes else lines[0]  # the root cause Java names last
    return IngestError(
        f"the executors of {master} failed this driver's first task: {cause[:400]}; nothing was published",
        details={"spark_master": master, "driver_spark": driver},
    )


def probe_executors(spark, master: str, jars: list[str], timeout: float, partitions: int) -> set[tuple[str, str]]:
    """Run a small job on the executors within ``timeout`` s and check the releases they answer
    with; on failure the session is stopped and IngestError names the master."""
    driver = spark.version
    query = spark.range(0, partitions, 1, partitions).selectExpr(*VERSION_PROBE)
    pool = ThreadPoolExecutor(1)
    try:
        versions = {(row["spark"], row["hadoop"]) for row in pool.submit(query.collect).result(timeout=timeout)}
        check_executor_versions(master, versions, driver, jars_hadoop_version(jars))
    except FutureTimeout:
        spark.sparkContext.cancelAllJobs()
        spark.stop()
        raise IngestError(
            f"no executor of the Spark master {master} ran a task within {timeout:g} s: is a worker registered with "
            f"free cores and the executor memory, and does it run Spark {driver}, as this driver does? Nothing was published",
            details={"spark_master": master},
        ) from None
    except IngestError:
        spark.stop()
        raise
    except Exception as exc:  # the job failed on the executors (py4j carries Spark's exception)
        spark.stop()
        raise probe_failure(master, driver, exc) from None
    finally:
        pool.shutdown(wait=False)
    log.info("spark executors answered", extra={"spark_master": master, "releases": sorted(versions)})
    return versions

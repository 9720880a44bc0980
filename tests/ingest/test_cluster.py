"""Ingest on a Spark standalone cluster: a master and two workers started from the pyspark
distribution on loopback, the real CLI and ``serve`` with ``SPARK_MASTER=spark://…`` against the test MinIO.
The executors get the S3A jars from the driver as ``spark.jars``, as on a cluster of machines."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path
from typing import Iterator

import pyarrow as pa
import pytest
from rq.job import JobStatus

from democatalog.generate import write_catalog
from services.ingest.cluster import check_executor_versions, jars_hadoop_version, master_addresses, probe_failure
from shared.datasets import dataset_prefix
from shared.errors import IngestError
from shared.jobs import enqueue_ingest
from shared.pointer import ModelPointer
from shared.storage import ObjectStore
from tests.ingest.catalogs import rejects, tracks
from tools.spark_cluster import SparkCluster, master_state, other_spark_home
from tools.stack import ROOT, VERSIONS, free_port, read_env_file

COUNTS = ("rows_read", "rows_kept", "rows_rejected", "rejected_by_reason", "duplicates")


@pytest.fixture(scope="module")
def cluster(tmp_path_factory: pytest.TempPathFactory) -> Iterator[SparkCluster]:
    started = SparkCluster(tmp_path_factory.mktemp("spark-cluster"), workers=2, cores=1, memory="1g").start()
    try:
        yield started
    finally:
        started.stop()


def cli(env: dict[str, str], master: str, *args: str, **variables: str) -> tuple[list[str], dict[str, str]]:
    environment = {**os.environ, **env, "SPARK_MASTER": master, "MUSICREC_SPARK_DRIVER_MEMORY": "1g",
                   "MUSICREC_SPARK_EXECUTOR_MEMORY": "768m", "MUSICREC_SPARK_MASTER_TIMEOUT": "240",
                   "SPARK_LOCAL_IP": "127.0.0.1", **variables}  # fmt: skip
    return [sys.executable, "-m", "services.ingest", *args], environment


def run(env: dict[str, str], master: str, *args: str, **variables: str) -> subprocess.CompletedProcess:
    argv, environment = cli(env, master, *args, "--no-train", **variables)
    return subprocess.run(argv, env=environment, cwd=ROOT, capture_output=True, text=True, timeout=600)


def manifest(store: ObjectStore, dataset_id: str) -> dict:
    return json.loads(store.get_bytes(f"{dataset_prefix(dataset_id)}/manifest.json"))


def by_id(table: pa.Table) -> list[dict]:
    return sorted(table.to_pylist(), key=lambda row: row["track_id"])


def test_master_urls_and_version_checks() -> None:
    assert master_addresses("spark://a:7077,b:7078") == [("a", 7077), ("b", 7078)]
    assert master_addresses("spark://host") == [("host", 7077)]
    assert jars_hadoop_version(["/j/bundle-2.24.6.jar", "/j/hadoop-aws-3.4.1.jar"]) == "3.4.1"
    check_executor_versions("spark://a:7077", {("4.0.1", "3.4.1")}, "4.0.1", "3.4.1")
    with pytest.raises(IngestError, match=r"run Spark 4\.0\.0, 4\.0\.1, but this driver runs Spark 4\.0\.1: run the master"):
        check_executor_versions("spark://a:7077", {("4.0.1", "3.4.1"), ("4.0.0", "3.4.1")}, "4.0.1", "3.4.1")
    with pytest.raises(IngestError, match=r"run Hadoop 3\.3\.6, but the S3A jars are for Hadoop 3\.4\.1: their Spark 4\.0\.1 was built"):
        check_executor_versions("spark://a:7077", {("4.0.1", "3.3.6")}, "4.0.1", "3.4.1")
    failed = probe_failure("spark://a:7077", "4.0.1", RuntimeError("Job aborted\nCaused by: java.lang.OutOfMemoryError: Java heap space\n\tat x"))
    assert failed.message == ("the executors of spark://a:7077 failed this driver's first task: java.lang.OutOfMemoryError: "
                              "Java heap space; nothing was published")


@pytest.mark.cluster
@pytest.mark.slow
@pytest.mark.timeout(1200)  # two ingests with a JVM start each, on a machine that may be busy
def test_the_cluster_makes_the_dataset_local_mode_makes_by_the_cli_and_by_serve(
    cluster: SparkCluster, env: dict[str, str], store: ObjectStore, redis_client, tmp_path: Path
) -> None:
    """The CLI with a local file, and the ``serve`` worker with a job for the same catalog uploaded to
    MinIO (as ``POST /v1/datasets`` enqueues it): both on the cluster, both local mode's dataset."""
    source = tmp_path / "catalog.csv"
    expected = write_catalog(source, 5_000, seed=5)
    local = run(env, "local[2]", str(source), "--dataset-id", "local-mode")
    assert local.returncode == 0, local.stderr[-3000:]
    done = run(env, cluster.url, str(source), "--dataset-id", "on-cluster")
    assert done.returncode == 0, done.stderr[-3000:] + cluster.logs()
    store.upload_file("uploads/cluster-test/catalog.csv", source, "text/csv")
    job = enqueue_ingest(redis_client, store.uri("uploads/cluster-test/catalog.csv"), "served-on-cluster", train=False)
    argv, environment = cli(env, cluster.url, "serve", "--burst")  # the queued job, then exit
    served = subprocess.run(argv, env=environment, cwd=ROOT, capture_output=True, text=True, timeout=600)
    assert served.returncode == 0, served.stderr[-3000:] + cluster.logs()
    job.refresh()
    assert job.get_status() == JobStatus.FINISHED, (job.latest_result().exc_string if job.latest_result() else served.stderr[-3000:])
    assert job.return_value()["dataset_id"] == "served-on-cluster"

    apps = master_state(cluster.ui_port)["completedapps"] + master_state(cluster.ui_port)["activeapps"]
    assert sum(app["name"] == "musicrec-ingest" for app in apps) >= 2  # the CLI and serve each ran on the cluster's executors
    in_local = manifest(store, "local-mode")
    for dataset in ("on-cluster", "served-on-cluster"):
        on_cluster = manifest(store, dataset)
        assert {k: on_cluster[k] for k in COUNTS} == {k: in_local[k] for k in COUNTS}, dataset
        assert on_cluster["rejected_by_reason"] == expected["rejected_by_reason"] and on_cluster["duplicates"] == expected["duplicates"]
        assert on_cluster["rows_read"] == 5_000
        assert by_id(tracks(store, dataset)) == by_id(tracks(store, "local-mode"))  # the same rows and ids, value for value
        assert rejects(store, dataset) == rejects(store, "local-mode")


@pytest.mark.cluster
def test_an_unreachable_master_fails_within_the_timeout_naming_it(env: dict[str, str], store: ObjectStore, redis_client, tmp_path: Path) -> None:
    source = tmp_path / "catalog.csv"
    write_catalog(source, 200, seed=6)
    master = f"spark://127.0.0.1:{free_port()}"
    started = time.monotonic()
    done = run(env, master, str(source), MUSICREC_SPARK_MASTER_TIMEOUT="3")
    print(f"failed after {time.monotonic() - started:.1f} s")
    assert done.returncode == 1
    last = done.stderr.strip().splitlines()[-1]
    assert last.startswith(f"ingest failed: the Spark master {master} did not answer within 3 s (127.0.0.1:")
    assert last.endswith("; nothing was published") and "Traceback" not in done.stderr
    assert store.list("datasets/") == [] and ModelPointer(redis_client).latest_dataset() is None


@pytest.mark.cluster
@pytest.mark.slow
def test_a_master_without_a_usable_worker_fails_within_the_timeout(
    env: dict[str, str], store: ObjectStore, redis_client, tmp_path: Path
) -> None:
    """No executor ever comes (no worker; the same as workers of a Spark that cannot talk to this one)."""
    lonely = SparkCluster(tmp_path / "lonely", workers=0).start()
    try:
        source = tmp_path / "catalog.csv"
        write_catalog(source, 200, seed=7)
        done = run(env, lonely.url, str(source), MUSICREC_SPARK_MASTER_TIMEOUT="5")
    finally:
        lonely.stop()
    assert done.returncode == 1, done.stdout
    last = done.stderr.strip().splitlines()[-1]
    assert last.startswith(f"ingest failed: no executor of the Spark master {lonely.url} ran a task within 5 s")
    assert "does it run Spark 4.0.1, as this driver does?" in last
    assert store.list("datasets/") == [] and ModelPointer(redis_client).latest_dataset() is None


@pytest.mark.cluster
@pytest.mark.slow
@pytest.mark.timeout(900)  # the other release's first fetch (430 MB from PyPI) and two JVM starts
def test_a_worker_of_another_spark_release_is_a_clear_error(env: dict[str, str], store: ObjectStore, redis_client, tmp_path: Path) -> None:
    """A real worker of another Spark release (OTHER_SPARK_VERSION, from its own distribution) under
    this pyspark's master: it registers and launches an executor, which cannot read the driver's tasks."""
    import pyspark

    other = read_env_file(VERSIONS)["OTHER_SPARK_VERSION"]
    mixed = SparkCluster(tmp_path / "mixed", workers=1, worker_home=other_spark_home()).start()
    try:
        source = tmp_path / "catalog.csv"
        write_catalog(source, 200, seed=9)
        done = run(env, mixed.url, str(source))
        log = mixed.worker_processes[0].log.read_text(errors="replace")
    finally:
        mixed.stop()
    assert f"Running Spark version {other}" in log  # the worker is that release
    assert done.returncode == 1, done.stdout
    last = done.stderr.strip().splitlines()[-1]
    driver = pyspark.__version__
    assert last.startswith(f"ingest failed: the executors of {mixed.url} cannot read this driver's tasks (their org.apache.spark.")
    assert last.endswith(f"is not Spark {driver}'s): its workers run another Spark release than this driver's {driver}; "
                         f"run the master and workers of Spark {driver} (the apache/spark:{driver} image); nothing was published")
    assert "Traceback" not in done.stderr
    assert store.list("datasets/") == [] and ModelPointer(redis_client).latest_dataset() is None


@pytest.mark.cluster
@pytest.mark.slow
@pytest.mark.timeout(1200)
def test_a_worker_lost_during_the_job_completes_it_or_publishes_nothing(
    cluster: SparkCluster, env: dict[str, str], store: ObjectStore, redis_client, tmp_path: Path
) -> None:
    """Last in this module: the cluster has one worker left afterwards."""
    source = tmp_path / "catalog.csv"
    expected = write_catalog(source, 100_000, seed=8)
    argv, environment = cli(env, cluster.url, str(source), "--dataset-id", "worker-lost", "--no-train")
    out = tmp_path / "cli.out"
    with open(out, "w") as stdout:
        process = subprocess.Popen(argv, env=environment, cwd=ROOT, stdout=stdout, stderr=subprocess.PIPE, text=True)
    deadline = time.monotonic() + 180
    while "start_spark" not in out.read_text() and process.poll() is None and time.monotonic() < deadline:
        time.sleep(0.1)
    assert process.poll() is None, out.read_text()
    time.sleep(2)  # into read_validate: tasks on both executors
    killed = cluster.kill_worker(0)
    _, stderr = process.communicate(timeout=600)
    assert len(killed) >= 2  # the worker and the executor it had launched
    pointer = ModelPointer(redis_client)
    if process.returncode == 0:
        document = manifest(store, "worker-lost")
        assert document["rows_read"] == 100_000 and document["rejected_by_reason"] == expected["rejected_by_reason"]
        assert document["duplicates"] == expected["duplicates"] and pointer.latest_dataset() == "worker-lost"
        assert tracks(store, "worker-lost").num_rows == document["rows_kept"]
        print("the job completed on the remaining worker")
    else:
        assert process.returncode == 1 and "Traceback" not in stderr
        assert stderr.strip().splitlines()[-1].startswith("ingest failed:") and "nothing was published" in stderr
        assert store.list("datasets/") == [] and pointer.latest_dataset() is None
        print(f"the job failed cleanly: {stderr.strip().splitlines()[-1][:300]}")

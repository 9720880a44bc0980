"""Ingest settings: the shared base plus the Spark engine and the S3A connector."""

from __future__ import annotations

import os
from pathlib import Path

from pydantic import AliasChoices, Field

from shared.settings import MusicrecSettings


def _cache_dir() -> Path:
    return Path(os.environ.get("MUSICREC_CACHE", Path.home() / ".cache" / "musicrec"))


def _default_jars_dir() -> str:
    return str(_cache_dir() / "jars")


class IngestSettings(MusicrecSettings):
    spark_master: str = Field("local[*]", validation_alias=AliasChoices("SPARK_MASTER", "MUSICREC_SPARK_MASTER"))
    # Folder holding hadoop-aws and the AWS SDK bundle (fetched by `make setup`, baked into the image).
    spark_jars_dir: str = Field(default_factory=_default_jars_dir)
    spark_driver_memory: str = "3g"
    # On a cluster (SPARK_MASTER=spark://...): each executor's memory (at most a worker's), and
    # how long the master and a first executor may take to answer before ingest gives up.
    spark_executor_memory: str = "1g"
    spark_master_timeout: float = Field(90.0, gt=0)
    # The driver JVM's options (docs/architecture.md says what the default does).
    spark_java_options: str = "-XX:-DontCompileHugeMethods -XX:+UseParallelGC"
    # How many parts Spark splits the work into (at least).
    spark_shuffle_partitions: int = 4
    # Enqueue a training job for each new dataset (the CLI's --no-train switches it off).
    train_after_ingest: bool = True
    # `serve` (services/ingest/service.py): a running job is heartbeaten this often; a job whose
    # heartbeat is this much later is taken for abandoned (its worker died) and queued again.
    ingest_heartbeat_seconds: int = Field(10, ge=1)
    ingest_heartbeat_grace: int = Field(15, ge=1)
    # How often an idle `serve` worker cleans the queue's registries (finding abandoned jobs),
    # and how long its own registration lives without a heartbeat.
    ingest_maintenance_interval: int = Field(10, ge=1)
    ingest_worker_ttl: int = Field(25, ge=16)

"""The Spark session for ingest: any master (``SPARK_MASTER``), S3A pointed at MinIO."""

from __future__ import annotations

import logging
from pathlib import Path

from shared.errors import ConfigError

from services.ingest.settings import IngestSettings

log = logging.getLogger(__name__)


def s3a_jars(settings: IngestSettings) -> list[str]:
    folder = Path(settings.spark_jars_dir)
    jars = sorted(str(p) for p in folder.glob("*.jar"))
    names = " ".join(Path(j).name for j in jars)
    if "hadoop-aws" not in names or "bundle" not in names:
        raise ConfigError(
            f"the S3A connector is missing from {folder} (need hadoop-aws and the AWS SDK bundle jars): run `make setup`",
            details={"spark_jars_dir": str(folder)},
        )
    return jars


def spark_session(settings: IngestSettings, app_name: str = "musicrec-ingest"):
    """Build (or reuse) a SparkSession that reads and writes ``s3a://<bucket>/...`` on MinIO."""
    from pyspark.sql import SparkSession

    endpoint = settings.s3_endpoint
    builder = (
        SparkSession.builder.master(settings.spark_master)
        .appName(app_name)
        .config("spark.jars", ",".join(s3a_jars(settings)))
        .config("spark.driver.memory", settings.spark_driver_memory)
        .config("spark.sql.shuffle.partitions", str(settings.spark_shuffle_partitions))
        .config("spark.sql.session.timeZone", "UTC")
        .config("spark.ui.enabled", "false")
        .config("spark.sql.parquet.compression.codec", "zstd")
        .config("spark.hadoop.fs.s3a.endpoint", endpoint)
        .config("spark.hadoop.fs.s3a.endpoint.region", settings.s3_region)
        .config("spark.hadoop.fs.s3a.access.key", settings.s3_access_key)
        .config("spark.hadoop.fs.s3a.secret.key", settings.s3_secret_key.get_secret_value())
        .config("spark.hadoop.fs.s3a.path.style.access", "true")
        .config("spark.hadoop.fs.s3a.connection.ssl.enabled", str(endpoint.startswith("https")).lower())
        .config("spark.hadoop.fs.s3a.aws.credentials.provider", "org.apache.hadoop.fs.s3a.SimpleAWSCredentialsProvider")
        .config("spark.hadoop.fs.s3a.attempts.maximum", "3")
        .config("spark.hadoop.fs.s3a.retry.limit", "3")
        .config("spark.hadoop.fs.s3a.connection.timeout", "20000")
        .config("spark.hadoop.fs.s3a.connection.establish.timeout", "5000")
        # The classic committer (pyspark ships no spark-hadoop-cloud); a dataset only becomes
        # visible through its manifest, written after the job, so a half-written prefix is ignored.
        .config("spark.hadoop.mapreduce.fileoutputcommitter.algorithm.version", "2")
        .config("spark.hadoop.mapreduce.fileoutputcommitter.marksuccessfuljobs", "false")
    )
    session = builder.getOrCreate()
    session.sparkContext.setLogLevel("WARN")
    return session


def s3a_uri(settings: IngestSettings, key: str) -> str:
    return f"s3a://{settings.s3_bucket}/{key.lstrip('/')}"

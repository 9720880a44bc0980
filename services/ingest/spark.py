"""The Spark session for ingest: any master (``SPARK_MASTER``), S3A pointed at MinIO.

The driver JVM gets ``MUSICREC_SPARK_JAVA_OPTIONS`` and the logging set-up of
``log4j2.properties`` (beside this module): warnings and errors to stderr, and no warning
about the CSV header, which the layout maps by name (Spark compares it with its all-text schema).

The S3A jars join the driver's class path through ``SPARK_DIST_CLASSPATH``, which Spark's
launcher puts after Spark's own jars (Spark's documented way of adding Hadoop's jars). Before
them, the SLF4J API inside the AWS SDK bundle would take the place of Spark's, and every log
line of Spark would go nowhere.
"""

from __future__ import annotations

import logging
import os
import shlex
from pathlib import Path

from shared.errors import ConfigError

from services.ingest.cluster import is_cluster, probe_executors, wait_for_master
from services.ingest.settings import IngestSettings

log = logging.getLogger(__name__)

LOG_CONFIG = Path(__file__).with_name("log4j2.properties")


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


def driver_java_options(settings: IngestSettings) -> str:
    """The driver JVM's options: the logging set-up, then the setting's (a logging file of its own wins)."""
    return f"-Dlog4j2.configurationFile={shlex.quote(str(LOG_CONFIG))} {settings.spark_java_options}".strip()


def _add_to_driver_class_path(jars: list[str]) -> None:
    """Put ``jars`` after Spark's own on the class path of the driver JVM this process starts."""
    present = [entry for entry in os.environ.get("SPARK_DIST_CLASSPATH", "").split(os.pathsep) if entry]
    os.environ["SPARK_DIST_CLASSPATH"] = os.pathsep.join(present + [jar for jar in jars if jar not in present])


def spark_session(settings: IngestSettings, app_name: str = "musicrec-ingest"):
    """Build (or reuse) a SparkSession that reads and writes ``s3a://<bucket>/...`` on MinIO."""
    from pyspark.sql import SparkSession

    endpoint, jars = settings.s3_endpoint, s3a_jars(settings)
    if is_cluster(settings.spark_master):
        wait_for_master(settings.spark_master, settings.spark_master_timeout)
    _add_to_driver_class_path(jars)  # read when the driver JVM starts (not shipped as spark.jars, which copies them in local mode)
    builder = (
        SparkSession.builder.master(settings.spark_master)
        .appName(app_name)
        .config("spark.driver.memory", settings.spark_driver_memory)
        .config("spark.driver.extraJavaOptions", driver_java_options(settings))
        .config("spark.sql.shuffle.partitions", str(settings.spark_shuffle_partitions))
        .config("spark.sql.files.minPartitionNum", str(settings.spark_shuffle_partitions))
        .config("spark.sql.session.timeZone", "UTC")
        .config("spark.ui.enabled", "false")
        .config("spark.ui.showConsoleProgress", "false")
        # Windows-1252 catalogs: Spark 4 takes only a short list of charsets without this.
        .config("spark.sql.legacy.javaCharsets", "true")
        # Parse every field of every row, so that a row with too many or too few is malformed.
        .config("spark.sql.csv.parser.columnPruning.enabled", "false")
        .config("spark.sql.parquet.compression.codec", "zstd")
        # The rejected rows are cached for the length of one run: plain columns, not compressed ones.
        .config("spark.sql.inMemoryColumnarStorage.compressed", "false")
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
        .config("spark.hadoop.fs.s3a.connection.establish.timeout", "15000")  # the least S3A takes
        # The classic committer (pyspark ships no spark-hadoop-cloud); a dataset only becomes
        # visible through its manifest, written after the job, so a half-written prefix is ignored.
        .config("spark.hadoop.mapreduce.fileoutputcommitter.algorithm.version", "2")
        .config("spark.hadoop.mapreduce.fileoutputcommitter.marksuccessfuljobs", "false")
    )
    if not settings.spark_master.startswith("local"):
        builder = builder.config("spark.jars", ",".join(jars)).config("spark.executor.memory", settings.spark_executor_memory)
    spark = builder.getOrCreate()
    if is_cluster(settings.spark_master):
        probe_executors(spark, settings.spark_master, jars, settings.spark_master_timeout, settings.spark_shuffle_partitions)
    return spark


def s3a_uri(settings: IngestSettings, key: str) -> str:
    return f"s3a://{settings.s3_bucket}/{key.lstrip('/')}"


def engine_versions(spark) -> dict[str, str]:
    """The Spark and Hadoop versions that wrote a dataset (for its manifest), as the JVM reports them."""
    hadoop = spark.sql("SELECT reflect('org.apache.hadoop.util.VersionInfo', 'getVersion') AS hadoop").first()["hadoop"]
    return {"spark": spark.version, "hadoop": str(hadoop)}

"""The Spark session for ingest: any master (``SPARK_MASTER``), S3A pointed at MinIO.

The driver JVM keeps Spark's generated ``processNext`` methods away from the optimising
compiler (C2; ``compiler-directives.json``). Validating a catalog generates one such method of
~16 KB of bytecode, which C2 took up to 23 s of one of the two cores to compile; while it did,
the rows ran through C1's profiling code, and a 1.16M-row ingest took 55-60 s instead of
~42 s (3 of 9 benchmark runs). Left to C1, the method is compiled in about a second: none of
12 runs was slow, and the usual time is the same. Everything else (the CSV parser, Parquet)
still gets C2. The directives apply to the driver JVM, which runs the tasks in local
mode; a cluster's executors keep their own JVM options.
"""

from __future__ import annotations

import logging
import shlex
from pathlib import Path

from shared.errors import ConfigError

from services.ingest import classdata
from services.ingest.settings import IngestSettings

log = logging.getLogger(__name__)

# Spark's generated row loops stay with the quick compiler (C1): see the module docstring.
COMPILER_DIRECTIVES = Path(__file__).with_name("compiler-directives.json")


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

    endpoint, jars = settings.s3_endpoint, s3a_jars(settings)
    builder = (
        SparkSession.builder.master(settings.spark_master)
        .appName(app_name)
        # On the driver's class path (not shipped as spark.jars, which copies them once more in local mode).
        .config("spark.driver.extraClassPath", ":".join(jars))
        .config("spark.driver.memory", settings.spark_driver_memory)
        .config("spark.driver.extraJavaOptions", f"{classdata.java_options(settings, jars)} {compiler_options()}")
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
        # The validated catalog is cached once and read a few times: plain columns build fastest.
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
        .config("spark.hadoop.fs.s3a.connection.establish.timeout", "5000")
        # The classic committer (pyspark ships no spark-hadoop-cloud); a dataset only becomes
        # visible through its manifest, written after the job, so a half-written prefix is ignored.
        .config("spark.hadoop.mapreduce.fileoutputcommitter.algorithm.version", "2")
        .config("spark.hadoop.mapreduce.fileoutputcommitter.marksuccessfuljobs", "false")
    )
    if not settings.spark_master.startswith("local"):
        builder = builder.config("spark.jars", ",".join(jars))
    session = builder.getOrCreate()
    session.sparkContext.setLogLevel("WARN")
    _quiet(session, "org.apache.spark.sql.catalyst.csv.CSVHeaderChecker")  # the header is mapped by name, not by Spark
    return session


def compiler_options() -> str:
    """The driver JVM's options that apply ``compiler-directives.json``."""
    return f"-XX:+UnlockDiagnosticVMOptions -XX:CompilerDirectivesFile={shlex.quote(str(COMPILER_DIRECTIVES))}"


def _quiet(session, logger: str) -> None:
    jvm = session.sparkContext._jvm
    jvm.org.apache.logging.log4j.core.config.Configurator.setLevel(logger, jvm.org.apache.logging.log4j.Level.ERROR)


def s3a_uri(settings: IngestSettings, key: str) -> str:
    return f"s3a://{settings.s3_bucket}/{key.lstrip('/')}"


def engine_versions(spark) -> dict[str, str]:
    """The Spark and Hadoop versions that wrote a dataset (for its manifest)."""
    hadoop = spark.sparkContext._jvm.org.apache.hadoop.util.VersionInfo.getVersion()
    return {"spark": spark.version, "hadoop": str(hadoop)}

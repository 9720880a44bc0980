"""Spark writes and reads Parquet on the real MinIO through s3a://."""

import pytest

from services.ingest.settings import IngestSettings
from services.ingest.spark import s3a_uri, spark_session
from shared.storage import ObjectStore

pytestmark = pytest.mark.slow


def test_spark_parquet_round_trip_through_s3a(store: ObjectStore, env: dict[str, str]) -> None:
    settings = IngestSettings()
    spark = spark_session(settings)
    rows = [(f"t{i}", i * 0.5) for i in range(1000)]
    frame = spark.createDataFrame(rows, "track_id string, energy double")
    uri = s3a_uri(settings, "probe/parquet")
    frame.write.mode("errorifexists").parquet(uri)
    assert any(key.endswith(".parquet") for key in store.list("probe/parquet/"))
    back = spark.read.parquet(uri)
    assert back.count() == 1000
    assert back.agg({"energy": "sum"}).first()[0] == pytest.approx(sum(r[1] for r in rows))

"""Spark reads the catalog: an explicit all-text schema, one column per header cell.

Every cell is read as a string so that a bad value is reported with a reason instead of
silently becoming null; ``raw_record`` keeps the line of a row Spark could not split into
the header's number of fields. The parts of one header are read together, each under the
schema of its own header. Each row also carries where it came from (file, split,
row id), from which its place in the file is computed later.
"""

from __future__ import annotations

from typing import Sequence

from pyspark.sql import Column, DataFrame, SparkSession
from pyspark.sql import functions as F
from pyspark.sql.types import StringType, StructField, StructType

from services.ingest.layout import Layout
from services.ingest.scan import SourceScan
from services.ingest.source import CatalogPart

RAW_RECORD = "raw_record"
FILE, SPLIT, ROW = "_file", "_split", "_row"


def cell(position: int) -> Column:
    return F.col(f"_c{position}")


def read_cells(spark: SparkSession, parts: Sequence[CatalogPart], scan: SourceScan, layout: Layout) -> DataFrame:
    """The cells of ``parts`` (which share ``layout``'s header), every one as text, and ``raw_record``: the reader alone."""
    schema = StructType(
        [StructField(f"_c{position}", StringType()) for position in range(len(layout.header))]
        + [StructField(RAW_RECORD, StringType())]
    )
    return (
        spark.read.schema(schema)
        .options(
            header=True,
            enforceSchema=True,
            multiLine=scan.multiline,
            encoding=scan.spark_charset,
            sep=",",
            quote='"',
            escape='"',
            mode="PERMISSIVE",
            columnNameOfCorruptRecord=RAW_RECORD,
            ignoreLeadingWhiteSpace=True,
            ignoreTrailingWhiteSpace=True,
        )
        .csv([part.spark_path for part in parts if part.size])
    )


def read_catalog(spark: SparkSession, parts: Sequence[CatalogPart], scan: SourceScan, layout: Layout) -> DataFrame:
    """The cells plus where each row came from (file, split, row id)."""
    return read_cells(spark, parts, scan, layout).select(
        "*",
        F.col("_metadata.file_name").alias(FILE),
        F.col("_metadata.file_block_start").alias(SPLIT),
        F.monotonically_increasing_id().alias(ROW),
    )

"""The rejects: raw cells of every rejected row, its reason, and the line it starts on.

The rejected rows are few: they are gathered into one part (in catalog order) before their
reasons are found, so that the reason checks never run over the whole catalog. A row's line
is its record number within its file + 2 (the header is line 1), plus the shift the scan
found for it (blank lines and quoted newlines before it). The few points where the shift
changes are a small table joined by range. A file whose record count in
Spark differs from the scan's gets no line numbers rather than wrong ones.
"""

from __future__ import annotations

import logging

from pyspark.sql import DataFrame, SparkSession
from pyspark.sql import functions as F
from pyspark.sql.types import LongType, StringType, StructField, StructType

from services.ingest.clean import RAW_CELLS, REASON, VALID, with_first_reason
from services.ingest.layout import Layout
from services.ingest.positions import Positions
from services.ingest.read import FILE, RAW_RECORD, ROW, SPLIT
from services.ingest.scan import SourceScan

log = logging.getLogger(__name__)

SOURCE_FILE, SOURCE_LINE = "source_file", "source_line"
_STEPS = StructType(
    [StructField(n, t) for n, t in (("_step_file", StringType()), ("_step_from", LongType()), ("_step_to", LongType()), ("_step_shift", LongType()))]
)
_END = 1 << 62


def _line_steps(scan: SourceScan, positions: Positions) -> tuple[list[tuple[str, int, int, int]], set[str]]:
    """(file, first record, end record, shift) ranges, and the files whose lines are unknown."""
    steps, unknown = [], set()
    for part in scan.parts:
        spark_rows = positions.file_rows.get(part.name, 0)
        if part.line_steps is None or spark_rows != part.records:
            if spark_rows:
                unknown.add(part.name)
                log.warning("rejects will not name lines", extra={"part": part.name, "scan_records": part.records, "spark_records": spark_rows})
            continue
        bounds = [first for first, _ in part.line_steps[1:]] + [_END]
        steps += [(part.name, first, end, shift) for (first, shift), end in zip(part.line_steps, bounds)]
    return steps, unknown


def with_reasons(checked: DataFrame, layout: Layout) -> DataFrame:
    """The rows that are not valid, in one part, in catalog order, each with its reason."""
    rejected = checked.where(~F.col(VALID)).repartition(1).sortWithinPartitions(FILE, SPLIT, ROW)
    return with_first_reason(rejected, layout)


def rejected_rows(spark: SparkSession, rejected: DataFrame, layout: Layout, scan: SourceScan, positions: Positions) -> DataFrame:
    """The rejects as written: raw cells under the header's names, reason, file and line."""
    rows = rejected.withColumn("_record", positions.record())
    steps, unknown = _line_steps(scan, positions)
    shift = F.lit(0)
    if steps:
        table = F.broadcast(spark.createDataFrame(steps, _STEPS))
        rows = rows.join(
            table,
            (F.col(FILE) == table["_step_file"]) & (F.col("_record") >= table["_step_from"]) & (F.col("_record") < table["_step_to"]),
            "left",
        )
        shift = F.coalesce(F.col("_step_shift"), F.lit(0))
    line = F.col("_record") + 2 + shift
    if unknown:
        line = F.when(~F.col(FILE).isin(*unknown), line)
    kept = [p for p in range(len(layout.header)) if p not in layout.dropped]
    return rows.select(
        *[F.col(RAW_CELLS)[p].alias(layout.raw_names[p]) for p in kept],
        REASON,
        F.col(FILE).alias(SOURCE_FILE),
        line.cast("long").alias(SOURCE_LINE),
        RAW_RECORD,
    )

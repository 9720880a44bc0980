"""One row per track_id: the most popular, then the first in the catalog.

Each valid row gets a rank that orders it within its track_id: (100 - popularity) in the
high bits (a missing popularity ranks below 0) and its position in the catalog in the low
bits. A narrow aggregation over (track_id, rank) finds the ids that repeat and the rank to
keep; only those ids are joined back (broadcast when they are few), so the full rows are
never shuffled or sorted.
"""

from __future__ import annotations

from dataclasses import dataclass

from pyspark.sql import Column, DataFrame
from pyspark.sql import functions as F

# Above this many repeated ids the join back is left to Spark instead of broadcast.
BROADCAST_IDS = 2_000_000
_POSITION_BITS = 40

RANK, COPIES, KEEP = "_rank", "_copies", "_keep"


@dataclass(frozen=True)
class Deduplicated:
    tracks: DataFrame
    duplicates: int
    repeated_ids: int
    repeats: DataFrame  # cached; unpersist once the tracks are written


def rank(order: Column) -> Column:
    popularity = F.coalesce(F.col("popularity"), F.lit(-1)).cast("long")
    return (F.lit(100) - popularity) * F.lit(1 << _POSITION_BITS) + order


def keep_most_popular(valid: DataFrame, order: Column) -> Deduplicated:
    """Drop all but one row of every repeated track_id; counts what was dropped."""
    ranked = valid.withColumn(RANK, rank(order))
    repeats = (
        ranked.groupBy("track_id")
        .agg(F.count(F.lit(1)).alias(COPIES), F.min(RANK).alias(KEEP))
        .where(F.col(COPIES) > 1)
        .cache()
    )
    ids, extra = repeats.agg(F.count(F.lit(1)), F.sum(F.col(COPIES) - 1)).first()
    if not ids:
        return Deduplicated(valid, 0, 0, repeats)
    keep = repeats.select("track_id", KEEP)
    joined = valid.join(F.broadcast(keep) if ids <= BROADCAST_IDS else keep, "track_id", "left")
    # The rank is computed only for the rows of a repeated id (the left side of the "or" decides the others).
    tracks = joined.where(F.col(KEEP).isNull() | (rank(order) == F.col(KEEP))).drop(KEEP)
    return Deduplicated(tracks, int(extra), int(ids), repeats)

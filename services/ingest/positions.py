"""Where each row sits in the catalog: its order across all parts, its record in its file.

Spark reads a file in splits; within a split the row ids (``monotonically_increasing_id``)
are consecutive. Counting the rows of every split once gives each split an offset, so a
row's position is its row id plus the offset of its split: no window, no extra shuffle.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Iterable, Sequence

from pyspark.sql import Column
from pyspark.sql import functions as F

from services.ingest.read import FILE, ROW, SPLIT


@dataclass(frozen=True)
class SplitCount:
    file: str
    split: int
    first_row: int
    rows: int


def split_key() -> Column:
    return F.concat_ws("|", F.col(FILE), F.col(SPLIT).cast("string"))


@dataclass(frozen=True)
class Positions:
    catalog_offsets: dict[str, int]  # split key -> what to add to a row id for its order in the catalog
    file_offsets: dict[str, int]  # split key -> what to add for its record number within its file
    file_rows: dict[str, int]  # file -> records Spark read from it

    @classmethod
    def of(cls, splits: Iterable[SplitCount], part_names: Sequence[str]) -> "Positions":
        rank = {name: number for number, name in enumerate(part_names)}
        ordered = sorted(splits, key=lambda s: (rank.get(s.file, len(rank)), s.file, s.split))
        catalog_offsets, file_offsets, file_rows = {}, {}, {}
        seen = 0
        for s in ordered:
            key = f"{s.file}|{s.split}"
            in_file = file_rows.get(s.file, 0)
            catalog_offsets[key] = seen - s.first_row
            file_offsets[key] = in_file - s.first_row
            file_rows[s.file] = in_file + s.rows
            seen += s.rows
        return cls(catalog_offsets, file_offsets, file_rows)

    @staticmethod
    def _plus(offsets: dict[str, int]) -> Column:
        table = F.create_map(*[F.lit(x) for pair in offsets.items() for x in pair])
        return F.col(ROW) + F.element_at(table, split_key())

    def order(self) -> Column:
        """0-based position of the row among all rows of the catalog, in file order."""
        return self._plus(self.catalog_offsets)

    def record(self) -> Column:
        """0-based record number of the row within its file (the header excluded)."""
        return self._plus(self.file_offsets)

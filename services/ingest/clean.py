"""Validation with Spark's own functions: typed columns, whether a row is valid, and the first
reason to reject a row that is not.

Every row takes a cheap test (all in range, nothing missing); only the rows that fail it look
for their reason, from their raw cells. Reasons (one per rejected row, checked in this order):
``malformed_row`` (not the header's number of fields), ``missing_track_id``, then per
feature in schema order ``missing_feature:<f>``, ``not_a_number:<f>``, ``non_finite:<f>``,
``out_of_range:<f>``, then per metadata column ``not_a_number:<c>``, ``not_a_date:year``,
``out_of_range:<c>``, ``not_an_integer:<c>``. An empty metadata cell is a null, not a
reason. Text is trimmed and an empty text is null.
"""

from __future__ import annotations

import operator
from functools import reduce
from typing import Callable

from pyspark.sql import Column, DataFrame
from pyspark.sql import functions as F

from shared.schema import DATASET_COLUMNS, FEATURES, METADATA_COLUMNS, METADATA_RANGES

from services.ingest.layout import Layout
from services.ingest.read import FILE, RAW_RECORD, ROW, SPLIT, cell

REASON = "reason"
VALID = "_valid"
RAW_CELLS = "_cells"
SPARK_TYPES = {"string": "string", "int": "int", "long": "bigint", "double": "double"}
# Python-side type names of the dataset's columns, as the manifest records them.
DATASET_TYPES: dict[str, str] = {**METADATA_COLUMNS, **{feature: "double" for feature in FEATURES}}
PITCHES = {
    "C": 0, "C#": 1, "C♯": 1, "Db": 1, "D♭": 1, "D": 2, "D#": 3, "D♯": 3, "Eb": 3, "E♭": 3, "E": 4, "F": 5,
    "F#": 6, "F♯": 6, "Gb": 6, "G♭": 6, "G": 7, "G#": 8, "G♯": 8, "Ab": 8, "A♭": 8, "A": 9, "A#": 10, "A♯": 10,
    "Bb": 10, "B♭": 10, "B": 11,
}  # fmt: skip
MODES = {"Major": 1, "Minor": 0}
_INTEGER_LIMIT = 2.0**53


def first_reason(*cases: tuple[Column, str]) -> Column:
    """The reason of the first case whose condition holds, else null."""
    condition, reason = cases[0]
    chain = F.when(condition, F.lit(reason))
    for condition, reason in cases[1:]:
        chain = chain.when(condition, F.lit(reason))
    return chain


def _named(names: dict[str, int], given: Column) -> Column:
    """``given`` with a known name (a pitch, Major/Minor; as written, upper or lower case) replaced by its number."""
    spellings = {spelling: str(number) for name, number in names.items() for spelling in (name, name.upper(), name.lower())}
    table = F.create_map(*[F.lit(x) for pair in spellings.items() for x in pair])
    # Every name starts with a letter; a number (or a sign) sorts before "A" and skips the look-up.
    return F.when(given >= "A", F.coalesce(F.element_at(table, given), given)).otherwise(given)


def _given(name: str, given: Column, layout: Layout) -> Column:
    if name == "key":
        return _named(PITCHES, given)
    if name == "mode":
        return _named(MODES, given)
    if name == "year" and layout.year_from_date:
        year = F.regexp_extract(given, r"^(\d{4})", 1)
        return F.when(year != "", year)
    return given


def _number(name: str, given: Column) -> Column:
    """The cell as a double; whole numbers of integer columns take the cheaper integer parse first."""
    if name in FEATURES:
        return given.try_cast("double")
    return F.coalesce(given.try_cast("bigint").cast("double"), given.try_cast("double"))


def _feature_problem(name: str, given: Column, number: Column) -> Column:
    spec = FEATURES[name]
    return first_reason(
        (given.isNull(), f"missing_feature:{name}"),
        (number.isNull(), f"not_a_number:{name}"),
        (F.isnan(number) | (F.abs(number) == float("inf")), f"non_finite:{name}"),
        ((number < spec.minimum) | (number > spec.maximum), f"out_of_range:{name}"),
    )


def _feature_valid(name: str, number: Column) -> Column:
    """True only for a number in range (a null, NaN or infinity never is: NaN sorts above all)."""
    spec = FEATURES[name]
    return (number >= spec.minimum) & (number <= spec.maximum)


def _integer_bounds(name: str) -> tuple[float, float]:
    """The allowed range of an integer column (its schema range, else what a double holds exactly)."""
    low, high = METADATA_RANGES.get(name, (None, None))
    return -_INTEGER_LIMIT if low is None else low, _INTEGER_LIMIT if high is None else high


def _integer_valid(name: str, given: Column, number: Column) -> Column:
    """True for an empty cell or a whole number in range; null or false otherwise."""
    low, high = _integer_bounds(name)
    return given.isNull() | ((number >= low) & (number <= high) & (number % 1 == 0))


def _integer_problem(name: str, given: Column, number: Column, from_date: bool) -> Column:
    low, high = _integer_bounds(name)
    unreadable = (f"not_a_date:{name}" if from_date else f"not_a_number:{name}")
    return first_reason(
        (given.isNotNull() & (number.isNull() | F.isnan(number)), unreadable),
        ((number < low) | (number > high), f"out_of_range:{name}"),
        (number % 1 != 0, f"not_an_integer:{name}"),
    )


def _text(position: int, layout: Layout, source: Callable[[int], Column]) -> Column:
    """A cell as the checks see it: null when empty, trimmed when it feeds a text column."""
    value = source(position)
    if position in {p for name, p in layout.sources.items() if METADATA_COLUMNS.get(name) == "string"}:
        return F.when(F.trim(value) != "", F.trim(value))
    return F.when(value != "", value)


def _parsed(
    frame: DataFrame, layout: Layout, source: Callable[[int], Column], prefix: str
) -> tuple[DataFrame, dict[str, Column], dict[str, Column]]:
    """``frame`` plus every schema column's cell as text, then every numeric one's number.

    Two projections, so that Spark parses every cell once; returns the frame and the columns
    holding the text and the number of each schema column.
    """
    sources = layout.sources
    numeric = [name for name in sources if name in FEATURES or METADATA_COLUMNS.get(name) in ("int", "long")]
    cells = [_text(p, layout, source).alias(f"{prefix}t{p}") for p in sorted(set(sources.values()))]
    given = {name: F.col(f"{prefix}t{sources[name]}") for name in sources}
    numbers = [_number(name, _given(name, given[name], layout)).alias(f"{prefix}n_{name}") for name in numeric]
    return frame.select("*", *cells).select("*", *numbers), given, {name: F.col(f"{prefix}n_{name}") for name in numeric}


def check(raw: DataFrame, layout: Layout) -> DataFrame:
    """Typed dataset columns, whether the row is valid, the raw cells of the others, and provenance.

    Built in small projections (text, then numbers, then the checks). The reader has already
    trimmed unquoted cells and made empty ones null; quoted text is trimmed here. A row that is
    not valid keeps its raw cells (one array) and line, all the rejects need;
    :func:`with_first_reason` says what is wrong with it.
    """
    sources = layout.sources
    parsed, given, number = _parsed(raw, layout, cell, "_")
    values, passes = {}, [F.col(RAW_RECORD).isNull()]
    if "track_id" in sources:
        passes.append(given["track_id"].isNotNull())
    for name in FEATURES:
        values[name] = number[name]
        passes.append(_feature_valid(name, number[name]))
    for name, kind in METADATA_COLUMNS.items():
        if name not in sources:
            values[name] = F.lit(None).cast(SPARK_TYPES[kind])
        elif kind == "string":
            values[name] = given[name]
        else:
            values[name] = number[name].try_cast(SPARK_TYPES[kind])
            passes.append(_integer_valid(name, given[name], number[name]))
    valid = F.coalesce(reduce(operator.and_, passes), F.lit(False))
    typed = parsed.select(*[values[c].alias(c) for c in DATASET_COLUMNS], valid.alias(VALID), "*")
    rejected = ~F.col(VALID)
    return typed.select(
        *DATASET_COLUMNS,
        VALID,
        F.when(rejected, F.array(*[cell(p) for p in range(len(layout.header))])).alias(RAW_CELLS),
        F.when(rejected, F.col(RAW_RECORD)).alias(RAW_RECORD),
        FILE,
        SPLIT,
        ROW,
    )


def with_first_reason(rejected: DataFrame, layout: Layout) -> DataFrame:
    """The rows that :func:`check` found not valid, with ``reason``: the first check each fails.

    Meant for the rejected rows only (they are few): the checks run again on their raw cells,
    in the order the module docstring gives.
    """
    sources = layout.sources
    staged, given, number = _parsed(rejected, layout, lambda position: F.col(RAW_CELLS)[position], "_r")
    problems = [F.when(F.col(RAW_RECORD).isNotNull(), F.lit("malformed_row"))]
    if "track_id" in sources:
        problems.append(F.when(given["track_id"].isNull(), F.lit("missing_track_id")))
    problems += [_feature_problem(name, given[name], number[name]) for name in FEATURES]
    for name, kind in METADATA_COLUMNS.items():
        if name in sources and kind != "string":
            problems.append(_integer_problem(name, given[name], number[name], name == "year" and layout.year_from_date))
    return staged.select(*rejected.columns, F.coalesce(*problems).alias(REASON))

"""Validation with Spark's own functions: typed columns, whether a row is valid, the first
reason to reject a row that is not, and why a metadata cell was nulled.

Only what a served track cannot do without rejects a row: its id and its audio features.
Every row takes a cheap test (an id, every feature in range); only the rows that fail it look
for their reason, from their raw cells. Reasons (one per rejected row, checked in this order):
``malformed_row`` (not the header's number of fields), ``missing_track_id`` (an empty id
cell; with derived ids, no artist or no track name), then per feature in schema order
``missing_feature:<f>``, ``not_a_number:<f>``, ``non_finite:<f>``, ``out_of_range:<f>``.

A metadata cell that cannot be read or is out of range becomes null, and the row keeps its
other values; the row's ``_nulled`` array names each such cell (``not_a_number:<c>``,
``not_a_date:year``, ``out_of_range:<c>``, ``not_an_integer:<c>``, ``not_a_boolean:explicit``,
``too_long:<c>``), for the manifest's ``nulled_by_reason``. An empty cell is a null, not a
reason. Text is trimmed and an empty text is null. Spellings public files use are read:
pitch names for ``key``, Major/Minor for ``mode``, ``4/4`` for ``time_signature``,
true/false/1/0 for ``explicit``, ``2019``/``2019-06``/``2019-06-14`` for a release date; a
genre cell may list several labels (``hip hop, pop``, ``['pop', 'rock']``): ``genres`` keeps
them all, ``genre`` the first, and the empty markers ``[]``, ``set()`` are nulls.
"""

from __future__ import annotations

import operator
from functools import reduce
from typing import Callable

from pyspark.sql import Column, DataFrame
from pyspark.sql import functions as F

from shared.ids import BASE62, DERIVED_ID_LENGTH, TRACK_ID_PREFIX
from shared.schema import DATASET_COLUMNS, FEATURES, METADATA_COLUMNS, METADATA_RANGES, TEXT_MAX_LENGTH

from services.ingest.layout import Layout
from services.ingest.read import FILE, RAW_RECORD, ROW, SPLIT, cell

REASON = "reason"
VALID = "_valid"
RAW_CELLS = "_cells"
NULLED = "_nulled"
DIGEST = "_digest"
SPARK_TYPES = {"string": "string", "int": "int", "long": "bigint", "double": "double", "bool": "boolean",
               "list<string>": "array<string>"}  # fmt: skip
PITCHES = {
    "C": 0, "C#": 1, "C♯": 1, "Db": 1, "D♭": 1, "D": 2, "D#": 3, "D♯": 3, "Eb": 3, "E♭": 3, "E": 4, "F": 5,
    "F#": 6, "F♯": 6, "Gb": 6, "G♭": 6, "G": 7, "G#": 8, "G♯": 8, "Ab": 8, "A♭": 8, "A": 9, "A#": 10, "A♯": 10,
    "Bb": 10, "B♭": 10, "B": 11,
}  # fmt: skip
MODES = {"Major": 1, "Minor": 0}
TRUE, FALSE = ("true", "1", "1.0", "yes"), ("false", "0", "0.0", "no")
# A release date: a year, a year and month, or a whole date.
RELEASE_DATE = r"^(\d{4})(-(0[1-9]|1[0-2])(-(0[1-9]|[12]\d|3[01]))?)?$"
# Other fields of a derived id, in recipe order, when every part of the catalog has them.
ID_FIELDS = ("album", "year", "duration_s")
# Metadata columns :func:`check` builds on their own (the id, and both genre columns from one cell).
OWN_RULES = ("track_id", "genres", "genre")
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
    return F.when(given >= "A", F.coalesce(F.try_element_at(table, given), given)).otherwise(given)


def _given(name: str, given: Column, layout: Layout) -> Column:
    if name == "key":
        return _named(PITCHES, given)
    if name == "mode":
        return _named(MODES, given)
    if name == "time_signature":  # 4/4 is 4 beats to the bar
        return F.when(given.rlike(r"^\d+\s*/\s*\d+$"), F.regexp_extract(given, r"^(\d+)", 1)).otherwise(given)
    if name == "year" and layout.year_from_date:
        return F.when(given.rlike(RELEASE_DATE), F.substring(given, 1, 4))
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


def _integer_problem(name: str, given: Column, number: Column, from_date: bool) -> Column:
    low, high = _integer_bounds(name)
    unreadable = (f"not_a_date:{name}" if from_date else f"not_a_number:{name}")
    return first_reason(
        (given.isNotNull() & (number.isNull() | F.isnan(number)), unreadable),
        ((number < low) | (number > high), f"out_of_range:{name}"),
        (number % 1 != 0, f"not_an_integer:{name}"),
    )


def _text_positions(layout: Layout) -> set[int]:
    text = {p for name, p in layout.sources.items() if METADATA_COLUMNS.get(name) == "string"}
    return text | ({layout.album} if layout.album is not None else set())


def _text(position: int, layout: Layout, source: Callable[[int], Column]) -> Column:
    """A cell as the checks see it: null when empty, trimmed when it feeds a text column."""
    value = source(position)
    if position in _text_positions(layout):
        return F.when(F.trim(value) != "", F.trim(value))
    return F.when(value != "", value)


def _parsed(
    frame: DataFrame, layout: Layout, source: Callable[[int], Column], prefix: str
) -> tuple[DataFrame, dict[str, Column], dict[str, Column]]:
    """``frame`` plus every schema column's cell as text, then every numeric one's number.

    Two projections, so that Spark parses every cell once; returns the frame and the columns
    holding the text and the number of each schema column (and ``album``'s text, if any).
    """
    sources = dict(layout.sources)
    if layout.album is not None:
        sources["album"] = layout.album
    numeric = [name for name in sources if name in FEATURES or METADATA_COLUMNS.get(name) in ("int", "long")]
    cells = [_text(p, layout, source).alias(f"{prefix}t{p}") for p in sorted(set(sources.values()))]
    given = {name: F.col(f"{prefix}t{sources[name]}") for name in sources}
    numbers = [_number(name, _given(name, given[name], layout)).alias(f"{prefix}n_{name}") for name in numeric]
    return frame.select("*", *cells).select("*", *numbers), given, {name: F.col(f"{prefix}n_{name}") for name in numeric}


def _boolean(given: Column) -> tuple[Column, Column]:
    """(value, problem) of an ``explicit`` cell."""
    lower = F.lower(given)
    value = F.when(lower.isin(*TRUE), F.lit(True)).when(lower.isin(*FALSE), F.lit(False))
    return value, F.when(given.isNotNull() & value.isNull(), F.lit("not_a_boolean:explicit"))


def genre_labels(given: Column) -> Column:
    """Every label of a genre cell, in order, or null when it has none.

    ``hip hop, pop``, ``['hip hop', 'pop']`` and ``{'pop'}`` are lists; ``[]``, ``set()`` and
    ``''`` are empty.
    """
    inner = F.regexp_replace(F.when(given != "set()", given), r"^[\[{(]|[\]})]$", "")
    labels = F.transform(F.split(inner, ","), lambda label: F.regexp_replace(label, r"^[\s'\"]+|[\s'\"]+$", ""))
    kept = F.filter(labels, lambda label: label != "")
    return F.when(F.size(kept) > 0, kept)


def normalized(text: Column) -> Column:
    """Spark's side of :func:`shared.ids.normalized_text`."""
    return F.trim(F.regexp_replace(F.lower(text), r"\s+", " "))


def derived_track_id(fields: list[Column]) -> Column:
    """Spark's side of :func:`shared.ids.derived_track_id`: fields already normalized text.

    Its sha256 is one column of its own (:data:`DIGEST`), computed in a projection before this
    one: each of the 22 characters reads it, and the expression stays small."""
    return F.concat_ws("\x1f", F.lit(TRACK_ID_PREFIX), *[F.coalesce(field, F.lit("")) for field in fields])


def base62_of(digest: Column) -> Column:
    """The first 22 bytes of a hex sha256, each modulo 62, as 0-9A-Za-z."""
    alphabet = F.lit(BASE62.decode())
    chars = [
        alphabet.substr(F.conv(F.substring(digest, 2 * i + 1, 2), 16, 10).cast("int") % 62 + 1, F.lit(1))
        for i in range(DERIVED_ID_LENGTH)
    ]
    return F.concat(*chars)


def id_fields(layouts: list[Layout]) -> tuple[str, ...]:
    """The other fields of a derived id: those of :data:`ID_FIELDS` that every part has."""
    def has(layout: Layout, field: str) -> bool:
        return layout.album is not None if field == "album" else ("duration_ms" if field == "duration_s" else field) in layout.sources

    return tuple(field for field in ID_FIELDS if all(has(layout, field) for layout in layouts))


def _id_field(field: str, values: dict[str, Column], given: dict[str, Column]) -> Column:
    if field == "album":
        return normalized(given["album"])
    if field == "duration_s":
        return F.round(values["duration_ms"] / 1000).cast("long").cast("string")
    return values[field].cast("string")


def check(raw: DataFrame, layout: Layout, fields: tuple[str, ...] = ()) -> DataFrame:
    """Typed dataset columns, whether the row is valid, why cells were nulled, the raw cells of
    the rows that are not valid, and provenance.

    Built in small projections (text, then numbers, then each metadata cell's problem, then the
    values, then a derived id's digest, then the checks), so that no expression is copied into
    another. The reader has already trimmed unquoted cells and made empty ones null; quoted
    text is trimmed here. A row that is not valid keeps its raw cells (one array) and line, all
    the rejects need; :func:`with_first_reason` says what is wrong with it. ``fields`` are the
    other fields of a derived id (:func:`id_fields`), for a layout without a track id column.
    """
    sources = layout.sources
    parsed, given, number = _parsed(raw, layout, cell, "_")
    raw_values, problems = {}, {}
    for name, kind in METADATA_COLUMNS.items():
        if name in OWN_RULES or name not in sources:
            continue
        if kind == "string":
            problems[name] = F.when(F.length(given[name]) > TEXT_MAX_LENGTH, F.lit(f"too_long:{name}"))
            raw_values[name] = given[name]
        elif kind == "bool":
            raw_values[name], problems[name] = _boolean(given[name])
        else:
            problems[name] = _integer_problem(name, given[name], number[name], name == "year" and layout.year_from_date)
            raw_values[name] = number[name].try_cast(SPARK_TYPES[kind])
    staged = parsed.select(
        "*", *[problem.alias(f"_p_{name}") for name, problem in problems.items()],
        *[value.alias(f"_v_{name}") for name, value in raw_values.items()],
    )  # fmt: skip
    values: dict[str, Column] = {}
    for name, kind in METADATA_COLUMNS.items():
        if name in problems:
            values[name] = F.when(F.col(f"_p_{name}").isNull(), F.col(f"_v_{name}"))
        elif name not in OWN_RULES:
            values[name] = F.lit(None).cast(SPARK_TYPES[kind])
    labels = genre_labels(given["genre"]) if "genre" in sources else F.lit(None).cast(SPARK_TYPES["list<string>"])
    nulled = F.array_compact(F.array(*[F.col(f"_p_{name}") for name in problems])) if problems else F.array().cast("array<string>")
    staged = staged.select(
        "*", *[value.alias(f"_m_{name}") for name, value in values.items()], labels.alias("_m_genres"),
        F.when(F.size(nulled) > 0, nulled).alias(NULLED),
    )  # fmt: skip
    typed = {name: F.col(f"_m_{name}") for name in values} | {"genres": F.col("_m_genres"), "genre": F.get(F.col("_m_genres"), 0)}
    if layout.derives_ids:
        identity = [normalized(typed["artist_name"]), normalized(typed["track_name"])]
        staged = staged.select("*", F.sha2(derived_track_id(identity + [_id_field(f, typed, given) for f in fields]), 256).alias(DIGEST))
        typed["track_id"] = F.when(typed["artist_name"].isNotNull() & typed["track_name"].isNotNull(), base62_of(F.col(DIGEST)))
    else:
        typed["track_id"] = given["track_id"]
    passes = [F.col(RAW_RECORD).isNull(), typed["track_id"].isNotNull()]
    for name in FEATURES:
        typed[name] = number[name]
        passes.append(_feature_valid(name, number[name]))
    valid = F.coalesce(reduce(operator.and_, passes), F.lit(False))
    checked = staged.select(*[typed[c].alias(c) for c in DATASET_COLUMNS], valid.alias(VALID), "*")
    rejected = ~F.col(VALID)
    return checked.select(
        *DATASET_COLUMNS,
        VALID,
        NULLED,
        F.when(rejected, F.array(*[cell(p) for p in range(len(layout.header))])).alias(RAW_CELLS),
        F.when(rejected, F.col(RAW_RECORD)).alias(RAW_RECORD),
        FILE,
        SPLIT,
        ROW,
    )


def with_first_reason(rejected: DataFrame, layout: Layout) -> DataFrame:
    """The rows that :func:`check` found not valid, with ``reason``: the first check each fails.

    Meant for the rejected rows only (they are few): the checks run again on their raw cells,
    in the order the module docstring gives (a row without its typed ``track_id`` misses it).
    """
    staged, given, number = _parsed(rejected, layout, lambda position: F.col(RAW_CELLS)[position], "_r")
    problems = [
        F.when(F.col(RAW_RECORD).isNotNull(), F.lit("malformed_row")),
        F.when(F.col("track_id").isNull(), F.lit("missing_track_id")),
    ]
    problems += [_feature_problem(name, given[name], number[name]) for name in FEATURES]
    return staged.select(*rejected.columns, F.coalesce(*problems).alias(REASON))

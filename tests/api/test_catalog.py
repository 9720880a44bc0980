"""The serving catalog's text: read by row, and rendered as JSON exactly as orjson writes it."""

from __future__ import annotations

import numpy as np
import orjson
import pyarrow as pa
import pytest

from services.api.catalog import ServingCatalog, TextColumn

AWKWARD = [
    'say "hi"', "back\\slash", "tab\there", "line\nbreak", "bell\x07 nul\x00 esc\x1b del\x7f",
    "Beyoncé", "Sigur Rós – Hoppípolla", "東京", "emoji 😀", "\u2028 separator", "", " ", None,
]  # fmt: skip


def catalog(names: list[str | None], chunks: int = 1) -> ServingCatalog:
    rows = len(names)
    columns = {
        "track_id": [f"id{i}" for i in range(rows)],
        "track_name": names,
        "artist_name": list(reversed(names)),
        "genre": [None if i % 3 == 0 else "pop" for i in range(rows)],
    }
    table = pa.table({name: pa.array(values, pa.string()) for name, values in columns.items()})
    if chunks > 1:  # as a bundle of several row groups reads
        size = -(-rows // chunks)
        table = pa.concat_tables([table.slice(start, size) for start in range(0, rows, size)])
    return ServingCatalog(table)


@pytest.mark.parametrize("chunks", [1, 3])
def test_tracks_render_as_orjson_writes_them(chunks: int) -> None:
    served = catalog(AWKWARD * 3, chunks)
    rng = np.random.default_rng(1)
    for limit in (1, 5, 13, 39):
        rows = rng.permutation(len(AWKWARD) * 3)[:limit].astype(np.int32)
        distances = rng.random(limit).tolist()
        expected = orjson.dumps([served.track(row) | {"distance": d} for row, d in zip(rows.tolist(), distances)])
        assert served.tracks_json(rows, distances) == expected
    assert served.tracks_json(np.empty(0, np.int32), []) == b"[]"


def test_text_columns_read_nulls_and_unicode_by_row() -> None:
    column = TextColumn(pa.chunked_array([pa.array(["a", None]), pa.array(["", "Rós"])]))
    assert [column[row] for row in range(len(column))] == ["a", None, "", "Rós"]
    with pytest.raises(TypeError, match="large_string"):
        TextColumn(pa.chunked_array([pa.array(["a"], pa.large_string())]))

"""Every kind of bad row gets exactly its reason and its line; tricky good rows survive intact,
and bad metadata is nulled with its reason counted, never rejecting its row."""

from __future__ import annotations

from pathlib import Path
from typing import Callable

import pytest

from services.ingest.job import ingest
from services.ingest.settings import IngestSettings
from shared.storage import ObjectStore
from tests.ingest.catalogs import HEADER_1M, features_with, rejects, row_1m, tracks

pytestmark = pytest.mark.slow

# (line text, reason or None for a good row); a text may hold a quoted newline
ROWS: list[tuple[str, str | None]] = [
    ('  Artist A  ,"Song, with a comma",t01,50,2012,rock,' + features_with() + ",200000,4", None),
    ('B,"Two\nLines",t02,50,2012,rock,' + features_with() + ",200000,4", None),
    ("", None),  # a blank line: no record
    (row_1m(""), "missing_track_id"),
    (row_1m("t04", features=features_with(energy="")), "missing_feature:energy"),
    (row_1m("t05", features=features_with(danceability="abc")), "not_a_number:danceability"),
    (row_1m("t06", features=features_with(valence="NaN")), "non_finite:valence"),
    (row_1m("t07", features=features_with(loudness="-Infinity")), "non_finite:loudness"),
    (row_1m("t08", features=features_with(tempo="0")), "out_of_range:tempo"),
    (row_1m("t09", features=features_with(energy="1.5")), "out_of_range:energy"),
    (row_1m("t10") + ",surplus", "malformed_row"),
    ("E,Short,t11,50", "malformed_row"),
    (row_1m("t12", popularity="lots"), None),  # bad metadata is nulled: the row stays
    (row_1m("t13", features=features_with(key="4.5")), None),
    (row_1m("t14", features=features_with(key="12")), None),
    (row_1m("t15", features=features_with(mode="2")), None),
    (row_1m("t16", features=features_with(tempo="fast", energy="")), "missing_feature:energy"),  # the first problem wins
    (row_1m("t01", artist="Artist A2", popularity="70"), None),  # repeats t01, more popular: kept instead
    (row_1m("t20", artist="First"), None),
    (row_1m("t20", artist="Second"), None),  # same popularity: the first stays
    ('D,,t22,50,2012,"",' + features_with() + ",200000,4", None),  # empty name and quoted empty genre
    ("F,Pitch,t23,50,2012,jazz," + features_with(key="C#", mode="Minor") + ",200000,4", None),
    ('"  G  ","He said ""hi""",t24,50,2012,rock,' + features_with() + ",200000,4", None),
    ("   ", None),  # whitespace only: no record
    ("H,No Popularity,t26,,,rock," + features_with() + ",,", None),  # empty metadata is null, not a reason
    (row_1m("t27", name="Last Row"), None),
]


def catalog(rows: list[tuple[str, str | None]], newline: str) -> tuple[str, dict[int, str]]:
    """The file text and the line of every rejected row."""
    lines, line, expected = [HEADER_1M], 2, {}
    for text, reason in rows:
        if reason:
            expected[line] = reason
        lines.append(text.replace("\n", newline))
        line += text.count("\n") + 1
    return newline.join(lines), expected


@pytest.mark.parametrize(
    "variant, newline, bom, rows",
    [
        ("quoted newlines, CRLF and a BOM", "\r\n", True, ROWS),
        ("line by line, LF", "\n", False, [r for r in ROWS if "\n" not in r[0]]),
    ],
)
def test_each_bad_row_is_rejected_with_its_reason_and_line(
    variant: str, newline: str, bom: bool, rows, settings: IngestSettings, store: ObjectStore, redis_client, write_csv: Callable[..., Path]
) -> None:
    text, expected = catalog(rows, newline)
    path = write_csv("catalog.csv", ("\ufeff" if bom else "").encode() + text.encode())

    result = ingest(settings, str(path), train=False)

    rejected = rejects(store, result.dataset_id)
    assert {r["source_line"]: r["reason"] for r in rejected} == expected
    assert result.manifest["multiline"] is (newline == "\r\n")
    assert result.manifest["encoding"] == ("utf-8-sig" if bom else "utf-8")
    good = sum(1 for text, reason in rows if reason is None and text.strip())
    assert result.counts == {"rows_read": good + len(expected), "rows_kept": good - 2, "rows_rejected": len(expected), "duplicates": 2}
    assert sum(result.manifest["rejected_by_reason"].values()) == len(expected)
    assert result.manifest["nulled_by_reason"] == {
        "not_a_number:popularity": 1, "not_an_integer:key": 1, "out_of_range:key": 1, "out_of_range:mode": 1
    }  # fmt: skip

    by_id = {r["track_id"]: r for r in tracks(store, result.dataset_id).to_pylist()}
    assert by_id["t01"]["artist_name"] == "Artist A2" and by_id["t01"]["popularity"] == 70
    assert by_id["t20"]["artist_name"] == "First"
    assert by_id["t22"]["track_name"] is None and by_id["t22"]["genre"] is None
    assert (by_id["t23"]["key"], by_id["t23"]["mode"]) == (1, 0)
    assert by_id["t24"]["track_name"] == 'He said "hi"' and by_id["t24"]["artist_name"] == "G"  # quoted text is trimmed too
    assert by_id["t26"]["popularity"] is None and by_id["t26"]["year"] is None and by_id["t26"]["duration_ms"] is None
    assert by_id["t27"]["track_name"] == "Last Row" and by_id["t27"]["tempo"] == 120.0
    assert by_id["t12"]["popularity"] is None and by_id["t13"]["key"] is None and by_id["t15"]["mode"] is None
    assert by_id["t14"]["key"] is None and by_id["t14"]["energy"] == 0.6
    if newline == "\r\n":
        assert by_id["t02"]["track_name"].replace("\r", "") == "Two\nLines"

    first_reject = {r["source_line"]: r for r in rejected}
    assert first_reject[min(expected)]["artist_name"] == "Artist"  # raw cells, as strings
    danceability = next(r for r in rejected if r["reason"] == "not_a_number:danceability")
    assert danceability["track_id"] == "t05" and danceability["danceability"] == "abc" and danceability["source_file"] == "catalog.csv"
    surplus = next(r for r in rejected if r["raw_record"] and "surplus" in r["raw_record"])
    assert surplus["reason"] == "malformed_row" and surplus["track_id"] == "t10"

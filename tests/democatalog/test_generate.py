"""The catalog generator: deterministic, genre-shaped features, and the bad rows it promises."""

import csv
import statistics
import subprocess
import sys
from pathlib import Path

from democatalog.generate import HEADER, write_catalog
from services.ingest.layout import map_header
from shared.schema import FEATURES


def read_rows(path: Path) -> list[dict[str, str]]:
    with open(path, newline="", encoding="utf-8") as handle:
        return list(csv.DictReader(handle))


def test_the_same_seed_writes_the_same_bytes_and_another_seed_does_not(tmp_path: Path) -> None:
    first, again, other = tmp_path / "a.csv", tmp_path / "b.csv", tmp_path / "c.csv"
    assert write_catalog(first, 3000, seed=5) == write_catalog(again, 3000, seed=5)
    write_catalog(other, 3000, seed=6)
    assert first.read_bytes() == again.read_bytes()
    assert first.read_bytes() != other.read_bytes()


def test_the_file_is_in_the_spotify_1m_layout_with_an_unnamed_index(tmp_path: Path) -> None:
    path = tmp_path / "catalog.csv"
    write_catalog(path, 500, seed=1)
    header = path.read_text(encoding="utf-8").splitlines()[0]
    assert header == HEADER and header.startswith(",artist_name,")
    layout = map_header(header.split(","))
    assert layout.name == "spotify-1m" and layout.dropped == (0,)


def test_bad_rows_and_repeats_are_where_the_summary_says(tmp_path: Path) -> None:
    path = tmp_path / "catalog.csv"
    expected = write_catalog(path, 20_000, seed=2)
    rows = read_rows(path)
    assert len(rows) == 20_000
    reasons = expected["rejected_by_reason"]
    assert set(r.split(":")[0] for r in reasons) == {
        "missing_feature", "out_of_range", "not_a_number", "non_finite", "missing_track_id", "malformed_row"
    }  # fmt: skip
    assert 0.015 < sum(reasons.values()) / 20_000 < 0.05  # a few percent
    assert sum(1 for r in rows if None in r) == reasons["malformed_row"]  # an extra field
    assert sum(1 for r in rows if not r["track_id"]) == reasons["missing_track_id"]
    assert sum(1 for r in rows if r["tempo"] == "0") == reasons["out_of_range:tempo"]
    empty = sum(1 for r in rows for f in FEATURES if r[f] == "")
    assert empty == sum(v for k, v in reasons.items() if k.startswith("missing_feature:"))
    ids = [r["track_id"] for r in rows if r["track_id"]]
    assert len(ids) - len(set(ids)) == expected["duplicates"] == 200
    assert all(len(i) == 22 and i.isalnum() for i in ids)


def test_features_follow_the_genre(tmp_path: Path) -> None:
    path = tmp_path / "catalog.csv"
    write_catalog(path, 30_000, seed=3)
    by_genre: dict[str, list[dict[str, str]]] = {}
    for row in read_rows(path):
        by_genre.setdefault(row["genre"], []).append(row)

    def mean(genre: str, feature: str) -> float:
        return statistics.fmean(float(r[feature]) for r in by_genre[genre] if r[feature] not in ("", "n/a", "?", "fast"))

    assert mean("ambient", "acousticness") > 0.7 > mean("edm", "acousticness")
    assert mean("classical", "instrumentalness") > 0.6 > mean("pop", "instrumentalness")
    assert mean("classical", "loudness") < -18 < mean("metal", "loudness")
    assert mean("hip-hop", "speechiness") > 2 * mean("folk", "speechiness")
    assert mean("edm", "energy") > 0.75 and mean("dance", "danceability") > 0.65 > mean("classical", "danceability")
    names = [r["track_name"] for rows in by_genre.values() for r in rows]
    assert any("," in n for n in names) and any('"' in n for n in names)
    assert any(not r["artist_name"].isascii() for rows in by_genre.values() for r in rows)


def test_the_command_line_writes_a_catalog_and_refuses_no_rows(tmp_path: Path) -> None:
    out = tmp_path / "sub" / "catalog.csv"
    done = subprocess.run([sys.executable, "-m", "democatalog.generate", "--rows", "100", "--out", str(out), "--seed", "4"],
                          capture_output=True, text=True)  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert "wrote 100 tracks" in done.stdout and len(read_rows(out)) == 100
    refused = subprocess.run([sys.executable, "-m", "democatalog.generate", "--rows", "0", "--out", str(out)],
                             capture_output=True, text=True)  # fmt: skip
    assert refused.returncode == 2 and "--rows must be at least 1" in refused.stderr

"""A synthetic track catalog in the Kaggle "Spotify 1 Million Tracks" layout.

``python -m democatalog.generate --rows N --out FILE [--seed S]``

Features follow each genre family's profile (ambient and classical quiet, acoustic and
instrumental; hip-hop speechy; EDM and dance danceable and energetic; metal and rock loud
...). Ids are unique, names and artists plausible (some need CSV quoting, some are not
ASCII). A few percent of rows are deliberately bad - empty cells, values out of range,
words and NaN where numbers belong, no track_id, an extra field - and about 1% repeat an
earlier track_id, so that cleaning has work to do. The same seed gives the same bytes.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from shared.schema import FEATURE_NAMES

from democatalog.genres import ADJECTIVES, FAMILIES, FIRST_NAMES, GENRES, LAST_NAMES, NOUNS

HEADER = (
    ",artist_name,track_name,track_id,popularity,year,genre,danceability,energy,key,loudness,mode,"
    "speechiness,acousticness,instrumentalness,liveness,valence,tempo,duration_ms,time_signature"
)
# kind of bad row -> share of all rows
BAD_ROWS = {"missing": 0.004, "out_of_range": 0.003, "tempo_zero": 0.004, "not_a_number": 0.002, "nan": 0.001,
            "no_track_id": 0.001, "malformed": 0.0005}  # fmt: skip
DUPLICATES = 0.01
OUT_OF_RANGE = {"energy": "1.35", "danceability": "-0.2", "loudness": "9.5", "speechiness": "2", "valence": "1.01"}
_ID_ALPHABET = np.frombuffer(b"0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz", np.uint8)
_BATCH = 200_000


def _text(values: np.ndarray, decimals: int | None = None) -> pa.Array:
    return pc.cast(pa.array(np.round(values, decimals) if decimals is not None else values), pa.string())


def _pick(rng: np.random.Generator, words: tuple[str, ...], n: int) -> pa.Array:
    return pa.array(words).take(pa.array(rng.integers(0, len(words), n)))


def _join(*parts: pa.Array | str) -> pa.Array:
    return pc.binary_join_element_wise(*parts, "")


def _csv_cell(values: pa.Array) -> pa.Array:
    quoted = _join('"', pc.replace_substring(values, '"', '""'), '"')
    return pc.if_else(pc.match_substring_regex(values, '[",\r\n]'), quoted, values)


def _track_names(rng: np.random.Generator, n: int) -> pa.Array:
    adj, noun, other = _pick(rng, ADJECTIVES, n), _pick(rng, NOUNS, n), _pick(rng, NOUNS, n)
    patterns = [_join(adj, " ", noun), noun, _join(noun, ", ", other, " & Me"), _join(adj, " ", noun, " - ", _pick(rng, ADJECTIVES, n), " Remix"),
                _join(noun, ' "Live"'), _join("The ", other, " of ", noun)]  # fmt: skip
    choice = pa.array(rng.choice(len(patterns), n, p=[0.4, 0.15, 0.05, 0.15, 0.05, 0.2]).astype(np.int8))
    return pc.choose(choice, *patterns)


def _artists(rng: np.random.Generator, n: int) -> pa.Array:
    pool = max(50, n // 15)
    first, last, adj, noun = (_pick(rng, w, pool) for w in (FIRST_NAMES, LAST_NAMES, ADJECTIVES, NOUNS))
    patterns = [_join(first, " ", last), _join("The ", adj, " ", noun, "s"), _join(adj, " ", noun), _join("DJ ", last),
                _join(first, " & The ", noun, "s"), _join(last, ", ", first)]  # fmt: skip
    names = pc.choose(pa.array(rng.choice(len(patterns), pool, p=[0.35, 0.2, 0.2, 0.1, 0.1, 0.05]).astype(np.int8)), *patterns)
    return names.take(pa.array((rng.beta(0.7, 1.6, n) * pool).astype(np.int64)))


def _features(rng: np.random.Generator, family: np.ndarray) -> dict[str, np.ndarray]:
    profile = np.array(list(FAMILIES.values()))[family]
    n = len(family)

    def unit(mean: np.ndarray, concentration: float) -> np.ndarray:
        mean = np.clip(mean, 0.01, 0.99)
        return rng.beta(mean * concentration, (1 - mean) * concentration)

    instrumental = rng.random(n) < profile[:, 5]
    return {
        "danceability": np.round(unit(profile[:, 0], 12), 3),
        "energy": np.round(unit(profile[:, 1], 10), 3),
        "loudness": np.round(np.clip(rng.normal(profile[:, 2], 3.0), -45, 1.5), 3),
        "speechiness": np.round(unit(profile[:, 3], 14), 4),
        "acousticness": np.round(unit(profile[:, 4], 3), 4),
        "instrumentalness": np.round(np.where(instrumental, rng.beta(6, 2, n), rng.beta(0.5, 60, n)), 4),
        "liveness": np.round(unit(profile[:, 6], 8), 3),
        "valence": np.round(unit(profile[:, 7], 6), 3),
        "tempo": np.round(np.clip(rng.normal(profile[:, 8], 18), 55, 215), 3),
    }


def _replace(column: pa.Array, rows: np.ndarray, values: list[str]) -> pa.Array:
    mask = np.zeros(len(column), bool)
    mask[rows] = True
    ordered = np.array(values, dtype=object)[np.argsort(rows)] if len(rows) else np.array([], dtype=object)
    return pc.replace_with_mask(column, pa.array(mask), pa.array(list(ordered), pa.string()))


def _spoil(rng: np.random.Generator, columns: dict[str, pa.Array]) -> tuple[dict[str, int], int, np.ndarray]:
    """Make some rows bad and some repeat an earlier track_id; returns the reasons ingest will give."""
    n = len(columns["track_id"])
    order = rng.permutation(np.arange(1, n))
    counts = {kind: int(share * n) for kind, share in BAD_ROWS.items()}
    taken, reasons = 0, {}
    chosen = {}
    for kind, count in counts.items():
        chosen[kind], taken = np.sort(order[taken : taken + count]), taken + count
    repeats = np.sort(order[taken : taken + int(DUPLICATES * n)])
    bad = np.concatenate(list(chosen.values()))
    good = np.setdiff1d(np.arange(n), np.concatenate([bad, repeats]))

    def spoil_feature(rows: np.ndarray, names: list[str], values: list[str], reason: str) -> None:
        picked = rng.integers(0, len(names), len(rows))
        for number, name in enumerate(names):
            hit = rows[picked == number]
            columns[name] = _replace(columns[name], hit, [values[number]] * len(hit))
            if len(hit):
                reasons[f"{reason}:{name}"] = reasons.get(f"{reason}:{name}", 0) + len(hit)

    spoil_feature(chosen["missing"], list(FEATURE_NAMES), [""] * len(FEATURE_NAMES), "missing_feature")
    spoil_feature(chosen["out_of_range"], list(OUT_OF_RANGE), list(OUT_OF_RANGE.values()), "out_of_range")
    spoil_feature(chosen["tempo_zero"], ["tempo"], ["0"], "out_of_range")
    spoil_feature(chosen["not_a_number"], ["energy", "valence", "tempo"], ["n/a", "?", "fast"], "not_a_number")
    spoil_feature(chosen["nan"], ["liveness", "acousticness"], ["NaN", "nan"], "non_finite")
    columns["track_id"] = _replace(columns["track_id"], chosen["no_track_id"], [""] * len(chosen["no_track_id"]))
    reasons["missing_track_id"] = len(chosen["no_track_id"])
    reasons["malformed_row"] = len(chosen["malformed"])
    # each repeat copies the id of an earlier good row (a repeat may be the more popular one)
    sources = good[(rng.random(len(repeats)) * np.maximum(np.searchsorted(good, repeats), 1)).astype(np.int64)]
    columns["track_id"] = _replace(columns["track_id"], repeats, columns["track_id"].take(pa.array(sources)).to_pylist())
    return {k: v for k, v in sorted(reasons.items()) if v}, len(repeats), chosen["malformed"]


def write_catalog(path: str | Path, rows: int, seed: int = 0) -> dict[str, object]:
    """Write ``rows`` tracks to ``path``; returns what ingest should find (rejects by reason, duplicates)."""
    rng = np.random.default_rng(seed)
    genres = np.array(list(GENRES))
    family_of = np.array([list(FAMILIES).index(GENRES[g]) for g in genres])
    genre = rng.integers(0, len(genres), rows)
    ids = _ID_ALPHABET[rng.integers(0, len(_ID_ALPHABET), (rows, 22))].view("S22").ravel()
    features = _features(rng, family_of[genre])
    columns: dict[str, pa.Array] = {
        "index": _text(np.arange(rows)),
        "artist_name": _artists(rng, rows),
        "track_name": _track_names(rng, rows),
        "track_id": pa.array(ids, pa.binary(22)).cast(pa.string()),
        "popularity": _text(rng.binomial(100, rng.beta(2, 5, rows))),
        "year": _text(rng.integers(2000, 2024, rows)),
        "genre": pa.array(genres[genre]),
        "key": _text(rng.integers(0, 12, rows)),
        "mode": _text((rng.random(rows) < 0.63).astype(np.int64)),
        "duration_ms": _text(np.clip(rng.lognormal(np.log(215_000), 0.35, rows), 30_000, 1_800_000).astype(np.int64)),
        "time_signature": _text(rng.choice([4, 3, 5, 1, 0], rows, p=[0.88, 0.08, 0.025, 0.01, 0.005])),
        **{name: _text(values) for name, values in features.items()},
    }
    reasons, duplicates, malformed = _spoil(rng, columns)
    order = HEADER.split(",")
    cells = [columns["index" if not name else name] for name in order]
    lines = pc.binary_join_element_wise(*[_csv_cell(c) for c in cells], ",")
    lines = _replace(lines, malformed, [f"{line},extra" for line in lines.take(pa.array(malformed)).to_pylist()])
    Path(path).parent.mkdir(parents=True, exist_ok=True)
    with open(path, "wb") as out:
        out.write((HEADER + "\n").encode())
        for start in range(0, rows, _BATCH):
            out.write(("\n".join(lines.slice(start, _BATCH).to_pylist()) + "\n").encode())
    return {"rows": rows, "rejected_by_reason": reasons, "duplicates": duplicates}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m democatalog.generate", description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, required=True, help="number of tracks (rows) to write")
    parser.add_argument("--out", required=True, help="the CSV file to write")
    parser.add_argument("--seed", type=int, default=0, help="random seed (same seed, same file)")
    args = parser.parse_args(argv)
    if args.rows < 1:
        parser.error("--rows must be at least 1")
    expected = write_catalog(args.out, args.rows, args.seed)
    bad = sum(expected["rejected_by_reason"].values())
    print(f"wrote {args.rows:,} tracks to {args.out} ({bad:,} bad rows, {expected['duplicates']:,} repeated ids)")
    return 0


if __name__ == "__main__":
    sys.exit(main())

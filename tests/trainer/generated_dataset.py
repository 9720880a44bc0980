"""Published datasets for trainer tests, written directly in the dataset format.

Parquet parts with the scalar columns of ``shared.schema.DATASET_COLUMNS`` plus a
dataset manifest, as ingest publishes them. With ``structure="genres"`` each of six genres
has its own, well-separated feature profile (so clusters and genre precision mean
something); with ``structure="noise"`` every feature is uniform over its range (nothing to
find); with ``structure="tempo"`` two genres differ in tempo alone (70 and 200 BPM) and
every other feature is the same bell curve for all (tempo carries all the structure).
``genres=False`` leaves the genre column empty; ``genre_lists=True`` adds a ``genres`` list
column: each track's genre, then "music", which every track has.
"""

from __future__ import annotations

import io

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq

from shared.datasets import dataset_prefix
from shared.ids import new_id
from shared.manifest import file_entry, write_manifest
from shared.schema import FEATURES, METADATA_COLUMNS
from shared.storage import ObjectStore

# genre -> mean of each feature (0-1 features, loudness in dB, tempo in BPM)
GENRES: dict[str, dict[str, float]] = {
    "ambient": dict(danceability=0.25, energy=0.15, loudness=-22, speechiness=0.04, acousticness=0.85,
                    instrumentalness=0.85, liveness=0.10, valence=0.15, tempo=80),
    "hip-hop": dict(danceability=0.80, energy=0.65, loudness=-6, speechiness=0.40, acousticness=0.15,
                    instrumentalness=0.02, liveness=0.15, valence=0.50, tempo=95),
    "edm": dict(danceability=0.75, energy=0.92, loudness=-4, speechiness=0.06, acousticness=0.03,
                instrumentalness=0.60, liveness=0.20, valence=0.60, tempo=128),
    "folk": dict(danceability=0.50, energy=0.35, loudness=-12, speechiness=0.04, acousticness=0.85,
                 instrumentalness=0.05, liveness=0.30, valence=0.60, tempo=110),
    "metal": dict(danceability=0.35, energy=0.95, loudness=-3, speechiness=0.08, acousticness=0.02,
                  instrumentalness=0.25, liveness=0.40, valence=0.20, tempo=165),
    "spoken-word": dict(danceability=0.55, energy=0.40, loudness=-15, speechiness=0.85, acousticness=0.70,
                        instrumentalness=0.01, liveness=0.80, valence=0.45, tempo=100),
}  # fmt: skip
TEMPO_GENRES = {"slow": 70.0, "fast": 200.0}
SPREAD = {"loudness": 2.5, "tempo": 8.0}  # standard deviation; 0-1 features use 0.07
ARROW_TYPES = {"string": pa.string(), "int": pa.int32(), "long": pa.int64()}


def generated_table(rows: int, seed: int = 0, structure: str = "genres", genres: bool = True,
                    genre_lists: bool = False) -> pa.Table:  # fmt: skip
    rng = np.random.default_rng(seed)
    names = list(TEMPO_GENRES if structure == "tempo" else GENRES)
    genre = rng.integers(0, len(names), rows)
    columns: dict[str, object] = {
        "track_id": [f"t{seed}-{i:07d}" for i in range(rows)],
        "track_name": [f"track {i}" for i in range(rows)],
        "artist_name": [f"{names[g]} artist {i % max(5, rows // 40)}" for i, g in enumerate(genre)],
        "genre": [names[g] for g in genre] if genres else [None] * rows,
        "popularity": rng.integers(0, 101, rows),
        "year": rng.integers(1960, 2024, rows),
        "key": rng.integers(0, 12, rows),
        "mode": rng.integers(0, 2, rows),
        "duration_ms": rng.integers(60_000, 400_000, rows),
        "time_signature": rng.integers(3, 6, rows),
    }
    for name, spec in FEATURES.items():
        if structure == "noise":
            values = rng.uniform(spec.minimum, spec.maximum, rows)
        elif structure == "tempo":
            middle, width = (spec.minimum + spec.maximum) / 2, spec.maximum - spec.minimum
            if name == "tempo":
                values = rng.normal(np.array(list(TEMPO_GENRES.values()))[genre], 6.0)
            else:
                values = rng.normal(middle, 0.15 * width, rows)
        else:
            means = np.array([GENRES[n][name] for n in names])[genre]
            values = rng.normal(means, SPREAD.get(name, 0.07))
        columns[name] = np.clip(values, spec.minimum, spec.maximum)
    # The scalar metadata columns (a dataset without the genres list and explicit, as older ones are).
    schema = pa.schema(
        [(c, ARROW_TYPES[t]) for c, t in METADATA_COLUMNS.items() if t in ARROW_TYPES] + [(f, pa.float64()) for f in FEATURES]
    )
    table = pa.table({c: pa.array(columns[c], schema.field(c).type) for c in schema.names}, schema=schema)
    if genre_lists:
        table = table.append_column("genres", pa.array([[g, "music"] for g in columns["genre"]], pa.list_(pa.string())))
    return table


def publish_generated_dataset(
    store: ObjectStore,
    rows: int = 2_000,
    *,
    seed: int = 0,
    structure: str = "genres",
    dataset_id: str | None = None,
    parts: int = 2,
    manifest: bool = True,
    source_name: str | None = None,
    genres: bool = True,
    genre_lists: bool = False,
    table: pa.Table | None = None,
) -> str:
    """Write the parts and (unless ``manifest=False``) the manifest; returns the dataset id.
    ``table`` publishes those rows instead of generated ones."""
    dataset_id = dataset_id or new_id()
    table = table if table is not None else generated_table(rows, seed, structure, genres, genre_lists)
    rows = table.num_rows
    files = {}
    bounds = np.linspace(0, rows, parts + 1).astype(int)
    for part, (start, stop) in enumerate(zip(bounds[:-1], bounds[1:])):
        sink = io.BytesIO()
        pq.write_table(table.slice(start, stop - start), sink, compression="zstd")
        name = f"part-{part:05d}.parquet"
        store.put_bytes(f"{dataset_prefix(dataset_id)}/{name}", sink.getvalue())
        files[name] = file_entry(sink.getvalue())
    if manifest:
        write_manifest(
            store,
            dataset_prefix(dataset_id),
            files,
            kind="dataset",
            dataset_id=dataset_id,
            rows_read=rows,
            rows_kept=rows,
            rows_rejected=0,
            rejected_by_reason={},
            duplicates=0,
            source={
                "name": source_name or f"generated-{structure}-{seed}.csv", "uri": "generated", "sha256": "", "bytes": 0
            },
            layout="generated",
            encoding="utf-8",
            schema={field.name: str(field.type) for field in table.schema},
            engine={"spark": None, "hadoop": None},
            timings={},
        )
    return dataset_id

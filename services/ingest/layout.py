"""Catalog layouts: which header column feeds which column of the shared schema.

Public catalogs name the same things differently (``artists``/``track_artist`` for the
artist, ``playlist_genre`` for the genre, a release date instead of a year, an unnamed
index column in front). :func:`map_header` reads a header row, picks a source column for
every schema column through the aliases below and names the layout it recognised. Each part
of a catalog has its own header and so its own layout. A header without a track id column
needs the artist and the track name, from which the ids are derived (``clean.py``); an album
column, where there is one, feeds only that derivation.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from shared.errors import IngestError
from shared.schema import FEATURE_NAMES, METADATA_COLUMNS

# Schema column -> header names that feed it, in order of preference.
ALIASES: dict[str, tuple[str, ...]] = {
    "track_id": ("track_id", "id"),
    "track_name": ("track_name", "name", "title", "song", "track"),
    "artist_name": ("artist_name", "artists", "track_artist", "artist"),
    "genre": ("genre", "genres", "track_genre", "playlist_genre", "artist_genres"),
    "popularity": ("popularity", "track_popularity"),
    "year": ("year",),
    "key": ("key",),
    "mode": ("mode",),
    "duration_ms": ("duration_ms",),
    "time_signature": ("time_signature",),
    "explicit": ("explicit", "is_explicit"),
    **{feature: (feature,) for feature in FEATURE_NAMES},
}
# A release date gives the year when there is no year column.
RELEASE_DATE_ALIASES = ("release_date", "track_album_release_date", "album_release_date")
ALBUM_ALIASES = ("album_name", "album", "track_album_name", "album_title")
REQUIRED = FEATURE_NAMES
# Without a track id column, the ids are derived from these (and they are then required).
IDENTITY = ("artist_name", "track_name")
INDEX_NAMES = {"", "unnamed: 0", "unnamed_0", "index"}

# Known public layouts, recognised by columns only they have.
KNOWN_LAYOUTS: tuple[tuple[str, frozenset[str]], ...] = (
    ("tidytuesday-spotify-songs", frozenset({"track_artist", "track_popularity", "playlist_genre"})),
    ("spotify-tracks", frozenset({"artists", "track_genre"})),
    ("spotify-1m", frozenset({"artist_name", "track_name", "genre", "year"})),
)
CUSTOM_LAYOUT = "custom"

# Internal column names that raw input columns must not take in the rejects.
RESERVED = {"reason", "source_file", "source_line", "raw_record"}


@dataclass(frozen=True)
class Layout:
    """How one header maps onto the schema.

    ``raw_names`` are the header's columns as the rejects will name them (unique, never
    empty); ``sources`` maps a schema column to the position of the header column that
    feeds it; ``year_from_date`` says that ``year`` comes from a release date; ``album`` is
    the position of an album column (only derived ids read it).
    """

    name: str
    header: tuple[str, ...]
    raw_names: tuple[str, ...]
    sources: dict[str, int]
    year_from_date: bool
    dropped: tuple[int, ...]
    album: int | None = None

    @property
    def derives_ids(self) -> bool:
        return "track_id" not in self.sources

    def column_map(self) -> dict[str, str]:
        """Schema column -> header column it was read from (for the manifest)."""
        return {column: self.header[position] for column, position in self.sources.items()}


def normalise(name: str) -> str:
    return re.sub(r"[\s\-]+", "_", name.strip().lstrip("\ufeff").lower())


def _raw_names(header: list[str]) -> tuple[str, ...]:
    names: list[str] = []
    for position, cell in enumerate(header, start=1):
        name = cell.strip().lstrip("\ufeff") or f"column_{position}"
        if name.lower() in RESERVED:
            name = f"input_{name}"
        base, n = name, 2
        while name in names:
            name, n = f"{base}_{n}", n + 1
        names.append(name)
    return tuple(names)


def map_header(header: list[str], where: str = "the catalog") -> Layout:
    """The layout of ``header``, or :class:`IngestError` naming missing and found columns."""
    normalised = [normalise(cell) for cell in header]
    dropped = (0,) if normalised and normalised[0] in INDEX_NAMES and len(normalised) > 1 else ()
    positions: dict[str, int] = {}
    for position, name in enumerate(normalised):
        if position not in dropped:
            positions.setdefault(name, position)
    sources = {}
    for column, aliases in ALIASES.items():
        found = next((positions[a] for a in aliases if a in positions), None)
        if found is not None:
            sources[column] = found
    year_from_date = False
    if "year" not in sources:
        date = next((positions[a] for a in RELEASE_DATE_ALIASES if a in positions), None)
        if date is not None:
            sources["year"], year_from_date = date, True
    missing = [column for column in REQUIRED if column not in sources]
    if "track_id" not in sources and any(column not in sources for column in IDENTITY):
        missing = ["track_id", *missing]
    if missing:
        needs = "" if "track_id" not in missing else f" (or {' and '.join(IDENTITY)} to derive track ids from)"
        raise IngestError(
            f"{where} lacks required column(s) {missing}{needs}; it has {[cell for cell in header]}. "
            f"Accepted names: " + "; ".join(f"{c}: {'/'.join(ALIASES[c])}" for c in missing),
            details={"missing": missing, "found": list(header)},
        )
    album = next((positions[a] for a in ALBUM_ALIASES if a in positions), None)
    present = set(normalised)
    name = next((layout for layout, signature in KNOWN_LAYOUTS if signature <= present), CUSTOM_LAYOUT)
    ordered = {column: sources[column] for column in (*METADATA_COLUMNS, *FEATURE_NAMES) if column in sources}
    return Layout(name, tuple(header), _raw_names(header), ordered, year_from_date, dropped, album)

"""The ingest job: a catalog CSV in, a published dataset out.

check (source, each part's header and layout, Redis, bucket) -> scan (bytes, in the driver) while Spark
starts -> read + validate (one pass, cached) -> dedupe -> write tracks and rejects ->
verify what was written -> manifest (last) -> latest-dataset pointer -> training job.
Nothing is published unless every step before the manifest succeeded; a failed run
removes what it wrote, and its prefix, having no manifest, is never read in any case.
"""

from __future__ import annotations

import logging
import tempfile
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from functools import reduce
from pathlib import Path
from typing import Any

from pyspark.sql import DataFrame
from pyspark.sql import functions as F

from shared.datasets import dataset_prefix
from shared.errors import IngestError, InvalidInput, MusicrecError
from shared.ids import check_id, new_id
from shared.jobs import TrainingParameters, enqueue_training
from shared.manifest import write_manifest
from shared.pointer import ModelPointer, connect, redis_errors
from shared.schema import DATASET_COLUMNS, TRACK_COLUMNS
from shared.storage import ObjectStore

from services.ingest import publish
from services.ingest.clean import NULLED, REASON, VALID, check, id_fields
from services.ingest.dedupe import keep_most_popular
from services.ingest.layout import Layout, map_header
from services.ingest.positions import Positions, SplitCount
from shared.stages import Listener, StageClock
from services.ingest.read import FILE, ROW, SPLIT, read_catalog
from services.ingest.rejects import rejected_rows, with_reasons
from services.ingest.scan import SourceScan, read_header, scan_catalog
from services.ingest.settings import IngestSettings
from services.ingest.source import CatalogPart, CatalogSource, locate
from services.ingest.spark import engine_versions, spark_session

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class IngestResult:
    dataset_id: str
    manifest: dict[str, Any]
    counts: dict[str, int]  # rows_read, rows_kept, rows_rejected, duplicates
    training_job_id: str | None = None


@dataclass(frozen=True)
class PartGroup:
    """Parts that share one header, so one layout; Spark reads them together."""

    layout: Layout
    parts: tuple[CatalogPart, ...]


def check_source(catalog: CatalogSource) -> list[PartGroup]:
    """The catalog's parts grouped by header, each header mapped onto the schema by column name.

    A part whose header lacks a required column fails the run, naming the part and its columns.
    """
    parts = [part for part in catalog.parts if part.size]
    if not parts:
        raise IngestError(f"{catalog.uri} is empty: it has no header row and no tracks", details={"source": catalog.uri})
    layouts: dict[tuple[str, ...], Layout] = {}
    groups: dict[tuple[str, ...], list[CatalogPart]] = {}
    for part in parts:
        where = catalog.uri if len(catalog.parts) == 1 else f"{catalog.uri} part {part.name}"
        header = tuple(read_header(catalog.head(part), where))
        if header not in layouts:
            layouts[header] = map_header(list(header), where)
        groups.setdefault(header, []).append(part)
    return [PartGroup(layouts[header], tuple(members)) for header, members in groups.items()]


def scan_source(catalog: CatalogSource) -> SourceScan:
    with tempfile.TemporaryDirectory(prefix="musicrec-ingest-") as folder, catalog.local_copies(Path(folder)) as paths:
        return scan_catalog(paths, [part.name for part in catalog.parts], catalog.uri)


@dataclass(frozen=True)
class PartCounts:
    """What validation found in one part: rows read, rejected, and (of the others) nulled cells."""

    read: int = 0
    rejected: int = 0
    rows_nulled: int = 0
    nulled: tuple[tuple[str, int], ...] = ()


@dataclass(frozen=True)
class Checked:
    """The validated catalog (checkpointed), its rejected rows with their reasons (cached, one
    frame per layout), and their counts."""

    rows: DataFrame
    rejected: list[tuple[Layout, DataFrame]]
    positions: Positions
    rows_read: int
    by_reason: dict[str, int]
    by_part: dict[str, PartCounts]

    @property
    def nulled_by_reason(self) -> dict[str, int]:
        total: dict[str, int] = {}
        for counts in self.by_part.values():
            for reason, count in counts.nulled:
                total[reason] = total.get(reason, 0) + count
        return dict(sorted(total.items()))

    def unpersist(self) -> None:
        for _, frame in self.rejected:
            frame.unpersist()  # the checkpointed rows go when nothing refers to them any more


def _part_counts(stats: list) -> dict[str, PartCounts]:
    found: dict[str, dict] = {}
    for row in stats:
        part = found.setdefault(row[FILE], {"read": 0, "rejected": 0, "rows_nulled": 0, "nulled": {}})
        part["read"] += row["rows"]
        if not row[VALID]:
            part["rejected"] += row["rows"]
        elif row[NULLED]:
            part["rows_nulled"] += row["rows"]
            for reason in row[NULLED]:
                part["nulled"][reason] = part["nulled"].get(reason, 0) + row["rows"]
    return {
        name: PartCounts(p["read"], p["rejected"], p["rows_nulled"], tuple(sorted(p["nulled"].items()))) for name, p in found.items()
    }


def _validate(spark, catalog, scan, groups: list[PartGroup], fields: tuple[str, ...], clock: StageClock) -> Checked:
    with clock.stage("read_validate") as detail:
        # Kept once as rows (a local checkpoint per layout): every later step reads them instead of parsing the CSV again.
        checked = [check(read_catalog(spark, g.parts, scan, g.layout), g.layout, fields).localCheckpoint(eager=False) for g in groups]
        rows = reduce(DataFrame.unionByName, checked)
        stats = (
            rows.groupBy(FILE, SPLIT, VALID, NULLED).agg(F.count(F.lit(1)).alias("rows"), F.min(ROW).alias("first")).collect()
        )
        splits: dict[tuple[str, int], SplitCount] = {}
        for row in stats:
            old = splits.get((row[FILE], row[SPLIT]), SplitCount(row[FILE], row[SPLIT], row["first"], 0))
            splits[(row[FILE], row[SPLIT])] = SplitCount(old.file, old.split, min(old.first_row, row["first"]), old.rows + row["rows"])
        rows_read = sum(s.rows for s in splits.values())
        rejected = [(g.layout, with_reasons(frame, g.layout).cache()) for g, frame in zip(groups, checked)]
        by_reason = {}
        if any(not row[VALID] for row in stats):
            reasons = reduce(DataFrame.unionByName, [frame.select(REASON) for _, frame in rejected])
            by_reason = {r[REASON]: r["rows"] for r in reasons.groupBy(REASON).agg(F.count(F.lit(1)).alias("rows")).collect()}
        positions = Positions.of(splits.values(), [p.name for p in catalog.parts])
        result = Checked(rows, rejected, positions, rows_read, dict(sorted(by_reason.items())), _part_counts(stats))
        nulled = sum(result.nulled_by_reason.values())
        detail.append(f"{rows_read:,} rows, {sum(by_reason.values()):,} rejected, {nulled:,} metadata cells nulled")
    return result


def _refuse_without_tracks(catalog: CatalogSource, checked: Checked) -> None:
    if checked.rows_read == 0:
        raise IngestError(f"{catalog.uri} has a header but no rows", details={"source": catalog.uri})
    if sum(checked.by_reason.values()) == checked.rows_read:
        raise IngestError(
            f"{catalog.uri}: every one of its {checked.rows_read} rows was rejected ({_reasons(checked.by_reason)}); no dataset was made",
            details={"rejected_by_reason": checked.by_reason},
        )


def _reasons(by_reason: dict[str, int]) -> str:
    return ", ".join(f"{reason}: {count}" for reason, count in sorted(by_reason.items(), key=lambda item: -item[1]))


def _kept_by_part(checked: Checked, tracks: DataFrame, duplicates: int, kept: int) -> dict[str, int]:
    """Rows kept per part: its valid rows, less the duplicates dropped from it (counted only when there are some)."""
    valid = {name: counts.read - counts.rejected for name, counts in checked.by_part.items()}
    if not duplicates:
        return valid
    if len(valid) == 1:
        return {name: kept for name in valid}
    return {r[FILE]: r["rows"] for r in tracks.groupBy(FILE).agg(F.count(F.lit(1)).alias("rows")).collect()}


def _parts(catalog: CatalogSource, groups: list[PartGroup], checked: Checked, kept: dict[str, int]) -> list[dict[str, Any]]:
    layouts = {part.name: group.layout for group in groups for part in group.parts}
    entries = []
    for part in catalog.parts:
        counts = checked.by_part.get(part.name, PartCounts())
        layout = layouts.get(part.name)
        entries.append({
            "name": part.name,
            "layout": layout.name if layout else None,
            "track_id_source": None if layout is None else "derived" if layout.derives_ids else "column",
            "rows_read": counts.read,
            "rows_kept": kept.get(part.name, 0),
            "rows_rejected": counts.rejected,
            "duplicates": counts.read - counts.rejected - kept.get(part.name, 0),
            "rows_nulled": counts.rows_nulled,
            "nulled_by_reason": dict(counts.nulled),
        })  # fmt: skip
    return entries


def _build(spark, settings, catalog, scan, groups: list[PartGroup], fields, dataset_id, clock: StageClock) -> dict[str, Any]:
    """Everything up to the manifest; returns the manifest's fields."""
    checked = _validate(spark, catalog, scan, groups, fields, clock)
    try:
        _refuse_without_tracks(catalog, checked)
        with clock.stage("dedupe") as detail:
            deduped = keep_most_popular(checked.rows.where(F.col(VALID)), checked.positions.order())
            detail.append(f"{deduped.duplicates:,} duplicate rows of {deduped.repeated_ids:,} track ids")
        rejected = sum(checked.by_reason.values())
        kept = checked.rows_read - rejected - deduped.duplicates
        try:
            kept_by_part = _kept_by_part(checked, deduped.tracks, deduped.duplicates, kept)
            with clock.stage("write") as detail:
                publish.write_tracks(deduped.tracks, settings, dataset_id)
                rejects = [rejected_rows(spark, frame, layout, scan, checked.positions) for layout, frame in checked.rejected]
                publish.write_rejects(reduce(lambda a, b: a.unionByName(b, allowMissingColumns=True), rejects), settings, dataset_id)
                detail.append(f"{kept:,} tracks, {rejected:,} rejects")
        finally:
            deduped.repeats.unpersist()
    finally:
        checked.unpersist()
    with clock.stage("verify") as detail:
        files = publish.inventory(ObjectStore.from_settings(settings), dataset_id, kept, rejected)
        detail.append(f"{len(files)} files hashed, row counts match")
    return {
        "rows_read": checked.rows_read,
        "rows_kept": kept,
        "rows_rejected": rejected,
        "rejected_by_reason": checked.by_reason,
        "duplicates": deduped.duplicates,
        "nulled_by_reason": checked.nulled_by_reason,
        "parts": _parts(catalog, groups, checked, kept_by_part),
        "files": files,
    }


def _discard(store: ObjectStore, dataset_id: str) -> None:
    try:
        removed = store.delete_prefix(dataset_prefix(dataset_id) + "/")
        log.warning("removed the unpublished files of a failed ingest", extra={"dataset_id": dataset_id, "objects": removed})
    except MusicrecError as exc:
        log.error("could not remove an unpublished dataset prefix", extra={"dataset_id": dataset_id, "error": exc.message})


def _preflight(store: ObjectStore, redis, dataset_id: str) -> None:
    with redis_errors("ping", "reach"):
        redis.ping()
    store.ensure_bucket()
    if store.list(dataset_prefix(dataset_id) + "/"):
        raise IngestError(f"dataset {dataset_id!r} already exists; a dataset is never rewritten", details={"dataset_id": dataset_id})


def ingest(
    settings: IngestSettings,
    source: str,
    dataset_id: str | None = None,
    train: bool = True,
    *,
    progress: Listener | None = None,
    spark=None,
) -> IngestResult:
    """Turn the catalog at ``source`` into the published dataset ``dataset_id`` (new id if None).

    ``spark``: a session already running (the ``serve`` worker's); else one starts while the scan runs.

    Raises :class:`IngestError` for a source that gives no dataset (missing, empty, not CSV,
    columns missing, every row rejected); storage and Redis outages raise their own errors.
    """
    clock = StageClock(progress)
    try:
        dataset_id = check_id(dataset_id, "dataset id") if dataset_id is not None else new_id()
    except InvalidInput as exc:
        raise IngestError(exc.message, details=exc.details) from exc
    store, redis = ObjectStore.from_settings(settings), connect(settings.redis_url)
    with clock.stage("check") as detail:
        _preflight(store, redis, dataset_id)
        catalog = locate(settings, source)
        groups = check_source(catalog)
        layout = groups[0].layout
        derived = [group.layout for group in groups if group.layout.derives_ids]
        fields = id_fields(derived)
        detail.append(f"{catalog.uri}: {len(catalog.parts)} part(s), layout {', '.join(sorted({g.layout.name for g in groups}))}")
    with ThreadPoolExecutor(1) as pool:
        starting = pool.submit(_start_spark, settings, clock) if spark is None else None
        with clock.stage("scan") as detail:
            scan = scan_source(catalog)
            records = sum(part.records for part in scan.parts)
            detail.append(f"{scan.size:,} bytes, {records:,} records, {scan.encoding}{', quoted newlines' if scan.multiline else ''}")
        if not records:
            raise IngestError(f"{catalog.uri} has a header but no rows", details={"source": catalog.uri})
        spark = starting.result() if starting is not None else spark
    try:
        built = _build(spark, settings, catalog, scan, groups, fields, dataset_id, clock)
    except BaseException as exc:
        _discard(store, dataset_id)
        if isinstance(exc, Exception) and not isinstance(exc, MusicrecError):
            first = (str(exc).strip().splitlines() or [type(exc).__name__])[0][:400]
            raise IngestError(f"ingest of {catalog.uri} failed; nothing was published: {first}") from exc
        raise
    manifest = write_manifest(
        store,
        dataset_prefix(dataset_id),
        built.pop("files"),
        kind="dataset",
        dataset_id=dataset_id,
        **built,
        source={"name": catalog.name, "uri": catalog.uri, "sha256": scan.sha256, "bytes": scan.size, "parts": len(catalog.parts)},
        layout=layout.name,
        column_map=layout.column_map(),
        track_id_source="column" if not derived else "derived" if len(derived) == len(groups) else "mixed",
        **({"track_id_recipe": track_id_recipe(fields)} if derived else {}),
        encoding=scan.encoding,
        multiline=scan.multiline,
        schema={column: TRACK_COLUMNS[column] for column in DATASET_COLUMNS},
        engine=engine_versions(spark),
        timings={**clock.timings, "total": clock.total()},
    )
    counts = {k: manifest[k] for k in ("rows_read", "rows_kept", "rows_rejected", "duplicates")}
    job_id = announce(redis, dataset_id, train)
    log.info("dataset published", extra={"dataset_id": dataset_id, **counts, "training_job": job_id})
    return IngestResult(dataset_id, manifest, counts, job_id)


def track_id_recipe(fields: tuple[str, ...]) -> dict[str, Any]:
    """How the derived ids of a dataset were made (docs/architecture.md, "Derived track ids")."""
    return {
        "fields": ["artist_name", "track_name", *fields],
        "normalization": "text lower-cased, each run of whitespace one space, none at the ends; duration_s = duration_ms / 1000 rounded",
        "id": "sha256 of 'track' and the fields joined by U+001F (a missing value is empty); its first 22 bytes, each modulo 62, "
              "as 0-9A-Za-z",
        "function": "shared.ids.derived_track_id",
    }  # fmt: skip


def _start_spark(settings: IngestSettings, clock: StageClock):
    with clock.stage("start_spark"):
        return spark_session(settings)


def announce(redis, dataset_id: str, train: bool) -> str | None:
    """Point ``musicrec:datasets:latest`` at the dataset and enqueue its training (returns the job id, if one)."""
    try:
        ModelPointer(redis).set_latest_dataset(dataset_id)
        return enqueue_training(redis, TrainingParameters(dataset_id=dataset_id), actor="ingest")[0].id if train else None
    except MusicrecError as exc:
        raise IngestError(f"dataset {dataset_id} is published, but {exc.message}", details={"dataset_id": dataset_id}) from exc

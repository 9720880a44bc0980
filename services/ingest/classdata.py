"""A class-data-sharing (CDS) archive for the Spark driver JVM, made once and reused.

Starting Spark loads and verifies tens of thousands of classes; an archive of them, mapped
at start, saves most of that work. Java 17 cannot make one on its own
(``-XX:+AutoCreateSharedArchive`` came later), so the CLI does: a run without an archive
starts the JVM with ``-XX:ArchiveClassesAtExit``, and after publishing it stops the JVM,
waits for the dump and moves the archive into place. The archive's name fingerprints the
JVM, the Spark jars and the JVM options, so a changed installation makes a new one; a stale
or broken archive is ignored by the JVM (``-Xshare:auto``).
"""

from __future__ import annotations

import hashlib
import logging
import os
import re
import shutil
from pathlib import Path

from services.ingest.settings import IngestSettings

log = logging.getLogger(__name__)

_QUIET = "-Xlog:cds=off -Xlog:cds+dynamic=off"
_record = False  # whether this process records a missing archive (the CLI asks, then finishes it)


def record_in_this_process() -> None:
    """Record the archive when there is none yet; the caller then calls :func:`finish_recording`."""
    global _record
    _record = True


def java_executable() -> str | None:
    """The ``java`` Spark starts: under ``JAVA_HOME`` when it is set, else on the PATH."""
    home = os.environ.get("JAVA_HOME")
    return shutil.which("java", path=os.path.join(home, "bin")) if home else shutil.which("java")


def archive_path(settings: IngestSettings, jars: list[str]) -> Path | None:
    """Where the archive for this JVM, these jars and these options lives (None: archives are off)."""
    if not settings.spark_class_archives:
        return None
    import pyspark

    java = java_executable()
    java = os.path.realpath(java) if java else "java"
    parts = [pyspark.__version__, java, str(os.path.getmtime(java)) if os.path.exists(java) else "", settings.spark_java_options]
    parts += [f"{Path(jar).name}:{os.path.getsize(jar)}" for jar in jars]
    fingerprint = hashlib.sha256("\n".join(parts).encode()).hexdigest()[:16]
    return Path(settings.spark_class_archives) / f"spark-{fingerprint}.jsa"


def java_options(settings: IngestSettings, jars: list[str], record: bool | None = None) -> str:
    """The driver's JVM options: the settings' own, plus mapping (or, when asked, recording) the archive."""
    record = _record if record is None else record
    path = archive_path(settings, jars)
    if path is None:
        return settings.spark_java_options
    if path.exists():
        return f"{settings.spark_java_options} -XX:SharedArchiveFile={path} {_QUIET}"
    if record:
        path.parent.mkdir(parents=True, exist_ok=True)
        for left in path.parent.glob("spark-*.jsa.*.tmp"):  # from runs that failed before finishing theirs
            left.unlink(missing_ok=True)
        return f"{settings.spark_java_options} -XX:ArchiveClassesAtExit={_recording(path)} {_QUIET}"
    return settings.spark_java_options


def _recording(path: Path) -> Path:
    return path.with_name(f"{path.name}.{os.getpid()}.tmp")


def finish_recording(timeout: float = 300.0) -> Path | None:
    """If this process's Spark JVM records an archive: stop it, wait for the dump, put the archive in place.

    Does nothing (and leaves Spark running) when the JVM is not recording. Returns the archive.
    """
    from pyspark import SparkContext

    context = SparkContext._active_spark_context
    options = context.getConf().get("spark.driver.extraJavaOptions", "") if context is not None else ""
    found = re.search(r"-XX:ArchiveClassesAtExit=(\S+)", options)
    if context is None or found is None:
        return None
    recording = Path(found.group(1))
    gateway, process = SparkContext._gateway, getattr(SparkContext._gateway, "proc", None)
    context.stop()
    gateway.shutdown()
    SparkContext._gateway = SparkContext._jvm = None  # a later session starts a new JVM
    if process is not None:
        process.stdin.close()  # the JVM exits when its stdin closes, dumping the archive first
        process.wait(timeout=timeout)
    if not recording.exists():
        log.warning("the JVM left no class-data archive", extra={"archive": str(recording)})
        return None
    path = recording.with_name(recording.name.rsplit(".", 2)[0])
    for stale in path.parent.glob("spark-*.jsa"):
        stale.unlink(missing_ok=True)
    os.replace(recording, path)
    log.info("class-data archive made", extra={"archive": str(path), "bytes": path.stat().st_size})
    return path

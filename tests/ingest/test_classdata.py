"""The driver JVM's class-data archive: mapped when present, recorded only when asked."""

from pathlib import Path

from services.ingest.classdata import archive_path, java_options
from services.ingest.settings import IngestSettings


def settings_for(folder: str, **values) -> IngestSettings:
    return IngestSettings(s3_access_key="k", s3_secret_key="s", spark_class_archives=folder, **values)


def test_an_archive_is_recorded_only_when_asked_and_mapped_once_it_exists(tmp_path: Path) -> None:
    settings = settings_for(str(tmp_path))
    jars: list[str] = []
    path = archive_path(settings, jars)
    assert path is not None and path.parent == tmp_path and path.name.startswith("spark-")
    assert java_options(settings, jars, record=False) == settings.spark_java_options
    recording = java_options(settings, jars, record=True)
    assert f"-XX:ArchiveClassesAtExit={path}." in recording and recording.startswith(settings.spark_java_options)
    path.write_bytes(b"archive")
    assert f"-XX:SharedArchiveFile={path} " in java_options(settings, jars, record=True)


def test_the_archive_name_changes_with_the_jvm_options_and_archives_can_be_turned_off(tmp_path: Path) -> None:
    first = archive_path(settings_for(str(tmp_path)), [])
    other = archive_path(settings_for(str(tmp_path), spark_java_options="-XX:+UseSerialGC"), [])
    assert first != other
    off = settings_for("")
    assert archive_path(off, []) is None and java_options(off, [], record=True) == off.spark_java_options

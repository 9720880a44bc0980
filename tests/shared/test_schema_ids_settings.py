import math

import pytest
from pydantic import ValidationError

from shared.errors import InvalidInput
from shared.ids import check_id, new_id
from shared.schema import FEATURE_NAMES, FEATURES, validate_feature_names
from shared.settings import MusicrecSettings


def test_schema_ranges() -> None:
    assert len(FEATURE_NAMES) == 9
    assert FEATURES["tempo"].contains(120) and not FEATURES["tempo"].contains(0)
    assert FEATURES["loudness"].contains(-60) and FEATURES["loudness"].contains(5) and not FEATURES["loudness"].contains(5.1)
    assert not FEATURES["energy"].contains(math.nan) and not FEATURES["energy"].contains(math.inf)


def test_feature_names_and_values_are_checked() -> None:
    assert validate_feature_names(["tempo", "energy"]) == ("tempo", "energy")
    with pytest.raises(InvalidInput, match=r"unknown feature\(s\) \['bpm'\]"):
        validate_feature_names(["tempo", "bpm"])
    with pytest.raises(InvalidInput, match="repeat"):
        validate_feature_names(["tempo", "tempo"])


def test_ids_are_unique_sortable_and_checked() -> None:
    ids = [new_id() for _ in range(200)]
    assert len(set(ids)) == 200 and ids == sorted(ids)
    assert check_id("my-catalog_2026.11") == "my-catalog_2026.11"
    with pytest.raises(InvalidInput, match="not a valid id"):
        check_id("../etc/passwd")


def test_settings_read_env_and_refuse_placeholders_in_production(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("MUSICREC_S3_ACCESS_KEY", "user")
    monkeypatch.setenv("MUSICREC_S3_SECRET_KEY", "minioadmin")
    settings = MusicrecSettings()
    assert settings.s3_bucket == "musicrec" and settings.s3_secret_key.get_secret_value() == "minioadmin"
    monkeypatch.setenv("MUSICREC_ENV", "production")
    with pytest.raises(ValidationError, match="MUSICREC_S3_SECRET_KEY holds a placeholder secret"):
        MusicrecSettings()


def test_required_settings_have_no_default(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("MUSICREC_S3_ACCESS_KEY", raising=False)
    monkeypatch.delenv("MUSICREC_S3_SECRET_KEY", raising=False)
    with pytest.raises(ValidationError, match="s3_access_key"):
        MusicrecSettings()

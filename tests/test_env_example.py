""".env.example documents every setting of every service."""

import re
from pathlib import Path

import pytest

from services.api.settings import ApiSettings
from services.ingest.settings import IngestSettings
from services.trainer.settings import TrainerSettings
from services.worker.settings import WorkerSettings

ROOT = Path(__file__).resolve().parents[1]


def documented() -> set[str]:
    text = (ROOT / ".env.example").read_text()
    return set(re.findall(r"^#?\s*([A-Z][A-Z0-9_]+)=", text, re.M))


@pytest.mark.parametrize("settings", [IngestSettings, TrainerSettings, WorkerSettings, ApiSettings])
def test_every_setting_is_in_env_example(settings) -> None:
    names = set()
    for name, field in settings.model_fields.items():
        alias = field.validation_alias
        names.add(alias.choices[0] if alias is not None else f"MUSICREC_{name.upper()}")
    missing = sorted(names - documented())
    assert not missing, f".env.example lacks {missing}"

"""Settings base: read once from ``MUSICREC_*`` environment variables and passed in.

Each service subclasses :class:`MusicrecSettings` with what only it needs. Required values
have no default. Placeholder secrets (the demo defaults) are refused when
``MUSICREC_ENV=production``.
"""

from __future__ import annotations

import sys
from typing import Literal, TypeVar

from pydantic import Field, SecretStr, ValidationError, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

# Secrets that ship in examples and demo stacks; never acceptable in production.
PLACEHOLDER_SECRETS = frozenset(
    {"", "minioadmin", "changeme", "change-me", "musicrec", "musicrec-demo", "demo-operator-token", "secret"}
)


class MusicrecSettings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="MUSICREC_", extra="ignore", frozen=True)

    env: Literal["development", "production", "test"] = "development"
    log_level: str = "INFO"
    log_format: Literal["json", "text"] = "json"

    redis_url: str = "redis://localhost:6379/0"

    s3_endpoint: str = Field("http://localhost:9000", description="S3 API URL of MinIO")
    s3_access_key: str
    s3_secret_key: SecretStr
    s3_bucket: str = "musicrec"
    s3_region: str = "us-east-1"

    # A feature has drifted between two datasets when its PSI exceeds this (shared.drift).
    drift_psi: float = Field(0.2, gt=0.0, description="population stability index above which a feature has drifted")

    @model_validator(mode="after")
    def _refuse_placeholders_in_production(self) -> "MusicrecSettings":
        if self.env == "production":
            for name, value in self._secret_values().items():
                if value.lower() in PLACEHOLDER_SECRETS:
                    raise ValueError(
                        f"MUSICREC_{name.upper()} holds a placeholder secret; "
                        "set a real one when MUSICREC_ENV=production"
                    )
        return self

    def _secret_values(self) -> dict[str, str]:
        """Secret settings checked against placeholders; subclasses add their own."""
        return {"s3_secret_key": self.s3_secret_key.get_secret_value()}


SettingsT = TypeVar("SettingsT", bound=MusicrecSettings)

HOW_TO_SET = "set it in the environment (.env.example lists every variable; for the local stack: make up, then " \
    'eval "$(.venv/bin/python -m tools.stack env)")'


def variable_name(cls: type[MusicrecSettings], field: str) -> str:
    """The environment variable that sets ``field`` (its first alias where it has any)."""
    info = cls.model_fields.get(field)
    alias = getattr(info, "validation_alias", None) if info else None
    choices = getattr(alias, "choices", None)
    if choices:
        return str(choices[0])
    if isinstance(alias, str):
        return alias
    return f"{cls.model_config.get('env_prefix', '')}{field}".upper()


def settings_problems(cls: type[MusicrecSettings], exc: ValidationError) -> list[str]:
    """One line per problem: the variable, what is wrong with it and how to set it (never its value)."""
    lines = []
    for error in exc.errors():
        location = [str(part) for part in error.get("loc", ())]
        if not location:
            lines.append(error.get("msg", "invalid").removeprefix("Value error, "))
            continue
        name = variable_name(cls, location[0])
        if error.get("type") == "missing":
            lines.append(f"{name} is not set; {HOW_TO_SET}")
        else:
            lines.append(f"{name} is invalid: {error.get('msg', 'invalid')}")
    return lines


def entry_point_settings(cls: type[SettingsT], program: str) -> SettingsT:
    """Read an entry point's settings and configure its logging (see :func:`shared.logging.configure_logging`).

    Invalid settings end the program with one line per bad variable, naming it and how to set
    it (:func:`settings_problems`), exit code 2.
    """
    from shared.logging import configure_logging

    try:
        settings = cls()
    except ValidationError as exc:
        for line in settings_problems(cls, exc):
            print(f"{program}: invalid settings: {line}", file=sys.stderr)
        raise SystemExit(2) from None
    configure_logging(settings.log_level, settings.log_format)
    return settings

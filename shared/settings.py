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


def entry_point_settings(cls: type[SettingsT], program: str) -> SettingsT:
    """Read an entry point's settings and configure its logging (see :func:`shared.logging.configure_logging`).

    Invalid settings end the program with one message naming each bad variable, exit code 2.
    """
    from shared.logging import configure_logging

    try:
        settings = cls()
    except ValidationError as exc:
        print(f"{program}: invalid settings:\n{exc}", file=sys.stderr)
        raise SystemExit(2) from None
    configure_logging(settings.log_level, settings.log_format)
    return settings

"""Settings of the API gateway, read once from ``MUSICREC_*`` variables and passed in."""

from __future__ import annotations

from pydantic import Field, SecretStr

from shared.settings import MusicrecSettings
from services.api.neighbours import IndexKind


class ApiSettings(MusicrecSettings):
    api_host: str = "127.0.0.1"
    api_port: int = Field(8000, ge=1, le=65535)

    # Operator routes (training jobs, activation) need this bearer token; unset = refused.
    operator_token: SecretStr | None = None

    # Hot reload: the pointer is polled this often as a fallback for lost pub/sub messages.
    reload_poll_seconds: float = Field(2.0, gt=0)
    # A bundle that fails to load is retried after this delay, doubling up to the maximum.
    reload_retry_seconds: float = Field(1.0, gt=0)
    reload_retry_max_seconds: float = Field(60.0, gt=0)
    # How long start-up waits for the first model before serving without one (not ready).
    startup_wait_seconds: float = Field(30.0, ge=0)

    # Request bodies larger than this are refused with 413.
    max_body_bytes: int = Field(64 * 1024, ge=1024)
    # A catalog uploaded to POST /v1/datasets may be this large (413 beyond it); it is spooled to
    # a temporary file (in memory up to 1 MiB), then streamed to the bucket under uploads/.
    upload_max_bytes: int = Field(1024**3, ge=1024)
    # One INFO line per request (method, path, status, duration, request id).
    access_log: bool = True
    # The nearest-neighbour index over the catalog: the compiled k-d tree ("kdtree"), or
    # scipy's cKDTree ("scipy"); both give the same exact answers (services.api.neighbours).
    neighbour_index: IndexKind = "kdtree"

    def _secret_values(self) -> dict[str, str]:
        values = super()._secret_values()
        if self.operator_token is not None:
            values["operator_token"] = self.operator_token.get_secret_value()
        return values

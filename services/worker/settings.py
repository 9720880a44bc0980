"""Worker settings: the shared base plus RQ's liveness timings and the retrain schedule.

The timings decide how fast a job whose worker died (SIGKILL, lost machine) runs again:
the job's execution entry expires ``worker_job_monitoring_interval + worker_heartbeat_grace``
seconds after the last heartbeat, and a live worker finds it at its next maintenance pass
(every ``worker_maintenance_interval`` seconds) and re-queues it at once. With the
defaults that is 25 s + up to 10 s.
"""

from __future__ import annotations

from pydantic import Field, model_validator

from shared.pointer import TRAINING_QUEUE
from shared.settings import MusicrecSettings

SCHEDULE_OFF = frozenset({"", "off", "none", "disabled", "false", "0"})


class WorkerSettings(MusicrecSettings):
    worker_queue: str = TRAINING_QUEUE
    worker_name: str | None = None
    # How often the worker heartbeats a running job, and how late a heartbeat may be.
    worker_job_monitoring_interval: int = Field(10, ge=1)
    worker_heartbeat_grace: int = Field(15, ge=1)
    # How often an idle worker cleans the queue's registries (finding abandoned jobs).
    worker_maintenance_interval: int = Field(10, ge=1)
    # The worker's own registration expires after this many seconds without a heartbeat;
    # an idle worker blocks on the queue for at most worker_ttl - 15 s between passes.
    worker_ttl: int = Field(25, ge=16)
    # Retrain the newest dataset on this cron schedule (UTC); "off" switches it off.
    retrain_schedule: str = "0 4 * * 1"
    # Skip a scheduled retrain when no feature of the newest dataset drifts beyond MUSICREC_DRIFT_PSI
    # from the served model's dataset; false: retrain on every run of the schedule.
    retrain_skip_without_drift: bool = True

    @property
    def retrain_enabled(self) -> bool:
        return self.retrain_schedule.strip().lower() not in SCHEDULE_OFF

    @model_validator(mode="after")
    def _schedule_is_cron(self) -> "WorkerSettings":
        if self.retrain_enabled:
            from croniter import croniter

            if not croniter.is_valid(self.retrain_schedule):
                raise ValueError(
                    f"MUSICREC_RETRAIN_SCHEDULE={self.retrain_schedule!r} is not a cron expression "
                    "(like '0 4 * * 1' for Mondays 04:00 UTC) nor 'off'"
                )
        return self

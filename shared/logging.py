"""Logging set-up for entry points (API, worker, ingest CLI). Library code only logs.

Every record goes straight to one handler on stderr, as one JSON line (or as text for
terminals): lines keep their order and none waits in memory, so none is lost when the
process ends.
"""

from __future__ import annotations

import logging
import sys

try:  # the same lines, written with orjson where it is installed (the API)
    from pythonjsonlogger.orjson import OrjsonFormatter as JsonFormatter
except ImportError:
    from pythonjsonlogger.json import JsonFormatter

TEXT_FORMAT = "%(asctime)s %(levelname)-7s %(name)s: %(message)s"


def configure_logging(level: str = "INFO", fmt: str = "json", stream=None) -> None:
    """Send every record to ``stream`` (stderr) as one JSON line, or as text for terminals."""
    handler = logging.StreamHandler(stream or sys.stderr)
    if fmt == "json":
        handler.setFormatter(
            JsonFormatter(
                "%(asctime)s %(levelname)s %(name)s %(message)s",
                rename_fields={"asctime": "time", "levelname": "level", "name": "logger"},
            )
        )
    else:
        handler.setFormatter(logging.Formatter(TEXT_FORMAT))
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level.upper())
    for noisy in ("urllib3", "py4j", "botocore"):
        logging.getLogger(noisy).setLevel(logging.WARNING)
